/* The SimGrid engine of omega plan, built into the simulator plugin (libomega-sim.so) so that the
 * omega binary links no SimGrid (nor its ns-3 and Boost): sim/simulate_stub.c forwards to it. */
#include "sim/simulate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "config.h"
#include "core/util.h"

#ifdef CONFIG_SIMGRID
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <simgrid/semaphore.h>
#endif
#include "sim/simulate_impl.h"


struct sim_req {
    int agent;
    uint32_t prompt, gen, left;
    double ctx;
    double kv_bytes;
    double t_first;     /* when the first token came out */
    sg_sem_t first, done;
};

struct sim_gpu {
    char mbox[32];
    struct sim_req **active;
    size_t nactive;
    double kv_used, busy, steps, seqs;
};

struct darr {
    double *v;
    size_t n, cap;
};

static struct {
    const struct omega_sim_config *c;
    struct sim_gpu *gpus;
    int ngpus;
    size_t per_gpu;      /* agents pinned to each GPU, at most */
    double kv_cap;
    double scale, span;          /* trace arrivals: time multiplier, period */
    struct darr ttft, tpot, e2e;
    size_t issued, completed;
    double cpu_busy;
    double end;          /* when the last agent finished its last request */
    int oom;
} S;

static void darr_push(struct darr *a, double v)
{
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 1024;
        double *nv = realloc(a->v, nc * sizeof *nv);
        if (!nv) {
            S.oom = 1;
            return;
        }
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n++] = v;
}

/* CPU work on the agent's host, contending for its cores. */
static void cpu_work(double seconds)
{
    if (seconds <= 0)
        return;
    S.cpu_busy += seconds;
    sg_actor_execute(seconds * SPEED);
}

static void gpu_work(struct sim_gpu *g, double seconds)
{
    g->busy += seconds;
    sg_actor_execute(seconds * SPEED);
}

static void gpu_actor(int argc, char **argv)
{
    (void)argc;
    const struct omega_sim_config *c = S.c;
    struct sim_gpu *g = &S.gpus[atoi(argv[1])];
    sg_mailbox_t mb = sg_mailbox_by_name(g->mbox);
    /* An agent has at most one request out, so a GPU never holds more than the agents pinned to it. */
    size_t slots = S.per_gpu + 1;
    struct sim_req **pending = calloc(slots, sizeof *pending);
    struct sim_req **fresh = calloc(slots, sizeof *fresh);
    size_t npend = 0, head = 0;
    if (!pending || !fresh) {
        S.oom = 1;
        free(pending);
        free(fresh);
        return;
    }
    for (;;) {
        /* Take whatever has arrived; block only when there is nothing to do. */
        while (sg_mailbox_listen(g->mbox))
            pending[(head + npend++) % slots] = sg_mailbox_get(mb);
        if (g->nactive == 0 && npend == 0) {
            pending[(head + npend++) % slots] = sg_mailbox_get(mb);
            continue;
        }
        /* Admit in arrival order while KV memory (and the batch limit) allows: continuous batching. */
        size_t nfresh = 0;
        double tok = 0, sq = 0;
        while (npend > 0) {
            struct sim_req *r = pending[head];
            if (g->kv_used + r->kv_bytes > S.kv_cap && g->nactive > 0)
                break;
            if (c->max_batch > 0 && (int)g->nactive >= c->max_batch)
                break;
            head = (head + 1) % slots;
            npend--;
            g->kv_used += r->kv_bytes;
            g->active[g->nactive++] = r;
            fresh[nfresh++] = r;
            tok += r->prompt;
            sq += (double)r->prompt * r->prompt;
        }
        if (nfresh > 0) {
            double t = 0;
            if (c->time_slice) {
                for (size_t i = 0; i < nfresh; i++)
                    t += omega_cost_prefill_s(c->cm, c->model, fresh[i]->prompt,
                                              (double)fresh[i]->prompt * fresh[i]->prompt, c->cc);
            } else {
                t = omega_cost_prefill_s(c->cm, c->model, tok, sq, c->cc);
            }
            gpu_work(g, t);
            for (size_t i = 0; i < nfresh; i++) {
                fresh[i]->t_first = simgrid_get_clock();
                fresh[i]->left--;   /* prefill yields the first token */
                sg_sem_release(fresh[i]->first);
            }
        }
        /* One decode step over every active sequence that still has tokens to make. */
        size_t batch = 0;
        double ctx = 0;
        for (size_t i = 0; i < g->nactive; i++)
            if (g->active[i]->left > 0) {
                batch++;
                ctx += g->active[i]->ctx;
            }
        if (batch > 0 && c->time_slice) {
            /* one step of each sequence in turn: the GPU time-sliced between the agents' contexts */
            double t = 0;
            for (size_t i = 0; i < g->nactive; i++)
                if (g->active[i]->left > 0)
                    t += omega_cost_decode_step_s(c->cm, c->model, 1, g->active[i]->ctx, c->cc);
            gpu_work(g, t);
            g->steps += (double)batch;
            g->seqs += (double)batch;
        } else if (batch > 0) {
            gpu_work(g, omega_cost_decode_step_s(c->cm, c->model, (int)batch, ctx / (double)batch, c->cc));
            g->steps += 1;
            g->seqs += (double)batch;
        }
        for (size_t i = 0; i < g->nactive;) {
            struct sim_req *r = g->active[i];
            if (r->left > 0 && batch > 0) {
                r->left--;
                r->ctx += 1;
            }
            if (r->left == 0) {
                g->kv_used -= r->kv_bytes;
                g->active[i] = g->active[--g->nactive];
                sg_sem_release(r->done);
                continue;
            }
            i++;
        }
    }
}

/* Time of an agent's k-th request (k from 0), or INFINITY past the end. */
static double agent_arrival(int agent, size_t k, struct omega_rng *rng, double prev)
{
    const struct omega_sim_config *c = S.c;
    if (c->arrivals_from_trace && c->az && c->az->n > 0) {
        size_t idx = (size_t)agent + k * (size_t)c->agents, n = c->az->n;
        return (c->az->req[idx % n].t_s + (double)(idx / n) * S.span) * S.scale;
    }
    return prev + omega_rng_exp(rng, c->rate_per_agent);
}

static void agent_tokens(int agent, size_t k, struct omega_rng *rng, uint32_t *prompt, uint32_t *gen)
{
    const struct omega_sim_config *c = S.c;
    *prompt = c->prompt_tokens;
    *gen = c->gen_tokens;
    if (c->az && c->az->n > 0) {
        size_t idx = c->arrivals_from_trace ? ((size_t)agent + k * (size_t)c->agents) % c->az->n
                                            : (size_t)(omega_rng_next(rng) % c->az->n);
        *prompt = c->az->req[idx].ctx_tokens;
        *gen = c->az->req[idx].gen_tokens;
    }
    uint32_t max = (uint32_t)c->model->max_ctx;
    if (*prompt < 1) *prompt = 1;
    if (*prompt > max - 1) *prompt = max - 1;
    if (*gen < 1) *gen = 1;
    if (*gen > max - *prompt) *gen = max - *prompt;
}

static void agent_actor(int argc, char **argv)
{
    (void)argc;
    const struct omega_sim_config *c = S.c;
    int id = atoi(argv[1]);
    struct sim_gpu *g = &S.gpus[id % S.ngpus];
    sg_mailbox_t mb = sg_mailbox_by_name(g->mbox);
    struct omega_rng rng;
    omega_rng_seed(&rng, c->seed * 1000003u + (uint64_t)id);
    struct sim_req req = {.agent = id, .first = sg_sem_init(0), .done = sg_sem_init(0)};
    double kvpt = omega_model_kv_bytes_per_token(c->model);
    double next = agent_arrival(id, 0, &rng, 0);
    for (size_t k = 0; next < c->duration_s; k++) {
        if (simgrid_get_clock() < next)
            sg_actor_sleep_until(next);
        /* Latency counts from when the agent sends: an agent does one thing at a time, and its own
         * backlog is not something more GPUs would shorten. */
        double t0 = simgrid_get_clock();
        S.issued++;
        agent_tokens(id, k, &rng, &req.prompt, &req.gen);
        req.left = req.gen;
        req.ctx = req.prompt;
        req.kv_bytes = (double)(req.prompt + req.gen) * kvpt;
        /* The inference request is an external action: channel, monitor decision and record. */
        sg_actor_sleep_for(c->cm->channel_rtt_s.value);
        cpu_work(c->cm->monitor_s.value);
        sg_mailbox_put(mb, &req, (long)req.prompt * 4);
        sg_sem_acquire(req.first);
        double ttft = simgrid_get_clock() - t0;
        sg_sem_acquire(req.done);
        double t_done = simgrid_get_clock();
        for (int t = 0; t < c->tools_per_request; t++) {
            sg_actor_sleep_for(c->cm->channel_rtt_s.value);
            cpu_work(c->cm->monitor_s.value);
            sg_host_sendto(sg_host_self(), sg_host_by_name("tools"), 1024);
            sg_actor_sleep_for(c->tool_s);
        }
        double e2e = simgrid_get_clock() - t0;
        S.completed++;
        if (simgrid_get_clock() > S.end)
            S.end = simgrid_get_clock();
        if (next >= c->warmup_s) {
            darr_push(&S.ttft, ttft);
            darr_push(&S.e2e, e2e);
            if (req.gen > 1)
                darr_push(&S.tpot, (t_done - req.t_first) / (req.gen - 1));
        }
        next = agent_arrival(id, k + 1, &rng, next);
    }
    sg_sem_destroy(req.first);
    sg_sem_destroy(req.done);
}

static void pct(struct darr *a, double *p50, double *p99, double *mean)
{
    struct omega_stats st;
    if (a->n == 0) {
        *p50 = *p99 = NAN;
        if (mean)
            *mean = NAN;
        return;
    }
    omega_stats_compute(a->v, a->n, &st);
    *p50 = st.p50;
    *p99 = st.p99;
    if (mean)
        *mean = st.mean;
}

/* The child's whole life: build, run, summarise. */
static int sim_child(const struct omega_sim_config *c, struct omega_sim_result *r, const char *platform)
{
    memset(&S, 0, sizeof S);
    S.c = c;
    S.ngpus = c->hosts * c->gpus_per_host;
    S.per_gpu = ((size_t)c->agents + (size_t)S.ngpus - 1) / (size_t)S.ngpus;
    S.kv_cap = c->cm->gpu.mem_bytes * MEM_RESERVE - omega_model_weight_bytes(c->model);
    if (c->arrivals_from_trace && c->az && c->az->n > 1) {
        double rate = omega_azure_rate(c->az);
        S.span = c->az->req[c->az->n - 1].t_s + 1.0 / rate;
        S.scale = rate / (c->agents * c->rate_per_agent);
    }
    int argc = 4;
    char a0[] = "omega-plan", a1[] = "--log=root.thres:warning", a2[] = "--cfg=contexts/stack-size:256",
         a3[] = "--cfg=network/model:CM02";
    char *argv[] = {a0, a1, a2, a3, NULL};
    simgrid_init(&argc, argv);
    simgrid_load_platform(platform);
    S.gpus = calloc((size_t)S.ngpus, sizeof *S.gpus);
    if (!S.gpus)
        return -1;
    for (int i = 0; i < S.ngpus; i++) {
        S.gpus[i].active = calloc(S.per_gpu + 1, sizeof *S.gpus[i].active);
        if (!S.gpus[i].active)
            return -1;
        snprintf(S.gpus[i].mbox, sizeof S.gpus[i].mbox, "gpu%d", i);
        char host[32], idx[16], name[32];
        snprintf(host, sizeof host, "gpu-%d-%d", i / c->gpus_per_host, i % c->gpus_per_host);
        snprintf(idx, sizeof idx, "%d", i);
        snprintf(name, sizeof name, "gpu%d", i);
        char *av[] = {name, idx, NULL};
        sg_actor_t a = sg_actor_create(name, sg_host_by_name(host), gpu_actor, 2, av);
        sg_actor_daemonize(a);
    }
    for (int i = 0; i < c->agents; i++) {
        /* An agent runs on the host of the GPU it is pinned to. */
        int gi = i % S.ngpus;
        char host[32], idx[16], name[32];
        snprintf(host, sizeof host, "node-%d", gi / c->gpus_per_host);
        snprintf(idx, sizeof idx, "%d", i);
        snprintf(name, sizeof name, "agent%d", i);
        char *av[] = {name, idx, NULL};
        sg_actor_create(name, sg_host_by_name(host), agent_actor, 2, av);
    }
    double limit = c->duration_s * 4 + 60;
    simgrid_run_until(limit);
    double end = S.end > 0 ? S.end : simgrid_get_clock();
    memset(r, 0, sizeof *r);
    r->issued = S.issued;
    r->completed = S.completed;
    r->stable = S.completed == S.issued && S.end < limit && !S.oom;
    pct(&S.ttft, &r->ttft_p50, &r->ttft_p99, NULL);
    pct(&S.tpot, &r->tpot_p50, &r->tpot_p99, NULL);
    pct(&S.e2e, &r->e2e_p50, &r->e2e_p99, &r->e2e_mean);
    double busy = 0, steps = 0, seqs = 0;
    for (int i = 0; i < S.ngpus; i++) {
        busy += S.gpus[i].busy;
        steps += S.gpus[i].steps;
        seqs += S.gpus[i].seqs;
    }
    r->sim_s = end;
    r->gpu_util = end > 0 ? busy / (end * S.ngpus) : 0;
    r->cpu_util = end > 0 ? S.cpu_busy / (end * c->hosts * c->cores_per_host) : 0;
    r->mean_batch = steps > 0 ? seqs / steps : 0;
    r->throughput_rps = end > 0 ? (double)S.completed / end : 0;
    return 0;
}

int omega_sim_run(const struct omega_sim_config *c, struct omega_sim_result *r, struct omega_error *err)
{
    if (!c->model || !c->cm || c->agents <= 0 || c->hosts <= 0 || c->gpus_per_host <= 0 || c->cores_per_host <= 0 ||
        !(c->rate_per_agent > 0) || !(c->duration_s > 0) || c->warmup_s < 0 || c->warmup_s >= c->duration_s)
        OMEGA_FAIL(err, OMEGA_EINVAL, "simulation: agents, hosts, GPUs, cores, rate and duration must be positive "
                                      "and warm-up shorter than the duration");
    if (c->cm->gpu.mem_bytes * MEM_RESERVE <= omega_model_weight_bytes(c->model))
        OMEGA_FAIL(err, OMEGA_EINVAL, "simulation: %s's weights (%.1f GB) do not fit one GPU", c->model->name,
                   omega_model_weight_bytes(c->model) / 1e9);
    char platform[] = "/tmp/omega-plan-XXXXXX.xml";
    int fd = mkstemps(platform, 4);
    if (fd < 0)
        OMEGA_FAIL(err, OMEGA_EIO, "temporary platform file: %s", strerror(errno));
    close(fd);
    int rc = omega_sim_write_platform(c, platform, err);
    if (rc < 0) {
        unlink(platform);
        return rc;
    }
    int pfd[2];
    if (pipe(pfd) < 0) {
        unlink(platform);
        OMEGA_FAIL(err, OMEGA_EIO, "pipe: %s", strerror(errno));
    }
    fflush(NULL);
    uint64_t t0 = omega_now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        unlink(platform);
        OMEGA_FAIL(err, OMEGA_EIO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(pfd[0]);
        struct omega_sim_result res;
        int ok = sim_child(c, &res, platform) == 0;
        ssize_t w = ok ? write(pfd[1], &res, sizeof res) : -1;
        _exit(w == (ssize_t)sizeof res ? 0 : 1);
    }
    close(pfd[1]);
    struct omega_sim_result res;
    size_t got = 0;
    while (got < sizeof res) {
        ssize_t n = read(pfd[0], (char *)&res + got, sizeof res - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(pfd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    unlink(platform);
    if (got != sizeof res || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        OMEGA_FAIL(err, OMEGA_EIO, "simulation child failed (%s %d)", WIFSIGNALED(status) ? "signal" : "status",
                   WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    res.wall_s = (double)(omega_now_ns() - t0) * 1e-9;
    *r = res;
    return 0;
}
