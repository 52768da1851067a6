/* The policy engine: a Cedar-compatible language (permit/forbid, conditions, entity hierarchies,
 * extension types, templates) compiled once into an indexed form and evaluated per request without
 * parsing or allocation; agent extensions (labels, tool arguments, counts, ask/redact decisions).
 * Policy ids are Cedar's: policy0, policy1, … in source order; @id("…") is reported beside. */
#ifndef OMEGA_POLICY_H
#define OMEGA_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/decision.h"
#include "core/error.h"

struct omega_policy_set;   /* compiled policies (opaque) */
struct omega_entities;     /* an entity store: attributes, tags, the ancestor closure (opaque) */

/* Parse and compile Cedar policy text; file names the source in errors (file:line:col). Owned result. */
int omega_policy_set_parse(const char *text, size_t len, const char *file, struct omega_policy_set **out,
                           struct omega_error *err) OMEGA_MUST_CHECK;
/* Parse a policy file (see omega_policy_set_parse). */
int omega_policy_set_load(const char *path, struct omega_policy_set **out, struct omega_error *err) OMEGA_MUST_CHECK;
/* Link templates: Cedar's templateLinks JSON ([{"templateId","newId","values":{"?principal":uid}}]). */
int omega_policy_set_link(struct omega_policy_set *ps, const json_t *links, struct omega_error *err) OMEGA_MUST_CHECK;
/* Free a policy set; NULL is a no-op. */
void omega_policy_set_free(struct omega_policy_set *ps);
/* Number of active (static and linked) policies. */
uint32_t omega_policy_set_count(const struct omega_policy_set *ps);
/* Cedar id of active policy i (borrowed). */
const char *omega_policy_set_id(const struct omega_policy_set *ps, uint32_t i);
/* The @id annotation of active policy i, or NULL (borrowed). */
const char *omega_policy_set_annot_id(const struct omega_policy_set *ps, uint32_t i);

/* Build an entity store from Cedar's entities JSON (an array of {uid, attrs, parents, tags}). Owned. */
int omega_entities_from_json(const json_t *j, struct omega_entities **out, struct omega_error *err) OMEGA_MUST_CHECK;
/* Load an entities JSON file. */
int omega_entities_load(const char *path, struct omega_entities **out, struct omega_error *err) OMEGA_MUST_CHECK;
/* An empty store. */
struct omega_entities *omega_entities_empty(void);
/* Free a store; NULL is a no-op. */
void omega_entities_free(struct omega_entities *es);
/* Number of entities. */
uint32_t omega_entities_count(const struct omega_entities *es);

/* The answer to one request, with room for every policy of the set. */
struct omega_policy_result {
    enum omega_verdict verdict;   /* allow/deny from Cedar's rules, then ask/redact from annotations */
    int cedar_allow;              /* Cedar's own decision */
    uint32_t nreasons;            /* determining policies, indices in source order */
    uint32_t *reasons;
    uint32_t nerrors;             /* policies skipped because their condition errored */
    uint32_t *errors;
    char (*errmsg)[160];
    uint32_t nredact;
    const char *redact[OMEGA_DECISION_MAX_REDACT];
};
/* A result sized for ps (owned; free with omega_policy_result_free). */
struct omega_policy_result *omega_policy_result_new(const struct omega_policy_set *ps);
/* Free a result; NULL is a no-op. */
void omega_policy_result_free(struct omega_policy_result *r);

/* Evaluate a request in Cedar's JSON form {"principal","action","resource","context"}; es may be NULL.
 * Returns 0 (the answer in r) or a negative code for a malformed request. */
int omega_policy_eval_json(const struct omega_policy_set *ps, const struct omega_entities *es, const json_t *req,
                           struct omega_policy_result *r, struct omega_error *err) OMEGA_MUST_CHECK;
/* The answer as one JSON object {"decision","policies":[ids],"annotated":[...],"errors":[...]} (new ref). */
json_t *omega_policy_result_json(const struct omega_policy_set *ps, const struct omega_policy_result *r);

/* The monitor's decider (core/decision.h): ctx is a struct omega_policy_engine. Allocation-free. */
struct omega_policy_engine;
/* An engine over a policy set and a store (both borrowed until replaced or the engine is freed). */
struct omega_policy_engine *omega_policy_engine_new(const struct omega_policy_set *ps, const struct omega_entities *es);
/* Hot reload: later decisions use ps/es; decisions in flight finish on the old ones. Returns the
 * previous set (the caller frees it once no decision can still be using it). */
const struct omega_policy_set *omega_policy_engine_swap(struct omega_policy_engine *eng, const struct omega_policy_set *ps);
/* Free an engine; NULL is a no-op. */
void omega_policy_engine_free(struct omega_policy_engine *eng);
/* Decide one agent action (the fixed action → request mapping of core/decision.h). When a policy
 * reads context.rate, the engine keeps its sliding windows itself (clock: a->now_ns). */
int omega_policy_decide(void *ctx, const struct omega_action *a, struct omega_decision *d);
/* Count one allowed call of a in the engine's context.rate windows (for an ask a human approved later). */
int omega_policy_count_allowed(void *ctx, const struct omega_action *a);
/* Same, also filling a full result (for reporting errors); r may be NULL. */
int omega_policy_decide_full(struct omega_policy_engine *eng, const struct omega_action *a, struct omega_decision *d,
                             struct omega_policy_result *r);

/* Validate a policy set against a Cedar JSON schema: unknown entity types, actions, attributes and
 * actions applied to the wrong types are reported one per line as "file:line:col: message" into out.
 * The agent extensions are checked with or without a schema (schema NULL: only they are): a
 * context.rate field other than minute, hour and day, or a count ordered against a non-Long.
 * Returns the number of problems found (0: valid), or a negative code for a malformed schema. */
int omega_policy_validate(const struct omega_policy_set *ps, const json_t *schema, const char *file, char *out,
                          size_t outlen, struct omega_error *err);

#endif
