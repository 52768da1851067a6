/* omega attest: make and verify SEV-SNP reports and H100 evidence; build and check differential evidence.
 * Exit status: 0 valid, 1 invalid (one line of reason), 2 unreadable input or usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <openssl/pem.h>

#include "attest/cert.h"
#include "attest/diffattest.h"
#include "attest/gpu.h"
#include "attest/snp_verify.h"
#include "core/cli.h"
#include "core/util.h"

static int json_out;

static void print_json(json_t *o)
{
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (s)
        printf("%s\n", s);
    free(s);
    json_decref(o);
}

static json_t *hexj(const uint8_t *p, size_t n)
{
    char *h = malloc(2 * n + 1);
    if (!h)
        return json_null();
    omega_hex_encode(p, n, h);
    json_t *s = json_string(h);
    free(h);
    return s;
}

/* A verdict: valid (0), or invalid / unreadable with the one-line reason. */
static int verdict(const char *cmd, int rc, const struct omega_error *err, json_t *facts)
{
    if (json_out) {
        if (!facts)
            facts = json_object();
        json_object_set_new(facts, "valid", json_boolean(rc == 0));
        if (rc < 0) {
            json_object_set_new(facts, "reason", json_string(err->msg));
            json_object_set_new(facts, "error", json_string(omega_error_name(rc)));
        }
        print_json(facts);
    } else {
        json_decref(facts);
        if (rc == 0)
            printf("valid\n");
        else if (rc == OMEGA_EVERIFY)
            fprintf(stderr, "omega attest %s: invalid: %s\n", cmd, err->msg);
        else
            fprintf(stderr, "omega attest %s: %s\n", cmd, err->msg[0] ? err->msg : omega_error_name(rc));
    }
    return omega_error_exit_status(rc);
}

static int read_input(const char *cmd, const char *what, const char *path, struct omega_buf *b, struct omega_error *err)
{
    omega_buf_init(b);
    if (!path)
        return 0;
    int rc = omega_buf_read_file(b, path, 64u << 20, err);
    if (rc < 0 && err && !strstr(err->msg, path))
        snprintf(err->msg, sizeof err->msg, "cannot read %s %s", what, path);
    (void)cmd;
    return rc;
}

static int parse_trust(const char *s, unsigned *trust)
{
    *trust = 0;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
        if (strcmp(t, "vendor") == 0) *trust |= OMEGA_TRUST_VENDOR;
        else if (strcmp(t, "emu") == 0) *trust |= OMEGA_TRUST_EMU;
        else return -1;
    }
    return *trust ? 0 : -1;
}

static int parse_at(const char *s, int64_t *at)
{
    return omega_parse_time(s, at);
}

/* ---- report ---- */

static int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"report-data", 1, 0, 'd'}, {"vmpl", 1, 0, 'v'}, {"out", 1, 0, 'o'},
                                         {"chain-out", 1, 0, 'c'}, {"json", 0, 0, 'j'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    uint8_t rd[64] = {0};
    unsigned vmpl = 0;
    const char *out = NULL, *chain_out = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': {
            struct omega_buf b;
            omega_buf_init(&b);
            if (omega_hex_decode(optarg, strlen(optarg), &b) < 0 || b.len > 64) {
                omega_buf_fini(&b);
                return omega_cli_usage("attest report", "--report-data takes up to 64 bytes of hex");
            }
            memcpy(rd, b.data, b.len);
            omega_buf_fini(&b);
            break;
        }
        case 'v':
            if (strlen(optarg) != 1 || optarg[0] < '0' || optarg[0] > '3')
                return omega_cli_usage("attest report", "--vmpl takes 0-3");
            vmpl = (unsigned)(optarg[0] - '0');
            break;
        case 'o': out = optarg; break;
        case 'c': chain_out = optarg; break;
        case 'j': json_out = 1; break;
        case 'h':
            printf("usage: omega [--backend emu|snp] attest report [--report-data HEX] [--vmpl N] [--out FILE]\n"
                   "                                  [--chain-out FILE] [--json]\n\n"
                   "Asks the TEE backend for an SEV-SNP ATTESTATION_REPORT binding REPORT_DATA (up to 64 bytes of hex,\n"
                   "zero-padded) at privilege level VMPL (default 0). --out writes the 1,184 raw bytes (else the\n"
                   "report is printed as hex); --chain-out writes the certificate chain (VCEK, ASK, ARK; DER back to\n"
                   "back). The emu backend's chain ends in the emulated root: verify with --trust emu.\n");
            return 0;
        default: return omega_cli_usage("attest report", "bad option");
        }
    }
    if (optind != argc)
        return omega_cli_usage("attest report", "unexpected argument '%s'", argv[optind]);
    struct omega_platform *p;
    struct omega_error err = {0};
    struct omega_config cfg = omega_opts.cfg;
    if (omega_platform_open(&p, &cfg, &err) < 0)
        return omega_cli_fail("attest report", &err);
    struct omega_buf rep, chain;
    omega_buf_init(&rep);
    omega_buf_init(&chain);
    int rc = omega_platform_report(p, rd, vmpl, &rep, &chain, &err);
    if (rc == 0 && out)
        rc = omega_buf_write_file(&rep, out, &err);
    if (rc == 0 && chain_out)
        rc = omega_buf_write_file(&chain, chain_out, &err);
    if (rc == 0) {
        if (json_out) {
            print_json(json_pack("{s:s,s:o,s:o}", "backend", omega_platform_tee_name(p), "report", hexj(rep.data, rep.len),
                                 "chain", hexj(chain.data, chain.len)));
        } else if (!out) {
            char *h = malloc(2 * rep.len + 1);
            if (h) {
                omega_hex_encode(rep.data, rep.len, h);
                printf("%s\n", h);
                free(h);
            }
        }
    }
    omega_buf_fini(&rep);
    omega_buf_fini(&chain);
    omega_platform_close(p);
    return rc < 0 ? omega_cli_fail("attest report", &err) : 0;
}

/* ---- verify ---- */

static json_t *report_json(const struct omega_snp_result *res)
{
    const struct omega_snp_report *r = &res->report;
    char tcb[20];
    snprintf(tcb, sizeof tcb, "%016llx", (unsigned long long)r->reported_tcb);
    return json_pack("{s:i,s:s,s:o,s:o,s:o,s:i,s:s,s:o,s:s,s:b,s:s}", "version", (int)r->version, "product",
                     omega_snp_product_name(res->product), "measurement", hexj(r->measurement, 48), "report_data",
                     hexj(r->report_data, 64), "chip_id", hexj(r->chip_id, 64), "vmpl", (int)r->vmpl, "reported_tcb", tcb,
                     "policy", json_integer((json_int_t)r->policy), "signing_key", res->vlek ? "vlek" : "vcek",
                     "emulated", res->emulated, "host_data", hexj(r->host_data, 32));
}

static int cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        {"report", 1, 0, 'r'}, {"cert", 1, 0, 'c'}, {"chain", 1, 0, 'C'}, {"product", 1, 0, 'p'},
        {"expect-measurement", 1, 0, 'm'}, {"report-data", 1, 0, 'd'}, {"min-tcb", 1, 0, 't'},
        {"no-debug", 0, 0, 'D'}, {"vmpl", 1, 0, 'v'}, {"no-migration-agent", 0, 0, 'M'}, {"trust", 1, 0, 'T'},
        {"at", 1, 0, 'a'}, {"json", 0, 0, 'j'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *rpath = NULL, *cpath = NULL, *chpath = NULL;
    struct omega_snp_policy pol;
    omega_snp_policy_init(&pol);
    uint8_t meas[48], rdata[64];
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'r': rpath = optarg; break;
        case 'c': cpath = optarg; break;
        case 'C': chpath = optarg; break;
        case 'p':
            pol.product = omega_snp_product_from_name(optarg);
            if (pol.product == OMEGA_SNP_UNKNOWN)
                return omega_cli_usage("attest verify", "--product takes milan, genoa or turin");
            break;
        case 'm':
            if (omega_hex_decode_fixed(optarg, meas, 48) < 0)
                return omega_cli_usage("attest verify", "--expect-measurement takes 48 bytes of hex");
            pol.measurement = meas;
            break;
        case 'd':
            if (omega_hex_decode_fixed(optarg, rdata, 64) < 0)
                return omega_cli_usage("attest verify", "--report-data takes 64 bytes of hex");
            pol.report_data = rdata;
            break;
        case 't': {
            unsigned bl, tee, snp, uc, fmc = 0;
            int k = sscanf(optarg, "%u:%u:%u:%u:%u", &bl, &tee, &snp, &uc, &fmc);
            if ((k != 4 && k != 5) || bl > 255 || tee > 255 || snp > 255 || uc > 255 || fmc > 255)
                return omega_cli_usage("attest verify", "--min-tcb takes BOOTLOADER:TEE:SNP:MICROCODE[:FMC]");
            pol.has_min_tcb = 1;
            pol.min_tcb = (struct omega_snp_tcb){.bootloader = (uint8_t)bl, .tee = (uint8_t)tee, .snp = (uint8_t)snp,
                                                 .microcode = (uint8_t)uc, .fmc = (uint8_t)fmc};
            break;
        }
        case 'D': pol.forbid_debug = 1; break;
        case 'M': pol.forbid_migration_agent = 1; break;
        case 'v':
            if (strlen(optarg) != 1 || optarg[0] < '0' || optarg[0] > '3')
                return omega_cli_usage("attest verify", "--vmpl takes 0-3");
            pol.vmpl = optarg[0] - '0';
            break;
        case 'T':
            if (parse_trust(optarg, &pol.trust) < 0)
                return omega_cli_usage("attest verify", "--trust takes vendor, emu or vendor,emu");
            break;
        case 'a':
            if (parse_at(optarg, &pol.at) < 0)
                return omega_cli_usage("attest verify", "--at takes an ISO 8601 UTC time such as 2025-06-01T00:00:00Z");
            break;
        case 'j': json_out = 1; break;
        case 'h':
            printf("usage: omega attest verify --report R [--cert C] [--chain CHAIN] [--product milan|genoa|turin]\n"
                   "           [--expect-measurement HEX] [--report-data HEX] [--min-tcb BL:TEE:SNP:UCODE[:FMC]]\n"
                   "           [--no-debug] [--vmpl N] [--no-migration-agent] [--trust vendor|emu|vendor,emu]\n"
                   "           [--at TIME] [--json]\n\n"
                   "Verifies an SEV-SNP ATTESTATION_REPORT (raw 1,184 bytes, versions 2, 3, 5) offline: format and\n"
                   "reserved bytes, the ECDSA P-384 signature with the VCEK/VLEK (--cert, DER or PEM), the chain\n"
                   "VCEK -> ASK -> ARK (or VLEK -> ASVK -> ARK) to AMD's pinned roots in roots/amd (--chain: the\n"
                   "ASK+ARK bundle as AMD's key server serves it, or VCEK+ASK+ARK; default: the pinned bundle of the\n"
                   "product), REPORTED_TCB against the certificate's TCB extensions, CHIP_ID against hwID, and each\n"
                   "certificate's validity at --at (default now). The other flags add policy checks.\n"
                   "--trust emu accepts the emulated secure processor's root (roots/emu); never for real hardware.\n"
                   "Exit status: 0 valid, 1 invalid (the reason on stderr), 2 unreadable input.\n");
            return 0;
        default: return omega_cli_usage("attest verify", "bad option");
        }
    }
    if (optind != argc)
        return omega_cli_usage("attest verify", "unexpected argument '%s'", argv[optind]);
    if (!rpath)
        return omega_cli_usage("attest verify", "--report is required");
    if (!cpath && !chpath)
        return omega_cli_usage("attest verify", "give --cert (the VCEK/VLEK) or a --chain that starts with it");
    struct omega_buf rep, cert, chain;
    struct omega_error err = {0};
    int rc = read_input("verify", "report", rpath, &rep, &err);
    if (rc == 0) rc = read_input("verify", "certificate", cpath, &cert, &err);
    else omega_buf_init(&cert);
    if (rc == 0) rc = read_input("verify", "chain", chpath, &chain, &err);
    else omega_buf_init(&chain);
    struct omega_snp_result res;
    if (rc == 0)
        rc = omega_snp_verify(rep.data, rep.len, cert.data, cert.len, chain.data, chain.len, &pol, &res, &err);
    json_t *facts = rc == 0 || rc == OMEGA_EVERIFY ? (rc == 0 ? report_json(&res) : json_object()) : NULL;
    if (rc == 0 && !json_out) {
        char m[97];
        omega_hex_encode(res.report.measurement, 48, m);
        printf("report version %u, %s%s, VMPL %u, TCB %016llx\nmeasurement %s\n", res.report.version,
               omega_snp_product_name(res.product), res.emulated ? " (emulated)" : "", res.report.vmpl,
               (unsigned long long)res.report.reported_tcb, m);
    }
    omega_buf_fini(&rep);
    omega_buf_fini(&cert);
    omega_buf_fini(&chain);
    return verdict("verify", rc, &err, facts);
}

/* ---- GPU ---- */

static int cmd_gpu_verify(int argc, char **argv)
{
    static const struct option opts[] = {{"report", 1, 0, 'r'}, {"chain", 1, 0, 'C'}, {"nonce", 1, 0, 'n'},
                                         {"refs", 1, 0, 'R'}, {"trust", 1, 0, 'T'}, {"at", 1, 0, 'a'},
                                         {"json", 0, 0, 'j'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *rpath = NULL, *cpath = NULL, *refs = NULL;
    struct omega_gpu_policy pol = {.at = (int64_t)time(NULL), .trust = OMEGA_TRUST_VENDOR};
    uint8_t nonce[32];
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'r': rpath = optarg; break;
        case 'C': cpath = optarg; break;
        case 'n':
            if (omega_hex_decode_fixed(optarg, nonce, 32) < 0)
                return omega_cli_usage("attest gpu-verify", "--nonce takes 32 bytes of hex");
            pol.nonce = nonce;
            break;
        case 'R': refs = optarg; break;
        case 'T':
            if (parse_trust(optarg, &pol.trust) < 0)
                return omega_cli_usage("attest gpu-verify", "--trust takes vendor, emu or vendor,emu");
            break;
        case 'a':
            if (parse_at(optarg, &pol.at) < 0)
                return omega_cli_usage("attest gpu-verify", "--at takes an ISO 8601 UTC time such as 2025-06-01T00:00:00Z");
            break;
        case 'j': json_out = 1; break;
        case 'h':
            printf("usage: omega attest gpu-verify --report R --chain C [--nonce HEX] [--refs FILE.json]\n"
                   "           [--trust vendor|emu|vendor,emu] [--at TIME] [--json]\n\n"
                   "Verifies H100 attestation evidence: the SPDM 1.1 GET_MEASUREMENTS request and response as\n"
                   "nvmlDeviceGetConfComputeGpuAttestationReport returns them (raw bytes or their hex text), signed\n"
                   "with ECDSA P-384 by the leaf of C (PEM or DER, leaf first) which must chain to NVIDIA's device\n"
                   "identity root (roots/nvidia). Checks the nonce (--nonce, the one the verifier chose), the FWID in\n"
                   "the opaque data against the leaf's TcbInfo extension, and measurement blocks against reference\n"
                   "values (--refs: {\"<block index>\": \"<hex>\", ...}). Exit status: 0 valid, 1 invalid, 2 unreadable.\n");
            return 0;
        default: return omega_cli_usage("attest gpu-verify", "bad option");
        }
    }
    if (optind != argc)
        return omega_cli_usage("attest gpu-verify", "unexpected argument '%s'", argv[optind]);
    if (!rpath || !cpath)
        return omega_cli_usage("attest gpu-verify", "--report and --chain are required");
    struct omega_buf in, raw, chain;
    struct omega_error err = {0};
    omega_buf_init(&raw);
    json_t *rj = NULL;
    if (refs) {
        json_error_t je;
        rj = json_load_file(refs, 0, &je);
        if (!rj || !json_is_object(rj)) {
            fprintf(stderr, "omega attest gpu-verify: %s: not a JSON object of reference values (%s)\n", refs, je.text);
            json_decref(rj);
            return OMEGA_EXIT_USAGE;
        }
        pol.refs = rj;
    }
    int rc = read_input("gpu-verify", "report", rpath, &in, &err);
    if (rc == 0) rc = read_input("gpu-verify", "chain", cpath, &chain, &err);
    else omega_buf_init(&chain);
    if (rc == 0)
        rc = omega_gpu_evidence_decode(in.data, in.len, &raw, &err);
    static struct omega_gpu_evidence ev;
    int emu = 0;
    if (rc == 0)
        rc = omega_gpu_verify(raw.data, raw.len, chain.data, chain.len, &pol, &ev, &emu, &err);
    json_t *facts = NULL;
    if (rc == 0) {
        facts = json_pack("{s:s,s:s,s:o,s:i,s:o,s:b}", "driver", ev.driver, "vbios", ev.vbios, "nonce", hexj(ev.nonce, 32),
                          "blocks", (int)ev.nblocks, "fwid", hexj(ev.fwid, 48), "emulated", emu);
        if (!json_out)
            printf("SPDM 1.1 evidence, %zu measurement blocks, driver %s, VBIOS %s%s\n", ev.nblocks, ev.driver, ev.vbios,
                   emu ? " (emulated)" : "");
    }
    omega_buf_fini(&in);
    omega_buf_fini(&raw);
    omega_buf_fini(&chain);
    json_decref(rj);
    return verdict("gpu-verify", rc, &err, facts);
}

static int cmd_gpu_report(int argc, char **argv)
{
    static const struct option opts[] = {{"nonce", 1, 0, 'n'}, {"out", 1, 0, 'o'}, {"chain-out", 1, 0, 'c'},
                                         {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    uint8_t nonce[32];
    int have_nonce = 0;
    const char *out = NULL, *chain_out = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (omega_hex_decode_fixed(optarg, nonce, 32) < 0)
                return omega_cli_usage("attest gpu-report", "--nonce takes 32 bytes of hex");
            have_nonce = 1;
            break;
        case 'o': out = optarg; break;
        case 'c': chain_out = optarg; break;
        case 'h':
            printf("usage: omega [--backend emu|cuda] attest gpu-report [--nonce HEX] --out R --chain-out C\n\n"
                   "Fetches GPU attestation evidence binding a 32-byte nonce (default: random, printed): the SPDM\n"
                   "GET_MEASUREMENTS transcript into R (raw bytes) and its certificate chain (PEM) into C.\n");
            return 0;
        default: return omega_cli_usage("attest gpu-report", "bad option");
        }
    }
    if (!out || !chain_out || optind != argc)
        return omega_cli_usage("attest gpu-report", "--out and --chain-out are required");
    struct omega_error err = {0};
    if (!have_nonce && omega_random(nonce, 32) < 0)
        return OMEGA_EXIT_INTERNAL;
    struct omega_platform *p;
    struct omega_config cfg = omega_opts.cfg;
    if (omega_platform_open(&p, &cfg, &err) < 0)
        return omega_cli_fail("attest gpu-report", &err);
    struct omega_buf rep, chain;
    omega_buf_init(&rep);
    omega_buf_init(&chain);
    int rc = omega_gpu_evidence(p, nonce, &rep, &chain, &err);
    if (rc == 0) rc = omega_buf_write_file(&rep, out, &err);
    if (rc == 0) rc = omega_buf_write_file(&chain, chain_out, &err);
    if (rc == 0) {
        char h[65];
        omega_hex_encode(nonce, 32, h);
        printf("nonce %s\n", h);
    }
    omega_buf_fini(&rep);
    omega_buf_fini(&chain);
    omega_platform_close(p);
    return rc < 0 ? omega_cli_fail("attest gpu-report", &err) : 0;
}

/* ---- differential evidence ---- */

static EVP_PKEY *load_key(const char *path, int priv)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    EVP_PKEY *k = priv ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
    if (!k && !priv) {   /* a private key file gives its public half too */
        rewind(f);
        k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    }
    fclose(f);
    if (k && EVP_PKEY_get_base_id(k) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(k);
        return NULL;
    }
    return k;
}

/* "PRINCIPAL:NAME=VALUE"; the principal may hold colons itself ("model:llama"), the name may not. */
static int split_claim(char *s, char **principal, char **name, char **value)
{
    char *eq = strchr(s, '='), *colon = NULL;
    for (char *q = s; eq && q < eq; q++)
        if (*q == ':')
            colon = q;
    if (!colon || !eq || colon == s || eq == colon + 1 || !eq[1])
        return -1;
    *colon = 0;
    *eq = 0;
    *principal = s;
    *name = colon + 1;
    *value = eq + 1;
    return 0;
}

static int cmd_evidence(int argc, char **argv)
{
    static const struct option opts[] = {{"claim-file", 1, 0, 'f'}, {"claim", 1, 0, 'c'}, {"nonce", 1, 0, 'n'},
                                         {"evidence-key", 1, 0, 'e'}, {"log-key", 1, 0, 'l'}, {"out-dir", 1, 0, 'o'},
                                         {"principal", 1, 0, 'p'}, {"json", 0, 0, 'j'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    struct omega_error err = {0};
    uint8_t nonce[32];
    int have_nonce = 0;
    const char *evk = NULL, *logk = NULL, *outdir = ".";
    char **claims = calloc((size_t)argc + 1, sizeof *claims), **principals = calloc((size_t)argc + 1, sizeof *principals);
    int *is_file = calloc((size_t)argc + 1, sizeof *is_file);
    int nc = 0, np = 0, c, rc = 0;
    if (!claims || !principals || !is_file)
        return OMEGA_EXIT_INTERNAL;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': is_file[nc] = 1; claims[nc++] = optarg; break;
        case 'c': claims[nc++] = optarg; break;
        case 'p': principals[np++] = optarg; break;
        case 'n':
            if (omega_hex_decode_fixed(optarg, nonce, 32) < 0) {
                rc = omega_cli_usage("attest evidence", "--nonce takes 32 bytes of hex");
                goto done;
            }
            have_nonce = 1;
            break;
        case 'e': evk = optarg; break;
        case 'l': logk = optarg; break;
        case 'o': outdir = optarg; break;
        case 'j': json_out = 1; break;
        case 'h':
            printf("usage: omega [--backend B] attest evidence --nonce HEX [--claim-file P:NAME=FILE]...\n"
                   "           [--claim P:NAME=HEX]... [--principal P]... [--evidence-key KEY.pem] [--log-key KEY.pem]\n"
                   "           [--out-dir DIR] [--json]\n\n"
                   "The monitor's side of differential attestation. Each claim puts one component of principal P\n"
                   "into a salted leaf: --claim-file measures FILE (chunked SHA-256 tree, parallel), --claim takes a\n"
                   "digest in hex. The platform's GPU evidence is added when the GPU backend gives it. The tree's root\n"
                   "and the verifier's --nonce are bound into a fresh hardware report (REPORT_DATA); each principal\n"
                   "named with --principal (default: every principal with claims, and 'platform') gets\n"
                   "DIR/<principal>.cbor holding the signed evidence and only its own leaves with their proofs.\n"
                   "--evidence-key: Ed25519 private key signing the COSE_Sign1 (default: a fresh one); --log-key: the\n"
                   "monitor's Ed25519 log-signing key (public or private PEM; default: a fresh one). Both are attested\n"
                   "as the monitor's leaves.\n");
            rc = 0;
            goto done;
        default: rc = omega_cli_usage("attest evidence", "bad option"); goto done;
        }
    }
    if (optind != argc) {
        rc = omega_cli_usage("attest evidence", "unexpected argument '%s'", argv[optind]);
        goto done;
    }
    if (!have_nonce) {
        rc = omega_cli_usage("attest evidence", "--nonce is required (the verifier's 32-byte challenge)");
        goto done;
    }
    EVP_PKEY *ek = evk ? load_key(evk, 1) : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    EVP_PKEY *lk = logk ? load_key(logk, 0) : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    uint8_t log_pub[32];
    size_t l = 32;
    if (!ek || !lk || EVP_PKEY_get_raw_public_key(lk, log_pub, &l) != 1) {
        fprintf(stderr, "omega attest evidence: --evidence-key / --log-key must be Ed25519 PEM keys\n");
        EVP_PKEY_free(ek);
        EVP_PKEY_free(lk);
        rc = OMEGA_EXIT_USAGE;
        goto done;
    }
    struct omega_diffattest *d = NULL;
    struct omega_platform *p = NULL;
    struct omega_config cfg = omega_opts.cfg;
    int r = omega_diffattest_new(&d, ek, log_pub, &err);
    int defaults = np == 0;
    for (int i = 0; i < nc && r == 0; i++) {
        char *pr, *name, *val;
        if (split_claim(claims[i], &pr, &name, &val) < 0) {
            r = omega_error_set(&err, OMEGA_EINVAL, __FILE__, __LINE__, "claim '%s' is not PRINCIPAL:NAME=VALUE", claims[i]);
            break;
        }
        if (strcmp(pr, OMEGA_DA_MONITOR) == 0) {
            r = omega_error_set(&err, OMEGA_EINVAL, __FILE__, __LINE__, "principal 'monitor' is reserved");
            break;
        }
        if (is_file[i]) {
            r = omega_diffattest_add_file(d, pr, name, val, &err);
        } else {
            struct omega_buf dg;
            omega_buf_init(&dg);
            r = omega_hex_decode(val, strlen(val), &dg);
            if (r < 0)
                omega_error_set(&err, OMEGA_EINVAL, __FILE__, __LINE__, "claim %s:%s: digest is not hex", pr, name);
            else
                r = omega_diffattest_add(d, pr, name, dg.data, dg.len, &err);
            omega_buf_fini(&dg);
        }
        if (defaults)
            principals[np++] = pr;   /* default: every principal with claims (duplicates skipped below) */
    }
    if (defaults)
        principals[np++] = OMEGA_DA_PLATFORM;
    if (r == 0)
        r = omega_platform_open(&p, &cfg, &err);
    if (r == 0)
        r = omega_diffattest_collect(d, p, nonce, &err);
    json_t *written = json_array();
    struct omega_buf b;
    omega_buf_init(&b);
    for (int i = 0; i < np && r == 0; i++) {
        int dup = 0;
        for (int k = 0; k < i; k++)
            dup |= strcmp(principals[k], principals[i]) == 0;
        if (dup)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.cbor", outdir, principals[i]);
        for (char *q = path + strlen(outdir) + 1; *q; q++)
            if (*q == '/')
                *q = '_';
        r = omega_diffattest_bundle(d, principals[i], &b, &err);
        if (r == OMEGA_ENOTFOUND && defaults && strcmp(principals[i], OMEGA_DA_PLATFORM) == 0) {
            r = 0;   /* no GPU evidence on this platform: no platform bundle by default */
            omega_error_clear(&err);
            continue;
        }
        if (r == 0)
            r = omega_buf_write_file(&b, path, &err);
        if (r == 0) {
            json_array_append_new(written, json_pack("{s:s,s:s,s:I}", "principal", principals[i], "file", path, "bytes",
                                                     (json_int_t)b.len));
            if (!json_out)
                printf("%s: %s (%zu bytes)\n", principals[i], path, b.len);
        }
    }
    if (r == 0 && json_out)
        print_json(json_pack("{s:O,s:I,s:o,s:o}", "bundles", written, "leaves", (json_int_t)omega_diffattest_size(d),
                             "root", hexj(omega_diffattest_root(d), 32), "log_key", hexj(log_pub, 32)));
    json_decref(written);
    omega_buf_fini(&b);
    omega_platform_close(p);
    omega_diffattest_free(d);
    EVP_PKEY_free(ek);
    EVP_PKEY_free(lk);
    rc = r < 0 ? omega_cli_fail("attest evidence", &err) : 0;
done:
    free(claims);
    free(principals);
    free(is_file);
    return rc;
}

static int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {{"evidence", 1, 0, 'e'}, {"principal", 1, 0, 'p'}, {"nonce", 1, 0, 'n'},
                                         {"expect", 1, 0, 'x'}, {"expect-measurement", 1, 0, 'm'}, {"gpu", 0, 0, 'g'},
                                         {"trust", 1, 0, 'T'}, {"at", 1, 0, 'a'}, {"json", 0, 0, 'j'},
                                         {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *path = NULL;
    struct omega_evidence_opts o;
    omega_evidence_opts_init(&o);
    uint8_t nonce[32], meas[48];
    char **expects = calloc((size_t)argc + 1, sizeof *expects);
    int ne = 0, c;
    if (!expects)
        return OMEGA_EXIT_INTERNAL;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'e': path = optarg; break;
        case 'p': o.principal = optarg; break;
        case 'n':
            if (omega_hex_decode_fixed(optarg, nonce, 32) < 0) {
                free(expects);
                return omega_cli_usage("attest check", "--nonce takes 32 bytes of hex");
            }
            o.nonce = nonce;
            break;
        case 'x': expects[ne++] = optarg; break;
        case 'm':
            if (omega_hex_decode_fixed(optarg, meas, 48) < 0) {
                free(expects);
                return omega_cli_usage("attest check", "--expect-measurement takes 48 bytes of hex");
            }
            o.snp.measurement = meas;
            break;
        case 'g': o.check_gpu = 1; break;
        case 'T':
            if (parse_trust(optarg, &o.snp.trust) < 0) {
                free(expects);
                return omega_cli_usage("attest check", "--trust takes vendor, emu or vendor,emu");
            }
            break;
        case 'a':
            if (parse_at(optarg, &o.snp.at) < 0) {
                free(expects);
                return omega_cli_usage("attest check", "--at takes an ISO 8601 UTC time such as 2025-06-01T00:00:00Z");
            }
            break;
        case 'j': json_out = 1; break;
        case 'h':
            printf("usage: omega attest check --evidence FILE --principal P [--nonce HEX] [--expect NAME=HEX]...\n"
                   "           [--expect-measurement HEX] [--gpu] [--trust vendor|emu|vendor,emu] [--at TIME] [--json]\n\n"
                   "A principal's check of its evidence bundle: the hardware report and its chain, the binding of the\n"
                   "tree root and the nonce in REPORT_DATA, the inclusion proof of each of its leaves, the monitor's\n"
                   "attested evidence key and the COSE_Sign1 signature; --gpu also verifies the GPU evidence (the\n"
                   "platform's principal). --expect NAME=HEX requires that P's component NAME has that digest.\n"
                   "Prints the verified claims and the monitor's attested log-signing key (to check provenance\n"
                   "log checkpoints). Exit status: 0 valid, 1 invalid, 2 unreadable.\n");
            free(expects);
            return 0;
        default: free(expects); return omega_cli_usage("attest check", "bad option");
        }
    }
    if (optind != argc || !path || !o.principal) {
        free(expects);
        return omega_cli_usage("attest check", "--evidence and --principal are required");
    }
    struct omega_buf b;
    struct omega_error err = {0};
    struct omega_evidence_result res;
    memset(&res, 0, sizeof res);
    int rc = read_input("check", "evidence", path, &b, &err);
    if (rc == 0)
        rc = omega_evidence_check(b.data, b.len, &o, &res, &err);
    for (int i = 0; i < ne && rc == 0; i++) {
        char *eq = strchr(expects[i], '=');
        struct omega_buf dg;
        omega_buf_init(&dg);
        if (!eq || omega_hex_decode(eq + 1, strlen(eq + 1), &dg) < 0) {
            rc = omega_error_set(&err, OMEGA_EINVAL, __FILE__, __LINE__, "--expect '%s' is not NAME=HEX", expects[i]);
        } else {
            *eq = 0;
            rc = omega_evidence_expect(&res, o.principal, expects[i], dg.data, dg.len, &err);
        }
        omega_buf_fini(&dg);
    }
    json_t *facts = NULL;
    if (rc == 0) {
        json_t *cl = json_array();
        for (size_t i = 0; i < res.nclaims; i++)
            json_array_append_new(cl, json_pack("{s:s,s:s,s:o,s:I}", "principal", res.claims[i].principal, "name",
                                                res.claims[i].name, "digest", hexj(res.claims[i].digest, res.claims[i].dlen),
                                                "index", (json_int_t)res.claims[i].index));
        facts = json_pack("{s:o,s:o,s:I,s:o,s:o,s:b,s:o}", "claims", cl, "root", hexj(res.root, 32), "tree_size",
                          (json_int_t)res.tree_size, "log_key", hexj(res.log_key, 32), "nonce", hexj(res.nonce, 32),
                          "gpu_verified", res.gpu_verified, "report", report_json(&res.snp));
        if (!json_out) {
            for (size_t i = 0; i < res.nclaims; i++) {
                char h[129];
                omega_hex_encode(res.claims[i].digest, res.claims[i].dlen, h);
                printf("%s/%s %s\n", res.claims[i].principal, res.claims[i].name, h);
            }
            char h[65];
            omega_hex_encode(res.log_key, 32, h);
            printf("tree of %llu leaves%s; monitor log-signing key %s\n", (unsigned long long)res.tree_size,
                   res.gpu_verified ? ", GPU evidence verified" : "", h);
        }
    }
    omega_evidence_result_fini(&res);
    omega_buf_fini(&b);
    free(expects);
    return verdict("check", rc, &err, facts);
}

int omega_cmd_attest(int argc, char **argv)
{
    static const struct { const char *name; int (*fn)(int, char **); const char *summary; } sub[] = {
        {"report", cmd_report, "write an SEV-SNP report from the chosen TEE backend"},
        {"verify", cmd_verify, "verify an SEV-SNP report and its chain (offline)"},
        {"gpu-report", cmd_gpu_report, "write GPU attestation evidence from the chosen GPU backend"},
        {"gpu-verify", cmd_gpu_verify, "verify H100 SPDM evidence and its chain"},
        {"evidence", cmd_evidence, "build differential evidence, one bundle per principal"},
        {"check", cmd_check, "check one principal's evidence bundle"},
    };
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: omega attest <subcommand> [options]\n\n");
        for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++)
            fprintf(f, "  %-11s %s\n", sub[i].name, sub[i].summary);
        fprintf(f, "\n'omega attest <subcommand> --help' for each. Exit status: 0 valid, 1 invalid, 2 unreadable input.\n");
        return argc < 2 ? OMEGA_EXIT_USAGE : 0;
    }
    for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++)
        if (strcmp(argv[1], sub[i].name) == 0) {
            optind = 1;
            return sub[i].fn(argc - 1, argv + 1);
        }
    return omega_cli_usage("attest", "unknown subcommand '%s'", argv[1]);
}
