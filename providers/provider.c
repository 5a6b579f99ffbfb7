/* STUB — owned by the providers work; replaced by the real module. */
#include "provider.h"
void lt_provider_configure(const char *spec) { (void)spec; }
bool lt_provider_match_url(const char *url, struct lt_match *out) { (void)url; (void)out; return false; }
enum lt_rc lt_parser_new(const struct lt_parse_in *in, struct lt_parser **out) { (void)in; *out = 0; return LT_ERR_UNAVAIL; }
void lt_parser_feed(struct lt_parser *p, const char *data, size_t len) { (void)p; (void)data; (void)len; }
enum lt_rc lt_parser_finish(struct lt_parser *p, bool complete, struct lt_generation *out) { (void)p; (void)complete; (void)out; return LT_ERR_UNAVAIL; }
void lt_parser_free(struct lt_parser *p) { (void)p; }
