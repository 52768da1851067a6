/* Without CUDA the device-side AES-GCM reports that it is not built. */
#include <stdio.h>

#include "config.h"
#include "backends/cuda/gcm.h"

#ifndef CONFIG_CUDA
int omega_cuda_gcm_probe(char *why, size_t whylen)
{
    snprintf(why, whylen, "built without CUDA");
    return -1;
}
int omega_cuda_gcm_new(struct omega_cuda_gcm **out, const uint8_t key[32]) { *out = NULL; return OMEGA_EUNAVAIL; }
void omega_cuda_gcm_free(struct omega_cuda_gcm *g) { (void)g; }
int omega_cuda_gcm_open(struct omega_cuda_gcm *g, const uint8_t iv[12], const uint8_t tag[16], const void *dev_ct,
                        void *dev_dst, size_t n, void *stream) { return OMEGA_EUNAVAIL; }
int omega_cuda_gcm_seal(struct omega_cuda_gcm *g, const uint8_t iv[12], const void *dev_src, void *dev_ct, size_t n,
                        uint8_t tag[16], void *stream) { return OMEGA_EUNAVAIL; }
int omega_cuda_gcm_test_open(struct omega_cuda_gcm *g, const uint8_t iv[12], const uint8_t tag[16], const uint8_t *ct,
                             uint8_t *out, size_t n) { return OMEGA_EUNAVAIL; }
int omega_cuda_gcm_test_seal(struct omega_cuda_gcm *g, const uint8_t iv[12], const uint8_t *in, uint8_t *ct, size_t n,
                             uint8_t tag[16]) { return OMEGA_EUNAVAIL; }
#endif
