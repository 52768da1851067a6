/* Minimal HTTP/1.1 on loopback (http.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "workloads/multiagent/http.h"

int omega_http_listen(uint16_t *port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

int omega_http_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

void omega_http_conn_init(struct omega_http_conn *c, int fd)
{
    int one = 1;
    c->fd = fd;
    c->len = 0;
    if (fd >= 0)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int writev_all(int fd, struct iovec *v, int n)
{
    int i = 0;
    while (i < n) {
        ssize_t w = writev(fd, v + i, n - i);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        while (i < n && (size_t)w >= v[i].iov_len)
            w -= (ssize_t)v[i++].iov_len;
        if (i < n) {
            v[i].iov_base = (char *)v[i].iov_base + w;
            v[i].iov_len -= (size_t)w;
        }
    }
    return 0;
}

int omega_http_write_all(int fd, const void *p, size_t n)
{
    struct iovec v = {(void *)p, n};
    return writev_all(fd, &v, 1);
}

long omega_http_read(struct omega_http_conn *c, void *body, size_t cap)
{
    char *end;
    for (;;) {
        end = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (end)
            break;
        if (c->len == sizeof c->buf)
            return -1;
        ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
        if (r <= 0)
            return -1;
        c->len += (size_t)r;
    }
    size_t hlen = (size_t)(end - c->buf) + 4, clen = 0;
    int have = 0;
    for (char *l = memchr(c->buf, '\n', hlen); l && l + 1 < c->buf + hlen;
         l = memchr(l + 1, '\n', (size_t)(c->buf + hlen - l - 1)))
        if (strncasecmp(l + 1, "content-length:", 15) == 0) {
            char *e;
            clen = strtoul(l + 16, &e, 10);
            have = e != l + 16;
        }
    if (!have || clen > cap)
        return -1;
    size_t inbuf = c->len - hlen < clen ? c->len - hlen : clen;
    memcpy(body, c->buf + hlen, inbuf);
    memmove(c->buf, c->buf + hlen + inbuf, c->len - hlen - inbuf);
    c->len -= hlen + inbuf;
    while (inbuf < clen) {
        ssize_t r = read(c->fd, (char *)body + inbuf, clen - inbuf);
        if (r <= 0)
            return -1;
        inbuf += (size_t)r;
    }
    return (long)clen;
}

int omega_http_post(struct omega_http_conn *c, const char *host, const void *body, size_t n)
{
    char hdr[192];
    int hl = snprintf(hdr, sizeof hdr,
                      "POST /a2a HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                      host, n);
    struct iovec v[2] = {{hdr, (size_t)hl}, {(void *)body, n}};
    return writev_all(c->fd, v, 2);
}

int omega_http_respond(struct omega_http_conn *c, const void *body, size_t n)
{
    char hdr[128];
    int hl = snprintf(hdr, sizeof hdr, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n", n);
    struct iovec v[2] = {{hdr, (size_t)hl}, {(void *)body, n}};
    return writev_all(c->fd, v, 2);
}
