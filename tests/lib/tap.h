/* tap.h — the unit-test harness: each case runs in its own forked process
 * with a timeout; the binary ends with one line "N passed, N failed" and
 * exits non-zero on any failure, or when fewer cases ran than are registered.
 *
 *   static void openai_should_parse_plain(void) { CHECK(x == 1); }
 *   static const struct tap_case cases[] = { TAP(openai_should_parse_plain) };
 *   int main(int argc, char **argv) { return tap_main(argc, argv, cases, TAP_N(cases)); }
 *
 * A case fails on a failed CHECK, a crash, a sanitizer report (non-zero
 * exit) or the timeout (TAP_TIMEOUT seconds, default 60). argv[1], if given,
 * runs only the cases whose name contains it.
 */
#ifndef TAP_H
#define TAP_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tap_case {
    const char *name;
    void (*fn)(void);
};

#define TAP(fn) { #fn, fn }
#define TAP_N(a) (sizeof(a) / sizeof((a)[0]))

void tap_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4), noreturn));
int tap_main(int argc, char **argv, const struct tap_case *cases, size_t n);

#define CHECK(cond)                                                      \
    do {                                                                 \
        if (!(cond))                                                     \
            tap_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);            \
    } while (0)
#define CHECKF(cond, ...)                                                \
    do {                                                                 \
        if (!(cond))                                                     \
            tap_fail(__FILE__, __LINE__, __VA_ARGS__);                   \
    } while (0)
#define CHECK_STR(a, b)                                                  \
    do {                                                                 \
        const char *ta_ = (a), *tb_ = (b);                               \
        if (!ta_ || !tb_ || strcmp(ta_, tb_) != 0)                       \
            tap_fail(__FILE__, __LINE__, "%s = \"%s\", want \"%s\"", #a, \
                     ta_ ? ta_ : "(null)", tb_ ? tb_ : "(null)");        \
    } while (0)
#define CHECK_INT(a, b)                                                  \
    do {                                                                 \
        long long ta_ = (long long)(a), tb_ = (long long)(b);            \
        if (ta_ != tb_)                                                  \
            tap_fail(__FILE__, __LINE__, "%s = %lld, want %lld", #a, ta_, tb_); \
    } while (0)

/* Reads a whole file; NULL if unreadable. Caller frees with free(). */
char *tap_read_file(const char *path, size_t *len);
/* The shared fixtures directory (LLMTAP_FIXTURES, else ../shared/fixtures
 * relative to the project root); the case fails if it is missing. */
const char *tap_fixtures_dir(void);

#endif
