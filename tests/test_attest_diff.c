/* Differential attestation: each principal's bundle verifies and holds only its own claims; tampering,
 * another nonce, a leaf moved to another principal and the wrong trust are all rejected. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "attest/diffattest.h"
#include "attest/measure.h"
#include "attest/merkle.h"
#include "core/util.h"
#include "tests/test.h"

struct world {
    struct omega_platform *p;
    EVP_PKEY *evkey, *logkey;
    uint8_t log_pub[32], nonce[32];
    struct omega_diffattest *d;
};

static int world_build(struct world *w, size_t agents)
{
    memset(w, 0, sizeof *w);
    struct omega_config cfg = {.backend = "emu", .cc = 1};
    struct omega_error err = {0};
    if (omega_platform_open(&w->p, &cfg, &err) < 0)
        return -1;
    w->evkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    w->logkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    size_t l = 32;
    if (!w->evkey || !w->logkey || EVP_PKEY_get_raw_public_key(w->logkey, w->log_pub, &l) != 1)
        return -1;
    if (omega_random(w->nonce, 32) < 0 || omega_diffattest_new(&w->d, w->evkey, w->log_pub, &err) < 0)
        return -1;
    static const char weights[] = "model weights", policy[] = "permit(principal, action, resource);";
    if (omega_diffattest_add_bytes(w->d, "model:llama", "weights", weights, sizeof weights, &err) < 0 ||
        omega_diffattest_add_bytes(w->d, "tools:acme", "manifest", "{}", 2, &err) < 0 ||
        omega_diffattest_add_bytes(w->d, "user:alice", "call:1:input", "hello", 5, &err) < 0)
        return -1;
    for (size_t i = 0; i < agents; i++) {
        char who[32];
        snprintf(who, sizeof who, "agent:%zu", i);
        if (omega_diffattest_add_bytes(w->d, who, "code", who, strlen(who), &err) < 0 ||
            omega_diffattest_add_bytes(w->d, who, "policy", policy, sizeof policy, &err) < 0)
            return -1;
    }
    if (omega_diffattest_collect(w->d, w->p, w->nonce, &err) < 0) {
        fprintf(stderr, "collect: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static void world_free(struct world *w)
{
    omega_diffattest_free(w->d);
    EVP_PKEY_free(w->evkey);
    EVP_PKEY_free(w->logkey);
    omega_platform_close(w->p);
}

static void opts_for(struct omega_evidence_opts *o, const char *principal, const uint8_t *nonce)
{
    omega_evidence_opts_init(o);
    o->principal = principal;
    o->nonce = nonce;
    o->snp.trust = OMEGA_TRUST_EMU;
}

OMEGA_TEST(attest_diff_principal_bundles)
{
    struct world w;
    CHECK(world_build(&w, 10) == 0);
    struct omega_buf b;
    omega_buf_init(&b);
    struct omega_error err = {0};
    struct omega_evidence_opts o;
    struct omega_evidence_result res;
    /* The model provider: its claim verifies; no agent's or user's claim is in its bundle. */
    CHECK_MSG(omega_diffattest_bundle(w.d, "model:llama", &b, &err) == 0, "%s", err.msg);
    opts_for(&o, "model:llama", w.nonce);
    int rc = omega_evidence_check(b.data, b.len, &o, &res, &err);
    CHECK_MSG(rc == 0, "model bundle rejected: %s", err.msg);
    CHECK_EQ_INT(res.nclaims, 3);   /* weights + the monitor's two keys */
    CHECK_EQ_INT(res.tree_size, omega_diffattest_size(w.d));
    CHECK(memcmp(res.log_key, w.log_pub, 32) == 0);
    uint8_t h[32];
    SHA256((const uint8_t *)"model weights", sizeof "model weights", h);
    CHECK(omega_evidence_expect(&res, "model:llama", "weights", h, 32, &err) == 0);
    h[0] ^= 1;
    CHECK(omega_evidence_expect(&res, "model:llama", "weights", h, 32, &err) == OMEGA_EVERIFY);
    omega_evidence_result_fini(&res);
    CHECK(memmem(b.data, b.len, "agent:", 6) == NULL && memmem(b.data, b.len, "alice", 5) == NULL);
    /* The log key as a principal gets it. */
    uint8_t lk[32];
    CHECK(omega_evidence_log_key(b.data, b.len, &o, lk, &err) == 0 && memcmp(lk, w.log_pub, 32) == 0);
    /* Another nonce, vendor-only trust, another principal's view: rejected. */
    uint8_t other[32];
    memcpy(other, w.nonce, 32);
    other[0] ^= 1;
    o.nonce = other;
    CHECK(omega_evidence_check(b.data, b.len, &o, &res, &err) == OMEGA_EVERIFY);
    o.nonce = w.nonce;
    o.snp.trust = OMEGA_TRUST_VENDOR;
    CHECK(omega_evidence_check(b.data, b.len, &o, &res, &err) == OMEGA_EVERIFY);
    opts_for(&o, "agent:3", w.nonce);
    omega_error_clear(&err);
    CHECK(omega_evidence_check(b.data, b.len, &o, &res, &err) == OMEGA_EVERIFY);
    /* The platform principal checks the GPU evidence too. */
    CHECK(omega_diffattest_bundle(w.d, "platform", &b, &err) == 0);
    opts_for(&o, "platform", w.nonce);
    o.check_gpu = 1;
    omega_error_clear(&err);
    rc = omega_evidence_check(b.data, b.len, &o, &res, &err);
    CHECK_MSG(rc == 0, "platform bundle rejected: %s", err.msg);
    CHECK(res.gpu_verified);
    omega_evidence_result_fini(&res);
    /* An agent developer's bundle, checked with caches at both levels. */
    CHECK(omega_diffattest_bundle(w.d, "agent:7", &b, &err) == 0);
    struct omega_evidence_cache cache = {.level = 2};
    opts_for(&o, "agent:7", w.nonce);
    o.cache = &cache;
    for (int i = 0; i < 3; i++) {
        CHECK(omega_evidence_check(b.data, b.len, &o, &res, &err) == 0);
        CHECK_EQ_INT(res.nclaims, 4);
        omega_evidence_result_fini(&res);
    }
    CHECK(cache.have_chain && cache.have_report);
    /* Even from the cache, another nonce is refused. */
    o.nonce = other;
    CHECK(omega_evidence_check(b.data, b.len, &o, &res, &err) == OMEGA_EVERIFY);
    omega_evidence_cache_fini(&cache);
    omega_buf_fini(&b);
    world_free(&w);
    return 0;
}

/* Bit flips every stride bytes (the bit rotating) and truncations: never accepted. */
static int tamper(size_t stride)
{
    struct world w;
    CHECK(world_build(&w, 3) == 0);
    struct omega_buf b;
    omega_buf_init(&b);
    struct omega_error err = {0};
    CHECK(omega_diffattest_bundle(w.d, "user:alice", &b, &err) == 0);
    struct omega_evidence_opts o;
    struct omega_evidence_result res;
    opts_for(&o, "user:alice", w.nonce);
    CHECK(omega_evidence_check(b.data, b.len, &o, &res, &err) == 0);
    omega_evidence_result_fini(&res);
    /* One bit flip per byte (rotating) anywhere in the bundle: never accepted as is. */
    size_t accepted = 0;
    for (size_t i = 0; i < b.len; i += stride) {
        b.data[i] ^= (uint8_t)(1u << (i % 8));
        if (omega_evidence_check(b.data, b.len, &o, &res, NULL) == 0) {
            accepted++;
            omega_evidence_result_fini(&res);
        }
        b.data[i] ^= (uint8_t)(1u << (i % 8));
    }
    CHECK_EQ_INT(accepted, 0);
    /* Truncated at every length: a clean format error. */
    for (size_t n = 0; n < b.len; n += 97)
        CHECK(omega_evidence_check(b.data, n, &o, &res, NULL) == OMEGA_EFORMAT);
    omega_buf_fini(&b);
    world_free(&w);
    return 0;
}

OMEGA_TEST(attest_diff_tamper_rejected) { return tamper(67); }

OMEGA_TEST(attest_diff_declared_sizes_bounded)
{
    /* Headers that declare more than the input holds are refused before anything is allocated. */
    static const uint8_t huge_array[] = {0x9b, 0, 0, 0, 0x10, 0, 0, 0, 0};
    static const uint8_t huge_bytes[] = {0xa2, 0x64, 'c', 'o', 's', 'e', 0x5b, 0, 0, 0, 3, 0, 0, 0, 0};
    static const uint8_t indefinite[] = {0xbf, 0xff};
    uint8_t deep[64];
    memset(deep, 0x81, sizeof deep);
    deep[63] = 0x00;
    struct omega_evidence_opts o;
    omega_evidence_opts_init(&o);
    struct omega_evidence_result res;
    CHECK(omega_evidence_check(huge_array, sizeof huge_array, &o, &res, NULL) == OMEGA_EFORMAT);
    CHECK(omega_evidence_check(huge_bytes, sizeof huge_bytes, &o, &res, NULL) == OMEGA_EFORMAT);
    CHECK(omega_evidence_check(indefinite, sizeof indefinite, &o, &res, NULL) == OMEGA_EFORMAT);
    CHECK(omega_evidence_check(deep, sizeof deep, &o, &res, NULL) == OMEGA_EFORMAT);
    /* The input the fuzzer found: a bundle whose COSE payload declared a 15 GB string. */
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/attest/fuzz-evidence-huge-length.cbor", omega_test_srcdir());
    struct omega_buf b;
    omega_buf_init(&b);
    CHECK(omega_buf_read_file(&b, path, 1 << 20, NULL) == 0);
    CHECK(omega_evidence_check(b.data, b.len, &o, &res, NULL) == OMEGA_EFORMAT);
    omega_buf_fini(&b);
    return 0;
}
OMEGA_TEST_LONG(attest_diff_dense_tamper_rejected, 600) { return tamper(3); }

OMEGA_TEST(attest_diff_proofs_match_rfc6962)
{
    /* The level-by-level tree gives RFC 6962's root and proofs (checked against attest/merkle.c). */
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    CHECK(k);
    uint8_t log_pub[32] = {1}, nonce[32] = {2}, rd[64];
    for (size_t n = 0; n <= 68; n++) {
        struct omega_diffattest *d;
        CHECK(omega_diffattest_new(&d, k, log_pub, NULL) == 0);
        for (size_t i = 0; i < n; i++) {
            char name[16];
            snprintf(name, sizeof name, "c%zu", i);
            CHECK(omega_diffattest_add_bytes(d, "p", name, name, strlen(name), NULL) == 0);
        }
        CHECK(omega_diffattest_seal(d, nonce, rd, NULL) == 0);
        size_t total = omega_diffattest_size(d);
        omega_merkle_hash *hs = calloc(total, sizeof *hs);
        CHECK(hs);
        uint8_t proof[64][32];
        omega_merkle_hash ref[OMEGA_MERKLE_MAX_PROOF];
        size_t plen, rlen;
        for (size_t i = 0; i < total; i++)
            CHECK(omega_diffattest_leaf(d, i, hs[i], proof, &plen) == 0);
        omega_merkle_hash root;
        omega_merkle_root(hs, total, root);
        CHECK(memcmp(root, omega_diffattest_root(d), 32) == 0);
        for (size_t i = 0; i < total; i++) {
            CHECK(omega_diffattest_leaf(d, i, hs[i], proof, &plen) == 0);
            CHECK(omega_merkle_inclusion_proof(hs, total, i, ref, &rlen) == 0);
            CHECK(plen == rlen && memcmp(proof, ref, 32 * plen) == 0);
            CHECK(omega_merkle_inclusion_verify(hs[i], i, total, (const omega_merkle_hash *)proof, plen, root) == 0);
        }
        free(hs);
        omega_diffattest_free(d);
    }
    EVP_PKEY_free(k);
    return 0;
}

OMEGA_TEST(attest_measure_chunked_tree)
{
    size_t n = (3u << 20) + 12345;
    uint8_t *p = malloc(n);
    CHECK(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 2654435761u >> 13);
    struct omega_measure_opts o1 = {.threads = 1, .chunk = 1 << 20}, o4 = {.threads = 4, .chunk = 1 << 20};
    uint8_t a[32], b[32], c[32];
    CHECK(omega_measure_bytes(p, n, &o1, a, NULL) == 0);
    CHECK(omega_measure_bytes(p, n, &o4, b, NULL) == 0);
    CHECK(memcmp(a, b, 32) == 0);   /* thread count never changes the digest */
    /* Same as RFC 6962's tree over the chunks' leaf hashes. */
    omega_merkle_hash leaves[4];
    for (int i = 0; i < 4; i++) {
        size_t off = (size_t)i << 20, len = n - off < (1u << 20) ? n - off : (1u << 20);
        omega_merkle_leaf_hash(p + off, len, leaves[i]);
    }
    omega_merkle_root(leaves, 4, c);
    CHECK(memcmp(a, c, 32) == 0);
    p[n - 1] ^= 1;
    CHECK(omega_measure_bytes(p, n, &o4, b, NULL) == 0 && memcmp(a, b, 32) != 0);
    struct omega_measure_opts bad = {.chunk = 1000};
    CHECK(omega_measure_bytes(p, n, &bad, b, NULL) == OMEGA_EINVAL);
    /* A file gives the same digest as its bytes. */
    char path[1024];
    snprintf(path, sizeof path, "%s/measure.bin", omega_test_tmpdir());
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(p, 1, n, f) == n);
    fclose(f);
    uint64_t size;
    CHECK(omega_measure_file(path, &o4, c, &size, NULL) == 0 && size == n && memcmp(b, c, 32) == 0);
    CHECK(omega_measure_file("/nonexistent/x", NULL, c, NULL, NULL) == OMEGA_ENOTFOUND);
    free(p);
    return 0;
}
