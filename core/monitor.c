#include <string.h>

/* The low-level SHA-256 calls need no allocation per request (EVP_MD_CTX_new does). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "core/monitor.h"

void omega_monitor_init(struct omega_monitor *m)
{
    memset(m, 0, sizeof *m);
}

void omega_monitor_set_decider(struct omega_monitor *m, omega_decide_fn fn, void *ctx)
{
    m->decide = fn;
    m->decide_ctx = ctx;
}

void omega_monitor_set_recorder(struct omega_monitor *m, omega_record_fn fn, void *ctx)
{
    m->record = fn;
    m->record_ctx = ctx;
}

int omega_monitor_decide(struct omega_monitor *m, const struct omega_action *a, struct omega_decision *d)
{
    memset(d, 0, sizeof *d);
    d->verdict = OMEGA_DENY;
    atomic_fetch_add_explicit(&m->stats.decisions, 1, memory_order_relaxed);
    int rc = OMEGA_EDENIED;
    if (m->decide) {
        rc = m->decide(m->decide_ctx, a, d);
        if (rc < 0) {
            atomic_fetch_add_explicit(&m->stats.decider_errors, 1, memory_order_relaxed);
            memset(d, 0, sizeof *d);
            d->verdict = OMEGA_DENY;   /* fail closed: whatever the decider left is discarded */
        }
    }
    if (d->verdict > OMEGA_REDACT)
        d->verdict = OMEGA_DENY;
    if (d->npolicies > OMEGA_DECISION_MAX_POLICIES)
        d->npolicies = OMEGA_DECISION_MAX_POLICIES;
    if (d->nredact > OMEGA_DECISION_MAX_REDACT)
        d->nredact = OMEGA_DECISION_MAX_REDACT;
    atomic_fetch_add_explicit(d->verdict == OMEGA_DENY ? &m->stats.denied : &m->stats.allowed, 1,
                              memory_order_relaxed);
    return m->decide ? (rc < 0 ? rc : 0) : OMEGA_EDENIED;
}

int omega_monitor_record(struct omega_monitor *m, const struct omega_action *a, const struct omega_decision *d,
                         const uint8_t io_digest[32], uint64_t *seq)
{
    if (!m->record)
        return 0;
    uint64_t s = 0;
    int rc = m->record(m->record_ctx, a, d, io_digest, &s);
    if (rc < 0) {
        atomic_fetch_add_explicit(&m->stats.record_errors, 1, memory_order_relaxed);
        return rc;
    }
    atomic_fetch_add_explicit(&m->stats.records, 1, memory_order_relaxed);
    if (seq)
        *seq = s;
    return 0;
}

static void put_field(SHA256_CTX *h, const void *p, size_t n)
{
    uint8_t len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)((uint64_t)n >> (8 * i));
    SHA256_Update(h, len, 8);
    if (n)
        SHA256_Update(h, p, n);
}

void omega_monitor_io_digest(const char *agent, const char *method, const char *target, const void *payload,
                             size_t plen, uint8_t out[32])
{
    SHA256_CTX h;
    SHA256_Init(&h);
    put_field(&h, agent, strlen(agent));
    put_field(&h, method, strlen(method));
    put_field(&h, target, strlen(target));
    put_field(&h, payload, plen);
    SHA256_Final(out, &h);
}

void omega_monitor_set_durable(struct omega_monitor *m, omega_durable_fn fn, void *ctx)
{
    m->durable = fn;
    m->durable_ctx = ctx;
}
