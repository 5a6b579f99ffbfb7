/* gen.h — what the provider tests share (unit tests and fuzz targets): one
 * exchange run through the public parser API, the recorded fixtures loaded
 * and run, two generations compared field by field, a generation's usage
 * and metadata read, every allocation failed in turn, small cJSON helpers.
 *
 * Never knows a provider's wire format: a test brings its URLs and bodies.
 * Failures end the test case through tap.h (CHECK), except gen_differ, which
 * only reports, so that a fuzz target can abort instead. One thread.
 */
#ifndef GEN_H
#define GEN_H

#include <stdbool.h>
#include <stddef.h>

#include "../../providers/provider.h"
#include "../../shim/json.h"

/* ---- one inline exchange ---------------------------------------------------- */

/* Feed the body in three pieces (cut at n/3 and 2n/3), so that every
 * internal boundary is crossed at least once. */
#define GEN_THIRDS ((size_t)-1)

/* One exchange. Positional initializers read { url, req, status, ct, body,
 * step, incomplete }; the rest are named when needed. */
struct gen_x {
    const char *url;     /* matched with lt_provider_match_url: it must match */
    const char *req;     /* request body, may be NULL */
    long status;         /* as given: 0 means no response arrived */
    const char *ct;      /* Content-Type, may be NULL */
    const void *body;    /* response body, may be NULL */
    size_t step;         /* fed in pieces of this many bytes; 0: whole; GEN_THIRDS */
    bool incomplete;     /* the transfer did not complete */
    size_t body_len;     /* 0: strlen(body) */
    size_t req_len;      /* 0: strlen(req) */
    enum lt_api api;     /* LT_API_NONE: any; else the URL must match this API */
};

/* Parses one exchange into *g (zeroed first; the caller frees it with
 * lt_generation_free whatever the result). Returns lt_parser_new's or
 * lt_parser_finish's result; the case fails when the URL does not match. */
enum lt_rc gen_run(const struct gen_x *x, struct lt_generation *g);

/* The same run, and then each of its allocations failed in turn (and two
 * more): every run must end LT_OK or LT_ERR_NOMEM with nothing left
 * allocated. `name` names the exchange in failure messages. */
void gen_survive_failed_allocations(const struct gen_x *x, const char *name);
/* The same for any run: `run(ctx, g)` parses one exchange into *g. */
void gen_survive_failed_allocations_of(enum lt_rc (*run)(const void *ctx, struct lt_generation *g), const void *ctx,
                                       const char *name);

/* ---- a generation's values ---------------------------------------------------- */

/* Both NULL, or equal strings. */
bool gen_str_eq(const char *a, const char *b);
/* A metadata value by key; NULL when absent. */
const char *gen_meta(const struct lt_generation *g, const char *key);
/* A usage count by key; -1 when absent. */
long long gen_usage(const struct lt_generation *g, const char *key);
/* The case fails unless the usage keys are exactly `spec`
 * ("input=5,output=3", any order; "" for none) and has_usage says whether
 * there are any. */
void gen_usage_is(const struct lt_generation *g, const char *spec);

/* The case fails unless g->level is `level` and the status message holds
 * `want` (want NULL: there is no status message). fmt... names the case in
 * the failure message. */
void gen_status_is(const struct lt_generation *g, enum lt_level level, const char *want, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* What gen_differ compares. The response side is what any envelope of the
 * same answer must agree on; the request side depends on the URL and
 * request as well. */
#define GEN_RESPONSE 1u /* output_json/_text, reasoning, finish, response id/model, status, level,
                           usage, tool calls, n_embeddings */
#define GEN_REQUEST 2u  /* provider, operation, obs_type, model, request_model, params_json,
                           input_json, stream, n_input_messages, metadata */
#define GEN_ALL (GEN_RESPONSE | GEN_REQUEST)

/* false when a and b hold the same values in the fields `what` names; true
 * with the first difference written to why (n bytes) otherwise. Never ends
 * the case: the caller decides (CHECK or abort). */
bool gen_differ(const struct lt_generation *a, const struct lt_generation *b, unsigned what, char *why, size_t n);
/* The case fails when gen_differ finds a difference; name and how head the
 * message ("openai/chat_plain split at 7: output_text ..."). */
void gen_check_same(const char *name, const char *how, const struct lt_generation *a, const struct lt_generation *b);

/* ---- small JSON helpers (test side; cJSON must be loaded) ---------------------- */

const cJSON *gen_jget(const cJSON *o, const char *k);
/* v is of this cJSON type (cJSON_Number, cJSON_Array, ...). */
bool gen_jis(const cJSON *v, int type);
/* Same JSON value: numbers by value, objects in any member order. */
bool gen_jequal(const cJSON *a, const cJSON *b);
/* NULL for NULL or not JSON; the caller deletes with lt_cj.Delete. */
cJSON *gen_jparse(const char *s);

/* ---- recorded exchanges --------------------------------------------------------- */

/* One case: a directory with meta.json, request.json, response.body,
 * expected.json (../shared/fixtures/README.md). */
struct gen_fx {
    char name[320];        /* "anthropic/messages_text", "own/ollama/generate_cut" */
    bool own;              /* the project's own (tests/fixtures/...), not shared */
    char url[1200];        /* meta's url, plus the set's key when it has one */
    char provider[64];
    char api[64];          /* "openai.chat", "gemini.generateContent", ... */
    char content_type[128];
    bool has_content_type;
    long status;
    bool complete;
    char *req;
    size_t req_len;
    char *body;
    size_t body_len;
    cJSON *exp;            /* expected.json */
};

/* The cases a test loads: storage, a filter and what every URL gets. */
struct gen_fxset {
    struct gen_fx *c;      /* storage for max cases (the caller's) */
    int max;
    int n, n_shared, n_own;
    /* When set: appended to every URL as a query parameter key=..., so that
     * a test can prove a credential in the URL never reaches a span. */
    const char *key;
    /* When set: only cases it keeps (name, and meta's api) are loaded. */
    bool (*keep)(const char *name, const char *api);
};

/* Loads every directory below root (depth <= 2) holding a meta.json, in
 * name order, named prefix + its path below root; `skip` names a top-level
 * directory to pass over (NULL: none). The case fails on an unreadable one. */
void gen_fx_scan(struct gen_fxset *s, const char *root, const char *prefix, int depth, bool own, const char *skip);
/* Frees what gen_fx_scan loaded (for leak checks). */
void gen_fx_free(struct gen_fxset *s);
/* The case by name; the test case fails when it is missing. */
const struct gen_fx *gen_fx_find(const struct gen_fxset *s, const char *name);
/* expected.json says the exchange must be skipped (LT_ERR_SKIP). */
bool gen_fx_skip(const struct gen_fx *c);

/* How gen_fx_run feeds the body: whole, split in two at byte arg, or in
 * random 1-97-byte pieces from seed arg. */
enum gen_plan { GEN_WHOLE, GEN_SPLIT, GEN_RANDOM };

/* Runs one recorded case: its URL must match its provider and api; *g as
 * for gen_run. */
enum lt_rc gen_fx_run(const struct gen_fx *c, enum gen_plan plan, size_t arg, struct lt_generation *g);

#endif
