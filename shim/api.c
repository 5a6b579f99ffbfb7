/* api.c — the llmtap_* public API (llmtap.h), exported in node LLMTAP_1.
 *
 * Thin: each call forwards to the module that owns the state. Any thread.
 */
#include <stddef.h>

#include "queue.h"
#include "trace.h"

#define API __attribute__((visibility("default")))

API int llmtap_flush(int timeout_ms);
API int llmtap_set_trace_name(const char *name);
API const char *llmtap_trace_id(void);

int llmtap_flush(int timeout_ms)
{
    return lt_queue_flush(timeout_ms < 0 ? 0 : timeout_ms) == LT_OK ? 0 : -1;
}

int llmtap_set_trace_name(const char *name)
{
    lt_trace_set_name(name);
    return 0;
}

const char *llmtap_trace_id(void)
{
    const struct lt_process *p = lt_trace_process();
    return p && p->trace_id[0] ? p->trace_id : NULL;
}
