/* omega bench isolation: agent start-up, channel round trip, agent-to-agent latency against
 * HTTP/1.1 over loopback TCP, and memory per agent at scale (issue 2, item 6). */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "core/agent.h"
#include "core/allowlist.h"
#include "core/cli.h"
#include "core/monitor.h"
#include "core/runtime.h"
#include "core/util.h"
#include "workloads/multiagent/http.h"

#define NSIZES 8
static const size_t a2a_sizes[NSIZES] = {64, 256, 1024, 4096, 8192, 65536, 262144, 1048576};
#define MAX_ITERS 5000
#define ACK_BYTES 16

struct plan {
    int iters[NSIZES];
    int warmup;
    int rtt_iters;
};

/* Samples come back from the agents through a tool: u32 tag, then doubles (µs). */
static double *samples[NSIZES + 1];
static size_t nsamples[NSIZES + 1];

static int samples_tool(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    (void)ctx;
    (void)rp;
    uint32_t tag;
    if (rq->len < 4)
        return OMEGA_EINVAL;
    memcpy(&tag, rq->payload, 4);
    size_t n = (rq->len - 4) / sizeof(double);
    if (tag > NSIZES || n > MAX_ITERS)
        return OMEGA_EINVAL;
    memcpy(samples[tag], rq->payload + 4, n * sizeof(double));
    nsamples[tag] = n;
    return 0;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

static int send_samples(struct omega_agent *ag, uint32_t tag, const double *s, size_t n)
{
    static uint8_t buf[4 + MAX_ITERS * sizeof(double)];
    memcpy(buf, &tag, 4);
    memcpy(buf + 4, s, n * sizeof(double));
    size_t olen;
    return omega_agent_call_tool(ag, "bench.samples", buf, 4 + n * sizeof(double), NULL, 0, &olen);
}

static void fill_payload(uint8_t *p, size_t n)
{
    /* an A2A-style JSON-RPC body padded to n bytes, the same bytes on both paths */
    static const char head[] = "{\"jsonrpc\":\"2.0\",\"method\":\"message/send\",\"params\":{\"text\":\"";
    memset(p, 'x', n);
    memcpy(p, head, n < sizeof head - 1 ? n : sizeof head - 1);
    if (n >= 3)
        memcpy(p + n - 3, "\"}}", 3);
}

/* ---- agents ------------------------------------------------------------------------------------- */

static int rtt_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    struct plan p;
    if (arglen != sizeof p)
        return 2;
    memcpy(&p, arg, sizeof p);
    static double s[MAX_ITERS];
    uint8_t in[64], out[64];
    fill_payload(in, sizeof in);
    size_t n;
    for (int i = 0; i < p.warmup + p.rtt_iters; i++) {
        double t0 = now_us();
        if (omega_agent_call_tool(ag, "echo", in, sizeof in, out, sizeof out, &n) != 0 || n != sizeof in)
            return 3;
        if (i >= p.warmup)
            s[i - p.warmup] = now_us() - t0;
    }
    return send_samples(ag, NSIZES, s, (size_t)p.rtt_iters) == 0 ? 0 : 4;
}

/* The peer answers each message with a 16-byte ack and waits for the next, in one request. */
static int a2a_server(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    static uint8_t buf[(1 << 20) + 64];
    uint8_t ack[ACK_BYTES];
    memcpy(ack, "{\"ok\":true}     ", ACK_BYTES);
    char from[OMEGA_AGENT_ID_MAX];
    size_t n;
    if (omega_agent_recv(ag, from, sizeof from, buf, sizeof buf, &n, 0) != 0)
        return 5;
    for (;;) {
        if (n == 4 && memcmp(buf, "quit", 4) == 0)
            return 0;
        char to[OMEGA_AGENT_ID_MAX];
        memcpy(to, from, sizeof to);
        if (omega_agent_send_recv(ag, to, ack, sizeof ack, from, sizeof from, buf, sizeof buf, &n) != 0)
            return 6;
    }
}

/* An A2A call (message out, ack back) is one request for the caller, like an HTTP request/response. */
static int a2a_client(struct omega_agent *ag, const void *arg, size_t arglen)
{
    struct plan p;
    if (arglen != sizeof p)
        return 2;
    memcpy(&p, arg, sizeof p);
    static uint8_t msg[1 << 20], ack[64];
    static double s[MAX_ITERS];
    for (int k = 0; k < NSIZES; k++) {
        fill_payload(msg, a2a_sizes[k]);
        for (int i = 0; i < p.warmup + p.iters[k]; i++) {
            double t0 = now_us();
            char from[OMEGA_AGENT_ID_MAX];
            size_t n;
            if (omega_agent_send_recv(ag, "server", msg, a2a_sizes[k], from, sizeof from, ack, sizeof ack, &n) != 0 ||
                n != ACK_BYTES)
                return 8;
            if (i >= p.warmup)
                s[i - p.warmup] = now_us() - t0;
        }
        if (send_samples(ag, (uint32_t)k, s, (size_t)p.iters[k]) != 0)
            return 9;
    }
    return omega_agent_send(ag, "server", "quit", 4) == 0 ? 0 : 10;
}

static int idle_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    char out[16], from[OMEGA_AGENT_ID_MAX];
    size_t n;
    if (omega_agent_call_tool(ag, "echo", "up", 2, out, sizeof out, &n) != 0)
        return 11;
    return omega_agent_recv(ag, from, sizeof from, out, sizeof out, &n, 0) == 0 ? 0 : 12;
}

/* ---- HTTP/1.1 over loopback TCP: the baseline --------------------------------------------------- */

static void http_server(int lfd)
{
    static struct omega_http_conn c;
    static uint8_t body[(1 << 20) + 64];
    omega_http_conn_init(&c, accept(lfd, NULL, NULL));
    for (;;) {
        long n = omega_http_read(&c, body, sizeof body);
        if (n < 0 || (n == 4 && memcmp(body, "quit", 4) == 0))
            _exit(0);
        if (omega_http_respond(&c, "{\"ok\":true}     ", ACK_BYTES) < 0)
            _exit(1);
    }
}

static void http_client(uint16_t port, const struct plan *p, int out_fd)
{
    static struct omega_http_conn c;
    static uint8_t msg[1 << 20], ack[64];
    static double s[MAX_ITERS];
    omega_http_conn_init(&c, omega_http_connect(port));
    if (c.fd < 0)
        _exit(1);
    for (int k = 0; k < NSIZES; k++) {
        fill_payload(msg, a2a_sizes[k]);
        for (int i = 0; i < p->warmup + p->iters[k]; i++) {
            double t0 = now_us();
            if (omega_http_post(&c, "server", msg, a2a_sizes[k]) < 0 || omega_http_read(&c, ack, sizeof ack) != ACK_BYTES)
                _exit(2);
            if (i >= p->warmup)
                s[i - p->warmup] = now_us() - t0;
        }
        uint32_t n = (uint32_t)p->iters[k];
        if (omega_http_write_all(out_fd, &n, 4) < 0 || omega_http_write_all(out_fd, s, n * sizeof(double)) < 0)
            _exit(3);
    }
    (void)omega_http_post(&c, "server", "quit", 4);
    _exit(0);
}

static int read_full(int fd, void *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)p + got, n - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/* Runs the HTTP baseline in two plain processes; fills hs[k] with its samples. */
static int run_http(const struct plan *p, double *hs[NSIZES], size_t hn[NSIZES])
{
    uint16_t port;
    int lfd = omega_http_listen(&port), pfd[2];
    if (lfd < 0 || pipe(pfd) < 0) {
        fprintf(stderr, "omega bench isolation: loopback TCP: %s\n", strerror(errno));
        if (lfd >= 0)
            close(lfd);
        return -1;
    }
    pid_t srv = fork();
    if (srv == 0)
        http_server(lfd);
    pid_t cli = fork();
    if (cli == 0) {
        close(pfd[0]);
        http_client(port, p, pfd[1]);
    }
    close(lfd);
    close(pfd[1]);
    int rc = srv < 0 || cli < 0 ? -1 : 0;
    for (int k = 0; k < NSIZES && rc == 0; k++) {
        uint32_t n;
        if (read_full(pfd[0], &n, 4) < 0 || n > MAX_ITERS || read_full(pfd[0], hs[k], n * sizeof(double)) < 0)
            rc = -1;
        else
            hn[k] = n;
    }
    close(pfd[0]);
    int st = 0;
    if (cli > 0)
        waitpid(cli, &st, 0);
    if (srv > 0)
        waitpid(srv, NULL, 0);
    if (rc < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "omega bench isolation: the HTTP baseline failed\n");
        return -1;
    }
    return 0;
}

/* ---- memory --------------------------------------------------------------------------------------- */

static long smaps_field(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long v = -1, sum = 0;
    size_t fl = strlen(field);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
            v = strtol(line + fl + 1, NULL, 10);
            sum += v;
        }
    }
    fclose(f);
    return v < 0 ? -1 : sum;
}

static long self_rss_kib(void)
{
    return smaps_field(getpid(), "Rss");
}

/* ---- the suite ------------------------------------------------------------------------------------ */

static int counting_record(void *ctx, const struct omega_action *a, const struct omega_decision *d,
                           const uint8_t io_digest[32], uint64_t *seq)
{
    (void)a;
    (void)d;
    (void)io_digest;
    *seq = ++*(uint64_t *)ctx;
    return 0;
}

static const char *ALLOW =
    "{\"allow\": [{\"agent\": \"*\", \"action\": \"tools/call\", \"target\": \"echo\"},"
    "{\"agent\": \"*\", \"action\": \"tools/call\", \"target\": \"bench.samples\"},"
    "{\"agent\": \"client\", \"action\": \"send\", \"target\": \"server\"},"
    "{\"agent\": \"server\", \"action\": \"send\", \"target\": \"client\"}]}";

static void usage(FILE *f)
{
    fprintf(f, "usage: omega bench isolation [--agents N] [--spin-us N] [--agent-spin-us N] [--pin] [--json]\n"
               "                              [--quick]\n"
               "  --agents N   agents started for agent_start_us and agent_rss_kib (default 1000, --quick 100)\n"
               "  --spin-us N  runtime busy-polls N us before sleeping (default 50); --agent-spin-us N: agents (50)\n"
               "  --pin        serve thread alone on the last CPU, agents on the others (runtime config pin)\n"
               "metrics: agent_start_us, agent_start_step_us, channel_rtt_us, a2a_latency_us (baseline: HTTP/1.1\n"
               "over loopback TCP), agent_rss_kib, runtime_kib_per_agent\n");
}

int omega_bench_isolation(struct omega_bench *b, int argc, char **argv)
{
    int quick = omega_bench_quick(b);
    long nagents = quick ? 100 : 1000;
    unsigned spin_us = 0, agent_spin_us = 0;
    int pin = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--agents") == 0 && i + 1 < argc) {
            char *end;
            nagents = strtol(argv[++i], &end, 10);
            if (*end || nagents < 1 || nagents > 4000)
                return omega_cli_usage("bench isolation", "--agents takes 1 to 4000, not '%s'", argv[i]);
        } else if (strcmp(argv[i], "--pin") == 0) {
            pin = 1;
        } else if ((strcmp(argv[i], "--spin-us") == 0 || strcmp(argv[i], "--agent-spin-us") == 0) && i + 1 < argc) {
            char *end;
            unsigned long v = strtoul(argv[i + 1], &end, 10);
            if (*end || v > 100000)
                return omega_cli_usage("bench isolation", "%s takes 0 to 100000", argv[i]);
            *(argv[i][2] == 's' ? &spin_us : &agent_spin_us) = v ? (unsigned)v : 1;
            i++;
        } else {
            return omega_cli_usage("bench isolation", "unknown option '%s'", argv[i]);
        }
    }
    struct plan p = {.warmup = quick ? 20 : 200, .rtt_iters = quick ? 1000 : MAX_ITERS};
    for (int k = 0; k < NSIZES; k++)
        p.iters[k] = a2a_sizes[k] <= 8192 ? (quick ? 300 : 3000) : a2a_sizes[k] <= 262144 ? (quick ? 60 : 500)
                                                                                            : (quick ? 20 : 150);
    double *hs[NSIZES];
    size_t hn[NSIZES] = {0};
    for (int k = 0; k <= NSIZES; k++) {
        samples[k] = calloc(MAX_ITERS, sizeof(double));
        nsamples[k] = 0;
        if (k < NSIZES)
            hs[k] = calloc(MAX_ITERS, sizeof(double));
    }
    int rc = OMEGA_EXIT_INTERNAL;
    struct omega_error err = {0};
    struct omega_allowlist *al = omega_allowlist_parse(ALLOW, strlen(ALLOW), &err);
    struct omega_monitor mon;
    uint64_t recs = 0;
    omega_monitor_init(&mon);
    omega_allowlist_install(&mon, al);
    omega_monitor_set_recorder(&mon, counting_record, &recs);
    struct omega_runtime_config cfg = {.max_agents = (size_t)nagents + 8, .spin_us = spin_us,
                                       .agent_spin_us = agent_spin_us, .pin = pin};
    struct omega_runtime *rt = NULL;
    json_t *params = NULL;

    /* 1. HTTP baseline first, while no agent spins. */
    if (run_http(&p, hs, hn) < 0)
        goto out;
    /* 2. Channel round trip and A2A, one runtime. */
    long rss0 = self_rss_kib();
    rt = omega_runtime_new(&cfg, &mon, &err);
    if (!rt || omega_runtime_register_tool(rt, "bench.samples", samples_tool, NULL) < 0)
        goto fail;
    omega_bench_fact(b, "sandbox", json_string(omega_runtime_sandbox_desc(rt)));
    omega_bench_fact(b, "spin_us", json_integer(spin_us ? spin_us : 50));
    omega_bench_fact(b, "agent_spin_us", json_integer(agent_spin_us ? agent_spin_us : 50));
    omega_bench_fact(b, "pin", json_boolean(pin));
    /* Latency here depends on idle cores: keep the load the run started under. */
    FILE *la = fopen("/proc/loadavg", "r");
    char lbuf[64] = "";
    if (la) {
        if (!fgets(lbuf, sizeof lbuf, la))
            lbuf[0] = 0;
        fclose(la);
        lbuf[strcspn(lbuf, "\n")] = 0;
        omega_bench_fact(b, "loadavg_at_start", json_string(lbuf));
    }
    int ia = omega_runtime_spawn(rt, "rtt", rtt_agent, &p, sizeof p, &err);
    if (ia < 0)
        goto fail;
    struct omega_agent_status st;
    if (omega_runtime_wait(rt, ia, 120000, &st) < 0 || st.exit_code != 0 || st.signal) {
        fprintf(stderr, "omega bench isolation: rtt agent: %s\n", st.reason);
        goto out;
    }
    int is = omega_runtime_spawn(rt, "server", a2a_server, NULL, 0, &err);
    int ic = is < 0 ? is : omega_runtime_spawn(rt, "client", a2a_client, &p, sizeof p, &err);
    if (ic < 0)
        goto fail;
    if (omega_runtime_wait(rt, ic, 300000, &st) < 0 || st.exit_code != 0 || st.signal) {
        fprintf(stderr, "omega bench isolation: a2a client: %s (exit %d)\n", st.reason, st.exit_code);
        goto out;
    }
    omega_bench_progress(b, "a2a", 1, 3);

    /* 3. Start-up and memory at scale. */
    double *start = calloc((size_t)nagents, sizeof(double)), *steps[OMEGA_STEP_COUNT];
    double *pss = calloc((size_t)nagents, sizeof(double)), *priv = calloc((size_t)nagents, sizeof(double));
    for (int s = 0; s < OMEGA_STEP_COUNT; s++)
        steps[s] = calloc((size_t)nagents, sizeof(double));
    int first = omega_runtime_count(rt);
    long got = 0;
    for (long i = 0; i < nagents; i++) {
        char id[32];
        snprintf(id, sizeof id, "idle%ld", i);
        int idx = omega_runtime_spawn(rt, id, idle_agent, NULL, 0, &err);
        if (idx < 0)
            break;
        struct omega_agent_status s;
        if (omega_runtime_status(rt, idx, &s) < 0)
            break;
        start[got] = (double)s.start_ns / 1e3;
        uint64_t prev = 0;
        for (int k = 0; k < OMEGA_STEP_COUNT; k++) {
            steps[k][got] = s.step_ns[k] > prev ? (double)(s.step_ns[k] - prev) / 1e3 : 0;
            if (s.step_ns[k])
                prev = s.step_ns[k];
        }
        got++;
        omega_bench_progress(b, "agents", (size_t)got, (size_t)nagents);
    }
    if (got < nagents)
        fprintf(stderr, "omega bench isolation: started %ld of %ld agents: %s\n", got, nagents, err.msg);
    /* Let every agent reach its recv, then measure. */
    for (int spins = 0; spins < 200 && omega_runtime_served(rt) < (uint64_t)(got + 0); spins++)
        usleep(10000);
    long npss = 0;
    for (long i = 0; i < got; i++) {
        struct omega_agent_status s;
        if (omega_runtime_status(rt, first + (int)i, &s) < 0 || s.state != OMEGA_AGENT_RUNNING)
            continue;
        long v = smaps_field(s.pid, "Pss"), pc = smaps_field(s.pid, "Private_Clean"),
             pd = smaps_field(s.pid, "Private_Dirty");
        if (v < 0)
            continue;
        pss[npss] = (double)v;
        priv[npss++] = (double)(pc + pd);
    }
    long rss1 = self_rss_kib();
    char note[200];

    snprintf(note, sizeof note, "sandboxed process ready to serve (fork from zygote, namespaces, rlimits, seccomp); %ld agents",
             got);
    params = json_pack("{s:i}", "agents", (json_int_t)got);
    omega_bench_metric(b, &(struct omega_metric){.name = "agent_start_us", .unit = "us", .samples = start,
                                                 .n = (size_t)got, .params = params, .note = note});
    json_decref(params);
    for (int k = 0; k < OMEGA_STEP_COUNT; k++) {
        params = json_pack("{s:s}", "step", omega_sandbox_step_name(k));
        omega_bench_metric(b, &(struct omega_metric){.name = "agent_start_step_us", .unit = "us", .samples = steps[k],
                                                     .n = (size_t)got, .params = params,
                                                     .note = k == 0 ? "spawn call to the child's first instruction: memfd, eventfd, zygote round trip, clone" : NULL});
        json_decref(params);
    }
    params = json_pack("{s:i, s:s}", "bytes", 64, "hook", "allow-list decision + provenance record (SHA-256)");
    omega_bench_metric(b, &(struct omega_metric){.name = "channel_rtt_us", .unit = "us", .samples = samples[NSIZES],
                                                 .n = nsamples[NSIZES], .params = params,
                                                 .note = "tools/call echo, agent -> runtime -> agent, timed in the agent; its JSON "
                                                         "arguments are not parsed (neither the allow-list nor echo reads them)"});
    json_decref(params);
    char datbuf[4096];
    size_t dl = 0;
    dl += (size_t)snprintf(datbuf + dl, sizeof datbuf - dl, "# bytes omega_p50 omega_p99 http_p50 http_p99\n");
    for (int k = 0; k < NSIZES; k++) {
        struct omega_stats so, sh;
        double *cpy = malloc(hn[k] * sizeof(double) + 1);
        memcpy(cpy, hs[k], hn[k] * sizeof(double));
        omega_stats_compute(cpy, hn[k], &sh);
        free(cpy);
        cpy = malloc(nsamples[k] * sizeof(double) + 1);
        memcpy(cpy, samples[k], nsamples[k] * sizeof(double));
        omega_stats_compute(cpy, nsamples[k], &so);
        free(cpy);
        params = json_pack("{s:i}", "bytes", (json_int_t)a2a_sizes[k]);
        omega_bench_metric(b, &(struct omega_metric){
            .name = "a2a_latency_us", .unit = "us", .samples = samples[k], .n = nsamples[k], .params = params,
            .has_baseline = 1, .baseline = sh.p50,
            .note = "round trip: message to a peer agent and a 16-byte ack, through the runtime with the policy hook on; "
                    "baseline: HTTP/1.1 POST over loopback TCP (keep-alive, TCP_NODELAY) between two processes"});
        json_decref(params);
        dl += (size_t)snprintf(datbuf + dl, sizeof datbuf - dl, "%zu %.3f %.3f %.3f %.3f\n", a2a_sizes[k], so.p50,
                               so.p99, sh.p50, sh.p99);
    }
    omega_bench_file(b, "a2a.dat", datbuf, dl);
    omega_bench_plot(b, "a2a_latency",
                     "set title 'Agent-to-agent round trip: Omega channels vs HTTP/1.1 over loopback'\n"
                     "set xlabel 'message bytes'\nset ylabel 'latency p50 (us)'\nset logscale xy\nset grid\n"
                     "set key top left\nset format x '%.0s%cB'\n"
                     "plot 'a2a.dat' using 1:2 with linespoints lw 2 title 'Omega runtime (policy hook on)', \\\n"
                     "     'a2a.dat' using 1:4 with linespoints lw 2 title 'HTTP/1.1 loopback TCP'");
    if (npss) {
        params = json_pack("{s:i, s:s}", "agents", (json_int_t)npss, "measure", "Pss");
        omega_bench_metric(b, &(struct omega_metric){.name = "agent_rss_kib", .unit = "KiB", .samples = pss, .n = (size_t)npss,
                                                     .params = params,
                                                     .note = "proportional set size of one idle agent process (smaps_rollup Pss)"});
        json_decref(params);
        params = json_pack("{s:i}", "agents", (json_int_t)npss);
        omega_bench_metric(b, &(struct omega_metric){.name = "agent_private_kib", .unit = "KiB", .samples = priv,
                                                     .n = (size_t)npss, .params = params,
                                                     .note = "private pages of one idle agent (Private_Clean + Private_Dirty)"});
        json_decref(params);
    } else {
        fprintf(stderr, "omega bench isolation: cannot read the agents' smaps_rollup (not root?); no agent_rss_kib\n");
    }
    if (rss0 > 0 && rss1 > 0 && got > 0) {
        params = json_pack("{s:i}", "agents", (json_int_t)got);
        omega_bench_metric(b, &(struct omega_metric){.name = "runtime_kib_per_agent", .unit = "KiB",
                                                     .value = (double)(rss1 - rss0) / (double)got, .params = params,
                                                     .note = "growth of the runtime process's RSS per agent"});
        json_decref(params);
    }
    free(start);
    free(pss);
    free(priv);
    for (int s = 0; s < OMEGA_STEP_COUNT; s++)
        free(steps[s]);
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "omega bench isolation: %s\n", err.msg);
out:
    omega_runtime_free(rt);
    omega_allowlist_free(al);
    for (int k = 0; k <= NSIZES; k++) {
        free(samples[k]);
        if (k < NSIZES)
            free(hs[k]);
    }
    return rc;
}
