/* Llama-2 weights in safetensors (8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the data), with Hugging Face's tensor names. The file
 * is untrusted: every length, shape and range is checked before a byte of data is read. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/buf.h"
#include "workloads/llm/llm_common.h"
#include "workloads/llm/llm_impl.h"

#define MAX_HEADER (100u << 20)

static void tensor_name(int layer, int kind, char *out, size_t n)
{
    static const char *const layer_names[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                                              "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj",
                                              "mlp.down_proj", "input_layernorm", "post_attention_layernorm"};
    if (kind == OMEGA_LLM_T_EMBED) snprintf(out, n, "model.embed_tokens.weight");
    else if (kind == OMEGA_LLM_T_NORM) snprintf(out, n, "model.norm.weight");
    else if (kind == OMEGA_LLM_T_OUTPUT) snprintf(out, n, "lm_head.weight");
    else snprintf(out, n, "model.layers.%d.%s.weight", layer, layer_names[kind - 3]);
}

int llm_weights_load(struct llm_host_weights *w, const struct omega_llm_config *c, const char *path,
                     struct omega_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        OMEGA_FAIL(err, OMEGA_EIO, "cannot open %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 8) {
        close(fd);
        OMEGA_FAIL(err, OMEGA_EFORMAT, "%s: not a safetensors file (too short)", path);
    }
    size_t fsize = (size_t)st.st_size;
    const uint8_t *map = mmap(NULL, fsize, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        OMEGA_FAIL(err, OMEGA_EIO, "cannot map %s", path);
    struct omega_rd r;
    omega_rd_init(&r, map, fsize);
    uint64_t hlen = 0;
    const uint8_t *hdr = NULL;
    json_t *root = NULL;
    int rc = 0;
    if (omega_rd_u64le(&r, &hlen) < 0 || hlen > MAX_HEADER || omega_rd_ptr(&r, &hdr, (size_t)hlen) < 0) {
        rc = omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__, "%s: header length %llu past the file's end",
                             path, (unsigned long long)hlen);
        goto out;
    }
    const uint8_t *data = hdr + hlen;
    size_t data_len = fsize - 8 - (size_t)hlen;
    json_error_t je;
    root = json_loadb((const char *)hdr, (size_t)hlen, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(root)) {
        rc = omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__, "%s: header is not a JSON object (%s)", path,
                             je.text);
        goto out;
    }
    if ((rc = llm_weights_alloc_for_load(w, c, err)) < 0)
        goto out;
    for (int l = -1; l < c->n_layers && rc == 0; l++)
        for (int k = (l < 0 ? 0 : 3); k < (l < 0 ? 3 : 12) && rc == 0; k++) {
            char name[96];
            tensor_name(l < 0 ? 0 : l, k, name, sizeof name);
            size_t rows, cols;
            llm_tensor_shape(c, k, &rows, &cols);
            json_t *t = json_object_get(root, name);
            if (!t && k == OMEGA_LLM_T_OUTPUT)   /* tied embeddings */
                t = json_object_get(root, "model.embed_tokens.weight");
            const char *dtype = json_string_value(json_object_get(t, "dtype"));
            json_t *shape = json_object_get(t, "shape"), *offs = json_object_get(t, "data_offsets");
            if (!t || !dtype || !json_is_array(shape) || json_array_size(offs) != 2) {
                rc = omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__, "%s: tensor %s missing or malformed",
                                     path, name);
                break;
            }
            size_t esz = strcmp(dtype, "BF16") == 0 || strcmp(dtype, "F16") == 0 ? 2 : strcmp(dtype, "F32") == 0 ? 4 : 0;
            if (!esz || strcmp(dtype, "F16") == 0) {
                rc = omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__, "%s: tensor %s has dtype %s (BF16 or F32 expected)",
                                     path, name, dtype);
                break;
            }
            size_t want_dims = rows == 1 ? 1 : 2;
            json_int_t s0 = json_integer_value(json_array_get(shape, 0));
            json_int_t s1 = want_dims == 2 ? json_integer_value(json_array_get(shape, 1)) : 0;
            if (json_array_size(shape) != want_dims || (want_dims == 2 && ((size_t)s0 != rows || (size_t)s1 != cols)) ||
                (want_dims == 1 && (size_t)s0 != cols)) {
                rc = omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__,
                                     "%s: tensor %s has the wrong shape for model %s (%zu x %zu expected)", path, name,
                                     c->name, rows, cols);
                break;
            }
            json_int_t b = json_integer_value(json_array_get(offs, 0)), e = json_integer_value(json_array_get(offs, 1));
            size_t n = rows * cols;
            if (b < 0 || e < b || (uint64_t)e > data_len || (uint64_t)(e - b) != n * esz) {
                rc = omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__, "%s: tensor %s byte range [%lld, %lld) is wrong",
                                     path, name, (long long)b, (long long)e);
                break;
            }
            float *dst = *llm_tensor_slot(w, l < 0 ? 0 : l, k);
            const uint8_t *src = data + b;
            for (size_t i = 0; i < n; i++) {
                if (esz == 2) {
                    dst[i] = llm_bf16_bits_to_f32((uint16_t)(src[2 * i] | src[2 * i + 1] << 8));
                } else {
                    uint32_t u = (uint32_t)src[4 * i] | (uint32_t)src[4 * i + 1] << 8 | (uint32_t)src[4 * i + 2] << 16 |
                                 (uint32_t)src[4 * i + 3] << 24;
                    float f;
                    memcpy(&f, &u, 4);
                    dst[i] = llm_bf16_round(f);  /* the engine holds bf16 values */
                }
            }
        }
    if (rc < 0)
        llm_weights_free(w, c);
out:
    json_decref(root);
    munmap((void *)map, fsize);
    return rc;
}

int llm_weights_export(const struct llm_host_weights *w, const struct omega_llm_config *c, const char *path,
                       struct omega_error *err)
{
    json_t *hdr = json_object();
    json_object_set_new(hdr, "__metadata__", json_pack("{s:s}", "format", "pt"));
    uint64_t off = 0;
    for (int l = -1; l < c->n_layers; l++)
        for (int k = (l < 0 ? 0 : 3); k < (l < 0 ? 3 : 12); k++) {
            char name[96];
            tensor_name(l < 0 ? 0 : l, k, name, sizeof name);
            size_t rows, cols;
            llm_tensor_shape(c, k, &rows, &cols);
            json_t *shape = rows == 1 ? json_pack("[I]", (json_int_t)cols) : json_pack("[I,I]", (json_int_t)rows, (json_int_t)cols);
            uint64_t n = rows * cols * 2;
            json_object_set_new(hdr, name, json_pack("{s:s,s:o,s:[I,I]}", "dtype", "BF16", "shape", shape,
                                                     "data_offsets", (json_int_t)off, (json_int_t)(off + n)));
            off += n;
        }
    char *h = json_dumps(hdr, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(hdr);
    if (!h)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    size_t hl = strlen(h), pad = (8 - hl % 8) % 8;
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(h);
        OMEGA_FAIL(err, OMEGA_EIO, "cannot write %s", path);
    }
    uint64_t total = hl + pad;
    uint8_t len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (uint8_t)(total >> (8 * i));
    int ok = fwrite(len8, 1, 8, f) == 8 && fwrite(h, 1, hl, f) == hl && fwrite("        ", 1, pad, f) == pad;
    free(h);
    struct llm_host_weights *wm = (struct llm_host_weights *)w;
    for (int l = -1; l < c->n_layers && ok; l++)
        for (int k = (l < 0 ? 0 : 3); k < (l < 0 ? 3 : 12) && ok; k++) {
            size_t rows, cols;
            llm_tensor_shape(c, k, &rows, &cols);
            const float *t = *llm_tensor_slot(wm, l < 0 ? 0 : l, k);
            for (size_t i = 0; i < rows * cols && ok; i++) {
                uint16_t b = llm_f32_to_bf16_bits(t[i]);
                uint8_t le[2] = {(uint8_t)b, (uint8_t)(b >> 8)};
                ok = fwrite(le, 1, 2, f) == 2;
            }
        }
    if (fclose(f) != 0 || !ok)
        OMEGA_FAIL(err, OMEGA_EIO, "write to %s failed", path);
    return 0;
}
