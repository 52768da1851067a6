/* H100 evidence: the real recording verifies with its chain; damage, another nonce, a wrong chain fail. */
#include <string.h>

#include "attest/cert.h"
#include "attest/gpu.h"
#include "core/util.h"
#include "tests/test.h"

struct h100 {
    struct omega_buf hex, raw, chain;
    struct omega_gpu_policy pol;
    uint8_t nonce[32];
};

static int h100_load(struct h100 *h)
{
    char path[1024];
    omega_buf_init(&h->hex);
    omega_buf_init(&h->raw);
    omega_buf_init(&h->chain);
    snprintf(path, sizeof path, "%s/tests/data/attest/h100-report.hex", omega_test_srcdir());
    if (omega_buf_read_file(&h->hex, path, 1 << 20, NULL) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/tests/data/attest/h100-chain.pem", omega_test_srcdir());
    if (omega_buf_read_file(&h->chain, path, 1 << 20, NULL) < 0)
        return -1;
    if (omega_gpu_evidence_decode(h->hex.data, h->hex.len, &h->raw, NULL) < 0)
        return -1;
    if (omega_hex_decode_fixed("931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb", h->nonce, 32) < 0)
        return -1;
    memset(&h->pol, 0, sizeof h->pol);
    h->pol.trust = OMEGA_TRUST_VENDOR;
    h->pol.nonce = h->nonce;
    return omega_parse_time("2025-06-01T00:00:00Z", &h->pol.at);
}

static void h100_free(struct h100 *h)
{
    omega_buf_fini(&h->hex);
    omega_buf_fini(&h->raw);
    omega_buf_fini(&h->chain);
}

static struct omega_gpu_evidence ev;   /* large: keep it off the test's stack */

static int gverify(struct h100 *h, const uint8_t *p, size_t n, struct omega_error *err)
{
    int emu;
    omega_error_clear(err);
    return omega_gpu_verify(p, n, h->chain.data, h->chain.len, &h->pol, &ev, &emu, err);
}

OMEGA_TEST(attest_gpu_h100_real_verifies)
{
    struct h100 h;
    CHECK(h100_load(&h) == 0);
    CHECK_EQ_INT(h.raw.len, 4117);
    struct omega_error err = {0};
    int rc = gverify(&h, h.raw.data, h.raw.len, &err);
    CHECK_MSG(rc == 0, "H100 evidence rejected: %s", err.msg);
    CHECK_EQ_INT(ev.nblocks, 64);
    CHECK_EQ_INT(ev.signed_len, 4117 - 96);
    CHECK_STR(ev.driver, "550.90.07");
    CHECK_STR(ev.vbios, "96.00.9f.00.01");
    CHECK(ev.has_fwid);
    /* Reference values: the recorded block 2 passes, a changed one fails. */
    char hex[200];
    omega_hex_encode(ev.blocks[1].value, ev.blocks[1].len, hex);
    json_t *refs = json_pack("{s:s}", "2", hex);
    h.pol.refs = refs;
    CHECK(gverify(&h, h.raw.data, h.raw.len, &err) == 0);
    hex[0] = hex[0] == '0' ? '1' : '0';
    json_object_set_new(refs, "2", json_string(hex));
    CHECK(gverify(&h, h.raw.data, h.raw.len, &err) == OMEGA_EVERIFY && strstr(err.msg, "block 2"));
    json_decref(refs);
    h.pol.refs = NULL;
    /* Any other nonce is rejected. */
    h.nonce[31] ^= 1;
    CHECK(gverify(&h, h.raw.data, h.raw.len, &err) == OMEGA_EVERIFY && strstr(err.msg, "nonce"));
    h100_free(&h);
    return 0;
}

/* Flip one bit per byte (position rotating) of every stride-th byte. The full verifier rejects each;
 * the default run checks parse + signature (the chain cannot change with the evidence bytes). */
static int gpu_flips(size_t stride, int full)
{
    struct h100 h;
    CHECK(h100_load(&h) == 0);
    struct omega_error err;
    STACK_OF(X509) *certs;
    CHECK(omega_cert_load(h.chain.data, h.chain.len, &certs, NULL) == 0);
    EVP_PKEY *key = X509_get0_pubkey(sk_X509_value(certs, 0));
    size_t accepted = 0;
    for (size_t i = 0; i < h.raw.len; i += stride) {
        h.raw.data[i] ^= (uint8_t)(1u << (i % 8));
        int rc;
        if (full) {
            rc = gverify(&h, h.raw.data, h.raw.len, &err);
        } else {
            rc = omega_gpu_evidence_parse(&ev, h.raw.data, h.raw.len, &err);
            if (rc == 0)
                rc = omega_gpu_evidence_verify_sig(&ev, h.raw.data, key, &err);
            if (rc == 0 && omega_ct_compare(ev.nonce, h.nonce, 32) != 0)
                rc = OMEGA_EVERIFY;
        }
        if (rc == 0)
            accepted++;
        h.raw.data[i] ^= (uint8_t)(1u << (i % 8));
    }
    CHECK_EQ_INT(accepted, 0);
    sk_X509_pop_free(certs, X509_free);
    h100_free(&h);
    return 0;
}

OMEGA_TEST(attest_gpu_bit_flips_rejected) { return gpu_flips(3, 0); }
OMEGA_TEST_LONG(attest_gpu_every_byte_flip_rejected, 300) { return gpu_flips(1, 1); }

OMEGA_TEST(attest_gpu_malformed_and_wrong_chain)
{
    struct h100 h;
    CHECK(h100_load(&h) == 0);
    struct omega_error err = {0};
    CHECK(omega_gpu_evidence_parse(&ev, h.raw.data, h.raw.len - 1, &err) == OMEGA_EFORMAT);
    CHECK(omega_gpu_evidence_parse(&ev, h.raw.data, 36, &err) == OMEGA_EFORMAT);
    uint8_t *big = malloc(h.raw.len + 1);
    CHECK(big);
    memcpy(big, h.raw.data, h.raw.len);
    big[h.raw.len] = 0;
    omega_error_clear(&err);
    CHECK(omega_gpu_evidence_parse(&ev, big, h.raw.len + 1, &err) == OMEGA_EFORMAT && strstr(err.msg, "after"));
    free(big);
    /* A chain that does not end in NVIDIA's root: the AMD Milan bundle. */
    char path[1024];
    snprintf(path, sizeof path, "%s/roots/amd/ask_ark_milan.pem", omega_test_srcdir());
    struct omega_buf amd;
    omega_buf_init(&amd);
    CHECK(omega_buf_read_file(&amd, path, 1 << 20, NULL) == 0);
    int emu;
    omega_error_clear(&err);
    CHECK(omega_gpu_verify(h.raw.data, h.raw.len, amd.data, amd.len, &h.pol, &ev, &emu, &err) == OMEGA_EVERIFY);
    omega_buf_fini(&amd);
    /* The chain without its leaf: the signature no longer matches the first certificate's key. */
    STACK_OF(X509) *certs;
    CHECK(omega_cert_load(h.chain.data, h.chain.len, &certs, NULL) == 0);
    X509_free(sk_X509_shift(certs));
    struct omega_buf rest;
    omega_buf_init(&rest);
    for (int i = 0; i < sk_X509_num(certs); i++)
        CHECK(omega_cert_der_append(sk_X509_value(certs, i), &rest) == 0);
    sk_X509_pop_free(certs, X509_free);
    omega_error_clear(&err);
    CHECK(omega_gpu_verify(h.raw.data, h.raw.len, rest.data, rest.len, &h.pol, &ev, &emu, &err) == OMEGA_EVERIFY);
    omega_buf_fini(&rest);
    h100_free(&h);
    return 0;
}
