/* resolve.h — finds the real libcurl functions, once per libcurl flavour.
 *
 * Owns the table of real function pointers. Debian has two flavours told
 * apart by symbol version: OpenSSL (CURL_OPENSSL_4, used by curl, PHP, R) and
 * GnuTLS (CURL_GNUTLS_3: pycurl, lua-curl, curb). A handle only ever reaches
 * the libcurl that created it, so each hook is bound to one flavour. Lookup:
 * dlvsym(RTLD_NEXT), else dlvsym on each loaded object from
 * dl_iterate_phdr (never the shim itself). Never fails: a missing function
 * stays NULL and the hook returns an error code libcurl itself would give.
 * Any thread; lt_resolve is idempotent and lock-free after the first call.
 */
#ifndef LT_RESOLVE_H
#define LT_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

enum lt_flavour { LT_FLAVOUR_OPENSSL = 0, LT_FLAVOUR_GNUTLS = 1, LT_FLAVOURS = 2 };

/* Opaque libcurl types: the shim uses curl.h only in hooks/capture/export. */
struct lt_curl_api {
    int (*easy_setopt)(void *h, int opt, ...);
    int (*easy_perform)(void *h);
    void *(*easy_init)(void);
    void *(*easy_duphandle)(void *h);
    void (*easy_reset)(void *h);
    void (*easy_cleanup)(void *h);
    int (*easy_getinfo)(void *h, int info, ...);
    const char *(*easy_strerror)(int code);
    int (*easy_header)(void *h, const char *name, size_t index, unsigned origin, int request,
                       void **hout); /* 7.83+; may be NULL */
    int (*easy_pause)(void *h, int bitmask);
    int (*multi_add_handle)(void *m, void *h);
    int (*multi_remove_handle)(void *m, void *h);
    void *(*multi_info_read)(void *m, int *msgs_in_queue);
    void *(*slist_append)(void *list, const char *s);
    void (*slist_free_all)(void *list);
    int (*global_init)(long flags);
    const char *lib_path;   /* the object that provided easy_perform, for pinning */
    bool loaded;            /* easy_perform was found */
};

/* Set (non-zero) on a thread while llmtap itself calls libcurl (exporter,
 * exit flush): every hook then forwards untouched, so the shim's own traffic
 * is never captured. Thread-local, initial-exec TLS: no allocation. */
extern __thread int lt_tls_internal;

/* The table for a flavour; resolves it on first use. Never NULL. */
const struct lt_curl_api *lt_resolve(enum lt_flavour f);

/* The flavour the exporter uses: the one of the first LLM call, else any
 * loaded one; NULL when no libcurl is loaded. */
const struct lt_curl_api *lt_resolve_for_export(void);
void lt_resolve_set_export_flavour(enum lt_flavour f);

/* Pins the flavour's libcurl (dlopen RTLD_NOLOAD|RTLD_NODELETE) so that a
 * host unloading it (PHP at module shutdown) cannot pull it from under the
 * exit flush. Idempotent. */
void lt_resolve_pin(enum lt_flavour f);

#endif
