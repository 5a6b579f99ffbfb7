/* openai.h — the OpenAI chat-completions wire format (POST
 * .../chat/completions), as OpenAI, Azure OpenAI and the OpenAI-compatible
 * servers (Groq, Mistral, DeepSeek, OpenRouter, vLLM, ...) speak it: the
 * request, a whole JSON answer, an SSE stream of chunks, error bodies.
 *
 * Reached only through provider.c's ops table (struct lt_api_ops): the
 * match runs on the program's thread, the rest on the background thread.
 */
#ifndef LT_OPENAI_H
#define LT_OPENAI_H

#include <stdbool.h>
#include <stddef.h>

#include "provider.h"

extern const struct lt_api_ops lt_openai_chat_ops;
extern const struct lt_api_ops lt_openai_responses_ops;
extern const struct lt_api_ops lt_openai_completions_ops;
extern const struct lt_api_ops lt_openai_embeddings_ops;

/* The endpoint shape: a path ending in "/chat/completions" (n bytes, no
 * query). No allocation; any thread. */
bool lt_openai_chat_path(const char *path, size_t n);

#endif
