/* test_ollama.c — the Ollama module on what the fixtures do not cover
 * (test_fixtures runs the recorded and own exchanges): which URLs match, the
 * request side of both endpoints, how the body is framed, tool calls, usage
 * and durations, errors and warnings, and every allocation failed in turn. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../providers/provider.h"
#include "../../shim/json.h"
#include "../../shim/mem.h"
#include "../lib/gen.h"
#include "../lib/tap.h"

#define CHAT "http://localhost:11434/api/chat"
#define GEN "http://127.0.0.1:11434/api/generate"
#define NDJSON "application/x-ndjson"
#define JSONCT "application/json; charset=utf-8"
#define REQ "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
#define REQ_NOSTREAM "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":false}"
#define LINE(content, extra)                                                                             \
    "{\"model\":\"llama3.2:3b\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":\"assistant\"," \
    "\"content\":\"" content "\"}" extra "}"
#define DONE ",\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":5,\"eval_count\":2"

static void ollama_should_match_its_endpoints(void)
{
    CHECK(lt_json_load() == LT_OK);
    lt_provider_configure(NULL);
    const struct {
        const char *url;
        enum lt_api api;
        bool known;
    } t[] = {
        { CHAT, LT_API_OLLAMA_CHAT, true },
        { GEN, LT_API_OLLAMA_GENERATE, true },
        { "http://gpu-box:11434/api/chat?x=1", LT_API_OLLAMA_CHAT, true },
        { "https://ollama.example.org/api/generate", LT_API_OLLAMA_GENERATE, false },
        { "http://webui.lan:3000/ollama/api/chat", LT_API_OLLAMA_CHAT, false },
        { "http://localhost:11434/api/chat/", LT_API_NONE, false },
        { "http://localhost:11434/api/chats", LT_API_NONE, false },
        { "http://localhost:11434/api/tags", LT_API_NONE, false },
        { "http://localhost:11434/api/embed", LT_API_NONE, false },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct lt_match m;
        bool ok = lt_provider_match_url(t[i].url, &m);
        if (t[i].api == LT_API_NONE) {
            CHECKF(!ok, "%s matched", t[i].url);
            continue;
        }
        CHECKF(ok && m.api == t[i].api, "%s", t[i].url);
        CHECK_STR(m.provider, "ollama");
        CHECKF(m.known_host == t[i].known, "%s: known_host", t[i].url);
    }
}

static void ollama_should_split_parameters_from_input_as_sent(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *req =
        "{\"model\":\"qwen3\",\"options\":{\"temperature\":0.8,\"num_ctx\":4096,\"stop\":[\"</s>\"],\"mirostat\":0},"
        "\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":\"u\",\"images\":[\"aGk=\"]}],"
        "\"tools\":[],\"format\":{\"type\":\"object\"},\"think\":\"high\",\"keep_alive\":-1}";
    struct gen_x x = { CHAT, req, 200, NDJSON, LINE("ok", DONE) "\n", 0, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK(g.stream); /* no "stream": streamed */
    CHECK_STR(g.request_model, "qwen3");
    CHECK_STR(g.model, "llama3.2:3b");
    CHECK_INT(g.n_input_messages, 2);
    CHECK_STR(g.params_json, "{\"temperature\":0.8,\"num_ctx\":4096,\"stop\":[\"</s>\"],\"mirostat\":0,"
                             "\"format\":{\"type\":\"object\"},\"think\":\"high\",\"keep_alive\":-1}");
    CHECK_STR(g.input_json, "{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},"
                            "{\"role\":\"user\",\"content\":\"u\",\"images\":[\"aGk=\"]}],\"tools\":[]}");
    CHECK_STR(g.operation, "chat");
    lt_generation_free(&g);

    const char *greq = "{\"model\":\"m\",\"prompt\":\"p\",\"suffix\":\"s\",\"system\":\"sys\",\"raw\":true,"
                       "\"stream\":false,\"options\":7}";
    struct gen_x y = { GEN, greq, 200, JSONCT, "{\"model\":\"m\",\"response\":\"r\",\"done\":true}", 0, false };
    CHECK(gen_run(&y, &g) == LT_OK);
    CHECK(!g.stream);
    CHECK_INT(g.n_input_messages, 1);
    CHECK_STR(g.params_json, "{\"raw\":true,\"stream\":false,\"options\":7}");
    CHECK_STR(g.input_json, "{\"system\":\"sys\",\"prompt\":\"p\",\"suffix\":\"s\"}");
    CHECK_STR(g.output_json, "{\"response\":\"r\"}");
    CHECK_STR(g.operation, "text_completion");
    lt_generation_free(&g);

    /* a load request: no prompt, nothing counted */
    struct gen_x z = { GEN, "{\"model\":\"m\"}", 200, JSONCT,
                       "{\"model\":\"m\",\"response\":\"\",\"done\":true,\"done_reason\":\"load\"}", 0, false };
    CHECK(gen_run(&z, &g) == LT_OK);
    CHECK_INT(g.n_input_messages, 0);
    CHECK(g.level == LT_LEVEL_DEFAULT && g.output_text == NULL);
    CHECK_STR(g.finish_reason, "load");
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void ollama_should_skip_unconfirmed_bodies_on_other_hosts(void)
{
    CHECK(lt_json_load() == LT_OK);
    const struct {
        const char *url;
        const char *req;
    } t[] = {
        { "https://app.example.com/api/chat", NULL },
        { "https://app.example.com/api/chat", "{\"messages\":[]}" },
        { "https://app.example.com/api/chat", "{\"model\":\"m\",\"messages\":\"hi\"}" },
        { "https://app.example.com/api/chat", "{\"model\":\"m\",\"prompt\":\"hi\"}" },
        { "https://app.example.com/api/generate", "{\"model\":\"m\",\"messages\":[]}" },
        { "https://app.example.com/api/generate", "{\"model\":1,\"prompt\":\"x\"}" },
        { "https://app.example.com/api/generate", "{\"model\":\"m\",\"prompt\":\"x\"" },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct gen_x x = { t[i].url, t[i].req, 200, JSONCT, "{}", 0, false };
        struct lt_generation g;
        CHECKF(gen_run(&x, &g) == LT_ERR_SKIP, "case %zu not skipped", i);
    }
    /* on Ollama's port the body is not needed */
    struct gen_x x = { CHAT, "not json", 200, JSONCT, LINE("y", DONE), 0, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK_STR(g.output_text, "y");
    CHECK(g.input_json == NULL && g.n_input_messages == -1);
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void ollama_should_read_the_body_however_it_is_framed(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *lines = LINE("a", ",\"done\":false") "\n" LINE("b", ",\"done\":false") "\r\n\n" LINE("", DONE) "\n";
    const char *pretty = "{\n  \"model\": \"llama3.2:3b\",\n  \"message\": {\"role\": \"assistant\", \"content\": \"ab\"},\n"
                         "  \"done\": true, \"done_reason\": \"stop\", \"prompt_eval_count\": 5, \"eval_count\": 2\n}\n";
    const char *one = LINE("ab", DONE);
    const struct {
        const char *req;
        const char *ct;
        const char *body;
    } t[] = {
        { REQ, NDJSON, lines },
        { REQ, NULL, lines },               /* no Content-Type: the request streamed */
        { REQ, JSONCT, lines },             /* lines under a JSON label */
        { REQ_NOSTREAM, NULL, lines },
        { REQ_NOSTREAM, JSONCT, one },
        { REQ_NOSTREAM, NULL, one },
        { REQ, NDJSON, one },               /* "stream" absent but one object came */
        { REQ_NOSTREAM, JSONCT, pretty },   /* a proxy that pretty-prints */
        { REQ, "application/jsonl", "\xEF\xBB\xBF" LINE("ab", DONE) },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        for (size_t step = 0; step < 4; step++) {
            struct gen_x x = { CHAT, t[i].req, 200, t[i].ct, t[i].body, step * 3, false };
            struct lt_generation g;
            CHECK(gen_run(&x, &g) == LT_OK);
            CHECKF(g.level == LT_LEVEL_DEFAULT, "case %zu step %zu: %s", i, step, g.status_message);
            CHECKF(gen_str_eq(g.output_text, "ab"), "case %zu: text %s", i, g.output_text);
            CHECK_STR(g.finish_reason, "stop");
            gen_usage_is(&g, "input=5,output=2,total=7");
            lt_generation_free(&g);
        }
    }
}

static void ollama_should_keep_tool_calls_as_sent(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *body =
        "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":["
        "{\"function\":{\"name\":\"a\",\"arguments\":\"{\\\"x\\\": 1}\"}},"
        "{\"function\":{\"name\":\"b\"}},"
        "{\"id\":\"call_1\",\"function\":{\"name\":\"c\",\"arguments\":{\"deep\":[1,{\"k\":\"\\u00e9\"}]}}},"
        "\"not an object\"]},\"done\":true}";
    struct gen_x x = { CHAT, REQ_NOSTREAM, 200, JSONCT, body, 0, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK_INT(g.n_tool_calls, 3);
    CHECK(g.tool_calls[0].id == NULL);
    CHECK_STR(g.tool_calls[0].arguments, "{\"x\": 1}");
    CHECK_STR(g.tool_calls[1].arguments, "{}");
    CHECK_STR(g.tool_calls[2].id, "call_1");
    CHECK_STR(g.tool_calls[2].arguments, "{\"deep\":[1,{\"k\":\"\xC3\xA9\"}]}");
    CHECK_STR(g.output_json, "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":["
                             "{\"function\":{\"name\":\"a\",\"arguments\":\"{\\\"x\\\": 1}\"}},"
                             "{\"function\":{\"name\":\"b\",\"arguments\":{}}},"
                             "{\"id\":\"call_1\",\"function\":{\"name\":\"c\",\"arguments\":{\"deep\":[1,{\"k\":\"\xC3\xA9\"}]}}}]}");
    CHECK(g.output_text == NULL);
    lt_generation_free(&g);
}

static void ollama_should_read_counts_and_durations(void)
{
    CHECK(lt_json_load() == LT_OK);
    const struct {
        const char *tail;
        const char *usage;
        const char *total_ns;
    } t[] = {
        { ",\"total_duration\":123,\"load_duration\":4,\"prompt_eval_count\":10,\"prompt_eval_duration\":5,"
          "\"eval_count\":20,\"eval_duration\":6",
          "input=10,output=20,total=30", "123" },
        /* a prompt served from Ollama's cache is not evaluated: no prompt count */
        { ",\"eval_count\":4,\"total_duration\":9", "output=4,total=4", "9" },
        { ",\"prompt_eval_count\":0,\"eval_count\":0", "input=0,output=0,total=0", NULL },
        { ",\"prompt_eval_count\":-3,\"eval_count\":\"7\",\"total_duration\":-1", "", NULL },
        { "", "", NULL },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        char body[512];
        snprintf(body, sizeof body, "{\"model\":\"m\",\"response\":\"r\",\"done\":true%s}", t[i].tail);
        struct gen_x x = { GEN, "{\"model\":\"m\",\"prompt\":\"p\",\"stream\":false}", 200, JSONCT, body, 0, false };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        gen_usage_is(&g, t[i].usage);
        CHECKF(gen_str_eq(gen_meta(&g, "total_duration_ns"), t[i].total_ns), "case %zu", i);
        lt_generation_free(&g);
    }
    struct gen_x x = { GEN, "{\"model\":\"m\",\"prompt\":\"p\",\"stream\":false}", 200, JSONCT,
                       "{\"model\":\"m\",\"response\":\"r\",\"done\":true," "\"total_duration\":1,\"load_duration\":2,"
                       "\"prompt_eval_duration\":3,\"eval_duration\":4}", 0, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK_STR(gen_meta(&g, "load_duration_ns"), "2");
    CHECK_STR(gen_meta(&g, "prompt_eval_duration_ns"), "3");
    CHECK_STR(gen_meta(&g, "eval_duration_ns"), "4");
    lt_generation_free(&g);
}

static void ollama_should_report_errors(void)
{
    CHECK(lt_json_load() == LT_OK);
    const struct {
        long status;
        const char *ct;
        const char *body;
        const char *want;
    } t[] = {
        { 404, JSONCT, "{\"error\":\"model 'x' not found\"}", "model 'x' not found" },
        { 400, JSONCT, "{\"error\":{\"message\":\"invalid options\"}}", "invalid options" },
        { 500, JSONCT, "{\"oops\":1}", "HTTP 500" },
        { 400, NULL, "", "HTTP 400" },
        { 502, "text/html", "<html><body>\n<h1>502 Bad Gateway</h1>\n</body></html>",
          "HTTP 502: <html><body> <h1>502 Bad Gateway</h1> </body></html>" },
        { 200, JSONCT, "{\"error\":\"llama runner process has terminated: signal: killed\"}", "signal: killed" },
        { 500, NDJSON, LINE("partial", "") "\n{\"error\":\"out of memory\"}\n", "out of memory" },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct gen_x x = { CHAT, REQ, t[i].status, t[i].ct, t[i].body, 0, false };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        gen_status_is(&g, LT_LEVEL_ERROR, t[i].want, "case %zu", i);
        CHECK(!g.has_usage);
        CHECK_STR(g.model, i == 6 ? "llama3.2:3b" : "llama3.2");
        lt_generation_free(&g);
    }
}

static void ollama_should_warn_about_odd_answers(void)
{
    CHECK(lt_json_load() == LT_OK);
    const struct {
        const char *req;
        const char *ct;
        const char *body;
        bool incomplete;
        enum lt_level level;
        const char *want;
    } t[] = {
        { REQ, NDJSON, LINE("a", "") "\n", false, LT_LEVEL_WARNING, "stream ended without \"done\": true" },
        { REQ, NDJSON, LINE("a", "") "\n{\"model\":", true, LT_LEVEL_WARNING, "stream cut short after 2 line(s)" },
        { REQ, NDJSON, LINE("a", DONE) "\n", true, LT_LEVEL_DEFAULT, NULL },
        { REQ, NDJSON, LINE("a", "") "\nnot json\n" LINE("", DONE) "\n", false, LT_LEVEL_WARNING,
          "1 of 3 stream lines are not JSON" },
        { REQ, NDJSON, "\n\n", false, LT_LEVEL_WARNING, "response body is empty" },
        { REQ_NOSTREAM, JSONCT, "", false, LT_LEVEL_WARNING, "response body is empty (0 bytes)" },
        { REQ_NOSTREAM, JSONCT, "[1]", false, LT_LEVEL_WARNING, "not a JSON object" },
        { REQ_NOSTREAM, JSONCT, LINE("a", ""), false, LT_LEVEL_WARNING, "answer ended without \"done\": true" },
        { REQ_NOSTREAM, JSONCT, "{\"model\":\"m\",\"mess", true, LT_LEVEL_WARNING, "response cut short" },
        { REQ_NOSTREAM, JSONCT, LINE("a", "") "\n" LINE("b", "") "\nbad\n", false, LT_LEVEL_WARNING,
          "1 of 3 lines are not JSON" },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct gen_x x = { CHAT, t[i].req, 200, t[i].ct, t[i].body, 0, t[i].incomplete };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        gen_status_is(&g, t[i].level, t[i].want, "case %zu", i);
        CHECK(g.input_json != NULL);
        lt_generation_free(&g);
    }
}

static void ollama_should_survive_every_failed_allocation(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *stream = "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"a\",\"thinking\":\"t\"}}\n"
                         "{\"model\":\"m\",\"message\":{\"content\":\"\",\"tool_calls\":[{\"id\":\"i\",\"function\":"
                         "{\"name\":\"f\",\"arguments\":{\"x\":1}}},{\"function\":{\"name\":\"g\",\"arguments\":\"s\"}}]}}\n"
                         "{\"model\":\"m\",\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":1,"
                         "\"eval_count\":2,\"total_duration\":3,\"load_duration\":4,\"eval_duration\":5}\n";
    const struct gen_x t[] = {
        { CHAT, "{\"model\":\"m\",\"messages\":[],\"tools\":[],\"options\":{\"a\":1},\"format\":\"json\"}", 200, NDJSON,
          stream, 7, false },
        { GEN, "{\"model\":\"m\",\"prompt\":\"p\",\"system\":\"s\",\"stream\":false}", 200, JSONCT,
          "{\"model\":\"m\",\"response\":\"r\",\"thinking\":\"t\",\"done\":true,\"eval_count\":1}", 0, false },
        { CHAT, REQ, 404, JSONCT, "{\"error\":\"nope\"}", 0, false },
        { CHAT, REQ, 200, JSONCT, LINE("a", "") "\n" LINE("b", DONE), 0, true },
    };
    for (size_t k = 0; k < TAP_N(t); k++) {
        char name[32];
        snprintf(name, sizeof name, "case %zu", k);
        gen_survive_failed_allocations(&t[k], name);
    }
}

static const struct tap_case cases[] = {
    TAP(ollama_should_match_its_endpoints),
    TAP(ollama_should_split_parameters_from_input_as_sent),
    TAP(ollama_should_skip_unconfirmed_bodies_on_other_hosts),
    TAP(ollama_should_read_the_body_however_it_is_framed),
    TAP(ollama_should_keep_tool_calls_as_sent),
    TAP(ollama_should_read_counts_and_durations),
    TAP(ollama_should_report_errors),
    TAP(ollama_should_warn_about_odd_answers),
    TAP(ollama_should_survive_every_failed_allocation),
};

int main(int argc, char **argv)
{
    return tap_main(argc, argv, cases, TAP_N(cases));
}
