/* A live run of the simulated system on this machine, to measure the simulator against: real agent
 * threads with Poisson arrivals, the real emulated confidential GPU's AES-GCM copies of each prompt
 * and its tokens, the monitor's cost spent on a CPU, and a scheduler thread doing the same continuous
 * batching as the SimGrid GPU actor, whose steps last the cost model's step times (wall-clock waits:
 * there is no GPU here). What it checks is the simulator's queueing, batching and CPU-side timing
 * against a real concurrent execution; the GPU step times themselves are checked by the cost model's
 * fit against measured GPU results. */
#include "sim/live.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"
#include "core/backend.h"
#include "core/util.h"

#define LIVE_MAX_AGENTS 256
#define MEM_RESERVE 0.95

struct live_req {
    uint32_t prompt, gen, left;
    double ctx, kv_bytes;
    int first_done, all_done;
    double t_first;
    pthread_cond_t cv;
};

struct live {
    const struct omega_sim_config *c;
    struct omega_platform *plat;
    pthread_mutex_t copy_mu;  /* one copy engine: transfers are serialised */
    pthread_mutex_t mu;
    pthread_cond_t work;
    struct live_req *queue[LIVE_MAX_AGENTS];
    size_t qhead, qlen;
    int agents_left;
    uint64_t t0;
    double kv_cap;
    /* results */
    double *ttft, *tpot, *e2e;
    size_t n_ttft, n_tpot, n_e2e, cap;
    size_t issued, completed;
    double busy, steps, seqs;
    int failed;
    struct omega_error err;
};

struct live_agent {
    struct live *L;
    int id;
};

static double now_s(const struct live *L) { return (double)(omega_now_ns() - L->t0) * 1e-9; }

static void sleep_until(const struct live *L, double t)
{
    uint64_t ns = L->t0 + (uint64_t)(t * 1e9);
    struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* CPU work of a given length: spin, as the monitor's decision would occupy a core. */
static void spin(double seconds)
{
    uint64_t end = omega_now_ns() + (uint64_t)(seconds * 1e9);
    while (omega_now_ns() < end)
        ;
}

static void record(struct live *L, double ttft, double tpot, double e2e)
{
    if (L->n_e2e < L->cap) {
        L->ttft[L->n_ttft++] = ttft;
        L->e2e[L->n_e2e++] = e2e;
        if (tpot >= 0)
            L->tpot[L->n_tpot++] = tpot;
    }
}

static void *agent_main(void *arg)
{
    struct live_agent *A = arg;
    struct live *L = A->L;
    const struct omega_sim_config *c = L->c;
    struct omega_rng rng;
    omega_rng_seed(&rng, c->seed * 1000003u + (uint64_t)A->id);
    char owner[32];
    snprintf(owner, sizeof owner, "agent-%d", A->id);
    struct omega_gpu_part *part = NULL;
    omega_devptr buf = 0;
    size_t bytes = (size_t)(c->model->max_ctx) * 4;
    uint8_t *host = calloc(1, bytes);
    struct omega_error err;
    omega_error_clear(&err);
    pthread_mutex_lock(&L->copy_mu);
    int rc = host ? omega_gpu_part_open(L->plat, owner, bytes, &part, &err) : OMEGA_ENOMEM;
    if (rc == 0)
        rc = omega_gpu_alloc(part, bytes, &buf, &err);
    pthread_mutex_unlock(&L->copy_mu);
    struct live_req req;
    memset(&req, 0, sizeof req);
    pthread_cond_init(&req.cv, NULL);
    double kvpt = omega_model_kv_bytes_per_token(c->model);
    double next = omega_rng_exp(&rng, c->rate_per_agent);
    while (rc == 0 && next < c->duration_s) {
        sleep_until(L, next);
        double t0 = now_s(L);
        req.prompt = c->prompt_tokens;
        req.gen = c->gen_tokens;
        req.left = req.gen;
        req.ctx = req.prompt;
        req.kv_bytes = (double)(req.prompt + req.gen) * kvpt;
        req.first_done = req.all_done = 0;
        spin(c->cm->channel_rtt_s.value);
        spin(c->cm->monitor_s.value);
        pthread_mutex_lock(&L->copy_mu);
        rc = omega_gpu_copy_in(part, buf, host, (size_t)req.prompt * 4, &err);
        pthread_mutex_unlock(&L->copy_mu);
        if (rc < 0)
            break;
        pthread_mutex_lock(&L->mu);
        L->issued++;
        L->queue[(L->qhead + L->qlen++) % LIVE_MAX_AGENTS] = &req;
        pthread_cond_signal(&L->work);
        while (!req.first_done)
            pthread_cond_wait(&req.cv, &L->mu);
        double ttft = now_s(L) - t0;
        while (!req.all_done)
            pthread_cond_wait(&req.cv, &L->mu);
        pthread_mutex_unlock(&L->mu);
        double t_done = now_s(L);
        pthread_mutex_lock(&L->copy_mu);
        rc = omega_gpu_copy_out(part, host, buf, (size_t)req.gen * 4, &err);
        pthread_mutex_unlock(&L->copy_mu);
        if (rc < 0)
            break;
        for (int t = 0; t < c->tools_per_request; t++) {
            spin(c->cm->channel_rtt_s.value);
            spin(c->cm->monitor_s.value);
            sleep_until(L, now_s(L) + c->tool_s);
        }
        double e2e = now_s(L) - t0;
        pthread_mutex_lock(&L->mu);
        L->completed++;
        if (next >= c->warmup_s)
            record(L, ttft, req.gen > 1 ? (t_done - req.t_first) / (req.gen - 1) : -1, e2e);
        pthread_mutex_unlock(&L->mu);
        double arr = next + omega_rng_exp(&rng, c->rate_per_agent);
        next = arr;
    }
    pthread_mutex_lock(&L->mu);
    if (rc < 0 && !L->failed) {
        L->failed = 1;
        L->err = err;
    }
    L->agents_left--;
    pthread_cond_signal(&L->work);
    pthread_mutex_unlock(&L->mu);
    pthread_mutex_lock(&L->copy_mu);
    omega_gpu_part_close(part);
    pthread_mutex_unlock(&L->copy_mu);
    pthread_cond_destroy(&req.cv);
    free(host);
    return NULL;
}

/* The scheduler: the SimGrid GPU actor's loop, in real time. */
static void *gpu_main(void *arg)
{
    struct live *L = arg;
    const struct omega_sim_config *c = L->c;
    struct live_req *active[LIVE_MAX_AGENTS], *fresh[LIVE_MAX_AGENTS];
    size_t nactive = 0;
    double kv_used = 0;
    pthread_mutex_lock(&L->mu);
    for (;;) {
        while (nactive == 0 && L->qlen == 0 && L->agents_left > 0)
            pthread_cond_wait(&L->work, &L->mu);
        if (nactive == 0 && L->qlen == 0)
            break;
        size_t nfresh = 0;
        double tok = 0, sq = 0;
        while (L->qlen > 0) {
            struct live_req *r = L->queue[L->qhead];
            if (kv_used + r->kv_bytes > L->kv_cap && nactive > 0)
                break;
            if (c->max_batch > 0 && (int)nactive >= c->max_batch)
                break;
            L->qhead = (L->qhead + 1) % LIVE_MAX_AGENTS;
            L->qlen--;
            kv_used += r->kv_bytes;
            active[nactive++] = r;
            fresh[nfresh++] = r;
            tok += r->prompt;
            sq += (double)r->prompt * r->prompt;
        }
        pthread_mutex_unlock(&L->mu);
        if (nfresh > 0) {
            double t = omega_cost_prefill_s(c->cm, c->model, tok, sq, c->cc);
            double start = now_s(L);
            sleep_until(L, start + t);
            L->busy += t;
        }
        pthread_mutex_lock(&L->mu);
        for (size_t i = 0; i < nfresh; i++) {
            fresh[i]->t_first = now_s(L);
            fresh[i]->left--;
            fresh[i]->first_done = 1;
            pthread_cond_signal(&fresh[i]->cv);
        }
        size_t batch = 0;
        double ctx = 0;
        for (size_t i = 0; i < nactive; i++)
            if (active[i]->left > 0) {
                batch++;
                ctx += active[i]->ctx;
            }
        pthread_mutex_unlock(&L->mu);
        if (batch > 0) {
            double t = omega_cost_decode_step_s(c->cm, c->model, (int)batch, ctx / (double)batch, c->cc);
            double start = now_s(L);
            sleep_until(L, start + t);
            L->busy += t;
            L->steps += 1;
            L->seqs += (double)batch;
        }
        pthread_mutex_lock(&L->mu);
        for (size_t i = 0; i < nactive;) {
            struct live_req *r = active[i];
            if (r->left > 0 && batch > 0) {
                r->left--;
                r->ctx += 1;
            }
            if (r->left == 0) {
                kv_used -= r->kv_bytes;
                active[i] = active[--nactive];
                r->all_done = 1;
                pthread_cond_signal(&r->cv);
                continue;
            }
            i++;
        }
    }
    pthread_mutex_unlock(&L->mu);
    return NULL;
}

static void stats(double *v, size_t n, double *p50, double *p99, double *mean)
{
    struct omega_stats st;
    if (n == 0) {
        *p50 = *p99 = NAN;
        if (mean)
            *mean = NAN;
        return;
    }
    omega_stats_compute(v, n, &st);
    *p50 = st.p50;
    *p99 = st.p99;
    if (mean)
        *mean = st.mean;
}

int omega_sim_live(const struct omega_sim_config *c, struct omega_sim_result *r, struct omega_error *err)
{
    if (c->hosts != 1 || c->gpus_per_host != 1)
        OMEGA_FAIL(err, OMEGA_EINVAL, "live run: one host with one GPU");
    if (c->agents <= 0 || c->agents > LIVE_MAX_AGENTS || !(c->rate_per_agent > 0) || !(c->duration_s > 0) ||
        c->warmup_s >= c->duration_s || c->az)
        OMEGA_FAIL(err, OMEGA_EINVAL, "live run: 1 to %d agents, fixed token counts, positive rate and duration",
                   LIVE_MAX_AGENTS);
    struct live *L = calloc(1, sizeof *L);
    if (!L)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    L->c = c;
    L->cap = (size_t)(c->agents * c->rate_per_agent * c->duration_s * 3 + 1000);
    L->ttft = calloc(L->cap, sizeof *L->ttft);
    L->tpot = calloc(L->cap, sizeof *L->tpot);
    L->e2e = calloc(L->cap, sizeof *L->e2e);
    struct live_agent *agents = calloc((size_t)c->agents, sizeof *agents);
    pthread_t *th = calloc((size_t)c->agents, sizeof *th);
    struct omega_config cfg = {.backend = "emu", .cc = c->cc, .gpu_capacity = 1ull << 30};
    int rc = 0;
    if (!L->ttft || !L->tpot || !L->e2e || !agents || !th)
        rc = omega_error_set(err, OMEGA_ENOMEM, __FILE__, __LINE__, "out of memory");
    else
        rc = omega_platform_open(&L->plat, &cfg, err);
    if (rc == 0) {
        pthread_mutex_init(&L->mu, NULL);
        pthread_mutex_init(&L->copy_mu, NULL);
        pthread_cond_init(&L->work, NULL);
        L->kv_cap = c->cm->gpu.mem_bytes * MEM_RESERVE - omega_model_weight_bytes(c->model);
        L->agents_left = c->agents;
        L->t0 = omega_now_ns();
        pthread_t gpu;
        int started = 0;
        if (pthread_create(&gpu, NULL, gpu_main, L) != 0) {
            rc = omega_error_set(err, OMEGA_EIO, __FILE__, __LINE__, "cannot start the scheduler thread");
        } else {
            for (int i = 0; i < c->agents; i++) {
                agents[i] = (struct live_agent){L, i};
                if (pthread_create(&th[i], NULL, agent_main, &agents[i]) != 0) {
                    pthread_mutex_lock(&L->mu);
                    L->agents_left -= c->agents - i;
                    pthread_cond_signal(&L->work);
                    pthread_mutex_unlock(&L->mu);
                    rc = omega_error_set(err, OMEGA_EIO, __FILE__, __LINE__, "cannot start agent thread %d", i);
                    break;
                }
                started++;
            }
            for (int i = 0; i < started; i++)
                pthread_join(th[i], NULL);
            pthread_join(gpu, NULL);
        }
        double end = now_s(L);
        if (rc == 0 && L->failed)
            rc = omega_error_set(err, L->err.code ? L->err.code : OMEGA_EIO, __FILE__, __LINE__, "live run: %s",
                                 L->err.msg);
        memset(r, 0, sizeof *r);
        r->issued = L->issued;
        r->completed = L->completed;
        r->stable = L->issued == L->completed;
        stats(L->ttft, L->n_ttft, &r->ttft_p50, &r->ttft_p99, NULL);
        stats(L->tpot, L->n_tpot, &r->tpot_p50, &r->tpot_p99, NULL);
        stats(L->e2e, L->n_e2e, &r->e2e_p50, &r->e2e_p99, &r->e2e_mean);
        r->sim_s = r->wall_s = end;
        r->gpu_util = end > 0 ? L->busy / end : 0;
        r->mean_batch = L->steps > 0 ? L->seqs / L->steps : 0;
        r->throughput_rps = end > 0 ? (double)L->completed / end : 0;
        pthread_cond_destroy(&L->work);
        pthread_mutex_destroy(&L->mu);
        pthread_mutex_destroy(&L->copy_mu);
        omega_platform_close(L->plat);
    }
    free(L->ttft);
    free(L->tpot);
    free(L->e2e);
    free(agents);
    free(th);
    free(L);
    return rc < 0 ? rc : 0;
}
