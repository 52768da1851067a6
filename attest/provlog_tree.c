/* Merkle hashing for the provenance log (RFC 6962/9162): the writer's compact range, the reader's
 * cached levels, and proof generation and verification over them. */

/* The one-shot SHA256_* calls cost half of what an EVP digest does on one- and two-block inputs
 * (137 vs 268 ns per node on the development machine), and the append rate target leaves about
 * 1 us per record for everything; they are deprecated in OpenSSL 3, not removed. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>

#include <stdlib.h>
#include <string.h>

#include "attest/merkle.h"
#include "attest/provlog_impl.h"
#include "core/util.h"

/* The log's tree is RFC 6962's: hashing and proof checks are attest/merkle.c's. */
void omega_provlog_leaf_hash(const uint8_t *p, size_t n, uint8_t out[32]) { omega_merkle_leaf_hash(p, n, out); }

void pl_sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, p, n);
    SHA256_Final(out, &c);
}

void omega_provlog_node_hash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
    omega_merkle_node_hash(l, r, out);
}

static const uint8_t empty_root[32] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
                                       0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
                                       0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};

void pl_frontier_init(struct pl_frontier *f)
{
    f->size = 0;
    f->n = 0;
}

void pl_frontier_push(struct pl_frontier *f, const uint8_t leaf[32])
{
    uint8_t h[32];
    memcpy(h, leaf, 32);
    /* Each trailing one bit of the old size is a perfect subtree the new leaf completes. */
    for (uint64_t s = f->size; s & 1; s >>= 1)
        omega_provlog_node_hash(f->h[--f->n], h, h);
    memcpy(f->h[f->n++], h, 32);
    f->size++;
}

void pl_frontier_root(const struct pl_frontier *f, uint8_t root[32])
{
    if (f->n == 0) {
        memcpy(root, empty_root, 32);
        return;
    }
    uint8_t h[32];
    memcpy(h, f->h[f->n - 1], 32);
    for (int i = f->n - 2; i >= 0; i--)
        omega_provlog_node_hash(f->h[i], h, h);
    memcpy(root, h, 32);
}

void pl_tree_init(struct pl_tree *t)
{
    memset(t, 0, sizeof *t);
}

void pl_tree_fini(struct pl_tree *t)
{
    for (int k = 0; k < 64; k++)
        free(t->lvl[k]);
    memset(t, 0, sizeof *t);
}

int pl_tree_push(struct pl_tree *t, const uint8_t leaf[32])
{
    if (t->n == t->cap) {
        uint64_t cap = t->cap ? t->cap * 2 : 1024;
        for (int k = 0; k < 64 && (cap >> k); k++) {
            void *p = realloc(t->lvl[k], (size_t)(cap >> k) * 32);
            if (!p)
                return OMEGA_ENOMEM;
            t->lvl[k] = p;
        }
        t->cap = cap;
    }
    uint64_t i = t->n++;
    t->edge_n = 0;   /* a new leaf moves the right edge */
    t->nedge = 0;
    memcpy(t->lvl[0][i], leaf, 32);
    /* Complete every perfect subtree that ends at this leaf. */
    for (int k = 1; k < 64 && ((i + 1) & ((1ull << k) - 1)) == 0; k++) {
        uint64_t j = i >> k;
        omega_provlog_node_hash(t->lvl[k - 1][2 * j], t->lvl[k - 1][2 * j + 1], t->lvl[k][j]);
    }
    return 0;
}

static uint64_t split_point(uint64_t n)  /* largest power of two < n, n >= 2 */
{
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

void pl_tree_range(const struct pl_tree *t, uint64_t lo, uint64_t hi, uint8_t out[32])
{
    uint64_t w = hi - lo;
    if (w == 0) {
        memcpy(out, empty_root, 32);
        return;
    }
    if ((w & (w - 1)) == 0 && (lo & (w - 1)) == 0) {
        int k = __builtin_ctzll(w);
        memcpy(out, t->lvl[k][lo >> k], 32);
        return;
    }
    if (hi == t->edge_n)
        for (int i = 0; i < t->nedge; i++)
            if (t->edge_lo[i] == lo) {
                memcpy(out, t->edge_h[i], 32);
                return;
            }
    uint64_t k = split_point(w);
    uint8_t l[32], r[32];
    pl_tree_range(t, lo, lo + k, l);
    pl_tree_range(t, lo + k, hi, r);
    omega_provlog_node_hash(l, r, out);
}

/* Cache the right edge of the tree of n leaves, smallest subtree first so each costs one hash. */
static void edge_build(struct pl_tree *t, uint64_t n)
{
    if (t->edge_n == n)
        return;
    uint64_t lo_list[64], lo = 0;
    int m = 0;
    while (n - lo > 1 && m < 64) {
        uint64_t w = n - lo;
        if ((w & (w - 1)) == 0 && (lo & (w - 1)) == 0)
            break;
        lo_list[m++] = lo;
        lo += split_point(w);
    }
    t->edge_n = n;
    t->nedge = 0;
    for (int i = m - 1; i >= 0; i--) {
        uint8_t h[32];
        pl_tree_range(t, lo_list[i], n, h);
        t->edge_lo[t->nedge] = lo_list[i];
        memcpy(t->edge_h[t->nedge], h, 32);
        t->nedge++;
    }
}

/* PATH(m, D[lo:hi]) of RFC 6962 2.1.1, leaf side first. */
static void path(const struct pl_tree *t, uint64_t m, uint64_t lo, uint64_t hi, uint8_t (*proof)[32], size_t *n)
{
    if (hi - lo <= 1)
        return;
    uint64_t k = split_point(hi - lo);
    if (m < k) {
        path(t, m, lo, lo + k, proof, n);
        pl_tree_range(t, lo + k, hi, proof[(*n)++]);
    } else {
        path(t, m - k, lo + k, hi, proof, n);
        pl_tree_range(t, lo, lo + k, proof[(*n)++]);
    }
}

int pl_tree_inclusion(struct pl_tree *t, uint64_t index, uint64_t size, uint8_t (*proof)[32], size_t *n)
{
    *n = 0;
    if (size > t->n || index >= size)
        return OMEGA_EINVAL;
    edge_build(t, size);
    /* The sibling subtrees of the leaf's path inside the perfect part of the tree are known up front;
     * fetching them all first lets their cache misses (one per level in a large log) overlap. */
    for (int k = 0; k < 64 && ((index >> k) | 1) < (size >> k); k++)
        __builtin_prefetch(t->lvl[k][(index >> k) ^ 1]);
    path(t, index, 0, size, proof, n);
    return 0;
}

/* SUBPROOF(m, D[lo:hi], b) of RFC 6962 2.1.2. */
static void subproof(const struct pl_tree *t, uint64_t m, uint64_t lo, uint64_t hi, int b, uint8_t (*proof)[32],
                     size_t *n)
{
    uint64_t w = hi - lo;
    if (m == w) {
        if (!b)
            pl_tree_range(t, lo, hi, proof[(*n)++]);
        return;
    }
    uint64_t k = split_point(w);
    if (m <= k) {
        subproof(t, m, lo, lo + k, b, proof, n);
        pl_tree_range(t, lo + k, hi, proof[(*n)++]);
    } else {
        subproof(t, m - k, lo + k, hi, 0, proof, n);
        pl_tree_range(t, lo, lo + k, proof[(*n)++]);
    }
}

int pl_tree_consistency(struct pl_tree *t, uint64_t m, uint64_t size, uint8_t (*proof)[32], size_t *n)
{
    *n = 0;
    if (size > t->n || m > size)
        return OMEGA_EINVAL;
    edge_build(t, size);
    if (m == 0 || m == size)
        return 0;
    subproof(t, m, 0, size, 1, proof, n);
    return 0;
}

int omega_provlog_verify_inclusion(const uint8_t leaf_hash[32], uint64_t index, uint64_t size,
                                   const uint8_t (*proof)[32], size_t n, const uint8_t root[32])
{
    return omega_merkle_inclusion_verify(leaf_hash, index, size, proof, n, root) == 0 ? 0 : OMEGA_EVERIFY;
}

int omega_provlog_verify_consistency(uint64_t old_size, uint64_t new_size, const uint8_t old_root[32],
                                     const uint8_t new_root[32], const uint8_t (*proof)[32], size_t n)
{
    return omega_merkle_consistency_verify(old_size, old_root, new_size, new_root, proof, n) == 0 ? 0 : OMEGA_EVERIFY;
}
