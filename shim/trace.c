/* trace.c — trace and span ids, and this process's own span context.
 *
 * Owns trace_proc: filled once by trace_init under trace_once, then changed
 * only by lt_trace_fork_child (in a fork child, before any other thread
 * exists there) and by lt_trace_set_name (name only, under trace_name_lock).
 * Ids come straight from getrandom(2), never from a pool a fork could copy.
 * Never keeps the command line: /proc/self/cmdline is read into a stack
 * buffer, argv[0]'s basename and an interpreter's script path are copied out,
 * and the buffer is wiped. Any thread; the fork handler runs in the child.
 */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "config.h"
#include "mem.h"

/* argv[0] and an interpreter's script come first; anything past this much of
 * the command line is never needed (and never kept). */
#define TRACE_CMDLINE_MAX 16384
#define TRACE_ARGV_MAX 64

static struct lt_process trace_proc;      /* see the file comment for writers */
static pthread_once_t trace_once = PTHREAD_ONCE_INIT;
/* Guards trace_proc.name, trace_override and trace_default_name: a spinlock,
 * not a mutex, so that the fork child can simply reset it. */
static atomic_flag trace_name_lock = ATOMIC_FLAG_INIT;
static char trace_override[256];          /* llmtap_set_trace_name, under the lock */
static bool trace_has_override;           /* under the lock */
static char trace_default_name[256];      /* set once by trace_init, under the lock */
static bool trace_ready;                  /* trace_init done; under the lock */
static _Atomic uint64_t trace_weak_counter;

static void trace_lock(void)
{
    while (atomic_flag_test_and_set_explicit(&trace_name_lock, memory_order_acquire)) {
    }
}

static void trace_unlock(void)
{
    atomic_flag_clear_explicit(&trace_name_lock, memory_order_release);
}

/* ------------------------------------------------------------ randomness */

static size_t trace_urandom(unsigned char *p, size_t n)
{
    size_t got = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r > 0)
            got += (size_t)r;
        else if (!(r < 0 && errno == EINTR))
            break;
    }
    close(fd);
    return got;
}

/* Last resort (no getrandom, no /dev/urandom, e.g. a seccomp sandbox): still
 * unique per call and per process, not unpredictable. */
static void trace_weak(unsigned char *p, size_t n)
{
    struct timespec a, b;
    clock_gettime(CLOCK_REALTIME, &a);
    clock_gettime(CLOCK_MONOTONIC, &b);
    uint64_t x = (uint64_t)a.tv_sec * 1000000000u + (uint64_t)a.tv_nsec;
    x ^= ((uint64_t)b.tv_nsec << 20) ^ ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)&a;
    x += atomic_fetch_add_explicit(&trace_weak_counter, 1, memory_order_relaxed) * 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < n; i++) {
        if (i % 8 == 0) { /* splitmix64 */
            x += 0x9E3779B97F4A7C15u;
            uint64_t z = x;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
            x = z ^ (z >> 31);
        }
        p[i] = (unsigned char)(x >> (8 * (i % 8)));
    }
}

/* n random bytes, not all zero. Keeps errno: the fork child handler and the
 * background thread must not disturb what a program reads after fork(). */
static void trace_random(unsigned char *p, size_t n)
{
    int saved = errno;
    for (int attempt = 0; attempt < 4; attempt++) {
        size_t got = 0;
        while (got < n) {
            /* non-blocking: before the entropy pool is ready, urandom serves */
            ssize_t r = getrandom(p + got, n - got, GRND_NONBLOCK);
            if (r > 0)
                got += (size_t)r;
            else if (!(r < 0 && errno == EINTR))
                break;
        }
        if (got < n)
            got += trace_urandom(p + got, n - got);
        if (got < n)
            trace_weak(p + got, n - got);
        for (size_t i = 0; i < n; i++) {
            if (p[i]) {
                errno = saved;
                return;
            }
        }
    }
    p[n - 1] = 1; /* never all zero: OTLP treats a zero id as invalid */
    errno = saved;
}

static void trace_hex(const unsigned char *p, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[p[i] >> 4];
        out[2 * i + 1] = hex[p[i] & 15];
    }
    out[2 * n] = '\0';
}

void lt_trace_new_span_id(char out[17])
{
    unsigned char b[8];
    trace_random(b, sizeof b);
    trace_hex(b, sizeof b, out);
}

void lt_trace_new_trace_id(char out[33])
{
    unsigned char b[16];
    trace_random(b, sizeof b);
    trace_hex(b, sizeof b, out);
}

static int trace_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

bool lt_trace_id_valid(const char *s)
{
    bool nonzero = false;
    if (!s)
        return false;
    for (int i = 0; i < 32; i++) {
        if (trace_hexval(s[i]) < 0)
            return false;
        nonzero = nonzero || s[i] != '0';
    }
    return s[32] == '\0' && nonzero;
}

bool lt_trace_sampled(const char *trace_id, double rate)
{
    if (rate >= 1.0)
        return true;
    if (!(rate > 0.0) || !trace_id)
        return false;
    uint64_t x = 0;
    for (int i = 0; i < 16; i++) {
        int h = trace_hexval(trace_id[i]);
        if (h < 0)
            return true; /* not an id we made: keep rather than lose */
        x = x << 4 | (uint64_t)h;
    }
    return (double)x / 18446744073709551616.0 < rate;
}

/* ------------------------------------------------------------ names */

/* Copies at most n-1 bytes, never ending inside a UTF-8 sequence. */
static void trace_copy(char *dst, size_t n, const char *src)
{
    size_t l = strlen(src);
    if (l >= n) {
        l = n - 1;
        while (l > 0 && ((unsigned char)src[l] & 0xC0) == 0x80)
            l--;
    }
    memcpy(dst, src, l);
    dst[l] = '\0';
}

static const char *trace_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s && s[1] ? s + 1 : path;
}

/* How an interpreter's command line names its script. Short options are
 * letters of a cluster ("-Wignore", "-xc"); long ones are whole words. */
/* Arrays, not pointers: a table of pointers costs a load-time relocation
 * per entry in every process the shim is preloaded into. */
struct trace_interp {
    char name[8];            /* basename (or its prefix when `prefix`) */
    bool prefix;             /* python3.11, perl5.36, php8.2, lua5.4, tclsh8.6 */
    char code[8];            /* flags whose argument is program text: no script */
    char arg[8];             /* flags that take an argument (attached or next word) */
    char script[4];          /* flags whose argument is the script or module */
    char long_code[24];      /* "|--eval|" */
    char long_arg[56];       /* "|--require|" (takes the next word unless "=") */
    char long_script[16];    /* "|--file|" */
};

static const struct trace_interp trace_interps[] = {
    { "python", true, "c", "WX", "m", "", "", "" },
    { "perl", true, "eE", "", "", "", "", "" },
    { "ruby", true, "e", "IrCE", "", "", "", "" },
    { "php", true, "rBRE", "cdzS", "f", "", "", "" },
    { "node", false, "ep", "r", "", "|--eval|--print|", "|--require|--import|--loader|--experimental-loader|", "" },
    { "nodejs", false, "ep", "r", "", "|--eval|--print|", "|--require|--import|--loader|--experimental-loader|", "" },
    { "Rscript", false, "e", "", "", "", "", "" },
    { "R", false, "e", "", "f", "", "", "|--file|" },
    { "lua", true, "e", "l", "", "", "", "" },
    { "luajit", false, "e", "lj", "", "", "", "" },
    { "sh", false, "cs", "oO", "", "", "|--rcfile|--init-file|", "" },
    { "bash", false, "cs", "oO", "", "", "|--rcfile|--init-file|", "" },
    { "dash", false, "cs", "o", "", "", "", "" },
    { "zsh", false, "cs", "o", "", "", "", "" },
    { "tclsh", true, "", "", "", "", "|-encoding|", "" },
};

static const struct trace_interp *trace_interp_find(const char *exe)
{
    for (size_t i = 0; i < sizeof trace_interps / sizeof trace_interps[0]; i++) {
        const struct trace_interp *t = &trace_interps[i];
        size_t l = strlen(t->name);
        if (t->prefix ? !strncmp(exe, t->name, l) : !strcmp(exe, t->name))
            return t;
    }
    return NULL;
}

/* Is word (up to '=' or its end) one of the "|a|b|" list? */
static bool trace_in_list(const char *list, const char *word, size_t wl)
{
    for (const char *p = list; (p = strchr(p, '|')) && p[1]; p++) {
        const char *e = strchr(p + 1, '|');
        if (e && (size_t)(e - p - 1) == wl && !strncmp(p + 1, word, wl))
            return true;
    }
    return false;
}

/* The script an interpreter runs, or NULL (program text given with -c/-e,
 * stdin, or nothing). Never returns program text. */
static const char *trace_find_script(const struct trace_interp *t, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *w = argv[i];
        if (!strcmp(w, "--"))
            return i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(w, "-"))
            return NULL; /* stdin */
        if (w[0] != '-' && !(w[0] == '+' && t->arg[0] == 'o'))
            return w;
        size_t wl = strcspn(w, "=");
        if (trace_in_list(t->long_code, w, wl))
            return NULL;
        if (trace_in_list(t->long_script, w, wl))
            return w[wl] ? w + wl + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
        if (trace_in_list(t->long_arg, w, wl)) {
            if (!w[wl])
                i++;
            continue;
        }
        if (w[1] == '-')
            continue; /* another long option: --vanilla, --no-warnings=x */
        for (const char *f = w + 1; *f; f++) {
            if (strchr(t->code, *f))
                return NULL;
            if (strchr(t->script, *f))
                return f[1] ? f + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
            if (strchr(t->arg, *f)) {
                if (!f[1])
                    i++;
                break;
            }
        }
    }
    return NULL;
}

/* exe and script from /proc/self/cmdline; the rest is never kept. The
 * buffer is on the heap: this runs on a program thread, whose stack may be
 * small. */
static void trace_read_cmdline(struct lt_process *p)
{
    char *buf = lt_malloc(TRACE_CMDLINE_MAX);
    char *argv[TRACE_ARGV_MAX];
    int argc = 0;
    size_t n = 0;
    int fd = buf ? open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC) : -1;
    if (fd >= 0) {
        while (n < TRACE_CMDLINE_MAX - 1) {
            ssize_t r = read(fd, buf + n, TRACE_CMDLINE_MAX - 1 - n);
            if (r > 0)
                n += (size_t)r;
            else if (!(r < 0 && errno == EINTR))
                break;
        }
        close(fd);
    }
    if (buf)
        buf[n] = '\0';
    for (size_t i = 0; i < n && argc < TRACE_ARGV_MAX; i += strlen(buf + i) + 1)
        argv[argc++] = buf + i;
    if (argc > 0 && argv[0][0]) {
        const char *exe = trace_basename(argv[0]);
        if (exe[0] == '-' && exe[1]) /* a login shell's "-bash" */
            exe++;
        trace_copy(p->exe, sizeof p->exe, exe);
        const struct trace_interp *t = trace_interp_find(p->exe);
        const char *script = t ? trace_find_script(t, argc, argv) : NULL;
        if (script)
            trace_copy(p->script, sizeof p->script, script);
    } else {
        /* no procfs: the kernel's short name is better than nothing */
        char comm[64];
        size_t m = 0;
        fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t r = read(fd, comm, sizeof comm - 1);
            m = r > 0 ? (size_t)r : 0;
            close(fd);
        }
        while (m > 0 && comm[m - 1] == '\n')
            m--;
        comm[m] = '\0';
        trace_copy(p->exe, sizeof p->exe, m ? comm : "unknown");
    }
    /* the command line can hold keys (curl -H "Authorization: ..."): wipe it */
    if (buf)
        explicit_bzero(buf, TRACE_CMDLINE_MAX);
    lt_free(buf);
    explicit_bzero(argv, sizeof argv);
}

static void trace_init(void)
{
    const struct lt_config *cfg = lt_config_get();
    struct lt_process *p = &trace_proc;
    char name[256];

    if (cfg->trace_id && lt_trace_id_valid(cfg->trace_id))
        memcpy(p->trace_id, cfg->trace_id, 33);
    else
        lt_trace_new_trace_id(p->trace_id);
    lt_trace_new_span_id(p->span_id);
    p->parent_span_id[0] = '\0';
    p->start_ns = lt_now_ns();
    p->pid = (int)getpid();
    if (gethostname(p->host, sizeof p->host) != 0)
        p->host[0] = '\0';
    p->host[sizeof p->host - 1] = '\0';
    trace_read_cmdline(p);
    if (cfg->trace_name)
        trace_copy(name, sizeof name, cfg->trace_name);
    else if (p->script[0])
        trace_copy(name, sizeof name, trace_basename(p->script));
    else
        trace_copy(name, sizeof name, p->exe);
    p->sampled = lt_trace_sampled(p->trace_id, cfg->sample_rate);

    trace_lock();
    memcpy(trace_default_name, name, sizeof name);
    memcpy(p->name, trace_has_override ? trace_override : trace_default_name, sizeof p->name);
    trace_ready = true;
    trace_unlock();
}

void lt_trace_init(void)
{
    pthread_once(&trace_once, trace_init);
}

const struct lt_process *lt_trace_process(void)
{
    return &trace_proc;
}

void lt_trace_fork_child(void)
{
    /* a parent thread may have held the lock at fork(): only we exist now */
    atomic_flag_clear(&trace_name_lock);
    if (!trace_proc.trace_id[0])
        return; /* never initialised: the child initialises itself if needed */
    memcpy(trace_proc.parent_span_id, trace_proc.span_id, sizeof trace_proc.span_id);
    do
        lt_trace_new_span_id(trace_proc.span_id);
    while (!memcmp(trace_proc.span_id, trace_proc.parent_span_id, sizeof trace_proc.span_id));
    trace_proc.pid = (int)getpid();
    trace_proc.start_ns = lt_now_ns();
}

void lt_trace_set_name(const char *name)
{
    trace_lock();
    trace_has_override = name && *name;
    if (trace_has_override)
        trace_copy(trace_override, sizeof trace_override, name);
    if (trace_ready)
        memcpy(trace_proc.name, trace_has_override ? trace_override : trace_default_name,
               sizeof trace_proc.name);
    trace_unlock();
}

void lt_trace_name(const struct lt_process *p, char out[256])
{
    bool shared = p == &trace_proc;
    if (shared)
        trace_lock();
    memcpy(out, p->name, 256);
    if (shared)
        trace_unlock();
    out[255] = '\0';
}
