/* Sliding windows for context.rate: how many calls of one (agent, method, target) the policies
 * allowed in the last minute, hour and day.
 *
 * Each window is 60 steps long (1 s for the minute, 1 min for the hour, 24 min for the day) and
 * counts the current step and the 60 before it, so it holds every call of the last 60 s (hour, day)
 * and at most one step more: a limit `context.rate.minute < N` can never let N+1 calls through in
 * any 60 s. Counts per step sit in a ring with a running total, so reading a window is one load and
 * moving it forward costs one subtraction per step passed.
 *
 * Memory is bounded whatever an agent calls: an agent's windows live in one block of
 * PRATE_TOOLS entries, made on its first decision (the only allocation, once per agent), and the
 * directory of agents has a fixed size. An entry whose day window is empty holds nothing and is
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

#define WIN_STEPS 60                /* a window is 60 steps, plus the current one */
#define RING 64                     /* ring slots (a power of two above WIN_STEPS + 1) */
#define STRIPES 16

static const uint64_t step_ns[PRATE_WINDOWS] = {1000000000ull, 60000000000ull, 1440000000000ull};

struct win {
    uint64_t step;                  /* the newest step counted */
    uint32_t total;                 /* calls in steps step-60 .. step */
    uint32_t n[RING];
};

struct entry {
    uint64_t key;                   /* hash of (method, target); 0: never used */
    struct win w[PRATE_WINDOWS];
};

struct block {
    uint64_t key;                   /* hash of the agent */
    struct entry e[PRATE_TOOLS];
};

struct prate {
    pthread_mutex_t dir_mu;         /* taken only to add an agent */
    pthread_mutex_t stripe[STRIPES];
    uint32_t cap, n;                /* directory slots (a power of two), agents in it */
    _Atomic(struct block *) *dir;
};

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

struct prate *prate_new(uint32_t agents)
{
    struct prate *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    uint32_t cap = 16;
    while (cap < agents + agents / 3 + 1)   /* room for `agents` at a load of 3/4 */
        cap *= 2;
    r->cap = cap;
    r->dir = calloc(cap, sizeof *r->dir);
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
        free(atomic_load_explicit(&r->dir[i], memory_order_relaxed));
    free(r->dir);
    pthread_mutex_destroy(&r->dir_mu);
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&r->stripe[i]);
    free(r);
}

/* The agent's block; made when missing and create is set. NULL when it cannot be had. */
static struct block *block_of(struct prate *r, uint64_t key, int create)
{
    uint32_t m = r->cap - 1;
    for (uint32_t i = (uint32_t)key & m, k = 0; k < r->cap; i = (i + 1) & m, k++) {
        struct block *b = atomic_load_explicit(&r->dir[i], memory_order_acquire);
        if (!b)
            break;
        if (b->key == key)
            return b;
    }
    if (!create)
        return NULL;
    /* Readers probe without the lock: a slot goes from NULL to a finished block, never back. */
    struct block *made = NULL;
    pthread_mutex_lock(&r->dir_mu);
    if ((r->n + 1) * 4 <= (uint64_t)r->cap * 3) {
        for (uint32_t i = (uint32_t)key & m;; i = (i + 1) & m) {
            struct block *b = atomic_load_explicit(&r->dir[i], memory_order_relaxed);
            if (b && b->key == key) {
                made = b;
                break;
            }
            if (!b) {
                made = calloc(1, sizeof *made);
                if (made) {
                    made->key = key;
                    atomic_store_explicit(&r->dir[i], made, memory_order_release);
                    r->n++;
                }
                break;
            }
        }
    }
    pthread_mutex_unlock(&r->dir_mu);
    return made;
}

/* Move a window forward to step s (a step in its past counts as its newest). */
static void advance(struct win *w, uint64_t s)
{
    if (s <= w->step)
        return;
    if (s - w->step > WIN_STEPS) {
        memset(w->n, 0, sizeof w->n);
        w->total = 0;
    } else {
        for (uint64_t t = w->step + 1; t <= s; t++) {
            uint32_t *leaving = &w->n[(t - WIN_STEPS - 1) & (RING - 1)];
            w->total -= *leaving;
            *leaving = 0;
        }
    }
    w->step = s;
}

static void entry_claim(struct entry *e, uint64_t key, uint64_t now)
{
    memset(e, 0, sizeof *e);
    e->key = key;
    for (int k = 0; k < PRATE_WINDOWS; k++)
        e->w[k].step = now / step_ns[k];
}

void prate_begin(struct prate *r, const char *agent, const char *method, const char *target, uint64_t now_ns,
                 struct prate_ticket *t, uint64_t out[PRATE_WINDOWS])
{
    memset(t, 0, sizeof *t);
    uint64_t akey = fnv(0xcbf29ce484222325ull, agent) | 1;
    uint64_t tkey = fnv(fnv(0xcbf29ce484222325ull, method) * 0x100000001b3ull, target) | 1;   /* a 0 byte between */
    t->now = now_ns ? now_ns : omega_now_ns();
    pthread_mutex_t *lock = &r->stripe[(akey >> 32) % STRIPES];
    t->lock = lock;
    pthread_mutex_lock(lock);
    struct block *b = block_of(r, akey, 1);
    struct entry *hit = NULL, *free_e = NULL;
    if (b) {
        for (uint32_t i = (uint32_t)tkey % PRATE_TOOLS, k = 0; k < PRATE_TOOLS; i = (i + 1) % PRATE_TOOLS, k++) {
            struct entry *e = &b->e[i];
            if (e->key == tkey) {
                hit = e;
                break;
            }
            if (e->key == 0) {
                if (!free_e)
                    free_e = e;
                break;   /* entries are replaced, never removed: nothing of ours lies past a blank */
            }
            if (!free_e) {
                advance(&e->w[PRATE_WINDOWS - 1], t->now / step_ns[PRATE_WINDOWS - 1]);
                if (e->w[PRATE_WINDOWS - 1].total == 0)
                    free_e = e;   /* nothing in its longest window: it carries no count */
            }
        }
    }
    if (hit) {
        for (int k = 0; k < PRATE_WINDOWS; k++) {
            advance(&hit->w[k], t->now / step_ns[k]);
            out[k] = hit->w[k].total;
        }
        t->entry = hit;
        return;
    }
    for (int k = 0; k < PRATE_WINDOWS; k++)
        out[k] = free_e ? 0 : PRATE_UNKNOWN;
    t->entry = free_e;
    t->claim = tkey;
}

void prate_end(struct prate *r, struct prate_ticket *t, int allowed)
{
    (void)r;
    struct entry *e = t->entry;
    if (allowed && e) {
        if (t->claim)
            entry_claim(e, t->claim, t->now);
        for (int k = 0; k < PRATE_WINDOWS; k++) {
            struct win *w = &e->w[k];
            uint32_t *c = &w->n[w->step & (RING - 1)];
            if (w->total < UINT32_MAX) {   /* saturate: a count never wraps to small */
                (*c)++;
                w->total++;
            }
        }
    }
    pthread_mutex_unlock((pthread_mutex_t *)t->lock);
}
