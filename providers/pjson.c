/* pjson.c — the JSON reading and writing every provider module shares
 * (pjson.h): copies and appends with an oom flag, objects built member by
 * member, the request split, error-body quotes, percent-decoding.
 *
 * Owns nothing between calls and knows no wire format: the keys it looks at
 * ("model", "stream") are the ones every API names alike; everything else a
 * module passes in. Background thread (and tests) only.
 */
#include "pjson.h"

#include <stdio.h>
#include <string.h>

#include "../shim/buf.h"
#include "../shim/mem.h"
#include "provider.h"

bool lt_pj_int(const cJSON *v, long long *out)
{
    if (!lt_pj_is(v, cJSON_Number))
        return false;
    double d = v->valuedouble;
    if (!(d >= -9.0e15 && d <= 9.0e15))
        return false;
    *out = (long long)d;
    return true;
}

bool lt_pj_count(const cJSON *v, long long *out)
{
    if (!lt_pj_is(v, cJSON_Number))
        return false;
    double d = v->valuedouble;
    if (!(d >= 0 && d <= 9.0e15))
        return false;
    *out = (long long)d;
    return true;
}

/* ---- copies and appends -------------------------------------------------------- */

void *lt_pj_room(void *arr, int n, int *cap, size_t size, int first, bool *oom)
{
    if (n < *cap)
        return arr;
    int c = *cap ? *cap * 2 : first;
    void *grown = lt_realloc(arr, (size_t)c * size);
    if (!grown) {
        *oom = true;
        return NULL;
    }
    *cap = c;
    return grown;
}

char *lt_pj_dupn(const char *s, size_t n, bool *oom)
{
    char *d = lt_generation_strdup_utf8(s, n);
    if (!d)
        *oom = true;
    return d;
}

char *lt_pj_dup(const char *s, bool *oom)
{
    return s ? lt_pj_dupn(s, strlen(s), oom) : NULL;
}

char *lt_pj_text(const struct lt_buf *b, bool *oom)
{
    return lt_pj_dupn(b->data ? b->data : "", b->len, oom);
}

void lt_pj_keep_first(char **slot, const char *s, bool *oom)
{
    if (!*slot && s && *s)
        *slot = lt_pj_dup(s, oom);
}

void lt_pj_keep_lastn(char **slot, const char *s, size_t n, bool *oom)
{
    if (!s || !n || (*slot && strlen(*slot) == n && memcmp(*slot, s, n) == 0))
        return;
    lt_free(*slot);
    *slot = lt_pj_dupn(s, n, oom);
}

void lt_pj_keep_last(char **slot, const char *s, bool *oom)
{
    lt_pj_keep_lastn(slot, s, s ? strlen(s) : 0, oom);
}

void lt_pj_append(struct lt_buf *b, const char *s, size_t n, bool *oom)
{
    if (lt_buf_add(b, s, n) != LT_OK && b->oom)
        *oom = true;
}

void lt_pj_appends(struct lt_buf *b, const char *s, bool *oom)
{
    if (s)
        lt_pj_append(b, s, strlen(s), oom);
}

void lt_pj_append_json(struct lt_buf *b, const cJSON *v, bool *oom)
{
    if (lt_provider_json_write(b, v) != LT_OK && b->oom)
        *oom = true;
}

char *lt_pj_steal(struct lt_buf *b, bool *oom)
{
    if (b->truncated) {
        *oom = true;
        lt_buf_free(b);
        return NULL;
    }
    return lt_buf_steal(b, NULL);
}

/* ---- the generation ------------------------------------------------------------ */

void lt_pj_meta(struct lt_generation *g, const char *key, const char *value, bool *oom)
{
    if (!value)
        return;
    char *v = lt_strdup(value);
    if (!v)
        *oom = true;
    else
        lt_generation_add_meta(g, key, v);
}

void lt_pj_meta_num(struct lt_generation *g, const char *key, long long n, bool *oom)
{
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%lld", n);
    lt_pj_meta(g, key, tmp, oom);
}

void lt_pj_pick_model(struct lt_generation *g, const char *fallback, bool *oom)
{
    /* an empty name is no name: the next source decides */
    const char *model = g->response_model && *g->response_model ? g->response_model
                        : g->request_model && *g->request_model ? g->request_model
                                                                : fallback;
    if (model && *model && !g->model && !(g->model = lt_strdup(model)))
        *oom = true;
}

static bool pj_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool lt_pj_trim(const char **d, size_t *n)
{
    const char *p = *d;
    size_t k = *n;
    while (k && pj_space(*p)) {
        p++;
        k--;
    }
    while (k && pj_space(p[k - 1]))
        k--;
    *d = p;
    *n = k;
    return k > 0;
}

/* ---- objects --------------------------------------------------------------------- */

void lt_pj_member(struct lt_buf *b, const char *key, const cJSON *v)
{
    if (lt_provider_secret_name(key))
        return; /* a client-side api_key among the parameters: never exported */
    lt_buf_addc(b, b->len ? ',' : '{');
    lt_buf_json_strz(b, key);
    lt_buf_addc(b, ':');
    lt_provider_json_write(b, v);
}

void lt_pj_flatten(struct lt_buf *b, const cJSON *v)
{
    if (!lt_pj_is(v, cJSON_Object)) {
        lt_pj_member(b, v->string, v);
        return;
    }
    for (const cJSON *m = v->child; m; m = m->next)
        if (m->string)
            lt_pj_member(b, m->string, m);
}

char *lt_pj_close(struct lt_buf *b, bool *oom)
{
    char *s = NULL;
    if (b->len) {
        lt_buf_addc(b, '}');
        s = lt_pj_steal(b, oom);
    }
    lt_buf_free(b);
    return s;
}

char *lt_pj_object(const char *const *keys, const cJSON *const *values, size_t n, bool *oom)
{
    struct lt_buf b;
    lt_buf_init(&b, 0);
    for (size_t k = 0; k < n; k++)
        if (values[k])
            lt_pj_member(&b, keys[k], values[k]);
    return lt_pj_close(&b, oom);
}

/* ---- the request split ------------------------------------------------------------ */

static bool pj_listed(const char *k, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(k, list[i]) == 0)
            return true;
    return false;
}

static void pj_model(const struct lt_pj_shape *s, const cJSON *c, struct lt_generation *g, bool *oom)
{
    const char *m = lt_pj_str(c);
    if (g->request_model || !m)
        return;
    if (s->model_prefix && strncmp(m, s->model_prefix, strlen(s->model_prefix)) == 0)
        m += strlen(s->model_prefix);
    if (s->model_nonempty && !*m)
        return;
    g->request_model = lt_pj_dup(m, oom);
}

void lt_pj_split(const cJSON *j, const struct lt_pj_shape *shape, struct lt_buf *params, const cJSON *skip,
                 struct lt_generation *g, struct lt_pj_split *out, bool *oom)
{
    size_t n_input = shape->n_input < LT_PJ_INPUT_MAX ? shape->n_input : LT_PJ_INPUT_MAX;
    struct lt_buf own;
    if (!params) {
        lt_buf_init(&own, 0);
        params = &own;
    }
    memset(out, 0, sizeof *out);
    for (const cJSON *c = j->child; c; c = c->next) {
        if (!c->string || c == skip)
            continue;
        if (lt_pj_key(c, "model")) {
            pj_model(shape, c, g, oom);
            continue;
        }
        size_t k = 0;
        while (k < n_input && !lt_pj_key(c, shape->input[k]) &&
               !(shape->input_alt && shape->input_alt[k] && lt_pj_key(c, shape->input_alt[k])))
            k++;
        if (k < n_input) {
            if (!out->input[k])
                out->input[k] = c;
            continue;
        }
        if (pj_listed(c->string, shape->drop, shape->n_drop) ||
            (shape->keep && !pj_listed(c->string, shape->keep, shape->n_keep)))
            continue;
        if (lt_pj_key(c, "stream")) {
            out->stream = out->stream || lt_pj_is(c, cJSON_True);
            out->no_stream = out->no_stream || lt_pj_is(c, cJSON_False);
        }
        lt_pj_member(params, c->string, c);
    }
    g->params_json = lt_pj_close(params, oom);
    g->input_json = lt_pj_object(shape->input, out->input, n_input, oom);
}

/* ---- error bodies ------------------------------------------------------------------ */

size_t lt_pj_quote(char q[LT_PJ_QUOTE + 1], const char *body, size_t n)
{
    size_t o = 0, i = 0;
    for (; i < n && o < LT_PJ_QUOTE; i++) {
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
    return o;
}

void lt_pj_error_text(struct lt_generation *g, long status, const char *body, size_t n)
{
    char q[LT_PJ_QUOTE + 1];
    size_t o = lt_pj_quote(q, body, n);
    if (status >= 400 && o)
        lt_generation_set_status(g, LT_LEVEL_ERROR, "HTTP %ld: %s", status, q);
    else if (status >= 400)
        lt_generation_set_status(g, LT_LEVEL_ERROR, "HTTP %ld", status);
    else if (o)
        lt_generation_set_status(g, LT_LEVEL_ERROR, "%s", q);
    else
        lt_generation_set_status(g, LT_LEVEL_ERROR, "error event in the response stream");
}

/* ---- URLs ---------------------------------------------------------------------------- */

static int pj_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *lt_pj_percent_decode(const char *s, size_t n, bool *oom)
{
    char *tmp = lt_malloc(n + 1);
    if (!tmp) {
        *oom = true;
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int h, l;
        if (s[i] == '%' && i + 2 < n && (h = pj_hex(s[i + 1])) >= 0 && (l = pj_hex(s[i + 2])) >= 0) {
            tmp[o++] = (char)(h << 4 | l);
            i += 2;
        } else {
            tmp[o++] = s[i];
        }
    }
    char *d = lt_pj_dupn(tmp, o, oom);
    lt_free(tmp);
    return d;
}
