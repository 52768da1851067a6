/* Provenance log tamper tests: byte flips, deleted/swapped/duplicated records and frames (with their
 * checksums recomputed, as a deliberate forger would), truncation, replaced checkpoints, re-signing
 * with another key; and the command line's exit statuses. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "attest/checkpoint.h"
#include "attest/provlog.h"
#include "attest/provlog_view.h"
#include "core/buf.h"
#include "core/util.h"
#include "tests/test.h"
#include "tests/test_provlog.h"

struct fixture {
    EVP_PKEY *key;
    char dir[1024], seg[1100];
    struct omega_buf bytes;              /* the clean segment */
    struct omega_provlog_view *clean;
};

static int fixture_make(struct fixture *f, const char *name, uint64_t records)
{
    memset(f, 0, sizeof *f);
    f->key = provlog_test_key();
    snprintf(f->dir, sizeof f->dir, "%s/%s", omega_test_tmpdir(), name);
    snprintf(f->seg, sizeof f->seg, "%s/00000000.seg", f->dir);
    struct omega_provlog_config cfg;
    provlog_test_config(&cfg);
    cfg.commit_records = 8;       /* several frames per checkpoint */
    cfg.checkpoint_records = 40;
    if (provlog_test_write(f->dir, f->key, records, &cfg, 11) < 0)
        return -1;
    omega_buf_init(&f->bytes);
    if (omega_buf_read_file(&f->bytes, f->seg, 1 << 26, NULL) < 0)
        return -1;
    const uint8_t *p = f->bytes.data;
    size_t n = f->bytes.len;
    if (omega_provlog_view_open_mem(&f->clean, &p, &n, 1, f->key, NULL) < 0)
        return -1;
    struct omega_provlog_report r;
    omega_provlog_report_get(f->clean, 0, &r);
    return r.intact ? 0 : -1;
}

static void fixture_free(struct fixture *f)
{
    omega_provlog_view_free(f->clean);
    omega_buf_fini(&f->bytes);
    EVP_PKEY_free(f->key);
}

/* Verify bytes as a one-segment log with key pinned: 1 intact, 0 tampered (r filled), -1 unreadable. */
static int check(struct fixture *f, const uint8_t *p, size_t n, EVP_PKEY *key, struct omega_provlog_report *r)
{
    struct omega_provlog_view *v;
    if (omega_provlog_view_open_mem(&v, &p, &n, 1, key, NULL) < 0)
        return -1;
    omega_provlog_report_get(v, 0, r);
    omega_provlog_view_free(v);
    (void)f;
    return r->intact;
}

/* Which leaf holds byte offset off of the clean segment, or -1. */
static int64_t leaf_at(const struct omega_provlog_view *v, size_t off)
{
    for (uint64_t i = 0; i < v->nleaves; i++)
        if (off >= v->leaves[i].off && off < v->leaves[i].off + v->leaves[i].len)
            return (int64_t)i;
    return -1;
}

/* The flipped leaf lies in the range the report names (or a checkpoint is named). */
static int names_leaf(const struct omega_provlog_report *r, int64_t leaf)
{
    if (leaf < 0)
        return 1;
    if (r->bad_checkpoint >= 0)
        return r->first_bad <= leaf && (r->last_bad < 0 || r->last_bad >= leaf);
    return r->first_bad >= 0 && r->first_bad <= leaf && (r->last_bad < 0 || r->last_bad >= leaf);
}

static int flip_all(struct fixture *f, const uint8_t *masks, int nmasks, size_t stride)
{
    uint8_t *b = malloc(f->bytes.len);
    CHECK(b);
    size_t tested = 0;
    for (size_t i = 0; i < f->bytes.len; i += stride)
        for (int m = 0; m < nmasks; m++) {
            memcpy(b, f->bytes.data, f->bytes.len);
            b[i] ^= masks[m];
            struct omega_provlog_report r;
            int rc = check(f, b, f->bytes.len, f->key, &r);
            CHECK_MSG(rc != 1, "flip 0x%02x at byte %zu not detected", masks[m], i);
            if (rc == -1)
                CHECK_MSG(i < 12, "flip at byte %zu made the log unreadable instead of tampered", i);
            else
                CHECK_MSG(names_leaf(&r, leaf_at(f->clean, i)), "flip at %zu (leaf %" PRId64 ") reported as: %s", i,
                          leaf_at(f->clean, i), r.problem);
            tested++;
        }
    free(b);
    CHECK(tested > 0);
    return 0;
}

OMEGA_TEST(provlog_tamper_every_byte)
{
    struct fixture f;
    CHECK(fixture_make(&f, "flip", 40) == 0);
    static const uint8_t masks[] = {0xff};
    int rc = flip_all(&f, masks, 1, 1);
    fixture_free(&f);
    return rc;
}

OMEGA_TEST_LONG(provlog_tamper_every_bit_long, 1800)
{
    struct fixture f;
    CHECK(fixture_make(&f, "flipbits", 100) == 0);
    static const uint8_t masks[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff};
    int rc = flip_all(&f, masks, 9, 1);
    fixture_free(&f);
    return rc;
}

/* Rebuild the clean segment from its leaves and checkpoints with valid frame checksums, applying
 * op to the leaf sequence: how a forger who knows the format would edit it. */
enum op { OP_DELETE, OP_SWAP, OP_DUP, OP_REPLACE_CKPT, OP_DROP_CKPT };

static void put_frame(struct omega_buf *o, int type, const uint8_t *p, size_t n)
{
    uint8_t hdr[10];
    size_t hl = pl_leb128_put(hdr, ((uint64_t)n << 1) | (uint64_t)type);
    uint32_t crc = pl_crc32c(pl_crc32c(0, hdr, hl), p, n);
    uint8_t c[4] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16), (uint8_t)(crc >> 24)};
    (void)!omega_buf_append(o, hdr, hl);
    (void)!omega_buf_append(o, p, n);
    (void)!omega_buf_append(o, c, 4);
}

static void rebuild(struct fixture *f, enum op op, uint64_t at, const struct omega_buf *note, struct omega_buf *out)
{
    const struct omega_provlog_view *v = f->clean;
    out->len = 0;
    (void)!omega_buf_append(out, f->bytes.data, v->segs[0].h.len);
    /* One leaf per frame, then each checkpoint where it was: frame boundaries change too. */
    size_t k = 0;
    for (uint64_t i = 0; i <= v->nleaves; i++) {
        while (k < v->nckpts && v->ckpts[k].size == i) {
            if (op == OP_REPLACE_CKPT && k == at)
                put_frame(out, PL_FRAME_CHECKPOINT, note->data, note->len);
            else if (!(op == OP_DROP_CKPT && k == at))
                put_frame(out, PL_FRAME_CHECKPOINT, f->bytes.data + v->ckpts[k].off, v->ckpts[k].len);
            k++;
        }
        if (i == v->nleaves)
            break;
        uint64_t src = i;
        if (op == OP_SWAP && i == at)
            src = at + 1;
        else if (op == OP_SWAP && i == at + 1)
            src = at;
        if (op == OP_DELETE && i == at)
            continue;
        put_frame(out, PL_FRAME_RECORDS, f->bytes.data + v->leaves[src].off, v->leaves[src].len);
        if (op == OP_DUP && i == at)
            put_frame(out, PL_FRAME_RECORDS, f->bytes.data + v->leaves[src].off, v->leaves[src].len);
    }
}

OMEGA_TEST(provlog_tamper_records_and_checkpoints)
{
    struct fixture f;
    CHECK(fixture_make(&f, "forge", 200) == 0);
    struct omega_buf out, note;
    omega_buf_init(&out);
    omega_buf_init(&note);
    struct omega_provlog_report r;
    /* Re-framing alone (one leaf per frame) keeps the log intact: the checks below see the edit. */
    rebuild(&f, OP_DELETE, UINT64_MAX, NULL, &out);
    CHECK_MSG(check(&f, out.data, out.len, f.key, &r) == 1, "re-framed clean log: %s", r.problem);
    uint64_t n = f.clean->nleaves;
    for (uint64_t i = 0; i < n; i++) {
        for (int op = OP_DELETE; op <= OP_DUP; op++) {
            if (op == OP_SWAP && (i + 1 >= n || (f.clean->leaves[i].len == f.clean->leaves[i + 1].len &&
                                                 memcmp(f.bytes.data + f.clean->leaves[i].off,
                                                        f.bytes.data + f.clean->leaves[i + 1].off,
                                                        f.clean->leaves[i].len) == 0)))
                continue;
            rebuild(&f, (enum op)op, i, NULL, &out);
            int rc = check(&f, out.data, out.len, f.key, &r);
            CHECK_MSG(rc == 0, "%s of leaf %" PRIu64 " not detected", op == OP_DELETE ? "delete" : op == OP_SWAP ? "swap" : "dup", i);
            /* Named: the edited leaf itself, or the checkpoint over it with its range. */
            CHECK_MSG(r.first_bad >= 0 && (uint64_t)r.first_bad <= i && (r.last_bad < 0 || (uint64_t)r.last_bad >= i),
                      "edit at %" PRIu64 " reported as: %s", i, r.problem);
        }
    }
    /* Checkpoints: another key's signature over the same tree, an older checkpoint in a newer one's
     * place, a dropped one (the next one still signs everything), a re-signed copy by a forger. */
    EVP_PKEY *other = provlog_test_key();
    CHECK(f.clean->nckpts >= 3);
    for (size_t k = 0; k < f.clean->nckpts; k++) {
        struct omega_checkpoint c;
        CHECK(omega_checkpoint_open(f.bytes.data + f.clean->ckpts[k].off, f.clean->ckpts[k].len, &f.clean->verifier, &c,
                                    NULL) == 0);
        note.len = 0;
        CHECK(omega_checkpoint_sign(&c, other, &note, NULL) == 0);
        rebuild(&f, OP_REPLACE_CKPT, k, &note, &out);
        CHECK(check(&f, out.data, out.len, f.key, &r) == 0);
        CHECK_EQ_INT(r.bad_checkpoint, (int64_t)k);
        if (k > 0) {
            note.len = 0;
            CHECK(omega_buf_append(&note, f.bytes.data + f.clean->ckpts[k - 1].off, f.clean->ckpts[k - 1].len) == 0);
            rebuild(&f, OP_REPLACE_CKPT, k, &note, &out);
            CHECK(check(&f, out.data, out.len, f.key, &r) == 0);
            CHECK_EQ_INT(r.bad_checkpoint, (int64_t)k);
        }
    }
    /* Dropping the last checkpoint leaves leaves no signature covers. */
    rebuild(&f, OP_DROP_CKPT, f.clean->nckpts - 1, NULL, &out);
    CHECK(check(&f, out.data, out.len, f.key, &r) == 0);
    CHECK(r.first_bad == (int64_t)f.clean->ckpts[f.clean->nckpts - 2].size);
    /* A forger who re-signs every checkpoint and swaps the key in the header passes only without a
     * pinned key: with the monitor's key pinned the header key is refused. */
    uint8_t opub[32];
    CHECK(omega_ed25519_raw_public(other, opub, NULL) == 0);
    out.len = 0;
    CHECK(omega_buf_append(&out, f.bytes.data, f.bytes.len) == 0);
    uint8_t hdr[300];
    size_t hl = pl_header_build(hdr, 0, 0, opub, f.clean->origin);
    CHECK(hl == f.clean->segs[0].h.len);
    memcpy(out.data, hdr, hl);
    CHECK(check(&f, out.data, out.len, f.key, &r) == 0);
    CHECK_EQ_INT(r.bad_checkpoint, 0);
    omega_buf_fini(&out);
    omega_buf_fini(&note);
    EVP_PKEY_free(other);
    fixture_free(&f);
    return 0;
}

/* Every cut of the file (every byte near the end, every stride-th before; all with stride 1) is
 * caught: a torn frame, leaves no checkpoint signs, or - at a clean checkpoint boundary - the
 * checkpoint a verifier already holds. */
static int truncation(size_t stride)
{
    struct fixture f;
    CHECK(fixture_make(&f, "trunc", 60) == 0);
    const char *note;
    size_t nl;
    uint64_t size;
    CHECK(omega_provlog_view_checkpoint(f.clean, f.clean->nckpts - 1, &note, &nl, &size) == 0);
    size_t hdr = f.clean->segs[0].h.len;
    int by_held = 0;
    for (size_t cut = 0; cut < f.bytes.len; cut++) {
        int at_ckpt_end = 0;
        for (size_t k = 0; k < f.clean->nckpts; k++)
            at_ckpt_end |= cut == f.clean->ckpts[k].off + f.clean->ckpts[k].len + 4;
        if (!at_ckpt_end && cut % stride != 0 && cut + 600 < f.bytes.len)
            continue;
        struct omega_provlog_report r;
        const uint8_t *p = f.bytes.data;
        size_t n = cut;
        struct omega_provlog_view *v;
        int rc = omega_provlog_view_open_mem(&v, &p, &n, 1, f.key, NULL);
        if (cut < hdr) {
            CHECK_MSG(rc < 0 || (omega_provlog_report_get(v, 0, &r), !r.intact), "cut at %zu (in the header) accepted", cut);
            omega_provlog_view_free(v);
            continue;
        }
        CHECK(rc == 0);
        /* Any cut is also what a reader racing the writer sees: a valid live log. */
        omega_provlog_report_get(v, 1, &r);
        CHECK_MSG(r.intact, "cut at %zu is not a valid live prefix: %s", cut, r.problem);
        omega_provlog_report_get(v, 0, &r);
        if (r.intact) {
            char why[300];
            CHECK_MSG(omega_provlog_view_check_held(v, (const uint8_t *)note, nl, f.key, why, sizeof why) == OMEGA_EVERIFY,
                      "cut at %zu not detected even against the held checkpoint", cut);
            by_held++;
        }
        omega_provlog_view_free(v);
    }
    CHECK(by_held > 0 && by_held <= (int)f.clean->nckpts + 1);
    fixture_free(&f);
    return 0;
}

OMEGA_TEST(provlog_tamper_truncation)
{
    return truncation(7);
}

OMEGA_TEST_LONG(provlog_tamper_truncation_all, 600)
{
    return truncation(1);
}

OMEGA_TEST(provlog_cli_exit_status)
{
    const char *bin = omega_test_omega_bin();
    const char *tmp = omega_test_tmpdir();
    char out[8192];
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s log demo %s/cli --records 500 --digest", bin, tmp), 0);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s log verify %s/cli --key %s/cli/signer.vkey", bin, tmp, tmp), 0);
    CHECK(strstr(out, "intact: 500 records"));
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s log verify %s/cli --key %s/cli/signer.pub.pem --json", bin, tmp, tmp), 0);
    CHECK(strstr(out, "\"intact\":true") && strstr(out, "\"key_pinned\":true"));
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s log show %s/cli --from 300 --to 400 | wc -l", bin, tmp), 0);
    int lines = atoi(out);
    CHECK_MSG(lines > 30 && lines <= 101, "%d lines", lines);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s log prove %s/cli 200 --key %s/cli/signer.vkey", bin, tmp, tmp), 0);
    CHECK(strstr(out, "\"verified\":true") && strstr(out, "\"inclusion_proof\"") && strstr(out, "\"context\""));
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s log consistency %s/cli 100 400", bin, tmp), 0);
    CHECK(strstr(out, "\"verified\":true"));
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s log stats %s/cli", bin, tmp), 0);
    CHECK(strstr(out, "bytes/1000 records"));
    /* A held checkpoint of the intact log passes; tampered -> 1 with the place named; unreadable -> 2. */
    CHECK_EQ_INT(omega_test_sh(out, sizeof out,
                               "%s log prove %s/cli 5 | python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)[\"checkpoint\"])' > %s/held.txt",
                               bin, tmp, tmp), 0);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s log verify %s/cli --key %s/cli/signer.vkey --checkpoint %s/held.txt", bin, tmp, tmp, tmp), 0);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out,
                               "cp -r %s/cli %s/cli2 && printf '\\x55' | dd of=%s/cli2/00000000.seg bs=1 seek=300 conv=notrunc 2>/dev/null && "
                               "%s log verify %s/cli2 --key %s/cli/signer.vkey --json", tmp, tmp, tmp, bin, tmp, tmp), 1);
    CHECK(strstr(out, "\"intact\":false") && strstr(out, "\"first_bad_record\":"));
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s log verify %s/nonexistent 2>/dev/null", bin, tmp), 2);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "head -c 100 /dev/urandom > %s/junk.seg; %s log verify %s/junk.seg 2>/dev/null", tmp, bin, tmp), 2);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s log verify 2>/dev/null", bin), 2);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s log prove %s/cli notanumber 2>/dev/null", bin, tmp), 2);
    /* Another key: every checkpoint fails -> 1. */
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s log demo %s/cli3 --records 10 >/dev/null && %s log verify %s/cli --key %s/cli3/signer.pub.pem", bin, tmp, bin, tmp, tmp), 1);
    return 0;
}
