/* The whole Omega stack assembled for a workload: the platform (backend), the monitor with its
 * decider (compiled Cedar policies, or a config allow-list) and its Ed25519 key, the provenance log
 * that key signs, the runtime with its sandboxes, the built-in tools, and the inference engine as the
 * runtime's infer handler. omega run, the tool-calling and multi-agent suites and the paper suite all
 * build it here, so each measures the same thing. */
#ifndef OMEGA_STACK_H
#define OMEGA_STACK_H

#include <stdint.h>

#include <openssl/evp.h>

#include "core/backend.h"
#include "core/monitor.h"
#include "core/runtime.h"
#include "workloads/toolcall/tools.h"

struct omega_stack_config {
    const struct omega_config *platform;  /* backend, cc; NULL: emu */
    int enforce;                 /* 0: allow every action and record nothing (the baseline) */
    const char *policies;        /* Cedar policy file (enforce on); NULL with allow NULL: the built-in bundle */
    const char *entities;        /* Cedar entities JSON; NULL: none */
    const char *allow;           /* or an allow-list file (enforce on) */
    const char *log_dir;         /* provenance log folder (enforce on); NULL: no log */
    int log_sync;                /* 1: sync (each record durable before the monitor returns); 0: batch (group
                                  * commits; the runtime acts once a record is queued and answers once durable) */
    int log_fsync;               /* 0: skip fdatasync (for measuring the CPU cost alone); default 1 */
    const char *model;           /* LLM preset for infer ("tiny" on the emulated GPU); NULL: no inference */
    int max_context;             /* tokens of KV per agent (default 512) */
    int max_agents;              /* agents that infer at once, for sizing the KV pool (default 64) */
    const char *data_dir;        /* read_file's labelled files; NULL: none */
    int http;                    /* 1: start the loopback HTTP server for http_get/http_post */
    const char *approve;         /* who answers ask decisions: "allow", "deny" or an approval-rule file
                                  * (core/approve.h); NULL: no one, every ask is denied */
    struct omega_runtime_config runtime;   /* zero: defaults */
};

struct omega_stack;

/* Build the stack; OMEGA_EUNAVAIL (with why) when the backend cannot run here. */
int omega_stack_open(struct omega_stack **out, const struct omega_stack_config *cfg, struct omega_error *err) OMEGA_MUST_CHECK;
/* Stop every agent, close the log (signing a final checkpoint), free. NULL is a no-op. */
int omega_stack_close(struct omega_stack *s, struct omega_error *err);
/* The runtime, to spawn agents and register more handlers (borrowed). */
struct omega_runtime *omega_stack_runtime(struct omega_stack *s);
/* The monitor (borrowed). */
struct omega_monitor *omega_stack_monitor(struct omega_stack *s);
/* The toolbox, to read what its sinks recorded (borrowed). */
struct omega_toolbox *omega_stack_toolbox(struct omega_stack *s);
/* The loopback HTTP server's base URL ("http://127.0.0.1:PORT"), or NULL. */
const char *omega_stack_http_base(const struct omega_stack *s);
/* The monitor's log-signing public key (raw Ed25519, 32 bytes). */
const uint8_t *omega_stack_log_pub(const struct omega_stack *s);
/* Leaves in the provenance log so far: records and the interned strings they refer to (0 without one). */
uint64_t omega_stack_log_leaves(struct omega_stack *s);
/* Write the log-signing public key as PEM to path (for omega log verify --key). */
int omega_stack_write_log_key(const struct omega_stack *s, const char *path, struct omega_error *err) OMEGA_MUST_CHECK;
/* The model agents infer with (NULL without one) and its vocabulary size. */
const char *omega_stack_model(const struct omega_stack *s, uint32_t *vocab);
/* Tokens of context each agent may use (0 without a model). */
int omega_stack_max_context(const struct omega_stack *s);
/* The @id annotation of policy id ("payment-limit" for "policy5"), or NULL (no annotation, no policies). */
const char *omega_stack_policy_name(const struct omega_stack *s, const char *id);
/* Name of the built-in policy bundle used when enforcement is on and none is given. */
const char *omega_stack_default_policies(void);

#endif
