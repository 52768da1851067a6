/* Plugins: parts built as shared objects that the binary loads on first use, so that it maps their
 * heavy libraries (CUDA, SimGrid) only when they are used: a process that never touches them, and
 * every agent sandbox cloned from it, stays small. */
#ifndef OMEGA_PLUGIN_H
#define OMEGA_PLUGIN_H

#include <stddef.h>

/* Address of symbol name in plugin file (e.g. "libomega-sim.so"), loading it on first use from the
 * path in environment variable env_override if set, else beside the executable, else the install
 * folder. NULL with the reason in why (may be NULL). */
void *omega_plugin_sym(const char *file, const char *env_override, const char *name, char *why, size_t whylen);

#endif
