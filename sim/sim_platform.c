/* The simulator's configuration defaults and its SimGrid platform file: plain C, in the omega binary. */
#include "sim/simulate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "config.h"
#include "core/util.h"

#include "sim/simulate_impl.h"


void omega_sim_config_init(struct omega_sim_config *c, const struct omega_costmodel *cm)
{
    memset(c, 0, sizeof *c);
    c->model = omega_model_find("llama2-7b");
    c->cm = cm;
    c->agents = 100;
    c->hosts = 1;
    c->gpus_per_host = 8;
    c->cores_per_host = 64;
    c->rate_per_agent = 0.05;
    c->prompt_tokens = 512;
    c->gen_tokens = 128;
    c->tools_per_request = 1;
    c->tool_s = 0.020;
    c->duration_s = 60;
    c->warmup_s = 10;
    c->cc = 1;
    c->seed = 1;
}

int omega_sim_write_platform(const struct omega_sim_config *c, const char *path, struct omega_error *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        OMEGA_FAIL(err, OMEGA_EIO, "%s: %s", path, strerror(errno));
    /* With CC on, host<->GPU transfers go through the AES-GCM bounce buffer: the slower of the two. */
    double pcie = PCIE_BYTES_PER_S;
    if (c->cc && c->cm->cc_s_per_byte.value > 0)
        pcie = fmin(pcie, 1.0 / c->cm->cc_s_per_byte.value);
    /* The platform DTD wants every host, then every link, then every route. */
    fprintf(f, "<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
               "<platform version=\"4.1\">\n<zone id=\"dc\" routing=\"Full\">\n"
               "  <host id=\"tools\" speed=\"1Gf\" core=\"64\"/>\n");
    for (int i = 0; i < c->hosts; i++) {
        fprintf(f, "  <host id=\"node-%d\" speed=\"1Gf\" core=\"%d\"/>\n", i, c->cores_per_host);
        for (int j = 0; j < c->gpus_per_host; j++)
            fprintf(f, "  <host id=\"gpu-%d-%d\" speed=\"1Gf\" core=\"1\"/>\n", i, j);
    }
    fprintf(f, "  <link id=\"spine\" bandwidth=\"400Gbps\" latency=\"2us\"/>\n");
    for (int i = 0; i < c->hosts; i++) {
        fprintf(f, "  <link id=\"nic-%d\" bandwidth=\"%s\" latency=\"5us\"/>\n", i, NIC_BPS);
        for (int j = 0; j < c->gpus_per_host; j++)
            fprintf(f, "  <link id=\"pcie-%d-%d\" bandwidth=\"%.0fBps\" latency=\"1us\"/>\n", i, j, pcie);
    }
    for (int i = 0; i < c->hosts; i++) {
        fprintf(f, "  <route src=\"node-%d\" dst=\"tools\"><link_ctn id=\"nic-%d\"/><link_ctn id=\"spine\"/></route>\n",
                i, i);
        for (int j = 0; j < c->gpus_per_host; j++)
            fprintf(f, "  <route src=\"node-%d\" dst=\"gpu-%d-%d\"><link_ctn id=\"pcie-%d-%d\"/></route>\n", i, i, j, i,
                    j);
    }
    fprintf(f, "</zone>\n</platform>\n");
    if (fclose(f) != 0)
        OMEGA_FAIL(err, OMEGA_EIO, "%s: write failed", path);
    return 0;
}

