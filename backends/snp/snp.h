/* The real SEV-SNP guest backend's encodings, exposed for unit tests: the /dev/sev-guest ioctl requests
 * (linux/sev-guest.h, ABI spec 56860 MSG_REPORT_REQ / MSG_KEY_REQ) and the certificate table that
 * SNP_GET_EXT_REPORT and configfs-tsm's auxblob return. Defined here so the build needs no kernel headers. */
#ifndef OMEGA_SNP_GUEST_H
#define OMEGA_SNP_GUEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "core/buf.h"
#include "core/error.h"

struct omega_snp_report_req {      /* MSG_REPORT_REQ */
    uint8_t user_data[64];
    uint32_t vmpl;
    uint8_t rsvd[28];
};

struct omega_snp_derived_key_req { /* MSG_KEY_REQ */
    uint32_t root_key_select;
    uint32_t rsvd;
    uint64_t guest_field_select;
    uint32_t vmpl;
    uint32_t guest_svn;
    uint64_t tcb_version;
};

struct omega_snp_guest_request {   /* struct snp_guest_request_ioctl */
    uint8_t msg_version;
    uint64_t req_data;
    uint64_t resp_data;
    uint64_t exitinfo2;            /* fw_error (low 32 bits), vmm_error (high) */
};

struct omega_snp_ext_report_req {  /* struct snp_ext_report_req */
    struct omega_snp_report_req data;
    uint64_t certs_address;
    uint32_t certs_len;
};

#define OMEGA_SNP_GET_REPORT _IOWR('S', 0x0, struct omega_snp_guest_request)
#define OMEGA_SNP_GET_DERIVED_KEY _IOWR('S', 0x1, struct omega_snp_guest_request)
#define OMEGA_SNP_GET_EXT_REPORT _IOWR('S', 0x2, struct omega_snp_guest_request)
#define OMEGA_SNP_RESP_LEN 4000
#define OMEGA_SNP_REPORT_OFFSET 0x20   /* MSG_REPORT_RSP: status, report size, 24 reserved, report */

/* Fill a report request for report_data at vmpl (0-3). */
int omega_snp_encode_report_req(struct omega_snp_report_req *req, const uint8_t report_data[64], unsigned vmpl) OMEGA_MUST_CHECK;
/* Take the report out of a MSG_REPORT_RSP (status 0, size 0x4A0); OMEGA_EIO with the status otherwise. */
int omega_snp_decode_report_resp(const uint8_t *resp, size_t n, struct omega_buf *report, struct omega_error *err) OMEGA_MUST_CHECK;
/* Extract VCEK (or VLEK), ASK (or ASVK), ARK from a GUID certificate table into DER back to back, leaf first;
 * missing entries are skipped. OMEGA_EFORMAT when an entry points outside the table. */
int omega_snp_cert_table_parse(const uint8_t *p, size_t n, struct omega_buf *chain, struct omega_error *err) OMEGA_MUST_CHECK;

#endif
