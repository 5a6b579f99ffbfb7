/* fuzz_pricing.c — the price table loader and the cost on arbitrary tables.
 * Byte 0: flags (bit 0: the rest is a shipped table rather than a user file
 * next to the embedded one; bit 1: usage over the large-context thresholds;
 * bit 2: model parameters asking for flex; bit 3: upper-case the names;
 * bits 4-7: which name is priced again; bit 4 also: build the index of a
 * shipped text; bit 5 also: price "gpt-4o"; bit 6: price that name again on
 * a fresh table; bit 7: a user file goes next to the embedded table, else
 * next to a small one). The rest: the table text (at most 16 KiB). For the first rows' names, a
 * few variants of them and "gpt-4o", a cost must be well-formed (finite,
 * non-negative amounts whose text reads back as the same double, one total
 * item, JSON the scanner accepts) and, with bit 6, the same bit for bit on
 * a fresh table (the cold path) as on the table that has seen the other
 * names (the cached path). Abort on any difference. */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../providers/jscan.h"
#include "../../providers/pricing.h"
#include "../../shim/buf.h"
#include "fuzz.h"

#define FUZZ_MAX (16 << 10)

#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif
#ifdef FUZZ_ASAN
/* glibc's regcomp makes many small allocations: recording 30 frames for
 * each was a third of the time; 8 still say where a leak comes from. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "malloc_context_size=8";
}
#endif

static void fuzz_fail(const char *what, const char *name)
{
    fprintf(stderr, "fuzz_pricing: %s (model %.200s)\n", what, name);
    abort();
}

/* The shipped table under a user file, when not the embedded one (which
 * costs 167 rows a table): a few rows shaped like Langfuse's. */
static const char fuzz_small[] =
    "{\"models\":[{\"modelName\":\"gpt-4o\",\"matchPattern\":\"(?i)^(openai/)?(gpt-4o)$\",\"pricingTiers\":["
    "{\"name\":\"Standard\",\"isDefault\":true,\"priority\":0,\"conditions\":[],\"prices\":{\"input\":2.5e-06,"
    "\"input_cached_tokens\":1.25e-06,\"output\":1e-05}},{\"name\":\"Fast mode\",\"isDefault\":false,\"priority\":1,"
    "\"conditions\":[{\"source\":\"model_parameters\",\"key\":\"service_tier\",\"operator\":\"in\",\"values\":"
    "[\"fast\",\"priority\"]}],\"prices\":{\"input\":4.25e-06,\"output\":1.7e-05}}]},"
    "{\"modelName\":\"gpt-5.4\",\"matchPattern\":\"(?i)^(openai\\\\/)?(gpt-5.4)$\",\"pricingTiers\":["
    "{\"name\":\"Standard\",\"isDefault\":true,\"priority\":0,\"conditions\":[],\"prices\":{\"input\":2.5e-06}},"
    "{\"name\":\"Large\",\"isDefault\":false,\"priority\":1,\"conditions\":[{\"usageDetailPattern\":\"(input)\","
    "\"operator\":\"gt\",\"value\":272000,\"caseSensitive\":false}],\"prices\":{\"input\":5e-06}}]},"
    "{\"modelName\":\"claude-3-opus-20240229\",\"matchPattern\":\"(?i)^(anthropic/)?(claude-3-opus-20240229|"
    "(eu\\\\.|us\\\\.)?anthropic\\\\.claude-3-opus-20240229-v1:0)$\",\"pricingTiers\":[{\"name\":\"Standard\","
    "\"isDefault\":true,\"priority\":0,\"conditions\":[],\"prices\":{\"input\":1.5e-05,\"output\":7.5e-05}}]}]}";

static struct lt_pricing *fuzz_table(const char *text, size_t n, bool shipped, bool embedded)
{
    struct lt_pricing *p = NULL;
    char why[256];
    enum lt_rc rc = shipped    ? lt_pricing_new(text, n, NULL, 0, &p, why, sizeof why)
                    : embedded ? lt_pricing_new(NULL, 0, text, n, &p, why, sizeof why)
                               : lt_pricing_new(fuzz_small, sizeof fuzz_small - 1, text, n, &p, why, sizeof why);
    if (rc != LT_OK && p)
        fuzz_fail("a failed load returned a table", "");
    if (!shipped && rc != LT_OK && rc != LT_ERR_NOMEM)
        fuzz_fail("a bad user file lost the shipped table", "");
    return p;
}

static void fuzz_check(const struct lt_pricing_cost *c, const char *name)
{
    if (c->n < 1 || c->n > LT_PRICING_ITEMS_MAX || !c->model || !c->tier || !c->total_text)
        fuzz_fail("malformed cost", name);
    int totals = 0;
    for (int i = 0; i < c->n; i++) {
        const struct lt_pricing_item *it = &c->item[i];
        if (!(it->usd >= 0) || it->usd > DBL_MAX || strtod(it->text, NULL) != it->usd)
            fuzz_fail("an amount is negative, not finite or its text reads back differently", name);
        if (!strcmp(it->key, "total")) {
            totals++;
            if (it->usd != c->total)
                fuzz_fail("the total item is not the total", name);
        }
    }
    if (totals != 1 || strtod(c->total_text, NULL) != c->total)
        fuzz_fail("not exactly one total item", name);
    char js[4096];
    size_t n = lt_pricing_json(c, js, sizeof js);
    struct lt_jscan s;
    struct lt_jscan_val v;
    lt_jscan_init(&s, js, n);
    if (!n || lt_jscan_value(&s, &v) != LT_JSCAN_OBJECT || !lt_jscan_skip(&s, &v) || !lt_jscan_end(&s))
        fuzz_fail("cost JSON is not JSON", name);
}

static void fuzz_same(const struct lt_pricing_cost *a, bool ra, const struct lt_pricing_cost *b, bool rb,
                      const char *name)
{
    if (ra != rb)
        fuzz_fail("cold and cached tables disagree on whether there is a cost", name);
    if (!ra)
        return;
    if (strcmp(a->model, b->model) || strcmp(a->tier, b->tier) || a->n != b->n || a->total != b->total)
        fuzz_fail("cold and cached tables disagree on the cost", name);
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->item[i].key, b->item[i].key) || strcmp(a->item[i].text, b->item[i].text))
            fuzz_fail("cold and cached tables disagree on an item", name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > FUZZ_MAX)
        return 0;
    unsigned flags = data[0];
    const char *text = (const char *)data + 1;
    size_t n = size - 1;
    bool shipped = flags & 1;

    bool embedded = flags & 128;
    struct lt_pricing *warm = fuzz_table(text, n, shipped, embedded);
    if (!warm)
        return 0;

    struct lt_usage usage[6] = { { "input", 100 }, { "output", 50 }, { "input_cached_tokens", 7 },
                                 { "output_reasoning_tokens", 3 }, { "total", 160 }, { "promptTokenCount", 1 } };
    if (flags & 2) {
        usage[0].value = 272001;
        usage[5].value = 200001;
    }
    const char *params = flags & 4 ? "{\"service_tier\":\"flex\",\"speed\":\"fast\",\"n\":2.50,\"stream\":true}"
                                   : "{\"service_tier\":\"priority\",\"temperature\":0}";

    /* the names: the first rows', variants of them, one shipped name */
    char names[10][300];
    int nn = 0;
    for (int i = 0; i < lt_pricing_rows(warm) && nn < 3; i++) {
        const char *r = lt_pricing_row_name(warm, i);
        snprintf(names[nn++], sizeof names[0], "%s", r);
        snprintf(names[nn++], sizeof names[0], "openai/%s", r);
        snprintf(names[nn++], sizeof names[0], "%s-x", r);
    }
    if ((flags & 32) || nn == 0)
        snprintf(names[nn++], sizeof names[0], "gpt-4o"); /* a shipped row: regcomp, tiers */
    if (flags & 8)
        for (int i = 0; i < nn; i++)
            for (char *q = names[i]; *q; q++)
                *q = (char)(*q >= 'a' && *q <= 'z' ? *q - 32 : *q);

    struct lt_pricing_cost a[10], b;
    bool ra[10];
    for (int i = 0; i < nn; i++) {
        ra[i] = lt_pricing_compute(warm, names[i], usage, 6, params, &a[i]);
        if (ra[i])
            fuzz_check(&a[i], names[i]);
        else if (a[i].n != 0)
            fuzz_fail("no cost but items", names[i]);
    }
    /* one name again on a fresh table: the cold path gives what the warm one gave */
    int k = (int)(flags >> 4) % nn;
    struct lt_pricing *cold = flags & 64 ? fuzz_table(text, n, shipped, embedded) : NULL;
    if (cold) {
        bool rb = lt_pricing_compute(cold, names[k], usage, 6, params, &b);
        fuzz_same(&a[k], ra[k], &b, rb, names[k]);
        lt_pricing_free(cold);
    }
    lt_pricing_free(warm);

    if (shipped && (flags & 16)) {
        /* the build-time index of the same text, when it is a table */
        struct lt_buf out;
        char why[256];
        lt_buf_init(&out, 0);
        lt_pricing_index(text, n, &out, why, sizeof why);
        lt_buf_free(&out);
    }
    return 0;
}
