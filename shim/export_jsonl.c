/* STUB — owned by the queue/export work; replaced by the real module. */
#include "export.h"
enum lt_rc lt_export_jsonl_send(const struct lt_config *cfg, const char *body, size_t len) { (void)cfg; (void)body; (void)len; return LT_ERR_UNAVAIL; }
