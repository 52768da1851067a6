/* Placeholder: the workloads (omega run) lands with its issue; until then the command says so. */
#include <stdio.h>

#include "core/cli.h"

int omega_cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "omega: the workloads (omega run) is not built yet\n");
    return OMEGA_EXIT_INTERNAL;
}
