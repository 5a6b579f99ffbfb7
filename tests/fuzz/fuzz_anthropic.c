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
 * then the response (fuzz_gen.h). */
#include "../../providers/bedrock.h"
#include "../../providers/framing.h"
#include "../../shim/buf.h"
#include "../lib/awsev.h"
#include "fuzz_gen.h"

/* A key in the URL's query: it must never reach the generation (unless the
 * bodies themselves carry the same bytes). */
#define FUZZ_KEY "Qv7mN2xR8kL4"
/* The line-by-line envelope comparison is quadratic at worst in the number
 * of lines (one parse each): bounded. */
#define FUZZ_LINES_MAX 256

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
                awsev_b64(&chunk, resp + i, e - i);
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
    if (ra == LT_OK && rb == LT_OK) {
        fuzz_compare("between the SSE and the Bedrock chunk envelopes", &a, &b, GEN_RESPONSE);
        fuzz_check_counts(&a);
    } else if ((ra == LT_OK) != (rb == LT_OK) && ra != LT_ERR_NOMEM && rb != LT_ERR_NOMEM)
        abort();
    lt_generation_free(&a);
    lt_generation_free(&b);
    lt_buf_free(&sse);
}

static void fuzz_target(struct fuzz_input *fi)
{
    unsigned flags = fi->flags;
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
        .req = fi->req,
        .req_len = fi->req_len,
        .http_status = (flags & 8) ? 500 : 200,
        .content_type = !streamed_ct ? "application/json"
                        : api >= 2   ? "application/vnd.amazon.eventstream"
                                     : "text/event-stream",
    };
    fuzz_run(fi, &in, !(flags & 16), FUZZ_KEY, 0);
    if (api == 3 && !(flags & 8))
        fuzz_envelopes(fi->req, fi->req_len, fi->resp, fi->resp_len);
}
