/* A small HTTP/1.1 server on loopback (the suite's stand-in for the web and for tool providers) and the
 * blocking client the runtime's http_get/http_post tools use. Content-Length bodies only. */
#ifndef OMEGA_TOOLCALL_HTTP_H
#define OMEGA_TOOLCALL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

struct omega_httpd;

/* Start a server on 127.0.0.1 (port 0: any free port) in its own thread. Routes:
 *   GET  /health        → "ok"
 *   GET  /pages/<n>     → a generated web page n (deterministic text, some pages carry an injected
 *                         instruction, as untrusted web content does)
 *   POST /echo          → the request body
 *   POST /sink          → records the body, answers {"stored": N}
 * Anything else is 404; a malformed request is 400 and the connection is closed. */
int omega_httpd_start(struct omega_httpd **out, uint16_t port, struct omega_error *err) OMEGA_MUST_CHECK;
/* Port it listens on. */
uint16_t omega_httpd_port(const struct omega_httpd *h);
/* Requests served so far. */
uint64_t omega_httpd_requests(const struct omega_httpd *h);
/* Stop the thread and free (NULL is a no-op). */
void omega_httpd_stop(struct omega_httpd *h);

/* Text of generated page n (what GET /pages/<n> serves); borrowed from a static buffer per thread. */
const char *omega_httpd_page(unsigned n, size_t *len);

/* HTTP request to url ("http://127.0.0.1:PORT/path" or "http://localhost:PORT/path"); method "GET" or
 * "POST"; the response body goes to body (replaced), the status code to *status. 5 s time-out. */
int omega_http_request(const char *method, const char *url, const void *req_body, size_t req_len, int *status,
                       struct omega_buf *body, struct omega_error *err) OMEGA_MUST_CHECK;

#endif
