/* resolve.c — the real libcurl functions, found once per flavour.
 *
 * Owns resolve_api[] (written once per flavour under its pthread_once, then
 * read-only) and the export flavour. Never fails and never aborts: what is
 * not found stays NULL. Entered by every hook on its first call, from any
 * thread; afterwards lookups are a plain load.
 */
#include "resolve.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "log.h"

__thread int lt_tls_internal; /* per thread: set while llmtap itself calls libcurl */

static const char *const resolve_versions[LT_FLAVOURS] = {"CURL_OPENSSL_4", "CURL_GNUTLS_3"};
static struct lt_curl_api resolve_api[LT_FLAVOURS]; /* written under resolve_once[f] */
static pthread_once_t resolve_once[LT_FLAVOURS] = {PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT};
static _Atomic int resolve_export = -1;             /* flavour of the first LLM call */
static _Atomic int resolve_pinned[LT_FLAVOURS];

/* Our own load base: a symbol found there is our hook, never the real one. */
static void *resolve_self_base(void)
{
    static void *base;
    if (!base) {
        Dl_info di;
        if (dladdr((void *)&resolve_self_base, &di))
            base = di.dli_fbase;
    }
    return base;
}

static int resolve_is_self(void *sym)
{
    Dl_info di;
    return sym && dladdr(sym, &di) && di.dli_fbase == resolve_self_base();
}

struct resolve_walk {
    const char *name;
    const char *version;
    void *found;
};

/* dl_iterate_phdr callback: the first loaded object (not us) defining the
 * versioned symbol. Objects dlopen'ed RTLD_LOCAL (pycurl's libcurl-gnutls)
 * are reached here, where RTLD_NEXT cannot see them. */
static int resolve_walk_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct resolve_walk *w = arg;
    if (!info->dlpi_name || !info->dlpi_name[0])
        return 0;
    if ((void *)info->dlpi_addr == resolve_self_base())
        return 0;
    if (!strstr(info->dlpi_name, "curl"))
        return 0; /* only libcurl objects can define CURL_* versions */
    void *h = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
    if (!h)
        return 0;
    void *sym = dlvsym(h, w->name, w->version);
    dlclose(h);
    if (sym && !resolve_is_self(sym)) {
        w->found = sym;
        return 1;
    }
    return 0;
}

static void *resolve_sym(enum lt_flavour f, const char *name)
{
    const char *ver = resolve_versions[f];
    void *sym = dlvsym(RTLD_NEXT, name, ver);
    if (sym && !resolve_is_self(sym))
        return sym;
    struct resolve_walk w = {name, ver, NULL};
    dl_iterate_phdr(resolve_walk_cb, &w);
    return w.found;
}

#define RESOLVE(f, field, name) (*(void **)&resolve_api[f].field = resolve_sym(f, name))

static void resolve_flavour(enum lt_flavour f)
{
    RESOLVE(f, easy_setopt, "curl_easy_setopt");
    RESOLVE(f, easy_perform, "curl_easy_perform");
    RESOLVE(f, easy_init, "curl_easy_init");
    RESOLVE(f, easy_duphandle, "curl_easy_duphandle");
    RESOLVE(f, easy_reset, "curl_easy_reset");
    RESOLVE(f, easy_cleanup, "curl_easy_cleanup");
    RESOLVE(f, easy_getinfo, "curl_easy_getinfo");
    RESOLVE(f, easy_strerror, "curl_easy_strerror");
    RESOLVE(f, easy_pause, "curl_easy_pause");
    RESOLVE(f, multi_add_handle, "curl_multi_add_handle");
    RESOLVE(f, multi_remove_handle, "curl_multi_remove_handle");
    RESOLVE(f, multi_info_read, "curl_multi_info_read");
    RESOLVE(f, slist_append, "curl_slist_append");
    RESOLVE(f, slist_free_all, "curl_slist_free_all");
    RESOLVE(f, global_init, "curl_global_init");
    if (resolve_api[f].easy_perform) {
        /* curl_easy_header is 7.83+: an older libcurl simply has none. */
        RESOLVE(f, easy_header, "curl_easy_header");
        Dl_info di;
        if (dladdr((void *)resolve_api[f].easy_perform, &di))
            resolve_api[f].lib_path = di.dli_fname;
        resolve_api[f].loaded = true;
    }
}

static void resolve_openssl(void) { resolve_flavour(LT_FLAVOUR_OPENSSL); }
static void resolve_gnutls(void) { resolve_flavour(LT_FLAVOUR_GNUTLS); }

const struct lt_curl_api *lt_resolve(enum lt_flavour f)
{
    pthread_once(&resolve_once[f], f == LT_FLAVOUR_OPENSSL ? resolve_openssl : resolve_gnutls);
    return &resolve_api[f];
}

void lt_resolve_set_export_flavour(enum lt_flavour f)
{
    int none = -1;
    atomic_compare_exchange_strong(&resolve_export, &none, (int)f);
}

const struct lt_curl_api *lt_resolve_for_export(void)
{
    int f = atomic_load(&resolve_export);
    if (f >= 0 && lt_resolve((enum lt_flavour)f)->loaded)
        return lt_resolve((enum lt_flavour)f);
    for (int i = 0; i < LT_FLAVOURS; i++)
        if (lt_resolve((enum lt_flavour)i)->loaded)
            return lt_resolve((enum lt_flavour)i);
    return NULL;
}

void lt_resolve_pin(enum lt_flavour f)
{
    const struct lt_curl_api *api = lt_resolve(f);
    if (!api->loaded || atomic_exchange(&resolve_pinned[f], 1))
        return;
    /* PHP unloads its curl extension and libcurl before exit handlers run;
     * a NODELETE reference keeps the code our exit flush calls mapped. */
    if (!dlopen(api->lib_path, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE))
        lt_log("could not pin %s", api->lib_path);
}
