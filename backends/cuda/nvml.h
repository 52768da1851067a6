/* NVML loaded at run time (dlopen), so the build needs neither NVML headers nor CUDA: the confidential-
 * computing state and the H100's attestation report (SPDM GET_MEASUREMENTS) with its certificate chain. */
#ifndef OMEGA_NVML_H
#define OMEGA_NVML_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

/* CC state of device dev as one word into mode ("on", "off", "devtools"); OMEGA_EUNAVAIL with the reason
 * when NVML or the device is missing, or the driver predates CC. */
int omega_nvml_cc_state(int dev, char *mode, size_t len, struct omega_error *err) OMEGA_MUST_CHECK;
/* The device's attestation report binding nonce (raw SPDM bytes into report) and its attestation
 * certificate chain (PEM into chain). OMEGA_EUNAVAIL "CC off" unless CC mode is on. */
int omega_nvml_gpu_evidence(int dev, const uint8_t nonce[32], struct omega_buf *report, struct omega_buf *chain,
                            struct omega_error *err) OMEGA_MUST_CHECK;

/* NVML's structures, as nvml.h (r535 and later) defines them; exposed for tests of the decoding. */
#define OMEGA_NVML_ATTESTATION_REPORT_SIZE 0x2000
#define OMEGA_NVML_CEC_REPORT_SIZE 0x1000
#define OMEGA_NVML_CERT_CHAIN_SIZE 0x1000
#define OMEGA_NVML_ATTESTATION_CHAIN_SIZE 0x1400
struct omega_nvml_attestation_report {
    unsigned int is_cec_present;
    unsigned int report_size;
    unsigned int cec_report_size;
    unsigned char nonce[32];
    unsigned char report[OMEGA_NVML_ATTESTATION_REPORT_SIZE];
    unsigned char cec_report[OMEGA_NVML_CEC_REPORT_SIZE];
};
struct omega_nvml_certificate {
    unsigned int cert_chain_size;
    unsigned int attestation_chain_size;
    unsigned char cert_chain[OMEGA_NVML_CERT_CHAIN_SIZE];
    unsigned char attestation_chain[OMEGA_NVML_ATTESTATION_CHAIN_SIZE];
};
/* Copy the report and chain out of NVML's structures, checking the sizes NVML claims. */
int omega_nvml_decode(const struct omega_nvml_attestation_report *r, const struct omega_nvml_certificate *c,
                      struct omega_buf *report, struct omega_buf *chain, struct omega_error *err) OMEGA_MUST_CHECK;

#endif
