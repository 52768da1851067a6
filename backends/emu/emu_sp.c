/* The emulated AMD secure processor: a chip secret, a chip id and a VCEK derived deterministically from
 * the secret and the TCB (as AMD derives VCEKs from a chip-unique secret and the TCB version), a VCEK
 * certificate in AMD's profile issued by the emulated ASK, and reports byte-exact to the ABI. */
#include "backends/emu/emu_sp.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "attest/cert.h"
#include "core/util.h"

/* The emulated product: Milan, TCB of a recent firmware (boot loader 4, TEE 0, SNP 22, microcode 213). */
#define EMU_DEFAULT_TCB 0xd516000000000004ull
#define EMU_PRODUCT "Milan-B0"

struct omega_emu_sp {
    uint8_t secret[32];
    uint8_t chip_id[64];
    uint64_t tcb;
    int vlek;                 /* sign with a VLEK (no hwID; as a cloud provider's key) instead of the VCEK */
    EVP_PKEY *vcek;
    struct omega_buf chain;   /* VCEK, ASK, ARK (DER) */
};

static int hkdf(const EVP_MD *md, const uint8_t *ikm, size_t ikmlen, const char *salt, const uint8_t *info,
                size_t infolen, uint8_t *out, size_t outlen)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    EVP_KDF_free(kdf);
    if (!ctx)
        return OMEGA_ECRYPTO;
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)EVP_MD_get0_name(md), 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikmlen),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, strlen(salt)),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, infolen),
        OSSL_PARAM_construct_end(),
    };
    int ok = EVP_KDF_derive(ctx, out, outlen, p) == 1;
    EVP_KDF_CTX_free(ctx);
    return ok ? 0 : OMEGA_ECRYPTO;
}

/* A P-384 key whose private scalar is derived from the chip secret and the TCB. */
static int derive_vcek(struct omega_emu_sp *sp, struct omega_error *err)
{
    uint8_t info[8], okm[64];
    for (int i = 0; i < 8; i++)
        info[i] = (uint8_t)(sp->tcb >> (8 * i));
    if (hkdf(EVP_sha384(), sp->secret, 32, "omega-emu-vcek", info, 8, okm, sizeof okm) < 0)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "HKDF failed");
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_secp384r1);
    BIGNUM *d = BN_bin2bn(okm, sizeof okm, NULL), *nm1 = BN_new();
    BN_CTX *bctx = BN_CTX_new();
    EC_POINT *pub = g ? EC_POINT_new(g) : NULL;
    uint8_t pubo[97];
    int ok = g && d && nm1 && bctx && pub && BN_copy(nm1, EC_GROUP_get0_order(g)) && BN_sub_word(nm1, 1) &&
             BN_mod(d, d, nm1, bctx) && BN_add_word(d, 1) &&   /* 64 bytes mod n-1, plus 1: in [1, n-1], unbiased enough */
             EC_POINT_mul(g, pub, d, NULL, NULL, bctx) &&
             EC_POINT_point2oct(g, pub, POINT_CONVERSION_UNCOMPRESSED, pubo, sizeof pubo, bctx) == sizeof pubo;
    OSSL_PARAM_BLD *bld = ok ? OSSL_PARAM_BLD_new() : NULL;
    OSSL_PARAM *params = NULL;
    if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-384", 0) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pubo, sizeof pubo))
        params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *pctx = params ? EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL) : NULL;
    ok = pctx && EVP_PKEY_fromdata_init(pctx) == 1 && EVP_PKEY_fromdata(pctx, &sp->vcek, EVP_PKEY_KEYPAIR, params) == 1;
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EC_POINT_free(pub);
    BN_CTX_free(bctx);
    BN_clear_free(d);
    BN_free(nm1);
    EC_GROUP_free(g);
    omega_wipe(okm, sizeof okm);
    if (!ok)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "cannot derive the emulated VCEK");
    return 0;
}

static X509 *pem_cert(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *c = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    return c;
}

static EVP_PKEY *pem_key(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    return k;
}

/* Issue the VCEK certificate: AMD's profile (v3, serial 0, RSA-PSS SHA-384 by the ASK, subject
 * CN=SEV-VCEK under the ASK's name, TCB/productName/hwID extensions). */
static int issue_vcek(struct omega_emu_sp *sp, struct omega_error *err)
{
    X509 *ask = pem_cert(omega_emu_vendor.ask_cert_pem), *ark = pem_cert(omega_emu_vendor.ark_cert_pem);
    EVP_PKEY *askkey = pem_key(omega_emu_vendor.ask_key_pem);
    X509 *c = X509_new();
    X509_NAME *subj = ask ? X509_NAME_dup(X509_get_subject_name(ask)) : NULL;
    int rc = OMEGA_ECRYPTO;
    if (!ask || !ark || !askkey || !c || !subj)
        goto out;
    int cn = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
    if (cn >= 0)
        X509_NAME_ENTRY_free(X509_NAME_delete_entry(subj, cn));
    X509_NAME_add_entry_by_NID(subj, NID_commonName, MBSTRING_ASC,
                               (const unsigned char *)(sp->vlek ? "SEV-VLEK" : "SEV-VCEK"), -1, -1, 0);
    struct omega_amd_ext ext = {.has_tcb = 1, .has_hwid = !sp->vlek};
    snprintf(ext.product, sizeof ext.product, "%s", EMU_PRODUCT);
    omega_snp_tcb_split(sp->tcb, OMEGA_SNP_MILAN, &ext.tcb);
    memcpy(ext.hwid, sp->chip_id, 64);
    if (X509_set_version(c, 2) != 1 || ASN1_INTEGER_set(X509_get_serialNumber(c), 0) != 1 ||
        X509_set_issuer_name(c, X509_get_subject_name(ask)) != 1 || X509_set_subject_name(c, subj) != 1 ||
        X509_set1_notBefore(c, X509_get0_notBefore(ark)) != 1 ||
        !X509_time_adj_ex(X509_getm_notAfter(c), 7 * 365, 0, NULL) || X509_set_pubkey(c, sp->vcek) != 1)
        goto out;
    if (omega_amd_ext_add(c, &ext, err) < 0)
        goto out;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = mctx && EVP_DigestSignInit(mctx, &pctx, EVP_sha384(), NULL, askkey) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) == 1 && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) == 1 &&
             X509_sign_ctx(c, mctx) > 0;
    EVP_MD_CTX_free(mctx);
    if (!ok)
        goto out;
    sp->chain.len = 0;
    if (omega_cert_der_append(c, &sp->chain) < 0 || omega_cert_der_append(ask, &sp->chain) < 0 ||
        omega_cert_der_append(ark, &sp->chain) < 0)
        goto out;
    rc = 0;
out:
    X509_NAME_free(subj);
    X509_free(c);
    X509_free(ask);
    X509_free(ark);
    EVP_PKEY_free(askkey);
    if (rc < 0) {
        ERR_clear_error();
        OMEGA_FAIL(err, rc, "cannot issue the emulated VCEK certificate");
    }
    return 0;
}

int omega_emu_sp_new(struct omega_emu_sp **out, const char *seed, uint64_t tcb, struct omega_error *err)
{
    *out = NULL;
    struct omega_emu_sp *sp = calloc(1, sizeof *sp);
    if (!sp)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    omega_buf_init(&sp->chain);
    /* The chip secret: a hash of the seed's bytes (hex decoded when it is hex), so any text names a chip. */
    struct omega_buf sb;
    omega_buf_init(&sb);
    if (!seed)
        seed = "omega fixed test chip";
    if (omega_hex_decode(seed, strlen(seed), &sb) < 0 || sb.len == 0) {
        sb.len = 0;
        if (omega_buf_append(&sb, seed, strlen(seed)) < 0) {
            omega_buf_fini(&sb);
            free(sp);
            OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
        }
    }
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    int hok = mc && EVP_DigestInit_ex(mc, EVP_sha256(), NULL) == 1 &&
              EVP_DigestUpdate(mc, "omega emulated chip secret", 26) == 1 &&
              EVP_DigestUpdate(mc, sb.data, sb.len) == 1 && EVP_DigestFinal_ex(mc, sp->secret, NULL) == 1;
    EVP_MD_CTX_free(mc);
    omega_wipe(sb.data, sb.len);
    omega_buf_fini(&sb);
    if (!hok || hkdf(EVP_sha512(), sp->secret, 32, "omega-emu-chip-id", (const uint8_t *)"", 0, sp->chip_id, 64) < 0) {
        omega_emu_sp_free(sp);
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "HKDF failed");
    }
    sp->tcb = tcb ? tcb : EMU_DEFAULT_TCB;
    int rc = derive_vcek(sp, err);
    if (rc == 0)
        rc = issue_vcek(sp, err);
    if (rc < 0) {
        omega_emu_sp_free(sp);
        return rc;
    }
    *out = sp;
    return 0;
}

void omega_emu_sp_free(struct omega_emu_sp *sp)
{
    if (!sp)
        return;
    omega_wipe(sp->secret, sizeof sp->secret);
    EVP_PKEY_free(sp->vcek);
    omega_buf_fini(&sp->chain);
    free(sp);
}

const uint8_t *omega_emu_sp_chip_id(const struct omega_emu_sp *sp) { return sp->chip_id; }

int omega_emu_sp_use_vlek(struct omega_emu_sp *sp, struct omega_error *err)
{
    if (sp->vlek)
        return 0;
    sp->vlek = 1;
    /* A VLEK is derived from the provider's secret rather than the chip's; the chip secret stands in. */
    EVP_PKEY_free(sp->vcek);
    sp->vcek = NULL;
    int rc = derive_vcek(sp, err);
    return rc < 0 ? rc : issue_vcek(sp, err);
}

int omega_emu_sp_report(struct omega_emu_sp *sp, const uint8_t report_data[64], unsigned vmpl,
                        const uint8_t measurement[48], struct omega_buf *report, struct omega_buf *chain,
                        struct omega_error *err)
{
    struct omega_snp_report r;
    memset(&r, 0, sizeof r);
    r.version = 5;
    r.policy = 0x30000;        /* SMT allowed, reserved bit 17 set as the ABI requires; no debug, no MA */
    r.vmpl = vmpl;
    r.sig_algo = 1;
    r.current_tcb = r.reported_tcb = r.committed_tcb = r.launch_tcb = sp->tcb;
    r.platform_info = 1;       /* SMT enabled */
    r.flags = (sp->vlek ? OMEGA_SNP_KEY_VLEK : OMEGA_SNP_KEY_VCEK) << 2;
    memcpy(r.report_data, report_data, 64);
    memcpy(r.measurement, measurement, 48);
    if (omega_random(r.report_id, 32) < 0)
        OMEGA_FAIL(err, OMEGA_EIO, "getrandom failed");
    memset(r.report_id_ma, 0xff, 32);
    r.cpuid_fam_id = 0x19, r.cpuid_mod_id = 0x01, r.cpuid_step = 0x01;
    memcpy(r.chip_id, sp->chip_id, 64);
    r.current_build = r.committed_build = 21;
    r.current_minor = r.committed_minor = 55;
    r.current_major = r.committed_major = 1;
    report->len = 0;
    if (omega_buf_reserve(report, OMEGA_SNP_REPORT_LEN) < 0)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    omega_snp_report_serialize(&r, report->data);
    report->len = OMEGA_SNP_REPORT_LEN;
    OMEGA_TRY(omega_snp_report_sign(report->data, sp->vcek, err));
    if (chain) {
        chain->len = 0;
        if (omega_buf_append(chain, sp->chain.data, sp->chain.len) < 0)
            OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    }
    return 0;
}

int omega_emu_sp_derive_key(struct omega_emu_sp *sp, const uint8_t measurement[48], unsigned vmpl, const char *label,
                            uint8_t key[32], struct omega_error *err)
{
    uint8_t info[48 + 4 + 128];
    size_t l = strlen(label);
    if (l > 128)
        OMEGA_FAIL(err, OMEGA_EINVAL, "sealing-key label longer than 128 bytes");
    memcpy(info, measurement, 48);
    for (int i = 0; i < 4; i++)
        info[48 + i] = (uint8_t)(vmpl >> (8 * i));
    memcpy(info + 52, label, l);
    if (hkdf(EVP_sha256(), sp->secret, 32, "omega-emu-msg-key-req", info, 52 + l, key, 32) < 0)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "HKDF failed");
    return 0;
}

void omega_emu_sp_measure(const uint8_t *const *parts, const size_t *lens, size_t n, uint8_t out[48])
{
    uint8_t digest[48];
    memset(out, 0, 48);
    for (size_t i = 0; i < n; i++) {
        uint8_t pair[96];
        SHA384(parts[i], lens[i], digest);
        memcpy(pair, out, 48);
        memcpy(pair + 48, digest, 48);
        SHA384(pair, 96, out);
    }
}
