/* gemini.h — Google Gemini and Vertex AI generateContent / streamGenerateContent
 * (SSE with alt=sse, else a streamed JSON array): requests, answers,
 * error bodies; the model from the URL path when the body lacks it.
 *
 * Reached only through provider.c's ops table (struct lt_api_ops): the
 * match runs on the program's thread, the rest on the background thread.
 */
#ifndef LT_GEMINI_H
#define LT_GEMINI_H

#include "provider.h"

extern const struct lt_api_ops lt_gemini_ops;

#endif
