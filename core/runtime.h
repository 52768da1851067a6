/* The runtime (emulated VMPL-1): hosts the agents' sandboxes, serves their channels, builds an
 * omega_action per request, asks the monitor (decision, then provenance record), performs allowed
 * actions itself through a table of handlers, joins the results' labels into the agent's context and
 * answers. A violating or crashing agent is stopped and reported; the others go on.
 *
 * What each verdict does: allow performs the action; deny refuses it (OMEGA_EDENIED); redact
 * performs it with the decision's fields masked (core/redact.h) in the result (tools/call, read,
 * infer) or in the outgoing payload (send, egress), and refuses it when that payload is not JSON;
 * ask goes to the approver (omega_runtime_set_approver), whose answer is recorded as a record of its
 * own right after the ask's, and then proceeds as allow or deny; without an approver ask is denied.
 *
 * Threads: the caller's thread makes the runtime, registers handlers, spawns and waits for agents;
 * one serve thread owns every channel. Handlers run on the serve thread. Register handlers and data
 * before the first spawn (OMEGA_ESTATE after). Make the runtime on a thread that outlives it: the
 * agents are that thread's children and die with it (PR_SET_PDEATHSIG). A runtime hosts at most
 * max_agents agents over its whole life (stopped agents keep their slot and status). */
#ifndef OMEGA_RUNTIME_H
#define OMEGA_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "core/approve.h"
#include "core/buf.h"
#include "core/decision.h"
#include "core/labels.h"
#include "core/monitor.h"
#include "core/sandbox.h"

struct omega_runtime_config {
    size_t ring_bytes;           /* per direction, power of two; 0: OMEGA_CHAN_RING_DEFAULT (2 MiB) */
    size_t max_agents;           /* 0: 1024 */
    struct omega_sandbox_limits limits;
    unsigned sandbox_flags;      /* OMEGA_SANDBOX_NO_* (measurement only) */
    unsigned spin_us;            /* runtime busy-polls this long after the last request before sleeping; 0: 50 */
    unsigned agent_spin_us;      /* agent busy-waits this long for its response before the futex; 0: 50 */
    int pin;                     /* 1: serve thread alone on the last CPU this process may use, agents on the
                                  * others (needs ≥ 2 CPUs; an explicit option, off by default). Threads a
                                  * handler starts inherit the serve thread's one CPU: start them before. */
    uint32_t rate_per_s;         /* per-agent request rate (token bucket); 0: no limit */
    uint32_t rate_burst;         /* bucket size; 0: rate_per_s */
    uint32_t flood_kill;         /* requests refused for rate before the agent is stopped; 0: 1000 */
    size_t inbox_bytes;          /* messages queued for one agent; 0: 8 MiB */
    size_t inbox_msgs;           /* 0: 1024 */
    int no_args_json;            /* 1: do not parse tools/call arguments into action.args */
};

/* One request as a handler sees it (all borrowed for the call). */
struct omega_request {
    const char *agent;
    enum omega_action_kind kind;
    const char *target;
    const uint8_t *payload;
    size_t len;
    const json_t *args;          /* parsed JSON arguments of tools/call, or NULL (not parsed when no one can
                                  * read them: the allow-list decider with the built-in echo) */
    uint64_t ticket;             /* names this request to omega_runtime_complete */
    const struct omega_labels *labels;   /* the agent's context: the join of all it has read */
};

/* A handler's return that means "answered later": the handler (or a thread it hands the work to)
 * calls omega_runtime_complete with rq->ticket. The agent waits; the runtime serves the others. */
#define OMEGA_RT_DEFERRED 2

/* What a handler answers: bytes into out (reset before the call) and the labels of that result. */
struct omega_reply {
    struct omega_buf *out;
    struct omega_labels labels;  /* starts as "nothing": trusted, no classes */
};

/* A handler: 0 or a negative OMEGA_E code (returned to the agent). */
typedef int (*omega_handler_fn)(void *ctx, const struct omega_request *rq, struct omega_reply *rp);
/* Called on the serve thread after each decided request (status: what the agent got). */
typedef void (*omega_trace_fn)(void *ctx, const struct omega_action *a, const struct omega_decision *d, int status);

enum omega_agent_state { OMEGA_AGENT_STARTING, OMEGA_AGENT_RUNNING, OMEGA_AGENT_STOPPED };

struct omega_agent_status {
    char id[OMEGA_AGENT_ID_MAX];
    enum omega_agent_state state;
    pid_t pid;
    int exit_code;               /* when it exited */
    int signal;                  /* when a signal ended it */
    int violation;               /* 1: stopped for misbehaving (sandbox, limits, channel, flood) */
    char reason[192];            /* why it stopped, in words */
    uint64_t requests, allowed, denied, refused;
    uint64_t start_ns;           /* spawn call to ready */
    uint64_t step_ns[OMEGA_STEP_COUNT];   /* each start-up step's end, from the spawn call */
};

/* Called on the serve thread when an agent stops. */
typedef void (*omega_event_fn)(void *ctx, const struct omega_agent_status *st);

struct omega_runtime;

/* Start a runtime (its zygote and serve thread) deciding through mon (borrowed). cfg may be NULL. */
struct omega_runtime *omega_runtime_new(const struct omega_runtime_config *cfg, struct omega_monitor *mon,
                                        struct omega_error *err);
/* Stop every agent, the serve thread and the zygote; NULL is a no-op. */
void omega_runtime_free(struct omega_runtime *rt);
/* What each sandbox gets on this machine, in one line. */
const char *omega_runtime_sandbox_desc(const struct omega_runtime *rt);

/* Register a tool for tools/call (name ≤ 127 bytes; ctx borrowed). "echo" is built in. */
int omega_runtime_register_tool(struct omega_runtime *rt, const char *name, omega_handler_fn fn, void *ctx) OMEGA_MUST_CHECK;
/* Add a data item for read (bytes and labels copied). */
int omega_runtime_add_data(struct omega_runtime *rt, const char *id, const void *data, size_t len,
                           const struct omega_labels *labels) OMEGA_MUST_CHECK;
/* The inference engine's handler (target = model id); without one, infer answers OMEGA_EUNAVAIL. */
void omega_runtime_set_infer(struct omega_runtime *rt, omega_handler_fn fn, void *ctx);
/* The egress handler (target = host); the default discards the bytes (the emulated CVM has no uplink). */
void omega_runtime_set_egress(struct omega_runtime *rt, omega_handler_fn fn, void *ctx);
/* Trace every decided request (ctx borrowed). */
void omega_runtime_set_trace(struct omega_runtime *rt, omega_trace_fn fn, void *ctx);
/* Be told when an agent stops. */
void omega_runtime_set_event(struct omega_runtime *rt, omega_event_fn fn, void *ctx);
/* Answer ask decisions with fn (ctx borrowed; NULL fn: none, every ask is denied). name (≤ 31 bytes,
 * copied) goes into each outcome's record as the policy "approver:<name>". fn runs on the serve
 * thread and must not block: it holds up every agent. Before the first spawn (OMEGA_ESTATE after). */
int omega_runtime_set_approver(struct omega_runtime *rt, omega_approve_fn fn, void *ctx, const char *name) OMEGA_MUST_CHECK;

/* Start one sandboxed agent and wait until it serves; returns its index (≥ 0). id: unique, ≤ 63 bytes. */
int omega_runtime_spawn(struct omega_runtime *rt, const char *id, omega_agent_main_fn fn, const void *arg,
                        size_t arglen, struct omega_error *err) OMEGA_MUST_CHECK;
/* Wait up to timeout_ms (< 0: forever) for the agent to stop; OMEGA_ETIMEOUT if it still runs. */
int omega_runtime_wait(struct omega_runtime *rt, int idx, int timeout_ms, struct omega_agent_status *st);
/* Snapshot of an agent's status. */
int omega_runtime_status(struct omega_runtime *rt, int idx, struct omega_agent_status *st) OMEGA_MUST_CHECK;
/* Stop an agent (SIGKILL), with a reason for the report. */
int omega_runtime_stop(struct omega_runtime *rt, int idx, const char *reason);
/* Answer a deferred request (any thread): status, result bytes (copied) and the result's labels
 * (NULL: none), which join the agent's context as a handler's would. An agent that stopped meanwhile
 * is not answered. */
int omega_runtime_complete(struct omega_runtime *rt, uint64_t ticket, int status, const void *p, size_t n,
                           const struct omega_labels *labels) OMEGA_MUST_CHECK;
/* Number of agents spawned so far. */
int omega_runtime_count(const struct omega_runtime *rt);
/* Requests served and agents stopped for violations so far. */
uint64_t omega_runtime_served(const struct omega_runtime *rt);

#endif
