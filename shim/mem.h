/* mem.h — the one allocation gateway of llmtap.
 *
 * Every heap allocation of the shim and of the providers goes through here so
 * that tests can fail the Nth allocation and assert budgets (count, peak
 * bytes). Any thread may call these. Never used on the non-LLM path.
 */
#ifndef LT_MEM_H
#define LT_MEM_H

#include <stddef.h>
#include <stdint.h>

/* NULL on failure (or on an injected failure). */
void *lt_malloc(size_t n);
void *lt_calloc(size_t n, size_t size);
void *lt_realloc(void *p, size_t n);
void lt_free(void *p);
/* Copies of C strings / byte ranges (NUL-terminated); NULL on failure or NULL input. */
char *lt_strdup(const char *s);
char *lt_strndup(const char *s, size_t n);

/* Test hooks: fail the allocation numbered `nth` (1-based, counted from the
 * call), 0 disables. Counters are process-wide, relaxed atomics. */
void lt_mem_fail_at(uint64_t nth);
uint64_t lt_mem_count(void);       /* allocations since start */
int64_t lt_mem_live_bytes(void);   /* bytes currently allocated through the gateway */
int64_t lt_mem_peak_bytes(void);

#endif
