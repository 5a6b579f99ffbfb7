/* export_jsonl.c — appends one OTLP/JSON body per line to the local file
 * (LLMTAP_OUTPUT, else a file in the private state directory).
 *
 * Owns one descriptor, opened lazily O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC,
 * mode 0600. Each line leaves in ONE write(2), so concurrent processes never
 * interleave. Never writes to a descriptor that is no longer ours (a program
 * that closes every fd and reuses the number), never creates a directory
 * other than the default state directory (0700), never writes stdout.
 * Entered by one sender at a time (background thread or exit handler).
 */
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"

/* Owner: the sender (one at a time, queue.c serialises); no lock. A fork
 * child keeps the descriptor: with O_APPEND its own lines land whole. */
static struct {
    int fd;      /* -1 until the first send */
    dev_t dev;   /* identity of what we opened, checked before each write */
    ino_t ino;
} jsonl = { .fd = -1 };

/* Is fd still the file we opened? A program may close it and reuse the
 * number; then it is the program's and we must neither write nor close it. */
static bool jsonl_still_ours(void)
{
    struct stat st;
    return jsonl.fd >= 0 && fstat(jsonl.fd, &st) == 0 && st.st_dev == jsonl.dev &&
           st.st_ino == jsonl.ino && S_ISREG(st.st_mode);
}

/* Creates the default state directory (0700) when path lives directly in it;
 * any other directory is the user's business. */
static void jsonl_prepare_dir(const struct lt_config *cfg, const char *path)
{
    char dir[4096];
    if (cfg->output_default) {
        (void)lt_config_state_dir(dir, sizeof dir, true);
        return;
    }
    if (lt_config_state_dir(dir, sizeof dir, false) != LT_OK)
        return;
    size_t n = strlen(dir);
    if (n && strncmp(path, dir, n) == 0 && path[n] == '/' && !strchr(path + n + 1, '/'))
        (void)lt_config_state_dir(dir, sizeof dir, true);
}

static enum lt_rc jsonl_open(const struct lt_config *cfg)
{
    if (jsonl.fd >= 0 && jsonl_still_ours())
        return LT_OK;
    jsonl.fd = -1; /* gone or reused by the program: not ours to close */
    const char *path = cfg->output_path;
    if (!path || !*path) {
        lt_log_once(LT_ONCE_OUTPUT, "no output file configured: spans are lost");
        return LT_ERR_UNAVAIL;
    }
    jsonl_prepare_dir(cfg, path);
    int fd;
    do
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        lt_log_once(LT_ONCE_OUTPUT, "cannot open %s: %s", path, strerror(errno));
        return LT_ERR_IO;
    }
    if (fd <= 2) {
        /* The program closed its stdio: keep 0-2 free for it to reopen. */
        int hi = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        close(fd);
        if (hi < 0) {
            lt_log_once(LT_ONCE_OUTPUT, "cannot open %s: %s", path, strerror(errno));
            return LT_ERR_IO;
        }
        fd = hi;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        lt_log_once(LT_ONCE_OUTPUT, "%s is not a regular file: spans are lost", path);
        return LT_ERR_IO;
    }
    jsonl.fd = fd;
    jsonl.dev = st.st_dev;
    jsonl.ino = st.st_ino;
    return LT_OK;
}

enum lt_rc lt_export_jsonl_send(const struct lt_config *cfg, const char *body, size_t len)
{
    enum lt_rc rc = jsonl_open(cfg);
    if (rc != LT_OK)
        return rc;
    /* body + '\n' in one buffer, so the line leaves in one write(2). */
    char *line = lt_malloc(len + 1);
    ssize_t w;
    if (line) {
        memcpy(line, body, len);
        for (char *p = memchr(line, '\n', len); p; p = memchr(p, '\n', len - (size_t)(p - line)))
            *p = ' '; /* cannot happen in JSON we wrote; never split a line */
        line[len] = '\n';
        do
            w = write(jsonl.fd, line, len + 1);
        while (w < 0 && errno == EINTR);
        lt_free(line);
    } else {
        /* Out of memory: writev is the same single, atomic append. */
        struct iovec iov[2] = { { (void *)body, len }, { (void *)"\n", 1 } };
        do
            w = writev(jsonl.fd, iov, 2);
        while (w < 0 && errno == EINTR);
    }
    if (w != (ssize_t)(len + 1)) {
        lt_log("write of %zu bytes to the output file failed: %s", len + 1,
               w < 0 ? strerror(errno) : "short write");
        return LT_ERR_IO;
    }
    lt_log("wrote %zu bytes to the output file", len + 1);
    return LT_OK;
}

void lt_export_jsonl_shutdown(void)
{
    if (jsonl.fd >= 0 && jsonl_still_ours())
        close(jsonl.fd);
    jsonl.fd = -1;
}

void lt_export_jsonl_fork_child(void)
{
    /* Nothing: the descriptor stays valid and O_APPEND keeps lines whole. */
}
