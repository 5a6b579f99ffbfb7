#!/usr/bin/python3
"""test_pycurl.py — a Python program using pycurl (libcurl-gnutls, the
CURL_GNUTLS_3 hooks), easy and multi interface, under the shim.

Each case: the replay server's replies, the pycurl program
(tests/lib/pycurl_client.py under /usr/bin/python3), exactly one generation
per call under one process span, every export valid (validate-otlp --strict
--headers), and the same stdout and exit status as without the shim.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import CHAT, HERE, PYTHON, Env, case, eq, export_env, fixture, main, same_behaviour, twice  # noqa: E402
from otlp import check_against_expected, collect, match_each, one_process  # noqa: E402
from servers import OtlpReceiver, ProviderServer  # noqa: E402

CLIENT = os.path.join(HERE, "pycurl_client.py")


def run_client(t, mode, url, cases):
    args = [PYTHON, CLIENT, mode, url] + ["%s=%s" % (c, fixture(c)) for c in cases]
    with OtlpReceiver() as rcv:
        env = Env(t)
        plain, traced = twice(t, lambda d: args, env, env.traced(**export_env(rcv)))
        same_behaviour(plain, traced, 0)
        return collect(rcv), plain


@case(timeout=60)
def pycurl_easy_should_export_one_generation_per_call(t):
    """Replies: chat_plain, then chat_stream_include_usage (SSE), on one
    pycurl.Curl handle. Arrives: one process span, exactly two generations,
    each matching expected.json."""
    cases = ["openai/chat_plain", "openai/chat_stream_include_usage"]
    with ProviderServer() as srv:
        spans, _ = run_client(t, "easy", srv.url + CHAT, cases)
        _, gens = one_process(spans, 2)
        match_each(gens, cases)


@case(timeout=60)
def pycurl_easy_should_capture_errors(t):
    """Reply: errors/openai_404_model_not_found. Arrives: one generation,
    level ERROR, the provider's message, no usage."""
    with ProviderServer() as srv:
        spans, _ = run_client(t, "easy", srv.url + CHAT, ["errors/openai_404_model_not_found"])
        _, (g,) = one_process(spans, 1)
        check_against_expected(g, "errors/openai_404_model_not_found")


@case(timeout=90)
def pycurl_multi_should_export_each_concurrent_call_once(t):
    """Replies: four fixtures at once on one pycurl.CurlMulti (two JSON, two
    SSE). Arrives: one process span, exactly four generations, each matching
    its expected.json."""
    cases = ["openai/chat_plain", "openai/chat_tool_calls", "openai/chat_stream_include_usage",
             "openai/chat_stream_tool_calls_include_usage"]
    with ProviderServer() as srv:
        spans, _ = run_client(t, "multi", srv.url + CHAT, cases)
        _, gens = one_process(spans, 4)
        match_each(gens, cases)


@case(timeout=60)
def pycurl_non_llm_get_should_export_nothing(t):
    """Reply: local/hello for GET /health. Arrives: nothing (no LLM call,
    no export). Same output."""
    with ProviderServer(routes={"/health": "local/hello"}) as srv:
        with OtlpReceiver() as rcv:
            env = Env(t)
            plain, traced = twice(t, lambda d: [PYTHON, CLIENT, "get", srv.url + "/health"], env,
                                  env.traced(**export_env(rcv)))
            same_behaviour(plain, traced, 0)
            eq(rcv.count, 0, "exports from a process with no LLM call")


if __name__ == "__main__":
    main()
