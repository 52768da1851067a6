/* The write-ahead rule with a log that commits in groups: the runtime answers an agent only once the
 * record of its decision is durable, and meanwhile goes on serving the other agents. */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "core/agent.h"
#include "core/monitor.h"
#include "core/runtime.h"
#include "core/util.h"
#include "tests/test.h"

static _Atomic uint64_t durable_upto, next_seq;

static int allow(void *ctx, const struct omega_action *a, struct omega_decision *d)
{
    (void)ctx;
    (void)a;
    memset(d, 0, sizeof *d);
    return 0;
}

static int record(void *ctx, const struct omega_action *a, const struct omega_decision *d, const uint8_t dig[32],
                  uint64_t *seq)
{
    (void)ctx;
    (void)a;
    (void)d;
    (void)dig;
    *seq = atomic_fetch_add(&next_seq, 1);
    return 0;
}

static int durable(void *ctx, uint64_t seq)
{
    (void)ctx;
    return seq < atomic_load(&durable_upto);
}

static int one_call(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    char out[64];
    size_t n;
    return omega_agent_call_tool(ag, "echo", "{}", 2, out, sizeof out, &n) == 0 ? 0 : 1;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

OMEGA_TEST_TIMEOUT(runtime_answers_wait_for_durable_records, 30)
{
    struct omega_monitor mon;
    omega_monitor_init(&mon);
    omega_monitor_set_decider(&mon, allow, NULL);
    omega_monitor_set_recorder(&mon, record, NULL);
    omega_monitor_set_durable(&mon, durable, NULL);
    atomic_store(&durable_upto, 0);
    atomic_store(&next_seq, 0);
    struct omega_error err = {0};
    struct omega_runtime *rt = omega_runtime_new(NULL, &mon, &err);
    CHECK_MSG(rt != NULL, "%s", err.msg);
    int a = omega_runtime_spawn(rt, "a", one_call, NULL, 0, &err);
    CHECK_MSG(a >= 0, "%s", err.msg);
    /* The call was decided and recorded (seq 0) but not durable: the agent must still be waiting. */
    for (int i = 0; i < 100 && atomic_load(&next_seq) < 1; i++)
        sleep_ms(5);
    CHECK_EQ_INT(atomic_load(&next_seq), 1);
    struct omega_agent_status st;
    CHECK_EQ_INT(omega_runtime_wait(rt, a, 200, &st), OMEGA_ETIMEOUT);
    /* Another agent is served meanwhile up to its own record, and waits for it in the same way. */
    int b = omega_runtime_spawn(rt, "b", one_call, NULL, 0, &err);
    CHECK(b >= 0);
    for (int i = 0; i < 200 && atomic_load(&next_seq) < 2; i++)
        sleep_ms(5);
    CHECK_EQ_INT(atomic_load(&next_seq), 2);
    /* a's record becomes durable: a is answered and ends; b still waits. */
    atomic_store(&durable_upto, 1);
    CHECK_EQ_INT(omega_runtime_wait(rt, a, 5000, &st), 0);
    CHECK(st.exit_code == 0 && !st.violation);
    CHECK_EQ_INT(omega_runtime_wait(rt, b, 200, &st), OMEGA_ETIMEOUT);
    atomic_store(&durable_upto, 2);
    CHECK_EQ_INT(omega_runtime_wait(rt, b, 5000, &st), 0);
    CHECK(st.exit_code == 0 && !st.violation);
    omega_runtime_free(rt);
    return 0;
}
