/* The CUDA plugin. Where configure found CUDA, all GPU code (the cuda backend, the inference engine's
 * kernels, the AES-GCM kernels) is built as libomega-cuda.so and loaded on first use, so that the
 * omega binary itself maps no CUDA library: a process that never touches the GPU (and every agent
 * sandbox cloned from it) stays small, and a CUDA build runs where the CUDA runtime is absent. */
#ifndef OMEGA_CUDA_PLUGIN_H
#define OMEGA_CUDA_PLUGIN_H

#include <stddef.h>

/* Address of symbol name in the plugin, loading it on first use; NULL with the reason in why (may be
 * NULL) when there is none: built without CUDA, plugin file missing or not loadable. */
void *omega_cuda_sym(const char *name, char *why, size_t whylen);

#endif
