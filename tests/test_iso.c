/* Isolation: channel, allow-list, monitor, runtime and agent API (prefix iso). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/agent.h"
#include "core/allowlist.h"
#include "core/channel.h"
#include "core/monitor.h"
#include "core/runtime.h"
#include "tests/test.h"

/* ---- channel ----------------------------------------------------------------------------------- */

OMEGA_TEST(iso_channel_roundtrip_and_wrap)
{
    struct omega_chan rt, ag;
    CHECK(omega_chan_create(&rt, 4096, NULL) == 0);
    CHECK(omega_chan_attach(&ag, rt.memfd, 4096, NULL) == 0);
    uint8_t buf[4096], body[4096];
    for (int i = 0; i < 500; i++) {   /* many frames of odd sizes: the indices wrap many times */
        size_t n = (size_t)(i * 37) % 1500;
        for (size_t k = 0; k < n; k++)
            buf[k] = (uint8_t)(i + k);
        struct omega_chan_frame f = {.op = OMEGA_OP_TOOL_CALL, .tlen = 4, .id = (uint32_t)i};
        CHECK(omega_chan_ag_send(&ag, &f, "echo", buf, n, -1) == 0);
        struct omega_chan_frame g;
        char why[160];
        CHECK_EQ_INT(omega_chan_rt_peek(&rt, &g, why, sizeof why), 1);
        CHECK_EQ_INT(g.body_len, n + 4);
        omega_chan_rt_take(&rt, &g, body);
        CHECK(memcmp(body, "echo", 4) == 0 && memcmp(body + 4, buf, n) == 0);
        CHECK_EQ_INT(omega_chan_rt_peek(&rt, &g, why, sizeof why), 0);
        CHECK_EQ_INT(omega_chan_rt_respond(&rt, &f, "peer", body + 4, n, why, sizeof why), 1);
        struct omega_chan_frame r;
        char tgt[16];
        uint8_t out[4096];
        size_t olen;
        CHECK(omega_chan_ag_recv(&ag, &r, tgt, sizeof tgt, out, sizeof out, &olen, NULL) == 0);
        CHECK(r.id == (uint32_t)i && olen == n && strcmp(tgt, "peer") == 0 && memcmp(out, buf, n) == 0);
    }
    struct omega_chan_frame f = {.op = OMEGA_OP_SEND, .tlen = 1};
    CHECK(omega_chan_ag_send(&ag, &f, "x", buf, 4096, -1) == OMEGA_EINVAL);   /* can never fit */
    omega_chan_fini(&ag);
    omega_chan_fini(&rt);
    return 0;
}

OMEGA_TEST(iso_channel_hostile_indices_refused)
{
    struct omega_chan rt, ag;
    CHECK(omega_chan_create(&rt, 4096, NULL) == 0);
    CHECK(omega_chan_attach(&ag, rt.memfd, 4096, NULL) == 0);
    struct omega_chan_frame g;
    char why[160];
    /* A head far past the tail, a head behind it, a head that is not whole frames. */
    uint64_t heads[] = {1u << 20, (uint64_t)-8, 12};
    for (size_t i = 0; i < 3; i++) {
        atomic_store(&ag.sh->req_head, heads[i]);
        CHECK_EQ_INT(omega_chan_rt_peek(&rt, &g, why, sizeof why), OMEGA_EPEER);
        CHECK(strstr(why, "corrupt") != NULL);
    }
    /* A frame whose length runs past what was published / past the ring; bad magic; bad op. */
    struct omega_chan_frame bad[] = {
        {.magic = OMEGA_CHAN_FRAME_MAGIC, .body_len = 4000, .op = 1},
        {.magic = OMEGA_CHAN_FRAME_MAGIC, .body_len = 0xffffffffu, .op = 1},
        {.magic = 0x41414141, .body_len = 0, .op = 1},
        {.magic = OMEGA_CHAN_FRAME_MAGIC, .body_len = 8, .op = 99},
        {.magic = OMEGA_CHAN_FRAME_MAGIC, .body_len = 8, .op = 1, .tlen = 9},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(ag.req_ring, &bad[i], sizeof bad[i]);
        atomic_store(&ag.sh->req_head, 32);
        CHECK_EQ_INT(omega_chan_rt_peek(&rt, &g, why, sizeof why), OMEGA_EPEER);
    }
    /* A consumer index of the response ring that runs ahead of what was produced. */
    atomic_store(&ag.sh->rsp_tail, 4096 * 3);
    struct omega_chan_frame f = {.op = 1};
    CHECK_EQ_INT(omega_chan_rt_respond(&rt, &f, NULL, "x", 1, why, sizeof why), OMEGA_EPEER);
    omega_chan_fini(&ag);
    omega_chan_fini(&rt);
    return 0;
}

/* The runtime's side of a wait test: answers request i after delay_us[i]. */
struct wait_peer {
    struct omega_chan *rt;
    const unsigned *delay_us;
    int n, failed;
};

static void *wait_peer_main(void *arg)
{
    struct wait_peer *w = arg;
    for (int i = 0; i < w->n; i++) {
        struct omega_chan_frame g;
        char why[160];
        int rc;
        while ((rc = omega_chan_rt_peek(w->rt, &g, why, sizeof why)) == 0)
            sched_yield();
        uint8_t body[64];
        if (rc != 1 || g.body_len > sizeof body) {
            w->failed = 1;
            return NULL;
        }
        omega_chan_rt_take(w->rt, &g, body);
        if (w->delay_us[i])
            usleep(w->delay_us[i]);
        if (omega_chan_rt_respond(w->rt, &g, NULL, body + g.tlen, g.body_len - g.tlen, why, sizeof why) != 1)
            w->failed = 1;
    }
    return NULL;
}

/* Each phase of a wait ends with the right answer: the pure spin (answer at once), the yielding
 * spin (after 20 us), the futex (after 2 ms, past the spin), the futex at once (no spin), and a pure
 * spin skipped because the runtime said it runs on this very CPU. */
OMEGA_TEST_TIMEOUT(iso_channel_wait_phases, 30)
{
    struct omega_chan rt, ag;
    CHECK(omega_chan_create(&rt, 4096, NULL) == 0);
    CHECK(omega_chan_attach(&ag, rt.memfd, 4096, NULL) == 0);
    static const unsigned delay[] = {0, 20, 2000, 0, 300, 0, 0};
    const struct omega_chan_wait waits[] = {{4000, 50000}, {4000, 50000}, {4000, 50000}, {0, 0},
                                            {0, 0},        {50000, 50000}, {4000, 50000}};
    int n = (int)(sizeof delay / sizeof delay[0]);
    struct wait_peer w = {.rt = &rt, .delay_us = delay, .n = n};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, wait_peer_main, &w) == 0);
    for (int i = 0; i < n; i++) {
        if (i == n - 1)   /* the hint names this CPU: the wait must still end, by yielding */
            atomic_store(&ag.sh->rt_cpu, (uint32_t)(sched_getcpu() + 1));
        uint32_t v = 0x1000u + (uint32_t)i;
        struct omega_chan_frame f = {.op = OMEGA_OP_TOOL_CALL, .tlen = 4, .id = (uint32_t)i};
        CHECK(omega_chan_ag_send(&ag, &f, "echo", &v, sizeof v, -1) == 0);
        struct omega_chan_frame r;
        uint32_t back = 0;
        size_t olen = 0;
        CHECK(omega_chan_ag_recv(&ag, &r, NULL, 0, &back, sizeof back, &olen, i == 4 ? NULL : &waits[i]) == 0);
        CHECK_MSG(r.id == (uint32_t)i && olen == sizeof back && back == v, "wait %d", i);
        CHECK(atomic_load(&ag.sh->agent_waiting) == 0);   /* whoever slept has said it is awake */
        CHECK(atomic_load(&ag.sh->ag_cpu) != 0 || sched_getcpu() < 0);
    }
    pthread_join(th, NULL);
    CHECK(!w.failed);
    omega_chan_fini(&ag);
    omega_chan_fini(&rt);
    return 0;
}

/* ---- allow-list and monitor --------------------------------------------------------------------- */

static const char *ALLOW_TEXT =
    "{\"allow\": [{\"agent\": \"a1\", \"action\": \"tools/call\", \"target\": \"echo\"},"
    "            {\"agent\": \"*\", \"action\": \"send\", \"target\": \"a2\"},"
    "            {\"agent\": \"w*\", \"action\": \"read\", \"target\": \"doc\", \"max\": 2}],"
    " \"deny\": [{\"agent\": \"evil\", \"action\": \"*\", \"target\": \"*\"}]}";

static int decide(struct omega_allowlist *al, const char *agent, const char *method, const char *target, uint64_t count,
                  const char **why)
{
    struct omega_labels l;
    omega_labels_init(&l);
    struct omega_action a = {.agent = agent, .method = method, .target = target, .labels = &l, .count = count};
    struct omega_decision d = {0};
    if (omega_allowlist_decide(al, &a, &d) < 0)
        return -1;
    *why = d.npolicies ? d.policies[0] : "";
    return d.verdict;
}

OMEGA_TEST(iso_allowlist_decisions)
{
    struct omega_error err = {0};
    struct omega_allowlist *al = omega_allowlist_parse(ALLOW_TEXT, strlen(ALLOW_TEXT), &err);
    CHECK_MSG(al, "%s", err.msg);
    CHECK_EQ_INT(omega_allowlist_size(al), 4);
    const char *why;
    CHECK(decide(al, "a1", "tools/call", "echo", 0, &why) == OMEGA_ALLOW && strcmp(why, "allow[0]") == 0);
    CHECK(decide(al, "a1", "tools/call", "rm", 0, &why) == OMEGA_DENY && strcmp(why, "default-deny") == 0);
    CHECK(decide(al, "a9", "send", "a2", 0, &why) == OMEGA_ALLOW);
    CHECK(decide(al, "a9", "send", "a3", 0, &why) == OMEGA_DENY);
    CHECK(decide(al, "evil", "send", "a2", 0, &why) == OMEGA_DENY && strcmp(why, "deny[0]") == 0);
    CHECK(decide(al, "w7", "read", "doc", 1, &why) == OMEGA_ALLOW);
    CHECK(decide(al, "w7", "read", "doc", 2, &why) == OMEGA_DENY);   /* the cap of 2 */
    CHECK(decide(al, "x7", "read", "doc", 0, &why) == OMEGA_DENY);
    omega_allowlist_free(al);
    const char *bad[] = {"[1]", "{\"allow\": 3}", "{\"allow\": [{\"agent\": \"a\", \"action\": \"x\"}]}",
                         "{\"allow\": [{\"agent\": \"a\", \"action\": \"x\", \"target\": \"t\", \"extra\": 1}]}",
                         "{\"permit\": []}", "{\"allow\": [{\"agent\": \"\", \"action\": \"x\", \"target\": \"t\"}]}",
                         "{\"allow\": [{\"agent\": \"a\", \"action\": \"x\", \"target\": \"t\", \"max\": -1}]}", "{"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        omega_error_clear(&err);
        CHECK_MSG(!omega_allowlist_parse(bad[i], strlen(bad[i]), &err), "accepted %s", bad[i]);
        CHECK(err.code == OMEGA_EFORMAT && err.msg[0]);
    }
    CHECK(!omega_allowlist_load("/nonexistent/allow.json", &err));
    return 0;
}

static int failing_decider(void *ctx, const struct omega_action *a, struct omega_decision *d)
{
    (void)ctx;
    (void)a;
    d->verdict = OMEGA_ALLOW;   /* and then reports failure: the monitor must not keep the allow */
    return OMEGA_EIO;
}

OMEGA_TEST(iso_monitor_fails_closed)
{
    struct omega_monitor m;
    omega_monitor_init(&m);
    struct omega_labels l;
    omega_labels_init(&l);
    struct omega_action a = {.agent = "a1", .method = "send", .target = "a2", .labels = &l};
    struct omega_decision d;
    CHECK(omega_monitor_decide(&m, &a, &d) < 0 && d.verdict == OMEGA_DENY);   /* no decider */
    omega_monitor_set_decider(&m, failing_decider, NULL);
    CHECK(omega_monitor_decide(&m, &a, &d) == OMEGA_EIO && d.verdict == OMEGA_DENY);
    CHECK_EQ_INT(atomic_load(&m.stats.denied), 2);
    uint8_t d1[32], d2[32];
    omega_monitor_io_digest("a1", "send", "a2", "hi", 2, d1);
    omega_monitor_io_digest("a1", "send", "a2h", "i", 1, d2);   /* fields are length-prefixed */
    CHECK(memcmp(d1, d2, 32) != 0);
    return 0;
}
