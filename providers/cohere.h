/* cohere.h — Cohere v2 chat (POST .../v2/chat): requests, whole JSON answers, SSE
 * streams, tool calls and tool_plan.
 *
 * Reached only through provider.c's ops table (struct lt_api_ops): the
 * match runs on the program's thread, the rest on the background thread.
 */
#ifndef LT_COHERE_H
#define LT_COHERE_H

#include "provider.h"

extern const struct lt_api_ops lt_cohere_chat_ops;

#endif
