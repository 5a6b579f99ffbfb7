/* STUB — owned by the config/trace/event work; replaced by the real module. */
#include "config.h"
#include <string.h>
static struct lt_config config_stub;
const struct lt_config *lt_config_get(void) { return &config_stub; }
bool lt_config_enabled(void) { return true; }
enum lt_rc lt_config_load(struct lt_config *out) { memset(out, 0, sizeof *out); return LT_OK; }
void lt_config_free(struct lt_config *c) { (void)c; }
enum lt_rc lt_config_state_dir(char *buf, size_t n, bool create) { (void)buf; (void)n; (void)create; return LT_ERR_UNAVAIL; }
