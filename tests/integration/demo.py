#!/usr/bin/python3
"""demo.py — what `make demo` runs: llmtap on real programs, offline.

Starts the local replay server (tests/lib/servers.py) with two recorded
OpenAI-style answers written here (a chat completion and a streamed one),
builds the small C example tests/integration/demo_client.c into
build/demo_client, then runs under scripts/llmtap, with spans going to a
JSONL file in a temp dir:

  1. the real `curl` command: a plain chat completion;
  2. one shell script (one trace for its whole process tree) running curl
     for a streamed completion and demo_client (easy + multi interface);
  3. curl against two other wire formats, streamed: Anthropic Messages
     (with thinking) and Gemini (with function calls), from the project's
     own recorded exchanges in tests/fixtures, the local server named as
     those providers with LLMTAP_PROVIDERS;

prints the programs' answers briefly and the trace tree with
build/llmtap-show. Nothing leaves the machine: every Langfuse/OTel variable
is removed from the environment and the server listens on 127.0.0.1 only.
Exit status 0 when every step worked and the file holds the generations.
"""
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from servers import LOCAL_FIXTURES, ProviderServer  # noqa: E402

LAUNCHER = os.path.join(ROOT, "scripts", "llmtap")
SHOW = os.path.join(ROOT, "build", "llmtap-show")
LIB = os.path.join(ROOT, "build", "libllmtap.so")
CLIENT_SRC = os.path.join(HERE, "demo_client.c")
CLIENT = os.path.join(ROOT, "build", "demo_client")
FAKE_KEY = "sk-demo-not-a-real-key"

CHAT = {
    "id": "chatcmpl-demo0001", "object": "chat.completion", "created": 1795514400,
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Seven."},
                 "logprobs": None, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 21, "completion_tokens": 3, "total_tokens": 24,
              "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
              "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}},
    "service_tier": "default", "system_fingerprint": "fp_demo",
}


def stream_body():
    base = {"id": "chatcmpl-demo0002", "object": "chat.completion.chunk", "created": 1795514401,
            "model": "gpt-4o-mini-2024-07-18", "system_fingerprint": "fp_demo"}
    chunks = [dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""},
                                   "finish_reason": None}], usage=None)]
    for piece in ("1", ", 2", ", 3", ", 4", ", 5."):
        chunks.append(dict(base, choices=[{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                           usage=None))
    chunks.append(dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}], usage=None))
    chunks.append(dict(base, choices=[], usage={"prompt_tokens": 13, "completion_tokens": 13,
                                                "total_tokens": 26}))
    return "".join("data: %s\n\n" % json.dumps(c, separators=(",", ":")) for c in chunks) + "data: [DONE]\n\n"


def write_cases(d):
    cases = {
        "demo/chat": ({"status": 200, "content_type": "application/json", "format": "json"},
                      json.dumps(CHAT, indent=2)),
        "demo/chat_stream": ({"status": 200, "content_type": "text/event-stream; charset=utf-8",
                              "format": "sse"}, stream_body()),
    }
    for name, (meta, body) in cases.items():
        os.makedirs(os.path.join(d, name))
        with open(os.path.join(d, name, "meta.json"), "w") as f:
            json.dump(meta, f)
        with open(os.path.join(d, name, "response.body"), "w") as f:
            f.write(body)


def clean_env(tmp):
    """Our environment without anything that could send spans elsewhere."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LANGFUSE_", "OTEL_", "LLMTAP_")) and k not in (
               "LD_PRELOAD", "TRACEPARENT", "http_proxy", "https_proxy", "all_proxy",
               "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["OPENAI_API_KEY"] = FAKE_KEY
    env["PWD"] = tmp
    return env


def say(msg=""):
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


def show_cmd(argv):
    s = " ".join(shlex.quote(a) for a in argv)
    return s.replace(ROOT + "/", "")


def build_client():
    if os.path.exists(CLIENT) and os.path.getmtime(CLIENT) >= os.path.getmtime(CLIENT_SRC):
        return True
    cmd = ["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-Wall", "-Wextra", "-Werror",
           "-I", os.path.join(ROOT, "shim"), "-o", CLIENT, CLIENT_SRC, "-lcurl"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    if p.returncode != 0:
        say("demo: cannot build %s:\n%s" % (CLIENT_SRC, p.stdout))
        return False
    return True


def run(argv, env, cwd):
    return subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60)


def contents(text):
    """The assistant text in a chat completion or an SSE stream, for display."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("data:"):
            line = line[5:].strip()
        if not line.startswith("{"):
            continue
        try:
            o = json.loads(line)
        except ValueError:
            continue
        for c in o.get("choices") or []:
            m = c.get("message") or c.get("delta") or {}
            if m.get("content"):
                out.append(m["content"])
    if not out:
        try:
            o = json.loads(text)
            for c in o.get("choices") or []:
                out.append((c.get("message") or {}).get("content") or "")
        except ValueError:
            pass
    return "".join(out)


def main():
    for path, hint in ((LIB, "make"), (SHOW, "make")):
        if not os.path.exists(path):
            say("demo: %s is missing (run `%s`)" % (os.path.relpath(path, ROOT), hint))
            return 1
    if not shutil.which("curl"):
        say("demo: the curl command is missing (run `make deps`)")
        return 1
    if not build_client():
        return 1

    tmp = tempfile.mkdtemp(prefix="llmtap-demo-")
    cases = os.path.join(tmp, "cases")
    write_cases(cases)
    out = os.path.join(tmp, "spans.jsonl")
    env = clean_env(tmp)
    ok = True

    with ProviderServer(dirs=[cases, LOCAL_FIXTURES], default_case="demo/chat") as prov:
        base = prov.url + "/v1"
        url = base + "/chat/completions"
        say("llmtap demo — offline: a local replay server at %s answers like OpenAI;" % prov.url)
        say("spans go to %s" % out)
        say()

        # 1. curl, plain.
        req = json.dumps({"model": "gpt-4o-mini", "messages": [
            {"role": "user", "content": "Name one prime number."}]}, separators=(",", ":"))
        curl = ["curl", "-sS", url, "-H", "Authorization: Bearer " + FAKE_KEY,
                "-H", "Content-Type: application/json", "-d", req]
        argv = [LAUNCHER, "-o", out, "--"] + curl
        say("$ " + show_cmd(argv).replace("'Authorization: Bearer %s'" % FAKE_KEY,
                                          '"Authorization: Bearer $OPENAI_API_KEY"'))
        p = run(argv, env, tmp)
        say("  answer: %s" % (contents(p.stdout.decode(errors="replace")) or "(none)"))
        for l in p.stderr.decode(errors="replace").splitlines():
            say("  " + l)
        ok &= p.returncode == 0
        say()

        # 2. A script: streamed curl + the C example, one trace.
        sreq = json.dumps({"model": "gpt-4o-mini", "stream": True, "stream_options": {"include_usage": True},
                           "messages": [{"role": "user", "content": "Count to five."}]}, separators=(",", ":"))
        script = ("curl -sS -N %s -H \"Authorization: Bearer $OPENAI_API_KEY\" "
                  "-H 'Content-Type: application/json' -H 'X-Case: demo/chat_stream' -d '%s' > stream.out; "
                  "%s %s") % (url, sreq, CLIENT, base)
        senv = dict(env, DEMO_STREAM_CASE="demo/chat_stream")
        argv = [LAUNCHER, "-o", out, "-n", "demo-pipeline", "--", "/bin/sh", "-c", script]
        say("$ " + show_cmd(argv[:-1]) + " '<curl -N (stream); build/demo_client %s>'" % base)
        say("  (X-Case only tells the replay server which recorded answer to send)")
        p = run(argv, senv, tmp)
        try:
            with open(os.path.join(tmp, "stream.out")) as f:
                say("  curl stream answer: %s" % (contents(f.read()) or "(none)"))
        except OSError:
            ok = False
        for l in p.stdout.decode(errors="replace").splitlines():
            say("  demo_client: " + l)
        for l in p.stderr.decode(errors="replace").splitlines():
            say("  " + l)
        ok &= p.returncode == 0
        say()

        # 3. Other wire formats: the same shim, nothing to configure but names.
        others = (
            ("anthropic/stream_thinking_signature", "/anthropic", "/v1/messages", "x-api-key: sk-ant-demo"),
            ("gemini/stream_sse_function_call", "/gemini",
             "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "x-goog-api-key: AIza-demo"),
        )
        providers = ",".join("%s%s=%s" % (prov.url, base_path, base_path[1:]) for _, base_path, _, _ in others)
        cmds = []
        for case, base_path, path, key in others:
            cmds.append("curl -sS -N '%s%s%s' -H '%s' -H 'Content-Type: application/json' -H 'X-Case: %s' "
                        "--data-binary @%s -o /dev/null" % (prov.url, base_path, path, key, case,
                                                            os.path.join(LOCAL_FIXTURES, case, "request.json")))
        argv = [LAUNCHER, "-o", out, "-n", "other-providers", "--", "/bin/sh", "-c", "; ".join(cmds)]
        say("$ LLMTAP_PROVIDERS=%s \\" % providers)
        say("  " + show_cmd(argv[:-1]) + " '<curl an Anthropic stream; curl a Gemini stream>'")
        p = run(argv, dict(env, LLMTAP_PROVIDERS=providers), tmp)
        for l in (p.stdout + p.stderr).decode(errors="replace").splitlines():
            say("  " + l)
        ok &= p.returncode == 0
        say()

    # 4. The trace tree.
    say("$ llmtap show %s" % out)
    if not os.path.exists(out):
        say("demo: no span was written to %s: the shim captured nothing" % out)
        return 1
    p = subprocess.run([LAUNCHER, "show", out], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    sys.stdout.write(p.stdout.decode(errors="replace"))
    ok &= p.returncode == 0
    gens = subprocess.run([SHOW, "--json", out], stdout=subprocess.PIPE, timeout=60)
    try:
        n = sum(t["generations"] for t in json.loads(gens.stdout)["traces"])
    except (ValueError, KeyError):
        n = 0
    say()
    if n != 6:
        say("demo: expected 6 generations in %s, found %d" % (out, n))
        ok = False
    say("The file holds one OTLP/JSON export body per line (%s)." % out)
    say("With LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY set, the same spans go to Langfuse.")
    if ok:
        shutil.rmtree(cases, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
