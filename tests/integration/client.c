/* client.c — a small libcurl program for the integration tests: one mode per
 * tee edge case or exit path the shim must survive. Built by the tests
 * (harness.build_c) with `cc ... -lcurl`, run with and without the shim, and
 * its stdout and exit status compared byte for byte.
 *
 *   client MODE URL CASE BODYFILE [CASE2 BODYFILE2]
 *
 * Every request carries `Authorization: Bearer sk-test-abc123` (fake),
 * `Content-Type: application/json` and `X-Case: CASE` (the replay server's
 * choice). The body is BODYFILE, sent as the mode says. The last line of
 * stdout is "rc=N" (the last CURLcode) unless the mode says otherwise; the
 * exit status is that code. Modes:
 *
 *   default      POSTFIELDS; no WRITEFUNCTION: libcurl writes the body to stdout
 *   headerdata   WRITEFUNCTION + WRITEDATA + HEADERDATA, no HEADERFUNCTION: header
 *                lines reach the write callback with the HEADERDATA pointer; each
 *                is printed as "H: line", then the body; exit 2 on a foreign pointer
 *   dup          perform, curl_easy_duphandle, perform the duplicate
 *   replace      perform with write callback A, replace it with B, perform again
 *   pause        the write callback returns CURL_WRITEFUNC_PAUSE once; the progress
 *                callback resumes with curl_easy_pause(CURLPAUSE_CONT)
 *   short        the write callback takes one byte less than offered, once
 *   read         READFUNCTION upload with POSTFIELDSIZE (Content-Length)
 *   readchunked  READFUNCTION upload with no size (chunked)
 *   copypost     COPYPOSTFIELDS before CURLOPT_URL; the source buffer is wiped
 *                and freed before perform
 *   nonllm       GET URL (not an LLM endpoint) to stdout, then "tasks=N": the
 *                number of threads of this process after the transfer
 *   nonllmpost   as nonllm, but POSTs BODYFILE
 *   cleanup      curl_global_init, one call, curl_easy_cleanup,
 *                curl_global_cleanup; exit status 3
 *   fork         one call (CASE), fork; the child makes one call (CASE2,
 *                BODYFILE2) and exits 0; the parent waits, prints "child=N",
 *                exits 0. An optional 7th argument waits that many ms
 *                between the first call and fork().
 */
#include <curl/curl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct sink {
    const char *tag;
    char *data;
    size_t len;
    int calls;
};

static struct sink body_sink = {"body", NULL, 0, 0};
static struct sink hdr_sink = {"header", NULL, 0, 0};
static int foreign;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(100);
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
            if (!buf)
                exit(101);
        }
        size_t r = fread(buf + n, 1, 4096, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

static void sink_add(struct sink *s, const char *p, size_t n)
{
    s->data = realloc(s->data, s->len + n + 1);
    if (!s->data)
        exit(102);
    memcpy(s->data + s->len, p, n);
    s->len += n;
    s->data[s->len] = 0;
    s->calls++;
}

/* Write callback used with HEADERDATA: userdata tells body from header. */
static size_t write_tagged(char *p, size_t size, size_t n, void *ud)
{
    size_t len = size * n;
    if (ud == &hdr_sink) {
        printf("H: %.*s", (int)len, p);
        hdr_sink.calls++;
    } else if (ud == &body_sink) {
        sink_add(&body_sink, p, len);
    } else {
        foreign++;
    }
    return len;
}

static size_t write_sink(char *p, size_t size, size_t n, void *ud)
{
    sink_add(ud, p, size * n);
    return size * n;
}

static size_t write_a(char *p, size_t size, size_t n, void *ud)
{
    (void)ud;
    printf("A[%zu]", size * n);
    fwrite(p, 1, size * n, stdout);
    return size * n;
}

static size_t write_b(char *p, size_t size, size_t n, void *ud)
{
    (void)ud;
    printf("B[%zu]", size * n);
    fwrite(p, 1, size * n, stdout);
    return size * n;
}

static int paused_once, pause_pending;
static size_t write_pause(char *p, size_t size, size_t n, void *ud)
{
    if (!paused_once) {
        paused_once = 1;
        pause_pending = 1;
        return CURL_WRITEFUNC_PAUSE;
    }
    return write_sink(p, size, n, ud);
}

static int progress_resume(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt; (void)dn; (void)ut; (void)un;
    if (pause_pending) {
        pause_pending = 0;
        curl_easy_pause((CURL *)ud, CURLPAUSE_CONT);
    }
    return 0;
}

static int short_done;
static size_t write_short(char *p, size_t size, size_t n, void *ud)
{
    (void)p; (void)ud;
    if (!short_done && size * n > 0) {
        short_done = 1;
        return size * n - 1;
    }
    return size * n;
}

struct upload {
    const char *data;
    size_t len, off;
};

static size_t read_body(char *buf, size_t size, size_t n, void *ud)
{
    struct upload *u = ud;
    size_t room = size * n, left = u->len - u->off;
    /* small pieces, so the shim sees several reads */
    size_t k = left < room ? left : room;
    if (k > 37)
        k = 37;
    memcpy(buf, u->data + u->off, k);
    u->off += k;
    return k;
}

static struct curl_slist *headers_for(const char *xcase)
{
    char h[256];
    struct curl_slist *l = NULL;
    l = curl_slist_append(l, "Authorization: Bearer sk-test-abc123");
    l = curl_slist_append(l, "Content-Type: application/json");
    snprintf(h, sizeof h, "X-Case: %s", xcase);
    l = curl_slist_append(l, h);
    return l;
}

/* A handle set up for one POST of body to url. */
static CURL *post_handle(const char *url, struct curl_slist *hl, const char *body, size_t len)
{
    CURL *h = curl_easy_init();
    if (!h)
        exit(103);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    return h;
}

static int count_tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    struct dirent *e;
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void print_sink(struct sink *s)
{
    if (s->len)
        fwrite(s->data, 1, s->len, stdout);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: client MODE URL CASE BODYFILE [CASE2 BODYFILE2]\n");
        return 100;
    }
    const char *mode = argv[1], *url = argv[2], *xcase = argv[3];
    size_t len;
    char *body = slurp(argv[4], &len);
    struct curl_slist *hl = headers_for(xcase);
    CURLcode rc = CURLE_OK;

    if (!strcmp(mode, "cleanup"))
        curl_global_init(CURL_GLOBAL_DEFAULT);

    if (!strcmp(mode, "default") || !strcmp(mode, "cleanup")) {
        CURL *h = post_handle(url, hl, body, len);
        rc = curl_easy_perform(h);
        curl_easy_cleanup(h);
    } else if (!strcmp(mode, "headerdata")) {
        CURL *h = post_handle(url, hl, body, len);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_tagged);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &body_sink);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &hdr_sink);
        rc = curl_easy_perform(h);
        curl_easy_cleanup(h);
        print_sink(&body_sink);
        printf("\nheader_calls=%d foreign=%d\n", hdr_sink.calls, foreign);
        if (foreign || hdr_sink.calls == 0)
            rc = 2;
    } else if (!strcmp(mode, "dup")) {
        struct sink s1 = {"1", NULL, 0, 0}, s2 = {"2", NULL, 0, 0};
        CURL *h = post_handle(url, hl, body, len);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_sink);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &s1);
        rc = curl_easy_perform(h);
        CURL *d = curl_easy_duphandle(h);
        curl_easy_setopt(d, CURLOPT_WRITEDATA, &s2);
        CURLcode rc2 = curl_easy_perform(d);
        printf("first(%d):\n", rc);
        print_sink(&s1);
        printf("\nsecond(%d):\n", rc2);
        print_sink(&s2);
        printf("\n");
        curl_easy_cleanup(d);
        curl_easy_cleanup(h);
        if (!rc)
            rc = rc2;
    } else if (!strcmp(mode, "replace")) {
        CURL *h = post_handle(url, hl, body, len);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_a);
        rc = curl_easy_perform(h);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_b);
        CURLcode rc2 = curl_easy_perform(h);
        printf("\nfirst=%d second=%d\n", rc, rc2);
        curl_easy_cleanup(h);
        if (!rc)
            rc = rc2;
    } else if (!strcmp(mode, "pause")) {
        CURL *h = post_handle(url, hl, body, len);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_pause);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &body_sink);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_resume);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, h);
        rc = curl_easy_perform(h);
        curl_easy_cleanup(h);
        print_sink(&body_sink);
        printf("\npaused=%d\n", paused_once);
    } else if (!strcmp(mode, "short")) {
        CURL *h = post_handle(url, hl, body, len);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_short);
        rc = curl_easy_perform(h);
        curl_easy_cleanup(h);
    } else if (!strcmp(mode, "read") || !strcmp(mode, "readchunked")) {
        struct upload u = {body, len, 0};
        CURL *h = curl_easy_init();
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
        curl_easy_setopt(h, CURLOPT_READDATA, &u);
        if (!strcmp(mode, "read"))
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_sink);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &body_sink);
        rc = curl_easy_perform(h);
        curl_easy_cleanup(h);
        print_sink(&body_sink);
        printf("\nsent=%zu\n", u.off);
    } else if (!strcmp(mode, "copypost")) {
        char *copy = malloc(len + 1);
        memcpy(copy, body, len + 1);
        CURL *h = curl_easy_init();
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, copy);
        memset(copy, 'X', len);
        free(copy);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_sink);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &body_sink);
        rc = curl_easy_perform(h);
        curl_easy_cleanup(h);
        print_sink(&body_sink);
        printf("\n");
    } else if (!strcmp(mode, "nonllm") || !strcmp(mode, "nonllmpost")) {
        CURL *h = mode[6] ? post_handle(url, hl, body, len) : curl_easy_init();
        if (!mode[6]) {
            curl_easy_setopt(h, CURLOPT_URL, url);
            curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
        }
        rc = curl_easy_perform(h);
        curl_easy_cleanup(h);
        printf("\ntasks=%d\n", count_tasks());
    } else if (!strcmp(mode, "fork")) {
        if (argc < 7) {
            fprintf(stderr, "fork needs CASE2 BODYFILE2\n");
            return 100;
        }
        CURL *h = post_handle(url, hl, body, len);
        rc = curl_easy_perform(h);
        curl_easy_cleanup(h);
        printf("\nparent rc=%d\n", rc);
        fflush(stdout);
        if (argc > 7)
            usleep((useconds_t)atoi(argv[7]) * 1000);
        pid_t pid = fork();
        if (pid == 0) {
            size_t len2;
            char *body2 = slurp(argv[6], &len2);
            struct curl_slist *hl2 = headers_for(argv[5]);
            CURL *c = post_handle(url, hl2, body2, len2);
            CURLcode crc = curl_easy_perform(c);
            curl_easy_cleanup(c);
            curl_slist_free_all(hl2);
            free(body2);
            printf("\nchild rc=%d\n", crc);
            return crc ? 1 : 0;
        }
        int st = 0;
        waitpid(pid, &st, 0);
        printf("child=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        curl_slist_free_all(hl);
        free(body);
        return 0;
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 100;
    }

    curl_slist_free_all(hl);
    free(body);
    printf("rc=%d\n", rc);
    if (!strcmp(mode, "cleanup")) {
        curl_global_cleanup();
        return 3;
    }
    return (int)rc;
}
