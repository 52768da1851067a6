/* libFuzzer: differential-attestation evidence bundles (CBOR, COSE_Sign1, leaves and proofs). */
#include <stdint.h>

#include "attest/diffattest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct omega_evidence_opts o;
    omega_evidence_opts_init(&o);
    o.snp.trust = OMEGA_TRUST_VENDOR | OMEGA_TRUST_EMU;
    o.check_gpu = size & 1;
    struct omega_evidence_result res;
    if (omega_evidence_check(data, size, &o, &res, NULL) == 0)
        omega_evidence_result_fini(&res);
    return 0;
}
