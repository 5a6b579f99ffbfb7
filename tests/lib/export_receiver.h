/* export_receiver.h — a tiny HTTP/1.1 server on 127.0.0.1 for the exporter
 * and queue tests: an OTLP receiver that answers a fixed status, or a
 * backend that reads every request and never answers.
 *
 * Header-only (the unit-test rule links one .c per test): every function is
 * static. One acceptor thread, one thread per connection; what arrived is
 * kept under a mutex for the test to inspect. Start it inside a test case
 * (after the harness's fork); it lives until the case process ends.
 */
#ifndef EXPORT_RECEIVER_H
#define EXPORT_RECEIVER_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define EXPORT_RX_MAX_REQ 256

enum export_rx_mode {
    EXPORT_RX_REPLY, /* answer every request with `status` (keep-alive) */
    EXPORT_RX_HANG,  /* read every request, never answer */
};

struct export_rx_req {
    char *head; /* request line and headers, "\r\n" separated, NUL-terminated */
    char *body;
    size_t body_len;
    int conn;   /* connection number (1-based, in accept order) */
};

struct export_rx {
    int lfd;
    int port;
    enum export_rx_mode mode;
    int status;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int n_conn;
    int n_req;
    struct export_rx_req req[EXPORT_RX_MAX_REQ];
};

struct export_rx_conn {
    struct export_rx *rx;
    int fd;
    int id;
};

__attribute__((unused)) static const char *export_rx_header(const char *head, const char *name,
                                                             char *out, size_t n)
{
    size_t nl = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p, "\r\n")) {
        p += 2;
        if (!strncasecmp(p, name, nl) && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            size_t l = e ? (size_t)(e - v) : strlen(v);
            if (l >= n)
                l = n - 1;
            memcpy(out, v, l);
            out[l] = '\0';
            return out;
        }
    }
    return NULL;
}

static void *export_rx_serve(void *arg)
{
    struct export_rx_conn *cn = arg;
    struct export_rx *rx = cn->rx;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        char *end = NULL;
        while (buf && !(end = (len ? strstr(buf, "\r\n\r\n") : NULL))) {
            if (len == cap) {
                cap *= 2;
                buf = realloc(buf, cap + 1);
                if (!buf)
                    break;
            }
            ssize_t r = read(cn->fd, buf + len, cap - len);
            if (r <= 0)
                goto out;
            len += (size_t)r;
            buf[len] = '\0';
        }
        if (!buf)
            goto out;
        size_t head_len = (size_t)(end - buf) + 2;
        char v[64];
        size_t clen = 0;
        buf[head_len] = '\0'; /* end the head for the lookup, then restore */
        if (export_rx_header(buf, "Content-Length", v, sizeof v))
            clen = strtoul(v, NULL, 10);
        buf[head_len] = '\r';
        size_t need = head_len + 2 + clen;
        while (len < need) {
            if (need > cap) {
                cap = need;
                buf = realloc(buf, cap + 1);
                if (!buf)
                    goto out;
            }
            ssize_t r = read(cn->fd, buf + len, cap - len);
            if (r <= 0)
                goto out;
            len += (size_t)r;
            buf[len] = '\0';
        }
        struct export_rx_req q = { 0 };
        q.head = strndup(buf, head_len);
        q.body = malloc(clen + 1);
        memcpy(q.body, buf + head_len + 2, clen);
        q.body[clen] = '\0';
        q.body_len = clen;
        q.conn = cn->id;
        memmove(buf, buf + need, len - need);
        len -= need;
        buf[len] = '\0';
        pthread_mutex_lock(&rx->mu);
        if (rx->n_req < EXPORT_RX_MAX_REQ)
            rx->req[rx->n_req++] = q;
        enum export_rx_mode mode = rx->mode;
        int status = rx->status;
        pthread_cond_broadcast(&rx->cv);
        pthread_mutex_unlock(&rx->mu);
        if (mode == EXPORT_RX_HANG)
            continue; /* keep reading, never answer */
        char resp[160];
        int n = snprintf(resp, sizeof resp,
                         "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                         "Content-Length: 2\r\n\r\n{}",
                         status);
        if (write(cn->fd, resp, (size_t)n) != n)
            goto out;
    }
out:
    free(buf);
    close(cn->fd);
    free(cn);
    return NULL;
}

static void *export_rx_accept(void *arg)
{
    struct export_rx *rx = arg;
    for (;;) {
        int fd = accept(rx->lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        struct export_rx_conn *cn = malloc(sizeof *cn);
        cn->rx = rx;
        cn->fd = fd;
        pthread_mutex_lock(&rx->mu);
        cn->id = ++rx->n_conn;
        pthread_cond_broadcast(&rx->cv);
        pthread_mutex_unlock(&rx->mu);
        pthread_t t;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        pthread_create(&t, &a, export_rx_serve, cn);
        pthread_attr_destroy(&a);
    }
}

/* Listens on an ephemeral loopback port without starting any thread (so a
 * process can fork single-threaded); NULL on failure. Connections wait in
 * the backlog until export_rx_run. */
__attribute__((unused)) static struct export_rx *export_rx_listen(enum export_rx_mode mode,
                                                                   int status)
{
    struct export_rx *rx = calloc(1, sizeof *rx);
    rx->mode = mode;
    rx->status = status;
    pthread_mutex_init(&rx->mu, NULL);
    pthread_cond_init(&rx->cv, NULL);
    rx->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { 0 };
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (rx->lfd < 0 || bind(rx->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(rx->lfd, 64) != 0 || getsockname(rx->lfd, (struct sockaddr *)&a, &al) != 0)
        return NULL;
    rx->port = ntohs(a.sin_port);
    return rx;
}

/* Starts accepting (one thread, plus one per connection). */
__attribute__((unused)) static void export_rx_run(struct export_rx *rx)
{
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_create(&t, &at, export_rx_accept, rx);
    pthread_attr_destroy(&at);
}

/* Listens and runs; NULL on failure. */
__attribute__((unused)) static struct export_rx *export_rx_start(enum export_rx_mode mode,
                                                                  int status)
{
    struct export_rx *rx = export_rx_listen(mode, status);
    if (rx)
        export_rx_run(rx);
    return rx;
}

/* Waits until n requests arrived or timeout_ms passed; returns the count. */
__attribute__((unused)) static int export_rx_wait(struct export_rx *rx, int n, int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&rx->mu);
    while (rx->n_req < n && pthread_cond_timedwait(&rx->cv, &rx->mu, &ts) == 0) {
    }
    int got = rx->n_req;
    pthread_mutex_unlock(&rx->mu);
    return got;
}

/* Counts under the lock. */
__attribute__((unused)) static void export_rx_counts(struct export_rx *rx, int *n_req, int *n_conn)
{
    pthread_mutex_lock(&rx->mu);
    if (n_req)
        *n_req = rx->n_req;
    if (n_conn)
        *n_conn = rx->n_conn;
    pthread_mutex_unlock(&rx->mu);
}

/* A copy of request i (the strings stay owned by the receiver, which never
 * frees them). */
__attribute__((unused)) static struct export_rx_req export_rx_get(struct export_rx *rx, int i)
{
    pthread_mutex_lock(&rx->mu);
    struct export_rx_req q = rx->req[i];
    pthread_mutex_unlock(&rx->mu);
    return q;
}

/* A loopback port on which nothing listens (bound, then closed). */
__attribute__((unused)) static int export_rx_dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { 0 };
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0)
        return 1; /* port 1: nothing listens there either */
    close(fd);
    return ntohs(a.sin_port);
}

#endif
