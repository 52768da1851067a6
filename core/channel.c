/* Shared-memory duplex ring. See channel.h for the trust rules; in short: the runtime reads each
 * index of the agent's once, checks it against its private geometry, and copies before parsing. */
#include <errno.h>
#include <sched.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/channel.h"
#include "core/util.h"

#define FRAME_HDR ((uint64_t)sizeof(struct omega_chan_frame))

static uint64_t frame_bytes(uint64_t body) { return (FRAME_HDR + body + 7) & ~(uint64_t)7; }

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static long futex(_Atomic uint32_t *w, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, (uint32_t *)w, op, val, ts, NULL, 0);
}

size_t omega_chan_map_bytes(size_t ring_bytes) { return OMEGA_CHAN_HDR_BYTES + 2 * ring_bytes; }

size_t omega_chan_body_max(const struct omega_chan *c) { return c->ring_bytes - FRAME_HDR - 8; }

static int map_fd(struct omega_chan *c, int fd, size_t ring_bytes, struct omega_error *err)
{
    size_t n = omega_chan_map_bytes(ring_bytes);
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        OMEGA_FAIL(err, OMEGA_EIO, "channel: mmap %zu bytes: %s", n, strerror(errno));
    /* A later fork (another agent's sandbox) must not inherit this agent's ring. */
    (void)madvise(p, n, MADV_DONTFORK);
    c->sh = p;
    c->map_bytes = n;
    c->ring_bytes = ring_bytes;
    c->req_ring = (uint8_t *)p + OMEGA_CHAN_HDR_BYTES;
    c->rsp_ring = c->req_ring + ring_bytes;
    return 0;
}

int omega_chan_create(struct omega_chan *c, size_t ring_bytes, struct omega_error *err)
{
    memset(c, 0, sizeof *c);
    c->memfd = -1;
    if (ring_bytes < OMEGA_CHAN_RING_MIN || (ring_bytes & (ring_bytes - 1)) || ring_bytes > (1ull << 30))
        OMEGA_FAIL(err, OMEGA_EINVAL, "channel: ring size %zu is not a power of two in [4 KiB, 1 GiB]", ring_bytes);
    int fd = memfd_create("omega-chan", MFD_CLOEXEC);
    if (fd < 0)
        OMEGA_FAIL(err, OMEGA_EIO, "channel: memfd_create: %s", strerror(errno));
    if (ftruncate(fd, (off_t)omega_chan_map_bytes(ring_bytes)) < 0) {
        int e = errno;
        close(fd);
        OMEGA_FAIL(err, OMEGA_EIO, "channel: ftruncate: %s", strerror(e));
    }
    int rc = map_fd(c, fd, ring_bytes, err);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    c->memfd = fd;
    c->sh->magic = OMEGA_CHAN_MAGIC;
    c->sh->version = 1;
    c->sh->ring_bytes = ring_bytes;
    return 0;
}

int omega_chan_attach(struct omega_chan *c, int memfd, size_t ring_bytes, struct omega_error *err)
{
    memset(c, 0, sizeof *c);
    c->memfd = -1;
    OMEGA_TRY(map_fd(c, memfd, ring_bytes, err));
    c->ag_req_head = atomic_load_explicit(&c->sh->req_head, memory_order_relaxed);
    c->ag_rsp_tail = atomic_load_explicit(&c->sh->rsp_tail, memory_order_relaxed);
    return 0;
}

void omega_chan_fini(struct omega_chan *c)
{
    if (!c)
        return;
    if (c->sh)
        munmap(c->sh, c->map_bytes);
    if (c->memfd >= 0)
        close(c->memfd);
    c->sh = NULL;
    c->memfd = -1;
}

/* Copies across the wrap point; pos is any index, n ≤ ring. */
static void ring_read(const uint8_t *ring, size_t size, uint64_t pos, void *out, size_t n)
{
    size_t off = (size_t)(pos & (size - 1)), first = size - off < n ? size - off : n;
    memcpy(out, ring + off, first);
    if (n > first)
        memcpy((uint8_t *)out + first, ring, n - first);
}

static void ring_write(uint8_t *ring, size_t size, uint64_t pos, const void *in, size_t n)
{
    size_t off = (size_t)(pos & (size - 1)), first = size - off < n ? size - off : n;
    memcpy(ring + off, in, first);
    if (n > first)
        memcpy(ring, (const uint8_t *)in + first, n - first);
}

int omega_chan_rt_pending(const struct omega_chan *c)
{
    return atomic_load_explicit(&c->sh->req_head, memory_order_relaxed) != c->req_tail;
}

int omega_chan_rt_peek(struct omega_chan *c, struct omega_chan_frame *f, char *why, size_t whylen)
{
    uint64_t head = atomic_load_explicit(&c->sh->req_head, memory_order_acquire);
    uint64_t avail = head - c->req_tail;   /* unsigned: a head behind the tail shows as huge */
    if (avail == 0)
        return 0;
    if (avail > c->ring_bytes) {
        snprintf(why, whylen, "corrupt ring: request head %llu is %llu bytes past the tail (ring %zu)",
                 (unsigned long long)head, (unsigned long long)avail, c->ring_bytes);
        return OMEGA_EPEER;
    }
    if (avail < FRAME_HDR || (avail & 7)) {
        snprintf(why, whylen, "corrupt ring: %llu bytes published, not whole frames", (unsigned long long)avail);
        return OMEGA_EPEER;
    }
    ring_read(c->req_ring, c->ring_bytes, c->req_tail, f, sizeof *f);
    if (f->magic != OMEGA_CHAN_FRAME_MAGIC) {
        snprintf(why, whylen, "corrupt frame: bad magic 0x%08x", f->magic);
        return OMEGA_EPEER;
    }
    if (f->body_len > c->ring_bytes || frame_bytes(f->body_len) > avail) {
        snprintf(why, whylen, "corrupt frame: body of %u bytes past the %llu published", f->body_len,
                 (unsigned long long)avail);
        return OMEGA_EPEER;
    }
    if (f->op < 1 || f->op > OMEGA_OP_MAX || f->tlen > OMEGA_CHAN_TARGET_MAX || f->tlen > f->body_len) {
        snprintf(why, whylen, "corrupt frame: op %u, target length %u", f->op, f->tlen);
        return OMEGA_EPEER;
    }
    return 1;
}

void omega_chan_rt_take(struct omega_chan *c, const struct omega_chan_frame *f, void *body)
{
    ring_read(c->req_ring, c->ring_bytes, c->req_tail + FRAME_HDR, body, f->body_len);
    c->req_tail += frame_bytes(f->body_len);
    atomic_store_explicit(&c->sh->req_tail, c->req_tail, memory_order_release);
}

int omega_chan_rt_respond(struct omega_chan *c, const struct omega_chan_frame *f, const void *target,
                          const void *payload, size_t plen, char *why, size_t whylen)
{
    struct omega_chan_frame h = *f;
    size_t tlen = target ? strlen(target) : 0;
    if (tlen > OMEGA_CHAN_TARGET_MAX)
        tlen = OMEGA_CHAN_TARGET_MAX;
    h.magic = OMEGA_CHAN_FRAME_MAGIC;
    h.tlen = (uint16_t)tlen;
    h.body_len = (uint32_t)(tlen + plen);
    uint64_t need = frame_bytes(h.body_len);
    if (need > c->ring_bytes) {
        snprintf(why, whylen, "response of %zu bytes does not fit the ring", plen);
        return OMEGA_EINVAL;
    }
    uint64_t tail = atomic_load_explicit(&c->sh->rsp_tail, memory_order_acquire);
    uint64_t used = c->rsp_head - tail;
    if (used > c->ring_bytes || (tail & 7)) {
        snprintf(why, whylen, "corrupt ring: response tail %llu inconsistent with head %llu",
                 (unsigned long long)tail, (unsigned long long)c->rsp_head);
        return OMEGA_EPEER;
    }
    if (c->ring_bytes - used < need)
        return 0;
    ring_write(c->rsp_ring, c->ring_bytes, c->rsp_head, &h, sizeof h);
    if (tlen)
        ring_write(c->rsp_ring, c->ring_bytes, c->rsp_head + FRAME_HDR, target, tlen);
    if (plen)
        ring_write(c->rsp_ring, c->ring_bytes, c->rsp_head + FRAME_HDR + tlen, payload, plen);
    c->rsp_head += need;
    atomic_store_explicit(&c->sh->rsp_head, c->rsp_head, memory_order_release);
    /* Dekker with the agent's agent_waiting store: one of us sees the other. */
    atomic_thread_fence(memory_order_seq_cst);
    atomic_fetch_add_explicit(&c->sh->rsp_futex, 1, memory_order_relaxed);
    if (atomic_load_explicit(&c->sh->agent_waiting, memory_order_relaxed))
        futex(&c->sh->rsp_futex, FUTEX_WAKE, 1, NULL);
    return 1;
}

int omega_chan_ag_send(struct omega_chan *c, const struct omega_chan_frame *f, const void *target,
                       const void *payload, size_t plen, int doorbell_fd)
{
    size_t tlen = f->tlen;
    if (tlen > OMEGA_CHAN_TARGET_MAX || plen > omega_chan_body_max(c) - tlen)
        return OMEGA_EINVAL;
    uint64_t need = frame_bytes(tlen + plen);
    for (unsigned spins = 0;; spins++) {
        uint64_t tail = atomic_load_explicit(&c->sh->req_tail, memory_order_acquire);
        if (c->ring_bytes - (c->ag_req_head - tail) >= need)
            break;
        /* Only an agent that left answers unread fills its ring; the runtime drains it when it can. */
        if (spins < 64)
            cpu_relax();
        else
            sched_yield();
    }
    struct omega_chan_frame h = *f;
    h.magic = OMEGA_CHAN_FRAME_MAGIC;
    h.body_len = (uint32_t)(tlen + plen);
    ring_write(c->req_ring, c->ring_bytes, c->ag_req_head, &h, sizeof h);
    if (tlen)
        ring_write(c->req_ring, c->ring_bytes, c->ag_req_head + FRAME_HDR, target, tlen);
    if (plen)
        ring_write(c->req_ring, c->ring_bytes, c->ag_req_head + FRAME_HDR + tlen, payload, plen);
    c->ag_req_head += need;
    atomic_store_explicit(&c->sh->req_head, c->ag_req_head, memory_order_release);
    /* Dekker with the runtime's rt_sleeping store: the doorbell (a system call, and a wake-up of an
     * idle CPU) is rung only when the runtime has said it is going to sleep. */
    atomic_thread_fence(memory_order_seq_cst);
    if (doorbell_fd >= 0 && atomic_load_explicit(&c->sh->rt_sleeping, memory_order_relaxed)) {
        uint64_t one = 1;
        ssize_t w = write(doorbell_fd, &one, sizeof one);
        (void)w;
    }
    return 0;
}

static int rsp_ready(const struct omega_chan *c)
{
    return atomic_load_explicit(&c->sh->rsp_head, memory_order_acquire) != c->ag_rsp_tail;
}

/* The waiting discipline of channel.h: pure spin, then yield at each look, then the futex. */
static void ag_wait(struct omega_chan *c, const struct omega_chan_wait *w)
{
    uint64_t pure = w ? w->pure_ns : 0, spin = w ? w->spin_ns : 0;
    uint32_t cpu = (uint32_t)(sched_getcpu() + 1);   /* rseq or vDSO: no system call */
    atomic_store_explicit(&c->sh->ag_cpu, cpu, memory_order_relaxed);
    if (cpu && atomic_load_explicit(&c->sh->rt_cpu, memory_order_relaxed) == cpu)
        pure = 0;
    if (c->ag_nospin) {
        c->ag_nospin--;
        spin = 0;
    }
    if (spin) {
        uint64_t t0 = omega_now_ns(), last = t0;
        for (unsigned k = 1;; k++) {
            if (rsp_ready(c)) {
                if (c->ag_backoff && ++c->ag_calm >= 32) {   /* calm again: forget the back-off slowly */
                    c->ag_backoff /= 2;
                    c->ag_calm = 0;
                }
                return;
            }
            uint64_t t = last;
            if (t - t0 < pure) {
                cpu_relax();
                if (k & 15)   /* the clock costs ~40 ns; a pause 10 to 140 cycles, depending on the CPU */
                    continue;
                t = omega_now_ns();
            } else {
                /* Each look gives the CPU away: with fewer cores than parties (agent, runtime, peer),
                 * the party we wait for may need this one. */
                sched_yield();
                t = omega_now_ns();
            }
            if (t - last > OMEGA_CHAN_PREEMPTED_NS) {
                /* Descheduled for a long time: other work holds the cores, and spinning only delays
                 * it and the parties we wait for. Sleep at once, now and for the next waits: 2 at
                 * first (one interrupt is no trend), doubling to 64 while it keeps happening. */
                c->ag_backoff = c->ag_backoff ? (c->ag_backoff < 32 ? 2 * c->ag_backoff : 64) : 2;
                c->ag_nospin = c->ag_backoff;
                c->ag_calm = 0;
                break;
            }
            last = t;
            if (t - t0 >= spin)
                break;
        }
    }
    while (!rsp_ready(c)) {
        uint32_t v = atomic_load_explicit(&c->sh->rsp_futex, memory_order_relaxed);
        atomic_store_explicit(&c->sh->agent_waiting, 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_seq_cst);
        if (!rsp_ready(c))
            futex(&c->sh->rsp_futex, FUTEX_WAIT, v, NULL);
        atomic_store_explicit(&c->sh->agent_waiting, 0, memory_order_relaxed);
    }
}

int omega_chan_ag_recv(struct omega_chan *c, struct omega_chan_frame *f, char *target, size_t tcap,
                       void *payload, size_t pcap, size_t *plen, const struct omega_chan_wait *w)
{
    ag_wait(c, w);
    ring_read(c->rsp_ring, c->ring_bytes, c->ag_rsp_tail, f, sizeof *f);
    if (f->magic != OMEGA_CHAN_FRAME_MAGIC || f->tlen > f->body_len || f->body_len > omega_chan_body_max(c))
        return OMEGA_EFORMAT;
    size_t tl = f->tlen, pl = f->body_len - tl;
    if (target && tcap) {
        size_t n = tl < tcap - 1 ? tl : tcap - 1;
        ring_read(c->rsp_ring, c->ring_bytes, c->ag_rsp_tail + FRAME_HDR, target, n);
        target[n] = 0;
    }
    if (payload && pcap)
        ring_read(c->rsp_ring, c->ring_bytes, c->ag_rsp_tail + FRAME_HDR + tl, payload, pl < pcap ? pl : pcap);
    if (plen)
        *plen = pl;
    c->ag_rsp_tail += frame_bytes(f->body_len);
    atomic_store_explicit(&c->sh->rsp_tail, c->ag_rsp_tail, memory_order_release);
    return 0;
}
