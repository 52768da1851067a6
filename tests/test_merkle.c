/* RFC 6962 Merkle trees: the reference test vectors of the certificate-transparency project (the
 * eight leaves "", 00, 10, 2021, 3031, 40414243, 5051..57, 6061..6f), and every proof of every size
 * up to 40 verified and mutated. */
#include <stdlib.h>
#include <string.h>

#include "attest/merkle.h"
#include "core/util.h"
#include "tests/test.h"

static const char *const leaf_hex[8] = {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                        "606162636465666768696a6b6c6d6e6f"};
static const char *const root_hex[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void vector_leaves(omega_merkle_hash out[8])
{
    for (int i = 0; i < 8; i++) {
        struct omega_buf b;
        omega_buf_init(&b);
        if (omega_hex_decode(leaf_hex[i], strlen(leaf_hex[i]), &b) == 0)
            omega_merkle_leaf_hash(b.data ? b.data : (const uint8_t *)"", b.len, out[i]);
        omega_buf_fini(&b);
    }
}

OMEGA_TEST(merkle_rfc6962_vectors)
{
    omega_merkle_hash leaves[8], root, want;
    vector_leaves(leaves);
    struct omega_merkle_stream s;
    omega_merkle_stream_init(&s);
    for (int n = 1; n <= 8; n++) {
        CHECK(omega_hex_decode_fixed(root_hex[n - 1], want, 32) == 0);
        omega_merkle_root(leaves, (size_t)n, root);
        CHECK_MSG(memcmp(root, want, 32) == 0, "root of %d leaves", n);
        omega_merkle_stream_push(&s, leaves[n - 1]);
        omega_merkle_stream_root(&s, root);
        CHECK_MSG(memcmp(root, want, 32) == 0, "stream root of %d leaves", n);
    }
    omega_merkle_root(leaves, 0, root);
    CHECK(omega_hex_decode_fixed("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want, 32) == 0);
    CHECK(memcmp(root, want, 32) == 0);
    /* Published audit path of leaf 0 in the 8-leaf tree. */
    omega_merkle_hash proof[OMEGA_MERKLE_MAX_PROOF];
    size_t plen;
    CHECK(omega_merkle_inclusion_proof(leaves, 8, 0, proof, &plen) == 0 && plen == 3);
    CHECK(omega_hex_decode_fixed("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", want, 32) == 0);
    CHECK(memcmp(proof[0], want, 32) == 0);
    CHECK(omega_hex_decode_fixed("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", want, 32) == 0);
    CHECK(memcmp(proof[1], want, 32) == 0);
    CHECK(omega_hex_decode_fixed("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4", want, 32) == 0);
    CHECK(memcmp(proof[2], want, 32) == 0);
    return 0;
}

OMEGA_TEST(merkle_proofs_all_sizes)
{
    enum { N = 40 };
    omega_merkle_hash leaves[N], roots[N + 1];
    for (int i = 0; i < N; i++) {
        uint8_t d = (uint8_t)i;
        omega_merkle_leaf_hash(&d, 1, leaves[i]);
    }
    for (int n = 0; n <= N; n++)
        omega_merkle_root(leaves, (size_t)n, roots[n]);
    omega_merkle_hash proof[OMEGA_MERKLE_MAX_PROOF];
    size_t plen;
    for (int n = 1; n <= N; n++) {
        for (int i = 0; i < n; i++) {
            CHECK(omega_merkle_inclusion_proof(leaves, (size_t)n, (size_t)i, proof, &plen) == 0);
            CHECK_MSG(omega_merkle_inclusion_verify(leaves[i], (uint64_t)i, (uint64_t)n, proof, plen, roots[n]) == 0,
                      "inclusion %d of %d", i, n);
            /* wrong index, wrong size, wrong leaf, a flipped proof bit, a truncated or extended proof */
            if (n > 1)
                CHECK(omega_merkle_inclusion_verify(leaves[i], (uint64_t)((i + 1) % n), (uint64_t)n, proof, plen, roots[n]) != 0);
            /* A proof for one tree head does not verify against the next one. (It may against the same root
             * with another size: an audit path off the right edge does not fix the size; signed
             * checkpoints bind size and root together.) */
            CHECK(omega_merkle_inclusion_verify(leaves[i], (uint64_t)i, (uint64_t)n + 1, proof, plen, roots[n + 1 <= N ? n + 1 : n]) != 0 || n == N);
            CHECK(omega_merkle_inclusion_verify(leaves[(i + 1) % N], (uint64_t)i, (uint64_t)n, proof, plen, roots[n]) != 0);
            if (plen) {
                proof[plen - 1][5] ^= 4;
                CHECK(omega_merkle_inclusion_verify(leaves[i], (uint64_t)i, (uint64_t)n, proof, plen, roots[n]) != 0);
                proof[plen - 1][5] ^= 4;
                CHECK(omega_merkle_inclusion_verify(leaves[i], (uint64_t)i, (uint64_t)n, proof, plen - 1, roots[n]) != 0);
            }
            memcpy(proof[plen], roots[n], 32);
            CHECK(omega_merkle_inclusion_verify(leaves[i], (uint64_t)i, (uint64_t)n, proof, plen + 1, roots[n]) != 0);
        }
        for (int m = 1; m <= n; m++) {
            CHECK(omega_merkle_consistency_proof(leaves, (size_t)n, (size_t)m, proof, &plen) == 0);
            CHECK_MSG(omega_merkle_consistency_verify((uint64_t)m, roots[m], (uint64_t)n, roots[n], proof, plen) == 0,
                      "consistency %d -> %d", m, n);
            if (m < n) {
                CHECK(omega_merkle_consistency_verify((uint64_t)m, roots[m - 1], (uint64_t)n, roots[n], proof, plen) != 0);
                CHECK(omega_merkle_consistency_verify((uint64_t)m, roots[m], (uint64_t)n, roots[n - 1], proof, plen) != 0);
                proof[0][0] ^= 1;
                CHECK(omega_merkle_consistency_verify((uint64_t)m, roots[m], (uint64_t)n, roots[n], proof, plen) != 0);
                proof[0][0] ^= 1;
            }
        }
    }
    CHECK(omega_merkle_inclusion_proof(leaves, 5, 5, proof, &plen) == OMEGA_EINVAL);
    CHECK(omega_merkle_consistency_proof(leaves, 5, 0, proof, &plen) == OMEGA_EINVAL);
    CHECK(omega_merkle_consistency_verify(6, roots[6], 5, roots[5], proof, 0) != 0);
    return 0;
}
