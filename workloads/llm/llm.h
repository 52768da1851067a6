/* The Llama-2 inference engine: one shared copy of the model weights, one paged KV partition per
 * agent, continuous batching of decode steps over agents. Two devices run it: the CPU reference
 * (float32, plain C, the correctness oracle and what the emulated GPU runs) and CUDA (bf16 or 8-bit
 * weights, cuBLAS for the matrix products). The runtime calls it for an agent's infer request. */
#ifndef OMEGA_LLM_H
#define OMEGA_LLM_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct omega_llm_config {
    char name[32];
    int dim, n_layers, n_heads, n_kv_heads, hidden, vocab, max_seq;
    float norm_eps, rope_theta;
};

enum omega_llm_dtype { OMEGA_LLM_F32, OMEGA_LLM_BF16, OMEGA_LLM_INT8 };
enum omega_llm_device { OMEGA_LLM_CPU, OMEGA_LLM_CUDA };

/* Fill cfg from a preset name: llama2-7b, llama2-13b, llama2-70b, tiny (GQA 4:2), tiny-mha, small. */
int omega_llm_preset(const char *name, struct omega_llm_config *cfg, struct omega_error *err) OMEGA_MUST_CHECK;
/* Check a config's shapes (head size a multiple of 32 and at most 256, heads divisible by KV heads). */
int omega_llm_config_check(const struct omega_llm_config *cfg, struct omega_error *err) OMEGA_MUST_CHECK;
/* Parameters of the model. */
uint64_t omega_llm_params(const struct omega_llm_config *cfg);
/* Bytes of weights read by one decode step in a dtype (linear layers, lm head, norms, 8-bit scales). */
uint64_t omega_llm_step_weight_bytes(const struct omega_llm_config *cfg, enum omega_llm_dtype dt);
/* Bytes of all weights held in a dtype (step bytes plus the embedding table in bf16/f32). */
uint64_t omega_llm_weight_bytes(const struct omega_llm_config *cfg, enum omega_llm_dtype dt);
/* KV-cache bytes per token (all layers, K and V) on a device: bf16 on CUDA, f32 on the CPU. */
uint64_t omega_llm_kv_bytes_per_token(const struct omega_llm_config *cfg, enum omega_llm_device dev);
/* Parse "bf16", "int8", "f32". */
int omega_llm_dtype_parse(const char *s, enum omega_llm_dtype *dt) OMEGA_MUST_CHECK;
const char *omega_llm_dtype_name(enum omega_llm_dtype dt);

/* Dummy weights: tensor ids, and the seeded value every device computes for element idx. */
enum { OMEGA_LLM_T_EMBED, OMEGA_LLM_T_NORM, OMEGA_LLM_T_OUTPUT, OMEGA_LLM_T_WQ, OMEGA_LLM_T_WK, OMEGA_LLM_T_WV,
       OMEGA_LLM_T_WO, OMEGA_LLM_T_GATE, OMEGA_LLM_T_UP, OMEGA_LLM_T_DOWN, OMEGA_LLM_T_ATTN_NORM,
       OMEGA_LLM_T_FFN_NORM, OMEGA_LLM_T_PER_LAYER = 9 };

struct omega_llm_sampling {
    float temperature;   /* 0: greedy */
    float top_p;         /* nucleus; 1 or 0: off */
    uint64_t seed;
};

struct omega_llm_opts {
    const char *model;           /* preset name */
    const struct omega_llm_config *config;  /* or an explicit config (overrides model) */
    enum omega_llm_device device;
    enum omega_llm_dtype dtype;  /* CUDA: bf16 or int8; CPU: f32 (values rounded to bf16, like the GPU's) */
    const char *weights;         /* safetensors file with Llama-2 (HF) tensor names; NULL: dummy weights */
    uint64_t seed;               /* dummy weights' seed */
    int max_batch;               /* most tokens in one forward (decode batch or prefill chunk); 0 → 64 */
    uint64_t kv_bytes;           /* KV pool size in bytes; 0 → room for max_batch sequences of max_seq */
    int page_tokens;             /* tokens per KV page; 0 → 16 */
    int cc;                      /* CUDA: 1 → every host↔device transfer sealed with AES-256-GCM */
    int gpu;                     /* CUDA device ordinal (the first, with gpus > 1) */
    int gpus;                    /* CUDA: tensor parallelism over this many GPUs via NCCL (bf16, dummy weights); 0 → 1 */
};

struct omega_llm;

/* Build an engine (weights on the device, KV pool); OMEGA_EUNAVAIL with the reason if the device can't. */
int omega_llm_open(struct omega_llm **out, const struct omega_llm_opts *o, struct omega_error *err) OMEGA_MUST_CHECK;
/* Free the engine and every partition (KV pages scrubbed). NULL is a no-op. */
void omega_llm_close(struct omega_llm *m);
/* The engine's model config (borrowed). */
const struct omega_llm_config *omega_llm_get_config(const struct omega_llm *m);
/* Free KV pages in the pool and the pool's size in pages. */
void omega_llm_kv_stats(const struct omega_llm *m, int *free_pages, int *total_pages, int *page_tokens);

/* Open a KV partition for an agent with a quota of max_tokens context tokens; returns its id in *agent. */
int omega_llm_agent_open(struct omega_llm *m, const char *owner, int max_tokens, int *agent,
                         struct omega_error *err) OMEGA_MUST_CHECK;
/* Close an agent's partition: its pages are zeroed before they go back to the pool. */
void omega_llm_agent_close(struct omega_llm *m, int agent);
/* Context length (tokens in the agent's KV cache). */
int omega_llm_agent_len(const struct omega_llm *m, int agent);

/* Append n prompt tokens to agent's context; logits of the last one into logits (vocab floats, may be NULL). */
int omega_llm_prefill(struct omega_llm *m, int agent, const int32_t *tokens, int n, float *logits,
                      struct omega_error *err) OMEGA_MUST_CHECK;
/* One decode step for a batch: token i is appended to agents[i]'s context. logits (batch × vocab) may be
 * NULL; next[i] gets the greedy (argmax) token. Agents must be distinct. */
int omega_llm_decode(struct omega_llm *m, const int *agents, const int32_t *tokens, int batch, float *logits,
                     int32_t *next, struct omega_error *err) OMEGA_MUST_CHECK;
/* An agent's infer request: prompt in, up to max_new generated tokens out (stops at eos if eos >= 0). */
int omega_llm_generate(struct omega_llm *m, int agent, const int32_t *prompt, int n, int max_new, int eos,
                       const struct omega_llm_sampling *s, int32_t *out, int *n_out, struct omega_error *err) OMEGA_MUST_CHECK;
/* Pick a token from logits: argmax at temperature 0, else softmax/top-p with *rng (splitmix64 state). */
int32_t omega_llm_sample(const float *logits, int vocab, const struct omega_llm_sampling *s, uint64_t *rng);

/* Read back one cached K/V row of an agent at position pos, layer (for tests of isolation): n floats. */
int omega_llm_kv_read(struct omega_llm *m, int agent, int layer, int pos, int which_v, float *out, int n,
                      struct omega_error *err) OMEGA_MUST_CHECK;
/* Read a raw pool page (the view of whoever gets that page next), for the freed-page test: n floats. */
int omega_llm_kv_page_peek(struct omega_llm *m, int page, float *out, int n, struct omega_error *err) OMEGA_MUST_CHECK;
/* Pages currently held by an agent (its page table), up to max; returns the count. */
int omega_llm_agent_pages(const struct omega_llm *m, int agent, int *pages, int max);

/* Write the engine's weights (dummy or loaded) to a safetensors file with HF Llama tensor names, bf16. */
int omega_llm_export(struct omega_llm *m, const char *path, struct omega_error *err) OMEGA_MUST_CHECK;

/* Switch the confidential data path (AES-256-GCM on every transfer) on or off between steps. */
int omega_llm_set_cc(struct omega_llm *m, int on) OMEGA_MUST_CHECK;
/* Bytes of weights the engine holds on its device (0 on the CPU). */
uint64_t omega_llm_device_weight_bytes(const struct omega_llm *m);
/* Synchronize the device. */
void omega_llm_sync(struct omega_llm *m);
/* Fill every agent's context to len tokens with seeded KV values without running prefill (density runs). */
int omega_llm_agent_fake_context(struct omega_llm *m, int agent, int len, struct omega_error *err) OMEGA_MUST_CHECK;


/* Measurements of the CUDA device itself, for the benchmark's ceilings (OMEGA_EUNAVAIL without one). */
/* Device-to-device copy bandwidth in GB/s, counting bytes read plus bytes written (median of reps). */
int omega_llm_cuda_copy_bw(int gpu, double *gbps, struct omega_error *err) OMEGA_MUST_CHECK;
/* cuBLAS bf16 GEMM rate in TFLOP/s for m × n × k (fp32 accumulate). */
int omega_llm_cuda_gemm_tflops(int gpu, int m, int n, int k, double *tflops, struct omega_error *err) OMEGA_MUST_CHECK;
/* Free and total device memory in bytes; device name and driver version. */
int omega_llm_cuda_meminfo(int gpu, uint64_t *free_b, uint64_t *total_b, char *name, size_t namelen, int *driver,
                           struct omega_error *err) OMEGA_MUST_CHECK;

#endif
