/* omega bench multiagent: agent graphs (chain, fan-out/fan-in, supervisor/worker) exchanging A2A
 * JSON-RPC messages through the runtime, each message decided by the monitor, against the same graphs
 * as plain processes over HTTP/1.1 on loopback TCP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "core/cli.h"
#include "workloads/multiagent/graph.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: omega bench multiagent [--graph chain|fanout|supervisor] [--nodes N] [--bytes N] [--rounds N]\n"
               "                              [--json] [--quick]\n"
               "  --graph G    one graph (default: all three)\n"
               "  --nodes N    agents per graph, root included (default 5)\n"
               "  --bytes N    request size (default: 1024 and 16384)\n"
               "  --rounds N   measured rounds per graph (default 500, --quick 50)\n"
               "metric: graph_latency_us (params graph, nodes, bytes; baseline: the same graph over HTTP/1.1)\n");
}

int omega_bench_multiagent(struct omega_bench *b, int argc, char **argv)
{
    int quick = omega_bench_quick(b), nodes = 5, rounds = quick ? 50 : 500, only = -1;
    long bytes = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (!v)
            return omega_cli_usage("bench multiagent", "unknown option or missing value: '%s'", o);
        i++;
        if (strcmp(o, "--graph") == 0) {
            enum omega_graph_kind k;
            if (omega_graph_kind_parse(v, &k) < 0)
                return omega_cli_usage("bench multiagent", "--graph takes chain, fanout or supervisor");
            only = (int)k;
        } else if (strcmp(o, "--nodes") == 0) {
            nodes = (int)strtol(v, &end, 10);
        } else if (strcmp(o, "--bytes") == 0) {
            bytes = strtol(v, &end, 10);
        } else if (strcmp(o, "--rounds") == 0) {
            rounds = (int)strtol(v, &end, 10);
        } else {
            return omega_cli_usage("bench multiagent", "unknown option '%s'", o);
        }
        if (end && *end)
            return omega_cli_usage("bench multiagent", "%s: not a number: '%s'", o, v);
    }
    size_t sizes[2] = {1024, 16384};
    int nsizes = 2;
    if (bytes) {
        sizes[0] = (size_t)bytes;
        nsizes = 1;
    }
    double *so = calloc((size_t)(rounds > 0 ? rounds : 1), sizeof(double));
    double *sh = calloc((size_t)(rounds > 0 ? rounds : 1), sizeof(double));
    int rc = 0;
    char dat[2048];
    size_t dl = (size_t)snprintf(dat, sizeof dat, "# graph bytes omega_p50 http_p50\n");
    for (int k = 0; k < 3 && rc == 0; k++) {
        if (only >= 0 && k != only)
            continue;
        for (int s = 0; s < nsizes && rc == 0; s++) {
            struct omega_graph_spec g = {.kind = (enum omega_graph_kind)k, .nodes = nodes, .bytes = sizes[s],
                                         .rounds = rounds, .warmup = rounds / 10 + 1};
            struct omega_error err = {0};
            if (omega_graph_check(&g, &err) < 0) {
                rc = omega_cli_fail("bench multiagent", &err);
                break;
            }
            if (omega_graph_run_http(&g, sh, &err) < 0 || omega_graph_run_omega(&g, NULL, so, &err) < 0) {
                rc = omega_cli_fail("bench multiagent", &err);
                break;
            }
            double *tmp = malloc((size_t)rounds * sizeof(double));
            memcpy(tmp, sh, (size_t)rounds * sizeof(double));
            struct omega_stats hs, os;
            omega_stats_compute(tmp, (size_t)rounds, &hs);
            memcpy(tmp, so, (size_t)rounds * sizeof(double));
            omega_stats_compute(tmp, (size_t)rounds, &os);
            free(tmp);
            json_t *params = json_pack("{s:s, s:i, s:i}", "graph", omega_graph_kind_name(g.kind), "nodes", nodes,
                                       "bytes", (json_int_t)sizes[s]);
            omega_bench_metric(b, &(struct omega_metric){
                .name = "graph_latency_us", .unit = "us", .samples = so, .n = (size_t)rounds, .params = params,
                .has_baseline = 1, .baseline = hs.p50,
                .note = "one round through the graph, A2A JSON-RPC through the runtime with allow-list decisions; "
                        "baseline: the same nodes as plain processes over HTTP/1.1 loopback TCP"});
            json_decref(params);
            dl += (size_t)snprintf(dat + dl, sizeof dat - dl, "%s-%zu %zu %.3f %.3f\n", omega_graph_kind_name(g.kind),
                                   sizes[s], sizes[s], os.p50, hs.p50);
        }
    }
    if (rc == 0) {
        omega_bench_file(b, "graphs.dat", dat, dl);
        omega_bench_plot(b, "graph_latency",
                         "set title 'Agent graphs: one round, Omega runtime vs HTTP/1.1 loopback'\n"
                         "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8\n"
                         "set ylabel 'latency p50 (us)'\nset logscale y\nset grid ytics\nset xtics rotate by -30\n"
                         "plot 'graphs.dat' using 3:xtic(1) title 'Omega runtime (policy on)', '' using 4 title 'HTTP/1.1'");
    }
    free(so);
    free(sh);
    return rc;
}
