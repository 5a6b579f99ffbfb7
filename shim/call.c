/* call.c — allocation and release of struct lt_call; clocks.
 * Any thread. */
#include "call.h"

#include <time.h>

#include "mem.h"

struct lt_call *lt_call_new(size_t req_cap, size_t resp_cap)
{
    struct lt_call *c = lt_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    lt_buf_init(&c->req, req_cap ? req_cap : LT_CALL_REQ_CAP);
    lt_buf_init(&c->resp, resp_cap ? resp_cap : LT_CALL_RESP_CAP);
    return c;
}

void lt_call_free(struct lt_call *c)
{
    if (!c)
        return;
    lt_free(c->url);
    lt_buf_free(&c->req);
    lt_buf_free(&c->resp);
    lt_free(c);
}

int64_t lt_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t lt_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
