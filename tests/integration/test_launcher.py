#!/usr/bin/python3
"""test_launcher.py — scripts/llmtap, the launcher (POSIX sh, run by dash).

Most cases preload a stand-in library (an empty shared object built in the
case's temp dir) so that they test the launcher alone: environment, exit
status, signals, descriptors, the one report line, options, help. The last
cases preload the real shim (LLMTAP_LIB from tests/run, with the ASan runtime
first when it is the ASan build) against the local replay server. Each case
runs in its own process group with a timeout (harness.py); last line
"N passed, N failed".
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import ROOT, Env, case, check, eq, main, run  # noqa: E402

LAUNCHER = os.path.join(ROOT, "scripts", "llmtap")
DASH = "/usr/bin/dash"
SECRET = "sk-lf-never-print-me-123"
REPORT = re.compile(r"^llmtap: trace ([0-9a-f]{32}) ")


def stub_lib(t):
    """An empty shared object: LD_PRELOAD accepts it, it does nothing."""
    src = t.path("stub.c")
    out = t.path("libstub.so")
    with open(src, "w") as f:
        f.write("int llmtap_test_stub;\n")
    subprocess.run(["cc", "-shared", "-fPIC", "-o", out, src], check=True, timeout=60)
    return out


def lenv(t, lib=None, **extra):
    """A clean environment (harness.Env) for the launcher, PWD matching the
    cwd (dash exports PWD: it must not look like a change)."""
    e = Env(t, **extra)
    e["LLMTAP_LIB"] = lib or stub_lib(t)
    e["PWD"] = t.tmp
    return e


def launch(t, args, env, timeout=30, stdin=None, shell=DASH):
    return run([shell, LAUNCHER] + list(args), env, timeout=timeout, cwd=t.tmp, stdin=stdin)


def env_of(out):
    d = {}
    for item in out.split(b"\0"):
        if item:
            k, _, v = item.partition(b"=")
            d[k.decode()] = v.decode()
    return d


def report_lines(err):
    return [l for l in err.splitlines() if l.startswith("llmtap:")]


# ------------------------------------------------------------------ environment

@case(timeout=60)
def launcher_should_change_only_ld_preload_and_the_trace_variables(t):
    e = lenv(t)
    r = launch(t, ["--", "/usr/bin/env", "-0"], e)
    eq(r.rc, 0, "exit status (stderr %r)" % r.err)
    got = env_of(r.out)
    want = dict(e)
    added = {k: got[k] for k in got if k not in want}
    changed = {k: (want[k], got[k]) for k in want if k in got and got[k] != want[k]}
    removed = [k for k in want if k not in got]
    eq(sorted(added), ["LD_PRELOAD", "LLMTAP_TRACE_ID", "LLMTAP_TRACE_NAME"], "variables added")
    eq(changed, {}, "variables changed")
    eq(removed, [], "variables removed")
    eq(got["LD_PRELOAD"], e["LLMTAP_LIB"], "LD_PRELOAD")
    check(re.fullmatch(r"[0-9a-f]{32}", got["LLMTAP_TRACE_ID"]), got["LLMTAP_TRACE_ID"])
    eq(got["LLMTAP_TRACE_NAME"], "env", "trace name = the command's basename")


@case(timeout=60)
def launcher_should_append_to_ld_preload_keeping_what_is_there(t):
    lib = stub_lib(t)
    other = t.path("libother.so")
    os.link(lib, other)
    e = lenv(t, lib)
    e["LD_PRELOAD"] = other
    r = launch(t, ["--", "/usr/bin/env", "-0"], e)
    eq(env_of(r.out)["LD_PRELOAD"], other + ":" + lib, "appended after the existing entry")
    # Already there (space-separated, as the ASan runs have it): not twice.
    e["LD_PRELOAD"] = other + " " + lib
    r = launch(t, ["--", "/usr/bin/env", "-0"], e)
    eq(env_of(r.out)["LD_PRELOAD"], other + " " + lib, "not added twice")


@case(timeout=60)
def launcher_should_find_the_library_from_the_source_tree_and_through_a_symlink(t):
    e = lenv(t)
    del e["LLMTAP_LIB"]
    want = os.path.join(os.path.realpath(ROOT), "build", "libllmtap.so")
    if not os.path.exists(want):
        r = launch(t, ["--", "true"], e)
        eq(r.rc, 125, "missing library: status 125")
        check("library not found: " + want in r.err, r.err)
        return
    os.makedirs(t.path("bin"))
    os.symlink(LAUNCHER, t.path("bin", "llmtap"))
    r = run([t.path("bin", "llmtap"), "-q", "--", "/usr/bin/printenv", "LD_PRELOAD"], e, cwd=t.tmp)
    eq(r.out.decode().strip(), want, "library next to the source tree")


@case(timeout=60)
def launcher_should_keep_a_valid_trace_id_and_replace_an_invalid_one(t):
    e = lenv(t)
    for given, kept in (("0af7651916cd43dd8448eb211c80319c", True),
                        ("0AF7651916CD43DD8448EB211C80319C", True),
                        ("0af7651916cd43dd8448eb211c80319", False),   # 31 digits
                        ("0af7651916cd43dd8448eb211c80319g", False),
                        ("00000000000000000000000000000000", False),
                        ("", False)):
        e["LLMTAP_TRACE_ID"] = given
        r = launch(t, ["--", "/usr/bin/printenv", "LLMTAP_TRACE_ID"], e)
        got = r.out.decode().strip()
        if kept:
            eq(got, given, "valid id kept")
        else:
            check(re.fullmatch(r"[0-9a-f]{32}", got) and got != given and got != "0" * 32,
                  "invalid %r replaced, got %r" % (given, got))
    del e["LLMTAP_TRACE_ID"]
    ids = {launch(t, ["--", "/usr/bin/printenv", "LLMTAP_TRACE_ID"], e).out for _ in range(5)}
    eq(len(ids), 5, "a new random id each run")


@case(timeout=60)
def launcher_should_give_the_whole_process_tree_one_trace(t):
    e = lenv(t)
    r = launch(t, ["--", "/bin/sh", "-c",
                   'echo "$LLMTAP_TRACE_ID"; /bin/sh -c \'echo "$LLMTAP_TRACE_ID"; /usr/bin/printenv LLMTAP_TRACE_ID\''],
               e)
    ids = r.out.decode().split()
    eq(len(ids), 3, "three processes")
    eq(len(set(ids)), 1, "one trace id: %r" % ids)
    m = REPORT.match(report_lines(r.err)[0])
    eq(m.group(1), ids[0], "the report names that trace")


@case(timeout=60)
def launcher_should_name_the_trace_from_option_environment_or_command(t):
    e = lenv(t)
    r = launch(t, ["--", "/usr/bin/printenv", "LLMTAP_TRACE_NAME"], e)
    eq(r.out.decode().strip(), "printenv", "default: basename")
    r = launch(t, ["-n", "nightly batch", "--", "/usr/bin/printenv", "LLMTAP_TRACE_NAME"], e)
    eq(r.out.decode().strip(), "nightly batch", "-n NAME")
    r = launch(t, ["-nshort", "--", "/usr/bin/printenv", "LLMTAP_TRACE_NAME"], e)
    eq(r.out.decode().strip(), "short", "-nNAME")
    e["LLMTAP_TRACE_NAME"] = "from-env"
    r = launch(t, ["--", "/usr/bin/printenv", "LLMTAP_TRACE_NAME"], e)
    eq(r.out.decode().strip(), "from-env", "an existing LLMTAP_TRACE_NAME is kept")
    r = launch(t, ["-n", "opt", "--", "/usr/bin/printenv", "LLMTAP_TRACE_NAME"], e)
    eq(r.out.decode().strip(), "opt", "-n wins")


@case(timeout=60)
def launcher_options_should_set_their_variables(t):
    e = lenv(t)
    r = launch(t, ["-o", "out/x.jsonl", "-u", "alice", "-s", "sess-1", "-t", "a,b", "--",
                   "/usr/bin/env", "-0"], e)
    got = env_of(r.out)
    eq(got.get("LLMTAP_OUTPUT"), os.path.join(t.tmp, "out/x.jsonl"), "-o made absolute")
    eq((got.get("LLMTAP_USER_ID"), got.get("LLMTAP_SESSION_ID"), got.get("LLMTAP_TAGS")),
       ("alice", "sess-1", "a,b"), "-u -s -t")
    r = launch(t, ["-o", "/abs/y.jsonl", "--", "/usr/bin/printenv", "LLMTAP_OUTPUT"], e)
    eq(r.out.decode().strip(), "/abs/y.jsonl", "absolute -o kept")
    # Without `--`, the first non-option word starts the command.
    r = launch(t, ["-u", "bob", "/usr/bin/printenv", "LLMTAP_USER_ID"], e)
    eq(r.out.decode().strip(), "bob", "command without --")


@case(timeout=60)
def launcher_should_reject_bad_usage_with_status_2(t):
    e = lenv(t)
    for args in (["--bogus", "--", "true"], [], ["-n"], ["-q", "--"]):
        r = launch(t, args, e)
        eq(r.rc, 2, "status for %r (stderr %r)" % (args, r.err))
        check(r.err.startswith("llmtap: "), r.err)
        eq(r.out, b"", "stdout")


@case(timeout=60)
def launcher_should_fail_with_125_when_the_library_is_missing(t):
    e = lenv(t, lib=t.path("nope", "libllmtap.so"))
    r = launch(t, ["--", "/bin/echo", "must not run"], e)
    eq(r.rc, 125, "status")
    eq(r.out, b"", "the command did not run")
    check("library not found" in r.err and "LLMTAP_LIB" in r.err, r.err)


# ------------------------------------------------------------------ running

@case(timeout=60)
def launcher_should_pass_arguments_stdin_and_stdout_unchanged(t):
    e = lenv(t)
    args = ["a b", "", "*", "$HOME", "'\"", "-n", "--", "x\ny", "é"]
    r = launch(t, ["--", "/usr/bin/printf", "[%s]"] + args, e)
    eq(r.out.decode(), "".join("[%s]" % a for a in args), "arguments")
    data = bytes(range(256)) * 64
    r = launch(t, ["--", "/bin/cat"], e, stdin=data)
    eq(r.out, data, "stdin to stdout")


@case(timeout=60)
def launcher_should_exit_with_the_command_status(t):
    e = lenv(t)
    for st in (0, 1, 3, 42, 125, 126, 128, 255):
        r = launch(t, ["--", "/bin/sh", "-c", "exit %d" % st], e)
        eq(r.rc, st, "status %d" % st)
        eq(len(report_lines(r.err)), 1, "one report line for status %d: %r" % (st, r.err))
    r = launch(t, ["--", t.path("no-such-command")], e)
    eq(r.rc, 127, "command not found")
    r = launch(t, ["--", t.tmp], e)
    eq(r.rc, 126, "not executable")


@case(timeout=60)
def launcher_should_die_of_the_signal_that_killed_the_command(t):
    e = lenv(t)
    for sig in (signal.SIGTERM, signal.SIGSEGV, signal.SIGABRT, signal.SIGKILL, signal.SIGPIPE,
                signal.SIGUSR1):
        r = launch(t, ["--", "/bin/sh", "-c", "ulimit -c 0; kill -%d $$" % sig], e)
        eq(r.rc, -sig, "died of %s" % sig.name)
        lines = [l for l in r.err.splitlines() if l.strip()]
        eq(len(lines), 1, "%s: only the report line on stderr: %r" % (sig.name, r.err))
        check(REPORT.match(lines[0]), lines[0])


@case(timeout=60)
def launcher_should_not_die_of_a_stop_signal_status(t):
    # exit 147 looks like "killed by SIGSTOP" (128+19): never re-raised.
    e = lenv(t)
    r = launch(t, ["--", "/bin/sh", "-c", "exit 147"], e)
    eq(r.rc, 147, "status")


@case(timeout=60)
def launcher_should_report_after_ctrl_c_and_die_of_sigint(t):
    e = lenv(t)
    ready = t.path("ready")
    # A terminal's Ctrl-C: SIGINT to the whole foreground process group.
    p = subprocess.Popen([DASH, LAUNCHER, "--", "/bin/sh", "-c", "echo started; touch %s; exec sleep 20" % ready],
                         env=e, cwd=t.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 10
    while not os.path.exists(ready) and time.monotonic() < deadline:
        time.sleep(0.02)
    check(os.path.exists(ready), "command did not start")
    time.sleep(0.1)
    t0 = time.monotonic()
    os.killpg(p.pid, signal.SIGINT)
    out, err = p.communicate(timeout=15)
    eq(p.returncode, -signal.SIGINT, "launcher died of SIGINT (stderr %r)" % err)
    check(time.monotonic() - t0 < 5, "the command was interrupted, not waited for")
    lines = [l for l in err.decode().splitlines() if l.strip()]
    eq(len(lines), 1, "one report line: %r" % lines)
    check(REPORT.match(lines[0]), lines[0])


@case(timeout=60)
def launcher_should_exit_normally_when_the_command_handles_ctrl_c(t):
    e = lenv(t)
    ready = t.path("ready")
    script = "trap 'echo handled; exit 0' INT; touch %s; sleep 20 >/dev/null 2>&1 & wait" % ready
    p = subprocess.Popen([DASH, LAUNCHER, "--", "/bin/sh", "-c", script], env=e, cwd=t.tmp,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(ready) and time.monotonic() < deadline:
            time.sleep(0.02)
        check(os.path.exists(ready), "command did not start")
        time.sleep(0.1)
        os.killpg(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=15)
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)  # the background sleep
        except OSError:
            pass
    eq(out, b"handled\n", "the command's handler ran")
    eq(p.returncode, 0, "the command's status, not death by SIGINT (stderr %r)" % err)
    eq(len(report_lines(err.decode())), 1, "one report line")


@case(timeout=60)
def launcher_should_die_of_sigterm_sent_to_it_alone_after_the_command(t):
    e = lenv(t)
    ready = t.path("ready")
    p = subprocess.Popen([DASH, LAUNCHER, "--", "/bin/sh", "-c", "touch %s; sleep 1; echo done" % ready],
                         env=e, cwd=t.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 10
    while not os.path.exists(ready) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(p.pid, signal.SIGTERM)
    out, err = p.communicate(timeout=15)
    eq(out, b"done\n", "the command ran to its end")
    eq(p.returncode, -signal.SIGTERM, "then llmtap died of SIGTERM (stderr %r)" % err)
    eq(len(report_lines(err.decode())), 1, "one report line")


@case(timeout=60)
def launcher_should_keep_the_command_descriptors(t):
    e = lenv(t)
    fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(3)]
    for fd in fds:
        os.set_inheritable(fd, True)
    cmd = ["/bin/ls", "/proc/self/fd"]
    try:
        plain = subprocess.run(cmd, env=e, cwd=t.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, pass_fds=fds, timeout=30)
        traced = subprocess.run([DASH, LAUNCHER, "--"] + cmd, env=e, cwd=t.tmp, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, pass_fds=fds, timeout=30)
    finally:
        for fd in fds:
            os.close(fd)
    want = sorted(int(x) for x in plain.stdout.split())
    got = sorted(int(x) for x in traced.stdout.split())
    # ls's own directory descriptor may get another number: compare counts too
    eq(len(got), len(want), "number of open descriptors: %r vs %r" % (got, want))
    for fd in fds + [0, 1, 2]:
        check(fd in got, "descriptor %d reached the command: %r" % (fd, got))


@case(timeout=60)
def launcher_quiet_should_exec_the_command_and_print_nothing(t):
    e = lenv(t)
    p = subprocess.Popen([DASH, LAUNCHER, "-q", "--", "/bin/sh", "-c", 'echo "$$"; exit 7'], env=e, cwd=t.tmp,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    out, err = p.communicate(timeout=30)
    eq(p.returncode, 7, "status")
    eq(int(out), p.pid, "the command replaced the launcher (same pid)")
    eq(err, b"", "nothing on stderr")
    r = launch(t, ["-q", "--", "/bin/sh", "-c", "kill -TERM $$"], e)
    eq(r.rc, -signal.SIGTERM, "signal death under -q")


# ------------------------------------------------------------------ report line

def _report(t, **vars_):
    e = lenv(t, **vars_)
    r = launch(t, ["--", "/bin/true"], e)
    eq(r.rc, 0, "status")
    lines = report_lines(r.err)
    eq(len(lines), 1, "one line: %r" % r.err)
    return lines[0], r


@case(timeout=60)
def launcher_should_say_where_the_spans_went(t):
    line, _ = _report(t)
    check("no LLM call captured" in line and os.path.join(t.tmp, "state", "llmtap", "spans.jsonl") in line,
          "default JSONL under XDG_STATE_HOME: %s" % line)
    line, _ = _report(t, LLMTAP_OUTPUT="/tmp/x/spans.jsonl")
    check("/tmp/x/spans.jsonl" in line, line)
    line, _ = _report(t, LANGFUSE_PUBLIC_KEY="pk-lf-1", LANGFUSE_SECRET_KEY=SECRET)
    check("Langfuse at https://cloud.langfuse.com" in line, line)
    line, _ = _report(t, LANGFUSE_PUBLIC_KEY="pk-lf-1", LANGFUSE_SECRET_KEY=SECRET,
                      LANGFUSE_HOST="https://old.example", LANGFUSE_BASE_URL="https://new.example/")
    check("Langfuse at https://new.example/" in line, "BASE_URL wins over HOST: " + line)
    line, _ = _report(t, LANGFUSE_PUBLIC_KEY="pk-lf-1", LANGFUSE_SECRET_KEY=SECRET,
                      LANGFUSE_BASE_URL="ftp://nope")
    check("Langfuse at https://cloud.langfuse.com" in line, "a non-http URL is ignored: " + line)
    line, _ = _report(t, LANGFUSE_PUBLIC_KEY="pk-lf-1")
    check("spans.jsonl" in line, "one key only: local file: " + line)
    line, _ = _report(t, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4318/", LANGFUSE_PUBLIC_KEY="pk-lf-1",
                      LANGFUSE_SECRET_KEY=SECRET)
    check("OTLP endpoint http://127.0.0.1:4318/v1/traces" in line, "OTLP base + /v1/traces: " + line)
    line, _ = _report(t, OTEL_EXPORTER_OTLP_ENDPOINT="http://a.example:4318",
                      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://b.example/custom/path")
    check("OTLP endpoint http://b.example/custom/path" in line, "TRACES_ENDPOINT wins: " + line)
    line, _ = _report(t, LANGFUSE_TRACING_ENABLED="False")
    check("tracing disabled" in line, line)


@case(timeout=60)
def launcher_should_never_print_secrets(t):
    secret_url = "https://user:%s@collector.example:4318/base?api_key=%s#%s" % (SECRET, SECRET, SECRET)
    line, r = _report(t, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=secret_url, LANGFUSE_SECRET_KEY=SECRET,
                      LANGFUSE_PUBLIC_KEY="pk-lf-1",
                      OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer%20" + SECRET)
    check(SECRET not in r.err and SECRET.encode() not in r.out, "secret printed: %r" % r.err)
    check("https://collector.example:4318/base" in line, line)
    line, r = _report(t, LANGFUSE_PUBLIC_KEY="pk-lf-1", LANGFUSE_SECRET_KEY=SECRET,
                      LANGFUSE_BASE_URL="https://u:%s@lf.example/?k=%s" % (SECRET, SECRET))
    check(SECRET not in r.err, "secret printed: %r" % r.err)
    check("https://lf.example/" in line, line)
    e = lenv(t, LANGFUSE_SECRET_KEY=SECRET)
    r = launch(t, ["--help"], e)
    check(SECRET not in r.err and SECRET.encode() not in r.out, "--help printed a secret")


# ------------------------------------------------------------------ help, version, show

def _variables_the_shim_reads():
    names = set()
    for d in ("shim", "providers"):
        for f in os.listdir(os.path.join(ROOT, d)):
            if f.endswith(".c"):
                with open(os.path.join(ROOT, d, f), errors="replace") as fh:
                    names |= set(re.findall(r'"((?:LANGFUSE|OTEL|LLMTAP)_[A-Z0-9_]+)"', fh.read()))
    return names


@case(timeout=60)
def launcher_help_should_document_every_option_and_variable(t):
    e = lenv(t)
    r = launch(t, ["--help"], e)
    eq(r.rc, 0, "status")
    text = r.out.decode()
    for opt in ("-q", "-n NAME", "-o FILE", "-u USER", "-s SESSION", "-t TAGS", "--help", "--version",
                "llmtap show"):
        check(opt in text, "--help documents %s" % opt)
    names = _variables_the_shim_reads() | {"LLMTAP_LIB", "LD_PRELOAD", "XDG_STATE_HOME", "HOME"}
    check(len(names) > 20, "found the shim's variables: %r" % sorted(names))
    missing = sorted(n for n in names if n not in text)
    eq(missing, [], "variables missing from --help")
    check("default" in text and "seconds" in text and "bytes" in text, "units and defaults")
    eq(launch(t, ["-h"], e).out.decode(), text, "-h")


@case(timeout=60)
def readme_should_document_every_variable(t):
    path = os.path.join(ROOT, "README.md")
    check(os.path.exists(path), "README.md missing")
    text = open(path).read()
    missing = sorted(n for n in _variables_the_shim_reads() | {"LLMTAP_LIB"} if n not in text)
    eq(missing, [], "variables missing from README.md")


@case(timeout=60)
def launcher_version_should_match_the_makefile(t):
    mk = open(os.path.join(ROOT, "Makefile")).read()
    version = re.search(r"^VERSION\s*:?=\s*(\S+)", mk, re.M).group(1)
    r = launch(t, ["--version"], lenv(t))
    eq(r.out.decode().strip(), "llmtap " + version, "--version")


def _tiny_jsonl(path):
    body = {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": "llmtap"}, "spans": [{
        "traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "e000000000000001", "parentSpanId": "",
        "name": "tiny", "kind": 1, "startTimeUnixNano": "1795514400000000000",
        "endTimeUnixNano": "1795514401000000000", "attributes": [], "status": {"code": 0}}]}]}]}
    with open(path, "w") as f:
        f.write(json.dumps(body) + "\n")


@case(timeout=60)
def launcher_show_should_run_the_viewer_on_the_default_file_or_a_given_one(t):
    e = lenv(t)
    f = t.path("given.jsonl")
    _tiny_jsonl(f)
    r = launch(t, ["show", f], e)
    eq(r.rc, 0, "status (stderr %r)" % r.err)
    check(r.out.decode().startswith("trace 0af7651916cd43dd8448eb211c80319c  tiny"), r.out.decode())
    os.makedirs(os.path.join(e["XDG_STATE_HOME"], "llmtap"))
    _tiny_jsonl(os.path.join(e["XDG_STATE_HOME"], "llmtap", "spans.jsonl"))
    r = launch(t, ["show", "--last"], e)
    eq(r.rc, 0, "default file (stderr %r)" % r.err)
    check("tiny" in r.out.decode(), r.out.decode())
    r = launch(t, ["show", "--json", "--trace", "0af7"], e)
    eq(json.loads(r.out)["traces"][0]["name"], "tiny", "options reach the viewer")
    r = launch(t, ["show", t.path("missing.jsonl")], e)
    eq(r.rc, 1, "missing file")


@case(timeout=120)
def make_install_should_give_a_working_installed_launcher(t):
    prefix = t.path("prefix")
    p = subprocess.run(["make", "--no-print-directory", "-s", "-C", ROOT, "install", "PREFIX=" + prefix],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=110,
                       env=Env(t))
    eq(p.returncode, 0, "make install: %s" % p.stdout[-2000:])
    inst = os.path.join(prefix, "bin", "llmtap")
    text = open(inst).read()
    check("@LIBDIR@" not in text and "@LIBEXECDIR@" not in text, "placeholders substituted")
    e = lenv(t)
    del e["LLMTAP_LIB"]
    r = run([DASH, inst, "--", "/usr/bin/printenv", "LD_PRELOAD"], e, cwd=t.tmp)
    eq(r.out.decode().strip(), os.path.join(prefix, "lib", "llmtap", "libllmtap.so"), "installed library")
    f = t.path("x.jsonl")
    _tiny_jsonl(f)
    r = run([DASH, inst, "show", f], e, cwd=t.tmp)
    eq(r.rc, 0, "installed viewer (stderr %r)" % r.err)
    check("tiny" in r.out.decode(), r.out.decode())


# ------------------------------------------------------------------ with the real shim

def _real_env(t):
    e = lenv(t, lib=harness.LIB)
    if harness.ASAN:
        e["LD_PRELOAD"] = harness.ASAN_RUNTIME
        e["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0"
    return e


@case(timeout=120)
def launcher_should_count_the_spans_the_shim_wrote_for_its_trace(t):
    from servers import ProviderServer
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import demo
    demo.write_cases(t.path("cases"))
    e = _real_env(t)
    out = t.path("spans.jsonl")
    req = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
    with ProviderServer(dirs=[t.path("cases")], default_case="demo/chat") as prov:
        curl = ("curl -sS %s/v1/chat/completions -H 'Authorization: Bearer %s' "
                "-H 'Content-Type: application/json' -d '%s'") % (prov.url, harness.PROVIDER_KEY, req)
        plain = run(["/bin/sh", "-c", curl], Env(t), cwd=t.tmp)
        r = launch(t, ["-o", out, "--", "/bin/sh", "-c", curl + " && " + curl], e, timeout=30)
    eq(r.rc, 0, "status (stderr %r)" % r.err)
    eq(r.out, plain.out * 2, "curl's output unchanged")
    lines = report_lines(r.err)
    eq(len(lines), 1, "one report line: %r" % r.err)
    m = re.match(r"^llmtap: trace ([0-9a-f]{32}) \(sh\): (\d+) spans written to (\S+) ", lines[0])
    check(m, "report line: %r" % lines[0])
    eq(m.group(3), out, "the file")
    ids = set()
    n = 0
    with open(out) as f:
        for l in f:
            for rs in json.loads(l)["resourceSpans"]:
                for ss in rs["scopeSpans"]:
                    for s in ss["spans"]:
                        ids.add(s["traceId"])
                        n += 1
    eq(ids, {m.group(1)}, "every span in the launcher's trace")
    eq(int(m.group(2)), n, "span count")
    check(n >= 4, "two generations and two process spans, got %d" % n)
    check(harness.PROVIDER_KEY not in open(out).read(), "provider key in the file")


@case(timeout=180)
def make_demo_should_show_six_generations_of_three_providers_offline(t):
    e = Env(t)
    e["LANGFUSE_PUBLIC_KEY"] = "pk-lf-must-not-be-used"
    e["LANGFUSE_SECRET_KEY"] = SECRET
    e["LANGFUSE_BASE_URL"] = "http://127.0.0.1:9"  # the demo must drop these
    r = run(["/usr/bin/python3", os.path.join(ROOT, "tests", "integration", "demo.py")], e, timeout=170,
            cwd=t.tmp)
    text = r.out.decode(errors="replace")
    eq(r.rc, 0, "demo exit status:\n" + text[-3000:] + r.err[-2000:])
    check("chat (HTTP 200): Seven." in text and "1, 2, 3, 4, 5." in text, text)
    check(text.count("openai") + text.count("model gpt-4o-mini") >= 4, "four OpenAI generations shown:\n" + text)
    check("model claude-sonnet-4-5-20250929" in text and "model gemini-2.5-flash" in text,
          "the Anthropic and Gemini generations shown:\n" + text)
    check(SECRET not in text and SECRET not in r.err, "secret printed")


if __name__ == "__main__":
    main()
