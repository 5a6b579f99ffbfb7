/* rc.h — the result type every fallible llmtap function returns.
 * 0 is success; callers test `!= LT_OK`. Results travel in out-params. */
#ifndef LT_RC_H
#define LT_RC_H

enum lt_rc {
    LT_OK = 0,
    LT_ERR_NOMEM,     /* an allocation failed, or a cap was reached */
    LT_ERR_INVALID,   /* malformed input (JSON, URL, configuration) */
    LT_ERR_IO,        /* a file or network operation failed */
    LT_ERR_UNAVAIL,   /* a needed library or function is not there */
    LT_ERR_TIMEOUT,   /* a deadline passed */
    LT_ERR_SKIP       /* not an error: nothing to do (e.g. not an LLM call) */
};

#define LT_HIDDEN __attribute__((visibility("hidden")))
#define LT_LIKELY(x) __builtin_expect(!!(x), 1)
#define LT_UNLIKELY(x) __builtin_expect(!!(x), 0)

#endif
