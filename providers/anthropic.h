/* anthropic.h — Anthropic Messages (POST .../v1/messages) and legacy Text Completions
 * (POST .../v1/complete): requests, whole JSON answers, SSE streams,
 * error bodies.
 *
 * Reached only through provider.c's ops table (struct lt_api_ops): the
 * match runs on the program's thread, the rest on the background thread.
 * The lt_anthropic_call_* functions below serve bedrock_invoke.c, which
 * reads the same bodies behind Bedrock's URL and event-stream envelope.
 */
#ifndef LT_ANTHROPIC_H
#define LT_ANTHROPIC_H

#include <stdbool.h>
#include <stddef.h>

#include "provider.h"

extern const struct lt_api_ops lt_anthropic_messages_ops;
extern const struct lt_api_ops lt_anthropic_complete_ops;

/* ---- Internal: one Anthropic call, for bedrock_invoke.c -------------------
 *
 * The reading of an Anthropic request and answer, whatever carried it. One
 * owner at a time (the background thread, or a test). */

struct lt_anthropic_call;

/* Starts a call and reads the request body `req` (a parsed JSON value; NULL
 * or not an object: nothing is read) into g's request side: request_model,
 * params_json (the sampling parameters only), input_json (system, messages,
 * tools, prompt), n_input_messages, stream. `status` is the HTTP status.
 * Borrows req. LT_OK and *out set, or LT_ERR_NOMEM with *out NULL and g's
 * request side freed. */
enum lt_rc lt_anthropic_call_new(const struct cJSON *req, long status, struct lt_generation *g,
                                 struct lt_anthropic_call **out);

/* One stream event: the JSON text of an SSE `data` field or of a decoded
 * Bedrock chunk (n bytes, need not be NUL-terminated). `error_event` is true
 * when the envelope itself says error (SSE `event: error`): then a body that
 * is not JSON is still quoted as the error. Cannot fail: problems are
 * counted and reported by lt_anthropic_call_end. */
void lt_anthropic_call_event(struct lt_anthropic_call *a, struct lt_generation *g, const char *json, size_t n,
                             bool error_event);

/* An event the envelope could not unwrap (a Bedrock chunk that is not JSON
 * or not base64): counted like an event that is not JSON. */
void lt_anthropic_call_bad_event(struct lt_anthropic_call *a);

/* An error the envelope reports (a Bedrock exception frame): level ERROR,
 * status "type: message" (either may be NULL). */
void lt_anthropic_call_error(struct lt_anthropic_call *a, struct lt_generation *g, const char *type,
                             const char *message);

/* The response has ended (e as provider.c gives it: a whole body, or framed
 * events already fed): fills g's response side, usage, level and status.
 * `url_model` (may be NULL) is the model of last resort, after the
 * response's and the request's. LT_OK, or LT_ERR_NOMEM when an allocation
 * failed on the way (g still holds what was read). */
enum lt_rc lt_anthropic_call_end(struct lt_anthropic_call *a, const struct lt_parse_end *e, struct lt_generation *g,
                                 const char *url_model);

/* Frees the call (NULL is fine). Cannot fail. */
void lt_anthropic_call_free(struct lt_anthropic_call *a);

#endif
