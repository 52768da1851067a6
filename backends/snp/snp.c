/* Real SEV-SNP guest backend: probes for /dev/sev-guest or configfs-tsm. Report fetching lands with
 * the attestation work; until then an available device is still reported as not usable, honestly. */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/backend_impl.h"

static int snp_probe(char *why, size_t whylen)
{
    struct stat st;
    int dev = stat("/dev/sev-guest", &st) == 0;
    int tsm = stat("/sys/kernel/config/tsm/report", &st) == 0;
    if (!dev && !tsm) {
        snprintf(why, whylen, "not a SEV-SNP guest (no /dev/sev-guest, no /sys/kernel/config/tsm/report)");
        return -1;
    }
    snprintf(why, whylen, "SEV-SNP guest device found, but report fetching is not built yet");
    return -1;
}

static int snp_open(struct omega_tee *tee, const struct omega_config *cfg, struct omega_error *err)
{
    (void)tee; (void)cfg;
    OMEGA_FAIL(err, OMEGA_EUNAVAIL, "snp backend not available");
}

static void snp_close(struct omega_tee *tee) { (void)tee; }

static int snp_report(struct omega_tee *tee, const uint8_t rd[64], unsigned vmpl, struct omega_buf *report,
                      struct omega_buf *chain, struct omega_error *err)
{
    (void)tee; (void)rd; (void)vmpl; (void)report; (void)chain;
    OMEGA_FAIL(err, OMEGA_EUNAVAIL, "snp backend not available");
}

const struct omega_tee_ops omega_tee_snp = {
    .version = OMEGA_BACKEND_ABI,
    .name = "snp",
    .caps = OMEGA_CAP_REPORT,
    .probe = snp_probe,
    .open = snp_open,
    .close = snp_close,
    .report = snp_report,
};
