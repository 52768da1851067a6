#include "workloads/stack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <pthread.h>

#include "core/log.h"

#include "attest/provlog.h"
#include "core/allowlist.h"
#include "policy/policy.h"
#include "workloads/llm/llm.h"
#include "workloads/toolcall/http.h"

/* The policies a workload runs under when none is given: the project's agent bundle, the same
 * rules the examples in policy/examples/ spell out one by one. */
static const char default_policies[] =
    "// Agents may call the built-in tools, read data, think, and talk to each other.\n"
    "@id(\"tools\")\npermit (principal, action == Action::\"tools/call\", resource);\n"
    "@id(\"read\")\npermit (principal, action == Action::\"read\", resource);\n"
    "@id(\"infer\")\npermit (principal, action == Action::\"infer\", resource);\n"
    "@id(\"a2a\")\npermit (principal, action == Action::\"send\", resource);\n"
    "// Nothing read from an untrusted source may choose an e-mail recipient outside the organisation.\n"
    "@id(\"untrusted-recipient\")\nforbid (principal, action == Action::\"tools/call\", resource == Tool::\"send_email\")\n"
    "  when { context.labels.integrity == \"untrusted\" && !(context.args.to like \"*@example.com\") };\n"
    "// At most 100 per payment, and at most 5 payments per agent in a session.\n"
    "@id(\"payment-limit\")\nforbid (principal, action == Action::\"tools/call\", resource == Tool::\"pay\")\n"
    "  when { !(context.args has amount) || context.args.amount > 100 || context.count >= 5 };\n"
    "// No PHI leaves the CVM.\n"
    "@id(\"phi-stays\")\nforbid (principal, action == Action::\"tools/call\", resource == Tool::\"http_post\")\n"
    "  when { context.labels.classes.contains(\"PHI\") };\n"
    "@id(\"phi-egress\")\nforbid (principal, action == Action::\"egress\", resource)\n"
    "  when { context.labels.classes.contains(\"PHI\") };\n";

const char *omega_stack_default_policies(void) { return default_policies; }

#define STACK_MAX_AGENTS 1024

struct omega_stack {
    struct omega_platform *platform;
    struct omega_monitor monitor;
    struct omega_policy_set *policies;
    struct omega_entities *entities;
    struct omega_policy_engine *engine;
    struct omega_allowlist *allow;
    struct omega_approver approver;
    EVP_PKEY *log_key;
    uint8_t log_pub[32];
    struct omega_provlog *log;
    struct omega_runtime *rt;
    struct omega_toolbox *tools;
    struct omega_httpd *httpd;
    char http_base[64];
    struct omega_llm *llm;
    char model[32];
    int max_context;
    /* infer handler: runtime agent id -> the engine's KV partition (serve thread only) */
    char agent_ids[STACK_MAX_AGENTS][OMEGA_AGENT_ID_MAX];
    int llm_agents[STACK_MAX_AGENTS];
    int nagents;
    /* the inference thread (continuous batching) */
    pthread_t infer_thread;
    int infer_started, infer_stop;
    pthread_mutex_t infer_mu;
    pthread_cond_t infer_cv;
    struct infer_req *infer_queue;
};

static int allow_all(void *ctx, const struct omega_action *a, struct omega_decision *d)
{
    (void)ctx;
    (void)a;
    memset(d, 0, sizeof *d);
    d->verdict = OMEGA_ALLOW;
    return 0;
}

static int tool_handler(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    struct omega_stack *s = ctx;
    json_t *result = NULL;
    struct omega_error err = {0};
    /* The agent's context labels go with the call: what it stores (kv_put) carries everything that
     * influenced it, so a value cannot shed its labels by passing through the store. */
    int rc = omega_toolbox_call(s->tools, rq->agent, rq->target, rq->args, rq->labels, &result, &rp->labels, &err);
    if (rc < 0) {
        /* The agent gets the code and the one-line reason as its payload. */
        if (omega_buf_append(rp->out, err.msg, strlen(err.msg)) < 0)
            return OMEGA_ENOMEM;
        return rc;
    }
    char *text = json_dumps(result, JSON_COMPACT);
    json_decref(result);
    if (!text)
        return OMEGA_ENOMEM;
    rc = omega_buf_append(rp->out, text, strlen(text));
    free(text);
    return rc < 0 ? OMEGA_ENOMEM : 0;
}

/* Inference runs on its own thread, so that the runtime goes on serving tool calls meanwhile, with
 * continuous batching: new prompts are prefilled between decode steps, and every active request takes
 * part in each step (one omega_llm_decode over all of them). The infer handler only queues.
 * Infer's payload: the prompt as int32 token ids, then an int32 count of tokens to generate; the
 * answer: the generated ids. Each agent gets its own KV partition on first use. */
struct infer_req {
    uint64_t ticket;
    char agent[OMEGA_AGENT_ID_MAX];
    int slot, n, max_new, nout;
    int32_t *prompt, *out;
    struct infer_req *next;
};

static void infer_finish(struct omega_stack *s, struct infer_req *r, int status)
{
    /* Model output is the model's: it carries no label of its own; the agent's context keeps its own. */
    if (omega_runtime_complete(s->rt, r->ticket, status, r->out, status == 0 ? 4 * (size_t)r->nout : 0, NULL) < 0)
        omega_log(OMEGA_LOG_WARN, "inference answer for %s lost: out of memory", r->agent);
    free(r->prompt);
    free(r->out);
    free(r);
}

/* The engine slot (KV partition) of r's agent, opened on first use and renewed when its context is
 * full, as a chat front end truncates history. */
static int infer_slot(struct omega_stack *s, struct infer_req *r, struct omega_error *err)
{
    int idx = -1;
    for (int i = 0; i < s->nagents; i++)
        if (strcmp(s->agent_ids[i], r->agent) == 0)
            idx = i;
    if (idx < 0) {
        if (s->nagents == STACK_MAX_AGENTS)
            OMEGA_FAIL(err, OMEGA_EQUOTA, "too many agents infer");
        idx = s->nagents;
        OMEGA_TRY(omega_llm_agent_open(s->llm, r->agent, s->max_context, &s->llm_agents[idx], err));
        snprintf(s->agent_ids[idx], sizeof s->agent_ids[idx], "%s", r->agent);
        s->nagents++;
    }
    if (omega_llm_agent_len(s->llm, s->llm_agents[idx]) + r->n + r->max_new > s->max_context) {
        omega_llm_agent_close(s->llm, s->llm_agents[idx]);
        OMEGA_TRY(omega_llm_agent_open(s->llm, r->agent, s->max_context, &s->llm_agents[idx], err));
    }
    r->slot = idx;
    return 0;
}

static void *infer_worker(void *arg)
{
    struct omega_stack *s = arg;
    const struct omega_llm_config *mc = omega_llm_get_config(s->llm);
    float *logits = malloc((size_t)mc->vocab * sizeof *logits);
    struct infer_req *active[64];
    int nactive = 0;
    int agents[64];
    int32_t toks[64], next[64];
    for (;;) {
        pthread_mutex_lock(&s->infer_mu);
        while (!s->infer_queue && !nactive && !s->infer_stop)
            pthread_cond_wait(&s->infer_cv, &s->infer_mu);
        struct infer_req *fresh = NULL;
        /* New requests join while there is room in the batch; the rest wait for the next step. */
        while (s->infer_queue && nactive < 64) {
            struct infer_req *r = s->infer_queue;
            s->infer_queue = r->next;
            r->next = fresh;
            fresh = r;
            break;
        }
        int stop = s->infer_stop;
        pthread_mutex_unlock(&s->infer_mu);
        if (stop) {
            while (fresh) {
                struct infer_req *n = fresh->next;
                infer_finish(s, fresh, OMEGA_EUNAVAIL);
                fresh = n;
            }
            break;
        }
        struct omega_error err = {0};
        if (fresh) {
            /* Prefill (one request between decode steps keeps the step time of the others bounded). */
            struct infer_req *r = fresh;
            struct omega_llm_sampling greedy = {.temperature = 0};
            uint64_t rng = 0;
            if (!logits || infer_slot(s, r, &err) < 0 ||
                omega_llm_prefill(s->llm, s->llm_agents[r->slot], r->prompt, r->n, logits, &err) < 0) {
                infer_finish(s, r, err.code ? err.code : OMEGA_ENOMEM);
            } else {
                r->out[r->nout++] = omega_llm_sample(logits, mc->vocab, &greedy, &rng);
                if (r->nout >= r->max_new)
                    infer_finish(s, r, 0);
                else
                    active[nactive++] = r;
            }
        }
        if (nactive == 0)
            continue;
        for (int i = 0; i < nactive; i++) {
            agents[i] = s->llm_agents[active[i]->slot];
            toks[i] = active[i]->out[active[i]->nout - 1];
        }
        int rc = omega_llm_decode(s->llm, agents, toks, nactive, NULL, next, &err);
        int k = 0;
        for (int i = 0; i < nactive; i++) {
            struct infer_req *r = active[i];
            if (rc < 0) {
                infer_finish(s, r, rc);
                continue;
            }
            r->out[r->nout++] = next[i];
            if (r->nout >= r->max_new)
                infer_finish(s, r, 0);
            else
                active[k++] = r;
        }
        nactive = k;
    }
    for (int i = 0; i < nactive; i++)
        infer_finish(s, active[i], OMEGA_EUNAVAIL);
    free(logits);
    return NULL;
}

static int infer_handler(void *ctx, const struct omega_request *rq, struct omega_reply *rp)
{
    (void)rp;
    struct omega_stack *s = ctx;
    if (strcmp(rq->target, s->model) != 0)
        return OMEGA_ENOTFOUND;
    if (rq->len < 8 || rq->len % 4 != 0)
        return OMEGA_EINVAL;
    int n = (int)(rq->len / 4) - 1;
    int32_t max_new;
    memcpy(&max_new, rq->payload + 4 * (size_t)n, 4);
    if (max_new < 1 || n + max_new > s->max_context)
        return OMEGA_EINVAL;
    const struct omega_llm_config *mc = omega_llm_get_config(s->llm);
    struct infer_req *r = calloc(1, sizeof *r);
    if (!r)
        return OMEGA_ENOMEM;
    r->prompt = malloc(4 * (size_t)n);
    r->out = malloc(4 * (size_t)max_new);
    if (!r->prompt || !r->out) {
        free(r->prompt);
        free(r->out);
        free(r);
        return OMEGA_ENOMEM;
    }
    memcpy(r->prompt, rq->payload, 4 * (size_t)n);
    for (int i = 0; i < n; i++)
        if (r->prompt[i] < 0 || r->prompt[i] >= mc->vocab) {
            free(r->prompt);
            free(r->out);
            free(r);
            return OMEGA_EINVAL;
        }
    r->n = n;
    r->max_new = max_new;
    r->ticket = rq->ticket;
    snprintf(r->agent, sizeof r->agent, "%s", rq->agent);
    pthread_mutex_lock(&s->infer_mu);
    int stopping = s->infer_stop;
    if (!stopping) {
        struct infer_req **tail = &s->infer_queue;
        while (*tail)
            tail = &(*tail)->next;
        *tail = r;
        pthread_cond_signal(&s->infer_cv);
    }
    pthread_mutex_unlock(&s->infer_mu);
    if (stopping) {
        free(r->prompt);
        free(r->out);
        free(r);
        return OMEGA_EUNAVAIL;
    }
    return OMEGA_RT_DEFERRED;
}

static int open_decider(struct omega_stack *s, const struct omega_stack_config *cfg, struct omega_error *err)
{
    if (!cfg->enforce) {
        omega_monitor_set_decider(&s->monitor, allow_all, NULL);
        return 0;
    }
    if (cfg->allow) {
        s->allow = omega_allowlist_load(cfg->allow, err);
        if (!s->allow)
            return err && err->code ? err->code : OMEGA_EINVAL;
        omega_allowlist_install(&s->monitor, s->allow);
        return 0;
    }
    if (cfg->policies)
        OMEGA_TRY(omega_policy_set_load(cfg->policies, &s->policies, err));
    else
        OMEGA_TRY(omega_policy_set_parse(default_policies, strlen(default_policies), "<built-in>", &s->policies, err));
    if (cfg->entities)
        OMEGA_TRY(omega_entities_load(cfg->entities, &s->entities, err));
    else if (!(s->entities = omega_entities_empty()))
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    s->engine = omega_policy_engine_new(s->policies, s->entities);
    if (!s->engine)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    omega_monitor_set_decider(&s->monitor, omega_policy_decide, s->engine);
    omega_monitor_set_counter(&s->monitor, omega_policy_count_allowed);
    return 0;
}

/* Batch mode's write-ahead rule: an answer waits until its record's group commit is durable. */
static int log_durable(void *ctx, uint64_t seq) { return seq < omega_provlog_durable(ctx); }

static int open_log(struct omega_stack *s, const struct omega_stack_config *cfg, struct omega_error *err)
{
    /* The monitor's key: made here, held only by the monitor's side, its public half bound into the
     * attestation evidence (omega_diffattest_new takes it). */
    s->log_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    size_t publen = sizeof s->log_pub;
    if (!s->log_key || EVP_PKEY_get_raw_public_key(s->log_key, s->log_pub, &publen) != 1)
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "cannot make the monitor's Ed25519 key");
    if (!cfg->enforce || !cfg->log_dir)
        return 0;
    struct omega_provlog_config lc;
    omega_provlog_config_defaults(&lc);
    lc.mode = cfg->log_sync ? OMEGA_PROVLOG_SYNC : OMEGA_PROVLOG_BATCH;
    lc.fsync = cfg->log_fsync;
    lc.io_digest = 1;
    /* Agents wait on their answers: commit as soon as anything waits, and let whatever arrives during
     * one fdatasync ride the next (group commit) rather than waiting for a timer. */
    lc.commit_ms = 0;
    OMEGA_TRY(omega_provlog_open(&s->log, cfg->log_dir, &lc, s->log_key, err));
    omega_monitor_set_recorder(&s->monitor, omega_provlog_record, s->log);
    if (lc.mode == OMEGA_PROVLOG_BATCH)
        omega_monitor_set_durable(&s->monitor, log_durable, s->log);
    return 0;
}

static int open_llm(struct omega_stack *s, const struct omega_stack_config *cfg, struct omega_error *err)
{
    if (!cfg->model)
        return 0;
    snprintf(s->model, sizeof s->model, "%s", cfg->model);
    s->max_context = cfg->max_context > 0 ? cfg->max_context : 512;
    struct omega_llm_opts o = {.model = cfg->model, .seed = 1, .max_batch = 64};
    /* The emulated GPU runs the CPU reference functionally; a real GPU runs the CUDA engine. */
    int cuda = strcmp(omega_platform_gpu_name(s->platform), "cuda") == 0;
    o.device = cuda ? OMEGA_LLM_CUDA : OMEGA_LLM_CPU;
    o.dtype = cuda ? OMEGA_LLM_BF16 : OMEGA_LLM_F32;
    o.cc = cfg->platform ? cfg->platform->cc != 0 : 1;
    /* One pool of KV pages for every agent's partition: each may hold max_context tokens. */
    struct omega_llm_config mc;
    OMEGA_TRY(omega_llm_preset(cfg->model, &mc, err));
    if (s->max_context > mc.max_seq)
        s->max_context = mc.max_seq;   /* an agent's context is at most the model's */
    int agents = cfg->max_agents > 0 ? cfg->max_agents : 64;
    o.kv_bytes = (uint64_t)agents * (uint64_t)s->max_context * omega_llm_kv_bytes_per_token(&mc, o.device);
    OMEGA_TRY(omega_llm_open(&s->llm, &o, err));
    pthread_mutex_init(&s->infer_mu, NULL);
    pthread_cond_init(&s->infer_cv, NULL);
    if (pthread_create(&s->infer_thread, NULL, infer_worker, s) != 0)
        OMEGA_FAIL(err, OMEGA_EIO, "cannot start the inference thread");
    s->infer_started = 1;
    omega_runtime_set_infer(s->rt, infer_handler, s);
    return 0;
}

int omega_stack_open(struct omega_stack **out, const struct omega_stack_config *cfg, struct omega_error *err)
{
    *out = NULL;
    struct omega_stack *s = calloc(1, sizeof *s);
    if (!s)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    struct omega_config pc = {.backend = "emu", .cc = 1};
    omega_monitor_init(&s->monitor);
    /* The runtime (and the zygote its agents are cloned from) first, before a GPU platform's driver
     * state exists in this process: agents inherit none of it. */
    int rc = 0;
    s->rt = omega_runtime_new(&cfg->runtime, &s->monitor, err);
    if (!s->rt)
        rc = err && err->code ? err->code : OMEGA_EIO;
    if (rc == 0 && cfg->approve) {
        rc = omega_approver_open(&s->approver, cfg->approve, err);
        if (rc == 0 && (rc = omega_runtime_set_approver(s->rt, s->approver.fn, s->approver.ctx, s->approver.name)) < 0)
            omega_error_set(err, rc, __FILE__, __LINE__, "cannot set the approver");
    }
    if (rc == 0)
        rc = omega_platform_open(&s->platform, cfg->platform ? cfg->platform : &pc, err);
    if (rc == 0)
        rc = open_decider(s, cfg, err);
    if (rc == 0)
        rc = open_log(s, cfg, err);
    if (rc == 0 && cfg->http) {
        rc = omega_httpd_start(&s->httpd, 0, err);
        if (rc == 0)
            snprintf(s->http_base, sizeof s->http_base, "http://127.0.0.1:%u", omega_httpd_port(s->httpd));
    }
    if (rc == 0) {
        struct omega_toolbox_config tc = {.data_dir = cfg->data_dir, .http_base = s->httpd ? s->http_base : NULL};
        rc = omega_toolbox_new(&s->tools, &tc, err);
    }
    static const char *const tools[] = {"read_file", "http_get", "http_post", "kv_get", "kv_put", "send_email", "pay"};
    for (size_t i = 0; rc == 0 && i < sizeof tools / sizeof tools[0]; i++)
        if ((rc = omega_runtime_register_tool(s->rt, tools[i], tool_handler, s)) < 0)
            omega_error_set(err, rc, __FILE__, __LINE__, "cannot register tool %s", tools[i]);
    if (rc == 0)
        rc = open_llm(s, cfg, err);
    if (rc < 0) {
        omega_stack_close(s, NULL);
        return rc;
    }
    *out = s;
    return 0;
}

int omega_stack_close(struct omega_stack *s, struct omega_error *err)
{
    if (!s)
        return 0;
    if (s->infer_started) {
        /* The engine stops before the runtime it answers to; requests still queued are refused. */
        pthread_mutex_lock(&s->infer_mu);
        s->infer_stop = 1;
        pthread_cond_signal(&s->infer_cv);
        pthread_mutex_unlock(&s->infer_mu);
        pthread_join(s->infer_thread, NULL);
    }
    omega_runtime_free(s->rt);  /* agents first: nothing may decide or record past this point */
    int rc = 0;
    if (s->log)
        rc = omega_provlog_close(s->log, err);
    omega_llm_close(s->llm);
    omega_toolbox_free(s->tools);
    omega_httpd_stop(s->httpd);
    omega_policy_engine_free(s->engine);
    omega_policy_set_free(s->policies);
    omega_entities_free(s->entities);
    omega_allowlist_free(s->allow);
    omega_approver_close(&s->approver);   /* after the runtime: its serve thread calls the approver */
    EVP_PKEY_free(s->log_key);
    omega_platform_close(s->platform);
    free(s);
    return rc;
}

struct omega_runtime *omega_stack_runtime(struct omega_stack *s) { return s->rt; }
struct omega_monitor *omega_stack_monitor(struct omega_stack *s) { return &s->monitor; }
struct omega_toolbox *omega_stack_toolbox(struct omega_stack *s) { return s->tools; }
const char *omega_stack_http_base(const struct omega_stack *s) { return s->httpd ? s->http_base : NULL; }
const uint8_t *omega_stack_log_pub(const struct omega_stack *s) { return s->log_pub; }
uint64_t omega_stack_log_leaves(struct omega_stack *s) { return s->log ? omega_provlog_size(s->log) : 0; }

int omega_stack_write_log_key(const struct omega_stack *s, const char *path, struct omega_error *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        OMEGA_FAIL(err, OMEGA_EIO, "%s: cannot write", path);
    int ok = PEM_write_PUBKEY(f, s->log_key) == 1;
    if (fclose(f) != 0 || !ok)
        OMEGA_FAIL(err, OMEGA_EIO, "%s: cannot write the key", path);
    return 0;
}

const char *omega_stack_model(const struct omega_stack *s, uint32_t *vocab)
{
    if (!s->llm)
        return NULL;
    if (vocab)
        *vocab = (uint32_t)omega_llm_get_config(s->llm)->vocab;
    return s->model;
}

int omega_stack_max_context(const struct omega_stack *s) { return s->llm ? s->max_context : 0; }

const char *omega_stack_policy_name(const struct omega_stack *s, const char *id)
{
    if (!s->policies || !id)
        return NULL;
    for (uint32_t i = 0; i < omega_policy_set_count(s->policies); i++)
        if (strcmp(omega_policy_set_id(s->policies, i), id) == 0)
            return omega_policy_set_annot_id(s->policies, i);
    return NULL;
}
