/* AES-256-GCM sealing of transfers through the bounce buffer, as an H100 in CC mode does with its
 * copy engine: one key per direction, a 96-bit IV made of a direction tag and a 64-bit counter
 * (never reused under one key), and a receiver that refuses any IV not above the last it accepted. */
#ifndef OMEGA_SEAL_H
#define OMEGA_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define OMEGA_SEAL_IV_LEN 12
#define OMEGA_SEAL_TAG_LEN 16

struct omega_sealed {
    uint8_t iv[OMEGA_SEAL_IV_LEN];
    uint8_t tag[OMEGA_SEAL_TAG_LEN];
    uint8_t *bytes;   /* borrowed bounce buffer, len bytes of ciphertext */
    size_t len;
};

struct omega_seal_ctx;  /* one direction: a key, a counter, a reusable cipher context */

/* New sealing context for one direction (dir_tag distinguishes H2D from D2H). */
struct omega_seal_ctx *omega_seal_new(const uint8_t key[32], uint32_t dir_tag);
/* Free (NULL is a no-op); the key is wiped. */
void omega_seal_free(struct omega_seal_ctx *c);
/* Encrypt n bytes of plain into out->bytes (caller-provided, n bytes) with the next IV. */
int omega_seal(struct omega_seal_ctx *c, const void *plain, size_t n, struct omega_sealed *out) OMEGA_MUST_CHECK;
/* Check IV freshness and tag, then decrypt into plain; OMEGA_EVERIFY on any mismatch (plain is then zeroed). */
int omega_unseal(struct omega_seal_ctx *c, const struct omega_sealed *in, void *plain) OMEGA_MUST_CHECK;

/* The raw key, for a device-side implementation (the CUDA kernel) that needs it; borrowed. */
const uint8_t *omega_seal_key(const struct omega_seal_ctx *c);
/* Receiver side: check an IV's direction and freshness without decrypting (0 if acceptable). */
int omega_seal_check_iv(const struct omega_seal_ctx *c, const uint8_t iv[OMEGA_SEAL_IV_LEN]);
/* Receiver side: record that the transfer with this IV was authenticated (device-side decrypt). */
void omega_seal_accept(struct omega_seal_ctx *c, const uint8_t iv[OMEGA_SEAL_IV_LEN]);
/* Sender side: take the next IV without encrypting (device-side encrypt). */
int omega_seal_next_iv(struct omega_seal_ctx *c, uint8_t iv[OMEGA_SEAL_IV_LEN]) OMEGA_MUST_CHECK;

#endif
