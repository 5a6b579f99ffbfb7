#!/usr/bin/python3
"""test_show.py — build/llmtap-show (scripts/show.c), the JSONL viewer.

Each case writes a JSONL file of OTLP/JSON export bodies (synthetic, built
below as the shim writes them: one body per line, a process span of kind 1
and generation spans of kind 3 under it), runs the viewer and checks its
text or --json tree. The last cases read real shim output (curl under the
shim, against the local replay server). Each case runs in its own process
group with a timeout (harness.py); last line "N passed, N failed".
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import ROOT, SHARED, Env, case, check, eq, main, run  # noqa: E402

SHOW = os.path.join(ROOT, "build", "llmtap-show")
LAUNCHER = os.path.join(ROOT, "scripts", "llmtap")

T1 = "5b8efff798038103d269b633813fc60c"
T2 = "0af7651916cd43dd8448eb211c80319c"
BASE_NS = 1795514400 * 10**9  # 2026-11-24 10:00:00 UTC


# ------------------------------------------------------------------ builders

def sv(s):
    return {"stringValue": s}


def attr(k, v):
    if isinstance(v, bool):
        val = {"boolValue": v}
    elif isinstance(v, int):
        val = {"intValue": str(v)}
    elif isinstance(v, float):
        val = {"doubleValue": v}
    elif isinstance(v, dict):
        val = v
    else:
        val = sv(v)
    return {"key": k, "value": val}


def span(trace, sid, parent, name, start_ms, end_ms, kind=3, attrs=None, status=None):
    return {
        "traceId": trace, "spanId": sid, "parentSpanId": parent, "name": name, "kind": kind,
        "startTimeUnixNano": str(BASE_NS + int(start_ms * 10**6)),
        "endTimeUnixNano": str(BASE_NS + int(end_ms * 10**6)),
        "attributes": [attr(k, v) for k, v in (attrs or {}).items()],
        "status": status or {"code": 0},
    }


def process(trace, sid, name, start_ms, end_ms, parent="", pid=None, trace_name=None, exe=None):
    a = {"langfuse.observation.type": "span", "langfuse.trace.name": trace_name or name}
    if pid is not None:
        a["langfuse.observation.metadata.pid"] = pid
    if exe is not None:
        a["langfuse.observation.metadata.exe"] = exe
    return span(trace, sid, parent, name, start_ms, end_ms, kind=1, attrs=a)


def generation(trace, sid, parent, model, start_ms, end_ms, usage=None, cost=None,
               first_token_ms=None, level=None, message=None, cost_details=None, trace_name=None):
    a = {"langfuse.observation.type": "generation", "langfuse.observation.model.name": model,
         "gen_ai.request.model": model}
    if usage is not None:
        a["langfuse.observation.usage_details"] = json.dumps(usage)
    if cost is not None:
        a["llmtap.cost"] = float(cost)
    if cost_details is not None:
        a["langfuse.observation.cost_details"] = json.dumps(cost_details)
    if first_token_ms is not None:
        ns = BASE_NS + int(first_token_ms * 10**6)
        import datetime
        dt = datetime.datetime.fromtimestamp(ns // 10**9, datetime.timezone.utc)
        a["langfuse.observation.completion_start_time"] = dt.strftime("%Y-%m-%dT%H:%M:%S") + \
            ".%06dZ" % ((ns % 10**9) // 1000)
    if level:
        a["langfuse.observation.level"] = level
    if message:
        a["langfuse.observation.status_message"] = message
    if trace_name:
        a["langfuse.trace.name"] = trace_name
    st = {"code": 2, "message": message or ""} if level == "ERROR" else {"code": 0}
    return span(trace, sid, parent, "openai.chat " + model, start_ms, end_ms, attrs=a, status=st)


def body(spans, pid=4242, service="app"):
    return {"resourceSpans": [{
        "resource": {"attributes": [attr("service.name", service), attr("process.pid", pid)]},
        "scopeSpans": [{"scope": {"name": "llmtap", "version": "0.1.0"}, "spans": spans}],
    }]}


def write_jsonl(path, bodies, extra_lines=()):
    with open(path, "w") as f:
        for b in bodies:
            f.write((b if isinstance(b, str) else json.dumps(b, separators=(",", ":"))) + "\n")
        for l in extra_lines:
            f.write(l + "\n")
    return path


def show(t, *args, env=None, stdin=None, timeout=30):
    e = env or Env(t)
    return run([SHOW] + list(args), e, timeout=timeout, stdin=stdin)


def show_json(t, *args, **kw):
    r = show(t, "--json", *args, **kw)
    eq(r.rc, 0, "exit status (stderr %r)" % r.err)
    return json.loads(r.out)


def one_trace_file(t):
    """A trace: process span 'app.py' (pid 4242, 0-2000 ms) with a plain and
    a streamed generation (usage, cost, first token)."""
    spans_ = [
        generation(T1, "a000000000000001", "e000000000000001", "gpt-4o-mini", 100, 900,
                   usage={"input": 21, "output": 7, "total": 28}, cost=0.0000123, trace_name="app.py"),
        generation(T1, "a000000000000002", "e000000000000001", "gpt-4o", 1000, 1500,
                   usage={"input": 100, "input_cached_tokens": 1024, "output": 36,
                          "output_reasoning_tokens": 192, "total": 1352},
                   first_token_ms=1250, trace_name="app.py"),
    ]
    proc = process(T1, "e000000000000001", "app.py", 0, 2000, pid=4242)
    # Generations are exported before the process span (which leaves at exit).
    return write_jsonl(t.path("spans.jsonl"), [body(spans_), body([proc])])


# ------------------------------------------------------------------ cases

@case(timeout=30)
def show_should_print_trace_process_and_generations(t):
    f = one_trace_file(t)
    r = show(t, f)
    eq(r.rc, 0, "exit status")
    lines = r.out.decode().splitlines()
    eq(len(lines), 4, "line count:\n" + r.out.decode())
    check(lines[0].startswith("trace %s  app.py  " % T1), "trace line: %r" % lines[0])
    check("2 generations" in lines[0] and "1380 tokens" in lines[0], "trace totals: %r" % lines[0])
    check("$0.000012" in lines[0], "trace cost: %r" % lines[0])
    check(lines[1].startswith("`- app.py  pid 4242  2000 ms"), "process line: %r" % lines[1])
    g1, g2 = lines[2], lines[3]
    check(g1.startswith("   |- openai.chat gpt-4o-mini  model gpt-4o-mini"), "first generation: %r" % g1)
    check("tokens 21 in / 7 out / 28 total" in g1, "usage: %r" % g1)
    check("cost $0.000012" in g1 and "latency 800 ms" in g1, "cost/latency: %r" % g1)
    check("ttft" not in g1, "no ttft without completion_start_time: %r" % g1)
    check(g2.startswith("   `- openai.chat gpt-4o  model gpt-4o"), "second generation: %r" % g2)
    check("tokens 100 in / 36 out / 1352 total (cached 1024, reasoning 192)" in g2, "usage details: %r" % g2)
    check("latency 500 ms" in g2 and "ttft 250 ms" in g2, "latency/ttft: %r" % g2)
    eq(r.err, "", "stderr")


@case(timeout=30)
def show_json_should_give_the_same_tree(t):
    d = show_json(t, one_trace_file(t))
    eq(len(d["traces"]), 1, "traces")
    tr = d["traces"][0]
    eq((tr["trace_id"], tr["name"], tr["generations"], tr["tokens"]), (T1, "app.py", 2, 1380), "trace")
    eq(len(tr["roots"]), 1, "roots")
    p = tr["roots"][0]
    eq((p["name"], p["pid"], p["duration_ms"], p["type"]), ("app.py", 4242, 2000, "span"), "process")
    g = p["children"]
    eq([c["model"] for c in g], ["gpt-4o-mini", "gpt-4o"], "generations in start order")
    eq(g[0]["usage"], {"input": 21, "output": 7, "total": 28}, "usage")
    check(abs(g[0]["cost"] - 0.0000123) < 1e-12, "cost %r" % g[0].get("cost"))
    eq((g[1]["latency_ms"], g[1]["ttft_ms"]), (500, 250), "latency, ttft")
    eq(d["skipped"], 0, "skipped")


@case(timeout=30)
def show_should_nest_child_process_spans_under_their_parent(t):
    parent = process(T1, "e000000000000001", "run.sh", 0, 5000, pid=100)
    child = process(T1, "e000000000000002", "worker", 1000, 3000, parent="e000000000000001", pid=101,
                    exe="python3")
    grandchild = process(T1, "e000000000000003", "worker", 1500, 2500, parent="e000000000000002", pid=102)
    g_child = generation(T1, "a000000000000001", "e000000000000003", "gpt-4o-mini", 1600, 1700,
                         usage={"input": 1, "output": 2, "total": 3})
    g_parent = generation(T1, "a000000000000002", "e000000000000001", "gpt-4o-mini", 4000, 4100,
                          usage={"input": 1, "output": 1, "total": 2})
    f = write_jsonl(t.path("s.jsonl"), [body([g_child], pid=102), body([grandchild], pid=102),
                                        body([child], pid=101), body([g_parent, parent], pid=100)])
    r = show(t, f)
    eq(r.rc, 0, "exit status")
    got = [l.split("  (")[0].split("  pid")[0].split("  model")[0] for l in r.out.decode().splitlines()[1:]]
    eq(got, ["`- run.sh",
             "   |- worker",
             "   |  `- worker",
             "   |     `- openai.chat gpt-4o-mini",
             "   `- openai.chat gpt-4o-mini"], "tree:\n" + r.out.decode())
    check("worker  (python3)  pid 101" in r.out.decode().splitlines()[2], "child exe, pid")
    tr = show_json(t, f)["traces"][0]
    eq(tr["roots"][0]["children"][0]["children"][0]["children"][0]["span_id"], "a000000000000001", "json nesting")


@case(timeout=30)
def show_should_draw_the_process_spans_of_one_launcher_trace_as_siblings(t):
    # Under the launcher each process is its own root in the shared trace.
    a = process(T1, "e000000000000001", "pipeline", 0, 100, pid=10, exe="curl")
    b = process(T1, "e000000000000002", "pipeline", 200, 300, pid=11, exe="demo_client")
    ga = generation(T1, "a000000000000001", "e000000000000001", "gpt-4o-mini", 10, 20)
    gb = generation(T1, "a000000000000002", "e000000000000002", "gpt-4o-mini", 210, 220)
    f = write_jsonl(t.path("s.jsonl"), [body([ga, a], pid=10), body([gb, b], pid=11)])
    lines = [l.split("  model")[0].split("  pid")[0] for l in show(t, f).out.decode().splitlines()[1:]]
    eq(lines, ["|- pipeline  (curl)",
               "|  `- openai.chat gpt-4o-mini",
               "`- pipeline  (demo_client)",
               "   `- openai.chat gpt-4o-mini"], "tree")


@case(timeout=30)
def show_should_skip_malformed_lines_with_a_note(t):
    good = body([process(T1, "e000000000000001", "app", 0, 10)])
    good2 = body([process(T2, "e000000000000009", "other", 20, 30)])
    lines = [
        json.dumps(good),
        "this is not json",
        '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"' + T1,   # truncated line
        '{"hello": "world"}',                                             # JSON, not OTLP
        "",
        json.dumps(good2),
        "\x00\xff garbage",
        '[1, 2',                                                           # truncated at EOF
    ]
    f = t.path("bad.jsonl")
    with open(f, "w", encoding="utf-8", errors="surrogateescape") as fh:
        fh.write("\n".join(lines) + "\n")
    r = show(t, f)
    eq(r.rc, 0, "exit status (stderr %r)" % r.err)
    out = r.out.decode()
    check("trace %s" % T1 in out and "trace %s" % T2 in out, "both good lines shown:\n" + out)
    notes = r.err.splitlines()
    for n in (2, 3, 4, 7, 8):
        check(any(":%d: " % n in x and "skipped" in x for x in notes), "note for line %d: %r" % (n, notes))
    eq(len(notes), 5, "one note per bad line: %r" % notes)
    eq(show_json(t, f)["skipped"], 5, "skipped count")


@case(timeout=30)
def show_should_filter_by_trace_id_or_prefix(t):
    f = write_jsonl(t.path("s.jsonl"), [
        body([process(T1, "e000000000000001", "first", 0, 10)]),
        body([process(T2, "e000000000000002", "second", 50, 60)]),
    ])
    r = show(t, "--trace", T2, f)
    eq(r.rc, 0, "exit status")
    check("second" in r.out.decode() and "first" not in r.out.decode(), r.out.decode())
    r = show(t, "--trace=" + T1[:8], f)
    check("first" in r.out.decode() and "second" not in r.out.decode(), r.out.decode())
    r = show(t, "--trace", "ffffffff", f)
    eq(r.rc, 1, "exit status for an unknown trace")
    check("no trace ffffffff" in r.err, r.err)


@case(timeout=30)
def show_last_should_print_only_the_most_recent_trace(t):
    f = write_jsonl(t.path("s.jsonl"), [
        body([process(T2, "e000000000000002", "newer", 5000, 6000)]),
        body([process(T1, "e000000000000001", "older", 0, 10)]),
    ])
    r = show(t, "--last", f)
    eq(r.rc, 0, "exit status")
    check("newer" in r.out.decode() and "older" not in r.out.decode(), r.out.decode())
    r = show(t, f)
    out = r.out.decode()
    check(out.index("older") < out.index("newer"), "traces by start time:\n" + out)


@case(timeout=30)
def show_should_print_level_and_status_message_of_errors(t):
    g = generation(T1, "a000000000000001", "e000000000000001", "gpt-9", 10, 150, level="ERROR",
                   message="HTTP 404: The model `gpt-9` does not exist")
    w = generation(T1, "a000000000000002", "e000000000000001", "gpt-4o", 200, 300, level="WARNING",
                   message="response cut at 16777216 bytes", usage={"input": 1, "output": 1, "total": 2})
    f = write_jsonl(t.path("s.jsonl"), [body([g, w, process(T1, "e000000000000001", "app", 0, 400)])])
    r = show(t, f)
    lines = r.out.decode().splitlines()
    check("1 error" in lines[0], lines[0])
    check(lines[2].endswith("ERROR: HTTP 404: The model `gpt-9` does not exist"), lines[2])
    check(lines[3].endswith("WARNING: response cut at 16777216 bytes"), lines[3])
    g2 = show_json(t, f)["traces"][0]["roots"][0]["children"][0]
    eq((g2["level"], g2["status_message"]), ("ERROR", "HTTP 404: The model `gpt-9` does not exist"), "json")


@case(timeout=30)
def show_should_take_cost_from_cost_details(t):
    g = generation(T1, "a000000000000001", "e000000000000001", "gpt-4o", 0, 10,
                   usage={"input": 10, "output": 5, "total": 15}, cost_details={"input": 0.25, "output": 0.5, "total": 0.75})
    g2 = generation(T1, "a000000000000002", "e000000000000001", "gpt-4o", 20, 30,
                    cost_details={"input": 0.5, "output": 1.25})
    f = write_jsonl(t.path("s.jsonl"), [body([g, g2, process(T1, "e000000000000001", "app", 0, 40)])])
    r = show(t, f)
    lines = r.out.decode().splitlines()
    check("cost $0.75 " in lines[2] + " ", lines[2])
    check("cost $1.75" in lines[3], "sum without total: " + lines[3])
    check("$2.5" in lines[0], "trace total: " + lines[0])


@case(timeout=30)
def show_should_read_stdin_with_dash(t):
    data = open(one_trace_file(t), "rb").read()
    r = show(t, "-", stdin=data)
    eq(r.rc, 0, "exit status")
    check(r.out.decode().startswith("trace " + T1), r.out.decode())


@case(timeout=30)
def show_should_default_to_the_file_the_shim_writes(t):
    src = open(one_trace_file(t), "rb").read()
    e = Env(t)
    # $XDG_STATE_HOME/llmtap/spans.jsonl
    os.makedirs(os.path.join(e["XDG_STATE_HOME"], "llmtap"))
    with open(os.path.join(e["XDG_STATE_HOME"], "llmtap", "spans.jsonl"), "wb") as fh:
        fh.write(src)
    r = show(t, env=e)
    eq(r.rc, 0, "XDG_STATE_HOME default (stderr %r)" % r.err)
    check(T1 in r.out.decode(), r.out.decode())
    # ~/.local/state/llmtap/spans.jsonl when XDG_STATE_HOME is unset
    e2 = e.copy()
    del e2["XDG_STATE_HOME"]
    r = show(t, env=e2)
    eq(r.rc, 1, "no file under HOME yet")
    check(os.path.join(e["HOME"], ".local/state/llmtap/spans.jsonl") in r.err, r.err)
    # LLMTAP_OUTPUT wins
    e3 = e.copy()
    e3["LLMTAP_OUTPUT"] = t.path("elsewhere.jsonl")
    r = show(t, env=e3)
    eq(r.rc, 1, "LLMTAP_OUTPUT names a missing file")
    check("elsewhere.jsonl" in r.err, r.err)


@case(timeout=30)
def show_should_fail_with_status_1_on_a_missing_file(t):
    r = show(t, t.path("nope.jsonl"))
    eq(r.rc, 1, "exit status")
    check("nope.jsonl" in r.err and "No such file" in r.err, r.err)
    eq(r.out, b"", "stdout")


@case(timeout=30)
def show_should_reject_unknown_options_with_status_2(t):
    r = show(t, "--bogus")
    eq(r.rc, 2, "exit status")
    r = show(t, "--help")
    eq(r.rc, 0, "--help")
    for w in ("--trace", "--last", "--json", "LLMTAP_OUTPUT", "XDG_STATE_HOME"):
        check(w in r.out.decode(), "help mentions %s" % w)
    r = show(t, "--version")
    check(r.out.decode().startswith("llmtap-show 0.1.0"), r.out.decode())


@case(timeout=30)
def show_should_not_pass_control_characters_to_the_terminal(t):
    evil = "gpt\x1b[31m-red\x07\r\n"
    g = generation(T1, "a000000000000001", "e000000000000001", evil, 0, 10, level="ERROR",
                   message="bad\x1b]0;title\x07 \xc2\x9b thing")
    f = write_jsonl(t.path("s.jsonl"), [body([g, process(T1, "e000000000000001", "x\x1by", 0, 20)])])
    r = show(t, f)
    eq(r.rc, 0, "exit status")
    for b in (b"\x1b", b"\x07", b"\r", b"\xc2\x9b"):
        check(b not in r.out, "control byte %r in output: %r" % (b, r.out))
    eq(len(r.out.splitlines()), 3, "no line break injected: %r" % r.out)


@case(timeout=30)
def show_should_mark_spans_whose_parent_is_not_in_the_file(t):
    g = generation(T1, "a000000000000001", "e0000000000000ff", "gpt-4o", 0, 10,
                   usage={"input": 1, "output": 1, "total": 2})
    f = write_jsonl(t.path("s.jsonl"), [body([g])])
    r = show(t, f)
    lines = r.out.decode().splitlines()
    eq(len(lines), 2, r.out.decode())
    check("(parent span e0000000000000ff not in the file)" in lines[1], lines[1])


@case(timeout=30)
def show_should_keep_the_first_of_duplicate_spans(t):
    p = process(T1, "e000000000000001", "app", 0, 10)
    g = generation(T1, "a000000000000001", "e000000000000001", "gpt-4o", 1, 2,
                   usage={"input": 1, "output": 1, "total": 2})
    f = write_jsonl(t.path("s.jsonl"), [body([g, p]), body([g, p])])
    r = show(t, f)
    eq(len(r.out.decode().splitlines()), 3, r.out.decode())
    check("1 generation " in r.out.decode().splitlines()[0] + " ", r.out.decode())
    check("more than once" in r.err, r.err)


@case(timeout=60)
def show_should_survive_deep_chains_and_parent_cycles(t):
    n = 20000
    chain = [process(T1, "%016x" % (i + 1), "p%d" % i, i, i + 1, parent=("%016x" % i) if i else "")
             for i in range(n)]
    cyc = [process(T2, "c000000000000001", "a", 0, 1, parent="c000000000000002"),
           process(T2, "c000000000000002", "b", 0, 1, parent="c000000000000001")]
    f = write_jsonl(t.path("s.jsonl"), [body(chain), body(cyc)])
    r = show(t, f, timeout=50)
    eq(r.rc, 0, "exit status (stderr %r)" % r.err[-300:])
    lines = r.out.decode().splitlines()
    eq(len(lines), 1 + n + 1 + 2 + 1, "every span printed once (blank line between traces)")
    check(any(l.strip().startswith("`- a") or l.strip().startswith("`- b") for l in lines[-2:]), lines[-2:])
    r = show(t, "--json", f, timeout=50)
    eq(r.rc, 0, "json exit status")
    sys.setrecursionlimit(10000)
    d = json.loads(r.out)
    node, depth = d["traces"][0]["roots"][0], 0
    while node["children"]:
        node, depth = node["children"][0], depth + 1
    check(node.get("children_not_shown") == 1, "deepest node says what was cut: %r" % node)


@case(timeout=60)
def show_should_read_a_large_file_quickly(t):
    bodies = []
    for i in range(2000):
        tid = "%032x" % (i + 1)
        gens = [generation(tid, "%016x" % (i * 100 + k + 1), "%016x" % (10**9 + i), "gpt-4o-mini", k, k + 1,
                           usage={"input": 3, "output": 4, "total": 7}) for k in range(10)]
        bodies.append(body(gens + [process(tid, "%016x" % (10**9 + i), "app", 0, 20)]))
    f = write_jsonl(t.path("big.jsonl"), bodies)
    r = show(t, f, timeout=30)
    eq(r.rc, 0, "exit status")
    eq(r.out.decode().count("\ntrace ") + 1, 2000, "traces")
    check(r.elapsed < 10, "took %.1fs for 22000 spans" % r.elapsed)
    r = show(t, "--last", f)
    eq(r.rc, 0, "--last")


@case(timeout=30)
def show_should_read_pretty_printed_bodies_and_recordings(t):
    # One body pretty-printed over many lines, then a recording (a JSON array
    # of bodies, as ../shared/peer/otlp/ holds them) on one line.
    b1 = body([process(T1, "e000000000000001", "pretty", 0, 10)])
    b2 = body([process(T2, "e000000000000002", "recorded", 20, 30)])
    f = t.path("s.json")
    with open(f, "w") as fh:
        fh.write(json.dumps(b1, indent=2) + "\n" + json.dumps([b2]) + "\n")
    r = show(t, f)
    eq(r.rc, 0, "exit status (stderr %r)" % r.err)
    check("pretty" in r.out.decode() and "recorded" in r.out.decode(), r.out.decode())
    eq(r.err, "", "no note")


@case(timeout=60)
def show_should_read_every_validate_otlp_example(t):
    ex = os.path.join(SHARED, "langfuse", "examples")
    files = sorted(x for x in os.listdir(ex) if x.startswith("otlp-")) if os.path.isdir(ex) else []
    check(files, "no examples in %s" % ex)
    for x in files:
        r = show(t, os.path.join(ex, x))
        eq(r.rc, 0, "%s exit status (stderr %r)" % (x, r.err))
        check(r.out.startswith(b"trace "), "%s: %r" % (x, r.out[:200]))
    r = show(t, os.path.join(ex, "otlp-valid-stream.json"))
    check("tokens 1125 in / 36 out / 2377 total (cached 1024, reasoning 192)" in r.out.decode(), r.out.decode())
    check("ttft 312 ms" in r.out.decode(), r.out.decode())


# ------------------------------------------------------------- real shim output

def _provider(t):
    """The replay server with the demo's two recorded answers (demo.py), so
    these cases need nothing outside the repository."""
    from servers import ProviderServer
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import demo
    cases = t.path("cases")
    demo.write_cases(cases)
    return ProviderServer(dirs=[cases], default_case="demo/chat",
                          routes={"/stream/v1/chat/completions": "demo/chat_stream"})


@case(timeout=90)
def show_should_print_what_the_shim_wrote_for_curl(t):
    import harness
    out = t.path("spans.jsonl")
    with _provider(t) as prov:
        e = Env(t)
        if harness.ASAN:
            e["LD_PRELOAD"] = harness.ASAN_RUNTIME
            e["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0"
        e["LLMTAP_LIB"] = harness.LIB
        req = json.dumps({"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "hi"}]})
        sreq = json.dumps({"model": "gpt-4o-mini", "stream": True, "stream_options": {"include_usage": True},
                           "messages": [{"role": "user", "content": "What is 10 + 5?"}]})
        script = ("curl -sS -o /dev/null %s/v1/chat/completions -H 'Authorization: Bearer sk-test-abc123' "
                  "-H 'Content-Type: application/json' -d '%s' && "
                  "curl -sS -N -o /dev/null %s/stream/v1/chat/completions -H 'Authorization: Bearer sk-test-abc123' "
                  "-H 'Content-Type: application/json' -d '%s'") % (prov.url, req, prov.url, sreq)
        r = run([LAUNCHER, "-n", "real", "-o", out, "--", "/bin/sh", "-c", script], e, timeout=30)
        eq(r.rc, 0, "traced curl (stderr %r)" % r.err)
    check(os.path.exists(out), "no JSONL file written (stderr %r)" % r.err)
    d = show_json(t, out)
    eq(len(d["traces"]), 1, "one trace for the process tree")
    tr = d["traces"][0]
    eq(tr["name"], "real", "trace name from -n")
    eq(tr["generations"], 2, "generations: %s" % json.dumps(tr)[:2000])

    def gens(n):
        out = [n] if n["type"] == "generation" else []
        for c in n["children"]:
            out += gens(c)
        return out
    g = sorted((x for r_ in tr["roots"] for x in gens(r_)), key=lambda x: x["start_unix_ms"])
    main3 = lambda u: {k: u.get(k) for k in ("input", "output", "total")}  # noqa: E731
    eq(main3(g[0]["usage"]), {"input": 21, "output": 3, "total": 24}, "plain usage")
    eq(main3(g[1]["usage"]), {"input": 13, "output": 13, "total": 26}, "stream usage")
    check("ttft_ms" in g[1] and 0 <= g[1]["ttft_ms"] <= g[1]["latency_ms"], "stream ttft: %r" % g[1])
    procs = [r_ for r_ in tr["roots"] if r_["type"] == "span"]
    check(procs and all("pid" in p for p in procs), "process spans with pid: %r" % tr["roots"])
    r = show(t, out)
    check(r.out.decode().count("openai") >= 2 or r.out.decode().count("model ") == 2, r.out.decode())


if __name__ == "__main__":
    main()
