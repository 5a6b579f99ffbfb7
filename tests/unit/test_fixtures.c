/* test_fixtures.c — every provider module on real recorded traffic
 * (../shared/fixtures: every case, the suite fails when the folder is
 * missing) and on llmtap's own exchanges (tests/fixtures/<provider>/), each
 * matched by its recorded URL, fed whole, split in two at every byte and in
 * seeded random 1-97-byte pieces, and compared with expected.json the way
 * ../shared/fixtures/README.md says ("How a generation is compared"), plus
 * usage_details key for key, input message counts, parameters and secrets.
 *
 * Module-specific behaviour (request shapes, metadata, odd inputs) is tested
 * in each module's own test_<module>.c. FIXTURE_FILTER=substring runs only
 * the cases whose name contains it (handy while writing a module). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../providers/provider.h"
#include "../../shim/json.h"
#include "../../shim/mem.h"
#include "../lib/tap.h"

#define MIN_SHARED_CASES 49
#define MAX_CASES 256
/* Appended to every URL: a credential in the query must never reach a span. */
#define SECRET "AIzaSyLLMTAPtestSECRET0123456789abcd"

struct fx {
    char name[320];        /* "anthropic/messages_text", "own/ollama/generate_cut" */
    bool own;
    char url[1200];
    char provider[64];
    char api[64];
    char content_type[128];
    bool has_content_type;
    long status;
    bool complete;
    char *req;
    size_t req_len;
    char *body;
    size_t body_len;
    cJSON *exp;            /* expected.json */
};

static struct fx cases_fx[MAX_CASES];
static int n_cases, n_shared, n_own;
static bool loaded;

/* ---- small JSON helpers (test side) ------------------------------------- */

static const cJSON *jget(const cJSON *o, const char *k)
{
    return lt_json_get(o, k);
}

static bool jis(const cJSON *v, int type)
{
    return v && (v->type & 0xFF) == type;
}

static bool jequal(const cJSON *a, const cJSON *b)
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
            if (!jequal(x, y))
                return false;
        return !x && !y;
    }
    case cJSON_Object: {
        int na = 0, nb = 0;
        for (const cJSON *x = a->child; x; x = x->next) {
            na++;
            if (!jequal(x, jget(b, x->string)))
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

static cJSON *jparse(const char *s)
{
    return s ? lt_cj.ParseWithLength(s, strlen(s)) : NULL;
}

/* ---- fixtures ------------------------------------------------------------ */

static char *read_in(const char *dir, const char *file, size_t *len)
{
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return tap_read_file(path, len);
}

static void load_case(const char *dir, const char *name, bool own)
{
    const char *filter = getenv("FIXTURE_FILTER");
    if (filter && *filter && !strstr(name, filter))
        return;
    size_t n;
    char *m = read_in(dir, "meta.json", &n);
    CHECKF(m, "%s: no meta.json", dir);
    cJSON *meta = lt_cj.ParseWithLength(m, n);
    free(m);
    CHECKF(meta, "%s: meta.json is not JSON", dir);
    CHECKF(n_cases < MAX_CASES, "too many cases");
    struct fx *c = &cases_fx[n_cases++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->own = own;
    const char *url = lt_json_str(meta, "url");
    const char *prov = lt_json_str(meta, "provider");
    const char *api = lt_json_str(meta, "api");
    CHECKF(url && prov && api, "%s: meta lacks url/provider/api", name);
    snprintf(c->url, sizeof c->url, "%s%skey=%s", url, strchr(url, '?') ? "&" : "?", SECRET);
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
    c->complete = !jis(jget(meta, "complete"), cJSON_False);
    lt_cj.Delete(meta);
    c->req = read_in(dir, "request.json", &c->req_len);
    c->body = read_in(dir, "response.body", &c->body_len);
    char *e = read_in(dir, "expected.json", &n);
    CHECKF(c->req && c->body && e, "%s: a file is missing", name);
    c->exp = lt_cj.ParseWithLength(e, n);
    free(e);
    CHECKF(c->exp, "%s: expected.json is not JSON", name);
    if (own)
        n_own++;
    else
        n_shared++;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every directory below `root` (depth <= 2) holding a meta.json; `skip`
 * names a top-level directory that is not a set of exchanges. */
static void scan(const char *root, const char *prefix, int depth, bool own, const char *skip)
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
    qsort(names, (size_t)n, sizeof names[0], name_cmp);
    for (int i = 0; i < n; i++) {
        char path[1024], name[256], meta[1100];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", root, names[i]);
        snprintf(name, sizeof name, "%s%s", prefix, names[i]);
        snprintf(meta, sizeof meta, "%s/meta.json", path);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (stat(meta, &st) == 0)
                load_case(path, name, own);
            else if (depth > 1) {
                char sub[300];
                snprintf(sub, sizeof sub, "%s/", name);
                scan(path, sub, depth - 1, own, NULL);
            }
        }
        free(names[i]);
    }
}

static void load_all(void)
{
    if (loaded)
        return;
    loaded = true;
    CHECK(lt_json_load() == LT_OK);
    lt_provider_configure(NULL);
    struct stat st;
    CHECKF(stat(tap_fixtures_dir(), &st) == 0, "the shared fixtures are missing: %s", tap_fixtures_dir());
    scan(tap_fixtures_dir(), "", 2, false, NULL);
    scan(LLMTAP_ROOT "/tests/fixtures", "own/", 2, true, "local");
    const char *filter = getenv("FIXTURE_FILTER");
    if (!filter || !*filter)
        CHECKF(n_shared >= MIN_SHARED_CASES, "only %d cases in %s", n_shared, tap_fixtures_dir());
}

static bool expect_skip(const struct fx *c)
{
    return jis(jget(c->exp, "skip"), cJSON_True);
}

/* ---- running one case ---------------------------------------------------- */

/* The wire format each recorded "api" is read as. */
static const struct {
    const char *name;
    enum lt_api api;
} apis[] = {
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

enum plan { PLAN_WHOLE, PLAN_SPLIT, PLAN_RANDOM };

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static enum lt_rc run(const struct fx *c, enum plan plan, size_t arg, struct lt_generation *g)
{
    struct lt_match m = { 0 };
    memset(g, 0, sizeof *g);
    CHECKF(lt_provider_match_url(c->url, &m), "%s: URL does not match", c->name);
    CHECKF(strcmp(m.provider, c->provider) == 0, "%s: provider %s, want %s", c->name, m.provider, c->provider);
    enum lt_api want = LT_API_NONE;
    for (size_t i = 0; i < TAP_N(apis); i++)
        if (strcmp(apis[i].name, c->api) == 0)
            want = apis[i].api;
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
    if (plan == PLAN_WHOLE) {
        lt_parser_feed(p, c->body, c->body_len);
    } else if (plan == PLAN_SPLIT) {
        lt_parser_feed(p, c->body, arg);
        lt_parser_feed(p, c->body + arg, c->body_len - arg);
    } else {
        uint64_t s = 0x9E3779B97F4A7C15ull ^ (arg * 0x100000001B3ull);
        for (size_t i = 0; i < c->body_len;) {
            size_t k = 1 + (size_t)(rng_next(&s) % 97);
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

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Two generations hold the same values, field by field. */
static void check_same(const struct fx *c, const char *how, const struct lt_generation *a,
                       const struct lt_generation *b)
{
#define SAME(f) CHECKF(str_eq(a->f, b->f), "%s %s: " #f " \"%s\" vs \"%s\"", c->name, how, a->f ? a->f : "(null)", \
                       b->f ? b->f : "(null)")
    SAME(provider);
    SAME(operation);
    SAME(obs_type);
    SAME(model);
    SAME(request_model);
    SAME(response_model);
    SAME(params_json);
    SAME(input_json);
    SAME(output_json);
    SAME(output_text);
    SAME(reasoning_text);
    SAME(finish_reason);
    SAME(response_id);
    SAME(status_message);
#undef SAME
    CHECKF(a->stream == b->stream && a->level == b->level && a->has_usage == b->has_usage &&
               a->n_input_messages == b->n_input_messages && a->n_embeddings == b->n_embeddings,
           "%s %s: flags or counts", c->name, how);
    CHECKF(a->n_tool_calls == b->n_tool_calls, "%s %s: tool calls", c->name, how);
    for (int i = 0; i < a->n_tool_calls && i < b->n_tool_calls; i++)
        CHECKF(str_eq(a->tool_calls[i].id, b->tool_calls[i].id) && str_eq(a->tool_calls[i].name, b->tool_calls[i].name) &&
                   str_eq(a->tool_calls[i].arguments, b->tool_calls[i].arguments),
               "%s %s: tool call %d", c->name, how, i);
    CHECKF(a->n_usage == b->n_usage, "%s %s: usage count", c->name, how);
    for (int i = 0; i < a->n_usage && i < b->n_usage; i++)
        CHECKF(strcmp(a->usage[i].key, b->usage[i].key) == 0 && a->usage[i].value == b->usage[i].value,
               "%s %s: usage %s", c->name, how, a->usage[i].key);
    CHECKF(a->n_meta == b->n_meta, "%s %s: meta count", c->name, how);
    for (int i = 0; i < a->n_meta && i < b->n_meta; i++)
        CHECKF(strcmp(a->meta[i].key, b->meta[i].key) == 0 && str_eq(a->meta[i].value, b->meta[i].value),
               "%s %s: meta %s", c->name, how, a->meta[i].key);
}

static long long usage_or0(const struct lt_generation *g, const char *k)
{
    long long v = 0;
    lt_generation_get_usage(g, k, &v);
    return v;
}

static void check_no_secret(const struct fx *c, const char *what, const char *s)
{
    CHECKF(!s || !strstr(s, "SECRET0123456789"), "%s: the URL's key leaked into %s", c->name, what);
}

/* Request keys that are the conversation, never a sampling parameter. */
static const char *const conversation_keys[] = {
    "model", "messages", "contents", "system", "systemInstruction", "tools", "prompt", "input",
};

/* The comparison of fixtures/README.md "How a generation is compared with
 * expected.json", plus usage_details key for key, and a little more. */
static void check_expected(const struct fx *c, const struct lt_generation *g)
{
    const cJSON *e = c->exp;
    const char *n = c->name;
    CHECKF(str_eq(g->model, lt_json_str(e, "model")), "%s: model %s, want %s", n, g->model ? g->model : "(null)",
           lt_json_str(e, "model"));
    CHECKF(str_eq(g->provider, c->provider), "%s: provider %s", n, g->provider ? g->provider : "(null)");
    const char *lv = lt_json_str(e, "level");
    enum lt_level want = !lv || !strcmp(lv, "DEFAULT") ? LT_LEVEL_DEFAULT
                         : !strcmp(lv, "ERROR")         ? LT_LEVEL_ERROR
                                                        : LT_LEVEL_WARNING;
    CHECKF(g->level == want, "%s: level %d, want %s (status: %s)", n, (int)g->level, lv ? lv : "DEFAULT",
           g->status_message ? g->status_message : "(null)");
    const char *smc = lt_json_str(e, "status_message_contains");
    if (smc)
        CHECKF(g->status_message && strstr(g->status_message, smc), "%s: status \"%s\" lacks \"%s\"", n,
               g->status_message ? g->status_message : "(null)", smc);
    if (want != LT_LEVEL_DEFAULT)
        CHECKF(g->status_message && *g->status_message, "%s: level %s without a status message", n, lv);

    const cJSON *out = jget(e, "output");
    const char *text = lt_json_str(out, "text");
    const char *plan = lt_json_str(out, "tool_plan");
    const char *got_text = g->output_text ? g->output_text : "";
    if (plan && !text)
        CHECKF(!*got_text || strcmp(got_text, plan) == 0, "%s: text \"%s\", want empty or the plan", n, got_text);
    else
        CHECKF(strcmp(got_text, text ? text : "") == 0, "%s: text \"%s\", want \"%s\"", n, got_text, text ? text : "");
    const char *reasoning = lt_json_str(out, "reasoning");
    if (reasoning)
        CHECKF(str_eq(g->reasoning_text, reasoning), "%s: reasoning \"%s\", want \"%s\"", n,
               g->reasoning_text ? g->reasoning_text : "(null)", reasoning);
    if (plan)
        CHECKF(g->output_json && strstr(g->output_json, "tool_plan"), "%s: the tool plan is not in the output", n);

    const cJSON *tcs = jget(out, "tool_calls");
    int n_tc = jis(tcs, cJSON_Array) ? lt_cj.GetArraySize(tcs) : 0;
    CHECKF(g->n_tool_calls == n_tc, "%s: %d tool calls, want %d", n, g->n_tool_calls, n_tc);
    bool used[64] = { false };
    for (int i = 0; i < n_tc; i++) {
        const cJSON *t = lt_cj.GetArrayItem(tcs, i);
        bool found = false;
        for (int k = 0; k < g->n_tool_calls && k < 64 && !found; k++) {
            if (used[k] || !str_eq(g->tool_calls[k].name, lt_json_str(t, "name")))
                continue;
            cJSON *args = jparse(g->tool_calls[k].arguments);
            if (jequal(args, jget(t, "arguments"))) {
                found = used[k] = true;
                const char *id = lt_json_str(t, "id");
                if (id)
                    CHECKF(str_eq(g->tool_calls[k].id, id), "%s: tool call id %s, want %s", n,
                           g->tool_calls[k].id ? g->tool_calls[k].id : "(null)", id);
            }
            if (args)
                lt_cj.Delete(args);
        }
        CHECKF(found, "%s: tool call %d (%s) not found", n, i, lt_json_str(t, "name"));
    }
    long long emb;
    if (lt_json_int(out, "embedding_count", &emb) == LT_OK)
        CHECKF(g->n_embeddings == emb, "%s: %d embeddings, want %lld", n, g->n_embeddings, emb);

    /* usage_details key for key; null: no usage at all */
    const cJSON *ud = jget(e, "usage_details");
    if (!jis(ud, cJSON_Object)) {
        CHECKF(!g->has_usage && g->n_usage == 0, "%s: usage reported, want none", n);
    } else {
        CHECKF(g->has_usage, "%s: no usage", n);
        int keys = 0;
        for (const cJSON *k = ud->child; k; k = k->next, keys++) {
            long long v;
            CHECKF(lt_generation_get_usage(g, k->string, &v), "%s: usage key %s missing", n, k->string);
            CHECKF(v == (long long)k->valuedouble, "%s: usage %s = %lld, want %.0f", n, k->string, v, k->valuedouble);
        }
        CHECKF(g->n_usage == keys, "%s: %d usage keys, want %d", n, g->n_usage, keys);
    }
    /* the provider's own counts, as README compares them */
    const cJSON *u = jget(e, "usage");
    if (jis(u, cJSON_Object)) {
        long long v;
        long long cached = usage_or0(g, "input_cached_tokens");
        long long created = usage_or0(g, "input_cache_creation");
        bool anthropic_style = strncmp(c->api, "anthropic.", 10) == 0 || strncmp(c->api, "bedrock.", 8) == 0;
        if (lt_json_int(u, "input", &v) == LT_OK)
            CHECKF(usage_or0(g, "input") + (anthropic_style ? 0 : cached) == v, "%s: usage.input", n);
        if (lt_json_int(u, "output", &v) == LT_OK && strncmp(c->api, "gemini.", 7) != 0)
            CHECKF(usage_or0(g, "output") + usage_or0(g, "output_reasoning_tokens") == v, "%s: usage.output", n);
        /* a derived total (input + output) may leave cache counts out; the
         * usage_details total above is the one Langfuse reads */
        if (!jis(jget(u, "total_derived"), cJSON_True) && lt_json_int(u, "total", &v) == LT_OK)
            CHECKF(usage_or0(g, "total") == v, "%s: usage.total", n);
        if (lt_json_int(u, "cached_input", &v) == LT_OK)
            CHECKF(cached == v, "%s: usage.cached_input", n);
        if (lt_json_int(u, "cache_creation_input", &v) == LT_OK)
            CHECKF(created == v, "%s: usage.cache_creation_input", n);
        if (lt_json_int(u, "reasoning", &v) == LT_OK)
            CHECKF(usage_or0(g, "output_reasoning_tokens") == v, "%s: usage.reasoning", n);
    }

    const char *fr = lt_json_str(e, "finish_reason");
    if (fr)
        CHECKF(str_eq(g->finish_reason, fr), "%s: finish_reason %s, want %s", n,
               g->finish_reason ? g->finish_reason : "(null)", fr);
    const cJSON *md = jget(e, "metadata");
    const char *rid = lt_json_str(md, "response_id");
    if (rid)
        CHECKF(str_eq(g->response_id, rid), "%s: response_id %s, want %s", n,
               g->response_id ? g->response_id : "(null)", rid);

    /* parameters as sent: every expected one is there with its value */
    const cJSON *mp = jget(e, "model_parameters");
    cJSON *params = jparse(g->params_json);
    CHECKF(!g->params_json || jis(params, cJSON_Object), "%s: params_json is not a JSON object", n);
    for (const cJSON *k = mp ? mp->child : NULL; k; k = k->next)
        CHECKF(jequal(jget(params, k->string), k), "%s: parameter %s missing or changed in %s", n, k->string,
               g->params_json ? g->params_json : "(null)");
    if (params) {
        for (size_t i = 0; i < TAP_N(conversation_keys); i++)
            CHECKF(!jget(params, conversation_keys[i]), "%s: params_json holds %s", n, conversation_keys[i]);
        lt_cj.Delete(params);
    }

    long long im;
    if (lt_json_int(e, "input_messages", &im) == LT_OK)
        CHECKF(g->n_input_messages == im, "%s: %d input messages, want %lld", n, g->n_input_messages, im);

    /* JSON where JSON is promised; never raw stream chunks */
    if (g->output_json) {
        cJSON *o = jparse(g->output_json);
        CHECKF(o, "%s: output_json is not JSON: %s", n, g->output_json);
        lt_cj.Delete(o);
        CHECKF(!strstr(g->output_json, "chat.completion.chunk") && !strstr(g->output_json, "content_block_delta") &&
                   !strstr(g->output_json, "\"delta\""),
               "%s: raw chunks in output", n);
    } else {
        CHECKF(!text && n_tc == 0 && !plan, "%s: no output_json", n);
    }
    if (g->input_json) {
        cJSON *i = jparse(g->input_json);
        CHECKF(i, "%s: input_json is not JSON", n);
        lt_cj.Delete(i);
    } else {
        CHECKF(c->req_len == 0, "%s: no input_json", n);
    }
    bool emb_api = strcmp(c->api, "openai.embeddings") == 0;
    CHECKF(g->obs_type && strcmp(g->obs_type, emb_api ? "embedding" : "generation") == 0, "%s: observation type %s",
           n, g->obs_type ? g->obs_type : "(null)");
    CHECKF(g->operation && *g->operation, "%s: no operation name", n);

    check_no_secret(c, "model", g->model);
    check_no_secret(c, "params", g->params_json);
    check_no_secret(c, "input", g->input_json);
    check_no_secret(c, "output", g->output_json);
    check_no_secret(c, "status", g->status_message);
    for (int i = 0; i < g->n_meta; i++)
        check_no_secret(c, g->meta[i].key, g->meta[i].value);
}

/* ---- the cases ------------------------------------------------------------ */

static void fixtures_should_find_every_recorded_case(void)
{
    load_all();
    printf("    %d shared cases, %d own cases\n", n_shared, n_own);
}

static void fixtures_should_match_expected_when_fed_whole(void)
{
    load_all();
    for (int i = 0; i < n_cases; i++) {
        const struct fx *c = &cases_fx[i];
        struct lt_generation g;
        enum lt_rc rc = run(c, PLAN_WHOLE, 0, &g);
        if (expect_skip(c)) {
            CHECKF(rc == LT_ERR_SKIP, "%s: rc %d, want SKIP", c->name, (int)rc);
            continue;
        }
        CHECKF(rc == LT_OK, "%s: rc %d", c->name, (int)rc);
        if (rc == LT_OK)
            check_expected(c, &g);
        lt_generation_free(&g);
    }
    CHECK_INT(lt_mem_live_bytes(), 0);
}

/* Every-byte splits cost one parse per body byte: they are dealt into
 * SPLIT_PARTS test cases, part k taking the k-th slice of split points of
 * every case, so that each stays well inside its timeout under the
 * sanitizers. part < 0: no slicing. */
#define SPLIT_PARTS 8

static void run_all_splits(enum plan plan, int part)
{
    load_all();
    for (int i = 0; i < n_cases; i++) {
        const struct fx *c = &cases_fx[i];
        if (expect_skip(c))
            continue;
        struct lt_generation ref, g;
        if (run(c, PLAN_WHOLE, 0, &ref) != LT_OK) {
            CHECKF(false, "%s: does not parse whole", c->name);
            lt_generation_free(&ref);
            continue;
        }
        size_t from = 1, to = plan == PLAN_SPLIT ? c->body_len : 40;
        if (part >= 0) {
            size_t n = to;
            from = (size_t)part * n / SPLIT_PARTS;
            to = (size_t)(part + 1) * n / SPLIT_PARTS;
            if (from < 1)
                from = 1;
        }
        for (size_t k = from; k < to; k++) {
            char how[64];
            snprintf(how, sizeof how, plan == PLAN_SPLIT ? "split at %zu" : "random seed %zu", k);
            CHECKF(run(c, plan, k, &g) == LT_OK, "%s %s: rc", c->name, how);
            check_same(c, how, &ref, &g);
            lt_generation_free(&g);
        }
        lt_generation_free(&ref);
    }
    CHECK_INT(lt_mem_live_bytes(), 0);
}

#define SPLIT_CASE(k)                                                         \
    static void fixtures_should_match_split_in_two_at_every_byte_part_##k(void) \
    {                                                                         \
        run_all_splits(PLAN_SPLIT, k - 1);                                    \
    }
SPLIT_CASE(1)
SPLIT_CASE(2)
SPLIT_CASE(3)
SPLIT_CASE(4)
SPLIT_CASE(5)
SPLIT_CASE(6)
SPLIT_CASE(7)
SPLIT_CASE(8)

static void fixtures_should_match_when_fed_in_random_pieces(void)
{
    run_all_splits(PLAN_RANDOM, -1);
}

static const struct tap_case cases[] = {
    TAP(fixtures_should_find_every_recorded_case),
    TAP(fixtures_should_match_expected_when_fed_whole),
    TAP(fixtures_should_match_split_in_two_at_every_byte_part_1),
    TAP(fixtures_should_match_split_in_two_at_every_byte_part_2),
    TAP(fixtures_should_match_split_in_two_at_every_byte_part_3),
    TAP(fixtures_should_match_split_in_two_at_every_byte_part_4),
    TAP(fixtures_should_match_split_in_two_at_every_byte_part_5),
    TAP(fixtures_should_match_split_in_two_at_every_byte_part_6),
    TAP(fixtures_should_match_split_in_two_at_every_byte_part_7),
    TAP(fixtures_should_match_split_in_two_at_every_byte_part_8),
    TAP(fixtures_should_match_when_fed_in_random_pieces),
};

int main(int argc, char **argv)
{
    return tap_main(argc, argv, cases, TAP_N(cases));
}
