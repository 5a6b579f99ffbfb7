/* log.h — one-line diagnostics on stderr under LANGFUSE_DEBUG.
 *
 * Owns the debug switch (read once from the environment, lazily, without
 * allocating). Never prints a secret: callers pass only what is safe (never a
 * header value, a key or a full URL with its query). Any thread may call.
 * Lines are written with one write(2) so concurrent lines do not interleave.
 */
#ifndef LT_LOG_H
#define LT_LOG_H

#include <stdbool.h>

bool lt_log_enabled(void);
/* "llmtap[pid]: <message>\n" on stderr when LANGFUSE_DEBUG is true. */
void lt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Each id prints at most once per process (ids below LT_LOG_ONCE_MAX). */
enum lt_log_once_id {
    LT_ONCE_NO_LIBCURL, LT_ONCE_NO_CJSON, LT_ONCE_QUEUE_FULL, LT_ONCE_REGISTRY_FULL,
    LT_ONCE_PROTOCOL, LT_ONCE_EXPORT_FAIL, LT_ONCE_FOREIGN_USERDATA, LT_ONCE_BODY_CAP,
    LT_ONCE_DISABLED, LT_ONCE_OUTPUT, LT_ONCE_SAMPLED_OUT, LT_ONCE_CONFIG,
    LT_LOG_ONCE_MAX = 32
};
void lt_log_once(enum lt_log_once_id id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Re-reads LANGFUSE_DEBUG (tests only). */
void lt_log_reset(void);

#endif
