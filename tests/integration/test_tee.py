#!/usr/bin/python3
"""test_tee.py — the write/read tees against a C program's own callbacks
(tests/integration/client.c, linked with -lcurl).

Each case: the replay server's reply, the client mode, what must arrive
(generations counted exactly, checked against expected.json), and the same
stdout and exit status as the same program without the shim. DESIGN
"Verified facts": HEADERDATA without HEADERFUNCTION, duphandle copying an
installed tee, callbacks replaced between transfers, PAUSE, short writes,
uploads by READFUNCTION, COPYPOSTFIELDS before CURLOPT_URL.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import (CHAT, Env, build_c, case, check, eq, export_env, fixture, main, read,  # noqa: E402
                     same_behaviour, twice)
from otlp import check_against_expected, collect, generations, one_process  # noqa: E402
from servers import OtlpReceiver, ProviderServer  # noqa: E402

PLAIN = "openai/chat_plain"
STREAM = "openai/chat_stream_include_usage"


def client(t, mode, xcase, want_rc=0):
    """Runs `client MODE URL CASE BODY` (BODY: the case's request.json)
    without and with the shim; returns (spans, plain result)."""
    exe = build_c("client")
    with ProviderServer() as srv:
        with OtlpReceiver() as rcv:
            env = Env(t)
            argv = [exe, mode, srv.url + CHAT, xcase, fixture(xcase)]
            plain, traced = twice(t, lambda d: argv, env, env.traced(**export_env(rcv)))
            same_behaviour(plain, traced, want_rc)
            return collect(rcv), plain


def input_of(g):
    v = g.attrs.get("langfuse.observation.input")
    check(isinstance(v, str) and v, "generation without input: %r" % v)
    return v


@case(timeout=60)
def default_write_should_reach_stdout_unchanged(t):
    """Reply: chat_stream_include_usage (SSE). Client: no WRITEFUNCTION
    (libcurl fwrites to stdout). Arrives: one generation matching
    expected.json; stdout is the recorded stream + "rc=0"."""
    spans, plain = client(t, "default", STREAM)
    eq(plain.out, read(fixture(STREAM, "response.body")) + b"rc=0\n", "stdout")
    _, (g,) = one_process(spans, 1)
    check_against_expected(g, STREAM, stream=True)


@case(timeout=60)
def headerdata_without_headerfunction_should_keep_the_pointer(t):
    """Reply: chat_plain (JSON). Client: WRITEFUNCTION + WRITEDATA +
    HEADERDATA, no HEADERFUNCTION, so header lines arrive in the write
    callback with the HEADERDATA pointer. Arrives: one generation whose
    output is the recorded text (no header line mixed into the body); the
    program saw every header with its own pointer (header_calls>0,
    foreign=0)."""
    spans, plain = client(t, "headerdata", PLAIN)
    check(b"foreign=0" in plain.out and b"header_calls=0" not in plain.out, "client output: %r" % plain.out[-80:])
    _, (g,) = one_process(spans, 1)
    check_against_expected(g, PLAIN)


@case(timeout=60)
def duphandle_after_perform_should_capture_each_transfer_once(t):
    """Reply: chat_plain twice. Client: perform, curl_easy_duphandle, perform
    the duplicate (which copied the handle's callbacks). Arrives: exactly two
    generations, both matching expected.json; both bodies printed right."""
    spans, plain = client(t, "dup", PLAIN)
    body = read(fixture(PLAIN, "response.body"))
    eq(plain.out, b"first(0):\n" + body + b"\nsecond(0):\n" + body + b"\nrc=0\n", "stdout")
    _, gens = one_process(spans, 2)
    for g in gens:
        check_against_expected(g, PLAIN)


@case(timeout=60)
def write_callback_replaced_between_transfers_should_be_honoured(t):
    """Reply: chat_stream_include_usage twice on one handle. Client: write
    callback A for the first perform, B for the second. Arrives: two
    generations, each complete; output shows A then B pieces, as without
    the shim."""
    spans, plain = client(t, "replace", STREAM)
    check(b"A[" in plain.out and b"B[" in plain.out and plain.out.index(b"B[") > plain.out.rindex(b"A["),
          "client output shape: %r" % plain.out[:120])
    _, gens = one_process(spans, 2)
    for g in gens:
        check_against_expected(g, STREAM, stream=True)


@case(timeout=60)
def write_pause_then_resume_should_keep_output_and_generation(t):
    """Reply: chat_stream_include_usage (SSE). Client: the write callback
    returns CURL_WRITEFUNC_PAUSE once; the progress callback calls
    curl_easy_pause(CURLPAUSE_CONT). Arrives: one generation matching
    expected.json (the paused bytes counted once); output identical."""
    spans, plain = client(t, "pause", STREAM)
    eq(plain.out, read(fixture(STREAM, "response.body")) + b"\npaused=1\nrc=0\n", "stdout")
    _, (g,) = one_process(spans, 1)
    check_against_expected(g, STREAM, stream=True)


@case(timeout=60)
def short_write_should_keep_curle_write_error(t):
    """Reply: chat_stream_include_usage. Client: the write callback takes one
    byte less than offered. Exit status 23 (CURLE_WRITE_ERROR) with and
    without the shim; at most one generation, not a success."""
    spans, _ = client(t, "short", STREAM, want_rc=23)
    gens = generations(spans)
    check(len(gens) <= 1, "generations for one aborted transfer: %s" % gens)
    for g in gens:
        eq(g.status.get("code"), 2, "status code of an aborted transfer")


def _upload(t, mode):
    spans, plain = client(t, mode, PLAIN)
    body = read(fixture(PLAIN, "response.body"))
    sent = len(read(fixture(PLAIN)))
    eq(plain.out, body + b"\nsent=%d\nrc=0\n" % sent, "stdout")
    _, (g,) = one_process(spans, 1)
    check_against_expected(g, PLAIN)
    inp = input_of(g)
    want = json.loads(read(fixture(PLAIN)))["messages"][0]["content"]
    check(want in inp, "input %r lacks the uploaded message %r" % (inp[:300], want))


@case(timeout=60)
def readfunction_upload_should_capture_the_request_body(t):
    """Reply: chat_plain. Client: CURLOPT_READFUNCTION upload in 37-byte
    pieces with POSTFIELDSIZE. Arrives: one generation whose input holds the
    uploaded message."""
    _upload(t, "read")


@case(timeout=60)
def chunked_readfunction_upload_should_capture_the_request_body(t):
    """Reply: chat_plain. Client: CURLOPT_READFUNCTION upload with no size
    (chunked request). Arrives: one generation whose input holds the
    uploaded message."""
    _upload(t, "readchunked")


@case(timeout=60)
def copypostfields_before_url_should_capture_the_request_body(t):
    """Reply: chat_plain. Client: CURLOPT_COPYPOSTFIELDS set before
    CURLOPT_URL, the source buffer wiped and freed before perform. Arrives:
    one generation whose input is the real request (not the wiped bytes)."""
    spans, plain = client(t, "copypost", PLAIN)
    eq(plain.out, read(fixture(PLAIN, "response.body")) + b"\nrc=0\n", "stdout")
    _, (g,) = one_process(spans, 1)
    check_against_expected(g, PLAIN)
    inp = input_of(g)
    check("Tell me a joke about opentelemetry" in inp and "XXXX" not in inp, "input: %r" % inp[:300])


@case(timeout=60)
def non_llm_process_should_start_no_thread_and_write_no_file(t):
    """Reply: local/hello for GET /health. Client: one non-LLM
    curl_easy_perform, then counts /proc/self/task. Arrives: nothing; the
    process has 1 thread, as without the shim; LLMTAP_OUTPUT and
    XDG_STATE_HOME stay empty (no backend configured)."""
    exe = build_c("client")
    out = t.path("out", "spans.jsonl")
    os.makedirs(t.path("out"))
    with ProviderServer(routes={"/health": "local/hello"}) as srv:
        env = Env(t)
        plain, traced = twice(t, lambda d: [exe, "nonllm", srv.url + "/health", "local/hello", fixture(PLAIN)],
                              env, env.traced(LLMTAP_OUTPUT=out, LANGFUSE_FLUSH_INTERVAL="0.2"))
        same_behaviour(plain, traced, 0)
    check(plain.out.endswith(b"\ntasks=1\nrc=0\n"), "threads of a non-LLM process: %r" % plain.out[-40:])
    eq(os.listdir(t.path("out")), [], "files in LLMTAP_OUTPUT's directory")
    eq(os.listdir(t.path("state")), [], "files in XDG_STATE_HOME")
    eq(os.listdir(t.path("home")), [], "files in HOME")


@case(timeout=60)
def look_alike_paths_should_start_no_thread_and_write_no_file(t):
    """Reply: local/hello. Client: on a host llmtap does not know, a GET of
    /forms/x/responses (a survey API's list, shaped like OpenAI's Responses
    path) and a POST of an SMS JSON body to /v1/messages (shaped like
    Anthropic's). Arrives: nothing; one thread, as without the shim; no
    file: the body is not the API's request, so the transfer is not even
    captured."""
    exe = build_c("client")
    out = t.path("out", "spans.jsonl")
    os.makedirs(t.path("out"))
    sms = t.path("sms.json")
    with open(sms, "w") as f:
        f.write('{"from":"Acme","to":"447700900000","message_type":"text","text":"hi","channel":"sms"}')
    with ProviderServer(routes={"/forms/x/responses": "local/hello", "/v1/messages": "local/hello"}) as srv:
        env = Env(t)
        for mode, path in (("nonllm", "/forms/x/responses"), ("nonllmpost", "/v1/messages")):
            plain, traced = twice(t, lambda d: [exe, mode, srv.url + path, "local/hello", sms], env,
                                  env.traced(LLMTAP_OUTPUT=out, LANGFUSE_FLUSH_INTERVAL="0.2"))
            same_behaviour(plain, traced, 0)
            check(traced.out.endswith(b"\ntasks=1\nrc=0\n"), "%s: threads: %r" % (mode, traced.out[-40:]))
    eq(os.listdir(t.path("out")), [], "files in LLMTAP_OUTPUT's directory")
    eq(os.listdir(t.path("state")), [], "files in XDG_STATE_HOME")


if __name__ == "__main__":
    main()
