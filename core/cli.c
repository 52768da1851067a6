/* Helpers shared by every subcommand. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/cli.h"

struct omega_global_opts omega_opts = {.cfg = {.backend = "emu", .cc = -1}};

int omega_cli_fail(const char *cmd, const struct omega_error *err)
{
    fprintf(stderr, "omega %s: %s\n", cmd, err->msg[0] ? err->msg : omega_error_name(err->code));
    if (omega_opts.verbose && err->where[0])
        fprintf(stderr, "  (at %s, %s)\n", err->where, omega_error_name(err->code));
    return omega_error_exit_status(err->code);
}

int omega_cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "omega %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'omega %s --help')\n", cmd);
    return OMEGA_EXIT_USAGE;
}

int omega_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

