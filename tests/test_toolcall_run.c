/* The tool-calling workload end to end on the emulated platform: sandboxed agents that infer with
 * the CPU reference model, call the built-in tools under the built-in policy bundle, with every
 * decision in a provenance log that verifies afterwards. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/agent.h"
#include "tests/test.h"
#include "workloads/stack.h"
#include "workloads/toolcall/toolcall.h"

static int count_sunk(struct omega_stack *s, const char *needle)
{
    const json_t *sunk = omega_toolbox_sunk(omega_stack_toolbox(s));
    size_t i;
    json_t *r;
    int n = 0;
    json_array_foreach(sunk, i, r) {
        char *t = json_dumps(r, JSON_COMPACT);
        if (t && strstr(t, needle))
            n++;
        free(t);
    }
    return n;
}

static int run(int enforce, int log_sync, const char *log_dir, struct omega_toolcall_stats *st, int *attacker_mails, uint64_t *records,
               int *payments_over)
{
    char data[1024];
    snprintf(data, sizeof data, "%s/data", omega_test_tmpdir());
    struct omega_error err = {0};
    if (omega_toolcall_make_data(data, 16, &err) < 0)
        return -1;
    struct omega_config pc = {.backend = "emu", .cc = 1};
    struct omega_stack_config sc = {.platform = &pc, .enforce = enforce, .log_dir = log_dir, .log_sync = log_sync,
                                    .log_fsync = 1, .model = "tiny", .max_context = 256, .data_dir = data, .http = 1};
    struct omega_stack *s;
    if (omega_stack_open(&s, &sc, &err) < 0) {
        printf("stack: %s\n", err.msg);
        return -1;
    }
    struct omega_toolcall_config tc = {.agents = 3, .rounds = 24, .prompt_tokens = 8, .gen_tokens = 4, .seed = 7};
    int rc = omega_toolcall_run(s, &tc, st, &err);
    if (rc < 0)
        printf("run: %s\n", err.msg);
    *attacker_mails = count_sunk(s, "attacker.example");
    *records = omega_stack_log_leaves(s);
    /* payments above the limit that reached the sink */
    const json_t *sunk = omega_toolbox_sunk(omega_stack_toolbox(s));
    size_t i;
    json_t *r;
    *payments_over = 0;
    json_array_foreach(sunk, i, r) {
        json_t *amount = json_object_get(json_object_get(r, "args"), "amount");
        if (amount && json_number_value(amount) > 100)
            (*payments_over)++;
    }
    if (rc == 0 && log_dir) {
        char key[1100];
        snprintf(key, sizeof key, "%s.pub.pem", log_dir);
        rc = omega_stack_write_log_key(s, key, &err);
    }
    if (omega_stack_close(s, &err) < 0)
        rc = -1;
    return rc;
}

static int enforced(int log_sync)
{
    struct omega_toolcall_stats on, off;
    int mails_on, mails_off, over_on, over_off;
    uint64_t rec_on, rec_off;
    char log_dir[1024];
    snprintf(log_dir, sizeof log_dir, "%s/provlog-%s", omega_test_tmpdir(), log_sync ? "sync" : "batch");
    CHECK(run(1, log_sync, log_dir, &on, &mails_on, &rec_on, &over_on) == 0);
    CHECK_MSG(on.agents_failed == 0, "agent failed: %s", on.failure);
    CHECK_EQ_INT(on.calls, 3 * 24);
    CHECK_EQ_INT(on.infers, 3 * 24);
    CHECK_EQ_INT(on.infer_errors, 0);
    CHECK_EQ_INT(on.allowed + on.denied + on.errors, on.calls);
    CHECK(on.denied > 0);
    CHECK_EQ_INT(mails_on, 0);      /* untrusted pages never chose a recipient */
    CHECK_EQ_INT(over_on, 0);       /* no payment above the limit went out */
    CHECK(on.nrounds == 72 && on.ncalls == 72 && on.ninfers == 72);
    CHECK(rec_on > 0);
    char out[8192];
    int rc = omega_test_sh(out, sizeof out, "%s log verify %s --key %s.pub.pem 2>&1", omega_test_omega_bin(), log_dir, log_dir);
    CHECK_MSG(rc == 0, "log verify: %d %s", rc, out);
    /* every decision recorded: calls, inferences and each agent's report */
    rc = omega_test_sh(out, sizeof out, "%s log stats %s | awk '$1 == \"records\" {print $2}'", omega_test_omega_bin(), log_dir);
    CHECK_MSG(rc == 0 && (uint64_t)atoll(out) == on.calls + on.infers + 3, "records: %s", out);
    rc = omega_test_sh(out, sizeof out, "%s log show %s | grep -c '\"decision\":\"deny\"'", omega_test_omega_bin(), log_dir);
    CHECK_MSG((uint64_t)atoll(out) == on.denied, "denials logged: %s", out);

    CHECK(run(0, 1, NULL, &off, &mails_off, &rec_off, &over_off) == 0);
    CHECK_MSG(off.agents_failed == 0, "agent failed: %s", off.failure);
    CHECK_EQ_INT(off.denied, 0);
    CHECK(mails_off > 0 && over_off > 0);  /* the same agents, unenforced, do leak: the test can fail */
    CHECK_EQ_INT(rec_off, 0);
    omega_toolcall_stats_fini(&on);
    omega_toolcall_stats_fini(&off);
    return 0;
}

OMEGA_TEST_TIMEOUT(toolcall_workload_enforced_sync, 120) { return enforced(1); }

/* Group commits: the same guarantees, the runtime answering each agent once its record is durable. */
OMEGA_TEST_TIMEOUT(toolcall_workload_enforced_batch, 120) { return enforced(0); }

OMEGA_TEST_TIMEOUT(toolcall_trace_replay_deterministic, 60)
{
    char trace[1024];
    snprintf(trace, sizeof trace, "%s/t.jsonl", omega_test_tmpdir());
    FILE *f = fopen(trace, "w");
    CHECK(f != NULL);
    fprintf(f, "# two agents\n"
               "{\"t_ms\": 0, \"agent\": \"a1\", \"kind\": \"infer\", \"prompt_tokens\": 6, \"gen_tokens\": 3}\n"
               "{\"t_ms\": 1, \"agent\": \"a1\", \"kind\": \"call\", \"msg\": {\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"tools/call\", \"params\": {\"name\": \"pay\", \"arguments\": {\"amount\": 500, \"currency\": \"EUR\", \"iban\": \"X\"}}}}\n"
               "{\"t_ms\": 2, \"agent\": \"a2\", \"kind\": \"call\", \"msg\": {\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"tools/call\", \"params\": {\"name\": \"kv_put\", \"arguments\": {\"key\": \"k\", \"value\": 1}}}}\n"
               "{\"t_ms\": 3, \"agent\": \"a1\", \"kind\": \"call\", \"msg\": {\"jsonrpc\": \"2.0\", \"id\": 2, \"method\": \"tools/call\", \"params\": {\"name\": \"pay\", \"arguments\": {\"amount\": 50, \"currency\": \"EUR\", \"iban\": \"X\"}}}}\n");
    fclose(f);
    for (int round = 0; round < 2; round++) {
        struct omega_config pc = {.backend = "emu", .cc = 1};
        struct omega_stack_config sc = {.platform = &pc, .enforce = 1, .model = "tiny", .max_context = 128};
        struct omega_stack *s;
        struct omega_error err = {0};
        CHECK(omega_stack_open(&s, &sc, &err) == 0);
        struct omega_toolcall_config tc = {.agents = 2, .trace = trace, .seed = 1, .honor_timing = 1};
        struct omega_toolcall_stats st;
        CHECK_MSG(omega_toolcall_run(s, &tc, &st, &err) == 0, "%s", err.msg);
        CHECK_MSG(st.agents_failed == 0, "%s", st.failure);
        CHECK_EQ_INT(st.calls, 3);
        CHECK_EQ_INT(st.denied, 1);   /* the 500 EUR payment */
        CHECK_EQ_INT(st.allowed, 2);
        CHECK_EQ_INT(st.infers, 1);
        CHECK_EQ_INT(json_array_size(omega_toolbox_sunk(omega_stack_toolbox(s))), 1);
        omega_toolcall_stats_fini(&st);
        CHECK(omega_stack_close(s, &err) == 0);
    }
    /* a malformed trace is refused with its line */
    f = fopen(trace, "w");
    CHECK(f != NULL);
    fprintf(f, "{\"t_ms\": 0, \"agent\": \"a1\", \"kind\": \"bogus\"}\n");
    fclose(f);
    struct omega_config pc = {.backend = "emu"};
    struct omega_stack_config sc = {.platform = &pc, .enforce = 1};
    struct omega_stack *s;
    struct omega_error err = {0};
    CHECK(omega_stack_open(&s, &sc, &err) == 0);
    struct omega_toolcall_config tc = {.agents = 1, .trace = trace};
    struct omega_toolcall_stats st;
    CHECK(omega_toolcall_run(s, &tc, &st, &err) < 0);
    CHECK_MSG(strstr(err.msg, ":1:") != NULL, "%s", err.msg);
    omega_toolcall_stats_fini(&st);
    CHECK(omega_stack_close(s, &err) == 0);
    return 0;
}

/* Open-loop arrivals: Poisson times, token counts drawn from the Azure trace and scaled into the
 * model's context; every round runs, none of its inferences fail. */
OMEGA_TEST_TIMEOUT(toolcall_azure_arrivals, 60)
{
    struct omega_config pc = {.backend = "emu", .cc = 1};
    struct omega_stack_config sc = {.platform = &pc, .enforce = 1, .model = "tiny", .max_context = 128};
    struct omega_stack *s;
    struct omega_error err = {0};
    CHECK(omega_stack_open(&s, &sc, &err) == 0);
    struct omega_toolcall_config tc = {.agents = 2, .rounds = 5, .prompt_tokens = 8, .gen_tokens = 4, .seed = 3,
                                       .arrivals = 2, .rate_per_agent = 40};
    struct omega_toolcall_stats st;
    CHECK_MSG(omega_toolcall_run(s, &tc, &st, &err) == 0, "%s", err.msg);
    CHECK_MSG(st.agents_failed == 0, "%s", st.failure);
    CHECK_EQ_INT(st.nrounds, 10);
    CHECK_EQ_INT(st.infers, 10);
    CHECK_EQ_INT(st.infer_errors, 0);
    omega_toolcall_stats_fini(&st);
    CHECK(omega_stack_close(s, &err) == 0);
    /* a missing trace file is an input error that names the file, not a crash */
    CHECK(omega_stack_open(&s, &sc, &err) == 0);
    tc.azure_trace = "/nonexistent.csv";
    omega_error_clear(&err);
    CHECK(omega_toolcall_run(s, &tc, &st, &err) < 0);
    CHECK_MSG(strstr(err.msg, "/nonexistent.csv") != NULL, "%s", err.msg);
    omega_toolcall_stats_fini(&st);
    CHECK(omega_stack_close(s, &err) == 0);
    return 0;
}

/* Labels survive the key-value store: an agent that read PHI stores a value; another agent that reads
 * it back has PHI in its context, and the bundle's phi-stays rule then stops its http_post. */
static int kv_writer(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    char out[4096];
    size_t n;
    const char *rd = "{\"path\":\"record-1\"}", *put = "{\"key\":\"shared\",\"value\":\"summary\"}";
    if (omega_agent_call_tool(ag, "read_file", rd, strlen(rd), out, sizeof out, &n) != 0)
        return 1;
    return omega_agent_call_tool(ag, "kv_put", put, strlen(put), out, sizeof out, &n) == 0 ? 0 : 2;
}

static int kv_reader(struct omega_agent *ag, const void *arg, size_t arglen)
{
    char out[4096], post[256];
    size_t n;
    const char *get = "{\"key\":\"shared\"}";
    if (omega_agent_call_tool(ag, "kv_get", get, strlen(get), out, sizeof out, &n) != 0)
        return 1;
    snprintf(post, sizeof post, "{\"url\":\"%.*s/echo\",\"body\":\"x\"}", (int)arglen, (const char *)arg);
    int rc = omega_agent_call_tool(ag, "http_post", post, strlen(post), out, sizeof out, &n);
    return rc == OMEGA_EDENIED ? 0 : 3;   /* 0 only when the PHI that came through the store was caught */
}

OMEGA_TEST_TIMEOUT(toolcall_labels_survive_kv_store, 60)
{
    char data[1024];
    snprintf(data, sizeof data, "%s/data", omega_test_tmpdir());
    struct omega_error err = {0};
    CHECK(omega_toolcall_make_data(data, 4, &err) == 0);   /* record-1 is PHI */
    struct omega_config pc = {.backend = "emu", .cc = 1};
    struct omega_stack_config sc = {.platform = &pc, .enforce = 1, .data_dir = data, .http = 1};
    struct omega_stack *s;
    CHECK(omega_stack_open(&s, &sc, &err) == 0);
    struct omega_runtime *rt = omega_stack_runtime(s);
    const char *base = omega_stack_http_base(s);
    struct omega_agent_status st;
    int w = omega_runtime_spawn(rt, "writer", kv_writer, NULL, 0, &err);
    CHECK_MSG(w >= 0, "%s", err.msg);
    CHECK(omega_runtime_wait(rt, w, 10000, &st) == 0 && st.exit_code == 0);
    int r = omega_runtime_spawn(rt, "reader", kv_reader, base, strlen(base), &err);
    CHECK(r >= 0);
    CHECK(omega_runtime_wait(rt, r, 10000, &st) == 0);
    CHECK_MSG(st.exit_code == 0, "reader exit %d: the PHI label was lost in the store", st.exit_code);
    CHECK(omega_stack_close(s, &err) == 0);
    return 0;
}
