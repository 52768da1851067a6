/* Approvers for ask decisions (approve.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/approve.h"
#include "core/allowlist.h"
#include "core/buf.h"

#define FIELD_MAX 128

struct approval_rule {
    char agent[FIELD_MAX], action[FIELD_MAX], target[FIELD_MAX];   /* "" or "*": any */
};

struct omega_approval_rules {
    size_t n;
    struct approval_rule *rules;
};

int omega_approve_allow(void *ctx, const struct omega_action *a, const struct omega_decision *d)
{
    (void)ctx;
    (void)a;
    (void)d;
    return 1;
}

int omega_approve_deny(void *ctx, const struct omega_action *a, const struct omega_decision *d)
{
    (void)ctx;
    (void)a;
    (void)d;
    return 0;
}

/* An absent field (empty) matches anything; the rest as in the allow-list. */
static int match(const char *pat, const char *s)
{
    return !pat[0] || omega_allowlist_match(pat, s);
}

static int take_field(const json_t *o, const char *key, char *out, size_t line, struct omega_error *err)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= FIELD_MAX ||
        strlen(json_string_value(v)) != json_string_length(v))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "approval rules: line %zu: \"%s\" must be a non-empty string under %d bytes",
                   line, key, FIELD_MAX);
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int parse_line(struct approval_rule *u, const char *p, size_t n, size_t line, struct omega_error *err)
{
    json_error_t je;
    json_t *o = json_loadb(p, n, 0, &je);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        OMEGA_FAIL(err, OMEGA_EFORMAT, "approval rules: line %zu: not a JSON object%s%s", line, o ? "" : ": ",
                   o ? "" : je.text);
    }
    memset(u, 0, sizeof *u);
    int rc = take_field(o, "agent", u->agent, line, err);
    if (rc == 0)
        rc = take_field(o, "action", u->action, line, err);
    if (rc == 0)
        rc = take_field(o, "target", u->target, line, err);
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val) {
        if (rc == 0 && strcmp(key, "agent") && strcmp(key, "action") && strcmp(key, "target"))
            rc = omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__,
                                 "approval rules: line %zu: unknown field \"%s\"", line, key);
    }
    json_decref(o);
    return rc;
}

struct omega_approval_rules *omega_approval_rules_parse(const char *text, size_t len, struct omega_error *err)
{
    struct omega_approval_rules *r = calloc(1, sizeof *r);
    size_t cap = 0;
    if (!r) {
        omega_error_set(err, OMEGA_ENOMEM, __FILE__, __LINE__, "approval rules: out of memory");
        return NULL;
    }
    size_t line = 0;
    for (size_t off = 0; off < len;) {
        const char *p = text + off;
        const char *nl = memchr(p, '\n', len - off);
        size_t n = nl ? (size_t)(nl - p) : len - off;
        off += n + (nl != NULL);
        line++;
        size_t k = 0;
        while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'))
            k++;
        if (k == n || p[k] == '#')
            continue;
        if (r->n == cap) {
            size_t nc = cap ? 2 * cap : 8;
            struct approval_rule *g = realloc(r->rules, nc * sizeof *g);
            if (!g) {
                omega_error_set(err, OMEGA_ENOMEM, __FILE__, __LINE__, "approval rules: out of memory");
                goto fail;
            }
            r->rules = g;
            cap = nc;
        }
        if (parse_line(&r->rules[r->n], p, n, line, err) < 0)
            goto fail;
        r->n++;
    }
    return r;
fail:
    omega_approval_rules_free(r);
    return NULL;
}

struct omega_approval_rules *omega_approval_rules_load(const char *path, struct omega_error *err)
{
    struct omega_buf b;
    omega_buf_init(&b);
    if (omega_buf_read_file(&b, path, 1u << 20, err) < 0) {
        omega_buf_fini(&b);
        return NULL;
    }
    struct omega_approval_rules *r = omega_approval_rules_parse((const char *)b.data, b.len, err);
    omega_buf_fini(&b);
    return r;
}

void omega_approval_rules_free(struct omega_approval_rules *r)
{
    if (!r)
        return;
    free(r->rules);
    free(r);
}

size_t omega_approval_rules_count(const struct omega_approval_rules *r) { return r->n; }

int omega_approval_rules_approve(void *ctx, const struct omega_action *a, const struct omega_decision *d)
{
    const struct omega_approval_rules *r = ctx;
    (void)d;
    if (!r)
        return OMEGA_EINVAL;
    for (size_t i = 0; i < r->n; i++) {
        const struct approval_rule *u = &r->rules[i];
        if (match(u->agent, a->agent) && match(u->action, a->method) && match(u->target, a->target))
            return 1;
    }
    return 0;
}

int omega_approver_open(struct omega_approver *ap, const char *spec, struct omega_error *err)
{
    memset(ap, 0, sizeof *ap);
    if (!spec || !*spec)
        OMEGA_FAIL(err, OMEGA_EINVAL, "approver: empty name");
    if (strcmp(spec, "allow") == 0) {
        ap->fn = omega_approve_allow;
        ap->name = "allow";
    } else if (strcmp(spec, "deny") == 0) {
        ap->fn = omega_approve_deny;
        ap->name = "deny";
    } else {
        if (!(ap->rules = omega_approval_rules_load(spec, err)))
            return err && err->code ? err->code : OMEGA_EFORMAT;
        ap->fn = omega_approval_rules_approve;
        ap->ctx = ap->rules;
        ap->name = "file";
    }
    return 0;
}

void omega_approver_close(struct omega_approver *ap)
{
    omega_approval_rules_free(ap->rules);
    memset(ap, 0, sizeof *ap);
}
