/* test_pricing.c — client-side cost (providers/pricing.c) against Langfuse's
 * rules: every row and every tier of the shipped table priced with usage
 * built to satisfy that tier's conditions and checked against a cost
 * computed here independently (the JSON read with cJSON, tiers chosen by
 * their conditions, prices × units); tier thresholds, service_tier,
 * provider prefixes and case, unknown models, user rows (override,
 * addition, flat prices, startDate, malformed files, patterns that cannot
 * be run exactly), real fixtures' usage, the embedded index, allocation
 * failures, the span attributes per destination (validate-otlp --strict),
 * and the cost per generation.
 *
 *   test_pricing --compute   reads JSON lines {"model","usage","params"} on
 *                            stdin, prints {"model","tier","cost"} per line
 *                            (tests/integration/test_pricing.py compares
 *                            this with Langfuse's algorithm in Python)
 */
#include <dirent.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../providers/pricing.h"
#include "../../shim/buf.h"
#include "../../shim/event.h"
#include "../../shim/json.h"
#include "../../shim/mem.h"
#include "../lib/tap.h"

#define VALIDATOR LLMTAP_ROOT "/../shared/langfuse/validate-otlp"
#define PYTHON "/usr/bin/python3"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TEST_SANITIZED 1
#endif

/* ------------------------------------------------------------ helpers */

static struct lt_pricing *shipped(void)
{
    struct lt_pricing *p = NULL;
    char why[256];
    CHECK_INT(lt_pricing_new(NULL, 0, NULL, 0, &p, why, sizeof why), LT_OK);
    CHECKF(!why[0], "why: %s", why);
    return p;
}

static struct lt_pricing *with_user(const char *user, char *why, size_t whyn)
{
    struct lt_pricing *p = NULL;
    CHECK_INT(lt_pricing_new(NULL, 0, user, strlen(user), &p, why, whyn), LT_OK);
    return p;
}

struct usage {
    int n;
    struct lt_usage u[LT_USAGE_MAX];
};

static void put(struct usage *u, const char *key, long long v)
{
    for (int i = 0; i < u->n; i++)
        if (!strcmp(u->u[i].key, key)) {
            u->u[i].value = v;
            return;
        }
    CHECK(u->n < LT_USAGE_MAX);
    snprintf(u->u[u->n].key, LT_USAGE_KEY_MAX, "%s", key);
    u->u[u->n++].value = v;
}

static bool cost_of(struct lt_pricing *p, const char *model, const struct usage *u, const char *params,
                    struct lt_pricing_cost *c)
{
    return lt_pricing_compute(p, model, u->u, u->n, params, c);
}

static const struct lt_pricing_item *item(const struct lt_pricing_cost *c, const char *key)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->item[i].key, key))
            return &c->item[i];
    return NULL;
}

/* The text of a cost item; the case fails when there is none. */
static const char *itext(const struct lt_pricing_cost *c, const char *key)
{
    const struct lt_pricing_item *it = item(c, key);
    CHECKF(it != NULL, "no cost item %s", key);
    return it->text;
}

static bool near(double a, double b)
{
    double d = a > b ? a - b : b - a, m = a > b ? a : b; /* both >= 0 */
    return a == b || d <= 1e-12 * m;
}

static cJSON *parse(const char *s, size_t n)
{
    CHECK_INT(lt_json_load(), LT_OK);
    cJSON *o = lt_cj.ParseWithLength(s, n);
    CHECK(o != NULL);
    return o;
}

static const cJSON *get(const cJSON *o, const char *k)
{
    return lt_cj.GetObjectItemCaseSensitive(o, k);
}

static bool is(const cJSON *x, int type)
{
    return x && (x->type & 0xFF) == type;
}

/* The shipped table read independently of pricing.c. */
static cJSON *table_json(void)
{
    size_t n;
    const char *t = lt_pricing_shipped(&n);
    CHECK(t && n > 1000);
    cJSON *o = parse(t, n);
    const cJSON *src = get(o, "source");
    CHECK(is(get(src, "commit"), cJSON_String) && is(get(src, "date"), cJSON_String));
    CHECK_STR(get(src, "repo")->valuestring, "langfuse/langfuse");
    return o;
}

/* A name each row's own pattern matches, for the rows whose modelName is
 * not one (Langfuse names them differently from what the APIs return). */
static const struct { const char *row, *name; } samples[] = {
    { "gpt-4-turbo-vision", "gpt-4-vision-preview" },
    { "ft:gpt-3.5-turbo-1106", "ft:gpt-3.5-turbo-1106:acme::run-1" },
    { "ft:gpt-3.5-turbo-0613", "ft:gpt-3.5-turbo-0613:acme:team:run-1" },
    { "ft:davinci-002", "ft:davinci-002:acme::run-1" },
    { "ft:babbage-002", "ft:babbage-002:acme::run-1" },
    { "claude-3.5-sonnet-20241022", "claude-3-5-sonnet-20241022" },
    { "claude-3.5-sonnet-latest", "claude-3-5-sonnet-latest" },
    { "claude-3.5-haiku-latest", "claude-3-5-haiku-latest" },
    { "claude-3.7-sonnet-latest", "claude-3-7-sonnet-latest" },
};

static const char *sample_name(const char *row)
{
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
        if (!strcmp(samples[i].row, row))
            return samples[i].name;
    return row;
}

/* usageDetailPattern of the shipped table: "(a|b|c)", i.e. the key contains
 * one of the words (case-insensitively unless caseSensitive). Read here
 * without any regex engine. */
static bool key_matches(const char *pattern, bool case_sensitive, const char *key)
{
    size_t n = strlen(pattern);
    char w[256];
    CHECK(n < sizeof w);
    memcpy(w, pattern + 1, n > 2 ? n - 2 : 0);
    w[n > 2 ? n - 2 : 0] = '\0';
    CHECKF(n > 2 && pattern[0] == '(' && pattern[n - 1] == ')' && !strpbrk(w, "()[]\\.*+?{}^$"),
           "pattern %s is not a plain alternation: extend this test", pattern);
    const char *p = pattern + 1;
    while (p < pattern + n - 1) {
        size_t l = strcspn(p, "|)");
        memcpy(w, p, l);
        w[l] = '\0';
        if (case_sensitive ? strstr(key, w) != NULL : strcasestr(key, w) != NULL)
            return true;
        p += l + 1;
    }
    return false;
}

struct eu { /* the usage as the server holds it: provided + total */
    int n;
    const char *key[LT_USAGE_MAX + 1];
    double v[LT_USAGE_MAX + 1];
};

static void expand(const struct usage *u, struct eu *e)
{
    double sum = 0;
    bool total = false;
    e->n = 0;
    for (int i = 0; i < u->n; i++) {
        e->key[e->n] = u->u[i].key;
        e->v[e->n++] = (double)u->u[i].value;
        sum += (double)u->u[i].value;
        total = total || !strcmp(u->u[i].key, "total");
    }
    if (!total) {
        e->key[e->n] = "total";
        e->v[e->n++] = sum;
    }
}

static bool cond_true(const cJSON *cd, const struct eu *e, const cJSON *params)
{
    const cJSON *src = get(cd, "source");
    if (src) {
        const cJSON *v = get(params, get(cd, "key")->valuestring);
        if (!is(v, cJSON_String))
            return false;
        const cJSON *x;
        for (x = get(cd, "values")->child; x; x = x->next)
            if (!strcmp(x->valuestring, v->valuestring))
                return true;
        return false;
    }
    const cJSON *cs = get(cd, "caseSensitive");
    double sum = 0;
    for (int i = 0; i < e->n; i++)
        if (key_matches(get(cd, "usageDetailPattern")->valuestring, is(cs, cJSON_True), e->key[i]))
            sum += e->v[i];
    const char *op = get(cd, "operator")->valuestring;
    double val = get(cd, "value")->valuedouble;
    return !strcmp(op, "gt") ? sum > val : !strcmp(op, "gte") ? sum >= val : !strcmp(op, "lt") ? sum < val
         : !strcmp(op, "lte") ? sum <= val : !strcmp(op, "eq") ? sum == val : sum != val;
}

/* matcher.ts, re-read: non-default tiers by priority, all conditions, else default. */
static const cJSON *expected_tier(const cJSON *row, const struct eu *e, const cJSON *params)
{
    const cJSON *tiers = get(row, "pricingTiers"), *t, *best = NULL, *def = NULL;
    for (t = tiers->child; t; t = t->next)
        if (is(get(t, "isDefault"), cJSON_True))
            def = t;
    for (int prio = 0; prio < 1000 && !best; prio++)
        for (t = tiers->child; t; t = t->next) {
            if (is(get(t, "isDefault"), cJSON_True) || get(t, "priority")->valuedouble != prio)
                continue;
            const cJSON *cs = get(t, "conditions"), *cd;
            bool all = cs->child != NULL;
            for (cd = cs->child; cd && all; cd = cd->next)
                all = cond_true(cd, e, params);
            if (all)
                best = t;
        }
    return best ? best : def;
}

/* Checks c against the tier's prices × units (the server's arithmetic). */
static void check_cost(const cJSON *tier, const struct eu *e, const struct lt_pricing_cost *c, const char *what)
{
    const cJSON *prices = get(tier, "prices");
    int k = 0;
    double total = 0;
    bool priced_total = false;
    for (int i = 0; i < e->n; i++) {
        const cJSON *pr = get(prices, e->key[i]);
        if (!pr)
            continue;
        double want = pr->valuedouble * e->v[i];
        CHECKF(k < c->n && !strcmp(c->item[k].key, e->key[i]), "%s: item %d is %s, want %s", what, k,
               k < c->n ? c->item[k].key : "(none)", e->key[i]);
        CHECKF(near(c->item[k].usd, want), "%s: %s = %.17g, want %.17g", what, e->key[i], c->item[k].usd, want);
        /* the text reads back as the same double */
        CHECKF(strtod(c->item[k].text, NULL) == c->item[k].usd, "%s: text %s", what, c->item[k].text);
        if (!strcmp(e->key[i], "total")) {
            priced_total = true;
            total = c->item[k].usd;
        } else if (!priced_total) {
            total += c->item[k].usd;
        }
        k++;
    }
    CHECKF(k > 0, "%s: nothing priced", what);
    if (!priced_total) {
        CHECKF(c->n == k + 1 && !strcmp(c->item[k].key, "total"), "%s: %d items, want %d + total", what, c->n, k);
        total = 0;
        for (int i = 0; i < k; i++)
            total += c->item[i].usd;
    } else {
        CHECKF(c->n == k, "%s: %d items, want %d", what, c->n, k);
    }
    CHECKF(c->total == total, "%s: total %.17g, want %.17g", what, c->total, total);
    CHECKF(strtod(c->total_text, NULL) == c->total, "%s: total text %s", what, c->total_text);
}

/* ------------------------------------------------------------ the shipped table */

static void pricing_should_price_every_row_and_tier_of_the_shipped_table(void)
{
    cJSON *t = table_json();
    struct lt_pricing *p = shipped();
    const cJSON *rows = get(t, "models"), *row;
    int n_rows = 0, n_tiers = 0, n_names = 0;
    CHECK_INT(lt_pricing_rows(p), lt_cj.GetArraySize(rows));
    for (row = rows->child; row; row = row->next) {
        const char *name = get(row, "modelName")->valuestring;
        const char *pattern = get(row, "matchPattern")->valuestring;
        n_rows++;
        for (const cJSON *tier = get(row, "pricingTiers")->child; tier; tier = tier->next) {
            /* usage: every priced key; conditions met by construction */
            struct usage u = { 0 };
            cJSON *params = lt_cj.CreateObject();
            int i = 0;
            for (const cJSON *pr = get(tier, "prices")->child; pr; pr = pr->next, i++)
                if (strlen(pr->string) < LT_USAGE_KEY_MAX && u.n < LT_USAGE_MAX)
                    put(&u, pr->string, 1000 + 37 * i);
            for (const cJSON *cd = get(tier, "conditions")->child; cd; cd = cd->next) {
                if (get(cd, "source")) {
                    lt_cj.AddItemToObject(params, get(cd, "key")->valuestring,
                                          lt_cj.CreateString(get(cd, "values")->child->valuestring));
                } else {
                    CHECK_STR(get(cd, "operator")->valuestring, "gt");
                    put(&u, "input", (long long)get(cd, "value")->valuedouble + 1);
                }
            }
            char *pj = lt_cj.PrintUnformatted(params);
            struct eu e;
            expand(&u, &e);
            const cJSON *want = expected_tier(row, &e, params);
            CHECKF(want == tier, "%s: usage built for tier %s selects %s", name, get(tier, "name")->valuestring,
                   get(want, "name")->valuestring);
            /* the names: as sampled, with the provider prefix, upper-cased */
            char names[3][300];
            int nn = 0;
            snprintf(names[nn++], sizeof names[0], "%s", sample_name(name));
            if (!strncmp(pattern, "(?i)^(openai/)?", 15) || !strncmp(pattern, "(?i)^(openai\\/)?", 16))
                snprintf(names[nn++], sizeof names[0], "openai/%s", sample_name(name));
            if (!strncmp(pattern, "(?i)", 4)) {
                snprintf(names[nn], sizeof names[0], "%s", sample_name(name));
                for (char *q = names[nn]; *q; q++)
                    *q = (char)(*q >= 'a' && *q <= 'z' ? *q - 32 : *q);
                nn++;
            }
            for (int k = 0; k < nn; k++) {
                struct lt_pricing_cost c;
                char what[1200];
                snprintf(what, sizeof what, "%s (row %s, tier %s)", names[k], name, get(tier, "name")->valuestring);
                CHECKF(cost_of(p, names[k], &u, pj, &c), "%s: no cost", what);
                CHECKF(!strcmp(c.model, name), "%s: priced by row %s", what, c.model);
                CHECKF(!strcmp(c.tier, get(tier, "name")->valuestring), "%s: tier %s", what, c.tier);
                check_cost(tier, &e, &c, what);
                n_names++;
            }
            lt_cj.free(pj);
            lt_cj.Delete(params);
            n_tiers++;
        }
    }
    fprintf(stderr, "    # %d rows, %d tiers, %d priced names checked\n", n_rows, n_tiers, n_names);
    CHECK(n_rows >= 150 && n_tiers >= 240);
    lt_pricing_free(p);
    lt_cj.Delete(t);
}

static void pricing_should_cut_tiers_at_the_threshold_as_gt_says(void)
{
    struct lt_pricing *p = shipped();
    struct lt_pricing_cost c;
    struct usage u = { 0 };
    /* gpt-5.4: "Large Context (>272K)" when the input-ish keys sum > 272000 */
    put(&u, "input", 272000);
    put(&u, "output", 10);
    CHECK(cost_of(p, "gpt-5.4", &u, NULL, &c));
    CHECK_STR(c.tier, "Standard");
    CHECK(item(&c, "input")->usd == 272000 * 2.5e-06);
    put(&u, "input", 272001);
    CHECK(cost_of(p, "gpt-5.4", &u, NULL, &c));
    CHECK_STR(c.tier, "Large Context (>272K)");
    CHECK_STR(itext(&c, "input"), "1.360005"); /* 272001 × 5e-06 */
    /* the pattern "(input)" sums every key containing "input" */
    put(&u, "input", 200000);
    put(&u, "input_cached_tokens", 72000);
    CHECK(cost_of(p, "gpt-5.4", &u, NULL, &c));
    CHECK_STR(c.tier, "Standard");
    put(&u, "input_cached_tokens", 72001);
    CHECK(cost_of(p, "gpt-5.4", &u, NULL, &c));
    CHECK_STR(c.tier, "Large Context (>272K)");
    /* flex and large: the tier with both conditions comes first */
    CHECK(cost_of(p, "gpt-5.4", &u, "{\"service_tier\":\"flex\"}", &c));
    CHECK_STR(c.tier, "Flex · Large context (>272K)");
    /* gemini-2.5-pro: (input|prompt|cached) > 200000 */
    struct usage g = { 0 };
    put(&g, "promptTokenCount", 150000);
    put(&g, "cached_content_token_count", 50000);
    CHECK(cost_of(p, "gemini-2.5-pro", &g, NULL, &c));
    CHECK_STR(c.tier, "Standard");
    put(&g, "cached_content_token_count", 50001);
    CHECK(cost_of(p, "gemini-2.5-pro", &g, NULL, &c));
    CHECK_STR(c.tier, "Large Context");
    lt_pricing_free(p);

    /* every operator, at and around its threshold, on a user row */
    static const struct { const char *op; bool at, below, above; } ops[] = {
        { "gt", false, false, true }, { "gte", true, false, true }, { "lt", false, true, false },
        { "lte", true, true, false }, { "eq", true, false, false }, { "neq", false, true, true },
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        char user[600], why[256];
        snprintf(user, sizeof user,
                 "[{\"modelName\":\"opm\",\"matchPattern\":\"(?i)^opm$\",\"pricingTiers\":["
                 "{\"name\":\"base\",\"isDefault\":true,\"priority\":0,\"conditions\":[],\"prices\":{\"input\":1}},"
                 "{\"name\":\"hit\",\"isDefault\":false,\"priority\":1,\"conditions\":[{\"usageDetailPattern\":"
                 "\"^INPUT$\",\"operator\":\"%s\",\"value\":100}],\"prices\":{\"input\":2}}]}]",
                 ops[i].op);
        p = with_user(user, why, sizeof why);
        CHECKF(!why[0], "%s", why);
        for (int k = 99; k <= 101; k++) {
            struct usage x = { 0 };
            put(&x, "input", k);
            put(&x, "total", 0); /* keep the added total out of the sum */
            CHECK(cost_of(p, "OPM", &x, NULL, &c));
            bool want = k == 100 ? ops[i].at : k < 100 ? ops[i].below : ops[i].above;
            CHECKF(!strcmp(c.tier, want ? "hit" : "base"), "%s at %d: tier %s", ops[i].op, k, c.tier);
        }
        lt_pricing_free(p);
    }
}

static void pricing_should_choose_tiers_by_service_tier(void)
{
    struct lt_pricing *p = shipped();
    struct lt_pricing_cost c;
    struct usage u = { 0 };
    put(&u, "input", 1000);
    put(&u, "output", 100);
    static const struct { const char *model, *params, *tier; } cases[] = {
        { "gpt-4o", NULL, "Standard" },
        { "gpt-4o", "{}", "Standard" },
        { "gpt-4o", "{\"service_tier\":\"priority\"}", "Fast mode" },
        { "gpt-4o", "{\"service_tier\":\"fast\",\"temperature\":0.2}", "Fast mode" },
        { "gpt-4o", "{\"service_tier\":\"pri\\u006frity\"}", "Fast mode" }, /* decoded as JSON.parse does */
        { "gpt-4o", "{\"service_tier\":\"auto\"}", "Standard" },
        { "gpt-4o", "{\"service_tier\":\"PRIORITY\"}", "Standard" },     /* values compare exactly */
        { "gpt-4o", "{\"service_tier\":[\"priority\"]}", "Standard" },
        { "gpt-4o", "{\"service_tier\":\"flex\",\"service_tier\":\"priority\"}", "Fast mode" }, /* last wins */
        { "gpt-4o", "{\"x\":{\"service_tier\":\"priority\"}}", "Standard" }, /* top level only */
        { "gpt-4o", "{\"service_tier\":\"priority\"", "Standard" },         /* not JSON: nothing read */
        { "gpt-5", "{\"service_tier\":\"flex\"}", "Flex" },
        { "gpt-5", "{\"service_tier\":\"priority\"}", "Fast mode" },
        { "gpt-5-nano", "{\"service_tier\":\"flex\"}", "Flex" },
        { "gpt-5-nano", "{\"service_tier\":\"priority\"}", "Standard" },
        { "claude-opus-4-8", "{\"speed\":\"fast\"}", "Fast mode" },
        { "claude-opus-4-8", "{\"speed\":\"slow\"}", "Standard" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECKF(cost_of(p, cases[i].model, &u, cases[i].params, &c), "%s %s", cases[i].model, cases[i].params);
        CHECKF(!strcmp(c.tier, cases[i].tier), "%s %s: tier %s, want %s", cases[i].model,
               cases[i].params ? cases[i].params : "(none)", c.tier, cases[i].tier);
    }
    /* gpt-4o: 1000 × 4.25e-06 + 100 × 1.7e-05 in Fast mode */
    CHECK(cost_of(p, "gpt-4o", &u, "{\"service_tier\":\"priority\"}", &c));
    CHECK_STR(itext(&c, "input"), "0.00425");
    CHECK_STR(itext(&c, "output"), "0.0017");
    CHECK_STR(c.total_text, "0.00595");
    lt_pricing_free(p);

    /* non-string parameters as the server turns them into text */
    char why[256];
    p = with_user("{\"models\":[{\"modelName\":\"pm\",\"matchPattern\":\"^pm$\",\"pricingTiers\":["
                  "{\"name\":\"base\",\"isDefault\":true,\"priority\":0,\"conditions\":[],\"prices\":{\"input\":1}},"
                  "{\"name\":\"num\",\"isDefault\":false,\"priority\":1,\"conditions\":[{\"source\":\"model_parameters\","
                  "\"key\":\"n\",\"operator\":\"in\",\"values\":[\"2\",\"0.5\",\"1e+21\"]}],\"prices\":{\"input\":2}},"
                  "{\"name\":\"bool\",\"isDefault\":false,\"priority\":2,\"conditions\":[{\"source\":\"model_parameters\","
                  "\"key\":\"stream\",\"operator\":\"in\",\"values\":[\"true\"]}],\"prices\":{\"input\":3}}]}]}",
                  why, sizeof why);
    CHECKF(!why[0], "%s", why);
    static const struct { const char *params, *tier; } pcases[] = {
        { "{\"n\":2}", "num" },      { "{\"n\":2.0}", "num" },   { "{\"n\":20e-1}", "num" },
        { "{\"n\":0.50}", "num" },   { "{\"n\":1e21}", "num" },  { "{\"n\":\"2\"}", "num" },
        { "{\"n\":3}", "base" },     { "{\"stream\":true}", "bool" }, { "{\"stream\":\"true\"}", "bool" },
        { "{\"stream\":false}", "base" }, { "{\"n\":null}", "base" },
    };
    for (size_t i = 0; i < sizeof pcases / sizeof pcases[0]; i++) {
        CHECK(cost_of(p, "pm", &u, pcases[i].params, &c));
        CHECKF(!strcmp(c.tier, pcases[i].tier), "%s: tier %s, want %s", pcases[i].params, c.tier, pcases[i].tier);
    }
    lt_pricing_free(p);
}

static void pricing_should_match_provider_prefixes_and_case(void)
{
    struct lt_pricing *p = shipped();
    struct lt_pricing_cost c;
    struct usage u = { 0 };
    put(&u, "input", 10);
    put(&u, "output", 10);
    static const struct { const char *name, *row; } ok[] = {
        { "gpt-4o", "gpt-4o" },
        { "openai/gpt-4o", "gpt-4o" },
        { "OpenAI/GPT-4o", "gpt-4o" },
        { "gpt-4o-2024-08-06", "gpt-4o-2024-08-06" },
        { "openai/gpt-5.4-mini", "gpt-5.4-mini" },
        { "anthropic/claude-3-opus-20240229", "claude-3-opus-20240229" },
        { "eu.anthropic.claude-3-opus-20240229-v1:0", "claude-3-opus-20240229" },
        { "claude-3-opus@20240229", "claude-3-opus-20240229" },
        { "claude-sonnet-4-5", "claude-sonnet-4-5-20250929" },
        { "global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5-20250929" },
        { "googleai/gemini-2.0-flash", "gemini-2.0-flash" },
        { "gemini-1.0-pro@001", "gemini-1.0-pro" },
        { "gpt-4-1106-vision-preview", "gpt-4-turbo-vision" }, /* the one \d{4} */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        CHECKF(cost_of(p, ok[i].name, &u, NULL, &c), "%s: no cost", ok[i].name);
        CHECKF(!strcmp(c.model, ok[i].row), "%s: row %s, want %s", ok[i].name, c.model, ok[i].row);
    }
    /* whatever the host's locale: regexes run in C.UTF-8, where '.' is one
     * character (as in Langfuse's UTF-8 database), and a name with bytes
     * >= 0x80 still finds its row */
    setlocale(LC_ALL, "C");
    static const struct { const char *name, *row; } wide[] = {
        { "gpt-4\xC3\xA9" "1", "gpt-4.1" },              /* é for the '.' */
        { "gpt-5\xE2\x80\xA2" "4-mini", "gpt-5.4-mini" }, /* • for the '.' */
        { "claude-3-haiku-20240307", "claude-3-haiku-20240307" },
        { "ft:gpt-3\xC3\xA9" "5-turbo-1106:\xC3\xA9quipe::x", "ft:gpt-3.5-turbo-1106" },
        { "ft:gpt-3\xC3" "5-turbo-1106:acme::x", NULL }, /* invalid UTF-8: the regexes decide */
        { "claude-3-haiku-20240307-\xC5\xBF", NULL },
        { "gpt-4o-mini-2024-07-18\xC3\xA9", NULL },
    };
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++) {
        bool ok = cost_of(p, wide[i].name, &u, NULL, &c);
        CHECKF(ok == (wide[i].row != NULL) && (!ok || !strcmp(c.model, wide[i].row)), "%s: %s", wide[i].name,
               ok ? c.model : "no cost");
    }
    static const char *const none[] = {
        "azure/gpt-4o", "gpt-4o ", " gpt-4o", "gpt-4ox", "openai/openai/gpt-4o", "gpt-4-12345-vision-preview",
        "gpt-4-12a4-vision-preview", "gpt-5.44", "gpt-4o\n", "xeu.anthropic.claude-3-opus-20240229-v1:0",
    };
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
        CHECKF(!cost_of(p, none[i], &u, NULL, &c) && c.n == 0, "%s: priced by %s", none[i], c.model);
    lt_pricing_free(p);
}

static void pricing_should_give_no_cost_without_a_price(void)
{
    struct lt_pricing *p = shipped();
    struct lt_pricing_cost c;
    struct usage u = { 0 };
    put(&u, "input", 10);
    static const char *const models[] = { "my-local-llama", "unknown", "", "llama3", "mistral-tiny", "command" };
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        CHECKF(!cost_of(p, models[i], &u, NULL, &c), "%s priced by %s", models[i], c.model);
    CHECK(!lt_pricing_compute(p, NULL, u.u, u.n, NULL, &c));
    /* no usage, or no key with a price: no cost (never a zero cost) */
    struct usage none = { 0 };
    CHECK(!cost_of(p, "gpt-4o", &none, NULL, &c));
    struct usage odd = { 0 };
    put(&odd, "characters", 1000);
    put(&odd, "total", 0);
    CHECK(!cost_of(p, "gpt-4o", &odd, NULL, &c));
    /* what the exporter drops is not priced either */
    struct usage bad = { 0 };
    put(&bad, "input", -5);
    put(&bad, "in put", 5);
    CHECK(!cost_of(p, "gpt-4o", &bad, NULL, &c));
    struct usage huge = { 0 };
    put(&huge, "input", (1LL << 53) + 1);
    CHECK(!cost_of(p, "gpt-4o", &huge, NULL, &c));
    /* zero units of a priced key cost 0 and are listed, as the server lists them */
    struct usage z = { 0 };
    put(&z, "input", 0);
    CHECK(cost_of(p, "gpt-4o", &z, NULL, &c));
    CHECK_INT(c.n, 2);
    CHECK_STR(c.item[0].text, "0");
    CHECK_STR(c.total_text, "0");
    lt_pricing_free(p);
}

static void pricing_should_sum_the_total_and_price_a_total_key(void)
{
    struct lt_pricing *p = shipped();
    struct lt_pricing_cost c;
    struct usage u = { 0 };
    /* gpt-4o-mini-2024-07-18, openai/chat_cached_tokens's usage */
    put(&u, "input", 125);
    put(&u, "output", 353);
    put(&u, "total", 1502);
    put(&u, "input_cached_tokens", 1024);
    put(&u, "output_reasoning_tokens", 0);
    CHECK(cost_of(p, "gpt-4o-mini-2024-07-18", &u, "{}", &c));
    char js[1024];
    CHECK(lt_pricing_json(&c, js, sizeof js) > 0);
    /* the total is the sum of the doubles, in usage order, as JavaScript adds them */
    CHECK_STR(js, "{\"input\":0.00001875,\"output\":0.0002118,\"input_cached_tokens\":0.0000768,"
                  "\"total\":0.00030734999999999996}");
    CHECK(c.total == (0.00001875 + 0.0002118) + 0.0000768);
    CHECK(lt_pricing_json(&c, js, 20) == 0); /* too small: nothing */
    lt_pricing_free(p);
    /* a priced "total" key is the total (calculateUsageCosts) */
    char why[256];
    p = with_user("[{\"modelName\":\"t\",\"matchPattern\":\"^t$\",\"inputPrice\":null,\"totalPrice\":0.5}]", why,
                  sizeof why);
    CHECKF(!why[0], "%s", why);
    struct usage t = { 0 };
    put(&t, "input", 3);
    put(&t, "output", 4);
    CHECK(cost_of(p, "t", &t, NULL, &c)); /* total = 7, added */
    CHECK_INT(c.n, 1);
    CHECK_STR(c.item[0].key, "total");
    CHECK_STR(c.total_text, "3.5");
    lt_pricing_free(p);
}

static void pricing_should_multiply_as_decimal_js_does(void)
{
    /* the server: Decimal(price) × units, rounded to 20 significant digits
     * half-up (decimal.js defaults), then toNumber */
    char why[256];
    struct lt_pricing *p = with_user("[{\"modelName\":\"a\",\"matchPattern\":\"^a$\",\"inputPrice\":0.123456789012345678},"
                                     "{\"modelName\":\"b\",\"matchPattern\":\"^b$\",\"inputPrice\":9.99999999999999999e-1},"
                                     "{\"modelName\":\"c\",\"matchPattern\":\"^c$\",\"inputPrice\":15E-8}]",
                                     why, sizeof why);
    CHECKF(!why[0], "%s", why);
    struct lt_pricing_cost c;
    struct usage u = { 0 };
    put(&u, "input", 999999999);
    CHECK(cost_of(p, "a", &u, NULL, &c));
    CHECK_STR(c.item[0].text, "123456788.88888888899");
    CHECK(c.item[0].usd == 123456788.8888889);
    put(&u, "input", 99999999999);
    CHECK(cost_of(p, "b", &u, NULL, &c));
    CHECK_STR(c.item[0].text, "99999999998.9999999");
    CHECK(c.item[0].usd == 99999999999.0);
    put(&u, "input", 123456789);
    CHECK(cost_of(p, "c", &u, NULL, &c));
    CHECK_STR(c.item[0].text, "18.51851835");
    put(&u, "input", 1);
    CHECK(cost_of(p, "c", &u, NULL, &c));
    CHECK_STR(c.item[0].text, "1.5e-7"); /* as JavaScript writes it */
    lt_pricing_free(p);
    /* amounts beyond a double: no cost rather than "inf" */
    p = with_user("[{\"modelName\":\"h\",\"matchPattern\":\"^h$\",\"inputPrice\":1e306,\"outputPrice\":1e306}]", why,
                  sizeof why);
    struct usage h = { 0 };
    put(&h, "input", 100);
    CHECK(cost_of(p, "h", &h, NULL, &c));
    CHECK_STR(c.total_text, "1e+308");
    put(&h, "output", 100);
    CHECK(!cost_of(p, "h", &h, NULL, &c) && c.n == 0); /* the total overflows */
    put(&h, "input", 1000);
    CHECK(!cost_of(p, "h", &h, NULL, &c) && c.n == 0); /* an item overflows */
    lt_pricing_free(p);
}

/* ------------------------------------------------------------ user rows */

static void pricing_should_let_user_rows_add_and_replace(void)
{
    char why[256];
    struct lt_pricing_cost c;
    struct usage u = { 0 };
    put(&u, "input", 1000);
    put(&u, "output", 100);
    const char *user =
        "{\"models\":[\n"
        " {\"modelName\":\"gpt-4o\",\"matchPattern\":\"(?i)^(openai/)?(gpt-4o|my-4o)$\",\"pricingTiers\":[\n"
        "  {\"name\":\"Negotiated\",\"isDefault\":true,\"priority\":0,\"conditions\":[],\"prices\":{\"input\":1e-6,\"output\":2e-6}}]},\n"
        " {\"modelName\":\"acme-llm\",\"matchPattern\":\"(?i)^acme-llm(-\\\\d+)?$\",\"inputPrice\":0.000001,\"outputPrice\":0.000004,"
        "\"tokenizerId\":null,\"unit\":\"TOKENS\"},\n"
        " {\"modelName\":\"narrow\",\"matchPattern\":\"^gpt-4o-2024-08-06$\",\"inputPrice\":0.5},\n"
        " {\"modelName\":\"gpt-4o-mini\",\"matchPattern\":\"^never$\",\"inputPrice\":1}\n"
        "]}";
    struct lt_pricing *p = with_user(user, why, sizeof why);
    CHECKF(!why[0], "%s", why);
    CHECK_INT(lt_pricing_rows(p), 167 + 4);
    CHECK(cost_of(p, "openai/gpt-4o", &u, "{\"service_tier\":\"priority\"}", &c));
    CHECK_STR(c.model, "gpt-4o");
    CHECK_STR(c.tier, "Negotiated"); /* the shipped Fast mode tier is gone with its row */
    CHECK_STR(c.total_text, "0.0012000000000000001"); /* 0.001 + 0.0002 in doubles */
    CHECK(cost_of(p, "my-4o", &u, NULL, &c));
    CHECK(cost_of(p, "acme-llm-2", &u, NULL, &c));
    CHECK_STR(c.model, "acme-llm");
    CHECK_STR(c.tier, "Standard");
    CHECK_STR(c.total_text, "0.0014");
    /* a user row wins over a shipped row that matches too (a project's model in Langfuse) */
    CHECK(cost_of(p, "gpt-4o-2024-08-06", &u, NULL, &c));
    CHECK_STR(c.model, "narrow");
    CHECK_STR(c.total_text, "500");
    /* the shipped row replaced by modelName no longer matches anything */
    CHECK(!cost_of(p, "gpt-4o-mini", &u, NULL, &c));
    CHECK(cost_of(p, "gpt-4o-mini-2024-07-18", &u, NULL, &c)); /* another shipped row */
    lt_pricing_free(p);

    /* a bare array; startDate: the newest row first, rows without one last */
    p = with_user("[{\"modelName\":\"a\",\"matchPattern\":\"^m$\",\"inputPrice\":1},"
                  " {\"modelName\":\"b\",\"matchPattern\":\"^m$\",\"inputPrice\":2,\"startDate\":\"2025-01-01T00:00:00Z\"},"
                  " {\"modelName\":\"c\",\"matchPattern\":\"^m$\",\"inputPrice\":3,\"startDate\":\"2025-06-01T02:00:00+02:00\"},"
                  " {\"modelName\":\"d\",\"matchPattern\":\"^m$\",\"inputPrice\":4,\"startDate\":\"2025-03-01\"}]",
                  why, sizeof why);
    CHECKF(!why[0], "%s", why);
    CHECK(cost_of(p, "m", &u, NULL, &c));
    CHECK_STR(c.model, "c");
    lt_pricing_free(p);
}

static void pricing_should_survive_malformed_user_files(void)
{
    static const struct { const char *text, *why; } bad[] = {
        { "", "not valid JSON" },
        { "{", "not valid JSON" },
        { "not json", "not valid JSON" },
        { "{\"rows\":[]}", "neither a JSON array" },
        { "[{\"modelName\":\"x\",\"matchPattern\":\"^x$\",\"inputPrice\":1},", "not valid JSON" },
        { "[{\"modelName\":\"x\",\"matchPattern\":\"^x$\"}]", "no prices" },
        { "[{\"matchPattern\":\"^x$\",\"inputPrice\":1}]", "without modelName" },
        { "[{\"modelName\":\"x\",\"inputPrice\":1}]", "without matchPattern" },
        { "[{\"modelName\":\"x\",\"matchPattern\":\"^x$\",\"inputPrice\":-1}]", "non-negative" },
        { "[{\"modelName\":\"x\",\"matchPattern\":\"^x$\",\"inputPrice\":\"1\"}]", "not a number" },
        { "[{\"modelName\":\"x\",\"matchPattern\":\"^x$\",\"inputPrice\":1,\"totalPrice\":1}]", "totalPrice together" },
        { "[{\"modelName\":\"x\",\"matchPattern\":\"^(?=x)x$\",\"inputPrice\":1}]", "cannot run exactly" },
        { "[{\"modelName\":\"x\",\"matchPattern\":\"^x\\\\b\",\"inputPrice\":1}]", "cannot run exactly" },
        { "[{\"modelName\":\"x\",\"matchPattern\":\"(a{99}){99}\",\"inputPrice\":1}]", "cannot run exactly" },
        { "[{\"modelName\":\"x\",\"matchPattern\":\"^x$\",\"pricingTiers\":[]}]", "not exactly one default" },
        { "[{\"modelName\":\"x\",\"matchPattern\":\"^x$\",\"pricingTiers\":[{\"name\":\"s\",\"isDefault\":true,"
          "\"priority\":0,\"conditions\":[],\"prices\":{}}]}]", "without prices" },
        { "[{\"modelName\":\"x\",\"matchPattern\":\"^x$\",\"pricingTiers\":[{\"name\":\"s\",\"isDefault\":true,"
          "\"priority\":0,\"conditions\":[],\"prices\":{\"input\":1}},{\"name\":\"m\",\"priority\":1,\"conditions\":"
          "[{\"source\":\"metadata\",\"key\":\"k\",\"operator\":\"in\",\"values\":[\"v\"]}],\"prices\":{\"input\":2}}]}]",
          "metadata" },
        { "[{\"modelName\":\"x\",\"matchPattern\":\"^x$\",\"pricingTiers\":[{\"name\":\"s\",\"isDefault\":true,"
          "\"priority\":0,\"conditions\":[],\"prices\":{\"input\":1}},{\"name\":\"m\",\"priority\":0,\"conditions\":"
          "[{\"usageDetailPattern\":\"x\",\"operator\":\"gt\",\"value\":1}],\"prices\":{\"input\":2}}]}]",
          "same priority" },
        { "[{\"modelName\":\"x\",\"matchPattern\":\"^x$\",\"pricingTiers\":[{\"name\":\"s\",\"isDefault\":true,"
          "\"priority\":0,\"conditions\":[],\"prices\":{\"input\":1}},{\"name\":\"m\",\"priority\":1,\"conditions\":"
          "[{\"usageDetailPattern\":\"(?<=a)x\",\"operator\":\"gt\",\"value\":1}],\"prices\":{\"input\":2}}]}]",
          "usageDetailPattern" },
        { "[{\"modelName\":\"x\",\"matchPattern\":\"^x$\",\"pricingTiers\":[{\"name\":\"s\",\"isDefault\":true,"
          "\"priority\":0,\"conditions\":[],\"prices\":{\"input\":1}},{\"name\":\"m\",\"priority\":1,\"conditions\":"
          "[{\"usageDetailPattern\":\"x\",\"operator\":\"between\",\"value\":1}],\"prices\":{\"input\":2}}]}]",
          "unknown condition operator" },
        { "[{\"modelName\":\"x\",\"matchPattern\":\"^x$\",\"inputPrice\":1,\"startDate\":\"yesterday\"}]", "startDate" },
        { "[17]", "not an object" },
    };
    struct usage u = { 0 };
    put(&u, "input", 100);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char why[256] = "";
        struct lt_pricing *p = with_user(bad[i].text, why, sizeof why);
        CHECKF(strstr(why, bad[i].why), "%s: why \"%s\", want \"%s\"", bad[i].text, why, bad[i].why);
        struct lt_pricing_cost c;
        CHECKF(!cost_of(p, "x", &u, NULL, &c), "%s: x priced", bad[i].text);
        CHECK(cost_of(p, "gpt-4o", &u, NULL, &c)); /* the shipped table still applies */
        lt_pricing_free(p);
    }
    /* one bad row does not take the good ones with it */
    char why[256] = "";
    struct lt_pricing *p = with_user("[{\"modelName\":\"bad\"},{\"modelName\":\"good\",\"matchPattern\":\"^good$\","
                                     "\"inputPrice\":2}]", why, sizeof why);
    CHECK(strstr(why, "row 1 (bad): a row without matchPattern (row skipped)"));
    struct lt_pricing_cost c;
    CHECK(cost_of(p, "good", &u, NULL, &c));
    CHECK_STR(c.total_text, "200");
    lt_pricing_free(p);
}

static void pricing_should_run_langfuse_patterns_exactly(void)
{
    char why[256];
    struct lt_pricing_cost c;
    struct usage u = { 0 };
    put(&u, "input", 1);
    static const struct { const char *pattern, *yes, *no; } pats[] = {
        { "(?i)^acme-\\\\d{2}$", "ACME-12", "acme-1" },
        { "^acme-\\\\d{2}$", "acme-12", "ACME-12" },           /* no (?i): case matters */
        { "(?i)^(?:a|b)-x$", "B-x", "c-x" },
        { "acme", "my-acme-model", "acm" },                     /* no anchors: a search */
        { "^(ft:)(m:)(.+)(:)(.*)(:)(.+)$$", "ft:m:o::id", "ft:m:o:id" },
        { "(?i)^(anthropic\\\\/)?m$", "anthropic/m", "anthropic\\\\m" },
        { "^[a-z0-9\\\\-]+$", "a-b-9", "a_b" },
        { "^x\\\\.y$", "x.y", "xzy" },
        { "^x.y$", "xzy", "xy" },
        { "^(a|)b$", "b", "cb" },
        { "^a{2,3}$", "aaa", "aaaa" },
        { "^a+?b$", "aab", "b" },
        { "^\\\\w+$", "a_1", "a-1" },
        { "^[[:digit:]]+$", "123", "12a" },
    };
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++) {
        char user[400];
        snprintf(user, sizeof user, "[{\"modelName\":\"r\",\"matchPattern\":\"%s\",\"inputPrice\":1}]", pats[i].pattern);
        struct lt_pricing *p = with_user(user, why, sizeof why);
        CHECKF(!why[0], "%s: %s", pats[i].pattern, why);
        CHECKF(cost_of(p, pats[i].yes, &u, NULL, &c) && !strcmp(c.model, "r"), "%s should match %s", pats[i].pattern,
               pats[i].yes);
        CHECKF(!cost_of(p, pats[i].no, &u, NULL, &c) || strcmp(c.model, "r"), "%s should not match %s",
               pats[i].pattern, pats[i].no);
        lt_pricing_free(p);
    }
}

static void pricing_should_give_no_cost_when_shipped_rows_tie(void)
{
    /* two shipped rows (no start date) matching one name: the server's pick is undefined */
    const char *t = "[{\"modelName\":\"a\",\"matchPattern\":\"(?i)^m(-x)?$\",\"pricingTiers\":[{\"name\":\"s\","
                    "\"isDefault\":true,\"priority\":0,\"conditions\":[],\"prices\":{\"input\":1}}]},"
                    "{\"modelName\":\"b\",\"matchPattern\":\"(?i)^m-x$\",\"pricingTiers\":[{\"name\":\"s\","
                    "\"isDefault\":true,\"priority\":0,\"conditions\":[],\"prices\":{\"input\":2}}]}]";
    struct lt_pricing *p = NULL;
    char why[256];
    CHECK_INT(lt_pricing_new(t, strlen(t), NULL, 0, &p, why, sizeof why), LT_OK);
    struct lt_pricing_cost c;
    struct usage u = { 0 };
    put(&u, "input", 1);
    CHECK(cost_of(p, "m", &u, NULL, &c));
    CHECK_STR(c.model, "a");
    CHECK(!cost_of(p, "m-x", &u, NULL, &c));
    CHECK(!cost_of(p, "M-X", &u, NULL, &c)); /* cached answer, same result */
    lt_pricing_free(p);
    /* a shipped text that is not a table is refused whole */
    CHECK_INT(lt_pricing_new("[1]", 3, NULL, 0, &p, why, sizeof why), LT_ERR_INVALID);
    CHECK(p == NULL && strstr(why, "shipped table"));
}

/* ------------------------------------------------------------ fixtures */

static char *read_path(const char *dir, const char *name, size_t *n)
{
    char path[8448];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return tap_read_file(path, n);
}

static void pricing_should_price_the_recorded_fixtures(void)
{
    struct lt_pricing *p = shipped();
    cJSON *t = table_json();
    const char *root = tap_fixtures_dir();
    DIR *d = opendir(root);
    CHECK(d != NULL);
    struct dirent *pe;
    int priced = 0, unpriced = 0;
    while ((pe = readdir(d))) {
        if (pe->d_name[0] == '.')
            continue;
        char pdir[4096];
        snprintf(pdir, sizeof pdir, "%s/%s", root, pe->d_name);
        DIR *pd = opendir(pdir);
        if (!pd)
            continue;
        struct dirent *ce;
        while ((ce = readdir(pd))) {
            char cdir[8192];
            size_t n;
            snprintf(cdir, sizeof cdir, "%s/%s", pdir, ce->d_name);
            char *e = ce->d_name[0] == '.' ? NULL : read_path(cdir, "expected.json", &n);
            if (!e)
                continue;
            cJSON *x = parse(e, n);
            const cJSON *model = get(x, "model"), *ud = get(x, "usage_details");
            if (is(model, cJSON_String) && is(ud, cJSON_Object)) {
                struct usage u = { 0 };
                for (const cJSON *k = ud->child; k; k = k->next)
                    put(&u, k->string, (long long)k->valuedouble);
                char *pj = get(x, "model_parameters") ? lt_cj.PrintUnformatted(get(x, "model_parameters")) : NULL;
                struct lt_pricing_cost c;
                if (cost_of(p, model->valuestring, &u, pj, &c)) {
                    /* the row named, read independently: its tier and prices */
                    const cJSON *row = NULL;
                    for (row = get(t, "models")->child; row; row = row->next)
                        if (!strcmp(get(row, "modelName")->valuestring, c.model))
                            break;
                    CHECK(row != NULL);
                    struct eu ex;
                    expand(&u, &ex);
                    cJSON *params = pj ? lt_cj.ParseWithLength(pj, strlen(pj)) : lt_cj.CreateObject();
                    const cJSON *tier = expected_tier(row, &ex, params);
                    CHECK_STR(c.tier, get(tier, "name")->valuestring);
                    check_cost(tier, &ex, &c, model->valuestring);
                    lt_cj.Delete(params);
                    fprintf(stderr, "    # %-45s %-28s $%s\n", cdir + strlen(root) + 1, model->valuestring,
                            c.total_text);
                    priced++;
                } else {
                    unpriced++;
                }
                lt_cj.free(pj);
            }
            lt_cj.Delete(x);
            free(e);
        }
        closedir(pd);
    }
    closedir(d);
    fprintf(stderr, "    # %d fixtures priced, %d with usage but no price row\n", priced, unpriced);
    CHECK(priced >= 15);

    /* three by hand, from prices.json */
    struct lt_pricing_cost c;
    struct usage a = { 0 }; /* anthropic/messages_cache_creation, claude-3-5-sonnet-20240620 */
    put(&a, "input", 4);
    put(&a, "output", 187);
    put(&a, "total", 1354);
    put(&a, "input_cached_tokens", 0);
    put(&a, "input_cache_creation", 1163);
    CHECK(cost_of(p, "claude-3-5-sonnet-20240620", &a, "{\"max_tokens\":1024}", &c));
    CHECK_STR(itext(&c, "input_cache_creation"), "0.00436125"); /* 1163 × 3.75e-06 */
    CHECK_STR(c.total_text, "0.00717825");
    struct usage r = { 0 }; /* openai/chat_reasoning_tokens, gpt-5-nano-2025-08-07 */
    put(&r, "input", 11);
    put(&r, "output", 36);
    put(&r, "total", 239);
    put(&r, "input_cached_tokens", 0);
    put(&r, "output_reasoning_tokens", 192);
    CHECK(cost_of(p, "gpt-5-nano-2025-08-07", &r, "{\"reasoning_effort\":\"low\"}", &c));
    CHECK_STR(c.total_text, "0.00009175");
    CHECK(cost_of(p, "gpt-5-nano-2025-08-07", &r, "{\"service_tier\":\"flex\"}", &c));
    CHECK_STR(c.tier, "Flex");
    CHECK_STR(c.total_text, "0.000045875");
    lt_pricing_free(p);
    lt_cj.Delete(t);
}

/* ------------------------------------------------------------ machinery */

static void pricing_index_should_be_what_the_table_gives(void)
{
    size_t jn, in;
    const char *j = lt_pricing_shipped(&jn);
    const unsigned char *ix = lt_pricing_shipped_index(&in);
    CHECK(j && ix && in > 0);
    struct lt_buf b;
    char why[256] = "";
    lt_buf_init(&b, 0);
    CHECK_INT(lt_pricing_index(j, jn, &b, why, sizeof why), LT_OK);
    CHECKF(b.len == in && !memcmp(b.data, ix, in), "build/prices.idx (%zu bytes) differs from the index of the "
           "embedded prices.json (%zu bytes): rebuild", in, b.len);
    lt_buf_free(&b);
    /* a table read from the text prices the same as one from the index */
    struct lt_pricing *a = shipped(), *t = NULL;
    CHECK_INT(lt_pricing_new(j, jn, NULL, 0, &t, why, sizeof why), LT_OK);
    CHECK_INT(lt_pricing_rows(a), lt_pricing_rows(t));
    for (int i = 0; i < lt_pricing_rows(a); i++)
        CHECK_STR(lt_pricing_row_name(a, i), lt_pricing_row_name(t, i));
    CHECK(lt_pricing_row_name(a, -1) == NULL && lt_pricing_row_name(a, lt_pricing_rows(a)) == NULL);
    struct usage u = { 0 };
    put(&u, "input", 123456);
    put(&u, "input_cached_tokens", 2000);
    put(&u, "output", 789);
    for (int i = 0; i < lt_pricing_rows(a); i++) {
        const char *n = sample_name(lt_pricing_row_name(a, i));
        struct lt_pricing_cost x, y;
        bool ok = cost_of(a, n, &u, NULL, &x);
        CHECK(ok == cost_of(t, n, &u, NULL, &y));
        CHECK(!ok || (!strcmp(x.model, y.model) && x.total == y.total));
    }
    lt_pricing_free(a);
    lt_pricing_free(t);
}

static void pricing_should_answer_the_same_cold_and_cached(void)
{
    static const char *const names[] = { "gpt-4o", "GPT-4O", "gpt-4o-mini", "nope", "gpt-4o", "claude-3-haiku-20240307" };
    struct usage u = { 0 };
    put(&u, "input", 500);
    put(&u, "output", 20);
    struct lt_pricing *warm = shipped();
    for (int round = 0; round < 40; round++) /* more names than the cache holds */
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            char name[64];
            snprintf(name, sizeof name, round % 2 ? "%s" : "%s-r%d", names[i], round);
            struct lt_pricing *cold = shipped();
            struct lt_pricing_cost a, b;
            bool x = cost_of(cold, round % 2 ? name : names[i], &u, NULL, &a);
            bool y = cost_of(warm, round % 2 ? name : names[i], &u, NULL, &b);
            CHECK(x == y);
            CHECK(!x || (a.total == b.total && !strcmp(a.model, b.model)));
            cost_of(warm, name, &u, NULL, &b);
            lt_pricing_free(cold);
        }
    lt_pricing_free(warm);
}

static void pricing_should_survive_every_allocation_failure(void)
{
    const char *user = "[{\"modelName\":\"u\",\"matchPattern\":\"(?i)^u(-\\\\d+)?$\",\"pricingTiers\":["
                       "{\"name\":\"s\",\"isDefault\":true,\"priority\":0,\"conditions\":[],\"prices\":{\"input\":1}},"
                       "{\"name\":\"l\",\"priority\":1,\"conditions\":[{\"usageDetailPattern\":\"in\",\"operator\":\"gt\","
                       "\"value\":5}],\"prices\":{\"input\":2}}]}]";
    struct usage u = { 0 };
    put(&u, "input", 10);
    for (uint64_t k = 1; k < 400; k++) {
        struct lt_pricing *p = NULL;
        char why[256];
        lt_mem_fail_at(k);
        enum lt_rc rc = lt_pricing_new(NULL, 0, user, strlen(user), &p, why, sizeof why);
        struct lt_pricing_cost c;
        if (rc == LT_OK) {
            cost_of(p, "u-1", &u, "{\"service_tier\":\"x\"}", &c);
            cost_of(p, "gpt-4o", &u, "{\"service_tier\":\"priority\"}", &c);
            cost_of(p, "gpt-5.4", &u, NULL, &c);
        } else {
            CHECK(p == NULL);
        }
        lt_mem_fail_at(0);
        if (p) {
            /* whatever failed, it now prices as a fresh table does */
            struct lt_pricing_cost d;
            if (cost_of(p, "u-1", &u, NULL, &c))
                CHECK(c.total == 20);
            CHECK(!cost_of(p, "gpt-4o", &u, NULL, &d) || d.total == 10 * 2.5e-06);
        }
        lt_pricing_free(p);
    }
}

static void pricing_should_cost_little_per_generation(void)
{
    struct lt_pricing *p = shipped();
    struct usage u = { 0 };
    put(&u, "input", 125);
    put(&u, "input_cached_tokens", 1024);
    put(&u, "output", 353);
    put(&u, "total", 1502);
    struct lt_pricing_cost c;
    char js[1024];
    const char *params = "{\"temperature\":0.2,\"max_tokens\":100,\"stream\":true}";
    CHECK(cost_of(p, "gpt-4o-2024-08-06", &u, params, &c)); /* first: the row's regex, its tiers */
    int n = 20000;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; i++) {
        CHECK(cost_of(p, "gpt-4o-2024-08-06", &u, params, &c));
        CHECK(lt_pricing_json(&c, js, sizeof js) > 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double us = ((double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3) / n;
    fprintf(stderr, "    # %.2f us per priced generation (cost + JSON)\n", us);
#ifndef TEST_SANITIZED
    CHECK(us < 20);
#endif
    lt_pricing_free(p);
}

/* ------------------------------------------------------------ span attributes */

static struct lt_config ecfg;
static struct lt_process eproc;

static void span_of(const char *model, const char *params, struct lt_buf *out)
{
    struct lt_generation g;
    memset(&g, 0, sizeof g);
    g.provider = "openai";
    g.operation = "chat";
    g.obs_type = "generation";
    g.model = lt_strdup(model);
    g.request_model = lt_strdup(model);
    g.params_json = params ? lt_strdup(params) : NULL;
    g.output_text = lt_strdup("7");
    g.has_usage = true;
    static const struct lt_usage us[] = { { "input", 125 }, { "output", 353 }, { "total", 1502 },
                                          { "input_cached_tokens", 1024 } };
    for (size_t i = 0; i < sizeof us / sizeof us[0]; i++)
        lt_generation_set_usage(&g, us[i].key, us[i].value);
    memset(&eproc, 0, sizeof eproc);
    strcpy(eproc.trace_id, "5b8efff798038103d269b633813fc60c");
    strcpy(eproc.span_id, "eee19b7ec3c1b174");
    strcpy(eproc.name, "app");
    strcpy(eproc.exe, "app");
    eproc.pid = 42;
    eproc.start_ns = lt_now_ns() - 1000000000;
    struct lt_call *c = lt_call_new(0, 0);
    CHECK(c != NULL);
    c->url = lt_strdup("https://api.openai.com/v1/chat/completions");
    c->http_status = 200;
    c->end_ns = lt_now_ns();
    c->start_ns = c->end_ns - 500000000;
    lt_buf_init(out, 0);
    CHECK_INT(lt_event_body_head(out, &ecfg, &eproc), LT_OK);
    CHECK_INT(lt_event_generation(out, &ecfg, &eproc, c, &g, "1111111111111111"), LT_OK);
    CHECK_INT(lt_event_body_tail(out), LT_OK);
    lt_call_free(c);
    lt_generation_free(&g);
}

static void validate_strict(const struct lt_buf *b, bool want_ok)
{
    char path[] = "/tmp/lt-pricing-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write(fd, b->data, b->len) == (ssize_t)b->len);
    close(fd);
    char cmd[600];
    snprintf(cmd, sizeof cmd, PYTHON " " VALIDATOR " --strict %s 2>&1", path);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    char out[8192];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    unlink(path);
    bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    CHECKF(ok == want_ok, "validate-otlp --strict %s:\n%s", want_ok ? "failed" : "passed", out);
}

static void pricing_should_export_cost_where_it_belongs(void)
{
    struct lt_buf b;
    memset(&ecfg, 0, sizeof ecfg);
    ecfg.enabled = true;
    ecfg.max_field_bytes = 1 << 20;

    /* the JSONL file: llmtap.cost_details + gen_ai.usage.cost; strict validation passes */
    ecfg.dest = LT_DEST_JSONL;
    span_of("gpt-4o-mini-2024-07-18", "{\"temperature\":0}", &b);
    CHECK(strstr(b.data, "{\"key\":\"llmtap.cost_details\",\"value\":{\"stringValue\":\"{\\\"input\\\":0.00001875,"
                         "\\\"output\\\":0.0002118,\\\"input_cached_tokens\\\":0.0000768,\\\"total\\\":0.00030734999999999996}\"}}"));
    CHECK(strstr(b.data, "{\"key\":\"gen_ai.usage.cost\",\"value\":{\"doubleValue\":0.00030734999999999996}}"));
    CHECK(strstr(b.data, "{\"key\":\"llmtap.price.model\",\"value\":{\"stringValue\":\"gpt-4o-mini-2024-07-18\"}}"));
    CHECK(strstr(b.data, "{\"key\":\"llmtap.price.tier\",\"value\":{\"stringValue\":\"Standard\"}}"));
    CHECK(!strstr(b.data, "langfuse.observation.cost_details"));
    validate_strict(&b, true);
    lt_buf_free(&b);

    /* a generic OTLP backend: the same */
    ecfg.dest = LT_DEST_OTLP_HTTP;
    ecfg.endpoint = "http://collector:4318/v1/traces";
    span_of("gpt-4o-mini-2024-07-18", NULL, &b);
    CHECK(strstr(b.data, "llmtap.cost_details") && strstr(b.data, "gen_ai.usage.cost"));
    validate_strict(&b, true);
    lt_buf_free(&b);

    /* ... with LLMTAP_SEND_COST=false: nothing Langfuse would take as cost */
    ecfg.cost_off = true;
    span_of("gpt-4o-mini-2024-07-18", NULL, &b);
    CHECK(strstr(b.data, "llmtap.cost_details") && !strstr(b.data, "gen_ai.usage.cost") &&
          !strstr(b.data, "langfuse.observation.cost_details"));
    lt_buf_free(&b);
    ecfg.cost_off = false;

    /* Langfuse, by its keys or by its OTLP path: no cost at all */
    ecfg.langfuse_auth = true;
    span_of("gpt-4o-mini-2024-07-18", NULL, &b);
    CHECK(!strstr(b.data, "cost"));
    validate_strict(&b, true);
    lt_buf_free(&b);
    ecfg.langfuse_auth = false;
    ecfg.endpoint = "https://cloud.langfuse.com/api/public/otel/v1/traces";
    span_of("gpt-4o-mini-2024-07-18", NULL, &b);
    CHECK(!strstr(b.data, "cost"));
    lt_buf_free(&b);

    /* ... unless LLMTAP_SEND_COST=true: langfuse.observation.cost_details alone
     * (validate-otlp warns that a sent cost overrides the price table) */
    ecfg.send_cost = true;
    span_of("gpt-4o-mini-2024-07-18", NULL, &b);
    CHECK(strstr(b.data, "{\"key\":\"langfuse.observation.cost_details\",\"value\":{\"stringValue\":\"{\\\"input\\\":"));
    CHECK(!strstr(b.data, "llmtap.cost_details") && !strstr(b.data, "gen_ai.usage.cost"));
    validate_strict(&b, false);
    lt_buf_free(&b);
    ecfg.send_cost = false;

    /* an unknown model: usage, no cost */
    ecfg.dest = LT_DEST_JSONL;
    ecfg.endpoint = NULL;
    span_of("my-local-model", NULL, &b);
    CHECK(strstr(b.data, "usage_details") && !strstr(b.data, "cost"));
    lt_buf_free(&b);
}

/* ------------------------------------------------------------ driver */

/* --compute: one JSON line in, one out (see the head of this file). */
static int compute_lines(void)
{
    if (lt_json_load() != LT_OK)
        return 2;
    struct lt_pricing *p = NULL;
    const char *user = getenv("LLMTAP_PRICES_TEXT");
    char why[256];
    if (lt_pricing_new(NULL, 0, user, user ? strlen(user) : 0, &p, why, sizeof why) != LT_OK)
        return 2;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        cJSON *in = lt_cj.ParseWithLength(line, (size_t)n);
        const cJSON *model = get(in, "model"), *usage = get(in, "usage"), *params = get(in, "params");
        struct usage u = { 0 };
        for (const cJSON *k = usage ? usage->child : NULL; k && u.n < LT_USAGE_MAX; k = k->next) {
            snprintf(u.u[u.n].key, LT_USAGE_KEY_MAX, "%s", k->string);
            u.u[u.n++].value = (long long)k->valuedouble;
        }
        char *pj = params ? lt_cj.PrintUnformatted(params) : NULL;
        struct lt_pricing_cost c;
        char js[2048];
        if (is(model, cJSON_String) && cost_of(p, model->valuestring, &u, pj, &c) &&
            lt_pricing_json(&c, js, sizeof js)) {
            cJSON *o = lt_cj.CreateObject();
            lt_cj.AddItemToObject(o, "model", lt_cj.CreateString(c.model));
            lt_cj.AddItemToObject(o, "tier", lt_cj.CreateString(c.tier));
            char *os = lt_cj.PrintUnformatted(o);
            /* the cost object verbatim: its numbers are the text we export */
            printf("%.*s,\"cost\":%s}\n", (int)strlen(os) - 1, os, js);
            lt_cj.free(os);
            lt_cj.Delete(o);
        } else {
            printf("{\"model\":null}\n");
        }
        fflush(stdout);
        lt_cj.free(pj);
        lt_cj.Delete(in);
    }
    free(line);
    lt_pricing_free(p);
    return 0;
}

static const struct tap_case cases[] = {
    TAP(pricing_should_price_every_row_and_tier_of_the_shipped_table),
    TAP(pricing_should_cut_tiers_at_the_threshold_as_gt_says),
    TAP(pricing_should_choose_tiers_by_service_tier),
    TAP(pricing_should_match_provider_prefixes_and_case),
    TAP(pricing_should_give_no_cost_without_a_price),
    TAP(pricing_should_sum_the_total_and_price_a_total_key),
    TAP(pricing_should_multiply_as_decimal_js_does),
    TAP(pricing_should_let_user_rows_add_and_replace),
    TAP(pricing_should_survive_malformed_user_files),
    TAP(pricing_should_run_langfuse_patterns_exactly),
    TAP(pricing_should_give_no_cost_when_shipped_rows_tie),
    TAP(pricing_should_price_the_recorded_fixtures),
    TAP(pricing_index_should_be_what_the_table_gives),
    TAP(pricing_should_answer_the_same_cold_and_cached),
    TAP(pricing_should_survive_every_allocation_failure),
    TAP(pricing_should_cost_little_per_generation),
    TAP(pricing_should_export_cost_where_it_belongs),
};

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--compute"))
        return compute_lines();
    return tap_main(argc, argv, cases, TAP_N(cases));
}
