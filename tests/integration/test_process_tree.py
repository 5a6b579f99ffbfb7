#!/usr/bin/python3
"""test_process_tree.py — a shell script under scripts/llmtap: every process
of the tree (curl with the OpenSSL libcurl, python3 + pycurl with the GnuTLS
libcurl) in one trace, exported to an OTLP receiver as Langfuse gets it.
(test_launcher.py tests the launcher itself.)

Each case: the replay server's replies, the script, what must arrive (one
process span per process that made an LLM call, its generations, all in one
trace, the id the launcher reports), every export valid (validate-otlp
--strict --headers), and the same stdout and exit status as the script run
without the launcher.
"""
import os
import re
import shlex
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import (ASAN, ASAN_RUNTIME, CHAT, HERE, LIB, PYTHON, ROOT, Env, case, check, curl_llm, eq,  # noqa: E402
                     export_env, fixture, main, same_behaviour, twice)
from otlp import collect, generations, match_each, one_process, process_spans  # noqa: E402
from servers import OtlpReceiver, ProviderServer  # noqa: E402

LAUNCHER = os.path.join(ROOT, "scripts", "llmtap")


def launcher_env(env, **extra):
    """The environment for scripts/llmtap: LLMTAP_LIB names the shim; under
    ASan the runtime is already in LD_PRELOAD (the launcher appends)."""
    e = env.copy()
    e["LLMTAP_LIB"] = LIB
    if ASAN:
        e["LD_PRELOAD"] = ASAN_RUNTIME
        e["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0"
        e["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    e.update({k: str(v) for k, v in extra.items()})
    return e


def curl_cmd(url, xcase):
    return shlex.join(curl_llm(url, xcase))


def pycurl_cmd(url, xcase):
    return shlex.join([PYTHON, os.path.join(HERE, "pycurl_client.py"), "easy", url, "%s=%s" % (xcase, fixture(xcase))])


@case(timeout=90)
def launcher_should_put_curl_and_pycurl_processes_in_one_trace(t):
    """Replies: chat_plain (to curl), chat_tool_calls (to pycurl). Command:
    scripts/llmtap -- sh -c 'curl ...; echo; python3 pycurl_client.py ...;
    true'. Arrives: two process spans (curl, python3; sh and true make no
    LLM call) with different pids, two generations matching expected.json,
    every span in one trace: the id the launcher printed on stderr. Stdout
    and status as `sh -c` alone."""
    with ProviderServer() as srv, OtlpReceiver() as rcv:
        env = Env(t)
        url = srv.url + CHAT
        sh = "%s; echo; %s; true" % (curl_cmd(url, "openai/chat_plain"), pycurl_cmd(url, "openai/chat_tool_calls"))
        plain, traced = twice(t, lambda d: ["sh", "-c", sh], env, launcher_env(env, **export_env(rcv)),
                              timeout=60, traced=True, traced_argv=lambda d: [LAUNCHER, "--", "sh", "-c", sh])
        eq(traced.rc, plain.rc, "exit status (stderr: %s)" % traced.err[-300:])
        eq(plain.rc, 0, "exit status of the script")
        eq(traced.out, plain.out, "stdout")
        spans = collect(rcv)
    procs = process_spans(spans)
    eq(len(procs), 2, "process spans (curl and python3): %s" % procs)
    pids = {p.resource.get("process.pid", p.attrs.get("process.pid")) for p in procs}
    check(None not in pids, "process span without process.pid: %s" % procs)
    eq(len(pids), 2, "distinct pids of the process spans (%s)" % pids)
    match_each(generations(spans), ["openai/chat_plain", "openai/chat_tool_calls"])
    tids = {s.trace_id for s in spans}
    eq(len(tids), 1, "trace ids of all spans")
    m = re.search(r"trace ([0-9a-f]{32})", traced.err)
    check(m, "the launcher did not report a trace id on stderr: %r" % traced.err[-300:])
    eq(tids, {m.group(1)}, "trace id of the spans vs the launcher's")


@case(timeout=60)
def quiet_launcher_should_keep_status_and_output(t):
    """Reply: chat_plain. Command: scripts/llmtap -q -- sh -c 'curl ...;
    exit 5' with LLMTAP_TRACE_ID preset. Exit status 5 and stdout as `sh -c`
    alone; nothing on stderr; arrives: one process span and one generation,
    in the preset trace."""
    tid = "0af7651916cd43dd8448eb211c80319c"
    with ProviderServer() as srv, OtlpReceiver() as rcv:
        env = Env(t)
        sh = curl_cmd(srv.url + CHAT, "openai/chat_plain") + "; exit 5"
        plain, traced = twice(t, lambda d: ["sh", "-c", sh], env,
                              launcher_env(env, LLMTAP_TRACE_ID=tid, **export_env(rcv)), timeout=60, traced=True,
                              traced_argv=lambda d: [LAUNCHER, "-q", "--", "sh", "-c", sh])
        same_behaviour(plain, traced, 5)
        eq(traced.err, "", "stderr of llmtap -q")
        spans = collect(rcv)
    one_process(spans, 1)
    eq({s.trace_id for s in spans}, {tid}, "trace ids")


if __name__ == "__main__":
    main()
