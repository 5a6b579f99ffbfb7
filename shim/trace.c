/* STUB — owned by the config/trace/event work; replaced by the real module. */
#include "trace.h"
static struct lt_process trace_stub;
void lt_trace_init(void) {}
const struct lt_process *lt_trace_process(void) { return &trace_stub; }
void lt_trace_fork_child(void) {}
void lt_trace_new_span_id(char out[17]) { out[0] = 0; }
void lt_trace_new_trace_id(char out[33]) { out[0] = 0; }
bool lt_trace_id_valid(const char *s) { (void)s; return false; }
void lt_trace_set_name(const char *name) { (void)name; }
