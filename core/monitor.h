/* The monitor (emulated VMPL-0): the trusted decision point. It owns the pluggable decider (the
 * config allow-list now, the compiled policy engine later) and the provenance hook, and fails
 * closed: no decider, a decider error, or a failed record all mean deny. Decision and record run in
 * the runtime's process (no extra hop on the hot path); key material stays with the monitor's
 * owner (the attestation and log parts), never with the runtime's handlers or the agents. */
#ifndef OMEGA_MONITOR_H
#define OMEGA_MONITOR_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/decision.h"
#include "core/error.h"

/* Provenance hook: called after the decision and before the runtime acts or acknowledges.
 * io_digest is SHA-256 over the request's inputs (see omega_monitor_io_digest). Returns 0 and the
 * record's sequence number in *seq, or a negative code (then the runtime denies the request). */
typedef int (*omega_record_fn)(void *ctx, const struct omega_action *a, const struct omega_decision *d,
                               const uint8_t io_digest[32], uint64_t *seq);

struct omega_monitor_stats {
    _Atomic uint64_t decisions, allowed, denied, decider_errors, records, record_errors;
};

/* Durability gate: 1 once record seq is durable. With a log that commits in groups (batch mode), the
 * runtime acts once the record is queued but answers the agent only once this says 1 (the write-ahead
 * rule: nothing is acknowledged before its record is durable), serving other agents meanwhile. */
typedef int (*omega_durable_fn)(void *ctx, uint64_t seq);

/* Counter: tells the decider that an action it did not allow (an ask) was allowed after all, so that
 * rate windows it keeps see the call. */
typedef int (*omega_count_fn)(void *ctx, const struct omega_action *a);

struct omega_monitor {
    omega_decide_fn decide;   /* NULL: deny everything */
    void *decide_ctx;
    omega_count_fn count;     /* NULL: the decider keeps no counts of its own */
    int ignores_args;         /* the decider never reads omega_action.args (so nobody need parse them) */
    omega_record_fn record;   /* NULL: no provenance (nothing recorded, nothing hashed) */
    void *record_ctx;
    omega_durable_fn durable; /* NULL: a record is durable when the hook returns (sync mode) */
    void *durable_ctx;
    struct omega_monitor_stats stats;
};

/* A monitor that denies everything until a decider is set. */
void omega_monitor_init(struct omega_monitor *m);
/* Plug in the decider (borrowed ctx). */
void omega_monitor_set_decider(struct omega_monitor *m, omega_decide_fn fn, void *ctx);
/* Say that the decider just plugged in never reads omega_action.args. */
void omega_monitor_decider_ignores_args(struct omega_monitor *m);
/* Plug in the decider's counter (same ctx as the decider); NULL removes it. */
void omega_monitor_set_counter(struct omega_monitor *m, omega_count_fn fn);
/* Tell the decider an action was allowed after its decision (an approved ask); 0 without a counter. */
int omega_monitor_count(struct omega_monitor *m, const struct omega_action *a);
/* Plug in the provenance hook (borrowed ctx); NULL removes it. */
void omega_monitor_set_recorder(struct omega_monitor *m, omega_record_fn fn, void *ctx);
/* Plug in the durability gate (borrowed ctx); NULL removes it. */
void omega_monitor_set_durable(struct omega_monitor *m, omega_durable_fn fn, void *ctx);
/* Decide a: fills d; always leaves a usable verdict (deny on any failure). Returns 0 when the decider
 * answered, else its negative code (d is then a deny). Hot path: no allocation. */
int omega_monitor_decide(struct omega_monitor *m, const struct omega_action *a, struct omega_decision *d);
/* Record a decided action; 0 if recorded (or no hook), negative when the hook failed. */
int omega_monitor_record(struct omega_monitor *m, const struct omega_action *a, const struct omega_decision *d,
                         const uint8_t io_digest[32], uint64_t *seq) OMEGA_MUST_CHECK;
/* SHA-256 binding a request's inputs: agent, method, target and payload, each length-prefixed. */
void omega_monitor_io_digest(const char *agent, const char *method, const char *target, const void *payload,
                             size_t plen, uint8_t out[32]);

#endif
