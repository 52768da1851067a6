/* Tool-calling workload: MCP JSON-RPC parsing, the built-in tools and their labels, the loopback HTTP server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test.h"
#include "workloads/toolcall/http.h"
#include "workloads/toolcall/mcp.h"
#include "workloads/toolcall/tools.h"

OMEGA_TEST(toolcall_mcp_parse)
{
    struct omega_mcp_request r;
    struct omega_error err = {0};
    const char *ok = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"pay\",\"arguments\":{\"amount\":12.5}}}";
    CHECK(omega_mcp_parse(&r, ok, strlen(ok), &err) == 0);
    CHECK_STR(r.method, "tools/call");
    CHECK_STR(r.tool, "pay");
    CHECK(json_real_value(json_object_get(r.args, "amount")) == 12.5);
    CHECK(json_integer_value(r.id) == 7);
    omega_mcp_request_fini(&r);
    const char *res = "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"resources/read\",\"params\":{\"uri\":\"file:///a\"}}";
    CHECK(omega_mcp_parse(&r, res, strlen(res), &err) == 0);
    CHECK_STR(r.resource, "file:///a");
    omega_mcp_request_fini(&r);
    const char *bad[] = {"", "[]", "{\"jsonrpc\":\"1.0\",\"method\":\"x\"}", "{\"jsonrpc\":\"2.0\"}",
                         "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":{}}",
                         "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":{\"name\":\"x\",\"arguments\":[1]}}",
                         "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"m\"}", "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"method\":\"n\"}",
                         "{\"jsonrpc\":\"2.0\",\"method\":\"m\"", NULL};
    for (int i = 0; bad[i]; i++) {
        omega_error_clear(&err);
        CHECK_MSG(omega_mcp_parse(&r, bad[i], strlen(bad[i]), &err) == OMEGA_EFORMAT, "accepted: %s", bad[i]);
        CHECK(err.msg[0] != 0);
    }
    json_t *id = json_integer(3);
    json_t *e = omega_mcp_error(id, OMEGA_MCP_DENIED, "denied by policy0");
    CHECK(json_integer_value(json_object_get(json_object_get(e, "error"), "code")) == OMEGA_MCP_DENIED);
    json_decref(e);
    json_decref(id);
    return 0;
}

OMEGA_TEST(toolcall_tools_and_labels)
{
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%s/data", omega_test_tmpdir());
    CHECK(omega_test_sh(NULL, 0, "mkdir -p %s && printf 'blood pressure 120/80' > %s/patient-1 && "
                        "printf '{\"classes\":[\"PHI\"],\"regions\":[\"EU\"],\"readers\":[\"clinic\"]}' > %s/patient-1.labels.json && "
                        "printf 'hello' > %s/readme", dir, dir, dir, dir) == 0);
    struct omega_httpd *h;
    struct omega_error err = {0};
    CHECK(omega_httpd_start(&h, 0, &err) == 0);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%u", omega_httpd_port(h));
    snprintf(path, sizeof path, "%s/sink.jsonl", omega_test_tmpdir());
    struct omega_toolbox_config cfg = {.data_dir = dir, .http_base = base, .sink_path = path};
    struct omega_toolbox *tb;
    CHECK(omega_toolbox_new(&tb, &cfg, &err) == 0);
    json_t *res;
    struct omega_labels lab, ctx;
    omega_labels_init(&ctx);

    json_t *args = json_pack("{s:s}", "path", "patient-1");
    CHECK(omega_toolbox_call(tb, "a1", "read_file", args, &ctx, &res, &lab, &err) == 0);
    CHECK_STR(json_string_value(json_object_get(res, "content")), "blood pressure 120/80");
    CHECK(omega_label_set_has(&lab.classes, "PHI") && omega_label_set_has(&lab.regions, "EU") && !lab.readers_any);
    json_decref(res);
    json_decref(args);
    /* No way out of the data directory. */
    const char *escapes[] = {"../etc/passwd", "/etc/passwd", ".hidden", "", NULL};
    for (int i = 0; escapes[i]; i++) {
        args = json_pack("{s:s}", "path", escapes[i]);
        omega_error_clear(&err);
        CHECK_MSG(omega_toolbox_call(tb, "a1", "read_file", args, &ctx, &res, &lab, &err) == OMEGA_EINVAL, "%s", escapes[i]);
        json_decref(args);
    }
    args = json_pack("{s:s}", "path", "missing");
    omega_error_clear(&err);
    CHECK(omega_toolbox_call(tb, "a1", "read_file", args, &ctx, &res, &lab, &err) == OMEGA_ENOTFOUND);
    json_decref(args);

    /* The web is untrusted; a page with an injection comes back as it is, labelled. */
    char url[128];
    snprintf(url, sizeof url, "%s/pages/3", base);
    args = json_pack("{s:s}", "url", url);
    CHECK(omega_toolbox_call(tb, "a1", "http_get", args, &ctx, &res, &lab, &err) == 0);
    CHECK(json_integer_value(json_object_get(res, "status")) == 200 && lab.untrusted);
    CHECK(strstr(json_string_value(json_object_get(res, "body")), "attacker.example") != NULL);
    json_decref(res);
    json_decref(args);
    args = json_pack("{s:s}", "url", "http://10.0.0.1:80/x");
    omega_error_clear(&err);
    CHECK(omega_toolbox_call(tb, "a1", "http_get", args, &ctx, &res, &lab, &err) == OMEGA_EINVAL);
    json_decref(args);
    snprintf(url, sizeof url, "%s/echo", base);
    args = json_pack("{s:s, s:s}", "url", url, "body", "ping");
    CHECK(omega_toolbox_call(tb, "a1", "http_post", args, &ctx, &res, &lab, &err) == 0);
    CHECK_STR(json_string_value(json_object_get(res, "body")), "ping");
    json_decref(res);
    json_decref(args);

    /* kv: what is stored carries the writer's context labels back to the reader. */
    struct omega_labels secret;
    omega_labels_init(&secret);
    CHECK(omega_label_set_add(&secret.classes, "secret") == 0);
    args = json_pack("{s:s, s:i}", "key", "k", "value", 42);
    CHECK(omega_toolbox_call(tb, "a1", "kv_put", args, &secret, &res, &lab, &err) == 0);
    json_decref(res);
    json_decref(args);
    args = json_pack("{s:s}", "key", "k");
    CHECK(omega_toolbox_call(tb, "a2", "kv_get", args, &ctx, &res, &lab, &err) == 0);
    CHECK(json_integer_value(json_object_get(res, "value")) == 42 && omega_label_set_has(&lab.classes, "secret"));
    json_decref(res);
    json_decref(args);

    /* Sinks record exactly what they were asked. */
    args = json_pack("{s:s, s:s, s:s}", "to", "bob@example.com", "subject", "hi", "body", "b");
    CHECK(omega_toolbox_call(tb, "a1", "send_email", args, &ctx, &res, &lab, &err) == 0);
    json_decref(res);
    json_decref(args);
    args = json_pack("{s:f, s:s, s:s}", "amount", 99.5, "currency", "EUR", "iban", "DE89370400440532013000");
    CHECK(omega_toolbox_call(tb, "a3", "pay", args, &ctx, &res, &lab, &err) == 0);
    json_decref(res);
    json_decref(args);
    args = json_pack("{s:i, s:s, s:s}", "amount", -5, "currency", "EUR", "iban", "X");
    omega_error_clear(&err);
    CHECK(omega_toolbox_call(tb, "a3", "pay", args, &ctx, &res, &lab, &err) == OMEGA_EINVAL);
    json_decref(args);
    const json_t *sunk = omega_toolbox_sunk(tb);
    CHECK(json_array_size(sunk) == 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(sunk, 1), "agent")), "a3");
    char out[4096];
    CHECK(omega_test_sh(out, sizeof out, "wc -l < %s", path) == 0 && atoi(out) == 2);
    omega_error_clear(&err);
    CHECK(omega_toolbox_call(tb, "a1", "rm_rf", NULL, &ctx, &res, &lab, &err) == OMEGA_ENOTFOUND);
    omega_toolbox_free(tb);
    CHECK(omega_httpd_requests(h) == 2);
    omega_httpd_stop(h);
    return 0;
}

OMEGA_TEST(toolcall_httpd_bad_requests)
{
    struct omega_httpd *h;
    struct omega_error err = {0};
    CHECK(omega_httpd_start(&h, 0, &err) == 0);
    char out[4096];
    unsigned port = omega_httpd_port(h);
    /* garbage, an oversized header, and a lying Content-Length: the server answers or closes, and lives on */
    omega_test_sh(out, sizeof out, "printf 'GARBAGE\\r\\n\\r\\n' | timeout 5 bash -c 'cat > /dev/tcp/127.0.0.1/%u' 2>&1; "
                  "head -c 40000 /dev/zero | tr '\\0' 'A' | timeout 5 bash -c 'cat > /dev/tcp/127.0.0.1/%u' 2>&1; "
                  "printf 'POST /echo HTTP/1.1\\r\\nContent-Length: 99999999999\\r\\n\\r\\n' | timeout 5 bash -c 'cat > /dev/tcp/127.0.0.1/%u' 2>&1; true",
                  port, port, port);
    struct omega_buf body;
    omega_buf_init(&body);
    int status = 0;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/health", port);
    CHECK(omega_http_request("GET", url, NULL, 0, &status, &body, &err) == 0 && status == 200);
    CHECK(body.len == 2 && memcmp(body.data, "ok", 2) == 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/nope", port);
    CHECK(omega_http_request("GET", url, NULL, 0, &status, &body, &err) == 0 && status == 404);
    omega_buf_fini(&body);
    omega_httpd_stop(h);
    return 0;
}
