/* fuzz_framing.c — every framer on arbitrary bytes, differentially: the
 * frames delivered when the input is fed whole must equal those delivered
 * when it is fed in pieces chosen by the first two input bytes (a piece may
 * end inside a field name, between CR and LF, inside a UTF-8 sequence, a
 * JSON string or escape, an AWS prelude or header). Byte 0: split seed;
 * byte 1: largest piece (1..256); byte 2: bits 0-1 frame cap selector, bits
 * 2-6 the framing kind (modulo the kinds in fuzz_kinds), bit 7 (AWS) mend
 * the CRCs first so that random messages get past them; the rest: the
 * stream. */
#include <stdlib.h>
#include <string.h>

#include "../../providers/framing.h"
#include "../../shim/buf.h"
#include "../lib/awsev.h"
#include "fuzz.h"

struct fuzz_log {
    struct lt_buf b;
};

static void fuzz_frame(void *ctx, const struct lt_frame *f)
{
    struct fuzz_log *l = ctx;
    /* length-prefixed, so that frame boundaries are part of the record */
    lt_buf_printf(&l->b, "%zu:%zu:%zu:", f->event_len, f->message_type_len, f->len);
    lt_buf_add(&l->b, f->event, f->event_len);
    lt_buf_add(&l->b, f->message_type, f->message_type_len);
    lt_buf_add(&l->b, f->data, f->len);
    if (f->data[f->len] != '\0' || f->event[f->event_len] != '\0' ||
        f->message_type[f->message_type_len] != '\0')
        abort(); /* every field must be NUL-terminated at its length */
}

/* The kinds byte 2 chooses from. */
static const enum lt_framing fuzz_kinds[] = {
    LT_FRAMING_SSE,
    LT_FRAMING_NDJSON,
    LT_FRAMING_JSON_ARRAY,
    LT_FRAMING_AWS_EVENTSTREAM,
};

static void fuzz_run(enum lt_framing kind, const uint8_t *p, size_t n, size_t cap, struct fuzz_split *split,
                     struct fuzz_log *log, uint64_t *skipped, bool *corrupt)
{
    struct lt_framer f;
    lt_buf_init(&log->b, 0);
    if (lt_framer_init(&f, kind, cap, (struct lt_frame_sink){fuzz_frame, log}) != LT_OK)
        abort();
    size_t off = 0;
    while (off < n) {
        size_t k = split ? fuzz_next_chunk(split) : n - off;
        if (k > n - off)
            k = n - off;
        lt_framer_feed(&f, (const char *)p + off, k);
        off += k;
    }
    lt_framer_finish(&f);
    *skipped = f.skipped;
    *corrupt = f.corrupt;
    lt_framer_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    struct fuzz_split split = {data[0], (size_t)data[1] + 1};
    size_t caps[4] = {0, 16, 64, 1024};
    size_t cap = caps[data[2] & 3];
    enum lt_framing kind = fuzz_kinds[((data[2] >> 2) & 0x1F) % (sizeof fuzz_kinds / sizeof fuzz_kinds[0])];
    bool mend = kind == LT_FRAMING_AWS_EVENTSTREAM && (data[2] & 0x80);
    data += 3;
    size -= 3;
    uint8_t *copy = NULL;
    if (mend && size) {
        copy = malloc(size);
        if (!copy)
            return 0;
        memcpy(copy, data, size);
        awsev_mend(copy, size);
        data = copy;
    }
    struct fuzz_log whole, parts;
    uint64_t s1, s2;
    bool c1, c2;
    fuzz_run(kind, data, size, cap, NULL, &whole, &s1, &c1);
    fuzz_run(kind, data, size, cap, &split, &parts, &s2, &c2);
    if (whole.b.len != parts.b.len || s1 != s2 || c1 != c2 ||
        (whole.b.len && memcmp(whole.b.data, parts.b.data, whole.b.len)))
        abort(); /* the split changed what was framed */
    lt_buf_free(&whole.b);
    lt_buf_free(&parts.b);
    free(copy);
    return 0;
}
