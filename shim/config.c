/* config.c — the environment, read once into one immutable struct lt_config.
 *
 * Owns config_global (written once by config_init under config_once, read-only
 * afterwards) and the cached LANGFUSE_TRACING_ENABLED answer. Only reads the
 * environment: never writes it, never creates anything but the state
 * directory when asked to, never logs a value that can be secret (keys,
 * header values, URLs beyond scheme://host). Numbers are parsed without the C
 * library's locale: a host may have set LC_NUMERIC to a decimal comma.
 * Threads: hooks call lt_config_enabled() (no allocation, no lock); the first
 * LLM call's thread runs lt_config_get()'s load; tests call lt_config_load().
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "call.h"
#include "log.h"
#include "mem.h"
#include "trace.h"

/* Defaults: the Langfuse SDKs' (DESIGN "Configuration by environment only"). */
#define CONFIG_BASE_URL "https://cloud.langfuse.com"
#define CONFIG_LANGFUSE_PATH "/api/public/otel/v1/traces"
#define CONFIG_OTLP_PATH "/v1/traces"
#define CONFIG_FLUSH_AT 512
#define CONFIG_FLUSH_INTERVAL_MS 5000
#define CONFIG_TIMEOUT_MS 5000
#define CONFIG_EXIT_TIMEOUT_MS 2000
/* Langfuse Cloud refuses requests over 5 MB; 3.5 MB leaves room for the
 * envelope and matches its documented batch limit. */
#define CONFIG_BATCH_MAX_BYTES 3500000
#define CONFIG_QUEUE_MAX 10000
#define CONFIG_FIELD_MAX ((size_t)1 << 20)
/* A day: any longer interval or timeout is a typo, and ms stay far from
 * overflow. */
#define CONFIG_SECONDS_MAX 86400.0
#define CONFIG_JSONL_NAME "spans.jsonl"
#define CONFIG_PATH_MAX 4096

static struct lt_config config_global;        /* written once in config_init */
static pthread_once_t config_once = PTHREAD_ONCE_INIT;
_Atomic int lt_config_enabled_state = -1; /* -1 unknown, 0 off, 1 on; any thread */

/* ------------------------------------------------------------ small helpers */

/* An unset and an empty variable mean the same (as in the OTel SDKs). */
static const char *config_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static char config_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ASCII case-insensitive equality, independent of the host's locale. */
static bool config_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (config_lower(*a) != config_lower(*b))
            return false;
    return *a == *b;
}

static bool config_iprefix(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (config_lower(*s) != config_lower(*prefix))
            return false;
    return true;
}

static bool config_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Copies [s, e) trimmed of blanks; NULL on allocation failure. */
static char *config_dup_trim(const char *s, const char *e)
{
    while (s < e && config_is_space(*s))
        s++;
    while (e > s && config_is_space(e[-1]))
        e--;
    return lt_strndup(s, (size_t)(e - s));
}

/* Records an allocation failure for a non-NULL source. */
static char *config_dup(bool *ok, const char *s)
{
    if (!s)
        return NULL;
    char *d = lt_strdup(s);
    if (!d)
        *ok = false;
    return d;
}

static bool config_bool(const char *name, bool def)
{
    const char *v = config_env(name);
    if (!v)
        return def;
    if (config_ieq(v, "true") || config_ieq(v, "1") || config_ieq(v, "yes") || config_ieq(v, "on"))
        return true;
    if (config_ieq(v, "false") || config_ieq(v, "0") || config_ieq(v, "no") || config_ieq(v, "off"))
        return false;
    lt_log("%s: not true or false; using %s", name, def ? "true" : "false");
    return def;
}

static uint64_t config_uint(const char *name, uint64_t def, uint64_t min, uint64_t max)
{
    const char *v = config_env(name);
    if (!v)
        return def;
    const char *p = v;
    uint64_t n = 0;
    bool any = false, overflow = false;
    while (config_is_space(*p))
        p++;
    for (; *p >= '0' && *p <= '9'; p++) {
        any = true;
        if (n > (UINT64_MAX - 9) / 10)
            overflow = true;
        else
            n = n * 10 + (uint64_t)(*p - '0');
    }
    while (config_is_space(*p))
        p++;
    if (!any || *p || overflow || n < min || n > max) {
        lt_log("%s: not a whole number in %llu..%llu; using %llu", name, (unsigned long long)min,
               (unsigned long long)max, (unsigned long long)def);
        return def;
    }
    return n;
}

/* "12", "0.25", ".5", "5." — no sign, no exponent; false if not that. */
static bool config_decimal(const char *s, double *out)
{
    double v = 0, scale = 0.1;
    bool any = false;
    while (config_is_space(*s))
        s++;
    for (; *s >= '0' && *s <= '9'; s++) {
        any = true;
        v = v * 10 + (*s - '0');
        if (v > 1e12)
            return false;
    }
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++) {
            any = true;
            v += (*s - '0') * scale;
            scale /= 10;
        }
    }
    while (config_is_space(*s))
        s++;
    if (!any || *s)
        return false;
    *out = v;
    return true;
}

/* Seconds (float) → ms. zero_ok: 0 is a meaningful value (exit timeout). */
static int64_t config_seconds(const char *name, int64_t def_ms, bool zero_ok)
{
    const char *v = config_env(name);
    double s;
    if (!v)
        return def_ms;
    if (!config_decimal(v, &s) || s > CONFIG_SECONDS_MAX || (!zero_ok && s <= 0)) {
        lt_log("%s: not a number of seconds in %s..%.0f; using %g", name, zero_ok ? "0" : "(0",
               CONFIG_SECONDS_MAX, (double)def_ms / 1000.0);
        return def_ms;
    }
    int64_t ms = (int64_t)(s * 1000.0 + 0.5);
    return ms == 0 && !zero_ok ? 1 : ms;
}

static double config_rate(const char *name, double def)
{
    const char *v = config_env(name);
    double r;
    if (!v)
        return def;
    if (!config_decimal(v, &r) || r > 1.0) {
        lt_log("%s: not a number in 0..1; using %g", name, def);
        return def;
    }
    return r;
}

/* http:// or https:// and a host. */
static bool config_url_ok(const char *u)
{
    size_t skip;
    if (!strncmp(u, "https://", 8))
        skip = 8;
    else if (!strncmp(u, "http://", 7))
        skip = 7;
    else
        return false;
    if (!u[skip] || u[skip] == '/')
        return false;
    for (const unsigned char *p = (const unsigned char *)u; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

/* A copy of u without trailing slashes (+ suffix); NULL on allocation failure. */
static char *config_url_join(const char *u, const char *suffix)
{
    size_t n = strlen(u), m = strlen(suffix);
    while (n > 0 && u[n - 1] == '/')
        n--;
    char *d = lt_malloc(n + m + 1);
    if (!d)
        return NULL;
    memcpy(d, u, n);
    memcpy(d + n, suffix, m + 1);
    return d;
}

/* Length of "scheme://host[:port]" in u, without any userinfo: the only part
 * of an endpoint that is safe to print. *host_off is where the host starts. */
static int config_url_host(const char *u, int *host_off)
{
    const char *h = strstr(u, "://");
    h = h ? h + 3 : u;
    const char *e = h + strcspn(h, "/?#");
    const char *at = memchr(h, '@', (size_t)(e - h));
    if (at)
        h = at + 1;
    *host_off = (int)(h - u);
    return (int)(e - h);
}

static int config_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = config_lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Percent-decodes s in place (W3C Baggage / OTEL_*_HEADERS); a '%' that does
 * not start "%XX" stays as it is. Returns the new length. */
static size_t config_pct_decode(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        int hi, lo;
        if (*r == '%' && (hi = config_hexval(r[1])) >= 0 && (lo = config_hexval(r[2])) >= 0) {
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static void config_kv_free(struct lt_config_kv *kv, int *n)
{
    for (int i = 0; i < *n; i++) {
        lt_free(kv[i].key);
        lt_free(kv[i].value);
        kv[i].key = kv[i].value = NULL;
    }
    *n = 0;
}

/* Adds or replaces key (takes ownership of key and value in every case).
 * false when full. */
static bool config_kv_put(struct lt_config_kv *kv, int *n, int max, char *key, char *value)
{
    for (int i = 0; i < *n; i++) {
        if (!strcmp(kv[i].key, key)) {
            lt_free(kv[i].value);
            kv[i].value = value;
            lt_free(key);
            return true;
        }
    }
    if (*n >= max) {
        lt_free(key);
        lt_free(value);
        return false;
    }
    kv[*n].key = key;
    kv[*n].value = value;
    (*n)++;
    return true;
}

/* "k=v,k=v" with optional blanks; keys and values percent-decoded when
 * `decode`. A decoded NUL ends nothing: such an entry is skipped. Returns
 * false on allocation failure; malformed entries are skipped and said. */
static bool config_kv_list(const char *name, const char *v, bool decode, struct lt_config_kv *kv,
                           int *n, int max)
{
    bool said_bad = false, said_full = false;
    const char *p = v;
    while (*p) {
        const char *e = p + strcspn(p, ",");
        const char *eq = memchr(p, '=', (size_t)(e - p));
        if (!eq) {
            const char *q = p;
            while (q < e && config_is_space(*q))
                q++;
            if (q < e && !said_bad) {
                lt_log("%s: an entry without '=' is ignored", name);
                said_bad = true;
            }
        } else {
            char *key = config_dup_trim(p, eq);
            char *value = config_dup_trim(eq + 1, e);
            if (!key || !value) {
                lt_free(key);
                lt_free(value);
                return false;
            }
            size_t kl = strlen(key), vl = strlen(value);
            size_t dkl = decode ? config_pct_decode(key) : kl;
            size_t dvl = decode ? config_pct_decode(value) : vl;
            bool has_nul = strlen(key) != dkl || strlen(value) != dvl;
            if (!*key || has_nul) {
                if (!said_bad)
                    lt_log("%s: an entry with an empty key or a NUL byte is ignored", name);
                said_bad = true;
                lt_free(key);
                lt_free(value);
            } else if (!config_kv_put(kv, n, max, key, value) && !said_full) {
                lt_log("%s: more than %d entries; the rest are ignored", name, max);
                said_full = true;
            }
        }
        p = *e ? e + 1 : e;
    }
    return true;
}

/* RFC 9110 token characters: what a header name may hold. */
static bool config_header_name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("!#$%&'*+-.^_`|~", c)))
            return false;
    }
    return true;
}

/* No CR, LF or other control byte (header injection), tabs allowed. */
static bool config_header_value_ok(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

static bool config_headers(struct lt_config *c)
{
    const char *v = config_env("OTEL_EXPORTER_OTLP_HEADERS");
    struct lt_config_kv kv[LT_CONFIG_MAX_HEADERS];
    int n = 0;
    bool ok = true;
    if (!v)
        return true;
    if (!config_kv_list("OTEL_EXPORTER_OTLP_HEADERS", v, true, kv, &n, LT_CONFIG_MAX_HEADERS)) {
        config_kv_free(kv, &n);
        return false;
    }
    for (int i = 0; i < n && ok; i++) {
        if (!config_header_name_ok(kv[i].key) || !config_header_value_ok(kv[i].value)) {
            /* the name is safe to show only when it is a valid token */
            lt_log("OTEL_EXPORTER_OTLP_HEADERS: header #%d has an invalid name or a control "
                   "character in its value; ignored", i + 1);
            continue;
        }
        size_t kl = strlen(kv[i].key), vl = strlen(kv[i].value);
        char *line = lt_malloc(kl + 2 + vl + 1);
        if (!line) {
            ok = false;
            break;
        }
        memcpy(line, kv[i].key, kl);
        memcpy(line + kl, ": ", 2);
        memcpy(line + kl + 2, kv[i].value, vl + 1);
        c->headers[c->n_headers++] = line;
    }
    for (int i = 0; i < n; i++) /* the values may be secret: wipe before freeing */
        if (kv[i].value)
            memset(kv[i].value, 0, strlen(kv[i].value));
    config_kv_free(kv, &n);
    return ok;
}

/* ------------------------------------------------------------ base64 */

static void config_base64(const unsigned char *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *out++ = tab[v >> 18];
        *out++ = tab[(v >> 12) & 63];
        *out++ = tab[(v >> 6) & 63];
        *out++ = tab[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        *out++ = tab[v >> 18];
        *out++ = tab[(v >> 12) & 63];
        *out++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *out++ = '=';
    }
    *out = '\0';
}

/* "Authorization: Basic base64(pk:sk)"; NULL on allocation failure. */
static char *config_basic_auth(const char *pk, const char *sk)
{
    static const char prefix[] = "Authorization: Basic ";
    size_t pl = strlen(pk), sl = strlen(sk), n = pl + 1 + sl;
    unsigned char *plain = lt_malloc(n);
    char *line = lt_malloc(sizeof prefix - 1 + (n + 2) / 3 * 4 + 1);
    if (!plain || !line) {
        lt_free(plain);
        lt_free(line);
        return NULL;
    }
    memcpy(plain, pk, pl);
    plain[pl] = ':';
    memcpy(plain + pl + 1, sk, sl);
    memcpy(line, prefix, sizeof prefix - 1);
    config_base64(plain, n, line + sizeof prefix - 1);
    memset(plain, 0, n); /* the secret key must not linger in freed memory */
    lt_free(plain);
    return line;
}

/* ------------------------------------------------------------ LLMTAP_METADATA */

static void config_utf8(uint32_t cp, char **w)
{
    unsigned char *o = (unsigned char *)*w;
    if (cp < 0x80) {
        *o++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *o++ = (unsigned char)(0xC0 | cp >> 6);
        *o++ = (unsigned char)(0x80 | (cp & 63));
    } else if (cp < 0x10000) {
        *o++ = (unsigned char)(0xE0 | cp >> 12);
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 63));
        *o++ = (unsigned char)(0x80 | (cp & 63));
    } else {
        *o++ = (unsigned char)(0xF0 | cp >> 18);
        *o++ = (unsigned char)(0x80 | ((cp >> 12) & 63));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 63));
        *o++ = (unsigned char)(0x80 | (cp & 63));
    }
    *w = (char *)o;
}

static bool config_hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = config_hexval(s[i]);
        if (h < 0)
            return false;
        v = v << 4 | (uint32_t)h;
    }
    *out = v;
    return true;
}

/* Parses the JSON string at *p (at its opening quote) into a new allocation.
 * 1 ok, 0 malformed, -1 no memory. */
static int config_json_string(const char **p, char **out)
{
    const char *s = *p + 1, *e = s;
    while (*e && *e != '"') /* find the end first: the copy is never longer */
        e += (*e == '\\' && e[1]) ? 2 : 1;
    if (*e != '"')
        return 0;
    char *d = lt_malloc((size_t)(e - s) + 1), *w = d;
    if (!d)
        return -1;
    while (s < e) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20)
            goto bad;
        if (c != '\\') {
            *w++ = *s++;
            continue;
        }
        char x = s[1];
        s += 2;
        switch (x) {
        case '"': *w++ = '"'; break;
        case '\\': *w++ = '\\'; break;
        case '/': *w++ = '/'; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (e - s < 4 || !config_hex4(s, &cp))
                goto bad;
            s += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (e - s < 6 || s[0] != '\\' || s[1] != 'u' || !config_hex4(s + 2, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    goto bad;
                s += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                goto bad;
            }
            if (cp == 0)
                goto bad; /* a NUL would cut the C string */
            config_utf8(cp, &w);
            break;
        }
        default:
            goto bad;
        }
    }
    *w = '\0';
    *p = e + 1;
    *out = d;
    return 1;
bad:
    lt_free(d);
    return 0;
}

static const char *config_ws(const char *p)
{
    while (config_is_space(*p))
        p++;
    return p;
}

/* A JSON number's text (RFC 8259 grammar) at *p; 1 ok, 0 malformed, -1 nomem. */
static int config_json_number(const char **p, char **out)
{
    const char *s = *p, *q = s;
    if (*q == '-')
        q++;
    if (*q == '0')
        q++;
    else if (*q >= '1' && *q <= '9')
        while (*q >= '0' && *q <= '9')
            q++;
    else
        return 0;
    if (*q == '.') {
        if (!(*++q >= '0' && *q <= '9'))
            return 0;
        while (*q >= '0' && *q <= '9')
            q++;
    }
    if (*q == 'e' || *q == 'E') {
        q++;
        if (*q == '+' || *q == '-')
            q++;
        if (!(*q >= '0' && *q <= '9'))
            return 0;
        while (*q >= '0' && *q <= '9')
            q++;
    }
    *out = lt_strndup(s, (size_t)(q - s));
    if (!*out)
        return -1;
    *p = q;
    return 1;
}

/* {"k": scalar, ...}: strings, numbers, true/false kept as text; null skips
 * the key; a nested object or array makes the whole value malformed (trace
 * metadata attributes are scalars). 1 ok, 0 malformed, -1 nomem. */
static int config_meta_json(const char *s, struct lt_config *c)
{
    const char *p = config_ws(s);
    if (*p++ != '{')
        return 0;
    p = config_ws(p);
    if (*p == '}')
        return *config_ws(p + 1) ? 0 : 1;
    for (;;) {
        char *key = NULL, *value = NULL;
        int r;
        if (*p != '"')
            return 0;
        if ((r = config_json_string(&p, &key)) <= 0)
            return r;
        p = config_ws(p);
        if (*p++ != ':') {
            lt_free(key);
            return 0;
        }
        p = config_ws(p);
        if (*p == '"') {
            r = config_json_string(&p, &value);
        } else if (!strncmp(p, "true", 4) || !strncmp(p, "false", 5)) {
            size_t l = *p == 't' ? 4 : 5;
            value = lt_strndup(p, l);
            r = value ? 1 : -1;
            p += l;
        } else if (!strncmp(p, "null", 4)) {
            p += 4;
            r = 2; /* no value: the key is left out */
        } else {
            r = config_json_number(&p, &value);
        }
        if (r <= 0) {
            lt_free(key);
            return r;
        }
        if (r == 2 || !*key)
            lt_free(key), lt_free(value);
        else if (!config_kv_put(c->metadata, &c->n_metadata, LT_CONFIG_MAX_META, key, value))
            lt_log("LLMTAP_METADATA: more than %d keys; the rest are ignored", LT_CONFIG_MAX_META);
        p = config_ws(p);
        if (*p == ',') {
            p = config_ws(p + 1);
            continue;
        }
        if (*p == '}')
            return *config_ws(p + 1) ? 0 : 1;
        return 0;
    }
}

static bool config_metadata(struct lt_config *c)
{
    const char *v = config_env("LLMTAP_METADATA");
    if (!v)
        return true;
    if (*config_ws(v) == '{') {
        int r = config_meta_json(v, c);
        if (r < 0)
            return false;
        if (r == 0) {
            config_kv_free(c->metadata, &c->n_metadata);
            lt_log("LLMTAP_METADATA: not a JSON object of strings, numbers and booleans; no trace "
                   "metadata is sent");
        }
        return true;
    }
    return config_kv_list("LLMTAP_METADATA", v, true, c->metadata, &c->n_metadata, LT_CONFIG_MAX_META);
}

static bool config_tags(struct lt_config *c)
{
    const char *v = config_env("LLMTAP_TAGS");
    const char *p = v;
    while (p && *p) {
        const char *e = p + strcspn(p, ",");
        char *t = config_dup_trim(p, e);
        if (!t)
            return false;
        bool dup = !*t;
        for (int i = 0; i < c->n_tags && !dup; i++)
            dup = !strcmp(c->tags[i], t);
        if (dup) {
            lt_free(t);
        } else if (c->n_tags >= LT_CONFIG_MAX_TAGS) {
            lt_free(t);
            lt_log("LLMTAP_TAGS: more than %d tags; the rest are ignored", LT_CONFIG_MAX_TAGS);
            break;
        } else {
            c->tags[c->n_tags++] = t;
        }
        p = *e ? e + 1 : e;
    }
    return true;
}

/* ------------------------------------------------------------ state directory */

/* mkdir -p with mode 0700 for whatever is missing. */
static enum lt_rc config_mkdirs(const char *path)
{
    char tmp[CONFIG_PATH_MAX];
    size_t n = strlen(path);
    struct stat st;
    if (n >= sizeof tmp)
        return LT_ERR_NOMEM;
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] != '/' && tmp[i] != '\0')
            continue;
        char saved = tmp[i];
        tmp[i] = '\0';
        if (mkdir(tmp, 0700) == 0) {
            /* the umask may have taken bits away; 0700 is what we promise */
            if (chmod(tmp, 0700) != 0) {
                tmp[i] = saved;
                return LT_ERR_IO;
            }
        } else if (stat(tmp, &st) != 0 || !S_ISDIR(st.st_mode)) {
            tmp[i] = saved;
            return LT_ERR_IO;
        }
        tmp[i] = saved;
    }
    return LT_OK;
}

enum lt_rc lt_config_state_dir(char *buf, size_t n, bool create)
{
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    int len;
    /* The XDG spec ignores a relative XDG_STATE_HOME; so do we (never the cwd). */
    if (xdg && xdg[0] == '/') {
        len = snprintf(buf, n, "%s/llmtap", xdg);
    } else {
        struct passwd pw, *res = NULL;
        char pwbuf[2048];
        if ((!home || home[0] != '/') && getpwuid_r(getuid(), &pw, pwbuf, sizeof pwbuf, &res) == 0 && res)
            home = res->pw_dir;
        if (!home || home[0] != '/')
            return LT_ERR_UNAVAIL;
        len = snprintf(buf, n, "%s/.local/state/llmtap", home);
    }
    if (len < 0 || (size_t)len >= n)
        return LT_ERR_NOMEM;
    return create ? config_mkdirs(buf) : LT_OK;
}

/* ------------------------------------------------------------ destination */

static bool config_destination(struct lt_config *c)
{
    bool ok = true;
    const char *traces = config_env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    const char *any = config_env("OTEL_EXPORTER_OTLP_ENDPOINT");
    const char *pk = config_env("LANGFUSE_PUBLIC_KEY");
    const char *sk = config_env("LANGFUSE_SECRET_KEY");
    const char *base = config_env("LANGFUSE_BASE_URL");
    const char *base_name = "LANGFUSE_BASE_URL";
    if (!base) {
        base = config_env("LANGFUSE_HOST");
        base_name = "LANGFUSE_HOST";
    }
    if (base && !config_url_ok(base)) {
        lt_log("%s: not an http:// or https:// URL; using %s", base_name, CONFIG_BASE_URL);
        base = NULL;
    }
    if (traces && !config_url_ok(traces)) {
        lt_log("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: not an http:// or https:// URL; ignored");
        traces = NULL;
    }
    if (any && !config_url_ok(any)) {
        lt_log("OTEL_EXPORTER_OTLP_ENDPOINT: not an http:// or https:// URL; ignored");
        any = NULL;
    }
    if ((pk != NULL) != (sk != NULL))
        lt_log("%s is set but %s is not: no Langfuse authentication", pk ? "LANGFUSE_PUBLIC_KEY" : "LANGFUSE_SECRET_KEY",
               pk ? "LANGFUSE_SECRET_KEY" : "LANGFUSE_PUBLIC_KEY");
    c->langfuse_auth = pk && sk;
    if (c->langfuse_auth) {
        c->auth_header = config_basic_auth(pk, sk);
        ok = ok && c->auth_header;
    }

    if (traces) {
        c->dest = LT_DEST_OTLP_HTTP;
        c->endpoint = config_dup(&ok, traces); /* the signal-specific URL is used as is */
    } else if (any) {
        c->dest = LT_DEST_OTLP_HTTP;
        c->endpoint = config_url_join(any, CONFIG_OTLP_PATH);
        ok = ok && c->endpoint;
    } else if (c->langfuse_auth) {
        c->dest = LT_DEST_OTLP_HTTP;
        c->endpoint = config_url_join(base ? base : CONFIG_BASE_URL, CONFIG_LANGFUSE_PATH);
        ok = ok && c->endpoint;
    } else {
        const char *out = config_env("LLMTAP_OUTPUT");
        c->dest = LT_DEST_JSONL;
        if (out) {
            c->output_path = config_dup(&ok, out);
        } else {
            /* on the heap: this runs on a program thread, whose stack may be small */
            char *path = lt_malloc(CONFIG_PATH_MAX);
            size_t room = CONFIG_PATH_MAX - sizeof CONFIG_JSONL_NAME - 1;
            enum lt_rc rc = path ? lt_config_state_dir(path, room, false) : LT_ERR_NOMEM;
            if (rc == LT_OK) {
                memcpy(path + strlen(path), "/" CONFIG_JSONL_NAME, sizeof CONFIG_JSONL_NAME + 1);
                c->output_path = path;
                c->output_default = true;
            } else if (!path) {
                ok = false;
            } else {
                lt_free(path);
                c->dest = LT_DEST_NONE;
                lt_log_once(LT_ONCE_OUTPUT, "no backend configured and no state directory (HOME and "
                                            "XDG_STATE_HOME unset): spans are not kept");
            }
        }
    }

    const char *cert = config_env("OTEL_EXPORTER_OTLP_CERTIFICATE");
    c->ca_file = config_dup(&ok, cert);

    const char *proto_name = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
    const char *proto = config_env(proto_name);
    if (!proto) {
        proto_name = "OTEL_EXPORTER_OTLP_PROTOCOL";
        proto = config_env(proto_name);
    }
    if (proto && !config_ieq(proto, "http/json"))
        lt_log_once(LT_ONCE_PROTOCOL, "%s asks for %s; llmtap sends http/json only", proto_name,
                    config_ieq(proto, "grpc") ? "grpc" : config_ieq(proto, "http/protobuf") ? "http/protobuf"
                                                                                          : "another protocol");
    return ok;
}

static void config_log_summary(const struct lt_config *c)
{
    if (!lt_log_enabled())
        return;
    if (c->dest == LT_DEST_OTLP_HTTP) {
        int off, len = config_url_host(c->endpoint, &off);
        bool tls = !strncmp(c->endpoint, "https:", 6);
        lt_log("exporting OTLP/HTTP JSON to %s://%.*s%s, %d extra header(s)", tls ? "https" : "http", len,
               c->endpoint + off, c->langfuse_auth ? " with Langfuse auth" : "", c->n_headers);
    } else if (c->dest == LT_DEST_JSONL) {
        lt_log("exporting to the JSONL file %s", c->output_path);
    }
}

/* ------------------------------------------------------------ load */

enum lt_rc lt_config_load(struct lt_config *out)
{
    struct lt_config *c = out;
    bool ok = true;
    memset(c, 0, sizeof *c);

    const char *en = config_env("LANGFUSE_TRACING_ENABLED");
    c->enabled = !(en && config_ieq(en, "false"));
    if (en && (config_ieq(en, "0") || config_ieq(en, "no") || config_ieq(en, "off")))
        lt_log("LANGFUSE_TRACING_ENABLED: only \"false\" disables tracing (as in the Langfuse SDKs); "
               "tracing stays on");
    c->debug = lt_log_enabled();

    ok = config_destination(c) && ok;
    ok = config_headers(c) && ok;
    if (c->auth_header) {
        for (int i = 0; i < c->n_headers; i++)
            if (config_iprefix(c->headers[i], "authorization:"))
                lt_log("OTEL_EXPORTER_OTLP_HEADERS sets Authorization and Langfuse keys are set too: "
                       "both are sent");
    }

    c->flush_at = (uint32_t)config_uint("LANGFUSE_FLUSH_AT", CONFIG_FLUSH_AT, 1, 1000000);
    c->flush_interval_ms = config_seconds("LANGFUSE_FLUSH_INTERVAL", CONFIG_FLUSH_INTERVAL_MS, false);
    c->timeout_ms = config_seconds("LANGFUSE_TIMEOUT", CONFIG_TIMEOUT_MS, false);
    c->exit_timeout_ms = config_seconds("LLMTAP_EXIT_TIMEOUT", CONFIG_EXIT_TIMEOUT_MS, true);
    c->sample_rate = config_rate("LANGFUSE_SAMPLE_RATE", 1.0);
    c->batch_max_bytes = (size_t)config_uint("LLMTAP_BATCH_MAX_BYTES", CONFIG_BATCH_MAX_BYTES, 65536,
                                             LT_BUF_DEFAULT_CAP);
    c->queue_max = (uint32_t)config_uint("LLMTAP_QUEUE_MAX", CONFIG_QUEUE_MAX, 1, 10000000);
    c->max_request_bytes = (size_t)config_uint("LLMTAP_MAX_REQUEST_BYTES", LT_CALL_REQ_CAP, 1024,
                                               (uint64_t)1 << 30);
    c->max_response_bytes = (size_t)config_uint("LLMTAP_MAX_RESPONSE_BYTES", LT_CALL_RESP_CAP, 1024,
                                                (uint64_t)1 << 30);
    c->max_field_bytes = (size_t)config_uint("LLMTAP_MAX_FIELD_BYTES", CONFIG_FIELD_MAX, 1024,
                                             LT_BUF_DEFAULT_CAP / 4);
    c->send_cost = config_bool("LLMTAP_SEND_COST", false);
    /* unset differs from an explicit false: see event.c "Cost" */
    const char *sc = config_env("LLMTAP_SEND_COST");
    c->cost_off = sc && (config_ieq(sc, "false") || config_ieq(sc, "0") || config_ieq(sc, "no") ||
                         config_ieq(sc, "off"));
    c->prices_path = config_dup(&ok, config_env("LLMTAP_PRICES"));

    const char *tid = config_env("LLMTAP_TRACE_ID");
    if (tid) {
        char low[33];
        size_t n = strlen(tid);
        for (size_t i = 0; i < n && i < 32; i++)
            low[i] = config_lower(tid[i]);
        low[n < 32 ? n : 32] = '\0';
        if (n == 32 && lt_trace_id_valid(low))
            c->trace_id = config_dup(&ok, low);
        else
            lt_log("LLMTAP_TRACE_ID: not 32 hex digits (or all zero); using a random trace id");
    }
    c->trace_name = config_dup(&ok, config_env("LLMTAP_TRACE_NAME"));
    c->user_id = config_dup(&ok, config_env("LLMTAP_USER_ID"));
    c->session_id = config_dup(&ok, config_env("LLMTAP_SESSION_ID"));
    ok = config_tags(c) && ok;
    ok = config_metadata(c) && ok;
    c->release = config_dup(&ok, config_env("LANGFUSE_RELEASE"));
    c->environment = config_dup(&ok, config_env("LANGFUSE_TRACING_ENVIRONMENT"));
    if (c->environment) {
        /* Langfuse keeps [a-z0-9_-]{1,40} not starting with "langfuse" and
         * rewrites anything else; say so rather than silently differ. */
        const char *e = c->environment;
        bool good = strlen(e) <= 40 && strncmp(e, "langfuse", 8) != 0;
        for (; good && *e; e++)
            good = (*e >= 'a' && *e <= 'z') || (*e >= '0' && *e <= '9') || *e == '_' || *e == '-';
        if (!good)
            lt_log("LANGFUSE_TRACING_ENVIRONMENT: Langfuse stores only [a-z0-9_-], at most 40 characters, "
                   "not starting with \"langfuse\"; it will rewrite this value");
    }
    c->service_name = config_dup(&ok, config_env("OTEL_SERVICE_NAME"));
    const char *ra = config_env("OTEL_RESOURCE_ATTRIBUTES");
    if (ra)
        ok = config_kv_list("OTEL_RESOURCE_ATTRIBUTES", ra, true, c->resource_attrs, &c->n_resource_attrs,
                            LT_CONFIG_MAX_RESATTR) && ok;

    if (!ok) {
        lt_config_free(c);
        return LT_ERR_NOMEM;
    }
    config_log_summary(c);
    return LT_OK;
}

void lt_config_free(struct lt_config *c)
{
    if (!c)
        return;
    if (c->auth_header)
        memset(c->auth_header, 0, strlen(c->auth_header));
    lt_free(c->auth_header);
    lt_free(c->endpoint);
    for (int i = 0; i < c->n_headers; i++) {
        memset(c->headers[i], 0, strlen(c->headers[i]));
        lt_free(c->headers[i]);
    }
    lt_free(c->ca_file);
    lt_free(c->output_path);
    lt_free(c->prices_path);
    lt_free(c->trace_id);
    lt_free(c->trace_name);
    lt_free(c->user_id);
    lt_free(c->session_id);
    for (int i = 0; i < c->n_tags; i++)
        lt_free(c->tags[i]);
    config_kv_free(c->metadata, &c->n_metadata);
    lt_free(c->release);
    lt_free(c->environment);
    lt_free(c->service_name);
    config_kv_free(c->resource_attrs, &c->n_resource_attrs);
    memset(c, 0, sizeof *c);
}

static void config_init(void)
{
    if (lt_config_load(&config_global) != LT_OK) {
        /* lt_config_load left it zeroed: a disabled config, never NULL */
        config_global.enabled = false;
        lt_log_once(LT_ONCE_CONFIG, "out of memory while reading the configuration; tracing is off");
    }
}

const struct lt_config *lt_config_get(void)
{
    pthread_once(&config_once, config_init);
    return &config_global;
}

bool lt_config_enabled_slow(void)
{
    int s = atomic_load_explicit(&lt_config_enabled_state, memory_order_relaxed);
    if (LT_UNLIKELY(s < 0)) {
        const char *v = getenv("LANGFUSE_TRACING_ENABLED");
        s = !(v && config_ieq(v, "false"));
        atomic_store_explicit(&lt_config_enabled_state, s, memory_order_relaxed);
    }
    return s == 1;
}
