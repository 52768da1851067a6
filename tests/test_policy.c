/* Policy engine: parser, evaluator (expectations taken from Cedar's own answers), entities,
 * templates, agent extensions, the allocation-free decider, hot reload, schema checks, the CLI. */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/policy.h"
#include "tests/test.h"

static struct omega_policy_set *parse(const char *text)
{
    struct omega_policy_set *ps = NULL;
    struct omega_error err = {0};
    if (omega_policy_set_parse(text, strlen(text), "t.cedar", &ps, &err)) {
        fprintf(stderr, "parse failed: %s\n", err.msg);
        return NULL;
    }
    return ps;
}

static const char ents_json[] =
    "[{\"uid\":{\"type\":\"User\",\"id\":\"alice\"},\"attrs\":{\"age\":30,\"name\":\"Alice\",\"tags\":[\"a\",\"b\"],"
    "  \"addr\":{\"__extn\":{\"fn\":\"ip\",\"arg\":\"10.1.2.3\"}},\"meta\":{\"level\":2}},"
    "  \"parents\":[{\"type\":\"Group\",\"id\":\"staff\"}],\"tags\":{\"dept\":\"eng\"}},"
    " {\"uid\":{\"type\":\"Group\",\"id\":\"staff\"},\"attrs\":{},\"parents\":[{\"type\":\"Group\",\"id\":\"all\"}]},"
    " {\"uid\":{\"type\":\"Group\",\"id\":\"all\"},\"attrs\":{},\"parents\":[{\"type\":\"Group\",\"id\":\"ghost\"}]},"
    " {\"uid\":{\"type\":\"Doc\",\"id\":\"d1\"},\"attrs\":{\"owner\":{\"__entity\":{\"type\":\"User\",\"id\":\"alice\"}}},"
    "  \"parents\":[]}]";

static const char req_json[] =
    "{\"principal\":{\"type\":\"User\",\"id\":\"alice\"},\"action\":{\"type\":\"Action\",\"id\":\"view\"},"
    " \"resource\":\"Doc::\\\"d1\\\"\",\"context\":{\"n\":5,\"when\":{\"__extn\":{\"fn\":\"datetime\",\"arg\":\"2024-06-01T10:00:00Z\"}}}}";

/* 'a' allow, 'd' deny without error, 'e' the condition errors. */
static int eval_one(const char *cond, struct omega_entities *es, const json_t *req)
{
    char text[1024];
    snprintf(text, sizeof text, "permit(principal, action, resource) when { %s };", cond);
    struct omega_policy_set *ps = parse(text);
    if (!ps)
        return 'p';
    struct omega_policy_result *r = omega_policy_result_new(ps);
    int out = '?';
    if (r && omega_policy_eval_json(ps, es, req, r, NULL) == 0)
        out = r->nerrors ? 'e' : r->cedar_allow ? 'a' : 'd';
    omega_policy_result_free(r);
    omega_policy_set_free(ps);
    return out;
}

OMEGA_TEST(policy_eval_semantics)
{
    static const struct { const char *cond; char want; } cases[] = {
        /* answers checked against @cedar-policy/cedar-wasm 4.13 */
        {"1 + 2 * 3 == 7", 'a'}, {"!false && false || true", 'a'}, {"if true then 1 == 1 else 1 / 0", 'p'},
        {"9223372036854775807 + 1 > 0", 'e'}, {"-9223372036854775808 < 0", 'a'}, {"- - -1 == -1", 'a'},
        {"1 == \"1\"", 'd'}, {"true && 1", 'e'}, {"false && 1", 'd'}, {"[1,2] == [2,1,1]", 'a'},
        {"{a:1} == {\"a\":1}", 'a'}, {"1 in [1]", 'e'}, {"\"a\" < \"b\"", 'e'},
        {"principal in Group::\"all\"", 'a'}, {"principal in Group::\"ghost\"", 'a'}, {"Group::\"x\" in Group::\"x\"", 'a'},
        {"principal in [Doc::\"d1\", Group::\"staff\"]", 'a'}, {"principal is User in Group::\"staff\"", 'a'},
        {"resource.owner == principal", 'a'}, {"principal.missing == 1", 'e'}, {"principal has missing", 'd'},
        {"principal has meta.level && principal.meta.level == 2", 'a'}, {"User::\"bob\".age > 1", 'e'},
        {"User::\"bob\" has age", 'd'}, {"principal.name like \"A*e\"", 'a'}, {"\"a*b\" like \"a\\*b\"", 'a'},
        {"\"axb\" like \"a\\*b\"", 'd'}, {"principal.tags.containsAll([\"a\"]) && principal.tags.containsAny([\"z\",\"b\"])", 'a'},
        {"[].isEmpty()", 'a'}, {"principal.hasTag(\"dept\") && principal.getTag(\"dept\") == \"eng\"", 'a'},
        {"principal.getTag(\"nope\") == 1", 'e'}, {"User::\"bob\".hasTag(\"x\")", 'd'},
        {"principal.addr.isInRange(ip(\"10.0.0.0/8\")) && !principal.addr.isLoopback()", 'a'},
        {"ip(\"1.2.3.4\") == ip(\"1.2.3.4/32\")", 'a'}, {"ip(\"1.2.3.4/24\") == ip(\"1.2.3.0/24\")", 'd'},
        {"ip(\"::1\").isLoopback() && ip(\"ff02::1\").isMulticast()", 'a'}, {"ip(\"1.2.3\") == ip(\"1.2.3.4\")", 'e'},
        {"decimal(\"1.0\") == decimal(\"1.00\")", 'a'}, {"decimal(\"1.23456\") == decimal(\"1.0\")", 'e'},
        {"decimal(\"1.5\").lessThan(decimal(\"2.0\"))", 'a'}, {"decimal(\"1.0\") < decimal(\"2.0\")", 'e'},
        {"datetime(\"2024-01-01\") < datetime(\"2024-01-02\")", 'a'}, {"duration(\"1d2h\") == duration(\"26h\")", 'a'},
        {"duration(\"2h1d\") == duration(\"26h\")", 'e'}, {"datetime(\"2024-02-30\") == datetime(\"2024-02-30\")", 'e'},
        {"datetime(\"2024-01-01T00:00:00+0100\").toTime() == duration(\"23h\")", 'a'},
        {"context.when.offset(duration(\"-10h\")).toDate() == datetime(\"2024-06-01\")", 'a'},
        {"context.when.durationSince(datetime(\"2024-06-01\")).toHours() == 10", 'a'},
        {"context.n * 2 == 10 && context has n && !(context has m)", 'a'}, {"context.m == 1", 'e'},
        {"if context.n > 3 then \"big\" else 1 == \"big\"", 'e'}, {"(if context.n > 3 then \"big\" else 1) == \"big\"", 'a'}, {"principal[\"name\"] == \"Alice\"", 'a'},
        {"User::\"a\".isEmpty()", 'e'}, {"(if 1 then true else false)", 'e'}, {"[1,\"a\"].contains(1)", 'a'},
    };
    struct omega_entities *es = NULL;
    json_t *ej = json_loads(ents_json, 0, NULL), *rq = json_loads(req_json, 0, NULL);
    CHECK(ej && rq && omega_entities_from_json(ej, &es, NULL) == 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = eval_one(cases[i].cond, es, rq);
        CHECK_MSG(got == cases[i].want, "`%s`: got %c, expected %c", cases[i].cond, got, cases[i].want);
    }
    omega_entities_free(es);
    json_decref(ej);
    json_decref(rq);
    return 0;
}

OMEGA_TEST(policy_ids_forbid_wins_and_errors)
{
    struct omega_policy_set *ps = parse(
        "@id(\"first\") permit(principal, action, resource);\n"
        "permit(principal == User::\"alice\", action == Action::\"view\", resource) when { context.n > 1 };\n"
        "forbid(principal, action, resource) when { context.n > 10 };\n"
        "forbid(principal, action, resource) when { context.nope };\n");
    CHECK(ps && omega_policy_set_count(ps) == 4);
    CHECK_STR(omega_policy_set_id(ps, 1), "policy1");
    CHECK_STR(omega_policy_set_annot_id(ps, 0), "first");
    CHECK(omega_policy_set_annot_id(ps, 1) == NULL);
    struct omega_policy_result *r = omega_policy_result_new(ps);
    json_t *rq = json_loads(req_json, 0, NULL);
    CHECK(omega_policy_eval_json(ps, NULL, rq, r, NULL) == 0);
    CHECK(r->verdict == OMEGA_ALLOW && r->nreasons == 2 && r->reasons[0] == 0 && r->reasons[1] == 1);
    CHECK(r->nerrors == 1 && r->errors[0] == 3 && strstr(r->errmsg[0], "nope"));
    json_t *j = omega_policy_result_json(ps, r);
    char *s = json_dumps(j, JSON_COMPACT);
    CHECK(strstr(s, "\"policies\":[\"policy0\",\"policy1\"]") && strstr(s, "\"ids\":[\"first\",null]"));
    free(s);
    json_decref(j);
    json_object_set_new(json_object_get(rq, "context"), "n", json_integer(11));
    CHECK(omega_policy_eval_json(ps, NULL, rq, r, NULL) == 0);
    CHECK(r->verdict == OMEGA_DENY && r->nreasons == 1 && r->reasons[0] == 2);
    json_decref(rq);
    omega_policy_result_free(r);
    omega_policy_set_free(ps);
    return 0;
}

OMEGA_TEST(policy_parse_errors_are_located)
{
    static const struct { const char *text; const char *where; } bad[] = {
        {"permit(principal, action, resource) when { 1 + };", "t.cedar:1:48"},
        {"permit(principal, action, resource);\nforbid(principal action, resource);", "t.cedar:2:18"},
        {"permit(principal, action, resource) when { foo(1) };", "t.cedar:1:44"},
        {"permit(principal, action, resource) when { !!!!!true };", "t.cedar:1:48"},
        {"permit(principal, action, resource) when { {a:1, a:2} == {} };", "t.cedar:1:50"},
        {"permit(principal, action, resource) when { 99999999999999999999 };", "t.cedar:1:44"},
        {"permit(principal, action, resource) when { \"abc };", "t.cedar:1:44"},
        {"@id(\"a\") @id(\"b\") permit(principal, action, resource);", "t.cedar:1:11"},
        {"permit(principal, action, resource) when { context.x.nosuch() };", "t.cedar:1:54"},
        {"permit(principal, action, resource) when { ?principal };", "t.cedar:1:44"},
        {"permit(principal, action, resource) when {};", "t.cedar:1:43"},
        {"permit(principal, action, resource)", "t.cedar:1:36"},
        {"permit(principal, action, resource) when { \"\\q\" };", "t.cedar:1:44"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct omega_policy_set *ps = NULL;
        struct omega_error err = {0};
        CHECK_MSG(omega_policy_set_parse(bad[i].text, strlen(bad[i].text), "t.cedar", &ps, &err) == OMEGA_EFORMAT,
                  "`%s` parsed", bad[i].text);
        CHECK_MSG(strncmp(err.msg, bad[i].where, strlen(bad[i].where)) == 0, "`%s`: %s (expected at %s)", bad[i].text,
                  err.msg, bad[i].where);
    }
    /* and a deep nest is refused, not a stack overflow */
    char deep[20000];
    size_t k = (size_t)snprintf(deep, sizeof deep, "permit(principal, action, resource) when { ");
    for (int i = 0; i < 5000; i++) deep[k++] = '(';
    deep[k++] = '1';
    deep[k] = 0;
    struct omega_policy_set *ps = NULL;
    CHECK(omega_policy_set_parse(deep, k, "t.cedar", &ps, NULL) == OMEGA_EFORMAT && !ps);
    return 0;
}

OMEGA_TEST(policy_templates_link)
{
    struct omega_policy_set *ps = parse("permit(principal == ?principal, action, resource in ?resource);\n"
                                        "forbid(principal, action, resource) when { context.n > 100 };");
    CHECK(ps && omega_policy_set_count(ps) == 1);   /* the template is not active until linked */
    json_t *links = json_loads("[{\"templateId\":\"policy0\",\"newId\":\"alice-docs\",\"values\":"
                               "{\"?principal\":{\"type\":\"User\",\"id\":\"alice\"},\"?resource\":{\"type\":\"Doc\",\"id\":\"d1\"}}}]",
                               0, NULL);
    CHECK(omega_policy_set_link(ps, links, NULL) == 0 && omega_policy_set_count(ps) == 2);
    json_t *bad = json_loads("[{\"templateId\":\"policy9\",\"newId\":\"x\",\"values\":{}}]", 0, NULL);
    CHECK(omega_policy_set_link(ps, bad, NULL) == OMEGA_ENOTFOUND);
    struct omega_policy_result *r = omega_policy_result_new(ps);
    json_t *rq = json_loads(req_json, 0, NULL);
    CHECK(omega_policy_eval_json(ps, NULL, rq, r, NULL) == 0);
    CHECK(r->verdict == OMEGA_ALLOW && r->nreasons == 1);
    CHECK_STR(omega_policy_set_id(ps, r->reasons[0]), "alice-docs");
    json_decref(rq);
    json_decref(links);
    json_decref(bad);
    omega_policy_result_free(r);
    omega_policy_set_free(ps);
    return 0;
}

static const char agent_policies[] =
    "@id(\"pay\") permit(principal, action == Action::\"tools/call\", resource == Tool::\"pay\")\n"
    "  when { context.args.amount <= 100 && context.args.to like \"*@example.com\" && context.count < 2 };\n"
    "@id(\"pay-dec\") permit(principal, action == Action::\"tools/call\", resource == Tool::\"pay\")\n"
    "  when { context.args.amount.lessThan(decimal(\"100.0\")) };\n"
    "@decision(\"ask\") forbid(principal, action == Action::\"tools/call\", resource == Tool::\"pay\")\n"
    "  when { context.args.amount > 100 };\n"
    "forbid(principal, action, resource) when { context.labels.integrity == \"untrusted\" &&\n"
    "  context.labels.classes.contains(\"secret\") };\n"
    "@redact(\"ssn\") permit(principal, action == Action::\"send\", resource == Agent::\"b\")\n"
    "  when { context.args.items.contains(2) && !(context.args has gone) && context.args.meta.k == \"v\" };\n"
    "permit(principal, action == Action::\"egress\", resource) when { context.labels has readers };\n"
    "permit(principal, action == Action::\"resources/read\", resource == Resource::\"file:///a\");\n";

OMEGA_TEST(policy_agent_requests)
{
    struct omega_policy_set *ps = parse(agent_policies);
    CHECK(ps);
    struct omega_policy_engine *eng = omega_policy_engine_new(ps, NULL);
    struct omega_labels L;
    omega_labels_init(&L);
    json_t *args = json_loads("{\"amount\": 50, \"to\": \"shop@example.com\"}", 0, NULL);
    struct omega_action a = {.kind = OMEGA_ACT_TOOL_CALL, .agent = "a1", .method = "tools/call", .target = "pay",
                             .args = args, .labels = &L};
    struct omega_decision d;
    CHECK(omega_policy_decide(eng, &a, &d) == 0 && d.verdict == OMEGA_ALLOW && d.npolicies == 1);
    CHECK_STR(d.policies[0], "policy0");
    CHECK(d.nerrors == 1);                      /* pay-dec: 50 is a Long, not a decimal */
    a.count = 2;                                /* the quota is spent */
    CHECK(omega_policy_decide(eng, &a, &d) == 0 && d.verdict == OMEGA_DENY && d.npolicies == 0);
    a.count = 0;
    json_object_set_new(args, "amount", json_real(12.5));   /* a fraction becomes a decimal */
    CHECK(omega_policy_decide(eng, &a, &d) == 0 && d.verdict == OMEGA_ALLOW);
    CHECK_STR(d.policies[0], "policy1");
    json_object_set_new(args, "amount", json_integer(500));
    CHECK(omega_policy_decide(eng, &a, &d) == 0 && d.verdict == OMEGA_ASK);
    CHECK_STR(d.policies[0], "policy2");
    /* labels: untrusted + secret forbids everything */
    json_object_set_new(args, "amount", json_integer(50));
    L.untrusted = 1;
    CHECK(omega_label_set_add(&L.classes, "secret") == 0);
    CHECK(omega_policy_decide(eng, &a, &d) == 0 && d.verdict == OMEGA_DENY);
    CHECK_STR(d.policies[0], "policy3");
    omega_labels_init(&L);
    /* send with redaction; arrays → sets, objects → records, null → absent */
    json_t *msg = json_loads("{\"items\": [1, 2, 3], \"gone\": null, \"meta\": {\"k\": \"v\"}}", 0, NULL);
    struct omega_action s = {.kind = OMEGA_ACT_SEND, .agent = "a1", .method = "send", .target = "b", .args = msg, .labels = &L};
    CHECK(omega_policy_decide(eng, &s, &d) == 0 && d.verdict == OMEGA_REDACT && d.nredact == 1);
    CHECK_STR(d.redact[0], "ssn");
    s.target = "c";
    CHECK(omega_policy_decide(eng, &s, &d) == 0 && d.verdict == OMEGA_DENY);
    /* egress: readers appear only when restricted */
    struct omega_action e = {.kind = OMEGA_ACT_EGRESS, .agent = "a1", .method = "egress", .target = "h", .labels = &L};
    CHECK(omega_policy_decide(eng, &e, &d) == 0 && d.verdict == OMEGA_DENY);
    L.readers_any = 0;
    CHECK(omega_label_set_add(&L.readers, "a1") == 0);
    CHECK(omega_policy_decide(eng, &e, &d) == 0 && d.verdict == OMEGA_ALLOW);
    /* any other MCP method: Action::"<m>" on Resource::"<uri>" */
    struct omega_action o = {.kind = OMEGA_ACT_OTHER, .agent = "a1", .method = "resources/read", .target = "file:///a",
                             .labels = &L};
    CHECK(omega_policy_decide(eng, &o, &d) == 0 && d.verdict == OMEGA_ALLOW);
    json_decref(args);
    json_decref(msg);
    omega_policy_engine_free(eng);
    omega_policy_set_free(ps);
    return 0;
}

OMEGA_TEST(policy_decide_allocates_nothing)
{
    struct omega_policy_set *ps = parse(agent_policies);
    CHECK(ps);
    struct omega_policy_engine *eng = omega_policy_engine_new(ps, NULL);
    struct omega_labels L;
    omega_labels_init(&L);
    json_t *args = json_loads("{\"amount\": 50, \"to\": \"shop@example.com\", \"items\": [1, {\"a\": [2.5]}]}", 0, NULL);
    struct omega_action a = {.kind = OMEGA_ACT_TOOL_CALL, .agent = "a1", .method = "tools/call", .target = "pay",
                             .args = args, .labels = &L};
    struct omega_decision d;
    CHECK(omega_policy_decide(eng, &a, &d) == 0);   /* first call: the thread's arena */
    struct mallinfo2 before = mallinfo2();
    for (int i = 0; i < 20000; i++)
        CHECK(omega_policy_decide(eng, &a, &d) == 0 && d.verdict == OMEGA_ALLOW);
    struct mallinfo2 after = mallinfo2();
    CHECK_MSG(before.uordblks == after.uordblks && before.hblkhd == after.hblkhd,
              "heap changed across decisions: %zu → %zu bytes", before.uordblks, after.uordblks);
    json_decref(args);
    omega_policy_engine_free(eng);
    omega_policy_set_free(ps);
    return 0;
}

struct reload_arg {
    struct omega_policy_engine *eng;
    volatile int stop;
    volatile long allow, deny, fail;
};

static void *decider(void *p)
{
    struct reload_arg *ra = p;
    struct omega_labels L;
    omega_labels_init(&L);
    struct omega_action a = {.kind = OMEGA_ACT_TOOL_CALL, .agent = "a1", .method = "tools/call", .target = "t", .labels = &L};
    while (!ra->stop) {
        struct omega_decision d;
        if (omega_policy_decide(ra->eng, &a, &d))
            ra->fail++;
        else if (d.verdict == OMEGA_ALLOW)
            ra->allow++;
        else
            ra->deny++;
    }
    return NULL;
}

OMEGA_TEST(policy_hot_reload)
{
    struct omega_policy_set *allow = parse("permit(principal, action, resource);");
    struct omega_policy_set *deny = parse("forbid(principal, action, resource);");
    CHECK(allow && deny);
    struct reload_arg ra = {.eng = omega_policy_engine_new(allow, NULL)};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, decider, &ra) == 0);
    /* Swap back and forth while a thread decides; both sets stay alive until the end, as a caller
     * that keeps the old set until in-flight decisions are done would. */
    for (int i = 0; i < 2000; i++) {
        const struct omega_policy_set *old = omega_policy_engine_swap(ra.eng, i % 2 ? allow : deny);
        CHECK(old == (i % 2 ? deny : allow));
    }
    omega_policy_engine_swap(ra.eng, allow);
    for (int i = 0; i < 5000 && ra.allow == 0; i++)
        usleep(1000);   /* let the decider see the final set at least once */
    ra.stop = 1;
    pthread_join(th, NULL);
    CHECK(ra.fail == 0 && ra.allow > 0);
    struct omega_labels L;
    omega_labels_init(&L);
    struct omega_action a = {.kind = OMEGA_ACT_TOOL_CALL, .agent = "a1", .method = "tools/call", .target = "t", .labels = &L};
    struct omega_decision d;
    CHECK(omega_policy_decide(ra.eng, &a, &d) == 0 && d.verdict == OMEGA_ALLOW);
    omega_policy_engine_swap(ra.eng, deny);
    CHECK(omega_policy_decide(ra.eng, &a, &d) == 0 && d.verdict == OMEGA_DENY);
    omega_policy_engine_free(ra.eng);
    omega_policy_set_free(allow);
    omega_policy_set_free(deny);
    return 0;
}

OMEGA_TEST(policy_schema_validation)
{
    const char *schema_text =
        "{\"\": {\"entityTypes\": {\"User\": {\"shape\": {\"type\": \"Record\", \"attributes\": {\"age\": {\"type\": \"Long\"}}}},"
        "  \"Doc\": {}}, \"actions\": {\"view\": {\"appliesTo\": {\"principalTypes\": [\"User\"], \"resourceTypes\": [\"Doc\"],"
        "  \"context\": {\"type\": \"Record\", \"attributes\": {\"n\": {\"type\": \"Long\"}}}}}}}}";
    json_t *schema = json_loads(schema_text, 0, NULL);
    CHECK(schema);
    struct omega_policy_set *ok = parse("permit(principal is User, action == Action::\"view\", resource is Doc)\n"
                                        "  when { principal.age > 18 && context.n < 3 };");
    char out[4096];
    CHECK(ok && omega_policy_validate(ok, schema, "ok.cedar", out, sizeof out, NULL) == 0);
    struct omega_policy_set *bad = parse("permit(principal is User, action == Action::\"view\", resource is Doc)\n"
                                         "  when { principal.height > 18 };\n"
                                         "permit(principal, action == Action::\"delete\", resource);\n"
                                         "permit(principal == Admin::\"x\", action == Action::\"view\", resource is User)\n"
                                         "  when { context.m };");
    int n = bad ? omega_policy_validate(bad, schema, "bad.cedar", out, sizeof out, NULL) : -1;
    CHECK_MSG(n == 6, "%d problems:\n%s", n, out);
    CHECK(strstr(out, "bad.cedar:2:10: attribute `height` is not declared for the principal"));
    CHECK(strstr(out, "bad.cedar:3:1: unrecognized action `Action::\"delete\"`"));
    CHECK(strstr(out, "bad.cedar:4:1: unrecognized entity type `Admin`"));
    CHECK(strstr(out, "does not apply to resources of type `User`"));
    CHECK(strstr(out, "bad.cedar:5:10: attribute `m` is not declared for the context"));
    json_t *junk = json_loads("[1]", 0, NULL);
    CHECK(omega_policy_validate(ok, junk, "x", out, sizeof out, NULL) < 0);
    json_decref(junk);
    json_decref(schema);
    omega_policy_set_free(ok);
    omega_policy_set_free(bad);
    return 0;
}

OMEGA_TEST(policy_entities_bad_input)
{
    static const char *const bad[] = {
        "{}", "[1]", "[{\"uid\": 1}]", "[{\"uid\": {\"type\": \"A\"}}]",
        "[{\"uid\": {\"type\": \"A\", \"id\": \"x\"}}, {\"uid\": {\"type\": \"A\", \"id\": \"x\"}}]",
        "[{\"uid\": {\"type\": \"A\", \"id\": \"x\"}, \"attrs\": {\"f\": 1.5}}]",
        "[{\"uid\": {\"type\": \"A\", \"id\": \"x\"}, \"attrs\": {\"f\": null}}]",
        "[{\"uid\": {\"type\": \"A\", \"id\": \"x\"}, \"parents\": {}}]",
        "[{\"uid\": {\"type\": \"A\", \"id\": \"x\"}, \"attrs\": {\"f\": {\"__extn\": {\"fn\": \"ip\", \"arg\": \"x\"}}}}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *j = json_loads(bad[i], 0, NULL);
        struct omega_entities *es = NULL;
        struct omega_error err = {0};
        CHECK_MSG(j && omega_entities_from_json(j, &es, &err) < 0 && !es, "accepted %s", bad[i]);
        json_decref(j);
    }
    /* a cycle in the hierarchy ends the closure walk */
    json_t *j = json_loads("[{\"uid\":{\"type\":\"G\",\"id\":\"a\"},\"parents\":[{\"type\":\"G\",\"id\":\"b\"}]},"
                           " {\"uid\":{\"type\":\"G\",\"id\":\"b\"},\"parents\":[{\"type\":\"G\",\"id\":\"a\"}]}]", 0, NULL);
    struct omega_entities *es = NULL;
    CHECK(omega_entities_from_json(j, &es, NULL) == 0 && omega_entities_count(es) == 2);
    json_decref(j);
    omega_entities_free(es);
    return 0;
}

static int sh(char *out, size_t len, const char *cmd)
{
    return omega_test_sh(out, len, "%s", cmd);
}

OMEGA_TEST(policy_cli_examples_replay)
{
    static const char *const bundles[] = {"payments", "data-residency", "untrusted-recipients", "inter-agent",
                                          "rate-limits"};
    for (size_t i = 0; i < sizeof bundles / sizeof bundles[0]; i++) {
        char cmd[2048], out[8192], want[8192];
        snprintf(cmd, sizeof cmd, "cd '%s/policy/examples/%s' && '%s' policy check --policies policies.cedar", OMEGA_SRCDIR,
                 bundles[i], omega_test_omega_bin());
        CHECK_MSG(sh(out, sizeof out, cmd) == 0, "%s: check failed", bundles[i]);
        snprintf(cmd, sizeof cmd, "cd '%s/policy/examples/%s' && '%s' policy replay --policies policies.cedar "
                 "--entities entities.json trace.jsonl", OMEGA_SRCDIR, bundles[i], omega_test_omega_bin());
        int st = sh(out, sizeof out, cmd);
        CHECK_MSG(st == 1, "%s: replay exit %d (every bundle denies something)", bundles[i], st);
        snprintf(cmd, sizeof cmd, "cat '%s/policy/examples/%s/expected.jsonl'", OMEGA_SRCDIR, bundles[i]);
        CHECK(sh(want, sizeof want, cmd) == 0);
        CHECK_MSG(strcmp(out, want) == 0, "%s: replay gave\n%s\nexpected\n%s", bundles[i], out, want);
    }
    return 0;
}

OMEGA_TEST(policy_cli_eval_and_errors)
{
    char dir[600], cmd[3000], out[8192];
    snprintf(dir, sizeof dir, "%s", omega_test_tmpdir());
    snprintf(cmd, sizeof cmd,
             "cd '%s' && printf 'permit(principal, action, resource) when { context.n > 1 };\\n' > p.cedar && "
             "printf '[]' > e.json && "
             "printf '{\"principal\":\"User::\\\\\"a\\\\\"\",\"action\":{\"type\":\"Action\",\"id\":\"v\"},\"resource\":{\"type\":\"D\",\"id\":\"d\"},\"context\":{\"n\":2}}' > r.json && "
             "printf '{\"principal\":{\"type\":\"U\",\"id\":\"a\"},\"action\":{\"type\":\"Action\",\"id\":\"v\"},\"resource\":{\"type\":\"D\",\"id\":\"d\"},\"context\":{\"n\":0}}\\n"
             "{\"principal\":{\"type\":\"U\",\"id\":\"a\"},\"action\":{\"type\":\"Action\",\"id\":\"v\"},\"resource\":{\"type\":\"D\",\"id\":\"d\"},\"context\":{\"n\":5}}\\n' > r.jsonl",
             dir);
    CHECK(sh(NULL, 0, cmd) == 0);
    const char *bin = omega_test_omega_bin();
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' policy eval --policies p.cedar --entities e.json --request r.json --json", dir, bin);
    CHECK(sh(out, sizeof out, cmd) == 0);
    CHECK_MSG(strstr(out, "{\"decision\":\"allow\",\"policies\":[\"policy0\"]"), "%s", out);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' policy eval --policies p.cedar --requests r.jsonl", dir, bin);
    CHECK(sh(out, sizeof out, cmd) == 0);
    char *second = strchr(out, '\n');
    CHECK(strstr(out, "\"decision\":\"deny\"") == out + 1 && second && strstr(second, "\"decision\":\"allow\""));
    /* usage and input errors: exit 2, never a crash */
    static const char *const bad[] = {
        "policy eval --policies p.cedar",
        "policy eval --policies nosuch.cedar --request r.json",
        "policy eval --policies p.cedar --request nosuch.json",
        "policy eval --policies p.cedar --entities p.cedar --request r.json",
        "policy eval --policies p.cedar --request p.cedar",
        "policy replay --policies p.cedar",
        "policy replay --policies p.cedar p.cedar",
        "policy frobnicate",
        "policy check",
        "policy check --policies p.cedar --schema p.cedar",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s 2>/dev/null", dir, bin, bad[i]);
        int st = sh(NULL, 0, cmd);
        CHECK_MSG(st == 2, "`%s` exited %d, expected 2", bad[i], st);
    }
    snprintf(cmd, sizeof cmd, "cd '%s' && printf 'permit(principal,,);' > bad.cedar && '%s' policy check --policies bad.cedar 2>&1",
             dir, bin);
    CHECK(sh(out, sizeof out, cmd) == 1 && strstr(out, "bad.cedar:1:18:"));
    /* against a schema: the payments bundle is valid; a misspelt attribute is located */
    snprintf(cmd, sizeof cmd, "cd '%s/policy/examples/payments' && '%s' policy check --policies policies.cedar --schema schema.json",
             OMEGA_SRCDIR, bin);
    CHECK(sh(out, sizeof out, cmd) == 0);
    snprintf(cmd, sizeof cmd, "cd '%s/policy/examples/payments' && sed 's/payees.contains/payee.contains/' policies.cedar > '%s/m.cedar' && "
             "'%s' policy check --policies '%s/m.cedar' --schema schema.json 2>&1", OMEGA_SRCDIR, dir, bin, dir);
    CHECK(sh(out, sizeof out, cmd) == 1);
    CHECK_MSG(strstr(out, "m.cedar:6:38: attribute `payee` is not declared for the principal"), "%s", out);
    return 0;
}

OMEGA_TEST(policy_replay_sliding_window)
{
    char cmd[3000], out[4096];
    const char *dir = omega_test_tmpdir();
    snprintf(cmd, sizeof cmd,
             "cd '%s' && printf 'permit(principal, action, resource);\\n"
             "forbid(principal, action == Action::\"tools/call\", resource == Tool::\"search\") when { context.rate.minute >= 2 };\\n"
             "forbid(principal, action, resource) when { context.rate.hour >= 4 };\\n' > w.cedar && "
             "for t in 0 10 20 70 80 90 4000; do printf '{\"agent\":\"a\",\"kind\":\"call\",\"ts\":%%s,\"msg\":{\"method\":\"tools/call\","
             "\"params\":{\"name\":\"search\",\"arguments\":{}}}}\\n' $t; done > w.jsonl && '%s' policy replay --policies w.cedar w.jsonl",
             dir, omega_test_omega_bin());
    int st = omega_test_sh(out, sizeof out, "%s", cmd);
    CHECK_MSG(st == 1, "exit %d: %s", st, out);
    /* t=0, 10 allowed; 20: two allowed calls in the last minute → denied; 70: 10 is 60 s old, out
     * of the window → allowed; 80: one (70) → allowed; 90: two (70, 80) in the minute and four in the
     * hour → denied by both; 4000: every allowed call is over an hour old → allowed. */
    const char *want =
        "{\"line\":1,\"agent\":\"a\",\"decision\":\"allow\",\"policies\":[\"policy0\"]}\n"
        "{\"line\":2,\"agent\":\"a\",\"decision\":\"allow\",\"policies\":[\"policy0\"]}\n"
        "{\"line\":3,\"agent\":\"a\",\"decision\":\"deny\",\"policies\":[\"policy1\"]}\n"
        "{\"line\":4,\"agent\":\"a\",\"decision\":\"allow\",\"policies\":[\"policy0\"]}\n"
        "{\"line\":5,\"agent\":\"a\",\"decision\":\"allow\",\"policies\":[\"policy0\"]}\n"
        "{\"line\":6,\"agent\":\"a\",\"decision\":\"deny\",\"policies\":[\"policy1\",\"policy2\"]}\n"
        "{\"line\":7,\"agent\":\"a\",\"decision\":\"allow\",\"policies\":[\"policy0\"]}\n";
    CHECK_MSG(strcmp(out, want) == 0, "got\n%s", out);
    return 0;
}

/* Declassification is an action like any other: decided, printed, and applied only when allowed. */
OMEGA_TEST(policy_replay_declassify)
{
    char cmd[2048], out[4096], want[4096];
    snprintf(cmd, sizeof cmd, "cd '%s/tests/data/policy/declassify' && '%s' policy replay --policies policies.cedar trace.jsonl",
             OMEGA_SRCDIR, omega_test_omega_bin());
    CHECK(omega_test_sh(out, sizeof out, "%s", cmd) == 1);
    snprintf(cmd, sizeof cmd, "cat '%s/tests/data/policy/declassify/expected.jsonl'", OMEGA_SRCDIR);
    CHECK(omega_test_sh(want, sizeof want, "%s", cmd) == 0);
    CHECK_MSG(strcmp(out, want) == 0, "got\n%s", out);
    /* the officer's egress after its allowed declassification is allowed; the intern's stays denied */
    CHECK(strstr(out, "{\"line\":6,\"agent\":\"officer\",\"decision\":\"allow\""));
    CHECK(strstr(out, "{\"line\":7,\"agent\":\"intern\",\"decision\":\"deny\""));
    return 0;
}
