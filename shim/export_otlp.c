/* export_otlp.c — POSTs one OTLP/JSON body to cfg->endpoint through the
 * program's own libcurl, on one reused easy handle (keep-alive).
 *
 * Owns that handle and its header list. Calls libcurl only through the
 * lt_resolve_for_export() table (the shim links no libcurl; curl.h gives
 * constants and types) with lt_tls_internal set, so the hooks never capture
 * this traffic. Never logs a header value or the endpoint URL (both may hold
 * secrets), never calls curl_global_cleanup, never blocks past its deadline.
 * Entered by one sender at a time (background thread or exit handler); the
 * atfork child handler only forgets the handle.
 */
#include "export.h"

#include <stdint.h>

#include <curl/curl.h> /* constants and types only: never call curl_* directly */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "call.h"
#include "log.h"
#include "resolve.h"

#ifndef LLMTAP_VERSION
#define LLMTAP_VERSION "0"
#endif

/* Two retries, 100 ms then 300 ms apart: enough to ride out a collector that
 * is restarting, short enough that a dead backend costs a batch < 0.5 s. */
#define OTLP_ATTEMPTS 3
#define OTLP_BACKOFF_MS 100
/* LANGFUSE_TIMEOUT's default when the configuration has none. */
#define OTLP_DEFAULT_TIMEOUT_MS 5000

/* Owner: the sender (one at a time, queue.c serialises); no lock. The atfork
 * child handler clears it without touching the parent's handle. */
static struct {
    const struct lt_curl_api *api; /* the libcurl the handle belongs to */
    void *easy;                    /* reused CURL*: keep-alive to the backend */
    void *headers;                 /* struct curl_slist* of the request headers */
    int64_t deadline;              /* current request, lt_mono_ns; read by the progress callback */
    bool pinned;                   /* lt_resolve_pin done (survives fork) */
} otlp;

static size_t otlp_discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
    (void)ptr;
    (void)ud;
    return size * nmemb;
}

static int otlp_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                         curl_off_t ulnow)
{
    (void)ud;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    if (lt_export_abandoned())
        lt_export_park(); /* never return into libcurl once exit has moved on */
    int64_t now = lt_mono_ns();
    return now >= otlp.deadline || now >= lt_export_cut_ns();
}

static enum lt_flavour otlp_flavour(const struct lt_curl_api *api)
{
    for (int f = 0; f < LT_FLAVOURS; f++)
        if (lt_resolve((enum lt_flavour)f) == api)
            return (enum lt_flavour)f;
    return LT_FLAVOUR_OPENSSL;
}

static void otlp_drop(void)
{
    if (otlp.easy && otlp.api->easy_cleanup)
        otlp.api->easy_cleanup(otlp.easy);
    if (otlp.headers && otlp.api->slist_free_all)
        otlp.api->slist_free_all(otlp.headers);
    otlp.easy = NULL;
    otlp.headers = NULL;
    otlp.api = NULL;
}

static bool otlp_add_header(const char *line)
{
    void *l = otlp.api->slist_append(otlp.headers, line);
    if (!l)
        return false;
    otlp.headers = l;
    return true;
}

/* Creates the handle with every option that does not change per request. */
static enum lt_rc otlp_open(const struct lt_config *cfg)
{
    if (otlp.easy)
        return LT_OK;
    const struct lt_curl_api *api = lt_resolve_for_export();
    if (!api || !api->loaded || !api->easy_init || !api->easy_setopt || !api->easy_perform ||
        !api->easy_cleanup || !api->slist_append || !api->slist_free_all) {
        lt_log_once(LT_ONCE_NO_LIBCURL, "no usable libcurl for the OTLP export: spans are lost");
        return LT_ERR_UNAVAIL;
    }
    if (!cfg->endpoint || !*cfg->endpoint) {
        lt_log_once(LT_ONCE_OUTPUT, "no OTLP endpoint configured: spans are lost");
        return LT_ERR_UNAVAIL;
    }
    if (!otlp.pinned) {
        lt_resolve_pin(otlp_flavour(api));
        otlp.pinned = true;
    }
    otlp.api = api;
    otlp.easy = api->easy_init();
    if (!otlp.easy) {
        lt_log("OTLP export: curl_easy_init failed");
        otlp.api = NULL;
        return LT_ERR_NOMEM;
    }
    bool ok = otlp_add_header("Content-Type: application/json") && otlp_add_header("Expect:");
    if (ok && cfg->langfuse_auth && cfg->auth_header)
        ok = otlp_add_header(cfg->auth_header) &&
             otlp_add_header("x-langfuse-ingestion-version: 4");
    for (int i = 0; ok && i < cfg->n_headers && i < LT_CONFIG_MAX_HEADERS; i++)
        if (cfg->headers[i])
            ok = otlp_add_header(cfg->headers[i]);
    void *h = otlp.easy;
    if (ok)
        ok = api->easy_setopt(h, CURLOPT_URL, cfg->endpoint) == CURLE_OK &&
             api->easy_setopt(h, CURLOPT_HTTPHEADER, otlp.headers) == CURLE_OK &&
             api->easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
             api->easy_setopt(h, CURLOPT_WRITEFUNCTION, otlp_discard) == CURLE_OK &&
             api->easy_setopt(h, CURLOPT_NOPROGRESS, 0L) == CURLE_OK &&
             api->easy_setopt(h, CURLOPT_XFERINFOFUNCTION, otlp_progress) == CURLE_OK &&
             api->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
             api->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
             api->easy_setopt(h, CURLOPT_USERAGENT, "llmtap/" LLMTAP_VERSION) == CURLE_OK;
    if (ok && cfg->ca_file && *cfg->ca_file)
        ok = api->easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file) == CURLE_OK;
    if (ok) /* 7.85+; an older libcurl says "unknown option" and stays as it was */
        (void)api->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!ok) {
        lt_log("OTLP export: cannot set up the request");
        otlp_drop();
        return LT_ERR_NOMEM;
    }
    return LT_OK;
}

static int64_t otlp_limit(int64_t deadline_ns)
{
    int64_t cut = lt_export_cut_ns();
    return cut < deadline_ns ? cut : deadline_ns;
}

static void otlp_sleep_ms(int64_t ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static const char *otlp_strerror(int code)
{
    const char *s = otlp.api && otlp.api->easy_strerror ? otlp.api->easy_strerror(code) : NULL;
    return s ? s : "";
}

static enum lt_rc otlp_send(const struct lt_config *cfg, const char *body, size_t len,
                            int64_t deadline_ns)
{
    if (lt_mono_ns() >= otlp_limit(deadline_ns))
        return LT_ERR_TIMEOUT;
    enum lt_rc rc = otlp_open(cfg);
    if (rc != LT_OK)
        return rc;
    const struct lt_curl_api *api = otlp.api;
    int64_t per_request_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : OTLP_DEFAULT_TIMEOUT_MS;
    for (int attempt = 0;; attempt++) {
        int64_t limit = otlp_limit(deadline_ns);
        int64_t left_ms = (limit - lt_mono_ns()) / 1000000;
        if (left_ms <= 0)
            return LT_ERR_TIMEOUT;
        long tmo = (long)(per_request_ms < left_ms ? per_request_ms : left_ms);
        otlp.deadline = limit;
        void *h = otlp.easy;
        if (api->easy_setopt(h, CURLOPT_TIMEOUT_MS, tmo) != CURLE_OK ||
            api->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) != CURLE_OK ||
            api->easy_setopt(h, CURLOPT_POSTFIELDS, body) != CURLE_OK) {
            lt_log("OTLP export: cannot set the request body");
            return LT_ERR_NOMEM;
        }
        int code = api->easy_perform(h);
        if (lt_export_abandoned())
            lt_export_park();
        if (code == CURLE_OK) {
            long status = 0;
            if (api->easy_getinfo)
                api->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
            if (status >= 200 && status <= 299) {
                lt_log("exported %zu bytes: HTTP %ld", len, status);
                return LT_OK;
            }
            lt_log("export of %zu bytes failed: HTTP %ld", len, status);
            return LT_ERR_IO;
        }
        /* Only a connection that never opened proves the batch was not taken:
         * Langfuse does not deduplicate a span id sent twice. */
        bool unsent = code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST;
        int64_t backoff = (int64_t)OTLP_BACKOFF_MS * (attempt == 0 ? 1 : 3);
        /* At exit a refused connection is not retried: the host's exit
         * would wait out the backoff for a backend that is down. */
        bool exiting = lt_export_cut_ns() != INT64_MAX;
        if (unsent && !exiting && attempt + 1 < OTLP_ATTEMPTS &&
            lt_mono_ns() + backoff * 1000000 < otlp_limit(deadline_ns)) {
            otlp_sleep_ms(backoff);
            continue;
        }
        lt_log("export of %zu bytes failed: curl error %d (%s)%s", len, code, otlp_strerror(code),
               unsent && attempt > 0 ? " after retries" : "");
        return code == CURLE_OPERATION_TIMEDOUT || code == CURLE_ABORTED_BY_CALLBACK
                   ? LT_ERR_TIMEOUT
                   : LT_ERR_IO;
    }
}

enum lt_rc lt_export_otlp_send(const struct lt_config *cfg, const char *body, size_t len,
                               int64_t deadline_ns)
{
    int saved = lt_tls_internal;
    lt_tls_internal = 1; /* libcurl's own nested API calls must pass the hooks untouched */
    enum lt_rc rc = otlp_send(cfg, body, len, deadline_ns);
    lt_tls_internal = saved;
    return rc;
}

void lt_export_otlp_shutdown(void)
{
    if (!otlp.api)
        return;
    int saved = lt_tls_internal;
    lt_tls_internal = 1;
    otlp_drop();
    lt_tls_internal = saved;
}

void lt_export_otlp_fork_child(void)
{
    /* The handle shares its connection (and TLS session) with the parent:
     * cleaning it up here would close the parent's stream. Forget it. */
    otlp.easy = NULL;
    otlp.headers = NULL;
    otlp.api = NULL;
    otlp.deadline = 0;
}
