/* Growable byte buffers, and a bounded reader for untrusted bytes (after s2n's stuffer). */
#ifndef OMEGA_BUF_H
#define OMEGA_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct omega_buf {
    uint8_t *data;  /* owned */
    size_t len, cap;
};

/* Empty buffer in caller storage. */
void omega_buf_init(struct omega_buf *b);
/* Release the buffer's memory; the struct can be reused after _init. */
void omega_buf_fini(struct omega_buf *b);
/* Make room for n more bytes; OMEGA_ENOMEM on overflow or allocation failure. */
int omega_buf_reserve(struct omega_buf *b, size_t n) OMEGA_MUST_CHECK;
/* Append n bytes. */
int omega_buf_append(struct omega_buf *b, const void *p, size_t n) OMEGA_MUST_CHECK;
/* Append formatted text (no terminating NUL counted in len, but one is kept after the data). */
int omega_buf_printf(struct omega_buf *b, const char *fmt, ...) OMEGA_MUST_CHECK __attribute__((format(printf, 2, 3)));
/* Read a whole file into b (replacing its content); at most max bytes, else OMEGA_EFORMAT. */
int omega_buf_read_file(struct omega_buf *b, const char *path, size_t max, struct omega_error *err) OMEGA_MUST_CHECK;
/* Write b to path atomically (temp file, fsync, rename). */
int omega_buf_write_file(const struct omega_buf *b, const char *path, struct omega_error *err) OMEGA_MUST_CHECK;

/* Bounded reader: every read checks the remaining length; a failed read leaves the reader poisoned. */
struct omega_rd {
    const uint8_t *p;  /* borrowed */
    size_t len, off;
    int bad;
};

/* Reader over n borrowed bytes. */
void omega_rd_init(struct omega_rd *r, const void *p, size_t n);
/* Bytes left. */
size_t omega_rd_left(const struct omega_rd *r);
/* Copy n bytes out; OMEGA_EFORMAT past the end. */
int omega_rd_bytes(struct omega_rd *r, void *out, size_t n) OMEGA_MUST_CHECK;
/* Borrow a pointer to the next n bytes and skip them. */
int omega_rd_ptr(struct omega_rd *r, const uint8_t **out, size_t n) OMEGA_MUST_CHECK;
/* Little-endian integers. */
int omega_rd_u8(struct omega_rd *r, uint8_t *v) OMEGA_MUST_CHECK;
int omega_rd_u16le(struct omega_rd *r, uint16_t *v) OMEGA_MUST_CHECK;
int omega_rd_u32le(struct omega_rd *r, uint32_t *v) OMEGA_MUST_CHECK;
int omega_rd_u64le(struct omega_rd *r, uint64_t *v) OMEGA_MUST_CHECK;
/* Skip n bytes, requiring each to be zero (reserved fields); OMEGA_EFORMAT otherwise. */
int omega_rd_zeros(struct omega_rd *r, size_t n) OMEGA_MUST_CHECK;
/* Skip n bytes. */
int omega_rd_skip(struct omega_rd *r, size_t n) OMEGA_MUST_CHECK;

#endif
