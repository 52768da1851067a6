/* Values, the pool and the per-decision arena, Cedar's JSON value format, and the entity store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/util.h"
#include "policy/policy_int.h"

/* ---- pool ---- */

struct ppool_blk {
    struct ppool_blk *next;
    size_t used, cap;
    max_align_t data[];
};

void *ppool_alloc(struct ppool *p, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    struct ppool_blk *b = p->blk;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->cap = cap;
        b->used = 0;
        b->next = p->blk;
        p->blk = b;
    }
    void *r = (char *)b->data + b->used;
    b->used += n;
    return r;
}

void ppool_free(struct ppool *p)
{
    struct ppool_blk *b = p->blk;
    while (b) {
        struct ppool_blk *n = b->next;
        free(b);
        b = n;
    }
    p->blk = NULL;
}

/* ---- arena ---- */

static _Thread_local unsigned char *arena;   /* one allocation per thread, on its first decision */
static _Thread_local size_t arena_used;

static void arena_release(void) { free(arena); arena = NULL; }

void parena_reset(void)
{
    arena_used = 0;
}

size_t parena_mark(void) { return arena_used; }
void parena_release(size_t mark) { arena_used = mark; }

void *parena_alloc(size_t n)
{
    if (!arena) {
        arena = malloc(PARENA_BYTES);
        if (!arena)
            return NULL;
        static int registered;
        if (!__atomic_exchange_n(&registered, 1, __ATOMIC_RELAXED))
            atexit(arena_release);   /* the main thread's arena, so leak checkers stay quiet */
    }
    n = (n + 15) & ~(size_t)15;
    if (n > PARENA_BYTES - arena_used)
        return NULL;
    void *r = arena + arena_used;
    arena_used += n;
    return r;
}

static void *alloc_in(struct ppool *pool, size_t n)
{
    return pool ? ppool_alloc(pool, n) : parena_alloc(n);
}

/* ---- strings ---- */

uint32_t pstr_hash(const char *p, size_t n)
{
    return omega_fnv32(p, n);
}

struct pstr pstr_make(const char *p, size_t n)
{
    struct pstr s = {p, (uint32_t)n, pstr_hash(p, n)};
    return s;
}

uint64_t puid_hash(const struct pstr *type, const struct pstr *id)
{
    uint64_t h = ((uint64_t)type->h << 32 | id->h) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29) ^ id->n;
}

/* ---- values ---- */

const char *pv_type_name(int t)
{
    static const char *const names[] = {"bool", "long", "string", "entity", "set", "record", "decimal", "ipaddr",
                                        "datetime", "duration", "set or record"};
    return t >= 0 && t <= PV_JSON ? names[t] : "?";
}

const struct pval *prec_get(const struct pval *rec, const struct pstr *k)
{
    for (uint32_t i = 0; i < rec->n; i++)
        if (pstr_eq(&rec->u.rec[i].k, k))
            return &rec->u.rec[i].v;
    return NULL;
}

void prec_sort(struct pfield *f, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        struct pfield x = f[i];
        uint32_t j = i;
        while (j > 0 && f[j - 1].k.h > x.k.h) {
            f[j] = f[j - 1];
            j--;
        }
        f[j] = x;
    }
}

static int set_has(const struct pval *set, const struct pval *v)
{
    for (uint32_t i = 0; i < set->n; i++)
        if (pv_eq(&set->u.set[i], v))
            return 1;
    return 0;
}

int pv_eq(const struct pval *a, const struct pval *b)
{
    if (a->t == PV_JSON || b->t == PV_JSON) {
        struct pval x = *a, y = *b;
        if (pv_materialize(&x) || pv_materialize(&y))
            return 0;
        return pv_eq(&x, &y);
    }
    if (a->t != b->t)
        return 0;
    switch (a->t) {
    case PV_BOOL: return !a->u.b == !b->u.b;
    case PV_LONG: case PV_DECIMAL: case PV_DATETIME: case PV_DURATION: return a->u.i == b->u.i;
    case PV_STR: return pstr_eq(&a->u.s, &b->u.s);
    case PV_ENTITY: return puid_eq(a->u.e, b->u.e);
    case PV_IP:
        return a->u.ip->v6 == b->u.ip->v6 && a->u.ip->prefix == b->u.ip->prefix &&
               memcmp(a->u.ip->addr, b->u.ip->addr, 16) == 0;
    case PV_SET:
        for (uint32_t i = 0; i < a->n; i++)
            if (!set_has(b, &a->u.set[i]))
                return 0;
        for (uint32_t i = 0; i < b->n; i++)
            if (!set_has(a, &b->u.set[i]))
                return 0;
        return 1;
    case PV_RECORD:
        if (a->n != b->n)
            return 0;
        for (uint32_t i = 0; i < a->n; i++) {
            const struct pval *o = prec_get(b, &a->u.rec[i].k);
            if (!o || !pv_eq(&a->u.rec[i].v, o))
                return 0;
        }
        return 1;
    }
    return 0;
}

/* ---- JSON ---- */

static int fail(char *msg, size_t msglen, const char *fmt, const char *arg)
{
    if (msg)
        snprintf(msg, msglen, fmt, arg ? arg : "");
    return OMEGA_EFORMAT;
}

static int str_in(struct ppool *pool, const json_t *j, struct pstr *out)
{
    if (pool) {
        size_t n = json_string_length(j);
        char *p = ppool_alloc(pool, n + 1);
        if (!p)
            return OMEGA_ENOMEM;
        memcpy(p, json_string_value(j), n + 1);
        *out = pstr_make(p, n);
    } else {
        *out = pstr_make(json_string_value(j), json_string_length(j));
    }
    return 0;
}

static int uid_from_obj(struct ppool *pool, const json_t *j, const struct puid **out, char *msg, size_t msglen)
{
    const json_t *t = json_object_get(j, "type"), *id = json_object_get(j, "id");
    if (!json_is_string(t) || !json_is_string(id) || json_object_size(j) != 2)
        return fail(msg, msglen, "an entity reference needs exactly \"type\" and \"id\" strings%s", NULL);
    struct puid *u = alloc_in(pool, sizeof *u);
    if (!u)
        return fail(msg, msglen, "out of memory%s", NULL);
    if (str_in(pool, t, &u->type) || str_in(pool, id, &u->id))
        return fail(msg, msglen, "out of memory%s", NULL);
    if (u->type.n == 0)
        return fail(msg, msglen, "an entity type must not be empty%s", NULL);
    u->h = puid_hash(&u->type, &u->id);
    *out = u;
    return 0;
}

int puid_parse_text(struct ppool *pool, const char *s, const struct puid **out)
{
    const char *q = strstr(s, "::\"");
    if (!q)
        return OMEGA_EFORMAT;
    size_t tn = (size_t)(q - s);
    const char *p = q + 3;
    size_t n = strlen(p);
    if (tn == 0 || n == 0 || p[n - 1] != '"')
        return OMEGA_EFORMAT;
    char *id = alloc_in(pool, n);
    char *type = alloc_in(pool, tn + 1);
    struct puid *u = alloc_in(pool, sizeof *u);
    if (!id || !type || !u)
        return OMEGA_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (p[i] == '\\' && i + 2 < n) {
            i++;
            id[k++] = p[i] == 'n' ? '\n' : p[i] == 't' ? '\t' : p[i] == 'r' ? '\r' : p[i] == '0' ? '\0' : p[i];
        } else if (p[i] == '"') {
            return OMEGA_EFORMAT;
        } else {
            id[k++] = p[i];
        }
    }
    id[k] = 0;
    memcpy(type, s, tn);
    type[tn] = 0;
    u->type = pstr_make(type, tn);
    u->id = pstr_make(id, k);
    u->h = puid_hash(&u->type, &u->id);
    *out = u;
    return 0;
}

int pjson_uid(struct ppool *pool, const json_t *j, const struct puid **out, char *msg, size_t msglen)
{
    if (json_is_string(j)) {
        if (puid_parse_text(pool, json_string_value(j), out))
            return fail(msg, msglen, "bad entity reference \"%s\" (expected Type::\"id\")", json_string_value(j));
        return 0;
    }
    if (!json_is_object(j))
        return fail(msg, msglen, "an entity reference must be an object or a Type::\"id\" string%s", NULL);
    const json_t *e = json_object_get(j, "__entity");
    return uid_from_obj(pool, e ? e : j, out, msg, msglen);
}

static int json_real_decimal(const json_t *j, int64_t *out);

#define PJSON_MAX_DEPTH 64

static int jvalue(struct ppool *pool, const json_t *j, int args, struct pval *out, char *msg, size_t msglen, int depth)
{
    memset(out, 0, sizeof *out);
    if (depth > PJSON_MAX_DEPTH)
        return fail(msg, msglen, "value nested too deeply%s", NULL);
    switch (json_typeof(j)) {
    case JSON_TRUE: case JSON_FALSE:
        out->t = PV_BOOL;
        out->u.b = json_is_true(j);
        return 0;
    case JSON_INTEGER:
        out->t = PV_LONG;
        out->u.i = (int64_t)json_integer_value(j);
        return 0;
    case JSON_REAL: {
        if (!args)
            return fail(msg, msglen, "numbers with a fraction are not Cedar values (use a decimal extension)%s", NULL);
        out->t = PV_DECIMAL;
        if (json_real_decimal(j, &out->u.i))
            return fail(msg, msglen, "number out of the decimal range%s", NULL);
        return 0;
    }
    case JSON_STRING:
        out->t = PV_STR;
        return str_in(pool, j, &out->u.s) ? fail(msg, msglen, "out of memory%s", NULL) : 0;
    case JSON_NULL:
        return fail(msg, msglen, "null is not a Cedar value%s", NULL);
    case JSON_ARRAY: {
        size_t n = json_array_size(j);
        struct pval *v = alloc_in(pool, (n ? n : 1) * sizeof *v);
        if (!v)
            return fail(msg, msglen, "out of memory%s", NULL);
        uint32_t k = 0;
        for (size_t i = 0; i < n; i++) {
            const json_t *x = json_array_get(j, i);
            if (args && json_is_null(x))
                continue;
            OMEGA_TRY(jvalue(pool, x, args, &v[k], msg, msglen, depth + 1));
            k++;
        }
        out->t = PV_SET;
        out->n = k;
        out->u.set = v;
        return 0;
    }
    case JSON_OBJECT: {
        if (!args) {
            const json_t *e = json_object_get(j, "__entity");
            if (e && json_object_size(j) == 1) {
                out->t = PV_ENTITY;
                return uid_from_obj(pool, e, &out->u.e, msg, msglen);
            }
            const json_t *x = json_object_get(j, "__extn");
            if (x && json_object_size(j) == 1) {
                const json_t *fn = json_object_get(x, "fn"), *arg = json_object_get(x, "arg");
                if (!json_is_string(fn) || !json_is_string(arg))
                    return fail(msg, msglen, "__extn needs \"fn\" and \"arg\" strings%s", NULL);
                const char *f = json_string_value(fn), *a = json_string_value(arg);
                size_t an = json_string_length(arg);
                if (strcmp(f, "decimal") == 0) {
                    out->t = PV_DECIMAL;
                    if (pext_decimal_parse(a, an, &out->u.i))
                        return fail(msg, msglen, "bad decimal \"%s\"", a);
                } else if (strcmp(f, "ip") == 0 || strcmp(f, "ipaddr") == 0) {
                    struct pip *ip = alloc_in(pool, sizeof *ip);
                    if (!ip || pext_ip_parse(a, an, ip))
                        return fail(msg, msglen, "bad ip \"%s\"", a);
                    out->t = PV_IP;
                    out->u.ip = ip;
                } else if (strcmp(f, "datetime") == 0) {
                    out->t = PV_DATETIME;
                    if (pext_datetime_parse(a, an, &out->u.i))
                        return fail(msg, msglen, "bad datetime \"%s\"", a);
                } else if (strcmp(f, "duration") == 0) {
                    out->t = PV_DURATION;
                    if (pext_duration_parse(a, an, &out->u.i))
                        return fail(msg, msglen, "bad duration \"%s\"", a);
                } else {
                    return fail(msg, msglen, "unknown extension function \"%s\"", f);
                }
                return 0;
            }
        }
        size_t n = json_object_size(j);
        struct pfield *f = alloc_in(pool, (n ? n : 1) * sizeof *f);
        if (!f)
            return fail(msg, msglen, "out of memory%s", NULL);
        uint32_t k = 0;
        const char *key;
        json_t *x;
        void *it = json_object_iter((json_t *)j);
        for (; it; it = json_object_iter_next((json_t *)j, it)) {
            key = json_object_iter_key(it);
            x = json_object_iter_value(it);
            if (args && json_is_null(x))
                continue;   /* an absent optional argument: `has` says no */
            size_t kn = json_object_iter_key_len(it);
            if (pool) {
                char *kp = ppool_alloc(pool, kn + 1);
                if (!kp)
                    return fail(msg, msglen, "out of memory%s", NULL);
                memcpy(kp, key, kn + 1);
                key = kp;
            }
            f[k].k = pstr_make(key, kn);
            OMEGA_TRY(jvalue(pool, x, args, &f[k].v, msg, msglen, depth + 1));
            k++;
        }
        out->t = PV_RECORD;
        out->n = k;
        out->u.rec = f;
        return 0;
    }
    }
    return fail(msg, msglen, "unsupported JSON value%s", NULL);
}

int pjson_value(struct ppool *pool, const json_t *j, int args_mode, struct pval *out, char *msg, size_t msglen)
{
    return jvalue(pool, j, args_mode, out, msg, msglen, 0);
}

static int json_real_decimal(const json_t *j, int64_t *out)
{
    /* A tool argument such as 12.5 becomes decimal("12.5"): four fractional digits, rounded. */
    double d = json_real_value(j) * 10000.0;
    if (!(d > -9.2e18 && d < 9.2e18))
        return -1;
    *out = (int64_t)(d < 0 ? d - 0.5 : d + 0.5);
    return 0;
}

int pjson_lazy(const json_t *j, struct pval *out)
{
    out->n = 0;
    switch (json_typeof(j)) {
    case JSON_TRUE: case JSON_FALSE: out->t = PV_BOOL; out->u.b = json_is_true(j); return 0;
    case JSON_INTEGER: out->t = PV_LONG; out->u.i = (int64_t)json_integer_value(j); return 0;
    case JSON_REAL: out->t = PV_DECIMAL; return json_real_decimal(j, &out->u.i);
    case JSON_STRING:
        out->t = PV_STR;
        out->u.s = pstr_make(json_string_value(j), json_string_length(j));
        return 0;
    case JSON_ARRAY: case JSON_OBJECT: out->t = PV_JSON; out->u.j = j; return 0;
    default: return -1;
    }
}

int pv_materialize(struct pval *v)
{
    if (v->t != PV_JSON)
        return 0;
    return pjson_value(NULL, v->u.j, 1, v, NULL, 0);
}

/* ---- entity store ---- */

const struct pentity *pent_find(const struct omega_entities *es, const struct puid *u)
{
    if (!es || es->cap == 0)
        return NULL;
    uint32_t m = es->cap - 1;
    for (uint32_t i = (uint32_t)u->h & m;; i = (i + 1) & m) {
        const struct pentity *e = es->slot[i];
        if (!e)
            return NULL;
        if (puid_eq(&e->uid, u))
            return e;
    }
}

int pent_in_ent(const struct pentity *e, const struct puid *a, const struct puid *b)
{
    if (puid_eq(a, b))
        return 1;
    if (!e)
        return 0;
    uint32_t lo = 0, hi = e->nanc;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (e->anc[mid]->h < b->h)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < e->nanc && e->anc[lo]->h == b->h; lo++)
        if (puid_eq(e->anc[lo], b))
            return 1;
    return 0;
}

int pent_in(const struct omega_entities *es, const struct puid *a, const struct puid *b)
{
    return puid_eq(a, b) || pent_in_ent(pent_find(es, a), a, b);
}

static int anc_cmp(const void *x, const void *y)
{
    uint64_t a = (*(const struct puid *const *)x)->h, b = (*(const struct puid *const *)y)->h;
    return a < b ? -1 : a > b;
}

struct omega_entities *omega_entities_empty(void)
{
    return calloc(1, sizeof(struct omega_entities));
}

void omega_entities_free(struct omega_entities *es)
{
    if (!es)
        return;
    ppool_free(&es->pool);
    free(es->slot);
    free(es);
}

uint32_t omega_entities_count(const struct omega_entities *es) { return es ? es->n : 0; }

/* Ancestors of e: a walk over parents with a visited list (cycles end the walk, never loop). */
static int closure(struct omega_entities *es, struct pentity *e, const struct puid ***buf, size_t *cap)
{
    size_t n = 0, head = 0;
    for (uint32_t i = 0; i < e->nparents; i++) {
        if (n == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            const struct puid **nb = realloc(*buf, *cap * sizeof **buf);
            if (!nb)
                return OMEGA_ENOMEM;
            *buf = nb;
        }
        (*buf)[n++] = e->parents[i];
    }
    while (head < n) {
        const struct pentity *p = pent_find(es, (*buf)[head++]);
        if (!p)
            continue;
        for (uint32_t i = 0; i < p->nparents; i++) {
            int seen = puid_eq(p->parents[i], &e->uid);
            for (size_t k = 0; k < n && !seen; k++)
                seen = puid_eq((*buf)[k], p->parents[i]);
            if (seen)
                continue;
            if (n == *cap) {
                *cap *= 2;
                const struct puid **nb = realloc(*buf, *cap * sizeof **buf);
                if (!nb)
                    return OMEGA_ENOMEM;
                *buf = nb;
            }
            (*buf)[n++] = p->parents[i];
        }
    }
    e->anc = ppool_alloc(&es->pool, (n ? n : 1) * sizeof *e->anc);
    if (!e->anc)
        return OMEGA_ENOMEM;
    if (n) {
        memcpy(e->anc, *buf, n * sizeof **buf);
        qsort(e->anc, n, sizeof *e->anc, anc_cmp);
    }
    e->nanc = (uint32_t)n;
    return 0;
}

int omega_entities_from_json(const json_t *j, struct omega_entities **out, struct omega_error *err)
{
    *out = NULL;
    if (!json_is_array(j))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "entities: expected a JSON array of {uid, attrs, parents}");
    struct omega_entities *es = omega_entities_empty();
    if (!es)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "entities: out of memory");
    size_t n = json_array_size(j);
    es->cap = 16;
    while (es->cap < n * 2)
        es->cap *= 2;
    es->slot = calloc(es->cap, sizeof *es->slot);
    struct pentity **list = calloc(n ? n : 1, sizeof *list);
    char msg[200];
    int rc = 0;
    if (!es->slot || !list) {
        rc = omega_error_set(err, OMEGA_ENOMEM, __FILE__, __LINE__, "entities: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *ej = json_array_get(j, i);
        struct pentity *e = ppool_alloc(&es->pool, sizeof *e);
        if (!e) {
            rc = omega_error_set(err, OMEGA_ENOMEM, __FILE__, __LINE__, "entities: out of memory");
            goto out;
        }
        memset(e, 0, sizeof *e);
        const struct puid *u;
        const json_t *uj = json_is_object(ej) ? json_object_get(ej, "uid") : NULL;
        if (!uj || pjson_uid(&es->pool, uj, &u, msg, sizeof msg)) {
            rc = omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__, "entities[%zu].uid: %s", i,
                                 uj ? msg : "missing");
            goto out;
        }
        e->uid = *u;
        const json_t *aj = json_object_get(ej, "attrs"), *tj = json_object_get(ej, "tags"),
                     *pj = json_object_get(ej, "parents");
        json_t *empty = json_object();
        rc = pjson_value(&es->pool, aj ? aj : empty, 0, &e->attrs, msg, sizeof msg);
        if (!rc && e->attrs.t != PV_RECORD)
            rc = fail(msg, sizeof msg, "attrs must be an object%s", NULL);
        if (!rc) {
            rc = pjson_value(&es->pool, tj ? tj : empty, 0, &e->tags, msg, sizeof msg);
            if (!rc && e->tags.t != PV_RECORD)
                rc = fail(msg, sizeof msg, "tags must be an object%s", NULL);
        }
        json_decref(empty);
        if (rc) {
            rc = omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__, "entities[%zu]: %s", i, msg);
            goto out;
        }
        if (pj && !json_is_array(pj)) {
            rc = omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__, "entities[%zu].parents: expected an array", i);
            goto out;
        }
        size_t np = json_array_size(pj);
        e->parents = ppool_alloc(&es->pool, (np ? np : 1) * sizeof *e->parents);
        if (!e->parents) {
            rc = omega_error_set(err, OMEGA_ENOMEM, __FILE__, __LINE__, "entities: out of memory");
            goto out;
        }
        for (size_t k = 0; k < np; k++)
            if (pjson_uid(&es->pool, json_array_get(pj, k), &e->parents[k], msg, sizeof msg)) {
                rc = omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__, "entities[%zu].parents[%zu]: %s", i, k, msg);
                goto out;
            }
        e->nparents = (uint32_t)np;
        if (pent_find(es, &e->uid)) {
            rc = omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__, "entities[%zu]: duplicate entity %.*s::\"%.*s\"",
                                 i, (int)e->uid.type.n, e->uid.type.p, (int)e->uid.id.n, e->uid.id.p);
            goto out;
        }
        uint32_t m = es->cap - 1, s = (uint32_t)e->uid.h & m;
        while (es->slot[s])
            s = (s + 1) & m;
        es->slot[s] = e;
        list[es->n++] = e;
    }
    {
        const struct puid **buf = NULL;
        size_t cap = 0;
        for (uint32_t i = 0; i < es->n && !rc; i++)
            if (closure(es, list[i], &buf, &cap))
                rc = omega_error_set(err, OMEGA_ENOMEM, __FILE__, __LINE__, "entities: out of memory");
        free(buf);
    }
out:
    free(list);
    if (rc) {
        omega_entities_free(es);
        return rc;
    }
    *out = es;
    return 0;
}

int omega_entities_load(const char *path, struct omega_entities **out, struct omega_error *err)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    int rc = omega_entities_from_json(j, out, err);
    json_decref(j);
    return rc;
}
