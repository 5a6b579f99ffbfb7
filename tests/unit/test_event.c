/* test_event.c — generation → OTLP/JSON span, checked the way Langfuse reads
 * it: every body is written to a temporary file and run through
 * ../shared/langfuse/validate-otlp --strict (exit 0, "N spans valid, 0
 * invalid"), then searched for what must (and must never) be in it.
 * LT_EVENT_DUMP=<dir> keeps each body there for a look. */
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../shim/event.h"
#include "../../shim/mem.h"
#include "../lib/tap.h"

#define VALIDATOR LLMTAP_ROOT "/../shared/langfuse/validate-otlp"
#define PYTHON "/usr/bin/python3"

static struct lt_config cfg;
static struct lt_process proc;

/* What no body may ever contain: keys from URLs, headers and messages, and
 * the Langfuse credentials (cfg.auth_header is set to this fake pair). */
static const char *const forbidden[] = {
    "key=", "AIzaSyA-FAKE", "sk-proj-", "sk-lf-", "pk-lf-", "Bearer ey", "Bearer abc",
    "cGstbGYtMDAwMC0xMTExOnNrLWxmLXNlY3JldC14eXo", "CMDLINE",
};

static void event_setup(void)
{
    static char *tags[] = { "llmtap", "batch" };
    memset(&cfg, 0, sizeof cfg);
    cfg.enabled = true;
    cfg.dest = LT_DEST_JSONL;
    cfg.max_field_bytes = (size_t)1 << 20;
    cfg.auth_header = "Authorization: Basic cGstbGYtMDAwMC0xMTExOnNrLWxmLXNlY3JldC14eXo=";
    cfg.langfuse_auth = true;
    cfg.user_id = "alice";
    cfg.session_id = "nightly-batch-2026-11-24";
    cfg.n_tags = 2;
    cfg.tags[0] = tags[0];
    cfg.tags[1] = tags[1];
    cfg.n_metadata = 1;
    cfg.metadata[0].key = "team";
    cfg.metadata[0].value = "search";
    cfg.environment = "production";
    cfg.release = "app-1.4.2";

    memset(&proc, 0, sizeof proc);
    strcpy(proc.trace_id, "5b8efff798038103d269b633813fc60c");
    strcpy(proc.span_id, "eee19b7ec3c1b174");
    strcpy(proc.name, "app.py");
    strcpy(proc.exe, "python3");
    strcpy(proc.script, "/srv/app.py");
    strcpy(proc.host, "build-host");
    proc.pid = 4242;
    proc.start_ns = lt_now_ns() - 5000000000LL;
    proc.sampled = true;
}

/* ------------------------------------------------------------ builders */

static char *d(const char *s)
{
    return lt_strdup(s);
}

static void gen_usage(struct lt_generation *g, const char *key, long long v)
{
    g->has_usage = true;
    snprintf(g->usage[g->n_usage].key, LT_USAGE_KEY_MAX, "%s", key);
    g->usage[g->n_usage++].value = v;
}

static void gen_chat(struct lt_generation *g)
{
    memset(g, 0, sizeof *g);
    g->provider = "openai";
    g->operation = "chat";
    g->obs_type = "generation";
    g->model = d("gpt-4o-mini-2024-07-18");
    g->request_model = d("gpt-4o-mini");
    g->response_model = d("gpt-4o-mini-2024-07-18");
    g->params_json = d("{\"temperature\":0,\"max_tokens\":16}");
    g->input_json = d("{\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},"
                      "{\"role\":\"user\",\"content\":\"Name one prime number.\"}]}");
    g->output_json = d("{\"role\":\"assistant\",\"content\":\"7\"}");
    g->output_text = d("7");
    g->finish_reason = d("stop");
    g->response_id = d("chatcmpl-AbC123");
    g->meta[0].key = "system_fingerprint";
    g->meta[0].value = d("fp_0ba0d124f1");
    g->n_meta = 1;
    gen_usage(g, "input", 21);
    gen_usage(g, "output", 1);
    gen_usage(g, "total", 22);
}

static struct lt_call *call_new(const char *url, long status)
{
    struct lt_call *c = lt_call_new(0, 0);
    CHECK(c != NULL);
    c->url = d(url);
    c->match.provider = "openai";
    c->http_status = status;
    c->end_ns = lt_now_ns();
    c->start_ns = c->end_ns - 900000000;
    strcpy(c->request_id, "req_7f3c1e");
    strcpy(c->content_type, "application/json");
    lt_buf_adds(&c->req, "{\"model\":\"gpt-4o-mini\"}");
    c->req_total = c->req.len;
    lt_buf_adds(&c->resp, "{}");
    c->resp_total = c->resp.len;
    return c;
}

/* ------------------------------------------------------------ bodies */

struct body {
    struct lt_buf b;
    int spans;
};

static void body_begin(struct body *x)
{
    lt_buf_init(&x->b, 0);
    x->spans = 0;
    CHECK_INT(lt_event_body_head(&x->b, &cfg, &proc), LT_OK);
}

static void body_sep(struct body *x)
{
    if (x->spans++)
        CHECK_INT(lt_buf_addc(&x->b, ','), LT_OK);
}

static void body_gen(struct body *x, const struct lt_call *c, const struct lt_generation *g)
{
    char sid[17];
    lt_trace_new_span_id(sid);
    body_sep(x);
    CHECK_INT(lt_event_generation(&x->b, &cfg, &proc, c, g, sid), LT_OK);
}

static void body_proc(struct body *x, const struct lt_process *p, int n)
{
    body_sep(x);
    CHECK_INT(lt_event_process_span(&x->b, &cfg, p, lt_now_ns(), n), LT_OK);
}

static void body_end(struct body *x)
{
    CHECK_INT(lt_event_body_tail(&x->b), LT_OK);
}

/* Runs validate-otlp. strict: warnings fail too; else the only warning
 * allowed is the one for a generation without usage. */
static void validate(const struct body *x, bool strict)
{
    static int n_dump;
    const char *body = x->b.data;
    char path[] = "/tmp/lt-event-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write(fd, body, x->b.len) == (ssize_t)x->b.len);
    close(fd);
    const char *dump = getenv("LT_EVENT_DUMP");
    if (dump) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "cp %s %s/body-%d-%d.json", path, dump, (int)getpid(), n_dump++);
        CHECK(system(cmd) == 0);
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, PYTHON " " VALIDATOR " %s %s 2>&1", strict ? "--strict" : "", path);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    char out[16384];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    unlink(path);
    char want[64];
    snprintf(want, sizeof want, "%d spans valid, 0 invalid", x->spans);
    CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0 && strstr(out, want), "validate-otlp (want \"%s\"):\n%s", want,
           out);
    if (!strict) {
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
            CHECKF(!strstr(line, "warning") || strstr(line, "without usage"), "unexpected warning: %s", line);
    }
    CHECKF(!memchr(body, '\n', x->b.len), "a body must be one line");
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
        CHECKF(!strstr(body, forbidden[i]), "the body contains \"%s\"", forbidden[i]);
}

static void body_free(struct body *x)
{
    lt_buf_free(&x->b);
}

/* One generation under the process span, validated; the caller frees. */
static void render(struct body *x, const struct lt_call *c, const struct lt_generation *g, bool strict)
{
    body_begin(x);
    body_gen(x, c, g);
    body_proc(x, &proc, 1);
    body_end(x);
    validate(x, strict);
}

/* The stringValue of attribute key, decoded (free()); NULL if absent. */
static char *attr(const char *body, const char *key)
{
    char pat[300];
    snprintf(pat, sizeof pat, "{\"key\":\"%s\",\"value\":{\"stringValue\":\"", key);
    const char *p = strstr(body, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    char *out = malloc(strlen(p) + 1), *w = out;
    while (*p && *p != '"') {
        if (*p != '\\') {
            *w++ = *p++;
            continue;
        }
        p++;
        switch (*p) {
        case 'n': *w++ = '\n'; break;
        case 't': *w++ = '\t'; break;
        case 'r': *w++ = '\r'; break;
        case 'u': {
            unsigned v = (unsigned)strtoul((char[]){ p[1], p[2], p[3], p[4], 0 }, NULL, 16);
            if (v < 0x80) {
                *w++ = (char)v;
            } else if (v < 0x800) {
                *w++ = (char)(0xC0 | v >> 6);
                *w++ = (char)(0x80 | (v & 63));
            } else {
                *w++ = (char)(0xE0 | v >> 12);
                *w++ = (char)(0x80 | ((v >> 6) & 63));
                *w++ = (char)(0x80 | (v & 63));
            }
            p += 4;
            break;
        }
        default: *w++ = *p; break;
        }
        p++;
    }
    *w = '\0';
    return out;
}

static bool has(const char *body, const char *key, const char *value_json)
{
    char pat[1024];
    snprintf(pat, sizeof pat, "{\"key\":\"%s\",\"value\":%s}", key, value_json);
    return strstr(body, pat) != NULL;
}

#define CHECK_ATTR(body, key, value)                                                           \
    do {                                                                                       \
        char *v_ = attr((body), (key));                                                        \
        CHECKF(v_ && !strcmp(v_, (value)), "%s = %s, want %s", (key), v_ ? v_ : "(absent)", (value)); \
        free(v_);                                                                              \
    } while (0)
#define CHECK_HAS(body, key, value_json) CHECKF(has((body), (key), (value_json)), "no %s = %s", (key), (value_json))

/* A deterministic base64 payload of n characters that starts with head. */
static char *b64_blob(const char *head, size_t n, bool php_escaped)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *s = malloc(n * 2 + 1), *w = s;
    size_t hl = strlen(head);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        char c = i < hl ? head[i] : tab[(x = x * 1103515245u + 12345u) >> 26];
        if (php_escaped && c == '/')
            *w++ = '\\';
        *w++ = c;
    }
    *w = '\0';
    return s;
}

/* ------------------------------------------------------------ cases */

static void event_chat_should_validate_with_every_attribute(void)
{
    struct lt_generation g;
    struct body x;
    event_setup();
    gen_chat(&g);
    struct lt_call *c = call_new("https://api.openai.com/v1/chat/completions", 200);
    render(&x, c, &g, true);
    const char *b = x.b.data;
    CHECK(strstr(b, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[") == b);
    CHECK(strstr(b, "\"scope\":{\"name\":\"llmtap\",\"version\":\"" LLMTAP_VERSION "\"}"));
    CHECK_HAS(b, "service.name", "{\"stringValue\":\"app.py\"}");
    CHECK_HAS(b, "process.pid", "{\"intValue\":\"4242\"}");
    CHECK_HAS(b, "process.executable.name", "{\"stringValue\":\"python3\"}");
    CHECK_HAS(b, "host.name", "{\"stringValue\":\"build-host\"}");
    CHECK_HAS(b, "telemetry.sdk.name", "{\"stringValue\":\"llmtap\"}");
    CHECK_HAS(b, "telemetry.sdk.language", "{\"stringValue\":\"c\"}");
    CHECK_HAS(b, "telemetry.sdk.version", "{\"stringValue\":\"" LLMTAP_VERSION "\"}");
    CHECK(strstr(b, "\"parentSpanId\":\"eee19b7ec3c1b174\",\"name\":\"chat gpt-4o-mini\",\"kind\":3,"));
    CHECK_ATTR(b, "langfuse.observation.type", "generation");
    CHECK_ATTR(b, "langfuse.observation.model.name", "gpt-4o-mini-2024-07-18");
    CHECK_ATTR(b, "langfuse.observation.model.parameters", "{\"temperature\":0,\"max_tokens\":16}");
    CHECK_ATTR(b, "langfuse.observation.output", "{\"role\":\"assistant\",\"content\":\"7\"}");
    CHECK_ATTR(b, "langfuse.observation.usage_details", "{\"input\":21,\"output\":1,\"total\":22}");
    CHECK_ATTR(b, "langfuse.observation.metadata.provider", "openai");
    CHECK_ATTR(b, "langfuse.observation.metadata.endpoint", "/v1/chat/completions");
    CHECK_HAS(b, "langfuse.observation.metadata.http_status", "{\"intValue\":\"200\"}");
    CHECK_ATTR(b, "langfuse.observation.metadata.request_id", "req_7f3c1e");
    CHECK_HAS(b, "langfuse.observation.metadata.stream", "{\"boolValue\":false}");
    CHECK_ATTR(b, "langfuse.observation.metadata.system_fingerprint", "fp_0ba0d124f1");
    CHECK_ATTR(b, "langfuse.observation.metadata.response_id", "chatcmpl-AbC123");
    CHECK_ATTR(b, "langfuse.observation.metadata.finish_reason", "stop");
    CHECK_ATTR(b, "gen_ai.operation.name", "chat");
    CHECK_ATTR(b, "gen_ai.provider.name", "openai");
    CHECK_ATTR(b, "gen_ai.request.model", "gpt-4o-mini");
    CHECK_ATTR(b, "gen_ai.response.model", "gpt-4o-mini-2024-07-18");
    CHECK_HAS(b, "gen_ai.usage.input_tokens", "{\"intValue\":\"21\"}");
    CHECK_HAS(b, "gen_ai.usage.output_tokens", "{\"intValue\":\"1\"}");
    CHECK_ATTR(b, "langfuse.trace.name", "app.py");
    CHECK_ATTR(b, "langfuse.user.id", "alice");
    CHECK_ATTR(b, "langfuse.session.id", "nightly-batch-2026-11-24");
    CHECK_HAS(b, "langfuse.trace.tags", "{\"arrayValue\":{\"values\":[{\"stringValue\":\"llmtap\"},{\"stringValue\":\"batch\"}]}}");
    CHECK_ATTR(b, "langfuse.trace.metadata.team", "search");
    CHECK_ATTR(b, "langfuse.environment", "production");
    CHECK_ATTR(b, "langfuse.release", "app-1.4.2");
    CHECK(strstr(b, "\"status\":{\"code\":0}}"));
    CHECK(!strstr(b, "langfuse.observation.level"));
    CHECK(!strstr(b, "completion_start_time"));
    CHECK(!strstr(b, "cost_details")); /* LLMTAP_SEND_COST is off */
    body_free(&x);
    lt_generation_free(&g);
    lt_call_free(c);
}

static void event_stream_should_have_completion_start_within_the_span(void)
{
    struct lt_generation g;
    struct body x;
    event_setup();
    gen_chat(&g);
    g.stream = true;
    g.n_usage = 0;
    gen_usage(&g, "input", 125);
    gen_usage(&g, "input_cached_tokens", 1024);
    gen_usage(&g, "output", 36);
    gen_usage(&g, "output_reasoning_tokens", 192);
    gen_usage(&g, "total", 1377);
    struct lt_call *c = call_new("https://api.openai.com/v1/chat/completions", 200);
    c->start_ns = 1795514400100000000LL;
    c->first_byte_ns = 1795514400412345678LL;
    c->end_ns = 1795514401400123456LL;
    render(&x, c, &g, true);
    const char *b = x.b.data;
    CHECK(strstr(b, "\"startTimeUnixNano\":\"1795514400100000000\",\"endTimeUnixNano\":\"1795514401400123456\""));
    CHECK_ATTR(b, "langfuse.observation.completion_start_time", "2026-11-24T10:00:00.412345Z");
    CHECK_HAS(b, "langfuse.observation.metadata.stream", "{\"boolValue\":true}");
    CHECK_ATTR(b, "langfuse.observation.usage_details",
               "{\"input\":125,\"input_cached_tokens\":1024,\"output\":36,\"output_reasoning_tokens\":192,\"total\":1377}");
    CHECK_HAS(b, "gen_ai.usage.input_tokens", "{\"intValue\":\"1149\"}");
    CHECK_HAS(b, "gen_ai.usage.output_tokens", "{\"intValue\":\"228\"}");
    body_free(&x);

    /* a first byte outside the span (clock step) is clamped into it */
    c->first_byte_ns = c->start_ns - 5000000;
    render(&x, c, &g, true);
    CHECK_ATTR(x.b.data, "langfuse.observation.completion_start_time", "2026-11-24T10:00:00.100000Z");
    body_free(&x);
    lt_generation_free(&g);
    lt_call_free(c);
}

static void event_tool_calls_should_become_an_assistant_message(void)
{
    struct lt_generation g;
    struct body x;
    event_setup();
    gen_chat(&g);
    lt_free(g.output_json);
    lt_free(g.output_text);
    g.output_json = g.output_text = NULL;
    g.stream = true;
    g.tool_calls = lt_calloc(2, sizeof *g.tool_calls);
    g.n_tool_calls = 2;
    g.tool_calls[0].id = d("call_abc");
    g.tool_calls[0].name = d("get_current_weather");
    g.tool_calls[0].arguments = d("{\"location\": \"San Francisco\"}");
    g.tool_calls[1].id = d("call_def");
    g.tool_calls[1].name = d("get_current_weather");
    g.tool_calls[1].arguments = d("{\"location\": \"Boston\"}");
    lt_free(g.finish_reason);
    g.finish_reason = d("tool_calls");
    struct lt_call *c = call_new("https://api.openai.com/v1/chat/completions", 200);
    c->first_byte_ns = c->start_ns + 300000000;
    render(&x, c, &g, true);
    CHECK_ATTR(x.b.data, "langfuse.observation.output",
               "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
               "{\"id\":\"call_abc\",\"type\":\"function\",\"function\":{\"name\":\"get_current_weather\","
               "\"arguments\":\"{\\\"location\\\": \\\"San Francisco\\\"}\"}},"
               "{\"id\":\"call_def\",\"type\":\"function\",\"function\":{\"name\":\"get_current_weather\","
               "\"arguments\":\"{\\\"location\\\": \\\"Boston\\\"}\"}}]}");
    CHECK_ATTR(x.b.data, "langfuse.observation.metadata.finish_reason", "tool_calls");
    body_free(&x);
    lt_generation_free(&g);
    lt_call_free(c);
}

static void event_http_404_should_be_an_error_with_status_2(void)
{
    struct lt_generation g;
    struct body x;
    event_setup();
    gen_chat(&g);
    g.has_usage = false;
    g.n_usage = 0;
    lt_free(g.model);
    lt_free(g.request_model);
    lt_free(g.response_model);
    g.model = d("gpt-9");
    g.request_model = d("gpt-9");
    g.response_model = NULL;
    lt_free(g.output_json);
    g.output_json = d("{\"error\":{\"message\":\"The model `gpt-9` does not exist or you do not have access to "
                      "it.\",\"type\":\"invalid_request_error\",\"code\":\"model_not_found\"}}");
    g.level = LT_LEVEL_ERROR;
    g.status_message = d("HTTP 404: The model `gpt-9` does not exist or you do not have access to it.");
    struct lt_call *c = call_new("https://api.openai.com/v1/chat/completions", 404);
    render(&x, c, &g, true);
    const char *b = x.b.data;
    CHECK(strstr(b, "\"name\":\"chat gpt-9\""));
    CHECK_ATTR(b, "langfuse.observation.level", "ERROR");
    CHECK_ATTR(b, "langfuse.observation.status_message",
               "HTTP 404: The model `gpt-9` does not exist or you do not have access to it.");
    CHECK(strstr(b, "\"status\":{\"code\":2,\"message\":\"HTTP 404: The model `gpt-9` does not exist"));
    CHECK_ATTR(b, "error.type", "404");
    CHECK_HAS(b, "langfuse.observation.metadata.http_status", "{\"intValue\":\"404\"}");
    CHECK(!strstr(b, "usage_details"));
    body_free(&x);

    /* the provider said nothing: the call's facts still make it an error */
    lt_free(g.status_message);
    g.status_message = NULL;
    g.level = LT_LEVEL_DEFAULT;
    c->http_status = 503;
    render(&x, c, &g, true);
    CHECK_ATTR(x.b.data, "langfuse.observation.level", "ERROR");
    CHECK_ATTR(x.b.data, "langfuse.observation.status_message", "HTTP 503");
    body_free(&x);
    lt_generation_free(&g);
    lt_call_free(c);
}

static void event_curl_timeout_should_be_an_error_with_the_curl_text(void)
{
    struct lt_generation g;
    struct body x;
    event_setup();
    gen_chat(&g);
    g.has_usage = false;
    g.n_usage = 0;
    lt_free(g.output_json);
    lt_free(g.output_text);
    lt_free(g.response_model);
    lt_free(g.model);
    g.output_json = g.output_text = g.response_model = NULL;
    g.model = d("gpt-4o-mini");
    struct lt_call *c = call_new("https://api.openai.com/v1/chat/completions", 0);
    c->curl_code = 28;
    strcpy(c->curl_error, "Timeout was reached");
    c->resp.len = 0;
    c->resp_total = 0;
    render(&x, c, &g, true);
    const char *b = x.b.data;
    CHECK_ATTR(b, "langfuse.observation.level", "ERROR");
    CHECK_ATTR(b, "langfuse.observation.status_message", "curl error 28: Timeout was reached");
    CHECK_HAS(b, "langfuse.observation.metadata.curl_code", "{\"intValue\":\"28\"}");
    CHECK_ATTR(b, "langfuse.observation.metadata.curl_error", "Timeout was reached");
    CHECK(strstr(b, "\"status\":{\"code\":2,\"message\":\"curl error 28: Timeout was reached\"}"));
    CHECK(!strstr(b, "http_status"));
    body_free(&x);

    /* with the provider's own complaint, both are kept */
    g.status_message = d("stream ended before [DONE]");
    render(&x, c, &g, true);
    CHECK_ATTR(x.b.data, "langfuse.observation.status_message",
               "curl error 28: Timeout was reached; stream ended before [DONE]");
    body_free(&x);
    lt_generation_free(&g);
    lt_call_free(c);
}

static void event_cut_response_should_be_a_warning_with_a_marker(void)
{
    struct lt_generation g;
    struct body x;
    event_setup();
    gen_chat(&g);
    g.stream = true;
    g.has_usage = false;
    g.n_usage = 0;
    lt_free(g.output_json);
    g.output_json = NULL;
    lt_free(g.output_text);
    g.output_text = d("The first half of a long answer");
    struct lt_call *c = call_new("https://api.openai.com/v1/chat/completions", 200);
    lt_buf_reset(&c->resp);
    lt_buf_adds(&c->resp, "data: {\"choices\":[{\"delta\":{\"content\":\"The first half\"}}]}\n\n");
    c->resp.truncated = true;
    c->resp_total = 20000000;
    c->first_byte_ns = c->start_ns + 1000;
    render(&x, c, &g, false);
    const char *b = x.b.data;
    CHECK_ATTR(b, "langfuse.observation.level", "WARNING");
    char *msg = attr(b, "langfuse.observation.status_message");
    CHECKF(msg && strstr(msg, "[llmtap: response cut at") && strstr(msg, "of 20000000 bytes"), "%s", msg);
    free(msg);
    CHECK_ATTR(b, "langfuse.observation.output", "The first half of a long answer");
    CHECK_HAS(b, "langfuse.observation.metadata.response_truncated", "{\"boolValue\":true}");
    CHECK_HAS(b, "langfuse.observation.metadata.response_bytes", "{\"intValue\":\"20000000\"}");
    CHECK(strstr(b, "\"status\":{\"code\":0}}"));
    body_free(&x);
    lt_generation_free(&g);
    lt_call_free(c);
}

static void event_base64_media_in_input_should_become_placeholders(void)
{
    struct lt_generation g;
    struct body x;
    event_setup();
    gen_chat(&g);
    char *png = b64_blob("iVBORw0KGgoAAAANSUhEUg", 40000, false);
    char *wav = b64_blob("UklGRmQfAABXQVZFZm10IBAAAAABAAEAQB8AAIA", 8000, false);
    char *jpg = b64_blob("/9j/4AAQSkZJRg", 2000, true); /* PHP's json_encode escapes '/' */
    size_t n = strlen(png) + strlen(wav) + strlen(jpg) + 1000;
    char *in = lt_malloc(n);
    snprintf(in, n,
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is in these?\"},"
             "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,%s\"}},"
             "{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"%s\",\"format\":\"wav\"}},"
             "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image\\/jpeg;base64,%s\",\"detail\":\"low\"}}]}]}",
             png, wav, jpg);
    lt_free(g.input_json);
    g.input_json = in;
    struct lt_call *c = call_new("https://api.openai.com/v1/chat/completions", 200);
    render(&x, c, &g, true);
    const char *b = x.b.data;
    char *v = attr(b, "langfuse.observation.input");
    CHECK(v != NULL);
    CHECKF(strstr(v, "\"url\":\"[llmtap: base64 image/png, 30000 bytes]\""), "%s", v);
    CHECKF(strstr(v, "\"data\":\"[llmtap: base64 audio/wav, 6000 bytes]\",\"format\":\"wav\""), "%s", v);
    CHECKF(strstr(v, "\"url\":\"[llmtap: base64 image/jpeg, 1500 bytes]\",\"detail\":\"low\""), "%s", v);
    CHECK(strstr(v, "What is in these?"));
    CHECK(strlen(v) < 1000);
    CHECK(!strstr(b, "iVBORw0KGgo"));
    CHECK_HAS(b, "langfuse.observation.metadata.input_media_replaced", "{\"intValue\":\"3\"}");
    free(v);
    free(png);
    free(wav);
    free(jpg);
    body_free(&x);
    lt_generation_free(&g);
    lt_call_free(c);
}

static void event_base64_image_output_should_become_a_placeholder(void)
{
    struct lt_generation g;
    struct body x;
    event_setup();
    gen_chat(&g);
    g.operation = "image_generation";
    char *png = b64_blob("iVBORw0KGgoAAAANSUhEUg", 4000, false);
    size_t n = strlen(png) + 200;
    lt_free(g.output_json);
    g.output_json = lt_malloc(n);
    snprintf(g.output_json, n, "{\"created\":1713833628,\"data\":[{\"b64_json\":\"%s\"}]}", png);
    lt_free(g.output_text);
    g.output_text = d(png); /* a bare base64 text is media too */
    struct lt_call *c = call_new("https://api.openai.com/v1/images/generations", 200);
    render(&x, c, &g, true);
    CHECK_ATTR(x.b.data, "langfuse.observation.output",
               "{\"created\":1713833628,\"data\":[{\"b64_json\":\"[llmtap: base64 image/png, 3000 bytes]\"}]}");
    CHECK(strstr(x.b.data, "\"name\":\"image_generation gpt-4o-mini\""));
    body_free(&x);

    /* plain output text that is base64 (no output_json) */
    lt_free(g.output_json);
    g.output_json = NULL;
    render(&x, c, &g, true);
    /* a JSON string: bare "[llmtap: ..." would look like broken JSON */
    CHECK_ATTR(x.b.data, "langfuse.observation.output", "\"[llmtap: base64 image/png, 3000 bytes]\"");
    body_free(&x);
    free(png);
    lt_generation_free(&g);
    lt_call_free(c);
}

static void event_short_base64_and_ordinary_text_should_stay(void)
{
    struct lt_generation g;
    struct body x;
    event_setup();
    gen_chat(&g);
    const char *in = "{\"messages\":[{\"role\":\"user\",\"content\":\"data:image/png;base64,iVBORw0KGgo= is a tiny "
                     "PNG; the risk-assessment-framework-for-banks and task-oriented-dialogue-systems-rock; "
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 stays\"}]}";
    lt_free(g.input_json);
    g.input_json = d(in);
    struct lt_call *c = call_new("https://api.openai.com/v1/chat/completions", 200);
    render(&x, c, &g, true);
    CHECK_ATTR(x.b.data, "langfuse.observation.input", in);
    CHECK(!strstr(x.b.data, "media_replaced") && !strstr(x.b.data, "secrets_redacted"));
    body_free(&x);
    lt_generation_free(&g);
    lt_call_free(c);
}

static void event_unicode_and_invalid_utf8_should_stay_valid(void)
{
    struct lt_generation g;
    struct body x;
    event_setup();
    gen_chat(&g);
    lt_free(g.input_json);
    g.input_json = d("{\"messages\":[{\"role\":\"user\",\"content\":\"h\xC3\xA9llo \xE6\x97\xA5\xE6\x9C\xAC "
                     "\xF0\x9F\x98\x80 bad:\xFF\xFE cut:\xE2\x82 ctl:\\u0001 \\\"q\\\"\"}]}");
    lt_free(g.output_json);
    g.output_json = NULL;
    lt_free(g.output_text);
    g.output_text = d("ok \xE2\x9C\x93 tab\there\nnew line \xC3");
    struct lt_call *c = call_new("https://api.openai.com/v1/chat/completions", 200);
    render(&x, c, &g, true);
    char *v = attr(x.b.data, "langfuse.observation.input");
    CHECKF(v && strstr(v, "h\xC3\xA9llo \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80"), "%s", v);
    CHECKF(strstr(v, "bad:\xEF\xBF\xBD\xEF\xBF\xBD"), "%s", v); /* U+FFFD per bad byte */
    free(v);
    v = attr(x.b.data, "langfuse.observation.output");
    CHECKF(v && strstr(v, "tab\there\nnew line \xEF\xBF\xBD"), "%s", v);
    free(v);
    body_free(&x);
    lt_generation_free(&g);
    lt_call_free(c);
}

static void event_huge_json_field_should_be_cut_and_still_parse(void)
{
    struct lt_generation g;
    struct body x;
    event_setup();
    cfg.max_field_bytes = 4096;
    gen_chat(&g);
    struct lt_call *c = call_new("https://api.openai.com/v1/chat/completions", 200);

    /* cut inside a string value: the marker ends the string, brackets close */
    size_t n = 100000;
    char *in = lt_malloc(n + 100);
    int h = snprintf(in, n + 100, "{\"messages\":[{\"role\":\"user\",\"content\":\"");
    size_t i = (size_t)h;
    for (; i + 4 <= n; i += 4)
        memcpy(in + i, "a\xE2\x82\xAC", 4); /* "a€" */
    for (; i < n; i++)
        in[i] = 'x';
    size_t len = n + strlen(strcpy(in + n, "\"}]}"));
    lt_free(g.input_json);
    g.input_json = in;
    render(&x, c, &g, true);
    char *v = attr(x.b.data, "langfuse.observation.input");
    char tail[80];
    snprintf(tail, sizeof tail, "\xE2\x80\xA6[llmtap: truncated, %zu bytes]\"}]}", len);
    CHECKF(v && strlen(v) <= 4096 && strlen(v) > 3000, "length %zu", v ? strlen(v) : 0);
    CHECKF(!strcmp(v + strlen(v) - strlen(tail), tail), "ends with %s", v + strlen(v) - 60);
    free(v);
    char meta[64];
    snprintf(meta, sizeof meta, "{\"intValue\":\"%zu\"}", len);
    CHECK_HAS(x.b.data, "langfuse.observation.metadata.input_original_bytes", meta);
    body_free(&x);

    /* many small messages: the cut lands between or inside elements */
    for (int start = 0; start < 8; start++) {
        struct lt_buf m;
        lt_buf_init(&m, 0);
        lt_buf_adds(&m, "{\"model\":\"x\",\"messages\":[");
        for (int i = 0; i < 400; i++)
            lt_buf_printf(&m, "%s{\"role\":\"user\",\"n\":%d,\"ok\":true,\"content\":[\"%.*s\",null,{}]}", i ? "," : "",
                          i * 7 + start, start * 3 + 1, "abcdefghijklmnopqrstuvwxyz");
        lt_buf_adds(&m, "],\"tools\":[]}");
        lt_free(g.input_json);
        g.input_json = lt_buf_steal(&m, NULL);
        render(&x, c, &g, true);
        v = attr(x.b.data, "langfuse.observation.input");
        CHECKF(v && strstr(v, "[llmtap: truncated,") && strlen(v) <= 4096, "%s", v);
        free(v);
        body_free(&x);
    }

    /* nested past the depth the closer tracks: cut as text, marker first */
    struct lt_buf deep;
    lt_buf_init(&deep, 0);
    for (int i = 0; i < 300; i++)
        lt_buf_addc(&deep, '[');
    for (int i = 0; i < 5000; i++)
        lt_buf_adds(&deep, "1,");
    lt_buf_addc(&deep, '1');
    for (int i = 0; i < 300; i++)
        lt_buf_addc(&deep, ']');
    lt_free(g.input_json);
    g.input_json = lt_buf_steal(&deep, NULL);
    render(&x, c, &g, true);
    v = attr(x.b.data, "langfuse.observation.input");
    CHECKF(v && !strncmp(v, "\xE2\x80\xA6[llmtap: truncated, ", 23), "%.60s", v);
    free(v);
    body_free(&x);

    /* model parameters stay a JSON object when cut */
    struct lt_buf p;
    lt_buf_init(&p, 0);
    lt_buf_adds(&p, "{\"temperature\":0.2,\"logit_bias\":{");
    for (int i = 0; i < 2000; i++)
        lt_buf_printf(&p, "%s\"%d\":-100", i ? "," : "", 1000 + i);
    lt_buf_adds(&p, "}}");
    lt_free(g.params_json);
    g.params_json = lt_buf_steal(&p, NULL);
    render(&x, c, &g, true);
    v = attr(x.b.data, "langfuse.observation.model.parameters");
    CHECKF(v && v[0] == '{' && strstr(v, "\"llmtap_truncated\":\"\xE2\x80\xA6[llmtap: truncated,"), "%.80s", v);
    free(v);
    body_free(&x);
    lt_generation_free(&g);
    lt_call_free(c);
}

static void event_huge_plain_output_should_be_cut_at_a_character(void)
{
    struct lt_generation g;
    struct body x;
    event_setup();
    gen_chat(&g);
    size_t n = 3 * 1024 * 1024 + 1;
    char *t = lt_malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        t[i] = i % 3 == 0 ? 'x' : i % 3 == 1 ? (char)0xC3 : (char)0xA9; /* "xé" */
    t[n] = '\0';
    lt_free(g.output_json);
    g.output_json = NULL;
    lt_free(g.output_text);
    g.output_text = t;
    struct lt_call *c = call_new("https://api.openai.com/v1/chat/completions", 200);
    render(&x, c, &g, true);
    char *v = attr(x.b.data, "langfuse.observation.output");
    char marker[64];
    snprintf(marker, sizeof marker, "\xE2\x80\xA6[llmtap: truncated, %zu bytes]", n);
    size_t vl = strlen(v);
    CHECK(vl <= ((size_t)1 << 20) && vl > ((size_t)1 << 20) - 1000);
    CHECK(!strcmp(v + vl - strlen(marker), marker));
    CHECK(!strstr(v, "\xEF\xBF\xBD")); /* no character was split */
    free(v);
    body_free(&x);
    lt_generation_free(&g);
    lt_call_free(c);
}

static void event_generation_without_usage_should_send_none(void)
{
    struct lt_generation g;
    struct body x;
    event_setup();
    gen_chat(&g);
    g.has_usage = false;
    g.n_usage = 0;
    struct lt_call *c = call_new("https://api.openai.com/v1/chat/completions", 200);
    render(&x, c, &g, false); /* the only warning allowed: "a generation without usage" */
    CHECK(!strstr(x.b.data, "usage_details"));
    CHECK(!strstr(x.b.data, "gen_ai.usage"));
    body_free(&x);

    /* reported but negative counts are dropped, not sent */
    g.has_usage = true;
    gen_usage(&g, "input", 10);
    gen_usage(&g, "output", -1);
    render(&x, c, &g, true);
    CHECK_ATTR(x.b.data, "langfuse.observation.usage_details", "{\"input\":10}");
    body_free(&x);
    lt_generation_free(&g);
    lt_call_free(c);
}

static void event_embedding_should_be_an_embedding_observation(void)
{
    struct lt_generation g;
    struct body x;
    event_setup();
    memset(&g, 0, sizeof g);
    g.provider = "openai";
    g.operation = "embeddings";
    g.obs_type = "embedding";
    g.model = d("text-embedding-3-small");
    g.request_model = d("text-embedding-3-small");
    g.input_json = d("\"The food was delicious\"");
    gen_usage(&g, "input", 5);
    gen_usage(&g, "total", 5);
    struct lt_call *c = call_new("https://api.openai.com/v1/embeddings", 200);
    render(&x, c, &g, true);
    CHECK_ATTR(x.b.data, "langfuse.observation.type", "embedding");
    CHECK(strstr(x.b.data, "\"name\":\"embeddings text-embedding-3-small\""));
    body_free(&x);
    lt_generation_free(&g);
    lt_call_free(c);
}

static void event_body_with_several_spans_should_validate(void)
{
    struct lt_generation g;
    struct body x;
    event_setup();
    gen_chat(&g);
    struct lt_call *c = call_new("https://api.openai.com/v1/chat/completions", 200);
    body_begin(&x);
    for (int i = 0; i < 5; i++) {
        c->start_ns += 1000000;
        body_gen(&x, c, &g);
    }
    c->http_status = 429;
    g.status_message = d("HTTP 429: Rate limit reached");
    body_gen(&x, c, &g);
    body_proc(&x, &proc, 6);
    /* a fork child's process span, under the parent's */
    struct lt_process child = proc;
    strcpy(child.parent_span_id, proc.span_id);
    strcpy(child.span_id, "0123456789abcdef");
    child.pid = 4243;
    body_proc(&x, &child, 0);
    body_end(&x);
    validate(&x, true);
    CHECK(strstr(x.b.data, "\"spanId\":\"0123456789abcdef\",\"parentSpanId\":\"eee19b7ec3c1b174\""));
    body_free(&x);
    lt_generation_free(&g);
    lt_call_free(c);
}

static void event_should_never_export_keys_or_queries(void)
{
    struct lt_generation g;
    struct body x;
    event_setup();
    gen_chat(&g);
    lt_free(g.input_json);
    g.input_json = d("{\"messages\":[{\"role\":\"user\",\"content\":\"my key is sk-proj-abcdefghijklmnopqrstuvwxyz0123 "
                     "and the header was Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig, Langfuse "
                     "sk-lf-1234abcd-5678-90ef-abcd and pk-lf-1234abcd-5678; google AIzaSyA-FAKEFAKEFAKEFAKEFAKEFAKEFAK;"
                     "\\nsk-ant-api03-abcdefghijklmnopqrstu; aws AKIAIOSFODNN7EXAMPLE; "
                     "Basic cGstbGYtMDAwMC0xMTExOnNrLWxmLXNlY3JldC14eXo=\"}]}");
    g.level = LT_LEVEL_ERROR;
    g.status_message = d("Incorrect API key provided: sk-proj-abcdefghijklmnopqrstuvwxyz0123. Use Bearer abcdefghijklmnop");
    g.meta[1].key = "x_debug";
    g.meta[1].value = d("token=Bearer abcdefghijklmnopqrstuvwxyz");
    g.n_meta = 2;
    struct lt_call *c = call_new("https://generativelanguage.googleapis.com/v1beta/models/gemini-1.5-flash:"
                                 "generateContent?key=AIzaSyA-FAKEFAKEFAKEFAKEFAKEFAKEFAK&alt=sse#frag",
                                 401);
    render(&x, c, &g, true); /* validate() checks the forbidden strings */
    const char *b = x.b.data;
    CHECK_ATTR(b, "langfuse.observation.metadata.endpoint", "/v1beta/models/gemini-1.5-flash:generateContent");
    char *v = attr(b, "langfuse.observation.input");
    CHECKF(v && strstr(v, "my key is [llmtap: redacted] and the header was Authorization: [llmtap: redacted], "
                          "Langfuse [llmtap: redacted] and [llmtap: redacted]; google [llmtap: redacted];"
                          "\\n[llmtap: redacted]; aws [llmtap: redacted]; [llmtap: redacted]"),
           "%s", v);
    free(v);
    CHECK_HAS(b, "langfuse.observation.metadata.input_secrets_redacted", "{\"intValue\":\"8\"}");
    CHECK_ATTR(b, "langfuse.observation.status_message",
               "Incorrect API key provided: [llmtap: redacted]. Use [llmtap: redacted]");
    CHECK(strstr(b, "\"message\":\"Incorrect API key provided: [llmtap: redacted]. Use [llmtap: redacted]\""));
    CHECK_ATTR(b, "langfuse.observation.metadata.x_debug", "token=[llmtap: redacted]");
    CHECK(!strstr(b, "alt=sse") && !strstr(b, "frag"));
    body_free(&x);
    lt_generation_free(&g);
    lt_call_free(c);
}

static void event_should_restore_the_buffer_when_it_is_full(void)
{
    struct lt_generation g;
    struct lt_buf b;
    char sid[17] = "00000000000000a1";
    event_setup();
    gen_chat(&g);
    struct lt_call *c = call_new("https://api.openai.com/v1/chat/completions", 200);
    lt_buf_init(&b, 200);
    lt_buf_adds(&b, "HEAD,");
    CHECK_INT(lt_event_generation(&b, &cfg, &proc, c, &g, sid), LT_ERR_NOMEM);
    CHECK_INT(b.len, 5);
    CHECK(!b.truncated && !b.oom && b.dropped == 0);
    CHECK_STR(b.data, "HEAD,");
    CHECK_INT(lt_event_process_span(&b, &cfg, &proc, lt_now_ns(), 1), LT_ERR_NOMEM);
    CHECK_STR(b.data, "HEAD,");
    CHECK_INT(lt_event_body_head(&b, &cfg, &proc), LT_ERR_NOMEM);
    CHECK_STR(b.data, "HEAD,");
    lt_buf_free(&b);
    lt_generation_free(&g);
    lt_call_free(c);
}

static void event_should_restore_the_buffer_on_allocation_failure(void)
{
    struct lt_generation g;
    struct lt_buf b;
    char sid[17] = "00000000000000a1";
    event_setup();
    cfg.max_field_bytes = 2048;
    gen_chat(&g);
    char *png = b64_blob("iVBORw0KGgo", 3000, false);
    struct lt_buf in;
    lt_buf_init(&in, 0);
    lt_buf_printf(&in, "{\"messages\":[{\"role\":\"user\",\"content\":\"data:image/png;base64,%s %0*d\"}]}", png,
                  5000, 7);
    free(png);
    lt_free(g.input_json);
    g.input_json = lt_buf_steal(&in, NULL);
    g.status_message = d("something odd");
    g.level = LT_LEVEL_WARNING;
    struct lt_call *c = call_new("https://api.openai.com/v1/chat/completions", 200);
    lt_buf_init(&b, 0);
    lt_buf_adds(&b, "HEAD,");
    int failures = 0;
    for (uint64_t k = 1; k < 100; k++) {
        lt_mem_fail_at(k);
        enum lt_rc rc = lt_event_generation(&b, &cfg, &proc, c, &g, sid);
        uint64_t used = lt_mem_count();
        lt_mem_fail_at(0);
        if (rc == LT_OK) {
            CHECK(used < k);
            break;
        }
        failures++;
        CHECK_INT(rc, LT_ERR_NOMEM);
        CHECK_INT(b.len, 5);
        CHECK(!b.truncated);
        CHECK_STR(b.data, "HEAD,");
    }
    CHECK(failures >= 3);
    CHECK(strstr(b.data, "[llmtap: base64 image/png"));
    lt_buf_free(&b);
    lt_generation_free(&g);
    lt_call_free(c);
}

static void event_process_span_should_carry_the_process_not_its_command_line(void)
{
    struct body x;
    event_setup();
    body_begin(&x);
    body_proc(&x, &proc, 3);
    body_end(&x);
    validate(&x, true);
    const char *b = x.b.data;
    CHECK(strstr(b, "{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"eee19b7ec3c1b174\","
                    "\"name\":\"app.py\",\"kind\":1,"));
    CHECK(!strstr(b, "parentSpanId"));
    CHECK_ATTR(b, "langfuse.observation.type", "span");
    CHECK_HAS(b, "langfuse.observation.metadata.pid", "{\"intValue\":\"4242\"}");
    CHECK_ATTR(b, "langfuse.observation.metadata.exe", "python3");
    CHECK_ATTR(b, "langfuse.observation.metadata.script", "/srv/app.py");
    CHECK_ATTR(b, "langfuse.observation.metadata.host", "build-host");
    CHECK_HAS(b, "langfuse.observation.metadata.generations", "{\"intValue\":\"3\"}");
    CHECK_ATTR(b, "langfuse.trace.name", "app.py");
    CHECK(!strstr(b, "command"));
    body_free(&x);
}

static void event_resource_should_take_otel_service_name_and_attributes(void)
{
    struct body x;
    event_setup();
    cfg.service_name = "billing";
    cfg.n_resource_attrs = 3;
    cfg.resource_attrs[0].key = "deployment.environment.name";
    cfg.resource_attrs[0].value = "production";
    cfg.resource_attrs[1].key = "service.name"; /* OTEL_SERVICE_NAME wins */
    cfg.resource_attrs[1].value = "ignored";
    cfg.resource_attrs[2].key = "team";
    cfg.resource_attrs[2].value = "a b";
    body_begin(&x);
    body_proc(&x, &proc, 0);
    body_end(&x);
    validate(&x, true);
    CHECK_HAS(x.b.data, "service.name", "{\"stringValue\":\"billing\"}");
    CHECK(!strstr(x.b.data, "ignored"));
    CHECK_ATTR(x.b.data, "deployment.environment.name", "production");
    CHECK_ATTR(x.b.data, "team", "a b");
    body_free(&x);
}

static void event_rendering_should_take_microseconds(void)
{
    struct lt_generation g;
    struct lt_buf b;
    char sid[17] = "00000000000000a1";
    event_setup();
    gen_chat(&g);
    struct lt_call *c = call_new("https://api.openai.com/v1/chat/completions", 200);
    lt_buf_init(&b, 0);
    enum { N = 20000 };
    int64_t t0 = lt_mono_ns();
    for (int i = 0; i < N; i++) {
        lt_buf_reset(&b);
        CHECK(lt_event_generation(&b, &cfg, &proc, c, &g, sid) == LT_OK);
    }
    double us = (double)(lt_mono_ns() - t0) / N / 1000.0;
    printf("    # %.2f us per chat generation span (%zu bytes)\n", us, b.len);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    CHECKF(us < 20.0, "%.2f us per span", us);
#endif
    lt_buf_free(&b);
    lt_generation_free(&g);
    lt_call_free(c);
}

static const struct tap_case cases[] = {
    TAP(event_chat_should_validate_with_every_attribute),
    TAP(event_stream_should_have_completion_start_within_the_span),
    TAP(event_tool_calls_should_become_an_assistant_message),
    TAP(event_http_404_should_be_an_error_with_status_2),
    TAP(event_curl_timeout_should_be_an_error_with_the_curl_text),
    TAP(event_cut_response_should_be_a_warning_with_a_marker),
    TAP(event_base64_media_in_input_should_become_placeholders),
    TAP(event_base64_image_output_should_become_a_placeholder),
    TAP(event_short_base64_and_ordinary_text_should_stay),
    TAP(event_unicode_and_invalid_utf8_should_stay_valid),
    TAP(event_huge_json_field_should_be_cut_and_still_parse),
    TAP(event_huge_plain_output_should_be_cut_at_a_character),
    TAP(event_generation_without_usage_should_send_none),
    TAP(event_embedding_should_be_an_embedding_observation),
    TAP(event_body_with_several_spans_should_validate),
    TAP(event_should_never_export_keys_or_queries),
    TAP(event_should_restore_the_buffer_when_it_is_full),
    TAP(event_should_restore_the_buffer_on_allocation_failure),
    TAP(event_process_span_should_carry_the_process_not_its_command_line),
    TAP(event_resource_should_take_otel_service_name_and_attributes),
    TAP(event_rendering_should_take_microseconds),
};

int main(int argc, char **argv)
{
    return tap_main(argc, argv, cases, TAP_N(cases));
}
