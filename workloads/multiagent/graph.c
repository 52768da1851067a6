/* Agent graphs over the runtime and over HTTP/1.1 (graph.h). The graph logic is written once over a
 * two-call transport (send to a node, receive from any node), so both paths do the same work. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/agent.h"
#include "core/allowlist.h"
#include "core/runtime.h"
#include "workloads/multiagent/graph.h"
#include "workloads/multiagent/http.h"

#define MAX_NODES 64
#define MAX_BYTES (256u << 10)
#define MAX_ROUNDS 10000

static const char *kind_names[] = {"chain", "fanout", "supervisor"};

const char *omega_graph_kind_name(enum omega_graph_kind k) { return k <= OMEGA_GRAPH_SUPERVISOR ? kind_names[k] : "?"; }

int omega_graph_kind_parse(const char *s, enum omega_graph_kind *k)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, kind_names[i]) == 0) {
            *k = (enum omega_graph_kind)i;
            return 0;
        }
    return OMEGA_EINVAL;
}

int omega_graph_check(const struct omega_graph_spec *g, struct omega_error *err)
{
    if (g->kind > OMEGA_GRAPH_SUPERVISOR)
        OMEGA_FAIL(err, OMEGA_EINVAL, "graph: unknown kind");
    if (g->nodes < 2 || g->nodes > MAX_NODES)
        OMEGA_FAIL(err, OMEGA_EINVAL, "graph: %d nodes (2 to %d)", g->nodes, MAX_NODES);
    if (g->bytes > MAX_BYTES)
        OMEGA_FAIL(err, OMEGA_EINVAL, "graph: messages of %zu bytes (at most %u)", g->bytes, MAX_BYTES);
    if (g->rounds < 1 || g->rounds > MAX_ROUNDS || g->warmup < 0 || g->warmup > MAX_ROUNDS)
        OMEGA_FAIL(err, OMEGA_EINVAL, "graph: %d rounds (1 to %d)", g->rounds, MAX_ROUNDS);
    if (g->tasks < 0 || g->tasks > 100000)
        OMEGA_FAIL(err, OMEGA_EINVAL, "graph: %d tasks", g->tasks);
    return 0;
}

static int tasks_of(const struct omega_graph_spec *g) { return g->tasks ? g->tasks : 4 * (g->nodes - 1); }

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

/* ---- the graph logic, over a transport ---------------------------------------------------------- */

struct xport {
    int (*send)(struct xport *t, int to, const char *msg, size_t n);
    int (*recv)(struct xport *t, int *from, char *buf, size_t cap, size_t *n);
    /* send, then receive the next message from anyone: one request where the transport allows */
    int (*call)(struct xport *t, int to, const char *msg, size_t n, int *from, char *buf, size_t cap, size_t *got);
};

static int call_by_parts(struct xport *t, int to, const char *msg, size_t n, int *from, char *buf, size_t cap,
                         size_t *got)
{
    return t->send(t, to, msg, n) < 0 ? -1 : t->recv(t, from, buf, cap, got);
}

/* An A2A message/send request of at least `bytes` bytes. */
static size_t make_request(char *buf, size_t cap, int id, int task, size_t bytes)
{
    int head = snprintf(buf, cap,
                        "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"message/send\",\"params\":{\"message\":"
                        "{\"role\":\"user\",\"messageId\":\"t%d\",\"parts\":[{\"kind\":\"text\",\"text\":\"",
                        id, task);
    size_t n = (size_t)head, tail = 7;   /* "\"}]}}}" */
    size_t pad = bytes > n + tail ? bytes - n - tail : 0;
    if (n + pad + tail + 1 > cap)
        pad = cap - n - tail - 1;
    memset(buf + n, 'x', pad);
    n += pad;
    memcpy(buf + n, "\"}]}}}", 6);
    n += 6;
    buf[n] = 0;
    return n;
}

/* Parse a request, answer it: the work every node does per message on both paths. */
static size_t make_reply(const char *req, size_t n, int node, char *out, size_t cap)
{
    json_t *j = json_loadb(req, n, 0, NULL);
    json_int_t id = j ? json_integer_value(json_object_get(j, "id")) : -1;
    json_decref(j);
    int l = snprintf(out, cap,
                     "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":{\"kind\":\"message\",\"role\":\"agent\","
                     "\"parts\":[{\"kind\":\"text\",\"text\":\"done by n%d\"}]}}",
                     (long long)id, node);
    return l < 0 ? 0 : (size_t)l;
}

static int reply_ok(const char *r, size_t n, int id)
{
    json_t *j = json_loadb(r, n, 0, NULL);
    int ok = j && json_object_get(j, "result") && json_integer_value(json_object_get(j, "id")) == id;
    json_decref(j);
    return ok;
}

static int upstream_of(const struct omega_graph_spec *g, int i) { return g->kind == OMEGA_GRAPH_CHAIN ? i - 1 : 0; }

/* The root: runs warmup + rounds rounds, latencies into samples. */
static int run_root(const struct omega_graph_spec *g, struct xport *t, double *samples)
{
    static char req[MAX_BYTES + 512], rep[4096];
    int k = g->nodes, id = 0;
    for (int r = 0; r < g->warmup + g->rounds; r++) {
        double t0 = now_us();
        int from;
        size_t n;
        if (g->kind == OMEGA_GRAPH_CHAIN) {
            ++id;
            size_t l = make_request(req, sizeof req, id, id, g->bytes);
            if (t->call(t, 1, req, l, &from, rep, sizeof rep, &n) < 0 || from != 1 || !reply_ok(rep, n, id))
                return -1;
        } else if (g->kind == OMEGA_GRAPH_FANOUT) {
            int first = id + 1;
            for (int j = 1; j < k; j++) {
                size_t l = make_request(req, sizeof req, ++id, j, g->bytes);
                if (t->send(t, j, req, l) < 0)
                    return -1;
            }
            for (int j = 1; j < k; j++)
                if (t->recv(t, &from, rep, sizeof rep, &n) < 0 || from < 1 || from >= k ||
                    !reply_ok(rep, n, first + from - 1))
                    return -1;
        } else {
            int total = tasks_of(g), sent = 0, done = 0;
            int inflight[MAX_NODES];
            for (int j = 1; j < k && sent < total; j++, sent++) {
                inflight[j] = ++id;
                size_t l = make_request(req, sizeof req, id, sent, g->bytes);
                if (t->send(t, j, req, l) < 0)
                    return -1;
            }
            if (t->recv(t, &from, rep, sizeof rep, &n) < 0)
                return -1;
            for (;;) {
                if (from < 1 || from >= k || !reply_ok(rep, n, inflight[from]))
                    return -1;
                if (++done == total)
                    break;
                int rc;
                if (sent < total) {   /* the next task to the worker that just answered, and the next answer */
                    inflight[from] = ++id;
                    size_t l = make_request(req, sizeof req, id, sent++, g->bytes);
                    rc = t->call(t, from, req, l, &from, rep, sizeof rep, &n);
                } else {
                    rc = t->recv(t, &from, rep, sizeof rep, &n);
                }
                if (rc < 0)
                    return -1;
            }
        }
        if (r >= g->warmup)
            samples[r - g->warmup] = now_us() - t0;
    }
    return 0;
}

/* Any other node: serve until the upstream says quit (or goes away). */
static int run_node(const struct omega_graph_spec *g, int i, struct xport *t)
{
    static char msg[MAX_BYTES + 512], rep[4096], down[4096];
    int up = upstream_of(g, i), has_down = g->kind == OMEGA_GRAPH_CHAIN && i + 1 < g->nodes;
    int from;
    size_t n;
    int rc = t->recv(t, &from, msg, sizeof msg, &n);
    for (;;) {
        if (rc < 0 || (n == 4 && memcmp(msg, "quit", 4) == 0)) {   /* the upstream is done (or gone) */
            if (has_down)
                t->send(t, i + 1, "quit", 4);
            return 0;
        }
        if (from != up)
            return 3;
        if (has_down) {
            size_t m;
            int dfrom;
            if (t->call(t, i + 1, msg, n, &dfrom, down, sizeof down, &m) < 0 || dfrom != i + 1)
                return 4;
        }
        size_t l = make_reply(msg, n, i, rep, sizeof rep);
        rc = t->call(t, up, rep, l, &from, msg, sizeof msg, &n);   /* the answer up, and the next request */
        if (rc < 0 && t->call != call_by_parts)
            return 5;   /* through the runtime a refused answer is an error; over HTTP a closed peer ends it */
    }
}

/* ---- over the runtime --------------------------------------------------------------------------- */

struct agent_xport {
    struct xport x;
    struct omega_agent *ag;
};

static int ax_send(struct xport *t, int to, const char *msg, size_t n)
{
    char peer[16];
    snprintf(peer, sizeof peer, "n%d", to);
    return omega_agent_send(((struct agent_xport *)t)->ag, peer, msg, n);
}

static int ax_recv(struct xport *t, int *from, char *buf, size_t cap, size_t *n)
{
    char id[OMEGA_AGENT_ID_MAX];
    int rc = omega_agent_recv(((struct agent_xport *)t)->ag, id, sizeof id, buf, cap, n, 0);
    if (rc < 0)
        return rc;
    *from = id[0] == 'n' ? atoi(id + 1) : -1;
    return *n <= cap ? 0 : OMEGA_EQUOTA;
}

static int ax_call(struct xport *t, int to, const char *msg, size_t n, int *from, char *buf, size_t cap, size_t *got)
{
    char peer[16], id[OMEGA_AGENT_ID_MAX];
    snprintf(peer, sizeof peer, "n%d", to);
    int rc = omega_agent_send_recv(((struct agent_xport *)t)->ag, peer, msg, n, id, sizeof id, buf, cap, got);
    if (rc < 0)
        return rc;
    *from = id[0] == 'n' ? atoi(id + 1) : -1;
    return *got <= cap ? 0 : OMEGA_EQUOTA;
}

int omega_graph_agent(struct omega_agent *ag, const void *arg, size_t arglen)
{
    struct omega_graph_node_arg a;
    if (arglen != sizeof a)
        return 2;
    memcpy(&a, arg, sizeof a);
    struct agent_xport t = {{ax_send, ax_recv, ax_call}, ag};
    if (a.index != 0)
        return run_node(&a.spec, a.index, &t.x);
    static double samples[MAX_ROUNDS];
    if (run_root(&a.spec, &t.x, samples) < 0)
        return 6;
    for (int j = 1; j < a.spec.nodes; j++)
        if (a.spec.kind != OMEGA_GRAPH_CHAIN || j == 1)
            (void)ax_send(&t.x, j, "quit", 4);
    size_t olen;
    return omega_agent_call_tool(ag, "graph.samples", samples, (size_t)a.spec.rounds * sizeof(double), NULL, 0, &olen) == 0
               ? 0 : 7;
}

struct samples_sink {
    double *samples;
    size_t n;
};

static int samples_tool(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    struct samples_sink *s = ctx;
    (void)rp;
    if (rq->len != s->n * sizeof(double))
        return OMEGA_EINVAL;
    memcpy(s->samples, rq->payload, rq->len);
    return 0;
}

int omega_graph_run_omega(const struct omega_graph_spec *g, struct omega_monitor *mon, double *samples,
                          struct omega_error *err)
{
    OMEGA_TRY(omega_graph_check(g, err));
    struct omega_monitor own;
    struct omega_allowlist *al = NULL;
    if (!mon) {   /* the graph's own edges, both ways, and nothing else */
        static char text[MAX_NODES * 160 + 256];
        size_t l = (size_t)snprintf(text, sizeof text,
                                    "{\"allow\": [{\"agent\": \"n0\", \"action\": \"tools/call\", \"target\": \"graph.samples\"}");
        for (int i = 1; i < g->nodes; i++) {
            int up = upstream_of(g, i);
            l += (size_t)snprintf(text + l, sizeof text - l,
                                  ", {\"agent\": \"n%d\", \"action\": \"send\", \"target\": \"n%d\"}"
                                  ", {\"agent\": \"n%d\", \"action\": \"send\", \"target\": \"n%d\"}",
                                  up, i, i, up);
        }
        l += (size_t)snprintf(text + l, sizeof text - l, "]}");
        if (!(al = omega_allowlist_parse(text, l, err)))
            return err ? err->code : OMEGA_EINVAL;
        omega_monitor_init(&own);
        omega_allowlist_install(&own, al);
        mon = &own;
    }
    size_t ring = 64u << 10;
    while (ring < 2 * (g->bytes + 1024))
        ring <<= 1;
    struct omega_runtime_config cfg = {.max_agents = (size_t)g->nodes, .ring_bytes = ring};
    struct omega_runtime *rt = omega_runtime_new(&cfg, mon, err);
    int rc = rt ? 0 : OMEGA_EIO;
    struct samples_sink sink = {samples, (size_t)g->rounds};
    if (rc == 0)
        rc = omega_runtime_register_tool(rt, "graph.samples", samples_tool, &sink);
    /* Workers first, so the root finds every peer. */
    for (int i = g->nodes - 1; i >= 0 && rc == 0; i--) {
        struct omega_graph_node_arg a = {*g, i};
        char id[16];
        snprintf(id, sizeof id, "n%d", i);
        int idx = omega_runtime_spawn(rt, id, omega_graph_agent, &a, sizeof a, err);
        if (idx < 0)
            rc = idx;
    }
    if (rc == 0) {
        struct omega_agent_status st;
        int root = g->nodes - 1;   /* spawned last */
        /* Wait for the root, but stop at once when any node fails: the root would wait forever. */
        for (int ms = 0; ms < 600000; ms += 10) {
            rc = omega_runtime_wait(rt, root, 10, &st);
            if (rc != OMEGA_ETIMEOUT)
                break;
            for (int i = 0; i < root && rc == OMEGA_ETIMEOUT; i++) {
                struct omega_agent_status ns;
                if (omega_runtime_status(rt, i, &ns) == 0 && ns.state == OMEGA_AGENT_STOPPED &&
                    (ns.exit_code != 0 || ns.signal))
                    rc = omega_error_set(err, OMEGA_EPEER, __FILE__, __LINE__, "graph %s: node %s: %s",
                                         omega_graph_kind_name(g->kind), ns.id, ns.reason);
            }
            if (rc != OMEGA_ETIMEOUT)
                break;
        }
        if (rc == 0 && (st.exit_code != 0 || st.signal))
            rc = omega_error_set(err, OMEGA_EPEER, __FILE__, __LINE__, "graph %s: root agent: %s",
                                 omega_graph_kind_name(g->kind), st.reason);
        for (int i = 0; i < root && rc == 0; i++) {
            if (omega_runtime_wait(rt, i, 5000, &st) < 0 || st.exit_code != 0 || st.signal)
                rc = omega_error_set(err, OMEGA_EPEER, __FILE__, __LINE__, "graph %s: node %s: %s",
                                     omega_graph_kind_name(g->kind), st.id, st.reason);
        }
    }
    omega_runtime_free(rt);
    omega_allowlist_free(al);
    return rc;
}

/* ---- over HTTP/1.1 -------------------------------------------------------------------------------- */

struct hconn {
    int upstream;     /* 1: this node serves requests on it; 0: it sends requests on it */
    struct omega_http_conn c;
};

struct http_xport {
    struct xport x;
    struct hconn *conn[MAX_NODES];   /* by peer node */
};

static int hx_send(struct xport *t, int to, const char *msg, size_t n)
{
    struct hconn *h = ((struct http_xport *)t)->conn[to];
    if (!h)
        return -1;
    char host[16];
    snprintf(host, sizeof host, "n%d", to);
    return h->upstream ? omega_http_respond(&h->c, msg, n) : omega_http_post(&h->c, host, msg, n);
}

static int hx_recv(struct xport *t, int *from, char *buf, size_t cap, size_t *n)
{
    struct http_xport *h = (struct http_xport *)t;
    int who = -1;
    for (int i = 0; i < MAX_NODES && who < 0; i++)   /* a message already buffered comes first */
        if (h->conn[i] && memmem(h->conn[i]->c.buf, h->conn[i]->c.len, "\r\n\r\n", 4))
            who = i;
    if (who < 0) {
        struct pollfd p[MAX_NODES];
        int map[MAX_NODES], np = 0;
        for (int i = 0; i < MAX_NODES; i++)
            if (h->conn[i]) {
                p[np] = (struct pollfd){.fd = h->conn[i]->c.fd, .events = POLLIN};
                map[np++] = i;
            }
        if (poll(p, (nfds_t)np, -1) <= 0)
            return -1;
        for (int k = 0; k < np && who < 0; k++)
            if (p[k].revents)
                who = map[k];
    }
    long l = omega_http_read(&h->conn[who]->c, buf, cap);
    if (l < 0)
        return -1;
    *from = who;
    *n = (size_t)l;
    return 0;
}

static struct hconn *conn_new(int fd, int upstream)
{
    struct hconn *h = calloc(1, sizeof *h);
    if (!h || fd < 0)
        _exit(9);
    omega_http_conn_init(&h->c, fd);
    h->upstream = upstream;
    return h;
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

int omega_graph_run_http(const struct omega_graph_spec *g, double *samples, struct omega_error *err)
{
    OMEGA_TRY(omega_graph_check(g, err));
    int lfd[MAX_NODES];
    uint16_t port[MAX_NODES];
    int pfd[2];
    if (pipe(pfd) < 0)
        OMEGA_FAIL(err, OMEGA_EIO, "graph http: pipe: %s", strerror(errno));
    for (int i = 1; i < g->nodes; i++) {
        lfd[i] = omega_http_listen(&port[i]);
        if (lfd[i] < 0) {
            int e = errno;
            for (int j = 1; j < i; j++)
                close(lfd[j]);
            close(pfd[0]);
            close(pfd[1]);
            OMEGA_FAIL(err, OMEGA_EIO, "graph http: loopback listen: %s", strerror(e));
        }
    }
    pid_t pids[MAX_NODES];
    for (int i = g->nodes - 1; i >= 0; i--) {
        pids[i] = fork();
        if (pids[i] != 0)
            continue;
        static struct http_xport h;
        memset(&h, 0, sizeof h);
        h.x = (struct xport){hx_send, hx_recv, call_by_parts};
        int rc;
        close(pfd[0]);
        if (i == 0) {
            for (int j = 1; j < g->nodes; j++)
                if (g->kind != OMEGA_GRAPH_CHAIN || j == 1)
                    h.conn[j] = conn_new(omega_http_connect(port[j]), 0);
            static double s[MAX_ROUNDS];
            rc = run_root(g, &h.x, s);
            if (rc == 0 && write(pfd[1], s, (size_t)g->rounds * sizeof(double)) != (ssize_t)((size_t)g->rounds * sizeof(double)))
                rc = -1;
        } else {
            h.conn[upstream_of(g, i)] = conn_new(accept(lfd[i], NULL, NULL), 1);
            if (g->kind == OMEGA_GRAPH_CHAIN && i + 1 < g->nodes)
                h.conn[i + 1] = conn_new(omega_http_connect(port[i + 1]), 0);
            rc = run_node(g, i, &h.x);
        }
        _exit(rc == 0 ? 0 : 1);   /* closing the connections tells the downstream nodes to end */
    }
    close(pfd[1]);
    for (int i = 1; i < g->nodes; i++)
        close(lfd[i]);
    int rc = read_full(pfd[0], samples, (size_t)g->rounds * sizeof(double));
    close(pfd[0]);
    int bad = 0;
    for (int i = 0; i < g->nodes; i++) {
        int st;
        if (pids[i] > 0 && (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
            bad = 1;
    }
    if (rc < 0 || bad)
        OMEGA_FAIL(err, OMEGA_EIO, "graph http: %s failed", omega_graph_kind_name(g->kind));
    return 0;
}
