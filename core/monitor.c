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
    m->count = NULL;   /* a counter and what the decider reads belong to the decider */
    m->ignores_args = 0;
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

static void put_len(uint8_t buf[8], size_t n)
{
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)((uint64_t)n >> (8 * i));
}

void omega_monitor_io_digest(const char *agent, const char *method, const char *target, const void *payload,
                             size_t plen, uint8_t out[32])
{
    /* The fields go through one stack buffer and a single SHA-256 update: per-field updates cost
     * about as much as hashing a typical tool call's bytes. Larger inputs stream the same bytes. */
    const void *fp[4] = {agent, method, target, payload};
    size_t fl[4] = {strlen(agent), strlen(method), strlen(target), plen};
    uint8_t buf[1024];
    SHA256_CTX h;
    SHA256_Init(&h);
    size_t used = 0;
    for (int f = 0; f < 4; f++) {
        if (fl[f] + 8 > sizeof buf - used) {
            SHA256_Update(&h, buf, used);
            used = 0;
        }
        put_len(buf + used, fl[f]);
        used += 8;
        if (fl[f] + 8 <= sizeof buf) {
            if (fl[f])
                memcpy(buf + used, fp[f], fl[f]);
            used += fl[f];
        } else {
            SHA256_Update(&h, buf, used);
            SHA256_Update(&h, fp[f], fl[f]);
            used = 0;
        }
    }
    SHA256_Update(&h, buf, used);
    SHA256_Final(out, &h);
}

void omega_monitor_set_durable(struct omega_monitor *m, omega_durable_fn fn, void *ctx)
{
    m->durable = fn;
    m->durable_ctx = ctx;
}

void omega_monitor_decider_ignores_args(struct omega_monitor *m)
{
    m->ignores_args = 1;
}

void omega_monitor_set_counter(struct omega_monitor *m, omega_count_fn fn)
{
    m->count = fn;
}

int omega_monitor_count(struct omega_monitor *m, const struct omega_action *a)
{
    return m->count ? m->count(m->decide_ctx, a) : 0;
}
