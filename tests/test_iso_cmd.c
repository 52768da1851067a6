/* omega run and omega bench isolation from the command line (prefix iso). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "tests/test.h"

OMEGA_TEST_TIMEOUT(iso_cmd_run_demo_decisions, 60)
{
    static char out[1 << 18];
    int rc = omega_test_sh(out, sizeof out, "%s run --agents 4 --json", omega_test_omega_bin());
    CHECK_EQ_INT(rc, 0);
    json_error_t je;
    json_t *o = json_loads(out, 0, &je);
    CHECK_MSG(o, "not JSON: %s", je.text);
    CHECK_EQ_INT(json_integer_value(json_object_get(o, "violations")), 0);
    CHECK_EQ_INT(json_array_size(json_object_get(o, "agents")), 4);
    /* Per agent: the PHI read is allowed only for agent0, infer is denied for all. */
    int phi_allowed = 0, phi_denied = 0, infer_denied = 0, egress_phi = 0;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(o, "decisions"), i, d) {
        const char *act = json_string_value(json_object_get(d, "action"));
        const char *tgt = json_string_value(json_object_get(d, "target"));
        const char *v = json_string_value(json_object_get(d, "verdict"));
        if (strcmp(act, "read") == 0 && strcmp(tgt, "ehr/patient-17") == 0)
            strcmp(v, "allow") == 0 ? phi_allowed++ : phi_denied++;
        if (strcmp(act, "infer") == 0 && strcmp(v, "deny") == 0)
            infer_denied++;
        if (strcmp(act, "egress") == 0) {
            size_t k;
            json_t *l;
            json_array_foreach(json_object_get(d, "labels"), k, l)
                egress_phi += strcmp(json_string_value(l), "PHI") == 0;
        }
    }
    CHECK_EQ_INT(phi_allowed, 1);
    CHECK_EQ_INT(phi_denied, 3);
    CHECK_EQ_INT(infer_denied, 4);
    CHECK(egress_phi >= 1);   /* agent0's egress carries the PHI label it read; A2A carries it on */
    json_decref(o);
    return 0;
}

OMEGA_TEST_TIMEOUT(iso_cmd_run_escape_and_usage, 60)
{
    static char out[1 << 16];
#ifdef CONFIG_SECCOMP
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s run --workload escape --agents 2", omega_test_omega_bin()), 1);
    CHECK(strstr(out, "forbidden system call") && strstr(out, "2 agents stopped for violations"));
#endif
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "%s run --agents 0 2>/dev/null", omega_test_omega_bin()), 2);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "%s run --workload nosuch 2>/dev/null", omega_test_omega_bin()), 2);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "echo '{\"allow\": 5}' > %s/bad-allow.json && %s run --allow %s/bad-allow.json 2>/dev/null",
                               omega_test_tmpdir(), omega_test_omega_bin(), omega_test_tmpdir()), 2);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s run --help", omega_test_omega_bin()), 0);
    CHECK(strstr(out, "--allow FILE"));
    return 0;
}

OMEGA_TEST_TIMEOUT(iso_bench_quick_reports_every_metric, 120)
{
    static char out[1 << 18];
    int rc = omega_test_sh(out, sizeof out, "%s bench isolation --quick --agents 20 --json --no-write",
                           omega_test_omega_bin());
    CHECK_EQ_INT(rc, 0);
    json_t *o = json_loads(out, 0, NULL);
    CHECK_MSG(o, "bench output is not JSON");
    const char *need[] = {"agent_start_us", "channel_rtt_us", "a2a_latency_us", "agent_rss_kib"};
    for (size_t k = 0; k < 4; k++) {
        int found = 0;
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(o, "metrics"), i, m) {
            if (strcmp(json_string_value(json_object_get(m, "name")), need[k]) != 0)
                continue;
            found++;
            CHECK(json_number_value(json_object_get(m, "p50")) > 0);
            if (strcmp(need[k], "a2a_latency_us") == 0)
                CHECK(json_number_value(json_object_get(m, "baseline")) > 0);
        }
        CHECK_MSG(found >= 1, "no %s", need[k]);
    }
    json_decref(o);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "%s bench isolation --agents 0 --no-write 2>/dev/null", omega_test_omega_bin()), 2);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "%s bench isolation --frobnicate --no-write 2>/dev/null", omega_test_omega_bin()), 2);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s bench isolation --help --no-write", omega_test_omega_bin()), 0);
    CHECK(strstr(out, "--agents N"));
    return 0;
}

OMEGA_TEST_TIMEOUT(iso_cmd_run_graphs_and_bench_multiagent, 120)
{
    static char out[1 << 16];
    const char *g[] = {"chain", "fanout", "supervisor"};
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s run --workload %s --agents 4", omega_test_omega_bin(), g[i]), 0);
        CHECK_MSG(strstr(out, "0 denied, 0 agents stopped"), "%s: %s", g[i], out);
    }
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "%s run --workload chain --agents 1 2>/dev/null", omega_test_omega_bin()), 2);
    static char js[1 << 16];
    CHECK_EQ_INT(omega_test_sh(js, sizeof js, "%s bench multiagent --quick --nodes 3 --rounds 20 --bytes 512 --json --no-write",
                               omega_test_omega_bin()), 0);
    json_t *o = json_loads(js, 0, NULL);
    CHECK(o);
    json_t *m = json_object_get(o, "metrics");
    CHECK_EQ_INT(json_array_size(m), 3);
    for (size_t i = 0; i < 3; i++) {
        CHECK_STR(json_string_value(json_object_get(json_array_get(m, i), "name")), "graph_latency_us");
        CHECK(json_number_value(json_object_get(json_array_get(m, i), "baseline")) > 0);
    }
    json_decref(o);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "%s bench multiagent --graph ring --no-write 2>/dev/null", omega_test_omega_bin()), 2);
    return 0;
}

/* Without root: the sandbox gets its namespaces from a pre-made user namespace. */
OMEGA_TEST_TIMEOUT(iso_cmd_run_as_normal_user, 60)
{
    if (geteuid() != 0)
        return omega_test_skip("needs: root, to switch to uid 65534 (as a normal user the other iso tests take the user-namespace path)");
#ifndef CONFIG_SECCOMP
    return omega_test_skip("needs: libseccomp (configure found none)");
#endif
    if (omega_test_sh(NULL, 0, "command -v setpriv >/dev/null") != 0)
        return omega_test_skip("needs: setpriv (util-linux)");
    static char out[1 << 16];
    int rc = omega_test_sh(out, sizeof out, "setpriv --reuid=65534 --regid=65534 --clear-groups %s run --workload escape --agents 2",
                           omega_test_omega_bin());
    if (strstr(out, "namespaces: unavailable"))
        return omega_test_skip("needs: unprivileged user namespaces");
    CHECK_EQ_INT(rc, 1);
    CHECK_MSG(strstr(out, "user+mount+network") && strstr(out, "2 agents stopped for violations"), "%s", out);
    return 0;
}
