#include "backends/cuda/plugin.h"

#include <stdio.h>

#include "config.h"
#include "core/plugin.h"

void *omega_cuda_sym(const char *name, char *why, size_t whylen)
{
#ifndef CONFIG_CUDA
    (void)name;
    if (why && whylen)
        snprintf(why, whylen, "built without CUDA (./configure found no nvcc with cuBLAS and NCCL)");
    return NULL;
#else
    return omega_plugin_sym("libomega-cuda.so", "OMEGA_CUDA_PLUGIN", name, why, whylen);
#endif
}
