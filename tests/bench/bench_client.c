/* bench_client.c — the workloads `make bench` measures, one per mode:
 *
 *   bench_client setopt N            N ignored options (CURLOPT_VERBOSE 0) on one handle
 *   bench_client perform N           N non-LLM transfers of file:///dev/null
 *   bench_client llm URL BODY N [CASE]  N POSTs of the file BODY to URL (an LLM
 *                                    endpoint), one reused handle, output discarded;
 *                                    CASE is sent as X-Case to the replay server
 *
 * Prints "main_end_ns <CLOCK_MONOTONIC ns>" when main returns, so the runner
 * can time what happens after (the exit flush), and from an exit handler
 * registered first (so it runs last, after llmtap's) "cpu_ns <N>": the CPU
 * time of the whole process, every thread, from the kernel's exact runtime
 * accounting (rusage's user/system split is tick-sampled and too coarse for
 * a few milliseconds).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t bench_discard(char *p, size_t s, size_t n, void *u)
{
    (void)p;
    (void)u;
    return s * n;
}

static char *bench_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void bench_print_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    printf("cpu_ns %lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    atexit(bench_print_cpu);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    if (!strcmp(argv[1], "setopt")) {
        long n = atol(argv[2]);
        for (long i = 0; i < n; i++)
            curl_easy_setopt(h, CURLOPT_VERBOSE, 0L);
    } else if (!strcmp(argv[1], "perform")) {
        long n = atol(argv[2]);
        curl_easy_setopt(h, CURLOPT_URL, "file:///dev/null");
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, bench_discard);
        for (long i = 0; i < n; i++)
            curl_easy_perform(h);
    } else if (!strcmp(argv[1], "llm") && argc >= 5) {
        const char *body = bench_read(argv[3]);
        long n = atol(argv[4]);
        if (!body)
            return 2;
        struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
        hd = curl_slist_append(hd, "Authorization: Bearer sk-test-bench");
        if (argc >= 6) {
            char x[256];
            snprintf(x, sizeof x, "X-Case: %s", argv[5]);
            hd = curl_slist_append(hd, x);
        }
        curl_easy_setopt(h, CURLOPT_URL, argv[2]);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, bench_discard);
        for (long i = 0; i < n; i++)
            if (curl_easy_perform(h) != CURLE_OK)
                return 1;
        curl_slist_free_all(hd);
    } else {
        return 2;
    }
    curl_easy_cleanup(h);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    printf("main_end_ns %lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    fflush(stdout);
    return 0;
}
