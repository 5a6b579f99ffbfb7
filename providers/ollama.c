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

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../shim/buf.h"
#include "../shim/json.h"
#include "../shim/mem.h"
#include "framing.h"
#include "generation.h"

/* Tool calls kept per answer: a model's parallel calls stay far below. */
#define OLLAMA_TOOLS_MAX 128
/* A non-JSON error body is quoted up to this many bytes. */
#define OLLAMA_ERROR_QUOTE 200

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

static bool ollama_is(const cJSON *v, int type)
{
    return v && (v->type & 0xFF) == type;
}

static bool ollama_key(const cJSON *c, const char *k)
{
    return c->string && strcmp(c->string, k) == 0;
}

static const char *ollama_str(const cJSON *v)
{
    return ollama_is(v, cJSON_String) && v->valuestring ? v->valuestring : NULL;
}

static const cJSON *ollama_child(const cJSON *obj, const char *k)
{
    if (!ollama_is(obj, cJSON_Object))
        return NULL;
    for (const cJSON *c = obj->child; c; c = c->next)
        if (ollama_key(c, k))
            return c;
    return NULL;
}

static char *ollama_dup(struct ollama_call *o, const char *s)
{
    if (!s)
        return NULL;
    char *d = lt_generation_strdup_utf8(s, strlen(s));
    if (!d)
        o->oom = true;
    return d;
}

static void ollama_keep_last(struct ollama_call *o, char **slot, const char *s)
{
    if (!s || !*s || (*slot && strcmp(*slot, s) == 0))
        return;
    lt_free(*slot);
    *slot = ollama_dup(o, s);
}

static void ollama_append(struct ollama_call *o, struct lt_buf *b, const char *s)
{
    if (lt_buf_add(b, s, strlen(s)) != LT_OK && b->oom)
        o->oom = true;
}

static char *ollama_steal(struct ollama_call *o, struct lt_buf *b)
{
    if (b->truncated) {
        o->oom = true;
        lt_buf_free(b);
        return NULL;
    }
    return lt_buf_steal(b, NULL);
}

static bool ollama_int(const cJSON *v, long long *out)
{
    if (!ollama_is(v, cJSON_Number))
        return false;
    double d = v->valuedouble;
    if (!(d >= 0 && d <= 9.0e15)) /* a negative count or duration is none */
        return false;
    *out = (long long)d;
    return true;
}

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

static void ollama_param(struct lt_buf *b, const cJSON *c)
{
    lt_buf_addc(b, b->len ? ',' : '{');
    lt_buf_json_strz(b, c->string);
    lt_buf_addc(b, ':');
    lt_provider_json_write(b, c);
}

static void ollama_read_request(struct ollama_call *o, const cJSON *j, struct lt_generation *g)
{
    const char *const *keys = o->generate ? ollama_generate_input : ollama_chat_input;
    size_t nkeys = o->generate ? sizeof ollama_generate_input / sizeof ollama_generate_input[0]
                               : sizeof ollama_chat_input / sizeof ollama_chat_input[0];
    const cJSON *input[8] = { 0 };
    struct lt_buf params;
    lt_buf_init(&params, 0);
    /* `options` members first, flattened: they are the sampling parameters
     * (temperature, num_ctx, top_k, ...). */
    const cJSON *opts = ollama_child(j, "options");
    if (ollama_is(opts, cJSON_Object)) {
        for (const cJSON *m = opts->child; m; m = m->next)
            if (m->string)
                ollama_param(&params, m);
    }
    /* Then every other setting as sent (format, think, keep_alive, stream,
     * raw): they shape the answer too. */
    for (const cJSON *c = j->child; c; c = c->next) {
        if (!c->string || (c == opts && ollama_is(opts, cJSON_Object)))
            continue;
        if (ollama_key(c, "model")) {
            if (!g->request_model && ollama_str(c) && *ollama_str(c))
                g->request_model = ollama_dup(o, ollama_str(c));
            continue;
        }
        size_t k = 0;
        while (k < nkeys && !ollama_key(c, keys[k]))
            k++;
        if (k < nkeys) {
            if (!input[k])
                input[k] = c;
            continue;
        }
        if (ollama_key(c, "stream") && ollama_is(c, cJSON_False))
            o->stream_req = false;
        ollama_param(&params, c);
    }
    if (params.len) {
        lt_buf_addc(&params, '}');
        g->params_json = ollama_steal(o, &params);
    }
    lt_buf_free(&params);
    if (o->generate) {
        const cJSON *prompt = input[1];
        g->n_input_messages = ollama_str(prompt) ? 1 : 0; /* one prompt; `system` is its own field */
    } else if (ollama_is(input[0], cJSON_Array)) {
        g->n_input_messages = lt_cj.GetArraySize(input[0]);
    }

    struct lt_buf in;
    lt_buf_init(&in, 0);
    for (size_t k = 0; k < nkeys; k++) {
        if (!input[k])
            continue;
        lt_buf_addc(&in, in.len ? ',' : '{');
        lt_buf_json_strz(&in, keys[k]);
        lt_buf_addc(&in, ':');
        lt_provider_json_write(&in, input[k]);
    }
    if (in.len) {
        lt_buf_addc(&in, '}');
        g->input_json = ollama_steal(o, &in);
    }
    lt_buf_free(&in);
}

static void ollama_free(void *state);

static enum lt_rc ollama_request(const struct lt_parse_in *in, struct lt_generation *g, void **state,
                                 bool generate)
{
    *state = NULL;
    cJSON *j = in->req && in->req_len ? lt_cj.ParseWithLength(in->req, in->req_len) : NULL;
    bool obj = ollama_is(j, cJSON_Object);
    /* /api/chat and /api/generate are common names: on a host that is not
     * Ollama's port, only a body with a model and messages (or a prompt)
     * makes it an LLM call. */
    if (!in->known_host &&
        !(obj && ollama_str(ollama_child(j, "model")) &&
          (generate ? ollama_str(ollama_child(j, "prompt")) != NULL
                    : ollama_is(ollama_child(j, "messages"), cJSON_Array)))) {
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
        if (!ollama_is(tc, cJSON_Object) || o->n_tools >= OLLAMA_TOOLS_MAX)
            continue;
        if (o->n_tools == o->cap_tools) {
            int cap = o->cap_tools ? o->cap_tools * 2 : 2;
            struct ollama_tool *t = lt_realloc(o->tools, (size_t)cap * sizeof *t);
            if (!t) {
                o->oom = true;
                return;
            }
            o->tools = t;
            o->cap_tools = cap;
        }
        const cJSON *fn = ollama_child(tc, "function");
        struct ollama_tool *t = &o->tools[o->n_tools++];
        memset(t, 0, sizeof *t);
        const char *id = ollama_str(ollama_child(tc, "id"));
        if (id && *id)
            t->id = ollama_dup(o, id);
        t->name = ollama_dup(o, ollama_str(ollama_child(fn, "name")));
        const cJSON *args = ollama_child(fn, "arguments");
        struct lt_buf b;
        lt_buf_init(&b, 0);
        if (ollama_str(args)) {
            lt_buf_adds(&b, ollama_str(args)); /* a server that sends them as text */
            t->args_text = true;
        }
        else if (args && !ollama_is(args, cJSON_NULL))
            lt_provider_json_write(&b, args);
        else
            lt_buf_adds(&b, "{}");
        t->args = ollama_steal(o, &b);
        lt_buf_free(&b);
    }
}

/* The error of {"error": "..."} (Ollama sends a string; an object is read
 * for proxies that wrap it). */
static bool ollama_error(struct lt_generation *g, const cJSON *err)
{
    const char *msg = ollama_str(err);
    if (!msg)
        msg = ollama_str(ollama_child(err, "message"));
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
        if (ollama_key(c, "message")) {
            if (o->generate || !ollama_is(c, cJSON_Object))
                continue;
            for (const cJSON *m = c->child; m; m = m->next) {
                if (ollama_key(m, "content") && ollama_str(m))
                    ollama_append(o, &o->content, ollama_str(m));
                else if (ollama_key(m, "thinking") && ollama_str(m))
                    ollama_append(o, &o->thinking, ollama_str(m));
                else if (ollama_key(m, "role"))
                    ollama_keep_last(o, &o->role, ollama_str(m));
                else if (ollama_key(m, "tool_calls") && ollama_is(m, cJSON_Array))
                    ollama_tool_calls(o, m);
            }
        } else if (ollama_key(c, "response")) {
            if (o->generate && ollama_str(c))
                ollama_append(o, &o->content, ollama_str(c));
        } else if (ollama_key(c, "thinking")) {
            if (o->generate && ollama_str(c))
                ollama_append(o, &o->thinking, ollama_str(c));
        } else if (ollama_key(c, "model")) {
            ollama_keep_last(o, &o->model, ollama_str(c));
        } else if (ollama_key(c, "done")) {
            if (ollama_is(c, cJSON_True))
                o->done = true;
        } else if (ollama_key(c, "done_reason")) {
            ollama_keep_last(o, &o->done_reason, ollama_str(c));
        } else if (ollama_key(c, "error")) {
            if (ollama_error(g, c))
                o->error = true;
        } else {
            for (int k = 0; k < OLLAMA_NCOUNT; k++) {
                if (ollama_key(c, ollama_counts[k].member)) {
                    if (ollama_int(c, &o->count[k]))
                        o->has |= 1u << k;
                    break;
                }
            }
        }
    }
}

/* Quotes the start of a body that is not JSON: whitespace runs become one
 * space, the cut never splits a character. */
static void ollama_error_text(struct lt_generation *g, long status, const char *body, size_t n)
{
    char q[OLLAMA_ERROR_QUOTE + 1];
    size_t o = 0, i = 0;
    for (; i < n && o < OLLAMA_ERROR_QUOTE; i++) {
        unsigned char c = (unsigned char)body[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0) {
            if (o > 0 && q[o - 1] != ' ')
                q[o++] = ' ';
        } else {
            q[o++] = (char)c;
        }
    }
    if (i < n) { /* cut: drop a trailing sequence that lost its tail */
        size_t k = o;
        while (k > 0 && ((unsigned char)q[k - 1] & 0xC0) == 0x80)
            k--;
        if (k > 0 && (unsigned char)q[k - 1] >= 0xC0) {
            unsigned char lead = (unsigned char)q[k - 1];
            size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
            if (o - (k - 1) < want)
                o = k - 1;
        }
    }
    while (o > 0 && q[o - 1] == ' ')
        o--;
    q[o] = '\0';
    if (o == 0)
        lt_generation_set_status(g, LT_LEVEL_ERROR, "HTTP %ld", status);
    else
        lt_generation_set_status(g, LT_LEVEL_ERROR, "HTTP %ld: %s", status, q);
}

/* One line (or the whole body): false when it is not a JSON object. */
static bool ollama_line(struct ollama_call *o, struct lt_generation *g, const char *d, size_t n)
{
    while (n && (*d == ' ' || *d == '\t' || *d == '\n' || *d == '\r')) {
        d++;
        n--;
    }
    while (n && (d[n - 1] == ' ' || d[n - 1] == '\t' || d[n - 1] == '\n' || d[n - 1] == '\r'))
        n--;
    if (n == 0)
        return true;
    o->lines++;
    cJSON *j = lt_cj.ParseWithLength(d, n);
    bool ok = ollama_is(j, cJSON_Object);
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

/* A warning never hides an error or an earlier warning. */
#define OLLAMA_WARN(g, ...)                                                    \
    do {                                                                      \
        if ((g)->level == LT_LEVEL_DEFAULT)                                   \
            lt_generation_set_status((g), LT_LEVEL_WARNING, __VA_ARGS__);     \
    } while (0)

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
            lines = ollama_is(first, cJSON_Object);
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
                ollama_error_text(g, e->http_status, b, n);
        }
        o->error = true;
        return;
    }
    if (o->error)
        return;
    if (lines && o->bad_lines)
        OLLAMA_WARN(g, "%llu of %llu lines are not JSON (%llu bytes)", o->bad_lines, o->lines, e->bytes);
    if (ok && !o->done && (lines || e->complete))
        OLLAMA_WARN(g, "answer ended without \"done\": true (%llu bytes)", e->bytes);
    if (ok)
        return;
    if (e->body_truncated)
        OLLAMA_WARN(g, "response body passed its cap and was cut (%llu bytes)", e->bytes);
    else if (!e->complete)
        OLLAMA_WARN(g, "response cut short: %llu bytes that do not parse", e->bytes);
    else if (e->http_status != 0) {
        if (lead == n)
            OLLAMA_WARN(g, "response body is empty (%llu bytes)", e->bytes);
        else
            OLLAMA_WARN(g, "response is not a JSON object (%llu bytes)", e->bytes);
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
        OLLAMA_WARN(g, "stream cut short after %llu line(s), before \"done\": true (%llu bytes)", o->lines, e->bytes);
    if (o->bad_lines)
        OLLAMA_WARN(g, "%llu of %llu stream lines are not JSON (%llu bytes)", o->bad_lines, o->lines, e->bytes);
    if (e->frames_skipped)
        OLLAMA_WARN(g, "%llu stream line(s) over the %zu-byte cap were skipped (%llu bytes)", e->frames_skipped,
                    (size_t)LT_FRAME_CAP, e->bytes);
    if (!o->done) {
        if (o->lines == 0)
            OLLAMA_WARN(g, "stream holds no lines (%llu bytes)", e->bytes);
        else
            OLLAMA_WARN(g, "stream ended without \"done\": true (%llu bytes)", e->bytes);
    }
}

static void ollama_meta(struct ollama_call *o, struct lt_generation *g, const char *key, const char *value)
{
    if (!value)
        return;
    char *v = lt_strdup(value);
    if (!v)
        o->oom = true;
    else
        lt_generation_add_meta(g, key, v);
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
        if (!ollama_counts[k].meta || !OLLAMA_HAS(k))
            continue;
        char n[24];
        snprintf(n, sizeof n, "%lld", o->count[k]);
        ollama_meta(o, g, ollama_counts[k].meta, n);
    }
#undef OLLAMA_HAS
}

static char *ollama_clean(struct ollama_call *o, const struct lt_buf *b)
{
    char *s = lt_generation_strdup_utf8(b->data ? b->data : "", b->len);
    if (!s)
        o->oom = true;
    return s;
}

static void ollama_assemble(struct ollama_call *o, struct lt_generation *g)
{
    g->response_model = o->model;
    o->model = NULL;
    const char *model = g->response_model ? g->response_model : g->request_model;
    if (model && !(g->model = lt_strdup(model)))
        o->oom = true;
    if (o->done_reason && !(g->finish_reason = lt_strdup(o->done_reason)))
        o->oom = true;
    char *text = o->content.len ? ollama_clean(o, &o->content) : NULL;
    char *thinking = o->thinking.len ? ollama_clean(o, &o->thinking) : NULL;
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
        g->output_json = ollama_steal(o, &out);
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
    .match_path = ollama_generate_path,
    .request = ollama_generate_request,
    .framing = ollama_framing,
    .frame = ollama_frame,
    .end = ollama_end,
    .free = ollama_free,
};
