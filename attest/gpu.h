/* NVIDIA H100 attestation evidence: the SPDM 1.1 GET_MEASUREMENTS request (37 bytes) followed by its
 * MEASUREMENTS response, as nvmlDeviceGetConfComputeGpuAttestationReport returns it (DSP0274 1.1,
 * sections 10.11-10.12). The response is parsed field by field; its signature length and the signed
 * length follow from the structure, never from "the last 96 bytes". */
#ifndef OMEGA_GPU_EVIDENCE_H
#define OMEGA_GPU_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "core/buf.h"
#include "core/error.h"

#define OMEGA_GPU_REQ_LEN 37
#define OMEGA_GPU_SIG_LEN 96      /* ECDSA P-384: r || s, big-endian */
#define OMEGA_GPU_MAX_BLOCKS 255

/* Opaque-data TLV types (NVIDIA's numbering in the response's OpaqueData). */
enum {
    OMEGA_GPU_OPAQUE_DRIVER_VERSION = 3,
    OMEGA_GPU_OPAQUE_VBIOS_VERSION = 6,
    OMEGA_GPU_OPAQUE_FWID = 20,
};

struct omega_gpu_block {
    uint8_t index, spec, type;
    uint16_t len;
    const uint8_t *value;   /* borrowed from the evidence bytes */
};

struct omega_gpu_evidence {
    uint8_t version;                 /* SPDM version byte (0x11) */
    uint8_t req_param1, req_param2, slot;
    uint8_t nonce[32];               /* the requester's (verifier's) nonce */
    uint8_t resp_nonce[32];
    size_t nblocks;
    struct omega_gpu_block blocks[OMEGA_GPU_MAX_BLOCKS];
    const uint8_t *opaque;           /* borrowed */
    size_t opaque_len;
    char driver[64], vbios[32];      /* from the opaque data, "" when absent */
    int has_fwid;
    uint8_t fwid[48];
    size_t signed_len;               /* request + response up to the signature */
    const uint8_t *sig;              /* borrowed, OMEGA_GPU_SIG_LEN bytes */
};

/* Parse evidence bytes (borrowed; ev points into them). OMEGA_EFORMAT with the reason when any length or
 * code is wrong, when bytes trail, or when the opaque TLVs overrun. */
int omega_gpu_evidence_parse(struct omega_gpu_evidence *ev, const uint8_t *p, size_t n, struct omega_error *err) OMEGA_MUST_CHECK;
/* Evidence given as raw bytes or as their hex text: decodes into out when hex, else copies. */
int omega_gpu_evidence_decode(const uint8_t *p, size_t n, struct omega_buf *out, struct omega_error *err) OMEGA_MUST_CHECK;
/* Verify the signature over the first ev->signed_len bytes of p with key (borrowed, P-384). */
int omega_gpu_evidence_verify_sig(const struct omega_gpu_evidence *ev, const uint8_t *p, EVP_PKEY *key,
                                  struct omega_error *err) OMEGA_MUST_CHECK;

struct omega_gpu_policy {
    int64_t at;                 /* verification time */
    unsigned trust;             /* OMEGA_TRUST_VENDOR / OMEGA_TRUST_EMU */
    const uint8_t *nonce;       /* 32 bytes expected, or NULL */
    const json_t *refs;         /* reference values {"<index>": "hex", ...} or NULL */
};

/* Verify evidence p (raw bytes) with chain (PEM or DER, leaf first): parse, chain to the pinned root,
 * signature with the leaf key, nonce, FWID against the leaf, reference measurements. ev is filled. */
int omega_gpu_verify(const uint8_t *p, size_t n, const uint8_t *chain, size_t chain_len, const struct omega_gpu_policy *pol,
                     struct omega_gpu_evidence *ev, int *emulated, struct omega_error *err) OMEGA_MUST_CHECK;

#endif
