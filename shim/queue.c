/* queue.c — the bounded queue of captured calls, the one "llmtap" thread
 * that turns them into spans and batches, the exit flush and the fork
 * handlers.
 *
 * Owns the queue (queue_lock), the batch being filled (the sender only), the
 * thread, the exit handler and the atfork handlers. queue_lock is held only
 * to push, pop and update counters: never across parsing, rendering, I/O or
 * a program callback. A span is exported at most once, and a fork child never
 * sends its parent's spans.
 * Threads: program threads (lt_queue_push, lt_queue_flush), the "llmtap"
 * thread (the sender), the exiting thread (exit handler; the sender itself
 * when no thread ever ran), the forking thread (atfork handlers).
 */
#include "queue.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h> /* types and constants only: zlib is found at run time, never linked */

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h> /* CURLcode values only */

#include "config.h"
#include "event.h"
#include "export.h"
#include "log.h"
#include "mem.h"
#include "resolve.h"
#include "trace.h"

/* Defaults for a configuration field left at 0 (config.h's own defaults). */
#define QUEUE_DEFAULT_MAX 10000u          /* LLMTAP_QUEUE_MAX */
#define QUEUE_DEFAULT_FLUSH_AT 512u       /* LANGFUSE_FLUSH_AT */
#define QUEUE_DEFAULT_BATCH_BYTES 3500000 /* Langfuse Cloud takes 5 MB a request */
#define QUEUE_DEFAULT_TIMEOUT_MS 5000     /* LANGFUSE_TIMEOUT */
/* The batch buffer keeps its allocation between batches up to this size;
 * beyond, it is freed so that one large batch does not pin megabytes. */
#define QUEUE_KEEP_BYTES ((size_t)256 << 10)
/* At exit the sender stops this much before the handler's deadline, so that
 * an aborted request has returned from libcurl before the handler gives up:
 * a tenth of LLMTAP_EXIT_TIMEOUT, at most 200 ms. */
#define QUEUE_EXIT_MARGIN_MAX_NS ((int64_t)200 * 1000000)

#define MS_NS ((int64_t)1000000)

/* While the sender sleeps until its batch is due, a push wakes it only once
 * this many calls wait: a program making calls in a row then costs one
 * wake-up per batch, not a context switch per call; the calls are parsed
 * at the latest when the batch leaves (LANGFUSE_FLUSH_INTERVAL). */
#define QUEUE_WAKE_AT 32

/* Everything below is guarded by queue_lock, except where noted. Written by
 * program threads (push, flush), the sender and the exit handler; reset by
 * the atfork child handler. */
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_wake;    /* the sender waits: a call, a flush, exit */
static pthread_cond_t queue_done_cv; /* flushers wait: seq_done moved */
static struct {
    struct lt_call *head, *tail;
    uint32_t len;
    uint64_t seq_in;        /* calls accepted so far (each call's sequence number) */
    uint64_t seq_popped;    /* calls taken by the sender */
    uint64_t seq_done;      /* calls 1..seq_done are exported, failed or dropped */
    uint64_t flush_want;    /* a flusher waits for calls 1..flush_want */
    uint64_t fail_lo;       /* calls of the last batch whose export failed */
    uint64_t fail_hi;
    bool thread_on;         /* the sender thread exists in this process */
    bool thread_failed;     /* pthread_create failed: the exit handler drains */
    bool stop;              /* exit: drain, send the rest and the process span, end */
    bool closed;            /* exit began: pushes are refused */
    bool timed_wait;        /* the sender sleeps until its batch is due */
    uint32_t batch_spans;   /* spans in the sender's batch while it sleeps */
    int64_t work_deadline;  /* lt_mono_ns: the exit drain ends by then */
    pthread_t thread;
} queue_q;

/* The batch being filled. Owner: the sender (the thread, or the exit handler
 * when no thread ran), without lock. queue_b_busy is set while the sender
 * modifies it, so that a fork child frees it only when it is consistent. */
static struct {
    struct lt_buf body;  /* head, then spans joined by ',' (tail added at send) */
    struct lt_buf span;  /* one rendered span, before it joins the body */
    uint32_t n;          /* spans in body */
    int64_t first_ns;    /* lt_mono_ns when the first waiting span arrived */
    uint64_t first_seq;  /* sequence numbers of the calls in body */
    uint64_t last_seq;
    uint64_t fail_lo;    /* last failed range, published under queue_lock */
    uint64_t fail_hi;
    int n_generations;   /* spans rendered by this process (process span) */
    size_t tail_len;     /* length of lt_event_body_tail's text */
} queue_b;
static _Atomic int queue_b_busy;

/* Set once per process image, never reset (a fork child inherits them with
 * the condvars, the atfork and the atexit registrations they stand for). */
static pthread_once_t queue_once = PTHREAD_ONCE_INIT;
static _Atomic int queue_ready;      /* queue_setup ran: condvars exist, atfork registered */
static _Atomic int queue_exit_armed; /* lt_queue_arm_exit registered the atexit handler */

/* ------------------------------------------------------------ small helpers */

/* The batch's buffers: LT_BUF_DEFAULT_CAP (64 MiB) bounds a single span;
 * the batch cap itself is enforced by queue_add_span. */
static void queue_batch_init(void)
{
    memset(&queue_b, 0, sizeof queue_b);
    lt_buf_init(&queue_b.body, 0);
    lt_buf_init(&queue_b.span, 0);
}

static void queue_cond_init(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&queue_wake, &a);
    pthread_cond_init(&queue_done_cv, &a);
    pthread_condattr_destroy(&a);
}

static struct timespec queue_ts(int64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) };
    return ts;
}

static uint32_t queue_max(const struct lt_config *cfg)
{
    return cfg->queue_max ? cfg->queue_max : QUEUE_DEFAULT_MAX;
}

static uint32_t queue_flush_at(const struct lt_config *cfg)
{
    return cfg->flush_at ? cfg->flush_at : QUEUE_DEFAULT_FLUSH_AT;
}

static size_t queue_cap(const struct lt_config *cfg)
{
    return cfg->batch_max_bytes ? cfg->batch_max_bytes : QUEUE_DEFAULT_BATCH_BYTES;
}

static int64_t queue_interval_ns(const struct lt_config *cfg)
{
    return cfg->flush_interval_ms > 0 ? cfg->flush_interval_ms * MS_NS : 0;
}

static int64_t queue_send_deadline(const struct lt_config *cfg, int64_t exit_deadline)
{
    if (exit_deadline)
        return exit_deadline;
    int64_t t = cfg->timeout_ms > 0 ? cfg->timeout_ms : QUEUE_DEFAULT_TIMEOUT_MS;
    return lt_mono_ns() + t * MS_NS;
}

static void queue_buf_restore(struct lt_buf *b, size_t len)
{
    b->len = len;
    if (b->data)
        b->data[len] = '\0';
    b->truncated = false;
    b->oom = false;
    b->dropped = 0;
}

static void queue_free_calls(struct lt_call *c)
{
    while (c) {
        struct lt_call *next = c->next;
        lt_call_free(c);
        c = next;
    }
}

/* ------------------------------------------------------------ fork */

static void queue_atfork_prepare(void)
{
    pthread_mutex_lock(&queue_lock);
}

static void queue_atfork_parent(void)
{
    pthread_mutex_unlock(&queue_lock);
}

/* The child has only the forking thread: the sender is gone, possibly in the
 * middle of anything but the queue (prepare held queue_lock). */
static void queue_atfork_child(void)
{
    pthread_mutex_init(&queue_lock, NULL);
    queue_cond_init();
    struct lt_call *calls = queue_q.head;
    memset(&queue_q, 0, sizeof queue_q);
    queue_free_calls(calls); /* the parent's calls: never ours to send */
    if (!atomic_load(&queue_b_busy)) {
        lt_buf_free(&queue_b.body);
        lt_buf_free(&queue_b.span);
    } /* else: the sender was writing it; leak rather than free a torn buffer */
    queue_batch_init();
    atomic_store(&queue_b_busy, 0);
    lt_trace_fork_child();
    lt_export_fork_child();
}

/* Once per process image: monotonic condvars and the fork handlers. Registered
 * outside queue_lock (fork takes glibc's atfork lock, then ours). */
static void queue_setup_once(void)
{
    queue_batch_init();
    queue_cond_init();
    pthread_atfork(queue_atfork_prepare, queue_atfork_parent, queue_atfork_child);
    atomic_store(&queue_ready, 1);
}

static void queue_setup(void)
{
    pthread_once(&queue_once, queue_setup_once);
}

/* ------------------------------------------------------------ inflating */

/* zlib's inflate, found at the first compressed response in the process
 * (libcurl loaded it; else loaded RTLD_LOCAL). Written once under
 * queue_z_once, read-only after; the handle is never closed. */
static struct {
    int (*init2)(z_streamp strm, int window_bits, const char *version, int stream_size);
    int (*inflate)(z_streamp strm, int flush);
    int (*end)(z_streamp strm);
} queue_z;
static pthread_once_t queue_z_once = PTHREAD_ONCE_INIT;

static void queue_z_load(void)
{
    void *h = dlopen("libz.so.1", RTLD_LAZY | RTLD_NOLOAD);
    if (!h)
        h = dlopen("libz.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!h)
        return;
    *(void **)&queue_z.init2 = dlsym(h, "inflateInit2_");
    *(void **)&queue_z.inflate = dlsym(h, "inflate");
    *(void **)&queue_z.end = dlsym(h, "inflateEnd");
}

/* Bytes inflated per step: one parser feed each. */
#define QUEUE_INFLATE_CHUNK 16384

/* Inflates body (gzip, zlib or, when raw is set, raw deflate) into the
 * parser, at most cap bytes. NULL when the whole body was inflated, else
 * what went wrong (static text). */
static const char *queue_inflate(struct lt_parser *p, const unsigned char *d, size_t n, size_t cap,
                                 bool raw, size_t *fed)
{
    pthread_once(&queue_z_once, queue_z_load);
    if (!queue_z.init2 || !queue_z.inflate || !queue_z.end)
        return "zlib not found";
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (queue_z.init2(&zs, raw ? -MAX_WBITS : MAX_WBITS + 32, ZLIB_VERSION, (int)sizeof zs) != Z_OK)
        return "cannot start inflating";
    unsigned char out[QUEUE_INFLATE_CHUNK];
    const char *why = NULL;
    zs.next_in = (Bytef *)d;
    zs.avail_in = (uInt)n; /* n <= the response cap, far below 4 GiB */
    for (;;) {
        zs.next_out = out;
        zs.avail_out = sizeof out;
        int zr = queue_z.inflate(&zs, Z_NO_FLUSH);
        size_t got = sizeof out - zs.avail_out;
        if (got > cap - *fed) {
            got = cap - *fed;
            why = "inflated body passes LLMTAP_MAX_RESPONSE_BYTES: cut";
        }
        if (got)
            lt_parser_feed(p, (const char *)out, got);
        *fed += got;
        if (why)
            break;
        if (zr == Z_STREAM_END)
            break;
        if (zr == Z_BUF_ERROR && zs.avail_in == 0) {
            why = "compressed body ends early";
            break;
        }
        if (zr != Z_OK) {
            why = "cannot inflate the body";
            break;
        }
    }
    queue_z.end(&zs);
    return why;
}

/* Feeds the response to the parser. A body libcurl left compressed (the
 * program sent its own Accept-Encoding without CURLOPT_ACCEPT_ENCODING) is
 * inflated first: gzip and deflate (as named by capture, or gzip recognised
 * by its magic bytes); any other coding is not decoded. Returns a warning
 * for the generation (static text, with the coding in enc_out) or NULL. */
static const char *queue_feed(struct lt_parser *p, const struct lt_call *c, size_t cap,
                              const char **enc_out)
{
    const unsigned char *d = (const unsigned char *)c->resp.data;
    size_t n = c->resp.len;
    const char *enc = c->content_encoding;
    *enc_out = enc;
    if (!n)
        return NULL;
    bool magic = n >= 3 && d[0] == 0x1f && d[1] == 0x8b && d[2] == 8;
    bool gzip = !strcasecmp(enc, "gzip") || !strcasecmp(enc, "x-gzip") || (!enc[0] && magic);
    bool deflate = !strcasecmp(enc, "deflate");
    if (!gzip && !deflate) {
        if (enc[0] && strcasecmp(enc, "identity"))
            return "not decoded"; /* br, zstd, ...: the parser would read noise */
        lt_parser_feed(p, c->resp.data, n);
        return NULL;
    }
    *enc_out = gzip ? "gzip" : "deflate";
    size_t fed = 0;
    const char *why = queue_inflate(p, d, n, cap, false, &fed);
    /* "deflate" is meant to be zlib-wrapped; some servers send it raw */
    if (why && deflate && fed == 0)
        why = queue_inflate(p, d, n, cap, true, &fed);
    return why;
}

/* ------------------------------------------------------------ transfer end */

/* Something a program would call an answer: text, tool calls, reasoning or
 * vectors, and no error said by the provider. */
static bool queue_usable(const struct lt_generation *g, long http_status)
{
    if (g->level == LT_LEVEL_ERROR || http_status >= 400)
        return false;
    return (g->output_text && g->output_text[0]) || (g->reasoning_text && g->reasoning_text[0]) ||
           g->n_tool_calls > 0 || g->n_embeddings > 0;
}

/* Folds libcurl's verdict on a transfer that did not end well (curl_code
 * != 0) into the generation, which keeps what arrived (DESIGN: errors and
 * partial results). A cut or aborted transfer whose answer is usable is a
 * WARNING, anything else an ERROR; the message says what happened first,
 * e.g. "transfer cut off: Timeout was reached (28) after 700 bytes", then
 * what the provider or the decoder said. An HTTP error keeps the provider's
 * message first. The curl code and text also go to metadata. */
static void queue_transfer_status(struct lt_generation *g, const struct lt_call *c)
{
    char what[192];
    const char *how = c->resp_total == 0 ? "transfer failed" : "transfer cut off";
    if (c->curl_code == CURLE_ABORTED_BY_CALLBACK || (c->curl_code == CURLE_WRITE_ERROR && c->write_refused))
        how = "transfer aborted by the program";
    const char *err = c->curl_error[0] ? c->curl_error : "curl error";
    if (c->resp_total)
        snprintf(what, sizeof what, "%s: %.96s (%d) after %llu bytes", how, err, c->curl_code,
                 (unsigned long long)c->resp_total);
    else
        snprintf(what, sizeof what, "%s: %.96s (%d)", how, err, c->curl_code);

    char *said = g->status_message; /* the provider's or the decoder's word */
    g->status_message = NULL;
    if (g->level == LT_LEVEL_ERROR || c->http_status >= 400) {
        if (said)
            lt_generation_set_status(g, LT_LEVEL_ERROR, "%s; %s", said, what);
        else if (c->http_status >= 400)
            lt_generation_set_status(g, LT_LEVEL_ERROR, "HTTP %ld; %s", c->http_status, what);
        else
            lt_generation_set_status(g, LT_LEVEL_ERROR, "%s", what);
    } else {
        enum lt_level level = queue_usable(g, c->http_status) ? LT_LEVEL_WARNING : LT_LEVEL_ERROR;
        lt_generation_set_status(g, level, "%s%s%s", what, said ? "; " : "", said ? said : "");
    }
    lt_free(said);

    char num[16];
    snprintf(num, sizeof num, "%d", c->curl_code);
    lt_generation_add_meta(g, "curl_code", lt_strdup(num));
    if (c->curl_error[0])
        lt_generation_add_meta(g, "curl_error", lt_strndup(c->curl_error, sizeof c->curl_error));
}

/* ------------------------------------------------------------ rendering */

/* Parses call c and appends its span to out. LT_ERR_SKIP when the body shows
 * it is no LLM call; out is unchanged on any failure. Borrows c. */
static enum lt_rc queue_render_span(const struct lt_config *cfg, const struct lt_process *proc,
                                    const struct lt_call *c, struct lt_buf *out)
{
    struct lt_parse_in in = {
        .api = c->match.api,
        .provider = c->match.provider,
        .known_host = c->match.known_host,
        .url = c->url,
        .req = c->req.data,
        .req_len = c->req.len,
        .http_status = c->http_status,
        .content_type = c->content_type[0] ? c->content_type : NULL,
    };
    struct lt_parser *p = NULL;
    enum lt_rc rc = lt_parser_new(&in, &p);
    if (rc == LT_ERR_SKIP) {
        lt_log("call to a %s-shaped endpoint is no LLM call: not exported",
               c->match.provider ? c->match.provider : "provider");
        return rc;
    }
    if (rc != LT_OK || !p)
        return rc != LT_OK ? rc : LT_ERR_UNAVAIL;
    const char *enc = "";
    const char *zwarn = queue_feed(p, c, cfg->max_response_bytes ? cfg->max_response_bytes
                                                                  : LT_CALL_RESP_CAP, &enc);
    struct lt_generation g;
    memset(&g, 0, sizeof g);
    /* A copy cut at LLMTAP_MAX_RESPONSE_BYTES reads as an answer that
     * stopped there: the module keeps what it got and says it is partial. */
    bool resp_cut = c->resp_total > c->resp.len;
    rc = lt_parser_finish(p, c->curl_code == 0 && !resp_cut, &g);
    lt_parser_free(p);
    if (rc == LT_OK && zwarn && g.level != LT_LEVEL_ERROR)
        lt_generation_set_status(&g, LT_LEVEL_WARNING, "response body is %.31s-encoded: %s", enc,
                                 zwarn);
    if (rc == LT_OK && resp_cut && c->curl_code == 0 && g.level != LT_LEVEL_ERROR) {
        char *said = g.status_message; /* the module's word comes after ours */
        g.status_message = NULL;
        lt_generation_set_status(&g, LT_LEVEL_WARNING,
                                 "response of %llu bytes is over LLMTAP_MAX_RESPONSE_BYTES: the first %zu read%s%s",
                                 (unsigned long long)c->resp_total, c->resp.len, said ? "; " : "", said ? said : "");
        lt_free(said);
    }
    if (rc == LT_OK && c->req_total > c->req.len && g.level != LT_LEVEL_ERROR) {
        char *said = g.status_message;
        g.status_message = NULL;
        lt_generation_set_status(&g, LT_LEVEL_WARNING,
                                 "request of %llu bytes is over LLMTAP_MAX_REQUEST_BYTES: its input is not read%s%s",
                                 (unsigned long long)c->req_total, said ? "; " : "", said ? said : "");
        lt_free(said);
    }
    /* The transfer's verdict is decided here, once, into the generation:
     * event.c gets a view of the call without the curl code, so it does
     * not judge the level again. */
    struct lt_call view = *c;
    if (rc == LT_OK && c->curl_code != 0) {
        queue_transfer_status(&g, c);
        view.curl_code = 0;
        view.curl_error[0] = '\0';
    }
    if (rc == LT_OK) {
        char span_id[17];
        lt_trace_new_span_id(span_id);
        size_t mark = out->len;
        rc = lt_event_generation(out, cfg, proc, &view, &g, span_id);
        if (rc != LT_OK)
            queue_buf_restore(out, mark);
    }
    lt_generation_free(&g);
    return rc;
}

/* ------------------------------------------------------------ the sender */

/* Sends the batch (adding the tail) and empties it. Sender only, no lock. */
static enum lt_rc queue_send_batch(const struct lt_config *cfg, int64_t exit_deadline)
{
    if (!queue_b.n)
        return LT_OK;
    atomic_store(&queue_b_busy, 1);
    enum lt_rc rc = lt_event_body_tail(&queue_b.body);
    atomic_store(&queue_b_busy, 0);
    if (rc == LT_OK)
        rc = lt_export_send(cfg, queue_b.body.data, queue_b.body.len,
                            queue_send_deadline(cfg, exit_deadline));
    if (lt_export_abandoned())
        lt_export_park(); /* the exit handler has moved on: touch nothing more */
    if (rc != LT_OK) {
        lt_log("batch of %u span(s) not exported", queue_b.n);
        queue_b.fail_lo = queue_b.first_seq;
        queue_b.fail_hi = queue_b.last_seq;
    }
    atomic_store(&queue_b_busy, 1);
    if (queue_b.body.alloc > QUEUE_KEEP_BYTES)
        lt_buf_free(&queue_b.body);
    else
        lt_buf_reset(&queue_b.body);
    queue_b.n = 0;
    atomic_store(&queue_b_busy, 0);
    return rc;
}

/* Appends queue_b.span to the batch, sending first when it would pass the
 * byte cap and after when FLUSH_AT spans wait. Sender only, no lock. */
static void queue_add_span(const struct lt_config *cfg, const struct lt_process *proc,
                           uint64_t seq, int64_t exit_deadline)
{
    size_t cap = queue_cap(cfg);
    size_t span_len = queue_b.span.len;
    if (queue_b.n && queue_b.body.len + 1 + span_len + queue_b.tail_len > cap)
        queue_send_batch(cfg, exit_deadline);
    atomic_store(&queue_b_busy, 1);
    enum lt_rc rc = LT_OK;
    size_t mark = queue_b.body.len;
    if (!queue_b.n) {
        lt_buf_reset(&queue_b.body);
        mark = 0;
        if (!queue_b.tail_len) {
            struct lt_buf t;
            lt_buf_init(&t, 64);
            if (lt_event_body_tail(&t) == LT_OK)
                queue_b.tail_len = t.len;
            lt_buf_free(&t);
        }
        rc = lt_event_body_head(&queue_b.body, cfg, proc);
        if (rc == LT_OK && queue_b.body.len + span_len + queue_b.tail_len > cap)
            lt_log("span of %zu bytes passes LLMTAP_BATCH_MAX_BYTES (%zu): sent alone", span_len,
                   cap);
    } else {
        rc = lt_buf_addc(&queue_b.body, ',');
    }
    if (rc == LT_OK)
        rc = lt_buf_add(&queue_b.body, queue_b.span.data, span_len);
    if (rc != LT_OK) {
        queue_buf_restore(&queue_b.body, mark);
        atomic_store(&queue_b_busy, 0);
        lt_log("span dropped: cannot add it to the batch");
        return;
    }
    if (!queue_b.n++) {
        queue_b.first_ns = lt_mono_ns();
        queue_b.first_seq = seq;
    }
    queue_b.last_seq = seq;
    bool full = queue_b.n >= queue_flush_at(cfg) ||
                queue_b.body.len + queue_b.tail_len >= cap;
    atomic_store(&queue_b_busy, 0);
    if (full)
        queue_send_batch(cfg, exit_deadline);
}

/* Turns one call into a span in the batch; frees the call. Sender only. */
static void queue_process(const struct lt_config *cfg, struct lt_call *c, uint64_t seq,
                          int64_t exit_deadline)
{
    if (exit_deadline && lt_mono_ns() >= exit_deadline) {
        lt_log_once(LT_ONCE_EXPORT_FAIL, "exit timeout reached: calls still queued are lost");
        lt_call_free(c);
        return;
    }
    const struct lt_process *proc = lt_trace_process();
    atomic_store(&queue_b_busy, 1);
    lt_buf_reset(&queue_b.span);
    enum lt_rc rc = queue_render_span(cfg, proc, c, &queue_b.span);
    atomic_store(&queue_b_busy, 0);
    lt_call_free(c);
    if (rc == LT_ERR_SKIP)
        return;
    if (rc != LT_OK) {
        lt_log("call not exported: cannot render its span (error %d)", (int)rc);
        return;
    }
    queue_b.n_generations++;
    queue_add_span(cfg, proc, seq, exit_deadline);
    if (queue_b.span.alloc > QUEUE_KEEP_BYTES) {
        atomic_store(&queue_b_busy, 1);
        lt_buf_free(&queue_b.span); /* one huge span must not pin its buffer */
        atomic_store(&queue_b_busy, 0);
    }
}

/* Publishes progress: every call up to the batch's first is finished.
 * queue_lock held. */
static void queue_publish_locked(void)
{
    uint64_t done = queue_b.n ? queue_b.first_seq - 1 : queue_q.seq_popped;
    if (queue_b.fail_hi) {
        queue_q.fail_lo = queue_b.fail_lo;
        queue_q.fail_hi = queue_b.fail_hi;
        queue_b.fail_lo = queue_b.fail_hi = 0;
    }
    if (done != queue_q.seq_done) {
        queue_q.seq_done = done;
        pthread_cond_broadcast(&queue_done_cv);
    }
}

/* The sender's loop: run by the thread for its whole life, or once by the
 * exit handler when no thread ever ran. Returns after exit asked it to stop,
 * the queue is drained and the rest plus the process span were sent. */
static void queue_sender(void)
{
    const struct lt_config *cfg = lt_config_get();
    int64_t interval = queue_interval_ns(cfg);
    /* When a batch falls due, the calls already waiting join it first (the
     * sender may have slept past their push): at most as many as were
     * queued at that moment, so that a steady stream of calls cannot hold
     * the batch back. UINT32_MAX: no batch is due. */
    uint32_t drain = UINT32_MAX;
    pthread_mutex_lock(&queue_lock);
    for (;;) {
        int64_t exit_deadline = queue_q.stop ? queue_q.work_deadline : 0;
        bool want = queue_q.flush_want > queue_q.seq_done &&
                    queue_q.seq_popped >= queue_q.flush_want;
        bool due = queue_b.n && (want || lt_mono_ns() >= queue_b.first_ns + interval);
        if (!due)
            drain = UINT32_MAX; /* a span may have sent the batch meanwhile */
        else if (drain == UINT32_MAX)
            drain = queue_q.len;
        if (due && drain > 0 && queue_q.head) {
            drain--; /* take a waiting call into the batch first */
        } else if (due) {
            drain = UINT32_MAX;
            pthread_mutex_unlock(&queue_lock);
            queue_send_batch(cfg, exit_deadline);
            pthread_mutex_lock(&queue_lock);
            queue_publish_locked();
            continue;
        }
        struct lt_call *c = queue_q.head;
        if (c) {
            queue_q.head = c->next;
            if (!queue_q.head)
                queue_q.tail = NULL;
            queue_q.len--;
            c->next = NULL;
            uint64_t seq = ++queue_q.seq_popped;
            pthread_mutex_unlock(&queue_lock);
            queue_process(cfg, c, seq, exit_deadline);
            pthread_mutex_lock(&queue_lock);
            queue_publish_locked();
            continue;
        }
        if (queue_q.stop)
            break;
        if (queue_b.n) {
            struct timespec ts = queue_ts(queue_b.first_ns + interval);
            queue_q.timed_wait = true;
            queue_q.batch_spans = (uint32_t)queue_b.n;
            pthread_cond_timedwait(&queue_wake, &queue_lock, &ts);
            queue_q.timed_wait = false;
        } else {
            pthread_cond_wait(&queue_wake, &queue_lock);
        }
    }
    int64_t exit_deadline = queue_q.work_deadline;
    uint64_t last_seq = queue_q.seq_popped;
    pthread_mutex_unlock(&queue_lock);

    /* Exit: the rest of the batch, with the process span when this process
     * rendered any generation. */
    if (queue_b.n_generations > 0 && lt_mono_ns() < exit_deadline) {
        const struct lt_process *proc = lt_trace_process();
        atomic_store(&queue_b_busy, 1);
        lt_buf_reset(&queue_b.span);
        enum lt_rc rc = lt_event_process_span(&queue_b.span, cfg, proc, lt_now_ns(),
                                              queue_b.n_generations);
        atomic_store(&queue_b_busy, 0);
        if (rc == LT_OK)
            queue_add_span(cfg, proc, last_seq, exit_deadline);
        else
            lt_log("process span not exported (error %d)", (int)rc);
    }
    queue_send_batch(cfg, exit_deadline);
    pthread_mutex_lock(&queue_lock);
    queue_publish_locked();
    pthread_mutex_unlock(&queue_lock);
}

static void *queue_main(void *arg)
{
    (void)arg;
    lt_tls_internal = 1; /* for its whole life: our libcurl traffic is never captured */
    pthread_setname_np(pthread_self(), "llmtap");
    queue_sender();
    return NULL;
}

/* Starts the sender with every signal blocked. queue_lock held. */
static void queue_start_locked(void)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&queue_q.thread, NULL, queue_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        queue_q.thread_failed = true;
        lt_log("cannot start the llmtap thread (%s): calls are sent at exit", strerror(e));
        return;
    }
    queue_q.thread_on = true;
}

/* ------------------------------------------------------------ exit */

static void queue_atexit(void)
{
    if (!atomic_load(&queue_ready))
        return; /* nothing was ever pushed in this process */
    const struct lt_config *cfg = lt_config_get();
    int64_t budget = cfg->exit_timeout_ms > 0 ? cfg->exit_timeout_ms * MS_NS : 0;
    int64_t now = lt_mono_ns();
    int64_t margin = budget / 10 < QUEUE_EXIT_MARGIN_MAX_NS ? budget / 10 : QUEUE_EXIT_MARGIN_MAX_NS;
    int64_t work_deadline = now + budget - margin;
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    int64_t rt_deadline = (int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec + budget;

    /* Bounded even against a lock that can never be had (exit() called from
     * a signal handler that interrupted a push). */
    struct timespec lock_by = queue_ts(rt_deadline);
    if (pthread_mutex_timedlock(&queue_lock, &lock_by) != 0)
        return;
    if (queue_q.closed) {
        pthread_mutex_unlock(&queue_lock);
        return;
    }
    queue_q.closed = true;
    queue_q.stop = true;
    queue_q.work_deadline = work_deadline > now ? work_deadline : now;
    bool on = queue_q.thread_on;
    bool pending = queue_q.head != NULL;
    pthread_t t = queue_q.thread;
    pthread_cond_broadcast(&queue_wake);
    pthread_mutex_unlock(&queue_lock);
    lt_export_cut_deadline(work_deadline);

    if (on) {
        struct timespec ts = queue_ts(rt_deadline);
        int e = pthread_timedjoin_np(t, NULL, &ts);
        if (e == 0) {
            lt_export_shutdown();
        } else {
            /* Stuck in I/O: leave it; it parks before touching libcurl again. */
            lt_export_abandon();
            lt_log("exit: the export did not finish within LLMTAP_EXIT_TIMEOUT; giving up");
        }
        return;
    }
    if (pending) {
        /* No thread ever ran (pthread_create failed): send from here. */
        int saved = lt_tls_internal;
        lt_tls_internal = 1;
        queue_sender();
        lt_export_shutdown();
        lt_tls_internal = saved;
    }
}

/* ------------------------------------------------------------ API */

enum lt_rc lt_queue_push(struct lt_call *c)
{
    if (!c)
        return LT_ERR_INVALID;
    const struct lt_config *cfg = lt_config_get();
    if (!cfg->enabled) {
        lt_call_free(c);
        return LT_ERR_SKIP;
    }
    if (cfg->dest == LT_DEST_NONE) {
        lt_log_once(LT_ONCE_OUTPUT, "no destination configured: calls are not exported");
        lt_call_free(c);
        return LT_ERR_SKIP;
    }
    lt_trace_init();
    if (!lt_trace_process()->sampled) {
        lt_log_once(LT_ONCE_SAMPLED_OUT, "trace not sampled (LANGFUSE_SAMPLE_RATE): nothing exported");
        lt_call_free(c);
        return LT_ERR_SKIP;
    }
    queue_setup();
    c->next = NULL;
    pthread_mutex_lock(&queue_lock);
    if (queue_q.closed) {
        pthread_mutex_unlock(&queue_lock);
        lt_call_free(c);
        return LT_ERR_SKIP;
    }
    if (queue_q.len >= queue_max(cfg)) {
        pthread_mutex_unlock(&queue_lock);
        lt_log_once(LT_ONCE_QUEUE_FULL, "queue full (LLMTAP_QUEUE_MAX=%u): calls are dropped",
                    queue_max(cfg));
        lt_call_free(c);
        return LT_ERR_NOMEM;
    }
    if (queue_q.tail)
        queue_q.tail->next = c;
    else
        queue_q.head = c;
    queue_q.tail = c;
    queue_q.len++;
    queue_q.seq_in++;
    if (!queue_q.thread_on && !queue_q.thread_failed)
        queue_start_locked();
    /* Wake the sleeping sender when the batch would reach LANGFUSE_FLUSH_AT
     * with the waiting calls, or when QUEUE_WAKE_AT calls wait. */
    if (!queue_q.timed_wait || queue_q.len >= QUEUE_WAKE_AT ||
        (uint64_t)queue_q.batch_spans + queue_q.len >= cfg->flush_at)
        pthread_cond_signal(&queue_wake);
    pthread_mutex_unlock(&queue_lock);
    return LT_OK;
}

enum lt_rc lt_queue_flush(int64_t timeout_ms)
{
    if (!atomic_load(&queue_ready))
        return LT_OK; /* nothing was ever pushed */
    int64_t deadline = lt_mono_ns() + (timeout_ms > 0 ? timeout_ms : 0) * MS_NS;
    enum lt_rc rc = LT_OK;
    pthread_mutex_lock(&queue_lock);
    uint64_t target = queue_q.seq_in;
    uint64_t from = queue_q.seq_done;
    if (from < target) {
        if (!queue_q.thread_on && !queue_q.thread_failed && !queue_q.closed)
            queue_start_locked();
        if (!queue_q.thread_on && !queue_q.closed) {
            pthread_mutex_unlock(&queue_lock);
            return LT_ERR_UNAVAIL;
        }
        if (queue_q.flush_want < target)
            queue_q.flush_want = target;
        pthread_cond_signal(&queue_wake);
        struct timespec ts = queue_ts(deadline);
        while (queue_q.seq_done < target) {
            if (pthread_cond_timedwait(&queue_done_cv, &queue_lock, &ts) == ETIMEDOUT)
                break;
        }
        if (queue_q.seq_done < target)
            rc = LT_ERR_TIMEOUT;
        else if (queue_q.fail_hi > from && queue_q.fail_lo <= target)
            rc = LT_ERR_IO;
    }
    pthread_mutex_unlock(&queue_lock);
    return rc;
}

void lt_queue_arm_exit(void)
{
    if (atomic_exchange(&queue_exit_armed, 1))
        return;
    /* The fork handlers too: a fork between the first LLM call and its push
     * must already give the child its own process span. */
    queue_setup();
    atexit(queue_atexit);
}

enum lt_rc lt_queue_render_call(struct lt_call *c, struct lt_buf *out)
{
    if (!c || !out)
        return LT_ERR_INVALID;
    const struct lt_config *cfg = lt_config_get();
    lt_trace_init();
    const struct lt_process *proc = lt_trace_process();
    size_t mark = out->len;
    enum lt_rc rc = lt_event_body_head(out, cfg, proc);
    if (rc == LT_OK)
        rc = queue_render_span(cfg, proc, c, out);
    if (rc == LT_OK)
        rc = lt_event_body_tail(out);
    if (rc != LT_OK)
        queue_buf_restore(out, mark);
    return rc;
}
