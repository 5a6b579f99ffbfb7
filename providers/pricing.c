/* pricing.c — client-side cost, computed the way the Langfuse server does.
 *
 * Owns the price tables (the embedded prices.json, the LLMTAP_PRICES rows),
 * their compiled regexes and the per-model-name match cache. Knows model
 * names, usage keys and prices; nothing of curl or of export. Nothing runs
 * at load time: the first cost (on the background thread) reads the rows
 * from the index built at compile time (lt_pricing_index); a row's tiers
 * are read and its regex compiled when a model name first needs them; a
 * model name's row is remembered. The algorithm is Langfuse's, read (not
 * copied) from
 * langfuse/langfuse @ 62751446149b702b419a9292ddfc2280cdf74b8c:
 *   packages/shared/src/server/ingestion/modelMatch.ts   which row a name picks
 *   packages/shared/src/server/pricing-tiers/matcher.ts  which tier applies
 *   worker/src/services/IngestionService/index.ts        usage total, cost
 * Threads: whoever renders spans, one at a time per table; the process
 * table is guarded by pricing_lock, which a fork child re-initialises.
 */
#include "pricing.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/lib-names.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../shim/buf.h"
#include "../shim/log.h"
#include "../shim/mem.h"
#include "jscan.h"

/* providers/prices.S: the committed prices.json, in .rodata (no relocation:
 * its pages are untouched until the first cost). */
extern const char lt_pricing_json_start[] __attribute__((weak, visibility("hidden")));
extern const char lt_pricing_json_end[] __attribute__((weak, visibility("hidden")));
/* ... and its index, made at build time by lt_pricing_index (build/prices.idx).
 * Weak: the build tool that writes the index links without either. */
extern const unsigned char lt_pricing_index_start[] __attribute__((weak, visibility("hidden")));
extern const unsigned char lt_pricing_index_end[] __attribute__((weak, visibility("hidden")));

/* Langfuse caps a usage pattern at 200 characters; model patterns are
 * shorter than 300 in every table seen. Longer is refused, not guessed. */
#define PR_PATTERN_MAX 512
/* A translated pattern: \d becomes [0-9], \w [A-Za-z0-9_]. */
#define PR_ERE_MAX (PR_PATTERN_MAX * 13 + 16)
/* Product of all {n,m} bounds in one pattern: glibc's regcomp expands
 * repetitions, so (a{99}){99} would cost seconds and megabytes. */
#define PR_REPEAT_MAX 256
/* Beyond these a pattern is refused: glibc's regcomp computes epsilon
 * closures whose cost grows fast with nested and stacked repetition, and
 * no price table needs more (the shipped one: depth 3, 6 quantifiers, 11
 * alternatives). */
#define PR_DEPTH_MAX 8
#define PR_QUANTS_MAX 32
#define PR_ALTS_MAX 64
/* ... and the repetition product times the pattern's length: what regcomp
 * may build from a long group repeated (closures grow with its square). */
#define PR_EXPAND_MAX 8192
/* A user file larger than this is not a price table. */
#define PR_FILE_MAX ((size_t)16 << 20)
#define PR_ROWS_MAX 20000
#define PR_TIERS_MAX 32
#define PR_CONDS_MAX 16
#define PR_PRICES_MAX 128
#define PR_VALUES_MAX 32
/* Model names remembered with their row: a process uses one or two. */
#define PR_HITS 32
/* Usage keys remembered per usage condition (key → pattern matched). */
#define PR_MEMO 16
/* Distinct model parameters the conditions of one row may read. */
#define PR_PARAMS_MAX 8
/* A model name longer than this gets no cost (and no regex run). */
#define PR_NAME_MAX 1024
/* Usage counts are JavaScript numbers on the server: exact up to 2^53. */
#define PR_UNITS_MAX (1LL << 53)
/* decimal.js, which the server's Decimal prices use: 20 significant
 * digits, ROUND_HALF_UP, for a price × units product before toNumber. */
#define PR_DEC_DIGITS 20

/* ------------------------------------------------------------ arena */

/* Everything a table holds lives in its arena and goes with it. */
struct pr_chunk {
    struct pr_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

#define PR_CHUNK ((size_t)16 << 10)

/* ------------------------------------------------------------ table */

struct pr_s {
    const char *p; /* NUL-terminated, in the arena */
    size_t n;
};

struct pr_rx {
    regex_t re;
    locale_t loc;       /* compiled (and so run) in this locale */
    struct pr_rx *next; /* every compiled regex of the table, for regfree */
};

/* A price: the JSON number's exact decimal value mant × 10^exp when it fits
 * 19 digits (exact), and its nearest double. */
struct pr_price {
    struct pr_s key;
    uint64_t mant;
    int exp;
    bool exact;
    double v;
};

enum pr_op { PR_GT, PR_GTE, PR_LT, PR_LTE, PR_EQ, PR_NEQ };
enum pr_ckind { PR_C_USAGE, PR_C_PARAM };

struct pr_memo {
    char key[LT_USAGE_KEY_MAX];
    bool hit;
};

struct pr_cond {
    enum pr_ckind kind;
    enum pr_op op;
    struct pr_s text; /* usage: the pattern as written; param: the key */
    double value;     /* usage threshold */
    int n_values;
    struct pr_s *values;
    struct pr_rx *rx; /* usage: compiled when the tiers are read */
    int n_memo;
    struct pr_memo memo[PR_MEMO];
};

struct pr_tier {
    struct pr_s name;
    bool is_default;
    long priority;
    int n_cond;
    struct pr_cond *cond;
    int n_price;
    struct pr_price *price;
};

struct pr_tiers {
    int n;
    struct pr_tier *t;
    int n_order;
    int *order; /* non-default tiers, by priority */
    int def;    /* the default tier */
    int n_params;
    struct pr_s params[PR_PARAMS_MAX]; /* model parameter keys the conditions read */
};

/* A prefilter on model names, derived from the pattern (see pf_* below):
 * equals one of, contains one of, or anything. Never rejects a name the
 * regex matches; regexec always has the last word. */
enum pr_pfmode { PR_PF_ANY = 0, PR_PF_CONTAINS, PR_PF_EQUALS };
struct pr_pf {
    enum pr_pfmode mode;
    bool icase;
    int n;
    const unsigned char *blob; /* n × (length byte, bytes); PF_WILD stands for any one character */
};

struct pr_row {
    struct pr_s name, pattern;
    const char *tj;         /* shipped rows: the pricingTiers JSON, read lazily */
    size_t tn;
    struct pr_tiers *tiers; /* read (user rows: at load) */
    const char *bad;        /* why this row prices nothing (static text), or NULL */
    struct pr_rx *rx;       /* the model regex for ASCII names ("C"), compiled at the first candidate */
    struct pr_rx *rx8;      /* ... for other names (C.UTF-8), at the first such candidate */
    bool rx_tried, rx8_tried;
    bool icase;
    const char *ere;        /* the translated pattern (arena, or the embedded index) */
    struct pr_pf pf;
    bool pf_ready;
    bool user;
    bool off;               /* replaced by a user row of the same modelName */
    bool logged;
    bool has_start;
    int64_t start;          /* user rows: startDate, seconds since the epoch */
};

struct pr_hit {
    char *name; /* lt_malloc'd */
    int row;    /* -1: no price for this name */
};

struct lt_pricing {
    struct pr_chunk *arena;
    struct pr_rx *rxs;
    const char *text; /* the shipped text (borrowed) */
    size_t text_len;
    int n_rows, n_user;
    struct pr_row *rows; /* user rows first, newest startDate first, then the shipped rows */
    int n_hits, hit_next;
    struct pr_hit hits[PR_HITS];
};

/* The process table. Built by the first cost under pricing_load_lock,
 * which no fork handler takes: reading LLMTAP_PRICES (up to 16 MiB) must
 * not hold up a host thread's fork(). Published, and then used (its name
 * cache changes), under pricing_lock, which the prepare handler holds so
 * that a fork child inherits it consistent. pricing_loaded is read without
 * a lock (atomically) once it is set. */
static pthread_mutex_t pricing_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t pricing_load_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t pricing_once = PTHREAD_ONCE_INIT;
static struct lt_pricing *pricing_table;
static bool pricing_loaded;
/* The locales the regexes and number texts use, whatever the host's: "C"
 * (made at pricing_once), and C.UTF-8 for model names with bytes >= 0x80
 * (made at the first such name, pricing_u8_once: it costs ~130 k
 * instructions): PostgreSQL matches characters of a UTF-8 database, where
 * '.' is one character. For ASCII names and usage keys both match alike.
 * Never freed. */
static locale_t pricing_c, pricing_u8;
static pthread_once_t pricing_u8_once = PTHREAD_ONCE_INIT;
/* glibc's functions, found once (pricing_once), read-only after. */
static struct {
    int (*regcomp)(regex_t *re, const char *pattern, int flags);
    int (*regexec)(const regex_t *re, const char *s, size_t n, regmatch_t *m, int flags);
    void (*regfree)(regex_t *re);
    locale_t (*newlocale)(int mask, const char *name, locale_t base);
    locale_t (*uselocale)(locale_t loc);
    double (*strtod_l)(const char *s, char **end, locale_t loc);
} pr_libc;

static void *pr_alloc(struct lt_pricing *p, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    struct pr_chunk *c = p->arena;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > PR_CHUNK / 2 ? n : PR_CHUNK;
        struct pr_chunk *nc = lt_malloc(sizeof *nc + cap);
        if (!nc)
            return NULL;
        nc->used = 0;
        nc->cap = cap;
        if (c && cap != PR_CHUNK) {
            /* a large one-off goes behind the current chunk, which keeps filling */
            nc->next = c->next;
            c->next = nc;
            nc->used = n;
            return nc->data;
        }
        nc->next = c;
        p->arena = c = nc;
    }
    void *r = (char *)c->data + c->used;
    c->used += n;
    return r;
}

static bool pr_dup(struct lt_pricing *p, const char *s, size_t n, struct pr_s *out)
{
    char *d = pr_alloc(p, n + 1);
    if (!d)
        return false;
    memcpy(d, s, n);
    d[n] = '\0';
    out->p = d;
    out->n = n;
    return true;
}

static bool pr_eq(const struct pr_s *a, const char *b, size_t n)
{
    return a->n == n && memcmp(a->p, b, n) == 0;
}

/* ------------------------------------------------------------ numbers */

/* JSON number text → the exact decimal (when it fits) and the double. */
static bool pr_number(const char *s, size_t n, uint64_t *mant, int *exp, bool *exact, double *v)
{
    char tmp[LT_JSCAN_NUMBER_MAX + 1];
    if (n == 0 || n > LT_JSCAN_NUMBER_MAX)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    uint64_t m = 0;
    int e = 0;
    bool ok = true, frac = false, nonzero = false;
    size_t i = 0;
    if (tmp[i] == '-')
        i++;
    for (; i < n; i++) {
        char c = tmp[i];
        if (c == '.') {
            frac = true;
            continue;
        }
        if (c < '0' || c > '9')
            break;
        nonzero = nonzero || c != '0';
        if (m < 1000000000000000000ull) {
            m = m * 10 + (uint64_t)(c - '0');
            if (frac)
                e--;
        } else {
            ok = ok && c == '0';
            if (!frac)
                e++;
        }
    }
    if (i < n && (tmp[i] == 'e' || tmp[i] == 'E')) {
        i++;
        bool neg = tmp[i] == '-';
        if (tmp[i] == '-' || tmp[i] == '+')
            i++;
        int x = 0;
        for (; i < n && tmp[i] >= '0' && tmp[i] <= '9'; i++)
            if (x < 10000)
                x = x * 10 + (tmp[i] - '0');
        e += neg ? -x : x;
    }
    if (tmp[0] == '-' && nonzero)
        return false; /* prices and thresholds are non-negative */
    if (e < -400 || e > 400)
        ok = false;
    *v = pr_libc.strtod_l(tmp[0] == '-' ? tmp + 1 : tmp, NULL, pricing_c);
    if (!isfinite(*v))
        return false;
    *mant = m;
    *exp = e;
    *exact = ok;
    return true;
}

/* Writes digits d[0..k) × 10^e (no leading zero, k ≥ 1) the way JavaScript
 * prints a number: plain between 1e-7 and 1e21, else d.ddde±x. */
static size_t pr_fmt_digits(const char *d, size_t k, int e, char *out)
{
    size_t o = 0;
    while (k > 1 && d[k - 1] == '0') {
        k--;
        e++;
    }
    if (k == 1 && d[0] == '0') {
        out[0] = '0';
        out[1] = '\0';
        return 1;
    }
    long pos = (long)k + e; /* digits before the point */
    if (pos > 0 && pos <= 21) {
        for (long i = 0; i < pos; i++)
            out[o++] = i < (long)k ? d[i] : '0';
        if ((long)k > pos) {
            out[o++] = '.';
            for (size_t i = (size_t)pos; i < k; i++)
                out[o++] = d[i];
        }
    } else if (pos <= 0 && pos > -6) {
        out[o++] = '0';
        out[o++] = '.';
        for (long i = pos; i < 0; i++)
            out[o++] = '0';
        for (size_t i = 0; i < k; i++)
            out[o++] = d[i];
    } else {
        out[o++] = d[0];
        if (k > 1) {
            out[o++] = '.';
            for (size_t i = 1; i < k; i++)
                out[o++] = d[i];
        }
        long x = pos - 1;
        out[o++] = 'e';
        out[o++] = x < 0 ? '-' : '+';
        if (x < 0)
            x = -x;
        char t[8];
        int tn = 0;
        do
            t[tn++] = (char)('0' + x % 10);
        while ((x /= 10) != 0 && tn < 7);
        while (tn)
            out[o++] = t[--tn];
    }
    out[o] = '\0';
    return o;
}

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 pr_u128;
#else
typedef uint64_t pr_u128; /* no exact products: the double fallback below */
#endif

/* An amount as an exact decimal m × 10^e (valid: m is exact). */
struct pr_dec {
    pr_u128 m;
    int e;
    bool valid;
};

static const double pr_pow10[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Decimal digits of m into d (most significant first); their count. */
static size_t pr_digits128(pr_u128 m, char d[48])
{
    char r[48];
    size_t k = 0;
    while (m > UINT64_MAX && k < 48) {
        r[k++] = (char)('0' + (int)(m % 10));
        m /= 10;
    }
    uint64_t x = (uint64_t)m;
    do {
        r[k++] = (char)('0' + (int)(x % 10));
        x /= 10;
    } while (x != 0 && k < 48);
    for (size_t i = 0; i < k; i++)
        d[i] = r[k - 1 - i];
    return k;
}

/* The double nearest to m × 10^e, as strtod (and JavaScript's Number of the
 * decimal's text) gives it: exactly one rounding when m < 2^53 and
 * |e| <= 22 (both operands exact), else strtod itself. */
static double pr_dec_double(pr_u128 m, int e)
{
    if (m <= ((pr_u128)1 << 53) && e >= -22 && e <= 22)
        return e < 0 ? (double)m / pr_pow10[-e] : (double)m * pr_pow10[e];
    char d[48], s[72];
    size_t k = pr_digits128(m, d);
    memcpy(s, d, k);
    snprintf(s + k, sizeof s - k, "e%d", e);
    return pr_libc.strtod_l(s, NULL, pricing_c);
}

/* The shortest text of 15 to 17 significant digits that reads back as v,
 * written as JavaScript's String(v) would write it. One snprintf of the 17
 * correctly rounded digits; their roundings to 15 and 16 digits are tried
 * first, each checked exactly (pr_dec_double). */
static size_t pr_fmt_double(double v, char out[LT_PRICING_NUM_MAX])
{
    if (!isfinite(v) || v == 0) {
        memcpy(out, "0", 2);
        return 1;
    }
    char t[48];
    bool neg = v < 0;
    double a = neg ? -v : v;
    locale_t old = pr_libc.uselocale(pricing_c);
    snprintf(t, sizeof t, "%.16e", a);
    pr_libc.uselocale(old);
    /* t = d.dddddddddddddddde±xx */
    char d[24];
    size_t k = 0;
    const char *q = t;
    for (; *q && *q != 'e'; q++)
        if (*q >= '0' && *q <= '9' && k < sizeof d)
            d[k++] = *q;
    int x = 0;
    if (*q == 'e') {
        bool xneg = q[1] == '-';
        for (q += 2; *q >= '0' && *q <= '9'; q++)
            x = x * 10 + (*q - '0');
        x = xneg ? -x : x;
    }
    size_t o = 0;
    if (neg)
        out[o++] = '-';
    for (size_t want = 15; want < k; want++) {
        char r[24];
        int rx = x;
        memcpy(r, d, want);
        bool up = d[want] >= '5';
        for (size_t i = want; up && i-- > 0;) {
            if (r[i] == '9') {
                r[i] = '0';
            } else {
                r[i]++;
                up = false;
            }
        }
        if (up) { /* 99..9 rounded up: 10..0, one more power of ten */
            r[0] = '1';
            rx++;
        }
        uint64_t m = 0;
        for (size_t i = 0; i < want; i++)
            m = m * 10 + (uint64_t)(r[i] - '0');
        if (pr_dec_double(m, rx - (int)want + 1) == a)
            return o + pr_fmt_digits(r, want, rx - (int)want + 1, out + o);
    }
    return o + pr_fmt_digits(d, k, x - (int)k + 1, out + o);
}

/* price × units as the server computes it: the Decimal product (exact, then
 * rounded to 20 significant digits half-up, as decimal.js does), then
 * toNumber (correctly rounded). text gets a JSON number of that value;
 * *dec the decimal itself. */
static double pr_times(const struct pr_price *pr, long long units, char text[LT_PRICING_NUM_MAX], struct pr_dec *dec)
{
    dec->valid = false;
#ifdef __SIZEOF_INT128__
    if (pr->exact) {
        pr_u128 x = (pr_u128)pr->mant * (unsigned long long)units;
        char d[48];
        size_t k = pr_digits128(x, d);
        int e = pr->exp;
        if (k > PR_DEC_DIGITS) {
            bool up = d[PR_DEC_DIGITS] >= '5';
            e += (int)(k - PR_DEC_DIGITS);
            k = PR_DEC_DIGITS;
            for (size_t i = k; up && i-- > 0;) {
                if (d[i] == '9') {
                    d[i] = '0';
                } else {
                    d[i]++;
                    up = false;
                }
            }
            if (up) { /* 99..9 became 00..0: the value is 1 followed by k zeros */
                d[0] = '1';
                e++;
            }
            x = 0;
            for (size_t i = 0; i < k; i++)
                x = x * 10 + (unsigned)(d[i] - '0');
        }
        dec->m = x;
        dec->e = e;
        dec->valid = true;
        pr_fmt_digits(d, k, e, text);
        return pr_dec_double(x, e);
    }
#endif
    double v = pr->v * (double)units;
    pr_fmt_double(v, text);
    return v;
}

/* Text for a sum t of amounts whose exact decimals are dec[0..n): the
 * decimal sum when it reads back as t (the usual case, and as short as the
 * amounts), else the shortest round-trip text of t. */
static void pr_fmt_sum(double t, const struct pr_dec *dec, int n, char text[LT_PRICING_NUM_MAX])
{
#ifdef __SIZEOF_INT128__
    int emin = 1000;
    bool ok = n > 0;
    for (int i = 0; i < n && ok; i++) {
        ok = dec[i].valid;
        if (ok && dec[i].e < emin)
            emin = dec[i].e;
    }
    pr_u128 sum = 0;
    for (int i = 0; i < n && ok; i++) {
        pr_u128 m = dec[i].m;
        for (int k = dec[i].e; k > emin && ok; k--) {
            ok = m <= ((pr_u128)1 << 120) / 10;
            m *= 10;
        }
        ok = ok && sum + m >= sum && sum + m <= ((pr_u128)1 << 120);
        sum += m;
    }
    if (ok && pr_dec_double(sum, emin) == t) {
        char d[48];
        size_t k = pr_digits128(sum, d);
        if (k <= PR_DEC_DIGITS + 2) {
            pr_fmt_digits(d, k, emin, text);
            return;
        }
    }
#else
    (void)dec;
    (void)n;
#endif
    pr_fmt_double(t, text);
}

/* ------------------------------------------------------------ regex */

/* Langfuse's regexes → a POSIX ERE for regcomp. A model's matchPattern is a
 * PostgreSQL ARE (the server runs `model ~ match_pattern`; "(?i)" at its
 * start means case-insensitive); a tier's usageDetailPattern is a
 * JavaScript RegExp (`new RegExp(p, caseSensitive ? "" : "i").test(key)`).
 * What is translated keeps the set of matched strings: \d → [0-9],
 * \w → [A-Za-z0-9_], (?:…) → (…), lazy quantifiers → greedy (whether a
 * string matches does not depend on laziness), escaped punctuation →
 * itself. Anything else that the flavours read differently (look-around,
 * back-references, \b, \s, \uXXXX, inline flags, JS's [] and [^]) is
 * refused: such a row prices nothing rather than something else. */
static bool pr_translate(const char *s, size_t n, bool js, char *out, size_t cap, bool *icase)
{
    size_t o = 0, i = 0;
    unsigned long reps = 1;
    int depth = 0, quants = 0, alts = 0;
    bool atom = false; /* something a quantifier may follow (never another quantifier) */
#define PR_EMIT(str)                                    \
    do {                                                \
        size_t l_ = strlen(str);                        \
        if (o + l_ >= cap)                              \
            return false;                               \
        memcpy(out + o, str, l_);                       \
        o += l_;                                        \
    } while (0)
#define PR_EMITC(c)                                     \
    do {                                                \
        if (o + 1 >= cap)                               \
            return false;                               \
        out[o++] = (c);                                 \
    } while (0)

    if (n > PR_PATTERN_MAX)
        return false;
    if (!js && n >= 4 && !memcmp(s, "(?i)", 4)) {
        *icase = true;
        i = 4;
    }
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\0')
            return false;
        if (c == '\\') {
            if (i + 1 >= n)
                return false;
            unsigned char e = (unsigned char)s[i + 1];
            i += 2;
            if (e == 'd')
                PR_EMIT("[0-9]");
            else if (e == 'D')
                PR_EMIT("[^0-9]");
            else if (e == 'w')
                PR_EMIT("[A-Za-z0-9_]");
            else if (e == 'W')
                PR_EMIT("[^A-Za-z0-9_]");
            else if (strchr(".[\\()*+?{|^$", e) && e) {
                PR_EMITC('\\');
                PR_EMITC((char)e);
            } else if (e < 0x80 && e > 0x20 && !(e >= '0' && e <= '9') && !(e >= 'a' && e <= 'z') &&
                     !(e >= 'A' && e <= 'Z'))
                PR_EMITC((char)e); /* \/ \- \: \] \}: the character itself */
            else
                return false;
            atom = true;
            continue;
        }
        if (c == '[') {
            size_t j = i + 1;
            bool dash = false;
            PR_EMITC('[');
            if (j < n && s[j] == '^') {
                PR_EMITC('^');
                j++;
            }
            if (j < n && s[j] == ']') {
                if (js)
                    return false; /* [] / [^]: nothing / anything in JavaScript */
                PR_EMITC(']');
                j++;
            }
            for (;;) {
                if (j >= n)
                    return false;
                unsigned char b = (unsigned char)s[j];
                if (b == ']')
                    break;
                if (b == '\\') {
                    if (j + 1 >= n)
                        return false;
                    unsigned char e = (unsigned char)s[j + 1];
                    j += 2;
                    if (e == 'd')
                        PR_EMIT("0-9");
                    else if (e == 'w')
                        PR_EMIT("A-Za-z0-9_");
                    else if (e == '-')
                        dash = true; /* goes last, where it is literal */
                    else if (e == ']' || e == '^' || e == '[' || e >= 0x80 || (e >= '0' && e <= '9') ||
                             (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z'))
                        return false;
                    else
                        PR_EMITC((char)e); /* backslash included: literal in an ERE bracket */
                    continue;
                }
                if (b == '[' && j + 1 < n && (s[j + 1] == ':' || s[j + 1] == '.' || s[j + 1] == '=')) {
                    if (js || s[j + 1] != ':')
                        return false;
                    const char *end = NULL;
                    for (size_t k = j + 2; k + 1 < n; k++)
                        if (s[k] == ':' && s[k + 1] == ']') {
                            end = s + k + 2;
                            break;
                        }
                    if (!end)
                        return false;
                    for (; s + j < end; j++)
                        PR_EMITC(s[j]);
                    continue;
                }
                PR_EMITC((char)b);
                j++;
            }
            if (dash)
                PR_EMITC('-');
            PR_EMITC(']');
            i = j + 1;
            atom = true;
            continue;
        }
        if (c == '(') {
            if (i + 1 < n && s[i + 1] == '?') {
                if (i + 2 < n && s[i + 2] == ':') {
                    i += 3;
                } else if (js && i + 2 < n && s[i + 2] == '<' && i + 3 < n && s[i + 3] != '=' &&
                           s[i + 3] != '!') {
                    const char *gt = memchr(s + i + 3, '>', n - i - 3);
                    if (!gt)
                        return false;
                    i = (size_t)(gt - s) + 1; /* a named group: a group */
                } else {
                    return false;
                }
            } else {
                i++;
            }
            if (++depth > PR_DEPTH_MAX)
                return false;
            PR_EMITC('(');
            atom = false;
            continue;
        }
        if (c == '*' || c == '+' || c == '?') {
            if (!atom || ++quants > PR_QUANTS_MAX)
                return false;
            PR_EMITC((char)c);
            i++;
            if (i < n && s[i] == '?')
                i++; /* lazy */
            atom = false;
            continue;
        }
        if (c == '{') {
            size_t j = i + 1;
            unsigned long lo = 0, hi;
            bool digits = false, comma = false, hdig = false;
            while (j < n && s[j] >= '0' && s[j] <= '9' && lo < 100000)
                lo = lo * 10 + (unsigned long)(s[j++] - '0'), digits = true;
            hi = lo;
            if (j < n && s[j] == ',') {
                comma = true;
                j++;
                hi = 0;
                while (j < n && s[j] >= '0' && s[j] <= '9' && hi < 100000)
                    hi = hi * 10 + (unsigned long)(s[j++] - '0'), hdig = true;
                if (!hdig)
                    hi = lo;
            }
            if (digits && j < n && s[j] == '}' && (!comma || !hdig || hi >= lo)) {
                if (!atom || ++quants > PR_QUANTS_MAX)
                    return false;
                unsigned long bound = comma && !hdig ? lo + 1 : hi;
                reps *= bound ? bound : 1;
                if (reps > PR_REPEAT_MAX || lo > PR_REPEAT_MAX || reps * n > PR_EXPAND_MAX)
                    return false;
                for (size_t k = i; k <= j; k++)
                    PR_EMITC(s[k]);
                i = j + 1;
                if (i < n && s[i] == '?')
                    i++;
                atom = false;
                continue;
            }
            if (!js)
                return false; /* PostgreSQL: a bad bound is an error */
            PR_EMIT("\\{");   /* JavaScript: a literal brace */
            i++;
            atom = true;
            continue;
        }
        if (c == ')' && --depth < 0)
            return false;
        if (c == '|' && ++alts > PR_ALTS_MAX)
            return false;
        PR_EMITC((char)c);
        i++;
        atom = c != '|' && c != '^';
    }
    out[o] = '\0';
    return true;
#undef PR_EMIT
#undef PR_EMITC
}

static void pricing_u8_init(void)
{
    pricing_u8 = pr_libc.newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
    if (!pricing_u8)
        pricing_u8 = pricing_c; /* no C.UTF-8 in this glibc: bytes, as for ASCII */
}

static locale_t pr_rx_locale(bool u8)
{
    if (!u8)
        return pricing_c;
    pthread_once(&pricing_u8_once, pricing_u8_init);
    return pricing_u8;
}

/* regexec in the locale rx was compiled in. */
static bool pr_rx_match(const struct pr_rx *rx, const char *s)
{
    locale_t old = pr_libc.uselocale(rx->loc);
    bool m = pr_libc.regexec(&rx->re, s, 0, NULL, 0) == 0;
    pr_libc.uselocale(old);
    return m;
}

static struct pr_rx *pr_compile(struct lt_pricing *p, const char *ere, bool icase, bool u8)
{
    struct pr_rx *rx = lt_malloc(sizeof *rx);
    if (!rx)
        return NULL;
    rx->loc = pr_rx_locale(u8);
    locale_t old = pr_libc.uselocale(rx->loc);
    int e = pr_libc.regcomp(&rx->re, ere, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0));
    pr_libc.uselocale(old);
    if (e != 0) {
        lt_free(rx);
        return NULL;
    }
    rx->next = p->rxs;
    p->rxs = rx;
    return rx;
}

/* ------------------------------------------------------------ prefilter */

/* From a translated pattern, what every matched string must be or contain.
 * A node's set is either exact (the node matches exactly these strings) or
 * a "contains one of" set (every match contains one of them), or nothing
 * known. Concatenation crosses exact sets, alternation unites them,
 * anything unbounded or too large degrades to the most selective literal
 * set seen. Only ever used to skip rows: regexec decides. */
#define PF_N 8
#define PF_L 48
/* '.' in a set: one character, any. Literal bytes >= 0x80 never enter a
 * set (they make the node "nothing known"), and names with such bytes skip
 * the prefilter, so this value is free. */
#define PF_WILD ((char)0x80)
#define PF_DEPTH (PR_DEPTH_MAX + 2)
#define PF_POOL (PF_DEPTH * 6 + 8)

struct pf_set {
    int n; /* -1: nothing known */
    bool exact;
    unsigned char len[PF_N];
    char s[PF_N][PF_L];
};

struct pf_ctx {
    const char *p, *end;
    bool icase, bad, top_alt;
    int anchors, depth, used;
    struct pf_set *pool; /* heap: this may run on a program thread at exit */
};

static struct pf_set *pf_get(struct pf_ctx *c)
{
    if (c->used >= PF_POOL) {
        c->bad = true;
        return NULL;
    }
    return &c->pool[c->used++];
}

/* *d = *x, copying only the bytes in use. */
static void pf_copy(struct pf_set *d, const struct pf_set *x)
{
    d->n = x->n;
    d->exact = x->exact;
    for (int i = 0; i < x->n; i++) {
        d->len[i] = x->len[i];
        memcpy(d->s[i], x->s[i], x->len[i]);
    }
}

static void pf_any(struct pf_set *x)
{
    x->n = -1;
    x->exact = false;
}

static void pf_one(struct pf_set *x, const char *s, size_t n)
{
    x->n = 1;
    x->exact = true;
    x->len[0] = (unsigned char)n;
    memcpy(x->s[0], s, n);
}

static bool pf_add(struct pf_set *x, const char *s, size_t n)
{
    for (int i = 0; i < x->n; i++)
        if (x->len[i] == n && !memcmp(x->s[i], s, n))
            return true;
    if (x->n >= PF_N || n > PF_L)
        return false;
    x->len[x->n] = (unsigned char)n;
    memcpy(x->s[x->n], s, n);
    x->n++;
    return true;
}

static void pf_degrade(struct pf_set *x)
{
    if (x->n < 0)
        return;
    for (int i = 0; i < x->n; i++)
        if (x->len[i] == 0) {
            pf_any(x);
            return;
        }
    x->exact = false;
}

static int pf_score(const struct pf_set *x)
{
    if (x->n <= 0)
        return 0;
    int m = PF_L + 1;
    for (int i = 0; i < x->n; i++)
        if (x->len[i] < m)
            m = x->len[i];
    return m;
}

/* best = the more selective of best and cand (both degraded). */
static void pf_better(struct pf_set *best, const struct pf_set *cand)
{
    int a = pf_score(best), b = pf_score(cand);
    if (b > a || (b == a && b > 0 && cand->n < best->n))
        pf_copy(best, cand);
}

static bool pf_cross(struct pf_set *out, const struct pf_set *a, const struct pf_set *b)
{
    out->n = 0;
    out->exact = true;
    for (int i = 0; i < a->n; i++)
        for (int j = 0; j < b->n; j++) {
            size_t l = (size_t)a->len[i] + b->len[j];
            if (l > PF_L)
                return false;
            char t[PF_L];
            memcpy(t, a->s[i], a->len[i]);
            memcpy(t + a->len[i], b->s[j], b->len[j]);
            if (!pf_add(out, t, l))
                return false;
        }
    return true;
}

/* Does every string matching b contain a string matching a? True when a
 * occurs in b, a's wildcards standing for anything, b's only for a's. */
static bool pf_inside(const char *a, size_t an, const char *b, size_t bn)
{
    for (size_t k = 0; k + an <= bn; k++) {
        size_t i = 0;
        while (i < an && (a[i] == PF_WILD || a[i] == b[k + i]))
            i++;
        if (i == an)
            return true;
    }
    return false;
}

/* Does name s (n bytes) match a (wildcards included) at offset k? */
static bool pf_at(const char *a, size_t an, const char *s, size_t k)
{
    for (size_t i = 0; i < an; i++)
        if (a[i] != PF_WILD && a[i] != s[k + i])
            return false;
    return true;
}

/* Drops members that contain another member: "contains one of" loses
 * nothing by it. */
static void pf_simplify(struct pf_set *x)
{
    if (x->exact || x->n <= 1)
        return;
    for (int i = 0; i < x->n; i++)
        for (int j = 0; j < x->n; j++) {
            if (i == j || x->len[j] > x->len[i] || (x->len[j] == x->len[i] && j > i))
                continue;
            if (pf_inside(x->s[j], x->len[j], x->s[i], x->len[i])) {
                x->n--;
                x->len[i] = x->len[x->n];
                memcpy(x->s[i], x->s[x->n], PF_L);
                i--;
                break;
            }
        }
}

/* Adds s to a "contains one of" set, keeping it minimal: a member that
 * contains s goes (s is the weaker requirement), s is not added when a
 * member is inside it. false when the set is full. */
static bool pf_add_min(struct pf_set *x, const char *s, size_t n)
{
    for (int i = 0; i < x->n; i++)
        if (x->len[i] <= n && pf_inside(x->s[i], x->len[i], s, n))
            return true;
    for (int i = 0; i < x->n; i++)
        if (pf_inside(s, n, x->s[i], x->len[i])) {
            x->n--;
            x->len[i] = x->len[x->n];
            memcpy(x->s[i], x->s[x->n], x->len[i]);
            i--;
        }
    return pf_add(x, s, n);
}

static void pf_union(struct pf_ctx *c, struct pf_set *acc, const struct pf_set *b)
{
    struct pf_set *t = pf_get(c);
    if (!t)
        return;
    if (acc->exact && b->exact) {
        pf_copy(t, acc);
        bool fit = true;
        for (int i = 0; i < b->n && fit; i++)
            fit = pf_add(t, b->s[i], b->len[i]);
        if (fit) {
            pf_copy(acc, t);
            c->used--;
            return;
        }
    }
    pf_degrade(acc);
    if (acc->n >= 0) {
        t->exact = false;
        t->n = 0;
        for (int i = 0; i < acc->n; i++)
            pf_add_min(t, acc->s[i], acc->len[i]);
        bool fit = true;
        for (int i = 0; i < b->n && fit; i++) {
            if (b->len[i] == 0)
                fit = false; /* b matches the empty string: nothing is required */
            else
                fit = pf_add_min(t, b->s[i], b->len[i]);
        }
        if (fit && b->n > 0) {
            pf_copy(acc, t);
        } else {
            pf_any(acc);
        }
    }
    c->used--;
}

static void pf_alt(struct pf_ctx *c, struct pf_set *out);

static void pf_skip_bracket(struct pf_ctx *c)
{
    const char *p = c->p + 1;
    if (p < c->end && *p == '^')
        p++;
    if (p < c->end && *p == ']')
        p++;
    while (p < c->end && *p != ']') {
        if (*p == '[' && p + 1 < c->end && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
            char k = p[1];
            p += 2;
            while (p + 1 < c->end && !(p[0] == k && p[1] == ']'))
                p++;
            p += 2;
            continue;
        }
        p++;
    }
    if (p >= c->end)
        c->bad = true;
    c->p = p < c->end ? p + 1 : c->end;
}

static void pf_opt(struct pf_set *x)
{
    if (!x->exact || !pf_add(x, "", 0))
        pf_any(x);
}

static void pf_piece(struct pf_ctx *c, struct pf_set *out)
{
    unsigned char ch = (unsigned char)*c->p;
    if (ch == '(') {
        c->p++;
        if (++c->depth > PF_DEPTH) {
            c->bad = true;
            return;
        }
        pf_alt(c, out);
        c->depth--;
        if (c->p < c->end && *c->p == ')')
            c->p++;
        else
            c->bad = true;
    } else if (ch == '[') {
        pf_skip_bracket(c);
        pf_any(out);
    } else if (ch == '.') {
        c->p++;
        char w = PF_WILD;
        pf_one(out, &w, 1);
    } else if (ch == '^' || ch == '$') {
        c->p++;
        c->anchors++;
        pf_one(out, "", 0);
    } else {
        if (ch == '\\') {
            c->p++;
            if (c->p >= c->end) {
                c->bad = true;
                return;
            }
            ch = (unsigned char)*c->p;
        }
        c->p++;
        if (ch >= 0x80) {
            pf_any(out); /* part of a multibyte character, or case-folded by the locale */
        } else {
            char l = (char)(c->icase && ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
            pf_one(out, &l, 1);
        }
    }
    while (c->p < c->end && !c->bad) {
        char q = *c->p;
        if (q == '*') {
            pf_any(out);
        } else if (q == '+') {
            pf_degrade(out);
        } else if (q == '?') {
            pf_opt(out);
        } else if (q == '{') {
            const char *r = c->p + 1;
            unsigned long lo = 0;
            while (r < c->end && *r >= '0' && *r <= '9' && lo < 100000)
                lo = lo * 10 + (unsigned long)(*r++ - '0');
            bool one = r < c->end && *r == ',' && r + 1 < c->end && r[1] == '1' && r + 2 < c->end && r[2] == '}';
            while (r < c->end && *r != '}')
                r++;
            if (r >= c->end) {
                c->bad = true;
                return;
            }
            if (lo > 0)
                pf_degrade(out);
            else if (one)
                pf_opt(out);
            else
                pf_any(out);
            c->p = r;
        } else {
            break;
        }
        c->p++;
    }
}

/* Appends ch to every member of exact set x, in place. */
static bool pf_append(struct pf_set *x, char ch)
{
    for (int i = 0; i < x->n; i++)
        if (x->len[i] >= PF_L)
            return false;
    for (int i = 0; i < x->n; i++)
        x->s[i][x->len[i]++] = ch;
    return true;
}

/* The literal character at c->p when it is one and no quantifier follows
 * it (the common case, handled without a set of its own): its length in
 * the pattern, 0 otherwise. */
static size_t pf_plain(const struct pf_ctx *c, char *ch)
{
    const char *p = c->p;
    size_t k = 1;
    unsigned char x = (unsigned char)*p;
    if (x == '\\') {
        if (p + 1 >= c->end)
            return 0;
        x = (unsigned char)p[1];
        k = 2;
    } else if (x == '(' || x == ')' || x == '[' || x == '^' || x == '$' || x == '|' || x == '*' || x == '+' ||
               x == '?' || x == '{') {
        return 0;
    }
    if (x >= 0x80)
        return 0;
    if (x == '.' && k == 1)
        x = (unsigned char)PF_WILD;
    if (p + k < c->end) {
        char q = p[k];
        if (q == '*' || q == '+' || q == '?' || q == '{')
            return 0;
    }
    *ch = (char)(c->icase && x >= 'A' && x <= 'Z' ? x + 32 : x);
    return k;
}

static void pf_branch(struct pf_ctx *c, struct pf_set *out)
{
    int mark = c->used;
    struct pf_set *best = pf_get(c), *run = pf_get(c), *piece = pf_get(c), *t = pf_get(c);
    if (!t) {
        c->used = mark;
        return;
    }
    bool all_exact = true;
    pf_any(best);
    pf_one(run, "", 0);
    while (c->p < c->end && *c->p != '|' && *c->p != ')' && !c->bad) {
        char ch;
        size_t k = pf_plain(c, &ch);
        if (k && pf_append(run, ch)) {
            c->p += k;
            continue;
        }
        pf_piece(c, piece);
        if (c->bad)
            break;
        if (piece->exact) {
            if (pf_cross(t, run, piece)) {
                struct pf_set *x = run;
                run = t;
                t = x;
            } else {
                all_exact = false;
                pf_degrade(run);
                pf_better(best, run);
                pf_copy(run, piece);
            }
        } else {
            all_exact = false;
            pf_degrade(run);
            pf_better(best, run);
            pf_better(best, piece);
            pf_one(run, "", 0);
        }
    }
    if (all_exact) {
        pf_copy(out, run);
    } else {
        pf_degrade(run);
        pf_better(best, run);
        pf_copy(out, best);
    }
    c->used = mark;
}

static void pf_alt(struct pf_ctx *c, struct pf_set *out)
{
    int mark = c->used;
    struct pf_set *b = pf_get(c);
    if (!b)
        return;
    pf_branch(c, out);
    while (c->p < c->end && *c->p == '|' && !c->bad) {
        if (c->depth == 0)
            c->top_alt = true;
        c->p++;
        pf_branch(c, b);
        pf_union(c, out, b);
    }
    c->used = mark;
}

static bool pf_escaped(const char *s, size_t i)
{
    size_t k = 0;
    while (i > 0 && s[i - 1] == '\\')
        i--, k++;
    return k % 2 == 1;
}

static void pr_pf_build(struct lt_pricing *p, struct pr_row *r, struct pf_set *pool)
{
    r->pf_ready = true;
    const char *e = r->ere;
    size_t n = strlen(e), i = 0, j = n;
    struct pf_ctx c = { 0 };
    struct pf_set res;
    bool done = false;
    c.pool = pool;
    c.icase = r->icase;
    r->pf.mode = PR_PF_ANY;
    r->pf.icase = r->icase;
    while (i < n && e[i] == '^')
        i++;
    while (j > i && e[j - 1] == '$' && !pf_escaped(e, j - 1))
        j--;
    if (i > 0 && j < n) {
        /* ^body$: the body's exact set is the whole language */
        c.p = e + i;
        c.end = e + j;
        pf_alt(&c, &res);
        if (!c.bad && c.p == c.end && c.anchors == 0 && !c.top_alt && res.exact && res.n > 0) {
            r->pf.mode = PR_PF_EQUALS;
            done = true;
        }
    }
    if (!done) {
        memset(&c, 0, sizeof c);
        c.pool = pool;
        c.icase = r->icase;
        c.p = e;
        c.end = e + n;
        pf_alt(&c, &res);
        if (c.bad || c.p != c.end)
            return;
        pf_degrade(&res);
        if (res.n <= 0)
            return;
        pf_simplify(&res);
        r->pf.mode = PR_PF_CONTAINS;
    }
    size_t bn = 0;
    for (int k = 0; k < res.n; k++)
        bn += 1 + res.len[k];
    unsigned char *b = pr_alloc(p, bn);
    if (!b) {
        r->pf.mode = PR_PF_ANY;
        return;
    }
    r->pf.blob = b;
    r->pf.n = res.n;
    for (int k = 0; k < res.n; k++) {
        *b++ = res.len[k];
        memcpy(b, res.s[k], res.len[k]);
        b += res.len[k];
    }
}

/* Length of the valid UTF-8 character at s (n bytes left), 0 if none. */
static size_t pf_u8len(const unsigned char *s, size_t n)
{
    size_t l = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] < 0xE0 ? 2 : s[0] >= 0xE0 && s[0] < 0xF0 ? 3
             : s[0] >= 0xF0 && s[0] < 0xF5 ? 4 : 0;
    if (l == 0 || l > n)
        return 0;
    for (size_t i = 1; i < l; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((l == 3 && s[0] == 0xE0 && s[1] < 0xA0) || (l == 3 && s[0] == 0xED && s[1] >= 0xA0) ||
        (l == 4 && s[0] == 0xF0 && s[1] < 0x90) || (l == 4 && s[0] == 0xF4 && s[1] >= 0x90))
        return 0; /* overlong, surrogate, beyond U+10FFFF */
    return l;
}

/* Does a (wildcards included) match name x (valid UTF-8, n bytes) from
 * byte k, a wildcard standing for one character? *end: where it ends. */
static bool pf_at_u8(const char *a, size_t an, const char *x, size_t n, size_t k, size_t *end)
{
    for (size_t i = 0; i < an; i++) {
        if (a[i] == PF_WILD) {
            size_t l = k < n ? pf_u8len((const unsigned char *)x + k, n - k) : 0;
            if (!l)
                return false;
            k += l;
        } else if (k >= n || x[k] != a[i]) {
            return false;
        } else {
            k++;
        }
    }
    *end = k;
    return true;
}

/* Does name (lower: its ASCII-lower-cased copy) pass row r's prefilter?
 * The regexes run in C.UTF-8, where a wildcard is one character: for a
 * name with bytes >= 0x80 (ascii false; u8: valid UTF-8) wildcards
 * consume whole characters; an ASCII literal never matches inside a
 * multibyte one. Under REG_ICASE four characters fold to ASCII letters
 * (U+0130, U+0131, U+017F, U+212A: fold), and invalid UTF-8 is read as
 * the regex engine pleases: then the regex alone decides. */
static bool pr_pf_pass(const struct pr_row *r, const char *name, const char *lower, size_t n, bool ascii, bool u8,
                       bool fold)
{
    const char *x = r->pf.icase ? lower : name;
    const unsigned char *b = r->pf.blob;
    if (r->pf.mode == PR_PF_ANY || (!ascii && (!u8 || (r->pf.icase && fold))))
        return true;
    for (int i = 0; i < r->pf.n; i++) {
        size_t l = *b++, end;
        const char *a = (const char *)b;
        b += l;
        if (r->pf.mode == PR_PF_EQUALS) {
            if (ascii ? l == n && pf_at(a, l, x, 0) : pf_at_u8(a, l, x, n, 0, &end) && end == n)
                return true;
        } else {
            for (size_t k = 0; k < n || (k == 0 && l == 0); k++) {
                if (ascii ? k + l <= n && pf_at(a, l, x, k)
                          : ((unsigned char)x[k] & 0xC0) != 0x80 && pf_at_u8(a, l, x, n, k, &end))
                    return true;
                if (ascii && k + l >= n)
                    break;
            }
        }
    }
    return false;
}

/* ------------------------------------------------------------ reading rows */

/* A JSON string value decoded into the arena. */
static bool pr_str(struct lt_pricing *p, const struct lt_jscan_val *v, struct pr_s *out)
{
    if (v->kind != LT_JSCAN_STRING)
        return false;
    if (!v->esc)
        return pr_dup(p, v->p, v->n, out);
    struct lt_buf b;
    lt_buf_init(&b, v->n + 1);
    bool ok = lt_jscan_str(v, &b) == LT_OK && pr_dup(p, b.data ? b.data : "", b.len, out);
    lt_buf_free(&b);
    return ok;
}

/* Is key v (a member name) equal to lit? Escaped names are decoded. */
static bool pr_key(const struct lt_jscan_val *v, const char *lit)
{
    size_t n = strlen(lit);
    if (!v->esc)
        return v->n == n && !memcmp(v->p, lit, n);
    char tmp[64];
    struct lt_buf b;
    lt_buf_init(&b, sizeof tmp);
    bool eq = lt_jscan_str(v, &b) == LT_OK && b.len == n && !memcmp(b.data, lit, n);
    lt_buf_free(&b);
    return eq;
}

static bool pr_days(long y, long m, long d, int64_t *out)
{
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    /* days from civil (Howard Hinnant's algorithm) */
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    *out = (int64_t)era * 146097 + doe - 719468;
    return true;
}

static bool pr_digits(const char **q, int w, long *out)
{
    long v = 0;
    for (int i = 0; i < w; i++, (*q)++) {
        if (**q < '0' || **q > '9')
            return false;
        v = v * 10 + (**q - '0');
    }
    *out = v;
    return true;
}

/* startDate: YYYY-MM-DD[(T| )HH:MM[:SS[.frac]][Z|±HH:MM]] → seconds. */
static bool pr_date(const char *s, int64_t *out)
{
    long y, mo, d, h = 0, mi = 0, sec = 0, oh, om, off = 0;
    const char *q = s;
    if (!pr_digits(&q, 4, &y) || *q++ != '-' || !pr_digits(&q, 2, &mo) || *q++ != '-' || !pr_digits(&q, 2, &d))
        return false;
    if (*q == 'T' || *q == ' ') {
        q++;
        if (!pr_digits(&q, 2, &h) || *q++ != ':' || !pr_digits(&q, 2, &mi))
            return false;
        if (*q == ':') {
            q++;
            if (!pr_digits(&q, 2, &sec))
                return false;
            if (*q == '.')
                for (q++; *q >= '0' && *q <= '9'; q++)
                    ;
        }
        if (*q == 'Z') {
            q++;
        } else if (*q == '+' || *q == '-') {
            long sign = *q++ == '-' ? -1 : 1;
            if (!pr_digits(&q, 2, &oh) || *q++ != ':' || !pr_digits(&q, 2, &om))
                return false;
            off = sign * (oh * 3600 + om * 60);
        }
    }
    int64_t days;
    if (*q || !pr_days(y, mo, d, &days) || h > 23 || mi > 59 || sec > 60)
        return false;
    *out = days * 86400 + h * 3600 + mi * 60 + sec - off;
    return true;
}

/* Reads one condition object. */
static const char *pr_cond_read(struct lt_pricing *p, struct lt_jscan *s, struct pr_cond *cd,
                                struct pr_tiers *ts)
{
    struct lt_jscan_val k, v;
    bool has_source = false, has_pattern = false, has_op = false, has_value = false, has_values = false;
    bool case_sensitive = false;
    struct pr_s op = { "", 0 }, source = { "", 0 }, key = { NULL, 0 }, pattern = { NULL, 0 };
    struct pr_s values[PR_VALUES_MAX];
    int nv = 0;
    memset(cd, 0, sizeof *cd);
    while (lt_jscan_member(s, &k)) {
        enum lt_jscan_kind kind = lt_jscan_value(s, &v);
        if (pr_key(&k, "source")) {
            if (!pr_str(p, &v, &source))
                return "condition source is not a string";
            has_source = true;
        } else if (pr_key(&k, "key")) {
            if (!pr_str(p, &v, &key))
                return "condition key is not a string";
        } else if (pr_key(&k, "operator")) {
            if (!pr_str(p, &v, &op))
                return "condition operator is not a string";
            has_op = true;
        } else if (pr_key(&k, "usageDetailPattern")) {
            if (!pr_str(p, &v, &pattern))
                return "usageDetailPattern is not a string";
            has_pattern = true;
        } else if (pr_key(&k, "value")) {
            uint64_t m;
            int e;
            bool ex;
            if (kind != LT_JSCAN_NUMBER || !pr_number(v.p, v.n, &m, &e, &ex, &cd->value))
                return "condition value is not a non-negative number";
            has_value = true;
        } else if (pr_key(&k, "caseSensitive")) {
            if (kind != LT_JSCAN_TRUE && kind != LT_JSCAN_FALSE)
                return "caseSensitive is not a boolean";
            case_sensitive = kind == LT_JSCAN_TRUE;
        } else if (pr_key(&k, "values")) {
            if (kind != LT_JSCAN_ARRAY)
                return "condition values is not an array";
            has_values = true;
            nv = 0;
            while (lt_jscan_element(s)) {
                lt_jscan_value(s, &v);
                if (nv >= PR_VALUES_MAX || !pr_str(p, &v, &values[nv]) || values[nv].n == 0)
                    return "condition values must be non-empty strings";
                nv++;
            }
            continue;
        } else if (!lt_jscan_skip(s, &v)) {
            return "bad JSON";
        }
        if (s->bad)
            return "bad JSON";
    }
    if (s->bad)
        return "bad JSON";
    if (has_source) {
        /* the attribute shape (PricingTierAttributeConditionSchema) */
        if (pr_eq(&source, "metadata", 8))
            return "a tier conditioned on observation metadata (not supported)";
        if (!pr_eq(&source, "model_parameters", 16))
            return "condition source is neither model_parameters nor metadata";
        if (!key.p || key.n == 0 || key.n > 200 || !has_op || !pr_eq(&op, "in", 2) || !has_values || nv == 0)
            return "a model_parameters condition needs key, operator \"in\" and values";
        cd->kind = PR_C_PARAM;
        cd->text = key;
        cd->values = pr_alloc(p, sizeof *values * (size_t)nv);
        if (!cd->values)
            return "out of memory";
        memcpy(cd->values, values, sizeof *values * (size_t)nv);
        cd->n_values = nv;
        bool seen = false;
        for (int i = 0; i < ts->n_params; i++)
            seen = seen || pr_eq(&ts->params[i], key.p, key.n);
        if (!seen) {
            if (ts->n_params >= PR_PARAMS_MAX)
                return "too many model parameters in conditions";
            ts->params[ts->n_params++] = key;
        }
        return NULL;
    }
    static const struct { const char *name; enum pr_op op; } ops[] = {
        { "gt", PR_GT }, { "gte", PR_GTE }, { "lt", PR_LT }, { "lte", PR_LTE }, { "eq", PR_EQ }, { "neq", PR_NEQ },
    };
    if (!has_pattern || pattern.n == 0 || pattern.n > 200 || !has_op || !has_value)
        return "a usage condition needs usageDetailPattern, operator and value";
    size_t i;
    for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (pr_eq(&op, ops[i].name, strlen(ops[i].name)))
            break;
    if (i == sizeof ops / sizeof ops[0])
        return "unknown condition operator";
    cd->kind = PR_C_USAGE;
    cd->op = ops[i].op;
    cd->text = pattern;
    char *ere = lt_malloc(PR_ERE_MAX);
    bool icase = !case_sensitive;
    bool ok = ere && pr_translate(pattern.p, pattern.n, true, ere, PR_ERE_MAX, &icase);
    cd->rx = ok ? pr_compile(p, ere, !case_sensitive, false) : NULL; /* usage keys are ASCII */
    lt_free(ere);
    if (!cd->rx)
        return "a usageDetailPattern llmtap cannot run exactly as JavaScript would";
    return NULL;
}

static const char *pr_price_read(struct lt_pricing *p, struct lt_jscan *s, struct pr_price *out, int *n)
{
    struct lt_jscan_val k, v;
    *n = 0;
    while (lt_jscan_member(s, &k)) {
        enum lt_jscan_kind kind = lt_jscan_value(s, &v);
        if (*n >= PR_PRICES_MAX)
            return "too many prices in a tier";
        struct pr_price *pr = &out[*n];
        if (kind != LT_JSCAN_NUMBER || !pr_number(v.p, v.n, &pr->mant, &pr->exp, &pr->exact, &pr->v))
            return "a price is not a non-negative number";
        struct pr_s key;
        if (!pr_str(p, &k, &key))
            return "out of memory";
        /* a repeated key: the last value wins, as in JSON.parse */
        int i;
        for (i = 0; i < *n; i++)
            if (pr_eq(&out[i].key, key.p, key.n))
                break;
        pr->key = key;
        if (i < *n) {
            out[i] = *pr;
            continue;
        }
        (*n)++;
    }
    return s->bad ? "bad JSON" : NULL;
}

static const char *pr_tier_read(struct lt_pricing *p, struct lt_jscan *s, struct pr_tier *t, struct pr_tiers *ts)
{
    struct lt_jscan_val k, v;
    struct pr_cond *conds = NULL; /* heap: a row may be read on a program thread at exit */
    struct pr_price *prices = NULL;
    bool has_prio = false, has_prices = false, has_conds = false;
    int nc = 0, np = 0;
    const char *why = NULL;
    memset(t, 0, sizeof *t);
    t->name.p = "";
    prices = lt_malloc(sizeof *prices * PR_PRICES_MAX);
    conds = lt_malloc(sizeof *conds * PR_CONDS_MAX);
    if (!prices || !conds) {
        lt_free(prices);
        lt_free(conds);
        return "out of memory";
    }
    while (!why && lt_jscan_member(s, &k)) {
        enum lt_jscan_kind kind = lt_jscan_value(s, &v);
        if (pr_key(&k, "name")) {
            if (!pr_str(p, &v, &t->name))
                why = "tier name is not a string";
        } else if (pr_key(&k, "isDefault")) {
            if (kind != LT_JSCAN_TRUE && kind != LT_JSCAN_FALSE)
                why = "isDefault is not a boolean";
            t->is_default = kind == LT_JSCAN_TRUE;
        } else if (pr_key(&k, "priority")) {
            long long x;
            if (!lt_jscan_int(&v, &x) || x < 0 || x > 999)
                why = "priority is not an integer 0-999";
            t->priority = (long)x;
            has_prio = true;
        } else if (pr_key(&k, "conditions")) {
            if (kind != LT_JSCAN_ARRAY) {
                why = "conditions is not an array";
                break;
            }
            has_conds = true;
            nc = 0;
            while (!why && lt_jscan_element(s)) {
                if (lt_jscan_value(s, &v) != LT_JSCAN_OBJECT || nc >= PR_CONDS_MAX)
                    why = "a condition is not an object";
                else
                    why = pr_cond_read(p, s, &conds[nc++], ts);
            }
        } else if (pr_key(&k, "prices")) {
            if (kind != LT_JSCAN_OBJECT)
                why = "prices is not an object";
            else
                why = pr_price_read(p, s, prices, &np);
            has_prices = true;
        } else if (!lt_jscan_skip(s, &v)) {
            why = "bad JSON";
        }
        if (s->bad && !why)
            why = "bad JSON";
    }
    if (!why && s->bad)
        why = "bad JSON";
    if (!why && (!has_prio || !has_prices || !has_conds))
        why = "a tier needs priority, conditions and prices";
    if (!why && np == 0)
        why = "a tier without prices";
    if (!why && t->is_default && nc > 0)
        why = "the default tier has conditions";
    if (!why) {
        t->cond = nc ? pr_alloc(p, sizeof *conds * (size_t)nc) : NULL;
        t->price = pr_alloc(p, sizeof *prices * (size_t)np);
        if ((nc && !t->cond) || !t->price) {
            why = "out of memory";
        } else {
            if (nc)
                memcpy(t->cond, conds, sizeof *conds * (size_t)nc);
            memcpy(t->price, prices, sizeof *prices * (size_t)np);
            t->n_cond = nc;
            t->n_price = np;
        }
    }
    lt_free(prices);
    lt_free(conds);
    return why;
}

static int pr_cmp_prio(const struct pr_tier *t, int a, int b)
{
    return t[a].priority < t[b].priority ? -1 : t[a].priority > t[b].priority ? 1 : a - b;
}

/* A pricingTiers array (at s, its '[' read) → *out. NULL or why not. */
static const char *pr_tiers_read(struct lt_pricing *p, struct lt_jscan *s, struct pr_tiers **out)
{
    struct pr_tiers *ts = pr_alloc(p, sizeof *ts);
    struct pr_tier *tmp = lt_malloc(sizeof *tmp * PR_TIERS_MAX);
    const char *why = NULL;
    struct lt_jscan_val v;
    int n = 0;
    if (!ts || !tmp) {
        lt_free(tmp);
        return "out of memory";
    }
    memset(ts, 0, sizeof *ts);
    while (!why && lt_jscan_element(s)) {
        if (lt_jscan_value(s, &v) != LT_JSCAN_OBJECT)
            why = "a tier is not an object";
        else if (n >= PR_TIERS_MAX)
            why = "too many tiers";
        else
            why = pr_tier_read(p, s, &tmp[n++], ts);
    }
    if (!why && s->bad)
        why = "bad JSON";
    int ndef = 0;
    for (int i = 0; !why && i < n; i++) {
        if (tmp[i].is_default) {
            ndef++;
            ts->def = i;
        }
        for (int j = 0; j < i; j++)
            if (tmp[j].priority == tmp[i].priority)
                why = "two tiers with the same priority";
    }
    if (!why && ndef != 1)
        why = "not exactly one default tier";
    if (!why) {
        ts->t = pr_alloc(p, sizeof *tmp * (size_t)n);
        ts->order = pr_alloc(p, sizeof *ts->order * (size_t)n);
        if (!ts->t || !ts->order) {
            why = "out of memory";
        } else {
            memcpy(ts->t, tmp, sizeof *tmp * (size_t)n);
            ts->n = n;
            /* matcher.ts: non-default tiers sorted by priority, ascending */
            for (int i = 0; i < n; i++) {
                if (tmp[i].is_default)
                    continue;
                int j = ts->n_order++;
                while (j > 0 && pr_cmp_prio(tmp, ts->order[j - 1], i) > 0) {
                    ts->order[j] = ts->order[j - 1];
                    j--;
                }
                ts->order[j] = i;
            }
        }
    }
    lt_free(tmp);
    if (!why)
        *out = ts;
    return why;
}

/* Flat inputPrice/outputPrice/totalPrice: one default tier, "Standard". */
static const char *pr_flat(struct lt_pricing *p, struct pr_row *r, const struct lt_jscan_val flat[3])
{
    static const char *const keys[3] = { "input", "output", "total" };
    struct pr_tiers *ts = pr_alloc(p, sizeof *ts);
    struct pr_tier *t = pr_alloc(p, sizeof *t);
    struct pr_price *pr = pr_alloc(p, sizeof *pr * 3);
    int *order = pr_alloc(p, sizeof *order);
    if (!ts || !t || !pr || !order)
        return "out of memory";
    memset(ts, 0, sizeof *ts);
    memset(t, 0, sizeof *t);
    t->name.p = "Standard";
    t->name.n = 8;
    t->is_default = true;
    t->price = pr;
    if (flat[2].kind == LT_JSCAN_NUMBER && (flat[0].kind == LT_JSCAN_NUMBER || flat[1].kind == LT_JSCAN_NUMBER))
        return "totalPrice together with inputPrice or outputPrice";
    for (int i = 0; i < 3; i++) {
        if (flat[i].kind == LT_JSCAN_NULL || flat[i].kind == LT_JSCAN_NONE)
            continue;
        struct pr_price *x = &pr[t->n_price];
        if (flat[i].kind != LT_JSCAN_NUMBER || !pr_number(flat[i].p, flat[i].n, &x->mant, &x->exp, &x->exact, &x->v))
            return "a flat price is not a non-negative number";
        x->key.p = keys[i];
        x->key.n = strlen(keys[i]);
        t->n_price++;
    }
    if (t->n_price == 0)
        return "no prices";
    ts->n = 1;
    ts->t = t;
    ts->order = order;
    r->tiers = ts;
    return NULL;
}

/* Skips container v (its bracket just read by lt_jscan_value) by matching
 * brackets outside strings, without validating what is inside: that text
 * is read with the scanner when a row's tiers are needed. Most of a price
 * table is tiers, so indexing it costs this loop, not a full scan. */
static bool pr_skip(struct lt_jscan *s, const struct lt_jscan_val *v)
{
    if (v->kind != LT_JSCAN_OBJECT && v->kind != LT_JSCAN_ARRAY)
        return !s->bad;
    const char *p = v->p + 1, *end = s->end;
    long depth = 1;
    while (p < end) {
        char c = *p++;
        if (c == '"') {
            for (;;) {
                const char *q = memchr(p, '"', (size_t)(end - p));
                if (!q)
                    return false;
                const char *b = q;
                while (b > p && b[-1] == '\\')
                    b--;
                p = q + 1;
                if ((q - b) % 2 == 0)
                    break;
            }
        } else if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            if (--depth == 0) {
                s->p = p;
                s->depth--;
                s->first = false;
                return true;
            }
        }
    }
    return false;
}

/* One row object (at s, its '{' read). Shipped rows keep their tiers' span;
 * user rows are read whole. */
static const char *pr_row_read(struct lt_pricing *p, struct lt_jscan *s, struct pr_row *r, bool user)
{
    struct lt_jscan_val k, v, tiers = { 0 }, flat[3];
    const char *tiers_end = NULL;
    bool has_name = false, has_pattern = false;
    memset(r, 0, sizeof *r);
    memset(flat, 0, sizeof flat);
    r->user = user;
    /* every member is read (or skipped) even after an error: the next row
     * starts where this one ends */
    const char *err = NULL;
    while (lt_jscan_member(s, &k)) {
        enum lt_jscan_kind kind = lt_jscan_value(s, &v);
        const char *e = NULL;
        bool consumed = false;
        if (pr_key(&k, "modelName")) {
            if (!pr_str(p, &v, &r->name))
                e = kind == LT_JSCAN_STRING ? "out of memory" : "modelName is not a string";
            has_name = !e;
        } else if (pr_key(&k, "matchPattern")) {
            if (!pr_str(p, &v, &r->pattern))
                e = kind == LT_JSCAN_STRING ? "out of memory" : "matchPattern is not a string";
            has_pattern = !e;
        } else if (pr_key(&k, "pricingTiers")) {
            tiers = v;
            consumed = true;
            if (!pr_skip(s, &v))
                return "bad JSON";
            tiers_end = s->p;
            if (kind != LT_JSCAN_ARRAY && kind != LT_JSCAN_NULL)
                e = "pricingTiers is not an array";
        } else if (pr_key(&k, "inputPrice") || pr_key(&k, "outputPrice") || pr_key(&k, "totalPrice")) {
            int i = pr_key(&k, "inputPrice") ? 0 : pr_key(&k, "outputPrice") ? 1 : 2;
            flat[i] = v;
            if (kind != LT_JSCAN_NUMBER && kind != LT_JSCAN_NULL)
                e = "a flat price is not a number";
        } else if (pr_key(&k, "startDate")) {
            struct pr_s d;
            r->has_start = false;
            if (kind == LT_JSCAN_STRING) {
                if (!pr_str(p, &v, &d))
                    e = "out of memory";
                else if (!pr_date(d.p, &r->start))
                    e = "startDate is not an ISO 8601 date";
                else
                    r->has_start = true;
            } else if (kind != LT_JSCAN_NULL) {
                e = "startDate is not a string";
            }
        }
        if (!consumed && !lt_jscan_skip(s, &v))
            return "bad JSON";
        if (s->bad)
            return "bad JSON";
        if (e && !err)
            err = e;
    }
    if (s->bad)
        return "bad JSON";
    if (err)
        return err;
    if (!has_name || r->name.n == 0)
        return "a row without modelName";
    if (!has_pattern || r->pattern.n == 0)
        return "a row without matchPattern";
    bool has_tiers = tiers.kind == LT_JSCAN_ARRAY;
    bool has_flat = false;
    for (int i = 0; i < 3; i++)
        has_flat = has_flat || flat[i].kind == LT_JSCAN_NUMBER;
    if (has_tiers && has_flat)
        return "both pricingTiers and flat prices";
    if (!has_tiers && !has_flat)
        return "no prices (pricingTiers, or inputPrice/outputPrice/totalPrice)";
    if (has_tiers) {
        r->tj = tiers.p;
        r->tn = (size_t)(tiers_end - tiers.p);
    }
    if (!user && has_tiers)
        return NULL; /* read when a model name first picks this row */
    if (has_flat)
        return pr_flat(p, r, flat);
    struct lt_jscan t;
    lt_jscan_init(&t, r->tj, r->tn);
    lt_jscan_value(&t, &v);
    const char *why = pr_tiers_read(p, &t, &r->tiers);
    r->tj = NULL;
    r->tn = 0;
    return why;
}

static bool pr_row_pattern(struct lt_pricing *p, struct pr_row *r)
{
    char *ere = lt_malloc(PR_ERE_MAX);
    bool icase = false, ok = ere && pr_translate(r->pattern.p, r->pattern.n, false, ere, PR_ERE_MAX, &icase);
    struct pr_s e = { NULL, 0 };
    ok = ok && pr_dup(p, ere, strlen(ere), &e);
    lt_free(ere);
    r->ere = e.p;
    r->icase = icase;
    return ok;
}

/* Reads a table text (array of rows, or {"models": [...]}) into rows.
 * Shipped text: a bad row fails the whole text. User text: a bad row is
 * skipped, and the first reason goes to why. */
static enum lt_rc pr_read(struct lt_pricing *p, const char *text, size_t len, bool user, struct pr_row **rows,
                          int *n, int *cap, char *why, size_t whyn)
{
    struct lt_jscan s;
    struct lt_jscan_val v, k;
    lt_jscan_init(&s, text, len);
    enum lt_jscan_kind kind = lt_jscan_value(&s, &v);
    bool found = kind == LT_JSCAN_ARRAY;
    if (kind == LT_JSCAN_OBJECT) {
        while (!found && lt_jscan_member(&s, &k)) {
            enum lt_jscan_kind vk = lt_jscan_value(&s, &v);
            if (pr_key(&k, "models") && vk == LT_JSCAN_ARRAY)
                found = true;
            else if (!lt_jscan_skip(&s, &v))
                break;
        }
    }
    if (!found) {
        if (why && whyn)
            snprintf(why, whyn, "%s",
                     s.bad ? "not valid JSON" : "neither a JSON array of rows nor an object with a \"models\" array");
        return LT_ERR_INVALID;
    }
    int row = 0;
    while (lt_jscan_element(&s)) {
        row++;
        if (*n >= PR_ROWS_MAX) {
            if (why && whyn && !why[0])
                snprintf(why, whyn, "more than %d rows: the rest is ignored", PR_ROWS_MAX);
            break;
        }
        if (*n == *cap) {
            int nc = *cap ? *cap * 2 : 256;
            struct pr_row *nr = lt_realloc(*rows, sizeof *nr * (size_t)nc);
            if (!nr)
                return LT_ERR_NOMEM;
            *rows = nr;
            *cap = nc;
        }
        const char *bad;
        memset(&(*rows)[*n], 0, sizeof **rows);
        if (lt_jscan_value(&s, &v) != LT_JSCAN_OBJECT) {
            bad = "a row is not an object";
            if (!s.bad && !lt_jscan_skip(&s, &v))
                bad = "bad JSON";
        } else {
            bad = pr_row_read(p, &s, &(*rows)[*n], user);
        }
        if (!bad && !pr_row_pattern(p, &(*rows)[*n]))
            bad = "a matchPattern llmtap cannot run exactly as PostgreSQL would";
        /* the regex itself is compiled when a name first needs it (a translated
         * pattern that glibc still refuses, such as [z-a], is refused by
         * JavaScript and PostgreSQL too, and is said then) */
        if (bad) {
            if (s.bad || !user) {
                if (why && whyn)
                    snprintf(why, whyn, "row %d: %s", row, s.bad ? "not valid JSON" : bad);
                return LT_ERR_INVALID;
            }
            if (why && whyn && !why[0]) {
                const struct pr_s *nm = &(*rows)[*n].name;
                snprintf(why, whyn, "row %d%s%.*s%s: %s (row skipped)", row, nm->p ? " (" : "",
                         nm->p ? (int)(nm->n > 80 ? 80 : nm->n) : 0, nm->p ? nm->p : "", nm->p ? ")" : "", bad);
            }
            continue;
        }
        (*n)++;
    }
    if (kind == LT_JSCAN_OBJECT) {
        /* the members after "models" (a later "models" is ignored) */
        while (!s.bad && lt_jscan_member(&s, &k))
            if (lt_jscan_value(&s, &v) == LT_JSCAN_NONE || !lt_jscan_skip(&s, &v))
                break;
    }
    if (s.bad || !lt_jscan_end(&s)) {
        if (why && whyn)
            snprintf(why, whyn, "not valid JSON after row %d", row);
        return LT_ERR_INVALID;
    }
    return LT_OK;
}

const char *lt_pricing_shipped(size_t *len)
{
    if (!lt_pricing_json_start || !lt_pricing_json_end) {
        *len = 0;
        return NULL;
    }
    *len = (size_t)(lt_pricing_json_end - lt_pricing_json_start);
    return lt_pricing_json_start;
}

const unsigned char *lt_pricing_shipped_index(size_t *len)
{
    if (!lt_pricing_index_start || !lt_pricing_index_end) {
        *len = 0;
        return NULL;
    }
    *len = (size_t)(lt_pricing_index_end - lt_pricing_index_start);
    return lt_pricing_index_start;
}

/* The index (little-endian u32 words): magic "LTPX", version, length of the
 * JSON it indexes, rows, offset and length of its string table; then per
 * row: name offset and length, translated pattern offset (strings in the
 * table, NUL-terminated), pricingTiers offset and length in the JSON, flags
 * (1: case-insensitive; prefilter mode << 1), prefilter count and offset
 * (count × length byte + bytes). */
#define PR_IDX_MAGIC 0x5850544cu /* "LTPX" */
#define PR_IDX_VERSION 1u
#define PR_IDX_HEAD 6
#define PR_IDX_ROW 8

static uint32_t pr_u32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static enum lt_rc pr_put32(struct lt_buf *b, uint32_t v)
{
    unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 24) };
    return lt_buf_add(b, x, 4);
}

/* Rows from the embedded index: no parsing, no analysis. */
static enum lt_rc pr_read_index(const unsigned char *ix, size_t n, const char *json, size_t jlen, int before,
                                struct pr_row **rows, int *nrows)
{
    if (n < PR_IDX_HEAD * 4 || pr_u32(ix) != PR_IDX_MAGIC || pr_u32(ix + 4) != PR_IDX_VERSION ||
        pr_u32(ix + 8) != jlen)
        return LT_ERR_INVALID;
    uint32_t nr = pr_u32(ix + 12), so = pr_u32(ix + 16), sl = pr_u32(ix + 20);
    if (nr > PR_ROWS_MAX || (size_t)PR_IDX_HEAD * 4 + (size_t)nr * PR_IDX_ROW * 4 > so || so > n || sl > n - so ||
        sl == 0 || ix[so + sl - 1] != '\0')
        return LT_ERR_INVALID;
    const char *st = (const char *)ix + so;
    /* the table's own row array: `before` user rows, then these */
    struct pr_row *all = lt_calloc((size_t)before + nr + 1, sizeof *all), *r = all + before;
    if (!all)
        return LT_ERR_NOMEM;
    for (uint32_t i = 0; i < nr; i++) {
        const unsigned char *w = ix + PR_IDX_HEAD * 4 + (size_t)i * PR_IDX_ROW * 4;
        uint32_t no = pr_u32(w), nl = pr_u32(w + 4), eo = pr_u32(w + 8), to = pr_u32(w + 12), tl = pr_u32(w + 16);
        uint32_t fl = pr_u32(w + 20), pn = pr_u32(w + 24), po = pr_u32(w + 28);
        if (no >= sl || nl >= sl - no || eo >= sl || to > jlen || tl > jlen - to || po > sl || pn > PF_N) {
            lt_free(all);
            return LT_ERR_INVALID;
        }
        r[i].name.p = st + no;
        r[i].name.n = nl;
        r[i].pattern = r[i].name; /* only for messages: the index keeps the translated pattern */
        r[i].ere = st + eo;
        r[i].tj = json + to;
        r[i].tn = tl;
        r[i].icase = fl & 1;
        r[i].pf.icase = r[i].icase;
        r[i].pf.mode = (enum pr_pfmode)((fl >> 1) & 3);
        r[i].pf.n = (int)pn;
        r[i].pf.blob = (const unsigned char *)st + po;
        r[i].pf_ready = true;
        for (uint32_t k = 0, at = po; k < pn; k++) {
            if (at >= sl || ix[so + at] > sl - at - 1) {
                lt_free(all);
                return LT_ERR_INVALID;
            }
            at += 1u + ix[so + at];
        }
    }
    *rows = all;
    *nrows = (int)nr;
    return LT_OK;
}

static void pricing_init_once(void);
static bool pr_pf_all(struct lt_pricing *p);

enum lt_rc lt_pricing_index(const char *json, size_t len, struct lt_buf *out, char *why, size_t whyn)
{
    struct lt_pricing *p;
    enum lt_rc rc = lt_pricing_new(json, len, NULL, 0, &p, why, whyn);
    if (rc != LT_OK)
        return rc;
    if (!pr_pf_all(p)) {
        lt_pricing_free(p);
        return LT_ERR_NOMEM;
    }
    struct lt_buf st;
    lt_buf_init(&st, 0);
    size_t so = (size_t)PR_IDX_HEAD * 4 + (size_t)p->n_rows * PR_IDX_ROW * 4;
    pr_put32(out, PR_IDX_MAGIC);
    pr_put32(out, PR_IDX_VERSION);
    pr_put32(out, (uint32_t)len);
    pr_put32(out, (uint32_t)p->n_rows);
    pr_put32(out, (uint32_t)so);
    size_t sl_at = out->len;
    pr_put32(out, 0);
    for (int i = 0; i < p->n_rows && rc == LT_OK; i++) {
        const struct pr_row *r = &p->rows[i];
        if (!r->tj) {
            snprintf(why, whyn, "row %s: flat prices cannot be indexed", r->name.p);
            rc = LT_ERR_INVALID;
            break;
        }
        uint32_t no = (uint32_t)st.len;
        lt_buf_add(&st, r->name.p, r->name.n + 1);
        uint32_t eo = (uint32_t)st.len;
        lt_buf_add(&st, r->ere, strlen(r->ere) + 1);
        uint32_t po = (uint32_t)st.len;
        const unsigned char *b = r->pf.blob;
        for (int k = 0; k < r->pf.n; k++) {
            lt_buf_add(&st, b, 1u + b[0]);
            b += 1u + b[0];
        }
        pr_put32(out, no);
        pr_put32(out, (uint32_t)r->name.n);
        pr_put32(out, eo);
        pr_put32(out, (uint32_t)(r->tj - json));
        pr_put32(out, (uint32_t)r->tn);
        pr_put32(out, (uint32_t)(r->icase ? 1 : 0) | (uint32_t)r->pf.mode << 1);
        pr_put32(out, (uint32_t)r->pf.n);
        pr_put32(out, po);
    }
    if (rc == LT_OK) {
        lt_buf_addc(&st, '\0'); /* the table ends with a NUL: the reader checks it */
        lt_buf_add(out, st.data, st.len);
        if (out->truncated || st.truncated) {
            rc = LT_ERR_NOMEM;
        } else {
            unsigned char *x = (unsigned char *)out->data + sl_at;
            x[0] = (unsigned char)st.len;
            x[1] = (unsigned char)(st.len >> 8);
            x[2] = (unsigned char)(st.len >> 16);
            x[3] = (unsigned char)(st.len >> 24);
        }
    }
    lt_buf_free(&st);
    lt_pricing_free(p);
    return rc;
}


enum lt_rc lt_pricing_new(const char *shipped, size_t shipped_len, const char *user, size_t user_len,
                          struct lt_pricing **out, char *why, size_t whyn)
{
    pthread_once(&pricing_once, pricing_init_once);
    *out = NULL;
    if (why && whyn)
        why[0] = '\0';
    if (!pricing_c)
        return LT_ERR_NOMEM;
    bool embedded = !shipped;
    if (embedded)
        shipped = lt_pricing_shipped(&shipped_len);
    if (!shipped)
        return LT_ERR_INVALID;
    struct lt_pricing *p = lt_calloc(1, sizeof *p);
    if (!p)
        return LT_ERR_NOMEM;
    p->text = shipped;
    p->text_len = shipped_len;
    struct pr_row *urows = NULL, *srows = NULL;
    int nu = 0, cu = 0, ns = 0, cs = 0;
    enum lt_rc rc = LT_OK;
    if (user) {
        char uwhy[256] = "";
        rc = pr_read(p, user, user_len, true, &urows, &nu, &cu, uwhy, sizeof uwhy);
        if (rc == LT_ERR_INVALID) {
            nu = 0; /* a broken user file: the shipped table alone */
            rc = LT_OK;
        }
        if (why && whyn && uwhy[0])
            snprintf(why, whyn, "%s", uwhy);
    }
    size_t ixn = 0;
    const unsigned char *ix = embedded ? lt_pricing_shipped_index(&ixn) : NULL;
    if (rc == LT_OK && ix) {
        rc = pr_read_index(ix, ixn, shipped, shipped_len, nu, &p->rows, &ns);
        if (rc == LT_ERR_INVALID) {
            lt_log("the embedded price index does not fit the embedded table: reading the table");
            rc = LT_OK;
            ix = NULL;
        }
    }
    if (rc == LT_OK && !ix) {
        char swhy[256] = "";
        rc = pr_read(p, shipped, shipped_len, false, &srows, &ns, &cs, swhy, sizeof swhy);
        if (rc == LT_ERR_INVALID && why && whyn)
            snprintf(why, whyn, "shipped table: %s", swhy);
    }
    if (rc == LT_OK && !p->rows) {
        p->rows = lt_malloc(sizeof *p->rows * (size_t)(nu + ns + 1));
        if (!p->rows)
            rc = LT_ERR_NOMEM;
        else if (ns)
            memcpy(p->rows + nu, srows, sizeof *srows * (size_t)ns);
    }
    if (rc == LT_OK) {
        /* modelMatch.ts: the project's own models first, newest startDate
         * first (none last); ties keep the file's order */
        for (int i = 0; i < nu; i++) {
            int j = i;
            while (j > 0) {
                const struct pr_row *a = &p->rows[j - 1];
                bool later = urows[i].has_start && (!a->has_start || urows[i].start > a->start);
                if (!later)
                    break;
                p->rows[j] = p->rows[j - 1];
                j--;
            }
            p->rows[j] = urows[i];
        }
        p->n_user = nu;
        p->n_rows = nu + ns;
        for (int i = nu; i < p->n_rows; i++)
            for (int u = 0; u < nu && !p->rows[i].off; u++)
                p->rows[i].off = p->rows[u].name.n == p->rows[i].name.n &&
                                 !memcmp(p->rows[u].name.p, p->rows[i].name.p, p->rows[i].name.n);
    }
    lt_free(urows);
    lt_free(srows);
    if (rc != LT_OK) {
        lt_pricing_free(p);
        return rc;
    }
    *out = p;
    return LT_OK;
}

void lt_pricing_free(struct lt_pricing *p)
{
    if (!p)
        return;
    for (struct pr_rx *rx = p->rxs, *next; rx; rx = next) {
        next = rx->next;
        pr_libc.regfree(&rx->re);
        lt_free(rx);
    }
    for (int i = 0; i < p->n_hits; i++)
        lt_free(p->hits[i].name);
    for (struct pr_chunk *c = p->arena, *next; c; c = next) {
        next = c->next;
        lt_free(c);
    }
    lt_free(p->rows);
    lt_free(p);
}

int lt_pricing_rows(const struct lt_pricing *p)
{
    return p ? p->n_rows : 0;
}

const char *lt_pricing_row_name(struct lt_pricing *p, int i)
{
    return p && i >= 0 && i < p->n_rows ? p->rows[i].name.p : NULL;
}

/* ------------------------------------------------------------ matching */

static void pr_say(struct pr_row *r, const char *why)
{
    if (r->logged)
        return;
    r->logged = true;
    lt_log("price row %.*s: %s; its models get no cost", (int)(r->name.n > 100 ? 100 : r->name.n), r->name.p, why);
}

static bool pr_row_matches(struct lt_pricing *p, struct pr_row *r, const char *name, bool ascii)
{
    struct pr_rx **rx = ascii ? &r->rx : &r->rx8;
    bool *tried = ascii ? &r->rx_tried : &r->rx8_tried;
    if (!*tried) {
        *tried = true;
        *rx = r->ere ? pr_compile(p, r->ere, r->icase, !ascii) : NULL;
        if (!*rx)
            pr_say(r, "matchPattern does not compile");
    }
    return *rx && pr_rx_match(*rx, name);
}

/* Prefilters for the rows that have none yet (user rows; every row of a
 * table read without the embedded index). false on allocation failure. */
static bool pr_pf_all(struct lt_pricing *p)
{
    struct pf_set *pool = NULL;
    for (int i = 0; i < p->n_rows; i++) {
        struct pr_row *r = &p->rows[i];
        if (r->pf_ready || !r->ere || r->off)
            continue;
        if (!pool && !(pool = lt_malloc(sizeof *pool * PF_POOL)))
            return false;
        pr_pf_build(p, r, pool);
    }
    lt_free(pool);
    return true;
}

/* modelMatch.ts findModelInPostgres: `model ~ match_pattern`, project rows
 * first, then start_date DESC NULLS LAST, LIMIT 1. The shipped rows have no
 * start date, so two of them matching one name leave the server's choice
 * to chance: then no cost. */
static int pr_find(struct lt_pricing *p, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < p->n_hits; i++)
        if (!strcmp(p->hits[i].name, name))
            return p->hits[i].row;
    if (n > PR_NAME_MAX)
        return -1;
    if (!pr_pf_all(p))
        return -1;
    char small[256], *lower = n < sizeof small ? small : lt_malloc(n + 1);
    if (!lower)
        return -1;
    bool ascii = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        ascii = ascii && c < 0x80;
        lower[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    lower[n] = '\0';
    bool u8 = true;
    for (size_t i = 0, l; !ascii && u8 && i < n; i += l)
        u8 = (l = pf_u8len((const unsigned char *)name + i, n - i)) != 0;
    bool fold = !ascii && (strstr(name, "\xC4\xB0") || strstr(name, "\xC4\xB1") || strstr(name, "\xC5\xBF") ||
                           strstr(name, "\xE2\x84\xAA"));
    int found = -1, matches = 0;
    for (int i = 0; i < p->n_rows && (found < 0 || !p->rows[i].user); i++) {
        struct pr_row *r = &p->rows[i];
        if (r->off || !r->ere || !pr_pf_pass(r, name, lower, n, ascii, u8, fold))
            continue;
        if (!pr_row_matches(p, r, name, ascii))
            continue;
        if (r->user) {
            found = i;
            matches = 1;
            break;
        }
        if (++matches == 1)
            found = i;
    }
    if (lower != small)
        lt_free(lower);
    if (matches > 1) {
        lt_log("model %.100s matches %d price rows (first: %s); Langfuse's choice among them is not "
               "defined, so no cost", name, matches, p->rows[found].name.p);
        found = -1;
    }
    /* remember the answer: the next generation of this model costs a strcmp */
    char *copy = lt_strdup(name);
    if (copy) {
        int slot;
        if (p->n_hits < PR_HITS) {
            slot = p->n_hits++;
        } else {
            slot = p->hit_next;
            p->hit_next = (p->hit_next + 1) % PR_HITS;
            lt_free(p->hits[slot].name);
        }
        p->hits[slot].name = copy;
        p->hits[slot].row = found;
    }
    return found;
}

static struct pr_tiers *pr_row_tiers(struct lt_pricing *p, struct pr_row *r)
{
    if (r->tiers || r->bad)
        return r->tiers;
    struct lt_jscan s;
    struct lt_jscan_val v;
    lt_jscan_init(&s, r->tj, r->tn);
    const char *why = lt_jscan_value(&s, &v) == LT_JSCAN_ARRAY ? pr_tiers_read(p, &s, &r->tiers) : "no pricingTiers";
    if (why) {
        r->tiers = NULL;
        r->bad = why;
        pr_say(r, why);
    }
    return r->tiers;
}

/* ------------------------------------------------------------ tiers, cost */

struct pr_usage {
    const char *key;
    size_t kn;
    long long v;
};

/* A model parameter as toPricingAttributeRecord makes it: strings as they
 * are, numbers as String(n), booleans "true"/"false", null "null" (the OTel
 * reader JSON-encodes what is not a string or number); objects and arrays
 * are JSON text there, which no condition value here ever equals. */
enum pr_pv { PR_PV_ABSENT, PR_PV_TEXT, PR_PV_OTHER };

/* The value of top-level member `key` of params as text: *out borrows the
 * params text for a plain string, else points into buf (caller's, for
 * escaped strings and numbers: decoded / formatted). */
static enum pr_pv pr_param(const char *params, const struct pr_s *key, struct lt_buf *buf, struct pr_s *out)
{
    struct lt_jscan s;
    struct lt_jscan_val k, v;
    enum pr_pv r = PR_PV_ABSENT;
    if (!params)
        return r;
    lt_jscan_init(&s, params, strlen(params));
    if (lt_jscan_value(&s, &v) != LT_JSCAN_OBJECT)
        return r;
    while (lt_jscan_member(&s, &k)) {
        bool match = pr_key(&k, key->p) && strlen(key->p) == key->n;
        enum lt_jscan_kind kind = lt_jscan_value(&s, &v);
        if (match) {
            /* JSON.parse keeps the last of repeated keys */
            r = PR_PV_TEXT;
            if (kind == LT_JSCAN_STRING && !v.esc) {
                out->p = v.p;
                out->n = v.n;
            } else if (kind == LT_JSCAN_STRING) {
                lt_buf_reset(buf);
                if (lt_jscan_str(&v, buf) != LT_OK || buf->truncated)
                    r = PR_PV_OTHER;
                out->p = buf->data ? buf->data : "";
                out->n = buf->len;
            } else if (kind == LT_JSCAN_NUMBER) {
                char tmp[LT_JSCAN_NUMBER_MAX + 1];
                size_t n = v.n < sizeof tmp ? v.n : sizeof tmp - 1;
                memcpy(tmp, v.p, n);
                tmp[n] = '\0';
                double d = pr_libc.strtod_l(tmp, NULL, pricing_c);
                lt_buf_reset(buf);
                char t[LT_PRICING_NUM_MAX];
                if (isfinite(d) && (pr_fmt_double(d, t), lt_buf_adds(buf, t) == LT_OK)) {
                    out->p = buf->data;
                    out->n = buf->len;
                } else {
                    r = PR_PV_OTHER;
                }
            } else if (kind == LT_JSCAN_TRUE || kind == LT_JSCAN_FALSE || kind == LT_JSCAN_NULL) {
                out->p = kind == LT_JSCAN_TRUE ? "true" : kind == LT_JSCAN_FALSE ? "false" : "null";
                out->n = strlen(out->p);
            } else {
                r = PR_PV_OTHER;
            }
        }
        if (!lt_jscan_skip(&s, &v))
            return PR_PV_ABSENT;
    }
    if (s.bad)
        return PR_PV_ABSENT; /* unparsable parameters: the server reads none */
    return r;
}

static bool pr_key_matches(struct pr_cond *cd, const char *key, size_t kn)
{
    for (int i = 0; i < cd->n_memo; i++)
        if (!strcmp(cd->memo[i].key, key))
            return cd->memo[i].hit;
    bool hit = pr_rx_match(cd->rx, key);
    if (cd->n_memo < PR_MEMO && kn < LT_USAGE_KEY_MAX) {
        memcpy(cd->memo[cd->n_memo].key, key, kn + 1);
        cd->memo[cd->n_memo++].hit = hit;
    }
    return hit;
}

static bool pr_cond_true(struct pr_cond *cd, const struct pr_usage *u, int nu, const struct pr_s *pvals,
                         const enum pr_pv *pkind, const struct pr_tiers *ts)
{
    if (cd->kind == PR_C_PARAM) {
        int i;
        for (i = 0; i < ts->n_params; i++)
            if (pr_eq(&ts->params[i], cd->text.p, cd->text.n))
                break;
        if (i == ts->n_params || pkind[i] != PR_PV_TEXT)
            return false;
        for (int j = 0; j < cd->n_values; j++)
            if (pr_eq(&cd->values[j], pvals[i].p, pvals[i].n))
                return true;
        return false;
    }
    double sum = 0; /* JavaScript numbers, summed in key order */
    for (int i = 0; i < nu; i++)
        if (pr_key_matches(cd, u[i].key, u[i].kn))
            sum += (double)u[i].v;
    switch (cd->op) {
    case PR_GT: return sum > cd->value;
    case PR_GTE: return sum >= cd->value;
    case PR_LT: return sum < cd->value;
    case PR_LTE: return sum <= cd->value;
    case PR_EQ: return sum == cd->value;
    case PR_NEQ: return sum != cd->value;
    }
    return false;
}

static bool pr_usage_key_ok(const char *k)
{
    if (!*k)
        return false;
    for (; *k; k++) {
        char c = *k;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return false;
    }
    return true;
}

bool lt_pricing_compute(struct lt_pricing *p, const char *model, const struct lt_usage *usage, int n_usage,
                        const char *params_json, struct lt_pricing_cost *out)
{
    struct pr_usage u[LT_USAGE_MAX + 1];
    int nu = 0;
    bool has_total = false;
    long long sum = 0;

    out->n = 0;
    out->model = out->tier = NULL;
    out->total = 0;
    out->total_text = NULL;
    if (!p || !model || !*model || !usage)
        return false;
    /* the usage the exporter writes (event.c skips the same entries) ... */
    for (int i = 0; i < n_usage && i < LT_USAGE_MAX; i++) {
        const struct lt_usage *x = &usage[i];
        size_t kn = strnlen(x->key, LT_USAGE_KEY_MAX);
        if (x->value < 0 || kn >= LT_USAGE_KEY_MAX || !pr_usage_key_ok(x->key))
            continue;
        if (x->value > PR_UNITS_MAX)
            return false; /* beyond 2^53 the server's numbers are not these */
        int j;
        for (j = 0; j < nu; j++)
            if (!strcmp(u[j].key, x->key))
                break;
        if (j < nu) {
            sum -= u[j].v; /* a repeated key: JSON.parse keeps the last value */
            u[j].v = x->value;
        } else {
            u[nu].key = x->key;
            u[nu].kn = kn;
            u[nu++].v = x->value;
        }
        sum += x->value;
        has_total = has_total || !strcmp(x->key, "total");
    }
    if (nu == 0 || sum > PR_UNITS_MAX)
        return false; /* no usage: the server prices nothing either */
    /* ... plus "total" = the sum of all provided values when absent
     * (IngestionService getUsageUnits) */
    if (!has_total) {
        u[nu].key = "total";
        u[nu].kn = 5;
        u[nu++].v = sum;
    }

    int ri = pr_find(p, model);
    if (ri < 0)
        return false;
    struct pr_row *r = &p->rows[ri];
    struct pr_tiers *ts = pr_row_tiers(p, r);
    if (!ts)
        return false;

    /* matcher.ts matchPricingTier */
    struct pr_s pvals[PR_PARAMS_MAX];
    enum pr_pv pkind[PR_PARAMS_MAX];
    struct lt_buf pb[PR_PARAMS_MAX];
    for (int i = 0; i < ts->n_params; i++) {
        lt_buf_init(&pb[i], 4096);
        pvals[i].p = "";
        pvals[i].n = 0;
        pkind[i] = pr_param(params_json, &ts->params[i], &pb[i], &pvals[i]);
    }
    const struct pr_tier *tier = &ts->t[ts->def];
    for (int o = 0; o < ts->n_order; o++) {
        struct pr_tier *t = &ts->t[ts->order[o]];
        bool all = t->n_cond > 0;
        for (int c = 0; c < t->n_cond && all; c++)
            all = pr_cond_true(&t->cond[c], u, nu, pvals, pkind, ts);
        if (all) {
            tier = t;
            break;
        }
    }
    for (int i = 0; i < ts->n_params; i++)
        lt_buf_free(&pb[i]);

    /* IngestionService calculateUsageCosts */
    int total_item = -1;
    struct pr_dec dec[LT_PRICING_ITEMS_MAX];
    for (int i = 0; i < nu; i++) {
        const struct pr_price *pr = NULL;
        for (int k = 0; k < tier->n_price; k++)
            if (pr_eq(&tier->price[k].key, u[i].key, u[i].kn)) {
                pr = &tier->price[k];
                break;
            }
        if (!pr)
            continue;
        struct lt_pricing_item *it = &out->item[out->n];
        it->key = u[i].key;
        it->usd = pr_times(pr, u[i].v, it->text, &dec[out->n]);
        if (!isfinite(it->usd)) {
            out->n = 0;
            return false;
        }
        if (u[i].kn == 5 && !memcmp(u[i].key, "total", 5))
            total_item = out->n;
        out->n++;
    }
    if (out->n == 0)
        return false;
    if (total_item >= 0) {
        out->total = out->item[total_item].usd;
        out->total_text = out->item[total_item].text;
    } else {
        double t = 0;
        for (int i = 0; i < out->n; i++)
            t += out->item[i].usd;
        if (!isfinite(t)) {
            out->n = 0;
            return false; /* absurd prices: no cost rather than "inf" */
        }
        struct lt_pricing_item *it = &out->item[out->n++];
        it->key = "total";
        it->usd = t;
        pr_fmt_sum(t, dec, out->n - 1, it->text);
        out->total = t;
        out->total_text = it->text;
    }
    out->model = r->name.p;
    out->tier = tier->name.p;
    return true;
}

size_t lt_pricing_json(const struct lt_pricing_cost *c, char *buf, size_t n)
{
    size_t o = 0;
    if (!c || n < 3)
        return 0;
    buf[o++] = '{';
    for (int i = 0; i < c->n; i++) {
        const struct lt_pricing_item *it = &c->item[i];
        size_t kl = strlen(it->key), tl = strlen(it->text);
        /* keys are [A-Za-z0-9_.-] (checked above): no escaping needed */
        if (o + kl + tl + 5 >= n)
            return 0;
        if (i)
            buf[o++] = ',';
        buf[o++] = '"';
        memcpy(buf + o, it->key, kl);
        o += kl;
        buf[o++] = '"';
        buf[o++] = ':';
        memcpy(buf + o, it->text, tl);
        o += tl;
    }
    if (o + 2 > n)
        return 0;
    buf[o++] = '}';
    buf[o] = '\0';
    return o;
}

/* ------------------------------------------------------------ the process table */

static void pricing_atfork_prepare(void)
{
    pthread_mutex_lock(&pricing_lock);
}

static void pricing_atfork_parent(void)
{
    pthread_mutex_unlock(&pricing_lock);
}

static void pricing_atfork_child(void)
{
    pthread_mutex_init(&pricing_lock, NULL);
    /* a load under way in the parent's thread is gone with it: the child's
     * first cost loads again */
    pthread_mutex_init(&pricing_load_lock, NULL);
}

static void pricing_init_once(void)
{
    /* From libc itself, looked up here rather than linked: a host's own
     * regcomp (libpcreposix exports one, with another regex_t) must not
     * stand in for glibc's, and the shim's load needs no extra symbol
     * versions (GLIBC_2.3, GLIBC_2.3.4) in every traced process. */
    void *libc = dlopen(LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);
    if (libc) {
        *(void **)&pr_libc.regcomp = dlsym(libc, "regcomp");
        *(void **)&pr_libc.regexec = dlsym(libc, "regexec");
        *(void **)&pr_libc.regfree = dlsym(libc, "regfree");
        *(void **)&pr_libc.newlocale = dlsym(libc, "newlocale");
        *(void **)&pr_libc.uselocale = dlsym(libc, "uselocale");
        *(void **)&pr_libc.strtod_l = dlsym(libc, "strtod_l");
        dlclose(libc); /* NOLOAD: only our reference goes; libc stays */
    }
    if (pr_libc.regcomp && pr_libc.regexec && pr_libc.regfree && pr_libc.newlocale && pr_libc.uselocale &&
        pr_libc.strtod_l)
        pricing_c = pr_libc.newlocale(LC_ALL_MASK, "C", (locale_t)0);

    if (!pricing_c)
        lt_log("libc's regex or locale functions not found: no cost is computed");
    pthread_atfork(pricing_atfork_prepare, pricing_atfork_parent, pricing_atfork_child);
}

/* The whole user file, or NULL with why set. Only regular files: a FIFO
 * would block the thread (and every fork waiting on pricing_lock). */
static char *pricing_read_file(const char *path, size_t *len, char *why, size_t whyn)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd < 0) {
        snprintf(why, whyn, "cannot open (%s)", strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > PR_FILE_MAX) {
        bool reg = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
        snprintf(why, whyn, "%s", reg ? "larger than 16 MiB" : "not a regular file");
        close(fd);
        return NULL;
    }
    char *d = lt_malloc((size_t)st.st_size + 1);
    size_t n = 0;
    while (d && n < (size_t)st.st_size) {
        ssize_t r = read(fd, d + n, (size_t)st.st_size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (!d) {
        snprintf(why, whyn, "out of memory");
        return NULL;
    }
    d[n] = '\0';
    *len = n;
    return d;
}

/* Builds the process table once: the file read and the parse happen
 * outside pricing_lock (see above). */
static void pricing_load(const char *user_path)
{
    pthread_mutex_lock(&pricing_load_lock);
    if (!__atomic_load_n(&pricing_loaded, __ATOMIC_ACQUIRE)) {
        struct lt_pricing *t = NULL;
        char why[320] = "";
        size_t ulen = 0;
        char *user = user_path && *user_path ? pricing_read_file(user_path, &ulen, why, sizeof why) : NULL;
        if (user_path && *user_path && !user)
            lt_log("LLMTAP_PRICES=%.200s: %s; using the shipped prices only", user_path, why);
        why[0] = '\0';
        enum lt_rc rc = lt_pricing_new(NULL, 0, user, ulen, &t, why, sizeof why);
        if (rc != LT_OK)
            lt_log("price table not loaded (%s): no cost is computed", why[0] ? why : "out of memory");
        else if (why[0])
            lt_log("LLMTAP_PRICES=%.200s: %s; the shipped prices still apply", user_path, why);
        lt_free(user);
        pthread_mutex_lock(&pricing_lock);
        pricing_table = t;
        pthread_mutex_unlock(&pricing_lock);
        __atomic_store_n(&pricing_loaded, true, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&pricing_load_lock);
}

bool lt_pricing_cost(const char *user_path, const char *model, const struct lt_generation *g,
                     struct lt_pricing_cost *out)
{
    out->n = 0;
    if (!g || !g->has_usage || !model || !*model)
        return false;
    pthread_once(&pricing_once, pricing_init_once);
    if (!__atomic_load_n(&pricing_loaded, __ATOMIC_ACQUIRE))
        pricing_load(user_path);
    pthread_mutex_lock(&pricing_lock);
    bool ok = pricing_table && lt_pricing_compute(pricing_table, model, g->usage, g->n_usage, g->params_json, out);
    pthread_mutex_unlock(&pricing_lock);
    return ok;
}
