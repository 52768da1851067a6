/* Merkle trees after RFC 6962 / RFC 9162 (SHA-256; leaf prefix 0x00, node prefix 0x01): the tree hash,
 * inclusion and consistency proofs and their verification, over arrays of leaf hashes. Shared by the
 * provenance log and differential attestation. */
#ifndef OMEGA_MERKLE_H
#define OMEGA_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define OMEGA_MERKLE_HASH_LEN 32
#define OMEGA_MERKLE_MAX_PROOF 128  /* hashes in any proof (inclusion or consistency) of a tree of fewer than 2^64 leaves */

typedef uint8_t omega_merkle_hash[OMEGA_MERKLE_HASH_LEN];

/* Leaf hash: SHA-256(0x00 || data). */
void omega_merkle_leaf_hash(const void *data, size_t len, omega_merkle_hash out);
/* Interior node hash: SHA-256(0x01 || left || right). */
void omega_merkle_node_hash(const omega_merkle_hash left, const omega_merkle_hash right, omega_merkle_hash out);
/* Tree head MTH over n leaf hashes (n = 0: SHA-256 of the empty string). */
void omega_merkle_root(const omega_merkle_hash *leaves, size_t n, omega_merkle_hash out);
/* Inclusion proof (audit path) of leaf index in a tree of n leaves; *plen hashes written to proof. */
int omega_merkle_inclusion_proof(const omega_merkle_hash *leaves, size_t n, size_t index,
                                 omega_merkle_hash proof[OMEGA_MERKLE_MAX_PROOF], size_t *plen) OMEGA_MUST_CHECK;
/* Verify an inclusion proof (RFC 9162 2.1.3.2): 0 if leaf is at index in the tree with this root, else OMEGA_EVERIFY. */
int omega_merkle_inclusion_verify(const omega_merkle_hash leaf, uint64_t index, uint64_t size,
                                  const omega_merkle_hash *proof, size_t plen, const omega_merkle_hash root) OMEGA_MUST_CHECK;
/* Consistency proof between the first m leaves and all n (0 < m <= n). */
int omega_merkle_consistency_proof(const omega_merkle_hash *leaves, size_t n, size_t m,
                                   omega_merkle_hash proof[OMEGA_MERKLE_MAX_PROOF], size_t *plen) OMEGA_MUST_CHECK;
/* Verify a consistency proof (RFC 9162 2.1.4.2): 0 if the tree of size1/root1 is a prefix of size2/root2. */
int omega_merkle_consistency_verify(uint64_t size1, const omega_merkle_hash root1, uint64_t size2,
                                    const omega_merkle_hash root2, const omega_merkle_hash *proof, size_t plen) OMEGA_MUST_CHECK;

/* Incremental tree head for an append-only sequence: O(log n) memory, O(1) amortized per leaf. */
struct omega_merkle_stream {
    uint64_t size;
    omega_merkle_hash frontier[64];   /* frontier[h]: root of a complete subtree of 2^h leaves, when bit h of size is set */
};

/* Empty stream. */
void omega_merkle_stream_init(struct omega_merkle_stream *s);
/* Append one leaf hash. */
void omega_merkle_stream_push(struct omega_merkle_stream *s, const omega_merkle_hash leaf);
/* Tree head of everything pushed so far (same as omega_merkle_root over those leaves). */
void omega_merkle_stream_root(const struct omega_merkle_stream *s, omega_merkle_hash out);

#endif
