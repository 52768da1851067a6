/* The cost model shared by the paper suite and the simulator: GPU costs as a roofline with efficiencies
 * fitted to measured GPU results (results/llm/.../summary.json) or documented datasheet defaults, and
 * CPU-side costs (policy decision, log append, channel round trip, attestation) taken from measured
 * summaries of the other suites. Every figure carries whether it was measured or modeled. */
#ifndef OMEGA_COSTMODEL_H
#define OMEGA_COSTMODEL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/error.h"

/* A Llama-2 architecture preset. */
struct omega_model_preset {
    const char *name;       /* "llama2-7b" */
    int layers, d_model, heads, kv_heads, d_ff, vocab, max_ctx;
    double weight_bytes_per_param;   /* 2 for bf16, 1 for 8-bit */
    double kv_bytes_per_elem;        /* 2 for a bf16 KV cache */
};

/* The GPU a model runs on: datasheet rates. */
struct omega_gpu_spec {
    const char *name;
    double hbm_bytes_per_s;   /* H100 SXM HBM3: 3.35e12 */
    double flops_per_s;       /* dense bf16: ~989e12 */
    double mem_bytes;         /* 80 GiB */
};

/* One cost with where it came from. */
struct omega_cost {
    double value;
    int measured;             /* 1: from a measured result file; 0: a documented default (modeled) */
    char source[160];         /* result file or "default: ..." */
};

struct omega_costmodel {
    struct omega_gpu_spec gpu;
    /* Roofline efficiencies and fixed costs (GPU). */
    struct omega_cost eff_bw;        /* achieved fraction of HBM bandwidth in decode */
    struct omega_cost eff_flops;     /* achieved fraction of peak bf16 in prefill */
    struct omega_cost launch_s;      /* fixed per step (kernel launches, sync) */
    struct omega_cost cc_step_s;     /* CC: fixed cost per step (bounce-buffer set-up, sync) */
    struct omega_cost cc_s_per_byte; /* CC: AES-GCM per byte through the bounce buffer */
    /* CPU-side costs, seconds. */
    struct omega_cost policy_s;      /* one policy decision */
    struct omega_cost monitor_s;     /* the monitor's whole per-action path (decision + labels + record) */
    struct omega_cost log_append_s;  /* one provenance append */
    struct omega_cost channel_rtt_s; /* agent -> runtime -> agent */
    struct omega_cost agent_start_s; /* one agent sandbox ready */
    struct omega_cost attest_platform_s; /* SNP report + verify + GPU verify */
    int fit_points;                  /* decode step times used by the fit */
    double fit_err;                  /* mean relative error of the fit over those points */
    double fit_loo_err;              /* the same, each point predicted by a fit without it (NAN below 3 points) */
};

/* Look up a preset by name ("llama2-7b", "llama2-13b", "llama2-70b", "llama2-70b-8bit", "tiny"); NULL if unknown. */
const struct omega_model_preset *omega_model_find(const char *name);
/* Names of all presets, NULL-terminated. */
const char *const *omega_model_names(void);
/* Number of parameters of a preset. */
double omega_model_params(const struct omega_model_preset *m);
/* Bytes of weights. */
double omega_model_weight_bytes(const struct omega_model_preset *m);
/* KV-cache bytes per token of one sequence (keys and values, all layers). */
double omega_model_kv_bytes_per_token(const struct omega_model_preset *m);

/* Defaults: H100 datasheet rates, documented efficiencies, CPU costs from earlier measurements absent. */
void omega_costmodel_init(struct omega_costmodel *cm);
/* Fit GPU efficiencies to one llm summary object (the JSON of results/llm/<run>/summary.json). Uses
 * decode_step_ms/us (params.model, params.batch, params.cc) for a least-squares fit of bandwidth efficiency
 * and launch overhead, else decode_bw_fraction; prefill_gemm_fraction for the compute efficiency;
 * cc_overhead_pct (params.batch) for the CC costs. Returns the number of metrics used (0: nothing usable). */
int omega_costmodel_fit_llm(struct omega_costmodel *cm, const json_t *summary, const char *source);
/* Take CPU-side costs from one suite's summary object (isolation, policy, provlog, attest); returns how many. */
int omega_costmodel_take_cpu(struct omega_costmodel *cm, const json_t *summary, const char *source);
/* Load the newest summary.json of each suite under results_dir and apply the two functions above;
 * returns how many costs were taken from measurements. Missing files are not an error. */
int omega_costmodel_load(struct omega_costmodel *cm, const char *results_dir);

/* Decode step time in seconds for batch sequences of average context ctx tokens. */
double omega_cost_decode_step_s(const struct omega_costmodel *cm, const struct omega_model_preset *m, int batch,
                                double ctx, int cc);
/* Prefill time in seconds for a batch of prompts with tokens tokens in all (sum_sq: sum of squared lengths). */
double omega_cost_prefill_s(const struct omega_costmodel *cm, const struct omega_model_preset *m, double tokens,
                            double sum_sq, int cc);
/* Agents whose context of ctx tokens fits one GPU: shared = one weight copy, else a copy per agent. */
int omega_cost_density(const struct omega_costmodel *cm, const struct omega_model_preset *m, double ctx, int shared);
/* The model as JSON (every cost with value, kind and source). */
json_t *omega_costmodel_to_json(const struct omega_costmodel *cm);

/* Value of a metric converted to seconds (or bytes) from its "unit" ("ns", "us", "ms", "s"; "B", "KB",
 * "KiB", "MB"); NAN when the unit is not one of these. */
double omega_metric_unit_scale(const char *unit);
/* The first metric called name in a summary whose params match every key of want (may be NULL). */
const json_t *omega_summary_find(const json_t *summary, const char *name, const json_t *want);

#endif
