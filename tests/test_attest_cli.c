/* omega attest on the command line: the exit-status contract (0 valid, 1 invalid, 2 unreadable) on the
 * real recordings, and the emulated platform's report and differential evidence end to end. */
#include <string.h>

#include "core/util.h"
#include "tests/test.h"

#define AT "--at 2025-06-01T00:00:00Z"
#define NONCE "931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb"

OMEGA_TEST(attest_cli_verify_exit_status)
{
    const char *o = omega_test_omega_bin(), *s = omega_test_srcdir();
    char out[4096];
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s attest verify --report %s/tests/data/attest/milan-report.bin "
                               "--cert %s/tests/data/attest/milan-vcek.der " AT, o, s, s), 0);
    CHECK(strstr(out, "valid") != NULL);
    /* PEM chain as AMD's key server serves it, and --json. */
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s attest verify --report %s/tests/data/attest/milan-report.bin "
                               "--cert %s/tests/data/attest/milan-vcek.der --chain %s/roots/amd/ask_ark_milan.pem "
                               "--product milan --json " AT, o, s, s, s), 0);
    CHECK(strstr(out, "\"valid\": true") != NULL);
    /* Expired, wrong product, wrong measurement: 1 with a reason. */
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s attest verify --report %s/tests/data/attest/milan-report.bin "
                               "--cert %s/tests/data/attest/milan-vcek.der --at 2031-01-01T00:00:00Z 2>&1", o, s, s), 1);
    CHECK(strstr(out, "expired") != NULL);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s attest verify --report %s/tests/data/attest/milan-report.bin "
                               "--cert %s/tests/data/attest/milan-vcek.der --product turin " AT " 2>&1", o, s, s), 1);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s attest verify --report %s/tests/data/attest/milan-report.bin "
                               "--cert %s/tests/data/attest/milan-vcek.der --expect-measurement %096d " AT " 2>&1", o, s,
                               s, 0), 1);
    /* Not a report at all, or missing: 2. */
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s attest verify --report %s/tests/data/attest/milan-vcek.der "
                               "--cert %s/tests/data/attest/milan-vcek.der 2>&1", o, s, s), 2);
    CHECK(strstr(out, "exactly 1184") != NULL);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "%s attest verify --report /nonexistent --cert /nonexistent 2>/dev/null", o), 2);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "%s attest verify --report %s/tests/data/attest/milan-report.bin "
                               "--cert %s/tests/data/attest/h100-report.hex 2>/dev/null", o, s, s), 2);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "%s attest verify --bogus 2>/dev/null", o), 2);
    return 0;
}

OMEGA_TEST(attest_cli_gpu_verify_exit_status)
{
    const char *o = omega_test_omega_bin(), *s = omega_test_srcdir();
    char out[4096];
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s attest gpu-verify --report %s/tests/data/attest/h100-report.hex "
                               "--chain %s/tests/data/attest/h100-chain.pem --nonce " NONCE " " AT, o, s, s), 0);
    CHECK(strstr(out, "550.90.07") && strstr(out, "valid"));
    /* The same evidence as raw bytes. */
    char raw[1024];
    snprintf(raw, sizeof raw, "%s/h100.bin", omega_test_tmpdir());
    {
        /* Decoded here rather than with xxd, which a minimal Debian does not have. */
        char hexpath[1024];
        snprintf(hexpath, sizeof hexpath, "%s/tests/data/attest/h100-report.hex", s);
        struct omega_buf hex, bin;
        omega_buf_init(&hex);
        omega_buf_init(&bin);
        CHECK(omega_buf_read_file(&hex, hexpath, 1 << 20, NULL) == 0);
        CHECK(omega_hex_decode((const char *)hex.data, hex.len, &bin) == 0 && bin.len > 0);
        CHECK(omega_buf_write_file(&bin, raw, NULL) == 0);
        omega_buf_fini(&hex);
        omega_buf_fini(&bin);
    }
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "%s attest gpu-verify --report %s --chain %s/tests/data/attest/h100-chain.pem "
                               "--nonce " NONCE " " AT, o, raw, s), 0);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "%s attest gpu-verify --report %s/tests/data/attest/h100-report.hex "
                               "--chain %s/tests/data/attest/h100-chain.pem --nonce %064d " AT " 2>&1", o, s, s, 0), 1);
    CHECK(strstr(out, "nonce") != NULL);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "%s attest gpu-verify --report %s/tests/data/attest/milan-vcek.der "
                               "--chain %s/tests/data/attest/h100-chain.pem 2>/dev/null", o, s, s), 2);
    return 0;
}

OMEGA_TEST(attest_cli_emu_end_to_end)
{
    const char *o = omega_test_omega_bin(), *t = omega_test_tmpdir();
    char out[8192];
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "cd %s && %s attest report --report-data 0102 --vmpl 1 --out r.bin "
                               "--chain-out c.der", t, o), 0);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "cd %s && %s attest verify --report r.bin --chain c.der --trust emu --vmpl 1 "
                               "--report-data 0102%0124d >/dev/null", t, o, 0), 0);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "cd %s && %s attest verify --report r.bin --chain c.der 2>/dev/null", t, o), 1);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "cd %s && %s attest gpu-report --nonce " NONCE " --out g.bin --chain-out g.pem "
                               ">/dev/null && %s attest gpu-verify --report g.bin --chain g.pem --nonce " NONCE
                               " --trust emu >/dev/null", t, o, o), 0);
    /* Differential evidence: the model provider sees its weights, not the agent's code. */
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "cd %s && head -c 300000 /dev/urandom > w.bin && %s attest evidence --nonce "
                               NONCE " --claim-file model:m:weights=w.bin --claim agent:a:code=%064d --out-dir . "
                               ">/dev/null", t, o, 7), 0);
    CHECK_EQ_INT(omega_test_sh(out, sizeof out, "cd %s && %s attest check --evidence model:m.cbor --principal model:m "
                               "--nonce " NONCE " --trust emu", t, o), 0);
    CHECK(strstr(out, "model:m/weights") && !strstr(out, "agent:a"));
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "cd %s && %s attest check --evidence agent:a.cbor --principal agent:a --nonce "
                               NONCE " --trust emu --expect code=%064d >/dev/null", t, o, 7), 0);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "cd %s && %s attest check --evidence platform.cbor --principal platform --gpu "
                               "--nonce " NONCE " --trust emu >/dev/null", t, o), 0);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "cd %s && %s attest check --evidence agent:a.cbor --principal agent:a --nonce "
                               NONCE " --trust emu --expect code=%064d 2>/dev/null", t, o, 8), 1);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "cd %s && %s attest check --evidence agent:a.cbor --principal agent:a --nonce "
                               "%064d --trust emu 2>/dev/null", t, o, 1), 1);
    CHECK_EQ_INT(omega_test_sh(NULL, 0, "cd %s && %s attest check --evidence w.bin --principal agent:a 2>/dev/null", t, o), 2);
    return 0;
}
