/* SEV-SNP: the real Milan recording verifies; every kind of damage is rejected with a reason. */
#include <stdlib.h>
#include <string.h>

#include "attest/cert.h"
#include "attest/snp.h"
#include "attest/snp_verify.h"
#include "core/util.h"
#include "tests/test.h"

static int load(struct omega_buf *b, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/attest/%s", omega_test_srcdir(), name);
    omega_buf_init(b);
    return omega_buf_read_file(b, path, 1 << 20, NULL);
}

static int64_t at_2025(void)
{
    int64_t t = 0;
    if (omega_parse_time("2025-06-01T00:00:00Z", &t) < 0)
        return 0;
    return t;
}

struct milan {
    struct omega_buf report, vcek;
    struct omega_snp_policy pol;
};

static int milan_load(struct milan *m)
{
    if (load(&m->report, "milan-report.bin") < 0 || load(&m->vcek, "milan-vcek.der") < 0)
        return -1;
    omega_snp_policy_init(&m->pol);
    m->pol.at = at_2025();
    return 0;
}

static void milan_free(struct milan *m)
{
    omega_buf_fini(&m->report);
    omega_buf_fini(&m->vcek);
}

static int verify(struct milan *m, const uint8_t *report, struct omega_error *err)
{
    struct omega_snp_result res;
    omega_error_clear(err);
    return omega_snp_verify(report, OMEGA_SNP_REPORT_LEN, m->vcek.data, m->vcek.len, NULL, 0, &m->pol, &res, err);
}

OMEGA_TEST(attest_snp_milan_real_verifies)
{
    struct milan m;
    CHECK(milan_load(&m) == 0);
    struct omega_snp_result res;
    struct omega_error err = {0};
    int rc = omega_snp_verify(m.report.data, m.report.len, m.vcek.data, m.vcek.len, NULL, 0, &m.pol, &res, &err);
    CHECK_MSG(rc == 0, "Milan report rejected: %s", err.msg);
    CHECK_EQ_INT(res.product, OMEGA_SNP_MILAN);
    CHECK_EQ_INT(res.report.version, 2);
    CHECK_EQ_INT(res.report.policy, 0x30000);
    CHECK(res.report.reported_tcb == 0x7308000000000003ull);
    CHECK(!res.emulated && !res.vlek);
    char hex[97];
    omega_hex_encode(res.report.measurement, 48, hex);
    CHECK_STR(hex, "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f");
    /* Parse-serialize is byte-exact. */
    uint8_t out[OMEGA_SNP_REPORT_LEN];
    omega_snp_report_serialize(&res.report, out);
    CHECK(memcmp(out, m.report.data, OMEGA_SNP_REPORT_LEN) == 0);
    /* Expected measurement: right passes, wrong fails. */
    m.pol.measurement = res.report.measurement;
    CHECK(verify(&m, m.report.data, &err) == 0);
    uint8_t other[48] = {1};
    m.pol.measurement = other;
    CHECK(verify(&m, m.report.data, &err) == OMEGA_EVERIFY && strstr(err.msg, "MEASUREMENT"));
    milan_free(&m);
    return 0;
}

/* Flip bits of the signed region and of R and S (the 144 signature bytes): every bit when all is set,
 * else one bit per byte, its position rotating, so the default run stays short. */
static int flips(int all)
{
    struct milan m;
    CHECK(milan_load(&m) == 0);
    uint8_t r[OMEGA_SNP_REPORT_LEN];
    struct omega_error err;
    size_t accepted = 0;
    for (size_t i = 0; i < OMEGA_SNP_SIGNED_LEN + 2 * OMEGA_SNP_SIG_COMPONENT; i++)
        for (int bit = all ? 0 : (int)(i % 8); bit < (all ? 8 : (int)(i % 8) + 1); bit++) {
            memcpy(r, m.report.data, sizeof r);
            r[i] ^= (uint8_t)(1u << bit);
            if (verify(&m, r, &err) == 0)
                accepted++;
        }
    CHECK_EQ_INT(accepted, 0);
    memcpy(r, m.report.data, sizeof r);
    r[21] ^= 0x80;
    CHECK(verify(&m, r, &err) == OMEGA_EVERIFY);
    milan_free(&m);
    return 0;
}

OMEGA_TEST(attest_snp_bit_flips_rejected) { return flips(0); }
OMEGA_TEST_LONG(attest_snp_every_bit_flip_rejected, 300) { return flips(1); }

OMEGA_TEST(attest_snp_malformed_rejected)
{
    struct milan m;
    CHECK(milan_load(&m) == 0);
    struct omega_snp_report rep;
    struct omega_error err = {0};
    uint8_t big[OMEGA_SNP_REPORT_LEN + 1];
    memcpy(big, m.report.data, OMEGA_SNP_REPORT_LEN);
    big[OMEGA_SNP_REPORT_LEN] = 0;
    CHECK(omega_snp_report_parse(&rep, m.report.data, OMEGA_SNP_REPORT_LEN - 1, &err) == OMEGA_EFORMAT);
    CHECK(strstr(err.msg, "1183 bytes") != NULL);
    omega_error_clear(&err);
    CHECK(omega_snp_report_parse(&rep, big, sizeof big, &err) == OMEGA_EFORMAT);
    uint8_t r[OMEGA_SNP_REPORT_LEN];
    /* Reserved bytes: one in the body, one after the signature. */
    size_t reserved_at[] = {0x4c, 0x190, 0x1eb, 0x250, 0x400};
    for (size_t i = 0; i < sizeof reserved_at / sizeof reserved_at[0]; i++) {
        memcpy(r, m.report.data, sizeof r);
        r[reserved_at[i]] = 1;
        omega_error_clear(&err);
        CHECK_MSG(omega_snp_report_parse(&rep, r, sizeof r, &err) == OMEGA_EFORMAT, "reserved 0x%zx", reserved_at[i]);
        CHECK(strstr(err.msg, "reserved") != NULL);
    }
    memcpy(r, m.report.data, sizeof r);
    r[0x34] = 2;   /* signature algorithm */
    CHECK(omega_snp_report_parse(&rep, r, sizeof r, &err) == OMEGA_EFORMAT);
    memcpy(r, m.report.data, sizeof r);
    r[0] = 4;      /* version */
    CHECK(omega_snp_report_parse(&rep, r, sizeof r, &err) == OMEGA_EFORMAT);
    milan_free(&m);
    return 0;
}

OMEGA_TEST(attest_snp_wrong_chain_time_product)
{
    struct milan m;
    CHECK(milan_load(&m) == 0);
    struct omega_error err = {0};
    /* Expired (2031) and not yet valid (2022). */
    CHECK(omega_parse_time("2031-01-01T00:00:00Z", &m.pol.at) == 0);
    CHECK(verify(&m, m.report.data, &err) == OMEGA_EVERIFY && strstr(err.msg, "expired"));
    CHECK(omega_parse_time("2022-01-01T00:00:00Z", &m.pol.at) == 0);
    CHECK(verify(&m, m.report.data, &err) == OMEGA_EVERIFY && strstr(err.msg, "not yet valid"));
    m.pol.at = at_2025();
    /* Wrong product. */
    m.pol.product = OMEGA_SNP_GENOA;
    CHECK(verify(&m, m.report.data, &err) == OMEGA_EVERIFY && strstr(err.msg, "Milan-B0"));
    m.pol.product = OMEGA_SNP_UNKNOWN;
    /* Wrong chain: Genoa's ASK/ARK behind a Milan VCEK. */
    char path[1024];
    snprintf(path, sizeof path, "%s/roots/amd/ask_ark_genoa.pem", omega_test_srcdir());
    struct omega_buf chain;
    omega_buf_init(&chain);
    CHECK(omega_buf_read_file(&chain, path, 1 << 20, NULL) == 0);
    struct omega_snp_result res;
    omega_error_clear(&err);
    CHECK(omega_snp_verify(m.report.data, m.report.len, m.vcek.data, m.vcek.len, chain.data, chain.len, &m.pol, &res,
                           &err) == OMEGA_EVERIFY);
    CHECK_MSG(strstr(err.msg, "genoa") || strstr(err.msg, "not issued"), "%s", err.msg);
    omega_buf_fini(&chain);
    /* Policy flags. */
    m.pol.vmpl = 1;
    CHECK(verify(&m, m.report.data, &err) == OMEGA_EVERIFY && strstr(err.msg, "VMPL"));
    m.pol.vmpl = 0;
    m.pol.has_min_tcb = 1;
    m.pol.min_tcb.snp = 9;
    CHECK(verify(&m, m.report.data, &err) == OMEGA_EVERIFY && strstr(err.msg, "minimum"));
    m.pol.min_tcb.snp = 8;
    CHECK(verify(&m, m.report.data, &err) == 0);
    m.pol.forbid_debug = 1;
    m.pol.forbid_migration_agent = 1;
    CHECK(verify(&m, m.report.data, &err) == 0);   /* policy 0x30000: neither set */
    milan_free(&m);
    return 0;
}

OMEGA_TEST(attest_snp_tcb_layouts)
{
    struct omega_snp_tcb t;
    omega_snp_tcb_split(0x7308000000000003ull, OMEGA_SNP_MILAN, &t);
    CHECK(t.bootloader == 3 && t.tee == 0 && t.snp == 8 && t.microcode == 0x73);
    CHECK(omega_snp_tcb_join(&t, OMEGA_SNP_MILAN) == 0x7308000000000003ull);
    struct omega_snp_tcb u = {.fmc = 1, .bootloader = 2, .tee = 3, .snp = 4, .microcode = 5};
    uint64_t v = omega_snp_tcb_join(&u, OMEGA_SNP_TURIN);
    CHECK(v == 0x0500000004030201ull);
    omega_snp_tcb_split(v, OMEGA_SNP_TURIN, &t);
    CHECK(memcmp(&t, &u, sizeof t) == 0);
    return 0;
}

OMEGA_TEST(attest_snp_versions_roundtrip)
{
    /* Versions 2, 3 and 5 each keep their own fields and zero the others' reserved bytes. */
    unsigned versions[] = {2, 3, 5};
    for (size_t v = 0; v < 3; v++) {
        struct omega_snp_report r, back;
        memset(&r, 0, sizeof r);
        CHECK(omega_random(&r, sizeof r) == 0);
        r.version = versions[v];
        r.sig_algo = 1;
        r.flags &= 0x1f;
        if (r.version < 3)
            r.cpuid_fam_id = r.cpuid_mod_id = r.cpuid_step = 0;
        if (r.version < 5)
            r.launch_mit_vector = r.current_mit_vector = 0;
        uint8_t raw[OMEGA_SNP_REPORT_LEN], again[OMEGA_SNP_REPORT_LEN];
        omega_snp_report_serialize(&r, raw);
        struct omega_error err = {0};
        CHECK_MSG(omega_snp_report_parse(&back, raw, sizeof raw, &err) == 0, "v%u: %s", r.version, err.msg);
        omega_snp_report_serialize(&back, again);
        CHECK(memcmp(raw, again, sizeof raw) == 0);
        CHECK(back.cpuid_step == r.cpuid_step && back.current_mit_vector == r.current_mit_vector);
        /* A version-5 field set in a version-2 report is a reserved byte. */
        if (r.version == 2) {
            raw[0x188] = 0x19;
            CHECK(omega_snp_report_parse(&back, raw, sizeof raw, &err) == OMEGA_EFORMAT);
            raw[0x188] = 0;
            raw[0x200] = 1;
            CHECK(omega_snp_report_parse(&back, raw, sizeof raw, &err) == OMEGA_EFORMAT);
        }
    }
    return 0;
}
