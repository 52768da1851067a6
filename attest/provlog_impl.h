/* Internal to the provenance log: file layout constants, the CBOR item reader, the tree cache and the
 * symbol table shared by the writer, the reader and the tests. */
#ifndef OMEGA_PROVLOG_IMPL_H
#define OMEGA_PROVLOG_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "attest/provlog.h"
#include "core/buf.h"

/* Segment header: magic, version, header length, segment number, first leaf index, signer key,
 * origin, CRC-32C of everything before it. */
#define PL_MAGIC "OMEGALOG"
#define PL_VERSION 1
#define PL_HDR_FIXED 57          /* bytes before the origin */
#define PL_ORIGIN_MAX 200
#define PL_FRAME_RECORDS 0       /* frame type bit: leaves */
#define PL_FRAME_CHECKPOINT 1    /* frame type bit: a signed checkpoint note */
#define PL_FRAME_MAX (64u << 20) /* largest frame payload accepted */
#define PL_NAME_MAX 4096         /* longest interned string */
#define PL_SEG_NAME "%08u.seg"

/* Symbol types (key 0 of a symbol map). */
enum pl_sym_type { PL_SYM_AGENT = 0, PL_SYM_METHOD = 1, PL_SYM_TARGET = 2, PL_SYM_POLICY = 3, PL_SYM_ACT = 4,
                   PL_SYM_NTYPES = 5 };

/* Kinds of leaves. */
enum pl_leaf_kind { PL_LEAF_RECORD = 0, PL_LEAF_EPOCH = 1, PL_LEAF_SYMBOL = 2 };

/* SHA-256 of n bytes (the low-level call: one- and two-block inputs dominate here). */
void pl_sha256(const uint8_t *p, size_t n, uint8_t out[32]);

/* CRC-32C (Castagnoli), used for the torn-write check of frames and headers. */
uint32_t pl_crc32c(uint32_t crc, const void *p, size_t n);

/* Append an unsigned LEB128 number; returns bytes written (at most 10). */
size_t pl_leb128_put(uint8_t *out, uint64_t v);
/* Read one; 0 on success, -1 when truncated or over 64 bits or not minimal. */
int pl_leb128_get(struct omega_rd *r, uint64_t *v);

/* Segment header of n bytes into out (at most PL_HDR_FIXED + PL_ORIGIN_MAX + 4); returns its length. */
size_t pl_header_build(uint8_t *out, uint32_t segno, uint64_t first, const uint8_t pub[32], const char *origin);
struct pl_header {
    uint32_t segno, len;
    uint64_t first;
    uint8_t pub[32];
    char origin[PL_ORIGIN_MAX + 1];
};
/* Parse a header; OMEGA_EFORMAT for a bad magic/version, OMEGA_EVERIFY for a bad checksum or field. */
int pl_header_parse(const uint8_t *p, size_t n, struct pl_header *h, struct omega_error *err);

/* One CBOR item header read through libcbor's streaming decoder, canonical form enforced. */
enum pl_cbor_type { PL_C_UINT, PL_C_BSTR, PL_C_TSTR, PL_C_ARRAY, PL_C_MAP, PL_C_OTHER };
struct pl_item {
    enum pl_cbor_type type;
    uint64_t val;           /* uint value, or array/map length, or string length */
    const uint8_t *data;    /* string bytes (borrowed) */
};
/* Read the next item; -1 when malformed, truncated, indefinite or not in shortest form. */
int pl_cbor_next(struct omega_rd *r, struct pl_item *it);
/* Length of the one complete CBOR data item at p (nesting at most depth 4); 0 when malformed. */
size_t pl_cbor_item_len(const uint8_t *p, size_t n);

/* Compact range: the perfect subtrees of a growing tree, enough for its root (the writer's state). */
struct pl_frontier {
    uint64_t size;
    uint8_t h[64][32];      /* one per set bit of size, highest first */
    int n;
};
void pl_frontier_init(struct pl_frontier *f);
void pl_frontier_push(struct pl_frontier *f, const uint8_t leaf[32]);
void pl_frontier_root(const struct pl_frontier *f, uint8_t root[32]);

/* All leaf hashes and every perfect subtree above them, for O(log n) proofs. */
struct pl_tree {
    uint64_t n;
    uint8_t (*lvl[64])[32];  /* lvl[k][j]: subtree of leaves [j*2^k, (j+1)*2^k) */
    uint64_t cap;
    /* The right edge of the tree of edge_n leaves: its subtrees [edge_lo[i], edge_n) are not perfect,
     * so no level holds them; proofs against one tree size reuse them instead of rehashing. */
    uint64_t edge_n;
    int nedge;
    uint64_t edge_lo[64];
    uint8_t edge_h[64][32];
};
void pl_tree_init(struct pl_tree *t);
void pl_tree_fini(struct pl_tree *t);
/* Add one leaf hash (grows the levels; allocates). */
int pl_tree_push(struct pl_tree *t, const uint8_t leaf[32]) OMEGA_MUST_CHECK;
/* Hash of leaves [lo, hi) (hi <= n). */
void pl_tree_range(const struct pl_tree *t, uint64_t lo, uint64_t hi, uint8_t out[32]);
/* RFC 6962 inclusion and consistency proofs over the first `size` leaves. */
int pl_tree_inclusion(struct pl_tree *t, uint64_t index, uint64_t size, uint8_t (*proof)[32], size_t *n);
int pl_tree_consistency(struct pl_tree *t, uint64_t m, uint64_t size, uint8_t (*proof)[32], size_t *n);

/* Interned strings and acts: open addressing over a hash of the content; numbers count per type. */
struct pl_act {
    uint32_t method, target, verdict, npol, nredact, nerrors;
    uint32_t pol[OMEGA_DECISION_MAX_POLICIES];
    const char *redact[OMEGA_DECISION_MAX_REDACT];   /* owned by the arena */
};
struct pl_symtab;
struct pl_symtab *pl_symtab_new(void);
void pl_symtab_free(struct pl_symtab *s);
/* Look a string up: its number, or -1 when new. */
int64_t pl_sym_find(const struct pl_symtab *s, int type, const char *str, size_t len);
/* Add a string (numbered next in its type); returns the number or a negative error. */
int64_t pl_sym_add(struct pl_symtab *s, int type, const char *str, size_t len);
int64_t pl_act_find(const struct pl_symtab *s, const struct pl_act *a);
int64_t pl_act_add(struct pl_symtab *s, const struct pl_act *a);
/* Count of symbols of a type, a string symbol's text/length/leaf, an act and its leaf. */
uint64_t pl_sym_count(const struct pl_symtab *s, int type);
const char *pl_sym_str(const struct pl_symtab *s, int type, uint64_t num, size_t *len);
const struct pl_act *pl_act_get(const struct pl_symtab *s, uint64_t num);
int pl_sym_set_leaf(struct pl_symtab *s, int type, uint64_t num, uint64_t leaf);
uint64_t pl_sym_leaf(const struct pl_symtab *s, int type, uint64_t num);

/* Encoders into a buffer with room (at most PL_NAME_MAX + 64 bytes for a string symbol). */
size_t pl_enc_record(uint8_t *out, uint64_t dt, uint64_t agent, uint64_t act, const uint8_t *io);
size_t pl_enc_epoch(uint8_t *out, uint64_t ms);
size_t pl_enc_string_sym(uint8_t *out, int type, uint64_t num, const char *s, size_t len);
size_t pl_enc_act_sym(uint8_t *out, uint64_t num, const struct pl_act *a);
#define PL_ACT_ENC_MAX (64 + 9 * OMEGA_DECISION_MAX_POLICIES + (PL_NAME_MAX + 9) * OMEGA_DECISION_MAX_REDACT)

/* Verdict names. */
const char *pl_verdict_name(uint32_t v);

#endif
