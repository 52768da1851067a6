#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>

uint64_t omega_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t omega_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void omega_hex_encode(const uint8_t *p, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int omega_hex_decode(const char *s, size_t slen, struct omega_buf *b)
{
    b->len = 0;
    size_t i = 0;
    while (i < slen && isspace((unsigned char)s[i]))
        i++;
    if (i + 1 < slen && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
        i += 2;
    int hi = -1;
    for (; i < slen; i++) {
        if (isspace((unsigned char)s[i]))
            continue;
        int v = hexval((unsigned char)s[i]);
        if (v < 0)
            return OMEGA_EFORMAT;
        if (hi < 0) {
            hi = v;
        } else {
            uint8_t byte = (uint8_t)(hi << 4 | v);
            OMEGA_TRY(omega_buf_append(b, &byte, 1));
            hi = -1;
        }
    }
    return hi < 0 ? 0 : OMEGA_EFORMAT;
}

int omega_hex_decode_fixed(const char *s, uint8_t *out, size_t n)
{
    if (!s || strlen(s) != 2 * n)
        return OMEGA_EFORMAT;
    for (size_t i = 0; i < n; i++) {
        int a = hexval((unsigned char)s[2 * i]), c = hexval((unsigned char)s[2 * i + 1]);
        if (a < 0 || c < 0)
            return OMEGA_EFORMAT;
        out[i] = (uint8_t)(a << 4 | c);
    }
    return 0;
}

int omega_ct_compare(const void *a, const void *b, size_t n) { return CRYPTO_memcmp(a, b, n) != 0; }

void omega_wipe(void *p, size_t n) { OPENSSL_cleanse(p, n); }

int omega_parse_time(const char *s, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end)
        return OMEGA_EFORMAT;
    if (*end == '.') {  /* fractional seconds are accepted and dropped */
        end++;
        while (isdigit((unsigned char)*end))
            end++;
    }
    if (strcmp(end, "Z") != 0 && strcmp(end, "+00:00") != 0)
        return OMEGA_EFORMAT;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return OMEGA_EFORMAT;
    *out = (int64_t)t;
    return 0;
}

int omega_random(void *p, size_t n)
{
    uint8_t *q = p;
    while (n) {
        ssize_t r = getrandom(q, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return OMEGA_EIO;
        q += r;
        n -= (size_t)r;
    }
    return 0;
}

int omega_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno)
        return OMEGA_EINVAL;
    unsigned shift = 0;
    switch (toupper((unsigned char)*end)) {
    case 0: break;
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    case 'T': shift = 40; break;
    default: return OMEGA_EINVAL;
    }
    if (*end && end[1] && !(toupper((unsigned char)end[1]) == 'I' && toupper((unsigned char)end[2]) == 'B' && !end[3]) &&
        !(toupper((unsigned char)end[1]) == 'B' && !end[2]))
        return OMEGA_EINVAL;
    if (shift && v > (UINT64_MAX >> shift))
        return OMEGA_EINVAL;
    *out = (uint64_t)v << shift;
    return 0;
}

int omega_mkdir_p(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -1 : 0;
}
