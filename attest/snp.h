/* AMD SEV-SNP ATTESTATION_REPORT (SEV-SNP ABI spec 56860, Table "ATTESTATION_REPORT Structure"):
 * 0x4A0 bytes, versions 2, 3 and 5, signed with ECDSA P-384 / SHA-384 over bytes 0x000-0x29F by the
 * VCEK or VLEK. Parsing is exact: length first, then every field in offset order, reserved bytes zero. */
#ifndef OMEGA_SNP_H
#define OMEGA_SNP_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/buf.h"
#include "core/error.h"

#define OMEGA_SNP_REPORT_LEN 0x4A0
#define OMEGA_SNP_SIGNED_LEN 0x2A0
#define OMEGA_SNP_SIG_COMPONENT 72   /* R and S are 72-byte little-endian fields */

enum omega_snp_signing_key { OMEGA_SNP_KEY_VCEK = 0, OMEGA_SNP_KEY_VLEK = 1, OMEGA_SNP_KEY_NONE = 7 };

/* The TCB version, split into its SPLs. Milan and Genoa: byte 0 boot loader, 1 TEE, 6 SNP, 7 microcode;
 * Turin moves them (0 FMC, 1 boot loader, 2 TEE, 3 SNP, 7 microcode). */
struct omega_snp_tcb {
    uint8_t fmc, bootloader, tee, snp, microcode;
};

struct omega_snp_report {
    uint32_t version, guest_svn;
    uint64_t policy;
    uint8_t family_id[16], image_id[16];
    uint32_t vmpl, sig_algo;
    uint64_t current_tcb, platform_info;
    uint32_t flags;                /* bit 0 AUTHOR_KEY_EN, bit 1 MASK_CHIP_KEY, bits 2-4 SIGNING_KEY */
    uint8_t report_data[64], measurement[48], host_data[32];
    uint8_t id_key_digest[48], author_key_digest[48];
    uint8_t report_id[32], report_id_ma[32];
    uint64_t reported_tcb;
    uint8_t cpuid_fam_id, cpuid_mod_id, cpuid_step;    /* version 3 and later; zero before */
    uint8_t chip_id[64];
    uint64_t committed_tcb;
    uint8_t current_build, current_minor, current_major;
    uint8_t committed_build, committed_minor, committed_major;
    uint64_t launch_tcb;
    uint64_t launch_mit_vector, current_mit_vector;    /* version 5 and later; zero before */
    uint8_t sig_r[OMEGA_SNP_SIG_COMPONENT], sig_s[OMEGA_SNP_SIG_COMPONENT];  /* little-endian */
};

/* Product generations the verifier knows roots for. */
enum omega_snp_product { OMEGA_SNP_UNKNOWN = 0, OMEGA_SNP_MILAN, OMEGA_SNP_GENOA, OMEGA_SNP_TURIN };

/* Parse exactly OMEGA_SNP_REPORT_LEN bytes; OMEGA_EFORMAT (with the reason) on wrong length, unknown
 * version, signature algorithm other than 1 (ECDSA P-384 with SHA-384), or a nonzero reserved byte. */
int omega_snp_report_parse(struct omega_snp_report *r, const uint8_t *p, size_t n, struct omega_error *err) OMEGA_MUST_CHECK;
/* Serialize r into exactly OMEGA_SNP_REPORT_LEN bytes at out (reserved bytes zero). */
void omega_snp_report_serialize(const struct omega_snp_report *r, uint8_t out[OMEGA_SNP_REPORT_LEN]);
/* The report's signing key field (bits 2-4 of the flags word). */
unsigned omega_snp_report_signing_key(const struct omega_snp_report *r);
/* Split a TCB version into SPLs for product (the layout differs on Turin). */
void omega_snp_tcb_split(uint64_t tcb, enum omega_snp_product product, struct omega_snp_tcb *out);
/* Join SPLs into a TCB version for product. */
uint64_t omega_snp_tcb_join(const struct omega_snp_tcb *t, enum omega_snp_product product);
/* Verify the report's signature over bytes 0x000-0x29F of raw (the serialized report) with key (borrowed,
 * an EC P-384 public key). OMEGA_EVERIFY when it does not verify. */
int omega_snp_report_verify_sig(const uint8_t raw[OMEGA_SNP_REPORT_LEN], EVP_PKEY *key, struct omega_error *err) OMEGA_MUST_CHECK;
/* Sign the report in place (bytes 0x000-0x29F) with a P-384 private key: fills the signature field of raw. */
int omega_snp_report_sign(uint8_t raw[OMEGA_SNP_REPORT_LEN], EVP_PKEY *key, struct omega_error *err) OMEGA_MUST_CHECK;
/* Name of a product ("milan"), and the reverse (OMEGA_SNP_UNKNOWN when no match). */
const char *omega_snp_product_name(enum omega_snp_product p);
enum omega_snp_product omega_snp_product_from_name(const char *s);

#endif
