/* omega run --workload toolcall: the tool-calling workload on the whole stack, from the command line. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cli.h"
#include "workloads/stack.h"
#include "workloads/toolcall/toolcall.h"

struct printer {
    pthread_mutex_t lock;
    int quiet;
    uint64_t n;
    const struct omega_stack *stack;
};

static void print_decision(void *ctx, const struct omega_action *a, const struct omega_decision *d, int status)
{
    struct printer *p = ctx;
    pthread_mutex_lock(&p->lock);
    p->n++;
    if (!p->quiet && strcmp(a->target, "bench.report") != 0) {
        char pol[64] = "-";
        if (d->npolicies) {
            const char *name = omega_stack_policy_name(p->stack, d->policies[0]);
            snprintf(pol, sizeof pol, "%s%s%.40s", d->policies[0], name ? " " : "", name ? name : "");
        }
        printf("%-6s %-11s %-14s %-7s %-26s %-9s %s%s\n", a->agent, a->method, a->target, omega_verdict_name(d->verdict),
               pol, status == 0 ? "ok" : omega_error_name(status),
               a->labels->untrusted ? "untrusted" : "trusted", a->labels->classes.n ? "+classified" : "");
        fflush(stdout);
    }
    pthread_mutex_unlock(&p->lock);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: omega run --workload toolcall [--agents N] [--rounds N] [--prompt N] [--gen N] [--model NAME]\n"
               "                 [--policies FILE] [--entities FILE] [--approve allow|deny|FILE] [--no-enforce]\n"
               "                 [--log DIR] [--log-mode batch|sync]\n"
               "                 [--trace FILE] [--arrivals poisson|azure --rate R] [--data DIR] [--quiet] [--json]\n"
               "Sandboxed agents loop inference (a prompt through the shared engine) and one MCP tools/call\n"
               "(read_file, http_get/http_post on a loopback server, kv_get/kv_put, send_email, pay) under the\n"
               "monitor; every decision is printed and, with --log, recorded in a provenance log.\n"
               "  --policies FILE  Cedar policies (default: the built-in bundle; --print-policies shows it)\n"
               "  --approve A      who answers the policies' ask decisions (default: no one, so each ask is denied):\n"
               "                   allow or deny every ask, or FILE, JSON Lines rules approving the asks they\n"
               "                   match: {\"agent\": \"a1\", \"action\": \"tools/call\", \"target\": \"pay\"}, each\n"
               "                   field optional (absent or \"*\": any); each answer is its own log record\n"
               "  --no-enforce     allow everything and record nothing (the baseline)\n"
               "  --log DIR        provenance log folder; its verifier key is written to DIR.pub.pem\n"
               "  --trace FILE     replay agents a1..aN from a trace-replay JSON Lines file (docs/sim.md)\n"
               "  --arrivals A     open loop: rounds arrive at Poisson times, R per second per agent (--rate);\n"
               "                   azure: token counts drawn from the Azure LLM inference trace\n"
               "  --model NAME     tiny (default on emu), small, llama2-7b, ... (real GPU with --backend cuda)\n"
               "Exit status: 0 all agents ran, 1 an agent was stopped, 2 usage or input error.\n");
}

static int num(const char *v, int lo, int hi, int *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (*end || x < lo || x > hi)
        return -1;
    *out = (int)x;
    return 0;
}

int omega_run_toolcall(int argc, char **argv)
{
    struct omega_toolcall_config tc = {.agents = 3, .rounds = 6, .prompt_tokens = 16, .gen_tokens = 8, .seed = 1,
                                       .honor_timing = 1};
    struct omega_stack_config sc = {.platform = &omega_opts.cfg, .enforce = 1, .log_fsync = 1, .max_context = 512,
                                    .http = 1};
    const char *model = NULL, *data = NULL;
    int quiet = 0, json = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(o, "--print-policies") == 0) {
            fputs(omega_stack_default_policies(), stdout);
            return 0;
        } else if (strcmp(o, "--no-enforce") == 0) {
            sc.enforce = 0;
            continue;
        } else if (strcmp(o, "--quiet") == 0) {
            quiet = 1;
            continue;
        } else if (strcmp(o, "--json") == 0) {
            json = quiet = 1;
            continue;
        } else if (!v) {
            return omega_cli_usage("run", "unknown option or missing value: '%s'", o);
        }
        i++;
        if (strcmp(o, "--workload") == 0) bad = strcmp(v, "toolcall") != 0;
        else if (strcmp(o, "--agents") == 0) bad = num(v, 1, 1000, &tc.agents);
        else if (strcmp(o, "--rounds") == 0) bad = num(v, 1, 100000, &tc.rounds);
        else if (strcmp(o, "--prompt") == 0) bad = num(v, 1, 1024, &tc.prompt_tokens);
        else if (strcmp(o, "--gen") == 0) bad = num(v, 0, 512, &tc.gen_tokens);
        else if (strcmp(o, "--model") == 0) model = v;
        else if (strcmp(o, "--policies") == 0) sc.policies = v;
        else if (strcmp(o, "--entities") == 0) sc.entities = v;
        else if (strcmp(o, "--approve") == 0) sc.approve = v;
        else if (strcmp(o, "--log") == 0) sc.log_dir = v;
        else if (strcmp(o, "--log-mode") == 0) {
            bad = strcmp(v, "sync") != 0 && strcmp(v, "batch") != 0;
            sc.log_sync = v[0] == 's';
        } else if (strcmp(o, "--trace") == 0) tc.trace = v;
        else if (strcmp(o, "--arrivals") == 0) {
            bad = strcmp(v, "poisson") != 0 && strcmp(v, "azure") != 0;
            tc.arrivals = v[0] == 'p' ? 1 : 2;
        } else if (strcmp(o, "--rate") == 0) {
            tc.rate_per_agent = atof(v);
            bad = !(tc.rate_per_agent > 0 && tc.rate_per_agent <= 10000);
        }
        else if (strcmp(o, "--data") == 0) data = v;
        else return omega_cli_usage("run", "unknown option '%s'", o);
        if (bad)
            return omega_cli_usage("run", "bad value '%s' for %s", v, o);
    }
    if (tc.arrivals && !tc.rate_per_agent)
        return omega_cli_usage("run", "--arrivals needs --rate R (rounds per second per agent)");
    if (omega_opts.cfg.backend && strcmp(omega_opts.cfg.backend, "auto") == 0)
        omega_opts.cfg.backend = omega_backend_auto();
    int emu = !omega_opts.cfg.backend || strcmp(omega_opts.cfg.backend, "emu") == 0;
    sc.model = tc.gen_tokens > 0 ? (model ? model : emu ? "tiny" : "llama2-7b") : NULL;
    sc.max_agents = tc.agents;
    struct omega_error err = {0};
    char tmpdata[64] = "";
    if (!data) {
        snprintf(tmpdata, sizeof tmpdata, "/tmp/omega-run-data.%d", (int)getpid());
        if (omega_toolcall_make_data(tmpdata, 16, &err) < 0)
            return omega_cli_fail("run", &err);
        data = tmpdata;
    }
    sc.data_dir = data;
    struct omega_stack *s;
    if (omega_stack_open(&s, &sc, &err) < 0)
        return omega_cli_fail("run", &err);
    struct printer pr = {.lock = PTHREAD_MUTEX_INITIALIZER, .quiet = quiet, .stack = s};
    omega_runtime_set_trace(omega_stack_runtime(s), print_decision, &pr);
    if (!quiet)
        printf("%-6s %-11s %-14s %-7s %-26s %-9s %s\n", "agent", "action", "target", "verdict", "policy", "status",
               "context");
    struct omega_toolcall_stats st;
    int rc = omega_toolcall_run(s, &tc, &st, &err);
    const json_t *sunk = omega_toolbox_sunk(omega_stack_toolbox(s));
    if (rc == 0 && sc.log_dir) {
        char key[1100];
        snprintf(key, sizeof key, "%s.pub.pem", sc.log_dir);
        rc = omega_stack_write_log_key(s, key, &err);
    }
    json_t *summary = json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:O, s:i, s:s?}", "agents", tc.agents, "calls",
                                (json_int_t)st.calls, "allowed", (json_int_t)st.allowed, "denied", (json_int_t)st.denied,
                                "errors", (json_int_t)st.errors, "inferences", (json_int_t)st.infers,
                                "inference_errors", (json_int_t)st.infer_errors, "sinks", sunk,
                                "agents_failed", st.agents_failed, "failure", st.failure[0] ? st.failure : NULL);
    if (omega_stack_close(s, rc == 0 ? &err : NULL) < 0 && rc == 0)
        rc = -1;
    if (tmpdata[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdata);
        if (system(cmd) != 0)
            fprintf(stderr, "omega run: could not remove %s\n", tmpdata);
    }
    if (rc < 0) {
        json_decref(summary);
        omega_toolcall_stats_fini(&st);
        return omega_cli_fail("run", &err);
    }
    if (json) {
        char *t = json_dumps(summary, JSON_INDENT(2));
        printf("%s\n", t);
        free(t);
    } else {
        printf("\n%d agents: %llu tool calls (%llu allowed, %llu denied, %llu errors), %llu inferences (%llu failed); "
               "%zu sink records\n", tc.agents, (unsigned long long)st.calls, (unsigned long long)st.allowed,
               (unsigned long long)st.denied, (unsigned long long)st.errors, (unsigned long long)st.infers,
               (unsigned long long)st.infer_errors, json_array_size(sunk));
        if (sc.log_dir)
            printf("provenance log: %s (verify: omega log verify %s --key %s.pub.pem)\n", sc.log_dir, sc.log_dir,
                   sc.log_dir);
        if (st.agents_failed)
            printf("stopped: %s\n", st.failure);
    }
    json_decref(summary);
    int failed = st.agents_failed;
    omega_toolcall_stats_fini(&st);
    return failed ? OMEGA_EXIT_NEGATIVE : 0;
}
