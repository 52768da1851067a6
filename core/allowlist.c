#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/allowlist.h"
#include "core/buf.h"

#define FIELD_MAX 128

struct rule {
    char agent[FIELD_MAX], action[FIELD_MAX], target[FIELD_MAX];
    char id[24];
    int deny;
    uint64_t max;   /* 0: no cap */
};

struct omega_allowlist {
    size_t n;
    struct rule *rules;
};

int omega_allowlist_match(const char *pat, const char *s)
{
    size_t l = strlen(pat);
    if (l && pat[l - 1] == '*')
        return strncmp(pat, s, l - 1) == 0;
    return strcmp(pat, s) == 0;
}

static int take_str(const json_t *o, const char *key, char *out, const char *where, struct omega_error *err)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "allow-list: %s has no \"%s\"", where, key);
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= FIELD_MAX ||
        strlen(json_string_value(v)) != json_string_length(v))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "allow-list: %s.%s must be a non-empty string under %d bytes", where, key,
                   FIELD_MAX);
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int take_rules(struct omega_allowlist *al, const json_t *root, const char *name, int deny,
                      struct omega_error *err)
{
    const json_t *arr = json_object_get(root, name);
    if (!arr)
        return 0;
    if (!json_is_array(arr))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "allow-list: \"%s\" must be an array", name);
    size_t i;
    const json_t *r;
    json_array_foreach(arr, i, r) {
        char where[40];
        snprintf(where, sizeof where, "%s[%zu]", name, i);
        if (!json_is_object(r))
            OMEGA_FAIL(err, OMEGA_EFORMAT, "allow-list: %s must be an object", where);
        struct rule *u = &al->rules[al->n];
        memset(u, 0, sizeof *u);
        OMEGA_TRY(take_str(r, "agent", u->agent, where, err));
        OMEGA_TRY(take_str(r, "action", u->action, where, err));
        OMEGA_TRY(take_str(r, "target", u->target, where, err));
        const json_t *mx = json_object_get(r, "max");
        if (mx) {
            if (!json_is_integer(mx) || json_integer_value(mx) < 0)
                OMEGA_FAIL(err, OMEGA_EFORMAT, "allow-list: %s.max must be a non-negative integer", where);
            u->max = (uint64_t)json_integer_value(mx);
            if (u->max == 0)
                u->deny = 1;   /* "max": 0 allows nothing */
        }
        const char *key;
        const json_t *val;
        json_object_foreach((json_t *)r, key, val) {
            if (strcmp(key, "agent") && strcmp(key, "action") && strcmp(key, "target") && strcmp(key, "max"))
                OMEGA_FAIL(err, OMEGA_EFORMAT, "allow-list: %s has unknown field \"%s\"", where, key);
        }
        u->deny |= deny;
        memcpy(u->id, where, strlen(where) + 1);
        al->n++;
    }
    return 0;
}

struct omega_allowlist *omega_allowlist_parse(const char *text, size_t len, struct omega_error *err)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__, "allow-list: line %d: %s", je.line, je.text);
        return NULL;
    }
    struct omega_allowlist *al = calloc(1, sizeof *al);
    int rc = OMEGA_ENOMEM;
    if (!al)
        goto out;
    if (!json_is_object(root)) {
        rc = omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__, "allow-list: top level must be an object");
        goto out;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        if (strcmp(key, "allow") && strcmp(key, "deny")) {
            rc = omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__, "allow-list: unknown field \"%s\"", key);
            goto out;
        }
    }
    size_t total = json_array_size(json_object_get(root, "allow")) + json_array_size(json_object_get(root, "deny"));
    al->rules = calloc(total ? total : 1, sizeof *al->rules);
    if (!al->rules)
        goto out;
    if ((rc = take_rules(al, root, "allow", 0, err)) < 0 || (rc = take_rules(al, root, "deny", 1, err)) < 0)
        goto out;
    json_decref(root);
    return al;
out:
    if (rc == OMEGA_ENOMEM)
        omega_error_set(err, OMEGA_ENOMEM, __FILE__, __LINE__, "allow-list: out of memory");
    json_decref(root);
    omega_allowlist_free(al);
    return NULL;
}

struct omega_allowlist *omega_allowlist_load(const char *path, struct omega_error *err)
{
    struct omega_buf b;
    omega_buf_init(&b);
    if (omega_buf_read_file(&b, path, 1u << 20, err) < 0) {
        omega_buf_fini(&b);
        return NULL;
    }
    struct omega_allowlist *al = omega_allowlist_parse((const char *)b.data, b.len, err);
    omega_buf_fini(&b);
    return al;
}

void omega_allowlist_free(struct omega_allowlist *al)
{
    if (!al)
        return;
    free(al->rules);
    free(al);
}

size_t omega_allowlist_size(const struct omega_allowlist *al) { return al->n; }

int omega_allowlist_decide(void *ctx, const struct omega_action *a, struct omega_decision *d)
{
    const struct omega_allowlist *al = ctx;
    if (!al || !a->agent || !a->method || !a->target)
        return OMEGA_EINVAL;
    const struct rule *allow = NULL;
    for (size_t i = 0; i < al->n; i++) {
        const struct rule *u = &al->rules[i];
        if (!omega_allowlist_match(u->agent, a->agent) || !omega_allowlist_match(u->action, a->method) ||
            !omega_allowlist_match(u->target, a->target))
            continue;
        if (u->deny) {   /* forbid overrides permit */
            d->verdict = OMEGA_DENY;
            d->npolicies = 1;
            d->policies[0] = u->id;
            return 0;
        }
        if (u->max && a->count >= u->max)
            continue;
        if (!allow)
            allow = u;
    }
    d->verdict = allow ? OMEGA_ALLOW : OMEGA_DENY;
    d->npolicies = 1;
    d->policies[0] = allow ? allow->id : "default-deny";
    return 0;
}

void omega_allowlist_install(struct omega_monitor *m, struct omega_allowlist *al)
{
    omega_monitor_set_decider(m, omega_allowlist_decide, al);
    omega_monitor_decider_ignores_args(m);
}
