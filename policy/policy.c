/* Policy sets (parse, link, index), requests in Cedar's JSON form, results, and the monitor's decider. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "policy/policy_int.h"

static int bucket_add(struct omega_policy_set *ps, const struct puid *e, uint32_t idx, uint32_t *counts, int fill)
{
    uint32_t m = ps->nbuckets - 1;
    for (uint32_t i = (uint32_t)e->h & m;; i = (i + 1) & m) {
        struct pbucket *b = &ps->buckets[i];
        if (!b->e)
            b->e = e;
        if (puid_eq(b->e, e)) {
            if (fill)
                b->idx[b->n++] = idx;
            else
                counts[i]++;
            return 0;
        }
    }
}

const struct puid *pset_canon(const struct omega_policy_set *ps, const struct puid *u)
{
    if (!ps->uids_cap)
        return u;
    uint32_t m = ps->uids_cap - 1;
    for (uint32_t i = (uint32_t)(u->h >> 7) & m;; i = (i + 1) & m) {
        const struct puid *x = ps->uids[i];
        if (!x)
            return u;
        if (puid_eq(x, u))
            return x;
    }
}

const struct puid *pset_intern(struct omega_policy_set *ps, const struct puid *u)
{
    const struct puid *c = pset_canon(ps, u);
    if (c != u)
        return c;
    if ((ps->nuids + 1) * 2 > ps->uids_cap) {
        uint32_t cap = ps->uids_cap ? ps->uids_cap * 2 : 64;
        const struct puid **nu = calloc(cap, sizeof *nu);
        if (!nu)
            return NULL;
        for (uint32_t k = 0; k < ps->uids_cap; k++) {
            const struct puid *x = ps->uids[k];
            if (!x)
                continue;
            uint32_t i = (uint32_t)(x->h >> 7) & (cap - 1);
            while (nu[i])
                i = (i + 1) & (cap - 1);
            nu[i] = x;
        }
        free(ps->uids);
        ps->uids = nu;
        ps->uids_cap = cap;
    }
    uint32_t i = (uint32_t)(u->h >> 7) & (ps->uids_cap - 1);
    while (ps->uids[i])
        i = (i + 1) & (ps->uids_cap - 1);
    ps->uids[i] = u;
    ps->nuids++;
    return u;
}

static int indexed(const struct ppolicy *p)
{
    const struct pscope_c *r = &p->resource;
    return (r->kind == PS_EQ || r->kind == PS_IN || r->kind == PS_IS_IN) && r->e && !r->slot;
}

int pindex_build(struct omega_policy_set *ps)
{
    uint32_t nres = 0;
    for (uint32_t i = 0; i < ps->npol; i++)
        nres += indexed(ps->pol[i]);
    ps->general = ppool_alloc(&ps->pool, (ps->npol ? ps->npol : 1) * sizeof *ps->general);
    if (!ps->general)
        return OMEGA_ENOMEM;
    ps->ngeneral = 0;
    ps->nbuckets = 0;
    ps->buckets = NULL;
    if (nres) {
        uint32_t nb = 16;
        while (nb < nres * 2)
            nb *= 2;
        ps->nbuckets = nb;
        ps->buckets = ppool_alloc(&ps->pool, nb * sizeof *ps->buckets);
        uint32_t *counts = calloc(nb, sizeof *counts);
        if (!ps->buckets || !counts) {
            free(counts);
            return OMEGA_ENOMEM;
        }
        memset(ps->buckets, 0, nb * sizeof *ps->buckets);
        for (uint32_t i = 0; i < ps->npol; i++) {
            const struct ppolicy *p = ps->pol[i];
            if (indexed(p))
                bucket_add(ps, p->resource.e, i, counts, 0);
        }
        for (uint32_t i = 0; i < nb; i++)
            if (counts[i] && !(ps->buckets[i].idx = ppool_alloc(&ps->pool, counts[i] * sizeof(uint32_t)))) {
                free(counts);
                return OMEGA_ENOMEM;
            }
        free(counts);
    }
    for (uint32_t i = 0; i < ps->npol; i++) {
        const struct ppolicy *p = ps->pol[i];
        if (indexed(p))
            bucket_add(ps, p->resource.e, i, NULL, 1);
        else
            ps->general[ps->ngeneral++] = i;
    }
    return 0;
}

/* 1 when e reads context.rate, or hands the whole context on (`context == {...}`), where the rates
 * would show too. */
static int expr_reads_rate(const struct pexpr *e)
{
    if (!e)
        return 0;
    static const struct pstr rate = {"rate", 4, 0};
    const struct pexpr *on = e->a;
    if ((e->op == PE_ATTR || e->op == PE_HAS) && on && on->op == PE_VAR && on->var == PVAR_CONTEXT)
        return e->name.n == rate.n && memcmp(e->name.p, rate.p, rate.n) == 0;
    if (e->op == PE_VAR && e->var == PVAR_CONTEXT)
        return 1;
    if (expr_reads_rate(e->a) || expr_reads_rate(e->b) || expr_reads_rate(e->c))
        return 1;
    for (uint32_t i = 0; i < e->nargs; i++)
        if (expr_reads_rate(e->args[i]))
            return 1;
    return 0;
}

static int policy_reads_rate(const struct ppolicy *p)
{
    for (uint32_t i = 0; i < p->nconds; i++)
        if (expr_reads_rate(p->conds[i]))
            return 1;
    return 0;
}

int pset_reads_rate(const struct omega_policy_set *ps)
{
    for (uint32_t i = 0; i < ps->npol; i++)
        if (policy_reads_rate(ps->pol[i]))
            return 1;
    for (uint32_t i = 0; i < ps->ntmpl; i++)
        if (policy_reads_rate(ps->tmpl[i]))
            return 1;
    return 0;
}

int omega_policy_set_parse(const char *text, size_t len, const char *file, struct omega_policy_set **out,
                           struct omega_error *err)
{
    *out = NULL;
    struct omega_policy_set *ps = calloc(1, sizeof *ps);
    if (!ps)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    int rc = pparse(ps, text, len, file, err);
    if (!rc) {
        /* Resolve the slot of linked policies (none yet) and fix each policy's place in source order. */
        for (uint32_t i = 0; i < ps->npol; i++)
            ps->pol[i]->idx = i;
        ps->reads_rate = pset_reads_rate(ps);   /* templates included: links share their conditions */
        rc = pindex_build(ps);
        if (rc)
            omega_error_set(err, rc, __FILE__, __LINE__, "out of memory");
    }
    if (rc) {
        omega_policy_set_free(ps);
        return rc;
    }
    *out = ps;
    return 0;
}

int omega_policy_set_load(const char *path, struct omega_policy_set **out, struct omega_error *err)
{
    struct omega_buf b;
    omega_buf_init(&b);
    int rc = omega_buf_read_file(&b, path, 64u << 20, err);
    if (!rc)
        rc = omega_policy_set_parse(b.len ? (const char *)b.data : "", b.len, path, out, err);
    omega_buf_fini(&b);
    return rc;
}

void omega_policy_set_free(struct omega_policy_set *ps)
{
    if (!ps)
        return;
    ppool_free(&ps->pool);
    free(ps->uids);
    free(ps);
}

uint32_t omega_policy_set_count(const struct omega_policy_set *ps) { return ps ? ps->npol : 0; }
const char *omega_policy_set_id(const struct omega_policy_set *ps, uint32_t i) { return ps->pol[i]->id; }
const char *omega_policy_set_annot_id(const struct omega_policy_set *ps, uint32_t i) { return ps->pol[i]->annot_id; }

int omega_policy_set_link(struct omega_policy_set *ps, const json_t *links, struct omega_error *err)
{
    if (!json_is_array(links))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "template links: expected an array");
    size_t i;
    const json_t *lk;
    char msg[200];
    json_array_foreach(links, i, lk) {
        const char *tid = json_string_value(json_object_get(lk, "templateId"));
        const char *nid = json_string_value(json_object_get(lk, "newId"));
        const json_t *vals = json_object_get(lk, "values");
        if (!tid || !nid || !json_is_object(vals))
            OMEGA_FAIL(err, OMEGA_EFORMAT, "template links[%zu]: needs templateId, newId and values", i);
        if (strlen(nid) >= sizeof ps->pol[0]->id)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "template links[%zu]: newId too long", i);
        const struct ppolicy *t = NULL;
        for (uint32_t k = 0; k < ps->ntmpl; k++)
            if (strcmp(ps->tmpl[k]->id, tid) == 0)
                t = ps->tmpl[k];
        if (!t)
            OMEGA_FAIL(err, OMEGA_ENOTFOUND, "template links[%zu]: no template `%s`", i, tid);
        for (uint32_t k = 0; k < ps->npol; k++)
            if (strcmp(ps->pol[k]->id, nid) == 0)
                OMEGA_FAIL(err, OMEGA_EFORMAT, "template links[%zu]: id `%s` already used", i, nid);
        struct ppolicy *p = ppool_alloc(&ps->pool, sizeof *p);
        if (!p)
            OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
        *p = *t;
        p->is_template = 0;
        snprintf(p->id, sizeof p->id, "%s", nid);
        struct pscope_c *sc[2] = {&p->principal, &p->resource};
        const char *slot[2] = {"?principal", "?resource"};
        for (int s = 0; s < 2; s++) {
            const json_t *v = json_object_get(vals, slot[s]);
            if (sc[s]->slot) {
                if (!v)
                    OMEGA_FAIL(err, OMEGA_EFORMAT, "template links[%zu]: no value for %s", i, slot[s]);
                if (pjson_uid(&ps->pool, v, &sc[s]->e, msg, sizeof msg))
                    OMEGA_FAIL(err, OMEGA_EFORMAT, "template links[%zu].%s: %s", i, slot[s], msg);
                if (!(sc[s]->e = pset_intern(ps, sc[s]->e)))
                    OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
                sc[s]->slot = 0;
            } else if (v) {
                OMEGA_FAIL(err, OMEGA_EFORMAT, "template links[%zu]: template `%s` has no %s slot", i, tid, slot[s]);
            }
        }
        struct ppolicy **na = ppool_alloc(&ps->pool, (ps->npol + 1) * sizeof *na);
        if (!na)
            OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
        if (ps->npol)
            memcpy(na, ps->pol, ps->npol * sizeof *na);
        p->idx = ps->npol;
        na[ps->npol++] = p;
        ps->pol = na;
    }
    if (pindex_build(ps))
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    return 0;
}

/* ---- results ---- */

struct omega_policy_result *omega_policy_result_new(const struct omega_policy_set *ps)
{
    uint32_t n = ps->npol ? ps->npol : 1;
    struct omega_policy_result *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->reasons = calloc(n, sizeof *r->reasons);
    r->errors = calloc(n, sizeof *r->errors);
    r->errmsg = calloc(n, sizeof *r->errmsg);
    if (!r->reasons || !r->errors || !r->errmsg) {
        omega_policy_result_free(r);
        return NULL;
    }
    return r;
}

void omega_policy_result_free(struct omega_policy_result *r)
{
    if (!r)
        return;
    free(r->reasons);
    free(r->errors);
    free(r->errmsg);
    free(r);
}

/* Cedar's allow/deny, then the agent verdict from the determining policies' annotations: a permit
 * marked @decision("ask") asks a human, @redact("…") allows with fields masked; a deny whose every
 * satisfied forbid is marked @decision("ask") asks instead of denying. Redacting policies that name
 * more than OMEGA_DECISION_MAX_REDACT distinct fields together deny. */
static void agent_verdict(const struct omega_policy_set *ps, int allow, const uint32_t *reasons, uint32_t n,
                          enum omega_verdict *v, const char **redact, uint32_t *nredact)
{
    *nredact = 0;
    if (!allow) {
        int all_ask = n > 0;
        for (uint32_t i = 0; i < n && all_ask; i++)
            all_ask = ps->pol[reasons[i]]->verdict == OMEGA_ASK;
        *v = all_ask ? OMEGA_ASK : OMEGA_DENY;
        return;
    }
    *v = OMEGA_ALLOW;
    int overflow = 0;
    for (uint32_t i = 0; i < n; i++) {
        const struct ppolicy *p = ps->pol[reasons[i]];
        if (p->verdict == OMEGA_ASK)
            *v = OMEGA_ASK;
        else if (p->verdict == OMEGA_REDACT && *v == OMEGA_ALLOW)
            *v = OMEGA_REDACT;
        for (uint32_t k = 0; k < p->nredact; k++) {
            int dup = 0;
            for (uint32_t j = 0; j < *nredact; j++)
                dup |= strcmp(redact[j], p->redact[k]) == 0;
            if (!dup && *nredact < OMEGA_DECISION_MAX_REDACT)
                redact[(*nredact)++] = p->redact[k];
            else if (!dup)
                overflow = 1;
        }
    }
    /* More fields than a decision carries: masking only some would leak the rest, so deny. */
    if (*v == OMEGA_REDACT && overflow)
        *v = OMEGA_DENY;
    if (*v != OMEGA_REDACT)
        *nredact = 0;
}

static int request_from_json(const json_t *req, struct preq *rq, struct omega_error *err)
{
    char msg[200];
    if (!json_is_object(req))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "request: expected a JSON object");
    static const char *const names[3] = {"principal", "action", "resource"};
    const struct puid **slots[3] = {&rq->principal, &rq->action, &rq->resource};
    for (int i = 0; i < 3; i++) {
        const json_t *v = json_object_get(req, names[i]);
        if (!v)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "request: missing \"%s\"", names[i]);
        if (pjson_uid(NULL, v, slots[i], msg, sizeof msg))
            OMEGA_FAIL(err, OMEGA_EFORMAT, "request.%s: %s", names[i], msg);
    }
    const json_t *c = json_object_get(req, "context");
    if (!c || json_is_null(c)) {
        memset(&rq->context, 0, sizeof rq->context);
        rq->context.t = PV_RECORD;
        return 0;
    }
    if (!json_is_object(c))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "request.context: expected an object");
    if (pjson_value(NULL, c, 0, &rq->context, msg, sizeof msg))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "request.context: %s", msg);
    return 0;
}

static void finish(const struct omega_policy_set *ps, const struct presult *pr, struct omega_policy_result *r)
{
    r->cedar_allow = pr->allow;
    r->nreasons = pr->nreasons;
    r->nerrors = pr->nerrs;
    agent_verdict(ps, pr->allow, r->reasons, r->nreasons, &r->verdict, r->redact, &r->nredact);
}

int omega_policy_eval_json(const struct omega_policy_set *ps, const struct omega_entities *es, const json_t *req,
                           struct omega_policy_result *r, struct omega_error *err)
{
    parena_reset();
    struct preq rq;
    OMEGA_TRY(request_from_json(req, &rq, err));
    struct presult pr = {.reasons = r->reasons, .reasons_cap = ps->npol ? ps->npol : 1, .errs = r->errors,
                         .errmsg = r->errmsg, .errs_cap = ps->npol ? ps->npol : 1};
    pol_authorize(ps, es, &rq, &pr);
    finish(ps, &pr, r);
    return 0;
}

json_t *omega_policy_result_json(const struct omega_policy_set *ps, const struct omega_policy_result *r)
{
    json_t *o = json_object(), *pol = json_array(), *ann = json_array(), *errs = json_array();
    for (uint32_t i = 0; i < r->nreasons; i++) {
        const struct ppolicy *p = ps->pol[r->reasons[i]];
        json_array_append_new(pol, json_string(p->id));
        json_array_append_new(ann, p->annot_id ? json_string(p->annot_id) : json_null());
    }
    for (uint32_t i = 0; i < r->nerrors; i++)
        json_array_append_new(errs, json_pack("{s:s, s:s}", "policy", ps->pol[r->errors[i]]->id, "message",
                                              r->errmsg[i]));
    json_object_set_new(o, "decision", json_string(omega_verdict_name(r->verdict)));
    json_object_set_new(o, "policies", pol);
    json_object_set_new(o, "ids", ann);
    json_object_set_new(o, "errors", errs);
    if (r->verdict == OMEGA_REDACT) {
        json_t *rd = json_array();
        for (uint32_t i = 0; i < r->nredact; i++)
            json_array_append_new(rd, json_string(r->redact[i]));
        json_object_set_new(o, "redact", rd);
    }
    return o;
}

/* ---- the monitor's decider ---- */

struct omega_policy_engine {
    const struct omega_policy_set *ps;   /* swapped atomically on reload */
    const struct omega_entities *es;
    struct prate *rate;                  /* context.rate's windows: kept across reloads */
};

static struct pstr k_agent, k_action, k_tool, k_data, k_host, k_model, k_resource, k_args, k_labels, k_count,
    k_integrity, k_classes, k_regions, k_readers, k_trusted, k_untrusted, k_rate, k_minute, k_hour, k_day;
static struct pstr k_methods[5];

static void consts_init(void)
{
    static int done;
    if (__atomic_load_n(&done, __ATOMIC_ACQUIRE))
        return;
#define K(v, s) v = pstr_make(s, sizeof s - 1)
    K(k_agent, "Agent"); K(k_action, "Action"); K(k_tool, "Tool"); K(k_data, "Data"); K(k_host, "Host");
    K(k_model, "Model"); K(k_resource, "Resource"); K(k_args, "args"); K(k_labels, "labels"); K(k_count, "count");
    K(k_integrity, "integrity"); K(k_classes, "classes"); K(k_regions, "regions"); K(k_readers, "readers");
    K(k_trusted, "trusted"); K(k_untrusted, "untrusted"); K(k_rate, "rate"); K(k_minute, "minute");
    K(k_hour, "hour"); K(k_day, "day");
    K(k_methods[0], "tools/call"); K(k_methods[1], "send"); K(k_methods[2], "read"); K(k_methods[3], "egress");
    K(k_methods[4], "infer");
#undef K
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
}

struct omega_policy_engine *omega_policy_engine_new(const struct omega_policy_set *ps, const struct omega_entities *es)
{
    consts_init();
    struct omega_policy_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->ps = ps;
    e->es = es;
    /* The directory only (a pointer per agent slot); an agent's windows come with its first call. */
    if (!(e->rate = prate_new(PRATE_AGENTS))) {
        free(e);
        return NULL;
    }
    return e;
}

const struct omega_policy_set *omega_policy_engine_swap(struct omega_policy_engine *eng, const struct omega_policy_set *ps)
{
    return __atomic_exchange_n(&eng->ps, ps, __ATOMIC_ACQ_REL);
}

void omega_policy_engine_free(struct omega_policy_engine *eng)
{
    if (!eng)
        return;
    prate_free(eng->rate);
    free(eng);
}

static const struct puid *mkuid(const struct pstr *type, const char *id)
{
    struct puid *u = parena_alloc(sizeof *u);
    if (!u)
        return NULL;
    u->type = *type;
    u->id = pstr_make(id ? id : "", id ? strlen(id) : 0);
    u->h = puid_hash(&u->type, &u->id);
    return u;
}

static int label_set(const struct omega_label_set *s, struct pval *out)
{
    struct pval *v = parena_alloc((s->n ? s->n : 1) * sizeof *v);
    if (!v)
        return -1;
    for (uint32_t i = 0; i < s->n; i++) {
        memset(&v[i], 0, sizeof v[i]);
        v[i].t = PV_STR;
        v[i].u.s = pstr_make(s->name[i], strlen(s->name[i]));
    }
    memset(out, 0, sizeof *out);
    out->t = PV_SET;
    out->n = s->n;
    out->u.set = v;
    return 0;
}

int omega_policy_decide_full(struct omega_policy_engine *eng, const struct omega_action *a, struct omega_decision *d,
                             struct omega_policy_result *r)
{
    memset(d, 0, sizeof *d);
    d->verdict = OMEGA_DENY;
    const struct omega_policy_set *ps = __atomic_load_n(&eng->ps, __ATOMIC_ACQUIRE);
    if (!ps || !a || !a->agent)
        return OMEGA_EINVAL;
    parena_reset();
    struct preq rq;
    const struct pstr *rtype;
    switch (a->kind) {
    case OMEGA_ACT_TOOL_CALL: rtype = &k_tool; break;
    case OMEGA_ACT_SEND: rtype = &k_agent; break;
    case OMEGA_ACT_READ: rtype = &k_data; break;
    case OMEGA_ACT_EGRESS: rtype = &k_host; break;
    case OMEGA_ACT_INFER: rtype = &k_model; break;
    default: rtype = &k_resource; break;
    }
    rq.principal = mkuid(&k_agent, a->agent);
    rq.resource = mkuid(rtype, a->target);
    if (a->kind == OMEGA_ACT_OTHER) {
        if (!a->method)
            return OMEGA_EINVAL;
        struct puid *u = parena_alloc(sizeof *u);
        if (u) {
            u->type = k_action;
            u->id = pstr_make(a->method, strlen(a->method));
            u->h = puid_hash(&u->type, &u->id);
        }
        rq.action = u;
    } else {
        struct puid *u = parena_alloc(sizeof *u);
        if (u) {
            u->type = k_action;
            u->id = k_methods[a->kind];
            u->h = puid_hash(&u->type, &u->id);
        }
        rq.action = u;
    }
    struct pfield *ctx = parena_alloc(4 * sizeof *ctx), *lab = parena_alloc(4 * sizeof *lab);
    if (!rq.principal || !rq.resource || !rq.action || !ctx || !lab)
        return OMEGA_ENOMEM;
    memset(ctx, 0, 4 * sizeof *ctx);
    memset(lab, 0, 4 * sizeof *lab);
    uint32_t nctx = 0, nlab = 0;
    if (a->args) {
        /* Left as JSON: a policy that reads context.args.amount converts that one field. */
        ctx[nctx].k = k_args;
        if (pjson_lazy(a->args, &ctx[nctx].v))
            return OMEGA_EINVAL;
        nctx++;
    }
    struct omega_labels none;
    const struct omega_labels *L = a->labels;
    if (!L) {
        omega_labels_init(&none);
        L = &none;
    }
    lab[nlab].k = k_integrity;
    lab[nlab].v.t = PV_STR;
    lab[nlab++].v.u.s = L->untrusted ? k_untrusted : k_trusted;
    lab[nlab].k = k_classes;
    if (label_set(&L->classes, &lab[nlab++].v))
        return OMEGA_ENOMEM;
    lab[nlab].k = k_regions;
    if (label_set(&L->regions, &lab[nlab++].v))
        return OMEGA_ENOMEM;
    if (!L->readers_any) {
        lab[nlab].k = k_readers;
        if (label_set(&L->readers, &lab[nlab++].v))
            return OMEGA_ENOMEM;
    }
    ctx[nctx].k = k_labels;
    ctx[nctx].v.t = PV_RECORD;
    ctx[nctx].v.n = nlab;
    ctx[nctx++].v.u.rec = lab;
    ctx[nctx].k = k_count;
    ctx[nctx].v.t = PV_LONG;
    ctx[nctx++].v.u.i = (int64_t)a->count;
    /* context.rate: the engine's own windows when a policy reads them (held locked until the decision
     * is counted, so one agent's calls count exactly). */
    int track = ps->reads_rate;
    struct pfield *rf = NULL;
    if (track) {
        rf = parena_alloc(PRATE_WINDOWS * sizeof *rf);
        if (!rf)
            return OMEGA_ENOMEM;
        memset(rf, 0, PRATE_WINDOWS * sizeof *rf);
        const struct pstr *keys[PRATE_WINDOWS] = {&k_minute, &k_hour, &k_day};
        for (int i = 0; i < PRATE_WINDOWS; i++) {
            rf[i].k = *keys[i];
            rf[i].v.t = PV_LONG;
        }
        ctx[nctx].k = k_rate;
        ctx[nctx].v.t = PV_RECORD;
        ctx[nctx].v.n = PRATE_WINDOWS;
        ctx[nctx++].v.u.rec = rf;
    }
    memset(&rq.context, 0, sizeof rq.context);
    rq.context.t = PV_RECORD;
    rq.context.n = nctx;
    rq.context.u.rec = ctx;

    /* From here to prate_end nothing returns early: the agent's windows are locked. */
    struct prate_ticket tk;
    if (track) {
        uint64_t w[PRATE_WINDOWS];
        prate_begin(eng->rate, a->agent, a->kind == OMEGA_ACT_OTHER ? a->method : omega_action_kind_name(a->kind),
                    a->target ? a->target : "", a->now_ns, &tk, w);
        for (int i = 0; i < PRATE_WINDOWS; i++)
            rf[i].v.u.i = (int64_t)w[i];
    }
    uint32_t reasons_local[64], errs_local[1];   /* errors are only counted here */
    struct presult pr = {.reasons = r ? r->reasons : reasons_local, .reasons_cap = r ? (ps->npol ? ps->npol : 1) : 64,
                         .errs = r ? r->errors : errs_local, .errmsg = r ? r->errmsg : NULL,
                         .errs_cap = r ? (ps->npol ? ps->npol : 1) : 1};
    pol_authorize(ps, eng->es, &rq, &pr);
    uint32_t nerr_total = pr.nerrs_total;
    enum omega_verdict v;
    const char *redact[OMEGA_DECISION_MAX_REDACT];
    uint32_t nredact;
    agent_verdict(ps, pr.allow, pr.reasons, pr.nreasons, &v, redact, &nredact);
    if (track)
        prate_end(eng->rate, &tk, v == OMEGA_ALLOW || v == OMEGA_REDACT);
    d->verdict = v;
    d->npolicies = pr.nreasons < OMEGA_DECISION_MAX_POLICIES ? pr.nreasons : OMEGA_DECISION_MAX_POLICIES;
    for (uint32_t i = 0; i < d->npolicies; i++)
        d->policies[i] = ps->pol[pr.reasons[i]]->id;
    d->nredact = nredact;
    memcpy(d->redact, redact, nredact * sizeof *redact);
    d->nerrors = nerr_total;
    if (r)
        finish(ps, &pr, r);
    return 0;
}

int omega_policy_decide(void *ctx, const struct omega_action *a, struct omega_decision *d)
{
    return omega_policy_decide_full(ctx, a, d, NULL);
}

int omega_policy_count_allowed(void *ctx, const struct omega_action *a)
{
    struct omega_policy_engine *eng = ctx;
    const struct omega_policy_set *ps = __atomic_load_n(&eng->ps, __ATOMIC_ACQUIRE);
    if (!ps || !a || !a->agent)
        return OMEGA_EINVAL;
    if (!ps->reads_rate)
        return 0;   /* no policy reads context.rate: the windows are not kept */
    struct prate_ticket tk;
    uint64_t w[PRATE_WINDOWS];
    prate_begin(eng->rate, a->agent, a->kind == OMEGA_ACT_OTHER ? a->method : omega_action_kind_name(a->kind),
                a->target ? a->target : "", a->now_ns, &tk, w);
    prate_end(eng->rate, &tk, 1);
    return 0;
}
