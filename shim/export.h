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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "rc.h"

/* Sends body to cfg's destination before deadline_ns (lt_mono_ns clock).
 * LT_OK when accepted; LT_ERR_IO / LT_ERR_TIMEOUT otherwise (one line under
 * LANGFUSE_DEBUG, with the status but never a header value); LT_ERR_UNAVAIL
 * when there is no destination or no libcurl. Retries only when the request
 * provably was not accepted (connection refused, host not resolved). */
enum lt_rc lt_export_send(const struct lt_config *cfg, const char *body, size_t len,
                          int64_t deadline_ns);

enum lt_rc lt_export_otlp_send(const struct lt_config *cfg, const char *body, size_t len,
                               int64_t deadline_ns);
enum lt_rc lt_export_jsonl_send(const struct lt_config *cfg, const char *body, size_t len);

/* Releases exporter resources (curl handle, header lists, file descriptor).
 * Exit path only, after the last send returned. Cannot fail. */
void lt_export_shutdown(void);
/* In a fork child: forget the parent's exporter handle without touching it.
 * Atfork child handler: no lock, no libcurl call. */
void lt_export_fork_child(void);

/* Exit: any thread. Every export running now or started later ends by
 * deadline_ns (lt_mono_ns clock) at the latest, whatever deadline its caller
 * passed: a request already in flight is aborted from its progress callback. */
void lt_export_cut_deadline(int64_t deadline_ns);
/* Exit: the exit handler stopped waiting for the sender. An export still
 * inside libcurl then never returns to it (it parks in its progress callback
 * until the process ends), so it cannot touch TLS state that the exit path
 * is about to free. Any thread. */
void lt_export_abandon(void);

/* For the exporters only: the cut deadline (INT64_MAX when none), whether the
 * exit handler gave up, and parking the calling thread for good. */
int64_t lt_export_cut_ns(void);
bool lt_export_abandoned(void);
void lt_export_park(void) __attribute__((noreturn));
/* For export.c: per-destination shutdown and fork handling. */
void lt_export_otlp_shutdown(void);
void lt_export_otlp_fork_child(void);
void lt_export_jsonl_shutdown(void);
void lt_export_jsonl_fork_child(void);

#endif
