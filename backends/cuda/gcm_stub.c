/* The device-side AES-GCM as the main binary sees it: calls go to the CUDA plugin, or answer that
 * there is none (the cuda backend itself lives in the plugin and calls the kernels directly). */
#include <stdio.h>

#include "backends/cuda/gcm.h"
#include "backends/cuda/plugin.h"

#define PLUGIN_FN(name) \
    static __typeof__(&name) fn_##name; \
    if (!fn_##name) \
        fn_##name = (__typeof__(&name))omega_cuda_sym(#name, why, sizeof why)

int omega_cuda_gcm_probe(char *whyout, size_t whylen)
{
    char why[512] = "";
    PLUGIN_FN(omega_cuda_gcm_probe);
    if (!fn_omega_cuda_gcm_probe) {
        snprintf(whyout, whylen, "%s", why);
        return -1;
    }
    return fn_omega_cuda_gcm_probe(whyout, whylen);
}

int omega_cuda_gcm_new(struct omega_cuda_gcm **out, const uint8_t key[32])
{
    char why[8];
    PLUGIN_FN(omega_cuda_gcm_new);
    if (!fn_omega_cuda_gcm_new) {
        *out = NULL;
        return OMEGA_EUNAVAIL;
    }
    return fn_omega_cuda_gcm_new(out, key);
}

void omega_cuda_gcm_free(struct omega_cuda_gcm *g)
{
    char why[8];
    PLUGIN_FN(omega_cuda_gcm_free);
    if (fn_omega_cuda_gcm_free)
        fn_omega_cuda_gcm_free(g);
}

int omega_cuda_gcm_open(struct omega_cuda_gcm *g, const uint8_t iv[12], const uint8_t tag[16], const void *dev_ct,
                        void *dev_dst, size_t n, void *stream)
{
    char why[8];
    PLUGIN_FN(omega_cuda_gcm_open);
    return fn_omega_cuda_gcm_open ? fn_omega_cuda_gcm_open(g, iv, tag, dev_ct, dev_dst, n, stream) : OMEGA_EUNAVAIL;
}

int omega_cuda_gcm_seal(struct omega_cuda_gcm *g, const uint8_t iv[12], const void *dev_src, void *dev_ct, size_t n,
                        uint8_t tag[16], void *stream)
{
    char why[8];
    PLUGIN_FN(omega_cuda_gcm_seal);
    return fn_omega_cuda_gcm_seal ? fn_omega_cuda_gcm_seal(g, iv, dev_src, dev_ct, n, tag, stream) : OMEGA_EUNAVAIL;
}

int omega_cuda_gcm_test_open(struct omega_cuda_gcm *g, const uint8_t iv[12], const uint8_t tag[16], const uint8_t *ct,
                             uint8_t *out, size_t n)
{
    char why[8];
    PLUGIN_FN(omega_cuda_gcm_test_open);
    return fn_omega_cuda_gcm_test_open ? fn_omega_cuda_gcm_test_open(g, iv, tag, ct, out, n) : OMEGA_EUNAVAIL;
}

int omega_cuda_gcm_test_seal(struct omega_cuda_gcm *g, const uint8_t iv[12], const uint8_t *in, uint8_t *ct, size_t n,
                             uint8_t tag[16])
{
    char why[8];
    PLUGIN_FN(omega_cuda_gcm_test_seal);
    return fn_omega_cuda_gcm_test_seal ? fn_omega_cuda_gcm_test_seal(g, iv, in, ct, n, tag) : OMEGA_EUNAVAIL;
}
