/* Cedar's extension types: decimal (four fractional digits), ip (address with prefix), datetime
 * (milliseconds since the epoch) and duration (milliseconds), parsed exactly as Cedar accepts them. */
#include <arpa/inet.h>
#include <string.h>

#include "policy/policy_int.h"

static int dig(char c) { return c >= '0' && c <= '9'; }

int pext_decimal_parse(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && s[i] == '-') {
        neg = 1;
        i++;
    }
    size_t start = i;
    __int128 v = 0;
    while (i < n && dig(s[i])) {
        v = v * 10 + (s[i] - '0');
        if (v > ((__int128)1 << 80))
            return OMEGA_EINVAL;
        i++;
    }
    if (i == start || i >= n || s[i] != '.')
        return OMEGA_EINVAL;
    i++;
    size_t fs = i;
    while (i < n && dig(s[i])) {
        v = v * 10 + (s[i] - '0');
        i++;
    }
    size_t nf = i - fs;
    if (i != n || nf == 0 || nf > 4)
        return OMEGA_EINVAL;
    for (; nf < 4; nf++)
        v *= 10;
    if (neg)
        v = -v;
    if (v > INT64_MAX || v < INT64_MIN)
        return OMEGA_EINVAL;
    *out = (int64_t)v;
    return 0;
}

static int parse_v4(const char *s, size_t n, uint8_t out[4])
{
    size_t i = 0;
    for (int k = 0; k < 4; k++) {
        if (k) {
            if (i >= n || s[i] != '.')
                return OMEGA_EINVAL;
            i++;
        }
        size_t st = i;
        unsigned v = 0;
        while (i < n && dig(s[i]) && i - st < 4)
            v = v * 10 + (unsigned)(s[i++] - '0');
        /* Rust's parser, which Cedar uses, refuses leading zeros (no octal ambiguity). */
        if (i == st || v > 255 || (i - st > 1 && s[st] == '0'))
            return OMEGA_EINVAL;
        out[k] = (uint8_t)v;
    }
    return i == n ? 0 : OMEGA_EINVAL;
}

int pext_ip_parse(const char *s, size_t n, struct pip *out)
{
    memset(out, 0, sizeof *out);
    const char *slash = memchr(s, '/', n);
    size_t an = slash ? (size_t)(slash - s) : n;
    if (an == 0 || an > 45)
        return OMEGA_EINVAL;
    char a[64];
    memcpy(a, s, an);
    a[an] = 0;
    unsigned maxp;
    if (memchr(a, ':', an)) {
        if (inet_pton(AF_INET6, a, out->addr) != 1)
            return OMEGA_EINVAL;
        /* Cedar refuses IPv4 embedded in IPv6 (::ffff:1.2.3.4), which inet_pton takes. */
        if (strchr(a, '.'))
            return OMEGA_EINVAL;
        out->v6 = 1;
        maxp = 128;
    } else {
        if (parse_v4(a, an, out->addr))
            return OMEGA_EINVAL;
        maxp = 32;
    }
    out->prefix = (uint8_t)maxp;
    if (slash) {
        size_t i = an + 1;
        if (i >= n)
            return OMEGA_EINVAL;
        unsigned p = 0;
        size_t st = i;
        while (i < n && dig(s[i]) && i - st < 4)
            p = p * 10 + (unsigned)(s[i++] - '0');
        if (i != n || i == st || p > maxp || i - st > (maxp == 128 ? 3u : 2u) || (i - st > 1 && s[st] == '0'))
            return OMEGA_EINVAL;
        out->prefix = (uint8_t)p;
    }
    return 0;
}

/* 1 when the first bits of a and b agree. */
static int prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;
    if (memcmp(a, b, full) != 0)
        return 0;
    if (rest) {
        uint8_t m = (uint8_t)(0xFF << (8 - rest));
        if ((a[full] & m) != (b[full] & m))
            return 0;
    }
    return 1;
}

int pext_ip_in_range(const struct pip *a, const struct pip *r)
{
    if (a->v6 != r->v6)
        return 0;
    return a->prefix >= r->prefix && prefix_match(a->addr, r->addr, r->prefix);
}

int pext_ip_loopback(const struct pip *a)
{
    struct pip r = {0};
    if (a->v6) {
        r.v6 = 1;
        r.prefix = 128;
        r.addr[15] = 1;
    } else {
        r.prefix = 8;
        r.addr[0] = 127;
    }
    return pext_ip_in_range(a, &r);
}

int pext_ip_multicast(const struct pip *a)
{
    struct pip r = {0};
    if (a->v6) {
        r.v6 = 1;
        r.prefix = 8;
        r.addr[0] = 0xFF;
    } else {
        r.prefix = 4;
        r.addr[0] = 224;
    }
    return pext_ip_in_range(a, &r);
}

static int num(const char *s, size_t n, size_t *i, int digits, int *out)
{
    int v = 0;
    for (int k = 0; k < digits; k++) {
        if (*i >= n || !dig(s[*i]))
            return OMEGA_EINVAL;
        v = v * 10 + (s[(*i)++] - '0');
    }
    *out = v;
    return 0;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int pext_datetime_parse(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int y, mo, d, h = 0, mi = 0, se = 0, ms = 0, oh = 0, om = 0, sign = 0;
    if (num(s, n, &i, 4, &y) || i >= n || s[i++] != '-' || num(s, n, &i, 2, &mo) || i >= n || s[i++] != '-' ||
        num(s, n, &i, 2, &d))
        return OMEGA_EINVAL;
    if (i < n) {
        if (s[i++] != 'T' || num(s, n, &i, 2, &h) || i >= n || s[i++] != ':' || num(s, n, &i, 2, &mi) || i >= n ||
            s[i++] != ':' || num(s, n, &i, 2, &se) || i >= n)
            return OMEGA_EINVAL;
        if (s[i] == '.') {
            i++;
            if (num(s, n, &i, 3, &ms) || i >= n)
                return OMEGA_EINVAL;
        }
        if (s[i] == 'Z') {
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            sign = s[i++] == '-' ? -1 : 1;
            if (num(s, n, &i, 2, &oh) || num(s, n, &i, 2, &om) || oh > 23 || om > 59)
                return OMEGA_EINVAL;
        } else {
            return OMEGA_EINVAL;
        }
        if (i != n)
            return OMEGA_EINVAL;
    }
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59)
        return OMEGA_EINVAL;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return OMEGA_EINVAL;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t t = ((days * 24 + h) * 60 + mi) * 60 + se;
    t = t * 1000 + ms;
    t -= (int64_t)sign * ((int64_t)oh * 3600 + om * 60) * 1000;
    *out = t;
    return 0;
}

int pext_duration_parse(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && s[i] == '-') {
        neg = 1;
        i++;
    }
    static const struct { const char *u; int64_t ms; } units[] = {
        {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
    int next_unit = 0, any = 0;
    __int128 total = 0;
    while (i < n) {
        size_t st = i;
        __int128 v = 0;
        while (i < n && dig(s[i])) {
            v = v * 10 + (s[i++] - '0');
            if (v > INT64_MAX)
                return OMEGA_EINVAL;
        }
        if (i == st || i >= n)
            return OMEGA_EINVAL;
        int u;
        if (s[i] == 'm' && i + 1 < n && s[i + 1] == 's') { u = 4; i += 2; }
        else if (s[i] == 'd') { u = 0; i++; }
        else if (s[i] == 'h') { u = 1; i++; }
        else if (s[i] == 'm') { u = 2; i++; }
        else if (s[i] == 's') { u = 3; i++; }
        else return OMEGA_EINVAL;
        if (u < next_unit)
            return OMEGA_EINVAL;
        next_unit = u + 1;
        total += v * units[u].ms;
        if (total > (__int128)INT64_MAX + 1)
            return OMEGA_EINVAL;
        any = 1;
    }
    if (!any)
        return OMEGA_EINVAL;
    if (neg)
        total = -total;
    if (total > INT64_MAX || total < INT64_MIN)
        return OMEGA_EINVAL;
    *out = (int64_t)total;
    return 0;
}
