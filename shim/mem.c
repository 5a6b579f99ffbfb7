/* mem.c — allocation gateway: counts, peak bytes, injected failures.
 *
 * Owns only its counters. Every allocation carries a 16-byte header with its
 * size so that live and peak bytes are exact. Called from any thread; counters
 * are relaxed atomics, never a lock.
 */
#include "mem.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MEM_HDR 16 /* keeps max_align_t alignment for the caller's bytes */

static _Atomic uint64_t mem_count;   /* every successful or failed request */
static _Atomic uint64_t mem_fail_nth; /* test-only: 0 = off */
static _Atomic int64_t mem_live;
static _Atomic int64_t mem_peak;

static int mem_should_fail(void)
{
    uint64_t n = atomic_fetch_add_explicit(&mem_count, 1, memory_order_relaxed) + 1;
    uint64_t f = atomic_load_explicit(&mem_fail_nth, memory_order_relaxed);
    return f != 0 && n == f;
}

static void mem_account(int64_t delta)
{
    int64_t now = atomic_fetch_add_explicit(&mem_live, delta, memory_order_relaxed) + delta;
    int64_t peak = atomic_load_explicit(&mem_peak, memory_order_relaxed);
    while (now > peak &&
           !atomic_compare_exchange_weak_explicit(&mem_peak, &peak, now, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

void *lt_malloc(size_t n)
{
    if (mem_should_fail() || n > SIZE_MAX - MEM_HDR)
        return NULL;
    unsigned char *p = malloc(n + MEM_HDR);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    mem_account((int64_t)n);
    return p + MEM_HDR;
}

void *lt_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = lt_malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *lt_realloc(void *p, size_t n)
{
    if (!p)
        return lt_malloc(n);
    if (mem_should_fail() || n > SIZE_MAX - MEM_HDR)
        return NULL;
    unsigned char *base = (unsigned char *)p - MEM_HDR;
    size_t old;
    memcpy(&old, base, sizeof old);
    unsigned char *q = realloc(base, n + MEM_HDR);
    if (!q)
        return NULL;
    memcpy(q, &n, sizeof n);
    mem_account((int64_t)n - (int64_t)old);
    return q + MEM_HDR;
}

void lt_free(void *p)
{
    if (!p)
        return;
    unsigned char *base = (unsigned char *)p - MEM_HDR;
    size_t old;
    memcpy(&old, base, sizeof old);
    mem_account(-(int64_t)old);
    free(base);
}

char *lt_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *d = lt_malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *lt_strdup(const char *s)
{
    return s ? lt_strndup(s, strlen(s)) : NULL;
}

void lt_mem_fail_at(uint64_t nth)
{
    atomic_store(&mem_count, 0);
    atomic_store(&mem_fail_nth, nth);
}

uint64_t lt_mem_count(void) { return atomic_load(&mem_count); }
int64_t lt_mem_live_bytes(void) { return atomic_load(&mem_live); }
int64_t lt_mem_peak_bytes(void) { return atomic_load(&mem_peak); }
