/* SEV-SNP ATTESTATION_REPORT: exact parsing through the bounded reader, serialization, ECDSA P-384. */
#include "attest/snp.h"

#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "core/util.h"

#define RD(x) do { if ((x) < 0) goto trunc; } while (0)

static int reserved(struct omega_rd *r, size_t n, size_t off, struct omega_error *err)
{
    if (omega_rd_zeros(r, n) < 0)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "SNP report: reserved bytes at 0x%zx-0x%zx are not zero", off, off + n - 1);
    return 0;
}

int omega_snp_report_parse(struct omega_snp_report *r, const uint8_t *p, size_t n, struct omega_error *err)
{
    memset(r, 0, sizeof *r);
    if (n != OMEGA_SNP_REPORT_LEN)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "SNP report is %zu bytes, an ATTESTATION_REPORT has exactly %d", n,
                   OMEGA_SNP_REPORT_LEN);
    struct omega_rd rd;
    omega_rd_init(&rd, p, n);
    RD(omega_rd_u32le(&rd, &r->version));
    if (r->version != 2 && r->version != 3 && r->version != 5)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "SNP report version %u is not supported (2, 3 or 5)", r->version);
    RD(omega_rd_u32le(&rd, &r->guest_svn));
    RD(omega_rd_u64le(&rd, &r->policy));
    RD(omega_rd_bytes(&rd, r->family_id, 16));
    RD(omega_rd_bytes(&rd, r->image_id, 16));
    RD(omega_rd_u32le(&rd, &r->vmpl));
    RD(omega_rd_u32le(&rd, &r->sig_algo));
    if (r->sig_algo != 1)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "SNP report signature algorithm %u is not 1 (ECDSA P-384 with SHA-384)",
                   r->sig_algo);
    RD(omega_rd_u64le(&rd, &r->current_tcb));
    RD(omega_rd_u64le(&rd, &r->platform_info));
    RD(omega_rd_u32le(&rd, &r->flags));
    if (r->flags & ~0x1fu)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "SNP report: reserved bits of the key-info word at 0x48 are set (0x%x)", r->flags);
    OMEGA_TRY(reserved(&rd, 4, 0x4c, err));
    RD(omega_rd_bytes(&rd, r->report_data, 64));
    RD(omega_rd_bytes(&rd, r->measurement, 48));
    RD(omega_rd_bytes(&rd, r->host_data, 32));
    RD(omega_rd_bytes(&rd, r->id_key_digest, 48));
    RD(omega_rd_bytes(&rd, r->author_key_digest, 48));
    RD(omega_rd_bytes(&rd, r->report_id, 32));
    RD(omega_rd_bytes(&rd, r->report_id_ma, 32));
    RD(omega_rd_u64le(&rd, &r->reported_tcb));
    if (r->version >= 3) {
        RD(omega_rd_u8(&rd, &r->cpuid_fam_id));
        RD(omega_rd_u8(&rd, &r->cpuid_mod_id));
        RD(omega_rd_u8(&rd, &r->cpuid_step));
        OMEGA_TRY(reserved(&rd, 21, 0x18b, err));
    } else {
        OMEGA_TRY(reserved(&rd, 24, 0x188, err));
    }
    RD(omega_rd_bytes(&rd, r->chip_id, 64));
    RD(omega_rd_u64le(&rd, &r->committed_tcb));
    RD(omega_rd_u8(&rd, &r->current_build));
    RD(omega_rd_u8(&rd, &r->current_minor));
    RD(omega_rd_u8(&rd, &r->current_major));
    OMEGA_TRY(reserved(&rd, 1, 0x1eb, err));
    RD(omega_rd_u8(&rd, &r->committed_build));
    RD(omega_rd_u8(&rd, &r->committed_minor));
    RD(omega_rd_u8(&rd, &r->committed_major));
    OMEGA_TRY(reserved(&rd, 1, 0x1ef, err));
    RD(omega_rd_u64le(&rd, &r->launch_tcb));
    if (r->version >= 5) {
        RD(omega_rd_u64le(&rd, &r->launch_mit_vector));
        RD(omega_rd_u64le(&rd, &r->current_mit_vector));
        OMEGA_TRY(reserved(&rd, 0x2a0 - 0x208, 0x208, err));
    } else {
        OMEGA_TRY(reserved(&rd, 0x2a0 - 0x1f8, 0x1f8, err));
    }
    RD(omega_rd_bytes(&rd, r->sig_r, OMEGA_SNP_SIG_COMPONENT));
    RD(omega_rd_bytes(&rd, r->sig_s, OMEGA_SNP_SIG_COMPONENT));
    OMEGA_TRY(reserved(&rd, OMEGA_SNP_REPORT_LEN - 0x330, 0x330, err));
    return 0;
trunc:
    OMEGA_FAIL(err, OMEGA_EFORMAT, "SNP report truncated");
}

static uint8_t *put(uint8_t *o, const void *p, size_t n)
{
    memcpy(o, p, n);
    return o + n;
}

static uint8_t *put32(uint8_t *o, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        o[i] = (uint8_t)(v >> (8 * i));
    return o + 4;
}

static uint8_t *put64(uint8_t *o, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        o[i] = (uint8_t)(v >> (8 * i));
    return o + 8;
}

void omega_snp_report_serialize(const struct omega_snp_report *r, uint8_t out[OMEGA_SNP_REPORT_LEN])
{
    memset(out, 0, OMEGA_SNP_REPORT_LEN);
    uint8_t *o = out;
    o = put32(o, r->version);
    o = put32(o, r->guest_svn);
    o = put64(o, r->policy);
    o = put(o, r->family_id, 16);
    o = put(o, r->image_id, 16);
    o = put32(o, r->vmpl);
    o = put32(o, r->sig_algo);
    o = put64(o, r->current_tcb);
    o = put64(o, r->platform_info);
    o = put32(o, r->flags & 0x1f);
    o += 4;
    o = put(o, r->report_data, 64);
    o = put(o, r->measurement, 48);
    o = put(o, r->host_data, 32);
    o = put(o, r->id_key_digest, 48);
    o = put(o, r->author_key_digest, 48);
    o = put(o, r->report_id, 32);
    o = put(o, r->report_id_ma, 32);
    o = put64(o, r->reported_tcb);
    if (r->version >= 3) {
        o[0] = r->cpuid_fam_id;
        o[1] = r->cpuid_mod_id;
        o[2] = r->cpuid_step;
    }
    o += 24;
    o = put(o, r->chip_id, 64);
    o = put64(o, r->committed_tcb);
    o[0] = r->current_build, o[1] = r->current_minor, o[2] = r->current_major;
    o[4] = r->committed_build, o[5] = r->committed_minor, o[6] = r->committed_major;
    o += 8;
    o = put64(o, r->launch_tcb);
    if (r->version >= 5) {
        o = put64(o, r->launch_mit_vector);
        o = put64(o, r->current_mit_vector);
    }
    o = out + OMEGA_SNP_SIGNED_LEN;
    o = put(o, r->sig_r, OMEGA_SNP_SIG_COMPONENT);
    put(o, r->sig_s, OMEGA_SNP_SIG_COMPONENT);
}

unsigned omega_snp_report_signing_key(const struct omega_snp_report *r) { return (r->flags >> 2) & 7; }

void omega_snp_tcb_split(uint64_t tcb, enum omega_snp_product product, struct omega_snp_tcb *t)
{
    memset(t, 0, sizeof *t);
    if (product == OMEGA_SNP_TURIN) {
        t->fmc = (uint8_t)tcb;
        t->bootloader = (uint8_t)(tcb >> 8);
        t->tee = (uint8_t)(tcb >> 16);
        t->snp = (uint8_t)(tcb >> 24);
    } else {
        t->bootloader = (uint8_t)tcb;
        t->tee = (uint8_t)(tcb >> 8);
        t->snp = (uint8_t)(tcb >> 48);
    }
    t->microcode = (uint8_t)(tcb >> 56);
}

uint64_t omega_snp_tcb_join(const struct omega_snp_tcb *t, enum omega_snp_product product)
{
    if (product == OMEGA_SNP_TURIN)
        return (uint64_t)t->fmc | (uint64_t)t->bootloader << 8 | (uint64_t)t->tee << 16 | (uint64_t)t->snp << 24 |
               (uint64_t)t->microcode << 56;
    return (uint64_t)t->bootloader | (uint64_t)t->tee << 8 | (uint64_t)t->snp << 48 | (uint64_t)t->microcode << 56;
}

int omega_snp_report_verify_sig(const uint8_t raw[OMEGA_SNP_REPORT_LEN], EVP_PKEY *key, struct omega_error *err)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_lebin2bn(raw + OMEGA_SNP_SIGNED_LEN, OMEGA_SNP_SIG_COMPONENT, NULL);
    BIGNUM *s = BN_lebin2bn(raw + OMEGA_SNP_SIGNED_LEN + OMEGA_SNP_SIG_COMPONENT, OMEGA_SNP_SIG_COMPONENT, NULL);
    unsigned char *der = NULL;
    int derlen = -1, ok = 0;
    if (sig && r && s && ECDSA_SIG_set0(sig, r, s) == 1) {
        r = s = NULL;  /* owned by sig now */
        derlen = i2d_ECDSA_SIG(sig, &der);
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    if (derlen <= 0)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "cannot encode the report signature");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, key) == 1)
        ok = EVP_DigestVerify(ctx, der, (size_t)derlen, raw, OMEGA_SNP_SIGNED_LEN) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    if (!ok)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "SNP report signature does not verify with the VCEK/VLEK key");
    return 0;
}

int omega_snp_report_sign(uint8_t raw[OMEGA_SNP_REPORT_LEN], EVP_PKEY *key, struct omega_error *err)
{
    unsigned char der[160];
    size_t derlen = sizeof der;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, key) == 1 &&
             EVP_DigestSign(ctx, der, &derlen, raw, OMEGA_SNP_SIGNED_LEN) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "ECDSA P-384 signing failed");
    const unsigned char *q = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &q, (long)derlen);
    if (!sig)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "cannot decode own signature");
    memset(raw + OMEGA_SNP_SIGNED_LEN, 0, OMEGA_SNP_REPORT_LEN - OMEGA_SNP_SIGNED_LEN);
    ok = BN_bn2lebinpad(ECDSA_SIG_get0_r(sig), raw + OMEGA_SNP_SIGNED_LEN, OMEGA_SNP_SIG_COMPONENT) > 0 &&
         BN_bn2lebinpad(ECDSA_SIG_get0_s(sig), raw + OMEGA_SNP_SIGNED_LEN + OMEGA_SNP_SIG_COMPONENT,
                        OMEGA_SNP_SIG_COMPONENT) > 0;
    ECDSA_SIG_free(sig);
    if (!ok)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "cannot encode the signature");
    return 0;
}

static const char *const product_names[] = {"unknown", "milan", "genoa", "turin"};

const char *omega_snp_product_name(enum omega_snp_product p)
{
    return (unsigned)p < 4 ? product_names[p] : "unknown";
}

enum omega_snp_product omega_snp_product_from_name(const char *s)
{
    /* Accept AMD's productName spellings too ("Milan-B0", "Genoa"). */
    for (int i = 1; i < 4; i++)
        if (strncasecmp(s, product_names[i], 5) == 0)
            return (enum omega_snp_product)i;
    return OMEGA_SNP_UNKNOWN;
}
