/* The CPU reference: float32 plain C, one token at a time through every layer (after llama2.c's
 * run.c), reading and writing the paged KV pool through the sequence's page table. Matmul inputs
 * are rounded to bf16 where the CUDA engine rounds them, so the two agree to bf16 accuracy. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/llm/llm_common.h"
#include "workloads/llm/llm_impl.h"

static float *alloc_f(size_t n)
{
    return calloc(n ? n : 1, sizeof(float));
}

static int layer_shape(const struct omega_llm_config *c, int kind, size_t *rows, size_t *cols)
{
    size_t d = (size_t)c->dim, kv = d / (size_t)c->n_heads * (size_t)c->n_kv_heads, h = (size_t)c->hidden;
    switch (kind) {
    case OMEGA_LLM_T_EMBED: *rows = (size_t)c->vocab; *cols = d; return 0;
    case OMEGA_LLM_T_OUTPUT: *rows = (size_t)c->vocab; *cols = d; return 0;
    case OMEGA_LLM_T_NORM: case OMEGA_LLM_T_ATTN_NORM: case OMEGA_LLM_T_FFN_NORM: *rows = 1; *cols = d; return 0;
    case OMEGA_LLM_T_WQ: case OMEGA_LLM_T_WO: *rows = d; *cols = d; return 0;
    case OMEGA_LLM_T_WK: case OMEGA_LLM_T_WV: *rows = kv; *cols = d; return 0;
    case OMEGA_LLM_T_GATE: case OMEGA_LLM_T_UP: *rows = h; *cols = d; return 0;
    case OMEGA_LLM_T_DOWN: *rows = d; *cols = h; return 0;
    }
    return -1;
}

/* Shape of a tensor kind: rows × cols (row-major, PyTorch's Linear layout: out × in). */
int llm_tensor_shape(const struct omega_llm_config *c, int kind, size_t *rows, size_t *cols)
{
    return layer_shape(c, kind, rows, cols);
}

/* Pointer slot of tensor (layer, kind) in w. */
float **llm_tensor_slot(struct llm_host_weights *w, int layer, int kind)
{
    switch (kind) {
    case OMEGA_LLM_T_EMBED: return &w->embed;
    case OMEGA_LLM_T_NORM: return &w->norm;
    case OMEGA_LLM_T_OUTPUT: return &w->output;
    case OMEGA_LLM_T_WQ: return &w->wq[layer];
    case OMEGA_LLM_T_WK: return &w->wk[layer];
    case OMEGA_LLM_T_WV: return &w->wv[layer];
    case OMEGA_LLM_T_WO: return &w->wo[layer];
    case OMEGA_LLM_T_GATE: return &w->gate[layer];
    case OMEGA_LLM_T_UP: return &w->up[layer];
    case OMEGA_LLM_T_DOWN: return &w->down[layer];
    case OMEGA_LLM_T_ATTN_NORM: return &w->attn_norm[layer];
    case OMEGA_LLM_T_FFN_NORM: return &w->ffn_norm[layer];
    }
    return NULL;
}

static int weights_alloc(struct llm_host_weights *w, const struct omega_llm_config *c, struct omega_error *err)
{
    memset(w, 0, sizeof *w);
    float ***lists[] = {&w->wq, &w->wk, &w->wv, &w->wo, &w->gate, &w->up, &w->down, &w->attn_norm, &w->ffn_norm};
    for (size_t i = 0; i < 9; i++)
        if (!(*lists[i] = calloc((size_t)c->n_layers, sizeof(float *))))
            goto oom;
    for (int l = -1; l < c->n_layers; l++)
        for (int k = (l < 0 ? 0 : 3); k < (l < 0 ? 3 : 12); k++) {
            size_t r, cols;
            layer_shape(c, k, &r, &cols);
            float **slot = llm_tensor_slot(w, l < 0 ? 0 : l, k);
            if (!(*slot = alloc_f(r * cols)))
                goto oom;
        }
    return 0;
oom:
    llm_weights_free(w, c);
    OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory for the model's weights");
}

void llm_weights_free(struct llm_host_weights *w, const struct omega_llm_config *c)
{
    free(w->embed);
    free(w->norm);
    free(w->output);
    float **lists[] = {w->wq, w->wk, w->wv, w->wo, w->gate, w->up, w->down, w->attn_norm, w->ffn_norm};
    for (size_t i = 0; i < 9; i++) {
        if (lists[i])
            for (int l = 0; l < c->n_layers; l++)
                free(lists[i][l]);
        free(lists[i]);
    }
    memset(w, 0, sizeof *w);
}

int llm_weights_dummy(struct llm_host_weights *w, const struct omega_llm_config *c, uint64_t seed,
                      struct omega_error *err)
{
    OMEGA_TRY(weights_alloc(w, c, err));
    for (int l = -1; l < c->n_layers; l++)
        for (int k = (l < 0 ? 0 : 3); k < (l < 0 ? 3 : 12); k++) {
            size_t r, cols;
            layer_shape(c, k, &r, &cols);
            float *t = *llm_tensor_slot(w, l < 0 ? 0 : l, k);
            uint32_t id = llm_tensor_id(l < 0 ? 0 : l, k);
            for (size_t i = 0; i < r * cols; i++)
                t[i] = llm_dummy_weight(seed, id, k, i, (int)cols);
        }
    return 0;
}

int llm_weights_alloc_for_load(struct llm_host_weights *w, const struct omega_llm_config *c, struct omega_error *err)
{
    return weights_alloc(w, c, err);
}

void llm_weights_quantize8(struct llm_host_weights *w, const struct omega_llm_config *c)
{
    for (int l = -1; l < c->n_layers; l++)
        for (int k = (l < 0 ? 2 : 3); k < (l < 0 ? 3 : 10); k++) {
            size_t r, cols;
            layer_shape(c, k, &r, &cols);
            float *t = *llm_tensor_slot(w, l < 0 ? 0 : l, k);
            for (size_t i = 0; i < r; i++) {
                float mx = 0;
                for (size_t j = 0; j < cols; j++)
                    mx = fmaxf(mx, fabsf(t[i * cols + j]));
                float s = mx > 0 ? mx / 127.0f : 1.0f;
                for (size_t j = 0; j < cols; j++)
                    t[i * cols + j] = (float)(int)lrintf(t[i * cols + j] / s) * s;
            }
        }
}

/* ---- forward ---- */

struct llm_ref {
    struct omega_llm_config c;
    struct llm_host_weights *w;
    int n_pages, page_tokens, kvdim, hd;
    float *k_pool, *v_pool;   /* [layer][page][slot][kvdim] */
    float *x, *xb, *q, *k, *v, *att, *hb, *hb2, *scores, *logits;
};

int llm_ref_new(struct llm_ref **out, const struct omega_llm_config *c, struct llm_host_weights *w, int n_pages,
                int page_tokens, int max_tok, struct omega_error *err)
{
    (void)max_tok;
    struct llm_ref *r = calloc(1, sizeof *r);
    if (!r)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    r->c = *c;
    r->w = w;
    r->n_pages = n_pages;
    r->page_tokens = page_tokens;
    r->hd = c->dim / c->n_heads;
    r->kvdim = r->hd * c->n_kv_heads;
    size_t pool = (size_t)c->n_layers * (size_t)n_pages * (size_t)page_tokens * (size_t)r->kvdim;
    r->k_pool = alloc_f(pool);
    r->v_pool = alloc_f(pool);
    r->x = alloc_f((size_t)c->dim);
    r->xb = alloc_f((size_t)c->dim);
    r->q = alloc_f((size_t)c->dim);
    r->k = alloc_f((size_t)r->kvdim);
    r->v = alloc_f((size_t)r->kvdim);
    r->att = alloc_f((size_t)c->dim);
    r->hb = alloc_f((size_t)c->hidden);
    r->hb2 = alloc_f((size_t)c->hidden);
    r->scores = alloc_f((size_t)c->max_seq);
    r->logits = alloc_f((size_t)c->vocab);
    if (!r->k_pool || !r->v_pool || !r->x || !r->xb || !r->q || !r->k || !r->v || !r->att || !r->hb || !r->hb2 ||
        !r->scores || !r->logits) {
        llm_ref_free(r);
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory for the KV pool (%d pages)", n_pages);
    }
    *out = r;
    return 0;
}

void llm_ref_free(struct llm_ref *r)
{
    if (!r)
        return;
    float *bufs[] = {r->k_pool, r->v_pool, r->x, r->xb, r->q, r->k, r->v, r->att, r->hb, r->hb2, r->scores, r->logits};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    free(r);
}

float *llm_ref_kv_row(struct llm_ref *r, int layer, int which_v, int page, int slot)
{
    size_t off = (((size_t)layer * (size_t)r->n_pages + (size_t)page) * (size_t)r->page_tokens + (size_t)slot) *
                 (size_t)r->kvdim;
    return (which_v ? r->v_pool : r->k_pool) + off;
}

void llm_ref_page_zero(struct llm_ref *r, int page)
{
    size_t n = (size_t)r->page_tokens * (size_t)r->kvdim * sizeof(float);
    for (int l = 0; l < r->c.n_layers; l++) {
        memset(llm_ref_kv_row(r, l, 0, page, 0), 0, n);
        memset(llm_ref_kv_row(r, l, 1, page, 0), 0, n);
    }
}

void llm_ref_page_fill(struct llm_ref *r, int page, uint64_t seed)
{
    size_t n = (size_t)r->page_tokens * (size_t)r->kvdim;
    for (int l = 0; l < r->c.n_layers; l++)
        for (int v = 0; v < 2; v++) {
            float *p = llm_ref_kv_row(r, l, v, page, 0);
            for (size_t i = 0; i < n; i++)
                p[i] = llm_dummy_kv(seed + (uint64_t)(l * 2 + v), i);
        }
}

static void round_bf16(float *x, int n)
{
    for (int i = 0; i < n; i++)
        x[i] = llm_bf16_round(x[i]);
}

static void rmsnorm(float *o, const float *x, const float *w, int n, float eps)
{
    double ss = 0;
    for (int i = 0; i < n; i++)
        ss += (double)x[i] * x[i];
    float s = 1.0f / sqrtf((float)(ss / n) + eps);
    for (int i = 0; i < n; i++)
        o[i] = w[i] * (x[i] * s);
}

static void matvec(float *o, const float *x, const float *w, int n_in, int n_out, int accumulate)
{
    for (int i = 0; i < n_out; i++) {
        const float *row = w + (size_t)i * (size_t)n_in;
        float s = 0;
        for (int j = 0; j < n_in; j++)
            s += row[j] * x[j];
        o[i] = accumulate ? o[i] + s : s;
    }
}

/* HF Llama's rotary embedding: dimension i pairs with i + hd/2 (rotate_half). */
static void rope(float *v, int n_heads, int hd, int pos, float theta)
{
    for (int h = 0; h < n_heads; h++) {
        float *p = v + h * hd;
        for (int i = 0; i < hd / 2; i++) {
            float freq = powf(theta, -2.0f * (float)i / (float)hd);
            float a = (float)pos * freq, cs = cosf(a), sn = sinf(a);
            float x0 = p[i], x1 = p[i + hd / 2];
            p[i] = x0 * cs - x1 * sn;
            p[i + hd / 2] = x1 * cs + x0 * sn;
        }
    }
}

int llm_ref_forward(struct llm_ref *r, const struct llm_batch *b, struct omega_error *err)
{
    const struct omega_llm_config *c = &r->c;
    struct llm_host_weights *w = r->w;
    int d = c->dim, hd = r->hd, kvdim = r->kvdim, grp = c->n_heads / c->n_kv_heads;
    for (int t = 0; t < b->n_tok; t++) {
        int tok = b->tokens[t], pos = b->pos[t];
        const int32_t *pt = b->page_table + (size_t)b->seq[t] * (size_t)b->pt_stride;
        if (tok < 0 || tok >= c->vocab)
            OMEGA_FAIL(err, OMEGA_EINVAL, "token %d out of the vocabulary (0..%d)", tok, c->vocab - 1);
        memcpy(r->x, w->embed + (size_t)tok * (size_t)d, (size_t)d * sizeof(float));
        for (int l = 0; l < c->n_layers; l++) {
            rmsnorm(r->xb, r->x, w->attn_norm[l], d, c->norm_eps);
            round_bf16(r->xb, d);
            matvec(r->q, r->xb, w->wq[l], d, d, 0);
            matvec(r->k, r->xb, w->wk[l], d, kvdim, 0);
            matvec(r->v, r->xb, w->wv[l], d, kvdim, 0);
            round_bf16(r->q, d);
            round_bf16(r->k, kvdim);
            round_bf16(r->v, kvdim);
            rope(r->q, c->n_heads, hd, pos, c->rope_theta);
            rope(r->k, c->n_kv_heads, hd, pos, c->rope_theta);
            round_bf16(r->q, d);
            round_bf16(r->k, kvdim);
            int page = pt[pos / r->page_tokens], slot = pos % r->page_tokens;
            memcpy(llm_ref_kv_row(r, l, 0, page, slot), r->k, (size_t)kvdim * sizeof(float));
            memcpy(llm_ref_kv_row(r, l, 1, page, slot), r->v, (size_t)kvdim * sizeof(float));
            float scale = 1.0f / sqrtf((float)hd);
            for (int h = 0; h < c->n_heads; h++) {
                const float *qh = r->q + h * hd;
                int kvh = h / grp;
                float mx = -INFINITY;
                for (int p = 0; p <= pos; p++) {
                    const float *kr = llm_ref_kv_row(r, l, 0, pt[p / r->page_tokens], p % r->page_tokens) + kvh * hd;
                    float s = 0;
                    for (int i = 0; i < hd; i++)
                        s += qh[i] * kr[i];
                    r->scores[p] = s * scale;
                    mx = fmaxf(mx, r->scores[p]);
                }
                float sum = 0;
                for (int p = 0; p <= pos; p++) {
                    r->scores[p] = expf(r->scores[p] - mx);
                    sum += r->scores[p];
                }
                float *ah = r->att + h * hd;
                memset(ah, 0, (size_t)hd * sizeof(float));
                for (int p = 0; p <= pos; p++) {
                    const float *vr = llm_ref_kv_row(r, l, 1, pt[p / r->page_tokens], p % r->page_tokens) + kvh * hd;
                    float a = r->scores[p] / sum;
                    for (int i = 0; i < hd; i++)
                        ah[i] += a * vr[i];
                }
            }
            round_bf16(r->att, d);
            matvec(r->x, r->att, w->wo[l], d, d, 1);
            rmsnorm(r->xb, r->x, w->ffn_norm[l], d, c->norm_eps);
            round_bf16(r->xb, d);
            matvec(r->hb, r->xb, w->gate[l], d, c->hidden, 0);
            matvec(r->hb2, r->xb, w->up[l], d, c->hidden, 0);
            round_bf16(r->hb, c->hidden);
            round_bf16(r->hb2, c->hidden);
            for (int i = 0; i < c->hidden; i++) {
                float g = r->hb[i];
                r->hb[i] = g / (1.0f + expf(-g)) * r->hb2[i];
            }
            round_bf16(r->hb, c->hidden);
            matvec(r->x, r->hb, w->down[l], c->hidden, d, 1);
        }
        for (int o = 0; o < b->n_out; o++) {
            if (b->out_rows[o] != t)
                continue;
            rmsnorm(r->xb, r->x, w->norm, d, c->norm_eps);
            round_bf16(r->xb, d);
            matvec(r->logits, r->xb, w->output, d, c->vocab, 0);
            if (b->logits)
                memcpy(b->logits + (size_t)o * (size_t)c->vocab, r->logits, (size_t)c->vocab * sizeof(float));
            if (b->argmax) {
                int best = 0;
                for (int i = 1; i < c->vocab; i++)
                    if (r->logits[i] > r->logits[best])
                        best = i;
                b->argmax[o] = best;
            }
        }
    }
    return 0;
}
