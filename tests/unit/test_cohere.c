/* test_cohere.c — the Cohere v2 chat module beyond the recorded and own
 * fixtures (test_fixtures runs those whole, split and in pieces): which
 * URLs it takes, the request side, errors in bodies and streams, warnings,
 * every usage shape, odd streams, and every failed allocation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../providers/provider.h"
#include "../../shim/json.h"
#include "../../shim/mem.h"
#include "../lib/gen.h"
#include "../lib/tap.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define TEST_ASAN 1
#endif

#define URL "https://api.cohere.com/v2/chat"
#define REQ "{\"model\":\"command-r\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}"
#define SSE "text/event-stream"

static void setup(void)
{
    CHECK(lt_json_load() == LT_OK);
    lt_provider_configure(NULL);
}

/* One exchange with the v2 chat endpoint: the URL (default URL) must be
 * Cohere's; a status of 0 means 200. */
static enum lt_rc parse(const struct gen_x *c, struct lt_generation *g)
{
    struct gen_x x = *c;
    x.url = x.url ? x.url : URL;
    x.status = x.status ? x.status : 200;
    x.api = LT_API_COHERE_CHAT;
    return gen_run(&x, g);
}

#define START "event: message-start\ndata: {\"id\":\"r1\",\"type\":\"message-start\",\"delta\":{\"message\":{\"role\":\"assistant\"}}}\n\n"
#define TEXT(i, t) "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":" #i ",\"delta\":{\"message\":{\"content\":{\"text\":\"" t "\"}}}}\n\n"
#define END(fr) "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"" fr "\"}}\n\n"

static void cohere_should_match_only_the_v2_chat_path(void)
{
    setup();
    struct lt_match m;
    static const char *const yes[] = { "https://api.cohere.com/v2/chat", "https://api.cohere.ai/v2/chat?x=1",
                                       "https://API.cohere.com/v2/chat#frag" };
    for (size_t i = 0; i < TAP_N(yes); i++) {
        CHECKF(lt_provider_match_url(yes[i], &m), "%s", yes[i]);
        CHECK(m.api == LT_API_COHERE_CHAT && m.known_host);
        CHECK_STR(m.provider, "cohere");
    }
    static const char *const no[] = { "https://api.cohere.com/v2/chat/", "https://api.cohere.com/v2/chats",
                                      "https://api.cohere.com/v1/chat", "https://api.cohere.com/v2/embed",
                                      "https://api.cohere.com/v2/chatv2/chat/x" };
    for (size_t i = 0; i < TAP_N(no); i++)
        CHECKF(!lt_provider_match_url(no[i], &m) || m.api != LT_API_COHERE_CHAT, "%s", no[i]);
    CHECK(lt_provider_match_url("http://10.0.0.5:8080/cohere/v2/chat", &m));
    CHECK(m.api == LT_API_COHERE_CHAT && !m.known_host);
    CHECK_STR(m.provider, "cohere-compatible");
}

static void cohere_should_take_an_unknown_host_only_with_model_and_messages(void)
{
    setup();
    struct lt_generation g;
    static const char *const bodies[] = { NULL, "[]", "{\"messages\":[]}", "{\"model\":\"m\"}",
                                          "{\"model\":1,\"messages\":[]}", "{\"model\":\"m\",\"messages\":\"x\"}" };
    for (size_t i = 0; i < TAP_N(bodies); i++) {
        struct gen_x c = { .url = "http://10.0.0.5:8080/v2/chat", .req = bodies[i], .body = "{}" };
        CHECKF(parse(&c, &g) == LT_ERR_SKIP, "body %zu", i);
    }
    struct gen_x c = { .url = "http://10.0.0.5:8080/v2/chat", .req = "{\"model\":\"m\",\"messages\":[]}",
                       .body = "{\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}}" };
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_STR(g.provider, "cohere-compatible");
    CHECK_STR(g.output_text, "ok");
    CHECK_INT(g.n_input_messages, 0);
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void cohere_should_split_parameters_from_the_conversation(void)
{
    setup();
    struct lt_generation g;
    struct gen_x c = {
        .req = "{\"model\":\"command-a-03-2025\",\"messages\":[{\"role\":\"system\",\"content\":\"s\"},"
               "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"u\"}]}],"
               "\"tools\":[],\"documents\":[\"d\"],\"tool_choice\":\"REQUIRED\",\"temperature\":0.2,\"p\":0.75,\"k\":5,"
               "\"seed\":1,\"max_tokens\":9,\"stop_sequences\":[\"x\"],\"frequency_penalty\":0.1,\"presence_penalty\":0,"
               "\"response_format\":{\"type\":\"json_object\"},\"safety_mode\":\"OFF\"}",
        .body = "{\"message\":{\"role\":\"assistant\",\"content\":[]},\"finish_reason\":\"COMPLETE\"}",
    };
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_STR(g.model, "command-a-03-2025");
    CHECK_STR(g.request_model, "command-a-03-2025");
    CHECK(g.response_model == NULL && !g.stream);
    CHECK_INT(g.n_input_messages, 2);
    CHECK_STR(g.params_json, "{\"temperature\":0.2,\"p\":0.75,\"k\":5,\"seed\":1,\"max_tokens\":9,\"stop_sequences\":[\"x\"],"
                             "\"frequency_penalty\":0.1,\"presence_penalty\":0,\"response_format\":{\"type\":\"json_object\"},"
                             "\"safety_mode\":\"OFF\"}");
    CHECK_STR(g.input_json, "{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":[{\"type\":"
                            "\"text\",\"text\":\"u\"}]}],\"tools\":[],\"documents\":[\"d\"],\"tool_choice\":\"REQUIRED\"}");
    CHECK_STR(g.output_json, "{\"role\":\"assistant\",\"content\":[]}");
    CHECK(g.output_text == NULL && !g.has_usage && g.level == LT_LEVEL_DEFAULT);
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void cohere_should_report_errors_in_bodies(void)
{
    setup();
    static const struct {
        long status;
        const char *body, *want;
    } cases[] = {
        { 429, "{\"id\":\"e1\",\"message\":\"You are using a Trial key, which is limited to 10 API calls / minute.\"}",
          "You are using a Trial key, which is limited to 10 API calls / minute." },
        { 401, "{\"message\":\"invalid api token\"}", "invalid api token" },
        { 400, "{\"error\":{\"message\":\"bad\"}}", "bad" },
        { 422, "{\"detail\":\"unprocessable\"}", "unprocessable" },
        { 500, "<html>\n<b>Internal</b>   Server Error</html>", "HTTP 500: <html> <b>Internal</b> Server Error</html>" },
        { 503, "", "HTTP 503" },
    };
    for (size_t i = 0; i < TAP_N(cases); i++) {
        struct lt_generation g;
        struct gen_x c = { .req = REQ, .status = cases[i].status, .ct = "application/json", .body = cases[i].body, .step = 3 };
        CHECK(parse(&c, &g) == LT_OK);
        CHECK_INT(g.level, LT_LEVEL_ERROR);
        CHECK_STR(g.status_message, cases[i].want);
        CHECK(!g.has_usage && g.output_json == NULL);
        lt_generation_free(&g);
        /* even when the header promised a stream */
        c.ct = SSE;
        CHECK(parse(&c, &g) == LT_OK);
        CHECK_INT(g.level, LT_LEVEL_ERROR);
        lt_generation_free(&g);
    }
    /* an error object with a 200 */
    struct lt_generation g;
    struct gen_x c = { .req = REQ, .body = "{\"message\":\"too many tokens\"}" };
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_INT(g.level, LT_LEVEL_ERROR);
    CHECK_STR(g.status_message, "too many tokens");
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void cohere_should_report_errors_in_a_stream(void)
{
    setup();
    static const struct {
        const char *tail, *want;
    } cases[] = {
        { "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"error\":\"internal server error, this has been "
          "reported to our developers\",\"finish_reason\":\"ERROR\"}}\n\n",
          "internal server error, this has been reported to our developers" },
        { END("ERROR"), "the stream ended with finish_reason ERROR" },
        { "event: error\ndata: {\"message\":\"stream broke\"}\n\n", "stream broke" },
        { "event: error\ndata: upstream timeout\n\n", "upstream timeout" },
        { "data: {\"type\":\"error\",\"message\":\"typed error\"}\n\n", "typed error" },
    };
    for (size_t i = 0; i < TAP_N(cases); i++) {
        char body[1024];
        snprintf(body, sizeof body, "%s%s%s%s", START, TEXT(0, "part"), cases[i].tail,
                 "event: error\ndata: {\"message\":\"second\"}\n\n");
        struct lt_generation g;
        struct gen_x c = { .req = REQ, .ct = SSE, .body = body, .step = 9 };
        CHECK(parse(&c, &g) == LT_OK);
        CHECK_INT(g.level, LT_LEVEL_ERROR);
        CHECK_STR(g.status_message, cases[i].want);
        CHECK_STR(g.output_text, "part");
        lt_generation_free(&g);
    }
    /* an HTTP error status on a stream that says nothing of it */
    struct lt_generation g;
    struct gen_x c = { .req = REQ, .status = 500, .ct = SSE, .body = START TEXT(0, "x") END("COMPLETE") };
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_STR(g.status_message, "HTTP 500");
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void cohere_should_warn_about_streams_that_do_not_finish(void)
{
    setup();
    static const struct {
        const char *body, *want;
    } cases[] = {
        { START TEXT(0, "a"), "stream ended without message-end" },
        { "", "stream holds no events" },
        { ": ping\n\n", "stream holds no events" },
        { START "data: {not json\n\n" TEXT(0, "a") END("COMPLETE"), "1 of 4 stream events are not JSON objects" },
    };
    for (size_t i = 0; i < TAP_N(cases); i++) {
        struct lt_generation g;
        struct gen_x c = { .req = REQ, .ct = SSE, .body = cases[i].body };
        CHECK(parse(&c, &g) == LT_OK);
        gen_status_is(&g, LT_LEVEL_WARNING, cases[i].want, "case %zu", i);
        lt_generation_free(&g);
    }
    /* [DONE] without message-end is a deliberate end */
    struct lt_generation g;
    struct gen_x c = { .req = REQ, .ct = SSE, .body = START TEXT(0, "a") "data: [DONE]\n\n" };
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_INT(g.level, LT_LEVEL_DEFAULT);
    lt_generation_free(&g);
    /* an incomplete transfer: the caller says so */
    c.body = START TEXT(0, "a");
    c.incomplete = true;
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_INT(g.level, LT_LEVEL_DEFAULT);
    CHECK_STR(g.output_text, "a");
    lt_generation_free(&g);
    /* whole answers that are not one */
    static const struct {
        const char *body, *want;
    } whole[] = {
        { "", "response body is empty (0 bytes)" },
        { "[]", "response is not a JSON object (2 bytes)" },
        { "{\"id\":\"x\"}", "response has no message (10 bytes)" },
        { "{\"message\":", "response is not a JSON object (11 bytes)" },
    };
    for (size_t i = 0; i < TAP_N(whole); i++) {
        struct gen_x w = { .req = "{\"model\":\"command\",\"messages\":[]}", .ct = "application/json", .body = whole[i].body };
        CHECK(parse(&w, &g) == LT_OK);
        CHECK_INT(g.level, LT_LEVEL_WARNING);
        CHECK_STR(g.status_message, whole[i].want);
        lt_generation_free(&g);
    }
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void cohere_should_read_every_usage_shape(void)
{
    setup();
    static const struct {
        const char *usage;
        long long in, out, total;
        const char *processed_in, *search, *cached;
    } cases[] = {
        /* billed only */
        { "{\"billed_units\":{\"input_tokens\":3,\"output_tokens\":4}}", 3, 4, 7, NULL, NULL, NULL },
        /* processed only (a private deployment): stands in for billed */
        { "{\"tokens\":{\"input_tokens\":30,\"output_tokens\":40}}", 30, 40, 70, "30", NULL, NULL },
        /* a reported 0 is kept; search units and cache hits to metadata */
        { "{\"billed_units\":{\"input_tokens\":0,\"output_tokens\":5,\"search_units\":1},\"tokens\":{\"input_tokens\":9},"
          "\"cached_tokens\":6}",
          0, 5, 5, "9", "1", "6" },
        /* input only */
        { "{\"billed_units\":{\"input_tokens\":8}}", 8, -1, 8, NULL, NULL, NULL },
        /* an empty object: usage reported, no count */
        { "{}", -1, -1, -1, NULL, NULL, NULL },
    };
    for (size_t i = 0; i < TAP_N(cases); i++) {
        char body[512];
        snprintf(body, sizeof body, "{\"id\":\"x\",\"message\":{\"content\":[]},\"usage\":%s}", cases[i].usage);
        struct lt_generation g;
        struct gen_x c = { .req = REQ, .ct = "application/json", .body = body };
        CHECK(parse(&c, &g) == LT_OK);
        CHECK(g.has_usage);
        CHECK_INT(gen_usage(&g, "input"), cases[i].in);
        CHECK_INT(gen_usage(&g, "output"), cases[i].out);
        CHECK_INT(gen_usage(&g, "total"), cases[i].total);
        CHECK_INT(g.n_usage, (cases[i].in >= 0) + (cases[i].out >= 0) + (cases[i].total >= 0));
        CHECK(cases[i].processed_in ? gen_meta(&g, "processed_input_tokens") &&
                                          !strcmp(gen_meta(&g, "processed_input_tokens"), cases[i].processed_in)
                                    : !gen_meta(&g, "processed_input_tokens"));
        CHECK(cases[i].search ? !strcmp(gen_meta(&g, "search_units"), cases[i].search) : !gen_meta(&g, "search_units"));
        CHECK(cases[i].cached ? !strcmp(gen_meta(&g, "cached_tokens"), cases[i].cached) : !gen_meta(&g, "cached_tokens"));
        lt_generation_free(&g);
    }
    /* the last usage in a stream wins; usage: null says nothing */
    struct lt_generation g;
    struct gen_x c = { .req = REQ, .ct = SSE,
                       .body = START "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"usage\":null}}\n\n" };
    CHECK(parse(&c, &g) == LT_OK);
    CHECK(!g.has_usage && g.n_usage == 0);
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void cohere_should_assemble_parts_and_calls_by_index(void)
{
    setup();
    struct lt_generation g;
    /* parts arrive out of order; deltas without a content-start; a call
     * index with no start; an index past the cap is ignored; type only in
     * the SSE event line */
    struct gen_x c = {
        .req = REQ,
        .ct = NULL,
        .step = 11,
        .body = START TEXT(1, " world") TEXT(0, "Hello") TEXT(1, "!") TEXT(100000, "ignored")
            "event: tool-call-delta\ndata: {\"index\":1,\"delta\":{\"message\":{\"tool_calls\":{\"function\":{\"arguments\":\"{}\"}}}}}\n\n"
            "event: tool-call-start\ndata: {\"type\":\"tool-call-start\",\"index\":0,\"delta\":{\"message\":{\"tool_calls\":"
            "{\"id\":\"c0\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}}}}\n\n"
            "event: tool-call-delta\ndata: {\"type\":\"tool-call-delta\",\"index\":0,\"delta\":{\"message\":{\"tool_calls\":"
            "{\"function\":{\"arguments\":\"{\\\"a\\\":\"}}}}}\n\n"
            "event: tool-call-delta\ndata: {\"type\":\"tool-call-delta\",\"index\":0,\"delta\":{\"message\":{\"tool_calls\":"
            "{\"function\":{\"arguments\":\"1}\"}}}}}\n\n"
            "event: debug\ndata: {\"type\":\"debug\",\"prompt\":\"...\"}\n\n" END("TOOL_CALL") "data: [DONE]\n\n",
    };
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_INT(g.level, LT_LEVEL_DEFAULT);
    CHECK_STR(g.output_text, "Hello world!");
    CHECK_INT(g.n_tool_calls, 2);
    CHECK_STR(g.tool_calls[0].id, "c0");
    CHECK_STR(g.tool_calls[0].name, "f");
    CHECK_STR(g.tool_calls[0].arguments, "{\"a\":1}");
    CHECK(g.tool_calls[1].id == NULL && g.tool_calls[1].name == NULL);
    CHECK_STR(g.tool_calls[1].arguments, "{}");
    CHECK_STR(g.output_json, "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Hello\"},{\"type\":\"text\","
                             "\"text\":\" world!\"}],\"tool_calls\":[{\"id\":\"c0\",\"type\":\"function\",\"function\":"
                             "{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}},{\"id\":null,\"type\":\"function\","
                             "\"function\":{\"name\":null,\"arguments\":\"{}\"}}]}");
    CHECK_STR(g.finish_reason, "TOOL_CALL");
    CHECK_STR(g.response_id, "r1");
    CHECK_STR(gen_meta(&g, "response_id"), "r1");
    lt_generation_free(&g);
    /* a whole answer with parsed arguments, a bare string content and citations */
    c.ct = "application/json";
    c.body = "{\"id\":\"w\",\"message\":{\"role\":\"assistant\",\"content\":\"plain\",\"tool_calls\":[{\"id\":\"t\","
             "\"function\":{\"name\":\"g\",\"arguments\":{\"x\":[1,2]}}}],\"citations\":[{\"start\":0,\"end\":1}]},"
             "\"finish_reason\":\"COMPLETE\"}";
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_STR(g.output_text, "plain");
    CHECK_STR(g.tool_calls[0].arguments, "{\"x\":[1,2]}");
    CHECK(strstr(g.output_json, ",\"citations\":[{\"start\":0,\"end\":1}]}"));
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void cohere_should_keep_invalid_utf8_out_of_the_output(void)
{
    setup();
    struct lt_generation g;
    /* a character split across two deltas is whole again; a stray byte is U+FFFD */
    struct gen_x c = { .req = REQ, .ct = SSE, .body = START TEXT(0, "caf\xC3") TEXT(0, "\xA9 \xFF") END("COMPLETE") };
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_STR(g.output_text, "caf\xC3\xA9 \xEF\xBF\xBD");
    cJSON *j = lt_cj.ParseWithLength(g.output_json, strlen(g.output_json));
    CHECK(j);
    lt_cj.Delete(j);
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void cohere_should_survive_every_failed_allocation(void)
{
    setup();
    static const char *const cases[] = { "v2_chat_stream_tool_calls", "v2_chat_stream_thinking_citations",
                                         "v2_chat_error_404_model" };
    for (size_t k = 0; k < TAP_N(cases); k++) {
        char path[1200];
        size_t n = 0, rn = 0;
        snprintf(path, sizeof path, "%s/tests/fixtures/cohere/%s/response.body", LLMTAP_ROOT, cases[k]);
        char *body = tap_read_file(path, &n);
        snprintf(path, sizeof path, "%s/tests/fixtures/cohere/%s/request.json", LLMTAP_ROOT, cases[k]);
        char *req = tap_read_file(path, &rn);
        CHECK(body && req);
        struct gen_x c = { .url = URL, .req = req, .status = k == 2 ? 404 : 200,
                           .ct = k == 2 ? "application/json" : SSE, .body = body, .step = 17,
                           .api = LT_API_COHERE_CHAT };
        gen_survive_failed_allocations(&c, cases[k]);
        free(body);
        free(req);
    }
#ifdef TEST_ASAN
    CHECKF(__lsan_do_recoverable_leak_check() == 0, "leaks (cJSON or ours)");
#endif
}

static const struct tap_case cases[] = {
    TAP(cohere_should_match_only_the_v2_chat_path),
    TAP(cohere_should_take_an_unknown_host_only_with_model_and_messages),
    TAP(cohere_should_split_parameters_from_the_conversation),
    TAP(cohere_should_report_errors_in_bodies),
    TAP(cohere_should_report_errors_in_a_stream),
    TAP(cohere_should_warn_about_streams_that_do_not_finish),
    TAP(cohere_should_read_every_usage_shape),
    TAP(cohere_should_assemble_parts_and_calls_by_index),
    TAP(cohere_should_keep_invalid_utf8_out_of_the_output),
    TAP(cohere_should_survive_every_failed_allocation),
};

int main(int argc, char **argv)
{
    return tap_main(argc, argv, cases, TAP_N(cases));
}
