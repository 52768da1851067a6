/* Certificates for attestation: loading DER/PEM bundles, AMD's VCEK/VLEK profile (TCB and hwID
 * extensions under 1.3.6.1.4.1.3704.1), the AMD ARK -> ASK/ASVK -> VCEK/VLEK chain (RSA-PSS SHA-384),
 * NVIDIA's device identity chain (ECDSA P-384) and the DICE TcbInfo FWID of its leaf, pinned roots. */
#ifndef OMEGA_CERT_H
#define OMEGA_CERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "attest/snp.h"
#include "core/buf.h"
#include "core/error.h"

/* Parse a bundle of certificates: PEM blocks, or DER certificates back to back. Returns a new stack
 * (owned; free with sk_X509_pop_free(s, X509_free)); OMEGA_EFORMAT when nothing parses or bytes trail. */
int omega_cert_load(const uint8_t *p, size_t n, STACK_OF(X509) **out, struct omega_error *err) OMEGA_MUST_CHECK;
/* Read a bundle from a file (DER or PEM). */
int omega_cert_load_file(const char *path, STACK_OF(X509) **out, struct omega_error *err) OMEGA_MUST_CHECK;
/* Append cert's DER encoding to b. */
int omega_cert_der_append(X509 *cert, struct omega_buf *b) OMEGA_MUST_CHECK;
/* Check that issuer signed cert, the names link, and both are valid at time at (seconds since the epoch). */
int omega_cert_check_link(X509 *cert, X509 *issuer, int64_t at, const char *what, struct omega_error *err) OMEGA_MUST_CHECK;
/* Check cert's validity period contains at. */
int omega_cert_check_time(X509 *cert, int64_t at, const char *what, struct omega_error *err) OMEGA_MUST_CHECK;
/* SHA-256 of a certificate's DER encoding. */
int omega_cert_sha256(X509 *cert, uint8_t out[32]) OMEGA_MUST_CHECK;

/* The directory of pinned roots: $OMEGA_ROOTS, else the source tree's roots/, else the install's share/omega/roots. */
const char *omega_roots_dir(void);

/* AMD's VCEK/VLEK extensions. */
struct omega_amd_ext {
    int has_tcb;               /* .3.1-.3.8 present */
    struct omega_snp_tcb tcb;  /* blSPL, teeSPL, snpSPL, ucodeSPL, fmcSPL (Turin) */
    char product[32];          /* productName, e.g. "Milan-B0" */
    int has_hwid;
    uint8_t hwid[64];          /* hwID: the chip id (VCEK only) */
};

/* Read AMD's extensions from a VCEK/VLEK. OMEGA_EFORMAT on a malformed one. */
int omega_amd_ext_read(X509 *cert, struct omega_amd_ext *ext, struct omega_error *err) OMEGA_MUST_CHECK;
/* Add AMD's extensions to a certificate being built (the emulated secure processor issues VCEKs with them). */
int omega_amd_ext_add(X509 *cert, const struct omega_amd_ext *ext, struct omega_error *err) OMEGA_MUST_CHECK;

/* Trust anchors the verifier accepts. */
enum { OMEGA_TRUST_VENDOR = 1u << 0, OMEGA_TRUST_EMU = 1u << 1 };

/* The pinned ASK/ASVK and ARK for product (vlek: the ASVK bundle); owned stack [ASK, ARK]. emu: the
 * emulated secure processor's bundle (roots/emu/ask_ark_emu.pem). */
int omega_amd_roots(enum omega_snp_product product, int vlek, int emu, STACK_OF(X509) **out, struct omega_error *err) OMEGA_MUST_CHECK;
/* Verify leaf (VCEK/VLEK) -> ask -> ark at time at; ark must be a pinned root allowed by trust.
 * Sets *emu to 1 when the chain ends in the emulated root. */
int omega_amd_chain_verify(X509 *leaf, X509 *ask, X509 *ark, enum omega_snp_product product, int64_t at,
                           unsigned trust, int *emu, struct omega_error *err) OMEGA_MUST_CHECK;

/* NVIDIA device identity chain: certs leaf first, the root last or absent; the root must be the
 * pinned NVIDIA Device Identity CA (or, with OMEGA_TRUST_EMU, the emulated one). */
int omega_nv_chain_verify(STACK_OF(X509) *certs, int64_t at, unsigned trust, int *emu, struct omega_error *err) OMEGA_MUST_CHECK;
/* The FWID (SHA-384 digest) in the leaf's DICE TcbInfo extension (2.23.133.5.4.1). */
int omega_nv_leaf_fwid(X509 *leaf, uint8_t fwid[48], struct omega_error *err) OMEGA_MUST_CHECK;

#endif
