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
    LT_API_OPENAI_CHAT,        /* POST .../chat/completions */
    LT_API_OPENAI_RESPONSES,   /* POST .../responses */
    LT_API_OPENAI_COMPLETIONS, /* POST .../completions (legacy, not chat) */
    LT_API_OPENAI_EMBEDDINGS,  /* POST .../embeddings */
    LT_API_ANTHROPIC_MESSAGES, /* POST .../v1/messages */
    LT_API_ANTHROPIC_COMPLETE, /* POST .../v1/complete (legacy) */
    LT_API_GEMINI,             /* .../models/{m}:generateContent | :streamGenerateContent */
    LT_API_BEDROCK_CONVERSE,   /* .../model/{id}/converse | /converse-stream */
    LT_API_BEDROCK_INVOKE,     /* .../model/{id}/invoke | /invoke-with-response-stream */
    LT_API_COHERE_CHAT,        /* POST .../v2/chat */
    LT_API_OLLAMA_CHAT,        /* POST .../api/chat */
    LT_API_OLLAMA_GENERATE,    /* POST .../api/generate */
    LT_API_COUNT
};

struct lt_match {
    enum lt_api api;
    const char *provider; /* static name: "openai", "azure", "anthropic", "gemini", "vertex",
                             "bedrock", "cohere", "ollama", "groq", "mistral", "deepseek",
                             "openrouter", "together", "xai", "fireworks", "perplexity",
                             "cerebras", the API's compat_provider ("openai-compatible",
                             ...), or a LLMTAP_PROVIDERS name */
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

/* For a path-shape match (m->known_host false), before anything is captured:
 * false when the request body (len bytes; NULL and 0 when there is none) is
 * surely not m->api's request — not a JSON object, or lacking a member name
 * every such request has — so the transfer is left untouched. A body that a
 * read callback will stream (body_unknown) may be anything: true. A member
 * name spelled with \u escapes is not recognised (no client writes one).
 * Program's thread: no allocation, no lock, linear in len. */
bool lt_provider_body_may_match(const struct lt_match *m, const char *body, size_t len, bool body_unknown);

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

/* ---- The module interface: for the provider modules only ------------------
 *
 * Each wire format is one module exporting one `const struct lt_api_ops`,
 * listed in provider.c's table under its enum lt_api. provider.c owns the
 * URL match, the byte accounting, the whole-body buffer and the framer; a
 * module only reads JSON (through lt_cj) and fills the generation. */

struct cJSON;
struct lt_buf;
struct lt_frame;

/* What lt_parser_finish knows about the response as a whole. */
struct lt_parse_end {
    bool complete;            /* the transfer ended normally */
    long http_status;         /* 0 when no response arrived */
    const char *body;         /* the whole body when it was not framed; NULL when framed */
    size_t body_len;
    bool body_truncated;      /* the whole body passed its cap: `body` is cut */
    bool framed;              /* read as frames (enum lt_framing) */
    unsigned long long bytes; /* response bytes fed */
    unsigned long long frames;         /* frames delivered */
    unsigned long long frames_skipped; /* frames over the cap or lost to memory */
    bool stream_corrupt;      /* the framer lost the message boundaries (an
                                 AWS prelude failed its CRC): nothing after
                                 that point was read */
};

struct lt_api_ops {
    const char *name;       /* wire format, "openai.chat" */
    const char *operation;  /* static gen_ai.operation.name, "chat" */
    const char *obs_type;   /* static, "generation" or "embedding" */
    const char *compat_provider; /* static provider name for a host not in the
                                    known-host table ("openai-compatible") */
    /* Member names every request of this API has (up to 3, NULL-ended
     * early): a body on an unknown host lacking one is not this API's, and
     * `request` would answer LT_ERR_SKIP. Read by lt_provider_body_may_match
     * on the program's thread, so a non-LLM call on a path that merely looks
     * like an LLM endpoint is never captured. */
    const char *confirm[3];
    /* The endpoint shape: true when `path` (n bytes, query and fragment
     * removed) is this API's. Runs on the program's thread: no allocation,
     * no lock, linear. */
    bool (*match_path)(const char *path, size_t n);
    /* Reads the request (in->req may be NULL) into g's request side and
     * creates the module's *state. LT_OK, LT_ERR_SKIP (not an LLM call) or
     * LT_ERR_NOMEM; on failure nothing is left allocated in *state. */
    enum lt_rc (*request)(const struct lt_parse_in *in, struct lt_generation *g, void **state);
    /* Chooses how to read the response, once, from its Content-Type (may be
     * NULL) and its first byte that is not whitespace (-1: the body has
     * none): an lt_framing kind, or LT_FRAMING_NONE for one whole document. */
    int (*framing)(void *state, const char *content_type, int first);
    /* One frame of a framed response, in order (struct lt_frame in framing.h). */
    void (*frame)(void *state, struct lt_generation *g, const struct lt_frame *f);
    /* The response has ended: fills g's response side, level and status.
     * LT_OK, or LT_ERR_NOMEM when an allocation failed on the way (g still
     * holds what was read). */
    enum lt_rc (*end)(void *state, const struct lt_parse_end *e, struct lt_generation *g);
    void (*free)(void *state);
};

/* true when a JSON member of this name holds a credential (authorization,
 * api_key, apiKeyString, client_secret, password, access_token, ...;
 * compared without case, '_' or '-'): request bodies can carry them (MCP
 * tools' authorization, Vertex grounding's apiKeyString, a proxy's api_key)
 * and they must never reach a span. */
bool lt_provider_secret_name(const char *name);

/* Appends JSON value v to b as compact JSON text, the value of every member
 * whose name lt_provider_secret_name flags written as "[redacted]": strings with invalid UTF-8
 * made valid (U+FFFD), numbers in the shortest form that reads back to the
 * same double, whatever the process's locale. LT_OK, or LT_ERR_NOMEM when b
 * refused bytes (its cap or memory). */
enum lt_rc lt_provider_json_write(struct lt_buf *b, const struct cJSON *v);

#endif
