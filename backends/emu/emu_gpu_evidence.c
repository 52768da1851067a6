/* Emulated H100 attestation evidence, in the very format of the real one (SPDM 1.1 GET_MEASUREMENTS
 * request + MEASUREMENTS response, NVIDIA's opaque TLVs), signed by the emulated device's FMC leaf key
 * whose chain (backends/emu/emu_sp_keys.c) ends in the emulated NVIDIA device identity root. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "attest/gpu.h"
#include "backends/emu/emu.h"
#include "backends/emu/emu_sp.h"
#include "core/util.h"

#define EMU_GPU_BLOCKS 64
#define EMU_GPU_DRIVER "550.90.07"

static int put_u16(struct omega_buf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    return omega_buf_append(b, x, 2);
}

static int tlv(struct omega_buf *b, uint16_t type, const void *v, uint16_t len)
{
    OMEGA_TRY(put_u16(b, type));
    OMEGA_TRY(put_u16(b, len));
    return omega_buf_append(b, v, len);
}

/* The emulated firmware's measurement of block i: fixed, so reference values can be pinned. */
static void block_value(unsigned i, uint8_t out[48])
{
    char label[48];
    int n = snprintf(label, sizeof label, "omega emulated H100 measurement %u", i);
    SHA384((const uint8_t *)label, (size_t)n, out);
}

int omega_emu_gpu_evidence(const uint8_t nonce[32], struct omega_buf *report, struct omega_buf *chain,
                           struct omega_error *err)
{
    struct omega_buf *b = report;
    b->len = 0;
    uint8_t req[4] = {0x11, 0xE0, 0x01, 0xFF}, slot = 0;
    uint8_t resp[4] = {0x11, 0x60, 0x00, 0x00};
    uint8_t nb = EMU_GPU_BLOCKS;
    uint32_t reclen = EMU_GPU_BLOCKS * (4 + 3 + 48);
    uint8_t rl[3] = {(uint8_t)reclen, (uint8_t)(reclen >> 8), (uint8_t)(reclen >> 16)};
    int rc = omega_buf_append(b, req, 4);
    if (rc == 0) rc = omega_buf_append(b, nonce, 32);
    if (rc == 0) rc = omega_buf_append(b, &slot, 1);
    if (rc == 0) rc = omega_buf_append(b, resp, 4);
    if (rc == 0) rc = omega_buf_append(b, &nb, 1);
    if (rc == 0) rc = omega_buf_append(b, rl, 3);
    for (unsigned i = 1; i <= EMU_GPU_BLOCKS && rc == 0; i++) {
        uint8_t hdr[7] = {(uint8_t)i, 0x01, 51, 0, 0x01, 48, 0}, v[48];
        block_value(i, v);
        rc = omega_buf_append(b, hdr, 7);
        if (rc == 0)
            rc = omega_buf_append(b, v, 48);
    }
    uint8_t rnonce[32];
    if (rc == 0 && omega_random(rnonce, 32) < 0)
        OMEGA_FAIL(err, OMEGA_EIO, "getrandom failed");
    if (rc == 0) rc = omega_buf_append(b, rnonce, 32);
    struct omega_buf op;
    omega_buf_init(&op);
    uint8_t vbios[8] = {0x00, 0x9f, 0x00, 0x96, 0x01, 0, 0, 0}, fwid[48];
    if (omega_hex_decode_fixed(omega_emu_vendor.nv_fwid_hex, fwid, 48) < 0) {
        omega_buf_fini(&op);
        OMEGA_FAIL(err, OMEGA_EFORMAT, "emulated FWID is not 48 bytes of hex");
    }
    if (rc == 0) rc = tlv(&op, OMEGA_GPU_OPAQUE_VBIOS_VERSION, vbios, sizeof vbios);
    if (rc == 0) rc = tlv(&op, OMEGA_GPU_OPAQUE_DRIVER_VERSION, EMU_GPU_DRIVER, sizeof EMU_GPU_DRIVER);
    if (rc == 0) rc = tlv(&op, OMEGA_GPU_OPAQUE_FWID, fwid, 48);
    if (rc == 0) rc = put_u16(b, (uint16_t)op.len);
    if (rc == 0) rc = omega_buf_append(b, op.data, op.len);
    omega_buf_fini(&op);
    if (rc < 0)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");

    /* Sign request + response so far with the leaf key; the signature is r || s, big-endian. */
    BIO *kb = BIO_new_mem_buf(omega_emu_vendor.nv_leaf_key_pem, -1);
    EVP_PKEY *key = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    BIO_free(kb);
    unsigned char der[160];
    size_t derlen = sizeof der;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = key && ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, key) == 1 &&
             EVP_DigestSign(ctx, der, &derlen, b->data, b->len) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    const unsigned char *q = der;
    ECDSA_SIG *sig = ok ? d2i_ECDSA_SIG(NULL, &q, (long)derlen) : NULL;
    uint8_t rs[OMEGA_GPU_SIG_LEN];
    ok = sig && BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, 48) == 48 && BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + 48, 48) == 48;
    ECDSA_SIG_free(sig);
    if (!ok)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "cannot sign the emulated GPU evidence");
    if (omega_buf_append(b, rs, sizeof rs) < 0)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    if (chain) {
        chain->len = 0;
        if (omega_buf_append(chain, omega_emu_vendor.nv_chain_pem, strlen(omega_emu_vendor.nv_chain_pem)) < 0)
            OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    }
    return 0;
}
