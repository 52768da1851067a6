/* The tool-calling workload: each agent, in its sandbox, loops inference (a prompt through the
 * runtime's shared engine), then an MCP tools/call, then the result into its context. The sequence of
 * calls comes from a seeded scenario or from a trace-replay file (workloads/trace.h); the model's
 * weights are dummy, so the model's text does not choose the calls: it supplies the real cost of thinking. */
#ifndef OMEGA_TOOLCALL_H
#define OMEGA_TOOLCALL_H

#include <stddef.h>
#include <stdint.h>

#include "workloads/stack.h"

struct omega_toolcall_config {
    int agents;                  /* 1..1000 */
    int rounds;                  /* inference + tool call rounds per agent (scenario mode) */
    int prompt_tokens, gen_tokens;   /* per inference (scenario mode); 0 gen: no inference */
    uint64_t seed;
    const char *trace;           /* trace-replay JSON Lines; agents a1..aN replay their own events */
    int honor_timing;            /* replay: wait until each event's t_ms */
    /* Open-loop arrivals (scenario calls, rounds per agent): 0 none (closed loop), 1 Poisson with
     * fixed token counts, 2 Poisson with token counts drawn from the Azure LLM inference trace. */
    int arrivals;
    double rate_per_agent;       /* rounds per second per agent */
    const char *azure_trace;     /* arrivals 2: the CSV (default: the conversation trace in workloads/traces/) */
};

struct omega_toolcall_stats {
    uint64_t calls, allowed, denied, errors, infers, infer_errors;
    double *round_us;            /* owned: one sample per round (inference + tool call), all agents */
    size_t nrounds;
    double *call_us;             /* owned: tool-call round trips alone */
    size_t ncalls;
    double *infer_us;            /* owned: inference round trips alone */
    size_t ninfers;
    int agents_failed;           /* agents stopped for a violation or that did not report */
    char failure[256];
};

/* Run the workload on an open stack (which must have the model if gen_tokens > 0); once per stack,
 * since it registers its report tool before the agents start. */
int omega_toolcall_run(struct omega_stack *s, const struct omega_toolcall_config *cfg, struct omega_toolcall_stats *st,
                       struct omega_error *err) OMEGA_MUST_CHECK;
/* Free the stats' samples. */
void omega_toolcall_stats_fini(struct omega_toolcall_stats *st);
/* Write the labelled demo data set (records with PHI/PII labels, a public readme) into dir. */
int omega_toolcall_make_data(const char *dir, int records, struct omega_error *err) OMEGA_MUST_CHECK;

#endif
