/* The paper's table: the summary's five figures and the paper's other measurements, each set beside our
 * baseline and Omega figures taken by name from the suites' summaries (or from the cost model, marked
 * modeled), never invented: a figure whose suite did not run says "not run: <reason>". */
#ifndef OMEGA_PAPER_H
#define OMEGA_PAPER_H

#include <jansson.h>

#include "core/buf.h"
#include "sim/costmodel.h"

/* Model the modeled GPU rows use (the per-token, overhead and density rows). */
#define OMEGA_PAPER_MODEL "llama2-7b"

/* One row of the table. */
struct omega_paper_row {
    const char *id;          /* "per_token", "gpu_overhead", ... */
    const char *figure;      /* what is compared */
    const char *paper;       /* the summary's/paper's figure, as text */
    const char *unit;        /* unit of base/omega */
    int have;                /* 0: not run */
    double base, omega;      /* NAN where there is none */
    char kind[16];           /* measured, modeled */
    char source[200];        /* backend and machine, or "not run: <reason>" */
    char note[240];
};

#define OMEGA_PAPER_ROWS 14

/* Fill rows[OMEGA_PAPER_ROWS] from suites, an object {"<suite>": <summary object> or {"not_run": "<why>"}},
 * and the cost model (GPU rows are modeled from it when no GPU measurement is there). */
void omega_paper_rows(const json_t *suites, const struct omega_costmodel *cm, struct omega_paper_row *rows);
/* Render rows as a Markdown table with a heading line (title: e.g. the date, commit and backend). */
int omega_paper_markdown(const struct omega_paper_row *rows, const char *title, struct omega_buf *md) OMEGA_MUST_CHECK;
/* Rows as a JSON array (new reference). */
json_t *omega_paper_rows_json(const struct omega_paper_row *rows);
/* A short description of the machine a summary was measured on ("emu on Intel Xeon ..., 2 CPUs"). */
void omega_paper_machine(const json_t *summary, char *out, size_t outlen);

#endif
