/* anthropic.c — Anthropic Messages (POST .../v1/messages) and the legacy
 * Text Completions API (POST .../v1/complete): the request (system,
 * messages, tools or prompt; the sampling parameters), the answer as one
 * JSON document or as SSE events (content blocks by index: text, thinking,
 * tool_use input pieces; legacy `completion` events), usage in Langfuse's
 * keys, error bodies and error events. bedrock_invoke.c reads the same
 * bodies behind Bedrock's envelope through the lt_anthropic_call_* functions.
 *
 * Owns the per-call state (struct lt_anthropic_call) between lt_parser_new
 * and lt_parser_free. Never keeps raw events: each is parsed, read once and
 * freed; only the assembled answer survives. Never reads the URL (its query
 * may hold a key) and never copies request members that can carry a
 * credential or a user id (mcp_servers, metadata). Background thread (and
 * tests); the match_path functions on any thread.
 */
#include "anthropic.h"

#include <string.h>
#include <strings.h>

#include "../shim/buf.h"
#include "../shim/json.h"
#include "../shim/mem.h"
#include "framing.h"
#include "generation.h"
#include "pjson.h"

/* A real answer holds a few blocks, a long server-tool loop some dozens.
 * Blocks past this many are ignored, so a hostile stream of fresh indices
 * cannot make us allocate without bound. */
#define ANTHROPIC_BLOCKS_MAX 512

enum anthropic_kind {
    ANTHROPIC_TEXT,
    ANTHROPIC_THINKING,
    ANTHROPIC_REDACTED, /* redacted_thinking: encrypted, nothing to show */
    ANTHROPIC_TOOL,     /* tool_use, server_tool_use, mcp_tool_use: id, name, input */
    ANTHROPIC_OTHER     /* any other block type: kept as received */
};

struct anthropic_block {
    long long index;
    enum anthropic_kind kind;
    char *type;          /* the block's type as sent; NULL when only deltas named it */
    char *id, *name;     /* tool blocks */
    struct lt_buf text;  /* text, thinking text, or the tool input's partial_json pieces */
    struct lt_buf extra; /* text: citations (JSON values joined by ','); tool: the input as
                            given whole; other: the whole block as JSON */
};

/* Counts the answer reports; bit per member in `has`. */
enum anthropic_count {
    ANTHROPIC_IN,          /* input_tokens: excludes cache reads and writes */
    ANTHROPIC_OUT,         /* output_tokens */
    ANTHROPIC_CACHE_READ,  /* cache_read_input_tokens */
    ANTHROPIC_CACHE_WRITE, /* cache_creation_input_tokens */
    ANTHROPIC_CACHE_5M,    /* cache_creation.ephemeral_5m_input_tokens */
    ANTHROPIC_CACHE_1H,    /* cache_creation.ephemeral_1h_input_tokens */
    ANTHROPIC_WEB_SEARCH,  /* server_tool_use.web_search_requests */
    ANTHROPIC_NCOUNT
};

/* Bedrock's amazon-bedrock-invocationMetrics (last stream chunk). */
enum anthropic_metric {
    ANTHROPIC_BR_IN,
    ANTHROPIC_BR_OUT,
    ANTHROPIC_BR_CACHE_READ,
    ANTHROPIC_BR_CACHE_WRITE,
    ANTHROPIC_BR_LATENCY,
    ANTHROPIC_BR_FIRST_BYTE,
    ANTHROPIC_BR_NCOUNT
};

struct lt_anthropic_call {
    struct anthropic_block *blocks;
    int n_blocks, cap_blocks;
    long long next_index;      /* where a whole message's next block goes */
    struct lt_buf completion;  /* legacy completion text, pieces joined */
    bool answer;               /* a content array or a completion string was seen */
    bool completion_seen;      /* a completion string was seen */
    char *id, *model, *stop_reason, *stop_sequence, *service_tier;
    unsigned has;              /* bit per enum anthropic_count */
    long long v[ANTHROPIC_NCOUNT];
    unsigned br_has;           /* bit per enum anthropic_metric */
    long long br[ANTHROPIC_BR_NCOUNT];
    bool message_events;       /* a message_* event was seen: message_stop ends the stream */
    bool completion_events;    /* a legacy completion event was seen: a stop_reason ends it */
    bool stopped;              /* message_stop */
    bool error;                /* an error body, object or event was seen */
    unsigned long long events, bad_events;
    bool stream_req;           /* the request asked for a stream */
    long status;               /* HTTP status */
    bool oom;
};

/* ---- small JSON helpers --------------------------------------------------- */

/* A block index: a number in [0, 2^31). */
static bool anthropic_index_of(const cJSON *v, long long *out)
{
    if (!lt_pj_is(v, cJSON_Number))
        return false;
    double d = v->valuedouble;
    if (!(d >= 0 && d < 2147483648.0))
        return false;
    *out = (long long)d;
    return true;
}

/* ---- request ------------------------------------------------------------- */

static bool anthropic_ends_with(const char *path, size_t n, const char *tail, size_t t)
{
    return n >= t && memcmp(path + n - t, tail, t) == 0;
}

static bool anthropic_messages_path(const char *path, size_t n)
{
    static const char tail[] = "/v1/messages";
    return anthropic_ends_with(path, n, tail, sizeof tail - 1);
}

static bool anthropic_complete_path(const char *path, size_t n)
{
    static const char tail[] = "/v1/complete";
    return anthropic_ends_with(path, n, tail, sizeof tail - 1);
}

/* The conversation: kept in input_json, in this order. */
static const char *const anthropic_input_keys[] = { "system", "messages", "tools", "prompt" };

/* The sampling and generation parameters, kept in params_json as sent.
 * A list of what to keep rather than of what to drop, because the body also
 * carries members that are neither and must not be exported: mcp_servers
 * (each may hold an authorization_token), metadata (user_id, an end-user
 * identifier Langfuse has its own field for), container, context_management,
 * and Bedrock's transport members anthropic_version and anthropic_beta.
 * tool_choice constrains generation, so it is a parameter here. service_tier,
 * speed and inference_geo change the price (Langfuse price tiers match on
 * model parameters), so they are kept too. */
static const char *const anthropic_param_keys[] = {
    "max_tokens", "max_tokens_to_sample", "temperature", "top_p", "top_k", "stop_sequences", "stream",
    "thinking", "tool_choice", "service_tier", "speed", "inference_geo", "output_config", "output_format",
};

static const struct lt_pj_shape anthropic_shape = {
    .input = anthropic_input_keys,
    .n_input = sizeof anthropic_input_keys / sizeof anthropic_input_keys[0],
    .keep = anthropic_param_keys,
    .n_keep = sizeof anthropic_param_keys / sizeof anthropic_param_keys[0],
};

static void anthropic_read_request(struct lt_anthropic_call *a, const cJSON *j, struct lt_generation *g)
{
    struct lt_pj_split sp;
    lt_pj_split(j, &anthropic_shape, NULL, NULL, g, &sp, &a->oom);
    if (sp.stream)
        g->stream = a->stream_req = true;
    /* The system prompt travels beside the messages: it is input, but not
     * one of the messages counted (fixtures README, input_messages). */
    const cJSON *messages = sp.input[1], *prompt = sp.input[3];
    if (lt_pj_is(messages, cJSON_Array))
        g->n_input_messages = lt_cj.GetArraySize(messages);
    else if (lt_pj_is(prompt, cJSON_String))
        g->n_input_messages = 1; /* one prompt holding the Human:/Assistant: turns */
}

enum lt_rc lt_anthropic_call_new(const cJSON *req, long status, struct lt_generation *g,
                                 struct lt_anthropic_call **out)
{
    *out = NULL;
    struct lt_anthropic_call *a = lt_calloc(1, sizeof *a);
    if (!a)
        return LT_ERR_NOMEM;
    lt_buf_init(&a->completion, 0);
    a->status = status;
    if (lt_pj_is(req, cJSON_Object))
        anthropic_read_request(a, req, g);
    if (a->oom) {
        lt_anthropic_call_free(a);
        lt_generation_free(g);
        return LT_ERR_NOMEM;
    }
    *out = a;
    return LT_OK;
}

/* A host we do not know is Anthropic's only if the body says so: the
 * members the API requires. */
static bool anthropic_confirms(const cJSON *j, bool complete)
{
    if (!lt_pj_is(j, cJSON_Object) || !lt_pj_str(lt_pj_child(j, "model")))
        return false;
    if (complete)
        return lt_pj_is(lt_pj_child(j, "prompt"), cJSON_String) &&
               lt_pj_is(lt_pj_child(j, "max_tokens_to_sample"), cJSON_Number);
    return lt_pj_is(lt_pj_child(j, "messages"), cJSON_Array) &&
           lt_pj_is(lt_pj_child(j, "max_tokens"), cJSON_Number);
}

static enum lt_rc anthropic_request(const struct lt_parse_in *in, struct lt_generation *g, void **state,
                                    bool complete)
{
    *state = NULL;
    cJSON *j = in->req && in->req_len ? lt_cj.ParseWithLength(in->req, in->req_len) : NULL;
    if (!in->known_host && !anthropic_confirms(j, complete)) {
        if (j)
            lt_cj.Delete(j);
        return LT_ERR_SKIP;
    }
    struct lt_anthropic_call *a = NULL;
    enum lt_rc rc = lt_anthropic_call_new(j, in->http_status, g, &a);
    if (j)
        lt_cj.Delete(j);
    *state = a;
    return rc;
}

static enum lt_rc anthropic_messages_request(const struct lt_parse_in *in, struct lt_generation *g, void **state)
{
    return anthropic_request(in, g, state, false);
}

static enum lt_rc anthropic_complete_request(const struct lt_parse_in *in, struct lt_generation *g, void **state)
{
    return anthropic_request(in, g, state, true);
}

/* ---- response: blocks ------------------------------------------------------ */

static int anthropic_framing(void *state, const char *content_type, int first)
{
    struct lt_anthropic_call *a = state;
    if (first == '{' || first == '[' || first < 0)
        return LT_FRAMING_NONE; /* a JSON document, whatever the header says */
    if (content_type && strcasestr(content_type, "text/event-stream"))
        return LT_FRAMING_SSE;
    if (a->status >= 400)
        return LT_FRAMING_NONE; /* an error page, quoted whole */
    if (a->stream_req || first == 'e' || first == 'd' || first == ':' || first == 'i' || first == 'r')
        return LT_FRAMING_SSE;
    return LT_FRAMING_NONE;
}

static enum anthropic_kind anthropic_kind_of(const char *type)
{
    if (!type)
        return ANTHROPIC_OTHER;
    if (strcmp(type, "text") == 0)
        return ANTHROPIC_TEXT;
    if (strcmp(type, "thinking") == 0)
        return ANTHROPIC_THINKING;
    if (strcmp(type, "redacted_thinking") == 0)
        return ANTHROPIC_REDACTED;
    if (strcmp(type, "tool_use") == 0 || strcmp(type, "server_tool_use") == 0 || strcmp(type, "mcp_tool_use") == 0)
        return ANTHROPIC_TOOL;
    return ANTHROPIC_OTHER;
}

static struct anthropic_block *anthropic_block_find(struct lt_anthropic_call *a, long long index)
{
    for (int i = a->n_blocks - 1; i >= 0; i--) /* deltas go to the latest block */
        if (a->blocks[i].index == index)
            return &a->blocks[i];
    return NULL;
}

static struct anthropic_block *anthropic_block_new(struct lt_anthropic_call *a, long long index,
                                                   enum anthropic_kind kind)
{
    if (a->n_blocks >= ANTHROPIC_BLOCKS_MAX)
        return NULL;
    struct anthropic_block *grown = lt_pj_room(a->blocks, a->n_blocks, &a->cap_blocks, sizeof *grown, 4, &a->oom);
    if (!grown)
        return NULL;
    a->blocks = grown;
    struct anthropic_block *b = &a->blocks[a->n_blocks++];
    memset(b, 0, sizeof *b);
    b->index = index;
    b->kind = kind;
    lt_buf_init(&b->text, 0);
    lt_buf_init(&b->extra, 0);
    if (index >= a->next_index)
        a->next_index = index + 1;
    return b;
}

/* A block as a whole message or content_block_start gives it. */
static void anthropic_block_fill(struct lt_anthropic_call *a, struct anthropic_block *b, const cJSON *blk)
{
    lt_pj_keep_first(&b->type, lt_pj_str(lt_pj_child(blk, "type")), &a->oom);
    switch (b->kind) {
    case ANTHROPIC_TEXT: {
        const char *t = lt_pj_str(lt_pj_child(blk, "text"));
        if (t)
            lt_pj_append(&b->text, t, strlen(t), &a->oom);
        const cJSON *cites = lt_pj_child(blk, "citations");
        if (lt_pj_is(cites, cJSON_Array))
            for (const cJSON *c = cites->child; c; c = c->next) {
                if (b->extra.len)
                    lt_pj_append(&b->extra, ",", 1, &a->oom);
                lt_pj_append_json(&b->extra, c, &a->oom);
            }
        break;
    }
    case ANTHROPIC_THINKING: {
        /* the signature is an opaque proof for the API, not text: not kept */
        const char *t = lt_pj_str(lt_pj_child(blk, "thinking"));
        if (t)
            lt_pj_append(&b->text, t, strlen(t), &a->oom);
        break;
    }
    case ANTHROPIC_REDACTED:
        break; /* its `data` is encrypted: noted, not kept */
    case ANTHROPIC_TOOL: {
        lt_pj_keep_first(&b->id, lt_pj_str(lt_pj_child(blk, "id")), &a->oom);
        lt_pj_keep_first(&b->name, lt_pj_str(lt_pj_child(blk, "name")), &a->oom);
        const cJSON *input = lt_pj_child(blk, "input");
        if (input && !b->extra.len)
            lt_pj_append_json(&b->extra, input, &a->oom);
        break;
    }
    case ANTHROPIC_OTHER:
        if (!b->extra.len)
            lt_pj_append_json(&b->extra, blk, &a->oom);
        break;
    }
}

/* A block of a whole message's content array: after every block so far. */
static void anthropic_block_whole(struct lt_anthropic_call *a, const cJSON *blk)
{
    if (!lt_pj_is(blk, cJSON_Object))
        return;
    const char *type = lt_pj_str(lt_pj_child(blk, "type"));
    struct anthropic_block *b = anthropic_block_new(a, a->next_index, anthropic_kind_of(type));
    if (b)
        anthropic_block_fill(a, b, blk);
}

static void anthropic_block_start(struct lt_anthropic_call *a, const cJSON *ev)
{
    long long index;
    const cJSON *blk = lt_pj_child(ev, "content_block");
    if (!anthropic_index_of(lt_pj_child(ev, "index"), &index) || !lt_pj_is(blk, cJSON_Object))
        return;
    enum anthropic_kind kind = anthropic_kind_of(lt_pj_str(lt_pj_child(blk, "type")));
    struct anthropic_block *b = anthropic_block_find(a, index);
    if (!b || b->kind != kind)
        b = anthropic_block_new(a, index, kind);
    if (b)
        anthropic_block_fill(a, b, blk);
}

static void anthropic_delta(struct lt_anthropic_call *a, const cJSON *ev)
{
    long long index;
    const cJSON *d = lt_pj_child(ev, "delta");
    const char *type = lt_pj_str(lt_pj_child(d, "type"));
    if (!anthropic_index_of(lt_pj_child(ev, "index"), &index) || !type)
        return;
    enum anthropic_kind kind;
    const char *piece = NULL;
    const cJSON *citation = NULL;
    if (strcmp(type, "text_delta") == 0) {
        kind = ANTHROPIC_TEXT;
        piece = lt_pj_str(lt_pj_child(d, "text"));
    } else if (strcmp(type, "input_json_delta") == 0) {
        kind = ANTHROPIC_TOOL;
        piece = lt_pj_str(lt_pj_child(d, "partial_json"));
    } else if (strcmp(type, "thinking_delta") == 0) {
        kind = ANTHROPIC_THINKING;
        piece = lt_pj_str(lt_pj_child(d, "thinking"));
    } else if (strcmp(type, "citations_delta") == 0) {
        kind = ANTHROPIC_TEXT;
        citation = lt_pj_child(d, "citation");
    } else {
        return; /* signature_delta and types we do not read */
    }
    if (!piece && !citation)
        return;
    struct anthropic_block *b = anthropic_block_find(a, index);
    if (!b) /* a delta without its start: the delta's type says the block's */
        b = anthropic_block_new(a, index, kind);
    if (!b || b->kind != kind)
        return;
    if (piece) {
        lt_pj_append(&b->text, piece, strlen(piece), &a->oom);
    } else {
        if (b->extra.len)
            lt_pj_append(&b->extra, ",", 1, &a->oom);
        lt_pj_append_json(&b->extra, citation, &a->oom);
    }
}

/* ---- response: usage, errors, messages -------------------------------------- */

static void anthropic_count(struct lt_anthropic_call *a, enum anthropic_count k, const cJSON *v)
{
    long long n;
    if (lt_pj_count(v, &n)) {
        a->v[k] = n;
        a->has |= 1u << k;
    }
}

/* A usage object updates the counts it carries: message_start gives input
 * and cache counts (and a placeholder output count), each message_delta the
 * cumulative output count, sometimes the input counts again; null or absent
 * members change nothing. */
static void anthropic_usage(struct lt_anthropic_call *a, const cJSON *u)
{
    for (const cJSON *c = u->child; c; c = c->next) {
        if (lt_pj_key(c, "input_tokens"))
            anthropic_count(a, ANTHROPIC_IN, c);
        else if (lt_pj_key(c, "output_tokens"))
            anthropic_count(a, ANTHROPIC_OUT, c);
        else if (lt_pj_key(c, "cache_read_input_tokens"))
            anthropic_count(a, ANTHROPIC_CACHE_READ, c);
        else if (lt_pj_key(c, "cache_creation_input_tokens"))
            anthropic_count(a, ANTHROPIC_CACHE_WRITE, c);
        else if (lt_pj_key(c, "cache_creation")) {
            anthropic_count(a, ANTHROPIC_CACHE_5M, lt_pj_child(c, "ephemeral_5m_input_tokens"));
            anthropic_count(a, ANTHROPIC_CACHE_1H, lt_pj_child(c, "ephemeral_1h_input_tokens"));
        } else if (lt_pj_key(c, "server_tool_use"))
            anthropic_count(a, ANTHROPIC_WEB_SEARCH, lt_pj_child(c, "web_search_requests"));
        else if (lt_pj_key(c, "service_tier"))
            lt_pj_keep_last(&a->service_tier, lt_pj_str(c), &a->oom);
    }
}

static void anthropic_metric(struct lt_anthropic_call *a, enum anthropic_metric k, const cJSON *v)
{
    long long n;
    if (lt_pj_count(v, &n)) {
        a->br[k] = n;
        a->br_has |= 1u << k;
    }
}

static void anthropic_bedrock_metrics(struct lt_anthropic_call *a, const cJSON *m)
{
    anthropic_metric(a, ANTHROPIC_BR_IN, lt_pj_child(m, "inputTokenCount"));
    anthropic_metric(a, ANTHROPIC_BR_OUT, lt_pj_child(m, "outputTokenCount"));
    anthropic_metric(a, ANTHROPIC_BR_CACHE_READ, lt_pj_child(m, "cacheReadInputTokenCount"));
    anthropic_metric(a, ANTHROPIC_BR_CACHE_WRITE, lt_pj_child(m, "cacheWriteInputTokenCount"));
    anthropic_metric(a, ANTHROPIC_BR_LATENCY, lt_pj_child(m, "invocationLatency"));
    anthropic_metric(a, ANTHROPIC_BR_FIRST_BYTE, lt_pj_child(m, "firstByteLatency"));
}

void lt_anthropic_call_error(struct lt_anthropic_call *a, struct lt_generation *g, const char *type,
                             const char *message)
{
    if (type && !*type)
        type = NULL;
    if (message && !*message)
        message = NULL;
    if (type && message)
        lt_generation_set_status(g, LT_LEVEL_ERROR, "%s: %s", type, message);
    else if (type || message)
        lt_generation_set_status(g, LT_LEVEL_ERROR, "%s", type ? type : message);
    else
        lt_generation_set_status(g, LT_LEVEL_ERROR, "error event in the response stream");
    a->error = true;
}

/* {"type":"error","error":{"type":...,"message":...}}, a bare error object,
 * or Bedrock's {"message": ...} / {"Message": ...}. false when o says
 * nothing an error would. */
static bool anthropic_error_object(struct lt_anthropic_call *a, struct lt_generation *g, const cJSON *o)
{
    const cJSON *err = lt_pj_child(o, "error");
    const char *type = NULL, *msg = NULL;
    if (lt_pj_is(err, cJSON_Object)) {
        type = lt_pj_str(lt_pj_child(err, "type"));
        msg = lt_pj_str(lt_pj_child(err, "message"));
    } else if (lt_pj_str(err)) {
        msg = lt_pj_str(err);
    }
    if (!msg)
        msg = lt_pj_str(lt_pj_child(o, "message"));
    if (!msg)
        msg = lt_pj_str(lt_pj_child(o, "Message"));
    if (!type && !msg)
        return false;
    lt_anthropic_call_error(a, g, type, msg);
    return true;
}

/* A message (whole answer, or message_start's), or a legacy completion
 * (whole, or one streamed event): every top-level member read once. */
static void anthropic_object(struct lt_anthropic_call *a, struct lt_generation *g, const cJSON *o)
{
    bool error_type = false;
    for (const cJSON *c = o->child; c; c = c->next) {
        if (!c->string)
            continue;
        if (lt_pj_key(c, "content")) {
            if (lt_pj_is(c, cJSON_Array)) {
                a->answer = true;
                for (const cJSON *blk = c->child; blk; blk = blk->next)
                    anthropic_block_whole(a, blk);
            }
        } else if (lt_pj_key(c, "completion")) {
            const char *s = lt_pj_str(c);
            if (s) {
                a->answer = a->completion_seen = true;
                lt_pj_append(&a->completion, s, strlen(s), &a->oom);
            }
        } else if (lt_pj_key(c, "id")) {
            lt_pj_keep_first(&a->id, lt_pj_str(c), &a->oom);
        } else if (lt_pj_key(c, "model")) {
            lt_pj_keep_first(&a->model, lt_pj_str(c), &a->oom);
        } else if (lt_pj_key(c, "stop_reason")) {
            lt_pj_keep_last(&a->stop_reason, lt_pj_str(c), &a->oom);
        } else if (lt_pj_key(c, "stop_sequence") || lt_pj_key(c, "stop")) {
            lt_pj_keep_last(&a->stop_sequence, lt_pj_str(c), &a->oom);
        } else if (lt_pj_key(c, "usage")) {
            if (lt_pj_is(c, cJSON_Object))
                anthropic_usage(a, c);
        } else if (lt_pj_key(c, "type")) {
            const char *t = lt_pj_str(c);
            error_type = t && strcmp(t, "error") == 0;
        } else if (lt_pj_key(c, "error")) {
            error_type = error_type || lt_pj_is(c, cJSON_Object) || lt_pj_is(c, cJSON_String);
        }
    }
    if (error_type && !anthropic_error_object(a, g, o))
        lt_anthropic_call_error(a, g, NULL, NULL);
}

/* One stream event, by its `type` member. */
static void anthropic_event(struct lt_anthropic_call *a, struct lt_generation *g, const cJSON *ev, bool error_event)
{
    const char *type = lt_pj_str(lt_pj_child(ev, "type"));
    if (!type)
        type = "";
    if (strcmp(type, "content_block_delta") == 0) {
        anthropic_delta(a, ev);
    } else if (strcmp(type, "content_block_start") == 0) {
        anthropic_block_start(a, ev);
    } else if (strcmp(type, "message_start") == 0) {
        a->message_events = true;
        const cJSON *m = lt_pj_child(ev, "message");
        if (lt_pj_is(m, cJSON_Object))
            anthropic_object(a, g, m);
    } else if (strcmp(type, "message_delta") == 0) {
        a->message_events = true;
        const cJSON *d = lt_pj_child(ev, "delta");
        lt_pj_keep_last(&a->stop_reason, lt_pj_str(lt_pj_child(d, "stop_reason")), &a->oom);
        lt_pj_keep_last(&a->stop_sequence, lt_pj_str(lt_pj_child(d, "stop_sequence")), &a->oom);
        const cJSON *u = lt_pj_child(ev, "usage");
        if (lt_pj_is(u, cJSON_Object))
            anthropic_usage(a, u);
    } else if (strcmp(type, "message_stop") == 0) {
        a->message_events = true;
        a->stopped = true;
    } else if (strcmp(type, "completion") == 0 || (!*type && lt_pj_child(ev, "completion"))) {
        /* Bedrock's legacy chunks are the same object without its type */
        a->completion_events = true;
        anthropic_object(a, g, ev);
    } else if (strcmp(type, "error") == 0 || error_event) {
        if (!anthropic_error_object(a, g, ev))
            lt_anthropic_call_error(a, g, NULL, NULL);
    }
    /* Bedrock adds its own counts to the last chunk's event */
    const cJSON *m = lt_pj_child(ev, "amazon-bedrock-invocationMetrics");
    if (lt_pj_is(m, cJSON_Object))
        anthropic_bedrock_metrics(a, m);
}

void lt_anthropic_call_event(struct lt_anthropic_call *a, struct lt_generation *g, const char *d, size_t n,
                             bool error_event)
{
    if (!lt_pj_trim(&d, &n))
        return;
    a->events++;
    cJSON *j = lt_cj.ParseWithLength(d, n);
    if (lt_pj_is(j, cJSON_Object)) {
        anthropic_event(a, g, j, error_event);
    } else if (error_event) {
        lt_pj_error_text(g, 0, d, n);
        a->error = true;
    } else {
        a->bad_events++;
    }
    if (j)
        lt_cj.Delete(j);
}

void lt_anthropic_call_bad_event(struct lt_anthropic_call *a)
{
    a->events++;
    a->bad_events++;
}

static bool anthropic_event_is(const struct lt_frame *f, const char *name)
{
    size_t n = strlen(name);
    return f->event_len == n && memcmp(f->event, name, n) == 0;
}

static void anthropic_frame(void *state, struct lt_generation *g, const struct lt_frame *f)
{
    if (anthropic_event_is(f, "ping"))
        return;
    lt_anthropic_call_event(state, g, f->data, f->len, anthropic_event_is(f, "error"));
}

/* ---- response: the end ------------------------------------------------------ */

static void anthropic_whole(struct lt_anthropic_call *a, const struct lt_parse_end *e, struct lt_generation *g)
{
    cJSON *j = e->body_len ? lt_cj.ParseWithLength(e->body, e->body_len) : NULL;
    bool obj = lt_pj_is(j, cJSON_Object);
    const char *cut = e->complete ? "" : "; transfer incomplete";
    if (e->http_status >= 400) {
        if (!obj || !anthropic_error_object(a, g, j))
            lt_pj_error_text(g, e->http_status, e->body, e->body_len);
        a->error = true;
    } else if (obj) {
        anthropic_object(a, g, j);
        if (!a->error && !a->answer)
            LT_PJ_WARN(g, "response is JSON but not an Anthropic answer (%llu bytes)", e->bytes);
    } else if (e->http_status != 0) {
        if (e->body_truncated)
            LT_PJ_WARN(g, "response body passed its cap and was cut (%llu bytes)", e->bytes);
        else if (e->body_len == 0)
            LT_PJ_WARN(g, "response body is empty (%llu bytes%s)", e->bytes, cut);
        else if (j)
            LT_PJ_WARN(g, "response is JSON but not an Anthropic answer (%llu bytes)", e->bytes);
        else
            LT_PJ_WARN(g, "response is not JSON (%llu bytes%s)", e->bytes, cut);
    }
    if (j)
        lt_cj.Delete(j);
}

static void anthropic_stream_end(struct lt_anthropic_call *a, const struct lt_parse_end *e, struct lt_generation *g)
{
    if (e->http_status >= 400 && !a->error) {
        lt_generation_set_status(g, LT_LEVEL_ERROR, "HTTP %ld", e->http_status);
        a->error = true;
    }
    const char *cut = e->complete ? "" : "; transfer incomplete";
    /* an error says itself why the stream stopped */
    if (!a->error && a->message_events && !a->stopped)
        LT_PJ_WARN(g, "stream ended before message_stop: kept what %llu events said (%llu bytes%s)", a->events,
                       e->bytes, cut);
    else if (!a->error && !a->message_events && a->completion_events && !a->stop_reason)
        LT_PJ_WARN(g, "stream ended without a stop_reason: kept what %llu events said (%llu bytes%s)", a->events,
                       e->bytes, cut);
    else if (!a->error && !a->message_events && !a->completion_events)
        LT_PJ_WARN(g, "stream holds no message or completion events (%llu events, %llu bytes%s)", a->events,
                       e->bytes, cut);
    /* after the end: a missing end says more than a bad event (often the cut one) */
    if (a->bad_events)
        LT_PJ_WARN(g, "%llu of %llu stream events are not JSON (%llu bytes)", a->bad_events, a->events,
                       e->bytes);
    /* an AWS event stream (Bedrock InvokeModel) skips for more reasons than size */
    if (e->stream_corrupt)
        LT_PJ_WARN(g, "event stream is corrupt (a message prelude failed its CRC) after %llu messages (%llu bytes)",
                   e->frames, e->bytes);
    else if (e->frames_skipped)
        LT_PJ_WARN(g, "%llu stream events over the %zu-byte cap (or failing their CRC) were skipped (%llu bytes)",
                   e->frames_skipped, (size_t)LT_FRAME_CAP, e->bytes);
}

static void anthropic_sort(struct lt_anthropic_call *a)
{
    for (int i = 1; i < a->n_blocks; i++) {
        struct anthropic_block b = a->blocks[i];
        int k = i;
        for (; k > 0 && a->blocks[k - 1].index > b.index; k--)
            a->blocks[k] = a->blocks[k - 1];
        a->blocks[k] = b;
    }
}

/* A tool block's input as JSON text: the streamed pieces joined, else the
 * input given whole, else {} (a tool that takes no arguments). */
static char *anthropic_tool_args(struct lt_anthropic_call *a, const struct anthropic_block *b)
{
    if (b->text.len)
        return lt_pj_text(&b->text, &a->oom);
    if (b->extra.len)
        return lt_pj_text(&b->extra, &a->oom);
    char *s = lt_strdup("{}");
    if (!s)
        a->oom = true;
    return s;
}

static const char *anthropic_type_name(const struct anthropic_block *b)
{
    if (b->type)
        return b->type;
    switch (b->kind) {
    case ANTHROPIC_TEXT:
        return "text";
    case ANTHROPIC_THINKING:
        return "thinking";
    case ANTHROPIC_REDACTED:
        return "redacted_thinking";
    case ANTHROPIC_TOOL:
        return "tool_use";
    default:
        return "unknown";
    }
}

/* One content block as the API would have returned it whole. `args` is a
 * tool block's input text. */
static void anthropic_block_json(struct lt_anthropic_call *a, struct lt_buf *o, const struct anthropic_block *b,
                                 const char *args)
{
    if (b->kind == ANTHROPIC_OTHER && b->extra.len) {
        lt_buf_add(o, b->extra.data, b->extra.len); /* written by lt_provider_json_write: valid JSON */
        return;
    }
    lt_buf_adds(o, "{\"type\":");
    lt_buf_json_strz(o, anthropic_type_name(b));
    switch (b->kind) {
    case ANTHROPIC_TEXT:
    case ANTHROPIC_THINKING:
        lt_buf_adds(o, b->kind == ANTHROPIC_TEXT ? ",\"text\":" : ",\"thinking\":");
        lt_buf_json_str(o, b->text.data ? b->text.data : "", b->text.len);
        if (b->kind == ANTHROPIC_TEXT && b->extra.len) {
            lt_buf_adds(o, ",\"citations\":[");
            lt_buf_add(o, b->extra.data, b->extra.len);
            lt_buf_addc(o, ']');
        }
        break;
    case ANTHROPIC_TOOL: {
        lt_buf_adds(o, ",\"id\":");
        lt_buf_json_strz(o, b->id);
        lt_buf_adds(o, ",\"name\":");
        lt_buf_json_strz(o, b->name);
        lt_buf_adds(o, ",\"input\":");
        /* the input as JSON when the pieces make JSON, else as the text received */
        cJSON *v = args ? lt_cj.ParseWithLength(args, strlen(args)) : NULL;
        if (v)
            lt_pj_append_json(o, v, &a->oom);
        else
            lt_buf_json_strz(o, args ? args : "");
        if (v)
            lt_cj.Delete(v);
        break;
    }
    default:
        break;
    }
    lt_buf_addc(o, '}');
}

static void anthropic_meta_count(struct lt_anthropic_call *a, struct lt_generation *g, const char *key,
                                 bool has, long long n)
{
    if (has && n != 0)
        lt_pj_meta_num(g, key, n, &a->oom);
}

/* Langfuse prices each usage key on its own (DESIGN "Usage details"), so no
 * token is in two keys: Anthropic's input_tokens already excludes cache
 * reads and writes, which get their own keys, and total is their sum. The
 * 5-minute / 1-hour split of cache writes is not a key of its own (the
 * fixtures README's usage_details rules have none; sending it beside
 * input_cache_creation would count those tokens twice): it goes to
 * metadata. */
static void anthropic_usage_details(struct lt_anthropic_call *a, struct lt_generation *g)
{
#define ANTHROPIC_HAS(k) (a->has & (1u << (k)))
#define ANTHROPIC_BR_HAS(k) (a->br_has & (1u << (k)))
    bool has_in, has_out, has_read, has_write;
    long long in, out, read, write;
    if (ANTHROPIC_HAS(ANTHROPIC_IN) || ANTHROPIC_HAS(ANTHROPIC_OUT)) {
        has_in = ANTHROPIC_HAS(ANTHROPIC_IN);
        has_out = ANTHROPIC_HAS(ANTHROPIC_OUT);
        has_read = ANTHROPIC_HAS(ANTHROPIC_CACHE_READ);
        has_write = ANTHROPIC_HAS(ANTHROPIC_CACHE_WRITE) || ANTHROPIC_HAS(ANTHROPIC_CACHE_5M) ||
                    ANTHROPIC_HAS(ANTHROPIC_CACHE_1H);
        in = a->v[ANTHROPIC_IN];
        out = a->v[ANTHROPIC_OUT];
        read = a->v[ANTHROPIC_CACHE_READ];
        write = ANTHROPIC_HAS(ANTHROPIC_CACHE_WRITE) ? a->v[ANTHROPIC_CACHE_WRITE]
                                                      : a->v[ANTHROPIC_CACHE_5M] + a->v[ANTHROPIC_CACHE_1H];
    } else if (ANTHROPIC_BR_HAS(ANTHROPIC_BR_IN) || ANTHROPIC_BR_HAS(ANTHROPIC_BR_OUT)) {
        /* Bedrock's own counts, for bodies that carry none (legacy text
         * completions); its input count, like Converse's, excludes cache */
        has_in = ANTHROPIC_BR_HAS(ANTHROPIC_BR_IN);
        has_out = ANTHROPIC_BR_HAS(ANTHROPIC_BR_OUT);
        has_read = ANTHROPIC_BR_HAS(ANTHROPIC_BR_CACHE_READ);
        has_write = ANTHROPIC_BR_HAS(ANTHROPIC_BR_CACHE_WRITE);
        in = a->br[ANTHROPIC_BR_IN];
        out = a->br[ANTHROPIC_BR_OUT];
        read = a->br[ANTHROPIC_BR_CACHE_READ];
        write = a->br[ANTHROPIC_BR_CACHE_WRITE];
    } else {
        return;
    }
    if (has_in)
        lt_generation_set_usage(g, "input", in);
    if (has_out)
        lt_generation_set_usage(g, "output", out);
    if (has_read)
        lt_generation_set_usage(g, "input_cached_tokens", read);
    if (has_write)
        lt_generation_set_usage(g, "input_cache_creation", write);
    lt_generation_set_usage(g, "total", (has_in ? in : 0) + (has_out ? out : 0) + (has_read ? read : 0) +
                                            (has_write ? write : 0));
#undef ANTHROPIC_HAS
#undef ANTHROPIC_BR_HAS
}

static void anthropic_assemble(struct lt_anthropic_call *a, struct lt_generation *g, const char *url_model)
{
    anthropic_sort(a);
    g->response_model = a->model;
    a->model = NULL;
    lt_pj_pick_model(g, url_model, &a->oom);
    if (a->id && !(g->response_id = lt_strdup(a->id)))
        a->oom = true;
    if (a->stop_reason && !(g->finish_reason = lt_strdup(a->stop_reason)))
        a->oom = true;
    lt_pj_meta(g, "response_id", a->id, &a->oom);
    lt_pj_meta(g, "stop_sequence", a->stop_sequence, &a->oom);
    lt_pj_meta(g, "service_tier", a->service_tier, &a->oom);
    anthropic_meta_count(a, g, "cache_creation_5m_input_tokens", a->has & (1u << ANTHROPIC_CACHE_5M),
                         a->v[ANTHROPIC_CACHE_5M]);
    anthropic_meta_count(a, g, "cache_creation_1h_input_tokens", a->has & (1u << ANTHROPIC_CACHE_1H),
                         a->v[ANTHROPIC_CACHE_1H]);
    anthropic_meta_count(a, g, "web_search_requests", a->has & (1u << ANTHROPIC_WEB_SEARCH),
                         a->v[ANTHROPIC_WEB_SEARCH]);
    anthropic_meta_count(a, g, "bedrock_invocation_latency_ms", a->br_has & (1u << ANTHROPIC_BR_LATENCY),
                         a->br[ANTHROPIC_BR_LATENCY]);
    anthropic_meta_count(a, g, "bedrock_first_byte_latency_ms", a->br_has & (1u << ANTHROPIC_BR_FIRST_BYTE),
                         a->br[ANTHROPIC_BR_FIRST_BYTE]);


    /* Visible text, thinking text and the tool calls, in block order.
     * tool_calls are the calls the client must answer (tool_use);
     * server_tool_use and mcp_tool_use ran on Anthropic's side and stay in
     * output_json only. */
    char **args = a->n_blocks ? lt_calloc((size_t)a->n_blocks, sizeof *args) : NULL;
    if (a->n_blocks && !args)
        a->oom = true;
    struct lt_buf text, thinking;
    lt_buf_init(&text, 0);
    lt_buf_init(&thinking, 0);
    int n_calls = 0, n_redacted = 0;
    for (int i = 0; i < a->n_blocks; i++) {
        struct anthropic_block *b = &a->blocks[i];
        if (b->kind == ANTHROPIC_TEXT)
            lt_pj_append(&text, b->text.data ? b->text.data : "", b->text.len, &a->oom);
        else if (b->kind == ANTHROPIC_THINKING)
            lt_pj_append(&thinking, b->text.data ? b->text.data : "", b->text.len, &a->oom);
        else if (b->kind == ANTHROPIC_REDACTED)
            n_redacted++;
        else if (b->kind == ANTHROPIC_TOOL && args) {
            args[i] = anthropic_tool_args(a, b);
            if (strcmp(anthropic_type_name(b), "tool_use") == 0)
                n_calls++;
        }
    }
    if (a->n_blocks == 0 && a->completion.len)
        lt_pj_append(&text, a->completion.data, a->completion.len, &a->oom);
    if (text.len)
        g->output_text = lt_pj_text(&text, &a->oom);
    if (thinking.len)
        g->reasoning_text = lt_pj_text(&thinking, &a->oom);
    lt_buf_free(&text);
    lt_buf_free(&thinking);
    anthropic_meta_count(a, g, "redacted_thinking_blocks", true, n_redacted);

    struct lt_buf out;
    lt_buf_init(&out, 0);
    if (a->n_blocks || (a->answer && !a->completion_seen)) {
        lt_buf_adds(&out, "{\"role\":\"assistant\",\"content\":[");
        for (int i = 0; i < a->n_blocks; i++) {
            if (i)
                lt_buf_addc(&out, ',');
            anthropic_block_json(a, &out, &a->blocks[i], args ? args[i] : NULL);
        }
        lt_buf_adds(&out, "]}");
    } else if (a->completion_seen) {
        lt_buf_adds(&out, "{\"role\":\"assistant\",\"content\":");
        lt_buf_json_str(&out, a->completion.data ? a->completion.data : "", a->completion.len);
        lt_buf_addc(&out, '}');
    }
    if (out.len)
        g->output_json = lt_pj_steal(&out, &a->oom);
    lt_buf_free(&out);

    if (n_calls && args) {
        g->tool_calls = lt_calloc((size_t)n_calls, sizeof *g->tool_calls);
        if (!g->tool_calls)
            a->oom = true;
        for (int i = 0; g->tool_calls && i < a->n_blocks; i++) {
            struct anthropic_block *b = &a->blocks[i];
            if (b->kind != ANTHROPIC_TOOL || strcmp(anthropic_type_name(b), "tool_use") != 0)
                continue;
            struct lt_tool_call *tc = &g->tool_calls[g->n_tool_calls++];
            tc->id = b->id;
            tc->name = b->name;
            tc->arguments = args[i];
            b->id = b->name = args[i] = NULL;
        }
    }
    for (int i = 0; args && i < a->n_blocks; i++)
        lt_free(args[i]);
    lt_free(args);
    anthropic_usage_details(a, g);
}

enum lt_rc lt_anthropic_call_end(struct lt_anthropic_call *a, const struct lt_parse_end *e, struct lt_generation *g,
                                 const char *url_model)
{
    if (e->framed)
        anthropic_stream_end(a, e, g);
    else
        anthropic_whole(a, e, g);
    anthropic_assemble(a, g, url_model);
    return a->oom ? LT_ERR_NOMEM : LT_OK;
}

static enum lt_rc anthropic_end(void *state, const struct lt_parse_end *e, struct lt_generation *g)
{
    return lt_anthropic_call_end(state, e, g, NULL);
}

void lt_anthropic_call_free(struct lt_anthropic_call *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->n_blocks; i++) {
        struct anthropic_block *b = &a->blocks[i];
        lt_free(b->type);
        lt_free(b->id);
        lt_free(b->name);
        lt_buf_free(&b->text);
        lt_buf_free(&b->extra);
    }
    lt_free(a->blocks);
    lt_buf_free(&a->completion);
    lt_free(a->id);
    lt_free(a->model);
    lt_free(a->stop_reason);
    lt_free(a->stop_sequence);
    lt_free(a->service_tier);
    lt_free(a);
}

static void anthropic_free(void *state)
{
    lt_anthropic_call_free(state);
}

const struct lt_api_ops lt_anthropic_messages_ops = {
    .name = "anthropic.messages",
    .operation = "chat",
    .obs_type = "generation",
    .compat_provider = "anthropic-compatible",
    .confirm = { "model", "messages" },
    .match_path = anthropic_messages_path,
    .request = anthropic_messages_request,
    .framing = anthropic_framing,
    .frame = anthropic_frame,
    .end = anthropic_end,
    .free = anthropic_free,
};

const struct lt_api_ops lt_anthropic_complete_ops = {
    .name = "anthropic.complete",
    .operation = "text_completion",
    .obs_type = "generation",
    .compat_provider = "anthropic-compatible",
    .confirm = { "model", "prompt" },
    .match_path = anthropic_complete_path,
    .request = anthropic_complete_request,
    .framing = anthropic_framing,
    .frame = anthropic_frame,
    .end = anthropic_end,
    .free = anthropic_free,
};
