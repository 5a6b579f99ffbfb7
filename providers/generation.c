/* generation.c — owns the lifetime of struct lt_generation: freeing it,
 * usage keys, metadata, the status message, and UTF-8-safe text copies.
 *
 * Never logs and never exports; a status message passes through a scrubber
 * here so that no credential a provider echoes back can reach a span.
 * Background thread (and tests) only: one generation has one owner.
 */
#include "generation.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../shim/buf.h"
#include "../shim/mem.h"

/* A status message is a sentence, not a document: provider error texts
 * longer than this are cut (at a character boundary). */
#define GENERATION_STATUS_MAX 2048

void lt_generation_free(struct lt_generation *g)
{
    if (!g)
        return;
    lt_free(g->model);
    lt_free(g->request_model);
    lt_free(g->response_model);
    lt_free(g->params_json);
    lt_free(g->input_json);
    lt_free(g->output_json);
    lt_free(g->output_text);
    lt_free(g->reasoning_text);
    for (int i = 0; i < g->n_tool_calls; i++) {
        lt_free(g->tool_calls[i].id);
        lt_free(g->tool_calls[i].name);
        lt_free(g->tool_calls[i].arguments);
    }
    lt_free(g->tool_calls);
    lt_free(g->finish_reason);
    lt_free(g->response_id);
    for (int i = 0; i < g->n_meta; i++)
        lt_free(g->meta[i].value);
    lt_free(g->status_message);
    memset(g, 0, sizeof *g);
}

bool lt_generation_set_usage(struct lt_generation *g, const char *key, long long value)
{
    if (!key || strlen(key) >= LT_USAGE_KEY_MAX)
        return false;
    for (int i = 0; i < g->n_usage; i++) {
        if (strcmp(g->usage[i].key, key) == 0) {
            g->usage[i].value = value;
            g->has_usage = true;
            return true;
        }
    }
    if (g->n_usage >= LT_USAGE_MAX)
        return false;
    struct lt_usage *u = &g->usage[g->n_usage++];
    memcpy(u->key, key, strlen(key) + 1);
    u->value = value;
    g->has_usage = true;
    return true;
}

bool lt_generation_get_usage(const struct lt_generation *g, const char *key, long long *value)
{
    for (int i = 0; i < g->n_usage; i++) {
        if (strcmp(g->usage[i].key, key) == 0) {
            if (value)
                *value = g->usage[i].value;
            return true;
        }
    }
    return false;
}

bool lt_generation_add_meta(struct lt_generation *g, const char *key, char *value)
{
    if (!value)
        return false;
    /* A key set twice keeps the later value: metadata is a map. */
    for (int i = 0; i < g->n_meta; i++) {
        if (strcmp(g->meta[i].key, key) == 0) {
            lt_free(g->meta[i].value);
            g->meta[i].value = value;
            return true;
        }
    }
    if (g->n_meta >= LT_GEN_META_MAX) {
        lt_free(value);
        return false;
    }
    g->meta[g->n_meta].key = key;
    g->meta[g->n_meta].value = value;
    g->n_meta++;
    return true;
}

/* Length of the UTF-8 sequence at s. *valid says whether it is one; when it
 * is not, the length is that of its maximal valid prefix (at least 1), which
 * becomes one U+FFFD as in the WHATWG decoder. NUL counts as invalid. */
static size_t generation_utf8_scan(const unsigned char *s, size_t n, bool *valid)
{
    unsigned char c = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    *valid = false;
    if (c < 0x80) {
        *valid = c != 0;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c == 0xE0) { need = 2; lo = 0xA0; }
    else if (c >= 0xE1 && c <= 0xEC) need = 2;
    else if (c == 0xED) { need = 2; hi = 0x9F; }
    else if (c >= 0xEE && c <= 0xEF) need = 2;
    else if (c == 0xF0) { need = 3; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) need = 3;
    else if (c == 0xF4) { need = 3; hi = 0x8F; }
    else return 1;
    size_t i = 1;
    if (i < n && s[i] >= lo && s[i] <= hi) {
        i++;
        while (i <= need && i < n && s[i] >= 0x80 && s[i] <= 0xBF)
            i++;
    }
    *valid = i == need + 1;
    return i;
}

char *lt_generation_strdup_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t bad = 0, i = 0;
    bool ok;
    /* Fast path: valid text is one copy. */
    while (i < n) {
        if (p[i] >= 0x01 && p[i] < 0x80) {
            i++;
            continue;
        }
        i += generation_utf8_scan(p + i, n - i, &ok);
        bad += !ok;
    }
    if (bad == 0)
        return lt_strndup(s ? s : "", n);
    if (n > (SIZE_MAX - 1) / 3)
        return NULL;
    char *d = lt_malloc(n + 2 * bad + 1); /* each bad run (>= 1 byte) grows to 3 bytes at most */
    if (!d)
        return NULL;
    size_t o = 0;
    for (i = 0; i < n;) {
        size_t l = generation_utf8_scan(p + i, n - i, &ok);
        if (!ok) {
            memcpy(d + o, "\xEF\xBF\xBD", 3);
            o += 3;
        } else {
            memcpy(d + o, p + i, l);
            o += l;
        }
        i += l;
    }
    d[o] = '\0';
    return d;
}

static bool generation_is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Characters of an API-key-like token (masked keys use '*'). */
static bool generation_is_keychar(unsigned char c)
{
    return generation_is_alnum(c) || c == '_' || c == '-' || c == '*';
}

/* Characters of a query-parameter or header-ish name. */
static bool generation_is_namechar(unsigned char c)
{
    return generation_is_alnum(c) || c == '_' || c == '-' || c == '.';
}

/* Token prefixes of provider keys. A prefix only counts at the start of a
 * word and when the whole token is long enough to be a key, so that prose
 * ("sk-learn", "disk-based") is left alone. */
static const struct {
    char prefix[12]; /* arrays, not pointers: no load-time relocation per entry */
    size_t min_len;
} generation_key_prefixes[] = {
    { "sk-", 20 },   { "AIza", 30 },  { "gsk_", 20 },   { "xai-", 20 },
    { "pplx-", 20 }, { "csk-", 20 },  { "fw_", 20 },    { "hf_", 20 },
    { "AKIA", 20 },  { "ASIA", 20 },  { "ghp_", 20 },   { "github_pat_", 20 },
    { "glpat-", 20 }, { "sess-", 20 }, { "ya29.", 20 },
};

/* Query/header names whose value is a secret: a name ending in one of these
 * (case-insensitive), followed by '=' or ": ". */
static const char generation_secret_names[][12] = {
    "key", "token", "secret", "sig", "signature", "password", "passwd", "credential",
};

static bool generation_secret_name(const char *s, size_t start, size_t end)
{
    size_t n = end - start;
    for (size_t i = 0; i < sizeof generation_secret_names / sizeof generation_secret_names[0]; i++) {
        size_t l = strlen(generation_secret_names[i]);
        if (n >= l && strncasecmp(s + end - l, generation_secret_names[i], l) == 0)
            return true;
    }
    return false;
}

/* Copies s into b with credentials replaced by "[redacted]". */
static void generation_scrub(struct lt_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    while (i < n) {
        bool boundary = i == 0 || !generation_is_keychar(p[i - 1]);
        size_t skip_from = 0, skip_to = 0; /* bytes [skip_from, skip_to) become [redacted] */
        if (boundary && generation_is_alnum(p[i])) {
            for (size_t k = 0; k < sizeof generation_key_prefixes / sizeof generation_key_prefixes[0]; k++) {
                size_t pl = strlen(generation_key_prefixes[k].prefix);
                if (n - i < pl || memcmp(p + i, generation_key_prefixes[k].prefix, pl) != 0)
                    continue;
                size_t e = i + pl;
                /* a dot inside a token (ya29.xxx) belongs to it; one that
                 * ends a sentence does not */
                while (e < n && (generation_is_keychar(p[e]) ||
                                 (p[e] == '.' && e + 1 < n && generation_is_keychar(p[e + 1]))))
                    e++;
                if (e - i >= generation_key_prefixes[k].min_len) {
                    skip_from = i + pl;
                    skip_to = e;
                }
                break;
            }
            if (!skip_to && n - i >= 7 &&
                (strncasecmp(s + i, "bearer ", 7) == 0 || strncasecmp(s + i, "basic ", 6) == 0)) {
                size_t e = i + (p[i + 1] == 'e' || p[i + 1] == 'E' ? 7 : 6);
                size_t v = e;
                while (e < n && (generation_is_keychar(p[e]) || p[e] == '.' || p[e] == '~' ||
                                 p[e] == '+' || p[e] == '/' || p[e] == '='))
                    e++;
                if (e - v >= 8) {
                    skip_from = v;
                    skip_to = e;
                }
            }
        }
        if (!skip_to && (p[i] == '=' || (p[i] == ':' && i + 1 < n && p[i + 1] == ' '))) {
            size_t ns = i;
            while (ns > 0 && generation_is_namechar(p[ns - 1]))
                ns--;
            if (ns < i && generation_secret_name(s, ns, i)) {
                size_t v = i + (p[i] == ':' ? 2 : 1);
                if (v < n && (p[v] == '"' || p[v] == '\''))
                    v++;
                size_t e = v;
                while (e < n && p[e] != '&' && p[e] != ' ' && p[e] != '\t' && p[e] != '\n' &&
                       p[e] != '\r' && p[e] != '"' && p[e] != '\'' && p[e] != '<' && p[e] != '>' &&
                       p[e] != ',' && p[e] != ';' && p[e] != ')' && p[e] != '#')
                    e++;
                if (e > v) {
                    skip_from = v;
                    skip_to = e;
                }
            }
        }
        if (skip_to) {
            lt_buf_add(b, s + run, skip_from - run);
            lt_buf_adds(b, "[redacted]");
            i = run = skip_to;
        } else {
            i++;
        }
    }
    lt_buf_add(b, s + run, n - run);
}

void lt_generation_set_status(struct lt_generation *g, enum lt_level level, const char *fmt, ...)
{
    if (level > g->level)
        g->level = level;
    lt_free(g->status_message);
    g->status_message = NULL;

    char small[512];
    char *text = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof small) {
        text = lt_malloc((size_t)n + 1);
        if (!text)
            return;
        va_start(ap, fmt);
        vsnprintf(text, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    size_t len = (size_t)n;
    if (len > GENERATION_STATUS_MAX) {
        len = GENERATION_STATUS_MAX;
        /* back up to a character start so the cut leaves no broken sequence */
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
    }
    struct lt_buf b;
    lt_buf_init(&b, 0);
    generation_scrub(&b, text, len);
    if (!b.oom && b.data)
        g->status_message = lt_generation_strdup_utf8(b.data, b.len);
    lt_buf_free(&b);
    if (text != small)
        lt_free(text);
}
