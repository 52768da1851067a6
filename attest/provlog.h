/* The provenance log: one CBOR record per monitor decision, in an RFC 6962/9162 Merkle tree, with
 * signed C2SP checkpoints, group commit with fsync, crash recovery, and inclusion/consistency proofs.
 *
 * A log is a folder of append-only segment files (00000000.seg, 00000001.seg, ...); a single segment
 * file can be read on its own. Every leaf of the tree is one CBOR data item in canonical form:
 *   decision record   array [dt_ms, agent, act] or [dt_ms, agent, act, io_digest(bstr 32)]
 *   time epoch        uint: milliseconds since 1970; dt_ms of later records counts from it
 *   symbol            map {0: type, 1: number, 2: name (tstr), 3: SHA-256(name)} for agents, methods,
 *                     targets and policy ids; an act symbol is {0: 4, 1: number, 4: method, 5: target,
 *                     6: verdict, 7: [policy...], 8: [redacted field...], 9: errored policies}
 * so a record refers to its strings by number and stays a few bytes long. The sequence number of a
 * record is its leaf index. docs/provlog.md describes the files byte by byte. */
#ifndef OMEGA_PROVLOG_H
#define OMEGA_PROVLOG_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/buf.h"
#include "core/decision.h"
#include "core/error.h"

enum omega_provlog_mode {
    OMEGA_PROVLOG_SYNC,    /* a record call returns once the record is durable (group commit) */
    OMEGA_PROVLOG_BATCH,   /* a record call returns once queued; omega_provlog_wait gives durability */
};

struct omega_provlog_config {
    enum omega_provlog_mode mode;
    const char *origin;           /* checkpoint origin and signing key name (default "omega.local/provlog") */
    int io_digest;                /* 1: each record carries the call's 32-byte I/O digest */
    int threaded;                 /* 1: a committer thread writes and fsyncs; 0: commits run inline */
    int fsync;                    /* 1 (default when set through _defaults): fdatasync each commit */
    uint32_t commit_ms;           /* batch mode: commit at least this often (default 10) */
    uint32_t commit_records;      /* ... or once this many records wait (default 65536) */
    uint32_t checkpoint_ms;       /* a signed checkpoint at least this often while records arrive (default 1000) */
    uint32_t checkpoint_records;  /* ... or after this many leaves (default 65536) */
    uint64_t segment_bytes;       /* start a new segment file past this size (default 64 MiB) */
    size_t buffer_bytes;          /* staging buffer for one commit group (default 4 MiB) */
    uint64_t (*clock_ms)(void *arg);  /* wall clock in ms (default CLOCK_REALTIME); tests and benches set it */
    void *clock_arg;
};

/* Fill c with the defaults above (sync mode, fsync on, threaded). */
void omega_provlog_config_defaults(struct omega_provlog_config *c);

struct omega_provlog;

/* Open (or create) the log folder dir for appending; an existing log is recovered first: a torn
 * tail is cut off, every complete frame is kept, and a checkpoint is signed over what is there.
 * key is the monitor's Ed25519 signing key (borrowed; must outlive the log). Owned result. */
int omega_provlog_open(struct omega_provlog **out, const char *dir, const struct omega_provlog_config *cfg,
                       EVP_PKEY *key, struct omega_error *err) OMEGA_MUST_CHECK;
/* Commit what is queued, sign a final checkpoint, close the files; NULL is a no-op. Returns the first
 * error seen (the log is freed either way). */
int omega_provlog_close(struct omega_provlog *log, struct omega_error *err);

/* The monitor's record hook (omega_record_fn in core/monitor.h): appends one decision record and
 * stores its sequence number in *seq. Sync mode: returns once durable. Batch mode: returns once queued
 * (use omega_provlog_wait before acknowledging). ctx is the struct omega_provlog. No allocation once
 * the record's strings have been seen. io_digest may be NULL. */
int omega_provlog_record(void *ctx, const struct omega_action *a, const struct omega_decision *d,
                         const uint8_t io_digest[32], uint64_t *seq);
/* Block until record seq is durable (the write-ahead rule); OMEGA_EIO if the log failed. */
int omega_provlog_wait(struct omega_provlog *log, uint64_t seq) OMEGA_MUST_CHECK;
/* Commit everything queued now and wait for it to be durable. */
int omega_provlog_flush(struct omega_provlog *log) OMEGA_MUST_CHECK;
/* Commit everything queued and sign a checkpoint over it now. */
int omega_provlog_checkpoint(struct omega_provlog *log) OMEGA_MUST_CHECK;
/* Leaves in the log (the next sequence number). */
uint64_t omega_provlog_size(struct omega_provlog *log);
/* Leaves known durable. */
uint64_t omega_provlog_durable(struct omega_provlog *log);
/* The sticky error that stopped the log (0 while healthy); msg gets the detail. */
int omega_provlog_failed(struct omega_provlog *log, struct omega_error *err);

/* The log's signing key as a signed-note verifier key "origin+keyid+base64" (appended to out): what
 * a verifier pins (omega log verify --key), and what attestation evidence binds. */
int omega_provlog_verifier_key(struct omega_provlog *log, struct omega_buf *out) OMEGA_MUST_CHECK;

/* ---- reading and verifying ---- */

struct omega_provlog_view;

/* Load a log (a folder of segments, or one segment file) read-only and check everything: frame
 * checksums, record encoding, symbol references, time order, every checkpoint's signature, size and
 * root. pub: the pinned public key (borrowed, may be NULL: then the key in the segment header is
 * used, which proves integrity only against someone without that key). Owned view in *out even when
 * the log is tampered with (see omega_provlog_report); NULL and OMEGA_EFORMAT/EIO when unreadable. */
int omega_provlog_view_open(struct omega_provlog_view **out, const char *path, EVP_PKEY *pub,
                            struct omega_error *err) OMEGA_MUST_CHECK;
/* The same over in-memory segment bytes (borrowed, must outlive the view), segments in order. */
int omega_provlog_view_open_mem(struct omega_provlog_view **out, const uint8_t *const *segs, const size_t *lens,
                                size_t nsegs, EVP_PKEY *pub, struct omega_error *err) OMEGA_MUST_CHECK;
/* Free a view; NULL is a no-op. */
void omega_provlog_view_free(struct omega_provlog_view *v);

struct omega_provlog_report {
    int intact;                 /* 1: nothing wrong (an unsigned tail counts as wrong unless allowed) */
    uint64_t leaves, records, symbols, epochs, digests, checkpoints, segments, bytes;
    uint64_t covered;           /* tree size of the last valid checkpoint */
    int64_t first_bad;          /* first leaf that may be bad, -1 when none */
    int64_t last_bad;           /* last leaf of the range that holds the bad one (inclusive), -1 */
    int64_t bad_checkpoint;     /* index of the first bad checkpoint (0-based), -1 */
    int key_pinned;             /* 1: checked against the caller's key */
    char problem[320];          /* one line naming what is wrong, "" when intact */
};

/* The verdict of view_open's checks; allow_unsigned_tail: leaves after the last checkpoint, and a
 * last frame still being written (a live log), do not make the log count as tampered. */
void omega_provlog_report_get(const struct omega_provlog_view *v, int allow_unsigned_tail,
                              struct omega_provlog_report *r);
/* Check a checkpoint note the caller already holds (from an earlier verify, a witness, attestation
 * evidence) against the log: signed by pub under the log's origin, and the log's first `size`
 * leaves have its root. Catches a log cut back to an earlier checkpoint, which nothing inside the
 * log can show. 0 consistent, OMEGA_EVERIFY not, OMEGA_EFORMAT unreadable note; why gets a line. */
int omega_provlog_view_check_held(struct omega_provlog_view *v, const uint8_t *note, size_t len, EVP_PKEY *pub,
                                  char *why, size_t wl) OMEGA_MUST_CHECK;
/* Leaves readable (up to the first unreadable frame). */
uint64_t omega_provlog_view_leaves(const struct omega_provlog_view *v);
/* Leaf i as JSON (new reference): decision records resolved to names, or symbols/epochs with "kind". */
json_t *omega_provlog_view_leaf_json(const struct omega_provlog_view *v, uint64_t i);
/* Leaf i's raw CBOR bytes (borrowed). */
int omega_provlog_view_leaf(const struct omega_provlog_view *v, uint64_t i, const uint8_t **p, size_t *n);
/* Number of valid checkpoints, and the k-th one's signed note text (borrowed) and tree size. */
size_t omega_provlog_view_checkpoints(const struct omega_provlog_view *v);
int omega_provlog_view_checkpoint(const struct omega_provlog_view *v, size_t k, const char **note, size_t *len,
                                  uint64_t *size);
/* Root hash of the first `size` leaves. */
int omega_provlog_view_root(struct omega_provlog_view *v, uint64_t size, uint8_t root[32]) OMEGA_MUST_CHECK;
/* Inclusion proof of leaf index in the tree of `size` leaves: up to 64 hashes in proof, count in *n. */
int omega_provlog_view_prove(struct omega_provlog_view *v, uint64_t index, uint64_t size, uint8_t (*proof)[32],
                             size_t *n) OMEGA_MUST_CHECK;
/* Consistency proof between tree sizes old_size <= new_size. */
int omega_provlog_view_consistency(struct omega_provlog_view *v, uint64_t old_size, uint64_t new_size,
                                   uint8_t (*proof)[32], size_t *n) OMEGA_MUST_CHECK;
/* Leaves whose definitions leaf i needs to be read (its epoch, agent, act and the act's strings):
 * up to max indices into out; returns the count. */
size_t omega_provlog_view_context(const struct omega_provlog_view *v, uint64_t i, uint64_t *out, size_t max);

/* ---- Merkle hashing (RFC 6962: SHA-256, leaf prefix 0x00, node prefix 0x01) ---- */

/* Leaf hash of n bytes. */
void omega_provlog_leaf_hash(const uint8_t *p, size_t n, uint8_t out[32]);
/* Interior node hash of two children. */
void omega_provlog_node_hash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32]);
/* Check an inclusion proof (RFC 9162 2.1.3.2): 0 when leaf_hash at index is in the tree of size with root. */
int omega_provlog_verify_inclusion(const uint8_t leaf_hash[32], uint64_t index, uint64_t size,
                                   const uint8_t (*proof)[32], size_t n, const uint8_t root[32]);
/* Check a consistency proof (RFC 9162 2.1.4.2): 0 when the tree of old_size with old_root is a prefix. */
int omega_provlog_verify_consistency(uint64_t old_size, uint64_t new_size, const uint8_t old_root[32],
                                     const uint8_t new_root[32], const uint8_t (*proof)[32], size_t n);

#endif
