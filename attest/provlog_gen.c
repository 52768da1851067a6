/* The synthetic decision stream (see provlog_gen.h). */
#include "attest/provlog_gen.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const roles[5] = {"support", "coder", "research", "analyst", "ops"};
static const char *const tools[PL_GEN_TOOLS] = {
    "web_search", "fetch_url", "read_file", "write_file", "run_python", "sql_query", "send_email",
    "calendar_lookup", "create_ticket", "update_ticket", "search_kb", "translate", "summarize",
    "git_diff", "git_commit", "run_tests", "lint", "deploy_preview", "get_weather", "stock_quote",
    "crm_lookup", "crm_update", "slack_post", "jira_search", "pdf_extract", "ocr_image",
    "vector_search", "http_get", "shell_exec", "k8s_status"};
static const char *const models[2] = {"llama-2-7b-chat", "llama-2-13b-chat"};
static const char *const kinds[5] = {"tools/call", "read", "send", "infer", "egress"};
static const char *const redact_fields[2] = {"email", "ssn"};

static uint64_t rnd(struct pl_gen *g)
{
    uint64_t x = g->rng;   /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    g->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static double unif(struct pl_gen *g)
{
    return (double)(rnd(g) >> 11) / 9007199254740992.0;
}

static void zipf_cdf(double *c, int n, double s)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += 1.0 / pow(i + 1, s);
    double acc = 0;
    for (int i = 0; i < n; i++) {
        acc += 1.0 / pow(i + 1, s) / sum;
        c[i] = acc;
    }
    c[n - 1] = 1.0;
}

static int pick(const double *cdf, int n, double u)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void pl_gen_init(struct pl_gen *g, uint32_t agents, double rate, uint64_t seed)
{
    memset(g, 0, sizeof *g);
    g->rng = seed * 0x9E3779B97F4A7C15ull + 0x1234567ull;
    if (!g->rng)
        g->rng = 1;
    g->agents = agents < 1 ? 1 : agents > PL_GEN_AGENTS_MAX ? PL_GEN_AGENTS_MAX : agents;
    g->rate = rate > 0 ? rate : 1000;
    for (uint32_t i = 0; i < g->agents; i++)
        snprintf(g->agent[i], sizeof g->agent[i], "%s-agent-%03u", roles[i % 5], i);
    for (int i = 0; i < PL_GEN_ITEMS; i++)
        snprintf(g->item[i], sizeof g->item[i], "kb/doc-%05d", i * 7919 % 100000);
    for (int i = 0; i < PL_GEN_HOSTS; i++)
        snprintf(g->host[i], sizeof g->host[i], "api%d.partner-%d.example", i % 3, i);
    zipf_cdf(g->zipf_items, PL_GEN_ITEMS, 1.1);
    zipf_cdf(g->zipf_tools, 8, 1.0);
    zipf_cdf(g->zipf_hosts, PL_GEN_HOSTS, 1.2);
    /* Policy ids: slot = role * 12 + kind * 2 + (0 permit, 1 forbid); 60..63 shared ones. */
    for (int r = 0; r < 5; r++)
        for (int k = 0; k < 5; k++) {
            snprintf(g->policy[r * 12 + k * 2], 40, "permit-%s-%s", roles[r], k == 0 ? "tools" : kinds[k]);
            snprintf(g->policy[r * 12 + k * 2 + 1], 40, "forbid-%s-%s", roles[r], k == 0 ? "tools" : kinds[k]);
        }
    snprintf(g->policy[60], 40, "ask-human-approval");
    snprintf(g->policy[61], 40, "redact-pii");
    snprintf(g->policy[62], 40, "forbid-tainted-egress");
    snprintf(g->policy[63], 40, "rate-limit-default");
    g->t_ms = 0;
}

void pl_gen_next(struct pl_gen *g, struct omega_action *a, struct omega_decision *d, uint8_t io[32])
{
    g->t_ms += -log(1.0 - unif(g)) * 1000.0 / g->rate;   /* Poisson arrivals */
    uint32_t ag = (uint32_t)(rnd(g) % g->agents);
    int role = (int)(ag % 5);
    memset(a, 0, sizeof *a);
    memset(d, 0, sizeof *d);
    a->agent = g->agent[ag];
    double u = unif(g);
    int kind = u < 0.55 ? 0 : u < 0.75 ? 1 : u < 0.85 ? 2 : u < 0.95 ? 3 : 4;
    a->method = kinds[kind];
    switch (kind) {
    case 0: {   /* each role uses 8 tools of the catalog, some shared with other roles */
        int t = pick(g->zipf_tools, 8, unif(g));
        a->kind = OMEGA_ACT_TOOL_CALL;
        a->target = tools[(role * 5 + t) % PL_GEN_TOOLS];
        break;
    }
    case 1:
        a->kind = OMEGA_ACT_READ;
        a->target = g->item[pick(g->zipf_items, PL_GEN_ITEMS, unif(g))];
        break;
    case 2:     /* agents talk to the four next to them in their team */
        a->kind = OMEGA_ACT_SEND;
        a->target = g->agent[(ag + 1 + rnd(g) % 4) % g->agents];
        break;
    case 3:
        a->kind = OMEGA_ACT_INFER;
        a->target = models[unif(g) < 0.8 ? 0 : 1];
        break;
    default:
        a->kind = OMEGA_ACT_EGRESS;
        a->target = g->host[pick(g->zipf_hosts, PL_GEN_HOSTS, unif(g))];
        break;
    }
    double v = unif(g);
    if (v < 0.90) {
        d->verdict = OMEGA_ALLOW;
        d->policies[d->npolicies++] = g->policy[role * 12 + kind * 2];
    } else if (v < 0.96) {
        d->verdict = OMEGA_DENY;
        d->policies[d->npolicies++] = kind == 4 && v < 0.93 ? g->policy[62] : g->policy[role * 12 + kind * 2 + 1];
    } else if (v < 0.98) {
        d->verdict = OMEGA_ASK;
        d->policies[d->npolicies++] = g->policy[60];
    } else {
        d->verdict = OMEGA_REDACT;
        d->policies[d->npolicies++] = g->policy[role * 12 + kind * 2];
        d->policies[d->npolicies++] = g->policy[61];
        d->redact[d->nredact++] = redact_fields[0];
        d->redact[d->nredact++] = redact_fields[1];
    }
    for (int i = 0; i < 32; i += 8) {
        uint64_t x = rnd(g);
        memcpy(io + i, &x, 8);
    }
}

uint64_t pl_gen_clock_ms(void *arg)
{
    const struct pl_gen *g = arg;
    return 1767225600000ull + (uint64_t)g->t_ms;   /* 2026-01-01T00:00:00Z */
}
