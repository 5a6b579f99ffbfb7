/* fuzz_ollama.c — the Ollama parsers (/api/chat, /api/generate) on arbitrary
 * requests and responses, differentially: the generation from the response
 * fed whole must equal, field by field, the one from the response fed in
 * pieces (split plan from the first bytes), and the URL's query never
 * reaches it. Byte 0: flags (bit 0 application/x-ndjson, bit 1 HTTP 500,
 * bit 2 transfer incomplete, bit 3 known host, bit 4 /api/generate, bit 5 no
 * Content-Type); byte 1: split seed; byte 2: largest piece; then the request
 * body up to the first 0xFF byte, then the response. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../providers/provider.h"
#include "../../shim/json.h"
#include "fuzz.h"

/* A key in the URL's query (a proxy's): it must never reach the generation
 * (unless the bodies themselves carry the same bytes). */
#define FUZZ_KEY "Zq8xK3vW9pL2"

static int fuzz_str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void fuzz_same(const char *what, const char *a, const char *b)
{
    if (fuzz_str_eq(a, b))
        return;
    fprintf(stderr, "fuzz_ollama: %s differs when split:\n  whole: %.300s\n  split: %.300s\n", what,
            a ? a : "(null)", b ? b : "(null)");
    abort();
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
    FUZZ_SAME(response_id);
    FUZZ_SAME(status_message);
#undef FUZZ_SAME
    if (a->stream != b->stream || a->level != b->level || a->has_usage != b->has_usage ||
        a->n_tool_calls != b->n_tool_calls || a->n_usage != b->n_usage || a->n_meta != b->n_meta ||
        a->n_input_messages != b->n_input_messages) {
        fprintf(stderr, "fuzz_ollama: counts differ when split\n");
        abort();
    }
    for (int i = 0; i < a->n_tool_calls; i++) {
        fuzz_same("tool id", a->tool_calls[i].id, b->tool_calls[i].id);
        fuzz_same("tool name", a->tool_calls[i].name, b->tool_calls[i].name);
        fuzz_same("tool arguments", a->tool_calls[i].arguments, b->tool_calls[i].arguments);
    }
    for (int i = 0; i < a->n_usage; i++)
        if (strcmp(a->usage[i].key, b->usage[i].key) || a->usage[i].value != b->usage[i].value ||
            a->usage[i].value < 0) {
            fprintf(stderr, "fuzz_ollama: usage %s %lld vs %s %lld\n", a->usage[i].key, a->usage[i].value,
                    b->usage[i].key, b->usage[i].value);
            abort();
        }
    for (int i = 0; i < a->n_meta; i++) {
        fuzz_same("meta key", a->meta[i].key, b->meta[i].key);
        fuzz_same("meta value", a->meta[i].value, b->meta[i].value);
    }
}

static bool fuzz_leaks(const char *s)
{
    return s && strstr(s, FUZZ_KEY);
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
    struct lt_parse_in in = {
        .api = (flags & 16) ? LT_API_OLLAMA_GENERATE : LT_API_OLLAMA_CHAT,
        .provider = "ollama",
        .known_host = (flags & 8) != 0,
        .url = (flags & 16) ? "http://gpu-box:11434/api/generate?key=" FUZZ_KEY
                            : "http://gpu-box:11434/api/chat?key=" FUZZ_KEY,
        .req = sep ? (const char *)data : NULL,
        .req_len = req_len,
        .http_status = (flags & 2) ? 500 : 200,
        .content_type = (flags & 32) ? NULL : (flags & 1) ? "application/x-ndjson" : "application/json",
    };
    bool complete = !(flags & 4);
    struct lt_generation a, b;
    enum lt_rc ra = fuzz_parse(&in, resp, resp_len, NULL, complete, &a);
    enum lt_rc rb = fuzz_parse(&in, resp, resp_len, &split, complete, &b);
    if (ra != rb)
        abort();
    if (ra == LT_OK) {
        fuzz_compare(&a, &b); /* the split must not change the generation */
        if (!memmem(data, size, FUZZ_KEY, strlen(FUZZ_KEY))) {
            const char *fields[] = { a.model, a.request_model, a.params_json, a.input_json, a.output_json,
                                     a.output_text, a.status_message };
            for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
                if (fuzz_leaks(fields[i]))
                    abort();
            for (int i = 0; i < a.n_meta; i++)
                if (fuzz_leaks(a.meta[i].value))
                    abort();
        }
    }
    lt_generation_free(&a);
    lt_generation_free(&b);
    return 0;
}
