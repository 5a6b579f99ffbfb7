/* fuzz_cohere.c — the Cohere v2 chat parser on arbitrary requests and
 * responses, differentially: the generation from the response fed whole
 * must equal the one from the response fed in pieces (split plan from the
 * first bytes), and its JSON fields must be JSON. Byte 0: flags (bit 0 SSE
 * Content-Type, bit 1 HTTP 500, bit 2 transfer incomplete, bit 3 known
 * host); byte 1: split seed; byte 2: largest piece; then the request body
 * up to the first 0xFF byte, then the response (fuzz_gen.h). */
#include "fuzz_gen.h"

/* A credential in the URL's query: it must never reach the generation. */
#define FUZZ_KEY "Zq8xK3vW9pL2"

static void fuzz_target(struct fuzz_input *fi)
{
    unsigned flags = fi->flags;
    struct lt_parse_in in = {
        .api = LT_API_COHERE_CHAT,
        .provider = (flags & 8) ? "cohere" : "cohere-compatible",
        .known_host = (flags & 8) != 0,
        .url = "https://api.cohere.com/v2/chat?key=" FUZZ_KEY,
        .req = fi->req,
        .req_len = fi->req_len,
        .http_status = (flags & 2) ? 500 : 200,
        .content_type = (flags & 1) ? "text/event-stream" : "application/json",
    };
    fuzz_run(fi, &in, !(flags & 4), FUZZ_KEY, FUZZ_CHECK_JSON);
}
