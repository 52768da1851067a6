/* libFuzzer: the SEV-SNP report parser and the full verifier on arbitrary bytes (with the Milan VCEK). */
#include <stdint.h>
#include <string.h>

#include "attest/snp.h"
#include "attest/snp_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct omega_snp_report r;
    if (omega_snp_report_parse(&r, data, size, NULL) == 0) {
        uint8_t out[OMEGA_SNP_REPORT_LEN];
        omega_snp_report_serialize(&r, out);
        if (memcmp(out, data, OMEGA_SNP_REPORT_LEN) != 0)
            __builtin_trap();   /* parse accepted what serialize cannot reproduce */
    }
    /* The verifier with the input split as report and certificate bundle. */
    if (size > OMEGA_SNP_REPORT_LEN) {
        struct omega_snp_policy pol;
        omega_snp_policy_init(&pol);
        pol.trust = OMEGA_TRUST_VENDOR | OMEGA_TRUST_EMU;
        struct omega_snp_result res;
        (void)omega_snp_verify(data, OMEGA_SNP_REPORT_LEN, data + OMEGA_SNP_REPORT_LEN, size - OMEGA_SNP_REPORT_LEN,
                               NULL, 0, &pol, &res, NULL);
    }
    return 0;
}
