/* The backend interface seen by the engine: a platform = one TEE backend + one GPU backend.
 * Handles are opaque here; the function tables live in core/backend_impl.h. */
#ifndef OMEGA_BACKEND_H
#define OMEGA_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

#define OMEGA_REPORT_DATA_LEN 64
#define OMEGA_GPU_DEFAULT_CAPACITY (80ull << 30)

struct omega_config {
    const char *backend;    /* platform name: "emu", "cuda", "snp", "auto", or "tee=X,gpu=Y"; NULL → "emu" */
    uint64_t gpu_capacity;  /* emulated GPU memory in bytes; 0 → 80 GiB */
    int cc;                 /* confidential data path: 1 on, 0 off, -1 backend default (on) */
    int gpu_device;         /* CUDA device ordinal */
    const char *emu_chip_seed; /* emulated chip secret seed (hex or text); NULL → a fixed test chip */
};

struct omega_platform;    /* a TEE and a GPU, opened */
struct omega_gpu_part;    /* one agent's partition of GPU memory */
typedef uint64_t omega_devptr;  /* an address inside a partition; 0 is never valid */

struct omega_gpu_info {
    char name[64];        /* backend name */
    char device[128];     /* "NVIDIA H100 80GB HBM3", "emulated H100" */
    char driver[64];
    int cc_on;            /* confidential data path active */
    char cc_mode[64];     /* "on (emulated)", "off", "on (hardware)" */
    uint64_t capacity, used;
};

/* One backend as the registry lists it. */
struct omega_backend_status {
    const char *name;     /* "emu", "snp", "cuda" */
    const char *kind;     /* "tee", "gpu", "tee+gpu" */
    int available;
    char why[256];        /* when unavailable: one line saying why */
};

/* Probe every compiled-in backend; fills up to max entries, returns how many. */
size_t omega_backend_probe_all(struct omega_backend_status *out, size_t max);

/* The best platform that can run here ("snp", "cuda" or "emu"): what --backend auto picks. */
const char *omega_backend_auto(void);

/* Open the platform named by cfg->backend; OMEGA_EUNAVAIL with the reason when it cannot run here. */
int omega_platform_open(struct omega_platform **out, const struct omega_config *cfg, struct omega_error *err) OMEGA_MUST_CHECK;
/* Close a platform (NULL is a no-op); scrubs and frees every partition still open. */
void omega_platform_close(struct omega_platform *p);
/* Names of the TEE and GPU backends in use. */
const char *omega_platform_tee_name(const struct omega_platform *p);
const char *omega_platform_gpu_name(const struct omega_platform *p);

/* Hardware report binding 64 bytes of report_data, at privilege level vmpl; the chain is DER certs back to back. */
int omega_platform_report(struct omega_platform *p, const uint8_t report_data[OMEGA_REPORT_DATA_LEN], unsigned vmpl,
                          struct omega_buf *report, struct omega_buf *chain, struct omega_error *err) OMEGA_MUST_CHECK;
/* A 32-byte sealing key for label, bound to the platform's identity and measurement. */
int omega_platform_sealing_key(struct omega_platform *p, const char *label, uint8_t key[32], struct omega_error *err) OMEGA_MUST_CHECK;

/* GPU attestation evidence binding a 32-byte nonce (SPDM GET_MEASUREMENTS transcript) and its cert chain (PEM). */
int omega_gpu_evidence(struct omega_platform *p, const uint8_t nonce[32], struct omega_buf *report,
                       struct omega_buf *chain, struct omega_error *err) OMEGA_MUST_CHECK;
/* Device name, CC state and memory use. */
void omega_gpu_info(struct omega_platform *p, struct omega_gpu_info *info);

/* Create a partition for owner with a hard quota in bytes. */
int omega_gpu_part_open(struct omega_platform *p, const char *owner, uint64_t quota, struct omega_gpu_part **out,
                        struct omega_error *err) OMEGA_MUST_CHECK;
/* Free a partition: all its memory is scrubbed before it can be reused. */
void omega_gpu_part_close(struct omega_gpu_part *part);
/* Allocate size bytes inside the partition; OMEGA_EQUOTA past its quota or the GPU's capacity. */
int omega_gpu_alloc(struct omega_gpu_part *part, uint64_t size, omega_devptr *out, struct omega_error *err) OMEGA_MUST_CHECK;
/* Free one allocation (scrubbed). */
int omega_gpu_free(struct omega_gpu_part *part, omega_devptr ptr, struct omega_error *err);
/* Bytes in use / quota of a partition. */
uint64_t omega_gpu_part_used(const struct omega_gpu_part *part);
uint64_t omega_gpu_part_quota(const struct omega_gpu_part *part);
/* Copy host→device: with CC on, AES-256-GCM through the bounce buffer (fresh IV, tag checked device-side). */
int omega_gpu_copy_in(struct omega_gpu_part *part, omega_devptr dst, const void *src, size_t n,
                      struct omega_error *err) OMEGA_MUST_CHECK;
/* Copy device→host: with CC on, sealed on the device side, authenticated here before any byte is returned. */
int omega_gpu_copy_out(struct omega_gpu_part *part, void *dst, omega_devptr src, size_t n,
                       struct omega_error *err) OMEGA_MUST_CHECK;

/* Model the hypervisor's view of the bounce buffer (shared, unencrypted memory): hook sees and may
 * change each sealed transfer in flight. For tests and demonstrations; NULL removes it. */
void omega_platform_set_bounce_hook(struct omega_platform *p, void (*hook)(uint8_t *bytes, size_t n, void *arg), void *arg);

#endif
