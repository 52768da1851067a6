#include "core/labels.h"

#include <string.h>

void omega_labels_init(struct omega_labels *l)
{
    memset(l, 0, sizeof *l);
    l->readers_any = 1;
}

int omega_label_set_has(const struct omega_label_set *s, const char *name)
{
    for (uint32_t i = 0; i < s->n; i++)
        if (strcmp(s->name[i], name) == 0)
            return 1;
    return 0;
}

int omega_label_set_add(struct omega_label_set *s, const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len >= OMEGA_LABEL_NAME_MAX)
        return OMEGA_EINVAL;
    uint32_t pos = 0;
    while (pos < s->n) {
        int c = strcmp(s->name[pos], name);
        if (c == 0)
            return 0;
        if (c > 0)
            break;
        pos++;
    }
    if (s->n == OMEGA_LABEL_SET_MAX)
        return OMEGA_EQUOTA;
    memmove(s->name[pos + 1], s->name[pos], (size_t)(s->n - pos) * OMEGA_LABEL_NAME_MAX);
    memcpy(s->name[pos], name, len + 1);
    s->n++;
    return 0;
}

/* Names of b missing from a (both sorted, unique): one merge walk, nothing copied. */
static uint32_t set_missing(const struct omega_label_set *a, const struct omega_label_set *b)
{
    uint32_t i = 0, j = 0, extra = 0;
    while (j < b->n) {
        if (i == a->n)
            return extra + (b->n - j);
        int c = strcmp(a->name[i], b->name[j]);
        if (c <= 0)
            i++;
        if (c >= 0) {
            extra += c > 0;
            j++;
        }
    }
    return extra;
}

/* a := a ∪ b in place, merging from the back so no temporary set is built; the caller checked that
 * extra (= set_missing(a, b)) more names fit. */
static void set_merge(struct omega_label_set *a, const struct omega_label_set *b, uint32_t extra)
{
    if (!extra)
        return;
    int64_t i = (int64_t)a->n - 1, j = (int64_t)b->n - 1, k = (int64_t)(a->n + extra) - 1;
    while (j >= 0) {
        int c = i >= 0 ? strcmp(a->name[i], b->name[j]) : -1;
        if (c > 0) {
            memcpy(a->name[k--], a->name[i--], OMEGA_LABEL_NAME_MAX);
        } else {
            memcpy(a->name[k--], b->name[j--], OMEGA_LABEL_NAME_MAX);
            i -= c == 0;   /* equal names: b's copy stands for both */
        }
    }
    a->n += extra;
}

static void set_intersect(struct omega_label_set *a, const struct omega_label_set *b)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < a->n; i++)
        if (omega_label_set_has(b, a->name[i]))
            memmove(a->name[k++], a->name[i], OMEGA_LABEL_NAME_MAX);
    a->n = k;
}

int omega_labels_join(struct omega_labels *acc, const struct omega_labels *in)
{
    /* Both sets are checked before either changes, so a join over quota leaves acc as it was. Once
     * an agent's context holds what it reads, nothing is missing and nothing is copied. */
    uint32_t xc = set_missing(&acc->classes, &in->classes), xr = set_missing(&acc->regions, &in->regions);
    if (acc->classes.n + xc > OMEGA_LABEL_SET_MAX || acc->regions.n + xr > OMEGA_LABEL_SET_MAX)
        return OMEGA_EQUOTA;
    set_merge(&acc->classes, &in->classes, xc);
    set_merge(&acc->regions, &in->regions, xr);
    acc->untrusted |= in->untrusted;
    if (!in->readers_any) {
        if (acc->readers_any) {
            acc->readers.n = in->readers.n;
            memcpy(acc->readers.name, in->readers.name, (size_t)in->readers.n * OMEGA_LABEL_NAME_MAX);
            acc->readers_any = 0;
        } else {
            set_intersect(&acc->readers, &in->readers);
        }
    }
    return 0;
}

static int set_from_json(struct omega_label_set *s, const json_t *arr, const char *field, struct omega_error *err)
{
    if (!json_is_array(arr))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "labels: \"%s\" must be an array of strings", field);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v))
            OMEGA_FAIL(err, OMEGA_EFORMAT, "labels: \"%s\"[%zu] is not a string", field, i);
        int rc = omega_label_set_add(s, json_string_value(v));
        if (rc == OMEGA_EINVAL)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "labels: \"%s\"[%zu] is empty or longer than %d bytes", field, i,
                       OMEGA_LABEL_NAME_MAX - 1);
        if (rc < 0)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "labels: \"%s\" has more than %d names", field, OMEGA_LABEL_SET_MAX);
    }
    return 0;
}

int omega_labels_from_json(struct omega_labels *l, const json_t *j, struct omega_error *err)
{
    omega_labels_init(l);
    if (!j || json_is_null(j))
        return 0;
    if (!json_is_object(j))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "labels must be a JSON object");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        if (strcmp(k, "integrity") == 0) {
            const char *s = json_string_value(v);
            if (s && strcmp(s, "trusted") == 0) l->untrusted = 0;
            else if (s && strcmp(s, "untrusted") == 0) l->untrusted = 1;
            else OMEGA_FAIL(err, OMEGA_EFORMAT, "labels: integrity must be \"trusted\" or \"untrusted\"");
        } else if (strcmp(k, "classes") == 0) {
            OMEGA_TRY(set_from_json(&l->classes, v, k, err));
        } else if (strcmp(k, "regions") == 0) {
            OMEGA_TRY(set_from_json(&l->regions, v, k, err));
        } else if (strcmp(k, "readers") == 0) {
            l->readers_any = 0;
            OMEGA_TRY(set_from_json(&l->readers, v, k, err));
        } else {
            OMEGA_FAIL(err, OMEGA_EFORMAT, "labels: unknown field \"%s\"", k);
        }
    }
    return 0;
}

static json_t *set_to_json(const struct omega_label_set *s)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < s->n; i++)
        json_array_append_new(a, json_string(s->name[i]));
    return a;
}

json_t *omega_labels_to_json(const struct omega_labels *l)
{
    json_t *o = json_object();
    json_object_set_new(o, "integrity", json_string(l->untrusted ? "untrusted" : "trusted"));
    json_object_set_new(o, "classes", set_to_json(&l->classes));
    json_object_set_new(o, "regions", set_to_json(&l->regions));
    if (!l->readers_any)
        json_object_set_new(o, "readers", set_to_json(&l->readers));
    return o;
}
