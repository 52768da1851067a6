/* C2SP tlog-checkpoint and signed-note: text format, Ed25519 signatures through OpenSSL. */
#include "attest/checkpoint.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/sha.h>

#include "core/util.h"

static const char em_dash[] = "\xe2\x80\x94 ";   /* U+2014 and a space start a signature line */

int omega_note_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > OMEGA_NOTE_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= 0x20 || c == 0x7f || c == '+')
            return 0;
    }
    return 1;
}

void omega_note_key_id(const char *name, const uint8_t pub[32], uint8_t id[4])
{
    uint8_t buf[OMEGA_NOTE_NAME_MAX + 34], h[32];
    size_t n = strlen(name);
    memcpy(buf, name, n);
    buf[n] = '\n';
    buf[n + 1] = 0x01;   /* signature type: Ed25519 */
    memcpy(buf + n + 2, pub, 32);
    SHA256(buf, n + 34, h);
    memcpy(id, h, 4);
}

int omega_ed25519_raw_public(EVP_PKEY *key, uint8_t pub[32], struct omega_error *err)
{
    size_t len = 32;
    if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519)
        OMEGA_FAIL(err, OMEGA_EINVAL, "the key is not an Ed25519 key");
    if (EVP_PKEY_get_raw_public_key(key, pub, &len) != 1 || len != 32)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "cannot read the Ed25519 public key");
    return 0;
}

int omega_note_verifier_init(struct omega_note_verifier *v, const char *name, const uint8_t pub[32],
                             struct omega_error *err)
{
    memset(v, 0, sizeof *v);
    if (!omega_note_name_ok(name))
        OMEGA_FAIL(err, OMEGA_EINVAL, "bad key name '%.60s'", name);
    snprintf(v->name, sizeof v->name, "%s", name);
    memcpy(v->pub, pub, 32);
    omega_note_key_id(name, pub, v->key_id);
    return 0;
}

void omega_note_verifier_fini(struct omega_note_verifier *v)
{
    if (v && v->pkey) {
        EVP_PKEY_free(v->pkey);
        v->pkey = NULL;
    }
}

/* Strict standard base64: padding required, no whitespace, one encoding per value. */
static int b64_decode(const char *s, size_t n, uint8_t *out, size_t max, size_t *outlen)
{
    if (n == 0 || n % 4 != 0 || n / 4 * 3 > max + 2)
        return -1;
    uint8_t tmp[128];
    if (n / 4 * 3 > sizeof tmp)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                 c == '/' || (c == '=' && i >= n - 2);
        if (!ok)
            return -1;
    }
    if (s[n - 2] == '=' && s[n - 1] != '=')
        return -1;
    int len = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
    if (len < 0)
        return -1;
    size_t pad = (s[n - 1] == '=') + (s[n - 2] == '=');
    size_t real = (size_t)len - pad;
    if (real > max)
        return -1;
    /* Re-encode: refuses non-zero bits hidden in the padding. */
    char back[200];
    if (EVP_EncodeBlock((unsigned char *)back, tmp, (int)real) != (int)n || memcmp(back, s, n) != 0)
        return -1;
    memcpy(out, tmp, real);
    *outlen = real;
    return 0;
}

int omega_note_verifier_parse(struct omega_note_verifier *v, const char *text, size_t len, struct omega_error *err)
{
    memset(v, 0, sizeof *v);
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        len--;
    const char *p1 = memchr(text, '+', len);
    const char *p2 = p1 ? memchr(p1 + 1, '+', len - (size_t)(p1 + 1 - text)) : NULL;
    if (!p1 || !p2 || p1 == text || (size_t)(p1 - text) > OMEGA_NOTE_NAME_MAX || p2 - p1 != 9)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "not a verifier key (name+keyid+base64)");
    memcpy(v->name, text, (size_t)(p1 - text));
    v->name[p1 - text] = 0;
    if (!omega_note_name_ok(v->name))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "bad key name in verifier key");
    char hex[9];
    memcpy(hex, p1 + 1, 8);
    hex[8] = 0;
    uint8_t id[4], raw[40];
    size_t rawlen;
    if (omega_hex_decode_fixed(hex, id, 4) < 0)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "bad key ID in verifier key");
    if (b64_decode(p2 + 1, len - (size_t)(p2 + 1 - text), raw, sizeof raw, &rawlen) < 0 || rawlen != 33)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "bad key in verifier key");
    if (raw[0] != 0x01)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "verifier key is not Ed25519 (type %u)", raw[0]);
    memcpy(v->pub, raw + 1, 32);
    omega_note_key_id(v->name, v->pub, v->key_id);
    if (memcmp(id, v->key_id, 4) != 0)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "verifier key ID does not match its key");
    return 0;
}

int omega_note_verifier_format(const struct omega_note_verifier *v, struct omega_buf *out)
{
    uint8_t raw[33];
    char hex[9], b64[64];
    raw[0] = 0x01;
    memcpy(raw + 1, v->pub, 32);
    omega_hex_encode(v->key_id, 4, hex);
    EVP_EncodeBlock((unsigned char *)b64, raw, 33);
    return omega_buf_printf(out, "%s+%s+%s", v->name, hex, b64);
}

static EVP_PKEY *pkey_from_raw(const uint8_t pub[32])
{
    return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
}

int omega_ed25519_load_public(const char *path, EVP_PKEY **out, char *name, size_t namelen, struct omega_error *err)
{
    *out = NULL;
    if (name && namelen)
        name[0] = 0;
    struct omega_buf b;
    omega_buf_init(&b);
    int rc = omega_buf_read_file(&b, path, 1 << 16, err);
    if (rc == OMEGA_ENOTFOUND || rc == OMEGA_EIO) {
        /* Not a file: the argument may be the verifier key text itself. */
        omega_buf_fini(&b);
        omega_error_clear(err);
        if (!strchr(path, '+'))
            OMEGA_FAIL(err, OMEGA_ENOTFOUND, "cannot read key file '%s'", path);
        omega_buf_init(&b);
        if (omega_buf_append(&b, path, strlen(path)) < 0)
            return OMEGA_ENOMEM;
    } else if (rc < 0) {
        omega_buf_fini(&b);
        return rc;
    }
    EVP_PKEY *k = NULL;
    if (b.len && memmem(b.data, b.len, "-----BEGIN", 10)) {
        BIO *bio = BIO_new_mem_buf(b.data, (int)b.len);
        if (bio) {
            k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
            if (!k) {
                (void)BIO_reset(bio);
                k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
            }
            BIO_free(bio);
        }
        if (!k) {
            omega_buf_fini(&b);
            OMEGA_FAIL(err, OMEGA_EFORMAT, "'%s' holds no readable PEM key", path);
        }
        uint8_t pub[32];
        if (omega_ed25519_raw_public(k, pub, err) < 0) {
            EVP_PKEY_free(k);
            omega_buf_fini(&b);
            return OMEGA_EFORMAT;
        }
        EVP_PKEY_free(k);
        k = pkey_from_raw(pub);   /* keep only the public half */
    } else {
        struct omega_note_verifier v;
        rc = omega_note_verifier_parse(&v, (const char *)b.data, b.len, err);
        if (rc < 0) {
            omega_buf_fini(&b);
            return rc;
        }
        k = pkey_from_raw(v.pub);
        if (name && namelen)
            snprintf(name, namelen, "%s", v.name);
    }
    omega_buf_fini(&b);
    if (!k)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "cannot make an Ed25519 key");
    *out = k;
    return 0;
}

int omega_checkpoint_body(const struct omega_checkpoint *c, struct omega_buf *out)
{
    char b64[64];
    EVP_EncodeBlock((unsigned char *)b64, c->root, 32);
    return omega_buf_printf(out, "%s\n%" PRIu64 "\n%s\n", c->origin, c->size, b64);
}

int omega_checkpoint_sign(const struct omega_checkpoint *c, EVP_PKEY *key, struct omega_buf *out,
                          struct omega_error *err)
{
    if (!omega_note_name_ok(c->origin))
        OMEGA_FAIL(err, OMEGA_EINVAL, "bad checkpoint origin '%.60s'", c->origin);
    uint8_t pub[32];
    OMEGA_TRY(omega_ed25519_raw_public(key, pub, err));
    size_t start = out->len;
    if (omega_checkpoint_body(c, out) < 0)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    uint8_t sig[4 + 64];
    omega_note_key_id(c->origin, pub, sig);
    size_t siglen = 64;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, key) == 1 &&
             EVP_DigestSign(md, sig + 4, &siglen, out->data + start, out->len - start) == 1 && siglen == 64;
    EVP_MD_CTX_free(md);
    if (!ok)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "Ed25519 signing failed");
    char b64[100];
    EVP_EncodeBlock((unsigned char *)b64, sig, sizeof sig);
    if (omega_buf_printf(out, "\n%s%s %s\n", em_dash, c->origin, b64) < 0)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    return 0;
}

static int parse_u64_dec(const char *s, size_t n, uint64_t *v)
{
    if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
        return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (x > (UINT64_MAX - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}

int omega_checkpoint_open(const uint8_t *note, size_t len, struct omega_note_verifier *v,
                          struct omega_checkpoint *c, struct omega_error *err)
{
    memset(c, 0, sizeof *c);
    if (len == 0 || len > OMEGA_NOTE_MAX || note[len - 1] != '\n')
        OMEGA_FAIL(err, OMEGA_EFORMAT, "checkpoint note is empty, too long or not newline-terminated");
    for (size_t i = 0; i < len; i++)
        if ((note[i] < 0x20 && note[i] != '\n') || note[i] == 0x7f)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "checkpoint note holds a control character");
    /* The signatures follow the last blank line. */
    size_t split = 0;
    for (size_t i = len - 1; i > 0; i--)
        if (note[i - 1] == '\n' && note[i] == '\n') {
            split = i;
            break;
        }
    if (split == 0)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "checkpoint note has no signature block");
    const uint8_t *text = note;
    size_t textlen = split;            /* includes the text's final newline */
    const uint8_t *p = note + split + 1, *end = note + len;
    int found = 0, lines = 0;
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl || ++lines > 100)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "checkpoint note: bad signature block");
        size_t ll = (size_t)(nl - p);
        if (ll < 4 || memcmp(p, em_dash, 4) != 0)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "checkpoint note: a signature line must start with an em dash");
        const uint8_t *name = p + 4;
        const uint8_t *sp = memchr(name, ' ', (size_t)(nl - name));
        if (!sp || sp == name || (size_t)(sp - name) > OMEGA_NOTE_NAME_MAX)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "checkpoint note: bad signature line");
        uint8_t sig[128];
        size_t siglen;
        if (b64_decode((const char *)sp + 1, (size_t)(nl - sp - 1), sig, sizeof sig, &siglen) < 0 || siglen < 5)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "checkpoint note: bad signature encoding");
        size_t nlen = (size_t)(sp - name);
        if (!found && nlen == strlen(v->name) && memcmp(name, v->name, nlen) == 0 &&
            memcmp(sig, v->key_id, 4) == 0) {
            /* The first line of our key decides, as in the reference implementation. */
            if (siglen != 68)
                OMEGA_FAIL(err, OMEGA_EVERIFY, "checkpoint signature has the wrong length");
            if (!v->pkey && !(v->pkey = pkey_from_raw(v->pub)))
                OMEGA_FAIL(err, OMEGA_ECRYPTO, "cannot make an Ed25519 key");
            EVP_MD_CTX *md = EVP_MD_CTX_new();
            int ok = md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, v->pkey) == 1 &&
                     EVP_DigestVerify(md, sig + 4, 64, text, textlen) == 1;
            EVP_MD_CTX_free(md);
            if (!ok)
                OMEGA_FAIL(err, OMEGA_EVERIFY, "checkpoint signature does not verify");
            found = 1;
        }
        p = nl + 1;
    }
    if (!found)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "checkpoint is not signed by key %s", v->name);
    /* Body: origin, size, root, then extension lines (ignored). */
    const uint8_t *l[3];
    size_t ln[3];
    const uint8_t *q = text, *tend = text + textlen;
    for (int i = 0; i < 3; i++) {
        const uint8_t *nl = memchr(q, '\n', (size_t)(tend - q));
        if (!nl)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "checkpoint body has fewer than three lines");
        l[i] = q;
        ln[i] = (size_t)(nl - q);
        q = nl + 1;
    }
    if (ln[0] == 0 || ln[0] > OMEGA_NOTE_NAME_MAX)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "checkpoint origin line is empty or too long");
    memcpy(c->origin, l[0], ln[0]);
    c->origin[ln[0]] = 0;
    if (parse_u64_dec((const char *)l[1], ln[1], &c->size) < 0)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "checkpoint tree size is not a decimal number");
    size_t rl;
    if (b64_decode((const char *)l[2], ln[2], c->root, 32, &rl) < 0 || rl != 32)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "checkpoint root hash is not 32 bytes of base64");
    return 0;
}
