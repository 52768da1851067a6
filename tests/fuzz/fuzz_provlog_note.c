/* Fuzz the signed-note / checkpoint parser and the verifier key parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "attest/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t pub[32] = {1, 2, 3};
    struct omega_note_verifier v, v2;
    struct omega_checkpoint c;
    if (omega_note_verifier_init(&v, "omega.local/provlog", pub, NULL) == 0) {
        (void)omega_checkpoint_open(data, size, &v, &c, NULL);
        omega_note_verifier_fini(&v);
    }
    if (omega_note_verifier_parse(&v2, (const char *)data, size, NULL) == 0)
        omega_note_verifier_fini(&v2);
    return 0;
}
