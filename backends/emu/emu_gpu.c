/* Emulated confidential GPU: host memory stands in for HBM, OpenSSL AES-256-GCM on the "device side"
 * stands in for the H100 copy engine. Capacity is accounted, not reserved (MAP_NORESERVE), so an
 * 80 GiB GPU can be emulated on a small machine as long as what is written fits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "backends/emu/emu.h"
#include "core/backend_impl.h"

struct emu_gpu {
    uint64_t capacity;
};

static int emu_gpu_probe(char *why, size_t whylen)
{
    (void)why;
    (void)whylen;
    return 0;  /* software only: runs anywhere */
}

static int emu_gpu_open(struct omega_gpu *gpu, const struct omega_config *cfg, struct omega_error *err)
{
    struct emu_gpu *g = calloc(1, sizeof *g);
    if (!g)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    g->capacity = cfg->gpu_capacity ? cfg->gpu_capacity : OMEGA_GPU_DEFAULT_CAPACITY;
    gpu->priv = g;
    return 0;
}

static void emu_gpu_close(struct omega_gpu *gpu)
{
    free(gpu->priv);
    gpu->priv = NULL;
}

static void emu_gpu_info(struct omega_gpu *gpu, struct omega_gpu_info *info)
{
    struct emu_gpu *g = gpu->priv;
    snprintf(info->device, sizeof info->device, "emulated confidential GPU (%llu GiB)",
             (unsigned long long)(g->capacity >> 30));
    snprintf(info->driver, sizeof info->driver, "emu");
    info->cc_on = 1;
    snprintf(info->cc_mode, sizeof info->cc_mode, "on (emulated)");
    info->capacity = g->capacity;
}

static int emu_mem_alloc(struct omega_gpu *gpu, uint64_t size, void **handle, struct omega_error *err)
{
    (void)gpu;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "cannot map %llu bytes of emulated GPU memory", (unsigned long long)size);
    *handle = p;
    return 0;
}

static void emu_mem_free(struct omega_gpu *gpu, void *handle, uint64_t size)
{
    (void)gpu;
    /* Scrub before release; unmapping alone would do on Linux, the explicit wipe states the contract
     * (a freed page's old contents never reach the next owner) for pages already touched. */
    madvise(handle, size, MADV_DONTNEED);
    munmap(handle, size);
}

static int emu_copy_in(struct omega_gpu *gpu, void *handle, uint64_t off, const void *src, size_t n,
                       struct omega_error *err)
{
    (void)gpu;
    (void)err;
    memcpy((uint8_t *)handle + off, src, n);
    return 0;
}

static int emu_copy_out(struct omega_gpu *gpu, void *dst, void *handle, uint64_t off, size_t n, struct omega_error *err)
{
    (void)gpu;
    (void)err;
    memcpy(dst, (uint8_t *)handle + off, n);
    return 0;
}

static int emu_copy_in_sealed(struct omega_gpu *gpu, void *handle, uint64_t off, const struct omega_sealed *src,
                              struct omega_seal_ctx *h2d, struct omega_error *err)
{
    (void)gpu;
    if (omega_unseal(h2d, src, (uint8_t *)handle + off) < 0)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "host-to-device transfer failed authentication (bounce buffer tampered or replayed)");
    return 0;
}

static int emu_copy_out_sealed(struct omega_gpu *gpu, struct omega_sealed *dst, void *handle, uint64_t off, size_t n,
                               struct omega_seal_ctx *d2h, struct omega_error *err)
{
    (void)gpu;
    if (omega_seal(d2h, (uint8_t *)handle + off, n, dst) < 0)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "AES-GCM seal failed");
    return 0;
}

static int emu_gpu_evidence(struct omega_gpu *gpu, const uint8_t nonce[32], struct omega_buf *report,
                            struct omega_buf *chain, struct omega_error *err)
{
    (void)gpu;
    return omega_emu_gpu_evidence(nonce, report, chain, err);
}

const struct omega_gpu_ops omega_gpu_emu = {
    .version = OMEGA_BACKEND_ABI,
    .name = "emu",
    .caps = OMEGA_CAP_GPU_EVIDENCE,
    .probe = emu_gpu_probe,
    .open = emu_gpu_open,
    .close = emu_gpu_close,
    .info = emu_gpu_info,
    .evidence = emu_gpu_evidence,
    .mem_alloc = emu_mem_alloc,
    .mem_free = emu_mem_free,
    .copy_in = emu_copy_in,
    .copy_out = emu_copy_out,
    .copy_in_sealed = emu_copy_in_sealed,
    .copy_out_sealed = emu_copy_out_sealed,
};
