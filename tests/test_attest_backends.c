/* The real backends' encodings, testable without the hardware: SEV-SNP guest requests and certificate
 * tables, NVML's structures; and the probes say why they cannot run here. */
#include <stdlib.h>
#include <string.h>

#include "attest/cert.h"
#include "backends/cuda/nvml.h"
#include "backends/snp/snp.h"
#include "core/backend.h"
#include "core/util.h"
#include "tests/test.h"

OMEGA_TEST(attest_snp_guest_request_encoding)
{
    /* The ioctl numbers of linux/sev-guest.h: _IOWR('S', n, 32-byte struct). */
    CHECK(OMEGA_SNP_GET_REPORT == 0xc0205300u);
    CHECK(OMEGA_SNP_GET_DERIVED_KEY == 0xc0205301u);
    CHECK(OMEGA_SNP_GET_EXT_REPORT == 0xc0205302u);
    CHECK(offsetof(struct omega_snp_guest_request, req_data) == 8);
    CHECK(offsetof(struct omega_snp_guest_request, resp_data) == 16);
    CHECK(offsetof(struct omega_snp_guest_request, exitinfo2) == 24);
    CHECK(offsetof(struct omega_snp_ext_report_req, certs_address) == 96);
    CHECK(offsetof(struct omega_snp_ext_report_req, certs_len) == 104);
    uint8_t rd[64];
    for (int i = 0; i < 64; i++)
        rd[i] = (uint8_t)(i + 1);
    struct omega_snp_report_req req;
    CHECK(omega_snp_encode_report_req(&req, rd, 2) == 0);
    const uint8_t *b = (const uint8_t *)&req;
    CHECK(memcmp(b, rd, 64) == 0 && b[64] == 2 && b[65] == 0 && b[66] == 0 && b[67] == 0);
    for (int i = 68; i < 96; i++)
        CHECK(b[i] == 0);
    CHECK(omega_snp_encode_report_req(&req, rd, 4) == OMEGA_EINVAL);
    /* MSG_REPORT_RSP: status, size, reserved, then the report. */
    uint8_t resp[OMEGA_SNP_RESP_LEN] = {0};
    resp[4] = 0xa0, resp[5] = 0x04;
    resp[0x20] = 5;
    struct omega_buf rep;
    omega_buf_init(&rep);
    struct omega_error err = {0};
    CHECK(omega_snp_decode_report_resp(resp, sizeof resp, &rep, &err) == 0 && rep.len == 0x4a0 && rep.data[0] == 5);
    resp[0] = 0x16;   /* firmware status: invalid parameter */
    CHECK(omega_snp_decode_report_resp(resp, sizeof resp, &rep, &err) == OMEGA_EIO);
    omega_buf_fini(&rep);
    return 0;
}

OMEGA_TEST(attest_snp_cert_table)
{
    /* A table as the host hands it over: GUID entries (ARK, VCEK, ASK), a zero entry, then the DER blobs. */
    static const uint8_t vcek_guid[16] = {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
                                          0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd};
    static const uint8_t ask_guid[16] = {0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4,
                                         0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82};
    static const uint8_t ark_guid[16] = {0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
                                         0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae};
    uint8_t t[200] = {0};
    const uint8_t *g[3] = {ark_guid, vcek_guid, ask_guid};
    const char *blob[3] = {"ARK!", "VCEK", "ASK."};
    for (int i = 0; i < 3; i++) {
        memcpy(t + 24 * i, g[i], 16);
        uint32_t off = 96 + 4 * (uint32_t)i, len = 4;
        memcpy(t + 24 * i + 16, &off, 4);
        memcpy(t + 24 * i + 20, &len, 4);
        memcpy(t + off, blob[i], 4);
    }
    struct omega_buf chain;
    omega_buf_init(&chain);
    struct omega_error err = {0};
    CHECK(omega_snp_cert_table_parse(t, sizeof t, &chain, &err) == 0);
    CHECK(chain.len == 12 && memcmp(chain.data, "VCEKASK.ARK!", 12) == 0);   /* leaf first */
    uint32_t bad = 198;
    memcpy(t + 16, &bad, 4);
    CHECK(omega_snp_cert_table_parse(t, sizeof t, &chain, &err) == OMEGA_EFORMAT);
    memset(t, 0xff, 72);   /* no terminator */
    CHECK(omega_snp_cert_table_parse(t, 72, &chain, &err) == OMEGA_EFORMAT);
    omega_buf_fini(&chain);
    return 0;
}

OMEGA_TEST(attest_backend_probes_say_why)
{
    struct omega_backend_status st[8];
    size_t n = omega_backend_probe_all(st, 8);
    int saw_snp = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(st[i].name, "snp") == 0) {
            saw_snp = 1;
            if (!st[i].available)
                CHECK_MSG(strlen(st[i].why) > 10, "snp unavailable without a reason");
        }
    CHECK(saw_snp);
    /* Without a driver, NVML answers "unavailable" with the reason, never a crash. */
    char mode[16];
    struct omega_error err = {0};
    int rc = omega_nvml_cc_state(0, mode, sizeof mode, &err);
    if (rc == 0)
        CHECK(strcmp(mode, "on") == 0 || strcmp(mode, "off") == 0 || strcmp(mode, "devtools") == 0);
    else
        CHECK(rc == OMEGA_EUNAVAIL && err.msg[0]);
    return 0;
}

OMEGA_TEST(attest_nvml_decode)
{
    static struct omega_nvml_attestation_report r;
    static struct omega_nvml_certificate c;
    CHECK(sizeof r == 12 + 32 + 0x2000 + 0x1000);
    CHECK(offsetof(struct omega_nvml_attestation_report, nonce) == 12);
    CHECK(offsetof(struct omega_nvml_certificate, attestation_chain) == 8 + 0x1000);
    struct omega_buf rep, chain;
    omega_buf_init(&rep);
    omega_buf_init(&chain);
    struct omega_error err = {0};
    CHECK(omega_nvml_decode(&r, &c, &rep, &chain, &err) == OMEGA_EFORMAT);   /* sizes zero */
    r.report_size = 4117;
    c.attestation_chain_size = 0x1401;
    CHECK(omega_nvml_decode(&r, &c, &rep, &chain, &err) == OMEGA_EFORMAT);   /* larger than its array */
    c.attestation_chain_size = 100;
    memset(r.report, 0x11, 4117);
    CHECK(omega_nvml_decode(&r, &c, &rep, &chain, &err) == 0 && rep.len == 4117 && chain.len == 100);
    omega_buf_fini(&rep);
    omega_buf_fini(&chain);
    return 0;
}
