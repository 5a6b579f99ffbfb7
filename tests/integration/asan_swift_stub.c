/* asan_swift_stub.c — preloaded after the ASan runtime when an
 * uninstrumented client (curl, python3 + pycurl) runs under the ASan build
 * of the shim. Not part of llmtap.
 *
 * Why: libp11-kit's constructor calls newlocale(), which holds glibc's
 * setlocale lock while its malloc() starts the preloaded ASan runtime;
 * AsanInitInternal looks up swift_demangle with dlsym(), and the failed
 * lookup's dlerror() runs gettext, which takes and releases the same lock.
 * The lock's reader count underflows and the program's first setlocale()
 * (curl's main) waits forever (seen: Debian 12, glibc 2.36-9+deb12u14,
 * libasan8 12.2.0, curl 7.88.1, with or without the shim). With this
 * symbol defined the lookup succeeds and gettext is never reached. ASan
 * calls it only to demangle Swift names; NULL means "not Swift".
 */
#include <stddef.h>

char *swift_demangle(const char *mangled, size_t len, char *out, size_t *out_len, unsigned flags);

char *swift_demangle(const char *mangled, size_t len, char *out, size_t *out_len, unsigned flags)
{
    (void)mangled; (void)len; (void)out; (void)out_len; (void)flags;
    return NULL;
}
