/* gen.c — the provider tests' shared scaffolding (see gen.h): runs
 * exchanges through the public parser API only, loads the recorded
 * fixtures, compares generations. Never reaches into a module. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "gen.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../shim/mem.h"
#include "tap.h"

/* ---- one inline exchange ---------------------------------------------------- */

enum lt_rc gen_run(const struct gen_x *x, struct lt_generation *g)
{
    struct lt_match m = { 0 };
    memset(g, 0, sizeof *g);
    CHECKF(lt_provider_match_url(x->url, &m), "%s does not match", x->url);
    if (x->api != LT_API_NONE)
        CHECKF(m.api == x->api, "%s: matched api %d, want %d", x->url, (int)m.api, (int)x->api);
    struct lt_parse_in in = {
        .api = m.api,
        .provider = m.provider,
        .known_host = m.known_host,
        .url = x->url,
        .req = x->req,
        .req_len = x->req ? (x->req_len ? x->req_len : strlen(x->req)) : 0,
        .http_status = x->status,
        .content_type = x->ct,
    };
    struct lt_parser *p = NULL;
    enum lt_rc rc = lt_parser_new(&in, &p);
    if (rc != LT_OK)
        return rc;
    const char *body = x->body;
    size_t n = body ? (x->body_len ? x->body_len : strlen(body)) : 0;
    if (x->step == GEN_THIRDS) {
        size_t a = n / 3, b = 2 * n / 3;
        lt_parser_feed(p, body, a);
        lt_parser_feed(p, body + a, b - a);
        lt_parser_feed(p, body + b, n - b);
    } else {
        for (size_t i = 0; i < n;) {
            size_t k = x->step ? x->step : n - i;
            if (k > n - i)
                k = n - i;
            lt_parser_feed(p, body + i, k);
            i += k;
        }
    }
    rc = lt_parser_finish(p, !x->incomplete, g);
    lt_parser_free(p);
    return rc;
}

void gen_survive_failed_allocations_of(enum lt_rc (*run)(const void *ctx, struct lt_generation *g), const void *ctx,
                                       const char *name)
{
    struct lt_generation g;
    lt_mem_fail_at(0);
    uint64_t before = lt_mem_count();
    enum lt_rc rc = run(ctx, &g);
    CHECKF(rc == LT_OK, "%s: rc %d without a failed allocation", name, (int)rc);
    uint64_t total = lt_mem_count() - before;
    lt_generation_free(&g);
    for (uint64_t n = 1; n <= total + 2; n++) {
        lt_mem_fail_at(n);
        rc = run(ctx, &g);
        lt_mem_fail_at(0);
        CHECKF(rc == LT_OK || rc == LT_ERR_NOMEM, "%s: allocation %llu: rc %d", name, (unsigned long long)n, (int)rc);
        lt_generation_free(&g);
        CHECKF(lt_mem_live_bytes() == 0, "%s: allocation %llu failed: %lld bytes leaked", name, (unsigned long long)n,
               (long long)lt_mem_live_bytes());
    }
}

static enum lt_rc gen_run_ctx(const void *x, struct lt_generation *g)
{
    return gen_run(x, g);
}

void gen_survive_failed_allocations(const struct gen_x *x, const char *name)
{
    gen_survive_failed_allocations_of(gen_run_ctx, x, name);
}

/* ---- a generation's values ---------------------------------------------------- */

bool gen_str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

const char *gen_meta(const struct lt_generation *g, const char *key)
{
    for (int i = 0; i < g->n_meta; i++)
        if (!strcmp(g->meta[i].key, key))
            return g->meta[i].value;
    return NULL;
}

long long gen_usage(const struct lt_generation *g, const char *key)
{
    long long v = -1;
    lt_generation_get_usage(g, key, &v);
    return v;
}

void gen_usage_is(const struct lt_generation *g, const char *spec)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    int n = 0;
    for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save), n++) {
        char *eq = strchr(kv, '=');
        CHECKF(eq, "usage spec \"%s\": no '=' in %s", spec, kv);
        *eq = '\0';
        long long v = -1;
        CHECKF(lt_generation_get_usage(g, kv, &v), "usage %s missing", kv);
        CHECKF(v == atoll(eq + 1), "usage %s = %lld, want %s", kv, v, eq + 1);
    }
    CHECKF(g->n_usage == n, "%d usage keys, want %d (%s)", g->n_usage, n, spec);
    CHECKF(g->has_usage == (n > 0), "has_usage %d with %d usage keys", (int)g->has_usage, n);
}

static const char *gen_show(const char *s)
{
    return s ? s : "(null)";
}

void gen_status_is(const struct lt_generation *g, enum lt_level level, const char *want, const char *fmt, ...)
{
    char name[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    CHECKF(g->level == level, "%s: level %d, want %d (status \"%s\")", name, (int)g->level, (int)level,
           gen_show(g->status_message));
    if (want)
        CHECKF(g->status_message && strstr(g->status_message, want), "%s: status \"%s\", want \"%s\" in it", name,
               gen_show(g->status_message), want);
    else
        CHECKF(!g->status_message, "%s: status \"%s\", want none", name, g->status_message);
}

bool gen_differ(const struct lt_generation *a, const struct lt_generation *b, unsigned what, char *why, size_t n)
{
#define GEN_SAME(f)                                                                                                   \
    if (!gen_str_eq(a->f, b->f)) {                                                                                    \
        snprintf(why, n, #f " \"%.300s\" vs \"%.300s\"", gen_show(a->f), gen_show(b->f));                            \
        return true;                                                                                                  \
    }
#define GEN_SAME_INT(f)                                                                                               \
    if (a->f != b->f) {                                                                                               \
        snprintf(why, n, #f " %lld vs %lld", (long long)a->f, (long long)b->f);                                       \
        return true;                                                                                                  \
    }
    if (what & GEN_REQUEST) {
        GEN_SAME(provider);
        GEN_SAME(operation);
        GEN_SAME(obs_type);
        GEN_SAME(model);
        GEN_SAME(request_model);
        GEN_SAME(params_json);
        GEN_SAME(input_json);
        GEN_SAME_INT(stream);
        GEN_SAME_INT(n_input_messages);
        GEN_SAME_INT(n_meta);
        for (int i = 0; i < a->n_meta; i++) {
            GEN_SAME(meta[i].key);
            GEN_SAME(meta[i].value);
        }
    }
    if (what & GEN_RESPONSE) {
        GEN_SAME(response_model);
        GEN_SAME(output_json);
        GEN_SAME(output_text);
        GEN_SAME(reasoning_text);
        GEN_SAME(finish_reason);
        GEN_SAME(response_id);
        GEN_SAME(status_message);
        GEN_SAME_INT(level);
        GEN_SAME_INT(n_embeddings);
        GEN_SAME_INT(has_usage);
        GEN_SAME_INT(n_tool_calls);
        for (int i = 0; i < a->n_tool_calls; i++) {
            GEN_SAME(tool_calls[i].id);
            GEN_SAME(tool_calls[i].name);
            GEN_SAME(tool_calls[i].arguments);
        }
        GEN_SAME_INT(n_usage);
        for (int i = 0; i < a->n_usage; i++) {
            GEN_SAME(usage[i].key);
            GEN_SAME_INT(usage[i].value);
        }
    }
#undef GEN_SAME
#undef GEN_SAME_INT
    return false;
}

void gen_check_same(const char *name, const char *how, const struct lt_generation *a, const struct lt_generation *b)
{
    char why[800];
    if (gen_differ(a, b, GEN_ALL, why, sizeof why))
        tap_fail(__FILE__, __LINE__, "%s %s: %s", name, how, why);
}

/* ---- small JSON helpers ----------------------------------------------------------- */

const cJSON *gen_jget(const cJSON *o, const char *k)
{
    return lt_json_get(o, k);
}

bool gen_jis(const cJSON *v, int type)
{
    return v && (v->type & 0xFF) == type;
}

bool gen_jequal(const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return a == b;
    int ta = a->type & 0xFF, tb = b->type & 0xFF;
    if (ta != tb)
        return false;
    switch (ta) {
    case cJSON_Number:
        return a->valuedouble == b->valuedouble;
    case cJSON_String:
        return strcmp(a->valuestring, b->valuestring) == 0;
    case cJSON_Array: {
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if (!gen_jequal(x, y))
                return false;
        return !x && !y;
    }
    case cJSON_Object: {
        int na = 0, nb = 0;
        for (const cJSON *x = a->child; x; x = x->next) {
            na++;
            if (!gen_jequal(x, gen_jget(b, x->string)))
                return false;
        }
        for (const cJSON *y = b->child; y; y = y->next)
            nb++;
        return na == nb;
    }
    default:
        return true;
    }
}

cJSON *gen_jparse(const char *s)
{
    return s ? lt_cj.ParseWithLength(s, strlen(s)) : NULL;
}

/* ---- recorded exchanges --------------------------------------------------------- */

static char *gen_read_in(const char *dir, const char *file, size_t *len)
{
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return tap_read_file(path, len);
}

static void gen_fx_load(struct gen_fxset *s, const char *dir, const char *name, bool own)
{
    size_t n;
    char *m = gen_read_in(dir, "meta.json", &n);
    CHECKF(m, "%s: no meta.json", dir);
    cJSON *meta = lt_cj.ParseWithLength(m, n);
    free(m);
    CHECKF(meta, "%s: meta.json is not JSON", dir);
    const char *url = lt_json_str(meta, "url");
    const char *prov = lt_json_str(meta, "provider");
    const char *api = lt_json_str(meta, "api");
    if (s->keep && !s->keep(name, api)) {
        lt_cj.Delete(meta);
        return;
    }
    CHECKF(s->n < s->max, "more than %d cases", s->max);
    struct gen_fx *c = &s->c[s->n++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->own = own;
    CHECKF(url && prov && api, "%s: meta lacks url/provider/api", name);
    if (s->key)
        snprintf(c->url, sizeof c->url, "%s%skey=%s", url, strchr(url, '?') ? "&" : "?", s->key);
    else
        snprintf(c->url, sizeof c->url, "%s", url);
    snprintf(c->provider, sizeof c->provider, "%s", prov);
    snprintf(c->api, sizeof c->api, "%s", api);
    const char *ct = lt_json_str(meta, "content_type");
    if (ct) {
        snprintf(c->content_type, sizeof c->content_type, "%s", ct);
        c->has_content_type = true;
    }
    long long st = 0;
    CHECKF(lt_json_int(meta, "status", &st) == LT_OK, "%s: no status", name);
    c->status = (long)st;
    c->complete = !gen_jis(gen_jget(meta, "complete"), cJSON_False);
    lt_cj.Delete(meta);
    c->req = gen_read_in(dir, "request.json", &c->req_len);
    c->body = gen_read_in(dir, "response.body", &c->body_len);
    char *e = gen_read_in(dir, "expected.json", &n);
    CHECKF(c->req && c->body && e, "%s: a file is missing", name);
    c->exp = lt_cj.ParseWithLength(e, n);
    free(e);
    CHECKF(c->exp, "%s: expected.json is not JSON", name);
    if (own)
        s->n_own++;
    else
        s->n_shared++;
}

static int gen_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void gen_fx_scan(struct gen_fxset *s, const char *root, const char *prefix, int depth, bool own, const char *skip)
{
    DIR *d = opendir(root);
    if (!d)
        return;
    char *names[512];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 512)
        if (e->d_name[0] != '.' && !(skip && strcmp(e->d_name, skip) == 0))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], gen_name_cmp);
    for (int i = 0; i < n; i++) {
        char path[1024], name[256], meta[1100];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", root, names[i]);
        snprintf(name, sizeof name, "%s%s", prefix, names[i]);
        snprintf(meta, sizeof meta, "%s/meta.json", path);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (stat(meta, &st) == 0)
                gen_fx_load(s, path, name, own);
            else if (depth > 1) {
                char sub[300];
                snprintf(sub, sizeof sub, "%s/", name);
                gen_fx_scan(s, path, sub, depth - 1, own, NULL);
            }
        }
        free(names[i]);
    }
}

void gen_fx_free(struct gen_fxset *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->c[i].req);
        free(s->c[i].body);
        lt_cj.Delete(s->c[i].exp);
    }
    s->n = s->n_shared = s->n_own = 0;
}

const struct gen_fx *gen_fx_find(const struct gen_fxset *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->c[i].name, name))
            return &s->c[i];
    tap_fail(__FILE__, __LINE__, "%s missing", name);
}

bool gen_fx_skip(const struct gen_fx *c)
{
    return gen_jis(gen_jget(c->exp, "skip"), cJSON_True);
}

/* The wire format each recorded "api" is read as. */
static const struct {
    const char *name;
    enum lt_api api;
} gen_apis[] = {
    { "openai.chat", LT_API_OPENAI_CHAT },
    { "openai.responses", LT_API_OPENAI_RESPONSES },
    { "openai.completions", LT_API_OPENAI_COMPLETIONS },
    { "openai.embeddings", LT_API_OPENAI_EMBEDDINGS },
    { "anthropic.messages", LT_API_ANTHROPIC_MESSAGES },
    { "anthropic.complete", LT_API_ANTHROPIC_COMPLETE },
    { "gemini.generateContent", LT_API_GEMINI },
    { "gemini.streamGenerateContent", LT_API_GEMINI },
    { "bedrock.converse", LT_API_BEDROCK_CONVERSE },
    { "bedrock.converseStream", LT_API_BEDROCK_CONVERSE },
    { "bedrock.invokeModel", LT_API_BEDROCK_INVOKE },
    { "cohere.chat.v2", LT_API_COHERE_CHAT },
    { "ollama.chat", LT_API_OLLAMA_CHAT },
    { "ollama.generate", LT_API_OLLAMA_GENERATE },
};

static uint64_t gen_rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

enum lt_rc gen_fx_run(const struct gen_fx *c, enum gen_plan plan, size_t arg, struct lt_generation *g)
{
    struct lt_match m = { 0 };
    memset(g, 0, sizeof *g);
    CHECKF(lt_provider_match_url(c->url, &m), "%s: URL does not match", c->name);
    CHECKF(strcmp(m.provider, c->provider) == 0, "%s: provider %s, want %s", c->name, m.provider, c->provider);
    enum lt_api want = LT_API_NONE;
    for (size_t i = 0; i < TAP_N(gen_apis); i++)
        if (strcmp(gen_apis[i].name, c->api) == 0)
            want = gen_apis[i].api;
    CHECKF(want != LT_API_NONE, "%s: unknown api %s", c->name, c->api);
    CHECKF(m.api == want, "%s: matched api %d, want %s", c->name, (int)m.api, c->api);
    struct lt_parse_in in = {
        .api = m.api,
        .provider = m.provider,
        .known_host = m.known_host,
        .url = c->url,
        .req = c->req,
        .req_len = c->req_len,
        .http_status = c->status,
        .content_type = c->has_content_type ? c->content_type : NULL,
    };
    struct lt_parser *p = NULL;
    enum lt_rc rc = lt_parser_new(&in, &p);
    if (rc != LT_OK) {
        CHECK(p == NULL);
        return rc;
    }
    if (plan == GEN_WHOLE) {
        lt_parser_feed(p, c->body, c->body_len);
    } else if (plan == GEN_SPLIT) {
        lt_parser_feed(p, c->body, arg);
        lt_parser_feed(p, c->body + arg, c->body_len - arg);
    } else {
        uint64_t s = 0x9E3779B97F4A7C15ull ^ (arg * 0x100000001B3ull);
        for (size_t i = 0; i < c->body_len;) {
            size_t k = 1 + (size_t)(gen_rng_next(&s) % 97);
            if (k > c->body_len - i)
                k = c->body_len - i;
            lt_parser_feed(p, c->body + i, k);
            i += k;
        }
    }
    rc = lt_parser_finish(p, c->complete, g);
    lt_parser_free(p);
    return rc;
}
