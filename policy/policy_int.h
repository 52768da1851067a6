/* Internals of the policy engine shared by its files: values, expressions, policies, entities, the
 * pools that hold what is built once and the per-thread arena that holds what one decision builds. */
#ifndef OMEGA_POLICY_INT_H
#define OMEGA_POLICY_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/error.h"
#include "policy/policy.h"

/* ---- memory ---- */

/* A bump allocator: what a policy set or an entity store builds once is freed all at once. */
struct ppool {
    struct ppool_blk *blk;
};
void *ppool_alloc(struct ppool *p, size_t n);
void ppool_free(struct ppool *p);

/* The per-decision arena: fixed storage per thread, reset at the start of each decision, so the hot
 * path never calls malloc. Running out is an evaluation error (the policy is skipped, never a crash). */
#define PARENA_BYTES (256 * 1024)
void parena_reset(void);
void *parena_alloc(size_t n);
size_t parena_mark(void);
void parena_release(size_t mark);

/* ---- strings and values ---- */

struct pstr {
    const char *p;   /* borrowed (pool, arena, or the caller's JSON) */
    uint32_t n;
    uint32_t h;      /* hash, computed once where the string is made */
};

uint32_t pstr_hash(const char *p, size_t n);
struct pstr pstr_make(const char *p, size_t n);
static inline int pstr_eq(const struct pstr *a, const struct pstr *b)
{
    return a->h == b->h && a->n == b->n && (a->n == 0 || __builtin_memcmp(a->p, b->p, a->n) == 0);
}

struct puid {
    struct pstr type, id;
    uint64_t h;
};
uint64_t puid_hash(const struct pstr *type, const struct pstr *id);
static inline int puid_eq(const struct puid *a, const struct puid *b)
{
    return a == b || (a->h == b->h && pstr_eq(&a->type, &b->type) && pstr_eq(&a->id, &b->id));
}

enum pv_type { PV_BOOL, PV_LONG, PV_STR, PV_ENTITY, PV_SET, PV_RECORD, PV_DECIMAL, PV_IP, PV_DATETIME, PV_DURATION,
               PV_JSON /* a tool-argument array or object not converted yet: converted only where a policy looks */ };

struct pip {
    uint8_t v6;       /* 0: IPv4 (addr[0..3]), 1: IPv6 */
    uint8_t prefix;
    uint8_t addr[16];
};

struct pfield;
struct pval {
    uint8_t t;
    uint32_t n;                        /* set: elements, record: fields */
    union {
        int b;
        int64_t i;                     /* long; decimal ×10⁴; datetime and duration in ms */
        struct pstr s;
        const struct puid *e;
        const struct pval *set;
        const struct pfield *rec;      /* sorted by key bytes */
        const struct pip *ip;
        const json_t *j;
    } u;
};

struct pfield {
    struct pstr k;
    struct pval v;
};

const char *pv_type_name(int t);
int pv_eq(const struct pval *a, const struct pval *b);
/* One level of a tool argument: scalars converted, arrays and objects left as PV_JSON. -1 for null. */
int pjson_lazy(const json_t *j, struct pval *out);
/* Convert a PV_JSON value in full (into the arena); other values are left as they are. */
int pv_materialize(struct pval *v);
const struct pval *prec_get(const struct pval *rec, const struct pstr *k);
/* Sort a record's fields by key (insertion sort: records are small). */
void prec_sort(struct pfield *f, uint32_t n);

/* ---- extension types (policy/ext.c) ---- */
int pext_decimal_parse(const char *s, size_t n, int64_t *out);
int pext_ip_parse(const char *s, size_t n, struct pip *out);
int pext_datetime_parse(const char *s, size_t n, int64_t *out);
int pext_duration_parse(const char *s, size_t n, int64_t *out);
int pext_ip_in_range(const struct pip *a, const struct pip *r);
int pext_ip_loopback(const struct pip *a);
int pext_ip_multicast(const struct pip *a);

/* ---- expressions ---- */

enum pop {
    PE_LIT, PE_VAR, PE_SLOT, PE_NOT, PE_NEG, PE_EQ, PE_NE, PE_LT, PE_LE, PE_GT, PE_GE, PE_IN, PE_AND, PE_OR,
    PE_ADD, PE_SUB, PE_MUL, PE_HAS, PE_ATTR, PE_LIKE, PE_IS, PE_IF, PE_SET, PE_RECORD, PE_CALL, PE_METHOD,
};

enum pvar { PVAR_PRINCIPAL, PVAR_ACTION, PVAR_RESOURCE, PVAR_CONTEXT };

enum pfn {
    PF_IP, PF_DECIMAL, PF_DATETIME, PF_DURATION,
    PF_CONTAINS, PF_CONTAINS_ALL, PF_CONTAINS_ANY, PF_IS_EMPTY, PF_HAS_TAG, PF_GET_TAG,
    PF_LESS_THAN, PF_LESS_EQ, PF_GREATER_THAN, PF_GREATER_EQ,
    PF_IS_IPV4, PF_IS_IPV6, PF_IS_LOOPBACK, PF_IS_MULTICAST, PF_IS_IN_RANGE,
    PF_OFFSET, PF_DURATION_SINCE, PF_TO_DATE, PF_TO_TIME,
    PF_TO_MS, PF_TO_S, PF_TO_MIN, PF_TO_H, PF_TO_D,
};

struct plike {           /* one element of a like pattern */
    uint8_t wild;
    char c;
};

struct pexpr {
    uint8_t op;
    uint8_t var;             /* PE_VAR / PE_SLOT */
    uint8_t fn;              /* PE_CALL / PE_METHOD */
    uint32_t line, col;
    struct pval lit;         /* PE_LIT */
    struct pexpr *a, *b, *c; /* operands; PE_IS: b the optional `in` */
    struct pexpr **args;     /* PE_SET, PE_RECORD values, PE_CALL/PE_METHOD arguments */
    uint32_t nargs;
    struct pstr name;        /* PE_ATTR / PE_HAS attribute, PE_IS type */
    struct pstr *path;       /* PE_HAS: a.b.c has-path (npath elements) */
    uint32_t npath;
    struct pstr *keys;       /* PE_RECORD */
    struct plike *pat;       /* PE_LIKE */
    uint32_t npat;
};

/* ---- policies ---- */

enum pscope { PS_ANY, PS_EQ, PS_IN, PS_IS, PS_IS_IN, PS_IN_SET };

struct pscope_c {
    uint8_t kind;
    uint8_t slot;                 /* the entity is ?principal / ?resource */
    struct pstr type;             /* PS_IS, PS_IS_IN */
    const struct puid *e;         /* PS_EQ, PS_IN, PS_IS_IN */
    const struct puid **set;      /* PS_IN_SET (action in [...]) */
    uint32_t nset;
};

struct pannot {
    struct pstr k, v;
};

struct ppolicy {
    uint32_t idx;                 /* position in source order */
    char id[24];                  /* Cedar's id: policyN, or the link's new id */
    const char *annot_id;         /* @id("…"), or NULL */
    uint8_t forbid;
    uint8_t is_template;
    uint8_t verdict;              /* OMEGA_ALLOW, OMEGA_ASK, OMEGA_REDACT (from @decision) */
    struct pscope_c principal, action, resource;
    struct pexpr **conds;
    uint8_t *unless;
    uint32_t nconds;
    struct pannot *annots;
    uint32_t nannots;
    const char **redact;          /* @redact("a,b") fields */
    uint32_t nredact;
    uint32_t line, col;
};

struct omega_policy_set {
    struct ppool pool;
    struct ppolicy **pol;         /* active policies (static and linked), in source order */
    uint32_t npol;
    struct ppolicy **tmpl;        /* templates (not evaluated until linked) */
    uint32_t ntmpl;
    /* Index: policies whose resource scope names an entity E (`== E`, `in E`, `is T in E`) sit in
     * a bucket per E, looked up for the resource and each of its ancestors; the rest are checked
     * for every request. Each list is in source order. */
    uint32_t *general;
    uint32_t ngeneral;
    struct pbucket *buckets;
    uint32_t nbuckets;            /* power of two */
    uint32_t maxbucket;
    /* Every entity uid the policies name, once: a request's uids are mapped onto these, so most
     * equality tests in scopes and conditions are a pointer compare. */
    const struct puid **uids;     /* open addressing (malloc'd) */
    uint32_t uids_cap, nuids;
    int reads_rate;               /* some condition reads context.rate: decisions keep its windows */
};

struct pbucket {
    const struct puid *e;
    uint32_t *idx;
    uint32_t n;
};

/* ---- entities ---- */

struct pentity {
    struct puid uid;
    struct pval attrs;            /* a record */
    struct pval tags;             /* a record */
    const struct puid **anc;      /* all ancestors (transitive), sorted by hash */
    uint32_t nanc;
    const struct puid **parents;
    uint32_t nparents;
};

struct omega_entities {
    struct ppool pool;
    struct pentity **slot;        /* open addressing by uid hash */
    uint32_t cap;
    uint32_t n;
};

const struct pentity *pent_find(const struct omega_entities *es, const struct puid *u);
/* 1 when a is b or a descends from b. */
int pent_in(const struct omega_entities *es, const struct puid *a, const struct puid *b);
/* The same with a's entity already found (NULL when a is not in the store). */
int pent_in_ent(const struct pentity *ea, const struct puid *a, const struct puid *b);

/* JSON (Cedar's value format) → value: into the pool when pool is given, else the arena. */
int pjson_value(struct ppool *pool, const json_t *j, int args_mode, struct pval *out, char *msg, size_t msglen);
/* A uid from {"type","id"}, {"__entity": {...}} or the text form Type::"id". */
int pjson_uid(struct ppool *pool, const json_t *j, const struct puid **out, char *msg, size_t msglen);
/* Parse Type::"id" text (the type may be namespaced). */
int puid_parse_text(struct ppool *pool, const char *s, const struct puid **out);

/* ---- evaluation ---- */

struct preq {
    const struct puid *principal, *action, *resource;
    struct pval context;
};

struct presult {
    int allow;                    /* Cedar's answer */
    uint32_t *reasons;            /* determining policies (indices into pol), caller storage */
    uint32_t nreasons, reasons_cap;
    uint32_t *errs;               /* policies whose condition errored */
    char (*errmsg)[160];          /* may be NULL */
    uint32_t nerrs, errs_cap;
    uint32_t nerrs_total;         /* errors counted beyond errs_cap too */
};

int pol_authorize(const struct omega_policy_set *ps, const struct omega_entities *es, const struct preq *rq,
                  struct presult *r);

/* The set's one copy of u (u itself when new); NULL when out of memory. */
const struct puid *pset_intern(struct omega_policy_set *ps, const struct puid *u);
/* The set's copy of u, or u when the policies never name it. */
const struct puid *pset_canon(const struct omega_policy_set *ps, const struct puid *u);

/* ---- sliding windows for context.rate (policy/rate.c) ---- */

#define PRATE_WINDOWS 3              /* minute, hour, day */
#define PRATE_TOOLS 64               /* (method, target) pairs with live windows per agent */
#define PRATE_AGENTS 4096            /* agents an engine keeps windows for */
#define PRATE_UNKNOWN 2147483647u    /* what the windows read when there is no room to count */

struct prate;
/* One decision's hold on an agent's windows, from prate_begin to prate_end. */
struct prate_ticket {
    void *lock;                      /* the stripe held */
    void *block;                     /* the agent's windows, or NULL */
    int slot;                        /* the entry to count into, or -1 */
    uint64_t claim;                  /* key to claim the entry for (a first call), or 0 */
    uint32_t step[PRATE_WINDOWS];    /* the decision's time, in each window's steps */
};
/* Windows for up to `agents` agents (owned; the agents' blocks are made on first use). */
struct prate *prate_new(uint32_t agents);
/* Free the windows; NULL is a no-op. */
void prate_free(struct prate *r);
/* Lock the agent's windows and read the counts of (method, target) at now_ns (0: the monotonic
 * clock) into out (minute, hour, day). Every prate_begin is followed by one prate_end. */
void prate_begin(struct prate *r, const char *agent, const char *method, const char *target, uint64_t now_ns,
                 struct prate_ticket *t, uint64_t out[PRATE_WINDOWS]);
/* Count the call when the policies allowed it, and unlock. */
void prate_end(struct prate *r, struct prate_ticket *t, int allowed);
/* 1 when a condition of the set reads context.rate (or the whole context). */
int pset_reads_rate(const struct omega_policy_set *ps);

/* Parser entry (policy/parse.c). */
int pparse(struct omega_policy_set *ps, const char *text, size_t len, const char *file, struct omega_error *err);
/* Fold constant subexpressions of a parsed expression (results live in pool). */
void pfold(struct ppool *pool, struct pexpr *e);
/* Build the index after parsing or linking. */
int pindex_build(struct omega_policy_set *ps);

#endif
