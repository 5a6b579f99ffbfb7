/* framing.c — incremental framers for streamed response bodies: SSE (the
 * WHATWG event-stream rules: CR, LF and CRLF line ends, an optional leading
 * BOM, `:` comments, `data:` lines joined by \n, `event:`, dispatch at a
 * blank line), NDJSON lines, the elements of a streamed JSON array, and AWS
 * event-stream binary messages (CRC32s checked, one message gathered at a time).
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

/* ---- AWS event stream -------------------------------------------------------
 *
 * A message: total length (u32 BE), headers length (u32 BE), prelude CRC
 * (u32 BE, CRC-32 of the 8 bytes before it); headers; payload; message CRC
 * (of every byte before it). CRC-32/ISO-HDLC, as zlib's crc32(): the shim
 * never links zlib, and 1 KiB of table is all it takes. */

#define FRAMING_AWS_PRELUDE 12
#define FRAMING_AWS_OVERHEAD 16 /* prelude + message CRC */

static const uint32_t framing_crc_table[256] = {
    0x00000000, 0x77073096, 0xee0e612c, 0x990951ba, 0x076dc419, 0x706af48f,
    0xe963a535, 0x9e6495a3, 0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988,
    0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91, 0x1db71064, 0x6ab020f2,
    0xf3b97148, 0x84be41de, 0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
    0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec, 0x14015c4f, 0x63066cd9,
    0xfa0f3d63, 0x8d080df5, 0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172,
    0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b, 0x35b5a8fa, 0x42b2986c,
    0xdbbbc9d6, 0xacbcf940, 0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
    0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116, 0x21b4f4b5, 0x56b3c423,
    0xcfba9599, 0xb8bda50f, 0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924,
    0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d, 0x76dc4190, 0x01db7106,
    0x98d220bc, 0xefd5102a, 0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
    0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818, 0x7f6a0dbb, 0x086d3d2d,
    0x91646c97, 0xe6635c01, 0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e,
    0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457, 0x65b0d9c6, 0x12b7e950,
    0x8bbeb8ea, 0xfcb9887c, 0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
    0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2, 0x4adfa541, 0x3dd895d7,
    0xa4d1c46d, 0xd3d6f4fb, 0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0,
    0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9, 0x5005713c, 0x270241aa,
    0xbe0b1010, 0xc90c2086, 0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
    0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4, 0x59b33d17, 0x2eb40d81,
    0xb7bd5c3b, 0xc0ba6cad, 0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a,
    0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683, 0xe3630b12, 0x94643b84,
    0x0d6d6a3e, 0x7a6a5aa8, 0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
    0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe, 0xf762575d, 0x806567cb,
    0x196c3671, 0x6e6b06e7, 0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc,
    0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5, 0xd6d6a3e8, 0xa1d1937e,
    0x38d8c2c4, 0x4fdff252, 0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
    0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60, 0xdf60efc3, 0xa867df55,
    0x316e8eef, 0x4669be79, 0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236,
    0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f, 0xc5ba3bbe, 0xb2bd0b28,
    0x2bb45a92, 0x5cb36a04, 0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
    0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a, 0x9c0906a9, 0xeb0e363f,
    0x72076785, 0x05005713, 0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38,
    0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21, 0x86d3d2d4, 0xf1d4e242,
    0x68ddb3f8, 0x1fda836e, 0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
    0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c, 0x8f659eff, 0xf862ae69,
    0x616bffd3, 0x166ccf45, 0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2,
    0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db, 0xaed16a4a, 0xd9d65adc,
    0x40df0b66, 0x37d83bf0, 0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
    0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6, 0xbad03605, 0xcdd70693,
    0x54de5729, 0x23d967bf, 0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94,
    0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d,
};

static uint32_t framing_crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--)
        c = framing_crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint32_t framing_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The message boundaries are lost: count it once, read nothing more. */
static void framing_aws_corrupt(struct lt_framer *f)
{
    f->corrupt = true;
    f->skipped++;
    lt_buf_free(&f->aws_msg);
    f->aws_total = 0;
    f->aws_discard = 0;
}

static void framing_aws_name(char *dst, const unsigned char *v, size_t n)
{
    if (n > LT_AWS_NAME_MAX)
        n = LT_AWS_NAME_MAX;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static bool framing_aws_is(const unsigned char *name, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(name, want, n) == 0;
}

/* Reads the header block h[0, n): the names we deliver are copied out;
 * *errmsg / *errlen point at an `:error-message` value. false when the
 * block does not parse (an unknown type, a value past the block's end). */
static bool framing_aws_headers(struct lt_framer *f, const unsigned char *h, size_t n,
                                const unsigned char **errmsg, size_t *errlen)
{
    /* the fixed-size value of each type, by type number; -1: u16 length */
    static const signed char fixed[10] = { 0, 0, 1, 2, 4, 8, -1, -1, 8, 16 };
    bool has_event = false, has_exception = false;
    char code[LT_AWS_NAME_MAX + 1] = "";
    size_t i = 0;
    f->aws_event[0] = f->aws_mtype[0] = '\0';
    while (i < n) {
        size_t nl = h[i++];
        if (nl == 0 || nl > n - i)
            return false;
        const unsigned char *name = h + i;
        i += nl;
        if (i >= n)
            return false;
        unsigned type = h[i++];
        if (type >= sizeof fixed)
            return false;
        size_t vl;
        if (fixed[type] >= 0) {
            vl = (size_t)fixed[type];
        } else {
            if (n - i < 2)
                return false;
            vl = (size_t)h[i] << 8 | h[i + 1];
            i += 2;
        }
        if (vl > n - i)
            return false;
        const unsigned char *v = h + i;
        i += vl;
        if (type != 7) /* the names we read are strings */
            continue;
        if (framing_aws_is(name, nl, ":event-type")) {
            framing_aws_name(f->aws_event, v, vl);
            has_event = true;
        } else if (framing_aws_is(name, nl, ":exception-type")) {
            if (!has_event)
                framing_aws_name(f->aws_event, v, vl);
            has_exception = true;
        } else if (framing_aws_is(name, nl, ":error-code")) {
            framing_aws_name(code, v, vl);
        } else if (framing_aws_is(name, nl, ":message-type")) {
            framing_aws_name(f->aws_mtype, v, vl);
        } else if (framing_aws_is(name, nl, ":error-message")) {
            *errmsg = v;
            *errlen = vl;
        }
    }
    if (!has_event && !has_exception)
        memcpy(f->aws_event, code, sizeof code);
    return true;
}

/* aws_msg holds one whole message of aws_total bytes: check and deliver it. */
static void framing_aws_message(struct lt_framer *f)
{
    unsigned char *m = (unsigned char *)f->aws_msg.data;
    uint32_t total = f->aws_total;
    uint32_t hlen = framing_be32(m + 4);
    if (framing_crc32(m, total - 4) != framing_be32(m + total - 4)) {
        f->skipped++; /* the prelude was sound: the next message is found */
        return;
    }
    const unsigned char *errmsg = NULL;
    size_t errlen = 0;
    if (!framing_aws_headers(f, m + FRAMING_AWS_PRELUDE, hlen, &errmsg, &errlen)) {
        f->skipped++;
        return;
    }
    char *data = (char *)m + FRAMING_AWS_PRELUDE + hlen;
    size_t len = total - FRAMING_AWS_OVERHEAD - hlen;
    if (len == 0 && errmsg && strcmp(f->aws_mtype, "error") == 0) {
        /* The header block is read: its first bytes may hold the message
         * text (which lies inside the block, behind at least 4 bytes). */
        data = (char *)m + FRAMING_AWS_PRELUDE;
        memmove(data, errmsg, errlen);
        len = errlen;
    }
    data[len] = '\0'; /* over the message CRC, already checked */
    struct lt_frame fr = {
        .event = f->aws_event,
        .event_len = strlen(f->aws_event),
        .message_type = f->aws_mtype,
        .message_type_len = strlen(f->aws_mtype),
        .data = data,
        .len = len,
    };
    f->frames++;
    f->sink.frame(f->sink.ctx, &fr);
}

/* The 12 prelude bytes are in aws_prelude: decide what the message is. */
static void framing_aws_prelude(struct lt_framer *f)
{
    const unsigned char *m = f->aws_prelude;
    uint32_t total = framing_be32(m), hlen = framing_be32(m + 4);
    f->aws_prelude_len = 0;
    if (framing_crc32(m, 8) != framing_be32(m + 8) || total < FRAMING_AWS_OVERHEAD ||
        total > LT_AWS_MESSAGE_MAX || hlen > LT_AWS_HEADERS_MAX || hlen > total - FRAMING_AWS_OVERHEAD) {
        framing_aws_corrupt(f);
        return;
    }
    lt_buf_reset(&f->aws_msg);
    if (total > f->cap || lt_buf_add(&f->aws_msg, m, FRAMING_AWS_PRELUDE) != LT_OK) {
        /* sound but too big to keep (or no memory for it): its bytes are
         * dropped as they come, and the next message is found after them */
        f->skipped++;
        f->aws_discard = total - FRAMING_AWS_PRELUDE;
        lt_buf_free(&f->aws_msg);
        return;
    }
    f->aws_total = total;
}

static void framing_aws_feed(struct lt_framer *f, const char *p, size_t n)
{
    f->bytes += n;
    while (n > 0 && !f->corrupt) {
        size_t k;
        if (f->aws_discard) {
            k = n < f->aws_discard ? n : f->aws_discard;
            f->aws_discard -= (uint32_t)k;
        } else if (!f->aws_total) {
            k = FRAMING_AWS_PRELUDE - f->aws_prelude_len;
            if (k > n)
                k = n;
            memcpy(f->aws_prelude + f->aws_prelude_len, p, k);
            f->aws_prelude_len += (unsigned char)k;
            if (f->aws_prelude_len == FRAMING_AWS_PRELUDE)
                framing_aws_prelude(f);
        } else {
            size_t want = f->aws_total - f->aws_msg.len;
            k = n < want ? n : want;
            if (lt_buf_add(&f->aws_msg, p, k) != LT_OK) {
                /* out of memory: drop this message, keep the boundaries */
                f->skipped++;
                f->aws_discard = f->aws_total - (uint32_t)f->aws_msg.len;
                f->aws_total = 0;
                lt_buf_free(&f->aws_msg);
                continue; /* p, n unchanged: these bytes are part of the drop */
            }
            if (k == want) {
                framing_aws_message(f);
                f->aws_total = 0;
                lt_buf_reset(&f->aws_msg);
            }
        }
        p += k;
        n -= k;
    }
}

static void framing_aws_finish(struct lt_framer *f)
{
    if (!f->corrupt && (f->aws_prelude_len > 0 || f->aws_total > 0))
        f->skipped++; /* a message cut short */
    f->aws_prelude_len = 0;
    f->aws_total = 0;
    f->aws_discard = 0;
    lt_buf_free(&f->aws_msg);
}

static enum lt_rc framing_aws_init(struct lt_framer *f, size_t cap, struct lt_frame_sink sink)
{
    memset(f, 0, sizeof *f);
    if (!sink.frame)
        return LT_ERR_INVALID;
    f->kind = LT_FRAMING_AWS_EVENTSTREAM;
    f->sink = sink;
    f->cap = cap ? cap : LT_FRAME_CAP;
    lt_buf_init(&f->aws_msg, f->cap);
    return LT_OK;
}

enum lt_rc lt_framer_init(struct lt_framer *f, enum lt_framing kind, size_t cap,
                          struct lt_frame_sink sink)
{
    if (kind == LT_FRAMING_AWS_EVENTSTREAM)
        return framing_aws_init(f, cap, sink);
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
    lt_buf_free(&f->aws_msg);
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
    if (f->kind == LT_FRAMING_AWS_EVENTSTREAM) {
        framing_aws_feed(f, p, n);
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
    if (f->kind == LT_FRAMING_AWS_EVENTSTREAM) {
        framing_aws_finish(f);
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
