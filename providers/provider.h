/* provider.h — the one interface every wire format implements: match a
 * request, parse the request, parse a whole or streamed response
 * incrementally into a struct lt_generation.
 *
 * Knows nothing of curl and of export. lt_provider_match_url runs on the
 * program's thread at every CURLOPT_URL: it never allocates, never locks and
 * reads each URL byte at most a few times. Everything else runs on the
 * background thread (or in tests) and allocates through mem.h.
 */
#ifndef LT_PROVIDER_H
#define LT_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#include "../shim/rc.h"
#include "generation.h"

enum lt_api {
    LT_API_NONE = 0,
    LT_API_OPENAI_CHAT,     /* POST .../chat/completions */
    LT_API_COUNT
};

struct lt_match {
    enum lt_api api;
    const char *provider; /* static name: "openai", "azure", "groq", "mistral", "deepseek",
                             "openrouter", "together", "xai", "fireworks", "perplexity",
                             "cerebras", "openai-compatible", or a LLMTAP_PROVIDERS name */
    bool known_host;      /* false: matched by path shape only, so the body must
                             confirm it (model + messages) before it counts */
};

/* Reads LLMTAP_PROVIDERS ("BASE_URL=provider[,BASE_URL=provider...]", e.g.
 * "http://10.0.0.5:8000/v1=openai") into static storage: no allocation.
 * Entries past the static capacity are ignored (said once under
 * LANGFUSE_DEBUG). Call once, before lt_provider_match_url; NULL clears. */
void lt_provider_configure(const char *spec);

/* Classifies a URL. true and *out filled when it is an LLM endpoint. Cannot
 * fail otherwise; never allocates; thread-safe after lt_provider_configure. */
bool lt_provider_match_url(const char *url, struct lt_match *out);

/* What the background thread knows of one finished call. Borrowed for the
 * duration of lt_parser_new only, except where noted. */
struct lt_parse_in {
    enum lt_api api;
    const char *provider;     /* static, from lt_match */
    bool known_host;
    const char *url;          /* may hold secrets in its query: read, never copied out */
    const char *req;          /* request body (may be NULL) */
    size_t req_len;
    long http_status;         /* 0 when no response arrived */
    const char *content_type; /* response Content-Type, may be NULL */
};

struct lt_parser;

/* Starts parsing one call: reads the request (model, parameters, input,
 * stream flag). LT_OK and *out set; LT_ERR_SKIP when the body shows this is
 * not an LLM call (path-shape match without model/messages); LT_ERR_NOMEM;
 * LT_ERR_UNAVAIL when cJSON cannot be loaded. */
enum lt_rc lt_parser_new(const struct lt_parse_in *in, struct lt_parser **out);

/* Feeds response bytes in order; a chunk may end anywhere (inside a UTF-8
 * sequence, an SSE field name, a JSON token). Cannot fail: problems are
 * recorded and reported by lt_parser_finish. */
void lt_parser_feed(struct lt_parser *p, const char *data, size_t len);

/* Ends the response and fills *out (which must be zeroed or freed first; the
 * caller owns it afterwards and frees it with lt_generation_free). `complete`
 * is false when the transfer did not end normally (the caller sets level and
 * status for the transfer error itself). Always fills what it has: a
 * malformed body gives a generation with the request side, level WARNING or
 * ERROR and a status message saying what was wrong. Returns LT_OK or
 * LT_ERR_NOMEM. */
enum lt_rc lt_parser_finish(struct lt_parser *p, bool complete, struct lt_generation *out);

/* Frees the parser (NULL is fine). */
void lt_parser_free(struct lt_parser *p);

#endif
