/* test_bedrock.c — the Bedrock Converse / ConverseStream module beyond the
 * recorded and own fixtures (test_fixtures runs those whole, split and in
 * pieces): which URLs it takes, the model from the path, the request side,
 * exception and error messages, damaged event streams, prompt routers,
 * odd tool input, usage without a total, and every failed allocation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../providers/provider.h"
#include "../../shim/json.h"
#include "../../shim/mem.h"
#include "../lib/awsev.h"
#include "../lib/gen.h"
#include "../lib/tap.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define TEST_ASAN 1
#endif

#define URL_STREAM "https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-pro-v1%3A0/converse-stream"
#define URL_WHOLE "https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-pro-v1%3A0/converse"
#define REQ "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}"
#define CT_STREAM "application/vnd.amazon.eventstream"

/* ---- building event streams ---------------------------------------------- */

struct stream {
    unsigned char b[16384];
    size_t n;
};

/* A message with the given :message-type and the name under `name_hdr`;
 * returns its offset. */
static size_t msg(struct stream *s, const char *mtype, const char *name_hdr, const char *name, const char *payload)
{
    struct awsev_hdrs h = { .n = 0 };
    if (name_hdr)
        awsev_hdr_str(&h, name_hdr, name);
    awsev_hdr_str(&h, ":content-type", "application/json");
    if (mtype)
        awsev_hdr_str(&h, ":message-type", mtype);
    size_t pl = strlen(payload);
    CHECK(s->n + 16 + h.n + pl <= sizeof s->b);
    return awsev_message(s->b, &s->n, &h, payload, pl);
}

static size_t ev(struct stream *s, const char *event, const char *payload)
{
    return msg(s, "event", ":event-type", event, payload);
}

static void text_stream(struct stream *s, const char *text)
{
    char p[512];
    ev(s, "messageStart", "{\"role\":\"assistant\"}");
    snprintf(p, sizeof p, "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"%s\"}}", text);
    ev(s, "contentBlockDelta", p);
    ev(s, "contentBlockStop", "{\"contentBlockIndex\":0}");
}

static void end_stream(struct stream *s)
{
    ev(s, "messageStop", "{\"stopReason\":\"end_turn\"}");
    ev(s, "metadata", "{\"usage\":{\"inputTokens\":5,\"outputTokens\":7,\"totalTokens\":12},\"metrics\":{\"latencyMs\":42}}");
}

/* ---- running a call -------------------------------------------------------- */

/* One exchange with a Converse endpoint (the URL must be one); a status of
 * 0 means 200. */
static enum lt_rc parse(const struct gen_x *c, struct lt_generation *g)
{
    struct gen_x x = *c;
    x.status = x.status ? x.status : 200;
    x.api = LT_API_BEDROCK_CONVERSE;
    return gen_run(&x, g);
}

static void setup(void)
{
    CHECK(lt_json_load() == LT_OK);
    lt_provider_configure(NULL);
}

/* ---- the cases -------------------------------------------------------------- */

static void bedrock_should_match_only_the_converse_paths(void)
{
    setup();
    struct lt_match m;
    static const char *const yes[] = {
        URL_WHOLE,
        URL_STREAM,
        "https://bedrock-runtime.eu-central-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1:0/converse",
        "https://bedrock-runtime-fips.us-east-1.amazonaws.com/model/x/converse?a=b#c",
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Aprompt-router%2Fanthropic.claude%3A1/converse",
    };
    for (size_t i = 0; i < TAP_N(yes); i++) {
        CHECKF(lt_provider_match_url(yes[i], &m), "%s", yes[i]);
        CHECK(m.api == LT_API_BEDROCK_CONVERSE);
        CHECK_STR(m.provider, "bedrock");
        CHECK(m.known_host);
    }
    static const char *const no[] = {
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/x/converse/",
        "https://bedrock-runtime.us-east-1.amazonaws.com/model//converse",
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/converse",
        "https://bedrock-runtime.us-east-1.amazonaws.com/v1/model/x/converse",
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/x/y/converse",
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/x/converse-streams",
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/x/conversestream",
        "https://bedrock-runtime.us-east-1.amazonaws.com/models/x/converse",
    };
    for (size_t i = 0; i < TAP_N(no); i++)
        CHECKF(!lt_provider_match_url(no[i], &m) || m.api != LT_API_BEDROCK_CONVERSE, "%s", no[i]);
    /* the path shape on a host we do not know: the body must confirm it */
    CHECK(lt_provider_match_url("http://127.0.0.1:4566/model/m/converse", &m));
    CHECK(m.api == LT_API_BEDROCK_CONVERSE && !m.known_host);
    CHECK_STR(m.provider, "bedrock-compatible");
}

static void bedrock_should_take_an_unknown_host_only_with_messages(void)
{
    setup();
    struct lt_generation g;
    struct gen_x c = { .url = "http://127.0.0.1:4566/model/m/converse", .req = "{\"input\":\"x\"}", .body = "{}", .body_len = 2 };
    CHECK(parse(&c, &g) == LT_ERR_SKIP);
    c.req = NULL;
    CHECK(parse(&c, &g) == LT_ERR_SKIP);
    c.req = "not json";
    CHECK(parse(&c, &g) == LT_ERR_SKIP);
    c.req = REQ;
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_STR(g.provider, "bedrock-compatible");
    CHECK_STR(g.model, "m");
    lt_generation_free(&g);
    /* a known host takes any body, even none */
    struct gen_x k = { .url = URL_WHOLE, .req = NULL, .body = "{}", .body_len = 2 };
    CHECK(parse(&k, &g) == LT_OK);
    CHECK(g.input_json == NULL && g.params_json == NULL && g.n_input_messages == -1);
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void bedrock_should_decode_the_model_and_never_copy_the_query(void)
{
    setup();
    struct lt_generation g;
    struct gen_x c = {
        .url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
               "arn%3aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.meta.llama3-2-1b-instruct-v1%3A0"
               "/converse?X-Amz-Security-Token=SECRETSECRET&X-Amz-Signature=abc",
        .req = REQ,
        .status = 500,
        .body = "oops",
        .body_len = 4,
    };
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_STR(g.model, "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-2-1b-instruct-v1:0");
    CHECK_STR(g.request_model, g.model);
    CHECK(!g.stream);
    CHECK(g.status_message && !strstr(g.status_message, "SECRET"));
    lt_generation_free(&g);
    /* a bad escape stays as it is; invalid UTF-8 becomes U+FFFD */
    c.url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/a%zz%4%ff/converse-stream";
    c.status = 200;
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_STR(g.model, "a%zz%4\xEF\xBF\xBD");
    CHECK(g.stream);
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void bedrock_should_flatten_parameters_and_keep_the_conversation(void)
{
    setup();
    struct lt_generation g;
    struct gen_x c = {
        .url = URL_WHOLE,
        .req = "{\"additionalModelRequestFields\":{\"top_k\":40,\"temperature\":9,\"reasoning_config\":{\"type\":\"enabled\"}},"
               "\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]},{\"role\":\"assistant\",\"content\":[{\"text\":\"b\"}]},"
               "{\"role\":\"user\",\"content\":[{\"text\":\"c\"}]}],"
               "\"inferenceConfig\":{\"maxTokens\":100,\"temperature\":0.25,\"topP\":1,\"stopSequences\":[\"END\"]},"
               "\"toolConfig\":{\"tools\":[],\"toolChoice\":{\"auto\":{}}},"
               "\"system\":[{\"text\":\"be brief\"}],"
               "\"performanceConfig\":{\"latency\":\"optimized\"},"
               "\"guardrailConfig\":{\"guardrailIdentifier\":\"g\"},\"requestMetadata\":{\"k\":\"v\"}}",
        .body = "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[]}},\"stopReason\":\"end_turn\"}",
    };
    c.body_len = strlen(c.body);
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_STR(g.params_json, "{\"maxTokens\":100,\"temperature\":0.25,\"topP\":1,\"stopSequences\":[\"END\"],\"top_k\":40,"
                             "\"reasoning_config\":{\"type\":\"enabled\"},\"performanceConfig\":{\"latency\":\"optimized\"}}");
    CHECK_INT(g.n_input_messages, 3);
    CHECK(g.input_json && !strncmp(g.input_json, "{\"system\":[{\"text\":\"be brief\"}],\"messages\":[", 44));
    CHECK(strstr(g.input_json, "\"toolConfig\":{\"tools\":[],\"toolChoice\":{\"auto\":{}}}}"));
    CHECK(!strstr(g.input_json, "guardrail") && !strstr(g.params_json, "guardrail"));
    CHECK_STR(g.output_json, "{\"role\":\"assistant\",\"content\":[]}");
    CHECK(g.output_text == NULL && g.level == LT_LEVEL_DEFAULT && !g.has_usage);
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void bedrock_should_report_exceptions_in_a_stream(void)
{
    setup();
    static const struct {
        const char *type, *payload, *want;
    } cases[] = {
        { "throttlingException", "{\"message\":\"Too many requests, please wait before trying again.\"}",
          "throttlingException: Too many requests, please wait before trying again." },
        { "validationException", "{\"message\":\"messages.0: text is empty\"}", "validationException: messages.0: text is empty" },
        { "internalServerException", "{}", "internalServerException" },
        { "", "", "exception in the response stream" },
        { "serviceUnavailableException", "not json", "serviceUnavailableException: not json" },
    };
    for (size_t i = 0; i < TAP_N(cases); i++) {
        struct stream s = { .n = 0 };
        text_stream(&s, "partial");
        msg(&s, "exception", ":exception-type", cases[i].type, cases[i].payload);
        /* a second exception does not replace the first */
        msg(&s, "exception", ":exception-type", "otherException", "{\"message\":\"later\"}");
        struct lt_generation g;
        struct gen_x c = { .url = URL_STREAM, .req = REQ, .ct = CT_STREAM, .body = s.b, .body_len = s.n, .step = 5 };
        CHECK(parse(&c, &g) == LT_OK);
        CHECK_INT(g.level, LT_LEVEL_ERROR);
        CHECK_STR(g.status_message, cases[i].want);
        CHECK_STR(g.output_text, "partial");
        lt_generation_free(&g);
    }
    /* an error message: its code and its text */
    struct stream s = { .n = 0 };
    text_stream(&s, "x");
    struct awsev_hdrs h = { .n = 0 };
    awsev_hdr_str(&h, ":message-type", "error");
    awsev_hdr_str(&h, ":error-code", "InternalFailure");
    awsev_hdr_str(&h, ":error-message", "The request processing has failed");
    awsev_message(s.b, &s.n, &h, NULL, 0);
    struct lt_generation g;
    struct gen_x c = { .url = URL_STREAM, .req = REQ, .ct = CT_STREAM, .body = s.b, .body_len = s.n };
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_INT(g.level, LT_LEVEL_ERROR);
    CHECK_STR(g.status_message, "InternalFailure: The request processing has failed");
    lt_generation_free(&g);
    /* an exception event without a message type */
    s.n = 0;
    text_stream(&s, "y");
    msg(&s, NULL, ":event-type", "modelStreamErrorException", "{\"message\":\"boom\",\"originalStatusCode\":500}");
    c.body_len = s.n;
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_STR(g.status_message, "modelStreamErrorException: boom");
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void bedrock_should_warn_about_a_damaged_stream_and_keep_the_text(void)
{
    setup();
    struct lt_generation g;
    struct stream s = { .n = 0 };
    text_stream(&s, "kept");
    size_t bad = ev(&s, "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\" lost\"}}");
    ev(&s, "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\" too\"}}");
    end_stream(&s);
    struct gen_x c = { .url = URL_STREAM, .req = REQ, .ct = CT_STREAM, .body = s.b, .body_len = s.n, .step = 3 };

    /* a payload byte flipped: that message is skipped, the rest is read */
    s.b[s.n - 30] ^= 0; /* (the untouched stream first) */
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_STR(g.output_text, "kept lost too");
    CHECK_INT(g.level, LT_LEVEL_DEFAULT);
    CHECK_STR(gen_meta(&g, "latency_ms"), "42");
    CHECK_STR(g.finish_reason, "end_turn");
    lt_generation_free(&g);
    unsigned char *m = s.b + bad;
    uint32_t total = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
    m[total - 8] ^= 0x01;
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_STR(g.output_text, "kept too");
    CHECK_INT(g.level, LT_LEVEL_WARNING);
    CHECK(strstr(g.status_message, "1 event-stream messages were skipped"));
    CHECK_INT(gen_usage(&g, "total"), 12);
    lt_generation_free(&g);
    m[total - 8] ^= 0x01;

    /* a prelude flipped: nothing after it can be read */
    m[5] ^= 0x01;
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_STR(g.output_text, "kept");
    CHECK_INT(g.level, LT_LEVEL_WARNING);
    CHECK(strstr(g.status_message, "event stream is corrupt"));
    CHECK(!g.has_usage && g.finish_reason == NULL);
    lt_generation_free(&g);
    m[5] ^= 0x01;

    /* a payload that is not JSON */
    struct stream t = { .n = 0 };
    text_stream(&t, "a");
    ev(&t, "contentBlockDelta", "{not json");
    end_stream(&t);
    c.body = t.b;
    c.body_len = t.n;
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_INT(g.level, LT_LEVEL_WARNING);
    CHECK(strstr(g.status_message, "1 of 6 stream events are not JSON"));
    lt_generation_free(&g);

    /* no messageStop; then no metadata; then nothing at all */
    t.n = 0;
    text_stream(&t, "a");
    ev(&t, "metadata", "{\"usage\":{\"inputTokens\":1,\"outputTokens\":1,\"totalTokens\":2}}");
    c.body_len = t.n;
    CHECK(parse(&c, &g) == LT_OK);
    CHECK(g.status_message && !strncmp(g.status_message, "stream ended without messageStop (", 34));
    CHECK(g.has_usage);
    lt_generation_free(&g);
    t.n = 0;
    text_stream(&t, "a");
    ev(&t, "messageStop", "{\"stopReason\":\"max_tokens\"}");
    c.body_len = t.n;
    CHECK(parse(&c, &g) == LT_OK);
    CHECK(g.status_message && !strncmp(g.status_message, "stream ended without metadata (", 31));
    CHECK_STR(g.finish_reason, "max_tokens");
    lt_generation_free(&g);
    c.body = NULL;
    c.body_len = 0;
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_STR(g.status_message, "stream holds no events (0 bytes)");
    CHECK(g.output_json == NULL);
    lt_generation_free(&g);
    /* an incomplete transfer: the caller says so; the parser keeps quiet */
    c.body = t.b;
    c.body_len = t.n - 10;
    c.incomplete = true;
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_INT(g.level, LT_LEVEL_DEFAULT);
    CHECK_STR(g.output_text, "a");
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void bedrock_should_report_error_bodies(void)
{
    setup();
    static const struct {
        long status;
        const char *body, *want;
    } cases[] = {
        { 400, "{\"message\":\"Malformed input request, please reformat your input and try again.\"}",
          "Malformed input request, please reformat your input and try again." },
        { 403, "{\"Message\":\"User: arn:aws:iam::1:user/x is not authorized\"}", "User: arn:aws:iam::1:user/x is not authorized" },
        { 400, "{\"__type\":\"com.amazon.coral.validate#ValidationException\",\"message\":\"bad\"}", "ValidationException: bad" },
        { 429, "{\"__type\":\"ThrottlingException\"}", "ThrottlingException" },
        { 500, "<html><body>\n\n  Internal   error</body></html>", "HTTP 500: <html><body> Internal error</body></html>" },
        { 502, "", "HTTP 502" },
        { 404, "{}", "HTTP 404: {}" },
    };
    for (size_t i = 0; i < TAP_N(cases); i++) {
        struct lt_generation g;
        struct gen_x c = { .url = URL_WHOLE, .req = REQ, .status = cases[i].status, .ct = "application/json",
                           .body = cases[i].body, .body_len = strlen(cases[i].body), .step = 2 };
        CHECK(parse(&c, &g) == LT_OK);
        CHECK_INT(g.level, LT_LEVEL_ERROR);
        CHECK_STR(g.status_message, cases[i].want);
        CHECK(!g.has_usage && g.output_json == NULL);
        lt_generation_free(&g);
        /* the same on the stream endpoint: an error is a JSON document */
        c.url = URL_STREAM;
        CHECK(parse(&c, &g) == LT_OK);
        CHECK_STR(g.status_message, cases[i].want);
        lt_generation_free(&g);
    }
    /* a long non-JSON body is quoted, cut on a character boundary */
    char body[600];
    memset(body, 'a', sizeof body);
    memcpy(body + 198, "\xC3\xA9\xC3\xA9", 4);
    struct lt_generation g;
    struct gen_x c = { .url = URL_WHOLE, .req = REQ, .status = 500, .body = body, .body_len = sizeof body };
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_INT(strlen(g.status_message), strlen("HTTP 500: ") + 198 + 2);
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void bedrock_should_warn_when_a_whole_answer_does_not_parse(void)
{
    setup();
    static const struct {
        const char *body, *want;
    } cases[] = {
        { "", "response body is empty (0 bytes)" },
        { "[1,2]", "response is not a JSON object (5 bytes)" },
        { "{\"output\":", "response is not a JSON object (10 bytes)" },
        { "{\"stopReason\":\"end_turn\"}", "response has no output message (25 bytes)" },
    };
    for (size_t i = 0; i < TAP_N(cases); i++) {
        struct lt_generation g;
        struct gen_x c = { .url = URL_WHOLE, .req = REQ, .ct = "application/json", .body = cases[i].body,
                           .body_len = strlen(cases[i].body) };
        CHECK(parse(&c, &g) == LT_OK);
        CHECK_INT(g.level, LT_LEVEL_WARNING);
        CHECK_STR(g.status_message, cases[i].want);
        CHECK_STR(g.model, "amazon.nova-pro-v1:0");
        lt_generation_free(&g);
    }
    /* a 200 that carries an error object */
    struct lt_generation g;
    const char *b = "{\"message\":\"Too many tokens\"}";
    struct gen_x c = { .url = URL_WHOLE, .req = REQ, .body = b, .body_len = strlen(b) };
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_INT(g.level, LT_LEVEL_ERROR);
    CHECK_STR(g.status_message, "Too many tokens");
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void bedrock_should_name_the_model_a_prompt_router_chose(void)
{
    setup();
    struct lt_generation g;
    const char *b = "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"hi\"}]}},"
                    "\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":3,\"outputTokens\":1,\"totalTokens\":4},"
                    "\"trace\":{\"promptRouter\":{\"invokedModelId\":\"arn:aws:bedrock:us-east-1:1:inference-profile/"
                    "us.anthropic.claude-3-5-haiku-20241022-v1:0\"}}}";
    struct gen_x c = {
        .url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3A"
               "default-prompt-router%2Fanthropic.claude%3A1/converse",
        .req = REQ, .body = b, .body_len = strlen(b),
    };
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_STR(g.model, "arn:aws:bedrock:us-east-1:1:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0");
    CHECK_STR(g.response_model, g.model);
    CHECK_STR(g.request_model, "arn:aws:bedrock:us-east-1:1:default-prompt-router/anthropic.claude:1");
    lt_generation_free(&g);
    /* and in a stream's metadata event */
    struct stream s = { .n = 0 };
    text_stream(&s, "hi");
    ev(&s, "messageStop", "{\"stopReason\":\"end_turn\"}");
    ev(&s, "metadata", "{\"usage\":{\"inputTokens\":3,\"outputTokens\":1,\"totalTokens\":4},"
                       "\"trace\":{\"promptRouter\":{\"invokedModelId\":\"m-chosen\"}}}");
    c.url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/router/converse-stream";
    c.ct = CT_STREAM;
    c.body = s.b;
    c.body_len = s.n;
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_STR(g.model, "m-chosen");
    CHECK_INT(g.level, LT_LEVEL_DEFAULT);
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void bedrock_should_assemble_blocks_by_index_and_keep_odd_input(void)
{
    setup();
    struct stream s = { .n = 0 };
    ev(&s, "messageStart", "{\"role\":\"assistant\"}");
    /* two tool calls interleaved, a text block after them in index order */
    ev(&s, "contentBlockStart", "{\"contentBlockIndex\":2,\"start\":{\"toolUse\":{\"toolUseId\":\"t2\",\"name\":\"b\"}}}");
    ev(&s, "contentBlockStart", "{\"contentBlockIndex\":1,\"start\":{\"toolUse\":{\"toolUseId\":\"t1\",\"name\":\"a\"}}}");
    ev(&s, "contentBlockDelta", "{\"contentBlockIndex\":2,\"delta\":{\"toolUse\":{\"input\":\"{\\\"q\\\":\"}}}");
    ev(&s, "contentBlockDelta", "{\"contentBlockIndex\":1,\"delta\":{\"toolUse\":{\"input\":\"{} trailing\"}}}");
    ev(&s, "contentBlockDelta", "{\"contentBlockIndex\":2,\"delta\":{\"toolUse\":{\"input\":\"2}\"}}}");
    ev(&s, "contentBlockStart", "{\"contentBlockIndex\":3,\"start\":{\"toolUse\":{\"toolUseId\":\"t3\",\"name\":\"c\"}}}");
    ev(&s, "contentBlockDelta", "{\"contentBlockIndex\":4,\"delta\":{\"toolUse\":{\"input\":\"{broken\"}}}");
    ev(&s, "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Calling.\"}}");
    ev(&s, "contentBlockDelta", "{\"contentBlockIndex\":99999,\"delta\":{\"text\":\"ignored\"}}");
    ev(&s, "contentBlockDelta", "{\"contentBlockIndex\":5,\"delta\":{\"reasoningContent\":{\"redactedContent\":\"AAAA\"}}}");
    ev(&s, "messageStop", "{\"stopReason\":\"tool_use\"}");
    ev(&s, "metadata", "{\"usage\":{\"inputTokens\":10,\"outputTokens\":20,\"cacheReadInputTokens\":0}}");
    struct lt_generation g;
    struct gen_x c = { .url = URL_STREAM, .req = REQ, .ct = NULL, .body = s.b, .body_len = s.n, .step = 7 };
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_STR(g.output_text, "Calling.");
    CHECK_INT(g.n_tool_calls, 4);
    CHECK_STR(g.tool_calls[0].id, "t1");
    CHECK_STR(g.tool_calls[0].arguments, "{} trailing");
    CHECK_STR(g.tool_calls[1].arguments, "{\"q\":2}");
    CHECK_STR(g.tool_calls[2].arguments, "{}");
    CHECK(g.tool_calls[3].id == NULL && g.tool_calls[3].name == NULL);
    CHECK_STR(g.tool_calls[3].arguments, "{broken");
    CHECK_STR(g.output_json,
              "{\"role\":\"assistant\",\"content\":[{\"text\":\"Calling.\"},"
              "{\"toolUse\":{\"toolUseId\":\"t1\",\"name\":\"a\",\"input\":{}}},"
              "{\"toolUse\":{\"toolUseId\":\"t2\",\"name\":\"b\",\"input\":{\"q\":2}}},"
              "{\"toolUse\":{\"toolUseId\":\"t3\",\"name\":\"c\",\"input\":{}}},"
              "{\"toolUse\":{\"toolUseId\":null,\"name\":null,\"input\":\"{broken\"}},"
              "{\"reasoningContent\":{\"redactedContent\":\"[omitted]\"}}]}");
    CHECK(g.reasoning_text == NULL);
    /* no totalTokens: the sum of the keys; a reported 0 is kept */
    CHECK_INT(gen_usage(&g, "input"), 10);
    CHECK_INT(gen_usage(&g, "input_cached_tokens"), 0);
    CHECK_INT(gen_usage(&g, "total"), 30);
    CHECK_INT(g.n_usage, 4);
    CHECK_STR(g.finish_reason, "tool_use");
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void bedrock_should_keep_other_whole_blocks_as_they_came(void)
{
    setup();
    const char *b = "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":["
                    "{\"citationsContent\":{\"content\":[{\"text\":\"cited\"}]}},{\"text\":\"A\"},{\"text\":\"B\"},"
                    "{\"reasoningContent\":{\"reasoningText\":{\"text\":\"why\"}}}]}},"
                    "\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":1,\"outputTokens\":2,\"totalTokens\":3}}";
    struct lt_generation g;
    struct gen_x c = { .url = URL_WHOLE, .req = REQ, .body = b, .body_len = strlen(b) };
    CHECK(parse(&c, &g) == LT_OK);
    CHECK_STR(g.output_text, "AB");
    CHECK_STR(g.reasoning_text, "why");
    CHECK_STR(g.output_json, "{\"role\":\"assistant\",\"content\":[{\"citationsContent\":{\"content\":[{\"text\":\"cited\"}]}},"
                             "{\"text\":\"A\"},{\"text\":\"B\"},{\"reasoningContent\":{\"reasoningText\":{\"text\":\"why\"}}}]}");
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void bedrock_should_survive_every_failed_allocation(void)
{
    setup();
    char path[1200];
    size_t n = 0, rn = 0, wn = 0;
    snprintf(path, sizeof path, "%s/tests/fixtures/bedrock/converse_stream_tool_use_reasoning/response.body", LLMTAP_ROOT);
    char *body = tap_read_file(path, &n);
    snprintf(path, sizeof path, "%s/tests/fixtures/bedrock/converse_stream_tool_use_reasoning/request.json", LLMTAP_ROOT);
    char *req = tap_read_file(path, &rn);
    snprintf(path, sizeof path, "%s/tests/fixtures/bedrock/converse_tool_use_reasoning/response.body", LLMTAP_ROOT);
    char *whole = tap_read_file(path, &wn);
    CHECK(body && req && whole);
    struct gen_x calls[] = {
        { .url = URL_STREAM, .req = req, .status = 200, .ct = CT_STREAM, .body = body, .body_len = n, .step = 13,
          .api = LT_API_BEDROCK_CONVERSE },
        { .url = URL_WHOLE, .req = req, .status = 200, .ct = "application/json", .body = whole, .body_len = wn,
          .api = LT_API_BEDROCK_CONVERSE },
    };
    for (size_t k = 0; k < TAP_N(calls); k++)
        gen_survive_failed_allocations(&calls[k], calls[k].url);
    free(body);
    free(req);
    free(whole);
#ifdef TEST_ASAN
    CHECKF(__lsan_do_recoverable_leak_check() == 0, "leaks (cJSON or ours)");
#endif
}

static const struct tap_case cases[] = {
    TAP(bedrock_should_match_only_the_converse_paths),
    TAP(bedrock_should_take_an_unknown_host_only_with_messages),
    TAP(bedrock_should_decode_the_model_and_never_copy_the_query),
    TAP(bedrock_should_flatten_parameters_and_keep_the_conversation),
    TAP(bedrock_should_report_exceptions_in_a_stream),
    TAP(bedrock_should_warn_about_a_damaged_stream_and_keep_the_text),
    TAP(bedrock_should_report_error_bodies),
    TAP(bedrock_should_warn_when_a_whole_answer_does_not_parse),
    TAP(bedrock_should_name_the_model_a_prompt_router_chose),
    TAP(bedrock_should_assemble_blocks_by_index_and_keep_odd_input),
    TAP(bedrock_should_keep_other_whole_blocks_as_they_came),
    TAP(bedrock_should_survive_every_failed_allocation),
};

int main(int argc, char **argv)
{
    return tap_main(argc, argv, cases, TAP_N(cases));
}
