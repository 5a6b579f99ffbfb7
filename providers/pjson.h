/* pjson.h — what every provider module does alike with the JSON it reads:
 * cJSON type tests and getters, copies and buffer appends that note an
 * allocation failure in the caller's `oom` flag, JSON objects built member
 * by member, a request split into its parameters and its input, the quote
 * of an error body, a percent-encoded path segment decoded.
 *
 * Knows cJSON values, struct lt_buf and the strings of struct lt_generation;
 * never what a member means in any wire format (the module says which keys
 * are input, which model wins, what an error object looks like), nothing of
 * curl and nothing of export. Keeps no state. Background thread (and tests)
 * only, like the modules that call it.
 *
 * Memory: every char * returned is lt_malloc'd and the caller's (lt_free).
 * A function given `bool *oom` sets *oom when an allocation failed (or a
 * buffer passed its cap) and never clears it; what it could not build is
 * left NULL and what it was given stays as it was.
 */
#ifndef LT_PJSON_H
#define LT_PJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "../shim/json.h"
#include "generation.h"

struct lt_buf;

/* ---- reading: NULL-safe, exact key match ------------------------------------ */

static inline bool lt_pj_is(const cJSON *v, int type)
{
    return v && (v->type & 0xFF) == type;
}

/* c is a member named k. */
static inline bool lt_pj_key(const cJSON *c, const char *k)
{
    return c->string && strcmp(c->string, k) == 0;
}

/* v's text when it is a string; NULL otherwise (borrowed from v). */
static inline const char *lt_pj_str(const cJSON *v)
{
    return lt_pj_is(v, cJSON_String) && v->valuestring ? v->valuestring : NULL;
}

/* The first member named k of object obj (cJSON keeps duplicates; the first
 * is what GetObjectItem would give); NULL when obj is no object. */
static inline const cJSON *lt_pj_child(const cJSON *obj, const char *k)
{
    if (!lt_pj_is(obj, cJSON_Object))
        return NULL;
    for (const cJSON *c = obj->child; c; c = c->next)
        if (lt_pj_key(c, k))
            return c;
    return NULL;
}

/* A number that can be a count or an index: true and *out set (truncated
 * toward zero) when |v| <= 9e15, where a double still holds every integer. */
bool lt_pj_int(const cJSON *v, long long *out);

/* A token count or a duration: as lt_pj_int, for 0 <= v only (a negative
 * count is no count, not zero). */
bool lt_pj_count(const cJSON *v, long long *out);

/* ---- copies and appends that note a failure in *oom -------------------------- */

/* Room for one more element in the lt_malloc'd array `arr` (n elements used,
 * *cap allocated, `size` bytes each; NULL when *cap is 0): doubled, from
 * `first`, when full. Returns the array to keep (moved, perhaps, and owned by
 * the caller as before), or NULL with *oom set and `arr` left as it was. */
void *lt_pj_room(void *arr, int n, int *cap, size_t size, int first, bool *oom);

/* A copy of s (NULL: NULL) made valid UTF-8 (lt_generation_strdup_utf8). */
char *lt_pj_dup(const char *s, bool *oom);
/* The same for the n bytes at s (no NUL needed). */
char *lt_pj_dupn(const char *s, size_t n, bool *oom);
/* The bytes of b made valid UTF-8 (a character split across two pieces is
 * whole again; stray bytes become U+FFFD): "" for an empty buffer. */
char *lt_pj_text(const struct lt_buf *b, bool *oom);

/* *slot = a copy of s when *slot is still NULL and s is a non-empty string:
 * ids and models are said once, or repeated alike. */
void lt_pj_keep_first(char **slot, const char *s, bool *oom);
/* *slot = a copy of s whenever s is a non-empty string other than *slot's:
 * a stop reason is final when it comes. */
void lt_pj_keep_last(char **slot, const char *s, bool *oom);
/* The same for the n bytes at s (NULL: nothing). */
void lt_pj_keep_lastn(char **slot, const char *s, size_t n, bool *oom);

/* Appends n bytes; *oom when b ran out of memory (its cap reached is not
 * an allocation failure: lt_pj_steal reports that). */
void lt_pj_append(struct lt_buf *b, const char *s, size_t n, bool *oom);
/* Appends string s; nothing for NULL. */
void lt_pj_appends(struct lt_buf *b, const char *s, bool *oom);
/* Appends v as compact JSON text (lt_provider_json_write). */
void lt_pj_append_json(struct lt_buf *b, const cJSON *v, bool *oom);

/* Hands over b's bytes (NULL when nothing was appended); NULL and *oom set
 * when b passed its cap or ran out of memory. b is empty after. */
char *lt_pj_steal(struct lt_buf *b, bool *oom);

/* ---- the generation ------------------------------------------------------------ */

/* Metadata key (static) = a copy of value; nothing when value is NULL. */
void lt_pj_meta(struct lt_generation *g, const char *key, const char *value, bool *oom);
/* Metadata key = n in decimal. */
void lt_pj_meta_num(struct lt_generation *g, const char *key, long long n, bool *oom);

/* The model as priced (fixtures README), unless g->model is set: a copy of
 * the response's model, else the request's, else `fallback` (the one a URL
 * names; may be NULL). */
void lt_pj_pick_model(struct lt_generation *g, const char *fallback, bool *oom);

/* A warning never hides an error or an earlier warning. */
#define LT_PJ_WARN(g, ...)                                                 \
    do {                                                                   \
        if ((g)->level == LT_LEVEL_DEFAULT)                                \
            lt_generation_set_status((g), LT_LEVEL_WARNING, __VA_ARGS__); \
    } while (0)

/* One document of a stream (an SSE data field, an NDJSON line) without the
 * white space around it: *d and *n narrowed; false when nothing is left. */
bool lt_pj_trim(const char **d, size_t *n);

/* ---- building a JSON object in an lt_buf ---------------------------------------- */

/* Appends member "key": v to the object b holds so far ('{' first when b is
 * empty, ',' after); nothing when key names a credential
 * (lt_provider_secret_name). b's cap or memory running out shows in
 * lt_pj_close. */
void lt_pj_member(struct lt_buf *b, const char *key, const cJSON *v);
/* v's named members, each as lt_pj_member, when v is an object; else v
 * itself under its own name: a settings object flattened into parameters. */
void lt_pj_flatten(struct lt_buf *b, const cJSON *v);
/* Closes the object b holds and hands its text over; NULL when b holds no
 * member (or *oom, as lt_pj_steal). b is freed either way. */
char *lt_pj_close(struct lt_buf *b, bool *oom);

/* ---- a request: parameters and input -------------------------------------------- */

/* Input members one shape may name. */
#define LT_PJ_INPUT_MAX 16

/* How a module's request body divides. Every member not named here is a
 * parameter, kept as sent (or, with `keep`, only those listed). */
struct lt_pj_shape {
    const char *const *input;     /* the conversation, in the order input_json lists it */
    const char *const *input_alt; /* NULL, or per input key another accepted spelling
                                     (NULL entries: none); input_json uses input[k] */
    size_t n_input;               /* at most LT_PJ_INPUT_MAX */
    const char *const *keep;      /* non-NULL: the only members that are parameters */
    size_t n_keep;
    const char *const *drop;      /* neither parameter nor input (read by the module) */
    size_t n_drop;
    const char *model_prefix;     /* stripped from the model's name ("models/"); may be NULL */
    bool model_nonempty;          /* an empty model name does not count: a later one may */
};

/* What lt_pj_split found beside the texts it built. Borrowed from the request. */
struct lt_pj_split {
    const cJSON *input[LT_PJ_INPUT_MAX]; /* each input member as first sent; NULL: absent */
    bool stream;                         /* a parameter "stream": true */
    bool no_stream;                      /* a parameter "stream": false */
};

/* Splits request object j. g->request_model: a copy of the first "model"
 * member that is a string (after `model_prefix`, and non-empty with
 * `model_nonempty`); "model" is never a parameter. g->params_json: the
 * object params holds (members a module flattened into it first) followed by
 * every parameter member in request order, except `skip` (a member the
 * module already read; may be NULL). g->input_json: the input members found,
 * in shape order. Takes params (freed on return; NULL: none flattened);
 * *out filled. */
void lt_pj_split(const cJSON *j, const struct lt_pj_shape *shape, struct lt_buf *params, const cJSON *skip,
                 struct lt_generation *g, struct lt_pj_split *out, bool *oom);

/* An object of the n members values[k] (NULL ones left out) named keys[k],
 * in that order; NULL when all are NULL. */
char *lt_pj_object(const char *const *keys, const cJSON *const *values, size_t n, bool *oom);

/* ---- error bodies --------------------------------------------------------------- */

/* A body that is not a JSON error is quoted up to this many bytes. */
#define LT_PJ_QUOTE 200

/* The start of body as one line into q: white space runs (and NULs) become
 * one space, trimmed at both ends, cut after LT_PJ_QUOTE bytes without
 * leaving a character's first bytes. Its length (0: the body is blank). */
size_t lt_pj_quote(char q[LT_PJ_QUOTE + 1], const char *body, size_t n);

/* Level ERROR, status the quote of body: "HTTP <status>: <quote>" for an
 * HTTP error (status >= 400; "HTTP <status>" for a blank body), the quote
 * alone for a stream's error event (status < 400; "error event in the
 * response stream" when blank). Cannot fail (lt_generation_set_status). */
void lt_pj_error_text(struct lt_generation *g, long status, const char *body, size_t n);

/* ---- URLs ------------------------------------------------------------------------ */

/* The n bytes at s percent-decoded (a '%' without two hex digits after it
 * stays as it is) and made valid UTF-8: a model id from a URL path. */
char *lt_pj_percent_decode(const char *s, size_t n, bool *oom);

#endif
