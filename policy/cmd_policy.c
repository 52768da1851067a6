/* Placeholder: the policy engine (omega policy) lands with its issue; until then the command says so. */
#include <stdio.h>

#include "core/cli.h"

int omega_cmd_policy(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "omega: the policy engine (omega policy) is not built yet\n");
    return OMEGA_EXIT_INTERNAL;
}
