/* test_gemini.c — the Gemini / Vertex module on what the fixtures do not
 * cover (test_fixtures runs the recorded and own exchanges): which URLs
 * match, the request side, how the body is framed, every kind of part,
 * usage shapes, errors, blocks and warnings, secrets in the URL, and every
 * allocation failed in turn. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../providers/provider.h"
#include "../../shim/json.h"
#include "../../shim/mem.h"
#include "../lib/gen.h"
#include "../lib/tap.h"

#define GEMINI "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
#define GSTREAM "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent"
#define JSONCT "application/json; charset=UTF-8"
#define SSE "text/event-stream"
#define REQ "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}"
#define ANSWER(text, extra)                                                                                   \
    "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"" text "\"}],\"role\":\"model\"}" extra "}],"    \
    "\"modelVersion\":\"gemini-2.5-flash-001\",\"responseId\":\"r1\"}"

static void gemini_should_match_its_endpoints_only(void)
{
    CHECK(lt_json_load() == LT_OK);
    lt_provider_configure(NULL);
    const struct {
        const char *url;
        const char *provider; /* NULL: no match (or another API's) */
    } t[] = {
        { GEMINI, "gemini" },
        { GSTREAM "?alt=sse&key=AIzaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "gemini" },
        { "https://generativelanguage.googleapis.com/v1/models/gemini-pro:generateContent", "gemini" },
        { "https://generativelanguage.googleapis.com/v1beta/tunedModels/my-tuned-7:generateContent", "gemini" },
        { "https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google/models/"
          "gemini-2.5-pro:streamGenerateContent?alt=sse", "vertex" },
        { "https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/europe-west4/publishers/google/"
          "models/gemini-2.0-flash:generateContent", "vertex" },
        { "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/endpoints/"
          "1234567890:generateContent", "vertex" },
        { "http://127.0.0.1:9000/v1beta/models/gemini-2.0-flash:generateContent", "gemini-compatible" },
        { "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:countTokens", NULL },
        { "https://generativelanguage.googleapis.com/v1beta/models/text-embedding-004:embedContent", NULL },
        { "https://generativelanguage.googleapis.com/v1beta/models", NULL },
        { "https://generativelanguage.googleapis.com/v1beta/models/:generateContent", NULL },
        { "https://generativelanguage.googleapis.com/v1beta/models/a/b:generateContent", NULL },
        { "https://generativelanguage.googleapis.com/v1beta/files/abc:generateContent", NULL },
        { "https://example.com/x?next=/models/m:generateContent", NULL },
        { "https://example.com/generateContent", NULL },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct lt_match m;
        bool ok = lt_provider_match_url(t[i].url, &m);
        if (!t[i].provider) {
            CHECKF(!ok || m.api != LT_API_GEMINI, "%s matched", t[i].url);
            continue;
        }
        CHECKF(ok && m.api == LT_API_GEMINI, "%s did not match", t[i].url);
        CHECKF(!strcmp(m.provider, t[i].provider), "%s: provider %s", t[i].url, m.provider);
    }
}

static void gemini_should_take_the_model_from_the_path_never_the_query(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *body = "{\"error\":{\"code\":403,\"message\":\"Method doesn't allow unregistered callers\","
                       "\"status\":\"PERMISSION_DENIED\"}}";
    const struct {
        const char *url;
        const char *model;
    } t[] = {
        { GEMINI "?key=AIzaSyQUERYSECRETQUERYSECRETQUERYSECR", "gemini-2.5-flash" },
        { "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent"
          "?key=AIzaSyQUERYSECRETQUERYSECRETQUERYSECR&alt=sse#frag:x",
          "gemini-2.0-flash" },
        { "https://generativelanguage.googleapis.com/v1beta/tunedModels/pelican-tuned-42:generateContent"
          "?key=QUERYSECRET",
          "pelican-tuned-42" },
        { "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/endpoints/"
          "555:generateContent?access_token=QUERYSECRET",
          "555" },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct gen_x x = { t[i].url, REQ, 403, JSONCT, body, 0, false };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        CHECK_STR(g.model, t[i].model);
        CHECK(g.level == LT_LEVEL_ERROR);
        CHECK(strstr(g.status_message, "unregistered callers"));
        const char *fields[] = { g.model, g.params_json, g.input_json, g.output_json, g.status_message };
        for (size_t k = 0; k < TAP_N(fields); k++)
            CHECKF(!fields[k] || !strstr(fields[k], "QUERYSECRET"), "case %zu: the key leaked", i);
        for (int k = 0; k < g.n_meta; k++)
            CHECK(!strstr(g.meta[k].value, "QUERYSECRET"));
        lt_generation_free(&g);
    }
    /* a model named in the body wins over the URL's, "models/" dropped */
    struct gen_x x = { GEMINI, "{\"model\":\"models/gemini-1.5-pro\",\"contents\":[]}", 500, JSONCT, "", 0, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK_STR(g.request_model, "gemini-1.5-pro");
    CHECK_STR(g.model, "gemini-1.5-pro");
    CHECK_STR(g.status_message, "HTTP 500");
    lt_generation_free(&g);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void gemini_should_split_parameters_from_input_as_sent(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *req =
        "{\"safetySettings\":[{\"category\":\"HARM_CATEGORY_HARASSMENT\",\"threshold\":\"BLOCK_NONE\"}],"
        "\"tools\":[{\"googleSearch\":{}}],\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"a \\u00e9\"}]},"
        "{\"role\":\"model\",\"parts\":[{\"text\":\"b\"}]}],"
        "\"generationConfig\":{\"temperature\":0.7,\"topP\":0.95,\"topK\":40,\"maxOutputTokens\":8192,"
        "\"stopSequences\":[\"END\"],\"responseMimeType\":\"application/json\",\"seed\":42,"
        "\"thinkingConfig\":{\"thinkingBudget\":0}},"
        "\"systemInstruction\":{\"parts\":[{\"text\":\"Be terse.\"}]},\"labels\":{\"env\":\"dev\"},"
        "\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"NONE\"}},\"cachedContent\":\"cachedContents/c1\"}";
    struct gen_x x = { GEMINI, req, 200, JSONCT, ANSWER("ok", ",\"finishReason\":\"STOP\""), 0, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK(!g.stream);
    CHECK_INT(g.n_input_messages, 2); /* the system instruction is not counted */
    CHECK_STR(g.params_json, "{\"temperature\":0.7,\"topP\":0.95,\"topK\":40,\"maxOutputTokens\":8192,"
                             "\"stopSequences\":[\"END\"],\"responseMimeType\":\"application/json\",\"seed\":42,"
                             "\"thinkingConfig\":{\"thinkingBudget\":0},"
                             "\"safetySettings\":[{\"category\":\"HARM_CATEGORY_HARASSMENT\",\"threshold\":\"BLOCK_NONE\"}],"
                             "\"labels\":{\"env\":\"dev\"}}");
    CHECK_STR(g.input_json, "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"a \xC3\xA9\"}]},"
                            "{\"role\":\"model\",\"parts\":[{\"text\":\"b\"}]}],"
                            "\"systemInstruction\":{\"parts\":[{\"text\":\"Be terse.\"}]},"
                            "\"tools\":[{\"googleSearch\":{}}],"
                            "\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"NONE\"}},"
                            "\"cachedContent\":\"cachedContents/c1\"}");
    lt_generation_free(&g);

    /* proto field names; contents as one object; a generationConfig that is not an object */
    const char *snake = "{\"contents\":{\"parts\":[{\"text\":\"x\"}]},\"system_instruction\":{\"parts\":[]},"
                        "\"generation_config\":\"odd\",\"tool_config\":{}}";
    struct gen_x y = { GSTREAM "?alt=sse", snake, 200, SSE, "data: " ANSWER("y", ",\"finishReason\":\"STOP\"") "\r\n\r\n",
                       0, false };
    CHECK(gen_run(&y, &g) == LT_OK);
    CHECK(g.stream);
    CHECK_INT(g.n_input_messages, 1);
    CHECK_STR(g.params_json, "{\"generation_config\":\"odd\"}");
    CHECK_STR(g.input_json, "{\"contents\":{\"parts\":[{\"text\":\"x\"}]},\"systemInstruction\":{\"parts\":[]},"
                            "\"toolConfig\":{}}");
    CHECK_STR(g.output_text, "y");
    lt_generation_free(&g);

    /* no body we can read on a known host: the answer still counts */
    struct gen_x z = { GEMINI, "garbage", 200, JSONCT, ANSWER("z", ""), 0, false };
    CHECK(gen_run(&z, &g) == LT_OK);
    CHECK(g.input_json == NULL && g.params_json == NULL && g.n_input_messages == -1);
    CHECK_STR(g.output_text, "z");
    CHECK_STR(g.model, "gemini-2.5-flash-001");
    lt_generation_free(&g);
}

static void gemini_should_skip_unconfirmed_bodies_on_unknown_hosts(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *url = "http://10.1.2.3:8080/v1beta/models/m:generateContent";
    const char *bad[] = { NULL, "", "[]", "{\"contents\":\"hi\"}", "{\"model\":\"m\",\"messages\":[]}", "{\"contents\":[]" };
    for (size_t i = 0; i < TAP_N(bad); i++) {
        struct gen_x x = { url, bad[i], 200, JSONCT, "{}", 0, false };
        struct lt_generation g;
        CHECKF(gen_run(&x, &g) == LT_ERR_SKIP, "body %zu not skipped", i);
    }
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void gemini_should_read_how_the_body_is_framed(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *doc = ANSWER("w", ",\"finishReason\":\"STOP\"");
    char sse[1024], arr[1024];
    snprintf(sse, sizeof sse, "data: %s\n\n", doc);
    snprintf(arr, sizeof arr, "\xEF\xBB\xBF\r\n[%s\n]", doc);
    const struct {
        const char *url;
        const char *ct;
        const char *body;
    } t[] = {
        { GSTREAM "?alt=sse", SSE, sse },
        { GSTREAM "?alt=sse", NULL, sse },            /* no Content-Type: the URL says SSE */
        { GSTREAM, JSONCT, sse },                     /* a wrong header: "data:" says it */
        { GSTREAM, JSONCT, arr },                     /* the array, after a BOM and blanks */
        { GSTREAM "?alt=sse", SSE, arr },             /* an array whatever the header */
        { GSTREAM "?alt=sse", SSE, doc },             /* one document to a stream request */
        { GEMINI, JSONCT, arr },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        for (size_t step = 0; step < 4; step++) {
            struct gen_x x = { t[i].url, REQ, 200, t[i].ct, t[i].body, step, false };
            struct lt_generation g;
            CHECK(gen_run(&x, &g) == LT_OK);
            CHECKF(g.level == LT_LEVEL_DEFAULT, "case %zu: %s", i, g.status_message);
            CHECKF(gen_str_eq(g.output_text, "w"), "case %zu: text %s", i, g.output_text);
            CHECK_STR(g.finish_reason, "STOP");
            lt_generation_free(&g);
        }
    }
}

static void gemini_should_assemble_every_kind_of_part(void)
{
    CHECK(lt_json_load() == LT_OK);
    /* thought pieces merge, text pieces merge, other parts keep their place;
     * thoughtSignature never reaches the output */
    const char *body =
        "[{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":["
        "{\"text\":\"think \",\"thought\":true},{\"text\":\"more\",\"thought\":true,\"thoughtSignature\":\"c2lnMQ==\"}]}}]}"
        ",\r\n{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Code:\"},"
        "{\"executableCode\":{\"language\":\"PYTHON\",\"code\":\"print(1+1)\"},\"thoughtSignature\":\"c2lnMg==\"},"
        "{\"codeExecutionResult\":{\"outcome\":\"OUTCOME_OK\",\"output\":\"2\\n\"}}]}}]}"
        ",\r\n{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\" the answer\"},"
        "{\"text\":\" is 2\"},{\"text\":\"\",\"thoughtSignature\":\"c2lnMw==\"},"
        "{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"iVBORw0KGgo=\"}},"
        "{\"functionCall\":{\"name\":\"done\"}},{\"text\":\"!\"}]},\"finishReason\":\"STOP\"}],"
        "\"modelVersion\":\"gemini-3-pro\"}]";
    struct gen_x x = { GSTREAM, REQ, 200, JSONCT, body, 7, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    CHECK(g.level == LT_LEVEL_DEFAULT);
    CHECK_STR(g.output_text, "Code: the answer is 2!");
    CHECK_STR(g.reasoning_text, "think more");
    CHECK_INT(g.n_tool_calls, 1);
    CHECK(g.tool_calls[0].id == NULL);
    CHECK_STR(g.tool_calls[0].name, "done");
    CHECK_STR(g.tool_calls[0].arguments, "{}");
    CHECK_STR(g.output_json,
              "{\"role\":\"model\",\"parts\":[{\"text\":\"think more\",\"thought\":true},{\"text\":\"Code:\"},"
              "{\"executableCode\":{\"language\":\"PYTHON\",\"code\":\"print(1+1)\"}},"
              "{\"codeExecutionResult\":{\"outcome\":\"OUTCOME_OK\",\"output\":\"2\\n\"}},"
              "{\"text\":\" the answer is 2\"},{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"iVBORw0KGgo=\"}},"
              "{\"functionCall\":{\"name\":\"done\",\"args\":{}}},{\"text\":\"!\"}]}");
    CHECK_STR(g.model, "gemini-3-pro");
    CHECK(g.response_id == NULL && !g.has_usage);
    lt_generation_free(&g);

    /* candidates beyond the API's 8, or with a bad index, are ignored;
     * a character split across two text pieces is whole again */
    const char *many =
        "{\"candidates\":[{\"index\":9,\"content\":{\"parts\":[{\"text\":\"no\"}]}},"
        "{\"index\":-1,\"content\":{\"parts\":[{\"text\":\"no\"}]}},"
        "{\"index\":1,\"content\":{\"parts\":[{\"text\":\"second\"}]},\"finishReason\":\"MAX_TOKENS\"},"
        "{\"content\":{\"parts\":[{\"text\":\"\xE2\x82\"},{\"text\":\"\xAC first\"}]},\"finishReason\":\"STOP\"}]}";
    struct gen_x y = { GEMINI, REQ, 200, JSONCT, many, 0, false };
    CHECK(gen_run(&y, &g) == LT_OK);
    CHECK(g.level == LT_LEVEL_DEFAULT);
    CHECK_STR(g.output_text, "\xE2\x82\xAC first");
    CHECK_STR(g.finish_reason, "STOP");
    CHECK_STR(g.output_json, "[{\"role\":\"model\",\"parts\":[{\"text\":\"\xE2\x82\xAC first\"}]},"
                             "{\"role\":\"model\",\"parts\":[{\"text\":\"second\"}]}]");
    lt_generation_free(&g);
}

static void gemini_should_read_every_usage_shape(void)
{
    CHECK(lt_json_load() == LT_OK);
    const struct {
        const char *usage;
        const char *want;
        const char *tool_use;  /* metadata tool_use_prompt_tokens */
        const char *modality;  /* metadata usage_by_modality */
    } t[] = {
        { "{\"promptTokenCount\":1000,\"cachedContentTokenCount\":800,\"candidatesTokenCount\":50,"
          "\"thoughtsTokenCount\":30,\"toolUsePromptTokenCount\":20,\"totalTokenCount\":1100,"
          "\"promptTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":700},{\"modality\":\"AUDIO\",\"tokenCount\":300}],"
          "\"cacheTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":800}],"
          "\"toolUsePromptTokensDetails\":[{\"modality\":\"TEXT\"}]}",
          "input=200,input_cached_tokens=800,output=50,output_reasoning_tokens=30,total=1100", "20",
          "{\"input\":{\"TEXT\":700,\"AUDIO\":300},\"cached\":{\"TEXT\":800},\"tool_use_prompt\":{\"TEXT\":0}}" },
        /* proto names, a zero kept, a cache larger than the prompt clamped */
        { "{\"prompt_token_count\":3,\"cached_content_token_count\":9,\"candidates_token_count\":0,"
          "\"total_token_count\":3}",
          "input=0,input_cached_tokens=9,output=0,total=3", NULL, NULL },
        { "{\"promptTokenCount\":-5,\"totalTokenCount\":3}", "total=3", NULL, NULL },
        { "{}", "", NULL, NULL },
        { "null", "", NULL, NULL },
        { "{\"promptTokenCount\":\"12\",\"totalTokenCount\":1e400}", "", NULL, NULL },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        char body[2048];
        snprintf(body, sizeof body, "{\"candidates\":[],\"usageMetadata\":%s}", t[i].usage);
        struct gen_x x = { GEMINI, REQ, 200, JSONCT, body, 0, false };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        gen_usage_is(&g, t[i].want);
        CHECK(g.has_usage == (g.n_usage > 0));
        CHECKF(gen_str_eq(gen_meta(&g, "tool_use_prompt_tokens"), t[i].tool_use), "case %zu", i);
        CHECKF(gen_str_eq(gen_meta(&g, "usage_by_modality"), t[i].modality), "case %zu: %s", i,
               gen_meta(&g, "usage_by_modality"));
        lt_generation_free(&g);
    }
    /* in a stream the last usageMetadata is the report, whole */
    const char *body = "data: {\"usageMetadata\":{\"promptTokenCount\":15,\"cachedContentTokenCount\":4,"
                       "\"totalTokenCount\":15}}\r\n\r\n"
                       "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\"finishReason\":\"STOP\"}],"
                       "\"usageMetadata\":{\"promptTokenCount\":13,\"candidatesTokenCount\":8,\"totalTokenCount\":21}}"
                       "\r\n\r\n";
    struct gen_x x = { GSTREAM "?alt=sse", REQ, 200, SSE, body, 3, false };
    struct lt_generation g;
    CHECK(gen_run(&x, &g) == LT_OK);
    gen_usage_is(&g, "input=13,output=8,total=21");
    lt_generation_free(&g);
}

static void gemini_should_report_errors_without_secrets(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *url = GEMINI "?key=AIzaSyQUERYSECRETQUERYSECRETQUERYSECR";
    const struct {
        long status;
        const char *ct;
        const char *body;
        const char *want;
        const char *never;
    } t[] = {
        { 400, JSONCT,
          "{\"error\":{\"code\":400,\"message\":\"API key not valid. Please pass a valid API key.\","
          "\"status\":\"INVALID_ARGUMENT\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\","
          "\"reason\":\"API_KEY_INVALID\",\"metadata\":{\"service\":\"generativelanguage.googleapis.com\"}}]}}",
          "API key not valid. Please pass a valid API key.", NULL },
        { 400, JSONCT, "{\"error\":{\"code\":400,\"message\":\"bad key=AIzaSyABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\"}}",
          "bad key=", "AIzaSyABCDEFGHIJ" },
        { 429, JSONCT, "{\"error\":{\"code\":429,\"status\":\"RESOURCE_EXHAUSTED\"}}", "RESOURCE_EXHAUSTED", NULL },
        { 500, JSONCT, "{\"error\":{\"code\":500}}", "error 500", NULL },
        { 503, JSONCT, "{\"unexpected\":true}", "HTTP 503", NULL },
        { 502, "text/plain", "", "HTTP 502", NULL },
        { 401, JSONCT, "[{\"error\":{\"code\":401,\"message\":\"Request had invalid authentication credentials.\","
                       "\"status\":\"UNAUTHENTICATED\"}}]",
          "invalid authentication credentials", NULL },
        { 404, "text/html", "<html>\n\n<b>404.</b>   Not Found</html>", "HTTP 404: <html> <b>404.</b> Not Found</html>",
          NULL },
        { 503, "text/plain", "upstream connect error or disconnect/reset before headers",
          "HTTP 503: upstream connect error", NULL },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        for (size_t step = 0; step < 3; step++) {
            struct gen_x x = { i % 2 || t[i].status == 503 ? GSTREAM "?alt=sse&key=AIzaSyQUERYSECRETQUERYSECRETQUERYSECR" : url, REQ, t[i].status,
                               t[i].ct, t[i].body, step * 5, false };
            struct lt_generation g;
            CHECK(gen_run(&x, &g) == LT_OK);
            gen_status_is(&g, LT_LEVEL_ERROR, t[i].want, "case %zu", i);
            CHECK(!strstr(g.status_message, "QUERYSECRET"));
            if (t[i].never)
                CHECKF(!strstr(g.status_message, t[i].never), "case %zu: %s", i, g.status_message);
            CHECK_STR(g.model, "gemini-2.5-flash");
            CHECK(!g.has_usage && g.output_json == NULL);
            lt_generation_free(&g);
        }
    }
}

static void gemini_should_flag_error_events_in_a_stream(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *pre = "data: " ANSWER("so far", "") "\r\n\r\n";
    const struct {
        const char *tail;
        const char *want;
    } t[] = {
        { "data: {\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":\"UNAVAILABLE\"}}\r\n\r\n",
          "The model is overloaded." },
        { "event: error\ndata: upstream reset\n\n", "upstream reset" },
        { "event: error\ndata: {\"x\":1}\n\n", "error event in the response stream" },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        char body[1024];
        snprintf(body, sizeof body, "%s%s", pre, t[i].tail);
        struct gen_x x = { GSTREAM "?alt=sse", REQ, 200, SSE, body, 0, false };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        gen_status_is(&g, LT_LEVEL_ERROR, t[i].want, "case %zu", i);
        CHECK_STR(g.output_text, "so far");
        CHECK_STR(g.response_id, "r1");
        lt_generation_free(&g);
    }
}

static void gemini_should_warn_about_blocks_and_odd_answers(void)
{
    CHECK(lt_json_load() == LT_OK);
    const struct {
        const char *url;
        const char *ct;
        const char *body;
        bool incomplete;
        enum lt_level level;
        const char *want;
    } t[] = {
        { GEMINI, JSONCT, ANSWER("x", ",\"finishReason\":\"MAX_TOKENS\""), false, LT_LEVEL_DEFAULT, NULL },
        { GEMINI, JSONCT, ANSWER("x", ",\"finishReason\":\"STOP\""), true, LT_LEVEL_DEFAULT, NULL },
        { GEMINI, JSONCT,
          ANSWER("", ",\"finishReason\":\"MALFORMED_FUNCTION_CALL\",\"finishMessage\":\"Malformed function call: x\""),
          false, LT_LEVEL_WARNING, "answer stopped: MALFORMED_FUNCTION_CALL: Malformed function call: x" },
        { GEMINI, JSONCT, ANSWER("Partial", ",\"finishReason\":\"RECITATION\""), false, LT_LEVEL_WARNING,
          "answer stopped: RECITATION" },
        { GEMINI, JSONCT,
          "{\"promptFeedback\":{\"blockReason\":\"PROHIBITED_CONTENT\",\"blockReasonMessage\":\"The prompt was blocked.\"}}",
          false, LT_LEVEL_WARNING, "prompt blocked: PROHIBITED_CONTENT: The prompt was blocked." },
        { GEMINI, JSONCT, "{\"promptFeedback\":{\"blockReason\":\"BLOCK_REASON_UNSPECIFIED\"},\"candidates\":[]}", false,
          LT_LEVEL_WARNING, "response has no candidates" },
        { GEMINI, JSONCT, "", false, LT_LEVEL_WARNING, "response body is empty (0 bytes)" },
        { GEMINI, JSONCT, "  \r\n", false, LT_LEVEL_WARNING, "response body is empty (4 bytes)" },
        { GEMINI, JSONCT, "42", false, LT_LEVEL_WARNING, "JSON but not a generateContent answer" },
        { GEMINI, JSONCT, "{\"candidates\":[{\"content\":", false, LT_LEVEL_WARNING, "response is not JSON" },
        { GEMINI, JSONCT, "{\"candidates\":[{\"content\":", true, LT_LEVEL_WARNING, "response cut short" },
        { GSTREAM, JSONCT, "[" ANSWER("a", "") "]", false, LT_LEVEL_WARNING, "stream ended without a finishReason" },
        { GSTREAM, JSONCT, "[" ANSWER("a", "") ",", true, LT_LEVEL_WARNING, "stream cut short after 1 element(s)" },
        { GSTREAM, JSONCT, "[" ANSWER("a", ",\"finishReason\":\"STOP\"") ",", true, LT_LEVEL_DEFAULT, NULL },
        { GSTREAM, JSONCT, "[" ANSWER("a", ",\"finishReason\":\"STOP\"") ", {\"cand", false, LT_LEVEL_WARNING,
          "1 stream element(s) cut short" },
        { GSTREAM, JSONCT, "[]", false, LT_LEVEL_WARNING, "stream holds no elements" },
        { GSTREAM "?alt=sse", SSE, "data: {oops\r\n\r\ndata: " ANSWER("b", ",\"finishReason\":\"STOP\"") "\r\n\r\n",
          false, LT_LEVEL_WARNING, "1 of 2 stream elements are not JSON" },
        { GSTREAM "?alt=sse", SSE,
          "data: {\"promptFeedback\":{\"blockReason\":\"SAFETY\"},\"usageMetadata\":{\"promptTokenCount\":4}}\r\n\r\n",
          false, LT_LEVEL_WARNING, "prompt blocked: SAFETY" },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct gen_x x = { t[i].url, REQ, 200, t[i].ct, t[i].body, 0, t[i].incomplete };
        struct lt_generation g;
        CHECK(gen_run(&x, &g) == LT_OK);
        gen_status_is(&g, t[i].level, t[i].want, "case %zu", i);
        CHECK(g.input_json != NULL);
        lt_generation_free(&g);
    }
}

/* Every allocation failed in turn, on streams and whole answers: never a
 * crash, never a leak, and the rc says so. */
static void gemini_should_survive_every_failed_allocation(void)
{
    CHECK(lt_json_load() == LT_OK);
    const char *req = "{\"contents\":[{\"parts\":[{\"text\":\"q\"}]}],\"systemInstruction\":{\"parts\":[]},"
                      "\"generationConfig\":{\"temperature\":1},\"safetySettings\":[]}";
    const char *arr =
        "[{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"t\",\"thought\":true},{\"text\":\"a\"},"
        "{\"functionCall\":{\"id\":\"i\",\"name\":\"f\",\"args\":{\"x\":[1]}}},{\"executableCode\":{\"code\":\"c\"}}]}},"
        "{\"index\":1,\"content\":{\"parts\":[{\"text\":\"b\"}]}}],\"usageMetadata\":{\"promptTokenCount\":3,"
        "\"promptTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":3}],\"toolUsePromptTokenCount\":1,"
        "\"serviceTier\":\"standard\"},\"modelVersion\":\"m\",\"responseId\":\"r\"},\r\n"
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"c\"}]},\"finishReason\":\"SAFETY\","
        "\"finishMessage\":\"fm\"}],\"promptFeedback\":{\"blockReason\":\"OTHER\"}}]";
    const struct gen_x t[] = {
        { GSTREAM "?key=K", req, 200, JSONCT, arr, 9, false },
        { GSTREAM "?alt=sse", req, 200, SSE, "data: " ANSWER("s", ",\"finishReason\":\"STOP\"") "\n\n", 4, true },
        { GEMINI, req, 404, JSONCT, "{\"error\":{\"code\":404,\"message\":\"nope\"}}", 0, false },
        { GEMINI, req, 500, "text/html", "<p>down</p>", 0, false },
    };
    for (size_t k = 0; k < TAP_N(t); k++) {
        char name[32];
        snprintf(name, sizeof name, "case %zu", k);
        gen_survive_failed_allocations(&t[k], name);
    }
}

static const struct tap_case cases[] = {
    TAP(gemini_should_match_its_endpoints_only),
    TAP(gemini_should_take_the_model_from_the_path_never_the_query),
    TAP(gemini_should_split_parameters_from_input_as_sent),
    TAP(gemini_should_skip_unconfirmed_bodies_on_unknown_hosts),
    TAP(gemini_should_read_how_the_body_is_framed),
    TAP(gemini_should_assemble_every_kind_of_part),
    TAP(gemini_should_read_every_usage_shape),
    TAP(gemini_should_report_errors_without_secrets),
    TAP(gemini_should_flag_error_events_in_a_stream),
    TAP(gemini_should_warn_about_blocks_and_odd_answers),
    TAP(gemini_should_survive_every_failed_allocation),
};

int main(int argc, char **argv)
{
    return tap_main(argc, argv, cases, TAP_N(cases));
}
