#include "core/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void omega_buf_init(struct omega_buf *b) { memset(b, 0, sizeof *b); }

void omega_buf_fini(struct omega_buf *b)
{
    if (!b)
        return;
    free(b->data);
    memset(b, 0, sizeof *b);
}

int omega_buf_reserve(struct omega_buf *b, size_t n)
{
    if (n > SIZE_MAX - b->len - 1)
        return OMEGA_ENOMEM;
    size_t need = b->len + n + 1;  /* +1 keeps room for a NUL after text */
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return OMEGA_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int omega_buf_append(struct omega_buf *b, const void *p, size_t n)
{
    OMEGA_TRY(omega_buf_reserve(b, n));
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

int omega_buf_printf(struct omega_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return OMEGA_EINVAL;
    OMEGA_TRY(omega_buf_reserve(b, (size_t)n));
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int omega_buf_read_file(struct omega_buf *b, const char *path, size_t max, struct omega_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        OMEGA_FAIL(err, OMEGA_EIO, "%s: %s", path, strerror(errno));
    b->len = 0;
    for (;;) {
        if (omega_buf_reserve(b, 65536) < 0) {
            close(fd);
            OMEGA_FAIL(err, OMEGA_ENOMEM, "%s: out of memory", path);
        }
        ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            OMEGA_FAIL(err, OMEGA_EIO, "%s: %s", path, strerror(e));
        }
        if (n == 0)
            break;
        b->len += (size_t)n;
        if (b->len > max) {
            close(fd);
            OMEGA_FAIL(err, OMEGA_EFORMAT, "%s: larger than %zu bytes", path, max);
        }
    }
    close(fd);
    if (b->data)
        b->data[b->len] = 0;
    else if (omega_buf_reserve(b, 0) == 0)
        b->data[0] = 0;
    return 0;
}

int omega_buf_write_file(const struct omega_buf *b, const char *path, struct omega_error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof tmp)
        OMEGA_FAIL(err, OMEGA_EINVAL, "path too long: %s", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        OMEGA_FAIL(err, OMEGA_EIO, "%s: %s", tmp, strerror(errno));
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = write(fd, b->data + off, b->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            OMEGA_FAIL(err, OMEGA_EIO, "%s: %s", tmp, strerror(e));
        }
        off += (size_t)n;
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        unlink(tmp);
        OMEGA_FAIL(err, OMEGA_EIO, "%s: %s", tmp, strerror(errno));
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        OMEGA_FAIL(err, OMEGA_EIO, "%s: %s", path, strerror(e));
    }
    return 0;
}

void omega_rd_init(struct omega_rd *r, const void *p, size_t n)
{
    r->p = p;
    r->len = n;
    r->off = 0;
    r->bad = 0;
}

size_t omega_rd_left(const struct omega_rd *r) { return r->bad ? 0 : r->len - r->off; }

int omega_rd_ptr(struct omega_rd *r, const uint8_t **out, size_t n)
{
    if (r->bad || n > r->len - r->off) {
        r->bad = 1;
        return OMEGA_EFORMAT;
    }
    *out = r->p + r->off;
    r->off += n;
    return 0;
}

int omega_rd_bytes(struct omega_rd *r, void *out, size_t n)
{
    const uint8_t *p;
    OMEGA_TRY(omega_rd_ptr(r, &p, n));
    if (n)
        memcpy(out, p, n);
    return 0;
}

int omega_rd_skip(struct omega_rd *r, size_t n)
{
    const uint8_t *p;
    return omega_rd_ptr(r, &p, n);
}

int omega_rd_zeros(struct omega_rd *r, size_t n)
{
    const uint8_t *p;
    OMEGA_TRY(omega_rd_ptr(r, &p, n));
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc ? OMEGA_EFORMAT : 0;
}

int omega_rd_u8(struct omega_rd *r, uint8_t *v) { return omega_rd_bytes(r, v, 1); }

int omega_rd_u16le(struct omega_rd *r, uint16_t *v)
{
    const uint8_t *p;
    OMEGA_TRY(omega_rd_ptr(r, &p, 2));
    *v = (uint16_t)(p[0] | p[1] << 8);
    return 0;
}

int omega_rd_u32le(struct omega_rd *r, uint32_t *v)
{
    const uint8_t *p;
    OMEGA_TRY(omega_rd_ptr(r, &p, 4));
    *v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return 0;
}

int omega_rd_u64le(struct omega_rd *r, uint64_t *v)
{
    uint32_t lo, hi;
    OMEGA_TRY(omega_rd_u32le(r, &lo));
    OMEGA_TRY(omega_rd_u32le(r, &hi));
    *v = (uint64_t)hi << 32 | lo;
    return 0;
}
