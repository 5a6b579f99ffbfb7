/* bedrock_invoke.c — AWS Bedrock Runtime InvokeModel with Anthropic bodies:
 * POST .../model/{modelId}/invoke (one JSON answer) and
 * .../model/{modelId}/invoke-with-response-stream (an AWS event stream whose
 * `chunk` events carry {"bytes": base64 of one Anthropic stream event}).
 *
 * Owns the envelope only: the model id in the URL path (percent-decoded,
 * the model of last resort), the stream flag the path implies, base64
 * chunks and exception frames. The bodies themselves are read by
 * anthropic.c (lt_anthropic_call_*). Reads only the URL's path, never its
 * query. Background thread (and tests); match_path on any thread.
 */
#include <string.h>
#include <strings.h>

#include "../shim/buf.h"
#include "../shim/json.h"
#include "../shim/mem.h"
#include "anthropic.h"
#include "bedrock.h"
#include "framing.h"
#include "generation.h"
#include "pjson.h"

/* A payload that is not JSON is quoted up to this many bytes. */
#define BEDROCK_INVOKE_QUOTE 200

struct bedrock_invoke {
    struct lt_anthropic_call *call;
    char *model_id;     /* from the URL, percent-decoded; NULL when absent */
    bool stream_path;   /* .../invoke-with-response-stream */
    long status;
    struct lt_buf bytes; /* one chunk's decoded bytes, reused */
    bool oom;
};

/* ---- the path ------------------------------------------------------------ */

static const char bedrock_invoke_tail[] = "/invoke";
static const char bedrock_stream_tail[] = "/invoke-with-response-stream";
static const char bedrock_model_seg[] = "/model/";

/* Finds {modelId} in a path ".../model/{modelId}/invoke[-with-response-stream]":
 * true with *id, *id_len (still percent-encoded, never empty) and *stream.
 * The id runs from the first "/model/" to the tail, so an ARN sent with a
 * raw '/' stays whole. Linear, no allocation. */
static bool bedrock_invoke_locate(const char *path, size_t n, const char **id, size_t *id_len, bool *stream)
{
    size_t st = sizeof bedrock_stream_tail - 1, it = sizeof bedrock_invoke_tail - 1;
    size_t ms = sizeof bedrock_model_seg - 1, end;
    if (n >= st && memcmp(path + n - st, bedrock_stream_tail, st) == 0) {
        end = n - st;
        *stream = true;
    } else if (n >= it && memcmp(path + n - it, bedrock_invoke_tail, it) == 0) {
        end = n - it;
        *stream = false;
    } else {
        return false;
    }
    for (size_t i = 0; i + ms < end; i++) {
        if (path[i] == '/' && memcmp(path + i, bedrock_model_seg, ms) == 0) {
            *id = path + i + ms;
            *id_len = end - (i + ms);
            return true;
        }
    }
    return false;
}

static bool bedrock_invoke_path(const char *path, size_t n)
{
    const char *id;
    size_t len;
    bool stream;
    return bedrock_invoke_locate(path, n, &id, &len, &stream);
}

/* The model id of a URL, percent-decoded (a '%' not followed by two hex
 * digits stays as it is) and made valid UTF-8. NULL when the URL has none
 * or on allocation failure (*oom then set). */
static char *bedrock_invoke_model_id(const char *url, bool *stream, bool *oom)
{
    *stream = false;
    if (!url)
        return NULL;
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t end = strcspn(p, "?#");
    const char *slash = memchr(p, '/', end);
    if (!slash)
        return NULL;
    const char *id;
    size_t len;
    if (!bedrock_invoke_locate(slash, end - (size_t)(slash - p), &id, &len, stream))
        return NULL;
    return lt_pj_percent_decode(id, len, oom);
}

/* ---- request -------------------------------------------------------------- */

/* A host we do not know (a VPC endpoint name, a proxy) is Bedrock with an
 * Anthropic body only if the body says so. */
static bool bedrock_invoke_confirms(const cJSON *j)
{
    return lt_pj_is(j, cJSON_Object) && lt_json_str(j, "anthropic_version") &&
           (lt_pj_is(lt_json_get(j, "messages"), cJSON_Array) || lt_json_str(j, "prompt"));
}

static void bedrock_invoke_free(void *state);

static enum lt_rc bedrock_invoke_request(const struct lt_parse_in *in, struct lt_generation *g, void **state)
{
    *state = NULL;
    cJSON *j = in->req && in->req_len ? lt_cj.ParseWithLength(in->req, in->req_len) : NULL;
    if (!in->known_host && !bedrock_invoke_confirms(j)) {
        if (j)
            lt_cj.Delete(j);
        return LT_ERR_SKIP;
    }
    struct bedrock_invoke *b = lt_calloc(1, sizeof *b);
    if (!b) {
        if (j)
            lt_cj.Delete(j);
        return LT_ERR_NOMEM;
    }
    lt_buf_init(&b->bytes, LT_FRAME_CAP);
    b->status = in->http_status;
    enum lt_rc rc = lt_anthropic_call_new(j, in->http_status, g, &b->call);
    if (j)
        lt_cj.Delete(j);
    bool oom = rc != LT_OK;
    if (!oom)
        b->model_id = bedrock_invoke_model_id(in->url, &b->stream_path, &oom);
    if (!oom && b->model_id && g->request_model && !*g->request_model) {
        lt_free(g->request_model); /* "model": "" names nothing */
        g->request_model = NULL;
    }
    if (!oom && b->model_id && !g->request_model && !(g->request_model = lt_strdup(b->model_id)))
        oom = true; /* Bedrock names the requested model in the path */
    if (oom) {
        bedrock_invoke_free(b);
        lt_generation_free(g);
        return LT_ERR_NOMEM;
    }
    if (b->stream_path)
        g->stream = true;
    *state = b;
    return LT_OK;
}

/* ---- response --------------------------------------------------------------- */

static int bedrock_invoke_framing(void *state, const char *content_type, int first)
{
    struct bedrock_invoke *b = state;
    if (first == '{' || first == '[' || first < 0)
        return LT_FRAMING_NONE; /* one JSON document: an answer or an error */
    if (content_type && strcasestr(content_type, "application/vnd.amazon.eventstream"))
        return LT_FRAMING_AWS_EVENTSTREAM;
    if (b->status >= 400)
        return LT_FRAMING_NONE;
    return b->stream_path ? LT_FRAMING_AWS_EVENTSTREAM : LT_FRAMING_NONE;
}

static int bedrock_b64(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Standard base64 (padding optional) into out, replacing its contents.
 * false on a byte outside the alphabet, a lone trailing character, or a
 * full buffer. */
static bool bedrock_invoke_unbase64(struct lt_buf *out, const char *s, size_t n)
{
    lt_buf_reset(out);
    while (n && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return false;
    unsigned acc = 0;
    int bits = 0;
    char tmp[192];
    size_t t = 0;
    for (size_t i = 0; i < n; i++) {
        int v = bedrock_b64((unsigned char)s[i]);
        if (v < 0)
            return false;
        acc = acc << 6 | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            tmp[t++] = (char)(acc >> bits & 0xFF);
            if (t == sizeof tmp) {
                if (lt_buf_add(out, tmp, t) != LT_OK)
                    return false;
                t = 0;
            }
        }
    }
    return lt_buf_add(out, tmp, t) == LT_OK;
}

static bool bedrock_invoke_str_is(const char *s, size_t n, const char *want)
{
    size_t w = strlen(want);
    return n == w && memcmp(s, want, w) == 0;
}

static void bedrock_invoke_frame(void *state, struct lt_generation *g, const struct lt_frame *f)
{
    struct bedrock_invoke *b = state;
    if (bedrock_invoke_str_is(f->message_type, f->message_type_len, "exception") ||
        bedrock_invoke_str_is(f->message_type, f->message_type_len, "error")) {
        /* An exception's payload is {"message": ...} and its name the
         * event; an error message has its :error-message header as data. */
        cJSON *j = f->len ? lt_cj.ParseWithLength(f->data, f->len) : NULL;
        const char *msg = lt_json_str(j, "message");
        if (!msg)
            msg = lt_json_str(j, "Message");
        char text[BEDROCK_INVOKE_QUOTE + 1];
        if (!msg && !j && f->len) {
            size_t n = f->len < BEDROCK_INVOKE_QUOTE ? f->len : BEDROCK_INVOKE_QUOTE;
            memcpy(text, f->data, n);
            text[n] = '\0'; /* a character cut here becomes U+FFFD in the status */
            msg = text;
        }
        char type[96];
        size_t tl = f->event_len < sizeof type - 1 ? f->event_len : sizeof type - 1;
        memcpy(type, f->event, tl);
        type[tl] = '\0';
        lt_anthropic_call_error(b->call, g, tl ? type : "event stream error", msg);
        if (j)
            lt_cj.Delete(j);
        return;
    }
    if (!bedrock_invoke_str_is(f->event, f->event_len, "chunk"))
        return; /* other events carry nothing we read */
    cJSON *j = lt_cj.ParseWithLength(f->data, f->len);
    const cJSON *bytes = lt_json_get(j, "bytes");
    if (lt_pj_is(bytes, cJSON_String) && bytes->valuestring &&
        bedrock_invoke_unbase64(&b->bytes, bytes->valuestring, strlen(bytes->valuestring)))
        lt_anthropic_call_event(b->call, g, b->bytes.data ? b->bytes.data : "", b->bytes.len, false);
    else if (b->bytes.oom)
        b->oom = true; /* not the chunk's fault: reported as NOMEM, not as a bad event */
    else
        lt_anthropic_call_bad_event(b->call);
    if (j)
        lt_cj.Delete(j);
}

static enum lt_rc bedrock_invoke_end(void *state, const struct lt_parse_end *e, struct lt_generation *g)
{
    struct bedrock_invoke *b = state;
    enum lt_rc rc = lt_anthropic_call_end(b->call, e, g, b->model_id);
    if (b->model_id) {
        /* the response names the Anthropic model; the Bedrock id (region
         * prefix, version) is kept beside it */
        char *v = lt_strdup(b->model_id);
        if (!v)
            rc = LT_ERR_NOMEM;
        else
            lt_generation_add_meta(g, "bedrock_model_id", v);
    }
    if (b->oom)
        rc = LT_ERR_NOMEM;
    return rc;
}

static void bedrock_invoke_free(void *state)
{
    struct bedrock_invoke *b = state;
    if (!b)
        return;
    lt_anthropic_call_free(b->call);
    lt_free(b->model_id);
    lt_buf_free(&b->bytes);
    lt_free(b);
}

const struct lt_api_ops lt_bedrock_invoke_ops = {
    .name = "bedrock.invokeModel",
    .operation = "chat",
    .obs_type = "generation",
    .compat_provider = "bedrock-compatible",
    .confirm = { "anthropic_version" },
    .match_path = bedrock_invoke_path,
    .request = bedrock_invoke_request,
    .framing = bedrock_invoke_framing,
    .frame = bedrock_invoke_frame,
    .end = bedrock_invoke_end,
    .free = bedrock_invoke_free,
};
