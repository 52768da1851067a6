/* omega bench toolcall: the tool-calling workload end to end, with enforcement (compiled policy +
 * provenance log, durable before each answer) and without (allow-all, no log), side by side in one run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "core/cli.h"
#include "core/util.h"
#include "workloads/stack.h"
#include "workloads/toolcall/toolcall.h"

static double median(const double *v, size_t n)
{
    if (!n)
        return 0;
    double *c = malloc(n * sizeof *c);
    if (!c)
        return 0;
    memcpy(c, v, n * sizeof *c);
    struct omega_stats st;
    omega_stats_compute(c, n, &st);
    free(c);
    return st.p50;
}

static int run_one(struct omega_bench *b, int enforce, const struct omega_toolcall_config *tc, const char *model,
                   int log_sync, struct omega_toolcall_stats *st)
{
    char data[1200], log_dir[1200];
    (void)b;
    snprintf(data, sizeof data, "/tmp/omega-bench-toolcall-data.%d", (int)getpid());
    snprintf(log_dir, sizeof log_dir, "/tmp/omega-bench-toolcall-log.%d", (int)getpid());
    struct omega_error err = {0};
    char rm[2600];
    snprintf(rm, sizeof rm, "rm -rf '%s' '%s'", log_dir, data);
    if (system(rm) != 0)
        return OMEGA_EXIT_INTERNAL;
    if (omega_toolcall_make_data(data, 16, &err) < 0)
        return omega_cli_fail("bench toolcall", &err);
    struct omega_stack_config sc = {.platform = &omega_opts.cfg, .enforce = enforce, .log_dir = enforce ? log_dir : NULL,
                                    .log_sync = log_sync, .log_fsync = 1, .model = model, .max_context = 1024,
                                    .max_agents = tc->agents, .data_dir = data, .http = 1};
    struct omega_stack *s;
    if (omega_stack_open(&s, &sc, &err) < 0)
        return omega_cli_fail("bench toolcall", &err);
    int rc = omega_toolcall_run(s, tc, st, &err);
    if (omega_stack_close(s, rc == 0 ? &err : NULL) < 0 && rc == 0)
        rc = -1;
    if (system(rm) != 0)
        rc = rc ? rc : -1;
    if (rc < 0)
        return omega_cli_fail("bench toolcall", &err);
    if (st->infer_errors) {
        fprintf(stderr, "omega bench toolcall: %llu inferences failed (prompt + gen longer than the model's context?)\n",
                (unsigned long long)st->infer_errors);
        return OMEGA_EXIT_INTERNAL;
    }
    if (st->agents_failed) {
        fprintf(stderr, "omega bench toolcall: %d agents failed (%s)\n", st->agents_failed, st->failure);
        return OMEGA_EXIT_INTERNAL;
    }
    return 0;
}

int omega_bench_toolcall(struct omega_bench *b, int argc, char **argv)
{
    struct omega_toolcall_config tc = {.agents = 8, .rounds = omega_bench_quick(b) ? 12 : 60, .prompt_tokens = 64,
                                       .gen_tokens = 16, .seed = 42};
    const char *model = NULL;
    int log_sync = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            printf("usage: omega bench toolcall [--agents N] [--rounds N] [--prompt N] [--gen N] [--model NAME]\n"
                   "                            [--trace FILE] [--arrivals poisson|azure --rate R] [--log batch|sync]\n"
                   "  --arrivals: open-loop rounds at Poisson times (R per second per agent), with token counts\n"
                   "  as given (poisson) or drawn from the Azure LLM inference trace (azure); latency from arrival.\n"
                   "  Agents loop inference + one MCP tools/call; the same run with enforcement (policy + log)\n"
                   "  and without. Model default: tiny on emu (CPU reference), llama2-7b on cuda.\n"
                   "  --log batch (default): group commits, each answer once its record is durable; sync: one\n"
                   "  commit per decision.\n"
                   "  metrics: toolcall_round_us, toolcall_call_us (params.enforce; baseline: enforcement off),\n"
                   "           enforcement_share_pct\n");
            return 0;
        }
        if (!v)
            return omega_cli_usage("bench toolcall", "unknown option or missing value: '%s'", o);
        i++;
        if (strcmp(o, "--agents") == 0) tc.agents = atoi(v);
        else if (strcmp(o, "--rounds") == 0) tc.rounds = atoi(v);
        else if (strcmp(o, "--prompt") == 0) tc.prompt_tokens = atoi(v);
        else if (strcmp(o, "--gen") == 0) tc.gen_tokens = atoi(v);
        else if (strcmp(o, "--model") == 0) model = v;
        else if (strcmp(o, "--trace") == 0) tc.trace = v;
        else if (strcmp(o, "--arrivals") == 0 && (strcmp(v, "poisson") == 0 || strcmp(v, "azure") == 0))
            tc.arrivals = v[0] == 'p' ? 1 : 2;
        else if (strcmp(o, "--rate") == 0) tc.rate_per_agent = atof(v);
        else if (strcmp(o, "--log") == 0 && (strcmp(v, "sync") == 0 || strcmp(v, "batch") == 0)) log_sync = v[0] == 's';
        else return omega_cli_usage("bench toolcall", "unknown option '%s'", o);
    }
    if (tc.arrivals && tc.rate_per_agent <= 0)
        tc.rate_per_agent = 5;
    if (tc.agents < 1 || tc.agents > 1000 || tc.rounds < 1 || tc.prompt_tokens < 1 || tc.prompt_tokens > 1024 ||
        tc.gen_tokens < 0 || tc.gen_tokens > 512)
        return omega_cli_usage("bench toolcall", "agents 1-1000, rounds >= 1, prompt 1-1024, gen 0-512");
    const char *backend = omega_opts.cfg.backend;
    if (backend && strcmp(backend, "auto") == 0)
        backend = omega_opts.cfg.backend = omega_backend_auto();
    if (!model)
        model = strcmp(backend ? backend : "emu", "emu") == 0 ? "tiny" : "llama2-7b";

    struct omega_toolcall_stats on, off;
    int rc = run_one(b, 0, &tc, model, log_sync, &off);
    if (rc)
        return rc;
    rc = run_one(b, 1, &tc, model, log_sync, &on);
    if (rc) {
        omega_toolcall_stats_fini(&off);
        return rc;
    }
    json_t *p_on = json_pack("{s:s, s:i, s:i, s:s, s:i, s:i, s:s}", "enforce", "on", "agents", tc.agents, "rounds",
                             tc.rounds, "model", model, "prompt", tc.prompt_tokens, "gen", tc.gen_tokens, "log",
                             log_sync ? "sync" : "batch");
    if (tc.arrivals) {
        json_object_set_new(p_on, "arrivals", json_string(tc.arrivals == 1 ? "poisson" : "azure"));
        json_object_set_new(p_on, "rate_per_agent", json_real(tc.rate_per_agent));
    }
    json_t *p_off = json_deep_copy(p_on);
    json_object_set_new(p_off, "enforce", json_string("off"));
    json_object_del(p_off, "log");
    struct omega_metric m = {.name = "toolcall_round_us", .unit = "us", .samples = on.round_us, .n = on.nrounds,
                             .params = p_on, .has_baseline = 1, .baseline = median(off.round_us, off.nrounds),
                             .note = "one agent round: inference + tools/call, enforcement on; baseline: the same, off"};
    omega_bench_metric(b, &m);
    m = (struct omega_metric){.name = "toolcall_round_us", .unit = "us", .samples = off.round_us, .n = off.nrounds,
                              .params = p_off};
    omega_bench_metric(b, &m);
    m = (struct omega_metric){.name = "toolcall_call_us", .unit = "us", .samples = on.call_us, .n = on.ncalls,
                              .params = p_on, .has_baseline = 1, .baseline = median(off.call_us, off.ncalls),
                              .note = "tools/call round trip from the agent, enforcement on; baseline: off"};
    omega_bench_metric(b, &m);
    m = (struct omega_metric){.name = "toolcall_call_us", .unit = "us", .samples = off.call_us, .n = off.ncalls,
                              .params = p_off};
    omega_bench_metric(b, &m);
    /* What enforcement adds to a request, as a share of the whole round (inference included). */
    double share = 100.0 * (median(on.call_us, on.ncalls) - median(off.call_us, off.ncalls)) /
                   median(on.round_us, on.nrounds);
    m = (struct omega_metric){.name = "enforcement_share_pct", .unit = "%", .value = share, .params = p_on,
                              .note = "(call p50 on - call p50 off) / round p50 on"};
    omega_bench_metric(b, &m);
    double denied = 100.0 * (double)on.denied / (double)(on.calls ? on.calls : 1);
    m = (struct omega_metric){.name = "toolcall_denied_pct", .unit = "%", .value = denied, .params = p_on,
                              .better = OMEGA_HIGHER_IS_BETTER,
                              .note = "calls the policy denied (injected recipients, payment limits)"};
    omega_bench_metric(b, &m);
    omega_bench_fact(b, "toolcall_model", json_string(model));
    /* Plot data: one file per series, so the script needs no knowledge of sample file names. */
    const struct { const char *name; const double *v; size_t n; } series[] = {
        {"call_off.dat", off.call_us, off.ncalls}, {"call_on.dat", on.call_us, on.ncalls},
        {"round_off.dat", off.round_us, off.nrounds}, {"round_on.dat", on.round_us, on.nrounds}};
    for (size_t k = 0; k < 4; k++) {
        struct omega_buf t;
        omega_buf_init(&t);
        for (size_t i = 0; i < series[k].n; i++)
            if (omega_buf_printf(&t, "%.3f\n", series[k].v[i]) < 0)
                break;
        omega_bench_file(b, series[k].name, t.data ? (const char *)t.data : "", t.len);
        omega_buf_fini(&t);
    }
    omega_bench_plot(b, "toolcall_latency",
                     "set title 'Tool-calling latency per agent request, enforcement off vs on'\n"
                     "set ylabel 'microseconds'\nset logscale y\nset style data boxplot\nset style boxplot nooutliers\n"
                     "set style fill solid 0.4\nset xtics ('tools/call, off' 1, 'tools/call, on' 2, 'round, off' 3, 'round, on' 4)\n"
                     "plot 'call_off.dat' using (1):1 notitle, 'call_on.dat' using (2):1 notitle, \\\n"
                     "     'round_off.dat' using (3):1 notitle, 'round_on.dat' using (4):1 notitle\n");
    json_decref(p_on);
    json_decref(p_off);
    omega_toolcall_stats_fini(&on);
    omega_toolcall_stats_fini(&off);
    return 0;
}
