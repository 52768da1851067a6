/* libFuzzer target: request JSON (Cedar's form) and MCP tool arguments against a fixed policy set
 * that reads attributes, arguments and labels. Any input must give a clean error or a decision. */
#include <stdint.h>
#include <string.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char policies[] =
    "permit(principal, action, resource) when { context.args.amount <= 100 && context.args.to like \"*@x.com\" };\n"
    "forbid(principal, action, resource) when { context.args.items.contains(2) || context.args has meta.k };\n"
    "permit(principal in Group::\"g\", action, resource) when { context.labels.classes.isEmpty() && context.n > 1 };\n"
    "forbid(principal, action, resource) when { context.args == {\"a\": [1, decimal(\"1.5\")]} };\n"
    "permit(principal, action, resource) when { context.when < datetime(\"2025-01-01\") && context.ip.isIpv4() };\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct omega_policy_set *ps;
    static struct omega_policy_engine *eng;
    if (!ps) {
        if (omega_policy_set_parse(policies, sizeof policies - 1, "fuzz", &ps, NULL))
            return 0;
        eng = omega_policy_engine_new(ps, NULL);
    }
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!j)
        return 0;
    /* as a Cedar request */
    struct omega_policy_result *r = omega_policy_result_new(ps);
    if (r && omega_policy_eval_json(ps, NULL, j, r, NULL) == 0) {
        json_t *o = omega_policy_result_json(ps, r);
        json_decref(o);
    }
    omega_policy_result_free(r);
    /* as MCP tool arguments through the monitor's decider */
    struct omega_labels L;
    omega_labels_init(&L);
    struct omega_action a = {.kind = OMEGA_ACT_TOOL_CALL, .agent = "a", .method = "tools/call", .target = "t",
                             .args = j, .labels = &L};
    struct omega_decision d;
    (void)omega_policy_decide(eng, &a, &d);
    /* and as an entity store */
    struct omega_entities *es = NULL;
    if (omega_entities_from_json(j, &es, NULL) == 0)
        omega_entities_free(es);
    json_decref(j);
    return 0;
}
