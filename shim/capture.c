/* capture.c — records the options that matter, tees an LLM transfer's
 * callbacks, times it, and hands the finished call to the queue.
 *
 * Owns the lifetime of a struct lt_call until lt_queue_push takes it.
 * Runs on the program's threads inside the hooks and inside libcurl's
 * callbacks. Only records and copies (bounded); never parses, never does I/O
 * of its own, never holds a lock while the program's code runs. The tees
 * recognise their state only by address (lt_registry_from_userdata) and
 * give the program's callbacks the same arguments libcurl would have.
 */
#include "capture.h"

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "queue.h"
#include "trace.h"

/* A copy of CURLOPT_COPYPOSTFIELDS is taken before the call's caps are
 * known (the option often comes before CURLOPT_URL): the default cap. */
#define CAPTURE_COPY_CAP LT_CALL_REQ_CAP

static pthread_once_t capture_providers_once = PTHREAD_ONCE_INIT;

static void capture_configure_providers(void)
{
    lt_provider_configure(getenv("LLMTAP_PROVIDERS"));
}

static void capture_drop_copy(struct lt_slot *s)
{
    lt_free(s->copied);
    s->copied = NULL;
    s->copied_len = 0;
    s->copied_total = 0;
}

static void capture_classify(struct lt_slot *s, const char *url)
{
    struct lt_match m;
    pthread_once(&capture_providers_once, capture_configure_providers);
    lt_free(s->url);
    s->url = NULL;
    if (url && lt_provider_match_url(url, &m)) {
        s->url = lt_strdup(url);
        if (s->url) {
            s->match = m;
            s->url_state = LT_URL_LLM;
            if (!atomic_load_explicit(&lt_registry_llm_seen, memory_order_relaxed))
                atomic_store_explicit(&lt_registry_llm_seen, 1, memory_order_relaxed);
            return;
        }
    }
    s->url_state = url ? LT_URL_OTHER : LT_URL_UNKNOWN;
    /* DESIGN: drop a COPYPOSTFIELDS copy once the URL turns out not LLM. */
    if (s->url_state == LT_URL_OTHER)
        capture_drop_copy(s);
}

static bool capture_option_pre(struct lt_slot *s, int opt, void *arg)
{
    switch (opt) {
    case CURLOPT_WRITEFUNCTION:
        if (!s->tee_write)
            return true;
        s->writefn = arg;
        return false;
    case CURLOPT_WRITEDATA:
        if (!s->tee_write)
            return true;
        s->writedata = arg;
        s->writedata_set = true;
        return false;
    case CURLOPT_READFUNCTION:
        if (!s->tee_read)
            return true;
        s->readfn = arg;
        return false;
    case CURLOPT_READDATA:
        if (!s->tee_read)
            return true;
        s->readdata = arg;
        s->readdata_set = true;
        return false;
    case CURLOPT_HEADERFUNCTION:
        if (!s->tee_header)
            return true;
        s->headerfn = arg;
        return false;
    case CURLOPT_HEADERDATA:
        if (!s->tee_header)
            return true;
        s->headerdata = arg;
        return false;
    default:
        return true;
    }
}

static void capture_copy_postfields(struct lt_slot *s, const char *data)
{
    capture_drop_copy(s);
    s->postfields = NULL;
    if (!data || s->url_state == LT_URL_OTHER)
        return;
    uint64_t size = s->postsize_set && s->postsize >= 0 ? (uint64_t)s->postsize : strlen(data);
    size_t keep = size > CAPTURE_COPY_CAP ? CAPTURE_COPY_CAP : (size_t)size;
    s->copied = lt_malloc(keep + 1);
    if (!s->copied)
        return;
    memcpy(s->copied, data, keep);
    s->copied[keep] = '\0';
    s->copied_len = keep;
    s->copied_total = size;
}

static void capture_set_postsize(struct lt_slot *s, int64_t size)
{
    /* libcurl frees its COPYPOSTFIELDS copy when the size grows past it. */
    if (s->copied && (size < 0 || (uint64_t)size > s->copied_total))
        capture_drop_copy(s);
    s->postsize = size;
    s->postsize_set = true;
}

static void capture_option_post(struct lt_slot *s, enum lt_flavour f, int opt, void *arg)
{
    s->flavour = (uint8_t)f;
    switch (opt) {
    case CURLOPT_URL:
        capture_classify(s, arg);
        break;
    case CURLOPT_WRITEFUNCTION:
        s->writefn = arg;
        break;
    case CURLOPT_WRITEDATA:
        s->writedata = arg;
        s->writedata_set = true;
        break;
    case CURLOPT_READFUNCTION:
        s->readfn = arg;
        break;
    case CURLOPT_READDATA:
        s->readdata = arg;
        s->readdata_set = true;
        break;
    case CURLOPT_HEADERFUNCTION:
        s->headerfn = arg;
        break;
    case CURLOPT_HEADERDATA:
        s->headerdata = arg;
        break;
    case CURLOPT_POSTFIELDS:
        capture_drop_copy(s);
        s->postfields = arg;
        break;
    case CURLOPT_POSTFIELDSIZE:
        capture_set_postsize(s, (long)(intptr_t)arg);
        break;
    case CURLOPT_POSTFIELDSIZE_LARGE:
        capture_set_postsize(s, (curl_off_t)(intptr_t)arg);
        break;
    case CURLOPT_COPYPOSTFIELDS:
        capture_copy_postfields(s, arg);
        break;
    case CURLOPT_ACCEPT_ENCODING:
        s->decodes = arg != NULL;
        break;
    case CURLOPT_HTTP_CONTENT_DECODING:
        s->no_decoding = (long)(intptr_t)arg == 0;
        break;
    default:
        break;
    }
}

int lt_capture_setopt(struct lt_slot *s, const struct lt_curl_api *api, enum lt_flavour f, void *h, int opt,
                      void *arg)
{
    if (!capture_option_pre(s, opt, arg))
        return CURLE_OK;
    int rc = api->easy_setopt(h, opt, arg);
    if (rc == CURLE_OK)
        capture_option_post(s, f, opt, arg);
    return rc;
}

/* libcurl's defaults when the program set no data pointer. */
static void *capture_writedata(const struct lt_slot *s)
{
    return s->writedata_set ? s->writedata : (void *)stdout;
}

static void *capture_readdata(const struct lt_slot *s)
{
    return s->readdata_set ? s->readdata : (void *)stdin;
}

static size_t capture_write(char *ptr, size_t size, size_t n, void *ud)
{
    struct lt_slot *s = lt_registry_from_userdata(ud);
    if (!s) {
        /* Not our state: libcurl's own default for a foreign pointer. */
        lt_log_once(LT_ONCE_FOREIGN_USERDATA, "write callback got a pointer that is not llmtap's: forwarded to fwrite");
        return fwrite(ptr, size, n, ud);
    }
    size_t ret = s->writefn ? ((curl_write_callback)s->writefn)(ptr, size, n, capture_writedata(s))
                            : fwrite(ptr, size, n, capture_writedata(s));
    struct lt_call *c = s->call;
    size_t total = size * n;
    if (c) {
        if (!c->first_byte_ns)
            c->first_byte_ns = lt_now_ns();
        /* PAUSE: libcurl delivers the same bytes again later. A short write
         * (or CURL_WRITEFUNC_ERROR) ends the transfer: keep only what the
         * program took, and remember that the program ended it. */
        if (ret != CURL_WRITEFUNC_PAUSE && ret != total)
            c->write_refused = true;
        if (ret != CURL_WRITEFUNC_PAUSE && ret <= total && ret) {
            c->resp_total += ret;
            if (lt_buf_add(&c->resp, ptr, ret) != LT_OK)
                lt_log_once(LT_ONCE_BODY_CAP, "response body over its capture cap: the rest is not kept");
        }
    }
    return ret;
}

static size_t capture_header(char *ptr, size_t size, size_t n, void *ud)
{
    struct lt_slot *s = lt_registry_from_userdata(ud);
    if (!s)
        return size * n;
    /* Installed only where the program set HEADERDATA without a
     * HEADERFUNCTION: libcurl would hand header lines to the write
     * callback with the HEADERDATA pointer. */
    if (s->headerfn)
        return ((curl_write_callback)s->headerfn)(ptr, size, n, s->headerdata);
    if (s->writefn)
        return ((curl_write_callback)s->writefn)(ptr, size, n, s->headerdata);
    return fwrite(ptr, size, n, s->headerdata);
}

static size_t capture_read(char *buf, size_t size, size_t n, void *ud)
{
    struct lt_slot *s = lt_registry_from_userdata(ud);
    if (!s)
        return fread(buf, size, n, ud);
    size_t ret = s->readfn ? ((curl_read_callback)s->readfn)(buf, size, n, capture_readdata(s))
                           : fread(buf, size, n, capture_readdata(s));
    struct lt_call *c = s->call;
    if (c && ret <= size * n && ret) { /* ABORT and PAUSE are larger */
        c->req_total += ret;
        lt_buf_add(&c->req, buf, ret);
    }
    return ret;
}

static void capture_copy_request(struct lt_slot *s, struct lt_call *c)
{
    if (s->copied) {
        lt_buf_add(&c->req, s->copied, s->copied_len);
        c->req_total = s->copied_total;
    } else if (s->postfields) {
        uint64_t size = s->postsize_set && s->postsize >= 0 ? (uint64_t)s->postsize
                                                          : strlen(s->postfields);
        size_t keep = size > c->req.cap ? c->req.cap : (size_t)size;
        lt_buf_add(&c->req, s->postfields, keep);
        c->req_total = size;
    }
}

/* A URL that only looks like an LLM endpoint (a /responses or /v1/messages
 * of some other API) is captured only when its body could be that API's
 * request: a GET, or a body without the API's member names, passes through
 * untouched, with no cJSON load, thread or exit handler. Only the part the
 * capture would keep is scanned (a cut body never parses anyway). */
static bool capture_worth_it(const struct lt_slot *s, const struct lt_config *cfg)
{
    if (s->match.known_host)
        return true;
    const char *body = NULL;
    size_t len = 0;
    if (s->copied) {
        body = s->copied;
        len = s->copied_len;
    } else if (s->postfields) {
        uint64_t size = s->postsize_set && s->postsize >= 0 ? (uint64_t)s->postsize : strlen(s->postfields);
        body = s->postfields;
        len = size > cfg->max_request_bytes ? cfg->max_request_bytes : (size_t)size;
    }
    return lt_provider_body_may_match(&s->match, body, len, !body && (s->readfn || s->readdata_set));
}

void lt_capture_begin(struct lt_slot *s, void *h, enum lt_flavour f)
{
    if (s->call) /* a new perform ends the previous transfer */
        lt_capture_end(s, h, f, 0, false);
    const struct lt_config *cfg = lt_config_get();
    if (!cfg->enabled || !capture_worth_it(s, cfg))
        return;
    if (lt_json_load() != LT_OK)
        return; /* said once by json.c */
    const struct lt_curl_api *api = lt_resolve(f);
    if (!api->easy_setopt || !api->easy_getinfo)
        return;
    lt_trace_init();
    struct lt_call *c = lt_call_new(cfg->max_request_bytes, cfg->max_response_bytes);
    if (!c)
        return;
    c->match = s->match;
    c->url = lt_strdup(s->url);
    capture_copy_request(s, c);

    if (api->easy_setopt(h, CURLOPT_WRITEFUNCTION, capture_write) != CURLE_OK ||
        api->easy_setopt(h, CURLOPT_WRITEDATA, (void *)s) != CURLE_OK) {
        /* Put the program's own back: capture fails, the transfer does not. */
        api->easy_setopt(h, CURLOPT_WRITEFUNCTION, s->writefn);
        api->easy_setopt(h, CURLOPT_WRITEDATA, capture_writedata(s));
        lt_call_free(c);
        return;
    }
    s->tee_write = true;
    if (!s->headerfn && s->headerdata &&
        api->easy_setopt(h, CURLOPT_HEADERFUNCTION, capture_header) == CURLE_OK) {
        api->easy_setopt(h, CURLOPT_HEADERDATA, (void *)s);
        s->tee_header = true;
    }
    if (!s->copied && !s->postfields && (s->readfn || s->readdata_set) &&
        api->easy_setopt(h, CURLOPT_READFUNCTION, capture_read) == CURLE_OK) {
        api->easy_setopt(h, CURLOPT_READDATA, (void *)s);
        s->tee_read = true;
    }
    c->start_ns = lt_now_ns();
    s->call = c;

    lt_resolve_set_export_flavour(f);
    lt_resolve_pin(f);
    /* The program's first libcurl calls have returned by now (it made the
     * handle), so libcurl's and OpenSSL's atexit handlers are registered:
     * ours, registered later, runs before them. */
    lt_queue_arm_exit();
}

static void capture_restore(struct lt_slot *s, void *h, const struct lt_curl_api *api)
{
    if (s->tee_write) {
        api->easy_setopt(h, CURLOPT_WRITEFUNCTION, s->writefn); /* NULL = libcurl's fwrite */
        api->easy_setopt(h, CURLOPT_WRITEDATA, capture_writedata(s));
        s->tee_write = false;
    }
    if (s->tee_header) {
        api->easy_setopt(h, CURLOPT_HEADERFUNCTION, s->headerfn);
        api->easy_setopt(h, CURLOPT_HEADERDATA, s->headerdata);
        s->tee_header = false;
    }
    if (s->tee_read) {
        api->easy_setopt(h, CURLOPT_READFUNCTION, s->readfn);
        api->easy_setopt(h, CURLOPT_READDATA, capture_readdata(s));
        s->tee_read = false;
    }
}

static void capture_copy_str(char *dst, size_t n, const char *src)
{
    if (!src) {
        dst[0] = '\0';
        return;
    }
    size_t l = strlen(src);
    if (l >= n)
        l = n - 1;
    memcpy(dst, src, l);
    dst[l] = '\0';
}

/* The value of the last response's header `name`, or NULL (libcurl older
 * than 7.83 has no curl_easy_header). Borrowed until the next libcurl call. */
static const char *capture_header_value(void *h, const struct lt_curl_api *api, const char *name)
{
    struct curl_header *hd = NULL;
    if (!api->easy_header || api->easy_header(h, name, 0, CURLH_HEADER, -1, (void **)&hd) != CURLHE_OK || !hd)
        return NULL;
    return hd->value;
}

static void capture_request_id(struct lt_call *c, void *h, const struct lt_curl_api *api)
{
    static const char *const names[] = {"x-request-id", "request-id", "apim-request-id",
                                        "x-amzn-requestid"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = capture_header_value(h, api, names[i]);
        if (v) {
            capture_copy_str(c->request_id, sizeof c->request_id, v);
            return;
        }
    }
}

void lt_capture_end(struct lt_slot *s, void *h, enum lt_flavour f, int curl_code, bool have_code)
{
    struct lt_call *c = s->call;
    if (!c)
        return;
    s->call = NULL;
    const struct lt_curl_api *api = lt_resolve(f);
    capture_restore(s, h, api);
    c->end_ns = lt_now_ns();
    long status = 0;
    if (api->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK)
        c->http_status = status;
    char *ct = NULL;
    if (api->easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK)
        capture_copy_str(c->content_type, sizeof c->content_type, ct);
    capture_request_id(c, h, api);
    /* DESIGN: a program that sends its own Accept-Encoding without
     * CURLOPT_ACCEPT_ENCODING receives the body as the server encoded it. */
    if (!s->decodes || s->no_decoding) {
        const char *enc = capture_header_value(h, api, "Content-Encoding");
        if (enc && strcasecmp(enc, "identity") != 0)
            capture_copy_str(c->content_encoding, sizeof c->content_encoding, enc);
    }
    c->curl_code = have_code ? curl_code : 0;
    c->no_result = !have_code;
    if (have_code && curl_code && api->easy_strerror)
        capture_copy_str(c->curl_error, sizeof c->curl_error, api->easy_strerror(curl_code));
    lt_queue_push(c); /* takes ownership */
}

void lt_capture_dup(struct lt_slot *src, void *dst, enum lt_flavour f)
{
    struct lt_slot *d = lt_registry_get(dst);
    if (!d)
        return;
    if (d->call) {
        lt_call_free(d->call);
        d->call = NULL;
    }
    lt_registry_clear(d);
    d->flavour = src->flavour;
    d->url_state = src->url_state;
    d->match = src->match;
    if (src->url) {
        d->url = lt_strdup(src->url);
        if (!d->url)
            d->url_state = LT_URL_OTHER;
    }
    d->writefn = src->writefn;
    d->writedata = src->writedata;
    d->writedata_set = src->writedata_set;
    d->headerfn = src->headerfn;
    d->headerdata = src->headerdata;
    d->readfn = src->readfn;
    d->readdata = src->readdata;
    d->readdata_set = src->readdata_set;
    d->postfields = src->postfields;
    d->postsize = src->postsize;
    d->postsize_set = src->postsize_set;
    /* libcurl copies CURLOPT_ACCEPT_ENCODING too: the duplicate decodes
     * (else its decoded body would be "inflated" again). */
    d->decodes = src->decodes;
    d->no_decoding = src->no_decoding;
    if (src->copied) {
        d->copied = lt_strndup(src->copied, src->copied_len);
        if (d->copied) {
            d->copied_len = src->copied_len;
            d->copied_total = src->copied_total;
        }
    }
    /* Duplicated during a transfer: libcurl copied our tees into the new
     * handle; the duplicate must start with the program's own callbacks. */
    d->tee_write = src->tee_write;
    d->tee_header = src->tee_header;
    d->tee_read = src->tee_read;
    capture_restore(d, dst, lt_resolve(f));
}
