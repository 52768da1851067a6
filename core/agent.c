/* Agent side of the channel: one synchronous request per call (agent.h). Runs inside the sandbox,
 * so it uses only the channel, memory and the clock. */
#include <linux/futex.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/agent.h"

struct omega_agent {
    struct omega_chan ch;
    char id[OMEGA_AGENT_ID_MAX];
    struct omega_chan_wait wait_runtime, wait_peer;
    uint32_t next_id;
};

const char *omega_agent_id(const struct omega_agent *ag) { return ag->id; }

struct omega_chan *omega_agent_channel(struct omega_agent *ag) { return &ag->ch; }

size_t omega_agent_max_payload(const struct omega_agent *ag)
{
    return omega_chan_body_max(&ag->ch) - OMEGA_CHAN_TARGET_MAX;
}

static int call(struct omega_agent *ag, int op, unsigned flags, const char *target, const void *in, size_t inlen,
                char *rtarget, size_t rtcap, void *out, size_t cap, size_t *outlen)
{
    size_t tlen = target ? strlen(target) : 0;
    if (tlen > OMEGA_CHAN_TARGET_MAX)
        return OMEGA_EINVAL;
    struct omega_chan_frame f = {.op = (uint16_t)op, .tlen = (uint16_t)tlen, .flags = flags, .id = ++ag->next_id};
    int rc = omega_chan_ag_send(&ag->ch, &f, target, in, inlen, OMEGA_AGENT_DOORBELL_FD);
    if (rc < 0)
        return rc;
    /* A message comes only once another agent has run: on a CPU shared with it, spinning would
     * keep it from running. Anything else the runtime answers by itself. */
    const struct omega_chan_wait *w =
        op == OMEGA_OP_RECV || op == OMEGA_OP_SENDRECV ? &ag->wait_peer : &ag->wait_runtime;
    struct omega_chan_frame r;
    size_t n = 0;
    do {
        rc = omega_chan_ag_recv(&ag->ch, &r, rtarget, rtcap, out, cap, &n, w);
        if (rc < 0)
            return rc;
    } while (r.id != f.id);   /* an answer to an earlier, abandoned call: skip it */
    if (outlen)
        *outlen = n;
    return r.status;
}

int omega_agent_call_tool(struct omega_agent *ag, const char *tool, const void *args, size_t len, void *out,
                          size_t cap, size_t *outlen)
{
    return call(ag, OMEGA_OP_TOOL_CALL, 0, tool, args, len, NULL, 0, out, cap, outlen);
}

int omega_agent_read(struct omega_agent *ag, const char *data_id, void *out, size_t cap, size_t *outlen)
{
    return call(ag, OMEGA_OP_READ, 0, data_id, NULL, 0, NULL, 0, out, cap, outlen);
}

int omega_agent_send(struct omega_agent *ag, const char *peer, const void *msg, size_t len)
{
    return call(ag, OMEGA_OP_SEND, 0, peer, msg, len, NULL, 0, NULL, 0, NULL);
}

int omega_agent_recv(struct omega_agent *ag, char *from, size_t fromcap, void *out, size_t cap, size_t *outlen,
                     unsigned flags)
{
    return call(ag, OMEGA_OP_RECV, flags, NULL, NULL, 0, from, fromcap, out, cap, outlen);
}

int omega_agent_send_recv(struct omega_agent *ag, const char *peer, const void *msg, size_t len, char *from,
                          size_t fromcap, void *out, size_t cap, size_t *outlen)
{
    return call(ag, OMEGA_OP_SENDRECV, 0, peer, msg, len, from, fromcap, out, cap, outlen);
}

int omega_agent_infer(struct omega_agent *ag, const char *model, const void *prompt, size_t len, void *out, size_t cap,
                      size_t *outlen)
{
    return call(ag, OMEGA_OP_INFER, 0, model, prompt, len, NULL, 0, out, cap, outlen);
}

int omega_agent_egress(struct omega_agent *ag, const char *host, const void *data, size_t len)
{
    return call(ag, OMEGA_OP_EGRESS, 0, host, data, len, NULL, 0, NULL, 0, NULL);
}

void omega_agent_run_child(omega_agent_main_fn fn, const char *id, struct omega_chan *ch,
                           const struct omega_chan_wait *wait_runtime, const struct omega_chan_wait *wait_peer,
                           const void *arg, size_t arglen)
{
    static struct omega_agent ag;   /* static: the child is single-threaded and has one agent */
    ag.ch = *ch;
    memcpy(ag.id, id, strnlen(id, sizeof ag.id - 1));
    ag.wait_runtime = *wait_runtime;
    ag.wait_peer = *wait_peer;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ag.ch.sh->t_step[OMEGA_STEP_READY] = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    atomic_store_explicit(&ag.ch.sh->ready, 1, memory_order_release);
    syscall(SYS_futex, (uint32_t *)&ag.ch.sh->ready, FUTEX_WAKE, 1, NULL, NULL, 0);
    int rc = fn ? fn(&ag, arg, arglen) : 0;
    syscall(SYS_exit_group, rc & 0xff);   /* not exit(): no atexit handlers, no stdio flush */
    __builtin_unreachable();
}
