/* The escape suite: a hostile agent tries to leave its sandbox; each attempt must be blocked and
 * reported, and the runtime must go on serving the other agents (asserted after every attack). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "core/agent.h"
#include "core/channel.h"
#include "core/runtime.h"
#include "tests/test.h"
#include "tests/test_iso.h"

enum attack {
    A_OPEN, A_SOCKET, A_CONNECT, A_EXECVE, A_FORK, A_PTRACE, A_PROC_MEM, A_VM_READ, A_RUNTIME_MEM,
    A_RING_HEAD, A_RING_LEN, A_RING_MAGIC, A_RING_RSP_TAIL, A_MEMORY, A_FLOOD, A_CPU, A_SLOW, A_DOORBELL,
    A_HEADER_HINTS,
};

struct attack_arg {
    int attack;
    int victim_pid;
    uintptr_t addr;
};

static const char *ALLOW = "{\"allow\": [{\"agent\": \"*\", \"action\": \"tools/call\", \"target\": \"*\"},"
                           "{\"agent\": \"*\", \"action\": \"send\", \"target\": \"*\"}]}";

/* The canary serves echo-through-the-runtime for whoever asks, for the whole test. */
static int canary_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    for (;;) {
        char from[OMEGA_AGENT_ID_MAX], buf[256], out[256];
        size_t n, m;
        if (omega_agent_recv(ag, from, sizeof from, buf, sizeof buf, &n, 0) != 0)
            return 50;
        if (omega_agent_call_tool(ag, "echo", buf, n, out, sizeof out, &m) != 0)
            return 51;
        if (omega_agent_send(ag, from, out, m) != 0)
            return 52;
    }
}

static int probe_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    if (omega_agent_send(ag, "canary", "still there?", 12) != 0)
        return 60;
    char from[OMEGA_AGENT_ID_MAX], buf[64];
    size_t n;
    if (omega_agent_recv(ag, from, sizeof from, buf, sizeof buf, &n, 0) != 0)
        return 61;
    return n == 12 && memcmp(buf, "still there?", 12) == 0 && strcmp(from, "canary") == 0 ? 0 : 62;
}

/* A plain wild store (the sanitizer build would otherwise turn it into a report of its own). */
__attribute__((no_sanitize("address", "undefined"))) static void wild_store(uintptr_t addr)
{
    *(volatile char *)addr = 1;
}

static int attacker(struct omega_agent *ag, const void *argp, size_t arglen)
{
    struct attack_arg a;
    if (arglen != sizeof a)
        return 70;
    memcpy(&a, argp, sizeof a);
    char out[64];
    size_t n;
    if (omega_agent_call_tool(ag, "echo", "hi", 2, out, sizeof out, &n) != 0)   /* it ran, and was served */
        return 71;
    struct omega_chan *ch = omega_agent_channel(ag);
    switch (a.attack) {
    case A_OPEN: {
        int fd = open("/etc/passwd", O_RDONLY);
        return fd >= 0 ? 99 : 72;
    }
    case A_SOCKET:
        return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 99 : 72;
    case A_CONNECT: {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(80)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return connect(3, (struct sockaddr *)&sa, sizeof sa) == 0 ? 99 : 72;
    }
    case A_EXECVE: {
        char *argv[] = {"/bin/sh", "-c", "true", NULL};
        execve("/bin/sh", argv, NULL);
        return 72;
    }
    case A_FORK:
        return syscall(SYS_fork) >= 0 ? 99 : 72;
    case A_PTRACE:
        return ptrace(PTRACE_ATTACH, a.victim_pid, NULL, NULL) == 0 ? 99 : 72;
    case A_PROC_MEM: {
        char p[64];
        snprintf(p, sizeof p, "/proc/%d/mem", a.victim_pid);
        return open(p, O_RDWR) >= 0 ? 99 : 72;
    }
    case A_VM_READ: {
        char buf[16];
        struct iovec l = {buf, sizeof buf}, r = {(void *)0x400000, sizeof buf};
        return process_vm_readv(a.victim_pid, &l, 1, &r, 1, 0) >= 0 ? 99 : 72;
    }
    case A_RUNTIME_MEM:   /* overwrite a page of the runtime's (its address is known): not in this address space */
        wild_store(a.addr);
        return 99;
    case A_RING_HEAD:
        atomic_store(&ch->sh->req_head, ch->ag_req_head + (64u << 20));
        break;
    case A_RING_LEN: {
        struct omega_chan_frame f = {.magic = OMEGA_CHAN_FRAME_MAGIC, .body_len = 0x7fffff00, .op = 1, .tlen = 1};
        memcpy(ch->req_ring + (ch->ag_req_head & (ch->ring_bytes - 1)), &f, sizeof f);
        atomic_store(&ch->sh->req_head, ch->ag_req_head + 64);
        break;
    }
    case A_RING_MAGIC:
        memset(ch->req_ring + (ch->ag_req_head & (ch->ring_bytes - 1)), 0x41, 64);
        atomic_store(&ch->sh->req_head, ch->ag_req_head + 64);
        break;
    case A_RING_RSP_TAIL:   /* claims to have consumed responses that were never written */
        atomic_store(&ch->sh->rsp_tail, ch->ag_rsp_tail + (1u << 30));
        omega_agent_call_tool(ag, "echo", "hi", 2, out, sizeof out, &n);
        break;
    case A_MEMORY: {   /* map and touch 1 MiB at a time until the limit refuses */
        size_t total = 0;
        for (int i = 0; i < 4096; i++) {
            void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED)
                break;
            memset(p, 1, 1 << 20);
            total += 1 << 20;
        }
        char msg[32];
        int l = snprintf(msg, sizeof msg, "%zu", total);
        omega_agent_call_tool(ag, "report", msg, (size_t)l, out, sizeof out, &n);
        wild_store(0);   /* and then it crashes: the runtime reports the fault */
        return 72;
    }
    case A_FLOOD:
        for (int i = 0; i < 1000000; i++)
            omega_agent_call_tool(ag, "echo", "flood", 5, out, sizeof out, &n);
        return 72;
    case A_DOORBELL: {   /* rings its doorbell without end, to keep the runtime awake */
        uint64_t one = 1;
        for (;;)
            if (write(OMEGA_AGENT_DOORBELL_FD, &one, sizeof one) < 0) {
                struct timespec ts = {0, 100000};
                nanosleep(&ts, NULL);
            }
    }
    case A_HEADER_HINTS: {   /* garbage in every header field but the indices, between calls */
        uint64_t x = 0x9e3779b97f4a7c15ull;
        for (int i = 0; i < 2000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            ch->sh->magic = (uint32_t)x;
            ch->sh->version = (uint32_t)(x >> 32);
            ch->sh->ring_bytes = x;
            atomic_store(&ch->sh->rsp_futex, (uint32_t)(x >> 8));
            atomic_store(&ch->sh->agent_waiting, (uint32_t)(x >> 16));
            /* claims the runtime's CPU half the time: the runtime then yields after each answer */
            atomic_store(&ch->sh->ag_cpu, i & 1 ? atomic_load(&ch->sh->rt_cpu) : (uint32_t)(x >> 24));
            atomic_store(&ch->sh->rt_cpu, (uint32_t)(x >> 40));
            atomic_store(&ch->sh->rt_sleeping, (uint32_t)(x >> 48) & 1);
            atomic_store(&ch->sh->ready, (uint32_t)x);
            ch->sh->t_step[i & 7] = x;
            char m[16];
            int l = snprintf(m, sizeof m, "m%d", i);
            if (omega_agent_call_tool(ag, "echo", m, (size_t)l, out, sizeof out, &n) != 0 || n != (size_t)l ||
                memcmp(m, out, n) != 0)
                return 73;
        }
        return 0;
    }
    case A_CPU:
        for (volatile unsigned long x = 0;; x++) {}
    case A_SLOW:
        omega_agent_call_tool(ag, "slow", "x", 1, out, sizeof out, &n);
        return 0;
    }
    for (;;) {   /* after corrupting its ring: wait to be stopped */
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

static char reported[64];
static int report_tool(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    (void)ctx;
    (void)rp;
    size_t n = rq->len < sizeof reported - 1 ? rq->len : sizeof reported - 1;
    memcpy(reported, rq->payload, n);
    reported[n] = 0;
    return 0;
}

static _Atomic int slow_entered;
static int slow_tool(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    (void)ctx;
    (void)rq;
    (void)rp;
    atomic_store(&slow_entered, 1);
    struct timespec ts = {0, 100000000};   /* the agent is killed meanwhile */
    nanosleep(&ts, NULL);
    return omega_buf_append(rp->out, "late", 4);
}

/* Run one attack next to a canary; returns the attacker's final status in *st and checks that a
 * fresh probe is still served through the canary afterwards. */
static int run_attack(int attack, const struct omega_runtime_config *cfg, struct omega_agent_status *st,
                      unsigned sandbox_flags)
{
    struct iso_env e;
    struct omega_runtime_config c = cfg ? *cfg : (struct omega_runtime_config){0};
    c.sandbox_flags |= sandbox_flags;
    CHECK(iso_env_start(&e, ALLOW, &c) == 0);
    CHECK(omega_runtime_register_tool(e.rt, "report", report_tool, NULL) == 0);
    CHECK(omega_runtime_register_tool(e.rt, "slow", slow_tool, NULL) == 0);
    int can = iso_spawn(&e, "canary", canary_agent, NULL, 0);
    CHECK(can >= 0);
    struct omega_agent_status cs;
    CHECK(omega_runtime_status(e.rt, can, &cs) == 0);
    /* A secret page in the runtime, made after the zygote: no agent's address space has it. */
    char *secret = mmap((void *)0x3f0000000000ull, 4096, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(secret != MAP_FAILED);
    secret[0] = 'S';
    struct attack_arg a = {.attack = attack, .victim_pid = cs.pid, .addr = (uintptr_t)secret};
    int att = iso_spawn(&e, "mallory", attacker, &a, sizeof a);
    CHECK(att >= 0);
    if (attack == A_SLOW) {   /* kill -9 mid-request: while the runtime performs its tool call */
        for (int i = 0; i < 5000 && !atomic_load(&slow_entered); i++)
            usleep(1000);
        CHECK(atomic_load(&slow_entered));
        struct omega_agent_status ms;
        CHECK(omega_runtime_status(e.rt, att, &ms) == 0);
        CHECK(kill(ms.pid, SIGKILL) == 0);
    }
    /* The CPU limit counts CPU time: on a busy machine one second of it can take many seconds. */
    CHECK_MSG(omega_runtime_wait(e.rt, att, attack == A_CPU ? 45000 : 15000, st) == 0, "attacker still running");
    CHECK(secret[0] == 'S');   /* the runtime's page is untouched */
    munmap(secret, 4096);
    int pr = iso_spawn(&e, "probe", probe_agent, NULL, 0);
    CHECK(pr >= 0);
    struct omega_agent_status ps;
    CHECK(omega_runtime_wait(e.rt, pr, 10000, &ps) == 0);
    CHECK_MSG(ps.exit_code == 0 && ps.signal == 0, "probe after the attack: exit %d, %s", ps.exit_code, ps.reason);
    CHECK(omega_runtime_status(e.rt, can, &cs) == 0 && cs.state == OMEGA_AGENT_RUNNING);
    iso_env_stop(&e);
    return 0;
}

#ifdef CONFIG_SECCOMP
#define HAVE_SECCOMP 1
#else
#define HAVE_SECCOMP 0
#endif

#define EXPECT_STOPPED(st_, text_)                                                               \
    do {                                                                                         \
        CHECK_MSG((st_).violation && strstr((st_).reason, text_), "attacker: exit %d signal %d reason '%s'", \
                  (st_).exit_code, (st_).signal, (st_).reason);                                  \
        CHECK((st_).requests >= 1);   /* it was served before it misbehaved */                   \
    } while (0)

#define SYSCALL_ESCAPE(name_, attack_)                                                           \
    OMEGA_TEST_TIMEOUT(name_, 30)                                                                \
    {                                                                                            \
        if (!HAVE_SECCOMP)                                                                       \
            return omega_test_skip("needs: libseccomp (configure found none)");                  \
        struct omega_agent_status st;                                                            \
        if (run_attack(attack_, NULL, &st, 0) != 0)                                              \
            return OMEGA_TEST_FAILED;                                                            \
        EXPECT_STOPPED(st, "seccomp");                                                           \
        return 0;                                                                                \
    }

SYSCALL_ESCAPE(iso_escape_open, A_OPEN)
SYSCALL_ESCAPE(iso_escape_socket, A_SOCKET)
SYSCALL_ESCAPE(iso_escape_connect, A_CONNECT)
SYSCALL_ESCAPE(iso_escape_execve, A_EXECVE)
SYSCALL_ESCAPE(iso_escape_fork, A_FORK)
SYSCALL_ESCAPE(iso_escape_ptrace, A_PTRACE)
SYSCALL_ESCAPE(iso_escape_proc_mem_of_other_agent, A_PROC_MEM)
SYSCALL_ESCAPE(iso_escape_process_vm_readv, A_VM_READ)

OMEGA_TEST_TIMEOUT(iso_escape_runtime_memory, 30)
{
    struct omega_agent_status st;
    if (run_attack(A_RUNTIME_MEM, NULL, &st, 0) != 0)
        return OMEGA_TEST_FAILED;
    EXPECT_STOPPED(st, "SIGSEGV");
    return 0;
}

OMEGA_TEST_TIMEOUT(iso_escape_ring_head_past_ring, 30)
{
    struct omega_agent_status st;
    if (run_attack(A_RING_HEAD, NULL, &st, 0) != 0)
        return OMEGA_TEST_FAILED;
    EXPECT_STOPPED(st, "corrupt ring");
    return 0;
}

OMEGA_TEST_TIMEOUT(iso_escape_ring_length_past_ring, 30)
{
    struct omega_agent_status st;
    if (run_attack(A_RING_LEN, NULL, &st, 0) != 0)
        return OMEGA_TEST_FAILED;
    EXPECT_STOPPED(st, "corrupt frame");
    return 0;
}

OMEGA_TEST_TIMEOUT(iso_escape_ring_garbage_frame, 30)
{
    struct omega_agent_status st;
    if (run_attack(A_RING_MAGIC, NULL, &st, 0) != 0)
        return OMEGA_TEST_FAILED;
    EXPECT_STOPPED(st, "bad magic");
    return 0;
}

OMEGA_TEST_TIMEOUT(iso_escape_ring_response_tail, 30)
{
    struct omega_agent_status st;
    if (run_attack(A_RING_RSP_TAIL, NULL, &st, 0) != 0)
        return OMEGA_TEST_FAILED;
    EXPECT_STOPPED(st, "response tail");
    return 0;
}

OMEGA_TEST_TIMEOUT(iso_escape_memory_exhaustion, 30)
{
    struct omega_runtime_config c = {.limits.mem_bytes = 64 << 20};
    struct omega_agent_status st;
    reported[0] = 0;
    if (run_attack(A_MEMORY, &c, &st, 0) != 0)
        return OMEGA_TEST_FAILED;
    EXPECT_STOPPED(st, "SIGSEGV");
    unsigned long long got = strtoull(reported, NULL, 10);
    CHECK_MSG(reported[0] && got <= (64ull << 20), "agent mapped %s bytes under a 64 MiB limit", reported);
    CHECK(got >= (32ull << 20));   /* the limit is on top of its start image, not instead of it */
    return 0;
}

OMEGA_TEST_TIMEOUT(iso_escape_channel_flood, 30)
{
    struct omega_runtime_config c = {.rate_per_s = 2000, .rate_burst = 200, .flood_kill = 500};
    struct omega_agent_status st;
    if (run_attack(A_FLOOD, &c, &st, 0) != 0)
        return OMEGA_TEST_FAILED;
    EXPECT_STOPPED(st, "flood");
    CHECK(st.refused >= 500 && st.allowed >= 200);
    return 0;
}

OMEGA_TEST_TIMEOUT(iso_escape_doorbell_flood, 30)
{
    struct omega_agent_status st;
    if (run_attack(A_DOORBELL, NULL, &st, 0) != 0)
        return OMEGA_TEST_FAILED;
    EXPECT_STOPPED(st, "doorbell");
    return 0;
}

/* The header's hints and words (CPU hints, sleep flags, futex word, geometry copy) are not to be
 * trusted: garbage there changes nothing the runtime does but how it spins and wakes. */
OMEGA_TEST_TIMEOUT(iso_escape_header_garbage_is_harmless, 30)
{
    struct omega_agent_status st;
    if (run_attack(A_HEADER_HINTS, NULL, &st, 0) != 0)
        return OMEGA_TEST_FAILED;
    CHECK_MSG(st.exit_code == 0 && st.signal == 0 && !st.violation, "attacker: exit %d signal %d reason '%s'",
              st.exit_code, st.signal, st.reason);
    CHECK(st.requests == 2001);
    return 0;
}

OMEGA_TEST_TIMEOUT(iso_escape_cpu_limit, 60)
{
    struct omega_runtime_config c = {.limits.cpu_seconds = 1};
    struct omega_agent_status st;
    if (run_attack(A_CPU, &c, &st, 0) != 0)
        return OMEGA_TEST_FAILED;
    EXPECT_STOPPED(st, "CPU time limit");
    return 0;
}

OMEGA_TEST_TIMEOUT(iso_crash_kill9_mid_request, 30)
{
    struct omega_agent_status st;
    atomic_store(&slow_entered, 0);
    if (run_attack(A_SLOW, NULL, &st, 0) != 0)
        return OMEGA_TEST_FAILED;
    CHECK_MSG(st.signal == SIGKILL && strstr(st.reason, "SIGKILL"), "reason '%s'", st.reason);
    return 0;
}

/* Defence in depth: with the syscall filter off, the namespaces alone still give no file system and
 * no network. The agent reports what each attempt returned. */
static int jail_probe_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    char msg[64], out[8];
    size_t n;
    int fd = open("/etc/passwd", O_RDONLY);
    int e1 = fd < 0 ? errno : 0;
    int pm = open("/proc/1/mem", O_RDONLY);
    int e2 = pm < 0 ? errno : 0;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(22)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int c = s >= 0 ? connect(s, (struct sockaddr *)&sa, sizeof sa) : -1;
    int e3 = c < 0 ? errno : 0;
    int l = snprintf(msg, sizeof msg, "%d %d %d %d %d", fd, e1, pm, e2, e3);
    return omega_agent_call_tool(ag, "report", msg, (size_t)l, out, sizeof out, &n) == 0 ? 0 : 80;
}

OMEGA_TEST_TIMEOUT(iso_jail_without_seccomp, 30)
{
    struct iso_env e;
    struct omega_runtime_config c = {.sandbox_flags = OMEGA_SANDBOX_NO_SECCOMP};
    CHECK(iso_env_start(&e, ALLOW, &c) == 0);
    if (strstr(omega_runtime_sandbox_desc(e.rt), "namespaces: unavailable")) {
        const char *why = omega_runtime_sandbox_desc(e.rt);
        iso_env_stop(&e);
        return omega_test_skip("needs: mount+network namespaces (%s)", why);
    }
    CHECK(omega_runtime_register_tool(e.rt, "report", report_tool, NULL) == 0);
    reported[0] = 0;
    int idx = iso_spawn(&e, "jailed", jail_probe_agent, NULL, 0);
    CHECK(idx >= 0);
    struct omega_agent_status st;
    CHECK(omega_runtime_wait(e.rt, idx, 10000, &st) == 0 && st.exit_code == 0);
    int fd, e1, pm, e2, e3;
    CHECK(sscanf(reported, "%d %d %d %d %d", &fd, &e1, &pm, &e2, &e3) == 5);
    CHECK_MSG(fd < 0 && e1 == ENOENT, "open /etc/passwd: %d errno %d", fd, e1);
    CHECK_MSG(pm < 0 && e2 == ENOENT, "open /proc/1/mem: %d errno %d", pm, e2);
    CHECK_MSG(e3 == ENETUNREACH || e3 == EMFILE || e3 == EACCES, "connect to loopback: errno %d", e3);
    iso_env_stop(&e);
    return 0;
}

/* Landlock alone (no namespaces, no syscall filter): no file access, no TCP, no signal to another agent. */
static int landlock_probe_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    int victim;
    if (arglen != sizeof victim)
        return 81;
    memcpy(&victim, arg, sizeof victim);
    char msg[64], out[8];
    size_t n;
    int fd = open("/etc/passwd", O_RDONLY);
    int e1 = fd < 0 ? errno : 0;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(22)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int c = s >= 0 ? connect(s, (struct sockaddr *)&sa, sizeof sa) : -1;
    int e2 = c < 0 ? errno : 0;
    int k = kill(victim, SIGKILL);
    int e3 = k < 0 ? errno : 0;
    int l = snprintf(msg, sizeof msg, "%d %d %d %d", fd, e1, e2, e3);
    return omega_agent_call_tool(ag, "report", msg, (size_t)l, out, sizeof out, &n) == 0 ? 0 : 82;
}

OMEGA_TEST_TIMEOUT(iso_landlock_without_seccomp_or_namespaces, 30)
{
    struct iso_env e;
    struct omega_runtime_config c = {.sandbox_flags = OMEGA_SANDBOX_NO_SECCOMP | OMEGA_SANDBOX_NO_NAMESPACES};
    CHECK(iso_env_start(&e, ALLOW, &c) == 0);
    const char *desc = omega_runtime_sandbox_desc(e.rt);
    if (!strstr(desc, "landlock: ABI")) {
        char why[160];
        snprintf(why, sizeof why, "%s", desc);
        iso_env_stop(&e);
        return omega_test_skip("needs: Landlock (%s)", why);
    }
    int abi = atoi(strstr(desc, "landlock: ABI") + 14);
    CHECK(omega_runtime_register_tool(e.rt, "report", report_tool, NULL) == 0);
    int can = iso_spawn(&e, "canary", canary_agent, NULL, 0);
    CHECK(can >= 0);
    struct omega_agent_status cs;
    CHECK(omega_runtime_status(e.rt, can, &cs) == 0);
    reported[0] = 0;
    int pid = cs.pid;
    int idx = iso_spawn(&e, "locked", landlock_probe_agent, &pid, sizeof pid);
    CHECK(idx >= 0);
    struct omega_agent_status st;
    CHECK(omega_runtime_wait(e.rt, idx, 10000, &st) == 0);
    CHECK_MSG(st.exit_code == 0, "exit %d: %s", st.exit_code, st.reason);
    int fd, e1, e2, e3;
    CHECK(sscanf(reported, "%d %d %d %d", &fd, &e1, &e2, &e3) == 4);
    CHECK_MSG(fd < 0 && e1 == EACCES, "open /etc/passwd: %d errno %d", fd, e1);
    if (abi >= 4)
        CHECK_MSG(e2 == EACCES, "connect: errno %d", e2);
    if (abi >= 6)
        CHECK_MSG(e3 == EPERM, "kill of another agent: errno %d", e3);
    CHECK(omega_runtime_status(e.rt, can, &cs) == 0 && cs.state == OMEGA_AGENT_RUNNING);
    iso_env_stop(&e);
    return 0;
}
