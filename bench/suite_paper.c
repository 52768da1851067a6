/* The paper suite (omega bench paper, run by make reproduce): runs the other suites as subprocesses,
 * collects their metrics by name, adds modeled GPU figures from the cost model where nothing was measured
 * on a GPU, and writes the paper's table (results/paper/<run-id>/table.md and results/paper/table.md)
 * and its five figures. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "core/util.h"
#include "core/backend.h"
#include "core/cli.h"
#include "sim/costmodel.h"
#include "sim/paper.h"

#ifndef OMEGA_SRCDIR
#define OMEGA_SRCDIR "."
#endif

/* On emu the llm suite adds nothing to the table (its GPU rows are modeled), so it runs last, with
 * whatever time the budget has left. */
static const char *const default_suites[] = {"isolation", "policy", "attest", "provlog", "toolcall", "multiagent",
                                             "llm", NULL};

static void paper_usage(FILE *f)
{
    fprintf(f, "usage: omega bench paper [--json] [--quick] [--out DIR] [--run-id ID] [options]\n\n"
               "Runs the other suites (each as 'omega bench SUITE --json'), takes their metrics by name, adds\n"
               "GPU figures from the cost model (marked modeled) where no GPU measurement exists, and writes\n"
               "<out>/paper/<run-id>/table.md, <out>/paper/table.md (the latest) and five figures (PNG, SVG).\n"
               "  --suites LIST   comma-separated suites to run (default: all seven)\n"
               "  --from DIR      run nothing: take the newest summary.json of each suite under DIR\n"
               "  --full          run sub-suites without --quick (longer, more samples)\n"
               "  --timeout S     limit per sub-suite in seconds (default 120 on emu, 600 with --full or on\n"
               "                  a GPU); on emu without --full all suites together get at most 280 s\n"
               "The global --backend auto picks snp, then cuda, then emu, whichever 'omega backends' says\n"
               "is available, and says which.\n");
}

/* The backend a run should use: "auto" becomes the best available one. */
static const char *resolve_backend(char *why, size_t whylen)
{
    const char *want = omega_opts.cfg.backend;
    if (want && strcmp(want, "auto") != 0) {
        snprintf(why, whylen, "as asked");
        return want;
    }
    /* The engine's own choice, so every command picks the same; the probes only say why. */
    const char *be = omega_backend_auto();
    struct omega_backend_status st[16];
    size_t n = omega_backend_probe_all(st, 16);
    char cuda_why[256] = "not compiled in";
    for (size_t i = 0; i < n; i++)
        if (strcmp(st[i].name, "cuda") == 0)
            snprintf(cuda_why, sizeof cuda_why, "%s", st[i].available ? "available" : st[i].why);
    if (strcmp(be, "snp") == 0)
        snprintf(why, whylen, "SEV-SNP guest with a GPU");
    else if (strcmp(be, "cuda") == 0)
        snprintf(why, whylen, "cuda available");
    else
        snprintf(why, whylen, "cuda unavailable: %s", cuda_why);
    return be;
}

/* The last non-empty line of a file, for "not run: <reason>". */
static void last_line(const char *path, char *out, size_t outlen)
{
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        /* progress bars redraw with \r: keep what follows the last one */
        char *cr = strrchr(line, '\r');
        const char *l = cr ? cr + 1 : line;
        if (*l)
            snprintf(out, outlen, "%s", l);
    }
    fclose(f);
}


/* Run one suite as a subprocess; its summary object, or {"not_run": why}. */
static json_t *run_suite(const char *exe, const char *suite, const char *out, const char *run_id,
                         const char *backend, int quick, int nowrite, int timeout_s, const char *logdir)
{
    char errpath[1400], cmd[8192];
    snprintf(errpath, sizeof errpath, "%s/%s.stderr", logdir, suite);
    snprintf(cmd, sizeof cmd, "timeout -k 5 %d '%s' bench %s --json%s%s --out '%s' --run-id '%s' --backend '%s' 2>'%s'",
             timeout_s, exe, suite, quick ? " --quick" : "", nowrite ? " --no-write" : "", out, run_id, backend, errpath);
    FILE *p = popen(cmd, "r");
    if (!p)
        return json_pack("{s:s}", "not_run", "could not start the suite");
    struct omega_buf b;
    omega_buf_init(&b);
    char chunk[8192];
    size_t n;
    int oom = 0;
    while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
        if (omega_buf_append(&b, chunk, n) < 0)
            oom = 1;
    int st = pclose(p);
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    /* The summary object is what --json prints; tolerate lines a suite printed before it. */
    json_t *j = NULL;
    for (size_t off = 0; !oom && !j && off < b.len; off++)
        if (b.data[off] == '{' && (off == 0 || b.data[off - 1] == '\n'))
            j = json_loadb((const char *)b.data + off, b.len - off, JSON_DISABLE_EOF_CHECK, NULL);
    omega_buf_fini(&b);
    char why[600], line[512];
    last_line(errpath, line, sizeof line);
    if (j && json_array_size(json_object_get(j, "metrics")) > 0) {
        if (rc != 0)
            json_object_set_new(j, "exit_status", json_integer(rc));
        return j;
    }
    json_decref(j);
    if (rc == 124 || rc == 137)
        snprintf(why, sizeof why, "timed out after %d s", timeout_s);
    else if (line[0])
        snprintf(why, sizeof why, "%s", line);
    else
        snprintf(why, sizeof why, "exit status %d, no metrics", rc);
    return json_pack("{s:s}", "not_run", why);
}

/* The newest summary.json of a suite under dir (for --from). */
static json_t *newest(const char *dir, const char *suite)
{
    char d[1200];
    snprintf(d, sizeof d, "%s/%s", dir, suite);
    DIR *dd = opendir(d);
    if (!dd)
        return json_pack("{s:s}", "not_run", "no results in the --from folder");
    json_t *best = NULL;
    double bt = -1;
    struct dirent *e;
    while ((e = readdir(dd)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[1600];
        snprintf(p, sizeof p, "%s/%s/summary.json", d, e->d_name);
        struct stat st;
        if (stat(p, &st) < 0)
            continue;
        double t = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec * 1e-9;
        if (t <= bt)
            continue;
        json_t *j = json_load_file(p, 0, NULL);
        if (j) {
            json_decref(best);
            best = j;
            bt = t;
        }
    }
    closedir(dd);
    return best ? best : json_pack("{s:s}", "not_run", "no summary.json in the --from folder");
}

static int write_text(const char *path, const struct omega_buf *b)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = fwrite(b->data, 1, b->len, f) == b->len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* The paper's pair for each of the five figures (NaN where the summary gives none). */
static const struct { const char *id; double base, omega; } paper_pairs[] = {
    {"per_token", 1.8, 2.1}, {"gpu_overhead", 0, 5}, {"density", 4, 12}, {"policy_io", NAN, 0.3}, {"log_size", NAN, 12},
};

static void plots(struct omega_bench *b, const struct omega_paper_row *rows)
{
    for (size_t k = 0; k < sizeof paper_pairs / sizeof paper_pairs[0]; k++) {
        const struct omega_paper_row *r = NULL;
        for (int i = 0; i < OMEGA_PAPER_ROWS; i++)
            if (strcmp(rows[i].id, paper_pairs[k].id) == 0)
                r = &rows[i];
        if (!r)
            continue;
        char data[512], name[64], file[80], script[2048];
        char pb[32], po[32], ob[32], oo[32];
        snprintf(pb, sizeof pb, isnan(paper_pairs[k].base) ? "?" : "%g", paper_pairs[k].base);
        snprintf(po, sizeof po, isnan(paper_pairs[k].omega) ? "?" : "%g", paper_pairs[k].omega);
        snprintf(ob, sizeof ob, r->have && !isnan(r->base) ? "%.6g" : "?", r->base);
        snprintf(oo, sizeof oo, r->have && !isnan(r->omega) ? "%.6g" : "?", r->omega);
        int n = snprintf(data, sizeof data, "# label baseline omega (%s)\n\"paper/summary\" %s %s\n\"ours (%s)\" %s %s\n",
                         r->unit, pb, po, r->have ? r->kind : "not run", ob, oo);
        snprintf(name, sizeof name, "fig%zu_%s", k + 1, r->id);
        snprintf(file, sizeof file, "%s.dat", name);
        if (omega_bench_file(b, file, data, (size_t)n) < 0)
            continue;
        /* gnuplot strings: the source may hold quotes; keep the title to safe characters */
        char src[200];
        snprintf(src, sizeof src, "%s", r->source);
        for (char *c = src; *c; c++)
            if (*c == '"' || *c == '\\' || *c == '\'')
                *c = ' ';
        if (strlen(src) > 96)   /* the subtitle fits the plot's width; the full source is in table.md */
            memcpy(src + 93, "...", 4);
        snprintf(script, sizeof script,
                 "set datafile missing \"?\"\nset style data histograms\nset style histogram clustered gap 1\n"
                 "set style fill solid 0.8 border -1\nset boxwidth 0.9\nset yrange [0:*]\nset grid ytics\n"
                 "set ylabel \"%s\"\nset title \"%s\\n%s\" noenhanced\nset key top left\n"
                 "plot '%s' using 2:xtic(1) title \"baseline\", '' using 3 title \"Omega\"\n",
                 r->unit, r->figure, src, file);
        if (omega_bench_plot(b, name, script) < 0)
            fprintf(stderr, "omega bench paper: plot %s not rendered\n", name);
    }
}

int omega_bench_paper(struct omega_bench *b, int argc, char **argv)
{
    if (omega_cli_wants_help(argc, argv)) {
        paper_usage(stdout);
        return 0;
    }
    const char *from = NULL, *suites_arg = NULL;
    int full = 0, timeout_s = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--from") == 0 && i + 1 < argc) from = argv[++i];
        else if (strcmp(argv[i], "--suites") == 0 && i + 1 < argc) suites_arg = argv[++i];
        else if (strcmp(argv[i], "--full") == 0) full = 1;
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v <= 0 || v > 86400)
                return omega_cli_usage("bench paper", "--timeout: seconds from 1 to 86400, not '%s'", argv[i]);
            timeout_s = (int)v;
        } else {
            return omega_cli_usage("bench paper", "unknown option '%s' (omega bench paper --help)", argv[i]);
        }
    }
    char why[300];
    const char *backend = resolve_backend(why, sizeof why);
    if (!timeout_s)
        timeout_s = (full || strcmp(backend, "emu") != 0) ? 600 : 120;
    if (omega_opts.cfg.backend && strcmp(omega_opts.cfg.backend, "auto") == 0)
        fprintf(stderr, "omega bench paper: --backend auto: using %s (%s)\n", backend, why);
    omega_opts.cfg.backend = backend;   /* machine.json and the sub-suites record the resolved one */
    omega_bench_fact(b, "backend_choice", json_pack("{s:s, s:s}", "backend", backend, "why", why));

    /* The run folder is <out>/paper/<run-id>: the sub-suites write beside it, under <out>. */
    char dir[1024], out[1024], run_id[1024];
    snprintf(dir, sizeof dir, "%s", omega_bench_dir(b));
    char *slash = strrchr(dir, '/');
    snprintf(run_id, sizeof run_id, "%s", slash ? slash + 1 : dir);
    snprintf(out, sizeof out, "%s", dir);
    for (int k = 0; k < 2; k++) {
        char *s = strrchr(out, '/');
        if (s)
            *s = 0;
        else
            snprintf(out, sizeof out, ".");
    }

    const char *list[16];
    size_t nlist = 0;
    char sbuf[512];
    if (suites_arg) {
        snprintf(sbuf, sizeof sbuf, "%s", suites_arg);
        for (char *tok = strtok(sbuf, ","); tok && nlist < 15; tok = strtok(NULL, ",")) {
            int ok = 0;
            for (size_t k = 0; default_suites[k]; k++)
                ok |= strcmp(tok, default_suites[k]) == 0;
            if (!ok)
                return omega_cli_usage("bench paper", "--suites: unknown suite '%s'", tok);
            list[nlist++] = tok;
        }
    } else {
        for (size_t k = 0; default_suites[k]; k++)
            list[nlist++] = default_suites[k];
    }

    char exe[PATH_MAX];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (el <= 0)
        return omega_cli_usage("bench paper", "cannot find the omega binary (/proc/self/exe)");
    exe[el] = 0;
    /* The runner made the run folder unless --no-write was given: then nothing is written under out,
     * by this suite or the ones it runs, and their stderr goes to a temporary folder. */
    struct stat dst;
    int nowrite = stat(dir, &dst) != 0;
    char logdir[1200];
    snprintf(logdir, sizeof logdir, "%s/logs", dir);
    if (nowrite) {
        char tmpl[] = "/tmp/omega-paper-XXXXXX";
        snprintf(logdir, sizeof logdir, "%s", mkdtemp(tmpl) ? tmpl : "/tmp");
    } else if (omega_mkdir_p(logdir) < 0) {
        snprintf(logdir, sizeof logdir, "/tmp");
    }

    /* On emu the whole suite keeps to its 5-minute promise: later suites get what time is left. */
    int budget = (!full && strcmp(backend, "emu") == 0) ? 280 : 0;
    time_t t_start = time(NULL);
    json_t *suites = json_object(), *seconds = json_object();
    for (size_t k = 0; k < nlist; k++) {
        omega_bench_progress(b, list[k], k, nlist);
        int limit = timeout_s;
        if (budget) {
            int left = budget - (int)(time(NULL) - t_start);
            if (left < limit)
                limit = left;
        }
        json_t *s;
        time_t t_suite = time(NULL);
        if (from)
            s = newest(from, list[k]);
        else if (limit < 5)
            s = json_pack("{s:s}", "not_run", "the paper suite's time budget on emu was spent");
        else
            s = run_suite(exe, list[k], out, run_id, backend, !full, nowrite, limit, logdir);
        const char *nr = json_string_value(json_object_get(s, "not_run"));
        long took = (long)(time(NULL) - t_suite);
        fprintf(stderr, "omega bench paper: %-10s %s%s (%ld s)\n", list[k], nr ? "not run: " : "ok", nr ? nr : "", took);
        json_object_set_new(seconds, list[k], json_integer(took));
        json_object_set_new(suites, list[k], s);
    }
    omega_bench_progress(b, "done", nlist, nlist);
    omega_bench_fact(b, "suite_seconds", seconds);
    if (nowrite && strcmp(logdir, "/tmp") != 0) {
        for (size_t k = 0; k < nlist; k++) {
            char p[1400];
            snprintf(p, sizeof p, "%s/%s.stderr", logdir, list[k]);
            unlink(p);
        }
        rmdir(logdir);
    }

    /* GPU efficiencies from committed GPU results (never from an emu run), CPU costs from what just ran. */
    struct omega_costmodel cm;
    omega_costmodel_init(&cm);
    int measured = 0;
    if (!from) {
        /* The committed GPU results live in the source tree's results/, wherever --out points. */
        char committed[1200];
        snprintf(committed, sizeof committed, "%s/results", OMEGA_SRCDIR);
        measured += omega_costmodel_load(&cm, committed);
    }
    measured += omega_costmodel_load(&cm, from ? from : out);
    omega_bench_fact(b, "costmodel", omega_costmodel_to_json(&cm));
    omega_bench_fact(b, "costmodel_measured_inputs", json_integer(measured));

    struct omega_paper_row rows[OMEGA_PAPER_ROWS];
    omega_paper_rows(suites, &cm, rows);
    char title[600], date[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tm);
    /* The commit of the source, as machine.json records it (the build's own may be older). */
    json_t *mach = omega_machine_describe();
    const char *commit = json_string_value(json_object_get(mach, "commit"));
    if (from)
        snprintf(title, sizeof title, "Omega testbed: the paper's table (%s, assembled from earlier runs; each row names "
                 "the backend, machine and build commit it was measured on)", date);
    else
        snprintf(title, sizeof title, "Omega testbed: the paper's table (%s, backend %s, commit %.10s)", date, backend,
                 commit ? commit : "unknown");
    json_decref(mach);
    struct omega_buf md;
    omega_buf_init(&md);
    int rc = omega_paper_markdown(rows, title, &md);
    if (rc == 0)
        rc = omega_buf_printf(&md, "\nRatios are Omega / baseline. *measured*: this run on the named machine; "
                                   "*modeled*: the cost model (GPU rows without a GPU measurement), whose inputs are "
                                   "in machine.json (costmodel). A suite that did not run is shown as such, never "
                                   "filled in.\n");
    if (rc < 0) {
        omega_buf_fini(&md);
        json_decref(suites);
        return OMEGA_EXIT_INTERNAL;
    }
    if (omega_bench_file(b, "table.md", (const char *)md.data, md.len) == 0) {
        char latest[1200];
        snprintf(latest, sizeof latest, "%s/paper/table.md", out);
        struct stat st;
        if (stat(dir, &st) == 0 && write_text(latest, &md) < 0)
            fprintf(stderr, "omega bench paper: cannot write %s: %s\n", latest, strerror(errno));
    }
    json_t *rj = omega_paper_rows_json(rows);
    char *rs = json_dumps(rj, JSON_INDENT(2));
    if (rs) {
        if (omega_bench_file(b, "table.json", rs, strlen(rs)) < 0)
            fprintf(stderr, "omega bench paper: cannot write table.json\n");
        free(rs);
    }
    json_decref(rj);
    fprintf(stderr, "omega bench paper: table in %s/table.md and %s/paper/table.md\n", dir, out);
    omega_buf_fini(&md);

    for (int i = 0; i < OMEGA_PAPER_ROWS; i++) {
        const struct omega_paper_row *r = &rows[i];
        if (!r->have || isnan(r->omega))
            continue;
        char name[64];
        snprintf(name, sizeof name, "paper_%s", r->id);
        struct omega_metric m = {.name = name, .unit = r->unit, .value = r->omega, .kind = r->kind, .note = r->source,
                                 .better = strcmp(r->id, "density") == 0 ? OMEGA_HIGHER_IS_BETTER : OMEGA_LOWER_IS_BETTER};
        if (!isnan(r->base) && r->base != 0) {
            m.has_baseline = 1;
            m.baseline = r->base;
        }
        json_t *params = json_pack("{s:s}", "paper", r->paper);
        m.params = params;
        if (omega_bench_metric(b, &m) < 0)
            rc = -1;
        json_decref(params);
    }
    plots(b, rows);
    json_decref(suites);
    return rc < 0 ? OMEGA_EXIT_INTERNAL : OMEGA_EXIT_OK;
}
