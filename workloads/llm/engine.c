/* The engine: weights shared by every agent, a pool of KV pages handed out to per-agent partitions,
 * and the batching of decode steps. Device work goes to the CPU reference or the CUDA engine. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/llm/llm_common.h"
#include "workloads/llm/llm_impl.h"

#define MAX_AGENTS 4096

const struct omega_llm_config *omega_llm_get_config(const struct omega_llm *m) { return &m->cfg; }

void omega_llm_kv_stats(const struct omega_llm *m, int *free_pages, int *total_pages, int *page_tokens)
{
    if (free_pages) *free_pages = m->n_free;
    if (total_pages) *total_pages = m->n_pages;
    if (page_tokens) *page_tokens = m->page_tokens;
}

int omega_llm_open(struct omega_llm **out, const struct omega_llm_opts *o, struct omega_error *err)
{
    *out = NULL;
    struct omega_llm_config cfg;
    if (o->config)
        cfg = *o->config;
    else
        OMEGA_TRY(omega_llm_preset(o->model ? o->model : "tiny", &cfg, err));
    OMEGA_TRY(omega_llm_config_check(&cfg, err));
    if (o->device == OMEGA_LLM_CUDA && o->dtype == OMEGA_LLM_F32)
        OMEGA_FAIL(err, OMEGA_EINVAL, "the CUDA engine holds weights in bf16 or int8, not f32");
    int max_tok = o->max_batch > 0 ? o->max_batch : 64;
    int pt = o->page_tokens > 0 ? o->page_tokens : 16;
    if (max_tok > 8192 || pt > 1024)
        OMEGA_FAIL(err, OMEGA_EINVAL, "max batch %d or page size %d out of range", max_tok, pt);
    int pt_stride = (cfg.max_seq + pt - 1) / pt;
    uint64_t page_bytes = omega_llm_kv_bytes_per_token(&cfg, o->device) * (uint64_t)pt;
    uint64_t pages = o->kv_bytes ? o->kv_bytes / page_bytes : (uint64_t)pt_stride * (uint64_t)(max_tok < 8 ? max_tok : 8);
    if (pages < 1 || pages > (1u << 30))
        OMEGA_FAIL(err, OMEGA_EINVAL, "KV pool of %llu pages", (unsigned long long)pages);

    struct omega_llm *m = calloc(1, sizeof *m);
    if (!m)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    m->cfg = cfg;
    m->device = o->device;
    m->dtype = o->device == OMEGA_LLM_CPU && o->dtype == OMEGA_LLM_BF16 ? OMEGA_LLM_F32 : o->dtype;
    m->max_tok = max_tok;
    m->page_tokens = pt;
    m->n_pages = (int)pages;
    m->pt_stride = pt_stride;
    m->free_pages = malloc((size_t)m->n_pages * sizeof *m->free_pages);
    m->agents = calloc(MAX_AGENTS, sizeof *m->agents);
    m->s_tok = malloc((size_t)max_tok * sizeof(int32_t));
    m->s_pos = malloc((size_t)max_tok * sizeof(int32_t));
    m->s_seq = malloc((size_t)max_tok * sizeof(int32_t));
    m->s_rows = malloc((size_t)max_tok * sizeof(int32_t));
    m->s_pt = malloc((size_t)max_tok * (size_t)pt_stride * sizeof(int32_t));
    if (!m->free_pages || !m->agents || !m->s_tok || !m->s_pos || !m->s_seq || !m->s_rows || !m->s_pt) {
        omega_llm_close(m);
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    }
    /* Lowest page first out, so a page just freed is the next one handed out (the isolation test
     * depends on reuse being immediate, the case an attacker would aim for). */
    for (int i = 0; i < m->n_pages; i++)
        m->free_pages[i] = m->n_pages - 1 - i;
    m->n_free = m->n_pages;

    int rc = 0;
    if (o->weights) {
        rc = llm_weights_load(&m->hw, &cfg, o->weights, err);
        m->have_hw = rc == 0;
    } else if (o->device == OMEGA_LLM_CPU) {
        rc = llm_weights_dummy(&m->hw, &cfg, o->seed, err);
        m->have_hw = rc == 0;
    }
    if (rc == 0 && m->have_hw && o->dtype == OMEGA_LLM_INT8 && o->device == OMEGA_LLM_CPU)
        llm_weights_quantize8(&m->hw, &cfg);
    if (rc == 0 && o->device == OMEGA_LLM_CPU) {
        rc = llm_ref_new(&m->ref, &cfg, &m->hw, m->n_pages, pt, max_tok, err);
    } else if (rc == 0) {
        char why[256] = "";
        /* Dummy weights are generated on the GPU from the seed: nothing crosses the bus. */
        if (llmc_open(&m->gpu, &cfg, o->dtype, o->seed, m->have_hw ? &m->hw : NULL, m->n_pages, pt, max_tok,
                      max_tok, pt_stride, o->cc, o->gpu, o->gpus, why, sizeof why) < 0) {
            omega_llm_close(m);
            OMEGA_FAIL(err, OMEGA_EUNAVAIL, "%s", why);
        }
        if (m->have_hw) {  /* the device has its copy now */
            llm_weights_free(&m->hw, &cfg);
            m->have_hw = 0;
        }
    }
    if (rc < 0) {
        omega_llm_close(m);
        return rc;
    }
    *out = m;
    return 0;
}

void omega_llm_close(struct omega_llm *m)
{
    if (!m)
        return;
    if (m->agents)
        for (int i = 0; i < m->n_agents; i++)
            if (m->agents[i].used)
                omega_llm_agent_close(m, i);
    free(m->agents);
    llm_ref_free(m->ref);
    llmc_close(m->gpu);
    if (m->have_hw)
        llm_weights_free(&m->hw, &m->cfg);
    free(m->free_pages);
    free(m->s_tok);
    free(m->s_pos);
    free(m->s_seq);
    free(m->s_rows);
    free(m->s_pt);
    free(m);
}

int omega_llm_agent_open(struct omega_llm *m, const char *owner, int max_tokens, int *agent, struct omega_error *err)
{
    if (max_tokens <= 0 || max_tokens > m->cfg.max_seq)
        OMEGA_FAIL(err, OMEGA_EINVAL, "context quota %d tokens (1..%d)", max_tokens, m->cfg.max_seq);
    int id = 0;
    while (id < m->n_agents && m->agents[id].used)
        id++;
    if (id == MAX_AGENTS)
        OMEGA_FAIL(err, OMEGA_EQUOTA, "too many agents (%d)", MAX_AGENTS);
    struct llm_agent *a = &m->agents[id];
    memset(a, 0, sizeof *a);
    a->pages = malloc((size_t)m->pt_stride * sizeof *a->pages);
    if (!a->pages)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    for (int i = 0; i < m->pt_stride; i++)
        a->pages[i] = -1;
    a->used = 1;
    a->max_tokens = max_tokens;
    snprintf(a->owner, sizeof a->owner, "%s", owner ? owner : "");
    if (id == m->n_agents)
        m->n_agents++;
    *agent = id;
    return 0;
}

static struct llm_agent *agent_get(struct omega_llm *m, int id)
{
    return id >= 0 && id < m->n_agents && m->agents[id].used ? &m->agents[id] : NULL;
}

void omega_llm_agent_close(struct omega_llm *m, int id)
{
    struct llm_agent *a = agent_get(m, id);
    if (!a)
        return;
    for (int i = 0; i < a->npages; i++) {
        /* Scrub before the page can reach another partition. */
        if (m->ref)
            llm_ref_page_zero(m->ref, a->pages[i]);
        if (m->gpu)
            (void)llmc_page_zero(m->gpu, a->pages[i]);
        m->free_pages[m->n_free++] = a->pages[i];
    }
    free(a->pages);
    memset(a, 0, sizeof *a);
}

int omega_llm_agent_len(const struct omega_llm *m, int id)
{
    return id >= 0 && id < m->n_agents && m->agents[id].used ? m->agents[id].len : -1;
}

int omega_llm_agent_pages(const struct omega_llm *m, int id, int *pages, int max)
{
    if (id < 0 || id >= m->n_agents || !m->agents[id].used)
        return 0;
    int n = m->agents[id].npages < max ? m->agents[id].npages : max;
    for (int i = 0; i < n; i++)
        pages[i] = m->agents[id].pages[i];
    return n;
}

/* Make room for n more tokens in a's partition (its quota, then free pages in the pool). */
static int agent_grow(struct omega_llm *m, struct llm_agent *a, int n, struct omega_error *err)
{
    if (n > a->max_tokens - a->len)
        OMEGA_FAIL(err, OMEGA_EQUOTA, "agent %s: context of %d tokens would exceed its quota of %d", a->owner,
                   a->len + n, a->max_tokens);
    int need = (a->len + n + m->page_tokens - 1) / m->page_tokens;
    if (need - a->npages > m->n_free)
        OMEGA_FAIL(err, OMEGA_EQUOTA, "KV pool exhausted (%d pages free, %d needed)", m->n_free, need - a->npages);
    while (a->npages < need)
        a->pages[a->npages++] = m->free_pages[--m->n_free];
    return 0;
}

static int run_forward(struct omega_llm *m, struct llm_batch *b, struct omega_error *err)
{
    if (m->ref)
        return llm_ref_forward(m->ref, b, err);
    char why[256] = "";
    if (llmc_forward(m->gpu, b, why, sizeof why) < 0)
        OMEGA_FAIL(err, OMEGA_EIO, "CUDA forward: %s", why);
    return 0;
}

int omega_llm_prefill(struct omega_llm *m, int id, const int32_t *tokens, int n, float *logits, struct omega_error *err)
{
    struct llm_agent *a = agent_get(m, id);
    if (!a)
        OMEGA_FAIL(err, OMEGA_ENOTFOUND, "no agent %d", id);
    if (n <= 0)
        OMEGA_FAIL(err, OMEGA_EINVAL, "empty prompt");
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= m->cfg.vocab)
            OMEGA_FAIL(err, OMEGA_EINVAL, "prompt token %d at %d is outside the vocabulary (0..%d)", tokens[i], i,
                       m->cfg.vocab - 1);
    OMEGA_TRY(agent_grow(m, a, n, err));
    memcpy(m->s_pt, a->pages, (size_t)m->pt_stride * sizeof(int32_t));
    for (int done = 0; done < n;) {
        int chunk = n - done < m->max_tok ? n - done : m->max_tok;
        for (int i = 0; i < chunk; i++) {
            m->s_tok[i] = tokens[done + i];
            m->s_pos[i] = a->len + i;
            m->s_seq[i] = 0;
        }
        int last = done + chunk == n;
        m->s_rows[0] = chunk - 1;
        struct llm_batch b = {.n_tok = chunk, .tokens = m->s_tok, .pos = m->s_pos, .seq = m->s_seq, .n_seq = 1,
                              .pt_stride = m->pt_stride, .page_table = m->s_pt, .n_out = last && logits ? 1 : 0,
                              .out_rows = m->s_rows, .logits = logits};
        int rc = run_forward(m, &b, err);
        if (rc < 0)
            return rc;
        a->len += chunk;
        done += chunk;
    }
    return 0;
}

int omega_llm_decode(struct omega_llm *m, const int *agents, const int32_t *tokens, int batch, float *logits,
                     int32_t *next, struct omega_error *err)
{
    if (batch <= 0 || batch > m->max_tok)
        OMEGA_FAIL(err, OMEGA_EINVAL, "decode batch %d (1..%d)", batch, m->max_tok);
    for (int i = 0; i < batch; i++) {
        struct llm_agent *a = agent_get(m, agents[i]);
        if (!a)
            OMEGA_FAIL(err, OMEGA_ENOTFOUND, "no agent %d", agents[i]);
        if (tokens[i] < 0 || tokens[i] >= m->cfg.vocab)
            OMEGA_FAIL(err, OMEGA_EINVAL, "token %d outside the vocabulary", tokens[i]);
        for (int j = 0; j < i; j++)
            if (agents[j] == agents[i])
                OMEGA_FAIL(err, OMEGA_EINVAL, "agent %d twice in one decode batch", agents[i]);
    }
    for (int i = 0; i < batch; i++) {
        struct llm_agent *a = agent_get(m, agents[i]);
        OMEGA_TRY(agent_grow(m, a, 1, err));
        m->s_tok[i] = tokens[i];
        m->s_pos[i] = a->len;
        m->s_seq[i] = i;
        m->s_rows[i] = i;
        memcpy(m->s_pt + (size_t)i * (size_t)m->pt_stride, a->pages, (size_t)m->pt_stride * sizeof(int32_t));
    }
    struct llm_batch b = {.n_tok = batch, .tokens = m->s_tok, .pos = m->s_pos, .seq = m->s_seq, .n_seq = batch,
                          .pt_stride = m->pt_stride, .page_table = m->s_pt, .n_out = batch, .out_rows = m->s_rows,
                          .logits = logits, .argmax = next};
    OMEGA_TRY(run_forward(m, &b, err));
    for (int i = 0; i < batch; i++)
        m->agents[agents[i]].len++;
    return 0;
}

static double rng_unit(uint64_t *s)
{
    *s = llm_splitmix64(*s);
    return (double)(*s >> 11) * (1.0 / 9007199254740992.0);
}

int32_t omega_llm_sample(const float *logits, int vocab, const struct omega_llm_sampling *s, uint64_t *rng)
{
    int best = 0;
    for (int i = 1; i < vocab; i++)
        if (logits[i] > logits[best])
            best = i;
    if (!s || !(s->temperature > 0))
        return best;
    /* Softmax at the temperature, then the smallest set of tokens with mass >= top_p. */
    double sum = 0, mx = logits[best];
    double *p = malloc((size_t)vocab * sizeof *p);
    int *idx = malloc((size_t)vocab * sizeof *idx);
    if (!p || !idx) {
        free(p);
        free(idx);
        return best;
    }
    for (int i = 0; i < vocab; i++) {
        p[i] = exp(((double)logits[i] - mx) / s->temperature);
        sum += p[i];
        idx[i] = i;
    }
    double top_p = s->top_p > 0 && s->top_p < 1 ? s->top_p : 1.0;
    int n = vocab;
    if (top_p < 1) {
        /* Partial selection sort: vocabularies are small and top-p sets smaller. */
        double mass = 0;
        for (n = 0; n < vocab && mass < top_p * sum; n++) {
            int bi = n;
            for (int j = n + 1; j < vocab; j++)
                if (p[idx[j]] > p[idx[bi]])
                    bi = j;
            int t = idx[n]; idx[n] = idx[bi]; idx[bi] = t;
            mass += p[idx[n]];
        }
        sum = mass;
    }
    double r = rng_unit(rng) * sum, acc = 0;
    int32_t pick = idx[n - 1];
    for (int i = 0; i < n; i++) {
        acc += p[idx[i]];
        if (r < acc) {
            pick = idx[i];
            break;
        }
    }
    free(p);
    free(idx);
    return pick;
}

int omega_llm_generate(struct omega_llm *m, int id, const int32_t *prompt, int n, int max_new, int eos,
                       const struct omega_llm_sampling *s, int32_t *out, int *n_out, struct omega_error *err)
{
    *n_out = 0;
    if (max_new < 0)
        OMEGA_FAIL(err, OMEGA_EINVAL, "max_new %d", max_new);
    int greedy = !s || !(s->temperature > 0);
    float *logits = malloc((size_t)m->cfg.vocab * sizeof(float));
    if (!logits)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    uint64_t rng = s ? s->seed : 0;
    int rc = omega_llm_prefill(m, id, prompt, n, logits, err);
    int32_t tok = rc == 0 ? omega_llm_sample(logits, m->cfg.vocab, s, &rng) : 0;
    while (rc == 0 && *n_out < max_new) {
        out[(*n_out)++] = tok;
        if (tok == eos || *n_out == max_new)
            break;
        int32_t next;
        rc = omega_llm_decode(m, &id, &tok, 1, greedy ? NULL : logits, &next, err);
        if (rc == 0)
            tok = greedy ? next : omega_llm_sample(logits, m->cfg.vocab, s, &rng);
    }
    free(logits);
    return rc;
}

int omega_llm_kv_read(struct omega_llm *m, int id, int layer, int pos, int which_v, float *out, int n,
                      struct omega_error *err)
{
    struct llm_agent *a = agent_get(m, id);
    if (!a)
        OMEGA_FAIL(err, OMEGA_ENOTFOUND, "no agent %d", id);
    int kvdim = m->cfg.dim / m->cfg.n_heads * m->cfg.n_kv_heads;
    /* Only positions the agent itself wrote resolve: the page table is the only way to a page. */
    if (layer < 0 || layer >= m->cfg.n_layers || pos < 0 || pos >= a->len || n > kvdim)
        OMEGA_FAIL(err, OMEGA_EINVAL, "agent %s: no KV row at layer %d position %d", a->owner, layer, pos);
    int page = a->pages[pos / m->page_tokens], slot = pos % m->page_tokens;
    if (m->ref) {
        memcpy(out, llm_ref_kv_row(m->ref, layer, which_v, page, slot), (size_t)n * sizeof(float));
        return 0;
    }
    if (llmc_kv_row(m->gpu, layer, which_v, page, slot, out, n) < 0)
        OMEGA_FAIL(err, OMEGA_EIO, "KV read failed");
    return 0;
}

int omega_llm_kv_page_peek(struct omega_llm *m, int page, float *out, int n, struct omega_error *err)
{
    int kvdim = m->cfg.dim / m->cfg.n_heads * m->cfg.n_kv_heads;
    if (page < 0 || page >= m->n_pages || n > kvdim * m->page_tokens)
        OMEGA_FAIL(err, OMEGA_EINVAL, "page %d", page);
    for (int l = 0; l < m->cfg.n_layers; l++)
        for (int v = 0; v < 2; v++)
            for (int s = 0; s < m->page_tokens; s++) {
                int k = n - s * kvdim < kvdim ? n - s * kvdim : kvdim;
                if (k <= 0)
                    break;
                float row[256 * 64];
                if (m->ref)
                    memcpy(row, llm_ref_kv_row(m->ref, l, v, page, s), (size_t)k * sizeof(float));
                else if (llmc_kv_row(m->gpu, l, v, page, s, row, k) < 0)
                    OMEGA_FAIL(err, OMEGA_EIO, "KV read failed");
                /* Fold every layer and K/V into out: a non-zero anywhere shows. */
                for (int i = 0; i < k; i++) {
                    float *o = out + (size_t)s * (size_t)kvdim + i;
                    if (l == 0 && v == 0)
                        *o = 0;
                    *o += fabsf(row[i]);
                }
            }
    return 0;
}

int omega_llm_agent_fake_context(struct omega_llm *m, int id, int len, struct omega_error *err)
{
    struct llm_agent *a = agent_get(m, id);
    if (!a)
        OMEGA_FAIL(err, OMEGA_ENOTFOUND, "no agent %d", id);
    int from = a->npages;
    OMEGA_TRY(agent_grow(m, a, len, err));
    for (int i = from; i < a->npages; i++) {
        if (m->ref)
            llm_ref_page_fill(m->ref, a->pages[i], (uint64_t)a->pages[i] * 1315423911u);
        else if (llmc_page_fill(m->gpu, a->pages[i], (uint64_t)a->pages[i] * 1315423911u) < 0)
            OMEGA_FAIL(err, OMEGA_EIO, "KV fill failed");
    }
    a->len += len;
    return 0;
}

void omega_llm_sync(struct omega_llm *m)
{
    if (m->gpu)
        llmc_sync(m->gpu);
}

int omega_llm_export(struct omega_llm *m, const char *path, struct omega_error *err)
{
    if (m->ref)
        return llm_weights_export(&m->hw, &m->cfg, path, err);
    struct llm_host_weights w;
    int rc = llm_weights_alloc_for_load(&w, &m->cfg, err);
    if (rc < 0)
        return rc;
    if (llmc_export_host(m->gpu, &w) < 0) {
        llm_weights_free(&w, &m->cfg);
        OMEGA_FAIL(err, OMEGA_EUNAVAIL, "export needs bf16 weights on the device");
    }
    rc = llm_weights_export(&w, &m->cfg, path, err);
    llm_weights_free(&w, &m->cfg);
    return rc;
}

int omega_llm_set_cc(struct omega_llm *m, int on)
{
    if (!m->gpu)
        return on ? OMEGA_EUNAVAIL : 0;   /* the CPU reference has no bus to protect */
    return llmc_set_cc(m->gpu, on);
}

uint64_t omega_llm_device_weight_bytes(const struct omega_llm *m)
{
    return m->gpu ? llmc_weight_bytes_on_device(m->gpu) : 0;
}
