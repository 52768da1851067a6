/* The AES-256-GCM code the GPU runs (backends/cuda/gcm_core.h), checked on the CPU against OpenSSL,
 * and the CUDA kernels themselves against OpenSSL where a GPU is present. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "backends/cuda/gcm.h"
#include "backends/cuda/gcm_core.h"
#include "core/util.h"
#include "tests/test.h"

static const uint8_t sbox[256] = GCM_SBOX_INIT;

static int openssl_gcm(const uint8_t key[32], const uint8_t iv[12], const uint8_t *in, int n, uint8_t *out, uint8_t tag[16])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, ok = c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv) == 1 &&
                      EVP_EncryptUpdate(c, out, &len, in, n) == 1 && EVP_EncryptFinal_ex(c, out + len, &len) == 1 &&
                      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

/* The device algorithm run on the CPU: CTR per block, GHASH in uneven parts summed, then the tag. */
static void core_gcm(const uint8_t key[32], const uint8_t iv[12], const uint8_t *in, size_t n, uint8_t *out,
                     uint8_t tag[16], uint64_t part)
{
    struct gcm_keys k;
    gcm_keys_init(&k, key, sbox);
    for (size_t b = 0; b * 16 < n; b++) {
        uint8_t ctr[16], ks[16];
        gcm_ctr_block(iv, (uint32_t)b + 1, ctr);
        gcm_aes_block(k.rk, sbox, ctr, ks);
        for (size_t j = 0; j < 16 && b * 16 + j < n; j++)
            out[b * 16 + j] = in[b * 16 + j] ^ ks[j];
    }
    uint64_t nb = (n + 15) / 16;
    struct gcm_u128 sum = {0, 0};
    for (uint64_t a = 0; a < nb; a += part) {
        struct gcm_u128 p = gcm_ghash_part(&k, out, n, a, a + part < nb ? a + part : nb);
        sum.hi ^= p.hi;
        sum.lo ^= p.lo;
    }
    gcm_finish(&k, sbox, iv, sum, n, tag);
}

OMEGA_TEST(llm_gcm_core_matches_openssl)
{
    size_t sizes[] = {0, 1, 15, 16, 17, 64, 1000, 4096 + 5};
    uint8_t key[32], iv[12], in[4101], a[4101], b[4101], ta[16], tb[16];
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (uint64_t part = 1; part <= 7; part += 3) {
            CHECK(omega_random(key, 32) == 0 && omega_random(iv, 12) == 0 && omega_random(in, sizes[s]) == 0);
            CHECK(openssl_gcm(key, iv, in, (int)sizes[s], a, ta) == 0);
            core_gcm(key, iv, in, sizes[s], b, tb, part);
            CHECK_MSG(memcmp(a, b, sizes[s]) == 0, "ciphertext differs at %zu bytes", sizes[s]);
            CHECK_MSG(memcmp(ta, tb, 16) == 0, "tag differs at %zu bytes (part %llu)", sizes[s], (unsigned long long)part);
        }
    return 0;
}

OMEGA_TEST(llm_gcm_kernel_matches_openssl)
{
    char why[256];
    if (omega_cuda_gcm_probe(why, sizeof why) != 0)
        return omega_test_skip("needs: cuda (%s)", why);
    size_t sizes[] = {1, 16, 1000, 65536 + 3, (4u << 20) + 7};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        uint8_t key[32], iv[12], ta[16], tb[16];
        uint8_t *in = malloc(n), *ct = malloc(n), *back = malloc(n), *ct2 = malloc(n);
        CHECK(in && ct && back && ct2);
        CHECK(omega_random(key, 32) == 0 && omega_random(iv, 12) == 0 && omega_random(in, n) == 0);
        CHECK(openssl_gcm(key, iv, in, (int)n, ct, ta) == 0);
        struct omega_cuda_gcm *g = NULL;
        CHECK(omega_cuda_gcm_new(&g, key) == 0);
        /* Device decrypts and authenticates OpenSSL's output... */
        CHECK_MSG(omega_cuda_gcm_test_open(g, iv, ta, ct, back, n) == 0, "device rejected a good tag at %zu", n);
        CHECK(memcmp(back, in, n) == 0);
        /* ...refuses a flipped bit and releases nothing... */
        ct[n / 2] ^= 4;
        memset(back, 0xAA, n);
        CHECK(omega_cuda_gcm_test_open(g, iv, ta, ct, back, n) == OMEGA_EVERIFY);
        ct[n / 2] ^= 4;
        /* ...and seals exactly what OpenSSL seals. */
        CHECK(omega_cuda_gcm_test_seal(g, iv, in, ct2, n, tb) == 0);
        CHECK(memcmp(ct2, ct, n) == 0 && memcmp(ta, tb, 16) == 0);
        omega_cuda_gcm_free(g);
        free(in); free(ct); free(back); free(ct2);
    }
    return 0;
}
