#!/usr/bin/python3
"""test_clients.py — Lua (lua-curl), Ruby (curb) and R (curl package) under
the shim: the libcurl-gnutls flavour loaded RTLD_LOCAL by a dlopen'ed module
(Lua, Ruby), and transfers driven only through the multi interface (curb and
R never call curl_easy_perform). Each case: the replay server's replies, the
program, one generation per call matching expected.json, valid exports,
identical output and exit status.
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import Env, case, check, export_env, fixture, main, same_behaviour, twice  # noqa: E402
from otlp import collect, match_each, one_process  # noqa: E402
from servers import OtlpReceiver, ProviderServer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CHAT = "/v1/chat/completions"
CASES = ["openai/chat_plain", "openai/chat_stream_include_usage", "openai/chat_stream_tool_calls_include_usage"]


def run_client(t, argv_head, cases, timeout=60):
    check(shutil.which(argv_head[0]), "%s is not installed (scripts/install-deps.sh)" % argv_head[0])
    with ProviderServer() as srv, OtlpReceiver() as rcv:
        args = argv_head + [srv.url + CHAT] + ["%s=%s" % (c, fixture(c)) for c in cases]
        env = Env(t)
        plain, traced = twice(t, lambda d: args, env, env.traced(**export_env(rcv)), timeout=timeout)
        same_behaviour(plain, traced, 0)
        spans = collect(rcv)
    _, gens = one_process(spans, len(cases))
    match_each(gens, cases)


@case(timeout=90)
def lua_curl_should_export_one_generation_per_call(t):
    run_client(t, ["lua5.2", os.path.join(HERE, "lua_client.lua")], CASES)


@case(timeout=90)
def ruby_curb_easy_should_export_one_generation_per_call(t):
    run_client(t, ["ruby", os.path.join(HERE, "ruby_client.rb"), "easy"], CASES)


@case(timeout=90)
def ruby_curb_multi_should_export_each_concurrent_call_once(t):
    run_client(t, ["ruby", os.path.join(HERE, "ruby_client.rb"), "multi"], CASES)


@case(timeout=120)
def r_curl_fetch_memory_should_export_one_generation_per_call(t):
    run_client(t, ["Rscript", os.path.join(HERE, "r_client.R"), "fetch"], CASES, timeout=90)


@case(timeout=120)
def r_multi_run_should_export_each_concurrent_call_once(t):
    run_client(t, ["Rscript", os.path.join(HERE, "r_client.R"), "multi"], CASES, timeout=90)


if __name__ == "__main__":
    main()
