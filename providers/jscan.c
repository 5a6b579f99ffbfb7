/* jscan.c — the allocation-free JSON scanner of jscan.h: tokens over a byte
 * range, validated as strictly as the header says, so that what it accepts
 * cJSON would parse to the same values.
 *
 * Owns no memory; its one global is the fast-path switch (jscan_off).
 * Only lt_jscan_str writes, into the caller's lt_buf. Never interprets what the JSON means: callers do. Any
 * thread, one scan per owner (the background thread, tests, fuzzers).
 */
#include "jscan.h"

#include "../shim/buf.h"

/* Written only by lt_jscan_set_fastpath (tests and fuzzers, before any
 * parse); read by callers on the background thread. */
static bool jscan_off;

void lt_jscan_set_fastpath(bool on)
{
    jscan_off = !on;
}

bool lt_jscan_fastpath(void)
{
    return !jscan_off;
}

static bool jscan_fail(struct lt_jscan *s)
{
    s->bad = true;
    s->p = s->end;
    return false;
}

static const char *jscan_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static int jscan_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* The four hex digits at p (end - p >= 4 checked by the caller), or -1. */
static long jscan_hex4(const char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = jscan_hexval(p[i]);
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

/* A \u escape at p (p[0] == '\\', p[1] == 'u'), a surrogate pair read as
 * one: its code point and length, or 0 when it is not one we accept
 * (bad hex, U+0000, a lone or reversed surrogate). */
static size_t jscan_unicode(const char *p, const char *end, unsigned long *cp)
{
    long hi = end - p >= 6 ? jscan_hex4(p + 2) : -1;
    if (hi <= 0 || (hi >= 0xDC00 && hi <= 0xDFFF))
        return 0;
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = (unsigned long)hi;
        return 6;
    }
    p += 6;
    long lo = end - p >= 6 && p[0] == '\\' && p[1] == 'u' ? jscan_hex4(p + 2) : -1;
    if (lo < 0xDC00 || lo > 0xDFFF)
        return 0;
    *cp = 0x10000 + (((unsigned long)hi & 0x3FF) << 10 | ((unsigned long)lo & 0x3FF));
    return 12;
}

/* The body of a string from p (after its quote): the closing quote, or NULL. */
static const char *jscan_string(const char *p, const char *end, bool *esc)
{
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p;
        if (c < 0x20)
            return NULL;
        if (c != '\\') {
            p++;
            continue;
        }
        *esc = true;
        if (end - p < 2)
            return NULL;
        switch (p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            p += 2;
            break;
        case 'u': {
            unsigned long cp;
            size_t k = jscan_unicode(p, end, &cp);
            if (!k)
                return NULL;
            p += k;
            break;
        }
        default:
            return NULL;
        }
    }
    return NULL;
}

static bool jscan_digit(const char *p, const char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

/* A strict JSON number from p: its end, or NULL. */
static const char *jscan_number(const char *p, const char *end)
{
    const char *s = p;
    if (p < end && *p == '-')
        p++;
    if (!jscan_digit(p, end))
        return NULL;
    if (*p == '0')
        p++;
    else
        while (jscan_digit(p, end))
            p++;
    if (p < end && *p == '.') {
        p++;
        if (!jscan_digit(p, end))
            return NULL;
        while (jscan_digit(p, end))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (!jscan_digit(p, end))
            return NULL;
        while (jscan_digit(p, end))
            p++;
    }
    return p - s <= LT_JSCAN_NUMBER_MAX ? p : NULL;
}

void lt_jscan_init(struct lt_jscan *s, const char *p, size_t n)
{
    s->p = p;
    s->end = p + n;
    s->depth = 0;
    s->first = false;
    s->bad = false;
}

static enum lt_jscan_kind jscan_literal(struct lt_jscan *s, const char *p, const char *lit, size_t n,
                                        enum lt_jscan_kind kind)
{
    if ((size_t)(s->end - p) < n || memcmp(p, lit, n) != 0) {
        jscan_fail(s);
        return LT_JSCAN_NONE;
    }
    s->p = p + n;
    return kind;
}

enum lt_jscan_kind lt_jscan_value(struct lt_jscan *s, struct lt_jscan_val *v)
{
    const char *p = jscan_ws(s->p, s->end);
    v->p = p;
    v->n = 0;
    v->esc = false;
    v->kind = LT_JSCAN_NONE;
    if (s->bad || p >= s->end) {
        jscan_fail(s);
        return LT_JSCAN_NONE;
    }
    switch (*p) {
    case '{':
    case '[':
        if (s->depth >= LT_JSCAN_DEPTH_MAX) {
            jscan_fail(s);
            return LT_JSCAN_NONE;
        }
        s->depth++;
        s->first = true;
        s->p = p + 1;
        return v->kind = *p == '{' ? LT_JSCAN_OBJECT : LT_JSCAN_ARRAY;
    case '"': {
        const char *q = jscan_string(p + 1, s->end, &v->esc);
        if (!q) {
            jscan_fail(s);
            return LT_JSCAN_NONE;
        }
        v->p = p + 1;
        v->n = (size_t)(q - v->p);
        s->p = q + 1;
        return v->kind = LT_JSCAN_STRING;
    }
    case 't':
        return v->kind = jscan_literal(s, p, "true", 4, LT_JSCAN_TRUE);
    case 'f':
        return v->kind = jscan_literal(s, p, "false", 5, LT_JSCAN_FALSE);
    case 'n':
        return v->kind = jscan_literal(s, p, "null", 4, LT_JSCAN_NULL);
    default: {
        const char *q = jscan_number(p, s->end);
        if (!q) {
            jscan_fail(s);
            return LT_JSCAN_NONE;
        }
        v->n = (size_t)(q - p);
        s->p = q;
        return v->kind = LT_JSCAN_NUMBER;
    }
    }
}

/* Closes the innermost container when p is at `close`; else moves past the
 * comma that must come before a next item (none before the first). Returns
 * where the next item starts, or NULL (closed or bad). */
static const char *jscan_next(struct lt_jscan *s, char close)
{
    if (s->bad)
        return NULL;
    const char *p = jscan_ws(s->p, s->end);
    if (p >= s->end) {
        jscan_fail(s);
        return NULL;
    }
    if (*p == close) {
        s->depth--;
        s->first = false;
        s->p = p + 1;
        return NULL;
    }
    if (!s->first) {
        if (*p != ',') {
            jscan_fail(s);
            return NULL;
        }
        p = jscan_ws(p + 1, s->end);
    }
    s->first = false;
    return p;
}

bool lt_jscan_member(struct lt_jscan *s, struct lt_jscan_val *key)
{
    const char *p = jscan_next(s, '}');
    if (!p)
        return false;
    if (p >= s->end || *p != '"')
        return jscan_fail(s);
    key->esc = false;
    const char *q = jscan_string(p + 1, s->end, &key->esc);
    if (!q)
        return jscan_fail(s);
    key->p = p + 1;
    key->n = (size_t)(q - key->p);
    key->kind = LT_JSCAN_STRING;
    p = jscan_ws(q + 1, s->end);
    if (p >= s->end || *p != ':')
        return jscan_fail(s);
    s->p = p + 1;
    return true;
}

bool lt_jscan_element(struct lt_jscan *s)
{
    const char *p = jscan_next(s, ']');
    if (!p)
        return false;
    s->p = p;
    return true;
}

bool lt_jscan_skip(struct lt_jscan *s, const struct lt_jscan_val *v)
{
    struct lt_jscan_val k, x;
    if (v->kind == LT_JSCAN_OBJECT) {
        while (lt_jscan_member(s, &k)) {
            lt_jscan_value(s, &x);
            lt_jscan_skip(s, &x);
        }
    } else if (v->kind == LT_JSCAN_ARRAY) {
        while (lt_jscan_element(s)) {
            lt_jscan_value(s, &x);
            lt_jscan_skip(s, &x);
        }
    }
    return !s->bad;
}

bool lt_jscan_end(const struct lt_jscan *s)
{
    return !s->bad && s->depth == 0 && jscan_ws(s->p, s->end) == s->end;
}

bool lt_jscan_int(const struct lt_jscan_val *v, long long *out)
{
    if (v->kind != LT_JSCAN_NUMBER || v->n == 0)
        return false;
    const char *p = v->p, *end = v->p + v->n;
    bool neg = *p == '-';
    if (neg)
        p++;
    if (end - p < 1 || end - p > 15)
        return false;
    long long n = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return false;
        n = n * 10 + (*p - '0');
    }
    *out = neg ? -n : n;
    return true;
}

enum lt_rc lt_jscan_str(const struct lt_jscan_val *v, struct lt_buf *b)
{
    const char *p = v->p, *end = v->p + v->n;
    enum lt_rc rc = LT_OK;
    while (p < end) {
        const char *run = p;
        while (p < end && *p != '\\')
            p++;
        if (p > run && lt_buf_add(b, run, (size_t)(p - run)) != LT_OK)
            rc = LT_ERR_NOMEM;
        if (p >= end)
            break;
        if (end - p < 2)
            return LT_ERR_INVALID; /* not from an accepting scan */
        char c;
        switch (p[1]) {
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u': {
            unsigned long cp = 0;
            size_t k = jscan_unicode(p, end, &cp);
            if (!k)
                return LT_ERR_INVALID; /* not from an accepting scan */
            char u[4];
            size_t n;
            if (cp < 0x80) {
                u[0] = (char)cp;
                n = 1;
            } else if (cp < 0x800) {
                u[0] = (char)(0xC0 | cp >> 6);
                u[1] = (char)(0x80 | (cp & 0x3F));
                n = 2;
            } else if (cp < 0x10000) {
                u[0] = (char)(0xE0 | cp >> 12);
                u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
                u[2] = (char)(0x80 | (cp & 0x3F));
                n = 3;
            } else {
                u[0] = (char)(0xF0 | cp >> 18);
                u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
                u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
                u[3] = (char)(0x80 | (cp & 0x3F));
                n = 4;
            }
            if (lt_buf_add(b, u, n) != LT_OK)
                rc = LT_ERR_NOMEM;
            p += k;
            continue;
        }
        default: c = p[1]; break; /* " \ / */
        }
        if (lt_buf_addc(b, c) != LT_OK)
            rc = LT_ERR_NOMEM;
        p += 2;
    }
    return rc;
}
