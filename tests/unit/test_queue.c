/* test_queue.c — the queue, the "llmtap" thread, batching, the exit flush and
 * fork safety, end to end through the real parser, event writer and
 * exporters: calls built from a recorded OpenAI exchange are pushed, and what
 * reaches the JSONL file or a local OTLP receiver is counted and checked with
 * validate-otlp. Cases that exercise the exit handler run the "program" in a
 * child process that calls exit().
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zlib.h>

#include <cjson/cJSON.h> /* types only: the test loads libcjson itself */

#include "../../shim/call.h"
#include "../../shim/config.h"
#include "../../shim/event.h"
#include "../../shim/log.h"
#include "../../shim/mem.h"
#include "../../shim/queue.h"
#include "../../shim/trace.h"
#include "../lib/export_receiver.h"
#include "../lib/export_testutil.h"
#include "../lib/tap.h"

/* ThreadSanitizer: the fork cases start threads in children of processes
 * that run threads (the point of those cases). */
__attribute__((visibility("default"))) const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
    return "die_after_fork=0";
}

/* LeakSanitizer, in the fork children of queue_fork_should_not_deadlock_...:
 * calls that the parent's pusher threads were building (or its llmtap thread
 * was sending) when fork() ran belong to no thread of the child; they are
 * lost by design, not leaked by a bug. */
__attribute__((visibility("default"))) const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:stress_pusher\n";
}

#if defined(__SANITIZE_THREAD__)
#define QUEUE_TSAN 1
#else
#define QUEUE_TSAN 0
#endif
#if defined(__SANITIZE_ADDRESS__)
#define QUEUE_ASAN 1
#else
#define QUEUE_ASAN 0
#endif

/* pthread_create, failing on demand: the queue must cope when its thread
 * cannot start. Every other caller reaches the real one (or the sanitizer's
 * interceptor) through RTLD_NEXT. */
static _Atomic int fail_thread_create;

int pthread_create(pthread_t *restrict t, const pthread_attr_t *restrict a, void *(*fn)(void *),
                   void *restrict arg)
{
    static int (*real)(pthread_t *restrict, const pthread_attr_t *restrict, void *(*)(void *),
                       void *restrict);
    if (atomic_load(&fail_thread_create))
        return EAGAIN;
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "pthread_create");
    return real(t, a, fn, arg);
}

/* ------------------------------------------------------------ calls */

static char *fx_req, *fx_resp;
static size_t fx_req_len, fx_resp_len;
static pthread_once_t fx_once = PTHREAD_ONCE_INIT;

static void fx_load(void)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/openai/chat_plain/request.json", tap_fixtures_dir());
    fx_req = tap_read_file(p, &fx_req_len);
    snprintf(p, sizeof p, "%s/openai/chat_plain/response.body", tap_fixtures_dir());
    fx_resp = tap_read_file(p, &fx_resp_len);
}

/* A finished call as capture.c hands it over: openai/chat_plain's response;
 * its request, or one whose user message has `pad` more bytes. */
static struct lt_call *make_call_padded(size_t pad)
{
    pthread_once(&fx_once, fx_load);
    CHECK(fx_req && fx_resp);
    struct lt_call *c = lt_call_new(0, 0);
    CHECK(c);
    c->match.api = LT_API_OPENAI_CHAT;
    c->match.provider = "openai";
    c->match.known_host = true;
    c->url = lt_strdup("https://api.openai.com/v1/chat/completions");
    if (!pad) {
        CHECK(lt_buf_add(&c->req, fx_req, fx_req_len) == LT_OK);
    } else {
        CHECK(lt_buf_adds(&c->req, "{\"messages\":[{\"role\":\"user\",\"content\":\"") == LT_OK);
        for (size_t i = 0; i < pad; i++)
            CHECK(lt_buf_addc(&c->req, (char)('a' + i % 26)) == LT_OK);
        CHECK(lt_buf_adds(&c->req, "\"}],\"model\":\"gpt-3.5-turbo\"}") == LT_OK);
    }
    CHECK(lt_buf_add(&c->resp, fx_resp, fx_resp_len) == LT_OK);
    c->req_total = c->req.len;
    c->resp_total = fx_resp_len;
    c->end_ns = lt_now_ns();
    c->start_ns = c->end_ns - 250000000;
    c->first_byte_ns = c->end_ns - 10000000;
    c->http_status = 200;
    snprintf(c->content_type, sizeof c->content_type, "application/json");
    return c;
}

static struct lt_call *make_call(void)
{
    return make_call_padded(0);
}

/* A call to an endpoint shaped like an LLM one whose body is no LLM request. */
static struct lt_call *make_non_llm_call(void)
{
    struct lt_call *c = make_call();
    c->match.known_host = false;
    c->match.provider = "openai-compatible";
    lt_buf_reset(&c->req);
    CHECK(lt_buf_adds(&c->req, "{\"notllm\":true}") == LT_OK);
    return c;
}

static void push_calls_padded(int n, size_t pad)
{
    for (int i = 0; i < n; i++)
        CHECK_INT(lt_queue_push(make_call_padded(pad)), LT_OK);
}

static void push_calls(int n)
{
    push_calls_padded(n, 0);
}

/* ------------------------------------------------------------ the output */

struct span_info {
    char id[17];
    char parent[17];
    int kind;
    int line;
};

#define MAX_LINES 4096
#define MAX_SPANS 32768

struct spans {
    int n;
    int lines;
    int per_line[MAX_LINES];
    size_t line_len[MAX_LINES];
    struct span_info s[MAX_SPANS];
};

/* The test reads the output with its own cJSON handle: the sanitizer
 * runtimes refuse json.c's RTLD_DEEPBIND. */
static struct {
    cJSON *(*parse)(const char *value, size_t len);
    void (*del)(cJSON *item);
    cJSON *(*get)(const cJSON *object, const char *name);
    cJSON *(*item)(const cJSON *array, int index);
    int (*size)(const cJSON *array);
} tj;

static void tj_load(void)
{
    if (tj.parse)
        return;
    void *h = dlopen("libcjson.so.1", RTLD_NOW | RTLD_LOCAL);
    CHECKF(h != NULL, "libcjson.so.1: %s", dlerror());
    *(void **)&tj.parse = dlsym(h, "cJSON_ParseWithLength");
    *(void **)&tj.del = dlsym(h, "cJSON_Delete");
    *(void **)&tj.get = dlsym(h, "cJSON_GetObjectItemCaseSensitive");
    *(void **)&tj.item = dlsym(h, "cJSON_GetArrayItem");
    *(void **)&tj.size = dlsym(h, "cJSON_GetArraySize");
    CHECK(tj.parse && tj.del && tj.get && tj.item && tj.size);
}

static const char *tj_str(const cJSON *o, const char *key)
{
    const cJSON *v = o ? tj.get(o, key) : NULL;
    return v && (v->type & 0xFF) == cJSON_String ? v->valuestring : NULL;
}

static int tj_int(const cJSON *o, const char *key)
{
    const cJSON *v = o ? tj.get(o, key) : NULL;
    return v && (v->type & 0xFF) == cJSON_Number ? v->valueint : -1;
}

static void read_spans(const char *path, struct spans *out)
{
    memset(out, 0, sizeof *out);
    tj_load();
    size_t len = 0;
    char *d = tap_read_file(path, &len);
    if (!d)
        return; /* no file: no spans */
    char *line = d;
    while (line < d + len) {
        char *nl = memchr(line, '\n', (size_t)(d + len - line));
        CHECKF(nl != NULL, "last line of %s has no newline", path);
        CHECK(out->lines < MAX_LINES);
        cJSON *root = tj.parse(line, (size_t)(nl - line));
        CHECKF(root != NULL, "line %d of %s is not JSON", out->lines + 1, path);
        out->line_len[out->lines] = (size_t)(nl - line);
        const cJSON *rs = tj.get(root, "resourceSpans");
        for (int i = 0; rs && i < tj.size(rs); i++) {
            const cJSON *ss = tj.get(tj.item(rs, i), "scopeSpans");
            for (int j = 0; ss && j < tj.size(ss); j++) {
                const cJSON *sp = tj.get(tj.item(ss, j), "spans");
                for (int k = 0; sp && k < tj.size(sp); k++) {
                    const cJSON *sj = tj.item(sp, k);
                    CHECK(out->n < MAX_SPANS);
                    struct span_info *si = &out->s[out->n++];
                    const char *id = tj_str(sj, "spanId");
                    const char *par = tj_str(sj, "parentSpanId");
                    snprintf(si->id, sizeof si->id, "%s", id ? id : "");
                    snprintf(si->parent, sizeof si->parent, "%s", par ? par : "");
                    si->kind = tj_int(sj, "kind");
                    si->line = out->lines;
                    out->per_line[out->lines]++;
                }
            }
        }
        tj.del(root);
        out->lines++;
        line = nl + 1;
    }
    free(d);
}

static int cmp_span_id(const void *a, const void *b)
{
    return strcmp(((const struct span_info *)a)->id, ((const struct span_info *)b)->id);
}

/* Every span id appears once. */
static void check_unique(const struct spans *sp)
{
    static struct span_info sorted[MAX_SPANS];
    memcpy(sorted, sp->s, (size_t)sp->n * sizeof *sorted);
    qsort(sorted, (size_t)sp->n, sizeof *sorted, cmp_span_id);
    for (int i = 1; i < sp->n; i++)
        CHECKF(strcmp(sorted[i - 1].id, sorted[i].id) != 0, "span id %s exported twice",
               sorted[i].id);
}

static int count_children(const struct spans *sp, const char *parent, int kind)
{
    int n = 0;
    for (int i = 0; i < sp->n; i++)
        if (!strcmp(sp->s[i].parent, parent) && sp->s[i].kind == kind)
            n++;
    return n;
}

static const struct span_info *find_span(const struct spans *sp, const char *id)
{
    for (int i = 0; i < sp->n; i++)
        if (!strcmp(sp->s[i].id, id))
            return &sp->s[i];
    return NULL;
}

/* Runs validate-otlp on every line of the file. */
static void validate_lines(const char *path)
{
    size_t len = 0;
    char *d = tap_read_file(path, &len);
    CHECK(d);
    for (char *line = d; line < d + len;) {
        char *nl = memchr(line, '\n', (size_t)(d + len - line));
        CHECK(nl);
        CHECKF(export_validate(line, (size_t)(nl - line), NULL) == 0, "a line of %s is invalid", path);
        line = nl + 1;
    }
    free(d);
}

/* Polls the file until it has `lines` lines or timeout_ms passed. */
static int wait_lines(const char *path, int lines, int timeout_ms)
{
    int64_t end = export_now_ms() + timeout_ms;
    for (;;) {
        size_t len = 0;
        char *d = tap_read_file(path, &len);
        int n = 0;
        for (size_t i = 0; d && i < len; i++)
            n += d[i] == '\n';
        free(d);
        if (n >= lines || export_now_ms() >= end)
            return n;
        export_sleep_ms(10);
    }
}

/* Threads of this process named "llmtap" (sanitizer runtimes add their own). */
static int llmtap_threads(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[320];
        snprintf(p, sizeof p, "/proc/self/task/%s/comm", e->d_name);
        char *comm = tap_read_file(p, NULL);
        n += comm && !strcmp(comm, "llmtap\n");
        free(comm);
    }
    if (d)
        closedir(d);
    return n;
}

static const char *out_path(void)
{
    static char p[512];
    return export_path(p, sizeof p, "out.jsonl");
}

/* JSONL to out.jsonl with the given batching. */
static void env_jsonl(const char *flush_at, const char *interval)
{
    export_env_setup("q");
    setenv("LLMTAP_OUTPUT", out_path(), 1);
    if (flush_at)
        setenv("LANGFUSE_FLUSH_AT", flush_at, 1);
    if (interval)
        setenv("LANGFUSE_FLUSH_INTERVAL", interval, 1);
}

/* Loads libcurl and initialises it on this thread, as a program that makes
 * LLM calls has done before llmtap's thread first uses it. */
static void load_libcurl(void)
{
    void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_GLOBAL);
    CHECKF(h != NULL, "dlopen libcurl: %s", dlerror());
    int (*global_init)(long) = (int (*)(long))dlsym(h, "curl_global_init");
    CHECK(global_init && global_init(3L /* CURL_GLOBAL_ALL */) == 0);
}

static void env_otlp(int port)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/traces", port);
    setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url, 1);
    load_libcurl();
}

/* ThreadSanitizer cannot start a thread in the child of a process that has
 * threads (glibc reuses a stack it still tracks: "dup thread"), which is
 * exactly what these cases do; ASan and the release build run them. */
static int tsan_skip_fork(void)
{
    if (QUEUE_TSAN)
        fprintf(stderr, "    skipped under ThreadSanitizer: threads in a multi-threaded fork child\n");
    return QUEUE_TSAN;
}

/* GCC 12's AddressSanitizer allocator takes no lock around fork(): a child
 * forked while another thread allocates can block forever on the allocator's
 * lock (seen: the child's llmtap thread in SizeClassAllocator64::
 * GetFromAllocator). glibc's malloc is fork-safe, so the release build runs
 * the stress case. */
static int asan_skip_fork_stress(void)
{
    if (QUEUE_ASAN)
        fprintf(stderr, "    skipped under AddressSanitizer: its allocator is not fork-safe\n");
    return QUEUE_ASAN;
}

/* ------------------------------------------------------------ cases */

static void queue_render_call_should_produce_a_valid_export_body(void)
{
    env_jsonl(NULL, NULL);
    struct lt_call *c = make_call();
    struct lt_buf b;
    lt_buf_init(&b, 0);
    CHECK_INT(lt_queue_render_call(c, &b), LT_OK);
    CHECK(b.len > 0 && !memchr(b.data, '\n', b.len));
    CHECK(export_validate(b.data, b.len, NULL) == 0);
    CHECK(strstr(b.data, lt_trace_process()->trace_id) != NULL);
    /* a body that is no LLM request renders nothing */
    struct lt_call *n = make_non_llm_call();
    size_t before = b.len;
    CHECK_INT(lt_queue_render_call(n, &b), LT_ERR_SKIP);
    CHECK_INT(b.len, before);
    lt_call_free(c);
    lt_call_free(n);
    lt_buf_free(&b);
    CHECK_INT(llmtap_threads(), 0); /* rendering starts no thread */
    export_cleanup();
}

/* Compresses with the process's zlib: window_bits 31 = gzip, 15 = zlib,
 * -15 = raw deflate. Returns a malloc'd buffer. */
static unsigned char *zbytes(const char *d, size_t n, int window_bits, size_t *out_len)
{
    void *h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
    CHECK(h);
    int (*init2)(z_streamp, int, int, int, int, int, const char *, int);
    int (*def)(z_streamp, int);
    int (*end)(z_streamp);
    *(void **)&init2 = dlsym(h, "deflateInit2_");
    *(void **)&def = dlsym(h, "deflate");
    *(void **)&end = dlsym(h, "deflateEnd");
    CHECK(init2 && def && end);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    CHECK(init2(&zs, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                (int)sizeof zs) == Z_OK);
    size_t cap = n + 1024;
    unsigned char *out = malloc(cap);
    zs.next_in = (Bytef *)d;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    CHECK(def(&zs, Z_FINISH) == Z_STREAM_END);
    *out_len = cap - zs.avail_out;
    end(&zs);
    return out;
}

/* Renders a call whose response is `resp` as delivered with content
 * encoding `enc`; returns the export body (malloc'd). */
static char *render_encoded(const unsigned char *resp, size_t n, const char *enc)
{
    struct lt_call *c = make_call();
    lt_buf_reset(&c->resp);
    CHECK(lt_buf_add(&c->resp, resp, n) == LT_OK);
    c->resp_total = n;
    snprintf(c->content_encoding, sizeof c->content_encoding, "%s", enc);
    struct lt_buf b;
    lt_buf_init(&b, 0);
    CHECK_INT(lt_queue_render_call(c, &b), LT_OK);
    lt_call_free(c);
    char *out = strdup(b.data);
    lt_buf_free(&b);
    return out;
}

#define JOKE "Why did the Opentelemetry developer go broke?"

static void queue_should_inflate_a_response_libcurl_left_compressed(void)
{
    env_jsonl(NULL, NULL);
    make_call(); /* loads the fixture */
    size_t n = 0;
    struct { int bits; const char *enc; } forms[] = {
        { 31, "gzip" }, { 31, "x-gzip" }, { 31, "" /* no header seen: gzip magic */ },
        { 15, "deflate" }, { -15, "deflate" /* raw, as some servers send it */ },
    };
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        unsigned char *z = zbytes(fx_resp, fx_resp_len, forms[i].bits, &n);
        char *body = render_encoded(z, n, forms[i].enc);
        CHECKF(strstr(body, JOKE) != NULL, "%s (%d): output not parsed", forms[i].enc, forms[i].bits);
        CHECKF(!strstr(body, "WARNING"), "%s (%d): a warning: %s", forms[i].enc, forms[i].bits, body);
        CHECK(export_validate(body, strlen(body), NULL) == 0);
        free(body);
        free(z);
    }
    /* cut short: what arrived is parsed, with a warning */
    unsigned char *z = zbytes(fx_resp, fx_resp_len, 31, &n);
    char *body = render_encoded(z, n / 2, "gzip");
    CHECK(strstr(body, "ends early") != NULL);
    free(body);
    free(z);
    /* a coding llmtap cannot decode: not fed to the parser, said */
    body = render_encoded((const unsigned char *)"\x0b\x02\x80garbage", 10, "br");
    CHECK(strstr(body, "br-encoded: not decoded") != NULL);
    CHECK(export_validate(body, strlen(body), NULL) == 0);
    free(body);
    /* identity and plain JSON are fed as they are */
    body = render_encoded((const unsigned char *)fx_resp, fx_resp_len, "identity");
    CHECK(strstr(body, JOKE) != NULL);
    free(body);
    export_cleanup();
}

/* Renders chat_plain's call ended by libcurl with `code` after `got` of its
 * response bytes; returns the export body (malloc'd), checked valid. */
static char *render_ended(size_t got, int code, const char *err, bool refused, long status)
{
    struct lt_call *c = make_call();
    c->resp.len = got;
    c->resp_total = got;
    c->curl_code = code;
    snprintf(c->curl_error, sizeof c->curl_error, "%s", err);
    c->write_refused = refused;
    c->http_status = status;
    struct lt_buf b;
    lt_buf_init(&b, 0);
    CHECK_INT(lt_queue_render_call(c, &b), LT_OK);
    lt_call_free(c);
    CHECK(export_validate(b.data, b.len, NULL) == 0);
    char *out = strdup(b.data);
    lt_buf_free(&b);
    return out;
}

#define ATTR_S(k, v) "{\"key\":\"" k "\",\"value\":{\"stringValue\":\"" v

static void queue_should_judge_a_failed_transfer_by_what_arrived(void)
{
    env_jsonl(NULL, NULL);
    make_call(); /* loads the fixture */
    char want[256];
    /* the whole answer, then a timeout: usable, a warning */
    char *b = render_ended(fx_resp_len, 28, "Timeout was reached", false, 200);
    snprintf(want, sizeof want, ATTR_S("langfuse.observation.status_message",
             "transfer cut off: Timeout was reached (28) after %zu bytes"), fx_resp_len);
    CHECKF(strstr(b, want) != NULL, "%s", b);
    CHECK(strstr(b, ATTR_S("langfuse.observation.level", "WARNING")) != NULL);
    CHECK(strstr(b, ATTR_S("langfuse.observation.metadata.curl_code", "28")) != NULL);
    CHECK(strstr(b, ATTR_S("langfuse.observation.metadata.curl_error", "Timeout was reached")) != NULL);
    CHECK(strstr(b, JOKE) != NULL);
    CHECK(strstr(b, "\"status\":{\"code\":0}") != NULL);
    free(b);
    /* half a JSON body: nothing usable, an error */
    b = render_ended(fx_resp_len / 2, 18, "Transferred a partial file", false, 200);
    snprintf(want, sizeof want, ATTR_S("langfuse.observation.status_message",
             "transfer cut off: Transferred a partial file (18) after %zu bytes"), fx_resp_len / 2);
    CHECKF(strstr(b, want) != NULL, "%s", b);
    CHECK(strstr(b, ATTR_S("langfuse.observation.level", "ERROR")) != NULL);
    CHECK(strstr(b, "\"status\":{\"code\":2,\"message\":\"transfer cut off: ") != NULL);
    free(b);
    /* nothing at all */
    b = render_ended(0, 7, "Couldn't connect to server", false, 0);
    CHECKF(strstr(b, ATTR_S("langfuse.observation.status_message",
                   "transfer failed: Couldn't connect to server (7)\"")) != NULL, "%s", b);
    CHECK(strstr(b, ATTR_S("langfuse.observation.level", "ERROR")) != NULL);
    free(b);
    /* the program's write callback refused bytes */
    b = render_ended(fx_resp_len, 23, "Failed writing received data to disk/application", true, 200);
    CHECKF(strstr(b, ATTR_S("langfuse.observation.status_message", "transfer aborted by the program: Failed "
                   "writing received data to disk/application (23) after ")) != NULL, "%s", b);
    CHECK(strstr(b, ATTR_S("langfuse.observation.level", "WARNING")) != NULL);
    free(b);
    /* 23 without a refusal is not the program's choice */
    b = render_ended(fx_resp_len, 23, "Failed writing received data to disk/application", false, 200);
    CHECK(strstr(b, "transfer cut off: Failed writing") != NULL);
    free(b);
    /* an HTTP error keeps the status first and stays an error */
    b = render_ended(0, 22, "HTTP response code said error", false, 500);
    CHECKF(strstr(b, ATTR_S("langfuse.observation.status_message",
                   "HTTP 500; transfer failed: HTTP response code said error (22)")) != NULL, "%s", b);
    CHECK(strstr(b, ATTR_S("langfuse.observation.level", "ERROR")) != NULL);
    free(b);
    export_cleanup();
}

#define PUSHERS 8
#define PER_PUSHER 50

static void *pusher(void *arg)
{
    (void)arg;
    for (int i = 0; i < PER_PUSHER; i++)
        if (lt_queue_push(make_call()) != LT_OK)
            return (void *)1;
    return lt_queue_flush(60000) == LT_OK ? NULL : (void *)2;
}

static void queue_should_export_every_call_pushed_from_8_threads(void)
{
    env_jsonl("64", "30");
    pthread_t t[PUSHERS];
    for (int i = 0; i < PUSHERS; i++)
        pthread_create(&t[i], NULL, pusher, NULL);
    for (int i = 0; i < PUSHERS; i++) {
        void *r = NULL;
        pthread_join(t[i], &r);
        CHECKF(r == NULL, "pusher %d failed (%ld)", i, (long)(intptr_t)r);
    }
    CHECK_INT(lt_queue_flush(60000), LT_OK);
    static struct spans sp;
    read_spans(out_path(), &sp);
    CHECK_INT(sp.n, PUSHERS * PER_PUSHER);
    CHECK_INT(count_children(&sp, lt_trace_process()->span_id, 3), PUSHERS * PER_PUSHER);
    check_unique(&sp);
    for (int i = 0; i < sp.lines; i++)
        CHECKF(sp.per_line[i] >= 1 && sp.per_line[i] <= 64, "line %d has %d spans", i,
               sp.per_line[i]);
    validate_lines(out_path());
    export_cleanup();
}

static void queue_should_send_when_flush_at_spans_wait(void)
{
    env_jsonl("3", "60");
    push_calls(3);
    CHECK_INT(wait_lines(out_path(), 1, 10000), 1);
    push_calls(2);
    export_sleep_ms(300);
    CHECK_INT(wait_lines(out_path(), 2, 0), 1); /* 2 < FLUSH_AT: they wait */
    CHECK_INT(lt_queue_flush(10000), LT_OK);
    static struct spans sp;
    read_spans(out_path(), &sp);
    CHECK_INT(sp.lines, 2);
    CHECK_INT(sp.per_line[0], 3);
    CHECK_INT(sp.per_line[1], 2);
    export_cleanup();
}

static void queue_should_send_after_the_flush_interval(void)
{
    env_jsonl("1000", "0.4");
    int64_t t0 = export_now_ms();
    push_calls(2);
    CHECK_INT(wait_lines(out_path(), 1, 10000), 1);
    int64_t took = export_now_ms() - t0;
    CHECKF(took >= 350, "sent after %lld ms", (long long)took);
    static struct spans sp;
    read_spans(out_path(), &sp);
    CHECK_INT(sp.lines, 1);
    CHECK_INT(sp.per_line[0], 2);
    export_cleanup();
}

/* Sizes of one call's span and of head + tail, measured in a child so that
 * this process reads its configuration only after the case set it. */
static void measure_span(size_t pad, size_t *span, size_t *head_tail)
{
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        lt_trace_init();
        struct lt_buf one, ht;
        lt_buf_init(&one, 0);
        lt_buf_init(&ht, 0);
        struct lt_call *c = make_call_padded(pad);
        size_t v[2] = { 0, 0 };
        if (lt_queue_render_call(c, &one) == LT_OK &&
            lt_event_body_head(&ht, lt_config_get(), lt_trace_process()) == LT_OK &&
            lt_event_body_tail(&ht) == LT_OK) {
            v[0] = one.len - ht.len;
            v[1] = ht.len;
        }
        _exit(write(pfd[1], v, sizeof v) == (ssize_t)sizeof v ? 0 : 1);
    }
    close(pfd[1]);
    size_t v[2] = { 0, 0 };
    CHECK(read(pfd[0], v, sizeof v) == (ssize_t)sizeof v);
    close(pfd[0]);
    export_wait_child(pid, 10000);
    CHECK(v[0] > 0 && v[1] > 0);
    *span = v[0];
    *head_tail = v[1];
}

/* LLMTAP_BATCH_MAX_BYTES is at least 64 KiB: calls with 30 KB messages. */
#define CAP_PAD 30000

static void queue_should_split_batches_at_the_byte_cap(void)
{
    env_jsonl("1000", "60");
    size_t span = 0, ht = 0;
    measure_span(CAP_PAD, &span, &ht);
    size_t cap = ht + 2 * span + 1 + span / 2; /* two spans fit, three do not */
    CHECK(cap >= 65536);
    char v[32];
    snprintf(v, sizeof v, "%zu", cap);
    setenv("LLMTAP_BATCH_MAX_BYTES", v, 1);
    push_calls_padded(5, CAP_PAD);
    CHECK_INT(lt_queue_flush(10000), LT_OK);
    CHECK_INT((long long)lt_config_get()->batch_max_bytes, (long long)cap);
    static struct spans sp;
    read_spans(out_path(), &sp);
    CHECK_INT(sp.n, 5);
    CHECK_INT(sp.lines, 3);
    CHECK_INT(sp.per_line[0], 2);
    CHECK_INT(sp.per_line[1], 2);
    CHECK_INT(sp.per_line[2], 1);
    for (int i = 0; i < sp.lines; i++)
        CHECKF(sp.line_len[i] <= cap, "line %d: %zu bytes > cap %zu", i, sp.line_len[i], cap);
    validate_lines(out_path());
    export_cleanup();
}

static void queue_should_send_a_span_over_the_cap_alone(void)
{
    env_jsonl("1000", "60");
    setenv("LLMTAP_BATCH_MAX_BYTES", "65536", 1);
    setenv("LANGFUSE_DEBUG", "true", 1);
    lt_log_reset();
    const char *errp = export_capture_stderr("stderr.txt");
    push_calls(1);
    push_calls_padded(2, 70000); /* each over the cap */
    push_calls(1);
    CHECK_INT(lt_queue_flush(10000), LT_OK);
    static struct spans sp;
    read_spans(out_path(), &sp);
    CHECK_INT(sp.n, 4);
    CHECK_INT(sp.lines, 4);
    CHECK(sp.line_len[1] > 65536 && sp.line_len[2] > 65536);
    char *log = tap_read_file(errp, NULL);
    CHECKF(log && export_count(log, "sent alone") == 2, "no debug line about the cap");
    free(log);
    export_cleanup();
}

static void queue_should_drop_calls_when_full_and_say_so_once(void)
{
    export_env_setup("q");
    struct export_rx *rx = export_rx_start(EXPORT_RX_HANG, 0);
    CHECK(rx);
    env_otlp(rx->port);
    setenv("LANGFUSE_FLUSH_AT", "1", 1);
    setenv("LANGFUSE_TIMEOUT", "30", 1);
    setenv("LLMTAP_QUEUE_MAX", "4", 1);
    setenv("LANGFUSE_DEBUG", "true", 1);
    lt_log_reset();
    const char *errp = export_capture_stderr("stderr.txt");
    push_calls(1);
    CHECK_INT(export_rx_wait(rx, 1, 10000), 1); /* the sender is stuck in I/O */
    push_calls(4);
    int64_t live = lt_mem_live_bytes();
    CHECK_INT(lt_queue_push(make_call()), LT_ERR_NOMEM);
    CHECK_INT(lt_queue_push(make_call()), LT_ERR_NOMEM);
    CHECK(lt_mem_live_bytes() <= live); /* dropped calls are freed */
    char *log = tap_read_file(errp, NULL);
    CHECKF(log && export_count(log, "queue full") == 1, "log: %s", log ? log : "");
    free(log);
    export_cleanup();
}

static void queue_should_not_export_a_body_that_is_no_llm_call(void)
{
    env_jsonl("1", "60");
    CHECK_INT(lt_queue_push(make_non_llm_call()), LT_OK);
    CHECK_INT(lt_queue_flush(10000), LT_OK);
    struct stat st;
    CHECK(stat(out_path(), &st) != 0); /* nothing rendered: no file */
    export_cleanup();
}

static void queue_should_drop_every_call_of_an_unsampled_trace(void)
{
    env_jsonl("1", "60");
    setenv("LANGFUSE_SAMPLE_RATE", "0", 1);
    CHECK_INT(lt_queue_push(make_call()), LT_ERR_SKIP);
    CHECK_INT(lt_queue_flush(1000), LT_OK);
    CHECK_INT(llmtap_threads(), 0);
    struct stat st;
    CHECK(stat(out_path(), &st) != 0);
    export_cleanup();
}

static void queue_thread_should_be_named_llmtap_with_signals_blocked(void)
{
    env_jsonl("1", "60");
    push_calls(1);
    CHECK_INT(lt_queue_flush(10000), LT_OK);
    CHECK_INT(llmtap_threads(), 1);
    int found = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[320];
        snprintf(p, sizeof p, "/proc/self/task/%s/comm", e->d_name);
        char *comm = tap_read_file(p, NULL);
        int ours = comm && !strcmp(comm, "llmtap\n");
        free(comm);
        if (!ours)
            continue;
        snprintf(p, sizeof p, "/proc/self/task/%s/status", e->d_name);
        char *status = tap_read_file(p, NULL);
        const char *blk = status ? strstr(status, "SigBlk:\t") : NULL;
        CHECK(blk);
        unsigned long long mask = strtoull(blk + 8, NULL, 16);
        int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGPIPE, SIGALRM, SIGUSR1, SIGQUIT };
        for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
            CHECKF(mask & (1ULL << (sigs[i] - 1)), "signal %d not blocked", sigs[i]);
        free(status);
        found++;
    }
    if (d)
        closedir(d);
    CHECK_INT(found, 1);
    export_cleanup();
}

/* A flush that cannot finish comes back at its timeout. */
static void queue_flush_should_time_out_when_the_backend_hangs(void)
{
    export_env_setup("q");
    struct export_rx *rx = export_rx_start(EXPORT_RX_HANG, 0);
    env_otlp(rx->port);
    setenv("LANGFUSE_TIMEOUT", "30", 1);
    push_calls(2);
    int64_t t0 = export_now_ms();
    CHECK_INT(lt_queue_flush(400), LT_ERR_TIMEOUT);
    int64_t took = export_now_ms() - t0;
    CHECKF(took >= 390 && took < 1500, "took %lld ms", (long long)took);
    CHECK_INT(export_rx_wait(rx, 1, 5000), 1);
    export_cleanup();
}

static void queue_should_export_to_an_otlp_receiver_with_langfuse_headers(void)
{
    export_env_setup("q");
    struct export_rx *rx = export_rx_start(EXPORT_RX_REPLY, 200);
    char base[128];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", rx->port);
    setenv("LANGFUSE_BASE_URL", base, 1);
    setenv("LANGFUSE_PUBLIC_KEY", "pk-lf-1234567890", 1);
    setenv("LANGFUSE_SECRET_KEY", "sk-lf-1234567890", 1);
    load_libcurl();
    push_calls(3);
    CHECK_INT(lt_queue_flush(10000), LT_OK);
    push_calls(1);
    CHECK_INT(lt_queue_flush(10000), LT_OK);
    CHECK_INT(export_rx_wait(rx, 2, 2000), 2);
    struct export_rx_req q = export_rx_get(rx, 0);
    CHECK(!strncmp(q.head, "POST /api/public/otel/v1/traces ", 32));
    /* the request headers as 'Name: value' lines for the validator */
    const char *h = strstr(q.head, "\r\n");
    CHECK(h);
    char *hdrs = strdup(h + 2);
    for (char *p = hdrs; (p = strstr(p, "\r\n"));)
        memmove(p, p + 1, strlen(p + 1) + 1);
    CHECK(export_validate(q.body, q.body_len, hdrs) == 0);
    free(hdrs);
    CHECK_INT(export_rx_get(rx, 1).conn, q.conn); /* one connection, kept alive */
    export_cleanup();
}

/* The "program" of the exit cases: runs fn in a child that then calls
 * exit(code); the case measures from the moment it calls exit. */
struct prog_result {
    int status;       /* wait status, -1 when it had to be killed */
    int64_t exit_ms;  /* from its exit() call to its end, as seen here */
};

static struct prog_result run_prog_rx(void (*fn)(void), int code, int timeout_ms,
                                      struct export_rx *rx)
{
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        fn();
        char b = 'x';
        if (write(pfd[1], &b, 1) != 1)
            _exit(99);
        exit(code);
    }
    close(pfd[1]);
    if (rx)
        export_rx_run(rx); /* threads only after the fork */
    char b;
    struct prog_result r = { -1, 0 };
    int64_t t0;
    ssize_t n = read(pfd[0], &b, 1);
    t0 = export_now_ms();
    r.status = export_wait_child(pid, n == 1 ? timeout_ms : 1);
    r.exit_ms = export_now_ms() - t0;
    close(pfd[0]);
    return r;
}

static struct prog_result run_prog(void (*fn)(void), int code, int timeout_ms)
{
    return run_prog_rx(fn, code, timeout_ms, NULL);
}

static void prog_push3(void)
{
    push_calls(3);
    lt_queue_arm_exit();
}

static void queue_exit_should_send_the_rest_and_the_process_span(void)
{
    env_jsonl("1000", "60");
    struct prog_result r = run_prog(prog_push3, 7, 10000);
    CHECKF(r.status >= 0 && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 7, "status %d",
           r.status);
    static struct spans sp;
    read_spans(out_path(), &sp);
    CHECK_INT(sp.lines, 1);
    CHECK_INT(sp.n, 4);
    /* one process span (kind 1, a root), three generations under it */
    int roots = 0;
    for (int i = 0; i < sp.n; i++)
        if (sp.s[i].kind == 1) {
            roots++;
            CHECK_STR(sp.s[i].parent, "");
            CHECK_INT(count_children(&sp, sp.s[i].id, 3), 3);
        }
    CHECK_INT(roots, 1);
    validate_lines(out_path());
    export_cleanup();
}

static void prog_arm_only(void)
{
    (void)lt_config_get();
    uint64_t before = lt_mem_count();
    lt_queue_arm_exit();
    if (lt_queue_flush(100) != LT_OK)
        _exit(90);
    if (lt_mem_count() != before)
        _exit(91);
    if (llmtap_threads() != 0)
        _exit(92);
}

static void queue_should_start_no_thread_and_write_no_file_when_nothing_was_pushed(void)
{
    env_jsonl("1", "60");
    unsetenv("LLMTAP_OUTPUT"); /* the default file, in the state directory */
    struct prog_result r = run_prog(prog_arm_only, 0, 10000);
    CHECKF(r.status >= 0 && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "status %d",
           WIFEXITED(r.status) ? WEXITSTATUS(r.status) : r.status);
    char p[512];
    struct stat st;
    CHECK(stat(export_path(p, sizeof p, "state"), &st) != 0);
    CHECK(stat(export_path(p, sizeof p, "home/.local"), &st) != 0);
    export_cleanup();
}

static void prog_push_then_exit_on_hung_backend(void)
{
    push_calls(3);
    lt_queue_arm_exit();
}

static void queue_exit_should_finish_within_its_timeout_when_the_backend_hangs(void)
{
    export_env_setup("q");
    struct export_rx *rx = export_rx_listen(EXPORT_RX_HANG, 0);
    CHECK(rx);
    env_otlp(rx->port);
    setenv("LANGFUSE_FLUSH_AT", "1000", 1);
    setenv("LANGFUSE_FLUSH_INTERVAL", "60", 1);
    setenv("LLMTAP_EXIT_TIMEOUT", "1", 1);
    struct prog_result r = run_prog_rx(prog_push_then_exit_on_hung_backend, 7, 10000, rx);
    CHECKF(r.status >= 0 && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 7, "status %d",
           r.status);
    fprintf(stderr, "    exit took %lld ms (LLMTAP_EXIT_TIMEOUT=1)\n", (long long)r.exit_ms);
    CHECKF(r.exit_ms < 1000 + (QUEUE_TSAN ? 700 : 300), "exit took %lld ms", (long long)r.exit_ms);
    CHECK_INT(export_rx_wait(rx, 1, 2000), 1); /* it did try, once */
    export_cleanup();
}

static void prog_send_in_flight_then_exit(void)
{
    push_calls(1);
    lt_queue_arm_exit();
    export_sleep_ms(300); /* the sender is now waiting for an answer */
}

static void queue_exit_should_cut_a_send_in_flight_when_the_backend_hangs(void)
{
    export_env_setup("q");
    struct export_rx *rx = export_rx_listen(EXPORT_RX_HANG, 0);
    CHECK(rx);
    env_otlp(rx->port);
    setenv("LANGFUSE_FLUSH_AT", "1", 1);
    setenv("LANGFUSE_TIMEOUT", "30", 1);
    setenv("LLMTAP_EXIT_TIMEOUT", "1", 1);
    struct prog_result r = run_prog_rx(prog_send_in_flight_then_exit, 7, 10000, rx);
    CHECKF(r.status >= 0 && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 7, "status %d",
           r.status);
    fprintf(stderr, "    exit took %lld ms (LLMTAP_EXIT_TIMEOUT=1)\n", (long long)r.exit_ms);
    CHECKF(r.exit_ms < 1000 + (QUEUE_TSAN ? 700 : 300), "exit took %lld ms", (long long)r.exit_ms);
    export_cleanup();
}

static void prog_refused(void)
{
    push_calls(2);
    lt_queue_arm_exit();
    int64_t t0 = export_now_ms();
    if (lt_queue_flush(5000) != LT_ERR_IO)
        _exit(90);
    if (export_now_ms() - t0 > 2500)
        _exit(91);
}

static void queue_should_give_up_quickly_when_the_backend_refuses(void)
{
    export_env_setup("q");
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/traces", export_rx_dead_port());
    setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url, 1);
    load_libcurl();
    setenv("LLMTAP_EXIT_TIMEOUT", "2", 1);
    struct prog_result r = run_prog(prog_refused, 3, 10000);
    CHECKF(r.status >= 0 && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 3, "status %d",
           WIFEXITED(r.status) ? WEXITSTATUS(r.status) : r.status);
    CHECKF(r.exit_ms < 2000, "exit took %lld ms", (long long)r.exit_ms);
    export_cleanup();
}

static void prog_no_thread(void)
{
    atomic_store(&fail_thread_create, 1);
    push_calls(3);
    lt_queue_arm_exit();
    if (llmtap_threads() != 0)
        _exit(90);
    if (lt_queue_flush(200) != LT_ERR_UNAVAIL)
        _exit(91);
}

static void queue_exit_should_send_the_calls_itself_when_no_thread_could_start(void)
{
    env_jsonl("1000", "60");
    struct prog_result r = run_prog(prog_no_thread, 7, 10000);
    CHECKF(r.status >= 0 && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 7, "status %d",
           WIFEXITED(r.status) ? WEXITSTATUS(r.status) : r.status);
    static struct spans sp;
    read_spans(out_path(), &sp);
    CHECK_INT(sp.lines, 1);
    CHECK_INT(sp.n, 4); /* 3 generations and the process span */
    validate_lines(out_path());
    export_cleanup();
}

/* An exit handler that runs after llmtap's (registered before it) and makes
 * an LLM call: refused, freed, and exit goes on. */
static void late_push(void)
{
    int64_t live = lt_mem_live_bytes();
    enum lt_rc rc = lt_queue_push(make_call());
    _exit(rc == LT_ERR_SKIP && lt_mem_live_bytes() <= live ? 7 : 8);
}

static void prog_late_push(void)
{
    atexit(late_push);
    push_calls(1);
    lt_queue_arm_exit();
}

static void queue_should_refuse_calls_pushed_after_its_exit_handler_ran(void)
{
    env_jsonl("1000", "60");
    struct prog_result r = run_prog(prog_late_push, 0, 10000);
    CHECKF(r.status >= 0 && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 7, "status %d",
           WIFEXITED(r.status) ? WEXITSTATUS(r.status) : r.status);
    static struct spans sp;
    read_spans(out_path(), &sp);
    CHECK_INT(sp.n, 2); /* the call before exit and the process span */
    export_cleanup();
}

/* fork: P pushes and exports 2 calls, leaves a third waiting in its batch,
 * forks C; C makes one call and exits; then P exits. */
static int fork_pipe[2];

static void prog_forking_parent(void)
{
    push_calls(2);
    lt_queue_arm_exit();
    if (lt_queue_flush(10000) != LT_OK)
        _exit(90);
    push_calls(1); /* waits in P's batch (FLUSH_AT, interval): C must not send it */
    export_sleep_ms(50);
    char ids[64];
    snprintf(ids, sizeof ids, "P %s\n", lt_trace_process()->span_id);
    if (write(fork_pipe[1], ids, strlen(ids)) < 0)
        _exit(93);
    fflush(NULL);
    pid_t c = fork();
    if (c == 0) {
        push_calls(1);
        snprintf(ids, sizeof ids, "C %s %s\n", lt_trace_process()->span_id,
                 lt_trace_process()->parent_span_id);
        if (write(fork_pipe[1], ids, strlen(ids)) < 0)
            _exit(94);
        exit(0);
    }
    int st = export_wait_child(c, 10000);
    if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        _exit(92);
}

static void queue_fork_child_should_export_only_its_own_spans(void)
{
    if (tsan_skip_fork())
        return;
    env_jsonl("1000", "60");
    CHECK(pipe(fork_pipe) == 0);
    struct prog_result r = run_prog(prog_forking_parent, 0, 15000);
    CHECKF(r.status >= 0 && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "status %d",
           WIFEXITED(r.status) ? WEXITSTATUS(r.status) : r.status);
    close(fork_pipe[1]);
    char buf[256] = { 0 };
    ssize_t n = read(fork_pipe[0], buf, sizeof buf - 1);
    CHECK(n > 0);
    char p_id[17] = "", c_id[17] = "", c_parent[17] = "";
    const char *pl = strstr(buf, "P "), *cl = strstr(buf, "C ");
    CHECK(pl && cl);
    CHECK(sscanf(pl, "P %16s", p_id) == 1);
    CHECK(sscanf(cl, "C %16s %16s", c_id, c_parent) == 2);
    CHECK_STR(c_parent, p_id);
    CHECK(strcmp(c_id, p_id) != 0);
    static struct spans sp;
    read_spans(out_path(), &sp);
    check_unique(&sp);
    /* P: 3 generations and its root process span */
    CHECK_INT(count_children(&sp, p_id, 3), 3);
    const struct span_info *ps = find_span(&sp, p_id);
    CHECK(ps && ps->kind == 1 && !ps->parent[0]);
    /* C: 1 generation and its process span, a child of P's */
    CHECK_INT(count_children(&sp, c_id, 3), 1);
    const struct span_info *cs = find_span(&sp, c_id);
    CHECK(cs && cs->kind == 1);
    CHECK_STR(cs->parent, p_id);
    CHECK_INT(sp.n, 6);
    validate_lines(out_path());
    export_cleanup();
}

/* fork with a span waiting in the parent's batch: a child that makes no
 * LLM call sends nothing (no parent span, no process span, no thread). Runs
 * under every sanitizer: the child starts no thread. */
static void prog_fork_quiet_child(void)
{
    push_calls(2);
    lt_queue_arm_exit();
    if (lt_queue_flush(10000) != LT_OK)
        _exit(90);
    push_calls(1); /* waits in the batch */
    fflush(NULL);
    pid_t c = fork();
    if (c == 0) {
        if (lt_queue_flush(1000) != LT_OK)
            _exit(3);
        if (llmtap_threads() != 0)
            _exit(4);
        exit(0);
    }
    int st = export_wait_child(c, 10000);
    if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        _exit(92);
}

static void queue_fork_child_without_calls_should_send_nothing(void)
{
    env_jsonl("1000", "60");
    struct prog_result r = run_prog(prog_fork_quiet_child, 0, 15000);
    CHECKF(r.status >= 0 && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "status %d",
           WIFEXITED(r.status) ? WEXITSTATUS(r.status) : r.status);
    static struct spans sp;
    read_spans(out_path(), &sp);
    check_unique(&sp);
    CHECK_INT(sp.n, 4); /* P's 3 generations and P's process span, once */
    CHECK_INT(sp.lines, 2);
    export_cleanup();
}

/* fork while 4 threads push: every child runs, exports and exits. */
static _Atomic int stress_stop;

static void *stress_pusher(void *arg)
{
    (void)arg;
    for (unsigned i = 0; !atomic_load(&stress_stop); i++) {
        lt_queue_push(make_call());
        if (i % 8 == 0)
            lt_queue_flush(1000);
        export_sleep_ms(1);
    }
    return NULL;
}

static void prog_fork_stress(void)
{
    lt_queue_arm_exit();
    push_calls(1);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, stress_pusher, NULL);
    int children = 20;
    for (int i = 0; i < children; i++) {
        fflush(NULL);
        pid_t c = fork();
        if (c == 0) {
            push_calls(1);
            enum lt_rc rc = lt_queue_flush(5000);
            if (rc != LT_OK)
                fprintf(stderr, "    fork child %d: flush: %d\n", i, (int)rc);
            exit(rc == LT_OK ? 0 : 5);
        }
        int st = export_wait_child(c, 10000);
        if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "    fork child %d: status %d\n", i, st);
            _exit(80 + i % 10);
        }
    }
    atomic_store(&stress_stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
}

static void queue_fork_should_not_deadlock_while_threads_push(void)
{
    if (tsan_skip_fork() || asan_skip_fork_stress())
        return;
    env_jsonl("8", "0.05");
    struct prog_result r = run_prog(prog_fork_stress, 0, 60000);
    CHECKF(r.status >= 0 && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "status %d",
           WIFEXITED(r.status) ? WEXITSTATUS(r.status) : r.status);
    static struct spans sp;
    read_spans(out_path(), &sp); /* every line whole JSON */
    check_unique(&sp);
    export_cleanup();
}

static const struct tap_case cases[] = {
    TAP(queue_render_call_should_produce_a_valid_export_body),
    TAP(queue_should_inflate_a_response_libcurl_left_compressed),
    TAP(queue_should_judge_a_failed_transfer_by_what_arrived),
    TAP(queue_should_export_every_call_pushed_from_8_threads),
    TAP(queue_should_send_when_flush_at_spans_wait),
    TAP(queue_should_send_after_the_flush_interval),
    TAP(queue_should_split_batches_at_the_byte_cap),
    TAP(queue_should_send_a_span_over_the_cap_alone),
    TAP(queue_should_drop_calls_when_full_and_say_so_once),
    TAP(queue_should_not_export_a_body_that_is_no_llm_call),
    TAP(queue_should_drop_every_call_of_an_unsampled_trace),
    TAP(queue_thread_should_be_named_llmtap_with_signals_blocked),
    TAP(queue_flush_should_time_out_when_the_backend_hangs),
    TAP(queue_should_export_to_an_otlp_receiver_with_langfuse_headers),
    TAP(queue_exit_should_send_the_rest_and_the_process_span),
    TAP(queue_should_start_no_thread_and_write_no_file_when_nothing_was_pushed),
    TAP(queue_exit_should_finish_within_its_timeout_when_the_backend_hangs),
    TAP(queue_exit_should_cut_a_send_in_flight_when_the_backend_hangs),
    TAP(queue_should_give_up_quickly_when_the_backend_refuses),
    TAP(queue_exit_should_send_the_calls_itself_when_no_thread_could_start),
    TAP(queue_should_refuse_calls_pushed_after_its_exit_handler_ran),
    TAP(queue_fork_child_should_export_only_its_own_spans),
    TAP(queue_fork_child_without_calls_should_send_nothing),
    TAP(queue_fork_should_not_deadlock_while_threads_push),
};

int main(int argc, char **argv)
{
    return tap_main(argc, argv, cases, TAP_N(cases));
}
