/* The monitor's per-action steps beside the decision: the label join (merged in place) and the I/O
 * digest (one buffer instead of an update per field). Both must give exactly what the plain
 * definitions give: a join that is the set union/intersection, a digest equal to SHA-256 over the
 * length-prefixed fields streamed one by one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "core/labels.h"
#include "core/monitor.h"
#include "tests/test.h"

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A random subset of a 24-name universe, at most max names. */
static void random_set(struct omega_label_set *s, uint64_t *r, unsigned max)
{
    memset(s, 0, sizeof *s);
    unsigned n = (unsigned)(rnd(r) % (max + 1));
    for (unsigned i = 0; i < n; i++) {
        char name[8];
        snprintf(name, sizeof name, "c%02u", (unsigned)(rnd(r) % 24));
        if (omega_label_set_add(s, name))
            return;
    }
}

static int set_equal(const struct omega_label_set *a, const struct omega_label_set *b)
{
    if (a->n != b->n)
        return 0;
    for (uint32_t i = 0; i < a->n; i++)
        if (strcmp(a->name[i], b->name[i]) != 0)
            return 0;
    return 1;
}

OMEGA_TEST(monitor_labels_join_matches_sets)
{
    uint64_t r = 0x1abe1;
    for (int iter = 0; iter < 20000; iter++) {
        struct omega_labels acc, in;
        omega_labels_init(&acc);
        omega_labels_init(&in);
        random_set(&acc.classes, &r, 12);
        random_set(&in.classes, &r, 12);
        random_set(&acc.regions, &r, 4);
        random_set(&in.regions, &r, 4);
        random_set(&acc.readers, &r, 6);
        random_set(&in.readers, &r, 6);
        acc.readers_any = rnd(&r) % 2;
        in.readers_any = rnd(&r) % 2;
        /* The expected join, one name at a time through the sorted insert. */
        struct omega_labels want = acc;
        int over = 0;
        for (uint32_t i = 0; i < in.classes.n; i++)
            over |= omega_label_set_add(&want.classes, in.classes.name[i]) != 0;
        for (uint32_t i = 0; i < in.regions.n; i++)
            over |= omega_label_set_add(&want.regions, in.regions.name[i]) != 0;
        if (!in.readers_any) {
            struct omega_label_set rd = {0};
            for (uint32_t i = 0; i < in.readers.n; i++)
                if (acc.readers_any || omega_label_set_has(&acc.readers, in.readers.name[i]))
                    CHECK(omega_label_set_add(&rd, in.readers.name[i]) == 0);
            want.readers = rd;
            want.readers_any = 0;
        }
        struct omega_labels before = acc;
        int rc = omega_labels_join(&acc, &in);
        if (over) {
            CHECK(rc == OMEGA_EQUOTA);
            CHECK(memcmp(&acc, &before, sizeof acc) == 0);   /* unchanged */
            continue;
        }
        CHECK(rc == 0);
        CHECK(set_equal(&acc.classes, &want.classes) && set_equal(&acc.regions, &want.regions));
        CHECK(acc.readers_any == want.readers_any);
        CHECK(acc.readers_any || set_equal(&acc.readers, &want.readers));
        CHECK(acc.untrusted == (before.untrusted | in.untrusted));
    }
    return 0;
}

static void digest_streamed(const char *agent, const char *method, const char *target, const void *p, size_t n,
                            uint8_t out[32])
{
    SHA256_CTX h;
    SHA256_Init(&h);
    const void *fp[4] = {agent, method, target, p};
    size_t fl[4] = {strlen(agent), strlen(method), strlen(target), n};
    for (int f = 0; f < 4; f++) {
        uint8_t len[8];
        for (int i = 0; i < 8; i++)
            len[i] = (uint8_t)((uint64_t)fl[f] >> (8 * i));
        SHA256_Update(&h, len, 8);
        SHA256_Update(&h, fp[f], fl[f]);
    }
    SHA256_Final(out, &h);
}

OMEGA_TEST(monitor_io_digest_definition)
{
    static char big[5000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    big[sizeof big - 1] = 0;
    /* Sizes around the one-buffer limit, for the payload and for a long target. */
    static const size_t sizes[] = {0, 1, 55, 64, 200, 983, 984, 985, 999, 1000, 1016, 1017, 1024, 3000, 4999};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint8_t a[32], b[32];
        omega_monitor_io_digest("agent7", "tools/call", "pay", big, sizes[i], a);
        digest_streamed("agent7", "tools/call", "pay", big, sizes[i], b);
        CHECK_MSG(memcmp(a, b, 32) == 0, "payload of %zu bytes", sizes[i]);
        char target[1200];
        size_t tl = sizes[i] < sizeof target ? sizes[i] : sizeof target - 1;
        memcpy(target, big, tl);
        target[tl] = 0;
        omega_monitor_io_digest("a", "read", target, "x", 1, a);
        digest_streamed("a", "read", target, "x", 1, b);
        CHECK_MSG(memcmp(a, b, 32) == 0, "target of %zu bytes", tl);
    }
    return 0;
}
