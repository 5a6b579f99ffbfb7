/* test_openai.c — the OpenAI wire formats (chat completions, Responses,
 * legacy completions, embeddings) beyond what tests/unit/test_fixtures.c
 * compares for every recorded case: the output_json shape each API
 * promises, on every recorded and own OpenAI case; then the request side,
 * path shapes, errors, warnings, usage variants, stream assembly, Azure
 * deployments, allocation failures, the jscan readers against cJSON, and
 * cost. */
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../providers/jscan.h"
#include "../../providers/openai.h"
#include "../../providers/provider.h"
#include "../../shim/json.h"
#include "../../shim/mem.h"
#include "../lib/gen.h"
#include "../lib/tap.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TEST_SANITIZED 1
#endif
#ifdef TEST_ASAN
#include <sanitizer/lsan_interface.h>
#endif

/* "api": "openai.*" cases: 24 shared (openai/, azure/, deepseek/, groq/,
 * mistral/, three errors/), 27 own (tests/fixtures/openai). */
#define MIN_SHARED_CASES 24
#define MIN_OWN_CASES 27
#define MAX_CASES 128

static struct gen_fx cases_fx[MAX_CASES];

static bool keep_openai(const char *name, const char *api)
{
    (void)name;
    return api && strncmp(api, "openai.", 7) == 0;
}

static struct gen_fxset set = { .c = cases_fx, .max = MAX_CASES, .keep = keep_openai };

static void load_all(void)
{
    CHECK(lt_json_load() == LT_OK);
    lt_provider_configure(NULL);
    gen_fx_scan(&set, tap_fixtures_dir(), "", 2, false, NULL); /* fails the case when missing */
    gen_fx_scan(&set, LLMTAP_ROOT "/tests/fixtures/openai", "own/", 1, true, NULL);
    CHECKF(set.n_shared >= MIN_SHARED_CASES, "only %d openai.* cases in %s", set.n_shared, tap_fixtures_dir());
    CHECKF(set.n_own >= MIN_OWN_CASES, "only %d own cases", set.n_own);
}

static bool api_is(const struct gen_fx *c, const char *api)
{
    return !strcmp(c->api, api);
}

/* ---- the output_json each API promises ------------------------------------ */

/* Chat: the assistant message(s) as the API would return them whole. */
static void check_chat_shape(const struct gen_fx *c, const struct lt_generation *g, const cJSON *o, long long nmsg)
{
    const char *n = c->name;
    const cJSON *first = o;
    if (nmsg > 1) {
        CHECKF(gen_jis(o, cJSON_Array) && lt_cj.GetArraySize(o) == nmsg, "%s: output_json is not %lld messages", n, nmsg);
        first = o->child;
    }
    CHECKF(gen_jis(first, cJSON_Object), "%s: output message is not an object", n);
    CHECKF(gen_str_eq(lt_json_str(first, "role"), "assistant"), "%s: output role", n);
    const char *content = lt_json_str(first, "content");
    CHECKF(strcmp(content ? content : "", g->output_text ? g->output_text : "") == 0, "%s: output content", n);
    const cJSON *otc = gen_jget(first, "tool_calls");
    const cJSON *ofc = gen_jget(first, "function_call");
    int got = (gen_jis(otc, cJSON_Array) ? lt_cj.GetArraySize(otc) : 0) + (ofc ? 1 : 0);
    CHECKF(got == g->n_tool_calls, "%s: output_json has %d tool calls, want %d", n, got, g->n_tool_calls);
    CHECKF(!strstr(g->output_json, "chat.completion.chunk"), "%s: raw chunks in output", n);
    cJSON *input = gen_jparse(g->input_json);
    const cJSON *msgs = gen_jget(input, "messages");
    CHECKF(!g->input_json || (gen_jis(msgs, cJSON_Array) && lt_cj.GetArraySize(msgs) == g->n_input_messages),
           "%s: input messages", n);
    lt_cj.Delete(input);
}

/* Legacy completions: the text, or an array of texts (one per choice). */
static void check_completion_shape(const struct gen_fx *c, const struct lt_generation *g, const cJSON *o, long long nmsg)
{
    const char *n = c->name;
    const cJSON *first = o;
    if (nmsg > 1) {
        CHECKF(gen_jis(o, cJSON_Array) && lt_cj.GetArraySize(o) == nmsg, "%s: output_json is not %lld texts", n, nmsg);
        first = o->child;
    }
    CHECKF(gen_jis(first, cJSON_String), "%s: a completion is not a JSON string", n);
    CHECKF(!strcmp(first->valuestring, g->output_text ? g->output_text : ""), "%s: output text", n);
    CHECK(g->n_tool_calls == 0);
    cJSON *input = gen_jparse(g->input_json);
    CHECKF(!g->input_json || gen_jget(input, "prompt"), "%s: no prompt in input_json", n);
    lt_cj.Delete(input);
}

/* Responses: the output items; message texts make output_text, the calls'
 * call_ids are the tool call ids, opaque payloads stay out. */
static void check_responses_shape(const struct gen_fx *c, const struct lt_generation *g, const cJSON *o)
{
    const char *n = c->name;
    CHECKF(gen_jis(o, cJSON_Array), "%s: output_json is not an item list", n);
    char text[4096] = "";
    int calls = 0;
    for (const cJSON *it = o->child; it; it = it->next) {
        const char *type = lt_json_str(it, "type");
        CHECKF(type, "%s: an output item without a type", n);
        if (!strcmp(type, "message")) {
            for (const cJSON *p = gen_jget(it, "content") ? gen_jget(it, "content")->child : NULL; p; p = p->next)
                if (gen_str_eq(lt_json_str(p, "type"), "output_text"))
                    strncat(text, lt_json_str(p, "text"), sizeof text - strlen(text) - 1);
        } else if (!strcmp(type, "function_call") || !strcmp(type, "custom_tool_call")) {
            CHECKF(calls < g->n_tool_calls && gen_str_eq(lt_json_str(it, "call_id"), g->tool_calls[calls].id) &&
                       gen_str_eq(lt_json_str(it, "name"), g->tool_calls[calls].name),
                   "%s: output item %d is not tool call %d", n, calls, calls);
            calls++;
        }
    }
    CHECKF(calls == g->n_tool_calls, "%s: %d call items, %d tool calls", n, calls, g->n_tool_calls);
    CHECKF(!strcmp(text, g->output_text ? g->output_text : ""), "%s: message texts \"%s\" vs output_text", n, text);
    CHECKF(!strstr(g->output_json, "encrypted_content") && !strstr(g->output_json, "\"delta\""),
           "%s: opaque or raw content in the output", n);
    cJSON *input = gen_jparse(g->input_json);
    CHECKF(!g->input_json || gen_jget(input, "input"), "%s: no input in input_json", n);
    lt_cj.Delete(input);
}

/* Embeddings: a count and a dimension, never a vector. */
static void check_embeddings_shape(const struct gen_fx *c, const struct lt_generation *g, const cJSON *o)
{
    const char *n = c->name;
    CHECKF(gen_jis(o, cJSON_Object), "%s: output_json is not a summary object", n);
    long long v = -1;
    CHECKF(lt_json_int(o, "embeddings", &v) == LT_OK && v == g->n_embeddings, "%s: summary count", n);
    int keys = 0;
    for (const cJSON *k = o->child; k; k = k->next, keys++)
        CHECKF(!strcmp(k->string, "embeddings") || (!strcmp(k->string, "dimensions") && gen_jis(k, cJSON_Number)),
               "%s: summary member %s", n, k->string);
    CHECKF(keys <= 2 && strlen(g->output_json) < 64, "%s: output_json %s", n, g->output_json);
}

static void check_shape(const struct gen_fx *c, const struct lt_generation *g)
{
    const char *n = c->name;
    static const struct {
        const char *api, *operation, *obs_type;
    } ops[] = {
        { "openai.chat", "chat", "generation" },
        { "openai.responses", "chat", "generation" },
        { "openai.completions", "text_completion", "generation" },
        { "openai.embeddings", "embeddings", "embedding" },
    };
    for (size_t i = 0; i < TAP_N(ops); i++)
        if (api_is(c, ops[i].api))
            CHECKF(gen_str_eq(g->operation, ops[i].operation) && gen_str_eq(g->obs_type, ops[i].obs_type),
                   "%s: operation %s, type %s", n, g->operation, g->obs_type);
    const char *azure = lt_json_str(gen_jget(c->exp, "metadata"), "azure_deployment");
    if (azure)
        CHECKF(gen_str_eq(gen_meta(g, "azure_deployment"), azure), "%s: azure_deployment %s", n,
               gen_meta(g, "azure_deployment") ? gen_meta(g, "azure_deployment") : "(null)");
    else if (strcmp(c->provider, "azure") != 0)
        CHECKF(!gen_meta(g, "azure_deployment"), "%s: azure_deployment off Azure", n);
    if (api_is(c, "openai.embeddings")) {
        CHECKF(!g->output_text && !g->reasoning_text && g->n_tool_calls == 0, "%s: text from embeddings", n);
        /* the answer's vectors are nowhere: not a 40-byte piece of them */
        const char *emb = strstr(c->body, "\"embedding\"");
        if (emb && strlen(emb) > 80) {
            char piece[41];
            const char *v = strpbrk(emb + 11, "[\"");
            if (v && strlen(v) > 60) {
                memcpy(piece, v + 10, 40);
                piece[40] = '\0';
                const char *fields[] = { g->output_json, g->params_json, g->input_json, g->status_message };
                for (size_t i = 0; i < TAP_N(fields); i++)
                    CHECKF(!fields[i] || !strstr(fields[i], piece), "%s: a vector was copied", n);
            }
        }
    }
    if (!g->output_json) {
        CHECKF(!g->output_text && g->n_tool_calls == 0, "%s: output without output_json", n);
        return;
    }
    cJSON *o = gen_jparse(g->output_json);
    CHECKF(o, "%s: output_json is not JSON: %s", n, g->output_json);
    long long nmsg = 1;
    lt_json_int(c->exp, "output_messages", &nmsg);
    if (api_is(c, "openai.chat"))
        check_chat_shape(c, g, o, nmsg);
    else if (api_is(c, "openai.completions"))
        check_completion_shape(c, g, o, nmsg);
    else if (api_is(c, "openai.responses"))
        check_responses_shape(c, g, o);
    else
        check_embeddings_shape(c, g, o);
    lt_cj.Delete(o);
}

/* ---- the recorded cases ---------------------------------------------------- */

static void openai_should_find_every_recorded_case(void)
{
    load_all();
    int per[4] = { 0 };
    const char *apis[] = { "openai.chat", "openai.responses", "openai.completions", "openai.embeddings" };
    for (int i = 0; i < set.n; i++)
        for (int k = 0; k < 4; k++)
            per[k] += api_is(&cases_fx[i], apis[k]);
    printf("    %d shared cases, %d own cases: %d chat, %d responses, %d completions, %d embeddings\n", set.n_shared,
           set.n_own, per[0], per[1], per[2], per[3]);
    for (int k = 0; k < 4; k++)
        CHECKF(per[k] >= 3, "only %d %s cases", per[k], apis[k]);
}

/* Whole and in random pieces (test_fixtures.c compares expected.json and
 * every split): the output_json each API promises, the operation name,
 * the Azure deployment, no vector copied. */
static void openai_should_shape_the_output_of_every_api(void)
{
    load_all();
    for (int i = 0; i < set.n; i++) {
        const struct gen_fx *c = &cases_fx[i];
        for (int plan = 0; plan < 2; plan++) {
            struct lt_generation g;
            enum lt_rc rc = gen_fx_run(c, plan ? GEN_RANDOM : GEN_WHOLE, (size_t)i + 7, &g);
            if (gen_fx_skip(c)) {
                CHECKF(rc == LT_ERR_SKIP, "%s: rc %d, want SKIP", c->name, (int)rc);
                continue;
            }
            CHECKF(rc == LT_OK, "%s: rc %d", c->name, (int)rc);
            check_shape(c, &g);
            lt_generation_free(&g);
        }
    }
    CHECK_INT(lt_mem_live_bytes(), 0);
}

/* ---- inline exchanges ---------------------------------------------------- */

#define OPENAI "https://api.openai.com/v1/chat/completions"
#define REQ "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
#define REQ_STREAM "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}"
#define SSE "text/event-stream"
#define JSONCT "application/json"

static void openai_should_skip_unconfirmed_bodies_on_unknown_hosts(void)
{
    CHECK(lt_json_load() == LT_OK);
    lt_provider_configure(NULL);
    const char *url = "http://10.1.2.3:8080/api/chat/completions";
    const char *bad[] = {
        NULL,
        "",
        "not json",
        "[{\"model\":\"m\",\"messages\":[]}]",
        "{\"messages\":[]}",
        "{\"model\":\"m\"}",
        "{\"model\":7,\"messages\":[]}",
        "{\"model\":\"m\",\"messages\":\"hi\"}",
        "{\"model\":\"m\",\"messages\":[]",
    };
    for (size_t i = 0; i < TAP_N(bad); i++) {
        struct gen_x x = { url, bad[i], 200, JSONCT, "{}", GEN_THIRDS, false };
        struct lt_generation g;
        CHECKF(gen_run(&x, &g) == LT_ERR_SKIP, "body %zu not skipped", i);
    }
    struct gen_x ok = { url, "{\"model\":\"m\",\"messages\":[]}", 200, JSONCT,
                        "{\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"x\"}}]}",
                        GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&ok, &g) == LT_OK);
    CHECK_STR(g.provider, "openai-compatible");
    CHECK_STR(g.output_text, "x");
    lt_generation_free(&g);
    /* a known host needs no confirmation: a body we cannot read still gives
     * a generation from the response */
    struct gen_x known = { OPENAI, "garbage", 200, JSONCT, ok.body, GEN_THIRDS, false };
    CHECK(gen_run(&known, &g) == LT_OK);
    CHECK(g.request_model == NULL && g.input_json == NULL && g.params_json == NULL);
    CHECK_STR(g.model, "m");
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void openai_should_split_parameters_from_input_verbatim(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *req =
        "{\"model\":\"o3-mini\",\"messages\":[{\"role\":\"developer\",\"content\":\"Be terse \\u00e9\\n\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}],"
        "\"temperature\":0.1,\"top_p\":1,\"seed\":1234567890123,\"stream\":true,"
        "\"stream_options\":{\"include_usage\":true},\"response_format\":{\"type\":\"json_object\"},"
        "\"reasoning_effort\":\"high\",\"max_completion_tokens\":4096,\"stop\":[\"END\",\"\\u0000x\"],"
        "\"logit_bias\":{\"50256\":-100},\"presence_penalty\":-0.5,\"frequency_penalty\":2e-3,"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{}}}],"
        "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}},"
        "\"functions\":[{\"name\":\"g\"}],\"function_call\":\"none\",\"user\":null,\"store\":false,"
        "\"metadata\":{\"k\":\"v\"},\"prediction\":{\"type\":\"content\",\"content\":\"x\"}}";
    struct gen_x x = { OPENAI, req, 200, SSE, "data: [DONE]\n\n", GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK(g.stream);
    CHECK_STR(g.request_model, "o3-mini");
    CHECK_STR(g.model, "o3-mini");
    CHECK_STR(g.params_json,
              "{\"temperature\":0.1,\"top_p\":1,\"seed\":1234567890123,\"stream\":true,"
              "\"stream_options\":{\"include_usage\":true},\"response_format\":{\"type\":\"json_object\"},"
              "\"reasoning_effort\":\"high\",\"max_completion_tokens\":4096,\"stop\":[\"END\",\"\"],"
              "\"logit_bias\":{\"50256\":-100},\"presence_penalty\":-0.5,\"frequency_penalty\":0.002,"
              "\"user\":null,\"store\":false,\"metadata\":{\"k\":\"v\"},"
              "\"prediction\":{\"type\":\"content\",\"content\":\"x\"}}");
    CHECK_STR(g.input_json,
              "{\"messages\":[{\"role\":\"developer\",\"content\":\"Be terse \xC3\xA9\\n\"},"
              "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}],"
              "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{}}}],"
              "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}},"
              "\"functions\":[{\"name\":\"g\"}],\"function_call\":\"none\"}");
    lt_generation_free(&g);

    /* no parameters at all: no params_json */
    struct gen_x y = { OPENAI, REQ, 200, JSONCT, "{\"choices\":[]}", GEN_THIRDS, false };
    CHECK(gen_run(&y, &g) == LT_OK);
    CHECK(g.params_json == NULL && !g.stream);
    CHECK_STR(g.input_json, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    lt_generation_free(&g);
}

/* A locale whose decimal point is a comma, built on the fly if need be. */
static bool comma_locale(void)
{
    const char *names[] = { "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "nl_NL.UTF-8" };
    for (size_t i = 0; i < TAP_N(names); i++)
        if (setlocale(LC_NUMERIC, names[i]))
            return true;
    char dir[] = "/tmp/llmtap-locale-XXXXXX";
    if (!mkdtemp(dir))
        return false;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1", dir);
    bool ok = system(cmd) == 0 && setenv("LOCPATH", dir, 1) == 0 && setlocale(LC_NUMERIC, "de_DE.UTF-8");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return ok;
    return ok;
}

static void openai_should_write_numbers_alike_in_any_locale(void)
{
    CHECK(lt_json_load() == LT_OK);
    if (!comma_locale()) {
        printf("    no locale with a decimal comma could be made here: not proven\n");
        return;
    }
    char probe[16];
    snprintf(probe, sizeof probe, "%.1f", 0.5);
    CHECK_STR(probe, "0,5"); /* the locale is really in effect */
    struct gen_x x = { OPENAI,
                       "{\"model\":\"m\",\"messages\":[],\"temperature\":0.7,\"top_p\":1e-7,\"x\":-12.25,\"y\":1.5e300}",
                       200, JSONCT, "{\"choices\":[]}", GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK_STR(g.params_json, "{\"temperature\":0.7,\"top_p\":1e-07,\"x\":-12.25,\"y\":1.5e+300}");
    lt_generation_free(&g);
    setlocale(LC_NUMERIC, "C");
}

static void openai_should_report_errors_without_secrets(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *key_url = "https://api.openai.com/v1/chat/completions?api-key=QUERYSECRET123";
    struct {
        long status;
        const char *ct;
        const char *body;
        const char *want;     /* the status message contains it */
        const char *never;    /* and never this */
    } t[] = {
        { 401, JSONCT,
          "{\"error\":{\"message\":\"Incorrect API key provided: sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789. You can "
          "find your API key at https://platform.openai.com/account/api-keys.\",\"type\":\"invalid_request_error\","
          "\"param\":null,\"code\":\"invalid_api_key\"}}",
          "Incorrect API key provided: sk-[redacted]. You can find", "AbCdEfGh" },
        { 400, JSONCT, "{\"error\":\"model is required\"}", "model is required", NULL },
        { 404, JSONCT, "{\"detail\":\"Not Found\"}", "Not Found", NULL },
        { 400, JSONCT, "[{\"error\":{\"code\":400,\"message\":\"Bad things\",\"status\":\"INVALID_ARGUMENT\"}}]",
          "Bad things", NULL },
        { 403, JSONCT, "{\"message\":\"Forbidden: key=abcdef123456 is blocked\"}", "Forbidden: key=[redacted] is blocked",
          "abcdef123456" },
        { 400, JSONCT, "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"context_length_exceeded\"}}",
          "invalid_request_error: context_length_exceeded", NULL },
        { 404, NULL, "", "HTTP 404", NULL },
        { 502, "text/plain", "Bad gateway\r\n\r\n  upstream   timed out (Authorization: Bearer abcdefghijklmnop)",
          "HTTP 502: Bad gateway upstream timed out (Authorization: Bearer [redacted])", "abcdefghijklmnop" },
        { 503, JSONCT, "{\"unexpected\":true}", "HTTP 503: {\"unexpected\":true}", NULL },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct gen_x x = { key_url, REQ_STREAM, t[i].status, t[i].ct, t[i].body, GEN_THIRDS, false };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        gen_status_is(&g, LT_LEVEL_ERROR, t[i].want, "case %zu", i);
        CHECKF(!strstr(g.status_message, "QUERYSECRET"), "case %zu: query leaked", i);
        if (t[i].never)
            CHECKF(!strstr(g.status_message, t[i].never), "case %zu: secret leaked: %s", i, g.status_message);
        CHECK_STR(g.model, "gpt-4o"); /* from the request */
        CHECK(!g.has_usage && g.output_json == NULL);
        CHECK(g.input_json != NULL);
        lt_generation_free(&g);
    }
    /* a long non-JSON body is quoted up to 200 bytes, never cutting a character */
    char body[600];
    memset(body, 'a', sizeof body);
    memcpy(body + 195, "\xE2\x82\xAC\xE2\x82\xAC", 6);
    body[sizeof body - 1] = '\0';
    struct gen_x x = { OPENAI, REQ, 500, "text/html", body, GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK(strlen(g.status_message) <= strlen("HTTP 500: ") + 200);
    CHECK(strstr(g.status_message, "aaaa\xE2\x82\xAC") && !strstr(g.status_message, "\xEF\xBF\xBD"));
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void openai_should_warn_when_a_response_does_not_parse(void)
{
    CHECK(lt_json_load() == LT_OK);
    struct {
        const char *req;
        const char *ct;
        const char *body;
        bool incomplete;
        enum lt_level level;
        const char *want;
    } t[] = {
        { REQ, JSONCT, "<html>oops</html>", false, LT_LEVEL_WARNING, "response is not JSON (17 bytes)" },
        { REQ, JSONCT, "{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"cut", false, LT_LEVEL_WARNING,
          "response is not JSON (47 bytes)" },
        { REQ, JSONCT, "{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"cut", true, LT_LEVEL_DEFAULT, NULL },
        { REQ, JSONCT, "{\"object\":\"list\",\"data\":[]}", false, LT_LEVEL_WARNING, "response has no choices (27 bytes)" },
        { REQ, JSONCT, "[1,2]", false, LT_LEVEL_WARNING, "not a chat completion (5 bytes)" },
        { REQ, JSONCT, "", false, LT_LEVEL_WARNING, "response body is empty (0 bytes)" },
        { REQ, JSONCT, " \r\n", false, LT_LEVEL_WARNING, "(3 bytes)" },
        { REQ_STREAM, SSE,
          "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\ndata: {broken\n\n"
          "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
          false, LT_LEVEL_WARNING, "1 of 3 stream events are not JSON" },
        { REQ_STREAM, SSE, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n", false, LT_LEVEL_WARNING,
          "stream ended without a finish_reason or [DONE]" },
        { REQ_STREAM, SSE, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n", true, LT_LEVEL_DEFAULT,
          NULL },
        { REQ_STREAM, SSE, ": nothing but comments\n\n", false, LT_LEVEL_WARNING, "stream holds no events" },
        { REQ_STREAM, SSE, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}]}\n\n",
          false, LT_LEVEL_DEFAULT, NULL },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct gen_x x = { OPENAI, t[i].req, 200, t[i].ct, t[i].body, GEN_THIRDS, t[i].incomplete };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        gen_status_is(&g, t[i].level, t[i].want, "case %zu", i);
        CHECK_STR(g.model, "gpt-4o");
        CHECK(g.input_json != NULL); /* the request side is always there */
        lt_generation_free(&g);
    }
}

static void openai_should_read_how_the_body_is_framed(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *sse_body = "data: {\"model\":\"m1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"s\"},"
                           "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    const char *json_body = "\xEF\xBB\xBF\n  {\"model\":\"m1\",\"choices\":[{\"index\":0,\"message\":{\"content\":\"j\"},"
                            "\"finish_reason\":\"stop\"}]}";
    struct {
        const char *req;
        const char *ct;
        const char *body;
        const char *text;
    } t[] = {
        { REQ_STREAM, NULL, sse_body, "s" },             /* no Content-Type: the request said stream */
        { REQ, NULL, sse_body, "s" },                    /* nor that: "data:" says it */
        { REQ, "application/json", sse_body, "s" },      /* a wrong header */
        { REQ_STREAM, SSE, json_body, "j" },             /* a JSON answer to a stream request */
        { REQ_STREAM, "text/event-stream; charset=utf-8", json_body, "j" },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct gen_x x = { OPENAI, t[i].req, 200, t[i].ct, t[i].body, GEN_THIRDS, false };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        CHECKF(g.level == LT_LEVEL_DEFAULT, "case %zu: %s", i, g.status_message);
        CHECKF(gen_str_eq(g.output_text, t[i].text), "case %zu: text %s", i, g.output_text);
        CHECK_STR(g.model, "m1");
        lt_generation_free(&g);
    }
    /* leading whitespace alone in the first chunks decides nothing yet */
    struct lt_match m;
    CHECK(lt_provider_match_url(OPENAI, &m));
    struct lt_parse_in in = { m.api, m.provider, m.known_host, OPENAI, REQ_STREAM, strlen(REQ_STREAM), 200, NULL };
    struct lt_parser *p;
    CHECK(lt_parser_new(&in, &p) == LT_OK);
    lt_parser_feed(p, "\n", 1);
    lt_parser_feed(p, "\r\n", 2);
    lt_parser_feed(p, sse_body, strlen(sse_body));
    struct lt_generation g = { 0 };
    CHECK(lt_parser_finish(p, true, &g) == LT_OK);
    lt_parser_free(p);
    CHECK_STR(g.output_text, "s");
    lt_generation_free(&g);
}

static void openai_should_flag_error_events_in_a_stream(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *pre = "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"so far\"}}]}\n\n";
    struct {
        const char *tail;
        const char *want;
    } t[] = {
        { "event: error\ndata: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n", "overloaded" },
        { "event: error\ndata: upstream went away\n\n", "upstream went away" },
        { "event: error\ndata: {\"unexpected\":1}\n\n", "error event in the response stream" },
        { "data: {\"error\":{\"message\":\"Internal error\",\"code\":500}}\n\ndata: [DONE]\n\n", "Internal error" },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        char body[512];
        snprintf(body, sizeof body, "%s%s", pre, t[i].tail);
        struct gen_x x = { OPENAI, REQ_STREAM, 200, SSE, body, GEN_THIRDS, false };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        gen_status_is(&g, LT_LEVEL_ERROR, t[i].want, "case %zu", i);
        CHECK_STR(g.output_text, "so far");
        CHECK_STR(g.response_id, "c1");
        lt_generation_free(&g);
    }
}

static void openai_should_read_every_usage_shape(void)
{
    CHECK(lt_json_load() == LT_OK);
    struct {
        const char *body;
        const char *want;
    } t[] = {
        /* audio counts appear only when non-zero, and leave input/output: no token in two priced keys */
        { "{\"choices\":[],\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":50,\"total_tokens\":150,"
          "\"prompt_tokens_details\":{\"cached_tokens\":20,\"audio_tokens\":30},"
          "\"completion_tokens_details\":{\"reasoning_tokens\":10,\"audio_tokens\":15}}}",
          "input=50,input_cached_tokens=20,output=25,output_reasoning_tokens=10,input_audio_tokens=30,"
          "output_audio_tokens=15,total=150" },
        /* DeepSeek's own cache name */
        { "{\"choices\":[],\"usage\":{\"prompt_tokens\":64,\"completion_tokens\":5,\"total_tokens\":69,"
          "\"prompt_cache_hit_tokens\":60,\"prompt_cache_miss_tokens\":4}}",
          "input=4,input_cached_tokens=60,output=5,total=69" },
        /* details as null, no total */
        { "{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"prompt_tokens_details\":null,"
          "\"completion_tokens_details\":null}}",
          "input=3,output=4" },
        /* a count larger than the whole is clamped, never negative */
        { "{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"prompt_tokens_details\":{\"cached_tokens\":9}}}",
          "input=0,input_cached_tokens=9" },
        /* a negative count is no count: Langfuse refuses negative usage */
        { "{\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":-2,\"total_tokens\":-5,"
          "\"completion_tokens_details\":{\"reasoning_tokens\":-1}}}",
          "input=5" },
        { "{\"choices\":[],\"usage\":null}", "" },
        { "{\"choices\":[],\"usage\":{}}", "" },
        /* Groq puts it under x_groq */
        { "{\"choices\":[],\"x_groq\":{\"id\":\"r\",\"usage\":{\"prompt_tokens\":18,\"completion_tokens\":73,"
          "\"total_tokens\":91,\"queue_time\":0.2}}}",
          "input=18,output=73,total=91" },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct gen_x x = { OPENAI, REQ, 200, JSONCT, t[i].body, GEN_THIRDS, false };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        gen_usage_is(&g, t[i].want);
        lt_generation_free(&g);
    }
    /* in a stream: usage:null chunks say nothing, the last report wins,
     * and a top-level usage beats x_groq's */
    const char *body =
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}],\"usage\":null}\n\n"
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}\n\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null,"
        "\"x_groq\":{\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":7,\"total_tokens\":14}}}\n\n"
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6,\"total_tokens\":11}}\n\n"
        "data: {\"choices\":[],\"usage\":null}\n\ndata: [DONE]\n\n";
    struct gen_x x = { OPENAI, REQ_STREAM, 200, SSE, body, GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    gen_usage_is(&g, "input=5,output=6,total=11");
    lt_generation_free(&g);
}

static void openai_should_name_the_azure_deployment(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *url = "https://res.openai.azure.com/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21";
    struct gen_x x = { url, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", 400, JSONCT,
                       "{\"error\":{\"code\":\"content_filter\",\"message\":\"The response was filtered\"}}",
                       GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK_STR(g.provider, "azure");
    CHECK_STR(g.model, "my-gpt4o"); /* no model in request or response: the URL's */
    CHECK(g.request_model == NULL);
    bool found = false;
    for (int i = 0; i < g.n_meta; i++)
        if (!strcmp(g.meta[i].key, "azure_deployment"))
            found = !strcmp(g.meta[i].value, "my-gpt4o");
    CHECK(found);
    CHECK(strstr(g.status_message, "The response was filtered"));
    lt_generation_free(&g);
}

static void openai_should_reassemble_tool_calls_without_an_index(void)
{
    CHECK(lt_json_load() == LT_OK);
    /* some compatible servers omit `index`: a new id starts a call */
    const char *body =
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"a1\",\"type\":\"function\","
        "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"x\\\":\"}}]}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\"1}\"}}]}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"b2\",\"function\":{\"name\":\"g\","
        "\"arguments\":{\"y\":2}}}]}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"b2\",\"function\":{\"name\":\"g\"}}]},"
        "\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n";
    struct gen_x x = { OPENAI, REQ_STREAM, 200, SSE, body, GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK_INT(g.n_tool_calls, 2);
    CHECK_STR(g.tool_calls[0].id, "a1");
    CHECK_STR(g.tool_calls[0].name, "f");
    CHECK_STR(g.tool_calls[0].arguments, "{\"x\":1}");
    CHECK_STR(g.tool_calls[1].id, "b2");
    CHECK_STR(g.tool_calls[1].name, "g"); /* a repeated name is not appended */
    CHECK_STR(g.tool_calls[1].arguments, "{\"y\":2}");
    CHECK_STR(g.output_json, "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
                             "{\"id\":\"a1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"x\\\":1}\"}},"
                             "{\"id\":\"b2\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"{\\\"y\\\":2}\"}}]}");
    lt_generation_free(&g);
}

static void openai_should_read_content_parts_and_refusals(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *body =
        "{\"model\":\"magistral-medium-2506\",\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":"
        "{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":[{\"type\":\"text\",\"text\":\"hmm\"}]},"
        "{\"type\":\"text\",\"text\":\"Answer\"},{\"type\":\"text\",\"text\":\" two\"}]}}]}";
    struct gen_x x = { "https://api.mistral.ai/v1/chat/completions", REQ, 200, JSONCT, body, GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK_STR(g.output_text, "Answer two");
    CHECK_STR(g.reasoning_text, "hmm");
    CHECK_STR(g.output_json, "{\"role\":\"assistant\",\"content\":\"Answer two\",\"reasoning_content\":\"hmm\"}");
    lt_generation_free(&g);

    const char *refusal = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,"
                          "\"refusal\":\"I can't help with that.\"},\"finish_reason\":\"stop\"}]}";
    struct gen_x y = { OPENAI, REQ, 200, JSONCT, refusal, GEN_THIRDS, false };
    CHECK(gen_run(&y, &g) == LT_OK);
    CHECK(g.output_text == NULL);
    CHECK_STR(g.output_json, "{\"role\":\"assistant\",\"content\":null,\"refusal\":\"I can't help with that.\"}");
    lt_generation_free(&g);
}

static enum lt_rc run_in_random_pieces(const void *c, struct lt_generation *g)
{
    return gen_fx_run(c, GEN_RANDOM, 3, g);
}

/* Every allocation, failed in turn, on a stream and on a whole answer:
 * never a crash, never a leak. */
static void openai_should_survive_every_failed_allocation(void)
{
    load_all();
    const char *names[] = { "openai/chat_stream_tool_calls_include_usage", "openai/chat_parallel_tool_calls",
                            "own/stream_n2_choices", "own/error_500_html", "own/stream_legacy_function_call",
                            "own/responses_stream_reasoning_function_call", "openai/responses_function_call",
                            "own/responses_stream_failed", "own/completions_stream_include_usage",
                            "own/embeddings_float_two_inputs", "azure/embeddings", "errors/azure_401_invalid_key" };
    for (size_t k = 0; k < TAP_N(names); k++) {
        const struct gen_fx *c = gen_fx_find(&set, names[k]);
        gen_survive_failed_allocations_of(run_in_random_pieces, c, c->name);
    }
#ifdef TEST_ASAN
    gen_fx_free(&set);
    CHECKF(__lsan_do_recoverable_leak_check() == 0, "leaks (cJSON or ours)");
#endif
}

/* The generation.c helpers every provider leans on. */
static void generation_should_keep_usage_meta_and_status_bounded(void)
{
    struct lt_generation g;
    memset(&g, 0, sizeof g);
    CHECK(!g.has_usage);
    for (int i = 0; i < LT_USAGE_MAX; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        CHECK(lt_generation_set_usage(&g, k, i));
    }
    CHECK(!lt_generation_set_usage(&g, "one_too_many", 1));
    CHECK(lt_generation_set_usage(&g, "k3", 33)); /* replacing needs no slot */
    long long v = 0;
    CHECK(lt_generation_get_usage(&g, "k3", &v) && v == 33);
    CHECK(!lt_generation_get_usage(&g, "absent", &v));
    CHECK(!lt_generation_set_usage(&g, "a_key_far_too_long_for_the_fixed_usage_slot", 1));
    CHECK(g.has_usage && g.n_usage == LT_USAGE_MAX);

    CHECK(lt_generation_add_meta(&g, "a", lt_strdup("1")));
    CHECK(lt_generation_add_meta(&g, "a", lt_strdup("2"))); /* a map: replaced */
    CHECK(g.n_meta == 1 && !strcmp(g.meta[0].value, "2"));
    CHECK(!lt_generation_add_meta(&g, "b", NULL));
    for (int i = 1; i < LT_GEN_META_MAX; i++) {
        static const char *keys[] = { "k1",  "k2",  "k3",  "k4",  "k5",  "k6",  "k7",  "k8",  "k9",  "k10", "k11",
                                      "k12", "k13", "k14", "k15", "k16", "k17", "k18", "k19", "k20", "k21", "k22",
                                      "k23", "k24", "k25", "k26", "k27", "k28", "k29", "k30", "k31" };
        _Static_assert(sizeof keys / sizeof keys[0] >= LT_GEN_META_MAX - 1, "a key per metadata slot");
        CHECK(lt_generation_add_meta(&g, keys[i - 1], lt_strdup("x")));
    }
    CHECK(!lt_generation_add_meta(&g, "full", lt_strdup("freed, not leaked")));

    lt_generation_set_status(&g, LT_LEVEL_ERROR, "HTTP %d", 500);
    lt_generation_set_status(&g, LT_LEVEL_WARNING, "later %s", "warning");
    CHECK(g.level == LT_LEVEL_ERROR); /* the level never goes down */
    CHECK_STR(g.status_message, "later warning");
    char big[5000];
    memset(big, 'x', sizeof big);
    memcpy(big + 2046, "\xE2\x82\xAC", 3);
    big[sizeof big - 1] = '\0';
    lt_generation_set_status(&g, LT_LEVEL_ERROR, "%s", big);
    CHECK_INT(strlen(g.status_message), 2046); /* cut before the split character */
    lt_generation_set_status(&g, LT_LEVEL_ERROR,
                             "k=%s api-key: %s token=%s Bearer %s AIza%s x-goog-api-key=%s sk-learn disk-usage",
                             "plainvalue", "secretvalue123", "t0k3n", "eyJhbGciOiJIUzI1NiJ9.e30.abc",
                             "SyA1234567890abcdefghijklmnopqrstu", "g00gle");
    CHECK_STR(g.status_message, "k=plainvalue api-key: [redacted] token=[redacted] Bearer [redacted] AIza[redacted] "
                                "x-goog-api-key=[redacted] sk-learn disk-usage");
    lt_generation_free(&g);
    CHECK(g.n_usage == 0 && g.status_message == NULL && g.level == LT_LEVEL_DEFAULT);
    lt_generation_free(NULL);

    struct {
        const char *in;
        const char *out;
    } u[] = {
        { "plain", "plain" },
        { "\xC3\xA9\xF0\x9F\x98\x80", "\xC3\xA9\xF0\x9F\x98\x80" },
        { "a\xFF" "b", "a\xEF\xBF\xBD" "b" },
        { "\xE2\x82 x", "\xEF\xBF\xBD x" },             /* a cut sequence is one U+FFFD */
        { "\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD" },       /* overlong */
        { "\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" }, /* a surrogate */
        { "\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" }, /* past U+10FFFF */
        { "\xF0\x9F\x98", "\xEF\xBF\xBD" },
    };
    for (size_t i = 0; i < TAP_N(u); i++) {
        char *d = lt_generation_strdup_utf8(u[i].in, strlen(u[i].in));
        CHECKF(d && !strcmp(d, u[i].out), "utf8 case %zu", i);
        lt_free(d);
    }
    char *z = lt_generation_strdup_utf8("a\0b", 3);
    CHECK(z && !strcmp(z, "a\xEF\xBF\xBD" "b"));
    lt_free(z);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

/* ---- the jscan fast path against cJSON ------------------------------------ */

/* Counts cJSON parses, to see which documents the fast path took. */
static int parse_calls;
static size_t parse_largest; /* the longest text handed to cJSON */
static cJSON *(*parse_real)(const char *value, size_t len);

static cJSON *parse_counted(const char *value, size_t len)
{
    parse_calls++;
    if (len > parse_largest)
        parse_largest = len;
    return parse_real(value, len);
}

static void count_parses(void)
{
    if (!parse_real) {
        parse_real = lt_cj.ParseWithLength;
        lt_cj.ParseWithLength = parse_counted;
    }
}

/* One input read with the fast path and without: the same rc and the same
 * generation. Returns how many cJSON parses the fast path saved. */
static int fast_vs_cjson(const struct gen_fx *c, const struct gen_x *x, enum gen_plan plan, size_t arg, const char *how)
{
    struct lt_generation a, b;
    lt_jscan_set_fastpath(true);
    parse_calls = 0;
    enum lt_rc ra = c ? gen_fx_run(c, plan, arg, &a) : gen_run(x, &a);
    int fast_parses = parse_calls;
    lt_jscan_set_fastpath(false);
    parse_calls = 0;
    enum lt_rc rb = c ? gen_fx_run(c, plan, arg, &b) : gen_run(x, &b);
    int slow_parses = parse_calls;
    lt_jscan_set_fastpath(true);
    const char *name = c ? c->name : how;
    CHECKF(ra == rb, "%s %s: rc %d fast, %d cJSON", name, how, (int)ra, (int)rb);
    if (ra == LT_OK)
        gen_check_same(name, how, &a, &b);
    lt_generation_free(&a);
    lt_generation_free(&b);
    CHECKF(fast_parses <= slow_parses, "%s %s: the fast path parsed more", name, how);
    return slow_parses - fast_parses;
}

/* Every recorded and own case, whole and in pieces: the generation with
 * the fast path is the generation without it, field by field; and the fast
 * path does take the common chunks (a streamed OpenAI call parses only its
 * request with cJSON), and an embeddings answer never reaches cJSON whole. */
static void openai_should_read_every_case_alike_with_the_fast_path(void)
{
    load_all();
    count_parses();
    int compared = 0, taken = 0, chat = 0;
    for (int i = 0; i < set.n; i++) {
        const struct gen_fx *c = &cases_fx[i];
        if (gen_fx_skip(c))
            continue;
        int saved = fast_vs_cjson(c, NULL, GEN_WHOLE, 0, "whole");
        fast_vs_cjson(c, NULL, GEN_RANDOM, (size_t)i + 1, "random pieces");
        fast_vs_cjson(c, NULL, GEN_SPLIT, c->body_len / 2, "split in two");
        compared++;
        if (api_is(c, "openai.chat")) {
            chat++;
            taken += saved > 0;
        }
        if (api_is(c, "openai.embeddings") && c->status < 400) {
            struct lt_generation g;
            parse_largest = 0;
            CHECK(gen_fx_run(c, GEN_WHOLE, 0, &g) == LT_OK);
            lt_generation_free(&g);
            CHECKF(parse_largest < c->body_len / 2 && parse_largest <= c->req_len, "%s: cJSON read %zu bytes",
                   c->name, parse_largest);
        }
        if (!strcmp(c->name, "openai/chat_stream_include_usage")) {
            struct lt_generation g;
            parse_calls = 0;
            CHECK(gen_fx_run(c, GEN_WHOLE, 0, &g) == LT_OK);
            lt_generation_free(&g);
            CHECKF(parse_calls == 1, "%s: %d cJSON parses with the fast path", c->name, parse_calls);
        }
    }
    printf("    %d cases compared three ways; the fast path read documents in %d of %d chat cases\n", compared, taken,
           chat);
    CHECK(compared >= MIN_SHARED_CASES + MIN_OWN_CASES - 2);
    CHECKF(taken >= chat / 2, "the fast path read documents in only %d of %d chat cases", taken, chat);
}

/* Chunks and answers built to sit on each edge the fast path gives to
 * cJSON, or must read exactly as cJSON does. */
static void openai_should_read_edge_documents_alike_with_the_fast_path(void)
{
    CHECK(lt_json_load() == LT_OK);
    count_parses();
    static const char *const docs[] = {
        "{\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"hi\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"a\\n\\t\\\"\\\\\\/\\b\\f\\r\\u00e9\\u20ac\\ud83d\\ude00z\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"bad \\x\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"short \\u12\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"lone \\ud800 high\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"lone \\udc00 low\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"pair \\ud800\\u0041 wrong\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"nul \\u0000 cut\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"hex \\uZZZZ\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"raw\ttab\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"bytes \xff\xc3 \xe2\x82\"}}]}",
        "{\"id\":\"a\",\"id\":\"b\",\"choices\":[]}",
        "{\"id\":\"\",\"model\":\"\",\"choices\":[{\"delta\":{\"content\":\"\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"x\",\"content\":\"y\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"x\"},\"message\":{\"content\":\"y\"}}]}",
        "{\"choices\":[{\"delta\":{\"\\u0063ontent\":\"escaped key\"}}]}",
        "{\"choices\":[{\"index\":1.0,\"delta\":{\"content\":\"float index\"}}]}",
        "{\"choices\":[{\"index\":1e0,\"delta\":{\"content\":\"exp index\"}}]}",
        "{\"choices\":[{\"index\":-1,\"delta\":{\"content\":\"negative\"}}]}",
        "{\"choices\":[{\"index\":128,\"delta\":{\"content\":\"too far\"}}]}",
        "{\"choices\":[{\"index\":99999999999999999999,\"delta\":{\"content\":\"huge\"}}]}",
        "{\"choices\":[{\"index\":\"1\",\"delta\":{\"content\":\"string index\"}}]}",
        "{\"choices\":[{\"index\":null,\"delta\":{\"content\":\"null index\"}}]}",
        "{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"b\"}},{\"index\":0,\"delta\":{\"content\":\"a\"}},7,null]}",
        "{\"choices\":[{\"index\":0},{\"index\":1},{\"index\":2},{\"index\":3},{\"index\":4},{\"index\":5},"
        "{\"index\":6},{\"index\":7},{\"index\":8,\"delta\":{\"content\":\"ninth\"}}]}",
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":1.5,\"completion_tokens\":2}}",
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":-3,\"completion_tokens\":\"2\",\"total_tokens\":true}}",
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":100,\"prompt_tokens_details\":{\"cached_tokens\":1,"
        "\"cached_tokens\":2}}}",
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":100,\"prompt_tokens_details\":[1,2],"
        "\"completion_tokens_details\":\"x\",\"prompt_cache_hit_tokens\":7,\"prompt_cache_miss_tokens\":93}}",
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":1},\"usage\":{\"prompt_tokens\":2}}",
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":123456789012345,\"completion_tokens\":1234567890123456}}",
        "{\"choices\":[],\"x_groq\":{\"usage\":{\"prompt_tokens\":1},\"usage\":{\"prompt_tokens\":2}}}",
        "{\"choices\":[],\"x_groq\":{\"id\":\"q\",\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":5}}}",
        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"t1\",\"type\":\"function\",\"function\":{\"name\":\"f\","
        "\"arguments\":\"{\\\"a\\\":\"}},{\"function\":{\"arguments\":\"1}\"}},{\"id\":\"t2\",\"function\":{\"name\":"
        "\"g\",\"arguments\":null}},5]}}]}",
        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":\"0\",\"id\":\"t\\u0031\",\"function\":{\"name\":\"f\"}}]}}]}",
        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":{\"x\":1}}}]}}]}",
        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":[1]}],\"function_call\":{\"name\":\"l\"}}]}]}",
        "{\"choices\":[{\"delta\":{\"function_call\":{\"name\":\"legacy\",\"arguments\":\"{}\"}}}]}",
        "{\"choices\":[{\"delta\":{\"content\":[{\"type\":\"text\",\"text\":\"parts\"}]}}]}",
        "{\"choices\":[{\"delta\":{\"reasoning_content\":\"r1\",\"reasoning\":\"r2\",\"refusal\":\"no\"}}]}",
        "{\"choices\":[{\"delta\":{\"reasoning_content\":null,\"reasoning\":\"r2\",\"refusal\":7}}]}",
        "{\"choices\":[],\"error\":{\"message\":\"boom\"}}",
        "{\"choices\":[],\"error\":\"boom\"}",
        "{\"choices\":[],\"error\":null}",
        "{\"choices\":[]} trailing",
        "\xEF\xBB\xBF{\"choices\":[]}",
        "{\"choices\":[],\f\"id\":\"ff\"}",
        "{\"choices\":[{\"finish_reason\":7},{\"finish_reason\":\"stop\"}],\"system_fingerprint\":\"fp\","
        "\"service_tier\":\"\"}",
        "{\"n\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],"
        "\"choices\":[{\"delta\":{\"content\":\"deep\"}}]}",
        "{\"n\":1234567890123456789012345678901234567890.5,\"choices\":[{\"delta\":{\"content\":\"long number\"}}]}",
        "{\"n\":01,\"choices\":[]}",
        "{\"n\":1.,\"choices\":[]}",
        "{\"n\":-,\"choices\":[]}",
        "{\"n\":nul,\"choices\":[]}",
        "{\"choices\":[],}",
        "{\"choices\":[1,]}",
        "{\"choices\" [] }",
        "{\"choices\":[{\"delta\":{}}]",
        "[{\"choices\":[]}]",
        "\"text\"",
        "{}",
        "{\"choices\":null,\"usage\":null,\"x_groq\":null,\"model\":{\"a\":1},\"id\":[1]}",
        "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"whole\",\"tool_calls\":["
        "{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}},7,"
        "{\"id\":\"c2\",\"index\":5,\"function\":{\"name\":\"g\",\"arguments\":\"[]\"}}]},\"finish_reason\":"
        "\"tool_calls\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6,\"total_tokens\":11}}",
    };
    int fast = 0;
    for (size_t i = 0; i < TAP_N(docs); i++) {
        char sse[2048], how[64];
        /* the document as one chunk of a stream, twice (keep-first and keep-last) */
        snprintf(sse, sizeof sse, "data: %s\n\ndata: %s\n\ndata: [DONE]\n\n", docs[i], docs[i]);
        struct gen_x s = { OPENAI, REQ_STREAM, 200, SSE, sse, GEN_THIRDS, false };
        snprintf(how, sizeof how, "edge document %zu streamed", i);
        fast += fast_vs_cjson(NULL, &s, GEN_WHOLE, 0, how) > 0;
        /* and as a whole answer */
        struct gen_x w = { OPENAI, REQ, 200, JSONCT, docs[i], GEN_THIRDS, false };
        snprintf(how, sizeof how, "edge document %zu whole", i);
        fast += fast_vs_cjson(NULL, &w, GEN_WHOLE, 0, how) > 0;
    }
    printf("    %zu edge documents compared; the fast path read %d of %zu readings\n", TAP_N(docs), fast,
           2 * TAP_N(docs));
    CHECK(fast > 0);
}

/* ---- the other wire formats ------------------------------------------------ */

#define RESPONSES "https://api.openai.com/v1/responses"
#define COMPLETIONS "https://api.openai.com/v1/completions"
#define EMBEDDINGS "https://api.openai.com/v1/embeddings"
#define RREQ "{\"model\":\"gpt-4.1\",\"input\":\"hi\"}"
#define RREQ_STREAM "{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"stream\":true}"

/* One SSE event of the Responses API, named as OpenAI names it. */
#define REV(type, json) "event: " type "\ndata: {\"type\":\"" type "\"" json "}\n\n"

static void openai_should_match_each_api_path_exactly(void)
{
    struct {
        bool (*fn)(const char *, size_t);
        const char *path;
        bool want;
    } t[] = {
        { lt_openai_responses_path, "/v1/responses", true },
        { lt_openai_responses_path, "/openai/responses", true },
        { lt_openai_responses_path, "/openai/v1/responses", true },
        { lt_openai_responses_path, "/api/v1/responses", true },
        { lt_openai_responses_path, "/v1/responses/resp_123", false },        /* retrieve */
        { lt_openai_responses_path, "/v1/responses/resp_123/cancel", false }, /* cancel */
        { lt_openai_responses_path, "/v1/responses/resp_123/input_items", false },
        { lt_openai_responses_path, "/v1/responses/input_tokens", false },    /* count tokens */
        { lt_openai_responses_path, "/v1/responses/compact", false },
        { lt_openai_responses_path, "/v1/responsesX", false },
        { lt_openai_responses_path, "/v1/Responses", false },
        { lt_openai_responses_path, "responses", false },
        { lt_openai_completions_path, "/v1/completions", true },
        { lt_openai_completions_path, "/completions", true },
        { lt_openai_completions_path, "/openai/deployments/gpt35/completions", true },
        { lt_openai_completions_path, "/v1/chat/completions", false },
        { lt_openai_completions_path, "/chat/completions", false },
        { lt_openai_completions_path, "/v1/completions/x", false },
        { lt_openai_completions_path, "/v1/chatcompletions", false },
        { lt_openai_completions_path, "/v1/engines/davinci/completions", true },
        { lt_openai_embeddings_path, "/v1/embeddings", true },
        { lt_openai_embeddings_path, "/openai/deployments/ada/embeddings", true },
        { lt_openai_embeddings_path, "/openai/v1/embeddings", true },
        { lt_openai_embeddings_path, "/api/embeddings", true },
        { lt_openai_embeddings_path, "/v1/embeddings/x", false },
        { lt_openai_embeddings_path, "/v1/embedding", false },
        { lt_openai_chat_path, "/v1/completions", false },
    };
    for (size_t i = 0; i < TAP_N(t); i++)
        CHECKF(t[i].fn(t[i].path, strlen(t[i].path)) == t[i].want, "%s: want %d", t[i].path, (int)t[i].want);

    lt_provider_configure(NULL);
    struct {
        const char *url;
        enum lt_api api;
        const char *provider;
    } u[] = {
        { "https://api.openai.com/v1/chat/completions", LT_API_OPENAI_CHAT, "openai" },
        { "https://api.openai.com/v1/responses", LT_API_OPENAI_RESPONSES, "openai" },
        { "https://api.openai.com/v1/completions", LT_API_OPENAI_COMPLETIONS, "openai" },
        { "https://api.openai.com/v1/embeddings", LT_API_OPENAI_EMBEDDINGS, "openai" },
        { "https://r.openai.azure.com/openai/deployments/d/completions?api-version=2024-10-21",
          LT_API_OPENAI_COMPLETIONS, "azure" },
        { "https://r.openai.azure.com/openai/deployments/d/embeddings?api-version=2024-10-21", LT_API_OPENAI_EMBEDDINGS,
          "azure" },
        { "https://r.openai.azure.com/openai/responses?api-version=2025-04-01-preview", LT_API_OPENAI_RESPONSES,
          "azure" },
        { "https://r.openai.azure.com/openai/v1/responses", LT_API_OPENAI_RESPONSES, "azure" },
        { "https://r.openai.azure.com/openai/v1/embeddings", LT_API_OPENAI_EMBEDDINGS, "azure" },
        { "http://10.0.0.9:8000/v1/completions", LT_API_OPENAI_COMPLETIONS, "openai-compatible" },
        { "https://api.openai.com/v1/responses/resp_abc/cancel", LT_API_NONE, NULL },
        { "https://api.openai.com/v1/responses/resp_abc?include=x", LT_API_NONE, NULL },
    };
    for (size_t i = 0; i < TAP_N(u); i++) {
        struct lt_match m = { 0 };
        uint64_t before = lt_mem_count();
        bool ok = lt_provider_match_url(u[i].url, &m);
        CHECKF(lt_mem_count() == before, "%s: allocated", u[i].url);
        if (u[i].api == LT_API_NONE) {
            CHECKF(!ok, "%s: matched", u[i].url);
            continue;
        }
        CHECKF(ok && m.api == u[i].api && !strcmp(m.provider, u[i].provider), "%s: api %d provider %s", u[i].url,
               (int)m.api, ok ? m.provider : "-");
    }
}

static void openai_should_confirm_every_api_by_its_body_on_unknown_hosts(void)
{
    CHECK(lt_json_load() == LT_OK);
    lt_provider_configure(NULL);
    struct {
        const char *url;
        const char *req;
        bool llm;
    } t[] = {
        { "http://10.1.2.3/v1/responses", "{\"model\":\"m\",\"input\":\"hi\"}", true },
        { "http://10.1.2.3/v1/responses", "{\"model\":\"m\",\"input\":[]}", true },
        { "http://10.1.2.3/v1/responses", "{\"model\":\"m\"}", false },
        { "http://10.1.2.3/v1/responses", "{\"model\":\"m\",\"input\":{\"a\":1}}", false },
        { "http://10.1.2.3/v1/responses", "{\"input\":\"hi\"}", false },
        { "http://10.1.2.3/v1/responses", "{\"answers\":[1,2]}", false },
        { "http://10.1.2.3/v1/completions", "{\"model\":\"m\",\"prompt\":\"hi\"}", true },
        { "http://10.1.2.3/v1/completions", "{\"model\":\"m\",\"prompt\":[1,2,3]}", true },
        { "http://10.1.2.3/v1/completions", "{\"model\":\"m\",\"messages\":[]}", false },
        { "http://10.1.2.3/v1/completions", "{\"model\":\"m\",\"prompt\":null}", false },
        { "http://10.1.2.3/v1/embeddings", "{\"model\":\"m\",\"input\":[\"a\",\"b\"]}", true },
        { "http://10.1.2.3/v1/embeddings", "{\"model\":\"m\",\"prompt\":\"a\"}", true },
        { "http://10.1.2.3/v1/embeddings", "{\"model\":\"m\",\"input\":7}", false },
        { "http://10.1.2.3/v1/embeddings", "{\"model\":1,\"input\":\"a\"}", false },
        { "http://10.1.2.3/v1/embeddings", NULL, false },
        { "http://10.1.2.3/v1/embeddings", "[{\"model\":\"m\",\"input\":\"a\"}]", false },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct gen_x x = { t[i].url, t[i].req, 200, JSONCT, "{}", GEN_THIRDS, false };
        struct lt_generation g;
        enum lt_rc rc = gen_run(&x, &g);
        CHECKF(rc == (t[i].llm ? LT_OK : LT_ERR_SKIP), "case %zu: rc %d", i, (int)rc);
        if (rc == LT_OK)
            CHECK_STR(g.provider, "openai-compatible");
        lt_generation_free(&g);
    }
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void openai_should_split_each_api_request_into_input_and_parameters(void)
{
    CHECK(lt_json_load() == LT_OK);
    struct {
        const char *url, *req, *params, *input;
        int n_input;
        bool stream;
    } t[] = {
        { RESPONSES,
          "{\"model\":\"gpt-5\",\"instructions\":\"Be brief\",\"input\":[{\"role\":\"user\",\"content\":\"a\"},"
          "{\"type\":\"function_call_output\",\"call_id\":\"c1\",\"output\":\"42\"},{\"role\":\"user\",\"content\":\"b\"}],"
          "\"tools\":[{\"type\":\"web_search\"}],\"tool_choice\":\"auto\",\"previous_response_id\":\"resp_1\","
          "\"prompt\":{\"id\":\"pmpt_1\",\"version\":\"2\"},\"conversation\":\"conv_1\",\"temperature\":0.2,"
          "\"max_output_tokens\":100,\"reasoning\":{\"effort\":\"low\",\"summary\":\"auto\"},"
          "\"text\":{\"format\":{\"type\":\"text\"},\"verbosity\":\"low\"},\"store\":false,\"stream\":true,"
          "\"include\":[\"reasoning.encrypted_content\"],\"metadata\":{\"k\":\"v\"}}",
          "{\"temperature\":0.2,\"max_output_tokens\":100,\"reasoning\":{\"effort\":\"low\",\"summary\":\"auto\"},"
          "\"text\":{\"format\":{\"type\":\"text\"},\"verbosity\":\"low\"},\"store\":false,\"stream\":true,"
          "\"include\":[\"reasoning.encrypted_content\"],\"metadata\":{\"k\":\"v\"}}",
          "{\"instructions\":\"Be brief\",\"input\":[{\"role\":\"user\",\"content\":\"a\"},"
          "{\"type\":\"function_call_output\",\"call_id\":\"c1\",\"output\":\"42\"},{\"role\":\"user\",\"content\":\"b\"}],"
          "\"tools\":[{\"type\":\"web_search\"}],\"tool_choice\":\"auto\",\"prompt\":{\"id\":\"pmpt_1\",\"version\":\"2\"},"
          "\"previous_response_id\":\"resp_1\",\"conversation\":\"conv_1\"}",
          3, true },
        { RESPONSES, "{\"model\":\"gpt-5\",\"input\":\"hello\"}", NULL, "{\"input\":\"hello\"}", 1, false },
        { RESPONSES, "{\"model\":\"gpt-5\",\"previous_response_id\":\"resp_1\",\"temperature\":1}", "{\"temperature\":1}",
          "{\"previous_response_id\":\"resp_1\"}", -1, false },
        { COMPLETIONS, "{\"model\":\"davinci-002\",\"prompt\":\"a\",\"suffix\":\"z\",\"max_tokens\":5,\"echo\":true}",
          "{\"max_tokens\":5,\"echo\":true}", "{\"prompt\":\"a\",\"suffix\":\"z\"}", 1, false },
        { COMPLETIONS, "{\"model\":\"m\",\"prompt\":[\"a\",\"b\",\"c\"],\"n\":2,\"stream\":true}",
          "{\"n\":2,\"stream\":true}", "{\"prompt\":[\"a\",\"b\",\"c\"]}", 3, true },
        { COMPLETIONS, "{\"model\":\"m\",\"prompt\":[1212,318,257]}", NULL, "{\"prompt\":[1212,318,257]}", 1, false },
        { COMPLETIONS, "{\"model\":\"m\",\"prompt\":[[1212,318],[257]]}", NULL, "{\"prompt\":[[1212,318],[257]]}", 2,
          false },
        { COMPLETIONS, "{\"model\":\"m\",\"prompt\":[]}", NULL, "{\"prompt\":[]}", 0, false },
        { EMBEDDINGS, "{\"model\":\"text-embedding-3-large\",\"input\":[\"a\",\"b\"],\"dimensions\":256,"
          "\"encoding_format\":\"float\",\"user\":\"u1\"}",
          "{\"dimensions\":256,\"encoding_format\":\"float\",\"user\":\"u1\"}", "{\"input\":[\"a\",\"b\"]}", 2, false },
        { EMBEDDINGS, "{\"model\":\"m\",\"input\":[[1,2,3],[4,5]]}", NULL, "{\"input\":[[1,2,3],[4,5]]}", 2, false },
        { "http://localhost:11434/api/embeddings", "{\"model\":\"nomic-embed-text\",\"prompt\":\"hi\"}", NULL,
          "{\"prompt\":\"hi\"}", 1, false },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct gen_x x = { t[i].url, t[i].req, 500, "text/plain", "down", GEN_THIRDS, false };
        struct lt_generation g;
        CHECKF(gen_run(&x, &g) == LT_OK, "case %zu", i);
        CHECKF(gen_str_eq(g.params_json, t[i].params), "case %zu: params %s", i,
               g.params_json ? g.params_json : "(null)");
        CHECKF(gen_str_eq(g.input_json, t[i].input), "case %zu: input %s", i, g.input_json ? g.input_json : "(null)");
        CHECKF(g.n_input_messages == t[i].n_input, "case %zu: %d inputs", i, g.n_input_messages);
        CHECKF(g.stream == t[i].stream, "case %zu: stream", i);
        CHECKF(g.request_model && g.model && !strcmp(g.model, g.request_model), "case %zu: model", i);
        CHECKF(g.level == LT_LEVEL_ERROR && gen_str_eq(g.status_message, "HTTP 500: down"), "case %zu: %s", i,
               g.status_message);
        lt_generation_free(&g);
    }
    CHECK_INT(lt_mem_live_bytes(), 0);
}

/* A stream that never sends response.completed: the items are assembled
 * from output_item.added, the deltas and output_item.done. */
static void responses_should_assemble_items_from_stream_events(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *body =
        REV("response.created", ",\"response\":{\"id\":\"resp_1\",\"model\":\"\",\"status\":\"in_progress\","
                                "\"output\":[],\"usage\":null}")
        REV("response.output_item.added", ",\"output_index\":0,\"item\":{\"id\":\"rs_1\",\"type\":\"reasoning\","
                                          "\"summary\":[]}")
        REV("response.reasoning_summary_text.delta", ",\"item_id\":\"rs_1\",\"output_index\":0,\"summary_index\":0,"
                                                     "\"delta\":\"Think\"")
        REV("response.reasoning_summary_text.delta", ",\"item_id\":\"rs_1\",\"output_index\":0,\"summary_index\":1,"
                                                     "\"delta\":\"Again\"")
        REV("response.in_progress", ",\"response\":{\"id\":\"resp_1\",\"model\":\"o3-2025-04-16\","
                                    "\"status\":\"in_progress\",\"output\":[]}")
        /* a message item named by item_id only; one event without its SSE name */
        REV("response.output_item.added", ",\"output_index\":1,\"item\":{\"id\":\"msg_1\",\"type\":\"message\","
                                          "\"role\":\"assistant\",\"content\":[]}")
        "data: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"delta\":\"Hel\"}\n\n"
        REV("response.output_text.delta", ",\"output_index\":1,\"content_index\":0,\"delta\":\"lo \\u00e9\"")
        REV("response.refusal.delta", ",\"output_index\":1,\"delta\":\"no\"")
        /* a function call whose arguments.done replaces its pieces */
        REV("response.output_item.added", ",\"output_index\":2,\"item\":{\"id\":\"fc_1\",\"type\":\"function_call\","
                                          "\"call_id\":\"call_9\",\"name\":\"f\",\"arguments\":\"\"}")
        REV("response.function_call_arguments.delta", ",\"output_index\":2,\"delta\":\"{\\\"a\\\":\"")
        REV("response.function_call_arguments.delta", ",\"output_index\":2,\"delta\":\"1\"")
        REV("response.function_call_arguments.done", ",\"output_index\":2,\"arguments\":\"{\\\"a\\\":1}\"")
        /* a custom tool streamed without an added event */
        REV("response.custom_tool_call_input.delta", ",\"output_index\":3,\"delta\":\"print(1)\"")
        /* an index out of bounds and one that is no integer: ignored */
        REV("response.output_text.delta", ",\"output_index\":256,\"delta\":\"far\"")
        REV("response.output_text.delta", ",\"output_index\":\"1\",\"delta\":\"str\"")
        REV("response.output_text.delta", ",\"output_index\":-1,\"delta\":\"neg\"");
    const char *want_json =
        "[{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"ThinkAgain\"}]},"
        "{\"type\":\"message\",\"id\":\"msg_1\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\","
        "\"text\":\"Hello \xC3\xA9\"},{\"type\":\"refusal\",\"refusal\":\"no\"}]},"
        "{\"type\":\"function_call\",\"id\":\"fc_1\",\"call_id\":\"call_9\",\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"},"
        "{\"type\":\"custom_tool_call\",\"call_id\":null,\"name\":null,\"input\":\"print(1)\"}]";
    for (int incomplete = 0; incomplete < 2; incomplete++) {
        struct gen_x x = { RESPONSES, RREQ_STREAM, 200, SSE, body, GEN_THIRDS, incomplete };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        CHECK_STR(g.output_json, want_json);
        CHECK_STR(g.output_text, "Hello \xC3\xA9");
        CHECK_STR(g.reasoning_text, "ThinkAgain");
        CHECK_INT(g.n_tool_calls, 2);
        CHECK_STR(g.tool_calls[0].id, "call_9");
        CHECK_STR(g.tool_calls[0].arguments, "{\"a\":1}");
        CHECK(g.tool_calls[1].id == NULL && g.tool_calls[1].name == NULL);
        CHECK_STR(g.tool_calls[1].arguments, "print(1)");
        CHECK_STR(g.model, "o3-2025-04-16"); /* the later non-empty model */
        CHECK_STR(g.response_id, "resp_1");
        CHECK_STR(g.finish_reason, "in_progress");
        CHECK(!g.has_usage);
        if (incomplete) { /* the caller reports the transfer error */
            CHECK(g.level == LT_LEVEL_DEFAULT && g.status_message == NULL);
        } else {
            CHECK(g.level == LT_LEVEL_WARNING);
            CHECK(strstr(g.status_message, "stream ended without response.completed"));
        }
        lt_generation_free(&g);
    }
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void responses_should_prefer_the_completed_response_object(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *pre =
        REV("response.created", ",\"response\":{\"id\":\"resp_2\",\"model\":\"\",\"status\":\"in_progress\"}")
        REV("response.output_text.delta", ",\"output_index\":0,\"delta\":\"draft\"");
    struct {
        const char *tail;
        const char *text;
        const char *model;
        const char *usage;
    } t[] = {
        /* the provider's own assembly wins */
        { REV("response.completed", ",\"response\":{\"id\":\"resp_2\",\"model\":\"gpt-4o-2024-08-06\",\"status\":"
              "\"completed\",\"output\":[{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":"
              "\"output_text\",\"text\":\"final\"},{\"type\":\"output_text\",\"text\":\" answer\"}]}],\"usage\":{"
              "\"input_tokens\":1000,\"input_tokens_details\":{\"cached_tokens\":800,\"audio_tokens\":0},"
              "\"output_tokens\":500,\"output_tokens_details\":{\"reasoning_tokens\":300},\"total_tokens\":1500}}"),
          "final answer", "gpt-4o-2024-08-06",
          "input=200,input_cached_tokens=800,output=200,output_reasoning_tokens=300,total=1500" },
        /* an empty output keeps what the deltas built; the model stays the request's */
        { REV("response.completed", ",\"response\":{\"id\":\"resp_2\",\"model\":\"\",\"status\":\"completed\","
              "\"output\":[],\"usage\":{\"input_tokens\":3,\"output_tokens\":1,\"total_tokens\":4}}"),
          "draft", "gpt-4.1", "input=3,output=1,total=4" },
        /* no output member at all: the same */
        { REV("response.completed", ",\"response\":{\"status\":\"completed\",\"usage\":null}"), "draft", "gpt-4.1", "" },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        char body[2048];
        snprintf(body, sizeof body, "%s%s", pre, t[i].tail);
        struct gen_x x = { RESPONSES, RREQ_STREAM, 200, SSE, body, GEN_THIRDS, false };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        CHECKF(g.level == LT_LEVEL_DEFAULT, "case %zu: %s", i, g.status_message);
        CHECKF(gen_str_eq(g.output_text, t[i].text), "case %zu: text %s", i, g.output_text);
        CHECKF(gen_str_eq(g.model, t[i].model), "case %zu: model %s", i, g.model);
        CHECK_STR(g.finish_reason, "completed");
        gen_usage_is(&g, t[i].usage);
        lt_generation_free(&g);
    }
}

static void responses_should_set_the_level_from_the_final_status(void)
{
    CHECK(lt_json_load() == LT_OK);
    struct {
        long status;
        const char *body;
        enum lt_level level;
        const char *want; /* in the status message; NULL: none */
        const char *finish;
    } t[] = {
        { 200, "{\"id\":\"r\",\"status\":\"completed\",\"output\":[]}", LT_LEVEL_DEFAULT, NULL, "completed" },
        { 200, "{\"id\":\"r\",\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"It broke\"},"
               "\"output\":[]}",
          LT_LEVEL_ERROR, "It broke", "failed" },
        { 200, "{\"id\":\"r\",\"status\":\"failed\",\"error\":null,\"output\":[]}", LT_LEVEL_ERROR, "response failed",
          "failed" },
        /* how an answer ended, as chat's finish_reason "length": not an error */
        { 200, "{\"id\":\"r\",\"status\":\"incomplete\",\"incomplete_details\":{\"reason\":\"content_filter\"},"
               "\"output\":[{\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":\"par\"}]}]}",
          LT_LEVEL_DEFAULT, NULL, "incomplete" },
        { 200, "{\"id\":\"r\",\"status\":\"incomplete\",\"incomplete_details\":null,\"output\":[]}", LT_LEVEL_DEFAULT,
          NULL, "incomplete" },
        { 200, "{\"id\":\"r\",\"status\":\"cancelled\",\"output\":[]}", LT_LEVEL_DEFAULT, NULL, "cancelled" },
        { 200, "{\"id\":\"r\",\"object\":\"response\",\"status\":\"queued\",\"background\":true,\"output\":[]}",
          LT_LEVEL_DEFAULT, NULL, "queued" },
        { 200, "{}", LT_LEVEL_WARNING, "response has no output (2 bytes)", NULL },
        { 200, "[1]", LT_LEVEL_WARNING, "response is JSON but not a response object", NULL },
        { 200, "<html>", LT_LEVEL_WARNING, "response is not JSON (6 bytes)", NULL },
        { 200, "", LT_LEVEL_WARNING, "response body is empty", NULL },
        { 400, "{\"error\":{\"message\":\"Unsupported parameter: 'temperature'\",\"type\":\"invalid_request_error\","
               "\"param\":\"temperature\",\"code\":\"unsupported_parameter\"}}",
          LT_LEVEL_ERROR, "Unsupported parameter: 'temperature'", NULL },
        { 429, "", LT_LEVEL_ERROR, "HTTP 429", NULL },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct gen_x x = { RESPONSES, RREQ, t[i].status, JSONCT, t[i].body, GEN_THIRDS, false };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        gen_status_is(&g, t[i].level, t[i].want, "case %zu", i);
        CHECKF(gen_str_eq(g.finish_reason, t[i].finish), "case %zu: finish %s", i, g.finish_reason);
        CHECK_STR(g.model, "gpt-4.1");
        CHECK(g.input_json != NULL);
        lt_generation_free(&g);
    }

    /* in a stream: the final events and error events */
    const char *pre = REV("response.created", ",\"response\":{\"id\":\"r\",\"model\":\"m\",\"status\":\"in_progress\"}")
        REV("response.output_text.delta", ",\"output_index\":0,\"delta\":\"so far\"");
    struct {
        const char *tail;
        enum lt_level level;
        const char *want;
    } s[] = {
        { REV("response.failed", ",\"response\":{\"status\":\"failed\",\"error\":{\"code\":\"rate_limit_exceeded\","
                                 "\"message\":\"Slow down\"}}"),
          LT_LEVEL_ERROR, "Slow down" },
        { REV("response.incomplete", ",\"response\":{\"status\":\"incomplete\",\"incomplete_details\":{\"reason\":"
                                     "\"max_output_tokens\"}}"),
          LT_LEVEL_DEFAULT, NULL },
        { REV("error", ",\"code\":\"server_error\",\"message\":\"Flat error\",\"param\":null"), LT_LEVEL_ERROR,
          "Flat error" },
        { REV("error", ",\"error\":{\"type\":\"server_error\",\"code\":\"boom\",\"message\":\"Nested error\"}"),
          LT_LEVEL_ERROR, "Nested error" },
        { REV("error", ",\"code\":\"server_error\""), LT_LEVEL_ERROR, "error event in the response stream: server_error" },
        { REV("error", ",\"param\":null"), LT_LEVEL_ERROR, "error event in the response stream" },
        { "event: error\ndata: upstream gone\n\n", LT_LEVEL_ERROR, "upstream gone" },
        { "event: error\ndata: {\"message\":\"No type\"}\n\n", LT_LEVEL_ERROR, "No type" },
        { "data: {\"type\":\"error\",\"message\":\"Unnamed\"}\n\n", LT_LEVEL_ERROR, "Unnamed" },
        { "data: {broken\n\n" REV("response.completed", ",\"response\":{\"status\":\"completed\"}"), LT_LEVEL_WARNING,
          "1 of 4 stream events are not JSON" },
        { "data: [DONE]\n\n", LT_LEVEL_WARNING, "stream ended without response.completed" },
    };
    for (size_t i = 0; i < TAP_N(s); i++) {
        char body[2048];
        snprintf(body, sizeof body, "%s%s", pre, s[i].tail);
        struct gen_x x = { RESPONSES, RREQ_STREAM, 200, SSE, body, GEN_THIRDS, false };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        CHECKF(g.level == s[i].level, "stream case %zu: level %d (%s)", i, (int)g.level, g.status_message);
        if (s[i].want)
            CHECKF(g.status_message && strstr(g.status_message, s[i].want), "stream case %zu: %s", i, g.status_message);
        else
            CHECKF(!g.status_message && gen_str_eq(gen_meta(&g, "incomplete_reason"), "max_output_tokens"),
                   "stream case %zu: %s", i, g.status_message);
        CHECK_STR(g.output_text, "so far");
        CHECK_STR(g.response_id, "r");
        lt_generation_free(&g);
    }
    struct gen_x none = { RESPONSES, RREQ_STREAM, 200, SSE, ": keep-alive\n\n", GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&none, &g) == LT_OK);
    CHECK(g.level == LT_LEVEL_WARNING && strstr(g.status_message, "stream holds no events"));
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void responses_should_leave_opaque_payloads_out(void)
{
    CHECK(lt_json_load() == LT_OK);
    char b64[1001];
    memset(b64, 'A', 1000);
    b64[1000] = '\0';
    char body[4096];
    snprintf(body, sizeof body,
             "{\"id\":\"r\",\"model\":\"gpt-oss-120b\",\"status\":\"completed\",\"output\":["
             "{\"id\":\"rs_1\",\"type\":\"reasoning\",\"summary\":[],\"encrypted_content\":\"gAAAAsecret\","
             "\"content\":[{\"type\":\"reasoning_text\",\"text\":\"raw thought\"}]},"
             "{\"id\":\"ig_1\",\"type\":\"image_generation_call\",\"status\":\"completed\",\"result\":\"%s\"},"
             "{\"id\":\"ws_1\",\"type\":\"web_search_call\",\"status\":\"completed\",\"action\":{\"type\":\"search\","
             "\"query\":\"llamas\"}},"
             "{\"id\":\"rs_2\",\"type\":\"reasoning\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"short\"}],"
             "\"content\":[{\"type\":\"reasoning_text\",\"text\":\"long\"}]},"
             "{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\","
             "\"text\":\"Here\",\"annotations\":[{\"type\":\"url_citation\",\"url\":\"https://x\"}]}]}]}",
             b64);
    struct gen_x x = { RESPONSES, RREQ, 200, JSONCT, body, GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK(!strstr(g.output_json, "gAAAA") && !strstr(g.output_json, "AAAAAAAAAAAAAAAA"));
    CHECK_STR(g.output_json,
              "[{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[],\"content\":[{\"type\":\"reasoning_text\","
              "\"text\":\"raw thought\"}]},"
              "{\"id\":\"ig_1\",\"type\":\"image_generation_call\",\"status\":\"completed\","
              "\"result\":\"[base64 omitted: 1000 bytes]\"},"
              "{\"id\":\"ws_1\",\"type\":\"web_search_call\",\"status\":\"completed\",\"action\":{\"type\":\"search\","
              "\"query\":\"llamas\"}},"
              "{\"type\":\"reasoning\",\"id\":\"rs_2\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"short\"}],"
              "\"content\":[{\"type\":\"reasoning_text\",\"text\":\"long\"}]},"
              "{\"type\":\"message\",\"id\":\"m\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\","
              "\"text\":\"Here\"}]}]");
    /* the summary where there is one, the raw reasoning where there is not */
    CHECK_STR(g.reasoning_text, "raw thoughtshort");
    CHECK_STR(g.output_text, "Here");
    CHECK_INT(g.n_tool_calls, 0);
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void completions_should_read_text_only_where_it_belongs(void)
{
    CHECK(lt_json_load() == LT_OK);
    /* chat never reads a choice's `text`; completions never a message */
    const char *mixed = "{\"model\":\"m\",\"choices\":[{\"index\":0,\"text\":\"T\",\"message\":{\"role\":\"assistant\","
                        "\"content\":\"C\"},\"finish_reason\":\"stop\"}]}";
    struct gen_x chat = { OPENAI, REQ, 200, JSONCT, mixed, GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&chat, &g) == LT_OK);
    CHECK_STR(g.output_text, "C");
    CHECK_STR(g.operation, "chat");
    lt_generation_free(&g);
    const char *creq = "{\"model\":\"m\",\"prompt\":\"p\"}";
    struct gen_x text = { COMPLETIONS, creq, 200, JSONCT, mixed, GEN_THIRDS, false };
    CHECK(gen_run(&text, &g) == LT_OK);
    CHECK_STR(g.output_text, "T");
    CHECK_STR(g.output_json, "\"T\"");
    CHECK_STR(g.operation, "text_completion");
    CHECK_INT(g.n_input_messages, 1);
    lt_generation_free(&g);

    /* two streamed choices, interleaved; usage from the last chunk */
    const char *stream =
        "data: {\"id\":\"cmpl-1\",\"model\":\"gpt-3.5-turbo-instruct\",\"choices\":[{\"index\":1,\"text\":\"B1\"}]}\n\n"
        "data: {\"id\":\"cmpl-1\",\"model\":\"gpt-3.5-turbo-instruct\",\"choices\":[{\"index\":0,\"text\":\"A1\"}]}\n\n"
        "data: {\"id\":\"cmpl-1\",\"choices\":[{\"index\":0,\"text\":\"A2\",\"finish_reason\":\"length\"},"
        "{\"index\":1,\"text\":\"\",\"finish_reason\":\"stop\"}]}\n\n"
        "data: {\"id\":\"cmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":3,"
        "\"total_tokens\":5,\"completion_tokens_details\":{\"reasoning_tokens\":0}}}\n\n"
        "data: [DONE]\n\n";
    struct gen_x s = { COMPLETIONS, "{\"model\":\"m\",\"prompt\":\"p\",\"n\":2,\"stream\":true}", 200, SSE, stream,
                       GEN_THIRDS, false };
    CHECK(gen_run(&s, &g) == LT_OK);
    CHECK_STR(g.output_text, "A1A2");
    CHECK_STR(g.output_json, "[\"A1A2\",\"B1\"]");
    CHECK_STR(g.finish_reason, "length");
    CHECK_STR(g.model, "gpt-3.5-turbo-instruct");
    gen_usage_is(&g, "input=2,output=3,output_reasoning_tokens=0,total=5");
    CHECK(g.level == LT_LEVEL_DEFAULT);
    lt_generation_free(&g);

    struct {
        const char *body;
        const char *want;
    } w[] = {
        { "[1]", "response is JSON but not a completion (3 bytes)" },
        { "{\"object\":\"list\"}", "response has no choices" },
    };
    for (size_t i = 0; i < TAP_N(w); i++) {
        struct gen_x x = { COMPLETIONS, creq, 200, JSONCT, w[i].body, GEN_THIRDS, false };
        CHECK(gen_run(&x, &g) == LT_OK);
        CHECKF(g.level == LT_LEVEL_WARNING && strstr(g.status_message, w[i].want), "case %zu: %s", i,
               g.status_message);
        lt_generation_free(&g);
    }
    struct gen_x e = { COMPLETIONS, creq, 429, JSONCT,
                       "{\"error\":{\"message\":\"Rate limit reached for gpt-3.5-turbo-instruct\",\"type\":\"requests\"}}",
                       GEN_THIRDS, false };
    CHECK(gen_run(&e, &g) == LT_OK);
    CHECK(g.level == LT_LEVEL_ERROR && strstr(g.status_message, "Rate limit reached"));
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

/* A float answer of `n` vectors of `dims` numbers. */
static char *embeddings_body(int n, int dims, size_t *len)
{
    size_t cap = (size_t)n * (size_t)dims * 16 + 4096;
    char *b = malloc(cap);
    size_t o = (size_t)snprintf(b, cap, "{\"object\":\"list\",\"data\":[");
    for (int i = 0; i < n; i++) {
        o += (size_t)snprintf(b + o, cap - o, "%s{\"object\":\"embedding\",\"index\":%d,\"embedding\":[", i ? "," : "",
                              i);
        for (int k = 0; k < dims; k++)
            o += (size_t)snprintf(b + o, cap - o, "%s-0.0%07d", k ? "," : "", (i * 7919 + k * 104729) % 10000000);
        o += (size_t)snprintf(b + o, cap - o, "]}");
    }
    o += (size_t)snprintf(b + o, cap - o,
                          "],\"model\":\"text-embedding-3-small\",\"usage\":{\"prompt_tokens\":%d,\"total_tokens\":%d}}",
                          n * 5, n * 5);
    *len = o;
    return b;
}

static void embeddings_should_count_vectors_without_copying_them(void)
{
    CHECK(lt_json_load() == LT_OK);
    count_parses();
    size_t n;
    char *body = embeddings_body(64, 512, &n);
    const char *req = "{\"model\":\"text-embedding-3-small\",\"input\":[\"a\",\"b\"]}";
    struct gen_x x = { EMBEDDINGS, req, 200, JSONCT, body, GEN_THIRDS, false, n };
    struct lt_generation g;
    parse_largest = 0;
    uint64_t a0 = lt_mem_count();
    CHECK(gen_run(&x, &g) == LT_OK);
    uint64_t allocs = lt_mem_count() - a0;
    printf("    %zu-byte answer of 64 x 512 floats: %llu allocations, largest cJSON parse %zu bytes\n", n,
           (unsigned long long)allocs, parse_largest);
    CHECK(parse_largest <= strlen(req)); /* the vectors never reach cJSON */
    CHECK(allocs < 20);
    CHECK_INT(g.n_embeddings, 64);
    CHECK_STR(g.output_json, "{\"embeddings\":64,\"dimensions\":512}");
    CHECK_STR(g.obs_type, "embedding");
    CHECK_STR(g.operation, "embeddings");
    CHECK(g.output_text == NULL && g.reasoning_text == NULL && g.finish_reason == NULL);
    CHECK_INT(g.n_input_messages, 2);
    gen_usage_is(&g, "input=320,total=320");
    CHECK(g.level == LT_LEVEL_DEFAULT);
    lt_generation_free(&g);
    free(body);

    struct {
        const char *body;
        int vectors;
        const char *out; /* NULL: none */
        enum lt_level level;
    } t[] = {
        /* base64 with escaped slashes: the dimension of the decoded bytes */
        { "{\"data\":[{\"embedding\":\"AACAPw\\/AAAAAQA==\"}],\"model\":\"m\"}", 1, "{\"embeddings\":1,\"dimensions\":2}",
          LT_LEVEL_DEFAULT },
        { "{\"data\":[{\"embedding\":\"AACAPwAAAEA=\"},{\"embedding\":\"\"}]}", 2, "{\"embeddings\":2,\"dimensions\":2}",
          LT_LEVEL_DEFAULT },
        /* elements that are no vectors are not counted */
        { "{\"data\":[7,{\"index\":0},{\"embedding\":null},{\"embedding\":[1,2,3]}]}", 1,
          "{\"embeddings\":1,\"dimensions\":3}", LT_LEVEL_DEFAULT },
        /* Ollama's legacy answer */
        { "{\"embedding\":[0.5,0.25,0.125,1]}", 1, "{\"embeddings\":1,\"dimensions\":4}", LT_LEVEL_DEFAULT },
        { "{\"data\":[]}", 0, NULL, LT_LEVEL_WARNING },
        { "{\"object\":\"list\",\"data\":[],\"error\":{\"message\":\"Input too long\"}}", 0, NULL, LT_LEVEL_ERROR },
        { "[]", 0, NULL, LT_LEVEL_WARNING },
        { "data: {}\n\n", 0, NULL, LT_LEVEL_WARNING },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct gen_x y = { EMBEDDINGS, req, 200, JSONCT, t[i].body, GEN_THIRDS, false };
        CHECK(gen_run(&y, &g) == LT_OK);
        CHECKF(g.n_embeddings == t[i].vectors, "case %zu: %d vectors", i, g.n_embeddings);
        CHECKF(gen_str_eq(g.output_json, t[i].out), "case %zu: %s", i, g.output_json);
        CHECKF(g.level == t[i].level, "case %zu: level %d (%s)", i, (int)g.level, g.status_message);
        lt_generation_free(&g);
    }
    CHECK_INT(lt_mem_live_bytes(), 0);
}

/* Embedding answers on each edge between the jscan reading and cJSON's. */
static void embeddings_should_read_edge_documents_alike_with_the_fast_path(void)
{
    CHECK(lt_json_load() == LT_OK);
    count_parses();
    static const char *const docs[] = {
        "{\"data\":[{\"embedding\":[1,2]}],\"model\":\"a\",\"model\":\"\",\"model\":\"b\"}",
        "{\"model\":\"\\u0074e\\/xt\",\"data\":[{\"embedding\":[1]}]}",
        "{\"data\":[{\"embedding\":[1,2]}],\"data\":[{\"embedding\":[1]},{\"embedding\":[3]}]}",
        "{\"data\":[{\"embedding\":[1,2]}],\"data\":null}",
        "{\"data\":[{\"embedding\":[1,2],\"embedding\":\"AAAAAAAA\"}]}",
        "{\"data\":[{\"embedding\":[1,2],\"embedding\":7}]}",
        "{\"data\":[{\"\\u0065mbedding\":[1,2]}]}",
        "{\"\\u0064ata\":[{\"embedding\":[1,2]}]}",
        "{\"data\":[{\"embedding\":[1,[2,3],{\"x\":1},\"s\",null,true]}]}",
        "{\"data\":[{\"embedding\":\"\\u0041\\u0041\\u0041\\u0041\"}]}",
        "{\"data\":[{\"embedding\":\"a\\u0000b\"}]}",
        "{\"data\":[{\"embedding\":[1e400,-0.0,1.5E-7]}]}",
        "{\"data\":[{\"embedding\":[1.12345678901234567890123456789012345]}]}",
        "{\"usage\":{\"prompt_tokens\":1,\"total_tokens\":1},\"usage\":{\"prompt_tokens\":2},\"usage\":null}",
        "{\"usage\":{\"prompt_tokens\":1.5,\"total_tokens\":\"2\",\"prompt_tokens_details\":{\"cached_tokens\":1}}}",
        "{\"error\":{\"message\":\"one\"},\"error\":{\"message\":\"two\"}}",
        "{\"error\":{\"code\":\"x\"},\"error\":\"plain\"}",
        "{\"error\":{},\"data\":[{\"embedding\":[1]}]}",
        "{\"error\":\"just text\"}",
        "{\"embedding\":[1,2,3],\"data\":[{\"embedding\":[1]}]}",
        "{\"embedding\":\"AAAAAAAA\",\"embedding\":[1]}",
        "{\"data\":[{\"embedding\":[1]}]} trailing",
        "{\"data\":[{\"embedding\":[1]}]",
        "{\"data\":[{\"embedding\":[1]},]}",
        "{\"data\":[{\"embedding\":[\x01]}]}",
        "{\"data\":[{\"embedding\":[1]}],\"x\":\"raw\ttab\"}",
        "\xEF\xBB\xBF{\"data\":[{\"embedding\":[1]}]}",
        "{\"n\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
        "]]]]]]]]]]]]]]]]]]]]]]]]]]]]],\"data\":[{\"embedding\":[1]}]}",
        "{}",
        "null",
    };
    int fast = 0;
    for (size_t i = 0; i < TAP_N(docs); i++) {
        char how[64];
        struct gen_x w = { EMBEDDINGS, "{\"model\":\"m\",\"input\":\"x\"}", 200, JSONCT, docs[i], GEN_THIRDS, false };
        snprintf(how, sizeof how, "embeddings edge document %zu", i);
        struct lt_generation a, b;
        lt_jscan_set_fastpath(true);
        parse_largest = 0;
        CHECK(gen_run(&w, &a) == LT_OK);
        fast += parse_largest < strlen(docs[i]);
        lt_jscan_set_fastpath(false);
        CHECK(gen_run(&w, &b) == LT_OK);
        lt_jscan_set_fastpath(true);
        gen_check_same(how, "fast vs cJSON", &a, &b);
        lt_generation_free(&a);
        lt_generation_free(&b);
    }
    printf("    %zu edge documents compared; jscan read %d of them\n", TAP_N(docs), fast);
    CHECK(fast >= (int)TAP_N(docs) / 2);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void openai_should_name_the_azure_deployment_of_every_api(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *res = "https://res.openai.azure.com";
    struct {
        const char *path;
        const char *req;
        const char *body;
        const char *deployment; /* metadata; NULL: none */
        const char *model;
    } t[] = {
        { "/openai/deployments/chat-dep/chat/completions?api-version=2024-10-21",
          "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
          "{\"choices\":[{\"message\":{\"content\":\"x\"}}]}", "chat-dep", "chat-dep" },
        { "/openai/deployments/text-dep/completions?api-version=2024-10-21", "{\"prompt\":\"hi\"}",
          "{\"model\":\"gpt-35-turbo-instruct\",\"choices\":[{\"text\":\"x\"}]}", "text-dep", "gpt-35-turbo-instruct" },
        { "/openai/deployments/emb-dep/embeddings?api-version=2024-10-21", "{\"input\":\"hi\"}",
          "{\"data\":[{\"embedding\":[1]}]}", "emb-dep", "emb-dep" },
        { "/openai/responses?api-version=2025-04-01-preview", "{\"model\":\"resp-dep\",\"input\":\"hi\"}",
          "{\"model\":\"gpt-4.1\",\"status\":\"completed\",\"output\":[]}", "resp-dep", "gpt-4.1" },
        { "/openai/v1/responses", "{\"model\":\"resp-v1\",\"input\":\"hi\"}", "{\"status\":\"completed\",\"output\":[]}",
          "resp-v1", "resp-v1" },
        { "/openai/v1/embeddings", "{\"model\":\"emb-v1\",\"input\":\"hi\"}", "{\"data\":[{\"embedding\":[1]}]}",
          "emb-v1", "emb-v1" },
        { "/openai/v1/chat/completions", "{\"model\":\"chat-v1\",\"messages\":[]}", "{\"choices\":[]}", "chat-v1",
          "chat-v1" },
        { "/openai/v1/completions", "{\"prompt\":\"hi\"}", "{\"choices\":[{\"text\":\"x\"}]}", NULL, NULL },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        char url[256];
        snprintf(url, sizeof url, "%s%s%sapi-key=AZURESECRET99", res, t[i].path, strchr(t[i].path, '?') ? "&" : "?");
        struct gen_x x = { url, t[i].req, 200, JSONCT, t[i].body, GEN_THIRDS, false };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        CHECK_STR(g.provider, "azure");
        CHECKF(gen_str_eq(gen_meta(&g, "azure_deployment"), t[i].deployment), "case %zu: deployment %s", i,
               gen_meta(&g, "azure_deployment"));
        CHECKF(gen_str_eq(g.model, t[i].model), "case %zu: model %s", i, g.model);
        for (int k = 0; k < g.n_meta; k++)
            CHECK(!strstr(g.meta[k].value, "AZURESECRET"));
        lt_generation_free(&g);
    }
    /* elsewhere, a deployment-shaped model is just a model */
    struct gen_x o = { RESPONSES, RREQ, 200, JSONCT, "{\"status\":\"completed\",\"output\":[]}", GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&o, &g) == LT_OK);
    CHECK(gen_meta(&g, "azure_deployment") == NULL);
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* Figures, and a loose bound in the release build. */
static void openai_should_parse_a_call_in_microseconds(void)
{
    load_all();
    const char *names[] = { "openai/chat_plain", "openai/chat_stream_include_usage", "deepseek/chat_stream_usage",
                            "openai/responses_stream", "own/responses_stream_reasoning_function_call",
                            "own/completions_stream_include_usage", "azure/embeddings" };
    const double bound_us[] = { 50, 200, 1500, 500, 1500, 200, 100 };
    for (size_t k = 0; k < TAP_N(names); k++) {
        const struct gen_fx *c = gen_fx_find(&set, names[k]);
        struct lt_generation g;
        uint64_t a0 = lt_mem_count();
        CHECK(gen_fx_run(c, GEN_WHOLE, 0, &g) == LT_OK);
        uint64_t allocs = lt_mem_count() - a0;
        lt_generation_free(&g);
        int reps = 300;
        double t0 = now_us();
        for (int r = 0; r < reps; r++) {
            gen_fx_run(c, GEN_WHOLE, 0, &g);
            lt_generation_free(&g);
        }
        double per = (now_us() - t0) / reps;
        printf("    %-36s %6zu bytes: %7.1f us/call, %3llu allocations\n", c->name, c->body_len, per,
               (unsigned long long)allocs);
#ifndef TEST_SANITIZED
        CHECKF(per < bound_us[k], "%s: %.1f us per call", c->name, per);
#else
        (void)bound_us;
#endif
        CHECKF(allocs < 60, "%s: %llu allocations", c->name, (unsigned long long)allocs);
    }
}

/* "model": "" names nothing: the Azure deployment (or the answer) names it. */
static void openai_should_take_an_empty_model_for_none(void)
{
    CHECK(lt_json_load() == LT_OK);
    struct gen_x x = { "https://r.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=1",
                       "{\"model\":\"\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", 200,
                       "application/json", "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"x\"}}]}",
                       0, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK_STR(g.model, "gpt4o-prod");
    lt_generation_free(&g);
}

static const struct tap_case cases[] = {
    TAP(openai_should_take_an_empty_model_for_none),
    TAP(openai_should_find_every_recorded_case),
    TAP(openai_should_shape_the_output_of_every_api),
    TAP(openai_should_skip_unconfirmed_bodies_on_unknown_hosts),
    TAP(openai_should_split_parameters_from_input_verbatim),
    TAP(openai_should_write_numbers_alike_in_any_locale),
    TAP(openai_should_report_errors_without_secrets),
    TAP(openai_should_warn_when_a_response_does_not_parse),
    TAP(openai_should_read_how_the_body_is_framed),
    TAP(openai_should_flag_error_events_in_a_stream),
    TAP(openai_should_read_every_usage_shape),
    TAP(openai_should_name_the_azure_deployment),
    TAP(openai_should_reassemble_tool_calls_without_an_index),
    TAP(openai_should_read_content_parts_and_refusals),
    TAP(openai_should_survive_every_failed_allocation),
    TAP(generation_should_keep_usage_meta_and_status_bounded),
    TAP(openai_should_read_every_case_alike_with_the_fast_path),
    TAP(openai_should_read_edge_documents_alike_with_the_fast_path),
    TAP(openai_should_match_each_api_path_exactly),
    TAP(openai_should_confirm_every_api_by_its_body_on_unknown_hosts),
    TAP(openai_should_split_each_api_request_into_input_and_parameters),
    TAP(responses_should_assemble_items_from_stream_events),
    TAP(responses_should_prefer_the_completed_response_object),
    TAP(responses_should_set_the_level_from_the_final_status),
    TAP(responses_should_leave_opaque_payloads_out),
    TAP(completions_should_read_text_only_where_it_belongs),
    TAP(embeddings_should_count_vectors_without_copying_them),
    TAP(embeddings_should_read_edge_documents_alike_with_the_fast_path),
    TAP(openai_should_name_the_azure_deployment_of_every_api),
    TAP(openai_should_parse_a_call_in_microseconds),
};

int main(int argc, char **argv)
{
    return tap_main(argc, argv, cases, TAP_N(cases));
}
