/* event.h — generation struct → OTLP/JSON span with Langfuse v4 attributes.
 *
 * Owns the OTLP JSON shape: resource, scope, span fields, attribute names.
 * Never does I/O and never sees curl or provider internals (only the plain
 * struct lt_generation and the capture facts of struct lt_call). Background
 * thread (and tests) only. Output is appended to a caller's lt_buf.
 */
#ifndef LT_EVENT_H
#define LT_EVENT_H

#include "../providers/generation.h"
#include "buf.h"
#include "call.h"
#include "config.h"
#include "trace.h"

/* Appends one span object (no separator) for generation g of call c, with
 * span id `span_id`, as a child of the process span. Adds call-level facts:
 * timings, HTTP status, curl error (level ERROR), truncation markers, request
 * id, endpoint path (never the query). Base64 media in input/output become a
 * short placeholder; fields longer than cfg->max_field_bytes are cut with a
 * visible marker and their original size in metadata. LT_OK or LT_ERR_NOMEM
 * (out->len is then restored to what it was). */
enum lt_rc lt_event_generation(struct lt_buf *out, const struct lt_config *cfg,
                               const struct lt_process *proc, const struct lt_call *c,
                               const struct lt_generation *g, const char span_id[17]);

/* Appends the process span (kind 1, type span), ending at end_ns. */
enum lt_rc lt_event_process_span(struct lt_buf *out, const struct lt_config *cfg,
                                 const struct lt_process *proc, int64_t end_ns,
                                 int n_generations);

/* An export body is  head + span (, span)* + tail. */
enum lt_rc lt_event_body_head(struct lt_buf *out, const struct lt_config *cfg,
                              const struct lt_process *proc);
enum lt_rc lt_event_body_tail(struct lt_buf *out);

#endif
