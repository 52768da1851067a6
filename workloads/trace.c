/* Workload traces: the Azure LLM inference trace, Poisson arrivals, and the trace-replay format. */
#include "workloads/trace.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AZURE_MAX_BYTES (256u << 20)
#define TRACE_MAX_BYTES (256u << 20)
#define TRACE_LINE_MAX (1u << 20)

void omega_azure_fini(struct omega_azure_trace *t)
{
    if (!t)
        return;
    free(t->req);
    t->req = NULL;
    t->n = 0;
}

/* "YYYY-MM-DD HH:MM:SS[.fraction]" (UTC) into seconds since the epoch; -1 on anything else. */
static int azure_time(const char *s, size_t len, double *out)
{
    char buf[48];
    if (len < 19 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    static const char shape[] = "dddd-dd-dd dd:dd:dd";
    for (size_t i = 0; i < 19; i++) {
        if (shape[i] == 'd' ? (buf[i] < '0' || buf[i] > '9') : buf[i] != shape[i])
            return -1;
    }
    struct tm tm = {0};
    tm.tm_year = atoi(buf) - 1900;
    tm.tm_mon = atoi(buf + 5) - 1;
    tm.tm_mday = atoi(buf + 8);
    tm.tm_hour = atoi(buf + 11);
    tm.tm_min = atoi(buf + 14);
    tm.tm_sec = atoi(buf + 17);
    if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    double frac = 0;
    if (len > 19) {
        if (buf[19] != '.' || len == 20)
            return -1;
        double scale = 0.1;
        for (size_t i = 20; i < len; i++) {
            if (buf[i] < '0' || buf[i] > '9')
                return -1;
            frac += (buf[i] - '0') * scale;
            scale /= 10;
        }
    }
    *out = (double)timegm(&tm) + frac;
    return 0;
}

/* A decimal token count, at most 10 million (far above any model's context). */
static int azure_count(const char *s, size_t len, uint32_t *out)
{
    if (len == 0 || len > 8)
        return -1;
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    if (v > 10000000)
        return -1;
    *out = v;
    return 0;
}

int omega_azure_parse(struct omega_azure_trace *t, const char *text, size_t len, const char *name,
                      struct omega_error *err)
{
    memset(t, 0, sizeof *t);
    size_t cap = 0, off = 0;
    unsigned line = 0;
    double prev = -INFINITY;
    while (off < len) {
        const char *p = text + off;
        const char *nl = memchr(p, '\n', len - off);
        size_t l = nl ? (size_t)(nl - p) : len - off;
        off += l + (nl ? 1 : 0);
        line++;
        if (l > 0 && p[l - 1] == '\r')
            l--;
        if (memchr(p, 0, l)) {
            omega_azure_fini(t);
            OMEGA_FAIL(err, OMEGA_EFORMAT, "%s:%u: NUL byte in line", name, line);
        }
        if (line == 1) {
            static const char hdr[] = "TIMESTAMP,ContextTokens,GeneratedTokens";
            if (l != sizeof hdr - 1 || memcmp(p, hdr, l) != 0)
                OMEGA_FAIL(err, OMEGA_EFORMAT, "%s:1: expected the header '%s'", name, hdr);
            continue;
        }
        if (l == 0)
            continue;
        const char *c1 = memchr(p, ',', l);
        const char *c2 = c1 ? memchr(c1 + 1, ',', l - (size_t)(c1 + 1 - p)) : NULL;
        if (!c1 || !c2 || memchr(c2 + 1, ',', l - (size_t)(c2 + 1 - p))) {
            omega_azure_fini(t);
            OMEGA_FAIL(err, OMEGA_EFORMAT, "%s:%u: expected 3 comma-separated fields", name, line);
        }
        double ts;
        struct omega_azure_req r;
        if (azure_time(p, (size_t)(c1 - p), &ts) < 0) {
            omega_azure_fini(t);
            OMEGA_FAIL(err, OMEGA_EFORMAT, "%s:%u: bad TIMESTAMP '%.*s' (want YYYY-MM-DD HH:MM:SS.fffffff)", name, line,
                       (int)(c1 - p > 40 ? 40 : c1 - p), p);
        }
        if (azure_count(c1 + 1, (size_t)(c2 - c1 - 1), &r.ctx_tokens) < 0) {
            omega_azure_fini(t);
            OMEGA_FAIL(err, OMEGA_EFORMAT, "%s:%u: bad ContextTokens (a count up to 10000000)", name, line);
        }
        if (azure_count(c2 + 1, (size_t)(p + l - c2 - 1), &r.gen_tokens) < 0) {
            omega_azure_fini(t);
            OMEGA_FAIL(err, OMEGA_EFORMAT, "%s:%u: bad GeneratedTokens (a count up to 10000000)", name, line);
        }
        if (ts < prev) {
            omega_azure_fini(t);
            OMEGA_FAIL(err, OMEGA_EFORMAT, "%s:%u: TIMESTAMP goes back in time", name, line);
        }
        prev = ts;
        if (t->n == cap) {
            size_t nc = cap ? cap * 2 : 1024;
            struct omega_azure_req *nr = realloc(t->req, nc * sizeof *nr);
            if (!nr) {
                omega_azure_fini(t);
                OMEGA_FAIL(err, OMEGA_ENOMEM, "%s: out of memory", name);
            }
            t->req = nr;
            cap = nc;
        }
        if (t->n == 0)
            t->t0_epoch = ts;
        r.t_s = ts - t->t0_epoch;
        t->req[t->n++] = r;
    }
    if (line == 0)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "%s: empty file (no header)", name);
    if (t->n == 0)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "%s: no requests after the header", name);
    return 0;
}

int omega_azure_read(struct omega_azure_trace *t, const char *path, struct omega_error *err)
{
    struct omega_buf b;
    omega_buf_init(&b);
    memset(t, 0, sizeof *t);
    int rc = omega_buf_read_file(&b, path, AZURE_MAX_BYTES, err);
    if (rc == 0)
        rc = omega_azure_parse(t, (const char *)b.data, b.len, path, err);
    omega_buf_fini(&b);
    return rc;
}

double omega_azure_rate(const struct omega_azure_trace *t)
{
    if (!t || t->n < 2 || t->req[t->n - 1].t_s <= 0)
        return 0;
    return (double)(t->n - 1) / t->req[t->n - 1].t_s;
}

/* ---- random numbers and Poisson arrivals ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void omega_rng_seed(struct omega_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t omega_rng_next(struct omega_rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double omega_rng_uniform(struct omega_rng *r)
{
    return ((double)(omega_rng_next(r) >> 11) + 1.0) * 0x1.0p-53;
}

double omega_rng_exp(struct omega_rng *r, double rate)
{
    return -log(omega_rng_uniform(r)) / rate;
}

void omega_poisson_arrivals(struct omega_rng *r, double rate, size_t n, double *out)
{
    double t = 0;
    for (size_t i = 0; i < n; i++) {
        t += omega_rng_exp(r, rate);
        out[i] = t;
    }
}

/* ---- trace-replay format ---- */

static const char *const kind_names[] = {"infer", "call", "result", "send"};

const char *omega_trace_kind_name(enum omega_trace_kind k)
{
    return (unsigned)k < 4 ? kind_names[k] : "?";
}

static int copy_name(char *dst, size_t cap, const json_t *v, const char *field, struct omega_error *err)
{
    const char *s = json_string_value(v);
    if (!s || !*s)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "\"%s\" must be a non-empty string", field);
    if (strlen(s) >= cap)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "\"%s\" is longer than %zu bytes", field, cap - 1);
    snprintf(dst, cap, "%s", s);
    return 0;
}

static int token_count(const json_t *v, const char *field, uint32_t *out, struct omega_error *err)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 10000000)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "\"%s\" must be an integer from 0 to 10000000", field);
    *out = (uint32_t)json_integer_value(v);
    return 0;
}

/* A JSON-RPC 2.0 message of the shape its event kind needs. */
static int check_jsonrpc(const json_t *msg, enum omega_trace_kind kind, struct omega_error *err)
{
    if (!json_is_object(msg))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "\"msg\" must be a JSON-RPC 2.0 object");
    const char *v = json_string_value(json_object_get(msg, "jsonrpc"));
    if (!v || strcmp(v, "2.0") != 0)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "\"msg\": \"jsonrpc\" must be \"2.0\"");
    json_t *id = json_object_get(msg, "id");
    if (id && !json_is_string(id) && !json_is_integer(id) && !json_is_null(id))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "\"msg\": \"id\" must be a string, an integer or null");
    if (kind == OMEGA_TRACE_RESULT) {
        int has_r = json_object_get(msg, "result") != NULL, has_e = json_object_get(msg, "error") != NULL;
        if (!id)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "\"msg\": a response needs an \"id\"");
        if (has_r == has_e)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "\"msg\": a response has exactly one of \"result\" and \"error\"");
        return 0;
    }
    const char *method = json_string_value(json_object_get(msg, "method"));
    if (!method || !*method)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "\"msg\": a request needs a \"method\" string");
    json_t *params = json_object_get(msg, "params");
    if (params && !json_is_object(params) && !json_is_array(params))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "\"msg\": \"params\" must be an object or an array");
    if (kind == OMEGA_TRACE_CALL && strcmp(method, "tools/call") == 0) {
        const char *tool = json_string_value(json_object_get(params, "name"));
        if (!tool || !*tool)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "\"msg\": tools/call needs params.name");
        json_t *args = json_object_get(params, "arguments");
        if (args && !json_is_object(args))
            OMEGA_FAIL(err, OMEGA_EFORMAT, "\"msg\": tools/call params.arguments must be an object");
    }
    return 0;
}

int omega_trace_event_from_json(struct omega_trace_event *ev, const json_t *j, struct omega_error *err)
{
    memset(ev, 0, sizeof *ev);
    if (!json_is_object(j))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "an event must be a JSON object");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        static const char *const known[] = {"t_ms", "agent", "kind", "to", "msg", "labels", "prompt_tokens",
                                            "gen_tokens"};
        size_t i = 0;
        while (i < sizeof known / sizeof known[0] && strcmp(known[i], k) != 0)
            i++;
        if (i == sizeof known / sizeof known[0])
            OMEGA_FAIL(err, OMEGA_EFORMAT, "unknown field \"%s\"", k);
    }
    json_t *t = json_object_get(j, "t_ms");
    if (!json_is_number(t) || !isfinite(json_number_value(t)) || json_number_value(t) < 0)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "\"t_ms\" must be a non-negative number");
    ev->t_ms = json_number_value(t);
    OMEGA_TRY(copy_name(ev->agent, sizeof ev->agent, json_object_get(j, "agent"), "agent", err));
    const char *kind = json_string_value(json_object_get(j, "kind"));
    size_t ki = 0;
    while (kind && ki < 4 && strcmp(kind, kind_names[ki]) != 0)
        ki++;
    if (!kind || ki == 4)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "\"kind\" must be one of infer, call, result, send");
    ev->kind = (enum omega_trace_kind)ki;
    json_t *msg = json_object_get(j, "msg"), *to = json_object_get(j, "to"), *labels = json_object_get(j, "labels");
    json_t *pt = json_object_get(j, "prompt_tokens"), *gt = json_object_get(j, "gen_tokens");
    if (ev->kind == OMEGA_TRACE_INFER) {
        if (msg || to || labels)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "an infer event has no \"msg\", \"to\" or \"labels\"");
        OMEGA_TRY(token_count(pt, "prompt_tokens", &ev->prompt_tokens, err));
        OMEGA_TRY(token_count(gt, "gen_tokens", &ev->gen_tokens, err));
        return 0;
    }
    if (pt || gt)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "only infer events carry token counts");
    if (ev->kind == OMEGA_TRACE_SEND)
        OMEGA_TRY(copy_name(ev->to, sizeof ev->to, to, "to", err));
    else if (to)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "only send events have \"to\"");
    if (!msg)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "a %s event needs \"msg\"", kind_names[ki]);
    OMEGA_TRY(check_jsonrpc(msg, ev->kind, err));
    if (ev->kind == OMEGA_TRACE_CALL && labels)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "a call carries no labels (its agent's context does)");
    if (labels) {
        OMEGA_TRY(omega_labels_from_json(&ev->labels, labels, err));
        ev->has_labels = 1;
    }
    ev->msg = json_deep_copy(msg);
    if (!ev->msg)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    return 0;
}

json_t *omega_trace_event_to_json(const struct omega_trace_event *ev)
{
    json_t *o = json_object();
    /* Times are written with microsecond resolution, so a write-read-write cycle is byte-exact. */
    json_object_set_new(o, "t_ms", json_real(round(ev->t_ms * 1000.0) / 1000.0));
    json_object_set_new(o, "agent", json_string(ev->agent));
    json_object_set_new(o, "kind", json_string(omega_trace_kind_name(ev->kind)));
    if (ev->kind == OMEGA_TRACE_INFER) {
        json_object_set_new(o, "prompt_tokens", json_integer(ev->prompt_tokens));
        json_object_set_new(o, "gen_tokens", json_integer(ev->gen_tokens));
        return o;
    }
    if (ev->kind == OMEGA_TRACE_SEND)
        json_object_set_new(o, "to", json_string(ev->to));
    json_object_set(o, "msg", ev->msg);
    if (ev->has_labels)
        json_object_set_new(o, "labels", omega_labels_to_json(&ev->labels));
    return o;
}

int omega_trace_append(struct omega_trace *t, struct omega_trace_event *ev)
{
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        struct omega_trace_event *ne = realloc(t->ev, nc * sizeof *ne);
        if (!ne)
            return OMEGA_ENOMEM;
        t->ev = ne;
        t->cap = nc;
    }
    t->ev[t->n++] = *ev;
    ev->msg = NULL;
    return 0;
}

void omega_trace_fini(struct omega_trace *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        json_decref(t->ev[i].msg);
    free(t->ev);
    memset(t, 0, sizeof *t);
}

int omega_trace_parse(struct omega_trace *t, const char *text, size_t len, const char *name,
                      struct omega_error *err)
{
    memset(t, 0, sizeof *t);
    size_t off = 0;
    unsigned line = 0;
    double prev = 0;
    while (off < len) {
        const char *p = text + off;
        const char *nl = memchr(p, '\n', len - off);
        size_t l = nl ? (size_t)(nl - p) : len - off;
        off += l + (nl ? 1 : 0);
        line++;
        size_t s = 0;
        while (s < l && (p[s] == ' ' || p[s] == '\t' || p[s] == '\r'))
            s++;
        if (s == l || p[s] == '#')
            continue;
        if (l > TRACE_LINE_MAX) {
            omega_trace_fini(t);
            OMEGA_FAIL(err, OMEGA_EFORMAT, "%s:%u: line longer than %u bytes", name, line, TRACE_LINE_MAX);
        }
        json_error_t je;
        json_t *j = json_loadb(p, l, JSON_REJECT_DUPLICATES, &je);
        if (!j) {
            omega_trace_fini(t);
            OMEGA_FAIL(err, OMEGA_EFORMAT, "%s:%u: not JSON: %s (column %d)", name, line, je.text, je.column);
        }
        struct omega_trace_event ev;
        struct omega_error e2;
        omega_error_clear(&e2);
        int rc = omega_trace_event_from_json(&ev, j, &e2);
        json_decref(j);
        if (rc < 0) {
            omega_trace_fini(t);
            OMEGA_FAIL(err, rc, "%s:%u: %s", name, line, e2.msg);
        }
        if (ev.t_ms < prev) {
            json_decref(ev.msg);
            omega_trace_fini(t);
            OMEGA_FAIL(err, OMEGA_EFORMAT, "%s:%u: t_ms %.3f is earlier than the line before (%.3f)", name, line,
                       ev.t_ms, prev);
        }
        prev = ev.t_ms;
        ev.line = line;
        if (omega_trace_append(t, &ev) < 0) {
            json_decref(ev.msg);
            omega_trace_fini(t);
            OMEGA_FAIL(err, OMEGA_ENOMEM, "%s: out of memory", name);
        }
    }
    return 0;
}

int omega_trace_read(struct omega_trace *t, const char *path, struct omega_error *err)
{
    struct omega_buf b;
    omega_buf_init(&b);
    memset(t, 0, sizeof *t);
    int rc = omega_buf_read_file(&b, path, TRACE_MAX_BYTES, err);
    if (rc == 0)
        rc = omega_trace_parse(t, (const char *)b.data, b.len, path, err);
    omega_buf_fini(&b);
    return rc;
}

int omega_trace_write(const struct omega_trace *t, struct omega_buf *out)
{
    for (size_t i = 0; i < t->n; i++) {
        json_t *o = omega_trace_event_to_json(&t->ev[i]);
        char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) : NULL;
        json_decref(o);
        if (!s)
            return OMEGA_ENOMEM;
        int rc = omega_buf_printf(out, "%s\n", s);
        free(s);
        OMEGA_TRY(rc);
    }
    return 0;
}

/* Tools of the synthetic sessions: what a tool-calling agent typically asks for, with the labels its
 * result carries. */
static const struct {
    const char *tool, *integrity, *cls;
} synth_tools[] = {
    {"read_file", "trusted", "PII"},
    {"http_get", "untrusted", NULL},
    {"kv_get", "trusted", NULL},
    {"send_email", "trusted", NULL},
};

int omega_trace_generate(struct omega_trace *t, uint64_t seed, unsigned agents, unsigned rounds,
                         double rate_per_agent, const struct omega_azure_trace *az, struct omega_error *err)
{
    memset(t, 0, sizeof *t);
    if (agents == 0 || rounds == 0 || !(rate_per_agent > 0))
        OMEGA_FAIL(err, OMEGA_EINVAL, "generate: agents, rounds and rate must be positive");
    struct omega_rng rng;
    omega_rng_seed(&rng, seed);
    /* Each agent's events are made on its own clock, then merged by time (stable by agent, round). */
    size_t n = (size_t)agents * rounds * 3;
    struct omega_trace all = {0};
    for (unsigned a = 0; a < agents; a++) {
        double now = 0;
        for (unsigned r = 0; r < rounds; r++) {
            now += omega_rng_exp(&rng, rate_per_agent) * 1000.0;
            uint32_t pt = 256, gt = 64;
            if (az && az->n) {
                const struct omega_azure_req *q = &az->req[omega_rng_next(&rng) % az->n];
                pt = q->ctx_tokens;
                gt = q->gen_tokens;
            }
            unsigned ti = (unsigned)(omega_rng_next(&rng) % (sizeof synth_tools / sizeof synth_tools[0]));
            struct omega_trace_event ev[3];
            memset(ev, 0, sizeof ev);
            for (int k = 0; k < 3; k++)
                snprintf(ev[k].agent, sizeof ev[k].agent, "a%u", a);
            ev[0].kind = OMEGA_TRACE_INFER;
            ev[0].t_ms = round(now * 1000) / 1000;
            ev[0].prompt_tokens = pt;
            ev[0].gen_tokens = gt;
            ev[1].kind = OMEGA_TRACE_CALL;
            ev[1].t_ms = round((now + 0.02 * gt) * 1000) / 1000;  /* after its tokens at ~20 us each, modeled */
            ev[1].msg = json_pack("{s:s, s:i, s:s, s:{s:s, s:{s:s, s:i}}}", "jsonrpc", "2.0", "id", (int)r + 1,
                                  "method", "tools/call", "params", "name", synth_tools[ti].tool, "arguments",
                                  "key", "k", "n", (int)(omega_rng_next(&rng) % 1000));
            ev[2].kind = OMEGA_TRACE_RESULT;
            ev[2].t_ms = round((ev[1].t_ms + 1.0 + (double)(omega_rng_next(&rng) % 5000) / 1000.0) * 1000) / 1000;
            ev[2].msg = json_pack("{s:s, s:i, s:{s:[{s:s, s:s}]}}", "jsonrpc", "2.0", "id", (int)r + 1, "result",
                                  "content", "type", "text", "text", "ok");
            ev[2].has_labels = 1;
            omega_labels_init(&ev[2].labels);
            ev[2].labels.untrusted = strcmp(synth_tools[ti].integrity, "untrusted") == 0;
            if (synth_tools[ti].cls) {
                int lrc = omega_label_set_add(&ev[2].labels.classes, synth_tools[ti].cls);
                (void)lrc;  /* one short name into an empty set cannot fail */
            }
            now = ev[2].t_ms;
            for (int k = 0; k < 3; k++) {
                if ((k > 0 && !ev[k].msg) || omega_trace_append(&all, &ev[k]) < 0) {
                    for (int q = k; q < 3; q++)
                        json_decref(ev[q].msg);
                    omega_trace_fini(&all);
                    OMEGA_FAIL(err, OMEGA_ENOMEM, "generate: out of memory");
                }
            }
        }
    }
    /* Stable merge by time: a k-way merge over the agents' runs keeps equal times in agent order. */
    size_t *pos = calloc(agents, sizeof *pos);
    t->ev = malloc(n * sizeof *t->ev);
    if (!pos || !t->ev) {
        free(pos);
        free(t->ev);
        t->ev = NULL;
        omega_trace_fini(&all);
        OMEGA_FAIL(err, OMEGA_ENOMEM, "generate: out of memory");
    }
    size_t per = (size_t)rounds * 3;
    for (size_t i = 0; i < n; i++) {
        unsigned best = agents;
        for (unsigned a = 0; a < agents; a++)
            if (pos[a] < per && (best == agents || all.ev[a * per + pos[a]].t_ms < all.ev[best * per + pos[best]].t_ms))
                best = a;
        t->ev[i] = all.ev[best * per + pos[best]++];
        t->ev[i].line = (unsigned)i + 1;
    }
    t->n = t->cap = n;
    free(pos);
    free(all.ev);  /* the events (and their messages) moved into t */
    return 0;
}
