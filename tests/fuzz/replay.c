/* replay.c — a plain main for a fuzz target: runs LLVMFuzzerTestOneInput
 * over seed inputs built from ../shared/fixtures (every response body, with
 * several flag/split prefixes) and over every file in the target's saved
 * corpus directory, so `make test` proves the harness and replays crashers
 * that were fixed. One tap case per source; "N passed, N failed" at the end. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/tap.h"
#include "fuzz.h"

#ifndef FUZZ_NAME
#error "FUZZ_NAME (the target's corpus directory name) must be defined"
#endif

static void replay_file_with_prefixes(const char *path, const char *req_path)
{
    size_t n = 0, rn = 0;
    char *body = tap_read_file(path, &n);
    char *req = req_path ? tap_read_file(req_path, &rn) : NULL;
    if (!body)
        return;
    static const uint8_t prefixes[][3] = {{0, 0, 255}, {1, 7, 0}, {1, 9, 96}, {9, 3, 2},
                                          {13, 200, 31}, {2, 1, 1}, {5, 77, 4}};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t len = 3 + (req ? rn + 1 : 0) + n;
        uint8_t *buf = malloc(len);
        memcpy(buf, prefixes[i], 3);
        size_t off = 3;
        if (req) {
            memcpy(buf + off, req, rn);
            off += rn;
            buf[off++] = 0xFF;
        }
        memcpy(buf + off, body, n);
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
    }
    free(body);
    free(req);
}

static void replay_should_survive_every_fixture(void)
{
    const char *root = tap_fixtures_dir();
    DIR *d = opendir(root);
    CHECK(d != NULL);
    int cases = 0;
    struct dirent *pe;
    while ((pe = readdir(d))) {
        if (pe->d_name[0] == '.')
            continue;
        char pdir[4096];
        snprintf(pdir, sizeof pdir, "%s/%s", root, pe->d_name);
        DIR *p = opendir(pdir);
        if (!p)
            continue;
        struct dirent *ce;
        while ((ce = readdir(p))) {
            char body[4600], req[4600];
            snprintf(body, sizeof body, "%s/%s/response.body", pdir, ce->d_name);
            snprintf(req, sizeof req, "%s/%s/request.json", pdir, ce->d_name);
            struct stat st;
            if (ce->d_name[0] == '.' || stat(body, &st) != 0)
                continue;
            replay_file_with_prefixes(body, req);
            cases++;
        }
        closedir(p);
    }
    closedir(d);
    CHECKF(cases >= 40, "only %d fixture cases replayed", cases);
}

static void replay_should_survive_the_saved_corpus(void)
{
    const char *dir = LLMTAP_ROOT "/tests/fuzz/corpus/" FUZZ_NAME;
    DIR *d = opendir(dir);
    if (!d)
        return; /* no saved inputs yet */
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[4400];
        size_t n = 0;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *data = tap_read_file(path, &n);
        if (data)
            LLVMFuzzerTestOneInput((const uint8_t *)data, n);
        free(data);
    }
    closedir(d);
}

static const struct tap_case cases[] = {
    TAP(replay_should_survive_every_fixture),
    TAP(replay_should_survive_the_saved_corpus),
};

int main(int argc, char **argv)
{
    return tap_main(argc, argv, cases, TAP_N(cases));
}
