/* The emulated secure processor and GPU: their evidence verifies with the same verifier, only with
 * --trust emu, and is bound to what was asked (report data, VMPL, nonce, chip). */
#include <string.h>
#include <time.h>

#include "attest/cert.h"
#include "attest/gpu.h"
#include "attest/snp_verify.h"
#include "backends/emu/emu.h"
#include "backends/emu/emu_sp.h"
#include "core/backend.h"
#include "core/util.h"
#include "tests/test.h"

OMEGA_TEST(attest_emu_report_verifies_only_with_trust_emu)
{
    struct omega_config cfg = {.backend = "emu", .cc = 1};
    struct omega_platform *p;
    struct omega_error err = {0};
    CHECK(omega_platform_open(&p, &cfg, &err) == 0);
    uint8_t rd[64];
    for (int i = 0; i < 64; i++)
        rd[i] = (uint8_t)i;
    struct omega_buf report, chain;
    omega_buf_init(&report);
    omega_buf_init(&chain);
    CHECK(omega_platform_report(p, rd, 1, &report, &chain, &err) == 0);
    CHECK_EQ_INT(report.len, OMEGA_SNP_REPORT_LEN);
    struct omega_snp_policy pol;
    omega_snp_policy_init(&pol);
    struct omega_snp_result res;
    /* Vendor roots only: the emulated root is refused. */
    omega_error_clear(&err);
    CHECK(omega_snp_verify(report.data, report.len, NULL, 0, chain.data, chain.len, &pol, &res, &err) == OMEGA_EVERIFY);
    CHECK_MSG(strstr(err.msg, "--trust emu") != NULL, "%s", err.msg);
    pol.trust = OMEGA_TRUST_VENDOR | OMEGA_TRUST_EMU;
    pol.report_data = rd;
    pol.vmpl = 1;
    pol.forbid_debug = 1;
    omega_error_clear(&err);
    int rc = omega_snp_verify(report.data, report.len, NULL, 0, chain.data, chain.len, &pol, &res, &err);
    CHECK_MSG(rc == 0, "emulated report rejected: %s", err.msg);
    CHECK(res.emulated && res.report.version == 5 && res.product == OMEGA_SNP_MILAN);
    /* Byte-exact round trip. */
    uint8_t out[OMEGA_SNP_REPORT_LEN];
    omega_snp_report_serialize(&res.report, out);
    CHECK(memcmp(out, report.data, sizeof out) == 0);
    /* The VCEK alone (no chain): the verifier finds the emulated bundle itself. */
    STACK_OF(X509) *certs;
    CHECK(omega_cert_load(chain.data, chain.len, &certs, NULL) == 0 && sk_X509_num(certs) == 3);
    struct omega_buf vcek;
    omega_buf_init(&vcek);
    CHECK(omega_cert_der_append(sk_X509_value(certs, 0), &vcek) == 0);
    sk_X509_pop_free(certs, X509_free);
    CHECK(omega_snp_verify(report.data, report.len, vcek.data, vcek.len, NULL, 0, &pol, &res, &err) == 0);
    /* Other report data and another VMPL are noticed. */
    rd[0] ^= 1;
    CHECK(omega_snp_verify(report.data, report.len, NULL, 0, chain.data, chain.len, &pol, &res, &err) == OMEGA_EVERIFY);
    rd[0] ^= 1;
    pol.vmpl = 0;
    CHECK(omega_snp_verify(report.data, report.len, NULL, 0, chain.data, chain.len, &pol, &res, &err) == OMEGA_EVERIFY);
    /* Sealing keys: stable per label, different across labels. */
    uint8_t k1[32], k2[32], k3[32];
    CHECK(omega_platform_sealing_key(p, "a", k1, &err) == 0 && omega_platform_sealing_key(p, "a", k2, &err) == 0 &&
          omega_platform_sealing_key(p, "b", k3, &err) == 0);
    CHECK(memcmp(k1, k2, 32) == 0 && memcmp(k1, k3, 32) != 0);
    omega_buf_fini(&vcek);
    omega_buf_fini(&report);
    omega_buf_fini(&chain);
    omega_platform_close(p);
    return 0;
}

OMEGA_TEST(attest_emu_vcek_derived_from_chip_and_tcb)
{
    struct omega_emu_sp *a, *b, *c, *d;
    struct omega_error err = {0};
    CHECK(omega_emu_sp_new(&a, "chip-1", 0, &err) == 0);
    CHECK(omega_emu_sp_new(&b, "chip-1", 0, &err) == 0);
    CHECK(omega_emu_sp_new(&c, "chip-2", 0, &err) == 0);
    CHECK(omega_emu_sp_new(&d, "chip-1", 0xd517000000000004ull, &err) == 0);
    uint8_t rd[64] = {0}, m[48] = {0};
    struct omega_buf ra, ca, rb, cb, rc_, cc, rd_, cd;
    omega_buf_init(&ra); omega_buf_init(&ca); omega_buf_init(&rb); omega_buf_init(&cb);
    omega_buf_init(&rc_); omega_buf_init(&cc); omega_buf_init(&rd_); omega_buf_init(&cd);
    CHECK(omega_emu_sp_report(a, rd, 0, m, &ra, &ca, &err) == 0 && omega_emu_sp_report(b, rd, 0, m, &rb, &cb, &err) == 0 &&
          omega_emu_sp_report(c, rd, 0, m, &rc_, &cc, &err) == 0 && omega_emu_sp_report(d, rd, 0, m, &rd_, &cd, &err) == 0);
    STACK_OF(X509) *sa, *sb, *sc, *sd;
    CHECK(omega_cert_load(ca.data, ca.len, &sa, NULL) == 0 && omega_cert_load(cb.data, cb.len, &sb, NULL) == 0 &&
          omega_cert_load(cc.data, cc.len, &sc, NULL) == 0 && omega_cert_load(cd.data, cd.len, &sd, NULL) == 0);
    EVP_PKEY *ka = X509_get0_pubkey(sk_X509_value(sa, 0)), *kb = X509_get0_pubkey(sk_X509_value(sb, 0));
    EVP_PKEY *kc = X509_get0_pubkey(sk_X509_value(sc, 0)), *kd = X509_get0_pubkey(sk_X509_value(sd, 0));
    CHECK(EVP_PKEY_eq(ka, kb) == 1);   /* same chip, same TCB: same VCEK */
    CHECK(EVP_PKEY_eq(ka, kc) != 1);   /* another chip */
    CHECK(EVP_PKEY_eq(ka, kd) != 1);   /* another TCB */
    CHECK(memcmp(omega_emu_sp_chip_id(a), omega_emu_sp_chip_id(c), 64) != 0);
    /* The TCB extension follows the TCB, and the verifier ties REPORTED_TCB to it. */
    struct omega_amd_ext ext;
    CHECK(omega_amd_ext_read(sk_X509_value(sd, 0), &ext, &err) == 0 && ext.tcb.snp == 0x17 && ext.has_hwid);
    struct omega_snp_policy pol;
    omega_snp_policy_init(&pol);
    pol.trust = OMEGA_TRUST_EMU;
    struct omega_snp_result res;
    CHECK(omega_snp_verify(rd_.data, rd_.len, NULL, 0, cd.data, cd.len, &pol, &res, &err) == 0);
    /* Chip A's report with chip C's chain: signature fails. */
    omega_error_clear(&err);
    CHECK(omega_snp_verify(ra.data, ra.len, NULL, 0, cc.data, cc.len, &pol, &res, &err) == OMEGA_EVERIFY);
    sk_X509_pop_free(sa, X509_free); sk_X509_pop_free(sb, X509_free);
    sk_X509_pop_free(sc, X509_free); sk_X509_pop_free(sd, X509_free);
    omega_buf_fini(&ra); omega_buf_fini(&ca); omega_buf_fini(&rb); omega_buf_fini(&cb);
    omega_buf_fini(&rc_); omega_buf_fini(&cc); omega_buf_fini(&rd_); omega_buf_fini(&cd);
    omega_emu_sp_free(a); omega_emu_sp_free(b); omega_emu_sp_free(c); omega_emu_sp_free(d);
    return 0;
}

OMEGA_TEST(attest_emu_gpu_evidence_verifies)
{
    struct omega_config cfg = {.backend = "emu", .cc = 1};
    struct omega_platform *p;
    struct omega_error err = {0};
    CHECK(omega_platform_open(&p, &cfg, &err) == 0);
    uint8_t nonce[32];
    CHECK(omega_random(nonce, 32) == 0);
    struct omega_buf rep, chain;
    omega_buf_init(&rep);
    omega_buf_init(&chain);
    CHECK(omega_gpu_evidence(p, nonce, &rep, &chain, &err) == 0);
    static struct omega_gpu_evidence ev;
    struct omega_gpu_policy pol = {.at = (int64_t)time(NULL), .trust = OMEGA_TRUST_VENDOR, .nonce = nonce};
    int emu = 0;
    CHECK(omega_gpu_verify(rep.data, rep.len, chain.data, chain.len, &pol, &ev, &emu, &err) == OMEGA_EVERIFY);
    pol.trust |= OMEGA_TRUST_EMU;
    omega_error_clear(&err);
    int rc = omega_gpu_verify(rep.data, rep.len, chain.data, chain.len, &pol, &ev, &emu, &err);
    CHECK_MSG(rc == 0, "emulated GPU evidence rejected: %s", err.msg);
    CHECK(emu == 1 && ev.nblocks == 64 && ev.has_fwid);
    CHECK_STR(ev.driver, "550.90.07");
    nonce[0] ^= 1;
    CHECK(omega_gpu_verify(rep.data, rep.len, chain.data, chain.len, &pol, &ev, &emu, &err) == OMEGA_EVERIFY);
    omega_buf_fini(&rep);
    omega_buf_fini(&chain);
    omega_platform_close(p);
    return 0;
}

OMEGA_TEST(attest_emu_vlek_report)
{
    /* VLEK-signed reports: no hwID to match, SIGNING_KEY 1; the verifier must follow the VLEK path. */
    struct omega_emu_sp *sp;
    struct omega_error err = {0};
    CHECK(omega_emu_sp_new(&sp, "vlek chip", 0, &err) == 0);
    CHECK(omega_emu_sp_use_vlek(sp, &err) == 0);
    uint8_t rd[64] = {7}, m[48] = {9};
    struct omega_buf rep, chain;
    omega_buf_init(&rep);
    omega_buf_init(&chain);
    CHECK(omega_emu_sp_report(sp, rd, 0, m, &rep, &chain, &err) == 0);
    struct omega_snp_policy pol;
    omega_snp_policy_init(&pol);
    pol.trust = OMEGA_TRUST_EMU;
    pol.measurement = m;
    struct omega_snp_result res;
    int rc = omega_snp_verify(rep.data, rep.len, NULL, 0, chain.data, chain.len, &pol, &res, &err);
    CHECK_MSG(rc == 0, "VLEK report rejected: %s", err.msg);
    CHECK(res.vlek == 1);
    STACK_OF(X509) *certs;
    CHECK(omega_cert_load(chain.data, chain.len, &certs, NULL) == 0);
    struct omega_amd_ext ext;
    CHECK(omega_amd_ext_read(sk_X509_value(certs, 0), &ext, &err) == 0 && !ext.has_hwid);
    sk_X509_pop_free(certs, X509_free);
    /* Claiming the VCEK in the report (SIGNING_KEY 0) with a VLEK certificate: no hwID, rejected. */
    rep.data[0x48] = 0;
    omega_error_clear(&err);
    CHECK(omega_snp_verify(rep.data, rep.len, NULL, 0, chain.data, chain.len, &pol, &res, &err) == OMEGA_EVERIFY);
    omega_buf_fini(&rep);
    omega_buf_fini(&chain);
    omega_emu_sp_free(sp);
    return 0;
}
