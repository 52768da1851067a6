/* The cuda GPU backend's table in the main binary: each op forwards to the real one in the CUDA
 * plugin (backends/cuda/cuda.c, built into libomega-cuda.so), which is loaded on the first probe. */
#include <stdio.h>
#include <sys/stat.h>

#include "backends/cuda/plugin.h"
#include "core/backend_impl.h"

static const struct omega_gpu_ops *impl(char *why, size_t whylen)
{
    static const struct omega_gpu_ops *ops;
    if (!ops)
        ops = omega_cuda_sym("omega_gpu_cuda_impl", why, whylen);
    return ops;
}

static int proxy_probe(char *why, size_t whylen)
{
    /* Without an NVIDIA driver there is nothing to find: say so without loading the plugin, so that a
     * probe (--backend auto, omega backends) leaves no CUDA library in this process. */
    struct stat st;
    if (stat("/proc/driver/nvidia", &st) != 0 && stat("/dev/nvidiactl", &st) != 0) {
        snprintf(why, whylen, "no NVIDIA GPU driver loaded (no /proc/driver/nvidia, no /dev/nvidiactl)");
        return -1;
    }
    const struct omega_gpu_ops *o = impl(why, whylen);
    return o ? o->probe(why, whylen) : -1;
}

static int proxy_open(struct omega_gpu *gpu, const struct omega_config *cfg, struct omega_error *err)
{
    char why[512];
    const struct omega_gpu_ops *o = impl(why, sizeof why);
    if (!o)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "cuda backend unavailable: %s", why);
    return o->open(gpu, cfg, err);
}

/* The ops below are reached only after a successful open, so the plugin is loaded. */
static void proxy_close(struct omega_gpu *gpu) { impl(NULL, 0)->close(gpu); }
static void proxy_info(struct omega_gpu *gpu, struct omega_gpu_info *info) { impl(NULL, 0)->info(gpu, info); }

static int proxy_evidence(struct omega_gpu *gpu, const uint8_t nonce[32], struct omega_buf *report,
                          struct omega_buf *chain, struct omega_error *err)
{
    const struct omega_gpu_ops *o = impl(NULL, 0);
    if (!o->evidence)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "the cuda backend gives no evidence");
    return o->evidence(gpu, nonce, report, chain, err);
}

static int proxy_mem_alloc(struct omega_gpu *gpu, uint64_t size, void **handle, struct omega_error *err)
{
    return impl(NULL, 0)->mem_alloc(gpu, size, handle, err);
}

static void proxy_mem_free(struct omega_gpu *gpu, void *handle, uint64_t size) { impl(NULL, 0)->mem_free(gpu, handle, size); }

static int proxy_copy_in(struct omega_gpu *gpu, void *handle, uint64_t off, const void *src, size_t n,
                         struct omega_error *err)
{
    return impl(NULL, 0)->copy_in(gpu, handle, off, src, n, err);
}

static int proxy_copy_out(struct omega_gpu *gpu, void *dst, void *handle, uint64_t off, size_t n, struct omega_error *err)
{
    return impl(NULL, 0)->copy_out(gpu, dst, handle, off, n, err);
}

static int proxy_copy_in_sealed(struct omega_gpu *gpu, void *handle, uint64_t off, const struct omega_sealed *src,
                                struct omega_seal_ctx *h2d, struct omega_error *err)
{
    return impl(NULL, 0)->copy_in_sealed(gpu, handle, off, src, h2d, err);
}

static int proxy_copy_out_sealed(struct omega_gpu *gpu, struct omega_sealed *dst, void *handle, uint64_t off, size_t n,
                                 struct omega_seal_ctx *d2h, struct omega_error *err)
{
    return impl(NULL, 0)->copy_out_sealed(gpu, dst, handle, off, n, d2h, err);
}

const struct omega_gpu_ops omega_gpu_cuda = {
    .version = OMEGA_BACKEND_ABI,
    .name = "cuda",
    .caps = OMEGA_CAP_GPU_INFER | OMEGA_CAP_GPU_EVIDENCE,
    .probe = proxy_probe,
    .open = proxy_open,
    .close = proxy_close,
    .info = proxy_info,
    .evidence = proxy_evidence,
    .mem_alloc = proxy_mem_alloc,
    .mem_free = proxy_mem_free,
    .copy_in = proxy_copy_in,
    .copy_out = proxy_copy_out,
    .copy_in_sealed = proxy_copy_in_sealed,
    .copy_out_sealed = proxy_copy_out_sealed,
};
