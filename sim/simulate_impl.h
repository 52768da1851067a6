/* Constants shared by the platform generator (sim_platform.c) and the SimGrid engine (simulate.c). */
#ifndef OMEGA_SIMULATE_IMPL_H
#define OMEGA_SIMULATE_IMPL_H

#define SPEED 1e9            /* host speed in flop/s: a cost of t seconds is an execution of t * SPEED flops */
#define PCIE_BYTES_PER_S 64e9   /* PCIe 5.0 x16 */
#define NIC_BPS "100Gbps"
#define MEM_RESERVE 0.95     /* the share of GPU memory a serving engine hands to weights and KV */

#endif
