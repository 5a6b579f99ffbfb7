/* fuzz_gen.h — the standard differential run every provider fuzz target
 * makes: its input layout, the response parsed whole and in pieces, the two
 * generations compared field by field (gen_differ, tests/lib/gen.c), and
 * what must hold of any generation. This header defines the entry point,
 * LLVMFuzzerTestOneInput; a target defines fuzz_target, which chooses the
 * API, URL, provider, status and Content-Type from the flags, calls
 * fuzz_run (or fuzz_differential, then checks of its own). Aborts on any
 * difference, as libFuzzer expects.
 *
 * Input: byte 0 flags (the target's meaning), byte 1 split seed, byte 2
 * largest piece - 1; then the request body up to the first 0xFF byte (none:
 * no request), then the response.
 */
#ifndef LT_FUZZ_GEN_H
#define LT_FUZZ_GEN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../providers/provider.h"
#include "../../shim/json.h"
#include "../lib/gen.h"
#include "fuzz.h"

#ifndef FUZZ_NAME
#define FUZZ_NAME "?"
#endif

/* One input, split into its parts (pointers into the input). */
struct fuzz_input {
    unsigned flags;
    struct fuzz_split split;
    const uint8_t *data;   /* everything after the prefix: a key found here may be echoed */
    size_t size;
    const char *req;       /* NULL without a 0xFF */
    size_t req_len;
    const uint8_t *resp;   /* a target may point it at a mended copy */
    size_t resp_len;
};

/* Extra checks a target asks of fuzz_differential. */
#define FUZZ_CHECK_JSON 1u /* params_json, input_json, output_json parse as JSON */

/* Loads cJSON once (aborts without it) and reads the prefix; false when
 * the input is too short to hold one. */
static bool fuzz_input_read(const uint8_t *data, size_t size, struct fuzz_input *in)
{
    static int loaded;
    if (!loaded) {
        if (lt_json_load() != LT_OK)
            abort();
        loaded = 1;
    }
    if (size < 3)
        return false;
    in->flags = data[0];
    in->split = (struct fuzz_split){ data[1], (size_t)data[2] + 1 };
    in->data = data + 3;
    in->size = size - 3;
    const uint8_t *sep = memchr(in->data, 0xFF, in->size);
    in->req = sep ? (const char *)in->data : NULL;
    in->req_len = sep ? (size_t)(sep - in->data) : 0;
    in->resp = sep ? sep + 1 : in->data;
    in->resp_len = in->size - (size_t)(in->resp - in->data);
    return true;
}

/* One parse of resp: whole (split NULL) or in the pieces split draws. *g is
 * zeroed first; the caller frees it whatever the result. */
static enum lt_rc fuzz_parse(const struct lt_parse_in *in, const uint8_t *resp, size_t n, struct fuzz_split *split,
                             bool complete, struct lt_generation *g)
{
    struct lt_parser *p = NULL;
    memset(g, 0, sizeof *g);
    enum lt_rc rc = lt_parser_new(in, &p);
    if (rc != LT_OK)
        return rc;
    size_t off = 0;
    while (off < n) {
        size_t k = split ? fuzz_next_chunk(split) : n - off;
        if (k > n - off)
            k = n - off;
        lt_parser_feed(p, (const char *)resp + off, k);
        off += k;
    }
    rc = lt_parser_finish(p, complete, g);
    lt_parser_free(p);
    return rc;
}

/* Aborts unless a and b agree on the fields `what` names (GEN_ALL, ...). */
static void fuzz_compare(const char *how, const struct lt_generation *a, const struct lt_generation *b, unsigned what)
{
    char why[800];
    if (!gen_differ(a, b, what, why, sizeof why))
        return;
    fprintf(stderr, "fuzz_%s: differs %s: %s\n", FUZZ_NAME, how, why);
    abort();
}

static void fuzz_check_json(const char *what, const char *s)
{
    if (!s)
        return;
    cJSON *j = lt_cj.ParseWithLength(s, strlen(s));
    if (!j) {
        fprintf(stderr, "fuzz_%s: %s is not JSON: %.300s\n", FUZZ_NAME, what, s);
        abort();
    }
    lt_cj.Delete(j);
}

static void fuzz_check_no_key(const char *what, const char *s, const char *key)
{
    if (s && strstr(s, key)) {
        fprintf(stderr, "fuzz_%s: the URL's key reached %s: %.300s\n", FUZZ_NAME, what, s);
        abort();
    }
}

/* No count is negative. */
static void fuzz_check_counts(const struct lt_generation *g)
{
    for (int i = 0; i < g->n_usage; i++)
        if (g->usage[i].value < 0) {
            fprintf(stderr, "fuzz_%s: usage %s = %lld\n", FUZZ_NAME, g->usage[i].key, g->usage[i].value);
            abort();
        }
    if (g->n_embeddings < 0)
        abort();
}

/* What must hold of any generation: no negative count, and the URL's key
 * nowhere in it unless the input itself holds the key (the fuzzer can
 * learn it). */
static void fuzz_check(const struct fuzz_input *fi, const struct lt_generation *g, const char *key, unsigned checks)
{
    fuzz_check_counts(g);
    if (checks & FUZZ_CHECK_JSON) {
        fuzz_check_json("output_json", g->output_json);
        fuzz_check_json("input_json", g->input_json);
        fuzz_check_json("params_json", g->params_json);
    }
    if (memmem(fi->data, fi->size, key, strlen(key)))
        return;
    fuzz_check_no_key("model", g->model, key);
    fuzz_check_no_key("request_model", g->request_model, key);
    fuzz_check_no_key("status_message", g->status_message, key);
    fuzz_check_no_key("params_json", g->params_json, key);
    fuzz_check_no_key("input_json", g->input_json, key);
    fuzz_check_no_key("output_json", g->output_json, key);
    fuzz_check_no_key("output_text", g->output_text, key);
    for (int i = 0; i < g->n_meta; i++)
        fuzz_check_no_key(g->meta[i].key, g->meta[i].value, key);
}

/* The standard run: fi's response parsed whole into *whole and in fi's
 * pieces; the results must be equal (rc, and every field when LT_OK), and
 * the whole one must pass fuzz_check. Returns the rc; the caller frees
 * *whole whatever it is. */
static enum lt_rc fuzz_differential(const struct fuzz_input *fi, const struct lt_parse_in *in, bool complete,
                                    const char *key, unsigned checks, struct lt_generation *whole)
{
    struct fuzz_split split = fi->split;
    struct lt_generation parts;
    enum lt_rc ra = fuzz_parse(in, fi->resp, fi->resp_len, NULL, complete, whole);
    enum lt_rc rb = fuzz_parse(in, fi->resp, fi->resp_len, &split, complete, &parts);
    if (ra != rb) {
        fprintf(stderr, "fuzz_%s: rc %d whole, %d split\n", FUZZ_NAME, (int)ra, (int)rb);
        abort();
    }
    if (ra == LT_OK) {
        fuzz_compare("when split", whole, &parts, GEN_ALL);
        fuzz_check(fi, whole, key, checks);
    }
    lt_generation_free(&parts);
    return ra;
}

/* fuzz_differential, and nothing else to check. */
static inline void fuzz_run(const struct fuzz_input *fi, const struct lt_parse_in *in, bool complete, const char *key,
                            unsigned checks)
{
    struct lt_generation g;
    fuzz_differential(fi, in, complete, key, checks, &g);
    lt_generation_free(&g);
}

/* What the target does with one input (it may point fi->resp elsewhere). */
static void fuzz_target(struct fuzz_input *fi);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input fi;
    if (fuzz_input_read(data, size, &fi))
        fuzz_target(&fi);
    return 0;
}

#endif
