/* libFuzzer: the SPDM GET_MEASUREMENTS parser (raw and hex) and the signature check on arbitrary bytes. */
#include <stdint.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "attest/gpu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct omega_gpu_evidence ev;
    static EVP_PKEY *key;
    if (!key)
        key = EVP_EC_gen("P-384");
    if (omega_gpu_evidence_parse(&ev, data, size, NULL) == 0 && key)
        (void)omega_gpu_evidence_verify_sig(&ev, data, key, NULL);
    struct omega_buf b;
    omega_buf_init(&b);
    if (omega_gpu_evidence_decode(data, size, &b, NULL) == 0)
        (void)omega_gpu_evidence_parse(&ev, b.data, b.len, NULL);
    omega_buf_fini(&b);
    return 0;
}
