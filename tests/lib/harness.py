"""harness.py — the integration-test runner inside one tests/integration/test_*.py.

Owns: the case registry (@case), running each case in its own forked
process group with a timeout, the final "N passed, N failed" line, the
environment a traced command gets (shim path from LLMTAP_LIB, the ASan
runtime first when the shim is the ASan build), running commands with a
timeout, and building the small C clients in tests/integration/ into
build/itest/. Never edits anything outside a case's temp dir and build/itest/.

    from harness import case, main, check, eq, run, Env
    @case(timeout=60)
    def curl_json_should_export_one_generation(t):   # t: the case's context
        ...
    if __name__ == "__main__": main()
"""
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
if not os.path.isdir(SHARED):
    SHARED = "/work/shared"
FIXTURES = os.environ.get("LLMTAP_FIXTURES") or os.path.join(SHARED, "fixtures")
VALIDATE_OTLP = os.path.join(SHARED, "langfuse", "validate-otlp")
PYTHON = "/usr/bin/python3"

LIB = os.path.abspath(os.environ.get("LLMTAP_LIB") or os.path.join(ROOT, "build", "libllmtap.so"))
# What an uninstrumented client needs before the shim in LD_PRELOAD when the
# shim is the ASan build: the ASan runtime, then a stub that keeps ASan's
# late start from breaking glibc's setlocale lock (asan_swift_stub.c).
ASAN_RUNTIME = os.environ.get("LLMTAP_ASAN_RUNTIME", "")
if not ASAN_RUNTIME and os.sep + "asan" + os.sep in LIB:
    ASAN_RUNTIME = subprocess.run(["cc", "-print-file-name=libasan.so"], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True).stdout.strip()
ASAN = bool(ASAN_RUNTIME)
# Sanitized runs are slower: deadlines that measure the shim get this factor.
SLOW = 2.0 if ASAN else 1.0


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "WARNING: ThreadSanitizer", "UndefinedBehaviorSanitizer", "AddressSanitizer:DEADLYSIGNAL")

# Fake credentials the clients send; none may ever reach an export or a log.
PROVIDER_KEY = "sk-test-abc123"
AZURE_KEY = "sk-test-azure-456"
QUERY_KEY = "sk-test-query-789"
LF_PUBLIC = "pk-lf-test"
LF_SECRET = "sk-lf-test"
SECRETS = (PROVIDER_KEY, AZURE_KEY, QUERY_KEY, LF_SECRET, "sk-test-")


class Failure(Exception):
    pass


def check(cond, msg="check failed"):
    if not cond:
        raise Failure(msg)


def eq(got, want, what="value"):
    if got != want:
        raise Failure("%s: got %s, want %s" % (what, _short(got), _short(want)))


def _short(v, n=600):
    s = repr(v)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


# ------------------------------------------------------------------ cases

_CASES = []


def case(timeout=60, skip_asan=None):
    """Registers a case. skip_asan: the reason it cannot run meaningfully
    under the ASan build (printed as a "skip" line, counted in neither
    total)."""
    def reg(fn):
        if ASAN and skip_asan:
            _SKIPPED.append((fn.__name__, skip_asan))
        else:
            _CASES.append((fn.__name__, fn, timeout))
        return fn
    return reg


_SKIPPED = []


class Ctx:
    """What a case gets: a private temp dir and a log for its details."""

    def __init__(self, name):
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix="llmtap-it-%s-" % name[:40])
        # Servers' record dirs and other temp files of the case go inside
        # it: removed when the case passes, kept for reading when it fails.
        tempfile.tempdir = self.tmp
        self.notes = []

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def note(self, msg):
        self.notes.append(msg)


def _run_case(name, fn, report):
    """In the forked child: run, write the details to report, exit 0/1."""
    os.setpgid(0, 0)
    out = open(report, "w")
    t = Ctx(name)
    ok = False
    try:
        fn(t)
        ok = True
    except Failure as e:
        out.write("    %s\n" % str(e).replace("\n", "\n    "))
    except Exception:
        out.write("    " + traceback.format_exc().rstrip().replace("\n", "\n    ") + "\n")
    for n in t.notes:
        out.write("    note: %s\n" % n)
    if ok:
        shutil.rmtree(t.tmp, ignore_errors=True)
    else:
        out.write("    files: %s\n" % t.tmp)
    out.close()
    sys.stdout.flush()
    os._exit(0 if ok else 1)


def _prune_old_case_dirs(hours=6):
    """Case dirs kept for failed cases go away after a few hours."""
    import glob
    limit = time.time() - hours * 3600
    for d in glob.glob(os.path.join(tempfile.gettempdir(), "llmtap-it-*")):
        try:
            if os.path.getmtime(d) < limit:
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass


def main():
    """Runs every registered case (or those whose name contains argv[1])."""
    _prune_old_case_dirs()
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    todo = [c for c in _CASES if only in c[0]]
    passed = failed = 0
    for name, why in _SKIPPED:
        if only in name:
            print("skip %s (ASan build: %s)" % (name, why))
    sys.stdout.flush()
    for name, fn, timeout in todo:
        fd, report = tempfile.mkstemp(prefix="llmtap-case-")
        os.close(fd)
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _run_case(name, fn, report)
        deadline = t0 + timeout * SLOW
        status = None
        while status is None:
            r, st = os.waitpid(pid, os.WNOHANG)
            if r == pid:
                status = st
            elif time.monotonic() > deadline:
                _killpg(pid)
                os.waitpid(pid, 0)
                status = "timeout"
            else:
                time.sleep(0.02)
        _killpg(pid)  # stray grandchildren of the case
        dt = time.monotonic() - t0
        if status == "timeout":
            print("FAIL %s (timeout after %.0fs)" % (name, timeout * SLOW))
            failed += 1
        elif os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            print("ok   %s (%.1fs)" % (name, dt))
            passed += 1
        else:
            print("FAIL %s (%.1fs)" % (name, dt))
            failed += 1
        with open(report) as f:
            sys.stdout.write(f.read())
        os.unlink(report)
        sys.stdout.flush()
    if passed + failed != len(todo):
        print("FAIL %d registered cases did not run" % (len(todo) - passed - failed))
        failed += len(todo) - passed - failed
    print("%d passed, %d failed" % (passed, failed))
    skipped = [n for n, _ in _SKIPPED if only in n]
    # A suite whose every case is skipped in this build ran nothing wrong;
    # one that registered nothing at all is broken.
    sys.exit(1 if failed or (not todo and not skipped) else 0)


def _killpg(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass


# ------------------------------------------------------------------ environment

_STRIP_PREFIXES = ("LANGFUSE_", "OTEL_", "LLMTAP_", "ASAN_", "UBSAN_", "TSAN_")
_STRIP = {"LD_PRELOAD", "TRACEPARENT", "http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY",
          "HTTPS_PROXY", "ALL_PROXY", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "CURL_HOME"}


class Env(dict):
    """A clean environment for one command: no inherited LANGFUSE_*/OTEL_*/
    LLMTAP_*/proxy variables, HOME and XDG_STATE_HOME in the case's temp dir
    (so a default JSONL file can only land there), loopback bypassing any
    proxy. .traced() adds LD_PRELOAD (and the ASan runtime, options)."""

    def __init__(self, t, **extra):
        super().__init__((k, v) for k, v in os.environ.items()
                         if k not in _STRIP and not k.startswith(_STRIP_PREFIXES))
        home = t.path("home")
        state = t.path("state")
        os.makedirs(home, exist_ok=True)
        os.makedirs(state, exist_ok=True)
        self["HOME"] = home
        self["XDG_STATE_HOME"] = state
        self["NO_PROXY"] = self["no_proxy"] = "127.0.0.1,localhost"
        self["LC_ALL"] = "C"
        self.update({k: str(v) for k, v in extra.items()})

    def copy(self):
        e = Env.__new__(Env)
        dict.__init__(e, self)
        return e

    def traced(self, **extra):
        check(os.path.exists(LIB), "the shim %s is not built" % LIB)
        e = self.copy()
        e["LD_PRELOAD"] = preload()
        if ASAN:
            e["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0"
            e["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
        e.update({k: str(v) for k, v in extra.items()})
        return e

    def untraced(self):
        e = self.copy()
        for k in list(e):
            if k.startswith(("LANGFUSE_", "OTEL_", "LLMTAP_")) or k == "LD_PRELOAD":
                del e[k]
        return e


def preload():
    return (ASAN_RUNTIME + " " + LIB) if ASAN else LIB


def export_env(otlp, **extra):
    """Variables sending spans to a local receiver as Langfuse would get them."""
    d = {"LANGFUSE_PUBLIC_KEY": LF_PUBLIC, "LANGFUSE_SECRET_KEY": LF_SECRET,
         "LANGFUSE_BASE_URL": otlp.url, "LANGFUSE_FLUSH_INTERVAL": "0.2", "LLMTAP_EXIT_TIMEOUT": "2"}
    d.update(extra)
    return d


# ------------------------------------------------------------------ commands

class Result:
    def __init__(self, argv, rc, out, err, elapsed, traced):
        self.argv, self.rc, self.out, self.err, self.elapsed, self.traced = argv, rc, out, err, elapsed, traced

    def __repr__(self):
        return "<rc=%s %.2fs out=%d bytes err=%r>" % (self.rc, self.elapsed, len(self.out),
                                                      self.err[-400:])


def run(argv, env, timeout=30, cwd=None, stdin=None, traced=None):
    """Runs argv (list, or str for sh -c) with env; never reads our stdin.
    A traced run (LD_PRELOAD in env, or traced=True) whose stderr shows a
    sanitizer report fails the case."""
    if isinstance(argv, str):
        argv = ["/bin/sh", "-c", argv]
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, env=env, cwd=cwd, timeout=timeout * SLOW,
                           input=stdin if stdin is not None else b"",
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except subprocess.TimeoutExpired as e:
        raise Failure("command timed out after %.0fs: %s\nstderr: %s" % (
            timeout * SLOW, _cmd(argv), (e.stderr or b"")[-2000:].decode(errors="replace")))
    r = Result(argv, p.returncode, p.stdout, p.stderr.decode(errors="replace"),
               time.monotonic() - t0, ("LD_PRELOAD" in env) if traced is None else traced)
    if r.traced:
        for m in SANITIZER_MARKS:
            if m in r.err:
                raise Failure("sanitizer report under the shim (%s): %s\n%s" % (m, _cmd(argv), r.err[-4000:]))
    return r


def _cmd(argv):
    return " ".join(argv) if isinstance(argv, (list, tuple)) else str(argv)


def twice(t, make_argv, env, traced_env, timeout=30, stdin=None, traced=None, traced_argv=None):
    """Runs the same command without, then with the shim, each in its own
    working directory (t.path('plain'), t.path('traced')) that make_argv(dir)
    may write files into. traced_argv(dir), if given, is the traced command
    (e.g. the same one under the launcher). Returns (plain, traced)."""
    out = []
    for label, e, tr, mk in (("plain", env, False, make_argv),
                             ("traced", traced_env, traced, traced_argv or make_argv)):
        d = t.path(label)
        os.makedirs(d, exist_ok=True)
        out.append(run(mk(d), e, timeout, cwd=d, stdin=stdin, traced=tr))
        out[-1].dir = d
    return out[0], out[1]


def same_behaviour(plain, traced, want_rc=None):
    """The first law: stdout, exit status and every file written in the
    working directory are byte-identical with and without the shim; the
    shim printed nothing on stderr (LANGFUSE_DEBUG unset)."""
    eq(traced.rc, plain.rc, "exit status under the shim (stderr: %s)" % traced.err[-300:])
    if want_rc is not None:
        eq(plain.rc, want_rc, "exit status of the command (stderr: %s)" % plain.err[-300:])
    if traced.out != plain.out:
        raise Failure("stdout differs under the shim: %d bytes vs %d without\n  traced: %s\n  plain:  %s"
                      % (len(traced.out), len(plain.out), _short(traced.out, 300), _short(plain.out, 300)))
    pd, td = getattr(plain, "dir", None), getattr(traced, "dir", None)
    if pd and td:
        pf, tf = sorted(os.listdir(pd)), sorted(os.listdir(td))
        eq(tf, pf, "files written under the shim")
        for name in pf:
            a, b = os.path.join(pd, name), os.path.join(td, name)
            if os.path.isfile(a):
                da, db = read(a), read(b)
                check(da == db, "file %s differs under the shim (%d bytes vs %d without)" % (
                    name, len(db), len(da)))
    lines = [l for l in traced.err.splitlines() if l.startswith("llmtap")]
    check(not lines, "the shim wrote on stderr without LANGFUSE_DEBUG: %s" % lines[:3])


def build_c(name, libs=("-lcurl",), shared=False):
    """Compiles tests/integration/<name>.c into build/itest/<name> (or
    <name>.so; when the source is newer); returns the binary's path."""
    src = os.path.join(ROOT, "tests", "integration", name + ".c")
    outdir = os.path.join(ROOT, "build", "itest")
    os.makedirs(outdir, exist_ok=True)
    out = os.path.join(outdir, name + (".so" if shared else ""))
    with open(os.path.join(outdir, ".lock"), "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
            tmp = out + ".tmp%d" % os.getpid()
            p = subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-O1", "-g", "-Wall", "-Wextra", "-Werror"]
                               + (["-shared", "-fPIC"] if shared else []) + ["-o", tmp, src] + list(libs), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=120)
            if p.returncode != 0:
                raise Failure("cannot build %s:\n%s" % (src, p.stdout))
            os.rename(tmp, out)
    return out


CHAT = "/v1/chat/completions"


def curl_llm(url, xcase, extra=(), body=None):
    """The curl command POSTing a fixture's request.json (or body) as an
    OpenAI client would, with the fake provider key, asking the replay
    server for case xcase; extra options go before the URL."""
    return (["curl", "-sS", "-H", "Authorization: Bearer " + PROVIDER_KEY, "-H", "Content-Type: application/json",
             "-H", "X-Case: " + xcase, "--data-binary", "@" + (body or fixture(xcase))]
            + list(extra) + [url])


def fixture(case_name, name="request.json"):
    """A file of a case directory (tests/fixtures/ first, then the shared ones)."""
    from servers import find_case
    d = find_case(case_name)
    if d is None:
        raise Failure("no fixture case %s" % case_name)
    return os.path.join(d, name)


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


def wait_for(pred, timeout, step=0.05):
    """Polls pred() until true or timeout seconds; returns its last value."""
    deadline = time.monotonic() + timeout * SLOW
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


if ASAN:
    # From here on ASAN_RUNTIME is the LD_PRELOAD prefix (runtime + stub);
    # ASAN_LIB stays the runtime's path.
    ASAN_LIB = ASAN_RUNTIME
    ASAN_RUNTIME = ASAN_LIB + " " + build_c("asan_swift_stub", libs=(), shared=True)
