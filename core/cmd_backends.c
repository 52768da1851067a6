/* omega backends: what can run here, and why not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/cli.h"

int omega_cmd_backends(int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf("usage: omega backends [--json]\n\n"
                   "Lists each backend (emu, snp, cuda) with 'available' or 'unavailable: <reason>'.\n"
                   "  emu   software-emulated CC platform (AMD secure processor + confidential GPU); runs anywhere\n"
                   "  snp   AMD SEV-SNP guest: reports from /dev/sev-guest or configfs-tsm\n"
                   "  cuda  real NVIDIA GPU (CC mode through NVML, else the CC data path emulated on it)\n"
                   "  --json  one JSON object: {\"backends\": [{\"name\", \"kind\", \"available\", \"reason\"}]}\n");
            return 0;
        } else {
            return omega_cli_usage("backends", "unknown option '%s'", argv[i]);
        }
    }
    struct omega_backend_status st[8];
    size_t n = omega_backend_probe_all(st, 8);
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:s?}", "name", st[i].name, "kind", st[i].kind,
                                                 "available", st[i].available, "reason",
                                                 st[i].available ? NULL : st[i].why));
        json_t *o = json_pack("{s:o}", "backends", arr);
        char *s = json_dumps(o, JSON_INDENT(2));
        printf("%s\n", s);
        free(s);
        json_decref(o);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (st[i].available)
            printf("%-5s %-8s available\n", st[i].name, st[i].kind);
        else
            printf("%-5s %-8s unavailable: %s\n", st[i].name, st[i].kind, st[i].why);
    }
    return 0;
}
