/* Backend registry and the platform: composes a TEE and a GPU backend, owns partitions and the
 * confidential copy path, which is the same for every GPU backend (only the device side differs). */
#include "core/backend_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* Compiled-in backends, the emulated ones last as the fallback (as ggml lists its CPU backend). */
static const struct omega_tee_ops *const tee_registry[] = {&omega_tee_snp, &omega_tee_emu};
static const struct omega_gpu_ops *const gpu_registry[] = {&omega_gpu_cuda, &omega_gpu_emu};

#define SLOT_SHIFT 40
#define OFF_MASK ((1ull << SLOT_SHIFT) - 1)

struct gpu_alloc {
    void *handle;   /* NULL: free slot */
    uint64_t size;
};

struct omega_gpu_part {
    struct omega_platform *platform;
    char owner[64];
    uint64_t quota, used;
    struct gpu_alloc *allocs;
    size_t nallocs;
    struct omega_gpu_part *next;
};

struct omega_platform {
    struct omega_tee tee;
    struct omega_gpu gpu;
    int cc_on;
    uint64_t capacity, used;
    struct omega_seal_ctx *h2d_send, *h2d_recv, *d2h_send, *d2h_recv;
    struct omega_buf bounce;
    struct omega_gpu_part *parts;
    void (*bounce_hook)(uint8_t *bytes, size_t n, void *arg);
    void *bounce_arg;
};

static int check_ops_version(int v, const char *name)
{
    if (v == OMEGA_BACKEND_ABI)
        return 0;
    fprintf(stderr, "omega: backend %s was built for interface %d, not %d\n", name, v, OMEGA_BACKEND_ABI);
    return -1;
}

size_t omega_backend_probe_all(struct omega_backend_status *out, size_t max)
{
    /* The user-facing list: emu is one platform of both halves; snp is a TEE, cuda a GPU. */
    struct { const char *name, *kind; int (*probe)(char *, size_t); int (*probe2)(char *, size_t); } rows[] = {
        {"emu", "tee+gpu", omega_tee_emu.probe, omega_gpu_emu.probe},
        {"snp", "tee", omega_tee_snp.probe, NULL},
        {"cuda", "gpu", omega_gpu_cuda.probe, NULL},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0] && n < max; i++, n++) {
        out[n].name = rows[i].name;
        out[n].kind = rows[i].kind;
        out[n].why[0] = 0;
        int rc = rows[i].probe(out[n].why, sizeof out[n].why);
        if (rc == 0 && rows[i].probe2)
            rc = rows[i].probe2(out[n].why, sizeof out[n].why);
        out[n].available = rc == 0;
    }
    return n;
}

const char *omega_backend_auto(void)
{
    /* The best platform that can run here: real SEV-SNP with a GPU, a real GPU, else the emulation. */
    char why[256];
    int gpu = omega_gpu_cuda.probe(why, sizeof why) == 0;
    if (gpu && omega_tee_snp.probe(why, sizeof why) == 0)
        return "snp";
    return gpu ? "cuda" : "emu";
}

static const struct omega_tee_ops *find_tee(const char *name)
{
    for (size_t i = 0; i < sizeof tee_registry / sizeof tee_registry[0]; i++)
        if (strcmp(tee_registry[i]->name, name) == 0)
            return tee_registry[i];
    return NULL;
}

static const struct omega_gpu_ops *find_gpu(const char *name)
{
    for (size_t i = 0; i < sizeof gpu_registry / sizeof gpu_registry[0]; i++)
        if (strcmp(gpu_registry[i]->name, name) == 0)
            return gpu_registry[i];
    return NULL;
}

/* Platform names: emu = emu TEE + emu GPU; cuda = emu TEE + real GPU (CC data path emulated on it);
 * snp = SEV-SNP TEE + real GPU; or explicit "tee=X,gpu=Y". */
static int resolve(const char *backend, const char **tee, const char **gpu, struct omega_error *err)
{
    static char t[32], g[32];
    if (backend && strcmp(backend, "auto") == 0)
        backend = omega_backend_auto();
    if (!backend || strcmp(backend, "emu") == 0) { *tee = "emu"; *gpu = "emu"; return 0; }
    if (strcmp(backend, "cuda") == 0) { *tee = "emu"; *gpu = "cuda"; return 0; }
    if (strcmp(backend, "snp") == 0) { *tee = "snp"; *gpu = "cuda"; return 0; }
    if (sscanf(backend, "tee=%31[a-z],gpu=%31[a-z]", t, g) == 2) { *tee = t; *gpu = g; return 0; }
    OMEGA_FAIL(err, OMEGA_EINVAL, "unknown backend '%s' (emu, cuda, snp, or tee=X,gpu=Y)", backend);
}

int omega_platform_open(struct omega_platform **out, const struct omega_config *cfg, struct omega_error *err)
{
    const char *tname = NULL, *gname = NULL;
    *out = NULL;
    OMEGA_TRY(resolve(cfg->backend, &tname, &gname, err));
    const struct omega_tee_ops *tops = find_tee(tname);
    const struct omega_gpu_ops *gops = find_gpu(gname);
    if (!tops || !gops)
        OMEGA_FAIL(err, OMEGA_EINVAL, "no such backend: %s", !tops ? tname : gname);
    if (check_ops_version(tops->version, tops->name) || check_ops_version(gops->version, gops->name))
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "backend interface version mismatch");
    char why[256] = "";
    if (tops->probe(why, sizeof why) != 0)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "backend %s unavailable: %s", tops->name, why);
    if (gops->probe(why, sizeof why) != 0)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "backend %s unavailable: %s", gops->name, why);

    struct omega_platform *p = calloc(1, sizeof *p);
    if (!p)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    p->tee.ops = tops;
    p->gpu.ops = gops;
    p->gpu.platform = p;
    omega_buf_init(&p->bounce);
    int rc = tops->open(&p->tee, cfg, err);
    if (rc < 0) {
        free(p);
        return rc;
    }
    rc = gops->open(&p->gpu, cfg, err);
    if (rc < 0) {
        tops->close(&p->tee);
        free(p);
        return rc;
    }
    struct omega_gpu_info info;
    omega_gpu_info(p, &info);
    p->capacity = info.capacity;
    p->cc_on = cfg->cc != 0;
    if (p->cc_on) {
        /* Session keys for the two directions, as the driver and the GPU agree on them through
         * SPDM key exchange on CC hardware; both ends live in this process here. */
        uint8_t k1[32], k2[32];
        if (omega_random(k1, 32) < 0 || omega_random(k2, 32) < 0) {
            omega_platform_close(p);
            OMEGA_FAIL(err, OMEGA_EIO, "getrandom failed");
        }
        p->h2d_send = omega_seal_new(k1, 0x48324400);  /* "H2D" */
        p->h2d_recv = omega_seal_new(k1, 0x48324400);
        p->d2h_send = omega_seal_new(k2, 0x44324800);  /* "D2H" */
        p->d2h_recv = omega_seal_new(k2, 0x44324800);
        omega_wipe(k1, 32);
        omega_wipe(k2, 32);
        if (!p->h2d_send || !p->h2d_recv || !p->d2h_send || !p->d2h_recv) {
            omega_platform_close(p);
            OMEGA_FAIL(err, OMEGA_ECRYPTO, "cannot set up AES-256-GCM session");
        }
    }
    *out = p;
    return 0;
}

void omega_platform_close(struct omega_platform *p)
{
    if (!p)
        return;
    while (p->parts)
        omega_gpu_part_close(p->parts);
    p->gpu.ops->close(&p->gpu);
    p->tee.ops->close(&p->tee);
    omega_seal_free(p->h2d_send);
    omega_seal_free(p->h2d_recv);
    omega_seal_free(p->d2h_send);
    omega_seal_free(p->d2h_recv);
    omega_buf_fini(&p->bounce);
    free(p);
}

const char *omega_platform_tee_name(const struct omega_platform *p) { return p->tee.ops->name; }
const char *omega_platform_gpu_name(const struct omega_platform *p) { return p->gpu.ops->name; }

int omega_platform_report(struct omega_platform *p, const uint8_t report_data[64], unsigned vmpl,
                          struct omega_buf *report, struct omega_buf *chain, struct omega_error *err)
{
    if (vmpl > 3)
        OMEGA_FAIL(err, OMEGA_EINVAL, "VMPL %u out of range 0-3", vmpl);
    return p->tee.ops->report(&p->tee, report_data, vmpl, report, chain, err);
}

int omega_platform_sealing_key(struct omega_platform *p, const char *label, uint8_t key[32], struct omega_error *err)
{
    if (!p->tee.ops->sealing_key)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "backend %s has no sealing key", p->tee.ops->name);
    return p->tee.ops->sealing_key(&p->tee, label, key, err);
}

int omega_gpu_evidence(struct omega_platform *p, const uint8_t nonce[32], struct omega_buf *report,
                       struct omega_buf *chain, struct omega_error *err)
{
    if (!p->gpu.ops->evidence)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "GPU backend %s produces no attestation evidence", p->gpu.ops->name);
    return p->gpu.ops->evidence(&p->gpu, nonce, report, chain, err);
}

void omega_gpu_info(struct omega_platform *p, struct omega_gpu_info *info)
{
    memset(info, 0, sizeof *info);
    snprintf(info->name, sizeof info->name, "%s", p->gpu.ops->name);
    p->gpu.ops->info(&p->gpu, info);
    if (p->capacity)
        info->capacity = p->capacity;
    info->used = p->used;
    if (!p->cc_on && !(p->gpu.ops->caps & OMEGA_CAP_GPU_CC_HW)) {
        info->cc_on = 0;
        snprintf(info->cc_mode, sizeof info->cc_mode, "off");
    }
}

int omega_gpu_part_open(struct omega_platform *p, const char *owner, uint64_t quota, struct omega_gpu_part **out,
                        struct omega_error *err)
{
    struct omega_gpu_part *part = calloc(1, sizeof *part);
    if (!part)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    part->platform = p;
    snprintf(part->owner, sizeof part->owner, "%s", owner ? owner : "");
    part->quota = quota;
    part->next = p->parts;
    p->parts = part;
    *out = part;
    return 0;
}

void omega_gpu_part_close(struct omega_gpu_part *part)
{
    if (!part)
        return;
    struct omega_platform *p = part->platform;
    for (size_t i = 0; i < part->nallocs; i++)
        if (part->allocs[i].handle) {
            p->gpu.ops->mem_free(&p->gpu, part->allocs[i].handle, part->allocs[i].size);
            p->used -= part->allocs[i].size;
        }
    for (struct omega_gpu_part **pp = &p->parts; *pp; pp = &(*pp)->next)
        if (*pp == part) {
            *pp = part->next;
            break;
        }
    free(part->allocs);
    free(part);
}

uint64_t omega_gpu_part_used(const struct omega_gpu_part *part) { return part->used; }
uint64_t omega_gpu_part_quota(const struct omega_gpu_part *part) { return part->quota; }

int omega_gpu_alloc(struct omega_gpu_part *part, uint64_t size, omega_devptr *out, struct omega_error *err)
{
    struct omega_platform *p = part->platform;
    if (size == 0 || size > OFF_MASK)
        OMEGA_FAIL(err, OMEGA_EINVAL, "allocation of %llu bytes", (unsigned long long)size);
    if (size > part->quota - part->used)
        OMEGA_FAIL(err, OMEGA_EQUOTA, "partition %s: %llu bytes would exceed its quota of %llu (in use %llu)",
                   part->owner, (unsigned long long)size, (unsigned long long)part->quota,
                   (unsigned long long)part->used);
    if (size > p->capacity - p->used)
        OMEGA_FAIL(err, OMEGA_EQUOTA, "GPU memory exhausted: %llu bytes asked, %llu free",
                   (unsigned long long)size, (unsigned long long)(p->capacity - p->used));
    size_t slot = 0;
    while (slot < part->nallocs && part->allocs[slot].handle)
        slot++;
    if (slot == part->nallocs) {
        if (slot >= (1u << 20))
            OMEGA_FAIL(err, OMEGA_EQUOTA, "partition %s: too many allocations", part->owner);
        struct gpu_alloc *a = realloc(part->allocs, (slot + 1) * sizeof *a);
        if (!a)
            OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
        part->allocs = a;
        part->nallocs = slot + 1;
        a[slot].handle = NULL;
    }
    void *h;
    OMEGA_TRY(p->gpu.ops->mem_alloc(&p->gpu, size, &h, err));
    part->allocs[slot].handle = h;
    part->allocs[slot].size = size;
    part->used += size;
    p->used += size;
    *out = ((uint64_t)slot + 1) << SLOT_SHIFT;
    return 0;
}

/* Resolve ptr..ptr+n to one allocation of this partition: the only way a request reaches memory,
 * so a partition can never address another's allocations. */
static int resolve_ptr(struct omega_gpu_part *part, omega_devptr ptr, size_t n, struct gpu_alloc **a, uint64_t *off,
                       struct omega_error *err)
{
    uint64_t slot = (ptr >> SLOT_SHIFT);
    *off = ptr & OFF_MASK;
    if (slot == 0 || slot > part->nallocs || !part->allocs[slot - 1].handle)
        OMEGA_FAIL(err, OMEGA_EINVAL, "partition %s: address 0x%llx is not one of its allocations", part->owner,
                   (unsigned long long)ptr);
    *a = &part->allocs[slot - 1];
    if (*off > (*a)->size || n > (*a)->size - *off)
        OMEGA_FAIL(err, OMEGA_EINVAL, "partition %s: %zu bytes at 0x%llx run past the allocation", part->owner, n,
                   (unsigned long long)ptr);
    return 0;
}

int omega_gpu_free(struct omega_gpu_part *part, omega_devptr ptr, struct omega_error *err)
{
    struct gpu_alloc *a;
    uint64_t off;
    OMEGA_TRY(resolve_ptr(part, ptr, 0, &a, &off, err));
    if (off != 0)
        OMEGA_FAIL(err, OMEGA_EINVAL, "free of an interior address");
    part->platform->gpu.ops->mem_free(&part->platform->gpu, a->handle, a->size);
    part->used -= a->size;
    part->platform->used -= a->size;
    a->handle = NULL;
    return 0;
}

static int bounce_reserve(struct omega_platform *p, size_t n, struct omega_error *err)
{
    if (p->bounce.cap > n)
        return 0;
    p->bounce.len = 0;
    if (omega_buf_reserve(&p->bounce, n) < 0)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "bounce buffer of %zu bytes", n);
    return 0;
}

int omega_gpu_copy_in(struct omega_gpu_part *part, omega_devptr dst, const void *src, size_t n, struct omega_error *err)
{
    struct omega_platform *p = part->platform;
    struct gpu_alloc *a;
    uint64_t off;
    OMEGA_TRY(resolve_ptr(part, dst, n, &a, &off, err));
    if (!p->cc_on)
        return p->gpu.ops->copy_in(&p->gpu, a->handle, off, src, n, err);
    OMEGA_TRY(bounce_reserve(p, n, err));
    struct omega_sealed s = {.bytes = p->bounce.data, .len = n};
    if (omega_seal(p->h2d_send, src, n, &s) < 0)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "AES-GCM seal failed");
    if (p->bounce_hook)
        p->bounce_hook(s.bytes, s.len, p->bounce_arg);
    return p->gpu.ops->copy_in_sealed(&p->gpu, a->handle, off, &s, p->h2d_recv, err);
}

int omega_gpu_copy_out(struct omega_gpu_part *part, void *dst, omega_devptr src, size_t n, struct omega_error *err)
{
    struct omega_platform *p = part->platform;
    struct gpu_alloc *a;
    uint64_t off;
    OMEGA_TRY(resolve_ptr(part, src, n, &a, &off, err));
    if (!p->cc_on)
        return p->gpu.ops->copy_out(&p->gpu, dst, a->handle, off, n, err);
    OMEGA_TRY(bounce_reserve(p, n, err));
    struct omega_sealed s = {.bytes = p->bounce.data, .len = n};
    OMEGA_TRY(p->gpu.ops->copy_out_sealed(&p->gpu, &s, a->handle, off, n, p->d2h_send, err));
    if (p->bounce_hook)
        p->bounce_hook(s.bytes, s.len, p->bounce_arg);
    if (omega_unseal(p->d2h_recv, &s, dst) < 0)
        OMEGA_FAIL(err, OMEGA_EVERIFY, "device-to-host transfer failed authentication");
    return 0;
}

void omega_platform_set_bounce_hook(struct omega_platform *p, void (*hook)(uint8_t *bytes, size_t n, void *arg), void *arg)
{
    p->bounce_hook = hook;
    p->bounce_arg = arg;
}
