/* trace.h — trace and span ids and the process's own span.
 *
 * Owns the process context: trace id (LLMTAP_TRACE_ID or random), the
 * process span id, its parent (a fork child's parent process span), start
 * time and the process name. Ids come from getrandom(2) each time: no pool
 * survives a fork. Initialised at the first LLM call (lt_trace_init, under
 * pthread_once); read by the background thread; lt_trace_fork_child runs in a
 * fork child before anything else touches it.
 */
#ifndef LT_TRACE_H
#define LT_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "rc.h"

struct lt_process {
    char trace_id[33];          /* 32 lower-case hex */
    char span_id[17];           /* this process's span, 16 hex */
    char parent_span_id[17];    /* "" for a root; the parent's process span after fork */
    int64_t start_ns;           /* process span start (first LLM call or fork) */
    int pid;
    char name[256];             /* LLMTAP_TRACE_NAME, else program name; interpreter: script name */
    char exe[256];              /* argv[0] basename */
    char script[512];           /* script path for an interpreter, else "" */
    char host[256];
    bool sampled;               /* LANGFUSE_SAMPLE_RATE decision for this trace */
};

/* Idempotent; thread-safe. Cannot fail (falls back to a weaker entropy
 * source if getrandom is unavailable). */
void lt_trace_init(void);
/* The process context (after lt_trace_init). */
const struct lt_process *lt_trace_process(void);
/* In a fork child: new process span id (parent = the parent's process span),
 * new start time and pid; same trace id. Async-signal-safe enough for an
 * atfork child handler (no allocation, no lock). */
void lt_trace_fork_child(void);
/* Fills out with a fresh random span id (16 hex + NUL). Cannot fail. */
void lt_trace_new_span_id(char out[17]);
/* Fills out with a fresh random trace id (32 hex + NUL). Cannot fail. */
void lt_trace_new_trace_id(char out[33]);
/* llmtap_set_trace_name: replaces the trace name for spans rendered from now
 * on (copied into static storage, at most 255 bytes; NULL restores the
 * default). Any thread. */
void lt_trace_set_name(const char *name);
/* true if s is 32 lower-case hex, not all zero. */
bool lt_trace_id_valid(const char *s);
/* The sampling decision for a trace: its first 8 bytes as a fraction of
 * 2^64, below rate. Deterministic, so every process of a trace agrees.
 * Cannot fail. */
bool lt_trace_sampled(const char *trace_id, double rate);
/* Copies p->name into out (NUL-terminated). For the process context itself
 * (p == lt_trace_process()) it reads under the lock lt_trace_set_name takes,
 * so a concurrent rename is never seen half-written. Any thread. */
void lt_trace_name(const struct lt_process *p, char out[256]);

#endif
