/* libFuzzer: certificate bundles (PEM/DER), AMD's extensions, NVIDIA's TcbInfo FWID, chain checks. */
#include <stdint.h>
#include <time.h>

#include "attest/cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    STACK_OF(X509) *s = NULL;
    if (omega_cert_load(data, size, &s, NULL) < 0)
        return 0;
    for (int i = 0; i < sk_X509_num(s); i++) {
        struct omega_amd_ext ext;
        uint8_t fwid[48];
        (void)omega_amd_ext_read(sk_X509_value(s, i), &ext, NULL);
        (void)omega_nv_leaf_fwid(sk_X509_value(s, i), fwid, NULL);
    }
    int emu;
    (void)omega_nv_chain_verify(s, (int64_t)time(NULL), OMEGA_TRUST_VENDOR | OMEGA_TRUST_EMU, &emu, NULL);
    if (sk_X509_num(s) == 3)
        (void)omega_amd_chain_verify(sk_X509_value(s, 0), sk_X509_value(s, 1), sk_X509_value(s, 2), OMEGA_SNP_MILAN,
                                     (int64_t)time(NULL), OMEGA_TRUST_VENDOR | OMEGA_TRUST_EMU, &emu, NULL);
    sk_X509_pop_free(s, X509_free);
    return 0;
}
