/* Small helpers shared by every part: hex, time, constant-time compare, wiping secrets. */
#ifndef OMEGA_UTIL_H
#define OMEGA_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Monotonic clock in nanoseconds. */
uint64_t omega_now_ns(void);
/* Wall clock (CLOCK_REALTIME) in nanoseconds since the epoch. */
uint64_t omega_wall_ns(void);
/* Lowercase hex of n bytes into out (2n+1 bytes). */
void omega_hex_encode(const uint8_t *p, size_t n, char *out);
/* Parse hex text (whitespace and an optional 0x ignored) into b; OMEGA_EFORMAT on a bad digit or odd length. */
int omega_hex_decode(const char *s, size_t slen, struct omega_buf *b) OMEGA_MUST_CHECK;
/* Parse exactly n bytes of hex; OMEGA_EFORMAT otherwise. */
int omega_hex_decode_fixed(const char *s, uint8_t *out, size_t n) OMEGA_MUST_CHECK;
/* Constant-time compare: 0 when equal. */
int omega_ct_compare(const void *a, const void *b, size_t n);
/* Wipe a secret so the compiler cannot drop the store. */
void omega_wipe(void *p, size_t n);
/* Parse ISO 8601 UTC "YYYY-MM-DDTHH:MM:SSZ" into seconds since the epoch. */
int omega_parse_time(const char *s, int64_t *out) OMEGA_MUST_CHECK;
/* Fill p with n random bytes from the OS (getrandom). */
int omega_random(void *p, size_t n) OMEGA_MUST_CHECK;
/* Parse a size with an optional K/M/G/T suffix (powers of 1024). */
int omega_parse_size(const char *s, uint64_t *out) OMEGA_MUST_CHECK;

/* mkdir -p: create path and its missing parents (mode 0755); 0, or -1 with errno. */
int omega_mkdir_p(const char *path);

#endif
