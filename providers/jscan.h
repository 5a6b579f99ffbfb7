/* jscan.h — a small JSON scanner over a byte range: no allocation, no tree.
 *
 * Reads one value at a time (scalars whole, containers their opening
 * bracket), walks object members and array elements, skips what the caller
 * does not want, compares keys, reads plain integers and decodes strings into
 * a caller's lt_buf. It accepts only strict JSON and less: whitespace is
 * space/tab/CR/LF, strings hold no raw byte below 0x20 and no \u0000, every
 * \u escape is valid hex and surrogates come in pairs, numbers are at most
 * LT_JSCAN_NUMBER_MAX bytes, nesting at most LT_JSCAN_DEPTH_MAX. Everything it
 * accepts, cJSON 1.7 parses to the same values, so a caller can fall back to
 * cJSON whenever the scanner says no. Errors are sticky (`bad`): once set,
 * every call fails. One owner at a time; any thread.
 */
#ifndef LT_JSCAN_H
#define LT_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "../shim/rc.h"

struct lt_buf;

/* Deeper than any response we read (cJSON allows 1000): deeper is a doubt. */
#define LT_JSCAN_DEPTH_MAX 64
/* cJSON copies at most 63 number bytes before strtod: stay well below. */
#define LT_JSCAN_NUMBER_MAX 32

enum lt_jscan_kind {
    LT_JSCAN_NONE = 0, /* absent, or an error */
    LT_JSCAN_OBJECT,
    LT_JSCAN_ARRAY,
    LT_JSCAN_STRING,
    LT_JSCAN_NUMBER,
    LT_JSCAN_TRUE,
    LT_JSCAN_FALSE,
    LT_JSCAN_NULL,
};

struct lt_jscan {
    const char *p, *end;
    int depth;
    bool first; /* a container was just opened: no comma before its first item */
    bool bad;   /* sticky: the text is not JSON the scanner accepts */
};

/* One value (or key). Borrows the scanned text. */
struct lt_jscan_val {
    const char *p; /* string: the bytes between the quotes, raw; number: its text */
    size_t n;
    enum lt_jscan_kind kind;
    bool esc;      /* a string that holds escapes (decode with lt_jscan_str) */
};

/* Starts a scan of n bytes at p (borrowed until the scan ends). Cannot fail. */
void lt_jscan_init(struct lt_jscan *s, const char *p, size_t n);

/* Reads the next value into *v and returns its kind: a scalar whole, an
 * object or array only its opening bracket (walk it with lt_jscan_member /
 * lt_jscan_element, or lt_jscan_skip it). LT_JSCAN_NONE (and `bad`) on error. */
enum lt_jscan_kind lt_jscan_value(struct lt_jscan *s, struct lt_jscan_val *v);

/* In an object: true with the next key in *key (its ':' consumed; read the
 * value next); false at the closing brace (consumed) or on error (`bad`). */
bool lt_jscan_member(struct lt_jscan *s, struct lt_jscan_val *key);

/* In an array: true when another element follows (read it next); false at
 * the closing bracket (consumed) or on error (`bad`). */
bool lt_jscan_element(struct lt_jscan *s);

/* Consumes the rest of v (read by lt_jscan_value): nothing for a scalar, up
 * to the matching bracket for a container. false on error. */
bool lt_jscan_skip(struct lt_jscan *s, const struct lt_jscan_val *v);

/* true when the scan had no error, every container closed and only
 * whitespace is left. */
bool lt_jscan_end(const struct lt_jscan *s);

/* true when v is a string without escapes equal to the n bytes of lit. */
static inline bool lt_jscan_is(const struct lt_jscan_val *v, const char *lit, size_t n)
{
    return v->kind == LT_JSCAN_STRING && !v->esc && v->n == n && memcmp(v->p, lit, n) == 0;
}
#define LT_JSCAN_IS(v, lit) lt_jscan_is((v), (lit), sizeof(lit) - 1)

/* A number written as a plain integer of at most 15 digits (exact as a
 * double, as cJSON holds it): true and *out set; false otherwise. */
bool lt_jscan_int(const struct lt_jscan_val *v, long long *out);

/* Appends string v decoded (escapes resolved, \u as UTF-8; raw bytes as
 * they are, as cJSON keeps them) to b. LT_OK, or LT_ERR_NOMEM when b
 * refused bytes. v must come from a scan that accepted it. */
enum lt_rc lt_jscan_str(const struct lt_jscan_val *v, struct lt_buf *b);

/* Whether callers take their jscan fast path (default) or go straight to
 * their cJSON path. The switch is for tests and fuzzers, which compare both:
 * set it before any parse, never while one runs. Cannot fail. */
void lt_jscan_set_fastpath(bool on);
bool lt_jscan_fastpath(void);

#endif
