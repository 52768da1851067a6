/* Placeholder: the provenance log (omega log) lands with its issue; until then the command says so. */
#include <stdio.h>

#include "core/cli.h"

int omega_cmd_log(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "omega: the provenance log (omega log) is not built yet\n");
    return OMEGA_EXIT_INTERNAL;
}
