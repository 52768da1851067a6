/* omega policy check|eval|replay: validate policies for CI, answer requests, replay agent traces. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/labels.h"
#include "policy/policy.h"

static const char usage_top[] =
    "usage: omega policy check  --policies P [--schema S.json] [--json]\n"
    "       omega policy eval   --policies P [--entities E.json] [--links L.json] (--request R.json | --requests R.jsonl) [--json]\n"
    "       omega policy replay --policies P [--entities E.json] [--links L.json] TRACE.jsonl\n"
    "Cedar policies (policy0, policy1, … in source order) with agent extensions: context.labels,\n"
    "context.args, context.count, context.rate.{minute,hour,day} (replay: \"ts\" seconds per event);\n"
    "@decision(\"ask\"|\"redact\") and @redact(\"a,b\") annotations.\n"
    "Exit: 0 valid/allowed, 1 invalid/not allowed, 2 usage or input error.\n";

struct opts {
    const char *policies, *schema, *entities, *links, *request, *requests;
    int json;
};

static int parse_opts(const char *cmd, int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"policies", required_argument, 0, 'p'}, {"schema", required_argument, 0, 's'},
        {"entities", required_argument, 0, 'e'}, {"links", required_argument, 0, 'l'},
        {"request", required_argument, 0, 'r'}, {"requests", required_argument, 0, 'R'},
        {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
        switch (c) {
        case 'p': o->policies = optarg; break;
        case 's': o->schema = optarg; break;
        case 'e': o->entities = optarg; break;
        case 'l': o->links = optarg; break;
        case 'r': o->request = optarg; break;
        case 'R': o->requests = optarg; break;
        case 'j': o->json = 1; break;
        case 'h': fputs(usage_top, stdout); return -1;
        default: return omega_cli_usage(cmd, "unknown option `%s` (see omega policy --help)", argv[optind - 1]);
        }
    }
    if (!o->policies)
        return omega_cli_usage(cmd, "--policies is required");
    return 0;
}

/* Load policies (+ links) and entities; returns an exit status (0 on success). */
static int load(const char *cmd, const struct opts *o, struct omega_policy_set **ps, struct omega_entities **es,
                int parse_fail_status)
{
    struct omega_error err = {0};
    *ps = NULL;
    *es = NULL;
    int rc = omega_policy_set_load(o->policies, ps, &err);
    if (rc) {
        fprintf(stderr, "omega: %s: %s\n", cmd, err.msg);
        return rc == OMEGA_EFORMAT ? parse_fail_status : OMEGA_EXIT_USAGE;
    }
    if (o->links) {
        json_error_t je;
        json_t *l = json_load_file(o->links, 0, &je);
        if (!l) {
            fprintf(stderr, "omega: %s: %s:%d:%d: %s\n", cmd, o->links, je.line, je.column, je.text);
            return OMEGA_EXIT_USAGE;
        }
        rc = omega_policy_set_link(*ps, l, &err);
        json_decref(l);
        if (rc) {
            fprintf(stderr, "omega: %s: %s: %s\n", cmd, o->links, err.msg);
            return OMEGA_EXIT_USAGE;
        }
    }
    if (o->entities) {
        if (omega_entities_load(o->entities, es, &err)) {
            fprintf(stderr, "omega: %s: %s: %s\n", cmd, o->entities, err.msg);
            return OMEGA_EXIT_USAGE;
        }
    } else if (!(*es = omega_entities_empty())) {
        fprintf(stderr, "omega: %s: out of memory\n", cmd);
        return OMEGA_EXIT_INTERNAL;
    }
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts("policy check", argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct omega_policy_set *ps;
    struct omega_error err = {0};
    rc = omega_policy_set_load(o.policies, &ps, &err);
    if (rc) {
        if (o.json) {
            json_t *j = json_pack("{s:b, s:[s]}", "valid", 0, "errors", err.msg);
            char *js = j ? json_dumps(j, JSON_COMPACT) : NULL;
            if (js)
                puts(js);
            free(js);
            json_decref(j);
        }
        fprintf(stderr, "omega: policy check: %s\n", err.msg);
        return rc == OMEGA_EFORMAT ? OMEGA_EXIT_NEGATIVE : OMEGA_EXIT_USAGE;
    }
    int problems = 0;
    json_t *schema = NULL;
    if (o.schema) {
        json_error_t je;
        schema = json_load_file(o.schema, 0, &je);
        if (!schema) {
            fprintf(stderr, "omega: policy check: %s:%d:%d: %s\n", o.schema, je.line, je.column, je.text);
            omega_policy_set_free(ps);
            return OMEGA_EXIT_USAGE;
        }
    }
    /* Without a schema the agent extensions are still checked (context.rate's fields, counts' types). */
    char *out = calloc(1, 65536);
    problems = out ? omega_policy_validate(ps, schema, o.policies, out, 65536, &err) : OMEGA_ENOMEM;
    json_decref(schema);
    if (problems < 0) {
        fprintf(stderr, "omega: policy check: %s: %s\n", o.schema ? o.schema : o.policies, err.msg);
        free(out);
        omega_policy_set_free(ps);
        return OMEGA_EXIT_USAGE;
    }
    if (o.json) {
        json_t *j = json_pack("{s:b, s:i, s:[]}", "valid", problems == 0, "policies", (int)omega_policy_set_count(ps),
                              "errors");
        if (out && problems) {
            json_t *arr = json_object_get(j, "errors");
            for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
                json_array_append_new(arr, json_string(line));
        }
        char *s = json_dumps(j, JSON_COMPACT);
        puts(s);
        free(s);
        json_decref(j);
    } else if (problems) {
        fputs(out, stderr);
    } else {
        printf("%s: %u policies, valid%s\n", o.policies, omega_policy_set_count(ps), o.schema ? " against the schema" : "");
    }
    free(out);
    omega_policy_set_free(ps);
    return problems ? OMEGA_EXIT_NEGATIVE : OMEGA_EXIT_OK;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    if (s)
        puts(s);
    free(s);
}

static int cmd_eval(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts("policy eval", argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (!!o.request == !!o.requests)
        return omega_cli_usage("policy eval", "give one of --request R.json or --requests R.jsonl");
    struct omega_policy_set *ps;
    struct omega_entities *es;
    if ((rc = load("policy eval", &o, &ps, &es, OMEGA_EXIT_USAGE)))
        return rc;
    struct omega_policy_result *r = omega_policy_result_new(ps);
    struct omega_error err = {0};
    int status = OMEGA_EXIT_OK;
    if (!r) {
        status = OMEGA_EXIT_INTERNAL;
    } else if (o.request) {
        json_error_t je;
        json_t *req = json_load_file(o.request, 0, &je);
        if (!req) {
            fprintf(stderr, "omega: policy eval: %s:%d:%d: %s\n", o.request, je.line, je.column, je.text);
            status = OMEGA_EXIT_USAGE;
        } else if (omega_policy_eval_json(ps, es, req, r, &err)) {
            fprintf(stderr, "omega: policy eval: %s: %s\n", o.request, err.msg);
            status = OMEGA_EXIT_USAGE;
        } else {
            json_t *j = omega_policy_result_json(ps, r);
            print_json(j);
            json_decref(j);
            status = r->verdict == OMEGA_ALLOW ? OMEGA_EXIT_OK : OMEGA_EXIT_NEGATIVE;
        }
        json_decref(req);
    } else {
        FILE *f = strcmp(o.requests, "-") == 0 ? stdin : fopen(o.requests, "r");
        if (!f) {
            fprintf(stderr, "omega: policy eval: cannot open %s\n", o.requests);
            status = OMEGA_EXIT_USAGE;
        } else {
            char *line = NULL;
            size_t cap = 0;
            ssize_t n;
            unsigned long lineno = 0;
            while ((n = getline(&line, &cap, f)) > 0) {
                lineno++;
                if (strspn(line, " \t\r\n") == (size_t)n)
                    continue;
                json_error_t je;
                json_t *req = json_loadb(line, (size_t)n, 0, &je);
                if (!req || omega_policy_eval_json(ps, es, req, r, &err)) {
                    fprintf(stderr, "omega: policy eval: %s:%lu: %s\n", o.requests, lineno, req ? err.msg : je.text);
                    json_decref(req);
                    status = OMEGA_EXIT_USAGE;
                    break;
                }
                json_t *j = omega_policy_result_json(ps, r);
                print_json(j);
                json_decref(j);
                json_decref(req);
            }
            free(line);
            if (f != stdin)
                fclose(f);
        }
    }
    fflush(stdout);
    omega_policy_result_free(r);
    omega_entities_free(es);
    omega_policy_set_free(ps);
    return status;
}

/* Replay state per agent: the join of what it has read, and counts of allowed calls per target. */
struct agent_state {
    char *name;
    struct omega_labels labels;
    struct count { char *key; uint64_t n; } *counts;
    size_t ncounts;
};

static struct agent_state *agent_get(struct agent_state **arr, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*arr)[i].name, name) == 0)
            return &(*arr)[i];
    struct agent_state *na = realloc(*arr, (*n + 1) * sizeof *na);
    if (!na)
        return NULL;
    *arr = na;
    struct agent_state *a = &na[(*n)++];
    memset(a, 0, sizeof *a);
    a->name = strdup(name);
    omega_labels_init(&a->labels);
    return a->name ? a : NULL;
}

static struct count *count_get(struct agent_state *a, const char *method, const char *target)
{
    char key[512];
    snprintf(key, sizeof key, "%s\n%s", method, target);
    for (size_t i = 0; i < a->ncounts; i++)
        if (strcmp(a->counts[i].key, key) == 0)
            return &a->counts[i];
    struct count *nc = realloc(a->counts, (a->ncounts + 1) * sizeof *nc);
    if (!nc)
        return NULL;
    a->counts = nc;
    memset(&nc[a->ncounts], 0, sizeof nc[0]);
    nc[a->ncounts].key = strdup(key);
    return nc[a->ncounts].key ? &nc[a->ncounts++] : NULL;
}

static void label_remove(struct omega_label_set *s, const char *name)
{
    for (uint32_t i = 0; i < s->n; i++)
        if (strcmp(s->name[i], name) == 0) {
            memmove(s->name[i], s->name[i + 1], (size_t)(s->n - i - 1) * sizeof s->name[0]);
            s->n--;
            return;
        }
}

static int replay_line(struct omega_policy_engine *eng, const struct omega_policy_set *ps, json_t *ev, unsigned long lineno,
                       struct agent_state **agents, size_t *nagents, char *why, size_t whylen, int *not_allowed,
                       double *now)
{
    /* "ts": seconds from any origin for the sliding windows; an event without one keeps the last time. */
    const json_t *ts = json_object_get(ev, "ts");
    if (ts) {
        if (!json_is_number(ts) || !(json_number_value(ts) >= 0) || json_number_value(ts) > 1e10) {
            snprintf(why, whylen, "\"ts\" must be a number of seconds from 0 to 1e10");
            return -1;
        }
        *now = json_number_value(ts);
    }
    const char *agent = json_string_value(json_object_get(ev, "agent"));
    const char *kind = json_string_value(json_object_get(ev, "kind"));
    json_t *msg = json_object_get(ev, "msg");
    if (!agent || !kind) {
        snprintf(why, whylen, "an event needs \"agent\" and \"kind\" strings");
        return -1;
    }
    struct agent_state *st = agent_get(agents, nagents, agent);
    if (!st) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    struct omega_error err = {0};
    if (strcmp(kind, "result") == 0) {
        json_t *lj = json_object_get(ev, "labels");
        if (lj) {
            struct omega_labels in;
            if (omega_labels_from_json(&in, lj, &err) || omega_labels_join(&st->labels, &in)) {
                snprintf(why, whylen, "labels: %s", err.msg[0] ? err.msg : "too many label names");
                return -1;
            }
        }
        return 0;
    }
    struct omega_action a = {.agent = agent, .labels = &st->labels};
    const char *to = NULL, *declassify = NULL;
    if (strcmp(kind, "call") == 0) {
        const char *method = json_string_value(json_object_get(msg, "method"));
        json_t *params = json_object_get(msg, "params");
        if (!method) {
            snprintf(why, whylen, "a call's msg needs a JSON-RPC \"method\"");
            return -1;
        }
        a.method = method;
        if (strcmp(method, "tools/call") == 0) {
            a.kind = OMEGA_ACT_TOOL_CALL;
            a.target = json_string_value(json_object_get(params, "name"));
            a.args = json_object_get(params, "arguments");
            if (!a.target) {
                snprintf(why, whylen, "tools/call needs params.name");
                return -1;
            }
        } else {
            a.kind = OMEGA_ACT_OTHER;
            a.target = json_string_value(json_object_get(params, "uri"));
            if (!a.target)
                a.target = json_string_value(json_object_get(params, "name"));
            if (!a.target)
                a.target = "";
            a.args = params;
        }
    } else if (strcmp(kind, "send") == 0) {
        to = json_string_value(json_object_get(ev, "to"));
        if (!to) {
            snprintf(why, whylen, "a send needs \"to\"");
            return -1;
        }
        a.kind = OMEGA_ACT_SEND;
        a.method = "send";
        a.target = to;
        a.args = msg;
    } else if (strcmp(kind, "read") == 0 || strcmp(kind, "egress") == 0 || strcmp(kind, "infer") == 0) {
        /* The runtime's own actions, beside MCP: a data read, network egress, an inference request. */
        const char *field = kind[0] == 'r' ? "data" : kind[0] == 'e' ? "host" : "model";
        a.kind = kind[0] == 'r' ? OMEGA_ACT_READ : kind[0] == 'e' ? OMEGA_ACT_EGRESS : OMEGA_ACT_INFER;
        a.method = kind;
        a.target = json_string_value(json_object_get(ev, field));
        a.args = msg;
        if (!a.target) {
            snprintf(why, whylen, "a %s event needs \"%s\"", kind, field);
            return -1;
        }
    } else if (strcmp(kind, "declassify") == 0) {
        /* Declassification is itself an action: decided by the policies (Action::"declassify" on
         * Resource::"<class>"), printed like every decision, and only then applied to the labels. */
        a.kind = OMEGA_ACT_OTHER;
        a.method = "declassify";
        a.target = json_string_value(json_object_get(ev, "class"));
        a.args = msg;
        if (!a.target) {
            snprintf(why, whylen, "a declassify event needs \"class\"");
            return -1;
        }
        declassify = a.target;
    } else {
        snprintf(why, whylen, "unknown kind \"%s\" (call, result, send, read, egress, infer or declassify)", kind);
        return -1;
    }
    struct count *cnt = count_get(st, a.method, a.target);
    if (!cnt) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    a.count = cnt->n;
    /* context.rate comes from the engine's own windows, on the trace's clock; 1 ns past the origin
     * because a time of 0 means "read the clock". */
    a.now_ns = (uint64_t)(*now * 1e9) + 1;
    struct omega_decision d;
    if (omega_policy_decide(eng, &a, &d)) {
        snprintf(why, whylen, "the arguments cannot be judged (nesting or size beyond the engine's limits)");
        return -1;
    }
    if (d.verdict == OMEGA_ALLOW || d.verdict == OMEGA_REDACT) {
        cnt->n++;
    } else
        *not_allowed = 1;
    json_t *out = json_pack("{s:I, s:s, s:s, s:[]}", "line", (json_int_t)lineno, "agent", agent, "decision",
                            omega_verdict_name(d.verdict), "policies");
    json_t *pol = json_object_get(out, "policies");
    for (uint32_t i = 0; i < d.npolicies; i++)
        json_array_append_new(pol, json_string(d.policies[i]));
    if (d.verdict == OMEGA_REDACT) {
        json_t *rd = json_array();
        for (uint32_t i = 0; i < d.nredact; i++)
            json_array_append_new(rd, json_string(d.redact[i]));
        json_object_set_new(out, "redact", rd);
    }
    print_json(out);
    json_decref(out);
    if (declassify && d.verdict == OMEGA_ALLOW)
        label_remove(&st->labels.classes, declassify);
    /* A delivered message carries what the sender had read (and the message's own labels) to the peer. */
    if (to && (d.verdict == OMEGA_ALLOW || d.verdict == OMEGA_REDACT)) {
        struct agent_state *peer = agent_get(agents, nagents, to);
        st = agent_get(agents, nagents, agent);   /* the array may have moved */
        if (!peer || !st || omega_labels_join(&peer->labels, &st->labels)) {
            snprintf(why, whylen, "label join failed (too many names)");
            return -1;
        }
        json_t *lj = json_object_get(ev, "labels");
        struct omega_labels in;
        if (lj && (omega_labels_from_json(&in, lj, &err) || omega_labels_join(&peer->labels, &in))) {
            snprintf(why, whylen, "labels: %s", err.msg[0] ? err.msg : "too many label names");
            return -1;
        }
    }
    (void)ps;
    return 0;
}

static int cmd_replay(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts("policy replay", argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (optind != argc - 1)
        return omega_cli_usage("policy replay", "give exactly one TRACE.jsonl");
    const char *trace = argv[optind];
    struct omega_policy_set *ps;
    struct omega_entities *es;
    if ((rc = load("policy replay", &o, &ps, &es, OMEGA_EXIT_USAGE)))
        return rc;
    FILE *f = strcmp(trace, "-") == 0 ? stdin : fopen(trace, "r");
    struct omega_policy_engine *eng = omega_policy_engine_new(ps, es);
    int status = OMEGA_EXIT_OK;
    if (!f || !eng) {
        fprintf(stderr, "omega: policy replay: cannot open %s\n", trace);
        status = OMEGA_EXIT_USAGE;
    } else {
        struct agent_state *agents = NULL;
        size_t nagents = 0;
        char *line = NULL, why[320];
        size_t cap = 0;
        ssize_t n;
        unsigned long lineno = 0;
        int not_allowed = 0;
        double now = 0;
        while ((n = getline(&line, &cap, f)) > 0) {
            lineno++;
            if (strspn(line, " \t\r\n") == (size_t)n)
                continue;
            json_error_t je;
            json_t *ev = json_loadb(line, (size_t)n, 0, &je);
            if (!ev) {
                fprintf(stderr, "omega: policy replay: %s:%lu: %s\n", trace, lineno, je.text);
                status = OMEGA_EXIT_USAGE;
                break;
            }
            if (replay_line(eng, ps, ev, lineno, &agents, &nagents, why, sizeof why, &not_allowed, &now)) {
                fprintf(stderr, "omega: policy replay: %s:%lu: %s\n", trace, lineno, why);
                status = OMEGA_EXIT_USAGE;
                json_decref(ev);
                break;
            }
            json_decref(ev);
        }
        if (status == OMEGA_EXIT_OK && not_allowed)
            status = OMEGA_EXIT_NEGATIVE;
        free(line);
        for (size_t i = 0; i < nagents; i++) {
            for (size_t k = 0; k < agents[i].ncounts; k++) {
                free(agents[i].counts[k].key);
            }
            free(agents[i].counts);
            free(agents[i].name);
        }
        free(agents);
    }
    fflush(stdout);
    if (f && f != stdin)
        fclose(f);
    omega_policy_engine_free(eng);
    omega_entities_free(es);
    omega_policy_set_free(ps);
    return status;
}

int omega_cmd_policy(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_top, argc < 2 ? stderr : stdout);
        return argc < 2 ? OMEGA_EXIT_USAGE : OMEGA_EXIT_OK;
    }
    if (strcmp(argv[1], "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(argv[1], "eval") == 0)
        return cmd_eval(argc - 1, argv + 1);
    if (strcmp(argv[1], "replay") == 0)
        return cmd_replay(argc - 1, argv + 1);
    return omega_cli_usage("policy", "unknown subcommand `%s` (check, eval, replay)", argv[1]);
}
