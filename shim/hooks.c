/* hooks.c — the only exported curl_* symbols: lazy init, cheap gate,
 * record, forward.
 *
 * Every hook exists twice, once per libcurl flavour (symbol versions
 * CURL_OPENSSL_4, the default, and CURL_GNUTLS_3), and forwards only to the
 * libcurl of its own flavour, so a handle never reaches another library.
 * The real call runs on every path, even when llmtap fails. The setopt entry
 * is a leaf that looks at the option number and tail-jumps to libcurl for
 * every option llmtap does not record (DESIGN "Cost of the common path");
 * this file is always built -O2 with sibling calls. Any thread.
 */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <stdint.h>

#include "capture.h"
#include "config.h"
#include "log.h"
#include "registry.h"
#include "resolve.h"

_Static_assert(LT_FLAVOUR_OPENSSL == 0 && LT_FLAVOUR_GNUTLS == 1, "the setopt leaf indexes by flavour number");

typedef int (*hooks_setopt_fn)(void *, int, ...); /* libcurl's variadic setopt */

/* The options recorded, as a bitmap indexed by the option number itself
 * (curl 7.88's largest is 40xxx); an option past it takes the slow path,
 * which checks exactly. The leaf tests one bit: no hashing, no collision. */
#define HOOKS_OPT_LIMIT 40960
#define HOOKS_B(o, w) (((unsigned)(o) >> 6) == (w) ? (uint64_t)1 << ((unsigned)(o) & 63) : 0)
#define HOOKS_W(w)                                                                              \
    (HOOKS_B(CURLOPT_URL, w) | HOOKS_B(CURLOPT_WRITEDATA, w) | HOOKS_B(CURLOPT_WRITEFUNCTION, w) | \
     HOOKS_B(CURLOPT_READDATA, w) | HOOKS_B(CURLOPT_READFUNCTION, w) |                          \
     HOOKS_B(CURLOPT_HEADERDATA, w) | HOOKS_B(CURLOPT_HEADERFUNCTION, w) |                      \
     HOOKS_B(CURLOPT_POSTFIELDS, w) | HOOKS_B(CURLOPT_POSTFIELDSIZE, w) |                       \
     HOOKS_B(CURLOPT_POSTFIELDSIZE_LARGE, w) | HOOKS_B(CURLOPT_COPYPOSTFIELDS, w) |            \
     HOOKS_B(CURLOPT_ACCEPT_ENCODING, w) | HOOKS_B(CURLOPT_HTTP_CONTENT_DECODING, w))
/* Every word holding a recorded option is listed here (checked below). */
#define HOOKS_WORD(o) ((unsigned)(o) >> 6)
#define HOOKS_LISTED(o)                                                                         \
    (HOOKS_WORD(o) == 0 || HOOKS_WORD(o) == 2 || HOOKS_WORD(o) == 156 || HOOKS_WORD(o) == 157 ||  \
     HOOKS_WORD(o) == 158 || HOOKS_WORD(o) == 312 || HOOKS_WORD(o) == 313 || HOOKS_WORD(o) == 470)
_Static_assert(HOOKS_LISTED(CURLOPT_URL) && HOOKS_LISTED(CURLOPT_WRITEDATA) &&
                   HOOKS_LISTED(CURLOPT_WRITEFUNCTION) && HOOKS_LISTED(CURLOPT_READDATA) &&
                   HOOKS_LISTED(CURLOPT_READFUNCTION) && HOOKS_LISTED(CURLOPT_HEADERDATA) &&
                   HOOKS_LISTED(CURLOPT_HEADERFUNCTION) && HOOKS_LISTED(CURLOPT_POSTFIELDS) &&
                   HOOKS_LISTED(CURLOPT_POSTFIELDSIZE) && HOOKS_LISTED(CURLOPT_POSTFIELDSIZE_LARGE) &&
                   HOOKS_LISTED(CURLOPT_COPYPOSTFIELDS) && HOOKS_LISTED(CURLOPT_ACCEPT_ENCODING) &&
                   HOOKS_LISTED(CURLOPT_HTTP_CONTENT_DECODING),
               "a recorded option's bitmap word is missing from hooks_setopt_bits");
__attribute__((used, aligned(64))) static const uint64_t hooks_setopt_bits[HOOKS_OPT_LIMIT / 64] __asm__(
    "lt_hooks_setopt_bits") = {[0] = HOOKS_W(0),     [2] = HOOKS_W(2),     [156] = HOOKS_W(156),
                               [157] = HOOKS_W(157), [158] = HOOKS_W(158), [312] = HOOKS_W(312),
                               [313] = HOOKS_W(313), [470] = HOOKS_W(470)};

static inline int hooks_recorded(int opt)
{
    unsigned o = (unsigned)opt;
    return o < HOOKS_OPT_LIMIT && ((hooks_setopt_bits[o >> 6] >> (o & 63)) & 1);
}

/* The resolved table per flavour, published once; hooks read it with one
 * load instead of going through pthread_once each time. */
static const struct lt_curl_api *hooks_apis[LT_FLAVOURS];

__attribute__((noinline, cold)) static const struct lt_curl_api *hooks_api_first(enum lt_flavour f)
{
    const struct lt_curl_api *api = lt_resolve(f);
    if (!api->loaded)
        lt_log_once(LT_ONCE_NO_LIBCURL, "no real libcurl found for %s: calls fail as libcurl would not be there",
                    f == LT_FLAVOUR_OPENSSL ? "CURL_OPENSSL_4" : "CURL_GNUTLS_3");
    __atomic_store_n(&hooks_apis[f], api, __ATOMIC_RELEASE);
    return api;
}

static inline const struct lt_curl_api *hooks_api(enum lt_flavour f)
{
    const struct lt_curl_api *api = __atomic_load_n(&hooks_apis[f], __ATOMIC_ACQUIRE);
    return LT_LIKELY(api != NULL) ? api : hooks_api_first(f);
}

/* No handle of this process ever had an LLM URL: the transfer hooks have
 * nothing to look up. */
static inline bool hooks_no_llm(void)
{
    return LT_LIKELY(!atomic_load_explicit(&lt_registry_llm_seen, memory_order_relaxed));
}

static int hooks_setopt_first_ossl(void *h, int opt, void *arg);
static int hooks_setopt_first_gnutls(void *h, int opt, void *arg);

/* Where the setopt leaf jumps for an option llmtap ignores: first a
 * resolving stub, then (set once by the slow path, never changed again)
 * libcurl's own curl_easy_setopt. Read without a lock by the leaf. */
__attribute__((used)) static hooks_setopt_fn hooks_setopt_real[LT_FLAVOURS] __asm__("lt_hooks_setopt_real") = {
    (hooks_setopt_fn)hooks_setopt_first_ossl, (hooks_setopt_fn)hooks_setopt_first_gnutls};

__attribute__((noinline, used)) static int hooks_setopt_slow(enum lt_flavour f, void *h, int opt, void *arg)
    __asm__("lt_hooks_setopt_slow");
static int hooks_setopt_slow(enum lt_flavour f, void *h, int opt, void *arg)
{
    const struct lt_curl_api *api = hooks_api(f);
    if (!api->easy_setopt)
        return CURLE_FAILED_INIT;
    if (LT_UNLIKELY(hooks_setopt_real[f] != (hooks_setopt_fn)api->easy_setopt))
        __atomic_store_n(&hooks_setopt_real[f], (hooks_setopt_fn)api->easy_setopt, __ATOMIC_RELEASE);
    struct lt_slot *s;
    if (!hooks_recorded(opt) || lt_tls_internal || !lt_config_enabled() || !(s = lt_registry_get(h)))
        return api->easy_setopt(h, opt, arg);
    return lt_capture_setopt(s, api, f, h, opt, arg);
}

static int hooks_setopt_first_ossl(void *h, int opt, void *arg)
{
    return hooks_setopt_slow(LT_FLAVOUR_OPENSSL, h, opt, arg);
}

static int hooks_setopt_first_gnutls(void *h, int opt, void *arg)
{
    return hooks_setopt_slow(LT_FLAVOUR_GNUTLS, h, opt, arg);
}

/* The setopt leaf. Every curl_easy_setopt argument (long, pointer,
 * curl_off_t) travels in the third integer register on x86-64 and aarch64,
 * so a non-variadic entry reads it without spilling the variadic save area.
 * On x86-64 it is written out: five instructions for an ignored option
 * (bound, test the bit, jump), leaving %al as the caller set it for the
 * variadic callee; elsewhere in C. */
#define HOOKS_STR_(x) #x
#define HOOKS_STR(x) HOOKS_STR_(x)
#if defined(__x86_64__)
#define HOOKS_SETOPT(F, tag, ver)                                                               \
    __asm__(".text\n"                                                                          \
            ".p2align 4\n"                                                                     \
            ".type hook_setopt_" #tag ",@function\n"                                          \
            "hook_setopt_" #tag ":\n"                                                         \
            "    cmp $" HOOKS_STR(HOOKS_OPT_LIMIT) ", %esi\n"                                 \
            "    jae 1f\n"                                                                    \
            "    bt %esi, lt_hooks_setopt_bits(%rip)\n"                                       \
            "    jc 1f\n"                                                                     \
            "    jmp *lt_hooks_setopt_real+8*" #F "(%rip)\n"                                  \
            "1:  mov %rdx, %rcx\n"                                                            \
            "    mov %esi, %edx\n"                                                            \
            "    mov %rdi, %rsi\n"                                                            \
            "    mov $" #F ", %edi\n"                                                         \
            "    jmp lt_hooks_setopt_slow\n"                                                  \
            ".size hook_setopt_" #tag ", .-hook_setopt_" #tag "\n"                            \
            ".globl hook_setopt_" #tag "\n"                                                   \
            ".symver hook_setopt_" #tag ", curl_easy_setopt" ver "\n");
#else
#define HOOKS_SETOPT(F, tag, ver)                                                               \
    __attribute__((visibility("default"), symver("curl_easy_setopt" ver))) int hook_setopt_##tag( \
        void *h, int opt, void *arg);                                                          \
    int hook_setopt_##tag(void *h, int opt, void *arg)                                         \
    {                                                                                          \
        unsigned b = (unsigned)opt;                                                            \
        hooks_setopt_fn real = __atomic_load_n(&hooks_setopt_real[F], __ATOMIC_RELAXED);       \
        if (b < HOOKS_OPT_LIMIT && !((hooks_setopt_bits[b >> 6] >> (b & 63)) & 1))             \
            return real(h, opt, arg);                                                          \
        return hooks_setopt_slow(F, h, opt, arg);                                              \
    }
#endif

static int hooks_perform(enum lt_flavour f, void *h)
{
    const struct lt_curl_api *api = hooks_api(f);
    if (!api->easy_perform)
        return CURLE_FAILED_INIT;
    struct lt_slot *s;
    if (hooks_no_llm() || lt_tls_internal || !(s = lt_registry_find(h)) || s->url_state != LT_URL_LLM ||
        s->in_easy)
        return api->easy_perform(h);
    lt_capture_begin(s, h, f);
    s->in_easy = true; /* libcurl's nested multi calls for h stand aside */
    int rc = api->easy_perform(h);
    s->in_easy = false;
    lt_capture_end(s, h, f, rc, true);
    return rc;
}

static void *hooks_init(enum lt_flavour f)
{
    const struct lt_curl_api *api = hooks_api(f);
    if (!api->easy_init)
        return NULL;
    void *h = api->easy_init();
    struct lt_slot *s;
    if (h && !lt_tls_internal && (s = lt_registry_find(h))) {
        /* A stale slot at a recycled address must not leak into this handle. */
        if (s->call) {
            lt_call_free(s->call);
            s->call = NULL;
        }
        lt_registry_remove(s);
    }
    return h;
}

static void *hooks_duphandle(enum lt_flavour f, void *h)
{
    const struct lt_curl_api *api = hooks_api(f);
    if (!api->easy_duphandle)
        return NULL;
    void *d = api->easy_duphandle(h);
    struct lt_slot *s;
    if (d && !lt_tls_internal && (s = lt_registry_find(h)))
        lt_capture_dup(s, d, f);
    return d;
}

static void hooks_reset(enum lt_flavour f, void *h)
{
    const struct lt_curl_api *api = hooks_api(f);
    if (!api->easy_reset)
        return;
    struct lt_slot *s = lt_tls_internal ? NULL : lt_registry_find(h);
    if (s)
        lt_capture_end(s, h, f, 0, false);
    api->easy_reset(h);
    if (s)
        lt_registry_clear(s); /* libcurl forgot every option too */
}

static void hooks_cleanup(enum lt_flavour f, void *h)
{
    const struct lt_curl_api *api = hooks_api(f);
    if (!api->easy_cleanup)
        return;
    struct lt_slot *s = lt_tls_internal ? NULL : lt_registry_find(h);
    if (s) {
        lt_capture_end(s, h, f, 0, false);
        /* Before libcurl frees h: its address may be reused at once. */
        lt_registry_remove(s);
    }
    api->easy_cleanup(h);
}

static int hooks_multi_add(enum lt_flavour f, void *m, void *h)
{
    const struct lt_curl_api *api = hooks_api(f);
    if (!api->multi_add_handle)
        return CURLM_INTERNAL_ERROR;
    int rc = api->multi_add_handle(m, h);
    struct lt_slot *s;
    if (rc == CURLM_OK && !hooks_no_llm() && !lt_tls_internal && (s = lt_registry_find(h)) &&
        s->url_state == LT_URL_LLM && !s->in_easy)
        lt_capture_begin(s, h, f);
    return rc;
}

static int hooks_multi_remove(enum lt_flavour f, void *m, void *h)
{
    const struct lt_curl_api *api = hooks_api(f);
    if (!api->multi_remove_handle)
        return CURLM_INTERNAL_ERROR;
    struct lt_slot *s;
    if (!hooks_no_llm() && !lt_tls_internal && (s = lt_registry_find(h)) && s->call && !s->in_easy)
        lt_capture_end(s, h, f, 0, false);
    return api->multi_remove_handle(m, h);
}

static void *hooks_multi_info_read(enum lt_flavour f, void *m, int *left)
{
    const struct lt_curl_api *api = hooks_api(f);
    if (!api->multi_info_read)
        return NULL;
    CURLMsg *msg = api->multi_info_read(m, left);
    struct lt_slot *s;
    if (msg && !hooks_no_llm() && msg->msg == CURLMSG_DONE && !lt_tls_internal &&
        (s = lt_registry_find(msg->easy_handle)) && s->call && !s->in_easy)
        lt_capture_end(s, msg->easy_handle, f, msg->data.result, true);
    return msg;
}

#define HOOKS_EXPORT(ret, name, ver, tag, params) \
    __attribute__((visibility("default"), symver(name ver))) ret hook_##tag params; ret hook_##tag params

#define HOOKS_FLAVOUR(F, tag, ver)                                                              \
    HOOKS_SETOPT(F, tag, ver)                                                                  \
    HOOKS_EXPORT(int, "curl_easy_perform", ver, perform_##tag, (void *h)) { return hooks_perform(F, h); } \
    HOOKS_EXPORT(void *, "curl_easy_init", ver, init_##tag, (void)) { return hooks_init(F); }  \
    HOOKS_EXPORT(void *, "curl_easy_duphandle", ver, dup_##tag, (void *h)) { return hooks_duphandle(F, h); } \
    HOOKS_EXPORT(void, "curl_easy_reset", ver, reset_##tag, (void *h)) { hooks_reset(F, h); }  \
    HOOKS_EXPORT(void, "curl_easy_cleanup", ver, cleanup_##tag, (void *h)) { hooks_cleanup(F, h); } \
    HOOKS_EXPORT(int, "curl_multi_add_handle", ver, madd_##tag, (void *m, void *h)) { return hooks_multi_add(F, m, h); } \
    HOOKS_EXPORT(int, "curl_multi_remove_handle", ver, mremove_##tag, (void *m, void *h)) { return hooks_multi_remove(F, m, h); } \
    HOOKS_EXPORT(void *, "curl_multi_info_read", ver, minfo_##tag, (void *m, int *left)) { return hooks_multi_info_read(F, m, left); }

HOOKS_FLAVOUR(0, ossl, "@@CURL_OPENSSL_4")
HOOKS_FLAVOUR(1, gnutls, "@CURL_GNUTLS_3")
