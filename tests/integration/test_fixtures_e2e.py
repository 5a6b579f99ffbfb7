#!/usr/bin/python3
"""test_fixtures_e2e.py — every recorded exchange of ../shared/fixtures end
to end: the real `curl` command under the shim, talking to the recorded
host name, the generation checked where Langfuse would receive it.

One case per fixture directory (e2e_<provider>_<case>), plus one that the
folder is there and holds as many cases as its README says. Each case:

  server   a replay server for that case alone (tests/lib/servers.py) on
           a random loopback address 127.x.y.z, on the recorded port (443,
           11434, ...; else a free port reached with --connect-to), HTTPS
           with a certificate of the test CA for the recorded host name
           when the URL is https (one certificate names every recorded
           host). It answers the recorded status,
           Content-Type and body, the body written in seeded random pieces
           of 1-97 bytes, each flushed, chunked or with a Content-Length
           (chosen per case).
  command  curl -sS -o out --resolve HOST:PORT:ADDR --cacert ca.pem -X POST
           -H 'Content-Type: application/json' (+ the provider's fake
           credential header) --data-binary @request.json 'RECORDED_URL',
           with ?key=AIza... added to Gemini URLs.
  arrives  at a local OTLP receiver: one process span and one generation
           matching expected.json (tests/lib/otlp.py check_against_expected:
           model, level, status message, output text, reasoning, tool
           calls, usage_details, observation type, provider, completion
           start of streams); every body passes validate-otlp --strict
           --headers (a recording without usage may draw only the "without
           usage" warning); no credential anywhere in the export.
  program  curl exits 0 and its output file is the recorded body; the
           server got request.json byte for byte.

A case whose provider module has not landed yet fails, named by its case.
The cases run up front in a few threads (each mostly waits on curl and the
servers), then each reports its result; LLMTAP_E2E_JOBS sets the threads.
"""
import base64
import concurrent.futures
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
import traceback
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import (AZURE_KEY, FIXTURES, PROVIDER_KEY, Env, Failure, case, check, eq,  # noqa: E402
                     export_env, main, read, run)
from otlp import NO_USAGE_WARNING, check_against_expected, collect, one_process  # noqa: E402
from servers import STREAM_FORMATS, OtlpReceiver, ProviderServer  # noqa: E402
from testca import TestCA  # noqa: E402

# Fake credentials, one per way a provider takes them; none may be exported.
GEMINI_KEY = "AIzaSyD-llmtap-e2e-FAKE-key-0123456789"
VERTEX_TOKEN = "ya29.llmtap-e2e-fake-oauth-token"
AWS_KEY_ID = "AKIALLMTAPE2EFAKE000"
AWS_SIGNATURE = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
EXTRA_SECRETS = (GEMINI_KEY, VERTEX_TOKEN, AWS_KEY_ID, AWS_SIGNATURE)

JOBS = int(os.environ.get("LLMTAP_E2E_JOBS") or 4)
CURL_TIMEOUT = 30


def discover():
    """Every '<provider>/<case>' directory of the shared fixtures, sorted."""
    out = []
    if not os.path.isdir(FIXTURES):
        return out
    for prov in sorted(os.listdir(FIXTURES)):
        pd = os.path.join(FIXTURES, prov)
        if not os.path.isdir(pd):
            continue
        for c in sorted(os.listdir(pd)):
            if os.path.isfile(os.path.join(pd, c, "meta.json")):
                out.append(prov + "/" + c)
    return out


CASES = discover()


def tap_name(c):
    return "e2e_%s_should_match_expected" % re.sub(r"[^A-Za-z0-9]+", "_", c)


def credentials(provider):
    """Headers a real client of this provider sends (fake values)."""
    if provider == "azure":
        return ["api-key: " + AZURE_KEY]
    if provider == "anthropic":
        return ["x-api-key: " + PROVIDER_KEY, "anthropic-version: 2023-06-01"]
    if provider == "vertex":
        return ["Authorization: Bearer " + VERTEX_TOKEN]
    if provider == "bedrock":
        return ["Authorization: AWS4-HMAC-SHA256 Credential=%s/20250101/us-east-1/bedrock/aws4_request, "
                "SignedHeaders=content-type;host;x-amz-date, Signature=%s" % (AWS_KEY_ID, AWS_SIGNATURE),
                "X-Amz-Date: 20250101T000000Z"]
    if provider in ("gemini", "ollama"):
        return []  # Gemini: the key goes in the URL; Ollama: none
    return ["Authorization: Bearer " + PROVIDER_KEY]


def with_key(url):
    """A Gemini API URL with ?key=... added, as the REST docs show it."""
    return url + ("&" if "?" in url else "?") + "key=" + GEMINI_KEY


class _Dir:
    """What Env needs of a case context: a private directory."""

    def __init__(self, path):
        self.tmp = path

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)


def _serve(c, ca, port):
    """The case's replay server on a random loopback address at the recorded
    port, else (port taken, or no right to bind it) at a free port on one.
    Returns (server, address)."""
    rng = random.Random()
    last = None
    kw = dict(tls=ca, default_case=c, dirs=[FIXTURES], split=True, framing="random", seed=c)
    for attempt in range(8):
        addr = "127.%d.%d.%d" % (rng.randint(1, 254), rng.randint(0, 255), rng.randint(1, 254))
        try:
            return ProviderServer(host=addr, port=port if attempt < 6 else 0, **kw), addr
        except OSError as e:
            last = e
    raise Failure("cannot listen for %s on a loopback address: %s" % (c, last))


def run_case(c, root, ca):
    """One fixture end to end; raises Failure (or anything) when it fails."""
    d = os.path.join(FIXTURES, c)
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    with open(os.path.join(d, "expected.json")) as f:
        exp = json.load(f)
    u = urllib.parse.urlsplit(meta["url"])
    https = u.scheme == "https"
    port = u.port or (443 if https else 80)
    url = meta["url"]
    if u.hostname == "generativelanguage.googleapis.com":
        url = with_key(url)
    t = _Dir(os.path.join(root, c.replace("/", "_")))
    os.makedirs(t.tmp)
    srv, addr = _serve(c, ca if https else None, port)
    try:
        with OtlpReceiver(dirname=t.path("otlp")) as rcv:
            route = (["--resolve", "%s:%d:%s" % (u.hostname, port, addr)] if srv.port == port else
                     ["--connect-to", "%s:%d:%s:%d" % (u.hostname, port, addr, srv.port)])
            argv = ["curl", "-sS", "-o", t.path("out")] + route
            if https:
                argv += ["--cacert", ca.ca_pem]
            argv += ["-X", meta.get("method") or "POST", "-H", "Content-Type: application/json"]
            for h in credentials(meta.get("provider")):
                argv += ["-H", h]
            argv += ["--data-binary", "@" + os.path.join(d, "request.json"), url]
            env = Env(t).traced(**export_env(rcv))
            r = run(argv, env, timeout=CURL_TIMEOUT)
            eq(r.rc, 0, "%s: curl's exit status (stderr: %s)" % (c, r.err[-300:]))
            check(read(t.path("out")) == read(os.path.join(d, "response.body")),
                  "%s: curl's output differs from the recorded body" % c)
            eq(len(srv.requests), 1, "%s: requests the replay server got" % c)
            check(srv.requests[0]["body_b64"] == base64.b64encode(
                read(os.path.join(d, "request.json"))).decode(), "%s: the request body arrived altered" % c)
            tolerate = (NO_USAGE_WARNING,) if exp.get("usage_details") is None else ()
            spans = collect(rcv, tolerate=tolerate, secrets=EXTRA_SECRETS)
            check(spans, "%s: nothing exported for api %s (is its provider module in this build?)"
                  % (c, meta.get("api")))
            _, (g,) = one_process(spans, 1)
            check_against_expected(g, c, stream=meta.get("format") in STREAM_FORMATS, provider=meta.get("provider"))
    finally:
        srv.stop()
    shutil.rmtree(t.tmp, ignore_errors=True)


# ------------------------------------------------------------------ running

RESULTS = {}   # fixture case -> None (passed) or the failure text


def run_all(todo):
    """Runs the fixtures in todo in JOBS threads; fills RESULTS."""
    # named like the harness's case dirs, so that old ones are pruned alike
    root = tempfile.mkdtemp(prefix="llmtap-it-e2e-")
    hosts = set()
    for c in todo:
        with open(os.path.join(FIXTURES, c, "meta.json")) as f:
            hosts.add(urllib.parse.urlsplit(json.load(f)["url"]).hostname)
    ca = TestCA(os.path.join(root, "ca"), hosts=hosts)
    t0 = time.monotonic()

    def one(c):
        try:
            run_case(c, root, ca)
            return c, None
        except Failure as e:
            return c, str(e)
        except Exception:
            return c, traceback.format_exc()

    with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as ex:
        for c, err in ex.map(one, todo):
            RESULTS[c] = err
    RESULTS[None] = "%d fixture(s) in %.1fs, %d thread(s); files: %s" % (len(todo), time.monotonic() - t0, JOBS, root)
    if all(v is None for k, v in RESULTS.items() if k is not None):
        shutil.rmtree(root, ignore_errors=True)


def _make(c):
    def fn(t):
        check(c in RESULTS, "%s did not run" % c)
        t.note(RESULTS[None])
        if RESULTS[c] is not None:
            raise Failure(RESULTS[c])
    fn.__name__ = tap_name(c)
    fn.__doc__ = "Fixture %s end to end (see the file's header)." % c
    return fn


@case(timeout=30)
def e2e_fixtures_should_all_be_present(t):
    """The shared fixtures folder exists and holds as many cases as its
    README says ("49 cases: ..."); every one has a case here."""
    check(os.path.isdir(FIXTURES), "no fixtures folder at %s" % FIXTURES)
    m = re.search(r"^(\d+) cases:", read(os.path.join(FIXTURES, "README.md"), "r"), re.M)
    check(m, "the fixtures README does not say how many cases it has")
    eq(len(CASES), int(m.group(1)), "fixture directories found")
    for c in CASES:
        for f in ("meta.json", "request.json", "response.body", "expected.json"):
            check(os.path.isfile(os.path.join(FIXTURES, c, f)), "%s lacks %s" % (c, f))


for _c in CASES:
    # a case runs under the harness's per-case timeout only to report
    case(timeout=30)(_make(_c))


if __name__ == "__main__":
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    run_all([c for c in CASES if only in tap_name(c)])
    main()
