/* Appending to the provenance log: interning, encoding, hashing, group commit with fsync, signed
 * checkpoints, segment roll-over, and recovery of what a crash left behind.
 *
 * Appenders encode into the current staging buffer under the mutex; a commit swaps the two buffers
 * and writes and fsyncs the full one outside the mutex, so records keep arriving during an fsync
 * (group commit). Only a commit moves `durable`, and only after fdatasync returned. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "attest/checkpoint.h"
#include "attest/provlog_impl.h"
#include "attest/provlog_view.h"
#include "core/log.h"
#include "core/util.h"

#define RESERVE (64 * 1024)   /* room one append may need: a record and its new symbols */

struct omega_provlog {
    struct omega_provlog_config cfg;
    char dir[PATH_MAX];
    char origin[PL_ORIGIN_MAX + 1];
    EVP_PKEY *key;
    uint8_t pub[32];

    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    uint8_t *buf[2];
    size_t cap;
    int cur;
    size_t cur_len;
    uint64_t cur_first;          /* first leaf in the current buffer */
    uint64_t size;               /* leaves appended */
    struct pl_frontier fr;
    struct pl_symtab *syms;
    int have_epoch;
    uint64_t epoch_ms, epoch_records, last_ms;

    uint64_t durable;
    int committing, sync_waiters, want_flush, want_ckpt, stop, idle;
    int failed;
    struct omega_error err;
    uint64_t last_commit_ms, ckpt_size, last_ckpt_ms;

    int fd, dirfd;
    uint32_t segno;
    uint64_t seg_bytes;
    pthread_t thr;
    int thr_running;
    struct pl_frontier snap;     /* committer's copy for a checkpoint root */
    struct omega_buf note;       /* checkpoint text, reused */
};

void omega_provlog_config_defaults(struct omega_provlog_config *c)
{
    memset(c, 0, sizeof *c);
    c->mode = OMEGA_PROVLOG_SYNC;
    c->origin = "omega.local/provlog";
    c->threaded = 1;
    c->fsync = 1;
    c->commit_ms = 10;
    c->commit_records = 65536;
    c->checkpoint_ms = 1000;
    c->checkpoint_records = 65536;
    c->segment_bytes = 64ull << 20;
    c->buffer_bytes = 4u << 20;
}

static uint64_t now_ms(struct omega_provlog *l)
{
    if (l->cfg.clock_ms)
        return l->cfg.clock_ms(l->cfg.clock_arg);
    return omega_wall_ns() / 1000000u;
}

static void fail_locked(struct omega_provlog *l, const struct omega_error *e)
{
    if (!l->failed) {
        l->failed = 1;
        l->err = *e;
        if (!l->err.code)
            l->err.code = OMEGA_EIO;
    }
    pthread_cond_broadcast(&l->cv_done);
}

/* ---- files ---- */

static int write_all(int fd, const struct iovec *iov, int n, struct omega_error *err)
{
    struct iovec v[4];
    memcpy(v, iov, (size_t)n * sizeof *v);
    struct iovec *p = v;
    while (n > 0) {
        ssize_t w = writev(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            OMEGA_FAIL(err, OMEGA_EIO, "log write failed: %s", strerror(errno));
        }
        while (n > 0 && (size_t)w >= p->iov_len) {
            w -= (ssize_t)p->iov_len;
            p++;
            n--;
        }
        if (n > 0) {
            p->iov_base = (char *)p->iov_base + w;
            p->iov_len -= (size_t)w;
        }
    }
    return 0;
}

static int write_frame(struct omega_provlog *l, int type, const uint8_t *pay, size_t len, struct omega_error *err)
{
    uint8_t hdr[10], crcb[4];
    size_t hl = pl_leb128_put(hdr, ((uint64_t)len << 1) | (uint64_t)type);
    uint32_t crc = pl_crc32c(pl_crc32c(0, hdr, hl), pay, len);
    for (int i = 0; i < 4; i++)
        crcb[i] = (uint8_t)(crc >> (8 * i));
    struct iovec iov[3] = {{hdr, hl}, {(void *)pay, len}, {crcb, 4}};
    OMEGA_TRY(write_all(l->fd, iov, 3, err));
    l->seg_bytes += hl + len + 4;
    return 0;
}

static int sync_fd(int fd, int on, struct omega_error *err)
{
    if (on && fdatasync(fd) < 0)
        OMEGA_FAIL(err, OMEGA_EIO, "fdatasync of the log failed: %s", strerror(errno));
    return 0;
}

/* Create segment segno starting at leaf first: header written and made durable, folder entry too,
 * before any frame goes in, so a crash leaves either no file, a short header, or a whole one. */
static int new_segment(struct omega_provlog *l, uint32_t segno, uint64_t first, struct omega_error *err)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/" PL_SEG_NAME, l->dir, segno);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        OMEGA_FAIL(err, OMEGA_EIO, "cannot create log segment %s: %s", path, strerror(errno));
    uint8_t hdr[PL_HDR_FIXED + PL_ORIGIN_MAX + 4];
    size_t hl = pl_header_build(hdr, segno, first, l->pub, l->origin);
    struct iovec iov = {hdr, hl};
    int rc = write_all(fd, &iov, 1, err);
    if (rc == 0)
        rc = sync_fd(fd, l->cfg.fsync, err);
    if (rc == 0 && l->cfg.fsync && fsync(l->dirfd) < 0)
        rc = omega_error_set(err, OMEGA_EIO, __FILE__, __LINE__, "fsync of the log folder failed: %s", strerror(errno));
    if (rc < 0) {
        close(fd);
        return rc;
    }
    if (l->fd >= 0)
        close(l->fd);
    l->fd = fd;
    l->segno = segno;
    l->seg_bytes = hl;
    return 0;
}

/* ---- commit ---- */

static int ckpt_due(struct omega_provlog *l, uint64_t t, uint64_t target)
{
    if (target == l->ckpt_size)
        return 0;
    return l->want_ckpt || target - l->ckpt_size >= l->cfg.checkpoint_records ||
           t - l->last_ckpt_ms >= l->cfg.checkpoint_ms;
}

/* Write and fsync what is staged (and a checkpoint when due). Called and returns with mu held. */
static int commit_locked(struct omega_provlog *l)
{
    while (l->committing)
        pthread_cond_wait(&l->cv_done, &l->mu);
    if (l->failed)
        return l->err.code;
    uint64_t t = now_ms(l);
    uint64_t target = l->size;
    int roll = l->seg_bytes + l->cur_len >= l->cfg.segment_bytes;
    int ckpt = ckpt_due(l, t, target) || (roll && target > l->ckpt_size);
    if (l->cur_len == 0 && !ckpt) {
        l->want_flush = 0;
        l->want_ckpt = 0;
        return 0;
    }
    uint8_t *b = l->buf[l->cur];
    size_t len = l->cur_len;
    if (ckpt)
        l->snap = l->fr;
    l->cur ^= 1;
    l->cur_len = 0;
    l->cur_first = l->size;
    l->committing = 1;
    l->want_flush = 0;
    l->want_ckpt = 0;
    l->last_commit_ms = t;
    pthread_mutex_unlock(&l->mu);

    struct omega_error e = {0};
    int rc = 0;
    if (len)
        rc = write_frame(l, PL_FRAME_RECORDS, b, len, &e);
    if (rc == 0 && ckpt) {
        struct omega_checkpoint c;
        snprintf(c.origin, sizeof c.origin, "%s", l->origin);
        c.size = target;
        pl_frontier_root(&l->snap, c.root);
        l->note.len = 0;
        rc = omega_checkpoint_sign(&c, l->key, &l->note, &e);
        if (rc == 0)
            rc = write_frame(l, PL_FRAME_CHECKPOINT, l->note.data, l->note.len, &e);
    }
    if (rc == 0)
        rc = sync_fd(l->fd, l->cfg.fsync, &e);
    if (rc == 0 && ckpt && l->seg_bytes >= l->cfg.segment_bytes)
        rc = new_segment(l, l->segno + 1, target, &e);

    pthread_mutex_lock(&l->mu);
    l->committing = 0;
    if (rc < 0) {
        fail_locked(l, &e);
        return rc;
    }
    l->durable = target;
    if (ckpt) {
        l->ckpt_size = target;
        l->last_ckpt_ms = t;
    }
    pthread_cond_broadcast(&l->cv_done);
    return 0;
}

static int commit_wanted(struct omega_provlog *l, uint64_t t)
{
    uint64_t pending = l->size - l->cur_first;
    if (pending == 0)
        return l->want_ckpt || (l->size > l->ckpt_size && t - l->last_ckpt_ms >= l->cfg.checkpoint_ms);
    return l->cfg.mode == OMEGA_PROVLOG_SYNC || l->sync_waiters || l->want_flush || l->want_ckpt ||
           pending >= l->cfg.commit_records || l->cur_len + RESERVE > l->cap || t - l->last_commit_ms >= l->cfg.commit_ms;
}

static void *committer(void *arg)
{
    struct omega_provlog *l = arg;
    pthread_mutex_lock(&l->mu);
    while (!l->failed) {
        uint64_t t = now_ms(l);
        if (commit_wanted(l, t)) {
            (void)commit_locked(l);
            continue;
        }
        if (l->stop)
            break;
        /* Sleep until the next commit or checkpoint deadline, or until woken. */
        uint64_t wait_ms = l->last_commit_ms + l->cfg.commit_ms > t ? l->last_commit_ms + l->cfg.commit_ms - t : 0;
        if (l->size > l->ckpt_size && l->size == l->cur_first) {
            uint64_t due = l->last_ckpt_ms + l->cfg.checkpoint_ms;
            wait_ms = due > t ? due - t : 0;
        } else if (l->size == l->ckpt_size) {
            wait_ms = 1000;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + (wait_ms ? wait_ms : 1) * 1000000ull;
        ts.tv_sec += (time_t)(ns / 1000000000ull);
        ts.tv_nsec = (long)(ns % 1000000000ull);
        l->idle = l->size == l->cur_first;
        pthread_cond_timedwait(&l->cv_work, &l->mu, &ts);
        l->idle = 0;
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

/* ---- append ---- */

/* Hash the n-byte leaf just encoded at the end of the staging buffer into the tree, and keep it. */
static void emit_leaf_locked(struct omega_provlog *l, size_t n)
{
    uint8_t h[32];
    omega_provlog_leaf_hash(l->buf[l->cur] + l->cur_len, n, h);
    pl_frontier_push(&l->fr, h);
    l->cur_len += n;
    l->size++;
}

static int64_t intern_str(struct omega_provlog *l, int type, const char *s)
{
    size_t len = strlen(s);
    int64_t num = pl_sym_find(l->syms, type, s, len);
    if (num >= 0)
        return num;
    if (len > PL_NAME_MAX)
        return OMEGA_EINVAL;
    num = pl_sym_add(l->syms, type, s, len);
    if (num < 0)
        return num;
    /* The leaf goes straight into the staging buffer: RESERVE leaves room for it. */
    (void)pl_sym_set_leaf(l->syms, type, (uint64_t)num, l->size);
    emit_leaf_locked(l, pl_enc_string_sym(l->buf[l->cur] + l->cur_len, type, (uint64_t)num, s, len));
    return num;
}

/* Wait (or commit inline) until the staging buffer has RESERVE bytes free. */
static int make_room_locked(struct omega_provlog *l)
{
    while (!l->failed && l->cur_len + RESERVE > l->cap) {
        if (!l->cfg.threaded) {
            OMEGA_TRY(commit_locked(l));
            continue;
        }
        l->want_flush = 1;
        pthread_cond_signal(&l->cv_work);
        pthread_cond_wait(&l->cv_done, &l->mu);
    }
    return l->failed ? l->err.code : 0;
}

static int append_locked(struct omega_provlog *l, const struct omega_action *a, const struct omega_decision *d,
                         const uint8_t *io, uint64_t *seq)
{
    if (l->failed)
        return l->err.code;
    if (!a || !d || !a->agent || (unsigned)d->verdict > OMEGA_REDACT || d->npolicies > OMEGA_DECISION_MAX_POLICIES ||
        d->nredact > OMEGA_DECISION_MAX_REDACT)
        return OMEGA_EINVAL;
    OMEGA_TRY(make_room_locked(l));
    int64_t agent = intern_str(l, PL_SYM_AGENT, a->agent);
    if (agent < 0)
        return (int)agent;
    struct pl_act act;
    memset(&act, 0, sizeof act);
    int64_t x = intern_str(l, PL_SYM_METHOD, a->method ? a->method : omega_action_kind_name(a->kind));
    if (x < 0)
        return (int)x;
    act.method = (uint32_t)x;
    x = intern_str(l, PL_SYM_TARGET, a->target ? a->target : "");
    if (x < 0)
        return (int)x;
    act.target = (uint32_t)x;
    act.verdict = (uint32_t)d->verdict;
    act.npol = d->npolicies;
    for (uint32_t i = 0; i < d->npolicies; i++) {
        if (!d->policies[i])
            return OMEGA_EINVAL;
        x = intern_str(l, PL_SYM_POLICY, d->policies[i]);
        if (x < 0)
            return (int)x;
        act.pol[i] = (uint32_t)x;
    }
    act.nredact = d->nredact;
    for (uint32_t i = 0; i < d->nredact; i++) {
        if (!d->redact[i] || strlen(d->redact[i]) > 63)
            return OMEGA_EINVAL;
        act.redact[i] = d->redact[i];
    }
    act.nerrors = d->nerrors;
    int64_t actno = pl_act_find(l->syms, &act);
    if (actno < 0) {
        actno = pl_act_add(l->syms, &act);
        if (actno < 0)
            return (int)actno;
        const struct pl_act *stored = pl_act_get(l->syms, (uint64_t)actno);
        (void)pl_sym_set_leaf(l->syms, PL_SYM_ACT, (uint64_t)actno, l->size);
        emit_leaf_locked(l, pl_enc_act_sym(l->buf[l->cur] + l->cur_len, (uint64_t)actno, stored));
    }
    /* Time: milliseconds from the current epoch. A new epoch costs 9 bytes and makes the next
     * records' offsets one byte again; worth it once an epoch has carried a few records. */
    uint64_t t = now_ms(l);
    if (t < l->last_ms)
        t = l->last_ms;   /* the wall clock stepped back: keep the log's time order */
    uint64_t dt = l->have_epoch ? t - l->epoch_ms : 0;
    if (!l->have_epoch || dt > 0xffff || (dt >= 24 && l->epoch_records >= 8)) {
        emit_leaf_locked(l, pl_enc_epoch(l->buf[l->cur] + l->cur_len, t));
        l->have_epoch = 1;
        l->epoch_ms = t;
        l->epoch_records = 0;
        dt = 0;
    }
    *seq = l->size;
    emit_leaf_locked(l, pl_enc_record(l->buf[l->cur] + l->cur_len, dt, (uint64_t)agent, (uint64_t)actno,
                                      l->cfg.io_digest ? io : NULL));
    l->last_ms = t;
    l->epoch_records++;
    return 0;
}

int omega_provlog_record(void *ctx, const struct omega_action *a, const struct omega_decision *d,
                         const uint8_t io_digest[32], uint64_t *seq)
{
    struct omega_provlog *l = ctx;
    uint64_t s = 0;
    pthread_mutex_lock(&l->mu);
    int rc = append_locked(l, a, d, io_digest, &s);
    if (rc == 0) {
        if (l->cfg.mode == OMEGA_PROVLOG_SYNC) {
            if (!l->cfg.threaded) {
                while (rc == 0 && l->durable <= s)
                    rc = commit_locked(l);
            } else {
                l->sync_waiters++;
                pthread_cond_signal(&l->cv_work);
                while (l->durable <= s && !l->failed)
                    pthread_cond_wait(&l->cv_done, &l->mu);
                l->sync_waiters--;
                if (l->durable <= s)
                    rc = l->err.code;
            }
        } else if (!l->cfg.threaded) {
            if (commit_wanted(l, now_ms(l)))
                rc = commit_locked(l);
        } else {
            uint64_t pending = l->size - l->cur_first;
            /* Wake an idle committer for the first record, and a full batch at once. */
            if (pending >= l->cfg.commit_records || l->cur_len + RESERVE > l->cap || l->idle)
                pthread_cond_signal(&l->cv_work);
        }
    }
    pthread_mutex_unlock(&l->mu);
    if (seq)
        *seq = s;
    return rc;
}

int omega_provlog_wait(struct omega_provlog *l, uint64_t seq)
{
    int rc = 0;
    pthread_mutex_lock(&l->mu);
    if (seq >= l->size)
        rc = OMEGA_EINVAL;
    while (rc == 0 && l->durable <= seq && !l->failed) {
        if (!l->cfg.threaded)
            rc = commit_locked(l);
        else
            pthread_cond_wait(&l->cv_done, &l->mu);
    }
    if (rc == 0 && l->durable <= seq)
        rc = l->err.code;
    pthread_mutex_unlock(&l->mu);
    return rc;
}

static int flush_common(struct omega_provlog *l, int ckpt)
{
    int rc = 0;
    pthread_mutex_lock(&l->mu);
    uint64_t target = l->size;
    if (ckpt)
        l->want_ckpt = 1;
    while (rc == 0 && !l->failed && (l->durable < target || (ckpt && l->ckpt_size < target))) {
        if (!l->cfg.threaded) {
            rc = commit_locked(l);
        } else {
            l->want_flush = 1;
            pthread_cond_signal(&l->cv_work);
            pthread_cond_wait(&l->cv_done, &l->mu);
        }
    }
    if (rc == 0 && l->failed)
        rc = l->err.code;
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int omega_provlog_flush(struct omega_provlog *l)
{
    return flush_common(l, 0);
}

int omega_provlog_checkpoint(struct omega_provlog *l)
{
    return flush_common(l, 1);
}

uint64_t omega_provlog_size(struct omega_provlog *l)
{
    pthread_mutex_lock(&l->mu);
    uint64_t s = l->size;
    pthread_mutex_unlock(&l->mu);
    return s;
}

uint64_t omega_provlog_durable(struct omega_provlog *l)
{
    pthread_mutex_lock(&l->mu);
    uint64_t s = l->durable;
    pthread_mutex_unlock(&l->mu);
    return s;
}

int omega_provlog_failed(struct omega_provlog *l, struct omega_error *err)
{
    pthread_mutex_lock(&l->mu);
    int rc = l->failed ? l->err.code : 0;
    if (rc && err)
        *err = l->err;
    pthread_mutex_unlock(&l->mu);
    return rc;
}

/* ---- open, recover, close ---- */

static void free_log(struct omega_provlog *l)
{
    if (!l)
        return;
    if (l->fd >= 0)
        close(l->fd);
    if (l->dirfd >= 0)
        close(l->dirfd);
    free(l->buf[0]);
    free(l->buf[1]);
    pl_symtab_free(l->syms);
    omega_buf_fini(&l->note);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv_work);
    pthread_cond_destroy(&l->cv_done);
    free(l);
}

/* Take over an existing log: check it, cut a torn tail, and continue from its state. */
static int recover(struct omega_provlog *l, struct omega_error *err)
{
    struct omega_provlog_view *v = NULL;
    OMEGA_TRY(pl_view_open(&v, l->dir, l->key, 1, err));
    int rc = 0;
    if (v->bad && !v->torn) {
        rc = omega_error_set(err, OMEGA_EVERIFY, __FILE__, __LINE__,
                             "refusing to append to a damaged log: %s", v->problem);
        goto out;
    }
    if (!(v->torn_seg_header && v->nsegs == 1) && strcmp(v->origin, l->origin) != 0) {
        rc = omega_error_set(err, OMEGA_EINVAL, __FILE__, __LINE__, "the log's origin is '%s', not '%s'", v->origin,
                             l->origin);
        goto out;
    }
    uint32_t last = (uint32_t)v->nsegs - 1;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/" PL_SEG_NAME, l->dir, last);
    if (v->torn && v->torn_seg_header) {
        /* The crash hit a segment creation before its header was durable: nothing in it was acknowledged. */
        omega_log(OMEGA_LOG_WARN, "provlog: removing %s, a segment whose creation a crash interrupted", path);
        if (unlink(path) < 0 || (l->cfg.fsync && fsync(l->dirfd) < 0)) {
            rc = omega_error_set(err, OMEGA_EIO, __FILE__, __LINE__, "cannot remove torn segment %s", path);
            goto out;
        }
        if (last == 0) {
            rc = new_segment(l, 0, 0, err);
            goto out;
        }
        last--;
        snprintf(path, sizeof path, "%s/" PL_SEG_NAME, l->dir, last);
    }
    struct pl_seg *sg = &v->segs[last];
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
        rc = omega_error_set(err, OMEGA_EIO, __FILE__, __LINE__, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    if (v->torn && !v->torn_seg_header) {
        omega_log(OMEGA_LOG_WARN, "provlog: cutting a torn tail of %zu bytes from %s", sg->n - sg->good_end, path);
        if (ftruncate(fd, (off_t)sg->good_end) < 0 || fdatasync(fd) < 0) {
            close(fd);
            rc = omega_error_set(err, OMEGA_EIO, __FILE__, __LINE__, "cannot cut the torn tail of %s", path);
            goto out;
        }
    }
    l->fd = fd;
    l->segno = last;
    l->seg_bytes = sg->good_end;
    l->size = l->durable = l->cur_first = v->nleaves;
    l->fr = v->fr;
    pl_symtab_free(l->syms);
    l->syms = v->syms;
    v->syms = NULL;
    l->have_epoch = v->have_epoch;
    l->epoch_ms = v->epoch_ms;
    l->epoch_records = v->epoch_records;
    l->last_ms = v->last_time;
    l->ckpt_size = v->covered;
out:
    omega_provlog_view_free(v);
    return rc;
}

int omega_provlog_open(struct omega_provlog **out, const char *dir, const struct omega_provlog_config *cfg,
                       EVP_PKEY *key, struct omega_error *err)
{
    *out = NULL;
    struct omega_provlog *l = calloc(1, sizeof *l);
    if (!l)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    l->fd = l->dirfd = -1;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv_work, NULL);
    pthread_cond_init(&l->cv_done, NULL);
    omega_buf_init(&l->note);
    l->cfg = *cfg;
    int rc = 0;
#define BAIL(c, ...)                                                           \
    do {                                                                       \
        rc = omega_error_set(err, (c), __FILE__, __LINE__, __VA_ARGS__);       \
        goto fail;                                                             \
    } while (0)
    if (!l->cfg.origin)
        l->cfg.origin = "omega.local/provlog";
    if (strlen(l->cfg.origin) > PL_ORIGIN_MAX || !omega_note_name_ok(l->cfg.origin))
        BAIL(OMEGA_EINVAL, "bad log origin '%.60s' (no spaces or '+', at most %d bytes)", l->cfg.origin, PL_ORIGIN_MAX);
    snprintf(l->origin, sizeof l->origin, "%s", l->cfg.origin);
    l->cfg.origin = l->origin;
    if (l->cfg.commit_records == 0)
        l->cfg.commit_records = 1;
    if (l->cfg.checkpoint_records == 0)
        l->cfg.checkpoint_records = 1;
    if (l->cfg.buffer_bytes < 4 * RESERVE)
        l->cfg.buffer_bytes = 4 * RESERVE;
    if (l->cfg.buffer_bytes > PL_FRAME_MAX)
        l->cfg.buffer_bytes = PL_FRAME_MAX;
    if (l->cfg.segment_bytes < 4096)
        l->cfg.segment_bytes = 4096;
    if ((rc = omega_ed25519_raw_public(key, l->pub, err)) < 0)
        goto fail;
    l->key = key;
    if (strlen(dir) >= sizeof l->dir)
        BAIL(OMEGA_EINVAL, "log folder path too long");
    snprintf(l->dir, sizeof l->dir, "%s", dir);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        BAIL(OMEGA_EIO, "cannot create log folder '%s': %s", dir, strerror(errno));
    l->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (l->dirfd < 0)
        BAIL(OMEGA_EIO, "cannot open log folder '%s': %s", dir, strerror(errno));
    l->cap = l->cfg.buffer_bytes;
    l->buf[0] = malloc(l->cap);
    l->buf[1] = malloc(l->cap);
    l->syms = pl_symtab_new();
    if (!l->buf[0] || !l->buf[1] || !l->syms || omega_buf_reserve(&l->note, 1024) < 0)
        BAIL(OMEGA_ENOMEM, "out of memory");
    pl_frontier_init(&l->fr);
    char **names;
    size_t nseg;
    if ((rc = pl_list_segments(dir, &names, &nseg, err)) < 0)
        goto fail;
    for (size_t i = 0; i < nseg; i++)
        free(names[i]);
    free(names);
    if (nseg == 0) {
        if ((rc = new_segment(l, 0, 0, err)) < 0)
            goto fail;
    } else if ((rc = recover(l, err)) < 0) {
        goto fail;
    }
    l->last_commit_ms = l->last_ckpt_ms = now_ms(l);
    /* Recovered leaves no checkpoint covers get one now, signed by the monitor that owns them. */
    if (l->size > l->ckpt_size) {
        pthread_mutex_lock(&l->mu);
        l->want_ckpt = 1;
        rc = commit_locked(l);
        pthread_mutex_unlock(&l->mu);
        if (rc < 0) {
            *err = l->err;
            goto fail;
        }
    }
    if (l->cfg.threaded) {
        if (pthread_create(&l->thr, NULL, committer, l) != 0)
            BAIL(OMEGA_EIO, "cannot start the log committer thread");
        l->thr_running = 1;
    }
    *out = l;
    return 0;
fail:
    free_log(l);
    return rc;
#undef BAIL
}

int omega_provlog_close(struct omega_provlog *l, struct omega_error *err)
{
    if (!l)
        return 0;
    int rc = omega_provlog_checkpoint(l);
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    pthread_cond_signal(&l->cv_work);
    pthread_mutex_unlock(&l->mu);
    if (l->thr_running)
        pthread_join(l->thr, NULL);
    if (l->failed) {
        if (err)
            *err = l->err;
        rc = l->err.code;
    }
    free_log(l);
    return rc;
}

int omega_provlog_verifier_key(struct omega_provlog *l, struct omega_buf *out)
{
    struct omega_note_verifier v;
    OMEGA_TRY(omega_note_verifier_init(&v, l->origin, l->pub, NULL));
    return omega_note_verifier_format(&v, out);
}
