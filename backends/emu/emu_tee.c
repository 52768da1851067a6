/* The emu TEE backend: reports from the emulated AMD secure processor (backends/emu/emu_sp.c). The
 * launch measurement covers what was launched: the monitor's own executable image, as the PSP measures
 * the guest image pages at launch. */
#include <stdlib.h>
#include <string.h>

#include "backends/emu/emu_sp.h"
#include "core/backend_impl.h"
#include "core/util.h"

struct emu_tee {
    struct omega_emu_sp *sp;
    uint8_t measurement[48];
};

static int emu_tee_probe(char *why, size_t whylen)
{
    (void)why;
    (void)whylen;
    return 0;  /* software only: runs anywhere */
}

static int emu_tee_open(struct omega_tee *tee, const struct omega_config *cfg, struct omega_error *err)
{
    struct emu_tee *t = calloc(1, sizeof *t);
    if (!t)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    /* The chip: the configuration's seed, else $OMEGA_EMU_CHIP_SEED (so a shell can name several chips),
     * else the fixed test chip. */
    const char *seed = cfg->emu_chip_seed;
    if (!seed || !*seed)
        seed = getenv("OMEGA_EMU_CHIP_SEED");
    int rc = omega_emu_sp_new(&t->sp, seed && *seed ? seed : NULL, 0, err);
    if (rc < 0) {
        free(t);
        return rc;
    }
    struct omega_buf img;
    omega_buf_init(&img);
    static const char firmware[] = "omega emulated OVMF";
    const uint8_t *parts[2] = {(const uint8_t *)firmware, NULL};
    size_t lens[2] = {sizeof firmware - 1, 0};
    size_t n = 1;
    if (omega_buf_read_file(&img, "/proc/self/exe", (size_t)1 << 30, NULL) == 0) {
        parts[1] = img.data;
        lens[1] = img.len;
        n = 2;
    }
    omega_emu_sp_measure(parts, lens, n, t->measurement);
    omega_buf_fini(&img);
    tee->priv = t;
    return 0;
}

static void emu_tee_close(struct omega_tee *tee)
{
    struct emu_tee *t = tee->priv;
    if (!t)
        return;
    omega_emu_sp_free(t->sp);
    free(t);
    tee->priv = NULL;
}

static int emu_tee_report(struct omega_tee *tee, const uint8_t report_data[64], unsigned vmpl, struct omega_buf *report,
                          struct omega_buf *chain, struct omega_error *err)
{
    struct emu_tee *t = tee->priv;
    return omega_emu_sp_report(t->sp, report_data, vmpl, t->measurement, report, chain, err);
}

static int emu_tee_sealing_key(struct omega_tee *tee, const char *label, uint8_t key[32], struct omega_error *err)
{
    struct emu_tee *t = tee->priv;
    return omega_emu_sp_derive_key(t->sp, t->measurement, 0, label, key, err);
}

const struct omega_tee_ops omega_tee_emu = {
    .version = OMEGA_BACKEND_ABI,
    .name = "emu",
    .caps = OMEGA_CAP_REPORT | OMEGA_CAP_SEALING_KEY,
    .probe = emu_tee_probe,
    .open = emu_tee_open,
    .close = emu_tee_close,
    .report = emu_tee_report,
    .sealing_key = emu_tee_sealing_key,
};
