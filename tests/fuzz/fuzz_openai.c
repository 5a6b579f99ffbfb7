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
 * request body up to the first 0xFF byte, then the response. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../providers/jscan.h"
#include "../../providers/provider.h"
#include "../../shim/json.h"
#include "fuzz.h"

/* A key in the URL's query: it must never reach the generation (unless the
 * bodies themselves carry the same bytes, which the fuzzer can learn). */
#define FUZZ_KEY "Zq8xK3vW9pL2"

static int fuzz_str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void fuzz_same(const char *how, const char *what, const char *a, const char *b)
{
    if (fuzz_str_eq(a, b))
        return;
    fprintf(stderr, "fuzz_openai: %s differs %s:\n  a: %.300s\n  b: %.300s\n", what, how, a ? a : "(null)",
            b ? b : "(null)");
    abort();
}

/* Every field of two generations that must be equal. */
static void fuzz_compare(const char *how, const struct lt_generation *a, const struct lt_generation *b)
{
#define FUZZ_SAME(f) fuzz_same(how, #f, a->f, b->f)
    FUZZ_SAME(provider);
    FUZZ_SAME(operation);
    FUZZ_SAME(obs_type);
    FUZZ_SAME(model);
    FUZZ_SAME(request_model);
    FUZZ_SAME(response_model);
    FUZZ_SAME(params_json);
    FUZZ_SAME(input_json);
    FUZZ_SAME(output_json);
    FUZZ_SAME(output_text);
    FUZZ_SAME(reasoning_text);
    FUZZ_SAME(finish_reason);
    FUZZ_SAME(response_id);
    FUZZ_SAME(status_message);
#undef FUZZ_SAME
    if (a->stream != b->stream || a->level != b->level || a->has_usage != b->has_usage ||
        a->n_tool_calls != b->n_tool_calls || a->n_usage != b->n_usage || a->n_meta != b->n_meta ||
        a->n_input_messages != b->n_input_messages || a->n_embeddings != b->n_embeddings) {
        fprintf(stderr, "fuzz_openai: counts differ %s: level %d/%d usage %d/%d tools %d/%d meta %d/%d\n", how,
                (int)a->level, (int)b->level, a->n_usage, b->n_usage, a->n_tool_calls, b->n_tool_calls, a->n_meta,
                b->n_meta);
        abort();
    }
    for (int i = 0; i < a->n_tool_calls; i++) {
        fuzz_same(how, "tool id", a->tool_calls[i].id, b->tool_calls[i].id);
        fuzz_same(how, "tool name", a->tool_calls[i].name, b->tool_calls[i].name);
        fuzz_same(how, "tool arguments", a->tool_calls[i].arguments, b->tool_calls[i].arguments);
    }
    for (int i = 0; i < a->n_usage; i++)
        if (strcmp(a->usage[i].key, b->usage[i].key) || a->usage[i].value != b->usage[i].value) {
            fprintf(stderr, "fuzz_openai: usage %s %lld vs %s %lld %s\n", a->usage[i].key, a->usage[i].value,
                    b->usage[i].key, b->usage[i].value, how);
            abort();
        }
    for (int i = 0; i < a->n_meta; i++) {
        fuzz_same(how, "meta key", a->meta[i].key, b->meta[i].key);
        fuzz_same(how, "meta value", a->meta[i].value, b->meta[i].value);
    }
}

static enum lt_rc fuzz_parse(const struct lt_parse_in *in, const uint8_t *resp, size_t n,
                             struct fuzz_split *split, bool complete, struct lt_generation *g)
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

static bool fuzz_leaks(const char *s)
{
    return s && strstr(s, FUZZ_KEY);
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
    struct fuzz_split split = {data[1], (size_t)data[2] + 1};
    data += 3;
    size -= 3;
    const uint8_t *sep = memchr(data, 0xFF, size);
    size_t req_len = sep ? (size_t)(sep - data) : 0;
    const uint8_t *resp = sep ? sep + 1 : data;
    size_t resp_len = size - (size_t)(resp - data);
    bool azure = (flags & 0x80) != 0;
    enum lt_api api = fuzz_api(flags, data, req_len, resp, resp_len);
    struct lt_parse_in in = {
        .api = api,
        .provider = azure ? "azure" : (flags & 8) ? "openai" : "openai-compatible",
        .known_host = azure || (flags & 8) != 0,
        .url = fuzz_url(api, azure),
        .req = sep ? (const char *)data : NULL,
        .req_len = req_len,
        .http_status = (flags & 2) ? 500 : 200,
        .content_type = (flags & 1) ? "text/event-stream" : "application/json",
    };
    bool complete = !(flags & 4);
    struct lt_generation a, b, c;
    enum lt_rc ra = fuzz_parse(&in, resp, resp_len, NULL, complete, &a);
    enum lt_rc rb = fuzz_parse(&in, resp, resp_len, &split, complete, &b);
    if (ra != rb)
        abort();
    lt_jscan_set_fastpath(false);
    enum lt_rc rc = fuzz_parse(&in, resp, resp_len, NULL, complete, &c);
    lt_jscan_set_fastpath(true);
    if (rc != ra)
        abort();
    if (ra == LT_OK) {
        fuzz_compare("when split", &a, &b);
        fuzz_compare("without the fast path", &a, &c);
        for (int i = 0; i < a.n_usage; i++)
            if (a.usage[i].value < 0)
                abort();
        if (a.n_embeddings < 0 || (api == LT_API_OPENAI_EMBEDDINGS && a.output_json && strlen(a.output_json) > 64))
            abort(); /* a summary, never vectors */
        /* the query's key never reaches the generation */
        if (!memmem(data, size, FUZZ_KEY, strlen(FUZZ_KEY))) {
            if (fuzz_leaks(a.status_message) || fuzz_leaks(a.model) || fuzz_leaks(a.output_json) ||
                fuzz_leaks(a.input_json) || fuzz_leaks(a.params_json))
                abort();
            for (int i = 0; i < a.n_meta; i++)
                if (fuzz_leaks(a.meta[i].value))
                    abort();
        }
    }
    lt_generation_free(&a);
    lt_generation_free(&b);
    lt_generation_free(&c);
    return 0;
}
