/* Differential attestation. The monitor measures each principal's components into salted leaves of an
 * RFC 6962 Merkle tree; REPORT_DATA = SHA-512("omega-diffattest-v1" || root || nonce) binds the tree and
 * the verifier's nonce into the hardware report. A principal receives an evidence bundle (CBOR):
 *
 *   bundle  = { "cose": bstr .cbor COSE_Sign1 (tag 18, RFC 9052; alg EdDSA, signed by the monitor's
 *               evidence key), "leaves": [ leaf, ... ] }      -- only this principal's and the monitor's
 *   payload = { 10 (eat_nonce): bstr, 6 (iat): int, 265 (eat_profile): "tag:omega-testbed,2025:diffattest-v1",
 *               "snp-report": bstr, "snp-chain": bstr, ? "gpu-evidence": bstr, ? "gpu-chain": bstr,
 *               "tree-size": uint, "tree-root": bstr }
 *   leaf    = [ index, salt (32), principal, name, digest, proof: [ bstr, ... ] ]
 *   leaf hash = RFC 6962 leaf hash of "omega-leaf-v1" || salt || u16be len || principal || u16be len ||
 *               name || u8 len || digest
 *
 * Salts are 32 random bytes per leaf, so a leaf hash in someone else's proof reveals nothing of the
 * component behind it. The monitor's two public keys are leaves of principal "monitor" disclosed to
 * every principal: "evidence-key" (Ed25519, verifies the COSE_Sign1) and "log-signing-key" (Ed25519,
 * signs the provenance log's checkpoints). */
#ifndef OMEGA_DIFFATTEST_H
#define OMEGA_DIFFATTEST_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "attest/cert.h"
#include "attest/gpu.h"
#include "attest/snp_verify.h"
#include "core/backend.h"
#include "core/buf.h"
#include "core/error.h"

#define OMEGA_DA_PRINCIPAL_MAX 64
#define OMEGA_DA_NAME_MAX 128
#define OMEGA_DA_DIGEST_MAX 64
#define OMEGA_DA_MONITOR "monitor"
#define OMEGA_DA_PLATFORM "platform"

struct omega_diffattest;

/* New builder. evidence_key (borrowed; Ed25519 private key) signs the COSE_Sign1; log_pub is the
 * monitor's Ed25519 log-signing public key. Both become "monitor" leaves. */
int omega_diffattest_new(struct omega_diffattest **out, EVP_PKEY *evidence_key, const uint8_t log_pub[32],
                         struct omega_error *err) OMEGA_MUST_CHECK;
/* Free (NULL is a no-op). */
void omega_diffattest_free(struct omega_diffattest *d);
/* Add a claim: principal's component name has this digest (1-64 bytes). Before _seal only. */
int omega_diffattest_add(struct omega_diffattest *d, const char *principal, const char *name, const uint8_t *digest,
                         size_t dlen, struct omega_error *err) OMEGA_MUST_CHECK;
/* Add a component by content: its SHA-256 (bytes) or its chunked-tree digest (file, attest/measure.h). */
int omega_diffattest_add_bytes(struct omega_diffattest *d, const char *principal, const char *name, const void *p,
                               size_t n, struct omega_error *err) OMEGA_MUST_CHECK;
int omega_diffattest_add_file(struct omega_diffattest *d, const char *principal, const char *name, const char *path,
                              struct omega_error *err) OMEGA_MUST_CHECK;
/* Attach the GPU evidence (copied) and add its SHA-256 as the platform's "gpu-evidence" leaf. */
int omega_diffattest_add_gpu(struct omega_diffattest *d, const uint8_t *report, size_t rlen, const uint8_t *chain,
                             size_t clen, struct omega_error *err) OMEGA_MUST_CHECK;
/* The GPU nonce derived from the verifier's nonce (the GPU evidence must be taken before the tree closes). */
void omega_diffattest_gpu_nonce(const uint8_t nonce[32], uint8_t gpu_nonce[32]);
/* Close the tree: salts, leaf hashes, levels, root; report_data gets what the hardware report must bind. */
int omega_diffattest_seal(struct omega_diffattest *d, const uint8_t nonce[32], uint8_t report_data[64],
                          struct omega_error *err) OMEGA_MUST_CHECK;
/* Attach the hardware report and its chain (copied) and sign the COSE_Sign1. After _seal. */
int omega_diffattest_attach(struct omega_diffattest *d, const uint8_t *report, size_t rlen, const uint8_t *chain,
                            size_t clen, struct omega_error *err) OMEGA_MUST_CHECK;
/* All of it against a platform: GPU evidence (when the GPU backend gives it), seal, report at VMPL 0, attach. */
int omega_diffattest_collect(struct omega_diffattest *d, struct omega_platform *p, const uint8_t nonce[32],
                             struct omega_error *err) OMEGA_MUST_CHECK;
/* The evidence bundle for one principal (CBOR) into out (replaced). After _attach. */
int omega_diffattest_bundle(struct omega_diffattest *d, const char *principal, struct omega_buf *out,
                            struct omega_error *err) OMEGA_MUST_CHECK;
/* Number of leaves, and the root (after _seal). */
size_t omega_diffattest_size(const struct omega_diffattest *d);
const uint8_t *omega_diffattest_root(const struct omega_diffattest *d);
/* Leaf hash i and its inclusion proof (RFC 9162 audit path), after _seal. */
int omega_diffattest_leaf(const struct omega_diffattest *d, size_t i, uint8_t hash[32],
                          uint8_t proof[][32], size_t *plen) OMEGA_MUST_CHECK;

/* ---- the principal's side ---- */

/* Remembers a verified (report, chain) pair so later bundles of the same attestation skip the RSA chain
 * (level 1) and the report's ECDSA signature too (level 2). Zero-initialize; _fini frees. */
struct omega_evidence_cache {
    int level;                   /* 0: off, 1: chain, 2: chain and report */
    int have_chain, have_report;
    uint8_t chain_digest[32], report_digest[32];
    unsigned trust;
    int64_t not_before, not_after;   /* the chain's common validity */
    EVP_PKEY *key;                   /* owned: the VCEK/VLEK */
    struct omega_amd_ext ext;        /* its extensions */
    struct omega_snp_result snp;
};
void omega_evidence_cache_fini(struct omega_evidence_cache *c);

struct omega_evidence_opts {
    const char *principal;           /* whose leaves must be present ("monitor" leaves always are) */
    const uint8_t *nonce;            /* 32 bytes expected, or NULL */
    struct omega_snp_policy snp;     /* time, trust, expected measurement, ... (report_data is set here) */
    int check_gpu;                   /* verify the GPU evidence too (the platform principal does) */
    struct omega_evidence_cache *cache;   /* may be NULL */
};

struct omega_evidence_claim {
    uint64_t index;
    char principal[OMEGA_DA_PRINCIPAL_MAX], name[OMEGA_DA_NAME_MAX];
    uint8_t digest[OMEGA_DA_DIGEST_MAX];
    size_t dlen;
};

struct omega_evidence_result {
    size_t nclaims;
    struct omega_evidence_claim *claims;   /* owned */
    uint64_t tree_size;
    uint8_t root[32], nonce[32];
    uint8_t evidence_key[32], log_key[32];
    int64_t iat;
    int gpu_present, gpu_verified;
    struct omega_snp_result snp;
};

/* Default options: now, vendor roots, no nonce, no GPU check, no cache. */
void omega_evidence_opts_init(struct omega_evidence_opts *o);
/* Verify a bundle: COSE structure, hardware report and chain, REPORT_DATA binding of root and nonce,
 * every disclosed leaf's inclusion proof, the monitor's evidence key and the COSE signature, the GPU
 * evidence when asked. OMEGA_EFORMAT unreadable, OMEGA_EVERIFY invalid (one line of reason). */
int omega_evidence_check(const uint8_t *bundle, size_t n, const struct omega_evidence_opts *o,
                         struct omega_evidence_result *res, struct omega_error *err) OMEGA_MUST_CHECK;
/* Free the result's claims. */
void omega_evidence_result_fini(struct omega_evidence_result *res);
/* Require that a verified claim principal/name has this digest. */
int omega_evidence_expect(const struct omega_evidence_result *res, const char *principal, const char *name,
                          const uint8_t *digest, size_t dlen, struct omega_error *err) OMEGA_MUST_CHECK;
/* The attested monitor's log-signing key from a bundle (verified with o): a principal checks provenance
 * log checkpoints against it. */
int omega_evidence_log_key(const uint8_t *bundle, size_t n, const struct omega_evidence_opts *o, uint8_t pub[32],
                           struct omega_error *err) OMEGA_MUST_CHECK;

#endif
