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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../providers/provider.h"
#include "../../shim/json.h"
#include "../../shim/mem.h"
#include "../lib/gen.h"
#include "../lib/tap.h"

#define MIN_SHARED_CASES 49
#define MAX_CASES 256
/* Appended to every URL: a credential in the query must never reach a span. */
#define SECRET "AIzaSyLLMTAPtestSECRET0123456789abcd"

static struct gen_fx cases_fx[MAX_CASES];
static bool loaded;

/* FIXTURE_FILTER=substring: only the cases whose name holds it. */
static bool keep_filtered(const char *name, const char *api)
{
    (void)api;
    const char *filter = getenv("FIXTURE_FILTER");
    return !filter || !*filter || strstr(name, filter);
}

static struct gen_fxset set = { .c = cases_fx, .max = MAX_CASES, .key = SECRET, .keep = keep_filtered };

static void load_all(void)
{
    if (loaded)
        return;
    loaded = true;
    CHECK(lt_json_load() == LT_OK);
    lt_provider_configure(NULL);
    struct stat st;
    CHECKF(stat(tap_fixtures_dir(), &st) == 0, "the shared fixtures are missing: %s", tap_fixtures_dir());
    gen_fx_scan(&set, tap_fixtures_dir(), "", 2, false, NULL);
    gen_fx_scan(&set, LLMTAP_ROOT "/tests/fixtures", "own/", 2, true, "local");
    const char *filter = getenv("FIXTURE_FILTER");
    if (!filter || !*filter)
        CHECKF(set.n_shared >= MIN_SHARED_CASES, "only %d cases in %s", set.n_shared, tap_fixtures_dir());
}

static long long usage_or0(const struct lt_generation *g, const char *k)
{
    long long v = 0;
    lt_generation_get_usage(g, k, &v);
    return v;
}

static void check_no_secret(const struct gen_fx *c, const char *what, const char *s)
{
    CHECKF(!s || !strstr(s, "SECRET0123456789"), "%s: the URL's key leaked into %s", c->name, what);
}

/* Request keys that are the conversation, never a sampling parameter. */
static const char *const conversation_keys[] = {
    "model", "messages", "contents", "system", "systemInstruction", "tools", "prompt", "input",
};

/* The comparison of fixtures/README.md "How a generation is compared with
 * expected.json", plus usage_details key for key, and a little more. */
static void check_expected(const struct gen_fx *c, const struct lt_generation *g)
{
    const cJSON *e = c->exp;
    const char *n = c->name;
    CHECKF(gen_str_eq(g->model, lt_json_str(e, "model")), "%s: model %s, want %s", n, g->model ? g->model : "(null)",
           lt_json_str(e, "model"));
    CHECKF(gen_str_eq(g->provider, c->provider), "%s: provider %s", n, g->provider ? g->provider : "(null)");
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

    const cJSON *out = gen_jget(e, "output");
    const char *text = lt_json_str(out, "text");
    const char *plan = lt_json_str(out, "tool_plan");
    const char *got_text = g->output_text ? g->output_text : "";
    if (plan && !text)
        CHECKF(!*got_text || strcmp(got_text, plan) == 0, "%s: text \"%s\", want empty or the plan", n, got_text);
    else
        CHECKF(strcmp(got_text, text ? text : "") == 0, "%s: text \"%s\", want \"%s\"", n, got_text, text ? text : "");
    const char *reasoning = lt_json_str(out, "reasoning");
    if (reasoning)
        CHECKF(gen_str_eq(g->reasoning_text, reasoning), "%s: reasoning \"%s\", want \"%s\"", n,
               g->reasoning_text ? g->reasoning_text : "(null)", reasoning);
    if (plan)
        CHECKF(g->output_json && strstr(g->output_json, "tool_plan"), "%s: the tool plan is not in the output", n);

    const cJSON *tcs = gen_jget(out, "tool_calls");
    int n_tc = gen_jis(tcs, cJSON_Array) ? lt_cj.GetArraySize(tcs) : 0;
    CHECKF(g->n_tool_calls == n_tc, "%s: %d tool calls, want %d", n, g->n_tool_calls, n_tc);
    bool used[64] = { false };
    for (int i = 0; i < n_tc; i++) {
        const cJSON *t = lt_cj.GetArrayItem(tcs, i);
        bool found = false;
        for (int k = 0; k < g->n_tool_calls && k < 64 && !found; k++) {
            if (used[k] || !gen_str_eq(g->tool_calls[k].name, lt_json_str(t, "name")))
                continue;
            cJSON *args = gen_jparse(g->tool_calls[k].arguments);
            if (gen_jequal(args, gen_jget(t, "arguments"))) {
                found = used[k] = true;
                const char *id = lt_json_str(t, "id");
                if (id)
                    CHECKF(gen_str_eq(g->tool_calls[k].id, id), "%s: tool call id %s, want %s", n,
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
    const cJSON *ud = gen_jget(e, "usage_details");
    if (!gen_jis(ud, cJSON_Object)) {
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
    const cJSON *u = gen_jget(e, "usage");
    if (gen_jis(u, cJSON_Object)) {
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
        if (!gen_jis(gen_jget(u, "total_derived"), cJSON_True) && lt_json_int(u, "total", &v) == LT_OK)
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
        CHECKF(gen_str_eq(g->finish_reason, fr), "%s: finish_reason %s, want %s", n,
               g->finish_reason ? g->finish_reason : "(null)", fr);
    const cJSON *md = gen_jget(e, "metadata");
    const char *rid = lt_json_str(md, "response_id");
    if (rid)
        CHECKF(gen_str_eq(g->response_id, rid), "%s: response_id %s, want %s", n,
               g->response_id ? g->response_id : "(null)", rid);

    /* parameters as sent: every expected one is there with its value */
    const cJSON *mp = gen_jget(e, "model_parameters");
    cJSON *params = gen_jparse(g->params_json);
    CHECKF(!g->params_json || gen_jis(params, cJSON_Object), "%s: params_json is not a JSON object", n);
    for (const cJSON *k = mp ? mp->child : NULL; k; k = k->next)
        CHECKF(gen_jequal(gen_jget(params, k->string), k), "%s: parameter %s missing or changed in %s", n, k->string,
               g->params_json ? g->params_json : "(null)");
    if (params) {
        for (size_t i = 0; i < TAP_N(conversation_keys); i++)
            CHECKF(!gen_jget(params, conversation_keys[i]), "%s: params_json holds %s", n, conversation_keys[i]);
        lt_cj.Delete(params);
    }

    long long im;
    if (lt_json_int(e, "input_messages", &im) == LT_OK)
        CHECKF(g->n_input_messages == im, "%s: %d input messages, want %lld", n, g->n_input_messages, im);

    /* JSON where JSON is promised; never raw stream chunks */
    if (g->output_json) {
        cJSON *o = gen_jparse(g->output_json);
        CHECKF(o, "%s: output_json is not JSON: %s", n, g->output_json);
        lt_cj.Delete(o);
        CHECKF(!strstr(g->output_json, "chat.completion.chunk") && !strstr(g->output_json, "content_block_delta") &&
                   !strstr(g->output_json, "\"delta\""),
               "%s: raw chunks in output", n);
    } else {
        CHECKF(!text && n_tc == 0 && !plan, "%s: no output_json", n);
    }
    if (g->input_json) {
        cJSON *i = gen_jparse(g->input_json);
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
    printf("    %d shared cases, %d own cases\n", set.n_shared, set.n_own);
}

static void fixtures_should_match_expected_when_fed_whole(void)
{
    load_all();
    for (int i = 0; i < set.n; i++) {
        const struct gen_fx *c = &cases_fx[i];
        struct lt_generation g;
        enum lt_rc rc = gen_fx_run(c, GEN_WHOLE, 0, &g);
        if (gen_fx_skip(c)) {
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

static void run_all_splits(enum gen_plan plan, int part)
{
    load_all();
    for (int i = 0; i < set.n; i++) {
        const struct gen_fx *c = &cases_fx[i];
        if (gen_fx_skip(c))
            continue;
        struct lt_generation ref, g;
        if (gen_fx_run(c, GEN_WHOLE, 0, &ref) != LT_OK) {
            CHECKF(false, "%s: does not parse whole", c->name);
            lt_generation_free(&ref);
            continue;
        }
        size_t from = 1, to = plan == GEN_SPLIT ? c->body_len : 40;
        if (part >= 0) {
            size_t n = to;
            from = (size_t)part * n / SPLIT_PARTS;
            to = (size_t)(part + 1) * n / SPLIT_PARTS;
            if (from < 1)
                from = 1;
        }
        for (size_t k = from; k < to; k++) {
            char how[64];
            snprintf(how, sizeof how, plan == GEN_SPLIT ? "split at %zu" : "random seed %zu", k);
            CHECKF(gen_fx_run(c, plan, k, &g) == LT_OK, "%s %s: rc", c->name, how);
            gen_check_same(c->name, how, &ref, &g);
            lt_generation_free(&g);
        }
        lt_generation_free(&ref);
    }
    CHECK_INT(lt_mem_live_bytes(), 0);
}

#define SPLIT_CASE(k)                                                         \
    static void fixtures_should_match_split_in_two_at_every_byte_part_##k(void) \
    {                                                                         \
        run_all_splits(GEN_SPLIT, k - 1);                                    \
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
    run_all_splits(GEN_RANDOM, -1);
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
