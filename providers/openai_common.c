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

/* ---- usage ------------------------------------------------------------------ */

/* A negative count is no count (Langfuse refuses negative usage): absent. */
static void openai_count(struct openai_usage *u, enum openai_count k, const cJSON *v)
{
    long long n;
    if (lt_pj_int(v, &n) && n >= 0) {
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
        if (lt_pj_key(c, in))
            openai_count(u, OPENAI_PROMPT, c);
        else if (lt_pj_key(c, out))
            openai_count(u, OPENAI_COMPLETION, c);
        else if (lt_pj_key(c, "total_tokens"))
            openai_count(u, OPENAI_TOTAL, c);
        else if (!responses && lt_pj_key(c, "prompt_cache_hit_tokens"))
            openai_count(u, OPENAI_CACHE_HIT, c);
        else if (lt_pj_key(c, in_d)) {
            openai_count(u, OPENAI_CACHED, lt_pj_child(c, "cached_tokens"));
            openai_count(u, OPENAI_AUDIO_IN, lt_pj_child(c, "audio_tokens"));
        } else if (lt_pj_key(c, out_d)) {
            openai_count(u, OPENAI_REASONING, lt_pj_child(c, "reasoning_tokens"));
            openai_count(u, OPENAI_AUDIO_OUT, lt_pj_child(c, "audio_tokens"));
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

bool lt_openai_error_object(struct lt_generation *g, const cJSON *err)
{
    const char *msg = lt_pj_str(err);
    if (!msg) {
        msg = lt_pj_str(lt_pj_child(err, "message"));
        if (!msg)
            msg = lt_pj_str(lt_pj_child(err, "error"));
    }
    if (msg && *msg) {
        lt_generation_set_status(g, LT_LEVEL_ERROR, "%s", msg);
        return true;
    }
    const char *code = lt_pj_str(lt_pj_child(err, "code"));
    const char *type = lt_pj_str(lt_pj_child(err, "type"));
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
    if (lt_pj_is(top, cJSON_Array)) /* [{"error": ...}] */
        top = top->child;
    bool said = false;
    if (lt_pj_is(top, cJSON_Object)) {
        const cJSON *err = lt_pj_child(top, "error");
        if (err)
            said = lt_openai_error_object(g, err);
        if (!said)
            said = lt_openai_error_object(g, top); /* {"message": ...} */
        if (!said && lt_pj_str(lt_pj_child(top, "detail"))) {
            lt_generation_set_status(g, LT_LEVEL_ERROR, "%s", lt_pj_str(lt_pj_child(top, "detail")));
            said = true;
        }
    }
    if (!said)
        lt_pj_error_text(g, status, body, n);
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
        return lt_pj_dupn(url + s, e - s, oom);
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
    if (lt_pj_is(v, cJSON_String))
        return 1;
    if (!lt_pj_is(v, cJSON_Array))
        return -1;
    int n = 0;
    bool tokens = v->child != NULL;
    for (const cJSON *c = v->child; c; c = c->next) {
        n++;
        if (!lt_pj_is(c, cJSON_Number))
            tokens = false;
    }
    return tokens ? 1 : n; /* [1, 2, 3] is one prompt as token ids */
}

static int openai_count_input(const cJSON *v, enum openai_count_mode mode)
{
    switch (mode) {
    case OPENAI_COUNT_ARRAY:
        return lt_pj_is(v, cJSON_Array) ? lt_cj.GetArraySize(v) : -1;
    case OPENAI_COUNT_ITEMS:
        return lt_pj_is(v, cJSON_String) ? 1 : lt_pj_is(v, cJSON_Array) ? lt_cj.GetArraySize(v) : -1;
    case OPENAI_COUNT_PROMPTS:
        return lt_openai_count_prompts(v);
    }
    return -1;
}

void lt_openai_read_request(const cJSON *j, const struct openai_request_shape *shape, struct lt_generation *g,
                            bool *oom)
{
    struct lt_pj_split sp;
    lt_pj_split(j, &shape->split, NULL, NULL, g, &sp, oom);
    if (sp.stream)
        g->stream = true;
    int n = shape->count < LT_PJ_INPUT_MAX ? openai_count_input(sp.input[shape->count], shape->count_mode) : -1;
    if (n >= 0)
        g->n_input_messages = n;
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
