/* The omega command: a table of subcommands (after WireGuard's wg), each with its own --help. */
#ifndef OMEGA_CLI_H
#define OMEGA_CLI_H

#include <stdint.h>

#include "core/backend.h"

/* Options every command accepts anywhere on the line; main() strips them before dispatch. */
struct omega_global_opts {
    struct omega_config cfg;   /* --backend, --gpu-capacity, --cc */
    int verbose;
};
extern struct omega_global_opts omega_opts;

/* Exit statuses of every command. */
enum { OMEGA_EXIT_OK = 0, OMEGA_EXIT_NEGATIVE = 1, OMEGA_EXIT_USAGE = 2, OMEGA_EXIT_INTERNAL = 3 };

/* Print "omega: <cmd>: <msg>" for an error and return its exit status. */
int omega_cli_fail(const char *cmd, const struct omega_error *err);
/* Print a usage error line and return OMEGA_EXIT_USAGE. */
int omega_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 1 when argv holds -h or --help. */
int omega_cli_wants_help(int argc, char **argv);

/* Subcommands, one per part (each in its own folder's cmd file). */
int omega_cmd_backends(int argc, char **argv);
int omega_cmd_attest(int argc, char **argv);
int omega_cmd_policy(int argc, char **argv);
int omega_cmd_log(int argc, char **argv);
int omega_cmd_bench(int argc, char **argv);
int omega_cmd_run(int argc, char **argv);
int omega_cmd_infer(int argc, char **argv);
int omega_cmd_plan(int argc, char **argv);

#endif
