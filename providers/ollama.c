/* ollama.c — Ollama's native API: POST .../api/chat and .../api/generate.
 * The request (model, messages or prompt/system, tools, options and the
 * other settings), the answer as one JSON object or as an NDJSON stream
 * (streaming is the default: a request without "stream": false gets lines),
 * the final object's counts and durations, error bodies and error lines.
 *
 * Owns the per-call state (struct ollama_call) between lt_parser_new and
 * lt_parser_finish. Never keeps raw lines: each is parsed, read once and
 * freed; only the assembled answer survives. Never reads the URL beyond
 * what provider.c matched. Background thread (and tests); the path matchers
 * on any thread.
 */
#include "ollama.h"

#include <string.h>
#include <strings.h>

#include "../shim/buf.h"
#include "../shim/json.h"
#include "../shim/mem.h"
#include "framing.h"
#include "generation.h"
#include "pjson.h"

/* Tool calls kept per answer: a model's parallel calls stay far below. */
#define OLLAMA_TOOLS_MAX 128

struct ollama_tool {
    char *id;           /* newer servers send one; else NULL */
    char *name;
    char *args;         /* the arguments as compact JSON text (an object, as sent) */
    bool args_text;     /* they came as a JSON string, not an object */
};

enum ollama_count {
    OLLAMA_PROMPT_EVAL, OLLAMA_EVAL, OLLAMA_TOTAL_NS, OLLAMA_LOAD_NS, OLLAMA_PROMPT_NS, OLLAMA_EVAL_NS,
    OLLAMA_NCOUNT
};

/* Response members read as counts, and the metadata key of the durations. */
static const struct {
    const char *member;
    const char *meta;   /* NULL: a token count, not metadata */
} ollama_counts[OLLAMA_NCOUNT] = {
    [OLLAMA_PROMPT_EVAL] = { "prompt_eval_count", NULL },
    [OLLAMA_EVAL] = { "eval_count", NULL },
    [OLLAMA_TOTAL_NS] = { "total_duration", "total_duration_ns" },
    [OLLAMA_LOAD_NS] = { "load_duration", "load_duration_ns" },
    [OLLAMA_PROMPT_NS] = { "prompt_eval_duration", "prompt_eval_duration_ns" },
    [OLLAMA_EVAL_NS] = { "eval_duration", "eval_duration_ns" },
};

struct ollama_call {
    bool generate;      /* /api/generate: prompt in, "response" out */
    bool stream_req;    /* the request did not say "stream": false */
    char *model;        /* the response's */
    char *role;
    char *done_reason;
    struct lt_buf content;  /* message.content or response pieces joined */
    struct lt_buf thinking; /* message.thinking or thinking pieces joined */
    struct ollama_tool *tools;
    int n_tools, cap_tools;
    unsigned has;       /* bit per enum ollama_count */
    long long count[OLLAMA_NCOUNT];
    bool done;          /* an object with "done": true */
    bool error;         /* an error object or line was seen */
    unsigned long long lines, bad_lines;
    bool oom;
};

/* ---- the endpoints ----------------------------------------------------------- */

static bool ollama_ends(const char *p, size_t n, const char *tail)
{
    size_t t = strlen(tail);
    return n >= t && memcmp(p + n - t, tail, t) == 0;
}

static bool ollama_chat_path(const char *path, size_t n)
{
    return ollama_ends(path, n, "/api/chat");
}

static bool ollama_generate_path(const char *path, size_t n)
{
    return ollama_ends(path, n, "/api/generate");
}

/* ---- the request ---------------------------------------------------------------- */

/* The conversation, per endpoint, in the order input_json lists it. */
static const char *const ollama_chat_input[] = { "messages", "tools" };
static const char *const ollama_generate_input[] = { "system", "prompt", "suffix", "images", "context", "template" };

/* An empty model name names none. */
static const struct lt_pj_shape ollama_chat_shape = {
    .input = ollama_chat_input,
    .n_input = sizeof ollama_chat_input / sizeof ollama_chat_input[0],
    .model_nonempty = true,
};
static const struct lt_pj_shape ollama_generate_shape = {
    .input = ollama_generate_input,
    .n_input = sizeof ollama_generate_input / sizeof ollama_generate_input[0],
    .model_nonempty = true,
};

static void ollama_read_request(struct ollama_call *o, const cJSON *j, struct lt_generation *g)
{
    struct lt_buf params;
    lt_buf_init(&params, 0);
    /* `options` members first, flattened: they are the sampling parameters
     * (temperature, num_ctx, top_k, ...); then every other setting as sent
     * (format, think, keep_alive, stream, raw): they shape the answer too. */
    const cJSON *opts = lt_pj_child(j, "options");
    if (!lt_pj_is(opts, cJSON_Object))
        opts = NULL;
    else
        lt_pj_flatten(&params, opts);
    struct lt_pj_split sp;
    lt_pj_split(j, o->generate ? &ollama_generate_shape : &ollama_chat_shape, &params, opts, g, &sp, &o->oom);
    if (sp.no_stream)
        o->stream_req = false;
    if (o->generate)
        g->n_input_messages = lt_pj_str(sp.input[1]) ? 1 : 0; /* one prompt; `system` is its own field */
    else if (lt_pj_is(sp.input[0], cJSON_Array))
        g->n_input_messages = lt_cj.GetArraySize(sp.input[0]);
}

static void ollama_free(void *state);

static enum lt_rc ollama_request(const struct lt_parse_in *in, struct lt_generation *g, void **state,
                                 bool generate)
{
    *state = NULL;
    cJSON *j = in->req && in->req_len ? lt_cj.ParseWithLength(in->req, in->req_len) : NULL;
    bool obj = lt_pj_is(j, cJSON_Object);
    /* /api/chat and /api/generate are common names: on a host that is not
     * Ollama's port, only a body with a model and messages (or a prompt)
     * makes it an LLM call. */
    if (!in->known_host &&
        !(obj && lt_pj_str(lt_pj_child(j, "model")) &&
          (generate ? lt_pj_str(lt_pj_child(j, "prompt")) != NULL
                    : lt_pj_is(lt_pj_child(j, "messages"), cJSON_Array)))) {
        if (j)
            lt_cj.Delete(j);
        return LT_ERR_SKIP;
    }
    struct ollama_call *o = lt_calloc(1, sizeof *o);
    if (!o) {
        if (j)
            lt_cj.Delete(j);
        return LT_ERR_NOMEM;
    }
    o->generate = generate;
    o->stream_req = true; /* Ollama streams unless told "stream": false */
    lt_buf_init(&o->content, 0);
    lt_buf_init(&o->thinking, 0);
    if (obj)
        ollama_read_request(o, j, g);
    if (j)
        lt_cj.Delete(j);
    g->stream = o->stream_req;
    if (o->oom) {
        ollama_free(o);
        lt_generation_free(g);
        return LT_ERR_NOMEM;
    }
    *state = o;
    return LT_OK;
}

static enum lt_rc ollama_chat_request(const struct lt_parse_in *in, struct lt_generation *g, void **state)
{
    return ollama_request(in, g, state, false);
}

static enum lt_rc ollama_generate_request(const struct lt_parse_in *in, struct lt_generation *g, void **state)
{
    return ollama_request(in, g, state, true);
}

/* ---- the response: one object ----------------------------------------------------- */

/* application/x-ndjson: lines; application/json: one object (a
 * "stream": false answer or an error). Without a Content-Type the request
 * decides. Either way the whole-body reader copes with the other. */
static int ollama_framing(void *state, const char *content_type, int first)
{
    struct ollama_call *o = state;
    if (first != '{')
        return LT_FRAMING_NONE; /* an error page, or nothing */
    if (content_type && (strcasestr(content_type, "ndjson") || strcasestr(content_type, "jsonl")))
        return LT_FRAMING_NDJSON;
    if (content_type)
        return LT_FRAMING_NONE;
    return o->stream_req ? LT_FRAMING_NDJSON : LT_FRAMING_NONE;
}

static void ollama_tool_calls(struct ollama_call *o, const cJSON *arr)
{
    for (const cJSON *tc = arr->child; tc; tc = tc->next) {
        if (!lt_pj_is(tc, cJSON_Object) || o->n_tools >= OLLAMA_TOOLS_MAX)
            continue;
        struct ollama_tool *grown = lt_pj_room(o->tools, o->n_tools, &o->cap_tools, sizeof *grown, 2, &o->oom);
        if (!grown)
            return;
        o->tools = grown;
        const cJSON *fn = lt_pj_child(tc, "function");
        struct ollama_tool *t = &o->tools[o->n_tools++];
        memset(t, 0, sizeof *t);
        lt_pj_keep_first(&t->id, lt_pj_str(lt_pj_child(tc, "id")), &o->oom);
        t->name = lt_pj_dup(lt_pj_str(lt_pj_child(fn, "name")), &o->oom);
        const cJSON *args = lt_pj_child(fn, "arguments");
        struct lt_buf b;
        lt_buf_init(&b, 0);
        if (lt_pj_str(args)) {
            lt_buf_adds(&b, lt_pj_str(args)); /* a server that sends them as text */
            t->args_text = true;
        }
        else if (args && !lt_pj_is(args, cJSON_NULL))
            lt_provider_json_write(&b, args);
        else
            lt_buf_adds(&b, "{}");
        t->args = lt_pj_steal(&b, &o->oom);
        lt_buf_free(&b);
    }
}

/* The error of {"error": "..."} (Ollama sends a string; an object is read
 * for proxies that wrap it). */
static bool ollama_error(struct lt_generation *g, const cJSON *err)
{
    const char *msg = lt_pj_str(err);
    if (!msg)
        msg = lt_pj_str(lt_pj_child(err, "message"));
    if (!msg || !*msg)
        return false;
    lt_generation_set_status(g, LT_LEVEL_ERROR, "%s", msg);
    return true;
}

/* One object: the whole answer, or one line of a stream. */
static void ollama_doc(struct ollama_call *o, struct lt_generation *g, const cJSON *j)
{
    for (const cJSON *c = j->child; c; c = c->next) {
        if (!c->string)
            continue;
        if (lt_pj_key(c, "message")) {
            if (o->generate || !lt_pj_is(c, cJSON_Object))
                continue;
            for (const cJSON *m = c->child; m; m = m->next) {
                if (lt_pj_key(m, "content") && lt_pj_str(m))
                    lt_pj_appends(&o->content, lt_pj_str(m), &o->oom);
                else if (lt_pj_key(m, "thinking") && lt_pj_str(m))
                    lt_pj_appends(&o->thinking, lt_pj_str(m), &o->oom);
                else if (lt_pj_key(m, "role"))
                    lt_pj_keep_last(&o->role, lt_pj_str(m), &o->oom);
                else if (lt_pj_key(m, "tool_calls") && lt_pj_is(m, cJSON_Array))
                    ollama_tool_calls(o, m);
            }
        } else if (lt_pj_key(c, "response")) {
            if (o->generate && lt_pj_str(c))
                lt_pj_appends(&o->content, lt_pj_str(c), &o->oom);
        } else if (lt_pj_key(c, "thinking")) {
            if (o->generate && lt_pj_str(c))
                lt_pj_appends(&o->thinking, lt_pj_str(c), &o->oom);
        } else if (lt_pj_key(c, "model")) {
            lt_pj_keep_last(&o->model, lt_pj_str(c), &o->oom);
        } else if (lt_pj_key(c, "done")) {
            if (lt_pj_is(c, cJSON_True))
                o->done = true;
        } else if (lt_pj_key(c, "done_reason")) {
            lt_pj_keep_last(&o->done_reason, lt_pj_str(c), &o->oom);
        } else if (lt_pj_key(c, "error")) {
            if (ollama_error(g, c))
                o->error = true;
        } else {
            for (int k = 0; k < OLLAMA_NCOUNT; k++) {
                if (lt_pj_key(c, ollama_counts[k].member)) {
                    if (lt_pj_count(c, &o->count[k]))
                        o->has |= 1u << k;
                    break;
                }
            }
        }
    }
}

/* One line (or the whole body): false when it is not a JSON object. */
static bool ollama_line(struct ollama_call *o, struct lt_generation *g, const char *d, size_t n)
{
    if (!lt_pj_trim(&d, &n))
        return true;
    o->lines++;
    cJSON *j = lt_cj.ParseWithLength(d, n);
    bool ok = lt_pj_is(j, cJSON_Object);
    if (ok)
        ollama_doc(o, g, j);
    else
        o->bad_lines++;
    if (j)
        lt_cj.Delete(j);
    return ok;
}

static void ollama_frame(void *state, struct lt_generation *g, const struct lt_frame *f)
{
    ollama_line(state, g, f->data, f->len);
}

/* ---- the response: the end -------------------------------------------------------- */

/* A body read whole: one object, or NDJSON lines that arrived under a JSON
 * Content-Type. A pretty-printed object (a proxy's) has a first line that
 * is not an object by itself: it is read as one document. */
static void ollama_whole(struct ollama_call *o, const struct lt_parse_end *e, struct lt_generation *g)
{
    const char *b = e->body;
    size_t n = e->body_len;
    size_t lead = 0;
    while (lead < n && (b[lead] == ' ' || b[lead] == '\t' || b[lead] == '\r' || b[lead] == '\n'))
        lead++;
    const char *lf = lead < n ? memchr(b + lead, '\n', n - lead) : NULL;
    bool lines = false;
    if (lf) {
        size_t rest = (size_t)(lf - b) + 1;
        while (rest < n && (b[rest] == ' ' || b[rest] == '\t' || b[rest] == '\r' || b[rest] == '\n'))
            rest++;
        if (rest < n) {
            cJSON *first = lt_cj.ParseWithLength(b + lead, (size_t)(lf - b) - lead);
            lines = lt_pj_is(first, cJSON_Object);
            if (first)
                lt_cj.Delete(first);
        }
    }
    bool ok = false;
    if (lines) {
        for (size_t i = lead; i < n;) {
            const char *end = memchr(b + i, '\n', n - i);
            size_t j = end ? (size_t)(end - b) : n;
            ollama_line(o, g, b + i, j - i);
            i = j + 1;
        }
        ok = true;
    } else if (lead < n) {
        ok = ollama_line(o, g, b + lead, n - lead);
    }
    if (e->http_status >= 400) {
        if (!o->error) {
            if (ok)
                lt_generation_set_status(g, LT_LEVEL_ERROR, "HTTP %ld", e->http_status);
            else
                lt_pj_error_text(g, e->http_status, b, n);
        }
        o->error = true;
        return;
    }
    if (o->error)
        return;
    if (lines && o->bad_lines)
        LT_PJ_WARN(g, "%llu of %llu lines are not JSON (%llu bytes)", o->bad_lines, o->lines, e->bytes);
    if (ok && !o->done && (lines || e->complete))
        LT_PJ_WARN(g, "answer ended without \"done\": true (%llu bytes)", e->bytes);
    if (ok)
        return;
    if (e->body_truncated)
        LT_PJ_WARN(g, "response body passed its cap and was cut (%llu bytes)", e->bytes);
    else if (!e->complete)
        LT_PJ_WARN(g, "response cut short: %llu bytes that do not parse", e->bytes);
    else if (e->http_status != 0) {
        if (lead == n)
            LT_PJ_WARN(g, "response body is empty (%llu bytes)", e->bytes);
        else
            LT_PJ_WARN(g, "response is not a JSON object (%llu bytes)", e->bytes);
    }
}

static void ollama_stream_end(struct ollama_call *o, const struct lt_parse_end *e, struct lt_generation *g)
{
    if (e->http_status >= 400 && !o->error) {
        lt_generation_set_status(g, LT_LEVEL_ERROR, "HTTP %ld", e->http_status);
        o->error = true;
    }
    if (o->error)
        return;
    if (!e->complete && !o->done)
        LT_PJ_WARN(g, "stream cut short after %llu line(s), before \"done\": true (%llu bytes)", o->lines, e->bytes);
    if (o->bad_lines)
        LT_PJ_WARN(g, "%llu of %llu stream lines are not JSON (%llu bytes)", o->bad_lines, o->lines, e->bytes);
    if (e->frames_skipped)
        LT_PJ_WARN(g, "%llu stream line(s) over the %zu-byte cap were skipped (%llu bytes)", e->frames_skipped,
                    (size_t)LT_FRAME_CAP, e->bytes);
    if (!o->done) {
        if (o->lines == 0)
            LT_PJ_WARN(g, "stream holds no lines (%llu bytes)", e->bytes);
        else
            LT_PJ_WARN(g, "stream ended without \"done\": true (%llu bytes)", e->bytes);
    }
}

/* Langfuse's keys (fixtures README "usage_details"): input and output as
 * reported, total derived (Ollama reports none). */
static void ollama_usage(struct ollama_call *o, struct lt_generation *g)
{
#define OLLAMA_HAS(k) (o->has & (1u << (k)))
    if (OLLAMA_HAS(OLLAMA_PROMPT_EVAL))
        lt_generation_set_usage(g, "input", o->count[OLLAMA_PROMPT_EVAL]);
    if (OLLAMA_HAS(OLLAMA_EVAL))
        lt_generation_set_usage(g, "output", o->count[OLLAMA_EVAL]);
    if (OLLAMA_HAS(OLLAMA_PROMPT_EVAL) || OLLAMA_HAS(OLLAMA_EVAL))
        lt_generation_set_usage(g, "total", o->count[OLLAMA_PROMPT_EVAL] + o->count[OLLAMA_EVAL]);
    for (int k = 0; k < OLLAMA_NCOUNT; k++) {
        if (ollama_counts[k].meta && OLLAMA_HAS(k))
            lt_pj_meta_num(g, ollama_counts[k].meta, o->count[k], &o->oom);
    }
#undef OLLAMA_HAS
}

static void ollama_assemble(struct ollama_call *o, struct lt_generation *g)
{
    g->response_model = o->model;
    o->model = NULL;
    lt_pj_pick_model(g, NULL, &o->oom);
    if (o->done_reason && !(g->finish_reason = lt_strdup(o->done_reason)))
        o->oom = true;
    char *text = o->content.len ? lt_pj_text(&o->content, &o->oom) : NULL;
    char *thinking = o->thinking.len ? lt_pj_text(&o->thinking, &o->oom) : NULL;
    if (o->lines && (o->content.len || o->thinking.len || o->n_tools || o->done)) {
        /* The answer in the endpoint's own shape, as it comes whole. */
        struct lt_buf out;
        lt_buf_init(&out, 0);
        if (o->generate) {
            lt_buf_adds(&out, "{\"response\":");
            lt_buf_json_strz(&out, text ? text : "");
        } else {
            lt_buf_adds(&out, "{\"role\":");
            lt_buf_json_strz(&out, o->role ? o->role : "assistant");
            lt_buf_adds(&out, ",\"content\":");
            lt_buf_json_strz(&out, text ? text : "");
        }
        if (thinking) {
            lt_buf_adds(&out, ",\"thinking\":");
            lt_buf_json_strz(&out, thinking);
        }
        for (int i = 0; i < o->n_tools; i++) {
            const struct ollama_tool *t = &o->tools[i];
            lt_buf_adds(&out, i ? ",{" : ",\"tool_calls\":[{");
            if (t->id) {
                lt_buf_adds(&out, "\"id\":");
                lt_buf_json_strz(&out, t->id);
                lt_buf_addc(&out, ',');
            }
            lt_buf_adds(&out, "\"function\":{\"name\":");
            lt_buf_json_strz(&out, t->name);
            lt_buf_adds(&out, ",\"arguments\":");
            if (t->args_text) /* arguments sent as text stay text */
                lt_buf_json_strz(&out, t->args);
            else
                lt_buf_adds(&out, t->args ? t->args : "{}");
            lt_buf_adds(&out, "}}");
        }
        if (o->n_tools)
            lt_buf_addc(&out, ']');
        lt_buf_addc(&out, '}');
        g->output_json = lt_pj_steal(&out, &o->oom);
        lt_buf_free(&out);
    }
    g->output_text = text;
    g->reasoning_text = thinking;
    if (o->n_tools) {
        g->tool_calls = lt_calloc((size_t)o->n_tools, sizeof *g->tool_calls);
        if (!g->tool_calls)
            o->oom = true;
        for (int i = 0; g->tool_calls && i < o->n_tools; i++) {
            struct ollama_tool *t = &o->tools[i];
            struct lt_tool_call *tc = &g->tool_calls[g->n_tool_calls++];
            tc->id = t->id;
            tc->name = t->name;
            tc->arguments = t->args;
            t->id = t->name = t->args = NULL;
        }
    }
    ollama_usage(o, g);
}

static enum lt_rc ollama_end(void *state, const struct lt_parse_end *e, struct lt_generation *g)
{
    struct ollama_call *o = state;
    if (e->framed)
        ollama_stream_end(o, e, g);
    else
        ollama_whole(o, e, g);
    ollama_assemble(o, g);
    return o->oom ? LT_ERR_NOMEM : LT_OK;
}

static void ollama_free(void *state)
{
    struct ollama_call *o = state;
    if (!o)
        return;
    lt_buf_free(&o->content);
    lt_buf_free(&o->thinking);
    for (int i = 0; i < o->n_tools; i++) {
        lt_free(o->tools[i].id);
        lt_free(o->tools[i].name);
        lt_free(o->tools[i].args);
    }
    lt_free(o->tools);
    lt_free(o->model);
    lt_free(o->role);
    lt_free(o->done_reason);
    lt_free(o);
}

const struct lt_api_ops lt_ollama_chat_ops = {
    .name = "ollama.chat",
    .operation = "chat",
    .obs_type = "generation",
    .compat_provider = "ollama",
    .confirm = { "model", "messages" },
    .match_path = ollama_chat_path,
    .request = ollama_chat_request,
    .framing = ollama_framing,
    .frame = ollama_frame,
    .end = ollama_end,
    .free = ollama_free,
};

const struct lt_api_ops lt_ollama_generate_ops = {
    .name = "ollama.generate",
    .operation = "text_completion",
    .obs_type = "generation",
    .compat_provider = "ollama",
    .confirm = { "model", "prompt" },
    .match_path = ollama_generate_path,
    .request = ollama_generate_request,
    .framing = ollama_framing,
    .frame = ollama_frame,
    .end = ollama_end,
    .free = ollama_free,
};
