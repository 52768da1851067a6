/* Validation against a Cedar JSON schema: every entity type and action a policy names must be
 * declared; an action must apply to the principal and resource types the scope allows; attributes
 * read from principal, resource and context must exist in their declared shapes. Each problem is
 * reported as file:line:col. This is a subset of Cedar's type checker (no full type inference). */
#include <stdio.h>
#include <string.h>

#include "policy/policy_int.h"

struct vctx {
    const json_t *schema;
    const char *file;
    char *out;
    size_t outlen, used;
    int problems;
};

static void problem(struct vctx *v, uint32_t line, uint32_t col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void problem(struct vctx *v, uint32_t line, uint32_t col, const char *fmt, ...)
{
    v->problems++;
    if (!v->out || v->used >= v->outlen)
        return;
    int n = snprintf(v->out + v->used, v->outlen - v->used, "%s:%u:%u: ", v->file, line, col);
    if (n > 0)
        v->used += (size_t)n;
    if (v->used >= v->outlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    n = vsnprintf(v->out + v->used, v->outlen - v->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        v->used += (size_t)n;
    if (v->used + 1 < v->outlen) {
        v->out[v->used++] = '\n';
        v->out[v->used] = 0;
    }
}

/* The namespace and the bare name of a (possibly qualified) type: "A::B::T" → ("A::B", "T"). */
static void split(const struct pstr *t, char *ns, size_t nslen, char *name, size_t namelen)
{
    const char *p = t->p, *last = NULL;
    for (uint32_t i = 0; i + 1 < t->n; i++)
        if (p[i] == ':' && p[i + 1] == ':')
            last = p + i;
    if (last) {
        snprintf(ns, nslen, "%.*s", (int)(last - p), p);
        snprintf(name, namelen, "%.*s", (int)(t->n - (uint32_t)(last + 2 - p)), last + 2);
    } else {
        ns[0] = 0;
        snprintf(name, namelen, "%.*s", (int)t->n, p);
    }
}

static const json_t *entity_type(const struct vctx *v, const struct pstr *t)
{
    char ns[256], name[256];
    split(t, ns, sizeof ns, name, sizeof name);
    const json_t *n = json_object_get(v->schema, ns);
    return json_object_get(json_object_get(n, "entityTypes"), name);
}

static const json_t *action_decl(const struct vctx *v, const struct puid *u)
{
    char ns[256], name[256];
    split(&u->type, ns, sizeof ns, name, sizeof name);
    if (strcmp(name, "Action") != 0)
        return NULL;
    const json_t *n = json_object_get(v->schema, ns);
    char id[512];
    snprintf(id, sizeof id, "%.*s", (int)u->id.n, u->id.p);
    return json_object_get(json_object_get(n, "actions"), id);
}

static int is_action_type(const struct pstr *t)
{
    return (t->n == 6 && memcmp(t->p, "Action", 6) == 0) ||
           (t->n > 8 && memcmp(t->p + t->n - 8, "::Action", 8) == 0);
}

static void check_uid(struct vctx *v, const struct puid *u, uint32_t line, uint32_t col)
{
    if (is_action_type(&u->type)) {
        if (!action_decl(v, u))
            problem(v, line, col, "unrecognized action `%.*s::\"%.*s\"`", (int)u->type.n, u->type.p, (int)u->id.n,
                    u->id.p);
    } else if (!entity_type(v, &u->type)) {
        problem(v, line, col, "unrecognized entity type `%.*s`", (int)u->type.n, u->type.p);
    }
}

/* Attributes of a record type in the schema, or NULL. */
static const json_t *shape_attrs(const json_t *shape)
{
    if (!shape)
        return NULL;
    const char *t = json_string_value(json_object_get(shape, "type"));
    if (!t || strcmp(t, "Record") != 0)
        return NULL;
    const json_t *a = json_object_get(shape, "attributes");
    return a ? a : NULL;
}

struct known {
    const json_t *principal, *resource, *context;   /* attribute maps when the type is known */
};

static int name_is(const struct pstr *s, const char *name)
{
    return s->n == strlen(name) && memcmp(s->p, name, s->n) == 0;
}

/* e is context.<name>. */
static int is_context_attr(const struct pexpr *e, const char *name)
{
    return e && e->op == PE_ATTR && e->a && e->a->op == PE_VAR && e->a->var == PVAR_CONTEXT && name_is(&e->name, name);
}

/* e is one of the agent context's counters (context.count, context.rate.minute/hour/day): a Long. */
static int is_counter(const struct pexpr *e)
{
    return is_context_attr(e, "count") || (e && e->op == PE_ATTR && is_context_attr(e->a, "rate"));
}

/* The agent extensions' own checks, with or without a schema: context.rate has the three windows
 * only, and the counters are Longs (compared with anything else, the policy would always error). */
static void check_agent_ext(struct vctx *v, const struct pexpr *e)
{
    if (e->op == PE_ATTR && is_context_attr(e->a, "rate") && !name_is(&e->name, "minute") &&
        !name_is(&e->name, "hour") && !name_is(&e->name, "day"))
        problem(v, e->line, e->col, "context.rate has `minute`, `hour` and `day`, not `%.*s`", (int)e->name.n, e->name.p);
    if (e->op >= PE_LT && e->op <= PE_GE && e->a && e->b) {
        const struct pexpr *lit = is_counter(e->a) ? e->b : is_counter(e->b) ? e->a : NULL;
        if (lit && lit->op == PE_LIT && lit->lit.t != PV_LONG)
            problem(v, lit->line, lit->col, "a count (context.count, context.rate.*) is a Long; ordering it against a %s always errors",
                    pv_type_name(lit->lit.t));
    }
}

static void check_expr(struct vctx *v, const struct pexpr *e, const struct known *k)
{
    if (!e)
        return;
    check_agent_ext(v, e);
    if (!v->schema) {
        check_expr(v, e->a, k);
        check_expr(v, e->b, k);
        check_expr(v, e->c, k);
        for (uint32_t i = 0; i < e->nargs; i++)
            check_expr(v, e->args[i], k);
        return;
    }
    if (e->op == PE_LIT && e->lit.t == PV_ENTITY)
        check_uid(v, e->lit.u.e, e->line, e->col);
    if (e->op == PE_IS) {
        struct pstr t = e->name;
        if (!entity_type(v, &t) && !is_action_type(&t))
            problem(v, e->line, e->col, "unrecognized entity type `%.*s`", (int)t.n, t.p);
    }
    if ((e->op == PE_ATTR || (e->op == PE_HAS && e->npath == 1)) && e->a && e->a->op == PE_VAR) {
        const json_t *attrs = e->a->var == PVAR_PRINCIPAL ? k->principal
                            : e->a->var == PVAR_RESOURCE  ? k->resource
                            : e->a->var == PVAR_CONTEXT   ? k->context : NULL;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)e->name.n, e->name.p);
        if (attrs && !json_object_get(attrs, name))
            problem(v, e->a->line, e->a->col, "attribute `%s` is not declared for %s", name,
                    e->a->var == PVAR_PRINCIPAL ? "the principal" : e->a->var == PVAR_RESOURCE ? "the resource" : "the context");
    }
    check_expr(v, e->a, k);
    check_expr(v, e->b, k);
    check_expr(v, e->c, k);
    for (uint32_t i = 0; i < e->nargs; i++)
        check_expr(v, e->args[i], k);
}

/* The type a principal/resource scope pins down, or NULL. */
static const struct pstr *scope_type(const struct pscope_c *sc)
{
    if (sc->kind == PS_IS || sc->kind == PS_IS_IN)
        return &sc->type;
    if (sc->kind == PS_EQ && sc->e)
        return &sc->e->type;
    return NULL;
}

static int type_listed(const json_t *list, const struct pstr *t)
{
    size_t i;
    const json_t *x;
    char ns[256], name[256];
    split(t, ns, sizeof ns, name, sizeof name);
    json_array_foreach(list, i, x) {
        const char *s = json_string_value(x);
        if (s && (strlen(s) == t->n && memcmp(s, t->p, t->n) == 0))
            return 1;
        if (s && strcmp(s, name) == 0)
            return 1;
    }
    return 0;
}

static void check_policy(struct vctx *v, const struct ppolicy *p)
{
    if (!v->schema) {
        struct known none = {0};
        for (uint32_t i = 0; i < p->nconds; i++)
            check_expr(v, p->conds[i], &none);
        return;
    }
    const struct pscope_c *sc[3] = {&p->principal, &p->action, &p->resource};
    for (int i = 0; i < 3; i++) {
        if (sc[i]->e && !sc[i]->slot)
            check_uid(v, sc[i]->e, p->line, p->col);
        for (uint32_t k = 0; k < sc[i]->nset; k++)
            check_uid(v, sc[i]->set[k], p->line, p->col);
        if ((sc[i]->kind == PS_IS || sc[i]->kind == PS_IS_IN) && !entity_type(v, &sc[i]->type))
            problem(v, p->line, p->col, "unrecognized entity type `%.*s`", (int)sc[i]->type.n, sc[i]->type.p);
    }
    /* With a single action named, its appliesTo says which principal/resource types make sense. */
    struct known k = {0};
    const struct pstr *pt = scope_type(&p->principal), *rt = scope_type(&p->resource);
    if (pt)
        k.principal = shape_attrs(json_object_get(entity_type(v, pt), "shape"));
    if (rt)
        k.resource = shape_attrs(json_object_get(entity_type(v, rt), "shape"));
    if (p->action.kind == PS_EQ) {
        const json_t *ad = action_decl(v, p->action.e);
        const json_t *at = json_object_get(ad, "appliesTo");
        /* An action that applies to one principal (resource) type pins it even when the scope does not. */
        struct pstr only[2];
        const char *const lists[2] = {"principalTypes", "resourceTypes"};
        const json_t **shapes[2] = {&k.principal, &k.resource};
        const struct pstr *pinned[2] = {pt, rt};
        for (int i = 0; i < 2; i++) {
            const json_t *l = json_object_get(at, lists[i]);
            if (!pinned[i] && json_array_size(l) == 1 && json_is_string(json_array_get(l, 0))) {
                const char *t = json_string_value(json_array_get(l, 0));
                only[i] = pstr_make(t, strlen(t));
                *shapes[i] = shape_attrs(json_object_get(entity_type(v, &only[i]), "shape"));
            }
        }
        if (ad) {
            const json_t *pts = json_object_get(at, "principalTypes"), *rts = json_object_get(at, "resourceTypes");
            if (pt && pts && !type_listed(pts, pt))
                problem(v, p->line, p->col, "action `%.*s` does not apply to principals of type `%.*s`",
                        (int)p->action.e->id.n, p->action.e->id.p, (int)pt->n, pt->p);
            if (rt && rts && !type_listed(rts, rt))
                problem(v, p->line, p->col, "action `%.*s` does not apply to resources of type `%.*s`",
                        (int)p->action.e->id.n, p->action.e->id.p, (int)rt->n, rt->p);
            k.context = shape_attrs(json_object_get(at, "context"));
            if (!k.context && at && !json_object_get(at, "context")) {
                static json_t *empty;
                if (!empty)
                    empty = json_object();
                k.context = empty;   /* no context declared: no attribute exists */
            }
        }
    }
    for (uint32_t i = 0; i < p->nconds; i++)
        check_expr(v, p->conds[i], &k);
}

int omega_policy_validate(const struct omega_policy_set *ps, const json_t *schema, const char *file, char *out,
                          size_t outlen, struct omega_error *err)
{
    if (schema && !json_is_object(schema))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "schema: expected a JSON object of namespaces");
    const char *ns;
    const json_t *nv;
    if (schema) {
        json_object_foreach((json_t *)schema, ns, nv) {
            if (!json_is_object(nv) || !json_is_object(json_object_get(nv, "entityTypes")) ||
                !json_is_object(json_object_get(nv, "actions")))
                OMEGA_FAIL(err, OMEGA_EFORMAT, "schema: namespace \"%s\" needs \"entityTypes\" and \"actions\" objects", ns);
        }
    }
    struct vctx v = {.schema = schema, .file = file ? file : "<policies>", .out = out, .outlen = outlen};
    if (out && outlen)
        out[0] = 0;
    for (uint32_t i = 0; i < ps->npol; i++)
        check_policy(&v, ps->pol[i]);
    for (uint32_t i = 0; i < ps->ntmpl; i++)
        check_policy(&v, ps->tmpl[i]);
    return v.problems;
}
