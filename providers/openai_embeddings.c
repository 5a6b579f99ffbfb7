/* openai_embeddings.c — the OpenAI embeddings API (POST .../embeddings;
 * Azure /openai/deployments/{d}/embeddings and /openai/v1/embeddings; the
 * compatible servers, Ollama's legacy /api/embeddings too): request (model,
 * input, parameters), the answer read whole for its model, usage, and how
 * many vectors of what dimension came back.
 *
 * Never copies a vector: an answer can be megabytes of floats (or base64),
 * so it is read with the allocation-free jscan, which only counts them;
 * cJSON reads just the small usage and error members, and the whole answer
 * only when jscan refuses the text (jscan.h: what it accepts, cJSON reads
 * alike). Never copies the URL. Background thread (and tests);
 * lt_openai_embeddings_path on any thread.
 */
#include "openai.h"

#include <stdio.h>
#include <string.h>

#include "../shim/buf.h"
#include "../shim/json.h"
#include "../shim/mem.h"
#include "framing.h"
#include "generation.h"
#include "jscan.h"
#include "openai_private.h"

struct emb_call {
    char *deployment;   /* Azure /openai/deployments/{d}/ */
    bool azure;
    char *model;        /* the answer's */
    bool has_usage;
    struct openai_usage usage;
    long long vectors;  /* embeddings returned */
    long long dims;     /* the first one's dimension; 0 unknown */
    bool error;
    struct lt_buf scratch; /* jscan: an escaped string, decoded */
    bool oom;
};

bool lt_openai_embeddings_path(const char *path, size_t n)
{
    static const char tail[] = "/embeddings";
    size_t t = sizeof tail - 1;
    return n >= t && memcmp(path + n - t, tail, t) == 0;
}

/* ---- request ------------------------------------------------------------- */

/* What is embedded: `input` (Ollama's legacy endpoint says `prompt`). */
static const char *const emb_input_keys[] = { "input", "prompt" };
static const struct openai_request_shape emb_shape = {
    .split = { .input = emb_input_keys, .n_input = sizeof emb_input_keys / sizeof emb_input_keys[0] },
    .count = 0, /* input */
    .count_mode = OPENAI_COUNT_PROMPTS,
};

static void emb_free(void *state);

static enum lt_rc emb_request(const struct lt_parse_in *in, struct lt_generation *g, void **state)
{
    *state = NULL;
    cJSON *j = in->req && in->req_len ? lt_cj.ParseWithLength(in->req, in->req_len) : NULL;
    bool obj = lt_pj_is(j, cJSON_Object);
    const cJSON *input = lt_pj_child(j, "input");
    if (!input)
        input = lt_pj_child(j, "prompt");
    /* A host we do not know is an LLM only if the body says so. */
    if (!in->known_host && !(obj && lt_pj_str(lt_pj_child(j, "model")) && lt_openai_count_prompts(input) >= 0)) {
        if (j)
            lt_cj.Delete(j);
        return LT_ERR_SKIP;
    }
    struct emb_call *m = lt_calloc(1, sizeof *m);
    if (!m) {
        if (j)
            lt_cj.Delete(j);
        return LT_ERR_NOMEM;
    }
    lt_buf_init(&m->scratch, 0);
    if (obj) {
        lt_openai_read_request(j, &emb_shape, g, &m->oom);
        if (g->n_input_messages < 0 && input)
            g->n_input_messages = lt_openai_count_prompts(input);
    }
    if (j)
        lt_cj.Delete(j);
    m->deployment = lt_openai_deployment(in->url, &m->oom);
    m->azure = in->provider && strcmp(in->provider, "azure") == 0;
    if (m->oom) {
        emb_free(m);
        lt_generation_free(g);
        return LT_ERR_NOMEM;
    }
    *state = m;
    return LT_OK;
}

/* Embeddings are never streamed: whatever arrives is one document. */
static int emb_framing(void *state, const char *content_type, int first)
{
    (void)state;
    (void)content_type;
    (void)first;
    return LT_FRAMING_NONE;
}

static void emb_frame(void *state, struct lt_generation *g, const struct lt_frame *f)
{
    (void)state;
    (void)g;
    (void)f;
}

/* ---- response ------------------------------------------------------------- */

/* Floats in a base64 embedding (encoding_format "base64": little-endian
 * float32s): the decoded bytes / 4. */
static long long emb_b64_dims(size_t len, const char *s)
{
    while (len && s[len - 1] == '=')
        len--;
    return (long long)(len * 3 / 4 / 4);
}

/* What one reading found; both readers fill it the same way. */
struct emb_found {
    bool data;            /* a `data` array (the last one counts) */
    long long vectors, dims;
    bool single;          /* Ollama's top-level `embedding` */
    long long single_dims;
};

static void emb_vector(long long *vectors, long long *dims, long long d)
{
    if (*vectors == 0)
        *dims = d;
    (*vectors)++;
}

/* ---- the cJSON reading ---- */

/* An embedding value's dimension: -1 when it is no vector. */
static long long emb_cj_dims(const cJSON *v)
{
    if (lt_pj_is(v, cJSON_Array))
        return lt_cj.GetArraySize(v);
    if (lt_pj_str(v))
        return emb_b64_dims(strlen(v->valuestring), v->valuestring);
    return -1;
}

static void emb_cj_usage(struct emb_call *m, const cJSON *c)
{
    if (lt_pj_is(c, cJSON_Object)) { /* "usage": null says nothing */
        lt_openai_usage_read(&m->usage, c, false);
        m->has_usage = true;
    }
}

static void emb_cj_error(struct emb_call *m, struct lt_generation *g, const cJSON *c)
{
    if ((lt_pj_is(c, cJSON_Object) || lt_pj_is(c, cJSON_String)) && lt_openai_error_object(g, c))
        m->error = true;
}

static void emb_cj_member(struct emb_call *m, struct lt_generation *g, struct emb_found *f, const cJSON *c)
{
    if (lt_pj_key(c, "data") && lt_pj_is(c, cJSON_Array)) {
        f->data = true;
        f->vectors = f->dims = 0;
        for (const cJSON *el = c->child; el; el = el->next) {
            if (!lt_pj_is(el, cJSON_Object))
                continue;
            long long d = -1;
            for (const cJSON *k = el->child; k; k = k->next)
                if (lt_pj_key(k, "embedding") && emb_cj_dims(k) >= 0)
                    d = emb_cj_dims(k);
            if (d >= 0)
                emb_vector(&f->vectors, &f->dims, d);
        }
    } else if (lt_pj_key(c, "embedding") && emb_cj_dims(c) >= 0) {
        f->single = true;
        f->single_dims = emb_cj_dims(c);
    } else if (lt_pj_key(c, "model")) {
        lt_pj_keep_last(&m->model, lt_pj_str(c), &m->oom);
    } else if (lt_pj_key(c, "usage")) {
        emb_cj_usage(m, c);
    } else if (lt_pj_key(c, "error")) {
        emb_cj_error(m, g, c);
    }
}

/* ---- the jscan reading: the same, without a tree ----
 *
 * Pass one walks the whole text and notes what it found (struct emb_notes,
 * on the stack); only a document it accepts entirely is then applied, so a
 * refusal half-way leaves the call as it was for cJSON. */

struct emb_notes {
    struct emb_found f;
    struct lt_jscan_val model; /* the last non-empty model string */
    const char *usage;         /* the last usage object's text */
    size_t usage_n;
    const char *error;         /* the error member's text (one at most) */
    size_t error_n;
};

/* The value just read as v, if it is a vector: its dimension (-1: none).
 * false when the text is refused. */
static bool emb_js_dims(struct emb_call *m, struct lt_jscan *s, const struct lt_jscan_val *v, long long *dims)
{
    *dims = -1;
    if (v->kind == LT_JSCAN_ARRAY) {
        long long n = 0;
        struct lt_jscan_val e;
        while (lt_jscan_element(s)) {
            if (lt_jscan_value(s, &e) == LT_JSCAN_NONE || !lt_jscan_skip(s, &e))
                return false;
            n++;
        }
        if (s->bad)
            return false;
        *dims = n;
        return true;
    }
    if (v->kind == LT_JSCAN_STRING) {
        if (!v->esc) {
            *dims = emb_b64_dims(v->n, v->p);
            return true;
        }
        lt_buf_reset(&m->scratch); /* "\/" in base64, from an encoder that escapes slashes */
        if (lt_jscan_str(v, &m->scratch) != LT_OK) {
            m->oom = true;
            return false;
        }
        *dims = emb_b64_dims(m->scratch.len, m->scratch.data ? m->scratch.data : "");
        return true;
    }
    return lt_jscan_skip(s, v);
}

static bool emb_js_data(struct emb_call *m, struct emb_found *f, struct lt_jscan *s)
{
    struct lt_jscan_val v, k;
    f->data = true;
    f->vectors = f->dims = 0;
    while (lt_jscan_element(s)) {
        if (lt_jscan_value(s, &v) != LT_JSCAN_OBJECT) {
            if (!lt_jscan_skip(s, &v))
                return false;
            continue;
        }
        long long d = -1;
        while (lt_jscan_member(s, &k)) {
            if (k.esc)
                return false; /* an escaped key: cJSON compares it decoded */
            if (lt_jscan_value(s, &v) == LT_JSCAN_NONE)
                return false;
            if (LT_JSCAN_IS(&k, "embedding")) {
                long long x;
                if (!emb_js_dims(m, s, &v, &x))
                    return false;
                if (x >= 0)
                    d = x;
            } else if (!lt_jscan_skip(s, &v)) {
                return false;
            }
        }
        if (s->bad)
            return false;
        if (d >= 0)
            emb_vector(&f->vectors, &f->dims, d);
    }
    return !s->bad;
}

/* Pass one: true with *nt filled when jscan reads the whole document. */
static bool emb_js_scan(struct emb_call *m, struct emb_notes *nt, const char *d, size_t n)
{
    struct lt_jscan s;
    struct lt_jscan_val v, k;
    memset(nt, 0, sizeof *nt);
    lt_jscan_init(&s, d, n);
    if (lt_jscan_value(&s, &v) != LT_JSCAN_OBJECT)
        return false;
    while (lt_jscan_member(&s, &k)) {
        if (k.esc)
            return false;
        const char *start = s.p;
        if (lt_jscan_value(&s, &v) == LT_JSCAN_NONE)
            return false;
        bool ok = true;
        if (LT_JSCAN_IS(&k, "data") && v.kind == LT_JSCAN_ARRAY) {
            ok = emb_js_data(m, &nt->f, &s);
        } else if (LT_JSCAN_IS(&k, "embedding")) {
            long long x;
            ok = emb_js_dims(m, &s, &v, &x);
            if (ok && x >= 0) {
                nt->f.single = true;
                nt->f.single_dims = x;
            }
        } else {
            ok = lt_jscan_skip(&s, &v);
            if (ok && LT_JSCAN_IS(&k, "model") && v.kind == LT_JSCAN_STRING && v.n) {
                nt->model = v;
            } else if (ok && LT_JSCAN_IS(&k, "usage") && v.kind == LT_JSCAN_OBJECT) {
                nt->usage = start;
                nt->usage_n = (size_t)(s.p - start);
            } else if (ok && LT_JSCAN_IS(&k, "error") && (v.kind == LT_JSCAN_OBJECT || v.kind == LT_JSCAN_STRING)) {
                if (nt->error)
                    return false; /* which one speaks is cJSON's to say */
                nt->error = start;
                nt->error_n = (size_t)(s.p - start);
            }
        }
        if (!ok)
            return false;
    }
    return lt_jscan_end(&s);
}

/* Pass two: the notes applied, as emb_cj_member would have. The usage and
 * error members are small: cJSON reads each from its own bytes, so both
 * readings see the same tree. */
static void emb_js_apply(struct emb_call *m, struct lt_generation *g, const struct emb_notes *nt)
{
    if (nt->model.kind == LT_JSCAN_STRING) {
        if (!nt->model.esc) {
            lt_pj_keep_lastn(&m->model, nt->model.p, nt->model.n, &m->oom);
        } else {
            lt_buf_reset(&m->scratch);
            if (lt_jscan_str(&nt->model, &m->scratch) != LT_OK)
                m->oom = true;
            else
                lt_pj_keep_lastn(&m->model, m->scratch.data ? m->scratch.data : "", m->scratch.len, &m->oom);
        }
    }
    const char *const spans[2] = { nt->usage, nt->error };
    const size_t lens[2] = { nt->usage_n, nt->error_n };
    for (int i = 0; i < 2; i++) {
        if (!spans[i])
            continue;
        cJSON *v = lt_cj.ParseWithLength(spans[i], lens[i]);
        if (!v)
            m->oom = true; /* jscan accepted it: only memory can refuse it */
        else if (i == 0)
            emb_cj_usage(m, v);
        else
            emb_cj_error(m, g, v);
        if (v)
            lt_cj.Delete(v);
    }
}

static void emb_whole(struct emb_call *m, const struct lt_parse_end *e, struct lt_generation *g)
{
    struct emb_found f = { 0 };
    struct emb_notes nt;
    if (e->http_status < 400 && e->body_len && lt_jscan_fastpath() && emb_js_scan(m, &nt, e->body, e->body_len)) {
        emb_js_apply(m, g, &nt);
        f = nt.f;
    } else {
        cJSON *j = e->body_len ? lt_cj.ParseWithLength(e->body, e->body_len) : NULL;
        if (e->http_status >= 400) {
            lt_openai_http_error(g, e->http_status, j, e->body, e->body_len);
            m->error = true;
        } else if (lt_pj_is(j, cJSON_Object)) {
            for (const cJSON *c = j->child; c; c = c->next)
                emb_cj_member(m, g, &f, c);
        } else if (e->complete && e->http_status != 0) {
            if (e->body_truncated)
                LT_PJ_WARN(g, "response body passed its cap and was cut (%llu bytes)", e->bytes);
            else if (e->body_len == 0)
                LT_PJ_WARN(g, "response body is empty (%llu bytes)", e->bytes);
            else if (j)
                LT_PJ_WARN(g, "response is JSON but not an embeddings list (%llu bytes)", e->bytes);
            else
                LT_PJ_WARN(g, "response is not JSON (%llu bytes)", e->bytes);
            m->error = true; /* said */
        }
        if (j)
            lt_cj.Delete(j);
    }
    if (f.data) {
        m->vectors = f.vectors;
        m->dims = f.dims;
    } else if (f.single) {
        m->vectors = 1;
        m->dims = f.single_dims;
    }
    if (!m->error && m->vectors == 0 && e->complete && e->http_status != 0)
        LT_PJ_WARN(g, "response has no embeddings (%llu bytes)", e->bytes);
}

static enum lt_rc emb_end(void *state, const struct lt_parse_end *e, struct lt_generation *g)
{
    struct emb_call *m = state;
    if (e->framed) /* cannot happen: emb_framing never frames */
        LT_PJ_WARN(g, "embeddings answer was framed (%llu bytes)", e->bytes);
    else
        emb_whole(m, e, g);
    g->response_model = m->model;
    m->model = NULL;
    lt_pj_pick_model(g, m->deployment, &m->oom);
    lt_pj_meta(g, "azure_deployment", lt_openai_azure_deployment(g, m->deployment, m->azure), &m->oom);
    g->n_embeddings = m->vectors > 0x7fffffff ? 0x7fffffff : (int)m->vectors;
    if (m->vectors > 0) {
        /* a summary in place of the vectors, which are never copied */
        char out[96];
        if (m->dims > 0)
            snprintf(out, sizeof out, "{\"embeddings\":%lld,\"dimensions\":%lld}", m->vectors, m->dims);
        else
            snprintf(out, sizeof out, "{\"embeddings\":%lld}", m->vectors);
        if (!(g->output_json = lt_strdup(out)))
            m->oom = true;
    }
    if (m->has_usage)
        lt_openai_usage_details(&m->usage, g);
    return m->oom ? LT_ERR_NOMEM : LT_OK;
}

static void emb_free(void *state)
{
    struct emb_call *m = state;
    if (!m)
        return;
    lt_free(m->deployment);
    lt_free(m->model);
    lt_buf_free(&m->scratch);
    lt_free(m);
}

const struct lt_api_ops lt_openai_embeddings_ops = {
    .name = "openai.embeddings",
    .operation = "embeddings",
    .obs_type = "embedding",
    .compat_provider = "openai-compatible",
    .confirm = { "model", "input" },
    .match_path = lt_openai_embeddings_path,
    .request = emb_request,
    .framing = emb_framing,
    .frame = emb_frame,
    .end = emb_end,
    .free = emb_free,
};
