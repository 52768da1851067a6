/* The evaluator: Cedar's semantics over the compiled form. A condition that errors skips its policy
 * and is reported; default deny; a satisfied forbid wins. What one request builds (sets, records,
 * extension values) lives in the per-thread arena, so a decision allocates nothing. */
#include <stdio.h>
#include <string.h>

#include "policy/policy_int.h"

struct penv {
    const struct omega_entities *es;
    const struct preq *rq;
    const struct pentity *pe_principal, *pe_action, *pe_resource;   /* found once per request */
    char *msg;
    size_t msglen;
};

static int everr(struct penv *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int everr(struct penv *env, const char *fmt, ...)
{
    if (env->msg && env->msglen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(env->msg, env->msglen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int type_err(struct penv *env, const char *want, const struct pval *got)
{
    return everr(env, "type error: expected %s, got %s", want, pv_type_name(got->t));
}

static int ev(struct penv *env, const struct pexpr *e, struct pval *out);

static int ev_bool(struct penv *env, const struct pexpr *e, int *b)
{
    struct pval v;
    if (ev(env, e, &v))
        return -1;
    if (v.t != PV_BOOL)
        return type_err(env, "bool", &v);
    *b = v.u.b;
    return 0;
}

static int like_match(const struct plike *p, uint32_t np, const char *s, uint32_t ns)
{
    uint32_t pi = 0, si = 0, star = UINT32_MAX, mark = 0;
    while (si < ns) {
        if (pi < np && !p[pi].wild && p[pi].c == s[si]) {
            pi++;
            si++;
        } else if (pi < np && p[pi].wild) {
            star = pi++;
            mark = si;
        } else if (star != UINT32_MAX) {
            pi = star + 1;
            si = ++mark;
        } else {
            return 0;
        }
    }
    while (pi < np && p[pi].wild)
        pi++;
    return pi == np;
}

static const struct pentity *find(const struct penv *env, const struct puid *u)
{
    if (u == env->rq->principal) return env->pe_principal;
    if (u == env->rq->resource) return env->pe_resource;
    if (u == env->rq->action) return env->pe_action;
    return pent_find(env->es, u);
}

static int entity_of(struct penv *env, const struct pval *v, const struct pentity **ent, int need)
{
    *ent = find(env, v->u.e);
    if (!*ent && need)
        return everr(env, "entity `%.*s::\"%.*s\"` does not exist", (int)v->u.e->type.n, v->u.e->type.p,
                     (int)v->u.e->id.n, v->u.e->id.p);
    return 0;
}

/* value.attr (record or entity) */
static int get_attr(struct penv *env, const struct pval *v, const struct pstr *k, struct pval *out)
{
    const struct pval *r;
    if (v->t == PV_JSON) {
        const json_t *x = json_is_object(v->u.j) ? json_object_getn(v->u.j, k->p, k->n) : NULL;
        if (!json_is_object(v->u.j))
            return type_err(env, "entity or record", &(struct pval){.t = PV_SET});
        if (!x || pjson_lazy(x, out))
            return everr(env, "record does not have the attribute `%.*s`", (int)k->n, k->p);
        return 0;
    }
    if (v->t == PV_RECORD) {
        r = prec_get(v, k);
        if (!r)
            return everr(env, "record does not have the attribute `%.*s`", (int)k->n, k->p);
    } else if (v->t == PV_ENTITY) {
        const struct pentity *ent;
        if (entity_of(env, v, &ent, 1))
            return -1;
        r = prec_get(&ent->attrs, k);
        if (!r)
            return everr(env, "`%.*s::\"%.*s\"` does not have the attribute `%.*s`", (int)v->u.e->type.n,
                         v->u.e->type.p, (int)v->u.e->id.n, v->u.e->id.p, (int)k->n, k->p);
    } else {
        return type_err(env, "entity or record", v);
    }
    *out = *r;
    return 0;
}

/* value has attr: 1/0, or -1 on a type error */
static int has_attr(struct penv *env, const struct pval *v, const struct pstr *k)
{
    if (v->t == PV_JSON) {
        if (!json_is_object(v->u.j))
            return type_err(env, "entity or record", &(struct pval){.t = PV_SET});
        const json_t *x = json_object_getn(v->u.j, k->p, k->n);
        return x && !json_is_null(x);
    }
    if (v->t == PV_RECORD)
        return prec_get(v, k) != NULL;
    if (v->t == PV_ENTITY) {
        const struct pentity *ent;
        entity_of(env, v, &ent, 0);
        return ent && prec_get(&ent->attrs, k) != NULL;
    }
    return type_err(env, "entity or record", v);
}

static int in_entity(struct penv *env, const struct pval *a, const struct pval *b, int *res)
{
    if (a->t != PV_ENTITY)
        return type_err(env, "entity", a);
    if (b->t == PV_ENTITY) {
        *res = pent_in_ent(find(env, a->u.e), a->u.e, b->u.e);
        return 0;
    }
    if (b->t != PV_SET)
        return type_err(env, "set or entity", b);
    for (uint32_t i = 0; i < b->n; i++)
        if (b->u.set[i].t != PV_ENTITY)
            return type_err(env, "entity", &b->u.set[i]);
    *res = 0;
    const struct pentity *ea = find(env, a->u.e);
    for (uint32_t i = 0; i < b->n && !*res; i++)
        *res = pent_in_ent(ea, a->u.e, b->u.set[i].u.e);
    return 0;
}

static int set_contains(const struct pval *set, const struct pval *v)
{
    for (uint32_t i = 0; i < set->n; i++)
        if (pv_eq(&set->u.set[i], v))
            return 1;
    return 0;
}

static int ext_str_arg(struct penv *env, const struct pval *v, const char *fn)
{
    if (v->t != PV_STR)
        return everr(env, "type error: `%s` expects a string, got %s", fn, pv_type_name(v->t));
    return 0;
}

static int ev_call(struct penv *env, const struct pexpr *e, struct pval *out)
{
    struct pval a;
    if (ev(env, e->args[0], &a))
        return -1;
    switch (e->fn) {
    case PF_DECIMAL:
        if (ext_str_arg(env, &a, "decimal"))
            return -1;
        out->t = PV_DECIMAL;
        if (pext_decimal_parse(a.u.s.p, a.u.s.n, &out->u.i))
            return everr(env, "error while evaluating `decimal` extension function: bad decimal `%.*s`", (int)a.u.s.n,
                         a.u.s.p);
        return 0;
    case PF_IP: {
        if (ext_str_arg(env, &a, "ip"))
            return -1;
        struct pip *ip = parena_alloc(sizeof *ip);
        if (!ip)
            return everr(env, "evaluation arena exhausted");
        if (pext_ip_parse(a.u.s.p, a.u.s.n, ip))
            return everr(env, "error while evaluating `ipaddr` extension function: invalid IP address: %.*s",
                         (int)a.u.s.n, a.u.s.p);
        out->t = PV_IP;
        out->u.ip = ip;
        return 0;
    }
    case PF_DATETIME:
        if (ext_str_arg(env, &a, "datetime"))
            return -1;
        out->t = PV_DATETIME;
        if (pext_datetime_parse(a.u.s.p, a.u.s.n, &out->u.i))
            return everr(env, "error while evaluating `datetime` extension function: bad datetime `%.*s`",
                         (int)a.u.s.n, a.u.s.p);
        return 0;
    case PF_DURATION:
        if (ext_str_arg(env, &a, "duration"))
            return -1;
        out->t = PV_DURATION;
        if (pext_duration_parse(a.u.s.p, a.u.s.n, &out->u.i))
            return everr(env, "error while evaluating `duration` extension function: bad duration `%.*s`",
                         (int)a.u.s.n, a.u.s.p);
        return 0;
    }
    return everr(env, "unknown function");
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int ev_method(struct penv *env, const struct pexpr *e, struct pval *out)
{
    struct pval r, a;
    if (ev(env, e->a, &r))
        return -1;
    if (e->nargs && ev(env, e->args[0], &a))
        return -1;
    out->t = PV_BOOL;
    switch (e->fn) {
    case PF_CONTAINS:
        if (r.t != PV_SET)
            return type_err(env, "set", &r);
        out->u.b = set_contains(&r, &a);
        return 0;
    case PF_CONTAINS_ALL:
    case PF_CONTAINS_ANY:
        if (r.t != PV_SET)
            return type_err(env, "set", &r);
        if (a.t != PV_SET)
            return type_err(env, "set", &a);
        if (e->fn == PF_CONTAINS_ALL) {
            out->u.b = 1;
            for (uint32_t i = 0; i < a.n && out->u.b; i++)
                out->u.b = set_contains(&r, &a.u.set[i]);
        } else {
            out->u.b = 0;
            for (uint32_t i = 0; i < a.n && !out->u.b; i++)
                out->u.b = set_contains(&r, &a.u.set[i]);
        }
        return 0;
    case PF_IS_EMPTY:
        if (r.t != PV_SET)
            return type_err(env, "set", &r);
        out->u.b = r.n == 0;
        return 0;
    case PF_HAS_TAG:
    case PF_GET_TAG: {
        if (r.t != PV_ENTITY)
            return type_err(env, "entity", &r);
        if (a.t != PV_STR)
            return type_err(env, "string", &a);
        const struct pentity *ent;
        if (entity_of(env, &r, &ent, e->fn == PF_GET_TAG))
            return -1;
        const struct pval *t = ent ? prec_get(&ent->tags, &a.u.s) : NULL;
        if (e->fn == PF_HAS_TAG) {
            out->u.b = t != NULL;
            return 0;
        }
        if (!t)
            return everr(env, "`%.*s::\"%.*s\"` does not have the tag `%.*s`", (int)r.u.e->type.n, r.u.e->type.p,
                         (int)r.u.e->id.n, r.u.e->id.p, (int)a.u.s.n, a.u.s.p);
        *out = *t;
        return 0;
    }
    case PF_LESS_THAN: case PF_LESS_EQ: case PF_GREATER_THAN: case PF_GREATER_EQ:
        if (r.t != PV_DECIMAL)
            return type_err(env, "decimal", &r);
        if (a.t != PV_DECIMAL)
            return type_err(env, "decimal", &a);
        out->u.b = e->fn == PF_LESS_THAN ? r.u.i < a.u.i : e->fn == PF_LESS_EQ ? r.u.i <= a.u.i
                 : e->fn == PF_GREATER_THAN ? r.u.i > a.u.i : r.u.i >= a.u.i;
        return 0;
    case PF_IS_IPV4: case PF_IS_IPV6: case PF_IS_LOOPBACK: case PF_IS_MULTICAST:
        if (r.t != PV_IP)
            return type_err(env, "ipaddr", &r);
        out->u.b = e->fn == PF_IS_IPV4 ? !r.u.ip->v6 : e->fn == PF_IS_IPV6 ? r.u.ip->v6
                 : e->fn == PF_IS_LOOPBACK ? pext_ip_loopback(r.u.ip) : pext_ip_multicast(r.u.ip);
        return 0;
    case PF_IS_IN_RANGE:
        if (r.t != PV_IP)
            return type_err(env, "ipaddr", &r);
        if (a.t != PV_IP)
            return type_err(env, "ipaddr", &a);
        out->u.b = pext_ip_in_range(r.u.ip, a.u.ip);
        return 0;
    case PF_OFFSET:
        if (r.t != PV_DATETIME)
            return type_err(env, "datetime", &r);
        if (a.t != PV_DURATION)
            return type_err(env, "duration", &a);
        out->t = PV_DATETIME;
        if (__builtin_add_overflow(r.u.i, a.u.i, &out->u.i))
            return everr(env, "overflow when computing datetime offset");
        return 0;
    case PF_DURATION_SINCE:
        if (r.t != PV_DATETIME)
            return type_err(env, "datetime", &r);
        if (a.t != PV_DATETIME)
            return type_err(env, "datetime", &a);
        out->t = PV_DURATION;
        if (__builtin_sub_overflow(r.u.i, a.u.i, &out->u.i))
            return everr(env, "overflow when computing duration");
        return 0;
    case PF_TO_DATE:
    case PF_TO_TIME: {
        if (r.t != PV_DATETIME)
            return type_err(env, "datetime", &r);
        int64_t day = floor_div(r.u.i, 86400000);
        int64_t start;
        if (__builtin_mul_overflow(day, 86400000, &start))
            return everr(env, "overflow when computing date");
        out->t = e->fn == PF_TO_DATE ? PV_DATETIME : PV_DURATION;
        out->u.i = e->fn == PF_TO_DATE ? start : r.u.i - start;
        return 0;
    }
    case PF_TO_MS: case PF_TO_S: case PF_TO_MIN: case PF_TO_H: case PF_TO_D: {
        if (r.t != PV_DURATION)
            return type_err(env, "duration", &r);
        static const int64_t div[] = {1, 1000, 60000, 3600000, 86400000};
        out->t = PV_LONG;
        out->u.i = r.u.i / div[e->fn - PF_TO_MS];
        return 0;
    }
    }
    return everr(env, "unknown method");
}

static int ev_raw(struct penv *env, const struct pexpr *e, struct pval *out);

/* Evaluate to a plain value: tool arguments still in JSON are converted here, where a value leaves
 * attribute access (so `context.args.amount` reads one field, never the whole arguments). */
static int ev(struct penv *env, const struct pexpr *e, struct pval *out)
{
    if (ev_raw(env, e, out))
        return -1;
    if (out->t == PV_JSON && pv_materialize(out))
        return everr(env, "tool arguments cannot be converted (nesting, null, or arena exhausted)");
    return 0;
}

static int ev_raw(struct penv *env, const struct pexpr *e, struct pval *out)
{
    struct pval a, b;
    int x = 0;
    switch (e->op) {
    case PE_LIT:
        *out = e->lit;
        return 0;
    case PE_VAR:
        switch (e->var) {
        case PVAR_PRINCIPAL: out->t = PV_ENTITY; out->u.e = env->rq->principal; return 0;
        case PVAR_ACTION: out->t = PV_ENTITY; out->u.e = env->rq->action; return 0;
        case PVAR_RESOURCE: out->t = PV_ENTITY; out->u.e = env->rq->resource; return 0;
        default: *out = env->rq->context; return 0;
        }
    case PE_NOT:
        if (ev_bool(env, e->a, &x))
            return -1;
        out->t = PV_BOOL;
        out->u.b = !x;
        return 0;
    case PE_NEG:
        if (ev(env, e->a, &a))
            return -1;
        if (a.t != PV_LONG)
            return type_err(env, "long", &a);
        if (a.u.i == INT64_MIN)
            return everr(env, "integer overflow while attempting to negate `%lld`", (long long)a.u.i);
        out->t = PV_LONG;
        out->u.i = -a.u.i;
        return 0;
    case PE_AND:
    case PE_OR:
        if (ev_bool(env, e->a, &x))
            return -1;
        out->t = PV_BOOL;
        if ((e->op == PE_AND) != !!x) {
            out->u.b = x;
            return 0;
        }
        if (ev_bool(env, e->b, &x))
            return -1;
        out->u.b = x;
        return 0;
    case PE_IF:
        if (ev_bool(env, e->a, &x))
            return -1;
        return ev(env, x ? e->b : e->c, out);
    case PE_EQ:
    case PE_NE:
        if (ev(env, e->a, &a) || ev(env, e->b, &b))
            return -1;
        out->t = PV_BOOL;
        out->u.b = pv_eq(&a, &b) == (e->op == PE_EQ);
        return 0;
    case PE_LT: case PE_LE: case PE_GT: case PE_GE:
        if (ev(env, e->a, &a) || ev(env, e->b, &b))
            return -1;
        if (a.t != PV_LONG && a.t != PV_DATETIME && a.t != PV_DURATION)
            return type_err(env, "one of [long, datetime, duration]", &a);
        if (b.t != a.t)
            return type_err(env, pv_type_name(a.t), &b);
        out->t = PV_BOOL;
        out->u.b = e->op == PE_LT ? a.u.i < b.u.i : e->op == PE_LE ? a.u.i <= b.u.i
                 : e->op == PE_GT ? a.u.i > b.u.i : a.u.i >= b.u.i;
        return 0;
    case PE_ADD: case PE_SUB: case PE_MUL: {
        if (ev(env, e->a, &a) || ev(env, e->b, &b))
            return -1;
        if (a.t != PV_LONG)
            return type_err(env, "long", &a);
        if (b.t != PV_LONG)
            return type_err(env, "long", &b);
        int ov = e->op == PE_ADD ? __builtin_add_overflow(a.u.i, b.u.i, &out->u.i)
               : e->op == PE_SUB ? __builtin_sub_overflow(a.u.i, b.u.i, &out->u.i)
                                 : __builtin_mul_overflow(a.u.i, b.u.i, &out->u.i);
        if (ov)
            return everr(env, "integer overflow in arithmetic on `%lld` and `%lld`", (long long)a.u.i, (long long)b.u.i);
        out->t = PV_LONG;
        return 0;
    }
    case PE_IN:
        if (ev(env, e->a, &a) || ev(env, e->b, &b))
            return -1;
        if (in_entity(env, &a, &b, &x))
            return -1;
        out->t = PV_BOOL;
        out->u.b = x;
        return 0;
    case PE_HAS:
        if (ev_raw(env, e->a, &a))
            return -1;
        out->t = PV_BOOL;
        for (uint32_t i = 0; i < e->npath; i++) {
            if (i && get_attr(env, &a, &e->path[i - 1], &a))
                return -1;
            int h = has_attr(env, &a, &e->path[i]);
            if (h < 0)
                return -1;
            if (!h) {
                out->u.b = 0;
                return 0;
            }
        }
        out->u.b = 1;
        return 0;
    case PE_ATTR:
        if (ev_raw(env, e->a, &a))
            return -1;
        return get_attr(env, &a, &e->name, out);
    case PE_LIKE:
        if (ev(env, e->a, &a))
            return -1;
        if (a.t != PV_STR)
            return type_err(env, "string", &a);
        out->t = PV_BOOL;
        out->u.b = like_match(e->pat, e->npat, a.u.s.p, a.u.s.n);
        return 0;
    case PE_IS:
        if (ev(env, e->a, &a))
            return -1;
        if (a.t != PV_ENTITY)
            return type_err(env, "entity", &a);
        out->t = PV_BOOL;
        out->u.b = pstr_eq(&a.u.e->type, &e->name);
        if (!out->u.b || !e->b)
            return 0;
        if (ev(env, e->b, &b) || in_entity(env, &a, &b, &x))
            return -1;
        out->u.b = x;
        return 0;
    case PE_SET: {
        struct pval *v = parena_alloc((e->nargs ? e->nargs : 1) * sizeof *v);
        if (!v)
            return everr(env, "evaluation arena exhausted");
        for (uint32_t i = 0; i < e->nargs; i++)
            if (ev(env, e->args[i], &v[i]))
                return -1;
        out->t = PV_SET;
        out->n = e->nargs;
        out->u.set = v;
        return 0;
    }
    case PE_RECORD: {
        struct pfield *f = parena_alloc((e->nargs ? e->nargs : 1) * sizeof *f);
        if (!f)
            return everr(env, "evaluation arena exhausted");
        for (uint32_t i = 0; i < e->nargs; i++) {
            f[i].k = e->keys[i];
            if (ev(env, e->args[i], &f[i].v))
                return -1;
        }
        out->t = PV_RECORD;
        out->n = e->nargs;
        out->u.rec = f;
        return 0;
    }
    case PE_CALL:
        return ev_call(env, e, out);
    case PE_METHOD:
        return ev_method(env, e, out);
    }
    return everr(env, "unknown expression");
}

static int scope_ok(const struct pscope_c *sc, const struct puid *v, const struct pentity *ev_)
{
    const struct puid *e = sc->e;
    switch (sc->kind) {
    case PS_ANY: return 1;
    case PS_EQ: return puid_eq(v, e);
    case PS_IN: return pent_in_ent(ev_, v, e);
    case PS_IS: return pstr_eq(&v->type, &sc->type);
    case PS_IS_IN: return pstr_eq(&v->type, &sc->type) && pent_in_ent(ev_, v, e);
    case PS_IN_SET:
        for (uint32_t i = 0; i < sc->nset; i++)
            if (pent_in_ent(ev_, v, sc->set[i]))
                return 1;
        return 0;
    }
    return 0;
}

/* 1 satisfied, 0 not, -1 error (message in env) */
static int policy_eval(struct penv *env, const struct ppolicy *p)
{
    const struct preq *rq = env->rq;
    if (!scope_ok(&p->action, rq->action, env->pe_action) || !scope_ok(&p->principal, rq->principal, env->pe_principal) ||
        !scope_ok(&p->resource, rq->resource, env->pe_resource))
        return 0;
    for (uint32_t i = 0; i < p->nconds; i++) {
        int x = 0;
        if (ev_bool(env, p->conds[i], &x))
            return -1;
        if (x == p->unless[i])
            return 0;
    }
    return 1;
}

static const struct pbucket *bucket_of(const struct omega_policy_set *ps, const struct puid *u)
{
    if (!ps->nbuckets)
        return NULL;
    uint32_t m = ps->nbuckets - 1;
    for (uint32_t i = (uint32_t)u->h & m;; i = (i + 1) & m) {
        const struct pbucket *b = &ps->buckets[i];
        if (!b->e)
            return NULL;
        if (puid_eq(b->e, u))
            return b;
    }
}

#define PMAX_LISTS 18

int pol_authorize(const struct omega_policy_set *ps, const struct omega_entities *es, const struct preq *rq,
                  struct presult *r)
{
    char scratch[160];
    /* The request's uids as the set's own copies: equality with a policy's literal is then a pointer test. */
    struct preq crq = *rq;
    crq.principal = pset_canon(ps, rq->principal);
    crq.action = pset_canon(ps, rq->action);
    crq.resource = pset_canon(ps, rq->resource);
    rq = &crq;
    struct penv env = {.es = es, .rq = rq};
    env.pe_principal = pent_find(es, rq->principal);
    env.pe_action = pent_find(es, rq->action);
    env.pe_resource = pent_find(es, rq->resource);
    uint32_t nforbid = 0, npermit = 0;
    r->nreasons = r->nerrs = 0;
    /* The candidates: policies with no resource `==`/`in` constraint, and the buckets of the
     * resource and of each of its ancestors, merged in source order. */
    const uint32_t *lists[PMAX_LISTS];
    uint32_t lens[PMAX_LISTS], pos[PMAX_LISTS] = {0};
    uint32_t nl = 0;
    int scan_all = 0;
    lists[nl] = ps->general;
    lens[nl++] = ps->ngeneral;
    const struct pbucket *bk = bucket_of(ps, rq->resource);
    if (bk) {
        lists[nl] = bk->idx;
        lens[nl++] = bk->n;
    }
    if (env.pe_resource) {
        for (uint32_t i = 0; i < env.pe_resource->nanc && !scan_all; i++) {
            if ((bk = bucket_of(ps, env.pe_resource->anc[i])) == NULL)
                continue;
            if (nl == PMAX_LISTS)
                scan_all = 1;   /* a very deep hierarchy: check every policy, still in order */
            else {
                lists[nl] = bk->idx;
                lens[nl++] = bk->n;
            }
        }
    }
    /* Reasons are collected forbids first from the front and permits from the back of the same
     * array, so one pass suffices; the permits are reversed into order at the end. */
    uint32_t cap = r->reasons_cap, next_all = 0;
    for (;;) {
        uint32_t idx;
        if (scan_all) {
            if (next_all == ps->npol)
                break;
            idx = next_all++;
        } else {
            uint32_t best = UINT32_MAX, bl = 0;
            for (uint32_t k = 0; k < nl; k++)
                if (pos[k] < lens[k] && lists[k][pos[k]] < best) {
                    best = lists[k][pos[k]];
                    bl = k;
                }
            if (best == UINT32_MAX)
                break;
            pos[bl]++;
            idx = best;
        }
        const struct ppolicy *p = ps->pol[idx];
        size_t mark = parena_mark();
        char *msg = r->errmsg && r->nerrs < r->errs_cap ? r->errmsg[r->nerrs] : scratch;
        env.msg = msg;
        env.msglen = sizeof scratch;
        int s = policy_eval(&env, p);
        parena_release(mark);
        if (s < 0) {
            if (r->nerrs < r->errs_cap)
                r->errs[r->nerrs] = idx;
            r->nerrs++;
        } else if (s > 0) {
            if (p->forbid) {
                if (nforbid + npermit < cap)
                    r->reasons[nforbid] = idx;
                nforbid++;
            } else {
                if (nforbid + npermit < cap)
                    r->reasons[cap - 1 - npermit] = idx;
                npermit++;
            }
        }
    }
    r->nerrs_total = r->nerrs;
    if (r->nerrs > r->errs_cap)
        r->nerrs = r->errs_cap;
    if (nforbid) {
        r->allow = 0;
        r->nreasons = nforbid < cap ? nforbid : cap;
    } else {
        r->allow = npermit > 0;
        uint32_t n = npermit < cap ? npermit : cap;
        for (uint32_t i = 0; i < n; i++)
            r->reasons[i] = r->reasons[cap - 1 - i];
        r->nreasons = n;
    }
    return 0;
}

/* Constant folding at compile time: a node whose operands are all literals and whose result needs
 * neither the request nor the store becomes a literal (so `decimal("100.0")` is parsed once). A node
 * that would error is left alone: it errors at run time, as Cedar's does. */
static int foldable_op(const struct pexpr *e)
{
    switch (e->op) {
    case PE_NOT: case PE_NEG: case PE_AND: case PE_OR: case PE_IF: case PE_EQ: case PE_NE: case PE_LT: case PE_LE:
    case PE_GT: case PE_GE: case PE_ADD: case PE_SUB: case PE_MUL: case PE_LIKE: case PE_CALL:
        return 1;
    case PE_METHOD:
        return e->fn >= PF_LESS_THAN;   /* extension methods only; set and tag methods are left */
    default:
        return 0;
    }
}

static int all_lit(const struct pexpr *e)
{
    const struct pexpr *k[3] = {e->a, e->b, e->c};
    for (int i = 0; i < 3; i++)
        if (k[i] && (k[i]->op != PE_LIT || k[i]->lit.t == PV_ENTITY || k[i]->lit.t == PV_SET || k[i]->lit.t == PV_RECORD))
            return 0;
    if (e->op == PE_CALL || e->op == PE_METHOD)
        for (uint32_t i = 0; i < e->nargs; i++)
            if (e->args[i]->op != PE_LIT || e->args[i]->lit.t == PV_ENTITY)
                return 0;
    return 1;
}

void pfold(struct ppool *pool, struct pexpr *e)
{
    if (!e)
        return;
    pfold(pool, e->a);
    pfold(pool, e->b);
    pfold(pool, e->c);
    for (uint32_t i = 0; i < e->nargs; i++)
        pfold(pool, e->args[i]);
    if (!foldable_op(e) || !all_lit(e))
        return;
    struct preq none = {0};
    struct penv env = {.rq = &none};
    struct pval v;
    size_t mark = parena_mark();
    if (ev(&env, e, &v) == 0 && v.t != PV_SET && v.t != PV_RECORD && v.t != PV_ENTITY) {
        if (v.t == PV_IP) {
            struct pip *ip = ppool_alloc(pool, sizeof *ip);
            if (!ip) {
                parena_release(mark);
                return;
            }
            *ip = *v.u.ip;
            v.u.ip = ip;
        }
        e->op = PE_LIT;
        e->lit = v;
        e->a = e->b = e->c = NULL;
        e->nargs = 0;
    }
    parena_release(mark);
}
