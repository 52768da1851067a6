/* The calibrated cost model: a roofline for the GPU, measured CPU-side costs, one place for both the
 * paper suite and the simulator. */
#include "sim/costmodel.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Llama-2 shapes from the published configs; the 8-bit 70B is how it fits one 80 GB GPU. */
static const struct omega_model_preset presets[] = {
    {"llama2-7b", 32, 4096, 32, 32, 11008, 32000, 4096, 2.0, 2.0},
    {"llama2-13b", 40, 5120, 40, 40, 13824, 32000, 4096, 2.0, 2.0},
    {"llama2-70b", 80, 8192, 64, 8, 28672, 32000, 4096, 2.0, 2.0},
    {"llama2-70b-8bit", 80, 8192, 64, 8, 28672, 32000, 4096, 1.0, 2.0},
    {"tiny", 4, 256, 8, 2, 688, 512, 512, 2.0, 2.0},
};
static const char *const preset_names[] = {"llama2-7b", "llama2-13b", "llama2-70b", "llama2-70b-8bit", "tiny", NULL};

/* Assumptions used when no GPU result has been committed yet (documented in docs/sim.md). */
#define DEFAULT_EFF_BW 0.80       /* well-tuned decode engines reach ~80% of HBM bandwidth at batch 1 */
#define DEFAULT_EFF_FLOPS 0.60    /* prefill GEMMs at ~60% of dense peak */
#define DEFAULT_LAUNCH_S 30e-6    /* per decode step with CUDA graphs */
#define DEFAULT_CC_STEP_S 150e-6  /* CC bounce-buffer transfers and sync per step (published H100 CC: <7%) */
#define DEFAULT_CC_BYTES_PER_S 2.0e9  /* AES-256-GCM on one core through the bounce buffer */
/* Device-to-device copy vs the HBM datasheet rate: measured 3,030 GB/s (read + write, best of 10 copies
 * of 4 GiB) on an H100 80GB HBM3, driver 580.159.04, CUDA 13.0, 2026-11-28: 0.905 of 3.35 TB/s. */
#define COPY_BW_FRACTION 0.90
#define GEMM_PEAK_FRACTION 0.75   /* cuBLAS bf16 GEMM at large shapes vs the datasheet peak */
#define IO_BYTES_PER_SEQ 8.0      /* token id in, token id out, per sequence per step */
#define DEFAULT_DECODE_CTX 512.0  /* context assumed for a decode step time reported without params.ctx */

const struct omega_model_preset *omega_model_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].name, name) == 0)
            return &presets[i];
    return NULL;
}

const char *const *omega_model_names(void) { return preset_names; }

double omega_model_params(const struct omega_model_preset *m)
{
    double d = m->d_model, kvd = (double)m->d_model * m->kv_heads / m->heads;
    double per_layer = 2.0 * d * d + 2.0 * d * kvd + 3.0 * d * m->d_ff + 2.0 * d;
    return m->layers * per_layer + 2.0 * (double)m->vocab * d + d;
}

double omega_model_weight_bytes(const struct omega_model_preset *m)
{
    return omega_model_params(m) * m->weight_bytes_per_param;
}

double omega_model_kv_bytes_per_token(const struct omega_model_preset *m)
{
    double kvd = (double)m->d_model * m->kv_heads / m->heads;
    return 2.0 * m->layers * kvd * m->kv_bytes_per_elem;
}

static void cost_set(struct omega_cost *c, double v, int measured, const char *src)
{
    c->value = v;
    c->measured = measured;
    snprintf(c->source, sizeof c->source, "%s", src);
}

void omega_costmodel_init(struct omega_costmodel *cm)
{
    memset(cm, 0, sizeof *cm);
    cm->gpu = (struct omega_gpu_spec){"H100 SXM 80GB (datasheet)", 3.35e12, 989e12, 80.0 * 1024 * 1024 * 1024};
    cost_set(&cm->eff_bw, DEFAULT_EFF_BW, 0, "default: 0.80 of HBM bandwidth");
    cost_set(&cm->eff_flops, DEFAULT_EFF_FLOPS, 0, "default: 0.60 of dense bf16 peak");
    cost_set(&cm->launch_s, DEFAULT_LAUNCH_S, 0, "default: 30 us per step");
    cost_set(&cm->cc_step_s, DEFAULT_CC_STEP_S, 0, "default: 150 us per step");
    cost_set(&cm->cc_s_per_byte, 1.0 / DEFAULT_CC_BYTES_PER_S, 0, "default: AES-GCM at 2 GB/s");
    /* CPU-side defaults are deliberately the summary's/paper's own figures order of magnitude
     * lower bounds of our targets; they are replaced as soon as a suite has measured them. */
    cost_set(&cm->policy_s, 1e-6, 0, "default: 1 us (policy target)");
    cost_set(&cm->monitor_s, 3e-6, 0, "default: 3 us (monitor path target)");
    cost_set(&cm->log_append_s, 1e-6, 0, "default: 1 us (log target)");
    cost_set(&cm->channel_rtt_s, 5e-6, 0, "default: 5 us (channel target)");
    cost_set(&cm->agent_start_s, 1e-3, 0, "default: 1 ms (start-up target)");
    cost_set(&cm->attest_platform_s, 10e-3, 0, "default: 10 ms");
}

double omega_metric_unit_scale(const char *unit)
{
    static const struct { const char *u; double s; } t[] = {
        {"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3}, {"s", 1.0},
        {"B", 1.0}, {"bytes", 1.0}, {"KB", 1e3}, {"kB", 1e3}, {"KiB", 1024.0}, {"MB", 1e6}, {"MiB", 1048576.0},
        {"GB", 1e9}, {"GiB", 1073741824.0},
    };
    if (!unit)
        return NAN;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(unit, t[i].u) == 0)
            return t[i].s;
    return NAN;
}

static int param_matches(const json_t *params, const json_t *want)
{
    const char *k;
    json_t *v;
    if (!want)
        return 1;
    json_object_foreach((json_t *)want, k, v) {
        json_t *p = json_object_get(params, k);
        if (!p)
            return 0;
        if (json_is_number(v) && json_is_number(p)) {
            if (json_number_value(v) != json_number_value(p))
                return 0;
        } else if (!json_equal(v, p)) {
            return 0;
        }
    }
    return 1;
}

const json_t *omega_summary_find(const json_t *summary, const char *name, const json_t *want)
{
    const json_t *metrics = json_object_get(summary, "metrics");
    size_t i;
    json_t *m;
    json_array_foreach(metrics, i, m) {
        const char *n = json_string_value(json_object_get(m, "name"));
        if (n && strcmp(n, name) == 0 && param_matches(json_object_get(m, "params"), want) &&
            json_is_number(json_object_get(m, "value")))
            return m;
    }
    return NULL;
}

/* A metric's value in base units (seconds, bytes), or NAN. */
static double metric_base(const json_t *m)
{
    if (!m)
        return NAN;
    double v = json_number_value(json_object_get(m, "value"));
    double s = omega_metric_unit_scale(json_string_value(json_object_get(m, "unit")));
    return isnan(s) ? NAN : v * s;
}

/* The preset a GPU result was measured on, with its weight format. */
static int preset_of(const json_t *params, struct omega_model_preset *out)
{
    const struct omega_model_preset *p = omega_model_find(json_string_value(json_object_get(params, "model")));
    if (!p)
        return -1;
    *out = *p;
    const char *dtype = json_string_value(json_object_get(params, "dtype"));
    if (dtype && (strstr(dtype, "8") != NULL))
        out->weight_bytes_per_param = 1.0;
    return 0;
}

static double decode_bytes(const struct omega_model_preset *m, int batch, double ctx)
{
    return omega_model_weight_bytes(m) + (double)batch * ctx * omega_model_kv_bytes_per_token(m);
}

int omega_costmodel_fit_llm(struct omega_costmodel *cm, const json_t *summary, const char *source)
{
    int used = 0;
    const json_t *metrics = json_object_get(summary, "metrics");
    /* Decode step times: t = bytes / (BW * eff) + launch, a straight line in bytes; fit by least squares
     * over every CC-off (or unmarked) point. */
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int n = 0;
    double xs[256], ys[256];
    size_t i;
    json_t *m;
    json_array_foreach(metrics, i, m) {
        const char *name = json_string_value(json_object_get(m, "name"));
        if (!name || (strcmp(name, "decode_step_ms") != 0 && strcmp(name, "decode_step_us") != 0 &&
                      strcmp(name, "decode_step_s") != 0))
            continue;
        const json_t *params = json_object_get(m, "params");
        json_t *cc = json_object_get(params, "cc");
        if (cc && ((json_is_string(cc) && strcmp(json_string_value(cc), "on") == 0) || json_is_true(cc) ||
                   (json_is_integer(cc) && json_integer_value(cc) != 0)))
            continue;
        struct omega_model_preset p;
        double t = metric_base(m);
        json_t *jb = json_object_get(params, "batch");
        int gpus = json_is_integer(json_object_get(params, "gpus")) ? (int)json_integer_value(json_object_get(params, "gpus")) : 1;
        /* bf16 only: a quantised path's cost is its kernels' (dequantisation, batched GEMV), not the roofline's,
         * and one such point would bend the whole line. */
        const char *dtype = json_string_value(json_object_get(params, "dtype"));
        if (preset_of(params, &p) < 0 || !json_is_integer(jb) || !(t > 0) || gpus != 1 || n >= 256 ||
            (dtype && strcmp(dtype, "bf16") != 0))
            continue;
        json_t *jc = json_object_get(params, "context");
        if (!jc)
            jc = json_object_get(params, "ctx");
        double ctx = json_is_number(jc) ? json_number_value(jc) : DEFAULT_DECODE_CTX;
        double x = decode_bytes(&p, (int)json_integer_value(jb), ctx);
        xs[n] = x;
        ys[n] = t;
        sx += x; sy += t; sxx += x * x; sxy += x * t;
        n++;
    }
    if (n >= 2 && n * sxx - sx * sx > 0) {
        double a = (n * sxy - sx * sy) / (n * sxx - sx * sx);
        double b = (sy - a * sx) / n;
        if (a > 0) {
            if (b < 0)  /* a negative intercept has no meaning: refit through the origin */
                b = 0, a = sxy / sxx;
            char src[160];
            snprintf(src, sizeof src, "fit to %d decode step times in %s", n, source);
            cost_set(&cm->eff_bw, 1.0 / (a * cm->gpu.hbm_bytes_per_s), 1, src);
            cost_set(&cm->launch_s, b, 1, src);
            used += n;
        }
    } else if (n == 1) {
        double e = xs[0] / ((ys[0] - cm->launch_s.value) * cm->gpu.hbm_bytes_per_s);
        if (ys[0] > cm->launch_s.value && e > 0) {
            char src[160];
            snprintf(src, sizeof src, "one decode step time in %s", source);
            cost_set(&cm->eff_bw, e, 1, src);
            used++;
        }
    }
    cm->fit_points = 0;
    cm->fit_err = NAN;
    cm->fit_loo_err = NAN;
    if (used > 0 && n >= 3) {
        /* Out of sample: predict each point from a line fitted to the others. */
        double loo = 0;
        int nl = 0;
        for (int k = 0; k < n; k++) {
            double qx = sx - xs[k], qy = sy - ys[k], qxx = sxx - xs[k] * xs[k], qxy = sxy - xs[k] * ys[k];
            int q = n - 1;
            double den = q * qxx - qx * qx;
            if (den <= 0)
                continue;
            double a = (q * qxy - qx * qy) / den, b = (qy - a * qx) / q;
            if (b < 0)
                b = 0, a = qxy / qxx;
            loo += fabs(a * xs[k] + b - ys[k]) / ys[k];
            nl++;
        }
        if (nl > 0)
            cm->fit_loo_err = loo / nl;
    }
    if (used > 0) {
        double err = 0;
        for (int k = 0; k < n; k++) {
            double pred = xs[k] / (cm->gpu.hbm_bytes_per_s * cm->eff_bw.value) + cm->launch_s.value;
            err += fabs(pred - ys[k]) / ys[k];
        }
        cm->fit_points = n;
        cm->fit_err = err / n;
    } else {
        /* No step times: the bandwidth fraction at batch 1 against the device's copy bandwidth. */
        json_t *b1 = json_pack("{s:i}", "batch", 1);
        const json_t *f = omega_summary_find(summary, "decode_bw_fraction", b1);
        json_decref(b1);
        if (!f)
            f = omega_summary_find(summary, "decode_bw_fraction", NULL);
        if (f) {
            double frac = json_number_value(json_object_get(f, "value"));
            if (frac > 0 && frac <= 1.5) {
                char src[160];
                snprintf(src, sizeof src, "decode_bw_fraction x %.2f copy/datasheet in %s", COPY_BW_FRACTION, source);
                cost_set(&cm->eff_bw, frac * COPY_BW_FRACTION, 1, src);
                used++;
            }
        }
    }
    const json_t *g = omega_summary_find(summary, "prefill_gemm_fraction", NULL);
    if (g) {
        double frac = json_number_value(json_object_get(g, "value"));
        if (frac > 0 && frac <= 1.5) {
            char src[160];
            snprintf(src, sizeof src, "prefill_gemm_fraction x %.2f GEMM/peak in %s", GEMM_PEAK_FRACTION, source);
            cost_set(&cm->eff_flops, frac * GEMM_PEAK_FRACTION, 1, src);
            used++;
        }
    }
    /* CC: the overhead at each batch size turned into an absolute cost per step, averaged. */
    double ccsum = 0;
    int ccn = 0;
    json_array_foreach(metrics, i, m) {
        const char *name = json_string_value(json_object_get(m, "name"));
        if (!name || strcmp(name, "cc_overhead_pct") != 0)
            continue;
        const json_t *params = json_object_get(m, "params");
        struct omega_model_preset p;
        json_t *jb = json_object_get(params, "batch");
        double pct = json_number_value(json_object_get(m, "value"));
        if (!json_is_integer(jb) || preset_of(params, &p) < 0 || !(pct >= 0) || pct > 1000)
            continue;
        double toff = decode_bytes(&p, (int)json_integer_value(jb), DEFAULT_DECODE_CTX) /
                          (cm->gpu.hbm_bytes_per_s * cm->eff_bw.value) + cm->launch_s.value;
        ccsum += pct / 100.0 * toff;
        ccn++;
    }
    if (ccn > 0) {
        char src[160];
        snprintf(src, sizeof src, "cc_overhead_pct at %d batch sizes in %s", ccn, source);
        cost_set(&cm->cc_step_s, ccsum / ccn, 1, src);
        used += ccn;
    }
    return used;
}

/* A per-op figure: the value at preferred params if present, else the first; scaled to seconds. */
static int take_cost(struct omega_cost *c, const json_t *summary, const char *name, const json_t *want,
                     const char *source)
{
    const json_t *m = want ? omega_summary_find(summary, name, want) : NULL;
    if (!m)
        m = omega_summary_find(summary, name, NULL);
    double v = metric_base(m);
    if (!(v > 0))
        return 0;
    char src[160];
    snprintf(src, sizeof src, "%s in %s", name, source);
    cost_set(c, v, 1, src);
    return 1;
}

int omega_costmodel_take_cpu(struct omega_costmodel *cm, const json_t *summary, const char *source)
{
    int n = 0;
    json_t *p100 = json_pack("{s:i}", "policies", 100), *batch = json_pack("{s:s}", "mode", "batch");
    n += take_cost(&cm->policy_s, summary, "policy_decision_us", p100, source);
    n += take_cost(&cm->monitor_s, summary, "monitor_path_us", NULL, source);
    n += take_cost(&cm->channel_rtt_s, summary, "channel_rtt_us", NULL, source);
    n += take_cost(&cm->agent_start_s, summary, "agent_start_us", NULL, source);
    const json_t *ap = omega_summary_find(summary, "log_append_per_s", batch);
    if (!ap)
        ap = omega_summary_find(summary, "log_append_per_s", NULL);
    if (ap && json_number_value(json_object_get(ap, "value")) > 0) {
        char src[160];
        snprintf(src, sizeof src, "1 / log_append_per_s in %s", source);
        cost_set(&cm->log_append_s, 1.0 / json_number_value(json_object_get(ap, "value")), 1, src);
        n++;
    }
    double r = metric_base(omega_summary_find(summary, "snp_report_ms", NULL));
    double v = metric_base(omega_summary_find(summary, "snp_verify_ms", NULL));
    double g = metric_base(omega_summary_find(summary, "gpu_verify_ms", NULL));
    if (r > 0 && v > 0) {
        char src[160];
        snprintf(src, sizeof src, "snp_report_ms + snp_verify_ms%s in %s", g > 0 ? " + gpu_verify_ms" : "", source);
        cost_set(&cm->attest_platform_s, r + v + (g > 0 ? g : 0), 1, src);
        n++;
    }
    json_decref(p100);
    json_decref(batch);
    return n;
}

/* Single-GPU bf16 decode step times in an llm summary: what the fit can use. */
static int fit_points_in(const json_t *j)
{
    int n = 0;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(j, "metrics"), i, m) {
        const char *name = json_string_value(json_object_get(m, "name"));
        const json_t *p = json_object_get(m, "params");
        json_t *g = json_object_get(p, "gpus");
        const char *dtype = json_string_value(json_object_get(p, "dtype"));
        if (name && strncmp(name, "decode_step_", 12) == 0 && (!g || json_integer_value(g) == 1) &&
            (!dtype || strcmp(dtype, "bf16") == 0))
            n++;
    }
    return n;
}

/* The newest run folder of a suite holding a summary.json (by the run's date). For llm only runs
 * measured on a GPU count, so an emu run cannot pass itself off as a calibration, and among those only
 * runs on the card the model describes (gpu: a word of its name, e.g. "H100"; an H200 run would
 * calibrate an H100 with another card's memory), then the one with the most single-GPU points (a
 * tensor-parallel run calibrates nothing here). */
static json_t *newest_summary(const char *results_dir, const char *suite, const char *gpu, char *path,
                              size_t pathlen)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", results_dir, suite);
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    json_t *best = NULL;
    double best_t = -1;
    int best_pts = -1, is_llm = strcmp(suite, "llm") == 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[1400];
        snprintf(p, sizeof p, "%s/%s/summary.json", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) < 0)
            continue;
        json_t *j = json_load_file(p, 0, NULL);
        if (!j)
            continue;
        /* The run's own date (machine.json's, copied into the summary), else the file's mtime: a fresh
         * clone gives every file the checkout's mtime. */
        double t = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec * 1e-9;
        const char *date = json_string_value(json_object_get(json_object_get(j, "machine"), "date"));
        struct tm tm = {0};
        if (date && strptime(date, "%Y-%m-%dT%H:%M:%SZ", &tm))
            t = (double)timegm(&tm);
        if (!is_llm && t <= best_t) {
            json_decref(j);
            continue;
        }
        int pts = 0;
        if (is_llm) {
            const char *be = json_string_value(json_object_get(json_object_get(j, "machine"), "backend"));
            const json_t *mach = json_object_get(j, "machine");
            const char *card = json_string_value(json_object_get(mach, "llm_gpu"));   /* the card it ran on */
            if (!card)
                card = json_string_value(json_object_get(mach, "gpu"));
            pts = fit_points_in(j);
            if (!be || strcmp(be, "emu") == 0 || (gpu && (!card || !strstr(card, gpu))) || pts < best_pts ||
                (pts == best_pts && t <= best_t)) {
                json_decref(j);
                continue;
            }
        }
        json_decref(best);
        best = j;
        best_t = t;
        best_pts = pts;
        /* name the file relative to the source tree: results travel with the repository */
        const char *shown = p;
#ifdef OMEGA_SRCDIR
        size_t sl = strlen(OMEGA_SRCDIR);
        if (strncmp(p, OMEGA_SRCDIR, sl) == 0 && p[sl] == '/')
            shown = p + sl + 1;
#endif
        snprintf(path, pathlen, "%s", shown);
    }
    closedir(d);
    return best;
}

int omega_costmodel_load(struct omega_costmodel *cm, const char *results_dir)
{
    int n = 0;
    char path[1400];
    char card[32];   /* the first word of the modelled GPU's name */
    snprintf(card, sizeof card, "%.*s", (int)strcspn(cm->gpu.name, " "), cm->gpu.name);
    json_t *j = newest_summary(results_dir, "llm", card, path, sizeof path);
    if (j) {
        n += omega_costmodel_fit_llm(cm, j, path);
        json_decref(j);
    }
    const char *cpu[] = {"policy", "provlog", "isolation", "attest"};
    for (size_t i = 0; i < sizeof cpu / sizeof cpu[0]; i++) {
        j = newest_summary(results_dir, cpu[i], NULL, path, sizeof path);
        if (j) {
            n += omega_costmodel_take_cpu(cm, j, path);
            json_decref(j);
        }
    }
    return n;
}

double omega_cost_decode_step_s(const struct omega_costmodel *cm, const struct omega_model_preset *m, int batch,
                                double ctx, int cc)
{
    if (batch <= 0)
        return 0;
    double bytes = decode_bytes(m, batch, ctx);
    double flops = 2.0 * omega_model_params(m) * batch + 4.0 * m->layers * (double)m->d_model * ctx * batch;
    double t = fmax(bytes / (cm->gpu.hbm_bytes_per_s * cm->eff_bw.value), flops / (cm->gpu.flops_per_s * cm->eff_flops.value));
    t += cm->launch_s.value;
    if (cc)
        t += cm->cc_step_s.value + batch * IO_BYTES_PER_SEQ * cm->cc_s_per_byte.value;
    return t;
}

double omega_cost_prefill_s(const struct omega_costmodel *cm, const struct omega_model_preset *m, double tokens,
                            double sum_sq, int cc)
{
    if (tokens <= 0)
        return 0;
    double bytes = omega_model_weight_bytes(m) + tokens * omega_model_kv_bytes_per_token(m);
    /* causal attention: QK^T and AV over half the square of each prompt */
    double flops = 2.0 * omega_model_params(m) * tokens + 2.0 * m->layers * (double)m->d_model * sum_sq;
    double t = fmax(bytes / (cm->gpu.hbm_bytes_per_s * cm->eff_bw.value), flops / (cm->gpu.flops_per_s * cm->eff_flops.value));
    t += cm->launch_s.value;
    if (cc)
        t += cm->cc_step_s.value + tokens * 4.0 * cm->cc_s_per_byte.value;
    return t;
}

int omega_cost_density(const struct omega_costmodel *cm, const struct omega_model_preset *m, double ctx, int shared)
{
    double w = omega_model_weight_bytes(m), kv = ctx * omega_model_kv_bytes_per_token(m);
    double cap = cm->gpu.mem_bytes * 0.95;  /* allocator and activation reserve, as serving engines keep */
    if (shared)
        return cap > w ? (int)floor((cap - w) / kv) : 0;
    return (int)floor(cap / (w + kv));
}

static json_t *cost_json(const struct omega_cost *c)
{
    return json_pack("{s:f, s:s, s:s}", "value", c->value, "kind", c->measured ? "measured" : "modeled", "source",
                     c->source);
}

json_t *omega_costmodel_to_json(const struct omega_costmodel *cm)
{
    json_t *o = json_object();
    json_object_set_new(o, "gpu", json_pack("{s:s, s:f, s:f, s:f}", "name", cm->gpu.name, "hbm_bytes_per_s",
                                            cm->gpu.hbm_bytes_per_s, "flops_per_s", cm->gpu.flops_per_s, "mem_bytes",
                                            cm->gpu.mem_bytes));
    json_object_set_new(o, "eff_bw", cost_json(&cm->eff_bw));
    json_object_set_new(o, "eff_flops", cost_json(&cm->eff_flops));
    json_object_set_new(o, "launch_s", cost_json(&cm->launch_s));
    json_object_set_new(o, "cc_step_s", cost_json(&cm->cc_step_s));
    json_object_set_new(o, "cc_s_per_byte", cost_json(&cm->cc_s_per_byte));
    json_object_set_new(o, "policy_s", cost_json(&cm->policy_s));
    json_object_set_new(o, "monitor_s", cost_json(&cm->monitor_s));
    json_object_set_new(o, "log_append_s", cost_json(&cm->log_append_s));
    json_object_set_new(o, "channel_rtt_s", cost_json(&cm->channel_rtt_s));
    json_object_set_new(o, "agent_start_s", cost_json(&cm->agent_start_s));
    json_object_set_new(o, "attest_platform_s", cost_json(&cm->attest_platform_s));
    json_object_set_new(o, "fit_points", json_integer(cm->fit_points));
    json_object_set_new(o, "fit_mean_rel_err", isfinite(cm->fit_err) ? json_real(cm->fit_err) : json_null());
    json_object_set_new(o, "fit_loo_rel_err", isfinite(cm->fit_loo_err) ? json_real(cm->fit_loo_err) : json_null());
    return o;
}
