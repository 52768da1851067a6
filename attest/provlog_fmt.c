/* The provenance log's bytes: CRC-32C, LEB128, segment headers, CBOR leaves (libcbor), and the
 * symbol table that interns strings and acts. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/sha.h>

#include "attest/provlog_impl.h"
#include "core/util.h"

/* ---- CRC-32C ---- */

static uint32_t crc_table[8][256];
static int crc_hw;
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
#if defined(__x86_64__)
    __builtin_cpu_init();
    crc_hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
#else
    crc_hw = 0;
#endif
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc_sse42(uint32_t crc, const uint8_t *p, size_t n)
{
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--)
        c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}
#endif

uint32_t pl_crc32c(uint32_t crc, const void *data, size_t n)
{
    pthread_once(&crc_once, crc_init);
    const uint8_t *p = data;
    crc = ~crc;
#if defined(__x86_64__)
    if (crc_hw)
        return ~crc_sse42(crc, p, n);
#endif
    while (n >= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^ crc_table[5][(lo >> 16) & 0xff] ^
              crc_table[4][lo >> 24] ^ crc_table[3][p[4]] ^ crc_table[2][p[5]] ^ crc_table[1][p[6]] ^
              crc_table[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

/* ---- LEB128 ---- */

size_t pl_leb128_put(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        out[n++] = b | (v ? 0x80 : 0);
    } while (v);
    return n;
}

int pl_leb128_get(struct omega_rd *r, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0, i = 0; i < 10; i++, shift += 7) {
        uint8_t b;
        if (omega_rd_u8(r, &b) < 0)
            return -1;
        if (i == 9 && b > 1)
            return -1;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (i > 0 && b == 0)
                return -1;  /* not minimal: one number, one encoding */
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* ---- segment header ---- */

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

size_t pl_header_build(uint8_t *out, uint32_t segno, uint64_t first, const uint8_t pub[32], const char *origin)
{
    size_t olen = strlen(origin);
    size_t len = PL_HDR_FIXED + olen + 4;
    memcpy(out, PL_MAGIC, 8);
    put_le(out + 8, PL_VERSION, 2);
    put_le(out + 10, len, 2);
    put_le(out + 12, segno, 4);
    put_le(out + 16, first, 8);
    memcpy(out + 24, pub, 32);
    out[56] = (uint8_t)olen;
    memcpy(out + PL_HDR_FIXED, origin, olen);
    put_le(out + PL_HDR_FIXED + olen, pl_crc32c(0, out, PL_HDR_FIXED + olen), 4);
    return len;
}

int pl_header_parse(const uint8_t *p, size_t n, struct pl_header *h, struct omega_error *err)
{
    struct omega_rd r;
    omega_rd_init(&r, p, n);
    const uint8_t *magic;
    uint16_t ver, len;
    uint8_t olen;
    if (omega_rd_ptr(&r, &magic, 8) < 0 || memcmp(magic, PL_MAGIC, 8) != 0)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "not an omega provenance log segment (bad magic)");
    if (omega_rd_u16le(&r, &ver) < 0 || ver != PL_VERSION)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "unsupported log format version %u (this build reads %u)", ver, PL_VERSION);
    if (omega_rd_u16le(&r, &len) < 0 || omega_rd_u32le(&r, &h->segno) < 0 || omega_rd_u64le(&r, &h->first) < 0 ||
        omega_rd_bytes(&r, h->pub, 32) < 0 || omega_rd_u8(&r, &olen) < 0)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "segment header truncated");
    if (olen == 0 || olen > PL_ORIGIN_MAX || len != PL_HDR_FIXED + (size_t)olen + 4 || len > n)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "segment header length fields are inconsistent");
    uint32_t crc;
    const uint8_t *origin;
    if (omega_rd_ptr(&r, &origin, olen) < 0 || omega_rd_u32le(&r, &crc) < 0)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "segment header truncated");
    if (crc != pl_crc32c(0, p, PL_HDR_FIXED + olen))
        OMEGA_FAIL(err, OMEGA_EVERIFY, "segment header checksum mismatch");
    memcpy(h->origin, origin, olen);
    h->origin[olen] = 0;
    if (strlen(h->origin) != olen)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "segment header origin holds a NUL byte");
    h->len = len;
    return 0;
}

/* ---- CBOR through libcbor's streaming decoder ---- */

struct dec_ctx {
    struct pl_item *it;
    int ok;
};

static void cb_u8(void *c, uint8_t v) { struct dec_ctx *d = c; d->it->type = PL_C_UINT; d->it->val = v; d->ok = 1; }
static void cb_u16(void *c, uint16_t v) { struct dec_ctx *d = c; d->it->type = PL_C_UINT; d->it->val = v; d->ok = 1; }
static void cb_u32(void *c, uint32_t v) { struct dec_ctx *d = c; d->it->type = PL_C_UINT; d->it->val = v; d->ok = 1; }
static void cb_u64(void *c, uint64_t v) { struct dec_ctx *d = c; d->it->type = PL_C_UINT; d->it->val = v; d->ok = 1; }
static void cb_bstr(void *c, cbor_data p, size_t n)
{
    struct dec_ctx *d = c;
    d->it->type = PL_C_BSTR;
    d->it->val = n;
    d->it->data = p;
    d->ok = 1;
}
static void cb_tstr(void *c, cbor_data p, size_t n)
{
    struct dec_ctx *d = c;
    d->it->type = PL_C_TSTR;
    d->it->val = n;
    d->it->data = p;
    d->ok = 1;
}
static void cb_array(void *c, size_t n) { struct dec_ctx *d = c; d->it->type = PL_C_ARRAY; d->it->val = n; d->ok = 1; }
static void cb_map(void *c, size_t n) { struct dec_ctx *d = c; d->it->type = PL_C_MAP; d->it->val = n; d->ok = 1; }

static struct cbor_callbacks pl_callbacks;
static pthread_once_t pl_callbacks_once = PTHREAD_ONCE_INIT;

/* Everything not set stays the library's no-op, so tags, floats, negative integers and indefinite
 * items leave ok at 0 and are refused: a leaf has one encoding. */
static void callbacks_init(void)
{
    pl_callbacks = cbor_empty_callbacks;
    pl_callbacks.uint8 = cb_u8;
    pl_callbacks.uint16 = cb_u16;
    pl_callbacks.uint32 = cb_u32;
    pl_callbacks.uint64 = cb_u64;
    pl_callbacks.byte_string = cb_bstr;
    pl_callbacks.string = cb_tstr;
    pl_callbacks.array_start = cb_array;
    pl_callbacks.map_start = cb_map;
}

static size_t head_len(uint64_t v)
{
    return v < 24 ? 1 : v < 0x100 ? 2 : v < 0x10000 ? 3 : v <= 0xffffffffu ? 5 : 9;
}

int pl_cbor_next(struct omega_rd *r, struct pl_item *it)
{
    pthread_once(&pl_callbacks_once, callbacks_init);
    size_t left = omega_rd_left(r);
    if (r->bad || left == 0)
        return -1;
    struct dec_ctx d = {it, 0};
    it->data = NULL;
    struct cbor_decoder_result res = cbor_stream_decode(r->p + r->off, left, &pl_callbacks, &d);
    if (res.status != CBOR_DECODER_FINISHED || !d.ok)
        return -1;
    size_t want = head_len(it->val) + ((it->type == PL_C_BSTR || it->type == PL_C_TSTR) ? it->val : 0);
    if (res.read != want)
        return -1;  /* not the shortest head */
    r->off += res.read;
    return 0;
}

static int skip_item(struct omega_rd *r, int depth)
{
    struct pl_item it;
    if (depth > 4 || pl_cbor_next(r, &it) < 0)
        return -1;
    if (it.type == PL_C_ARRAY || it.type == PL_C_MAP) {
        uint64_t n = it.type == PL_C_MAP ? it.val * 2 : it.val;
        if (n > omega_rd_left(r))
            return -1;
        for (uint64_t i = 0; i < n; i++)
            if (skip_item(r, depth + 1) < 0)
                return -1;
    }
    return 0;
}

size_t pl_cbor_item_len(const uint8_t *p, size_t n)
{
    struct omega_rd r;
    omega_rd_init(&r, p, n);
    if (skip_item(&r, 0) < 0)
        return 0;
    return r.off;
}

/* ---- encoders (libcbor writes canonical heads) ---- */

/* Records and epochs, written once per decision, are encoded here rather than through libcbor: five
 * library calls per record were a measurable part of the append path, and the shape is fixed. The
 * bytes are the same canonical CBOR (RFC 8949 4.2.1: shortest head, definite lengths) that libcbor
 * writes, which tests check, and the reader still decodes every leaf with libcbor and refuses any
 * other encoding. */
static size_t put_head(uint8_t *out, uint8_t major, uint64_t v)
{
    major = (uint8_t)(major << 5);
    if (v < 24) {
        out[0] = (uint8_t)(major | v);
        return 1;
    }
    int n = v < 0x100 ? 1 : v < 0x10000 ? 2 : v <= 0xffffffffu ? 4 : 8;
    out[0] = (uint8_t)(major | (n == 1 ? 24 : n == 2 ? 25 : n == 4 ? 26 : 27));
    for (int i = 0; i < n; i++)
        out[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return 1 + (size_t)n;
}

size_t pl_enc_record(uint8_t *out, uint64_t dt, uint64_t agent, uint64_t act, const uint8_t *io)
{
    out[0] = io ? 0x84 : 0x83;   /* array of 4 or 3 */
    size_t n = 1;
    n += put_head(out + n, 0, dt);
    n += put_head(out + n, 0, agent);
    n += put_head(out + n, 0, act);
    if (io) {
        out[n++] = 0x58;           /* byte string, one-byte length */
        out[n++] = 32;
        memcpy(out + n, io, 32);
        n += 32;
    }
    return n;
}

size_t pl_enc_epoch(uint8_t *out, uint64_t ms)
{
    return put_head(out, 0, ms);
}

size_t pl_enc_string_sym(uint8_t *out, int type, uint64_t num, const char *s, size_t len)
{
    size_t n = cbor_encode_map_start(4, out, 9);
    n += cbor_encode_uint(0, out + n, 9);
    n += cbor_encode_uint((uint64_t)type, out + n, 9);
    n += cbor_encode_uint(1, out + n, 9);
    n += cbor_encode_uint(num, out + n, 9);
    n += cbor_encode_uint(2, out + n, 9);
    n += cbor_encode_string_start(len, out + n, 9);
    memcpy(out + n, s, len);
    n += len;
    n += cbor_encode_uint(3, out + n, 9);
    n += cbor_encode_bytestring_start(32, out + n, 9);
    pl_sha256((const uint8_t *)s, len, out + n);
    return n + 32;
}

size_t pl_enc_act_sym(uint8_t *out, uint64_t num, const struct pl_act *a)
{
    size_t n = cbor_encode_map_start(6 + (a->nredact > 0) + (a->nerrors > 0), out, 9);
    n += cbor_encode_uint(0, out + n, 9);
    n += cbor_encode_uint(PL_SYM_ACT, out + n, 9);
    n += cbor_encode_uint(1, out + n, 9);
    n += cbor_encode_uint(num, out + n, 9);
    n += cbor_encode_uint(4, out + n, 9);
    n += cbor_encode_uint(a->method, out + n, 9);
    n += cbor_encode_uint(5, out + n, 9);
    n += cbor_encode_uint(a->target, out + n, 9);
    n += cbor_encode_uint(6, out + n, 9);
    n += cbor_encode_uint(a->verdict, out + n, 9);
    n += cbor_encode_uint(7, out + n, 9);
    n += cbor_encode_array_start(a->npol, out + n, 9);
    for (uint32_t i = 0; i < a->npol; i++)
        n += cbor_encode_uint(a->pol[i], out + n, 9);
    if (a->nredact) {
        n += cbor_encode_uint(8, out + n, 9);
        n += cbor_encode_array_start(a->nredact, out + n, 9);
        for (uint32_t i = 0; i < a->nredact; i++) {
            size_t l = strlen(a->redact[i]);
            n += cbor_encode_string_start(l, out + n, 9);
            memcpy(out + n, a->redact[i], l);
            n += l;
        }
    }
    if (a->nerrors) {
        n += cbor_encode_uint(9, out + n, 9);
        n += cbor_encode_uint(a->nerrors, out + n, 9);
    }
    return n;
}

const char *pl_verdict_name(uint32_t v)
{
    static const char *names[] = {"allow", "deny", "ask", "redact"};
    return v < 4 ? names[v] : "?";
}

/* ---- symbol table ---- */

/* An entry is one cache line, names up to STR_HEAD bytes inside it: a lookup that found its slot
 * then costs one more line, not two (entry, then the name in the arena). */
#define STR_HEAD 32
struct str_ent {
    uint64_t hash, leaf;
    const char *s;    /* arena */
    uint32_t len;
    char head[STR_HEAD];   /* the name's first bytes */
};

/* The hash and the fields an act is compared on come first, side by side, so that a compare mostly
 * touches one cache line. */
struct act_ent {
    uint64_t hash, leaf;
    struct pl_act a;
};

/* A slot holds the high 32 bits of the entry's hash beside its number + 1 (0: empty), so a probe
 * rejects other entries without loading them: the act table outgrows the L2 cache in a long log, and
 * a load per probe was most of the append path's lookup time. */
struct index {
    uint64_t *slot;   /* hash >> 32 << 32 | (number + 1) */
    uint32_t cap;     /* power of two */
};

static uint64_t slot_tag(uint64_t hash) { return hash & 0xffffffff00000000ull; }
static uint64_t slot_make(uint64_t hash, uint32_t num) { return slot_tag(hash) | (num + 1u); }

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    char data[];
};

_Static_assert(sizeof(struct str_ent) == 64, "a string entry is one cache line");

struct pl_symtab {
    struct str_ent *str[4];
    uint32_t nstr[4], capstr[4];
    struct index sidx[4];
    struct act_ent *act;
    uint32_t nact, capact;
    struct index aidx;
    struct arena_chunk *arena;
};

static uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint64_t load32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t hash_mix(uint64_t h, uint64_t v)
{
    h = (h ^ (v * 0xbf58476d1ce4e5b9ull)) * 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

/* The tail is read with overlapping whole-word loads: gathering it byte by byte into a word on the
 * stack stalled every lookup on a failed store-to-load forward. */
static uint64_t hash_bytes(const void *data, size_t n, uint64_t seed)
{
    const uint8_t *p = data;
    uint64_t h = seed ^ (n * 0x9E3779B97F4A7C15ull);
    size_t len = n;
    while (n > 8) {
        h = hash_mix(h, load64(p));
        p += 8;
        n -= 8;
    }
    uint64_t v;
    if (len >= 8)
        v = load64(p + n - 8);
    else if (n >= 4)
        v = load32(p) | load32(p + n - 4) << 32;
    else if (n > 0)
        v = (uint64_t)p[0] | (uint64_t)p[n / 2] << 8 | (uint64_t)p[n - 1] << 16;
    else
        v = 0;
    h = hash_mix(h, v);
    return h ^ (h >> 29);
}

struct pl_symtab *pl_symtab_new(void)
{
    return calloc(1, sizeof(struct pl_symtab));
}

void pl_symtab_free(struct pl_symtab *s)
{
    if (!s)
        return;
    for (int t = 0; t < 4; t++) {
        free(s->str[t]);
        free(s->sidx[t].slot);
    }
    free(s->act);
    free(s->aidx.slot);
    for (struct arena_chunk *c = s->arena, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    free(s);
}

static char *arena_copy(struct pl_symtab *s, const char *str, size_t len)
{
    if (!s->arena || s->arena->cap - s->arena->used < len + 1) {
        size_t cap = len + 1 > 65536 ? len + 1 : 65536;
        struct arena_chunk *c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = s->arena;
        c->used = 0;
        c->cap = cap;
        s->arena = c;
    }
    char *p = s->arena->data + s->arena->used;
    memcpy(p, str, len);
    p[len] = 0;
    s->arena->used += len + 1;
    return p;
}

/* Grow an index to hold n+1 entries at load <= 1/2, rehashing with hashes from get_hash. */
static int index_grow(struct index *ix, uint32_t n, uint64_t (*get_hash)(const void *, uint32_t), const void *ctx)
{
    if ((uint64_t)(n + 1) * 2 <= ix->cap)
        return 0;
    uint32_t cap = ix->cap ? ix->cap * 2 : 256;
    if (cap == 0)
        return OMEGA_ENOMEM;
    uint64_t *slot = calloc(cap, sizeof *slot);
    if (!slot)
        return OMEGA_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t h = get_hash(ctx, i);
        uint32_t j = (uint32_t)h & (cap - 1);
        while (slot[j])
            j = (j + 1) & (cap - 1);
        slot[j] = slot_make(h, i);
    }
    free(ix->slot);
    ix->slot = slot;
    ix->cap = cap;
    return 0;
}

static uint64_t str_hash_of(const void *ctx, uint32_t i) { return ((const struct str_ent *)ctx)[i].hash; }
static uint64_t act_hash_of(const void *ctx, uint32_t i) { return ((const struct act_ent *)ctx)[i].hash; }

int64_t pl_sym_find(const struct pl_symtab *s, int type, const char *str, size_t len)
{
    const struct index *ix = &s->sidx[type];
    if (!ix->cap)
        return -1;
    uint64_t h = hash_bytes(str, len, (uint64_t)type);
    uint64_t tag = slot_tag(h);
    for (uint32_t j = (uint32_t)h & (ix->cap - 1);; j = (j + 1) & (ix->cap - 1)) {
        uint64_t k = ix->slot[j];
        if (!k)
            return -1;
        if (slot_tag(k) != tag)
            continue;
        uint32_t num = (uint32_t)k - 1;
        const struct str_ent *e = &s->str[type][num];
        if (e->hash == h && e->len == len &&
            (len <= STR_HEAD ? memcmp(e->head, str, len) : memcmp(e->s, str, len)) == 0)
            return num;
    }
}

int64_t pl_sym_add(struct pl_symtab *s, int type, const char *str, size_t len)
{
    if (type < 0 || type > 3 || len > PL_NAME_MAX)
        return OMEGA_EINVAL;
    uint32_t n = s->nstr[type];
    if (n == UINT32_MAX - 1)
        return OMEGA_EQUOTA;
    OMEGA_TRY(index_grow(&s->sidx[type], n, str_hash_of, s->str[type]));
    if (n == s->capstr[type]) {
        uint32_t cap = n ? n * 2 : 64;
        /* Aligned so that each entry is exactly one cache line (realloc keeps 16-byte alignment). */
        struct str_ent *p = aligned_alloc(64, (size_t)cap * sizeof *p);
        if (!p)
            return OMEGA_ENOMEM;
        if (n)
            memcpy(p, s->str[type], (size_t)n * sizeof *p);
        free(s->str[type]);
        s->str[type] = p;
        s->capstr[type] = cap;
    }
    const char *copy = arena_copy(s, str, len);
    if (!copy)
        return OMEGA_ENOMEM;
    uint64_t h = hash_bytes(str, len, (uint64_t)type);
    struct str_ent *e = &s->str[type][n];
    *e = (struct str_ent){.hash = h, .leaf = UINT64_MAX, .s = copy, .len = (uint32_t)len};
    memcpy(e->head, str, len < STR_HEAD ? len : STR_HEAD);
    struct index *ix = &s->sidx[type];
    uint32_t j = (uint32_t)h & (ix->cap - 1);
    while (ix->slot[j])
        j = (j + 1) & (ix->cap - 1);
    ix->slot[j] = slot_make(h, n);
    s->nstr[type] = n + 1;
    return n;
}

static uint64_t act_hash(const struct pl_act *a)
{
    uint32_t v[4 + OMEGA_DECISION_MAX_POLICIES + 2];
    size_t k = 0;
    v[k++] = a->method;
    v[k++] = a->target;
    v[k++] = a->verdict;
    v[k++] = a->npol;
    for (uint32_t i = 0; i < a->npol; i++)
        v[k++] = a->pol[i];
    v[k++] = a->nredact;
    v[k++] = a->nerrors;
    uint64_t h = hash_bytes(v, k * sizeof v[0], 7);
    for (uint32_t i = 0; i < a->nredact; i++)
        h = hash_bytes(a->redact[i], strlen(a->redact[i]), h);
    return h;
}

static int act_equal(const struct pl_act *x, const struct pl_act *y)
{
    if (x->method != y->method || x->target != y->target || x->verdict != y->verdict || x->npol != y->npol ||
        x->nredact != y->nredact || x->nerrors != y->nerrors)
        return 0;
    for (uint32_t i = 0; i < x->npol; i++)
        if (x->pol[i] != y->pol[i])
            return 0;
    for (uint32_t i = 0; i < x->nredact; i++)
        if (strcmp(x->redact[i], y->redact[i]) != 0)
            return 0;
    return 1;
}

int64_t pl_act_find(const struct pl_symtab *s, const struct pl_act *a)
{
    if (!s->aidx.cap)
        return -1;
    uint64_t h = act_hash(a);
    uint64_t tag = slot_tag(h);
    for (uint32_t j = (uint32_t)h & (s->aidx.cap - 1);; j = (j + 1) & (s->aidx.cap - 1)) {
        uint64_t k = s->aidx.slot[j];
        if (!k)
            return -1;
        if (slot_tag(k) != tag)
            continue;
        uint32_t num = (uint32_t)k - 1;
        if (s->act[num].hash == h && act_equal(&s->act[num].a, a))
            return num;
    }
}

int64_t pl_act_add(struct pl_symtab *s, const struct pl_act *a)
{
    uint32_t n = s->nact;
    if (n == UINT32_MAX - 1)
        return OMEGA_EQUOTA;
    OMEGA_TRY(index_grow(&s->aidx, n, act_hash_of, s->act));
    if (n == s->capact) {
        uint32_t cap = n ? n * 2 : 64;
        void *p = realloc(s->act, (size_t)cap * sizeof *s->act);
        if (!p)
            return OMEGA_ENOMEM;
        s->act = p;
        s->capact = cap;
    }
    struct act_ent *e = &s->act[n];
    e->a = *a;
    for (uint32_t i = 0; i < a->nredact; i++) {
        size_t l = strlen(a->redact[i]);
        if (l > PL_NAME_MAX || !(e->a.redact[i] = arena_copy(s, a->redact[i], l)))
            return l > PL_NAME_MAX ? OMEGA_EINVAL : OMEGA_ENOMEM;
    }
    e->hash = act_hash(a);
    e->leaf = UINT64_MAX;
    uint32_t j = (uint32_t)e->hash & (s->aidx.cap - 1);
    while (s->aidx.slot[j])
        j = (j + 1) & (s->aidx.cap - 1);
    s->aidx.slot[j] = slot_make(e->hash, n);
    s->nact = n + 1;
    return n;
}

uint64_t pl_sym_count(const struct pl_symtab *s, int type)
{
    return type == PL_SYM_ACT ? s->nact : (type >= 0 && type < 4) ? s->nstr[type] : 0;
}

const char *pl_sym_str(const struct pl_symtab *s, int type, uint64_t num, size_t *len)
{
    if (type < 0 || type > 3 || num >= s->nstr[type])
        return NULL;
    if (len)
        *len = s->str[type][num].len;
    return s->str[type][num].s;
}

const struct pl_act *pl_act_get(const struct pl_symtab *s, uint64_t num)
{
    return num < s->nact ? &s->act[num].a : NULL;
}

int pl_sym_set_leaf(struct pl_symtab *s, int type, uint64_t num, uint64_t leaf)
{
    if (type == PL_SYM_ACT && num < s->nact)
        s->act[num].leaf = leaf;
    else if (type >= 0 && type < 4 && num < s->nstr[type])
        s->str[type][num].leaf = leaf;
    else
        return OMEGA_EINVAL;
    return 0;
}

uint64_t pl_sym_leaf(const struct pl_symtab *s, int type, uint64_t num)
{
    if (type == PL_SYM_ACT)
        return num < s->nact ? s->act[num].leaf : UINT64_MAX;
    return (type >= 0 && type < 4 && num < s->nstr[type]) ? s->str[type][num].leaf : UINT64_MAX;
}
