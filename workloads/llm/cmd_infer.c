/* Placeholder: the inference engine (omega infer) lands with its issue; until then the command says so. */
#include <stdio.h>

#include "core/cli.h"

int omega_cmd_infer(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "omega: the inference engine (omega infer) is not built yet\n");
    return OMEGA_EXIT_INTERNAL;
}
