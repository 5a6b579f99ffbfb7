#!/usr/bin/python3
"""test_config.py — configuration by environment: tracing switched off,
debug diagnostics, the destination order (OTLP endpoints, Langfuse keys,
local JSONL file in the private state directory), LLMTAP_TRACE_ID.

Each case: the replay server's reply, the curl command and environment,
what must arrive where (and nowhere else), and the same output and exit
status as without the shim.
"""
import os
import stat
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import (AZURE_KEY, CHAT, LF_PUBLIC, LF_SECRET, QUERY_KEY, Env, case, check, eq,  # noqa: E402
                     export_env, main, same_behaviour, twice)
from otlp import (check_against_expected, collect, jsonl_bodies, no_secrets, one_process,  # noqa: E402
                  spans_of, validate_body)
from servers import OtlpReceiver, ProviderServer  # noqa: E402

PLAIN = "openai/chat_plain"
STREAM = "openai/chat_stream_include_usage"


def curl_llm(url, xcase, extra=()):
    """harness.curl_llm plus an Azure-style api-key header (fake)."""
    return harness.curl_llm(url, xcase, ["-H", "api-key: " + AZURE_KEY] + list(extra))


def headers_of(rcv):
    """[{lower-case name: value}] of each export request."""
    out = []
    for _, _, hfile, _, _ in rcv.exports():
        h = {}
        with open(hfile) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition(":")
                h[k.strip().lower()] = v.strip()
        out.append(h)
    return out


@case(timeout=60)
def tracing_disabled_should_export_nothing_and_change_nothing(t):
    """Reply: chat_plain. Env: LANGFUSE_TRACING_ENABLED=false, Langfuse keys
    to a live receiver, LLMTAP_OUTPUT set. Arrives: nothing; no file; same
    output, nothing on stderr."""
    out = t.path("o", "spans.jsonl")
    os.makedirs(t.path("o"))
    with ProviderServer() as srv, OtlpReceiver() as rcv:
        env = Env(t)
        plain, traced = twice(t, lambda d: curl_llm(srv.url + CHAT, PLAIN), env,
                              env.traced(LANGFUSE_TRACING_ENABLED="false", LLMTAP_OUTPUT=out, **export_env(rcv)))
        same_behaviour(plain, traced, 0)
        eq(traced.err, plain.err, "stderr")
        eq(rcv.count, 0, "exports with tracing disabled")
    eq(os.listdir(t.path("o")), [], "files in LLMTAP_OUTPUT's directory")
    eq(os.listdir(t.path("state")), [], "files in XDG_STATE_HOME")


@case(timeout=60)
def tracing_disabled_jsonl_should_write_nothing(t):
    """Reply: chat_plain. Env: LANGFUSE_TRACING_ENABLED=false, no backend (the
    JSONL fallback). Arrives: no file anywhere (state dir, home, cwd)."""
    with ProviderServer() as srv:
        env = Env(t)
        plain, traced = twice(t, lambda d: curl_llm(srv.url + CHAT, PLAIN), env,
                              env.traced(LANGFUSE_TRACING_ENABLED="false"))
        same_behaviour(plain, traced, 0)
    eq(os.listdir(t.path("state")), [], "files in XDG_STATE_HOME")
    eq(os.listdir(t.path("home")), [], "files in HOME")


@case(timeout=60)
def debug_should_print_one_line_diagnostics_without_secrets(t):
    """Reply: chat_plain, URL with ?key=sk-test-... Env: LANGFUSE_DEBUG=true,
    Langfuse keys, backend refusing connections (so there is a failure to
    report). stderr: at least one line, every line starting "llmtap", no
    provider key, no Langfuse secret, no Basic credentials. Same stdout and
    exit status."""
    import base64
    basic = base64.b64encode(("%s:%s" % (LF_PUBLIC, LF_SECRET)).encode()).decode()
    with ProviderServer() as srv, OtlpReceiver(mode="refuse") as rcv:
        env = Env(t)
        plain, traced = twice(t, lambda d: curl_llm(srv.url + CHAT + "?key=" + QUERY_KEY, PLAIN), env,
                              env.traced(LANGFUSE_DEBUG="true", **export_env(rcv)))
        eq(traced.rc, plain.rc, "exit status")
        eq(traced.out, plain.out, "stdout")
    lines = [l for l in traced.err.splitlines() if l.strip()]
    check(lines, "LANGFUSE_DEBUG=true with a refusing backend printed nothing")
    bad = [l for l in lines if not l.startswith("llmtap")]
    check(not bad, "stderr lines not from llmtap (or not one-line): %s" % bad[:5])
    no_secrets("stderr with LANGFUSE_DEBUG=true", traced.err, extra=(basic, LF_PUBLIC + ":"))


@case(timeout=60)
def debug_with_working_backend_should_not_leak_secrets(t):
    """Reply: chat_stream_include_usage. Env: LANGFUSE_DEBUG=true, Langfuse
    keys, working receiver. Arrives: one generation; stderr lines all start
    with "llmtap" and hold no secret."""
    import base64
    basic = base64.b64encode(("%s:%s" % (LF_PUBLIC, LF_SECRET)).encode()).decode()
    with ProviderServer() as srv, OtlpReceiver() as rcv:
        env = Env(t)
        plain, traced = twice(t, lambda d: curl_llm(srv.url + CHAT + "?key=" + QUERY_KEY, STREAM, ["-o", "out"]),
                              env, env.traced(LANGFUSE_DEBUG="true", **export_env(rcv)))
        eq(traced.rc, plain.rc, "exit status")
        eq(traced.out, plain.out, "stdout")
        spans = collect(rcv)
    one_process(spans, 1)
    bad = [l for l in traced.err.splitlines() if l.strip() and not l.startswith("llmtap")]
    check(not bad, "stderr lines not from llmtap: %s" % bad[:5])
    no_secrets("stderr with LANGFUSE_DEBUG=true", traced.err, extra=(basic,))


@case(timeout=60)
def default_jsonl_should_go_to_the_private_state_dir(t):
    """Reply: chat_plain. Env: no backend, no LLMTAP_OUTPUT,
    XDG_STATE_HOME=<tmp>/state. Arrives: one JSONL file under
    <tmp>/state/llmtap/ (directory mode 0700), nothing in the working
    directory; each line passes validate-otlp --strict; one generation."""
    with ProviderServer() as srv:
        env = Env(t)
        plain, traced = twice(t, lambda d: curl_llm(srv.url + CHAT, PLAIN), env,
                              env.traced(LANGFUSE_FLUSH_INTERVAL="0.2"))
        same_behaviour(plain, traced, 0)   # also: no file in the working directory
    d = t.path("state", "llmtap")
    check(os.path.isdir(d), "no llmtap directory under XDG_STATE_HOME: %s" % os.listdir(t.path("state")))
    eq(oct(stat.S_IMODE(os.stat(d).st_mode)), "0o700", "mode of the state directory")
    files = [f for f in os.listdir(d) if f.endswith(".jsonl")]
    eq(len(files), 1, "JSONL files in %s (%s)" % (d, os.listdir(d)))
    path = os.path.join(d, files[0])
    with open(path, "rb") as f:
        data = f.read()
    no_secrets("the JSONL file", data)
    for i, line in enumerate(l for l in data.split(b"\n") if l.strip()):
        p = t.path("line%d.json" % i)
        with open(p, "wb") as f:
            f.write(line)
        validate_body(p, None, True)
    _, (g,) = one_process(spans_of(jsonl_bodies(path)), 1)
    check_against_expected(g, PLAIN)


@case(timeout=60)
def otlp_endpoint_should_get_v1_traces_with_extra_headers(t):
    """Reply: chat_plain. Env: OTEL_EXPORTER_OTLP_ENDPOINT=<receiver>/otel,
    OTEL_EXPORTER_OTLP_HEADERS=x-tenant=acme%20corp,x-b=1, no Langfuse keys.
    Arrives: POST /otel/v1/traces, Content-Type application/json, header
    x-tenant "acme corp" (percent-decoded), no Authorization, no
    x-langfuse-ingestion-version; bodies valid (--strict)."""
    with ProviderServer() as srv, OtlpReceiver() as rcv:
        env = Env(t)
        plain, traced = twice(t, lambda d: curl_llm(srv.url + CHAT, PLAIN), env,
                              env.traced(OTEL_EXPORTER_OTLP_ENDPOINT=rcv.url + "/otel",
                                         OTEL_EXPORTER_OTLP_HEADERS="x-tenant=acme%20corp,x-b=1",
                                         LANGFUSE_FLUSH_INTERVAL="0.2", LLMTAP_EXIT_TIMEOUT="2"))
        same_behaviour(plain, traced, 0)
        spans = collect(rcv, langfuse=False, path="POST /otel/v1/traces")
        one_process(spans, 1)
        for h in headers_of(rcv):
            check("application/json" in h.get("content-type", ""), "content-type %r" % h.get("content-type"))
            eq(h.get("x-tenant"), "acme corp", "x-tenant header")
            eq(h.get("x-b"), "1", "x-b header")
            check("authorization" not in h, "Authorization sent without Langfuse keys")
            check("x-langfuse-ingestion-version" not in h, "v4 header sent without Langfuse keys")


@case(timeout=60)
def traces_endpoint_should_win_and_keep_langfuse_auth(t):
    """Reply: chat_plain. Env: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=<receiver A>
    /custom/path, OTEL_EXPORTER_OTLP_ENDPOINT=<receiver B>, Langfuse keys with
    LANGFUSE_BASE_URL=<receiver B>. Arrives: only at A, POST /custom/path,
    with Basic auth and x-langfuse-ingestion-version: 4 (keys set): bodies
    and headers pass validate-otlp --strict --headers; B gets nothing."""
    with ProviderServer() as srv, OtlpReceiver() as a, OtlpReceiver() as b:
        env = Env(t)
        plain, traced = twice(t, lambda d: curl_llm(srv.url + CHAT, PLAIN), env,
                              env.traced(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=a.url + "/custom/path",
                                         OTEL_EXPORTER_OTLP_ENDPOINT=b.url, **export_env(b)))
        same_behaviour(plain, traced, 0)
        spans = collect(a, langfuse=True, path="POST /custom/path")
        one_process(spans, 1)
        eq(b.count, 0, "exports to the endpoint that should lose")


@case(timeout=60)
def trace_id_from_environment_should_be_used(t):
    """Reply: chat_plain. Env: LLMTAP_TRACE_ID=<32 hex>. Arrives: every span in
    that trace."""
    tid = "4bf92f3577b34da6a3ce929d0e0e4736"
    with ProviderServer() as srv, OtlpReceiver() as rcv:
        env = Env(t)
        plain, traced = twice(t, lambda d: curl_llm(srv.url + CHAT, PLAIN), env,
                              env.traced(LLMTAP_TRACE_ID=tid, **export_env(rcv)))
        same_behaviour(plain, traced, 0)
        spans = collect(rcv)
    one_process(spans, 1)
    eq({s.trace_id for s in spans}, {tid}, "trace ids")


if __name__ == "__main__":
    main()
