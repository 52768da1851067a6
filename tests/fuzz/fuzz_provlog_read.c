/* Fuzz the provenance log reader: arbitrary bytes as a segment (or two, split at the first byte's
 * position), then everything a user command does with a view: verdict, JSON of leaves, proofs. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "attest/provlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *segs[2] = {data, NULL};
    size_t lens[2] = {size, 0}, nsegs = 1;
    if (size > 1 && (data[0] & 1)) {
        size_t cut = 1 + data[size - 1] * size / 256;
        if (cut < size) {
            lens[0] = cut;
            segs[1] = data + cut;
            lens[1] = size - cut;
            nsegs = 2;
        }
    }
    struct omega_provlog_view *v;
    if (omega_provlog_view_open_mem(&v, segs, lens, nsegs, NULL, NULL) < 0)
        return 0;
    struct omega_provlog_report r;
    omega_provlog_report_get(v, 0, &r);
    uint64_t n = omega_provlog_view_leaves(v);
    for (uint64_t i = 0; i < n && i < 64; i++) {
        json_t *j = omega_provlog_view_leaf_json(v, i);
        json_decref(j);
        uint64_t ctx[16];
        (void)omega_provlog_view_context(v, i, ctx, 16);
    }
    if (n) {
        uint8_t proof[64][32], root[32];
        size_t pn;
        if (omega_provlog_view_prove(v, n / 2, n, proof, &pn) == 0 && omega_provlog_view_root(v, n, root) == 0) {
            const uint8_t *p;
            size_t len;
            uint8_t h[32];
            if (omega_provlog_view_leaf(v, n / 2, &p, &len) == 0) {
                omega_provlog_leaf_hash(p, len, h);
                if (omega_provlog_verify_inclusion(h, n / 2, n, (const uint8_t(*)[32])proof, pn, root) != 0)
                    abort();   /* a proof from the log must verify against the log */
            }
        }
        if (omega_provlog_view_consistency(v, n / 3, n, proof, &pn) < 0)
            abort();
    }
    omega_provlog_view_free(v);
    return 0;
}
