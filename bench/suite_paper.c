/* Placeholder: the paper suite lands with its issue; until then it says so and measures nothing. */
#include <stdio.h>

#include "bench/bench.h"
#include "core/cli.h"

int omega_bench_paper(struct omega_bench *b, int argc, char **argv)
{
    (void)b;
    (void)argc;
    (void)argv;
    fprintf(stderr, "omega bench: the paper suite is not built yet\n");
    return OMEGA_EXIT_INTERNAL;
}
