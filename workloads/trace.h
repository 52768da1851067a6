/* Workload traces: the Azure LLM inference trace (arrival times and token counts), Poisson arrivals,
 * and the JSON Lines trace-replay format of agent sessions (MCP messages with labels and timing).
 *
 * Trace-replay format (one JSON object per line, UTF-8, '#' lines and blank lines ignored):
 *   {"t_ms": 0.0,  "agent": "a1", "kind": "infer",  "prompt_tokens": 374, "gen_tokens": 44}
 *   {"t_ms": 12.5, "agent": "a1", "kind": "call",   "msg": {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
 *                                                            "params": {"name": "kv_get", "arguments": {...}}}}
 *   {"t_ms": 14.0, "agent": "a1", "kind": "result", "msg": {"jsonrpc": "2.0", "id": 1, "result": {...}},
 *                                                   "labels": {"integrity": "untrusted", "classes": ["PII"]}}
 *   {"t_ms": 20.0, "agent": "a1", "kind": "send",   "to": "a2", "msg": {...}, "labels": {...}}
 * t_ms is the time since the start of the session, never decreasing from line to line. */
#ifndef OMEGA_TRACE_H
#define OMEGA_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/labels.h"

/* One request of the Azure LLM inference trace. */
struct omega_azure_req {
    double t_s;          /* seconds since the trace's first request */
    uint32_t ctx_tokens; /* ContextTokens */
    uint32_t gen_tokens; /* GeneratedTokens */
};

struct omega_azure_trace {
    struct omega_azure_req *req;  /* owned */
    size_t n;
    double t0_epoch;              /* first timestamp, seconds since the epoch (UTC) */
};

/* Parse Azure trace CSV text (header TIMESTAMP,ContextTokens,GeneratedTokens); errors name the line. */
int omega_azure_parse(struct omega_azure_trace *t, const char *text, size_t len, const char *name,
                      struct omega_error *err) OMEGA_MUST_CHECK;
/* Read an Azure trace CSV file (at most 256 MiB). */
int omega_azure_read(struct omega_azure_trace *t, const char *path, struct omega_error *err) OMEGA_MUST_CHECK;
/* Release a trace (zeroed struct or NULL fields are fine). */
void omega_azure_fini(struct omega_azure_trace *t);
/* Mean request rate in requests per second over the trace's span. */
double omega_azure_rate(const struct omega_azure_trace *t);

/* A small seeded generator (splitmix64 seeding xoshiro256**), so a trace replays identically. */
struct omega_rng {
    uint64_t s[4];
};
/* Seed the generator. */
void omega_rng_seed(struct omega_rng *r, uint64_t seed);
/* Next 64 random bits. */
uint64_t omega_rng_next(struct omega_rng *r);
/* Uniform in (0, 1]. */
double omega_rng_uniform(struct omega_rng *r);
/* Exponential with the given rate (mean 1/rate). */
double omega_rng_exp(struct omega_rng *r, double rate);
/* n Poisson arrival times (seconds, increasing from 0) at rate per second into out. */
void omega_poisson_arrivals(struct omega_rng *r, double rate, size_t n, double *out);

/* Kinds of a trace-replay event. */
enum omega_trace_kind { OMEGA_TRACE_INFER, OMEGA_TRACE_CALL, OMEGA_TRACE_RESULT, OMEGA_TRACE_SEND };

struct omega_trace_event {
    double t_ms;
    char agent[64];
    enum omega_trace_kind kind;
    char to[64];              /* send: the peer agent */
    json_t *msg;              /* call, result, send: the JSON-RPC message (owned) */
    int has_labels;
    struct omega_labels labels;
    uint32_t prompt_tokens, gen_tokens;  /* infer */
    unsigned line;            /* 1-based line in the file it came from */
};

struct omega_trace {
    struct omega_trace_event *ev;  /* owned */
    size_t n, cap;
};

/* Parse JSON Lines text; the first bad line stops parsing with "<name>:<line>: <why>". */
int omega_trace_parse(struct omega_trace *t, const char *text, size_t len, const char *name,
                      struct omega_error *err) OMEGA_MUST_CHECK;
/* Read a trace-replay file. */
int omega_trace_read(struct omega_trace *t, const char *path, struct omega_error *err) OMEGA_MUST_CHECK;
/* Validate one event object (as parsed from a line) into ev; err names no line. */
int omega_trace_event_from_json(struct omega_trace_event *ev, const json_t *j, struct omega_error *err) OMEGA_MUST_CHECK;
/* The event as a JSON object (new reference), with keys in a fixed order. */
json_t *omega_trace_event_to_json(const struct omega_trace_event *ev);
/* Append an event (takes ownership of ev->msg). */
int omega_trace_append(struct omega_trace *t, struct omega_trace_event *ev) OMEGA_MUST_CHECK;
/* Write the trace as JSON Lines into out (appended); byte-identical for identical traces. */
int omega_trace_write(const struct omega_trace *t, struct omega_buf *out) OMEGA_MUST_CHECK;
/* Release a trace. */
void omega_trace_fini(struct omega_trace *t);
/* A synthetic session trace: agents agents, each with rounds of infer -> tools/call -> result, arrivals
 * Poisson at rate_per_agent, token counts drawn from az (may be NULL: fixed 256/64); same seed, same trace. */
int omega_trace_generate(struct omega_trace *t, uint64_t seed, unsigned agents, unsigned rounds,
                         double rate_per_agent, const struct omega_azure_trace *az, struct omega_error *err) OMEGA_MUST_CHECK;
/* Name of a kind ("infer", "call", "result", "send"). */
const char *omega_trace_kind_name(enum omega_trace_kind k);

#endif
