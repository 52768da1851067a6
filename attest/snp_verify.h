/* Full SEV-SNP verification: report format, signature, chain to a pinned root, TCB and chip binding,
 * validity at an explicit time, then the caller's policy. Works offline. */
#ifndef OMEGA_SNP_VERIFY_H
#define OMEGA_SNP_VERIFY_H

#include <stdint.h>

#include "attest/cert.h"
#include "attest/snp.h"

struct omega_snp_policy {
    int64_t at;                         /* verification time, seconds since the epoch */
    enum omega_snp_product product;     /* OMEGA_SNP_UNKNOWN: taken from the certificate's productName */
    unsigned trust;                     /* OMEGA_TRUST_VENDOR and/or OMEGA_TRUST_EMU */
    const uint8_t *measurement;         /* 48 bytes expected, or NULL */
    const uint8_t *report_data;         /* 64 bytes expected, or NULL */
    int has_min_tcb;
    struct omega_snp_tcb min_tcb;       /* each SPL of REPORTED_TCB must be at least this */
    int forbid_debug;                   /* reject POLICY.DEBUG */
    int vmpl;                           /* expected VMPL, or -1 for any */
    int forbid_migration_agent;         /* reject POLICY.MIGRATE_MA */
};

/* The verified facts, for display. */
struct omega_snp_result {
    struct omega_snp_report report;
    enum omega_snp_product product;
    int vlek;        /* signed by a VLEK rather than a VCEK */
    int emulated;    /* the chain ends in the emulated root */
};

/* Default policy: now, product from the certificate, vendor roots only, nothing else required. */
void omega_snp_policy_init(struct omega_snp_policy *pol);

/* Verify report (exactly 0x4A0 bytes) with cert (the VCEK/VLEK, DER or PEM; may be NULL/empty when chain
 * begins with it) and chain (ASK/ASVK then ARK, DER or PEM; NULL/empty: the pinned bundle for the
 * product). OMEGA_EFORMAT for unreadable input, OMEGA_EVERIFY with one line of reason for invalid. */
int omega_snp_verify(const uint8_t *report, size_t report_len, const uint8_t *cert, size_t cert_len,
                     const uint8_t *chain, size_t chain_len, const struct omega_snp_policy *pol,
                     struct omega_snp_result *res, struct omega_error *err) OMEGA_MUST_CHECK;

/* The report half alone, with a VCEK/VLEK already verified to a pinned root (key borrowed, ext its
 * extensions): parse, signature, TCB and chip binding, policy. res->vlek must already say the key type.
 * key NULL skips the signature: only for bytes whose signature was verified before (a cache hit). */
int omega_snp_verify_with_key(const uint8_t *report, size_t report_len, EVP_PKEY *key, const struct omega_amd_ext *ext,
                              enum omega_snp_product product, const struct omega_snp_policy *pol,
                              struct omega_snp_result *res, struct omega_error *err) OMEGA_MUST_CHECK;

#endif
