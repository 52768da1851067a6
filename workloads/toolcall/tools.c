#include "workloads/toolcall/tools.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/util.h"
#include "workloads/toolcall/http.h"

struct kv_entry {
    char *key;
    json_t *value;
    struct omega_labels labels;
    struct kv_entry *next;
};

#define KV_BUCKETS 1024

struct omega_toolbox {
    char *data_dir, *http_base, *sink_path;
    pthread_mutex_t lock;   /* the runtime may serve agents from several threads */
    struct kv_entry *kv[KV_BUCKETS];
    json_t *sunk;
};

typedef int (*tool_fn)(struct omega_toolbox *tb, const char *agent, const json_t *args, const struct omega_labels *ctx,
                       json_t **result, struct omega_labels *labels, struct omega_error *err);

static const char *str_arg(const json_t *args, const char *name) { return json_string_value(json_object_get(args, name)); }

/* A name inside the data directory: no separators, no dot-files, so a request cannot leave it. */
static int safe_name(const char *p)
{
    return p && *p && *p != '.' && !strchr(p, '/') && strlen(p) < 200;
}

static int tool_read_file(struct omega_toolbox *tb, const char *agent, const json_t *args, const struct omega_labels *ctx,
                          json_t **result, struct omega_labels *labels, struct omega_error *err)
{
    (void)agent;
    (void)ctx;
    const char *path = str_arg(args, "path");
    if (!safe_name(path))
        OMEGA_FAIL(err, OMEGA_EINVAL, "read_file: \"path\" must name a file in the data directory");
    if (!tb->data_dir)
        OMEGA_FAIL(err, OMEGA_ENOTFOUND, "read_file: no data directory configured");
    char full[1024], lpath[1100];
    snprintf(full, sizeof full, "%s/%s", tb->data_dir, path);
    snprintf(lpath, sizeof lpath, "%s.labels.json", full);
    struct omega_buf b;
    omega_buf_init(&b);
    int rc = omega_buf_read_file(&b, full, 16u << 20, err);
    if (rc < 0) {
        omega_buf_fini(&b);
        return rc == OMEGA_EIO ? omega_error_set(err, OMEGA_ENOTFOUND, __FILE__, __LINE__, "read_file: %s", path) : rc;
    }
    /* Labels live beside the file; a file without them is trusted and unclassified. */
    json_t *lj = json_load_file(lpath, 0, NULL);
    rc = omega_labels_from_json(labels, lj, err);
    json_decref(lj);
    if (rc == 0)
        *result = json_pack("{s:s, s:s%}", "path", path, "content", (const char *)b.data, b.len);
    omega_buf_fini(&b);
    if (rc == 0 && !*result)
        OMEGA_FAIL(err, OMEGA_EINVAL, "read_file: %s is not UTF-8 text", path);
    return rc;
}

static int url_allowed(const struct omega_toolbox *tb, const char *url)
{
    size_t n = tb->http_base ? strlen(tb->http_base) : 0;
    return url && n && strncmp(url, tb->http_base, n) == 0 && (url[n] == '/' || url[n] == 0);
}

static int tool_http(struct omega_toolbox *tb, const char *method, const json_t *args, json_t **result,
                     struct omega_labels *labels, struct omega_error *err)
{
    const char *url = str_arg(args, "url");
    if (!url_allowed(tb, url))
        OMEGA_FAIL(err, OMEGA_EINVAL, "http: \"url\" must be under %s", tb->http_base ? tb->http_base : "(no server)");
    const char *body = str_arg(args, "body");
    struct omega_buf resp;
    omega_buf_init(&resp);
    int status = 0;
    int rc = omega_http_request(method, url, body, body ? strlen(body) : 0, &status, &resp, err);
    if (rc == 0) {
        *result = json_pack("{s:i, s:s%}", "status", status, "body", resp.data ? (const char *)resp.data : "", resp.len);
        if (!*result)
            rc = omega_error_set(err, OMEGA_EFORMAT, __FILE__, __LINE__, "http: response is not UTF-8 text");
    }
    omega_buf_fini(&resp);
    /* Whatever comes from the web is untrusted. */
    omega_labels_init(labels);
    labels->untrusted = 1;
    return rc;
}

static int tool_http_get(struct omega_toolbox *tb, const char *agent, const json_t *args, const struct omega_labels *ctx,
                         json_t **result, struct omega_labels *labels, struct omega_error *err)
{
    (void)agent;
    (void)ctx;
    return tool_http(tb, "GET", args, result, labels, err);
}

static int tool_http_post(struct omega_toolbox *tb, const char *agent, const json_t *args, const struct omega_labels *ctx,
                          json_t **result, struct omega_labels *labels, struct omega_error *err)
{
    (void)agent;
    (void)ctx;
    return tool_http(tb, "POST", args, result, labels, err);
}

static unsigned kv_hash(const char *s)
{
    return omega_fnv32(s, strlen(s)) % KV_BUCKETS;
}

static int tool_kv_put(struct omega_toolbox *tb, const char *agent, const json_t *args, const struct omega_labels *ctx,
                       json_t **result, struct omega_labels *labels, struct omega_error *err)
{
    (void)agent;
    const char *key = str_arg(args, "key");
    json_t *value = json_object_get(args, "value");
    if (!key || !*key || !value)
        OMEGA_FAIL(err, OMEGA_EINVAL, "kv_put: needs \"key\" (string) and \"value\"");
    unsigned h = kv_hash(key);
    pthread_mutex_lock(&tb->lock);
    struct kv_entry *e = tb->kv[h];
    while (e && strcmp(e->key, key) != 0)
        e = e->next;
    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e || !(e->key = strdup(key))) {
            free(e);
            pthread_mutex_unlock(&tb->lock);
            OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
        }
        e->next = tb->kv[h];
        tb->kv[h] = e;
    }
    json_decref(e->value);
    e->value = json_deep_copy(value);
    /* What an agent stores carries everything that influenced it. */
    if (ctx)
        e->labels = *ctx;
    else
        omega_labels_init(&e->labels);
    pthread_mutex_unlock(&tb->lock);
    omega_labels_init(labels);
    *result = json_pack("{s:s, s:b}", "key", key, "stored", 1);
    return 0;
}

static int tool_kv_get(struct omega_toolbox *tb, const char *agent, const json_t *args, const struct omega_labels *ctx,
                       json_t **result, struct omega_labels *labels, struct omega_error *err)
{
    (void)agent;
    (void)ctx;
    const char *key = str_arg(args, "key");
    if (!key)
        OMEGA_FAIL(err, OMEGA_EINVAL, "kv_get: needs \"key\"");
    pthread_mutex_lock(&tb->lock);
    struct kv_entry *e = tb->kv[kv_hash(key)];
    while (e && strcmp(e->key, key) != 0)
        e = e->next;
    if (e) {
        *labels = e->labels;
        *result = json_pack("{s:s, s:O}", "key", key, "value", e->value);
    } else {
        omega_labels_init(labels);
        *result = json_pack("{s:s, s:n}", "key", key, "value");
    }
    pthread_mutex_unlock(&tb->lock);
    return 0;
}

static int sink(struct omega_toolbox *tb, const char *tool, const char *agent, const json_t *args, json_t **result,
                struct omega_labels *labels, struct omega_error *err)
{
    json_t *rec = json_pack("{s:s, s:s, s:O}", "tool", tool, "agent", agent ? agent : "", "args", args);
    if (!rec)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    pthread_mutex_lock(&tb->lock);
    json_array_append(tb->sunk, rec);
    size_t n = json_array_size(tb->sunk);
    if (tb->sink_path) {
        FILE *f = fopen(tb->sink_path, "a");
        if (f) {
            json_dumpf(rec, f, JSON_COMPACT | JSON_SORT_KEYS);
            fputc('\n', f);
            fclose(f);
        }
    }
    pthread_mutex_unlock(&tb->lock);
    json_decref(rec);
    omega_labels_init(labels);
    *result = json_pack("{s:b, s:I}", "accepted", 1, "receipt", (json_int_t)n);
    return 0;
}

static int tool_send_email(struct omega_toolbox *tb, const char *agent, const json_t *args, const struct omega_labels *ctx,
                           json_t **result, struct omega_labels *labels, struct omega_error *err)
{
    (void)ctx;
    if (!str_arg(args, "to") || !str_arg(args, "body"))
        OMEGA_FAIL(err, OMEGA_EINVAL, "send_email: needs \"to\" and \"body\"");
    return sink(tb, "send_email", agent, args, result, labels, err);
}

static int tool_pay(struct omega_toolbox *tb, const char *agent, const json_t *args, const struct omega_labels *ctx,
                    json_t **result, struct omega_labels *labels, struct omega_error *err)
{
    (void)ctx;
    json_t *amount = json_object_get(args, "amount");
    if (!json_is_number(amount) || json_number_value(amount) <= 0 || !str_arg(args, "iban") || !str_arg(args, "currency"))
        OMEGA_FAIL(err, OMEGA_EINVAL, "pay: needs \"amount\" > 0, \"currency\" and \"iban\"");
    return sink(tb, "pay", agent, args, result, labels, err);
}

static const struct {
    const char *name;
    tool_fn fn;
    const char *description;
} tools[] = {
    {"read_file", tool_read_file, "Read a labelled file from the data directory: {path}"},
    {"http_get", tool_http_get, "HTTP GET a URL on the suite's server: {url}"},
    {"http_post", tool_http_post, "HTTP POST a body to a URL on the suite's server: {url, body}"},
    {"kv_get", tool_kv_get, "Read a key from the key-value store: {key}"},
    {"kv_put", tool_kv_put, "Store a value under a key: {key, value}"},
    {"send_email", tool_send_email, "Send an e-mail (recorded by a sink): {to, subject, body}"},
    {"pay", tool_pay, "Make a payment (recorded by a sink): {amount, currency, iban}"},
};

int omega_toolbox_new(struct omega_toolbox **out, const struct omega_toolbox_config *cfg, struct omega_error *err)
{
    struct omega_toolbox *tb = calloc(1, sizeof *tb);
    if (!tb)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    pthread_mutex_init(&tb->lock, NULL);
    tb->sunk = json_array();
    if ((cfg->data_dir && !(tb->data_dir = strdup(cfg->data_dir))) ||
        (cfg->http_base && !(tb->http_base = strdup(cfg->http_base))) ||
        (cfg->sink_path && !(tb->sink_path = strdup(cfg->sink_path)))) {
        omega_toolbox_free(tb);
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    }
    *out = tb;
    return 0;
}

void omega_toolbox_free(struct omega_toolbox *tb)
{
    if (!tb)
        return;
    for (int i = 0; i < KV_BUCKETS; i++)
        for (struct kv_entry *e = tb->kv[i], *n; e; e = n) {
            n = e->next;
            free(e->key);
            json_decref(e->value);
            free(e);
        }
    json_decref(tb->sunk);
    free(tb->data_dir);
    free(tb->http_base);
    free(tb->sink_path);
    pthread_mutex_destroy(&tb->lock);
    free(tb);
}

int omega_toolbox_call(struct omega_toolbox *tb, const char *agent, const char *tool, const json_t *args,
                       const struct omega_labels *ctx_labels, json_t **result, struct omega_labels *labels,
                       struct omega_error *err)
{
    *result = NULL;
    omega_labels_init(labels);
    json_t *empty = NULL;
    if (!args)
        args = empty = json_object();
    int rc = OMEGA_ENOTFOUND;
    size_t i;
    for (i = 0; i < sizeof tools / sizeof tools[0]; i++)
        if (strcmp(tools[i].name, tool) == 0)
            break;
    if (i == sizeof tools / sizeof tools[0])
        rc = omega_error_set(err, OMEGA_ENOTFOUND, __FILE__, __LINE__, "no tool named '%s'", tool);
    else if (!json_is_object(args))
        rc = omega_error_set(err, OMEGA_EINVAL, __FILE__, __LINE__, "%s: arguments must be an object", tool);
    else
        rc = tools[i].fn(tb, agent, args, ctx_labels, result, labels, err);
    json_decref(empty);
    return rc;
}

json_t *omega_toolbox_list(const struct omega_toolbox *tb)
{
    (void)tb;
    json_t *a = json_array();
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "name", tools[i].name, "description", tools[i].description));
    return json_pack("{s:o}", "tools", a);
}

const json_t *omega_toolbox_sunk(const struct omega_toolbox *tb) { return tb->sunk; }
