/* Internal: the engine's state and the interface each device (CPU reference, CUDA) implements. */
#ifndef OMEGA_LLM_IMPL_H
#define OMEGA_LLM_IMPL_H

#include <stdint.h>

#include "core/error.h"
#include "workloads/llm/llm.h"

/* One forward over n_tok tokens: token i sits at position pos[i] of sequence seq[i], whose pages are
 * row seq[i] of page_table (pt_stride entries). Logits are produced for the rows out_rows[0..n_out). */
struct llm_batch {
    int n_tok;
    const int32_t *tokens, *pos, *seq;
    int n_seq, pt_stride;
    const int32_t *page_table;
    int n_out;
    const int32_t *out_rows;
    float *logits;      /* n_out × vocab, or NULL */
    int32_t *argmax;    /* n_out, or NULL */
};

/* Host tensors of the model in float32 (values exactly representable in bf16). */
struct llm_host_weights {
    float *embed, *norm, *output;
    float **wq, **wk, **wv, **wo, **gate, **up, **down, **attn_norm, **ffn_norm;  /* per layer */
};

/* Fill / free host weights: dummy (seeded) or read from a safetensors file. */
int llm_weights_dummy(struct llm_host_weights *w, const struct omega_llm_config *c, uint64_t seed,
                      struct omega_error *err);
int llm_weights_load(struct llm_host_weights *w, const struct omega_llm_config *c, const char *path,
                     struct omega_error *err);
int llm_weights_alloc_for_load(struct llm_host_weights *w, const struct omega_llm_config *c, struct omega_error *err);
int llm_tensor_shape(const struct omega_llm_config *c, int kind, size_t *rows, size_t *cols);
float **llm_tensor_slot(struct llm_host_weights *w, int layer, int kind);
void llm_weights_free(struct llm_host_weights *w, const struct omega_llm_config *c);
/* Replace each linear weight by its 8-bit per-row dequantized value (what the GPU's int8 format holds). */
void llm_weights_quantize8(struct llm_host_weights *w, const struct omega_llm_config *c);
/* Write host weights as bf16 safetensors with HF names. */
int llm_weights_export(const struct llm_host_weights *w, const struct omega_llm_config *c, const char *path,
                       struct omega_error *err);

/* CPU reference. */
struct llm_ref;
int llm_ref_new(struct llm_ref **out, const struct omega_llm_config *c, struct llm_host_weights *w, int n_pages,
                int page_tokens, int max_tok, struct omega_error *err);
void llm_ref_free(struct llm_ref *r);
int llm_ref_forward(struct llm_ref *r, const struct llm_batch *b, struct omega_error *err);
float *llm_ref_kv_row(struct llm_ref *r, int layer, int which_v, int page, int slot);
void llm_ref_page_zero(struct llm_ref *r, int page);
void llm_ref_page_fill(struct llm_ref *r, int page, uint64_t seed);

/* CUDA engine (workloads/llm/llm_cuda.cu; stubs without CUDA). */
struct llmc;
int llmc_open(struct llmc **out, const struct omega_llm_config *c, enum omega_llm_dtype dt, uint64_t seed,
              const struct llm_host_weights *w, int n_pages, int page_tokens, int max_tok, int max_seqs,
              int pt_stride, int cc, int gpu, int tp, char *why, size_t whylen);
void llmc_close(struct llmc *g);
int llmc_forward(struct llmc *g, const struct llm_batch *b, char *why, size_t whylen);
int llmc_page_zero(struct llmc *g, int page);
int llmc_page_fill(struct llmc *g, int page, uint64_t seed);
int llmc_kv_row(struct llmc *g, int layer, int which_v, int page, int slot, float *out, int n);
int llmc_export_host(struct llmc *g, struct llm_host_weights *w);  /* device weights back to host (bf16 only) */
void llmc_sync(struct llmc *g);
int llmc_set_cc(struct llmc *g, int on);
uint64_t llmc_weight_bytes_on_device(const struct llmc *g);

struct llm_agent {
    int used;
    char owner[64];
    int len, max_tokens;
    int npages;
    int32_t *pages;     /* pt_stride entries */
};

struct omega_llm {
    struct omega_llm_config cfg;
    enum omega_llm_device device;
    enum omega_llm_dtype dtype;
    int max_tok, page_tokens, n_pages, pt_stride, n_free;
    int32_t *free_pages;
    struct llm_agent *agents;
    int n_agents;
    struct llm_host_weights hw;   /* CPU: the weights; CUDA: empty unless loaded from a file */
    int have_hw;
    struct llm_ref *ref;
    struct llmc *gpu;
    /* step scratch, sized for max_tok tokens / sequences */
    int32_t *s_tok, *s_pos, *s_seq, *s_pt, *s_rows;
};

#endif
