/* export.c — picks the exporter for cfg->dest; owns the exit-time cut
 * deadline and the "abandoned" flag that every exporter honours.
 *
 * Never looks inside a body and never retries: export_otlp.c and
 * export_jsonl.c do the work. Entered by the background thread or the exit
 * handler (one at a time, queue.c serialises), plus the exit handler's
 * lt_export_cut_deadline / lt_export_abandon from the exiting thread while
 * a send may be in flight (atomics only).
 */
#include "export.h"

#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

/* Written by the exit handler (any thread), read by the sender: atomics. */
static _Atomic int64_t export_cut = INT64_MAX; /* lt_mono_ns; INT64_MAX = none */
static _Atomic int export_gave_up;             /* the exit handler stopped waiting */

enum lt_rc lt_export_send(const struct lt_config *cfg, const char *body, size_t len,
                          int64_t deadline_ns)
{
    switch (cfg->dest) {
    case LT_DEST_OTLP_HTTP:
        return lt_export_otlp_send(cfg, body, len, deadline_ns);
    case LT_DEST_JSONL:
        return lt_export_jsonl_send(cfg, body, len);
    case LT_DEST_NONE:
    default:
        return LT_ERR_UNAVAIL;
    }
}

void lt_export_shutdown(void)
{
    lt_export_otlp_shutdown();
    lt_export_jsonl_shutdown();
}

void lt_export_fork_child(void)
{
    atomic_store(&export_cut, INT64_MAX);
    atomic_store(&export_gave_up, 0);
    lt_export_otlp_fork_child();
    lt_export_jsonl_fork_child();
}

void lt_export_cut_deadline(int64_t deadline_ns)
{
    int64_t cur = atomic_load(&export_cut);
    while (deadline_ns < cur && !atomic_compare_exchange_weak(&export_cut, &cur, deadline_ns)) {
    }
}

void lt_export_abandon(void)
{
    atomic_store(&export_gave_up, 1);
}

int64_t lt_export_cut_ns(void)
{
    return atomic_load_explicit(&export_cut, memory_order_relaxed);
}

bool lt_export_abandoned(void)
{
    return atomic_load(&export_gave_up) != 0;
}

void lt_export_park(void)
{
    /* The sender has every signal blocked (queue.c), so nothing wakes it:
     * it sleeps until _exit ends the process. */
    for (;;)
        pause();
}
