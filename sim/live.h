/* A live run of the planner's system on this machine (real threads, the emulated confidential GPU's
 * copies, continuous batching in real time with the cost model's step times), for measuring the
 * SimGrid model against. */
#ifndef OMEGA_LIVE_H
#define OMEGA_LIVE_H

#include "core/error.h"
#include "sim/simulate.h"

/* Run c live (one host, one GPU, at most 256 agents, fixed token counts) and summarise like omega_sim_run. */
int omega_sim_live(const struct omega_sim_config *c, struct omega_sim_result *r, struct omega_error *err) OMEGA_MUST_CHECK;

#endif
