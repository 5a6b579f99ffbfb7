/* test_framing.c — the SSE framer against the WHATWG event-stream rules,
 * fed whole, split at every byte and one byte at a time; bounded memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../providers/framing.h"
#include "../../shim/mem.h"
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

static const struct tap_case cases[] = {
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
};

int main(int argc, char **argv)
{
    return tap_main(argc, argv, cases, TAP_N(cases));
}
