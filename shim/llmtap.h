/* llmtap.h — the optional API for programs traced by llmtap.
 *
 * Every function is declared weak: a program that uses them links and runs
 * without the shim. Check the function's address before calling:
 *
 *     #include <llmtap.h>
 *     if (llmtap_flush) llmtap_flush(2000);
 *
 * Without LD_PRELOAD=libllmtap.so the addresses are NULL.
 */
#ifndef LLMTAP_H
#define LLMTAP_H

#ifdef __cplusplus
extern "C" {
#endif

/* Exports every generation captured so far and waits at most timeout_ms.
 * Returns 0 when everything was sent, -1 on timeout or failure. */
int llmtap_flush(int timeout_ms) __attribute__((weak));

/* Names the trace (as LLMTAP_TRACE_NAME does) for spans exported from now
 * on; NULL restores the default. Call it before the first LLM call so that
 * every span carries the same name. Returns 0. */
int llmtap_set_trace_name(const char *name) __attribute__((weak));

/* The trace id of this process (32 hex characters), or NULL before the
 * first LLM call. The string lives until exit. */
const char *llmtap_trace_id(void) __attribute__((weak));

#ifdef __cplusplus
}
#endif

#endif
