/* capture.h — what happens to an LLM handle: recording the options that
 * matter, the tees on its write/read/header callbacks, timing, status, and
 * the hand-over of the finished call to the queue.
 *
 * Runs on the program's threads, inside the hooks. Only records and copies
 * (bounded by the call's caps); never parses, serialises or does I/O. Never
 * changes what the program or libcurl sees: the program's callbacks get the
 * same bytes and their results go back unchanged.
 */
#ifndef LT_CAPTURE_H
#define LT_CAPTURE_H

#include <stdbool.h>

#include "registry.h"
#include "resolve.h"

/* curl_easy_setopt(h, opt, arg) for an option llmtap records: forwards it
 * to libcurl through api and records the program's value once libcurl
 * accepted it (classifying a CURLOPT_URL). While our tee is installed, a
 * new callback or data pointer of the program is recorded instead of
 * forwarded (the tee calls it) and CURLE_OK is returned. Returns what
 * libcurl returned. A copy that cannot be made ends capture of that call
 * only. */
int lt_capture_setopt(struct lt_slot *s, const struct lt_curl_api *api, enum lt_flavour f, void *h, int opt,
                      void *arg);

/* Starts capturing a transfer on an LLM handle: allocates the call, copies
 * the request body, installs the tees. Does nothing when tracing is off or
 * cJSON is missing (said once). */
void lt_capture_begin(struct lt_slot *s, void *h, enum lt_flavour f);
/* Ends the transfer (if one is being captured): status, timing, request id;
 * restores the program's callbacks; hands the call to the queue.
 * `have_code` is false when the transfer ended without a result (cleanup,
 * reset or removal before completion). */
void lt_capture_end(struct lt_slot *s, void *h, enum lt_flavour f, int curl_code, bool have_code);
/* After curl_easy_duphandle(src) returned dst: the duplicate inherits the
 * recorded options (libcurl copied them) but none of our tees. */
void lt_capture_dup(struct lt_slot *src, void *dst, enum lt_flavour f);

#endif
