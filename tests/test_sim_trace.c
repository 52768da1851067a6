/* Traces and the cost model: Azure reader, Poisson arrivals, trace-replay round trip, cost-model fit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/costmodel.h"
#include "tests/test.h"
#include "workloads/trace.h"

static int parse_azure_err(const char *text, struct omega_error *err)
{
    struct omega_azure_trace t;
    omega_error_clear(err);
    int rc = omega_azure_parse(&t, text, strlen(text), "x.csv", err);
    omega_azure_fini(&t);
    return rc;
}

OMEGA_TEST(sim_azure_slice)
{
    /* The first rows of the shipped conversation trace, read from the file itself. */
    char path[1024];
    snprintf(path, sizeof path, "%s/workloads/traces/AzureLLMInferenceTrace_conv.csv", omega_test_srcdir());
    struct omega_azure_trace t;
    struct omega_error err;
    omega_error_clear(&err);
    CHECK_MSG(omega_azure_read(&t, path, &err) == 0, "%s", err.msg);
    CHECK_EQ_INT(t.n, 19366);  /* the file ends without a newline */
    CHECK_EQ_INT(t.req[0].ctx_tokens, 374);
    CHECK_EQ_INT(t.req[0].gen_tokens, 44);
    CHECK(t.req[0].t_s == 0);
    /* 18:15:50.9951690 - 18:15:46.6805900 */
    CHECK(fabs(t.req[1].t_s - 4.314579) < 1e-5);
    CHECK(omega_azure_rate(&t) > 1 && omega_azure_rate(&t) < 100);
    for (size_t i = 1; i < t.n; i++)
        CHECK(t.req[i].t_s >= t.req[i - 1].t_s);
    omega_azure_fini(&t);

    const char *slice = "TIMESTAMP,ContextTokens,GeneratedTokens\r\n2023-11-16 18:17:03.9799600,4808,10\r\n"
                        "2023-11-16 18:17:04.5,3180,8\r\n";
    CHECK_EQ_INT(omega_azure_parse(&t, slice, strlen(slice), "s.csv", &err), 0);
    CHECK_EQ_INT(t.n, 2);
    CHECK(fabs(t.req[1].t_s - 0.52004) < 1e-6);
    omega_azure_fini(&t);
    return OMEGA_TEST_PASS;
}

OMEGA_TEST(sim_azure_malformed)
{
    static const struct { const char *text, *want; } bad[] = {
        {"", "empty file"},
        {"TIMESTAMP,ContextTokens\n", "x.csv:1: expected the header"},
        {"TIMESTAMP,ContextTokens,GeneratedTokens\n", "no requests"},
        {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.97,10\n", "x.csv:2: expected 3"},
        {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.97,10,1,4\n", "x.csv:2: expected 3"},
        {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.97,1,1\n2023-13-16 18:17:03.97,10,1\n",
         "x.csv:3: bad TIMESTAMP"},
        {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16T18:17:03,10,1\n", "x.csv:2: bad TIMESTAMP"},
        {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.,10,1\n", "x.csv:2: bad TIMESTAMP"},
        {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03,-1,1\n", "x.csv:2: bad ContextTokens"},
        {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03,99999999,1\n", "x.csv:2: bad ContextTokens"},
        {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03,5,\n", "x.csv:2: bad GeneratedTokens"},
        {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03,5,x\n", "x.csv:2: bad GeneratedTokens"},
        {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03,5,1\n\n2023-11-16 18:17:02,5,1\n",
         "x.csv:4: TIMESTAMP goes back"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct omega_error err;
        int rc = parse_azure_err(bad[i].text, &err);
        CHECK_MSG(rc == OMEGA_EFORMAT, "case %zu: rc %d", i, rc);
        CHECK_MSG(strstr(err.msg, bad[i].want) != NULL, "case %zu: '%s' lacks '%s'", i, err.msg, bad[i].want);
    }
    /* A NUL byte inside a line is refused, not truncated silently. */
    char nul[] = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03,5,1\n";
    nul[50] = 0;
    struct omega_azure_trace t;
    struct omega_error err;
    omega_error_clear(&err);
    CHECK(omega_azure_parse(&t, nul, sizeof nul - 1, "n.csv", &err) == OMEGA_EFORMAT);
    CHECK(strstr(err.msg, "n.csv:2") != NULL);
    return OMEGA_TEST_PASS;
}

OMEGA_TEST(sim_poisson_mean)
{
    struct omega_rng r;
    omega_rng_seed(&r, 42);
    size_t n = 200000;
    double *a = malloc(n * sizeof *a);
    CHECK(a);
    double rate = 37.5;
    omega_poisson_arrivals(&r, rate, n, a);
    /* Mean gap 1/rate; its standard error is (1/rate)/sqrt(n), so 5 sigma is ~1.1% here. */
    double mean = a[n - 1] / (double)n, se = (1.0 / rate) / sqrt((double)n);
    CHECK_MSG(fabs(mean - 1.0 / rate) < 5 * se, "mean gap %g, want %g", mean, 1.0 / rate);
    /* Exponential gaps: the variance equals the squared mean (a Poisson process, not a regular one). */
    double var = 0, prev = 0;
    for (size_t i = 0; i < n; i++) {
        double g = a[i] - prev;
        prev = a[i];
        var += (g - mean) * (g - mean);
    }
    var /= (double)(n - 1);
    CHECK_MSG(fabs(var / (mean * mean) - 1.0) < 0.05, "gap CV^2 %g", var / (mean * mean));
    /* Counts in unit windows: mean equals variance (index of dispersion 1). */
    size_t windows = (size_t)a[n - 1];
    double *cnt = calloc(windows + 1, sizeof *cnt);
    CHECK(cnt);
    for (size_t i = 0; i < n; i++)
        if ((size_t)a[i] < windows)
            cnt[(size_t)a[i]] += 1;
    double cm = 0, cv = 0;
    for (size_t w = 0; w < windows; w++)
        cm += cnt[w];
    cm /= (double)windows;
    for (size_t w = 0; w < windows; w++)
        cv += (cnt[w] - cm) * (cnt[w] - cm);
    cv /= (double)(windows - 1);
    CHECK_MSG(fabs(cv / cm - 1.0) < 0.15, "dispersion %g", cv / cm);
    free(cnt);
    free(a);
    return OMEGA_TEST_PASS;
}

OMEGA_TEST(sim_replay_roundtrip)
{
    const char *text =
        "# a recorded session\n"
        "{\"t_ms\": 0, \"agent\": \"a1\", \"kind\": \"infer\", \"prompt_tokens\": 374, \"gen_tokens\": 44}\n"
        "\n"
        "{\"t_ms\": 12.5, \"agent\": \"a1\", \"kind\": \"call\", \"msg\": {\"jsonrpc\": \"2.0\", \"id\": 1, "
        "\"method\": \"tools/call\", \"params\": {\"name\": \"http_get\", \"arguments\": {\"url\": \"http://x/\"}}}}\n"
        "{\"t_ms\": 14.25, \"agent\": \"a1\", \"kind\": \"result\", \"msg\": {\"jsonrpc\": \"2.0\", \"id\": 1, "
        "\"result\": {\"content\": []}}, \"labels\": {\"integrity\": \"untrusted\", \"classes\": [\"PII\"]}}\n"
        "{\"t_ms\": 20, \"agent\": \"a1\", \"kind\": \"send\", \"to\": \"a2\", \"msg\": {\"jsonrpc\": \"2.0\", "
        "\"method\": \"message/send\", \"params\": {\"text\": \"hi\"}}, \"labels\": {\"regions\": [\"EU\"]}}\n";
    struct omega_trace t1, t2;
    struct omega_error err;
    omega_error_clear(&err);
    CHECK_MSG(omega_trace_parse(&t1, text, strlen(text), "s.jsonl", &err) == 0, "%s", err.msg);
    CHECK_EQ_INT(t1.n, 4);
    CHECK_EQ_INT(t1.ev[0].line, 2);
    CHECK_EQ_INT(t1.ev[1].line, 4);
    CHECK_EQ_INT(t1.ev[0].prompt_tokens, 374);
    CHECK(t1.ev[2].has_labels && t1.ev[2].labels.untrusted);
    CHECK(omega_label_set_has(&t1.ev[2].labels.classes, "PII"));
    CHECK_STR(t1.ev[3].to, "a2");
    struct omega_buf w1, w2;
    omega_buf_init(&w1);
    omega_buf_init(&w2);
    CHECK(omega_trace_write(&t1, &w1) == 0);
    CHECK(omega_trace_parse(&t2, (const char *)w1.data, w1.len, "w1", &err) == 0);
    CHECK(omega_trace_write(&t2, &w2) == 0);
    CHECK_EQ_INT(w1.len, w2.len);
    CHECK(memcmp(w1.data, w2.data, w1.len) == 0);
    CHECK_EQ_INT(t2.n, t1.n);
    for (size_t i = 0; i < t1.n; i++) {
        CHECK(t1.ev[i].kind == t2.ev[i].kind);
        CHECK(t1.ev[i].t_ms == t2.ev[i].t_ms);
        CHECK(json_equal(t1.ev[i].msg, t2.ev[i].msg) || (!t1.ev[i].msg && !t2.ev[i].msg));
    }
    omega_trace_fini(&t1);
    omega_trace_fini(&t2);
    omega_buf_fini(&w1);
    omega_buf_fini(&w2);

    /* The generator is deterministic in its seed, and its output parses as a valid trace. */
    struct omega_trace g1, g2, g3;
    CHECK(omega_trace_generate(&g1, 7, 5, 4, 2.0, NULL, &err) == 0);
    CHECK(omega_trace_generate(&g2, 7, 5, 4, 2.0, NULL, &err) == 0);
    CHECK(omega_trace_generate(&g3, 8, 5, 4, 2.0, NULL, &err) == 0);
    CHECK_EQ_INT(g1.n, 60);
    omega_buf_init(&w1);
    omega_buf_init(&w2);
    struct omega_buf w3;
    omega_buf_init(&w3);
    CHECK(omega_trace_write(&g1, &w1) == 0 && omega_trace_write(&g2, &w2) == 0 && omega_trace_write(&g3, &w3) == 0);
    CHECK(w1.len == w2.len && memcmp(w1.data, w2.data, w1.len) == 0);
    CHECK(w1.len != w3.len || memcmp(w1.data, w3.data, w1.len) != 0);
    struct omega_trace back;
    CHECK_MSG(omega_trace_parse(&back, (const char *)w1.data, w1.len, "gen", &err) == 0, "%s", err.msg);
    CHECK_EQ_INT(back.n, 60);
    omega_trace_fini(&back);
    omega_trace_fini(&g1);
    omega_trace_fini(&g2);
    omega_trace_fini(&g3);
    omega_buf_fini(&w1);
    omega_buf_fini(&w2);
    omega_buf_fini(&w3);
    return OMEGA_TEST_PASS;
}

OMEGA_TEST(sim_replay_malformed)
{
    static const struct { const char *text, *want; } bad[] = {
        {"{\"t_ms\": 0, \"agent\": \"a\", \"kind\": \"infer\", \"prompt_tokens\": 1, \"gen_tokens\": 1}\n{oops\n",
         "b.jsonl:2: not JSON"},
        {"[1]\n", "b.jsonl:1: an event must be a JSON object"},
        {"{\"agent\": \"a\", \"kind\": \"infer\", \"prompt_tokens\": 1, \"gen_tokens\": 1}\n", "b.jsonl:1: \"t_ms\""},
        {"{\"t_ms\": -1, \"agent\": \"a\", \"kind\": \"infer\", \"prompt_tokens\": 1, \"gen_tokens\": 1}\n", "\"t_ms\""},
        {"{\"t_ms\": 1, \"agent\": \"\", \"kind\": \"infer\", \"prompt_tokens\": 1, \"gen_tokens\": 1}\n", "\"agent\""},
        {"{\"t_ms\": 1, \"agent\": \"a\", \"kind\": \"dance\"}\n", "\"kind\" must be one of"},
        {"{\"t_ms\": 1, \"agent\": \"a\", \"kind\": \"infer\", \"prompt_tokens\": 1.5, \"gen_tokens\": 1}\n",
         "prompt_tokens"},
        {"{\"t_ms\": 1, \"agent\": \"a\", \"kind\": \"call\", \"msg\": {\"jsonrpc\": \"1.0\", \"method\": \"x\"}}\n",
         "\"jsonrpc\" must be \"2.0\""},
        {"{\"t_ms\": 1, \"agent\": \"a\", \"kind\": \"call\", \"msg\": {\"jsonrpc\": \"2.0\", \"id\": 1, "
         "\"method\": \"tools/call\", \"params\": {}}}\n", "params.name"},
        {"{\"t_ms\": 1, \"agent\": \"a\", \"kind\": \"result\", \"msg\": {\"jsonrpc\": \"2.0\", \"id\": 1}}\n",
         "exactly one of"},
        {"{\"t_ms\": 1, \"agent\": \"a\", \"kind\": \"send\", \"msg\": {\"jsonrpc\": \"2.0\", \"method\": \"m\"}}\n",
         "\"to\""},
        {"{\"t_ms\": 1, \"agent\": \"a\", \"kind\": \"result\", \"msg\": {\"jsonrpc\": \"2.0\", \"id\": 1, "
         "\"result\": 1}, \"labels\": {\"integrity\": \"maybe\"}}\n", "integrity"},
        {"{\"t_ms\": 1, \"agent\": \"a\", \"kind\": \"infer\", \"prompt_tokens\": 1, \"gen_tokens\": 1, \"x\": 1}\n",
         "unknown field \"x\""},
        {"{\"t_ms\": 5, \"agent\": \"a\", \"kind\": \"infer\", \"prompt_tokens\": 1, \"gen_tokens\": 1}\n"
         "{\"t_ms\": 4, \"agent\": \"a\", \"kind\": \"infer\", \"prompt_tokens\": 1, \"gen_tokens\": 1}\n",
         "b.jsonl:2: t_ms 4.000 is earlier"},
        {"{\"t_ms\": 1, \"t_ms\": 2, \"agent\": \"a\", \"kind\": \"infer\", \"prompt_tokens\": 1, \"gen_tokens\": 1}\n",
         "not JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct omega_trace t;
        struct omega_error err;
        omega_error_clear(&err);
        int rc = omega_trace_parse(&t, bad[i].text, strlen(bad[i].text), "b.jsonl", &err);
        CHECK_MSG(rc == OMEGA_EFORMAT, "case %zu: rc %d", i, rc);
        CHECK_MSG(strstr(err.msg, bad[i].want) != NULL, "case %zu: '%s' lacks '%s'", i, err.msg, bad[i].want);
        CHECK_MSG(strncmp(err.msg, "b.jsonl:", 8) == 0, "case %zu: no line in '%s'", i, err.msg);
    }
    return OMEGA_TEST_PASS;
}

/* A synthetic llm summary made from a known roofline: the fit must find the efficiency back. */
static json_t *synthetic_llm_summary(double eff, double launch, const char *backend)
{
    struct omega_costmodel truth;
    omega_costmodel_init(&truth);
    truth.eff_bw.value = eff;
    truth.launch_s.value = launch;
    json_t *metrics = json_array();
    const char *models[] = {"llama2-7b", "llama2-13b"};
    int batches[] = {1, 8, 32, 64};
    for (int mi = 0; mi < 2; mi++)
        for (int bi = 0; bi < 4; bi++) {
            const struct omega_model_preset *m = omega_model_find(models[mi]);
            double t = omega_cost_decode_step_s(&truth, m, batches[bi], 1024, 0);
            json_array_append_new(metrics, json_pack("{s:s, s:s, s:f, s:{s:s, s:s, s:i, s:i, s:s}, s:s}", "name",
                                                     "decode_step_ms", "unit", "ms", "value", t * 1e3, "params",
                                                     "model", models[mi], "dtype", "bf16", "batch", batches[bi],
                                                     mi == 0 ? "ctx" : "context", 1024, "cc", "off", "kind", "measured"));
        }
    json_array_append_new(metrics, json_pack("{s:s, s:s, s:f, s:{s:s, s:i}}", "name", "prefill_gemm_fraction",
                                             "unit", "ratio", "value", 0.8, "params", "model", "llama2-7b", "batch", 1));
    json_array_append_new(metrics, json_pack("{s:s, s:s, s:f, s:{s:s, s:s, s:i}}", "name", "cc_overhead_pct", "unit",
                                             "%", "value", 4.0, "params", "model", "llama2-7b", "dtype", "bf16",
                                             "batch", 1));
    /* Points the fit must leave out: a quantised path far off the roofline, a tensor-parallel run. */
    json_array_append_new(metrics, json_pack("{s:s, s:s, s:f, s:{s:s, s:s, s:i, s:i, s:i}}", "name", "decode_step_ms",
                                             "unit", "ms", "value", 107.0, "params", "model", "llama2-70b", "dtype",
                                             "int8", "batch", 8, "gpus", 1, "context", 128));
    json_array_append_new(metrics, json_pack("{s:s, s:s, s:f, s:{s:s, s:s, s:i, s:i, s:i}}", "name", "decode_step_ms",
                                             "unit", "ms", "value", 3.0, "params", "model", "llama2-70b", "dtype",
                                             "bf16", "batch", 1, "gpus", 2, "context", 128));
    return json_pack("{s:s, s:{s:s, s:s}, s:o}", "suite", "llm", "machine", "backend", backend, "llm_gpu",
                     "NVIDIA H100 80GB HBM3", "metrics", metrics);
}

OMEGA_TEST(sim_costmodel_fit)
{
    const struct omega_model_preset *m7 = omega_model_find("llama2-7b"), *m70 = omega_model_find("llama2-70b");
    CHECK(m7 && m70);
    /* Parameter counts of the published checkpoints: 6.74e9 and 68.98e9. */
    CHECK(fabs(omega_model_params(m7) / 6.74e9 - 1) < 0.01);
    CHECK(fabs(omega_model_params(m70) / 68.98e9 - 1) < 0.01);
    /* KV bytes per token: 7B 2*32*4096*2 = 512 KiB; 70B GQA 2*80*1024*2 = 320 KiB. */
    CHECK_EQ_INT((long long)omega_model_kv_bytes_per_token(m7), 524288);
    CHECK_EQ_INT((long long)omega_model_kv_bytes_per_token(m70), 327680);

    struct omega_costmodel cm;
    omega_costmodel_init(&cm);
    CHECK(cm.eff_bw.measured == 0);
    json_t *s = synthetic_llm_summary(0.71, 42e-6, "cuda");
    int used = omega_costmodel_fit_llm(&cm, s, "synthetic");
    CHECK_MSG(used >= 10, "used %d", used);
    CHECK_MSG(fabs(cm.eff_bw.value - 0.71) < 0.005, "eff_bw %g", cm.eff_bw.value);
    CHECK_MSG(fabs(cm.launch_s.value - 42e-6) < 2e-6, "launch %g", cm.launch_s.value);
    CHECK(cm.eff_bw.measured && cm.launch_s.measured && cm.eff_flops.measured && cm.cc_step_s.measured);
    CHECK(fabs(cm.eff_flops.value - 0.8 * 0.75) < 1e-9);
    CHECK(cm.fit_points == 8 && cm.fit_err < 0.01);
    CHECK(isfinite(cm.fit_loo_err) && cm.fit_loo_err < 0.02);
    /* 4% at batch 1 becomes an absolute per-step cost of 4% of that step. */
    double t1 = omega_cost_decode_step_s(&cm, m7, 1, 512, 0);
    CHECK_MSG(fabs(cm.cc_step_s.value / t1 - 0.04) < 0.002, "cc %g of %g", cm.cc_step_s.value, t1);
    CHECK(omega_cost_decode_step_s(&cm, m7, 1, 512, 1) > t1);

    /* Through files: an emu llm run must not calibrate the GPU model, a cuda one must. */
    char dir[1024], path[1200];
    snprintf(dir, sizeof dir, "%s/res", omega_test_tmpdir());
    CHECK(omega_test_sh(NULL, 0, "mkdir -p %s/llm/a-emu %s/llm/b-cuda %s/policy/r", dir, dir, dir) == 0);
    json_t *emu = synthetic_llm_summary(0.3, 10e-6, "emu");
    snprintf(path, sizeof path, "%s/llm/a-emu/summary.json", dir);
    CHECK(json_dump_file(emu, path, 0) == 0);
    struct omega_costmodel c2;
    omega_costmodel_init(&c2);
    CHECK_EQ_INT(omega_costmodel_load(&c2, dir), 0);
    CHECK(c2.eff_bw.value == 0.80 && !c2.eff_bw.measured);
    snprintf(path, sizeof path, "%s/llm/b-cuda/summary.json", dir);
    CHECK(json_dump_file(s, path, 0) == 0);
    json_t *pol = json_pack("{s:s, s:[{s:s, s:s, s:f, s:{s:i}}, {s:s, s:s, s:f, s:{s:i}}, {s:s, s:s, s:f, s:{}}]}",
                            "suite", "policy", "metrics", "name", "policy_decision_us", "unit", "us", "value", 9.0,
                            "params", "policies", 10, "name", "policy_decision_us", "unit", "us", "value", 2.5,
                            "params", "policies", 100, "name", "monitor_path_us", "unit", "us", "value", 3.5,
                            "params");
    snprintf(path, sizeof path, "%s/policy/r/summary.json", dir);
    CHECK(json_dump_file(pol, path, 0) == 0);
    /* A newer tensor-parallel run on other cards has no single-GPU points: the older run still calibrates. */
    json_t *tp = json_pack("{s:s, s:{s:s}, s:[{s:s, s:s, s:f, s:{s:s, s:s, s:i, s:i}}]}", "suite", "llm", "machine",
                           "backend", "cuda", "metrics", "name", "decode_step_ms", "unit", "ms", "value", 23.6,
                           "params", "model", "llama2-70b", "dtype", "bf16", "batch", 1, "gpus", 2);
    CHECK(omega_test_sh(NULL, 0, "mkdir -p %s/llm/c-tp && sleep 0.05", dir) == 0);
    snprintf(path, sizeof path, "%s/llm/c-tp/summary.json", dir);
    CHECK(json_dump_file(tp, path, 0) == 0);
    json_decref(tp);
    /* A newer run with all the points, on another card (an H200), must not calibrate the H100 model. */
    json_t *h200 = synthetic_llm_summary(0.95, 10e-6, "cuda");
    json_object_set_new(json_object_get(h200, "machine"), "llm_gpu", json_string("NVIDIA H200"));
    CHECK(omega_test_sh(NULL, 0, "mkdir -p %s/llm/d-h200 && sleep 0.05", dir) == 0);
    snprintf(path, sizeof path, "%s/llm/d-h200/summary.json", dir);
    CHECK(json_dump_file(h200, path, 0) == 0);
    json_decref(h200);
    omega_costmodel_init(&c2);
    CHECK(omega_costmodel_load(&c2, dir) >= 12);
    CHECK_MSG(strstr(c2.eff_bw.source, "b-cuda") != NULL, "calibrated from %s", c2.eff_bw.source);
    CHECK(fabs(c2.eff_bw.value - 0.71) < 0.005 && c2.eff_bw.measured);
    CHECK(fabs(c2.policy_s.value - 2.5e-6) < 1e-12 && c2.policy_s.measured);
    CHECK(fabs(c2.monitor_s.value - 3.5e-6) < 1e-12);
    json_decref(pol);
    json_decref(emu);
    json_decref(s);

    /* Density on an 80 GiB card at 4,096 tokens: one shared 7B copy holds many more agents than a copy each. */
    int shared = omega_cost_density(&cm, m7, 4096, 1), per = omega_cost_density(&cm, m7, 4096, 0);
    CHECK(per >= 4 && per <= 6);
    CHECK(shared >= 28 && shared <= 32);
    return OMEGA_TEST_PASS;
}

OMEGA_TEST(sim_trace_mutations)
{
    /* Truncations and byte flips of valid inputs: either parsed or refused with file:line, never a crash. */
    struct omega_trace g;
    struct omega_error err;
    omega_error_clear(&err);
    CHECK(omega_trace_generate(&g, 3, 3, 3, 1.0, NULL, &err) == 0);
    struct omega_buf w;
    omega_buf_init(&w);
    CHECK(omega_trace_write(&g, &w) == 0);
    omega_trace_fini(&g);
    const char *csv = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.9799600,4808,10\n"
                      "2023-11-16 18:17:04.0319600,3180,8\n2023-11-16 18:17:04.0781490,110,27\n";
    struct omega_rng rng;
    omega_rng_seed(&rng, 99);
    char *buf = malloc(w.len + 1);
    CHECK(buf);
    for (int round = 0; round < 3000; round++) {
        int which = round & 1;
        const char *src = which ? csv : (const char *)w.data;
        size_t len = which ? strlen(csv) : w.len;
        memcpy(buf, src, len);
        size_t n = len;
        switch (omega_rng_next(&rng) % 3) {
        case 0: n = (size_t)(omega_rng_next(&rng) % (len + 1)); break;
        case 1: buf[omega_rng_next(&rng) % len] ^= (char)(1u << (omega_rng_next(&rng) % 8)); break;
        default: buf[omega_rng_next(&rng) % len] = "{}\",:\n0-.9#\r"[omega_rng_next(&rng) % 13]; break;
        }
        omega_error_clear(&err);
        int rc;
        if (which) {
            struct omega_azure_trace t;
            rc = omega_azure_parse(&t, buf, n, "m.csv", &err);
            omega_azure_fini(&t);
            CHECK_MSG(rc == 0 || (rc == OMEGA_EFORMAT && strncmp(err.msg, "m.csv", 5) == 0), "csv rc %d: %s", rc, err.msg);
        } else {
            struct omega_trace t;
            rc = omega_trace_parse(&t, buf, n, "m.jsonl", &err);
            omega_trace_fini(&t);
            CHECK_MSG(rc == 0 || (rc == OMEGA_EFORMAT && strncmp(err.msg, "m.jsonl:", 8) == 0), "jsonl rc %d: %s", rc, err.msg);
        }
    }
    free(buf);
    omega_buf_fini(&w);
    return OMEGA_TEST_PASS;
}
