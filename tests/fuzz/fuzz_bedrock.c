/* fuzz_bedrock.c — the Bedrock Converse / ConverseStream parser on arbitrary
 * requests and responses, differentially: the generation from the response
 * fed whole must equal the one from the response fed in pieces (split plan
 * from the first bytes). Byte 0: flags (bit 0 ConverseStream with the event
 * stream Content-Type, bit 1 HTTP 500, bit 2 transfer incomplete, bit 3
 * known host, bit 4 mend the event-stream CRCs first so that random
 * messages reach the module); byte 1: split seed; byte 2: largest piece;
 * then the request body up to the first 0xFF byte, then the response
 * (fuzz_gen.h). */
#include "fuzz_gen.h"

/* A credential in the URL's query: it must never reach the generation. */
#define FUZZ_KEY "Zq8xK3vW9pL2"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input fi;
    if (!fuzz_input_read(data, size, &fi))
        return 0;
    unsigned flags = fi.flags;
    uint8_t *mended = NULL;
    if ((flags & 16) && fi.resp_len) {
        mended = malloc(fi.resp_len);
        if (!mended)
            return 0;
        memcpy(mended, fi.resp, fi.resp_len);
        fuzz_mend(mended, fi.resp_len);
        fi.resp = mended;
    }
    bool stream = flags & 1;
    struct lt_parse_in in = {
        .api = LT_API_BEDROCK_CONVERSE,
        .provider = (flags & 8) ? "bedrock" : "bedrock-compatible",
        .known_host = (flags & 8) != 0,
        .url = stream ? "https://bedrock-runtime.us-east-1.amazonaws.com/model/meta.llama3%3A0/converse-stream?k=" FUZZ_KEY
                      : "https://bedrock-runtime.us-east-1.amazonaws.com/model/meta.llama3%3A0/converse?k=" FUZZ_KEY,
        .req = fi.req,
        .req_len = fi.req_len,
        .http_status = (flags & 2) ? 500 : 200,
        .content_type = stream ? "application/vnd.amazon.eventstream" : "application/json",
    };
    struct lt_generation g;
    fuzz_differential(&fi, &in, !(flags & 4), FUZZ_KEY, FUZZ_CHECK_JSON, &g);
    lt_generation_free(&g);
    free(mended);
    return 0;
}
