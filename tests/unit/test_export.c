/* test_export.c — the exporters on their own: the JSONL file (one write per
 * line, private modes, a descriptor the program took back) and OTLP/HTTP
 * through the real libcurl against a local receiver (headers, keep-alive,
 * errors, retries only when refused, deadlines, the exit-time cut, fork).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../../shim/call.h"
#include "../../shim/config.h"
#include "../../shim/export.h"
#include "../../shim/log.h"
#include "../lib/export_receiver.h"
#include "../lib/export_testutil.h"
#include "../lib/tap.h"

/* ThreadSanitizer: cases fork from a process that runs receiver threads. */
__attribute__((visibility("default"))) const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
    return "die_after_fork=0";
}

#define BODY "{\"resourceSpans\":[]}"

static int64_t ms_from_now(int64_t ms)
{
    return lt_mono_ns() + ms * 1000000;
}

static void load_libcurl(void)
{
    CHECKF(dlopen("libcurl.so.4", RTLD_NOW | RTLD_GLOBAL) != NULL, "dlopen libcurl: %s", dlerror());
}

static struct lt_config otlp_config(int port, const char *path)
{
    static char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    struct lt_config c;
    memset(&c, 0, sizeof c);
    c.enabled = true;
    c.dest = LT_DEST_OTLP_HTTP;
    c.endpoint = url;
    c.timeout_ms = 5000;
    return c;
}

static struct lt_config jsonl_config(const char *path)
{
    struct lt_config c;
    memset(&c, 0, sizeof c);
    c.enabled = true;
    c.dest = LT_DEST_JSONL;
    c.output_path = (char *)path;
    return c;
}

/* ------------------------------------------------------------ JSONL */

static void export_jsonl_should_append_one_line_per_body(void)
{
    export_env_setup("ex");
    char p[512];
    struct lt_config c = jsonl_config(export_path(p, sizeof p, "out.jsonl"));
    CHECK_INT(lt_export_send(&c, "{\"a\":1}", 7, ms_from_now(1000)), LT_OK);
    CHECK_INT(lt_export_send(&c, "{\"b\":2}", 7, ms_from_now(1000)), LT_OK);
    CHECK_INT(lt_export_jsonl_send(&c, "{\"c\":3}", 7), LT_OK);
    size_t n = 0;
    char *d = tap_read_file(p, &n);
    CHECK_STR(d, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
    struct stat st;
    CHECK(stat(p, &st) == 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    free(d);
    lt_export_shutdown();
    export_cleanup();
}

static void export_jsonl_should_never_split_a_line_on_a_newline(void)
{
    export_env_setup("ex");
    char p[512];
    struct lt_config c = jsonl_config(export_path(p, sizeof p, "out.jsonl"));
    CHECK_INT(lt_export_send(&c, "{\"a\":\n1}", 8, ms_from_now(1000)), LT_OK);
    char *d = tap_read_file(p, NULL);
    CHECK_STR(d, "{\"a\": 1}\n");
    free(d);
    export_cleanup();
}

static void export_jsonl_should_create_the_default_state_dir_private(void)
{
    export_env_setup("ex");
    char dir[512], p[600];
    CHECK_INT(lt_config_state_dir(dir, sizeof dir, false), LT_OK);
    struct stat st;
    CHECK(stat(dir, &st) != 0); /* not there yet */
    snprintf(p, sizeof p, "%s/traces.jsonl", dir);
    struct lt_config c = jsonl_config(p);
    CHECK_INT(lt_export_send(&c, BODY, strlen(BODY), ms_from_now(1000)), LT_OK);
    CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK_INT(st.st_mode & 0777, 0700);
    CHECK(stat(p, &st) == 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    export_cleanup();
}

static void export_jsonl_should_not_create_other_directories(void)
{
    export_env_setup("ex");
    char p[512];
    struct lt_config c = jsonl_config(export_path(p, sizeof p, "missing/out.jsonl"));
    CHECK_INT(lt_export_send(&c, BODY, strlen(BODY), ms_from_now(1000)), LT_ERR_IO);
    struct stat st;
    CHECK(stat(export_path(p, sizeof p, "missing"), &st) != 0);
    export_cleanup();
}

static int find_fd_of(const char *path)
{
    for (int fd = 3; fd < 1024; fd++) {
        char link[64], target[512];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0) {
            target[n] = '\0';
            if (!strcmp(target, path))
                return fd;
        }
    }
    return -1;
}

static void export_jsonl_should_not_write_to_a_descriptor_the_program_took_back(void)
{
    export_env_setup("ex");
    char p[512], other[512];
    struct lt_config c = jsonl_config(export_path(p, sizeof p, "out.jsonl"));
    CHECK_INT(lt_export_send(&c, BODY, strlen(BODY), ms_from_now(1000)), LT_OK);
    int fd = find_fd_of(p);
    CHECK(fd >= 3);
    /* The program closes every descriptor and opens its own file, which
     * gets the same number. */
    close(fd);
    int mine = open(export_path(other, sizeof other, "program.txt"), O_RDWR | O_CREAT, 0600);
    CHECK_INT(mine, fd);
    CHECK_INT(lt_export_send(&c, BODY, strlen(BODY), ms_from_now(1000)), LT_OK);
    struct stat st;
    CHECK(fstat(mine, &st) == 0);
    CHECK_INT(st.st_size, 0);
    char *d = tap_read_file(p, NULL);
    CHECK_STR(d, BODY "\n" BODY "\n");
    free(d);
    /* Shutdown must not close the program's descriptor either. */
    lt_export_shutdown();
    CHECK(fcntl(mine, F_GETFD) >= 0);
    export_cleanup();
}

static void export_jsonl_should_keep_stdio_numbers_free(void)
{
    export_env_setup("ex");
    char p[512];
    struct lt_config c = jsonl_config(export_path(p, sizeof p, "out.jsonl"));
    int saved = dup(0);
    close(0); /* the program closed stdin: our open() would get 0 */
    CHECK_INT(lt_export_send(&c, BODY, strlen(BODY), ms_from_now(1000)), LT_OK);
    CHECK(fcntl(0, F_GETFD) < 0 && errno == EBADF);
    CHECK(find_fd_of(p) >= 3);
    dup2(saved, 0);
    export_cleanup();
}

/* 4 processes × 40 lines of 96 KiB: each line arrives whole. */
static void export_jsonl_should_keep_lines_whole_across_processes(void)
{
    export_env_setup("ex");
    char p[512];
    export_path(p, sizeof p, "out.jsonl");
    enum { PROCS = 4, LINES = 40, SIZE = 96 << 10 };
    pid_t pids[PROCS];
    for (int i = 0; i < PROCS; i++) {
        fflush(NULL);
        pids[i] = fork();
        if (pids[i] == 0) {
            struct lt_config c = jsonl_config(p);
            char *b = malloc(SIZE);
            memset(b, 'a' + i, SIZE);
            memcpy(b, "{\"x\":\"", 6);
            memcpy(b + SIZE - 2, "\"}", 2);
            for (int k = 0; k < LINES; k++)
                if (lt_export_send(&c, b, SIZE, ms_from_now(5000)) != LT_OK)
                    _exit(2);
            _exit(0);
        }
    }
    for (int i = 0; i < PROCS; i++) {
        int st = export_wait_child(pids[i], 30000);
        CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    size_t n = 0;
    char *d = tap_read_file(p, &n);
    CHECK(d != NULL);
    CHECK_INT(n, (size_t)PROCS * LINES * (SIZE + 1));
    for (size_t off = 0; off < n; off += SIZE + 1) {
        CHECK(!memcmp(d + off, "{\"x\":\"", 6));
        char ch = d[off + 6];
        CHECK(ch >= 'a' && ch < 'a' + PROCS);
        for (size_t k = 6; k < SIZE - 2; k++)
            if (d[off + k] != ch)
                tap_fail(__FILE__, __LINE__, "line at %zu is torn at %zu", off, k);
        CHECK(d[off + SIZE] == '\n');
    }
    free(d);
    export_cleanup();
}

/* ------------------------------------------------------------ OTLP */

static void export_otlp_should_post_the_body_with_its_headers_on_one_connection(void)
{
    export_env_setup("ex");
    load_libcurl();
    struct export_rx *rx = export_rx_start(EXPORT_RX_REPLY, 200);
    CHECK(rx);
    struct lt_config c = otlp_config(rx->port, "/api/public/otel/v1/traces");
    c.langfuse_auth = true;
    c.auth_header = "Authorization: Basic cGstbGYtdGVzdDpzay1sZi10ZXN0";
    c.n_headers = 2;
    c.headers[0] = "x-extra: one";
    c.headers[1] = "X-Tenant: blue";
    CHECK_INT(lt_export_send(&c, BODY, strlen(BODY), ms_from_now(5000)), LT_OK);
    CHECK_INT(lt_export_send(&c, "{\"resourceSpans\":[{}]}", 22, ms_from_now(5000)), LT_OK);
    CHECK_INT(export_rx_wait(rx, 2, 2000), 2);
    struct export_rx_req q = export_rx_get(rx, 0);
    char v[256];
    CHECK(!strncmp(q.head, "POST /api/public/otel/v1/traces HTTP/1.1\r\n", 42));
    CHECK_STR(export_rx_header(q.head, "Content-Type", v, sizeof v), "application/json");
    CHECK_STR(export_rx_header(q.head, "Authorization", v, sizeof v),
              "Basic cGstbGYtdGVzdDpzay1sZi10ZXN0");
    CHECK_STR(export_rx_header(q.head, "x-langfuse-ingestion-version", v, sizeof v), "4");
    CHECK_STR(export_rx_header(q.head, "x-extra", v, sizeof v), "one");
    CHECK_STR(export_rx_header(q.head, "X-Tenant", v, sizeof v), "blue");
    CHECK_STR(export_rx_header(q.head, "User-Agent", v, sizeof v), "llmtap/" LLMTAP_VERSION);
    CHECK(!export_rx_header(q.head, "Expect", v, sizeof v));
    CHECK_INT(q.body_len, strlen(BODY));
    CHECK_STR(q.body, BODY);
    struct export_rx_req q2 = export_rx_get(rx, 1);
    CHECK_STR(q2.body, "{\"resourceSpans\":[{}]}");
    CHECK_INT(q2.conn, q.conn); /* keep-alive: the same connection */
    int n_conn = 0;
    export_rx_counts(rx, NULL, &n_conn);
    CHECK_INT(n_conn, 1);
    lt_export_shutdown();
    export_cleanup();
}

static void export_otlp_should_send_no_langfuse_headers_without_keys(void)
{
    export_env_setup("ex");
    load_libcurl();
    struct export_rx *rx = export_rx_start(EXPORT_RX_REPLY, 200);
    struct lt_config c = otlp_config(rx->port, "/v1/traces");
    CHECK_INT(lt_export_send(&c, BODY, strlen(BODY), ms_from_now(5000)), LT_OK);
    CHECK_INT(export_rx_wait(rx, 1, 2000), 1);
    struct export_rx_req q = export_rx_get(rx, 0);
    char v[256];
    CHECK(!export_rx_header(q.head, "Authorization", v, sizeof v));
    CHECK(!export_rx_header(q.head, "x-langfuse-ingestion-version", v, sizeof v));
    CHECK_STR(export_rx_header(q.head, "Content-Type", v, sizeof v), "application/json");
    export_cleanup();
}

/* A large body: no "Expect: 100-continue" round trip, all bytes arrive. */
static void export_otlp_should_send_a_large_body_without_waiting_for_continue(void)
{
    export_env_setup("ex");
    load_libcurl();
    struct export_rx *rx = export_rx_start(EXPORT_RX_REPLY, 200);
    struct lt_config c = otlp_config(rx->port, "/v1/traces");
    size_t n = 3 << 20;
    char *b = malloc(n);
    memset(b, 'x', n);
    int64_t t0 = export_now_ms();
    CHECK_INT(lt_export_send(&c, b, n, ms_from_now(10000)), LT_OK);
    CHECK(export_now_ms() - t0 < 900); /* curl waits 1 s for a 100 otherwise */
    struct export_rx_req q = export_rx_get(rx, 0);
    CHECK_INT(q.body_len, n);
    CHECK(!memcmp(q.body, b, n));
    free(b);
    export_cleanup();
}

static void export_otlp_should_report_an_http_error_once_without_secrets(void)
{
    export_env_setup("ex");
    setenv("LANGFUSE_DEBUG", "true", 1);
    lt_log_reset();
    load_libcurl();
    const char *errp = export_capture_stderr("stderr.txt");
    struct export_rx *rx = export_rx_start(EXPORT_RX_REPLY, 500);
    struct lt_config c = otlp_config(rx->port, "/v1/traces?token=query-secret");
    c.langfuse_auth = true;
    c.auth_header = "Authorization: Basic c2VjcmV0LXZhbHVl";
    c.n_headers = 1;
    c.headers[0] = "x-api-key: header-secret";
    CHECK_INT(lt_export_send(&c, BODY, strlen(BODY), ms_from_now(5000)), LT_ERR_IO);
    int n_req = 0;
    export_rx_counts(rx, &n_req, NULL);
    CHECK_INT(n_req, 1); /* the backend answered: never resent */
    char *log = tap_read_file(errp, NULL);
    CHECK(log != NULL);
    CHECKF(export_count(log, "HTTP 500") == 1, "log: %s", log);
    CHECK(!strstr(log, "c2VjcmV0LXZhbHVl"));
    CHECK(!strstr(log, "header-secret"));
    CHECK(!strstr(log, "query-secret"));
    free(log);
    export_cleanup();
}

static void export_otlp_should_retry_only_while_the_connection_is_refused(void)
{
    export_env_setup("ex");
    load_libcurl();
    struct lt_config c = otlp_config(export_rx_dead_port(), "/v1/traces");
    int64_t t0 = export_now_ms();
    CHECK_INT(lt_export_send(&c, BODY, strlen(BODY), ms_from_now(5000)), LT_ERR_IO);
    int64_t took = export_now_ms() - t0;
    /* three attempts, 100 ms and 300 ms apart */
    CHECKF(took >= 350 && took < 2500, "took %lld ms", (long long)took);
    /* with less time left than a backoff: one attempt, back at once */
    t0 = export_now_ms();
    CHECK(lt_export_send(&c, BODY, strlen(BODY), ms_from_now(50)) != LT_OK);
    took = export_now_ms() - t0;
    CHECKF(took < 300, "took %lld ms", (long long)took);
    export_cleanup();
}

static void export_otlp_should_end_by_its_deadline_when_the_backend_hangs(void)
{
    export_env_setup("ex");
    load_libcurl();
    struct export_rx *rx = export_rx_start(EXPORT_RX_HANG, 0);
    struct lt_config c = otlp_config(rx->port, "/v1/traces");
    c.timeout_ms = 30000;
    int64_t t0 = export_now_ms();
    CHECK_INT(lt_export_send(&c, BODY, strlen(BODY), ms_from_now(700)), LT_ERR_TIMEOUT);
    int64_t took = export_now_ms() - t0;
    CHECKF(took >= 600 && took < 1300, "took %lld ms", (long long)took);
    int n_req = 0;
    export_rx_counts(rx, &n_req, NULL);
    CHECK_INT(n_req, 1); /* the request was sent: never resent */
    /* LANGFUSE_TIMEOUT bounds a request when the deadline is further. */
    c.timeout_ms = 400;
    t0 = export_now_ms();
    CHECK_INT(lt_export_send(&c, BODY, strlen(BODY), ms_from_now(30000)), LT_ERR_TIMEOUT);
    took = export_now_ms() - t0;
    CHECKF(took >= 350 && took < 1100, "took %lld ms", (long long)took);
    /* A deadline already past: nothing is attempted. */
    CHECK_INT(lt_export_send(&c, BODY, strlen(BODY), lt_mono_ns() - 1), LT_ERR_TIMEOUT);
    export_cleanup();
}

struct send_job {
    struct lt_config *cfg;
    int64_t deadline;
    _Atomic int rc;
    _Atomic int done;
};

static void *send_thread(void *arg)
{
    struct send_job *j = arg;
    atomic_store(&j->rc, (int)lt_export_send(j->cfg, BODY, strlen(BODY), j->deadline));
    atomic_store(&j->done, 1);
    return NULL;
}

static void export_otlp_should_abort_a_request_in_flight_at_the_exit_cut(void)
{
    export_env_setup("ex");
    load_libcurl();
    struct export_rx *rx = export_rx_start(EXPORT_RX_HANG, 0);
    struct lt_config c = otlp_config(rx->port, "/v1/traces");
    c.timeout_ms = 30000;
    struct send_job j = { &c, ms_from_now(30000), -1, 0 };
    pthread_t t;
    pthread_create(&t, NULL, send_thread, &j);
    CHECK_INT(export_rx_wait(rx, 1, 5000), 1);
    int64_t t0 = export_now_ms();
    lt_export_cut_deadline(ms_from_now(200));
    pthread_join(t, NULL);
    int64_t took = export_now_ms() - t0;
    CHECK_INT(atomic_load(&j.rc), LT_ERR_TIMEOUT);
    /* the progress callback runs about once a second while idle */
    CHECKF(took < 1600, "took %lld ms", (long long)took);
    /* later sends honour the cut too */
    CHECK_INT(lt_export_send(&c, BODY, strlen(BODY), ms_from_now(30000)), LT_ERR_TIMEOUT);
    export_cleanup();
}

static void export_otlp_should_park_a_sender_the_exit_handler_abandoned(void)
{
    export_env_setup("ex");
    load_libcurl();
    struct export_rx *rx = export_rx_start(EXPORT_RX_HANG, 0);
    struct lt_config c = otlp_config(rx->port, "/v1/traces");
    c.timeout_ms = 1000;
    struct send_job j = { &c, ms_from_now(1000), -1, 0 };
    pthread_t t;
    pthread_create(&t, NULL, send_thread, &j);
    CHECK_INT(export_rx_wait(rx, 1, 5000), 1);
    lt_export_abandon();
    /* Its timeout passes, yet it never comes back from libcurl. */
    export_sleep_ms(2200);
    CHECK_INT(atomic_load(&j.done), 0);
    export_cleanup();
}

static void export_otlp_should_fail_without_a_loaded_libcurl(void)
{
    export_env_setup("ex");
    struct lt_config c = otlp_config(9, "/v1/traces");
    CHECK_INT(lt_export_send(&c, BODY, strlen(BODY), ms_from_now(1000)), LT_ERR_UNAVAIL);
    c.dest = LT_DEST_NONE;
    CHECK_INT(lt_export_send(&c, BODY, strlen(BODY), ms_from_now(1000)), LT_ERR_UNAVAIL);
    export_cleanup();
}

static void export_otlp_fork_child_should_open_its_own_connection(void)
{
    export_env_setup("ex");
    load_libcurl();
    struct export_rx *rx = export_rx_start(EXPORT_RX_REPLY, 200);
    struct lt_config c = otlp_config(rx->port, "/v1/traces");
    CHECK_INT(lt_export_send(&c, BODY, strlen(BODY), ms_from_now(5000)), LT_OK);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        lt_export_fork_child();
        _exit(lt_export_send(&c, BODY, strlen(BODY), ms_from_now(5000)) == LT_OK ? 0 : 3);
    }
    int st = export_wait_child(pid, 10000);
    CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_INT(lt_export_send(&c, BODY, strlen(BODY), ms_from_now(5000)), LT_OK);
    CHECK_INT(export_rx_wait(rx, 3, 2000), 3);
    CHECK_INT(export_rx_get(rx, 0).conn, 1);
    CHECK_INT(export_rx_get(rx, 1).conn, 2); /* the child's own */
    CHECK_INT(export_rx_get(rx, 2).conn, 1); /* the parent's is intact */
    export_cleanup();
}

static const struct tap_case cases[] = {
    TAP(export_jsonl_should_append_one_line_per_body),
    TAP(export_jsonl_should_never_split_a_line_on_a_newline),
    TAP(export_jsonl_should_create_the_default_state_dir_private),
    TAP(export_jsonl_should_not_create_other_directories),
    TAP(export_jsonl_should_not_write_to_a_descriptor_the_program_took_back),
    TAP(export_jsonl_should_keep_stdio_numbers_free),
    TAP(export_jsonl_should_keep_lines_whole_across_processes),
    TAP(export_otlp_should_post_the_body_with_its_headers_on_one_connection),
    TAP(export_otlp_should_send_no_langfuse_headers_without_keys),
    TAP(export_otlp_should_send_a_large_body_without_waiting_for_continue),
    TAP(export_otlp_should_report_an_http_error_once_without_secrets),
    TAP(export_otlp_should_retry_only_while_the_connection_is_refused),
    TAP(export_otlp_should_end_by_its_deadline_when_the_backend_hangs),
    TAP(export_otlp_should_abort_a_request_in_flight_at_the_exit_cut),
    TAP(export_otlp_should_park_a_sender_the_exit_handler_abandoned),
    TAP(export_otlp_should_fail_without_a_loaded_libcurl),
    TAP(export_otlp_fork_child_should_open_its_own_connection),
};

int main(int argc, char **argv)
{
    return tap_main(argc, argv, cases, TAP_N(cases));
}
