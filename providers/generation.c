/* STUB — owned by the providers work; replaced by the real module. */
#include "generation.h"
#include <string.h>
void lt_generation_free(struct lt_generation *g) { memset(g, 0, sizeof *g); }
bool lt_generation_set_usage(struct lt_generation *g, const char *key, long long value) { (void)g; (void)key; (void)value; return false; }
bool lt_generation_get_usage(const struct lt_generation *g, const char *key, long long *value) { (void)g; (void)key; (void)value; return false; }
bool lt_generation_add_meta(struct lt_generation *g, const char *key, char *value) { (void)g; (void)key; (void)value; return false; }
void lt_generation_set_status(struct lt_generation *g, enum lt_level level, const char *fmt, ...) { (void)g; (void)level; (void)fmt; }
