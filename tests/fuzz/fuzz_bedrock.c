/* fuzz_bedrock.c — the Bedrock Converse / ConverseStream parser on arbitrary
 * requests and responses, differentially: the generation from the response
 * fed whole must equal the one from the response fed in pieces (split plan
 * from the first bytes). Byte 0: flags (bit 0 ConverseStream with the event
 * stream Content-Type, bit 1 HTTP 500, bit 2 transfer incomplete, bit 3
 * known host, bit 4 mend the event-stream CRCs first so that random
 * messages reach the module); byte 1: split seed; byte 2: largest piece;
 * then the request body up to the first 0xFF byte, then the response
 * (fuzz_gen.h). */
#include "../lib/awsev.h"
#include "fuzz_gen.h"

/* A credential in the URL's query: it must never reach the generation. */
#define FUZZ_KEY "Zq8xK3vW9pL2"

static void fuzz_target(struct fuzz_input *fi)
{
    unsigned flags = fi->flags;
    uint8_t *mended = NULL;
    if ((flags & 16) && fi->resp_len) {
        mended = malloc(fi->resp_len);
        if (!mended)
            return;
        memcpy(mended, fi->resp, fi->resp_len);
        awsev_mend(mended, fi->resp_len);
        fi->resp = mended;
    }
    bool stream = flags & 1;
    struct lt_parse_in in = {
        .api = LT_API_BEDROCK_CONVERSE,
        .provider = (flags & 8) ? "bedrock" : "bedrock-compatible",
        .known_host = (flags & 8) != 0,
        .url = stream ? "https://bedrock-runtime.us-east-1.amazonaws.com/model/meta.llama3%3A0/converse-stream?k=" FUZZ_KEY
                      : "https://bedrock-runtime.us-east-1.amazonaws.com/model/meta.llama3%3A0/converse?k=" FUZZ_KEY,
        .req = fi->req,
        .req_len = fi->req_len,
        .http_status = (flags & 2) ? 500 : 200,
        .content_type = stream ? "application/vnd.amazon.eventstream" : "application/json",
    };
    fuzz_run(fi, &in, !(flags & 4), FUZZ_KEY, FUZZ_CHECK_JSON);
    free(mended);
}
