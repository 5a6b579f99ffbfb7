/* call.h — one captured LLM call as the program's thread hands it over:
 * raw request and response bytes, timings, status. The unit that travels
 * through the queue.
 *
 * Created by capture.c on the program's thread, moved into queue.c by
 * lt_queue_push (which takes ownership), consumed and freed by the
 * background thread with lt_call_free.
 */
#ifndef LT_CALL_H
#define LT_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include "../providers/provider.h"
#include "buf.h"

/* Named caps on what the program's thread copies (DESIGN: every captured body
 * has a named cap). 4 MiB of request covers long chat histories with tools;
 * 16 MiB of response covers the raw SSE of a long streamed answer, which is
 * several times the size of the text it carries. LLMTAP_MAX_REQUEST_BYTES /
 * LLMTAP_MAX_RESPONSE_BYTES override them. */
#define LT_CALL_REQ_CAP ((size_t)4 << 20)
#define LT_CALL_RESP_CAP ((size_t)16 << 20)

struct lt_call {
    struct lt_call *next;       /* queue link, owned by queue.c while queued */
    struct lt_match match;      /* what the URL matched (static strings) */
    char *url;                  /* owned; may hold secrets in the query: never exported */
    struct lt_buf req;          /* request body copy (bounded) */
    struct lt_buf resp;         /* response body copy as delivered (bounded) */
    uint64_t req_total;         /* request body size as sent (> req.len when cut) */
    uint64_t resp_total;        /* response bytes delivered (> resp.len when cut) */
    int64_t start_ns;           /* CLOCK_REALTIME, when the transfer started */
    int64_t first_byte_ns;      /* first response body byte; 0 = none */
    int64_t end_ns;             /* when the transfer ended */
    long http_status;           /* 0 when no response */
    int curl_code;              /* CURLcode of the transfer; 0 = OK */
    /* The transfer ended without libcurl reporting its result: the handle was
     * removed from its multi handle, reset or cleaned up before
     * curl_multi_info_read said it was done (PHP's curl_multi_exec loop never
     * asks). Whether it completed is judged from the bytes received. */
    bool no_result;
    /* The program's write callback took fewer bytes than it was given (or
     * returned an error value): the program itself ended the transfer
     * (CURLE_WRITE_ERROR), e.g. a user stopping a streamed answer. */
    bool write_refused;
    char content_type[128];     /* response Content-Type, "" if none */
    char content_encoding[32];  /* response Content-Encoding when libcurl did not decode */
    char request_id[128];       /* x-request-id / request-id / ... header, "" if none */
    char curl_error[96];        /* curl_easy_strerror text for curl_code */
};

/* Allocates a zeroed call with its buffers' caps set. NULL on failure. */
struct lt_call *lt_call_new(size_t req_cap, size_t resp_cap);
/* Frees everything the call owns (NULL is fine). Cannot fail. */
void lt_call_free(struct lt_call *c);

/* Wall-clock now in ns (CLOCK_REALTIME). Cannot fail. */
int64_t lt_now_ns(void);
/* Monotonic now in ns (CLOCK_MONOTONIC), for deadlines. Cannot fail. */
int64_t lt_mono_ns(void);

#endif
