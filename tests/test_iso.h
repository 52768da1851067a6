/* Helpers shared by the isolation tests. */
#ifndef OMEGA_TEST_ISO_H
#define OMEGA_TEST_ISO_H

#include "core/allowlist.h"
#include "core/monitor.h"
#include "core/runtime.h"

struct iso_env {
    struct omega_allowlist *al;
    struct omega_monitor mon;
    struct omega_runtime *rt;
};

/* Runtime deciding with the allow-list text; cfg may be NULL. */
int iso_env_start(struct iso_env *e, const char *allow, const struct omega_runtime_config *cfg);
void iso_env_stop(struct iso_env *e);
/* Spawn, printing the error; returns the index or a negative code. */
int iso_spawn(struct iso_env *e, const char *id, omega_agent_main_fn fn, const void *arg, size_t arglen);

#endif
