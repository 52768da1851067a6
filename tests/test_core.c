/* Core: buffers, bounded reader, hex, sealing, the emu platform's partitions and confidential copies. */
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "core/backend.h"
#include "core/buf.h"
#include "core/labels.h"
#include "core/seal.h"
#include "core/util.h"
#include "tests/test.h"

OMEGA_TEST(core_reader_bounds)
{
    uint8_t bytes[10] = {1, 0, 2, 0, 0, 0, 0, 0, 0, 9};
    struct omega_rd r;
    omega_rd_init(&r, bytes, sizeof bytes);
    uint16_t a;
    uint32_t b;
    CHECK(omega_rd_u16le(&r, &a) == 0 && a == 1);
    CHECK(omega_rd_u32le(&r, &b) == 0 && b == 2);
    CHECK(omega_rd_zeros(&r, 3) == 0);
    CHECK(omega_rd_zeros(&r, 1) == OMEGA_EFORMAT);  /* the 9 is not a reserved zero */
    uint64_t c;
    CHECK(omega_rd_u64le(&r, &c) == OMEGA_EFORMAT);  /* past the end */
    CHECK(omega_rd_left(&r) == 0);                 /* poisoned after a failed read */
    return 0;
}

OMEGA_TEST(core_hex_and_sizes)
{
    struct omega_buf b;
    omega_buf_init(&b);
    CHECK(omega_hex_decode("0xDEad be\nef", 12, &b) == 0 && b.len == 4 && b.data[0] == 0xde && b.data[3] == 0xef);
    CHECK(omega_hex_decode("abc", 3, &b) == OMEGA_EFORMAT);
    CHECK(omega_hex_decode("zz", 2, &b) == OMEGA_EFORMAT);
    omega_buf_fini(&b);
    uint64_t s;
    CHECK(omega_parse_size("80G", &s) == 0 && s == 80ull << 30);
    CHECK(omega_parse_size("4KiB", &s) == 0 && s == 4096);
    CHECK(omega_parse_size("12x", &s) < 0);
    int64_t t;
    CHECK(omega_parse_time("2025-06-01T00:00:00Z", &t) == 0 && t == 1748736000);
    CHECK(omega_parse_time("2025-06-01", &t) < 0);
    return 0;
}

OMEGA_TEST(core_seal_roundtrip_and_tamper)
{
    uint8_t key[32], msg[1000], ct[1000], out[1000];
    CHECK(omega_random(key, 32) == 0 && omega_random(msg, sizeof msg) == 0);
    struct omega_seal_ctx *tx = omega_seal_new(key, 7), *rx = omega_seal_new(key, 7);
    CHECK(tx && rx);
    struct omega_sealed s = {.bytes = ct};
    CHECK(omega_seal(tx, msg, sizeof msg, &s) == 0);
    uint8_t iv1[12];
    memcpy(iv1, s.iv, 12);
    CHECK(memcmp(ct, msg, sizeof msg) != 0);
    CHECK(omega_unseal(rx, &s, out) == 0 && memcmp(out, msg, sizeof msg) == 0);
    CHECK(omega_unseal(rx, &s, out) == OMEGA_EVERIFY);  /* replay of the same IV */
    CHECK(omega_seal(tx, msg, sizeof msg, &s) == 0);
    CHECK(memcmp(iv1, s.iv, 12) != 0);                  /* fresh IV per transfer */
    ct[500] ^= 1;
    CHECK(omega_unseal(rx, &s, out) == OMEGA_EVERIFY);  /* one flipped bit */
    ct[500] ^= 1;
    s.tag[0] ^= 0x80;
    CHECK(omega_unseal(rx, &s, out) == OMEGA_EVERIFY);
    s.tag[0] ^= 0x80;
    CHECK(omega_unseal(rx, &s, out) == 0 && memcmp(out, msg, sizeof msg) == 0);
    struct omega_seal_ctx *other = omega_seal_new(key, 8);
    CHECK(omega_seal(tx, msg, 10, &s) == 0);
    CHECK(omega_unseal(other, &s, out) == OMEGA_EVERIFY);  /* wrong direction */
    omega_seal_free(tx);
    omega_seal_free(rx);
    omega_seal_free(other);
    return 0;
}

static void flip_first_bit(uint8_t *bytes, size_t n, void *arg)
{
    (void)arg;
    if (n)
        bytes[0] ^= 1;
}

OMEGA_TEST(core_emu_gpu_partitions)
{
    struct omega_config cfg = {.backend = "emu", .gpu_capacity = 1ull << 20, .cc = 1};
    struct omega_platform *p;
    struct omega_error err = {0};
    CHECK(omega_platform_open(&p, &cfg, &err) == 0);
    struct omega_gpu_info info;
    omega_gpu_info(p, &info);
    CHECK(info.capacity == 1ull << 20 && info.cc_on);
    struct omega_gpu_part *a, *b;
    CHECK(omega_gpu_part_open(p, "agent-a", 600 << 10, &a, &err) == 0);
    CHECK(omega_gpu_part_open(p, "agent-b", 600 << 10, &b, &err) == 0);
    omega_devptr pa, pb, px;
    CHECK(omega_gpu_alloc(a, 512 << 10, &pa, &err) == 0);
    CHECK(omega_gpu_alloc(a, 200 << 10, &px, &err) == OMEGA_EQUOTA);  /* partition quota */
    omega_error_clear(&err);
    CHECK(omega_gpu_alloc(b, 600 << 10, &pb, &err) == OMEGA_EQUOTA);  /* GPU capacity (1 MiB) */
    omega_error_clear(&err);
    CHECK(omega_gpu_alloc(b, 256 << 10, &pb, &err) == 0);

    uint8_t in[4096], out[4096];
    CHECK(omega_random(in, sizeof in) == 0);
    CHECK(omega_gpu_copy_in(a, pa + 100, in, sizeof in, &err) == 0);
    memset(out, 0, sizeof out);
    CHECK(omega_gpu_copy_out(a, out, pa + 100, sizeof out, &err) == 0 && memcmp(in, out, sizeof in) == 0);
    /* b cannot name a's memory: a's pointer is resolved in b's own table. */
    CHECK(omega_gpu_copy_out(b, out, pa + 100, 16, &err) == 0 ? memcmp(out, in, 16) != 0 : 1);
    omega_error_clear(&err);
    CHECK(omega_gpu_copy_out(b, out, pb + (256 << 10) - 8, 16, &err) == OMEGA_EINVAL);  /* past the end */
    omega_error_clear(&err);
    /* A hypervisor flipping a bit in the bounce buffer is caught on the other side, both ways. */
    omega_platform_set_bounce_hook(p, flip_first_bit, NULL);
    CHECK(omega_gpu_copy_in(a, pa, in, 64, &err) == OMEGA_EVERIFY);
    omega_error_clear(&err);
    CHECK(omega_gpu_copy_out(a, out, pa, 64, &err) == OMEGA_EVERIFY);
    omega_error_clear(&err);
    omega_platform_set_bounce_hook(p, NULL, NULL);
    /* Freed memory comes back scrubbed to the next owner. */
    CHECK(omega_gpu_free(a, pa, &err) == 0);
    CHECK(omega_gpu_alloc(b, 256 << 10, &px, &err) == 0);
    CHECK(omega_gpu_copy_out(b, out, px, sizeof out, &err) == 0);
    for (size_t i = 0; i < sizeof out; i++)
        CHECK(out[i] == 0);
    omega_gpu_part_close(a);
    omega_gpu_part_close(b);
    omega_gpu_info(p, &info);
    CHECK(info.used == 0);
    omega_platform_close(p);
    return 0;
}

OMEGA_TEST(core_emu_gpu_cc_off)
{
    struct omega_config cfg = {.backend = "emu", .cc = 0};
    struct omega_platform *p;
    struct omega_error err = {0};
    CHECK(omega_platform_open(&p, &cfg, &err) == 0);
    struct omega_gpu_info info;
    omega_gpu_info(p, &info);
    CHECK(info.capacity == 80ull << 30 && !info.cc_on);
    struct omega_gpu_part *a;
    omega_devptr pa;
    CHECK(omega_gpu_part_open(p, "a", 1 << 20, &a, &err) == 0 && omega_gpu_alloc(a, 4096, &pa, &err) == 0);
    uint8_t in[64] = {1, 2, 3}, out[64];
    CHECK(omega_gpu_copy_in(a, pa, in, 64, &err) == 0 && omega_gpu_copy_out(a, out, pa, 64, &err) == 0);
    CHECK(memcmp(in, out, 64) == 0);
    omega_platform_close(p);  /* closes the open partition too */
    return 0;
}

OMEGA_TEST(core_unknown_backend)
{
    struct omega_config cfg = {.backend = "nope"};
    struct omega_platform *p;
    struct omega_error err = {0};
    CHECK(omega_platform_open(&p, &cfg, &err) == OMEGA_EINVAL);
    CHECK(strstr(err.msg, "unknown backend") != NULL);
    return 0;
}

OMEGA_TEST(core_stats)
{
    double s[100];
    for (int i = 0; i < 100; i++)
        s[i] = 100 - i;  /* 1..100, reversed */
    struct omega_stats st;
    omega_stats_compute(s, 100, &st);
    CHECK(st.p50 == 50 && st.p90 == 90 && st.p99 == 99 && st.min == 1 && st.max == 100);
    CHECK(st.ci_lo < 50 && st.ci_hi > 50 && st.ci_lo >= 38 && st.ci_hi <= 62);
    return 0;
}

OMEGA_TEST(cli_backends_tells_truth)
{
    char out[4096];
    int rc = omega_test_sh(out, sizeof out, "%s backends", omega_test_omega_bin());
    CHECK_EQ_INT(rc, 0);
    CHECK(strstr(out, "emu") && strstr(out, "available"));
    CHECK(strstr(out, "snp") && strstr(out, "unavailable: "));  /* no SEV-SNP guest device on a test machine */
    rc = omega_test_sh(out, sizeof out, "%s backends --json", omega_test_omega_bin());
    CHECK_EQ_INT(rc, 0);
    CHECK(strstr(out, "\"backends\"") && strstr(out, "\"available\": true"));
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "%s frobnicate 2>/dev/null", omega_test_omega_bin()), 2);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "%s backends --bogus 2>/dev/null", omega_test_omega_bin()), 2);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "%s --backend 2>/dev/null", omega_test_omega_bin()), 2);
    rc = omega_test_sh(out, sizeof out, "%s --version", omega_test_omega_bin());
    CHECK(rc == 0 && strncmp(out, "omega ", 6) == 0);
    return 0;
}

OMEGA_TEST(core_labels_join)
{
    struct omega_labels acc, a, b;
    struct omega_error err = {0};
    json_t *ja = json_loads("{\"integrity\":\"trusted\",\"classes\":[\"PII\"],\"regions\":[\"EU\"],\"readers\":[\"alice\",\"bob\"]}", 0, NULL);
    json_t *jb = json_loads("{\"integrity\":\"untrusted\",\"classes\":[\"PHI\",\"PII\"],\"regions\":[\"US\"],\"readers\":[\"bob\",\"carol\"]}", 0, NULL);
    CHECK(ja && jb);
    CHECK(omega_labels_from_json(&a, ja, &err) == 0 && omega_labels_from_json(&b, jb, &err) == 0);
    omega_labels_init(&acc);
    CHECK(omega_labels_join(&acc, &a) == 0);
    CHECK(!acc.untrusted && !acc.readers_any && acc.readers.n == 2);
    CHECK(omega_labels_join(&acc, &b) == 0);
    CHECK(acc.untrusted);                                               /* untrusted wins */
    CHECK(acc.classes.n == 2 && omega_label_set_has(&acc.classes, "PHI") && omega_label_set_has(&acc.classes, "PII"));
    CHECK(acc.regions.n == 2);                                          /* regions unite */
    CHECK(acc.readers.n == 1 && omega_label_set_has(&acc.readers, "bob")); /* readers intersect */
    json_t *back = omega_labels_to_json(&acc);
    char *s = json_dumps(back, JSON_COMPACT);
    CHECK_STR(s, "{\"integrity\":\"untrusted\",\"classes\":[\"PHI\",\"PII\"],\"regions\":[\"EU\",\"US\"],\"readers\":[\"bob\"]}");
    free(s);
    json_decref(back);
    json_t *bad = json_loads("{\"integrity\":\"maybe\"}", 0, NULL);
    CHECK(omega_labels_from_json(&a, bad, &err) == OMEGA_EFORMAT);
    json_decref(bad);
    json_decref(ja);
    json_decref(jb);
    return 0;
}
