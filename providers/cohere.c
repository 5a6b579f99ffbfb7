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

#include <string.h>

#include "../shim/buf.h"
#include "../shim/json.h"
#include "../shim/mem.h"
#include "framing.h"
#include "generation.h"
#include "pjson.h"

/* An answer has a handful of content parts, tool calls and citations; a
 * hostile index past these is ignored rather than allocated for. */
#define COHERE_PARTS_MAX 128
#define COHERE_TOOLS_MAX 128
#define COHERE_CITATIONS_MAX 1024

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

/* ---- the request ------------------------------------------------------------ */

static bool cohere_chat_path(const char *path, size_t n)
{
    static const char tail[] = "/v2/chat";
    size_t t = sizeof tail - 1;
    return n >= t && memcmp(path + n - t, tail, t) == 0;
}

/* Request members that are the conversation, not parameters. */
static const char *const cohere_input_keys[] = { "messages", "tools", "documents", "tool_choice" };
static const struct lt_pj_shape cohere_shape = {
    .input = cohere_input_keys,
    .n_input = sizeof cohere_input_keys / sizeof cohere_input_keys[0],
};

static void cohere_read_request(struct cohere_call *o, const cJSON *j, struct lt_generation *g)
{
    struct lt_pj_split sp;
    lt_pj_split(j, &cohere_shape, NULL, NULL, g, &sp, &o->oom);
    if (sp.stream)
        g->stream = o->stream_req = true;
    if (lt_pj_is(sp.input[0], cJSON_Array))
        g->n_input_messages = lt_cj.GetArraySize(sp.input[0]);
}

static void cohere_free(void *state);

static enum lt_rc cohere_request(const struct lt_parse_in *in, struct lt_generation *g, void **state)
{
    *state = NULL;
    cJSON *j = in->req && in->req_len ? lt_cj.ParseWithLength(in->req, in->req_len) : NULL;
    bool obj = lt_pj_is(j, cJSON_Object);
    /* A host we do not know is Cohere only if the body says so. */
    if (!in->known_host &&
        !(obj && lt_pj_str(lt_json_get(j, "model")) && lt_pj_is(lt_json_get(j, "messages"), cJSON_Array))) {
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
    struct cohere_part *grown = lt_pj_room(o->parts, o->n_parts, &o->cap_parts, sizeof *grown, 2, &o->oom);
    if (!grown)
        return NULL;
    o->parts = grown;
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
    struct cohere_tool *grown = lt_pj_room(o->tools, o->n_tools, &o->cap_tools, sizeof *grown, 2, &o->oom);
    if (!grown)
        return NULL;
    o->tools = grown;
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
    if (!lt_pj_is(c, cJSON_Object))
        return;
    const char *type = lt_pj_str(lt_json_get(c, "type"));
    if (type && strcmp(type, "thinking") == 0)
        p->thinking = true;
    lt_pj_appends(&p->text, lt_pj_str(lt_json_get(c, "text")), &o->oom);
    const char *th = lt_pj_str(lt_json_get(c, "thinking"));
    if (th) {
        p->thinking = true;
        lt_pj_appends(&p->text, th, &o->oom);
    }
}

/* A tool call, whole or a stream's start or delta. */
static void cohere_tool(struct cohere_call *o, struct cohere_tool *t, const cJSON *c)
{
    if (!lt_pj_is(c, cJSON_Object))
        return;
    lt_pj_keep_first(&t->id, lt_pj_str(lt_json_get(c, "id")), &o->oom);
    lt_pj_keep_first(&t->type, lt_pj_str(lt_json_get(c, "type")), &o->oom);
    const cJSON *fn = lt_json_get(c, "function");
    lt_pj_keep_first(&t->name, lt_pj_str(lt_json_get(fn, "name")), &o->oom);
    const cJSON *args = lt_json_get(fn, "arguments");
    if (lt_pj_str(args))
        lt_pj_appends(&t->args, lt_pj_str(args), &o->oom);
    else if (lt_pj_is(args, cJSON_Object) || lt_pj_is(args, cJSON_Array))
        lt_pj_append_json(&t->args, args, &o->oom);
}

static void cohere_citation(struct cohere_call *o, const cJSON *c)
{
    if (!lt_pj_is(c, cJSON_Object) || o->n_citations >= COHERE_CITATIONS_MAX)
        return;
    if (o->n_citations++)
        lt_buf_addc(&o->citations, ',');
    lt_pj_append_json(&o->citations, c, &o->oom);
}

static void cohere_count(struct cohere_call *o, enum cohere_count k, const cJSON *v)
{
    if (lt_pj_count(v, &o->v[k]))
        o->has |= 1u << k;
}

/* The usage object replaces the one before: the final report wins. */
static void cohere_usage(struct cohere_call *o, const cJSON *u)
{
    if (!lt_pj_is(u, cJSON_Object))
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

/* {"message": ...} (v2), {"error": ...}, {"detail": ...}: true when said. */
static bool cohere_error_object(struct lt_generation *g, const cJSON *j)
{
    const char *msg = lt_pj_str(lt_json_get(j, "message"));
    if (!msg)
        msg = lt_pj_str(lt_json_get(j, "error"));
    if (!msg)
        msg = lt_pj_str(lt_json_get(lt_json_get(j, "error"), "message"));
    if (!msg)
        msg = lt_pj_str(lt_json_get(j, "detail"));
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

static void cohere_message(struct cohere_call *o, const cJSON *m)
{
    lt_pj_keep_first(&o->role, lt_pj_str(lt_json_get(m, "role")), &o->oom);
    const cJSON *content = lt_json_get(m, "content");
    int pos = 0;
    if (lt_pj_is(content, cJSON_Array)) {
        for (const cJSON *c = content->child; c; c = c->next, pos++) {
            struct cohere_part *p = cohere_part_at(o, pos);
            if (p)
                cohere_part(o, p, c);
        }
    } else if (lt_pj_str(content)) { /* a bare string, as requests may send */
        struct cohere_part *p = cohere_part_at(o, 0);
        if (p)
            lt_pj_appends(&p->text, lt_pj_str(content), &o->oom);
    }
    const char *plan = lt_pj_str(lt_json_get(m, "tool_plan"));
    if (plan) {
        o->has_plan = true;
        lt_pj_appends(&o->plan, plan, &o->oom);
    }
    const cJSON *calls = lt_json_get(m, "tool_calls");
    pos = 0;
    if (lt_pj_is(calls, cJSON_Array)) {
        for (const cJSON *c = calls->child; c; c = c->next, pos++) {
            struct cohere_tool *t = cohere_tool_at(o, pos);
            if (t)
                cohere_tool(o, t, c);
        }
    }
    const cJSON *cites = lt_json_get(m, "citations");
    if (lt_pj_is(cites, cJSON_Array))
        for (const cJSON *c = cites->child; c; c = c->next)
            cohere_citation(o, c);
}

static void cohere_whole(struct cohere_call *o, const struct lt_parse_end *e, struct lt_generation *g)
{
    cJSON *j = e->body_len ? lt_cj.ParseWithLength(e->body, e->body_len) : NULL;
    lt_pj_keep_first(&o->id, lt_pj_str(lt_json_get(j, "id")), &o->oom); /* error bodies have one too */
    if (e->http_status >= 400) {
        if (!(lt_pj_is(j, cJSON_Object) && cohere_error_object(g, j)))
            lt_pj_error_text(g, e->http_status, e->body, e->body_len);
        o->error = true;
    } else if (lt_pj_is(j, cJSON_Object)) {
        const cJSON *m = lt_json_get(j, "message");
        lt_pj_keep_last(&o->finish_reason, lt_pj_str(lt_json_get(j, "finish_reason")), &o->oom);
        cohere_usage(o, lt_json_get(j, "usage"));
        if (lt_pj_is(m, cJSON_Object)) {
            o->started = true;
            cohere_message(o, m);
        } else if (cohere_error_object(g, j)) {
            o->error = true; /* an error object sent with a 2xx status */
        } else if (e->complete) {
            LT_PJ_WARN(g, "response has no message (%llu bytes)", e->bytes);
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
    lt_pj_int(lt_json_get(j, "index"), &idx);
    if (strcmp(type, "content-start") == 0 || strcmp(type, "content-delta") == 0) {
        struct cohere_part *p = cohere_part_at(o, idx);
        if (p)
            cohere_part(o, p, lt_json_get(m, "content"));
    } else if (strcmp(type, "tool-plan-delta") == 0) {
        const char *s = lt_pj_str(lt_json_get(m, "tool_plan"));
        if (s) {
            o->has_plan = true;
            lt_pj_appends(&o->plan, s, &o->oom);
        }
    } else if (strcmp(type, "tool-call-start") == 0 || strcmp(type, "tool-call-delta") == 0) {
        struct cohere_tool *t = cohere_tool_at(o, idx);
        if (t)
            cohere_tool(o, t, lt_json_get(m, "tool_calls"));
    } else if (strcmp(type, "citation-start") == 0) {
        cohere_citation(o, lt_json_get(m, "citations"));
    } else if (strcmp(type, "message-start") == 0) {
        o->started = true;
        lt_pj_keep_first(&o->id, lt_pj_str(lt_json_get(j, "id")), &o->oom);
        lt_pj_keep_first(&o->role, lt_pj_str(lt_json_get(m, "role")), &o->oom);
    } else if (strcmp(type, "message-end") == 0) {
        o->ended = true;
        const char *fr = lt_pj_str(lt_json_get(delta, "finish_reason"));
        lt_pj_keep_last(&o->finish_reason, fr, &o->oom);
        cohere_usage(o, lt_json_get(delta, "usage"));
        if (lt_pj_str(lt_json_get(delta, "error")) || (fr && strcmp(fr, "ERROR") == 0))
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
    if (!lt_pj_trim(&d, &n))
        return;
    if (n == 6 && memcmp(d, "[DONE]", 6) == 0) {
        o->done = true;
        return;
    }
    o->events++;
    bool error_event = f->event_len == 5 && memcmp(f->event, "error", 5) == 0;
    cJSON *j = lt_cj.ParseWithLength(d, n);
    if (!lt_pj_is(j, cJSON_Object)) {
        if (error_event && !o->error) {
            o->error = true;
            lt_generation_set_status(g, LT_LEVEL_ERROR, "%.*s", n > LT_PJ_QUOTE ? LT_PJ_QUOTE : (int)n, d);
        } else {
            o->bad_events++;
        }
        if (j)
            lt_cj.Delete(j);
        return;
    }
    /* the JSON's own type names the event; the SSE event line repeats it */
    const char *type = lt_pj_str(lt_json_get(j, "type"));
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
        LT_PJ_WARN(g, "%llu of %llu stream events are not JSON objects (%llu bytes)", o->bad_events, o->events,
                    e->bytes);
    if (e->frames_skipped)
        LT_PJ_WARN(g, "%llu stream events over the %zu-byte cap were skipped (%llu bytes)", e->frames_skipped,
                    (size_t)LT_FRAME_CAP, e->bytes);
    if (!o->ended && !o->done && !o->error) {
        if (o->events == 0)
            LT_PJ_WARN(g, "stream holds no events (%llu bytes)", e->bytes);
        else
            LT_PJ_WARN(g, "stream ended without message-end (%llu bytes)", e->bytes);
    }
}

/* ---- the end --------------------------------------------------------------------- */

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
        lt_pj_meta_num(g, "processed_input_tokens", o->v[COHERE_TOKENS_IN], &o->oom);
    if (COHERE_HAS(COHERE_TOKENS_OUT))
        lt_pj_meta_num(g, "processed_output_tokens", o->v[COHERE_TOKENS_OUT], &o->oom);
    if (COHERE_HAS(COHERE_SEARCH))
        lt_pj_meta_num(g, "search_units", o->v[COHERE_SEARCH], &o->oom);
    if (COHERE_HAS(COHERE_CACHED))
        lt_pj_meta_num(g, "cached_tokens", o->v[COHERE_CACHED], &o->oom);
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
            char *args = lt_pj_text(&t->args, &o->oom);
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
        g->output_json = lt_pj_steal(&out, &o->oom);
    lt_buf_free(&out);
    if (text.len && !(g->output_text = lt_pj_text(&text, &o->oom)))
        o->oom = true;
    if (reasoning.len && !(g->reasoning_text = lt_pj_text(&reasoning, &o->oom)))
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
    lt_pj_pick_model(g, NULL, &o->oom);
    if (o->id && !(g->response_id = lt_strdup(o->id)))
        o->oom = true;
    lt_pj_meta(g, "response_id", o->id, &o->oom);
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
    .confirm = { "model", "messages" },
    .match_path = cohere_chat_path,
    .request = cohere_request,
    .framing = cohere_framing,
    .frame = cohere_frame,
    .end = cohere_end,
    .free = cohere_free,
};
