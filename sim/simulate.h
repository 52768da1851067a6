/* The SimGrid capacity model: a generated platform (hosts with CPU cores and GPUs, PCIe and network
 * links), an actor per agent (arrivals, monitor path, inference, tool calls, log appends) and an actor
 * per GPU (continuous batching over the agents' requests, costs from the shared cost model). */
#ifndef OMEGA_SIMULATE_H
#define OMEGA_SIMULATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "sim/costmodel.h"
#include "workloads/trace.h"

struct omega_sim_config {
    const struct omega_model_preset *model;   /* borrowed */
    const struct omega_costmodel *cm;         /* borrowed */
    int agents, hosts, gpus_per_host, cores_per_host;
    double rate_per_agent;          /* requests per second per agent (Poisson), or the trace's mean */
    const struct omega_azure_trace *az;  /* borrowed; arrivals and/or token counts from it, or NULL */
    int arrivals_from_trace;        /* 1: the trace's inter-arrival times, scaled to agents * rate */
    uint32_t prompt_tokens, gen_tokens;  /* used when az is NULL */
    int tools_per_request;
    double tool_s;                  /* a tool's own service time */
    double duration_s, warmup_s;    /* arrivals stop at duration; requests arriving in warm-up are not counted */
    int cc;                         /* confidential data path on the GPU */
    int max_batch;                  /* 0: as many as KV memory holds */
    int time_slice;                 /* 1: no batching across agents (a CVM per agent): each active sequence
                                     * gets its own prefill and its own decode steps, in turn */
    uint64_t seed;
};

struct omega_sim_result {
    size_t issued, completed;
    double ttft_p50, ttft_p99, tpot_p50, tpot_p99, e2e_p50, e2e_p99, e2e_mean;   /* seconds */
    double gpu_util;                /* busy fraction of the GPUs over the run */
    double cpu_util;                /* busy fraction of the hosts' cores */
    double mean_batch;              /* sequences per decode step */
    double throughput_rps;          /* completed requests per simulated second */
    double sim_s, wall_s;
    int stable;                     /* 1: every request issued completed in time */
};

/* Defaults for every field (llama2-7b, one host with 8 GPUs and 64 cores, 60 s, Poisson 0.05/s). */
void omega_sim_config_init(struct omega_sim_config *c, const struct omega_costmodel *cm);
/* Run one simulation in a child process (SimGrid's engine lives once per process); OMEGA_EUNAVAIL
 * when built without SimGrid. */
int omega_sim_run(const struct omega_sim_config *c, struct omega_sim_result *r, struct omega_error *err) OMEGA_MUST_CHECK;
/* Write the SimGrid platform XML for c into path. */
int omega_sim_write_platform(const struct omega_sim_config *c, const char *path, struct omega_error *err) OMEGA_MUST_CHECK;

#endif
