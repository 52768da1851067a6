/* The bench runner: result files, the summary contract, job files, bad options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/test.h"

OMEGA_TEST(bench_null_writes_contract)
{
    const char *t = omega_test_tmpdir();
    char out[65536];
    int rc = omega_test_sh(out, sizeof out, "%s bench null --quick --json --out %s/res --run-id r1", omega_test_omega_bin(), t);
    CHECK_EQ_INT(rc, 0);
    json_error_t je;
    json_t *s = json_loads(out, 0, &je);
    CHECK_MSG(s != NULL, "stdout is not one JSON object: %s", je.text);
    CHECK_STR(json_string_value(json_object_get(s, "suite")), "null");
    CHECK_STR(json_string_value(json_object_get(s, "run_id")), "r1");
    json_t *m = json_array_get(json_object_get(s, "metrics"), 0);
    CHECK_STR(json_string_value(json_object_get(m, "name")), "timer_overhead_ns");
    CHECK(json_is_number(json_object_get(m, "p50")) && json_is_number(json_object_get(m, "p99")));
    CHECK(json_integer_value(json_object_get(m, "n")) == 2000);
    CHECK(json_number_value(json_object_get(m, "p50")) <= json_number_value(json_object_get(m, "p99")));
    CHECK_STR(json_string_value(json_object_get(m, "kind")), "measured");
    json_t *mach = json_object_get(s, "machine");
    CHECK(json_object_get(mach, "commit") && json_object_get(mach, "backend") && json_object_get(mach, "kernel"));
    json_decref(s);
    /* the same object on disk, beside machine.json, summary.csv and the raw samples */
    char path[1024];
    snprintf(path, sizeof path, "%s/res/null/r1/summary.json", t);
    s = json_load_file(path, 0, &je);
    CHECK(s != NULL);
    json_decref(s);
    CHECK(omega_test_sh(NULL, 0, "test -s %s/res/null/r1/machine.json && test -s %s/res/null/r1/summary.csv && "
                        "test $(wc -l < %s/res/null/r1/samples/timer_overhead_ns.csv) -eq 2001", t, t, t) == 0);
    return 0;
}

OMEGA_TEST(bench_job_files)
{
    const char *t = omega_test_tmpdir();
    char out[65536];
    CHECK(omega_test_sh(NULL, 0, "printf '# a job\\n[global]\\nquick\\n\\n[null]\\nsamples = 500  # fewer\\n' > %s/ok.job", t) == 0);
    int rc = omega_test_sh(out, sizeof out, "%s bench --job %s/ok.job --json --no-write", omega_test_omega_bin(), t);
    CHECK_EQ_INT(rc, 0);
    json_t *s = json_loads(out, 0, NULL);
    CHECK(s != NULL);
    CHECK(json_integer_value(json_object_get(json_array_get(json_object_get(s, "metrics"), 0), "n")) == 500);
    json_decref(s);
    /* the command line wins over the job file */
    rc = omega_test_sh(out, sizeof out, "%s bench null --job %s/ok.job --samples 300 --json --no-write", omega_test_omega_bin(), t);
    CHECK_EQ_INT(rc, 0);
    s = json_loads(out, 0, NULL);
    CHECK(s && json_integer_value(json_object_get(json_array_get(json_object_get(s, "metrics"), 0), "n")) == 300);
    json_decref(s);
    const char *bad[] = {"[nosuch]\\n", "samples = 3\\n", "[null\\n", "[null]\\nsamples = 3\\n", NULL};
    for (int i = 0; bad[i]; i++) {
        CHECK(omega_test_sh(NULL, 0, "printf '%s' > %s/bad.job", bad[i], t) == 0);
        rc = omega_test_sh(out, sizeof out, "%s bench --job %s/bad.job --no-write 2>&1", omega_test_omega_bin(), t);
        CHECK_MSG(rc == 2, "job '%s' gave %d: %s", bad[i], rc, out);
    }
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "%s bench --job /nonexistent.job 2>/dev/null", omega_test_omega_bin()), 2);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "%s bench nosuch 2>/dev/null", omega_test_omega_bin()), 2);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "%s bench null --bogus --no-write 2>/dev/null", omega_test_omega_bin()), 2);
    return 0;
}
