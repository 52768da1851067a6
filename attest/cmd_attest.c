/* Placeholder: attestation (omega attest) lands with its issue; until then the command says so. */
#include <stdio.h>

#include "core/cli.h"

int omega_cmd_attest(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "omega: attestation (omega attest) is not built yet\n");
    return OMEGA_EXIT_INTERNAL;
}
