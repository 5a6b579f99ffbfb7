/* tap.c — runs each case in a forked child with a timeout; counts results. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tap.h"

#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void tap_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(NULL);
    _exit(1);
}

char *tap_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *d = malloc(cap + 1);
    size_t r;
    while (d && (r = fread(d + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *e = realloc(d, cap * 2 + 1);
            if (!e) { free(d); d = NULL; break; }
            d = e;
            cap *= 2;
        }
    }
    fclose(f);
    if (!d)
        return NULL;
    d[n] = '\0';
    if (len)
        *len = n;
    return d;
}

const char *tap_fixtures_dir(void)
{
    static char path[4096];
    const char *env = getenv("LLMTAP_FIXTURES");
    if (env && *env)
        snprintf(path, sizeof path, "%s", env);
    else
        snprintf(path, sizeof path, "%s", LLMTAP_ROOT "/../shared/fixtures");
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        tap_fail(__FILE__, __LINE__, "fixtures directory %s is missing", path);
    return path;
}

int tap_main(int argc, char **argv, const struct tap_case *cases, size_t n)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    const char *t = getenv("TAP_TIMEOUT");
    unsigned timeout = t ? (unsigned)atoi(t) : 60;
    size_t passed = 0, failed = 0, ran = 0;
    for (size_t i = 0; i < n; i++) {
        if (filter && !strstr(cases[i].name, filter))
            continue;
        ran++;
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            alarm(timeout);
            cases[i].fn();
            fflush(NULL);
            _exit(0);
        }
        int st = 0;
        while (pid > 0 && waitpid(pid, &st, 0) < 0) {
        }
        if (pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            passed++;
            printf("ok   %s\n", cases[i].name);
        } else {
            failed++;
            if (pid > 0 && WIFSIGNALED(st))
                printf("FAIL %s (signal %d%s)\n", cases[i].name, WTERMSIG(st),
                       WTERMSIG(st) == SIGALRM ? ": timeout" : "");
            else
                printf("FAIL %s\n", cases[i].name);
        }
    }
    if (!filter && ran != n)
        failed += n - ran;
    printf("%zu passed, %zu failed\n", passed, failed);
    return failed ? 1 : 0;
}
