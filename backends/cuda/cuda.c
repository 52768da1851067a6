/* Real NVIDIA GPU backend, built into the CUDA plugin (libomega-cuda.so): device memory through the CUDA runtime, plain copies with CC off, and with
 * CC on the confidential data path emulated on the GPU: the host seals (OpenSSL, in core/backend.c),
 * the AES-256-GCM kernels in gcm.cu open and authenticate on the device, and seal what comes back.
 * Hardware CC state and the H100's attestation evidence come from NVML (backends/cuda/nvml.c, loaded at
 * run time): with hardware CC off, the GPU gives no evidence and the data path is the emulated one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "core/backend_impl.h"

#ifdef CONFIG_CUDA
#include <cuda_runtime_api.h>

#include "backends/cuda/gcm.h"
#include "backends/cuda/nvml.h"

struct cuda_gpu {
    int dev;
    char name[128], driver[64];
    uint64_t capacity;
    int cc;
    char hw_cc[32];   /* NVML's CC mode ("on", "off", "devtools"), or why it could not be read */
    /* device-side AES-GCM contexts, bound to the platform's session contexts on first use */
    const struct omega_seal_ctx *h2d_ctx, *d2h_ctx;
    struct omega_cuda_gcm *h2d, *d2h;
    void *stage;    /* device bounce buffer */
    size_t stage_cap;
};
#endif

static int cuda_probe(char *why, size_t whylen)
{
#ifdef CONFIG_CUDA
    struct stat st;
    if (stat("/proc/driver/nvidia", &st) != 0 && stat("/dev/nvidiactl", &st) != 0) {
        snprintf(why, whylen, "no NVIDIA GPU driver loaded (no /proc/driver/nvidia, no /dev/nvidiactl)");
        return -1;
    }
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        snprintf(why, whylen, "no usable CUDA device (cudaGetDeviceCount: %s)", cudaGetErrorString(e));
        return -1;
    }
    if (n == 0) {
        snprintf(why, whylen, "no CUDA device");
        return -1;
    }
    return 0;
#else
    snprintf(why, whylen, "built without CUDA (./configure found no nvcc with cuBLAS and NCCL)");
    return -1;
#endif
}

#ifdef CONFIG_CUDA
#define CUDA_TRY(call, what)                                                                                 \
    do {                                                                                                     \
        cudaError_t e_ = (call);                                                                             \
        if (e_ != cudaSuccess)                                                                               \
            OMEGA_FAIL(err, OMEGA_EIO, "%s: %s", what, cudaGetErrorString(e_));                              \
    } while (0)

static void read_driver_version(char *out, size_t n)
{
    /* "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.04  ..." */
    snprintf(out, n, "unknown");
    FILE *f = fopen("/proc/driver/nvidia/version", "r");
    if (!f)
        return;
    char line[512];
    if (fgets(line, sizeof line, f)) {
        char *k = strstr(line, "Kernel Module");
        if (k) {
            k += strlen("Kernel Module");
            while (*k == ' ')
                k++;
            size_t l = strcspn(k, " \n");
            snprintf(out, n, "%.*s", (int)l, k);
        }
    }
    fclose(f);
}

static int cuda_open(struct omega_gpu *gpu, const struct omega_config *cfg, struct omega_error *err)
{
    struct cuda_gpu *g = calloc(1, sizeof *g);
    if (!g)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    g->dev = cfg->gpu_device;
    g->cc = cfg->cc != 0;
    cudaError_t e = cudaSetDevice(g->dev);
    struct cudaDeviceProp prop;
    if (e == cudaSuccess)
        e = cudaGetDeviceProperties(&prop, g->dev);
    if (e != cudaSuccess) {
        free(g);
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "CUDA device %d: %s", cfg->gpu_device, cudaGetErrorString(e));
    }
    snprintf(g->name, sizeof g->name, "%.127s", prop.name);
    read_driver_version(g->driver, sizeof g->driver);
    struct omega_error nerr = {0};
    if (omega_nvml_cc_state(g->dev, g->hw_cc, sizeof g->hw_cc, &nerr) < 0)
        snprintf(g->hw_cc, sizeof g->hw_cc, "unknown");
    g->capacity = prop.totalGlobalMem;
    if (cfg->gpu_capacity && cfg->gpu_capacity < g->capacity)
        g->capacity = cfg->gpu_capacity;   /* a smaller budget may be asked for, never a larger one */
    gpu->priv = g;
    return 0;
}

static void cuda_close(struct omega_gpu *gpu)
{
    struct cuda_gpu *g = gpu->priv;
    if (!g)
        return;
    omega_cuda_gcm_free(g->h2d);
    omega_cuda_gcm_free(g->d2h);
    if (g->stage) {
        cudaMemset(g->stage, 0, g->stage_cap);
        cudaFree(g->stage);
    }
    free(g);
    gpu->priv = NULL;
}

static void cuda_info(struct omega_gpu *gpu, struct omega_gpu_info *info)
{
    struct cuda_gpu *g = gpu->priv;
    snprintf(info->device, sizeof info->device, "%s", g->name);
    snprintf(info->driver, sizeof info->driver, "%s", g->driver);
    info->cc_on = g->cc;
    int hw = strcmp(g->hw_cc, "on") == 0;
    if (!g->cc)
        snprintf(info->cc_mode, sizeof info->cc_mode, "off (hardware CC %.20s)", g->hw_cc);
    else if (hw)
        snprintf(info->cc_mode, sizeof info->cc_mode, "on (hardware)");
    else
        snprintf(info->cc_mode, sizeof info->cc_mode, "on (emulated on the GPU; hardware CC %.20s)", g->hw_cc);
    info->capacity = g->capacity;
}

static int cuda_mem_alloc(struct omega_gpu *gpu, uint64_t size, void **handle, struct omega_error *err)
{
    struct cuda_gpu *g = gpu->priv;
    void *p = NULL;
    CUDA_TRY(cudaSetDevice(g->dev), "cudaSetDevice");
    cudaError_t e = cudaMalloc(&p, size);
    if (e != cudaSuccess)
        OMEGA_FAIL(err, OMEGA_EQUOTA, "cudaMalloc of %llu bytes: %s", (unsigned long long)size, cudaGetErrorString(e));
    /* cudaMalloc does not clear: a new partition must not see an earlier tenant's bytes. */
    if (cudaMemset(p, 0, size) != cudaSuccess) {
        cudaFree(p);
        OMEGA_FAIL(err, OMEGA_EIO, "cannot clear new device memory");
    }
    *handle = p;
    return 0;
}

static void cuda_mem_free(struct omega_gpu *gpu, void *handle, uint64_t size)
{
    struct cuda_gpu *g = gpu->priv;
    cudaSetDevice(g->dev);
    cudaMemset(handle, 0, size);   /* scrubbed before release */
    cudaDeviceSynchronize();
    cudaFree(handle);
}

static int cuda_copy_in(struct omega_gpu *gpu, void *handle, uint64_t off, const void *src, size_t n,
                        struct omega_error *err)
{
    (void)gpu;
    CUDA_TRY(cudaMemcpy((uint8_t *)handle + off, src, n, cudaMemcpyHostToDevice), "copy to the GPU");
    return 0;
}

static int cuda_copy_out(struct omega_gpu *gpu, void *dst, void *handle, uint64_t off, size_t n, struct omega_error *err)
{
    (void)gpu;
    CUDA_TRY(cudaMemcpy(dst, (uint8_t *)handle + off, n, cudaMemcpyDeviceToHost), "copy from the GPU");
    return 0;
}

static int stage_reserve(struct cuda_gpu *g, size_t n, struct omega_error *err)
{
    if (n <= g->stage_cap)
        return 0;
    if (g->stage) {
        cudaMemset(g->stage, 0, g->stage_cap);
        cudaFree(g->stage);
    }
    g->stage = NULL;
    g->stage_cap = 0;
    CUDA_TRY(cudaMalloc(&g->stage, n ? n : 1), "device bounce buffer");
    g->stage_cap = n ? n : 1;
    return 0;
}

/* The device-side context for a session direction, made from its key the first time it is seen. */
static int gcm_for(struct omega_cuda_gcm **slot, const struct omega_seal_ctx **bound, const struct omega_seal_ctx *ctx,
                   struct omega_error *err)
{
    if (*slot && *bound == ctx)
        return 0;
    omega_cuda_gcm_free(*slot);
    *slot = NULL;
    if (omega_cuda_gcm_new(slot, omega_seal_key(ctx)) < 0)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "cannot set up AES-GCM on the GPU");
    *bound = ctx;
    return 0;
}

static int cuda_copy_in_sealed(struct omega_gpu *gpu, void *handle, uint64_t off, const struct omega_sealed *src,
                               struct omega_seal_ctx *h2d, struct omega_error *err)
{
    struct cuda_gpu *g = gpu->priv;
    if (omega_seal_check_iv(h2d, src->iv) != 0)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "host-to-device transfer replayed or out of order (stale IV)");
    OMEGA_TRY(gcm_for(&g->h2d, &g->h2d_ctx, h2d, err));
    OMEGA_TRY(stage_reserve(g, src->len, err));
    CUDA_TRY(cudaMemcpy(g->stage, src->bytes, src->len, cudaMemcpyHostToDevice), "copy to the device bounce buffer");
    int rc = omega_cuda_gcm_open(g->h2d, src->iv, src->tag, g->stage, (uint8_t *)handle + off, src->len, NULL);
    if (rc == OMEGA_EVERIFY)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "host-to-device transfer failed authentication on the GPU (bounce buffer tampered)");
    if (rc < 0)
        OMEGA_FAIL(err, OMEGA_EIO, "AES-GCM kernels failed");
    omega_seal_accept(h2d, src->iv);
    return 0;
}

static int cuda_copy_out_sealed(struct omega_gpu *gpu, struct omega_sealed *dst, void *handle, uint64_t off, size_t n,
                                struct omega_seal_ctx *d2h, struct omega_error *err)
{
    struct cuda_gpu *g = gpu->priv;
    OMEGA_TRY(gcm_for(&g->d2h, &g->d2h_ctx, d2h, err));
    OMEGA_TRY(stage_reserve(g, n, err));
    if (omega_seal_next_iv(d2h, dst->iv) < 0)
        OMEGA_FAIL(err, OMEGA_ESTATE, "IV counter exhausted: the session key must be rotated");
    if (omega_cuda_gcm_seal(g->d2h, dst->iv, (uint8_t *)handle + off, g->stage, n, dst->tag, NULL) < 0)
        OMEGA_FAIL(err, OMEGA_EIO, "AES-GCM kernels failed");
    CUDA_TRY(cudaMemcpy(dst->bytes, g->stage, n, cudaMemcpyDeviceToHost), "copy from the device bounce buffer");
    dst->len = n;
    return 0;
}

static int cuda_evidence(struct omega_gpu *gpu, const uint8_t nonce[32], struct omega_buf *report,
                         struct omega_buf *chain, struct omega_error *err)
{
    struct cuda_gpu *g = gpu->priv;
    return omega_nvml_gpu_evidence(g->dev, nonce, report, chain, err);
}

/* The plugin's table; backends/cuda/cuda_proxy.c forwards the main binary's omega_gpu_cuda to it. */
const struct omega_gpu_ops omega_gpu_cuda_impl = {
    .version = OMEGA_BACKEND_ABI,
    .name = "cuda",
    .caps = OMEGA_CAP_GPU_INFER | OMEGA_CAP_GPU_EVIDENCE,
    .probe = cuda_probe,
    .open = cuda_open,
    .close = cuda_close,
    .info = cuda_info,
    .evidence = cuda_evidence,
    .mem_alloc = cuda_mem_alloc,
    .mem_free = cuda_mem_free,
    .copy_in = cuda_copy_in,
    .copy_out = cuda_copy_out,
    .copy_in_sealed = cuda_copy_in_sealed,
    .copy_out_sealed = cuda_copy_out_sealed,
};


#endif
