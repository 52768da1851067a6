/* SEV-SNP verification. Order matters: nothing in the report reaches a decision before its signature
 * and the chain behind it are checked. */
#include "attest/snp_verify.h"

#include <string.h>
#include <time.h>

#include "attest/cert.h"
#include "core/util.h"

void omega_snp_policy_init(struct omega_snp_policy *pol)
{
    memset(pol, 0, sizeof *pol);
    pol->at = (int64_t)time(NULL);
    pol->trust = OMEGA_TRUST_VENDOR;
    pol->vmpl = -1;
}

static int check_tcb_field(const char *name, unsigned got, unsigned want, struct omega_error *err)
{
    if (got != want)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "REPORTED_TCB %s SPL %u differs from the certificate's %u", name, got, want);
    return 0;
}

static int check_policy(const struct omega_snp_report *r, enum omega_snp_product product,
                        const struct omega_snp_policy *pol, struct omega_error *err)
{
    char a[129], b[129];
    if (pol->measurement && omega_ct_compare(r->measurement, pol->measurement, 48) != 0) {
        omega_hex_encode(r->measurement, 48, a);
        omega_hex_encode(pol->measurement, 48, b);
        OMEGA_FAIL(err, OMEGA_EVERIFY, "MEASUREMENT %s is not the expected %s", a, b);
    }
    if (pol->report_data && omega_ct_compare(r->report_data, pol->report_data, 64) != 0) {
        omega_hex_encode(r->report_data, 64, a);
        OMEGA_FAIL(err, OMEGA_EVERIFY, "REPORT_DATA %s is not the expected value", a);
    }
    if (pol->forbid_debug && (r->policy & (1ull << 19)))
        OMEGA_FAIL(err, OMEGA_EVERIFY, "guest policy allows debugging (POLICY.DEBUG set)");
    if (pol->forbid_migration_agent && (r->policy & (1ull << 18)))
        OMEGA_FAIL(err, OMEGA_EVERIFY, "guest policy allows a migration agent (POLICY.MIGRATE_MA set)");
    if (pol->vmpl >= 0 && r->vmpl != (uint32_t)pol->vmpl)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "report is from VMPL %u, expected VMPL %d", r->vmpl, pol->vmpl);
    if (pol->has_min_tcb) {
        struct omega_snp_tcb t;
        omega_snp_tcb_split(r->reported_tcb, product, &t);
        const struct { const char *n; unsigned got, min; } f[] = {
            {"boot loader", t.bootloader, pol->min_tcb.bootloader}, {"TEE", t.tee, pol->min_tcb.tee},
            {"SNP", t.snp, pol->min_tcb.snp}, {"microcode", t.microcode, pol->min_tcb.microcode},
            {"FMC", t.fmc, pol->min_tcb.fmc}};
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
            if (f[i].got < f[i].min)
                OMEGA_FAIL(err, OMEGA_EVERIFY, "REPORTED_TCB %s SPL %u is below the minimum %u", f[i].n, f[i].got,
                           f[i].min);
    }
    return 0;
}

static int check_binding(const struct omega_snp_report *r, const struct omega_amd_ext *ext,
                         enum omega_snp_product product, int vlek, struct omega_error *err)
{
    if (!ext->has_tcb)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "VCEK/VLEK has no TCB extensions");
    struct omega_snp_tcb t;
    omega_snp_tcb_split(r->reported_tcb, product, &t);
    OMEGA_TRY(check_tcb_field("boot loader", t.bootloader, ext->tcb.bootloader, err));
    OMEGA_TRY(check_tcb_field("TEE", t.tee, ext->tcb.tee, err));
    OMEGA_TRY(check_tcb_field("SNP", t.snp, ext->tcb.snp, err));
    OMEGA_TRY(check_tcb_field("microcode", t.microcode, ext->tcb.microcode, err));
    if (product == OMEGA_SNP_TURIN)
        OMEGA_TRY(check_tcb_field("FMC", t.fmc, ext->tcb.fmc, err));
    if (!vlek) {
        if (!ext->has_hwid)
            OMEGA_FAIL(err, OMEGA_EVERIFY, "VCEK has no hwID extension");
        /* Turin's hwID holds only the first 8 bytes of CHIP_ID. */
        size_t idlen = product == OMEGA_SNP_TURIN ? 8 : 64;
        if (omega_ct_compare(r->chip_id, ext->hwid, idlen) != 0)
            OMEGA_FAIL(err, OMEGA_EVERIFY, "CHIP_ID differs from the VCEK's hwID");
    }
    return 0;
}

int omega_snp_verify_with_key(const uint8_t *report, size_t report_len, EVP_PKEY *key, const struct omega_amd_ext *ext,
                              enum omega_snp_product product, const struct omega_snp_policy *pol,
                              struct omega_snp_result *res, struct omega_error *err)
{
    OMEGA_TRY(omega_snp_report_parse(&res->report, report, report_len, err));
    unsigned k = omega_snp_report_signing_key(&res->report);
    if (k != OMEGA_SNP_KEY_VCEK && k != OMEGA_SNP_KEY_VLEK)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "report is not signed (SIGNING_KEY %u)", k);
    if ((k == OMEGA_SNP_KEY_VLEK) != (res->vlek != 0))
        OMEGA_FAIL(err, OMEGA_EVERIFY, "report's signing key type differs from the cached chain's");
    if (key)   /* NULL: these very bytes were verified before (the evidence cache's report level) */
        OMEGA_TRY(omega_snp_report_verify_sig(report, key, err));
    OMEGA_TRY(check_binding(&res->report, ext, product, res->vlek, err));
    return check_policy(&res->report, product, pol, err);
}

int omega_snp_verify(const uint8_t *report, size_t report_len, const uint8_t *cert, size_t cert_len,
                     const uint8_t *chain, size_t chain_len, const struct omega_snp_policy *pol,
                     struct omega_snp_result *res, struct omega_error *err)
{
    memset(res, 0, sizeof *res);
    struct omega_snp_report *r = &res->report;
    OMEGA_TRY(omega_snp_report_parse(r, report, report_len, err));
    unsigned key = omega_snp_report_signing_key(r);
    if (key != OMEGA_SNP_KEY_VCEK && key != OMEGA_SNP_KEY_VLEK)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "report is not signed (SIGNING_KEY %u)", key);
    res->vlek = key == OMEGA_SNP_KEY_VLEK;

    STACK_OF(X509) *leafs = NULL, *bundle = NULL;
    int rc = 0;
    if (cert && cert_len)
        rc = omega_cert_load(cert, cert_len, &leafs, err);
    if (rc == 0 && chain && chain_len)
        rc = omega_cert_load(chain, chain_len, &bundle, err);
    if (rc < 0)
        goto out;
    /* The leaf: --cert, else the chain's first of three (VCEK, ASK, ARK as the emulated SP returns it). */
    if (bundle && sk_X509_num(bundle) == 3) {
        X509 *first = sk_X509_shift(bundle);
        if (leafs) {
            X509_free(first);   /* --cert names the leaf; the chain's own copy is not needed */
        } else if (!(leafs = sk_X509_new_null()) || !sk_X509_push(leafs, first)) {
            X509_free(first);
            rc = omega_error_set(err, OMEGA_ENOMEM, __FILE__, __LINE__, "out of memory");
            goto out;
        }
    }
    if (!leafs) {
        rc = omega_error_set(err, OMEGA_EINVAL, __FILE__, __LINE__, "no VCEK/VLEK certificate given (--cert)");
        goto out;
    }
    X509 *leaf = sk_X509_value(leafs, 0);
    struct omega_amd_ext ext;
    if ((rc = omega_amd_ext_read(leaf, &ext, err)) < 0)
        goto out;
    enum omega_snp_product product = pol->product;
    enum omega_snp_product cert_product = ext.product[0] ? omega_snp_product_from_name(ext.product) : OMEGA_SNP_UNKNOWN;
    if (product == OMEGA_SNP_UNKNOWN)
        product = cert_product;
    else if (cert_product != OMEGA_SNP_UNKNOWN && cert_product != product) {
        rc = omega_error_set(err, OMEGA_EVERIFY, __FILE__, __LINE__, "certificate is for %s, not %s", ext.product,
                             omega_snp_product_name(product));
        goto out;
    }
    res->product = product;
    if (!bundle && (pol->trust & OMEGA_TRUST_EMU) && omega_amd_roots(product, 0, 1, &bundle, NULL) == 0 &&
        X509_NAME_cmp(X509_get_issuer_name(leaf), X509_get_subject_name(sk_X509_value(bundle, 0))) != 0) {
        sk_X509_pop_free(bundle, X509_free);   /* not the emulated SP's VCEK: use the vendor's bundle */
        bundle = NULL;
    }
    if (!bundle && (rc = omega_amd_roots(product, res->vlek, 0, &bundle, err)) < 0)
        goto out;
    if (sk_X509_num(bundle) != 2) {
        rc = omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__,
                             "chain has %d certificates; expected the ASK/ASVK and the ARK", sk_X509_num(bundle));
        goto out;
    }
    /* Signature first, with the key the certificate names; then the chain behind that key. */
    EVP_PKEY *pk = X509_get0_pubkey(leaf);
    if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC || EVP_PKEY_get_bits(pk) != 384) {
        rc = omega_error_set(err, OMEGA_EVERIFY, __FILE__, __LINE__, "VCEK/VLEK key is not ECDSA P-384");
        goto out;
    }
    if ((rc = omega_snp_report_verify_sig(report, pk, err)) < 0)
        goto out;
    if ((rc = omega_amd_chain_verify(leaf, sk_X509_value(bundle, 0), sk_X509_value(bundle, 1), product, pol->at,
                                     pol->trust, &res->emulated, err)) < 0)
        goto out;
    rc = check_binding(r, &ext, product, res->vlek, err);
    if (rc < 0)
        goto out;
    rc = check_policy(r, product, pol, err);
out:
    sk_X509_pop_free(leafs, X509_free);
    sk_X509_pop_free(bundle, X509_free);
    return rc;
}
