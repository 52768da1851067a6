/* libFuzzer: a hostile agent's request ring. The input is the ring's bytes and the indices the agent
 * publishes; the runtime's side must refuse or accept, never read out of bounds or loop. */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "core/channel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct omega_chan rt;
    static uint8_t body[4096];
    static int ready;
    if (!ready) {
        if (omega_chan_create(&rt, 4096, NULL) < 0)
            return 0;
        ready = 1;
    }
    if (size < 16)
        return 0;
    uint64_t head, rsp_tail;
    memcpy(&head, data, 8);
    memcpy(&rsp_tail, data + 8, 8);
    data += 16;
    size -= 16;
    rt.req_tail = 0;
    rt.rsp_head = 0;
    memset(rt.req_ring, 0, rt.ring_bytes);
    memcpy(rt.req_ring, data, size < rt.ring_bytes ? size : rt.ring_bytes);
    atomic_store(&rt.sh->req_head, head);
    atomic_store(&rt.sh->rsp_tail, rsp_tail);
    for (int i = 0; i < 64; i++) {   /* as the serve loop does: peek, take, answer */
        struct omega_chan_frame f;
        char why[160];
        int rc = omega_chan_rt_peek(&rt, &f, why, sizeof why);
        if (rc <= 0)
            break;
        omega_chan_rt_take(&rt, &f, body);
        if (omega_chan_rt_respond(&rt, &f, "peer", body, f.body_len < 64 ? f.body_len : 64, why, sizeof why) < 0)
            break;
    }
    return 0;
}
