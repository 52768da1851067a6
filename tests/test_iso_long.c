/* Long isolation campaigns (make check-long): many agents that end every way there is, one after
 * another, while the runtime keeps serving and keeps its memory bounded. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/agent.h"
#include "core/runtime.h"
#include "tests/test.h"
#include "tests/test_iso.h"

static volatile uintptr_t wild = 16;
__attribute__((no_sanitize("address", "undefined"))) static void crash(void)
{
    *(volatile char *)wild = 1;
}

static int churn_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    int how;
    if (arglen != sizeof how)
        return 2;
    memcpy(&how, arg, sizeof how);
    char out[64];
    size_t n;
    for (int i = 0; i < 20; i++)
        if (omega_agent_call_tool(ag, "echo", "ping", 4, out, sizeof out, &n) != 0)
            return 3;
    switch (how % 4) {
    case 0: return 0;
    case 1: return open("/etc/passwd", O_RDONLY) >= 0 ? 4 : 5;   /* killed by seccomp */
    case 2: crash(); return 6;
    default: {
        struct omega_chan *ch = omega_agent_channel(ag);
        atomic_store(&ch->sh->req_head, ch->ag_req_head + 12345);   /* corrupt ring, then wait to be stopped */
        for (;;) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
    }
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[128];
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            v = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

OMEGA_TEST_LONG(iso_long_churn_2000_agents, 300)
{
    struct iso_env e;
    struct omega_runtime_config cfg = {.max_agents = 2100, .ring_bytes = 64 << 10};
    CHECK(iso_env_start(&e, "{\"allow\": [{\"agent\": \"*\", \"action\": \"*\", \"target\": \"*\"}]}", &cfg) == 0);
    long rss0 = 0;
    int ends[4] = {0};
    for (int i = 0; i < 2000; i++) {
        char id[32];
        snprintf(id, sizeof id, "c%d", i);
        int idx = iso_spawn(&e, id, churn_agent, &i, sizeof i);
        CHECK(idx >= 0);
        struct omega_agent_status st;
        CHECK(omega_runtime_wait(e.rt, idx, 10000, &st) == 0);
        int ok = (i % 4 == 0 && st.exit_code == 0 && !st.violation) ||
                 (i % 4 == 1 && strstr(st.reason, "seccomp")) || (i % 4 == 2 && strstr(st.reason, "SIGSEGV")) ||
                 (i % 4 == 3 && strstr(st.reason, "corrupt ring"));
        CHECK_MSG(ok, "agent %d: exit %d, %s", i, st.exit_code, st.reason);
        CHECK_EQ_INT(st.requests >= 20, 1);
        ends[i % 4]++;
        if (i == 99)
            rss0 = rss_kib();
    }
    long rss1 = rss_kib();
    CHECK_MSG(rss1 - rss0 < 64 * 1024, "runtime grew from %ld to %ld KiB over 1900 agents", rss0, rss1);
    CHECK(ends[0] == 500 && ends[3] == 500);
    iso_env_stop(&e);
    return 0;
}
