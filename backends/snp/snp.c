/* Real SEV-SNP guest backend: reports through /dev/sev-guest (SNP_GET_EXT_REPORT, falling back to
 * SNP_GET_REPORT when the host supplies no certificates) or through configfs-tsm
 * (/sys/kernel/config/tsm/report); sealing keys through SNP_GET_DERIVED_KEY. */
#include "backends/snp/snp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>

#include "attest/snp.h"
#include "core/backend_impl.h"
#include "core/util.h"

#define DEV "/dev/sev-guest"
#define TSM "/sys/kernel/config/tsm/report"

_Static_assert(sizeof(struct omega_snp_report_req) == 96, "MSG_REPORT_REQ is 96 bytes");
_Static_assert(sizeof(struct omega_snp_derived_key_req) == 32, "MSG_KEY_REQ is 32 bytes");
_Static_assert(sizeof(struct omega_snp_guest_request) == 32, "snp_guest_request_ioctl is 32 bytes");

int omega_snp_encode_report_req(struct omega_snp_report_req *req, const uint8_t report_data[64], unsigned vmpl)
{
    if (vmpl > 3)
        return OMEGA_EINVAL;
    memset(req, 0, sizeof *req);
    memcpy(req->user_data, report_data, 64);
    req->vmpl = vmpl;
    return 0;
}

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

int omega_snp_decode_report_resp(const uint8_t *resp, size_t n, struct omega_buf *report, struct omega_error *err)
{
    if (n < OMEGA_SNP_REPORT_OFFSET + OMEGA_SNP_REPORT_LEN)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "SNP report response is %zu bytes", n);
    uint32_t status = le32(resp), size = le32(resp + 4);
    if (status != 0)
        OMEGA_FAIL(err, OMEGA_EIO, "secure processor refused the report request (status 0x%x)", status);
    if (size != OMEGA_SNP_REPORT_LEN)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "secure processor returned a report of %u bytes", size);
    report->len = 0;
    if (omega_buf_append(report, resp + OMEGA_SNP_REPORT_OFFSET, OMEGA_SNP_REPORT_LEN) < 0)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    return 0;
}

/* GUIDs of the certificate table (GHCB spec, SNP extended guest request), in RFC 4122 byte order. */
static const struct { const char *name; uint8_t guid[16]; } cert_guids[] = {
    {"VCEK", {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd}},
    {"VLEK", {0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e, 0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8, 0xa1}},
    {"ASK", {0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4, 0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82}},
    {"ARK", {0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52, 0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae}},
};

int omega_snp_cert_table_parse(const uint8_t *p, size_t n, struct omega_buf *chain, struct omega_error *err)
{
    const uint8_t *found[4] = {0};
    uint32_t flen[4] = {0};
    static const uint8_t zero[24] = {0};
    size_t off = 0;
    for (;; off += 24) {
        if (off + 24 > n)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "certificate table has no terminating entry");
        if (memcmp(p + off, zero, 24) == 0)
            break;
        uint32_t o = le32(p + off + 16), l = le32(p + off + 20);
        if (o > n || l > n - o)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "certificate table entry %zu points outside the table", off / 24);
        for (int i = 0; i < 4; i++)
            if (memcmp(p + off, cert_guids[i].guid, 16) == 0) {
                found[i] = p + o;
                flen[i] = l;
            }
    }
    chain->len = 0;
    /* Leaf (VCEK, else VLEK), then ASK, then ARK. */
    int order[3] = {found[0] ? 0 : 1, 2, 3};
    for (int k = 0; k < 3; k++)
        if (found[order[k]] && omega_buf_append(chain, found[order[k]], flen[order[k]]) < 0)
            OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    return 0;
}

static int snp_probe(char *why, size_t whylen)
{
    struct stat st;
    if (stat(DEV, &st) == 0) {
        int fd = open(DEV, O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        snprintf(why, whylen, "%s exists but cannot be opened: %s", DEV, strerror(errno));
        return -1;
    }
    if (stat(TSM, &st) == 0) {
        if (access(TSM, W_OK) == 0)
            return 0;
        snprintf(why, whylen, "%s exists but is not writable (run as root)", TSM);
        return -1;
    }
    snprintf(why, whylen, "not a SEV-SNP guest (no %s, no %s)", DEV, TSM);
    return -1;
}

struct snp {
    int fd;   /* -1: configfs-tsm only */
};

static int snp_open(struct omega_tee *tee, const struct omega_config *cfg, struct omega_error *err)
{
    (void)cfg;
    char why[256];
    if (snp_probe(why, sizeof why) != 0)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "snp backend unavailable: %s", why);
    struct snp *s = calloc(1, sizeof *s);
    if (!s)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    s->fd = open(DEV, O_RDWR | O_CLOEXEC);
    tee->priv = s;
    return 0;
}

static void snp_close(struct omega_tee *tee)
{
    struct snp *s = tee->priv;
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s);
    tee->priv = NULL;
}

static int ioctl_report(struct snp *s, const uint8_t rd[64], unsigned vmpl, struct omega_buf *report,
                        struct omega_buf *chain, struct omega_error *err)
{
    struct omega_snp_ext_report_req ext;
    memset(&ext, 0, sizeof ext);
    OMEGA_TRY(omega_snp_encode_report_req(&ext.data, rd, vmpl));
    uint8_t *resp = calloc(1, OMEGA_SNP_RESP_LEN);
    size_t certs_len = 4 * 4096;
    uint8_t *certs = aligned_alloc(4096, certs_len);
    if (!resp || !certs) {
        free(resp);
        free(certs);
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    }
    memset(certs, 0, certs_len);
    ext.certs_address = (uint64_t)(uintptr_t)certs;
    ext.certs_len = (uint32_t)certs_len;
    struct omega_snp_guest_request g = {.msg_version = 1, .req_data = (uint64_t)(uintptr_t)&ext,
                                        .resp_data = (uint64_t)(uintptr_t)resp};
    int rc = ioctl(s->fd, OMEGA_SNP_GET_EXT_REPORT, &g);
    int have_certs = rc == 0;
    if (rc < 0) {   /* no certificates from the host, or no extended requests: a plain report */
        memset(&g, 0, sizeof g);
        g.msg_version = 1;
        g.req_data = (uint64_t)(uintptr_t)&ext.data;
        g.resp_data = (uint64_t)(uintptr_t)resp;
        rc = ioctl(s->fd, OMEGA_SNP_GET_REPORT, &g);
    }
    if (rc < 0) {
        int e = errno;
        free(resp);
        free(certs);
        OMEGA_FAIL(err, OMEGA_EIO, "SNP_GET_REPORT failed: %s (firmware error 0x%x)", strerror(e), (unsigned)g.exitinfo2);
    }
    rc = omega_snp_decode_report_resp(resp, OMEGA_SNP_RESP_LEN, report, err);
    if (rc == 0 && chain) {
        chain->len = 0;
        if (have_certs)
            rc = omega_snp_cert_table_parse(certs, certs_len, chain, err);
    }
    free(resp);
    free(certs);
    return rc;
}

static int write_file(const char *path, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, p, n);
    close(fd);
    return w == (ssize_t)n ? 0 : -1;
}

static int tsm_report(const uint8_t rd[64], unsigned vmpl, struct omega_buf *report, struct omega_buf *chain,
                      struct omega_error *err)
{
    char dir[256], path[320];
    snprintf(dir, sizeof dir, TSM "/omega-%ld", (long)getpid());
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        OMEGA_FAIL(err, OMEGA_EIO, "cannot create %s: %s", dir, strerror(errno));
    char lvl[4];
    snprintf(lvl, sizeof lvl, "%u", vmpl);
    snprintf(path, sizeof path, "%s/privlevel", dir);
    int rc = 0;
    if (vmpl && write_file(path, lvl, strlen(lvl)) < 0)
        rc = omega_error_set(err, OMEGA_EIO, __FILE__, __LINE__, "configfs-tsm: cannot set privlevel %u", vmpl);
    snprintf(path, sizeof path, "%s/inblob", dir);
    if (rc == 0 && write_file(path, rd, 64) < 0)
        rc = omega_error_set(err, OMEGA_EIO, __FILE__, __LINE__, "configfs-tsm: cannot write inblob: %s", strerror(errno));
    snprintf(path, sizeof path, "%s/outblob", dir);
    if (rc == 0 && omega_buf_read_file(report, path, 1 << 16, err) < 0)
        rc = OMEGA_EIO;
    if (rc == 0 && report->len != OMEGA_SNP_REPORT_LEN)
        rc = omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__, "configfs-tsm returned %zu bytes", report->len);
    if (rc == 0 && chain) {
        struct omega_buf aux;
        omega_buf_init(&aux);
        snprintf(path, sizeof path, "%s/auxblob", dir);
        chain->len = 0;
        if (omega_buf_read_file(&aux, path, 1 << 20, NULL) == 0 && aux.len)
            rc = omega_snp_cert_table_parse(aux.data, aux.len, chain, err);
        omega_buf_fini(&aux);
    }
    rmdir(dir);
    return rc;
}

static int snp_report(struct omega_tee *tee, const uint8_t rd[64], unsigned vmpl, struct omega_buf *report,
                      struct omega_buf *chain, struct omega_error *err)
{
    struct snp *s = tee->priv;
    if (s->fd >= 0)
        return ioctl_report(s, rd, vmpl, report, chain, err);
    return tsm_report(rd, vmpl, report, chain, err);
}

static int snp_sealing_key(struct omega_tee *tee, const char *label, uint8_t key[32], struct omega_error *err)
{
    struct snp *s = tee->priv;
    if (s->fd < 0)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "sealing keys need %s (configfs-tsm has no key request)", DEV);
    /* VCEK-rooted key mixing in the guest policy and the launch measurement (GUEST_FIELD_SELECT bits 0, 3). */
    struct omega_snp_derived_key_req req = {.root_key_select = 0, .guest_field_select = (1u << 0) | (1u << 3)};
    uint8_t resp[OMEGA_SNP_RESP_LEN] = {0};
    struct omega_snp_guest_request g = {.msg_version = 1, .req_data = (uint64_t)(uintptr_t)&req,
                                        .resp_data = (uint64_t)(uintptr_t)resp};
    if (ioctl(s->fd, OMEGA_SNP_GET_DERIVED_KEY, &g) < 0)
        OMEGA_FAIL(err, OMEGA_EIO, "SNP_GET_DERIVED_KEY failed: %s", strerror(errno));
    if (le32(resp) != 0)
        OMEGA_FAIL(err, OMEGA_EIO, "secure processor refused the key request (status 0x%x)", le32(resp));
    /* One hardware key, a separate key per label. */
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    EVP_KDF_free(kdf);
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, resp + 0x20, 32),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)label, strlen(label)),
        OSSL_PARAM_construct_end(),
    };
    int ok = ctx && EVP_KDF_derive(ctx, key, 32, p) == 1;
    EVP_KDF_CTX_free(ctx);
    omega_wipe(resp, sizeof resp);
    if (!ok)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "HKDF failed");
    return 0;
}

const struct omega_tee_ops omega_tee_snp = {
    .version = OMEGA_BACKEND_ABI,
    .name = "snp",
    .caps = OMEGA_CAP_REPORT | OMEGA_CAP_SEALING_KEY,
    .probe = snp_probe,
    .open = snp_open,
    .close = snp_close,
    .report = snp_report,
    .sealing_key = snp_sealing_key,
};
