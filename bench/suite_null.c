/* The null suite: measures the cost of reading the clock, the floor under every other figure, and
 * exists to test the bench runner itself (options, job files, result files, plots). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "core/cli.h"
#include "core/util.h"

int omega_bench_null(struct omega_bench *b, int argc, char **argv)
{
    long samples = omega_bench_quick(b) ? 2000 : 100000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--samples") == 0 && i + 1 < argc) {
            char *end;
            samples = strtol(argv[++i], &end, 10);
            if (*end || samples < 10 || samples > 100000000)
                return omega_cli_usage("bench null", "--samples takes 10 to 100000000");
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: omega bench null [--samples N]\n  timer_overhead_ns: back-to-back monotonic clock reads\n");
            return 0;
        } else {
            return omega_cli_usage("bench null", "unknown option '%s'", argv[i]);
        }
    }
    double *s = malloc((size_t)samples * sizeof *s);
    if (!s)
        return OMEGA_EXIT_INTERNAL;
    for (long i = 0; i < samples / 10; i++)  /* warm-up, not recorded */
        (void)omega_now_ns();
    for (long i = 0; i < samples; i++) {
        uint64_t t0 = omega_now_ns(), t1 = omega_now_ns();
        s[i] = (double)(t1 - t0);
    }
    struct omega_metric m = {.name = "timer_overhead_ns", .unit = "ns", .samples = s, .n = (size_t)samples};
    omega_bench_metric(b, &m);
    char data[64];
    int k = snprintf(data, sizeof data, "samples/timer_overhead_ns.csv");
    (void)k;
    omega_bench_plot(b, "timer_overhead",
                     "set title 'Back-to-back clock reads'\nset xlabel 'ns'\nset ylabel 'count'\nset style fill solid 0.5\n"
                     "binwidth = 2\nbin(x) = binwidth * floor(x / binwidth)\n"
                     "plot 'samples/timer_overhead_ns.csv' every ::1 using (bin($1)):(1.0) smooth freq with boxes notitle\n");
    free(s);
    return 0;
}
