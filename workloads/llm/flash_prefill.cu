/* Causal flash attention for the prefill of one fresh prompt, FlashAttention-2 style, for sm_90: each block
 * takes 64 queries of one head (16 per warp, Q kept in registers) and walks 64-key tiles up to the diagonal,
 * K and V double-buffered in shared memory through cp.async, Q·K^T and P·V on the tensor cores with
 * mma.sync m16n8k16 (bf16 in, fp32 accumulate) and an online softmax in registers, so the T x T score
 * matrix never reaches global memory. Grouped-query attention reads the KV head of each query head. */
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#include "flash_prefill.h" /* same folder: found with or without -I. */

typedef __nv_bfloat16 bf16;

#define FP_BM 64                   /* queries per block */
#define FP_BN 64                   /* keys per tile; equal to FP_BM so the diagonal is exactly one tile */
#define FP_THREADS 128             /* 4 warps of 16 query rows each */
#define FP_PAD 8                   /* bf16 per shared row beyond HD: see k_flash_prefill */
#define FP_LOG2E 1.4426950408889634f

static __device__ __forceinline__ uint32_t smem_addr(const void *p)
{
    return (uint32_t)__cvta_generic_to_shared(p);
}

/* 16 bytes global -> shared without passing through registers; bytes 0 zero-fills the destination. */
static __device__ __forceinline__ void cp_async16(uint32_t dst, const void *src, int bytes)
{
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(bytes) : "memory");
}

static __device__ __forceinline__ void cp_async_commit(void)
{
    asm volatile("cp.async.commit_group;\n" ::: "memory");
}

template <int N> static __device__ __forceinline__ void cp_async_wait(void)
{
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

/* The memory clobbers keep shared reads from being moved across the cp.async waits and barriers. */
static __device__ __forceinline__ void ldsm_x4(uint32_t addr, uint32_t &r0, uint32_t &r1, uint32_t &r2, uint32_t &r3)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(addr)
                 : "memory");
}

static __device__ __forceinline__ void ldsm_x4_trans(uint32_t addr, uint32_t &r0, uint32_t &r1, uint32_t &r2,
                                                     uint32_t &r3)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(addr)
                 : "memory");
}

/* d += a (16x16 bf16, row-major fragment) * b (16x8 bf16, column fragment), fp32 accumulators. */
static __device__ __forceinline__ void mma_bf16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1)
{
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/* One MUFU op; exp2f without fast-math adds range fix-ups the softmax does not need (-inf gives 0). */
static __device__ __forceinline__ float fast_exp2(float x)
{
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
    return y;
}

static __device__ __forceinline__ uint32_t pack_bf16(float lo, float hi)
{
    __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi); /* .x (lo) is the lower half: the lower column */
    return *(uint32_t *)&v;
}

/* Rows row0..row0+63 of one head's HD columns into a padded tile; rows at or past T become zeros, so the
 * ragged end neither reads past the buffer nor leaves stale (possibly NaN) data for 0 * V to spread. */
template <int HD>
static __device__ __forceinline__ void load_tile(bf16 *tile, const bf16 *src, int ld, int row0, int T, int tid)
{
    const int chunks = HD / 8;
#pragma unroll
    for (int i = 0; i < FP_BN * chunks / FP_THREADS; i++) {
        int idx = tid + i * FP_THREADS;
        int r = idx / chunks, c = idx % chunks;
        int t = row0 + r;
        int ok = t < T;
        cp_async16(smem_addr(tile + r * (HD + FP_PAD) + c * 8), src + (size_t)(ok ? t : 0) * ld + c * 8, ok ? 16 : 0);
    }
}

/* Grid (query blocks, heads), launched last block first: the block with the most keys starts earliest, so
 * the short ones fill in the tail. Shared rows are HD + 8 bf16 long so that the eight 16-byte rows one
 * ldmatrix reads start on distinct bank quads (HD 32, 64, 128 all give a conflict-free stride).
 * Shared memory: K tiles [2][64][HD+8], then V tiles [2][64][HD+8]; Q passes through V buffer 1 at the start
 * and the output through K buffer 0 at the end. */
template <int HD>
__global__ void __launch_bounds__(FP_THREADS) k_flash_prefill(const bf16 *__restrict__ qkv, int ld, int T, int nh,
                                                               int nkv, bf16 *__restrict__ out, int ldo, float sl2)
{
    extern __shared__ __align__(16) unsigned char fp_smem[];
    const int RS = HD + FP_PAD;      /* shared row stride, elements */
    const int TS = FP_BN * RS;       /* one tile buffer, elements */
    bf16 *ks = (bf16 *)fp_smem;
    bf16 *vs = ks + 2 * TS;

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t4 = lane & 3;
    const int qb = gridDim.x - 1 - blockIdx.x;
    const int h = blockIdx.y, kvh = h / (nh / nkv);
    const int q0 = qb * FP_BM;
    const int ntiles = qb + 1;
    const bf16 *ksrc = qkv + (size_t)(nh + kvh) * HD;
    const bf16 *vsrc = qkv + (size_t)(nh + nkv + kvh) * HD;

    /* Three groups in flight: Q, K0, V0. Only Q is needed before the loop. */
    load_tile<HD>(vs + TS, qkv + (size_t)h * HD, ld, q0, T, tid);
    cp_async_commit();
    load_tile<HD>(ks, ksrc, ld, 0, T, tid);
    cp_async_commit();
    load_tile<HD>(vs, vsrc, ld, 0, T, tid);
    cp_async_commit();
    cp_async_wait<2>();
    __syncthreads();

    /* A fragments of this warp's 16 query rows: lanes 0-7 address rows 0-7 (a0), 8-15 rows 8-15 (a1),
     * 16-23 rows 0-7 at column +8 (a2), 24-31 rows 8-15 at column +8 (a3). */
    uint32_t qf[HD / 16][4];
    {
        const bf16 *qs = vs + TS + (warp * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * RS + (lane >> 4) * 8;
#pragma unroll
        for (int kc = 0; kc < HD / 16; kc++)
            ldsm_x4(smem_addr(qs + kc * 16), qf[kc][0], qf[kc][1], qf[kc][2], qf[kc][3]);
    }

    /* K as B of S = Q·K^T (B[k = hd][n = key] = K[key][hd]): a plain ldmatrix of 8 keys x 8 hd gives each
     * lane key g, hd 2*t4..+1, which is b0 (hd +0) or b1 (hd +8). Lanes 0-7: keys 0-7 hd +0, 8-15: keys 0-7
     * hd +8, 16-23: keys 8-15 hd +0, 24-31: keys 8-15 hd +8, i.e. b0,b1 of two adjacent n8 tiles. */
    const int koff = ((lane & 7) + (lane >> 4) * 8) * RS + ((lane >> 3) & 1) * 8;
    /* V as B of O = P·V (B[k = key][n = hd] = V[key][hd]): a transposed ldmatrix of 8 keys x 8 hd gives each
     * lane keys 2*t4..+1 at hd g. Lanes 0-7: keys 0-7 hd +0 (b0), 8-15: keys 8-15 hd +0 (b1), 16-23 and
     * 24-31 the same for hd +8: b0,b1 of two adjacent hd tiles. */
    const int voff = ((lane & 7) + ((lane >> 3) & 1) * 8) * RS + (lane >> 4) * 8;

    float o[HD / 8][4];
#pragma unroll
    for (int d = 0; d < HD / 8; d++)
        o[d][0] = o[d][1] = o[d][2] = o[d][3] = 0.f;
    /* Per thread: rows g (suffix a) and g + 8 (suffix b) of the warp's 16. m is the running max of the raw
     * scores, l this thread's share of the running sum (its 16 columns of each tile), reduced at the end. */
    float m_a = -INFINITY, m_b = -INFINITY, l_a = 0.f, l_b = 0.f;

    for (int j = 0; j < ntiles; j++) {
        cp_async_wait<1>(); /* K(j) landed; V(j) may still be in flight */
        __syncthreads();    /* ... for every thread, and every warp is done with tile j-1's buffers */
        /* Prefetch tile j+1 into the buffers tile j-1 used. Empty groups at the end keep the counts fixed. */
        if (j + 1 < ntiles)
            load_tile<HD>(ks + ((j + 1) & 1) * TS, ksrc, ld, (j + 1) * FP_BN, T, tid);
        cp_async_commit();
        if (j + 1 < ntiles)
            load_tile<HD>(vs + ((j + 1) & 1) * TS, vsrc, ld, (j + 1) * FP_BN, T, tid);
        cp_async_commit();

        float s[FP_BN / 8][4];
#pragma unroll
        for (int n = 0; n < FP_BN / 8; n++)
            s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
        const bf16 *kt = ks + (j & 1) * TS + koff;
#pragma unroll
        for (int kc = 0; kc < HD / 16; kc++) {
#pragma unroll
            for (int np = 0; np < FP_BN / 16; np++) {
                uint32_t b0, b1, b2, b3;
                ldsm_x4(smem_addr(kt + np * 16 * RS + kc * 16), b0, b1, b2, b3);
                mma_bf16(s[2 * np], qf[kc], b0, b1);
                mma_bf16(s[2 * np + 1], qf[kc], b2, b3);
            }
        }

        /* Only the diagonal tile has keys after some of its queries. Keys at or past T need no mask of their
         * own: every stored row is < T, so such keys are already after it, and rows >= T are not stored. */
        if (j == qb) {
            const int ra = warp * 16 + g, rb = ra + 8; /* rows and keys relative to q0 = j * FP_BN */
#pragma unroll
            for (int n = 0; n < FP_BN / 8; n++) {
                int key = n * 8 + 2 * t4;
                if (key > ra)
                    s[n][0] = -INFINITY;
                if (key + 1 > ra)
                    s[n][1] = -INFINITY;
                if (key > rb)
                    s[n][2] = -INFINITY;
                if (key + 1 > rb)
                    s[n][3] = -INFINITY;
            }
        }

        /* A row's 64 scores sit in the 4 lanes of its quad (xor 1, 2). */
        float mx_a = m_a, mx_b = m_b;
#pragma unroll
        for (int n = 0; n < FP_BN / 8; n++) {
            mx_a = fmaxf(mx_a, fmaxf(s[n][0], s[n][1]));
            mx_b = fmaxf(mx_b, fmaxf(s[n][2], s[n][3]));
        }
        mx_a = fmaxf(mx_a, __shfl_xor_sync(0xffffffffu, mx_a, 1));
        mx_a = fmaxf(mx_a, __shfl_xor_sync(0xffffffffu, mx_a, 2));
        mx_b = fmaxf(mx_b, __shfl_xor_sync(0xffffffffu, mx_b, 1));
        mx_b = fmaxf(mx_b, __shfl_xor_sync(0xffffffffu, mx_b, 2));
        /* Every row sees key 0 and, on the diagonal, key q0, so the max is finite in practice; a -inf max is
         * still mapped to base 0 so that -inf - -inf never makes a NaN (the row's p and alpha become 0). */
        const float base_a = mx_a == -INFINITY ? 0.f : mx_a * sl2;
        const float base_b = mx_b == -INFINITY ? 0.f : mx_b * sl2;
        const float al_a = fast_exp2(m_a * sl2 - base_a); /* first tile: exp2(-inf) = 0 */
        const float al_b = fast_exp2(m_b * sl2 - base_b);
        m_a = mx_a;
        m_b = mx_b;

        /* P straight into A fragments: keys 16kk..16kk+15 are n8 tiles 2kk (a0 row g, a1 row g+8) and 2kk+1
         * (a2, a3), each register two adjacent keys of one row, exactly the C layout's c0,c1 / c2,c3. */
        uint32_t p[FP_BN / 16][4];
        float sum_a = 0.f, sum_b = 0.f;
#pragma unroll
        for (int n = 0; n < FP_BN / 8; n++) {
            float p0 = fast_exp2(fmaf(s[n][0], sl2, -base_a));
            float p1 = fast_exp2(fmaf(s[n][1], sl2, -base_a));
            float p2 = fast_exp2(fmaf(s[n][2], sl2, -base_b));
            float p3 = fast_exp2(fmaf(s[n][3], sl2, -base_b));
            /* the row sum of the rounded P that the product uses, so each output is a true average of V */
            const uint32_t pa = pack_bf16(p0, p1), pb = pack_bf16(p2, p3);
            sum_a += __uint_as_float(pa << 16) + __uint_as_float(pa & 0xffff0000u);
            sum_b += __uint_as_float(pb << 16) + __uint_as_float(pb & 0xffff0000u);
            p[n >> 1][(n & 1) * 2] = pa;
            p[n >> 1][(n & 1) * 2 + 1] = pb;
        }
        l_a = l_a * al_a + sum_a;
        l_b = l_b * al_b + sum_b;
#pragma unroll
        for (int d = 0; d < HD / 8; d++) {
            o[d][0] *= al_a;
            o[d][1] *= al_a;
            o[d][2] *= al_b;
            o[d][3] *= al_b;
        }

        cp_async_wait<2>(); /* V(j) landed; tile j+1's K and V may still be in flight */
        __syncthreads();
        const bf16 *vt = vs + (j & 1) * TS + voff;
#pragma unroll
        for (int kk = 0; kk < FP_BN / 16; kk++) {
#pragma unroll
            for (int dp = 0; dp < HD / 16; dp++) {
                uint32_t b0, b1, b2, b3;
                ldsm_x4_trans(smem_addr(vt + kk * 16 * RS + dp * 16), b0, b1, b2, b3);
                mma_bf16(o[2 * dp], p[kk], b0, b1);
                mma_bf16(o[2 * dp + 1], p[kk], b2, b3);
            }
        }
    }

    l_a += __shfl_xor_sync(0xffffffffu, l_a, 1);
    l_a += __shfl_xor_sync(0xffffffffu, l_a, 2);
    l_b += __shfl_xor_sync(0xffffffffu, l_b, 1);
    l_b += __shfl_xor_sync(0xffffffffu, l_b, 2);
    /* The row's max contributes exp2(0) = 1, so l >= 1 (also for the unstored rows past T). */
    const float ia = 1.f / l_a, ib = 1.f / l_b;

    /* Stage through K buffer 0 for 16-byte stores. No barrier needed: K tiles are only read before the
     * last iteration's second barrier, and each warp writes and reads back only its own 16 rows. */
    bf16 *os = ks + warp * 16 * RS;
#pragma unroll
    for (int d = 0; d < HD / 8; d++) {
        *(uint32_t *)(os + g * RS + d * 8 + 2 * t4) = pack_bf16(o[d][0] * ia, o[d][1] * ia);
        *(uint32_t *)(os + (g + 8) * RS + d * 8 + 2 * t4) = pack_bf16(o[d][2] * ib, o[d][3] * ib);
    }
    __syncwarp();
    const int chunks = HD / 8;
#pragma unroll
    for (int i = lane; i < 16 * chunks; i += 32) {
        int r = i / chunks, c = i % chunks;
        int t = q0 + warp * 16 + r;
        if (t < T)
            *(uint4 *)(out + (size_t)t * ldo + (size_t)h * HD + c * 8) = *(const uint4 *)(os + r * RS + c * 8);
    }
}

template <int HD>
static int flash_launch(const bf16 *qkv, int ld, int T, int nh, int nkv, bf16 *out, int ldo, cudaStream_t s)
{
    const size_t smem = (size_t)4 * FP_BN * (HD + FP_PAD) * sizeof(bf16);
    /* Above the 48 KB default a kernel must opt in to more dynamic shared memory. */
    if (smem > 48 * 1024 &&
        cudaFuncSetAttribute(k_flash_prefill<HD>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem) !=
            cudaSuccess)
        return -1;
    dim3 grid((unsigned)((T + FP_BM - 1) / FP_BM), (unsigned)nh);
    const float sl2 = FP_LOG2E / sqrtf((float)HD); /* 1/sqrt(hd) folded with log2(e) for exp2 */
    k_flash_prefill<HD><<<grid, FP_THREADS, smem, s>>>(qkv, ld, T, nh, nkv, out, ldo, sl2);
    return cudaGetLastError() == cudaSuccess ? 0 : -1;
}

extern "C" int llm_flash_prefill(const __nv_bfloat16 *qkv, int ld, int T, int nh, int nkv, int hd,
                                 __nv_bfloat16 *out, int ldo, cudaStream_t s)
{
    if (T <= 0)
        return 0;
    if (nh <= 0 || nkv <= 0 || nh % nkv != 0)
        return -1;
    switch (hd) {
    case 32:
        return flash_launch<32>(qkv, ld, T, nh, nkv, out, ldo, s);
    case 64:
        return flash_launch<64>(qkv, ld, T, nh, nkv, out, ldo, s);
    case 128:
        return flash_launch<128>(qkv, ld, T, nh, nkv, out, ldo, s);
    default:
        return -1;
    }
}
