#!/usr/bin/python3
"""test_php.py — PHP's curl extension under the shim.

PHP 8.2 loads extensions with RTLD_DEEPBIND, which would bind curl.so to
libcurl past every preload; the shim's dlopen hook clears that flag for
.../curl.so only and forwards by a tail jump. Each case: the replay
server's replies, the PHP program (tests/integration/php_client.php), one
generation per call, valid exports, identical output. Plus: a program whose
dlopen of a bare library name depends on its own RUNPATH ($ORIGIN) still
finds it under the shim (glibc must see the real caller).
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import (Env, case, check, eq, export_env, fixture, main, run,  # noqa: E402
                     same_behaviour, twice)
from otlp import collect, match_each, one_process  # noqa: E402
from servers import OtlpReceiver, ProviderServer  # noqa: E402

CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "php_client.php")
CHAT = "/v1/chat/completions"
PHP = shutil.which("php") or "/usr/bin/php"
# Only the curl extension, no php.ini: opcache is loaded RTLD_DEEPBIND too,
# which the sanitizer runtimes refuse (google/sanitizers#611), while curl.so
# loses that flag in the shim's dlopen hook.
PHP_ARGS = [PHP, "-n", "-d", "extension=curl"]
# Under ASan the sanitizer runtime comes first in LD_PRELOAD, so its own
# dlopen interceptor sees PHP's RTLD_DEEPBIND before the shim's hook can
# clear it, and refuses the load: PHP cannot run under an ASan runtime at
# all. The same interceptor makes libasan, not the program, the caller glibc
# resolves RUNPATH from.
NO_ASAN_PHP = "PHP loads extensions RTLD_DEEPBIND, which the ASan runtime refuses before the shim sees it"
NO_ASAN_RUNPATH = "the ASan runtime's dlopen interceptor stands between the program and the shim"


def run_php(t, mode, url, cases):
    args = PHP_ARGS + [CLIENT, mode, url] + ["%s=%s" % (c, fixture(c)) for c in cases]
    with OtlpReceiver() as rcv:
        env = Env(t)
        plain, traced = twice(t, lambda d: args, env, env.traced(**export_env(rcv)))
        same_behaviour(plain, traced, 0)
        return collect(rcv)


@case(timeout=60, skip_asan=NO_ASAN_PHP)
def php_curl_exec_should_export_one_generation_per_call(t):
    """Replies: chat_plain (JSON) and chat_stream_include_usage (SSE), each
    through curl_exec with CURLOPT_RETURNTRANSFER. Arrives: one process span
    and two generations matching expected.json; same stdout."""
    cases = ["openai/chat_plain", "openai/chat_stream_include_usage"]
    with ProviderServer() as srv:
        spans = run_php(t, "exec", srv.url + CHAT, cases)
        _, gens = one_process(spans, 2)
        match_each(gens, cases)


@case(timeout=60, skip_asan=NO_ASAN_PHP)
def php_write_callback_should_get_the_same_bytes(t):
    """Replies: a streamed tool call and an error. The PHP closure given as
    CURLOPT_WRITEFUNCTION echoes every byte: output identical, two
    generations."""
    cases = ["openai/chat_stream_tool_calls_include_usage", "errors/openai_404_model_not_found"]
    with ProviderServer() as srv:
        spans = run_php(t, "callback", srv.url + CHAT, cases)
        _, gens = one_process(spans, 2)
        match_each(gens, cases)


@case(timeout=90, skip_asan=NO_ASAN_PHP)
def php_curl_multi_should_export_each_call_once(t):
    """Replies: three fixtures at once through curl_multi_exec. Arrives:
    exactly three generations."""
    cases = ["openai/chat_plain", "openai/chat_tool_calls", "openai/chat_stream_include_usage"]
    with ProviderServer() as srv:
        spans = run_php(t, "multi", srv.url + CHAT, cases)
        _, gens = one_process(spans, 3)
        match_each(gens, cases)


@case(timeout=60, skip_asan=NO_ASAN_PHP)
def php_non_llm_get_should_export_nothing(t):
    with ProviderServer(routes={"/health": "local/hello"}) as srv, OtlpReceiver() as rcv:
        env = Env(t)
        plain, traced = twice(t, lambda d: PHP_ARGS + [CLIENT, "get", srv.url + "/health"], env,
                              env.traced(**export_env(rcv)))
        same_behaviour(plain, traced, 0)
        eq(rcv.count, 0, "exports from a PHP process with no LLM call")


@case(timeout=60, skip_asan=NO_ASAN_RUNPATH)
def dlopen_should_keep_the_callers_runpath(t):
    """A program built with RUNPATH $ORIGIN/lib dlopens "libltfoo.so" by its
    bare name. Under the shim glibc must still resolve it through the
    program's RUNPATH: only a tail call from the dlopen hook keeps the
    caller's return address."""
    d = t.path("app")
    os.makedirs(os.path.join(d, "lib"))
    with open(t.path("foo.c"), "w") as f:
        f.write("int ltfoo(void) { return 42; }\n")
    deep = "RTLD_NOW | RTLD_DEEPBIND"
    with open(t.path("main.c"), "w") as f:
        f.write('#include <dlfcn.h>\n#include <stdio.h>\n'
                'int main(void) { void *h = dlopen("libltfoo.so", ' + deep + ');\n'
                '  void *g = dlopen("libltfoo.so", RTLD_LAZY);\n'
                '  if (!h || !g) { printf("dlopen failed: %s\\n", dlerror()); return 1; }\n'
                '  int (*f)(void) = (int (*)(void))dlsym(h, "ltfoo"); printf("%d\\n", f()); return 0; }\n')
    subprocess.run(["cc", "-shared", "-fPIC", "-o", os.path.join(d, "lib", "libltfoo.so"), t.path("foo.c")],
                   check=True)
    subprocess.run(["cc", "-o", os.path.join(d, "main"), t.path("main.c"), "-ldl",
                    "-Wl,-rpath,$ORIGIN/lib", "-Wl,--enable-new-dtags"], check=True)
    env = Env(t)
    plain = run([os.path.join(d, "main")], env.untraced())
    eq(plain.out, b"42\n", "the program without the shim")
    traced = run([os.path.join(d, "main")], env.traced())
    eq(traced.out, b"42\n", "the program under the shim (stderr: %s)" % traced.err[-300:])
    eq(traced.rc, 0, "exit status under the shim")


if __name__ == "__main__":
    check(os.path.exists(PHP), "php is not installed (scripts/install-deps.sh installs php-cli php-curl)")
    main()
