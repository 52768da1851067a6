#include "backends/cuda/plugin.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#ifndef OMEGA_PLUGIN_DIR
#define OMEGA_PLUGIN_DIR "/usr/local/lib/omega"
#endif

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void *handle;
static char load_why[512];

static void load(void)
{
#ifndef CONFIG_CUDA
    snprintf(load_why, sizeof load_why, "built without CUDA (./configure found no nvcc with cuBLAS and NCCL)");
#else
    /* OMEGA_CUDA_PLUGIN, else beside the executable (a build tree), else the install folder. */
    char paths[3][PATH_MAX];
    int n = 0;
    const char *env = getenv("OMEGA_CUDA_PLUGIN");
    if (env && *env)
        snprintf(paths[n++], PATH_MAX, "%s", env);
    char exe[PATH_MAX];
    ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (l > 0) {
        exe[l] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(paths[n++], PATH_MAX, "%.4000s/libomega-cuda.so", exe);
        }
    }
    snprintf(paths[n++], PATH_MAX, "%s/libomega-cuda.so", OMEGA_PLUGIN_DIR);
    for (int i = 0; i < n && !handle; i++) {
        if (access(paths[i], R_OK) != 0)
            continue;
        handle = dlopen(paths[i], RTLD_NOW | RTLD_LOCAL);
        if (!handle)
            snprintf(load_why, sizeof load_why, "cannot load the CUDA plugin %.200s: %.250s", paths[i], dlerror());
    }
    if (!handle && !load_why[0])
        snprintf(load_why, sizeof load_why, "CUDA plugin libomega-cuda.so not found (beside the omega binary, in %s, "
                 "or OMEGA_CUDA_PLUGIN)", OMEGA_PLUGIN_DIR);
#endif
}

void *omega_cuda_sym(const char *name, char *why, size_t whylen)
{
    pthread_once(&once, load);
    void *p = handle ? dlsym(handle, name) : NULL;
    if (!p && why && whylen)
        snprintf(why, whylen, "%s", handle ? "the CUDA plugin lacks a symbol (a stale build?)" : load_why);
    return p;
}
