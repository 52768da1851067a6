/* The provlog suite: log size per 1,000 decisions of 100 agents (with and without the per-call I/O
 * digest, and over a range of decision rates), append rate in batch and sync mode with real fsync,
 * and inclusion proof generation + verification per record. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "attest/provlog.h"
#include "attest/provlog_gen.h"
#include "bench/bench.h"
#include "core/buf.h"
#include "core/cli.h"
#include "core/util.h"

struct ctx {
    struct omega_bench *b;
    EVP_PKEY *key;
    char root[1024];
    int seq;
};

static double now_s(void)
{
    return (double)omega_now_ns() / 1e9;
}

static double thread_cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void fresh_dir(struct ctx *c, char *out, size_t n)
{
    snprintf(out, n, "%s/log%d", c->root, c->seq++);
}

static void rm_rf(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "omega bench provlog: could not remove %s\n", dir);
}

static uint64_t dir_bytes(const char *dir)
{
    uint64_t total = 0;
    for (unsigned s = 0;; s++) {
        char p[1200];
        struct stat st;
        snprintf(p, sizeof p, "%s/%08u.seg", dir, s);
        if (stat(p, &st) < 0)
            break;
        total += (uint64_t)st.st_size;
    }
    return total;
}

/* Bytes per 1,000 decisions: `ops` decisions at `rate` per second on a virtual clock, so commits
 * (every 10 ms) and checkpoints (every second) fall where they would in a real run of that length. */
static int size_run(struct ctx *c, uint64_t ops, double rate, int digest, double *per1k)
{
    char dir[1100];
    fresh_dir(c, dir, sizeof dir);
    struct pl_gen *g = malloc(sizeof *g);
    if (!g)
        return -1;
    pl_gen_init(g, 100, rate, 42);
    struct omega_provlog_config cfg;
    omega_provlog_config_defaults(&cfg);
    cfg.mode = OMEGA_PROVLOG_BATCH;
    cfg.threaded = 0;
    cfg.fsync = 0;   /* bytes do not depend on it; the clock is virtual */
    cfg.io_digest = digest;
    cfg.clock_ms = pl_gen_clock_ms;
    cfg.clock_arg = g;
    struct omega_provlog *log;
    struct omega_error err = {0};
    int rc = omega_provlog_open(&log, dir, &cfg, c->key, &err);
    for (uint64_t i = 0; rc == 0 && i < ops; i++) {
        struct omega_action a;
        struct omega_decision d;
        uint8_t io[32];
        uint64_t seq;
        pl_gen_next(g, &a, &d, io);
        rc = omega_provlog_record(log, &a, &d, io, &seq);
    }
    if (rc == 0)
        rc = omega_provlog_close(log, &err);
    if (rc < 0)
        fprintf(stderr, "omega bench provlog: %s\n", err.msg);
    *per1k = (double)dir_bytes(dir) * 1000.0 / (double)ops;
    free(g);
    rm_rf(dir);
    return rc;
}

struct decision_set {
    struct pl_gen g;
    struct omega_action *a;
    struct omega_decision *d;
    uint8_t (*io)[32];
    size_t n;
};

static int decisions_make(struct decision_set *s, size_t n)
{
    pl_gen_init(&s->g, 100, 1000, 7);
    s->a = malloc(n * sizeof *s->a);
    s->d = malloc(n * sizeof *s->d);
    s->io = malloc(n * 32);
    if (!s->a || !s->d || !s->io)
        return -1;
    for (size_t i = 0; i < n; i++)
        pl_gen_next(&s->g, &s->a[i], &s->d[i], s->io[i]);
    s->n = n;
    return 0;
}

static void decisions_free(struct decision_set *s)
{
    free(s->a);
    free(s->d);
    free(s->io);
}

/* Batch mode, one appending thread, the committer thread writing and fsyncing behind it. */
static int batch_run(struct ctx *c, struct decision_set *s, int digest, double *rate, double *cpu_ns, char *keep_dir,
                     size_t kl)
{
    char dir[1100];
    fresh_dir(c, dir, sizeof dir);
    struct omega_provlog_config cfg;
    omega_provlog_config_defaults(&cfg);
    cfg.mode = OMEGA_PROVLOG_BATCH;
    cfg.io_digest = digest;
    struct omega_provlog *log;
    struct omega_error err = {0};
    if (omega_provlog_open(&log, dir, &cfg, c->key, &err) < 0) {
        fprintf(stderr, "omega bench provlog: %s\n", err.msg);
        return -1;
    }
    int rc = 0;
    uint64_t seq = 0;
    double t0 = now_s(), c0 = thread_cpu_s();
    for (size_t i = 0; rc == 0 && i < s->n; i++)
        rc = omega_provlog_record(log, &s->a[i], &s->d[i], s->io[i], &seq);
    if (rc == 0)
        rc = omega_provlog_wait(log, seq);   /* the last record durable: everything is */
    double t1 = now_s(), c1 = thread_cpu_s();
    if (omega_provlog_close(log, &err) < 0 || rc < 0) {
        fprintf(stderr, "omega bench provlog: batch run failed: %s\n", err.msg);
        rm_rf(dir);
        return -1;
    }
    *rate = (double)s->n / (t1 - t0);
    *cpu_ns = (c1 - c0) * 1e9 / (double)s->n;
    if (keep_dir)
        snprintf(keep_dir, kl, "%s", dir);
    else
        rm_rf(dir);
    return 0;
}

struct sync_arg {
    struct omega_provlog *log;
    struct decision_set *s;
    size_t from;
    double until;
    uint64_t done;
    int rc;
};

static void *sync_worker(void *p)
{
    struct sync_arg *a = p;
    for (size_t i = a->from; now_s() < a->until; i++) {
        uint64_t seq;
        size_t k = i % a->s->n;
        if ((a->rc = omega_provlog_record(a->log, &a->s->a[k], &a->s->d[k], a->s->io[k], &seq)) < 0)
            break;
        a->done++;
    }
    return NULL;
}

/* Sync mode: each call returns once its record is durable; threads share fsyncs (group commit). */
static int sync_run(struct ctx *c, struct decision_set *s, int threads, double seconds, double *rate)
{
    char dir[1100];
    fresh_dir(c, dir, sizeof dir);
    struct omega_provlog_config cfg;
    omega_provlog_config_defaults(&cfg);
    cfg.mode = OMEGA_PROVLOG_SYNC;
    struct omega_provlog *log;
    struct omega_error err = {0};
    if (omega_provlog_open(&log, dir, &cfg, c->key, &err) < 0)
        return -1;
    struct sync_arg args[64];
    pthread_t th[64];
    double t0 = now_s();
    for (int i = 0; i < threads; i++) {
        args[i] = (struct sync_arg){log, s, (size_t)i * 1000, t0 + seconds, 0, 0};
        pthread_create(&th[i], NULL, sync_worker, &args[i]);
    }
    uint64_t total = 0;
    int rc = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        total += args[i].done;
        if (args[i].rc < 0)
            rc = -1;
    }
    double t1 = now_s();
    if (omega_provlog_close(log, &err) < 0)
        rc = -1;
    rm_rf(dir);
    *rate = (double)total / (t1 - t0);
    return rc;
}

/* Inclusion proof generation + verification for random records of a log read back from disk. */
static int proof_run(const char *dir, EVP_PKEY *key, int batches, double *samples, uint64_t *tree_size, double *cpu_us)
{
    struct omega_provlog_view *v;
    struct omega_error err = {0};
    if (omega_provlog_view_open(&v, dir, key, &err) < 0) {
        fprintf(stderr, "omega bench provlog: %s\n", err.msg);
        return -1;
    }
    uint64_t n = omega_provlog_view_leaves(v);
    uint8_t root[32], proof[64][32], h[32];
    if (omega_provlog_view_root(v, n, root) < 0) {
        omega_provlog_view_free(v);
        return -1;
    }
    uint64_t x = 88172645463325252ull;
    int rc = 0;
    double cpu0 = 0;
    for (int b = 0; b < batches + 2 && rc == 0; b++) {
        if (b == 2)
            cpu0 = thread_cpu_s();
        double t0 = now_s();
        for (int k = 0; k < 1000; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            uint64_t i = x % n;
            const uint8_t *p;
            size_t len, pn;
            if (omega_provlog_view_leaf(v, i, &p, &len) < 0 || omega_provlog_view_prove(v, i, n, proof, &pn) < 0) {
                rc = -1;
                break;
            }
            omega_provlog_leaf_hash(p, len, h);
            if (omega_provlog_verify_inclusion(h, i, n, (const uint8_t(*)[32])proof, pn, root) != 0) {
                fprintf(stderr, "omega bench provlog: proof of leaf %" PRIu64 " does not verify\n", i);
                rc = -1;
                break;
            }
        }
        if (b >= 2)   /* two warm-up batches */
            samples[b - 2] = (now_s() - t0) * 1e6 / 1000.0;
    }
    *cpu_us = (thread_cpu_s() - cpu0) * 1e6 / (1000.0 * batches);
    *tree_size = n;
    omega_provlog_view_free(v);
    return rc;
}

static void usage(void)
{
    printf("usage: omega bench provlog [--quick] [--json] [--dir DIR] [--ops N]\n"
           "  --dir DIR   where the logs are written (default: a fresh folder under $TMPDIR or /tmp);\n"
           "              the append rates with fsync depend on its file system and device\n"
           "  --ops N     decisions for the size figures (default 1000000, also with --quick;\n"
           "              the size-against-rate points use N/5 each)\n");
}

int omega_bench_provlog(struct omega_bench *b, int argc, char **argv)
{
    const char *where = NULL;
    uint64_t ops = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            where = argv[++i];
        else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc)
            ops = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage();
            return 0;
        } else
            return omega_cli_usage("bench provlog", "unknown option '%s'", argv[i]);
    }
    int quick = omega_bench_quick(b);
    /* The size is one deterministic figure, so --quick keeps the full 10^6 decisions: at 10^5 the
     * first-seen symbols still weigh more than they do in any log that runs a while. */
    if (!ops)
        ops = 1000000;
    struct ctx c = {.b = b};
    const char *tmp = where ? where : getenv("TMPDIR");
    snprintf(c.root, sizeof c.root, "%s/omega-provlog-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(c.root)) {
        fprintf(stderr, "omega bench provlog: cannot make a folder under %s\n", tmp && *tmp ? tmp : "/tmp");
        return OMEGA_EXIT_USAGE;
    }
    c.key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    int rc = OMEGA_EXIT_INTERNAL;
    struct decision_set s = {0};
    double *samples = NULL;
    if (!c.key)
        goto out;

    /* ---- size ---- */
    double per1k[2];
    for (int dg = 0; dg < 2; dg++) {
        omega_bench_progress(b, "size", (size_t)dg, 2);
        if (size_run(&c, ops, 1000, dg, &per1k[dg]) < 0)
            goto out;
        json_t *p = json_pack("{s:i, s:I, s:i, s:i, s:i, s:b}", "agents", 100, "ops", (json_int_t)ops, "rate_per_s",
                              1000, "commit_ms", 10, "checkpoint_ms", 1000, "io_digest", dg);
        omega_bench_metric(b, &(struct omega_metric){
                                  .name = dg ? "log_bytes_per_1k_ops_digest" : "log_bytes_per_1k_ops",
                                  .unit = "bytes", .value = per1k[dg], .params = p, .better = OMEGA_LOWER_IS_BETTER,
                                  .kind = "measured",
                                  .note = dg ? "every record carries the call's 32-byte I/O digest"
                                             : "target <= 8192 (the starting summary claimed 12 KB); symbols, epochs, "
                                               "frames and signed checkpoints included"});
        json_decref(p);
    }
    /* Size against the decision rate: commits and checkpoints amortize over more records. */
    static const double all_rates[] = {100, 300, 1000, 3000, 10000, 30000}, quick_rates[] = {100, 1000, 10000};
    const double *rates = quick ? quick_rates : all_rates;
    size_t nrates = quick ? 3 : 6;
    struct omega_buf tab;
    omega_buf_init(&tab);
    (void)!omega_buf_printf(&tab, "# rate_per_s bytes_per_1k bytes_per_1k_digest (ops=%" PRIu64 ")\n", ops / 5);
    for (size_t i = 0; i < nrates; i++) {
        double x[2];
        omega_bench_progress(b, "size vs rate", i, nrates);
        if (size_run(&c, ops / 5, rates[i], 0, &x[0]) < 0 || size_run(&c, ops / 5, rates[i], 1, &x[1]) < 0) {
            omega_buf_fini(&tab);
            goto out;
        }
        (void)!omega_buf_printf(&tab, "%.0f %.1f %.1f\n", rates[i], x[0], x[1]);
    }
    omega_bench_file(b, "size_vs_rate.dat", (const char *)tab.data, tab.len);
    omega_buf_fini(&tab);
    omega_bench_plot(b, "size",
                     "set title 'Provenance log size, 100 agents'\nset xlabel 'decisions per second (all agents)'\n"
                     "set ylabel 'bytes per 1,000 decisions'\nset logscale x\nset key top right\nset grid\n"
                     "plot 'size_vs_rate.dat' using 1:2 with linespoints title 'records', "
                     "'size_vs_rate.dat' using 1:3 with linespoints title 'records + 32-byte I/O digest', "
                     "8192 with lines dashtype 2 title 'target 8 KB'");

    /* ---- append rate ---- */
    size_t nrec = quick ? 200000 : 1000000;
    int reps = quick ? 3 : 5;
    if (decisions_make(&s, nrec) < 0)
        goto out;
    samples = calloc(200, sizeof *samples);
    double cpu[8];
    char keep[1100] = "";
    for (int r = 0; r < reps; r++) {
        omega_bench_progress(b, "append batch", (size_t)r, (size_t)reps);
        if (batch_run(&c, &s, 0, &samples[r], &cpu[r], r == reps - 1 ? keep : NULL, sizeof keep) < 0)
            goto out;
    }
    double cpu_sorted = cpu[0];
    for (int r = 1; r < reps; r++)
        if (cpu[r] < cpu_sorted)
            cpu_sorted = cpu[r];
    char note[200];
    snprintf(note, sizeof note, "one appending thread; the committer thread writes and fsyncs; appender CPU %.0f ns/record (best run)",
             cpu_sorted);
    json_t *p = json_pack("{s:s, s:i, s:I, s:b, s:i}", "mode", "batch", "threads", 1, "records", (json_int_t)nrec,
                          "fsync", 1, "commit_ms", 10);
    omega_bench_metric(b, &(struct omega_metric){.name = "log_append_per_s", .unit = "1/s", .samples = samples,
                                                 .n = (size_t)reps, .params = p, .better = OMEGA_HIGHER_IS_BETTER,
                                                 .kind = "measured", .note = note});
    json_decref(p);
    double batch_rate = samples[0];
    struct omega_buf rt;
    omega_buf_init(&rt);
    {
        double srt[8];
        memcpy(srt, samples, (size_t)reps * sizeof *srt);
        struct omega_stats st;
        omega_stats_compute(srt, (size_t)reps, &st);
        batch_rate = st.p50;
    }
    (void)!omega_buf_printf(&rt, "# mode rate_per_s\n\"batch, 1 thread\" %.0f\n", batch_rate);
    static const int sync_threads[] = {1, 8};
    for (int k = 0; k < 2; k++) {
        int sreps = quick ? 2 : 3;
        for (int r = 0; r < sreps; r++) {
            omega_bench_progress(b, "append sync", (size_t)(k * sreps + r), (size_t)(2 * sreps));
            if (sync_run(&c, &s, sync_threads[k], quick ? 0.5 : 2.0, &samples[r]) < 0)
                goto out;
        }
        double srt[8];
        memcpy(srt, samples, (size_t)sreps * sizeof *srt);
        struct omega_stats st;
        omega_stats_compute(srt, (size_t)sreps, &st);
        (void)!omega_buf_printf(&rt, "\"sync, %d thread%s\" %.0f\n", sync_threads[k], sync_threads[k] > 1 ? "s" : "",
                                st.p50);
        p = json_pack("{s:s, s:i, s:b}", "mode", "sync", "threads", sync_threads[k], "fsync", 1);
        omega_bench_metric(b, &(struct omega_metric){.name = "log_append_per_s", .unit = "1/s", .samples = samples,
                                                     .n = (size_t)sreps, .params = p,
                                                     .better = OMEGA_HIGHER_IS_BETTER, .kind = "measured",
                                                     .note = "each call returns once its record is durable (fdatasync); "
                                                             "threads share fsyncs"});
        json_decref(p);
    }
    omega_bench_file(b, "append_rate.dat", (const char *)rt.data, rt.len);
    omega_buf_fini(&rt);
    omega_bench_plot(b, "rate",
                     "set title 'Provenance log append rate (fsync on)'\nset ylabel 'records per second'\n"
                     "set logscale y\nset style fill solid 0.6\nset boxwidth 0.6\nset grid y\nunset key\n"
                     "plot 'append_rate.dat' using 0:2:xtic(1) with boxes, 1000000 with lines dashtype 2");

    /* ---- proofs ---- */
    int batches = quick ? 30 : 100;
    uint64_t tree_size = 0;
    double proof_cpu = 0;
    omega_bench_progress(b, "proofs", 0, 1);
    if (proof_run(keep, c.key, batches, samples, &tree_size, &proof_cpu) < 0)
        goto out;
    char pnote[200];
    snprintf(pnote, sizeof pnote,
             "inclusion proof generation + verification of a random record (mean of 1,000 per sample, wall "
             "clock); CPU %.2f us per proof; target <= 10 us", proof_cpu);
    p = json_pack("{s:I}", "tree_size", (json_int_t)tree_size);
    omega_bench_metric(b, &(struct omega_metric){.name = "log_proof_us", .unit = "us", .samples = samples,
                                                 .n = (size_t)batches, .params = p, .better = OMEGA_LOWER_IS_BETTER,
                                                 .kind = "measured", .note = pnote});
    json_decref(p);
    omega_bench_progress(b, "proofs", 1, 1);
    rc = 0;
out:
    decisions_free(&s);
    free(samples);
    EVP_PKEY_free(c.key);
    rm_rf(c.root);
    return rc;
}
