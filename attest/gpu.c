/* H100 evidence: SPDM 1.1 GET_MEASUREMENTS parsing and verification. */
#include "attest/gpu.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "attest/cert.h"
#include "core/util.h"

#define RD(x) do { if ((x) < 0) goto trunc; } while (0)

static int rd_u24(struct omega_rd *r, uint32_t *v)
{
    uint8_t b[3];
    OMEGA_TRY(omega_rd_bytes(r, b, 3));
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
    return 0;
}

static int parse_opaque(struct omega_gpu_evidence *ev, struct omega_error *err)
{
    struct omega_rd r;
    omega_rd_init(&r, ev->opaque, ev->opaque_len);
    while (omega_rd_left(&r) > 0) {
        uint16_t type, len;
        const uint8_t *v;
        if (omega_rd_u16le(&r, &type) < 0 || omega_rd_u16le(&r, &len) < 0 || omega_rd_ptr(&r, &v, len) < 0)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "GPU evidence: opaque data TLV overruns its %zu bytes", ev->opaque_len);
        if (type == OMEGA_GPU_OPAQUE_DRIVER_VERSION) {
            size_t k = 0;
            for (; k < len && k + 1 < sizeof ev->driver && v[k]; k++)
                ev->driver[k] = isprint(v[k]) ? (char)v[k] : '?';
            ev->driver[k] = 0;
        } else if (type == OMEGA_GPU_OPAQUE_VBIOS_VERSION && len >= 5) {
            /* The way NVIDIA's verifier prints it: the first word little-endian, then the fifth byte. */
            snprintf(ev->vbios, sizeof ev->vbios, "%02x.%02x.%02x.%02x.%02x", v[3], v[2], v[1], v[0], v[4]);
        } else if (type == OMEGA_GPU_OPAQUE_FWID) {
            if (len != 48)
                OMEGA_FAIL(err, OMEGA_EFORMAT, "GPU evidence: FWID is %u bytes, not 48", len);
            memcpy(ev->fwid, v, 48);
            ev->has_fwid = 1;
        }
    }
    return 0;
}

int omega_gpu_evidence_parse(struct omega_gpu_evidence *ev, const uint8_t *p, size_t n, struct omega_error *err)
{
    memset(ev, 0, sizeof *ev);
    struct omega_rd r;
    omega_rd_init(&r, p, n);
    uint8_t ver, code, nb;
    /* GET_MEASUREMENTS request: version, code 0xE0, param1 (bit 0: signature requested), param2 (0xFF:
     * all blocks), nonce, slot. */
    RD(omega_rd_u8(&r, &ev->version));
    RD(omega_rd_u8(&r, &code));
    if (ev->version != 0x11)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "GPU evidence: SPDM version 0x%02x, expected 0x11 (SPDM 1.1)", ev->version);
    if (code != 0xE0)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "GPU evidence: request code 0x%02x is not GET_MEASUREMENTS (0xE0)", code);
    RD(omega_rd_u8(&r, &ev->req_param1));
    RD(omega_rd_u8(&r, &ev->req_param2));
    if (!(ev->req_param1 & 1))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "GPU evidence: the request did not ask for a signature");
    RD(omega_rd_bytes(&r, ev->nonce, 32));
    RD(omega_rd_u8(&r, &ev->slot));
    /* MEASUREMENTS response. */
    RD(omega_rd_u8(&r, &ver));
    RD(omega_rd_u8(&r, &code));
    if (ver != ev->version)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "GPU evidence: response version 0x%02x differs from the request's", ver);
    if (code != 0x60)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "GPU evidence: response code 0x%02x is not MEASUREMENTS (0x60)", code);
    RD(omega_rd_skip(&r, 2));   /* param1 (reserved when all blocks are asked), param2 (slot) */
    RD(omega_rd_u8(&r, &nb));
    uint32_t reclen;
    RD(rd_u24(&r, &reclen));
    const uint8_t *rec;
    RD(omega_rd_ptr(&r, &rec, reclen));
    struct omega_rd br;
    omega_rd_init(&br, rec, reclen);
    while (omega_rd_left(&br) > 0) {
        if (ev->nblocks >= nb || ev->nblocks >= OMEGA_GPU_MAX_BLOCKS)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "GPU evidence: more measurement blocks than the %u announced", nb);
        struct omega_gpu_block *b = &ev->blocks[ev->nblocks];
        uint16_t msize;
        if (omega_rd_u8(&br, &b->index) < 0 || omega_rd_u8(&br, &b->spec) < 0 || omega_rd_u16le(&br, &msize) < 0 ||
            msize < 3 || omega_rd_u8(&br, &b->type) < 0 || omega_rd_u16le(&br, &b->len) < 0 ||
            b->len != msize - 3 || omega_rd_ptr(&br, &b->value, b->len) < 0)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "GPU evidence: measurement block %zu is malformed", ev->nblocks + 1);
        if (b->spec != 1)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "GPU evidence: block %u is not a DMTF measurement (spec %u)", b->index, b->spec);
        ev->nblocks++;
    }
    if (ev->nblocks != nb)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "GPU evidence: %zu measurement blocks, %u announced", ev->nblocks, nb);
    RD(omega_rd_bytes(&r, ev->resp_nonce, 32));
    uint16_t olen;
    RD(omega_rd_u16le(&r, &olen));
    RD(omega_rd_ptr(&r, &ev->opaque, olen));
    ev->opaque_len = olen;
    ev->signed_len = r.off;
    RD(omega_rd_ptr(&r, &ev->sig, OMEGA_GPU_SIG_LEN));
    if (omega_rd_left(&r) != 0)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "GPU evidence: %zu bytes after the signature", omega_rd_left(&r));
    return parse_opaque(ev, err);
trunc:
    OMEGA_FAIL(err, OMEGA_EFORMAT, "GPU evidence truncated (%zu bytes)", n);
}

int omega_gpu_evidence_decode(const uint8_t *p, size_t n, struct omega_buf *out, struct omega_error *err)
{
    out->len = 0;
    int hex = n > 0;
    for (size_t i = 0; i < n && hex; i++)
        hex = isxdigit(p[i]) || isspace(p[i]);
    if (hex) {
        if (omega_hex_decode((const char *)p, n, out) < 0)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "GPU evidence: hex text has an odd number of digits");
        return 0;
    }
    if (omega_buf_append(out, p, n) < 0)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    return 0;
}

int omega_gpu_evidence_verify_sig(const struct omega_gpu_evidence *ev, const uint8_t *p, EVP_PKEY *key,
                                  struct omega_error *err)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(ev->sig, 48, NULL), *s = BN_bin2bn(ev->sig + 48, 48, NULL);
    unsigned char *der = NULL;
    int derlen = -1, ok = 0;
    if (sig && r && s && ECDSA_SIG_set0(sig, r, s) == 1) {
        r = s = NULL;
        derlen = i2d_ECDSA_SIG(sig, &der);
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    if (derlen <= 0)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "cannot encode the GPU evidence signature");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, key) == 1)
        ok = EVP_DigestVerify(ctx, der, (size_t)derlen, p, ev->signed_len) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    if (!ok)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "GPU evidence signature does not verify with the leaf certificate's key");
    return 0;
}

static int check_refs(const struct omega_gpu_evidence *ev, const json_t *refs, struct omega_error *err)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)refs, k, v) {
        char *end;
        long idx = strtol(k, &end, 10);
        if (*end || idx < 0 || idx > 255 || !json_is_string(v))
            OMEGA_FAIL(err, OMEGA_EFORMAT, "reference values: '%s' is not \"<block index>\": \"<hex>\"", k);
        const struct omega_gpu_block *b = NULL;
        for (size_t i = 0; i < ev->nblocks; i++)
            if (ev->blocks[i].index == idx)
                b = &ev->blocks[i];
        if (!b)
            OMEGA_FAIL(err, OMEGA_EVERIFY, "measurement block %ld is missing from the evidence", idx);
        struct omega_buf want;
        omega_buf_init(&want);
        const char *s = json_string_value(v);
        int bad = omega_hex_decode(s, strlen(s), &want) < 0;
        int same = !bad && want.len == b->len && omega_ct_compare(want.data, b->value, b->len) == 0;
        omega_buf_fini(&want);
        if (bad)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "reference value for block %ld is not hex", idx);
        if (!same)
            OMEGA_FAIL(err, OMEGA_EVERIFY, "measurement block %ld differs from its reference value", idx);
    }
    return 0;
}

int omega_gpu_verify(const uint8_t *p, size_t n, const uint8_t *chain, size_t chain_len, const struct omega_gpu_policy *pol,
                     struct omega_gpu_evidence *ev, int *emulated, struct omega_error *err)
{
    OMEGA_TRY(omega_gpu_evidence_parse(ev, p, n, err));
    STACK_OF(X509) *certs = NULL;
    OMEGA_TRY(omega_cert_load(chain, chain_len, &certs, err));
    int rc = omega_nv_chain_verify(certs, pol->at, pol->trust, emulated, err);
    X509 *leaf = sk_X509_value(certs, 0);
    EVP_PKEY *key = rc == 0 ? X509_get0_pubkey(leaf) : NULL;
    if (rc == 0 && (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC || EVP_PKEY_get_bits(key) != 384))
        rc = omega_error_set(err, OMEGA_EVERIFY, __FILE__, __LINE__, "GPU leaf key is not ECDSA P-384");
    if (rc == 0)
        rc = omega_gpu_evidence_verify_sig(ev, p, key, err);
    if (rc == 0 && pol->nonce && omega_ct_compare(pol->nonce, ev->nonce, 32) != 0)
        rc = omega_error_set(err, OMEGA_EVERIFY, __FILE__, __LINE__, "GPU evidence nonce is not the expected nonce");
    if (rc == 0) {
        uint8_t fwid[48];
        rc = omega_nv_leaf_fwid(leaf, fwid, err);
        if (rc == 0 && !ev->has_fwid)
            rc = omega_error_set(err, OMEGA_EVERIFY, __FILE__, __LINE__, "GPU evidence carries no FWID");
        if (rc == 0 && omega_ct_compare(fwid, ev->fwid, 48) != 0)
            rc = omega_error_set(err, OMEGA_EVERIFY, __FILE__, __LINE__,
                                 "GPU evidence FWID differs from the leaf certificate's TcbInfo FWID");
    }
    if (rc == 0 && pol->refs)
        rc = check_refs(ev, pol->refs, err);
    sk_X509_pop_free(certs, X509_free);
    return rc;
}
