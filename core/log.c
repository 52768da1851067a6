#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum omega_log_level log_level = OMEGA_LOG_WARN;
static char log_debug[256];

void omega_log_set_level(enum omega_log_level level) { log_level = level; }

void omega_log_set_debug(const char *cats)
{
    snprintf(log_debug, sizeof log_debug, ",%s,", cats ? cats : "");
}

static void log_v(const char *prefix, const char *fmt, va_list ap)
{
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    fprintf(stderr, "omega: %s%s\n", prefix, line);
}

void omega_log(enum omega_log_level level, const char *fmt, ...)
{
    static const char *const prefix[] = {"error: ", "warning: ", "", "debug: "};
    if (level > log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_v(prefix[level], fmt, ap);
    va_end(ap);
}

void omega_debug(const char *cat, const char *fmt, ...)
{
    char key[64];
    if (!log_debug[0])
        return;
    snprintf(key, sizeof key, ",%s,", cat);
    if (!strstr(log_debug, key) && !strstr(log_debug, ",all,"))
        return;
    char prefix[80];
    snprintf(prefix, sizeof prefix, "[%s] ", cat);
    va_list ap;
    va_start(ap, fmt);
    log_v(prefix, fmt, ap);
    va_end(ap);
}
