/* The engine's CUDA device, as the main binary sees it: every call goes to the CUDA plugin
 * (backends/cuda/plugin.h), or answers that there is none. */
#include <stdio.h>

#include "backends/cuda/plugin.h"
#include "workloads/llm/llm_impl.h"

/* The plugin's function of the same name, looked up once. */
#define PLUGIN_FN(name) \
    static __typeof__(&name) fn_##name; \
    if (!fn_##name) \
        fn_##name = (__typeof__(&name))omega_cuda_sym(#name, why_, sizeof why_)

int llmc_open(struct llmc **out, const struct omega_llm_config *c, enum omega_llm_dtype dt, uint64_t seed,
              const struct llm_host_weights *w, int n_pages, int page_tokens, int max_tok, int max_seqs,
              int pt_stride, int cc, int gpu, int tp, char *why, size_t whylen)
{
    char why_[512] = "";
    PLUGIN_FN(llmc_open);
    if (!fn_llmc_open) {
        *out = NULL;
        snprintf(why, whylen, "%s", why_);
        return -1;
    }
    return fn_llmc_open(out, c, dt, seed, w, n_pages, page_tokens, max_tok, max_seqs, pt_stride, cc, gpu, tp, why,
                        whylen);
}

/* The rest are reached only with an engine that llmc_open made, so the plugin is there. */
void llmc_close(struct llmc *g)
{
    char why_[8];
    PLUGIN_FN(llmc_close);
    if (fn_llmc_close)
        fn_llmc_close(g);
}

int llmc_forward(struct llmc *g, const struct llm_batch *b, char *why, size_t whylen)
{
    char why_[8];
    PLUGIN_FN(llmc_forward);
    return fn_llmc_forward ? fn_llmc_forward(g, b, why, whylen) : -1;
}

int llmc_page_zero(struct llmc *g, int page)
{
    char why_[8];
    PLUGIN_FN(llmc_page_zero);
    return fn_llmc_page_zero ? fn_llmc_page_zero(g, page) : -1;
}

int llmc_page_fill(struct llmc *g, int page, uint64_t seed)
{
    char why_[8];
    PLUGIN_FN(llmc_page_fill);
    return fn_llmc_page_fill ? fn_llmc_page_fill(g, page, seed) : -1;
}

int llmc_kv_row(struct llmc *g, int layer, int which_v, int page, int slot, float *out, int n)
{
    char why_[8];
    PLUGIN_FN(llmc_kv_row);
    return fn_llmc_kv_row ? fn_llmc_kv_row(g, layer, which_v, page, slot, out, n) : -1;
}

int llmc_export_host(struct llmc *g, struct llm_host_weights *w)
{
    char why_[8];
    PLUGIN_FN(llmc_export_host);
    return fn_llmc_export_host ? fn_llmc_export_host(g, w) : -1;
}

void llmc_sync(struct llmc *g)
{
    char why_[8];
    PLUGIN_FN(llmc_sync);
    if (fn_llmc_sync)
        fn_llmc_sync(g);
}

int llmc_set_cc(struct llmc *g, int on)
{
    char why_[8];
    PLUGIN_FN(llmc_set_cc);
    return fn_llmc_set_cc ? fn_llmc_set_cc(g, on) : -1;
}

uint64_t llmc_weight_bytes_on_device(const struct llmc *g)
{
    char why_[8];
    PLUGIN_FN(llmc_weight_bytes_on_device);
    return fn_llmc_weight_bytes_on_device ? fn_llmc_weight_bytes_on_device(g) : 0;
}

int omega_llm_cuda_copy_bw(int gpu, double *gbps, struct omega_error *err)
{
    char why_[512];
    PLUGIN_FN(omega_llm_cuda_copy_bw);
    if (!fn_omega_llm_cuda_copy_bw)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "%s", why_);
    return fn_omega_llm_cuda_copy_bw(gpu, gbps, err);
}

int omega_llm_cuda_gemm_tflops(int gpu, int m, int n, int k, double *tflops, struct omega_error *err)
{
    char why_[512];
    PLUGIN_FN(omega_llm_cuda_gemm_tflops);
    if (!fn_omega_llm_cuda_gemm_tflops)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "%s", why_);
    return fn_omega_llm_cuda_gemm_tflops(gpu, m, n, k, tflops, err);
}

int omega_llm_cuda_meminfo(int gpu, uint64_t *free_b, uint64_t *total_b, char *name, size_t namelen, int *driver,
                           struct omega_error *err)
{
    char why_[512];
    PLUGIN_FN(omega_llm_cuda_meminfo);
    if (!fn_omega_llm_cuda_meminfo)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "%s", why_);
    return fn_omega_llm_cuda_meminfo(gpu, free_b, total_b, name, namelen, driver, err);
}
