/* export.h — sends one finished OTLP/JSON export body to the configured
 * destination: OTLP/HTTP (export_otlp.c, through the program's own libcurl,
 * never captured) or the local JSONL file (export_jsonl.c).
 *
 * Knows nothing of providers or of span contents: a body is opaque bytes.
 * Called from the background thread and from the exit flush, never
 * concurrently (queue.c serialises). Borrows body for the call's duration.
 */
#ifndef LT_EXPORT_H
#define LT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "rc.h"

/* Sends body to cfg's destination before deadline_ns (lt_mono_ns clock).
 * LT_OK when accepted; LT_ERR_IO / LT_ERR_TIMEOUT otherwise (said once under
 * LANGFUSE_DEBUG, with the status but never a header value). Retries only
 * when the request provably was not accepted (connection refused). */
enum lt_rc lt_export_send(const struct lt_config *cfg, const char *body, size_t len,
                          int64_t deadline_ns);

enum lt_rc lt_export_otlp_send(const struct lt_config *cfg, const char *body, size_t len,
                               int64_t deadline_ns);
enum lt_rc lt_export_jsonl_send(const struct lt_config *cfg, const char *body, size_t len);

/* Releases exporter resources (curl handle, header lists). Exit path only. */
void lt_export_shutdown(void);
/* In a fork child: forget the parent's exporter handle without touching it. */
void lt_export_fork_child(void);

#endif
