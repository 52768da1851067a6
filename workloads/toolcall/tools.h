/* The built-in tools the runtime runs for agents' MCP tools/call requests. Each result carries the
 * information-flow labels the runtime joins into the calling agent's context. */
#ifndef OMEGA_TOOLS_H
#define OMEGA_TOOLS_H

#include <jansson.h>

#include "core/error.h"
#include "core/labels.h"

struct omega_toolbox;

struct omega_toolbox_config {
    const char *data_dir;     /* labelled files for read_file (NULL: the tool answers "no data directory") */
    const char *http_base;    /* e.g. "http://127.0.0.1:8080": http_get/http_post accept only URLs under it */
    const char *sink_path;    /* JSON Lines file where send_email and pay record what they were asked (NULL: memory only) */
};

/* Toolbox with its key-value store and sinks. */
int omega_toolbox_new(struct omega_toolbox **out, const struct omega_toolbox_config *cfg, struct omega_error *err) OMEGA_MUST_CHECK;
/* Free (NULL is a no-op). */
void omega_toolbox_free(struct omega_toolbox *tb);
/* Run tool for agent with args (an object); *result gets a new reference and labels the result's
 * labels. ctx_labels (the agent's context) label what kv_put stores. OMEGA_ENOTFOUND for an unknown tool,
 * OMEGA_EINVAL for bad arguments (err says which). */
int omega_toolbox_call(struct omega_toolbox *tb, const char *agent, const char *tool, const json_t *args,
                       const struct omega_labels *ctx_labels, json_t **result, struct omega_labels *labels,
                       struct omega_error *err) OMEGA_MUST_CHECK;
/* The tools' MCP tools/list descriptions (new reference). */
json_t *omega_toolbox_list(const struct omega_toolbox *tb);
/* What the sinks recorded so far: an array of {"tool", "agent", "args"} (borrowed). */
const json_t *omega_toolbox_sunk(const struct omega_toolbox *tb);

#endif
