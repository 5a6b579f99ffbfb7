/* anthropic.h — Anthropic Messages (POST .../v1/messages) and legacy Text Completions
 * (POST .../v1/complete): requests, whole JSON answers, SSE streams,
 * error bodies.
 *
 * Reached only through provider.c's ops table (struct lt_api_ops): the
 * match runs on the program's thread, the rest on the background thread.
 */
#ifndef LT_ANTHROPIC_H
#define LT_ANTHROPIC_H

#include "provider.h"

extern const struct lt_api_ops lt_anthropic_messages_ops;
extern const struct lt_api_ops lt_anthropic_complete_ops;

#endif
