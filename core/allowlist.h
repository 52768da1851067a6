/* The config-file allow-list: the monitor's decider until the policy engine lands.
 * File format (JSON):
 *   {"allow": [{"agent": "a1", "action": "tools/call", "target": "echo"},
 *              {"agent": "*",  "action": "send",       "target": "a2", "max": 100}],
 *    "deny":  [{"agent": "a3", "action": "*", "target": "*"}]}
 * "*" matches anything; a name ending in "*" matches by prefix ("a*"). "max" (optional) allows at most
 * that many calls of one (agent, action, target) (the action's count). Default deny; a matching
 * "deny" rule overrides any "allow". Decisions name the rule that determined them: "allow[i]",
 * "deny[i]", or "default-deny". */
#ifndef OMEGA_ALLOWLIST_H
#define OMEGA_ALLOWLIST_H

#include <stddef.h>
#include <stdint.h>

#include "core/decision.h"
#include "core/error.h"
#include "core/monitor.h"

struct omega_allowlist;

/* Parse an allow-list from JSON text (len bytes); owned result. */
struct omega_allowlist *omega_allowlist_parse(const char *text, size_t len, struct omega_error *err);
/* Load an allow-list file (at most 1 MiB). */
struct omega_allowlist *omega_allowlist_load(const char *path, struct omega_error *err);
/* Free; NULL is a no-op. */
void omega_allowlist_free(struct omega_allowlist *al);
/* Number of rules (allow + deny). */
size_t omega_allowlist_size(const struct omega_allowlist *al);
/* Whether name s matches pattern pat: "*" anything, a trailing "*" a prefix, else equal. */
int omega_allowlist_match(const char *pat, const char *s);
/* The omega_decide_fn: ctx is the allow-list. No allocation. */
int omega_allowlist_decide(void *ctx, const struct omega_action *a, struct omega_decision *d);
/* Make al (borrowed) m's decider; it matches agent, action, target and count, never arguments. */
void omega_allowlist_install(struct omega_monitor *m, struct omega_allowlist *al);

#endif
