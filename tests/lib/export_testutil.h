/* export_testutil.h — helpers shared by test_queue.c and test_export.c: a
 * private temporary directory per case, a clean environment, running
 * validate-otlp, capturing stderr, waiting for a child with a deadline.
 *
 * Header-only (the unit-test rule links one .c per test): every function is
 * static and may go unused. Test processes only; calls exit/abort freely.
 */
#ifndef EXPORT_TESTUTIL_H
#define EXPORT_TESTUTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

#define EXPORT_VALIDATOR LLMTAP_ROOT "/../shared/langfuse/validate-otlp"

extern char **environ;

#define EXPORT_UNUSED __attribute__((unused))

static char export_tdir[256]; /* this case's temporary directory */

EXPORT_UNUSED static int64_t export_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

EXPORT_UNUSED static void export_sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* Removes every LANGFUSE_*, OTEL_*, LLMTAP_* and proxy variable, makes a
 * fresh directory, and points HOME and XDG_STATE_HOME into it. */
EXPORT_UNUSED static const char *export_env_setup(const char *tag)
{
    static const char *prefixes[] = { "LANGFUSE_", "OTEL_", "LLMTAP_", "http_proxy", "https_proxy",
                                      "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy",
                                      "NO_PROXY", "no_proxy", "TRACEPARENT" };
    for (int again = 1; again;) {
        again = 0;
        for (char **e = environ; e && *e; e++) {
            for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
                if (!strncmp(*e, prefixes[i], strlen(prefixes[i]))) {
                    char name[256];
                    const char *eq = strchr(*e, '=');
                    size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
                    if (n >= sizeof name)
                        n = sizeof name - 1;
                    memcpy(name, *e, n);
                    name[n] = '\0';
                    unsetenv(name);
                    again = 1;
                    break;
                }
            }
            if (again)
                break;
        }
    }
    snprintf(export_tdir, sizeof export_tdir, "/tmp/llmtap-%s-XXXXXX", tag);
    if (!mkdtemp(export_tdir))
        tap_fail(__FILE__, __LINE__, "mkdtemp failed");
    char p[512];
    snprintf(p, sizeof p, "%s/home", export_tdir);
    setenv("HOME", p, 1);
    snprintf(p, sizeof p, "%s/state", export_tdir);
    setenv("XDG_STATE_HOME", p, 1);
    return export_tdir;
}

/* export_tdir/name into out. */
EXPORT_UNUSED static const char *export_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", export_tdir, name);
    return out;
}

static int export_rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(p);
}

/* Removes the case's directory (call at the end of a passing case). */
EXPORT_UNUSED static void export_cleanup(void)
{
    if (export_tdir[0])
        nftw(export_tdir, export_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

EXPORT_UNUSED static void export_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        tap_fail(__FILE__, __LINE__, "cannot write %s", path);
}

/* Runs validate-otlp on body (and headers when not NULL); 0 when valid. On
 * failure the validator's output goes to stderr. */
EXPORT_UNUSED static int export_validate(const char *body, size_t len, const char *headers)
{
    char bp[512], hp[512], op[512];
    static int n;
    char name[64];
    snprintf(name, sizeof name, "validate-%d-%d.json", (int)getpid(), n++);
    export_path(bp, sizeof bp, name);
    export_write_file(bp, body, len);
    snprintf(name, sizeof name, "validate-%d-%d.txt", (int)getpid(), n);
    export_path(op, sizeof op, name);
    if (headers) {
        snprintf(name, sizeof name, "headers-%d-%d.txt", (int)getpid(), n);
        export_path(hp, sizeof hp, name);
        export_write_file(hp, headers, strlen(headers));
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (headers)
            execl("/usr/bin/python3", "python3", EXPORT_VALIDATOR, "--headers", hp, bp, (char *)NULL);
        else
            execl("/usr/bin/python3", "python3", EXPORT_VALIDATOR, bp, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
    }
    int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (!ok) {
        char *out = tap_read_file(op, NULL);
        fprintf(stderr, "    validate-otlp %s:\n%s\n", bp, out ? out : "(no output)");
        free(out);
    }
    return ok ? 0 : 1;
}

/* Waits for pid at most timeout_ms; kills it after. Returns the wait status,
 * or -1 when it had to be killed. */
EXPORT_UNUSED static int export_wait_child(pid_t pid, int timeout_ms)
{
    int64_t end = export_now_ms() + timeout_ms;
    int st = 0;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return st;
        if (r < 0)
            return -1;
        if (export_now_ms() >= end) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        export_sleep_ms(5);
    }
}

/* Sends stderr to export_tdir/name (returns the path). */
EXPORT_UNUSED static const char *export_capture_stderr(const char *name)
{
    static char p[512];
    export_path(p, sizeof p, name);
    fflush(stderr);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    if (fd < 0 || dup2(fd, 2) < 0)
        tap_fail(__FILE__, __LINE__, "cannot capture stderr");
    close(fd);
    return p;
}

/* Number of occurrences of needle in hay. */
EXPORT_UNUSED static int export_count(const char *hay, const char *needle)
{
    int n = 0;
    size_t l = strlen(needle);
    for (const char *p = hay; p && (p = strstr(p, needle)); p += l)
        n++;
    return n;
}

/* Number of entries in /proc/self/task (threads of this process). */
EXPORT_UNUSED static int export_thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    if (d)
        closedir(d);
    return n;
}

#endif
