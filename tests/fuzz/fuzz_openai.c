/* fuzz_openai.c — every OpenAI wire-format parser (chat completions,
 * Responses, legacy completions, embeddings) on arbitrary responses and
 * requests, differentially: the generation from the response fed whole must
 * equal, field by field, the one from the response fed in pieces (split plan
 * from the first bytes), and the one read with the jscan fast paths (chat's
 * chunks and answers, embeddings answers) must equal the one read with
 * cJSON only.
 *
 * Byte 0: flags: bit 0 stream/SSE Content-Type, bit 1 HTTP 500, bit 2
 * transfer incomplete, bit 3 known host, bits 4-6 the API (1 chat, 2
 * Responses, 3 completions, 4 embeddings; 0 and 5-7: guessed from the
 * request, so that the fixture seeds reach every parser), bit 7 an Azure
 * deployment URL. Byte 1: split seed; byte 2: largest piece; then the
 * request body up to the first 0xFF byte, then the response (fuzz_gen.h). */
#include "../../providers/jscan.h"
#include "fuzz_gen.h"

/* A key in the URL's query: it must never reach the generation (unless the
 * bodies themselves carry the same bytes, which the fuzzer can learn). */
#define FUZZ_KEY "Zq8xK3vW9pL2"

static bool fuzz_has(const uint8_t *d, size_t n, const char *s)
{
    return n && memmem(d, n, s, strlen(s)) != NULL;
}

/* The API the flags name, else the one the request looks like. */
static enum lt_api fuzz_api(unsigned flags, const uint8_t *req, size_t req_len, const uint8_t *resp, size_t resp_len)
{
    switch ((flags >> 4) & 7) {
    case 1:
        return LT_API_OPENAI_CHAT;
    case 2:
        return LT_API_OPENAI_RESPONSES;
    case 3:
        return LT_API_OPENAI_COMPLETIONS;
    case 4:
        return LT_API_OPENAI_EMBEDDINGS;
    default:
        break;
    }
    if (fuzz_has(req, req_len, "\"messages\""))
        return LT_API_OPENAI_CHAT;
    if (fuzz_has(req, req_len, "\"prompt\"") && !fuzz_has(resp, resp_len, "\"embedding\""))
        return LT_API_OPENAI_COMPLETIONS;
    if (fuzz_has(req, req_len, "\"input\""))
        return fuzz_has(resp, resp_len, "\"embedding\"") || fuzz_has(req, req_len, "encoding_format")
                   ? LT_API_OPENAI_EMBEDDINGS
                   : LT_API_OPENAI_RESPONSES;
    return LT_API_OPENAI_CHAT;
}

static const char *fuzz_url(enum lt_api api, bool azure)
{
    switch (api) {
    case LT_API_OPENAI_RESPONSES:
        return azure ? "https://res.openai.azure.com/openai/responses?api-version=2025-04-01-preview&key=" FUZZ_KEY
                     : "https://api.example.test/v1/responses?key=" FUZZ_KEY;
    case LT_API_OPENAI_COMPLETIONS:
        return azure ? "https://res.openai.azure.com/openai/deployments/dep-1/completions?key=" FUZZ_KEY
                     : "https://api.example.test/v1/completions?key=" FUZZ_KEY;
    case LT_API_OPENAI_EMBEDDINGS:
        return azure ? "https://res.openai.azure.com/openai/deployments/dep-1/embeddings?key=" FUZZ_KEY
                     : "https://api.example.test/v1/embeddings?key=" FUZZ_KEY;
    default:
        return azure ? "https://res.openai.azure.com/openai/deployments/dep-1/chat/completions?key=" FUZZ_KEY
                     : "https://api.example.test/v1/chat/completions?key=" FUZZ_KEY;
    }
}

static void fuzz_target(struct fuzz_input *fi)
{
    unsigned flags = fi->flags;
    bool azure = (flags & 0x80) != 0;
    enum lt_api api = fuzz_api(flags, fi->data, fi->req_len, fi->resp, fi->resp_len);
    struct lt_parse_in in = {
        .api = api,
        .provider = azure ? "azure" : (flags & 8) ? "openai" : "openai-compatible",
        .known_host = azure || (flags & 8) != 0,
        .url = fuzz_url(api, azure),
        .req = fi->req,
        .req_len = fi->req_len,
        .http_status = (flags & 2) ? 500 : 200,
        .content_type = (flags & 1) ? "text/event-stream" : "application/json",
    };
    bool complete = !(flags & 4);
    struct lt_generation a, c;
    enum lt_rc ra = fuzz_differential(fi, &in, complete, FUZZ_KEY, 0, &a);
    lt_jscan_set_fastpath(false);
    enum lt_rc rc = fuzz_parse(&in, fi->resp, fi->resp_len, NULL, complete, &c);
    lt_jscan_set_fastpath(true);
    if (rc != ra)
        abort();
    if (ra == LT_OK) {
        fuzz_compare("without the fast path", &a, &c, GEN_ALL);
        if (api == LT_API_OPENAI_EMBEDDINGS && a.output_json && strlen(a.output_json) > 64)
            abort(); /* a summary, never vectors */
    }
    lt_generation_free(&a);
    lt_generation_free(&c);
}
