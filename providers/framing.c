/* framing.c — incremental framers for streamed response bodies: SSE (the
 * WHATWG event-stream rules: CR, LF and CRLF line ends, an optional leading
 * BOM, `:` comments, `data:` lines joined by \n, `event:`, dispatch at a
 * blank line), NDJSON lines, and the elements of a streamed JSON array.
 *
 * Owns the partial-line, event and element buffers, bounded by the frame
 * cap. Never parses JSON (the JSON array framer only tracks strings and
 * nesting) and never looks at what a frame means: that is the provider's.
 * Complete lines are read in place from the caller's chunk; only a line split
 * across chunks is copied. Background thread (and tests) only.
 */
#include "framing.h"

#include <string.h>

/* A staged line holds a field name and ": " besides the value; an `event:`
 * line must keep all LT_SSE_EVENT_MAX bytes of its value whatever the cap. */
#define FRAMING_SSE_LINE_SLACK (LT_SSE_EVENT_MAX + 16)

static const unsigned char framing_bom[3] = { 0xEF, 0xBB, 0xBF };

enum lt_rc lt_framer_init(struct lt_framer *f, enum lt_framing kind, size_t cap,
                          struct lt_frame_sink sink)
{
    memset(f, 0, sizeof *f);
    if ((kind != LT_FRAMING_SSE && kind != LT_FRAMING_NDJSON && kind != LT_FRAMING_JSON_ARRAY) || !sink.frame)
        return LT_ERR_INVALID;
    f->kind = kind;
    f->sink = sink;
    f->cap = cap ? cap : LT_FRAME_CAP;
    lt_buf_init(&f->line, f->cap + FRAMING_SSE_LINE_SLACK);
    lt_buf_init(&f->data, f->cap + 1); /* +1: the \n after the last data line */
    lt_buf_init(&f->text, f->cap + 1); /* +1: NDJSON's CR before the LF */
    return LT_OK;
}

void lt_framer_free(struct lt_framer *f)
{
    lt_buf_free(&f->line);
    lt_buf_free(&f->data);
    lt_buf_free(&f->text);
}

static void framing_text_feed(struct lt_framer *f, const char *p, size_t n);
static void framing_text_finish(struct lt_framer *f);

/* Blank line: hand the event over (or count it as skipped) and start anew. */
static void framing_sse_dispatch(struct lt_framer *f)
{
    if (f->event_over) {
        f->skipped++;
    } else if (f->data.len > 0) {
        /* the data buffer ends in \n; the event's data does not */
        f->data.data[--f->data.len] = '\0';
        struct lt_frame fr = {
            .event = f->event_len ? f->event : "message",
            .event_len = f->event_len ? f->event_len : 7,
            .message_type = "",
            .data = f->data.data,
            .len = f->data.len,
        };
        f->frames++;
        f->sink.frame(f->sink.ctx, &fr);
    }
    lt_buf_reset(&f->data);
    f->event_len = 0;
    f->event_over = false;
}

/* One complete line, without its line end. */
static void framing_sse_line(struct lt_framer *f, const char *p, size_t n)
{
    if (n == 0) {
        framing_sse_dispatch(f);
        return;
    }
    if (p[0] == ':')
        return; /* comment: keep-alives and padding */
    const char *colon = memchr(p, ':', n);
    size_t name_len = colon ? (size_t)(colon - p) : n;
    const char *value = colon ? colon + 1 : p + n;
    if (value < p + n && *value == ' ')
        value++;
    size_t vlen = (size_t)(p + n - value);
    if (name_len == 4 && memcmp(p, "data", 4) == 0) {
        if (f->event_over)
            return;
        if (f->data.len + vlen + 1 > f->cap + 1 ||
            lt_buf_add(&f->data, value, vlen) != LT_OK || lt_buf_addc(&f->data, '\n') != LT_OK) {
            f->event_over = true; /* skipped at the blank line, counted once */
            lt_buf_reset(&f->data);
        }
    } else if (name_len == 5 && memcmp(p, "event", 5) == 0) {
        f->event_len = vlen < LT_SSE_EVENT_MAX ? vlen : LT_SSE_EVENT_MAX;
        memcpy(f->event, value, f->event_len);
        f->event[f->event_len] = '\0';
    }
    /* id, retry and unknown fields carry nothing a parser reads */
}

/* Keeps the start of a line whose end is in a later chunk. */
static void framing_sse_stage(struct lt_framer *f, const char *p, size_t n)
{
    if (f->line_over || n == 0)
        return;
    if (lt_buf_add(&f->line, p, n) != LT_OK) {
        /* Too long to keep: drop the rest of the line, with the same effect
         * as when the whole line arrives in one chunk: a data line spoils its
         * event, an event line keeps its (cut) name, anything else is
         * ignored. The kept prefix always holds the field name. */
        f->line_over = true;
        if (f->line.len >= 5 && !memcmp(f->line.data, "data:", 5))
            f->event_over = true;
        else if (f->line.len >= 6 && !memcmp(f->line.data, "event:", 6))
            framing_sse_line(f, f->line.data, f->line.len);
    }
}

static void framing_sse_staged_line(struct lt_framer *f)
{
    if (!f->line_over)
        framing_sse_line(f, f->line.data ? f->line.data : "", f->line.len);
    f->line_over = false;
    lt_buf_reset(&f->line);
}

static void framing_sse_bytes(struct lt_framer *f, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (f->cr) {
            f->cr = false;
            if (p[i] == '\n') { /* CRLF split across chunks or not: one line end */
                i++;
                continue;
            }
        }
        /* The line end: the first LF or CR, found with two vectorised scans
         * (streams end lines with LF; a CR, if any, lies before it). */
        const char *lf = memchr(p + i, '\n', n - i);
        size_t j = lf ? (size_t)(lf - p) : n;
        const char *cr = memchr(p + i, '\r', j - i);
        if (cr)
            j = (size_t)(cr - p);
        if (j == n) {
            framing_sse_stage(f, p + i, n - i);
            return;
        }
        if (f->line.len == 0 && !f->line_over) {
            framing_sse_line(f, p + i, j - i);
        } else {
            framing_sse_stage(f, p + i, j - i);
            framing_sse_staged_line(f);
        }
        f->cr = p[j] == '\r';
        i = j + 1;
    }
}

void lt_framer_feed(struct lt_framer *f, const char *p, size_t n)
{
    if ((f->kind == LT_FRAMING_NDJSON || f->kind == LT_FRAMING_JSON_ARRAY) && n > 0) {
        framing_text_feed(f, p, n);
        return;
    }
    if (f->kind != LT_FRAMING_SSE || n == 0)
        return;
    f->bytes += n;
    /* One leading U+FEFF is dropped, even when it arrives a byte at a time. */
    while (!f->bom_done && n > 0) {
        if ((unsigned char)*p == framing_bom[f->bom_have]) {
            p++;
            n--;
            if (++f->bom_have == sizeof framing_bom)
                f->bom_done = true;
        } else {
            f->bom_done = true;
            if (f->bom_have) /* a partial BOM was text after all */
                framing_sse_bytes(f, (const char *)framing_bom, f->bom_have);
        }
    }
    framing_sse_bytes(f, p, n);
}

void lt_framer_finish(struct lt_framer *f)
{
    if (f->kind == LT_FRAMING_NDJSON || f->kind == LT_FRAMING_JSON_ARRAY) {
        framing_text_finish(f);
        return;
    }
    if (f->kind != LT_FRAMING_SSE)
        return;
    if (!f->bom_done) {
        f->bom_done = true;
        if (f->bom_have)
            framing_sse_bytes(f, (const char *)framing_bom, f->bom_have);
    }
    if (f->line.len > 0 || f->line_over)
        framing_sse_staged_line(f);
    if (f->data.len > 0 || f->event_over)
        framing_sse_dispatch(f);
    f->cr = false;
}

/* ---- NDJSON and JSON array ------------------------------------------------
 *
 * Both keep the frame being read in f->text (complete frames are copied too:
 * a frame must be NUL-terminated and the caller's chunk is const). */

enum framing_ja_state {
    FRAMING_JA_BEFORE = 0, /* blanks before the opening `[` (or a bare value) */
    FRAMING_JA_EXPECT,     /* between elements: blanks and commas */
    FRAMING_JA_ELEM,       /* inside an element */
    FRAMING_JA_DONE,       /* after the closing `]`: the rest is ignored */
};

static bool framing_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Keeps n more bytes of the current frame; past the cap (or memory) the
 * frame is spoiled and its bytes are let go. */
static void framing_text_add(struct lt_framer *f, const char *p, size_t n)
{
    if (f->text_over || n == 0)
        return;
    if (lt_buf_add(&f->text, p, n) != LT_OK) {
        f->text_over = true;
        lt_buf_reset(&f->text);
    }
}

/* The frame in f->text is complete: deliver it (or count it as skipped). */
static void framing_text_emit(struct lt_framer *f)
{
    if (f->text_over || f->text.len > f->cap) {
        f->skipped++;
    } else {
        struct lt_frame fr = {
            .event = "",
            .event_len = 0,
            .message_type = "",
            .data = f->text.data,
            .len = f->text.len,
        };
        f->frames++;
        f->sink.frame(f->sink.ctx, &fr);
    }
    lt_buf_reset(&f->text);
    f->text_over = false;
}

/* NDJSON: the line in f->text has ended (its LF seen, or the stream). */
static void framing_ndjson_line(struct lt_framer *f)
{
    if (!f->text_over && f->text.len > 0 && f->text.data[f->text.len - 1] == '\r')
        f->text.data[--f->text.len] = '\0';
    if (f->text_content)
        framing_text_emit(f);
    lt_buf_reset(&f->text);
    f->text_over = false;
    f->text_content = false;
}

static void framing_ndjson_bytes(struct lt_framer *f, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *lf = memchr(p + i, '\n', n - i);
        size_t j = lf ? (size_t)(lf - p) : n;
        for (size_t k = i; k < j && !f->text_content; k++)
            if (!framing_is_blank(p[k]))
                f->text_content = true;
        framing_text_add(f, p + i, j - i);
        if (!lf)
            return;
        framing_ndjson_line(f);
        i = j + 1;
    }
}

/* Starts an element at its first byte (already known not to be a blank). */
static void framing_ja_start(struct lt_framer *f, char c)
{
    f->ja_state = FRAMING_JA_ELEM;
    f->ja_depth = 0;
    f->ja_str = f->ja_esc = false;
    f->ja_scalar = false;
    if (c == '{' || c == '[')
        f->ja_depth = 1;
    else if (c == '"')
        f->ja_str = true;
    else
        f->ja_scalar = true;
}

/* The element has ended: deliver it; a bare value ends the body. */
static void framing_ja_end(struct lt_framer *f)
{
    framing_text_emit(f);
    f->ja_state = f->ja_bare ? FRAMING_JA_DONE : FRAMING_JA_EXPECT;
}

static void framing_ja_bytes(struct lt_framer *f, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        char c = p[i];
        switch (f->ja_state) {
        case FRAMING_JA_BEFORE:
            i++;
            if (framing_is_blank(c))
                break;
            if (c == '[') {
                f->ja_state = FRAMING_JA_EXPECT;
                break;
            }
            f->ja_bare = true; /* {"error": ...} instead of a stream */
            framing_ja_start(f, c);
            framing_text_add(f, &c, 1);
            break;
        case FRAMING_JA_EXPECT:
            i++;
            if (framing_is_blank(c) || c == ',')
                break;
            if (c == ']') {
                f->ja_state = FRAMING_JA_DONE;
                break;
            }
            framing_ja_start(f, c);
            framing_text_add(f, &c, 1);
            break;
        case FRAMING_JA_ELEM: {
            /* Runs of the element are kept in one copy: scan to its end or
             * the chunk's. */
            size_t start = i;
            bool ended = false;
            size_t keep = n; /* end of the run that belongs to the element */
            while (i < n && !ended) {
                c = p[i];
                if (f->ja_str) {
                    i++;
                    if (f->ja_esc)
                        f->ja_esc = false;
                    else if (c == '\\')
                        f->ja_esc = true;
                    else if (c == '"') {
                        f->ja_str = false;
                        if (f->ja_depth == 0 && !f->ja_scalar) { /* a string element */
                            ended = true;
                            keep = i;
                        }
                    }
                } else if (f->ja_scalar) {
                    if (framing_is_blank(c) || c == ',' || c == ']' || c == '}') {
                        ended = true; /* the terminator is not the element's */
                        keep = i;
                    } else {
                        i++;
                    }
                } else {
                    i++;
                    if (c == '"') {
                        f->ja_str = true;
                    } else if (c == '{' || c == '[') {
                        f->ja_depth++;
                    } else if (c == '}' || c == ']') {
                        if (--f->ja_depth == 0) {
                            ended = true;
                            keep = i;
                        }
                    }
                }
            }
            if (!ended)
                keep = i;
            framing_text_add(f, p + start, keep - start);
            if (ended)
                framing_ja_end(f);
            break;
        }
        default: /* FRAMING_JA_DONE: whatever follows the array */
            return;
        }
    }
}

static void framing_text_bytes(struct lt_framer *f, const char *p, size_t n)
{
    if (f->kind == LT_FRAMING_NDJSON)
        framing_ndjson_bytes(f, p, n);
    else
        framing_ja_bytes(f, p, n);
}

static void framing_text_feed(struct lt_framer *f, const char *p, size_t n)
{
    f->bytes += n;
    /* One leading U+FEFF is dropped, even when it arrives a byte at a time. */
    while (!f->text_bom_done && n > 0) {
        if ((unsigned char)*p == framing_bom[f->text_bom_have]) {
            p++;
            n--;
            if (++f->text_bom_have == sizeof framing_bom)
                f->text_bom_done = true;
        } else {
            f->text_bom_done = true;
            if (f->text_bom_have) /* a partial BOM was text after all */
                framing_text_bytes(f, (const char *)framing_bom, f->text_bom_have);
        }
    }
    framing_text_bytes(f, p, n);
}

static void framing_text_finish(struct lt_framer *f)
{
    if (!f->text_bom_done) {
        f->text_bom_done = true;
        if (f->text_bom_have)
            framing_text_bytes(f, (const char *)framing_bom, f->text_bom_have);
    }
    if (f->kind == LT_FRAMING_NDJSON) {
        framing_ndjson_line(f); /* the last line may lack its LF */
        return;
    }
    if (f->ja_state == FRAMING_JA_ELEM) {
        /* Cut by the end (a number without what follows it may be cut too):
         * a partial element is no message. */
        f->skipped++;
        lt_buf_reset(&f->text);
        f->text_over = false;
    }
    f->ja_state = FRAMING_JA_DONE;
}
