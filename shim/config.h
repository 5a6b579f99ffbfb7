/* config.h — the environment, read once into one immutable struct.
 *
 * Owns struct lt_config. lt_config_get() reads the environment the first
 * time it is called (at the first LLM call, never in a constructor) under
 * pthread_once, and never again: a program that changes its environment later
 * does not change llmtap. Any thread may call it; the result is read-only and
 * lives until exit. Never logs a secret.
 */
#ifndef LT_CONFIG_H
#define LT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

enum lt_dest { LT_DEST_NONE = 0, LT_DEST_OTLP_HTTP, LT_DEST_JSONL };

/* Sent with every request when langfuse_auth is set (with auth_header). */
#define LT_CONFIG_V4_HEADER "x-langfuse-ingestion-version: 4"

#define LT_CONFIG_MAX_HEADERS 16
#define LT_CONFIG_MAX_TAGS 32
#define LT_CONFIG_MAX_META 32
#define LT_CONFIG_MAX_RESATTR 32

struct lt_config_kv {
    char *key;
    char *value;
};

struct lt_config {
    bool enabled;               /* LANGFUSE_TRACING_ENABLED != "false" */
    bool debug;                 /* LANGFUSE_DEBUG */

    enum lt_dest dest;          /* chosen in DESIGN's order */
    char *endpoint;             /* full traces URL for LT_DEST_OTLP_HTTP */
    bool langfuse_auth;         /* Langfuse keys set: Basic auth + v4 header */
    char *auth_header;          /* "Authorization: Basic ..." (secret: never logged) */
    /* "Name: value" lines from OTEL_EXPORTER_OTLP_HEADERS (percent-decoded);
     * values may be secret: never logged. */
    int n_headers;
    char *headers[LT_CONFIG_MAX_HEADERS];
    char *ca_file;              /* OTEL_EXPORTER_OTLP_CERTIFICATE */
    char *output_path;          /* JSONL file for LT_DEST_JSONL */
    bool output_default;        /* output_path is the default one inside lt_config_state_dir():
                                   the writer creates that directory (create=true) first */

    uint32_t flush_at;          /* LANGFUSE_FLUSH_AT spans, default 512 */
    int64_t flush_interval_ms;  /* LANGFUSE_FLUSH_INTERVAL seconds (float), default 5 s */
    int64_t timeout_ms;         /* LANGFUSE_TIMEOUT seconds, default 5 s */
    int64_t exit_timeout_ms;    /* LLMTAP_EXIT_TIMEOUT seconds, default 2 s */
    double sample_rate;         /* LANGFUSE_SAMPLE_RATE, default 1 */
    size_t batch_max_bytes;     /* LLMTAP_BATCH_MAX_BYTES, default 3.5 MB */
    uint32_t queue_max;         /* LLMTAP_QUEUE_MAX calls waiting, default 10000 */
    size_t max_request_bytes;   /* LLMTAP_MAX_REQUEST_BYTES */
    size_t max_response_bytes;  /* LLMTAP_MAX_RESPONSE_BYTES */
    size_t max_field_bytes;     /* LLMTAP_MAX_FIELD_BYTES: cap per exported input/output, default 1 MiB */
    bool send_cost;             /* LLMTAP_SEND_COST=true: langfuse.observation.cost_details too */
    bool cost_off;              /* LLMTAP_SEND_COST=false: no attribute Langfuse reads as cost, anywhere */
    char *prices_path;          /* LLMTAP_PRICES: a price file adding to / replacing shipped rows */

    /* Trace attributes, on every span. */
    char *trace_id;             /* LLMTAP_TRACE_ID when valid (32 lower-case hex), else NULL */
    char *trace_name;           /* LLMTAP_TRACE_NAME, else NULL (the process name is used) */
    char *user_id;              /* LLMTAP_USER_ID */
    char *session_id;           /* LLMTAP_SESSION_ID */
    int n_tags;
    char *tags[LT_CONFIG_MAX_TAGS];            /* LLMTAP_TAGS, comma-separated */
    int n_metadata;
    struct lt_config_kv metadata[LT_CONFIG_MAX_META]; /* LLMTAP_METADATA: JSON object or k=v,k=v */
    char *release;              /* LANGFUSE_RELEASE */
    char *environment;          /* LANGFUSE_TRACING_ENVIRONMENT */

    char *service_name;         /* OTEL_SERVICE_NAME, else the process name */
    int n_resource_attrs;
    struct lt_config_kv resource_attrs[LT_CONFIG_MAX_RESATTR]; /* OTEL_RESOURCE_ATTRIBUTES */
};

/* The configuration; never NULL (on allocation failure: a disabled config,
 * said once under LANGFUSE_DEBUG). */
const struct lt_config *lt_config_get(void);

/* Cheap check used by hooks before anything else: LANGFUSE_TRACING_ENABLED
 * is not "false". Reads the environment once, never allocates. */
extern _Atomic int lt_config_enabled_state; /* -1 unknown, 0 off, 1 on; any thread */
bool lt_config_enabled_slow(void);
static inline bool lt_config_enabled(void)
{
    int s = atomic_load_explicit(&lt_config_enabled_state, memory_order_relaxed);
    return s > 0 ? true : s == 0 ? false : lt_config_enabled_slow();
}

/* Tests: builds a config from the current environment into *out (caller
 * frees with lt_config_free). LT_OK or LT_ERR_NOMEM. */
#include "rc.h"
enum lt_rc lt_config_load(struct lt_config *out);
void lt_config_free(struct lt_config *c);

/* The private per-user state directory ($XDG_STATE_HOME/llmtap, else
 * ~/.local/state/llmtap), created 0700 on demand. Writes into buf (size n). */
enum lt_rc lt_config_state_dir(char *buf, size_t n, bool create);

#endif
