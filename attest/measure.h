/* Measuring model weights and other large components: the file is streamed once (mapped, read in
 * order), cut into fixed chunks hashed with SHA-256 by a pool of threads, and the chunk digests are
 * combined as an RFC 6962 Merkle tree (leaf = SHA-256(0x00 || chunk), node = SHA-256(0x01 || l || r)).
 * The result depends only on the bytes and the chunk size, never on the thread count, so a verifier
 * with one core gets the digest that a 16-core monitor got. Construction name: "omega-chunked-sha256",
 * chunk size 4 MiB by default. */
#ifndef OMEGA_MEASURE_H
#define OMEGA_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define OMEGA_MEASURE_CHUNK (4u << 20)

struct omega_measure_opts {
    unsigned threads;     /* 0: one per online CPU */
    size_t chunk;         /* 0: OMEGA_MEASURE_CHUNK; a power of two of at least 4 KiB */
};

/* Digest of n bytes in memory (borrowed) with the chunked construction. */
int omega_measure_bytes(const uint8_t *p, size_t n, const struct omega_measure_opts *o, uint8_t out[32],
                        struct omega_error *err) OMEGA_MUST_CHECK;
/* Digest of a file (streamed once); *size gets its length when size is non-NULL. */
int omega_measure_file(const char *path, const struct omega_measure_opts *o, uint8_t out[32], uint64_t *size,
                       struct omega_error *err) OMEGA_MUST_CHECK;

#endif
