/* Multi-agent graphs exchanging A2A-style JSON-RPC messages: chain, fan-out/fan-in and
 * supervisor/worker, each run two ways with the same nodes and the same bytes: agents in sandboxes
 * talking through the runtime (every message decided by the monitor, labels carried), and plain
 * processes talking HTTP/1.1 over loopback TCP (the baseline).
 *
 * One round: the root (node 0) starts a request and ends when the graph's answer is back.
 *   chain:      n0 → n1 → … → n(k-1), each node waits for its downstream reply, then replies upstream
 *   fanout:     n0 sends to n1 … n(k-1) at once, then takes the k-1 replies (fan-in)
 *   supervisor: n0 hands out `tasks` tasks, one at a time per worker, the next as a worker answers */
#ifndef OMEGA_GRAPH_H
#define OMEGA_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/monitor.h"
#include "core/sandbox.h"

enum omega_graph_kind { OMEGA_GRAPH_CHAIN, OMEGA_GRAPH_FANOUT, OMEGA_GRAPH_SUPERVISOR };

struct omega_graph_spec {
    enum omega_graph_kind kind;
    int nodes;       /* 2 to 64, root included */
    size_t bytes;    /* request message size (the A2A JSON-RPC body, padded), 64 B to 256 KiB */
    int rounds;      /* measured rounds (≤ 10000) */
    int warmup;      /* rounds before measuring */
    int tasks;       /* supervisor: tasks per round (0: 4 per worker) */
};

/* "chain", "fanout", "supervisor"; and back. */
const char *omega_graph_kind_name(enum omega_graph_kind k);
int omega_graph_kind_parse(const char *s, enum omega_graph_kind *k) OMEGA_MUST_CHECK;
/* Check a spec; OMEGA_EINVAL with the reason. */
int omega_graph_check(const struct omega_graph_spec *g, struct omega_error *err) OMEGA_MUST_CHECK;

/* Run the graph with sandboxed agents under mon (borrowed; NULL: an allow-list of the graph's own
 * edges); round latencies (µs) into samples[0..rounds). */
int omega_graph_run_omega(const struct omega_graph_spec *g, struct omega_monitor *mon, double *samples,
                          struct omega_error *err) OMEGA_MUST_CHECK;
/* The same graph as plain processes over HTTP/1.1 on loopback TCP. */
int omega_graph_run_http(const struct omega_graph_spec *g, double *samples, struct omega_error *err) OMEGA_MUST_CHECK;

/* The agent code of every node (index and spec in arg, a struct omega_graph_node_arg): for omega run. */
struct omega_graph_node_arg {
    struct omega_graph_spec spec;
    int index;
};
int omega_graph_agent(struct omega_agent *ag, const void *arg, size_t arglen);

#endif
