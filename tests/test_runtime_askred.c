/* The runtime honoring redact and ask decisions: masking in results and outgoing messages, fail
 * closed on what cannot be masked, approvers, and the approval's own provenance record. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "attest/provlog.h"
#include "core/agent.h"
#include "core/approve.h"
#include "core/monitor.h"
#include "core/redact.h"
#include "core/runtime.h"
#include "tests/test.h"
#include "workloads/stack.h"

/* ---- masking alone ------------------------------------------------------------------------------ */

static const char *const ssn_email[] = {"ssn", "email"};

static const char patient_json[] =
    "{\"name\": \"Ann\", \"ssn\": \"123-45-6789\", \"contacts\": [{\"email\": \"ann@x.org\", \"phone\": \"1\"},"
    " {\"email\": \"bob@x.org\"}], \"visits\": [[{\"ssn\": \"987-65-4321\"}]], \"note\": \"ssn is masked\","
    " \"meta\": {\"email\": {\"primary\": \"deep@x.org\"}}}";
static const char patient_masked[] =
    "{\"name\":\"Ann\",\"ssn\":\"[redacted]\",\"contacts\":[{\"email\":\"[redacted]\",\"phone\":\"1\"},"
    "{\"email\":\"[redacted]\"}],\"visits\":[[{\"ssn\":\"[redacted]\"}]],\"note\":\"ssn is masked\","
    "\"meta\":{\"email\":\"[redacted]\"}}";

static int redact_str(const char *in, struct omega_buf *out)
{
    struct omega_error err = {0};
    return omega_redact_json(in, strlen(in), ssn_email, 2, out, &err);
}

static int buf_is(const struct omega_buf *b, const char *s)
{
    return b->len == strlen(s) && memcmp(b->data, s, b->len) == 0;
}

OMEGA_TEST(redact_json_nested_arrays_and_escapes)
{
    struct omega_buf b;
    omega_buf_init(&b);
    CHECK_EQ_INT(redact_str(patient_json, &b), 5);
    CHECK(buf_is(&b, patient_masked));
    /* A key written with escapes is the same key once decoded. */
    CHECK_EQ_INT(redact_str("{\"s\\u0073n\": \"1\", \"x\": {\"\\u0065mail\": [1, 2]}}", &b), 2);
    CHECK(buf_is(&b, "{\"ssn\":\"[redacted]\",\"x\":{\"email\":\"[redacted]\"}}"));
    /* A duplicate key leaves one member, masked. */
    CHECK_EQ_INT(redact_str("{\"ssn\": \"1\", \"ssn\": \"2\"}", &b), 1);
    CHECK(buf_is(&b, "{\"ssn\":\"[redacted]\"}"));
    /* Nothing to mask: re-encoded unchanged in content. */
    CHECK_EQ_INT(redact_str("[1, {\"a\": \"ssn\"}]", &b), 0);
    CHECK(buf_is(&b, "[1,{\"a\":\"ssn\"}]"));
    /* Masking in place: the input may be the output buffer's own bytes. */
    b.len = 0;
    CHECK(omega_buf_append(&b, patient_json, strlen(patient_json)) == 0);
    struct omega_error err = {0};
    CHECK_EQ_INT(omega_redact_json(b.data, b.len, ssn_email, 2, &b, &err), 5);
    CHECK(buf_is(&b, patient_masked));
    /* What cannot be masked is refused, and nothing is left in out. */
    static const char *const bad[] = {
        "ssn=123-45-6789", "\"ssn\"", "42", "", "{\"ssn\": \"1\"", "{\"a\": 1} {\"ssn\": \"2\"}",
        "{\"ssn\": \"a\\u0000b\"}", "{\"ssn\": 1e999}", "{\"ssn\": \"\xff\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        b.len = 3;
        CHECK_MSG(redact_str(bad[i], &b) == OMEGA_EFORMAT, "masked non-JSON input %zu", i);
        CHECK_EQ_INT(b.len, 0);
    }
    omega_buf_fini(&b);
    return 0;
}

OMEGA_TEST(approve_rules_parse_and_match)
{
    struct omega_error err = {0};
    static const char rules[] = "# approved by the payments desk\n"
                                "{\"agent\": \"a1\", \"action\": \"tools/call\", \"target\": \"pay\"}\n"
                                "\n"
                                "{\"target\": \"report-*\"}\n"
                                "{\"agent\": \"*\", \"action\": \"send\"}\n";
    struct omega_approval_rules *r = omega_approval_rules_parse(rules, sizeof rules - 1, &err);
    CHECK_MSG(r != NULL, "%s", err.msg);
    CHECK_EQ_INT(omega_approval_rules_count(r), 3);
    struct omega_decision d = {.verdict = OMEGA_ASK};
    struct omega_action a = {.kind = OMEGA_ACT_TOOL_CALL, .agent = "a1", .method = "tools/call", .target = "pay"};
    CHECK_EQ_INT(omega_approval_rules_approve(r, &a, &d), 1);
    a.agent = "a2";
    CHECK_EQ_INT(omega_approval_rules_approve(r, &a, &d), 0);
    a.target = "report-q3";
    CHECK_EQ_INT(omega_approval_rules_approve(r, &a, &d), 1);
    a.method = "send";
    a.target = "a9";
    CHECK_EQ_INT(omega_approval_rules_approve(r, &a, &d), 1);
    a.method = "egress";
    CHECK_EQ_INT(omega_approval_rules_approve(r, &a, &d), 0);
    omega_approval_rules_free(r);
    static const char *const bad[] = {"{\"agent\": \"a1\", \"amount\": 5}\n", "[1]\n", "{\"agent\": 3}\n",
                                      "{\"agent\": \"\"}\n", "{\"agent\": \"a1\"\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(omega_approval_rules_parse(bad[i], strlen(bad[i]), &err) == NULL, "accepted bad rule %zu", i);
    CHECK(strstr(err.msg, "line 1") != NULL);
    struct omega_approver ap;
    CHECK(omega_approver_open(&ap, "/nonexistent/rules.jsonl", &err) < 0);
    CHECK(omega_approver_open(&ap, "deny", &err) == 0 && ap.fn(ap.ctx, &a, &d) == 0);
    omega_approver_close(&ap);
    CHECK(omega_approver_open(&ap, "allow", &err) == 0 && ap.fn(ap.ctx, &a, &d) == 1);
    omega_approver_close(&ap);
    return 0;
}

/* ---- the runtime with a table decider ------------------------------------------------------------ */

/* Targets named r_* are redacted (ssn, email), ask_* asked, everything else allowed. */
static _Atomic uint64_t seen_count[4];   /* context.count of the last r_patient, ask_pay, ask_wire call */

static _Atomic int counted;   /* approved asks the runtime reported back through the monitor's counter */

static int table_counter(void *ctx, const struct omega_action *a)
{
    (void)ctx;
    (void)a;
    atomic_fetch_add(&counted, 1);
    return 0;
}

static int table_decider(void *ctx, const struct omega_action *a, struct omega_decision *d)
{
    (void)ctx;
    memset(d, 0, sizeof *d);
    d->npolicies = 1;
    d->policies[0] = "table";
    if (strncmp(a->target, "r_", 2) == 0) {
        d->verdict = OMEGA_REDACT;
        d->nredact = 2;
        d->redact[0] = "ssn";
        d->redact[1] = "email";
    } else if (strncmp(a->target, "ask_", 4) == 0) {
        d->verdict = OMEGA_ASK;
    }
    if (strcmp(a->target, "r_patient") == 0)
        atomic_store(&seen_count[0], a->count);
    else if (strcmp(a->target, "ask_pay") == 0)
        atomic_store(&seen_count[1], a->count);
    else if (strcmp(a->target, "ask_wire") == 0)
        atomic_store(&seen_count[2], a->count);
    return 0;
}

/* What the record hook saw, in order (serve thread writes; read after the agents stopped). */
struct rec {
    enum omega_verdict verdict;
    char policy[32], target[64];
    uint8_t dig[32];
};
static struct rec recs[64];
static _Atomic int nrecs;

static int keep_record(void *ctx, const struct omega_action *a, const struct omega_decision *d, const uint8_t dig[32],
                       uint64_t *seq)
{
    (void)ctx;
    int i = atomic_fetch_add(&nrecs, 1);
    if (i < 64) {
        recs[i].verdict = d->verdict;
        snprintf(recs[i].policy, sizeof recs[i].policy, "%s", d->npolicies ? d->policies[0] : "");
        snprintf(recs[i].target, sizeof recs[i].target, "%s", a->target);
        memcpy(recs[i].dig, dig, 32);
    }
    *seq = (uint64_t)i;
    return 0;
}

static char captured[8][1024];
static size_t captured_len[8];
static struct omega_labels captured_labels[8];
static _Atomic int ncaptured, paid, wired;

static int capture_bytes(const struct omega_request *rq)
{
    int i = atomic_fetch_add(&ncaptured, 1);
    if (i >= 8 || rq->len >= sizeof captured[0])
        return OMEGA_EQUOTA;
    memcpy(captured[i], rq->payload, rq->len);
    captured[i][rq->len] = 0;
    captured_len[i] = rq->len;
    captured_labels[i] = *rq->labels;
    return 0;
}

static int capture_tool(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    (void)ctx;
    (void)rp;
    return capture_bytes(rq);
}

static int patient_tool(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    (void)ctx;
    (void)rq;
    if (omega_label_set_add(&rp->labels.classes, "PHI") < 0)
        return OMEGA_EQUOTA;
    return omega_buf_append(rp->out, patient_json, strlen(patient_json));
}

static int raw_tool(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    (void)ctx;
    (void)rq;
    return omega_buf_append(rp->out, "ssn=123-45-6789", 15);
}

/* Answers in the encoding the caller asks for: the caller is the one who may be hostile. */
static int fmt_tool(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    (void)ctx;
    const char *f = json_string_value(json_object_get(rq->args, "format"));
    const char *text = "{\"ssn\": \"123-45-6789\"}";
    if (f && strcmp(f, "text") == 0)
        text = "ssn: 123-45-6789";
    else if (f && strcmp(f, "escaped") == 0)
        text = "{\"s\\u0073n\": \"123-45-6789\", \"n\": [{\"\\u0065mail\": \"a@b\"}]}";
    else if (f && strcmp(f, "jsonl") == 0)
        text = "{\"a\": 1}\n{\"ssn\": \"123-45-6789\"}";
    return omega_buf_append(rp->out, text, strlen(text));
}

static int pay_tool(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    (void)rq;
    atomic_fetch_add((_Atomic int *)ctx, 1);
    return omega_buf_append(rp->out, "{\"ok\": true}", 12);
}

static int capture_egress(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    (void)ctx;
    (void)rp;
    return capture_bytes(rq);
}

/* Answers later, as the inference engine does (its own completion, queued before it returns). */
static int deferred_infer(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    (void)rp;
    const char *text = strcmp(rq->target, "r_model") == 0 ? patient_json : "ssn 123-45-6789";
    if (omega_runtime_complete(ctx, rq->ticket, 0, text, strlen(text), NULL) < 0)
        return OMEGA_ENOMEM;
    return OMEGA_RT_DEFERRED;
}

struct env {
    struct omega_monitor mon;
    struct omega_runtime *rt;
};

static int env_start(struct env *e)
{
    atomic_store(&nrecs, 0);
    atomic_store(&ncaptured, 0);
    atomic_store(&paid, 0);
    atomic_store(&wired, 0);
    omega_monitor_init(&e->mon);
    omega_monitor_set_decider(&e->mon, table_decider, NULL);
    omega_monitor_set_counter(&e->mon, table_counter);
    atomic_store(&counted, 0);
    omega_monitor_set_recorder(&e->mon, keep_record, NULL);
    struct omega_error err = {0};
    struct omega_runtime_config cfg = {.ring_bytes = 64u << 10};
    e->rt = omega_runtime_new(&cfg, &e->mon, &err);
    if (!e->rt) {
        printf("runtime: %s\n", err.msg);
        return -1;
    }
    int rc = omega_runtime_register_tool(e->rt, "capture", capture_tool, NULL);
    if (rc == 0) rc = omega_runtime_register_tool(e->rt, "r_patient", patient_tool, NULL);
    if (rc == 0) rc = omega_runtime_register_tool(e->rt, "r_raw", raw_tool, NULL);
    if (rc == 0) rc = omega_runtime_register_tool(e->rt, "r_fmt", fmt_tool, NULL);
    if (rc == 0) rc = omega_runtime_register_tool(e->rt, "ask_pay", pay_tool, &paid);
    if (rc == 0) rc = omega_runtime_register_tool(e->rt, "ask_wire", pay_tool, &wired);
    if (rc == 0) rc = omega_runtime_add_data(e->rt, "r_doc", patient_json, strlen(patient_json), NULL);
    omega_runtime_set_egress(e->rt, capture_egress, NULL);
    omega_runtime_set_infer(e->rt, deferred_infer, e->rt);
    return rc;
}

static int run_agent(struct env *e, const char *id, omega_agent_main_fn fn, struct omega_agent_status *st)
{
    struct omega_error err = {0};
    int idx = omega_runtime_spawn(e->rt, id, fn, NULL, 0, &err);
    if (idx < 0) {
        printf("spawn %s: %s\n", id, err.msg);
        return -1;
    }
    return omega_runtime_wait(e->rt, idx, 10000, st);
}

/* Asks for the patient record twice (tools/call) and once as data (read), and hands what it got
 * to the capture tool. */
static int patient_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    char out[2048];
    size_t n = 0;
    if (omega_agent_call_tool(ag, "r_patient", "{}", 2, out, sizeof out, &n) != 0)
        return 10;
    if (omega_agent_call_tool(ag, "capture", out, n, NULL, 0, NULL) != 0)
        return 11;
    if (omega_agent_call_tool(ag, "r_patient", "{}", 2, out, sizeof out, &n) != 0)
        return 12;
    if (omega_agent_read(ag, "r_doc", out, sizeof out, &n) != 0)
        return 13;
    if (omega_agent_call_tool(ag, "capture", out, n, NULL, 0, NULL) != 0)
        return 14;
    return 0;
}

OMEGA_TEST_TIMEOUT(runtime_redact_tool_result_nested, 30)
{
    struct env e;
    CHECK(env_start(&e) == 0);
    struct omega_agent_status st;
    CHECK(run_agent(&e, "a1", patient_agent, &st) == 0);
    CHECK_MSG(st.exit_code == 0 && !st.violation, "agent: exit %d, %s", st.exit_code, st.reason);
    CHECK_EQ_INT(atomic_load(&ncaptured), 2);
    CHECK_STR(captured[0], patient_masked);   /* tools/call result */
    CHECK_STR(captured[1], patient_masked);   /* read result */
    /* The masked result's labels still joined the agent's context. */
    CHECK(omega_label_set_has(&captured_labels[0].classes, "PHI"));
    /* A redacted call counts as allowed: the second one saw the first in context.count. */
    CHECK_EQ_INT(atomic_load(&seen_count[0]), 1);
    CHECK_EQ_INT(st.allowed, 5);
    CHECK_EQ_INT(st.denied, 0);
    /* Recorded as redact before it happened, one record per request. */
    CHECK_EQ_INT(atomic_load(&nrecs), 5);
    CHECK(recs[0].verdict == OMEGA_REDACT && strcmp(recs[0].target, "r_patient") == 0);
    omega_runtime_free(e.rt);
    return 0;
}

static int infer_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    char out[2048];
    size_t n = 0;
    if (omega_agent_infer(ag, "r_model", "hi", 2, out, sizeof out, &n) != 0)
        return 70;
    if (omega_agent_call_tool(ag, "capture", out, n, NULL, 0, NULL) != 0)
        return 71;
    if (omega_agent_infer(ag, "r_model_raw", "hi", 2, out, sizeof out, &n) != OMEGA_EDENIED || n != 0)
        return 72;
    return 0;
}

/* A result answered later (omega_runtime_complete) is masked when it comes. */
OMEGA_TEST_TIMEOUT(runtime_redact_deferred_result, 30)
{
    struct env e;
    CHECK(env_start(&e) == 0);
    struct omega_agent_status st;
    CHECK(run_agent(&e, "a1", infer_agent, &st) == 0);
    CHECK_MSG(st.exit_code == 0 && !st.violation, "agent: exit %d, %s", st.exit_code, st.reason);
    CHECK_EQ_INT(atomic_load(&ncaptured), 1);
    CHECK_STR(captured[0], patient_masked);
    omega_runtime_free(e.rt);
    return 0;
}

/* Sends one JSON message to r_rx (redacted route) and the same to plain (not redacted), and the
 * same bytes out to host r_host. */
static const char a2a_msg[] = "{\"jsonrpc\": \"2.0\", \"method\": \"message/send\", \"params\": {\"message\": "
                              "{\"parts\": [{\"data\": {\"ssn\": \"123-45-6789\", \"email\": \"ann@x.org\"}}]}}}";
static const char a2a_masked[] = "{\"jsonrpc\":\"2.0\",\"method\":\"message/send\",\"params\":{\"message\":"
                                 "{\"parts\":[{\"data\":{\"ssn\":\"[redacted]\",\"email\":\"[redacted]\"}}]}}}";

static int sender_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    if (omega_agent_send(ag, "r_rx", "ssn=123-45-6789", 15) != OMEGA_EDENIED)   /* not JSON: refused */
        return 20;
    if (omega_agent_send(ag, "r_rx", a2a_msg, sizeof a2a_msg - 1) != 0)
        return 21;
    if (omega_agent_egress(ag, "r_host", a2a_msg, sizeof a2a_msg - 1) != 0)
        return 22;
    if (omega_agent_egress(ag, "r_host", "ssn 123-45-6789", 15) != OMEGA_EDENIED)
        return 23;
    return 0;
}

static int receiver_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    char from[OMEGA_AGENT_ID_MAX], out[2048];
    size_t n = 0;
    if (omega_agent_recv(ag, from, sizeof from, out, sizeof out, &n, 0) != 0 || strcmp(from, "a1") != 0)
        return 30;
    if (omega_agent_call_tool(ag, "capture", out, n, NULL, 0, NULL) != 0)
        return 31;
    /* Exactly one message came: the refused one was never delivered. */
    if (omega_agent_recv(ag, from, sizeof from, out, sizeof out, &n, OMEGA_RECV_NOWAIT) != OMEGA_ENOTFOUND)
        return 32;
    return 0;
}

OMEGA_TEST_TIMEOUT(runtime_redact_a2a_message_and_egress, 30)
{
    struct env e;
    CHECK(env_start(&e) == 0);
    struct omega_error err = {0};
    int rx = omega_runtime_spawn(e.rt, "r_rx", receiver_agent, NULL, 0, &err);
    CHECK(rx >= 0);
    struct omega_agent_status st, sr;
    CHECK(run_agent(&e, "a1", sender_agent, &st) == 0);
    CHECK_MSG(st.exit_code == 0 && !st.violation, "sender: exit %d, %s", st.exit_code, st.reason);
    CHECK(omega_runtime_wait(e.rt, rx, 10000, &sr) == 0);
    CHECK_MSG(sr.exit_code == 0 && !sr.violation, "receiver: exit %d, %s", sr.exit_code, sr.reason);
    CHECK_EQ_INT(atomic_load(&ncaptured), 2);
    /* The egress went out masked (captured first, while the receiver still waited, or second). */
    int eg = strcmp(captured[0], a2a_masked) == 0 && strcmp(captured[1], a2a_masked) == 0;
    CHECK_MSG(eg, "captured: %s | %s", captured[0], captured[1]);
    CHECK_EQ_INT(st.denied, 2);
    CHECK_EQ_INT(st.allowed, 2);
    omega_runtime_free(e.rt);
    return 0;
}

static int raw_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    char out[256] = "untouched";
    size_t n = 77;
    if (omega_agent_call_tool(ag, "r_raw", "{}", 2, out, sizeof out, &n) != OMEGA_EDENIED)
        return 40;
    if (n != 0 || memcmp(out, "untouched", 9) != 0)   /* not a byte of the result came back */
        return 41;
    return 0;
}

OMEGA_TEST_TIMEOUT(runtime_redact_non_json_result_fails_closed, 30)
{
    struct env e;
    CHECK(env_start(&e) == 0);
    struct omega_agent_status st;
    CHECK(run_agent(&e, "a1", raw_agent, &st) == 0);
    CHECK_MSG(st.exit_code == 0 && !st.violation, "agent: exit %d, %s", st.exit_code, st.reason);
    CHECK_EQ_INT(st.denied, 1);
    CHECK_EQ_INT(st.allowed, 0);
    omega_runtime_free(e.rt);
    return 0;
}

/* Tries to get the unmasked number: by asking the tool for plain text, for escaped keys, for JSON
 * Lines, and by hiding the key in its own message with escapes and duplicates. */
static int hostile_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    char out[1024];
    size_t n = 0;
    static const char text[] = "{\"format\": \"text\"}", esc[] = "{\"format\": \"escaped\"}",
                      jsonl[] = "{\"format\": \"jsonl\"}";
    if (omega_agent_call_tool(ag, "r_fmt", text, sizeof text - 1, out, sizeof out, &n) != OMEGA_EDENIED)
        return 50;
    if (omega_agent_call_tool(ag, "r_fmt", jsonl, sizeof jsonl - 1, out, sizeof out, &n) != OMEGA_EDENIED)
        return 51;
    if (omega_agent_call_tool(ag, "r_fmt", esc, sizeof esc - 1, out, sizeof out, &n) != 0)
        return 52;
    if (omega_agent_call_tool(ag, "capture", out, n, NULL, 0, NULL) != 0)
        return 53;
    static const char sneaky[] = "{\"\\u0073sn\": \"123-45-6789\", \"ssn\": \"x\", \"e\": [{\"emai\\u006c\": \"a@b\"}]}";
    if (omega_agent_egress(ag, "r_host", sneaky, sizeof sneaky - 1) != 0)
        return 54;
    static const char trailing[] = "{\"a\": 1}{\"ssn\": \"123-45-6789\"}";
    if (omega_agent_egress(ag, "r_host", trailing, sizeof trailing - 1) != OMEGA_EDENIED)
        return 55;
    return 0;
}

OMEGA_TEST_TIMEOUT(runtime_redact_hostile_encodings, 30)
{
    struct env e;
    CHECK(env_start(&e) == 0);
    struct omega_agent_status st;
    CHECK(run_agent(&e, "a1", hostile_agent, &st) == 0);
    CHECK_MSG(st.exit_code == 0 && !st.violation, "agent: exit %d, %s", st.exit_code, st.reason);
    CHECK_EQ_INT(atomic_load(&ncaptured), 2);
    CHECK_STR(captured[0], "{\"ssn\":\"[redacted]\",\"n\":[{\"email\":\"[redacted]\"}]}");
    CHECK_STR(captured[1], "{\"ssn\":\"[redacted]\",\"e\":[{\"email\":\"[redacted]\"}]}");
    for (int i = 0; i < 2; i++)
        CHECK(strstr(captured[i], "123-45") == NULL && strstr(captured[i], "a@b") == NULL);
    CHECK_EQ_INT(st.denied, 3);
    omega_runtime_free(e.rt);
    return 0;
}

/* ---- ask ---------------------------------------------------------------------------------------- */

/* ask_pay, ask_wire, ask_pay: exit status bit 0, 1, 2 set for each call that went through. */
static int asking_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    static const char *const t[] = {"ask_pay", "ask_wire", "ask_pay"};
    int bits = 0;
    for (int i = 0; i < 3; i++) {
        char out[64];
        size_t n = 0;
        int rc = omega_agent_call_tool(ag, t[i], "{}", 2, out, sizeof out, &n);
        if (rc == 0 && n == 12)
            bits |= 1 << i;
        else if (rc != OMEGA_EDENIED)
            return 100;
    }
    return bits;
}

static int broken_approver(void *ctx, const struct omega_action *a, const struct omega_decision *d)
{
    (void)ctx;
    (void)a;
    (void)d;
    return OMEGA_EIO;
}

/* Runs asking_agent as agent id under approver fn; checks what went through and what was recorded. */
static int ask_case(omega_approve_fn fn, void *ctx, const char *name, const char *id, int want_bits)
{
    struct env e;
    CHECK(env_start(&e) == 0);
    CHECK(omega_runtime_set_approver(e.rt, fn, ctx, name) == 0);
    struct omega_agent_status st;
    CHECK(run_agent(&e, id, asking_agent, &st) == 0);
    CHECK_MSG(st.exit_code == want_bits && !st.violation, "%s/%s: exit %d, want %d (%s)", name ? name : "none", id,
              st.exit_code, want_bits, st.reason);
    int ok = __builtin_popcount((unsigned)want_bits);
    CHECK_EQ_INT(st.allowed, ok);
    CHECK_EQ_INT(st.denied, 3 - ok);
    CHECK_EQ_INT(atomic_load(&counted), ok);   /* each approval reached the decider's rate windows */
    CHECK_EQ_INT(atomic_load(&paid), (want_bits & 1) + ((want_bits >> 2) & 1));
    CHECK_EQ_INT(atomic_load(&wired), (want_bits >> 1) & 1);
    /* An approved ask counts as allowed: the second ask_pay saw the first when it went through. */
    CHECK_EQ_INT(atomic_load(&seen_count[1]), want_bits & 1);
    /* Each ask record is followed by its outcome's, naming the approver, over the same request. */
    char pol[40];
    snprintf(pol, sizeof pol, "approver:%s", name ? name : "");
    CHECK_EQ_INT(atomic_load(&nrecs), fn ? 6 : 3);
    for (int i = 0, r = 0; i < 3; i++) {
        CHECK(recs[r].verdict == OMEGA_ASK && strcmp(recs[r].policy, "table") == 0);
        if (!fn) {
            r++;
            continue;
        }
        CHECK_STR(recs[r + 1].policy, pol);
        CHECK_STR(recs[r + 1].target, recs[r].target);
        CHECK(memcmp(recs[r + 1].dig, recs[r].dig, 32) == 0);
        CHECK_EQ_INT(recs[r + 1].verdict, (want_bits >> i) & 1 ? OMEGA_ALLOW : OMEGA_DENY);
        r += 2;
    }
    CHECK(omega_runtime_set_approver(e.rt, omega_approve_allow, NULL, "late") == OMEGA_ESTATE);
    omega_runtime_free(e.rt);
    return 0;
}

OMEGA_TEST_TIMEOUT(runtime_ask_without_approver_denies, 30)
{
    return ask_case(NULL, NULL, NULL, "a1", 0);
}

OMEGA_TEST_TIMEOUT(runtime_ask_approvers_allow_deny_file_error, 60)
{
    CHECK(ask_case(omega_approve_allow, NULL, "allow", "a1", 7) == 0);
    CHECK(ask_case(omega_approve_deny, NULL, "deny", "a1", 0) == 0);
    CHECK(ask_case(broken_approver, NULL, "broken", "a1", 0) == 0);
    static const char rules[] = "{\"agent\": \"a1\", \"target\": \"ask_pay\"}\n{\"agent\": \"a9\"}\n";
    struct omega_error err = {0};
    struct omega_approval_rules *r = omega_approval_rules_parse(rules, sizeof rules - 1, &err);
    CHECK(r != NULL);
    CHECK(ask_case(omega_approval_rules_approve, r, "file", "a1", 5) == 0);
    CHECK(ask_case(omega_approval_rules_approve, r, "file", "a2", 0) == 0);
    CHECK(ask_case(omega_approval_rules_approve, r, "file", "a9", 7) == 0);
    omega_approval_rules_free(r);
    struct env e;
    CHECK(env_start(&e) == 0);
    CHECK(omega_runtime_set_approver(e.rt, omega_approve_allow, NULL, "") == OMEGA_EINVAL);
    CHECK(omega_runtime_set_approver(e.rt, omega_approve_allow, NULL, "a-name-longer-than-thirty-one-bytes") ==
          OMEGA_EINVAL);
    omega_runtime_free(e.rt);
    return 0;
}

/* ---- the whole stack: Cedar policies, the provenance log, the approver from a file --------------- */

static int stack_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    char out[2048];
    size_t n = 0;
    static const char big[] = "{\"amount\": 500, \"currency\": \"EUR\", \"iban\": \"DE02\"}";
    if (omega_agent_call_tool(ag, "pay", big, sizeof big - 1, out, sizeof out, &n) != 0)   /* asked, approved */
        return 60;
    static const char mail[] = "{\"to\": \"x@example.com\", \"subject\": \"s\", \"body\": \"b\"}";
    if (omega_agent_call_tool(ag, "send_email", mail, sizeof mail - 1, out, sizeof out, &n) != OMEGA_EDENIED)
        return 61;   /* asked, not approved */
    if (omega_agent_call_tool(ag, "r_patient", "{}", 2, out, sizeof out, &n) != 0)
        return 62;
    if (n != strlen(patient_masked) || memcmp(out, patient_masked, n) != 0)
        return 63;
    return 0;
}

OMEGA_TEST_TIMEOUT(runtime_ask_redact_recorded_in_provlog, 60)
{
    char dir[1024], pol[1024], rules[1024], key[1100], out[8192];
    snprintf(dir, sizeof dir, "%s/askred-log", omega_test_tmpdir());
    snprintf(pol, sizeof pol, "%s/askred.cedar", omega_test_tmpdir());
    snprintf(rules, sizeof rules, "%s/askred-rules.jsonl", omega_test_tmpdir());
    FILE *f = fopen(pol, "w");
    CHECK(f != NULL);
    fputs("@id(\"tools\")\npermit (principal, action == Action::\"tools/call\", resource);\n"
          "@id(\"big-pay\")\n@decision(\"ask\")\nforbid (principal, action == Action::\"tools/call\", "
          "resource == Tool::\"pay\") when { context.args.amount > 100 };\n"
          "@id(\"mail\")\n@decision(\"ask\")\npermit (principal, action == Action::\"tools/call\", "
          "resource == Tool::\"send_email\");\n"
          "@id(\"pii\")\n@redact(\"ssn, email\")\npermit (principal, action == Action::\"tools/call\", "
          "resource == Tool::\"r_patient\");\n", f);
    CHECK(fclose(f) == 0);
    f = fopen(rules, "w");
    CHECK(f != NULL);
    fputs("{\"agent\": \"a1\", \"action\": \"tools/call\", \"target\": \"pay\"}\n", f);
    CHECK(fclose(f) == 0);
    struct omega_config pc = {.backend = "emu", .cc = 1};
    struct omega_stack_config sc = {.platform = &pc, .enforce = 1, .policies = pol, .log_dir = dir, .log_sync = 1,
                                    .log_fsync = 1, .approve = rules};
    struct omega_stack *s;
    struct omega_error err = {0};
    CHECK_MSG(omega_stack_open(&s, &sc, &err) == 0, "stack: %s", err.msg);
    CHECK(omega_runtime_register_tool(omega_stack_runtime(s), "r_patient", patient_tool, NULL) == 0);
    int idx = omega_runtime_spawn(omega_stack_runtime(s), "a1", stack_agent, NULL, 0, &err);
    CHECK_MSG(idx >= 0, "spawn: %s", err.msg);
    struct omega_agent_status st;
    CHECK(omega_runtime_wait(omega_stack_runtime(s), idx, 10000, &st) == 0);
    CHECK_MSG(st.exit_code == 0 && !st.violation, "agent: exit %d, %s", st.exit_code, st.reason);
    /* The approved payment reached the sink; the mail did not. */
    const json_t *sunk = omega_toolbox_sunk(omega_stack_toolbox(s));
    CHECK_EQ_INT(json_array_size(sunk), 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(sunk, 0), "tool")), "pay");
    snprintf(key, sizeof key, "%s.pub.pem", dir);
    CHECK(omega_stack_write_log_key(s, key, &err) == 0);
    const uint8_t *raw = omega_stack_log_pub(s);
    EVP_PKEY *pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, 32);
    CHECK(pub != NULL);
    CHECK(omega_stack_close(s, &err) == 0);

    struct omega_provlog_view *v;
    CHECK(omega_provlog_view_open(&v, dir, pub, &err) == 0);
    struct omega_provlog_report r;
    omega_provlog_report_get(v, 0, &r);
    CHECK_MSG(r.intact, "log: %s", r.problem);
    /* The decision records in order (symbols and epochs sit between them). */
    json_t *d[8];
    int nd = 0;
    for (uint64_t i = 0; i < omega_provlog_view_leaves(v); i++) {
        json_t *j = omega_provlog_view_leaf_json(v, i);
        if (j && !json_object_get(j, "kind") && nd < 8)
            d[nd++] = j;
        else
            json_decref(j);
    }
    CHECK_EQ_INT(nd, 5);   /* pay ask + approval, mail ask + rejection, patient redact */
    /* resource, decision, and a policy among the determining ones */
    static const char *const want[5][3] = {{"pay", "ask", "policy1"},
                                           {"pay", "allow", "approver:file"},
                                           {"send_email", "ask", "policy2"},
                                           {"send_email", "deny", "approver:file"},
                                           {"r_patient", "redact", "policy3"}};
    for (int i = 0; i < 5; i++) {
        CHECK_STR(json_string_value(json_object_get(d[i], "resource")), want[i][0]);
        CHECK_STR(json_string_value(json_object_get(d[i], "decision")), want[i][1]);
        size_t k;
        json_t *p;
        int has = 0;
        json_array_foreach(json_object_get(d[i], "policies"), k, p)
            has |= strcmp(json_string_value(p), want[i][2]) == 0;
        CHECK_MSG(has, "record %d does not name %s", i, want[i][2]);
    }
    CHECK_EQ_INT(json_array_size(json_object_get(d[1], "policies")), 1);   /* the approver alone */
    CHECK(json_equal(json_object_get(d[0], "io_digest"), json_object_get(d[1], "io_digest")));
    CHECK_EQ_INT(json_array_size(json_object_get(d[4], "redact")), 2);
    for (int i = 0; i < nd; i++)
        json_decref(d[i]);
    omega_provlog_view_free(v);
    EVP_PKEY_free(pub);
    int rc = omega_test_sh(out, sizeof out, "%s log verify %s --key %s 2>&1", omega_test_omega_bin(), dir, key);
    CHECK_MSG(rc == 0, "log verify: %d %s", rc, out);
    return 0;
}

/* ---- the command line ----------------------------------------------------------------------------- */

static int payments_over_100(const char *json_text)
{
    json_t *o = json_loads(json_text, 0, NULL);
    if (!o)
        return -1;
    size_t i;
    json_t *r;
    int n = 0;
    json_array_foreach(json_object_get(o, "sinks"), i, r) {
        json_t *amount = json_object_get(json_object_get(r, "args"), "amount");
        if (strcmp(json_string_value(json_object_get(r, "tool")), "pay") == 0 && json_number_value(amount) > 100)
            n++;
    }
    json_decref(o);
    return n;
}

OMEGA_TEST_TIMEOUT(runtime_ask_cmd_run_approve, 120)
{
    char pol[1024], rules[1024], out[65536];
    snprintf(pol, sizeof pol, "%s/askred-cli.cedar", omega_test_tmpdir());
    snprintf(rules, sizeof rules, "%s/askred-cli.jsonl", omega_test_tmpdir());
    FILE *f = fopen(pol, "w");
    CHECK(f != NULL);
    fputs("permit (principal, action == Action::\"tools/call\", resource);\n"
          "@decision(\"ask\")\nforbid (principal, action == Action::\"tools/call\", resource == Tool::\"pay\")\n"
          "  when { !(context.args has amount) || context.args.amount > 100 };\n", f);
    CHECK(fclose(f) == 0);
    f = fopen(rules, "w");
    CHECK(f != NULL);
    fputs("{\"action\": \"tools/call\", \"target\": \"pay\"}\n", f);
    CHECK(fclose(f) == 0);
    const char *bin = omega_test_omega_bin();
    int over[3];
    const char *appr[3] = {"deny", "allow", rules};
    for (int i = 0; i < 3; i++) {
        int rc = omega_test_sh(out, sizeof out, "%s run --workload toolcall --gen 0 --agents 3 --rounds 24 "
                               "--policies %s --approve %s --json 2>/dev/null", bin, pol, appr[i]);
        CHECK_MSG(rc == 0, "omega run --approve %s: %d", appr[i], rc);
        over[i] = payments_over_100(out);
    }
    CHECK_EQ_INT(over[0], 0);                 /* rejected asks never pay */
    CHECK(over[1] > 0);                       /* the same run approved: they do (the test can fail) */
    CHECK_EQ_INT(over[2], over[1]);           /* the rule approves exactly those */
    int rc = omega_test_sh(out, sizeof out, "%s run --workload toolcall --gen 0 --approve /nonexistent.jsonl 2>&1",
                           bin);
    CHECK_EQ_INT(rc, 2);
    rc = omega_test_sh(out, sizeof out, "%s run --workload toolcall --help | grep -c -- '--approve'", bin);
    CHECK(rc == 0 && atoi(out) >= 1);
    return 0;
}
