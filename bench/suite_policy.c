/* omega bench policy: decision latency of the compiled engine for 10, 100 and 1,000 policies over a
 * 1,000-entity hierarchy with realistic MCP tools/call arguments and labels, against Cedar's own
 * implementation (@cedar-policy/cedar-wasm under Node) on the same policies and requests in the same
 * run; and the monitor's per-action path (label join + decision + provenance record). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "core/buf.h"
#include "core/cli.h"
#include "core/labels.h"
#include "core/util.h"
#include "core/monitor.h"
#include "attest/provlog.h"
#include "policy/policy.h"

#ifndef OMEGA_SRCDIR
#define OMEGA_SRCDIR "."   /* builds without the source path (the fuzz build) look from the current folder */
#endif

#define N_ORGS 10
#define N_TEAMS 40
#define N_AGENTS 800
#define N_SETS 10
#define N_TOOLS 140   /* 10 + 40 + 800 + 10 + 140 = 1,000 entities */
#define N_REQUESTS 1000

struct world {
    uint64_t rng;
    json_t *entities;                 /* Cedar's entities JSON */
    struct omega_entities *es;
};

struct request {
    char agent[16], tool[16];
    json_t *args;                     /* MCP params.arguments */
    struct omega_labels labels;       /* the agent's context labels */
    struct omega_labels result;       /* labels of the tool result joined in on the monitor path */
    uint64_t count;
    json_t *cedar;                    /* the same request in Cedar's JSON form */
};

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}
static unsigned rn(uint64_t *s, unsigned n) { return (unsigned)(rnd(s) % n); }

static json_t *uid(const char *t, const char *fmt, unsigned i)
{
    char id[32];
    snprintf(id, sizeof id, fmt, i);
    return json_pack("{s:s, s:s}", "type", t, "id", id);
}

static const char *const ibans[] = {"DE89370400440532013000", "FR1420041010050500013M02606", "GB33BUKB20201555555555",
                                    "NL91ABNA0417164300", "ES9121000418450200051332", "IT60X0542811101000000123456"};

static int world_build(struct world *w)
{
    w->rng = 0x5eed5eedULL;
    w->entities = json_array();
    for (unsigned i = 0; i < N_ORGS; i++)
        json_array_append_new(w->entities, json_pack("{s:o, s:{}, s:[]}", "uid", uid("Org", "o%u", i), "attrs", "parents"));
    for (unsigned i = 0; i < N_TEAMS; i++)
        json_array_append_new(w->entities, json_pack("{s:o, s:{}, s:[o]}", "uid", uid("Team", "t%u", i), "attrs",
                                                     "parents", uid("Org", "o%u", i % N_ORGS)));
    for (unsigned i = 0; i < N_AGENTS; i++) {
        json_t *parents = json_pack("[o]", uid("Team", "t%u", i % N_TEAMS));
        if (i % 7 == 0)
            json_array_append_new(parents, uid("Team", "t%u", rn(&w->rng, N_TEAMS)));
        json_t *payees = json_array();
        for (unsigned k = 0; k < 3; k++)
            json_array_append_new(payees, json_string(ibans[(i + k) % 6]));
        json_array_append_new(w->entities, json_pack("{s:o, s:{s:i, s:s, s:o}, s:o}", "uid", uid("Agent", "agent%u", i),
                                                     "attrs", "clearance", (int)rn(&w->rng, 6), "region",
                                                     rn(&w->rng, 3) ? "EU" : "US", "payees", payees, "parents", parents));
    }
    for (unsigned i = 0; i < N_SETS; i++)
        json_array_append_new(w->entities, json_pack("{s:o, s:{}, s:[]}", "uid", uid("ToolSet", "s%u", i), "attrs", "parents"));
    for (unsigned i = 0; i < N_TOOLS; i++)
        json_array_append_new(w->entities, json_pack("{s:o, s:{s:i, s:s}, s:[o]}", "uid", uid("Tool", "tool%u", i), "attrs",
                                                     "risk", (int)rn(&w->rng, 6), "category", i % 2 ? "write" : "read",
                                                     "parents", uid("ToolSet", "s%u", i % N_SETS)));
    struct omega_error err = {0};
    if (omega_entities_from_json(w->entities, &w->es, &err)) {
        fprintf(stderr, "omega bench policy: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* n policies in the shapes real deployments write: per-team tool grants with argument limits,
 * clearance checks over tool sets, label-based forbids, recipient and payee constraints, approvals. */
static char *policies_make(unsigned n, uint64_t seed)
{
    struct omega_buf b;
    omega_buf_init(&b);
    uint64_t s = seed;
    for (unsigned i = 0; i < n; i++) {
        unsigned t = rn(&s, N_TEAMS), o = rn(&s, N_ORGS), k = rn(&s, N_TOOLS), set = rn(&s, N_SETS);
        int rc;
        switch (i % 8) {
        case 0: case 7:
            rc = omega_buf_printf(&b, "@id(\"grant-%u\")\npermit (principal in Team::\"t%u\", action == Action::\"tools/call\", "
                                  "resource == Tool::\"tool%u\")\nwhen { context.args has amount && context.args.amount <= %u };\n",
                                  i, t, k, 100 + rn(&s, 5000));
            break;
        case 1:
            rc = omega_buf_printf(&b, "permit (principal in Org::\"o%u\", action == Action::\"tools/call\", resource in ToolSet::\"s%u\")\n"
                                  "when { principal.clearance >= resource.risk && context.count < %u };\n", o, set, 20 + rn(&s, 80));
            break;
        case 2:
            rc = omega_buf_printf(&b, "forbid (principal, action == Action::\"tools/call\", resource in ToolSet::\"s%u\")\n"
                                  "when { context.labels.integrity == \"untrusted\" && context.labels.classes.contains(\"%s\") };\n",
                                  set, rn(&s, 2) ? "PII" : "secret");
            break;
        case 3:
            rc = omega_buf_printf(&b, "forbid (principal in Team::\"t%u\", action == Action::\"tools/call\", resource == Tool::\"tool%u\")\n"
                                  "when { context.args has to && !(context.args.to like \"*@example.com\") };\n", t, k);
            break;
        case 4:
            rc = omega_buf_printf(&b, "permit (principal is Agent, action == Action::\"tools/call\", resource == Tool::\"tool%u\")\n"
                                  "when { principal.region == \"EU\" && !context.labels.regions.contains(\"US\") };\n", k);
            break;
        case 5:
            rc = omega_buf_printf(&b, "forbid (principal, action == Action::\"tools/call\", resource == Tool::\"tool%u\")\n"
                                  "when { context.args has iban && !principal.payees.contains(context.args.iban) };\n", k);
            break;
        default:
            rc = omega_buf_printf(&b, "@decision(\"ask\")\nforbid (principal, action, resource == Tool::\"tool%u\")\n"
                                  "when { context.args has amount && context.args.amount > %u };\n", k, 1000 + rn(&s, 9000));
            break;
        }
        if (rc) {
            omega_buf_fini(&b);
            return NULL;
        }
    }
    if (omega_buf_append(&b, "", 1)) {
        omega_buf_fini(&b);
        return NULL;
    }
    return (char *)b.data;
}

static json_t *labels_cedar(const struct omega_labels *l)
{
    json_t *o = json_object(), *c = json_array(), *r = json_array();
    for (uint32_t i = 0; i < l->classes.n; i++)
        json_array_append_new(c, json_string(l->classes.name[i]));
    for (uint32_t i = 0; i < l->regions.n; i++)
        json_array_append_new(r, json_string(l->regions.name[i]));
    json_object_set_new(o, "integrity", json_string(l->untrusted ? "untrusted" : "trusted"));
    json_object_set_new(o, "classes", c);
    json_object_set_new(o, "regions", r);
    return o;
}

static void requests_make(struct request *rq, unsigned n, uint64_t seed)
{
    uint64_t s = seed;
    static const char *const to[] = {"ops@example.com", "cfo@example.com", "partner@vendor.example", "x@evil.example"};
    static const char *const subj[] = {"Invoice 2024-117", "Weekly report", "Re: contract", "Password reset"};
    for (unsigned i = 0; i < n; i++) {
        struct request *r = &rq[i];
        snprintf(r->agent, sizeof r->agent, "agent%u", rn(&s, N_AGENTS));
        snprintf(r->tool, sizeof r->tool, "tool%u", rn(&s, N_TOOLS));
        /* MCP tools/call arguments as agents send them: recipients, amounts, payees, nested options. */
        r->args = json_pack("{s:s, s:s, s:i, s:s, s:[i,i,i], s:{s:s, s:i, s:b}}", "to", to[rn(&s, 4)], "subject",
                            subj[rn(&s, 4)], "amount", (int)rn(&s, 12000), "iban", ibans[rn(&s, 6)], "items", 1, 2, 3,
                            "options", "priority", rn(&s, 2) ? "high" : "normal", "retries", (int)rn(&s, 4), "dry_run",
                            (int)rn(&s, 2));
        if (rn(&s, 3) == 0)
            json_object_del(r->args, "iban");
        omega_labels_init(&r->labels);
        omega_labels_init(&r->result);
        r->labels.untrusted = rn(&s, 4) == 0;
        if (rn(&s, 3) == 0 && omega_label_set_add(&r->labels.classes, "PII")) abort();
        if (rn(&s, 5) == 0 && omega_label_set_add(&r->labels.classes, "secret")) abort();
        if (omega_label_set_add(&r->labels.regions, rn(&s, 3) ? "EU" : "US")) abort();
        r->result.untrusted = rn(&s, 2);
        if (omega_label_set_add(&r->result.classes, rn(&s, 2) ? "PII" : "PHI")) abort();
        if (omega_label_set_add(&r->result.regions, "EU")) abort();
        r->count = rn(&s, 60);
        r->cedar = json_pack("{s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:O, s:o, s:I}}", "principal", "type", "Agent",
                             "id", r->agent, "action", "type", "Action", "id", "tools/call", "resource", "type", "Tool",
                             "id", r->tool, "context", "args", r->args, "labels", labels_cedar(&r->labels), "count",
                             (json_int_t)r->count);
    }
}

static void action_of(const struct request *r, struct omega_action *a)
{
    memset(a, 0, sizeof *a);
    a->kind = OMEGA_ACT_TOOL_CALL;
    a->agent = r->agent;
    a->method = "tools/call";
    a->target = r->tool;
    a->args = r->args;
    a->labels = &r->labels;
    a->count = r->count;
}

/* Run cedar-wasm on the same policies and requests; NULL (with why) when it cannot run here. */
static json_t *cedar_run(const struct world *w, const char *policies, const struct request *rq, unsigned n,
                         unsigned samples, char *why, size_t whylen)
{
    char path[] = "/tmp/omega-bench-policy-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        snprintf(why, whylen, "cannot create a temporary file");
        return NULL;
    }
    close(fd);
    json_t *reqs = json_array();
    for (unsigned i = 0; i < n; i++)
        json_array_append(reqs, rq[i].cedar);
    json_t *job = json_pack("{s:s, s:O, s:o, s:i, s:f}", "policies", policies, "entities", w->entities, "requests", reqs,
                            "samples", (int)samples, "max_seconds", 20.0);
    int rc = json_dump_file(job, path, JSON_COMPACT);
    json_decref(job);
    if (rc) {
        unlink(path);
        snprintf(why, whylen, "cannot write the job file");
        return NULL;
    }
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "node '%s/tests/cedar/bench.cjs' '%s'", OMEGA_SRCDIR, path);
    FILE *p = popen(cmd, "r");
    json_t *out = NULL;
    if (p) {
        json_error_t je;
        out = json_loadf(p, 0, &je);
        int st = pclose(p);
        if (st != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    unlink(path);
    if (!out)
        snprintf(why, whylen, "cedar-wasm did not run (node and `npm ci` in tests/cedar needed)");
    return out;
}

/* 1 when our decision and determining policies match Cedar's answer. */
static int agrees(const struct omega_policy_set *ps, const struct omega_policy_result *r, const json_t *ans)
{
    const char *d = json_string_value(json_object_get(ans, "decision"));
    const json_t *reasons = json_object_get(ans, "reasons");
    if (!d || (strcmp(d, "allow") == 0) != r->cedar_allow || json_array_size(reasons) != r->nreasons)
        return 0;
    for (uint32_t i = 0; i < r->nreasons; i++) {
        int found = 0;
        for (size_t k = 0; k < json_array_size(reasons) && !found; k++)
            found = strcmp(json_string_value(json_array_get(reasons, k)), omega_policy_set_id(ps, r->reasons[i])) == 0;
        if (!found)
            return 0;
    }
    return 1;
}

static void stats_of(const double *s, size_t n, struct omega_stats *st)
{
    double *c = malloc(n * sizeof *c);
    if (!c) {
        memset(st, 0, sizeof *st);
        return;
    }
    memcpy(c, s, n * sizeof *c);
    omega_stats_compute(c, n, st);
    free(c);
}

/* A provenance log for the monitor-path figure, in a fresh folder, with the monitor's key. */
static struct omega_provlog *open_bench_log(char *dir, size_t dirlen, EVP_PKEY **key)
{
    snprintf(dir, dirlen, "/tmp/omega-bench-policy-log.%d", (int)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return NULL;
    *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    struct omega_provlog_config lc;
    omega_provlog_config_defaults(&lc);
    lc.mode = OMEGA_PROVLOG_BATCH;   /* durability comes from the committer thread's group commits */
    lc.io_digest = 1;
    struct omega_provlog *log = NULL;
    if (!*key || omega_provlog_open(&log, dir, &lc, *key, NULL) < 0)
        return NULL;
    return log;
}

/* The cost of context.rate: the same 100 policies and one forbid over a sliding window, so every
 * decision reads and counts its (agent, tool) windows. The clock advances 1 ms a request, as
 * the runtime's now_ns would. Returns 0, or -1 when a decision failed. */
static int rate_decisions(struct omega_bench *b, const char *text, const struct world *w, const struct request *rq,
                          double *lat, unsigned samples)
{
    static const char extra[] = "\nforbid (principal, action == Action::\"tools/call\", resource)\n"
                                "when { context.rate.minute >= 100000 };\n";
    size_t n = strlen(text);
    char *t = malloc(n + sizeof extra);
    if (!t)
        return -1;
    memcpy(t, text, n);
    memcpy(t + n, extra, sizeof extra);
    struct omega_policy_set *ps = NULL;
    struct omega_error err = {0};
    int rc = omega_policy_set_parse(t, strlen(t), "bench-rate", &ps, &err);
    free(t);
    if (rc)
        return -1;
    struct omega_policy_engine *eng = omega_policy_engine_new(ps, w->es);
    struct omega_decision d;
    struct omega_action a;
    uint64_t clock = 1000000000ull;
    for (unsigned i = 0; eng && i < samples + 2000 && rc == 0; i++) {   /* 2,000 warm-up */
        action_of(&rq[i % N_REQUESTS], &a);
        a.now_ns = clock += 1000000;
        uint64_t t0 = omega_now_ns();
        rc = omega_policy_decide(eng, &a, &d);
        uint64_t t1 = omega_now_ns();
        if (i >= 2000)
            lat[i - 2000] = (double)(t1 - t0) / 1000.0;
    }
    if (eng && rc == 0) {
        json_t *params = json_pack("{s:i, s:i, s:b}", "policies", 101, "entities", 1000, "rate", 1);
        struct omega_metric m = {.name = "policy_decision_rate_us", .unit = "us", .samples = lat, .n = samples,
                                 .params = params, .better = OMEGA_LOWER_IS_BETTER, .kind = "measured",
                                 .note = "100 policies and a context.rate.minute forbid: windows read and counted "
                                         "per decision (800 agents, 140 tools)"};
        omega_bench_metric(b, &m);
        json_decref(params);
    }
    omega_policy_engine_free(eng);
    omega_policy_set_free(ps);
    return eng && rc == 0 ? 0 : -1;
}

/* The parts of the monitor path, timed one by one in a second loop (the clock reads between parts
 * cost about 20 ns each, so the whole path is measured without them). */
enum { PART_JOIN, PART_DECIDE, PART_DIGEST, PART_RECORD, NPARTS };
static const char *const part_names[NPARTS] = {"join", "decide", "digest", "record"};

/* The monitor's per-action path at 100 policies, as the runtime's monitor step runs it: join the
 * last result's labels into the agent's context, decide (through the monitor, the policy engine as
 * its decider), hash the request's inputs (the record's I/O binding), append the record (batch mode:
 * queued for the next group commit; the agent's answer then waits for durability, measured by the
 * provlog suite). Returns 0, or -1 when a step failed. */
static int monitor_path(struct omega_bench *b, const struct omega_policy_set *ps, const struct omega_entities *es,
                        const struct request *rq, double *lat, unsigned samples)
{
    int status = 0;
    struct omega_policy_engine *eng = omega_policy_engine_new(ps, es);
    char logdir[128];
    EVP_PKEY *key = NULL;
    struct omega_provlog *log = open_bench_log(logdir, sizeof logdir, &key);
    double *part = malloc((size_t)NPARTS * samples * sizeof *part);
    if (!eng || !log || !part)
        status = -1;
    struct omega_monitor mon;
    omega_monitor_init(&mon);
    omega_monitor_set_decider(&mon, omega_policy_decide, eng);
    if (log)
        omega_monitor_set_recorder(&mon, omega_provlog_record, log);
    char *payload[N_REQUESTS];
    size_t plen[N_REQUESTS];
    for (unsigned i = 0; i < N_REQUESTS; i++) {
        payload[i] = json_dumps(rq[i].args, JSON_COMPACT);
        plen[i] = payload[i] ? strlen(payload[i]) : 0;
    }
    struct omega_labels ctx;
    struct omega_decision d;
    struct omega_action a;
    /* Pass 0 warms up, pass 1 is the figure, pass 2 times the parts. */
    for (int pass = 0; pass < 3 && status == 0; pass++) {
        unsigned n = pass == 0 ? samples / 10 : samples;
        for (unsigned i = 0; i < n; i++) {
            const struct request *r = &rq[i % N_REQUESTS];
            ctx = r->labels;
            action_of(r, &a);
            a.labels = &ctx;
            const char *pl = payload[i % N_REQUESTS];
            uint8_t dig[32];
            uint64_t seq, t[NPARTS + 1];
            t[0] = omega_now_ns();
            int rc = omega_labels_join(&ctx, &r->result);
            if (pass == 2)
                t[1] = omega_now_ns();
            rc |= omega_monitor_decide(&mon, &a, &d);
            if (pass == 2)
                t[2] = omega_now_ns();
            omega_monitor_io_digest(a.agent, a.method, a.target, pl, plen[i % N_REQUESTS], dig);
            if (pass == 2)
                t[3] = omega_now_ns();
            rc |= omega_monitor_record(&mon, &a, &d, dig, &seq);
            t[NPARTS] = omega_now_ns();
            if (pass == 1)
                lat[i] = (double)(t[NPARTS] - t[0]) / 1000.0;
            else if (pass == 2)
                for (int k = 0; k < NPARTS; k++)
                    part[(size_t)k * samples + i] = (double)(t[k + 1] - t[k]) / 1000.0;
            if (rc)
                status = -1;
        }
        if (pass == 1) {
            json_t *params = json_pack("{s:i, s:b, s:s}", "policies", 100, "provenance_record", 1, "log", "batch");
            struct omega_metric m = {.name = "monitor_path_us", .unit = "us", .samples = lat, .n = samples,
                                     .params = params, .better = OMEGA_LOWER_IS_BETTER, .kind = "measured",
                                     .note = "label join + policy decision + I/O digest + provenance record (queued)"};
            omega_bench_metric(b, &m);
            json_decref(params);
        }
    }
    for (int k = 0; status == 0 && k < NPARTS; k++) {
        json_t *params = json_pack("{s:i, s:s}", "policies", 100, "part", part_names[k]);
        struct omega_metric m = {.name = "monitor_path_part_us", .unit = "us", .samples = part + (size_t)k * samples,
                                 .n = samples, .params = params, .better = OMEGA_LOWER_IS_BETTER, .kind = "measured",
                                 .note = "one part of the monitor path, timed in a separate pass"};
        omega_bench_metric(b, &m);
        json_decref(params);
    }
    for (unsigned i = 0; i < N_REQUESTS; i++)
        free(payload[i]);
    if (log && omega_provlog_close(log, NULL) < 0)
        status = -1;
    EVP_PKEY_free(key);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", logdir);
    if (system(cmd) != 0)
        status = -1;
    free(part);
    omega_policy_engine_free(eng);
    return status;
}

int omega_bench_policy(struct omega_bench *b, int argc, char **argv)
{
    int no_baseline = 0, monitor_only = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-baseline") == 0) {
            no_baseline = 1;
            continue;
        }
        if (strcmp(argv[i], "--monitor-only") == 0) {
            monitor_only = no_baseline = 1;
            continue;
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: omega bench policy [--quick] [--json] [--no-baseline]\n"
                   "Decision latency for 10, 100 and 1,000 policies over a 1,000-entity hierarchy, against\n"
                   "@cedar-policy/cedar-wasm (tests/cedar, run under node) on the same policies and requests;\n"
                   "and the monitor's per-action path (label join + decision + record).\n"
                   "  --no-baseline   skip cedar-wasm (profiling the engine alone)\n"
                   "  --monitor-only  only the monitor path and its parts (profiling it alone)\n");
            return OMEGA_EXIT_OK;
        }
        return omega_cli_usage("bench policy", "unknown option `%s`", argv[i]);
    }
    int quick = omega_bench_quick(b);
    unsigned samples = quick ? 5000 : 200000, cedar_samples = quick ? 300 : 5000;
    struct world w = {0};
    if (world_build(&w))
        return OMEGA_EXIT_INTERNAL;
    struct request *rq = calloc(N_REQUESTS, sizeof *rq);
    double *lat = malloc(samples * sizeof *lat);
    if (!rq || !lat)
        return OMEGA_EXIT_INTERNAL;
    requests_make(rq, N_REQUESTS, 0xacce55ULL);
    static const unsigned sizes[] = {10, 100, 1000};
    char plotdata[2048];
    size_t pd = (size_t)snprintf(plotdata, sizeof plotdata, "# policies omega_p50 omega_p99 cedar_p50 cedar_p99\n");
    int status = OMEGA_EXIT_OK;
    struct omega_policy_set *ps100 = NULL;
    for (size_t si = 0; si < 3; si++) {
        unsigned np = sizes[si];
        if (monitor_only && np != 100)
            continue;
        char *text = policies_make(np, 0x9011c7 + np);
        struct omega_policy_set *ps = NULL;
        struct omega_error err = {0};
        if (!text || omega_policy_set_parse(text, strlen(text), "bench", &ps, &err)) {
            fprintf(stderr, "omega bench policy: %s\n", err.msg);
            free(text);
            status = OMEGA_EXIT_INTERNAL;
            break;
        }
        struct omega_policy_engine *eng = omega_policy_engine_new(ps, w.es);
        struct omega_decision d;
        struct omega_action a;
        for (unsigned i = 0; i < 2000; i++) {   /* warm-up */
            action_of(&rq[i % N_REQUESTS], &a);
            if (omega_policy_decide(eng, &a, &d))
                status = OMEGA_EXIT_INTERNAL;
        }
        unsigned allowed = 0;
        for (unsigned i = 0; i < samples; i++) {
            action_of(&rq[i % N_REQUESTS], &a);
            uint64_t t0 = omega_now_ns();
            int rc = omega_policy_decide(eng, &a, &d);
            uint64_t t1 = omega_now_ns();
            lat[i] = (double)(t1 - t0) / 1000.0;
            allowed += rc == 0 && d.verdict == OMEGA_ALLOW;
        }
        omega_bench_progress(b, "policy decisions", si + 1, 3);
        char why[200];
        json_t *cj = NULL;
        if (no_baseline)
            snprintf(why, sizeof why, "--no-baseline given");
        else
            cj = cedar_run(&w, text, rq, N_REQUESTS, cedar_samples, why, sizeof why);
        struct omega_stats ours, theirs = {0};
        stats_of(lat, samples, &ours);
        json_t *params = json_pack("{s:i, s:i, s:i}", "policies", (int)np, "entities", 1000, "requests", N_REQUESTS);
        struct omega_metric m = {.name = "policy_decision_us", .unit = "us", .samples = lat, .n = samples, .params = params,
                                 .better = OMEGA_LOWER_IS_BETTER, .kind = "measured"};
        char note[256];
        if (cj) {
            const json_t *cs = json_object_get(cj, "samples_us"), *answers = json_object_get(cj, "answers");
            size_t nc = json_array_size(cs);
            double *c = malloc((nc ? nc : 1) * sizeof *c);
            for (size_t i = 0; c && i < nc; i++)
                c[i] = json_number_value(json_array_get(cs, i));
            if (c && nc) {
                stats_of(c, nc, &theirs);
                m.has_baseline = 1;
                m.baseline = theirs.p50;
                json_t *cp = json_pack("{s:i, s:i}", "policies", (int)np, "entities", 1000);
                struct omega_metric cm = {.name = "policy_decision_cedar_wasm_us", .unit = "us", .samples = c, .n = nc,
                                          .params = cp, .better = OMEGA_LOWER_IS_BETTER, .kind = "measured",
                                          .note = "the baseline: cedar-wasm statefulIsAuthorized, policies pre-parsed, "
                                                  "entity slice per call prepared outside the timing"};
                omega_bench_metric(b, &cm);
                json_decref(cp);
            }
            free(c);
            /* Same answers as Cedar on every request, or the comparison means nothing. */
            struct omega_policy_result *r = omega_policy_result_new(ps);
            unsigned agree = 0;
            for (unsigned i = 0; r && i < N_REQUESTS; i++) {
                action_of(&rq[i], &a);
                if (omega_policy_decide_full(eng, &a, &d, r) == 0 && agrees(ps, r, json_array_get(answers, i)))
                    agree++;
            }
            omega_policy_result_free(r);
            snprintf(note, sizeof note, "%u of %u requests allowed; decision and determining policies equal to cedar-wasm's "
                     "on %u of %d requests", allowed, samples, agree, N_REQUESTS);
            if (agree != N_REQUESTS) {
                fprintf(stderr, "omega bench policy: %d policies: %u of %d answers differ from cedar-wasm\n", np,
                        N_REQUESTS - agree, N_REQUESTS);
                status = OMEGA_EXIT_NEGATIVE;
            }
            json_decref(cj);
        } else {
            snprintf(note, sizeof note, "no baseline: %s", why);
            fprintf(stderr, "omega bench policy: %s\n", why);
        }
        m.note = note;
        omega_bench_metric(b, &m);
        json_decref(params);
        if (pd < sizeof plotdata)
            pd += (size_t)snprintf(plotdata + pd, sizeof plotdata - pd, "%u %.4f %.4f %.4f %.4f\n", np, ours.p50, ours.p99,
                                   theirs.p50, theirs.p99);
        omega_policy_engine_free(eng);
        if (np == 100 && rate_decisions(b, text, &w, rq, lat, samples))
            status = OMEGA_EXIT_INTERNAL;
        free(text);
        if (np == 100)
            ps100 = ps;
        else
            omega_policy_set_free(ps);
    }
    if (ps100) {
        if (monitor_path(b, ps100, w.es, rq, lat, samples))
            status = OMEGA_EXIT_INTERNAL;
        omega_policy_set_free(ps100);
    }
    omega_bench_file(b, "decision_vs_policies.dat", plotdata, pd);
    omega_bench_plot(b, "decision_vs_policies",
                     "set title 'Policy decision latency (1,000 entities, MCP tools/call)'\n"
                     "set xlabel 'policies'\nset ylabel 'latency (us)'\nset logscale xy\nset key top left\n"
                     "set xrange [7:1400]\nset grid\n"
                     "plot 'decision_vs_policies.dat' using 1:2 with linespoints lw 2 title 'omega p50', "
                     "'' using 1:3 with linespoints dt 2 title 'omega p99', "
                     "'' using 1:4 with linespoints lw 2 title 'cedar-wasm p50', "
                     "'' using 1:5 with linespoints dt 2 title 'cedar-wasm p99'\n");
    for (unsigned i = 0; i < N_REQUESTS; i++) {
        json_decref(rq[i].args);
        json_decref(rq[i].cedar);
    }
    free(rq);
    free(lat);
    omega_entities_free(w.es);
    json_decref(w.entities);
    return status;
}
