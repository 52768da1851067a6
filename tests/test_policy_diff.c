/* Differential testing against Cedar itself (@cedar-policy/cedar-wasm in Node): seeded random cases,
 * the same decision, determining policies and erroring policies required. Every disagreement is
 * saved under tests/data/policy/regress/ and replayed by policy_diff_regressions without Node. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy.h"
#include "tests/policy_gen.h"
#include "tests/test.h"

#define REGRESS_DIR OMEGA_SRCDIR "/tests/data/policy/regress"

static int save_regression(const json_t *c, const json_t *cedar, const char *text)
{
    mkdir(OMEGA_SRCDIR "/tests/data", 0755);
    mkdir(OMEGA_SRCDIR "/tests/data/policy", 0755);
    mkdir(REGRESS_DIR, 0755);
    char path[512];
    snprintf(path, sizeof path, REGRESS_DIR "/seed-%lld.json", (long long)json_integer_value(json_object_get(c, "seed")));
    json_t *j = json_pack("{s:O, s:O, s:s}", "case", c, "cedar", cedar, "text", text);
    int rc = json_dump_file(j, path, JSON_INDENT(1));
    json_decref(j);
    return rc;
}

/* Run n cases from seed0 through both engines; returns the number of disagreements, or -1 when the
 * oracle cannot run (reason printed). */
static long run_diff(uint64_t seed0, long n)
{
    char in[512], outp[512], cmd[1600];
    const char *dir = getenv("OMEGA_POLICY_DIFF_KEEP") ? getenv("OMEGA_POLICY_DIFF_KEEP") : omega_test_tmpdir();
    snprintf(in, sizeof in, "%s/policy-diff-%d.jsonl", dir, (int)getpid());
    snprintf(outp, sizeof outp, "%s/policy-diff-%d.out", dir, (int)getpid());
    FILE *f = fopen(in, "w");
    if (!f)
        return -1;
    json_t **cases = calloc((size_t)n, sizeof *cases);
    char **texts = calloc((size_t)n, sizeof *texts);
    if (!cases || !texts) {
        fclose(f);
        return -1;
    }
    for (long i = 0; i < n; i++) {
        cases[i] = pgen_case(seed0 + (uint64_t)i, &texts[i]);
        char *s = json_dumps(cases[i], JSON_COMPACT);
        fprintf(f, "%s\n", s);
        free(s);
    }
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "node '%s/tests/cedar/oracle.cjs' '%s' > '%s' 2> '%s.err'", OMEGA_SRCDIR, in, outp, outp);
    int st = system(cmd);
    long bad = 0;
    if (st != 0) {
        char err[600];
        snprintf(cmd, sizeof cmd, "%s.err", outp);
        FILE *e = fopen(cmd, "r");
        size_t k = e ? fread(err, 1, sizeof err - 1, e) : 0;
        err[k] = 0;
        if (e)
            fclose(e);
        fprintf(stderr, "the Cedar oracle did not run (needs node and `npm ci` in tests/cedar; without the network "
                        "this test cannot pass): %s\n", k ? err : "node not found");
        bad = -1;
    } else {
        FILE *o = fopen(outp, "r");
        char *line = NULL;
        size_t cap = 0;
        long i = 0;
        while (o && i < n && getline(&line, &cap, o) > 0) {
            json_t *cj = json_loads(line, 0, NULL);
            char why[1024];
            if (!cj || pgen_compare(cases[i], texts[i], cj, why, sizeof why)) {
                if (bad < 5)
                    fprintf(stderr, "seed %llu disagrees: %s\n", (unsigned long long)(seed0 + (uint64_t)i),
                            cj ? why : "bad oracle line");
                if (cj && bad < 50 && save_regression(cases[i], cj, texts[i]))
                    fprintf(stderr, "could not save the regression case\n");
                bad++;
            }
            json_decref(cj);
            i++;
        }
        free(line);
        if (o)
            fclose(o);
        if (i != n) {
            fprintf(stderr, "the oracle answered %ld of %ld cases\n", i, n);
            bad = bad ? bad : 1;
        }
    }
    for (long i = 0; i < n; i++) {
        json_decref(cases[i]);
        free(texts[i]);
    }
    free(cases);
    free(texts);
    if (!getenv("OMEGA_POLICY_DIFF_KEEP")) {   /* keep the cases for debugging */
        unlink(in);
        unlink(outp);
    }
    return bad;
}

OMEGA_TEST_TIMEOUT(policy_diff_cedar_quick, 600)
{
    /* OMEGA_POLICY_DIFF_SEED / _N run another slice by hand (e.g. after a change to the engine). */
    uint64_t seed = getenv("OMEGA_POLICY_DIFF_SEED") ? strtoull(getenv("OMEGA_POLICY_DIFF_SEED"), NULL, 10) : 1;
    long n = getenv("OMEGA_POLICY_DIFF_N") ? atol(getenv("OMEGA_POLICY_DIFF_N")) : 2000;
    long bad = run_diff(seed, n);
    CHECK_MSG(bad >= 0, "the Cedar oracle (tests/cedar, @cedar-policy/cedar-wasm) could not run");
    CHECK_MSG(bad == 0, "%ld of %ld cases disagree with Cedar (saved in tests/data/policy/regress/)", bad, n);
    return 0;
}

OMEGA_TEST_LONG(policy_diff_cedar_long, 3600)
{
    long total = 0;
    for (uint64_t s = 1000000; s < 1000000 + 100000; s += 10000) {
        long bad = run_diff(s, 10000);
        CHECK_MSG(bad >= 0, "the Cedar oracle (tests/cedar, @cedar-policy/cedar-wasm) could not run");
        total += bad;
    }
    CHECK_MSG(total == 0, "%ld of 100000 cases disagree with Cedar (saved in tests/data/policy/regress/)", total);
    return 0;
}

/* Every disagreement ever found, against Cedar's stored answer (no Node needed). */
OMEGA_TEST(policy_diff_regressions)
{
    DIR *d = opendir(REGRESS_DIR);
    CHECK_MSG(d, "no regression folder %s", REGRESS_DIR);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d)) != NULL) {
        if (!strstr(de->d_name, ".json"))
            continue;
        char path[600], why[1024];
        snprintf(path, sizeof path, "%s/%s", REGRESS_DIR, de->d_name);
        json_t *j = json_load_file(path, 0, NULL);
        CHECK_MSG(j, "cannot read %s", path);
        const char *text = json_string_value(json_object_get(j, "text"));
        int bad = pgen_compare(json_object_get(j, "case"), text ? text : "", json_object_get(j, "cedar"), why, sizeof why);
        CHECK_MSG(!bad, "%s: %s", de->d_name, why);
        json_decref(j);
        n++;
    }
    closedir(d);
    CHECK_MSG(n > 0, "no regression cases in %s", REGRESS_DIR);
    return 0;
}
