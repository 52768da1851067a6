/* The one test runner: every registered test in its own child process, in parallel, with a time
 * limit; output kept and shown for failures; last line "N passed, N failed, N skipped". */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "tests/test.h"

#ifndef OMEGA_SRCDIR
#define OMEGA_SRCDIR "."
#endif

static struct omega_test *all_tests;
static size_t ntests;
static char tmp_root[400];
static char test_tmp[900];

void omega_test_register(struct omega_test *t)
{
    t->next = all_tests;
    all_tests = t;
    ntests++;
}

const char *omega_test_srcdir(void)
{
    const char *s = getenv("OMEGA_SRCDIR");
    return s && *s ? s : OMEGA_SRCDIR;
}

const char *omega_test_tmpdir(void) { return test_tmp; }

const char *omega_test_omega_bin(void)
{
    static char path[700];
    const char *s = getenv("OMEGA_BIN");
    if (s && *s)
        return s;
    snprintf(path, sizeof path, "%s/build/omega", omega_test_srcdir());
    return path;
}

int omega_test_skip(const char *fmt, ...)
{
    va_list ap;
    printf("SKIP: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    return OMEGA_TEST_SKIPPED;
}

void omega_test_fail_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    const char *b = strrchr(file, '/');
    printf("FAIL at %s:%d: ", b ? b + 1 : file, line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

int omega_test_sh(char *out, size_t outlen, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    fflush(stdout);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    size_t off = 0;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (out && off + 1 < outlen) {
            size_t c = n < outlen - 1 - off ? n : outlen - 1 - off;
            memcpy(out + off, buf, c);
            off += c;
        }
    }
    if (out && outlen)
        out[off] = 0;
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static int cmp_test(const void *a, const void *b)
{
    const struct omega_test *x = *(struct omega_test *const *)a, *y = *(struct omega_test *const *)b;
    int c = strcmp(x->file, y->file);
    return c ? c : strcmp(x->name, y->name);
}

struct slot {
    struct omega_test *t;
    pid_t pid;
    uint64_t start, deadline;
    char out[700];
};

static void print_file(const char *path, int indent)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[2048];
    int n = 0;
    while (fgets(line, sizeof line, f) && n++ < 200)
        printf("%*s%s", indent, "", line);
    fclose(f);
}

static void skip_reason(const char *path, char *out, size_t outlen)
{
    snprintf(out, outlen, "no reason given");
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "SKIP: ", 6) == 0) {
            line[strcspn(line, "\n")] = 0;
            snprintf(out, outlen, "%.500s", line + 6);
        }
    fclose(f);
}

static void rm_rf(const char *path)
{
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%.1000s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", path);
}

int main(int argc, char **argv)
{
    int want_long = 0, only_long = 0, verbose = 0, list = 0, jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
    const char *filter[32];
    int nfilter = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--long") == 0) want_long = 1;
        else if (strcmp(argv[i], "--only-long") == 0) want_long = only_long = 1;
        else if (strcmp(argv[i], "-v") == 0) verbose = 1;
        else if (strcmp(argv[i], "--list") == 0) list = 1;
        else if (strcmp(argv[i], "-j") == 0 && i + 1 < argc) jobs = atoi(argv[++i]);
        else if (strcmp(argv[i], "-k") == 0 && i + 1 < argc && nfilter < 32) filter[nfilter++] = argv[++i];
        else {
            fprintf(stderr, "usage: omega-tests [--long|--only-long] [-j N] [-k SUBSTR]... [-v] [--list]\n");
            return 2;
        }
    }
    if (jobs < 1)
        jobs = 1;
    struct omega_test **v = calloc(ntests ? ntests : 1, sizeof *v);
    size_t n = 0;
    for (struct omega_test *t = all_tests; t; t = t->next) {
        int is_long = t->flags & OMEGA_TEST_F_LONG;
        if ((is_long && !want_long) || (!is_long && only_long))
            continue;
        int ok = nfilter == 0;
        for (int k = 0; k < nfilter; k++)
            if (strstr(t->name, filter[k]) || strstr(t->file, filter[k]))
                ok = 1;
        if (ok)
            v[n++] = t;
    }
    qsort(v, n, sizeof *v, cmp_test);
    if (list) {
        for (size_t i = 0; i < n; i++)
            printf("%s  (%s)\n", v[i]->name, v[i]->file);
        free(v);
        return 0;
    }

    snprintf(tmp_root, sizeof tmp_root, "%s/omega-tests.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp_root)) {
        perror("mkdtemp");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct slot *slots = calloc((size_t)jobs, sizeof *slots);
    size_t next = 0, done = 0, passed = 0, failed = 0, skipped = 0;
    uint64_t t0 = omega_now_ns();
    while (done < n) {
        /* Start tests while there are free slots. */
        for (int s = 0; s < jobs && next < n; s++) {
            if (slots[s].t)
                continue;
            struct omega_test *t = v[next++];
            struct slot *sl = &slots[s];
            sl->t = t;
            snprintf(sl->out, sizeof sl->out, "%.400s/%.200s.out", tmp_root, t->name);
            sl->start = omega_now_ns();
            sl->deadline = sl->start + (uint64_t)(t->timeout_s ? t->timeout_s : 60) * 1000000000ull;
            fflush(stdout);
            pid_t pid = fork();
            if (pid == 0) {
                setpgid(0, 0);  /* its own group, so a timeout kills whatever it started */
                int fd = open(sl->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                if (fd >= 0) {
                    dup2(fd, 1);
                    dup2(fd, 2);
                    close(fd);
                }
                snprintf(test_tmp, sizeof test_tmp, "%s/%s.d", tmp_root, t->name);
                mkdir(test_tmp, 0755);
                setvbuf(stdout, NULL, _IOLBF, 0);
                int rc = t->fn();
                fflush(stdout);
                _exit(rc == OMEGA_TEST_SKIPPED ? 77 : rc == 0 ? 0 : 1);
            }
            sl->pid = pid;
        }
        /* Reap one finished test, or kill one past its deadline. */
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid == 0) {
            uint64_t now = omega_now_ns();
            for (int s = 0; s < jobs; s++)
                if (slots[s].t && now > slots[s].deadline) {
                    kill(-slots[s].pid, SIGKILL);
                    kill(slots[s].pid, SIGKILL);
                    slots[s].deadline = UINT64_MAX;
                    FILE *f = fopen(slots[s].out, "a");
                    if (f) {
                        fprintf(f, "FAIL: timed out after %d s\n", slots[s].t->timeout_s ? slots[s].t->timeout_s : 60);
                        fclose(f);
                    }
                }
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        struct slot *sl = NULL;
        for (int s = 0; s < jobs; s++)
            if (slots[s].t && slots[s].pid == pid)
                sl = &slots[s];
        if (!sl)
            continue;  /* a grandchild reparented to us */
        kill(-pid, SIGKILL);  /* leftovers of the test's own group */
        double ms = (double)(omega_now_ns() - sl->start) / 1e6;
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (code == 0) {
            passed++;
            printf("PASS  %-44s %8.0f ms\n", sl->t->name, ms);
            if (verbose)
                print_file(sl->out, 6);
        } else if (code == 77) {
            char why[512];
            skip_reason(sl->out, why, sizeof why);
            skipped++;
            printf("SKIP  %-44s %s\n", sl->t->name, why);
        } else {
            failed++;
            if (WIFSIGNALED(status))
                printf("FAIL  %-44s %8.0f ms (killed by signal %d)\n", sl->t->name, ms, WTERMSIG(status));
            else
                printf("FAIL  %-44s %8.0f ms\n", sl->t->name, ms);
            print_file(sl->out, 6);
        }
        fflush(stdout);
        sl->t = NULL;
        done++;
    }
    printf("(%zu tests in %.1f s)\n", n, (double)(omega_now_ns() - t0) / 1e9);
    printf("%zu passed, %zu failed, %zu skipped\n", passed, failed, skipped);
    if (!getenv("OMEGA_KEEP_TMP"))
        rm_rf(tmp_root);
    free(slots);
    free(v);
    return failed ? 1 : 0;
}
