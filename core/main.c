/* omega: command table, global options, dispatch. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/cli.h"
#include "core/log.h"
#include "core/util.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
    {"backends", omega_cmd_backends, "list backends and whether each can run here"},
    {"attest", omega_cmd_attest, "make and verify SEV-SNP / H100 evidence, differential attestation"},
    {"policy", omega_cmd_policy, "check, evaluate and replay policies"},
    {"log", omega_cmd_log, "verify, show and prove the provenance log"},
    {"run", omega_cmd_run, "run agents (tool-calling, multi-agent) under the monitor"},
    {"infer", omega_cmd_infer, "run Llama-2 inference on the chosen backend"},
    {"bench", omega_cmd_bench, "run a benchmark suite and write results/"},
    {"plan", omega_cmd_plan, "capacity planning with the SimGrid model"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: omega [global options] <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nglobal options (accepted anywhere on the line):\n"
               "  --backend NAME     emu (default), cuda (real GPU, CC path emulated), snp (SEV-SNP + GPU),\n"
               "                     auto (the best that runs here), or tee=X,gpu=Y\n"
               "  --cc on|off        confidential data path (default on)\n"
               "  --gpu-capacity N   emulated GPU memory (default 80G)\n"
               "  --debug=CATS       debug categories (attest,policy,log,agent,llm or all)\n"
               "  -v, --verbose      more messages\n"
               "  --version          print the version\n\n"
               "'omega <command> --help' describes each command. Exit status: 0 success, 1 negative verdict,\n"
               "2 usage or input error.\n");
}

/* Take a global option at argv[i] (with its value in argv[i+1] or after '='); returns how many
 * words it used, 0 if argv[i] is not global, -1 on a bad value. */
static int take_global(int argc, char **argv, int i)
{
    const char *a = argv[i];
    const char *names[] = {"--backend", "--cc", "--gpu-capacity"};
    for (size_t k = 0; k < 3; k++) {
        size_t l = strlen(names[k]);
        if (strncmp(a, names[k], l) != 0 || (a[l] != 0 && a[l] != '='))
            continue;
        const char *v = a[l] == '=' ? a + l + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
        int used = a[l] == '=' ? 1 : 2;
        if (!v) {
            fprintf(stderr, "omega: %s needs a value\n", names[k]);
            return -1;
        }
        if (k == 0) {
            omega_opts.cfg.backend = v;
        } else if (k == 1) {
            if (strcmp(v, "on") == 0) omega_opts.cfg.cc = 1;
            else if (strcmp(v, "off") == 0) omega_opts.cfg.cc = 0;
            else { fprintf(stderr, "omega: --cc takes on or off, not '%s'\n", v); return -1; }
        } else if (omega_parse_size(v, &omega_opts.cfg.gpu_capacity) < 0 || omega_opts.cfg.gpu_capacity == 0) {
            fprintf(stderr, "omega: --gpu-capacity: bad size '%s' (e.g. 80G)\n", v);
            return -1;
        }
        return used;
    }
    if (strncmp(a, "--debug=", 8) == 0) {
        omega_log_set_debug(a + 8);
        return 1;
    }
    if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
        omega_opts.verbose = 1;
        omega_log_set_level(OMEGA_LOG_INFO);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    /* Strip global options wherever they stand, so every command accepts them. */
    int n = 1;
    for (int i = 1; i < argc;) {
        if (strcmp(argv[i], "--") == 0) {
            while (i < argc)
                argv[n++] = argv[i++];
            break;
        }
        int used = take_global(argc, argv, i);
        if (used < 0)
            return OMEGA_EXIT_USAGE;
        if (used == 0)
            argv[n++] = argv[i++];
        else
            i += used;
    }
    argc = n;
    argv[argc] = NULL;
    if (omega_opts.cfg.cc < 0)
        omega_opts.cfg.cc = 1;

    if (argc < 2) {
        usage(stderr);
        return OMEGA_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("omega %s\n", OMEGA_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "omega: unknown command '%s' (see 'omega --help')\n", argv[1]);
    return OMEGA_EXIT_USAGE;
}
