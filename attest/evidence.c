/* Differential attestation, the principal's side: check one bundle. Every CBOR item is type-checked
 * before use; the hardware report and chain are verified before anything in the payload is believed. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cbor.h>
#include <openssl/err.h>
#include <openssl/sha.h>

#include "attest/cert.h"
#include "attest/diffattest.h"
#include "attest/diffattest_impl.h"
#include "attest/merkle.h"
#include "core/util.h"

void omega_evidence_opts_init(struct omega_evidence_opts *o)
{
    memset(o, 0, sizeof *o);
    omega_snp_policy_init(&o->snp);
}

void omega_evidence_cache_fini(struct omega_evidence_cache *c)
{
    EVP_PKEY_free(c->key);
    memset(c, 0, sizeof *c);
}

void omega_evidence_result_fini(struct omega_evidence_result *res)
{
    free(res->claims);
    res->claims = NULL;
    res->nclaims = 0;
}

static int is_bstr(const cbor_item_t *i) { return i && cbor_isa_bytestring(i) && cbor_bytestring_is_definite(i); }
static int is_tstr(const cbor_item_t *i) { return i && cbor_isa_string(i) && cbor_string_is_definite(i); }

static int tstr_eq(const cbor_item_t *i, const char *s)
{
    return is_tstr(i) && cbor_string_length(i) == strlen(s) && memcmp(cbor_string_handle(i), s, strlen(s)) == 0;
}

static int tstr_copy(const cbor_item_t *i, char *out, size_t cap)
{
    if (!is_tstr(i) || cbor_string_length(i) == 0 || cbor_string_length(i) >= cap)
        return -1;
    memcpy(out, cbor_string_handle(i), cbor_string_length(i));
    out[cbor_string_length(i)] = 0;
    return memchr(out, 0, cbor_string_length(i)) ? -1 : 0;
}

static int uint_of(const cbor_item_t *i, uint64_t *v)
{
    if (!i || !cbor_isa_uint(i))
        return -1;
    *v = cbor_get_int(i);
    return 0;
}

/* Well-formedness of one CBOR item before libcbor sees it: libcbor 0.8 allocates what a header declares
 * (an array of 2^31 items, a 15 GB string) before it knows the bytes are there, so every declared
 * length is first checked against the bytes that remain; indefinite lengths and deep nesting are
 * refused (the evidence never uses them). Returns the item's length, or 0 when malformed. */
static size_t cbor_scan(const uint8_t *p, size_t n, int depth)
{
    if (n == 0 || depth > 16)
        return 0;
    uint8_t mt = p[0] >> 5, ai = p[0] & 31;
    size_t h = 1;
    uint64_t v = ai;
    if (ai >= 24 && ai <= 27) {
        size_t k = (size_t)1 << (ai - 24);
        if (n < 1 + k)
            return 0;
        v = 0;
        for (size_t i = 0; i < k; i++)
            v = v << 8 | p[1 + i];
        h += k;
    } else if (ai > 27) {
        return 0;
    }
    size_t off = h;
    switch (mt) {
    case 0: case 1: case 7:
        return off;
    case 2: case 3:
        return v <= n - off ? off + (size_t)v : 0;
    case 4: case 5: {
        if (v > n - off || (mt == 5 && v > (n - off) / 2))
            return 0;
        uint64_t items = mt == 5 ? 2 * v : v;
        for (uint64_t i = 0; i < items; i++) {
            size_t l = cbor_scan(p + off, n - off, depth + 1);
            if (!l)
                return 0;
            off += l;
        }
        return off;
    }
    default: {   /* 6: a tag and its item */
        size_t l = cbor_scan(p + off, n - off, depth + 1);
        return l ? off + l : 0;
    }
    }
}

static cbor_item_t *cbor_load_checked(const uint8_t *p, size_t n)
{
    struct cbor_load_result lr;
    if (cbor_scan(p, n, 0) != n)
        return NULL;
    cbor_item_t *i = cbor_load(p, n, &lr);
    if (i && (lr.error.code != CBOR_ERR_NONE || lr.read != n)) {
        cbor_decref(&i);
        return NULL;
    }
    return i;
}

struct payload {
    const cbor_item_t *nonce, *report, *chain, *gpu, *gpu_chain, *root;
    uint64_t size, iat;
    int have_size, have_iat, have_profile;
};

#define FMT(...) do { rc = omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__, __VA_ARGS__); goto out; } while (0)
#define BAD(...) do { rc = omega_error_set(err, OMEGA_EVERIFY, __FILE__, __LINE__, __VA_ARGS__); goto out; } while (0)

static int parse_payload(const cbor_item_t *m, struct payload *p, struct omega_error *err)
{
    memset(p, 0, sizeof *p);
    if (!cbor_isa_map(m) || !cbor_map_is_definite(m))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "evidence payload is not a CBOR map");
    struct cbor_pair *kv = cbor_map_handle(m);
    for (size_t i = 0; i < cbor_map_size(m); i++) {
        const cbor_item_t *k = kv[i].key, *v = kv[i].value;
        const cbor_item_t **slot = NULL;
        uint64_t ik;
        if (uint_of(k, &ik) == 0) {
            if (ik == 10) slot = &p->nonce;
            else if (ik == 6) {
                if (p->have_iat || uint_of(v, &p->iat) < 0)
                    OMEGA_FAIL(err, OMEGA_EFORMAT, "evidence payload: bad or repeated iat");
                p->have_iat = 1;
                continue;
            } else if (ik == 265) {
                if (p->have_profile || !tstr_eq(v, OMEGA_DA_PROFILE))
                    OMEGA_FAIL(err, OMEGA_EFORMAT, "evidence payload: eat_profile is not %s", OMEGA_DA_PROFILE);
                p->have_profile = 1;
                continue;
            }
        } else if (tstr_eq(k, "snp-report")) slot = &p->report;
        else if (tstr_eq(k, "snp-chain")) slot = &p->chain;
        else if (tstr_eq(k, "gpu-evidence")) slot = &p->gpu;
        else if (tstr_eq(k, "gpu-chain")) slot = &p->gpu_chain;
        else if (tstr_eq(k, "tree-root")) slot = &p->root;
        else if (tstr_eq(k, "tree-size")) {
            if (p->have_size || uint_of(v, &p->size) < 0)
                OMEGA_FAIL(err, OMEGA_EFORMAT, "evidence payload: bad or repeated tree-size");
            p->have_size = 1;
            continue;
        }
        if (!slot)
            continue;   /* unknown claims are ignored, as EAT allows */
        if (*slot || !is_bstr(v))
            OMEGA_FAIL(err, OMEGA_EFORMAT, "evidence payload: a claim is repeated or not a byte string");
        *slot = v;
    }
    if (!p->nonce || cbor_bytestring_length(p->nonce) != 32 || !p->report || !p->chain || !p->root ||
        cbor_bytestring_length(p->root) != 32 || !p->have_size || !p->have_iat || !p->have_profile)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "evidence payload lacks a required claim (nonce, report, chain, tree, iat, profile)");
    if ((p->gpu != NULL) != (p->gpu_chain != NULL))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "evidence payload has GPU evidence without its chain, or the reverse");
    return 0;
}

static int64_t asn1_to_epoch(const ASN1_TIME *t)
{
    struct tm tm;
    if (ASN1_TIME_to_tm(t, &tm) != 1)
        return -1;
    return (int64_t)timegm(&tm);
}

/* Fill the cache from a chain just verified in full. */
static void cache_chain(struct omega_evidence_cache *c, const uint8_t digest[32], const uint8_t *chain, size_t clen,
                        const struct omega_evidence_opts *o, const struct omega_snp_result *snp)
{
    STACK_OF(X509) *s = NULL;
    if (omega_cert_load(chain, clen, &s, NULL) < 0 || sk_X509_num(s) != 3) {
        sk_X509_pop_free(s, X509_free);
        return;   /* only chains that carry their leaf (VCEK, ASK, ARK) are cached */
    }
    int64_t nb = 0, na = INT64_MAX;
    for (int i = 0; i < 3; i++) {
        int64_t b = asn1_to_epoch(X509_get0_notBefore(sk_X509_value(s, i)));
        int64_t a = asn1_to_epoch(X509_get0_notAfter(sk_X509_value(s, i)));
        if (b > nb) nb = b;
        if (a < na) na = a;
    }
    EVP_PKEY_free(c->key);
    c->key = X509_get_pubkey(sk_X509_value(s, 0));
    c->have_chain = c->key && omega_amd_ext_read(sk_X509_value(s, 0), &c->ext, NULL) == 0;
    memcpy(c->chain_digest, digest, 32);
    c->trust = o->snp.trust;
    c->not_before = nb;
    c->not_after = na;
    c->snp = *snp;
    sk_X509_pop_free(s, X509_free);
}

static int verify_hw(const struct payload *p, const struct omega_evidence_opts *o, struct omega_snp_policy *pol,
                     struct omega_snp_result *snp, struct omega_error *err)
{
    const uint8_t *rep = cbor_bytestring_handle(p->report), *ch = cbor_bytestring_handle(p->chain);
    size_t rlen = cbor_bytestring_length(p->report), clen = cbor_bytestring_length(p->chain);
    struct omega_evidence_cache *c = o->cache;
    if (!c || c->level <= 0)
        return omega_snp_verify(rep, rlen, NULL, 0, ch, clen, pol, snp, err);
    uint8_t cd[32], rd[32];
    SHA256(ch, clen, cd);
    int chain_hit = c->have_chain && c->trust == pol->trust && memcmp(cd, c->chain_digest, 32) == 0 &&
                    pol->at >= c->not_before && pol->at <= c->not_after;
    if (chain_hit && c->level >= 2 && c->have_report) {
        SHA256(rep, rlen, rd);
        if (memcmp(rd, c->report_digest, 32) == 0) {
            /* Same report, already verified: only the policy is re-applied. */
            *snp = c->snp;
            return omega_snp_verify_with_key(rep, rlen, NULL, &c->ext, c->snp.product, pol, snp, err);
        }
    }
    if (chain_hit) {
        *snp = c->snp;
        OMEGA_TRY(omega_snp_verify_with_key(rep, rlen, c->key, &c->ext, c->snp.product, pol, snp, err));
    } else {
        OMEGA_TRY(omega_snp_verify(rep, rlen, NULL, 0, ch, clen, pol, snp, err));
        cache_chain(c, cd, ch, clen, o, snp);
    }
    if (c->level >= 2) {
        SHA256(rep, rlen, c->report_digest);
        c->have_report = 1;
    }
    return 0;
}

int omega_evidence_check(const uint8_t *bundle, size_t n, const struct omega_evidence_opts *o,
                         struct omega_evidence_result *res, struct omega_error *err)
{
    memset(res, 0, sizeof *res);
    int rc = 0;
    cbor_item_t *top = NULL, *pl = NULL, *coseitem = NULL;
    struct omega_buf tbs;
    omega_buf_init(&tbs);
    if (n == 0 || n > (64u << 20))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "evidence bundle is empty or too large");
    top = cbor_load_checked(bundle, n);
    if (!top)
        FMT("evidence bundle is not one well-formed CBOR item");
    if (!cbor_isa_map(top) || !cbor_map_is_definite(top) || cbor_map_size(top) != 2)
        FMT("evidence bundle is not a map of \"cose\" and \"leaves\"");
    const cbor_item_t *leaves = NULL, *cosebytes = NULL;
    struct cbor_pair *kv = cbor_map_handle(top);
    for (size_t i = 0; i < 2; i++) {
        if (tstr_eq(kv[i].key, "cose") && !cosebytes) cosebytes = kv[i].value;
        else if (tstr_eq(kv[i].key, "leaves") && !leaves) leaves = kv[i].value;
    }
    if (!cosebytes || !leaves || !cbor_isa_array(leaves) || !cbor_array_is_definite(leaves) || !is_bstr(cosebytes))
        FMT("evidence bundle is not a map of \"cose\" (bytes) and \"leaves\"");
    /* The COSE_Sign1 travels byte-wrapped: its tag (18, one byte 0xd2) is checked here and the array decoded
     * on its own, which also keeps a tagged item away from libcbor 0.8's decoder for tagged containers. */
    const uint8_t *cb = cbor_bytestring_handle(cosebytes);
    size_t cblen = cbor_bytestring_length(cosebytes);
    if (cblen < 2 || cb[0] != 0xd2)
        FMT("\"cose\" is not a tagged COSE_Sign1 (tag 18)");
    coseitem = cbor_load_checked(cb + 1, cblen - 1);
    if (!coseitem || !cbor_isa_array(coseitem) ||
        !cbor_array_is_definite(coseitem) || cbor_array_size(coseitem) != 4)
        FMT("\"cose\" is not a COSE_Sign1 (an array of four items)");
    cbor_item_t **cs = cbor_array_handle(coseitem);
    if (!is_bstr(cs[0]) || cbor_bytestring_length(cs[0]) != sizeof omega_da_protected ||
        memcmp(cbor_bytestring_handle(cs[0]), omega_da_protected, sizeof omega_da_protected) != 0)
        FMT("COSE_Sign1 protected header is not {alg: EdDSA}");
    if (!cbor_isa_map(cs[1]) || !is_bstr(cs[2]) || !is_bstr(cs[3]) || cbor_bytestring_length(cs[3]) != 64)
        FMT("COSE_Sign1 items have the wrong types (map, payload, 64-byte signature)");
    const uint8_t *payload = cbor_bytestring_handle(cs[2]);
    size_t plen = cbor_bytestring_length(cs[2]);
    pl = cbor_load_checked(payload, plen);
    if (!pl)
        FMT("COSE_Sign1 payload is not one well-formed CBOR item");
    struct payload p;
    if ((rc = parse_payload(pl, &p, err)) < 0)
        goto out;
    memcpy(res->nonce, cbor_bytestring_handle(p.nonce), 32);
    memcpy(res->root, cbor_bytestring_handle(p.root), 32);
    res->tree_size = p.size;
    res->iat = (int64_t)p.iat;
    if (o->nonce && omega_ct_compare(o->nonce, res->nonce, 32) != 0)
        BAD("evidence nonce is not the expected nonce");

    /* 1. The hardware report binds root and nonce, and chains to a pinned root. */
    struct omega_snp_policy pol = o->snp;
    uint8_t rd[64];
    omega_da_report_data(res->root, res->nonce, rd);
    pol.report_data = rd;
    if ((rc = verify_hw(&p, o, &pol, &res->snp, err)) < 0)
        goto out;

    /* 2. Each disclosed leaf is in that tree. */
    size_t nl = cbor_array_size(leaves);
    if (nl > p.size)
        FMT("evidence discloses %zu leaves of a tree of %llu", nl, (unsigned long long)p.size);
    res->claims = calloc(nl ? nl : 1, sizeof *res->claims);
    if (!res->claims) {
        rc = omega_error_set(err, OMEGA_ENOMEM, __FILE__, __LINE__, "out of memory");
        goto out;
    }
    int have_ev = 0, have_log = 0, have_own = 0;
    cbor_item_t **la = cbor_array_handle(leaves);
    for (size_t i = 0; i < nl; i++) {
        struct omega_evidence_claim *c = &res->claims[i];
        const cbor_item_t *e = la[i];
        if (!cbor_isa_array(e) || !cbor_array_is_definite(e) || cbor_array_size(e) != 6)
            FMT("leaf %zu is not [index, salt, principal, name, digest, proof]", i);
        cbor_item_t **f = cbor_array_handle(e);
        if (uint_of(f[0], &c->index) < 0 || !is_bstr(f[1]) || cbor_bytestring_length(f[1]) != 32 ||
            tstr_copy(f[2], c->principal, sizeof c->principal) < 0 || tstr_copy(f[3], c->name, sizeof c->name) < 0 ||
            !is_bstr(f[4]) || cbor_bytestring_length(f[4]) == 0 || cbor_bytestring_length(f[4]) > OMEGA_DA_DIGEST_MAX ||
            !cbor_isa_array(f[5]) || !cbor_array_is_definite(f[5]) || cbor_array_size(f[5]) > OMEGA_MERKLE_MAX_PROOF)
            FMT("leaf %zu has a field of the wrong type or size", i);
        c->dlen = cbor_bytestring_length(f[4]);
        memcpy(c->digest, cbor_bytestring_handle(f[4]), c->dlen);
        omega_merkle_hash proof[OMEGA_MERKLE_MAX_PROOF], lh;
        size_t np = cbor_array_size(f[5]);
        cbor_item_t **pa = cbor_array_handle(f[5]);
        for (size_t j = 0; j < np; j++) {
            if (!is_bstr(pa[j]) || cbor_bytestring_length(pa[j]) != 32)
                FMT("leaf %zu: proof hash %zu is not 32 bytes", i, j);
            memcpy(proof[j], cbor_bytestring_handle(pa[j]), 32);
        }
        if (omega_da_leaf_hash(cbor_bytestring_handle(f[1]), c->principal, c->name, c->digest, c->dlen, lh) < 0)
            FMT("leaf %zu is malformed", i);
        if (c->index >= p.size || omega_merkle_inclusion_verify(lh, c->index, p.size, proof, np, res->root) != 0)
            BAD("claim %s/%s is not in the attested tree (inclusion proof fails)", c->principal, c->name);
        for (size_t j = 0; j < i; j++)
            if (res->claims[j].index == c->index)
                FMT("leaf %llu is disclosed twice", (unsigned long long)c->index);
        if (strcmp(c->principal, OMEGA_DA_MONITOR) == 0 && strcmp(c->name, "evidence-key") == 0 && c->dlen == 32) {
            memcpy(res->evidence_key, c->digest, 32);
            have_ev = 1;
        } else if (strcmp(c->principal, OMEGA_DA_MONITOR) == 0 && strcmp(c->name, "log-signing-key") == 0 &&
                   c->dlen == 32) {
            memcpy(res->log_key, c->digest, 32);
            have_log = 1;
        } else if (o->principal && strcmp(c->principal, o->principal) != 0 && strcmp(c->principal, OMEGA_DA_MONITOR) != 0) {
            BAD("bundle discloses a claim of another principal (%s)", c->principal);
        }
        have_own |= o->principal && strcmp(c->principal, o->principal) == 0;
        res->nclaims++;
    }
    if (!have_ev || !have_log)
        BAD("bundle lacks the monitor's attested evidence key or log-signing key");
    if (o->principal && !have_own && strcmp(o->principal, OMEGA_DA_MONITOR) != 0)
        BAD("bundle holds no claims of principal '%s'", o->principal);

    /* 3. The COSE signature, with the attested evidence key. */
    if (omega_da_sig_structure(cbor_bytestring_handle(cs[0]), cbor_bytestring_length(cs[0]), payload, plen, &tbs) < 0) {
        rc = omega_error_set(err, OMEGA_ENOMEM, __FILE__, __LINE__, "out of memory");
        goto out;
    }
    EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, res->evidence_key, 32);
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    int ok = k && mc && EVP_DigestVerifyInit(mc, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestVerify(mc, cbor_bytestring_handle(cs[3]), 64, tbs.data, tbs.len) == 1;
    EVP_MD_CTX_free(mc);
    EVP_PKEY_free(k);
    ERR_clear_error();
    if (!ok)
        BAD("COSE_Sign1 signature does not verify with the monitor's attested evidence key");

    /* 4. The GPU evidence, for the principal that cares about the platform. */
    res->gpu_present = p.gpu != NULL;
    if (o->check_gpu) {
        if (!p.gpu)
            BAD("evidence carries no GPU evidence");
        uint8_t gn[32], gd[32];
        omega_diffattest_gpu_nonce(res->nonce, gn);
        struct omega_gpu_policy gp = {.at = o->snp.at, .trust = o->snp.trust, .nonce = gn};
        static __thread struct omega_gpu_evidence ev;
        int emu;
        if ((rc = omega_gpu_verify(cbor_bytestring_handle(p.gpu), cbor_bytestring_length(p.gpu),
                                   cbor_bytestring_handle(p.gpu_chain), cbor_bytestring_length(p.gpu_chain), &gp, &ev,
                                   &emu, err)) < 0)
            goto out;
        SHA256(cbor_bytestring_handle(p.gpu), cbor_bytestring_length(p.gpu), gd);
        int found = 0;
        for (size_t i = 0; i < res->nclaims; i++)
            found |= strcmp(res->claims[i].principal, OMEGA_DA_PLATFORM) == 0 &&
                     strcmp(res->claims[i].name, "gpu-evidence") == 0 && res->claims[i].dlen == 32 &&
                     memcmp(res->claims[i].digest, gd, 32) == 0;
        if (!found)
            BAD("GPU evidence is not the one measured into the tree");
        res->gpu_verified = 1;
    }
out:
    if (rc < 0)
        omega_evidence_result_fini(res);
    omega_buf_fini(&tbs);
    if (coseitem)
        cbor_decref(&coseitem);
    if (pl)
        cbor_decref(&pl);
    if (top)
        cbor_decref(&top);
    return rc;
}

int omega_evidence_expect(const struct omega_evidence_result *res, const char *principal, const char *name,
                          const uint8_t *digest, size_t dlen, struct omega_error *err)
{
    for (size_t i = 0; i < res->nclaims; i++) {
        const struct omega_evidence_claim *c = &res->claims[i];
        if (strcmp(c->principal, principal) != 0 || strcmp(c->name, name) != 0)
            continue;
        if (c->dlen != dlen || omega_ct_compare(c->digest, digest, dlen) != 0)
            OMEGA_FAIL(err, OMEGA_EVERIFY, "claim %s/%s has another digest than expected", principal, name);
        return 0;
    }
    OMEGA_FAIL(err, OMEGA_EVERIFY, "claim %s/%s is not in the evidence", principal, name);
}

int omega_evidence_log_key(const uint8_t *bundle, size_t n, const struct omega_evidence_opts *o, uint8_t pub[32],
                           struct omega_error *err)
{
    struct omega_evidence_result res;
    OMEGA_TRY(omega_evidence_check(bundle, n, o, &res, err));
    memcpy(pub, res.log_key, 32);
    omega_evidence_result_fini(&res);
    return 0;
}
