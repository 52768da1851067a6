/* AES-256-GCM kernels: CTR keystream one 16-byte block per thread, GHASH split over threads (each
 * part scaled by a power of H and XOR-summed), the tag computed and compared on the device, and a
 * commit step that releases plaintext only after the tag verified. */
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include "backends/cuda/gcm.h"
#include "core/util.h"
}
#include "backends/cuda/gcm_core.h"

__constant__ uint8_t d_sbox[256] = GCM_SBOX_INIT;
static const uint8_t h_sbox[256] = GCM_SBOX_INIT;

struct gcm_rk { uint8_t rk[240]; };
struct gcm_iv { uint8_t iv[12]; };
struct gcm_tag { uint8_t t[16]; };

struct omega_cuda_gcm {
    struct gcm_keys k;
    uint8_t *stage;           /* device: plaintext before the tag is checked */
    size_t stage_cap;
    unsigned long long *acc;  /* device: GHASH sum (2 words), then the verdict and the tag */
    int *ok;
    uint8_t *tag;
    int *h_ok;                /* pinned */
    uint8_t *h_tag;
};

__global__ void gcm_ctr_kernel(gcm_rk rk, gcm_iv iv, const uint8_t *in, uint8_t *out, size_t n)
{
    __shared__ uint8_t sbox[256];
    for (int i = threadIdx.x; i < 256; i += blockDim.x)
        sbox[i] = d_sbox[i];
    __syncthreads();
    size_t nb = (n + 15) / 16;
    for (size_t b = blockIdx.x * (size_t)blockDim.x + threadIdx.x; b < nb; b += (size_t)gridDim.x * blockDim.x) {
        uint8_t ctr[16], ks[16];
        gcm_ctr_block(iv.iv, (uint32_t)b + 1, ctr);
        gcm_aes_block(rk.rk, sbox, ctr, ks);
        size_t base = b * 16;
        if (base + 16 <= n && ((uintptr_t)(in + base) & 15) == 0 && ((uintptr_t)(out + base) & 15) == 0) {
            uint4 v = *(const uint4 *)(in + base), kv;
            memcpy(&kv, ks, 16);
            v.x ^= kv.x; v.y ^= kv.y; v.z ^= kv.z; v.w ^= kv.w;
            *(uint4 *)(out + base) = v;
        } else {
            for (int j = 0; j < 16 && base + j < n; j++)
                out[base + j] = in[base + j] ^ ks[j];
        }
    }
}

__global__ void gcm_ghash_kernel(const __grid_constant__ gcm_keys k, const uint8_t *ct, size_t n, uint64_t per,
                                 unsigned long long *acc)
{
    uint64_t nb = (n + 15) / 16;
    uint64_t a = (blockIdx.x * (uint64_t)blockDim.x + threadIdx.x) * per;
    if (a >= nb)
        return;
    uint64_t b = a + per < nb ? a + per : nb;
    gcm_u128 p = gcm_ghash_part(&k, ct, n, a, b);
    atomicXor(&acc[0], (unsigned long long)p.hi);
    atomicXor(&acc[1], (unsigned long long)p.lo);
}

__global__ void gcm_finish_kernel(const __grid_constant__ gcm_keys k, gcm_iv iv, size_t n,
                                  const unsigned long long *acc, gcm_tag expect, int check, uint8_t *tag, int *ok)
{
    gcm_u128 sum = {acc[0], acc[1]};
    uint8_t t[16];
    gcm_finish(&k, d_sbox, iv.iv, sum, n, t);
    unsigned diff = 0;
    for (int i = 0; i < 16; i++) {
        tag[i] = t[i];
        diff |= (unsigned)(t[i] ^ expect.t[i]);
    }
    *ok = check ? diff == 0 : 1;
}

__global__ void gcm_commit_kernel(const int *ok, uint8_t *stage, uint8_t *dst, size_t n)
{
    int good = *ok;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
        if (good)
            dst[i] = stage[i];
        stage[i] = 0;   /* unauthenticated plaintext never stays behind */
    }
}

extern "C" int omega_cuda_gcm_probe(char *why, size_t whylen)
{
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || n == 0) {
        snprintf(why, whylen, "no CUDA device (%s)", e != cudaSuccess ? cudaGetErrorString(e) : "count 0");
        return -1;
    }
    return 0;
}

extern "C" int omega_cuda_gcm_new(struct omega_cuda_gcm **out, const uint8_t key[32])
{
    *out = NULL;
    struct omega_cuda_gcm *g = (struct omega_cuda_gcm *)calloc(1, sizeof *g);
    if (!g)
        return OMEGA_ENOMEM;
    gcm_keys_init(&g->k, key, h_sbox);
    if (cudaMalloc((void **)&g->acc, 64) != cudaSuccess || cudaMallocHost((void **)&g->h_ok, 64) != cudaSuccess) {
        omega_cuda_gcm_free(g);
        return OMEGA_ENOMEM;
    }
    g->ok = (int *)(g->acc + 2);
    g->tag = (uint8_t *)(g->acc + 4);
    g->h_tag = (uint8_t *)(g->h_ok + 4);
    *out = g;
    return 0;
}

extern "C" void omega_cuda_gcm_free(struct omega_cuda_gcm *g)
{
    if (!g)
        return;
    cudaFree(g->stage);
    cudaFree(g->acc);
    cudaFreeHost(g->h_ok);
    omega_wipe(&g->k, sizeof g->k);
    free(g);
}

static int ghash_launch(struct omega_cuda_gcm *g, const uint8_t *ct, size_t n, cudaStream_t s)
{
    uint64_t nb = (n + 15) / 16;
    uint64_t threads = nb < 16384 ? nb : 16384;
    if (threads == 0)
        threads = 1;
    uint64_t per = (nb + threads - 1) / threads;
    if (per == 0)
        per = 1;
    cudaMemsetAsync(g->acc, 0, 16, s);
    unsigned blocks = (unsigned)((threads + 127) / 128);
    gcm_ghash_kernel<<<blocks, 128, 0, s>>>(g->k, ct, n, per, g->acc);
    return 0;
}

static unsigned ctr_blocks(size_t n)
{
    size_t nb = (n + 15) / 16, b = (nb + 255) / 256;
    return (unsigned)(b < 1 ? 1 : b > 4096 ? 4096 : b);
}

extern "C" int omega_cuda_gcm_open(struct omega_cuda_gcm *g, const uint8_t iv[12], const uint8_t tag[16],
                                   const void *dev_ct, void *dev_dst, size_t n, void *stream)
{
    cudaStream_t s = (cudaStream_t)stream;
    if (n > g->stage_cap) {
        cudaFree(g->stage);
        g->stage = NULL;
        g->stage_cap = 0;
        if (cudaMalloc((void **)&g->stage, n) != cudaSuccess)
            return OMEGA_ENOMEM;
        g->stage_cap = n;
    }
    gcm_rk rk;
    gcm_iv v;
    gcm_tag t;
    memcpy(rk.rk, g->k.rk, 240);
    memcpy(v.iv, iv, 12);
    memcpy(t.t, tag, 16);
    if (n) {
        gcm_ctr_kernel<<<ctr_blocks(n), 256, 0, s>>>(rk, v, (const uint8_t *)dev_ct, g->stage, n);
    }
    ghash_launch(g, (const uint8_t *)dev_ct, n, s);
    gcm_finish_kernel<<<1, 1, 0, s>>>(g->k, v, n, g->acc, t, 1, g->tag, g->ok);
    if (n)
        gcm_commit_kernel<<<ctr_blocks(n), 256, 0, s>>>(g->ok, g->stage, (uint8_t *)dev_dst, n);
    cudaMemcpyAsync(g->h_ok, g->ok, sizeof(int), cudaMemcpyDeviceToHost, s);
    omega_wipe(&rk, sizeof rk);
    if (cudaStreamSynchronize(s) != cudaSuccess)
        return OMEGA_EIO;
    return *g->h_ok ? 0 : OMEGA_EVERIFY;
}

extern "C" int omega_cuda_gcm_seal(struct omega_cuda_gcm *g, const uint8_t iv[12], const void *dev_src, void *dev_ct,
                                   size_t n, uint8_t tag[16], void *stream)
{
    cudaStream_t s = (cudaStream_t)stream;
    gcm_rk rk;
    gcm_iv v;
    gcm_tag t;
    memcpy(rk.rk, g->k.rk, 240);
    memcpy(v.iv, iv, 12);
    memset(t.t, 0, 16);
    if (n)
        gcm_ctr_kernel<<<ctr_blocks(n), 256, 0, s>>>(rk, v, (const uint8_t *)dev_src, (uint8_t *)dev_ct, n);
    ghash_launch(g, (const uint8_t *)dev_ct, n, s);
    gcm_finish_kernel<<<1, 1, 0, s>>>(g->k, v, n, g->acc, t, 0, g->tag, g->ok);
    cudaMemcpyAsync(g->h_tag, g->tag, 16, cudaMemcpyDeviceToHost, s);
    omega_wipe(&rk, sizeof rk);
    if (cudaStreamSynchronize(s) != cudaSuccess)
        return OMEGA_EIO;
    memcpy(tag, g->h_tag, 16);
    return 0;
}

extern "C" int omega_cuda_gcm_test_open(struct omega_cuda_gcm *g, const uint8_t iv[12], const uint8_t tag[16],
                                        const uint8_t *ct, uint8_t *out, size_t n)
{
    uint8_t *dct = NULL, *dout = NULL;
    if (cudaMalloc((void **)&dct, n) != cudaSuccess || cudaMalloc((void **)&dout, n) != cudaSuccess) {
        cudaFree(dct);
        return OMEGA_ENOMEM;
    }
    cudaMemcpy(dct, ct, n, cudaMemcpyHostToDevice);
    cudaMemset(dout, 0, n);
    int rc = omega_cuda_gcm_open(g, iv, tag, dct, dout, n, NULL);
    cudaMemcpy(out, dout, n, cudaMemcpyDeviceToHost);
    cudaFree(dct);
    cudaFree(dout);
    return rc;
}

extern "C" int omega_cuda_gcm_test_seal(struct omega_cuda_gcm *g, const uint8_t iv[12], const uint8_t *in, uint8_t *ct,
                                        size_t n, uint8_t tag[16])
{
    uint8_t *din = NULL, *dct = NULL;
    if (cudaMalloc((void **)&din, n) != cudaSuccess || cudaMalloc((void **)&dct, n) != cudaSuccess) {
        cudaFree(din);
        return OMEGA_ENOMEM;
    }
    cudaMemcpy(din, in, n, cudaMemcpyHostToDevice);
    int rc = omega_cuda_gcm_seal(g, iv, din, dct, n, tag, NULL);
    cudaMemcpy(ct, dct, n, cudaMemcpyDeviceToHost);
    cudaFree(din);
    cudaFree(dct);
    return rc;
}
