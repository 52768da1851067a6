/* omega infer: run Llama-2 on the chosen backend (emu: the CPU reference; cuda: the GPU), one
 * agent's request: prompt token ids in, generated token ids out. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/cli.h"
#include "core/util.h"
#include "workloads/llm/llm.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: omega infer [options]\n\n"
            "Runs one agent's inference request: prompt token ids in, generated token ids out (no tokenizer:\n"
            "ids are Llama-2 SentencePiece ids, 0..vocab-1). --backend emu runs the CPU reference (float32),\n"
            "--backend cuda the GPU engine; --cc on|off switches the sealed host<->GPU data path.\n\n"
            "  --model NAME         llama2-7b, llama2-13b, llama2-70b, tiny, tiny-mha, small (default tiny)\n"
            "  --dtype bf16|int8    GPU weight format (default bf16; int8 = 8-bit, per-row scales)\n"
            "  --weights FILE       safetensors file with HF Llama tensor names (default: dummy weights)\n"
            "  --seed N             dummy weights' seed (default 1234)\n"
            "  --tokens LIST        prompt ids, comma-separated (default 1)\n"
            "  --max-new N          tokens to generate (default 16)\n"
            "  --eos ID             stop at this id (default 2; -1: never)\n"
            "  --temperature T      0 = greedy (default), else sampled\n"
            "  --top-p P            nucleus sampling (default 1)\n"
            "  --sample-seed N      sampling seed (default 1)\n"
            "  --export FILE        write the model's weights as bf16 safetensors and go on\n"
            "  --logits FILE        write float32 logits of each generated position (greedy only)\n"
            "  --gpus N             CUDA: split the model over N GPUs (tensor parallelism, NCCL; bf16)\n"
            "  --json               one JSON object on stdout\n"
            "example: omega infer --model tiny --tokens 1,15043,3186 --max-new 8\n"
            "         omega --backend cuda infer --model llama2-7b --tokens 1,450 --max-new 64 --json\n");
}

static int parse_tokens(const char *s, int32_t **out, int *n)
{
    int cap = 16, k = 0;
    int32_t *t = malloc((size_t)cap * sizeof *t);
    if (!t)
        return -1;
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > INT32_MAX || (*end && *end != ',')) {
            free(t);
            return -1;
        }
        if (k == cap) {
            if (cap > (1 << 20)) { free(t); return -1; }
            int32_t *nt = realloc(t, (size_t)(cap *= 2) * sizeof *t);
            if (!nt) { free(t); return -1; }
            t = nt;
        }
        t[k++] = (int32_t)v;
        p = *end ? end + 1 : end;
    }
    if (k == 0) {
        free(t);
        return -1;
    }
    *out = t;
    *n = k;
    return 0;
}

int omega_cmd_infer(int argc, char **argv)
{
    const char *model = "tiny", *weights = NULL, *tokens = "1", *export_path = NULL, *logits_path = NULL;
    enum omega_llm_dtype dt = OMEGA_LLM_BF16;
    uint64_t seed = 1234;
    int max_new = 16, eos = 2, json = 0, gpus = 1;
    struct omega_llm_sampling s = {0, 1, 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--json") == 0) { json = 1; continue; }
        if (!v)
            return omega_cli_usage("infer", "option '%s' needs a value or is unknown", a);
        i++;
        char *end = NULL;
        if (strcmp(a, "--model") == 0) model = v;
        else if (strcmp(a, "--dtype") == 0) {
            if (omega_llm_dtype_parse(v, &dt) < 0 || dt == OMEGA_LLM_F32)
                return omega_cli_usage("infer", "--dtype bf16 or int8, not '%s'", v);
        } else if (strcmp(a, "--weights") == 0) weights = v;
        else if (strcmp(a, "--seed") == 0) seed = strtoull(v, &end, 0);
        else if (strcmp(a, "--tokens") == 0) tokens = v;
        else if (strcmp(a, "--max-new") == 0) max_new = (int)strtol(v, &end, 10);
        else if (strcmp(a, "--eos") == 0) eos = (int)strtol(v, &end, 10);
        else if (strcmp(a, "--temperature") == 0) s.temperature = strtof(v, &end);
        else if (strcmp(a, "--top-p") == 0) s.top_p = strtof(v, &end);
        else if (strcmp(a, "--sample-seed") == 0) s.seed = strtoull(v, &end, 0);
        else if (strcmp(a, "--export") == 0) export_path = v;
        else if (strcmp(a, "--gpus") == 0) gpus = (int)strtol(v, &end, 10);
        else if (strcmp(a, "--logits") == 0) logits_path = v;
        else return omega_cli_usage("infer", "unknown option '%s'", a);
        if (end && *end)
            return omega_cli_usage("infer", "bad number '%s' for %s", v, a);
    }
    if (gpus < 1 || gpus > 8)
        return omega_cli_usage("infer", "--gpus 1..8");
    if (max_new < 0 || max_new > 65536 || !(s.temperature >= 0) || s.temperature > 100 || !(s.top_p >= 0) || s.top_p > 1)
        return omega_cli_usage("infer", "--max-new 0..65536, --temperature 0..100, --top-p 0..1");
    int32_t *prompt = NULL;
    int n = 0;
    if (parse_tokens(tokens, &prompt, &n) < 0)
        return omega_cli_usage("infer", "--tokens wants comma-separated non-negative ids, got '%s'", tokens);
    const char *backend = omega_opts.cfg.backend ? omega_opts.cfg.backend : "emu";
    int cuda = strcmp(backend, "cuda") == 0 || strcmp(backend, "snp") == 0;
    if (!cuda && strcmp(backend, "emu") != 0) {
        free(prompt);
        return omega_cli_usage("infer", "backend '%s' (emu or cuda)", backend);
    }
    struct omega_llm_opts o = {.model = model, .device = cuda ? OMEGA_LLM_CUDA : OMEGA_LLM_CPU,
                               .dtype = cuda ? dt : (dt == OMEGA_LLM_INT8 ? OMEGA_LLM_INT8 : OMEGA_LLM_F32),
                               .weights = weights, .seed = seed, .max_batch = 512, .cc = cuda && omega_opts.cfg.cc > 0,
                               .gpu = omega_opts.cfg.gpu_device, .gpus = gpus};
    struct omega_llm_config cfg;
    struct omega_error err = {0};
    if (omega_llm_preset(model, &cfg, &err) < 0) {
        free(prompt);
        return omega_cli_fail("infer", &err);
    }
    if (n + max_new > cfg.max_seq) {
        free(prompt);
        return omega_cli_usage("infer", "prompt of %d plus %d new tokens exceeds the model's context of %d", n, max_new,
                               cfg.max_seq);
    }
    o.kv_bytes = omega_llm_kv_bytes_per_token(&cfg, o.device) * (uint64_t)(n + max_new + 32);
    struct omega_llm *m = NULL;
    int32_t *out = malloc((size_t)(max_new + 1) * sizeof *out);
    float *lg = NULL;
    FILE *lf = NULL;
    int rc = out ? omega_llm_open(&m, &o, &err) : omega_error_set(&err, OMEGA_ENOMEM, __FILE__, __LINE__, "out of memory");
    if (rc == 0 && export_path)
        rc = omega_llm_export(m, export_path, &err);
    int agent = -1, n_out = 0;
    if (rc == 0)
        rc = omega_llm_agent_open(m, "cli", n + max_new + 1, &agent, &err);
    uint64_t t0 = omega_now_ns(), t1 = t0;
    if (rc == 0 && logits_path) {
        /* Greedy, position by position, every logits row written: the PyTorch comparison reads them. */
        lg = malloc((size_t)cfg.vocab * sizeof *lg);
        lf = fopen(logits_path, "wb");
        if (!lg || !lf)
            rc = omega_error_set(&err, OMEGA_EIO, __FILE__, __LINE__, "cannot write %s", logits_path);
        if (rc == 0)
            rc = omega_llm_prefill(m, agent, prompt, n, lg, &err);
        int32_t tok = 0;
        while (rc == 0 && n_out < max_new) {
            if (fwrite(lg, sizeof *lg, (size_t)cfg.vocab, lf) != (size_t)cfg.vocab) {
                rc = omega_error_set(&err, OMEGA_EIO, __FILE__, __LINE__, "write to %s failed", logits_path);
                break;
            }
            tok = omega_llm_sample(lg, cfg.vocab, NULL, NULL);
            out[n_out++] = tok;
            if (n_out == max_new)
                break;
            int32_t next;
            rc = omega_llm_decode(m, &agent, &tok, 1, lg, &next, &err);
        }
        t1 = omega_now_ns();
    } else if (rc == 0) {
        rc = omega_llm_generate(m, agent, prompt, n, max_new, eos, &s, out, &n_out, &err);
        t1 = omega_now_ns();
    }
    if (lf && fclose(lf) != 0 && rc == 0)
        rc = omega_error_set(&err, OMEGA_EIO, __FILE__, __LINE__, "write to %s failed", logits_path);
    int status = 0;
    if (rc < 0) {
        status = omega_cli_fail("infer", &err);
    } else if (json) {
        json_t *arr = json_array();
        for (int i = 0; i < n_out; i++)
            json_array_append_new(arr, json_integer(out[i]));
        json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:f}", "model", model, "device",
                              cuda ? "cuda" : "cpu-reference", "dtype", omega_llm_dtype_name(cuda ? dt : OMEGA_LLM_F32),
                              "cc", cuda && o.cc ? "on" : "off", "prompt_tokens", n, "tokens", arr, "ms_total",
                              (double)(t1 - t0) / 1e6);
        char *txt = json_dumps(j, JSON_COMPACT);
        printf("%s\n", txt);
        free(txt);
        json_decref(j);
    } else {
        for (int i = 0; i < n_out; i++)
            printf("%s%d", i ? " " : "", out[i]);
        printf("\n");
    }
    omega_llm_close(m);
    free(out);
    free(lg);
    free(prompt);
    return status;
}
