/* Reading and verifying a provenance log: segments, frames, leaves, symbols, checkpoints; proofs. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/sha.h>

#include "attest/checkpoint.h"
#include "attest/provlog_impl.h"
#include "attest/provlog_view.h"
#include "core/util.h"

static void problem(struct omega_provlog_view *v, int64_t first, int64_t last, int64_t ckpt, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void problem(struct omega_provlog_view *v, int64_t first, int64_t last, int64_t ckpt, const char *fmt, ...)
{
    if (v->bad)
        return;
    v->bad = 1;
    v->first_bad = first;
    v->last_bad = last;
    v->bad_checkpoint = ckpt;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->problem, sizeof v->problem, fmt, ap);
    va_end(ap);
}

static int push_leaf(struct omega_provlog_view *v, uint32_t seg, uint64_t off, uint32_t len, uint8_t kind,
                     const uint8_t hash[32])
{
    if (v->nleaves == v->capleaves) {
        uint64_t cap = v->capleaves ? v->capleaves * 2 : 1024;
        void *p = realloc(v->leaves, (size_t)cap * sizeof *v->leaves);
        if (!p)
            return OMEGA_ENOMEM;
        v->leaves = p;
        v->capleaves = cap;
    }
    v->leaves[v->nleaves++] = (struct pl_leafref){off, v->cur_epoch, len, seg, kind};
    OMEGA_TRY(pl_tree_push(&v->tree, hash));
    pl_frontier_push(&v->fr, hash);
    return 0;
}

/* Check one leaf's meaning against what came before; "" when fine, else why not. */
static const char *check_leaf(struct omega_provlog_view *v, const uint8_t *p, size_t n, uint8_t *kind)
{
    struct omega_rd r;
    struct pl_item it;
    omega_rd_init(&r, p, n);
    if (pl_cbor_next(&r, &it) < 0)
        return "not canonical CBOR";
    if (it.type == PL_C_UINT) {
        if (v->have_epoch && it.val < v->last_time)
            return "time epoch goes back in time";
        *kind = PL_LEAF_EPOCH;
        v->have_epoch = 1;
        v->epoch_ms = it.val;
        v->last_time = it.val;
        v->cur_epoch = v->nleaves;
        v->epoch_records = 0;
        v->epochs++;
        return "";
    }
    if (it.type == PL_C_ARRAY) {
        if (it.val != 3 && it.val != 4)
            return "a record is an array of 3 or 4 items";
        uint64_t f[3];
        for (int i = 0; i < 3; i++) {
            if (pl_cbor_next(&r, &it) < 0 || it.type != PL_C_UINT)
                return "record field is not an unsigned integer";
            f[i] = it.val;
        }
        if (!v->have_epoch)
            return "record before any time epoch";
        if (f[0] > UINT64_MAX - v->epoch_ms || v->epoch_ms + f[0] < v->last_time)
            return "record time goes back";
        if (f[1] >= pl_sym_count(v->syms, PL_SYM_AGENT))
            return "record names an undefined agent";
        if (f[2] >= pl_sym_count(v->syms, PL_SYM_ACT))
            return "record names an undefined act";
        if (r.len - r.off > 0) {
            if (pl_cbor_next(&r, &it) < 0 || it.type != PL_C_BSTR || it.val != 32)
                return "record I/O digest is not 32 bytes";
            v->digests++;
        }
        v->last_time = v->epoch_ms + f[0];
        v->epoch_records++;
        v->records++;
        *kind = PL_LEAF_RECORD;
        return "";
    }
    if (it.type != PL_C_MAP)
        return "leaf is not a record, epoch or symbol";
    uint64_t npairs = it.val;
    uint64_t key[10], val[10];
    const uint8_t *str = NULL;
    size_t strn = 0;
    const uint8_t *digest = NULL;
    struct pl_act act;
    memset(&act, 0, sizeof act);
    char redact_buf[OMEGA_DECISION_MAX_REDACT][64];
    int64_t last_key = -1;
    if (npairs < 4 || npairs > 8)
        return "symbol has the wrong number of fields";
    for (uint64_t i = 0; i < npairs; i++) {
        if (pl_cbor_next(&r, &it) < 0 || it.type != PL_C_UINT || (int64_t)it.val <= last_key || it.val > 9)
            return "symbol keys are not ascending small integers";
        last_key = (int64_t)it.val;
        key[i] = it.val;
        if (pl_cbor_next(&r, &it) < 0)
            return "symbol field is malformed";
        switch (key[i]) {
        case 2:
            if (it.type != PL_C_TSTR || it.val > PL_NAME_MAX)
                return "symbol name is not a text string";
            str = it.data;
            strn = it.val;
            break;
        case 3:
            if (it.type != PL_C_BSTR || it.val != 32)
                return "symbol digest is not 32 bytes";
            digest = it.data;
            break;
        case 7:
            if (it.type != PL_C_ARRAY || it.val > OMEGA_DECISION_MAX_POLICIES)
                return "act policies are not a short array";
            act.npol = (uint32_t)it.val;
            for (uint32_t j = 0; j < act.npol; j++) {
                if (pl_cbor_next(&r, &it) < 0 || it.type != PL_C_UINT)
                    return "act policy is not a number";
                if (it.val >= pl_sym_count(v->syms, PL_SYM_POLICY))
                    return "act names an undefined policy";
                act.pol[j] = (uint32_t)it.val;
            }
            break;
        case 8:
            if (it.type != PL_C_ARRAY || it.val == 0 || it.val > OMEGA_DECISION_MAX_REDACT)
                return "act redactions are not a short array";
            act.nredact = (uint32_t)it.val;
            for (uint32_t j = 0; j < act.nredact; j++) {
                if (pl_cbor_next(&r, &it) < 0 || it.type != PL_C_TSTR || it.val >= sizeof redact_buf[j] ||
                    memchr(it.data, 0, it.val))
                    return "act redaction is not a short text string";
                memcpy(redact_buf[j], it.data, it.val);
                redact_buf[j][it.val] = 0;
                act.redact[j] = redact_buf[j];
            }
            break;
        default:
            if (it.type != PL_C_UINT)
                return "symbol field is not a number";
            val[i] = it.val;
            if (key[i] == 9 && it.val == 0)
                return "act error count 0 is written by omission";
            if (key[i] == 9 && it.val > UINT32_MAX)
                return "act error count too large";
        }
    }
    if (r.off != r.len)
        return "trailing bytes after a symbol";
    if (key[0] != 0 || key[1] != 1)
        return "symbol lacks its type or number";
    uint64_t type = val[0], num = val[1];
    if (type > PL_SYM_ACT || num != pl_sym_count(v->syms, (int)type))
        return "symbol number is out of sequence";
    if (type < PL_SYM_ACT) {
        if (npairs != 4 || key[2] != 2 || key[3] != 3)
            return "string symbol must have fields 0,1,2,3";
        uint8_t h[32];
        pl_sha256(str, strn, h);
        if (memcmp(h, digest, 32) != 0)
            return "symbol digest does not match its name";
        if (memchr(str, 0, strn))
            return "symbol name holds a NUL byte";
        if (pl_sym_find(v->syms, (int)type, (const char *)str, strn) >= 0)
            return "symbol defined twice";
        if (pl_sym_add(v->syms, (int)type, (const char *)str, strn) < 0)
            return "out of memory";
    } else {
        int need[] = {0, 1, 4, 5, 6, 7};
        if (npairs < 6)
            return "act symbol must have fields 0,1,4,5,6,7";
        for (int k = 0; k < 6; k++)
            if (key[k] != (uint64_t)need[k])
                return "act symbol must have fields 0,1,4,5,6,7";
        for (uint64_t k = 6; k < npairs; k++)
            if (key[k] != 8 && key[k] != 9)
                return "act symbol has an unknown field";
        act.method = (uint32_t)val[2];
        act.target = (uint32_t)val[3];
        if (val[2] >= pl_sym_count(v->syms, PL_SYM_METHOD) || val[3] >= pl_sym_count(v->syms, PL_SYM_TARGET))
            return "act names an undefined method or target";
        if (val[4] > OMEGA_REDACT)
            return "act verdict is unknown";
        act.verdict = (uint32_t)val[4];
        for (uint64_t k = 6; k < npairs; k++)
            if (key[k] == 9)
                act.nerrors = (uint32_t)val[k];
        if (pl_act_find(v->syms, &act) >= 0)
            return "act defined twice";
        if (pl_act_add(v->syms, &act) < 0)
            return "out of memory";
    }
    if (pl_sym_set_leaf(v->syms, (int)type, num, v->nleaves) < 0)
        return "out of memory";
    v->symbols++;
    *kind = PL_LEAF_SYMBOL;
    return "";
}

/* 1 when a complete frame with a good checksum starts anywhere in p[from..n). */
static int valid_frame_after(const uint8_t *p, size_t n, size_t from)
{
    for (size_t off = from; off < n; off++) {
        struct omega_rd r;
        omega_rd_init(&r, p + off, n - off);
        uint64_t tl;
        if (pl_leb128_get(&r, &tl) < 0 || (tl >> 1) > PL_FRAME_MAX || (tl >> 1) == 0)
            continue;
        size_t hdr = r.off, len = (size_t)(tl >> 1);
        if (len + 4 > n - off - hdr)
            continue;
        uint32_t crc;
        memcpy(&crc, p + off + hdr + len, 4);
        if (crc == pl_crc32c(0, p + off, hdr + len))
            return 1;
    }
    return 0;
}

static void check_checkpoint(struct omega_provlog_view *v, uint32_t seg, uint64_t off, const uint8_t *note, size_t len)
{
    struct omega_checkpoint c;
    struct omega_error e = {0};
    int64_t k = (int64_t)v->nckpts_seen++;
    int64_t lo = (int64_t)v->covered, hi = (int64_t)v->nleaves - 1;
    if (hi < lo)
        hi = lo;
    int rc = omega_checkpoint_open(note, len, &v->verifier, &c, &e);
    if (rc == 0 && c.size > v->nleaves && c.size - 1 <= INT64_MAX)
        hi = (int64_t)c.size - 1;   /* leaves were deleted: the range runs to where the tree ended */
    if (rc < 0) {
        problem(v, lo, hi, k, "checkpoint %" PRId64 " (segment %u, offset %" PRIu64 "): %s", k, seg, off, e.msg);
        return;
    }
    if (strcmp(c.origin, v->origin) != 0) {
        problem(v, lo, hi, k, "checkpoint %" PRId64 ": origin '%s' is not the log's '%s'", k, c.origin, v->origin);
        return;
    }
    if (c.size != v->nleaves) {
        problem(v, lo, hi, k,
                "checkpoint %" PRId64 " signs a tree of %" PRIu64 " leaves but %" PRIu64
                " precede it: leaves %" PRId64 "..%" PRId64 " were added, deleted or duplicated",
                k, c.size, v->nleaves, lo, hi);
        return;
    }
    uint8_t root[32];
    pl_frontier_root(&v->fr, root);
    if (omega_ct_compare(root, c.root, 32) != 0) {
        problem(v, lo, hi, k,
                "checkpoint %" PRId64 " (size %" PRIu64 ") does not match the leaves: one of leaves %" PRId64
                "..%" PRId64 " was changed or reordered",
                k, c.size, lo, hi);
        return;
    }
    if (v->nckpts == v->capckpts) {
        size_t cap = v->capckpts ? v->capckpts * 2 : 16;
        void *p = realloc(v->ckpts, cap * sizeof *v->ckpts);
        if (!p) {
            problem(v, lo, hi, k, "out of memory");
            return;
        }
        v->ckpts = p;
        v->capckpts = cap;
    }
    v->ckpts[v->nckpts++] = (struct pl_ckpt){c.size, off, (uint32_t)len, seg};
    v->covered = c.size;
}

/* Walk the frames of segment s from its header on. */
static int scan_segment(struct omega_provlog_view *v, uint32_t s)
{
    struct pl_seg *sg = &v->segs[s];
    const uint8_t *p = sg->p;
    size_t n = sg->n, off = sg->h.len;
    int last = s + 1 == v->nsegs;
    while (off < n && !v->bad) {
        struct omega_rd r;
        omega_rd_init(&r, p + off, n - off);
        uint64_t tl;
        size_t len = 0, hdr = 0;
        int whole = pl_leb128_get(&r, &tl) == 0 && (tl >> 1) <= PL_FRAME_MAX;
        if (whole) {
            hdr = r.off;
            len = (size_t)(tl >> 1);
            whole = len + 4 <= n - off - hdr;
        }
        int crc_ok = 0;
        if (whole) {
            uint32_t crc;
            memcpy(&crc, p + off + hdr + len, 4);
            crc_ok = crc == pl_crc32c(0, p + off, hdr + len);
        }
        if (!crc_ok) {
            /* A torn tail is the end of the last segment with no good frame after it. */
            int torn = last && v->recovery && !valid_frame_after(p, n, off + 1);
            if (last && !whole)
                v->tail_incomplete = 1;   /* what a reader racing the writer sees, too */
            if (torn) {
                v->torn = 1;
                v->torn_off = off;
            }
            problem(v, (int64_t)v->nleaves, -1, -1,
                    "%s at segment %u offset %zu (leaves from %" PRIu64 " on are unreadable)",
                    torn ? (whole ? "torn tail: last frame fails its checksum" : "torn tail: last frame is incomplete")
                         : (whole ? "frame fails its checksum" : "frame runs past the end of the segment (cut short?)"),
                    s, off, v->nleaves);
            sg->good_end = off;
            return 0;
        }
        const uint8_t *pay = p + off + hdr;
        if ((tl & 1) == PL_FRAME_CHECKPOINT) {
            check_checkpoint(v, s, off + hdr, pay, len);
        } else {
            if (len == 0)
                problem(v, (int64_t)v->nleaves, (int64_t)v->nleaves, -1, "empty record frame at segment %u offset %zu", s, off);
            size_t q = 0;
            while (q < len && !v->bad) {
                size_t il = pl_cbor_item_len(pay + q, len - q);
                uint8_t kind = 0;
                const char *why = il ? check_leaf(v, pay + q, il, &kind) : "not one complete CBOR item";
                if (*why) {
                    /* The change is this leaf or one before it that no checkpoint vouches for. */
                    problem(v, (int64_t)v->covered, (int64_t)v->nleaves, -1,
                            "leaf %" PRIu64 " (segment %u, offset %zu): %s (the change is in leaves %" PRIu64 "..%" PRIu64 ")",
                            v->nleaves, s, off + hdr + q, why, v->covered, v->nleaves);
                    break;
                }
                uint8_t h[32];
                omega_provlog_leaf_hash(pay + q, il, h);
                if (push_leaf(v, s, off + hdr + q, (uint32_t)il, kind, h) < 0)
                    return OMEGA_ENOMEM;
                q += il;
            }
        }
        off += hdr + len + 4;
        sg->good_end = off;
    }
    return 0;
}

static int load(struct omega_provlog_view *v, EVP_PKEY *pub, struct omega_error *err)
{
    for (uint32_t s = 0; s < v->nsegs; s++) {
        struct pl_seg *sg = &v->segs[s];
        v->bytes += sg->n;
        struct omega_error e = {0};
        int rc = pl_header_parse(sg->p, sg->n, &sg->h, &e);
        sg->good_end = 0;
        if (rc < 0) {
            /* A header with nothing after it in the last segment is a segment creation the crash
             * interrupted (frames go in only once the header is durable): nothing in it was acknowledged. */
            int torn = v->recovery && s + 1 == v->nsegs && !valid_frame_after(sg->p, sg->n, 1);
            if (torn) {
                v->torn = 1;
                v->torn_seg_header = 1;
                problem(v, (int64_t)v->nleaves, -1, -1, "segment %u: %s (torn segment creation)", s, e.msg);
                return 0;
            }
            if (s == 0 && rc == OMEGA_EFORMAT)
                OMEGA_FAIL(err, OMEGA_EFORMAT, "%s", e.msg);
            problem(v, (int64_t)v->nleaves, -1, -1, "segment %u: %s", s, e.msg);
            return 0;
        }
        if (s == 0) {
            snprintf(v->origin, sizeof v->origin, "%s", sg->h.origin);
            memcpy(v->header_pub, sg->h.pub, 32);
            uint8_t pk[32];
            const uint8_t *use = sg->h.pub;
            if (pub) {
                if (omega_ed25519_raw_public(pub, pk, err) < 0)
                    return OMEGA_EINVAL;
                use = pk;
                v->key_pinned = 1;
            }
            if (omega_note_verifier_init(&v->verifier, v->origin, use, NULL) < 0) {
                problem(v, 0, -1, -1, "segment 0: origin '%s' is not a valid key name", v->origin);
                return 0;
            }
            if (pub && memcmp(pk, sg->h.pub, 32) != 0) {
                problem(v, 0, -1, 0, "segment 0 names a signing key other than the pinned one");
                return 0;
            }
        } else {
            if (strcmp(sg->h.origin, v->origin) != 0 || memcmp(sg->h.pub, v->header_pub, 32) != 0) {
                problem(v, (int64_t)v->nleaves, -1, -1, "segment %u: origin or key differs from segment 0", s);
                return 0;
            }
        }
        if (sg->h.segno != s || sg->h.first != v->nleaves) {
            problem(v, (int64_t)v->nleaves, -1, -1,
                    "segment %u: header says segment %u starting at leaf %" PRIu64 ", expected %u at %" PRIu64
                    " (a segment is missing, duplicated or out of order)",
                    s, sg->h.segno, sg->h.first, s, v->nleaves);
            return 0;
        }
        sg->good_end = sg->h.len;
        OMEGA_TRY(scan_segment(v, s));
        if (v->bad)
            return 0;
    }
    return 0;
}

static struct omega_provlog_view *view_new(void)
{
    struct omega_provlog_view *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    pl_tree_init(&v->tree);
    pl_frontier_init(&v->fr);
    v->syms = pl_symtab_new();
    v->first_bad = v->last_bad = v->bad_checkpoint = -1;
    if (!v->syms) {
        free(v);
        return NULL;
    }
    return v;
}

void omega_provlog_view_free(struct omega_provlog_view *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->nsegs; i++)
        free(v->segs[i].owned);
    free(v->segs);
    free(v->leaves);
    free(v->ckpts);
    pl_tree_fini(&v->tree);
    pl_symtab_free(v->syms);
    omega_note_verifier_fini(&v->verifier);
    free(v);
}

int omega_provlog_view_open_mem(struct omega_provlog_view **out, const uint8_t *const *segs, const size_t *lens,
                                size_t nsegs, EVP_PKEY *pub, struct omega_error *err)
{
    *out = NULL;
    if (nsegs == 0)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "a log has at least one segment");
    struct omega_provlog_view *v = view_new();
    if (!v || !(v->segs = calloc(nsegs, sizeof *v->segs))) {
        omega_provlog_view_free(v);
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    }
    v->nsegs = nsegs;
    for (size_t i = 0; i < nsegs; i++) {
        v->segs[i].p = segs[i];
        v->segs[i].n = lens[i];
    }
    int rc = load(v, pub, err);
    if (rc < 0) {
        omega_provlog_view_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

static int seg_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int pl_list_segments(const char *dir, char ***names, size_t *n, struct omega_error *err)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        OMEGA_FAIL(err, errno == ENOENT ? OMEGA_ENOTFOUND : OMEGA_EIO, "cannot open log folder '%s': %s", dir,
                   strerror(errno));
    struct dirent *de;
    size_t cap = 0;
    char **v = NULL;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l != 12 || strcmp(de->d_name + 8, ".seg") != 0 || strspn(de->d_name, "0123456789") != 8)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nv = realloc(v, cap * sizeof *nv);
            if (!nv)
                break;
            v = nv;
        }
        v[(*n)++] = strdup(de->d_name);
    }
    closedir(d);
    if (*n)
        qsort(v, *n, sizeof *v, seg_cmp);
    *names = v;
    return 0;
}

int omega_provlog_view_open(struct omega_provlog_view **out, const char *path, EVP_PKEY *pub, struct omega_error *err)
{
    return pl_view_open(out, path, pub, 0, err);
}

int pl_view_open(struct omega_provlog_view **out, const char *path, EVP_PKEY *pub, int recovery, struct omega_error *err)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) < 0)
        OMEGA_FAIL(err, errno == ENOENT ? OMEGA_ENOTFOUND : OMEGA_EIO, "cannot open '%s': %s", path, strerror(errno));
    char **names = NULL;
    size_t n = 1;
    if (S_ISDIR(st.st_mode)) {
        OMEGA_TRY(pl_list_segments(path, &names, &n, err));
        if (n == 0) {
            free(names);
            OMEGA_FAIL(err, OMEGA_EFORMAT, "'%s' holds no log segments (00000000.seg ...)", path);
        }
    }
    struct omega_provlog_view *v = view_new();
    int rc = 0;
    if (!v || !(v->segs = calloc(n, sizeof *v->segs))) {
        rc = omega_error_set(err, OMEGA_ENOMEM, __FILE__, __LINE__, "out of memory");
        goto out;
    }
    v->nsegs = n;
    v->recovery = recovery;
    for (size_t i = 0; i < n; i++) {
        char p[4096];
        if (names)
            snprintf(p, sizeof p, "%s/%s", path, names[i]);
        else
            snprintf(p, sizeof p, "%s", path);
        struct omega_buf b;
        omega_buf_init(&b);
        rc = omega_buf_read_file(&b, p, (size_t)1 << 34, err);
        if (rc < 0) {
            omega_buf_fini(&b);
            goto out;
        }
        v->segs[i].owned = b.data;
        v->segs[i].p = b.data ? b.data : (const uint8_t *)"";
        v->segs[i].n = b.len;
    }
    rc = load(v, pub, err);
out:
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    if (rc < 0) {
        omega_provlog_view_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

void omega_provlog_report_get(const struct omega_provlog_view *v, int allow_unsigned_tail,
                              struct omega_provlog_report *r)
{
    memset(r, 0, sizeof *r);
    r->leaves = v->nleaves;
    r->records = v->records;
    r->symbols = v->symbols;
    r->epochs = v->epochs;
    r->digests = v->digests;
    r->checkpoints = v->nckpts;
    r->segments = v->nsegs;
    r->bytes = v->bytes;
    r->covered = v->covered;
    r->key_pinned = v->key_pinned;
    r->first_bad = v->first_bad;
    r->last_bad = v->last_bad;
    r->bad_checkpoint = v->bad_checkpoint;
    if (v->bad && !(allow_unsigned_tail && v->tail_incomplete && v->first_bad == (int64_t)v->nleaves)) {
        snprintf(r->problem, sizeof r->problem, "%s", v->problem);
        if (r->last_bad < 0 && v->nleaves > 0)
            r->last_bad = -1;
        return;
    }
    if (v->nleaves > v->covered && !allow_unsigned_tail) {
        r->first_bad = (int64_t)v->covered;
        r->last_bad = (int64_t)v->nleaves - 1;
        snprintf(r->problem, sizeof r->problem,
                 "leaves %" PRIu64 "..%" PRIu64 " are not covered by a signed checkpoint (log still open, "
                 "crashed before recovery, or the last checkpoint was removed)",
                 v->covered, v->nleaves - 1);
        return;
    }
    r->intact = 1;
}

uint64_t omega_provlog_view_leaves(const struct omega_provlog_view *v)
{
    return v->nleaves;
}

int omega_provlog_view_leaf(const struct omega_provlog_view *v, uint64_t i, const uint8_t **p, size_t *n)
{
    if (i >= v->nleaves)
        return OMEGA_EINVAL;
    const struct pl_leafref *l = &v->leaves[i];
    *p = v->segs[l->seg].p + l->off;
    *n = l->len;
    return 0;
}

size_t omega_provlog_view_checkpoints(const struct omega_provlog_view *v)
{
    return v->nckpts;
}

int omega_provlog_view_checkpoint(const struct omega_provlog_view *v, size_t k, const char **note, size_t *len,
                                  uint64_t *size)
{
    if (k >= v->nckpts)
        return OMEGA_EINVAL;
    *note = (const char *)v->segs[v->ckpts[k].seg].p + v->ckpts[k].off;
    *len = v->ckpts[k].len;
    *size = v->ckpts[k].size;
    return 0;
}

int omega_provlog_view_root(struct omega_provlog_view *v, uint64_t size, uint8_t root[32])
{
    if (size > v->nleaves)
        return OMEGA_EINVAL;
    pl_tree_range(&v->tree, 0, size, root);
    return 0;
}

int omega_provlog_view_prove(struct omega_provlog_view *v, uint64_t index, uint64_t size, uint8_t (*proof)[32],
                             size_t *n)
{
    return pl_tree_inclusion(&v->tree, index, size, proof, n);
}

int omega_provlog_view_consistency(struct omega_provlog_view *v, uint64_t old_size, uint64_t new_size,
                                   uint8_t (*proof)[32], size_t *n)
{
    return pl_tree_consistency(&v->tree, old_size, new_size, proof, n);
}

/* Decode record i's fields. */
static int record_fields(const struct omega_provlog_view *v, uint64_t i, uint64_t f[3], const uint8_t **io)
{
    const uint8_t *p;
    size_t n;
    OMEGA_TRY(omega_provlog_view_leaf(v, i, &p, &n));
    struct omega_rd r;
    struct pl_item it;
    omega_rd_init(&r, p, n);
    if (pl_cbor_next(&r, &it) < 0 || it.type != PL_C_ARRAY)
        return OMEGA_EFORMAT;
    for (int k = 0; k < 3; k++) {
        if (pl_cbor_next(&r, &it) < 0)
            return OMEGA_EFORMAT;
        f[k] = it.val;
    }
    *io = NULL;
    if (r.off < r.len && pl_cbor_next(&r, &it) == 0)
        *io = it.data;
    return 0;
}

static uint64_t epoch_value(const struct omega_provlog_view *v, uint64_t leaf)
{
    const uint8_t *p;
    size_t n;
    struct omega_rd r;
    struct pl_item it;
    if (omega_provlog_view_leaf(v, leaf, &p, &n) < 0)
        return 0;
    omega_rd_init(&r, p, n);
    return pl_cbor_next(&r, &it) == 0 ? it.val : 0;
}

static json_t *time_json(uint64_t ms)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    char b[64];
    if (!gmtime_r(&s, &tm))
        return json_null();   /* past what a calendar date can say */
    size_t k = strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(b + k, sizeof b - k, ".%03uZ", (unsigned)(ms % 1000));
    return json_string(b);
}

static json_t *sym_json(const struct pl_symtab *s, int type, uint64_t num)
{
    size_t len;
    const char *str = pl_sym_str(s, type, num, &len);
    return str ? json_stringn(str, len) : json_null();
}

static void act_into(json_t *o, const struct pl_symtab *s, const struct pl_act *a)
{
    json_object_set_new(o, "action", sym_json(s, PL_SYM_METHOD, a->method));
    json_object_set_new(o, "resource", sym_json(s, PL_SYM_TARGET, a->target));
    json_object_set_new(o, "decision", json_string(pl_verdict_name(a->verdict)));
    json_t *pol = json_array();
    for (uint32_t k = 0; k < a->npol; k++)
        json_array_append_new(pol, sym_json(s, PL_SYM_POLICY, a->pol[k]));
    json_object_set_new(o, "policies", pol);
    if (a->nredact) {
        json_t *rd = json_array();
        for (uint32_t k = 0; k < a->nredact; k++)
            json_array_append_new(rd, json_string(a->redact[k]));
        json_object_set_new(o, "redact", rd);
    }
    if (a->nerrors)
        json_object_set_new(o, "policy_errors", json_integer(a->nerrors));
}

json_t *omega_provlog_view_leaf_json(const struct omega_provlog_view *v, uint64_t i)
{
    if (i >= v->nleaves)
        return NULL;
    const struct pl_leafref *l = &v->leaves[i];
    json_t *o = json_object();
    json_object_set_new(o, "seq", json_integer((json_int_t)i));
    if (l->kind == PL_LEAF_RECORD) {
        uint64_t f[3];
        const uint8_t *io;
        if (record_fields(v, i, f, &io) < 0) {
            json_decref(o);
            return NULL;
        }
        uint64_t t = epoch_value(v, l->epoch) + f[0];
        json_object_set_new(o, "time", time_json(t));
        json_object_set_new(o, "time_ms", json_integer((json_int_t)t));
        json_object_set_new(o, "agent", sym_json(v->syms, PL_SYM_AGENT, f[1]));
        const struct pl_act *a = pl_act_get(v->syms, f[2]);
        if (a)
            act_into(o, v->syms, a);
        if (io) {
            char hex[65];
            omega_hex_encode(io, 32, hex);
            json_object_set_new(o, "io_digest", json_string(hex));
        }
        return o;
    }
    if (l->kind == PL_LEAF_EPOCH) {
        uint64_t t = epoch_value(v, i);
        json_object_set_new(o, "kind", json_string("epoch"));
        json_object_set_new(o, "time", time_json(t));
        json_object_set_new(o, "time_ms", json_integer((json_int_t)t));
        return o;
    }
    /* A symbol: find it by its leaf (symbols are few; a linear scan keeps the table small). */
    static const char *tn[] = {"agent", "method", "target", "policy", "act"};
    for (int t = 0; t < PL_SYM_NTYPES; t++)
        for (uint64_t k = 0, c = pl_sym_count(v->syms, t); k < c; k++)
            if (pl_sym_leaf(v->syms, t, k) == i) {
                json_object_set_new(o, "kind", json_string("symbol"));
                json_object_set_new(o, "type", json_string(tn[t]));
                json_object_set_new(o, "number", json_integer((json_int_t)k));
                if (t == PL_SYM_ACT) {
                    act_into(o, v->syms, pl_act_get(v->syms, k));
                } else {
                    size_t len;
                    const char *s = pl_sym_str(v->syms, t, k, &len);
                    uint8_t h[32];
                    char hex[65];
                    pl_sha256((const uint8_t *)s, len, h);
                    omega_hex_encode(h, 32, hex);
                    json_object_set_new(o, "name", json_stringn(s, len));
                    json_object_set_new(o, "digest", json_string(hex));
                }
                return o;
            }
    return o;
}

size_t omega_provlog_view_context(const struct omega_provlog_view *v, uint64_t i, uint64_t *out, size_t max)
{
    size_t n = 0;
    if (i >= v->nleaves || v->leaves[i].kind != PL_LEAF_RECORD)
        return 0;
    uint64_t f[3];
    const uint8_t *io;
    if (record_fields(v, i, f, &io) < 0)
        return 0;
#define ADD(x)                     \
    do {                           \
        if (n < max)               \
            out[n] = (x);          \
        n++;                       \
    } while (0)
    ADD(v->leaves[i].epoch);
    ADD(pl_sym_leaf(v->syms, PL_SYM_AGENT, f[1]));
    ADD(pl_sym_leaf(v->syms, PL_SYM_ACT, f[2]));
    const struct pl_act *a = pl_act_get(v->syms, f[2]);
    if (a) {
        ADD(pl_sym_leaf(v->syms, PL_SYM_METHOD, a->method));
        ADD(pl_sym_leaf(v->syms, PL_SYM_TARGET, a->target));
        for (uint32_t k = 0; k < a->npol; k++)
            ADD(pl_sym_leaf(v->syms, PL_SYM_POLICY, a->pol[k]));
    }
#undef ADD
    return n < max ? n : max;
}

int omega_provlog_view_check_held(struct omega_provlog_view *v, const uint8_t *note, size_t len, EVP_PKEY *pub,
                                  char *why, size_t wl)
{
    uint8_t raw[32], root[32];
    struct omega_note_verifier ver;
    struct omega_checkpoint c;
    struct omega_error err = {0};
    if (omega_ed25519_raw_public(pub, raw, &err) < 0 || omega_note_verifier_init(&ver, v->origin, raw, &err) < 0) {
        snprintf(why, wl, "%s", err.msg);
        return OMEGA_EFORMAT;
    }
    int rc = 0;
    if (omega_checkpoint_open(note, len, &ver, &c, &err) < 0) {
        snprintf(why, wl, "held checkpoint: %s", err.msg);
        rc = err.code == OMEGA_EVERIFY ? OMEGA_EVERIFY : OMEGA_EFORMAT;
    } else if (c.size > v->nleaves) {
        snprintf(why, wl, "a held checkpoint signs %" PRIu64 " leaves but the log has %" PRIu64 ": the log was cut back",
                 c.size, v->nleaves);
        rc = OMEGA_EVERIFY;
    } else {
        pl_tree_range(&v->tree, 0, c.size, root);
        if (omega_ct_compare(root, c.root, 32) != 0) {
            snprintf(why, wl, "the log's first %" PRIu64 " leaves do not match a held checkpoint: history was rewritten",
                     c.size);
            rc = OMEGA_EVERIFY;
        }
    }
    omega_note_verifier_fini(&ver);
    return rc;
}
