/* test_framing.c — the SSE framer against the WHATWG event-stream rules,
 * the NDJSON and JSON array framers against what Ollama and Gemini send,
 * each fed whole, split at every byte and one byte at a time; bounded
 * memory. The AWS event-stream framer on the recorded Bedrock stream and on
 * hand-built messages (every header type, CRC errors, impossible lengths,
 * truncation), split the same ways. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../providers/framing.h"
#include "../../shim/mem.h"
#include "../lib/awsev.h"
#include "../lib/tap.h"

/* Every frame as "event|data" followed by \x1e, in order. */
struct rec {
    char *s;
    size_t len, cap;
    int n;
};

static void rec_add(struct rec *r, const char *p, size_t n)
{
    if (r->len + n + 1 > r->cap) {
        r->cap = (r->len + n + 1) * 2;
        r->s = realloc(r->s, r->cap);
        CHECK(r->s);
    }
    memcpy(r->s + r->len, p, n);
    r->len += n;
    r->s[r->len] = '\0';
}

static void rec_frame(void *ctx, const struct lt_frame *f)
{
    struct rec *r = ctx;
    CHECK(f->data[f->len] == '\0');
    rec_add(r, f->event, f->event_len);
    rec_add(r, "|", 1);
    rec_add(r, f->data, f->len);
    rec_add(r, "\x1e", 1);
    r->n++;
}

/* Feeds `in` in pieces of `step` bytes (0: whole), with a split at `at` (0:
 * none) first; returns the record. */
static struct rec run(const char *in, size_t n, size_t at, size_t step, size_t cap, uint64_t *skipped)
{
    struct rec r = { 0 };
    rec_add(&r, "", 0);
    struct lt_framer f;
    struct lt_frame_sink sink = { rec_frame, &r };
    CHECK(lt_framer_init(&f, LT_FRAMING_SSE, cap, sink) == LT_OK);
    size_t i = 0;
    if (at) {
        lt_framer_feed(&f, in, at);
        i = at;
    }
    while (i < n) {
        size_t k = step ? step : n - i;
        if (k > n - i)
            k = n - i;
        lt_framer_feed(&f, in + i, k);
        i += k;
    }
    lt_framer_finish(&f);
    if (skipped)
        *skipped = f.skipped;
    CHECK_INT(f.frames, (uint64_t)r.n);
    lt_framer_free(&f);
    return r;
}

/* The same result whole, at every two-way split and byte by byte. */
static void expect(const char *in, const char *want)
{
    size_t n = strlen(in);
    struct rec r = run(in, n, 0, 0, 0, NULL);
    CHECK_STR(r.s, want);
    free(r.s);
    for (size_t at = 1; at < n; at++) {
        r = run(in, n, at, 0, 0, NULL);
        CHECKF(strcmp(r.s, want) == 0, "split at %zu: got \"%s\"", at, r.s);
        free(r.s);
    }
    r = run(in, n, 0, 1, 0, NULL);
    CHECK_STR(r.s, want);
    free(r.s);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

/* ---- AWS event stream ----------------------------------------------------- */

/* A typical Bedrock event message. */
static void aws_event(unsigned char *out, size_t *n, const char *event, const char *payload)
{
    struct awsev_hdrs h = { .n = 0 };
    awsev_hdr_str(&h, ":event-type", event);
    awsev_hdr_str(&h, ":content-type", "application/json");
    awsev_hdr_str(&h, ":message-type", "event");
    awsev_message(out, n, &h, payload, strlen(payload));
}

/* Every frame as "event/message_type/len:data" followed by \x1e. */
static void aws_rec_frame(void *ctx, const struct lt_frame *f)
{
    struct rec *r = ctx;
    char tmp[32];
    CHECK(f->data[f->len] == '\0');
    CHECK(f->event[f->event_len] == '\0');
    CHECK(f->message_type[f->message_type_len] == '\0');
    rec_add(r, f->event, f->event_len);
    rec_add(r, "/", 1);
    rec_add(r, f->message_type, f->message_type_len);
    snprintf(tmp, sizeof tmp, "/%zu:", f->len);
    rec_add(r, tmp, strlen(tmp));
    rec_add(r, f->data, f->len);
    rec_add(r, "\x1e", 1);
    r->n++;
}

struct aws_run {
    struct rec r;
    uint64_t frames, skipped;
    bool corrupt;
};

/* Feeds in pieces of `step` bytes (0: whole) after a first piece of `at`
 * bytes (0: none). */
static struct aws_run aws_feed(const unsigned char *in, size_t n, size_t at, size_t step, size_t cap)
{
    struct aws_run a = { .r = { 0 } };
    rec_add(&a.r, "", 0);
    struct lt_framer f;
    struct lt_frame_sink sink = { aws_rec_frame, &a.r };
    CHECK(lt_framer_init(&f, LT_FRAMING_AWS_EVENTSTREAM, cap, sink) == LT_OK);
    size_t i = 0;
    if (at) {
        lt_framer_feed(&f, (const char *)in, at);
        i = at;
    }
    while (i < n) {
        size_t k = step ? step : n - i;
        if (k > n - i)
            k = n - i;
        lt_framer_feed(&f, (const char *)in + i, k);
        i += k;
    }
    lt_framer_finish(&f);
    CHECK_INT(f.bytes, n);
    CHECK_INT(f.frames, (uint64_t)a.r.n);
    a.frames = f.frames;
    a.skipped = f.skipped;
    a.corrupt = f.corrupt;
    lt_framer_free(&f);
    return a;
}

/* The same frames, skip count and corrupt flag whole, at every two-way
 * split and byte by byte; returns the whole run (caller frees r.s). */
static struct aws_run aws_expect(const unsigned char *in, size_t n, size_t cap, const char *want, uint64_t skipped,
                                 bool corrupt)
{
    struct aws_run w = aws_feed(in, n, 0, 0, cap);
    if (want)
        CHECKF(w.r.len == strlen(want) && memcmp(w.r.s, want, w.r.len) == 0, "got \"%s\", want \"%s\"", w.r.s, want);
    CHECK_INT(w.skipped, skipped);
    CHECK_INT(w.corrupt, corrupt);
    for (size_t at = 1; at <= n; at++) {
        struct aws_run s = aws_feed(in, n, at, at < n ? 0 : 1, cap);
        CHECKF(s.r.len == w.r.len && memcmp(s.r.s, w.r.s, w.r.len) == 0, "split at %zu: got \"%s\"", at, s.r.s);
        CHECKF(s.skipped == skipped && s.corrupt == corrupt, "split at %zu: skipped %llu corrupt %d", at,
               (unsigned long long)s.skipped, (int)s.corrupt);
        free(s.r.s);
    }
    CHECK_INT(lt_mem_live_bytes(), 0);
    return w;
}

static void aws_framing_should_check_crc32_against_known_values(void)
{
    /* the check value of CRC-32/ISO-HDLC, and a prelude from the recording */
    CHECK_INT(awsev_crc32((const unsigned char *)"123456789", 9), 0xCBF43926u);
    static const unsigned char pre[8] = { 0x00, 0x00, 0x00, 0x84, 0x00, 0x00, 0x00, 0x52 };
    CHECK_INT(awsev_crc32(pre, 8), 0xA421F9E3u);
}

static void aws_framing_should_read_the_recorded_stream_split_at_every_byte(void)
{
    char path[1200];
    size_t n = 0;
    snprintf(path, sizeof path, "%s/bedrock/converse_stream_text_binary/response.body", tap_fixtures_dir());
    unsigned char *in = (unsigned char *)tap_read_file(path, &n);
    CHECKF(in && n > 1000, "cannot read %s", path);
    struct aws_run w = aws_expect(in, n, 0, NULL, 0, false);
    CHECK_INT(w.frames, 40);
    const char *first = "messageStart/event/";
    CHECK(strncmp(w.r.s, first, strlen(first)) == 0);
    CHECK(strstr(w.r.s, "contentBlockDelta/event/"));
    CHECK(strstr(w.r.s, "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Why\"}"));
    CHECK(strstr(w.r.s, "messageStop/event/"));
    CHECK(strstr(w.r.s, "\x1emetadata/event/"));
    CHECK(strstr(w.r.s, "\"usage\":{\"inputTokens\":52,\"outputTokens\":36,\"totalTokens\":88}"));
    /* and in small random pieces, byte by byte */
    for (size_t step = 1; step < 40; step += 3) {
        struct aws_run s = aws_feed(in, n, 0, step, 0);
        CHECKF(s.r.len == w.r.len && memcmp(s.r.s, w.r.s, w.r.len) == 0, "pieces of %zu", step);
        free(s.r.s);
    }
    free(w.r.s);
    free(in);
}

static void aws_framing_should_read_every_header_type(void)
{
    struct awsev_hdrs h = { .n = 0 };
    static const unsigned char v8[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, v16[16] = { 0xAB };
    awsev_hdr(&h, "t", 0, NULL, 0);
    awsev_hdr(&h, "f", 1, NULL, 0);
    awsev_hdr(&h, "byte", 2, "\x7f", 1);
    awsev_hdr(&h, "short", 3, "\x01\x02", 2);
    awsev_hdr(&h, ":event-type", 7, "contentBlockDelta", 17);
    awsev_hdr(&h, "int", 4, "\x00\x00\x00\x2a", 4);
    awsev_hdr(&h, "long", 5, v8, 8);
    awsev_hdr(&h, "bytes", 6, "\x00\xff:event-type", 13); /* a value that looks like a name */
    awsev_hdr(&h, "str", 7, "", 0);
    awsev_hdr(&h, "ts", 8, v8, 8);
    awsev_hdr(&h, "uuid", 9, v16, 16);
    awsev_hdr(&h, ":message-type", 7, "event", 5);
    unsigned char in[2048];
    size_t n = 0;
    awsev_message(in, &n, &h, "{\"a\":1}", 7);
    struct aws_run w = aws_expect(in, n, 0, "contentBlockDelta/event/7:{\"a\":1}\x1e", 0, false);
    free(w.r.s);
}

static void aws_framing_should_name_exceptions_and_errors(void)
{
    unsigned char in[2048];
    size_t n = 0;
    struct awsev_hdrs h = { .n = 0 };
    awsev_hdr_str(&h, ":exception-type", "throttlingException");
    awsev_hdr_str(&h, ":content-type", "application/json");
    awsev_hdr_str(&h, ":message-type", "exception");
    awsev_message(in, &n, &h, "{\"message\":\"slow down\"}", 23);
    /* the event type wins over an exception type, whatever the order */
    h.n = 0;
    awsev_hdr_str(&h, ":exception-type", "x");
    awsev_hdr_str(&h, ":event-type", "y");
    awsev_message(in, &n, &h, "", 0);
    /* an error message: its code names it, its text is the data */
    h.n = 0;
    awsev_hdr_str(&h, ":message-type", "error");
    awsev_hdr_str(&h, ":error-code", "InternalFailure");
    awsev_hdr_str(&h, ":error-message", "Something broke");
    awsev_message(in, &n, &h, NULL, 0);
    /* an error with a payload keeps its payload */
    awsev_message(in, &n, &h, "{}", 2);
    /* no headers at all */
    awsev_message(in, &n, NULL, "raw", 3);
    struct aws_run w = aws_expect(in, n, 0,
                                  "throttlingException/exception/23:{\"message\":\"slow down\"}\x1e"
                                  "y//0:\x1e"
                                  "InternalFailure/error/15:Something broke\x1e"
                                  "InternalFailure/error/2:{}\x1e"
                                  "//3:raw\x1e",
                                  0, false);
    free(w.r.s);
}

static void aws_framing_should_pass_binary_payloads_whole(void)
{
    unsigned char in[256];
    size_t n = 0;
    struct awsev_hdrs h = { .n = 0 };
    awsev_hdr_str(&h, ":event-type", "chunk");
    awsev_message(in, &n, &h, "a\0b\xff", 4);
    struct aws_run w = aws_expect(in, n, 0, NULL, 0, false);
    CHECK_INT(w.r.len, strlen("chunk//4:") + 4 + 1);
    CHECK(memcmp(w.r.s + strlen("chunk//4:"), "a\0b\xff", 4) == 0);
    free(w.r.s);
}

static void aws_framing_should_skip_a_message_that_fails_its_crc(void)
{
    unsigned char in[2048];
    size_t n = 0;
    aws_event(in, &n, "a", "{\"n\":1}");
    size_t bad = awsev_message(in, &n, NULL, "{\"n\":2}", 7);
    aws_event(in, &n, "c", "{\"n\":3}");
    in[bad + 12 + 3] ^= 0x20; /* a payload byte */
    struct aws_run w = aws_expect(in, n, 0, "a/event/7:{\"n\":1}\x1e" "c/event/7:{\"n\":3}\x1e", 1, false);
    free(w.r.s);
    /* the message CRC itself damaged */
    in[bad + 12 + 3] ^= 0x20;
    in[bad + 16 + 7 - 1] ^= 1;
    w = aws_expect(in, n, 0, "a/event/7:{\"n\":1}\x1e" "c/event/7:{\"n\":3}\x1e", 1, false);
    free(w.r.s);
}

static void aws_framing_should_stop_at_a_prelude_that_fails_its_crc(void)
{
    unsigned char in[2048];
    size_t n = 0;
    aws_event(in, &n, "a", "{}");
    size_t bad = n;
    aws_event(in, &n, "b", "{}");
    aws_event(in, &n, "c", "{}");
    for (size_t k = 0; k < 12; k++) {
        in[bad + k] ^= 0x10; /* length, header length or the CRC itself */
        struct aws_run w = aws_expect(in, n, 0, "a/event/2:{}\x1e", 1, true);
        free(w.r.s);
        in[bad + k] ^= 0x10;
    }
}

/* A prelude with a sound CRC but lengths no message can have. */
static void aws_framing_should_call_impossible_lengths_corrupt(void)
{
    static const uint32_t lens[][2] = {
        { 0, 0 }, { 15, 0 }, { 16, 1 }, { 40, 25 }, { 17u << 20, 0 }, { 0xFFFFFFFFu, 0 }, { 200000, 140000 },
    };
    for (size_t i = 0; i < TAP_N(lens); i++) {
        unsigned char in[256];
        size_t n = 0;
        aws_event(in, &n, "a", "{}");
        unsigned char *m = in + n;
        awsev_put32(m, lens[i][0]);
        awsev_put32(m + 4, lens[i][1]);
        awsev_put32(m + 8, awsev_crc32(m, 8));
        memset(m + 12, 'x', 64);
        n += 76;
        struct aws_run w = aws_expect(in, n, 0, "a/event/2:{}\x1e", 1, true);
        free(w.r.s);
    }
}

static void aws_framing_should_skip_headers_that_do_not_parse(void)
{
    static const struct {
        const char *b;
        size_t n;
    } bad[] = {
        { "\x01x\x0a", 3 },            /* type 10 does not exist */
        { "\x00", 1 },                 /* an empty name */
        { "\x05:abc", 5 },             /* the name runs past the block */
        { "\x01x", 2 },                /* no type */
        { "\x01x\x04\x00\x00", 5 },    /* an int cut short */
        { "\x01x\x07\x00", 4 },        /* a string length cut short */
        { "\x01x\x07\x00\x05" "abc", 8 }, /* a string past the block */
        { "\x01x\x09" "0123456789", 13 }, /* a uuid cut short */
    };
    for (size_t i = 0; i < TAP_N(bad); i++) {
        unsigned char in[512];
        size_t n = 0;
        struct awsev_hdrs h = { .n = bad[i].n };
        memcpy(h.b, bad[i].b, bad[i].n);
        awsev_message(in, &n, &h, "{}", 2);
        aws_event(in, &n, "next", "{}");
        struct aws_run w = aws_expect(in, n, 0, "next/event/2:{}\x1e", 1, false);
        free(w.r.s);
    }
}

static void aws_framing_should_count_a_message_cut_short(void)
{
    unsigned char in[1024];
    size_t n = 0;
    aws_event(in, &n, "a", "{\"x\":1}");
    size_t one = n;
    aws_event(in, &n, "b", "{\"x\":2}");
    /* every cut inside the second message: in its prelude, a header, the
     * payload, the CRC */
    for (size_t cut = one + 1; cut < n; cut++) {
        struct aws_run w = aws_feed(in, cut, 0, 0, 0);
        CHECK_STR(w.r.s, "a/event/7:{\"x\":1}\x1e");
        CHECK_INT(w.skipped, 1);
        CHECK(!w.corrupt);
        free(w.r.s);
        w = aws_feed(in, cut, 0, 1, 0);
        CHECK_INT(w.skipped, 1);
        free(w.r.s);
    }
    struct aws_run w = aws_feed(in, one, 0, 0, 0);
    CHECK_INT(w.skipped, 0);
    free(w.r.s);
    w = aws_feed(in, 0, 0, 0, 0);
    CHECK_INT(w.frames + w.skipped, 0);
    free(w.r.s);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void aws_framing_should_skip_a_message_over_the_cap(void)
{
    unsigned char in[1024];
    size_t n = 0;
    aws_event(in, &n, "small", "{}");
    char big[300];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    aws_event(in, &n, "big", big);
    aws_event(in, &n, "after", "{}");
    struct aws_run w = aws_expect(in, n, 128, "small/event/2:{}\x1e" "after/event/2:{}\x1e", 1, false);
    free(w.r.s);
    /* a cap below the prelude still reads nothing wrong */
    w = aws_expect(in, n, 1, "", 3, false);
    free(w.r.s);
}

static void aws_framing_should_bound_memory_by_the_largest_message(void)
{
    size_t msg = 4096, count = 2000;
    unsigned char *in = malloc(count * (msg + 256));
    size_t n = 0;
    char *payload = malloc(msg);
    memset(payload, 'p', msg - 1);
    payload[msg - 1] = '\0';
    for (size_t i = 0; i < count; i++)
        aws_event(in, &n, "contentBlockDelta", payload);
    struct rec r = { 0 };
    struct lt_framer f;
    struct lt_frame_sink sink = { aws_rec_frame, &r };
    CHECK(lt_framer_init(&f, LT_FRAMING_AWS_EVENTSTREAM, 0, sink) == LT_OK);
    int64_t base = lt_mem_peak_bytes();
    for (size_t i = 0; i < n; i += 1000)
        lt_framer_feed(&f, (const char *)in + i, n - i < 1000 ? n - i : 1000);
    lt_framer_finish(&f);
    CHECKF(lt_mem_peak_bytes() - base < (int64_t)(3 * msg), "peak %lld", (long long)(lt_mem_peak_bytes() - base));
    CHECK_INT(f.frames, count);
    lt_framer_free(&f);
    CHECK_INT(lt_mem_live_bytes(), 0);
    free(r.s);
    free(payload);
    free(in);
}

static void aws_framing_should_survive_every_failed_allocation(void)
{
    unsigned char in[1024];
    size_t n = 0;
    aws_event(in, &n, "a", "{\"x\":1}");
    aws_event(in, &n, "b", "{\"x\":2}");
    aws_event(in, &n, "c", "{\"x\":3}");
    for (uint64_t k = 1; k < 20; k++) {
        struct rec r = { 0 };
        rec_add(&r, "", 0);
        struct lt_framer f;
        struct lt_frame_sink sink = { aws_rec_frame, &r };
        CHECK(lt_framer_init(&f, LT_FRAMING_AWS_EVENTSTREAM, 0, sink) == LT_OK);
        lt_mem_fail_at(k);
        for (size_t i = 0; i < n; i += 7)
            lt_framer_feed(&f, (const char *)in + i, n - i < 7 ? n - i : 7);
        lt_framer_finish(&f);
        lt_mem_fail_at(0);
        /* a lost message is counted; the boundaries hold: none is corrupt */
        CHECK_INT(f.frames + f.skipped, 3);
        CHECK(!f.corrupt);
        lt_framer_free(&f);
        free(r.s);
        CHECK_INT(lt_mem_live_bytes(), 0);
    }
}

static void framing_should_deliver_one_event_per_blank_line(void)
{
    expect("data: a\n\ndata: b\n\n", "message|a\x1emessage|b\x1e");
}

static void framing_should_join_data_lines_with_newlines(void)
{
    expect("data: a\ndata: b\ndata:\ndata: c\n\n", "message|a\nb\n\nc\x1e");
}

static void framing_should_accept_cr_lf_and_crlf_line_ends(void)
{
    expect("data: 1\r\n\r\ndata: 2\r\rdata: 3\n\ndata: 4\r\ndata: 5\r\n\n", "message|1\x1emessage|2\x1emessage|3\x1emessage|4\n5\x1e");
}

static void framing_should_treat_a_split_crlf_as_one_line_end(void)
{
    /* were CR and LF two line ends, the LF would end the event early */
    const char *in = "data: a\r\ndata: b\r\n\r\n";
    expect(in, "message|a\nb\x1e");
}

static void framing_should_ignore_comments_and_keepalives(void)
{
    expect(": keep-alive\n\n:\n\ndata: x\n: inside\ndata: y\n\n: ping\r\n\r\n", "message|x\ny\x1e");
}

static void framing_should_name_events_and_reset_the_name(void)
{
    expect("event: error\ndata: {\"e\":1}\n\ndata: 2\n\nevent:x\ndata: 3\n\n",
           "error|{\"e\":1}\x1emessage|2\x1ex|3\x1e");
}

static void framing_should_strip_one_space_after_the_colon(void)
{
    expect("data:x\n\ndata:  y\n\ndata\n\n", "message|x\x1emessage| y\x1emessage|\x1e");
}

static void framing_should_ignore_unknown_fields_id_and_retry(void)
{
    expect("id: 7\nretry: 100\nfoo: bar\ndata: d\nbogus\n\n", "message|d\x1e");
}

static void framing_should_not_dispatch_an_event_without_data(void)
{
    expect("event: ping\n\nid: 3\n\ndata: z\n\n", "message|z\x1e");
}

static void framing_should_drop_one_leading_bom(void)
{
    expect("\xEF\xBB\xBF" "data: a\n\n", "message|a\x1e");
    /* a second BOM is text: the field name is then not "data" */
    expect("\xEF\xBB\xBF\xEF\xBB\xBF" "data: a\n\ndata: b\n\n", "message|b\x1e");
    /* a partial BOM is text too */
    expect("\xEF\xBB" "x\ndata: c\n\n", "message|c\x1e");
}

static void framing_should_flush_a_pending_event_at_the_end(void)
{
    expect("data: a\n\ndata: last", "message|a\x1emessage|last\x1e");
    expect("data: a\ndata: b\n", "message|a\nb\x1e");
    expect("data: a\r", "message|a\x1e");
}

static void framing_should_pass_utf8_split_anywhere_unchanged(void)
{
    expect("data: \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 ok\n\n", "message|\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 ok\x1e");
    /* invalid bytes are the provider's business: passed through */
    expect("data: \xFF\xC3\n\n", "message|\xFF\xC3\x1e");
}

static void framing_should_skip_an_oversize_event_and_count_it(void)
{
    const char *in = "data: 0123456789abcdefXYZ\n\ndata: ok\n\ndata: 0123456789\ndata: 0123456789\n\ndata: fine\n\n";
    size_t n = strlen(in);
    for (size_t at = 0; at < n; at++) {
        uint64_t skipped = 0;
        struct rec r = run(in, n, at, 0, 16, &skipped);
        CHECKF(strcmp(r.s, "message|ok\x1emessage|fine\x1e") == 0, "split %zu: %s", at, r.s);
        CHECK_INT(skipped, 2);
        free(r.s);
        r = run(in, n, 0, 1, 16, &skipped);
        CHECK_INT(skipped, 2);
        free(r.s);
    }
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void framing_should_not_skip_an_event_for_a_long_comment(void)
{
    const char *in = ": a comment far longer than the sixteen byte cap\ndata: ok\n\n";
    uint64_t skipped = 1;
    struct rec r = run(in, strlen(in), 0, 3, 16, &skipped);
    CHECK_STR(r.s, "message|ok\x1e");
    CHECK_INT(skipped, 0);
    free(r.s);
}

static void framing_should_bound_memory_on_an_endless_line(void)
{
    size_t chunk = 64 * 1024, total = 32 * 1024 * 1024, cap = 1024 * 1024;
    char *buf = malloc(chunk);
    memset(buf, 'a', chunk);
    memcpy(buf, "data: ", 6);
    struct rec r = { 0 };
    struct lt_framer f;
    struct lt_frame_sink sink = { rec_frame, &r };
    CHECK(lt_framer_init(&f, LT_FRAMING_SSE, cap, sink) == LT_OK);
    int64_t base = lt_mem_peak_bytes();
    for (size_t i = 0; i < total; i += chunk) {
        lt_framer_feed(&f, buf, chunk);
        memset(buf, 'a', 6);
    }
    lt_framer_feed(&f, "\n\ndata: after\n\n", 15);
    lt_framer_finish(&f);
    CHECKF(lt_mem_peak_bytes() - base < (int64_t)(3 * cap), "peak %lld", (long long)(lt_mem_peak_bytes() - base));
    CHECK_INT(f.skipped, 1);
    CHECK_INT(f.frames, 1);
    CHECK_STR(r.s, "message|after\x1e");
    lt_framer_free(&f);
    free(r.s);
    free(buf);
}

static void framing_should_survive_every_failed_allocation(void)
{
    const char *in = "data: first line split\r\ndata: second\n\n: c\nevent: e\ndata: third\n\ndata: tail";
    size_t n = strlen(in);
    for (uint64_t k = 1; k < 40; k++) {
        struct rec r = { 0 };
        rec_add(&r, "", 0);
        struct lt_framer f;
        struct lt_frame_sink sink = { rec_frame, &r };
        CHECK(lt_framer_init(&f, LT_FRAMING_SSE, 0, sink) == LT_OK);
        lt_mem_fail_at(k);
        for (size_t i = 0; i < n; i += 5)
            lt_framer_feed(&f, in + i, n - i < 5 ? n - i : 5);
        lt_framer_finish(&f);
        lt_mem_fail_at(0);
        CHECK(f.frames + f.skipped <= 4);
        lt_framer_free(&f);
        free(r.s);
        CHECK_INT(lt_mem_live_bytes(), 0);
    }
}

static void framing_should_refuse_kinds_it_does_not_know(void)
{
    struct rec r = { 0 };
    struct lt_framer f;
    struct lt_frame_sink sink = { rec_frame, &r };
    CHECK(lt_framer_init(&f, LT_FRAMING_NONE, 0, sink) == LT_ERR_INVALID);
    CHECK(lt_framer_init(&f, LT_FRAMING_COUNT, 0, sink) == LT_ERR_INVALID);
    lt_framer_feed(&f, "data: x\n\n", 9);
    lt_framer_finish(&f);
    lt_framer_free(&f);
    CHECK_INT(r.n, 0);
}

/* ---- NDJSON and JSON array ------------------------------------------------ */

/* As run(), for any kind; every frame recorded as "data" followed by \x1e
 * (these kinds name no event). */
static void rec_data(void *ctx, const struct lt_frame *f)
{
    struct rec *r = ctx;
    CHECK(f->data[f->len] == '\0');
    CHECK(f->event_len == 0 && f->event[0] == '\0' && f->message_type[0] == '\0');
    rec_add(r, f->data, f->len);
    rec_add(r, "\x1e", 1);
    r->n++;
}

static struct rec krun(enum lt_framing kind, const char *in, size_t n, size_t at, size_t step, size_t cap,
                       uint64_t *skipped)
{
    struct rec r = { 0 };
    rec_add(&r, "", 0);
    struct lt_framer f;
    struct lt_frame_sink sink = { rec_data, &r };
    CHECK(lt_framer_init(&f, kind, cap, sink) == LT_OK);
    size_t i = 0;
    if (at) {
        lt_framer_feed(&f, in, at);
        i = at;
    }
    while (i < n) {
        size_t k = step ? step : n - i;
        if (k > n - i)
            k = n - i;
        lt_framer_feed(&f, in + i, k);
        i += k;
    }
    lt_framer_finish(&f);
    if (skipped)
        *skipped = f.skipped;
    CHECK_INT(f.frames, (uint64_t)r.n);
    CHECK_INT(f.bytes, (uint64_t)n);
    lt_framer_free(&f);
    return r;
}

/* The same frames and skip count whole, at every two-way split, at every
 * three-way split of a short input, and byte by byte. */
static void kexpect_n(enum lt_framing kind, const char *in, size_t n, size_t cap, const char *want,
                      uint64_t want_skipped)
{
    uint64_t sk = 0;
    struct rec r = krun(kind, in, n, 0, 0, cap, &sk);
    CHECKF(strcmp(r.s, want) == 0 && sk == want_skipped, "whole: got \"%s\", %llu skipped", r.s,
           (unsigned long long)sk);
    free(r.s);
    for (size_t at = 1; at < n; at++) {
        r = krun(kind, in, n, at, 0, cap, &sk);
        CHECKF(strcmp(r.s, want) == 0 && sk == want_skipped, "split at %zu: got \"%s\", %llu skipped", at, r.s,
               (unsigned long long)sk);
        free(r.s);
        for (size_t step = 1; step < 4 && n < 200; step++) {
            r = krun(kind, in, n, at, step, cap, &sk);
            CHECKF(strcmp(r.s, want) == 0 && sk == want_skipped, "split at %zu then every %zu: got \"%s\"", at,
                   step, r.s);
            free(r.s);
        }
    }
    r = krun(kind, in, n, 0, 1, cap, &sk);
    CHECK_STR(r.s, want);
    CHECK_INT(sk, want_skipped);
    free(r.s);
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void kexpect(enum lt_framing kind, const char *in, const char *want, uint64_t want_skipped)
{
    kexpect_n(kind, in, strlen(in), 0, want, want_skipped);
}

#define ND LT_FRAMING_NDJSON
#define JA LT_FRAMING_JSON_ARRAY

static void ndjson_should_deliver_one_frame_per_line(void)
{
    kexpect(ND, "{\"a\":1}\n{\"b\":2}\n", "{\"a\":1}\x1e{\"b\":2}\x1e", 0);
    /* the last line without its LF is read at the end */
    kexpect(ND, "{\"a\":1}\n{\"done\":true}", "{\"a\":1}\x1e{\"done\":true}\x1e", 0);
    /* a line is passed as it is: what it holds is the provider's business */
    kexpect(ND, " {\"a\": \"x\\n\"} \nnot json\n", " {\"a\": \"x\\n\"} \x1enot json\x1e", 0);
    kexpect(ND, "", "", 0);
}

static void ndjson_should_drop_crlf_and_skip_blank_lines(void)
{
    kexpect(ND, "{\"a\":1}\r\n\r\n\n{\"b\":2}\r\n", "{\"a\":1}\x1e{\"b\":2}\x1e", 0);
    /* blanks-only lines are no frames; a CR inside a line is not a line end */
    kexpect(ND, "  \t\r\n\n{\"a\":\r1}\n \r", "{\"a\":\r1}\x1e", 0);
    /* only the one CR before the LF goes */
    kexpect(ND, "x\r\r\ny\r", "x\r\x1ey\x1e", 0);
}

static void ndjson_should_drop_one_leading_bom(void)
{
    kexpect(ND, "\xEF\xBB\xBF{\"a\":1}\n", "{\"a\":1}\x1e", 0);
    kexpect(ND, "\xEF\xBB{\"a\":1}\n", "\xEF\xBB{\"a\":1}\x1e", 0);
    kexpect(ND, "{\"a\":\"\xEF\xBB\xBF\"}\n", "{\"a\":\"\xEF\xBB\xBF\"}\x1e", 0);
}

static void ndjson_should_pass_utf8_split_anywhere_unchanged(void)
{
    kexpect(ND, "{\"t\":\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"}\n\xFF\xC3\n",
            "{\"t\":\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"}\x1e\xFF\xC3\x1e", 0);
}

static void ndjson_should_skip_an_oversize_line_and_count_it(void)
{
    /* cap 16: a 16-byte line passes (with or without its CR), 17 does not */
    const char *in = "0123456789abcdef\n0123456789abcdefX\nok\n0123456789abcdef\r\n0123456789abcdefX\r\n"
                     "                    \nlast-one-too-long-for-it";
    kexpect_n(ND, in, strlen(in), 16, "0123456789abcdef\x1eok\x1e" "0123456789abcdef\x1e", 3);
}

static void ndjson_should_bound_memory_on_an_endless_line(void)
{
    size_t chunk = 64 * 1024, total = 32 * 1024 * 1024, cap = 1024 * 1024;
    char *buf = malloc(chunk);
    memset(buf, 'a', chunk);
    struct rec r = { 0 };
    struct lt_framer f;
    struct lt_frame_sink sink = { rec_data, &r };
    CHECK(lt_framer_init(&f, ND, cap, sink) == LT_OK);
    int64_t base = lt_mem_peak_bytes();
    for (size_t i = 0; i < total; i += chunk)
        lt_framer_feed(&f, buf, chunk);
    lt_framer_feed(&f, "\n{\"after\":1}\n", 13);
    lt_framer_finish(&f);
    CHECKF(lt_mem_peak_bytes() - base < (int64_t)(3 * cap), "peak %lld", (long long)(lt_mem_peak_bytes() - base));
    CHECK_INT(f.skipped, 1);
    CHECK_INT(f.frames, 1);
    CHECK_STR(r.s, "{\"after\":1}\x1e");
    lt_framer_free(&f);
    free(r.s);
    free(buf);
}

static void json_array_should_deliver_one_frame_per_element(void)
{
    /* Gemini's streamGenerateContent without alt=sse: "\n,\r\n" between elements */
    kexpect(JA, "[{\n  \"a\": 1\n}\n,\r\n{\n  \"b\": [2, 3]\n}\n]",
            "{\n  \"a\": 1\n}\x1e{\n  \"b\": [2, 3]\n}\x1e", 0);
    kexpect(JA, " \r\n[{\"a\":1},{\"b\":2}]\n", "{\"a\":1}\x1e{\"b\":2}\x1e", 0);
    kexpect(JA, "[]", "", 0);
    kexpect(JA, "[ \n ]", "", 0);
    kexpect(JA, "", "", 0);
    kexpect(JA, " \n", "", 0);
    /* stray or missing commas are forgiven */
    kexpect(JA, "[,{\"a\":1},,{\"b\":2}{\"c\":3}]", "{\"a\":1}\x1e{\"b\":2}\x1e{\"c\":3}\x1e", 0);
}

static void json_array_should_keep_brackets_quotes_and_backslashes_inside_strings(void)
{
    kexpect(JA, "[{\"t\":\"a]b}c[d{\"},{\"t\":\"q\\\"]\\\\\"},{\"t\":\"\\\\\"}]",
            "{\"t\":\"a]b}c[d{\"}\x1e{\"t\":\"q\\\"]\\\\\"}\x1e{\"t\":\"\\\\\"}\x1e", 0);
    kexpect(JA, "[{\"t\":\"\\u005d\\/,\"}]", "{\"t\":\"\\u005d\\/,\"}\x1e", 0);
    /* a key with brackets and a comma in it */
    kexpect(JA, "[{\"k],{\":{\"x\":\"}\"}}]", "{\"k],{\":{\"x\":\"}\"}}\x1e", 0);
}

static void json_array_should_deliver_nested_arrays_and_scalars(void)
{
    kexpect(JA, "[[1,[2,[]]], \"s]\\\"\" ,-1.5e3,true ,null,{\"x\":[{}]}]",
            "[1,[2,[]]]\x1e\"s]\\\"\"\x1e-1.5e3\x1etrue\x1enull\x1e{\"x\":[{}]}\x1e", 0);
}

static void json_array_should_ignore_junk_after_the_closing_bracket(void)
{
    kexpect(JA, "[{\"a\":1}]\n,{\"b\":2}]garbage[{\"c\":3}]", "{\"a\":1}\x1e", 0);
    kexpect(JA, "[{\"a\":1}] {", "{\"a\":1}\x1e", 0);
}

static void json_array_should_read_a_bare_value_as_one_element(void)
{
    /* an error answer instead of a stream */
    kexpect(JA, "\n{\"error\":{\"code\":400,\"message\":\"bad [x]\"}}\n{\"more\":1}",
            "{\"error\":{\"code\":400,\"message\":\"bad [x]\"}}\x1e", 0);
    kexpect(JA, "\"just a string\" tail", "\"just a string\"\x1e", 0);
}

static void json_array_should_drop_one_leading_bom(void)
{
    kexpect(JA, "\xEF\xBB\xBF[{\"a\":1}]", "{\"a\":1}\x1e", 0);
    /* a partial BOM is text: a bare value that is not JSON, up to a terminator */
    kexpect(JA, "\xEF\xBB[{\"a\":1}]", "\xEF\xBB[{\"a\":1\x1e", 0);
}

static void json_array_should_skip_a_truncated_final_element(void)
{
    const char *cuts[] = {
        "[{\"a\":1},\r\n{\"b\":",                /* inside an object */
        "[{\"a\":1},\r\n{\"b\":\"x]",            /* inside a string */
        "[{\"a\":1},\r\n{\"b\":\"x\\",           /* right after a backslash */
        "[{\"a\":1},\r\n{\"b\":\"\xE2\x82",      /* inside a UTF-8 sequence */
        "[{\"a\":1},\r\n[1,[2]",                 /* inside a nested array */
        "[{\"a\":1},\r\n12",                     /* a number may be cut as well */
        "[{\"a\":1},\r\ntru",
    };
    for (size_t i = 0; i < TAP_N(cuts); i++)
        kexpect(JA, cuts[i], "{\"a\":1}\x1e", 1);
    /* cut between elements: nothing is lost */
    kexpect(JA, "[{\"a\":1}\n,\r\n", "{\"a\":1}\x1e", 0);
    kexpect(JA, "[{\"a\":1}", "{\"a\":1}\x1e", 0);
    kexpect(JA, "[", "", 0);
}

static void json_array_should_pass_utf8_split_anywhere_unchanged(void)
{
    kexpect(JA, "[{\"t\":\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80]\"},{\"u\":\"\xFF\"}]",
            "{\"t\":\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80]\"}\x1e{\"u\":\"\xFF\"}\x1e", 0);
}

static void json_array_should_skip_an_oversize_element_and_count_it(void)
{
    /* cap 16: {"t":"0123456789"} is 18 bytes, {"t":"01234567"} 16 */
    const char *in = "[{\"t\":\"0123456789\"},{\"t\":\"01234567\"},[\"]]]]]]]]]]]]]]]]\"],1]";
    kexpect_n(JA, in, strlen(in), 16, "{\"t\":\"01234567\"}\x1e" "1\x1e", 2);
}

static void json_array_should_bound_memory_on_an_endless_element(void)
{
    size_t chunk = 64 * 1024, total = 32 * 1024 * 1024, cap = 1024 * 1024;
    char *buf = malloc(chunk);
    memset(buf, '[', chunk);
    struct rec r = { 0 };
    struct lt_framer f;
    struct lt_frame_sink sink = { rec_data, &r };
    CHECK(lt_framer_init(&f, JA, cap, sink) == LT_OK);
    int64_t base = lt_mem_peak_bytes();
    lt_framer_feed(&f, "[{\"a\":1},", 9);
    for (size_t i = 0; i < total; i += chunk)
        lt_framer_feed(&f, buf, chunk);
    lt_framer_finish(&f);
    CHECKF(lt_mem_peak_bytes() - base < (int64_t)(3 * cap), "peak %lld", (long long)(lt_mem_peak_bytes() - base));
    CHECK_INT(f.skipped, 1);
    CHECK_INT(f.frames, 1);
    CHECK_STR(r.s, "{\"a\":1}\x1e");
    lt_framer_free(&f);
    free(r.s);
    free(buf);
}

static void text_framers_should_survive_every_failed_allocation(void)
{
    const struct {
        enum lt_framing kind;
        const char *in;
    } t[] = {
        { ND, "{\"a\":\"first line split\"}\r\n\n{\"b\":2}\n{\"tail\":true}" },
        { JA, "[{\"a\":\"first [element] split\"}\n,\r\n{\"b\":2}\n,\r\n{\"cut\":" },
    };
    for (size_t c = 0; c < TAP_N(t); c++) {
        size_t n = strlen(t[c].in);
        for (uint64_t k = 1; k < 40; k++) {
            struct rec r = { 0 };
            rec_add(&r, "", 0);
            struct lt_framer f;
            struct lt_frame_sink sink = { rec_data, &r };
            CHECK(lt_framer_init(&f, t[c].kind, 0, sink) == LT_OK);
            lt_mem_fail_at(k);
            for (size_t i = 0; i < n; i += 5)
                lt_framer_feed(&f, t[c].in + i, n - i < 5 ? n - i : 5);
            lt_framer_finish(&f);
            lt_mem_fail_at(0);
            CHECK(f.frames + f.skipped == 3);
            lt_framer_free(&f);
            free(r.s);
            CHECK_INT(lt_mem_live_bytes(), 0);
        }
    }
}

static const struct tap_case cases[] = {
    TAP(aws_framing_should_check_crc32_against_known_values),
    TAP(aws_framing_should_read_the_recorded_stream_split_at_every_byte),
    TAP(aws_framing_should_read_every_header_type),
    TAP(aws_framing_should_name_exceptions_and_errors),
    TAP(aws_framing_should_pass_binary_payloads_whole),
    TAP(aws_framing_should_skip_a_message_that_fails_its_crc),
    TAP(aws_framing_should_stop_at_a_prelude_that_fails_its_crc),
    TAP(aws_framing_should_call_impossible_lengths_corrupt),
    TAP(aws_framing_should_skip_headers_that_do_not_parse),
    TAP(aws_framing_should_count_a_message_cut_short),
    TAP(aws_framing_should_skip_a_message_over_the_cap),
    TAP(aws_framing_should_bound_memory_by_the_largest_message),
    TAP(aws_framing_should_survive_every_failed_allocation),
    TAP(framing_should_deliver_one_event_per_blank_line),
    TAP(framing_should_join_data_lines_with_newlines),
    TAP(framing_should_accept_cr_lf_and_crlf_line_ends),
    TAP(framing_should_treat_a_split_crlf_as_one_line_end),
    TAP(framing_should_ignore_comments_and_keepalives),
    TAP(framing_should_name_events_and_reset_the_name),
    TAP(framing_should_strip_one_space_after_the_colon),
    TAP(framing_should_ignore_unknown_fields_id_and_retry),
    TAP(framing_should_not_dispatch_an_event_without_data),
    TAP(framing_should_drop_one_leading_bom),
    TAP(framing_should_flush_a_pending_event_at_the_end),
    TAP(framing_should_pass_utf8_split_anywhere_unchanged),
    TAP(framing_should_skip_an_oversize_event_and_count_it),
    TAP(framing_should_not_skip_an_event_for_a_long_comment),
    TAP(framing_should_bound_memory_on_an_endless_line),
    TAP(framing_should_survive_every_failed_allocation),
    TAP(framing_should_refuse_kinds_it_does_not_know),
    TAP(ndjson_should_deliver_one_frame_per_line),
    TAP(ndjson_should_drop_crlf_and_skip_blank_lines),
    TAP(ndjson_should_drop_one_leading_bom),
    TAP(ndjson_should_pass_utf8_split_anywhere_unchanged),
    TAP(ndjson_should_skip_an_oversize_line_and_count_it),
    TAP(ndjson_should_bound_memory_on_an_endless_line),
    TAP(json_array_should_deliver_one_frame_per_element),
    TAP(json_array_should_keep_brackets_quotes_and_backslashes_inside_strings),
    TAP(json_array_should_deliver_nested_arrays_and_scalars),
    TAP(json_array_should_ignore_junk_after_the_closing_bracket),
    TAP(json_array_should_read_a_bare_value_as_one_element),
    TAP(json_array_should_drop_one_leading_bom),
    TAP(json_array_should_skip_a_truncated_final_element),
    TAP(json_array_should_pass_utf8_split_anywhere_unchanged),
    TAP(json_array_should_skip_an_oversize_element_and_count_it),
    TAP(json_array_should_bound_memory_on_an_endless_element),
    TAP(text_framers_should_survive_every_failed_allocation),
};

int main(int argc, char **argv)
{
    return tap_main(argc, argv, cases, TAP_N(cases));
}
