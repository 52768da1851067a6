/* Provenance log: Merkle proofs against the RFC 6962 vectors, checkpoints, write/read round trips,
 * the writer's modes, recovery, and the command line. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cbor.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "attest/checkpoint.h"
#include "attest/merkle.h"
#include "attest/provlog.h"
#include "attest/provlog_gen.h"
#include "attest/provlog_impl.h"
#include "core/buf.h"
#include "core/monitor.h"
#include "core/util.h"
#include "tests/test.h"
#include "tests/test_provlog.h"

EVP_PKEY *provlog_test_key(void)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
}

/* Write n generated decisions to dir with cfg (inline commits on the generator's clock). */
int provlog_test_write(const char *dir, EVP_PKEY *key, uint64_t n, struct omega_provlog_config *cfg, uint64_t seed)
{
    struct pl_gen *g = malloc(sizeof *g);
    if (!g)
        return -1;
    pl_gen_init(g, 100, 1000, seed);
    cfg->clock_ms = pl_gen_clock_ms;
    cfg->clock_arg = g;
    struct omega_provlog *log;
    struct omega_error err = {0};
    if (omega_provlog_open(&log, dir, cfg, key, &err) < 0) {
        printf("open: %s\n", err.msg);
        free(g);
        return -1;
    }
    int rc = 0;
    for (uint64_t i = 0; i < n && rc == 0; i++) {
        struct omega_action a;
        struct omega_decision d;
        uint8_t io[32];
        uint64_t seq;
        pl_gen_next(g, &a, &d, io);
        rc = omega_provlog_record(log, &a, &d, io, &seq);
    }
    if (omega_provlog_close(log, &err) < 0 && rc == 0) {
        printf("close: %s\n", err.msg);
        rc = -1;
    }
    free(g);
    return rc;
}

void provlog_test_config(struct omega_provlog_config *cfg)
{
    omega_provlog_config_defaults(cfg);
    cfg->mode = OMEGA_PROVLOG_BATCH;
    cfg->threaded = 0;
    cfg->fsync = 0;
    cfg->io_digest = 1;
    cfg->checkpoint_records = 64;
}

static int hexv(const char *s, uint8_t *out, size_t n)
{
    return omega_hex_decode_fixed(s, out, n);
}

OMEGA_TEST(provlog_rfc6962_vectors)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/provlog/rfc6962_vectors.json", omega_test_srcdir());
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    CHECK_MSG(j, "cannot read %s", path);
    json_t *leaves = json_object_get(j, "leaves"), *roots = json_object_get(j, "roots");
    struct pl_tree t;
    struct pl_frontier f;
    pl_tree_init(&t);
    pl_frontier_init(&f);
    uint8_t root[32], want[32];
    CHECK(hexv(json_string_value(json_array_get(roots, 0)), want, 32) == 0);
    pl_frontier_root(&f, root);
    CHECK(memcmp(root, want, 32) == 0);   /* the empty tree is SHA-256("") */
    for (size_t i = 0; i < json_array_size(leaves); i++) {
        struct omega_buf b;
        omega_buf_init(&b);
        const char *hx = json_string_value(json_array_get(leaves, i));
        if (*hx)
            CHECK(omega_hex_decode(hx, strlen(hx), &b) == 0);
        uint8_t h[32];
        omega_provlog_leaf_hash(b.data ? b.data : (const uint8_t *)"", b.len, h);
        omega_buf_fini(&b);
        CHECK(pl_tree_push(&t, h) == 0);
        pl_frontier_push(&f, h);
        CHECK(hexv(json_string_value(json_array_get(roots, i + 1)), want, 32) == 0);
        pl_frontier_root(&f, root);
        CHECK_MSG(memcmp(root, want, 32) == 0, "root of size %zu", i + 1);
        pl_tree_range(&t, 0, i + 1, root);
        CHECK(memcmp(root, want, 32) == 0);
    }
    size_t k;
    json_t *v;
    json_array_foreach(json_object_get(j, "inclusion"), k, v) {
        uint64_t idx = (uint64_t)json_integer_value(json_object_get(v, "index"));
        uint64_t size = (uint64_t)json_integer_value(json_object_get(v, "size"));
        json_t *pj = json_object_get(v, "proof");
        uint8_t proof[64][32], wantp[8][32];
        size_t n;
        CHECK(pl_tree_inclusion(&t, idx, size, proof, &n) == 0);
        CHECK_EQ_INT(n, json_array_size(pj));
        for (size_t i = 0; i < n; i++) {
            CHECK(hexv(json_string_value(json_array_get(pj, i)), wantp[i], 32) == 0);
            CHECK_MSG(memcmp(proof[i], wantp[i], 32) == 0, "inclusion %" PRIu64 "/%" PRIu64 " node %zu", idx, size, i);
        }
        pl_tree_range(&t, 0, size, root);
        CHECK(omega_provlog_verify_inclusion(t.lvl[0][idx], idx, size, (const uint8_t(*)[32])wantp, n, root) == 0);
        /* Wrong index, wrong size, a flipped bit, a dropped or an extra node: all refused. */
        CHECK(omega_provlog_verify_inclusion(t.lvl[0][idx], idx ^ 1, size, (const uint8_t(*)[32])wantp, n, root) != 0);
        CHECK(omega_provlog_verify_inclusion(t.lvl[0][idx], idx, size * 2, (const uint8_t(*)[32])wantp, n, root) != 0);
        CHECK(omega_provlog_verify_inclusion(t.lvl[0][idx], idx, size, (const uint8_t(*)[32])wantp, n - 1, root) != 0);
        memcpy(wantp[n], root, 32);
        CHECK(omega_provlog_verify_inclusion(t.lvl[0][idx], idx, size, (const uint8_t(*)[32])wantp, n + 1, root) != 0);
        wantp[0][0] ^= 8;
        CHECK(omega_provlog_verify_inclusion(t.lvl[0][idx], idx, size, (const uint8_t(*)[32])wantp, n, root) != 0);
    }
    json_array_foreach(json_object_get(j, "consistency"), k, v) {
        uint64_t m = (uint64_t)json_integer_value(json_object_get(v, "old"));
        uint64_t size = (uint64_t)json_integer_value(json_object_get(v, "new"));
        json_t *pj = json_object_get(v, "proof");
        uint8_t proof[64][32], r1[32], r2[32];
        size_t n;
        CHECK(pl_tree_consistency(&t, m, size, proof, &n) == 0);
        CHECK_EQ_INT(n, json_array_size(pj));
        for (size_t i = 0; i < n; i++) {
            uint8_t w[32];
            CHECK(hexv(json_string_value(json_array_get(pj, i)), w, 32) == 0);
            CHECK_MSG(memcmp(proof[i], w, 32) == 0, "consistency %" PRIu64 "->%" PRIu64 " node %zu", m, size, i);
        }
        CHECK(hexv(json_string_value(json_array_get(roots, m)), r1, 32) == 0);
        CHECK(hexv(json_string_value(json_array_get(roots, size)), r2, 32) == 0);
        CHECK(omega_provlog_verify_consistency(m, size, r1, r2, (const uint8_t(*)[32])proof, n) == 0);
        CHECK(omega_provlog_verify_consistency(m, size, r2, r1, (const uint8_t(*)[32])proof, n) != 0);
        CHECK(omega_provlog_verify_consistency(m + 1, size, r1, r2, (const uint8_t(*)[32])proof, n) != 0);
        proof[n - 1][0] ^= 16;
        CHECK(omega_provlog_verify_consistency(m, size, r1, r2, (const uint8_t(*)[32])proof, n) != 0);
    }
    pl_tree_fini(&t);
    json_decref(j);
    return 0;
}

OMEGA_TEST(provlog_proofs_every_shape)
{
    /* Every leaf of every tree up to 70 leaves, and every pair of sizes up to 70: generated proofs
     * verify, and a proof for a neighbouring index or size does not. */
    struct pl_tree t;
    pl_tree_init(&t);
    uint8_t roots[71][32];
    pl_tree_range(&t, 0, 0, roots[0]);
    for (int i = 0; i < 70; i++) {
        uint8_t b[2] = {(uint8_t)i, (uint8_t)(i * 7)}, h[32];
        omega_provlog_leaf_hash(b, 2, h);
        CHECK(pl_tree_push(&t, h) == 0);
        pl_tree_range(&t, 0, (uint64_t)i + 1, roots[i + 1]);
    }
    uint8_t proof[64][32];
    size_t n;
    for (uint64_t size = 1; size <= 70; size++)
        for (uint64_t i = 0; i < size; i++) {
            CHECK(pl_tree_inclusion(&t, i, size, proof, &n) == 0);
            CHECK(omega_provlog_verify_inclusion(t.lvl[0][i], i, size, (const uint8_t(*)[32])proof, n, roots[size]) == 0);
            if (size > 1)
                CHECK(omega_provlog_verify_inclusion(t.lvl[0][i], (i + 1) % size, size, (const uint8_t(*)[32])proof, n,
                                                     roots[size]) != 0);
        }
    for (uint64_t m = 0; m <= 70; m++)
        for (uint64_t size = m; size <= 70; size++) {
            CHECK(pl_tree_consistency(&t, m, size, proof, &n) == 0);
            CHECK_MSG(omega_provlog_verify_consistency(m, size, roots[m], roots[size], (const uint8_t(*)[32])proof, n) == 0,
                      "consistency %" PRIu64 " -> %" PRIu64, m, size);
            if (m > 0 && m < size)
                CHECK(omega_provlog_verify_consistency(m, size, roots[m - 1], roots[size], (const uint8_t(*)[32])proof,
                                                       n) != 0);
        }
    pl_tree_fini(&t);
    return 0;
}

OMEGA_TEST(provlog_checkpoint_note)
{
    EVP_PKEY *key = provlog_test_key(), *other = provlog_test_key();
    CHECK(key && other);
    struct omega_checkpoint c = {.origin = "example.com/log", .size = 12345}, out;
    for (int i = 0; i < 32; i++)
        c.root[i] = (uint8_t)i;
    struct omega_buf note;
    omega_buf_init(&note);
    CHECK(omega_checkpoint_sign(&c, key, &note, NULL) == 0);
    CHECK(memmem(note.data, note.len, "example.com/log\n12345\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n\xe2\x80\x94 example.com/log ", 88) == note.data);
    uint8_t pub[32];
    CHECK(omega_ed25519_raw_public(key, pub, NULL) == 0);
    struct omega_note_verifier v, v2;
    CHECK(omega_note_verifier_init(&v, "example.com/log", pub, NULL) == 0);
    CHECK(omega_checkpoint_open(note.data, note.len, &v, &out, NULL) == 0);
    CHECK(out.size == 12345 && memcmp(out.root, c.root, 32) == 0 && strcmp(out.origin, c.origin) == 0);
    /* The verifier key text round-trips. */
    struct omega_buf vk;
    omega_buf_init(&vk);
    CHECK(omega_note_verifier_format(&v, &vk) == 0);
    CHECK(omega_note_verifier_parse(&v2, (const char *)vk.data, vk.len, NULL) == 0);
    CHECK(memcmp(v2.pub, pub, 32) == 0 && memcmp(v2.key_id, v.key_id, 4) == 0);
    vk.data[vk.len - 3] ^= 1;
    CHECK(omega_note_verifier_parse(&v2, (const char *)vk.data, vk.len, NULL) < 0);
    /* Every single-byte change of the note is refused. */
    for (size_t i = 0; i < note.len; i++) {
        note.data[i] ^= 0x01;
        CHECK_MSG(omega_checkpoint_open(note.data, note.len, &v, &out, NULL) < 0, "flip at %zu accepted", i);
        note.data[i] ^= 0x01;
    }
    /* Another key's signature is not ours. */
    struct omega_buf n2;
    omega_buf_init(&n2);
    CHECK(omega_checkpoint_sign(&c, other, &n2, NULL) == 0);
    CHECK(omega_checkpoint_open(n2.data, n2.len, &v, &out, NULL) == OMEGA_EVERIFY);
    omega_buf_fini(&n2);
    omega_buf_fini(&vk);
    omega_buf_fini(&note);
    omega_note_verifier_fini(&v);
    omega_note_verifier_fini(&v2);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
    return 0;
}

OMEGA_TEST(provlog_roundtrip_and_show)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/rt", omega_test_tmpdir());
    EVP_PKEY *key = provlog_test_key();
    struct omega_provlog_config cfg;
    provlog_test_config(&cfg);
    CHECK(provlog_test_write(dir, key, 3000, &cfg, 1) == 0);
    struct omega_provlog_view *v;
    struct omega_error err = {0};
    CHECK(omega_provlog_view_open(&v, dir, key, &err) == 0);
    struct omega_provlog_report r;
    omega_provlog_report_get(v, 0, &r);
    CHECK_MSG(r.intact, "not intact: %s", r.problem);
    CHECK_EQ_INT(r.records, 3000);
    CHECK_EQ_INT(r.digests, 3000);
    CHECK(r.checkpoints >= 3000 / 64 && r.covered == r.leaves && r.key_pinned);
    /* The records read back are the decisions written, in order. */
    struct pl_gen *g = malloc(sizeof *g);
    pl_gen_init(g, 100, 1000, 1);
    uint64_t seen = 0;
    for (uint64_t i = 0; i < r.leaves; i++) {
        json_t *j = omega_provlog_view_leaf_json(v, i);
        CHECK(j);
        if (!json_object_get(j, "kind")) {
            struct omega_action a;
            struct omega_decision d;
            uint8_t io[32];
            char hex[65];
            pl_gen_next(g, &a, &d, io);
            omega_hex_encode(io, 32, hex);
            CHECK_STR(json_string_value(json_object_get(j, "agent")), a.agent);
            CHECK_STR(json_string_value(json_object_get(j, "action")), a.method);
            CHECK_STR(json_string_value(json_object_get(j, "resource")), a.target);
            CHECK_STR(json_string_value(json_object_get(j, "decision")), omega_verdict_name(d.verdict));
            CHECK_STR(json_string_value(json_array_get(json_object_get(j, "policies"), 0)), d.policies[0]);
            CHECK_STR(json_string_value(json_object_get(j, "io_digest")), hex);
            CHECK_EQ_INT(json_integer_value(json_object_get(j, "time_ms")), pl_gen_clock_ms(g));
            seen++;
        }
        json_decref(j);
    }
    CHECK_EQ_INT(seen, 3000);
    /* Each record is provable on its own, its context leaves too. */
    uint8_t root[32], proof[64][32];
    size_t n;
    CHECK(omega_provlog_view_root(v, r.leaves, root) == 0);
    for (uint64_t i = 0; i < r.leaves; i += 97) {
        const uint8_t *p;
        size_t len;
        uint8_t h[32];
        CHECK(omega_provlog_view_leaf(v, i, &p, &len) == 0);
        omega_provlog_leaf_hash(p, len, h);
        CHECK(omega_provlog_view_prove(v, i, r.leaves, proof, &n) == 0);
        CHECK(omega_provlog_verify_inclusion(h, i, r.leaves, (const uint8_t(*)[32])proof, n, root) == 0);
    }
    free(g);
    omega_provlog_view_free(v);
    EVP_PKEY_free(key);
    return 0;
}

OMEGA_TEST(provlog_threaded_modes)
{
    /* The committer thread in both modes: every acknowledged record is durable when acknowledged. */
    EVP_PKEY *key = provlog_test_key();
    for (int mode = 0; mode < 2; mode++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/thr%d", omega_test_tmpdir(), mode);
        struct omega_provlog_config cfg;
        omega_provlog_config_defaults(&cfg);
        cfg.mode = mode ? OMEGA_PROVLOG_BATCH : OMEGA_PROVLOG_SYNC;
        cfg.commit_ms = 2;
        cfg.checkpoint_ms = 20;
        struct omega_provlog *log;
        struct omega_error err = {0};
        CHECK_MSG(omega_provlog_open(&log, dir, &cfg, key, &err) == 0, "%s", err.msg);
        struct pl_gen g;
        pl_gen_init(&g, 10, 1000, 3);
        for (int i = 0; i < 300; i++) {
            struct omega_action a;
            struct omega_decision d;
            uint8_t io[32];
            uint64_t seq;
            pl_gen_next(&g, &a, &d, io);
            CHECK(omega_provlog_record(log, &a, &d, io, &seq) == 0);
            if (mode)
                CHECK(omega_provlog_wait(log, seq) == 0);
            CHECK(omega_provlog_durable(log) > seq);
        }
        /* The verifier key the monitor hands out pins the log's key. */
        struct omega_buf vk;
        omega_buf_init(&vk);
        CHECK(omega_provlog_verifier_key(log, &vk) == 0 && omega_buf_append(&vk, "", 1) == 0);
        EVP_PKEY *pinned = NULL;
        char name[256];
        CHECK(omega_ed25519_load_public((const char *)vk.data, &pinned, name, sizeof name, &err) == 0);
        CHECK_STR(name, "omega.local/provlog");
        omega_buf_fini(&vk);
        CHECK(omega_provlog_close(log, &err) == 0);
        struct omega_provlog_view *v;
        CHECK(omega_provlog_view_open(&v, dir, pinned, &err) == 0);
        EVP_PKEY_free(pinned);
        struct omega_provlog_report r;
        omega_provlog_report_get(v, 0, &r);
        CHECK_MSG(r.intact && r.records == 300, "%s", r.problem);
        omega_provlog_view_free(v);
    }
    EVP_PKEY_free(key);
    return 0;
}

OMEGA_TEST(provlog_segments_and_reopen)
{
    /* Small segments force roll-overs; reopening continues the same tree and symbols. */
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/seg", omega_test_tmpdir());
    EVP_PKEY *key = provlog_test_key();
    struct omega_provlog_config cfg;
    provlog_test_config(&cfg);
    cfg.segment_bytes = 8192;
    CHECK(provlog_test_write(dir, key, 2000, &cfg, 5) == 0);
    provlog_test_config(&cfg);
    cfg.segment_bytes = 8192;
    CHECK(provlog_test_write(dir, key, 1000, &cfg, 6) == 0);
    struct omega_provlog_view *v;
    struct omega_error err = {0};
    CHECK(omega_provlog_view_open(&v, dir, key, &err) == 0);
    struct omega_provlog_report r;
    omega_provlog_report_get(v, 0, &r);
    CHECK_MSG(r.intact, "%s", r.problem);
    CHECK_EQ_INT(r.records, 3000);
    CHECK(r.segments > 3);
    omega_provlog_view_free(v);
    /* A wrong key is refused, for reading and for appending. */
    EVP_PKEY *other = provlog_test_key();
    CHECK(omega_provlog_view_open(&v, dir, other, &err) == 0);
    omega_provlog_report_get(v, 0, &r);
    CHECK(!r.intact && r.bad_checkpoint == 0);
    omega_provlog_view_free(v);
    struct omega_provlog *log;
    CHECK(omega_provlog_open(&log, dir, &cfg, other, &err) < 0);
    EVP_PKEY_free(other);
    EVP_PKEY_free(key);
    return 0;
}

OMEGA_TEST(provlog_agrees_with_merkle)
{
    /* The log's cached-level proofs and fast hashing against the shared RFC 6962 code, over trees of
     * every size to 300: same roots, and each side's proofs verify under the other's verifier. */
    struct pl_tree t;
    pl_tree_init(&t);
    omega_merkle_hash *leaves = malloc(300 * sizeof *leaves);
    CHECK(leaves);
    for (int i = 0; i < 300; i++) {
        uint8_t b[3] = {(uint8_t)i, (uint8_t)(i >> 8), 0x5a}, h[32];
        omega_provlog_leaf_hash(b, 3, h);
        omega_merkle_leaf_hash(b, 3, leaves[i]);
        CHECK(memcmp(h, leaves[i], 32) == 0);
        CHECK(pl_tree_push(&t, h) == 0);
    }
    uint8_t proof[64][32], root[32], r2[32];
    omega_merkle_hash mproof[OMEGA_MERKLE_MAX_PROOF];
    size_t n, mn;
    for (uint64_t size = 1; size <= 300; size += (size < 70 ? 1 : 13)) {
        pl_tree_range(&t, 0, size, root);
        omega_merkle_root((const omega_merkle_hash *)leaves, size, r2);
        CHECK_MSG(memcmp(root, r2, 32) == 0, "root of %" PRIu64, size);
        for (uint64_t i = 0; i < size; i += 1 + size / 17) {
            CHECK(pl_tree_inclusion(&t, i, size, proof, &n) == 0);
            CHECK(omega_merkle_inclusion_verify(leaves[i], i, size, (const omega_merkle_hash *)proof, n, root) == 0);
            CHECK(omega_merkle_inclusion_proof((const omega_merkle_hash *)leaves, size, i, mproof, &mn) == 0);
            CHECK(mn == n && memcmp(mproof, proof, n * 32) == 0);
            CHECK(omega_provlog_verify_inclusion(leaves[i], i, size, (const uint8_t(*)[32])mproof, mn, root) == 0);
        }
        for (uint64_t m = 1; m < size; m += 1 + size / 11) {
            uint8_t rm[32];
            pl_tree_range(&t, 0, m, rm);
            CHECK(pl_tree_consistency(&t, m, size, proof, &n) == 0);
            CHECK(omega_merkle_consistency_verify(m, rm, size, root, (const omega_merkle_hash *)proof, n) == 0);
            CHECK(omega_merkle_consistency_proof((const omega_merkle_hash *)leaves, size, m, mproof, &mn) == 0);
            CHECK(mn == n && memcmp(mproof, proof, n * 32) == 0);
        }
    }
    free(leaves);
    pl_tree_fini(&t);
    return 0;
}

OMEGA_TEST(provlog_record_encoding)
{
    /* Records and epochs are encoded by hand on the append path: the bytes must be libcbor's
     * canonical encoding at every head-length boundary, and must read back through the reader. */
    static const uint64_t v[] = {0, 1, 23, 24, 255, 256, 65535, 65536, 0xffffffffull, 0x100000000ull, UINT64_MAX};
    uint8_t io[32];
    for (int i = 0; i < 32; i++)
        io[i] = (uint8_t)(0xa0 + i);
    for (size_t a = 0; a < sizeof v / sizeof v[0]; a++)
        for (size_t b = 0; b < sizeof v / sizeof v[0]; b += 3)
            for (int dg = 0; dg < 2; dg++) {
                uint8_t mine[64], ref[64];
                size_t n = pl_enc_record(mine, v[a], v[b], v[(a + b) % 11], dg ? io : NULL);
                size_t m = cbor_encode_array_start(dg ? 4 : 3, ref, 9);
                m += cbor_encode_uint(v[a], ref + m, 9);
                m += cbor_encode_uint(v[b], ref + m, 9);
                m += cbor_encode_uint(v[(a + b) % 11], ref + m, 9);
                if (dg) {
                    m += cbor_encode_bytestring_start(32, ref + m, 9);
                    memcpy(ref + m, io, 32);
                    m += 32;
                }
                CHECK_MSG(n == m && memcmp(mine, ref, n) == 0, "record %zu/%zu/%d", a, b, dg);
                CHECK(pl_cbor_item_len(mine, n) == n);
                struct omega_rd r;
                struct pl_item it;
                omega_rd_init(&r, mine, n);
                CHECK(pl_cbor_next(&r, &it) == 0 && it.type == PL_C_ARRAY && it.val == (dg ? 4u : 3u));
                CHECK(pl_cbor_next(&r, &it) == 0 && it.type == PL_C_UINT && it.val == v[a]);
            }
    for (size_t a = 0; a < sizeof v / sizeof v[0]; a++) {
        uint8_t mine[16], ref[16];
        size_t n = pl_enc_epoch(mine, v[a]), m = cbor_encode_uint(v[a], ref, 9);
        CHECK(n == m && memcmp(mine, ref, n) == 0);
    }
    /* Leaf hashes of every length class (one block, two, many) against a plain SHA-256. */
    static uint8_t big[3000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7);
    static const size_t lens[] = {0, 1, 54, 55, 56, 63, 64, 119, 511, 512, 2999};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        uint8_t pre[3001], h[32], ref[32];
        pre[0] = 0;
        memcpy(pre + 1, big, lens[k]);
        unsigned hl = 0;
        CHECK(EVP_Digest(pre, lens[k] + 1, ref, &hl, EVP_sha256(), NULL) == 1);
        omega_merkle_leaf_hash(big, lens[k], h);
        CHECK_MSG(memcmp(h, ref, 32) == 0, "leaf hash of %zu bytes", lens[k]);
    }
    return 0;
}

OMEGA_TEST(provlog_monitor_hook)
{
    /* The log plugs into the monitor as its omega_record_fn; a decision recorded through the monitor
     * is durable once waited for, and reads back as what was decided. */
    omega_record_fn fn = omega_provlog_record;
    EVP_PKEY *key = provlog_test_key();
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/hook", omega_test_tmpdir());
    struct omega_provlog_config cfg;
    omega_provlog_config_defaults(&cfg);
    cfg.mode = OMEGA_PROVLOG_BATCH;
    cfg.io_digest = 1;
    struct omega_provlog *log;
    struct omega_error err = {0};
    CHECK(omega_provlog_open(&log, dir, &cfg, key, &err) == 0);
    struct omega_monitor m;
    omega_monitor_init(&m);
    omega_monitor_set_recorder(&m, fn, log);
    struct omega_action a = {.kind = OMEGA_ACT_TOOL_CALL, .agent = "agent-1", .method = "tools/call", .target = "web_search"};
    struct omega_decision d = {.verdict = OMEGA_DENY, .npolicies = 1, .policies = {"forbid-web"}};
    uint8_t io[32];
    memset(io, 0xab, sizeof io);
    uint64_t seq = 0;
    CHECK(omega_monitor_record(&m, &a, &d, io, &seq) == 0);
    CHECK(omega_provlog_wait(log, seq) == 0 && omega_provlog_durable(log) > seq);
    CHECK(omega_provlog_close(log, &err) == 0);
    struct omega_provlog_view *v;
    CHECK(omega_provlog_view_open(&v, dir, key, &err) == 0);
    json_t *j = omega_provlog_view_leaf_json(v, seq);
    CHECK(j);
    CHECK_STR(json_string_value(json_object_get(j, "decision")), "deny");
    CHECK_STR(json_string_value(json_object_get(j, "resource")), "web_search");
    CHECK_STR(json_string_value(json_array_get(json_object_get(j, "policies"), 0)), "forbid-web");
    CHECK(strncmp(json_string_value(json_object_get(j, "io_digest")), "abab", 4) == 0);
    json_decref(j);
    omega_provlog_view_free(v);
    EVP_PKEY_free(key);
    return 0;
}
