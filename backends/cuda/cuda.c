/* Real NVIDIA GPU backend. Built with CUDA, it probes for a device through the CUDA runtime;
 * the inference engine and the on-GPU AES-GCM data path land with the LLM work. */
#include <stdio.h>
#include <sys/stat.h>

#include "config.h"
#include "core/backend_impl.h"

#ifdef CONFIG_CUDA
#include <cuda_runtime_api.h>
#endif

static int cuda_probe(char *why, size_t whylen)
{
#ifdef CONFIG_CUDA
    struct stat st;
    if (stat("/proc/driver/nvidia", &st) != 0 && stat("/dev/nvidiactl", &st) != 0) {
        snprintf(why, whylen, "no NVIDIA GPU driver loaded (no /proc/driver/nvidia, no /dev/nvidiactl)");
        return -1;
    }
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        snprintf(why, whylen, "no usable CUDA device (cudaGetDeviceCount: %s)", cudaGetErrorString(e));
        return -1;
    }
    if (n == 0) {
        snprintf(why, whylen, "no CUDA device");
        return -1;
    }
    snprintf(why, whylen, "CUDA device found, but the cuda GPU backend is not built yet");
    return -1;
#else
    snprintf(why, whylen, "built without CUDA (./configure found no nvcc with cuBLAS and NCCL)");
    return -1;
#endif
}

static int cuda_open(struct omega_gpu *gpu, const struct omega_config *cfg, struct omega_error *err)
{
    (void)gpu; (void)cfg;
    OMEGA_FAIL(err, OMEGA_EUNAVAIL, "cuda backend not available");
}

static void cuda_close(struct omega_gpu *gpu) { (void)gpu; }
static void cuda_info(struct omega_gpu *gpu, struct omega_gpu_info *info) { (void)gpu; (void)info; }

const struct omega_gpu_ops omega_gpu_cuda = {
    .version = OMEGA_BACKEND_ABI,
    .name = "cuda",
    .caps = OMEGA_CAP_GPU_INFER,
    .probe = cuda_probe,
    .open = cuda_open,
    .close = cuda_close,
    .info = cuda_info,
};
