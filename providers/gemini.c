/* gemini.c — Google Gemini API and Vertex AI generateContent /
 * streamGenerateContent: the request (contents, systemInstruction, tools,
 * generationConfig and the other settings), the answer as one JSON document,
 * as SSE `data:` chunks (?alt=sse) or as one JSON array streamed element by
 * element (a frame per element), error bodies and error elements, prompt and
 * answer blocks.
 *
 * Owns the per-call state (struct gemini_call) between lt_parser_new and
 * lt_parser_finish. Never keeps raw chunks: each is parsed, read once and
 * freed; only the assembled answer survives. Never copies the URL: its query
 * may carry the API key (?key=AIza...); only the model segment of the path
 * and the alt=sse flag are read out of it. Background thread (and tests);
 * gemini_match_path on any thread.
 */
#include "gemini.h"

#include <string.h>
#include <strings.h>

#include "../shim/buf.h"
#include "../shim/json.h"
#include "../shim/mem.h"
#include "framing.h"
#include "generation.h"
#include "pjson.h"

/* The API allows candidateCount <= 8; indices past this are ignored, so a
 * hostile index cannot make us allocate. */
#define GEMINI_CANDIDATES_MAX 8
/* Parts kept per candidate for output_json (text pieces of one kind merge
 * into one part, so a real answer has a handful); past it the plain fields
 * still get every piece. */
#define GEMINI_PARTS_MAX 1024
/* Function calls per candidate: parallel calls stay far below. */
#define GEMINI_TOOLS_MAX 128

enum gemini_kind { GEMINI_TEXT, GEMINI_THOUGHT, GEMINI_CALL, GEMINI_OTHER };

struct gemini_part {
    enum gemini_kind kind;
    size_t from, to;    /* TEXT, THOUGHT: a range of the candidate's text or reasoning */
    int call;           /* CALL: index into tools */
    char *json;         /* OTHER: the part as sent, compact, without its thoughtSignature */
};

struct gemini_tool {
    char *id;           /* functionCall.id; NULL when the part has none */
    char *name;
    char *args;         /* the args object as compact JSON text */
};

struct gemini_cand {
    int index;
    struct lt_buf text;      /* visible text pieces joined */
    struct lt_buf reasoning; /* thought: true pieces joined */
    struct gemini_part *parts;
    int n_parts, cap_parts;
    struct gemini_tool *tools;
    int n_tools, cap_tools;
    char *finish_reason;
    char *finish_message;
};

enum gemini_count {
    GEMINI_PROMPT, GEMINI_CANDS, GEMINI_TOTAL, GEMINI_CACHED, GEMINI_THOUGHTS, GEMINI_TOOL_PROMPT, GEMINI_NCOUNT
};

struct gemini_call {
    char *url_model;    /* models/{m}: in the path, the model of last resort */
    bool stream;        /* :streamGenerateContent */
    bool sse;           /* ?alt=sse */
    long status;        /* HTTP status */
    struct gemini_cand *cands;
    int n_cands, cap_cands;
    char *model, *id, *tier, *traffic, *block_reason, *block_message;
    char *modality;     /* the last usageMetadata's per-modality counts, as JSON */
    unsigned has;       /* bit per enum gemini_count, of the last usageMetadata */
    long long count[GEMINI_NCOUNT];
    bool has_usage;
    bool error;         /* an error object was seen */
    bool ended;         /* a finishReason or a blockReason was seen */
    unsigned long long docs, bad_docs;
    bool oom;
};

/* Google's JSON mapping accepts the proto field names too (snake_case). */
static bool gemini_key2(const cJSON *c, const char *camel, const char *snake)
{
    return c->string && (strcmp(c->string, camel) == 0 || strcmp(c->string, snake) == 0);
}

/* ---- the URL ---------------------------------------------------------------- */

static bool gemini_ends(const char *p, size_t n, const char *tail)
{
    size_t t = strlen(tail);
    return n >= t && memcmp(p + n - t, tail, t) == 0;
}

/* Where the resource name of the path starts: after the last "/models/"
 * (Gemini, Vertex publisher models), else "/tunedModels/", else
 * "/endpoints/" (Vertex deployed models). 0 when none. */
static size_t gemini_model_at(const char *p, size_t n)
{
    static const char *const marks[] = { "/models/", "/tunedModels/", "/endpoints/" };
    for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++) {
        size_t ml = strlen(marks[m]);
        for (size_t i = n; i >= ml; i--)
            if (memcmp(p + i - ml, marks[m], ml) == 0)
                return i;
    }
    return 0;
}

/* POST .../models/{m}:generateContent or :streamGenerateContent (also
 * tunedModels/{m} and Vertex endpoints/{e}); the query is already gone. */
static bool gemini_match_path(const char *path, size_t n)
{
    size_t end;
    if (gemini_ends(path, n, ":generateContent"))
        end = n - strlen(":generateContent");
    else if (gemini_ends(path, n, ":streamGenerateContent"))
        end = n - strlen(":streamGenerateContent");
    else
        return false;
    size_t at = gemini_model_at(path, end);
    return at > 0 && at < end && memchr(path + at, '/', end - at) == NULL;
}

/* Reads the model segment and the stream flags out of the URL; the query is
 * only searched for alt=sse, never copied. */
static void gemini_read_url(struct gemini_call *o, const char *url)
{
    if (!url)
        return;
    size_t pend = strcspn(url, "?#");
    size_t colon = pend;
    while (colon > 0 && url[colon - 1] != ':' && url[colon - 1] != '/')
        colon--;
    if (colon == 0 || url[colon - 1] != ':')
        return;
    colon--;
    o->stream = gemini_ends(url, pend, ":streamGenerateContent");
    size_t at = gemini_model_at(url, colon);
    if (at > 0 && at < colon && !memchr(url + at, '/', colon - at))
        o->url_model = lt_pj_dupn(url + at, colon - at, &o->oom);
    if (url[pend] == '?') {
        const char *q = url + pend + 1;
        size_t qn = strcspn(q, "#");
        for (size_t i = 0; i + 7 <= qn; i++)
            if ((i == 0 || q[i - 1] == '&') && strncasecmp(q + i, "alt=sse", 7) == 0 &&
                (i + 7 == qn || q[i + 7] == '&'))
                o->sse = true;
    }
}

/* ---- the request -------------------------------------------------------------- */

/* The conversation, in the order input_json lists it, with the names it
 * carries there; the proto spelling is read too. */
static const char *const gemini_input[] = { "contents", "systemInstruction", "tools", "toolConfig", "cachedContent" };
static const char *const gemini_input_snake[] = { "contents", "system_instruction", "tools", "tool_config",
                                                  "cached_content" };
/* Read first, flattened into the parameters. */
static const char *const gemini_config[] = { "generationConfig", "generation_config" };

/* A model named in the body ("models/gemini-2.0-flash") counts by its bare
 * name; the request never says whether it streams (the URL does). */
static const struct lt_pj_shape gemini_shape = {
    .input = gemini_input,
    .input_alt = gemini_input_snake,
    .n_input = sizeof gemini_input / sizeof gemini_input[0],
    .drop = gemini_config,
    .n_drop = sizeof gemini_config / sizeof gemini_config[0],
    .model_prefix = "models/",
    .model_nonempty = true,
};

static void gemini_read_request(struct gemini_call *o, const cJSON *j, struct lt_generation *g)
{
    struct lt_buf params;
    lt_buf_init(&params, 0);
    /* generationConfig members first: they are the sampling parameters
     * (temperature, maxOutputTokens, thinkingConfig, ...); then every other
     * setting as sent (safetySettings, labels, ...): they shape the answer
     * too, and a blocked answer is read against them. */
    for (const cJSON *c = j->child; c; c = c->next)
        if (gemini_key2(c, "generationConfig", "generation_config"))
            lt_pj_flatten(&params, c);
    struct lt_pj_split sp;
    lt_pj_split(j, &gemini_shape, &params, NULL, g, &sp, &o->oom);
    if (sp.input[0])
        g->n_input_messages = lt_pj_is(sp.input[0], cJSON_Array) ? lt_cj.GetArraySize(sp.input[0]) : 1;
}

static void gemini_free(void *state);

static enum lt_rc gemini_request(const struct lt_parse_in *in, struct lt_generation *g, void **state)
{
    *state = NULL;
    cJSON *j = in->req && in->req_len ? lt_cj.ParseWithLength(in->req, in->req_len) : NULL;
    bool obj = lt_pj_is(j, cJSON_Object);
    /* A host we do not know is Gemini-shaped only if the body says so: a
     * Gemini request names no model, its `contents` are the sign. */
    if (!in->known_host && !(obj && (lt_pj_is(lt_pj_child(j, "contents"), cJSON_Array) ||
                                     lt_pj_is(lt_pj_child(j, "contents"), cJSON_Object)))) {
        if (j)
            lt_cj.Delete(j);
        return LT_ERR_SKIP;
    }
    struct gemini_call *o = lt_calloc(1, sizeof *o);
    if (!o) {
        if (j)
            lt_cj.Delete(j);
        return LT_ERR_NOMEM;
    }
    if (obj)
        gemini_read_request(o, j, g);
    if (j)
        lt_cj.Delete(j);
    gemini_read_url(o, in->url);
    o->status = in->http_status;
    g->stream = o->stream;
    if (o->oom) {
        gemini_free(o);
        lt_generation_free(g);
        return LT_ERR_NOMEM;
    }
    *state = o;
    return LT_OK;
}

/* ---- the response: one document ------------------------------------------------ */

static int gemini_framing(void *state, const char *content_type, int first)
{
    struct gemini_call *o = state;
    if (first == '[')
        return LT_FRAMING_JSON_ARRAY; /* streamGenerateContent without alt=sse */
    if (first == '{' || first < 0)
        return LT_FRAMING_NONE;       /* generateContent, or an error answer */
    if (content_type && strcasestr(content_type, "text/event-stream"))
        return LT_FRAMING_SSE;
    if (first == 'd' || first == ':')
        return LT_FRAMING_SSE;
    if (o->status >= 400)
        return LT_FRAMING_NONE; /* an error page, quoted whole */
    return o->sse ? LT_FRAMING_SSE : LT_FRAMING_NONE;
}

static struct gemini_cand *gemini_cand_at(struct gemini_call *o, int index)
{
    for (int i = 0; i < o->n_cands; i++)
        if (o->cands[i].index == index)
            return &o->cands[i];
    if (index < 0 || index >= GEMINI_CANDIDATES_MAX)
        return NULL;
    struct gemini_cand *grown = lt_pj_room(o->cands, o->n_cands, &o->cap_cands, sizeof *grown, 1, &o->oom);
    if (!grown)
        return NULL;
    o->cands = grown;
    struct gemini_cand *c = &o->cands[o->n_cands++];
    memset(c, 0, sizeof *c);
    c->index = index;
    lt_buf_init(&c->text, 0);
    lt_buf_init(&c->reasoning, 0);
    return c;
}

static struct gemini_part *gemini_part_new(struct gemini_call *o, struct gemini_cand *c, enum gemini_kind kind)
{
    if (c->n_parts >= GEMINI_PARTS_MAX)
        return NULL;
    struct gemini_part *grown = lt_pj_room(c->parts, c->n_parts, &c->cap_parts, sizeof *grown, 4, &o->oom);
    if (!grown)
        return NULL;
    c->parts = grown;
    struct gemini_part *p = &c->parts[c->n_parts++];
    memset(p, 0, sizeof *p);
    p->kind = kind;
    return p;
}

/* A text piece: joined to the candidate's text (or reasoning) and to the
 * part before when that is of the same kind, as the whole answer would
 * have it. */
static void gemini_text(struct gemini_call *o, struct gemini_cand *c, const char *s, bool thought)
{
    struct lt_buf *b = thought ? &c->reasoning : &c->text;
    enum gemini_kind kind = thought ? GEMINI_THOUGHT : GEMINI_TEXT;
    size_t from = b->len;
    lt_pj_append(b, s, strlen(s), &o->oom);
    struct gemini_part *last = c->n_parts ? &c->parts[c->n_parts - 1] : NULL;
    if (last && last->kind == kind && last->to == from) {
        last->to = b->len;
        return;
    }
    struct gemini_part *p = gemini_part_new(o, c, kind);
    if (p) {
        p->from = from;
        p->to = b->len;
    }
}

static void gemini_call_part(struct gemini_call *o, struct gemini_cand *c, const cJSON *fc)
{
    if (c->n_tools >= GEMINI_TOOLS_MAX)
        return;
    struct gemini_tool *grown = lt_pj_room(c->tools, c->n_tools, &c->cap_tools, sizeof *grown, 2, &o->oom);
    if (!grown)
        return;
    c->tools = grown;
    struct gemini_tool *t = &c->tools[c->n_tools];
    memset(t, 0, sizeof *t);
    lt_pj_keep_first(&t->id, lt_pj_str(lt_pj_child(fc, "id")), &o->oom);
    t->name = lt_pj_dup(lt_pj_str(lt_pj_child(fc, "name")), &o->oom);
    const cJSON *args = lt_pj_child(fc, "args");
    struct lt_buf b;
    lt_buf_init(&b, 0);
    if (args && !lt_pj_is(args, cJSON_NULL))
        lt_provider_json_write(&b, args);
    else
        lt_buf_adds(&b, "{}"); /* a call without arguments omits args */
    t->args = lt_pj_steal(&b, &o->oom);
    lt_buf_free(&b);
    struct gemini_part *p = gemini_part_new(o, c, GEMINI_CALL);
    if (p)
        p->call = c->n_tools;
    c->n_tools++;
}

/* Any other part (executableCode, codeExecutionResult, inlineData, ...):
 * kept as sent for output_json, without the opaque thoughtSignature. */
static void gemini_other_part(struct gemini_call *o, struct gemini_cand *c, const cJSON *part)
{
    struct gemini_part *p = gemini_part_new(o, c, GEMINI_OTHER);
    if (!p)
        return;
    struct lt_buf b;
    lt_buf_init(&b, 0);
    for (const cJSON *m = part->child; m; m = m->next)
        if (m->string && !gemini_key2(m, "thoughtSignature", "thought_signature"))
            lt_pj_member(&b, m->string, m);
    lt_buf_adds(&b, b.len ? "}" : "{}");
    p->json = lt_pj_steal(&b, &o->oom);
    lt_buf_free(&b);
}

static void gemini_part(struct gemini_call *o, struct gemini_cand *c, const cJSON *part)
{
    if (!lt_pj_is(part, cJSON_Object))
        return;
    const char *text = NULL;
    const cJSON *fc = NULL;
    bool thought = false, other = false;
    for (const cJSON *m = part->child; m; m = m->next) {
        if (lt_pj_key(m, "text"))
            text = lt_pj_str(m);
        else if (gemini_key2(m, "functionCall", "function_call"))
            fc = m;
        else if (lt_pj_key(m, "thought"))
            thought = lt_pj_is(m, cJSON_True);
        else if (m->string && !gemini_key2(m, "thoughtSignature", "thought_signature") &&
                 !gemini_key2(m, "partMetadata", "part_metadata"))
            other = true;
    }
    if (text) {
        if (*text)
            gemini_text(o, c, text, thought);
    } else if (lt_pj_is(fc, cJSON_Object)) {
        gemini_call_part(o, c, fc);
    } else if (other) {
        gemini_other_part(o, c, part);
    }
}

static void gemini_candidate(struct gemini_call *o, const cJSON *el)
{
    if (!lt_pj_is(el, cJSON_Object))
        return;
    long long idx = 0;
    lt_pj_int(lt_pj_child(el, "index"), &idx); /* absent: 0 */
    if (idx < 0 || idx >= GEMINI_CANDIDATES_MAX)
        return;
    struct gemini_cand *c = gemini_cand_at(o, (int)idx);
    if (!c)
        return;
    for (const cJSON *m = el->child; m; m = m->next) {
        if (lt_pj_key(m, "content")) {
            const cJSON *parts = lt_pj_child(m, "parts");
            if (lt_pj_is(parts, cJSON_Array))
                for (const cJSON *p = parts->child; p; p = p->next)
                    gemini_part(o, c, p);
        } else if (gemini_key2(m, "finishReason", "finish_reason")) {
            if (lt_pj_str(m) && *lt_pj_str(m)) {
                lt_pj_keep_last(&c->finish_reason, lt_pj_str(m), &o->oom);
                o->ended = true;
            }
        } else if (gemini_key2(m, "finishMessage", "finish_message")) {
            lt_pj_keep_last(&c->finish_message, lt_pj_str(m), &o->oom);
        }
    }
}

static void gemini_count(struct gemini_call *o, enum gemini_count k, const cJSON *v)
{
    long long n;
    if (lt_pj_count(v, &n)) { /* a negative count is no count */
        o->count[k] = n;
        o->has |= 1u << k;
    }
}

/* [{"modality":"TEXT","tokenCount":5},...] as "TEXT":5,... into b. */
static void gemini_modalities(struct lt_buf *b, const char *name, const cJSON *arr)
{
    if (!lt_pj_is(arr, cJSON_Array) || !arr->child)
        return;
    lt_buf_addc(b, b->len ? ',' : '{');
    lt_buf_json_strz(b, name);
    lt_buf_addc(b, ':');
    size_t mark = b->len;
    for (const cJSON *e = arr->child; e; e = e->next) {
        const char *mod = lt_pj_str(lt_pj_child(e, "modality"));
        long long n = 0;
        lt_pj_int(lt_pj_child(e, "tokenCount"), &n); /* absent: 0 (proto3 leaves zeros out) */
        if (!mod)
            continue;
        lt_buf_addc(b, b->len > mark ? ',' : '{');
        lt_buf_json_strz(b, mod);
        lt_buf_printf(b, ":%lld", n);
    }
    if (b->len == mark)
        lt_buf_addc(b, '{');
    lt_buf_addc(b, '}');
}

/* A usageMetadata replaces the one before: chunks repeat running counts,
 * the last is the final report. */
static void gemini_usage(struct gemini_call *o, const cJSON *u)
{
    o->has = 0;
    memset(o->count, 0, sizeof o->count);
    o->has_usage = true;
    struct lt_buf mod;
    lt_buf_init(&mod, 0);
    for (const cJSON *m = u->child; m; m = m->next) {
        if (gemini_key2(m, "promptTokenCount", "prompt_token_count"))
            gemini_count(o, GEMINI_PROMPT, m);
        else if (gemini_key2(m, "candidatesTokenCount", "candidates_token_count"))
            gemini_count(o, GEMINI_CANDS, m);
        else if (gemini_key2(m, "totalTokenCount", "total_token_count"))
            gemini_count(o, GEMINI_TOTAL, m);
        else if (gemini_key2(m, "cachedContentTokenCount", "cached_content_token_count"))
            gemini_count(o, GEMINI_CACHED, m);
        else if (gemini_key2(m, "thoughtsTokenCount", "thoughts_token_count"))
            gemini_count(o, GEMINI_THOUGHTS, m);
        else if (gemini_key2(m, "toolUsePromptTokenCount", "tool_use_prompt_token_count"))
            gemini_count(o, GEMINI_TOOL_PROMPT, m);
        else if (gemini_key2(m, "serviceTier", "service_tier"))
            lt_pj_keep_last(&o->tier, lt_pj_str(m), &o->oom);
        else if (gemini_key2(m, "trafficType", "traffic_type"))
            lt_pj_keep_last(&o->traffic, lt_pj_str(m), &o->oom);
    }
    gemini_modalities(&mod, "input", lt_pj_child(u, "promptTokensDetails"));
    gemini_modalities(&mod, "cached", lt_pj_child(u, "cacheTokensDetails"));
    gemini_modalities(&mod, "output", lt_pj_child(u, "candidatesTokensDetails"));
    gemini_modalities(&mod, "tool_use_prompt", lt_pj_child(u, "toolUsePromptTokensDetails"));
    lt_free(o->modality);
    o->modality = NULL;
    if (mod.len) {
        lt_buf_addc(&mod, '}');
        o->modality = lt_pj_steal(&mod, &o->oom);
    }
    lt_buf_free(&mod);
}

/* The message of a Google error object {"code","message","status"}. */
static bool gemini_error_object(struct lt_generation *g, const cJSON *err)
{
    const char *msg = lt_pj_str(err);
    if (!msg)
        msg = lt_pj_str(lt_pj_child(err, "message"));
    const char *status = lt_pj_str(lt_pj_child(err, "status"));
    long long code = 0;
    bool has_code = lt_pj_int(lt_pj_child(err, "code"), &code);
    size_t n = msg ? strlen(msg) : 0;
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ' || msg[n - 1] == '\r' || msg[n - 1] == '\t'))
        n--; /* Google's validation messages end in a newline */
    if (n)
        lt_generation_set_status(g, LT_LEVEL_ERROR, "%.*s", (int)(n < 65536 ? n : 65536), msg);
    else if (status && *status)
        lt_generation_set_status(g, LT_LEVEL_ERROR, "%s", status);
    else if (has_code)
        lt_generation_set_status(g, LT_LEVEL_ERROR, "error %lld", code);
    else
        return false;
    return true;
}

/* One answer document: a whole body, an SSE chunk or an array element. */
static void gemini_doc(struct gemini_call *o, struct lt_generation *g, const cJSON *j)
{
    for (const cJSON *c = j->child; c; c = c->next) {
        if (!c->string)
            continue;
        if (lt_pj_key(c, "candidates")) {
            if (lt_pj_is(c, cJSON_Array))
                for (const cJSON *el = c->child; el; el = el->next)
                    gemini_candidate(o, el);
        } else if (gemini_key2(c, "usageMetadata", "usage_metadata")) {
            if (lt_pj_is(c, cJSON_Object))
                gemini_usage(o, c);
        } else if (gemini_key2(c, "modelVersion", "model_version")) {
            lt_pj_keep_last(&o->model, lt_pj_str(c), &o->oom);
        } else if (gemini_key2(c, "responseId", "response_id")) {
            lt_pj_keep_first(&o->id, lt_pj_str(c), &o->oom);
        } else if (gemini_key2(c, "promptFeedback", "prompt_feedback")) {
            const char *r = lt_pj_str(lt_pj_child(c, "blockReason"));
            if (r && *r && strcmp(r, "BLOCK_REASON_UNSPECIFIED") != 0) {
                lt_pj_keep_last(&o->block_reason, r, &o->oom);
                lt_pj_keep_last(&o->block_message, lt_pj_str(lt_pj_child(c, "blockReasonMessage")), &o->oom);
                o->ended = true;
            }
        } else if (lt_pj_key(c, "error")) {
            if ((lt_pj_is(c, cJSON_Object) || lt_pj_is(c, cJSON_String)) && gemini_error_object(g, c))
                o->error = true;
        }
    }
}

/* Reads a parsed document that may be an object or an array of them. */
static bool gemini_read(struct gemini_call *o, struct lt_generation *g, const cJSON *j)
{
    if (lt_pj_is(j, cJSON_Object)) {
        gemini_doc(o, g, j);
        return true;
    }
    if (lt_pj_is(j, cJSON_Array)) {
        for (const cJSON *e = j->child; e; e = e->next)
            if (lt_pj_is(e, cJSON_Object))
                gemini_doc(o, g, e);
        return true;
    }
    return false;
}

/* ---- the response: streamed ---------------------------------------------------- */

static void gemini_frame(void *state, struct lt_generation *g, const struct lt_frame *f)
{
    struct gemini_call *o = state;
    const char *d = f->data;
    size_t n = f->len;
    if (!lt_pj_trim(&d, &n))
        return;
    bool error_event = f->event_len == 5 && memcmp(f->event, "error", 5) == 0;
    o->docs++;
    cJSON *j = lt_cj.ParseWithLength(d, n);
    if (gemini_read(o, g, j)) {
        if (error_event && !o->error) {
            lt_generation_set_status(g, LT_LEVEL_ERROR, "error event in the response stream");
            o->error = true;
        }
    } else if (error_event) {
        char q[LT_PJ_QUOTE + 1];
        if (lt_pj_quote(q, d, n))
            lt_generation_set_status(g, LT_LEVEL_ERROR, "error event in the response stream: %s", q);
        else
            lt_generation_set_status(g, LT_LEVEL_ERROR, "error event in the response stream");
        o->error = true;
    } else {
        o->bad_docs++;
    }
    if (j)
        lt_cj.Delete(j);
}

/* ---- the response: the end ------------------------------------------------------- */

static void gemini_whole(struct gemini_call *o, const struct lt_parse_end *e, struct lt_generation *g)
{
    cJSON *j = e->body_len ? lt_cj.ParseWithLength(e->body, e->body_len) : NULL;
    if (e->http_status >= 400) {
        if (lt_pj_is(j, cJSON_Object) || lt_pj_is(j, cJSON_Array))
            gemini_read(o, g, j); /* {"error": {...}} or [{"error": {...}}] */
        if (!o->error) {
            if (j)
                lt_generation_set_status(g, LT_LEVEL_ERROR, "HTTP %ld", e->http_status);
            else
                lt_pj_error_text(g, e->http_status, e->body, e->body_len);
        }
        o->error = true;
    } else if (gemini_read(o, g, j)) {
        o->docs++;
        if (!o->error && o->n_cands == 0 && !o->block_reason && e->complete)
            LT_PJ_WARN(g, "response has no candidates (%llu bytes)", e->bytes);
    } else if (e->body_truncated) {
        LT_PJ_WARN(g, "response body passed its cap and was cut (%llu bytes)", e->bytes);
    } else if (!e->complete) {
        LT_PJ_WARN(g, "response cut short: %llu bytes that do not parse", e->bytes);
    } else if (e->http_status != 0) {
        size_t lead = 0;
        while (lead < e->body_len && strchr(" \t\r\n", e->body[lead]) && e->body[lead])
            lead++;
        if (lead == e->body_len)
            LT_PJ_WARN(g, "response body is empty (%llu bytes)", e->bytes);
        else if (j)
            LT_PJ_WARN(g, "response is JSON but not a generateContent answer (%llu bytes)", e->bytes);
        else
            LT_PJ_WARN(g, "response is not JSON (%llu bytes)", e->bytes);
    }
    if (j)
        lt_cj.Delete(j);
}

static void gemini_stream_end(struct gemini_call *o, const struct lt_parse_end *e, struct lt_generation *g)
{
    if (e->http_status >= 400 && !o->error) {
        lt_generation_set_status(g, LT_LEVEL_ERROR, "HTTP %ld", e->http_status);
        o->error = true;
    }
    if (!e->complete && (e->frames_skipped || !o->ended))
        LT_PJ_WARN(g, "stream cut short after %llu element(s) (%llu bytes)", o->docs, e->bytes);
    if (o->bad_docs)
        LT_PJ_WARN(g, "%llu of %llu stream elements are not JSON (%llu bytes)", o->bad_docs, o->docs, e->bytes);
    if (e->frames_skipped)
        LT_PJ_WARN(g, "%llu stream element(s) cut short or over the %zu-byte cap were skipped (%llu bytes)",
                    e->frames_skipped, (size_t)LT_FRAME_CAP, e->bytes);
    if (!o->ended && !o->error) {
        if (o->docs == 0)
            LT_PJ_WARN(g, "stream holds no elements (%llu bytes)", e->bytes);
        else
            LT_PJ_WARN(g, "stream ended without a finishReason (%llu bytes)", e->bytes);
    }
}

/* A prompt or an answer the service refused to complete. HTTP 200 and an
 * answer that is all there is: a WARNING, not an ERROR — ERROR is kept for
 * failed calls (HTTP >= 400, error events), and a blocked prompt is billed
 * and answered like any other; the status says why the text is missing or
 * short. STOP and MAX_TOKENS are ordinary ends. */
static void gemini_blocks(struct gemini_call *o, struct lt_generation *g)
{
    if (o->block_reason) {
        if (o->block_message)
            LT_PJ_WARN(g, "prompt blocked: %s: %s", o->block_reason, o->block_message);
        else
            LT_PJ_WARN(g, "prompt blocked: %s", o->block_reason);
        return;
    }
    for (int i = 0; i < o->n_cands; i++) {
        const struct gemini_cand *c = &o->cands[i];
        const char *r = c->finish_reason;
        if (!r || !strcmp(r, "STOP") || !strcmp(r, "MAX_TOKENS") || !strcmp(r, "FINISH_REASON_UNSPECIFIED"))
            continue;
        if (c->finish_message)
            LT_PJ_WARN(g, "answer stopped: %s: %s", r, c->finish_message);
        else
            LT_PJ_WARN(g, "answer stopped: %s", r);
        return;
    }
}

static void gemini_sort(struct gemini_call *o)
{
    for (int i = 1; i < o->n_cands; i++) {
        struct gemini_cand c = o->cands[i];
        int k = i;
        for (; k > 0 && o->cands[k - 1].index > c.index; k--)
            o->cands[k] = o->cands[k - 1];
        o->cands[k] = c;
    }
}

/* The text in [from, to) of b, made valid UTF-8, as a JSON string. */
static void gemini_slice(struct lt_buf *out, const struct lt_buf *b, size_t from, size_t to)
{
    if (to > b->len)
        to = b->len;
    if (from > to)
        from = to;
    lt_buf_json_str(out, b->data ? b->data + from : "", to - from);
}

/* The candidate's Content as the API returns it whole. */
static void gemini_content_json(struct lt_buf *b, const struct gemini_cand *c)
{
    lt_buf_adds(b, "{\"role\":\"model\",\"parts\":[");
    for (int i = 0; i < c->n_parts; i++) {
        const struct gemini_part *p = &c->parts[i];
        if (i)
            lt_buf_addc(b, ',');
        switch (p->kind) {
        case GEMINI_TEXT:
            lt_buf_adds(b, "{\"text\":");
            gemini_slice(b, &c->text, p->from, p->to);
            lt_buf_addc(b, '}');
            break;
        case GEMINI_THOUGHT:
            lt_buf_adds(b, "{\"text\":");
            gemini_slice(b, &c->reasoning, p->from, p->to);
            lt_buf_adds(b, ",\"thought\":true}");
            break;
        case GEMINI_CALL: {
            const struct gemini_tool *t = &c->tools[p->call];
            lt_buf_adds(b, "{\"functionCall\":{");
            if (t->id) {
                lt_buf_adds(b, "\"id\":");
                lt_buf_json_strz(b, t->id);
                lt_buf_addc(b, ',');
            }
            lt_buf_adds(b, "\"name\":");
            lt_buf_json_strz(b, t->name);
            lt_buf_adds(b, ",\"args\":");
            lt_buf_adds(b, t->args ? t->args : "{}");
            lt_buf_adds(b, "}}");
            break;
        }
        default:
            lt_buf_adds(b, p->json ? p->json : "{}");
            break;
        }
    }
    lt_buf_adds(b, "]}");
}

/* Langfuse's keys, none overlapping (fixtures README "usage_details"):
 * promptTokenCount includes the cached tokens, candidatesTokenCount already
 * excludes the thoughts, totalTokenCount is kept as reported (it also holds
 * thoughts and tool-use prompt tokens). toolUsePromptTokenCount has no
 * Langfuse key: it goes to metadata with the per-modality counts. */
static void gemini_usage_details(struct gemini_call *o, struct lt_generation *g)
{
#define GEMINI_HAS(k) (o->has & (1u << (k)))
    long long cached = GEMINI_HAS(GEMINI_CACHED) ? o->count[GEMINI_CACHED] : 0;
    if (GEMINI_HAS(GEMINI_PROMPT)) {
        long long in = o->count[GEMINI_PROMPT] - cached;
        lt_generation_set_usage(g, "input", in > 0 ? in : 0);
    }
    if (GEMINI_HAS(GEMINI_CACHED))
        lt_generation_set_usage(g, "input_cached_tokens", cached);
    if (GEMINI_HAS(GEMINI_CANDS))
        lt_generation_set_usage(g, "output", o->count[GEMINI_CANDS]);
    if (GEMINI_HAS(GEMINI_THOUGHTS))
        lt_generation_set_usage(g, "output_reasoning_tokens", o->count[GEMINI_THOUGHTS]);
    if (GEMINI_HAS(GEMINI_TOTAL))
        lt_generation_set_usage(g, "total", o->count[GEMINI_TOTAL]);
    if (GEMINI_HAS(GEMINI_TOOL_PROMPT))
        lt_pj_meta_num(g, "tool_use_prompt_tokens", o->count[GEMINI_TOOL_PROMPT], &o->oom);
#undef GEMINI_HAS
}

static void gemini_assemble(struct gemini_call *o, struct lt_generation *g)
{
    gemini_sort(o);
    g->response_model = o->model;
    o->model = NULL;
    lt_pj_pick_model(g, o->url_model, &o->oom);
    if (o->id && !(g->response_id = lt_strdup(o->id)))
        o->oom = true;
    lt_pj_meta(g, "response_id", o->id, &o->oom);
    lt_pj_meta(g, "service_tier", o->tier, &o->oom);
    lt_pj_meta(g, "traffic_type", o->traffic, &o->oom);
    lt_pj_meta(g, "block_reason", o->block_reason, &o->oom);

    if (o->n_cands > 0) {
        struct lt_buf out;
        lt_buf_init(&out, 0);
        if (o->n_cands > 1)
            lt_buf_addc(&out, '[');
        for (int i = 0; i < o->n_cands; i++) {
            if (i)
                lt_buf_addc(&out, ',');
            gemini_content_json(&out, &o->cands[i]);
        }
        if (o->n_cands > 1)
            lt_buf_addc(&out, ']');
        g->output_json = lt_pj_steal(&out, &o->oom);
        lt_buf_free(&out);

        /* The plain fields describe the first candidate; output_json has all. */
        struct gemini_cand *c = &o->cands[0];
        if (c->text.len)
            g->output_text = lt_pj_text(&c->text, &o->oom);
        if (c->reasoning.len)
            g->reasoning_text = lt_pj_text(&c->reasoning, &o->oom);
        if (c->finish_reason && !(g->finish_reason = lt_strdup(c->finish_reason)))
            o->oom = true;
        lt_pj_meta(g, "finish_message", c->finish_message, &o->oom);
        if (c->n_tools) {
            g->tool_calls = lt_calloc((size_t)c->n_tools, sizeof *g->tool_calls);
            if (!g->tool_calls)
                o->oom = true;
            for (int i = 0; g->tool_calls && i < c->n_tools; i++) {
                struct gemini_tool *t = &c->tools[i];
                struct lt_tool_call *tc = &g->tool_calls[g->n_tool_calls++];
                tc->id = t->id;
                tc->name = t->name;
                tc->arguments = t->args;
                t->id = t->name = t->args = NULL;
            }
        }
    }
    if (o->has_usage)
        gemini_usage_details(o, g);
    lt_pj_meta(g, "usage_by_modality", o->modality, &o->oom);
}

static enum lt_rc gemini_end(void *state, const struct lt_parse_end *e, struct lt_generation *g)
{
    struct gemini_call *o = state;
    if (e->framed)
        gemini_stream_end(o, e, g);
    else
        gemini_whole(o, e, g);
    gemini_blocks(o, g);
    gemini_assemble(o, g);
    return o->oom ? LT_ERR_NOMEM : LT_OK;
}

static void gemini_free(void *state)
{
    struct gemini_call *o = state;
    if (!o)
        return;
    for (int i = 0; i < o->n_cands; i++) {
        struct gemini_cand *c = &o->cands[i];
        lt_buf_free(&c->text);
        lt_buf_free(&c->reasoning);
        for (int k = 0; k < c->n_parts; k++)
            lt_free(c->parts[k].json);
        lt_free(c->parts);
        for (int k = 0; k < c->n_tools; k++) {
            lt_free(c->tools[k].id);
            lt_free(c->tools[k].name);
            lt_free(c->tools[k].args);
        }
        lt_free(c->tools);
        lt_free(c->finish_reason);
        lt_free(c->finish_message);
    }
    lt_free(o->cands);
    lt_free(o->url_model);
    lt_free(o->model);
    lt_free(o->id);
    lt_free(o->tier);
    lt_free(o->traffic);
    lt_free(o->block_reason);
    lt_free(o->block_message);
    lt_free(o->modality);
    lt_free(o);
}

const struct lt_api_ops lt_gemini_ops = {
    .name = "gemini.generateContent",
    .operation = "generate_content", /* the GenAI conventions' name for Gemini's operation */
    .obs_type = "generation",
    .compat_provider = "gemini-compatible",
    .confirm = { "contents" },
    .match_path = gemini_match_path,
    .request = gemini_request,
    .framing = gemini_framing,
    .frame = gemini_frame,
    .end = gemini_end,
    .free = gemini_free,
};
