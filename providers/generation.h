/* generation.h — one LLM call as Langfuse sees it: the plain struct between
 * providers (which fill it) and the event writer (which reads it).
 *
 * Knows nothing of curl, of timing or of export. Every char* member is owned
 * by the struct (allocated with lt_malloc / lt_strdup) unless marked static.
 * One thread at a time.
 */
#ifndef LT_GENERATION_H
#define LT_GENERATION_H

#include <stdbool.h>
#include <stddef.h>

enum lt_level { LT_LEVEL_DEFAULT = 0, LT_LEVEL_WARNING, LT_LEVEL_ERROR };

/* Usage keys are Langfuse's (DESIGN "Usage details"): input, input_cached_tokens,
 * input_cache_creation, output, output_reasoning_tokens, input_audio_tokens,
 * output_audio_tokens, total. */
#define LT_USAGE_MAX 16
#define LT_USAGE_KEY_MAX 40
struct lt_usage {
    char key[LT_USAGE_KEY_MAX];
    long long value;
};

struct lt_tool_call {
    char *id;        /* provider call id; may be NULL */
    char *name;      /* function name; may be NULL */
    char *arguments; /* argument text as received (streamed pieces joined) */
};

/* Provider-specific observation metadata (string values): response id,
 * system_fingerprint, service_tier, finish_reason, Azure deployment. */
#define LT_GEN_META_MAX 20
struct lt_kv {
    const char *key; /* static */
    char *value;     /* owned */
};

struct lt_generation {
    const char *provider;   /* static: "openai", "azure", "groq", ... */
    const char *operation;  /* static: gen_ai.operation.name ("chat", "embeddings", ...) */
    const char *obs_type;   /* static: "generation" or "embedding" */
    bool stream;            /* the request asked for a stream */

    char *model;            /* as priced: response's, else request's, else URL's; may be NULL */
    char *request_model;    /* from the request body; may be NULL */
    char *response_model;   /* from the response; may be NULL */

    int n_input_messages;   /* messages / contents / prompts in the request; -1 unknown */
    int n_embeddings;       /* embeddings: vectors returned */

    char *params_json;      /* JSON object text: sampling parameters as sent; may be NULL */
    char *input_json;       /* JSON text: messages, tools, ...; may be NULL */
    char *output_json;      /* JSON text: the assembled assistant message; may be NULL */

    char *output_text;      /* visible text, stream pieces joined; may be NULL */
    char *reasoning_text;   /* reasoning / thinking text; may be NULL */
    struct lt_tool_call *tool_calls; /* lt_malloc'd array, response order */
    int n_tool_calls;
    char *finish_reason;
    char *response_id;

    bool has_usage;         /* false: the response reported no usage at all */
    int n_usage;
    struct lt_usage usage[LT_USAGE_MAX];

    int n_meta;
    struct lt_kv meta[LT_GEN_META_MAX];

    enum lt_level level;
    char *status_message;   /* errors and warnings: what happened; may be NULL */
};

/* Frees every owned member and zeroes the struct. Cannot fail. */
void lt_generation_free(struct lt_generation *g);

/* Sets (or replaces) a usage key; false when LT_USAGE_MAX keys are in use. */
bool lt_generation_set_usage(struct lt_generation *g, const char *key, long long value);
/* Looks a usage key up; false when absent. */
bool lt_generation_get_usage(const struct lt_generation *g, const char *key, long long *value);
/* Adds metadata, taking ownership of value (freed on failure). */
bool lt_generation_add_meta(struct lt_generation *g, const char *key, char *value);
/* Replaces status_message with a copy of msg (printf-style) and sets level
 * to at least `level`. The message is scrubbed of anything shaped like a
 * credential (sk-..., AIza..., Bearer ..., key=... and similar) and made
 * valid UTF-8, so a provider's error text can be passed as is. On allocation
 * failure the level is still raised and the message is NULL. */
void lt_generation_set_status(struct lt_generation *g, enum lt_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An lt_malloc'd, NUL-terminated copy of n bytes of s in which every byte
 * that is not part of a valid UTF-8 sequence (and every NUL) becomes U+FFFD:
 * what a WHATWG decoder would show. NULL on allocation failure. */
char *lt_generation_strdup_utf8(const char *s, size_t n);

#endif
