/* omega bench attest: report generation and verification (SNP, GPU), differential evidence build and
 * per-principal check, model measurement throughput. Verification runs on the real recordings shipped in
 * tests/data/attest (Milan report, H100 evidence), so the figures are those of real evidence. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "attest/cert.h"
#include "attest/diffattest.h"
#include "attest/gpu.h"
#include "attest/measure.h"
#include "attest/snp_verify.h"
#include "bench/bench.h"
#include "core/cli.h"
#include "core/util.h"

#ifndef OMEGA_SRCDIR
#define OMEGA_SRCDIR "."
#endif

static double ms_since(uint64_t t0) { return (double)(omega_now_ns() - t0) / 1e6; }

static int load_data(struct omega_buf *b, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/attest/%s", OMEGA_SRCDIR, name);
    omega_buf_init(b);
    return omega_buf_read_file(b, path, 1 << 20, NULL);
}

static int metric(struct omega_bench *b, const char *name, const char *unit, double *s, size_t n, json_t *params,
                  enum omega_better better, const char *note)
{
    struct omega_metric m = {.name = name, .unit = unit, .samples = s, .n = n, .params = params, .better = better,
                             .kind = "measured", .note = note};
    int rc = omega_bench_metric(b, &m);
    if (params)
        json_decref(params);
    return rc;
}

static int bench_snp(struct omega_bench *b, struct omega_platform *p, size_t n)
{
    double *s = calloc(n, sizeof *s);
    struct omega_buf rep, chain, milan, vcek;
    omega_buf_init(&rep);
    omega_buf_init(&chain);
    struct omega_error err = {0};
    uint8_t rd[64] = {0};
    if (!s || load_data(&milan, "milan-report.bin") < 0 || load_data(&vcek, "milan-vcek.der") < 0) {
        fprintf(stderr, "omega bench attest: test data missing under %s/tests/data/attest\n", OMEGA_SRCDIR);
        free(s);
        return OMEGA_EXIT_USAGE;
    }
    for (size_t i = 0; i < n + 3; i++) {
        uint64_t t0 = omega_now_ns();
        if (omega_platform_report(p, rd, 0, &rep, &chain, &err) < 0)
            goto fail;
        if (i >= 3)
            s[i - 3] = ms_since(t0);
    }
    metric(b, "snp_report_ms", "ms", s, n, json_pack("{s:s}", "backend", omega_platform_tee_name(p)), OMEGA_LOWER_IS_BETTER,
           "one ATTESTATION_REPORT from the TEE backend (emu: signed by the emulated secure processor)");
    struct omega_snp_policy pol;
    omega_snp_policy_init(&pol);
    if (omega_parse_time("2025-06-01T00:00:00Z", &pol.at) < 0)
        goto fail;
    struct omega_snp_result res;
    for (size_t i = 0; i < n + 3; i++) {
        uint64_t t0 = omega_now_ns();
        if (omega_snp_verify(milan.data, milan.len, vcek.data, vcek.len, NULL, 0, &pol, &res, &err) < 0)
            goto fail;
        if (i >= 3)
            s[i - 3] = ms_since(t0);
    }
    metric(b, "snp_verify_ms", "ms", s, n, json_pack("{s:s}", "evidence", "real Milan report + VCEK, pinned ASK/ARK"),
           OMEGA_LOWER_IS_BETTER, "parse, ECDSA P-384, VCEK->ASK->ARK RSA-PSS, TCB/chip binding, validity");
    omega_buf_fini(&rep);
    omega_buf_fini(&chain);
    omega_buf_fini(&milan);
    omega_buf_fini(&vcek);
    free(s);
    return 0;
fail:
    fprintf(stderr, "omega bench attest: %s\n", err.msg);
    free(s);
    return OMEGA_EXIT_INTERNAL;
}

static int bench_gpu(struct omega_bench *b, size_t n)
{
    struct omega_buf hex, raw, chain;
    omega_buf_init(&raw);
    if (load_data(&hex, "h100-report.hex") < 0 || load_data(&chain, "h100-chain.pem") < 0 ||
        omega_gpu_evidence_decode(hex.data, hex.len, &raw, NULL) < 0)
        return OMEGA_EXIT_USAGE;
    uint8_t nonce[32];
    if (omega_hex_decode_fixed("931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb", nonce, 32) < 0)
        return OMEGA_EXIT_INTERNAL;
    struct omega_gpu_policy pol = {.trust = OMEGA_TRUST_VENDOR, .nonce = nonce};
    if (omega_parse_time("2025-06-01T00:00:00Z", &pol.at) < 0)
        return OMEGA_EXIT_INTERNAL;
    static struct omega_gpu_evidence ev;
    double *s = calloc(n, sizeof *s);
    struct omega_error err = {0};
    int emu, rc = 0;
    for (size_t i = 0; i < n + 3 && s; i++) {
        uint64_t t0 = omega_now_ns();
        if ((rc = omega_gpu_verify(raw.data, raw.len, chain.data, chain.len, &pol, &ev, &emu, &err)) < 0)
            break;
        if (i >= 3)
            s[i - 3] = ms_since(t0);
    }
    if (s && rc == 0)
        metric(b, "gpu_verify_ms", "ms", s, n, json_pack("{s:s}", "evidence", "real H100 SPDM report + 5-cert chain"),
               OMEGA_LOWER_IS_BETTER, "parse, ECDSA P-384 over the SPDM transcript, chain to NVIDIA's root, nonce, FWID");
    else
        fprintf(stderr, "omega bench attest: GPU verify: %s\n", err.msg);
    free(s);
    omega_buf_fini(&hex);
    omega_buf_fini(&raw);
    omega_buf_fini(&chain);
    return rc == 0 ? 0 : OMEGA_EXIT_INTERNAL;
}

struct keys {
    EVP_PKEY *ev, *log;
    uint8_t log_pub[32];
};

/* One build: per agent its code and policy bundle, plus model, tools, a user's call. Timed without
 * the hardware calls (GPU evidence, SNP report), which bench_snp measures on their own. */
static int build_once(struct omega_platform *p, const struct keys *k, size_t agents, double *ms,
                      struct omega_diffattest **out, struct omega_error *err)
{
    static const char code[] = "agent code image", policy[] = "permit(principal, action, resource);";
    uint8_t nonce[32], gn[32], rd[64];
    struct omega_buf grep_, gchain, rep, chain, bundle;
    omega_buf_init(&grep_);
    omega_buf_init(&gchain);
    omega_buf_init(&rep);
    omega_buf_init(&chain);
    omega_buf_init(&bundle);
    struct omega_diffattest *d = NULL;
    int rc = omega_random(nonce, 32);
    omega_diffattest_gpu_nonce(nonce, gn);
    if (rc == 0)
        rc = omega_gpu_evidence(p, gn, &grep_, &gchain, err);          /* hardware: not timed */
    uint64_t t0 = omega_now_ns();
    if (rc == 0)
        rc = omega_diffattest_new(&d, k->ev, k->log_pub, err);
    if (rc == 0)
        rc = omega_diffattest_add_gpu(d, grep_.data, grep_.len, gchain.data, gchain.len, err);
    uint8_t wdigest[32] = {1};
    if (rc == 0)
        rc = omega_diffattest_add(d, "model:llama-2-7b", "weights", wdigest, 32, err);  /* measured once, ahead */
    if (rc == 0)
        rc = omega_diffattest_add_bytes(d, "tools:mcp", "manifest", "{\"tools\":[]}", 12, err);
    for (size_t i = 0; i < agents && rc == 0; i++) {
        char who[32];
        snprintf(who, sizeof who, "agent:%zu", i);
        rc = omega_diffattest_add_bytes(d, who, "code", code, sizeof code, err);
        if (rc == 0)
            rc = omega_diffattest_add_bytes(d, who, "policy", policy, sizeof policy, err);
    }
    if (rc == 0)
        rc = omega_diffattest_seal(d, nonce, rd, err);
    double part1 = ms_since(t0);
    if (rc == 0)
        rc = omega_platform_report(p, rd, 0, &rep, &chain, err);        /* hardware: not timed */
    t0 = omega_now_ns();
    if (rc == 0)
        rc = omega_diffattest_attach(d, rep.data, rep.len, chain.data, chain.len, err);
    /* Every principal's bundle: one per agent developer, plus model, tools and platform. */
    for (size_t i = 0; i < agents && rc == 0; i++) {
        char who[32];
        snprintf(who, sizeof who, "agent:%zu", i);
        rc = omega_diffattest_bundle(d, who, &bundle, err);
    }
    if (rc == 0)
        rc = omega_diffattest_bundle(d, "model:llama-2-7b", &bundle, err);
    if (rc == 0)
        rc = omega_diffattest_bundle(d, "platform", &bundle, err);
    *ms = part1 + ms_since(t0);
    omega_buf_fini(&grep_);
    omega_buf_fini(&gchain);
    omega_buf_fini(&rep);
    omega_buf_fini(&chain);
    omega_buf_fini(&bundle);
    if (rc == 0 && out)
        *out = d;
    else
        omega_diffattest_free(d);
    return rc;
}

static int bench_evidence(struct omega_bench *b, struct omega_platform *p, size_t n, int quick)
{
    struct keys k = {.ev = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), .log = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")};
    size_t l = 32;
    if (!k.ev || !k.log || EVP_PKEY_get_raw_public_key(k.log, k.log_pub, &l) != 1)
        return OMEGA_EXIT_INTERNAL;
    struct omega_error err = {0};
    double *s = calloc(n, sizeof *s);
    int rc = s ? 0 : OMEGA_ENOMEM;
    size_t sizes[] = {10, 100, 1000};
    for (size_t si = quick ? 2 : 0; si < 3 && rc == 0; si++) {
        for (size_t i = 0; i < n + 2 && rc == 0; i++) {
            double ms;
            rc = build_once(p, &k, sizes[si], &ms, NULL, &err);
            if (i >= 2)
                s[i - 2] = ms;
        }
        if (rc == 0)
            metric(b, "evidence_build_ms", "ms", s, n, json_pack("{s:I}", "agents", (json_int_t)sizes[si]),
                   OMEGA_LOWER_IS_BETTER,
                   "claims -> salted tree -> COSE_Sign1 -> a bundle per principal; hardware calls excluded");
    }
    /* The per-principal check: an agent developer's bundle of a 1,000-agent tree. */
    struct omega_diffattest *d = NULL;
    double ms;
    struct omega_buf bundle;
    omega_buf_init(&bundle);
    if (rc == 0)
        rc = build_once(p, &k, 1000, &ms, &d, &err);
    if (rc == 0)
        rc = omega_diffattest_bundle(d, "agent:500", &bundle, &err);
    static const char *const levels[] = {"none", "chain", "chain+report"};
    for (int lv = 0; lv < 3 && rc == 0; lv++) {
        struct omega_evidence_cache cache = {.level = lv};
        struct omega_evidence_opts o;
        omega_evidence_opts_init(&o);
        o.principal = "agent:500";
        o.snp.trust = OMEGA_TRUST_VENDOR | OMEGA_TRUST_EMU;
        o.cache = lv ? &cache : NULL;
        for (size_t i = 0; i < n + 3 && rc == 0; i++) {
            struct omega_evidence_result res;
            uint64_t t0 = omega_now_ns();
            rc = omega_evidence_check(bundle.data, bundle.len, &o, &res, &err);
            if (i >= 3)
                s[i - 3] = ms_since(t0);
            omega_evidence_result_fini(&res);
        }
        if (rc == 0)
            metric(b, "principal_check_ms", "ms", s, n, json_pack("{s:s,s:I}", "cache", levels[lv], "agents", (json_int_t)1000),
                   OMEGA_LOWER_IS_BETTER,
                   lv == 0 ? "full: CBOR, SNP report ECDSA P-384 + VCEK/ASK/ARK chain, REPORT_DATA, proofs, COSE EdDSA"
                   : lv == 1 ? "chain verified earlier (same chain): report ECDSA + proofs + COSE EdDSA"
                             : "same report verified earlier: REPORT_DATA, proofs, COSE EdDSA");
        omega_evidence_cache_fini(&cache);
    }
    if (rc < 0)
        fprintf(stderr, "omega bench attest: evidence: %s\n", err.msg);
    omega_buf_fini(&bundle);
    omega_diffattest_free(d);
    EVP_PKEY_free(k.ev);
    EVP_PKEY_free(k.log);
    free(s);
    return rc < 0 ? OMEGA_EXIT_INTERNAL : 0;
}

/* Throughput of measuring a model file that sits in the page cache (written, then read once to warm). */
static int bench_hash(struct omega_bench *b, size_t mib, size_t n, const char *path_opt)
{
    char path[1024];
    int made = 0;
    if (path_opt) {
        snprintf(path, sizeof path, "%s", path_opt);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/omega-bench-model-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        int fd = mkstemp(path);
        if (fd < 0)
            return OMEGA_EXIT_INTERNAL;
        made = 1;
        uint8_t *buf = malloc(1 << 20);
        int ok = buf != NULL;
        for (size_t i = 0; i < mib && ok; i++) {
            for (size_t j = 0; j < (1 << 20); j += 8)
                memcpy(buf + j, &(uint64_t){i * 1000003u + j}, 8);
            ok = write(fd, buf, 1 << 20) == (1 << 20);
        }
        free(buf);
        close(fd);
        if (!ok) {
            unlink(path);
            return OMEGA_EXIT_INTERNAL;
        }
    }
    uint8_t h[32];
    uint64_t size = 0;
    struct omega_error err = {0};
    struct omega_measure_opts all = {0}, one = {.threads = 1};
    int rc = omega_measure_file(path, &one, h, &size, &err);   /* warm the page cache */
    double *s = calloc(n, sizeof *s), *base = calloc(n, sizeof *base);
    for (size_t i = 0; i < n && rc == 0 && s && base; i++) {
        uint64_t t0 = omega_now_ns();
        rc = omega_measure_file(path, &all, h, NULL, &err);
        s[i] = (double)size / ((double)(omega_now_ns() - t0));   /* bytes per ns = GB/s */
        t0 = omega_now_ns();
        if (rc == 0)
            rc = omega_measure_file(path, &one, h, NULL, &err);
        base[i] = (double)size / ((double)(omega_now_ns() - t0));
    }
    if (made)
        unlink(path);
    if (rc < 0 || !s || !base) {
        fprintf(stderr, "omega bench attest: model hash: %s\n", err.msg);
        free(s);
        free(base);
        return OMEGA_EXIT_INTERNAL;
    }
    struct omega_stats st;
    double *copy = malloc(n * sizeof *copy);
    if (copy) {
        memcpy(copy, base, n * sizeof *copy);
        omega_stats_compute(copy, n, &st);
        free(copy);
    }
    struct omega_metric m = {.name = "model_hash_gbps", .unit = "GB/s", .samples = s, .n = n,
                             .params = json_pack("{s:I,s:I,s:I,s:s}", "bytes", (json_int_t)size, "threads",
                                                 (json_int_t)sysconf(_SC_NPROCESSORS_ONLN), "chunk", (json_int_t)OMEGA_MEASURE_CHUNK,
                                                 "source", "page cache"),
                             .has_baseline = copy != NULL, .baseline = st.p50, .better = OMEGA_HIGHER_IS_BETTER,
                             .kind = "measured",
                             .note = "chunked SHA-256 tree (OpenSSL) over a file in the page cache; baseline: the same on one thread"};
    omega_bench_metric(b, &m);
    json_decref(m.params);
    free(s);
    free(base);
    return 0;
}

int omega_bench_attest(struct omega_bench *b, int argc, char **argv)
{
    const char *model = NULL;
    size_t mib = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: omega bench attest [--quick] [--json] [--model FILE] [--model-mib N]\n"
                   "  SNP report/verify, GPU verify, differential evidence build and check, model hashing.\n"
                   "  --model FILE   measure this file instead of a generated one (read once first to warm it)\n"
                   "  --model-mib N  size of the generated model file (default 1024, --quick 256)\n");
            return 0;
        } else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
            model = argv[++i];
        } else if (strcmp(argv[i], "--model-mib") == 0 && i + 1 < argc) {
            mib = strtoul(argv[++i], NULL, 10);
        } else {
            return omega_cli_usage("bench attest", "unknown option '%s'", argv[i]);
        }
    }
    int quick = omega_bench_quick(b);
    size_t n = quick ? 20 : 200;
    if (!mib)
        mib = quick ? 256 : 1024;
    struct omega_platform *p;
    struct omega_error err = {0};
    struct omega_config cfg = omega_opts.cfg;
    if (omega_platform_open(&p, &cfg, &err) < 0)
        return omega_cli_fail("bench attest", &err);
    int rc = bench_snp(b, p, n);
    if (rc == 0)
        rc = bench_gpu(b, n);
    if (rc == 0)
        rc = bench_evidence(b, p, quick ? 10 : 50, quick);
    omega_platform_close(p);
    if (rc == 0)
        rc = bench_hash(b, mib, quick ? 3 : 5, model);
    if (rc == 0)
        omega_bench_plot(b, "attest_latency",
                         "set title 'Attestation latency (median, ms)'\n"
                         "set datafile separator ','\nset style data histogram\nset style fill solid 0.6\n"
                         "set ylabel 'ms'\nset xtics rotate by -30\nset key off\n"
                         "plot 'summary.csv' using (stringcolumn(1) eq 'model_hash_gbps' ? NaN : $3):xtic(1) every ::1\n");
    return rc;
}
