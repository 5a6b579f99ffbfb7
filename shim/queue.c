/* STUB — owned by the queue/export work; replaced by the real module. */
#include "queue.h"
enum lt_rc lt_queue_push(struct lt_call *c) { lt_call_free(c); return LT_ERR_UNAVAIL; }
enum lt_rc lt_queue_flush(int64_t timeout_ms) { (void)timeout_ms; return LT_OK; }
void lt_queue_arm_exit(void) {}
enum lt_rc lt_queue_render_call(struct lt_call *c, struct lt_buf *out) { (void)c; (void)out; return LT_ERR_UNAVAIL; }
