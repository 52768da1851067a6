#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile on sorted data. */
static double pct(const double *s, size_t n, double p)
{
    if (n == 0)
        return NAN;
    double r = ceil(p / 100.0 * (double)n);
    size_t k = r < 1 ? 0 : (size_t)r - 1;
    return s[k < n ? k : n - 1];
}

void omega_stats_compute(double *s, size_t n, struct omega_stats *st)
{
    memset(st, 0, sizeof *st);
    st->n = n;
    if (n == 0) {
        st->min = st->max = st->mean = st->p50 = st->p90 = st->p99 = st->ci_lo = st->ci_hi = NAN;
        return;
    }
    qsort(s, n, sizeof *s, cmp_double);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += s[i];
    st->min = s[0];
    st->max = s[n - 1];
    st->mean = sum / (double)n;
    st->p50 = pct(s, n, 50);
    st->p90 = pct(s, n, 90);
    st->p99 = pct(s, n, 99);
    /* Distribution-free CI of the median: ranks n/2 -+ 1.96 sqrt(n)/2 (normal approximation to the
     * binomial), clamped to the sample. */
    double h = 1.96 * sqrt((double)n) / 2.0;
    double lo = floor((double)n / 2.0 - h), hi = ceil((double)n / 2.0 + h);
    if (lo < 0) lo = 0;
    if (hi > (double)n - 1) hi = (double)n - 1;
    st->ci_lo = s[(size_t)lo];
    st->ci_hi = s[(size_t)hi];
}
