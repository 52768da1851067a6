/* context.rate: the engine's sliding windows, driven by a fake clock (the action's now_ns), so no
 * test sleeps. What is checked: which calls count (allowed ones, per agent and per method+target),
 * where the windows end, bounded memory against an agent calling thousands of tool names (and
 * failing closed when it runs out of room), exact counts under concurrent decisions, and that a
 * policy set without context.rate keeps no windows at all. */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/agent.h"
#include "core/buf.h"
#include "core/labels.h"
#include "core/monitor.h"
#include "core/runtime.h"
#include "policy/policy.h"
#include "tests/test.h"

#define S 1000000000ull   /* one second in ns */

static struct omega_policy_set *parse(const char *text)
{
    struct omega_policy_set *ps = NULL;
    struct omega_error err = {0};
    if (omega_policy_set_parse(text, strlen(text), "rate.cedar", &ps, &err)) {
        fprintf(stderr, "parse failed: %s\n", err.msg);
        return NULL;
    }
    return ps;
}

/* One tools/call at time t (ns): the verdict. */
static int call(struct omega_policy_engine *eng, const char *agent, const char *tool, uint64_t t)
{
    struct omega_labels L;
    omega_labels_init(&L);
    struct omega_action a = {.kind = OMEGA_ACT_TOOL_CALL, .agent = agent, .method = "tools/call", .target = tool,
                             .labels = &L, .now_ns = t};
    struct omega_decision d;
    if (omega_policy_decide(eng, &a, &d))
        return -1;
    return (int)d.verdict;
}

static const char minute3[] =
    "permit(principal, action, resource);\n"
    "forbid(principal, action == Action::\"tools/call\", resource) when { context.rate.minute >= 3 };\n";

OMEGA_TEST(policy_rate_minute_window)
{
    struct omega_policy_set *ps = parse(minute3);
    CHECK(ps);
    struct omega_policy_engine *eng = omega_policy_engine_new(ps, NULL);
    CHECK(eng);
    uint64_t t0 = 1000 * S;   /* a multiple of the 4 s step */
    /* Three allowed calls in the minute; the fourth and fifth are refused, and refused calls do
     * not count (else a refused agent could never recover). */
    CHECK_EQ_INT(call(eng, "a", "search", t0), OMEGA_ALLOW);
    CHECK_EQ_INT(call(eng, "a", "search", t0 + S / 2), OMEGA_ALLOW);
    CHECK_EQ_INT(call(eng, "a", "search", t0 + 10 * S), OMEGA_ALLOW);
    CHECK_EQ_INT(call(eng, "a", "search", t0 + 20 * S), OMEGA_DENY);
    CHECK_EQ_INT(call(eng, "a", "search", t0 + 30 * S), OMEGA_DENY);
    /* Per agent and per tool: another agent, or another tool of the same agent, starts at 0. */
    CHECK_EQ_INT(call(eng, "b", "search", t0 + 30 * S), OMEGA_ALLOW);
    CHECK_EQ_INT(call(eng, "a", "fetch", t0 + 30 * S), OMEGA_ALLOW);
    /* The window is the current 4 s step and the 15 before it: a call counts for at least 60 s and
     * leaves within 64 s. t0 and t0+0.5 share the step [t0, t0+4); t0+10 is in [t0+8, t0+12). */
    CHECK_EQ_INT(call(eng, "a", "search", t0 + 59 * S + S * 9 / 10), OMEGA_DENY);
    CHECK_EQ_INT(call(eng, "a", "search", t0 + 64 * S - 1), OMEGA_DENY);      /* t0's step still in */
    CHECK_EQ_INT(call(eng, "a", "search", t0 + 64 * S), OMEGA_ALLOW);         /* only t0+10 left: 1 */
    CHECK_EQ_INT(call(eng, "a", "search", t0 + 65 * S), OMEGA_ALLOW);         /* t0+10, t0+64: 2 */
    CHECK_EQ_INT(call(eng, "a", "search", t0 + 66 * S), OMEGA_DENY);          /* 3 */
    CHECK_EQ_INT(call(eng, "a", "search", t0 + 71 * S), OMEGA_DENY);          /* t0+10 still in (its step ends at 72) */
    CHECK_EQ_INT(call(eng, "a", "search", t0 + 72 * S), OMEGA_ALLOW);         /* t0+64, t0+65: 2 */
    /* A clock that steps back counts as the newest time seen: nothing is forgotten early. */
    CHECK_EQ_INT(call(eng, "a", "search", t0), OMEGA_DENY);
    omega_policy_engine_free(eng);
    omega_policy_set_free(ps);
    return 0;
}

/* The promise to a policy author, checked on random traffic: with `rate.minute >= N` forbidding, no
 * call is allowed after N allowed calls less than 60 s before it, and no call is refused unless N
 * allowed calls were made less than 64 s (60 s and a step) before it. */
OMEGA_TEST(policy_rate_window_bounds_random)
{
    struct omega_policy_set *ps = parse(minute3);
    CHECK(ps);
    struct omega_policy_engine *eng = omega_policy_engine_new(ps, NULL);
    CHECK(eng);
    enum { CALLS = 4000 };
    static uint64_t allowed[CALLS];
    uint32_t nallowed = 0;
    uint64_t t = 5 * S, r = 0x5eed;
    for (int i = 0; i < CALLS; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        t += r % (25 * S);   /* gaps of 0 to 25 s */
        int v = call(eng, "a", "search", t);
        CHECK(v == OMEGA_ALLOW || v == OMEGA_DENY);
        uint32_t within60 = 0, within64 = 0;
        for (uint32_t k = nallowed; k-- > 0 && t - allowed[k] < 64 * S;) {
            within64++;
            within60 += t - allowed[k] < 60 * S;
        }
        if (v == OMEGA_ALLOW) {
            CHECK_MSG(within60 < 3, "call %d allowed with %u allowed calls in the last 60 s", i, within60);
            allowed[nallowed++] = t;
        } else {
            CHECK_MSG(within64 >= 3, "call %d refused with %u allowed calls in the last 64 s", i, within64);
        }
    }
    CHECK(nallowed > 100 && nallowed < CALLS);
    omega_policy_engine_free(eng);
    omega_policy_set_free(ps);
    return 0;
}

OMEGA_TEST(policy_rate_hour_and_day)
{
    struct omega_policy_set *ps = parse("permit(principal, action, resource);\n"
                                        "forbid(principal, action, resource) when { context.rate.hour >= 5 };\n"
                                        "forbid(principal, action, resource) when { context.rate.day >= 8 };\n");
    CHECK(ps);
    struct omega_policy_engine *eng = omega_policy_engine_new(ps, NULL);
    CHECK(eng);
    uint64_t t = 28800 * S, M = 60 * S;   /* a multiple of the 4 min and the 96 min steps */
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(call(eng, "a", "mail", t + (uint64_t)i * 10 * M), OMEGA_ALLOW);   /* 0, 10 … 40 min */
    CHECK_EQ_INT(call(eng, "a", "mail", t + 50 * M), OMEGA_DENY);                  /* 5 in the hour */
    CHECK_EQ_INT(call(eng, "a", "mail", t + 63 * M), OMEGA_DENY);                  /* 4 min steps: 0 min still in */
    CHECK_EQ_INT(call(eng, "a", "mail", t + 64 * M), OMEGA_ALLOW);                 /* 4 in the hour; 6 today */
    CHECK_EQ_INT(call(eng, "a", "mail", t + 130 * M), OMEGA_ALLOW);                /* 7 today */
    CHECK_EQ_INT(call(eng, "a", "mail", t + 200 * M), OMEGA_ALLOW);                /* 8 today */
    CHECK_EQ_INT(call(eng, "a", "mail", t + 300 * M), OMEGA_DENY);                 /* the day is spent */
    CHECK_EQ_INT(call(eng, "a", "mail", t + 24 * 60 * M + 95 * M), OMEGA_DENY);    /* 96 min steps: t+0 still in */
    CHECK_EQ_INT(call(eng, "a", "mail", t + 24 * 60 * M + 96 * M), OMEGA_ALLOW);   /* a day and a step on */
    omega_policy_engine_free(eng);
    omega_policy_set_free(ps);
    return 0;
}

/* An agent that calls thousands of distinct tool names: its windows stay within one block (no
 * allocation after its first call), the names beyond the block's room read as over every limit
 * (fail closed) while its tracked tools keep their counts, other agents are untouched, and a day
 * later the room is free again. */
OMEGA_TEST(policy_rate_bounded_against_many_tools)
{
    struct omega_policy_set *ps = parse("permit(principal, action, resource) when { context.rate.day < 1000 };\n");
    CHECK(ps);
    struct omega_policy_engine *eng = omega_policy_engine_new(ps, NULL);
    CHECK(eng);
    uint64_t t = 100 * S;
    CHECK_EQ_INT(call(eng, "evil", "t0", t), OMEGA_ALLOW);   /* the agent's block is made here */
    CHECK_EQ_INT(call(eng, "good", "t0", t), OMEGA_ALLOW);
    struct mallinfo2 before = mallinfo2();
    int allowed = 1, refused = 0;
    for (int i = 1; i < 5000; i++) {
        char name[32];
        snprintf(name, sizeof name, "t%d", i);
        int v = call(eng, "evil", name, t + (uint64_t)i * 1000);
        allowed += v == OMEGA_ALLOW;
        refused += v == OMEGA_DENY;
    }
    struct mallinfo2 after = mallinfo2();
    CHECK_MSG(before.uordblks == after.uordblks, "heap grew by %zd bytes",
              (ssize_t)after.uordblks - (ssize_t)before.uordblks);
    CHECK_MSG(allowed == 64 && refused == 5000 - allowed, "allowed %d, refused %d", allowed, refused);   /* 64 a block */
    CHECK_EQ_INT(call(eng, "evil", "t0", t + 10 * S), OMEGA_ALLOW);    /* tracked tools still work */
    CHECK_EQ_INT(call(eng, "good", "t4999", t + 10 * S), OMEGA_ALLOW); /* others are not affected */
    CHECK_EQ_INT(call(eng, "evil", "t4999", t + 26 * 3600 * S), OMEGA_ALLOW);   /* a day and a step on: room again */
    omega_policy_engine_free(eng);
    omega_policy_set_free(ps);
    return 0;
}

struct race {
    struct omega_policy_engine *eng;
    int allowed;
};

static void *racer(void *p)
{
    struct race *r = p;
    for (int i = 0; i < 2000; i++)
        r->allowed += call(r->eng, "a", "pay", 50 * S) == OMEGA_ALLOW;
    return NULL;
}

/* Four threads deciding for one agent at once: exactly the limit gets through. */
OMEGA_TEST(policy_rate_exact_under_concurrency)
{
    struct omega_policy_set *ps = parse("permit(principal, action, resource) when { context.rate.minute < 100 };\n");
    CHECK(ps);
    struct omega_policy_engine *eng = omega_policy_engine_new(ps, NULL);
    CHECK(eng);
    struct race r[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (struct race){.eng = eng};
        CHECK(pthread_create(&th[i], NULL, racer, &r[i]) == 0);
    }
    int total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        total += r[i].allowed;
    }
    CHECK_EQ_INT(total, 100);
    omega_policy_engine_free(eng);
    omega_policy_set_free(ps);
    return 0;
}

/* A set that never reads context.rate keeps no windows: no agent block is made. */
OMEGA_TEST(policy_rate_untouched_without_rate_policies)
{
    struct omega_policy_set *ps = parse("permit(principal, action, resource) when { context.count < 5 };\n");
    CHECK(ps);
    struct omega_policy_engine *eng = omega_policy_engine_new(ps, NULL);
    CHECK(eng);
    CHECK_EQ_INT(call(eng, "warm", "x", S), OMEGA_ALLOW);   /* the thread's arena */
    struct mallinfo2 before = mallinfo2();
    for (int i = 0; i < 100; i++) {
        char agent[16];
        snprintf(agent, sizeof agent, "a%d", i);
        CHECK_EQ_INT(call(eng, agent, "x", S), OMEGA_ALLOW);
    }
    struct mallinfo2 after = mallinfo2();
    CHECK(before.uordblks == after.uordblks);
    omega_policy_engine_free(eng);
    omega_policy_set_free(ps);
    return 0;
}

/* The validator knows the windows: a misspelt one, or a count ordered against a string, is caught
 * by `omega policy check` with or without a schema (at run time both would only skip the policy). */
OMEGA_TEST(policy_rate_validated)
{
    struct omega_policy_set *ps = parse("permit(principal, action, resource)\n"
                                        "  when { context.rate.weekly < 3 };\n"
                                        "forbid(principal, action, resource)\n"
                                        "  when { context.rate.minute >= \"3\" || context.count > decimal(\"1.0\") };\n"
                                        "forbid(principal, action, resource) when { context.rate.day >= 3 && context.count < 2 };\n");
    CHECK(ps);
    char out[2048];
    struct omega_error err = {0};
    int n = omega_policy_validate(ps, NULL, "r.cedar", out, sizeof out, &err);
    CHECK_MSG(n == 3, "%d problems:\n%s", n, out);
    CHECK_MSG(strstr(out, "r.cedar:2:") && strstr(out, "not `weekly`"), "%s", out);
    CHECK_MSG(strstr(out, "r.cedar:4:") && strstr(out, "against a string"), "%s", out);
    CHECK_MSG(strstr(out, "against a decimal"), "%s", out);
    omega_policy_set_free(ps);
    return 0;
}

static int ok_tool(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    (void)ctx;
    (void)rq;
    return omega_buf_printf(rp->out, "ok");
}

/* Six calls of each tool; the exit code is 10 × lookups allowed + quota calls allowed. */
static int six_each(struct omega_agent *ag, const void *arg, size_t arglen)
{
    (void)arg;
    (void)arglen;
    int lookups = 0, quota = 0;
    for (int i = 0; i < 6; i++) {
        char out[64];
        size_t n;
        lookups += omega_agent_call_tool(ag, "lookup", "{}", 2, out, sizeof out, &n) == 0;
        quota += omega_agent_call_tool(ag, "quota", "{}", 2, out, sizeof out, &n) == 0;
    }
    return 10 * lookups + quota;
}

/* End to end: the runtime's monitor with the engine as decider. context.count comes from the
 * runtime's per-agent counts and context.rate from the engine's windows on the runtime's clock. */
OMEGA_TEST_TIMEOUT(policy_rate_through_the_runtime, 30)
{
    struct omega_policy_set *ps =
        parse("permit(principal, action == Action::\"tools/call\", resource == Tool::\"lookup\")\n"
              "  when { context.rate.minute < 4 };\n"
              "permit(principal, action == Action::\"tools/call\", resource == Tool::\"quota\")\n"
              "  when { context.count < 2 };\n");
    CHECK(ps);
    struct omega_policy_engine *eng = omega_policy_engine_new(ps, NULL);
    CHECK(eng);
    struct omega_monitor mon;
    omega_monitor_init(&mon);
    omega_monitor_set_decider(&mon, omega_policy_decide, eng);
    struct omega_error err = {0};
    struct omega_runtime *rt = omega_runtime_new(NULL, &mon, &err);
    CHECK_MSG(rt != NULL, "%s", err.msg);
    CHECK(omega_runtime_register_tool(rt, "lookup", ok_tool, NULL) == 0);
    CHECK(omega_runtime_register_tool(rt, "quota", ok_tool, NULL) == 0);
    int a = omega_runtime_spawn(rt, "a", six_each, NULL, 0, &err);
    int b = omega_runtime_spawn(rt, "b", six_each, NULL, 0, &err);
    CHECK_MSG(a >= 0 && b >= 0, "%s", err.msg);
    struct omega_agent_status st;
    CHECK(omega_runtime_wait(rt, a, 20000, &st) == 0);
    CHECK_MSG(st.exit_code == 42, "agent a: exit %d (%s)", st.exit_code, st.reason);   /* 4 lookups, 2 quota */
    CHECK(omega_runtime_wait(rt, b, 20000, &st) == 0);
    CHECK_MSG(st.exit_code == 42, "agent b: exit %d (%s)", st.exit_code, st.reason);   /* its own windows */
    omega_runtime_free(rt);
    omega_policy_engine_free(eng);
    omega_policy_set_free(ps);
    return 0;
}

/* An ask a human approved later counts in the windows once the runtime reports it (the monitor's
 * counter); without that report a cap behind an ask would never see approved calls. */
OMEGA_TEST(policy_rate_counts_approved_asks)
{
    static const char text[] =
        "@decision(\"ask\")\npermit(principal, action == Action::\"tools/call\", resource == Tool::\"mail\");\n"
        "forbid(principal, action == Action::\"tools/call\", resource == Tool::\"mail\") when { context.rate.minute >= 2 };\n";
    struct omega_policy_set *ps = parse(text);
    CHECK(ps);
    struct omega_policy_engine *eng = omega_policy_engine_new(ps, NULL);
    CHECK(eng);
    struct omega_labels L;
    omega_labels_init(&L);
    uint64_t t0 = 1000 * S;
    struct omega_action a = {.kind = OMEGA_ACT_TOOL_CALL, .agent = "a", .method = "tools/call", .target = "mail",
                             .labels = &L, .now_ns = t0};
    /* Asks do not count at decision time: three asks in a row, nothing counted. */
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(call(eng, "a", "mail", t0 + (uint64_t)i * S), OMEGA_ASK);
    /* Two approvals reported: the cap is reached and the next call is denied outright. */
    CHECK_EQ_INT(omega_policy_count_allowed(eng, &a), 0);
    a.now_ns = t0 + 2 * S;
    CHECK_EQ_INT(omega_policy_count_allowed(eng, &a), 0);
    CHECK_EQ_INT(call(eng, "a", "mail", t0 + 3 * S), OMEGA_DENY);
    /* Another agent's windows are its own. */
    CHECK_EQ_INT(call(eng, "b", "mail", t0 + 3 * S), OMEGA_ASK);
    omega_policy_engine_free(eng);
    omega_policy_set_free(ps);
    return 0;
}

/* Redacting policies that name more fields together than a decision carries deny: masking only the
 * first eight would hand over the rest. */
OMEGA_TEST(policy_redact_too_many_fields_denies)
{
    static const char text[] =
        "@redact(\"f1, f2, f3, f4, f5\")\npermit(principal, action, resource == Tool::\"t\");\n"
        "@redact(\"f4, f5, f6, f7, f8\")\npermit(principal, action, resource == Tool::\"t\");\n"
        "@redact(\"f9\")\npermit(principal, action, resource == Tool::\"u\");\n"
        "@redact(\"f1, f2, f3, f4, f5, f6, f7, f8\")\npermit(principal, action, resource == Tool::\"u\");\n";
    struct omega_policy_set *ps = parse(text);
    CHECK(ps);
    struct omega_policy_engine *eng = omega_policy_engine_new(ps, NULL);
    CHECK(eng);
    struct omega_labels L;
    omega_labels_init(&L);
    struct omega_action a = {.kind = OMEGA_ACT_TOOL_CALL, .agent = "a", .method = "tools/call", .target = "t",
                             .labels = &L};
    struct omega_decision d;
    CHECK_EQ_INT(omega_policy_decide(eng, &a, &d), 0);
    CHECK_EQ_INT(d.verdict, OMEGA_REDACT);   /* f1..f8: exactly eight distinct */
    CHECK_EQ_INT(d.nredact, 8);
    a.target = "u";
    CHECK_EQ_INT(omega_policy_decide(eng, &a, &d), 0);
    CHECK_EQ_INT(d.verdict, OMEGA_DENY);     /* nine distinct */
    CHECK_EQ_INT(d.nredact, 0);
    omega_policy_engine_free(eng);
    omega_policy_set_free(ps);
    return 0;
}
