/* AES-256-GCM (NIST SP 800-38D, 96-bit IVs, no AAD) written once for the host and the device: the CUDA
 * kernels in gcm.cu run it on the GPU, the CPU test checks the same code against OpenSSL. Plain
 * S-box AES and bitwise GF(2^128) multiplication: clear, constant-time in the key schedule's data
 * flow on the GPU (the S-box sits in shared memory), and fast enough for transfers of agent data. */
#ifndef OMEGA_GCM_CORE_H
#define OMEGA_GCM_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __CUDACC__
#define GCM_HD __host__ __device__ __forceinline__
#else
#define GCM_HD static inline
#endif

#define GCM_SBOX_INIT { \
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76, \
    0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0, \
    0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15, \
    0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75, \
    0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84, \
    0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf, \
    0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8, \
    0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2, \
    0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73, \
    0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb, \
    0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79, \
    0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08, \
    0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a, \
    0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e, \
    0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf, \
    0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16, \
}

struct gcm_u128 { uint64_t hi, lo; };

struct gcm_keys {
    uint8_t rk[240];                /* AES-256 round keys */
    struct gcm_u128 hpow[64];       /* H^(2^k): GHASH of n blocks in parallel needs H^m for any m */
};

GCM_HD uint8_t gcm_xtime(uint8_t x) { return (uint8_t)((x << 1) ^ ((x & 0x80) ? 0x1b : 0)); }

GCM_HD void gcm_aes_block(const uint8_t *rk, const uint8_t *sbox, const uint8_t in[16], uint8_t out[16])
{
    uint8_t s[16];
    for (int i = 0; i < 16; i++)
        s[i] = in[i] ^ rk[i];
    for (int r = 1; r <= 14; r++) {
        uint8_t t[16];
        /* SubBytes and ShiftRows together: column-major state, row i rotated left by i. */
        for (int c = 0; c < 4; c++)
            for (int row = 0; row < 4; row++)
                t[c * 4 + row] = sbox[s[((c + row) & 3) * 4 + row]];
        if (r != 14)
            for (int c = 0; c < 4; c++) {
                uint8_t a0 = t[c * 4], a1 = t[c * 4 + 1], a2 = t[c * 4 + 2], a3 = t[c * 4 + 3];
                uint8_t all = a0 ^ a1 ^ a2 ^ a3;
                t[c * 4] = a0 ^ all ^ gcm_xtime(a0 ^ a1);
                t[c * 4 + 1] = a1 ^ all ^ gcm_xtime(a1 ^ a2);
                t[c * 4 + 2] = a2 ^ all ^ gcm_xtime(a2 ^ a3);
                t[c * 4 + 3] = a3 ^ all ^ gcm_xtime(a3 ^ a0);
            }
        for (int i = 0; i < 16; i++)
            s[i] = t[i] ^ rk[r * 16 + i];
    }
    for (int i = 0; i < 16; i++)
        out[i] = s[i];
}

GCM_HD void gcm_expand_key(const uint8_t key[32], const uint8_t *sbox, uint8_t rk[240])
{
    uint8_t rcon = 1;
    for (int i = 0; i < 32; i++)
        rk[i] = key[i];
    for (int i = 8; i < 60; i++) {
        uint8_t t[4] = {rk[(i - 1) * 4], rk[(i - 1) * 4 + 1], rk[(i - 1) * 4 + 2], rk[(i - 1) * 4 + 3]};
        if (i % 8 == 0) {
            uint8_t t0 = t[0];
            t[0] = (uint8_t)(sbox[t[1]] ^ rcon);
            t[1] = sbox[t[2]];
            t[2] = sbox[t[3]];
            t[3] = sbox[t0];
            rcon = gcm_xtime(rcon);
        } else if (i % 8 == 4) {
            for (int j = 0; j < 4; j++)
                t[j] = sbox[t[j]];
        }
        for (int j = 0; j < 4; j++)
            rk[i * 4 + j] = rk[(i - 8) * 4 + j] ^ t[j];
    }
}

GCM_HD struct gcm_u128 gcm_load(const uint8_t b[16])
{
    struct gcm_u128 v = {0, 0};
    for (int i = 0; i < 8; i++) {
        v.hi = v.hi << 8 | b[i];
        v.lo = v.lo << 8 | b[8 + i];
    }
    return v;
}

GCM_HD void gcm_store(struct gcm_u128 v, uint8_t b[16])
{
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(v.hi >> (56 - 8 * i));
        b[8 + i] = (uint8_t)(v.lo >> (56 - 8 * i));
    }
}

/* X·Y in GF(2^128) with GCM's bit order (SP 800-38D algorithm 1). */
GCM_HD struct gcm_u128 gcm_mul(struct gcm_u128 x, struct gcm_u128 y)
{
    struct gcm_u128 z = {0, 0}, v = y;
    for (int i = 0; i < 128; i++) {
        uint64_t bit = i < 64 ? (x.hi >> (63 - i)) & 1 : (x.lo >> (127 - i)) & 1;
        uint64_t m = 0 - bit;
        z.hi ^= v.hi & m;
        z.lo ^= v.lo & m;
        uint64_t lsb = v.lo & 1;
        v.lo = (v.lo >> 1) | (v.hi << 63);
        v.hi = (v.hi >> 1) ^ ((0 - lsb) & 0xE100000000000000ull);
    }
    return z;
}

/* H^m from the table of H^(2^k). */
GCM_HD struct gcm_u128 gcm_hpow(const struct gcm_keys *k, uint64_t m)
{
    struct gcm_u128 r = {0x8000000000000000ull, 0};  /* the field's 1 */
    for (int b = 0; m; b++, m >>= 1)
        if (m & 1)
            r = gcm_mul(r, k->hpow[b]);
    return r;
}

/* Host side: round keys, H = E(K, 0) and its powers. */
GCM_HD void gcm_keys_init(struct gcm_keys *k, const uint8_t key[32], const uint8_t *sbox)
{
    uint8_t zero[16] = {0}, h[16];
    gcm_expand_key(key, sbox, k->rk);
    gcm_aes_block(k->rk, sbox, zero, h);
    k->hpow[0] = gcm_load(h);
    for (int i = 1; i < 64; i++)
        k->hpow[i] = gcm_mul(k->hpow[i - 1], k->hpow[i - 1]);
}

/* Counter block i (0 is J0, data starts at 1) for a 96-bit IV. */
GCM_HD void gcm_ctr_block(const uint8_t iv[12], uint32_t i, uint8_t out[16])
{
    for (int j = 0; j < 12; j++)
        out[j] = iv[j];
    uint32_t c = i + 1;
    out[12] = (uint8_t)(c >> 24);
    out[13] = (uint8_t)(c >> 16);
    out[14] = (uint8_t)(c >> 8);
    out[15] = (uint8_t)c;
}

/* Partial GHASH of blocks [a, b) of n bytes of ciphertext, scaled to its place in the whole sum. */
GCM_HD struct gcm_u128 gcm_ghash_part(const struct gcm_keys *k, const uint8_t *ct, size_t n, uint64_t a, uint64_t b)
{
    struct gcm_u128 acc = {0, 0}, h = k->hpow[0];
    uint64_t nblocks = (n + 15) / 16;
    for (uint64_t i = a; i < b; i++) {
        uint8_t blk[16] = {0};
        size_t len = n - i * 16 < 16 ? n - i * 16 : 16;
        for (size_t j = 0; j < len; j++)
            blk[j] = ct[i * 16 + j];
        struct gcm_u128 c = gcm_load(blk);
        acc.hi ^= c.hi;
        acc.lo ^= c.lo;
        acc = gcm_mul(acc, h);
    }
    return b < nblocks ? gcm_mul(acc, gcm_hpow(k, nblocks - b)) : acc;
}

/* Tag from the summed GHASH of the ciphertext: (sum ^ lengths)·H ^ E(K, J0). */
GCM_HD void gcm_finish(const struct gcm_keys *k, const uint8_t *sbox, const uint8_t iv[12], struct gcm_u128 sum,
                       size_t n, uint8_t tag[16])
{
    sum.lo ^= (uint64_t)n * 8;
    sum = gcm_mul(sum, k->hpow[0]);
    uint8_t j0[16], ej0[16], s[16];
    gcm_ctr_block(iv, 0, j0);
    gcm_aes_block(k->rk, sbox, j0, ej0);
    gcm_store(sum, s);
    for (int i = 0; i < 16; i++)
        tag[i] = ej0[i] ^ s[i];
}

#endif
