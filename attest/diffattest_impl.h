/* Internal to differential attestation: the pieces the builder and the checker must compute alike. */
#ifndef OMEGA_DIFFATTEST_IMPL_H
#define OMEGA_DIFFATTEST_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define OMEGA_DA_PROFILE "tag:omega-testbed,2025:diffattest-v1"

/* The COSE protected header {1: -8} (alg EdDSA). */
extern const uint8_t omega_da_protected[3];
/* Leaf hash of one salted claim (OMEGA_EINVAL on bad lengths). */
int omega_da_leaf_hash(const uint8_t salt[32], const char *principal, const char *name, const uint8_t *digest,
                       size_t dlen, uint8_t out[32]);
/* REPORT_DATA = SHA-512("omega-diffattest-v1" || root || nonce). */
void omega_da_report_data(const uint8_t root[32], const uint8_t nonce[32], uint8_t out[64]);
/* RFC 9052 Sig_structure for COSE_Sign1 with empty external AAD. */
int omega_da_sig_structure(const uint8_t *prot, size_t plen, const uint8_t *payload, size_t len, struct omega_buf *out);

#endif
