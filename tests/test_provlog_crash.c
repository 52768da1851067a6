/* Crash test: a writer child is killed with SIGKILL at a random point; every record it acknowledged
 * (reported to the parent through a pipe before the record call's caller would see it) must be in
 * the log after recovery, with the content written, and the recovered log must verify. Some runs
 * also append garbage to the last segment, as an interrupted write that reached the disk in part
 * would leave it. Runs continue the same log a few times (restart after restart). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "attest/provlog.h"
#include "attest/provlog_gen.h"
#include "core/util.h"
#include "tests/test.h"
#include "tests/test_provlog.h"

struct ack {
    uint64_t seq;
    uint32_t run, ordinal;
};

static void child(const char *dir, EVP_PKEY *key, int fd, uint32_t run, int batch)
{
    struct omega_provlog_config cfg;
    omega_provlog_config_defaults(&cfg);
    cfg.mode = batch ? OMEGA_PROVLOG_BATCH : OMEGA_PROVLOG_SYNC;
    cfg.commit_ms = 1;
    cfg.checkpoint_ms = 3;
    cfg.checkpoint_records = 200;
    cfg.segment_bytes = 16384;      /* roll-overs happen, so crashes hit them too */
    cfg.io_digest = run & 1;
    struct omega_provlog *log;
    struct omega_error err = {0};
    if (omega_provlog_open(&log, dir, &cfg, key, &err) < 0) {
        fprintf(stderr, "child open: %s\n", err.msg);
        _exit(3);
    }
    struct pl_gen *g = malloc(sizeof *g);
    pl_gen_init(g, 50, 1000, run);
    /* Batch mode acknowledges groups of decisions, as a runtime with many agents in flight does. */
    struct ack pend[16];
    int npend = 0;
    for (uint32_t i = 0;; i++) {
        struct omega_action a;
        struct omega_decision d;
        uint8_t io[32];
        struct ack k = {0, run, i};
        pl_gen_next(g, &a, &d, io);
        if (omega_provlog_record(log, &a, &d, io, &k.seq) < 0)
            _exit(4);
        pend[npend++] = k;
        if (batch && npend < 16)
            continue;
        if (batch && omega_provlog_wait(log, k.seq) < 0)
            _exit(5);
        /* Acknowledged: tell the parent before anyone could act on it. */
        if (write(fd, pend, (size_t)npend * sizeof k) != (ssize_t)((size_t)npend * sizeof k))
            _exit(6);
        npend = 0;
    }
}

static int check_record(struct omega_provlog_view *v, const struct ack *k, struct pl_gen *g, uint32_t *gen_at)
{
    struct omega_action a;
    struct omega_decision d;
    uint8_t io[32];
    while (*gen_at <= k->ordinal) {
        pl_gen_next(g, &a, &d, io);
        (*gen_at)++;
    }
    json_t *j = omega_provlog_view_leaf_json(v, k->seq);
    CHECK_MSG(j, "acknowledged record %" PRIu64 " is missing", k->seq);
    const char *agent = json_string_value(json_object_get(j, "agent"));
    const char *res = json_string_value(json_object_get(j, "resource"));
    const char *dec = json_string_value(json_object_get(j, "decision"));
    int ok = agent && res && dec && strcmp(agent, a.agent) == 0 && strcmp(res, a.target) == 0 &&
             strcmp(dec, omega_verdict_name(d.verdict)) == 0;
    json_decref(j);
    CHECK_MSG(ok, "record %" PRIu64 " (run %u, #%u) differs from what was acknowledged", k->seq, k->run, k->ordinal);
    return 0;
}

static int crash_runs(int runs, unsigned seed)
{
    EVP_PKEY *key = provlog_test_key();
    CHECK(key);
    srand(seed);
    char dir[1024];
    struct ack *acks = NULL;
    size_t nacks = 0, cap = 0;
    uint64_t total_acked = 0, torn_runs = 0;
    int chain = 0, gen = 0;
    for (int run = 1; run <= runs; run++) {
        if (chain == 0) {
            snprintf(dir, sizeof dir, "%s/crash%d", omega_test_tmpdir(), gen++);
            nacks = 0;
            chain = 1 + rand() % 5;
        }
        chain--;
        int p[2];
        CHECK(pipe(p) == 0);
        fflush(stdout);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            child(dir, key, p[1], (uint32_t)run, run % 3 != 0);
        }
        close(p[1]);
        /* Kill at a random point: early (while opening and recovering) or mid-stream. */
        int us = rand() % 4 == 0 ? rand() % 3000 : 2000 + rand() % 60000;
        struct timespec ts = {0, us * 1000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int st;
        CHECK(waitpid(pid, &st, 0) == pid);
        CHECK_MSG(WIFSIGNALED(st), "writer child exited with %d before it was killed", WEXITSTATUS(st));
        struct ack k;
        ssize_t r;
        while ((r = read(p[0], &k, sizeof k)) == (ssize_t)sizeof k) {
            if (nacks == cap) {
                cap = cap ? cap * 2 : 4096;
                acks = realloc(acks, cap * sizeof *acks);
                CHECK(acks);
            }
            acks[nacks++] = k;
            total_acked++;
        }
        close(p[0]);
        /* Half the runs: the tail of an interrupted write that reached the disk in part. */
        if (rand() % 2) {
            char seg[1200];
            for (int s = 999; s >= 0; s--) {
                snprintf(seg, sizeof seg, "%s/%08d.seg", dir, s);
                if (access(seg, F_OK) == 0)
                    break;
            }
            int fd = open(seg, O_WRONLY | O_APPEND);
            if (fd >= 0) {
                uint8_t junk[200];
                size_t n = 1 + (size_t)(rand() % 200);
                for (size_t i = 0; i < n; i++)
                    junk[i] = (uint8_t)rand();
                CHECK(write(fd, junk, n) == (ssize_t)n);
                close(fd);
                torn_runs++;
            }
        }
        /* Recover (the next writer's open), then verify from scratch. */
        struct omega_provlog_config cfg;
        omega_provlog_config_defaults(&cfg);
        cfg.threaded = 0;
        struct omega_provlog *log;
        struct omega_error err = {0};
        if (access(dir, F_OK) != 0)
            continue;   /* killed before it made the folder: nothing acknowledged */
        CHECK_MSG(omega_provlog_open(&log, dir, &cfg, key, &err) == 0, "run %d: recovery failed: %s", run, err.msg);
        CHECK(omega_provlog_close(log, &err) == 0);
        struct omega_provlog_view *v;
        CHECK(omega_provlog_view_open(&v, dir, key, &err) == 0);
        struct omega_provlog_report rep;
        omega_provlog_report_get(v, 0, &rep);
        CHECK_MSG(rep.intact, "run %d: recovered log does not verify: %s", run, rep.problem);
        /* Every acknowledged record of this folder's runs is there, as written. */
        struct pl_gen *g = malloc(sizeof *g);
        uint32_t cur_run = 0, gen_at = 0;
        for (size_t i = 0; i < nacks; i++) {
            if (acks[i].run != cur_run) {
                cur_run = acks[i].run;
                pl_gen_init(g, 50, 1000, cur_run);
                gen_at = 0;
            }
            CHECK_MSG(acks[i].seq < rep.leaves, "run %d: acknowledged seq %" PRIu64 " lost (log has %" PRIu64 " leaves)",
                      run, acks[i].seq, rep.leaves);
            if (check_record(v, &acks[i], g, &gen_at) != 0) {
                free(g);
                return OMEGA_TEST_FAILED;
            }
        }
        free(g);
        omega_provlog_view_free(v);
    }
    printf("%d crash runs, %" PRIu64 " acknowledged records checked, %" PRIu64 " runs with a torn tail added\n", runs,
           total_acked, torn_runs);
    CHECK(total_acked > 0);
    free(acks);
    EVP_PKEY_free(key);
    return 0;
}

OMEGA_TEST_TIMEOUT(provlog_crash_recovery, 120)
{
    return crash_runs(30, 1);
}

OMEGA_TEST_LONG(provlog_crash_recovery_1000, 3600)
{
    return crash_runs(1000, 2);
}
