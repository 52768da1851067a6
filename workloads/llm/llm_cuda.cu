/* The CUDA engine: bf16 (or 8-bit per-row-scaled) weights generated on the GPU from the seed or copied
 * from a file, cuBLAS for bf16 matrix products, own kernels for the rest, a paged KV pool, decode steps
 * captured once per batch size into a CUDA graph, and the confidential data path (tokens in, tokens
 * and logits out, sealed with AES-256-GCM; the device side runs backends/cuda/gcm.cu). */
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <nccl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include "backends/cuda/gcm.h"
#include "core/seal.h"
#include "core/util.h"
#include "workloads/llm/llm_impl.h"
}
#include "workloads/llm/flash_prefill.h"
#include "workloads/llm/llm_common.h"

typedef __nv_bfloat16 bf16;

#define MAX_GRAPHS 8192
#define W8_MAX_TOK 8
#define GEMV_MAX_TOK 1
#define MV_MAX_TOK 8   /* the fused GEMV path (k_mv) serves steps of up to this many tokens */
#define ATT_THREADS 256
#define PROF_MARKS 2048
#define PROF_PARTS 32

struct lin {          /* one linear layer: rows × cols, bf16, or int8 with a float scale per row */
    int rows, cols;
    bf16 *w;
    int8_t *q;
    float *scale;
};

struct layer {
    struct lin qkv, wo, w13, w2;
    float *attn_norm, *ffn_norm;
};

struct llmc {
    struct omega_llm_config c;   /* the whole model's shape */
    enum omega_llm_dtype dt;
    /* Tensor parallelism: this shard holds heads [rank*nh, (rank+1)*nh), KV heads likewise, FFN columns
     * [rank*hid, ...); wo and w2 are split by their input and summed over the shards with NCCL. A
     * leader (tp > 1) holds no weights, only its shards, each driven by its own host thread. */
    int tp, rank, nh, nkv, hid, qdim;
    ncclComm_t comm;
    float *partial;
    struct llmc **shards;
    ncclComm_t *comms;
    int hd, kvdim, qkv_dim, n_pages, pt, max_tok, max_seqs, pt_stride, max_out, cc, dev;
    /* fast: k_mv for steps of up to MV_MAX_TOK tokens (bf16 and int8, gate/up with SiLU fused) and
     * programmatic dependent launch between kernels; 0 keeps the earlier kernels (k_gemv_bf16, k_w8,
     * cuBLAS from 2 bf16 tokens) and plain launches. fused: one-token steps take forward_fused (five
     * kernels a layer, see k_dv). Either turns programmatic dependent launch on. */
    int fast, fused;
    int pdl_now;   /* this forward's launches are programmatic (steps of up to MV_MAX_TOK tokens) */
    int ablate;   /* OMEGA_LLM_ABLATE (development only, wrong results): parts of forward_fused left out */
    struct layer *L;
    bf16 *embed;
    float *norm;
    struct lin out;
    bf16 *k_pool, *v_pool;   /* [layer][page][slot][kvdim] */
    size_t att_smem;
    /* activations */
    float *x, *xo, *logits;
    bf16 *xb, *qkv, *att, *gu, *h, *dq;   /* dq: int8 weights dequantized for prefill-sized batches */
    bf16 *scores;         /* prefill attention: heads × T × T scores, then probabilities in place */
    int prefill_max;
    /* step inputs on the device, one block: tokens, pos, seq, rows, page table */
    int32_t *d_in, *d_tok, *d_pos, *d_seq, *d_rows, *d_pt, *d_argmax;
    int32_t *h_in, *h_argmax;   /* pinned */
    float *h_logits;
    size_t in_words;
    cudaStream_t s;
    cublasHandle_t cublas;
    void *workspace;
    cudaGraphExec_t graphs[1025];
    float2 *rope;          /* fused path: cos, sin per position and frequency */
    unsigned *dv_count;    /* fused path: finished blocks of each layer's wo and w2 products */
    /* persistent one-token step (k_stream): on, grid, shared memory (input elements, ring slots, bytes),
     * the per-layer table on the device */
    int persist, ps_blocks, ps_xs, ps_ns;
    size_t ps_smem;
    struct ps_layer *ps_layers;
    unsigned *ps_gbar;   /* k_stream's grid barrier */
    int ps_split;            /* k_stream: position ranges per head */
    int ps_kvcap;            /* k_stream: past positions the K/V stager copies ahead */
    size_t ps_att;           /* k_stream: the attention's shared memory */
    unsigned long long *ps_trace;   /* OMEGA_LLM_TRACE (development): the last step's timeline */
    /* k_stream's balance table (device; on once calibrated), the calibration steps' measurements, and
     * on the host each stage kind's units and measured rate per SM */
    int *ps_bal, ps_bal_on, ps_cal_done, ps_stat_now;
    unsigned long long *ps_stat;
    int ps_pp, ps_pp_off, ps_cap[5], ps_uni;   /* k_stream: chunk sums (floats, offset), most units a block takes */
    int ps_cnt[5][256];
    double ps_share[5][256];
    float *ps_part;          /* k_stream: the ranges' partial attention */
    /* confidential data path */
    struct omega_seal_ctx *h2d_send, *h2d_recv, *d2h_send, *d2h_recv;
    struct omega_cuda_gcm *gcm_in, *gcm_out;
    uint8_t *h_bounce, *d_bounce;
    size_t bounce_cap;
    uint64_t weight_bytes;
    /* OMEGA_LLM_PROFILE=1: decode steps run without their graph, with an event between the parts of
     * each forward; the time between two events is charged to the part the first one names, and the
     * totals per step go to stderr when the engine closes. A development aid: the events themselves
     * add gaps, so the sum exceeds a graph step's time. OMEGA_LLM_PROFILE=sync drains the stream at
     * each mark and reads the host clock instead (for prompt-sized parts). */
    struct {
        int on, n, steps, big_steps, parts, big, seen[2];   /* big: a long prompt's forward (1,024 tokens or more) */
        cudaEvent_t ev[PROF_MARKS];
        uint64_t t[PROF_MARKS];
        const char *at[PROF_MARKS];
        const char *name[PROF_PARTS];
        int of_big[PROF_PARTS];
        double ms[PROF_PARTS];
        long calls[PROF_PARTS];
    } prof;
};

#define CK(call)                                                                                        \
    do {                                                                                                \
        cudaError_t e_ = (call);                                                                        \
        if (e_ != cudaSuccess) {                                                                        \
            snprintf(why, whylen, "%s: %s", #call, cudaGetErrorString(e_));                             \
            return -1;                                                                                  \
        }                                                                                               \
    } while (0)

/* Programmatic dependent launch (sm_90): a kernel launched with the attribute may start while the one
 * before it drains; each of ours waits (griddepcontrol.wait) for its predecessor to finish and flush
 * before it touches anything the predecessor reads or writes, and then lets its own successor start
 * launching. Both are no-ops for a plain launch. */
__device__ __forceinline__ void pdl_wait(void)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

__device__ __forceinline__ void pdl_next(void)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

/* Launch one of our kernels (each begins with pdl_wait) on the engine's stream. */
template <typename... KA, typename... A>
static int launch(struct llmc *g, void (*k)(KA...), dim3 grid, dim3 block, size_t smem, A... args)
{
    cudaLaunchAttribute at[1];
    at[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    at[0].val.programmaticStreamSerializationAllowed = 1;
    cudaLaunchConfig_t cfg = {};
    cfg.gridDim = grid;
    cfg.blockDim = block;
    cfg.dynamicSmemBytes = smem;
    cfg.stream = g->s;
    cfg.attrs = at;
    cfg.numAttrs = g->pdl_now ? 1 : 0;
    return cudaLaunchKernelEx(&cfg, k, static_cast<KA>(args)...) == cudaSuccess ? 0 : -1;
}

/* ---------------- weights ---------------- */

__global__ void k_gen_bf16(bf16 *dst, uint64_t n, uint64_t seed, uint32_t id, int kind, int fan_in)
{
    for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < n; i += (uint64_t)gridDim.x * blockDim.x)
        dst[i] = __float2bfloat16(llm_dummy_weight(seed, id, kind, i, fan_in));
}

__global__ void k_gen_f32(float *dst, uint64_t n, uint64_t seed, uint32_t id, int kind, int fan_in)
{
    for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < n; i += (uint64_t)gridDim.x * blockDim.x)
        dst[i] = llm_dummy_weight(seed, id, kind, i, fan_in);
}

/* A slice of a dummy tensor: rows from grow0, columns [gcol0, gcol0 + cols) of gcols (shards of TP). */
__global__ void k_gen_slice(bf16 *dst, int rows, int cols, uint64_t seed, uint32_t id, int kind, int fan_in,
                            uint64_t grow0, uint64_t gcol0, uint64_t gcols)
{
    uint64_t n = (uint64_t)rows * cols;
    for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < n; i += (uint64_t)gridDim.x * blockDim.x) {
        uint64_t r = i / cols, c = i % cols;
        dst[i] = __float2bfloat16(llm_dummy_weight(seed, id, kind, (grow0 + r) * gcols + gcol0 + c, fan_in));
    }
}

/* One warp per row: the row's largest magnitude, then the row quantized to int8 with that scale. */
__global__ void k_gen_int8(int8_t *dst, float *scale, int rows, int cols, uint64_t seed, uint32_t id, int kind)
{
    int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x & 31;
    if (row >= rows)
        return;
    uint64_t base = (uint64_t)row * cols;
    float mx = 0;
    for (int j = lane; j < cols; j += 32)
        mx = fmaxf(mx, fabsf(llm_dummy_weight(seed, id, kind, base + j, cols)));
    for (int o = 16; o; o >>= 1)
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
    float s = mx > 0 ? mx / 127.0f : 1.0f;
    for (int j = lane; j < cols; j += 32)
        dst[base + j] = (int8_t)lrintf(llm_dummy_weight(seed, id, kind, base + j, cols) / s);
    if (lane == 0)
        scale[row] = s;
}

static unsigned grid_for(uint64_t n)
{
    uint64_t b = (n + 255) / 256;
    return (unsigned)(b > 65535 ? 65535 : b < 1 ? 1 : b);
}

/* Fill rows [r0, r0+rows) of a linear layer from a dummy tensor or from host floats. */
static int lin_fill(struct llmc *g, struct lin *l, int r0, int rows, uint64_t seed, uint32_t id, int kind,
                    const float *host, char *why, size_t whylen, uint64_t grow0 = 0, uint64_t gcol0 = 0,
                    uint64_t gcols = 0)
{
    uint64_t n = (uint64_t)rows * l->cols, off = (uint64_t)r0 * l->cols;
    if (!host && gcols) {   /* a shard's slice of the tensor */
        k_gen_slice<<<grid_for(n), 256, 0, g->s>>>(l->w + off, rows, l->cols, seed, id, kind, (int)gcols, grow0, gcol0,
                                                   gcols);
        CK(cudaGetLastError());
        return 0;
    }
    if (!host) {
        if (l->w)
            k_gen_bf16<<<grid_for(n), 256, 0, g->s>>>(l->w + off, n, seed, id, kind, l->cols);
        else
            k_gen_int8<<<(rows + 7) / 8, 256, 0, g->s>>>(l->q + off, l->scale + r0, rows, l->cols, seed, id, kind);
        CK(cudaGetLastError());
        return 0;
    }
    if (l->w) {
        uint16_t *tmp = (uint16_t *)malloc(n * 2);
        if (!tmp) { snprintf(why, whylen, "out of host memory"); return -1; }
        for (uint64_t i = 0; i < n; i++)
            tmp[i] = llm_f32_to_bf16_bits(host[i]);
        cudaError_t e = cudaMemcpy(l->w + off, tmp, n * 2, cudaMemcpyHostToDevice);
        free(tmp);
        CK(e);
    } else {
        int8_t *tmp = (int8_t *)malloc(n);
        float *sc = (float *)malloc((size_t)rows * sizeof(float));
        if (!tmp || !sc) { free(tmp); free(sc); snprintf(why, whylen, "out of host memory"); return -1; }
        for (int r = 0; r < rows; r++) {
            const float *row = host + (uint64_t)r * l->cols;
            float mx = 0;
            for (int j = 0; j < l->cols; j++)
                mx = fmaxf(mx, fabsf(row[j]));
            sc[r] = mx > 0 ? mx / 127.0f : 1.0f;
            for (int j = 0; j < l->cols; j++)
                tmp[(uint64_t)r * l->cols + j] = (int8_t)lrintf(row[j] / sc[r]);
        }
        cudaError_t e1 = cudaMemcpy(l->q + off, tmp, n, cudaMemcpyHostToDevice);
        cudaError_t e2 = cudaMemcpy(l->scale + r0, sc, (size_t)rows * sizeof(float), cudaMemcpyHostToDevice);
        free(tmp);
        free(sc);
        CK(e1);
        CK(e2);
    }
    return 0;
}

static int lin_alloc(struct llmc *g, struct lin *l, int rows, int cols, char *why, size_t whylen)
{
    l->rows = rows;
    l->cols = cols;
    uint64_t n = (uint64_t)rows * cols;
    if (g->dt == OMEGA_LLM_INT8) {
        CK(cudaMalloc((void **)&l->q, n));
        CK(cudaMalloc((void **)&l->scale, (size_t)rows * sizeof(float)));
        g->weight_bytes += n + (uint64_t)rows * 4;
    } else {
        CK(cudaMalloc((void **)&l->w, n * 2));
        g->weight_bytes += n * 2;
    }
    return 0;
}

static void lin_free(struct lin *l)
{
    cudaFree(l->w);
    cudaFree(l->q);
    cudaFree(l->scale);
}

static int vec_fill(struct llmc *g, float *dst, int n, uint64_t seed, uint32_t id, int kind, const float *host,
                    char *why, size_t whylen)
{
    if (host)
        CK(cudaMemcpy(dst, host, (size_t)n * sizeof(float), cudaMemcpyHostToDevice));
    else
        k_gen_f32<<<grid_for((uint64_t)n), 256, 0, g->s>>>(dst, (uint64_t)n, seed, id, kind, n);
    return 0;
}

static int weights_build(struct llmc *g, uint64_t seed, const struct llm_host_weights *w, char *why, size_t whylen)
{
    const struct omega_llm_config *c = &g->c;
    int d = c->dim, kv = g->kvdim, h = g->hid, q = g->qdim;
    g->L = (struct layer *)calloc((size_t)c->n_layers, sizeof *g->L);
    if (!g->L) { snprintf(why, whylen, "out of host memory"); return -1; }
    uint64_t ne = (uint64_t)c->vocab * d;
    CK(cudaMalloc((void **)&g->embed, ne * 2));
    CK(cudaMalloc((void **)&g->norm, (size_t)d * sizeof(float)));
    if (w) {
        struct lin e = {c->vocab, d, g->embed, NULL, NULL};
        if (lin_fill(g, &e, 0, c->vocab, 0, 0, 0, w->embed, why, whylen) < 0) return -1;
    } else {
        k_gen_bf16<<<grid_for(ne), 256, 0, g->s>>>(g->embed, ne, seed, llm_tensor_id(0, OMEGA_LLM_T_EMBED),
                                                 OMEGA_LLM_T_EMBED, d);
    }
    if (vec_fill(g, g->norm, d, seed, llm_tensor_id(0, OMEGA_LLM_T_NORM), OMEGA_LLM_T_NORM, w ? w->norm : NULL, why,
                 whylen) < 0)
        return -1;
    if (lin_alloc(g, &g->out, c->vocab, d, why, whylen) < 0 ||
        lin_fill(g, &g->out, 0, c->vocab, seed, llm_tensor_id(0, OMEGA_LLM_T_OUTPUT), OMEGA_LLM_T_OUTPUT,
                 w ? w->output : NULL, why, whylen) < 0)
        return -1;
    for (int l = 0; l < c->n_layers; l++) {
        struct layer *L = &g->L[l];
        /* Fused layouts: Q, K, V rows stacked (one product); gate and up stacked (one product). */
        if (lin_alloc(g, &L->qkv, q + 2 * kv, d, why, whylen) < 0 || lin_alloc(g, &L->wo, d, q, why, whylen) < 0 ||
            lin_alloc(g, &L->w13, 2 * h, d, why, whylen) < 0 || lin_alloc(g, &L->w2, d, h, why, whylen) < 0)
            return -1;
        CK(cudaMalloc((void **)&L->attn_norm, (size_t)d * sizeof(float)));
        CK(cudaMalloc((void **)&L->ffn_norm, (size_t)d * sizeof(float)));
        uint64_t R = (uint64_t)g->rank;
        struct { struct lin *lin; int r0, rows, kind; const float *host; uint64_t grow0, gcol0, gcols; } parts[] = {
            {&L->qkv, 0, q, OMEGA_LLM_T_WQ, w ? w->wq[l] : NULL, R * q, 0, (uint64_t)d},
            {&L->qkv, q, kv, OMEGA_LLM_T_WK, w ? w->wk[l] : NULL, R * kv, 0, (uint64_t)d},
            {&L->qkv, q + kv, kv, OMEGA_LLM_T_WV, w ? w->wv[l] : NULL, R * kv, 0, (uint64_t)d},
            {&L->wo, 0, d, OMEGA_LLM_T_WO, w ? w->wo[l] : NULL, 0, R * q, (uint64_t)d},
            {&L->w13, 0, h, OMEGA_LLM_T_GATE, w ? w->gate[l] : NULL, R * h, 0, (uint64_t)d},
            {&L->w13, h, h, OMEGA_LLM_T_UP, w ? w->up[l] : NULL, R * h, 0, (uint64_t)d},
            {&L->w2, 0, d, OMEGA_LLM_T_DOWN, w ? w->down[l] : NULL, 0, R * h, (uint64_t)c->hidden},
        };
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
            if (lin_fill(g, parts[i].lin, parts[i].r0, parts[i].rows, seed, llm_tensor_id(l, parts[i].kind),
                         parts[i].kind, parts[i].host, why, whylen, parts[i].grow0, parts[i].gcol0,
                         g->tp > 1 ? parts[i].gcols : 0) < 0)
                return -1;
        if (vec_fill(g, L->attn_norm, d, seed, llm_tensor_id(l, OMEGA_LLM_T_ATTN_NORM), OMEGA_LLM_T_ATTN_NORM,
                     w ? w->attn_norm[l] : NULL, why, whylen) < 0 ||
            vec_fill(g, L->ffn_norm, d, seed, llm_tensor_id(l, OMEGA_LLM_T_FFN_NORM), OMEGA_LLM_T_FFN_NORM,
                     w ? w->ffn_norm[l] : NULL, why, whylen) < 0)
            return -1;
    }
    g->weight_bytes += (uint64_t)d * (2 * (uint64_t)c->n_layers + 1) * 4;
    CK(cudaStreamSynchronize(g->s));
    return 0;
}

static void prof_mark(struct llmc *g, const char *part)
{
    if (!g->prof.on || g->prof.n >= PROF_MARKS)
        return;
    if (g->prof.on == 2) {   /* sync: host clock after draining the stream (for parts that call cuBLAS) */
        cudaStreamSynchronize(g->s);
        g->prof.t[g->prof.n] = omega_now_ns();
    } else {
        cudaEventRecord(g->prof.ev[g->prof.n], g->s);
    }
    g->prof.at[g->prof.n++] = part;
}

/* After a synchronised forward: charge each interval to its part. The first forward of each kind
 * is left out: it loads modules and picks cuBLAS algorithms. */
static void prof_collect(struct llmc *g)
{
    if (!g->prof.seen[g->prof.big]) {
        g->prof.seen[g->prof.big] = 1;
        g->prof.n = 0;
        return;
    }
    for (int i = 0; i + 1 < g->prof.n; i++) {
        float ms = 0;
        if (g->prof.on == 2)
            ms = (float)((g->prof.t[i + 1] - g->prof.t[i]) / 1e6);
        else if (cudaEventElapsedTime(&ms, g->prof.ev[i], g->prof.ev[i + 1]) != cudaSuccess)
            continue;
        int k = 0;
        while (k < g->prof.parts && (strcmp(g->prof.name[k], g->prof.at[i]) != 0 || g->prof.of_big[k] != g->prof.big))
            k++;
        if (k == g->prof.parts) {
            if (k == PROF_PARTS)
                continue;
            g->prof.of_big[k] = g->prof.big;
            g->prof.name[g->prof.parts++] = g->prof.at[i];
        }
        g->prof.ms[k] += ms;
        g->prof.calls[k]++;
    }
    if (g->prof.n)
        g->prof.steps += !g->prof.big;
    if (g->prof.n && g->prof.big)
        g->prof.big_steps++;
    g->prof.n = 0;
}

static void prof_report(struct llmc *g)
{
    if (!g->prof.on)
        return;
    for (int i = 0; i < PROF_MARKS; i++)
        cudaEventDestroy(g->prof.ev[i]);
    if (!g->prof.steps && !g->prof.big_steps)
        return;
    fprintf(stderr, "profile: %d steps and %d long prompts after the first of each\n", g->prof.steps, g->prof.big_steps);
    for (int k = 0; k < g->prof.parts; k++) {
        int n = g->prof.of_big[k] ? g->prof.big_steps : g->prof.steps;
        fprintf(stderr, "profile: %-6s %-12s %8.3f ms/forward %8.2f us/call\n", g->prof.of_big[k] ? "prompt" : "step",
                g->prof.name[k], n ? g->prof.ms[k] / n : 0.0, 1e3 * g->prof.ms[k] / g->prof.calls[k]);
    }
}

/* ---------------- kernels of a forward ---------------- */

__global__ void k_embed(const bf16 *embed, const int32_t *tok, float *x, int d)
{
    pdl_wait();
    pdl_next();
    int t = blockIdx.x;
    const bf16 *row = embed + (size_t)tok[t] * d;
    for (int i = threadIdx.x; i < d; i += blockDim.x)
        x[(size_t)t * d + i] = __bfloat162float(row[i]);
}

/* The sum of v over the block, for every thread (red: 32 floats of the caller's shared memory): a
 * warp's shuffles, then the first warp's over the warps' sums. */
__device__ __forceinline__ float block_sum(float v, float *red)
{
    for (int o = 16; o; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    if ((threadIdx.x & 31) == 0)
        red[threadIdx.x / 32] = v;
    __syncthreads();
    if (threadIdx.x < 32) {
        v = threadIdx.x < blockDim.x / 32 ? red[threadIdx.x] : 0;
        for (int o = 16; o; o >>= 1)
            v += __shfl_xor_sync(0xffffffffu, v, o);
        if (threadIdx.x == 0)
            red[0] = v;
    }
    __syncthreads();
    return red[0];
}

/* RMSNorm of row gather[t] (or t) of x into bf16 row t of out. */
__device__ void block_rmsnorm(const float *x, const float *w, bf16 *out, int d, float eps, int T);

__global__ void k_rmsnorm(const float *x, const float *w, bf16 *out, int d, float eps, const int32_t *gather)
{
    pdl_wait();
    pdl_next();
    int t = blockIdx.x;
    const float *xr = x + (size_t)(gather ? gather[t] : t) * d;
    if (d % 4 == 0) {   /* one pass of 16-byte loads held in registers (see block_rmsnorm) */
        block_rmsnorm(xr, w, out + (size_t)t * d, d, eps, 1);
        return;
    }
    float ss = 0;
    for (int i = threadIdx.x; i < d; i += blockDim.x)
        ss += xr[i] * xr[i];
    __shared__ float red[32];
    float s = rsqrtf(block_sum(ss, red) / d + eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x)
        out[(size_t)t * d + i] = __float2bfloat16(w[i] * (xr[i] * s));
}

/* Rotary embedding on Q and K (HF's rotate_half pairing), then K and V into the sequence's page. */
__global__ void k_rope_store(bf16 *qkv, const int32_t *pos, const int32_t *seq, const int32_t *pt, int pt_stride,
                             bf16 *kp, bf16 *vp, int layer, int n_pages, int page_tokens, int n_heads, int n_kv,
                             int hd, const float2 *rope)
{
    pdl_wait();
    pdl_next();
    int t = blockIdx.x, d = n_heads * hd, kvdim = n_kv * hd, half = hd / 2;
    int p = pos[t];
    bf16 *row = qkv + (size_t)t * (d + 2 * kvdim);
    if (half % 2 == 0 && kvdim % 8 == 0) {
        /* two frequencies per thread (4-byte pairs, one 16-byte table read), K and V in 16-byte moves */
        int hh = half / 2;
        const float4 *r4 = (const float4 *)(rope + (size_t)p * half);
        for (int i = threadIdx.x; i < (n_heads + n_kv) * hh; i += blockDim.x) {
            int head = i / hh, j = 2 * (i % hh);
            __nv_bfloat162 *lo = (__nv_bfloat162 *)(row + head * hd + j), *hi = (__nv_bfloat162 *)(row + head * hd + j + half);
            float4 r = r4[j / 2];   /* cos j, sin j, cos j+1, sin j+1 */
            float2 a = __bfloat1622float2(*lo), b = __bfloat1622float2(*hi);
            *lo = __floats2bfloat162_rn(a.x * r.x - b.x * r.y, a.y * r.z - b.y * r.w);
            *hi = __floats2bfloat162_rn(b.x * r.x + a.x * r.y, b.y * r.z + a.y * r.w);
        }
        __syncthreads();
        int page = pt[(size_t)seq[t] * pt_stride + p / page_tokens], slot = p % page_tokens;
        size_t off = (((size_t)layer * n_pages + page) * page_tokens + slot) * kvdim;
        for (int i = threadIdx.x; i < kvdim / 8; i += blockDim.x) {
            ((uint4 *)(kp + off))[i] = ((const uint4 *)(row + d))[i];
            ((uint4 *)(vp + off))[i] = ((const uint4 *)(row + d + kvdim))[i];
        }
        return;
    }
    for (int i = threadIdx.x; i < (n_heads + n_kv) * half; i += blockDim.x) {
        int head = i / half, j = i % half;
        bf16 *v = row + head * hd;   /* K heads follow Q heads in the fused row */
        float2 r = rope[(size_t)p * half + j];   /* k_rope_table: cos, sin */
        float x0 = __bfloat162float(v[j]), x1 = __bfloat162float(v[j + half]);
        v[j] = __float2bfloat16(x0 * r.x - x1 * r.y);
        v[j + half] = __float2bfloat16(x1 * r.x + x0 * r.y);
    }
    __syncthreads();
    int page = pt[(size_t)seq[t] * pt_stride + p / page_tokens], slot = p % page_tokens;
    size_t off = (((size_t)layer * n_pages + page) * page_tokens + slot) * kvdim;
    for (int i = threadIdx.x; i < kvdim; i += blockDim.x) {
        kp[off + i] = row[d + i];
        vp[off + i] = row[d + kvdim + i];
    }
}

/* A barrier of a block's first 256 threads (named barrier 1): the persistent step's blocks have a
 * 257th-and-up producer warp that never joins them. */
__device__ __forceinline__ void csync(void)
{
    asm volatile("bar.sync 1, 256;" ::: "memory");
}

/* The GPU's clock in ns (%globaltimer). */
__device__ __forceinline__ unsigned long long gtime(void)
{
    unsigned long long t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    return t;
}

/* Development timeline (OMEGA_LLM_TRACE): the time thread 0 got to point k, into tr[k]. */
__device__ __forceinline__ void tmark(unsigned long long *tr, int k)
{
    if (tr && threadIdx.x == 0)
        tr[k] = gtime();
}

/* Attention of one token's query head over positions 0..pos of its sequence, through the page table,
 * by the first ATT_THREADS threads of a block (sm: the block's shared memory, att_smem bytes). Scores:
 * a group of hd/16 lanes per position, 16 elements each, summed by shuffles; then P·V with each thread
 * owning 8 dimensions of a group of positions (coalesced V rows), groups summed in shared memory.
 * Loads of what this step wrote (the query, the new K and V) go to L2, past L1: the persistent step
 * writes them from other SMs. With n_split > 1 it takes the split-th of n_split ranges of positions
 * and writes the range's max score, sum of exponentials and unnormalised output to part (hd + 4
 * floats per split and head, 16-byte aligned) for ps_combine / ps_merge_head. With skv (the persistent
 * step's K/V stager) the range's first ns positions come from shared memory, the new position's rows
 * (at element offset new_off of the pools) joining them with the query; tr: development timeline. */
__device__ void att_head(const bf16 *qkv, const int32_t *pos, const int32_t *seq, const int32_t *pt, int pt_stride,
                         const bf16 *kp, const bf16 *vp, int layer, int n_pages, int page_tokens, int n_heads,
                         int n_kv, int hd, bf16 *out, int h, int t, float *sm, int split, int n_split, float *part,
                         bf16 *skv = NULL, int ns = 0, long long new_off = -1, unsigned long long *tr = NULL)
{
    csync();   /* a block may take several heads in turn: the last one's partial sums are read */
    int d = n_heads * hd, kvdim = n_kv * hd;
    int kvh = h / (n_heads / n_kv), n = pos[t] + 1;
    int k0 = (int)((long)n * split / n_split), k1 = (int)((long)n * (split + 1) / n_split), nk = k1 - k0;
    const int32_t *ptab = pt + (size_t)seq[t] * pt_stride;
    float *q = sm, *sc = sm + hd, *red = sc + nk;   /* red: 32 floats; then hd × groups partial sums */
    const bf16 *qr = qkv + (size_t)t * (d + 2 * kvdim) + h * hd;
    float scale = rsqrtf((float)hd);
    /* staged rows: K rows at skv, V rows (ns + 1) · rs elements further, rs = hd + 8 (the pad keeps a
     * quarter-warp's rows on different banks); the new position's row joins them here, together with q */
    int rs = hd + 8;
    bf16 *sv = skv + (size_t)(ns + 1) * rs;
    bool grow = skv && new_off >= 0 && k1 == n && ns == nk - 1;
    for (int i = threadIdx.x; i < hd; i += ATT_THREADS)
        q[i] = __bfloat162float(__ldcg(qr + i)) * scale;
    if (grow)
        for (int i = threadIdx.x; i < hd / 4; i += ATT_THREADS) {
            int c = i % (hd / 8);
            const bf16 *src = (i < hd / 8 ? kp : vp) + new_off + c * 8;
            *(uint4 *)((i < hd / 8 ? skv : sv) + (size_t)ns * rs + c * 8) = __ldcg((const uint4 *)src);
        }
    ns = grow ? ns + 1 : skv ? ns : 0;
    csync();
    tmark(tr, 16);
    size_t lbase = (size_t)layer * n_pages;
    float mx = -INFINITY;
    int gsz = hd / 16;   /* lanes per position, 16 elements each, summed across them by shuffles */
    bool grouped = hd % 16 == 0 && gsz <= 32 && !(gsz & (gsz - 1));
    if (grouped) {
        int gl = threadIdx.x % gsz, ng = ATT_THREADS / gsz;
        float qv[16];
#pragma unroll
        for (int j = 0; j < 16; j++)
            qv[j] = q[gl * 16 + j];
        for (int b0 = k0; b0 < k1; b0 += ng) {   /* the same trip count in every thread: the shuffles */
            int p = b0 + (int)threadIdx.x / gsz;
            float s = 0;
            if (p < k1) {
                bool st = p - k0 < ns;
                const bf16 *kr =
                    (st ? skv + (size_t)(p - k0) * rs
                        : kp + ((lbase + ptab[p / page_tokens]) * page_tokens + p % page_tokens) * kvdim + kvh * hd) +
                    gl * 16;
                uint4 u[2];
#pragma unroll
                for (int j = 0; j < 2; j++)
                    u[j] = st ? *(const uint4 *)(kr + 8 * j) : __ldcg((const uint4 *)(kr + 8 * j));
#pragma unroll
                for (int j = 0; j < 16; j++)
                    s += qv[j] * __bfloat162float(((const bf16 *)u)[j]);
            }
            for (int o = gsz / 2; o; o >>= 1)
                s += __shfl_xor_sync(0xffffffffu, s, o);
            if (p < k1) {
                if (gl == 0)
                    sc[p - k0] = s;
                mx = fmaxf(mx, s);
            }
        }
    }
    for (int p = k0 + threadIdx.x; p < k1 && !grouped; p += ATT_THREADS) {
        bool st = p - k0 < ns;
        const bf16 *kr = st ? skv + (size_t)(p - k0) * rs
                            : kp + ((lbase + ptab[p / page_tokens]) * page_tokens + p % page_tokens) * kvdim + kvh * hd;
        float s = 0;
        for (int c0 = 0; c0 < hd; c0 += 128) {   /* a K row's loads in flight together, then the sums */
            uint4 u[16];
#pragma unroll
            for (int j = 0; j < 16; j++)
                u[j] = c0 + 8 * j >= hd ? make_uint4(0, 0, 0, 0)
                       : st             ? *(const uint4 *)(kr + c0 + 8 * j)
                                        : __ldcg((const uint4 *)(kr + c0 + 8 * j));
#pragma unroll
            for (int j = 0; j < 16; j++) {
                const bf16 *e = (const bf16 *)&u[j];
                if (c0 + 8 * j < hd)
#pragma unroll
                    for (int jj = 0; jj < 8; jj++)
                        s += q[c0 + 8 * j + jj] * __bfloat162float(e[jj]);
            }
        }
        sc[p - k0] = s;
        mx = fmaxf(mx, s);
    }
    for (int o = 16; o; o >>= 1)
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
    if ((threadIdx.x & 31) == 0)
        red[threadIdx.x / 32] = mx;
    csync();
    mx = -INFINITY;
    for (int i = 0; i < (int)ATT_THREADS / 32; i++)
        mx = fmaxf(mx, red[i]);
    csync();
    float sum = 0;
    for (int p = threadIdx.x; p < nk; p += ATT_THREADS) {
        float e = expf(sc[p] - mx);
        sc[p] = e;
        sum += e;
    }
    for (int o = 16; o; o >>= 1)
        sum += __shfl_xor_sync(0xffffffffu, sum, o);
    if ((threadIdx.x & 31) == 0)
        red[threadIdx.x / 32] = sum;
    csync();
    sum = 0;
    for (int i = 0; i < (int)ATT_THREADS / 32; i++)
        sum += red[i];
    tmark(tr, 17);
    int chunks = hd / 8, groups = ATT_THREADS / chunks, c = threadIdx.x % chunks, gidx = threadIdx.x / chunks;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int p = gidx;
    for (; p + 3 * groups < nk; p += 4 * groups) {   /* four V rows in flight per thread */
        uint4 u[4];
        float a[4];
#pragma unroll
        for (int r = 0; r < 4; r++) {
            int pp = p + r * groups, kk = k0 + pp;
            if (pp < ns) {
                u[r] = *(const uint4 *)(sv + (size_t)pp * rs + c * 8);
            } else {
                const bf16 *vr =
                    vp + ((lbase + ptab[kk / page_tokens]) * page_tokens + kk % page_tokens) * kvdim + kvh * hd;
                u[r] = __ldcg((const uint4 *)(vr + c * 8));
            }
            a[r] = sc[pp];
        }
#pragma unroll
        for (int r = 0; r < 4; r++) {
            const bf16 *e = (const bf16 *)&u[r];
#pragma unroll
            for (int j = 0; j < 8; j++)
                acc[j] += a[r] * __bfloat162float(e[j]);
        }
    }
    for (; p < nk; p += groups) {
        uint4 u;
        if (p < ns) {
            u = *(const uint4 *)(sv + (size_t)p * rs + c * 8);
        } else {
            const bf16 *vr = vp +
                             ((lbase + ptab[(k0 + p) / page_tokens]) * page_tokens + (k0 + p) % page_tokens) * kvdim +
                             kvh * hd;
            u = __ldcg((const uint4 *)(vr + c * 8));
        }
        const bf16 *e = (const bf16 *)&u;
        float a = sc[p];
#pragma unroll
        for (int j = 0; j < 8; j++)
            acc[j] += a * __bfloat162float(e[j]);
    }
    csync();
    tmark(tr, 18);
    float *gsum = red + 32;   /* groups × hd */
#pragma unroll
    for (int j = 0; j < 8; j++)
        gsum[gidx * hd + c * 8 + j] = acc[j];
    csync();
    bf16 *o = out + (size_t)t * d + h * hd;
    for (int i = threadIdx.x; i < hd; i += ATT_THREADS) {
        float v = 0;
        for (int gg = 0; gg < groups; gg++)
            v += gsum[gg * hd + i];
        if (part)
            part[((size_t)split * n_heads + h) * (hd + 4) + i] = v;
        else
            o[i] = __float2bfloat16(v / sum);
    }
    if (part && threadIdx.x == 0) {
        part[((size_t)split * n_heads + h) * (hd + 4) + hd] = mx;
        part[((size_t)split * n_heads + h) * (hd + 4) + hd + 1] = sum;
    }
}

__global__ void __launch_bounds__(ATT_THREADS) k_attention(const bf16 *qkv, const int32_t *pos, const int32_t *seq,
                                                            const int32_t *pt, int pt_stride, const bf16 *kp,
                                                            const bf16 *vp, int layer, int n_pages, int page_tokens,
                                                            int n_heads, int n_kv, int hd, bf16 *out)
{
    pdl_wait();
    pdl_next();
    extern __shared__ float sm[];
    att_head(qkv, pos, seq, pt, pt_stride, kp, vp, layer, n_pages, page_tokens, n_heads, n_kv, hd, out, blockIdx.x,
             blockIdx.y, sm, 0, 1, NULL);
}

/* silu(gate)·up of a stacked gate/up row, eight elements per thread (16-byte loads and stores). */
__global__ void k_silu_mul(const bf16 *gu, bf16 *h, int hidden)
{
    pdl_wait();
    pdl_next();
    int t = blockIdx.y;
    const bf16 *g = gu + (size_t)t * 2 * hidden, *u = g + hidden;
    bf16 *o = h + (size_t)t * hidden;
    int n8 = hidden % 8 == 0 ? hidden / 8 : 0;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n8; i += gridDim.x * blockDim.x) {
        uint4 gv = *(const uint4 *)(g + 8 * i), uv = *(const uint4 *)(u + 8 * i);
        const bf16 *ge = (const bf16 *)&gv, *ue = (const bf16 *)&uv;
        __align__(16) bf16 r[8];
#pragma unroll
        for (int j = 0; j < 8; j++) {
            float a = __bfloat162float(ge[j]), b = __bfloat162float(ue[j]);
            r[j] = __float2bfloat16(a / (1.0f + expf(-a)) * b);
        }
        *(uint4 *)(o + 8 * i) = *(const uint4 *)r;
    }
    for (int i = 8 * n8 + blockIdx.x * blockDim.x + threadIdx.x; i < hidden; i += gridDim.x * blockDim.x) {
        float a = __bfloat162float(g[i]), b = __bfloat162float(u[i]);
        o[i] = __float2bfloat16(a / (1.0f + expf(-a)) * b);
    }
}

__global__ void k_argmax(const float *logits, int vocab, int32_t *out)
{
    pdl_wait();
    pdl_next();
    int t = blockIdx.x;
    const float *l = logits + (size_t)t * vocab;
    float best = -INFINITY;
    int bi = 0;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x)
        if (l[i] > best) { best = l[i]; bi = i; }
    __shared__ float sv[1024];
    __shared__ int si[1024];
    sv[threadIdx.x] = best;
    si[threadIdx.x] = bi;
    __syncthreads();
    for (int s = blockDim.x / 2; s; s >>= 1) {
        if (threadIdx.x < s) {
            float o = sv[threadIdx.x + s];
            int oi = si[threadIdx.x + s];
            if (o > sv[threadIdx.x] || (o == sv[threadIdx.x] && oi < si[threadIdx.x])) {
                sv[threadIdx.x] = o;
                si[threadIdx.x] = oi;
            }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0)
        out[t] = si[0];
}

/* 8-bit weights × bf16 activations for up to NT tokens: one warp per output row, each lane streaming
 * 16 weights per load; the activations are re-read from L1/L2, the weights once from HBM. */
enum { OUT_BF16, OUT_F32, OUT_F32_ACC, OUT_SILU };
template <int NT>
__global__ void __launch_bounds__(256) k_w8(const int8_t *wq, const float *scale, int rows, int cols, const bf16 *x,
                                            int T, void *y, int mode)
{
    int row = blockIdx.x * 8 + threadIdx.x / 32, lane = threadIdx.x & 31;
    if (row >= rows)
        return;
    float acc[NT];
#pragma unroll
    for (int t = 0; t < NT; t++)
        acc[t] = 0;
    const int8_t *wr = wq + (size_t)row * cols;
#pragma unroll 4
    for (int c = lane * 16; c < cols; c += 512) {
        int4 wv = __ldg((const int4 *)(wr + c));
        /* int8 -> float without I2F (quarter rate): bias each byte to unsigned, splice it under the
         * exponent of 2^23 with one byte permute, subtract 2^23 + 128. */
        uint32_t wws[4] = {(uint32_t)wv.x ^ 0x80808080u, (uint32_t)wv.y ^ 0x80808080u, (uint32_t)wv.z ^ 0x80808080u,
                           (uint32_t)wv.w ^ 0x80808080u};
        float wf[16];
#pragma unroll
        for (int j = 0; j < 16; j++)
            wf[j] = __int_as_float(__byte_perm(wws[j / 4], 0x4B000000u, 0x7440u | (j & 3))) - 8388736.0f;
#pragma unroll
        for (int t = 0; t < NT; t++) {
            if (t < T) {
                const uint4 *xp = (const uint4 *)(x + (size_t)t * cols + c);
                uint4 a = xp[0], b = xp[1];
                const bf16 *ea = (const bf16 *)&a, *eb = (const bf16 *)&b;
                float s = 0;
#pragma unroll
                for (int j = 0; j < 8; j++)
                    s += wf[j] * __bfloat162float(ea[j]) + wf[8 + j] * __bfloat162float(eb[j]);
                acc[t] += s;
            }
        }
    }
    float sc = scale[row];
#pragma unroll
    for (int t = 0; t < NT; t++) {
        if (t < T) {
            float v = acc[t];
            for (int o = 16; o; o >>= 1)
                v += __shfl_xor_sync(0xffffffffu, v, o);
            if (lane == 0) {
                v *= sc;
                size_t i = (size_t)t * rows + row;
                if (mode == OUT_BF16) ((bf16 *)y)[i] = __float2bfloat16(v);
                else if (mode == OUT_F32) ((float *)y)[i] = v;
                else ((float *)y)[i] += v;
            }
        }
    }
}


/* bf16 weights × bf16 activations for up to NT tokens (decode): one warp per output row, 16-byte
 * loads, four in flight per lane; cuBLAS's kernels leave bandwidth unused at these shapes. */
template <int NT>
__global__ void __launch_bounds__(256) k_gemv_bf16(const bf16 *w, int rows, int cols, const bf16 *x, int T, void *y,
                                                   int mode)
{
    int row = blockIdx.x * 8 + threadIdx.x / 32, lane = threadIdx.x & 31;
    if (row >= rows)
        return;
    float acc[NT];
#pragma unroll
    for (int t = 0; t < NT; t++)
        acc[t] = 0;
    const bf16 *wr = w + (size_t)row * cols;
#pragma unroll 4
    for (int c = lane * 8; c < cols; c += 256) {
        uint4 wv = __ldg((const uint4 *)(wr + c));
        const uint32_t wu[4] = {wv.x, wv.y, wv.z, wv.w};
        float wf[8];
#pragma unroll
        for (int j = 0; j < 4; j++) {
            wf[2 * j] = __uint_as_float(wu[j] << 16);
            wf[2 * j + 1] = __uint_as_float(wu[j] & 0xffff0000u);
        }
#pragma unroll
        for (int t = 0; t < NT; t++) {
            if (t < T) {
                uint4 xv = *(const uint4 *)(x + (size_t)t * cols + c);
                const uint32_t xu[4] = {xv.x, xv.y, xv.z, xv.w};
                float s = 0;
#pragma unroll
                for (int j = 0; j < 4; j++)
                    s += wf[2 * j] * __uint_as_float(xu[j] << 16) + wf[2 * j + 1] * __uint_as_float(xu[j] & 0xffff0000u);
                acc[t] += s;
            }
        }
    }
#pragma unroll
    for (int t = 0; t < NT; t++) {
        if (t < T) {
            float v = acc[t];
            for (int o = 16; o; o >>= 1)
                v += __shfl_xor_sync(0xffffffffu, v, o);
            if (lane == 0) {
                size_t i = (size_t)t * rows + row;
                if (mode == OUT_BF16) ((bf16 *)y)[i] = __float2bfloat16(v);
                else if (mode == OUT_F32) ((float *)y)[i] = v;
                else ((float *)y)[i] += v;
            }
        }
    }
}

/* A 16-byte weight load that streams past L1; volatile so that a group of them is issued together,
 * ahead of the arithmetic that uses them (several loads in flight per lane). */
__device__ __forceinline__ uint4 ld_weights(const void *p)
{
    uint4 v;
    asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
                 : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
                 : "l"(p));
    return v;
}

/* One 16-byte weight chunk per stream (wv) at column c, times each token's activations, into acc. */
template <int NT, int S, bool Q8>
__device__ __forceinline__ void mv_chunk(const uint4 *wv, const bf16 *x, int cols, int c, int T, float (*acc)[NT])
{
    constexpr int E = Q8 ? 16 : 8;
    float wf[S][E];
#pragma unroll
    for (int s = 0; s < S; s++) {
        const uint32_t u[4] = {wv[s].x, wv[s].y, wv[s].z, wv[s].w};
#pragma unroll
        for (int j = 0; j < E; j++) {
            if (Q8)   /* int8 -> float without I2F: bias to unsigned, splice under 2^23, subtract */
                wf[s][j] = __int_as_float(__byte_perm(u[j / 4] ^ 0x80808080u, 0x4B000000u, 0x7440u | (j & 3))) -
                           8388736.0f;
            else
                wf[s][j] = __uint_as_float(j & 1 ? u[j / 2] & 0xffff0000u : u[j / 2] << 16);
        }
    }
#pragma unroll
    for (int t = 0; t < NT; t++) {
        if (t < T) {
            const uint4 *xp = (const uint4 *)(x + (size_t)t * cols + c);
            uint32_t xu[E / 2];
#pragma unroll
            for (int v = 0; v < E / 8; v++) {
                uint4 a = xp[v];
                xu[4 * v] = a.x, xu[4 * v + 1] = a.y, xu[4 * v + 2] = a.z, xu[4 * v + 3] = a.w;
            }
            float xf[E];
#pragma unroll
            for (int j = 0; j < E; j++)
                xf[j] = __uint_as_float(j & 1 ? xu[j / 2] & 0xffff0000u : xu[j / 2] << 16);
#pragma unroll
            for (int s = 0; s < S; s++) {
                float d = 0;
#pragma unroll
                for (int j = 0; j < E; j++)
                    d = fmaf(wf[s][j], xf[j], d);
                acc[s][t] += d;
            }
        }
    }
}

/* Ask L2 for the first N chunks of each of a warp's S weight rows (lane's E elements of ES bytes per
 * chunk), before waiting on the kernel ahead: weights never change. */
template <int S, int N, int E, int ES>
__device__ __forceinline__ void prefetch_rows(const char *const *wr, int lane, int cols)
{
#pragma unroll
    for (int k = 0; k < N; k++) {
        int c = lane * E + k * 32 * E;
        if (c < cols)
#pragma unroll
            for (int s = 0; s < S; s++)
                asm volatile("prefetch.global.L2 [%0];" ::"l"(wr[s] + (size_t)c * ES));
    }
}

/* Weights (bf16, or int8 with a scale per row) × bf16 activations for up to NT tokens, the decode
 * path: each warp streams R rows (2R with OUT_SILU: gate row r and up row r + pair, written as
 * silu(gate)·up into row r) with 16-byte loads, unrolled so that several are in flight per lane; each
 * activation chunk is loaded once for the R rows. Accumulation is fp32 in the same order for every NT,
 * so a batched step computes each token's row exactly as a one-token step does. Before waiting on the
 * kernel ahead, each lane asks L2 for its first weight lines (weights never change). */
template <int NT, int R, bool Q8, int MODE>
__global__ void __launch_bounds__(256) k_mv(const void *w, const float *scale, int rows, int cols, const bf16 *x,
                                            int T, void *y, int pair)
{
    constexpr int S = MODE == OUT_SILU ? 2 * R : R, E = Q8 ? 16 : 8, ES = Q8 ? 1 : 2;
    int lane = threadIdx.x & 31, r0 = (blockIdx.x * 8 + threadIdx.x / 32) * R;
    int out_rows = MODE == OUT_SILU ? pair : rows;
    if (r0 >= out_rows)
        return;
    const char *wr[S];
#pragma unroll
    for (int s = 0; s < S; s++) {
        int r = r0 + s % R;
        r = r < out_rows ? r : out_rows - 1;
        wr[s] = (const char *)w + ((size_t)(s >= R ? r + pair : r) * cols) * ES;
    }
    prefetch_rows<S, 4, E, ES>(wr, lane, cols);
    pdl_wait();
    pdl_next();
    float acc[S][NT];
#pragma unroll
    for (int s = 0; s < S; s++)
#pragma unroll
        for (int t = 0; t < NT; t++)
            acc[s][t] = 0;
    /* U chunks' loads issued together per lane, then used in column order (the same order for any U). */
    constexpr int U = NT == 1 ? 4 : Q8 ? 1 : 2;
    int c = lane * E;
    for (; c + (U - 1) * 32 * E < cols; c += U * 32 * E) {
        uint4 wv[U][S];
#pragma unroll
        for (int u = 0; u < U; u++)
#pragma unroll
            for (int s = 0; s < S; s++)
                wv[u][s] = ld_weights(wr[s] + (size_t)(c + u * 32 * E) * ES);
#pragma unroll
        for (int u = 0; u < U; u++)
            mv_chunk<NT, S, Q8>(wv[u], x, cols, c + u * 32 * E, T, acc);
    }
    for (; c < cols; c += 32 * E) {
        uint4 wv[S];
#pragma unroll
        for (int s = 0; s < S; s++)
            wv[s] = ld_weights(wr[s] + (size_t)c * ES);
        mv_chunk<NT, S, Q8>(wv, x, cols, c, T, acc);
    }
#pragma unroll
    for (int s = 0; s < S; s++)
#pragma unroll
        for (int t = 0; t < NT; t++)
            for (int o = 16; o; o >>= 1)
                acc[s][t] += __shfl_xor_sync(0xffffffffu, acc[s][t], o);
    if (lane != 0)
        return;
#pragma unroll
    for (int s = 0; s < R; s++) {
        int r = r0 + s;
        if (r >= out_rows)
            break;
        float sc = Q8 ? scale[r] : 1.0f, su = Q8 && MODE == OUT_SILU ? scale[r + pair] : 1.0f;
#pragma unroll
        for (int t = 0; t < NT; t++) {
            if (t < T) {
                float v = acc[s][t] * sc;
                size_t i = (size_t)t * out_rows + r;
                if (MODE == OUT_SILU) {
                    /* as the unfused path: gate and up rounded to bf16, then silu(gate)·up */
                    float a = __bfloat162float(__float2bfloat16(v));
                    float b = __bfloat162float(__float2bfloat16(acc[s + (MODE == OUT_SILU ? R : 0)][t] * su));
                    ((bf16 *)y)[i] = __float2bfloat16(a / (1.0f + expf(-a)) * b);
                } else if (MODE == OUT_BF16) {
                    ((bf16 *)y)[i] = __float2bfloat16(v);
                } else if (MODE == OUT_F32) {
                    ((float *)y)[i] = v;
                } else {
                    ((float *)y)[i] += v;
                }
            }
        }
    }
}

__global__ void k_dequant(const int8_t *q, const float *scale, int cols, bf16 *out)
{
    int row = blockIdx.y;
    float sc = scale[row];
    for (int c = (blockIdx.x * blockDim.x + threadIdx.x) * 16; c < cols; c += gridDim.x * blockDim.x * 16) {
        int4 wv = *(const int4 *)(q + (size_t)row * cols + c);
        const int8_t *wb = (const int8_t *)&wv;
        __align__(16) bf16 o[16];
#pragma unroll
        for (int j = 0; j < 16; j++)
            o[j] = __float2bfloat16((float)wb[j] * sc);
        *(uint4 *)(out + (size_t)row * cols + c) = *(const uint4 *)o;
        *(uint4 *)(out + (size_t)row * cols + c + 8) = *(const uint4 *)(o + 8);
    }
}

#define MV_R 2   /* rows per warp in k_mv */
template <int NT, bool Q8>
static int mv_launch(struct llmc *g, const struct lin *l, const bf16 *x, int T, void *y, int mode, int out_rows)
{
    const void *w = Q8 ? (const void *)l->q : (const void *)l->w;
    dim3 grid((unsigned)((out_rows + 8 * MV_R - 1) / (8 * MV_R))), block(256);
    switch (mode) {
    case OUT_BF16: return launch(g, k_mv<NT, MV_R, Q8, OUT_BF16>, grid, block, 0, w, l->scale, l->rows, l->cols, x, T, y, l->rows);
    case OUT_F32: return launch(g, k_mv<NT, MV_R, Q8, OUT_F32>, grid, block, 0, w, l->scale, l->rows, l->cols, x, T, y, l->rows);
    case OUT_F32_ACC: return launch(g, k_mv<NT, MV_R, Q8, OUT_F32_ACC>, grid, block, 0, w, l->scale, l->rows, l->cols, x, T, y, l->rows);
    default: return launch(g, k_mv<NT, MV_R, Q8, OUT_SILU>, grid, block, 0, w, l->scale, l->rows, l->cols, x, T, y, out_rows);
    }
}

/* ---------------- fused decode path (fast == 2) ----------------
 * Steps of up to MV_MAX_TOK tokens run five kernels per layer instead of nine: the QKV product applies
 * the rotary embedding and stores K and V in the sequence's page in its epilogue; the wo and w2
 * products add into the residual and their last block to finish computes the next RMSNorm; gate/up
 * applies SiLU. Every kernel is launched programmatically dependent on the one before and asks L2 for
 * its first weight lines before it waits (weights never change), so one kernel's ramp overlaps the
 * last one's drain. Each warp issues all its loads for U column chunks before it uses any, the loads
 * at the end of a row predicated rather than looped, so a row's tail keeps as many bytes in flight as
 * its body. Arithmetic and rounding follow the unfused kernels step for step. */
enum { DV_PLAIN, DV_SILU, DV_ROPE };

struct dv_args {
    const void *w;
    const float *scale;
    int rows, cols, T, out_rows, pair;
    const bf16 *x;
    void *y;
    int mode;   /* OUT_BF16, OUT_F32, OUT_F32_ACC for DV_PLAIN */
    /* DV_ROPE */
    const float2 *rope;
    const int32_t *pos, *seq, *pt;
    int pt_stride, layer, n_pages, page_tokens, qdim, kvdim, hd;
    bf16 *kp, *vp;
    /* norm tail (OUT_F32_ACC): the grid's last block writes RMSNorm(y) · nw into xn */
    const float *nw;
    bf16 *xn;
    unsigned *counter;
    float eps;
};

/* RMSNorm of T rows of x (d floats each, read from L2: other blocks wrote them) into bf16 rows of out,
 * by one block of 256 threads. It runs alone at the end of a product, so it must not be latency-bound:
 * each thread loads its share of a row at once into registers (rows up to 8,192), and reuses it. */
#define BN_V 8
__device__ void block_rmsnorm(const float *x, const float *w, bf16 *out, int d, float eps, int T)
{
    __shared__ float red[32];
    int n4 = d / 4;
    for (int t = 0; t < T; t++) {
        const float4 *xr = (const float4 *)(x + (size_t)t * d);
        float4 v[BN_V];
        float ss = 0;
#pragma unroll
        for (int k = 0; k < BN_V; k++) {
            int i = threadIdx.x + k * blockDim.x;
            v[k] = i < n4 ? __ldcg(xr + i) : make_float4(0, 0, 0, 0);
        }
        for (int i = threadIdx.x + BN_V * blockDim.x; i < n4; i += blockDim.x) {   /* rows over 8,192 */
            float4 e = __ldcg(xr + i);
            ss += e.x * e.x + e.y * e.y + e.z * e.z + e.w * e.w;
        }
#pragma unroll
        for (int k = 0; k < BN_V; k++)
            ss += v[k].x * v[k].x + v[k].y * v[k].y + v[k].z * v[k].z + v[k].w * v[k].w;
        float s = rsqrtf(block_sum(ss, red) / d + eps);
        __nv_bfloat162 *o2 = (__nv_bfloat162 *)(out + (size_t)t * d);
        const float4 *w4 = (const float4 *)w;
#pragma unroll
        for (int k = 0; k < BN_V; k++) {
            int i = threadIdx.x + k * blockDim.x;
            if (i < n4) {
                float4 g = w4[i];
                o2[2 * i] = __floats2bfloat162_rn(g.x * (v[k].x * s), g.y * (v[k].y * s));
                o2[2 * i + 1] = __floats2bfloat162_rn(g.z * (v[k].z * s), g.w * (v[k].w * s));
            }
        }
        for (int i = threadIdx.x + BN_V * blockDim.x; i < n4; i += blockDim.x) {
            float4 g = w4[i], e = __ldcg(xr + i);
            o2[2 * i] = __floats2bfloat162_rn(g.x * (e.x * s), g.y * (e.y * s));
            o2[2 * i + 1] = __floats2bfloat162_rn(g.z * (e.z * s), g.w * (e.w * s));
        }
        __syncthreads();
    }
}

template <int NT, int S, bool Q8, int KIND>
__global__ void __launch_bounds__(256) k_dv(struct dv_args a)
{
    constexpr int E = Q8 ? 16 : 8, ES = Q8 ? 1 : 2;
    constexpr int U = NT == 1 ? (S == 1 ? 8 : 4) : (S == 1 ? 4 : 2);
    constexpr int H = S / 2 > 0 ? S / 2 : 1;   /* DV_SILU: output rows per warp */
    int lane = threadIdx.x & 31, wi = blockIdx.x * 8 + threadIdx.x / 32, cols = a.cols;
    /* the rows this warp streams */
    int row[S], n_warps;
    if (KIND == DV_ROPE) {
        int half = a.hd / 2, hh = wi / half, j = wi % half;
        row[0] = hh * a.hd + j;
        row[S - 1] = row[0] + half;
        n_warps = a.rows / 2;
    } else if (KIND == DV_SILU) {
#pragma unroll
        for (int s = 0; s < H; s++) {
            int r = wi * H + s;
            r = r < a.out_rows ? r : a.out_rows - 1;
            row[s] = r;
            row[(s + H) % S] = r + a.pair;
        }
        n_warps = (a.out_rows + H - 1) / H;
    } else {
#pragma unroll
        for (int s = 0; s < S; s++) {
            int r = wi * S + s;
            row[s] = r < a.rows ? r : a.rows - 1;
        }
        n_warps = (a.rows + S - 1) / S;
    }
    bool active = wi < n_warps;
    const char *wr[S];
#pragma unroll
    for (int s = 0; s < S; s++)
        wr[s] = (const char *)a.w + (size_t)row[s] * cols * ES;
    if (active)
        prefetch_rows<S, U, E, ES>(wr, lane, cols);
    pdl_wait();
    pdl_next();
    float acc[S][NT];
#pragma unroll
    for (int s = 0; s < S; s++)
#pragma unroll
        for (int t = 0; t < NT; t++)
            acc[s][t] = 0;
    if (active) {
        for (int c0 = lane * E; c0 < cols; c0 += U * 32 * E) {
            uint4 wv[U][S];
#pragma unroll
            for (int u = 0; u < U; u++) {
                int c = c0 + u * 32 * E;
#pragma unroll
                for (int s = 0; s < S; s++)
                    wv[u][s] = c < cols ? ld_weights(wr[s] + (size_t)c * ES) : make_uint4(0, 0, 0, 0);
            }
#pragma unroll
            for (int u = 0; u < U; u++)
                if (c0 + u * 32 * E < cols)
                    mv_chunk<NT, S, Q8>(wv[u], a.x, cols, c0 + u * 32 * E, a.T, acc);
        }
#pragma unroll
        for (int s = 0; s < S; s++)
#pragma unroll
            for (int t = 0; t < NT; t++)
                for (int o = 16; o; o >>= 1)
                    acc[s][t] += __shfl_xor_sync(0xffffffffu, acc[s][t], o);
    }
    if (active && lane == 0) {
        float sc[S];
#pragma unroll
        for (int s = 0; s < S; s++)
            sc[s] = Q8 ? a.scale[row[s]] : 1.0f;
#pragma unroll
        for (int t = 0; t < NT; t++) {
            if (t >= a.T)
                break;
            if (KIND == DV_ROPE) {
                int half = a.hd / 2, j = wi % half, p = a.pos[t], r = row[0];
                float x0 = __bfloat162float(__float2bfloat16(acc[0][t] * sc[0]));
                float x1 = __bfloat162float(__float2bfloat16(acc[S - 1][t] * sc[S - 1]));
                bf16 o0, o1;
                if (r < a.qdim + a.kvdim) {   /* Q and K heads rotate (HF's rotate_half pairing) */
                    float2 cs = a.rope[(size_t)p * half + j];
                    o0 = __float2bfloat16(x0 * cs.x - x1 * cs.y);
                    o1 = __float2bfloat16(x1 * cs.x + x0 * cs.y);
                } else {
                    o0 = __float2bfloat16(x0);
                    o1 = __float2bfloat16(x1);
                }
                bf16 *yr = (bf16 *)a.y + (size_t)t * a.rows;
                yr[r] = o0;
                yr[r + half] = o1;
                if (r >= a.qdim) {
                    int page = a.pt[(size_t)a.seq[t] * a.pt_stride + p / a.page_tokens], slot = p % a.page_tokens;
                    size_t off = (((size_t)a.layer * a.n_pages + page) * a.page_tokens + slot) * a.kvdim;
                    bool isk = r < a.qdim + a.kvdim;
                    bf16 *dst = (isk ? a.kp : a.vp) + off + (r - a.qdim - (isk ? 0 : a.kvdim));
                    dst[0] = o0;
                    dst[half] = o1;
                }
            } else if (KIND == DV_SILU) {
#pragma unroll
                for (int s = 0; s < H; s++) {
                    int r = wi * H + s;
                    if (r >= a.out_rows)
                        break;
                    float g = __bfloat162float(__float2bfloat16(acc[s][t] * sc[s]));
                    float u = __bfloat162float(__float2bfloat16(acc[(s + H) % S][t] * sc[(s + H) % S]));
                    ((bf16 *)a.y)[(size_t)t * a.out_rows + r] = __float2bfloat16(g / (1.0f + expf(-g)) * u);
                }
            } else {
#pragma unroll
                for (int s = 0; s < S; s++) {
                    int r = wi * S + s;
                    if (r >= a.rows)
                        break;
                    float v = acc[s][t] * sc[s];
                    size_t i = (size_t)t * a.rows + r;
                    if (a.mode == OUT_BF16) ((bf16 *)a.y)[i] = __float2bfloat16(v);
                    else if (a.mode == OUT_F32) ((float *)a.y)[i] = v;
                    else ((float *)a.y)[i] += v;
                }
            }
        }
    }
    if (KIND == DV_PLAIN && a.nw) {
        /* the last block to finish sees every row of y and normalises it for the next product */
        __shared__ unsigned last;
        __syncthreads();
        if (threadIdx.x == 0) {
            __threadfence();
            last = atomicAdd(a.counter, 1u) == gridDim.x - 1;
        }
        __syncthreads();
        if (last) {
            __threadfence();
            block_rmsnorm((const float *)a.y, a.nw, a.xn, a.rows, a.eps, a.T);
            if (threadIdx.x == 0)
                *a.counter = 0;
        }
    }
}

/* Embedding rows of T tokens into x, and their RMSNorm (first layer's) into xn. */
__global__ void k_embed_norm(const bf16 *embed, const int32_t *tok, float *x, const float *w, bf16 *xn, int d,
                             float eps)
{
    pdl_wait();
    pdl_next();
    int t = blockIdx.x;
    const bf16 *row = embed + (size_t)tok[t] * d;
    float *xr = x + (size_t)t * d;
    float ss = 0;
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        float v = __bfloat162float(row[i]);
        xr[i] = v;
        ss += v * v;
    }
    __shared__ float red[32];
    float s = rsqrtf(block_sum(ss, red) / d + eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x)
        xn[(size_t)t * d + i] = __float2bfloat16(w[i] * (xr[i] * s));
}

/* cos and sin of position p at frequency j (HF's inv_freq = theta^(-2j/hd), angle = p · inv_freq). */
__global__ void k_rope_table(float2 *tab, int n_pos, int hd, float theta)
{
    int half = hd / 2;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n_pos * half; i += gridDim.x * blockDim.x) {
        int p = i / half, j = i % half;
        float freq = powf(theta, -2.0f * (float)j / (float)hd);
        float ang = (float)p * freq;
        tab[i] = make_float2(cosf(ang), sinf(ang));
    }
}

template <int S, int KIND>
static int dv_go(struct llmc *g, const struct lin *l, int n_warps, struct dv_args *a)
{
    dim3 grid((unsigned)((n_warps + 7) / 8)), block(256);
    bool q8 = l->q != NULL;
    if (a->T == 1)
        return q8 ? launch(g, k_dv<1, S, true, KIND>, grid, block, 0, *a) : launch(g, k_dv<1, S, false, KIND>, grid, block, 0, *a);
    return q8 ? launch(g, k_dv<MV_MAX_TOK, S, true, KIND>, grid, block, 0, *a)
              : launch(g, k_dv<MV_MAX_TOK, S, false, KIND>, grid, block, 0, *a);
}

static void dv_init(struct dv_args *a, const struct lin *l, const bf16 *x, int T, void *y)
{
    memset(a, 0, sizeof *a);
    a->w = l->q ? (const void *)l->q : (const void *)l->w;
    a->scale = l->scale;
    a->rows = l->rows;
    a->cols = l->cols;
    a->out_rows = l->rows;
    a->T = T;
    a->x = x;
    a->y = y;
}

/* y (=|+=) W·x; with nw, the last block also writes RMSNorm(y)·nw into xn (y is then the residual). */
static int dv_plain(struct llmc *g, const struct lin *l, const bf16 *x, int T, void *y, int mode, const float *nw,
                    bf16 *xn, unsigned *counter)
{
    struct dv_args a;
    dv_init(&a, l, x, T, y);
    a.mode = mode;
    a.nw = nw;
    a.xn = xn;
    a.counter = counter;
    a.eps = g->c.norm_eps;
    return dv_go<1, DV_PLAIN>(g, l, l->rows, &a);
}

static int dv_silu(struct llmc *g, const struct lin *l, const bf16 *x, int T, bf16 *y)
{
    struct dv_args a;
    dv_init(&a, l, x, T, y);
    a.out_rows = a.pair = l->rows / 2;
    return dv_go<2, DV_SILU>(g, l, a.out_rows, &a);
}

static int dv_qkv(struct llmc *g, const struct lin *l, const bf16 *x, int T, int layer)
{
    struct dv_args a;
    dv_init(&a, l, x, T, g->qkv);
    a.rope = g->rope;
    a.pos = g->d_pos;
    a.seq = g->d_seq;
    a.pt = g->d_pt;
    a.pt_stride = g->pt_stride;
    a.layer = layer;
    a.n_pages = g->n_pages;
    a.page_tokens = g->pt;
    a.qdim = g->qdim;
    a.kvdim = g->kvdim;
    a.hd = g->hd;
    a.kp = g->k_pool;
    a.vp = g->v_pool;
    return dv_go<2, DV_ROPE>(g, l, l->rows / 2, &a);
}

/* ---------------- persistent one-token step ----------------
 * The whole one-token forward as one cooperative launch (k_stream below): every block stays resident
 * and the five stages of a layer (qkv with RoPE and the KV store, attention, wo, gate/up with SiLU, w2)
 * are separated by grid barriers instead of kernel boundaries. A boundary costs its drain: the last
 * warps of one product finish while the next has not begun to load. After a barrier every block builds
 * the stage's input in shared memory from L2 (the RMSNorm of the residual, or the attention / SiLU
 * output), in the same order in every block, so the result does not depend on the grid. Products take
 * two rows at a time with k_dv's rounding; bf16 rows are summed chunk by chunk (st_run). */
struct ps_layer {
    const void *w[4];        /* qkv, wo, w13, w2 (bf16, or int8) */
    const float *scale[4];   /* int8: one per row */
    const float *attn_norm, *ffn_norm;
};

struct ps_args {
    const struct ps_layer *L;   /* on the device, one per layer */
    const bf16 *embed;
    const float *norm, *out_scale;
    const void *out_w;
    int n_layers, d, hid, qdim, kvdim, hd, nh, nkv, vocab, n_out;
    int att_split;   /* k_stream: ranges of positions per head (merged by ps_merge_head or ps_combine) */
    float *att_part;
    int ablate;   /* k_stream, development (wrong results): 1 no attention, 2 no norms or loads, 128 no
                   * arithmetic (the ring only) */
    float eps;
    float *x, *logits;
    bf16 *qkv, *att, *h;
    const float2 *rope;
    const int32_t *tok, *pos, *seq, *pt;
    int pt_stride, n_pages, page_tokens;
    bf16 *kp, *vp;
    int xs_elems;   /* shared memory: the stage input (bf16, xs_elems), which the attention's floats share
                     * (the input is dead between the qkv stage and the combine) */
    int att_bytes;  /* the larger of the two, 16-byte rounded; then the K/V stager's barriers and rows */
    int kv_cap;     /* past positions the K/V stager copies ahead for a block's range (0: none) */
    unsigned long long *trace;   /* OMEGA_LLM_TRACE (development): PS_MARKS times per block and layer */
    int merge;   /* each head merged by its last range (else every block combines all of them) */
    int pp_off, pp_floats, rope_off;   /* shared memory: st_run's chunk sums, the position's rotary row */
    const int *bal;   /* the balance table: units [lo, hi) of each stage kind for each SM (PS_SMIDS), or NULL */
    unsigned long long *stat;   /* calibration: per block its SM and each stage kind's busy time (ns) */
};

#define PS_MARKS 24
#define PS_SMIDS 256   /* the balance table's SM numbers */
#define PS_KINDS 5     /* its stage kinds: qkv, wo, gate/up, w2, the output head */
#define PS_STATS 8     /* calibration words per block: its SM, then each kind's busy ns */

/* Development timeline: the time (ns, %globaltimer) block b reached mark k of layer l. */
__device__ __forceinline__ void ps_mark(const struct ps_args &a, int l, int k)
{
    if (a.trace && threadIdx.x == 0)
        a.trace[((size_t)blockIdx.x * a.n_layers + l) * PS_MARKS + k] = gtime();
}

enum { PS_ROPE, PS_SILU, PS_ACC, PS_OUT };

struct ps_stage {
    const char *w;
    const float *scale;
    int cols, rows, n, kind;   /* n: work units (row pairs) */
    int which;                 /* 0 qkv, 1 wo, 2 gate/up, 3 w2, 4 the output head */
};

/* Stage `which` of layer l (0 qkv, 1 wo, 2 gate/up, 3 w2), or the output head (4). */
__device__ __forceinline__ struct ps_stage ps_get(const struct ps_args &a, int l, int which)
{
    struct ps_stage st;
    st.which = which;
    if (which == 4) {
        st.w = (const char *)a.out_w, st.scale = a.out_scale;
        st.cols = a.d, st.rows = a.vocab, st.n = (a.vocab + 1) / 2, st.kind = PS_OUT;
        return st;
    }
    const struct ps_layer *L = a.L + l;
    st.w = (const char *)L->w[which], st.scale = L->scale[which];
    if (which == 0)
        st.cols = a.d, st.rows = a.qdim + 2 * a.kvdim, st.n = st.rows / 2, st.kind = PS_ROPE;
    else if (which == 1)
        st.cols = a.qdim, st.rows = a.d, st.n = a.d / 2, st.kind = PS_ACC;
    else if (which == 2)
        st.cols = a.d, st.rows = 2 * a.hid, st.n = a.hid, st.kind = PS_SILU;
    else
        st.cols = a.hid, st.rows = a.d, st.n = a.d / 2, st.kind = PS_ACC;
    return st;
}

/* The two rows of work unit u: a rotary pair (j, j + hd/2 of one head), a gate/up pair, or two
 * neighbours. */
__device__ __forceinline__ void ps_rows(const struct ps_args &a, const struct ps_stage &st, int u, int *r)
{
    if (st.kind == PS_ROPE) {
        int half = a.hd / 2;
        r[0] = u / half * a.hd + u % half;
        r[1] = r[0] + half;
    } else if (st.kind == PS_SILU) {
        r[0] = u;
        r[1] = u + a.hid;
    } else {
        r[0] = 2 * u;
        r[1] = 2 * u + 1 < st.rows ? 2 * u + 1 : st.rows - 1;
    }
}

/* Write a work unit's two sums (by its warp's lane 0): RoPE and the KV store, SiLU, the residual, or
 * logits; the same rounding as k_dv. */
template <bool Q8>
__device__ __forceinline__ void ps_epilogue(const struct ps_args &a, const struct ps_stage &st, int u, const int *r,
                                            float s0, float s1, int layer, long long kv_base, const float2 *rope)
{
    float v0 = s0 * (Q8 ? st.scale[r[0]] : 1.0f), v1 = s1 * (Q8 ? st.scale[r[1]] : 1.0f);
    if (st.kind == PS_ROPE) {
        int half = a.hd / 2, j = u % half, row = r[0];
        float x0 = __bfloat162float(__float2bfloat16(v0)), x1 = __bfloat162float(__float2bfloat16(v1));
        bf16 o0, o1;
        if (row < a.qdim + a.kvdim) {   /* Q and K heads rotate (HF's rotate_half pairing) */
            float2 cs = rope[j];   /* the step's position's row, in shared memory */
            o0 = __float2bfloat16(x0 * cs.x - x1 * cs.y);
            o1 = __float2bfloat16(x1 * cs.x + x0 * cs.y);
        } else {
            o0 = __float2bfloat16(x0);
            o1 = __float2bfloat16(x1);
        }
        a.qkv[row] = o0;
        a.qkv[row + half] = o1;
        if (row >= a.qdim) {   /* kv_base: the position's slot in its page (the kernel looked it up once) */
            size_t off = (size_t)layer * a.n_pages * a.page_tokens * a.kvdim + (size_t)kv_base;
            bool isk = row < a.qdim + a.kvdim;
            bf16 *dst = (isk ? a.kp : a.vp) + off + (row - a.qdim - (isk ? 0 : a.kvdim));
            dst[0] = o0;
            dst[half] = o1;
        }
    } else if (st.kind == PS_SILU) {
        float gt = __bfloat162float(__float2bfloat16(v0)), up = __bfloat162float(__float2bfloat16(v1));
        a.h[u] = __float2bfloat16(gt / (1.0f + expf(-gt)) * up);
    } else if (st.kind == PS_ACC) {
        /* one unit owns each row: the add at L2 is the read-modify-write without its round trip */
        asm volatile("red.global.add.f32 [%0], %1;" ::"l"(a.x + r[0]), "f"(v0) : "memory");
        if (r[1] != r[0])
            asm volatile("red.global.add.f32 [%0], %1;" ::"l"(a.x + r[1]), "f"(v1) : "memory");
    } else {
        a.logits[r[0]] = v0;
        if (r[1] != r[0])
            a.logits[r[1]] = v1;
    }
}

#define PS_THREADS 256   /* a persistent block's compute threads */

/* One float4 of the norm's input: the residual (from L2) or the embedding row. */
__device__ __forceinline__ float4 ps_in(const float *x, const bf16 *emb, int i)
{
    if (!emb)
        return __ldcg((const float4 *)x + i);
    uint2 u = *(const uint2 *)(emb + 4 * i);
    return make_float4(__uint_as_float(u.x << 16), __uint_as_float(u.x & 0xffff0000u), __uint_as_float(u.y << 16),
                       __uint_as_float(u.y & 0xffff0000u));
}

/* xs = RMSNorm(x) · w, by the block's PS_THREADS compute threads; x is the residual (read from L2:
 * other SMs wrote it) or, before the first layer, the token's embedding row. It sits between a grid
 * barrier and the next product, so its loads are all issued at once (rows up to 8,192 in registers).
 * Every block sums in the same order. */
__device__ void ps_norm(const float *x, const bf16 *emb, const float *w, bf16 *xs, int d, float eps)
{
    __shared__ float red[32];
    constexpr int V = 8;
    int n4 = d / 4;
    float4 v[V], g[V];
    float ss = 0;
    const float4 *w4 = (const float4 *)w;
#pragma unroll
    for (int k = 0; k < V; k++) {   /* the norm's weights with the residual: one trip to L2, not two */
        int i = threadIdx.x + k * PS_THREADS;
        v[k] = i < n4 ? ps_in(x, emb, i) : make_float4(0, 0, 0, 0);
        g[k] = i < n4 ? w4[i] : make_float4(0, 0, 0, 0);
    }
    for (int i = threadIdx.x + V * PS_THREADS; i < n4; i += PS_THREADS) {
        float4 e = ps_in(x, emb, i);
        ss += e.x * e.x + e.y * e.y + e.z * e.z + e.w * e.w;
    }
#pragma unroll
    for (int k = 0; k < V; k++)
        ss += v[k].x * v[k].x + v[k].y * v[k].y + v[k].z * v[k].z + v[k].w * v[k].w;
    for (int o = 16; o; o >>= 1)
        ss += __shfl_xor_sync(0xffffffffu, ss, o);
    if ((threadIdx.x & 31) == 0)
        red[threadIdx.x / 32] = ss;
    csync();
    ss = 0;
    for (int i = 0; i < PS_THREADS / 32; i++)
        ss += red[i];
    float s = rsqrtf(ss / d + eps);
    __nv_bfloat162 *o2 = (__nv_bfloat162 *)xs;
#pragma unroll
    for (int k = 0; k < V; k++) {
        int i = threadIdx.x + k * PS_THREADS;
        if (i < n4) {
            o2[2 * i] = __floats2bfloat162_rn(g[k].x * (v[k].x * s), g[k].y * (v[k].y * s));
            o2[2 * i + 1] = __floats2bfloat162_rn(g[k].z * (v[k].z * s), g[k].w * (v[k].w * s));
        }
    }
    for (int i = threadIdx.x + V * PS_THREADS; i < n4; i += PS_THREADS) {
        float4 gw = w4[i], e = ps_in(x, emb, i);
        o2[2 * i] = __floats2bfloat162_rn(gw.x * (e.x * s), gw.y * (e.y * s));
        o2[2 * i + 1] = __floats2bfloat162_rn(gw.z * (e.z * s), gw.w * (e.w * s));
    }
    csync();
}

/* xs = n bf16 values another SM wrote this step (n a multiple of 8), eight loads in flight per thread. */
__device__ void ps_load(const bf16 *src, bf16 *xs, int n)
{
    int n16 = n / 8;
    for (int i0 = threadIdx.x; i0 < n16; i0 += 8 * PS_THREADS) {
        uint4 v[8];
#pragma unroll
        for (int k = 0; k < 8; k++)
            if (i0 + k * PS_THREADS < n16)
                v[k] = __ldcg((const uint4 *)src + i0 + k * PS_THREADS);
#pragma unroll
        for (int k = 0; k < 8; k++)
            if (i0 + k * PS_THREADS < n16)
                ((uint4 *)xs)[i0 + k * PS_THREADS] = v[k];
    }
    csync();
}

/* k_stream: a producer warp per block copies the block's weight rows, in the order the block will use
 * them across all stages and layers, into a ring of shared-memory slots with bulk asynchronous copies
 * (cp.async.bulk, completion counted on an mbarrier per slot); each of the eight compute warps has its
 * own part of the ring and a producer lane that fills it, and frees each slot once read. The producer
 * depends on nothing the step computes, so it runs ahead through grid barriers, attention and norms,
 * limited only by the ring (160 KB per SM for 7B, some microseconds of HBM time). What the step loses
 * is the critical path the ring cannot cover: the barriers, attention and the norms (docs/llm.md has
 * a timeline). */
#define ST_CH 2048   /* bytes of each of a unit's two rows per ring slot */
#define PS_KV_CAP 64        /* past positions of a block's attention range the K/V stager copies ahead */

__device__ __forceinline__ unsigned su32(const void *p)
{
    return (unsigned)__cvta_generic_to_shared(p);
}

__device__ __forceinline__ void mb_init(uint64_t *b, unsigned n)
{
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(su32(b)), "r"(n) : "memory");
}

/* Wait until the phase of the given parity has completed. */
__device__ __forceinline__ void mb_wait(uint64_t *b, unsigned parity)
{
    asm volatile("{\n\t.reg .pred P1;\n"
                 "WAIT:\n\t"
                 "mbarrier.try_wait.parity.shared::cta.b64 P1, [%0], %1;\n\t"
                 "@P1 bra DONE;\n\t"
                 "bra WAIT;\n"
                 "DONE:\n\t}" ::"r"(su32(b)),
                 "r"(parity)
                 : "memory");
}

__device__ __forceinline__ void mb_arrive(uint64_t *b)
{
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(su32(b)) : "memory");
}

__device__ __forceinline__ void mb_expect(uint64_t *b, unsigned bytes)
{
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(su32(b)), "r"(bytes) : "memory");
}

__device__ __forceinline__ void bulk_g2s(void *dst, const void *src, unsigned bytes, uint64_t *b)
{
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];" ::"r"(
                     su32(dst)),
                 "l"(src), "r"(bytes), "r"(su32(b))
                 : "memory");
}

/* A grid barrier of the compute threads (the producers never join): arrivals counted on one word in
 * global memory, zeroed before each launch; target = barriers so far × blocks. (Eight counters, each
 * block on one and warp 0 polling all, measured slower on an H200: 3.73 vs 3.65 ms a 7B step.) */
#define PS_GBAR_BYTES(nh) (128 + 4 * (nh))   /* the barrier's word, then the heads' merge counters */
__device__ __forceinline__ void gsync(unsigned *bar, unsigned target)
{
    csync();
    if (threadIdx.x == 0) {   /* the release orders the block's writes, which the bar.sync made this thread's */
        asm volatile("red.release.gpu.global.add.u32 [%0], 1;" ::"l"(bar) : "memory");
        unsigned v;
        do
            asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(v) : "l"(bar) : "memory");
        while (v < target);
    }
    csync();
}

/* The grid barrier between two stages; *nb counts the barriers so far. */
__device__ __forceinline__ void st_barrier(unsigned *gbar, unsigned *nb)
{
    gsync(gbar, ++*nb * gridDim.x);
}

/* Units of stage st that block b takes: u = b, b + G, ... */
__device__ __forceinline__ int st_units(const struct ps_stage &st, int b, int G)
{
    return b < st.n ? (st.n - b + G - 1) / G : 0;
}

/* The block's units of stage st: lo, lo + step, ... (the count returned). With a balance table (sp, the
 * block's rows of it in shared memory) a range sized to the SM's measured speed, else every G-th. */
__device__ __forceinline__ int st_span(const struct ps_stage &st, const int (*sp)[2], int *lo, int *step)
{
    if (sp) {
        *lo = sp[st.which][0], *step = 1;
        return sp[st.which][1] - sp[st.which][0];
    }
    *lo = blockIdx.x, *step = gridDim.x;
    return st_units(st, blockIdx.x, gridDim.x);
}

/* Producer lane w (one per compute warp): every slot compute warp w will read, in its order, into the
 * warp's own part of the ring (nsw slots from w · nsw). A warp's slots are filled and freed in one
 * order, so a wait on a slot's parity is never a lap ahead of the slot's fills. The eight lanes walk
 * the block's units together (a lane without a unit in a round sits it out): no lane can fill its
 * ring with the next stage while another still owes its warp this one, which the grid barrier needs. */
template <bool Q8>
__device__ void st_produce(const struct ps_args &a, unsigned char *ring, uint64_t *full, uint64_t *empty, int nsw,
                           int w, const int (*sp)[2])
{
    constexpr int ES = Q8 ? 1 : 2;
    unsigned seq = 0;
    for (int l = 0; l <= a.n_layers; l++) {
        for (int which = 0; which < 4; which++) {
            if (l == a.n_layers && (which > 0 || !a.n_out))
                break;
            struct ps_stage st = l == a.n_layers ? ps_get(a, 0, 4) : ps_get(a, l, which);
            unsigned rb = (unsigned)st.cols * ES;
            int lo, step, nub = st_span(st, sp, &lo, &step), nch = (int)((rb + ST_CH - 1) / ST_CH);
            if constexpr (Q8) {   /* 8-bit: each warp its own units (see st_run) */
                for (int i0 = 0; i0 < nub; i0 += PS_THREADS / 32) {
                    int i = i0 + w, r[2];
                    bool mine = i < nub;
                    ps_rows(a, st, lo + (mine ? i : 0) * step, r);
                    for (unsigned off = 0; off < rb; off += ST_CH) {
                        if (mine) {
                            unsigned slot = w * nsw + seq % nsw, bytes = rb - off < ST_CH ? rb - off : ST_CH;
                            mb_wait(&empty[slot], ((seq / nsw) & 1) ^ 1);
                            mb_expect(&full[slot], 2 * bytes);
                            unsigned char *dst = ring + (size_t)slot * 2 * ST_CH;
                            bulk_g2s(dst, st.w + (size_t)r[0] * rb + off, bytes, &full[slot]);
                            bulk_g2s(dst + ST_CH, st.w + (size_t)r[1] * rb + off, bytes, &full[slot]);
                            seq++;
                        }
                        __syncwarp(0xffu);
                    }
                }
            } else {
            for (int c0 = 0; c0 < nub * nch; c0 += PS_THREADS / 32) {
                int c = c0 + w;
                if (c < nub * nch) {
                    int r[2];
                    unsigned off = (unsigned)(c % nch) * ST_CH, bytes = rb - off < ST_CH ? rb - off : ST_CH;
                    ps_rows(a, st, lo + c / nch * step, r);
                    unsigned slot = w * nsw + seq % nsw;
                    mb_wait(&empty[slot], ((seq / nsw) & 1) ^ 1);
                    mb_expect(&full[slot], 2 * bytes);
                    unsigned char *dst = ring + (size_t)slot * 2 * ST_CH;
                    bulk_g2s(dst, st.w + (size_t)r[0] * rb + off, bytes, &full[slot]);
                    bulk_g2s(dst + ST_CH, st.w + (size_t)r[1] * rb + off, bytes, &full[slot]);
                    seq++;
                }
                __syncwarp(0xffu);
            }
            }
        }
    }
}

/* One stage on the compute warps. The block's units (row pairs) are cut into chunks of ST_CH bytes a
 * row, dealt round-robin to the warps, so every warp has the same work whatever the block's count of
 * units; each chunk's two sums go to shared memory (pp), and after a block barrier the units' sums add
 * their chunks in order, so a unit's result does not depend on the block or warp that computed it.
 * *seq counts the ring slots the warp has used so far. */
template <bool Q8>
__device__ void st_run(const struct ps_args &a, const struct ps_stage &st, const bf16 *xs, const unsigned char *ring,
                       uint64_t *full, uint64_t *empty, int nsw, unsigned *seq, int layer, const int (*sp)[2],
                       float *pp, long long kv_base, const float2 *rope)
{
    constexpr int ES = Q8 ? 1 : 2;
    int lane = threadIdx.x & 31, w = threadIdx.x / 32, lo, step;
    int nub = st_span(st, sp, &lo, &step), rb = st.cols * ES, nch = (rb + ST_CH - 1) / ST_CH;
    /* The two paths below repeat the slot wait, the chunk's products and the warp sum on purpose: one
     * inlined helper for them let the compiler reorder the wait and cost 7B steps 1 % (3.64 vs
     * 3.61 ms on an H200, twice in one call). */
    if constexpr (Q8) {   /* 8-bit: warp w takes the block's units w, w + 8, ...; chunk-dealt it measured 5 % slower
                 * on an H200 (70B), bf16 the other way round */
        for (int i = w; i < nub; i += PS_THREADS / 32) {
            int u = lo + i * step, r[2];
            ps_rows(a, st, u, r);
            float acc[2][1] = {{0}, {0}};
            for (int k = 0; k < nch; k++, (*seq)++) {
                unsigned slot = w * nsw + *seq % nsw;
                mb_wait(&full[slot], (*seq / nsw) & 1);
                const unsigned char *sl = ring + (size_t)slot * 2 * ST_CH;
                int bytes = rb - k * ST_CH < ST_CH ? rb - k * ST_CH : ST_CH;
#pragma unroll
                for (int m = 0; m < ST_CH / 512; m++) {
                    int off = lane * 16 + m * 512;
                    if (off < bytes && !(a.ablate & 128)) {
                        uint4 wv[2] = {*(const uint4 *)(sl + off), *(const uint4 *)(sl + ST_CH + off)};
                        mv_chunk<1, 2, Q8>(wv, xs, st.cols, (k * ST_CH + off) / ES, 1, acc);
                    }
                }
                __syncwarp();
                if (lane == 0)
                    mb_arrive(&empty[slot]);
            }
#pragma unroll
            for (int s = 0; s < 2; s++)
                for (int o = 16; o; o >>= 1)
                    acc[s][0] += __shfl_xor_sync(0xffffffffu, acc[s][0], o);
            if (lane == 0)
                ps_epilogue<Q8>(a, st, u, r, acc[0][0], acc[1][0], layer, kv_base, rope);
        }
        return;
    }
    if (nub * nch * 2 > a.pp_floats)   /* the host sizes pp and the balance table together */
        __trap();
    for (int c = w; c < nub * nch; c += PS_THREADS / 32, (*seq)++) {
        int k = c % nch;
        float acc[2][1] = {{0}, {0}};
        unsigned slot = w * nsw + *seq % nsw;
        mb_wait(&full[slot], (*seq / nsw) & 1);
        const unsigned char *sl = ring + (size_t)slot * 2 * ST_CH;
        int bytes = rb - k * ST_CH < ST_CH ? rb - k * ST_CH : ST_CH;
#pragma unroll
        for (int m = 0; m < ST_CH / 512; m++) {
            int off = lane * 16 + m * 512;
            if (off < bytes && !(a.ablate & 128)) {
                uint4 wv[2] = {*(const uint4 *)(sl + off), *(const uint4 *)(sl + ST_CH + off)};
                mv_chunk<1, 2, Q8>(wv, xs, st.cols, (k * ST_CH + off) / ES, 1, acc);
            }
        }
        __syncwarp();
        if (lane == 0)
            mb_arrive(&empty[slot]);
#pragma unroll
        for (int s = 0; s < 2; s++)
            for (int o = 16; o; o >>= 1)
                acc[s][0] += __shfl_xor_sync(0xffffffffu, acc[s][0], o);
        if (lane == 0)
            pp[2 * c] = acc[0][0], pp[2 * c + 1] = acc[1][0];
    }
    csync();
    for (int i = threadIdx.x; i < nub; i += PS_THREADS) {
        int u = lo + i * step, r[2];
        ps_rows(a, st, u, r);
        float s0 = 0, s1 = 0;
        for (int k = 0; k < nch; k++)
            s0 += pp[2 * (i * nch + k)], s1 += pp[2 * (i * nch + k) + 1];
        ps_epilogue<Q8>(a, st, u, r, s0, s1, layer, kv_base, rope);
    }
}

/* xs = the attention output merged from its att_split ranges (see att_head): each range's sums are
 * rescaled to the largest max; every load issued before any is used. */
#define PS_MAX_SPLIT 4

/* Four output dimensions from the ranges' sums (o) and (max, sum of exponentials) (ml): each range
 * rescaled to the largest max. */
__device__ __forceinline__ void ps_merge4(const float4 *o, const float2 *ml, __nv_bfloat162 *out)
{
    float M = -INFINITY, L = 0;
    float4 r = make_float4(0, 0, 0, 0);
#pragma unroll
    for (int s = 0; s < PS_MAX_SPLIT; s++)
        M = fmaxf(M, ml[s].x);
#pragma unroll
    for (int s = 0; s < PS_MAX_SPLIT; s++) {
        float w = ml[s].y > 0 ? expf(ml[s].x - M) : 0.0f;
        L += ml[s].y * w;
        r.x += o[s].x * w, r.y += o[s].y * w, r.z += o[s].z * w, r.w += o[s].w * w;
    }
    out[0] = __floats2bfloat162_rn(r.x / L, r.y / L);
    out[1] = __floats2bfloat162_rn(r.z / L, r.w / L);
}

__device__ void ps_combine(const struct ps_args &a, bf16 *xs)
{
    int hd = a.hd, S = a.att_split, n4 = a.qdim / 4;
    for (int i0 = threadIdx.x; i0 < n4; i0 += 4 * PS_THREADS) {
        float4 o[4][PS_MAX_SPLIT];
        float2 ml[4][PS_MAX_SPLIT];
#pragma unroll
        for (int k = 0; k < 4; k++) {
            int i = i0 + k * PS_THREADS, h = 4 * i / hd, c = 4 * i % hd;
#pragma unroll
            for (int s = 0; s < PS_MAX_SPLIT; s++) {
                const float *pr = a.att_part + ((size_t)s * a.nh + h) * (hd + 4);
                bool on = i0 + k * PS_THREADS < n4 && s < S;
                o[k][s] = on ? __ldcg((const float4 *)(pr + c)) : make_float4(0, 0, 0, 0);
                ml[k][s] = on ? __ldcg((const float2 *)(pr + hd)) : make_float2(-INFINITY, 0);
            }
        }
#pragma unroll
        for (int k = 0; k < 4; k++) {
            if (i0 + k * PS_THREADS >= n4)
                break;
            ps_merge4(o[k], ml[k], (__nv_bfloat162 *)xs + 2 * (i0 + k * PS_THREADS));
        }
    }
    csync();
}

/* Head h's attention output merged from its ranges into a.att (bf16), by the head's last block to
 * finish (see k_stream); the same arithmetic as ps_combine. */
__device__ void ps_merge_head(const struct ps_args &a, int h)
{
    int hd = a.hd, S = a.att_split;
    for (int i = threadIdx.x; i < hd / 4; i += PS_THREADS) {
        float4 o[PS_MAX_SPLIT];
        float2 ml[PS_MAX_SPLIT];
#pragma unroll
        for (int s = 0; s < PS_MAX_SPLIT; s++) {
            const float *pr = a.att_part + ((size_t)s * a.nh + h) * (hd + 4);
            o[s] = s < S ? __ldcg((const float4 *)(pr + 4 * i)) : make_float4(0, 0, 0, 0);
            ml[s] = s < S ? __ldcg((const float2 *)(pr + hd)) : make_float2(-INFINITY, 0);
        }
        ps_merge4(o, ml, (__nv_bfloat162 *)(a.att + (size_t)h * hd) + 2 * i);
    }
}

/* The K/V stager's state in shared memory: its two mbarriers (rows copied; rows read), then the
 * staged count and the new position's element offset in the pools, for the compute threads. */
struct __align__(16) st_kv {
    uint64_t full, empty;
    long long new_off;
    long long kv_base;       /* the step position's slot in the pools, less the layer */
    int ns;
    int last;                /* this block finished its head's ranges */
    int span[PS_KINDS][2];   /* the block's rows of the balance table */
};

/* The block's attention range (head, range of positions) and how many of its past positions the
 * stager copies: all of them when they number at most kv_cap, else none. */
__device__ __forceinline__ int st_kv_range(const struct ps_args &a, int *k0, int *h)
{
    int j = blockIdx.x, n = a.pos[0] + 1;
    *h = j % a.nh;
    int split = j / a.nh, k1 = (int)((long)n * (split + 1) / a.att_split);
    *k0 = (int)((long)n * split / a.att_split);
    int past = (k1 < n - 1 ? k1 : n - 1) - *k0;
    return j < a.nh * a.att_split && past > 0 && past <= a.kv_cap ? past : 0;
}

/* The K/V stager (the block's second extra warp): layer by layer, once the block's attention of the
 * layer before has read the staging rows, copies the past K and V rows of the block's attention range
 * into them (bulk copies); they never change during the step, so this runs during the layer's
 * products and the attention after the barrier reads shared memory, save the new position's rows. */
__device__ void st_stage_kv(const struct ps_args &a, bf16 *skv, struct st_kv *kv)
{
    int lane = threadIdx.x & 31, k0, h;
    int ns = st_kv_range(a, &k0, &h), rs = a.hd + 8, kvdim = a.nkv * a.hd, n = a.pos[0] + 1;
    unsigned rb = (unsigned)a.hd * 2;
    const int32_t *ptab = a.pt + (size_t)a.seq[0] * a.pt_stride;
    size_t col = (size_t)(h / (a.nh / a.nkv)) * a.hd;
    for (int l = 0; l < a.n_layers; l++) {
        size_t lbase = (size_t)l * a.n_pages;
        if (lane == 0) {
            mb_wait(&kv->empty, (l & 1) ^ 1);
            kv->ns = ns;
            int p = n - 1;
            kv->new_off = (long long)(((lbase + ptab[p / a.page_tokens]) * a.page_tokens + p % a.page_tokens) * kvdim + col);
            mb_expect(&kv->full, 2 * rb * (unsigned)ns);
        }
        __syncwarp();
        for (int i = lane; i < ns; i += 32) {
            int p = k0 + i;
            size_t off = ((lbase + ptab[p / a.page_tokens]) * a.page_tokens + p % a.page_tokens) * kvdim + col;
            bulk_g2s(skv + (size_t)i * rs, a.kp + off, rb, &kv->full);
            bulk_g2s(skv + (size_t)(ns + 1 + i) * rs, a.vp + off, rb, &kv->full);
        }
        __syncwarp();
    }
}

template <bool Q8>
__global__ void __launch_bounds__(PS_THREADS + 64, 1) k_stream(struct ps_args a, unsigned *gbar, int ns)
{
    extern __shared__ uint4 st_sm[];
    unsigned char *ring = (unsigned char *)st_sm;
    uint64_t *full = (uint64_t *)(ring + (size_t)ns * 2 * ST_CH), *empty = full + ns;
    bf16 *xs = (bf16 *)(empty + ns);
    float *att_sm = (float *)xs;
    struct st_kv *kv = (struct st_kv *)((char *)xs + a.att_bytes);
    bf16 *skv = (bf16 *)(kv + 1);
    if (threadIdx.x == 0) {
        for (int i = 0; i < ns; i++) {
            mb_init(&full[i], 1);
            mb_init(&empty[i], 1);
        }
        mb_init(&kv->full, 1);
        mb_init(&kv->empty, 1);
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
    float *pp = (float *)((char *)st_sm + a.pp_off);
    float2 *rope = (float2 *)((char *)st_sm + a.rope_off);
    int p = a.pos[0];
    for (int j = threadIdx.x; j < a.hd / 2; j += blockDim.x)   /* the rotary row of the step's position */
        rope[j] = a.rope[(size_t)p * (a.hd / 2) + j];
    if (threadIdx.x == 0)
        kv->kv_base = ((long long)a.pt[(size_t)a.seq[0] * a.pt_stride + p / a.page_tokens] * a.page_tokens +
                       p % a.page_tokens) * a.kvdim;
    unsigned smid;
    asm("mov.u32 %0, %%smid;" : "=r"(smid));
    const int(*sp)[2] = a.bal && smid < PS_SMIDS ? kv->span : NULL;
    if (sp && threadIdx.x < 2 * PS_KINDS)
        kv->span[threadIdx.x / 2][threadIdx.x % 2] = a.bal[((size_t)(threadIdx.x / 2) * PS_SMIDS + smid) * 2 + threadIdx.x % 2];
    __syncthreads();
    int nsw = ns / (PS_THREADS / 32);
    if (threadIdx.x >= PS_THREADS) {
        if (threadIdx.x < PS_THREADS + PS_THREADS / 32)   /* one producer lane per compute warp */
            st_produce<Q8>(a, ring, full, empty, nsw, threadIdx.x - PS_THREADS, sp);
        else if (threadIdx.x >= PS_THREADS + 32 && a.kv_cap)
            st_stage_kv(a, skv, kv);
        return;
    }
    unsigned seq = 0, nb = 0, G = gridDim.x;
    bool inputs = !(a.ablate & 2);
    const bf16 *emb = a.embed + (size_t)a.tok[0] * a.d;
    if (blockIdx.x == 0)
        for (int i = threadIdx.x; i < a.d; i += PS_THREADS)
            a.x[i] = __bfloat162float(emb[i]);
    ps_norm(NULL, emb, a.L[0].attn_norm, xs, a.d, a.eps);
    int n_att = a.nh * a.att_split;   /* attention work: (head, range of positions) */
    unsigned long long busy[PS_KINDS] = {0, 0, 0, 0, 0};
    /* one stage's products; with a.stat, thread 0 adds the time until its block's last warp is done */
    auto go = [&](const struct ps_stage &st, int layer) {
        unsigned long long t0 = a.stat ? gtime() : 0;
        st_run<Q8>(a, st, xs, ring, full, empty, nsw, &seq, layer, sp, pp, kv->kv_base, rope);
        if (a.stat) {
            csync();
            busy[st.which] += gtime() - t0;
        }
    };
    for (int l = 0; l < a.n_layers; l++) {
        ps_mark(a, l, 0);
        go(ps_get(a, l, 0), l);
        ps_mark(a, l, 1);
        st_barrier(gbar, &nb);
        ps_mark(a, l, 2);
        if (a.kv_cap)
            mb_wait(&kv->full, l & 1);
        for (int j = blockIdx.x; j < n_att && !(a.ablate & 1); j += G) {
            bool stg = a.kv_cap && j == (int)blockIdx.x;   /* the stager copies the block's first range */
            att_head(a.qkv, a.pos, a.seq, a.pt, a.pt_stride, a.kp, a.vp, l, a.n_pages, a.page_tokens, a.nh, a.nkv,
                     a.hd, a.att, j % a.nh, 0, att_sm, j / a.nh, a.att_split, a.att_split > 1 ? a.att_part : NULL,
                     stg ? skv : NULL, stg ? kv->ns : 0, stg ? kv->new_off : -1,
                     a.trace ? a.trace + ((size_t)blockIdx.x * a.n_layers + l) * PS_MARKS : NULL);
        }
        if (a.kv_cap && threadIdx.x == 0)   /* att_head's last barrier follows its reads of the staged rows */
            mb_arrive(&kv->empty);
        bool merged = a.merge && a.att_split > 1;
        if (merged && (int)blockIdx.x < n_att && !(a.ablate & 1)) {
            /* the head's last range to finish merges the head (one counter per head, never reset: the
             * layer's count ends at (l + 1) · ranges), so that after the barrier each block loads 4,096
             * bf16 instead of every range's floats */
            csync();
            if (threadIdx.x == 0) {
                unsigned old;
                asm volatile("atom.acq_rel.gpu.global.add.u32 %0, [%1], 1;"
                             : "=r"(old)
                             : "l"(gbar + 32 + blockIdx.x % a.nh)
                             : "memory");
                kv->last = old + 1 == (unsigned)((l + 1) * a.att_split);
            }
            csync();
            if (kv->last)
                ps_merge_head(a, blockIdx.x % a.nh);
        }
        ps_mark(a, l, 3);
        st_barrier(gbar, &nb);
        ps_mark(a, l, 4);
        if (inputs && a.att_split > 1 && !merged)
            ps_combine(a, xs);
        else if (inputs)
            ps_load(a.att, xs, a.qdim);
        ps_mark(a, l, 5);
        go(ps_get(a, l, 1), l);
        ps_mark(a, l, 6);
        st_barrier(gbar, &nb);
        ps_mark(a, l, 7);
        if (inputs)
            ps_norm(a.x, NULL, a.L[l].ffn_norm, xs, a.d, a.eps);
        ps_mark(a, l, 8);
        go(ps_get(a, l, 2), l);
        ps_mark(a, l, 9);
        st_barrier(gbar, &nb);
        ps_mark(a, l, 10);
        if (inputs)
            ps_load(a.h, xs, a.hid);
        ps_mark(a, l, 11);
        go(ps_get(a, l, 3), l);
        ps_mark(a, l, 12);
        int last = l + 1 == a.n_layers;
        if (last && !a.n_out)
            break;
        st_barrier(gbar, &nb);
        ps_mark(a, l, 13);
        if (inputs)
            ps_norm(a.x, NULL, last ? a.norm : a.L[l + 1].attn_norm, xs, a.d, a.eps);
        ps_mark(a, l, 14);
    }
    if (a.n_out)
        go(ps_get(a, 0, 4), a.n_layers);
    if (a.stat && threadIdx.x == 0) {
        unsigned long long *o = a.stat + (size_t)blockIdx.x * PS_STATS;
        o[0] = smid;
        for (int k = 0; k < PS_KINDS; k++)
            o[1 + k] = busy[k];
    }
}

/* Set up the persistent step (shared memory, the per-layer table); 0 leaves it off (with the reason in
 * why) and the step takes forward_fused. OMEGA_LLM_PERSIST=off|nosplit (development): the fused
 * kernels instead, or one range of positions per head. */
static int ps_setup(struct llmc *g, char *why, size_t whylen)
{
    const struct omega_llm_config *c = &g->c;
    const char *env = getenv("OMEGA_LLM_PERSIST");
    if (env && strstr(env, "off"))
        return snprintf(why, whylen, "off (OMEGA_LLM_PERSIST)"), 0;
    int coop = 0, sms = 0, per = 0, optin = 0;
    if (cudaDeviceGetAttribute(&coop, cudaDevAttrCooperativeLaunch, g->dev) != cudaSuccess || !coop ||
        cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, g->dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, g->dev) != cudaSuccess)
        return snprintf(why, whylen, "no cooperative launch"), 0;
    /* split each head's positions over the blocks the grid has to spare (at most PS_MAX_SPLIT ranges) */
    g->ps_blocks = sms;   /* one block per SM: the ring takes the SM's shared memory */
    g->ps_split = 1;
    if (!(env && strstr(env, "nosplit"))) {
        g->ps_split = g->ps_blocks / g->nh;
        g->ps_split = g->ps_split < PS_MAX_SPLIT ? g->ps_split : PS_MAX_SPLIT;
        g->ps_split = g->ps_split > 1 ? g->ps_split : 1;
    }
    int xs = g->qdim > c->dim ? g->qdim : c->dim;
    xs = xs > g->hid ? xs : g->hid;
    g->ps_xs = (xs + 7) / 8 * 8;
    /* attention: the query, a range's scores, 32 floats, the groups' sums (att_head) */
    size_t groups = ATT_THREADS / (g->hd / 8);
    g->ps_att = ((size_t)g->hd + (size_t)(c->max_seq + g->ps_split - 1) / g->ps_split + 1 + 32 + groups * g->hd) *
                sizeof(float);
    g->ps_att = (g->ps_att + 15) / 16 * 16;
    /* the K/V stager's rows: a range's past positions (up to ps_kvcap) and the new one, K and V,
     * OMEGA_LLM_KVSTAGE=N positions (development; 0 leaves it off) */
    const char *kve = getenv("OMEGA_LLM_KVSTAGE");
    g->ps_kvcap = kve ? atoi(kve) : PS_KV_CAP;
    g->ps_kvcap = g->ps_kvcap < 0 ? 0 : g->ps_kvcap;
    size_t kv_bytes = sizeof(struct st_kv) + (g->ps_kvcap ? (size_t)2 * (g->ps_kvcap + 1) * (g->hd + 8) * 2 : 0);
    /* the ring takes what the rest leave (1 KB kept for static shared memory); OMEGA_LLM_RING=N slots at
     * most (development) */
    /* st_run's chunk sums: each stage kind's most units a block can take (the balance table keeps to
     * half as many again as an even share) times its chunks a row, two sums each */
    const struct lin *kl[PS_KINDS] = {&g->L[0].qkv, &g->L[0].wo, &g->L[0].w13, &g->L[0].w2, &g->out};
    int N[PS_KINDS] = {(g->qdim + 2 * g->kvdim) / 2, c->dim / 2, g->hid, c->dim / 2, (c->vocab + 1) / 2};
    int cols[PS_KINDS] = {c->dim, g->qdim, c->dim, g->hid, c->dim};
    size_t pp = 0;
    for (int k = 0; k < PS_KINDS; k++) {
        int even = (N[k] + g->ps_blocks - 1) / g->ps_blocks, nch = (cols[k] * (kl[k]->q ? 1 : 2) + ST_CH - 1) / ST_CH;
        g->ps_cap[k] = even + even / 2 + 1;
        pp = (size_t)g->ps_cap[k] * nch * 2 > pp ? (size_t)g->ps_cap[k] * nch * 2 : pp;
    }
    g->ps_pp = g->L[0].qkv.q ? 0 : (int)pp;   /* 8-bit steps keep each unit on one warp */
    pp = (size_t)g->ps_pp;
    size_t side = (pp * 4 + 15) / 16 * 16 + (size_t)g->hd / 2 * 8;   /* then the rotary row */
    size_t uni = (size_t)g->ps_xs * 2 > g->ps_att ? (size_t)g->ps_xs * 2 : g->ps_att;   /* xs and attention */
    uni = (uni + 15) / 16 * 16;
    long rest = (long)optin - 1024 - (long)uni - (long)kv_bytes - (long)side;
    g->ps_ns = rest > 0 ? (int)(rest / (2 * ST_CH + 16)) : 0;
    const char *re = getenv("OMEGA_LLM_RING");
    int cap = re && atoi(re) >= 16 ? atoi(re) : 128;
    g->ps_ns = (g->ps_ns < cap ? g->ps_ns : cap) / 8 * 8;   /* a part per compute warp */
    if (g->ps_ns < 16)
        return snprintf(why, whylen, "no room for the weight ring (%d bytes of shared memory)", optin), 0;
    g->ps_uni = (int)uni;
    g->ps_pp_off = g->ps_ns * (2 * ST_CH + 16) + (int)uni + (int)kv_bytes;
    g->ps_smem = (size_t)g->ps_pp_off + side;
    void *k = g->L[0].qkv.q ? (void *)k_stream<true> : (void *)k_stream<false>;
    if (cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)g->ps_smem) != cudaSuccess ||
        cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per, k, PS_THREADS + 64, g->ps_smem) != cudaSuccess ||
        per < 1) {
        cudaGetLastError();
        return snprintf(why, whylen, "does not fit an SM (%zu bytes of shared memory)", g->ps_smem), 0;
    }
    if (cudaMalloc((void **)&g->ps_gbar, PS_GBAR_BYTES(g->nh)) != cudaSuccess)
        return snprintf(why, whylen, "cudaMalloc failed"), -1;
    if (g->ps_split > 1 &&
        cudaMalloc((void **)&g->ps_part, (size_t)g->ps_split * g->nh * (g->hd + 4) * sizeof(float)) != cudaSuccess)
        return snprintf(why, whylen, "cudaMalloc failed"), -1;
    if (getenv("OMEGA_LLM_TRACE") &&
        (cudaMalloc((void **)&g->ps_trace, (size_t)g->ps_blocks * c->n_layers * PS_MARKS * 8) != cudaSuccess ||
         cudaMemset(g->ps_trace, 0, (size_t)g->ps_blocks * c->n_layers * PS_MARKS * 8) != cudaSuccess))
        return snprintf(why, whylen, "cudaMalloc failed"), -1;
    struct ps_layer *h = (struct ps_layer *)calloc((size_t)c->n_layers, sizeof *h);
    if (!h)
        return snprintf(why, whylen, "out of host memory"), -1;
    for (int l = 0; l < c->n_layers; l++) {
        const struct lin *ls[4] = {&g->L[l].qkv, &g->L[l].wo, &g->L[l].w13, &g->L[l].w2};
        for (int i = 0; i < 4; i++) {
            h[l].w[i] = ls[i]->q ? (const void *)ls[i]->q : (const void *)ls[i]->w;
            h[l].scale[i] = ls[i]->scale;
        }
        h[l].attn_norm = g->L[l].attn_norm;
        h[l].ffn_norm = g->L[l].ffn_norm;
    }
    size_t n = (size_t)c->n_layers * sizeof *h;
    cudaError_t e = cudaMalloc((void **)&g->ps_layers, n);
    if (e == cudaSuccess)
        e = cudaMemcpy(g->ps_layers, h, n, cudaMemcpyHostToDevice);
    free(h);
    if (e != cudaSuccess)
        return snprintf(why, whylen, "%s", cudaGetErrorString(e)), -1;
    g->persist = 1;
    return 0;
}

/* The balance table: each stage kind's units dealt over the SMs in proportion to the speed each showed
 * in calibration runs of the engine's first one-token step (the step is idempotent: it recomputes the
 * residual from the embedding and rewrites the same K and V), so that the same slow SMs are not the
 * last at every grid barrier. Which block computes a unit does not change its arithmetic. Any failure
 * leaves the units dealt round-robin. OMEGA_LLM_BALANCE=off (development) does too. */
#define PS_CAL_RUNS 10
static int forward_persist(struct llmc *g, int n_out);
static void ps_calibrate(struct llmc *g)
{
    const char *env = getenv("OMEGA_LLM_BALANCE");
    g->ps_cal_done = 1;
    if (env && strstr(env, "off"))
        return;
    double beta = 0.5;   /* development: OMEGA_LLM_BALANCE=beta,runs */
    int runs = PS_CAL_RUNS;
    if (env)
        sscanf(env, "%lf,%d", &beta, &runs);
    int G = g->ps_blocks, N[PS_KINDS] = {(g->qdim + 2 * g->kvdim) / 2, g->c.dim / 2, g->hid, g->c.dim / 2,
                                         (g->c.vocab + 1) / 2};
    size_t tb = (size_t)PS_KINDS * PS_SMIDS * 2 * sizeof(int), sb = (size_t)G * PS_STATS * 8;
    unsigned long long *st = (unsigned long long *)malloc(sb);
    int *tab = (int *)malloc(tb), ok = st && tab;
    if (ok && !g->ps_bal)
        ok = cudaMalloc((void **)&g->ps_bal, tb) == cudaSuccess;
    if (ok && !g->ps_stat)
        ok = cudaMalloc((void **)&g->ps_stat, sb) == cudaSuccess;
    for (int it = 0; ok && it < runs; it++) {
        g->ps_stat_now = 1;
        ok = forward_persist(g, 1) == 0 && cudaStreamSynchronize(g->s) == cudaSuccess &&
             cudaMemcpy(st, g->ps_stat, sb, cudaMemcpyDeviceToHost) == cudaSuccess;
        g->ps_stat_now = 0;
        char seen[PS_SMIDS] = {0};
        for (int b = 0; ok && b < G; b++)   /* one block on each SM, each SM once */
            ok = st[b * PS_STATS] < PS_SMIDS && !seen[st[b * PS_STATS]]++;
        memset(tab, 0, tb);
        for (int k = 0; ok && k < PS_KINDS; k++) {
            /* each SM's rate (units per ns) with the units it had this run; an SM without units counts as
             * the mean */
            double rate[PS_SMIDS] = {0}, sum = 0, total = 0;
            int known = 0;
            for (int b = 0; b < G; b++) {
                int sm = (int)st[b * PS_STATS], n = g->ps_bal_on ? g->ps_cnt[k][sm] : (b < N[k] ? (N[k] - b + G - 1) / G : 0);
                unsigned long long t = st[b * PS_STATS + 1 + k];
                if (!g->ps_bal_on)
                    g->ps_share[k][sm] = n;
                if (n > 0 && t > 0)
                    rate[sm] = (double)n / t, sum += rate[sm], known++;
            }
            if (getenv("OMEGA_LLM_PERSIST_SAY")) {   /* development: how even the run was */
                double tmin = 1e30, tmax = 0, tsum = 0;
                for (int b = 0; b < G; b++) {
                    double t = st[b * PS_STATS + 1 + k] / 1e3 / (k == 4 ? 1 : g->c.n_layers);
                    tmin = t < tmin ? t : tmin, tmax = t > tmax ? t : tmax, tsum += t;
                }
                fprintf(stderr, "llm: balance run %d kind %d: %.2f / %.2f / %.2f us (min / mean / max a layer)\n", it,
                        k, tmin, tsum / G, tmax);
            }
            for (int sm = 0; sm < PS_SMIDS; sm++)
                if (seen[sm]) {
                    rate[sm] = rate[sm] > 0 ? rate[sm] : known ? sum / known : 1.0;
                    total += rate[sm];
                }
            /* move each share half way to the one that would have ended every SM together: the rates
             * are not quite the SMs' own (they move with the units dealt), so a full step overshoots */
            int given = 0;
            double frac[PS_SMIDS] = {0};
            for (int sm = 0; sm < PS_SMIDS; sm++)
                if (seen[sm]) {
                    double q = g->ps_share[k][sm] = (1 - beta) * g->ps_share[k][sm] + beta * N[k] * rate[sm] / total;
                    q = q < g->ps_cap[k] ? q : g->ps_cap[k];   /* st_run's room for chunk sums */
                    g->ps_cnt[k][sm] = (int)q;
                    frac[sm] = q - (int)q;
                    given += (int)q;
                }
            while (given < N[k]) {   /* the units left go to the largest remainders (G · cap >= N) */
                int best = -1;
                for (int sm = 0; sm < PS_SMIDS; sm++)
                    if (seen[sm] && g->ps_cnt[k][sm] < g->ps_cap[k] && (best < 0 || frac[sm] > frac[best]))
                        best = sm;
                g->ps_cnt[k][best]++, frac[best] = -1, given++;
            }
            int lo = 0;
            for (int sm = 0; sm < PS_SMIDS; sm++)
                if (seen[sm]) {
                    tab[(k * PS_SMIDS + sm) * 2] = lo;
                    tab[(k * PS_SMIDS + sm) * 2 + 1] = lo += g->ps_cnt[k][sm];
                }
        }
        ok = ok && cudaMemcpy(g->ps_bal, tab, tb, cudaMemcpyHostToDevice) == cudaSuccess;
        g->ps_bal_on = ok;
    }
    if (!ok) {
        g->ps_bal_on = 0;
        cudaGetLastError();
    }
    free(st);
    free(tab);
}

/* OMEGA_LLM_TRACE=file (development): the last persistent step's timeline, one line per block, layer
 * and mark (ns), appended to the file. */
static void ps_trace_dump(struct llmc *g)
{
    const char *path = getenv("OMEGA_LLM_TRACE");
    if (!g->ps_trace || !path)
        return;
    size_t n = (size_t)g->ps_blocks * g->c.n_layers * PS_MARKS;
    unsigned long long *h = (unsigned long long *)malloc(n * 8);
    FILE *f = fopen(path, "a");
    if (h && f && cudaMemcpy(h, g->ps_trace, n * 8, cudaMemcpyDeviceToHost) == cudaSuccess) {
        fprintf(f, "# model layers %d dim %d blocks %d\n", g->c.n_layers, g->c.dim, g->ps_blocks);
        for (size_t i = 0; i < n; i++)
            if (h[i])
                fprintf(f, "%zu %zu %zu %llu\n", i / PS_MARKS / g->c.n_layers, i / PS_MARKS % g->c.n_layers,
                        i % PS_MARKS, h[i]);
    }
    if (f)
        fclose(f);
    free(h);
    cudaFree(g->ps_trace);
    g->ps_trace = NULL;
}

/* The one-token forward as one cooperative launch (see k_stream), then the argmax. */
static int forward_persist(struct llmc *g, int n_out)
{
    const struct omega_llm_config *c = &g->c;
    struct ps_args a;
    memset(&a, 0, sizeof a);
    a.L = g->ps_layers;
    a.embed = g->embed;
    a.norm = g->norm;
    a.out_w = g->out.q ? (const void *)g->out.q : (const void *)g->out.w;
    a.out_scale = g->out.scale;
    a.n_layers = c->n_layers, a.d = c->dim, a.hid = g->hid, a.qdim = g->qdim, a.kvdim = g->kvdim, a.hd = g->hd;
    a.nh = g->nh, a.nkv = g->nkv, a.vocab = c->vocab, a.n_out = n_out;
    a.eps = c->norm_eps;
    a.ablate = g->ablate;
    a.att_split = g->ps_split > 1 ? g->ps_split : 1;
    a.att_part = g->ps_part;
    a.x = g->x, a.logits = g->logits, a.qkv = g->qkv, a.att = g->att, a.h = g->h;
    a.rope = g->rope;
    a.tok = g->d_tok, a.pos = g->d_pos, a.seq = g->d_seq, a.pt = g->d_pt;
    a.pt_stride = g->pt_stride, a.n_pages = g->n_pages, a.page_tokens = g->pt;
    a.kp = g->k_pool, a.vp = g->v_pool;
    a.xs_elems = g->ps_xs;
    a.merge = !(getenv("OMEGA_LLM_MERGE") && strstr(getenv("OMEGA_LLM_MERGE"), "off"));
    a.att_bytes = g->ps_uni;
    a.kv_cap = g->ps_kvcap;
    a.trace = g->ps_trace;
    a.pp_off = g->ps_pp_off;
    a.pp_floats = g->ps_pp;
    a.rope_off = g->ps_pp_off + (g->ps_pp * 4 + 15) / 16 * 16;
    a.bal = g->ps_bal_on ? g->ps_bal : NULL;
    a.stat = g->ps_stat_now ? g->ps_stat : NULL;
    cudaLaunchAttribute at[1];
    at[0].id = cudaLaunchAttributeCooperative;
    at[0].val.cooperative = 1;
    cudaLaunchConfig_t cfg = {};
    cfg.gridDim = dim3((unsigned)g->ps_blocks);
    cfg.blockDim = dim3(PS_THREADS + 64);
    cfg.dynamicSmemBytes = g->ps_smem;
    cfg.stream = g->s;
    cfg.attrs = at;
    cfg.numAttrs = 1;
    /* the barrier's count starts from zero each launch (a node of the step's graph) */
    int rc = cudaMemsetAsync(g->ps_gbar, 0, PS_GBAR_BYTES(g->nh), g->s) == cudaSuccess ? 0 : -1;
    rc |= cudaLaunchKernelEx(&cfg, g->L[0].qkv.q ? k_stream<true> : k_stream<false>, a, g->ps_gbar, g->ps_ns) ==
                  cudaSuccess ? 0 : -1;
    g->pdl_now = 0;
    if (n_out > 0)
        rc |= launch(g, k_argmax, dim3(n_out), dim3(1024), 0, g->logits, c->vocab, g->d_argmax);
    return rc == 0 && cudaGetLastError() == cudaSuccess ? 0 : -1;
}

/* y[T, rows] (=|+=) x[T, cols] · W^T; OUT_SILU: y[T, rows/2] = silu(gate)·up of the stacked gate/up
 * product (through gu unless the fused kernel takes it). */
static int linear(struct llmc *g, const struct lin *l, const bf16 *x, int T, void *y, int mode)
{
    if (g->fast && T <= MV_MAX_TOK) {
        int out_rows = mode == OUT_SILU ? l->rows / 2 : l->rows;
        if (l->q)
            return T == 1 ? mv_launch<1, true>(g, l, x, T, y, mode, out_rows)
                          : mv_launch<MV_MAX_TOK, true>(g, l, x, T, y, mode, out_rows);
        return T == 1 ? mv_launch<1, false>(g, l, x, T, y, mode, out_rows)
                      : mv_launch<MV_MAX_TOK, false>(g, l, x, T, y, mode, out_rows);
    }
    if (mode == OUT_SILU) {
        int hid = l->rows / 2, rc = linear(g, l, x, T, g->gu, OUT_BF16);
        unsigned bx = (unsigned)((hid / 8 + 255) / 256 > 0 ? (hid / 8 + 255) / 256 : 1);
        return rc | launch(g, k_silu_mul, dim3(bx, (unsigned)T), dim3(256), 0, g->gu, y, hid);
    }
    const bf16 *w = l->w;
    unsigned blocks = (unsigned)((l->rows + 7) / 8);
    if (l->q && T <= W8_MAX_TOK) {
        if (T == 1) k_w8<1><<<blocks, 256, 0, g->s>>>(l->q, l->scale, l->rows, l->cols, x, T, y, mode);
        else k_w8<W8_MAX_TOK><<<blocks, 256, 0, g->s>>>(l->q, l->scale, l->rows, l->cols, x, T, y, mode);
        return cudaGetLastError() == cudaSuccess ? 0 : -1;
    }
    if (l->w && T <= GEMV_MAX_TOK) {
        k_gemv_bf16<GEMV_MAX_TOK><<<blocks, 256, 0, g->s>>>(l->w, l->rows, l->cols, x, T, y, mode);
        return cudaGetLastError() == cudaSuccess ? 0 : -1;
    }
    if (l->q) {
        /* Larger batches: dequantize the layer to bf16 scratch and use the tensor cores (5 bytes
         * moved per weight instead of 1; a fused W8A16 GEMM would not pay this). */
        k_dequant<<<dim3((unsigned)((l->cols / 16 + 255) / 256), (unsigned)l->rows), 256, 0, g->s>>>(l->q, l->scale,
                                                                                                  l->cols, g->dq);
        w = g->dq;
    }
    float one = 1.0f, zero = 0.0f;
    cudaDataType_t ct = mode == OUT_BF16 ? CUDA_R_16BF : CUDA_R_32F;
    cublasStatus_t st = cublasGemmEx(g->cublas, CUBLAS_OP_T, CUBLAS_OP_N, l->rows, T, l->cols, &one, w, CUDA_R_16BF,
                                     l->cols, x, CUDA_R_16BF, l->cols, mode == OUT_F32_ACC ? &one : &zero, y, ct,
                                     l->rows, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    return st == CUBLAS_STATUS_SUCCESS ? 0 : -1;
}

/* Causal softmax of one query row of a fresh prompt's bf16 scores (keys 0..q, in fp32 as HF's
 * LlamaAttention does), in place as bf16 probabilities with zeros above the diagonal up to the end of
 * the row's query block (kend): the blocked P·V product reads no further. */
__global__ void k_causal_softmax(bf16 *scores, int T, int B)
{
    extern __shared__ float row[];   /* the row once, as floats, then its exponentials */
    int q = blockIdx.x, h = blockIdx.y, kend = min(T, (q / B + 1) * B);
    bf16 *sr = scores + ((size_t)h * T + q) * T;
    __shared__ float red[32];
    float mx = -INFINITY;
    for (int k = threadIdx.x; k <= q; k += blockDim.x) {
        float v = __bfloat162float(sr[k]);
        row[k] = v;
        mx = fmaxf(mx, v);
    }
    for (int o = 16; o; o >>= 1)
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
    if ((threadIdx.x & 31) == 0) red[threadIdx.x / 32] = mx;
    __syncthreads();
    mx = -INFINITY;
    for (int i = 0; i < (int)blockDim.x / 32; i++) mx = fmaxf(mx, red[i]);
    __syncthreads();
    float sum = 0;
    for (int k = threadIdx.x; k <= q; k += blockDim.x) {
        float e = expf(row[k] - mx);
        row[k] = e;
        sum += e;
    }
    for (int o = 16; o; o >>= 1)
        sum += __shfl_xor_sync(0xffffffffu, sum, o);
    if ((threadIdx.x & 31) == 0) red[threadIdx.x / 32] = sum;
    __syncthreads();
    sum = 0;
    for (int i = 0; i < (int)blockDim.x / 32; i++) sum += red[i];
    float inv = 1.0f / sum;
    for (int k = threadIdx.x; k < kend; k += blockDim.x)   /* each thread writes only what it read */
        sr[k] = __float2bfloat16(k <= q ? row[k] * inv : 0.0f);
}

/* Attention of a fresh prompt (one sequence, positions 0..T-1) on the tensor cores: S = K^T Q per
 * head, causal softmax, O = V P; GQA handled as one batched call per query head of each group. The
 * queries go in blocks of B: block i needs keys 0..(i+1)B-1 only, so the products skip most of the
 * masked upper triangle (16 blocks of 128: 136/256 of the full work). Scores are bf16, as in HF's bf16
 * model. */
static int prefill_attention(struct llmc *g, int T)
{
    int hd = g->hd, grp = g->nh / g->nkv, ld = g->qkv_dim, d = g->qdim;
    /* head sizes 32, 64 and 128 take the fused (flash) kernel, workloads/llm/flash_prefill.cu: no scores
     * in memory; the others the products below */
    if (!g->scores)
        return llm_flash_prefill(g->qkv, ld, T, g->nh, g->nkv, hd, g->att, d, g->s);
    /* at most 32 product calls per layer and direction (GQA loops over the group) */
    int nb = T < 256 ? 1 : (T + 127) / 128, cap = grp < 32 ? 32 / grp : 1;
    nb = nb < 16 ? nb : 16;
    nb = nb < cap ? nb : cap;
    int B = (T + nb - 1) / nb;
    B = (B + 15) / 16 * 16;
    float scale = rsqrtf((float)hd), one = 1.0f, zero = 0.0f;
    const bf16 *q = g->qkv, *k = g->qkv + d, *v = g->qkv + d + g->kvdim;
    bf16 *sc = g->scores;
    int rc = 0;
    for (int q0 = 0; q0 < T; q0 += B) {
        int nq = T - q0 < B ? T - q0 : B, nk = q0 + nq;
        for (int j = 0; j < grp; j++)
            rc |= cublasGemmStridedBatchedEx(g->cublas, CUBLAS_OP_T, CUBLAS_OP_N, nk, nq, hd, &scale, k, CUDA_R_16BF,
                                             ld, (long long)hd, q + (size_t)q0 * ld + (size_t)j * hd, CUDA_R_16BF, ld,
                                             (long long)grp * hd, &zero, sc + (size_t)j * T * T + (size_t)q0 * T,
                                             CUDA_R_16BF, T, (long long)grp * T * T, g->nkv, CUBLAS_COMPUTE_32F,
                                             CUBLAS_GEMM_DEFAULT) != CUBLAS_STATUS_SUCCESS;
    }
    k_causal_softmax<<<dim3(T, g->nh), 256, (size_t)T * sizeof(float), g->s>>>(sc, T, B);
    for (int q0 = 0; q0 < T; q0 += B) {
        int nq = T - q0 < B ? T - q0 : B, nk = q0 + nq;
        for (int j = 0; j < grp; j++)
            rc |= cublasGemmStridedBatchedEx(g->cublas, CUBLAS_OP_N, CUBLAS_OP_N, hd, nq, nk, &one, v, CUDA_R_16BF, ld,
                                             (long long)hd, sc + (size_t)j * T * T + (size_t)q0 * T, CUDA_R_16BF, T,
                                             (long long)grp * T * T, &zero, g->att + (size_t)q0 * d + (size_t)j * hd,
                                             CUDA_R_16BF, d, (long long)grp * hd, g->nkv, CUBLAS_COMPUTE_32F,
                                             CUBLAS_GEMM_DEFAULT) != CUBLAS_STATUS_SUCCESS;
    }
    return rc ? -1 : 0;
}

__global__ void k_add(float *x, const float *y, size_t n)
{
    pdl_wait();
    pdl_next();
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        x[i] += y[i];
}

/* x += W·a; with tensor parallelism each shard's partial product is summed over the shards first. */
static int residual(struct llmc *g, const struct lin *l, const bf16 *a, int T)
{
    if (g->tp <= 1)
        return linear(g, l, a, T, g->x, OUT_F32_ACC);
    size_t n = (size_t)T * g->c.dim;
    int rc = linear(g, l, a, T, g->partial, OUT_F32);
    if (ncclAllReduce(g->partial, g->partial, n, ncclFloat, ncclSum, g->comm, g->s) != ncclSuccess)
        return -1;
    return rc | launch(g, k_add, dim3(grid_for(n)), dim3(256), 0, g->x, g->partial, n);
}

/* The fused decode forward (see k_dv): five kernels per layer. */
static int forward_fused(struct llmc *g, int T, int n_out)
{
    const struct omega_llm_config *c = &g->c;
    int d = c->dim, rc = 0;
    g->prof.big = 0;
    prof_mark(g, "embed");
    rc |= launch(g, k_embed_norm, dim3(T), dim3(256), 0, g->embed, g->d_tok, g->x, g->L[0].attn_norm, g->xb, d,
                 c->norm_eps);
    for (int l = 0; l < c->n_layers && rc == 0; l++) {
        struct layer *L = &g->L[l];
        prof_mark(g, "qkv");
        if (!(g->ablate & 4))
            rc |= dv_qkv(g, &L->qkv, g->xb, T, l);
        prof_mark(g, "attention");
        if (!(g->ablate & 1))
            rc |= launch(g, k_attention, dim3(g->nh, T), dim3(ATT_THREADS), g->att_smem, g->qkv, g->d_pos, g->d_seq,
                     g->d_pt, g->pt_stride, g->k_pool, g->v_pool, l, g->n_pages, g->pt, g->nh, g->nkv, g->hd, g->att);
        prof_mark(g, "wo");
        const float *n1 = g->ablate & 2 ? NULL : L->ffn_norm;
        const float *n2 = g->ablate & 2 || l + 1 == c->n_layers ? NULL : g->L[l + 1].attn_norm;
        if (!(g->ablate & 8))
            rc |= dv_plain(g, &L->wo, g->att, T, g->x, OUT_F32_ACC, n1, g->xb, g->dv_count + 2 * l);
        prof_mark(g, "w13");
        if (!(g->ablate & 16))
            rc |= dv_silu(g, &L->w13, g->xb, T, g->h);
        prof_mark(g, "w2");
        if (!(g->ablate & 32))
            rc |= dv_plain(g, &L->w2, g->h, T, g->x, OUT_F32_ACC, n2, g->xb, g->dv_count + 2 * l + 1);
    }
    if (n_out > 0) {
        prof_mark(g, "head");
        rc |= launch(g, k_rmsnorm, dim3(n_out), dim3(256), 0, g->x, g->norm, g->xb, d, c->norm_eps, g->d_rows);
        rc |= dv_plain(g, &g->out, g->xb, n_out, g->logits, OUT_F32, NULL, NULL, NULL);
        prof_mark(g, "argmax");
        rc |= launch(g, k_argmax, dim3(n_out), dim3(1024), 0, g->logits, c->vocab, g->d_argmax);
    }
    prof_mark(g, "end");
    return rc == 0 && cudaGetLastError() == cudaSuccess ? 0 : -1;
}

/* The forward on the device buffers (d_tok, d_pos, d_seq, d_pt, d_rows), n_out logits rows. */
static int forward_dev(struct llmc *g, int T, int n_out, int fresh)
{
    /* Only for steps: a prompt's kernels launched early would sit on SMs that cuBLAS's waves need. */
    g->pdl_now = (g->fast || g->fused) && T <= MV_MAX_TOK;
    if (g->persist && g->tp <= 1 && T == 1 && !fresh && n_out <= 1 && !g->prof.on)
        return forward_persist(g, n_out);
    if (g->fused && g->tp <= 1 && T == 1 && !fresh)
        return forward_fused(g, T, n_out);
    const struct omega_llm_config *c = &g->c;
    int d = c->dim, rc = 0;
    g->prof.big = T >= 1024;
    prof_mark(g, "embed");
    rc |= launch(g, k_embed, dim3(T), dim3(256), 0, g->embed, g->d_tok, g->x, d);
    for (int l = 0; l < c->n_layers && rc == 0; l++) {
        struct layer *L = &g->L[l];
        prof_mark(g, "norm");
        rc |= launch(g, k_rmsnorm, dim3(T), dim3(256), 0, g->x, L->attn_norm, g->xb, d, c->norm_eps,
                     (const int32_t *)NULL);
        prof_mark(g, "qkv");
        rc |= linear(g, &L->qkv, g->xb, T, g->qkv, OUT_BF16);
        prof_mark(g, "rope");
        rc |= launch(g, k_rope_store, dim3(T), dim3(256), 0, g->qkv, g->d_pos, g->d_seq, g->d_pt, g->pt_stride,
                     g->k_pool, g->v_pool, l, g->n_pages, g->pt, g->nh, g->nkv, g->hd, g->rope);
        prof_mark(g, "attention");
        if (fresh)
            rc |= prefill_attention(g, T);
        else
            rc |= launch(g, k_attention, dim3(g->nh, T), dim3(ATT_THREADS), g->att_smem, g->qkv, g->d_pos, g->d_seq,
                         g->d_pt, g->pt_stride, g->k_pool, g->v_pool, l, g->n_pages, g->pt, g->nh, g->nkv, g->hd,
                         g->att);
        prof_mark(g, "wo");
        rc |= residual(g, &L->wo, g->att, T);
        prof_mark(g, "norm");
        rc |= launch(g, k_rmsnorm, dim3(T), dim3(256), 0, g->x, L->ffn_norm, g->xb, d, c->norm_eps,
                     (const int32_t *)NULL);
        prof_mark(g, "w13");
        rc |= linear(g, &L->w13, g->xb, T, g->h, OUT_SILU);
        prof_mark(g, "w2");
        rc |= residual(g, &L->w2, g->h, T);
    }
    if (n_out > 0) {
        prof_mark(g, "head");
        rc |= launch(g, k_rmsnorm, dim3(n_out), dim3(256), 0, g->x, g->norm, g->xb, d, c->norm_eps, g->d_rows);
        rc |= linear(g, &g->out, g->xb, n_out, g->logits, OUT_F32);
        prof_mark(g, "argmax");
        rc |= launch(g, k_argmax, dim3(n_out), dim3(1024), 0, g->logits, c->vocab, g->d_argmax);
    }
    prof_mark(g, "end");
    return rc == 0 && cudaGetLastError() == cudaSuccess ? 0 : -1;
}

/* ---------------- confidential data path ---------------- */

static int bounce_reserve(struct llmc *g, size_t n, char *why, size_t whylen)
{
    if (n <= g->bounce_cap)
        return 0;
    cudaFreeHost(g->h_bounce);
    cudaFree(g->d_bounce);
    g->h_bounce = NULL;
    g->d_bounce = NULL;
    g->bounce_cap = 0;
    CK(cudaMallocHost((void **)&g->h_bounce, n));
    CK(cudaMalloc((void **)&g->d_bounce, n));
    g->bounce_cap = n;
    return 0;
}

/* Host → device: sealed on the host (OpenSSL), opened and authenticated on the device. */
static int cc_copy_in(struct llmc *g, void *dev_dst, const void *src, size_t n, char *why, size_t whylen)
{
    if (bounce_reserve(g, n, why, whylen) < 0)
        return -1;
    struct omega_sealed s = {{0}, {0}, g->h_bounce, n};
    if (omega_seal(g->h2d_send, src, n, &s) < 0) { snprintf(why, whylen, "AES-GCM seal failed"); return -1; }
    if (omega_seal_check_iv(g->h2d_recv, s.iv) != 0) { snprintf(why, whylen, "stale IV refused"); return -1; }
    CK(cudaMemcpyAsync(g->d_bounce, g->h_bounce, n, cudaMemcpyHostToDevice, g->s));
    int rc = omega_cuda_gcm_open(g->gcm_in, s.iv, s.tag, g->d_bounce, dev_dst, n, g->s);
    if (rc < 0) {
        snprintf(why, whylen, "host-to-device transfer failed authentication on the device");
        return -1;
    }
    omega_seal_accept(g->h2d_recv, s.iv);
    return 0;
}

/* Device → host: sealed on the device, authenticated here before a byte is used. */
static int cc_copy_out(struct llmc *g, void *dst, const void *dev_src, size_t n, char *why, size_t whylen)
{
    if (bounce_reserve(g, n, why, whylen) < 0)
        return -1;
    struct omega_sealed s = {{0}, {0}, g->h_bounce, n};
    if (omega_seal_next_iv(g->d2h_send, s.iv) < 0) { snprintf(why, whylen, "IV space exhausted"); return -1; }
    if (omega_cuda_gcm_seal(g->gcm_out, s.iv, dev_src, g->d_bounce, n, s.tag, g->s) < 0) {
        snprintf(why, whylen, "device-side seal failed");
        return -1;
    }
    CK(cudaMemcpyAsync(g->h_bounce, g->d_bounce, n, cudaMemcpyDeviceToHost, g->s));
    CK(cudaStreamSynchronize(g->s));
    if (omega_unseal(g->d2h_recv, &s, dst) < 0) {
        snprintf(why, whylen, "device-to-host transfer failed authentication");
        return -1;
    }
    return 0;
}

static int cc_setup(struct llmc *g, char *why, size_t whylen)
{
    uint8_t k1[32], k2[32];
    if (omega_random(k1, 32) < 0 || omega_random(k2, 32) < 0) { snprintf(why, whylen, "getrandom failed"); return -1; }
    g->h2d_send = omega_seal_new(k1, 0x48324400);
    g->h2d_recv = omega_seal_new(k1, 0x48324400);
    g->d2h_send = omega_seal_new(k2, 0x44324800);
    g->d2h_recv = omega_seal_new(k2, 0x44324800);
    int rc = omega_cuda_gcm_new(&g->gcm_in, k1) | omega_cuda_gcm_new(&g->gcm_out, k2);
    omega_wipe(k1, 32);
    omega_wipe(k2, 32);
    if (!g->h2d_send || !g->h2d_recv || !g->d2h_send || !g->d2h_recv || rc) {
        snprintf(why, whylen, "cannot set up the AES-256-GCM session");
        return -1;
    }
    return 0;
}

/* ---------------- the interface ---------------- */

/* One GPU's engine, or one shard (rank of tp) of a tensor-parallel one. */
static int shard_open(struct llmc *g, const struct omega_llm_config *c, enum omega_llm_dtype dt, uint64_t seed,
                      const struct llm_host_weights *w, int n_pages, int page_tokens, int max_tok, int max_seqs,
                      int pt_stride, int cc, int gpu, int tp, int rank, ncclComm_t comm, char *why, size_t whylen)
{
    CK(cudaSetDevice(gpu));
    g->c = *c;
    g->dt = dt;
    g->tp = tp;
    g->rank = rank;
    g->comm = comm;
    g->hd = c->dim / c->n_heads;
    g->nh = c->n_heads / tp;
    g->nkv = c->n_kv_heads / tp;
    g->hid = c->hidden / tp;
    g->qdim = g->nh * g->hd;
    g->kvdim = g->hd * g->nkv;
    g->qkv_dim = g->qdim + 2 * g->kvdim;
    g->n_pages = n_pages;
    g->pt = page_tokens;
    g->max_tok = max_tok;
    g->max_seqs = max_seqs;
    g->pt_stride = pt_stride;
    g->max_out = max_tok < 256 ? max_tok : 256;
    g->cc = cc;
    /* Defaults from the H100 measurements: k_mv and PDL pay for int8 steps of 2..8 tokens (batch 8: 107
     * -> 73 ms per 70B step) but lose to cuBLAS for bf16 (7B batch 8: 13.5 vs 7.1 ms); one-token steps
     * take the fused path for both. OMEGA_LLM_KERNELS=base|fast|fused|fast+fused sets them. */
    const char *kern = getenv("OMEGA_LLM_KERNELS");
    if (kern) {
        g->fast = strstr(kern, "fast") != NULL;
        g->fused = strstr(kern, "fused") != NULL;
    } else {
        g->fast = dt == OMEGA_LLM_INT8;
        g->fused = 1;
    }
    const char *abl = getenv("OMEGA_LLM_ABLATE");
    g->ablate = !abl ? 0 : (strstr(abl, "att") ? 1 : 0) | (strstr(abl, "norm") ? 2 : 0) | (strstr(abl, "qkv") ? 4 : 0) |
                               (strstr(abl, "wo") ? 8 : 0) | (strstr(abl, "w13") ? 16 : 0) | (strstr(abl, "w2") ? 32 : 0) |
                               (strstr(abl, "math") ? 128 : 0);
    const char *prof = getenv("OMEGA_LLM_PROFILE");
    g->prof.on = prof && strcmp(prof, "1") == 0 ? 1 : prof && strcmp(prof, "sync") == 0 ? 2 : 0;
    g->dev = gpu;
    CK(cudaStreamCreateWithFlags(&g->s, cudaStreamNonBlocking));
    for (int i = 0; g->prof.on && i < PROF_MARKS; i++)
        CK(cudaEventCreate(&g->prof.ev[i]));
    if (cublasCreate(&g->cublas) != CUBLAS_STATUS_SUCCESS) { snprintf(why, whylen, "cublasCreate failed"); return -1; }
    CK(cudaMalloc(&g->workspace, 32u << 20));
    cublasSetStream(g->cublas, g->s);
    cublasSetWorkspace(g->cublas, g->workspace, 32u << 20);
    if (weights_build(g, seed, w, why, whylen) < 0)
        return -1;
    size_t pool = (size_t)c->n_layers * n_pages * page_tokens * g->kvdim;
    CK(cudaMalloc((void **)&g->k_pool, pool * 2));
    CK(cudaMalloc((void **)&g->v_pool, pool * 2));
    /* A fresh pool holds no earlier tenant's data. */
    CK(cudaMemsetAsync(g->k_pool, 0, pool * 2, g->s));
    CK(cudaMemsetAsync(g->v_pool, 0, pool * 2, g->s));
    size_t T = (size_t)max_tok;
    CK(cudaMalloc((void **)&g->x, T * c->dim * sizeof(float)));
    CK(cudaMalloc((void **)&g->xb, T * c->dim * 2));
    CK(cudaMalloc((void **)&g->qkv, T * g->qkv_dim * 2));
    CK(cudaMalloc((void **)&g->att, T * g->qdim * 2));
    CK(cudaMalloc((void **)&g->gu, T * 2 * g->hid * 2));
    CK(cudaMalloc((void **)&g->h, T * g->hid * 2));
    if (tp > 1)
        CK(cudaMalloc((void **)&g->partial, T * c->dim * sizeof(float)));
    CK(cudaMalloc((void **)&g->logits, (size_t)g->max_out * c->vocab * sizeof(float)));
    if (dt == OMEGA_LLM_INT8 && max_tok > W8_MAX_TOK) {
        size_t big = (size_t)2 * c->hidden * c->dim;
        if ((size_t)c->vocab * c->dim > big) big = (size_t)c->vocab * c->dim;
        CK(cudaMalloc((void **)&g->dq, big * 2));
    }
    if (max_tok >= 16) {
        g->prefill_max = max_tok;
        if (g->hd != 32 && g->hd != 64 && g->hd != 128)   /* the flash kernel's head sizes need no scores */
            CK(cudaMalloc((void **)&g->scores, (size_t)g->nh * T * T * 2));
    }
    g->in_words = 4 * T + (size_t)max_seqs * pt_stride;
    CK(cudaMalloc((void **)&g->d_in, g->in_words * 4));
    CK(cudaMalloc((void **)&g->d_argmax, (size_t)g->max_out * 4));
    {
        int n_pos = c->max_seq, half = g->hd / 2;
        CK(cudaMalloc((void **)&g->rope, (size_t)n_pos * half * sizeof(float2)));
        k_rope_table<<<grid_for((uint64_t)n_pos * half), 256, 0, g->s>>>(g->rope, n_pos, g->hd, c->rope_theta);
        CK(cudaGetLastError());
        CK(cudaMalloc((void **)&g->dv_count, (size_t)2 * c->n_layers * sizeof(unsigned)));
        CK(cudaMemsetAsync(g->dv_count, 0, (size_t)2 * c->n_layers * sizeof(unsigned), g->s));
    }
    CK(cudaMallocHost((void **)&g->h_in, g->in_words * 4));
    CK(cudaMallocHost((void **)&g->h_argmax, (size_t)g->max_out * 4));
    g->d_tok = g->d_in;
    g->d_pos = g->d_in + T;
    g->d_seq = g->d_in + 2 * T;
    g->d_rows = g->d_in + 3 * T;
    g->d_pt = g->d_in + 4 * T;
    size_t groups = ATT_THREADS / (g->hd / 8);
    g->att_smem = ((size_t)g->hd + (size_t)c->max_seq + 32 + groups * g->hd) * sizeof(float);
    if (g->att_smem > 200 * 1024) {
        snprintf(why, whylen, "context %d too long for the attention kernel's shared memory", c->max_seq);
        return -1;
    }
    CK(cudaFuncSetAttribute(k_attention, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)g->att_smem));
    if (tp <= 1 && g->fused) {
        char ps_why[160] = "";
        if (ps_setup(g, ps_why, sizeof ps_why) < 0) {
            snprintf(why, whylen, "persistent step: %s", ps_why);
            return -1;
        }
        if (getenv("OMEGA_LLM_PERSIST_SAY"))   /* development: which one-token step this engine takes */
            fprintf(stderr,
                    "llm: persistent step %s (%d blocks, %d ring slots, %zu bytes shared, split %d, K/V staged up to "
                    "%d positions)\n",
                    g->persist ? "on" : ps_why, g->ps_blocks, g->ps_ns, g->ps_smem, g->ps_split, g->ps_kvcap);
    }
    if (cc_setup(g, why, whylen) < 0)   /* keys always ready: the path can be switched between steps */
        return -1;
    CK(cudaStreamSynchronize(g->s));
    return 0;
}

extern "C" int llmc_open(struct llmc **out, const struct omega_llm_config *c, enum omega_llm_dtype dt, uint64_t seed,
                         const struct llm_host_weights *w, int n_pages, int page_tokens, int max_tok, int max_seqs,
                         int pt_stride, int cc, int gpu, int tp, char *why, size_t whylen)
{
    *out = NULL;
    int ndev = 0;
    cudaError_t e = cudaGetDeviceCount(&ndev);
    if (e != cudaSuccess || ndev == 0) {
        snprintf(why, whylen, "no CUDA device (%s)", e != cudaSuccess ? cudaGetErrorString(e) : "none found");
        return -1;
    }
    if (tp < 1)
        tp = 1;
    if (gpu < 0 || gpu + tp > ndev) {
        snprintf(why, whylen, "CUDA devices %d..%d asked for, %d present", gpu, gpu + tp - 1, ndev);
        return -1;
    }
    struct llmc *g = (struct llmc *)calloc(1, sizeof *g);
    if (!g) { snprintf(why, whylen, "out of host memory"); return -1; }
    *out = g;   /* the caller frees a half-built engine with llmc_close */
    if (tp == 1)
        return shard_open(g, c, dt, seed, w, n_pages, page_tokens, max_tok, max_seqs, pt_stride, cc, gpu, 1, 0, NULL,
                          why, whylen);
    if (dt != OMEGA_LLM_BF16 || w || c->n_heads % tp || c->n_kv_heads % tp || c->hidden % tp) {
        snprintf(why, whylen, "tensor parallelism over %d GPUs needs bf16 dummy weights and heads, KV heads and FFN "
                 "width divisible by %d", tp, tp);
        return -1;
    }
    g->c = *c;
    g->dt = dt;
    g->tp = tp;
    g->shards = (struct llmc **)calloc((size_t)tp, sizeof *g->shards);
    g->comms = (ncclComm_t *)calloc((size_t)tp, sizeof *g->comms);
    int devs[64];
    if (!g->shards || !g->comms || tp > 64) { snprintf(why, whylen, "out of host memory"); return -1; }
    for (int r = 0; r < tp; r++)
        devs[r] = gpu + r;
    ncclResult_t nr = ncclCommInitAll(g->comms, tp, devs);
    if (nr != ncclSuccess) {
        free(g->comms);
        g->comms = NULL;
        snprintf(why, whylen, "ncclCommInitAll over %d GPUs: %s", tp, ncclGetErrorString(nr));
        return -1;
    }
    for (int r = 0; r < tp; r++) {
        if (!(g->shards[r] = (struct llmc *)calloc(1, sizeof **g->shards))) { snprintf(why, whylen, "out of memory"); return -1; }
        if (shard_open(g->shards[r], c, dt, seed, NULL, n_pages, page_tokens, max_tok, max_seqs, pt_stride, cc,
                       gpu + r, tp, r, g->comms[r], why, whylen) < 0)
            return -1;
    }
    /* NCCL sets up its connections on the first collective; that must not happen inside a graph
     * capture, so one small all-reduce runs now. */
    ncclGroupStart();
    for (int r = 0; r < tp; r++) {
        cudaSetDevice(g->shards[r]->dev);
        ncclAllReduce(g->shards[r]->partial, g->shards[r]->partial, 1, ncclFloat, ncclSum, g->comms[r], g->shards[r]->s);
    }
    nr = ncclGroupEnd();
    for (int r = 0; r < tp; r++) {
        cudaSetDevice(g->shards[r]->dev);
        if (cudaStreamSynchronize(g->shards[r]->s) != cudaSuccess)
            nr = ncclSystemError;
    }
    if (nr != ncclSuccess) {
        snprintf(why, whylen, "first all-reduce over %d GPUs failed: %s", tp, ncclGetErrorString(nr));
        return -1;
    }
    g->max_tok = max_tok;
    g->max_out = g->shards[0]->max_out;
    g->kvdim = g->shards[0]->kvdim;
    return 0;
}

static void shard_close(struct llmc *g);

extern "C" void llmc_close(struct llmc *g)
{
    if (!g)
        return;
    if (g->shards) {
        for (int r = 0; r < g->tp; r++)
            shard_close(g->shards[r]);
        free(g->shards);
    }
    if (g->comms) {
        for (int r = 0; r < g->tp; r++)
            if (g->comms[r])
                ncclCommDestroy(g->comms[r]);
        free(g->comms);
    }
    if (g->shards || g->tp > 1) {
        free(g);
        return;
    }
    shard_close(g);
}

static void shard_close(struct llmc *g)
{
    if (!g)
        return;
    cudaSetDevice(g->dev);
    if (g->s)
        cudaStreamSynchronize(g->s);
    prof_report(g);
    ps_trace_dump(g);
    for (size_t i = 0; i < sizeof g->graphs / sizeof g->graphs[0]; i++)
        if (g->graphs[i])
            cudaGraphExecDestroy(g->graphs[i]);
    if (g->L) {
        for (int l = 0; l < g->c.n_layers; l++) {
            lin_free(&g->L[l].qkv);
            lin_free(&g->L[l].wo);
            lin_free(&g->L[l].w13);
            lin_free(&g->L[l].w2);
            cudaFree(g->L[l].attn_norm);
            cudaFree(g->L[l].ffn_norm);
        }
        free(g->L);
    }
    lin_free(&g->out);
    void *bufs[] = {g->embed, g->norm, g->k_pool, g->v_pool, g->x, g->xb, g->qkv, g->att, g->gu, g->h,
                    g->logits, g->dq, g->scores, g->partial, g->d_in, g->d_argmax, g->workspace, g->d_bounce,
                    g->rope, g->dv_count, g->ps_layers, g->ps_gbar, g->ps_part, g->ps_bal, g->ps_stat};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        cudaFree(bufs[i]);
    cudaFreeHost(g->h_in);
    cudaFreeHost(g->h_argmax);
    cudaFreeHost(g->h_bounce);
    if (g->cublas)
        cublasDestroy(g->cublas);
    if (g->s)
        cudaStreamDestroy(g->s);
    omega_seal_free(g->h2d_send);
    omega_seal_free(g->h2d_recv);
    omega_seal_free(g->d2h_send);
    omega_seal_free(g->d2h_recv);
    omega_cuda_gcm_free(g->gcm_in);
    omega_cuda_gcm_free(g->gcm_out);
    free(g);
}

static int shard_forward(struct llmc *g, const struct llm_batch *b, char *why, size_t whylen)
{
    int T = b->n_tok;
    if (T > g->max_tok || b->n_out > g->max_out || b->n_seq > g->max_seqs || b->pt_stride != g->pt_stride) {
        snprintf(why, whylen, "batch of %d tokens / %d outputs / %d sequences over the engine's limits", T, b->n_out,
                 b->n_seq);
        return -1;
    }
    CK(cudaSetDevice(g->dev));
    /* Agents' data (the tokens) goes through the sealed path; positions and page tables are the
     * runtime's own bookkeeping and travel in the clear, as a CC driver's launch parameters do. */
    size_t T0 = (size_t)g->max_tok;
    int32_t *hi = g->h_in;
    memcpy(hi, b->tokens, (size_t)T * 4);
    memcpy(hi + T0, b->pos, (size_t)T * 4);
    memcpy(hi + 2 * T0, b->seq, (size_t)T * 4);
    memcpy(hi + 3 * T0, b->out_rows, (size_t)b->n_out * 4);
    memcpy(hi + 4 * T0, b->page_table, (size_t)b->n_seq * b->pt_stride * 4);
    size_t words = 4 * T0 + (size_t)b->n_seq * b->pt_stride;
    if (g->cc) {
        CK(cudaMemcpyAsync(g->d_in + T0, hi + T0, (words - T0) * 4, cudaMemcpyHostToDevice, g->s));
        if (cc_copy_in(g, g->d_tok, b->tokens, (size_t)T * 4, why, whylen) < 0)
            return -1;
    } else {
        CK(cudaMemcpyAsync(g->d_in, hi, words * 4, cudaMemcpyHostToDevice, g->s));
    }
    /* A fresh prompt (one sequence from position 0) takes the tensor-core attention path. */
    int fresh = b->n_seq == 1 && T > 1 && T <= g->prefill_max;
    for (int i = 0; fresh && i < T; i++)
        fresh = b->pos[i] == i;
    /* Decode steps (one token per sequence, every row out) replay a graph captured per batch size. */
    int decode = !g->prof.on && b->n_out == T && T < (int)(sizeof g->graphs / sizeof g->graphs[0]);
    for (int i = 0; decode && i < T; i++)
        decode = b->out_rows[i] == i && b->seq[i] == i;
    if (decode) {
        if (T == 1 && g->persist && !g->ps_cal_done)
            ps_calibrate(g);
        if (!g->graphs[T]) {
            cudaGraph_t graph;
            CK(cudaStreamBeginCapture(g->s, cudaStreamCaptureModeThreadLocal));
            int rc = forward_dev(g, T, T, 0);
            cudaError_t e = cudaStreamEndCapture(g->s, &graph);
            if ((rc < 0 || e != cudaSuccess) && T == 1 && g->persist) {
                /* a driver that cannot capture a cooperative launch: the step takes the fused kernels */
                if (e == cudaSuccess)
                    cudaGraphDestroy(graph);
                cudaGetLastError();
                g->persist = 0;
                CK(cudaStreamBeginCapture(g->s, cudaStreamCaptureModeThreadLocal));
                rc = forward_dev(g, T, T, 0);
                e = cudaStreamEndCapture(g->s, &graph);
            }
            if (rc < 0 || e != cudaSuccess) {
                snprintf(why, whylen, "graph capture failed (%s)", cudaGetErrorString(e));
                return -1;
            }
            CK(cudaGraphInstantiate(&g->graphs[T], graph, 0));
            cudaGraphDestroy(graph);
        }
        CK(cudaGraphLaunch(g->graphs[T], g->s));
    } else if (forward_dev(g, T, b->n_out, fresh) < 0) {
        snprintf(why, whylen, "kernel or cuBLAS launch failed");
        return -1;
    }
    int n = b->n_out;
    if (n > 0 && b->argmax) {
        if (g->cc) {
            if (cc_copy_out(g, b->argmax, g->d_argmax, (size_t)n * 4, why, whylen) < 0)
                return -1;
        } else {
            CK(cudaMemcpyAsync(g->h_argmax, g->d_argmax, (size_t)n * 4, cudaMemcpyDeviceToHost, g->s));
            CK(cudaStreamSynchronize(g->s));
            memcpy(b->argmax, g->h_argmax, (size_t)n * 4);
        }
    }
    if (n > 0 && b->logits) {
        size_t bytes = (size_t)n * g->c.vocab * sizeof(float);
        if (g->cc) {
            if (cc_copy_out(g, b->logits, g->logits, bytes, why, whylen) < 0)
                return -1;
        } else {
            CK(cudaMemcpyAsync(b->logits, g->logits, bytes, cudaMemcpyDeviceToHost, g->s));
        }
    }
    CK(cudaStreamSynchronize(g->s));
    prof_collect(g);
    return 0;
}

/* One launch per page over every layer, K and V: pages are scrubbed (or filled) in place. */
__global__ void k_page_set(bf16 *kp, bf16 *vp, int n_layers, int n_pages, int page, size_t per, int fill,
                           uint64_t seed)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < per * n_layers * 2;
         i += (size_t)gridDim.x * blockDim.x) {
        size_t which = i / (per * n_layers), l = (i / per) % n_layers, j = i % per;
        bf16 *dst = (which ? vp : kp) + ((size_t)l * n_pages + page) * per + j;
        *dst = __float2bfloat16(fill ? llm_dummy_kv(seed + l * 2 + which, j) : 0.0f);
    }
}

struct shard_job {
    struct llmc *g;
    struct llm_batch b;
    char why[256];
    int rc;
};

static void *shard_thread(void *arg)
{
    struct shard_job *j = (struct shard_job *)arg;
    j->rc = shard_forward(j->g, &j->b, j->why, sizeof j->why);
    return NULL;
}

extern "C" int llmc_forward(struct llmc *g, const struct llm_batch *b, char *why, size_t whylen)
{
    if (!g->shards)
        return shard_forward(g, b, why, whylen);
    /* One host thread per GPU: each shard's step (or graph) meets the others in the all-reduces.
     * Every shard computes the full logits; only shard 0's are returned. */
    struct shard_job jobs[64];
    pthread_t th[64];
    int started = 0;
    for (int r = 0; r < g->tp; r++) {
        jobs[r].g = g->shards[r];
        jobs[r].b = *b;
        jobs[r].why[0] = 0;
        jobs[r].rc = -1;
        if (r > 0) {
            jobs[r].b.logits = NULL;
            jobs[r].b.argmax = NULL;
        }
        if (pthread_create(&th[r], NULL, shard_thread, &jobs[r]) != 0)
            break;
        started++;
    }
    int rc = started == g->tp ? 0 : -1;
    for (int r = 0; r < started; r++) {
        pthread_join(th[r], NULL);
        if (jobs[r].rc < 0 && rc == 0) {
            snprintf(why, whylen, "shard %d: %s", r, jobs[r].why);
            rc = -1;
        }
    }
    if (started != g->tp)
        snprintf(why, whylen, "cannot start a thread per GPU");
    return rc;
}

static int shard_page_zero(struct llmc *g, int page);
static int shard_page_fill(struct llmc *g, int page, uint64_t seed);

extern "C" int llmc_page_zero(struct llmc *g, int page)
{
    if (!g->shards)
        return shard_page_zero(g, page);
    int rc = 0;
    for (int r = 0; r < g->tp; r++)
        rc |= shard_page_zero(g->shards[r], page);
    return rc ? -1 : 0;
}

extern "C" int llmc_page_fill(struct llmc *g, int page, uint64_t seed)
{
    if (!g->shards)
        return shard_page_fill(g, page, seed);
    int rc = 0;
    for (int r = 0; r < g->tp; r++)
        rc |= shard_page_fill(g->shards[r], page, seed);
    return rc ? -1 : 0;
}

static int shard_page_zero(struct llmc *g, int page)
{
    cudaSetDevice(g->dev);
    size_t per = (size_t)g->pt * g->kvdim;
    k_page_set<<<grid_for(per * g->c.n_layers * 2), 256, 0, g->s>>>(g->k_pool, g->v_pool, g->c.n_layers, g->n_pages,
                                                                    page, per, 0, 0);
    return cudaGetLastError() == cudaSuccess ? 0 : -1;
}

static int shard_page_fill(struct llmc *g, int page, uint64_t seed)
{
    cudaSetDevice(g->dev);
    size_t per = (size_t)g->pt * g->kvdim;
    k_page_set<<<grid_for(per * g->c.n_layers * 2), 256, 0, g->s>>>(g->k_pool, g->v_pool, g->c.n_layers, g->n_pages,
                                                                    page, per, 1, seed);
    return cudaGetLastError() == cudaSuccess ? 0 : -1;
}

extern "C" int llmc_kv_row(struct llmc *g, int layer, int which_v, int page, int slot, float *out, int n)
{
    if (g->shards)   /* shard 0's heads */
        g = g->shards[0];
    cudaSetDevice(g->dev);
    size_t off = (((size_t)layer * g->n_pages + page) * g->pt + slot) * g->kvdim;
    uint16_t tmp[16384];
    if (n > 16384 || cudaStreamSynchronize(g->s) != cudaSuccess ||
        cudaMemcpy(tmp, (which_v ? g->v_pool : g->k_pool) + off, (size_t)n * 2, cudaMemcpyDeviceToHost) != cudaSuccess)
        return -1;
    for (int i = 0; i < n; i++)
        out[i] = llm_bf16_bits_to_f32(tmp[i]);
    return 0;
}

static int lin_to_host(const struct lin *l, int r0, int rows, float *dst)
{
    size_t n = (size_t)rows * l->cols;
    uint16_t *tmp = (uint16_t *)malloc(n * 2);
    if (!tmp || !l->w || cudaMemcpy(tmp, l->w + (size_t)r0 * l->cols, n * 2, cudaMemcpyDeviceToHost) != cudaSuccess) {
        free(tmp);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        dst[i] = llm_bf16_bits_to_f32(tmp[i]);
    free(tmp);
    return 0;
}

extern "C" int llmc_export_host(struct llmc *g, struct llm_host_weights *w)
{
    const struct omega_llm_config *c = &g->c;
    int d = c->dim, kv = g->kvdim, h = c->hidden, rc = 0;
    if (g->dt != OMEGA_LLM_BF16 || g->tp > 1)
        return -1;
    struct lin e = {c->vocab, d, g->embed, NULL, NULL};
    rc |= lin_to_host(&e, 0, c->vocab, w->embed);
    rc |= lin_to_host(&g->out, 0, c->vocab, w->output);
    rc |= cudaMemcpy(w->norm, g->norm, (size_t)d * 4, cudaMemcpyDeviceToHost) != cudaSuccess;
    for (int l = 0; l < c->n_layers && rc == 0; l++) {
        struct layer *L = &g->L[l];
        rc |= lin_to_host(&L->qkv, 0, d, w->wq[l]);
        rc |= lin_to_host(&L->qkv, d, kv, w->wk[l]);
        rc |= lin_to_host(&L->qkv, d + kv, kv, w->wv[l]);
        rc |= lin_to_host(&L->wo, 0, d, w->wo[l]);
        rc |= lin_to_host(&L->w13, 0, h, w->gate[l]);
        rc |= lin_to_host(&L->w13, h, h, w->up[l]);
        rc |= lin_to_host(&L->w2, 0, d, w->down[l]);
        rc |= cudaMemcpy(w->attn_norm[l], L->attn_norm, (size_t)d * 4, cudaMemcpyDeviceToHost) != cudaSuccess;
        rc |= cudaMemcpy(w->ffn_norm[l], L->ffn_norm, (size_t)d * 4, cudaMemcpyDeviceToHost) != cudaSuccess;
    }
    return rc ? -1 : 0;
}

extern "C" void llmc_sync(struct llmc *g)
{
    for (int r = 0; r < (g->shards ? g->tp : 1); r++) {
        struct llmc *x = g->shards ? g->shards[r] : g;
        cudaSetDevice(x->dev);
        cudaStreamSynchronize(x->s);
    }
}

extern "C" uint64_t llmc_weight_bytes_on_device(const struct llmc *g)
{
    uint64_t sum = 0;
    for (int r = 0; r < (g->shards ? g->tp : 1); r++)
        sum += (g->shards ? g->shards[r] : g)->weight_bytes;
    return sum;
}

extern "C" int llmc_set_cc(struct llmc *g, int on)
{
    for (int r = 0; r < (g->shards ? g->tp : 1); r++)
        (g->shards ? g->shards[r] : g)->cc = on;
    return 0;
}

/* ---------------- device ceilings for the benchmark ---------------- */

#define CKE(call)                                                                                       \
    do {                                                                                                \
        cudaError_t e_ = (call);                                                                        \
        if (e_ != cudaSuccess)                                                                          \
            OMEGA_FAIL(err, OMEGA_EUNAVAIL, "%s: %s", #call, cudaGetErrorString(e_));                   \
    } while (0)

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

extern "C" int omega_llm_cuda_copy_bw(int gpu, double *gbps, struct omega_error *err)
{
    CKE(cudaSetDevice(gpu));
    size_t n = 2ull << 30;   /* 2 GiB each way: far beyond the 50 MB L2 */
    void *a = NULL, *b = NULL;
    CKE(cudaMalloc(&a, n));
    if (cudaMalloc(&b, n) != cudaSuccess) {
        cudaFree(a);
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "cannot allocate copy buffers");
    }
    cudaMemset(a, 1, n);
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    double t[20];
    for (int i = 0; i < 23; i++) {
        cudaEventRecord(e0);
        cudaMemcpy(b, a, n, cudaMemcpyDeviceToDevice);
        cudaEventRecord(e1);
        cudaEventSynchronize(e1);
        float ms = 0;
        cudaEventElapsedTime(&ms, e0, e1);
        if (i >= 3)
            t[i - 3] = ms;
    }
    qsort(t, 20, sizeof t[0], cmp_d);
    *gbps = 2.0 * (double)n / (t[10] * 1e-3) / 1e9;
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    cudaFree(a);
    cudaFree(b);
    return 0;
}

extern "C" int omega_llm_cuda_gemm_tflops(int gpu, int m, int n, int k, double *tflops, struct omega_error *err)
{
    CKE(cudaSetDevice(gpu));
    bf16 *a = NULL, *b = NULL, *c = NULL;
    void *ws = NULL;
    CKE(cudaMalloc((void **)&a, (size_t)m * k * 2));
    CKE(cudaMalloc((void **)&b, (size_t)k * n * 2));
    CKE(cudaMalloc((void **)&c, (size_t)m * n * 2));
    CKE(cudaMalloc(&ws, 32u << 20));
    k_gen_bf16<<<grid_for((uint64_t)m * k), 256>>>(a, (uint64_t)m * k, 1, 1, 3, k);
    k_gen_bf16<<<grid_for((uint64_t)k * n), 256>>>(b, (uint64_t)k * n, 2, 1, 3, k);
    cublasHandle_t h;
    if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "cublasCreate failed");
    cublasSetWorkspace(h, ws, 32u << 20);
    float one = 1, zero = 0;
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    double t[20];
    int bad = 0;
    for (int i = 0; i < 25; i++) {
        cudaEventRecord(e0);
        bad |= cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &one, a, CUDA_R_16BF, k, b, CUDA_R_16BF, k, &zero, c,
                            CUDA_R_16BF, m, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT) != CUBLAS_STATUS_SUCCESS;
        cudaEventRecord(e1);
        cudaEventSynchronize(e1);
        float ms = 0;
        cudaEventElapsedTime(&ms, e0, e1);
        if (i >= 5)
            t[i - 5] = ms;
    }
    qsort(t, 20, sizeof t[0], cmp_d);
    *tflops = 2.0 * m * n * (double)k / (t[10] * 1e-3) / 1e12;
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    cublasDestroy(h);
    cudaFree(a);
    cudaFree(b);
    cudaFree(c);
    cudaFree(ws);
    if (bad)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "cublasGemmEx failed");
    return 0;
}

extern "C" int omega_llm_cuda_meminfo(int gpu, uint64_t *free_b, uint64_t *total_b, char *name, size_t namelen,
                                      int *driver, struct omega_error *err)
{
    CKE(cudaSetDevice(gpu));
    size_t f = 0, t = 0;
    CKE(cudaMemGetInfo(&f, &t));
    *free_b = f;
    *total_b = t;
    cudaDeviceProp p;
    CKE(cudaGetDeviceProperties(&p, gpu));
    snprintf(name, namelen, "%s", p.name);
    *driver = 0;
    cudaDriverGetVersion(driver);
    return 0;
}
