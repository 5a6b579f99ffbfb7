/* bench_parse.c — what parsing one recorded call costs on the background
 * thread, per wire format: every case of ../shared/fixtures matched by its
 * URL and parsed (request + response, as the queue does) many times, fed
 * whole and in 64-byte pieces (a stream as the network delivers it).
 * Prints one line per case — bytes, µs per call (process CPU clock),
 * MB/s, allocations per call — then the median per API. Asserts nothing.
 *
 * `bench_parse --passes N` parses every case N times, whole, for callgrind:
 * tests/bench/run takes the difference between 2 passes and 1 per case, so
 * loading and start-up cancel out. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../../providers/provider.h"
#include "../../shim/json.h"
#include "../../shim/mem.h"
#include "../lib/tap.h"

#define MAX_CASES 128

struct bcase {
    char name[600];
    char api[48];
    char url[1024];
    char ct[128];
    bool has_ct;
    long status;
    char *req;
    size_t req_len;
    char *body;
    size_t body_len;
};

static struct bcase bc[MAX_CASES];
static int n_bc;

static char *slurp(const char *dir, const char *file, size_t *n)
{
    char p[1400];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    return tap_read_file(p, n);
}

static void load(const char *root)
{
    DIR *d = opendir(root);
    if (!d) {
        fprintf(stderr, "bench_parse: no fixtures at %s\n", root);
        exit(1);
    }
    struct dirent *pe;
    while ((pe = readdir(d))) {
        char pdir[600];
        if (pe->d_name[0] == '.')
            continue;
        snprintf(pdir, sizeof pdir, "%s/%s", root, pe->d_name);
        DIR *p = opendir(pdir);
        if (!p)
            continue;
        struct dirent *ce;
        while ((ce = readdir(p)) && n_bc < MAX_CASES) {
            char dir[900];
            size_t n;
            if (ce->d_name[0] == '.')
                continue;
            snprintf(dir, sizeof dir, "%s/%s", pdir, ce->d_name);
            char *m = slurp(dir, "meta.json", &n);
            if (!m)
                continue;
            cJSON *meta = lt_cj.ParseWithLength(m, n);
            free(m);
            struct bcase *c = &bc[n_bc];
            memset(c, 0, sizeof *c);
            const char *url = lt_json_str(meta, "url"), *api = lt_json_str(meta, "api");
            const char *ct = lt_json_str(meta, "content_type");
            long long st = 200;
            lt_json_int(meta, "status", &st);
            if (url && api) {
                snprintf(c->name, sizeof c->name, "%.255s/%.255s", pe->d_name, ce->d_name);
                snprintf(c->url, sizeof c->url, "%s", url);
                snprintf(c->api, sizeof c->api, "%s", api);
                if (ct) {
                    snprintf(c->ct, sizeof c->ct, "%s", ct);
                    c->has_ct = true;
                }
                c->status = (long)st;
                c->req = slurp(dir, "request.json", &c->req_len);
                c->body = slurp(dir, "response.body", &c->body_len);
                if (c->req && c->body)
                    n_bc++;
            }
            lt_cj.Delete(meta);
        }
        closedir(p);
    }
    closedir(d);
}

/* One call, as the queue parses it; piece 0: the body whole. */
static int parse_once(const struct bcase *c, size_t piece)
{
    struct lt_match m;
    if (!lt_provider_match_url(c->url, &m))
        return -1;
    struct lt_parse_in in = {
        .api = m.api, .provider = m.provider, .known_host = m.known_host, .url = c->url,
        .req = c->req, .req_len = c->req_len, .http_status = c->status,
        .content_type = c->has_ct ? c->ct : NULL,
    };
    struct lt_parser *p;
    if (lt_parser_new(&in, &p) != LT_OK)
        return -1;
    if (!piece) {
        lt_parser_feed(p, c->body, c->body_len);
    } else {
        for (size_t i = 0; i < c->body_len; i += piece)
            lt_parser_feed(p, c->body + i, c->body_len - i < piece ? c->body_len - i : piece);
    }
    struct lt_generation g = { 0 };
    enum lt_rc rc = lt_parser_finish(p, true, &g);
    lt_parser_free(p);
    lt_generation_free(&g);
    return rc == LT_OK ? 0 : -1;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmp_case(const void *a, const void *b)
{
    return strcmp(((const struct bcase *)a)->name, ((const struct bcase *)b)->name);
}

int main(int argc, char **argv)
{
    if (lt_json_load() != LT_OK) {
        fprintf(stderr, "bench_parse: cJSON cannot be loaded\n");
        return 1;
    }
    lt_provider_configure(NULL);
    load(tap_fixtures_dir());
    qsort(bc, (size_t)n_bc, sizeof bc[0], cmp_case);
    if (argc > 2 && strcmp(argv[1], "--passes") == 0) {
        int bad = 0, passes = atoi(argv[2]);
        for (int k = 0; k < passes; k++)
            for (int i = 0; i < n_bc; i++)
                bad += parse_once(&bc[i], 0) != 0;
        printf("cases %d failed %d\n", n_bc, bad);
        return bad != 0;
    }
    static double per_api[MAX_CASES][MAX_CASES];
    static char apis[MAX_CASES][48];
    static int n_per[MAX_CASES];
    int n_apis = 0;
    printf("%-58s %8s %10s %10s %8s %10s\n", "case (whole | 64-byte pieces)", "bytes", "us/call", "us/call64",
           "MB/s", "allocs");
    for (int i = 0; i < n_bc; i++) {
        const struct bcase *c = &bc[i];
        double us[2];
        uint64_t allocs = 0;
        for (int mode = 0; mode < 2; mode++) {
            size_t piece = mode ? 64 : 0;
            parse_once(c, piece); /* warm */
            int reps = 0;
            uint64_t a0 = lt_mem_count();
            double t0 = cpu_now(), t1;
            do {
                for (int k = 0; k < 20; k++)
                    parse_once(c, piece);
                reps += 20;
                t1 = cpu_now();
            } while (t1 - t0 < 0.05);
            if (!mode)
                allocs = (lt_mem_count() - a0) / (uint64_t)reps;
            us[mode] = (t1 - t0) / reps * 1e6;
        }
        printf("%-58s %8zu %10.1f %10.1f %8.0f %10llu\n", c->name, c->body_len + c->req_len, us[0], us[1],
               (c->body_len + c->req_len) / us[0], (unsigned long long)allocs);
        int a = 0;
        while (a < n_apis && strcmp(apis[a], c->api) != 0)
            a++;
        if (a == n_apis)
            snprintf(apis[n_apis++], sizeof apis[0], "%s", c->api);
        per_api[a][n_per[a]++] = us[1];
    }
    printf("\nmedian us per call, fed in 64-byte pieces, by API:\n");
    for (int a = 0; a < n_apis; a++) {
        qsort(per_api[a], (size_t)n_per[a], sizeof(double), cmp_double);
        printf("  %-30s %6.1f  (%d cases)\n", apis[a], per_api[a][n_per[a] / 2], n_per[a]);
    }
    return 0;
}
