/* Internal: the reader's state, shared with the writer's recovery (which starts from a view). */
#ifndef OMEGA_PROVLOG_VIEW_H
#define OMEGA_PROVLOG_VIEW_H

#include "attest/checkpoint.h"
#include "attest/provlog_impl.h"

struct pl_seg {
    const uint8_t *p;      /* borrowed, or owned below */
    size_t n;
    uint8_t *owned;
    struct pl_header h;
    size_t good_end;       /* end of the last good frame */
};

struct pl_leafref {
    uint64_t off;          /* in its segment */
    uint64_t epoch;        /* records: leaf index of their time epoch */
    uint32_t len, seg;
    uint8_t kind;
};

struct pl_ckpt {
    uint64_t size, off;
    uint32_t len, seg;
};

struct omega_provlog_view {
    struct pl_seg *segs;
    size_t nsegs;
    struct pl_leafref *leaves;
    uint64_t nleaves, capleaves;
    struct pl_tree tree;
    struct pl_frontier fr;
    struct pl_symtab *syms;
    struct pl_ckpt *ckpts;
    size_t nckpts, capckpts, nckpts_seen;
    struct omega_note_verifier verifier;
    char origin[PL_ORIGIN_MAX + 1];
    uint8_t header_pub[32];
    int key_pinned;
    /* scan state */
    int have_epoch;
    uint64_t epoch_ms, last_time, cur_epoch, epoch_records;
    uint64_t records, symbols, epochs, digests, bytes, covered;
    /* verdict */
    int recovery;          /* 1: tell a torn tail from damage (costly scan past a bad frame) */
    int bad, torn, torn_seg_header, tail_incomplete;
    uint64_t torn_off;
    int64_t first_bad, last_bad, bad_checkpoint;
    char problem[320];
};

/* view_open for the writer's recovery. */
int pl_view_open(struct omega_provlog_view **out, const char *path, EVP_PKEY *pub, int recovery,
                 struct omega_error *err);
/* Segment file names in dir, sorted (owned array of owned strings). */
int pl_list_segments(const char *dir, char ***names, size_t *n, struct omega_error *err);

#endif
