/* Sliding windows for context.rate: how many calls of one (agent, method, target) the policies
 * allowed in the last minute, hour and day.
 *
 * Each window is 15 steps long (4 s for the minute, 4 min for the hour, 96 min for the day) and
 * counts the current step and the 15 before it, so it holds every call of the last 60 s (hour, day)
 * and at most one step more: a limit `context.rate.minute < N` can never let N+1 calls through in
 * any 60 s. Counts per step sit in a ring with a running total, so reading a window is one load and
 * moving it forward costs one subtraction per step passed. Fifteen steps rather than sixty keep an
 * entry at 228 bytes: with hundreds of agents the windows live mostly outside the caches, and each
 * cache line a decision touches costs more than the arithmetic.
 *
 * Memory is bounded whatever an agent calls: an agent's windows live in one block of
 * PRATE_TOOLS entries (15.3 KiB), made on its first decision (the only allocation, once per agent),
 * and the directory of agents has a fixed size. An entry whose day window is empty holds nothing and is
 * reused. When no entry is free (an agent calling more distinct tools within a day than the block
 * holds, or more agents than the directory holds) the call's windows read PRATE_UNKNOWN: a limit
 * written as `rate < N` (permit) or `rate >= N` (forbid) then refuses it, so running out of room
 * fails closed, and only for the agent that ran out.
 *
 * Keys are 64-bit hashes, not strings: two tools whose hashes collide share counts, which can only
 * make a limit stricter, never looser. Each agent's windows are guarded by one of a few striped
 * locks, held from reading the windows to recording the decision, so concurrent decisions for one
 * agent count exactly. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "policy/policy_int.h"

#define STEPS 15                    /* a window is 15 steps, plus the current one */
#define RING (STEPS + 1)            /* the step leaving a window frees the slot of the step coming in */
#define STRIPES 16

static const uint64_t step_ns[PRATE_WINDOWS] = {4000000000ull, 240000000000ull, 5760000000000ull};

/* One (method, target)'s windows. The newest step, its count and the running total of each window
 * come first, so a decision that stays within the current steps reads and counts in one cache line;
 * the ring is written only when a step ends. */
struct entry {
    uint32_t step[PRATE_WINDOWS];   /* the newest step counted */
    uint32_t cur[PRATE_WINDOWS];    /* calls in that step (its ring slot is written when it ends) */
    uint32_t total[PRATE_WINDOWS];  /* calls in steps step-15 .. step, cur included */
    uint32_t n[PRATE_WINDOWS][RING];
};

/* An agent's windows. Keys and last-call times sit apart from the windows so that looking a pair
 * up, or finding an expired entry to reuse, reads a few dense lines rather than every entry. */
struct block {
    uint64_t key[PRATE_TOOLS];      /* hash of (method, target); 0: never used */
    uint32_t last[PRATE_TOOLS];     /* day step of the newest counted call */
    struct entry e[PRATE_TOOLS];
};

struct dslot {
    _Atomic uint64_t key;           /* hash of the agent; written before b */
    _Atomic(struct block *) b;
};

struct prate {
    pthread_mutex_t dir_mu;         /* taken only to add an agent */
    pthread_mutex_t stripe[STRIPES];
    uint32_t cap, n;                /* directory slots (a power of two), agents in it */
    struct dslot *dir;
};

struct prate *prate_new(uint32_t agents)
{
    struct prate *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    uint32_t cap = 16;
    while (cap < agents + agents / 3 + 1)   /* room for `agents` at a load of 3/4 */
        cap *= 2;
    r->cap = cap;
    r->dir = calloc(cap, sizeof *r->dir);   /* all-zero bytes: empty slots (key 0, no block) */
    if (!r->dir) {
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->dir_mu, NULL);
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&r->stripe[i], NULL);
    return r;
}

void prate_free(struct prate *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < r->cap; i++)
        free(atomic_load_explicit(&r->dir[i].b, memory_order_relaxed));
    free(r->dir);
    pthread_mutex_destroy(&r->dir_mu);
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&r->stripe[i]);
    free(r);
}

/* The agent's block, made when missing. NULL when the directory is full or memory is out. */
static struct block *block_of(struct prate *r, uint64_t key)
{
    uint32_t m = r->cap - 1;
    for (uint32_t i = (uint32_t)key & m, k = 0; k < r->cap; i = (i + 1) & m, k++) {
        struct block *b = atomic_load_explicit(&r->dir[i].b, memory_order_acquire);
        if (!b)
            break;
        if (atomic_load_explicit(&r->dir[i].key, memory_order_relaxed) == key)
            return b;
    }
    /* Readers probe without the lock: a slot goes from empty to a finished block, never back. */
    struct block *made = NULL;
    pthread_mutex_lock(&r->dir_mu);
    if ((r->n + 1) * 4 <= (uint64_t)r->cap * 3) {
        for (uint32_t i = (uint32_t)key & m;; i = (i + 1) & m) {
            struct block *b = atomic_load_explicit(&r->dir[i].b, memory_order_relaxed);
            if (b && atomic_load_explicit(&r->dir[i].key, memory_order_relaxed) == key) {
                made = b;
                break;
            }
            if (!b) {
                made = calloc(1, sizeof *made);
                if (made) {
                    atomic_store_explicit(&r->dir[i].key, key, memory_order_relaxed);
                    atomic_store_explicit(&r->dir[i].b, made, memory_order_release);
                    r->n++;
                }
                break;
            }
        }
    }
    pthread_mutex_unlock(&r->dir_mu);
    return made;
}

/* Move window k forward to step s (a step in its past counts as its newest). */
static void advance(struct entry *e, int k, uint32_t s)
{
    if (s <= e->step[k])
        return;
    if (s - e->step[k] >= RING) {
        memset(e->n[k], 0, sizeof e->n[k]);
        e->total[k] = 0;
    } else {
        e->n[k][e->step[k] % RING] = e->cur[k];
        for (uint32_t t = e->step[k] + 1; t != s + 1; t++) {
            uint32_t *leaving = &e->n[k][t % RING];   /* step t - RING */
            e->total[k] -= *leaving;
            *leaving = 0;
        }
    }
    e->cur[k] = 0;
    e->step[k] = s;
}

void prate_begin(struct prate *r, const char *agent, const char *method, const char *target, uint64_t now_ns,
                 struct prate_ticket *t, uint64_t out[PRATE_WINDOWS])
{
    memset(t, 0, sizeof *t);
    uint64_t akey = omega_fnv64_str(OMEGA_FNV64_BASIS, agent) | 1;
    /* a 0 byte between method and target */
    uint64_t tkey = omega_fnv64_str(omega_fnv64_str(OMEGA_FNV64_BASIS, method) * OMEGA_FNV64_PRIME, target) | 1;
    uint64_t now = now_ns ? now_ns : omega_now_ns();
    for (int k = 0; k < PRATE_WINDOWS; k++)
        t->step[k] = (uint32_t)(now / step_ns[k]);
    pthread_mutex_t *lock = &r->stripe[(akey >> 32) % STRIPES];
    t->lock = lock;
    pthread_mutex_lock(lock);
    struct block *b = block_of(r, akey);
    t->block = b;
    int hit = -1, spare = -1;
    for (uint32_t i = (uint32_t)tkey % PRATE_TOOLS, k = 0; b && k < PRATE_TOOLS; i = (i + 1) % PRATE_TOOLS, k++) {
        if (b->key[i] == tkey) {
            hit = (int)i;
            break;
        }
        if (b->key[i] == 0) {
            if (spare < 0)
                spare = (int)i;
            break;   /* entries are replaced, never removed: nothing of ours lies past a blank */
        }
        uint32_t day = t->step[PRATE_WINDOWS - 1];
        if (spare < 0 && day >= b->last[i] && day - b->last[i] >= RING)
            spare = (int)i;   /* nothing left in its longest window: it carries no count */
    }
    if (hit >= 0) {
        struct entry *e = &b->e[hit];
        for (int k = 0; k < PRATE_WINDOWS; k++) {
            advance(e, k, t->step[k]);
            out[k] = e->total[k];
        }
        t->slot = hit;
        return;
    }
    for (int k = 0; k < PRATE_WINDOWS; k++)
        out[k] = spare >= 0 ? 0 : PRATE_UNKNOWN;
    t->slot = spare;
    t->claim = tkey;
}

void prate_end(struct prate *r, struct prate_ticket *t, int allowed)
{
    (void)r;
    struct block *b = t->block;
    if (allowed && b && t->slot >= 0) {
        struct entry *e = &b->e[t->slot];
        if (t->claim) {
            b->key[t->slot] = t->claim;
            memset(e, 0, sizeof *e);
            memcpy(e->step, t->step, sizeof e->step);
        }
        for (int k = 0; k < PRATE_WINDOWS; k++) {
            if (e->total[k] == UINT32_MAX)
                continue;   /* saturated: a count never wraps to small */
            e->cur[k]++;
            e->total[k]++;
        }
        if (e->step[PRATE_WINDOWS - 1] > b->last[t->slot] || t->claim)
            b->last[t->slot] = e->step[PRATE_WINDOWS - 1];
    }
    pthread_mutex_unlock((pthread_mutex_t *)t->lock);
}
