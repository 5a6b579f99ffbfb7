/* bedrock.c — AWS Bedrock Runtime Converse (POST /model/{id}/converse, one
 * JSON answer) and ConverseStream (/model/{id}/converse-stream, AWS event
 * stream messages: messageStart, contentBlockStart/Delta/Stop, messageStop,
 * metadata, exceptions): the model from the URL path, percent-decoded; text,
 * reasoning and toolUse blocks; usage, latency and stop reason; error bodies
 * and exception events.
 *
 * Owns the per-call state (struct bedrock_call) between lt_parser_new and
 * lt_parser_finish. Never keeps raw events: each payload is parsed, read
 * into its content block and freed. Never copies the URL beyond the model
 * segment of its path (the query may hold a credential). InvokeModel is
 * bedrock_invoke.c's. Background thread (and tests); the path match on any
 * thread.
 */
#include "bedrock.h"

#include <string.h>

#include "../shim/buf.h"
#include "../shim/json.h"
#include "../shim/mem.h"
#include "framing.h"
#include "generation.h"
#include "pjson.h"

/* A message holds a few content blocks; a hostile contentBlockIndex past
 * this is ignored rather than allocated for. */
#define BEDROCK_BLOCKS_MAX 256
/* Longest model id kept from the URL (ARNs of inference profiles and
 * prompt routers are the longest, well under this). */
#define BEDROCK_MODEL_MAX 512

/* One content block of the answer, streamed or whole. A block is one kind
 * on the wire; each part is kept apart so that nothing is mixed up when a
 * server does otherwise. */
struct bedrock_block {
    int index;
    bool has_text, has_reasoning, has_tool;
    struct lt_buf text;
    struct lt_buf reasoning;
    struct lt_buf signature;   /* reasoningText.signature */
    struct lt_buf redacted;    /* reasoningContent.redactedContent */
    char *tool_id, *tool_name;
    struct lt_buf input;       /* toolUse.input as JSON text (pieces joined) */
    struct lt_buf raw;         /* a whole answer's block of another kind, as JSON */
};

struct bedrock_usage {
    bool has_in, has_out, has_total, has_read, has_write;
    long long in, out, total, read, write;
};

struct bedrock_call {
    char *url_model;            /* percent-decoded model id from the path */
    bool stream_path;           /* /converse-stream */
    long status;
    struct bedrock_block *blocks;
    int n_blocks, cap_blocks;
    char *role;
    char *stop_reason;
    char *invoked_model;        /* trace.promptRouter.invokedModelId */
    bool has_usage;
    struct bedrock_usage usage;
    bool has_latency;
    long long latency_ms;
    bool started, stopped, has_metadata; /* messageStart, messageStop, metadata seen */
    bool error;                 /* an exception event or error body */
    unsigned long long events, bad_events;
    bool oom;
};

/* ---- the URL ------------------------------------------------------------- */

static const char bedrock_model_seg[] = "/model/";
#define BEDROCK_MODEL_SEG (sizeof bedrock_model_seg - 1)

/* "/model/{id}/converse" or "/model/{id}/converse-stream", exactly: where
 * the id ends in *id_end, and whether it is the stream. */
static bool bedrock_split_path(const char *path, size_t n, size_t *id_end, bool *stream)
{
    static const char conv[] = "/converse", conv_s[] = "/converse-stream";
    if (n <= BEDROCK_MODEL_SEG || memcmp(path, bedrock_model_seg, BEDROCK_MODEL_SEG) != 0)
        return false;
    const char *slash = memchr(path + BEDROCK_MODEL_SEG, '/', n - BEDROCK_MODEL_SEG);
    if (!slash || slash == path + BEDROCK_MODEL_SEG)
        return false;
    size_t e = (size_t)(slash - path), rest = n - e;
    if (rest == sizeof conv - 1 && memcmp(slash, conv, rest) == 0)
        *stream = false;
    else if (rest == sizeof conv_s - 1 && memcmp(slash, conv_s, rest) == 0)
        *stream = true;
    else
        return false;
    *id_end = e;
    return true;
}

static bool bedrock_converse_path(const char *path, size_t n)
{
    size_t e;
    bool s;
    return bedrock_split_path(path, n, &e, &s);
}

/* The path of an http(s) URL, without query or fragment; NULL when the URL
 * has no path. */
static const char *bedrock_url_path(const char *url, size_t *n)
{
    const char *s = strstr(url, "://");
    if (!s)
        return NULL;
    s += 3;
    size_t end = strcspn(s, "?#");
    const char *p = memchr(s, '/', end);
    if (!p)
        return NULL;
    *n = end - (size_t)(p - s);
    return p;
}

/* Reads the model id (percent-decoded) and the stream flag from the URL. */
static void bedrock_read_url(struct bedrock_call *b, const char *url)
{
    size_t n, e;
    const char *path = url ? bedrock_url_path(url, &n) : NULL;
    if (!path || !bedrock_split_path(path, n, &e, &b->stream_path))
        return;
    size_t len = e - BEDROCK_MODEL_SEG; /* never 0: bedrock_split_path */
    if (len <= BEDROCK_MODEL_MAX)
        b->url_model = lt_pj_percent_decode(path + BEDROCK_MODEL_SEG, len, &b->oom);
}

/* ---- the request --------------------------------------------------------- */

/* Request members that are the conversation, in the order input_json lists
 * them. */
static const char *const bedrock_input_keys[] = { "system", "messages", "toolConfig", "promptVariables" };
#define BEDROCK_NINPUT (sizeof bedrock_input_keys / sizeof bedrock_input_keys[0])

/* One parameter into the params object, unless its name is there already. */
static void bedrock_param(struct lt_buf *params, const cJSON *c, const cJSON *seen_in)
{
    if (!c->string)
        return;
    if (seen_in) /* inferenceConfig wins over a same-named model field */
        for (const cJSON *s = seen_in->child; s; s = s->next)
            if (s->string && strcmp(s->string, c->string) == 0)
                return;
    lt_pj_member(params, c->string, c);
}

static void bedrock_read_request(struct bedrock_call *b, const cJSON *j, struct lt_generation *g)
{
    const cJSON *input[BEDROCK_NINPUT] = { 0 };
    const cJSON *inference = NULL, *extra = NULL, *perf = NULL;
    for (const cJSON *c = j->child; c; c = c->next) {
        if (!c->string)
            continue;
        for (size_t k = 0; k < BEDROCK_NINPUT; k++)
            if (!input[k] && strcmp(c->string, bedrock_input_keys[k]) == 0)
                input[k] = c;
        if (strcmp(c->string, "messages") == 0 && lt_pj_is(c, cJSON_Array) && g->n_input_messages < 0)
            g->n_input_messages = lt_cj.GetArraySize(c);
        else if (strcmp(c->string, "inferenceConfig") == 0 && lt_pj_is(c, cJSON_Object) && !inference)
            inference = c;
        else if (strcmp(c->string, "additionalModelRequestFields") == 0 && lt_pj_is(c, cJSON_Object) && !extra)
            extra = c;
        else if (strcmp(c->string, "performanceConfig") == 0 && !perf)
            perf = c;
    }
    /* inferenceConfig and the model's own fields, flattened into one object
     * (Langfuse shows model parameters as one flat map) */
    struct lt_buf params;
    lt_buf_init(&params, 0);
    for (const cJSON *c = inference ? inference->child : NULL; c; c = c->next)
        bedrock_param(&params, c, NULL);
    for (const cJSON *c = extra ? extra->child : NULL; c; c = c->next)
        bedrock_param(&params, c, inference);
    if (perf)
        bedrock_param(&params, perf, NULL);
    g->params_json = lt_pj_close(&params, &b->oom);
    g->input_json = lt_pj_object(bedrock_input_keys, input, BEDROCK_NINPUT, &b->oom);
}

static void bedrock_free(void *state);

static enum lt_rc bedrock_request(const struct lt_parse_in *in, struct lt_generation *g, void **state)
{
    *state = NULL;
    cJSON *j = in->req && in->req_len ? lt_cj.ParseWithLength(in->req, in->req_len) : NULL;
    bool obj = lt_pj_is(j, cJSON_Object);
    /* A host we do not know is Bedrock only if the body says so (the model
     * travels in the path, so the messages are all there is to see). */
    if (!in->known_host && !(obj && lt_pj_is(lt_json_get(j, "messages"), cJSON_Array))) {
        if (j)
            lt_cj.Delete(j);
        return LT_ERR_SKIP;
    }
    struct bedrock_call *b = lt_calloc(1, sizeof *b);
    if (!b) {
        if (j)
            lt_cj.Delete(j);
        return LT_ERR_NOMEM;
    }
    b->status = in->http_status;
    bedrock_read_url(b, in->url);
    g->stream = b->stream_path;
    if (b->url_model && !(g->request_model = lt_strdup(b->url_model)))
        b->oom = true;
    if (obj)
        bedrock_read_request(b, j, g);
    if (j)
        lt_cj.Delete(j);
    if (b->oom) {
        bedrock_free(b);
        lt_generation_free(g);
        return LT_ERR_NOMEM;
    }
    *state = b;
    return LT_OK;
}

/* ---- the answer: content blocks ------------------------------------------ */

static struct bedrock_block *bedrock_block_at(struct bedrock_call *b, long long index)
{
    for (int i = b->n_blocks - 1; i >= 0; i--)
        if (b->blocks[i].index == index)
            return &b->blocks[i];
    if (index < 0 || index >= BEDROCK_BLOCKS_MAX)
        return NULL;
    struct bedrock_block *grown = lt_pj_room(b->blocks, b->n_blocks, &b->cap_blocks, sizeof *grown, 4, &b->oom);
    if (!grown)
        return NULL;
    b->blocks = grown;
    struct bedrock_block *k = &b->blocks[b->n_blocks++];
    memset(k, 0, sizeof *k);
    k->index = (int)index;
    lt_buf_init(&k->text, 0);
    lt_buf_init(&k->reasoning, 0);
    lt_buf_init(&k->signature, 0);
    lt_buf_init(&k->redacted, 0);
    lt_buf_init(&k->input, 0);
    lt_buf_init(&k->raw, 0);
    return k;
}

/* reasoningContent of a whole block ({reasoningText: {text, signature}} or
 * {redactedContent}) or of a delta ({text} / {signature} / {redactedContent}). */
static void bedrock_reasoning(struct bedrock_call *b, struct bedrock_block *k, const cJSON *rc)
{
    const cJSON *rt = lt_json_get(rc, "reasoningText");
    const cJSON *src = rt ? rt : rc;
    const char *text = lt_pj_str(lt_json_get(src, "text"));
    const char *sig = lt_pj_str(lt_json_get(src, "signature"));
    const char *red = lt_pj_str(lt_json_get(rc, "redactedContent"));
    if (text) {
        k->has_reasoning = true;
        lt_pj_appends(&k->reasoning, text, &b->oom);
    }
    if (sig) {
        k->has_reasoning = true;
        lt_pj_appends(&k->signature, sig, &b->oom);
    }
    if (red) {
        k->has_reasoning = true;
        lt_pj_appends(&k->redacted, red, &b->oom);
    }
}

/* toolUse of a whole block ({toolUseId, name, input: value}), of a
 * contentBlockStart ({toolUseId, name}) or of a delta ({input: "piece"}). */
static void bedrock_tool(struct bedrock_call *b, struct bedrock_block *k, const cJSON *tu)
{
    if (!lt_pj_is(tu, cJSON_Object))
        return;
    k->has_tool = true;
    const char *id = lt_pj_str(lt_json_get(tu, "toolUseId"));
    const char *name = lt_pj_str(lt_json_get(tu, "name"));
    if (id && !k->tool_id)
        k->tool_id = lt_pj_dup(id, &b->oom);
    if (name && !k->tool_name)
        k->tool_name = lt_pj_dup(name, &b->oom);
    const cJSON *input = lt_json_get(tu, "input");
    if (lt_pj_str(input))
        lt_pj_appends(&k->input, lt_pj_str(input), &b->oom);
    else if (input)
        lt_pj_append_json(&k->input, input, &b->oom);
}

/* One block of a whole answer's content array. */
static void bedrock_whole_block(struct bedrock_call *b, const cJSON *blk, int pos)
{
    struct bedrock_block *k = bedrock_block_at(b, pos);
    if (!k || !lt_pj_is(blk, cJSON_Object))
        return;
    bool known = false;
    for (const cJSON *c = blk->child; c; c = c->next) {
        if (!c->string)
            continue;
        if (strcmp(c->string, "text") == 0 && lt_pj_str(c)) {
            k->has_text = known = true;
            lt_pj_appends(&k->text, lt_pj_str(c), &b->oom);
        } else if (strcmp(c->string, "reasoningContent") == 0) {
            bedrock_reasoning(b, k, c);
            known = true;
        } else if (strcmp(c->string, "toolUse") == 0) {
            bedrock_tool(b, k, c);
            known = true;
        }
    }
    if (!known) /* images, documents, citations: kept as they came */
        lt_pj_append_json(&k->raw, blk, &b->oom);
}

static void bedrock_usage(struct bedrock_call *b, const cJSON *u)
{
    if (!lt_pj_is(u, cJSON_Object))
        return;
    struct bedrock_usage *x = &b->usage;
    memset(x, 0, sizeof *x); /* the last report wins */
    x->has_in = lt_pj_count(lt_json_get(u, "inputTokens"), &x->in);
    x->has_out = lt_pj_count(lt_json_get(u, "outputTokens"), &x->out);
    x->has_total = lt_pj_count(lt_json_get(u, "totalTokens"), &x->total);
    x->has_read = lt_pj_count(lt_json_get(u, "cacheReadInputTokens"), &x->read);
    x->has_write = lt_pj_count(lt_json_get(u, "cacheWriteInputTokens"), &x->write);
    b->has_usage = true;
}

/* metrics, trace and usage: top level of a whole answer, or a metadata event. */
static void bedrock_metadata(struct bedrock_call *b, const cJSON *j)
{
    bedrock_usage(b, lt_json_get(j, "usage"));
    long long ms;
    if (lt_pj_int(lt_json_get(lt_json_get(j, "metrics"), "latencyMs"), &ms)) {
        b->latency_ms = ms;
        b->has_latency = true;
    }
    /* a prompt router names the model it chose */
    const char *inv = lt_pj_str(lt_json_get(lt_json_get(lt_json_get(j, "trace"), "promptRouter"), "invokedModelId"));
    lt_pj_keep_last(&b->invoked_model, inv, &b->oom);
}

/* ---- the answer: whole ---------------------------------------------------- */

static int bedrock_framing(void *state, const char *content_type, int first)
{
    struct bedrock_call *b = state;
    if (first == '{' || first == '[')
        return LT_FRAMING_NONE; /* a JSON document (an error), whatever the header says */
    if (content_type && strcasestr(content_type, "vnd.amazon.eventstream"))
        return LT_FRAMING_AWS_EVENTSTREAM;
    if (first < 0 || (content_type && strcasestr(content_type, "json")))
        return LT_FRAMING_NONE;
    if (b->status >= 400)
        return LT_FRAMING_NONE; /* an error page, quoted whole */
    /* an event stream's first byte is the top of a length below 16 MiB */
    return first == 0 ? LT_FRAMING_AWS_EVENTSTREAM : LT_FRAMING_NONE;
}

/* {"message": ...} (AWS's JSON protocol also says "Message"), with its
 * "__type" when given. */
static bool bedrock_error_object(struct lt_generation *g, const cJSON *j, const char *type)
{
    const char *msg = lt_pj_str(lt_json_get(j, "message"));
    if (!msg)
        msg = lt_pj_str(lt_json_get(j, "Message"));
    if (!type)
        type = lt_pj_str(lt_json_get(j, "__type"));
    if (type) { /* "com.amazon.coral.validate#ValidationException": the name */
        const char *h = strrchr(type, '#');
        if (h && h[1])
            type = h + 1;
    }
    if (msg && *msg) {
        if (type && *type)
            lt_generation_set_status(g, LT_LEVEL_ERROR, "%s: %s", type, msg);
        else
            lt_generation_set_status(g, LT_LEVEL_ERROR, "%s", msg);
        return true;
    }
    if (type && *type) {
        lt_generation_set_status(g, LT_LEVEL_ERROR, "%s", type);
        return true;
    }
    return false;
}

static void bedrock_whole(struct bedrock_call *b, const struct lt_parse_end *e, struct lt_generation *g)
{
    cJSON *j = e->body_len ? lt_cj.ParseWithLength(e->body, e->body_len) : NULL;
    if (e->http_status >= 400) {
        if (!(lt_pj_is(j, cJSON_Object) && bedrock_error_object(g, j, NULL)))
            lt_pj_error_text(g, e->http_status, e->body, e->body_len);
        b->error = true;
    } else if (lt_pj_is(j, cJSON_Object)) {
        const cJSON *msg = lt_json_get(lt_json_get(j, "output"), "message");
        const cJSON *content = lt_json_get(msg, "content");
        int pos = 0;
        if (lt_pj_is(content, cJSON_Array))
            for (const cJSON *c = content->child; c; c = c->next)
                bedrock_whole_block(b, c, pos++);
        lt_pj_keep_last(&b->role, lt_pj_str(lt_json_get(msg, "role")), &b->oom);
        lt_pj_keep_last(&b->stop_reason, lt_pj_str(lt_json_get(j, "stopReason")), &b->oom);
        bedrock_metadata(b, j);
        if (!msg && e->complete) {
            if (!bedrock_error_object(g, j, NULL))
                LT_PJ_WARN(g, "response has no output message (%llu bytes)", e->bytes);
            else
                b->error = true; /* an error object sent with a 2xx status */
        }
    } else if (e->complete && e->http_status != 0) {
        if (e->body_truncated)
            LT_PJ_WARN(g, "response body passed its cap and was cut (%llu bytes)", e->bytes);
        else if (e->body_len == 0)
            LT_PJ_WARN(g, "response body is empty (%llu bytes)", e->bytes);
        else
            LT_PJ_WARN(g, "response is not a JSON object (%llu bytes)", e->bytes);
    }
    if (j)
        lt_cj.Delete(j);
}

/* ---- the answer: streamed -------------------------------------------------- */

static bool bedrock_frame_is(const char *s, size_t n, const char *name)
{
    size_t k = strlen(name);
    return n == k && memcmp(s, name, k) == 0;
}

/* An exception or error message in the stream. */
static void bedrock_exception(struct bedrock_call *b, struct lt_generation *g, const struct lt_frame *f)
{
    if (b->error)
        return; /* the first one says what went wrong */
    b->error = true;
    cJSON *j = f->len ? lt_cj.ParseWithLength(f->data, f->len) : NULL;
    const char *type = f->event_len ? f->event : NULL;
    bool said = lt_pj_is(j, cJSON_Object) && bedrock_error_object(g, j, type);
    if (!said && f->len && !j) /* an error message's text */
        lt_generation_set_status(g, LT_LEVEL_ERROR, "%s%s%.*s", type ? type : "", type ? ": " : "",
                                 f->len > LT_PJ_QUOTE ? LT_PJ_QUOTE : (int)f->len, f->data);
    else if (!said)
        lt_generation_set_status(g, LT_LEVEL_ERROR, "%s in the response stream", type ? type : "exception");
    if (j)
        lt_cj.Delete(j);
}

static void bedrock_delta(struct bedrock_call *b, struct bedrock_block *k, const cJSON *d)
{
    for (const cJSON *c = d ? d->child : NULL; c; c = c->next) {
        if (!c->string)
            continue;
        if (strcmp(c->string, "text") == 0 && lt_pj_str(c)) {
            k->has_text = true;
            lt_pj_appends(&k->text, lt_pj_str(c), &b->oom);
        } else if (strcmp(c->string, "toolUse") == 0) {
            bedrock_tool(b, k, c);
        } else if (strcmp(c->string, "reasoningContent") == 0) {
            bedrock_reasoning(b, k, c);
        }
    }
}

static void bedrock_frame(void *state, struct lt_generation *g, const struct lt_frame *f)
{
    struct bedrock_call *b = state;
    b->events++;
    if (!bedrock_frame_is(f->message_type, f->message_type_len, "event") && f->message_type_len) {
        bedrock_exception(b, g, f); /* "exception" or "error" */
        return;
    }
    cJSON *j = f->len ? lt_cj.ParseWithLength(f->data, f->len) : NULL;
    if (!lt_pj_is(j, cJSON_Object)) {
        b->bad_events++;
        if (j)
            lt_cj.Delete(j);
        return;
    }
    const char *ev = f->event;
    size_t n = f->event_len;
    long long idx = 0;
    lt_pj_int(lt_json_get(j, "contentBlockIndex"), &idx);
    if (bedrock_frame_is(ev, n, "contentBlockDelta")) {
        struct bedrock_block *k = bedrock_block_at(b, idx);
        if (k)
            bedrock_delta(b, k, lt_json_get(j, "delta"));
    } else if (bedrock_frame_is(ev, n, "contentBlockStart")) {
        struct bedrock_block *k = bedrock_block_at(b, idx);
        if (k)
            bedrock_tool(b, k, lt_json_get(lt_json_get(j, "start"), "toolUse"));
    } else if (bedrock_frame_is(ev, n, "messageStart")) {
        b->started = true;
        lt_pj_keep_last(&b->role, lt_pj_str(lt_json_get(j, "role")), &b->oom);
    } else if (bedrock_frame_is(ev, n, "messageStop")) {
        b->stopped = true;
        lt_pj_keep_last(&b->stop_reason, lt_pj_str(lt_json_get(j, "stopReason")), &b->oom);
    } else if (bedrock_frame_is(ev, n, "metadata")) {
        b->has_metadata = true;
        bedrock_metadata(b, j);
    } else if (!f->message_type_len && n > 9 && memcmp(ev + n - 9, "Exception", 9) == 0) {
        bedrock_exception(b, g, f); /* no message type: an exception named only by its event */
    }
    lt_cj.Delete(j);
}

static void bedrock_stream_end(struct bedrock_call *b, const struct lt_parse_end *e, struct lt_generation *g)
{
    if (e->http_status >= 400 && !b->error) {
        lt_generation_set_status(g, LT_LEVEL_ERROR, "HTTP %ld", e->http_status);
        b->error = true;
    }
    if (!e->complete)
        return; /* the caller reports the transfer error; keep what arrived */
    if (e->stream_corrupt)
        LT_PJ_WARN(g, "event stream is corrupt (a message prelude failed its CRC) after %llu messages (%llu bytes)",
                     e->frames, e->bytes);
    if (e->frames_skipped)
        LT_PJ_WARN(g, "%llu event-stream messages were skipped (bad CRC, over the cap or cut short; %llu bytes)",
                     e->frames_skipped, e->bytes);
    if (b->bad_events)
        LT_PJ_WARN(g, "%llu of %llu stream events are not JSON objects (%llu bytes)", b->bad_events, b->events,
                     e->bytes);
    if (!b->error && (!b->stopped || !b->has_metadata)) {
        if (b->events == 0)
            LT_PJ_WARN(g, "stream holds no events (%llu bytes)", e->bytes);
        else
            LT_PJ_WARN(g, "stream ended without %s (%llu bytes)",
                         !b->stopped && !b->has_metadata ? "messageStop and metadata"
                         : !b->stopped                   ? "messageStop"
                                                         : "metadata",
                         e->bytes);
    }
}

/* ---- the end ---------------------------------------------------------------- */

/* A tool's input: the arguments text (the joined pieces as received, "{}"
 * when none came), and into `out` the input as output_json shows it: the
 * parsed value, or the text as a JSON string when it does not parse. */
static char *bedrock_tool_input(struct bedrock_call *b, const struct bedrock_block *k, struct lt_buf *out)
{
    char *s = k->input.len ? lt_pj_text(&k->input, &b->oom) : lt_strdup("{}");
    if (!s) {
        b->oom = true;
        lt_buf_adds(out, "null");
        return NULL;
    }
    /* the parsed value, rewritten: cJSON accepts text after a value, which
     * copied as it is would break output_json */
    cJSON *j = lt_cj.ParseWithLength(s, strlen(s));
    if (j)
        lt_provider_json_write(out, j);
    else
        lt_buf_json_strz(out, s);
    if (j)
        lt_cj.Delete(j);
    return s;
}

static void bedrock_sort(struct bedrock_call *b)
{
    for (int i = 1; i < b->n_blocks; i++) {
        struct bedrock_block k = b->blocks[i];
        int m = i;
        for (; m > 0 && b->blocks[m - 1].index > k.index; m--)
            b->blocks[m] = b->blocks[m - 1];
        b->blocks[m] = k;
    }
}

static void bedrock_json_buf(struct lt_buf *out, const struct lt_buf *s)
{
    lt_buf_json_str(out, s->data ? s->data : "", s->len);
}

/* The assistant message as Converse returns it whole, and the plain fields. */
static void bedrock_assemble(struct bedrock_call *b, struct lt_generation *g)
{
    bedrock_sort(b);
    struct lt_buf out, text, reasoning;
    lt_buf_init(&out, 0);
    lt_buf_init(&text, 0);
    lt_buf_init(&reasoning, 0);
    int n_tools = 0;
    for (int i = 0; i < b->n_blocks; i++)
        n_tools += b->blocks[i].has_tool;
    if (n_tools) {
        g->tool_calls = lt_calloc((size_t)n_tools, sizeof *g->tool_calls);
        if (!g->tool_calls)
            b->oom = true;
    }
    lt_buf_adds(&out, "{\"role\":");
    lt_buf_json_strz(&out, b->role ? b->role : "assistant");
    lt_buf_adds(&out, ",\"content\":[");
    bool first = true;
#define BEDROCK_NEXT() (first ? (void)(first = false) : (void)lt_buf_addc(&out, ','))
    for (int i = 0; i < b->n_blocks; i++) {
        struct bedrock_block *k = &b->blocks[i];
        if (k->has_reasoning) {
            BEDROCK_NEXT();
            lt_buf_adds(&out, "{\"reasoningContent\":");
            /* The signature and redacted content are opaque blobs for the
             * provider, of no use to a reader (as Anthropic's, Gemini's and
             * the Responses API's): only their presence is kept. */
            if (k->redacted.len && !k->reasoning.len) {
                lt_buf_adds(&out, "{\"redactedContent\":\"[omitted]\"}");
            } else {
                lt_buf_adds(&out, "{\"reasoningText\":{\"text\":");
                bedrock_json_buf(&out, &k->reasoning);
                if (k->signature.len)
                    lt_buf_adds(&out, ",\"signature\":\"[omitted]\"");
                lt_buf_adds(&out, "}}");
            }
            lt_buf_addc(&out, '}');
            lt_buf_add(&reasoning, k->reasoning.data ? k->reasoning.data : "", k->reasoning.len);
        }
        if (k->has_text) {
            BEDROCK_NEXT();
            lt_buf_adds(&out, "{\"text\":");
            bedrock_json_buf(&out, &k->text);
            lt_buf_addc(&out, '}');
            lt_buf_add(&text, k->text.data ? k->text.data : "", k->text.len);
        }
        if (k->has_tool) {
            BEDROCK_NEXT();
            lt_buf_adds(&out, "{\"toolUse\":{\"toolUseId\":");
            lt_buf_json_strz(&out, k->tool_id);
            lt_buf_adds(&out, ",\"name\":");
            lt_buf_json_strz(&out, k->tool_name);
            lt_buf_adds(&out, ",\"input\":");
            char *args = bedrock_tool_input(b, k, &out);
            lt_buf_adds(&out, "}}");
            if (g->tool_calls) {
                struct lt_tool_call *tc = &g->tool_calls[g->n_tool_calls++];
                tc->id = k->tool_id;
                tc->name = k->tool_name;
                tc->arguments = args;
                k->tool_id = k->tool_name = NULL;
            } else {
                lt_free(args);
            }
        }
        if (k->raw.len) {
            BEDROCK_NEXT();
            lt_buf_add(&out, k->raw.data, k->raw.len);
        }
    }
#undef BEDROCK_NEXT
    lt_buf_adds(&out, "]}");
    if (b->n_blocks || b->started || b->stop_reason)
        g->output_json = lt_pj_steal(&out, &b->oom);
    lt_buf_free(&out);
    if (text.len && !(g->output_text = lt_pj_text(&text, &b->oom)))
        b->oom = true;
    if (reasoning.len && !(g->reasoning_text = lt_pj_text(&reasoning, &b->oom)))
        b->oom = true;
    if (text.oom || reasoning.oom)
        b->oom = true;
    lt_buf_free(&text);
    lt_buf_free(&reasoning);
}

static void bedrock_finish(struct bedrock_call *b, struct lt_generation *g)
{
    bedrock_assemble(b, g);
    g->response_model = b->invoked_model;
    b->invoked_model = NULL;
    lt_pj_pick_model(g, b->url_model, &b->oom); /* the request's model is the URL's */
    if (b->stop_reason && !(g->finish_reason = lt_strdup(b->stop_reason)))
        b->oom = true;
    if (b->has_latency)
        lt_pj_meta_num(g, "latency_ms", b->latency_ms, &b->oom);
    if (b->has_usage) {
        /* Bedrock's inputTokens already leaves cache reads and writes out
         * (fixtures README "usage_details"): every key maps one to one. */
        const struct bedrock_usage *u = &b->usage;
        g->has_usage = true;
        if (u->has_in)
            lt_generation_set_usage(g, "input", u->in);
        if (u->has_read)
            lt_generation_set_usage(g, "input_cached_tokens", u->read);
        if (u->has_write)
            lt_generation_set_usage(g, "input_cache_creation", u->write);
        if (u->has_out)
            lt_generation_set_usage(g, "output", u->out);
        if (u->has_total)
            lt_generation_set_usage(g, "total", u->total);
        else if (u->has_in || u->has_out)
            lt_generation_set_usage(g, "total", u->in + u->out + u->read + u->write);
    }
}

static enum lt_rc bedrock_end(void *state, const struct lt_parse_end *e, struct lt_generation *g)
{
    struct bedrock_call *b = state;
    if (e->framed)
        bedrock_stream_end(b, e, g);
    else
        bedrock_whole(b, e, g);
    bedrock_finish(b, g);
    return b->oom ? LT_ERR_NOMEM : LT_OK;
}

static void bedrock_free(void *state)
{
    struct bedrock_call *b = state;
    if (!b)
        return;
    for (int i = 0; i < b->n_blocks; i++) {
        struct bedrock_block *k = &b->blocks[i];
        lt_buf_free(&k->text);
        lt_buf_free(&k->reasoning);
        lt_buf_free(&k->signature);
        lt_buf_free(&k->redacted);
        lt_buf_free(&k->input);
        lt_buf_free(&k->raw);
        lt_free(k->tool_id);
        lt_free(k->tool_name);
    }
    lt_free(b->blocks);
    lt_free(b->url_model);
    lt_free(b->role);
    lt_free(b->stop_reason);
    lt_free(b->invoked_model);
    lt_free(b);
}

const struct lt_api_ops lt_bedrock_converse_ops = {
    .name = "bedrock.converse",
    .operation = "chat",
    .obs_type = "generation",
    .compat_provider = "bedrock-compatible",
    .confirm = { "messages" },
    .match_path = bedrock_converse_path,
    .request = bedrock_request,
    .framing = bedrock_framing,
    .frame = bedrock_frame,
    .end = bedrock_end,
    .free = bedrock_free,
};
