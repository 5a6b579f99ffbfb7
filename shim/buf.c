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

/* Grows the allocation to hold need bytes and a NUL; never past the cap.
 * false when memory ran out (nothing changed). */
static bool buf_grow(struct lt_buf *b, size_t need)
{
    size_t n = b->alloc ? b->alloc : 256;
    while (n < need + 1)
        n = n > SIZE_MAX / 2 ? need + 1 : n * 2;
    if (n > b->cap + 1)
        n = b->cap + 1;
    char *d = lt_realloc(b->data, n);
    if (!d)
        return false;
    b->data = d;
    b->alloc = n;
    return true;
}

static bool buf_reserve(struct lt_buf *b, size_t need)
{
    if (need + 1 <= b->alloc)
        return true;
    if (!buf_grow(b, need)) {
        b->oom = true;
        return false;
    }
    return true;
}

enum lt_rc lt_buf_add(struct lt_buf *b, const void *p, size_t n)
{
    /* the common case: it fits in what is allocated, under the cap */
    if (!b->truncated && n < b->alloc - b->len && b->len + n <= b->cap) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return LT_OK;
    }
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

/* The reference writer, piece by piece through lt_buf_add: exact about the
 * cap (what fits is kept). Used when the fast writer below cannot finish. */
static enum lt_rc buf_json_str_slow(struct lt_buf *b, const char *s, size_t n)
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

/* Bytes a JSON string cannot carry as they are: 1 '"' or '\\', 2 a control
 * character or DEL (\u00XX; \n \r \t have short forms), 3 the start of a
 * multi-byte sequence (to be validated). 0: copied verbatim. */
static const unsigned char buf_json_class[256] = {
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    ['"'] = 1, ['\\'] = 1, [0x7f] = 2,
    [0x80] = 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};

#define BUF_ONES 0x0101010101010101ULL
#define BUF_HIGHS 0x8080808080808080ULL

/* Non-zero when one of the 8 bytes of w needs a look (class != 0); the
 * lowest set 0x80 bit marks the first such byte exactly (bits above it may
 * be false alarms from borrows, which only cost a look). */
static inline uint64_t buf_json_special8(uint64_t w)
{
    uint64_t q = w ^ (BUF_ONES * '"'), bs = w ^ (BUF_ONES * '\\'), del = w ^ (BUF_ONES * 0x7f);
    uint64_t ctl = (w - BUF_ONES * 0x20) & ~w;
    uint64_t m = ctl | ((q - BUF_ONES) & ~q) | ((bs - BUF_ONES) & ~bs) | ((del - BUF_ONES) & ~del) | w;
    return m & BUF_HIGHS;
}

enum buf_fast { BUF_FAST_OK, BUF_FAST_CAP, BUF_FAST_OOM };

/* Writes straight into the allocation, 8 bytes at a time where nothing needs
 * escaping. The allocation always holds the rest of the input copied
 * verbatim plus the closing quote, so a plain run needs no check; only an
 * escape (longer than its input) may grow it. BUF_FAST_CAP when the text
 * may not fit under the cap: the buffer is then as it was, and the caller
 * takes the reference path, which keeps exactly what fits. BUF_FAST_OOM
 * when memory ran out (the buffer is as it was, marked oom). */
static enum buf_fast buf_json_str_fast(struct lt_buf *b, const unsigned char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t start = b->len;
    if (b->truncated || n > b->cap - start || b->cap - start - n < 2)
        return BUF_FAST_CAP;
    if (start + n + 2 + 1 > b->alloc && !buf_grow(b, start + n + 2))
        return BUF_FAST_OOM;
    char *d = b->data;
    size_t o = start, i = 0;
    d[o++] = '"';
    for (;;) {
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            memcpy(d + o, &w, 8); /* room: the rest of the input is reserved */
            uint64_t m = buf_json_special8(w);
            if (m) {
                size_t k = (size_t)__builtin_ctzll(m) >> 3;
                i += k;
                o += k;
                goto special;
            }
            i += 8;
            o += 8;
        }
        while (i < n && buf_json_class[p[i]] == 0)
            d[o++] = (char)p[i++];
        if (i >= n)
            break;
    special:;
        unsigned char c = p[i];
        unsigned cls = buf_json_class[c];
        if (cls == 0) { /* a false alarm */
            d[o++] = (char)c;
            i++;
            continue;
        }
        if (cls == 3) {
            size_t l = buf_utf8_len(p + i, n - i);
            if (l) {
                memcpy(d + o, p + i, l);
                o += l;
                i += l;
                continue;
            }
        }
        /* an escape: up to 6 bytes for 1; keep the rest reserved */
        size_t need = o + 6 + (n - i - 1) + 1;
        if (need + 1 > b->alloc) {
            if (need > b->cap || !buf_grow(b, need)) {
                b->len = start;
                b->data[start] = '\0';
                return need > b->cap ? BUF_FAST_CAP : BUF_FAST_OOM;
            }
            d = b->data;
        }
        i++;
        if (cls == 3) {
            memcpy(d + o, "\xEF\xBF\xBD", 3); /* U+FFFD for a byte that is not UTF-8 */
            o += 3;
        } else if (cls == 1) {
            d[o++] = '\\';
            d[o++] = (char)c;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            d[o++] = '\\';
            d[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else {
            memcpy(d + o, "\\u00", 4);
            d[o + 4] = hex[c >> 4];
            d[o + 5] = hex[c & 15];
            o += 6;
        }
    }
    d[o++] = '"';
    d[o] = '\0'; /* o <= need <= cap: checked at every escape */
    b->len = o;
    return BUF_FAST_OK;
}

enum lt_rc lt_buf_json_str(struct lt_buf *b, const char *s, size_t n)
{
    switch (buf_json_str_fast(b, (const unsigned char *)s, n)) {
    case BUF_FAST_OK:
        return LT_OK;
    case BUF_FAST_OOM: /* as lt_buf_add does when memory runs out */
        b->oom = b->truncated = true;
        b->dropped += n + 2;
        return LT_ERR_NOMEM;
    default:
        return buf_json_str_slow(b, s, n);
    }
}

enum lt_rc lt_buf_json_strz(struct lt_buf *b, const char *s)
{
    return s ? lt_buf_json_str(b, s, strlen(s)) : lt_buf_adds(b, "null");
}
