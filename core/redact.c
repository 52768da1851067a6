/* Field masking for redact decisions (redact.h). */
#include <string.h>

#include <jansson.h>

#include "core/redact.h"

struct mask {
    const char *const *fields;
    uint32_t nfields;
    long masked;
};

static int is_field(const struct mask *m, const char *key)
{
    for (uint32_t i = 0; i < m->nfields; i++)
        if (strcmp(m->fields[i], key) == 0)
            return 1;
    return 0;
}

/* Depth is bounded by jansson's parser (2048 levels), so recursion stays well inside a thread's stack. */
static int mask_value(struct mask *m, json_t *v)
{
    if (json_is_object(v)) {
        for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
            if (is_field(m, json_object_iter_key(it))) {
                if (json_object_iter_set_new(v, it, json_string(OMEGA_REDACTED)) < 0)
                    return OMEGA_ENOMEM;
                m->masked++;
            } else if (mask_value(m, json_object_iter_value(it)) < 0) {
                return OMEGA_ENOMEM;
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child)
            if (mask_value(m, child) < 0)
                return OMEGA_ENOMEM;
    }
    return 0;
}

static int dump_to_buf(const char *p, size_t n, void *ctx)
{
    return omega_buf_append(ctx, p, n) < 0 ? -1 : 0;
}

int omega_redact_json(const void *p, size_t n, const char *const *fields, uint32_t nfields, struct omega_buf *out,
                      struct omega_error *err)
{
    json_error_t je;
    /* Flags 0: an object or array only, nothing after it, and no NUL inside strings (a masked copy
     * must read the same to every later parser). */
    json_t *root = json_loadb(p, n, 0, &je);
    out->len = 0;
    if (!root)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "not a JSON object or array (%s at byte %d)", je.text, je.position);
    struct mask m = {fields, nfields, 0};
    int rc = mask_value(&m, root);
    if (rc == 0 && json_dump_callback(root, dump_to_buf, out, JSON_COMPACT) != 0)
        rc = OMEGA_ENOMEM;
    json_decref(root);
    if (rc < 0) {
        out->len = 0;
        OMEGA_FAIL(err, rc, "cannot re-encode the masked JSON");
    }
    return m.masked > 0x7fffffff ? 0x7fffffff : (int)m.masked;
}
