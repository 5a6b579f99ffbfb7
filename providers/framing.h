/* framing.h — turns a streamed response body, delivered in chunks split at
 * any byte, into the messages a provider reads: one call per frame.
 *
 * Server-Sent Events (WHATWG "event stream interpretation"), NDJSON lines and
 * the elements of a streamed JSON array are enum lt_framing kinds behind the
 * same struct lt_framer and the same frame callback, so a provider module
 * never sees the framing.
 *
 * AWS event stream (application/vnd.amazon.eventstream): binary messages
 * whose prelude and message CRC32s are checked. A message that fails its
 * message CRC or whose headers do not parse is skipped and counted; a
 * prelude that fails its CRC (or names an impossible length) loses every
 * message boundary after it: the framer sets `corrupt`, counts one skipped
 * frame and reads nothing more. A message cut short by the end of the
 * stream is counted as skipped.
 *
 * Owns its buffers (through mem.h); memory is bounded by `cap` per frame: a
 * frame larger than that is skipped and counted, never fatal. Not
 * thread-safe: one owner at a time (the background thread, or a test).
 */
#ifndef LT_FRAMING_H
#define LT_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../shim/buf.h"
#include "../shim/rc.h"

enum lt_framing {
    LT_FRAMING_NONE = 0, /* one whole document: the caller buffers it itself */
    LT_FRAMING_SSE,      /* text/event-stream */
    LT_FRAMING_NDJSON,   /* one JSON document per line (Ollama) */
    LT_FRAMING_JSON_ARRAY, /* one JSON array sent element by element (Gemini
                              streamGenerateContent without alt=sse): a frame
                              per element */
    LT_FRAMING_AWS_EVENTSTREAM, /* application/vnd.amazon.eventstream binary
                                   frames, CRCs checked (Bedrock) */
    LT_FRAMING_COUNT
};

/* One frame, borrowed for the duration of the callback only. */
struct lt_frame {
    const char *event;   /* SSE: the `event:` field, "message" when absent.
                            AWS event stream: the `:event-type` header, else
                            `:exception-type`, else `:error-code`, else "".
                            NDJSON, JSON array: "" */
    size_t event_len;
    const char *message_type; /* AWS event stream: the `:message-type` header
                                 ("event", "exception", "error"); else "" */
    size_t message_type_len;
    const char *data;    /* payload (SSE: the data lines joined by \n; NDJSON:
                            the line without its end; JSON array: the element's
                            text; AWS: the payload bytes, or the
                            `:error-message` header of an "error" message
                            without payload), NUL-terminated */
    size_t len;
};

/* Receives each complete frame, in order. */
struct lt_frame_sink {
    void (*frame)(void *ctx, const struct lt_frame *f);
    void *ctx;
};

/* 8 MiB per frame: an OpenAI-style chunk is a few hundred bytes and even a
 * whole non-streamed answer sent as one event stays far below; a larger
 * frame is more likely garbage than a message worth keeping in memory. */
#define LT_FRAME_CAP ((size_t)8 << 20)

/* Longest SSE event type kept; longer names are cut (no type we read is). */
#define LT_SSE_EVENT_MAX 63

/* AWS event stream: longest `:event-type` / `:exception-type` /
 * `:message-type` value kept; longer ones are cut (no name we read is). */
#define LT_AWS_NAME_MAX 63
/* The AWS SDKs' own limits (aws-c-event-stream): a prelude naming a larger
 * message or header block is garbage, not a message. */
#define LT_AWS_MESSAGE_MAX ((uint32_t)16 << 20)
#define LT_AWS_HEADERS_MAX ((uint32_t)128 << 10)

struct lt_framer {
    enum lt_framing kind;
    struct lt_frame_sink sink;
    size_t cap;          /* max bytes per frame */
    uint64_t frames;     /* frames delivered */
    uint64_t skipped;    /* frames dropped: over `cap` or out of memory */
    uint64_t bytes;      /* bytes fed */

    /* AWS event stream state: one message is gathered whole in `aws_msg`
     * (prelude, headers, payload, CRC), checked, then delivered from there. */
    unsigned char aws_prelude[12]; /* the next message's prelude so far */
    unsigned char aws_prelude_len;
    struct lt_buf aws_msg;      /* the current message's bytes so far */
    uint32_t aws_total;         /* its total length, once its prelude is read */
    uint32_t aws_discard;       /* bytes still to drop of a message over `cap`
                                   (or one memory could not hold) */
    bool corrupt;               /* a prelude failed its CRC or named an
                                   impossible length: the message boundaries
                                   are lost, nothing after it was read */
    char aws_event[LT_AWS_NAME_MAX + 1];   /* the frame's event, NUL-terminated */
    char aws_mtype[LT_AWS_NAME_MAX + 1];   /* its message type */

    /* SSE state */
    struct lt_buf line;  /* a line split across chunks (only then: complete
                            lines are read in place) */
    struct lt_buf data;  /* the event's data lines, each followed by \n */
    char event[LT_SSE_EVENT_MAX + 1];
    size_t event_len;
    bool cr;             /* the last byte seen was CR: a following LF belongs to it */
    bool bom_done;       /* the optional leading BOM is behind us */
    unsigned char bom_have; /* BOM bytes matched so far */
    bool line_over;      /* the current line passed the cap: its bytes are gone */
    bool event_over;     /* the current event passed the cap: it will be skipped */

    /* NDJSON / JSON array state. NDJSON: a frame per line holding anything
     * but blanks (LF ends a line, one CR before it is dropped; a last line
     * without its LF is read at finish). JSON array: a frame per top-level
     * element of `[ e, e, ... ]`, its exact text without the blanks around
     * it; strings, escapes and nesting are tracked so that brackets and
     * commas inside strings are text; whatever follows the closing `]` is
     * ignored; a body whose first value is not an array is one element; an
     * element still open at finish is counted in `skipped`, never
     * delivered. Both: one leading BOM is dropped. */
    struct lt_buf text;  /* the line or element being read, up to cap bytes */
    bool text_over;      /* it passed the cap (or memory ran out): skipped at its end */
    bool text_content;   /* NDJSON: the line holds a byte that is not a blank */
    bool text_bom_done;  /* the optional leading BOM is behind us */
    unsigned char text_bom_have; /* BOM bytes matched so far */
    unsigned char ja_state;      /* enum framing_ja_state (framing.c) */
    bool ja_bare;        /* the body is not an array: its value is the one element */
    bool ja_scalar;      /* the element is a number or literal: ends at a blank , ] } */
    bool ja_str;         /* inside a string */
    bool ja_esc;         /* the byte before was a backslash inside a string */
    size_t ja_depth;     /* open brackets and braces inside the element */
};

/* Starts a framer of `kind` (cap 0 = LT_FRAME_CAP). LT_OK, or LT_ERR_INVALID
 * for a kind that is not implemented (LT_FRAMING_NONE included). Allocates
 * nothing until bytes arrive. */
enum lt_rc lt_framer_init(struct lt_framer *f, enum lt_framing kind, size_t cap,
                          struct lt_frame_sink sink);

/* Feeds the next n bytes; calls the sink for each frame they complete.
 * Cannot fail: what does not fit is counted in `skipped`. */
void lt_framer_feed(struct lt_framer *f, const char *p, size_t n);

/* Ends the stream: a last line without its line end is still read, and an
 * event without its closing blank line is still delivered (servers that
 * close the connection right after the last data line lose nothing). A JSON
 * array element cut by the end is counted in `skipped`. */
void lt_framer_finish(struct lt_framer *f);

/* Frees the buffers; the framer may be initialised again. Cannot fail. */
void lt_framer_free(struct lt_framer *f);

#endif
