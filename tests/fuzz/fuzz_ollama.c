/* fuzz_ollama.c — the Ollama parsers (/api/chat, /api/generate) on arbitrary
 * requests and responses, differentially: the generation from the response
 * fed whole must equal, field by field, the one from the response fed in
 * pieces (split plan from the first bytes), and the URL's query never
 * reaches it. Byte 0: flags (bit 0 application/x-ndjson, bit 1 HTTP 500,
 * bit 2 transfer incomplete, bit 3 known host, bit 4 /api/generate, bit 5 no
 * Content-Type); byte 1: split seed; byte 2: largest piece; then the request
 * body up to the first 0xFF byte, then the response (fuzz_gen.h). */
#include "fuzz_gen.h"

/* A key in the URL's query (a proxy's): it must never reach the generation
 * (unless the bodies themselves carry the same bytes). */
#define FUZZ_KEY "Zq8xK3vW9pL2"

static void fuzz_target(struct fuzz_input *fi)
{
    unsigned flags = fi->flags;
    struct lt_parse_in in = {
        .api = (flags & 16) ? LT_API_OLLAMA_GENERATE : LT_API_OLLAMA_CHAT,
        .provider = "ollama",
        .known_host = (flags & 8) != 0,
        .url = (flags & 16) ? "http://gpu-box:11434/api/generate?key=" FUZZ_KEY
                            : "http://gpu-box:11434/api/chat?key=" FUZZ_KEY,
        .req = fi->req,
        .req_len = fi->req_len,
        .http_status = (flags & 2) ? 500 : 200,
        .content_type = (flags & 32) ? NULL : (flags & 1) ? "application/x-ndjson" : "application/json",
    };
    fuzz_run(fi, &in, !(flags & 4), FUZZ_KEY, 0);
}
