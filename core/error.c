#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int omega_error_set(struct omega_error *err, int code, const char *file, int line, const char *fmt, ...)
{
    if (!err || err->code != 0)
        return code;
    err->code = code;
    const char *base = strrchr(file, '/');
    snprintf(err->where, sizeof err->where, "%s:%d", base ? base + 1 : file, line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void omega_error_clear(struct omega_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

const char *omega_error_name(int code)
{
    static const char *const names[] = {"OK", "EINVAL", "ENOMEM", "EIO", "EFORMAT", "EVERIFY", "EDENIED",
                                        "EUNAVAIL", "EQUOTA", "ENOTFOUND", "ETIMEOUT", "EPEER", "ECRYPTO",
                                        "ESTATE"};
    int i = -code;
    if (i < 0 || i >= (int)(sizeof names / sizeof names[0]))
        return "EUNKNOWN";
    return names[i];
}

int omega_error_exit_status(int code)
{
    switch (code) {
    case OMEGA_OK: return 0;
    case OMEGA_EVERIFY: case OMEGA_EDENIED: return 1;
    case OMEGA_EINVAL: case OMEGA_EFORMAT: case OMEGA_ENOTFOUND: case OMEGA_EIO: return 2;
    default: return 3;
    }
}
