/* queue.h — the bounded queue of captured calls and the one background
 * thread that drains it: parse (providers) → span (event) → batch → export.
 *
 * Owns the queue, the batch, the thread, the exit handler and the fork
 * handlers. The thread starts lazily at the first push, has every signal
 * blocked and is named "llmtap". No lock is held across I/O or a program
 * callback. Program threads call lt_queue_push; the exit handler and
 * llmtap_flush call lt_queue_flush.
 */
#ifndef LT_QUEUE_H
#define LT_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "rc.h"

/* Takes ownership of c in every case: queued (LT_OK), or freed when the queue
 * is full (LT_ERR_NOMEM, said once), or when tracing is off, the trace is not
 * sampled, there is no destination or the exit handler has begun
 * (LT_ERR_SKIP). Starts the thread and registers the fork handlers on first
 * use. Never blocks on I/O. Any thread. */
enum lt_rc lt_queue_push(struct lt_call *c);

/* Exports everything queued so far; waits at most timeout_ms. LT_OK when all
 * was sent (or nothing was queued), LT_ERR_TIMEOUT when the time ran out,
 * LT_ERR_IO when the destination refused a batch holding some of it,
 * LT_ERR_UNAVAIL when no thread can run. Any thread but the sender. */
enum lt_rc lt_queue_flush(int64_t timeout_ms);

/* Registers the exit handler if not yet done (called after the first real
 * libcurl call of an LLM transfer returned; DESIGN "Exit"), and the fork
 * handlers. Idempotent. The handler waits at most LLMTAP_EXIT_TIMEOUT. */
void lt_queue_arm_exit(void);

/* Tests: process the call synchronously on the calling thread and append to
 * out one complete export body (head, the call's span, tail): what would be
 * sent for this call alone. No thread, no export, no sampling. Borrows c (the
 * caller still frees it). LT_OK; LT_ERR_SKIP when the body shows no LLM call;
 * LT_ERR_NOMEM / LT_ERR_UNAVAIL from the parser or the event writer (out is
 * then as it was). */
#include "buf.h"
enum lt_rc lt_queue_render_call(struct lt_call *c, struct lt_buf *out);

#endif
