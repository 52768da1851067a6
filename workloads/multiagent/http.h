/* A minimal HTTP/1.1 over loopback TCP (keep-alive, Content-Length framing, TCP_NODELAY): the
 * baseline that agent-to-agent messages through the runtime are measured against. Blocking I/O,
 * one connection per peer; enough HTTP for the benchmarks, not a general server. */
#ifndef OMEGA_HTTP_H
#define OMEGA_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct omega_http_conn {
    int fd;
    size_t len;            /* bytes buffered after the last message read */
    char buf[1 << 16];
};

/* Listen on 127.0.0.1, an ephemeral port (into *port); the socket, or -1. */
int omega_http_listen(uint16_t *port);
/* Connect to 127.0.0.1:port; the socket, or -1. */
int omega_http_connect(uint16_t port);
/* Take over fd (TCP_NODELAY set). */
void omega_http_conn_init(struct omega_http_conn *c, int fd);
/* Read one message (request or response): headers, then Content-Length bytes into body.
 * The body length, or -1 (closed, malformed, no Content-Length, or more than cap). */
long omega_http_read(struct omega_http_conn *c, void *body, size_t cap);
/* Send a POST /a2a with a JSON body; 0 or -1. */
int omega_http_post(struct omega_http_conn *c, const char *host, const void *body, size_t n);
/* Send a 200 response with a JSON body; 0 or -1. */
int omega_http_respond(struct omega_http_conn *c, const void *body, size_t n);
/* Write n bytes to fd, whatever it takes; 0 or -1. */
int omega_http_write_all(int fd, const void *p, size_t n);

#endif
