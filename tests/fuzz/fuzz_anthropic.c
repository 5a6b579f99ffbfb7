/* fuzz_anthropic.c — the Anthropic Messages, legacy Text Completions and
 * Bedrock InvokeModel parsers on arbitrary requests and responses,
 * differentially:
 *   1. the generation from the response fed whole must equal, field by
 *      field, the one from the response fed in pieces (split plan from the
 *      first bytes);
 *   2. for the Bedrock stream path, every line of the response is also one
 *      event twice over: an SSE `data:` line to the Messages parser and a
 *      base64 `chunk` frame to the Bedrock frame callback; both must give
 *      the same answer (the envelope must not change what is read).
 * Byte 0: flags (bits 0-1 API: messages, complete, bedrock invoke, bedrock
 * invoke-with-response-stream; bit 2 known host; bit 3 HTTP 500; bit 4
 * transfer incomplete; bit 5 streamed Content-Type); byte 1: split seed;
 * byte 2: largest piece; then the request body up to the first 0xFF byte,
 * then the response. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../providers/bedrock.h"
#include "../../providers/framing.h"
#include "../../providers/provider.h"
#include "../../shim/buf.h"
#include "../../shim/json.h"
#include "fuzz.h"

/* A key in the URL's query: it must never reach the generation (unless the
 * bodies themselves carry the same bytes). */
#define FUZZ_KEY "Qv7mN2xR8kL4"
/* The line-by-line envelope comparison is quadratic at worst in the number
 * of lines (one parse each): bounded. */
#define FUZZ_LINES_MAX 256

static int fuzz_str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void fuzz_same(const char *how, const char *what, const char *a, const char *b)
{
    if (fuzz_str_eq(a, b))
        return;
    fprintf(stderr, "fuzz_anthropic: %s differs %s:\n  a: %.300s\n  b: %.300s\n", what, how, a ? a : "(null)",
            b ? b : "(null)");
    abort();
}

/* The response side of two generations, field by field; `all` adds the
 * request side and metadata. */
static void fuzz_compare(const char *how, const struct lt_generation *a, const struct lt_generation *b, bool all)
{
#define FUZZ_SAME(f) fuzz_same(how, #f, a->f, b->f)
    FUZZ_SAME(output_json);
    FUZZ_SAME(output_text);
    FUZZ_SAME(reasoning_text);
    FUZZ_SAME(finish_reason);
    FUZZ_SAME(response_id);
    FUZZ_SAME(response_model);
    FUZZ_SAME(status_message);
    if (all) {
        FUZZ_SAME(provider);
        FUZZ_SAME(model);
        FUZZ_SAME(request_model);
        FUZZ_SAME(params_json);
        FUZZ_SAME(input_json);
    }
#undef FUZZ_SAME
    if (a->level != b->level || a->has_usage != b->has_usage || a->n_tool_calls != b->n_tool_calls ||
        a->n_usage != b->n_usage || (all && (a->stream != b->stream || a->n_input_messages != b->n_input_messages ||
                                             a->n_meta != b->n_meta))) {
        fprintf(stderr, "fuzz_anthropic: counts differ %s: level %d/%d, tools %d/%d, usage %d/%d, meta %d/%d\n", how,
                (int)a->level, (int)b->level, a->n_tool_calls, b->n_tool_calls, a->n_usage, b->n_usage, a->n_meta,
                b->n_meta);
        abort();
    }
    for (int i = 0; i < a->n_tool_calls; i++) {
        fuzz_same(how, "tool id", a->tool_calls[i].id, b->tool_calls[i].id);
        fuzz_same(how, "tool name", a->tool_calls[i].name, b->tool_calls[i].name);
        fuzz_same(how, "tool arguments", a->tool_calls[i].arguments, b->tool_calls[i].arguments);
    }
    for (int i = 0; i < a->n_usage; i++)
        if (strcmp(a->usage[i].key, b->usage[i].key) || a->usage[i].value != b->usage[i].value ||
            a->usage[i].value < 0) {
            fprintf(stderr, "fuzz_anthropic: usage %s %lld vs %s %lld %s\n", a->usage[i].key, a->usage[i].value,
                    b->usage[i].key, b->usage[i].value, how);
            abort();
        }
    for (int i = 0; all && i < a->n_meta; i++) {
        fuzz_same(how, "meta key", a->meta[i].key, b->meta[i].key);
        fuzz_same(how, "meta value", a->meta[i].value, b->meta[i].value);
    }
}

static enum lt_rc fuzz_parse(const struct lt_parse_in *in, const uint8_t *resp, size_t n, struct fuzz_split *split,
                             bool complete, struct lt_generation *g)
{
    struct lt_parser *p = NULL;
    memset(g, 0, sizeof *g);
    enum lt_rc rc = lt_parser_new(in, &p);
    if (rc != LT_OK)
        return rc;
    size_t off = 0;
    while (off < n) {
        size_t k = split ? fuzz_next_chunk(split) : n - off;
        if (k > n - off)
            k = n - off;
        lt_parser_feed(p, (const char *)resp + off, k);
        off += k;
    }
    rc = lt_parser_finish(p, complete, g);
    lt_parser_free(p);
    return rc;
}

static void fuzz_b64(struct lt_buf *out, const uint8_t *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        lt_buf_addc(out, tab[v >> 18 & 63]);
        lt_buf_addc(out, tab[v >> 12 & 63]);
        lt_buf_addc(out, i + 1 < n ? tab[v >> 6 & 63] : '=');
        lt_buf_addc(out, i + 2 < n ? tab[v & 63] : '=');
    }
}

/* Check 2: each line of resp as an SSE event to the Messages parser and as a
 * Bedrock chunk frame; the answers must agree. */
static void fuzz_envelopes(const char *req, size_t req_len, const uint8_t *resp, size_t n)
{
    size_t lines = 0;
    for (size_t i = 0; i < n; i++) {
        if (resp[i] == '\r')
            return; /* SSE ends a line there too: the two envelopes would not carry the same events */
        if (resp[i] == '\n' && ++lines > FUZZ_LINES_MAX)
            return;
    }
    struct lt_buf sse;
    lt_buf_init(&sse, 0);
    lt_buf_adds(&sse, ": fuzz\n\n"); /* neither a BOM nor a '{' may start the stream */
    for (size_t i = 0; i < n;) {
        const uint8_t *nl = memchr(resp + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - resp) : n;
        if (e > i) {
            lt_buf_adds(&sse, "data: ");
            lt_buf_add(&sse, resp + i, e - i);
            lt_buf_adds(&sse, "\n\n");
        }
        i = e + 1;
    }
    if (sse.truncated) {
        lt_buf_free(&sse);
        return;
    }
    struct lt_parse_in sin = {
        .api = LT_API_ANTHROPIC_MESSAGES, .provider = "anthropic", .known_host = true,
        .url = "https://api.anthropic.com/v1/messages", .req = req, .req_len = req_len, .http_status = 200,
        .content_type = "text/event-stream",
    };
    struct lt_generation a, b;
    enum lt_rc ra = fuzz_parse(&sin, (const uint8_t *)sse.data, sse.len, NULL, true, &a);

    memset(&b, 0, sizeof b);
    b.n_input_messages = -1;
    void *state = NULL;
    struct lt_parse_in bin = {
        .api = LT_API_BEDROCK_INVOKE, .provider = "bedrock", .known_host = true,
        .url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/invoke-with-response-stream", .req = req,
        .req_len = req_len, .http_status = 200, .content_type = "application/vnd.amazon.eventstream",
    };
    enum lt_rc rb = lt_bedrock_invoke_ops.request(&bin, &b, &state);
    if (rb == LT_OK) {
        struct lt_buf chunk;
        lt_buf_init(&chunk, 0);
        unsigned long long frames = 0;
        for (size_t i = 0; i < n;) {
            const uint8_t *nl = memchr(resp + i, '\n', n - i);
            size_t e = nl ? (size_t)(nl - resp) : n;
            if (e > i) {
                lt_buf_reset(&chunk);
                lt_buf_adds(&chunk, "{\"bytes\":\"");
                fuzz_b64(&chunk, resp + i, e - i);
                lt_buf_adds(&chunk, "\"}");
                struct lt_frame f = { "chunk", 5, "event", 5, chunk.data, chunk.len };
                lt_bedrock_invoke_ops.frame(state, &b, &f);
                frames++;
            }
            i = e + 1;
        }
        lt_buf_free(&chunk);
        struct lt_parse_end pe = { .complete = true, .http_status = 200, .framed = true, .bytes = sse.len,
                                   .frames = frames };
        rb = lt_bedrock_invoke_ops.end(state, &pe, &b);
    }
    lt_bedrock_invoke_ops.free(state);
    if (ra == LT_OK && rb == LT_OK)
        fuzz_compare("between the SSE and the Bedrock chunk envelopes", &a, &b, false);
    else if ((ra == LT_OK) != (rb == LT_OK) && ra != LT_ERR_NOMEM && rb != LT_ERR_NOMEM)
        abort();
    lt_generation_free(&a);
    lt_generation_free(&b);
    lt_buf_free(&sse);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int loaded;
    if (!loaded) {
        if (lt_json_load() != LT_OK)
            abort();
        loaded = 1;
    }
    if (size < 3)
        return 0;
    unsigned flags = data[0];
    struct fuzz_split split = { data[1], (size_t)data[2] + 1 };
    data += 3;
    size -= 3;
    const uint8_t *sep = memchr(data, 0xFF, size);
    size_t req_len = sep ? (size_t)(sep - data) : 0;
    const uint8_t *resp = sep ? sep + 1 : data;
    size_t resp_len = size - (size_t)(resp - data);
    unsigned api = flags & 3;
    bool known = (flags & 4) != 0;
    bool streamed_ct = (flags & 32) != 0;
    static const char *const urls[4][2] = {
        { "http://10.9.8.7:4000/v1/messages?key=" FUZZ_KEY, "https://api.anthropic.com/v1/messages?key=" FUZZ_KEY },
        { "http://10.9.8.7:4000/v1/complete?key=" FUZZ_KEY, "https://api.anthropic.com/v1/complete?key=" FUZZ_KEY },
        { "https://proxy.example.test/model/us.anthropic.claude-3-haiku-20240307-v1%3A0/invoke?key=" FUZZ_KEY,
          "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-3-haiku-20240307-v1%3A0/"
          "invoke?key=" FUZZ_KEY },
        { "https://proxy.example.test/model/anthropic.claude-v2%3A1/invoke-with-response-stream?key=" FUZZ_KEY,
          "https://bedrock-runtime.us-west-2.amazonaws.com/model/anthropic.claude-v2%3A1/"
          "invoke-with-response-stream?key=" FUZZ_KEY },
    };
    static const enum lt_api apis[4] = { LT_API_ANTHROPIC_MESSAGES, LT_API_ANTHROPIC_COMPLETE, LT_API_BEDROCK_INVOKE,
                                         LT_API_BEDROCK_INVOKE };
    struct lt_parse_in in = {
        .api = apis[api],
        .provider = api >= 2 ? "bedrock" : known ? "anthropic" : "anthropic-compatible",
        .known_host = known,
        .url = urls[api][known],
        .req = sep ? (const char *)data : NULL,
        .req_len = req_len,
        .http_status = (flags & 8) ? 500 : 200,
        .content_type = !streamed_ct ? "application/json"
                        : api >= 2   ? "application/vnd.amazon.eventstream"
                                     : "text/event-stream",
    };
    bool complete = !(flags & 16);
    struct lt_generation a, b;
    enum lt_rc ra = fuzz_parse(&in, resp, resp_len, NULL, complete, &a);
    enum lt_rc rb = fuzz_parse(&in, resp, resp_len, &split, complete, &b);
    if (ra != rb)
        abort();
    if (ra == LT_OK) {
        fuzz_compare("when split", &a, &b, true);
        /* the query's key never reaches the generation */
        if (!memmem(data, size, FUZZ_KEY, strlen(FUZZ_KEY))) {
            const char *fields[] = { a.model, a.request_model, a.status_message, a.input_json, a.params_json,
                                     a.output_json };
            for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
                if (fields[i] && strstr(fields[i], FUZZ_KEY))
                    abort();
            for (int i = 0; i < a.n_meta; i++)
                if (strstr(a.meta[i].value, FUZZ_KEY))
                    abort();
        }
    }
    lt_generation_free(&a);
    lt_generation_free(&b);
    if (api == 3 && !(flags & 8))
        fuzz_envelopes(sep ? (const char *)data : NULL, req_len, resp, resp_len);
    return 0;
}
