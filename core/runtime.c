/* The runtime: serve thread, request handling, A2A routing, agent lifecycle (runtime.h). */
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/channel.h"
#include "core/log.h"
#include "core/redact.h"
#include "core/runtime.h"
#include "core/util.h"

#define COUNT_SLOTS 512
#define TAG_CONTROL UINT64_MAX
#define MAX_TOOLS 64
#define MAX_DATA 256

struct count_ent {
    uint64_t hash, n;
    uint16_t kind;
    char target[OMEGA_CHAN_TARGET_MAX + 1];
};

struct msg {
    struct msg *next;
    char from[OMEGA_AGENT_ID_MAX];
    struct omega_labels labels;
    size_t len;
    uint8_t data[];
};

struct agent {
    char id[OMEGA_AGENT_ID_MAX];
    int idx;
    int deferred;                   /* a handler answers its current request later */
    struct omega_chan_frame deferred_f;
    int deferred_redacting;         /* the deferred result is masked when it comes */
    uint32_t deferred_nredact;      /* the deferred result's fields to mask (owned copies: a decider's */
    char *deferred_redact[OMEGA_DECISION_MAX_REDACT];   /* strings may not outlive the decision) */
    pid_t pid;
    int pidfd, doorbell;
    struct omega_chan ch;
    _Atomic int state;
    int stopping;                   /* serve thread: killed, waiting to reap */
    struct omega_agent_status st;   /* guarded by rt->lock once published */
    struct omega_labels labels;     /* the join of everything it has read */
    uint8_t *body;                  /* private copy of the request being served */
    struct omega_buf out;
    int has_pending;                /* a response waits for room in the agent's ring, or for its record */
    uint64_t gate_seq;              /* seq + 1 of the record the current answer waits on; 0: none */
    struct omega_chan_frame pend_f;
    char pend_target[OMEGA_AGENT_ID_MAX];
    struct omega_buf pend;
    int recv_waiting;
    struct omega_chan_frame recv_f;
    struct msg *inbox, *inbox_tail;
    size_t inbox_bytes, inbox_n;
    struct count_ent *counts;
    double tokens;
    uint64_t last_ns;
    _Atomic uint64_t requests, allowed, denied, refused;
    uint64_t bells;                 /* doorbell rings seen: an honest agent rings at most once per request */
};

struct tool {
    char name[OMEGA_CHAN_TARGET_MAX + 1];
    omega_handler_fn fn;
    void *ctx;
    int raw;   /* the handler reads the request's bytes only, never rq->args */
};

struct data_item {
    char id[OMEGA_CHAN_TARGET_MAX + 1];
    uint8_t *bytes;
    size_t len;
    struct omega_labels labels;
};

/* An answer handed over by omega_runtime_complete, waiting for the serve thread. */
struct completion {
    uint64_t ticket;
    int status, has_labels;
    struct omega_labels labels;
    struct completion *next;
    size_t n;
    uint8_t bytes[];
};

struct omega_runtime {
    struct omega_runtime_config cfg;
    struct omega_monitor *mon;
    pthread_mutex_t done_mu;
    struct completion *done_head, **done_tail;
    struct omega_zygote *zy;
    struct agent **agents;
    _Atomic int nagents;
    _Atomic int *byid;   /* open addressing: idx + 1, 0 empty */
    size_t byid_cap;
    int epfd, ctlfd;
    pthread_t thread;
    int thread_started;
    _Atomic int quit;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct tool tools[MAX_TOOLS];
    size_t ntools;
    struct data_item data[MAX_DATA];
    size_t ndata;
    omega_handler_fn infer_fn, egress_fn;
    void *infer_ctx, *egress_ctx;
    omega_trace_fn trace;
    void *trace_ctx;
    omega_event_fn event;
    void *event_ctx;
    omega_approve_fn approve;
    void *approve_ctx;
    char approver[48];              /* "approver:<name>", the policy an approval record names */
    struct omega_buf redacted;      /* serve thread: an outgoing payload after masking */
    _Atomic uint64_t served;
    uint64_t egress_bytes;
    uint32_t cpu;                   /* serve thread: CPU + 1 it ran on at the start of this round */
    int handoff;                    /* serve thread: it answered an agent that waits on its CPU: yield once */
    int pinned;                     /* cfg.pin took effect: rt_cpus holds one CPU, agent_cpus the others */
    cpu_set_t rt_cpus, agent_cpus;
    uint64_t pure_ns;               /* the serve loop's pure spin after work, before it yields at each look */
    struct omega_chan_wait wait_runtime, wait_peer;   /* what each agent is told at spawn */
};

static int pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
static int pidfd_kill(int fd, int sig) { return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0); }

static int echo_tool(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    (void)ctx;
    return omega_buf_append(rp->out, rq->payload, rq->len);
}

static int discard_egress(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    struct omega_runtime *rt = ctx;
    (void)rp;
    rt->egress_bytes += rq->len;
    return 0;
}

/* ---- reporting ---------------------------------------------------------------------------- */

static void publish_status(struct omega_runtime *rt, struct agent *a)
{
    pthread_mutex_lock(&rt->lock);
    a->st.requests = atomic_load(&a->requests);
    a->st.allowed = atomic_load(&a->allowed);
    a->st.denied = atomic_load(&a->denied);
    a->st.refused = atomic_load(&a->refused);
    pthread_cond_broadcast(&rt->cond);
    pthread_mutex_unlock(&rt->lock);
}

/* Stop a misbehaving agent: kill it now, keep the reason; it is reaped when its pidfd fires. */
static void stop_agent(struct omega_runtime *rt, struct agent *a, const char *why)
{
    if (a->stopping)
        return;
    a->stopping = 1;
    pthread_mutex_lock(&rt->lock);
    if (!a->st.reason[0]) {
        snprintf(a->st.reason, sizeof a->st.reason, "%s", why);
        a->st.violation = 1;
    }
    pthread_mutex_unlock(&rt->lock);
    omega_log(OMEGA_LOG_WARN, "agent %s stopped: %s", a->id, why);
    pidfd_kill(a->pidfd, SIGKILL);
}

static void describe_exit(struct agent *a, const siginfo_t *si)
{
    char *r = a->st.reason;
    size_t rl = sizeof a->st.reason;
    if (si->si_code == CLD_EXITED) {
        a->st.exit_code = si->si_status;
        if (r[0])
            return;
        if (si->si_status >= 119 && si->si_status <= 127) {
            snprintf(r, rl, "sandbox set-up failed (exit %d)", si->si_status);
            a->st.violation = 0;
        } else {
            snprintf(r, rl, "exited with status %d", si->si_status);
        }
        return;
    }
    a->st.signal = si->si_status;
    if (r[0])
        return;
    a->st.violation = 1;
    switch (si->si_status) {
    case SIGSYS: snprintf(r, rl, "sandbox violation: forbidden system call (seccomp, SIGSYS)"); break;
    case SIGSEGV: snprintf(r, rl, "memory fault: access outside its address space (SIGSEGV)"); break;
    case SIGBUS: snprintf(r, rl, "memory fault (SIGBUS)"); break;
    case SIGXCPU: snprintf(r, rl, "CPU time limit exceeded (SIGXCPU)"); break;
    case SIGKILL: snprintf(r, rl, "killed (SIGKILL) from outside the runtime"); break;
    case SIGABRT: snprintf(r, rl, "aborted (SIGABRT), e.g. out of memory under its limit"); break;
    default: snprintf(r, rl, "killed by signal %d (%s)", si->si_status, strsignal(si->si_status)); break;
    }
}

static void free_inbox(struct agent *a)
{
    for (struct msg *m = a->inbox, *n; m; m = n) {
        n = m->next;
        free(m);
    }
    a->inbox = a->inbox_tail = NULL;
    a->inbox_bytes = a->inbox_n = 0;
}

static void drop_deferred_redact(struct agent *a)
{
    for (uint32_t i = 0; i < a->deferred_nredact; i++)
        free(a->deferred_redact[i]);
    a->deferred_nredact = 0;
    a->deferred_redacting = 0;
}

/* The agent's process is gone (or about to be reaped): final status, resources back. */
static void reap(struct omega_runtime *rt, struct agent *a, int block)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)a->pid, &si, WEXITED | (block ? 0 : WNOHANG)) < 0 || si.si_pid == 0)
        return;
    pthread_mutex_lock(&rt->lock);
    describe_exit(a, &si);
    a->st.state = OMEGA_AGENT_STOPPED;
    pthread_mutex_unlock(&rt->lock);
    atomic_store(&a->state, OMEGA_AGENT_STOPPED);
    epoll_ctl(rt->epfd, EPOLL_CTL_DEL, a->pidfd, NULL);
    epoll_ctl(rt->epfd, EPOLL_CTL_DEL, a->doorbell, NULL);
    close(a->doorbell);   /* the pidfd stays open until the runtime ends: stop() may still use it */
    a->doorbell = -1;
    free_inbox(a);
    drop_deferred_redact(a);
    /* Only the serve thread touches these, and never for a stopped agent: give the memory back now. */
    omega_chan_fini(&a->ch);
    free(a->body);
    free(a->counts);
    a->body = NULL;
    a->counts = NULL;
    omega_buf_fini(&a->out);
    omega_buf_fini(&a->pend);
    if (a->st.violation)
        omega_log(OMEGA_LOG_INFO, "agent %s (pid %d): %s", a->id, (int)a->pid, a->st.reason);
    publish_status(rt, a);
    if (rt->event) {
        struct omega_agent_status st;
        pthread_mutex_lock(&rt->lock);
        st = a->st;
        pthread_mutex_unlock(&rt->lock);
        rt->event(rt->event_ctx, &st);
    }
}

/* ---- request handling ---------------------------------------------------------------------- */

static uint64_t *count_slot(struct agent *a, uint16_t kind, const char *target)
{
    if (!a->counts && !(a->counts = calloc(COUNT_SLOTS, sizeof *a->counts)))
        return NULL;
    size_t tl = strlen(target);
    uint64_t h = omega_fnv64(omega_fnv64(OMEGA_FNV64_BASIS, &kind, sizeof kind), target, tl) | 1;
    for (size_t i = 0; i < COUNT_SLOTS; i++) {
        struct count_ent *e = &a->counts[(h + i) & (COUNT_SLOTS - 1)];
        if (e->hash == 0) {
            e->hash = h;
            e->kind = kind;
            memcpy(e->target, target, tl + 1);
            return &e->n;
        }
        if (e->hash == h && e->kind == kind && strcmp(e->target, target) == 0)
            return &e->n;
    }
    return NULL;
}

static struct agent *find_agent(struct omega_runtime *rt, const char *id)
{
    uint64_t h = omega_fnv64(OMEGA_FNV64_BASIS, id, strlen(id));
    for (size_t i = 0; i < rt->byid_cap; i++) {
        int v = atomic_load_explicit(&rt->byid[(h + i) & (rt->byid_cap - 1)], memory_order_acquire);
        if (v == 0)
            return NULL;
        if (strcmp(rt->agents[v - 1]->id, id) == 0)
            return rt->agents[v - 1];
    }
    return NULL;
}

/* 1 while the answer being given to a still waits for its provenance record to be durable. */
static int gated(struct omega_runtime *rt, struct agent *a)
{
    if (!a->gate_seq)
        return 0;
    if (!rt->mon->durable || rt->mon->durable(rt->mon->durable_ctx, a->gate_seq - 1)) {
        a->gate_seq = 0;
        return 0;
    }
    return 1;
}

/* An answer is in a's ring. Tell it where the runtime runs, and if it waits on this very CPU, let
 * the serve loop hand the CPU over instead of spinning on it (both are hints, never trusted). */
static void answered(struct omega_runtime *rt, struct agent *a)
{
    atomic_store_explicit(&a->ch.sh->rt_cpu, rt->cpu, memory_order_relaxed);
    /* Pinned, no agent can be on this CPU: spare the look at a line the agent wrote last. */
    if (!rt->pinned && rt->cpu && atomic_load_explicit(&a->ch.sh->ag_cpu, memory_order_relaxed) == rt->cpu)
        rt->handoff = 1;
}

/* Answer a's current request; keeps it pending when the agent's ring has no room yet, or when the
 * decision's record is not durable yet. */
static void respond(struct omega_runtime *rt, struct agent *a, const struct omega_chan_frame *req, int status,
                    const char *target, const void *p, size_t n)
{
    struct omega_chan_frame f = *req;
    f.status = status;
    char why[160];
    int rc = gated(rt, a) ? 0 : omega_chan_rt_respond(&a->ch, &f, target, p, n, why, sizeof why);
    if (rc == OMEGA_EINVAL) {   /* a result larger than the agent's ring: say so instead */
        f.status = OMEGA_EQUOTA;
        p = NULL;
        n = 0;
        rc = omega_chan_rt_respond(&a->ch, &f, target, NULL, 0, why, sizeof why);
    }
    if (rc == 1) {
        answered(rt, a);
        return;
    }
    if (rc < 0) {
        stop_agent(rt, a, why);
        return;
    }
    a->pend_f = f;
    snprintf(a->pend_target, sizeof a->pend_target, "%s", target ? target : "");
    a->pend.len = 0;
    if (omega_buf_append(&a->pend, p, n) < 0) {
        stop_agent(rt, a, "runtime out of memory for a pending response");
        return;
    }
    a->has_pending = 1;
}

static int flush_pending(struct omega_runtime *rt, struct agent *a)
{
    if (gated(rt, a))
        return 0;
    char why[160];
    int rc = omega_chan_rt_respond(&a->ch, &a->pend_f, a->pend_target[0] ? a->pend_target : NULL, a->pend.data,
                                   a->pend.len, why, sizeof why);
    if (rc < 0)
        stop_agent(rt, a, why);
    if (rc != 0)
        a->has_pending = 0;
    if (rc == 1)
        answered(rt, a);
    return rc == 1;
}

/* Hand msg to b: straight into its ring when it waits in recv, else into its inbox. */
static int deliver(struct omega_runtime *rt, struct agent *from, struct agent *b, const void *p, size_t n)
{
    if (n + OMEGA_AGENT_ID_MAX + sizeof(struct omega_chan_frame) + 8 > b->ch.ring_bytes)
        return OMEGA_EQUOTA;   /* could never be handed over through the receiver's ring */
    if (b->recv_waiting && !b->has_pending) {
        if (omega_labels_join(&b->labels, &from->labels) < 0)
            return OMEGA_EQUOTA;
        b->recv_waiting = 0;
        respond(rt, b, &b->recv_f, 0, from->id, p, n);
        return 0;
    }
    if (b->inbox_n >= rt->cfg.inbox_msgs || n > rt->cfg.inbox_bytes - b->inbox_bytes)
        return OMEGA_EQUOTA;
    struct msg *m = malloc(sizeof *m + n);
    if (!m)
        return OMEGA_ENOMEM;
    m->next = NULL;
    memcpy(m->from, from->id, sizeof m->from);
    m->labels = from->labels;
    m->len = n;
    memcpy(m->data, p, n);
    if (b->inbox_tail)
        b->inbox_tail->next = m;
    else
        b->inbox = m;
    b->inbox_tail = m;
    b->inbox_n++;
    b->inbox_bytes += n;
    return 0;
}

static void serve_recv(struct omega_runtime *rt, struct agent *a, const struct omega_chan_frame *f)
{
    struct msg *m = a->inbox;
    if (!m) {
        if (f->flags & OMEGA_RECV_NOWAIT) {
            respond(rt, a, f, OMEGA_ENOTFOUND, NULL, NULL, 0);
        } else {
            a->recv_waiting = 1;
            a->recv_f = *f;
        }
        return;
    }
    a->inbox = m->next;
    if (!a->inbox)
        a->inbox_tail = NULL;
    a->inbox_n--;
    a->inbox_bytes -= m->len;
    int st = omega_labels_join(&a->labels, &m->labels) < 0 ? OMEGA_EQUOTA : 0;
    respond(rt, a, f, st, m->from, st ? NULL : m->data, st ? 0 : m->len);
    free(m);
}

static int rate_ok(struct omega_runtime *rt, struct agent *a, uint64_t now)
{
    if (!rt->cfg.rate_per_s)
        return 1;
    double burst = rt->cfg.rate_burst ? rt->cfg.rate_burst : rt->cfg.rate_per_s;
    if (a->last_ns == 0)
        a->tokens = burst;
    else
        a->tokens += (double)(now - a->last_ns) * 1e-9 * rt->cfg.rate_per_s;
    if (a->tokens > burst)
        a->tokens = burst;
    a->last_ns = now;
    if (a->tokens < 1.0)
        return 0;
    a->tokens -= 1.0;
    return 1;
}

static const struct tool *find_tool(const struct omega_runtime *rt, const char *name)
{
    for (size_t i = 0; i < rt->ntools; i++)
        if (strcmp(rt->tools[i].name, name) == 0)
            return &rt->tools[i];
    return NULL;
}

/* Whether anyone can read a tools/call's parsed arguments: the decider, unless it said it never does
 * (the allow-list), or the tool's handler, unless it reads bytes only (the built-in echo). Parsing
 * costs more than all the rest of a small request's path (about 2.5 us for 64 bytes with jansson),
 * so it is done only for a reader. */
static int args_readable(const struct omega_runtime *rt, const struct tool *tool)
{
    return !rt->mon->ignores_args || (tool && !tool->raw);
}

static const enum omega_action_kind op_kind[] = {
    [OMEGA_OP_TOOL_CALL] = OMEGA_ACT_TOOL_CALL, [OMEGA_OP_READ] = OMEGA_ACT_READ, [OMEGA_OP_SEND] = OMEGA_ACT_SEND,
    [OMEGA_OP_INFER] = OMEGA_ACT_INFER, [OMEGA_OP_EGRESS] = OMEGA_ACT_EGRESS, [OMEGA_OP_SENDRECV] = OMEGA_ACT_SEND,
};

/* Mask fields in the n bytes at p into out (redact decisions). An empty payload holds nothing to
 * mask; anything that cannot be masked is refused with a line saying why (fail closed). */
static int redact_into(const struct agent *a, const char *what, const char *const *fields, uint32_t nfields,
                       const void *p, size_t n, struct omega_buf *out)
{
    out->len = 0;
    if (n == 0)
        return 0;
    for (uint32_t i = 0; i < nfields; i++)
        if (!fields[i]) {
            omega_log(OMEGA_LOG_WARN, "agent %s: %s refused: out of memory for the fields to redact", a->id, what);
            return OMEGA_EDENIED;
        }
    struct omega_error err = {0};
    if (omega_redact_json(p, n, fields, nfields, out, &err) >= 0)
        return 0;
    omega_log(OMEGA_LOG_WARN, "agent %s: %s refused: cannot redact: %s", a->id, what, err.msg);
    return OMEGA_EDENIED;
}

/* A recorded ask goes to the approver; its answer is recorded right after the ask (same request
 * digest, the approver as the policy) before anything happens. 0 approved, else OMEGA_EDENIED. */
static int ask(struct omega_runtime *rt, struct agent *a, const struct omega_action *act,
               const struct omega_decision *d, const uint8_t dig[32])
{
    if (!rt->approve)
        return OMEGA_EDENIED;
    int ok = rt->approve(rt->approve_ctx, act, d);
    if (ok < 0)
        omega_log(OMEGA_LOG_WARN, "agent %s: %s %s: %s failed (%s): denied", a->id, act->method, act->target,
                  rt->approver, omega_error_name(ok));
    struct omega_decision out = {.verdict = ok == 1 ? OMEGA_ALLOW : OMEGA_DENY, .npolicies = 1,
                                 .policies = {rt->approver}};
    if (rt->mon->record) {
        uint64_t seq;
        if (omega_monitor_record(rt->mon, act, &out, dig, &seq) < 0)
            return OMEGA_EDENIED;   /* an approval nobody can audit is no approval */
        a->gate_seq = seq + 1;
    }
    if (ok == 1 && omega_monitor_count(rt->mon, act) < 0)
        omega_log(OMEGA_LOG_WARN, "agent %s: approved %s %s not counted in the decider's rate windows", a->id,
                  act->method, act->target);
    return ok == 1 ? 0 : OMEGA_EDENIED;
}

static void handle(struct omega_runtime *rt, struct agent *a, const struct omega_chan_frame *f)
{
    atomic_fetch_add_explicit(&a->requests, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&rt->served, 1, memory_order_relaxed);
    uint64_t now = omega_now_ns();
    if (!rate_ok(rt, a, now)) {
        uint64_t r = atomic_fetch_add_explicit(&a->refused, 1, memory_order_relaxed) + 1;
        if (r == 1)
            omega_log(OMEGA_LOG_WARN, "agent %s: request flood, refusing requests over %u/s", a->id,
                      rt->cfg.rate_per_s);
        if (r >= rt->cfg.flood_kill) {
            char why[128];
            snprintf(why, sizeof why, "flood: %llu requests over the rate limit of %u/s refused",
                     (unsigned long long)r, rt->cfg.rate_per_s);
            stop_agent(rt, a, why);
            return;
        }
        respond(rt, a, f, OMEGA_EQUOTA, NULL, NULL, 0);
        return;
    }
    char target[OMEGA_CHAN_TARGET_MAX + 1];
    memcpy(target, a->body, f->tlen);
    target[f->tlen] = 0;
    const uint8_t *payload = a->body + f->tlen;
    size_t plen = f->body_len - f->tlen;
    if (f->op == OMEGA_OP_RECV) {
        serve_recv(rt, a, f);
        return;
    }
    if (strlen(target) != f->tlen || f->tlen == 0) {
        respond(rt, a, f, OMEGA_EINVAL, NULL, NULL, 0);
        return;
    }
    enum omega_action_kind kind = op_kind[f->op];
    const struct tool *tool = kind == OMEGA_ACT_TOOL_CALL ? find_tool(rt, target) : NULL;
    json_t *args = NULL;
    if (kind == OMEGA_ACT_TOOL_CALL && !rt->cfg.no_args_json && plen && payload[0] == '{' &&
        args_readable(rt, tool))
        args = json_loadb((const char *)payload, plen, 0, NULL);
    uint64_t *cnt = count_slot(a, (uint16_t)kind, target);
    struct omega_action act = {
        .kind = kind, .agent = a->id, .method = omega_action_kind_name(kind), .target = target, .args = args,
        .labels = &a->labels, .count = cnt ? *cnt : UINT64_MAX, .now_ns = now,
    };
    struct omega_decision d;
    int rc = omega_monitor_decide(rt->mon, &act, &d);
    int status = 0;
    /* Only allow reaches here without a second look. redact goes on, masked below; ask goes to the
     * approver once it is recorded; anything else, a decider error or no count slot refuses. */
    if (rc < 0 || d.verdict != OMEGA_ALLOW || !cnt)
        status = rc == 0 && cnt && d.verdict == OMEGA_REDACT ? 0 : OMEGA_EDENIED;
    uint8_t dig[32];
    int recorded = 1;
    if (rt->mon->record) {
        uint64_t seq;
        omega_monitor_io_digest(a->id, act.method, target, payload, plen, dig);
        if (omega_monitor_record(rt->mon, &act, &d, dig, &seq) < 0) {
            status = OMEGA_EDENIED;   /* what cannot be recorded is not done */
            recorded = 0;
        } else {
            a->gate_seq = seq + 1;
        }
    }
    int redact_out = 0, redact_result = 0;
    if (d.verdict != OMEGA_ALLOW) {   /* allow, the hot path, pays this one test and no more */
        if (d.verdict == OMEGA_ASK && rc == 0 && cnt && recorded)
            status = ask(rt, a, &act, &d, dig);
        /* redact: what the agent sends is masked before it leaves, what it asks for before it arrives. */
        redact_out = d.verdict == OMEGA_REDACT && (kind == OMEGA_ACT_SEND || kind == OMEGA_ACT_EGRESS);
        redact_result = d.verdict == OMEGA_REDACT && !redact_out;
    }
    struct omega_reply rp = {.out = &a->out};
    omega_labels_init(&rp.labels);
    a->out.len = 0;
    if (status == 0) {
        ++*cnt;
        if (redact_out) {
            status = redact_into(a, act.method, d.redact, d.nredact, payload, plen, &rt->redacted);
            payload = rt->redacted.data;
            plen = rt->redacted.len;
        }
    }
    if (status == 0) {
        struct omega_request rq = {.agent = a->id, .kind = kind, .target = target, .payload = payload, .len = plen,
                                   .args = args, .ticket = (uint64_t)a->idx << 32 | f->id, .labels = &a->labels};
        switch (kind) {
        case OMEGA_ACT_TOOL_CALL:
            status = tool ? tool->fn(tool->ctx, &rq, &rp) : OMEGA_ENOTFOUND;
            break;
        case OMEGA_ACT_READ: {
            status = OMEGA_ENOTFOUND;
            for (size_t i = 0; i < rt->ndata; i++)
                if (strcmp(rt->data[i].id, target) == 0) {
                    status = omega_buf_append(&a->out, rt->data[i].bytes, rt->data[i].len);
                    rp.labels = rt->data[i].labels;
                    break;
                }
            break;
        }
        case OMEGA_ACT_SEND: {
            struct agent *b = find_agent(rt, target);
            if (!b || atomic_load(&b->state) != OMEGA_AGENT_RUNNING || b->stopping)
                status = OMEGA_ENOTFOUND;
            else
                status = deliver(rt, a, b, payload, plen);
            break;
        }
        case OMEGA_ACT_INFER:
            status = rt->infer_fn ? rt->infer_fn(rt->infer_ctx, &rq, &rp) : OMEGA_EUNAVAIL;
            break;
        case OMEGA_ACT_EGRESS:
            status = rt->egress_fn(rt->egress_ctx, &rq, &rp);
            break;
        default:
            status = OMEGA_EINVAL;
        }
        if (status == 0 && redact_result)
            status = redact_into(a, act.method, d.redact, d.nredact, a->out.data, a->out.len, &a->out);
        if (status == 0 && omega_labels_join(&a->labels, &rp.labels) < 0)
            status = OMEGA_EQUOTA;   /* a result whose labels cannot be tracked is not handed over */
        if (status == OMEGA_RT_DEFERRED) {
            a->deferred = 1;       /* answered by omega_runtime_complete; the agent waits */
            a->deferred_f = *f;
            if (redact_result) {   /* masked when it comes (a copy that fails is refused then) */
                a->deferred_redacting = 1;
                for (uint32_t i = 0; i < d.nredact; i++)
                    a->deferred_redact[i] = strdup(d.redact[i]);
                a->deferred_nredact = d.nredact;
            }
            atomic_fetch_add_explicit(&a->allowed, 1, memory_order_relaxed);
            if (rt->trace)
                rt->trace(rt->trace_ctx, &act, &d, 0);
            json_decref(args);
            return;
        }
        if (status > 0)
            status = OMEGA_EIO;
    }
    atomic_fetch_add_explicit(status == OMEGA_EDENIED ? &a->denied : &a->allowed, 1, memory_order_relaxed);
    if (rt->trace)
        rt->trace(rt->trace_ctx, &act, &d, status);
    json_decref(args);
    if (f->op == OMEGA_OP_SENDRECV && status == 0 && !a->stopping) {
        serve_recv(rt, a, f);   /* delivered: the answer is the next message for this agent */
        return;
    }
    respond(rt, a, f, status, NULL, status == 0 ? a->out.data : NULL, status == 0 ? a->out.len : 0);
}

/* Serve up to a few requests of one agent; returns how many. */
static int service(struct omega_runtime *rt, struct agent *a)
{
    if (a->stopping)
        return 0;
    if (a->has_pending && !flush_pending(rt, a))
        return 0;
    int done = 0;
    if (a->recv_waiting && a->inbox) {   /* a message queued while its answer could not be written */
        a->recv_waiting = 0;
        serve_recv(rt, a, &a->recv_f);
        done++;
    }
    while (done < 8 && !a->recv_waiting && !a->has_pending && !a->deferred && !a->stopping) {
        struct omega_chan_frame f;
        char why[160];
        int rc = omega_chan_rt_peek(&a->ch, &f, why, sizeof why);
        if (rc == 0)
            break;
        if (rc < 0) {
            stop_agent(rt, a, why);
            break;
        }
        omega_chan_rt_take(&a->ch, &f, a->body);
        handle(rt, a, &f);
        done++;
    }
    return done;
}

/* ---- serve thread ----------------------------------------------------------------------------- */

static void poll_events(struct omega_runtime *rt, int timeout_ms)
{
    struct epoll_event ev[64];
    int n = epoll_wait(rt->epfd, ev, 64, timeout_ms);
    for (int i = 0; i < n; i++) {
        uint64_t tag = ev[i].data.u64;
        if (tag == TAG_CONTROL) {
            uint64_t v;
            ssize_t r = read(rt->ctlfd, &v, sizeof v);
            (void)r;
            continue;
        }
        struct agent *a = rt->agents[tag >> 1];
        if (tag & 1) {
            reap(rt, a, 0);
        } else if (a->doorbell >= 0) {
            uint64_t v = 0;
            ssize_t r = read(a->doorbell, &v, sizeof v);
            if (r == (ssize_t)sizeof v)
                a->bells += v;
            /* An honest agent rings at most once per request, and only while the runtime sleeps. */
            uint64_t reqs = atomic_load_explicit(&a->requests, memory_order_relaxed);
            if (a->bells > reqs + 4096) {
                char why[128];
                snprintf(why, sizeof why, "flood: doorbell rung %llu times for %llu requests",
                         (unsigned long long)a->bells, (unsigned long long)reqs);
                stop_agent(rt, a, why);
            }
        }
    }
}

/* Hand the answers of deferred requests to their agents (serve thread). */
static int drain_completions(struct omega_runtime *rt)
{
    pthread_mutex_lock(&rt->done_mu);
    struct completion *c = rt->done_head;
    __atomic_store_n(&rt->done_head, NULL, __ATOMIC_RELAXED);
    rt->done_tail = &rt->done_head;
    pthread_mutex_unlock(&rt->done_mu);
    int n = 0;
    while (c) {
        struct completion *next = c->next;
        int idx = (int)(c->ticket >> 32);
        struct agent *a = idx < atomic_load_explicit(&rt->nagents, memory_order_acquire) ? rt->agents[idx] : NULL;
        if (a && a->deferred && a->deferred_f.id == (uint32_t)c->ticket && !a->stopping &&
            atomic_load_explicit(&a->state, memory_order_relaxed) == OMEGA_AGENT_RUNNING) {
            int status = c->status > 0 ? OMEGA_EIO : c->status;
            const uint8_t *p = c->bytes;
            size_t pn = c->n;
            if (status == 0 && a->deferred_redacting) {
                status = redact_into(a, "deferred result", (const char *const *)a->deferred_redact,
                                     a->deferred_nredact, c->bytes, c->n, &rt->redacted);
                p = rt->redacted.data;
                pn = rt->redacted.len;
            }
            drop_deferred_redact(a);
            if (status == 0 && c->has_labels && omega_labels_join(&a->labels, &c->labels) < 0)
                status = OMEGA_EQUOTA;
            a->deferred = 0;
            respond(rt, a, &a->deferred_f, status, NULL, status == 0 ? p : NULL, status == 0 ? pn : 0);
            n++;
        }
        free(c);
        c = next;
    }
    return n;
}

int omega_runtime_complete(struct omega_runtime *rt, uint64_t ticket, int status, const void *p, size_t n,
                           const struct omega_labels *labels)
{
    struct completion *c = malloc(sizeof *c + n);
    if (!c)
        return OMEGA_ENOMEM;
    c->ticket = ticket;
    c->status = status;
    c->has_labels = labels != NULL;
    if (labels)
        c->labels = *labels;
    c->n = n;
    if (n)
        memcpy(c->bytes, p, n);
    c->next = NULL;
    pthread_mutex_lock(&rt->done_mu);
    __atomic_store_n(rt->done_tail, c, __ATOMIC_RELAXED);   /* the serve loop peeks at done_head unlocked */
    rt->done_tail = &c->next;
    pthread_mutex_unlock(&rt->done_mu);
    uint64_t one = 1;
    ssize_t w = write(rt->ctlfd, &one, sizeof one);   /* the serve thread may sleep */
    (void)w;
    return 0;
}

static void *serve(void *arg)
{
    struct omega_runtime *rt = arg;
    if (rt->pinned)
        (void)pthread_setaffinity_np(pthread_self(), sizeof rt->rt_cpus, &rt->rt_cpus);
    uint64_t spin_ns = (uint64_t)rt->cfg.spin_us * 1000, last = omega_now_ns(), prev = 0, nospin_until = 0;
    uint64_t nospin_ns = 0, last_gap = 0;
    uint64_t polled = last;
    while (!atomic_load_explicit(&rt->quit, memory_order_relaxed)) {
        int n = atomic_load_explicit(&rt->nagents, memory_order_acquire), work = 0, pending = 0;
        rt->cpu = (uint32_t)(sched_getcpu() + 1);   /* rseq or vDSO: no system call */
        if (__atomic_load_n(&rt->done_head, __ATOMIC_RELAXED))   /* a peek; drain_completions takes the lock */
            work += drain_completions(rt);
        for (int i = 0; i < n; i++) {
            struct agent *a = rt->agents[i];
            if (atomic_load_explicit(&a->state, memory_order_relaxed) != OMEGA_AGENT_RUNNING)
                continue;
            work += service(rt, a);
            pending |= a->has_pending;
        }
        uint64_t now = omega_now_ns();
        if (rt->handoff) {
            rt->handoff = 0;
            sched_yield();   /* an agent we just answered waits on this CPU: let it run now */
        }
        if (now - polled > 100000) {   /* deaths and control, even while busy; by time, not by rounds */
            poll_events(rt, 0);
            polled = now;
        }
        if (work) {
            last = now;
            prev = 0;
            continue;
        }
        if (prev && now - prev > OMEGA_CHAN_PREEMPTED_NS) {
            /* Descheduled while idle-spinning: other work wants this CPU, so sleep between requests
             * for a while: 1 ms at first (one interrupt is no trend), doubling to 20 ms while it
             * keeps happening. */
            if (!nospin_ns || now - last_gap > 100000000ull)
                nospin_ns = 1000000ull;
            else
                nospin_ns = nospin_ns < 10000000ull ? 2 * nospin_ns : 20000000ull;
            nospin_until = now + nospin_ns;
            last_gap = now;
        }
        prev = now;
        if (now - last < spin_ns && now >= nospin_until) {
            if (now - last < rt->pure_ns) {
#if defined(__x86_64__)
                __builtin_ia32_pause();
#endif
            } else {
                sched_yield();   /* see omega_chan_ag_recv: never hog a core another party needs */
            }
            continue;
        }
        /* Going to sleep: ask every agent to ring, then look once more (Dekker with omega_chan_ag_send). */
        for (int i = 0; i < n; i++)
            if (atomic_load_explicit(&rt->agents[i]->state, memory_order_relaxed) == OMEGA_AGENT_RUNNING)
                atomic_store_explicit(&rt->agents[i]->ch.sh->rt_sleeping, 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_seq_cst);
        int busy = 0;
        for (int i = 0; i < n && !busy; i++) {
            struct agent *a = rt->agents[i];
            busy = atomic_load_explicit(&a->state, memory_order_relaxed) == OMEGA_AGENT_RUNNING && !a->stopping &&
                   !a->recv_waiting && omega_chan_rt_pending(&a->ch);
        }
        if (!busy)
            poll_events(rt, pending ? 1 : 200);
        prev = 0;
        for (int i = 0; i < n; i++)
            if (atomic_load_explicit(&rt->agents[i]->state, memory_order_relaxed) == OMEGA_AGENT_RUNNING)
                atomic_store_explicit(&rt->agents[i]->ch.sh->rt_sleeping, 0, memory_order_relaxed);
        last = omega_now_ns();
    }
    return NULL;
}

/* ---- public ------------------------------------------------------------------------------------ */

/* Who may spin where. A waiter that spins without system calls (pure) answers in a fraction of a
 * microsecond, but only while it does not sit on a CPU that the party it waits for needs; yielding
 * at each look is safe on a shared CPU but costs a system call per look (and a context switch, about
 * 2 us on this kind of virtual machine, when it hands the CPU over). So: the serve thread spins
 * purely whenever there is more than one CPU, and yields once right after it answers an agent that
 * waits on its CPU (the agents say where they wait; see answered()); an agent waiting for the
 * runtime spins purely for a short while, unless the runtime runs on its CPU; an agent waiting for
 * another agent (recv) yields at once unless agents have CPUs enough to spin side by side. */
static void plan_cpus(struct omega_runtime *rt)
{
    cpu_set_t all;
    int ncpu = 1;
    if (sched_getaffinity(0, sizeof all, &all) == 0)
        ncpu = CPU_COUNT(&all);
    int agent_cpus = ncpu;
    if (rt->cfg.pin && ncpu >= 2) {
        int last = -1;
        for (int i = 0; i < CPU_SETSIZE; i++)
            if (CPU_ISSET(i, &all))
                last = i;
        CPU_ZERO(&rt->rt_cpus);
        CPU_SET(last, &rt->rt_cpus);
        rt->agent_cpus = all;
        CPU_CLR(last, &rt->agent_cpus);
        rt->pinned = 1;
        agent_cpus = ncpu - 1;
    } else if (rt->cfg.pin) {
        omega_log(OMEGA_LOG_WARN, "runtime: pinning needs at least 2 CPUs (have %d); not pinned", ncpu);
    }
    uint32_t spin = rt->cfg.agent_spin_us * 1000u;
    rt->pure_ns = ncpu >= 2 ? (uint64_t)rt->cfg.spin_us * 1000 : OMEGA_CHAN_PURE_NS / 4;
    rt->wait_runtime = (struct omega_chan_wait){.pure_ns = ncpu >= 2 ? OMEGA_CHAN_PURE_NS : 0, .spin_ns = spin};
    rt->wait_peer = (struct omega_chan_wait){
        .pure_ns = (rt->pinned ? agent_cpus >= 2 : ncpu >= 4) ? OMEGA_CHAN_PURE_NS : 0, .spin_ns = spin};
}

struct omega_runtime *omega_runtime_new(const struct omega_runtime_config *cfg, struct omega_monitor *mon,
                                        struct omega_error *err)
{
    struct omega_runtime *rt = calloc(1, sizeof *rt);
    if (!rt) {
        omega_error_set(err, OMEGA_ENOMEM, __FILE__, __LINE__, "runtime: out of memory");
        return NULL;
    }
    if (cfg)
        rt->cfg = *cfg;
    struct omega_runtime_config *c = &rt->cfg;
    if (!c->ring_bytes) c->ring_bytes = OMEGA_CHAN_RING_DEFAULT;
    if (!c->max_agents) c->max_agents = 1024;
    if (!c->spin_us) c->spin_us = 50;
    if (!c->agent_spin_us) c->agent_spin_us = 50;
    if (!c->flood_kill) c->flood_kill = 1000;
    if (!c->inbox_bytes) c->inbox_bytes = 8u << 20;
    if (!c->inbox_msgs) c->inbox_msgs = 1024;
    rt->mon = mon;
    rt->epfd = rt->ctlfd = -1;
    plan_cpus(rt);
    pthread_mutex_init(&rt->done_mu, NULL);
    rt->done_tail = &rt->done_head;
    omega_buf_init(&rt->redacted);
    pthread_mutex_init(&rt->lock, NULL);
    pthread_cond_init(&rt->cond, NULL);
    rt->egress_fn = discard_egress;
    rt->egress_ctx = rt;
    rt->tools[rt->ntools++] = (struct tool){"echo", echo_tool, NULL, 1};
    rt->byid_cap = 1;
    while (rt->byid_cap < 2 * c->max_agents)
        rt->byid_cap <<= 1;
    rt->agents = calloc(c->max_agents, sizeof *rt->agents);
    rt->byid = calloc(rt->byid_cap, sizeof *rt->byid);
    if (!rt->agents || !rt->byid || c->max_agents > (1u << 20)) {
        omega_error_set(err, OMEGA_ENOMEM, __FILE__, __LINE__, "runtime: cannot hold %zu agents", c->max_agents);
        goto fail;
    }
    /* Two fds per agent (pidfd, doorbell): raise the soft limit toward the hard one when needed. */
    struct rlimit nf;
    if (getrlimit(RLIMIT_NOFILE, &nf) == 0 && nf.rlim_cur < 2 * c->max_agents + 64 && nf.rlim_cur < nf.rlim_max) {
        nf.rlim_cur = 2 * c->max_agents + 64 < nf.rlim_max ? 2 * c->max_agents + 64 : nf.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &nf);
    }
    /* The zygote first: it must not see any agent's data, and it must be forked single-threaded. */
    if (!(rt->zy = omega_zygote_start(c->sandbox_flags, err)))
        goto fail;
    rt->epfd = epoll_create1(EPOLL_CLOEXEC);
    rt->ctlfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_CONTROL};
    if (rt->epfd < 0 || rt->ctlfd < 0 || epoll_ctl(rt->epfd, EPOLL_CTL_ADD, rt->ctlfd, &ev) < 0) {
        omega_error_set(err, OMEGA_EIO, __FILE__, __LINE__, "runtime: epoll: %s", strerror(errno));
        goto fail;
    }
    if (pthread_create(&rt->thread, NULL, serve, rt) != 0) {
        omega_error_set(err, OMEGA_EIO, __FILE__, __LINE__, "runtime: cannot start the serve thread");
        goto fail;
    }
    rt->thread_started = 1;
    return rt;
fail:
    omega_runtime_free(rt);
    return NULL;
}

const char *omega_runtime_sandbox_desc(const struct omega_runtime *rt) { return omega_zygote_describe(rt->zy); }

void omega_runtime_free(struct omega_runtime *rt)
{
    if (!rt)
        return;
    int n = atomic_load(&rt->nagents);
    for (int i = 0; i < n; i++)
        if (atomic_load(&rt->agents[i]->state) != OMEGA_AGENT_STOPPED && rt->agents[i]->pidfd >= 0)
            pidfd_kill(rt->agents[i]->pidfd, SIGKILL);
    if (rt->thread_started) {
        atomic_store(&rt->quit, 1);
        uint64_t one = 1;
        ssize_t w = write(rt->ctlfd, &one, sizeof one);
        (void)w;
        pthread_join(rt->thread, NULL);
    }
    for (int i = 0; i < n; i++) {
        struct agent *a = rt->agents[i];
        if (atomic_load(&a->state) != OMEGA_AGENT_STOPPED)
            reap(rt, a, 1);
        if (a->pidfd >= 0)
            close(a->pidfd);
        omega_chan_fini(&a->ch);
        free(a->body);
        free(a->counts);
        free_inbox(a);
        drop_deferred_redact(a);
        omega_buf_fini(&a->out);
        omega_buf_fini(&a->pend);
        free(a);
    }
    omega_zygote_stop(rt->zy);
    for (size_t i = 0; i < rt->ndata; i++)
        free(rt->data[i].bytes);
    if (rt->epfd >= 0) close(rt->epfd);
    if (rt->ctlfd >= 0) close(rt->ctlfd);
    free(rt->agents);
    free(rt->byid);
    omega_buf_fini(&rt->redacted);
    pthread_mutex_destroy(&rt->lock);
    pthread_cond_destroy(&rt->cond);
    for (struct completion *c = rt->done_head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    pthread_mutex_destroy(&rt->done_mu);
    free(rt);
}

int omega_runtime_register_tool(struct omega_runtime *rt, const char *name, omega_handler_fn fn, void *ctx)
{
    if (atomic_load(&rt->nagents) > 0)
        return OMEGA_ESTATE;
    if (!name || !*name || strlen(name) > OMEGA_CHAN_TARGET_MAX || !fn)
        return OMEGA_EINVAL;
    for (size_t i = 0; i < rt->ntools; i++)
        if (strcmp(rt->tools[i].name, name) == 0) {   /* replacing (e.g. the built-in echo) */
            rt->tools[i].fn = fn;
            rt->tools[i].ctx = ctx;
            return 0;
        }
    if (rt->ntools == MAX_TOOLS)
        return OMEGA_EQUOTA;
    struct tool *t = &rt->tools[rt->ntools++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->fn = fn;
    t->ctx = ctx;
    return 0;
}

int omega_runtime_add_data(struct omega_runtime *rt, const char *id, const void *data, size_t len,
                           const struct omega_labels *labels)
{
    if (atomic_load(&rt->nagents) > 0)
        return OMEGA_ESTATE;
    if (!id || !*id || strlen(id) > OMEGA_CHAN_TARGET_MAX)
        return OMEGA_EINVAL;
    if (rt->ndata == MAX_DATA)
        return OMEGA_EQUOTA;
    struct data_item *d = &rt->data[rt->ndata];
    if (!(d->bytes = malloc(len ? len : 1)))
        return OMEGA_ENOMEM;
    memcpy(d->bytes, data, len);
    d->len = len;
    snprintf(d->id, sizeof d->id, "%s", id);
    if (labels)
        d->labels = *labels;
    else
        omega_labels_init(&d->labels);
    rt->ndata++;
    return 0;
}

void omega_runtime_set_infer(struct omega_runtime *rt, omega_handler_fn fn, void *ctx)
{
    rt->infer_fn = fn;
    rt->infer_ctx = ctx;
}

void omega_runtime_set_egress(struct omega_runtime *rt, omega_handler_fn fn, void *ctx)
{
    rt->egress_fn = fn ? fn : discard_egress;
    rt->egress_ctx = fn ? ctx : rt;
}

void omega_runtime_set_trace(struct omega_runtime *rt, omega_trace_fn fn, void *ctx)
{
    rt->trace = fn;
    rt->trace_ctx = ctx;
}

void omega_runtime_set_event(struct omega_runtime *rt, omega_event_fn fn, void *ctx)
{
    rt->event = fn;
    rt->event_ctx = ctx;
}

int omega_runtime_set_approver(struct omega_runtime *rt, omega_approve_fn fn, void *ctx, const char *name)
{
    if (atomic_load(&rt->nagents) > 0)
        return OMEGA_ESTATE;   /* the serve thread reads these without a lock */
    if (fn && (!name || !*name || strlen(name) > 31))
        return OMEGA_EINVAL;
    rt->approve = fn;
    rt->approve_ctx = fn ? ctx : NULL;
    snprintf(rt->approver, sizeof rt->approver, "approver:%s", fn ? name : "none");
    return 0;
}

static int wait_ready(struct agent *a, uint64_t t0, siginfo_t *si)
{
    uint64_t deadline = t0 + 10ull * 1000000000ull;
    unsigned spins = 0;
    for (;;) {
        if (atomic_load_explicit(&a->ch.sh->ready, memory_order_acquire) == 1)
            return 0;
        if (spins++ < 2000) {
#if defined(__x86_64__)
            __builtin_ia32_pause();
#endif
            continue;
        }
        struct timespec ts = {0, 1000000};
        syscall(SYS_futex, (uint32_t *)&a->ch.sh->ready, FUTEX_WAIT, 0, &ts, NULL, 0);
        memset(si, 0, sizeof *si);
        if (waitid(P_PID, (id_t)a->pid, si, WEXITED | WNOHANG | WNOWAIT) == 0 && si->si_pid != 0)
            return OMEGA_EPEER;
        if (omega_now_ns() > deadline)
            return OMEGA_ETIMEOUT;
    }
}

int omega_runtime_spawn(struct omega_runtime *rt, const char *id, omega_agent_main_fn fn, const void *arg,
                        size_t arglen, struct omega_error *err)
{
    uint64_t t0 = omega_now_ns();
    if (!id || !*id || strlen(id) >= OMEGA_AGENT_ID_MAX)
        OMEGA_FAIL(err, OMEGA_EINVAL, "agent id must be 1 to %d bytes", OMEGA_AGENT_ID_MAX - 1);
    if (find_agent(rt, id))
        OMEGA_FAIL(err, OMEGA_EINVAL, "agent id '%s' is taken", id);
    int idx = atomic_load(&rt->nagents);
    if ((size_t)idx >= rt->cfg.max_agents)
        OMEGA_FAIL(err, OMEGA_EQUOTA, "at most %zu agents in this runtime", rt->cfg.max_agents);
    struct agent *a = calloc(1, sizeof *a);
    if (!a)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "agent %s: out of memory", id);
    snprintf(a->id, sizeof a->id, "%s", id);
    snprintf(a->st.id, sizeof a->st.id, "%s", id);
    a->idx = idx;
    a->pidfd = a->doorbell = -1;
    omega_labels_init(&a->labels);
    omega_buf_init(&a->out);
    omega_buf_init(&a->pend);
    int rc = omega_chan_create(&a->ch, rt->cfg.ring_bytes, err);
    if (rc < 0)
        goto fail;
    a->body = malloc(rt->cfg.ring_bytes);
    a->doorbell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!a->body || a->doorbell < 0) {
        rc = omega_error_set(err, OMEGA_EIO, __FILE__, __LINE__, "agent %s: eventfd/memory: %s", id, strerror(errno));
        goto fail;
    }
    struct omega_spawn sp = {.fn = fn, .ring_bytes = rt->cfg.ring_bytes, .limits = rt->cfg.limits,
                             .wait_runtime = rt->wait_runtime, .wait_peer = rt->wait_peer,
                             .cpus = rt->pinned ? &rt->agent_cpus : NULL, .arg = arg, .arglen = arglen};
    snprintf(sp.id, sizeof sp.id, "%s", id);
    if ((rc = omega_zygote_spawn(rt->zy, &sp, a->ch.memfd, a->doorbell, &a->pid, err)) < 0)
        goto fail;
    close(a->ch.memfd);   /* the child has its own copy; the runtime keeps only the mapping */
    a->ch.memfd = -1;
    a->pidfd = pidfd_open(a->pid);
    siginfo_t si;
    if (a->pidfd < 0) {
        rc = omega_error_set(err, OMEGA_EIO, __FILE__, __LINE__, "agent %s: pidfd_open: %s", id, strerror(errno));
        kill(a->pid, SIGKILL);
        waitpid(a->pid, NULL, 0);
        goto fail;
    }
    rc = wait_ready(a, t0, &si);
    if (rc < 0) {
        if (rc == OMEGA_ETIMEOUT)
            pidfd_kill(a->pidfd, SIGKILL);
        memset(&si, 0, sizeof si);
        waitid(P_PID, (id_t)a->pid, &si, WEXITED);
        describe_exit(a, &si);
        rc = omega_error_set(err, rc, __FILE__, __LINE__, "agent %s did not start: %s", id,
                             rc == OMEGA_ETIMEOUT ? "no ready signal in 10 s" : a->st.reason);
        goto fail;
    }
    uint64_t tr = omega_now_ns();
    a->st.start_ns = tr - t0;
    for (int s = 0; s < OMEGA_STEP_COUNT; s++) {
        uint64_t t = a->ch.sh->t_step[s];   /* the child's own report: for measurement only */
        a->st.step_ns[s] = t > t0 && t < tr ? t - t0 : 0;
    }
    a->st.pid = a->pid;
    a->st.state = OMEGA_AGENT_RUNNING;
    atomic_store(&a->state, OMEGA_AGENT_RUNNING);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)idx << 1};
    epoll_ctl(rt->epfd, EPOLL_CTL_ADD, a->doorbell, &ev);
    ev.data.u64 = ((uint64_t)idx << 1) | 1;
    epoll_ctl(rt->epfd, EPOLL_CTL_ADD, a->pidfd, &ev);
    rt->agents[idx] = a;
    uint64_t h = omega_fnv64(OMEGA_FNV64_BASIS, a->id, strlen(a->id));
    for (size_t i = 0;; i++) {
        _Atomic int *slot = &rt->byid[(h + i) & (rt->byid_cap - 1)];
        if (atomic_load(slot) == 0) {
            atomic_store_explicit(slot, idx + 1, memory_order_release);
            break;
        }
    }
    atomic_store_explicit(&rt->nagents, idx + 1, memory_order_release);
    uint64_t one = 1;
    ssize_t w = write(rt->ctlfd, &one, sizeof one);   /* the serve thread may sleep: look at the new agent */
    (void)w;
    return idx;
fail:
    if (a->pidfd >= 0) close(a->pidfd);
    if (a->doorbell >= 0) close(a->doorbell);
    omega_chan_fini(&a->ch);
    free(a->body);
    omega_buf_fini(&a->out);
    omega_buf_fini(&a->pend);
    free(a);
    return rc;
}

int omega_runtime_count(const struct omega_runtime *rt) { return atomic_load(&rt->nagents); }

uint64_t omega_runtime_served(const struct omega_runtime *rt) { return atomic_load(&rt->served); }

int omega_runtime_status(struct omega_runtime *rt, int idx, struct omega_agent_status *st)
{
    if (idx < 0 || idx >= atomic_load(&rt->nagents))
        return OMEGA_ENOTFOUND;
    struct agent *a = rt->agents[idx];
    pthread_mutex_lock(&rt->lock);
    *st = a->st;
    pthread_mutex_unlock(&rt->lock);
    st->requests = atomic_load(&a->requests);
    st->allowed = atomic_load(&a->allowed);
    st->denied = atomic_load(&a->denied);
    st->refused = atomic_load(&a->refused);
    return 0;
}

int omega_runtime_wait(struct omega_runtime *rt, int idx, int timeout_ms, struct omega_agent_status *st)
{
    if (idx < 0 || idx >= atomic_load(&rt->nagents))
        return OMEGA_ENOTFOUND;
    struct agent *a = rt->agents[idx];
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    if (timeout_ms >= 0) {
        dl.tv_sec += timeout_ms / 1000;
        dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
    }
    int rc = 0;
    pthread_mutex_lock(&rt->lock);
    while (a->st.state != OMEGA_AGENT_STOPPED && rc == 0)
        rc = timeout_ms < 0 ? pthread_cond_wait(&rt->cond, &rt->lock) : pthread_cond_timedwait(&rt->cond, &rt->lock, &dl);
    int stopped = a->st.state == OMEGA_AGENT_STOPPED;
    pthread_mutex_unlock(&rt->lock);
    if (st)
        OMEGA_TRY(omega_runtime_status(rt, idx, st));
    return stopped ? 0 : OMEGA_ETIMEOUT;
}

int omega_runtime_stop(struct omega_runtime *rt, int idx, const char *reason)
{
    if (idx < 0 || idx >= atomic_load(&rt->nagents))
        return OMEGA_ENOTFOUND;
    struct agent *a = rt->agents[idx];
    pthread_mutex_lock(&rt->lock);
    if (a->st.state == OMEGA_AGENT_STOPPED) {
        pthread_mutex_unlock(&rt->lock);
        return 0;
    }
    if (!a->st.reason[0])
        snprintf(a->st.reason, sizeof a->st.reason, "stopped by the runtime: %s", reason ? reason : "requested");
    pthread_mutex_unlock(&rt->lock);
    return pidfd_kill(a->pidfd, SIGKILL) < 0 ? OMEGA_EIO : 0;
}
