/* fuzz_bedrock.c — the Bedrock Converse / ConverseStream parser on arbitrary
 * requests and responses, differentially: the generation from the response
 * fed whole must equal the one from the response fed in pieces (split plan
 * from the first bytes). Byte 0: flags (bit 0 ConverseStream with the event
 * stream Content-Type, bit 1 HTTP 500, bit 2 transfer incomplete, bit 3
 * known host, bit 4 mend the event-stream CRCs first so that random
 * messages reach the module); byte 1: split seed; byte 2: largest piece;
 * then the request body up to the first 0xFF byte, then the response. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../providers/provider.h"
#include "../../shim/json.h"
#include "fuzz.h"

/* A credential in the URL's query: it must never reach the generation. */
#define FUZZ_KEY "Zq8xK3vW9pL2"

static int fuzz_str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void fuzz_same(const char *what, const char *a, const char *b)
{
    if (fuzz_str_eq(a, b))
        return;
    fprintf(stderr, "fuzz_bedrock: %s differs when split:\n  whole: %.300s\n  split: %.300s\n", what,
            a ? a : "(null)", b ? b : "(null)");
    abort();
}

static uint32_t fuzz_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return ~c;
}

static void fuzz_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Rewrites the prelude and message CRCs of every message that fits. */
static void fuzz_mend(uint8_t *p, size_t n)
{
    size_t i = 0;
    while (n - i >= 16) {
        uint32_t total = (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 | (uint32_t)p[i + 2] << 8 | p[i + 3];
        fuzz_put32(p + i + 8, fuzz_crc32(p + i, 8));
        if (total < 16 || total > n - i)
            return;
        fuzz_put32(p + i + total - 4, fuzz_crc32(p + i, total - 4));
        i += total;
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

static void fuzz_compare(const struct lt_generation *a, const struct lt_generation *b)
{
#define FUZZ_SAME(f) fuzz_same(#f, a->f, b->f)
    FUZZ_SAME(model);
    FUZZ_SAME(request_model);
    FUZZ_SAME(response_model);
    FUZZ_SAME(params_json);
    FUZZ_SAME(input_json);
    FUZZ_SAME(output_json);
    FUZZ_SAME(output_text);
    FUZZ_SAME(reasoning_text);
    FUZZ_SAME(finish_reason);
    FUZZ_SAME(status_message);
#undef FUZZ_SAME
    if (a->n_usage != b->n_usage || a->n_tool_calls != b->n_tool_calls || a->level != b->level ||
        a->n_meta != b->n_meta || a->has_usage != b->has_usage) {
        fprintf(stderr, "fuzz_bedrock: usage keys %d/%d, tool calls %d/%d, level %d/%d whole/split\n", a->n_usage,
                b->n_usage, a->n_tool_calls, b->n_tool_calls, (int)a->level, (int)b->level);
        abort();
    }
    for (int i = 0; i < a->n_usage; i++)
        if (strcmp(a->usage[i].key, b->usage[i].key) || a->usage[i].value != b->usage[i].value)
            abort();
    for (int i = 0; i < a->n_tool_calls; i++) {
        fuzz_same("tool id", a->tool_calls[i].id, b->tool_calls[i].id);
        fuzz_same("tool name", a->tool_calls[i].name, b->tool_calls[i].name);
        fuzz_same("tool arguments", a->tool_calls[i].arguments, b->tool_calls[i].arguments);
    }
    for (int i = 0; i < a->n_meta; i++)
        fuzz_same("meta", a->meta[i].value, b->meta[i].value);
}

/* output_json and input_json must be JSON whatever came in. */
static void fuzz_check_json(const char *what, const char *s)
{
    if (!s)
        return;
    cJSON *j = lt_cj.ParseWithLength(s, strlen(s));
    if (!j) {
        fprintf(stderr, "fuzz_bedrock: %s is not JSON: %.300s\n", what, s);
        abort();
    }
    lt_cj.Delete(j);
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
    uint8_t *mended = NULL;
    if ((flags & 16) && resp_len) {
        mended = malloc(resp_len);
        if (!mended)
            return 0;
        memcpy(mended, resp, resp_len);
        fuzz_mend(mended, resp_len);
        resp = mended;
    }
    bool stream = flags & 1;
    struct lt_parse_in in = {
        .api = LT_API_BEDROCK_CONVERSE,
        .provider = (flags & 8) ? "bedrock" : "bedrock-compatible",
        .known_host = (flags & 8) != 0,
        .url = stream ? "https://bedrock-runtime.us-east-1.amazonaws.com/model/meta.llama3%3A0/converse-stream?k=" FUZZ_KEY
                      : "https://bedrock-runtime.us-east-1.amazonaws.com/model/meta.llama3%3A0/converse?k=" FUZZ_KEY,
        .req = sep ? (const char *)data : NULL,
        .req_len = req_len,
        .http_status = (flags & 2) ? 500 : 200,
        .content_type = stream ? "application/vnd.amazon.eventstream" : "application/json",
    };
    bool complete = !(flags & 4);
    struct lt_generation a, b;
    enum lt_rc ra = fuzz_parse(&in, resp, resp_len, NULL, complete, &a);
    enum lt_rc rb = fuzz_parse(&in, resp, resp_len, &split, complete, &b);
    if (ra != rb)
        abort();
    if (ra == LT_OK) {
        fuzz_compare(&a, &b);
        fuzz_check_json("output_json", a.output_json);
        fuzz_check_json("input_json", a.input_json);
        fuzz_check_json("params_json", a.params_json);
        if (!memmem(data, size, FUZZ_KEY, strlen(FUZZ_KEY)) &&
            ((a.status_message && strstr(a.status_message, FUZZ_KEY)) || (a.model && strstr(a.model, FUZZ_KEY))))
            abort();
    }
    lt_generation_free(&a);
    lt_generation_free(&b);
    free(mended);
    return 0;
}
