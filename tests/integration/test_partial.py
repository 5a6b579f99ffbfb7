#!/usr/bin/python3
"""test_partial.py — transfers that end badly, with real clients: exactly one
generation holding what arrived, a level and a status message saying what
happened, and the program behaving exactly as without the shim.

The rule (shim/queue.c queue_transfer_status): when libcurl ends a transfer
with an error, the generation keeps what was received; a WARNING when that
is a usable answer (text, tool calls, reasoning or vectors, no HTTP or
provider error), else an ERROR. Its status message starts with what
happened, with curl's own text and code and the bytes received:

    transfer cut off: Timeout was reached (28) after 1024 bytes
    transfer failed: Timeout was reached (28)                  (nothing came)
    transfer aborted by the program: Failed writing received data to
        disk/application (23) after 1024 bytes                 (short write)

followed by what the provider or the decoder said; an HTTP error keeps the
provider's message first. metadata.curl_code / curl_error carry the code.

Each case: the replay server's reply and fault (tests/lib/servers.py
X-Fault: stall/reset/close after N bytes), the command, the generation that
must arrive (every export body valid under validate-otlp --strict; a cut
stream has no usage, which draws only the tolerated "without usage"
warning), and the same stdout, -o file and exit status without the shim.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import (CHAT, PYTHON, Env, case, check, curl_llm, eq, export_env, fixture, main,  # noqa: E402
                     read, same_behaviour, twice)
from otlp import NO_USAGE_WARNING, collect, one_process, output_parts  # noqa: E402
from servers import OtlpReceiver, ProviderServer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
STREAM = "openai/chat_stream_include_usage"
JSON = "openai/chat_plain"
# Cut the stream after this many SSE events: text has arrived, the final
# chunk (finish_reason, usage, [DONE]) has not.
EVENTS = 6


def sse_prefix(body, events):
    """(bytes up to the end of the first `events` SSE events, the
    assistant text they carry)."""
    n, text = 0, ""
    for _ in range(events):
        end = body.index(b"\n\n", n) + 2
        for line in body[n:end].split(b"\n"):
            if line.startswith(b"data: {"):
                for ch in json.loads(line[6:])["choices"]:
                    text += (ch.get("delta") or {}).get("content") or ""
        n = end
    return n, text


def traced_run(t, argv_of, want_rc, timeout=30):
    """Runs a command without and with the shim (exporting to a fresh
    receiver); checks identical behaviour and exit status want_rc; returns
    (the one generation, plain run)."""
    with OtlpReceiver() as rcv:
        env = Env(t)
        plain, traced = twice(t, argv_of, env, env.traced(**export_env(rcv)), timeout=timeout)
        same_behaviour(plain, traced, want_rc)
        spans = collect(rcv, tolerate=(NO_USAGE_WARNING,))
    _, (g,) = one_process(spans, 1)
    return g, plain


def check_status(g, level, starts, code):
    a = g.attrs
    msg = a.get("langfuse.observation.status_message") or ""
    eq(a.get("langfuse.observation.level"), level, "level (status message %r)" % msg)
    check(msg.startswith(starts), "status message %r does not start with %r" % (msg, starts))
    eq(a.get("langfuse.observation.metadata.curl_code"), str(code), "metadata.curl_code")
    eq(g.status.get("code"), 2 if level == "ERROR" else 0, "span status code")
    return msg


def cut_stream(t, fault, curl_opts, want_rc, level, starts, framing="chunked"):
    """The SSE fixture cut after EVENTS events by `fault`; returns the
    generation after checking text, level and message."""
    body = read(fixture(STREAM, "response.body"))
    n, text = sse_prefix(body, EVENTS)
    with ProviderServer() as srv:
        g, plain = traced_run(t, lambda d: curl_llm(
            srv.url + CHAT, STREAM, ["-H", "X-Fault: %s@%d" % (fault, n), "-H", "X-Framing: " + framing,
                                     "-o", "out"] + curl_opts), want_rc)
    eq(read(os.path.join(plain.dir, "out")), body[:n], "what curl wrote")
    eq(output_parts(g.attrs.get("langfuse.observation.output"))["text"], text, "text received so far")
    check(text, "the cut keeps some text (EVENTS too small)")
    check_status(g, level, starts % {"n": n}, want_rc)
    check(not g.attrs.get("langfuse.observation.usage_details"), "usage from a stream cut before its usage")
    return g


# ------------------------------------------------------------------ the curl command

@case(timeout=60)
def curl_max_time_mid_stream_should_export_the_text_so_far_as_a_warning(t):
    """Reply: chat_stream_include_usage, chunked; the server stalls after 6
    events. Command: curl --max-time 2 -o out. Exit 28 with and without
    the shim, the same 6 events in out. Arrives: one generation with
    their text, WARNING, "transfer cut off: Timeout was reached (28) after
    N bytes", no usage."""
    cut_stream(t, "stall", ["--max-time", "2"], 28, "WARNING",
               "transfer cut off: Timeout was reached (28) after %(n)d bytes")


@case(timeout=60)
def curl_connection_reset_mid_stream_should_export_the_text_so_far_as_a_warning(t):
    """Reply: chat_stream_include_usage; after 6 events the server resets
    the connection (SO_LINGER 0: TCP RST). Command: curl -o out. Exit 56
    both ways. Arrives: the text so far, WARNING, "transfer cut off:
    Failure when receiving data from the peer (56) after N bytes"."""
    cut_stream(t, "reset", [], 56, "WARNING",
               "transfer cut off: Failure when receiving data from the peer (56) after %(n)d bytes")


@case(timeout=60)
def curl_close_mid_stream_under_content_length_should_export_a_warning(t):
    """Reply: chat_stream_include_usage with a Content-Length; the server
    closes after 6 events. Command: curl -o out. Exit 18 both ways.
    Arrives: the text so far, WARNING, "transfer cut off: Transferred a
    partial file (18) after N bytes"."""
    cut_stream(t, "close", [], 18, "WARNING",
               "transfer cut off: Transferred a partial file (18) after %(n)d bytes", framing="length")


@case(timeout=60)
def curl_stream_ending_early_but_cleanly_should_export_a_warning(t):
    """Reply: chat_stream_include_usage, only its first 6 events, properly
    ended (last chunk): libcurl sees no error. Command: curl -o out. Exit
    0 both ways. Arrives: the text so far, WARNING (the provider's verdict:
    no finish_reason or [DONE]), no curl code, no usage."""
    body = read(fixture(STREAM, "response.body"))
    n, text = sse_prefix(body, EVENTS)
    with ProviderServer() as srv:
        g, plain = traced_run(t, lambda d: curl_llm(srv.url + CHAT, STREAM, ["-H", "X-Fault: end@%d" % n,
                                                                            "-o", "out"]), 0)
    eq(read(os.path.join(plain.dir, "out")), body[:n], "what curl wrote")
    a = g.attrs
    eq(output_parts(a.get("langfuse.observation.output"))["text"], text, "text received")
    msg = a.get("langfuse.observation.status_message") or ""
    eq(a.get("langfuse.observation.level"), "WARNING", "level (status message %r)" % msg)
    check("[DONE]" in msg, "status message %r does not say the stream ended early" % msg)
    check("langfuse.observation.metadata.curl_code" not in a, "a curl code for a transfer that went well")


@case(timeout=60)
def curl_close_mid_json_body_should_export_an_error_with_what_arrived(t):
    """Reply: chat_plain (JSON, Content-Length); the server closes after
    half the body. Command: curl -o out. Exit 18 both ways. Arrives: one
    generation, ERROR (half a JSON document is no answer), "transfer cut
    off: Transferred a partial file (18) after N bytes", the request's
    model, no output."""
    body = read(fixture(JSON, "response.body"))
    n = len(body) // 2
    with ProviderServer() as srv:
        g, plain = traced_run(t, lambda d: curl_llm(srv.url + CHAT, JSON, ["-H", "X-Fault: close@%d" % n,
                                                                          "-o", "out"]), 18)
    eq(read(os.path.join(plain.dir, "out")), body[:n], "what curl wrote")
    check_status(g, "ERROR", "transfer cut off: Transferred a partial file (18) after %d bytes" % n, 18)
    eq(g.attrs.get("langfuse.observation.model.name"), "gpt-3.5-turbo", "model (the request's)")
    eq(output_parts(g.attrs.get("langfuse.observation.output"))["text"], "", "output of half a JSON body")


@case(timeout=60)
def curl_timeout_before_any_byte_should_export_an_error(t):
    """Reply: chat_stream_include_usage after 3 s (X-Delay-Ms). Command:
    curl --max-time 1. Exit 28 both ways. Arrives: one generation, ERROR,
    "transfer failed: Timeout was reached (28)", no output."""
    with ProviderServer() as srv:
        g, _ = traced_run(t, lambda d: curl_llm(srv.url + CHAT, STREAM, ["-H", "X-Delay-Ms: 3000",
                                                                        "--max-time", "1"]), 28)
    msg = check_status(g, "ERROR", "transfer failed: Timeout was reached (28)", 28)
    check("after" not in msg, "status message %r counts bytes that never came" % msg)
    check(not g.attrs.get("langfuse.observation.output"), "output of a transfer that got nothing")


@case(timeout=60)
def curl_fail_on_http_error_should_keep_the_http_status_first(t):
    """Reply: local/openai_500 (HTTP 500). Command: curl -f (libcurl stops
    at the status: exit 22, no body). Arrives: one generation, ERROR, a
    message starting "HTTP 500; transfer failed: ... (22)"."""
    with ProviderServer() as srv:
        g, _ = traced_run(t, lambda d: curl_llm(srv.url + CHAT, "local/openai_500", ["-f"],
                                               body=fixture(JSON)), 22)
    check_status(g, "ERROR", "HTTP 500; transfer failed: ", 22)


# ------------------------------------------------------------------ a program that stops the transfer

def _abort(t, mode, iface, headers=()):
    body = read(fixture(STREAM, "response.body"))
    n, text = sse_prefix(body, EVENTS)
    prog = os.path.join(HERE, "pycurl_abort.py")
    with ProviderServer() as srv:
        g, plain = traced_run(t, lambda d: [PYTHON, prog, mode, srv.url + CHAT, STREAM, fixture(STREAM), str(n),
                                             iface] + [h % {"n": n} for h in headers], 0)
    head, _, got = plain.out.partition(b"\n")
    return g, head.decode(), got, body, n, text


@case(timeout=60)
def pycurl_write_callback_short_count_should_export_a_warning_aborted_by_the_program(t):
    """Reply: chat_stream_include_usage. Program: pycurl (easy), its write
    callback returns a short count once 6 events have arrived (libcurl:
    CURLE_WRITE_ERROR). Same output both ways. Arrives: one generation
    with exactly the text of the bytes the program took, WARNING,
    "transfer aborted by the program: Failed writing received data to
    disk/application (23) after N bytes"."""
    g, head, got, body, n, text = _abort(t, "write", "easy")
    eq(head, "rc=23 bytes=%d" % n, "the program's result line")
    eq(got, body[:n], "bytes the program took")
    eq(output_parts(g.attrs.get("langfuse.observation.output"))["text"], text, "text the program took")
    check_status(g, "WARNING", "transfer aborted by the program: Failed writing received data to "
                 "disk/application (23) after %d bytes" % n, 23)


@case(timeout=60)
def pycurl_multi_write_callback_short_count_should_export_a_warning(t):
    """As the easy case, on a pycurl.CurlMulti: the result comes from
    curl_multi_info_read."""
    g, head, got, body, n, text = _abort(t, "write", "multi")
    eq(head, "rc=23 bytes=%d" % n, "the program's result line")
    eq(output_parts(g.attrs.get("langfuse.observation.output"))["text"], text, "text the program took")
    check_status(g, "WARNING", "transfer aborted by the program: ", 23)


@case(timeout=60)
def pycurl_progress_callback_abort_should_export_a_warning_aborted_by_the_program(t):
    """Reply: chat_stream_include_usage; the server stalls after 6 events
    (so that what arrives does not depend on timing). Program: pycurl, its
    XFERINFO callback returns 1 once those bytes have arrived (libcurl:
    CURLE_ABORTED_BY_CALLBACK). Same output both ways. Arrives: one
    generation with their text, WARNING, "transfer aborted by the program:
    Operation was aborted by an application callback (42) after N
    bytes"."""
    g, head, got, body, n, text = _abort(t, "progress", "easy", ["X-Fault: stall@%(n)d"])
    eq(head, "rc=42 bytes=%d" % n, "the program's result line")
    eq(output_parts(g.attrs.get("langfuse.observation.output"))["text"], text, "text the program received")
    check_status(g, "WARNING", "transfer aborted by the program: Operation was aborted by an application "
                 "callback (42) after %d bytes" % n, 42)


@case(timeout=60)
def response_over_the_capture_cap_should_export_what_was_read_as_a_warning(t):
    """Reply: chat_stream_include_usage whole. Command: curl -o out, with
    LLMTAP_MAX_RESPONSE_BYTES=1024 (the smallest allowed): the shim keeps
    only the first 1024 bytes. Exit 0 both ways, curl writes the whole
    body. Arrives: the text of the events in those bytes, WARNING saying the
    response was over the cap (not that the stream ended early), no usage."""
    body = read(fixture(STREAM, "response.body"))
    check(len(body) > 1024, "the fixture fits under the cap")
    n, text = 0, ""
    while True:  # the whole events inside the first 1024 bytes
        end = body.find(b"\n\n", n)
        if end < 0 or end + 2 > 1024:
            break
        n, text = end + 2, sse_prefix(body, body[:end + 2].count(b"\n\n"))[1]
    with ProviderServer() as srv, OtlpReceiver() as rcv:
        env = Env(t)
        plain, traced = twice(t, lambda d: curl_llm(srv.url + CHAT, STREAM, ["-o", "out"]), env,
                              env.traced(LLMTAP_MAX_RESPONSE_BYTES="1024", **export_env(rcv)))
        same_behaviour(plain, traced, 0)
        spans = collect(rcv, tolerate=(NO_USAGE_WARNING,))
    _, (g,) = one_process(spans, 1)
    eq(read(os.path.join(traced.dir, "out")), body, "what curl wrote")
    a = g.attrs
    msg = a.get("langfuse.observation.status_message") or ""
    eq(a.get("langfuse.observation.level"), "WARNING", "level (status message %r)" % msg)
    check(msg.startswith("response of %d bytes is over LLMTAP_MAX_RESPONSE_BYTES: the first 1024 read" % len(body)),
          "status message %r" % msg)
    got = output_parts(a.get("langfuse.observation.output"))["text"]
    check(text and got.startswith(text), "text read %r, want it to start with %r" % (got, text))
    check(not a.get("langfuse.observation.usage_details"), "usage from beyond the cap")


if __name__ == "__main__":
    main()
