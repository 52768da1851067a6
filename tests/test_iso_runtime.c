/* Isolation: the runtime with real sandboxed agents (prefix iso). */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/agent.h"
#include "core/allowlist.h"
#include "core/monitor.h"
#include "core/runtime.h"
#include "tests/test.h"
#include "tests/test_iso.h"

int iso_env_start(struct iso_env *e, const char *allow, const struct omega_runtime_config *cfg)
{
    memset(e, 0, sizeof *e);
    struct omega_error err = {0};
    e->al = omega_allowlist_parse(allow, strlen(allow), &err);
    if (!e->al) {
        fprintf(stderr, "allow-list: %s\n", err.msg);
        return -1;
    }
    omega_monitor_init(&e->mon);
    omega_allowlist_install(&e->mon, e->al);
    e->rt = omega_runtime_new(cfg, &e->mon, &err);
    if (!e->rt) {
        fprintf(stderr, "runtime: %s\n", err.msg);
        omega_allowlist_free(e->al);
        return -1;
    }
    return 0;
}

void iso_env_stop(struct iso_env *e)
{
    omega_runtime_free(e->rt);
    omega_allowlist_free(e->al);
}

int iso_spawn(struct iso_env *e, const char *id, omega_agent_main_fn fn, const void *arg, size_t arglen)
{
    struct omega_error err = {0};
    int idx = omega_runtime_spawn(e->rt, id, fn, arg, arglen, &err);
    if (idx < 0)
        fprintf(stderr, "spawn %s: %s\n", id, err.msg);
    return idx;
}

/* ---- agents ------------------------------------------------------------------------------------ */

/* Checks each call's answer itself and exits with the number of the first surprise (0: all fine). */
static int basic_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    char out[256];
    size_t n = 0;
    if (omega_agent_call_tool(ag, "echo", "{\"x\": 1}", 8, out, sizeof out, &n) != 0 || n != 8 ||
        memcmp(out, "{\"x\": 1}", 8) != 0)
        return 10;
    if (omega_agent_call_tool(ag, "nosuch", "{}", 2, out, sizeof out, &n) != OMEGA_EDENIED)
        return 11;
    if (omega_agent_read(ag, "doc", out, sizeof out, &n) != 0 || n != 5 || memcmp(out, "hello", 5) != 0)
        return 12;
    if (omega_agent_read(ag, "missing", out, sizeof out, &n) != OMEGA_ENOTFOUND)   /* allowed, but absent */
        return 13;
    if (omega_agent_infer(ag, "llama", "hi", 2, out, sizeof out, &n) != OMEGA_EUNAVAIL)
        return 14;
    if (omega_agent_egress(ag, "api.example.com", "x", 1) != 0)   /* before reading PHI: allowed */
        return 15;
    if (omega_agent_read(ag, "record", out, sizeof out, &n) != 0)
        return 16;
    if (omega_agent_egress(ag, "api.example.com", "x", 1) != OMEGA_EDENIED)   /* PHI now in context */
        return 17;
    if (omega_agent_recv(ag, out, sizeof out, out, sizeof out, &n, OMEGA_RECV_NOWAIT) != OMEGA_ENOTFOUND)
        return 18;
    if (omega_agent_send(ag, "ghost", "x", 1) != OMEGA_ENOTFOUND)
        return 19;
    return 0;
}

/* A decider on top of the allow-list: egress is denied once the agent's context holds PHI. */
static int phi_decider(void *ctx, const struct omega_action *a, struct omega_decision *d)
{
    int rc = omega_allowlist_decide(ctx, a, d);
    if (rc == 0 && a->kind == OMEGA_ACT_EGRESS && omega_label_set_has(&a->labels->classes, "PHI"))
        d->verdict = OMEGA_DENY;
    return rc;
}

struct trace_count {
    _Atomic int allow, deny;
};

static void count_trace(void *ctx, const struct omega_action *a, const struct omega_decision *d, int status)
{
    struct trace_count *t = ctx;
    (void)a;
    (void)status;
    atomic_fetch_add(d->verdict == OMEGA_ALLOW ? &t->allow : &t->deny, 1);
}

static _Atomic uint64_t records;
static int count_record(void *ctx, const struct omega_action *a, const struct omega_decision *d,
                        const uint8_t io_digest[32], uint64_t *seq)
{
    (void)ctx;
    (void)a;
    (void)d;
    (void)io_digest;
    *seq = atomic_fetch_add(&records, 1);
    return 0;
}

OMEGA_TEST_TIMEOUT(iso_runtime_basic_actions, 30)
{
    struct iso_env e;
    const char *allow = "{\"allow\": [{\"agent\": \"a1\", \"action\": \"tools/call\", \"target\": \"echo\"},"
                        "{\"agent\": \"a1\", \"action\": \"read\", \"target\": \"*\"},"
                        "{\"agent\": \"a1\", \"action\": \"send\", \"target\": \"*\"},"
                        "{\"agent\": \"a1\", \"action\": \"infer\", \"target\": \"llama\"},"
                        "{\"agent\": \"a1\", \"action\": \"egress\", \"target\": \"api.example.com\"}]}";
    CHECK(iso_env_start(&e, allow, NULL) == 0);
    omega_monitor_set_decider(&e.mon, phi_decider, e.al);
    omega_monitor_set_recorder(&e.mon, count_record, NULL);
    struct trace_count tc = {0};
    omega_runtime_set_trace(e.rt, count_trace, &tc);
    struct omega_labels phi;
    omega_labels_init(&phi);
    CHECK(omega_label_set_add(&phi.classes, "PHI") == 0);
    CHECK(omega_runtime_add_data(e.rt, "doc", "hello", 5, NULL) == 0);
    CHECK(omega_runtime_add_data(e.rt, "record", "blood type 0+", 13, &phi) == 0);
    int idx = iso_spawn(&e, "a1", basic_agent, NULL, 0);
    CHECK(idx >= 0);
    CHECK(omega_runtime_add_data(e.rt, "late", "x", 1, NULL) == OMEGA_ESTATE);   /* tables fixed once agents run */
    struct omega_agent_status st;
    CHECK(omega_runtime_wait(e.rt, idx, 10000, &st) == 0);
    CHECK_MSG(st.exit_code == 0 && st.signal == 0, "agent surprise %d (signal %d, %s)", st.exit_code, st.signal,
              st.reason);
    CHECK(!st.violation);
    CHECK_EQ_INT(st.requests, 10);
    CHECK_EQ_INT(st.denied, 2);
    CHECK_EQ_INT(atomic_load(&tc.deny), 2);
    CHECK_EQ_INT(atomic_load(&tc.allow), 7);   /* recv is not an action: it takes what a send delivered */
    CHECK_EQ_INT(atomic_load(&records), 9);
    iso_env_stop(&e);
    return 0;
}

/* ---- A2A ---------------------------------------------------------------------------------------- */

static int pong_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    static uint8_t buf[(1 << 20) + 64];
    for (;;) {
        char from[OMEGA_AGENT_ID_MAX];
        size_t n;
        int rc = omega_agent_recv(ag, from, sizeof from, buf, sizeof buf, &n, 0);
        if (rc != 0)
            return 20;
        if (n == 4 && memcmp(buf, "quit", 4) == 0)
            return 0;
        for (size_t i = 0; i < n; i++)
            buf[i] ^= 0x5a;
        if (omega_agent_send(ag, from, buf, n) != 0)
            return 21;
    }
}

static int ping_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    static uint8_t msg[1 << 20], back[(1 << 20) + 64];
    size_t sizes[] = {0, 1, 64, 4096, 65536, 1 << 20};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (int rep = 0; rep < 3; rep++) {
            for (size_t i = 0; i < sizes[s]; i++)
                msg[i] = (uint8_t)(i * 7 + rep + s);
            if (omega_agent_send(ag, "pong", msg, sizes[s]) != 0)
                return 30;
            char from[OMEGA_AGENT_ID_MAX];
            size_t n;
            if (omega_agent_recv(ag, from, sizeof from, back, sizeof back, &n, 0) != 0)
                return 31;
            if (n != sizes[s] || strcmp(from, "pong") != 0)
                return 32;
            for (size_t i = 0; i < n; i++)
                if ((back[i] ^ 0x5a) != msg[i])
                    return 33;
        }
    }
    if (omega_agent_send(ag, "eve", "x", 1) != OMEGA_EDENIED)   /* not in the allow-list */
        return 34;
    /* The same exchange as one call: send, then the peer's answer. */
    for (size_t len = 0; len <= 65536; len = len ? len * 16 : 1) {
        char from[OMEGA_AGENT_ID_MAX];
        size_t n;
        for (size_t i = 0; i < len; i++)
            msg[i] = (uint8_t)(i * 3);
        if (omega_agent_send_recv(ag, "pong", msg, len, from, sizeof from, back, sizeof back, &n) != 0 || n != len ||
            strcmp(from, "pong") != 0)
            return 36;
        for (size_t i = 0; i < n; i++)
            if ((back[i] ^ 0x5a) != msg[i])
                return 37;
    }
    char from[OMEGA_AGENT_ID_MAX] = "unchanged";
    size_t n = 0;
    if (omega_agent_send_recv(ag, "eve", "x", 1, from, sizeof from, back, sizeof back, &n) != OMEGA_EDENIED)
        return 38;   /* refused: nothing is received, and the call does not wait */
    return omega_agent_send(ag, "pong", "quit", 4) == 0 ? 0 : 35;
}

OMEGA_TEST_TIMEOUT(iso_a2a_roundtrip_up_to_1mib, 30)
{
    struct iso_env e;
    const char *allow = "{\"allow\": [{\"agent\": \"ping\", \"action\": \"send\", \"target\": \"pong\"},"
                        "{\"agent\": \"pong\", \"action\": \"send\", \"target\": \"ping\"}]}";
    CHECK(iso_env_start(&e, allow, NULL) == 0);
    int b = iso_spawn(&e, "pong", pong_agent, NULL, 0);
    int eve = iso_spawn(&e, "eve", pong_agent, NULL, 0);
    int a = iso_spawn(&e, "ping", ping_agent, NULL, 0);
    CHECK(a >= 0 && b >= 0 && eve >= 0);
    struct omega_agent_status st;
    CHECK(omega_runtime_wait(e.rt, a, 20000, &st) == 0);
    CHECK_MSG(st.exit_code == 0 && st.signal == 0, "ping: exit %d, %s", st.exit_code, st.reason);
    CHECK(omega_runtime_wait(e.rt, b, 5000, &st) == 0);
    CHECK_MSG(st.exit_code == 0 && st.signal == 0, "pong: exit %d, %s", st.exit_code, st.reason);
    CHECK(omega_runtime_status(e.rt, eve, &st) == 0 && st.state == OMEGA_AGENT_RUNNING && st.requests == 1);
    iso_env_stop(&e);
    return 0;
}

/* tools/call arguments are parsed whenever someone can read them: a registered tool under the
 * allow-list, and any tool under another decider; echo under the allow-list reads none. */
static _Atomic int args_seen_by_decider, args_missing_for_echo;
static int args_tool(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    (void)ctx;
    const json_t *x = rq->args ? json_object_get(rq->args, "x") : NULL;
    return x && json_integer_value(x) == 7 ? omega_buf_append(rp->out, "seen", 4) : OMEGA_EINVAL;
}

static int args_decider(void *ctx, const struct omega_action *a, struct omega_decision *d)
{
    if (a->args && json_object_get(a->args, "x"))
        atomic_fetch_add(&args_seen_by_decider, 1);
    else
        atomic_fetch_add(&args_missing_for_echo, 1);
    return omega_allowlist_decide(ctx, a, d);
}

static int args_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    char out[16];
    size_t n;
    if (omega_agent_call_tool(ag, "argsee", "{\"x\": 7}", 8, out, sizeof out, &n) != 0 || n != 4)
        return 80;
    if (omega_agent_call_tool(ag, "echo", "{\"x\": 7}", 8, out, sizeof out, &n) != 0 || n != 8)
        return 81;
    return 0;
}

OMEGA_TEST_TIMEOUT(iso_runtime_args_parsed_for_readers, 30)
{
    const char *allow = "{\"allow\": [{\"agent\": \"*\", \"action\": \"tools/call\", \"target\": \"*\"}]}";
    for (int own_decider = 0; own_decider < 2; own_decider++) {
        struct iso_env e;
        CHECK(iso_env_start(&e, allow, NULL) == 0);
        if (own_decider)
            omega_monitor_set_decider(&e.mon, args_decider, e.al);
        CHECK(omega_runtime_register_tool(e.rt, "argsee", args_tool, NULL) == 0);
        int a = iso_spawn(&e, "args", args_agent, NULL, 0);
        CHECK(a >= 0);
        struct omega_agent_status st;
        CHECK(omega_runtime_wait(e.rt, a, 10000, &st) == 0);
        CHECK_MSG(st.exit_code == 0 && st.signal == 0, "args agent: exit %d, %s", st.exit_code, st.reason);
        iso_env_stop(&e);
    }
    CHECK(atomic_load(&args_seen_by_decider) == 2 && atomic_load(&args_missing_for_echo) == 0);
    return 0;
}

/* Many agents at once, each with its own ring; every one must be served. */
static int echo_n_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    for (int i = 0; i < 50; i++) {
        char in[32], out[32];
        size_t n;
        int l = snprintf(in, sizeof in, "%s:%d", omega_agent_id(ag), i);
        if (omega_agent_call_tool(ag, "echo", in, (size_t)l, out, sizeof out, &n) != 0 || n != (size_t)l ||
            memcmp(in, out, n) != 0)
            return 40;
    }
    return 0;
}

/* The two ways a message reaches its receiver: straight into its ring when it already waits in
 * recv, or through its inbox when it does not; either way whole, in order, from the right sender. */
static int fwd_server(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    char from[OMEGA_AGENT_ID_MAX], buf[64];
    size_t n;
    /* 1: waits before anything is sent, so the message is written into its ring directly. */
    if (omega_agent_recv(ag, from, sizeof from, buf, sizeof buf, &n, 0) != 0 || n != 5 || memcmp(buf, "first", 5) ||
        strcmp(from, "fwdc") != 0)
        return 50;
    if (omega_agent_send(ag, "fwdc", "go", 2) != 0)
        return 51;
    /* 2: the client sends five before this looks: they wait in the inbox, in order. */
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
    for (int i = 0; i < 5; i++) {
        char want[16];
        int l = snprintf(want, sizeof want, "queued-%d", i);
        if (omega_agent_recv(ag, from, sizeof from, buf, sizeof buf, &n, 0) != 0 || n != (size_t)l ||
            memcmp(buf, want, n) != 0 || strcmp(from, "fwdc") != 0)
            return 52 + i;
    }
    if (omega_agent_recv(ag, from, sizeof from, buf, sizeof buf, &n, OMEGA_RECV_NOWAIT) != OMEGA_ENOTFOUND)
        return 57;
    /* 3: calls, each answered with the request reversed. */
    if (omega_agent_send(ag, "fwdc", "ready", 5) != 0)
        return 58;
    for (;;) {
        if (omega_agent_recv(ag, from, sizeof from, buf, sizeof buf, &n, 0) != 0)
            return 59;
        if (n == 4 && memcmp(buf, "quit", 4) == 0)
            return 0;
        char rev[64];
        for (size_t i = 0; i < n; i++)
            rev[i] = buf[n - 1 - i];
        if (omega_agent_send(ag, from, rev, n) != 0)
            return 60;
    }
}

static int fwd_client(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    char from[OMEGA_AGENT_ID_MAX], buf[64];
    size_t n;
    struct timespec ts = {0, 20000000};   /* let the server reach its recv first */
    nanosleep(&ts, NULL);
    if (omega_agent_send_recv(ag, "fwds", "first", 5, from, sizeof from, buf, sizeof buf, &n) != 0 || n != 2 ||
        memcmp(buf, "go", 2) != 0)
        return 61;
    for (int i = 0; i < 5; i++) {
        char m[16];
        int l = snprintf(m, sizeof m, "queued-%d", i);
        if (omega_agent_send(ag, "fwds", m, (size_t)l) != 0)
            return 62;
    }
    if (omega_agent_recv(ag, from, sizeof from, buf, sizeof buf, &n, 0) != 0 || n != 5 || memcmp(buf, "ready", 5))
        return 63;
    for (int i = 0; i < 200; i++) {
        char m[32];
        int l = snprintf(m, sizeof m, "call %d of 200", i);
        if (omega_agent_send_recv(ag, "fwds", m, (size_t)l, from, sizeof from, buf, sizeof buf, &n) != 0 ||
            n != (size_t)l || strcmp(from, "fwds") != 0)
            return 64;
        for (int k = 0; k < l; k++)
            if (buf[k] != m[l - 1 - k])
                return 65;
    }
    return omega_agent_send(ag, "fwds", "quit", 4) == 0 ? 0 : 66;
}

static int run_forwarding(const struct omega_runtime_config *cfg)
{
    struct iso_env e;
    const char *allow = "{\"allow\": [{\"agent\": \"fwd*\", \"action\": \"send\", \"target\": \"fwd*\"}]}";
    CHECK(iso_env_start(&e, allow, cfg) == 0);
    int s = iso_spawn(&e, "fwds", fwd_server, NULL, 0);
    int c = iso_spawn(&e, "fwdc", fwd_client, NULL, 0);
    CHECK(s >= 0 && c >= 0);
    struct omega_agent_status st;
    CHECK(omega_runtime_wait(e.rt, c, 20000, &st) == 0);
    CHECK_MSG(st.exit_code == 0 && st.signal == 0, "client: exit %d, %s", st.exit_code, st.reason);
    CHECK(st.requests == 1 + 5 + 1 + 200 + 1);
    CHECK(omega_runtime_wait(e.rt, s, 5000, &st) == 0);
    CHECK_MSG(st.exit_code == 0 && st.signal == 0, "server: exit %d, %s", st.exit_code, st.reason);
    iso_env_stop(&e);
    return 0;
}

OMEGA_TEST_TIMEOUT(iso_a2a_direct_and_queued_in_order, 30)
{
    return run_forwarding(NULL);
}

/* Pinned: the serve thread on the last CPU, the agents on the others; the same exchange works, and
 * with a spin of 1 us every wait ends on the futex. */
OMEGA_TEST_TIMEOUT(iso_runtime_pinned_and_sleeping, 30)
{
    struct omega_runtime_config cfg = {.pin = 1};
    CHECK(run_forwarding(&cfg) == 0);
    cpu_set_t all;
    CHECK(sched_getaffinity(0, sizeof all, &all) == 0);
    if (CPU_COUNT(&all) >= 2) {
        struct iso_env e;
        CHECK(iso_env_start(&e, "{\"allow\": [{\"agent\": \"*\", \"action\": \"tools/call\", \"target\": \"echo\"}]}",
                            &cfg) == 0);
        int a = iso_spawn(&e, "pinned", echo_n_agent, NULL, 0);
        CHECK(a >= 0);
        struct omega_agent_status st;
        CHECK(omega_runtime_status(e.rt, a, &st) == 0);
        cpu_set_t got;
        int last = -1;
        for (int i = 0; i < CPU_SETSIZE; i++)
            if (CPU_ISSET(i, &all))
                last = i;
        if (sched_getaffinity(st.pid, sizeof got, &got) == 0)   /* may be gone already: then nothing to see */
            CHECK_MSG(!CPU_ISSET(last, &got) && CPU_COUNT(&got) == CPU_COUNT(&all) - 1, "agent may run on CPU %d",
                      last);
        CHECK(omega_runtime_wait(e.rt, a, 10000, &st) == 0 && st.exit_code == 0);
        iso_env_stop(&e);
    }
    struct omega_runtime_config sleepy = {.spin_us = 1, .agent_spin_us = 1};
    return run_forwarding(&sleepy);
}

OMEGA_TEST_TIMEOUT(iso_runtime_many_agents, 60)
{
    struct iso_env e;
    struct omega_runtime_config cfg = {.ring_bytes = 64 << 10};
    CHECK(iso_env_start(&e, "{\"allow\": [{\"agent\": \"*\", \"action\": \"tools/call\", \"target\": \"echo\"}]}",
                        &cfg) == 0);
    int idx[64];
    for (int i = 0; i < 64; i++) {
        char id[16];
        snprintf(id, sizeof id, "w%d", i);
        idx[i] = iso_spawn(&e, id, echo_n_agent, NULL, 0);
        CHECK(idx[i] >= 0);
    }
    for (int i = 0; i < 64; i++) {
        struct omega_agent_status st;
        CHECK(omega_runtime_wait(e.rt, idx[i], 20000, &st) == 0);
        CHECK_MSG(st.exit_code == 0 && st.signal == 0 && st.requests == 50, "w%d: %s", i, st.reason);
    }
    CHECK(omega_runtime_served(e.rt) == 64 * 50);
    iso_env_stop(&e);
    return 0;
}

/* Results and messages too big for the receiver's ring are refused with EQUOTA; nobody is stopped. */
static int big_tool(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    (void)ctx;
    (void)rq;
    static uint8_t big[64 << 10];
    return omega_buf_append(rp->out, big, sizeof big);
}

static int oversize_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    static uint8_t buf[16 << 10];
    size_t n;
    if (omega_agent_call_tool(ag, "big", "{}", 2, buf, sizeof buf, &n) != OMEGA_EQUOTA)
        return 90;
    /* The largest message this agent can send always fits the receiver's ring, sender id included. */
    if (omega_agent_send(ag, "sink", buf, omega_agent_max_payload(ag)) != 0)
        return 91;
    if (omega_agent_send(ag, "sink", buf, 9000) != OMEGA_EINVAL)   /* more than the ring holds */
        return 92;
    return 0;
}

static int sink_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    static uint8_t buf[16 << 10];
    char from[OMEGA_AGENT_ID_MAX];
    size_t n;
    return omega_agent_recv(ag, from, sizeof from, buf, sizeof buf, &n, 0) == 0 && n == omega_agent_max_payload(ag) &&
           strcmp(from, "big-talker") == 0 ? 0 : 93;
}

OMEGA_TEST_TIMEOUT(iso_runtime_oversize_results_refused, 30)
{
    struct iso_env e;
    struct omega_runtime_config cfg = {.ring_bytes = 8192};
    CHECK(iso_env_start(&e, "{\"allow\": [{\"agent\": \"*\", \"action\": \"*\", \"target\": \"*\"}]}", &cfg) == 0);
    CHECK(omega_runtime_register_tool(e.rt, "big", big_tool, NULL) == 0);
    int s = iso_spawn(&e, "sink", sink_agent, NULL, 0);
    int a = iso_spawn(&e, "big-talker", oversize_agent, NULL, 0);
    CHECK(s >= 0 && a >= 0);
    struct omega_agent_status st;
    CHECK(omega_runtime_wait(e.rt, a, 10000, &st) == 0);
    CHECK_MSG(st.exit_code == 0 && !st.violation, "exit %d: %s", st.exit_code, st.reason);
    CHECK(omega_runtime_wait(e.rt, s, 10000, &st) == 0);
    CHECK_MSG(st.exit_code == 0 && !st.violation, "sink: exit %d: %s", st.exit_code, st.reason);
    iso_env_stop(&e);
    return 0;
}

/* The inference engine plugs in as a handler; its output's labels join the agent's context. */
static int fake_infer(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    (void)ctx;
    if (strcmp(rq->target, "llama-2-7b") != 0 || rq->kind != OMEGA_ACT_INFER)
        return OMEGA_ENOTFOUND;
    rp->labels.untrusted = 1;   /* model output is untrusted */
    return omega_buf_printf(rp->out, "completion of %zu bytes", rq->len);
}

static int untrusted_egress_decider(void *ctx, const struct omega_action *a, struct omega_decision *d)
{
    int rc = omega_allowlist_decide(ctx, a, d);
    if (rc == 0 && a->kind == OMEGA_ACT_EGRESS && a->labels->untrusted)
        d->verdict = OMEGA_DENY;
    return rc;
}

static int infer_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    char out[64];
    size_t n;
    if (omega_agent_egress(ag, "host", "a", 1) != 0)
        return 100;
    if (omega_agent_infer(ag, "llama-2-7b", "hello", 5, out, sizeof out, &n) != 0 || n != 21 ||
        memcmp(out, "completion of 5 bytes", 21) != 0)
        return 101;
    if (omega_agent_infer(ag, "gpt", "x", 1, out, sizeof out, &n) != OMEGA_ENOTFOUND)
        return 102;
    return omega_agent_egress(ag, "host", "a", 1) == OMEGA_EDENIED ? 0 : 103;
}

OMEGA_TEST_TIMEOUT(iso_runtime_infer_handler_labels, 30)
{
    struct iso_env e;
    CHECK(iso_env_start(&e, "{\"allow\": [{\"agent\": \"*\", \"action\": \"*\", \"target\": \"*\"}]}", NULL) == 0);
    omega_monitor_set_decider(&e.mon, untrusted_egress_decider, e.al);
    omega_runtime_set_infer(e.rt, fake_infer, NULL);
    int a = iso_spawn(&e, "thinker", infer_agent, NULL, 0);
    CHECK(a >= 0);
    struct omega_agent_status st;
    CHECK(omega_runtime_wait(e.rt, a, 10000, &st) == 0);
    CHECK_MSG(st.exit_code == 0 && !st.signal, "exit %d: %s", st.exit_code, st.reason);
    iso_env_stop(&e);
    return 0;
}
