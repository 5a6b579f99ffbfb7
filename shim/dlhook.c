/* dlhook.c — dlopen@@GLIBC_2.34 / dlopen@GLIBC_2.2.5: clears RTLD_DEEPBIND
 * for PHP's curl extension, otherwise changes nothing.
 *
 * Owns dlhook_real (glibc's dlopen, resolved at the first call, then
 * constant). The entry never calls glibc's dlopen: it jumps to it with the
 * caller's return address still on the stack. Any thread. Built like
 * hooks.c (-O2, never TSan-instrumented).
 */
#include "dlhook.h"

#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

#include "log.h"

#if defined(__x86_64__)

/* glibc's dlopen; NULL until the first call resolves it. */
__attribute__((used)) static void *dlhook_real __asm__("lt_dlhook_real");

__attribute__((used)) static void *dlhook_fail(const char *path, int flags)
{
    (void)path;
    (void)flags;
    return NULL; /* glibc's dlopen could not be found: behave as a failed load */
}

int lt_dlhook_prepare(const char *path, int flags)
{
    if (!__atomic_load_n(&dlhook_real, __ATOMIC_ACQUIRE)) {
        void *real = dlvsym(RTLD_NEXT, "dlopen", "GLIBC_2.34");
        if (!real)
            real = dlvsym(RTLD_NEXT, "dlopen", "GLIBC_2.2.5");
        __atomic_store_n(&dlhook_real, real ? real : (void *)dlhook_fail, __ATOMIC_RELEASE);
    }
    if ((flags & RTLD_DEEPBIND) && path) {
        size_t n = strlen(path);
        if (n >= 8 && !memcmp(path + n - 8, "/curl.so", 8)) {
            lt_log("loading %s without RTLD_DEEPBIND so that its libcurl calls can be traced", path);
            return flags & ~RTLD_DEEPBIND;
        }
    }
    return flags;
}

/* The common path is four instructions: load, test, test, jump. The stack
 * is realigned around the helper call and restored before the jump, so
 * glibc reads the original caller's return address. */
__asm__(".text\n"
        ".p2align 4\n"
        ".type lt_dlhook_entry,@function\n"
        "lt_dlhook_entry:\n"
        "    mov lt_dlhook_real(%rip), %rax\n"
        "    test %rax, %rax\n"
        "    jz 1f\n"
        "    test $8, %esi\n" /* RTLD_DEEPBIND */
        "    jnz 1f\n"
        "    jmp *%rax\n"
        "1:  push %rdi\n"
        "    push %rsi\n"
        "    sub $8, %rsp\n"
        "    call lt_dlhook_prepare\n"
        "    add $8, %rsp\n"
        "    pop %rsi\n"
        "    pop %rdi\n"
        "    mov %eax, %esi\n"
        "    jmp *lt_dlhook_real(%rip)\n"
        ".size lt_dlhook_entry, .-lt_dlhook_entry\n"
        ".globl lt_dlhook_entry\n"
        ".symver lt_dlhook_entry, dlopen@@GLIBC_2.34\n"
        ".symver lt_dlhook_entry, dlopen@GLIBC_2.2.5\n");

#else

int lt_dlhook_prepare(const char *path, int flags)
{
    (void)path;
    return flags;
}

#endif
