/* event.c — struct lt_generation + struct lt_call → OTLP/JSON span text.
 *
 * Owns the OTLP JSON shape and every attribute name llmtap exports (Langfuse
 * v4 and OTel GenAI). Writes straight into the caller's lt_buf: no JSON trees,
 * no newline (a JSONL line is one body). Never does I/O, never reads the
 * environment, never exports a URL's query (it can hold keys) or a command
 * line. Exported text passes a scrubber: inline base64 media become a short
 * placeholder and credential-shaped tokens a marker, and over-long fields are
 * cut (still valid JSON) with a visible marker. No global state; background
 * thread (and tests) only.
 */
#include "event.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../providers/pricing.h"
#include "mem.h"

#ifndef LLMTAP_VERSION
#define LLMTAP_VERSION "0"
#endif

/* A JSON string this long made only of base64 (upper, lower and digits all
 * present) is media or an encoded vector, not text: 256 characters are 192
 * bytes, more than any identifier or key a message carries. */
#define EV_B64_MIN 256
/* data: URLs with a payload shorter than this stay: the placeholder would be
 * longer than what it replaces. */
#define EV_DATA_MIN 64
/* Deeper JSON is cut as plain text (marker first) instead of being closed. */
#define EV_DEPTH_MAX 128
/* Status messages: the provider's error text plus ours; more is noise. */
#define EV_STATUS_CAP 4096
#define EV_KEY_MAX 256
#define EV_ENDPOINT_MAX 512
#define EV_FIELD_DEFAULT ((size_t)1 << 20)
#define EV_REDACTED "[llmtap: redacted]"

/* ------------------------------------------------------------ writer */

/* Appends with a sticky result: after the first failure nothing is added
 * and the caller restores the buffer once, at the end. */
struct ev_w {
    struct lt_buf *b;
    enum lt_rc rc;
    bool first; /* next array element needs no separator */
};

struct ev_mark {
    size_t len, dropped;
    bool truncated, oom;
};

static struct ev_mark ev_mark_of(const struct lt_buf *b)
{
    struct ev_mark m = { b->len, b->dropped, b->truncated, b->oom };
    return m;
}

/* Back to exactly the state before the span: the caller can flush what it
 * has and retry this span in a fresh body. */
static enum lt_rc ev_finish(struct ev_w *w, struct ev_mark m)
{
    if (w->rc == LT_OK)
        return LT_OK;
    w->b->len = m.len;
    w->b->dropped = m.dropped;
    w->b->truncated = m.truncated;
    w->b->oom = m.oom;
    if (w->b->data)
        w->b->data[m.len] = '\0';
    return w->rc;
}

static void ev_add(struct ev_w *w, const char *s, size_t n)
{
    if (w->rc == LT_OK)
        w->rc = lt_buf_add(w->b, s, n);
}

static void ev_s(struct ev_w *w, const char *s)
{
    ev_add(w, s, strlen(s));
}

/* A string literal: its length is known at compile time. */
#define EV_LIT(w, lit) ev_add((w), "" lit, sizeof(lit) - 1)

static void ev_q(struct ev_w *w, const char *s, size_t n)
{
    if (w->rc == LT_OK)
        w->rc = lt_buf_json_str(w->b, s, n);
}

static void ev_qz(struct ev_w *w, const char *s)
{
    ev_q(w, s, strlen(s));
}

static void ev_i64(struct ev_w *w, int64_t v)
{
    char t[24];
    size_t i = sizeof t;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        t[--i] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        t[--i] = '-';
    ev_add(w, t + i, sizeof t - i);
}

/* Opens {"key":"<prefix><key>" (the caller adds ,"value":...) — key may be
 * NULL. */
static void ev_key(struct ev_w *w, const char *prefix, const char *key)
{
    if (w->first)
        EV_LIT(w, "{\"key\":");
    else
        EV_LIT(w, ",{\"key\":");
    w->first = false;
    if (!key) {
        ev_qz(w, prefix);
    } else {
        char k[EV_KEY_MAX + 64];
        size_t pl = strlen(prefix), kl = strlen(key);
        if (pl > 64)
            pl = 64;
        if (kl > EV_KEY_MAX)
            kl = EV_KEY_MAX;
        memcpy(k, prefix, pl);
        memcpy(k + pl, key, kl);
        ev_q(w, k, pl + kl);
    }
}

static void ev_attr_str(struct ev_w *w, const char *prefix, const char *key, const char *v, size_t n)
{
    ev_key(w, prefix, key);
    EV_LIT(w, ",\"value\":{\"stringValue\":");
    ev_q(w, v, n);
    EV_LIT(w, "}}");
}

static void ev_attr_strz(struct ev_w *w, const char *prefix, const char *key, const char *v)
{
    if (v && *v)
        ev_attr_str(w, prefix, key, v, strlen(v));
}

static void ev_attr_int(struct ev_w *w, const char *prefix, const char *key, int64_t v)
{
    ev_key(w, prefix, key);
    EV_LIT(w, ",\"value\":{\"intValue\":\"");
    ev_i64(w, v);
    EV_LIT(w, "\"}}");
}

static void ev_attr_bool(struct ev_w *w, const char *prefix, const char *key, bool v)
{
    ev_key(w, prefix, key);
    if (v)
        EV_LIT(w, ",\"value\":{\"boolValue\":true}}");
    else
        EV_LIT(w, ",\"value\":{\"boolValue\":false}}");
}

/* ------------------------------------------------------------ scrubber */

struct ev_scrub_stats {
    unsigned media;   /* base64 payloads replaced by a placeholder */
    unsigned secrets; /* credential-shaped tokens redacted */
};

static bool ev_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int ev_hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Scans a base64 run from i. In JSON text it also takes "\/" (PHP escapes
 * '/') and, with `lines`, "\n"/"\r" (MIME line breaks); in plain text, with
 * `lines`, raw line breaks. *alpha counts alphabet characters, *classes gets
 * 1 upper, 2 lower, 4 digit. Returns the end. */
static size_t ev_b64_run(const char *s, size_t i, size_t n, bool json, bool lines, size_t *alpha,
                         unsigned *classes)
{
    size_t a = 0;
    unsigned cl = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            cl |= 1;
        else if (c >= 'a' && c <= 'z')
            cl |= 2;
        else if (c >= '0' && c <= '9')
            cl |= 4;
        else if (c == '+' || c == '/' || c == '-' || c == '_')
            ;
        else if (c == '=') {
            i++;
            continue;
        } else if (json && c == '\\' && i + 1 < n && s[i + 1] == '/') {
            a++;
            i += 2;
            continue;
        } else if (json && lines && c == '\\' && i + 1 < n && (s[i + 1] == 'n' || s[i + 1] == 'r')) {
            i += 2;
            continue;
        } else if (!json && lines && (c == '\n' || c == '\r')) {
            i++;
            continue;
        } else {
            break;
        }
        a++;
        i++;
    }
    *alpha = a;
    *classes = cl;
    return i;
}

/* What the first bytes of a base64 payload say it is. */
static const char *ev_sniff(const char *s, size_t i, size_t n)
{
    static const struct { char b64[12], mime[16]; } magic[] = { /* arrays: no relocations */
        { "iVBORw0KGgo", "image/png" }, { "/9j/", "image/jpeg" }, { "R0lGOD", "image/gif" },
        { "SUQz", "audio/mpeg" }, { "//u", "audio/mpeg" }, { "//M", "audio/mpeg" },
        { "T2dnUw", "audio/ogg" }, { "ZkxhQw", "audio/flac" }, { "JVBERi0", "application/pdf" },
        { "GkXfo", "video/webm" },
    };
    char head[17];
    size_t h = 0;
    for (; i < n && h < 16; i++) {
        if (s[i] == '\\')
            continue; /* "\/" in JSON is '/' */
        head[h++] = s[i];
    }
    head[h] = '\0';
    for (size_t k = 0; k < sizeof magic / sizeof magic[0]; k++)
        if (!strncmp(head, magic[k].b64, strlen(magic[k].b64)))
            return magic[k].mime;
    /* RIFF: bytes 9..11 (characters 12..15) say WEBP or WAVE */
    if (h == 16 && !strncmp(head, "UklGR", 5))
        return !strncmp(head + 12, "RUJQ", 4) ? "image/webp" : !strncmp(head + 12, "QVZF", 4) ? "audio/wav" : "data";
    return "data";
}

/* data:<mime>[;param=value...];base64,<payload> at i. */
static bool ev_data_url(const char *s, size_t i, size_t n, bool json, size_t *end, char mime[64], size_t *bytes)
{
    if (n - i < 5 || memcmp(s + i, "data:", 5) != 0)
        return false;
    size_t j = i + 5, m = 0;
    while (j < n && m < 63) {
        unsigned char c = (unsigned char)s[j];
        if (json && c == '\\' && j + 1 < n && s[j + 1] == '/') {
            mime[m++] = '/';
            j += 2;
        } else if (ev_alnum(c) || c == '.' || c == '+' || c == '-' || c == '_' || c == '/') {
            mime[m++] = (char)c;
            j++;
        } else {
            break;
        }
    }
    mime[m] = '\0';
    for (int params = 0; j < n && s[j] == ';' && params < 8; params++) {
        static const char b64[] = ";base64,";
        size_t k = 0;
        while (k < 8 && j + k < n && (s[j + k] | (k > 0 && k < 7 ? 0x20 : 0)) == b64[k])
            k++;
        if (k == 8) {
            size_t alpha;
            unsigned cl;
            size_t e = ev_b64_run(s, j + 8, n, json, false, &alpha, &cl);
            if (alpha < EV_DATA_MIN)
                return false;
            *end = e;
            *bytes = alpha * 3 / 4;
            return true;
        }
        j++;
        for (size_t l = 0; j < n && l < 128; j++, l++) {
            unsigned char c = (unsigned char)s[j];
            if (c == ';' || c == ',' || c == '"' || c == '\\' || c <= ' ')
                break;
        }
    }
    return false;
}

enum ev_cls { EV_C_KEY, EV_C_WORD, EV_C_ALNUM, EV_C_UPNUM, EV_C_LF, EV_C_BEARER, EV_C_B64 };

static bool ev_in(unsigned char c, enum ev_cls cls)
{
    switch (cls) {
    case EV_C_KEY: return ev_alnum(c) || c == '_' || c == '-';
    case EV_C_WORD: return ev_alnum(c) || c == '_';
    case EV_C_ALNUM: return ev_alnum(c);
    case EV_C_UPNUM: return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    case EV_C_LF: return ev_alnum(c) || c == '-';
    case EV_C_BEARER: return ev_alnum(c) || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' ||
                             c == '=' || c == '-';
    case EV_C_B64: return ev_alnum(c) || c == '+' || c == '/';
    }
    return false;
}

/* Is i the start of a token, i.e. not preceded by a `cls` character (the
 * credential patterns' look-behinds)? In JSON text the previous character
 * may be the tail of an escape ("\n", "\u00e9"), which is a boundary once
 * Langfuse decodes the JSON. */
static bool ev_boundary(const char *s, size_t i, bool json, enum ev_cls cls)
{
    if (i == 0)
        return true;
    unsigned char p = (unsigned char)s[i - 1];
    if (!ev_in(p, cls))
        return true;
    if (!json)
        return false;
    size_t bs = 0;
    for (size_t k = i - 1; k > 0 && s[k - 1] == '\\'; k--)
        bs++;
    if (bs % 2 == 1)
        return true;
    return i >= 6 && s[i - 6] == '\\' && s[i - 5] == 'u' && ev_hexval((unsigned char)s[i - 4]) >= 0 &&
           ev_hexval((unsigned char)s[i - 3]) >= 0 && ev_hexval((unsigned char)s[i - 2]) >= 0 &&
           ev_hexval(p) >= 0;
}

static size_t ev_count(const char *s, size_t i, size_t n, enum ev_cls cls)
{
    size_t j = i;
    while (j < n && ev_in((unsigned char)s[j], cls))
        j++;
    return j - i;
}

static bool ev_iprefix(const char *s, size_t i, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    if (n - i < l)
        return false;
    for (size_t k = 0; k < l; k++)
        if ((s[i + k] | 0x20) != lit[k])
            return false;
    return true;
}

/* Blanks between "Bearer"/"Basic" and the credential: raw, or JSON escapes. */
static size_t ev_blanks(const char *s, size_t i, size_t n, bool json)
{
    size_t j = i;
    for (;;) {
        if (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r' || s[j] == '\f' || s[j] == '\v'))
            j++;
        else if (json && j + 1 < n && s[j] == '\\' && (s[j + 1] == 't' || s[j + 1] == 'n' || s[j + 1] == 'r'))
            j += 2;
        else
            return j - i;
    }
}

/* "user:pass" printable once decoded: what an HTTP Basic credential is. */
static bool ev_basic_cred(const char *s, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t acc = 0;
    int bits = 0;
    bool colon = false;
    for (size_t i = 0; i < n && i < 256; i++) {
        const char *p = strchr(tab, s[i]);
        if (!p || !s[i])
            return false;
        acc = acc << 6 | (uint32_t)(p - tab);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            unsigned char c = (unsigned char)(acc >> bits);
            if (c < 0x20 || c > 0x7e)
                return false;
            colon = colon || c == ':';
        }
    }
    return colon;
}

/* A credential starting at i: [*ts, *te) is what to redact. The shapes and
 * look-behinds are those validate-otlp (and secret scanners) look for. */
static bool ev_secret_at(const char *s, size_t i, size_t n, bool json, size_t *ts, size_t *te)
{
    unsigned char c = (unsigned char)s[i];
    size_t left = n - i, head = 0, k = 0;
    if (c == 'b' || c == 'B') {
        bool bearer = ev_iprefix(s, i, n, "bearer");
        if (!(bearer || ev_iprefix(s, i, n, "basic")) || !ev_boundary(s, i, json, EV_C_ALNUM))
            return false;
        size_t j = i + (bearer ? 6 : 5);
        size_t b = ev_blanks(s, j, n, json);
        if (b == 0)
            return false;
        j += b;
        k = ev_count(s, j, n, bearer ? EV_C_BEARER : EV_C_B64);
        if (k < 12 || (!bearer && !ev_basic_cred(s + j, k)))
            return false;
        *ts = i; /* the scheme word too: "Bearer" alone says a token was here */
        *te = j + k;
        while (!bearer && *te < n && s[*te] == '=' && *te - j < k + 2)
            (*te)++;
        return true;
    }
    if (left >= 6 && (!memcmp(s + i, "sk-lf-", 6) || !memcmp(s + i, "pk-lf-", 6)) &&
        ev_boundary(s, i, json, EV_C_KEY) && (k = ev_count(s, i + 6, n, EV_C_LF)) >= 8)
        head = 6;
    else if (left >= 3 && !memcmp(s + i, "sk-", 3) && ev_boundary(s, i, json, EV_C_KEY) &&
             (k = ev_count(s, i + 3, n, EV_C_KEY)) >= 20)
        head = 3;
    else if (left >= 4 && !memcmp(s + i, "AIza", 4) && ev_boundary(s, i, json, EV_C_KEY) &&
             (k = ev_count(s, i + 4, n, EV_C_KEY)) >= 30)
        head = 4;
    else if (left >= 4 && !memcmp(s + i, "gsk_", 4) && ev_boundary(s, i, json, EV_C_WORD) &&
             (k = ev_count(s, i + 4, n, EV_C_ALNUM)) >= 20)
        head = 4;
    else if (left >= 4 && !memcmp(s + i, "xai-", 4) && ev_boundary(s, i, json, EV_C_KEY) &&
             (k = ev_count(s, i + 4, n, EV_C_ALNUM)) >= 20)
        head = 4;
    else if (left >= 3 && !memcmp(s + i, "hf_", 3) && ev_boundary(s, i, json, EV_C_WORD) &&
             (k = ev_count(s, i + 3, n, EV_C_ALNUM)) >= 30)
        head = 3;
    else if (left >= 20 && (!memcmp(s + i, "AKIA", 4) || !memcmp(s + i, "ASIA", 4)) &&
             ev_boundary(s, i, json, EV_C_UPNUM) && ev_count(s, i + 4, n, EV_C_UPNUM) == 16)
        head = 4, k = 16;
    if (!head)
        return false;
    *ts = i;
    *te = i + head + k;
    return true;
}

/* Bytes that can start something to replace (1), and the bytes that end or
 * escape a JSON string (2): what the scan loop stops at. */
static const unsigned char ev_start[256] = {
    ['d'] = 1, ['s'] = 1, ['p'] = 1, ['A'] = 1, ['g'] = 1, ['x'] = 1, ['h'] = 1, ['b'] = 1, ['B'] = 1,
    ['"'] = 2, ['\\'] = 2,
};

/* The shortest text anything is replaced in: "sk-lf-" and 8 characters;
 * every other shape (and a data: URL or base64 payload) is longer. */
#define EV_SCRUB_MIN 14

/* Can a data: URL or a credential start at i? The second byte of every
 * shape ev_data_url and ev_secret_at know, so that a letter of prose costs
 * a compare, not a call. */
static bool ev_may_start(const char *s, size_t i, size_t n)
{
    if (i + 1 >= n)
        return false;
    unsigned char c2 = (unsigned char)s[i + 1];
    switch (s[i]) {
    case 'd': return c2 == 'a';                           /* data: */
    case 's': case 'p': return c2 == 'k';                 /* sk-, sk-lf-, pk-lf- */
    case 'A': return c2 == 'I' || c2 == 'K' || c2 == 'S'; /* AIza, AKIA, ASIA */
    case 'g': return c2 == 's';                           /* gsk_ */
    case 'x': return c2 == 'a';                           /* xai- */
    case 'h': return c2 == 'f';                           /* hf_ */
    case 'b': case 'B': return (c2 | 0x20) == 'e' || (c2 | 0x20) == 'a'; /* bearer, basic */
    default: return false;
    }
}

/* Replaces [from, to) of s with `with` in out (out NULL: only report). */
#define EV_REPLACE(from, to, with)                                  \
    do {                                                            \
        if (!out)                                                   \
            return true;                                            \
        hit = true;                                                 \
        lt_buf_add(out, s + done, (from) - done);                   \
        lt_buf_adds(out, (with));                                   \
        done = (to);                                                \
    } while (0)

/* One pass over s: with out == NULL, true at the first thing to replace;
 * else writes the scrubbed text to out and returns whether anything
 * changed. `json`: s is JSON text, only string contents are looked at. */
static bool ev_scrub(const char *s, size_t n, bool json, struct lt_buf *out, struct ev_scrub_stats *st)
{
    size_t i = 0, done = 0;
    bool in_str = !json, hit = false;
    char ph[128], mime[64];
    size_t alpha, bytes, e, ts, te;
    unsigned cl;

    if (n < EV_SCRUB_MIN)
        return false;
    /* alpha <= n: a shorter text cannot be a base64 payload */
    if (!json && n >= EV_B64_MIN && ev_b64_run(s, 0, n, false, true, &alpha, &cl) == n && alpha >= EV_B64_MIN &&
        cl == 7) {
        snprintf(ph, sizeof ph, "[llmtap: base64 %s, %zu bytes]", ev_sniff(s, 0, n), alpha * 3 / 4);
        st->media++;
        EV_REPLACE(0, n, ph);
        i = n;
    }
    while (i < n) {
        if (json && !in_str) {
            const char *q = memchr(s + i, '"', n - i);
            i = q ? (size_t)(q - s) : n;
            if (i >= n)
                break;
        } else {
            while (i < n && !ev_start[(unsigned char)s[i]])
                i++; /* the bulk of any text: nothing to look at */
            if (i >= n)
                break;
        }
        unsigned char c = (unsigned char)s[i];
        if (json) {
            if (!in_str) {
                i++;
                if (c != '"')
                    continue;
                in_str = true;
                e = ev_b64_run(s, i, n, true, true, &alpha, &cl);
                if (e < n && s[e] == '"' && alpha >= EV_B64_MIN && cl == 7) {
                    snprintf(ph, sizeof ph, "[llmtap: base64 %s, %zu bytes]", ev_sniff(s, i, n), alpha * 3 / 4);
                    st->media++;
                    EV_REPLACE(i, e, ph);
                    i = e;
                }
                continue;
            }
            if (c == '\\') {
                i += 2;
                continue;
            }
            if (c == '"') {
                in_str = false;
                i++;
                continue;
            }
        }
        if (ev_start[c] == 1 && ev_may_start(s, i, n)) {
            if (c == 'd' && ev_data_url(s, i, n, json, &e, mime, &bytes)) {
                snprintf(ph, sizeof ph, "[llmtap: base64 %s, %zu bytes]", mime[0] ? mime : "data", bytes);
                st->media++;
                EV_REPLACE(i, e, ph);
                i = e;
                continue;
            }
            if (ev_secret_at(s, i, n, json, &ts, &te)) {
                st->secrets++;
                EV_REPLACE(ts, te, EV_REDACTED);
                i = te;
                continue;
            }
        }
        i++;
    }
    if (out && hit && done < n)
        lt_buf_add(out, s + done, n - done);
    return hit;
}

/* ------------------------------------------------------------ cutting */

static size_t ev_utf8_floor(const char *s, size_t cut, size_t lo)
{
    while (cut > lo && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    return cut;
}

/* Cuts JSON text to about `room` bytes and closes what is open, so the field
 * still parses: inside a string value the marker ends the string; elsewhere
 * it becomes one more element ("llmtap_truncated" in an object). false when
 * the text is not a JSON object/array/string or is nested too deeply. */
static bool ev_cut_json(const char *s, size_t n, size_t room, const char *marker, struct lt_buf *out)
{
    char stack[EV_DEPTH_MAX];
    int depth = 0, safe_depth = 0;
    bool in_str = false, is_key = false, expect_key = false, safe_comma = false, started = false;
    size_t i = 0, str_start = 0, safe_pos = 0;

    while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
        i++;
    if (i >= n || (s[i] != '{' && s[i] != '[' && s[i] != '"'))
        return false;
    if (room > n)
        room = n;
    while (i < room) {
        unsigned char c = (unsigned char)s[i];
        if (in_str) {
            if (c == '\\') {
                size_t el = i + 1 < n && s[i + 1] == 'u' ? 6 : 2;
                if (i + el > room)
                    break;
                i += el;
            } else if (c == '"') {
                in_str = false;
                i++;
                if (!is_key) {
                    safe_pos = i;
                    safe_comma = true;
                    safe_depth = depth;
                    if (depth == 0)
                        break; /* a whole top-level string */
                }
            } else {
                i++;
            }
            continue;
        }
        switch (c) {
        case '{':
        case '[':
            if (depth == EV_DEPTH_MAX)
                return false;
            stack[depth++] = (char)c;
            started = true;
            expect_key = c == '{';
            i++;
            safe_pos = i;
            safe_comma = false;
            safe_depth = depth;
            continue;
        case '}':
        case ']':
            if (depth == 0)
                return false;
            depth--;
            i++;
            safe_pos = i;
            safe_comma = true;
            safe_depth = depth;
            if (depth == 0)
                i = room; /* complete: whatever follows is not JSON */
            continue;
        case '"':
            in_str = true;
            started = true;
            is_key = depth > 0 && stack[depth - 1] == '{' && expect_key;
            expect_key = false;
            str_start = i + 1;
            i++;
            continue;
        case ',':
            safe_pos = i;
            safe_comma = true;
            safe_depth = depth;
            expect_key = depth > 0 && stack[depth - 1] == '{';
            i++;
            continue;
        default:
            i++;
            continue;
        }
    }
    if (!started)
        return false;
    if (in_str && !is_key) {
        size_t cut = ev_utf8_floor(s, i < room ? i : room, str_start);
        lt_buf_add(out, s, cut);
        lt_buf_adds(out, marker);
        lt_buf_addc(out, '"');
        safe_depth = depth;
    } else {
        lt_buf_add(out, s, safe_pos);
        if (safe_depth > 0) {
            if (safe_comma)
                lt_buf_addc(out, ',');
            if (stack[safe_depth - 1] == '{')
                lt_buf_adds(out, "\"llmtap_truncated\":");
            lt_buf_addc(out, '"');
            lt_buf_adds(out, marker);
            lt_buf_addc(out, '"');
        }
    }
    for (int d = safe_depth - 1; d >= 0; d--)
        lt_buf_addc(out, stack[d] == '{' ? '}' : ']');
    return true;
}

/* Cuts s (n > max) to about max bytes with a visible marker naming n. */
static void ev_cut(const char *s, size_t n, size_t max, bool json, struct lt_buf *out)
{
    char marker[80];
    snprintf(marker, sizeof marker, "\xE2\x80\xA6[llmtap: truncated, %zu bytes]", n);
    size_t reserve = sizeof marker + EV_DEPTH_MAX + 32;
    size_t room = max > 2 * reserve ? max - reserve : max / 2;
    if (json && ev_cut_json(s, n, room, marker, out))
        return;
    lt_buf_reset(out);
    size_t cut = ev_utf8_floor(s, room, 0);
    if (json) {
        /* a cut JSON text must not look like JSON (Langfuse would try to
         * parse it): the marker, which starts with an ellipsis, goes first */
        lt_buf_adds(out, marker);
        lt_buf_addc(out, ' ');
        lt_buf_add(out, s, cut);
    } else {
        lt_buf_add(out, s, cut);
        lt_buf_adds(out, marker);
    }
}

/* ------------------------------------------------------------ fields */

static bool ev_looks_json(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
        i++;
    return i < n && (s[i] == '{' || s[i] == '[' || s[i] == '"');
}

/* Exports one text field: scrubbed, cut to cfg->max_field_bytes, plus
 * metadata <meta>_original_bytes / _media_replaced / _secrets_redacted. */
static void ev_field(struct ev_w *w, const struct lt_config *cfg, const char *key, const char *meta,
                     const char *s, size_t n)
{
    struct lt_buf clean, cut, quoted;
    struct ev_scrub_stats st = { 0, 0 };
    const char *t = s;
    size_t tn = n, max = cfg && cfg->max_field_bytes ? cfg->max_field_bytes : EV_FIELD_DEFAULT;
    bool json = ev_looks_json(s, n), was_cut = false;
    size_t before_cut;
    char mk[96];

    if (w->rc != LT_OK)
        return;
    lt_buf_init(&clean, n * 2 + 4096);
    lt_buf_init(&cut, max + 4096);
    lt_buf_init(&quoted, 0);
    if (ev_scrub(s, n, json, NULL, &st)) {
        st.media = st.secrets = 0;
        ev_scrub(s, n, json, &clean, &st);
        if (clean.truncated) {
            w->rc = LT_ERR_NOMEM;
            goto done;
        }
        t = clean.data ? clean.data : "";
        tn = clean.len;
    }
    before_cut = tn;
    if (tn > max) {
        ev_cut(t, tn, max, json, &cut);
        if (cut.truncated) {
            w->rc = LT_ERR_NOMEM;
            goto done;
        }
        was_cut = true;
        t = cut.data;
        tn = cut.len;
    }
    if (!json && ev_looks_json(t, tn)) {
        /* plain text that now starts with a placeholder ("[llmtap: ...")
         * would look like broken JSON: send it as a JSON string instead */
        lt_buf_json_str(&quoted, t, tn);
        if (quoted.truncated) {
            w->rc = LT_ERR_NOMEM;
            goto done;
        }
        t = quoted.data;
        tn = quoted.len;
    }
    ev_attr_str(w, key, NULL, t, tn);
    if (was_cut) {
        snprintf(mk, sizeof mk, "%s_original_bytes", meta);
        ev_attr_int(w, "langfuse.observation.metadata.", mk, (int64_t)before_cut);
    }
    if (st.media) {
        snprintf(mk, sizeof mk, "%s_media_replaced", meta);
        ev_attr_int(w, "langfuse.observation.metadata.", mk, st.media);
    }
    if (st.secrets) {
        snprintf(mk, sizeof mk, "%s_secrets_redacted", meta);
        ev_attr_int(w, "langfuse.observation.metadata.", mk, st.secrets);
    }
done:
    lt_buf_free(&clean);
    lt_buf_free(&cut);
    lt_buf_free(&quoted);
}

/* A short string attribute that passes the credential scrubber (status
 * messages, endpoint path, provider metadata, request id). */
static void ev_attr_safe(struct ev_w *w, const char *prefix, const char *key, const char *s, size_t n)
{
    struct ev_scrub_stats st = { 0, 0 };
    if (!s || w->rc != LT_OK)
        return;
    if (!ev_scrub(s, n, false, NULL, &st)) {
        ev_attr_str(w, prefix, key, s, n);
        return;
    }
    struct lt_buf b;
    lt_buf_init(&b, n * 2 + 256);
    ev_scrub(s, n, false, &b, &st);
    if (b.truncated)
        w->rc = LT_ERR_NOMEM;
    else
        ev_attr_str(w, prefix, key, b.data ? b.data : "", b.len);
    lt_buf_free(&b);
}

/* ------------------------------------------------------------ pieces */

static const char *ev_nz(const char *s)
{
    return s && *s ? s : NULL;
}

static bool ev_usage_get(const struct lt_generation *g, const char *key, long long *v)
{
    for (int i = 0; i < g->n_usage && i < LT_USAGE_MAX; i++) {
        if (!strcmp(g->usage[i].key, key)) {
            *v = g->usage[i].value;
            return true;
        }
    }
    return false;
}

static bool ev_usage_key_ok(const char *k)
{
    if (!*k)
        return false;
    for (; *k; k++)
        if (!(ev_alnum((unsigned char)*k) || *k == '_' || *k == '.' || *k == '-'))
            return false;
    return true;
}

/* usage_details: a JSON string of a flat object of non-negative integers,
 * in the generation's key order; gen_ai.usage.* as inclusive counts. */
static void ev_usage(struct ev_w *w, const struct lt_generation *g)
{
    char buf[LT_USAGE_MAX * (LT_USAGE_KEY_MAX + 32) + 8];
    size_t len = 0;
    int k = 0;
    long long v, in = 0, out = 0;
    bool has_in = false, has_out = false;

    if (!g->has_usage)
        return;
    buf[len++] = '{';
    for (int i = 0; i < g->n_usage && i < LT_USAGE_MAX; i++) {
        const struct lt_usage *u = &g->usage[i];
        if (u->value < 0 || strnlen(u->key, LT_USAGE_KEY_MAX) >= LT_USAGE_KEY_MAX || !ev_usage_key_ok(u->key))
            continue;
        /* "key":value by hand: snprintf costs more than the rest of the
         * span's integers together. The key is checked plain above. */
        size_t kl = strlen(u->key);
        char num[24];
        size_t d = sizeof num;
        unsigned long long uv = (unsigned long long)u->value;
        do
            num[--d] = (char)('0' + uv % 10);
        while ((uv /= 10) != 0);
        if (k)
            buf[len++] = ',';
        buf[len++] = '"';
        memcpy(buf + len, u->key, kl);
        len += kl;
        buf[len++] = '"';
        buf[len++] = ':';
        memcpy(buf + len, num + d, sizeof num - d);
        len += sizeof num - d;
        k++;
    }
    buf[len++] = '}';
    if (k > 0)
        ev_attr_str(w, "langfuse.observation.usage_details", NULL, buf, len);

    /* OTel counts are inclusive: Langfuse's input excludes cache reads,
     * writes and audio, its output excludes reasoning and audio */
    static const char *const ins[] = { "input", "input_cached_tokens", "input_cache_creation", "input_audio_tokens" };
    static const char *const outs[] = { "output", "output_reasoning_tokens", "output_audio_tokens" };
    for (size_t i = 0; i < 4; i++)
        if (ev_usage_get(g, ins[i], &v) && v >= 0)
            in += v, has_in = true;
    for (size_t i = 0; i < 3; i++)
        if (ev_usage_get(g, outs[i], &v) && v >= 0)
            out += v, has_out = true;
    if (has_in)
        ev_attr_int(w, "gen_ai.usage.input_tokens", NULL, in);
    if (has_out)
        ev_attr_int(w, "gen_ai.usage.output_tokens", NULL, out);
}

/* ISO-8601 UTC with microseconds and Z. */
static void ev_iso(char out[64], int64_t ns)
{
    time_t sec = (time_t)(ns / 1000000000);
    long us = (long)(ns % 1000000000 / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, us);
}

/* The URL's path, never its query or fragment (they can hold keys). */
static size_t ev_url_path(const char *url, const char **path)
{
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p) {
        *path = "/";
        return 1;
    }
    p += 3;
    p += strcspn(p, "/?#");
    if (*p != '/') {
        *path = "/";
        return 1;
    }
    size_t l = strcspn(p, "?#");
    *path = p;
    return l > EV_ENDPOINT_MAX ? EV_ENDPOINT_MAX : l;
}

static bool ev_resp_cut(const struct lt_call *c)
{
    return c && (c->resp.truncated || c->resp_total > c->resp.len);
}

static bool ev_req_cut(const struct lt_call *c)
{
    return c && (c->req.truncated || c->req_total > c->req.len);
}

/* Level and message from the provider's verdict and the call's facts: a
 * transfer error or an HTTP error status is an ERROR, a body cut by its
 * capture cap a WARNING; the provider's text is kept alongside. */
static enum lt_level ev_status(const struct lt_call *c, const struct lt_generation *g, struct lt_buf *msg)
{
    enum lt_level level = g->level;
    const char *pm = ev_nz(g->status_message);
    if (c && c->curl_code != 0) {
        level = LT_LEVEL_ERROR;
        if (c->curl_error[0])
            lt_buf_printf(msg, "curl error %d: %.*s", c->curl_code, (int)strnlen(c->curl_error, sizeof c->curl_error),
                          c->curl_error);
        else
            lt_buf_printf(msg, "curl error %d", c->curl_code);
        if (pm) {
            lt_buf_adds(msg, "; ");
            lt_buf_adds(msg, pm);
        }
    } else if (c && c->http_status >= 400) {
        level = LT_LEVEL_ERROR;
        if (pm)
            lt_buf_adds(msg, pm);
        else
            lt_buf_printf(msg, "HTTP %ld", c->http_status);
    } else if (pm) {
        lt_buf_adds(msg, pm);
    }
    if (ev_resp_cut(c)) {
        if (level < LT_LEVEL_WARNING)
            level = LT_LEVEL_WARNING;
        lt_buf_printf(msg, "%s[llmtap: response cut at %zu of %llu bytes (LLMTAP_MAX_RESPONSE_BYTES)]",
                      msg->len ? "; " : "", c->resp.len, (unsigned long long)c->resp_total);
    }
    if (ev_req_cut(c)) {
        if (level < LT_LEVEL_WARNING)
            level = LT_LEVEL_WARNING;
        lt_buf_printf(msg, "%s[llmtap: request cut at %zu of %llu bytes (LLMTAP_MAX_REQUEST_BYTES)]",
                      msg->len ? "; " : "", c->req.len, (unsigned long long)c->req_total);
    }
    if (level == LT_LEVEL_ERROR && msg->len == 0)
        lt_buf_adds(msg, "error");
    if (msg->truncated && msg->data) {
        /* over the cap: end on a whole character, with an ellipsis */
        size_t cut = ev_utf8_floor(msg->data, msg->len > 3 ? msg->len - 3 : 0, 0);
        msg->len = cut;
        msg->truncated = false;
        lt_buf_adds(msg, "\xE2\x80\xA6");
    }
    return level;
}

/* Length of s[0..n) without an incomplete UTF-8 sequence at its end. */
static size_t ev_utf8_whole(const char *s, size_t n)
{
    size_t lead = n, back = 0;
    while (lead > 0 && back < 4 && ((unsigned char)s[lead - 1] & 0xC0) == 0x80)
        lead--, back++;
    if (lead == 0)
        return n;
    unsigned char c = (unsigned char)s[lead - 1];
    size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return want > back + 1 ? lead - 1 : n;
}

/* op + " " + model (the span name), at most 255 bytes, whole characters. */
static size_t ev_span_name(char out[256], const char *op, const char *model)
{
    size_t n = strnlen(op, 256);
    bool cut = n > 255;
    if (cut)
        n = 255;
    memcpy(out, op, n);
    if (model && !cut) {
        size_t ml = strnlen(model, 256);
        if (n + 1 + ml > 255) {
            cut = true;
            ml = n + 1 > 255 ? 0 : 255 - (n + 1);
        }
        if (n < 255)
            out[n++] = ' ';
        memcpy(out + n, model, ml);
        n += ml;
    }
    out[n] = '\0';
    return cut ? ev_utf8_whole(out, n) : n;
}

static void ev_trace_attrs(struct ev_w *w, const struct lt_config *cfg, const char *name)
{
    ev_attr_strz(w, "langfuse.trace.name", NULL, name);
    ev_attr_strz(w, "langfuse.user.id", NULL, cfg->user_id);
    ev_attr_strz(w, "langfuse.session.id", NULL, cfg->session_id);
    if (cfg->n_tags > 0) {
        ev_key(w, "langfuse.trace.tags", NULL);
        EV_LIT(w, ",\"value\":{\"arrayValue\":{\"values\":[");
        for (int i = 0; i < cfg->n_tags; i++) {
            ev_s(w, i ? ",{\"stringValue\":" : "{\"stringValue\":");
            ev_qz(w, cfg->tags[i]);
            ev_s(w, "}");
        }
        ev_s(w, "]}}}");
    }
    for (int i = 0; i < cfg->n_metadata; i++)
        ev_attr_strz(w, "langfuse.trace.metadata.", cfg->metadata[i].key, cfg->metadata[i].value);
    ev_attr_strz(w, "langfuse.environment", NULL, cfg->environment);
    ev_attr_strz(w, "langfuse.release", NULL, cfg->release);
}

static void ev_span_head(struct ev_w *w, const struct lt_process *proc, const char *span_id, const char *parent,
                         const char *name, size_t name_len, int kind, int64_t start, int64_t end)
{
    EV_LIT(w, "{\"traceId\":");
    ev_qz(w, proc->trace_id);
    EV_LIT(w, ",\"spanId\":");
    ev_qz(w, span_id);
    if (parent && *parent) {
        EV_LIT(w, ",\"parentSpanId\":");
        ev_qz(w, parent);
    }
    EV_LIT(w, ",\"name\":");
    ev_q(w, name, name_len);
    if (kind == 3)
        EV_LIT(w, ",\"kind\":3,\"startTimeUnixNano\":\"");
    else
        EV_LIT(w, ",\"kind\":1,\"startTimeUnixNano\":\"");
    ev_i64(w, start);
    EV_LIT(w, "\",\"endTimeUnixNano\":\"");
    ev_i64(w, end);
    EV_LIT(w, "\",\"attributes\":[");
    w->first = true;
}

/* Cost (DESIGN "Cost"), computed by providers/pricing.c the way Langfuse
 * computes it. A cost sent to Langfuse (langfuse.observation.cost_details,
 * gen_ai.usage.cost, llm.cost.total: OtelIngestionProcessor
 * extractCostDetails) replaces the server's own price table and the user's
 * custom prices, so where the span goes decides what carries it:
 *   Langfuse (keys set, or an endpoint under /api/public/otel): nothing,
 *     unless LLMTAP_SEND_COST=true: langfuse.observation.cost_details.
 *   JSONL file and other OTLP backends: llmtap.cost_details (the same JSON
 *     object under a name Langfuse does not read), llmtap.price.model and
 *     .tier (the price row and tier applied), gen_ai.usage.cost (total USD,
 *     the name OpenLIT and others use; the GenAI conventions have none)
 *     unless LLMTAP_SEND_COST=false (for a collector that forwards to
 *     Langfuse), langfuse.observation.cost_details with =true. */
static bool ev_to_langfuse(const struct lt_config *cfg)
{
    return cfg->langfuse_auth ||
           (cfg->dest == LT_DEST_OTLP_HTTP && cfg->endpoint && strstr(cfg->endpoint, "/api/public/otel"));
}

static void ev_cost_details(struct ev_w *w, const struct lt_config *cfg, const struct lt_generation *g,
                            const char *model)
{
    bool langfuse = ev_to_langfuse(cfg);
    struct lt_pricing_cost cost;
    char json[LT_PRICING_ITEMS_MAX * (LT_USAGE_KEY_MAX + LT_PRICING_NUM_MAX + 4) + 4];

    if ((langfuse && !cfg->send_cost) || !g->has_usage || !model)
        return;
    if (!lt_pricing_cost(cfg->prices_path, model, g, &cost))
        return;
    size_t n = lt_pricing_json(&cost, json, sizeof json);
    if (n == 0)
        return;
    if (cfg->send_cost)
        ev_attr_str(w, "langfuse.observation.cost_details", NULL, json, n);
    if (langfuse)
        return;
    ev_attr_str(w, "llmtap.cost_details", NULL, json, n);
    ev_attr_strz(w, "llmtap.price.model", NULL, cost.model);
    ev_attr_strz(w, "llmtap.price.tier", NULL, cost.tier);
    if (!cfg->cost_off) {
        ev_key(w, "gen_ai.usage.cost", NULL);
        EV_LIT(w, ",\"value\":{\"doubleValue\":");
        ev_s(w, cost.total_text);
        EV_LIT(w, "}}");
    }
}

static bool ev_meta_has(const struct lt_generation *g, const char *key)
{
    for (int i = 0; i < g->n_meta && i < LT_GEN_META_MAX; i++)
        if (g->meta[i].key && !strcmp(g->meta[i].key, key))
            return true;
    return false;
}

/* Assembles an output message when the provider gave no output_json but
 * tool calls or reasoning (plain text alone is exported as is). */
static void ev_output_json(const struct lt_generation *g, struct lt_buf *b)
{
    lt_buf_adds(b, "{\"role\":\"assistant\",\"content\":");
    lt_buf_json_strz(b, g->output_text);
    if (g->reasoning_text) {
        lt_buf_adds(b, ",\"reasoning\":");
        lt_buf_json_strz(b, g->reasoning_text);
    }
    if (g->n_tool_calls > 0 && g->tool_calls) {
        lt_buf_adds(b, ",\"tool_calls\":[");
        for (int i = 0; i < g->n_tool_calls; i++) {
            const struct lt_tool_call *t = &g->tool_calls[i];
            lt_buf_adds(b, i ? ",{\"id\":" : "{\"id\":");
            lt_buf_json_strz(b, t->id);
            lt_buf_adds(b, ",\"type\":\"function\",\"function\":{\"name\":");
            lt_buf_json_strz(b, t->name);
            lt_buf_adds(b, ",\"arguments\":");
            lt_buf_json_strz(b, t->arguments ? t->arguments : "");
            lt_buf_adds(b, "}}");
        }
        lt_buf_addc(b, ']');
    }
    lt_buf_addc(b, '}');
}

/* ------------------------------------------------------------ spans */

enum lt_rc lt_event_generation(struct lt_buf *out, const struct lt_config *cfg, const struct lt_process *proc,
                               const struct lt_call *c, const struct lt_generation *g, const char span_id[17])
{
    struct ev_w w = { out, LT_OK, true };
    struct ev_mark mark = ev_mark_of(out);
    struct lt_buf msg, tmp;
    char tname[256], sname[256], iso[64];
    int64_t start = c ? c->start_ns : 0, end = c ? c->end_ns : 0;
    const char *op = ev_nz(g->operation) ? g->operation : "chat";
    const char *provider = ev_nz(g->provider) ? g->provider : c ? ev_nz(c->match.provider) : NULL;
    const char *model = ev_nz(g->model) ? g->model : ev_nz(g->response_model) ? g->response_model
                                                                                : ev_nz(g->request_model);
    const char *md = "langfuse.observation.metadata.";

    lt_buf_init(&msg, EV_STATUS_CAP);
    lt_buf_init(&tmp, 0);
    lt_trace_name(proc, tname);
    if (start <= 0)
        start = end > 0 ? end : lt_now_ns();
    if (end < start)
        end = start;

    size_t sn = ev_span_name(sname, op, ev_nz(g->request_model) ? g->request_model : model);
    ev_span_head(&w, proc, span_id, proc->span_id, sname, sn, 3, start, end);

    ev_attr_strz(&w, "langfuse.observation.type", NULL, ev_nz(g->obs_type) ? g->obs_type : "generation");
    /* a generation without a model is mistyped by Langfuse: say "unknown"
     * rather than lose the observation's kind */
    ev_attr_strz(&w, "langfuse.observation.model.name", NULL, model ? model : "unknown");
    if (ev_nz(g->params_json))
        ev_field(&w, cfg, "langfuse.observation.model.parameters", "parameters", g->params_json,
                 strlen(g->params_json));
    if (ev_nz(g->input_json))
        ev_field(&w, cfg, "langfuse.observation.input", "input", g->input_json, strlen(g->input_json));
    if (ev_nz(g->output_json)) {
        ev_field(&w, cfg, "langfuse.observation.output", "output", g->output_json, strlen(g->output_json));
    } else if ((g->n_tool_calls > 0 && g->tool_calls) || g->reasoning_text) {
        ev_output_json(g, &tmp);
        if (tmp.truncated)
            w.rc = LT_ERR_NOMEM;
        else
            ev_field(&w, cfg, "langfuse.observation.output", "output", tmp.data, tmp.len);
    } else if (ev_nz(g->output_text)) {
        ev_field(&w, cfg, "langfuse.observation.output", "output", g->output_text, strlen(g->output_text));
    }
    ev_usage(&w, g);
    if (g->stream && c && c->first_byte_ns > 0) {
        int64_t t = c->first_byte_ns < start ? start : c->first_byte_ns > end ? end : c->first_byte_ns;
        ev_iso(iso, t);
        ev_attr_strz(&w, "langfuse.observation.completion_start_time", NULL, iso);
    }

    enum lt_level level = ev_status(c, g, &msg);
    if (msg.oom)
        w.rc = LT_ERR_NOMEM;
    if (level != LT_LEVEL_DEFAULT)
        ev_attr_strz(&w, "langfuse.observation.level", NULL, level == LT_LEVEL_ERROR ? "ERROR" : "WARNING");
    if (msg.len)
        ev_attr_safe(&w, "langfuse.observation.status_message", NULL, msg.data, msg.len);

    ev_attr_strz(&w, md, "provider", provider);
    if (c && c->url) {
        const char *path;
        size_t pl = ev_url_path(c->url, &path);
        ev_attr_safe(&w, md, "endpoint", path, pl);
    }
    if (c && c->http_status > 0)
        ev_attr_int(&w, md, "http_status", c->http_status);
    if (c && c->request_id[0])
        ev_attr_safe(&w, md, "request_id", c->request_id, strnlen(c->request_id, sizeof c->request_id));
    ev_attr_bool(&w, md, "stream", g->stream);
    for (int i = 0; i < g->n_meta && i < LT_GEN_META_MAX; i++)
        if (g->meta[i].key && g->meta[i].value)
            ev_attr_safe(&w, md, g->meta[i].key, g->meta[i].value, strlen(g->meta[i].value));
    if (ev_nz(g->response_id) && !ev_meta_has(g, "response_id"))
        ev_attr_safe(&w, md, "response_id", g->response_id, strlen(g->response_id));
    if (ev_nz(g->finish_reason) && !ev_meta_has(g, "finish_reason"))
        ev_attr_safe(&w, md, "finish_reason", g->finish_reason, strlen(g->finish_reason));
    if (ev_req_cut(c)) {
        ev_attr_bool(&w, md, "request_truncated", true);
        ev_attr_int(&w, md, "request_bytes", (int64_t)c->req_total);
        ev_attr_int(&w, md, "request_captured_bytes", (int64_t)c->req.len);
    }
    if (ev_resp_cut(c)) {
        ev_attr_bool(&w, md, "response_truncated", true);
        ev_attr_int(&w, md, "response_bytes", (int64_t)c->resp_total);
        ev_attr_int(&w, md, "response_captured_bytes", (int64_t)c->resp.len);
    }
    if (c && c->curl_code != 0) {
        ev_attr_int(&w, md, "curl_code", c->curl_code);
        if (c->curl_error[0])
            ev_attr_safe(&w, md, "curl_error", c->curl_error, strnlen(c->curl_error, sizeof c->curl_error));
    }
    if (c && c->content_encoding[0])
        ev_attr_safe(&w, md, "content_encoding", c->content_encoding,
                     strnlen(c->content_encoding, sizeof c->content_encoding));
    if (c && c->no_result)
        ev_attr_bool(&w, md, "transfer_result_unknown", true);

    ev_attr_strz(&w, "gen_ai.operation.name", NULL, op);
    ev_attr_strz(&w, "gen_ai.provider.name", NULL, provider);
    ev_attr_strz(&w, "gen_ai.request.model", NULL, g->request_model);
    ev_attr_strz(&w, "gen_ai.response.model", NULL, g->response_model);
    if (c && c->curl_code == 0 && c->http_status >= 400) {
        char et[24];
        snprintf(et, sizeof et, "%ld", c->http_status);
        ev_attr_strz(&w, "error.type", NULL, et);
    }
    ev_cost_details(&w, cfg, g, model);
    ev_trace_attrs(&w, cfg, tname);
    ev_s(&w, "]");

    if (level == LT_LEVEL_ERROR) {
        ev_s(&w, ",\"status\":{\"code\":2,\"message\":");
        /* the same scrubbed text as the attribute */
        struct ev_scrub_stats st = { 0, 0 };
        struct lt_buf clean;
        lt_buf_init(&clean, msg.len * 2 + 256);
        if (ev_scrub(msg.data ? msg.data : "", msg.len, false, &clean, &st))
            ev_q(&w, clean.data, clean.len);
        else
            ev_q(&w, msg.data ? msg.data : "", msg.len);
        if (clean.truncated)
            w.rc = LT_ERR_NOMEM;
        lt_buf_free(&clean);
        ev_s(&w, "}}");
    } else {
        ev_s(&w, ",\"status\":{\"code\":0}}");
    }
    lt_buf_free(&msg);
    lt_buf_free(&tmp);
    return ev_finish(&w, mark);
}

enum lt_rc lt_event_process_span(struct lt_buf *out, const struct lt_config *cfg, const struct lt_process *proc,
                                 int64_t end_ns, int n_generations)
{
    struct ev_w w = { out, LT_OK, true };
    struct ev_mark mark = ev_mark_of(out);
    const char *md = "langfuse.observation.metadata.";
    char name[256];
    int64_t start = proc->start_ns > 0 ? proc->start_ns : end_ns;
    int64_t end = end_ns < start ? start : end_ns;

    lt_trace_name(proc, name);
    const char *sname = name[0] ? name : proc->exe[0] ? proc->exe : "process";
    ev_span_head(&w, proc, proc->span_id, proc->parent_span_id, sname, strlen(sname), 1, start, end);
    ev_attr_strz(&w, "langfuse.observation.type", NULL, "span");
    ev_attr_int(&w, md, "pid", proc->pid);
    ev_attr_strz(&w, md, "exe", proc->exe);
    ev_attr_strz(&w, md, "script", proc->script);
    ev_attr_strz(&w, md, "host", proc->host);
    ev_attr_int(&w, md, "generations", n_generations);
    ev_trace_attrs(&w, cfg, name);
    ev_s(&w, "],\"status\":{\"code\":0}}");
    return ev_finish(&w, mark);
}

static const char *ev_kv_get(const struct lt_config_kv *kv, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (kv[i].key && !strcmp(kv[i].key, key))
            return kv[i].value;
    return NULL;
}

enum lt_rc lt_event_body_head(struct lt_buf *out, const struct lt_config *cfg, const struct lt_process *proc)
{
    static const char *const fixed[] = {
        "service.name", "process.pid", "process.executable.name", "host.name",
        "telemetry.sdk.name", "telemetry.sdk.language", "telemetry.sdk.version",
    };
    struct ev_w w = { out, LT_OK, true };
    struct ev_mark mark = ev_mark_of(out);
    char name[256];
    const char *svc = ev_nz(cfg->service_name);

    lt_trace_name(proc, name);
    if (!svc)
        svc = ev_nz(ev_kv_get(cfg->resource_attrs, cfg->n_resource_attrs, "service.name"));
    if (!svc)
        svc = name[0] ? name : proc->exe[0] ? proc->exe : "unknown_service";
    ev_s(&w, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[");
    ev_attr_strz(&w, "service.name", NULL, svc);
    ev_attr_int(&w, "process.pid", NULL, proc->pid);
    ev_attr_strz(&w, "process.executable.name", NULL, proc->exe);
    ev_attr_strz(&w, "host.name", NULL, proc->host);
    ev_attr_strz(&w, "telemetry.sdk.name", NULL, "llmtap");
    ev_attr_strz(&w, "telemetry.sdk.language", NULL, "c");
    ev_attr_strz(&w, "telemetry.sdk.version", NULL, LLMTAP_VERSION);
    for (int i = 0; i < cfg->n_resource_attrs; i++) {
        const struct lt_config_kv *kv = &cfg->resource_attrs[i];
        bool ours = false;
        for (size_t k = 0; k < sizeof fixed / sizeof fixed[0] && !ours; k++)
            ours = !strcmp(kv->key, fixed[k]);
        if (!ours && kv->value)
            ev_attr_str(&w, kv->key, NULL, kv->value, strlen(kv->value));
    }
    ev_s(&w, "]},\"scopeSpans\":[{\"scope\":{\"name\":\"llmtap\",\"version\":");
    ev_qz(&w, LLMTAP_VERSION);
    ev_s(&w, "},\"spans\":[");
    return ev_finish(&w, mark);
}

enum lt_rc lt_event_body_tail(struct lt_buf *out)
{
    struct ev_w w = { out, LT_OK, true };
    struct ev_mark mark = ev_mark_of(out);
    ev_s(&w, "]}]}]}");
    return ev_finish(&w, mark);
}
