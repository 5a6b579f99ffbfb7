/* demo_client.c — a small, ordinary libcurl program for `make demo`: one
 * chat completion with the easy interface, one streamed chat completion
 * with the multi interface, printing the answers. It knows nothing of
 * llmtap except the optional public API (llmtap.h, weak symbols): without
 * the shim preloaded it runs the same and says so.
 *
 * Owns nothing beyond its own process; never prints the API key.
 *
 *     demo_client BASE_URL          e.g. http://127.0.0.1:8080/v1
 *     OPENAI_API_KEY (default: a fake key), DEMO_STREAM_CASE (replay only:
 *     sent as X-Case to pick the recorded streamed answer)
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -I shim demo_client.c -o demo_client -lcurl
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmtap.h"

#define DEMO_MAX_BODY ((size_t)1 << 20)

struct body {
    char *data;
    size_t len;
};

static size_t collect(char *ptr, size_t size, size_t n, void *userdata)
{
    struct body *b = userdata;
    size_t add = size * n;
    if (b->len + add > DEMO_MAX_BODY)
        return 0; /* ends the transfer with CURLE_WRITE_ERROR */
    char *d = realloc(b->data, b->len + add + 1);
    if (!d)
        return 0;
    memcpy(d + b->len, ptr, add);
    b->data = d;
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

/* Prints the JSON string whose text starts at p (after its opening quote)
 * (simple escapes decoded; \uXXXX shown as '?'). Returns the end. */
static const char *print_json_string(const char *p)
{
    for (; *p && *p != '"'; p++) {
        if (*p != '\\') {
            putchar(*p);
            continue;
        }
        p++;
        switch (*p) {
        case 'n': putchar('\n'); break;
        case 't': putchar('\t'); break;
        case 'u':
            putchar('?');
            for (int i = 0; i < 4 && p[1]; i++)
                p++;
            break;
        case '\0': return p;
        default: putchar(*p); break;
        }
    }
    return p;
}

/* Prints every "content":"..." value in text (a chat completion, or SSE
 * chunks with their deltas), in order. A real program would use a JSON
 * parser; this keeps the demo free of dependencies. */
static void print_contents(const char *text)
{
    static const char key[] = "\"content\"";
    const char *p = text;
    while ((p = strstr(p, key)) != NULL) {
        p += sizeof key - 1;
        while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
            p++;
        if (*p != ':')
            continue;
        p++;
        while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
            p++;
        if (*p == '"')
            p = print_json_string(p + 1);
    }
    putchar('\n');
}

static struct curl_slist *headers(const char *key, const char *replay_case)
{
    char auth[512], xcase[256];
    struct curl_slist *h = NULL;
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
    h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "Content-Type: application/json");
    if (replay_case) {
        snprintf(xcase, sizeof xcase, "X-Case: %s", replay_case);
        h = curl_slist_append(h, xcase);
    }
    return h;
}

/* One chat completion with curl_easy_perform. */
static int chat(const char *url, const char *key)
{
    static const char req[] =
        "{\"model\":\"gpt-4o-mini\",\"temperature\":0.2,\"messages\":["
        "{\"role\":\"system\",\"content\":\"You are terse.\"},"
        "{\"role\":\"user\",\"content\":\"Name one prime number.\"}]}";
    struct body b = {0};
    struct curl_slist *h = headers(key, NULL);
    CURL *c = curl_easy_init();
    long status = 0;
    if (!c)
        return 1;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK)
        fprintf(stderr, "demo_client: %s\n", curl_easy_strerror(rc));
    else {
        printf("chat (HTTP %ld): ", status);
        print_contents(b.data ? b.data : "");
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(b.data);
    return rc == CURLE_OK && status == 200 ? 0 : 1;
}

/* One streamed chat completion driven by the multi interface. */
static int chat_stream(const char *url, const char *key, const char *replay_case)
{
    static const char req[] =
        "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
        "\"messages\":[{\"role\":\"user\",\"content\":\"Count to five.\"}]}";
    struct body b = {0};
    struct curl_slist *h = headers(key, replay_case);
    CURL *c = curl_easy_init();
    CURLM *m = curl_multi_init();
    int running = 1, ok = 0;
    long status = 0;
    if (!c || !m)
        return 1;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_multi_add_handle(m, c);
    while (running) {
        if (curl_multi_perform(m, &running) != CURLM_OK)
            break;
        if (running)
            curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left)) != NULL) {
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == c) {
            ok = msg->data.result == CURLE_OK;
            if (!ok)
                fprintf(stderr, "demo_client: %s\n", curl_easy_strerror(msg->data.result));
        }
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (ok) {
        printf("stream (HTTP %ld): ", status);
        print_contents(b.data ? b.data : "");
    }
    curl_multi_remove_handle(m, c);
    curl_easy_cleanup(c);
    curl_multi_cleanup(m);
    curl_slist_free_all(h);
    free(b.data);
    return ok && status == 200 ? 0 : 1;
}

int main(int argc, char **argv)
{
    char url[1024];
    const char *key = getenv("OPENAI_API_KEY");
    if (argc != 2) {
        fprintf(stderr, "usage: demo_client BASE_URL   (e.g. http://127.0.0.1:8080/v1)\n");
        return 2;
    }
    if (!key || !*key)
        key = "sk-demo-not-a-real-key";
    snprintf(url, sizeof url, "%s/chat/completions", argv[1]);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = chat(url, key);
    rc |= chat_stream(url, key, getenv("DEMO_STREAM_CASE"));

    /* The optional API: present only when the shim is preloaded. */
    if (llmtap_trace_id && llmtap_trace_id())
        printf("llmtap is loaded: trace %s\n", llmtap_trace_id());
    else
        printf("llmtap is not loaded\n");
    if (llmtap_flush && llmtap_flush(2000) != 0)
        fprintf(stderr, "demo_client: llmtap_flush timed out\n");
    curl_global_cleanup();
    return rc;
}
