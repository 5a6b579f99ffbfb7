/* STUB — owned by the queue/export work; replaced by the real module. */
#include "export.h"
enum lt_rc lt_export_otlp_send(const struct lt_config *cfg, const char *body, size_t len, int64_t deadline_ns) { (void)cfg; (void)body; (void)len; (void)deadline_ns; return LT_ERR_UNAVAIL; }
