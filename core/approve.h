/* Approvers: who answers the monitor's ask decisions (struct omega_decision verdict OMEGA_ASK). The
 * runtime calls its approver on the serve thread once the ask is recorded, records the outcome as
 * its own provenance record naming the approver ("approver:<name>"), and then performs the action
 * (approved) or denies it. Without an approver an ask is denied. An approver must answer at once:
 * the serve thread serves every agent, so one that waits for a person would stall them all.
 *
 * Built in: "allow" and "deny" (answer every ask the same way; for tests and measurement) and a rule
 * file, JSON Lines, one rule an object:
 *   {"agent": "a1", "action": "tools/call", "target": "pay"}
 * every field optional (absent: any); "*" matches anything and a trailing "*" a prefix, as in the
 * allow-list; blank lines and lines starting with '#' are skipped; any other field is an error. An
 * ask is approved when some rule matches it, else rejected. */
#ifndef OMEGA_APPROVE_H
#define OMEGA_APPROVE_H

#include <stddef.h>

#include "core/decision.h"
#include "core/error.h"

/* An approver: 1 approve, 0 reject, negative error (then the ask is denied). a and d are what was
 * decided and recorded; both are borrowed for the call. */
typedef int (*omega_approve_fn)(void *ctx, const struct omega_action *a, const struct omega_decision *d);

/* Approves every ask (ctx unused). */
int omega_approve_allow(void *ctx, const struct omega_action *a, const struct omega_decision *d);
/* Rejects every ask (ctx unused); unlike no approver, each rejection is recorded. */
int omega_approve_deny(void *ctx, const struct omega_action *a, const struct omega_decision *d);

struct omega_approval_rules;

/* Parse rules from JSON Lines text (len bytes); owned result, NULL with err on a bad line. */
struct omega_approval_rules *omega_approval_rules_parse(const char *text, size_t len, struct omega_error *err);
/* Load a rule file (at most 1 MiB). */
struct omega_approval_rules *omega_approval_rules_load(const char *path, struct omega_error *err);
/* Free; NULL is a no-op. */
void omega_approval_rules_free(struct omega_approval_rules *r);
/* Number of rules. */
size_t omega_approval_rules_count(const struct omega_approval_rules *r);
/* The omega_approve_fn over rules (ctx): 1 when a rule matches a's agent, method and target. */
int omega_approval_rules_approve(void *ctx, const struct omega_action *a, const struct omega_decision *d);

/* One approver chosen by name, as the command line gives it. */
struct omega_approver {
    omega_approve_fn fn;
    void *ctx;
    const char *name;                     /* "allow", "deny" or "file" */
    struct omega_approval_rules *rules;   /* owned, for "file" */
};

/* spec: "allow", "deny", or the path of a rule file (write ./allow for a file named allow). */
int omega_approver_open(struct omega_approver *ap, const char *spec, struct omega_error *err) OMEGA_MUST_CHECK;
/* Release what _open made; a zeroed struct is a no-op. */
void omega_approver_close(struct omega_approver *ap);

#endif
