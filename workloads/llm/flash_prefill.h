/* Causal flash attention for a fresh prompt on sm_90 (tensor-core mma.sync, FlashAttention-2 style). */
#ifndef LLM_FLASH_PREFILL_H
#define LLM_FLASH_PREFILL_H

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#ifdef __cplusplus
extern "C" {
#else
/* In C cuda_bf16.h declares only the raw struct; same size and alignment, so the pointers agree. */
typedef __nv_bfloat16_raw __nv_bfloat16;
#endif

/* Causal attention of one fresh prompt (positions 0..T-1) with bf16 inputs and output; 0, or -1 when
 * this head size is not supported (the caller falls back) or the launch failed. */
int llm_flash_prefill(const __nv_bfloat16 *qkv, int ld, int T, int nh, int nkv, int hd,
                      __nv_bfloat16 *out, int ldo, cudaStream_t s);

#ifdef __cplusplus
}
#endif

#endif
