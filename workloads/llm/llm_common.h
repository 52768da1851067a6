/* Internal: what the CPU reference and the CUDA kernels must compute identically (the seeded dummy
 * weights, bf16 rounding, rotary frequencies), written once for both compilers. */
#ifndef OMEGA_LLM_COMMON_H
#define OMEGA_LLM_COMMON_H

#include <math.h>
#include <stdint.h>

#ifdef __CUDACC__
#define OMEGA_HD __host__ __device__ __forceinline__
#else
#define OMEGA_HD static inline
#endif

OMEGA_HD uint64_t llm_splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Round a float to the nearest bf16 (ties to even) and back; NaN stays NaN. */
OMEGA_HD float llm_bf16_round(float f)
{
    union { float f; uint32_t u; } v;
    v.f = f;
    if ((v.u & 0x7f800000u) == 0x7f800000u)
        return f;
    v.u = (v.u + 0x7fffu + ((v.u >> 16) & 1u)) & 0xffff0000u;
    return v.f;
}

OMEGA_HD uint16_t llm_f32_to_bf16_bits(float f)
{
    union { float f; uint32_t u; } v;
    v.f = llm_bf16_round(f);
    return (uint16_t)(v.u >> 16);
}

OMEGA_HD float llm_bf16_bits_to_f32(uint16_t b)
{
    union { float f; uint32_t u; } v;
    v.u = (uint32_t)b << 16;
    return v.f;
}

/* Tensor id of a weight: 0..2 global (embedding, final norm, output), then 9 per layer. */
OMEGA_HD uint32_t llm_tensor_id(int layer, int kind)
{
    return kind < 3 ? (uint32_t)kind : 3u + (uint32_t)layer * 9u + (uint32_t)(kind - 3);
}

/* The dummy weight value of element idx of tensor id: uniform, scaled so activations stay O(1)
 * (norm weights near 1), already rounded to bf16 so every device holds exactly the same model. */
OMEGA_HD float llm_dummy_weight(uint64_t seed, uint32_t id, int kind, uint64_t idx, int fan_in)
{
    uint64_t h = llm_splitmix64(seed * 0x2545F4914F6CDD1Dull ^ ((uint64_t)id << 40) ^ idx);
    float u = (float)(h >> 40) * (1.0f / 8388608.0f) - 1.0f;  /* [-1, 1) */
    float a;
    if (kind == 1 || kind == 10 || kind == 11)   /* RMSNorm weights */
        return llm_bf16_round(1.0f + 0.1f * u);
    if (kind == 0)
        a = 1.0f;
    else
        a = 1.7320508f * (1.0f / sqrtf((float)fan_in));
    if (kind == 2)
        a *= 2.0f;   /* sharper output distribution: greedy choices are not near-ties */
    return llm_bf16_round(a * u);
}

/* Seeded KV filler for density runs (contents are irrelevant to timing, only bounded). */
OMEGA_HD float llm_dummy_kv(uint64_t seed, uint64_t idx)
{
    uint64_t h = llm_splitmix64(seed ^ idx);
    return (float)(h >> 40) * (1.0f / 8388608.0f) - 1.0f;
}

#endif
