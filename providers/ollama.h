/* ollama.h — Ollama native API (POST .../api/chat, .../api/generate): requests,
 * whole JSON answers and NDJSON streams, durations as metadata.
 *
 * Reached only through provider.c's ops table (struct lt_api_ops): the
 * match runs on the program's thread, the rest on the background thread.
 */
#ifndef LT_OLLAMA_H
#define LT_OLLAMA_H

#include "provider.h"

extern const struct lt_api_ops lt_ollama_chat_ops;
extern const struct lt_api_ops lt_ollama_generate_ops;

#endif
