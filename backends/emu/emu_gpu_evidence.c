/* Emulated H100 attestation evidence. Placeholder until the attestation work lands: refuses honestly. */
#include "backends/emu/emu.h"

int omega_emu_gpu_evidence(const uint8_t nonce[32], struct omega_buf *report, struct omega_buf *chain,
                           struct omega_error *err)
{
    (void)nonce;
    (void)report;
    (void)chain;
    OMEGA_FAIL(err, OMEGA_EUNAVAIL, "emulated GPU evidence is not implemented yet");
}
