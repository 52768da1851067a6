/* Internal: the function tables each backend fills (designated initializers at the bottom of its file).
 * Optional entries may be NULL; core/backend.c supplies the default so callers never test ops->x. */
#ifndef OMEGA_BACKEND_IMPL_H
#define OMEGA_BACKEND_IMPL_H

#include "core/backend.h"
#include "core/seal.h"

#define OMEGA_BACKEND_ABI 1

enum { OMEGA_CAP_REPORT = 1u << 0, OMEGA_CAP_SEALING_KEY = 1u << 1, OMEGA_CAP_GPU_CC_HW = 1u << 2,
       OMEGA_CAP_GPU_INFER = 1u << 3, OMEGA_CAP_GPU_EVIDENCE = 1u << 4 };

struct omega_tee {
    const struct omega_tee_ops *ops;
    void *priv;
};

struct omega_tee_ops {
    int version;        /* OMEGA_BACKEND_ABI */
    const char *name;
    unsigned caps;
    int (*probe)(char *why, size_t whylen);   /* 0: usable here; else why not */
    int (*open)(struct omega_tee *tee, const struct omega_config *cfg, struct omega_error *err);
    void (*close)(struct omega_tee *tee);
    int (*report)(struct omega_tee *tee, const uint8_t report_data[64], unsigned vmpl, struct omega_buf *report,
                  struct omega_buf *chain, struct omega_error *err);
    int (*sealing_key)(struct omega_tee *tee, const char *label, uint8_t key[32], struct omega_error *err); /* optional */
};

struct omega_gpu {
    const struct omega_gpu_ops *ops;
    void *priv;
    struct omega_platform *platform;
};

/* Backend-side partition; the core wraps it (struct omega_gpu_part in core/backend.c). */
struct omega_gpu_ops {
    int version;
    const char *name;
    unsigned caps;
    int (*probe)(char *why, size_t whylen);
    int (*open)(struct omega_gpu *gpu, const struct omega_config *cfg, struct omega_error *err);
    void (*close)(struct omega_gpu *gpu);
    void (*info)(struct omega_gpu *gpu, struct omega_gpu_info *info);
    int (*evidence)(struct omega_gpu *gpu, const uint8_t nonce[32], struct omega_buf *report, struct omega_buf *chain,
                    struct omega_error *err);  /* optional */
    /* Device memory, addressed by opaque handles the backend checks on every use. */
    int (*mem_alloc)(struct omega_gpu *gpu, uint64_t size, void **handle, struct omega_error *err);
    void (*mem_free)(struct omega_gpu *gpu, void *handle, uint64_t size);   /* scrubs before release */
    /* Plain copies (CC off), offset/length already bounds-checked by the core. */
    int (*copy_in)(struct omega_gpu *gpu, void *handle, uint64_t off, const void *src, size_t n, struct omega_error *err);
    int (*copy_out)(struct omega_gpu *gpu, void *dst, void *handle, uint64_t off, size_t n, struct omega_error *err);
    /* Sealed copies (CC on): the device side decrypts and authenticates / encrypts, with the
     * session's per-direction contexts (h2d is the receiver, d2h the sender). */
    int (*copy_in_sealed)(struct omega_gpu *gpu, void *handle, uint64_t off, const struct omega_sealed *src,
                          struct omega_seal_ctx *h2d, struct omega_error *err);
    int (*copy_out_sealed)(struct omega_gpu *gpu, struct omega_sealed *dst, void *handle, uint64_t off, size_t n,
                           struct omega_seal_ctx *d2h, struct omega_error *err);
};

/* Tables of compiled-in backends (registered in core/backend.c). */
extern const struct omega_tee_ops omega_tee_emu, omega_tee_snp;
extern const struct omega_gpu_ops omega_gpu_emu, omega_gpu_cuda;

#endif
