/* The paper table generator on suite outputs made here: each figure must come from the named metric,
 * and a suite without results must show "not run". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/costmodel.h"
#include "sim/paper.h"
#include "tests/test.h"
#include "workloads/trace.h"

static json_t *metric(const char *name, const char *unit, double v, json_t *params, double baseline)
{
    json_t *m = json_pack("{s:s, s:s, s:f, s:o, s:s}", "name", name, "unit", unit, "value", v, "params",
                          params ? params : json_object(), "kind", "measured");
    json_object_set_new(m, "baseline", isnan(baseline) ? json_null() : json_real(baseline));
    return m;
}

static json_t *summary(const char *suite, const char *backend, json_t *metrics)
{
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:i, s:s}, s:o}", "suite", suite, "run_id", "canned", "machine",
                     "backend", backend, "cpu", "Test CPU", "gpu", strcmp(backend, "emu") ? "NVIDIA H100 80GB HBM3, 580.1" : "none",
                     "cpus_online", 2, "commit", "0123456789abcdef", "metrics", metrics);
}

struct canned {
    double monitor_us, cedar_us, log_bytes, log_digest, start_us, a2a64, a2a64_http, a2a1k, rep_ms, ver_ms, gv_ms,
        gbps, eb_ms, pc_ms, proof_us, step_off_ms, step_on_ms, cc32, dens_s, dens_p, round_on, round_off, call_on,
        call_off, share;
    json_t *suites;
};

/* Random but plausible figures, so nothing below can pass by matching a constant. */
static void make_canned(struct canned *c, uint64_t seed)
{
    struct omega_rng r;
    omega_rng_seed(&r, seed);
#define U(lo, hi) ((lo) + ((hi) - (lo)) * omega_rng_uniform(&r))
    c->monitor_us = U(1, 9); c->cedar_us = U(200, 900); c->log_bytes = U(4000, 9000); c->log_digest = U(9000, 20000);
    c->start_us = U(300, 2000); c->a2a64 = U(2, 9); c->a2a64_http = U(40, 90); c->a2a1k = U(3, 12);
    c->rep_ms = U(1, 5); c->ver_ms = U(1, 5); c->gv_ms = U(1, 5); c->gbps = U(1, 4); c->eb_ms = U(20, 90);
    c->pc_ms = U(0.5, 2); c->proof_us = U(1, 9); c->step_off_ms = U(5, 7); c->step_on_ms = c->step_off_ms * U(1.01, 1.1);
    c->cc32 = U(1, 7); c->dens_s = floor(U(20, 40)); c->dens_p = floor(U(3, 6));
    c->round_off = U(2000, 9000); c->call_off = U(50, 200); c->call_on = c->call_off + U(1, 30);
    c->round_on = c->round_off + (c->call_on - c->call_off); c->share = U(0.1, 2);
#undef U
    json_t *pol = json_array(), *plog = json_array(), *iso = json_array(), *att = json_array(), *llm = json_array(),
           *tc = json_array();
    json_array_append_new(tc, metric("toolcall_round_us", "us", c->round_on,
                                     json_pack("{s:s, s:s}", "enforce", "on", "model", "tiny"), c->round_off));
    json_array_append_new(tc, metric("toolcall_round_us", "us", c->round_off, json_pack("{s:s}", "enforce", "off"), NAN));
    json_array_append_new(tc, metric("toolcall_call_us", "us", c->call_on, json_pack("{s:s}", "enforce", "on"), c->call_off));
    json_array_append_new(tc, metric("toolcall_call_us", "us", c->call_off, json_pack("{s:s}", "enforce", "off"), NAN));
    json_array_append_new(tc, metric("enforcement_share_pct", "%", c->share, json_pack("{s:s}", "enforce", "on"), NAN));
    json_array_append_new(pol, metric("policy_decision_us", "us", 0.9, json_pack("{s:i}", "policies", 100), c->cedar_us));
    json_array_append_new(pol, metric("policy_decision_us", "us", 0.5, json_pack("{s:i}", "policies", 10), 1.0));
    json_array_append_new(pol, metric("monitor_path_us", "us", c->monitor_us, NULL, NAN));
    json_array_append_new(plog, metric("log_bytes_per_1k_ops", "bytes", c->log_bytes, NULL, NAN));
    json_array_append_new(plog, metric("log_bytes_per_1k_ops_digest", "bytes", c->log_digest, NULL, NAN));
    json_array_append_new(plog, metric("log_proof_us", "us", c->proof_us, NULL, NAN));
    json_array_append_new(iso, metric("agent_start_us", "us", c->start_us, NULL, NAN));
    json_array_append_new(iso, metric("a2a_latency_us", "us", c->a2a1k, json_pack("{s:i}", "bytes", 1024), 70));
    json_array_append_new(iso, metric("a2a_latency_us", "us", c->a2a64, json_pack("{s:i}", "bytes", 64), c->a2a64_http));
    json_array_append_new(att, metric("snp_report_ms", "ms", c->rep_ms, NULL, NAN));
    json_array_append_new(att, metric("snp_verify_ms", "ms", c->ver_ms, NULL, NAN));
    json_array_append_new(att, metric("gpu_verify_ms", "ms", c->gv_ms, NULL, NAN));
    json_array_append_new(att, metric("model_hash_gbps", "GB/s", c->gbps, NULL, NAN));
    json_array_append_new(att, metric("evidence_build_ms", "ms", c->eb_ms / 10, json_pack("{s:i}", "agents", 100), NAN));
    json_array_append_new(att, metric("evidence_build_ms", "ms", c->eb_ms, json_pack("{s:i}", "agents", 1000), NAN));
    json_array_append_new(att, metric("principal_check_ms", "ms", c->pc_ms, NULL, NAN));
    json_array_append_new(llm, metric("decode_step_ms", "ms", c->step_off_ms,
                                      json_pack("{s:s, s:i, s:s}", "model", "llama2-7b", "batch", 1, "cc", "off"), NAN));
    json_array_append_new(llm, metric("decode_step_ms", "ms", c->step_on_ms,
                                      json_pack("{s:s, s:i, s:s}", "model", "llama2-7b", "batch", 1, "cc", "on"), NAN));
    json_array_append_new(llm, metric("cc_overhead_pct", "%", c->cc32, json_pack("{s:s, s:i}", "model", "llama2-7b", "batch", 32), NAN));
    json_array_append_new(llm, metric("density_shared", "agents", c->dens_s, NULL, NAN));
    json_array_append_new(llm, metric("density_per_agent", "agents", c->dens_p, NULL, NAN));
    c->suites = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:{s:s}}", "policy", summary("policy", "emu", pol), "provlog",
                          summary("provlog", "emu", plog), "isolation", summary("isolation", "emu", iso), "attest",
                          summary("attest", "emu", att), "llm", summary("llm", "cuda", llm), "toolcall",
                          summary("toolcall", "emu", tc), "multiagent", "not_run",
                          "omega bench: the multiagent suite is not built yet");
}

static const struct omega_paper_row *row(const struct omega_paper_row *rows, const char *id)
{
    for (int i = 0; i < OMEGA_PAPER_ROWS; i++)
        if (strcmp(rows[i].id, id) == 0)
            return &rows[i];
    return NULL;
}

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-9 * fmax(1.0, fabs(b)))

OMEGA_TEST(sim_paper_table)
{
    struct canned c;
    make_canned(&c, 20261128);
    struct omega_costmodel cm;
    omega_costmodel_init(&cm);
    struct omega_paper_row rows[OMEGA_PAPER_ROWS];
    omega_paper_rows(c.suites, &cm, rows);

    const struct omega_paper_row *r = row(rows, "policy_io");
    CHECK(r && r->have && strcmp(r->kind, "measured") == 0);
    CHECK(NEAR(r->omega, c.monitor_us / 1e3));
    CHECK(NEAR(r->base, c.cedar_us / 1e3));
    CHECK(strstr(r->source, "emu") && strstr(r->source, "Test CPU"));
    r = row(rows, "log_size");
    CHECK(r->have && NEAR(r->omega, c.log_bytes / 1e3));
    CHECK(strstr(r->note, "digest") != NULL);
    r = row(rows, "agent_start");
    CHECK(r->have && NEAR(r->omega, c.start_us / 1e3) && isnan(r->base));
    r = row(rows, "a2a");
    CHECK(r->have && NEAR(r->omega, c.a2a64) && NEAR(r->base, c.a2a64_http));
    r = row(rows, "attest_platform");
    CHECK(r->have && NEAR(r->omega, c.rep_ms + c.ver_ms + c.gv_ms));
    r = row(rows, "attest_model");
    CHECK(r->have && NEAR(r->omega, omega_model_weight_bytes(omega_model_find("llama2-7b")) / 1e9 / c.gbps));
    r = row(rows, "attest_agent");
    CHECK(r->have && NEAR(r->omega, c.eb_ms / 1000 + c.pc_ms));
    r = row(rows, "attest_call");
    CHECK(r->have && NEAR(r->omega, c.proof_us));
    /* GPU rows measured on the cuda run, the per-token row adding the measured monitor path. */
    r = row(rows, "per_token");
    CHECK(r->have && strcmp(r->kind, "measured") == 0);
    CHECK(NEAR(r->base, c.step_off_ms) && NEAR(r->omega, c.step_on_ms + c.monitor_us / 1e3));
    CHECK(strstr(r->source, "H100") != NULL);
    r = row(rows, "gpu_overhead");
    CHECK(r->have && NEAR(r->omega, c.cc32) && strcmp(r->kind, "measured") == 0);
    r = row(rows, "density");
    CHECK(r->have && NEAR(r->omega, c.dens_s) && NEAR(r->base, c.dens_p));
    r = row(rows, "policy_share");
    CHECK(r->have && strcmp(r->kind, "measured") == 0 && NEAR(r->omega, c.share));
    CHECK(NEAR(r->base, 45e-3 / (c.round_on * 1e-6 - (c.call_on - c.call_off) * 1e-6 + 45e-3) * 100));
    r = row(rows, "toolcall_e2e");
    CHECK(r->have && NEAR(r->omega, c.round_on / 1e3) && NEAR(r->base, c.round_off / 1e3));
    CHECK(strstr(r->note, "tiny") != NULL);
    r = row(rows, "multiagent");
    CHECK(!r->have && strstr(r->source, "not run: omega bench: the multiagent suite is not built yet"));

    /* Without the toolcall suite, the share is modeled from the measured monitor path. */
    json_t *tcs = json_deep_copy(json_object_get(c.suites, "toolcall"));
    json_object_del(c.suites, "toolcall");
    omega_paper_rows(c.suites, &cm, rows);
    r = row(rows, "policy_share");
    CHECK(r->have && strcmp(r->kind, "modeled") == 0 && r->omega > 0 && r->omega < r->base);
    r = row(rows, "toolcall_e2e");
    CHECK(!r->have && strstr(r->source, "not run: no result (toolcall)"));
    json_object_set_new(c.suites, "toolcall", tcs);

    /* The same GPU suite from an emu run does not count as a GPU measurement: modeled instead. */
    json_object_set_new(json_object_get(json_object_get(c.suites, "llm"), "machine"), "backend", json_string("emu"));
    omega_paper_rows(c.suites, &cm, rows);
    r = row(rows, "per_token");
    CHECK(r->have && strcmp(r->kind, "modeled") == 0);
    const struct omega_model_preset *m7 = omega_model_find("llama2-7b");
    CHECK(NEAR(r->base, omega_cost_decode_step_s(&cm, m7, 1, 512, 0) * 1e3));
    r = row(rows, "density");
    CHECK(NEAR(r->omega, (double)omega_cost_density(&cm, m7, 4096, 1)));

    struct omega_buf md;
    omega_buf_init(&md);
    CHECK(omega_paper_markdown(rows, "t", &md) == 0);
    char want[64];
    snprintf(want, sizeof want, "| %.3g ms |", c.monitor_us / 1e3);
    CHECK_MSG(strstr((char *)md.data, want) != NULL, "table lacks '%s'", want);
    CHECK(strstr((char *)md.data, "| 0.3 ms |") != NULL);
    omega_buf_fini(&md);
    json_decref(c.suites);
    return OMEGA_TEST_PASS;
}

OMEGA_TEST_TIMEOUT(sim_paper_suite_from, 60)
{
    /* The whole suite through the command line, from canned result folders. */
    struct canned c;
    make_canned(&c, 77);
    const char *tmp = omega_test_tmpdir();
    const char *suites[] = {"policy", "provlog", "isolation", "attest", "llm"};
    for (size_t i = 0; i < 5; i++) {
        char path[1200];
        CHECK(omega_test_sh(NULL, 0, "mkdir -p %s/canned/%s/r1", tmp, suites[i]) == 0);
        snprintf(path, sizeof path, "%s/canned/%s/r1/summary.json", tmp, suites[i]);
        CHECK(json_dump_file(json_object_get(c.suites, suites[i]), path, 0) == 0);
    }
    char out[16384];
    int rc = omega_test_sh(out, sizeof out, "%s bench paper --from %s/canned --out %s/res --run-id t1 --json 2>/dev/null",
                           omega_test_omega_bin(), tmp, tmp);
    CHECK_EQ_INT(rc, 0);
    json_t *j = json_loads(out, 0, NULL);
    CHECK(j);
    const json_t *m = omega_summary_find(j, "paper_policy_io", NULL);
    CHECK(m && NEAR(json_number_value(json_object_get(m, "value")), c.monitor_us / 1e3));
    CHECK_STR(json_string_value(json_object_get(m, "kind")), "measured");
    json_decref(j);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "grep -q 'not run: no results in the --from folder (toolcall)' %s/res/paper/t1/table.md", tmp), 0);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "grep -q 'not run: no results in the --from folder (multiagent)' %s/res/paper/t1/table.md", tmp), 0);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "cmp -s %s/res/paper/t1/table.md %s/res/paper/table.md", tmp, tmp), 0);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "test -s %s/res/paper/t1/fig1_per_token.gp && test -s %s/res/paper/t1/fig5_log_size.dat", tmp, tmp), 0);
    /* The GPU model was fitted to the canned cuda run's step times (one point), not left at its default. */
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "grep -c 'decode step time' %s/res/paper/t1/machine.json", tmp), 0);
    /* Bad options are usage errors. */
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "%s bench paper --suites nope --no-write 2>/dev/null", omega_test_omega_bin()), 2);
    json_decref(c.suites);
    return OMEGA_TEST_PASS;
}

OMEGA_TEST_TIMEOUT(sim_paper_suite_runs, 60)
{
    /* Through real subprocesses: whatever the multiagent suite does here (not built yet, fails, or
     * measures), its row says either "not run: <reason>" or carries a figure, and the run says which
     * backend auto chose. */
    const char *tmp = omega_test_tmpdir();
    char out[4096];
    int rc = omega_test_sh(out, sizeof out, "%s bench paper --backend auto --suites multiagent --timeout 20 --out %s/run "
                                            "--run-id r 2>&1 >/dev/null | grep 'backend auto: using'",
                           omega_test_omega_bin(), tmp);
    CHECK_EQ_INT(rc, 0);
    CHECK(strstr(out, "using emu") || strstr(out, "using cuda") || strstr(out, "using snp"));
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "test -f %s/run/paper/r/logs/multiagent.stderr", tmp), 0);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "grep '^| Multi-agent' %s/run/paper/r/table.md", tmp), 0);
    CHECK_MSG(strstr(out, "| not run: ") || strstr(out, "| measured |") || strstr(out, "| modeled |"), "row: %s", out);
    /* Rows of suites not asked for say so, never a number. */
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "grep '^| Policy enforcement' %s/run/paper/r/table.md", tmp), 0);
    CHECK(strstr(out, "not run: no result (policy)") != NULL);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "grep -q '\"backend\": \"emu\"\\|\"backend\": \"cuda\"\\|\"backend\": \"snp\"' %s/run/paper/r/machine.json", tmp), 0);
    return OMEGA_TEST_PASS;
}
