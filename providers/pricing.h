/* pricing.h — client-side cost of a generation, computed the way the
 * Langfuse server computes it.
 *
 * The price table is Langfuse's own default model price table
 * (providers/prices.json, built by scripts/build-prices and embedded in the
 * library: nothing is read from disk or the network for it) plus the rows of
 * the user's LLMTAP_PRICES file, which are tried first and replace a shipped
 * row of the same modelName. A model name picks its row by matchPattern
 * (regex, case-insensitive with "(?i)"); usage and model parameters pick the
 * row's pricing tier (conditions, priority order, default tier); cost per
 * usage key = units × that key's price, total = their sum (or the priced
 * "total" key). No matching row, no usage or no priced key: no cost, never a
 * guess.
 *
 * Knows model names, usage keys and prices; nothing of curl or of export.
 * Threads: any, one at a time per table (the process table is locked
 * internally; a fork child gets it unlocked).
 */
#ifndef LT_PRICING_H
#define LT_PRICING_H

#include <stdbool.h>
#include <stddef.h>

#include "../shim/rc.h"
#include "generation.h"

/* A cost item per priced usage key, plus "total". */
#define LT_PRICING_ITEMS_MAX (LT_USAGE_MAX + 1)
/* Longest USD amount as text: 17 significant digits, sign of the exponent,
 * a decimal point and up to 6 leading zeros. */
#define LT_PRICING_NUM_MAX 40

struct lt_pricing_item {
    const char *key;  /* borrowed: the usage key passed in, or the static "total" */
    double usd;
    char text[LT_PRICING_NUM_MAX]; /* usd as a JSON number that reads back to the same double */
};

struct lt_pricing_cost {
    int n;           /* items, in usage order; "total" last unless a usage key priced it */
    struct lt_pricing_item item[LT_PRICING_ITEMS_MAX];
    double total;    /* == the "total" item's usd */
    const char *total_text;
    const char *model; /* modelName of the price row; borrowed from the table (lives as long as it) */
    const char *tier;  /* name of the pricing tier applied; same lifetime */
};

struct lt_pricing; /* a loaded table: rows, compiled regexes, per-model-name cache */

/* The cost of one generation under the process's table, loaded at the first
 * call (the embedded table, then the file user_path when not NULL; a user
 * file that cannot be read or parsed is said once under LANGFUSE_DEBUG and
 * the shipped table is used alone). model: the model name as exported
 * (langfuse.observation.model.name). true with *out filled when the model has
 * a price row and at least one usage key of g has a price; false otherwise
 * (out->n is then 0). Allocates the first time it sees a model name or
 * reads a row (its tiers, its regex), not after (but for a model parameter
 * written with JSON escapes or as a number, decoded into a small buffer).
 * The user file is read at the first call only: later values of user_path
 * are not looked at. */
bool lt_pricing_cost(const char *user_path, const char *model, const struct lt_generation *g,
                     struct lt_pricing_cost *out);

/* Writes c as a JSON object {"key":usd,...,"total":usd} into buf (size n,
 * NUL-terminated). Returns the length, or 0 when it does not fit. */
size_t lt_pricing_json(const struct lt_pricing_cost *c, char *buf, size_t n);

/* ---- tables (tests, fuzzers; the process table is one of these) -------- */

/* Builds a table from `shipped` (the embedded text when NULL) and an
 * optional user text. Both are JSON: an array of rows, or an object whose
 * "models" member is that array (prices.json's own shape). A row is what
 * Langfuse's POST /api/public/models takes: modelName, matchPattern and
 * pricingTiers, or flat inputPrice/outputPrice/totalPrice; other members are
 * ignored. The shipped text is borrowed until lt_pricing_free (rows are read
 * lazily); the user text is read now and may go. A malformed user text or
 * user row is skipped: `why` (when not NULL, size whyn) gets the first
 * reason, and the table still holds the shipped rows. LT_OK;
 * LT_ERR_INVALID when the shipped text itself is not a table (*out NULL);
 * LT_ERR_NOMEM. */
enum lt_rc lt_pricing_new(const char *shipped, size_t shipped_len, const char *user, size_t user_len,
                          struct lt_pricing **out, char *why, size_t whyn);
void lt_pricing_free(struct lt_pricing *p);

/* The cost of usage u[0..n) (Langfuse keys, non-negative counts; invalid
 * entries are skipped as the exporter skips them) for model name `model`,
 * with the request's parameters `params_json` (a JSON object text, or NULL)
 * for tiers conditioned on model parameters. As lt_pricing_cost. */
bool lt_pricing_compute(struct lt_pricing *p, const char *model, const struct lt_usage *u, int n,
                        const char *params_json, struct lt_pricing_cost *out);

/* Rows in the table (shipped + user, overridden ones included) and the
 * modelName of row i (NULL when out of range): tests walk every row. */
int lt_pricing_rows(const struct lt_pricing *p);
const char *lt_pricing_row_name(struct lt_pricing *p, int i);

/* The embedded prices.json text (static, not NUL-terminated; NULL when
 * not linked) and its index. */
const char *lt_pricing_shipped(size_t *len);
const unsigned char *lt_pricing_shipped_index(size_t *len);

/* Build time (build/prices-index, and tests): appends to out the index of
 * a shipped table text — each row's name, translated pattern, prefilter and
 * tiers span — that providers/prices.S embeds next to prices.json, so the
 * library never parses or analyses the shipped table to find a model's row.
 * LT_OK; LT_ERR_INVALID (why says what) or LT_ERR_NOMEM. */
struct lt_buf;
enum lt_rc lt_pricing_index(const char *json, size_t len, struct lt_buf *out, char *why, size_t whyn);

#endif
