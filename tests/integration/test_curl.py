#!/usr/bin/python3
"""test_curl.py — the real `curl` command under the shim.

Each case: the replay server's reply (a recorded fixture), the curl command,
what must arrive at the OTLP receiver (exported with Langfuse keys
pk-lf-test/sk-lf-test to LANGFUSE_BASE_URL=http://127.0.0.1:PORT, every body
checked by validate-otlp --strict --headers), and the same stdout, -o files
and exit status as the same command without the shim.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import (AZURE_KEY, CHAT, PROVIDER_KEY, QUERY_KEY, Env, case, check, curl_llm, eq,  # noqa: E402
                     export_env, fixture, main, read, same_behaviour, twice)
from otlp import (check_against_expected, collect, generations, jsonl_bodies, match_each,  # noqa: E402
                  no_secrets, one_process, process_spans, spans_of, validate_body)
from servers import OtlpReceiver, ProviderServer  # noqa: E402
from testca import TestCA  # noqa: E402



def traced_run(t, argv_of, extra_env=None, timeout=30, want_rc=0):
    """Runs a curl command without and with the shim (exporting to a fresh
    receiver); checks identical behaviour; returns (spans, plain, traced)."""
    with OtlpReceiver() as rcv:
        env = Env(t)
        plain, traced = twice(t, argv_of, env, env.traced(**export_env(rcv, **(extra_env or {}))),
                              timeout=timeout)
        same_behaviour(plain, traced, want_rc)
        return collect(rcv), plain, traced


# ------------------------------------------------------------------ JSON and streams

@case(timeout=60)
def curl_json_to_stdout_should_export_one_generation(t):
    """Reply: openai/chat_plain (JSON). Command: curl -d @request.json URL.
    Arrives: one process span (kind 1) and one generation (kind 3) matching
    expected.json. Stdout = the recorded body, as without the shim."""
    with ProviderServer() as srv:
        spans, plain, _ = traced_run(t, lambda d: curl_llm(srv.url + CHAT, "openai/chat_plain"))
        eq(plain.out, read(fixture("openai/chat_plain", "response.body")), "curl stdout vs the recording")
        proc, (g,) = one_process(spans, 1)
        check_against_expected(g, "openai/chat_plain")
        check(proc.start <= g.start and g.end <= proc.end + 10**6,
              "generation %d..%d outside its process span %d..%d" % (g.start, g.end, proc.start, proc.end))


@case(timeout=60)
def curl_stream_to_file_should_export_the_assembled_stream(t):
    """Reply: openai/chat_stream_include_usage (SSE, chunked in 1-97 byte
    pieces). Command: curl -N -o out.sse. Arrives: one generation with the
    assembled text, usage and a completion_start_time inside the span. The
    -o file is byte-identical with and without the shim."""
    with ProviderServer() as srv:
        c = "openai/chat_stream_include_usage"
        spans, plain, _ = traced_run(t, lambda d: curl_llm(srv.url + CHAT, c, ["-N", "-o", "out.sse"]))
        eq(read(os.path.join(plain.dir, "out.sse")), read(fixture(c, "response.body")), "out.sse vs the recording")
        _, (g,) = one_process(spans, 1)
        check_against_expected(g, c, stream=True)


def _expected_case(t, xcase, stream):
    with ProviderServer() as srv:
        spans, _, _ = traced_run(t, lambda d: curl_llm(srv.url + CHAT, xcase, ["-o", "out"]))
        _, (g,) = one_process(spans, 1)
        check_against_expected(g, xcase, stream=stream)


@case(timeout=60)
def curl_chat_tool_calls_should_match_expected(t):
    """Reply: openai/chat_tool_calls. Arrives: the tool call (name, arguments),
    model and usage of expected.json."""
    _expected_case(t, "openai/chat_tool_calls", False)


@case(timeout=60)
def curl_stream_tool_calls_should_match_expected(t):
    """Reply: openai/chat_stream_tool_calls_include_usage (SSE). Arrives: the
    tool call assembled from the streamed pieces, usage, completion start."""
    _expected_case(t, "openai/chat_stream_tool_calls_include_usage", True)


@case(timeout=60)
def curl_http_404_should_export_an_error_generation(t):
    """Reply: errors/openai_404_model_not_found (HTTP 404 JSON). Command: curl
    without -f (exit 0, error body on stdout). Arrives: one generation, level
    ERROR, status code 2, the provider's message, no usage."""
    _expected_case(t, "errors/openai_404_model_not_found", False)


@case(timeout=60)
def curl_https_known_host_should_be_captured(t):
    """Reply: openai/chat_plain over HTTPS (test CA) as api.openai.com.
    Command: curl --resolve api.openai.com:PORT:127.0.0.1 --cacert ca.pem.
    Arrives: one generation matching expected.json, provider openai."""
    ca = TestCA(t.path("ca"))
    with ProviderServer(tls=ca) as srv:
        url = "https://api.openai.com:%d%s" % (srv.port, CHAT)
        extra = ["--resolve", "api.openai.com:%d:127.0.0.1" % srv.port, "--cacert", ca.ca_pem]
        spans, _, _ = traced_run(t, lambda d: curl_llm(url, "openai/chat_plain", extra))
        _, (g,) = one_process(spans, 1)
        check_against_expected(g, "openai/chat_plain")
        eq(g.attrs.get("gen_ai.provider.name", g.attrs.get("langfuse.observation.metadata.provider")), "openai",
           "provider of a call to api.openai.com")


@case(timeout=90)
def curl_parallel_should_export_each_call_exactly_once(t):
    """Reply: four fixtures at once. Command: curl --parallel
    --parallel-immediate, four transfers (--next), each to its own -o file.
    Arrives: exactly four generations in one process, each matching its
    expected.json (matched by output)."""
    cases = ["openai/chat_plain", "openai/chat_tool_calls", "openai/chat_stream_include_usage",
             "openai/chat_stream_tool_calls_include_usage"]
    with ProviderServer() as srv:
        def argv(d):
            a = ["curl", "--parallel", "--parallel-immediate", "--parallel-max", "4"]
            for i, c in enumerate(cases):
                if i:
                    a.append("--next")
                a += curl_llm(srv.url + CHAT, c, ["-o", "out%d" % i])[1:]
            return a
        spans, plain, _ = traced_run(t, argv)
        for i, c in enumerate(cases):
            eq(read(os.path.join(plain.dir, "out%d" % i)), read(fixture(c, "response.body")), "out%d" % i)
        _, gens = one_process(spans, 4)
        match_each(gens, cases)


@case(timeout=60)
def curl_sequential_calls_in_one_process_should_share_one_process_span(t):
    """Reply: chat_plain then chat_tool_calls. Command: one curl with two
    transfers (--next). Arrives: one process span, two generations under it,
    one trace id."""
    with ProviderServer() as srv:
        spans, _, _ = traced_run(t, lambda d: curl_llm(srv.url + CHAT, "openai/chat_plain", ["-o", "a"])
                                 + ["--next"] + curl_llm(srv.url + CHAT, "openai/chat_tool_calls", ["-o", "b"])[1:])
        proc, gens = one_process(spans, 2)
        eq({g.trace_id for g in gens}, {proc.trace_id}, "trace ids")
        match_each(gens, ["openai/chat_plain", "openai/chat_tool_calls"])


# ------------------------------------------------------------------ compressed responses

def _gzip_case(t, xcase, curl_opts, stream):
    import gzip
    with ProviderServer() as srv:
        spans, plain, _ = traced_run(t, lambda d: curl_llm(srv.url + CHAT, xcase,
                                                          ["-H", "X-Encoding: gzip", "-o", "out"] + curl_opts))
        got = read(os.path.join(plain.dir, "out"))
        want = read(fixture(xcase, "response.body"))
        eq(gzip.decompress(got) if "--compressed" not in curl_opts else got, want, "curl's output, decoded")
        _, (g,) = one_process(spans, 1)
        check_against_expected(g, xcase, stream=stream)


@case(timeout=60)
def curl_gzip_response_reaching_the_program_compressed_should_be_inflated(t):
    """Reply: chat_plain, gzip-encoded (Content-Encoding: gzip). Command:
    curl -H 'Accept-Encoding: gzip' (no --compressed: libcurl does not
    decode, the program gets the gzip bytes). The -o file is the same gzip
    bytes with and without the shim; arrives: one generation matching
    expected.json (the shim inflated its copy)."""
    _gzip_case(t, "openai/chat_plain", ["-H", "Accept-Encoding: gzip"], False)


@case(timeout=60)
def curl_gzip_stream_reaching_the_program_compressed_should_be_inflated(t):
    """Reply: chat_stream_include_usage (SSE), gzip-encoded, chunked.
    Command: curl -H 'Accept-Encoding: gzip'. Same gzip bytes in the -o
    file; arrives: one generation matching expected.json."""
    _gzip_case(t, "openai/chat_stream_include_usage", ["-H", "Accept-Encoding: gzip"], True)


@case(timeout=60)
def curl_compressed_option_should_be_captured_decoded(t):
    """Reply: chat_plain, gzip-encoded. Command: curl --compressed (libcurl
    decodes). Same decoded -o file; arrives: one generation matching
    expected.json."""
    _gzip_case(t, "openai/chat_plain", ["--compressed"], False)


# ------------------------------------------------------------------ failures keep their exit codes

@case(timeout=60)
def curl_connection_refused_should_keep_exit_code_7(t):
    """Reply: none (nothing listens). Command: curl to a closed port. Same
    stdout and exit status 7 with the shim; at most one generation, an
    error."""
    with OtlpReceiver(mode="refuse") as closed:
        spans, _, _ = traced_run(t, lambda d: curl_llm(closed.url + CHAT, "openai/chat_plain"), want_rc=7)
        _errors_only(spans)


def _errors_only(spans, at_most=1):
    gens = generations(spans)
    check(len(gens) <= at_most, "more than %d generation for one failed call: %s" % (at_most, gens))
    for g in gens:
        eq(g.status.get("code"), 2, "status code of a failed transfer's generation")
        eq(g.attrs.get("langfuse.observation.level"), "ERROR", "level of a failed transfer's generation")


@case(timeout=60)
def curl_max_time_should_keep_exit_code_28(t):
    """Reply: chat_plain after 3 s (X-Delay-Ms). Command: curl --max-time 1.
    Same output, exit status 28; at most one generation, an error."""
    with ProviderServer() as srv:
        spans, _, _ = traced_run(t, lambda d: curl_llm(srv.url + CHAT, "openai/chat_plain",
                                                      ["-H", "X-Delay-Ms: 3000", "--max-time", "1"]), want_rc=28)
        _errors_only(spans)


@case(timeout=60)
def curl_http_500_with_fail_should_keep_exit_code_22(t):
    """Reply: local/openai_500 (HTTP 500, OpenAI error JSON). Command: curl
    -f. Same (empty) stdout, exit status 22. Arrives: one generation, level
    ERROR, status code 2."""
    with ProviderServer() as srv:
        spans, _, _ = traced_run(t, lambda d: curl_llm(srv.url + CHAT, "local/openai_500", ["-f"],
                                                      body=fixture("openai/chat_plain")), want_rc=22)
        _errors_only(spans)
        eq(len(generations(spans)), 1, "generations for an HTTP 500")


# ------------------------------------------------------------------ non-LLM transfers

@case(timeout=60)
def curl_non_llm_transfers_should_get_no_span(t):
    """Reply: local/hello for GET /health and for POST /upload (JSON body).
    Command: curl GET then curl POST, in one process (--next). Arrives:
    nothing at all (a process with no LLM call exports nothing). Same
    output."""
    with ProviderServer(routes={"/health": "local/hello", "/upload": "local/hello"}) as srv:
        with OtlpReceiver() as rcv:
            env = Env(t)
            plain, traced = twice(t, lambda d: ["curl", "-sS", "-H", "Authorization: Bearer " + PROVIDER_KEY,
                                                srv.url + "/health", "--next", "-sS", "-H",
                                                "Content-Type: application/json", "--data-binary",
                                                "@" + fixture("openai/chat_plain"), srv.url + "/upload"],
                                  env, env.traced(**export_env(rcv)))
            same_behaviour(plain, traced, 0)
            eq(plain.out, 2 * read(fixture("local/hello", "response.body")), "curl output")
            eq(len(srv.requests), 4, "requests the server got")
            eq(rcv.count, 0, "exports from a process with no LLM call")


# ------------------------------------------------------------------ secrets

@case(timeout=60)
def curl_secrets_should_never_be_exported_or_logged(t):
    """Reply: chat_plain. Command: curl with Authorization: Bearer sk-test-...,
    api-key: sk-test-..., ?key=sk-test-... in the URL, LANGFUSE_DEBUG=true.
    Arrives: one generation; no key in any export body, header line shown by
    the shim, or stderr line; not the full command line either."""
    with ProviderServer() as srv:
        url = srv.url + CHAT + "?key=" + QUERY_KEY + "&api-version=2024-02-01"
        with OtlpReceiver() as rcv:
            env = Env(t)
            plain, traced = twice(t, lambda d: curl_llm(url, "openai/chat_plain", ["-H", "api-key: " + AZURE_KEY]),
                                  env, env.traced(**export_env(rcv, LANGFUSE_DEBUG="true")))
            eq(traced.rc, plain.rc, "exit status")
            eq(traced.out, plain.out, "stdout")
            spans = collect(rcv)
        one_process(spans, 1)
        no_secrets("stderr with LANGFUSE_DEBUG=true", traced.err)
        for s in spans:
            for k, v in s.attrs.items():
                if isinstance(v, str) and "--data-binary" in v:
                    check(False, "span %s attribute %s holds the command line: %r" % (s.name, k, v[:200]))


@case(timeout=60)
def curl_to_jsonl_file_should_write_valid_lines_without_secrets(t):
    """Reply: chat_stream_include_usage. Command: curl with the fake keys
    (Authorization, api-key, ?key=), no backend configured, LLMTAP_OUTPUT=spans.jsonl. Arrives: JSONL lines, each
    an OTLP body passing validate-otlp --strict; one process span, one
    generation matching expected.json; no secret in the file."""
    out = t.path("spans.jsonl")
    c = "openai/chat_stream_include_usage"
    with ProviderServer() as srv:
        env = Env(t)
        plain, traced = twice(t, lambda d: curl_llm(srv.url + CHAT + "?key=" + QUERY_KEY, c,
                                                    ["-H", "api-key: " + AZURE_KEY, "-o", "out"]),
                              env, env.traced(LLMTAP_OUTPUT=out, LANGFUSE_FLUSH_INTERVAL="0.2",
                                              LLMTAP_EXIT_TIMEOUT="2"))
        same_behaviour(plain, traced, 0)
    check(os.path.exists(out), "LLMTAP_OUTPUT %s was not written" % out)
    data = read(out)
    no_secrets("the JSONL file", data)
    lines = [l for l in data.split(b"\n") if l.strip()]
    check(lines, "empty JSONL file")
    for i, l in enumerate(lines):
        p = t.path("line%d.json" % i)
        with open(p, "wb") as f:
            f.write(l)
        validate_body(p, None, True)
    spans = spans_of(jsonl_bodies(out))
    _, (g,) = one_process(spans, 1)
    check_against_expected(g, c, stream=True)
    eq(len(process_spans(spans)), 1, "process spans")


if __name__ == "__main__":
    main()
