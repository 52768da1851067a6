#include "core/seal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/util.h"

struct omega_seal_ctx {
    uint8_t key[32];
    uint32_t dir_tag;
    uint64_t next;      /* sender: next counter; receiver: lowest counter still acceptable */
    EVP_CIPHER_CTX *enc, *dec;
};

struct omega_seal_ctx *omega_seal_new(const uint8_t key[32], uint32_t dir_tag)
{
    struct omega_seal_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    memcpy(c->key, key, 32);
    c->dir_tag = dir_tag;
    c->enc = EVP_CIPHER_CTX_new();
    c->dec = EVP_CIPHER_CTX_new();
    /* Key schedule once; each transfer only sets its IV. */
    if (!c->enc || !c->dec || EVP_EncryptInit_ex(c->enc, EVP_aes_256_gcm(), NULL, c->key, NULL) != 1 ||
        EVP_DecryptInit_ex(c->dec, EVP_aes_256_gcm(), NULL, c->key, NULL) != 1) {
        omega_seal_free(c);
        return NULL;
    }
    return c;
}

void omega_seal_free(struct omega_seal_ctx *c)
{
    if (!c)
        return;
    EVP_CIPHER_CTX_free(c->enc);
    EVP_CIPHER_CTX_free(c->dec);
    omega_wipe(c, sizeof *c);
    free(c);
}

static void make_iv(uint8_t iv[12], uint32_t tag, uint64_t ctr)
{
    for (int i = 0; i < 4; i++)
        iv[i] = (uint8_t)(tag >> (24 - 8 * i));
    for (int i = 0; i < 8; i++)
        iv[4 + i] = (uint8_t)(ctr >> (56 - 8 * i));
}

static uint64_t iv_counter(const uint8_t iv[12], uint32_t *tag)
{
    *tag = (uint32_t)iv[0] << 24 | (uint32_t)iv[1] << 16 | (uint32_t)iv[2] << 8 | iv[3];
    uint64_t c = 0;
    for (int i = 0; i < 8; i++)
        c = c << 8 | iv[4 + i];
    return c;
}

int omega_seal(struct omega_seal_ctx *c, const void *plain, size_t n, struct omega_sealed *out)
{
    if (c->next == UINT64_MAX || n > INT32_MAX)
        return OMEGA_ESTATE;  /* counter exhausted: the key must be rotated */
    make_iv(out->iv, c->dir_tag, c->next++);
    int len = 0;
    if (EVP_EncryptInit_ex(c->enc, NULL, NULL, NULL, out->iv) != 1 ||
        EVP_EncryptUpdate(c->enc, out->bytes, &len, plain, (int)n) != 1 ||
        EVP_EncryptFinal_ex(c->enc, out->bytes + len, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(c->enc, EVP_CTRL_GCM_GET_TAG, OMEGA_SEAL_TAG_LEN, out->tag) != 1)
        return OMEGA_ECRYPTO;
    out->len = n;
    return 0;
}

int omega_unseal(struct omega_seal_ctx *c, const struct omega_sealed *in, void *plain)
{
    uint32_t tag;
    uint64_t ctr = iv_counter(in->iv, &tag);
    if (tag != c->dir_tag || ctr < c->next || in->len > INT32_MAX)
        return OMEGA_EVERIFY;  /* wrong direction, or a replayed / reordered transfer */
    int len = 0, ok;
    ok = EVP_DecryptInit_ex(c->dec, NULL, NULL, NULL, in->iv) == 1 &&
         EVP_DecryptUpdate(c->dec, plain, &len, in->bytes, (int)in->len) == 1 &&
         EVP_CIPHER_CTX_ctrl(c->dec, EVP_CTRL_GCM_SET_TAG, OMEGA_SEAL_TAG_LEN, (void *)in->tag) == 1 &&
         EVP_DecryptFinal_ex(c->dec, (uint8_t *)plain + len, &len) == 1;
    if (!ok) {
        memset(plain, 0, in->len);
        return OMEGA_EVERIFY;
    }
    c->next = ctr + 1;
    return 0;
}

const uint8_t *omega_seal_key(const struct omega_seal_ctx *c) { return c->key; }

int omega_seal_check_iv(const struct omega_seal_ctx *c, const uint8_t iv[OMEGA_SEAL_IV_LEN])
{
    uint32_t tag;
    uint64_t ctr = iv_counter(iv, &tag);
    return tag == c->dir_tag && ctr >= c->next ? 0 : OMEGA_EVERIFY;
}

void omega_seal_accept(struct omega_seal_ctx *c, const uint8_t iv[OMEGA_SEAL_IV_LEN])
{
    uint32_t tag;
    c->next = iv_counter(iv, &tag) + 1;
}

int omega_seal_next_iv(struct omega_seal_ctx *c, uint8_t iv[OMEGA_SEAL_IV_LEN])
{
    if (c->next == UINT64_MAX)
        return OMEGA_ESTATE;
    make_iv(iv, c->dir_tag, c->next++);
    return 0;
}
