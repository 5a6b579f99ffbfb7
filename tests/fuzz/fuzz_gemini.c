/* fuzz_gemini.c — the Gemini / Vertex parser on arbitrary requests and
 * responses, differentially: the generation from the response fed whole must
 * equal, field by field, the one from the response fed in pieces (split plan
 * from the first bytes), and the URL's key never reaches it. Byte 0: flags
 * (bit 0 ?alt=sse and text/event-stream, bit 1 HTTP 500, bit 2 transfer
 * incomplete, bit 3 known host, bit 4 :streamGenerateContent, bit 5 no
 * Content-Type); byte 1: split seed; byte 2: largest piece; then the request
 * body up to the first 0xFF byte, then the response (fuzz_gen.h). */
#include "fuzz_gen.h"

/* A key in the URL's query: it must never reach the generation (unless the
 * bodies themselves carry the same bytes, which the fuzzer can learn). */
#define FUZZ_KEY "Zq8xK3vW9pL2"

static void fuzz_target(struct fuzz_input *fi)
{
    unsigned flags = fi->flags;
    static const char *const urls[4] = {
        "https://host.example/v1beta/models/gemini-x:generateContent?key=" FUZZ_KEY,
        "https://host.example/v1beta/models/gemini-x:generateContent?alt=sse&key=" FUZZ_KEY,
        "https://host.example/v1/projects/p/locations/l/publishers/google/models/gemini-x:streamGenerateContent?key="
        FUZZ_KEY,
        "https://host.example/v1beta/models/gemini-x:streamGenerateContent?alt=sse&key=" FUZZ_KEY,
    };
    struct lt_parse_in in = {
        .api = LT_API_GEMINI,
        .provider = (flags & 8) ? "gemini" : "gemini-compatible",
        .known_host = (flags & 8) != 0,
        .url = urls[(flags & 1) | ((flags >> 3) & 2)],
        .req = fi->req,
        .req_len = fi->req_len,
        .http_status = (flags & 2) ? 500 : 200,
        .content_type = (flags & 32) ? NULL : (flags & 1) ? "text/event-stream" : "application/json",
    };
    fuzz_run(fi, &in, !(flags & 4), FUZZ_KEY, 0);
}
