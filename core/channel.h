/* Channels: one shared-memory duplex ring per agent (requests agent → runtime, responses
 * runtime → agent) in a memfd made before the agent's sandbox is entered. Wake-ups: a short spin,
 * then a futex (runtime → agent) or an eventfd doorbell (agent → runtime).
 *
 * The agent is hostile: it can write anything anywhere in the shared mapping at any time. So the
 * runtime keeps its own copies of the ring geometry and of its own indices, reads the agent's index
 * once per look, checks every length against what can be there, and copies a frame out of shared
 * memory before it parses it. Anything inconsistent is OMEGA_EPEER, and the runtime stops the agent. */
#ifndef OMEGA_CHANNEL_H
#define OMEGA_CHANNEL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define OMEGA_CHAN_MAGIC 0x4f4d4348u      /* "OMCH" */
#define OMEGA_CHAN_FRAME_MAGIC 0x4d534731u /* "MSG1" */
#define OMEGA_CHAN_HDR_BYTES 4096u
#define OMEGA_CHAN_RING_DEFAULT (2u << 20) /* per direction: one 1 MiB A2A payload fits with room */
#define OMEGA_CHAN_RING_MIN 4096u
#define OMEGA_CHAN_TARGET_MAX 127u         /* bytes of a target name (tool, peer, data id, host) */
#define OMEGA_CHAN_PREEMPTED_NS 30000u     /* a gap this long inside a spin means the spinner was descheduled */
#define OMEGA_CHAN_PURE_NS 4000u           /* default pure spin (no system call) before a waiter starts yielding */

/* What a frame asks for (requests) or answers (responses carry the request's op). */
enum omega_chan_op {
    OMEGA_OP_TOOL_CALL = 1,
    OMEGA_OP_READ = 2,
    OMEGA_OP_SEND = 3,
    OMEGA_OP_RECV = 4,
    OMEGA_OP_INFER = 5,
    OMEGA_OP_EGRESS = 6,
    OMEGA_OP_SENDRECV = 7,   /* send (decided as "send"), then wait for the next message: an A2A call in one request */
    OMEGA_OP_MAX = 7,
};

#define OMEGA_RECV_NOWAIT 1u  /* flags of an OMEGA_OP_RECV request: answer ENOTFOUND if the inbox is empty */

/* Frame header, 24 bytes, then `tlen` target bytes, then the payload; frames are padded to 8. */
struct omega_chan_frame {
    uint32_t magic;
    uint32_t body_len;   /* target + payload bytes */
    uint16_t op;
    uint16_t tlen;       /* target bytes (no NUL) */
    int32_t status;      /* responses: 0 or a negative OMEGA_E code */
    uint32_t flags;
    uint32_t id;         /* request id, echoed in the response */
};

/* The shared header page. Written by both sides; the runtime trusts none of it. */
struct omega_chan_shared {
    uint32_t magic, version;
    uint64_t ring_bytes;
    _Alignas(64) _Atomic uint64_t req_head;   /* agent produces */
    _Alignas(64) _Atomic uint64_t req_tail;   /* runtime consumes */
    _Alignas(64) _Atomic uint64_t rsp_head;   /* runtime produces */
    _Atomic uint32_t rsp_futex;               /* bumped after each response; the agent sleeps on it */
    _Atomic uint32_t agent_waiting;           /* agent is (about to be) asleep on rsp_futex */
    _Atomic uint32_t rt_cpu;                  /* CPU + 1 the runtime answered from last (a hint; 0: unknown) */
    _Alignas(64) _Atomic uint64_t rsp_tail;   /* agent consumes */
    _Atomic uint32_t rt_sleeping;             /* runtime is (about to be) asleep: ring the doorbell */
    _Atomic uint32_t ag_cpu;                  /* CPU + 1 the agent waits on (a hint for spinning only) */
    _Alignas(64) _Atomic uint32_t ready;      /* the sandboxed child sets 1 when it serves (futex word) */
    uint32_t pad;
    uint64_t t_step[8];                       /* start-up step times the child reports (ns, monotonic) */
};

/* One side's view of a channel. For the runtime, ring/tail/head fields are its private copies. */
struct omega_chan {
    struct omega_chan_shared *sh;   /* the mapping (owned: munmap on _fini) */
    uint8_t *req_ring, *rsp_ring;
    size_t ring_bytes;              /* private copy: never re-read from shared memory */
    size_t map_bytes;
    uint64_t req_tail;              /* runtime: private consumer index of the request ring */
    uint64_t rsp_head;              /* runtime: private producer index of the response ring */
    uint64_t ag_req_head;           /* agent: its producer index of the request ring */
    uint64_t ag_rsp_tail;           /* agent: its consumer index of the response ring */
    unsigned ag_nospin;             /* agent: waits left without spinning (it was preempted while spinning) */
    unsigned ag_backoff, ag_calm;   /* agent: the last such penalty, and spinning waits since it */
    int memfd;                      /* -1 once closed */
};

/* Create a channel in a new memfd with rings of ring_bytes (a power of two ≥ OMEGA_CHAN_RING_MIN)
 * each, mapped here (not inherited by fork). The memfd stays open for the sandbox to map. */
int omega_chan_create(struct omega_chan *c, size_t ring_bytes, struct omega_error *err) OMEGA_MUST_CHECK;
/* Map an existing channel memfd (the agent's side); takes the geometry from the caller. */
int omega_chan_attach(struct omega_chan *c, int memfd, size_t ring_bytes, struct omega_error *err) OMEGA_MUST_CHECK;
/* Unmap and close. */
void omega_chan_fini(struct omega_chan *c);
/* Bytes of the whole mapping for rings of ring_bytes. */
size_t omega_chan_map_bytes(size_t ring_bytes);
/* Largest body (target + payload) one frame can carry. */
size_t omega_chan_body_max(const struct omega_chan *c);

/* Runtime side. Peek the next request: 1 and its header in *f when a whole, valid frame is there,
 * 0 when the ring is empty, OMEGA_EPEER (with why) when the agent corrupted the ring. */
int omega_chan_rt_peek(struct omega_chan *c, struct omega_chan_frame *f, char *why, size_t whylen) OMEGA_MUST_CHECK;
/* Copy the body of the frame just peeked into body (f->body_len bytes) and consume it. */
void omega_chan_rt_take(struct omega_chan *c, const struct omega_chan_frame *f, void *body);
/* Write one response: 1 written, 0 no room yet (agent has not consumed), OMEGA_EPEER on a corrupt
 * consumer index. Target and payload may each be NULL/0. Wakes the agent if it sleeps. */
int omega_chan_rt_respond(struct omega_chan *c, const struct omega_chan_frame *f, const void *target,
                          const void *payload, size_t plen, char *why, size_t whylen) OMEGA_MUST_CHECK;
/* 1 when a request seems to be waiting (a cheap look for the spin loop; peek decides). */
int omega_chan_rt_pending(const struct omega_chan *c);

/* How the agent waits for a response, in three phases: spin on the ring without a system call for
 * pure_ns, then yield the CPU at each look until spin_ns (so a party that shares this CPU can run),
 * then sleep on the futex. pure_ns ≥ spin_ns means no yielding phase; spin_ns 0 sleeps at once.
 * Never a pure spin on the CPU the runtime last answered from (rt_cpu): it needs that CPU to answer.
 * The agent publishes its own CPU (ag_cpu) so the runtime can hand a shared CPU over in turn. */
struct omega_chan_wait {
    uint32_t pure_ns, spin_ns;
};

/* Agent side. Send one request (waits for room); OMEGA_EINVAL if it can never fit. */
int omega_chan_ag_send(struct omega_chan *c, const struct omega_chan_frame *f, const void *target,
                       const void *payload, size_t plen, int doorbell_fd) OMEGA_MUST_CHECK;
/* Wait (as w says; NULL: sleep at once) for and take the next response: header in *f, target (up to
 * tcap, NUL-terminated) and payload (up to pcap; the rest is dropped and *plen says the full size). */
int omega_chan_ag_recv(struct omega_chan *c, struct omega_chan_frame *f, char *target, size_t tcap,
                       void *payload, size_t pcap, size_t *plen, const struct omega_chan_wait *w) OMEGA_MUST_CHECK;

#endif
