/* log.c — LANGFUSE_DEBUG diagnostics, one write(2) per line.
 *
 * Owns the debug flag and the "said once" bits. Never allocates, never takes
 * a lock, never writes stdout. Any thread.
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static _Atomic int log_state = -1;          /* -1 unknown, 0 off, 1 on */
static _Atomic unsigned log_once_bits;       /* bit per lt_log_once_id */

bool lt_log_enabled(void)
{
    int s = atomic_load_explicit(&log_state, memory_order_relaxed);
    if (s < 0) {
        const char *v = getenv("LANGFUSE_DEBUG");
        s = v && (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes"));
        atomic_store_explicit(&log_state, s, memory_order_relaxed);
    }
    return s == 1;
}

static void log_v(const char *fmt, va_list ap)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "llmtap[%d]: ", (int)getpid());
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    if (m < 0)
        return;
    size_t len = (size_t)n + ((size_t)m < sizeof line - (size_t)n - 1 ? (size_t)m : sizeof line - (size_t)n - 2);
    for (size_t i = (size_t)n; i < len; i++) /* one line, whatever the message holds */
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[len++] = '\n';
    ssize_t w = write(2, line, len);
    (void)w;
}

void lt_log(const char *fmt, ...)
{
    if (!lt_log_enabled())
        return;
    va_list ap;
    va_start(ap, fmt);
    log_v(fmt, ap);
    va_end(ap);
}

void lt_log_once(enum lt_log_once_id id, const char *fmt, ...)
{
    if (!lt_log_enabled())
        return;
    unsigned bit = 1u << ((unsigned)id % LT_LOG_ONCE_MAX);
    if (atomic_fetch_or(&log_once_bits, bit) & bit)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_v(fmt, ap);
    va_end(ap);
}

void lt_log_reset(void)
{
    atomic_store(&log_state, -1);
    atomic_store(&log_once_bits, 0);
}
