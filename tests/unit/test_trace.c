/* test_trace.c — ids, sampling, the process context (exe, script, name),
 * fork children, and that the command line is never kept.
 *
 * The command-line cases re-execute this binary with a chosen argv (so that
 * /proc/self/cmdline is what an interpreter would show) and LT_TRACE_CHILD
 * set; that child prints what lt_trace_init found, one field a line. */
#include <sys/wait.h>
#include <unistd.h>

#include "../../shim/call.h"
#include "../../shim/config.h"
#include "../../shim/mem.h"
#include "../../shim/trace.h"
#include "../lib/tap.h"

static bool trace_is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return s[n] == '\0';
}

static void trace_clean_env(void)
{
    static const char *const vars[] = {
        "LLMTAP_TRACE_ID", "LLMTAP_TRACE_NAME", "LANGFUSE_SAMPLE_RATE", "LANGFUSE_TRACING_ENABLED",
        "LANGFUSE_DEBUG", "LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY",
    };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    setenv("LLMTAP_OUTPUT", "/dev/null", 1);
}

/* ------------------------------------------------------------ the exec'd child */

static bool trace_struct_holds(const struct lt_process *p, const char *needle)
{
    const char *b = (const char *)p;
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= sizeof *p; i++)
        if (!memcmp(b + i, needle, n))
            return true;
    return false;
}

static int trace_child_main(void)
{
    lt_trace_init();
    const struct lt_process *p = lt_trace_process();
    char name[256];
    lt_trace_name(p, name);
    const char *secret = getenv("LT_TRACE_SECRET");
    printf("exe=%s\nscript=%s\nname=%s\nsecret=%s\n", p->exe, p->script, name,
           secret && trace_struct_holds(p, secret) ? "FOUND" : "absent");
    fflush(stdout);
    return 0;
}

/* Runs this binary with argv; returns its output (free()). */
static char *trace_run_as(const char *const *argv, const char *trace_name, const char *secret)
{
    int fd[2];
    CHECK(pipe(fd) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        trace_clean_env();
        setenv("LT_TRACE_CHILD", "1", 1);
        if (trace_name)
            setenv("LLMTAP_TRACE_NAME", trace_name, 1);
        if (secret)
            setenv("LT_TRACE_SECRET", secret, 1);
        execv("/proc/self/exe", (char *const *)argv);
        _exit(127);
    }
    close(fd[1]);
    char *out = malloc(8192);
    size_t n = 0;
    ssize_t r;
    while (n < 8191 && (r = read(fd[0], out + n, 8191 - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    close(fd[0]);
    int st;
    waitpid(pid, &st, 0);
    CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child failed: %s", out);
    return out;
}

static void trace_expect(const char *const *argv, const char *exe, const char *script, const char *name)
{
    char want[1024];
    char *out = trace_run_as(argv, NULL, NULL);
    snprintf(want, sizeof want, "exe=%s\nscript=%s\nname=%s\n", exe, script, name);
    CHECKF(strstr(out, want) != NULL, "argv[0]=%s argv[1]=%s: got\n%s\nwant\n%s", argv[0], argv[1] ? argv[1] : "",
           out, want);
    free(out);
}

/* ------------------------------------------------------------ cases */

static void trace_ids_should_be_lower_hex_and_never_zero(void)
{
    for (int i = 0; i < 2000; i++) {
        char s[17], t[33];
        lt_trace_new_span_id(s);
        lt_trace_new_trace_id(t);
        CHECK(trace_is_hex(s, 16));
        CHECK(trace_is_hex(t, 32));
        CHECK(strcmp(s, "0000000000000000") != 0);
        CHECK(lt_trace_id_valid(t));
    }
}

static int trace_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void trace_span_ids_should_be_unique(void)
{
    enum { N = 20000 };
    char (*ids)[17] = malloc(sizeof(*ids) * N);
    for (int i = 0; i < N; i++)
        lt_trace_new_span_id(ids[i]);
    qsort(ids, N, sizeof *ids, trace_cmp);
    for (int i = 1; i < N; i++)
        CHECK(strcmp(ids[i - 1], ids[i]) != 0);
    free(ids);
}

static void trace_id_valid_should_want_32_lower_hex_not_zero(void)
{
    CHECK(lt_trace_id_valid("5b8efff798038103d269b633813fc60c"));
    CHECK(!lt_trace_id_valid("5B8EFFF798038103D269B633813FC60C"));
    CHECK(!lt_trace_id_valid("00000000000000000000000000000000"));
    CHECK(!lt_trace_id_valid("5b8efff798038103d269b633813fc60"));
    CHECK(!lt_trace_id_valid("5b8efff798038103d269b633813fc60c0"));
    CHECK(!lt_trace_id_valid("5b8efff798038103d269b633813fc6zz"));
    CHECK(!lt_trace_id_valid(NULL));
}

static void trace_init_should_fill_the_process_context(void)
{
    trace_clean_env();
    CHECK(lt_trace_process()->trace_id[0] == '\0'); /* nothing before the first LLM call */
    int64_t before = lt_now_ns();
    lt_trace_init();
    lt_trace_init();
    const struct lt_process *p = lt_trace_process();
    CHECK(lt_trace_id_valid(p->trace_id));
    CHECK(trace_is_hex(p->span_id, 16));
    CHECK_STR(p->parent_span_id, "");
    CHECK_INT(p->pid, getpid());
    CHECK(p->start_ns >= before && p->start_ns <= lt_now_ns());
    CHECK(p->host[0] != '\0');
    CHECK_STR(p->exe, "test_trace");
    CHECK_STR(p->script, "");
    CHECK_STR(p->name, "test_trace");
    CHECK(p->sampled);
}

static void trace_should_use_a_valid_llmtap_trace_id(void)
{
    trace_clean_env();
    setenv("LLMTAP_TRACE_ID", "5b8efff798038103d269b633813fc60c", 1);
    lt_trace_init();
    CHECK_STR(lt_trace_process()->trace_id, "5b8efff798038103d269b633813fc60c");
}

static void trace_fork_child_should_get_a_new_span_under_the_old_one(void)
{
    trace_clean_env();
    lt_trace_init();
    struct lt_process parent = *lt_trace_process();
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        uint64_t allocs = lt_mem_count();
        lt_trace_fork_child();
        const struct lt_process *c = lt_trace_process();
        bool ok = lt_mem_count() == allocs && !strcmp(c->trace_id, parent.trace_id) &&
                  !strcmp(c->parent_span_id, parent.span_id) && strcmp(c->span_id, parent.span_id) != 0 &&
                  trace_is_hex(c->span_id, 16) && c->pid == getpid() && c->start_ns >= parent.start_ns &&
                  !strcmp(c->name, parent.name);
        /* a grandchild nests under the child */
        char child_span[17];
        memcpy(child_span, c->span_id, 17);
        lt_trace_fork_child();
        ok = ok && !strcmp(c->parent_span_id, child_span);
        _exit(ok ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_STR(lt_trace_process()->span_id, parent.span_id); /* the parent is untouched */
}

static void trace_fork_child_before_init_should_do_nothing(void)
{
    lt_trace_fork_child();
    CHECK(lt_trace_process()->trace_id[0] == '\0');
}

static void trace_sampling_should_be_deterministic_per_trace(void)
{
    const char *low = "00000000000000010000000000000000";
    const char *high = "ffffffffffffffff0000000000000001";
    CHECK(lt_trace_sampled(low, 0.0001));
    CHECK(!lt_trace_sampled(high, 0.9999));
    CHECK(lt_trace_sampled(high, 1.0));
    CHECK(!lt_trace_sampled(low, 0.0));
    int kept = 0;
    for (int i = 0; i < 20000; i++) {
        char t[33];
        lt_trace_new_trace_id(t);
        bool a = lt_trace_sampled(t, 0.3);
        CHECK(a == lt_trace_sampled(t, 0.3)); /* same answer every time */
        CHECK(!a || lt_trace_sampled(t, 0.6)); /* kept at 0.3 → kept at any higher rate */
        kept += a;
    }
    CHECKF(kept > 5400 && kept < 6600, "kept %d of 20000 at 0.3", kept);
}

static void trace_init_should_sample_from_the_trace_id(void)
{
    trace_clean_env();
    setenv("LLMTAP_TRACE_ID", "ffffffffffffffff0000000000000001", 1);
    setenv("LANGFUSE_SAMPLE_RATE", "0.5", 1);
    lt_trace_init();
    CHECK(!lt_trace_process()->sampled);
}

static void trace_set_name_should_override_and_restore(void)
{
    char n[256];
    trace_clean_env();
    lt_trace_set_name("before init"); /* kept until init */
    lt_trace_init();
    const struct lt_process *p = lt_trace_process();
    lt_trace_name(p, n);
    CHECK_STR(n, "before init");
    lt_trace_set_name("renamed");
    lt_trace_name(p, n);
    CHECK_STR(n, "renamed");
    lt_trace_set_name(NULL);
    lt_trace_name(p, n);
    CHECK_STR(n, "test_trace");
    char longname[600];
    memset(longname, 'x', sizeof longname);
    memcpy(longname + 253, "\xE2\x82\xAC", 3); /* a euro sign across the 255-byte limit */
    longname[599] = '\0';
    lt_trace_set_name(longname);
    lt_trace_name(p, n);
    CHECK_INT(strlen(n), 253);
}

static void trace_name_should_come_from_llmtap_trace_name(void)
{
    const char *const argv[] = { "python3", "app.py", NULL };
    char *out = trace_run_as(argv, "nightly batch", NULL);
    CHECKF(strstr(out, "name=nightly batch\n") && strstr(out, "script=app.py\n"), "%s", out);
    free(out);
}

static void trace_should_find_the_script_of_an_interpreter(void)
{
    {
        const char *const a[] = { "/usr/bin/python3.11", "-X", "dev", "-u", "/srv/app/main.py", "--flag", NULL };
        trace_expect(a, "python3.11", "/srv/app/main.py", "main.py");
    }
    {
        const char *const a[] = { "python3", "-m", "http.server", "8000", NULL };
        trace_expect(a, "python3", "http.server", "http.server");
    }
    {
        const char *const a[] = { "python3", "-Wignore", "-Bc", "print(1)", NULL };
        trace_expect(a, "python3", "", "python3");
    }
    {
        const char *const a[] = { "/bin/bash", "-e", "./deploy.sh", "prod", NULL };
        trace_expect(a, "bash", "./deploy.sh", "deploy.sh");
    }
    {
        const char *const a[] = { "-bash", NULL };
        trace_expect(a, "bash", "", "bash");
    }
    {
        const char *const a[] = { "sh", "-o", "errexit", "+o", "nounset", "run.sh", NULL };
        trace_expect(a, "sh", "run.sh", "run.sh");
    }
    {
        const char *const a[] = { "node", "--require", "ts-node/register", "--no-warnings", "server.js", NULL };
        trace_expect(a, "node", "server.js", "server.js");
    }
    {
        const char *const a[] = { "node", "-e", "fetch('x')", NULL };
        trace_expect(a, "node", "", "node");
    }
    {
        const char *const a[] = { "Rscript", "--vanilla", "analysis.R", NULL };
        trace_expect(a, "Rscript", "analysis.R", "analysis.R");
    }
    {
        const char *const a[] = { "R", "--no-save", "--file=job.R", NULL };
        trace_expect(a, "R", "job.R", "job.R");
    }
    {
        const char *const a[] = { "php8.2", "-d", "memory_limit=1G", "-f", "index.php", NULL };
        trace_expect(a, "php8.2", "index.php", "index.php");
    }
    {
        const char *const a[] = { "perl", "-w", "tool.pl", NULL };
        trace_expect(a, "perl", "tool.pl", "tool.pl");
    }
    {
        const char *const a[] = { "ruby", "-I", "lib", "bin/app.rb", NULL };
        trace_expect(a, "ruby", "bin/app.rb", "app.rb");
    }
    {
        const char *const a[] = { "lua5.4", "-l", "socket", "client.lua", NULL };
        trace_expect(a, "lua5.4", "client.lua", "client.lua");
    }
    {
        const char *const a[] = { "tclsh8.6", "-encoding", "utf-8", "gui.tcl", NULL };
        trace_expect(a, "tclsh8.6", "gui.tcl", "gui.tcl");
    }
    {
        const char *const a[] = { "./bin/my-service", "config.yaml", NULL };
        trace_expect(a, "my-service", "", "my-service");
    }
}

static void trace_should_never_keep_the_command_line(void)
{
    {
        const char *const a[] = { "/usr/bin/curl", "-H", "Authorization: Bearer sk-proj-CMDLINESECRET0123456789",
                                  "https://api.openai.com/v1/chat/completions", NULL };
        char *out = trace_run_as(a, NULL, "CMDLINESECRET");
        CHECKF(strstr(out, "exe=curl\nscript=\nname=curl\nsecret=absent\n"), "%s", out);
        free(out);
    }
    {
        const char *const a[] = { "bash", "-c", "curl -H 'x-api-key: CMDLINESECRET' https://x", NULL };
        char *out = trace_run_as(a, NULL, "CMDLINESECRET");
        CHECKF(strstr(out, "exe=bash\nscript=\nname=bash\nsecret=absent\n"), "%s", out);
        free(out);
    }
    {
        const char *const a[] = { "python3", "app.py", "--api-key", "CMDLINESECRET", NULL };
        char *out = trace_run_as(a, NULL, "CMDLINESECRET");
        CHECKF(strstr(out, "script=app.py\n") && strstr(out, "secret=absent\n"), "%s", out);
        free(out);
    }
}

static const struct tap_case cases[] = {
    TAP(trace_ids_should_be_lower_hex_and_never_zero),
    TAP(trace_span_ids_should_be_unique),
    TAP(trace_id_valid_should_want_32_lower_hex_not_zero),
    TAP(trace_init_should_fill_the_process_context),
    TAP(trace_should_use_a_valid_llmtap_trace_id),
    TAP(trace_fork_child_should_get_a_new_span_under_the_old_one),
    TAP(trace_fork_child_before_init_should_do_nothing),
    TAP(trace_sampling_should_be_deterministic_per_trace),
    TAP(trace_init_should_sample_from_the_trace_id),
    TAP(trace_set_name_should_override_and_restore),
    TAP(trace_name_should_come_from_llmtap_trace_name),
    TAP(trace_should_find_the_script_of_an_interpreter),
    TAP(trace_should_never_keep_the_command_line),
};

int main(int argc, char **argv)
{
    if (getenv("LT_TRACE_CHILD"))
        return trace_child_main();
    return tap_main(argc, argv, cases, TAP_N(cases));
}
