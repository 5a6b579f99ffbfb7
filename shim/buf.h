/* buf.h — a growable byte buffer with a hard cap, and JSON text writing.
 *
 * Owns its bytes (through mem.h). Not thread-safe: one owner at a time. Once
 * an append would pass `cap`, the buffer keeps what fitted, sets `truncated`,
 * counts the bytes it refused in `dropped` and accepts nothing more: hitting a
 * cap ends capture of that body, never the caller's work. The data is always
 * NUL-terminated (the NUL is not counted in len and not in the cap).
 */
#ifndef LT_BUF_H
#define LT_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rc.h"

struct lt_buf {
    char *data;      /* NULL until the first append */
    size_t len;
    size_t alloc;
    size_t cap;      /* max len; 0 = LT_BUF_DEFAULT_CAP */
    size_t dropped;  /* bytes refused after the cap was reached */
    bool truncated;  /* the cap was reached */
    bool oom;        /* an allocation failed (also sets truncated) */
};

/* 64 MiB: no single JSON document we build or keep is allowed to be larger. */
#define LT_BUF_DEFAULT_CAP ((size_t)64 << 20)

void lt_buf_init(struct lt_buf *b, size_t cap);
void lt_buf_free(struct lt_buf *b);           /* back to the initial, empty state */
void lt_buf_reset(struct lt_buf *b);          /* len = 0, keeps the allocation */
/* Hands the bytes to the caller (free with lt_free); the buffer is empty after. */
char *lt_buf_steal(struct lt_buf *b, size_t *len);

/* Appends; LT_ERR_NOMEM when the cap or memory stopped part of it. */
enum lt_rc lt_buf_add(struct lt_buf *b, const void *p, size_t n);
enum lt_rc lt_buf_adds(struct lt_buf *b, const char *s);
enum lt_rc lt_buf_addc(struct lt_buf *b, char c);
enum lt_rc lt_buf_printf(struct lt_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* JSON: appends `s` (n bytes) as a quoted JSON string. Invalid UTF-8 bytes
 * become U+FFFD, control characters are escaped; the output is always valid
 * JSON. */
enum lt_rc lt_buf_json_str(struct lt_buf *b, const char *s, size_t n);
enum lt_rc lt_buf_json_strz(struct lt_buf *b, const char *s); /* NULL → null */

#endif
