/* The SimGrid model against a hand-computed queueing result, and omega plan's command line. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "sim/costmodel.h"
#include "sim/live.h"
#include "sim/simulate.h"
#include "tests/test.h"

OMEGA_TEST_TIMEOUT(sim_simgrid_queue_bound, 120)
{
#ifndef CONFIG_SIMGRID
    return omega_test_skip("needs: SimGrid (built without libsimgrid-dev)");
#else
    struct omega_costmodel cm;
    omega_costmodel_init(&cm);
    struct omega_sim_config c;
    omega_sim_config_init(&c, &cm);
    c.hosts = 1;
    c.gpus_per_host = 1;
    c.agents = 400;
    c.prompt_tokens = 128;
    c.gen_tokens = 16;
    c.tools_per_request = 0;
    c.tool_s = 0;
    c.max_batch = 1;
    c.cc = 1;
    c.duration_s = 3000;
    c.warmup_s = 200;
    /* With one sequence at a time the GPU is an M/D/1 server: service S is one prefill of 128 tokens
     * and 15 decode steps over a growing context. */
    const struct omega_model_preset *m = c.model;
    double S = omega_cost_prefill_s(&cm, m, 128, 128.0 * 128, 1);
    for (int k = 0; k < 15; k++)
        S += omega_cost_decode_step_s(&cm, m, 1, 128 + k, 1);
    double rho = 0.6, lambda = rho / S;
    c.rate_per_agent = lambda / c.agents;
    /* Before the GPU: the channel round trip, the monitor, and 512 bytes over the bounce-limited link. */
    double pre = cm.channel_rtt_s.value + cm.monitor_s.value + 1e-6 + 512 * cm.cc_s_per_byte.value;
    /* Pollaczek-Khinchine for deterministic service: Wq = rho * S / (2 (1 - rho)). */
    double want = pre + S + rho * S / (2 * (1 - rho));
    struct omega_sim_result r;
    struct omega_error err;
    omega_error_clear(&err);
    CHECK_MSG(omega_sim_run(&c, &r, &err) == 0, "%s", err.msg);
    CHECK(r.stable);
    CHECK_MSG(r.completed > 10000, "completed %zu", r.completed);
    CHECK_MSG(fabs(r.e2e_mean / want - 1) < 0.08, "mean latency %.4f s, M/D/1 says %.4f s (S %.4f)", r.e2e_mean, want, S);
    CHECK_MSG(fabs(r.gpu_util - rho) < 0.05, "GPU busy %.3f, offered %.3f", r.gpu_util, rho);
    CHECK(fabs(r.mean_batch - 1.0) < 1e-9);

    /* Continuous batching at the same load can only help the mean, and no request beats its own
     * service time alone on an idle GPU. */
    c.max_batch = 0;
    struct omega_sim_result rb;
    CHECK_MSG(omega_sim_run(&c, &rb, &err) == 0, "%s", err.msg);
    CHECK(rb.stable);
    CHECK_MSG(rb.e2e_mean < r.e2e_mean, "batched %.4f vs one at a time %.4f", rb.e2e_mean, r.e2e_mean);
    CHECK(rb.e2e_p50 >= S * 0.999);
    CHECK(rb.mean_batch > 1.0);

    /* Overload: twice the service rate cannot be stable on one GPU one at a time. */
    c.max_batch = 1;
    c.rate_per_agent = 2.0 / S / c.agents;
    c.duration_s = 200;
    c.warmup_s = 10;
    struct omega_sim_result ro;
    CHECK(omega_sim_run(&c, &ro, &err) == 0);
    CHECK(!ro.stable || ro.e2e_p99 > 20 * S);
    return OMEGA_TEST_PASS;
#endif
}

OMEGA_TEST(sim_plan_cli)
{
    char out[8192];
    const char *bin = omega_test_omega_bin();
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s plan 2>&1", bin), 2);
    CHECK(strstr(out, "--agents") != NULL);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s plan --agents -3 2>&1", bin), 2);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s plan --agents 10 --model gpt-9 2>&1", bin), 2);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s plan --agents 10 --trace /nonexistent.csv 2>&1", bin), 2);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s plan --help", bin), 0);
#ifdef CONFIG_SIMGRID
    /* A small plan: the answer is a GPU count whose p99 meets the objective. */
    int rc = omega_test_sh(out, sizeof out, "%s plan --agents 50 --slo-ms 500 --duration 20 --tokens 256,32 "
                                            "--results %s/none --json", bin, omega_test_tmpdir());
    CHECK_EQ_INT(rc, 0);
    json_error_t je;
    json_t *j = json_loads(out, 0, &je);
    CHECK_MSG(j, "not JSON: %s", je.text);
    json_t *res = json_object_get(j, "result");
    CHECK(json_integer_value(json_object_get(res, "gpus")) >= 1);
    CHECK(json_number_value(json_object_get(res, "ttft_p99_ms")) <= 500);
    CHECK(json_is_true(json_object_get(j, "meets_slo")));
    CHECK_STR(json_string_value(json_object_get(j, "kind")), "modeled");
    long long shared_gpus = json_integer_value(json_object_get(res, "gpus"));
    json_decref(j);

    /* A CVM per agent: a weight copy each bounds the agents per GPU from below. */
    rc = omega_test_sh(out, sizeof out, "%s plan --agents 50 --slo-ms 500 --duration 20 --tokens 256,32 "
                                        "--isolation per-agent-vm --results %s/none --json", bin, omega_test_tmpdir());
    CHECK_EQ_INT(rc, 0);
    j = json_loads(out, 0, &je);
    CHECK_MSG(j, "not JSON: %s", je.text);
    struct omega_costmodel cm;
    omega_costmodel_init(&cm);
    int per = omega_cost_density(&cm, omega_model_find("llama2-7b"), 4096, 0);
    CHECK(per >= 1);
    CHECK_EQ_INT(json_integer_value(json_object_get(j, "agents_per_gpu_max")), per);
    long long vm_gpus = json_integer_value(json_object_get(json_object_get(j, "result"), "gpus"));
    CHECK_MSG(vm_gpus >= (50 + per - 1) / per && vm_gpus >= shared_gpus, "vm %lld shared %lld", vm_gpus, shared_gpus);
    json_decref(j);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s plan --agents 50 --isolation per-agent-vm --gpus 2 2>&1", bin), 2);

    /* An overloaded configuration still gives valid JSON (figures without samples are null). */
    rc = omega_test_sh(out, sizeof out, "%s plan --agents 200 --rate 50 --gpus 1 --duration 2 --tokens 2000,500 "
                                        "--results %s/none --json", bin, omega_test_tmpdir());
    CHECK_EQ_INT(rc, 1);
    j = json_loads(out, 0, &je);
    CHECK_MSG(j, "not JSON: %s", je.text);
    CHECK(json_is_false(json_object_get(j, "meets_slo")));
    json_decref(j);
#endif
    return OMEGA_TEST_PASS;
}

/* A live run races real time: on a loaded machine its wake-ups lag, so this comparison runs in
 * make check-long (and as omega plan --validate), not in the default run. */
OMEGA_TEST_LONG(sim_live_vs_simgrid, 120)
{
#ifndef CONFIG_SIMGRID
    return omega_test_skip("needs: SimGrid (built without libsimgrid-dev)");
#else
    /* The simulator against a live run of the same system: same seeds, so the same arrivals. */
    struct omega_costmodel cm;
    omega_costmodel_init(&cm);
    struct omega_sim_config c;
    omega_sim_config_init(&c, &cm);
    c.hosts = 1;
    c.gpus_per_host = 1;
    c.agents = 8;
    c.rate_per_agent = 3;
    c.prompt_tokens = 256;
    c.gen_tokens = 24;
    c.tools_per_request = 1;
    c.tool_s = 0.002;
    c.duration_s = 6;
    c.warmup_s = 1;
    struct omega_sim_result live, sim;
    struct omega_error err;
    omega_error_clear(&err);
    CHECK_MSG(omega_sim_live(&c, &live, &err) == 0, "%s", err.msg);
    CHECK_MSG(omega_sim_run(&c, &sim, &err) == 0, "%s", err.msg);
    CHECK(live.stable && sim.stable);
    CHECK_EQ_INT(live.issued, sim.issued);
    CHECK(live.issued > 100);
    /* Timer overshoot and thread wake-ups make the live run a little slower (a few percent on a quiet
     * machine, more on a shared 2-core one); a scheduling or batching mismatch moves these by factors. */
    CHECK_MSG(fabs(sim.e2e_p50 / live.e2e_p50 - 1) < 0.4, "e2e p50 live %.4f sim %.4f", live.e2e_p50, sim.e2e_p50);
    CHECK_MSG(fabs(sim.tpot_p50 / live.tpot_p50 - 1) < 0.4, "tpot p50 live %.4f sim %.4f", live.tpot_p50, sim.tpot_p50);
    CHECK_MSG(fabs(sim.mean_batch / live.mean_batch - 1) < 0.3, "batch live %.2f sim %.2f", live.mean_batch, sim.mean_batch);
    /* Bad live configurations are refused, not run. */
    c.gpus_per_host = 2;
    CHECK(omega_sim_live(&c, &live, &err) == OMEGA_EINVAL);
    return OMEGA_TEST_PASS;
#endif
}
