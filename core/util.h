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

/* FNV-1a for hash tables (not for anything an adversary must not collide; those use SHA-256). Inline:
 * the policy engine and the runtime hash on every decision. Start a 64-bit hash at OMEGA_FNV64_BASIS. */
#define OMEGA_FNV64_BASIS 0xcbf29ce484222325ull
#define OMEGA_FNV64_PRIME 0x100000001b3ull
/* FNV-1a (64-bit) of n bytes, continuing from h. */
static inline uint64_t omega_fnv64(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = (const uint8_t *)p;   /* a cast: C++ (the CUDA plugin) includes this too */
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * OMEGA_FNV64_PRIME;
    return h;
}
/* FNV-1a (64-bit) of a NUL-terminated string, continuing from h. */
static inline uint64_t omega_fnv64_str(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * OMEGA_FNV64_PRIME;
    return h;
}
/* FNV-1a (32-bit) of n bytes. */
static inline uint32_t omega_fnv32(const void *p, size_t n)
{
    const uint8_t *b = (const uint8_t *)p;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

/* mkdir -p: create path and its missing parents (mode 0755); 0, or -1 with errno. */
int omega_mkdir_p(const char *path);

#endif
