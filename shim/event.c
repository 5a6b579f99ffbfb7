/* STUB — owned by the config/trace/event work; replaced by the real module. */
#include "event.h"
enum lt_rc lt_event_generation(struct lt_buf *out, const struct lt_config *cfg, const struct lt_process *proc, const struct lt_call *c, const struct lt_generation *g, const char span_id[17]) { (void)out; (void)cfg; (void)proc; (void)c; (void)g; (void)span_id; return LT_ERR_UNAVAIL; }
enum lt_rc lt_event_process_span(struct lt_buf *out, const struct lt_config *cfg, const struct lt_process *proc, int64_t end_ns, int n_generations) { (void)out; (void)cfg; (void)proc; (void)end_ns; (void)n_generations; return LT_ERR_UNAVAIL; }
enum lt_rc lt_event_body_head(struct lt_buf *out, const struct lt_config *cfg, const struct lt_process *proc) { (void)out; (void)cfg; (void)proc; return LT_ERR_UNAVAIL; }
enum lt_rc lt_event_body_tail(struct lt_buf *out) { (void)out; return LT_ERR_UNAVAIL; }
