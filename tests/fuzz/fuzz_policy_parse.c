/* libFuzzer target: policy text → parse and compile; when it parses, evaluate one fixed request so
 * the compiled form is exercised too. Any input must give a clean error or a decision. */
#include <stdint.h>
#include <string.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct omega_policy_set *ps = NULL;
    struct omega_error err = {0};
    if (omega_policy_set_parse((const char *)data, size, "fuzz", &ps, &err) != 0)
        return 0;
    static json_t *req;
    if (!req)
        req = json_loads("{\"principal\":{\"type\":\"User\",\"id\":\"a\"},\"action\":{\"type\":\"Action\",\"id\":\"view\"},"
                         "\"resource\":{\"type\":\"Doc\",\"id\":\"d\"},\"context\":{\"n\":1,\"s\":\"x\",\"set\":[1,2],"
                         "\"rec\":{\"a\":true}}}", 0, NULL);
    struct omega_policy_result *r = omega_policy_result_new(ps);
    if (r && omega_policy_eval_json(ps, NULL, req, r, &err) == 0) {
        json_t *j = omega_policy_result_json(ps, r);
        json_decref(j);
    }
    omega_policy_result_free(r);
    omega_policy_set_free(ps);
    return 0;
}
