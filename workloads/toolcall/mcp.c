#include "workloads/toolcall/mcp.h"

#include <stdlib.h>
#include <string.h>

void omega_mcp_request_fini(struct omega_mcp_request *req)
{
    json_decref(req->msg);
    memset(req, 0, sizeof *req);
}

int omega_mcp_from_json(struct omega_mcp_request *req, json_t *msg, struct omega_error *err)
{
    memset(req, 0, sizeof *req);
    if (!json_is_object(msg))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "JSON-RPC request must be an object");
    const char *ver = json_string_value(json_object_get(msg, "jsonrpc"));
    if (!ver || strcmp(ver, "2.0") != 0)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "JSON-RPC request needs \"jsonrpc\": \"2.0\"");
    const json_t *id = json_object_get(msg, "id");
    if (id && !json_is_integer(id) && !json_is_string(id))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "JSON-RPC id must be a number or a string");
    const char *method = json_string_value(json_object_get(msg, "method"));
    if (!method || !*method)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "JSON-RPC request has no method");
    const json_t *params = json_object_get(msg, "params");
    if (params && !json_is_object(params) && !json_is_array(params))
        OMEGA_FAIL(err, OMEGA_EFORMAT, "JSON-RPC params must be an object or an array");
    if (strcmp(method, "tools/call") == 0) {
        const char *name = json_string_value(json_object_get(params, "name"));
        if (!name || !*name)
            OMEGA_FAIL(err, OMEGA_EFORMAT, "tools/call needs params.name");
        const json_t *args = json_object_get(params, "arguments");
        if (args && !json_is_object(args))
            OMEGA_FAIL(err, OMEGA_EFORMAT, "tools/call params.arguments must be an object");
        req->tool = name;
        req->args = args;
    } else if (params && json_is_object(params)) {
        req->resource = json_string_value(json_object_get(params, "uri"));
        if (!req->resource)
            req->resource = json_string_value(json_object_get(params, "name"));
    }
    req->msg = json_incref(msg);
    req->id = id;
    req->method = method;
    req->params = params;
    return 0;
}

int omega_mcp_parse(struct omega_mcp_request *req, const char *text, size_t len, struct omega_error *err)
{
    json_error_t je;
    json_t *msg = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!msg)
        OMEGA_FAIL(err, OMEGA_EFORMAT, "JSON-RPC parse error at line %d column %d: %s", je.line, je.column, je.text);
    int rc = omega_mcp_from_json(req, msg, err);
    json_decref(msg);
    return rc;
}

json_t *omega_mcp_tools_call(json_int_t id, const char *tool, const json_t *args)
{
    return json_pack("{s:s, s:I, s:s, s:{s:s, s:O}}", "jsonrpc", "2.0", "id", id, "method", "tools/call", "params",
                     "name", tool, "arguments", args ? (json_t *)args : json_object());
}

json_t *omega_mcp_result(const json_t *id, json_t *result)
{
    char *text = json_dumps(result, JSON_COMPACT);
    json_t *r = json_pack("{s:s, s:O, s:{s:[{s:s, s:s}], s:o}}", "jsonrpc", "2.0", "id", id ? (json_t *)id : json_null(),
                          "result", "content", "type", "text", "text", text ? text : "", "structuredContent", result);
    free(text);
    return r;
}

json_t *omega_mcp_error(const json_t *id, int code, const char *message)
{
    return json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id ? (json_t *)id : json_null(), "error", "code",
                     code, "message", message);
}
