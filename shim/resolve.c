/* STUB — replaced below by the lead. */
#include "resolve.h"
static struct lt_curl_api resolve_stub[LT_FLAVOURS];
const struct lt_curl_api *lt_resolve(enum lt_flavour f) { return &resolve_stub[f]; }
const struct lt_curl_api *lt_resolve_for_export(void) { return NULL; }
void lt_resolve_set_export_flavour(enum lt_flavour f) { (void)f; }
void lt_resolve_pin(enum lt_flavour f) { (void)f; }
__thread int lt_tls_internal;
