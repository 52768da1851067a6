/* Benchmark runs: statistics, and the result files every suite writes (DESIGN.md, outside contracts):
 * results/<suite>/<run-id>/: summary.json, summary.csv, machine.json, samples/ (CSV), plots (.gp, .png, .svg). */
#ifndef OMEGA_BENCH_H
#define OMEGA_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct omega_stats {
    size_t n;
    double min, max, mean, p50, p90, p99;
    double ci_lo, ci_hi;   /* 95% confidence interval of the median (order statistics) */
};

/* Statistics of n samples (the array is sorted in place). */
void omega_stats_compute(double *samples, size_t n, struct omega_stats *st);

struct omega_bench;

enum omega_better { OMEGA_LOWER_IS_BETTER, OMEGA_HIGHER_IS_BETTER };

struct omega_metric {
    const char *name;        /* e.g. "channel_rtt_us" */
    const char *unit;        /* "us", "ms", "bytes", "ratio", "1/s" ... */
    const double *samples;   /* raw samples (warm-up excluded), or NULL for a single value */
    size_t n;
    double value;            /* used when samples == NULL; else the median is the value */
    json_t *params;          /* borrowed; may be NULL ({"bytes": 64, ...}) */
    int has_baseline;
    double baseline;         /* the baseline's figure in the same unit, measured in the same run */
    enum omega_better better;
    const char *kind;        /* "measured" (default) or "modeled" */
    const char *note;        /* optional one line */
};

/* Add one metric (stats computed from samples; raw samples written to samples/<name>[_<params>].csv). */
int omega_bench_metric(struct omega_bench *b, const struct omega_metric *m);
/* Record a fact about the run in machine.json ("gpu", "driver", "model", ...); value borrowed/copied. */
void omega_bench_fact(struct omega_bench *b, const char *key, json_t *value);
/* Write a gnuplot script <name>.gp into the run folder and render <name>.png and <name>.svg from it.
 * The script refers to the run folder's files by relative path; the terminal lines are added here. */
int omega_bench_plot(struct omega_bench *b, const char *name, const char *script);
/* Write a text file into the run folder (data for plots, tables). */
int omega_bench_file(struct omega_bench *b, const char *name, const char *text, size_t len);
/* Path of the run folder (results/<suite>/<run-id>). */
const char *omega_bench_dir(const struct omega_bench *b);
/* Progress on a terminal (stderr); silent when stderr is not a tty. */
void omega_bench_progress(struct omega_bench *b, const char *what, size_t done, size_t total);
/* 1 when --quick was given (smaller sample counts, as make check uses). */
int omega_bench_quick(const struct omega_bench *b);
/* The backend the run uses ("emu", "cuda", "snp"). */
const char *omega_bench_backend(const struct omega_bench *b);

/* Machine description (hwloc topology summary, CPU, memory, kernel, GPU/driver, commit, configure line). */
json_t *omega_machine_describe(void);

/* Suites, one file each under bench/. Each parses its own options (after the common ones) and
 * adds its metrics; returns an exit status. */
typedef int (*omega_bench_suite_fn)(struct omega_bench *b, int argc, char **argv);
struct omega_bench_suite {
    const char *name;
    omega_bench_suite_fn run;
    const char *summary;
};
int omega_bench_isolation(struct omega_bench *b, int argc, char **argv);
int omega_bench_policy(struct omega_bench *b, int argc, char **argv);
int omega_bench_attest(struct omega_bench *b, int argc, char **argv);
int omega_bench_provlog(struct omega_bench *b, int argc, char **argv);
int omega_bench_llm(struct omega_bench *b, int argc, char **argv);
int omega_bench_toolcall(struct omega_bench *b, int argc, char **argv);
int omega_bench_multiagent(struct omega_bench *b, int argc, char **argv);
int omega_bench_paper(struct omega_bench *b, int argc, char **argv);
int omega_bench_null(struct omega_bench *b, int argc, char **argv);

#endif
