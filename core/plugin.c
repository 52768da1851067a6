#include "core/plugin.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef OMEGA_PLUGIN_DIR
#define OMEGA_PLUGIN_DIR "/usr/local/lib/omega"
#endif

#define MAX_PLUGINS 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char file[64];
    void *handle;
    char why[512];
} plugins[MAX_PLUGINS];

static void load(int k, const char *file, const char *env_override)
{
    char paths[3][PATH_MAX];
    int n = 0;
    const char *env = env_override ? getenv(env_override) : NULL;
    if (env && *env)
        snprintf(paths[n++], PATH_MAX, "%s", env);
    char exe[PATH_MAX];
    ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (l > 0) {
        exe[l] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(paths[n++], PATH_MAX, "%.4000s/%s", exe, file);
        }
    }
    snprintf(paths[n++], PATH_MAX, "%s/%s", OMEGA_PLUGIN_DIR, file);
    for (int i = 0; i < n && !plugins[k].handle; i++) {
        if (access(paths[i], R_OK) != 0)
            continue;
        plugins[k].handle = dlopen(paths[i], RTLD_NOW | RTLD_LOCAL);
        if (!plugins[k].handle)
            snprintf(plugins[k].why, sizeof plugins[k].why, "cannot load the plugin %.200s: %.250s", paths[i], dlerror());
    }
    if (!plugins[k].handle && !plugins[k].why[0])
        snprintf(plugins[k].why, sizeof plugins[k].why, "plugin %s not found (beside the omega binary, in %s%s%s)",
                 file, OMEGA_PLUGIN_DIR, env_override ? ", or " : "", env_override ? env_override : "");
}

void *omega_plugin_sym(const char *file, const char *env_override, const char *name, char *why, size_t whylen)
{
    pthread_mutex_lock(&lock);
    int k = 0;
    while (k < MAX_PLUGINS && plugins[k].file[0] && strcmp(plugins[k].file, file) != 0)
        k++;
    if (k == MAX_PLUGINS) {
        pthread_mutex_unlock(&lock);
        if (why && whylen)
            snprintf(why, whylen, "too many plugins");
        return NULL;
    }
    if (!plugins[k].file[0]) {
        snprintf(plugins[k].file, sizeof plugins[k].file, "%s", file);
        load(k, file, env_override);
    }
    void *h = plugins[k].handle;
    void *p = h ? dlsym(h, name) : NULL;
    if (!p && why && whylen)
        snprintf(why, whylen, "%s", h ? "the plugin lacks a symbol (a stale build?)" : plugins[k].why);
    pthread_mutex_unlock(&lock);
    return p;
}
