/* Without CUDA the engine's CUDA device answers that it is not built. */
#include <stdio.h>

#include "config.h"
#include "workloads/llm/llm_impl.h"

#ifndef CONFIG_CUDA
int llmc_open(struct llmc **out, const struct omega_llm_config *c, enum omega_llm_dtype dt, uint64_t seed,
              const struct llm_host_weights *w, int n_pages, int page_tokens, int max_tok, int max_seqs,
              int pt_stride, int cc, int gpu, int tp, char *why, size_t whylen)
{
    *out = NULL;
    snprintf(why, whylen, "built without CUDA (./configure found no nvcc with cuBLAS and NCCL)");
    return -1;
}
void llmc_close(struct llmc *g) { (void)g; }
int llmc_forward(struct llmc *g, const struct llm_batch *b, char *why, size_t whylen) { return -1; }
int llmc_page_zero(struct llmc *g, int page) { return -1; }
int llmc_page_fill(struct llmc *g, int page, uint64_t seed) { return -1; }
int llmc_kv_row(struct llmc *g, int layer, int which_v, int page, int slot, float *out, int n) { return -1; }
int llmc_export_host(struct llmc *g, struct llm_host_weights *w) { return -1; }
void llmc_sync(struct llmc *g) { (void)g; }
int llmc_set_cc(struct llmc *g, int on) { return -1; }
int omega_llm_cuda_copy_bw(int gpu, double *gbps, struct omega_error *err)
{
    OMEGA_FAIL(err, OMEGA_EUNAVAIL, "built without CUDA");
}
int omega_llm_cuda_gemm_tflops(int gpu, int m, int n, int k, double *tflops, struct omega_error *err)
{
    OMEGA_FAIL(err, OMEGA_EUNAVAIL, "built without CUDA");
}
int omega_llm_cuda_meminfo(int gpu, uint64_t *free_b, uint64_t *total_b, char *name, size_t namelen, int *driver,
                           struct omega_error *err)
{
    OMEGA_FAIL(err, OMEGA_EUNAVAIL, "built without CUDA");
}
uint64_t llmc_weight_bytes_on_device(const struct llmc *g) { return 0; }
#endif
