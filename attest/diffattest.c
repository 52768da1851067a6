/* Differential attestation, the monitor's side: claims -> salted leaves -> tree levels -> root bound into
 * REPORT_DATA -> one COSE_Sign1 -> a bundle per principal with only its leaves and their proofs. The tree
 * is kept level by level (2n hashes) so each proof is read out in O(log n), not recomputed. */
#include "attest/diffattest.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cbor.h>
#include <openssl/sha.h>

#include "attest/diffattest_impl.h"
#include "attest/measure.h"
#include "attest/merkle.h"
#include "core/util.h"

struct leaf {
    char principal[OMEGA_DA_PRINCIPAL_MAX], name[OMEGA_DA_NAME_MAX];
    uint8_t digest[OMEGA_DA_DIGEST_MAX];
    uint8_t dlen;
    uint8_t salt[32];
};

struct omega_diffattest {
    struct leaf *leaves;
    size_t n, cap;
    omega_merkle_hash *levels;   /* level 0 (n leaf hashes), then each level up, concatenated */
    size_t level_off[65], level_len[65], nlevels;
    omega_merkle_hash root;
    int sealed;
    size_t *by_principal;        /* leaf indices sorted by principal, then index (after _seal) */
    uint8_t nonce[32];
    int64_t iat;
    EVP_PKEY *evidence_key;      /* borrowed */
    struct omega_buf report, chain, gpu, gpu_chain, cose;
};

static int by_principal_cmp(const void *a, const void *b, void *ctx)
{
    const struct omega_diffattest *d = ctx;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(d->leaves[i].principal, d->leaves[j].principal);
    return c ? c : (i > j) - (i < j);
}

/* The range [lo, hi) of by_principal holding principal's leaves. */
static void principal_range(const struct omega_diffattest *d, const char *principal, size_t *lo, size_t *hi)
{
    size_t a = 0, b = d->n;
    while (a < b) {
        size_t m = (a + b) / 2;
        if (strcmp(d->leaves[d->by_principal[m]].principal, principal) < 0)
            a = m + 1;
        else
            b = m;
    }
    *lo = a;
    while (a < d->n && strcmp(d->leaves[d->by_principal[a]].principal, principal) == 0)
        a++;
    *hi = a;
}

void omega_diffattest_gpu_nonce(const uint8_t nonce[32], uint8_t gpu_nonce[32])
{
    uint8_t in[19 + 32];
    memcpy(in, "omega-gpu-nonce-v1:", 19);
    memcpy(in + 19, nonce, 32);
    SHA256(in, sizeof in, gpu_nonce);
}

int omega_da_leaf_hash(const uint8_t salt[32], const char *principal, const char *name, const uint8_t *digest,
                       size_t dlen, uint8_t out[32])
{
    uint8_t buf[13 + 32 + 2 + OMEGA_DA_PRINCIPAL_MAX + 2 + OMEGA_DA_NAME_MAX + 1 + OMEGA_DA_DIGEST_MAX];
    size_t pl = strlen(principal), nl = strlen(name), o = 0;
    if (pl == 0 || pl >= OMEGA_DA_PRINCIPAL_MAX || nl == 0 || nl >= OMEGA_DA_NAME_MAX || dlen == 0 ||
        dlen > OMEGA_DA_DIGEST_MAX)
        return OMEGA_EINVAL;
    memcpy(buf, "omega-leaf-v1", 13), o = 13;
    memcpy(buf + o, salt, 32), o += 32;
    buf[o++] = (uint8_t)(pl >> 8), buf[o++] = (uint8_t)pl;
    memcpy(buf + o, principal, pl), o += pl;
    buf[o++] = (uint8_t)(nl >> 8), buf[o++] = (uint8_t)nl;
    memcpy(buf + o, name, nl), o += nl;
    buf[o++] = (uint8_t)dlen;
    memcpy(buf + o, digest, dlen), o += dlen;
    omega_merkle_leaf_hash(buf, o, out);
    return 0;
}

void omega_da_report_data(const uint8_t root[32], const uint8_t nonce[32], uint8_t out[64])
{
    uint8_t in[19 + 64];
    memcpy(in, "omega-diffattest-v1", 19);
    memcpy(in + 19, root, 32);
    memcpy(in + 51, nonce, 32);
    SHA512(in, sizeof in, out);
}

static int raw_pub(EVP_PKEY *k, uint8_t pub[32])
{
    size_t l = 32;
    return EVP_PKEY_get_raw_public_key(k, pub, &l) == 1 && l == 32 ? 0 : OMEGA_ECRYPTO;
}

int omega_diffattest_new(struct omega_diffattest **out, EVP_PKEY *evidence_key, const uint8_t log_pub[32],
                         struct omega_error *err)
{
    *out = NULL;
    uint8_t ev_pub[32];
    if (!evidence_key || EVP_PKEY_get_base_id(evidence_key) != EVP_PKEY_ED25519 || raw_pub(evidence_key, ev_pub) < 0)
        OMEGA_FAIL(err, OMEGA_EINVAL, "the evidence key must be an Ed25519 private key");
    struct omega_diffattest *d = calloc(1, sizeof *d);
    if (!d)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    d->evidence_key = evidence_key;
    omega_buf_init(&d->report);
    omega_buf_init(&d->chain);
    omega_buf_init(&d->gpu);
    omega_buf_init(&d->gpu_chain);
    omega_buf_init(&d->cose);
    int rc = omega_diffattest_add(d, OMEGA_DA_MONITOR, "evidence-key", ev_pub, 32, err);
    if (rc == 0)
        rc = omega_diffattest_add(d, OMEGA_DA_MONITOR, "log-signing-key", log_pub, 32, err);
    if (rc < 0) {
        omega_diffattest_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

void omega_diffattest_free(struct omega_diffattest *d)
{
    if (!d)
        return;
    free(d->leaves);
    free(d->levels);
    free(d->by_principal);
    omega_buf_fini(&d->report);
    omega_buf_fini(&d->chain);
    omega_buf_fini(&d->gpu);
    omega_buf_fini(&d->gpu_chain);
    omega_buf_fini(&d->cose);
    free(d);
}

int omega_diffattest_add(struct omega_diffattest *d, const char *principal, const char *name, const uint8_t *digest,
                         size_t dlen, struct omega_error *err)
{
    if (d->sealed)
        OMEGA_FAIL(err, OMEGA_ESTATE, "evidence tree already sealed");
    size_t pl = strlen(principal), nl = strlen(name);
    if (pl == 0 || pl >= OMEGA_DA_PRINCIPAL_MAX || nl == 0 || nl >= OMEGA_DA_NAME_MAX)
        OMEGA_FAIL(err, OMEGA_EINVAL, "claim principal/name must be 1-%d/1-%d bytes", OMEGA_DA_PRINCIPAL_MAX - 1,
                   OMEGA_DA_NAME_MAX - 1);
    if (dlen == 0 || dlen > OMEGA_DA_DIGEST_MAX)
        OMEGA_FAIL(err, OMEGA_EINVAL, "claim digest must be 1-%d bytes", OMEGA_DA_DIGEST_MAX);
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        struct leaf *l = realloc(d->leaves, cap * sizeof *l);
        if (!l)
            OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
        d->leaves = l;
        d->cap = cap;
    }
    struct leaf *l = &d->leaves[d->n++];
    memcpy(l->principal, principal, pl + 1);
    memcpy(l->name, name, nl + 1);
    memcpy(l->digest, digest, dlen);
    l->dlen = (uint8_t)dlen;
    return 0;
}

int omega_diffattest_add_bytes(struct omega_diffattest *d, const char *principal, const char *name, const void *p,
                               size_t n, struct omega_error *err)
{
    uint8_t h[32];
    SHA256(p, n, h);
    return omega_diffattest_add(d, principal, name, h, 32, err);
}

int omega_diffattest_add_file(struct omega_diffattest *d, const char *principal, const char *name, const char *path,
                              struct omega_error *err)
{
    uint8_t h[32];
    OMEGA_TRY(omega_measure_file(path, NULL, h, NULL, err));
    return omega_diffattest_add(d, principal, name, h, 32, err);
}

int omega_diffattest_add_gpu(struct omega_diffattest *d, const uint8_t *report, size_t rlen, const uint8_t *chain,
                             size_t clen, struct omega_error *err)
{
    d->gpu.len = d->gpu_chain.len = 0;
    if (omega_buf_append(&d->gpu, report, rlen) < 0 || omega_buf_append(&d->gpu_chain, chain, clen) < 0)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    return omega_diffattest_add_bytes(d, OMEGA_DA_PLATFORM, "gpu-evidence", report, rlen, err);
}

int omega_diffattest_seal(struct omega_diffattest *d, const uint8_t nonce[32], uint8_t report_data[64],
                          struct omega_error *err)
{
    if (d->sealed)
        OMEGA_FAIL(err, OMEGA_ESTATE, "evidence tree already sealed");
    size_t n = d->n, total = 0;
    for (size_t m = n; ; m = (m + 1) / 2) {
        total += m;
        if (m <= 1)
            break;
    }
    d->levels = malloc(total * sizeof *d->levels);
    if (!d->levels)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    /* One getrandom for all salts. */
    uint8_t *salts = malloc(n * 32);
    if (!salts || omega_random(salts, n * 32) < 0) {
        free(salts);
        OMEGA_FAIL(err, OMEGA_EIO, "cannot draw salts");
    }
    for (size_t i = 0; i < n; i++) {
        struct leaf *l = &d->leaves[i];
        memcpy(l->salt, salts + 32 * i, 32);
        if (omega_da_leaf_hash(l->salt, l->principal, l->name, l->digest, l->dlen, d->levels[i]) < 0) {
            free(salts);
            OMEGA_FAIL(err, OMEGA_EINVAL, "bad claim %zu", i);
        }
    }
    omega_wipe(salts, n * 32);
    free(salts);
    d->nlevels = 0;
    size_t off = 0, m = n;
    for (;;) {
        d->level_off[d->nlevels] = off;
        d->level_len[d->nlevels] = m;
        d->nlevels++;
        if (m <= 1)
            break;
        omega_merkle_hash *cur = d->levels + off, *up = cur + m;
        size_t k = 0;
        for (size_t i = 0; i + 1 < m; i += 2)
            omega_merkle_node_hash(cur[i], cur[i + 1], up[k++]);
        if (m & 1)
            memcpy(up[k++], cur[m - 1], 32);   /* an odd last node moves up unchanged (RFC 6962's split) */
        off += m;
        m = k;
    }
    memcpy(d->root, d->levels[d->level_off[d->nlevels - 1]], 32);
    d->by_principal = malloc(n * sizeof *d->by_principal);
    if (!d->by_principal)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        d->by_principal[i] = i;
    qsort_r(d->by_principal, n, sizeof *d->by_principal, by_principal_cmp, d);
    memcpy(d->nonce, nonce, 32);
    omega_da_report_data(d->root, nonce, report_data);
    d->sealed = 1;
    return 0;
}

size_t omega_diffattest_size(const struct omega_diffattest *d) { return d->n; }
const uint8_t *omega_diffattest_root(const struct omega_diffattest *d) { return d->root; }

/* Audit path of leaf i: the sibling at each level where one exists. */
static size_t proof_of(const struct omega_diffattest *d, size_t i, const uint8_t *out[64])
{
    size_t k = 0;
    for (size_t lv = 0; lv + 1 < d->nlevels; lv++, i >>= 1) {
        size_t sib = i ^ 1;
        if (sib < d->level_len[lv])
            out[k++] = d->levels[d->level_off[lv] + sib];
    }
    return k;
}

int omega_diffattest_leaf(const struct omega_diffattest *d, size_t i, uint8_t hash[32], uint8_t proof[][32], size_t *plen)
{
    if (!d->sealed || i >= d->n)
        return OMEGA_EINVAL;
    const uint8_t *path[64];
    size_t k = proof_of(d, i, path);
    memcpy(hash, d->levels[i], 32);
    for (size_t j = 0; j < k; j++)
        memcpy(proof[j], path[j], 32);
    *plen = k;
    return 0;
}

static int map_put(cbor_item_t *map, cbor_item_t *key, cbor_item_t *value)
{
    if (!key || !value) {
        if (key) cbor_decref(&key);
        if (value) cbor_decref(&value);
        return -1;
    }
    return cbor_map_add(map, (struct cbor_pair){.key = cbor_move(key), .value = cbor_move(value)}) ? 0 : -1;
}

static int serialize(cbor_item_t *item, struct omega_buf *out)
{
    unsigned char *buf = NULL;
    size_t cap = 0, len = cbor_serialize_alloc(item, &buf, &cap);
    int rc = len ? omega_buf_append(out, buf, len) : OMEGA_ENOMEM;
    free(buf);
    return rc;
}

int omega_da_sig_structure(const uint8_t *prot, size_t plen, const uint8_t *payload, size_t len, struct omega_buf *out)
{
    cbor_item_t *a = cbor_new_definite_array(4);
    int ok = a && cbor_array_push(a, cbor_move(cbor_build_string("Signature1"))) &&
             cbor_array_push(a, cbor_move(cbor_build_bytestring(prot, plen))) &&
             cbor_array_push(a, cbor_move(cbor_build_bytestring((const unsigned char *)"", 0))) &&
             cbor_array_push(a, cbor_move(cbor_build_bytestring(payload, len)));
    out->len = 0;
    int rc = ok ? serialize(a, out) : OMEGA_ENOMEM;
    if (a)
        cbor_decref(&a);
    return rc;
}

/* Protected header {1 (alg): -8 (EdDSA)}, fixed bytes. */
const uint8_t omega_da_protected[3] = {0xa1, 0x01, 0x27};

int omega_diffattest_attach(struct omega_diffattest *d, const uint8_t *report, size_t rlen, const uint8_t *chain,
                            size_t clen, struct omega_error *err)
{
    if (!d->sealed)
        OMEGA_FAIL(err, OMEGA_ESTATE, "seal the evidence tree before attaching the report");
    d->report.len = d->chain.len = 0;
    if (omega_buf_append(&d->report, report, rlen) < 0 || omega_buf_append(&d->chain, chain, clen) < 0)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    d->iat = (int64_t)time(NULL);
    cbor_item_t *m = cbor_new_definite_map(d->gpu.len ? 9 : 7);
    int bad = !m;
    if (!bad)
        bad = map_put(m, cbor_build_uint8(10), cbor_build_bytestring(d->nonce, 32)) < 0 ||
              map_put(m, cbor_build_uint8(6), cbor_build_uint64((uint64_t)d->iat)) < 0 ||
              map_put(m, cbor_build_uint16(265), cbor_build_string(OMEGA_DA_PROFILE)) < 0 ||
              map_put(m, cbor_build_string("snp-report"), cbor_build_bytestring(report, rlen)) < 0 ||
              map_put(m, cbor_build_string("snp-chain"), cbor_build_bytestring(chain, clen)) < 0 ||
              (d->gpu.len && (map_put(m, cbor_build_string("gpu-evidence"), cbor_build_bytestring(d->gpu.data, d->gpu.len)) < 0 ||
                              map_put(m, cbor_build_string("gpu-chain"),
                                      cbor_build_bytestring(d->gpu_chain.data, d->gpu_chain.len)) < 0)) ||
              map_put(m, cbor_build_string("tree-size"), cbor_build_uint64(d->n)) < 0 ||
              map_put(m, cbor_build_string("tree-root"), cbor_build_bytestring(d->root, 32)) < 0;
    struct omega_buf payload, tbs;
    omega_buf_init(&payload);
    omega_buf_init(&tbs);
    if (!bad)
        bad = serialize(m, &payload) < 0 ||
              omega_da_sig_structure(omega_da_protected, sizeof omega_da_protected, payload.data, payload.len, &tbs) < 0;
    if (m)
        cbor_decref(&m);
    uint8_t sig[64];
    size_t siglen = sizeof sig;
    if (!bad) {
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        bad = !c || EVP_DigestSignInit(c, NULL, NULL, NULL, d->evidence_key) != 1 ||
              EVP_DigestSign(c, sig, &siglen, tbs.data, tbs.len) != 1;
        EVP_MD_CTX_free(c);
    }
    cbor_item_t *arr = bad ? NULL : cbor_new_definite_array(4);
    if (arr && cbor_array_push(arr, cbor_move(cbor_build_bytestring(omega_da_protected, sizeof omega_da_protected))) &&
        cbor_array_push(arr, cbor_move(cbor_new_definite_map(0))) &&
        cbor_array_push(arr, cbor_move(cbor_build_bytestring(payload.data, payload.len))) &&
        cbor_array_push(arr, cbor_move(cbor_build_bytestring(sig, siglen)))) {
        cbor_item_t *tag = cbor_build_tag(18, arr);
        d->cose.len = 0;
        bad = !tag || serialize(tag, &d->cose) < 0;
        if (tag)
            cbor_decref(&tag);
    } else {
        bad = 1;
    }
    if (arr)
        cbor_decref(&arr);
    omega_buf_fini(&payload);
    omega_buf_fini(&tbs);
    if (bad)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "cannot encode or sign the COSE_Sign1 evidence");
    return 0;
}

int omega_diffattest_collect(struct omega_diffattest *d, struct omega_platform *p, const uint8_t nonce[32],
                             struct omega_error *err)
{
    struct omega_buf rep, chain;
    omega_buf_init(&rep);
    omega_buf_init(&chain);
    uint8_t gnonce[32], rd[64];
    omega_diffattest_gpu_nonce(nonce, gnonce);
    struct omega_error gerr = {0};
    int rc = omega_gpu_evidence(p, gnonce, &rep, &chain, &gerr);
    if (rc == 0)
        rc = omega_diffattest_add_gpu(d, rep.data, rep.len, chain.data, chain.len, err);
    else if (rc == OMEGA_EUNAVAIL)
        rc = 0;   /* no GPU evidence on this platform (CC off, or no GPU): the bundle says so by omission */
    else if (err)
        *err = gerr;
    if (rc == 0)
        rc = omega_diffattest_seal(d, nonce, rd, err);
    if (rc == 0)
        rc = omega_platform_report(p, rd, 0, &rep, &chain, err);
    if (rc == 0)
        rc = omega_diffattest_attach(d, rep.data, rep.len, chain.data, chain.len, err);
    omega_buf_fini(&rep);
    omega_buf_fini(&chain);
    return rc;
}

/* CBOR head of major type mt with argument v (RFC 8949 3.1). */
static int cbor_head(struct omega_buf *b, uint8_t mt, uint64_t v)
{
    uint8_t h[9];
    size_t n;
    if (v < 24) { h[0] = (uint8_t)(mt << 5 | v); n = 1; }
    else if (v <= 0xff) { h[0] = (uint8_t)(mt << 5 | 24); h[1] = (uint8_t)v; n = 2; }
    else if (v <= 0xffff) { h[0] = (uint8_t)(mt << 5 | 25); h[1] = (uint8_t)(v >> 8); h[2] = (uint8_t)v; n = 3; }
    else if (v <= 0xffffffffu) {
        h[0] = (uint8_t)(mt << 5 | 26);
        for (int i = 0; i < 4; i++) h[1 + i] = (uint8_t)(v >> (24 - 8 * i));
        n = 5;
    } else {
        h[0] = (uint8_t)(mt << 5 | 27);
        for (int i = 0; i < 8; i++) h[1 + i] = (uint8_t)(v >> (56 - 8 * i));
        n = 9;
    }
    return omega_buf_append(b, h, n);
}

static int cbor_bytes(struct omega_buf *b, uint8_t mt, const void *p, size_t n)
{
    OMEGA_TRY(cbor_head(b, mt, n));
    return omega_buf_append(b, p, n);
}

/* One disclosed leaf: [index, salt, principal, name, digest, [proof...]]. */
static int put_leaf(const struct omega_diffattest *d, size_t i, struct omega_buf *b)
{
    const struct leaf *l = &d->leaves[i];
    const uint8_t *path[64];
    size_t k = proof_of(d, i, path);
    OMEGA_TRY(cbor_head(b, 4, 6));
    OMEGA_TRY(cbor_head(b, 0, i));
    OMEGA_TRY(cbor_bytes(b, 2, l->salt, 32));
    OMEGA_TRY(cbor_bytes(b, 3, l->principal, strlen(l->principal)));
    OMEGA_TRY(cbor_bytes(b, 3, l->name, strlen(l->name)));
    OMEGA_TRY(cbor_bytes(b, 2, l->digest, l->dlen));
    OMEGA_TRY(cbor_head(b, 4, k));
    for (size_t j = 0; j < k; j++)
        OMEGA_TRY(cbor_bytes(b, 2, path[j], 32));
    return 0;
}

/* Written directly in canonical CBOR (definite lengths, shortest heads): a bundle is made per principal,
 * thousands at a time, and the COSE bytes it carries are the bulk of it. */
int omega_diffattest_bundle(struct omega_diffattest *d, const char *principal, struct omega_buf *out,
                            struct omega_error *err)
{
    if (!d->cose.len)
        OMEGA_FAIL(err, OMEGA_ESTATE, "attach the hardware report before making bundles");
    size_t mlo, mhi, plo, phi;
    principal_range(d, OMEGA_DA_MONITOR, &mlo, &mhi);
    principal_range(d, principal, &plo, &phi);
    int own = strcmp(principal, OMEGA_DA_MONITOR) != 0;
    if (own && plo == phi)
        OMEGA_FAIL(err, OMEGA_ENOTFOUND, "no claims for principal '%s'", principal);
    out->len = 0;
    int rc = omega_buf_reserve(out, d->cose.len + 256 + (mhi - mlo + (own ? phi - plo : 0)) * 600);
    if (rc == 0) rc = cbor_head(out, 5, 2);
    if (rc == 0) rc = cbor_bytes(out, 3, "cose", 4);
    if (rc == 0) rc = cbor_bytes(out, 2, d->cose.data, d->cose.len);
    if (rc == 0) rc = cbor_bytes(out, 3, "leaves", 6);
    if (rc == 0) rc = cbor_head(out, 4, (mhi - mlo) + (own ? phi - plo : 0));
    for (size_t k = mlo; k < mhi && rc == 0; k++)
        rc = put_leaf(d, d->by_principal[k], out);
    for (size_t k = plo; own && k < phi && rc == 0; k++)
        rc = put_leaf(d, d->by_principal[k], out);
    if (rc < 0)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    return 0;
}
