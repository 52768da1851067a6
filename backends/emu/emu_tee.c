/* Emulated AMD secure processor. Placeholder until the attestation work lands: refuses honestly. */
#include <string.h>

#include "core/backend_impl.h"

static int emu_tee_probe(char *why, size_t whylen)
{
    (void)why;
    (void)whylen;
    return 0;
}

static int emu_tee_open(struct omega_tee *tee, const struct omega_config *cfg, struct omega_error *err)
{
    (void)tee;
    (void)cfg;
    (void)err;
    return 0;
}

static void emu_tee_close(struct omega_tee *tee) { (void)tee; }

static int emu_tee_report(struct omega_tee *tee, const uint8_t report_data[64], unsigned vmpl, struct omega_buf *report,
                          struct omega_buf *chain, struct omega_error *err)
{
    (void)tee; (void)report_data; (void)vmpl; (void)report; (void)chain;
    OMEGA_FAIL(err, OMEGA_EUNAVAIL, "emulated SNP reports are not implemented yet");
}

const struct omega_tee_ops omega_tee_emu = {
    .version = OMEGA_BACKEND_ABI,
    .name = "emu",
    .caps = OMEGA_CAP_REPORT,
    .probe = emu_tee_probe,
    .open = emu_tee_open,
    .close = emu_tee_close,
    .report = emu_tee_report,
};
