/* dlhook.h — the dlopen hook that lets the shim see PHP's curl extension.
 *
 * PHP 8.2 loads extensions with RTLD_DEEPBIND, so curl.so binds to libcurl
 * before any preload and bypasses every curl_* hook (DESIGN, verified). The
 * shim's dlopen clears RTLD_DEEPBIND only for a path ending in "/curl.so" and
 * forwards every call to glibc's dlopen by a tail jump, so that glibc still
 * sees the real caller (its RUNPATH, $ORIGIN and namespace). The entry is
 * written in assembly on x86-64; elsewhere there is no dlopen hook.
 */
#ifndef LT_DLHOOK_H
#define LT_DLHOOK_H

/* Called by the assembly entry when it cannot jump straight through: resolves
 * glibc's dlopen (once) and returns the flags to pass on. Never fails. */
int lt_dlhook_prepare(const char *path, int flags);

#endif
