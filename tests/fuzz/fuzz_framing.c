/* fuzz_framing.c — every framer on arbitrary bytes, differentially: the
 * frames delivered when the input is fed whole must equal those delivered
 * when it is fed in pieces chosen by the first two input bytes (a piece may
 * end inside a field name, between CR and LF, inside a UTF-8 sequence, a
 * JSON string or escape). Byte 0: split seed; byte 1: largest piece
 * (1..256); byte 2: frame cap selector (bits 0-1) and framing kind (the
 * rest, modulo the kinds in fuzz_kinds); the rest: the stream. */
#include <stdlib.h>
#include <string.h>

#include "../../providers/framing.h"
#include "../../shim/buf.h"
#include "fuzz.h"

struct fuzz_log {
    struct lt_buf b;
};

static void fuzz_frame(void *ctx, const struct lt_frame *f)
{
    struct fuzz_log *l = ctx;
    /* length-prefixed, so that frame boundaries are part of the record */
    lt_buf_printf(&l->b, "%zu:%zu:", f->event_len, f->len);
    lt_buf_add(&l->b, f->event, f->event_len);
    lt_buf_add(&l->b, f->data, f->len);
    if (strlen(f->data) > f->len)
        abort(); /* data must be NUL-terminated at len */
}

/* The kinds byte 2 chooses from. */
static const enum lt_framing fuzz_kinds[] = {
    LT_FRAMING_SSE,
    LT_FRAMING_NDJSON,
    LT_FRAMING_JSON_ARRAY,
};

static void fuzz_run(enum lt_framing kind, const uint8_t *p, size_t n, size_t cap, struct fuzz_split *split,
                     struct fuzz_log *log, uint64_t *skipped)
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
    lt_framer_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    struct fuzz_split split = {data[0], (size_t)data[1] + 1};
    size_t caps[4] = {0, 16, 64, 1024};
    size_t cap = caps[data[2] & 3];
    enum lt_framing kind = fuzz_kinds[(data[2] >> 2) % (sizeof fuzz_kinds / sizeof fuzz_kinds[0])];
    data += 3;
    size -= 3;
    struct fuzz_log whole, parts;
    uint64_t s1, s2;
    fuzz_run(kind, data, size, cap, NULL, &whole, &s1);
    fuzz_run(kind, data, size, cap, &split, &parts, &s2);
    if (whole.b.len != parts.b.len || s1 != s2 ||
        (whole.b.len && memcmp(whole.b.data, parts.b.data, whole.b.len)))
        abort(); /* the split changed what was framed */
    lt_buf_free(&whole.b);
    lt_buf_free(&parts.b);
    return 0;
}
