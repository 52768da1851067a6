/* NVML through dlopen: libnvidia-ml.so.1 is found at run time, each entry point looked up by name, so a
 * machine without the driver gets a clear "unavailable" instead of a link failure. */
#include "backends/cuda/nvml.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef int nvml_ret;
typedef void *nvml_device;
struct nvml_cc_system_state { unsigned int environment, cc_feature, dev_tools_mode; };

static struct {
    void *lib;
    char why[200];
    nvml_ret (*init)(void);
    const char *(*error_string)(nvml_ret);
    nvml_ret (*handle_by_index)(unsigned int, nvml_device *);
    nvml_ret (*cc_state)(struct nvml_cc_system_state *);
    nvml_ret (*attestation_report)(nvml_device, struct omega_nvml_attestation_report *);
    nvml_ret (*certificate)(nvml_device, struct omega_nvml_certificate *);
    int ready;
} nv;
static pthread_once_t nv_once = PTHREAD_ONCE_INIT;

static void nv_load(void)
{
    nv.lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!nv.lib) {
        snprintf(nv.why, sizeof nv.why, "NVML not found (libnvidia-ml.so.1: no NVIDIA driver here)");
        return;
    }
    *(void **)&nv.init = dlsym(nv.lib, "nvmlInit_v2");
    *(void **)&nv.error_string = dlsym(nv.lib, "nvmlErrorString");
    *(void **)&nv.handle_by_index = dlsym(nv.lib, "nvmlDeviceGetHandleByIndex_v2");
    *(void **)&nv.cc_state = dlsym(nv.lib, "nvmlSystemGetConfComputeState");
    *(void **)&nv.attestation_report = dlsym(nv.lib, "nvmlDeviceGetConfComputeGpuAttestationReport");
    *(void **)&nv.certificate = dlsym(nv.lib, "nvmlDeviceGetConfComputeGpuCertificate");
    if (!nv.init || !nv.handle_by_index || !nv.error_string) {
        snprintf(nv.why, sizeof nv.why, "NVML lacks nvmlInit_v2/nvmlDeviceGetHandleByIndex_v2");
        return;
    }
    nvml_ret r = nv.init();
    if (r != 0) {
        snprintf(nv.why, sizeof nv.why, "nvmlInit failed: %s", nv.error_string(r));
        return;
    }
    nv.ready = 1;
}

static int nv_device(int dev, nvml_device *h, struct omega_error *err)
{
    pthread_once(&nv_once, nv_load);
    if (!nv.ready)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "%s", nv.why);
    if (dev < 0)
        OMEGA_FAIL(err, OMEGA_EINVAL, "GPU %d", dev);
    nvml_ret r = nv.handle_by_index((unsigned)dev, h);
    if (r != 0)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "GPU %d: %s", dev, nv.error_string(r));
    return 0;
}

int omega_nvml_cc_state(int dev, char *mode, size_t len, struct omega_error *err)
{
    nvml_device h;
    OMEGA_TRY(nv_device(dev, &h, err));
    if (!nv.cc_state)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "this NVML has no confidential-computing API (driver older than r535)");
    struct nvml_cc_system_state st = {0};
    nvml_ret r = nv.cc_state(&st);
    if (r != 0)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "nvmlSystemGetConfComputeState: %s", nv.error_string(r));
    /* ccFeature: 0 disabled, 1 enabled; devToolsMode 1 means CC with debugging tools (not confidential). */
    snprintf(mode, len, "%s", st.cc_feature == 0 ? "off" : st.dev_tools_mode ? "devtools" : "on");
    return 0;
}

int omega_nvml_decode(const struct omega_nvml_attestation_report *r, const struct omega_nvml_certificate *c,
                      struct omega_buf *report, struct omega_buf *chain, struct omega_error *err)
{
    if (r->report_size == 0 || r->report_size > OMEGA_NVML_ATTESTATION_REPORT_SIZE)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "NVML attestation report size %u out of range", r->report_size);
    if (c->attestation_chain_size == 0 || c->attestation_chain_size > OMEGA_NVML_ATTESTATION_CHAIN_SIZE)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "NVML attestation chain size %u out of range", c->attestation_chain_size);
    report->len = chain->len = 0;
    if (omega_buf_append(report, r->report, r->report_size) < 0 ||
        omega_buf_append(chain, c->attestation_chain, c->attestation_chain_size) < 0)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    return 0;
}

int omega_nvml_gpu_evidence(int dev, const uint8_t nonce[32], struct omega_buf *report, struct omega_buf *chain,
                            struct omega_error *err)
{
    char mode[16];
    OMEGA_TRY(omega_nvml_cc_state(dev, mode, sizeof mode, err));
    if (strcmp(mode, "on") != 0)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "CC %s: the GPU gives attestation evidence only in CC mode", mode);
    if (!nv.attestation_report || !nv.certificate)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "this NVML has no GPU attestation API");
    nvml_device h;
    OMEGA_TRY(nv_device(dev, &h, err));
    static __thread struct omega_nvml_attestation_report r;
    static __thread struct omega_nvml_certificate c;
    memset(&r, 0, sizeof r);
    memset(&c, 0, sizeof c);
    memcpy(r.nonce, nonce, 32);   /* NVML takes the nonce in the structure it fills */
    nvml_ret e = nv.attestation_report(h, &r);
    if (e != 0)
        OMEGA_FAIL(err, OMEGA_EIO, "nvmlDeviceGetConfComputeGpuAttestationReport: %s", nv.error_string(e));
    e = nv.certificate(h, &c);
    if (e != 0)
        OMEGA_FAIL(err, OMEGA_EIO, "nvmlDeviceGetConfComputeGpuCertificate: %s", nv.error_string(e));
    return omega_nvml_decode(&r, &c, report, chain, err);
}
