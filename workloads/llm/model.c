/* Model configs, presets and sizes. */
#include <stdio.h>
#include <string.h>

#include "workloads/llm/llm.h"

static const struct omega_llm_config presets[] = {
    /* name          dim  layers heads kv  hidden  vocab  max_seq eps    theta */
    {"llama2-7b", 4096, 32, 32, 32, 11008, 32000, 4096, 1e-5f, 10000.0f},
    {"llama2-13b", 5120, 40, 40, 40, 13824, 32000, 4096, 1e-5f, 10000.0f},
    {"llama2-70b", 8192, 80, 64, 8, 28672, 32000, 4096, 1e-5f, 10000.0f},
    /* Tiny test configs: small enough for the CPU reference in milliseconds; "tiny" has GQA 4:2. */
    {"tiny", 128, 2, 4, 2, 352, 512, 256, 1e-5f, 10000.0f},
    {"tiny-mha", 128, 2, 4, 4, 256, 300, 256, 1e-5f, 10000.0f},
    /* GQA 8:2 with Llama's head size, for the PyTorch comparison. */
    {"small", 512, 4, 4, 2, 1376, 2048, 512, 1e-5f, 10000.0f},
};

int omega_llm_preset(const char *name, struct omega_llm_config *cfg, struct omega_error *err)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].name, name) == 0) {
            *cfg = presets[i];
            return 0;
        }
    OMEGA_FAIL(err, OMEGA_EINVAL, "unknown model '%s' (llama2-7b, llama2-13b, llama2-70b, tiny, tiny-mha, small)",
               name);
}

int omega_llm_config_check(const struct omega_llm_config *c, struct omega_error *err)
{
    if (c->dim <= 0 || c->n_layers <= 0 || c->n_heads <= 0 || c->n_kv_heads <= 0 || c->hidden <= 0 ||
        c->vocab <= 0 || c->max_seq <= 0 || c->dim > 65536 || c->n_layers > 1024 || c->hidden > 262144 ||
        c->vocab > 1 << 20 || c->max_seq > 1 << 20)
        OMEGA_FAIL(err, OMEGA_EINVAL, "model shape out of range");
    if (c->dim % c->n_heads || c->n_heads % c->n_kv_heads)
        OMEGA_FAIL(err, OMEGA_EINVAL, "dim %d / heads %d / kv heads %d do not divide", c->dim, c->n_heads,
                   c->n_kv_heads);
    int hd = c->dim / c->n_heads;
    if (hd % 32 || hd > 256)
        OMEGA_FAIL(err, OMEGA_EINVAL, "head size %d: must be a multiple of 32, at most 256", hd);
    if (c->dim % 16 || c->hidden % 16)
        OMEGA_FAIL(err, OMEGA_EINVAL, "dim and hidden must be multiples of 16");
    if (!(c->norm_eps > 0) || !(c->rope_theta > 1))
        OMEGA_FAIL(err, OMEGA_EINVAL, "bad norm eps or rope theta");
    return 0;
}

static uint64_t linear_params(const struct omega_llm_config *c)
{
    uint64_t d = (uint64_t)c->dim, hd = d / (uint64_t)c->n_heads, kv = hd * (uint64_t)c->n_kv_heads;
    uint64_t per_layer = d * d + 2 * kv * d + d * d + 3 * d * (uint64_t)c->hidden;
    return per_layer * (uint64_t)c->n_layers + (uint64_t)c->vocab * d;
}

uint64_t omega_llm_params(const struct omega_llm_config *c)
{
    uint64_t d = (uint64_t)c->dim;
    return linear_params(c) + (uint64_t)c->vocab * d + d * (2 * (uint64_t)c->n_layers + 1);
}

static uint64_t linear_rows(const struct omega_llm_config *c)
{
    uint64_t d = (uint64_t)c->dim, hd = d / (uint64_t)c->n_heads, kv = hd * (uint64_t)c->n_kv_heads;
    return (d + 2 * kv + d + 3 * (uint64_t)c->hidden) * (uint64_t)c->n_layers + (uint64_t)c->vocab;
}

uint64_t omega_llm_step_weight_bytes(const struct omega_llm_config *c, enum omega_llm_dtype dt)
{
    uint64_t norms = (uint64_t)c->dim * (2 * (uint64_t)c->n_layers + 1) * 4;  /* kept in f32 */
    switch (dt) {
    case OMEGA_LLM_INT8: return linear_params(c) + linear_rows(c) * 4 + norms;
    case OMEGA_LLM_BF16: return linear_params(c) * 2 + norms;
    default: return linear_params(c) * 4 + norms;
    }
}

uint64_t omega_llm_weight_bytes(const struct omega_llm_config *c, enum omega_llm_dtype dt)
{
    uint64_t emb = (uint64_t)c->vocab * (uint64_t)c->dim * (dt == OMEGA_LLM_F32 ? 4 : 2);
    return omega_llm_step_weight_bytes(c, dt) + emb;
}

uint64_t omega_llm_kv_bytes_per_token(const struct omega_llm_config *c, enum omega_llm_device dev)
{
    uint64_t kvdim = (uint64_t)(c->dim / c->n_heads) * (uint64_t)c->n_kv_heads;
    return 2 * kvdim * (uint64_t)c->n_layers * (dev == OMEGA_LLM_CUDA ? 2 : 4);
}

int omega_llm_dtype_parse(const char *s, enum omega_llm_dtype *dt)
{
    if (strcmp(s, "bf16") == 0) *dt = OMEGA_LLM_BF16;
    else if (strcmp(s, "int8") == 0 || strcmp(s, "8bit") == 0) *dt = OMEGA_LLM_INT8;
    else if (strcmp(s, "f32") == 0) *dt = OMEGA_LLM_F32;
    else return OMEGA_EINVAL;
    return 0;
}

const char *omega_llm_dtype_name(enum omega_llm_dtype dt)
{
    return dt == OMEGA_LLM_INT8 ? "int8" : dt == OMEGA_LLM_BF16 ? "bf16" : "f32";
}
