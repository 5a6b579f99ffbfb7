#!/usr/bin/python3
"""test_compressed.py — compressed answers, end to end with the curl command
(the recorded fixtures hold decoded bodies, so only this catches it).

A program that sends its own Accept-Encoding without CURLOPT_ACCEPT_ENCODING
receives the body as the server encoded it (DESIGN): the shim inflates gzip
and deflate (zlib-wrapped, and raw as some servers send it) before parsing;
br and zstd give a WARNING generation saying the body was not decoded. With
CURLOPT_ACCEPT_ENCODING (curl --compressed) libcurl decodes, and the shim
must not decode again. gzip without --compressed is in test_curl.py.

Each case: the replay server's reply (a fixture encoded as X-Encoding asks,
with that Content-Encoding), the curl command, the generation that must
arrive (validate-otlp --strict --headers on every body), and the program's
own output: the same bytes with and without the shim, and exactly what the
server sent (encoded) or its decoding (--compressed).
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import (CHAT, Env, build_c, case, check, curl_llm, eq, export_env, fixture, main,  # noqa: E402
                     read, same_behaviour, twice)
from otlp import NO_USAGE_WARNING, check_against_expected, collect, one_process, output_parts  # noqa: E402
from servers import OtlpReceiver, ProviderServer, encode  # noqa: E402

JSON = "openai/chat_plain"
STREAM = "openai/chat_stream_include_usage"
# What curl sends as Accept-Encoding for a coding; the raw deflate body is
# still announced as "deflate".
ACCEPT = {"gzip": "gzip", "deflate": "deflate", "deflate-raw": "deflate", "br": "br", "zstd": "zstd"}


def traced_run(t, argv_of, tolerate=()):
    with OtlpReceiver() as rcv:
        env = Env(t)
        plain, traced = twice(t, argv_of, env, env.traced(**export_env(rcv)))
        same_behaviour(plain, traced, 0)
        spans = collect(rcv, tolerate=tolerate)
    _, (g,) = one_process(spans, 1)
    return g, read(os.path.join(plain.dir, "out"))


def program_decodes_nothing(t, xcase, coding):
    """curl -H 'Accept-Encoding: CODING' (no --compressed): curl writes the
    encoded bytes; returns the generation."""
    body = read(fixture(xcase, "response.body"))
    with ProviderServer() as srv:
        tolerate = (NO_USAGE_WARNING,) if coding in ("br", "zstd") else ()
        g, out = traced_run(t, lambda d: curl_llm(srv.url + CHAT, xcase, [
            "-H", "Accept-Encoding: " + ACCEPT[coding], "-H", "X-Encoding: " + coding, "-o", "out"]), tolerate)
    eq(out, encode(body, coding)[0], "curl's output: the %s bytes the server sent" % coding)
    eq(g.attrs.get("langfuse.observation.metadata.content_encoding"), ACCEPT[coding], "metadata.content_encoding")
    return g


def inflated(t, xcase, coding):
    g = program_decodes_nothing(t, xcase, coding)
    check_against_expected(g, xcase, stream=xcase == STREAM)


def not_decoded(t, xcase, coding):
    g = program_decodes_nothing(t, xcase, coding)
    a = g.attrs
    msg = a.get("langfuse.observation.status_message") or ""
    eq(a.get("langfuse.observation.level"), "WARNING", "level (status message %r)" % msg)
    eq(msg, "response body is %s-encoded: not decoded" % coding, "status message")
    eq(g.status.get("code"), 0, "span status code of a warning")
    with open(fixture(xcase)) as f:
        eq(a.get("langfuse.observation.model.name"), json.load(f)["model"], "model (the request's)")
    eq(output_parts(a.get("langfuse.observation.output"))["text"], "", "output read from compressed bytes")


def libcurl_decodes(t, xcase, coding):
    """curl --compressed: libcurl asks for and decodes every coding it has;
    curl writes the decoded body; the shim reads it once."""
    body = read(fixture(xcase, "response.body"))
    with ProviderServer() as srv:
        g, out = traced_run(t, lambda d: curl_llm(srv.url + CHAT, xcase, [
            "--compressed", "-H", "X-Encoding: " + coding, "-o", "out"]))
    eq(out, body, "curl's output: the decoded body")
    check("langfuse.observation.metadata.content_encoding" not in g.attrs,
          "content_encoding recorded although libcurl decoded")
    check_against_expected(g, xcase, stream=xcase == STREAM)


def _cases():
    for coding in ("deflate", "deflate-raw"):
        for kind, xcase in (("json", JSON), ("stream", STREAM)):
            yield ("curl_%s_%s_reaching_the_program_compressed_should_be_inflated" % (
                coding.replace("-", "_"), kind), inflated, xcase, coding,
                "Reply: %s, %s-encoded (Content-Encoding: deflate). Command: curl -H 'Accept-Encoding: "
                "deflate' (no --compressed). Same encoded bytes in -o out both ways; arrives: one "
                "generation matching expected.json." % (xcase, coding))
    for coding in ("br", "zstd"):
        for kind, xcase in (("json", JSON), ("stream", STREAM)):
            yield ("curl_%s_%s_reaching_the_program_compressed_should_be_a_warning" % (coding, kind),
                   not_decoded, xcase, coding,
                   "Reply: %s, %s-encoded. Command: curl -H 'Accept-Encoding: %s'. Same encoded bytes "
                   "both ways; arrives: one generation, WARNING 'response body is %s-encoded: not "
                   "decoded', the request's model, no output." % (xcase, coding, coding, coding))
    for coding in ("gzip", "deflate", "deflate-raw", "br", "zstd"):
        yield ("curl_compressed_option_with_%s_stream_should_not_be_decoded_twice" % coding.replace("-", "_"),
               libcurl_decodes, STREAM, coding,
               "Reply: %s, %s-encoded. Command: curl --compressed (libcurl decodes). The decoded body "
               "in -o out both ways; arrives: one generation matching expected.json, no "
               "content_encoding." % (STREAM, coding))


def _register(name, fn, xcase, coding, doc):
    def run_it(t):
        fn(t, xcase, coding)
    run_it.__name__ = name
    run_it.__doc__ = doc
    case(timeout=60)(run_it)


for _args in _cases():
    _register(*_args)


@case(timeout=60)
def curl_gzip_stream_cut_off_should_keep_the_text_inflated_so_far(t):
    """Reply: chat_stream_include_usage, gzip-encoded, connection reset
    after 60% of the compressed bytes. Command: curl -H 'Accept-Encoding:
    gzip' -o out (exit 56 both ways, the same compressed bytes). Arrives:
    one generation with the text inflated from what came, WARNING,
    "transfer cut off: ... (56) after N bytes; response body is
    gzip-encoded: compressed body ends early"."""
    body = read(fixture(STREAM, "response.body"))
    z = encode(body, "gzip")[0]
    n = len(z) * 6 // 10
    with ProviderServer() as srv:
        with OtlpReceiver() as rcv:
            env = Env(t)
            plain, traced = twice(t, lambda d: curl_llm(srv.url + CHAT, STREAM, [
                "-H", "Accept-Encoding: gzip", "-H", "X-Encoding: gzip", "-H", "X-Fault: reset@%d" % n,
                "-o", "out"]), env, env.traced(**export_env(rcv)))
            same_behaviour(plain, traced, 56)
            spans = collect(rcv, tolerate=(NO_USAGE_WARNING,))
    _, (g,) = one_process(spans, 1)
    eq(read(os.path.join(plain.dir, "out")), z[:n], "curl's output: the compressed bytes that came")
    a = g.attrs
    msg = a.get("langfuse.observation.status_message") or ""
    eq(a.get("langfuse.observation.level"), "WARNING", "level (status message %r)" % msg)
    check(msg.startswith("transfer cut off: Failure when receiving data from the peer (56) after %d bytes" % n)
          and msg.endswith("response body is gzip-encoded: compressed body ends early"), "status message %r" % msg)
    text = output_parts(a.get("langfuse.observation.output"))["text"]
    with open(fixture(STREAM, "expected.json")) as f:
        full = json.load(f)["output"]["text"]
    check(text and full.startswith(text) and text != full, "text %r is not a cut of %r" % (text, full))


# ------------------------------------------------------------------ handles set up otherwise

def _client(t, mode):
    """compressed_client MODE against a gzip-encoding server; returns (the
    generation, what the program printed before its rc line)."""
    prog = build_c("compressed_client")
    with ProviderServer() as srv:
        with OtlpReceiver() as rcv:
            env = Env(t)
            plain, traced = twice(t, lambda d: [prog, mode, srv.url + CHAT, STREAM, fixture(STREAM)], env,
                                  env.traced(**export_env(rcv)))
            same_behaviour(plain, traced, 0)
            spans = collect(rcv)
    _, (g,) = one_process(spans, 1)
    check(plain.out.endswith(b"\nrc=0\n"), "the program's last line: %r" % plain.out[-40:])
    check_against_expected(g, STREAM, stream=True)
    return g, plain.out[:-len(b"\nrc=0\n")]


@case(timeout=60)
def duphandle_should_keep_libcurl_decoding(t):
    """Reply: chat_stream_include_usage, gzip. Program: ACCEPT_ENCODING ""
    on a handle, curl_easy_duphandle, perform the duplicate: libcurl
    decodes (the option was copied). Same output both ways (the decoded
    body); arrives: one generation matching expected.json, not inflated a
    second time."""
    g, out = _client(t, "dup")
    eq(out, read(fixture(STREAM, "response.body")), "the program's output: the decoded body")
    check("langfuse.observation.metadata.content_encoding" not in g.attrs,
          "content_encoding recorded although libcurl decoded")


@case(timeout=60)
def content_decoding_off_should_be_inflated_by_the_shim(t):
    """Reply: chat_stream_include_usage, gzip. Program: ACCEPT_ENCODING ""
    and HTTP_CONTENT_DECODING 0: libcurl asks for gzip and leaves it
    compressed. Same gzip bytes both ways; arrives: one generation
    matching expected.json."""
    g, out = _client(t, "nodecode")
    eq(out, encode(read(fixture(STREAM, "response.body")), "gzip")[0], "the program's output: gzip bytes")
    eq(g.attrs.get("langfuse.observation.metadata.content_encoding"), "gzip", "metadata.content_encoding")


@case(timeout=60)
def reset_handle_should_forget_libcurl_decoding(t):
    """Reply: chat_stream_include_usage, gzip. Program: ACCEPT_ENCODING "",
    curl_easy_reset, then its own Accept-Encoding: gzip header: the body
    stays compressed. Same gzip bytes both ways; arrives: one generation
    matching expected.json."""
    g, out = _client(t, "reset")
    eq(out, encode(read(fixture(STREAM, "response.body")), "gzip")[0], "the program's output: gzip bytes")
    eq(g.attrs.get("langfuse.observation.metadata.content_encoding"), "gzip", "metadata.content_encoding")


if __name__ == "__main__":
    main()
