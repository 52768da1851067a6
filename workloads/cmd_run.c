/* omega run: start N agents of a built-in workload in sandboxes, under an allow-list, and print what
 * the monitor decided for each request and how each agent ended. The tool-calling and multi-agent
 * workloads extend the table of workloads below. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/agent.h"
#include "core/allowlist.h"
#include "core/cli.h"
#include "core/monitor.h"
#include "core/runtime.h"
#include "core/util.h"
#include "workloads/multiagent/graph.h"

struct demo_arg {
    int index, n;
};

/* Every kind of action once, and an A2A ring: agent i sends to agent i+1 and hears from i-1. */
static int demo_agent(struct omega_agent *ag, const void *argp, size_t arglen)
{
    struct demo_arg a;
    if (arglen != sizeof a)
        return 2;
    memcpy(&a, argp, sizeof a);
    char out[512], peer[32], from[OMEGA_AGENT_ID_MAX];
    size_t n;
    static const char args[] = "{\"text\": \"hello from the sandbox\"}";
    (void)omega_agent_call_tool(ag, "echo", args, sizeof args - 1, out, sizeof out, &n);
    (void)omega_agent_read(ag, "public/readme", out, sizeof out, &n);
    (void)omega_agent_read(ag, "ehr/patient-17", out, sizeof out, &n);
    snprintf(peer, sizeof peer, "agent%d", (a.index + 1) % a.n);
    /* The neighbour may not be started yet: try again for up to 5 s. */
    int sent = OMEGA_ENOTFOUND;
    for (int t = 0; t < 5000 && sent == OMEGA_ENOTFOUND; t++) {
        sent = omega_agent_send(ag, peer, "{\"jsonrpc\":\"2.0\",\"method\":\"message/send\"}", 41);
        if (sent == OMEGA_ENOTFOUND) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
    /* Wait for the neighbour's message only if ours went out: then theirs is on its way too. */
    if (sent == 0)
        (void)omega_agent_recv(ag, from, sizeof from, out, sizeof out, &n, 0);
    (void)omega_agent_infer(ag, "llama-2-7b", "Summarise.", 10, out, sizeof out, &n);
    (void)omega_agent_egress(ag, "api.example.com", "summary", 7);
    return 0;
}

/* A hostile agent: one allowed call, then an attempt to open a file (the sandbox stops it). */
static int escape_agent(struct omega_agent *ag, const void *argp, size_t arglen)
{
    (void)argp;
    (void)arglen;
    char out[64];
    size_t n;
    (void)omega_agent_call_tool(ag, "echo", "{}", 2, out, sizeof out, &n);
    int fd = open("/etc/shadow", O_RDONLY);
    return fd >= 0 ? 3 : 4;
}

static const struct {
    const char *name;
    omega_agent_main_fn fn;
    const char *summary;
} workloads[] = {
    {"demo", demo_agent, "each agent: tools/call echo, read public and PHI data, send/recv in a ring, infer, egress"},
    {"escape", escape_agent, "each agent: one allowed call, then open(\"/etc/shadow\"): stopped by the sandbox"},
    {"chain", omega_graph_agent, "agents n0..n(N-1) pass one A2A JSON-RPC request down a chain and the replies back"},
    {"fanout", omega_graph_agent, "n0 sends one request to each other agent and gathers the replies"},
    {"supervisor", omega_graph_agent, "n0 hands 4 tasks per worker to the others, the next as each answers"},
};

static int sink_tool(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    (void)ctx;
    (void)rq;
    (void)rp;
    return 0;
}

static const char *DEFAULT_ALLOW =
    "{\"allow\": [{\"agent\": \"*\", \"action\": \"tools/call\", \"target\": \"echo\"},\n"
    "            {\"agent\": \"*\", \"action\": \"read\", \"target\": \"public/*\"},\n"
    "            {\"agent\": \"agent0\", \"action\": \"read\", \"target\": \"ehr/*\"},\n"
    "            {\"agent\": \"*\", \"action\": \"send\", \"target\": \"agent*\"},\n"
    "            {\"agent\": \"n*\", \"action\": \"send\", \"target\": \"n*\"},\n"
    "            {\"agent\": \"n0\", \"action\": \"tools/call\", \"target\": \"graph.samples\"},\n"
    "            {\"agent\": \"*\", \"action\": \"egress\", \"target\": \"api.example.com\", \"max\": 1}],\n"
    " \"deny\":  [{\"agent\": \"*\", \"action\": \"infer\", \"target\": \"*\"}]}\n";

struct run_log {
    pthread_mutex_t lock;
    json_t *decisions;
    int json;
    unsigned long allowed, denied;
};

static json_t *label_names(const struct omega_labels *l)
{
    json_t *a = json_array();
    if (l->untrusted)
        json_array_append_new(a, json_string("untrusted"));
    for (uint32_t i = 0; i < l->classes.n; i++)
        json_array_append_new(a, json_string(l->classes.name[i]));
    for (uint32_t i = 0; i < l->regions.n; i++)
        json_array_append_new(a, json_string(l->regions.name[i]));
    return a;
}

static void trace(void *ctx, const struct omega_action *a, const struct omega_decision *d, int status)
{
    struct run_log *lg = ctx;
    json_t *pol = json_array();
    for (uint32_t i = 0; i < d->npolicies; i++)
        json_array_append_new(pol, json_string(d->policies[i]));
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o}", "agent", a->agent, "action", a->method, "target",
                          a->target, "verdict", omega_verdict_name(d->verdict), "policies", pol, "result",
                          status == 0 ? "ok" : omega_error_name(status), "labels", label_names(a->labels));
    pthread_mutex_lock(&lg->lock);
    if (d->verdict == OMEGA_ALLOW)
        lg->allowed++;
    else
        lg->denied++;
    if (!lg->json) {
        char labs[128] = "";
        size_t k = 0;
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(o, "labels"), i, v)
            k += (size_t)snprintf(labs + k, k < sizeof labs ? sizeof labs - k : 0, "%s%s", k ? "," : "", json_string_value(v));
        printf("%-8s %-11s %-16s %-6s %-14s %-10s %s\n", a->agent, a->method, a->target, omega_verdict_name(d->verdict),
               d->npolicies ? d->policies[0] : "-", status == 0 ? "ok" : omega_error_name(status), labs[0] ? labs : "-");
        fflush(stdout);
    }
    json_array_append_new(lg->decisions, o);
    pthread_mutex_unlock(&lg->lock);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: omega run [--workload NAME] [--agents N] [--allow FILE] [--mem SIZE] [--rate N] [--json]\n"
               "Start N sandboxed agents of a built-in workload under the monitor and print every decision.\n"
               "  --workload NAME  demo (default), escape, chain, fanout, supervisor, or toolcall\n"
               "                   (toolcall: the whole stack; see 'omega run --workload toolcall --help')\n"
               "  --agents N       number of agents, 1 to 1000 (default 3); named agent0, agent1, ... (graphs: n0, n1, ...)\n"
               "  --allow FILE     the allow-list (JSON; see docs/isolation.md); default: a built-in demo list\n"
               "  --print-allow    print the built-in allow-list and exit\n"
               "  --mem SIZE       memory limit per agent (default 256M)\n"
               "  --rate N         requests per second per agent before requests are refused (default: no limit)\n"
               "  --json           one JSON object: sandbox, decisions, agents, totals\n"
               "workloads:\n");
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
        fprintf(f, "  %-8s %s\n", workloads[i].name, workloads[i].summary);
    fprintf(f, "Exit status: 0 all agents ended normally, 1 an agent was stopped for a violation, 2 usage.\n");
}

int omega_run_toolcall(int argc, char **argv);

int omega_cmd_run(int argc, char **argv)
{
    /* The tool-calling workload runs on the whole stack (policies, log, inference): its own options. */
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--workload") == 0 && strcmp(argv[i + 1], "toolcall") == 0)
            return omega_run_toolcall(argc, argv);
    if (omega_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *wl = "demo", *allow_path = NULL;
    long nagents = 3;
    uint64_t mem = 0;
    unsigned long rate = 0;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (strcmp(o, "--json") == 0) {
            json = 1;
        } else if (strcmp(o, "--print-allow") == 0) {
            fputs(DEFAULT_ALLOW, stdout);
            return 0;
        } else if (!v) {
            return omega_cli_usage("run", "unknown option or missing value: '%s'", o);
        } else if (strcmp(o, "--workload") == 0) {
            wl = v;
            i++;
        } else if (strcmp(o, "--allow") == 0) {
            allow_path = v;
            i++;
        } else if (strcmp(o, "--agents") == 0) {
            nagents = strtol(v, &end, 10);
            if (*end || nagents < 1 || nagents > 1000)
                return omega_cli_usage("run", "--agents takes 1 to 1000, not '%s'", v);
            i++;
        } else if (strcmp(o, "--mem") == 0) {
            if (omega_parse_size(v, &mem) < 0 || mem < (1u << 20))
                return omega_cli_usage("run", "--mem: bad size '%s' (e.g. 256M)", v);
            i++;
        } else if (strcmp(o, "--rate") == 0) {
            rate = strtoul(v, &end, 10);
            if (*end || rate == 0 || rate > 100000000)
                return omega_cli_usage("run", "--rate takes a positive number, not '%s'", v);
            i++;
        } else {
            return omega_cli_usage("run", "unknown option '%s'", o);
        }
    }
    omega_agent_main_fn fn = NULL;
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
        if (strcmp(workloads[i].name, wl) == 0)
            fn = workloads[i].fn;
    if (!fn)
        return omega_cli_usage("run", "unknown workload '%s'", wl);
    enum omega_graph_kind gk = OMEGA_GRAPH_CHAIN;
    int graph = omega_graph_kind_parse(wl, &gk) == 0;
    if (graph && (nagents < 2 || nagents > 64))
        return omega_cli_usage("run", "the %s workload takes 2 to 64 agents", wl);

    struct omega_error err = {0};
    struct omega_allowlist *al = allow_path ? omega_allowlist_load(allow_path, &err)
                                            : omega_allowlist_parse(DEFAULT_ALLOW, strlen(DEFAULT_ALLOW), &err);
    if (!al)
        return omega_cli_fail("run", &err);
    struct omega_monitor mon;
    omega_monitor_init(&mon);
    omega_allowlist_install(&mon, al);
    struct omega_runtime_config cfg = {.max_agents = (size_t)nagents, .limits.mem_bytes = mem,
                                       .rate_per_s = (uint32_t)rate, .ring_bytes = 256u << 10};
    struct omega_runtime *rt = omega_runtime_new(&cfg, &mon, &err);
    if (!rt) {
        omega_allowlist_free(al);
        return omega_cli_fail("run", &err);
    }
    struct run_log lg = {.lock = PTHREAD_MUTEX_INITIALIZER, .decisions = json_array(), .json = json};
    struct omega_labels pub, phi;
    omega_labels_init(&pub);
    omega_labels_init(&phi);
    int rc = omega_label_set_add(&phi.classes, "PHI") < 0 || omega_label_set_add(&phi.regions, "EU") < 0;
    static const char readme[] = "Omega testbed: public readme", ehr[] = "{\"patient\": 17, \"diagnosis\": \"...\"}";
    rc |= omega_runtime_add_data(rt, "public/readme", readme, sizeof readme - 1, &pub) < 0;
    rc |= omega_runtime_add_data(rt, "ehr/patient-17", ehr, sizeof ehr - 1, &phi) < 0;
    rc |= omega_runtime_register_tool(rt, "graph.samples", sink_tool, NULL) < 0;
    omega_runtime_set_trace(rt, trace, &lg);
    if (!json) {
        printf("sandbox: %s\n", omega_runtime_sandbox_desc(rt));
        printf("%-8s %-11s %-16s %-6s %-14s %-10s %s\n", "agent", "action", "target", "verdict", "rule", "result",
               "labels");
    }
    int started = 0;
    for (long k = 0; k < nagents && !rc; k++) {
        /* Graph workers start before their root (n0), so the root finds every peer. */
        long i = graph ? nagents - 1 - k : k;
        char id[32];
        snprintf(id, sizeof id, graph ? "n%ld" : "agent%ld", i);
        struct demo_arg a = {(int)i, (int)nagents};
        struct omega_graph_node_arg ga = {{.kind = gk, .nodes = (int)nagents, .bytes = 256, .rounds = 1}, (int)i};
        if ((graph ? omega_runtime_spawn(rt, id, fn, &ga, sizeof ga, &err)
                   : omega_runtime_spawn(rt, id, fn, &a, sizeof a, &err)) < 0) {
            rc = 1;
            break;
        }
        started++;
    }
    json_t *agents = json_array();
    int violations = 0;
    for (int i = 0; i < started; i++) {
        struct omega_agent_status st;
        if (omega_runtime_wait(rt, i, 30000, &st) == OMEGA_ETIMEOUT) {
            omega_runtime_stop(rt, i, "did not finish in 30 s");
            omega_runtime_wait(rt, i, -1, &st);
        }
        violations += st.violation;
        json_array_append_new(agents, json_pack("{s:s, s:i, s:s, s:b, s:I, s:I, s:I, s:f}", "id", st.id, "pid",
                                                (int)st.pid, "end", st.reason, "violation", st.violation, "requests",
                                                (json_int_t)st.requests, "allowed", (json_int_t)st.allowed, "denied",
                                                (json_int_t)st.denied, "start_us", (double)st.start_ns / 1e3));
    }
    pthread_mutex_lock(&lg.lock);
    if (json) {
        json_t *o = json_pack("{s:s, s:s, s:O, s:O, s:I, s:I, s:i}", "workload", wl, "sandbox",
                              omega_runtime_sandbox_desc(rt), "decisions", lg.decisions, "agents", agents, "allowed",
                              (json_int_t)lg.allowed, "denied", (json_int_t)lg.denied, "violations", violations);
        json_dumpf(o, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(o);
    } else {
        size_t i;
        json_t *a;
        printf("\n%-8s %-7s %-8s %-7s %s\n", "agent", "pid", "requests", "denied", "end");
        json_array_foreach(agents, i, a)
            printf("%-8s %-7lld %-8lld %-7lld %s\n", json_string_value(json_object_get(a, "id")),
                   json_integer_value(json_object_get(a, "pid")), json_integer_value(json_object_get(a, "requests")),
                   json_integer_value(json_object_get(a, "denied")), json_string_value(json_object_get(a, "end")));
        printf("\n%lu allowed, %lu denied, %d agents stopped for violations\n", lg.allowed, lg.denied, violations);
    }
    pthread_mutex_unlock(&lg.lock);
    omega_runtime_free(rt);
    omega_allowlist_free(al);
    json_decref(lg.decisions);
    json_decref(agents);
    if (rc) {
        fprintf(stderr, "omega run: %s\n", err.msg[0] ? err.msg : "set-up failed");
        return err.code ? omega_error_exit_status(err.code) : OMEGA_EXIT_INTERNAL;
    }
    return violations ? OMEGA_EXIT_NEGATIVE : OMEGA_EXIT_OK;
}
