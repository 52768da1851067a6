/* Fuzz the redaction of agent payloads (a hostile agent chooses the bytes a redact decision masks) and
 * the approval-rule parser (an operator's file): no crash, no leak, and a masked result is itself
 * JSON that masking again leaves alone, with no member of a masked name left unmasked. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/approve.h"
#include "core/buf.h"
#include "core/redact.h"

/* Whether any member named in fields still holds something else than the mask. */
static int leaks(const json_t *v, const char *const *fields, uint32_t n)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach((json_t *)v, k, m) {
            for (uint32_t i = 0; i < n; i++)
                if (strcmp(k, fields[i]) == 0 && !(json_is_string(m) && strcmp(json_string_value(m), OMEGA_REDACTED) == 0))
                    return 1;
            if (leaks(m, fields, n))
                return 1;
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (leaks(json_array_get(v, i), fields, n))
                return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const fields[] = {"ssn", "email", "a", ""};
    struct omega_buf out, again;
    omega_buf_init(&out);
    omega_buf_init(&again);
    struct omega_error err = {0};
    int n = omega_redact_json(data, size, fields, 4, &out, &err);
    if (n >= 0) {
        json_t *j = json_loadb((const char *)out.data, out.len, 0, NULL);
        if (!j || leaks(j, fields, 4))
            abort();
        json_decref(j);
        if (omega_redact_json(out.data, out.len, fields, 4, &again, &err) < 0 || again.len != out.len ||
            memcmp(again.data, out.data, out.len) != 0)
            abort();
    }
    omega_buf_fini(&out);
    omega_buf_fini(&again);
    struct omega_approval_rules *r = omega_approval_rules_parse((const char *)data, size, &err);
    omega_approval_rules_free(r);
    return 0;
}
