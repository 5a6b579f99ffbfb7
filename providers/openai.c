/* openai.c — OpenAI chat completions and the legacy text completions:
 * request (model, stream, parameters, messages and tools, or the prompt),
 * response as one JSON document or as an SSE stream of chunks (text,
 * reasoning, tool-call deltas per index, usage from whichever chunk carries
 * it), error bodies and error events. (Responses and embeddings live in
 * openai_responses.c and openai_embeddings.c; what all share, in
 * openai_common.c.)
 *
 * Owns the per-call state (struct openai_call) between lt_parser_new and
 * lt_parser_finish. Never keeps raw chunks: each chunk is parsed once, read
 * once and freed; only the assembled answer survives. Never copies the URL
 * (its query may hold a key): only the Azure deployment is read out of it.
 * Background thread (and tests); lt_openai_chat_path on any thread.
 */
#include "openai.h"

#include <string.h>

#include "../shim/buf.h"
#include "../shim/json.h"
#include "../shim/mem.h"
#include "framing.h"
#include "generation.h"
#include "jscan.h"
#include "openai_private.h"

/* OpenAI allows n <= 128 choices; parallel tool calls stay far below 128.
 * Indices past these are ignored, so a hostile index cannot make us
 * allocate. */
#define OPENAI_CHOICES_MAX 128
#define OPENAI_TOOLS_MAX 128
/* Index of a legacy `function_call` (the pre-tools API): sorts first. */
#define OPENAI_LEGACY_INDEX (-1)

struct openai_tool {
    int index;
    char *id;
    char *name;
    char *type;
    struct lt_buf args; /* argument pieces joined */
    char *args_s;       /* args as valid UTF-8, at the end */
};

struct openai_choice {
    int index;
    bool has_content;   /* a content string was seen (even ""): else null */
    struct lt_buf content;
    struct lt_buf reasoning;
    struct lt_buf refusal;
    char *content_s, *reasoning_s, *refusal_s; /* the above as valid UTF-8, at the end */
    char *role;
    char *finish_reason;
    struct openai_tool *tools;
    int n_tools, cap_tools;
    int last_tool;      /* slot touched last: where an index-less delta goes */
};

struct openai_call {
    char *deployment;   /* Azure /openai/deployments/{d}/: the model of last resort */
    struct openai_choice *choices;
    int n_choices, cap_choices;
    char *id, *model, *fingerprint, *tier;
    bool has_usage, has_groq_usage;
    struct openai_usage usage;      /* the last `usage` object seen */
    struct openai_usage groq_usage; /* Groq's x_groq.usage, when no `usage` */
    bool done;          /* data: [DONE] */
    bool error;         /* an error object or event was seen */
    unsigned long long chunks, bad_chunks;
    bool stream_req;    /* the request asked for a stream */
    bool text_api;      /* legacy completions: choices carry `text` */
    bool azure;         /* an Azure host: the request's model names the deployment */
    long status;        /* HTTP status */
    struct lt_buf scratch; /* the fast path's escaped strings, decoded */
    bool oom;
};

/* ---- request ------------------------------------------------------------- */

bool lt_openai_chat_path(const char *path, size_t n)
{
    static const char tail[] = "/chat/completions";
    size_t t = sizeof tail - 1;
    return n >= t && memcmp(path + n - t, tail, t) == 0;
}

/* "/completions" but not "/chat/completions": the chat API comes first in
 * provider.c's table, but the shape must be exact on its own. */
bool lt_openai_completions_path(const char *path, size_t n)
{
    static const char tail[] = "/completions";
    size_t t = sizeof tail - 1;
    return n >= t && memcmp(path + n - t, tail, t) == 0 && !lt_openai_chat_path(path, n);
}

/* Chat: the conversation is messages and the tools offered. */
static const char *const openai_chat_input[] = { "messages", "tools", "tool_choice", "functions", "function_call" };
static const struct openai_request_shape openai_chat_shape = {
    .split = { .input = openai_chat_input, .n_input = sizeof openai_chat_input / sizeof openai_chat_input[0] },
    .count = 0, /* messages */
    .count_mode = OPENAI_COUNT_ARRAY,
};

/* Legacy completions: the prompt (and the suffix of an insertion). */
static const char *const openai_text_input[] = { "prompt", "suffix" };
static const struct openai_request_shape openai_text_shape = {
    .split = { .input = openai_text_input, .n_input = sizeof openai_text_input / sizeof openai_text_input[0] },
    .count = 0, /* prompt */
    .count_mode = OPENAI_COUNT_PROMPTS,
};

static void openai_free(void *state);

static enum lt_rc openai_start(const struct lt_parse_in *in, struct lt_generation *g, void **state, bool text_api)
{
    *state = NULL;
    cJSON *j = in->req && in->req_len ? lt_cj.ParseWithLength(in->req, in->req_len) : NULL;
    bool obj = lt_pj_is(j, cJSON_Object);
    /* A host we do not know is an LLM only if the body says so. */
    bool confirmed = obj && lt_pj_str(lt_pj_child(j, "model"));
    if (confirmed && text_api)
        confirmed = lt_openai_count_prompts(lt_pj_child(j, "prompt")) >= 0;
    else if (confirmed)
        confirmed = lt_pj_is(lt_pj_child(j, "messages"), cJSON_Array);
    if (!in->known_host && !confirmed) {
        if (j)
            lt_cj.Delete(j);
        return LT_ERR_SKIP;
    }
    struct openai_call *o = lt_calloc(1, sizeof *o);
    if (!o) {
        if (j)
            lt_cj.Delete(j);
        return LT_ERR_NOMEM;
    }
    lt_buf_init(&o->scratch, 0);
    o->text_api = text_api;
    if (obj)
        lt_openai_read_request(j, text_api ? &openai_text_shape : &openai_chat_shape, g, &o->oom);
    if (j)
        lt_cj.Delete(j);
    o->stream_req = g->stream;
    o->deployment = lt_openai_deployment(in->url, &o->oom);
    o->azure = in->provider && strcmp(in->provider, "azure") == 0;
    o->status = in->http_status;
    if (o->oom) {
        openai_free(o);
        lt_generation_free(g);
        return LT_ERR_NOMEM;
    }
    *state = o;
    return LT_OK;
}

static enum lt_rc openai_chat_request(const struct lt_parse_in *in, struct lt_generation *g, void **state)
{
    return openai_start(in, g, state, false);
}

static enum lt_rc openai_completions_request(const struct lt_parse_in *in, struct lt_generation *g, void **state)
{
    return openai_start(in, g, state, true);
}

/* ---- response: the pieces ------------------------------------------------- */

static int openai_framing(void *state, const char *content_type, int first)
{
    struct openai_call *o = state;
    return lt_openai_framing(content_type, first, o->status, o->stream_req);
}

static struct openai_choice *openai_choice_at(struct openai_call *o, int index)
{
    for (int i = 0; i < o->n_choices; i++)
        if (o->choices[i].index == index)
            return &o->choices[i];
    if (index < 0 || index >= OPENAI_CHOICES_MAX)
        return NULL;
    struct openai_choice *grown = lt_pj_room(o->choices, o->n_choices, &o->cap_choices, sizeof *grown, 1, &o->oom);
    if (!grown)
        return NULL;
    o->choices = grown;
    struct openai_choice *ch = &o->choices[o->n_choices++];
    memset(ch, 0, sizeof *ch);
    ch->index = index;
    ch->last_tool = -1;
    lt_buf_init(&ch->content, 0);
    lt_buf_init(&ch->reasoning, 0);
    lt_buf_init(&ch->refusal, 0);
    return ch;
}

static struct openai_tool *openai_tool_at(struct openai_call *o, struct openai_choice *ch, int index)
{
    for (int i = 0; i < ch->n_tools; i++) {
        if (ch->tools[i].index == index) {
            ch->last_tool = i;
            return &ch->tools[i];
        }
    }
    if (index < OPENAI_LEGACY_INDEX || index >= OPENAI_TOOLS_MAX)
        return NULL;
    struct openai_tool *grown = lt_pj_room(ch->tools, ch->n_tools, &ch->cap_tools, sizeof *grown, 2, &o->oom);
    if (!grown)
        return NULL;
    ch->tools = grown;
    struct openai_tool *t = &ch->tools[ch->n_tools];
    memset(t, 0, sizeof *t);
    t->index = index;
    lt_buf_init(&t->args, 0);
    ch->last_tool = ch->n_tools++;
    return t;
}

/* The function part of a tool call or a legacy function_call. */
static void openai_function(struct openai_call *o, struct openai_tool *t, const cJSON *fn)
{
    for (const cJSON *c = fn ? fn->child : NULL; c; c = c->next) {
        if (lt_pj_key(c, "name")) {
            lt_pj_keep_first(&t->name, lt_pj_str(c), &o->oom);
        } else if (lt_pj_key(c, "arguments")) {
            const char *s = lt_pj_str(c);
            if (s)
                lt_pj_append(&t->args, s, strlen(s), &o->oom);
            else if (lt_pj_is(c, cJSON_Object) || lt_pj_is(c, cJSON_Array))
                lt_provider_json_write(&t->args, c); /* servers that send parsed arguments */
        }
    }
}

static void openai_tool_calls(struct openai_call *o, struct openai_choice *ch, const cJSON *arr, bool streamed)
{
    int pos = 0;
    for (const cJSON *tc = arr->child; tc; tc = tc->next, pos++) {
        if (!lt_pj_is(tc, cJSON_Object))
            continue;
        long long idx = 0;
        const cJSON *id = lt_pj_child(tc, "id");
        const char *ids = lt_pj_str(id);
        if (!streamed) {
            idx = pos; /* a whole message lists its calls in order */
        } else if (!lt_pj_int(lt_pj_child(tc, "index"), &idx)) {
            /* No index: a new id starts a call, anything else continues the
             * call touched last. */
            const struct openai_tool *last = ch->last_tool >= 0 ? &ch->tools[ch->last_tool] : NULL;
            if (last && last->index != OPENAI_LEGACY_INDEX && (!ids || !*ids || (last->id && strcmp(last->id, ids) == 0)))
                idx = last->index;
            else {
                idx = 0;
                for (int i = 0; i < ch->n_tools; i++)
                    if (ch->tools[i].index >= idx)
                        idx = ch->tools[i].index + 1;
            }
        }
        if (idx < 0 || idx >= OPENAI_TOOLS_MAX)
            continue;
        struct openai_tool *t = openai_tool_at(o, ch, (int)idx);
        if (!t)
            continue;
        lt_pj_keep_first(&t->id, lt_pj_str(id), &o->oom);
        lt_pj_keep_first(&t->type, lt_pj_str(lt_pj_child(tc, "type")), &o->oom);
        openai_function(o, t, lt_pj_child(tc, "function"));
    }
}

/* Content given as parts (Mistral's [{"type":"text","text":...},
 * {"type":"thinking","thinking":[...]}]). */
static void openai_content_parts(struct openai_call *o, struct openai_choice *ch, const cJSON *arr, bool thinking)
{
    for (const cJSON *p = arr->child; p; p = p->next) {
        const char *type = lt_pj_str(lt_pj_child(p, "type"));
        const char *text = lt_pj_str(lt_pj_child(p, "text"));
        if (!type)
            continue;
        if (strcmp(type, "text") == 0 && text) {
            struct lt_buf *b = thinking ? &ch->reasoning : &ch->content;
            if (!thinking)
                ch->has_content = true;
            lt_pj_append(b, text, strlen(text), &o->oom);
        } else if (strcmp(type, "thinking") == 0) {
            const cJSON *t = lt_pj_child(p, "thinking");
            if (lt_pj_is(t, cJSON_Array))
                openai_content_parts(o, ch, t, true);
            else if (lt_pj_str(t))
                lt_pj_append(&ch->reasoning, lt_pj_str(t), strlen(lt_pj_str(t)), &o->oom);
        }
    }
}

/* A message (whole answer) or a delta (stream chunk): both append. */
static void openai_message(struct openai_call *o, struct openai_choice *ch, const cJSON *m, bool streamed)
{
    const cJSON *reasoning_content = NULL, *reasoning = NULL;
    for (const cJSON *c = m->child; c; c = c->next) {
        if (!c->string)
            continue;
        if (lt_pj_key(c, "content")) {
            const char *s = lt_pj_str(c);
            if (s) {
                ch->has_content = true;
                lt_pj_append(&ch->content, s, strlen(s), &o->oom);
            } else if (lt_pj_is(c, cJSON_Array)) {
                openai_content_parts(o, ch, c, false);
            }
        } else if (lt_pj_key(c, "reasoning_content")) {
            reasoning_content = c;
        } else if (lt_pj_key(c, "reasoning")) {
            reasoning = c;
        } else if (lt_pj_key(c, "refusal")) {
            const char *s = lt_pj_str(c);
            if (s)
                lt_pj_append(&ch->refusal, s, strlen(s), &o->oom);
        } else if (lt_pj_key(c, "role")) {
            lt_pj_keep_first(&ch->role, lt_pj_str(c), &o->oom);
        } else if (lt_pj_key(c, "tool_calls")) {
            if (lt_pj_is(c, cJSON_Array))
                openai_tool_calls(o, ch, c, streamed);
        } else if (lt_pj_key(c, "function_call")) {
            if (lt_pj_is(c, cJSON_Object)) {
                struct openai_tool *t = openai_tool_at(o, ch, OPENAI_LEGACY_INDEX);
                if (t)
                    openai_function(o, t, c);
            }
        }
    }
    /* DeepSeek says reasoning_content, Groq and OpenRouter say reasoning;
     * a server that sends both means the same text. */
    const char *r = lt_pj_str(reasoning_content);
    if (!r)
        r = lt_pj_str(reasoning);
    if (r)
        lt_pj_append(&ch->reasoning, r, strlen(r), &o->oom);
}

static void openai_choice(struct openai_call *o, const cJSON *el, bool streamed)
{
    if (!lt_pj_is(el, cJSON_Object))
        return;
    long long idx = 0;
    lt_pj_int(lt_pj_child(el, "index"), &idx); /* absent: 0 */
    if (idx < 0 || idx >= OPENAI_CHOICES_MAX)
        return;
    struct openai_choice *ch = openai_choice_at(o, (int)idx);
    if (!ch)
        return;
    for (const cJSON *c = el->child; c; c = c->next) {
        if (!o->text_api && (lt_pj_key(c, "delta") || lt_pj_key(c, "message"))) {
            if (lt_pj_is(c, cJSON_Object))
                openai_message(o, ch, c, streamed);
        } else if (lt_pj_key(c, "finish_reason")) {
            lt_pj_keep_last(&ch->finish_reason, lt_pj_str(c), &o->oom);
        } else if (o->text_api && lt_pj_key(c, "text")) {
            const char *s = lt_pj_str(c);
            if (s) {
                ch->has_content = true;
                lt_pj_append(&ch->content, s, strlen(s), &o->oom);
            }
        }
    }
}

/* A chunk or a whole answer: every top-level member read once. */
static void openai_read(struct openai_call *o, struct lt_generation *g, const cJSON *j, bool streamed)
{
    for (const cJSON *c = j->child; c; c = c->next) {
        if (!c->string)
            continue;
        if (lt_pj_key(c, "choices")) {
            if (lt_pj_is(c, cJSON_Array))
                for (const cJSON *el = c->child; el; el = el->next)
                    openai_choice(o, el, streamed);
        } else if (lt_pj_key(c, "id")) {
            lt_pj_keep_first(&o->id, lt_pj_str(c), &o->oom);
        } else if (lt_pj_key(c, "model")) {
            lt_pj_keep_first(&o->model, lt_pj_str(c), &o->oom); /* Azure's first chunk says "" */
        } else if (lt_pj_key(c, "system_fingerprint")) {
            lt_pj_keep_last(&o->fingerprint, lt_pj_str(c), &o->oom);
        } else if (lt_pj_key(c, "service_tier")) {
            lt_pj_keep_last(&o->tier, lt_pj_str(c), &o->oom);
        } else if (lt_pj_key(c, "usage")) {
            if (lt_pj_is(c, cJSON_Object)) { /* usage: null chunks say nothing */
                lt_openai_usage_read(&o->usage, c, false);
                o->has_usage = true;
            }
        } else if (lt_pj_key(c, "x_groq")) {
            const cJSON *u = lt_pj_child(c, "usage");
            if (lt_pj_is(u, cJSON_Object)) {
                lt_openai_usage_read(&o->groq_usage, u, false);
                o->has_groq_usage = true;
            }
        } else if (lt_pj_key(c, "error")) {
            if ((lt_pj_is(c, cJSON_Object) || lt_pj_is(c, cJSON_String)) && lt_openai_error_object(g, c))
                o->error = true;
        }
    }
}

/* ---- response: the fast path ------------------------------------------------
 *
 * The same reading as openai_read, straight from the bytes with jscan: no
 * tree, no allocation but what the answer keeps. Two passes: the scan checks
 * the whole document and notes where each value we read lies (struct
 * openai_fast, on the stack); only then are the notes applied to the call.
 * Anything the scan does not handle exactly (a duplicate key we read, an
 * escaped key, a count that is not a plain integer, content parts, an error
 * object, more choices or tool calls than the notes hold, any JSON jscan
 * refuses) returns false before anything changed, and the caller reads the
 * document with cJSON instead: the generation is the same either way
 * (tests/unit/test_openai.c and tests/fuzz/fuzz_openai.c compare them). */

/* Choices and tool-call entries one document may hold on this path: a chunk
 * carries one of each; more goes to cJSON. */
#define OPENAI_FAST_CHOICES 8
#define OPENAI_FAST_TOOLS 32

struct openai_fast_tool {
    int pos;              /* place in its array (a whole message's index) */
    bool has_index;
    long long index;
    struct lt_jscan_val id, type, name, args;
};

struct openai_fast_choice {
    long long index;
    bool has_msg;         /* a delta or message object */
    bool legacy;          /* a function_call object */
    bool has_tools;       /* a tool_calls array */
    int tool0, n_tools;   /* its entries in openai_fast.tools */
    struct lt_jscan_val content, reasoning_content, reasoning, refusal, role, finish;
    struct lt_jscan_val legacy_name, legacy_args;
};

struct openai_fast {
    struct lt_jscan_val id, model, fingerprint, tier;
    bool has_usage, has_groq_usage;
    struct openai_usage usage, groq_usage;
    int n_choices, n_tools;
    struct openai_fast_choice choices[OPENAI_FAST_CHOICES];
    struct openai_fast_tool tools[OPENAI_FAST_TOOLS];
};

/* Marks key bit `bit` seen; false when it was already (a duplicate). */
static bool openai_fast_once(unsigned *seen, unsigned bit)
{
    if (*seen & bit)
        return false;
    *seen |= bit;
    return true;
}

/* A value we keep only when it is a string: anything else is skipped. */
static bool openai_fast_keep(struct lt_jscan *s, struct lt_jscan_val *out)
{
    lt_jscan_value(s, out);
    return lt_jscan_skip(s, out);
}

static bool openai_fast_count(struct lt_jscan *s, struct openai_usage *u, enum openai_count k)
{
    struct lt_jscan_val v;
    if (lt_jscan_value(s, &v) == LT_JSCAN_NUMBER) {
        long long n;
        if (!lt_jscan_int(&v, &n))
            return false; /* 1.0, 1e3, huge: cJSON's double decides */
        if (n >= 0) { /* as openai_count: a negative count is absent */
            u->v[k] = n;
            u->has |= 1u << k;
        }
        return true;
    }
    return lt_jscan_skip(s, &v); /* not a number: not counted */
}

/* The inside of a *_tokens_details object: two counts by name. */
static bool openai_fast_details(struct lt_jscan *s, struct openai_usage *u, const char *a, enum openai_count ka,
                                enum openai_count kb)
{
    struct lt_jscan_val v, k;
    if (lt_jscan_value(s, &v) != LT_JSCAN_OBJECT)
        return lt_jscan_skip(s, &v);
    unsigned seen = 0;
    size_t an = strlen(a);
    while (lt_jscan_member(s, &k)) {
        if (k.esc)
            return false;
        bool ok;
        if (lt_jscan_is(&k, a, an))
            ok = openai_fast_once(&seen, 1) && openai_fast_count(s, u, ka);
        else if (LT_JSCAN_IS(&k, "audio_tokens"))
            ok = openai_fast_once(&seen, 2) && openai_fast_count(s, u, kb);
        else
            ok = lt_jscan_value(s, &v) != LT_JSCAN_NONE && lt_jscan_skip(s, &v);
        if (!ok)
            return false;
    }
    return !s->bad;
}

/* A usage object, its '{' read: as openai_usage reads it. */
static bool openai_fast_usage(struct lt_jscan *s, struct openai_usage *u)
{
    struct lt_jscan_val k, v;
    unsigned seen = 0;
    memset(u, 0, sizeof *u);
    while (lt_jscan_member(s, &k)) {
        if (k.esc)
            return false;
        bool ok;
        if (LT_JSCAN_IS(&k, "prompt_tokens"))
            ok = openai_fast_once(&seen, 1) && openai_fast_count(s, u, OPENAI_PROMPT);
        else if (LT_JSCAN_IS(&k, "completion_tokens"))
            ok = openai_fast_once(&seen, 2) && openai_fast_count(s, u, OPENAI_COMPLETION);
        else if (LT_JSCAN_IS(&k, "total_tokens"))
            ok = openai_fast_once(&seen, 4) && openai_fast_count(s, u, OPENAI_TOTAL);
        else if (LT_JSCAN_IS(&k, "prompt_cache_hit_tokens"))
            ok = openai_fast_once(&seen, 8) && openai_fast_count(s, u, OPENAI_CACHE_HIT);
        else if (LT_JSCAN_IS(&k, "prompt_tokens_details"))
            ok = openai_fast_once(&seen, 16) &&
                 openai_fast_details(s, u, "cached_tokens", OPENAI_CACHED, OPENAI_AUDIO_IN);
        else if (LT_JSCAN_IS(&k, "completion_tokens_details"))
            ok = openai_fast_once(&seen, 32) &&
                 openai_fast_details(s, u, "reasoning_tokens", OPENAI_REASONING, OPENAI_AUDIO_OUT);
        else
            ok = lt_jscan_value(s, &v) != LT_JSCAN_NONE && lt_jscan_skip(s, &v);
        if (!ok)
            return false;
    }
    return !s->bad;
}

/* A function object (a tool call's or a legacy function_call), '{' read. */
static bool openai_fast_function(struct lt_jscan *s, struct lt_jscan_val *name, struct lt_jscan_val *args)
{
    struct lt_jscan_val k, v;
    unsigned seen = 0;
    while (lt_jscan_member(s, &k)) {
        if (k.esc)
            return false;
        bool ok;
        if (LT_JSCAN_IS(&k, "name"))
            ok = openai_fast_once(&seen, 1) && openai_fast_keep(s, name);
        else if (LT_JSCAN_IS(&k, "arguments")) {
            enum lt_jscan_kind t = lt_jscan_value(s, args);
            /* parsed arguments are written back by cJSON's writer */
            ok = openai_fast_once(&seen, 2) && t != LT_JSCAN_OBJECT && t != LT_JSCAN_ARRAY && t != LT_JSCAN_NONE;
        } else
            ok = lt_jscan_value(s, &v) != LT_JSCAN_NONE && lt_jscan_skip(s, &v);
        if (!ok)
            return false;
    }
    return !s->bad;
}

/* One tool_calls entry, its '{' read. */
static bool openai_fast_tool(struct lt_jscan *s, struct openai_fast *f, int pos)
{
    if (f->n_tools == OPENAI_FAST_TOOLS)
        return false;
    struct openai_fast_tool *t = &f->tools[f->n_tools++];
    memset(t, 0, sizeof *t);
    t->pos = pos;
    struct lt_jscan_val k, v;
    unsigned seen = 0;
    while (lt_jscan_member(s, &k)) {
        if (k.esc)
            return false;
        bool ok;
        if (LT_JSCAN_IS(&k, "index")) {
            ok = openai_fast_once(&seen, 1);
            if (ok && lt_jscan_value(s, &v) == LT_JSCAN_NUMBER)
                ok = t->has_index = lt_jscan_int(&v, &t->index);
            else if (ok)
                ok = lt_jscan_skip(s, &v);
        } else if (LT_JSCAN_IS(&k, "id")) {
            ok = openai_fast_once(&seen, 2) && openai_fast_keep(s, &t->id);
        } else if (LT_JSCAN_IS(&k, "type")) {
            ok = openai_fast_once(&seen, 4) && openai_fast_keep(s, &t->type);
        } else if (LT_JSCAN_IS(&k, "function")) {
            ok = openai_fast_once(&seen, 8);
            if (ok && lt_jscan_value(s, &v) == LT_JSCAN_OBJECT)
                ok = openai_fast_function(s, &t->name, &t->args);
            else if (ok)
                ok = lt_jscan_skip(s, &v);
        } else {
            ok = lt_jscan_value(s, &v) != LT_JSCAN_NONE && lt_jscan_skip(s, &v);
        }
        if (!ok)
            return false;
    }
    return !s->bad;
}

/* A delta or message object, its '{' read: as openai_message reads it. */
static bool openai_fast_message(struct lt_jscan *s, struct openai_fast *f, struct openai_fast_choice *c)
{
    struct lt_jscan_val k, v;
    unsigned seen = 0;
    while (lt_jscan_member(s, &k)) {
        if (k.esc)
            return false;
        bool ok;
        if (LT_JSCAN_IS(&k, "content")) {
            /* content parts are cJSON's */
            ok = openai_fast_once(&seen, 1) && lt_jscan_value(s, &c->content) != LT_JSCAN_ARRAY &&
                 lt_jscan_skip(s, &c->content);
        } else if (LT_JSCAN_IS(&k, "reasoning_content")) {
            ok = openai_fast_once(&seen, 2) && openai_fast_keep(s, &c->reasoning_content);
        } else if (LT_JSCAN_IS(&k, "reasoning")) {
            ok = openai_fast_once(&seen, 4) && openai_fast_keep(s, &c->reasoning);
        } else if (LT_JSCAN_IS(&k, "refusal")) {
            ok = openai_fast_once(&seen, 8) && openai_fast_keep(s, &c->refusal);
        } else if (LT_JSCAN_IS(&k, "role")) {
            ok = openai_fast_once(&seen, 16) && openai_fast_keep(s, &c->role);
        } else if (LT_JSCAN_IS(&k, "tool_calls")) {
            ok = openai_fast_once(&seen, 32);
            if (ok && lt_jscan_value(s, &v) == LT_JSCAN_ARRAY) {
                c->has_tools = true;
                c->tool0 = f->n_tools;
                for (int pos = 0; ok && lt_jscan_element(s); pos++) {
                    if (lt_jscan_value(s, &v) == LT_JSCAN_OBJECT)
                        ok = openai_fast_tool(s, f, pos);
                    else
                        ok = lt_jscan_skip(s, &v);
                }
                c->n_tools = f->n_tools - c->tool0;
            } else if (ok) {
                ok = lt_jscan_skip(s, &v);
            }
        } else if (LT_JSCAN_IS(&k, "function_call")) {
            ok = openai_fast_once(&seen, 64);
            if (ok && lt_jscan_value(s, &v) == LT_JSCAN_OBJECT) {
                c->legacy = true;
                ok = openai_fast_function(s, &c->legacy_name, &c->legacy_args);
            } else if (ok) {
                ok = lt_jscan_skip(s, &v);
            }
        } else {
            ok = lt_jscan_value(s, &v) != LT_JSCAN_NONE && lt_jscan_skip(s, &v);
        }
        if (!ok)
            return false;
    }
    /* both: the order between them picks tool slots, which cJSON keeps */
    return !s->bad && !(c->has_tools && c->legacy);
}

/* A choices entry, its '{' read: as openai_choice reads it. */
static bool openai_fast_choice(struct lt_jscan *s, struct openai_fast *f)
{
    if (f->n_choices == OPENAI_FAST_CHOICES)
        return false;
    struct openai_fast_choice *c = &f->choices[f->n_choices++];
    memset(c, 0, sizeof *c);
    struct lt_jscan_val k, v;
    unsigned seen = 0;
    while (lt_jscan_member(s, &k)) {
        if (k.esc)
            return false;
        bool ok;
        if (LT_JSCAN_IS(&k, "index")) {
            ok = openai_fast_once(&seen, 1);
            if (ok && lt_jscan_value(s, &v) == LT_JSCAN_NUMBER)
                ok = lt_jscan_int(&v, &c->index);
            else if (ok)
                ok = lt_jscan_skip(s, &v); /* not a number: index 0 */
        } else if (LT_JSCAN_IS(&k, "delta") || LT_JSCAN_IS(&k, "message")) {
            ok = openai_fast_once(&seen, 2);
            if (ok && lt_jscan_value(s, &v) == LT_JSCAN_OBJECT) {
                c->has_msg = true;
                ok = openai_fast_message(s, f, c);
            } else if (ok) {
                ok = lt_jscan_skip(s, &v);
            }
        } else if (LT_JSCAN_IS(&k, "finish_reason")) {
            ok = openai_fast_once(&seen, 4) && openai_fast_keep(s, &c->finish);
        } else {
            ok = lt_jscan_value(s, &v) != LT_JSCAN_NONE && lt_jscan_skip(s, &v);
        }
        if (!ok)
            return false;
    }
    return !s->bad;
}

/* Pass one: the whole document checked and noted in *f. */
static bool openai_fast_scan(struct openai_fast *f, const char *d, size_t n)
{
    struct lt_jscan s;
    struct lt_jscan_val k, v;
    unsigned seen = 0;
    lt_jscan_init(&s, d, n);
    f->id.kind = f->model.kind = f->fingerprint.kind = f->tier.kind = LT_JSCAN_NONE;
    f->has_usage = f->has_groq_usage = false;
    f->n_choices = f->n_tools = 0;
    if (lt_jscan_value(&s, &v) != LT_JSCAN_OBJECT)
        return false;
    while (lt_jscan_member(&s, &k)) {
        if (k.esc)
            return false;
        bool ok;
        if (LT_JSCAN_IS(&k, "choices")) {
            ok = openai_fast_once(&seen, 1);
            if (ok && lt_jscan_value(&s, &v) == LT_JSCAN_ARRAY) {
                while (ok && lt_jscan_element(&s)) {
                    if (lt_jscan_value(&s, &v) == LT_JSCAN_OBJECT)
                        ok = openai_fast_choice(&s, f);
                    else
                        ok = lt_jscan_skip(&s, &v);
                }
            } else if (ok) {
                ok = lt_jscan_skip(&s, &v);
            }
        } else if (LT_JSCAN_IS(&k, "id")) {
            ok = openai_fast_once(&seen, 2) && openai_fast_keep(&s, &f->id);
        } else if (LT_JSCAN_IS(&k, "model")) {
            ok = openai_fast_once(&seen, 4) && openai_fast_keep(&s, &f->model);
        } else if (LT_JSCAN_IS(&k, "system_fingerprint")) {
            ok = openai_fast_once(&seen, 8) && openai_fast_keep(&s, &f->fingerprint);
        } else if (LT_JSCAN_IS(&k, "service_tier")) {
            ok = openai_fast_once(&seen, 16) && openai_fast_keep(&s, &f->tier);
        } else if (LT_JSCAN_IS(&k, "usage")) {
            ok = openai_fast_once(&seen, 32);
            if (ok && lt_jscan_value(&s, &v) == LT_JSCAN_OBJECT)
                ok = f->has_usage = openai_fast_usage(&s, &f->usage);
            else if (ok)
                ok = lt_jscan_skip(&s, &v);
        } else if (LT_JSCAN_IS(&k, "x_groq")) {
            ok = openai_fast_once(&seen, 64);
            if (ok && lt_jscan_value(&s, &v) == LT_JSCAN_OBJECT) {
                unsigned gseen = 0;
                while (ok && lt_jscan_member(&s, &k)) {
                    if (k.esc) {
                        ok = false;
                    } else if (LT_JSCAN_IS(&k, "usage")) {
                        ok = openai_fast_once(&gseen, 1);
                        if (ok && lt_jscan_value(&s, &v) == LT_JSCAN_OBJECT)
                            ok = f->has_groq_usage = openai_fast_usage(&s, &f->groq_usage);
                        else if (ok)
                            ok = lt_jscan_skip(&s, &v);
                    } else {
                        ok = lt_jscan_value(&s, &v) != LT_JSCAN_NONE && lt_jscan_skip(&s, &v);
                    }
                }
            } else if (ok) {
                ok = lt_jscan_skip(&s, &v);
            }
        } else if (LT_JSCAN_IS(&k, "error")) {
            /* an error object or text: cJSON's (lt_openai_error_object) */
            enum lt_jscan_kind t = lt_jscan_value(&s, &v);
            ok = t != LT_JSCAN_OBJECT && t != LT_JSCAN_STRING && lt_jscan_skip(&s, &v);
        } else {
            ok = lt_jscan_value(&s, &v) != LT_JSCAN_NONE && lt_jscan_skip(&s, &v);
        }
        if (!ok)
            return false;
    }
    return lt_jscan_end(&s);
}

/* The text of string v as cJSON would hand it over (NUL-free: jscan refuses
 * U+0000 and raw control bytes): the raw bytes, or v decoded into o->scratch.
 * NULL when v is not a string or decoding ran out of memory. */
static const char *openai_fast_text(struct openai_call *o, const struct lt_jscan_val *v, size_t *n)
{
    if (v->kind != LT_JSCAN_STRING)
        return NULL;
    if (!v->esc) {
        *n = v->n;
        return v->p;
    }
    lt_buf_reset(&o->scratch);
    if (lt_jscan_str(v, &o->scratch) != LT_OK) {
        o->oom = true;
        return NULL;
    }
    *n = o->scratch.len;
    return o->scratch.data ? o->scratch.data : "";
}

/* lt_pj_keep_first, on a noted value (decoded only when the slot is empty). */
static void openai_fast_first(struct openai_call *o, char **slot, const struct lt_jscan_val *v)
{
    if (*slot || v->kind != LT_JSCAN_STRING || v->n == 0)
        return;
    size_t n;
    const char *s = openai_fast_text(o, v, &n);
    if (s)
        *slot = lt_pj_dupn(s, n, &o->oom);
}

/* lt_pj_keep_last, on a noted value. */
static void openai_fast_last(struct openai_call *o, char **slot, const struct lt_jscan_val *v)
{
    size_t n = 0;
    const char *s = v->n ? openai_fast_text(o, v, &n) : NULL;
    lt_pj_keep_lastn(slot, s, n, &o->oom);
}

static void openai_fast_append(struct openai_call *o, struct lt_buf *b, const struct lt_jscan_val *v)
{
    size_t n;
    const char *s = openai_fast_text(o, v, &n);
    if (s)
        lt_pj_append(b, s, n, &o->oom);
}

/* openai_tool_calls, on noted entries. */
static void openai_fast_tools(struct openai_call *o, struct openai_choice *ch, const struct openai_fast *f,
                              const struct openai_fast_choice *c, bool streamed)
{
    for (int i = c->tool0; i < c->tool0 + c->n_tools; i++) {
        const struct openai_fast_tool *ft = &f->tools[i];
        long long idx = ft->index;
        if (!streamed) {
            idx = ft->pos;
        } else if (!ft->has_index) {
            size_t idn = 0;
            const char *ids = openai_fast_text(o, &ft->id, &idn);
            const struct openai_tool *last = ch->last_tool >= 0 ? &ch->tools[ch->last_tool] : NULL;
            if (last && last->index != OPENAI_LEGACY_INDEX &&
                (!ids || !idn || (last->id && strlen(last->id) == idn && memcmp(last->id, ids, idn) == 0)))
                idx = last->index;
            else {
                idx = 0;
                for (int k = 0; k < ch->n_tools; k++)
                    if (ch->tools[k].index >= idx)
                        idx = ch->tools[k].index + 1;
            }
        }
        if (idx < 0 || idx >= OPENAI_TOOLS_MAX)
            continue;
        struct openai_tool *t = openai_tool_at(o, ch, (int)idx);
        if (!t)
            continue;
        openai_fast_first(o, &t->id, &ft->id);
        openai_fast_first(o, &t->type, &ft->type);
        openai_fast_first(o, &t->name, &ft->name);
        openai_fast_append(o, &t->args, &ft->args);
    }
}

/* Pass two: the notes applied, as openai_read would have. */
static void openai_fast_apply(struct openai_call *o, const struct openai_fast *f, bool streamed)
{
    for (int i = 0; i < f->n_choices; i++) {
        const struct openai_fast_choice *c = &f->choices[i];
        if (c->index < 0 || c->index >= OPENAI_CHOICES_MAX)
            continue;
        struct openai_choice *ch = openai_choice_at(o, (int)c->index);
        if (!ch)
            continue;
        if (c->has_msg) {
            if (c->content.kind == LT_JSCAN_STRING) {
                ch->has_content = true;
                openai_fast_append(o, &ch->content, &c->content);
            }
            openai_fast_append(o, &ch->refusal, &c->refusal);
            openai_fast_first(o, &ch->role, &c->role);
            if (c->has_tools)
                openai_fast_tools(o, ch, f, c, streamed);
            if (c->legacy) {
                struct openai_tool *t = openai_tool_at(o, ch, OPENAI_LEGACY_INDEX);
                if (t) {
                    openai_fast_first(o, &t->name, &c->legacy_name);
                    openai_fast_append(o, &t->args, &c->legacy_args);
                }
            }
            openai_fast_append(o, &ch->reasoning,
                               c->reasoning_content.kind == LT_JSCAN_STRING ? &c->reasoning_content : &c->reasoning);
        }
        openai_fast_last(o, &ch->finish_reason, &c->finish);
    }
    openai_fast_first(o, &o->id, &f->id);
    openai_fast_first(o, &o->model, &f->model);
    openai_fast_last(o, &o->fingerprint, &f->fingerprint);
    openai_fast_last(o, &o->tier, &f->tier);
    if (f->has_usage) {
        o->usage = f->usage;
        o->has_usage = true;
    }
    if (f->has_groq_usage) {
        o->groq_usage = f->groq_usage;
        o->has_groq_usage = true;
    }
}

/* A chunk or a whole answer read without cJSON: true when it was (the call
 * is updated); false when nothing changed and cJSON must read it. */
static bool openai_fast_read(struct openai_call *o, const char *d, size_t n, bool streamed)
{
    struct openai_fast f;
    /* the scan knows chat's members only: completions' `text` is cJSON's */
    if (o->text_api || !lt_jscan_fastpath() || !openai_fast_scan(&f, d, n))
        return false;
    openai_fast_apply(o, &f, streamed);
    return true;
}

/* ---- response: streamed ---------------------------------------------------- */

static bool openai_event_is(const struct lt_frame *f, const char *name)
{
    size_t n = strlen(name);
    return f->event_len == n && memcmp(f->event, name, n) == 0;
}

static void openai_frame(void *state, struct lt_generation *g, const struct lt_frame *f)
{
    struct openai_call *o = state;
    bool error_event = openai_event_is(f, "error");
    if (!error_event && !openai_event_is(f, "message"))
        return; /* other event types (pings, ...) carry nothing we read */
    const char *d = f->data;
    size_t n = f->len;
    if (!lt_pj_trim(&d, &n))
        return;
    if (n == 6 && memcmp(d, "[DONE]", 6) == 0) {
        o->done = true;
        return;
    }
    o->chunks++;
    if (!error_event && openai_fast_read(o, d, n, true))
        return;
    cJSON *j = lt_cj.ParseWithLength(d, n);
    if (lt_pj_is(j, cJSON_Object)) {
        openai_read(o, g, j, true);
        if (error_event && !o->error) {
            lt_generation_set_status(g, LT_LEVEL_ERROR, "error event in the response stream");
            o->error = true;
        }
    } else if (error_event) {
        lt_pj_error_text(g, 0, d, n);
        o->error = true;
    } else {
        o->bad_chunks++;
    }
    if (j)
        lt_cj.Delete(j);
}

/* ---- response: the end ------------------------------------------------------ */

static void openai_whole(struct openai_call *o, const struct lt_parse_end *e, struct lt_generation *g)
{
    if (e->http_status < 400 && e->body_len && openai_fast_read(o, e->body, e->body_len, false)) {
        /* as the object branch below */
        if (!o->error && o->n_choices == 0 && e->complete)
            LT_PJ_WARN(g, "response has no choices (%llu bytes)", e->bytes);
        return;
    }
    cJSON *j = e->body_len ? lt_cj.ParseWithLength(e->body, e->body_len) : NULL;
    if (e->http_status >= 400) {
        lt_openai_http_error(g, e->http_status, j, e->body, e->body_len);
        o->error = true;
    } else if (lt_pj_is(j, cJSON_Object)) {
        openai_read(o, g, j, false);
        if (!o->error && o->n_choices == 0 && e->complete)
            LT_PJ_WARN(g, "response has no choices (%llu bytes)", e->bytes);
    } else if (e->complete && e->http_status != 0) {
        if (e->body_truncated)
            LT_PJ_WARN(g, "response body passed its cap and was cut (%llu bytes)", e->bytes);
        else if (e->body_len == 0)
            LT_PJ_WARN(g, "response body is empty (%llu bytes)", e->bytes);
        else if (j)
            LT_PJ_WARN(g, "response is JSON but not a %s (%llu bytes)", o->text_api ? "completion" : "chat completion",
                        e->bytes);
        else
            LT_PJ_WARN(g, "response is not JSON (%llu bytes)", e->bytes);
    }
    if (j)
        lt_cj.Delete(j);
}

static void openai_stream_end(struct openai_call *o, const struct lt_parse_end *e, struct lt_generation *g)
{
    if (e->http_status >= 400 && !o->error) {
        lt_generation_set_status(g, LT_LEVEL_ERROR, "HTTP %ld", e->http_status);
        o->error = true;
    }
    if (!e->complete)
        return; /* the caller reports the transfer error; keep what arrived */
    bool finished = false;
    for (int i = 0; i < o->n_choices; i++)
        if (o->choices[i].finish_reason)
            finished = true;
    if (o->bad_chunks)
        LT_PJ_WARN(g, "%llu of %llu stream events are not JSON (%llu bytes)", o->bad_chunks, o->chunks, e->bytes);
    if (e->frames_skipped)
        LT_PJ_WARN(g, "%llu stream events over the %zu-byte cap were skipped (%llu bytes)", e->frames_skipped,
                 (size_t)LT_FRAME_CAP, e->bytes);
    if (!o->done && !finished && !o->error) {
        if (o->chunks == 0)
            LT_PJ_WARN(g, "stream holds no events (%llu bytes)", e->bytes);
        else
            LT_PJ_WARN(g, "stream ended without a finish_reason or [DONE] (%llu bytes)", e->bytes);
    }
}

static void openai_sort(struct openai_call *o)
{
    for (int i = 1; i < o->n_choices; i++) {
        struct openai_choice c = o->choices[i];
        int k = i;
        for (; k > 0 && o->choices[k - 1].index > c.index; k--)
            o->choices[k] = o->choices[k - 1];
        o->choices[k] = c;
    }
    for (int n = 0; n < o->n_choices; n++) {
        struct openai_choice *ch = &o->choices[n];
        for (int i = 1; i < ch->n_tools; i++) {
            struct openai_tool t = ch->tools[i];
            int k = i;
            for (; k > 0 && ch->tools[k - 1].index > t.index; k--)
                ch->tools[k] = ch->tools[k - 1];
            ch->tools[k] = t;
        }
    }
}

/* The assistant message as the API would have returned it whole. */
static void openai_message_json(struct lt_buf *b, const struct openai_choice *ch)
{
    lt_buf_adds(b, "{\"role\":");
    lt_buf_json_strz(b, ch->role ? ch->role : "assistant");
    lt_buf_adds(b, ",\"content\":");
    lt_buf_json_strz(b, ch->content_s); /* NULL: null */
    if (ch->reasoning_s) {
        lt_buf_adds(b, ",\"reasoning_content\":");
        lt_buf_json_strz(b, ch->reasoning_s);
    }
    if (ch->refusal_s) {
        lt_buf_adds(b, ",\"refusal\":");
        lt_buf_json_strz(b, ch->refusal_s);
    }
    int n_calls = 0;
    for (int i = 0; i < ch->n_tools; i++) {
        const struct openai_tool *t = &ch->tools[i];
        if (t->index == OPENAI_LEGACY_INDEX) {
            lt_buf_adds(b, ",\"function_call\":{\"name\":");
            lt_buf_json_strz(b, t->name);
            lt_buf_adds(b, ",\"arguments\":");
            lt_buf_json_strz(b, t->args_s ? t->args_s : "");
            lt_buf_addc(b, '}');
            continue;
        }
        lt_buf_adds(b, n_calls++ ? "," : ",\"tool_calls\":[");
        lt_buf_adds(b, "{\"id\":");
        lt_buf_json_strz(b, t->id);
        lt_buf_adds(b, ",\"type\":");
        lt_buf_json_strz(b, t->type ? t->type : "function");
        lt_buf_adds(b, ",\"function\":{\"name\":");
        lt_buf_json_strz(b, t->name);
        lt_buf_adds(b, ",\"arguments\":");
        lt_buf_json_strz(b, t->args_s ? t->args_s : "");
        lt_buf_adds(b, "}}");
    }
    if (n_calls)
        lt_buf_addc(b, ']');
    lt_buf_addc(b, '}');
}

static void openai_assemble(struct openai_call *o, struct lt_generation *g)
{
    openai_sort(o);
    g->response_model = o->model;
    o->model = NULL;
    lt_pj_pick_model(g, o->deployment, &o->oom);
    if (o->id && !(g->response_id = lt_strdup(o->id)))
        o->oom = true;
    lt_pj_meta(g, "response_id", o->id, &o->oom);
    lt_pj_meta(g, "system_fingerprint", o->fingerprint, &o->oom);
    lt_pj_meta(g, "service_tier", o->tier, &o->oom);
    lt_pj_meta(g, "azure_deployment", lt_openai_azure_deployment(g, o->deployment, o->azure), &o->oom);

    for (int i = 0; i < o->n_choices; i++) {
        struct openai_choice *ch = &o->choices[i];
        if (ch->has_content)
            ch->content_s = lt_pj_text(&ch->content, &o->oom);
        if (ch->reasoning.len)
            ch->reasoning_s = lt_pj_text(&ch->reasoning, &o->oom);
        if (ch->refusal.len)
            ch->refusal_s = lt_pj_text(&ch->refusal, &o->oom);
        for (int k = 0; k < ch->n_tools; k++)
            ch->tools[k].args_s = lt_pj_text(&ch->tools[k].args, &o->oom);
    }
    if (o->n_choices > 0) {
        struct lt_buf out;
        lt_buf_init(&out, 0);
        if (o->n_choices > 1)
            lt_buf_addc(&out, '[');
        for (int i = 0; i < o->n_choices; i++) {
            if (i)
                lt_buf_addc(&out, ',');
            if (o->text_api) /* a completion is text, not a message */
                lt_buf_json_strz(&out, o->choices[i].content_s ? o->choices[i].content_s : "");
            else
                openai_message_json(&out, &o->choices[i]);
        }
        if (o->n_choices > 1)
            lt_buf_addc(&out, ']');
        g->output_json = lt_pj_steal(&out, &o->oom);
        lt_buf_free(&out);

        /* The plain fields describe the first choice; output_json has all. */
        struct openai_choice *ch = &o->choices[0];
        if (ch->content_s && *ch->content_s) {
            g->output_text = ch->content_s;
            ch->content_s = NULL;
        }
        g->reasoning_text = ch->reasoning_s;
        ch->reasoning_s = NULL;
        if (ch->finish_reason && !(g->finish_reason = lt_strdup(ch->finish_reason)))
            o->oom = true;
        if (ch->n_tools) {
            g->tool_calls = lt_calloc((size_t)ch->n_tools, sizeof *g->tool_calls);
            if (!g->tool_calls)
                o->oom = true;
            for (int i = 0; g->tool_calls && i < ch->n_tools; i++) {
                struct openai_tool *t = &ch->tools[i];
                struct lt_tool_call *tc = &g->tool_calls[g->n_tool_calls++];
                tc->id = t->id;
                tc->name = t->name;
                tc->arguments = t->args_s;
                t->id = t->name = t->args_s = NULL;
            }
        }
    }
    if (o->has_usage)
        lt_openai_usage_details(&o->usage, g);
    else if (o->has_groq_usage)
        lt_openai_usage_details(&o->groq_usage, g);
}

static enum lt_rc openai_end(void *state, const struct lt_parse_end *e, struct lt_generation *g)
{
    struct openai_call *o = state;
    if (e->framed)
        openai_stream_end(o, e, g);
    else
        openai_whole(o, e, g);
    openai_assemble(o, g);
    return o->oom ? LT_ERR_NOMEM : LT_OK;
}

static void openai_free(void *state)
{
    struct openai_call *o = state;
    if (!o)
        return;
    for (int i = 0; i < o->n_choices; i++) {
        struct openai_choice *ch = &o->choices[i];
        lt_buf_free(&ch->content);
        lt_buf_free(&ch->reasoning);
        lt_buf_free(&ch->refusal);
        lt_free(ch->content_s);
        lt_free(ch->reasoning_s);
        lt_free(ch->refusal_s);
        lt_free(ch->role);
        lt_free(ch->finish_reason);
        for (int k = 0; k < ch->n_tools; k++) {
            lt_free(ch->tools[k].id);
            lt_free(ch->tools[k].name);
            lt_free(ch->tools[k].type);
            lt_buf_free(&ch->tools[k].args);
            lt_free(ch->tools[k].args_s);
        }
        lt_free(ch->tools);
    }
    lt_free(o->choices);
    lt_free(o->id);
    lt_free(o->model);
    lt_free(o->fingerprint);
    lt_free(o->tier);
    lt_free(o->deployment);
    lt_buf_free(&o->scratch);
    lt_free(o);
}

const struct lt_api_ops lt_openai_chat_ops = {
    .name = "openai.chat",
    .operation = "chat",
    .obs_type = "generation",
    .compat_provider = "openai-compatible",
    .confirm = { "model", "messages" },
    .match_path = lt_openai_chat_path,
    .request = openai_chat_request,
    .framing = openai_framing,
    .frame = openai_frame,
    .end = openai_end,
    .free = openai_free,
};

/* The legacy text API (POST .../completions): the chat reading with `text`
 * in place of a message. */
const struct lt_api_ops lt_openai_completions_ops = {
    .name = "openai.completions",
    .operation = "text_completion",
    .obs_type = "generation",
    .compat_provider = "openai-compatible",
    .confirm = { "model", "prompt" },
    .match_path = lt_openai_completions_path,
    .request = openai_completions_request,
    .framing = openai_framing,
    .frame = openai_frame,
    .end = openai_end,
    .free = openai_free,
};
