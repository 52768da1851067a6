/* libFuzzer: the allow-list file parser, then one decision with the parsed list. */
#include <stdint.h>
#include <stdlib.h>

#include "core/allowlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct omega_allowlist *al = omega_allowlist_parse((const char *)data, size, NULL);
    if (!al)
        return 0;
    struct omega_labels l;
    omega_labels_init(&l);
    struct omega_action a = {.agent = "a1", .method = "send", .target = "a2", .labels = &l, .count = 3};
    struct omega_decision d;
    (void)omega_allowlist_decide(al, &a, &d);
    omega_allowlist_free(al);
    return 0;
}
