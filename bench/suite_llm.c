/* omega bench llm: decode step time and achieved bandwidth by model and batch, prefill against the
 * cuBLAS GEMM rate, the cost of the confidential data path, PyTorch for comparison (its timings come
 * from workloads/llm/tools/torch_bench.py run in the same session on the same card), and density:
 * agents with 4,096-token contexts that fit and decode, with shared weights vs a weight copy each. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "core/cli.h"
#include "core/util.h"
#include "workloads/llm/llm.h"

struct opts {
    char models[256];
    int batches[16], n_batches;
    int context, steps, gpu;
    const char *torch;
    int prefill, cc, density;
    int prefill_tokens;
    int gpus;
};

static int g_gpus = 1;   /* GPUs the engines of this run span (tensor parallelism) */
/* decode_step_ms.dat: one gnuplot data block per model (batch, median ms), and the plot's curves */
static char g_dat[8192], g_curves[2048];
static size_t g_datlen, g_curvelen;
static int g_blocks;

static double now_ms(void) { return (double)omega_now_ns() / 1e6; }

static json_t *params(const char *model, const char *dtype, int batch, int gpus)
{
    json_t *p = json_object();
    json_object_set_new(p, "model", json_string(model));
    json_object_set_new(p, "dtype", json_string(dtype));
    if (batch > 0)
        json_object_set_new(p, "batch", json_integer(batch));
    json_object_set_new(p, "gpus", json_integer(gpus));
    return p;
}

static void metric(struct omega_bench *b, const char *name, const char *unit, double v, json_t *p,
                   enum omega_better better, const char *note)
{
    struct omega_metric m = {.name = name, .unit = unit, .value = v, .params = p, .better = better, .note = note};
    (void)omega_bench_metric(b, &m);
}

static int open_model(struct omega_llm **m, const char *model, enum omega_llm_dtype dt, enum omega_llm_device dev,
                      int max_batch, uint64_t kv_bytes, int gpu, struct omega_error *err)
{
    struct omega_llm_opts o = {.model = model, .device = dev, .dtype = dt, .seed = 1234, .max_batch = max_batch,
                               .kv_bytes = kv_bytes, .page_tokens = 16, .gpu = gpu, .gpus = g_gpus};
    return omega_llm_open(m, &o, err);
}

/* Timed decode steps over agents[0..batch): per-step samples in ms, mean bytes read per step. */
static int time_decode(struct omega_llm *m, const int *agents, int batch, int steps, double *samples,
                       double *bytes_per_step, struct omega_error *err)
{
    const struct omega_llm_config *c = omega_llm_get_config(m);
    enum omega_llm_dtype dt = omega_llm_device_weight_bytes(m) ? OMEGA_LLM_BF16 : OMEGA_LLM_F32;
    uint64_t wbytes = omega_llm_device_weight_bytes(m);
    if (!wbytes)
        wbytes = omega_llm_step_weight_bytes(c, dt);
    else  /* the embedding table is not read by a step, only batch rows of it */
        wbytes -= (uint64_t)c->vocab * (uint64_t)c->dim * 2 * (uint64_t)g_gpus;   /* one table per GPU */
    uint64_t kvt = omega_llm_kv_bytes_per_token(c, omega_llm_device_weight_bytes(m) ? OMEGA_LLM_CUDA : OMEGA_LLM_CPU);
    int32_t tok[1024], next[1024];
    for (int i = 0; i < batch; i++)
        tok[i] = (int32_t)(i * 37 % c->vocab);
    double bsum = 0;
    for (int s = -3; s < steps; s++) {
        uint64_t kv = 0;
        for (int i = 0; i < batch; i++)
            kv += (uint64_t)(omega_llm_agent_len(m, agents[i]) + 1) * kvt;
        double t0 = now_ms();
        OMEGA_TRY(omega_llm_decode(m, agents, tok, batch, NULL, next, err));
        double t1 = now_ms();
        memcpy(tok, next, (size_t)batch * sizeof tok[0]);
        if (s >= 0) {
            samples[s] = t1 - t0;
            bsum += (double)(wbytes + kv);
        }
    }
    *bytes_per_step = bsum / steps;
    return 0;
}

static double median(double *v, int n)
{
    double *c = malloc((size_t)n * sizeof *c);
    if (!c)
        return 0;
    memcpy(c, v, (size_t)n * sizeof *c);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && c[j - 1] > c[j]; j--) {
            double t = c[j]; c[j] = c[j - 1]; c[j - 1] = t;
        }
    double r = c[n / 2];
    free(c);
    return r;
}

static json_t *torch_results;

static double torch_ms(const char *model, int batch, const char *impl)
{
    char key[96];
    snprintf(key, sizeof key, "%s/b%d/%s", model, batch, impl);
    json_t *v = json_object_get(torch_results, key);
    return json_is_number(v) ? json_number_value(v) : -1;
}

static int bench_model(struct omega_bench *b, const struct opts *o, const char *model, enum omega_llm_dtype dt,
                       enum omega_llm_device dev, double copy_gbps)
{
    struct omega_error err = {0};
    struct omega_llm_config c;
    OMEGA_TRY(omega_llm_preset(model, &c, &err));
    int maxb = 0;
    for (int i = 0; i < o->n_batches; i++)
        maxb = o->batches[i] > maxb ? o->batches[i] : maxb;
    int cc_here = o->cc && dev == OMEGA_LLM_CUDA && dt == OMEGA_LLM_BF16 && strcmp(model, "llama2-7b") == 0;
    int ctx_need = o->context + (o->steps + 3) * o->n_batches + (cc_here ? 8 * (o->steps / 2 + 3) : 0) + 8;
    uint64_t kvt = omega_llm_kv_bytes_per_token(&c, dev);
    uint64_t kv_bytes = (uint64_t)maxb * (uint64_t)(ctx_need + 16) * kvt;
    int do_prefill = o->prefill && dt == OMEGA_LLM_BF16 && strcmp(model, "llama2-7b") == 0;
    if (do_prefill)
        kv_bytes += (uint64_t)(o->prefill_tokens + 16) * kvt;
    struct omega_llm *m;
    double t0 = now_ms();
    if (g_datlen < sizeof g_dat - 128 && g_curvelen < sizeof g_curves - 128) {
        g_datlen += (size_t)snprintf(g_dat + g_datlen, sizeof g_dat - g_datlen, "%s# %s %s\n", g_blocks ? "\n\n" : "",
                                     model, omega_llm_dtype_name(dt));
        g_curvelen += (size_t)snprintf(g_curves + g_curvelen, sizeof g_curves - g_curvelen,
                                       "%s'decode_step_ms.dat' index %d using 1:2 with linespoints lw 2 title '%s %s'",
                                       g_blocks ? ", " : "", g_blocks, model, omega_llm_dtype_name(dt));
        g_blocks++;
    }
    int rc = open_model(&m, model, dt, dev, do_prefill ? o->prefill_tokens : maxb, kv_bytes, o->gpu, &err);
    if (rc < 0) {
        fprintf(stderr, "omega bench llm: %s %s: %s\n", model, omega_llm_dtype_name(dt), err.msg);
        return rc;
    }
    fprintf(stderr, "llm: %s %s loaded (dummy weights, %.1f GB on the device) in %.0f ms\n", model,
            omega_llm_dtype_name(dt), (double)omega_llm_device_weight_bytes(m) / 1e9, now_ms() - t0);
    const char *dts = omega_llm_dtype_name(dt);
    metric(b, "weight_bytes", "bytes", (double)(omega_llm_device_weight_bytes(m) ? omega_llm_device_weight_bytes(m)
                                                                                  : omega_llm_weight_bytes(&c, dt)),
           params(model, dts, 0, g_gpus), OMEGA_LOWER_IS_BETTER, NULL);
    metric(b, "kv_bytes_per_token", "bytes", (double)kvt, params(model, dts, 0, g_gpus), OMEGA_LOWER_IS_BETTER, NULL);
    int agents[1024];
    for (int i = 0; i < maxb; i++) {
        if ((rc = omega_llm_agent_open(m, "bench", ctx_need, &agents[i], &err)) < 0 ||
            (rc = omega_llm_agent_fake_context(m, agents[i], o->context, &err)) < 0)
            goto out;
    }
    double *samples = calloc((size_t)o->steps, sizeof *samples);
    if (!samples) { rc = OMEGA_ENOMEM; goto out; }
    for (int bi = 0; bi < o->n_batches; bi++) {
        int batch = o->batches[bi];
        double bytes;
        if ((rc = time_decode(m, agents, batch, o->steps, samples, &bytes, &err)) < 0)
            break;
        double med = median(samples, o->steps);
        json_t *p = params(model, dts, batch, g_gpus);
        json_object_set_new(p, "context", json_integer(o->context));
        struct omega_metric sm = {.name = "decode_step_ms", .unit = "ms", .samples = samples, .n = (size_t)o->steps,
                                  .params = p, .better = OMEGA_LOWER_IS_BETTER};
        (void)omega_bench_metric(b, &sm);
        metric(b, "decode_bytes_per_step", "bytes", bytes, p, OMEGA_LOWER_IS_BETTER,
               "weights read once per step plus every agent's KV cache");
        metric(b, "decode_tokens_per_s", "1/s", batch / (med / 1e3), p, OMEGA_HIGHER_IS_BETTER, NULL);
        if (copy_gbps > 0) {
            double gbps = bytes / (med / 1e3) / 1e9;
            char note[200];
            snprintf(note, sizeof note, "%.0f GB/s achieved vs %.0f GB/s device-to-device copy (read+write) x %d GPU(s)",
                     gbps, copy_gbps, g_gpus);
            metric(b, "decode_bw_fraction", "ratio", gbps / (copy_gbps * g_gpus), p, OMEGA_HIGHER_IS_BETTER, note);
        }
        double tc = torch_ms(model, batch, "compiled"), te = torch_ms(model, batch, "eager");
        if (tc > 0) {
            struct omega_metric vm = {.name = "decode_vs_torch", .unit = "ratio", .value = med / tc, .params = p,
                                      .better = OMEGA_LOWER_IS_BETTER,
                                      .note = "our step time / transformers LlamaForCausalLM, static cache, "
                                              "torch.compile(mode=reduce-overhead), same card, same call"};
            (void)omega_bench_metric(b, &vm);
            metric(b, "torch_compiled_step_ms", "ms", tc, p, OMEGA_LOWER_IS_BETTER, NULL);
        }
        if (te > 0) {
            metric(b, "decode_vs_torch_eager", "ratio", med / te, p, OMEGA_LOWER_IS_BETTER, NULL);
            metric(b, "torch_eager_step_ms", "ms", te, p, OMEGA_LOWER_IS_BETTER, NULL);
        }
        json_decref(p);
        fprintf(stderr, "llm: %s %s batch %d: %.3f ms/step, %.1f MB/step\n", model, dts, batch, med, bytes / 1e6);
        if (g_datlen < sizeof g_dat - 64)
            g_datlen += (size_t)snprintf(g_dat + g_datlen, sizeof g_dat - g_datlen, "%d %.4f\n", batch, med);
    }
    /* --cc on vs off, interleaved in blocks so clock drift hits both alike. */
    if (rc == 0 && cc_here) {
        int cc_batches[2] = {1, 32};
        for (int k = 0; k < 2 && rc == 0; k++) {
            int batch = cc_batches[k] <= maxb ? cc_batches[k] : maxb;
            double *on = calloc((size_t)o->steps * 2, sizeof *on), *off = on ? on + o->steps : NULL, bytes;
            if (!on) { rc = OMEGA_ENOMEM; break; }
            int half = o->steps / 2;
            for (int rep = 0; rep < 2 && rc == 0; rep++) {
                if ((rc = omega_llm_set_cc(m, 0)) < 0 ||
                    (rc = time_decode(m, agents, batch, half, off + rep * half, &bytes, &err)) < 0 ||
                    (rc = omega_llm_set_cc(m, 1)) < 0 ||
                    (rc = time_decode(m, agents, batch, half, on + rep * half, &bytes, &err)) < 0)
                    break;
            }
            if (omega_llm_set_cc(m, 0) < 0)
                rc = OMEGA_EIO;
            if (rc == 0) {
                double mon = median(on, 2 * half), moff = median(off, 2 * half);
                json_t *p = params(model, dts, batch, g_gpus);
                json_object_set_new(p, "cc", json_string("on"));
                struct omega_metric s1 = {.name = "decode_step_ms", .unit = "ms", .samples = on, .n = (size_t)(2 * half),
                                          .params = p, .better = OMEGA_LOWER_IS_BETTER};
                (void)omega_bench_metric(b, &s1);
                json_object_set_new(p, "cc", json_string("off"));
                struct omega_metric s2 = {.name = "decode_step_ms", .unit = "ms", .samples = off,
                                          .n = (size_t)(2 * half), .params = p, .better = OMEGA_LOWER_IS_BETTER};
                (void)omega_bench_metric(b, &s2);
                json_object_del(p, "cc");
                struct omega_metric cm = {.name = "cc_overhead_pct", .unit = "%", .value = (mon - moff) / moff * 100,
                                          .params = p, .has_baseline = 1, .baseline = 7.0,
                                          .better = OMEGA_LOWER_IS_BETTER,
                                          .note = "per-token time with every transfer sealed (AES-256-GCM, device "
                                                  "side on the GPU) vs plain copies; baseline: the 7% published for "
                                                  "H100 CC mode"};
                (void)omega_bench_metric(b, &cm);
                json_decref(p);
                fprintf(stderr, "llm: cc batch %d: on %.3f ms, off %.3f ms\n", batch, mon, moff);
            }
            free(on);
        }
    }
    free(samples);
    if (rc == 0 && do_prefill) {
        int agent;
        int n = o->prefill_tokens;
        int32_t *prompt = malloc((size_t)n * sizeof *prompt);
        float *logits = malloc((size_t)c.vocab * sizeof *logits);
        double ps[8];
        int reps = omega_bench_quick(b) ? 2 : 5;
        for (int r = -1; r < reps && rc == 0 && prompt && logits; r++) {
            for (int i = 0; i < n; i++)
                prompt[i] = (int32_t)((i * 7919 + r + 1) % c.vocab);
            if ((rc = omega_llm_agent_open(m, "prefill", n, &agent, &err)) < 0)
                break;
            double t1 = now_ms();
            rc = omega_llm_prefill(m, agent, prompt, n, logits, &err);
            double t2 = now_ms();
            omega_llm_agent_close(m, agent);
            if (r >= 0)
                ps[r] = t2 - t1;
        }
        if (rc == 0 && prompt && logits) {
            double med = median(ps, reps);
            /* 2 FLOPs per weight per token, plus causal attention (QK and PV). */
            double lin = (double)omega_llm_params(&c) - 2.0 * c.vocab * c.dim;
            double flops = 2.0 * lin * n + 2.0 * c.vocab * c.dim +
                           4.0 * c.n_layers * (double)c.dim * ((double)n * (n + 1) / 2);
            double tf = flops / (med / 1e3) / 1e12, gemm = 0;
            json_t *p = params(model, dts, 1, g_gpus);
            json_object_set_new(p, "tokens", json_integer(n));
            struct omega_metric pm = {.name = "prefill_ms", .unit = "ms", .samples = ps, .n = (size_t)reps,
                                      .params = p, .better = OMEGA_LOWER_IS_BETTER};
            (void)omega_bench_metric(b, &pm);
            metric(b, "prefill_tflops", "TFLOP/s", tf, p, OMEGA_HIGHER_IS_BETTER, NULL);
            if (omega_llm_cuda_gemm_tflops(o->gpu, 8192, 8192, 8192, &gemm, &err) == 0) {
                metric(b, "gemm_bf16_tflops", "TFLOP/s", gemm, NULL, OMEGA_HIGHER_IS_BETTER,
                       "cuBLAS bf16 GEMM 8192^3, fp32 accumulate, same run");
                metric(b, "prefill_gemm_fraction", "ratio", tf / gemm, p, OMEGA_HIGHER_IS_BETTER,
                       "prefill FLOP rate (weights and attention) / cuBLAS bf16 GEMM rate");
            }
            json_decref(p);
            fprintf(stderr, "llm: prefill %d tokens: %.1f ms, %.0f TFLOP/s (GEMM %.0f)\n", n, med, tf, gemm);
        }
        free(prompt);
        free(logits);
    }
out:
    if (rc < 0)
        fprintf(stderr, "omega bench llm: %s: %s\n", model, err.msg);
    omega_llm_close(m);
    return rc;
}

/* Density: agents with ctx-token contexts that fit and all decode, shared weights vs one copy each. */
static int bench_density(struct omega_bench *b, const struct opts *o, const char *model)
{
    struct omega_error err = {0};
    struct omega_llm_config c;
    OMEGA_TRY(omega_llm_preset(model, &c, &err));
    const int ctx = 4096, ctx_fill = ctx - 32;
    uint64_t kvt = omega_llm_kv_bytes_per_token(&c, OMEGA_LLM_CUDA), fr, tot;
    char name[128];
    int drv;
    OMEGA_TRY(omega_llm_cuda_meminfo(o->gpu, &fr, &tot, name, sizeof name, &drv, &err));
    uint64_t wb = omega_llm_weight_bytes(&c, OMEGA_LLM_BF16), reserve = 1ull << 30;
    int n = (int)((fr - wb - reserve) / ((uint64_t)ctx * kvt)), rc = -1;
    struct omega_llm *m = NULL;
    /* (a) shared weights: the largest n whose pool and step buffers fit */
    for (; n > 0; n--) {
        if (open_model(&m, model, OMEGA_LLM_BF16, OMEGA_LLM_CUDA, n, (uint64_t)n * ctx * kvt, o->gpu, &err) == 0)
            break;
        m = NULL;
    }
    if (!m)
        OMEGA_FAIL(&err, OMEGA_EQUOTA, "not even one agent fits");
    int agents[1024];
    double samples[64], bytes;
    int steps = omega_bench_quick(b) ? 4 : 8;
    for (int i = 0; i < n; i++)
        if ((rc = omega_llm_agent_open(m, "agent", ctx, &agents[i], &err)) < 0 ||
            (rc = omega_llm_agent_fake_context(m, agents[i], ctx_fill, &err)) < 0)
            break;
    if (rc == 0)
        rc = time_decode(m, agents, n, steps, samples, &bytes, &err);
    double lat_shared = rc == 0 ? median(samples, steps) : 0;
    omega_llm_close(m);
    if (rc < 0) {
        fprintf(stderr, "omega bench llm: density (shared): %s\n", err.msg);
        return rc;
    }
    /* (b) a weight copy per agent (the per-agent CVM baseline): engines until one no longer fits */
    struct omega_llm *per[256];
    int k = 0;
    int32_t tok = 1, next;
    while (k < 256) {
        if (open_model(&per[k], model, OMEGA_LLM_BF16, OMEGA_LLM_CUDA, 1, (uint64_t)(ctx + 16) * kvt, o->gpu, &err) < 0)
            break;
        /* it counts only if it decodes too (its step buffers and graph must fit as well) */
        if (omega_llm_agent_open(per[k], "agent", ctx, &agents[k], &err) < 0 ||
            omega_llm_agent_fake_context(per[k], agents[k], ctx_fill, &err) < 0 ||
            omega_llm_decode(per[k], &agents[k], &tok, 1, NULL, &next, &err) < 0) {
            omega_llm_close(per[k]);
            break;
        }
        k++;
    }
    double lat_per = 0;
    if (k > 0) {
        /* every agent decodes one token per round, each through its own weight copy */
        double rounds[16];
        int ok = 1;
        for (int r = -1; r < steps && ok; r++) {
            double t0 = now_ms();
            for (int i = 0; i < k && ok; i++)
                ok = omega_llm_decode(per[i], &agents[i], &tok, 1, NULL, &next, &err) == 0;
            if (r >= 0)
                rounds[r] = now_ms() - t0;
        }
        if (ok)
            lat_per = median(rounds, steps);
        else
            fprintf(stderr, "omega bench llm: density (per agent): %s\n", err.msg);
    }
    for (int i = 0; i < k; i++)
        omega_llm_close(per[i]);
    json_t *p = params(model, "bf16", 0, 1);
    json_object_set_new(p, "context", json_integer(ctx));
    metric(b, "density_shared", "agents", n, p, OMEGA_HIGHER_IS_BETTER,
           "agents with 4,096-token contexts in per-agent KV partitions over one shared weight copy, all decoding");
    metric(b, "density_per_agent", "agents", k, p, OMEGA_HIGHER_IS_BETTER,
           "agents with 4,096-token contexts, each with its own weight copy (per-agent CVM baseline)");
    struct omega_metric rm = {.name = "density_ratio", .unit = "ratio", .value = k ? (double)n / k : 0, .params = p,
                              .has_baseline = 1, .baseline = 3.0, .better = OMEGA_HIGHER_IS_BETTER,
                              .note = "baseline: the 3x the project's summary claims"};
    (void)omega_bench_metric(b, &rm);
    json_object_set_new(p, "mode", json_string("shared"));
    json_object_set_new(p, "agents", json_integer(n));
    metric(b, "density_token_latency_ms", "ms", lat_shared, p, OMEGA_LOWER_IS_BETTER,
           "time for every agent to get its next token at full load");
    json_object_set_new(p, "mode", json_string("per_agent"));
    json_object_set_new(p, "agents", json_integer(k));
    metric(b, "density_token_latency_ms", "ms", lat_per, p, OMEGA_LOWER_IS_BETTER,
           "time for every agent to get its next token at full load");
    json_decref(p);
    fprintf(stderr, "llm: density %s: shared %d agents (%.1f ms/token), per-agent %d (%.1f ms/token)\n", model, n,
            lat_shared, k, lat_per);
    return 0;
}

static int parse_list(const char *s, int *out, int max)
{
    int n = 0;
    char *copy = strdup(s), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t && n < max; t = strtok_r(NULL, ",", &save)) {
        int v = atoi(t);
        if (v <= 0 || v > 1024) {
            free(copy);
            return -1;
        }
        out[n++] = v;
    }
    free(copy);
    return n;
}

int omega_bench_llm(struct omega_bench *b, int argc, char **argv)
{
    struct opts o = {.context = 128, .steps = 30, .prefill = 1, .cc = 1, .density = 1, .prefill_tokens = 2048};
    snprintf(o.models, sizeof o.models, "llama2-7b:bf16,llama2-13b:bf16,llama2-70b:int8");
    int batches[] = {1, 8, 32, 64};
    memcpy(o.batches, batches, sizeof batches);
    o.n_batches = 4;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf("usage: omega bench llm [--backend cuda] [options]\n\n"
                   "  --models LIST     model:dtype list (default llama2-7b:bf16,llama2-13b:bf16,llama2-70b:int8)\n"
                   "  --batches LIST    decode batch sizes (default 1,8,32,64)\n"
                   "  --context N       context tokens each agent holds before the timed steps (default 128)\n"
                   "  --steps N         timed decode steps per point (default 30)\n"
                   "  --torch FILE      PyTorch timings from workloads/llm/tools/torch_bench.py (same card)\n"
                   "  --no-prefill --no-cc --no-density   leave those parts out\n"
                   "  --gpu N           CUDA device (default 0)\n"
                   "  --gpus N          tensor parallelism over N GPUs through NCCL (bf16), e.g. --gpus 2\n"
                   "                    --models llama2-70b:bf16 --no-density\n"
                   "On the emu backend the CPU reference runs the tiny model (a functional check, not a speed figure).\n");
            return 0;
        } else if (strcmp(a, "--models") == 0 && v) { snprintf(o.models, sizeof o.models, "%s", v); i++; }
        else if (strcmp(a, "--batches") == 0 && v) {
            if ((o.n_batches = parse_list(v, o.batches, 16)) <= 0)
                return omega_cli_usage("bench llm", "bad --batches '%s'", v);
            i++;
        } else if (strcmp(a, "--context") == 0 && v) { o.context = atoi(v); i++; }
        else if (strcmp(a, "--steps") == 0 && v) { o.steps = atoi(v); i++; }
        else if (strcmp(a, "--torch") == 0 && v) { o.torch = v; i++; }
        else if (strcmp(a, "--gpu") == 0 && v) { o.gpu = atoi(v); i++; }
        else if (strcmp(a, "--gpus") == 0 && v) { o.gpus = atoi(v); i++; }
        else if (strcmp(a, "--prefill-tokens") == 0 && v) { o.prefill_tokens = atoi(v); i++; }
        else if (strcmp(a, "--no-prefill") == 0) o.prefill = 0;
        else if (strcmp(a, "--no-cc") == 0) o.cc = 0;
        else if (strcmp(a, "--no-density") == 0) o.density = 0;
        else return omega_cli_usage("bench llm", "unknown option '%s'", a);
    }
    if (o.context < 1 || o.context > 2048 || o.steps < 2 || o.steps > 1000 || o.prefill_tokens < 16 ||
        o.prefill_tokens > 4000)
        return omega_cli_usage("bench llm", "--context 1..2048, --steps 2..1000, --prefill-tokens 16..4000");
    if (o.gpus < 0 || o.gpus > 8)
        return omega_cli_usage("bench llm", "--gpus 1..8");
    g_gpus = o.gpus > 1 ? o.gpus : 1;
    if (g_gpus > 1)
        o.cc = o.prefill = o.density = 0;   /* those are single-GPU figures */
    if (omega_bench_quick(b) && o.steps > 6)
        o.steps = 6;
    const char *backend = omega_bench_backend(b);
    int cuda = strcmp(backend, "cuda") == 0 || strcmp(backend, "snp") == 0;
    struct omega_error err = {0};
    if (!cuda) {
        /* No GPU: the CPU reference on the tiny model, so the suite itself is exercised everywhere. */
        struct opts t = o;
        t.prefill = t.cc = t.density = 0;
        if (t.steps > 10)
            t.steps = 10;
        t.context = 16;
        omega_bench_fact(b, "llm_device", json_string("CPU reference (tiny model; functional, not a speed figure)"));
        return bench_model(b, &t, "tiny", OMEGA_LLM_F32, OMEGA_LLM_CPU, 0) < 0 ? OMEGA_EXIT_INTERNAL : 0;
    }
    if (o.torch) {
        json_error_t je;
        torch_results = json_load_file(o.torch, 0, &je);
        if (!torch_results)
            fprintf(stderr, "omega bench llm: cannot read %s (%s); PyTorch comparison left out\n", o.torch, je.text);
    }
    uint64_t fr, tot;
    char gname[128];
    int drv;
    if (omega_llm_cuda_meminfo(o.gpu, &fr, &tot, gname, sizeof gname, &drv, &err) < 0) {
        fprintf(stderr, "omega bench llm: %s\n", err.msg);
        return OMEGA_EXIT_INTERNAL;
    }
    omega_bench_fact(b, "llm_gpu", json_string(gname));
    omega_bench_fact(b, "llm_gpu_memory_bytes", json_integer((json_int_t)tot));
    omega_bench_fact(b, "llm_cuda_driver_api", json_integer(drv));
    omega_bench_fact(b, "llm_weights", json_string("dummy (seeded, generated on the GPU)"));
    omega_bench_fact(b, "llm_gpus", json_integer(g_gpus));
    double copy = 0;
    if (omega_llm_cuda_copy_bw(o.gpu, &copy, &err) < 0) {
        fprintf(stderr, "omega bench llm: %s\n", err.msg);
        return OMEGA_EXIT_INTERNAL;
    }
    metric(b, "copy_bw_gbps", "GB/s", copy, NULL, OMEGA_HIGHER_IS_BETTER,
           "cudaMemcpy device to device, 2 GiB, bytes read + written");
    fprintf(stderr, "llm: device-to-device copy %.0f GB/s\n", copy);
    int failed = 0;
    char list[256], *save = NULL;
    snprintf(list, sizeof list, "%s", o.models);
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(t, ':');
        enum omega_llm_dtype dt = OMEGA_LLM_BF16;
        if (colon) {
            *colon = 0;
            if (omega_llm_dtype_parse(colon + 1, &dt) < 0 || dt == OMEGA_LLM_F32)
                return omega_cli_usage("bench llm", "dtype '%s' (bf16 or int8)", colon + 1);
        }
        failed |= bench_model(b, &o, t, dt, OMEGA_LLM_CUDA, copy) < 0;
    }
    if (g_blocks) {
        char script[3072];
        omega_bench_file(b, "decode_step_ms.dat", g_dat, g_datlen);
        snprintf(script, sizeof script,
                 "set title 'Llama-2 decode step time (%s, dummy weights, %d-token contexts)'\n"
                 "set xlabel 'batch (agents decoding together)'\nset ylabel 'ms per step'\nset logscale xy\n"
                 "set key top left\nset grid\nplot %s\n", gname, o.context, g_curves);
        omega_bench_plot(b, "decode_step_ms", script);
    }
    if (o.density)
        failed |= bench_density(b, &o, "llama2-7b") < 0;
    json_decref(torch_results);
    torch_results = NULL;
    return failed ? OMEGA_EXIT_INTERNAL : 0;
}
