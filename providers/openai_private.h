/* openai_private.h — what the OpenAI wire-format files share (openai.c:
 * chat and legacy completions; openai_responses.c; openai_embeddings.c;
 * openai_common.c holds the functions): the usage counts and their Langfuse
 * keys, error bodies, the Azure deployment, the request split into
 * parameters and input, the framing choice. What every provider module
 * shares (cJSON getters, copies, the split itself) is pjson.h's.
 *
 * Private to providers/openai*.c: nothing else includes it. Background
 * thread (and tests) only; nothing here keeps state between calls.
 */
#ifndef LT_OPENAI_PRIVATE_H
#define LT_OPENAI_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "../shim/json.h"
#include "generation.h"
#include "pjson.h"
#include "provider.h"

struct lt_buf;

/* ---- usage ------------------------------------------------------------------ */

/* One provider usage report. Chat, completions and embeddings say
 * prompt_tokens / completion_tokens; the Responses API says input_tokens /
 * output_tokens: both land on the same counts. */
enum openai_count {
    OPENAI_PROMPT, OPENAI_COMPLETION, OPENAI_TOTAL, OPENAI_CACHED, OPENAI_CACHE_HIT,
    OPENAI_AUDIO_IN, OPENAI_REASONING, OPENAI_AUDIO_OUT, OPENAI_NCOUNT
};

struct openai_usage {
    unsigned has;       /* bit per enum openai_count */
    long long v[OPENAI_NCOUNT];
};

/* Replaces *u with the counts of usage object obj: chat names
 * (prompt_tokens, completion_tokens, prompt_tokens_details,
 * completion_tokens_details, DeepSeek's prompt_cache_hit_tokens), or with
 * `responses` the Responses API's (input_tokens, output_tokens,
 * input_tokens_details, output_tokens_details). Cannot fail. */
void lt_openai_usage_read(struct openai_usage *u, const cJSON *obj, bool responses);

/* Writes u as Langfuse usage keys (fixtures README "usage_details"): no token
 * in two priced keys; a key only for a count the provider reported. */
void lt_openai_usage_details(const struct openai_usage *u, struct lt_generation *g);

/* ---- errors ---------------------------------------------------------------- */

/* The message of an error object ({"message": ...}, a bare string, or what
 * its code and type say): true and level ERROR set when it had one. */
bool lt_openai_error_object(struct lt_generation *g, const cJSON *err);

/* An HTTP error answer (status >= 400) read whole: the provider's message
 * from {"error": ...}, [{"error": ...}], {"message": ...}, {"detail": ...},
 * else the quoted body. j is body parsed (may be NULL). Sets level ERROR. */
void lt_openai_http_error(struct lt_generation *g, long status, const cJSON *j, const char *body, size_t n);

/* ---- request --------------------------------------------------------------- */

/* Azure names the deployment in the path (/openai/deployments/{d}/...):
 * an lt_malloc'd copy, read without copying anything else of the URL (its
 * query may carry a key). NULL when there is none; *oom set when the copy
 * failed. */
char *lt_openai_deployment(const char *url, bool *oom);

/* How an API's request counts its input (generation.h n_input_messages). */
enum openai_count_mode {
    OPENAI_COUNT_ARRAY,   /* the array's length; anything else: unknown */
    OPENAI_COUNT_ITEMS,   /* a string is 1, an array its length (Responses input) */
    OPENAI_COUNT_PROMPTS, /* a string is 1; an array of token ids is one prompt;
                             any other array its length (completions, embeddings) */
};

struct openai_request_shape {
    struct lt_pj_shape split;  /* the input keys; every other member is a parameter */
    size_t count;              /* the input key that is counted: its place in split.input */
    enum openai_count_mode count_mode;
};

/* Splits request object j (lt_pj_split) into g->request_model,
 * g->params_json, g->input_json and g->n_input_messages; g->stream from
 * "stream": true. *oom set when an allocation failed (what was built is
 * kept). */
void lt_openai_read_request(const cJSON *j, const struct openai_request_shape *shape, struct lt_generation *g,
                            bool *oom);

/* Counts a prompt the way OPENAI_COUNT_PROMPTS says; -1 when v is neither a
 * string nor an array. */
int lt_openai_count_prompts(const cJSON *v);

/* The Azure deployment for metadata: the one in the URL path, else, on an
 * Azure host (whose /openai/v1/... and /openai/responses paths name none),
 * the request's model, which Azure reads as the deployment name. NULL when
 * neither; borrowed from its arguments. */
const char *lt_openai_azure_deployment(const struct lt_generation *g, const char *url_deployment, bool azure);

/* ---- response --------------------------------------------------------------- */

/* The framing choice every OpenAI API shares: a body starting with '{' or
 * '[' is one JSON document whatever the header says; text/event-stream, a
 * stream request, or an SSE-looking first byte is SSE; an error status
 * otherwise is read whole. */
int lt_openai_framing(const char *content_type, int first, long status, bool stream_req);

#endif
