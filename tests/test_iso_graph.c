/* Multi-agent graphs over the runtime and over HTTP (prefix iso_graph). */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/allowlist.h"
#include "core/monitor.h"
#include "tests/test.h"
#include "workloads/multiagent/graph.h"
#include "workloads/multiagent/http.h"

static int run_both(enum omega_graph_kind kind, int nodes, size_t bytes)
{
    struct omega_graph_spec g = {.kind = kind, .nodes = nodes, .bytes = bytes, .rounds = 20, .warmup = 2};
    double so[20] = {0}, sh[20] = {0};
    struct omega_error err = {0};
    CHECK_MSG(omega_graph_run_omega(&g, NULL, so, &err) == 0, "omega %s: %s", omega_graph_kind_name(kind), err.msg);
    CHECK_MSG(omega_graph_run_http(&g, sh, &err) == 0, "http %s: %s", omega_graph_kind_name(kind), err.msg);
    for (int i = 0; i < 20; i++)
        CHECK(so[i] > 0 && sh[i] > 0);
    return 0;
}

OMEGA_TEST_TIMEOUT(iso_graph_chain, 60) { return run_both(OMEGA_GRAPH_CHAIN, 4, 1024); }
OMEGA_TEST_TIMEOUT(iso_graph_fanout, 60) { return run_both(OMEGA_GRAPH_FANOUT, 5, 4096); }
OMEGA_TEST_TIMEOUT(iso_graph_supervisor, 60) { return run_both(OMEGA_GRAPH_SUPERVISOR, 4, 256); }

/* Inter-agent policy: a graph whose edge n1 -> n2 is not allowed cannot complete, and says so. */
OMEGA_TEST_TIMEOUT(iso_graph_denied_edge_fails, 60)
{
    const char *text = "{\"allow\": [{\"agent\": \"n0\", \"action\": \"send\", \"target\": \"n1\"},"
                       "{\"agent\": \"n1\", \"action\": \"send\", \"target\": \"n0\"},"
                       "{\"agent\": \"*\", \"action\": \"tools/call\", \"target\": \"graph.samples\"}]}";
    struct omega_error err = {0};
    struct omega_allowlist *al = omega_allowlist_parse(text, strlen(text), &err);
    CHECK(al);
    struct omega_monitor mon;
    omega_monitor_init(&mon);
    omega_allowlist_install(&mon, al);
    struct omega_graph_spec g = {.kind = OMEGA_GRAPH_CHAIN, .nodes = 3, .bytes = 64, .rounds = 2};
    double s[2];
    CHECK(omega_graph_run_omega(&g, &mon, s, &err) < 0);
    CHECK_MSG(strstr(err.msg, "n1") && strstr(err.msg, "exited with status 4"), "%s", err.msg);
    CHECK(atomic_load(&mon.stats.denied) >= 1);
    omega_allowlist_free(al);
    struct omega_graph_spec bad = {.kind = OMEGA_GRAPH_CHAIN, .nodes = 1, .rounds = 1};
    CHECK(omega_graph_check(&bad, &err) == OMEGA_EINVAL);
    return 0;
}

OMEGA_TEST(iso_graph_http_framing)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    static struct omega_http_conn w, r;
    omega_http_conn_init(&w, sv[0]);
    omega_http_conn_init(&r, sv[1]);
    char body[64];
    CHECK(omega_http_post(&w, "n1", "hello", 5) == 0 && omega_http_respond(&w, "{}", 2) == 0);   /* pipelined */
    CHECK_EQ_INT(omega_http_read(&r, body, sizeof body), 5);
    CHECK(memcmp(body, "hello", 5) == 0);
    CHECK_EQ_INT(omega_http_read(&r, body, sizeof body), 2);
    CHECK(omega_http_post(&w, "n1", body, 64) == 0);
    CHECK_EQ_INT(omega_http_read(&r, body, 63), -1);   /* longer than the caller's buffer */
    static const char nolen[] = "POST / HTTP/1.1\r\nHost: x\r\n\r\n";
    static struct omega_http_conn r2;
    int sv2[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv2) == 0);
    omega_http_conn_init(&r2, sv2[1]);
    CHECK(omega_http_write_all(sv2[0], nolen, sizeof nolen - 1) == 0);
    CHECK_EQ_INT(omega_http_read(&r2, body, sizeof body), -1);   /* no Content-Length */
    close(sv2[0]);
    CHECK_EQ_INT(omega_http_read(&r2, body, sizeof body), -1);   /* closed */
    close(sv[0]);
    close(sv[1]);
    close(sv2[1]);
    return 0;
}
