/* A synthetic but realistic stream of monitor decisions from many agents, for the provlog bench,
 * `omega log demo` and the tests: tool calls, data reads, messages, inference and egress, with
 * per-role tool sets, Zipf popularity, and mostly-allow decisions naming the deciding policies. */
#ifndef OMEGA_PROVLOG_GEN_H
#define OMEGA_PROVLOG_GEN_H

#include <stdint.h>

#include "core/decision.h"

#define PL_GEN_AGENTS_MAX 1024
#define PL_GEN_ITEMS 1000
#define PL_GEN_TOOLS 30
#define PL_GEN_HOSTS 20

struct pl_gen {
    uint64_t rng;
    uint32_t agents;
    double rate;                 /* decisions per second, all agents together */
    double t_ms;                 /* virtual time */
    char agent[PL_GEN_AGENTS_MAX][32];
    char item[PL_GEN_ITEMS][24];
    char host[PL_GEN_HOSTS][32];
    double zipf_items[PL_GEN_ITEMS], zipf_tools[8], zipf_hosts[PL_GEN_HOSTS];
    char policy[64][40];         /* policy ids by (role, kind, verdict) slot */
};

/* Start a stream of `agents` agents issuing `rate` decisions per second in all, from seed. */
void pl_gen_init(struct pl_gen *g, uint32_t agents, double rate, uint64_t seed);
/* The next decision (strings borrowed from g) and its call's I/O digest; advances virtual time. */
void pl_gen_next(struct pl_gen *g, struct omega_action *a, struct omega_decision *d, uint8_t io[32]);
/* Virtual time now, in ms since 2026-01-01. */
uint64_t pl_gen_clock_ms(void *g);

#endif
