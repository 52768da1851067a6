/* omega plan: capacity planning with the SimGrid model. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "core/cli.h"
#include "sim/costmodel.h"
#include "sim/live.h"
#include "sim/simulate.h"
#include "workloads/trace.h"

static void plan_usage(FILE *f)
{
    fprintf(f,
            "usage: omega plan --agents N [--slo-ms MS] [--model NAME] [options]\n\n"
            "Finds the fewest GPUs (and hosts) that serve N agents within a latency objective, by running the\n"
            "SimGrid model with costs from the cost model (fitted to results/ where measured GPU and CPU\n"
            "results exist). Prints GPUs and hosts needed, p50/p99 latency and utilisation.\n\n"
            "  --agents N          agents to serve (required; up to 200000)\n"
            "  --slo-ms MS         p99 objective in milliseconds (default 200)\n"
            "  --slo-metric M      ttft (time to first token, default), tpot (time per output token), e2e\n"
            "  --tpot-ms MS        also require p99 time per output token <= MS (default 50; 0: off)\n"
            "  --model NAME        llama2-7b (default), llama2-13b, llama2-70b-8bit, llama2-70b\n"
            "  --rate R            requests per second per agent (default 0.05)\n"
            "  --arrivals A        poisson (default) or trace (the Azure trace's arrival pattern, scaled)\n"
            "  --trace FILE        Azure trace CSV for token counts (default workloads/traces/"
            "AzureLLMInferenceTrace_conv.csv); --tokens P,G for fixed prompt/generated tokens instead\n"
            "  --gpus-per-host G   (default 8)     --cores-per-host C   (default 64)\n"
            "  --tools N           tool calls per request (default 1)   --tool-ms MS  tool service time (default 20)\n"
            "  --duration S        simulated seconds of arrivals (default 60; first sixth is warm-up)\n"
            "  --isolation I       shared (default: Omega, one weight copy per GPU, batching across agents) or\n"
            "                      per-agent-vm (a CVM per agent: a weight copy each, no batching across agents)\n"
            "  --gpus G            simulate exactly G GPUs instead of searching\n"
            "  --max-gpus G        search limit (default 4096)\n"
            "  --results DIR       measured results to calibrate from (default results)\n"
            "  --seed N            (default 1)\n"
            "  --validate          measure the model: run the same small system live on this machine (agent\n"
            "                      threads, the emulated GPU's encrypted copies, batching in real time with\n"
            "                      the cost model's step times; one GPU, at most 256 agents, default 16\n"
            "                      agents at 2 requests/s, 256,32 tokens, 20 s) and simulate it; print both\n"
            "  --json              one JSON object on stdout\n"
            "The global --cc on|off switches the confidential data path (default on).\n");
}

#ifdef CONFIG_SIMGRID
struct plan_point {
    int gpus, hosts;
    struct omega_sim_result r;
};

static double slo_value(const struct omega_sim_result *r, const char *metric)
{
    if (strcmp(metric, "tpot") == 0)
        return r->tpot_p99;
    if (strcmp(metric, "e2e") == 0)
        return r->e2e_p99;
    return r->ttft_p99;
}

static double tpot_limit_s = 0.050;

/* The objective, plus a per-token bound: TTFT alone is kept low by admitting prefills first even on a
 * saturated GPU, while every running sequence slows down. */
static int meets(const struct omega_sim_result *r, const char *metric, double slo_s)
{
    double v = slo_value(r, metric);
    if (tpot_limit_s > 0 && strcmp(metric, "tpot") != 0 && !(r->tpot_p99 <= tpot_limit_s))
        return 0;
    return r->stable && isfinite(v) && v <= slo_s;
}

static int simulate_gpus(struct omega_sim_config *c, int gpus, int gph, struct plan_point *p, struct omega_error *err)
{
    c->gpus_per_host = gpus < gph ? gpus : gph;
    c->hosts = (gpus + c->gpus_per_host - 1) / c->gpus_per_host;
    /* The last host may be partly filled: simulate whole hosts of gpus_per_host but only if exact. */
    if (c->hosts * c->gpus_per_host != gpus) {
        c->gpus_per_host = gph;
        c->hosts = (gpus + gph - 1) / gph;
    }
    p->gpus = c->hosts * c->gpus_per_host;
    p->hosts = c->hosts;
    return omega_sim_run(c, &p->r, err);
}

/* A number, or null when there is none (no request completed): jansson refuses NaN. */
static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *point_json(const struct plan_point *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "gpus", json_integer(p->gpus));
    json_object_set_new(o, "hosts", json_integer(p->hosts));
    json_object_set_new(o, "ttft_p50_ms", num(p->r.ttft_p50 * 1e3));
    json_object_set_new(o, "ttft_p99_ms", num(p->r.ttft_p99 * 1e3));
    json_object_set_new(o, "tpot_p50_ms", num(p->r.tpot_p50 * 1e3));
    json_object_set_new(o, "tpot_p99_ms", num(p->r.tpot_p99 * 1e3));
    json_object_set_new(o, "e2e_p50_ms", num(p->r.e2e_p50 * 1e3));
    json_object_set_new(o, "e2e_p99_ms", num(p->r.e2e_p99 * 1e3));
    json_object_set_new(o, "gpu_util", num(p->r.gpu_util));
    json_object_set_new(o, "cpu_util", num(p->r.cpu_util));
    json_object_set_new(o, "mean_batch", num(p->r.mean_batch));
    json_object_set_new(o, "throughput_rps", num(p->r.throughput_rps));
    json_object_set_new(o, "issued", json_integer((json_int_t)p->r.issued));
    json_object_set_new(o, "completed", json_integer((json_int_t)p->r.completed));
    json_object_set_new(o, "stable", json_boolean(p->r.stable));
    json_object_set_new(o, "wall_s", num(p->r.wall_s));
    return o;
}

static double rel(double sim, double live) { return (sim - live) / live * 100; }

/* Live run and simulation of the same system, side by side: the simulator's error against a measured run. */
static int plan_validate(struct omega_sim_config *c, const struct omega_costmodel *cm, int measured, int json)
{
    c->hosts = 1;
    c->gpus_per_host = 1;
    c->warmup_s = c->duration_s / 6;
    struct omega_sim_result live, sim;
    struct omega_error err;
    omega_error_clear(&err);
    if (omega_sim_live(c, &live, &err) < 0 || omega_sim_run(c, &sim, &err) < 0)
        return omega_cli_fail("plan", &err);
    static const struct { const char *name; size_t off; } f[] = {
        {"ttft_p50_ms", offsetof(struct omega_sim_result, ttft_p50)}, {"ttft_p99_ms", offsetof(struct omega_sim_result, ttft_p99)},
        {"tpot_p50_ms", offsetof(struct omega_sim_result, tpot_p50)}, {"tpot_p99_ms", offsetof(struct omega_sim_result, tpot_p99)},
        {"e2e_p50_ms", offsetof(struct omega_sim_result, e2e_p50)}, {"e2e_p99_ms", offsetof(struct omega_sim_result, e2e_p99)},
        {"e2e_mean_ms", offsetof(struct omega_sim_result, e2e_mean)},
    };
    json_t *rows = json_array();
    double worst50 = 0;
    if (!json)
        printf("validate: %d agents, %.3g requests/s each, %u+%u tokens, %s, one GPU, %.0f s, CC %s\n"
               "%-14s %12s %12s %8s\n", c->agents, c->rate_per_agent, c->prompt_tokens, c->gen_tokens, c->model->name,
               c->duration_s, c->cc ? "on" : "off", "figure", "measured", "simulated", "error");
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        double lv = *(const double *)((const char *)&live + f[i].off) * 1e3;
        double sv = *(const double *)((const char *)&sim + f[i].off) * 1e3;
        double e = rel(sv, lv);
        if (strstr(f[i].name, "p50") && fabs(e) > worst50)
            worst50 = fabs(e);
        if (!json)
            printf("%-14s %12.2f %12.2f %+7.1f%%\n", f[i].name, lv, sv, e);
        json_t *row = json_pack("{s:s}", "figure", f[i].name);
        json_object_set_new(row, "measured", num(lv));
        json_object_set_new(row, "simulated", num(sv));
        json_object_set_new(row, "error_pct", num(e));
        json_array_append_new(rows, row);
    }
    if (json) {
        json_t *o = json_pack("{s:i, s:f, s:i, s:i, s:f, s:o, s:f, s:I, s:I, s:f, s:f, s:i}", "agents", c->agents,
                              "rate_per_agent", c->rate_per_agent, "prompt_tokens", (int)c->prompt_tokens, "gen_tokens",
                              (int)c->gen_tokens, "duration_s", c->duration_s, "figures", rows, "worst_p50_error_pct",
                              worst50, "live_completed", (json_int_t)live.completed, "sim_completed",
                              (json_int_t)sim.completed, "live_mean_batch", live.mean_batch, "sim_mean_batch",
                              sim.mean_batch, "measured_costs", measured);
        char *s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
        if (!s) {
            json_decref(o);
            fprintf(stderr, "omega: plan: cannot format the JSON result\n");
            return OMEGA_EXIT_INTERNAL;
        }
        printf("%s\n", s);
        free(s);
        json_decref(o);
    } else {
        json_decref(rows);
        printf("requests: %zu measured, %zu simulated; mean batch %.2f measured, %.2f simulated\n"
               "largest p50 error: %.1f%% (GPU step times come from the cost model in both: %s)\n",
               live.completed, sim.completed, live.mean_batch, sim.mean_batch, worst50,
               cm->fit_points > 0 ? "fitted to measured GPU results" : "datasheet defaults");
    }
    return OMEGA_EXIT_OK;
}
#endif

int omega_cmd_plan(int argc, char **argv)
{
    if (omega_cli_wants_help(argc, argv)) {
        plan_usage(stdout);
        return 0;
    }
#ifndef CONFIG_SIMGRID
    fprintf(stderr, "omega: plan: built without SimGrid (Debian: libsimgrid-dev; then ./configure && make)\n");
    return OMEGA_EXIT_USAGE;
#else
    struct omega_costmodel cm;
    omega_costmodel_init(&cm);
    struct omega_sim_config c;
    omega_sim_config_init(&c, &cm);
    c.agents = 0;
    double slo_ms = 200;
    const char *metric = "ttft", *results = "results", *trace = NULL, *model = "llama2-7b";
    int json = 0, fixed_gpus = 0, max_gpus = 4096, gph = 8, fixed_tokens = 0, validate = 0, have_rate = 0,
        have_duration = 0, per_agent_vm = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        char *end = NULL;
        if (strcmp(a, "--json") == 0) { json = 1; takes = 0; }
        else if (strcmp(a, "--validate") == 0) { validate = 1; takes = 0; }
        else if (strcmp(a, "--isolation") == 0 && v) { if (strcmp(v, "shared") == 0) per_agent_vm = 0; else if (strcmp(v, "per-agent-vm") == 0) per_agent_vm = 1; else return omega_cli_usage("plan", "--isolation: shared or per-agent-vm, not '%s'", v); }
        else if (!v) return omega_cli_usage("plan", "%s needs a value (omega plan --help)", a);
        else if (strcmp(a, "--agents") == 0) { c.agents = (int)strtol(v, &end, 10); if (*end || c.agents <= 0 || c.agents > 200000) return omega_cli_usage("plan", "--agents: a count from 1 to 200000 (one simulated actor each), not '%s'", v); }
        else if (strcmp(a, "--slo-ms") == 0) { slo_ms = strtod(v, &end); if (*end || !(slo_ms > 0)) return omega_cli_usage("plan", "--slo-ms: a positive number, not '%s'", v); }
        else if (strcmp(a, "--tpot-ms") == 0) { double t = strtod(v, &end); if (*end || t < 0) return omega_cli_usage("plan", "--tpot-ms: 0 (off) or a positive number, not '%s'", v); tpot_limit_s = t / 1e3; }
        else if (strcmp(a, "--slo-metric") == 0) { metric = v; if (strcmp(v, "ttft") && strcmp(v, "tpot") && strcmp(v, "e2e")) return omega_cli_usage("plan", "--slo-metric: ttft, tpot or e2e, not '%s'", v); }
        else if (strcmp(a, "--model") == 0) { model = v; }
        else if (strcmp(a, "--rate") == 0) { have_rate = 1; c.rate_per_agent = strtod(v, &end); if (*end || !(c.rate_per_agent > 0) || c.rate_per_agent > 1000) return omega_cli_usage("plan", "--rate: requests per second per agent (0 < R <= 1000), not '%s'", v); }
        else if (strcmp(a, "--arrivals") == 0) { if (strcmp(v, "poisson") == 0) c.arrivals_from_trace = 0; else if (strcmp(v, "trace") == 0) c.arrivals_from_trace = 1; else return omega_cli_usage("plan", "--arrivals: poisson or trace, not '%s'", v); }
        else if (strcmp(a, "--trace") == 0) { trace = v; }
        else if (strcmp(a, "--tokens") == 0) { unsigned p, g; char x; if (sscanf(v, "%u,%u%c", &p, &g, &x) != 2 || p == 0 || g == 0 || p > 1000000 || g > 1000000) return omega_cli_usage("plan", "--tokens: PROMPT,GENERATED (e.g. 512,128), not '%s'", v); c.prompt_tokens = p; c.gen_tokens = g; fixed_tokens = 1; }
        else if (strcmp(a, "--gpus-per-host") == 0) { gph = (int)strtol(v, &end, 10); if (*end || gph <= 0 || gph > 64) return omega_cli_usage("plan", "--gpus-per-host: 1 to 64, not '%s'", v); }
        else if (strcmp(a, "--cores-per-host") == 0) { c.cores_per_host = (int)strtol(v, &end, 10); if (*end || c.cores_per_host <= 0 || c.cores_per_host > 4096) return omega_cli_usage("plan", "--cores-per-host: 1 to 4096, not '%s'", v); }
        else if (strcmp(a, "--tools") == 0) { c.tools_per_request = (int)strtol(v, &end, 10); if (*end || c.tools_per_request < 0 || c.tools_per_request > 100) return omega_cli_usage("plan", "--tools: 0 to 100, not '%s'", v); }
        else if (strcmp(a, "--tool-ms") == 0) { c.tool_s = strtod(v, &end) / 1e3; if (*end || c.tool_s < 0 || c.tool_s > 3600) return omega_cli_usage("plan", "--tool-ms: 0 or more milliseconds, not '%s'", v); }
        else if (strcmp(a, "--duration") == 0) { have_duration = 1; c.duration_s = strtod(v, &end); if (*end || !(c.duration_s >= 1) || c.duration_s > 86400) return omega_cli_usage("plan", "--duration: 1 to 86400 seconds, not '%s'", v); }
        else if (strcmp(a, "--gpus") == 0) { fixed_gpus = (int)strtol(v, &end, 10); if (*end || fixed_gpus <= 0 || fixed_gpus > 100000) return omega_cli_usage("plan", "--gpus: 1 to 100000, not '%s'", v); }
        else if (strcmp(a, "--max-gpus") == 0) { max_gpus = (int)strtol(v, &end, 10); if (*end || max_gpus <= 0 || max_gpus > 100000) return omega_cli_usage("plan", "--max-gpus: 1 to 100000, not '%s'", v); }
        else if (strcmp(a, "--results") == 0) { results = v; }
        else if (strcmp(a, "--seed") == 0) { c.seed = strtoull(v, &end, 10); if (*end) return omega_cli_usage("plan", "--seed: a number, not '%s'", v); }
        else return omega_cli_usage("plan", "unknown option '%s' (omega plan --help)", a);
        i += takes;
    }
    if (validate) {
        if (c.agents == 0)
            c.agents = 16;
        if (!have_rate)
            c.rate_per_agent = 2.0;
        if (!have_duration)
            c.duration_s = 20;
        if (!fixed_tokens) {
            c.prompt_tokens = 256;
            c.gen_tokens = 32;
        }
        if (c.agents > 256)
            return omega_cli_usage("plan", "--validate runs at most 256 agents live");
        if (c.arrivals_from_trace || trace)
            return omega_cli_usage("plan", "--validate uses Poisson arrivals and fixed tokens (--tokens P,G)");
        fixed_tokens = 1;
    }
    if (c.agents <= 0)
        return omega_cli_usage("plan", "--agents N is required (omega plan --help)");
    c.model = omega_model_find(model);
    if (!c.model)
        return omega_cli_usage("plan", "--model: unknown model '%s' (llama2-7b, llama2-13b, llama2-70b-8bit, llama2-70b)", model);
    c.warmup_s = c.duration_s / 6;
    c.cc = omega_opts.cfg.cc != 0;
    int measured = omega_costmodel_load(&cm, results);

    struct omega_azure_trace az = {0};
    struct omega_error err;
    omega_error_clear(&err);
    if (validate)
        return plan_validate(&c, &cm, measured, json);
    char tpath[1200];
    if (!fixed_tokens || c.arrivals_from_trace) {
        if (!trace) {
            snprintf(tpath, sizeof tpath, "%s/workloads/traces/AzureLLMInferenceTrace_conv.csv", OMEGA_SRCDIR);
            trace = tpath;
        }
        if (omega_azure_read(&az, trace, &err) < 0)
            return omega_cli_fail("plan", &err);
        c.az = &az;
        if (fixed_tokens) {
            /* the trace gives only arrivals: its token counts are replaced by the fixed ones */
            for (size_t k = 0; k < az.n; k++) {
                az.req[k].ctx_tokens = c.prompt_tokens;
                az.req[k].gen_tokens = c.gen_tokens;
            }
        }
    }

    /* A CVM per agent holds its own weight copy and a full context on the GPU, so memory bounds the
     * agents per GPU; its requests cannot be batched with another agent's. */
    int min_gpus = 1, vm_density = 0;
    if (per_agent_vm) {
        vm_density = omega_cost_density(&cm, c.model, c.model->max_ctx, 0);
        if (vm_density < 1) {
            omega_azure_fini(&az);
            fprintf(stderr, "omega: plan: %s with a %d-token context does not fit one GPU per agent\n", c.model->name,
                    c.model->max_ctx);
            return OMEGA_EXIT_USAGE;
        }
        min_gpus = (c.agents + vm_density - 1) / vm_density;
        c.time_slice = 1;
        if (fixed_gpus && fixed_gpus < min_gpus) {
            omega_azure_fini(&az);
            fprintf(stderr, "omega: plan: %d agents in per-agent CVMs need at least %d GPUs (%d per GPU)\n", c.agents,
                    min_gpus, vm_density);
            return OMEGA_EXIT_USAGE;
        }
    }
    struct plan_point best = {0}, p;
    int found = 0, runs = 0;
    double slo_s = slo_ms / 1e3;
    if (fixed_gpus) {
        if (simulate_gpus(&c, fixed_gpus, gph, &best, &err) < 0) {
            omega_azure_fini(&az);
            return omega_cli_fail("plan", &err);
        }
        runs = 1;
        found = meets(&best.r, metric, slo_s);
    } else {
        /* Doubling to a configuration that meets the objective, then bisection below it. */
        int lo = min_gpus - 1, hi = 0, g = min_gpus;
        if (g > max_gpus)
            g = max_gpus;
        while (g <= max_gpus) {
            if (simulate_gpus(&c, g, gph, &p, &err) < 0) {
                omega_azure_fini(&az);
                return omega_cli_fail("plan", &err);
            }
            runs++;
            if (meets(&p.r, metric, slo_s)) {
                hi = p.gpus;
                best = p;
                break;
            }
            lo = p.gpus;
            if (g == max_gpus)
                break;
            g = g * 2 > max_gpus ? max_gpus : g * 2;
        }
        if (hi) {
            found = 1;
            while (hi - lo > 1 && hi - lo > (hi <= gph ? 0 : gph - 1)) {
                int mid = lo + (hi - lo) / 2;
                if (mid > gph)
                    mid = (mid + gph - 1) / gph * gph;
                if (mid >= hi || mid <= lo)
                    break;
                if (simulate_gpus(&c, mid, gph, &p, &err) < 0) {
                    omega_azure_fini(&az);
                    return omega_cli_fail("plan", &err);
                }
                runs++;
                if (meets(&p.r, metric, slo_s)) {
                    hi = p.gpus;
                    best = p;
                } else {
                    lo = p.gpus;
                }
            }
        } else {
            best = p;
        }
    }
    omega_azure_fini(&az);

    char errline[200];
    if (cm.fit_points > 0 && isfinite(cm.fit_loo_err))
        snprintf(errline, sizeof errline, "decode step time: mean error %.1f%% over %d measured GPU points, %.1f%% "
                 "when each is predicted without it", cm.fit_err * 100, cm.fit_points, cm.fit_loo_err * 100);
    else if (cm.fit_points > 0)
        snprintf(errline, sizeof errline, "decode step time: mean error %.1f%% over %d measured GPU points",
                 cm.fit_err * 100, cm.fit_points);
    else
        snprintf(errline, sizeof errline, "unknown: no measured GPU results in %s/llm, GPU costs are modeled "
                                          "from datasheet rates", results);
    if (json) {
        json_t *o = json_pack("{s:f, s:i, s:s, s:f, s:s, s:b, s:i, s:o, s:i, s:i, s:s, s:s, s:o, s:f, s:s}", "tpot_limit_ms", tpot_limit_s * 1e3, "agents", c.agents,
                              "model", c.model->name, "slo_ms", slo_ms, "slo_metric", metric, "meets_slo", found,
                              "gpus_per_host", gph, "result", point_json(&best), "simulations", runs,
                              "measured_costs", measured, "kind", measured > 0 ? "calibrated" : "modeled",
                              "model_error", errline, "costmodel", omega_costmodel_to_json(&cm), "rate_per_agent",
                              c.rate_per_agent, "arrivals", c.arrivals_from_trace ? "trace" : "poisson");
        json_object_set_new(o, "isolation", json_string(per_agent_vm ? "per-agent-vm" : "shared"));
        if (per_agent_vm)
            json_object_set_new(o, "agents_per_gpu_max", json_integer(vm_density));
        char *s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
        if (!s) {
            json_decref(o);
            fprintf(stderr, "omega: plan: cannot format the JSON result\n");
            return OMEGA_EXIT_INTERNAL;
        }
        printf("%s\n", s);
        free(s);
        json_decref(o);
    } else {
        char extra[64] = "";
        if (tpot_limit_s > 0 && strcmp(metric, "tpot") != 0)
            snprintf(extra, sizeof extra, ", p99 tpot <= %g ms", tpot_limit_s * 1e3);
        printf("%s %d agents, %s, %.3g requests/s each (%s), p99 %s <= %g ms%s, CC %s:\n",
               found ? "plan:" : "plan (objective NOT met):", c.agents, c.model->name, c.rate_per_agent,
               c.arrivals_from_trace ? "trace arrivals" : "Poisson", metric, slo_ms, extra, c.cc ? "on" : "off");
        printf("  GPUs needed     %d (%d host%s of %d)\n", best.gpus, best.hosts, best.hosts == 1 ? "" : "s",
               best.gpus / best.hosts);
        if (per_agent_vm)
            printf("  isolation       a CVM per agent: at most %d agents per GPU (memory), GPU time-sliced, no batching\n",
                   vm_density);
        else
            printf("  isolation       shared (Omega): one weight copy per GPU, continuous batching across agents\n");
        printf("  TTFT            p50 %.1f ms  p99 %.1f ms\n", best.r.ttft_p50 * 1e3, best.r.ttft_p99 * 1e3);
        printf("  per token       p50 %.2f ms  p99 %.2f ms\n", best.r.tpot_p50 * 1e3, best.r.tpot_p99 * 1e3);
        printf("  request (e2e)   p50 %.1f ms  p99 %.1f ms\n", best.r.e2e_p50 * 1e3, best.r.e2e_p99 * 1e3);
        printf("  utilisation     GPU %.0f%%  CPU %.1f%%  mean batch %.1f\n", best.r.gpu_util * 100,
               best.r.cpu_util * 100, best.r.mean_batch);
        printf("  simulated       %zu requests, %.0f s, %d simulation%s (%.1f s wall for the last)\n", best.r.completed,
               best.r.sim_s, runs, runs == 1 ? "" : "s", best.r.wall_s);
        printf("  costs           %d measured, the rest modeled (omega plan --json lists each)\n", measured);
        printf("  model error     %s\n", errline);
    }
    return found ? OMEGA_EXIT_OK : OMEGA_EXIT_NEGATIVE;
#endif
}
