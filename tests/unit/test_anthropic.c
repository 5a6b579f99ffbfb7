/* test_anthropic.c — the Anthropic Messages, legacy Text Completions and
 * Bedrock InvokeModel parsers on what the fixtures (shared and
 * tests/fixtures/anthropic, run by test_fixtures) do not cover: which paths
 * match, bodies that must be skipped, request shapes (system as blocks,
 * tools, images, members never exported), odd and malformed answers, error
 * bodies and events, usage updates in a stream, blocks out of order,
 * Bedrock model ids and event-stream chunks (fed to the module's frame
 * callback as hand-made frames), and allocation failures. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../providers/anthropic.h"
#include "../../providers/bedrock.h"
#include "../../providers/framing.h"
#include "../../providers/provider.h"
#include "../../shim/buf.h"
#include "../../shim/json.h"
#include "../../shim/mem.h"
#include "../lib/awsev.h"
#include "../lib/gen.h"
#include "../lib/tap.h"

#define MSGS "https://api.anthropic.com/v1/messages"
#define COMPLETE "https://api.anthropic.com/v1/complete"
#define BEDROCK "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke"
#define BEDROCK_STREAM                                                                                          \
    "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/"  \
    "invoke-with-response-stream"
#define SSE "text/event-stream"
#define JSONCT "application/json"
#define REQ "{\"model\":\"claude-3-5-haiku-latest\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
#define REQ_STREAM                                                                                             \
    "{\"model\":\"claude-3-5-haiku-latest\",\"max_tokens\":64,\"stream\":true,\"messages\":[{\"role\":\"user\"," \
    "\"content\":\"hi\"}]}"
#define ANSWER                                                                                                  \
    "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-3-5-haiku-20241022\","      \
    "\"content\":[{\"type\":\"text\",\"text\":\"hello\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"    \
    "\"usage\":{\"input_tokens\":3,\"output_tokens\":2}}"

/* An SSE stream from event JSON texts: "event: <type>\ndata: <json>\n\n". */
static void sse_add(struct lt_buf *b, const char *event, const char *json)
{
    lt_buf_printf(b, "event: %s\ndata: %s\n\n", event, json);
}

static const char *const msg_start =
    "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_s\",\"type\":\"message\",\"role\":\"assistant\","
    "\"model\":\"claude-x\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":10,"
    "\"cache_read_input_tokens\":5,\"output_tokens\":1}}}";

/* ---- paths ------------------------------------------------------------------ */

static void anthropic_should_match_only_its_paths(void)
{
    lt_provider_configure(NULL);
    struct {
        const char *url;
        enum lt_api api; /* LT_API_NONE: must not be this module's */
        const char *provider;
    } t[] = {
        { MSGS, LT_API_ANTHROPIC_MESSAGES, "anthropic" },
        { MSGS "?beta=true", LT_API_ANTHROPIC_MESSAGES, "anthropic" },
        { "http://127.0.0.1:8080/proxy/v1/messages", LT_API_ANTHROPIC_MESSAGES, "anthropic-compatible" },
        { COMPLETE, LT_API_ANTHROPIC_COMPLETE, "anthropic" },
        { BEDROCK, LT_API_BEDROCK_INVOKE, "bedrock" },
        { BEDROCK_STREAM, LT_API_BEDROCK_INVOKE, "bedrock" },
        { "https://bedrock-runtime-fips.us-east-1.amazonaws.com/model/m/invoke", LT_API_BEDROCK_INVOKE, "bedrock" },
        { "https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com/model/m/invoke", LT_API_BEDROCK_INVOKE, "bedrock" },
        { "https://bedrock-runtime.us-east-1.amazonaws.com/model/arn:aws:bedrock:us-east-1:1:inference-profile/us.x/invoke",
          LT_API_BEDROCK_INVOKE, "bedrock" },
        { "https://api.anthropic.com/v1/messages/count_tokens", LT_API_NONE, NULL },
        { "https://api.anthropic.com/v1/messages/batches", LT_API_NONE, NULL },
        { "https://api.anthropic.com/v1/messagesx", LT_API_NONE, NULL },
        { "https://api.anthropic.com/v1/models", LT_API_NONE, NULL },
        { "https://bedrock-runtime.us-east-1.amazonaws.com/model//invoke", LT_API_NONE, NULL },
        { "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/invoked", LT_API_NONE, NULL },
        { "https://bedrock-runtime.us-east-1.amazonaws.com/models/m/invoke", LT_API_NONE, NULL },
        { "https://bedrock-runtime.us-east-1.amazonaws.com/invoke", LT_API_NONE, NULL },
        { "https://example.com/model/m/invoke-with-response-stream?x=/v1/messages", LT_API_BEDROCK_INVOKE, "bedrock-compatible" },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct lt_match m = { 0 };
        bool hit = lt_provider_match_url(t[i].url, &m);
        if (t[i].api == LT_API_NONE) {
            CHECKF(!hit || (m.api != LT_API_ANTHROPIC_MESSAGES && m.api != LT_API_ANTHROPIC_COMPLETE &&
                            m.api != LT_API_BEDROCK_INVOKE),
                   "%s matched api %d", t[i].url, (int)m.api);
            continue;
        }
        CHECKF(hit && m.api == t[i].api, "%s: api %d, want %d", t[i].url, hit ? (int)m.api : -1, (int)t[i].api);
        CHECKF(gen_str_eq(m.provider, t[i].provider), "%s: provider %s", t[i].url, m.provider);
    }
}

static void anthropic_should_skip_unconfirmed_bodies_on_unknown_hosts(void)
{
    CHECK(lt_json_load() == LT_OK);
    lt_provider_configure(NULL);
    struct {
        const char *url;
        const char *req;
    } bad[] = {
        { "http://10.0.0.9/v1/messages", NULL },
        { "http://10.0.0.9/v1/messages", "" },
        { "http://10.0.0.9/v1/messages", "not json" },
        { "http://10.0.0.9/v1/messages", "[{\"model\":\"m\",\"messages\":[],\"max_tokens\":1}]" },
        { "http://10.0.0.9/v1/messages", "{\"model\":\"m\",\"messages\":[]}" },
        { "http://10.0.0.9/v1/messages", "{\"model\":\"m\",\"max_tokens\":1}" },
        { "http://10.0.0.9/v1/messages", "{\"messages\":[],\"max_tokens\":1}" },
        { "http://10.0.0.9/v1/messages", "{\"model\":1,\"messages\":[],\"max_tokens\":1}" },
        { "http://10.0.0.9/v1/messages", "{\"model\":\"m\",\"messages\":{},\"max_tokens\":1}" },
        { "http://10.0.0.9/v1/messages", "{\"model\":\"m\",\"messages\":[],\"max_tokens\":\"1\"}" },
        { "http://10.0.0.9/v1/complete", "{\"model\":\"m\",\"prompt\":\"p\"}" },
        { "http://10.0.0.9/v1/complete", "{\"model\":\"m\",\"messages\":[],\"max_tokens\":1}" },
        { "http://10.0.0.9/model/m/invoke", "{\"model\":\"m\",\"messages\":[],\"max_tokens\":1}" },
        { "http://10.0.0.9/model/m/invoke", "{\"anthropic_version\":\"v\"}" },
        { "http://10.0.0.9/model/m/invoke", "{\"inputText\":\"hi\"}" },
    };
    for (size_t i = 0; i < TAP_N(bad); i++) {
        struct gen_x x = { bad[i].url, bad[i].req, 200, JSONCT, ANSWER, GEN_THIRDS, false };
        struct lt_generation g;
        CHECKF(gen_run(&x, &g) == LT_ERR_SKIP, "body %zu not skipped", i);
    }
    const char *good[][2] = {
        { "http://10.0.0.9/v1/messages", REQ },
        { "http://10.0.0.9/v1/complete", "{\"model\":\"m\",\"prompt\":\"p\",\"max_tokens_to_sample\":5}" },
        { "http://10.0.0.9/model/m/invoke", "{\"anthropic_version\":\"v\",\"messages\":[],\"max_tokens\":1}" },
        { "http://10.0.0.9/model/m/invoke", "{\"anthropic_version\":\"v\",\"prompt\":\"p\"}" },
    };
    for (size_t i = 0; i < TAP_N(good); i++) {
        struct gen_x x = { good[i][0], good[i][1], 200, JSONCT, ANSWER, GEN_THIRDS, false };
        struct lt_generation g;
        CHECKF(gen_run(&x, &g) == LT_OK, "body %zu skipped", i);
        CHECK_STR(g.output_text, "hello");
        lt_generation_free(&g);
    }
    /* a known host needs no confirmation: an unreadable body still gives a
     * generation from the answer */
    struct gen_x known = { MSGS, "garbage", 200, JSONCT, ANSWER, GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&known, &g) == LT_OK);
    CHECK(g.request_model == NULL && g.input_json == NULL && g.params_json == NULL);
    CHECK(g.n_input_messages == -1);
    CHECK_STR(g.model, "claude-3-5-haiku-20241022");
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

/* ---- requests ---------------------------------------------------------------- */

static void anthropic_should_split_parameters_from_input(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *req =
        "{\"model\":\"claude-opus-4-1\",\"max_tokens\":2048,\"temperature\":0.5,\"top_p\":0.9,\"top_k\":5,"
        "\"stop_sequences\":[\"END\"],\"stream\":false,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024},"
        "\"tool_choice\":{\"type\":\"tool\",\"name\":\"f\"},\"service_tier\":\"auto\","
        "\"metadata\":{\"user_id\":\"u-123\"},"
        "\"mcp_servers\":[{\"type\":\"url\",\"url\":\"https://mcp.example.com\",\"name\":\"x\","
        "\"authorization_token\":\"TOKENSECRET42\"}],\"container\":\"c1\","
        "\"system\":[{\"type\":\"text\",\"text\":\"Be terse.\",\"cache_control\":{\"type\":\"ephemeral\"}}],"
        "\"tools\":[{\"name\":\"f\",\"input_schema\":{\"type\":\"object\"}}],"
        "\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"c \\u00e9\"}]}]}";
    struct gen_x x = { MSGS, req, 200, JSONCT, ANSWER, GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK_STR(g.request_model, "claude-opus-4-1");
    CHECK_STR(g.params_json,
              "{\"max_tokens\":2048,\"temperature\":0.5,\"top_p\":0.9,\"top_k\":5,\"stop_sequences\":[\"END\"],"
              "\"stream\":false,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024},"
              "\"tool_choice\":{\"type\":\"tool\",\"name\":\"f\"},\"service_tier\":\"auto\"}");
    CHECK_STR(g.input_json,
              "{\"system\":[{\"type\":\"text\",\"text\":\"Be terse.\",\"cache_control\":{\"type\":\"ephemeral\"}}],"
              "\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},"
              "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"c \xC3\xA9\"}]}],"
              "\"tools\":[{\"name\":\"f\",\"input_schema\":{\"type\":\"object\"}}]}");
    CHECK_INT(g.n_input_messages, 3); /* the system blocks are not a message */
    CHECK(!g.stream);
    CHECK(!strstr(g.params_json, "TOKENSECRET") && !strstr(g.input_json, "TOKENSECRET"));
    CHECK(!strstr(g.params_json, "u-123") && !strstr(g.input_json, "u-123"));
    lt_generation_free(&g);

    /* Bedrock: anthropic_version and anthropic_beta are transport, the model is the path's */
    const char *breq = "{\"anthropic_version\":\"bedrock-2023-05-31\",\"anthropic_beta\":[\"x\"],\"max_tokens\":9,"
                       "\"system\":\"s\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}";
    struct gen_x b = { BEDROCK, breq, 200, JSONCT, ANSWER, GEN_THIRDS, false };
    CHECK(gen_run(&b, &g) == LT_OK);
    CHECK_STR(g.params_json, "{\"max_tokens\":9}");
    CHECK_STR(g.input_json, "{\"system\":\"s\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}");
    CHECK_STR(g.request_model, "anthropic.claude-3-haiku-20240307-v1:0");
    CHECK_STR(g.model, "claude-3-5-haiku-20241022"); /* the answer's */
    CHECK_STR(gen_meta(&g, "bedrock_model_id"), "anthropic.claude-3-haiku-20240307-v1:0");
    CHECK(!g.stream);
    lt_generation_free(&g);

    /* no parameters at all: no params_json */
    struct gen_x y = { MSGS, "{\"model\":\"m\",\"messages\":[]}", 200, JSONCT, ANSWER, GEN_THIRDS, false };
    CHECK(gen_run(&y, &g) == LT_OK);
    CHECK(g.params_json == NULL);
    CHECK_INT(g.n_input_messages, 0);
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void anthropic_should_keep_large_image_blocks_whole(void)
{
    CHECK(lt_json_load() == LT_OK);
    /* 3 MiB of base64: what a screenshot sends; the exporter replaces it
     * with a placeholder later, the parser keeps the input as sent */
    size_t n = (size_t)3 << 20;
    struct lt_buf req;
    lt_buf_init(&req, 0);
    lt_buf_adds(&req, "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":"
                      "[{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/jpeg\",\"data\":\"");
    for (size_t i = 0; i < n; i++)
        lt_buf_addc(&req, "AZaz09+/"[i % 8]);
    lt_buf_adds(&req, "\"}},{\"type\":\"document\",\"source\":{\"type\":\"base64\",\"media_type\":\"application/pdf\","
                      "\"data\":\"JVBERi0xLjQK\"}},{\"type\":\"text\",\"text\":\"What is this?\"}]}]}");
    CHECK(!req.truncated);
    struct gen_x x = { MSGS, req.data, 200, JSONCT, ANSWER, GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK(g.input_json && strlen(g.input_json) > n);
    CHECK(strstr(g.input_json, "\"media_type\":\"image/jpeg\"") && strstr(g.input_json, "What is this?"));
    CHECK_INT(g.n_input_messages, 1);
    CHECK_STR(g.output_text, "hello");
    lt_generation_free(&g);
    lt_buf_free(&req);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

/* ---- answers ------------------------------------------------------------------ */

static void anthropic_should_warn_when_a_response_does_not_parse(void)
{
    CHECK(lt_json_load() == LT_OK);
    struct {
        const char *url;
        const char *req;
        const char *ct;
        const char *body;
        bool incomplete;
        enum lt_level level;
        const char *want;
    } t[] = {
        { MSGS, REQ, JSONCT, "<html>oops</html>", false, LT_LEVEL_WARNING, "response is not JSON (17 bytes)" },
        { MSGS, REQ, JSONCT, "{\"id\":\"msg_1\",\"content\":[{\"type\":\"text\",\"text\":\"cu", false, LT_LEVEL_WARNING,
          "response is not JSON" },
        { MSGS, REQ, JSONCT, "{\"id\":\"msg_1\",\"content\":[{\"type\":\"text\",\"text\":\"cu", true, LT_LEVEL_WARNING,
          "transfer incomplete" },
        { MSGS, REQ, JSONCT, "{\"object\":\"list\",\"data\":[]}", false, LT_LEVEL_WARNING,
          "JSON but not an Anthropic answer (27 bytes)" },
        { MSGS, REQ, JSONCT, "[1,2]", false, LT_LEVEL_WARNING, "JSON but not an Anthropic answer (5 bytes)" },
        { MSGS, REQ, JSONCT, "", false, LT_LEVEL_WARNING, "response body is empty (0 bytes)" },
        { MSGS, REQ, JSONCT, " \r\n", false, LT_LEVEL_WARNING, "(3 bytes)" },
        { MSGS, REQ_STREAM, SSE, ": nothing but comments\n\n", false, LT_LEVEL_WARNING,
          "stream holds no message or completion events (0 events" },
        { MSGS, REQ_STREAM, SSE, "event: ping\ndata: {\"type\":\"ping\"}\n\n", false, LT_LEVEL_WARNING,
          "stream holds no message or completion events" },
        { MSGS, REQ_STREAM, SSE,
          "event: message_start\ndata: {broken\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", false,
          LT_LEVEL_WARNING, "1 of 2 stream events are not JSON" },
        { COMPLETE, "{\"model\":\"claude-2.1\",\"prompt\":\"p\",\"stream\":true}", SSE,
          "event: completion\ndata: {\"type\":\"completion\",\"completion\":\" a\",\"stop_reason\":null}\n\n", false,
          LT_LEVEL_WARNING, "stream ended without a stop_reason" },
        { MSGS, REQ, JSONCT, "{\"id\":\"m\",\"type\":\"message\",\"content\":[],\"stop_reason\":\"end_turn\"}", false,
          LT_LEVEL_DEFAULT, NULL },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct gen_x x = { t[i].url, t[i].req, 200, t[i].ct, t[i].body, GEN_THIRDS, t[i].incomplete };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        gen_status_is(&g, t[i].level, t[i].want, "case %zu", i);
        CHECK(g.input_json != NULL); /* the request side is always there */
        CHECK(g.request_model != NULL && gen_str_eq(g.model, g.request_model));
        lt_generation_free(&g);
    }
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void anthropic_should_report_errors_without_secrets(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *key_url = MSGS "?key=QUERYSECRET123";
    struct {
        long status;
        const char *ct;
        const char *body;
        const char *want;
        const char *never;
    } t[] = {
        { 401, JSONCT,
          "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key: "
          "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\"}}",
          "authentication_error: invalid x-api-key", "AbCdEfGhIjKl" },
        { 429, JSONCT,
          "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Number of request tokens has "
          "exceeded your per-minute rate limit\"},\"request_id\":\"req_1\"}",
          "rate_limit_error: Number of request tokens", NULL },
        { 400, JSONCT, "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\"}}", "invalid_request_error",
          NULL },
        { 400, JSONCT, "{\"message\":\"Malformed input request\"}", "Malformed input request", NULL },
        { 403, JSONCT, "{\"Message\":\"User is not authorized\"}", "User is not authorized", NULL },
        { 500, JSONCT, "", "HTTP 500", NULL },
        { 502, "text/html", "<html>\r\n<body>  Bad   gateway</body></html>", "HTTP 502: <html> <body> Bad gateway", NULL },
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
        CHECK_STR(g.model, "claude-3-5-haiku-latest");
        CHECK(!g.has_usage && g.output_json == NULL && g.input_json != NULL);
        lt_generation_free(&g);
    }
    /* an error document with status 200 is an error too */
    struct gen_x x = { MSGS, REQ, 200, JSONCT,
                       "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"}}",
                       GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK(g.level == LT_LEVEL_ERROR);
    CHECK_STR(g.status_message, "api_error: Internal server error");
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void anthropic_should_flag_error_events_in_a_stream(void)
{
    CHECK(lt_json_load() == LT_OK);
    struct {
        const char *tail;
        const char *want;
    } t[] = {
        { "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
          "overloaded_error: Overloaded" },
        { "event: error\ndata: upstream went away\n\n", "upstream went away" },
        { "event: error\ndata: {\"unexpected\":1}\n\n", "error event in the response stream" },
        { "data: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal\"}}\n\n", "api_error: Internal" },
        { "event: error\ndata: {\"error\":\"plain\"}\n\n", "plain" },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct lt_buf b;
        lt_buf_init(&b, 0);
        sse_add(&b, "message_start", msg_start);
        sse_add(&b, "content_block_start",
                "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
        sse_add(&b, "content_block_delta",
                "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"so far\"}}");
        lt_buf_adds(&b, t[i].tail);
        struct gen_x x = { MSGS, REQ_STREAM, 200, SSE, b.data, GEN_THIRDS, false };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        gen_status_is(&g, LT_LEVEL_ERROR, t[i].want, "case %zu", i);
        CHECK_STR(g.output_text, "so far");
        CHECK_STR(g.response_id, "msg_s");
        CHECK_STR(g.model, "claude-x");
        lt_generation_free(&g);
        lt_buf_free(&b);
    }
    /* an HTTP error answered as an event stream */
    struct gen_x x = { MSGS, REQ_STREAM, 500, SSE, "event: ping\ndata: {\"type\":\"ping\"}\n\n", GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK(g.level == LT_LEVEL_ERROR);
    CHECK_STR(g.status_message, "HTTP 500");
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void anthropic_should_take_the_last_usage_report(void)
{
    CHECK(lt_json_load() == LT_OK);
    struct {
        const char *delta_usage; /* message_delta's usage, NULL: no message_delta */
        const char *usage;
    } t[] = {
        { "{\"output_tokens\":40}", "input=10,output=40,input_cached_tokens=5,total=55" },
        /* repeated and null counts: numbers replace, null and negative say nothing */
        { "{\"input_tokens\":12,\"cache_read_input_tokens\":null,\"cache_creation_input_tokens\":7,\"output_tokens\":40}",
          "input=12,output=40,input_cached_tokens=5,input_cache_creation=7,total=64" },
        { "{\"input_tokens\":-3,\"output_tokens\":1.5e300}", "input=10,output=1,input_cached_tokens=5,total=16" },
        /* 5m/1h split only: the write is their sum, the split goes to metadata */
        { "{\"output_tokens\":2,\"cache_creation\":{\"ephemeral_5m_input_tokens\":100,\"ephemeral_1h_input_tokens\":20}}",
          "input=10,output=2,input_cached_tokens=5,input_cache_creation=120,total=137" },
        { NULL, "input=10,output=1,input_cached_tokens=5,total=16" },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct lt_buf b;
        lt_buf_init(&b, 0);
        sse_add(&b, "message_start", msg_start);
        if (t[i].delta_usage) {
            char ev[512];
            snprintf(ev, sizeof ev,
                     "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\",\"stop_sequence\":null},"
                     "\"usage\":%s}",
                     t[i].delta_usage);
            sse_add(&b, "message_delta", ev);
        }
        sse_add(&b, "message_stop", "{\"type\":\"message_stop\"}");
        struct gen_x x = { MSGS, REQ_STREAM, 200, SSE, b.data, GEN_THIRDS, false };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        CHECKF(g.level == LT_LEVEL_DEFAULT, "case %zu: %s", i, g.status_message);
        gen_usage_is(&g, t[i].usage);
        if (i == 3) {
            CHECK_STR(gen_meta(&g, "cache_creation_5m_input_tokens"), "100");
            CHECK_STR(gen_meta(&g, "cache_creation_1h_input_tokens"), "20");
        }
        CHECK(t[i].delta_usage ? gen_str_eq(g.finish_reason, "max_tokens") : g.finish_reason == NULL);
        CHECK(g.output_json && !strcmp(g.output_json, "{\"role\":\"assistant\",\"content\":[]}"));
        lt_generation_free(&g);
        lt_buf_free(&b);
    }
    /* whole answer: web search requests and service tier go to metadata */
    struct gen_x x = { MSGS, REQ, 200, JSONCT,
                       "{\"type\":\"message\",\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":2,"
                       "\"server_tool_use\":{\"web_search_requests\":3},\"service_tier\":\"priority\"}}",
                       GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    gen_usage_is(&g, "input=1,output=2,total=3");
    CHECK_STR(gen_meta(&g, "web_search_requests"), "3");
    CHECK_STR(gen_meta(&g, "service_tier"), "priority");
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void anthropic_should_assemble_blocks_by_index(void)
{
    CHECK(lt_json_load() == LT_OK);
    struct lt_buf b;
    lt_buf_init(&b, 0);
    sse_add(&b, "message_start", msg_start);
    /* block 1 (tool) starts before block 0's text arrives; block 2 gets
     * deltas without a start; a server tool and a web search result; a
     * citation; the tool's pieces do not make JSON */
    sse_add(&b, "content_block_start",
            "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\","
            "\"name\":\"calc\",\"input\":{}}}");
    sse_add(&b, "content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"x\\\": \"}}");
    sse_add(&b, "content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Caf\xC3\"}}");
    sse_add(&b, "content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"citations_delta\",\"citation\":"
            "{\"type\":\"char_location\",\"cited_text\":\"c\",\"document_index\":0}}}");
    sse_add(&b, "content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"text_delta\",\"text\":\" end\"}}");
    sse_add(&b, "content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"x\"}}");
    sse_add(&b, "content_block_start",
            "{\"type\":\"content_block_start\",\"index\":3,\"content_block\":{\"type\":\"server_tool_use\",\"id\":\"srvtoolu_1\","
            "\"name\":\"web_search\",\"input\":{}}}");
    sse_add(&b, "content_block_delta",
            "{\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"query\\\":\\\"q\\\"}\"}}");
    sse_add(&b, "content_block_start",
            "{\"type\":\"content_block_start\",\"index\":4,\"content_block\":{\"type\":\"web_search_tool_result\","
            "\"tool_use_id\":\"srvtoolu_1\",\"content\":[{\"type\":\"web_search_result\",\"url\":\"https://e.x\"}]}}");
    sse_add(&b, "content_block_start",
            "{\"type\":\"content_block_start\",\"index\":-1,\"content_block\":{\"type\":\"text\",\"text\":\"never\"}}");
    sse_add(&b, "content_block_start",
            "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
    sse_add(&b, "message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":9}}");
    sse_add(&b, "message_stop", "{\"type\":\"message_stop\"}");
    struct gen_x x = { MSGS, REQ_STREAM, 200, SSE, b.data, GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECKF(g.level == LT_LEVEL_DEFAULT, "%s", g.status_message);
    CHECK_STR(g.output_text, "Caf\xEF\xBF\xBD end"); /* a stray byte becomes U+FFFD */
    CHECK_INT(g.n_tool_calls, 1); /* server_tool_use ran on the server: output_json only */
    CHECK_STR(g.tool_calls[0].id, "toolu_1");
    CHECK_STR(g.tool_calls[0].name, "calc");
    CHECK_STR(g.tool_calls[0].arguments, "{\"x\": ");
    CHECK_STR(g.output_json,
              "{\"role\":\"assistant\",\"content\":["
              "{\"type\":\"text\",\"text\":\"Caf\xEF\xBF\xBD\",\"citations\":[{\"type\":\"char_location\",\"cited_text\":\"c\","
              "\"document_index\":0}]},"
              "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"calc\",\"input\":\"{\\\"x\\\": \"},"
              "{\"type\":\"text\",\"text\":\" end\"},"
              "{\"type\":\"server_tool_use\",\"id\":\"srvtoolu_1\",\"name\":\"web_search\",\"input\":{\"query\":\"q\"}},"
              "{\"type\":\"web_search_tool_result\",\"tool_use_id\":\"srvtoolu_1\",\"content\":[{\"type\":\"web_search_result\","
              "\"url\":\"https://e.x\"}]}]}");
    CHECK_STR(g.finish_reason, "tool_use");
    lt_generation_free(&g);
    lt_buf_free(&b);

    /* a whole answer gives the same pieces */
    const char *whole =
        "{\"id\":\"msg_w\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":["
        "{\"type\":\"thinking\",\"thinking\":\"hm\",\"signature\":\"c2ln\"},{\"type\":\"redacted_thinking\",\"data\":\"eA==\"},"
        "{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"f\",\"input\":{\"k\":[1,2]}},"
        "{\"type\":\"text\",\"text\":\"b\"},{\"type\":\"tool_use\",\"id\":\"t2\",\"name\":\"g\",\"input\":{}}],"
        "\"stop_reason\":\"tool_use\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}";
    struct gen_x y = { MSGS, REQ, 200, JSONCT, whole, GEN_THIRDS, false };
    CHECK(gen_run(&y, &g) == LT_OK);
    CHECK_STR(g.output_text, "ab");
    CHECK_STR(g.reasoning_text, "hm");
    CHECK_INT(g.n_tool_calls, 2);
    CHECK_STR(g.tool_calls[0].arguments, "{\"k\":[1,2]}");
    CHECK_STR(g.tool_calls[1].arguments, "{}");
    CHECK(!strstr(g.output_json, "c2ln") && !strstr(g.output_json, "eA=="));
    CHECK_STR(gen_meta(&g, "redacted_thinking_blocks"), "1");
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void anthropic_should_read_a_json_answer_to_a_stream_request(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *ct[] = { SSE, NULL, "text/event-stream; charset=utf-8" };
    for (size_t i = 0; i < TAP_N(ct); i++) {
        struct gen_x x = { MSGS, REQ_STREAM, 200, ct[i], "\xEF\xBB\xBF\n " ANSWER, GEN_THIRDS, false };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        CHECKF(g.level == LT_LEVEL_DEFAULT, "case %zu: %s", i, g.status_message);
        CHECK_STR(g.output_text, "hello");
        CHECK(g.stream);
        lt_generation_free(&g);
    }
    /* no Content-Type and no stream flag: "event:" says it is a stream */
    struct lt_buf b;
    lt_buf_init(&b, 0);
    sse_add(&b, "message_start", msg_start);
    sse_add(&b, "message_stop", "{\"type\":\"message_stop\"}");
    struct gen_x x = { MSGS, REQ, 200, NULL, b.data, GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECKF(g.level == LT_LEVEL_DEFAULT, "%s", g.status_message);
    CHECK_STR(g.model, "claude-x");
    lt_generation_free(&g);
    lt_buf_free(&b);
}

/* ---- Bedrock InvokeModel ------------------------------------------------------ */

static void bedrock_invoke_should_decode_the_model_id(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *req = "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":5,\"messages\":[]}";
    const char *nomodel = "{\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}]}";
    struct {
        const char *url;
        const char *model;
        bool stream;
    } t[] = {
        { BEDROCK, "anthropic.claude-3-haiku-20240307-v1:0", false },
        { BEDROCK_STREAM, "us.anthropic.claude-3-5-sonnet-20240620-v1:0", true },
        { "https://bedrock-runtime.us-east-1.amazonaws.com/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3A"
          "inference-profile%2Fus.anthropic.claude-3-7-sonnet-20250219-v1%3A0/invoke?key=QSECRET",
          "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0", false },
        { "https://bedrock-runtime.us-east-1.amazonaws.com/model/arn:aws:bedrock:us-east-1:1:application-inference-profile/"
          "abc/invoke",
          "arn:aws:bedrock:us-east-1:1:application-inference-profile/abc", false },
        { "https://bedrock-runtime.us-east-1.amazonaws.com/model/bad%zz%4%/invoke", "bad%zz%4%", false },
        { "https://bedrock-runtime.us-east-1.amazonaws.com/model/nul%00byte%C3/invoke#frag",
          "nul\xEF\xBF\xBD" "byte\xEF\xBF\xBD", false },
        { "https://bedrock-runtime.us-east-1.amazonaws.com/model/m%2Fx/invoke-with-response-stream?a=/model/y/invoke",
          "m/x", true },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct gen_x x = { t[i].url, req, 200, JSONCT, nomodel, GEN_THIRDS, false };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        CHECKF(gen_str_eq(g.model, t[i].model), "case %zu: model %s, want %s", i, g.model, t[i].model);
        CHECK_STR(gen_meta(&g, "bedrock_model_id"), t[i].model);
        CHECKF(g.stream == t[i].stream, "case %zu: stream", i);
        CHECK(!strstr(g.model, "QSECRET"));
        CHECK_STR(g.output_text, "x");
        lt_generation_free(&g);
    }
    CHECK_INT(lt_mem_live_bytes(), 0);
}

struct br_call {
    void *state;
    struct lt_generation g;
    unsigned long long frames;
};

static void br_start(struct br_call *c, const char *url, const char *req, long status)
{
    memset(c, 0, sizeof *c);
    c->g.n_input_messages = -1;
    struct lt_parse_in in = { LT_API_BEDROCK_INVOKE, "bedrock", true, url, req, strlen(req), status,
                              "application/vnd.amazon.eventstream" };
    CHECK(lt_bedrock_invoke_ops.request(&in, &c->g, &c->state) == LT_OK);
    CHECK_INT(lt_bedrock_invoke_ops.framing(c->state, "application/vnd.amazon.eventstream", 0),
              LT_FRAMING_AWS_EVENTSTREAM);
}

/* One frame as the AWS event-stream framer delivers it. */
static void br_frame(struct br_call *c, const char *message_type, const char *event, const char *payload)
{
    struct lt_frame f = { event, strlen(event), message_type, strlen(message_type), payload, strlen(payload) };
    lt_bedrock_invoke_ops.frame(c->state, &c->g, &f);
    c->frames++;
}

/* A chunk event carrying one Anthropic event, as Bedrock wraps it. */
static void br_chunk(struct br_call *c, const char *event_json)
{
    struct lt_buf p;
    lt_buf_init(&p, 0);
    lt_buf_adds(&p, "{\"bytes\":\"");
    awsev_b64(&p, event_json, strlen(event_json));
    lt_buf_adds(&p, "\",\"p\":\"abcdefghijklmnopqrstuvwxyzABCDEF\"}");
    br_frame(c, "event", "chunk", p.data);
    lt_buf_free(&p);
}

static void br_end(struct br_call *c, bool complete)
{
    struct lt_parse_end e = { .complete = complete, .http_status = 200, .framed = true, .bytes = 1000,
                              .frames = c->frames };
    CHECK(lt_bedrock_invoke_ops.end(c->state, &e, &c->g) == LT_OK);
    lt_bedrock_invoke_ops.free(c->state);
}

static void bedrock_invoke_should_read_event_stream_chunks(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *req = "{\"anthropic_version\":\"bedrock-2023-05-31\",\"max_tokens\":100,\"temperature\":0,"
                      "\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]}";
    struct br_call c;
    br_start(&c, BEDROCK_STREAM, req, 200);
    CHECK(c.g.stream);
    br_chunk(&c, "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_bdrk_01\",\"type\":\"message\",\"role\":\"assistant\","
                 "\"model\":\"claude-3-5-sonnet-20240620\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
                 "\"usage\":{\"input_tokens\":11,\"output_tokens\":1}}}");
    br_chunk(&c, "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
    br_frame(&c, "event", "initial-response", "{}");         /* not a chunk: ignored */
    br_chunk(&c, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi \xE2\x82\"}}");
    br_chunk(&c, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\xAC!\"}}");
    br_chunk(&c, "{\"type\":\"content_block_stop\",\"index\":0}");
    br_chunk(&c, "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
                 "\"usage\":{\"output_tokens\":6}}");
    br_chunk(&c, "{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":11,"
                 "\"outputTokenCount\":6,\"invocationLatency\":512,\"firstByteLatency\":230}}");
    br_end(&c, true);
    CHECKF(c.g.level == LT_LEVEL_DEFAULT, "%s", c.g.status_message);
    CHECK_STR(c.g.output_text, "Hi \xE2\x82\xAC!"); /* a character split across chunks */
    CHECK_STR(c.g.model, "claude-3-5-sonnet-20240620");
    CHECK_STR(c.g.request_model, "us.anthropic.claude-3-5-sonnet-20240620-v1:0");
    CHECK_STR(c.g.params_json, "{\"max_tokens\":100,\"temperature\":0}");
    CHECK_STR(c.g.finish_reason, "end_turn");
    CHECK_STR(c.g.response_id, "msg_bdrk_01");
    gen_usage_is(&c.g, "input=11,output=6,total=17");
    CHECK_STR(gen_meta(&c.g, "bedrock_invocation_latency_ms"), "512");
    CHECK_STR(gen_meta(&c.g, "bedrock_first_byte_latency_ms"), "230");
    lt_generation_free(&c.g);

    /* an exception frame mid-stream: ERROR, the text so far kept */
    br_start(&c, BEDROCK_STREAM, req, 200);
    br_chunk(&c, "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_bdrk_02\",\"model\":\"claude-x\",\"content\":[],"
                 "\"usage\":{\"input_tokens\":4,\"output_tokens\":1}}}");
    br_chunk(&c, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"par\"}}");
    br_frame(&c, "exception", "throttlingException", "{\"message\":\"Too many requests, please wait before trying again.\"}");
    br_end(&c, true);
    CHECK(c.g.level == LT_LEVEL_ERROR);
    CHECK_STR(c.g.status_message, "throttlingException: Too many requests, please wait before trying again.");
    CHECK_STR(c.g.output_text, "par");
    lt_generation_free(&c.g);

    /* chunks that do not unwrap: counted, warned; an error frame without a payload */
    br_start(&c, BEDROCK_STREAM, req, 200);
    br_chunk(&c, "{\"type\":\"message_start\",\"message\":{\"id\":\"m3\",\"content\":[]}}");
    br_frame(&c, "event", "chunk", "{\"bytes\":\"!!notbase64\"}");
    br_frame(&c, "event", "chunk", "{\"bytes\":\"QQ\"}");        /* "A": not JSON */
    br_frame(&c, "event", "chunk", "not json");
    br_frame(&c, "event", "chunk", "{\"bytes\":7}");
    br_chunk(&c, "{\"type\":\"message_stop\"}");
    br_end(&c, true);
    CHECK(c.g.level == LT_LEVEL_WARNING);
    CHECK_STR(c.g.status_message, "4 of 6 stream events are not JSON (1000 bytes)");
    lt_generation_free(&c.g);

    br_start(&c, BEDROCK_STREAM, req, 200);
    br_frame(&c, "error", "", "");
    br_end(&c, true);
    CHECK(c.g.level == LT_LEVEL_ERROR);
    CHECK_STR(c.g.status_message, "event stream error");
    CHECK_STR(c.g.model, "us.anthropic.claude-3-5-sonnet-20240620-v1:0"); /* from the path */
    lt_generation_free(&c.g);

    /* an error message: the framer gives :error-code as event, :error-message as data */
    br_start(&c, BEDROCK_STREAM, req, 200);
    br_frame(&c, "error", "InternalFailure", "The stream broke \xE2\x82");
    br_end(&c, true);
    CHECK(c.g.level == LT_LEVEL_ERROR);
    CHECK_STR(c.g.status_message, "InternalFailure: The stream broke \xEF\xBF\xBD");
    lt_generation_free(&c.g);

    /* a legacy body streamed: usage only from Bedrock's metrics */
    const char *lreq = "{\"anthropic_version\":\"bedrock-2023-05-31\",\"prompt\":\"\\n\\nHuman: hi\\n\\nAssistant:\","
                       "\"max_tokens_to_sample\":50}";
    br_start(&c, BEDROCK_STREAM, lreq, 200);
    br_chunk(&c, "{\"completion\":\" Hel\",\"stop_reason\":null,\"stop\":null}");
    br_chunk(&c, "{\"completion\":\"lo\",\"stop_reason\":\"stop_sequence\",\"stop\":\"\\n\\nHuman:\","
                 "\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":9,\"outputTokenCount\":3,"
                 "\"invocationLatency\":100,\"firstByteLatency\":50}}");
    br_end(&c, true);
    CHECK_STR(c.g.output_text, " Hello");
    gen_usage_is(&c.g, "input=9,output=3,total=12");
    CHECK_STR(c.g.output_json, "{\"role\":\"assistant\",\"content\":\" Hello\"}");
    CHECK_INT(c.g.n_input_messages, 1);
    /* Bedrock's legacy chunks carry no "type": the stream is judged by its stop_reason */
    CHECKF(c.g.level == LT_LEVEL_DEFAULT, "%s", c.g.status_message);
    lt_generation_free(&c.g);

    /* cut before message_stop */
    br_start(&c, BEDROCK_STREAM, req, 200);
    br_chunk(&c, "{\"type\":\"message_start\",\"message\":{\"id\":\"m5\",\"model\":\"claude-x\",\"content\":[]}}");
    br_end(&c, false);
    CHECK(c.g.level == LT_LEVEL_WARNING);
    CHECK(strstr(c.g.status_message, "stream ended before message_stop"));
    lt_generation_free(&c.g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void bedrock_invoke_should_choose_its_framing(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *req = "{\"anthropic_version\":\"v\",\"messages\":[]}";
    struct {
        const char *url;
        long status;
        const char *ct;
        int first;
        int want;
    } t[] = {
        { BEDROCK_STREAM, 200, "application/vnd.amazon.eventstream", 0, LT_FRAMING_AWS_EVENTSTREAM },
        { BEDROCK_STREAM, 200, NULL, 0, LT_FRAMING_AWS_EVENTSTREAM },
        { BEDROCK_STREAM, 200, NULL, '{', LT_FRAMING_NONE },
        { BEDROCK_STREAM, 400, "application/json", '{', LT_FRAMING_NONE },
        { BEDROCK_STREAM, 500, NULL, '<', LT_FRAMING_NONE },
        { BEDROCK_STREAM, 200, NULL, -1, LT_FRAMING_NONE },
        { BEDROCK, 200, "application/json", '{', LT_FRAMING_NONE },
        { BEDROCK, 200, NULL, 'x', LT_FRAMING_NONE },
        { BEDROCK, 200, "application/vnd.amazon.eventstream", 0, LT_FRAMING_AWS_EVENTSTREAM },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct lt_generation g = { 0 };
        void *state = NULL;
        struct lt_parse_in in = { LT_API_BEDROCK_INVOKE, "bedrock", true, t[i].url, req, strlen(req), t[i].status,
                                  t[i].ct };
        CHECK(lt_bedrock_invoke_ops.request(&in, &g, &state) == LT_OK);
        CHECKF(lt_bedrock_invoke_ops.framing(state, t[i].ct, t[i].first) == t[i].want, "case %zu", i);
        lt_bedrock_invoke_ops.free(state);
        lt_generation_free(&g);
    }
    /* a stream request whose answer is one JSON error document */
    struct gen_x x = { BEDROCK_STREAM, req, 400, "application/json",
                       "{\"message\":\"Malformed input request: #: required key [max_tokens] not found\"}",
                       GEN_THIRDS, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK(g.level == LT_LEVEL_ERROR);
    CHECK(strstr(g.status_message, "Malformed input request"));
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

/* ---- allocation failures ---------------------------------------------------------- */

struct alloc_case {
    const char *dir; /* under the shared fixtures, or "own:" + tests/fixtures/anthropic */
    const char *url;
    const char *ct;
    long status;
};

static void anthropic_should_survive_every_failed_allocation(void)
{
    CHECK(lt_json_load() == LT_OK);
    lt_provider_configure(NULL);
    const struct alloc_case t[] = {
        { "anthropic/messages_stream_tool_use", MSGS, SSE, 200 },
        { "anthropic/messages_thinking", MSGS, JSONCT, 200 },
        { "anthropic/complete_legacy", COMPLETE, JSONCT, 200 },
        { "bedrock/anthropic_invoke_model", BEDROCK, JSONCT, 200 },
        { "errors/anthropic_400_invalid_request", MSGS, JSONCT, 400 },
        { "own:stream_thinking_signature", MSGS, SSE, 200 },
        { "own:complete_stream", COMPLETE, SSE, 200 },
    };
    for (size_t k = 0; k < TAP_N(t); k++) {
        char dir[2048], path[2100];
        if (!strncmp(t[k].dir, "own:", 4))
            snprintf(dir, sizeof dir, "%s/tests/fixtures/anthropic/%s", LLMTAP_ROOT, t[k].dir + 4);
        else
            snprintf(dir, sizeof dir, "%s/%s", tap_fixtures_dir(), t[k].dir);
        size_t rn = 0, bn = 0;
        snprintf(path, sizeof path, "%s/request.json", dir);
        char *req = tap_read_file(path, &rn);
        snprintf(path, sizeof path, "%s/response.body", dir);
        char *body = tap_read_file(path, &bn);
        CHECKF(req && body, "%s: files missing", dir);
        /* in 61-byte pieces, the transfer complete */
        struct gen_x x = { t[k].url, req, t[k].status, t[k].ct, body, 61, false, bn, rn };
        gen_survive_failed_allocations(&x, t[k].dir);
        free(req);
        free(body);
    }
}

static const struct tap_case cases[] = {
    TAP(anthropic_should_match_only_its_paths),
    TAP(anthropic_should_skip_unconfirmed_bodies_on_unknown_hosts),
    TAP(anthropic_should_split_parameters_from_input),
    TAP(anthropic_should_keep_large_image_blocks_whole),
    TAP(anthropic_should_warn_when_a_response_does_not_parse),
    TAP(anthropic_should_report_errors_without_secrets),
    TAP(anthropic_should_flag_error_events_in_a_stream),
    TAP(anthropic_should_take_the_last_usage_report),
    TAP(anthropic_should_assemble_blocks_by_index),
    TAP(anthropic_should_read_a_json_answer_to_a_stream_request),
    TAP(bedrock_invoke_should_decode_the_model_id),
    TAP(bedrock_invoke_should_read_event_stream_chunks),
    TAP(bedrock_invoke_should_choose_its_framing),
    TAP(anthropic_should_survive_every_failed_allocation),
};

int main(int argc, char **argv)
{
    return tap_main(argc, argv, cases, TAP_N(cases));
}
