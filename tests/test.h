/* The test runner's interface: tests register themselves (OMEGA_TEST), so a part adds a test file
 * without touching a central table. Each test runs in its own child process with a time limit. */
#ifndef OMEGA_TEST_H
#define OMEGA_TEST_H

#include <stdio.h>
#include <string.h>

struct omega_test {
    const char *name;
    const char *file;
    int (*fn)(void);
    int flags;          /* OMEGA_TEST_F_LONG: only with --long (make check-long) */
    int timeout_s;
    struct omega_test *next;
};

enum { OMEGA_TEST_F_LONG = 1 };
#define OMEGA_TEST_PASS 0
#define OMEGA_TEST_FAILED 1
#define OMEGA_TEST_SKIPPED 77

/* Register a test (called by the OMEGA_TEST constructors). */
void omega_test_register(struct omega_test *t);
/* Mark the running test skipped with a reason (e.g. "needs: cuda (no device)"); returns OMEGA_TEST_SKIPPED. */
int omega_test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report a failed check (used by CHECK). */
void omega_test_fail_at(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Directory of the source tree's test data (tests/data) and of ../shared/testdata, and a scratch dir. */
const char *omega_test_srcdir(void);
const char *omega_test_tmpdir(void);
/* Path of the built omega binary, for tests that run the command line. */
const char *omega_test_omega_bin(void);
/* Run a shell command; returns its exit status; stdout captured into out (may be NULL). */
int omega_test_sh(char *out, size_t outlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define OMEGA_TEST_DEFINE(fn_, flags_, timeout_)                                                 \
    static int fn_(void);                                                                        \
    static struct omega_test omega_t_##fn_ = {#fn_, __FILE__, fn_, flags_, timeout_, NULL};      \
    __attribute__((constructor)) static void omega_treg_##fn_(void) { omega_test_register(&omega_t_##fn_); } \
    static int fn_(void)

/* A test: body returns OMEGA_TEST_PASS, or fails through CHECK. */
#define OMEGA_TEST(fn_) OMEGA_TEST_DEFINE(fn_, 0, 0)
/* A test with its own time limit in seconds (default 60). */
#define OMEGA_TEST_TIMEOUT(fn_, secs_) OMEGA_TEST_DEFINE(fn_, 0, secs_)
/* A test that runs only in make check-long. */
#define OMEGA_TEST_LONG(fn_, secs_) OMEGA_TEST_DEFINE(fn_, OMEGA_TEST_F_LONG, secs_)

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            omega_test_fail_at(__FILE__, __LINE__, "CHECK(%s)", #cond);                          \
            return OMEGA_TEST_FAILED;                                                            \
        }                                                                                        \
    } while (0)
#define CHECK_MSG(cond, ...)                                                                     \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            omega_test_fail_at(__FILE__, __LINE__, __VA_ARGS__);                                 \
            return OMEGA_TEST_FAILED;                                                            \
        }                                                                                        \
    } while (0)
#define CHECK_EQ_INT(a, b)                                                                       \
    do {                                                                                         \
        long long a_ = (long long)(a), b_ = (long long)(b);                                      \
        if (a_ != b_) {                                                                          \
            omega_test_fail_at(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, a_, #b, b_); \
            return OMEGA_TEST_FAILED;                                                            \
        }                                                                                        \
    } while (0)
#define CHECK_STR(a, b)                                                                          \
    do {                                                                                         \
        const char *a_ = (a), *b_ = (b);                                                         \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                 \
            omega_test_fail_at(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
            return OMEGA_TEST_FAILED;                                                            \
        }                                                                                        \
    } while (0)

#endif
