/* AES-256-GCM on the GPU: the device side of the confidential data path (decrypt and authenticate
 * host→device transfers, seal device→host ones), as an H100's copy engine does in CC mode. */
#ifndef OMEGA_CUDA_GCM_H
#define OMEGA_CUDA_GCM_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct omega_cuda_gcm;

/* 0 when a CUDA device can run the kernels; else why not, in one line. */
int omega_cuda_gcm_probe(char *why, size_t whylen);
/* Device-side context for one key (round keys and H powers live in kernel parameters). */
int omega_cuda_gcm_new(struct omega_cuda_gcm **out, const uint8_t key[32]) OMEGA_MUST_CHECK;
/* Free (NULL is a no-op); the key material is wiped. */
void omega_cuda_gcm_free(struct omega_cuda_gcm *g);
/* Ciphertext already in device memory: decrypt into dev_dst only if the tag verifies (OMEGA_EVERIFY
 * otherwise, dev_dst untouched); stream is a cudaStream_t (NULL: default). */
int omega_cuda_gcm_open(struct omega_cuda_gcm *g, const uint8_t iv[12], const uint8_t tag[16], const void *dev_ct,
                        void *dev_dst, size_t n, void *stream) OMEGA_MUST_CHECK;
/* Encrypt n device bytes at dev_src into dev_ct and return the tag (synchronizes the stream). */
int omega_cuda_gcm_seal(struct omega_cuda_gcm *g, const uint8_t iv[12], const void *dev_src, void *dev_ct, size_t n,
                        uint8_t tag[16], void *stream) OMEGA_MUST_CHECK;
/* Test helpers over host buffers: copy in, run open/seal on the device, copy out. */
int omega_cuda_gcm_test_open(struct omega_cuda_gcm *g, const uint8_t iv[12], const uint8_t tag[16], const uint8_t *ct,
                             uint8_t *out, size_t n) OMEGA_MUST_CHECK;
int omega_cuda_gcm_test_seal(struct omega_cuda_gcm *g, const uint8_t iv[12], const uint8_t *in, uint8_t *ct, size_t n,
                             uint8_t tag[16]) OMEGA_MUST_CHECK;

#endif
