/* MCP over JSON-RPC 2.0: the messages agents send (tools/call and other methods) and their answers. */
#ifndef OMEGA_MCP_H
#define OMEGA_MCP_H

#include <jansson.h>

#include "core/error.h"

/* JSON-RPC 2.0 error codes used here. */
enum { OMEGA_JSONRPC_PARSE = -32700, OMEGA_JSONRPC_INVALID = -32600, OMEGA_JSONRPC_NO_METHOD = -32601,
       OMEGA_JSONRPC_PARAMS = -32602, OMEGA_JSONRPC_INTERNAL = -32603, OMEGA_MCP_DENIED = -32001 };

struct omega_mcp_request {
    json_t *msg;             /* owned: the whole request */
    const json_t *id;        /* borrowed from msg: number or string; NULL for a notification */
    const char *method;      /* borrowed */
    const json_t *params;    /* borrowed, may be NULL */
    const char *tool;        /* tools/call: params.name */
    const json_t *args;      /* tools/call: params.arguments (an object), may be NULL */
    const char *resource;    /* other methods: params.uri or params.name, may be NULL */
};

/* Parse and validate a JSON-RPC 2.0 request (text of len bytes); on failure err says why (one line). */
int omega_mcp_parse(struct omega_mcp_request *req, const char *text, size_t len, struct omega_error *err) OMEGA_MUST_CHECK;
/* Take an already-parsed request object (a new reference is kept). */
int omega_mcp_from_json(struct omega_mcp_request *req, json_t *msg, struct omega_error *err) OMEGA_MUST_CHECK;
/* Release a parsed request. */
void omega_mcp_request_fini(struct omega_mcp_request *req);
/* A tools/call request {"jsonrpc":"2.0","id":id,"method":"tools/call","params":{"name":tool,"arguments":args}} (new reference; args borrowed). */
json_t *omega_mcp_tools_call(json_int_t id, const char *tool, const json_t *args);
/* A result response with MCP's content shape: {"content":[{"type":"text","text":...}], "structuredContent": result} (result stolen). */
json_t *omega_mcp_result(const json_t *id, json_t *result);
/* An error response (code and one-line message). */
json_t *omega_mcp_error(const json_t *id, int code, const char *message);

#endif
