/* written by configure */
#ifndef OMEGA_CONFIG_H
#define OMEGA_CONFIG_H
#define OMEGA_VERSION "0.1.0"
#define OMEGA_CONFIGURE_LINE "./configure "
#define CONFIG_SECCOMP 1
#define CONFIG_HWLOC 1
#define CONFIG_SIMGRID 1
#define CONFIG_CUDA 1
#endif
