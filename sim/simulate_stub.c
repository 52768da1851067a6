/* omega_sim_run as the omega binary sees it: the SimGrid engine lives in the simulator plugin
 * (libomega-sim.so, sim/simulate.c), loaded on first use, so the binary links no SimGrid. */
#include <stdio.h>

#include "config.h"
#include "core/plugin.h"
#include "sim/simulate.h"

int omega_sim_run(const struct omega_sim_config *c, struct omega_sim_result *r, struct omega_error *err)
{
#ifndef CONFIG_SIMGRID
    (void)c;
    (void)r;
    OMEGA_FAIL(err, OMEGA_EUNAVAIL, "built without SimGrid (Debian: libsimgrid-dev; then ./configure)");
#else
    static __typeof__(&omega_sim_run) fn;
    char why[512] = "";
    if (!fn)
        fn = (__typeof__(&omega_sim_run))omega_plugin_sym("libomega-sim.so", "OMEGA_SIM_PLUGIN", "omega_sim_run", why,
                                                          sizeof why);
    if (!fn)
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "%s", why);
    return fn(c, r, err);
#endif
}
