/* compressed_client.c — a libcurl program whose handles decide whether
 * libcurl decodes compressed answers in ways the curl command never does,
 * for test_compressed.py. Built by harness.build_c, run with and without
 * the shim, its stdout and exit status compared byte for byte.
 *
 *   compressed_client MODE URL CASE BODYFILE
 *
 * Every request carries `Authorization: Bearer sk-test-abc123` (fake),
 * `Content-Type: application/json`, `X-Case: CASE` and `X-Encoding: gzip`
 * (the replay server answers gzip-encoded). Prints the body libcurl
 * delivered, then "\nrc=N"; the exit status is N. Modes:
 *
 *   dup       CURLOPT_ACCEPT_ENCODING "" on a handle, curl_easy_duphandle,
 *             perform the duplicate (libcurl decodes: it copied the option)
 *   nodecode  CURLOPT_ACCEPT_ENCODING "" and CURLOPT_HTTP_CONTENT_DECODING 0
 *             (libcurl asks for gzip but leaves the body compressed)
 *   reset     CURLOPT_ACCEPT_ENCODING "", curl_easy_reset, then the
 *             program's own `Accept-Encoding: gzip` header (the body stays
 *             compressed: the reset forgot the option)
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(100);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n)
        exit(101);
    fclose(f);
    b[n] = '\0';
    *len = (size_t)n;
    return b;
}

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
    (void)ud;
    return fwrite(p, size, n, stdout);
}

static struct curl_slist *headers(const char *xcase, int own_accept)
{
    char line[256];
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Authorization: Bearer sk-test-abc123");
    h = curl_slist_append(h, "Content-Type: application/json");
    snprintf(line, sizeof line, "X-Case: %s", xcase);
    h = curl_slist_append(h, line);
    h = curl_slist_append(h, "X-Encoding: gzip");
    if (own_accept)
        h = curl_slist_append(h, "Accept-Encoding: gzip");
    return h;
}

static void request(CURL *h, const char *url, struct curl_slist *hd, const char *body, size_t len)
{
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s dup|nodecode|reset URL CASE BODYFILE\n", argv[0]);
        return 64;
    }
    const char *mode = argv[1], *url = argv[2], *xcase = argv[3];
    size_t len;
    char *body = slurp(argv[4], &len);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    struct curl_slist *hd = headers(xcase, 0), *own = headers(xcase, 1);
    CURLcode rc;
    if (!strcmp(mode, "dup")) {
        request(h, url, hd, body, len);
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
        CURL *d = curl_easy_duphandle(h);
        rc = curl_easy_perform(d);
        curl_easy_cleanup(d);
    } else if (!strcmp(mode, "nodecode")) {
        request(h, url, hd, body, len);
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
        rc = curl_easy_perform(h);
    } else if (!strcmp(mode, "reset")) {
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_reset(h);
        request(h, url, own, body, len);
        rc = curl_easy_perform(h);
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 64;
    }
    printf("\nrc=%d\n", (int)rc);
    curl_easy_cleanup(h);
    curl_slist_free_all(hd);
    curl_slist_free_all(own);
    curl_global_cleanup();
    free(body);
    return (int)rc;
}
