/* openai.h — the OpenAI wire formats, as OpenAI, Azure OpenAI and the
 * OpenAI-compatible servers (Groq, Mistral, DeepSeek, OpenRouter, vLLM, ...)
 * speak them: chat completions (POST .../chat/completions), the Responses
 * API (POST .../responses), legacy text completions (POST .../completions)
 * and embeddings (POST .../embeddings): each request, a whole JSON answer,
 * an SSE stream, error bodies.
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

/* The endpoint shapes, on a path of n bytes without query or fragment; each
 * is exact about its last segments. No allocation; any thread. */
/* ".../chat/completions" */
bool lt_openai_chat_path(const char *path, size_t n);
/* ".../completions" but not ".../chat/completions" */
bool lt_openai_completions_path(const char *path, size_t n);
/* ".../responses": creating a response, not the /responses/{id}/...
 * routes that read, cancel or count one (no generation happens there) */
bool lt_openai_responses_path(const char *path, size_t n);
/* ".../embeddings" */
bool lt_openai_embeddings_path(const char *path, size_t n);

#endif
