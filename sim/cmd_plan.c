/* Placeholder: the capacity planner (omega plan) lands with its issue; until then the command says so. */
#include <stdio.h>

#include "core/cli.h"

int omega_cmd_plan(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "omega: the capacity planner (omega plan) is not built yet\n");
    return OMEGA_EXIT_INTERNAL;
}
