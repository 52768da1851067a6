/* The bench runner: common options, the suite table, result files and the machine description. */
#include "bench/bench.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "core/cli.h"
#include "core/util.h"
#ifdef CONFIG_HWLOC
#include <hwloc.h>
#endif

#include "commit.h"   /* OMEGA_BUILD_COMMIT, written by the Makefile */

static const struct omega_bench_suite suites[] = {
    {"isolation", omega_bench_isolation, "agent start-up, channel round trip, A2A vs HTTP, memory per agent"},
    {"policy", omega_bench_policy, "policy decision latency vs cedar-wasm, monitor path"},
    {"attest", omega_bench_attest, "SNP report/verify, GPU verify, differential evidence, model hashing"},
    {"provlog", omega_bench_provlog, "provenance log size, append rate, proofs"},
    {"llm", omega_bench_llm, "Llama-2 decode/prefill, CC overhead, density (GPU)"},
    {"toolcall", omega_bench_toolcall, "tool-calling agents end to end, with and without enforcement"},
    {"multiagent", omega_bench_multiagent, "agent graphs over the runtime vs HTTP"},
    {"paper", omega_bench_paper, "the paper's table and figures (make reproduce)"},
    {"null", omega_bench_null, "clock-read overhead; tests the bench runner itself"},
};

struct omega_bench {
    const char *suite;
    char run_id[64];
    char dir[1024];
    int json, quick, write;
    json_t *metrics;    /* array */
    json_t *facts;      /* object */
    int progress_shown;
};

const char *omega_bench_dir(const struct omega_bench *b) { return b->dir; }
int omega_bench_quick(const struct omega_bench *b) { return b->quick; }
const char *omega_bench_backend(const struct omega_bench *b)
{
    (void)b;
    return omega_opts.cfg.backend ? omega_opts.cfg.backend : "emu";
}


static void run_cmd_line(const char *cmd, char *out, size_t outlen)
{
    out[0] = 0;
    FILE *f = popen(cmd, "r");
    if (!f)
        return;
    if (!fgets(out, (int)outlen, f))
        out[0] = 0;
    pclose(f);
    out[strcspn(out, "\n")] = 0;
}

json_t *omega_machine_describe(void)
{
    json_t *m = json_object();
    char line[512] = "";
    /* CPU model */
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "model name", 10) == 0) {
                char *c = strchr(line, ':');
                if (c) {
                    c[strcspn(c, "\n")] = 0;
                    json_object_set_new(m, "cpu", json_string(c + 2));
                }
                break;
            }
        fclose(f);
    }
    json_object_set_new(m, "cpus_online", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    struct sysinfo si;
    if (sysinfo(&si) == 0)
        json_object_set_new(m, "memory_bytes", json_integer((json_int_t)si.totalram * si.mem_unit));
    struct utsname u;
    if (uname(&u) == 0) {
        char k[400];
        snprintf(k, sizeof k, "%s %s %s", u.sysname, u.release, u.machine);
        json_object_set_new(m, "kernel", json_string(k));
    }
#ifdef CONFIG_HWLOC
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) == 0 && hwloc_topology_load(topo) == 0) {
        json_t *t = json_object();
        json_object_set_new(t, "packages", json_integer(hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE)));
        json_object_set_new(t, "numa_nodes", json_integer(hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE)));
        json_object_set_new(t, "cores", json_integer(hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE)));
        json_object_set_new(t, "pus", json_integer(hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU)));
        hwloc_obj_t l3 = hwloc_get_obj_by_type(topo, HWLOC_OBJ_L3CACHE, 0);
        if (l3 && l3->attr)
            json_object_set_new(t, "l3_bytes", json_integer((json_int_t)l3->attr->cache.size));
        hwloc_obj_t l2 = hwloc_get_obj_by_type(topo, HWLOC_OBJ_L2CACHE, 0);
        if (l2 && l2->attr)
            json_object_set_new(t, "l2_bytes", json_integer((json_int_t)l2->attr->cache.size));
        json_object_set_new(m, "topology", t);
        hwloc_topology_destroy(topo);
    }
#else
    json_object_set_new(m, "topology", json_string("unavailable: built without hwloc"));
#endif
    /* GPU and driver, where an NVIDIA driver is present. */
    run_cmd_line("nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null", line,
                 sizeof line);
    json_object_set_new(m, "gpu", line[0] ? json_string(line) : json_string("none"));
    /* Commit: the build's, and the working tree's state now. */
    json_object_set_new(m, "build_commit", json_string(OMEGA_BUILD_COMMIT));
    /* A run on another machine (a GPU host given a copy of the tree, without its history) states the
     * source commit in OMEGA_SOURCE_COMMIT; otherwise ask git, and last the build's own. */
    const char *src = getenv("OMEGA_SOURCE_COMMIT");
    if (src && *src)
        snprintf(line, sizeof line, "%s", src);
    else
        run_cmd_line("git rev-parse HEAD 2>/dev/null", line, sizeof line);
    json_object_set_new(m, "commit", json_string(line[0] && strcmp(line, "HEAD") != 0 ? line : OMEGA_BUILD_COMMIT));
    /* Results written by this very run (the paper suite's sub-suites) do not make the source dirty. */
    run_cmd_line("git status --porcelain --untracked-files=no -- . ':!results' 2>/dev/null | head -c 1 | wc -c", line,
                 sizeof line);
    json_object_set_new(m, "dirty", json_boolean(atoi(line) > 0));
    json_object_set_new(m, "configure", json_string(OMEGA_CONFIGURE_LINE));
    json_object_set_new(m, "version", json_string(OMEGA_VERSION));
    char host[256] = "";
    gethostname(host, sizeof host);
    (void)host;  /* host names are not recorded: results travel with the repository */
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(m, "date", json_string(line));
    return m;
}

static void params_suffix(json_t *params, char *out, size_t outlen)
{
    out[0] = 0;
    if (!params)
        return;
    const char *k;
    json_t *v;
    size_t off = 0;
    json_object_foreach(params, k, v) {
        char val[64];
        if (json_is_integer(v)) snprintf(val, sizeof val, "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v)) snprintf(val, sizeof val, "%g", json_real_value(v));
        else if (json_is_string(v)) snprintf(val, sizeof val, "%s", json_string_value(v));
        else continue;
        for (char *c = val; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '-'))
                *c = '-';
        int w = snprintf(out + off, outlen - off, "_%s-%s", k, val);
        if (w < 0 || (size_t)w >= outlen - off)
            break;
        off += (size_t)w;
    }
}

static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

int omega_bench_metric(struct omega_bench *b, const struct omega_metric *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(m->name));
    json_object_set_new(o, "unit", json_string(m->unit ? m->unit : ""));
    double value = m->value;
    if (m->samples && m->n) {
        double *s = malloc(m->n * sizeof *s);
        if (!s) {
            json_decref(o);
            return -1;
        }
        memcpy(s, m->samples, m->n * sizeof *s);
        struct omega_stats st;
        omega_stats_compute(s, m->n, &st);
        free(s);
        value = st.p50;
        json_object_set_new(o, "value", num(st.p50));
        json_object_set_new(o, "p50", num(st.p50));
        json_object_set_new(o, "p90", num(st.p90));
        json_object_set_new(o, "p99", num(st.p99));
        json_object_set_new(o, "mean", num(st.mean));
        json_object_set_new(o, "min", num(st.min));
        json_object_set_new(o, "max", num(st.max));
        json_object_set_new(o, "ci95", json_pack("[o,o]", num(st.ci_lo), num(st.ci_hi)));
        json_object_set_new(o, "n", json_integer((json_int_t)m->n));
        if (b->write) {
            char suffix[256], path[1400];
            params_suffix(m->params, suffix, sizeof suffix);
            snprintf(path, sizeof path, "%s/samples", b->dir);
            omega_mkdir_p(path);
            snprintf(path, sizeof path, "%s/samples/%s%s.csv", b->dir, m->name, suffix);
            FILE *f = fopen(path, "w");
            if (f) {
                fprintf(f, "%s\n", m->unit ? m->unit : "value");
                for (size_t i = 0; i < m->n; i++)
                    fprintf(f, "%.9g\n", m->samples[i]);
                fclose(f);
            }
        }
    } else {
        json_object_set_new(o, "value", num(value));
        json_object_set_new(o, "p50", num(value));
        json_object_set_new(o, "p99", json_null());
        json_object_set_new(o, "n", json_integer(1));
    }
    json_object_set_new(o, "params", m->params ? json_deep_copy(m->params) : json_object());
    if (m->has_baseline) {
        json_object_set_new(o, "baseline", num(m->baseline));
        /* ratio: how many times better than the baseline (>1 means Omega is better). */
        double r = m->better == OMEGA_LOWER_IS_BETTER ? m->baseline / value : value / m->baseline;
        json_object_set_new(o, "ratio", num(r));
    } else {
        json_object_set_new(o, "baseline", json_null());
        json_object_set_new(o, "ratio", json_null());
    }
    json_object_set_new(o, "better", json_string(m->better == OMEGA_LOWER_IS_BETTER ? "lower" : "higher"));
    json_object_set_new(o, "kind", json_string(m->kind ? m->kind : "measured"));
    if (m->note)
        json_object_set_new(o, "note", json_string(m->note));
    json_array_append_new(b->metrics, o);
    return 0;
}

void omega_bench_fact(struct omega_bench *b, const char *key, json_t *value)
{
    json_object_set_new(b->facts, key, value);
}

int omega_bench_file(struct omega_bench *b, const char *name, const char *text, size_t len)
{
    if (!b->write)
        return 0;
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", b->dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = fwrite(text, 1, len, f) == len;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

int omega_bench_plot(struct omega_bench *b, const char *name, const char *script)
{
    if (!b->write)
        return 0;
    char path[1400];
    snprintf(path, sizeof path, "%s/%s.gp", b->dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    /* One script, two renderings: the terminal lines come first, the plot body is the suite's. */
    fprintf(f, "# %s: rendered to %s.png and %s.svg by omega bench\n"
               "if (!exists(\"fmt\")) fmt = \"png\"\n"
               "if (fmt eq \"svg\") { set terminal svg size 900,540 dynamic font \"sans,12\"; set output \"%s.svg\" } "
               "else { set terminal pngcairo size 900,540 font \"sans,11\"; set output \"%s.png\" }\n%s\n",
             name, name, name, name, name, script);
    fclose(f);
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        fprintf(stderr, "omega bench: gnuplot not found; %s.gp written, plots not rendered (Debian: gnuplot-nox)\n", name);
        return 0;
    }
    char cmd[3000];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && gnuplot -e 'fmt=\"png\"' '%s.gp' 2>/dev/null; gnuplot -e 'fmt=\"svg\"' '%s.gp' 2>/dev/null",
             b->dir, name, name);
    int rc = system(cmd);
    return rc == 0 ? 0 : -1;
}

void omega_bench_progress(struct omega_bench *b, const char *what, size_t done, size_t total)
{
    if (!isatty(2) || total == 0)
        return;
    int width = 40, fill = (int)((double)done / (double)total * width);
    fprintf(stderr, "\r%-20.20s [%.*s%*s] %3d%%", what, fill, "########################################",
            width - fill, "", (int)(100.0 * (double)done / (double)total));
    if (done >= total)
        fputc('\n', stderr);
    b->progress_shown = 1;
}

static void print_table(json_t *summary)
{
    json_t *metrics = json_object_get(summary, "metrics");
    size_t i;
    json_t *m;
    printf("%-28s %-26s %12s %12s %12s %10s  %s\n", "metric", "params", "p50", "p99", "baseline", "ratio", "kind");
    json_array_foreach(metrics, i, m) {
        char params[64] = "";
        char *ps = json_dumps(json_object_get(m, "params"), JSON_COMPACT | JSON_SORT_KEYS);
        snprintf(params, sizeof params, "%s", ps ? ps : "");
        free(ps);
        json_t *p99 = json_object_get(m, "p99"), *bl = json_object_get(m, "baseline"), *r = json_object_get(m, "ratio");
        char s99[32] = "-", sbl[32] = "-", sr[32] = "-";
        if (json_is_number(p99)) snprintf(s99, sizeof s99, "%.4g", json_number_value(p99));
        if (json_is_number(bl)) snprintf(sbl, sizeof sbl, "%.4g", json_number_value(bl));
        if (json_is_number(r)) snprintf(sr, sizeof sr, "%.3g", json_number_value(r));
        printf("%-28s %-26s %12.4g %12s %12s %10s  %s %s\n", json_string_value(json_object_get(m, "name")), params,
               json_number_value(json_object_get(m, "value")), s99, sbl, sr,
               json_string_value(json_object_get(m, "kind")), json_string_value(json_object_get(m, "unit")));
    }
}

static int write_csv(const char *path, json_t *metrics)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "name,params,unit,value,p50,p90,p99,ci95_lo,ci95_hi,n,baseline,ratio,kind\n");
    size_t i;
    json_t *m;
    json_array_foreach(metrics, i, m) {
        char *ps = json_dumps(json_object_get(m, "params"), JSON_COMPACT | JSON_SORT_KEYS);
        fprintf(f, "%s,\"", json_string_value(json_object_get(m, "name")));
        for (char *c = ps; c && *c; c++)
            fputs(*c == '"' ? "\"\"" : (char[]){*c, 0}, f);
        fprintf(f, "\",%s", json_string_value(json_object_get(m, "unit")));
        const char *keys[] = {"value", "p50", "p90", "p99", NULL};
        for (int k = 0; keys[k]; k++) {
            json_t *v = json_object_get(m, keys[k]);
            if (json_is_number(v)) fprintf(f, ",%.9g", json_number_value(v)); else fprintf(f, ",");
        }
        json_t *ci = json_object_get(m, "ci95");
        for (int k = 0; k < 2; k++) {
            json_t *v = json_array_get(ci, (size_t)k);
            if (json_is_number(v)) fprintf(f, ",%.9g", json_number_value(v)); else fprintf(f, ",");
        }
        fprintf(f, ",%lld", (long long)json_integer_value(json_object_get(m, "n")));
        const char *k2[] = {"baseline", "ratio"};
        for (int k = 0; k < 2; k++) {
            json_t *v = json_object_get(m, k2[k]);
            if (json_is_number(v)) fprintf(f, ",%.9g", json_number_value(v)); else fprintf(f, ",");
        }
        fprintf(f, ",%s\n", json_string_value(json_object_get(m, "kind")));
        free(ps);
    }
    return fclose(f);
}

static void bench_usage(FILE *f)
{
    fprintf(f, "usage: omega bench SUITE [--json] [--quick] [--out DIR] [--run-id ID] [--no-write] [--job FILE] [suite options]\n"
               "       omega bench --job FILE [options]   every [suite] section of a job file, in order\n"
               "       omega bench --list\n\n"
               "Job files (fio style): [suite] sections of 'option = value' lines; [global] applies to all.\n"
               "Runs a benchmark suite and writes results/<suite>/<run-id>/ (summary.json, summary.csv,\n"
               "machine.json, samples/, plots). --json prints the summary object on stdout.\n"
               "  --quick     fewer samples (for tests)\n  --out DIR   results folder (default results)\n"
               "  --no-write  print only\n  'omega bench SUITE --help' lists a suite's own options.\n\nsuites:\n");
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        fprintf(f, "  %-11s %s\n", suites[i].name, suites[i].summary);
}

static const struct omega_bench_suite *find_suite(const char *name)
{
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (strcmp(name, suites[i].name) == 0)
            return &suites[i];
    return NULL;
}

/* Run one suite; argv[1] is its name, the rest its options. */
static int run_suite(const struct omega_bench_suite *suite, int argc, char **argv)
{

    struct omega_bench b = {.suite = suite->name, .write = 1};
    const char *out = "results", *run_id = NULL;
    /* Common options are taken out; the rest goes to the suite with the suite name as argv[0]. */
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest)
        return OMEGA_EXIT_INTERNAL;
    int nrest = 0;
    rest[nrest++] = argv[1];
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) b.json = 1;
        else if (strcmp(argv[i], "--quick") == 0) b.quick = 1;
        else if (strcmp(argv[i], "--no-write") == 0) b.write = 0;
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) out = argv[++i];
        else if (strcmp(argv[i], "--run-id") == 0 && i + 1 < argc) run_id = argv[++i];
        else rest[nrest++] = argv[i];
    }
    rest[nrest] = NULL;
    if (run_id) {
        snprintf(b.run_id, sizeof b.run_id, "%s", run_id);
    } else {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(b.run_id, sizeof b.run_id, "%Y%m%dT%H%M%SZ", &tm);
        size_t l = strlen(b.run_id);
        snprintf(b.run_id + l, sizeof b.run_id - l, "-%s", omega_bench_backend(&b));
    }
    snprintf(b.dir, sizeof b.dir, "%s/%s/%s", out, suite->name, b.run_id);
    if (b.write && omega_mkdir_p(b.dir) < 0) {
        fprintf(stderr, "omega bench: cannot create %s: %s\n", b.dir, strerror(errno));
        free(rest);
        return OMEGA_EXIT_USAGE;
    }
    b.metrics = json_array();
    b.facts = json_object();
    int rc = suite->run(&b, nrest, rest);
    free(rest);

    json_t *machine = omega_machine_describe();
    json_object_set_new(machine, "backend", json_string(omega_bench_backend(&b)));
    json_object_update(machine, b.facts);
    json_t *kinds = json_object();
    size_t i;
    json_t *m;
    json_array_foreach(b.metrics, i, m)
        json_object_set(kinds, json_string_value(json_object_get(m, "name")), json_object_get(m, "kind"));
    json_object_set_new(machine, "figures", kinds);
    json_t *summary = json_pack("{s:s, s:s, s:O, s:O}", "suite", suite->name, "run_id", b.run_id, "machine", machine,
                                "metrics", b.metrics);
    if (b.write && json_array_size(b.metrics) > 0) {
        char path[1400];
        snprintf(path, sizeof path, "%s/summary.json", b.dir);
        json_dump_file(summary, path, JSON_INDENT(2));
        snprintf(path, sizeof path, "%s/machine.json", b.dir);
        json_dump_file(machine, path, JSON_INDENT(2));
        snprintf(path, sizeof path, "%s/summary.csv", b.dir);
        write_csv(path, b.metrics);
    } else if (b.write) {
        rmdir(b.dir);  /* nothing measured: leave no empty run behind */
    }
    if (b.json) {
        char *s = json_dumps(summary, JSON_INDENT(2));
        printf("%s\n", s);
        free(s);
    } else if (json_array_size(b.metrics) > 0) {
        print_table(summary);
        if (b.write)
            printf("results: %s\n", b.dir);
    }
    json_decref(summary);
    json_decref(machine);
    json_decref(b.metrics);
    json_decref(b.facts);
    return rc;
}

/* Job files, after fio's: "[suite]" sections of "option = value" or bare "option" lines, "#" comments;
 * "[global]" options go to every suite. Each line becomes --option [value] on the suite's line. */
struct job {
    char suite[64];
    int argc;
    char *argv[128];
};

static int job_add(struct job *j, const char *word)
{
    if (j->argc >= 127)
        return -1;
    j->argv[j->argc] = strdup(word);
    return j->argv[j->argc] ? (j->argc++, 0) : -1;
}

static int parse_job(const char *path, struct job *jobs, int max, int *njobs, struct job *global)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "omega bench: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int lineno = 0;
    struct job *cur = NULL;
    *njobs = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            fprintf(stderr, "omega bench: %s:%d: line too long\n", path, lineno);
            fclose(f);
            return -1;
        }
        char *p = line + strspn(line, " \t");
        p[strcspn(p, "#\r\n")] = 0;
        for (char *e = p + strlen(p); e > p && (e[-1] == ' ' || e[-1] == '\t');)
            *--e = 0;
        if (!*p)
            continue;
        if (*p == '[') {
            char name[64];
            if (sscanf(p, "[%63[a-z0-9_-]]", name) != 1 || p[strlen(p) - 1] != ']') {
                fprintf(stderr, "omega bench: %s:%d: bad section header '%s'\n", path, lineno, p);
                fclose(f);
                return -1;
            }
            if (strcmp(name, "global") == 0) {
                cur = global;
            } else {
                if (!find_suite(name) || *njobs == max) {
                    fprintf(stderr, "omega bench: %s:%d: %s\n", path, lineno,
                            *njobs == max ? "too many sections" : "no such suite (omega bench --list)");
                    fclose(f);
                    return -1;
                }
                cur = &jobs[(*njobs)++];
                memset(cur, 0, sizeof *cur);
                snprintf(cur->suite, sizeof cur->suite, "%s", name);
                job_add(cur, name);
            }
            continue;
        }
        if (!cur) {
            fprintf(stderr, "omega bench: %s:%d: option outside a [suite] section\n", path, lineno);
            fclose(f);
            return -1;
        }
        char key[128], opt[140];
        const char *eq = strchr(p, '=');
        size_t klen = eq ? (size_t)(eq - p) : strlen(p);
        while (klen && (p[klen - 1] == ' ' || p[klen - 1] == '\t'))
            klen--;
        if (klen == 0 || klen >= sizeof key) {
            fprintf(stderr, "omega bench: %s:%d: bad option line\n", path, lineno);
            fclose(f);
            return -1;
        }
        memcpy(key, p, klen);
        key[klen] = 0;
        snprintf(opt, sizeof opt, "--%s", key);
        if (job_add(cur, opt) < 0 || (eq && job_add(cur, eq + 1 + strspn(eq + 1, " \t")) < 0)) {
            fprintf(stderr, "omega bench: %s:%d: too many options\n", path, lineno);
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

static void job_free(struct job *j)
{
    for (int i = 0; i < j->argc; i++)
        free(j->argv[i]);
    j->argc = 0;
}

int omega_cmd_bench(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        bench_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? OMEGA_EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
            printf("%-11s %s\n", suites[i].name, suites[i].summary);
        return 0;
    }
    const char *jobfile = NULL;
    int first_opt = strncmp(argv[1], "--", 2) == 0 ? 1 : 2;
    for (int i = first_opt; i + 1 < argc; i++)
        if (strcmp(argv[i], "--job") == 0)
            jobfile = argv[i + 1];
    if (!jobfile) {
        const struct omega_bench_suite *suite = find_suite(argv[1]);
        if (!suite)
            return omega_cli_usage("bench", "unknown suite '%s' (omega bench --list)", argv[1]);
        return run_suite(suite, argc, argv);
    }
    /* With a job file: its sections (or only the named suite's), each with [global] options, then
     * the command line's own options (which win, being last). */
    static struct job jobs[16];
    struct job global = {.argc = 0};
    int njobs;
    if (parse_job(jobfile, jobs, 16, &njobs, &global) < 0)
        return OMEGA_EXIT_USAGE;
    int rc = 0, ran = 0;
    for (int k = 0; k < njobs && rc == 0; k++) {
        if (first_opt == 2 && strcmp(jobs[k].suite, argv[1]) != 0)
            continue;
        char *av[300];
        int ac = 0;
        av[ac++] = jobs[k].argv[0];
        for (int i = 0; i < global.argc; i++)
            av[ac++] = global.argv[i];
        for (int i = 1; i < jobs[k].argc; i++)
            av[ac++] = jobs[k].argv[i];
        for (int i = first_opt; i < argc && ac < 298; i++) {
            if (strcmp(argv[i], "--job") == 0) {
                i++;
                continue;
            }
            av[ac++] = argv[i];
        }
        av[ac] = NULL;
        rc = run_suite(find_suite(jobs[k].suite), ac, av);
        ran++;
    }
    for (int k = 0; k < njobs; k++)
        job_free(&jobs[k]);
    job_free(&global);
    if (!ran && rc == 0)
        return omega_cli_usage("bench", "%s has no section for suite '%s'", jobfile, argv[1]);
    return rc;
}
