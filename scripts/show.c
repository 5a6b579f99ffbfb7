/* show.c — llmtap-show: prints the traces of a JSONL file of OTLP/JSON
 * export bodies (what the shim writes when no backend is configured) as a
 * tree: trace → process span → child process spans and generations, with
 * model, tokens, cost, latency, time to first token and errors.
 *
 * Owns only its own reading and printing. It is not the shim: it is never
 * preloaded, links libcjson directly and may exit on usage errors. Never
 * writes a file, never prints an input/output body (only names, models,
 * counts, times and status messages), and replaces control characters in
 * what it prints, since span contents come from the network. Single thread.
 *
 *     llmtap-show [--trace ID] [--last] [--json] [FILE | -]
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef LLMTAP_VERSION
#define LLMTAP_VERSION "0.0.0"
#endif

/* A value spread over more lines than this is taken for a run of malformed
 * lines, not for a pretty-printed body still arriving (bounds the work). */
#define SHOW_MAX_PENDING_BYTES ((size_t)256 << 20)
/* Status messages are cut to this many bytes on a tree line. */
#define SHOW_MAX_MESSAGE 160
/* Deeper spans are still printed, without further indentation. */
#define SHOW_MAX_INDENT 32
/* --json nests children this deep at most (the printer recurses, and so do
 * most JSON readers); deeper ones are counted in "children_not_shown". */
#define SHOW_MAX_JSON_DEPTH 200

struct span {
    char *trace_id;
    char *span_id;
    char *parent_id;      /* "" for a root */
    char *name;
    char *type;           /* langfuse.observation.type, "" if absent */
    char *model;          /* model.name → gen_ai.response.model → gen_ai.request.model */
    char *usage_json;     /* langfuse.observation.usage_details (JSON text) */
    char *level;          /* langfuse.observation.level */
    char *message;        /* langfuse.observation.status_message → status.message */
    char *trace_name;     /* langfuse.trace.name */
    char *exe;            /* process spans: metadata.exe (argv[0] basename) */
    char *script;         /* process spans: metadata.script (interpreters) */
    int kind;
    int status_code;
    int64_t start_ns, end_ns;
    int64_t first_token_ns; /* completion_start_time; 0 = none */
    bool has_cost;
    double cost;
    char *cost_json;      /* the cost_details object read (JSON text), "" if none */
    char *price;          /* llmtap.price.model (+ " / " tier), "" if absent */
    long long pid;        /* -1 = unknown */
    long seq;             /* order of appearance in the input */
    /* tree */
    long parent;          /* index, -1 = none found */
    long first_child;
    long next_sibling;
    bool dup;
    bool printed;
};

struct trace {
    char *id;
    const char *name;
    int64_t start_ns, end_ns;
    long first_seq;
    long n_spans, n_generations, n_errors;
    long long tokens;
    bool has_cost;
    double cost;
};

static struct span *spans;
static long n_spans, cap_spans;
static const char *prog = "llmtap-show";
static bool utf8_out;

/* ---- small helpers ---------------------------------------------------- */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "%s: out of memory\n", prog);
        exit(1);
    }
    return q;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xrealloc(NULL, n);
    memcpy(d, s, n);
    return d;
}

/* Prints s with control characters (C0, DEL, UTF-8 C1) replaced by a space;
 * at most max bytes (0 = no limit), cut on a character boundary. */
static void put_clean(FILE *f, const char *s, size_t max)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t clen = 1;
        if (*p >= 0xc0) {
            while (clen < 4 && (p[clen] & 0xc0) == 0x80)
                clen++;
        }
        if (max && n + clen > max) {
            fputs(utf8_out ? "…" : "...", f);
            return;
        }
        if (*p < 0x20 || *p == 0x7f)
            fputc(' ', f);
        else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            fputc(' ', f);
        else
            fwrite(p, 1, clen, f);
        n += clen;
        p += clen;
    }
}

static int64_t parse_i64(const cJSON *v)
{
    if (cJSON_IsString(v) && v->valuestring)
        return strtoll(v->valuestring, NULL, 10);
    if (cJSON_IsNumber(v))
        return (int64_t)v->valuedouble;
    return 0;
}

/* ISO 8601 UTC ("2026-11-24T10:00:00.412345Z", also with ±HH:MM or inside
 * JSON quotes) → ns since the epoch; 0 when unparsable. */
static int64_t parse_iso(const char *s)
{
    struct tm tm;
    int y, mo, d, h, mi, sec, n = 0;
    int64_t frac = 0, scale = 1000000000;

    if (*s == '"')
        s++;
    memset(&tm, 0, sizeof tm);
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n == 0)
        return 0;
    s += n;
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') {
            if (scale > 1) {
                scale /= 10;
                frac += (int64_t)(*s - '0') * scale;
            }
            s++;
        }
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    int64_t t = (int64_t)timegm(&tm);
    if (*s == '+' || *s == '-') {
        int oh = 0, om = 0;
        if (sscanf(s + 1, "%2d:%2d", &oh, &om) >= 1)
            t -= (*s == '+' ? 1 : -1) * (int64_t)(oh * 3600 + om * 60);
    }
    return t * 1000000000 + frac;
}

/* ---- reading spans ---------------------------------------------------- */

/* The AnyValue of attribute `key` in an OTLP attribute array, or NULL. */
static const cJSON *attr_get(const cJSON *attrs, const char *key)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, attrs) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(a, "key");
        if (cJSON_IsString(k) && k->valuestring && strcmp(k->valuestring, key) == 0)
            return cJSON_GetObjectItemCaseSensitive(a, "value");
    }
    return NULL;
}

static const char *attr_str(const cJSON *attrs, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(attr_get(attrs, key), "stringValue");
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* intValue (decimal string or number), doubleValue or a numeric stringValue. */
static bool attr_num(const cJSON *attrs, const char *key, double *out)
{
    const cJSON *val = attr_get(attrs, key);
    const cJSON *v;
    if (!val)
        return false;
    if ((v = cJSON_GetObjectItemCaseSensitive(val, "doubleValue")) != NULL) {
        if (cJSON_IsNumber(v)) {
            *out = v->valuedouble;
            return true;
        }
        if (cJSON_IsString(v) && v->valuestring) {
            char *end;
            *out = strtod(v->valuestring, &end);
            return end != v->valuestring;
        }
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(val, "intValue")) != NULL &&
        (cJSON_IsNumber(v) || cJSON_IsString(v))) {
        *out = (double)parse_i64(v);
        return true;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(val, "stringValue")) != NULL &&
        cJSON_IsString(v) && v->valuestring) {
        char *end;
        *out = strtod(v->valuestring, &end);
        return end != v->valuestring && *end == '\0';
    }
    return false;
}

static char *dup_or_empty(const char *s)
{
    return xstrdup(s ? s : "");
}

/* Total of a cost_details JSON object: its "total", else the sum of its
 * numbers. */
static bool cost_from_details(const char *json, double *out)
{
    cJSON *o = cJSON_Parse(json);
    bool ok = false;
    if (cJSON_IsObject(o)) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "total");
        if (cJSON_IsNumber(t)) {
            *out = t->valuedouble;
            ok = true;
        } else {
            const cJSON *e;
            double sum = 0;
            cJSON_ArrayForEach(e, o) {
                if (cJSON_IsNumber(e)) {
                    sum += e->valuedouble;
                    ok = true;
                }
            }
            *out = sum;
        }
    }
    cJSON_Delete(o);
    return ok;
}

static void add_span(const cJSON *sp, const cJSON *res_attrs)
{
    const cJSON *tid = cJSON_GetObjectItemCaseSensitive(sp, "traceId");
    const cJSON *sid = cJSON_GetObjectItemCaseSensitive(sp, "spanId");
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(sp, "parentSpanId");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(sp, "name");
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(sp, "attributes");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(sp, "status");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(sp, "kind");
    const char *s;
    double num;

    if (!cJSON_IsString(tid) || !tid->valuestring || !cJSON_IsString(sid) || !sid->valuestring)
        return;
    if (n_spans == cap_spans) {
        cap_spans = cap_spans ? cap_spans * 2 : 256;
        spans = xrealloc(spans, (size_t)cap_spans * sizeof *spans);
    }
    struct span *x = &spans[n_spans];
    memset(x, 0, sizeof *x);
    x->seq = n_spans;
    n_spans++;
    x->trace_id = xstrdup(tid->valuestring);
    x->span_id = xstrdup(sid->valuestring);
    x->parent_id = dup_or_empty(cJSON_IsString(pid) ? pid->valuestring : NULL);
    x->name = dup_or_empty(cJSON_IsString(name) ? name->valuestring : NULL);
    x->kind = cJSON_IsNumber(kind) ? kind->valueint : 0;
    x->start_ns = parse_i64(cJSON_GetObjectItemCaseSensitive(sp, "startTimeUnixNano"));
    x->end_ns = parse_i64(cJSON_GetObjectItemCaseSensitive(sp, "endTimeUnixNano"));
    x->parent = x->first_child = x->next_sibling = -1;

    x->type = dup_or_empty(attr_str(attrs, "langfuse.observation.type"));
    if (!(s = attr_str(attrs, "langfuse.observation.model.name")) &&
        !(s = attr_str(attrs, "gen_ai.response.model")))
        s = attr_str(attrs, "gen_ai.request.model");
    x->model = dup_or_empty(s);
    x->usage_json = dup_or_empty(attr_str(attrs, "langfuse.observation.usage_details"));
    x->level = dup_or_empty(attr_str(attrs, "langfuse.observation.level"));
    x->trace_name = dup_or_empty(attr_str(attrs, "langfuse.trace.name"));

    const cJSON *code = cJSON_GetObjectItemCaseSensitive(status, "code");
    x->status_code = cJSON_IsNumber(code) ? code->valueint : 0;
    if (!(s = attr_str(attrs, "langfuse.observation.status_message"))) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(status, "message");
        s = cJSON_IsString(m) ? m->valuestring : NULL;
    }
    x->message = dup_or_empty(s);

    if ((s = attr_str(attrs, "langfuse.observation.completion_start_time")) != NULL)
        x->first_token_ns = parse_iso(s);

    /* Cost: what Langfuse would store when it is sent there, else llmtap's
     * own cost_details (per usage key), else a bare total (gen_ai.usage.cost;
     * llmtap.cost from older versions). */
    x->cost_json = dup_or_empty(NULL);
    if ((s = attr_str(attrs, "langfuse.observation.cost_details")) != NULL && cost_from_details(s, &num)) {
        x->has_cost = true;
        x->cost = num;
        free(x->cost_json);
        x->cost_json = xstrdup(s);
    } else if ((s = attr_str(attrs, "llmtap.cost_details")) != NULL && cost_from_details(s, &num)) {
        x->has_cost = true;
        x->cost = num;
        free(x->cost_json);
        x->cost_json = xstrdup(s);
    } else if (attr_num(attrs, "gen_ai.usage.cost", &num) || attr_num(attrs, "llmtap.cost", &num)) {
        x->has_cost = true;
        x->cost = num;
    }
    if ((s = attr_str(attrs, "llmtap.price.model")) != NULL) {
        const char *tier = attr_str(attrs, "llmtap.price.tier");
        size_t n = strlen(s) + (tier ? strlen(tier) + 4 : 0) + 1;
        x->price = xrealloc(NULL, n);
        snprintf(x->price, n, "%s%s%s", s, tier ? " / " : "", tier ? tier : "");
    } else {
        x->price = dup_or_empty(NULL);
    }

    x->exe = dup_or_empty(attr_str(attrs, "langfuse.observation.metadata.exe"));
    x->script = dup_or_empty(attr_str(attrs, "langfuse.observation.metadata.script"));
    x->pid = -1;
    if (attr_num(attrs, "langfuse.observation.metadata.pid", &num) ||
        attr_num(attrs, "process.pid", &num) || attr_num(res_attrs, "process.pid", &num))
        x->pid = (long long)num;
}

/* One export body: {"resourceSpans":[{resource, scopeSpans:[{spans:[...]}]}]}.
 * false when it holds no resourceSpans array. */
static bool add_body(const cJSON *body)
{
    const cJSON *rss = cJSON_GetObjectItemCaseSensitive(body, "resourceSpans");
    const cJSON *rs;
    if (!cJSON_IsArray(rss))
        return false;
    cJSON_ArrayForEach(rs, rss) {
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(rs, "resource");
        const cJSON *rattrs = cJSON_GetObjectItemCaseSensitive(res, "attributes");
        const cJSON *sss = cJSON_GetObjectItemCaseSensitive(rs, "scopeSpans");
        const cJSON *ss;
        cJSON_ArrayForEach(ss, sss) {
            const cJSON *sp;
            cJSON_ArrayForEach(sp, cJSON_GetObjectItemCaseSensitive(ss, "spans"))
                add_span(sp, rattrs);
        }
    }
    return true;
}

/* A parsed value: an export body, or an array of them (a recording). */
static bool add_value(const cJSON *v)
{
    if (cJSON_IsArray(v)) {
        const cJSON *e;
        bool any = false;
        cJSON_ArrayForEach(e, v)
            any |= add_body(e);
        return any;
    }
    return add_body(v);
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static long count_nl(const char *p, const char *end)
{
    long n = 0;
    for (; p < end; p++)
        n += *p == '\n';
    return n;
}

static void note_skip(const char *file, long line, const char *why)
{
    fprintf(stderr, "%s: %s:%ld: %s, skipped\n", prog, file, line, why);
}

/* Parses what is complete in buf[0..*len): JSON values separated by
 * whitespace (JSON lines, or pretty-printed bodies). A value that fails
 * before its last character is malformed: its first line is skipped and
 * parsing resumes on the next. Consumed bytes are removed from buf; *line is
 * the input line number of buf[0]. At eof everything is consumed. */
static void parse_pending(char *buf, size_t *len, long *line, bool eof, const char *file,
                          long *n_skipped)
{
    size_t pos = 0;
    for (;;) {
        while (pos < *len && is_ws(buf[pos])) {
            if (buf[pos] == '\n')
                (*line)++;
            pos++;
        }
        if (pos >= *len)
            break;
        size_t last = *len - 1;
        while (last > pos && is_ws(buf[last]))
            last--;
        const char *end = NULL;
        cJSON *v = cJSON_ParseWithLengthOpts(buf + pos, *len - pos, &end, 0);
        if (v) {
            if (!add_value(v)) {
                note_skip(file, *line, "not an OTLP export body (no resourceSpans)");
                (*n_skipped)++;
            }
            cJSON_Delete(v);
            size_t used = (size_t)(end - buf);
            *line += count_nl(buf + pos, buf + used);
            pos = used;
            continue;
        }
        size_t err = end ? (size_t)(end - buf) : pos;
        if (err >= last && !eof && *len - pos < SHOW_MAX_PENDING_BYTES)
            break; /* may be a value still arriving: wait for more lines */
        /* Malformed: skip one line. */
        char *nl = memchr(buf + pos, '\n', *len - pos);
        note_skip(file, *line, "not valid JSON");
        (*n_skipped)++;
        pos = nl ? (size_t)(nl - buf) : *len;
    }
    memmove(buf, buf + pos, *len - pos);
    *len -= pos;
}

static int read_input(FILE *f, const char *file, long *n_skipped)
{
    char *buf = NULL, *lbuf = NULL;
    size_t len = 0, cap = 0, lcap = 0;
    ssize_t n;
    long line = 1, since_try = 0;

    while ((n = getline(&lbuf, &lcap, f)) > 0) {
        if (len + (size_t)n + 1 > cap) {
            cap = (len + (size_t)n + 1) * 2;
            buf = xrealloc(buf, cap);
        }
        memcpy(buf + len, lbuf, (size_t)n);
        len += (size_t)n;
        /* Try when the line may end a value ('}' or ']'), now and then
         * otherwise. */
        ssize_t k = n - 1;
        while (k > 0 && is_ws(lbuf[k]))
            k--;
        if (lbuf[k] == '}' || lbuf[k] == ']' || ++since_try >= 64) {
            since_try = 0;
            parse_pending(buf, &len, &line, false, file, n_skipped);
        }
    }
    int rc = ferror(f) ? errno : 0;
    parse_pending(buf, &len, &line, true, file, n_skipped);
    free(buf);
    free(lbuf);
    return rc;
}

/* ---- the tree --------------------------------------------------------- */

static int cmp_id(const struct span *a, const struct span *b)
{
    int c = strcmp(a->trace_id, b->trace_id);
    if (c)
        return c;
    c = strcmp(a->span_id, b->span_id);
    if (c)
        return c;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

static int cmp_idx_id(const void *a, const void *b)
{
    return cmp_id(&spans[*(const long *)a], &spans[*(const long *)b]);
}

static int cmp_idx_start(const void *a, const void *b)
{
    const struct span *x = &spans[*(const long *)a], *y = &spans[*(const long *)b];
    if (x->start_ns != y->start_ns)
        return x->start_ns < y->start_ns ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static long *by_id; /* span indexes sorted by (trace, span id, seq) */

static long find_span(const char *trace_id, const char *span_id)
{
    long lo = 0, hi = n_spans;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        const struct span *s = &spans[by_id[mid]];
        int c = strcmp(s->trace_id, trace_id);
        if (!c)
            c = strcmp(s->span_id, span_id);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < n_spans && strcmp(spans[by_id[lo]].trace_id, trace_id) == 0 &&
        strcmp(spans[by_id[lo]].span_id, span_id) == 0)
        return by_id[lo];
    return -1;
}

/* Links every span to its parent (same trace, parentSpanId); a span whose
 * id was seen before is a duplicate and left out. Children are kept sorted
 * by start time. */
static void build_tree(void)
{
    by_id = xrealloc(NULL, (size_t)(n_spans ? n_spans : 1) * sizeof *by_id);
    for (long i = 0; i < n_spans; i++)
        by_id[i] = i;
    qsort(by_id, (size_t)n_spans, sizeof *by_id, cmp_idx_id);
    for (long i = 1; i < n_spans; i++) {
        struct span *a = &spans[by_id[i - 1]], *b = &spans[by_id[i]];
        if (strcmp(a->trace_id, b->trace_id) == 0 && strcmp(a->span_id, b->span_id) == 0) {
            b->dup = true;
            fprintf(stderr, "%s: span %s of trace %s appears more than once; first kept\n",
                    prog, b->span_id, b->trace_id);
        }
    }
    /* Children by descending start, each pushed at the head of its list. */
    long *order = xrealloc(NULL, (size_t)(n_spans ? n_spans : 1) * sizeof *order);
    for (long i = 0; i < n_spans; i++)
        order[i] = i;
    qsort(order, (size_t)n_spans, sizeof *order, cmp_idx_start);
    for (long k = n_spans - 1; k >= 0; k--) {
        struct span *s = &spans[order[k]];
        if (s->dup || !s->parent_id[0])
            continue;
        long p = find_span(s->trace_id, s->parent_id);
        if (p < 0 || p == order[k])
            continue;
        s->parent = p;
        s->next_sibling = spans[p].first_child;
        spans[p].first_child = order[k];
    }
    free(order);
}

static bool is_generation(const struct span *s)
{
    return strcmp(s->type, "generation") == 0 || strcmp(s->type, "embedding") == 0 ||
           (!s->type[0] && s->model[0]);
}

static bool is_error(const struct span *s)
{
    return s->status_code == 2 || strcmp(s->level, "ERROR") == 0;
}

/* input/output/total of a usage_details object; *total falls back to the
 * sum of every key. false when there is no usage. */
static bool usage_totals(const char *json, long long *in, long long *out, long long *total,
                         cJSON **obj)
{
    *in = *out = *total = -1;
    *obj = NULL;
    if (!json[0])
        return false;
    cJSON *o = cJSON_Parse(json);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return false;
    }
    long long sum = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, o) {
        if (!cJSON_IsNumber(e) || !e->string)
            continue;
        long long v = (long long)e->valuedouble;
        if (strcmp(e->string, "input") == 0)
            *in = v;
        else if (strcmp(e->string, "output") == 0)
            *out = v;
        else if (strcmp(e->string, "total") == 0)
            *total = v;
        if (strcmp(e->string, "total") != 0)
            sum += v;
    }
    if (*total < 0)
        *total = sum;
    *obj = o;
    return true;
}

static void summarise(struct trace *t)
{
    t->start_ns = INT64_MAX;
    t->end_ns = 0;
    t->first_seq = -1;
    for (long i = 0; i < n_spans; i++) {
        const struct span *s = &spans[i];
        if (s->dup || strcmp(s->trace_id, t->id) != 0)
            continue;
        if (t->first_seq < 0)
            t->first_seq = s->seq;
        t->n_spans++;
        if (s->start_ns && s->start_ns < t->start_ns)
            t->start_ns = s->start_ns;
        if (s->end_ns > t->end_ns)
            t->end_ns = s->end_ns;
        if (!t->name && s->trace_name[0])
            t->name = s->trace_name;
        if (is_error(s))
            t->n_errors++;
        if (is_generation(s)) {
            long long in, out, total;
            cJSON *o;
            t->n_generations++;
            if (usage_totals(s->usage_json, &in, &out, &total, &o))
                t->tokens += total;
            cJSON_Delete(o);
        }
        if (s->has_cost) {
            t->has_cost = true;
            t->cost += s->cost;
        }
    }
    if (!t->name) {
        /* The root span's name: the earliest span without a parent. */
        int64_t best = INT64_MAX;
        for (long i = 0; i < n_spans; i++) {
            const struct span *s = &spans[i];
            if (!s->dup && s->parent < 0 && strcmp(s->trace_id, t->id) == 0 &&
                s->start_ns < best) {
                best = s->start_ns;
                t->name = s->name;
            }
        }
    }
    if (!t->name)
        t->name = "";
    if (t->start_ns == INT64_MAX)
        t->start_ns = 0;
}

static int cmp_trace(const void *a, const void *b)
{
    const struct trace *x = a, *y = b;
    if (x->start_ns != y->start_ns)
        return x->start_ns < y->start_ns ? -1 : 1;
    return (x->first_seq > y->first_seq) - (x->first_seq < y->first_seq);
}

/* ---- text output ------------------------------------------------------ */

static void put_ms(FILE *f, double ms)
{
    if (ms < 0)
        ms = 0;
    if (ms >= 10000)
        fprintf(f, "%.1f s", ms / 1000);
    else if (ms >= 10)
        fprintf(f, "%.0f ms", ms);
    else
        fprintf(f, "%.1f ms", ms);
}

static void put_cost(FILE *f, double c)
{
    char b[64];
    if (c > 0 && c < 0.0000005) {
        fputs("<$0.000001", f);
        return;
    }
    snprintf(b, sizeof b, "%.6f", c);
    char *e = b + strlen(b) - 1;
    while (e > b && *e == '0' && e[-1] != '.')
        *e-- = '\0';
    fprintf(f, "$%s", b);
}

static const char *usage_label(const char *key)
{
    static const struct { const char *key, *label; } map[] = {
        {"input_cached_tokens", "cached"},     {"input_cache_creation", "cache write"},
        {"output_reasoning_tokens", "reasoning"}, {"input_audio_tokens", "audio in"},
        {"output_audio_tokens", "audio out"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].key, key) == 0)
            return map[i].label;
    return key;
}

static void put_generation(FILE *f, const struct span *s)
{
    long long in, out, total;
    cJSON *o;

    if (s->model[0]) {
        fputs("  model ", f);
        put_clean(f, s->model, 0);
    }
    if (usage_totals(s->usage_json, &in, &out, &total, &o)) {
        fputs("  tokens ", f);
        if (in >= 0)
            fprintf(f, "%lld in / ", in);
        if (out >= 0)
            fprintf(f, "%lld out / ", out);
        fprintf(f, "%lld total", total);
        const cJSON *e;
        bool first = true;
        cJSON_ArrayForEach(e, o) {
            if (!cJSON_IsNumber(e) || !e->string || e->valuedouble == 0 ||
                !strcmp(e->string, "input") || !strcmp(e->string, "output") ||
                !strcmp(e->string, "total"))
                continue;
            fputs(first ? " (" : ", ", f);
            put_clean(f, usage_label(e->string), 40);
            fprintf(f, " %lld", (long long)e->valuedouble);
            first = false;
        }
        if (!first)
            fputc(')', f);
    }
    cJSON_Delete(o);
    if (s->has_cost) {
        fputs("  cost ", f);
        put_cost(f, s->cost);
    }
    if (s->start_ns && s->end_ns) {
        fputs("  latency ", f);
        put_ms(f, (double)(s->end_ns - s->start_ns) / 1e6);
    }
    if (s->first_token_ns && s->start_ns) {
        fputs("  ttft ", f);
        put_ms(f, (double)(s->first_token_ns - s->start_ns) / 1e6);
    }
}

static void put_span_line(FILE *f, const struct span *s)
{
    put_clean(f, s->name[0] ? s->name : "(unnamed)", 200);
    if (is_generation(s)) {
        put_generation(f, s);
    } else {
        /* Under the launcher every process span bears the trace's name: the
         * program tells them apart. */
        if (s->exe[0] && strcmp(s->exe, s->name) != 0) {
            fputs("  (", f);
            put_clean(f, s->exe, 100);
            if (s->script[0]) {
                fputc(' ', f);
                put_clean(f, s->script, 200);
            }
            fputc(')', f);
        }
        if (s->pid >= 0)
            fprintf(f, "  pid %lld", s->pid);
        if (s->start_ns && s->end_ns) {
            fputs("  ", f);
            put_ms(f, (double)(s->end_ns - s->start_ns) / 1e6);
        }
    }
    if (is_error(s) || strcmp(s->level, "WARNING") == 0) {
        fprintf(f, "  %s", is_error(s) ? "ERROR" : "WARNING");
        if (s->message[0]) {
            fputs(": ", f);
            put_clean(f, s->message, SHOW_MAX_MESSAGE);
        }
    }
    if (s->parent < 0 && s->parent_id[0]) {
        /* Its parent is not in the file (still running, or lost). */
        fputs("  (parent span ", f);
        put_clean(f, s->parent_id, 64);
        fputs(" not in the file)", f);
    }
    fputc('\n', f);
}

/* Prints the subtree of root; iterative (a file can nest deeper than the
 * stack allows). last[] says, per depth, whether that ancestor was the last
 * of its siblings. */
static void print_subtree(FILE *f, long root, bool root_last)
{
    static bool last[SHOW_MAX_INDENT + 1];
    long *stack = xrealloc(NULL, (size_t)(n_spans + 1) * 2 * sizeof *stack);
    long sp = 0;
    const char *pipe = utf8_out ? "│  " : "|  ";
    const char *tee = utf8_out ? "├─ " : "|- ";
    const char *elbow = utf8_out ? "└─ " : "`- ";

    stack[sp++] = root;
    stack[sp++] = root_last ? 1 : -1; /* depth 1; negative: not the last sibling */
    while (sp > 0) {
        long enc = stack[--sp];
        long i = stack[--sp];
        long depth = enc > 0 ? enc : -enc;
        bool is_last = enc > 0;
        struct span *s = &spans[i];
        if (s->printed)
            continue;
        s->printed = true;
        long shown = depth > SHOW_MAX_INDENT ? SHOW_MAX_INDENT : depth;
        last[shown] = is_last;
        for (long d = 1; d < shown; d++)
            fputs(last[d] ? "   " : pipe, f);
        fputs(is_last ? elbow : tee, f);
        put_span_line(f, s);
        /* Push children in reverse so the earliest prints first. */
        long n = 0;
        for (long c = s->first_child; c >= 0; c = spans[c].next_sibling)
            n++;
        long *kids = xrealloc(NULL, (size_t)(n ? n : 1) * sizeof *kids);
        n = 0;
        for (long c = s->first_child; c >= 0; c = spans[c].next_sibling)
            kids[n++] = c;
        for (long k = n - 1; k >= 0; k--) {
            stack[sp++] = kids[k];
            stack[sp++] = k == n - 1 ? depth + 1 : -(depth + 1);
        }
        free(kids);
    }
    free(stack);
}

static void put_time(FILE *f, int64_t ns)
{
    time_t t = (time_t)(ns / 1000000000);
    struct tm tm;
    char b[64];
    if (ns && localtime_r(&t, &tm) && strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S", &tm))
        fputs(b, f);
    else
        fputs("(no time)", f);
}

static void print_trace(FILE *f, const struct trace *t)
{
    fputs("trace ", f);
    put_clean(f, t->id, 64);
    fputs("  ", f);
    put_clean(f, t->name[0] ? t->name : "(unnamed)", 200);
    fputs("  ", f);
    put_time(f, t->start_ns);
    fprintf(f, "  %ld generation%s", t->n_generations, t->n_generations == 1 ? "" : "s");
    if (t->tokens)
        fprintf(f, "  %lld tokens", t->tokens);
    if (t->has_cost) {
        fputs("  ", f);
        put_cost(f, t->cost);
    }
    if (t->n_errors)
        fprintf(f, "  %ld error%s", t->n_errors, t->n_errors == 1 ? "" : "s");
    fputc('\n', f);

    /* Roots: spans of this trace without a parent in the input, by start. */
    long *roots = xrealloc(NULL, (size_t)(n_spans ? n_spans : 1) * sizeof *roots);
    long n = 0;
    for (long i = 0; i < n_spans; i++) {
        const struct span *s = &spans[i];
        if (!s->dup && s->parent < 0 && strcmp(s->trace_id, t->id) == 0)
            roots[n++] = i;
    }
    qsort(roots, (size_t)n, sizeof *roots, cmp_idx_start);
    for (long k = 0; k < n; k++)
        print_subtree(f, roots[k], k == n - 1);
    /* A parent cycle leaves spans unreachable from any root: print them. */
    for (long i = 0; i < n_spans; i++) {
        const struct span *s = &spans[i];
        if (!s->dup && !s->printed && strcmp(s->trace_id, t->id) == 0)
            print_subtree(f, i, true);
    }
    free(roots);
}

/* ---- JSON output ------------------------------------------------------ */

static cJSON *span_json(long i, int depth)
{
    const struct span *s = &spans[i];
    cJSON *o = cJSON_CreateObject();
    long long in, out, total;
    cJSON *u;

    cJSON_AddStringToObject(o, "span_id", s->span_id);
    cJSON_AddStringToObject(o, "parent_span_id", s->parent_id);
    cJSON_AddStringToObject(o, "name", s->name);
    cJSON_AddStringToObject(o, "type", s->type[0] ? s->type : (is_generation(s) ? "generation" : "span"));
    cJSON_AddNumberToObject(o, "kind", s->kind);
    cJSON_AddNumberToObject(o, "start_unix_ms", (double)(s->start_ns / 1000000));
    cJSON_AddNumberToObject(o, "duration_ms", (double)(s->end_ns - s->start_ns) / 1e6);
    if (s->pid >= 0)
        cJSON_AddNumberToObject(o, "pid", (double)s->pid);
    if (s->exe[0])
        cJSON_AddStringToObject(o, "exe", s->exe);
    if (s->script[0])
        cJSON_AddStringToObject(o, "script", s->script);
    if (s->model[0])
        cJSON_AddStringToObject(o, "model", s->model);
    if (usage_totals(s->usage_json, &in, &out, &total, &u)) {
        cJSON_AddItemToObject(o, "usage", u);
        u = NULL;
    }
    cJSON_Delete(u);
    if (s->has_cost)
        cJSON_AddNumberToObject(o, "cost", s->cost);
    if (s->cost_json[0]) {
        cJSON *cd = cJSON_Parse(s->cost_json);
        if (cJSON_IsObject(cd))
            cJSON_AddItemToObject(o, "cost_details", cd);
        else
            cJSON_Delete(cd);
    }
    if (s->price[0])
        cJSON_AddStringToObject(o, "price", s->price);
    if (is_generation(s) && s->start_ns && s->end_ns)
        cJSON_AddNumberToObject(o, "latency_ms", (double)(s->end_ns - s->start_ns) / 1e6);
    if (s->first_token_ns && s->start_ns)
        cJSON_AddNumberToObject(o, "ttft_ms", (double)(s->first_token_ns - s->start_ns) / 1e6);
    if (s->level[0])
        cJSON_AddStringToObject(o, "level", s->level);
    if (is_error(s) && !s->level[0])
        cJSON_AddStringToObject(o, "level", "ERROR");
    if (s->message[0])
        cJSON_AddStringToObject(o, "status_message", s->message);
    cJSON *kids = cJSON_AddArrayToObject(o, "children");
    long cut = 0;
    for (long c = s->first_child; c >= 0; c = spans[c].next_sibling) {
        if (depth < SHOW_MAX_JSON_DEPTH)
            cJSON_AddItemToArray(kids, span_json(c, depth + 1));
        else
            cut++;
    }
    if (cut)
        cJSON_AddNumberToObject(o, "children_not_shown", (double)cut);
    return o;
}

static cJSON *trace_json(const struct trace *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "trace_id", t->id);
    cJSON_AddStringToObject(o, "name", t->name);
    cJSON_AddNumberToObject(o, "start_unix_ms", (double)(t->start_ns / 1000000));
    cJSON_AddNumberToObject(o, "spans", (double)t->n_spans);
    cJSON_AddNumberToObject(o, "generations", (double)t->n_generations);
    cJSON_AddNumberToObject(o, "errors", (double)t->n_errors);
    cJSON_AddNumberToObject(o, "tokens", (double)t->tokens);
    if (t->has_cost)
        cJSON_AddNumberToObject(o, "cost", t->cost);
    cJSON *roots = cJSON_AddArrayToObject(o, "roots");
    long *idx = xrealloc(NULL, (size_t)(n_spans ? n_spans : 1) * sizeof *idx);
    long n = 0;
    for (long i = 0; i < n_spans; i++) {
        const struct span *s = &spans[i];
        if (!s->dup && s->parent < 0 && strcmp(s->trace_id, t->id) == 0)
            idx[n++] = i;
    }
    qsort(idx, (size_t)n, sizeof *idx, cmp_idx_start);
    for (long k = 0; k < n; k++)
        cJSON_AddItemToArray(roots, span_json(idx[k], 0));
    free(idx);
    return o;
}

/* ---- main ------------------------------------------------------------- */

/* The file the shim writes when no backend is configured (shim/config.c):
 * LLMTAP_OUTPUT, else an absolute XDG_STATE_HOME, else an absolute HOME,
 * else the passwd entry's home; NULL when there is none. */
static char *default_file(void)
{
    const char *o = getenv("LLMTAP_OUTPUT");
    const char *x = getenv("XDG_STATE_HOME");
    const char *h = getenv("HOME");
    const char *tail = "/llmtap/spans.jsonl";
    char *p;
    size_t n;
    if (o && *o)
        return xstrdup(o);
    if (!x || x[0] != '/') {
        x = NULL;
        tail = "/.local/state/llmtap/spans.jsonl";
        if (!h || h[0] != '/') {
            struct passwd *pw = getpwuid(getuid());
            h = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
        }
        if (!h)
            return NULL;
    }
    n = strlen(x ? x : h) + strlen(tail) + 1;
    p = xrealloc(NULL, n);
    snprintf(p, n, "%s%s", x ? x : h, tail);
    return p;
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: llmtap show [options] [FILE | -]\n"
            "Prints the traces in a JSONL file of OTLP/JSON export bodies as a tree:\n"
            "trace -> process span -> child processes and generations (model, tokens\n"
            "in/out/total, cost, latency, time to first token, errors).\n"
            "FILE defaults to the file the shim writes: LLMTAP_OUTPUT, else\n"
            "$XDG_STATE_HOME/llmtap/spans.jsonl, else ~/.local/state/llmtap/spans.jsonl;\n"
            "`-` reads stdin. Malformed lines are skipped with a note on stderr.\n"
            "\n"
            "Options:\n"
            "  --trace ID   only the trace(s) whose id starts with ID\n"
            "  --last       only the most recently started trace\n"
            "  --json       JSON instead of text: {\"traces\":[{trace_id, name, ...,\n"
            "               roots:[{span_id, name, type, model, usage, cost,\n"
            "               cost_details, price,\n"
            "               latency_ms, ttft_ms, level, status_message, children}]}]}\n"
            "  -h, --help   this text\n"
            "  --version    print the version\n"
            "Exit status: 0; 1 when the file cannot be read or no trace matches;\n"
            "2 on a usage error.\n");
}

int main(int argc, char **argv)
{
    const char *file = NULL, *want = NULL;
    bool last = false, json = false, opts_done = false;

    setlocale(LC_CTYPE, "");
    utf8_out = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!opts_done && strcmp(a, "--") == 0) {
            opts_done = true;
        } else if (!opts_done && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            usage(stdout);
            return 0;
        } else if (!opts_done && strcmp(a, "--version") == 0) {
            printf("llmtap-show %s\n", LLMTAP_VERSION);
            return 0;
        } else if (!opts_done && strcmp(a, "--last") == 0) {
            last = true;
        } else if (!opts_done && strcmp(a, "--json") == 0) {
            json = true;
        } else if (!opts_done && strcmp(a, "--trace") == 0) {
            if (++i >= argc) {
                fprintf(stderr, "%s: --trace needs an id\n", prog);
                return 2;
            }
            want = argv[i];
        } else if (!opts_done && strncmp(a, "--trace=", 8) == 0) {
            want = a + 8;
        } else if (!opts_done && a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "%s: unknown option %s\n", prog, a);
            usage(stderr);
            return 2;
        } else if (!file) {
            file = a;
        } else {
            fprintf(stderr, "%s: one file at most\n", prog);
            return 2;
        }
    }

    char *deffile = NULL;
    if (!file && !(file = deffile = default_file())) {
        fprintf(stderr, "%s: no file given, and neither HOME nor XDG_STATE_HOME is set\n", prog);
        return 1;
    }
    FILE *in = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    if (!in) {
        fprintf(stderr, "%s: %s: %s%s\n", prog, file, strerror(errno),
                errno == ENOENT ? " (nothing traced yet? run a command under llmtap)" : "");
        free(deffile);
        return 1;
    }
    long n_skipped = 0;
    const char *label = in == stdin ? "(stdin)" : file;
    int rc = read_input(in, label, &n_skipped);
    if (rc) {
        fprintf(stderr, "%s: %s: %s\n", prog, label, strerror(rc));
        if (in != stdin)
            fclose(in);
        free(deffile);
        return 1;
    }
    if (in != stdin)
        fclose(in);

    build_tree();

    /* Distinct traces, in order of first appearance (then sorted by start). */
    struct trace *traces = NULL;
    long n_traces = 0;
    for (long k = 0; k < n_spans; k++) {
        long i = by_id[k];
        if (spans[i].dup || (k > 0 && strcmp(spans[by_id[k - 1]].trace_id, spans[i].trace_id) == 0))
            continue;
        if (want && strncmp(spans[i].trace_id, want, strlen(want)) != 0)
            continue;
        traces = xrealloc(traces, (size_t)(n_traces + 1) * sizeof *traces);
        memset(&traces[n_traces], 0, sizeof *traces);
        traces[n_traces].id = spans[i].trace_id;
        summarise(&traces[n_traces]);
        n_traces++;
    }
    qsort(traces, (size_t)n_traces, sizeof *traces, cmp_trace);
    long from = last && n_traces > 0 ? n_traces - 1 : 0;

    int status = 0;
    if (n_traces == 0) {
        if (want)
            fprintf(stderr, "%s: no trace %s in %s\n", prog, want, label);
        else
            fprintf(stderr, "%s: no spans in %s\n", prog, label);
        status = want ? 1 : 0;
    }
    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(root, "traces");
        for (long t = from; t < n_traces; t++)
            cJSON_AddItemToArray(arr, trace_json(&traces[t]));
        cJSON_AddNumberToObject(root, "skipped", (double)n_skipped);
        char *txt = cJSON_Print(root);
        if (txt)
            puts(txt);
        cJSON_free(txt);
        cJSON_Delete(root);
    } else {
        for (long t = from; t < n_traces; t++) {
            if (t > from)
                fputc('\n', stdout);
            print_trace(stdout, &traces[t]);
        }
    }
    if (fflush(stdout) != 0)
        status = 1;

    for (long i = 0; i < n_spans; i++) {
        struct span *s = &spans[i];
        free(s->trace_id);
        free(s->span_id);
        free(s->parent_id);
        free(s->name);
        free(s->type);
        free(s->model);
        free(s->usage_json);
        free(s->cost_json);
        free(s->price);
        free(s->level);
        free(s->message);
        free(s->trace_name);
        free(s->exe);
        free(s->script);
    }
    free(spans);
    free(by_id);
    free(traces);
    free(deffile);
    return status;
}
