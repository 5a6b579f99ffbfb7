/* openai_common.c — the pieces every OpenAI wire format shares (chat,
 * legacy completions, Responses, embeddings): usage counts and their
 * Langfuse keys, error bodies and events, the Azure deployment, the request
 * split into parameters and input, the framing choice.
 *
 * Owns nothing between calls: each function reads its arguments and fills
 * the generation it is given. Never copies a URL (only the deployment
 * segment is read out of it). Background thread (and tests) only.
 */
#include "openai_private.h"

#include <string.h>
#include <strings.h>

#include "../shim/buf.h"
#include "../shim/mem.h"
#include "framing.h"

bool lt_openai_int(const cJSON *v, long long *out)
{
    if (!openai_is(v, cJSON_Number))
        return false;
    double d = v->valuedouble;
    if (!(d >= -9.0e15 && d <= 9.0e15))
        return false;
    *out = (long long)d;
    return true;
}

char *lt_openai_dup(const char *s, bool *oom)
{
    if (!s)
        return NULL;
    char *d = lt_generation_strdup_utf8(s, strlen(s));
    if (!d)
        *oom = true;
    return d;
}

char *lt_openai_steal(struct lt_buf *b, bool *oom)
{
    if (b->truncated) {
        *oom = true;
        lt_buf_free(b);
        return NULL;
    }
    return lt_buf_steal(b, NULL);
}

void lt_openai_meta(struct lt_generation *g, const char *key, const char *value, bool *oom)
{
    if (!value)
        return;
    char *v = lt_strdup(value);
    if (!v)
        *oom = true;
    else
        lt_generation_add_meta(g, key, v);
}

void lt_openai_pick_model(struct lt_generation *g, const char *deployment, bool *oom)
{
    const char *model = g->response_model ? g->response_model : g->request_model ? g->request_model : deployment;
    if (model && !g->model && !(g->model = lt_strdup(model)))
        *oom = true;
}

/* ---- usage ------------------------------------------------------------------ */

/* A negative count is no count (Langfuse refuses negative usage): absent. */
static void openai_count(struct openai_usage *u, enum openai_count k, const cJSON *v)
{
    long long n;
    if (lt_openai_int(v, &n) && n >= 0) {
        u->v[k] = n;
        u->has |= 1u << k;
    }
}

/* A usage object replaces the one before: the final report wins. */
void lt_openai_usage_read(struct openai_usage *u, const cJSON *obj, bool responses)
{
    const char *in = responses ? "input_tokens" : "prompt_tokens";
    const char *out = responses ? "output_tokens" : "completion_tokens";
    const char *in_d = responses ? "input_tokens_details" : "prompt_tokens_details";
    const char *out_d = responses ? "output_tokens_details" : "completion_tokens_details";
    memset(u, 0, sizeof *u);
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (openai_key(c, in))
            openai_count(u, OPENAI_PROMPT, c);
        else if (openai_key(c, out))
            openai_count(u, OPENAI_COMPLETION, c);
        else if (openai_key(c, "total_tokens"))
            openai_count(u, OPENAI_TOTAL, c);
        else if (!responses && openai_key(c, "prompt_cache_hit_tokens"))
            openai_count(u, OPENAI_CACHE_HIT, c);
        else if (openai_key(c, in_d)) {
            openai_count(u, OPENAI_CACHED, openai_child(c, "cached_tokens"));
            openai_count(u, OPENAI_AUDIO_IN, openai_child(c, "audio_tokens"));
        } else if (openai_key(c, out_d)) {
            openai_count(u, OPENAI_REASONING, openai_child(c, "reasoning_tokens"));
            openai_count(u, OPENAI_AUDIO_OUT, openai_child(c, "audio_tokens"));
        }
    }
}

void lt_openai_usage_details(const struct openai_usage *u, struct lt_generation *g)
{
#define OPENAI_HAS(k) (u->has & (1u << (k)))
    long long cached = 0, reasoning = 0;
    bool has_cached = false;
    if (OPENAI_HAS(OPENAI_CACHED)) {
        cached = u->v[OPENAI_CACHED];
        has_cached = true;
    } else if (OPENAI_HAS(OPENAI_CACHE_HIT)) { /* DeepSeek's own name */
        cached = u->v[OPENAI_CACHE_HIT];
        has_cached = true;
    }
    if (OPENAI_HAS(OPENAI_REASONING))
        reasoning = u->v[OPENAI_REASONING];
    long long audio_in = OPENAI_HAS(OPENAI_AUDIO_IN) && u->v[OPENAI_AUDIO_IN] > 0 ? u->v[OPENAI_AUDIO_IN] : 0;
    long long audio_out = OPENAI_HAS(OPENAI_AUDIO_OUT) && u->v[OPENAI_AUDIO_OUT] > 0 ? u->v[OPENAI_AUDIO_OUT] : 0;
    /* Langfuse prices each key on its own, so no token may be in two keys:
     * input excludes cache reads and audio, output excludes reasoning and
     * audio (DESIGN "Usage details"); audio goes to its own keys. */
    if (OPENAI_HAS(OPENAI_PROMPT)) {
        long long in = u->v[OPENAI_PROMPT] - cached - audio_in;
        lt_generation_set_usage(g, "input", in > 0 ? in : 0);
    }
    if (has_cached)
        lt_generation_set_usage(g, "input_cached_tokens", cached);
    if (OPENAI_HAS(OPENAI_COMPLETION)) {
        long long out = u->v[OPENAI_COMPLETION] - reasoning - audio_out;
        lt_generation_set_usage(g, "output", out > 0 ? out : 0);
    }
    if (OPENAI_HAS(OPENAI_REASONING))
        lt_generation_set_usage(g, "output_reasoning_tokens", reasoning);
    if (audio_in)
        lt_generation_set_usage(g, "input_audio_tokens", audio_in);
    if (audio_out)
        lt_generation_set_usage(g, "output_audio_tokens", audio_out);
    if (OPENAI_HAS(OPENAI_TOTAL))
        lt_generation_set_usage(g, "total", u->v[OPENAI_TOTAL]);
#undef OPENAI_HAS
}

/* ---- errors ---------------------------------------------------------------- */

void lt_openai_error_text(struct lt_generation *g, long status, const char *body, size_t n)
{
    char q[OPENAI_ERROR_QUOTE + 1];
    size_t o = 0, i = 0;
    for (; i < n && o < OPENAI_ERROR_QUOTE; i++) {
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
    if (o == 0 && status)
        lt_generation_set_status(g, LT_LEVEL_ERROR, "HTTP %ld", status);
    else if (o == 0)
        lt_generation_set_status(g, LT_LEVEL_ERROR, "error event in the response stream");
    else if (status >= 400)
        lt_generation_set_status(g, LT_LEVEL_ERROR, "HTTP %ld: %s", status, q);
    else
        lt_generation_set_status(g, LT_LEVEL_ERROR, "%s", q);
}

bool lt_openai_error_object(struct lt_generation *g, const cJSON *err)
{
    const char *msg = openai_str(err);
    if (!msg) {
        msg = openai_str(openai_child(err, "message"));
        if (!msg)
            msg = openai_str(openai_child(err, "error"));
    }
    if (msg && *msg) {
        lt_generation_set_status(g, LT_LEVEL_ERROR, "%s", msg);
        return true;
    }
    const char *code = openai_str(openai_child(err, "code"));
    const char *type = openai_str(openai_child(err, "type"));
    if (code || type) {
        lt_generation_set_status(g, LT_LEVEL_ERROR, "%s%s%s", type ? type : "", type && code ? ": " : "",
                                 code ? code : "");
        return true;
    }
    return false;
}

void lt_openai_http_error(struct lt_generation *g, long status, const cJSON *j, const char *body, size_t n)
{
    const cJSON *top = j;
    if (openai_is(top, cJSON_Array)) /* [{"error": ...}] */
        top = top->child;
    bool said = false;
    if (openai_is(top, cJSON_Object)) {
        const cJSON *err = openai_child(top, "error");
        if (err)
            said = lt_openai_error_object(g, err);
        if (!said)
            said = lt_openai_error_object(g, top); /* {"message": ...} */
        if (!said && openai_str(openai_child(top, "detail"))) {
            lt_generation_set_status(g, LT_LEVEL_ERROR, "%s", openai_str(openai_child(top, "detail")));
            said = true;
        }
    }
    if (!said)
        lt_openai_error_text(g, status, body, n);
}

/* ---- request --------------------------------------------------------------- */

char *lt_openai_deployment(const char *url, bool *oom)
{
    static const char seg[] = "/openai/deployments/";
    size_t sl = sizeof seg - 1;
    if (!url)
        return NULL;
    size_t end = strcspn(url, "?#");
    for (size_t i = 0; i + sl <= end; i++) {
        if (memcmp(url + i, seg, sl) != 0)
            continue;
        size_t s = i + sl, e = s;
        while (e < end && url[e] != '/')
            e++;
        if (e == s)
            return NULL;
        char *d = lt_generation_strdup_utf8(url + s, e - s);
        if (!d)
            *oom = true;
        return d;
    }
    return NULL;
}

const char *lt_openai_azure_deployment(const struct lt_generation *g, const char *url_deployment, bool azure)
{
    if (url_deployment)
        return url_deployment;
    return azure ? g->request_model : NULL;
}

int lt_openai_count_prompts(const cJSON *v)
{
    if (openai_is(v, cJSON_String))
        return 1;
    if (!openai_is(v, cJSON_Array))
        return -1;
    int n = 0;
    bool tokens = v->child != NULL;
    for (const cJSON *c = v->child; c; c = c->next) {
        n++;
        if (!openai_is(c, cJSON_Number))
            tokens = false;
    }
    return tokens ? 1 : n; /* [1, 2, 3] is one prompt as token ids */
}

static int openai_count_input(const cJSON *v, enum openai_count_mode mode)
{
    switch (mode) {
    case OPENAI_COUNT_ARRAY:
        return openai_is(v, cJSON_Array) ? lt_cj.GetArraySize(v) : -1;
    case OPENAI_COUNT_ITEMS:
        return openai_is(v, cJSON_String) ? 1 : openai_is(v, cJSON_Array) ? lt_cj.GetArraySize(v) : -1;
    case OPENAI_COUNT_PROMPTS:
        return lt_openai_count_prompts(v);
    }
    return -1;
}

/* Input keys any OpenAI API may carry: sixteen is far more than one has. */
#define OPENAI_INPUT_MAX 16

void lt_openai_read_request(const cJSON *j, const struct openai_request_shape *shape, struct lt_generation *g,
                            bool *oom)
{
    const cJSON *input[OPENAI_INPUT_MAX] = { 0 };
    size_t n_input = shape->n_input < OPENAI_INPUT_MAX ? shape->n_input : OPENAI_INPUT_MAX;
    struct lt_buf params;
    lt_buf_init(&params, 0);
    for (const cJSON *c = j->child; c; c = c->next) {
        if (!c->string)
            continue;
        if (openai_key(c, "model")) {
            if (!g->request_model && openai_str(c))
                g->request_model = lt_openai_dup(openai_str(c), oom);
            continue;
        }
        size_t k = 0;
        while (k < n_input && strcmp(c->string, shape->input_keys[k]) != 0)
            k++;
        if (k < n_input) {
            if (!input[k]) {
                input[k] = c;
                if (shape->count_key && openai_key(c, shape->count_key)) {
                    int n = openai_count_input(c, shape->count_mode);
                    if (n >= 0)
                        g->n_input_messages = n;
                }
            }
            continue;
        }
        if (openai_key(c, "stream") && openai_is(c, cJSON_True))
            g->stream = true;
        lt_buf_addc(&params, params.len ? ',' : '{');
        lt_buf_json_strz(&params, c->string);
        lt_buf_addc(&params, ':');
        lt_provider_json_write(&params, c);
    }
    if (params.len) {
        lt_buf_addc(&params, '}');
        g->params_json = lt_openai_steal(&params, oom);
    }
    lt_buf_free(&params);

    struct lt_buf in;
    lt_buf_init(&in, 0);
    for (size_t k = 0; k < n_input; k++) {
        if (!input[k])
            continue;
        lt_buf_addc(&in, in.len ? ',' : '{');
        lt_buf_json_strz(&in, shape->input_keys[k]);
        lt_buf_addc(&in, ':');
        lt_provider_json_write(&in, input[k]);
    }
    if (in.len) {
        lt_buf_addc(&in, '}');
        g->input_json = lt_openai_steal(&in, oom);
    }
    lt_buf_free(&in);
}

/* ---- response --------------------------------------------------------------- */

int lt_openai_framing(const char *content_type, int first, long status, bool stream_req)
{
    if (first == '{' || first == '[')
        return LT_FRAMING_NONE; /* a JSON document, whatever the header says */
    if (first < 0)
        return LT_FRAMING_NONE;
    if (content_type && strcasestr(content_type, "text/event-stream"))
        return LT_FRAMING_SSE;
    if (status >= 400)
        return LT_FRAMING_NONE; /* an error page, quoted whole */
    if (stream_req || first == 'd' || first == ':' || first == 'e' || first == 'i')
        return LT_FRAMING_SSE;
    return LT_FRAMING_NONE;
}

bool lt_openai_frame_data(const char **d, size_t *n)
{
    const char *p = *d;
    size_t k = *n;
    while (k && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
        p++;
        k--;
    }
    while (k && (p[k - 1] == ' ' || p[k - 1] == '\t' || p[k - 1] == '\n' || p[k - 1] == '\r'))
        k--;
    *d = p;
    *n = k;
    return k > 0;
}
