/* Certificate chains for AMD and NVIDIA evidence, with roots pinned by file and, for the vendors' real
 * roots, by a compiled-in SHA-256 so that an edited roots/ folder cannot widen trust silently. */
#include "attest/cert.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "core/util.h"

#ifndef OMEGA_SRCDIR
#define OMEGA_SRCDIR "."
#endif

/* Decoded bundles, by the SHA-256 of their bytes. OpenSSL 3.0 decodes a certificate's public key through
 * its provider decoders, 0.3-0.9 ms a certificate here; the same chain arrives with every report of a
 * machine, so each distinct bundle is decoded once per process. Only decoding is cached: every
 * signature, validity period and binding is still checked on every verification. */
#define DECODED_SLOTS 32
static pthread_mutex_t decoded_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { uint8_t digest[32]; STACK_OF(X509) *certs; } decoded[DECODED_SLOTS];
static unsigned decoded_next;

static int cert_decode(const uint8_t *p, size_t n, STACK_OF(X509) **out, struct omega_error *err);

int omega_cert_load(const uint8_t *p, size_t n, STACK_OF(X509) **out, struct omega_error *err)
{
    *out = NULL;
    if (n == 0 || n > (1u << 24))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "certificate bundle is empty or too large (%zu bytes)", n);
    uint8_t d[32];
    SHA256(p, n, d);
    pthread_mutex_lock(&decoded_lock);
    for (unsigned i = 0; i < DECODED_SLOTS; i++)
        if (decoded[i].certs && memcmp(decoded[i].digest, d, 32) == 0) {
            *out = X509_chain_up_ref(decoded[i].certs);
            pthread_mutex_unlock(&decoded_lock);
            if (!*out)
                OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
            return 0;
        }
    pthread_mutex_unlock(&decoded_lock);
    OMEGA_TRY(cert_decode(p, n, out, err));
    STACK_OF(X509) *keep = X509_chain_up_ref(*out);
    if (keep) {
        pthread_mutex_lock(&decoded_lock);
        unsigned slot = decoded_next++ % DECODED_SLOTS;
        sk_X509_pop_free(decoded[slot].certs, X509_free);
        decoded[slot].certs = keep;
        memcpy(decoded[slot].digest, d, 32);
        pthread_mutex_unlock(&decoded_lock);
    }
    return 0;
}

static int cert_decode(const uint8_t *p, size_t n, STACK_OF(X509) **out, struct omega_error *err)
{
    *out = NULL;
    if (n == 0 || n > (1u << 24))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "certificate bundle is empty or too large (%zu bytes)", n);
    STACK_OF(X509) *s = sk_X509_new_null();
    if (!s)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    if (memmem(p, n, "-----BEGIN", 10)) {
        BIO *bio = BIO_new_mem_buf(p, (int)n);
        X509 *c;
        while (bio && (c = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
            if (!sk_X509_push(s, c))
                X509_free(c);
        BIO_free(bio);
        ERR_clear_error();  /* the read that ends the loop leaves "no start line" behind */
    } else {
        const unsigned char *q = p, *end = p + n;
        while (q < end) {
            X509 *c = d2i_X509(NULL, &q, end - q);
            if (!c) {
                ERR_clear_error();
                sk_X509_pop_free(s, X509_free);
                OMEGA_FAIL(err, OMEGA_EFORMAT, "bytes at offset %td are not a DER certificate", q - p);
            }
            if (!sk_X509_push(s, c))
                X509_free(c);
        }
    }
    if (sk_X509_num(s) == 0) {
        sk_X509_free(s);
        OMEGA_FAIL(err, OMEGA_EFORMAT, "no certificate found (neither PEM nor DER)");
    }
    *out = s;
    return 0;
}

int omega_cert_load_file(const char *path, STACK_OF(X509) **out, struct omega_error *err)
{
    struct omega_buf b;
    omega_buf_init(&b);
    int rc = omega_buf_read_file(&b, path, 1u << 24, err);
    if (rc == 0) {
        rc = omega_cert_load(b.data, b.len, out, err);
        if (rc < 0 && err)
            snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg), " in %s", path);
    }
    omega_buf_fini(&b);
    return rc;
}

/* Pinned root files never change while the program runs: parse each once (verification is then free of
 * file I/O and PEM parsing, which otherwise dominate a per-principal check). */
static pthread_mutex_t roots_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { char path[700]; STACK_OF(X509) *certs; } roots_cache[16];

static int load_root_file(const char *path, STACK_OF(X509) **out, struct omega_error *err)
{
    *out = NULL;
    pthread_mutex_lock(&roots_lock);
    size_t i = 0;
    for (; i < 16 && roots_cache[i].certs; i++)
        if (strcmp(roots_cache[i].path, path) == 0)
            break;
    if (i == 16 || !roots_cache[i].certs) {
        STACK_OF(X509) *s = NULL;
        int rc = omega_cert_load_file(path, &s, err);
        if (rc < 0) {
            pthread_mutex_unlock(&roots_lock);
            return rc;
        }
        if (i == 16) {   /* full: serve this one uncached */
            pthread_mutex_unlock(&roots_lock);
            *out = s;
            return 0;
        }
        snprintf(roots_cache[i].path, sizeof roots_cache[i].path, "%s", path);
        roots_cache[i].certs = s;
    }
    STACK_OF(X509) *dup = X509_chain_up_ref(roots_cache[i].certs);
    pthread_mutex_unlock(&roots_lock);
    if (!dup)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    *out = dup;
    return 0;
}

int omega_cert_der_append(X509 *cert, struct omega_buf *b)
{
    unsigned char *der = NULL;
    int n = i2d_X509(cert, &der);
    if (n <= 0)
        return OMEGA_ECRYPTO;
    int rc = omega_buf_append(b, der, (size_t)n);
    OPENSSL_free(der);
    return rc;
}

int omega_cert_sha256(X509 *cert, uint8_t out[32])
{
    unsigned char *der = NULL;
    int n = i2d_X509(cert, &der);
    if (n <= 0)
        return OMEGA_ECRYPTO;
    SHA256(der, (size_t)n, out);
    OPENSSL_free(der);
    return 0;
}

static void cn_of(X509 *c, char *out, size_t len)
{
    out[0] = 0;
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(c), NID_commonName, out, (int)len) < 0)
        snprintf(out, len, "(no CN)");
}

int omega_cert_check_time(X509 *cert, int64_t at, const char *what, struct omega_error *err)
{
    time_t t = (time_t)at;
    char cn[128];
    cn_of(cert, cn, sizeof cn);
    if (X509_cmp_time(X509_get0_notBefore(cert), &t) > 0)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "%s certificate (%s) is not yet valid at the verification time", what, cn);
    if (X509_cmp_time(X509_get0_notAfter(cert), &t) < 0)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "%s certificate (%s) has expired at the verification time", what, cn);
    return 0;
}

int omega_cert_check_link(X509 *cert, X509 *issuer, int64_t at, const char *what, struct omega_error *err)
{
    char cn[128], icn[128];
    cn_of(cert, cn, sizeof cn);
    cn_of(issuer, icn, sizeof icn);
    if (X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(issuer)) != 0)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "%s certificate (%s) was not issued by %s", what, cn, icn);
    EVP_PKEY *k = X509_get0_pubkey(issuer);
    if (!k || X509_verify(cert, k) != 1) {
        ERR_clear_error();
        OMEGA_FAIL(err, OMEGA_EVERIFY, "%s certificate (%s) signature does not verify with %s", what, cn, icn);
    }
    OMEGA_TRY(omega_cert_check_time(cert, at, what, err));
    return 0;
}

const char *omega_roots_dir(void)
{
    static char dir[512];
    const char *e = getenv("OMEGA_ROOTS");
    if (e && *e)
        return e;
    struct stat st;
    snprintf(dir, sizeof dir, "%s/roots", OMEGA_SRCDIR);
    if (stat(dir, &st) == 0)
        return dir;
    return "/usr/local/share/omega/roots";
}

/* ---- AMD's extensions (VCEK/VLEK certificate specification, 1.3.6.1.4.1.3704.1.x) ---- */

static const struct { const char *oid; size_t off; } amd_spl[] = {
    {"1.3.6.1.4.1.3704.1.3.1", offsetof(struct omega_snp_tcb, bootloader)},
    {"1.3.6.1.4.1.3704.1.3.2", offsetof(struct omega_snp_tcb, tee)},
    {"1.3.6.1.4.1.3704.1.3.3", offsetof(struct omega_snp_tcb, snp)},
    {"1.3.6.1.4.1.3704.1.3.8", offsetof(struct omega_snp_tcb, microcode)},
    {"1.3.6.1.4.1.3704.1.3.9", offsetof(struct omega_snp_tcb, fmc)},
};

static X509_EXTENSION *find_ext(X509 *c, const char *oid)
{
    ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
    if (!o)
        return NULL;
    int i = X509_get_ext_by_OBJ(c, o, -1);
    ASN1_OBJECT_free(o);
    return i < 0 ? NULL : X509_get_ext(c, i);
}

int omega_amd_ext_read(X509 *cert, struct omega_amd_ext *ext, struct omega_error *err)
{
    memset(ext, 0, sizeof *ext);
    int nspl = 0;
    for (size_t i = 0; i < sizeof amd_spl / sizeof amd_spl[0]; i++) {
        X509_EXTENSION *e = find_ext(cert, amd_spl[i].oid);
        if (!e)
            continue;
        const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(e);
        const unsigned char *q = ASN1_STRING_get0_data(os);
        ASN1_INTEGER *ai = d2i_ASN1_INTEGER(NULL, &q, ASN1_STRING_length(os));
        long v = ai ? ASN1_INTEGER_get(ai) : -1;
        ASN1_INTEGER_free(ai);
        if (v < 0 || v > 255) {
            ERR_clear_error();
            OMEGA_FAIL(err, OMEGA_EFORMAT, "certificate TCB extension %s is not an integer 0-255", amd_spl[i].oid);
        }
        ((uint8_t *)&ext->tcb)[amd_spl[i].off] = (uint8_t)v;
        nspl++;
    }
    ext->has_tcb = nspl >= 4;
    X509_EXTENSION *e = find_ext(cert, "1.3.6.1.4.1.3704.1.2");
    if (e) {
        const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(e);
        const unsigned char *q = ASN1_STRING_get0_data(os);
        ASN1_IA5STRING *s = d2i_ASN1_IA5STRING(NULL, &q, ASN1_STRING_length(os));
        if (!s || ASN1_STRING_length(s) >= (int)sizeof ext->product) {
            ASN1_IA5STRING_free(s);
            ERR_clear_error();
            OMEGA_FAIL(err, OMEGA_EFORMAT, "certificate productName extension is malformed");
        }
        memcpy(ext->product, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
        ASN1_IA5STRING_free(s);
    }
    e = find_ext(cert, "1.3.6.1.4.1.3704.1.4");
    if (e) {
        /* AMD puts the 64 raw bytes straight into the extension's OCTET STRING. */
        const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(e);
        if (ASN1_STRING_length(os) != 64)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "certificate hwID extension is %d bytes, not 64", ASN1_STRING_length(os));
        memcpy(ext->hwid, ASN1_STRING_get0_data(os), 64);
        ext->has_hwid = 1;
    }
    return 0;
}

static int add_raw_ext(X509 *cert, const char *oid, const unsigned char *der, int len)
{
    ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    int ok = o && os && ASN1_OCTET_STRING_set(os, der, len) == 1;
    X509_EXTENSION *e = ok ? X509_EXTENSION_create_by_OBJ(NULL, o, 0, os) : NULL;
    ok = e && X509_add_ext(cert, e, -1) == 1;
    X509_EXTENSION_free(e);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(o);
    return ok ? 0 : OMEGA_ECRYPTO;
}

static int add_int_ext(X509 *cert, const char *oid, long v)
{
    ASN1_INTEGER *ai = ASN1_INTEGER_new();
    unsigned char *der = NULL;
    int n = ai && ASN1_INTEGER_set(ai, v) == 1 ? i2d_ASN1_INTEGER(ai, &der) : -1;
    int rc = n > 0 ? add_raw_ext(cert, oid, der, n) : OMEGA_ECRYPTO;
    OPENSSL_free(der);
    ASN1_INTEGER_free(ai);
    return rc;
}

int omega_amd_ext_add(X509 *cert, const struct omega_amd_ext *ext, struct omega_error *err)
{
    int rc = add_int_ext(cert, "1.3.6.1.4.1.3704.1.1", 0);  /* structVersion */
    ASN1_IA5STRING *s = ASN1_IA5STRING_new();
    unsigned char *der = NULL;
    int n = s && ASN1_STRING_set(s, ext->product, (int)strlen(ext->product)) == 1 ? i2d_ASN1_IA5STRING(s, &der) : -1;
    if (rc == 0)
        rc = n > 0 ? add_raw_ext(cert, "1.3.6.1.4.1.3704.1.2", der, n) : OMEGA_ECRYPTO;
    OPENSSL_free(der);
    ASN1_IA5STRING_free(s);
    /* The same order as AMD's key server issues them. */
    static const char *const spl4to7[] = {"1.3.6.1.4.1.3704.1.3.4", "1.3.6.1.4.1.3704.1.3.5",
                                          "1.3.6.1.4.1.3704.1.3.6", "1.3.6.1.4.1.3704.1.3.7"};
    if (rc == 0) rc = add_int_ext(cert, amd_spl[0].oid, ext->tcb.bootloader);
    if (rc == 0) rc = add_int_ext(cert, amd_spl[1].oid, ext->tcb.tee);
    for (int i = 0; i < 4 && rc == 0; i++)
        rc = add_int_ext(cert, spl4to7[i], 0);
    if (rc == 0) rc = add_int_ext(cert, amd_spl[2].oid, ext->tcb.snp);
    if (rc == 0) rc = add_int_ext(cert, amd_spl[3].oid, ext->tcb.microcode);
    if (rc == 0 && ext->has_hwid)
        rc = add_raw_ext(cert, "1.3.6.1.4.1.3704.1.4", ext->hwid, 64);
    if (rc < 0)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "cannot add AMD certificate extensions");
    return 0;
}

/* ---- pinned roots ---- */

/* SHA-256 of AMD's ARKs (DER), as published with the roots (roots/README.md). */
static const char *const amd_ark_sha256[] = {
    [OMEGA_SNP_MILAN] = "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd",
    [OMEGA_SNP_GENOA] = "4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1",
    [OMEGA_SNP_TURIN] = "1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a",
};
static const char nv_root_sha256[] = "102bf659d5419614c9d8e6aecebc80454eb26b1df6a769ac720b9a690b167b48";

int omega_amd_roots(enum omega_snp_product product, int vlek, int emu, STACK_OF(X509) **out, struct omega_error *err)
{
    static const char *const files[] = {[OMEGA_SNP_MILAN] = "milan", [OMEGA_SNP_GENOA] = "genoa",
                                        [OMEGA_SNP_TURIN] = "turin"};
    char path[700];
    if (emu)
        snprintf(path, sizeof path, "%s/emu/ask_ark_emu.pem", omega_roots_dir());
    else if (product == OMEGA_SNP_UNKNOWN)
        OMEGA_FAIL(err, OMEGA_EINVAL, "unknown product: give --product milan|genoa|turin");
    else
        snprintf(path, sizeof path, "%s/amd/ask_ark_%s%s.pem", omega_roots_dir(), files[product],
                 vlek ? "_vlek" : (product == OMEGA_SNP_TURIN ? "_vcek" : ""));
    OMEGA_TRY(load_root_file(path, out, err));
    if (sk_X509_num(*out) != 2) {
        sk_X509_pop_free(*out, X509_free);
        *out = NULL;
        OMEGA_FAIL(err, OMEGA_EFORMAT, "%s: expected the ASK and the ARK", path);
    }
    return 0;
}

static int fingerprint_is(X509 *c, const char *hex)
{
    uint8_t d[32];
    char h[65];
    if (omega_cert_sha256(c, d) < 0)
        return 0;
    omega_hex_encode(d, 32, h);
    return strcmp(h, hex) == 0;
}

/* 1 when c is byte-identical to the first (or only) root in file. */
static int same_as_file(X509 *c, const char *file, int index)
{
    STACK_OF(X509) *s = NULL;
    if (load_root_file(file, &s, NULL) < 0)
        return 0;
    int same = index < sk_X509_num(s) && X509_cmp(c, sk_X509_value(s, index)) == 0;
    sk_X509_pop_free(s, X509_free);
    return same;
}

int omega_amd_chain_verify(X509 *leaf, X509 *ask, X509 *ark, enum omega_snp_product product, int64_t at,
                           unsigned trust, int *emu, struct omega_error *err)
{
    *emu = 0;
    char path[700];
    int pinned = 0;
    if ((trust & OMEGA_TRUST_VENDOR) && product != OMEGA_SNP_UNKNOWN && fingerprint_is(ark, amd_ark_sha256[product]))
        pinned = 1;
    if (!pinned && (trust & OMEGA_TRUST_EMU)) {
        snprintf(path, sizeof path, "%s/emu/ask_ark_emu.pem", omega_roots_dir());
        if (same_as_file(ark, path, 1))
            pinned = *emu = 1;
    }
    if (!pinned) {
        char cn[128];
        cn_of(ark, cn, sizeof cn);
        for (int p = OMEGA_SNP_MILAN; p <= OMEGA_SNP_TURIN; p++)
            if (p != (int)product && fingerprint_is(ark, amd_ark_sha256[p]))
                OMEGA_FAIL(err, OMEGA_EVERIFY, "chain ends in AMD's %s root (%s), not the %s root", omega_snp_product_name(p),
                           cn, omega_snp_product_name(product));
        OMEGA_FAIL(err, OMEGA_EVERIFY, "ARK (%s) is not a pinned %s root%s", cn, omega_snp_product_name(product),
                   (trust & OMEGA_TRUST_EMU) ? " or the emulated root" : " (emulated roots need --trust emu)");
    }
    /* The ARK is pinned byte for byte, so its self-signature adds nothing; its validity still counts. */
    OMEGA_TRY(omega_cert_check_time(ark, at, "ARK", err));
    OMEGA_TRY(omega_cert_check_link(ask, ark, at, "ASK/ASVK", err));
    OMEGA_TRY(omega_cert_check_link(leaf, ask, at, "VCEK/VLEK", err));
    return 0;
}

int omega_nv_chain_verify(STACK_OF(X509) *certs, int64_t at, unsigned trust, int *emu, struct omega_error *err)
{
    *emu = 0;
    int n = sk_X509_num(certs);
    if (n < 2 || n > 8)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "GPU certificate chain has %d certificates (expected 4 or 5)", n);
    char path[700];
    X509 *last = sk_X509_value(certs, n - 1);
    X509 *root = NULL;
    STACK_OF(X509) *pinned = NULL;
    /* The chain may carry the root itself or stop below it; either way the root used is the pinned file's. */
    const char *files[2] = {"nvidia/verifier_device_root.pem", "emu/nv_device_root_emu.pem"};
    for (int k = 0; k < 2 && !root; k++) {
        if (k == 0 && !(trust & OMEGA_TRUST_VENDOR))
            continue;
        if (k == 1 && !(trust & OMEGA_TRUST_EMU))
            continue;
        snprintf(path, sizeof path, "%s/%s", omega_roots_dir(), files[k]);
        if (load_root_file(path, &pinned, NULL) < 0)
            continue;
        X509 *r = sk_X509_value(pinned, 0);
        if (k == 0 && !fingerprint_is(r, nv_root_sha256)) {
            sk_X509_pop_free(pinned, X509_free);
            pinned = NULL;
            continue;  /* a roots/ file that is not NVIDIA's root is never trusted */
        }
        if (X509_cmp(last, r) == 0 || X509_NAME_cmp(X509_get_issuer_name(last), X509_get_subject_name(r)) == 0) {
            root = r;
            *emu = k == 1;
        } else {
            sk_X509_pop_free(pinned, X509_free);
            pinned = NULL;
        }
    }
    if (!root) {
        char cn[128];
        cn_of(last, cn, sizeof cn);
        OMEGA_FAIL(err, OMEGA_EVERIFY, "GPU chain (top: %s) does not end in a pinned NVIDIA device identity root%s", cn,
                   (trust & OMEGA_TRUST_EMU) ? "" : " (emulated roots need --trust emu)");
    }
    int rc = 0;
    int top = X509_cmp(last, root) == 0 ? n - 1 : n;
    for (int i = 0; i < top && rc == 0; i++) {
        char what[32];
        snprintf(what, sizeof what, "GPU chain #%d", i);
        X509 *issuer = i + 1 < top ? sk_X509_value(certs, i + 1) : root;
        rc = omega_cert_check_link(sk_X509_value(certs, i), issuer, at, what, err);
    }
    if (rc == 0)   /* pinned: its self-signature adds nothing, its validity counts */
        rc = omega_cert_check_time(root, at, "GPU root", err);
    sk_X509_pop_free(pinned, X509_free);
    return rc;
}

/* A minimal DER walk (the extension is NVIDIA's own structure, not a registered OpenSSL type): find a
 * SEQUENCE { OID sha384, OCTET STRING (48) } anywhere inside. Bounded by construction, depth-limited. */
static int der_hdr(const uint8_t *p, size_t n, size_t *hl, size_t *len)
{
    if (n < 2)
        return -1;
    size_t l = p[1], h = 2;
    if (l & 0x80) {
        size_t k = l & 0x7f;
        if (k == 0 || k > 3 || n < 2 + k)
            return -1;
        l = 0;
        for (size_t i = 0; i < k; i++)
            l = (l << 8) | p[2 + i];
        h += k;
    }
    if (l > n - h)
        return -1;
    *hl = h;
    *len = l;
    return 0;
}

static const uint8_t oid_sha384[] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};

static int find_fwid(const uint8_t *p, size_t n, uint8_t fwid[48], int depth)
{
    if (depth > 8)
        return -1;
    size_t off = 0;
    while (off < n) {
        size_t hl, len;
        if (der_hdr(p + off, n - off, &hl, &len) < 0)
            return -1;
        const uint8_t *v = p + off + hl;
        if (p[off] == 0x30 && len == sizeof oid_sha384 + 2 + 48 && memcmp(v, oid_sha384, sizeof oid_sha384) == 0 &&
            v[sizeof oid_sha384] == 0x04 && v[sizeof oid_sha384 + 1] == 48) {
            memcpy(fwid, v + sizeof oid_sha384 + 2, 48);
            return 0;
        }
        if ((p[off] & 0x20) && find_fwid(v, len, fwid, depth + 1) == 0)
            return 0;
        off += hl + len;
    }
    return -1;
}

int omega_nv_leaf_fwid(X509 *leaf, uint8_t fwid[48], struct omega_error *err)
{
    X509_EXTENSION *e = find_ext(leaf, "2.23.133.5.4.1");
    if (!e)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "GPU leaf certificate has no TcbInfo extension (2.23.133.5.4.1)");
    const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(e);
    if (find_fwid(ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os), fwid, 0) < 0)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "GPU leaf certificate's TcbInfo extension holds no SHA-384 FWID");
    return 0;
}
