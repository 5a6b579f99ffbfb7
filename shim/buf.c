/* buf.c — bounded growable buffer and JSON string escaping.
 *
 * Owns nothing global. Never logs, never aborts: a full buffer is recorded in
 * the buffer itself (truncated / dropped) for the caller to report.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

void lt_buf_init(struct lt_buf *b, size_t cap)
{
    memset(b, 0, sizeof *b);
    b->cap = cap ? cap : LT_BUF_DEFAULT_CAP;
}

void lt_buf_free(struct lt_buf *b)
{
    size_t cap = b->cap;
    lt_free(b->data);
    lt_buf_init(b, cap);
}

void lt_buf_reset(struct lt_buf *b)
{
    b->len = 0;
    b->dropped = 0;
    b->truncated = false;
    b->oom = false;
    if (b->data)
        b->data[0] = '\0';
}

char *lt_buf_steal(struct lt_buf *b, size_t *len)
{
    char *d = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->alloc = 0;
    return d;
}

static bool buf_reserve(struct lt_buf *b, size_t need)
{
    if (need + 1 <= b->alloc)
        return true;
    size_t n = b->alloc ? b->alloc : 256;
    while (n < need + 1)
        n = n > SIZE_MAX / 2 ? need + 1 : n * 2;
    if (n > b->cap + 1)
        n = b->cap + 1;
    char *d = lt_realloc(b->data, n);
    if (!d) {
        b->oom = true;
        return false;
    }
    b->data = d;
    b->alloc = n;
    return true;
}

enum lt_rc lt_buf_add(struct lt_buf *b, const void *p, size_t n)
{
    if (b->truncated) {
        b->dropped += n;
        return LT_ERR_NOMEM;
    }
    size_t take = n;
    if (b->len + take > b->cap)
        take = b->cap - b->len;
    if (!buf_reserve(b, b->len + take)) {
        b->truncated = true;
        b->dropped += n;
        return LT_ERR_NOMEM;
    }
    if (take)
        memcpy(b->data + b->len, p, take);
    b->len += take;
    b->data[b->len] = '\0';
    if (take < n) {
        b->truncated = true;
        b->dropped += n - take;
        return LT_ERR_NOMEM;
    }
    return LT_OK;
}

enum lt_rc lt_buf_adds(struct lt_buf *b, const char *s)
{
    return lt_buf_add(b, s, strlen(s));
}

enum lt_rc lt_buf_addc(struct lt_buf *b, char c)
{
    return lt_buf_add(b, &c, 1);
}

enum lt_rc lt_buf_printf(struct lt_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return LT_ERR_INVALID;
    if ((size_t)n < sizeof small)
        return lt_buf_add(b, small, (size_t)n);
    char *big = lt_malloc((size_t)n + 1);
    if (!big) {
        b->truncated = b->oom = true;
        return LT_ERR_NOMEM;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    enum lt_rc rc = lt_buf_add(b, big, (size_t)n);
    lt_free(big);
    return rc;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t buf_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t min, cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

enum lt_rc lt_buf_json_str(struct lt_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    enum lt_rc rc = lt_buf_addc(b, '"');
    size_t run = 0; /* start of the pending run of bytes copied verbatim */
    size_t i = 0;
    while (i < n && rc == LT_OK) {
        unsigned char c = p[i];
        const char *esc = NULL;
        char ubuf[7];
        size_t l = 1;
        if (c == '"') esc = "\\\"";
        else if (c == '\\') esc = "\\\\";
        else if (c == '\n') esc = "\\n";
        else if (c == '\r') esc = "\\r";
        else if (c == '\t') esc = "\\t";
        else if (c < 0x20 || c == 0x7f) {
            ubuf[0] = '\\'; ubuf[1] = 'u'; ubuf[2] = '0'; ubuf[3] = '0';
            ubuf[4] = hex[c >> 4]; ubuf[5] = hex[c & 15]; ubuf[6] = '\0';
            esc = ubuf;
        } else if (c >= 0x80) {
            l = buf_utf8_len(p + i, n - i);
            if (l == 0) {
                esc = "\xEF\xBF\xBD"; /* U+FFFD for a byte that is not UTF-8 */
                l = 1;
            }
        }
        if (esc) {
            if (i > run)
                rc = lt_buf_add(b, p + run, i - run);
            if (rc == LT_OK)
                rc = lt_buf_adds(b, esc);
            i += l;
            run = i;
        } else {
            i += l;
        }
    }
    if (rc == LT_OK && i > run)
        rc = lt_buf_add(b, p + run, i - run);
    if (rc == LT_OK)
        rc = lt_buf_addc(b, '"');
    return rc;
}

enum lt_rc lt_buf_json_strz(struct lt_buf *b, const char *s)
{
    return s ? lt_buf_json_str(b, s, strlen(s)) : lt_buf_adds(b, "null");
}
