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

static int set_union(struct omega_label_set *out, const struct omega_label_set *a, const struct omega_label_set *b)
{
    /* Merge of two sorted sets. */
    struct omega_label_set r;
    r.n = 0;
    uint32_t i = 0, j = 0;
    while (i < a->n || j < b->n) {
        const char *next;
        if (j == b->n) next = a->name[i++];
        else if (i == a->n) next = b->name[j++];
        else {
            int c = strcmp(a->name[i], b->name[j]);
            next = c <= 0 ? a->name[i] : b->name[j];
            if (c <= 0) i++;
            if (c >= 0) j++;
        }
        if (r.n == OMEGA_LABEL_SET_MAX)
            return OMEGA_EQUOTA;
        memcpy(r.name[r.n++], next, OMEGA_LABEL_NAME_MAX);
    }
    memcpy(out, &r, sizeof r);
    return 0;
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
    struct omega_label_set classes, regions;
    OMEGA_TRY(set_union(&classes, &acc->classes, &in->classes));
    OMEGA_TRY(set_union(&regions, &acc->regions, &in->regions));
    acc->classes = classes;
    acc->regions = regions;
    acc->untrusted |= in->untrusted;
    if (!in->readers_any) {
        if (acc->readers_any) {
            acc->readers = in->readers;
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
