/* cohere.c — Cohere v2 chat (POST .../v2/chat): request (model, messages,
 * tools, documents, parameters), the answer as one JSON document or as an
 * SSE stream (message-start, content-start/delta/end, tool-plan-delta,
 * tool-call-start/delta/end, citation-start/end, message-end), text and
 * thinking parts, tool_plan, tool calls, citations, billed and processed
 * token counts, error bodies and errors reported in the stream.
 *
 * Owns the per-call state (struct cohere_call) between lt_parser_new and
 * lt_parser_finish. Never keeps raw events: each is parsed once, read into
 * the assembled message and freed. Never copies the URL. Background thread
 * (and tests); the path match on any thread.
 */
#include "cohere.h"

#include <stdio.h>
#include <string.h>

#include "../shim/buf.h"
#include "../shim/json.h"
#include "../shim/mem.h"
#include "framing.h"
#include "generation.h"

/* An answer has a handful of content parts, tool calls and citations; a
 * hostile index past these is ignored rather than allocated for. */
#define COHERE_PARTS_MAX 128
#define COHERE_TOOLS_MAX 128
#define COHERE_CITATIONS_MAX 1024
/* A non-JSON error body is quoted up to this many bytes. */
#define COHERE_ERROR_QUOTE 200

struct cohere_part {
    int index;
    bool thinking;      /* a "thinking" part, else text */
    struct lt_buf text;
};

struct cohere_tool {
    int index;
    char *id, *name, *type;
    struct lt_buf args; /* argument pieces joined */
};

/* usage: billed_units and tokens, each count when reported */
enum cohere_count { COHERE_BILLED_IN, COHERE_BILLED_OUT, COHERE_TOKENS_IN, COHERE_TOKENS_OUT, COHERE_SEARCH,
                    COHERE_CACHED, COHERE_NCOUNT };

struct cohere_call {
    bool stream_req;
    long status;
    char *id, *role, *finish_reason;
    struct cohere_part *parts;
    int n_parts, cap_parts;
    struct cohere_tool *tools;
    int n_tools, cap_tools;
    bool has_plan;
    struct lt_buf plan;      /* tool_plan, streamed pieces joined */
    struct lt_buf citations; /* citation objects as JSON, comma-separated */
    int n_citations;
    bool has_usage;
    unsigned has;            /* bit per enum cohere_count */
    long long v[COHERE_NCOUNT];
    bool started, ended, done; /* message-start, message-end, [DONE] seen */
    bool error;
    unsigned long long events, bad_events;
    bool oom;
};

/* ---- small JSON helpers -------------------------------------------------- */

static bool cohere_is(const cJSON *v, int type)
{
    return v && (v->type & 0xFF) == type;
}

static const char *cohere_str(const cJSON *v)
{
    return cohere_is(v, cJSON_String) && v->valuestring ? v->valuestring : NULL;
}

static bool cohere_int(const cJSON *v, long long *out)
{
    if (!cohere_is(v, cJSON_Number))
        return false;
    double d = v->valuedouble;
    if (!(d >= -9.0e15 && d <= 9.0e15))
        return false;
    *out = (long long)d;
    return true;
}

static void cohere_add(struct cohere_call *o, struct lt_buf *b, const char *s)
{
    if (s && lt_buf_adds(b, s) != LT_OK && b->oom)
        o->oom = true;
}

static char *cohere_dup(struct cohere_call *o, const char *s)
{
    if (!s)
        return NULL;
    char *d = lt_generation_strdup_utf8(s, strlen(s));
    if (!d)
        o->oom = true;
    return d;
}

static void cohere_keep_first(struct cohere_call *o, char **slot, const char *s)
{
    if (!*slot && s && *s)
        *slot = cohere_dup(o, s);
}

static void cohere_keep_last(struct cohere_call *o, char **slot, const char *s)
{
    if (!s || !*s || (*slot && strcmp(*slot, s) == 0))
        return;
    lt_free(*slot);
    *slot = cohere_dup(o, s);
}

static char *cohere_steal(struct cohere_call *o, struct lt_buf *b)
{
    if (b->truncated) {
        o->oom = true;
        lt_buf_free(b);
        return NULL;
    }
    return lt_buf_steal(b, NULL);
}

/* ---- the request ------------------------------------------------------------ */

static bool cohere_chat_path(const char *path, size_t n)
{
    static const char tail[] = "/v2/chat";
    size_t t = sizeof tail - 1;
    return n >= t && memcmp(path + n - t, tail, t) == 0;
}

/* Request members that are the conversation, not parameters. */
static const char *const cohere_input_keys[] = { "messages", "tools", "documents", "tool_choice" };
#define COHERE_NINPUT (sizeof cohere_input_keys / sizeof cohere_input_keys[0])

static void cohere_read_request(struct cohere_call *o, const cJSON *j, struct lt_generation *g)
{
    const cJSON *input[COHERE_NINPUT] = { 0 };
    struct lt_buf params;
    lt_buf_init(&params, 0);
    for (const cJSON *c = j->child; c; c = c->next) {
        if (!c->string)
            continue;
        if (strcmp(c->string, "model") == 0) {
            if (!g->request_model && cohere_str(c))
                g->request_model = cohere_dup(o, cohere_str(c));
            continue;
        }
        size_t k = 0;
        while (k < COHERE_NINPUT && strcmp(c->string, cohere_input_keys[k]) != 0)
            k++;
        if (k < COHERE_NINPUT) {
            if (!input[k]) {
                input[k] = c;
                if (k == 0 && cohere_is(c, cJSON_Array))
                    g->n_input_messages = lt_cj.GetArraySize(c);
            }
            continue;
        }
        if (strcmp(c->string, "stream") == 0 && cohere_is(c, cJSON_True))
            g->stream = o->stream_req = true;
        lt_buf_addc(&params, params.len ? ',' : '{');
        lt_buf_json_strz(&params, c->string);
        lt_buf_addc(&params, ':');
        lt_provider_json_write(&params, c);
    }
    if (params.len) {
        lt_buf_addc(&params, '}');
        g->params_json = cohere_steal(o, &params);
    }
    lt_buf_free(&params);

    struct lt_buf in;
    lt_buf_init(&in, 0);
    for (size_t k = 0; k < COHERE_NINPUT; k++) {
        if (!input[k])
            continue;
        lt_buf_addc(&in, in.len ? ',' : '{');
        lt_buf_json_strz(&in, cohere_input_keys[k]);
        lt_buf_addc(&in, ':');
        lt_provider_json_write(&in, input[k]);
    }
    if (in.len) {
        lt_buf_addc(&in, '}');
        g->input_json = cohere_steal(o, &in);
    }
    lt_buf_free(&in);
}

static void cohere_free(void *state);

static enum lt_rc cohere_request(const struct lt_parse_in *in, struct lt_generation *g, void **state)
{
    *state = NULL;
    cJSON *j = in->req && in->req_len ? lt_cj.ParseWithLength(in->req, in->req_len) : NULL;
    bool obj = cohere_is(j, cJSON_Object);
    /* A host we do not know is Cohere only if the body says so. */
    if (!in->known_host &&
        !(obj && cohere_str(lt_json_get(j, "model")) && cohere_is(lt_json_get(j, "messages"), cJSON_Array))) {
        if (j)
            lt_cj.Delete(j);
        return LT_ERR_SKIP;
    }
    struct cohere_call *o = lt_calloc(1, sizeof *o);
    if (!o) {
        if (j)
            lt_cj.Delete(j);
        return LT_ERR_NOMEM;
    }
    lt_buf_init(&o->plan, 0);
    lt_buf_init(&o->citations, 0);
    o->status = in->http_status;
    if (obj)
        cohere_read_request(o, j, g);
    if (j)
        lt_cj.Delete(j);
    if (o->oom) {
        cohere_free(o);
        lt_generation_free(g);
        return LT_ERR_NOMEM;
    }
    *state = o;
    return LT_OK;
}

/* ---- the answer: pieces ------------------------------------------------------ */

static struct cohere_part *cohere_part_at(struct cohere_call *o, long long index)
{
    for (int i = o->n_parts - 1; i >= 0; i--)
        if (o->parts[i].index == index)
            return &o->parts[i];
    if (index < 0 || index >= COHERE_PARTS_MAX)
        return NULL;
    if (o->n_parts == o->cap_parts) {
        int cap = o->cap_parts ? o->cap_parts * 2 : 2;
        struct cohere_part *p = lt_realloc(o->parts, (size_t)cap * sizeof *p);
        if (!p) {
            o->oom = true;
            return NULL;
        }
        o->parts = p;
        o->cap_parts = cap;
    }
    struct cohere_part *p = &o->parts[o->n_parts++];
    memset(p, 0, sizeof *p);
    p->index = (int)index;
    lt_buf_init(&p->text, 0);
    return p;
}

static struct cohere_tool *cohere_tool_at(struct cohere_call *o, long long index)
{
    for (int i = o->n_tools - 1; i >= 0; i--)
        if (o->tools[i].index == index)
            return &o->tools[i];
    if (index < 0 || index >= COHERE_TOOLS_MAX)
        return NULL;
    if (o->n_tools == o->cap_tools) {
        int cap = o->cap_tools ? o->cap_tools * 2 : 2;
        struct cohere_tool *t = lt_realloc(o->tools, (size_t)cap * sizeof *t);
        if (!t) {
            o->oom = true;
            return NULL;
        }
        o->tools = t;
        o->cap_tools = cap;
    }
    struct cohere_tool *t = &o->tools[o->n_tools++];
    memset(t, 0, sizeof *t);
    t->index = (int)index;
    lt_buf_init(&t->args, 0);
    return t;
}

/* A content part, whole ({type, text} / {type: "thinking", thinking}) or a
 * stream's start or delta (the type only in content-start). */
static void cohere_part(struct cohere_call *o, struct cohere_part *p, const cJSON *c)
{
    if (!cohere_is(c, cJSON_Object))
        return;
    const char *type = cohere_str(lt_json_get(c, "type"));
    if (type && strcmp(type, "thinking") == 0)
        p->thinking = true;
    cohere_add(o, &p->text, cohere_str(lt_json_get(c, "text")));
    const char *th = cohere_str(lt_json_get(c, "thinking"));
    if (th) {
        p->thinking = true;
        cohere_add(o, &p->text, th);
    }
}

/* A tool call, whole or a stream's start or delta. */
static void cohere_tool(struct cohere_call *o, struct cohere_tool *t, const cJSON *c)
{
    if (!cohere_is(c, cJSON_Object))
        return;
    cohere_keep_first(o, &t->id, cohere_str(lt_json_get(c, "id")));
    cohere_keep_first(o, &t->type, cohere_str(lt_json_get(c, "type")));
    const cJSON *fn = lt_json_get(c, "function");
    cohere_keep_first(o, &t->name, cohere_str(lt_json_get(fn, "name")));
    const cJSON *args = lt_json_get(fn, "arguments");
    if (cohere_str(args))
        cohere_add(o, &t->args, cohere_str(args));
    else if ((cohere_is(args, cJSON_Object) || cohere_is(args, cJSON_Array)) &&
             lt_provider_json_write(&t->args, args) != LT_OK && t->args.oom)
        o->oom = true;
}

static void cohere_citation(struct cohere_call *o, const cJSON *c)
{
    if (!cohere_is(c, cJSON_Object) || o->n_citations >= COHERE_CITATIONS_MAX)
        return;
    if (o->n_citations++)
        lt_buf_addc(&o->citations, ',');
    if (lt_provider_json_write(&o->citations, c) != LT_OK && o->citations.oom)
        o->oom = true;
}

static void cohere_count(struct cohere_call *o, enum cohere_count k, const cJSON *v)
{
    if (cohere_int(v, &o->v[k]))
        o->has |= 1u << k;
}

/* The usage object replaces the one before: the final report wins. */
static void cohere_usage(struct cohere_call *o, const cJSON *u)
{
    if (!cohere_is(u, cJSON_Object))
        return;
    o->has = 0;
    o->has_usage = true;
    const cJSON *billed = lt_json_get(u, "billed_units");
    const cJSON *tokens = lt_json_get(u, "tokens");
    cohere_count(o, COHERE_BILLED_IN, lt_json_get(billed, "input_tokens"));
    cohere_count(o, COHERE_BILLED_OUT, lt_json_get(billed, "output_tokens"));
    cohere_count(o, COHERE_SEARCH, lt_json_get(billed, "search_units"));
    cohere_count(o, COHERE_TOKENS_IN, lt_json_get(tokens, "input_tokens"));
    cohere_count(o, COHERE_TOKENS_OUT, lt_json_get(tokens, "output_tokens"));
    cohere_count(o, COHERE_CACHED, lt_json_get(u, "cached_tokens"));
}

/* Quotes the start of a body that is not a JSON error: whitespace runs
 * become one space, the cut never splits a character. */
static void cohere_error_text(struct lt_generation *g, long status, const char *body, size_t n)
{
    char q[COHERE_ERROR_QUOTE + 1];
    size_t o = 0, i = 0;
    for (; i < n && o < COHERE_ERROR_QUOTE; i++) {
        unsigned char c = (unsigned char)body[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0) {
            if (o > 0 && q[o - 1] != ' ')
                q[o++] = ' ';
        } else {
            q[o++] = (char)c;
        }
    }
    if (i < n && ((unsigned char)body[i] & 0xC0) == 0x80) {
        /* cut inside a character: drop its first bytes too */
        while (o > 0 && ((unsigned char)q[o - 1] & 0xC0) == 0x80)
            o--;
        if (o > 0 && (unsigned char)q[o - 1] >= 0xC0)
            o--;
    }
    while (o > 0 && q[o - 1] == ' ')
        o--;
    q[o] = '\0';
    if (o == 0)
        lt_generation_set_status(g, LT_LEVEL_ERROR, "HTTP %ld", status);
    else
        lt_generation_set_status(g, LT_LEVEL_ERROR, "HTTP %ld: %s", status, q);
}

/* {"message": ...} (v2), {"error": ...}, {"detail": ...}: true when said. */
static bool cohere_error_object(struct lt_generation *g, const cJSON *j)
{
    const char *msg = cohere_str(lt_json_get(j, "message"));
    if (!msg)
        msg = cohere_str(lt_json_get(j, "error"));
    if (!msg)
        msg = cohere_str(lt_json_get(lt_json_get(j, "error"), "message"));
    if (!msg)
        msg = cohere_str(lt_json_get(j, "detail"));
    if (!msg || !*msg)
        return false;
    lt_generation_set_status(g, LT_LEVEL_ERROR, "%s", msg);
    return true;
}

/* ---- the answer: whole -------------------------------------------------------- */

static int cohere_framing(void *state, const char *content_type, int first)
{
    struct cohere_call *o = state;
    if (first == '{' || first == '[')
        return LT_FRAMING_NONE; /* a JSON document, whatever the header says */
    if (content_type && strcasestr(content_type, "text/event-stream"))
        return LT_FRAMING_SSE;
    if (first < 0 || o->status >= 400)
        return LT_FRAMING_NONE; /* an error page, quoted whole */
    if (o->stream_req || first == 'e' || first == 'd' || first == ':' || first == 'i')
        return LT_FRAMING_SSE;
    return LT_FRAMING_NONE;
}

/* A warning never hides an error or an earlier warning. */
#define COHERE_WARN(g, ...)                                                \
    do {                                                                   \
        if ((g)->level == LT_LEVEL_DEFAULT)                                \
            lt_generation_set_status((g), LT_LEVEL_WARNING, __VA_ARGS__); \
    } while (0)

static void cohere_message(struct cohere_call *o, const cJSON *m)
{
    cohere_keep_first(o, &o->role, cohere_str(lt_json_get(m, "role")));
    const cJSON *content = lt_json_get(m, "content");
    int pos = 0;
    if (cohere_is(content, cJSON_Array)) {
        for (const cJSON *c = content->child; c; c = c->next, pos++) {
            struct cohere_part *p = cohere_part_at(o, pos);
            if (p)
                cohere_part(o, p, c);
        }
    } else if (cohere_str(content)) { /* a bare string, as requests may send */
        struct cohere_part *p = cohere_part_at(o, 0);
        if (p)
            cohere_add(o, &p->text, cohere_str(content));
    }
    const char *plan = cohere_str(lt_json_get(m, "tool_plan"));
    if (plan) {
        o->has_plan = true;
        cohere_add(o, &o->plan, plan);
    }
    const cJSON *calls = lt_json_get(m, "tool_calls");
    pos = 0;
    if (cohere_is(calls, cJSON_Array)) {
        for (const cJSON *c = calls->child; c; c = c->next, pos++) {
            struct cohere_tool *t = cohere_tool_at(o, pos);
            if (t)
                cohere_tool(o, t, c);
        }
    }
    const cJSON *cites = lt_json_get(m, "citations");
    if (cohere_is(cites, cJSON_Array))
        for (const cJSON *c = cites->child; c; c = c->next)
            cohere_citation(o, c);
}

static void cohere_whole(struct cohere_call *o, const struct lt_parse_end *e, struct lt_generation *g)
{
    cJSON *j = e->body_len ? lt_cj.ParseWithLength(e->body, e->body_len) : NULL;
    cohere_keep_first(o, &o->id, cohere_str(lt_json_get(j, "id"))); /* error bodies have one too */
    if (e->http_status >= 400) {
        if (!(cohere_is(j, cJSON_Object) && cohere_error_object(g, j)))
            cohere_error_text(g, e->http_status, e->body, e->body_len);
        o->error = true;
    } else if (cohere_is(j, cJSON_Object)) {
        const cJSON *m = lt_json_get(j, "message");
        cohere_keep_last(o, &o->finish_reason, cohere_str(lt_json_get(j, "finish_reason")));
        cohere_usage(o, lt_json_get(j, "usage"));
        if (cohere_is(m, cJSON_Object)) {
            o->started = true;
            cohere_message(o, m);
        } else if (cohere_error_object(g, j)) {
            o->error = true; /* an error object sent with a 2xx status */
        } else if (e->complete) {
            COHERE_WARN(g, "response has no message (%llu bytes)", e->bytes);
        }
    } else if (e->complete && e->http_status != 0) {
        if (e->body_truncated)
            COHERE_WARN(g, "response body passed its cap and was cut (%llu bytes)", e->bytes);
        else if (e->body_len == 0)
            COHERE_WARN(g, "response body is empty (%llu bytes)", e->bytes);
        else
            COHERE_WARN(g, "response is not a JSON object (%llu bytes)", e->bytes);
    }
    if (j)
        lt_cj.Delete(j);
}

/* ---- the answer: streamed ------------------------------------------------------ */

static void cohere_stream_error(struct cohere_call *o, struct lt_generation *g, const cJSON *j, const char *fallback)
{
    if (o->error)
        return; /* the first one says what went wrong */
    o->error = true;
    if (!(j && (cohere_error_object(g, j) || cohere_error_object(g, lt_json_get(j, "delta")))))
        lt_generation_set_status(g, LT_LEVEL_ERROR, "%s", fallback);
}

static void cohere_event(struct cohere_call *o, struct lt_generation *g, const char *type, const cJSON *j)
{
    const cJSON *delta = lt_json_get(j, "delta");
    const cJSON *m = lt_json_get(delta, "message");
    long long idx = 0;
    cohere_int(lt_json_get(j, "index"), &idx);
    if (strcmp(type, "content-start") == 0 || strcmp(type, "content-delta") == 0) {
        struct cohere_part *p = cohere_part_at(o, idx);
        if (p)
            cohere_part(o, p, lt_json_get(m, "content"));
    } else if (strcmp(type, "tool-plan-delta") == 0) {
        const char *s = cohere_str(lt_json_get(m, "tool_plan"));
        if (s) {
            o->has_plan = true;
            cohere_add(o, &o->plan, s);
        }
    } else if (strcmp(type, "tool-call-start") == 0 || strcmp(type, "tool-call-delta") == 0) {
        struct cohere_tool *t = cohere_tool_at(o, idx);
        if (t)
            cohere_tool(o, t, lt_json_get(m, "tool_calls"));
    } else if (strcmp(type, "citation-start") == 0) {
        cohere_citation(o, lt_json_get(m, "citations"));
    } else if (strcmp(type, "message-start") == 0) {
        o->started = true;
        cohere_keep_first(o, &o->id, cohere_str(lt_json_get(j, "id")));
        cohere_keep_first(o, &o->role, cohere_str(lt_json_get(m, "role")));
    } else if (strcmp(type, "message-end") == 0) {
        o->ended = true;
        const char *fr = cohere_str(lt_json_get(delta, "finish_reason"));
        cohere_keep_last(o, &o->finish_reason, fr);
        cohere_usage(o, lt_json_get(delta, "usage"));
        if (cohere_str(lt_json_get(delta, "error")) || (fr && strcmp(fr, "ERROR") == 0))
            cohere_stream_error(o, g, j, "the stream ended with finish_reason ERROR");
    } else if (strcmp(type, "error") == 0) {
        cohere_stream_error(o, g, j, "error event in the response stream");
    }
    /* content-end, tool-call-end, citation-end, debug: nothing to read */
}

static void cohere_frame(void *state, struct lt_generation *g, const struct lt_frame *f)
{
    struct cohere_call *o = state;
    const char *d = f->data;
    size_t n = f->len;
    while (n && (*d == ' ' || *d == '\t' || *d == '\n' || *d == '\r')) {
        d++;
        n--;
    }
    while (n && (d[n - 1] == ' ' || d[n - 1] == '\t' || d[n - 1] == '\n' || d[n - 1] == '\r'))
        n--;
    if (n == 0)
        return;
    if (n == 6 && memcmp(d, "[DONE]", 6) == 0) {
        o->done = true;
        return;
    }
    o->events++;
    bool error_event = f->event_len == 5 && memcmp(f->event, "error", 5) == 0;
    cJSON *j = lt_cj.ParseWithLength(d, n);
    if (!cohere_is(j, cJSON_Object)) {
        if (error_event && !o->error) {
            o->error = true;
            lt_generation_set_status(g, LT_LEVEL_ERROR, "%.*s", n > COHERE_ERROR_QUOTE ? COHERE_ERROR_QUOTE : (int)n,
                                     d);
        } else {
            o->bad_events++;
        }
        if (j)
            lt_cj.Delete(j);
        return;
    }
    /* the JSON's own type names the event; the SSE event line repeats it */
    const char *type = cohere_str(lt_json_get(j, "type"));
    char ev[LT_SSE_EVENT_MAX + 1];
    if (!type) {
        memcpy(ev, f->event, f->event_len);
        ev[f->event_len] = '\0';
        type = ev;
    }
    cohere_event(o, g, error_event ? "error" : type, j);
    lt_cj.Delete(j);
}

static void cohere_stream_end(struct cohere_call *o, const struct lt_parse_end *e, struct lt_generation *g)
{
    if (e->http_status >= 400 && !o->error) {
        lt_generation_set_status(g, LT_LEVEL_ERROR, "HTTP %ld", e->http_status);
        o->error = true;
    }
    if (!e->complete)
        return; /* the caller reports the transfer error; keep what arrived */
    if (o->bad_events)
        COHERE_WARN(g, "%llu of %llu stream events are not JSON objects (%llu bytes)", o->bad_events, o->events,
                    e->bytes);
    if (e->frames_skipped)
        COHERE_WARN(g, "%llu stream events over the %zu-byte cap were skipped (%llu bytes)", e->frames_skipped,
                    (size_t)LT_FRAME_CAP, e->bytes);
    if (!o->ended && !o->done && !o->error) {
        if (o->events == 0)
            COHERE_WARN(g, "stream holds no events (%llu bytes)", e->bytes);
        else
            COHERE_WARN(g, "stream ended without message-end (%llu bytes)", e->bytes);
    }
}

/* ---- the end --------------------------------------------------------------------- */

static char *cohere_clean(struct cohere_call *o, const struct lt_buf *b)
{
    char *s = lt_generation_strdup_utf8(b->data ? b->data : "", b->len);
    if (!s)
        o->oom = true;
    return s;
}

static void cohere_sort(struct cohere_call *o)
{
    for (int i = 1; i < o->n_parts; i++) {
        struct cohere_part p = o->parts[i];
        int k = i;
        for (; k > 0 && o->parts[k - 1].index > p.index; k--)
            o->parts[k] = o->parts[k - 1];
        o->parts[k] = p;
    }
    for (int i = 1; i < o->n_tools; i++) {
        struct cohere_tool t = o->tools[i];
        int k = i;
        for (; k > 0 && o->tools[k - 1].index > t.index; k--)
            o->tools[k] = o->tools[k - 1];
        o->tools[k] = t;
    }
}

static void cohere_meta_num(struct cohere_call *o, struct lt_generation *g, const char *key, long long v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%lld", v);
    char *s = lt_strdup(tmp);
    if (!s)
        o->oom = true;
    else
        lt_generation_add_meta(g, key, s);
}

static void cohere_usage_details(struct cohere_call *o, struct lt_generation *g)
{
#define COHERE_HAS(k) (o->has & (1u << (k)))
    /* Billed units are what Cohere charges and what the fixtures README
     * maps to input/output; the processed counts (which include Cohere's
     * own prompt template) stand in only when no billed count came, and
     * otherwise go to metadata so that no token is priced twice. */
    bool in = COHERE_HAS(COHERE_BILLED_IN) || COHERE_HAS(COHERE_TOKENS_IN);
    bool out = COHERE_HAS(COHERE_BILLED_OUT) || COHERE_HAS(COHERE_TOKENS_OUT);
    long long vi = COHERE_HAS(COHERE_BILLED_IN) ? o->v[COHERE_BILLED_IN] : o->v[COHERE_TOKENS_IN];
    long long vo = COHERE_HAS(COHERE_BILLED_OUT) ? o->v[COHERE_BILLED_OUT] : o->v[COHERE_TOKENS_OUT];
    g->has_usage = true;
    if (in)
        lt_generation_set_usage(g, "input", vi);
    if (out)
        lt_generation_set_usage(g, "output", vo);
    if (in || out)
        lt_generation_set_usage(g, "total", (in ? vi : 0) + (out ? vo : 0));
    if (COHERE_HAS(COHERE_TOKENS_IN))
        cohere_meta_num(o, g, "processed_input_tokens", o->v[COHERE_TOKENS_IN]);
    if (COHERE_HAS(COHERE_TOKENS_OUT))
        cohere_meta_num(o, g, "processed_output_tokens", o->v[COHERE_TOKENS_OUT]);
    if (COHERE_HAS(COHERE_SEARCH))
        cohere_meta_num(o, g, "search_units", o->v[COHERE_SEARCH]);
    if (COHERE_HAS(COHERE_CACHED))
        cohere_meta_num(o, g, "cached_tokens", o->v[COHERE_CACHED]);
#undef COHERE_HAS
}

/* The assistant message as the API returns it whole, and the plain fields. */
static void cohere_assemble(struct cohere_call *o, struct lt_generation *g)
{
    cohere_sort(o);
    struct lt_buf out, text, reasoning;
    lt_buf_init(&out, 0);
    lt_buf_init(&text, 0);
    lt_buf_init(&reasoning, 0);
    lt_buf_adds(&out, "{\"role\":");
    lt_buf_json_strz(&out, o->role ? o->role : "assistant");
    lt_buf_adds(&out, ",\"content\":[");
    int shown = 0;
    for (int i = 0; i < o->n_parts; i++) {
        struct cohere_part *p = &o->parts[i];
        const char *s = p->text.data ? p->text.data : "";
        if (p->text.len == 0 && !p->thinking)
            continue; /* an empty text part says nothing */
        if (shown++)
            lt_buf_addc(&out, ',');
        lt_buf_adds(&out, p->thinking ? "{\"type\":\"thinking\",\"thinking\":" : "{\"type\":\"text\",\"text\":");
        lt_buf_json_str(&out, s, p->text.len);
        lt_buf_addc(&out, '}');
        lt_buf_add(p->thinking ? &reasoning : &text, s, p->text.len);
    }
    lt_buf_addc(&out, ']');
    if (o->has_plan && o->plan.len) {
        lt_buf_adds(&out, ",\"tool_plan\":");
        lt_buf_json_str(&out, o->plan.data, o->plan.len);
    }
    if (o->n_tools) {
        g->tool_calls = lt_calloc((size_t)o->n_tools, sizeof *g->tool_calls);
        if (!g->tool_calls)
            o->oom = true;
        lt_buf_adds(&out, ",\"tool_calls\":[");
        for (int i = 0; i < o->n_tools; i++) {
            struct cohere_tool *t = &o->tools[i];
            char *args = cohere_clean(o, &t->args);
            if (i)
                lt_buf_addc(&out, ',');
            lt_buf_adds(&out, "{\"id\":");
            lt_buf_json_strz(&out, t->id);
            lt_buf_adds(&out, ",\"type\":");
            lt_buf_json_strz(&out, t->type ? t->type : "function");
            lt_buf_adds(&out, ",\"function\":{\"name\":");
            lt_buf_json_strz(&out, t->name);
            lt_buf_adds(&out, ",\"arguments\":");
            lt_buf_json_strz(&out, args ? args : "");
            lt_buf_adds(&out, "}}");
            if (g->tool_calls) {
                struct lt_tool_call *tc = &g->tool_calls[g->n_tool_calls++];
                tc->id = t->id;
                tc->name = t->name;
                tc->arguments = args;
                t->id = t->name = NULL;
            } else {
                lt_free(args);
            }
        }
        lt_buf_addc(&out, ']');
    }
    if (o->n_citations) {
        lt_buf_adds(&out, ",\"citations\":[");
        if (o->citations.len) /* (empty when memory ran out) */
            lt_buf_add(&out, o->citations.data, o->citations.len);
        lt_buf_addc(&out, ']');
    }
    lt_buf_addc(&out, '}');
    if (o->started || o->n_parts || o->n_tools || o->has_plan)
        g->output_json = cohere_steal(o, &out);
    lt_buf_free(&out);
    if (text.len && !(g->output_text = cohere_clean(o, &text)))
        o->oom = true;
    if (reasoning.len && !(g->reasoning_text = cohere_clean(o, &reasoning)))
        o->oom = true;
    if (text.oom || reasoning.oom)
        o->oom = true;
    lt_buf_free(&text);
    lt_buf_free(&reasoning);
}

static enum lt_rc cohere_end(void *state, const struct lt_parse_end *e, struct lt_generation *g)
{
    struct cohere_call *o = state;
    if (e->framed)
        cohere_stream_end(o, e, g);
    else
        cohere_whole(o, e, g);
    cohere_assemble(o, g);
    /* Cohere names no model in its answers: the request's is the one */
    if (g->request_model && !(g->model = lt_strdup(g->request_model)))
        o->oom = true;
    if (o->id) {
        if (!(g->response_id = lt_strdup(o->id)))
            o->oom = true;
        char *v = lt_strdup(o->id);
        if (!v)
            o->oom = true;
        else
            lt_generation_add_meta(g, "response_id", v);
    }
    if (o->finish_reason && !(g->finish_reason = lt_strdup(o->finish_reason)))
        o->oom = true;
    if (o->has_usage)
        cohere_usage_details(o, g);
    return o->oom ? LT_ERR_NOMEM : LT_OK;
}

static void cohere_free(void *state)
{
    struct cohere_call *o = state;
    if (!o)
        return;
    for (int i = 0; i < o->n_parts; i++)
        lt_buf_free(&o->parts[i].text);
    lt_free(o->parts);
    for (int i = 0; i < o->n_tools; i++) {
        lt_free(o->tools[i].id);
        lt_free(o->tools[i].name);
        lt_free(o->tools[i].type);
        lt_buf_free(&o->tools[i].args);
    }
    lt_free(o->tools);
    lt_buf_free(&o->plan);
    lt_buf_free(&o->citations);
    lt_free(o->id);
    lt_free(o->role);
    lt_free(o->finish_reason);
    lt_free(o);
}

const struct lt_api_ops lt_cohere_chat_ops = {
    .name = "cohere.chat.v2",
    .operation = "chat",
    .obs_type = "generation",
    .compat_provider = "cohere-compatible",
    .match_path = cohere_chat_path,
    .request = cohere_request,
    .framing = cohere_framing,
    .frame = cohere_frame,
    .end = cohere_end,
    .free = cohere_free,
};
