#!/usr/bin/python3
"""servers.py — the local servers the integration tests and the demo talk to.

Owns two loopback servers, on 127.0.0.1 (or any loopback address given as
host), port 0 by default, HTTP or HTTPS (certificate from testca.py):

  ProviderServer  replays recorded provider exchanges: the case directory
                  (meta.json: status, content_type, format; response.body)
                  is chosen by the request header `X-Case: openai/chat_plain`,
                  else by a route table ("POST /v1/chat/completions" or
                  "/v1/chat/completions" -> case), else the default case.
                  Streams (format sse / ndjson / json-array-stream /
                  aws-eventstream) go out chunked in seeded random pieces of
                  1-97 bytes, each flushed; plain JSON in one write with a
                  Content-Length (split=True: every body in pieces; framing:
                  force chunked or Content-Length, or pick one per request).
                  Every request (method, path, headers, body) is kept and
                  appended to a JSONL file.
  OtlpReceiver    records every POST (one NNNN.body and one NNNN.headers file,
                  'Name: value' lines as validate-otlp --headers reads them)
                  and answers 200 {}. Modes: ok, 500 (records, answers 500),
                  refuse (nothing listens on the port), hang (accepts and
                  never answers).

Both are context managers (start on enter, stop on exit). The CLI serves one
of them until SIGTERM/SIGINT and prints one JSON line with its port:

    python3 tests/lib/servers.py provider --port 0 [--tls DIR] [--record F] [--route P=CASE]
    python3 tests/lib/servers.py otlp --port 0 --dir D [--mode ok|500|hang] [--tls DIR]

Case directories are looked up in tests/fixtures/ (local cases), then in
../shared/fixtures/ (LLMTAP_FIXTURES overrides). Standard library only.
Request headers a test may send to the provider: X-Case, X-Delay-Ms (wait
before answering), X-Seed (chunk split seed), X-Encoding: gzip | deflate
(zlib-wrapped) | deflate-raw (raw deflate, sent as "deflate" as some servers
do) | br | zstd (send the body so encoded, with that Content-Encoding,
whatever Accept-Encoding says), X-Framing: chunked | length (how the body
is delimited), X-Fault (what goes wrong after N bytes of the, possibly
encoded, body are sent; see FAULTS).
"""
import base64
import gzip
import http.server
import json
import os
import random
import socket
import struct
import sys
import zlib
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LOCAL_FIXTURES = os.path.join(ROOT, "tests", "fixtures")
SHARED_FIXTURES = os.environ.get("LLMTAP_FIXTURES") or os.path.join(
    os.path.dirname(ROOT), "shared", "fixtures")
if not os.path.isdir(SHARED_FIXTURES):
    SHARED_FIXTURES = "/work/shared/fixtures"

STREAM_FORMATS = ("sse", "ndjson", "json-array-stream", "aws-eventstream")
FRAMINGS = ("chunked", "length", "random")
# X-Fault / fault= "KIND@N": after N body bytes are written and flushed,
#   stall  stop writing; wait (up to STALL_MAX s) until the client hangs up
#   reset  abort the connection (SO_LINGER 0: the client gets a TCP RST)
#   close  close it cleanly, body incomplete (short of Content-Length, or
#          no last chunk)
#   end    the body is only its first N bytes, properly delimited (a
#          Content-Length of N, or the last chunk): a clean but early end
FAULTS = ("stall", "reset", "close", "end")
STALL_MAX = 30
ENCODINGS = ("gzip", "deflate", "deflate-raw", "br", "zstd")
PIECE_MIN, PIECE_MAX = 1, 97
# A read of a request body never waits longer than this (a stuck client).
SOCKET_TIMEOUT = 30


def find_case(case, dirs=None):
    """The directory of a case name like 'openai/chat_plain', or None."""
    if not case or ".." in case.split("/") or case.startswith("/"):
        return None
    for d in dirs or (LOCAL_FIXTURES, SHARED_FIXTURES):
        p = os.path.join(d, case)
        if os.path.isfile(os.path.join(p, "meta.json")):
            return p
    return None


def load_case(case, dirs=None):
    """(meta dict, response bytes) of a case; KeyError if unknown."""
    d = find_case(case, dirs)
    if d is None:
        raise KeyError(case)
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    with open(os.path.join(d, "response.body"), "rb") as f:
        body = f.read()
    return meta, body


def encode(payload, coding):
    """(body, Content-Encoding value) of payload encoded as coding (one of
    ENCODINGS). Deterministic bytes. br and zstd need python3-brotli and
    python3-zstandard (scripts/install-deps.sh)."""
    if coding == "gzip":
        return gzip.compress(payload, mtime=0), "gzip"
    if coding == "deflate":
        return zlib.compress(payload), "deflate"
    if coding == "deflate-raw":
        z = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        return z.compress(payload) + z.flush(), "deflate"
    if coding == "br":
        import brotli
        return brotli.compress(payload), "br"
    if coding == "zstd":
        import zstandard
        return zstandard.ZstdCompressor().compress(payload), "zstd"
    raise ValueError("unknown encoding %r" % coding)


def parse_fault(text):
    """'reset@120' -> ('reset', 120); None/'' -> None."""
    if not text:
        return None
    kind, _, n = text.partition("@")
    if kind not in FAULTS:
        raise ValueError("fault must be one of %s, got %r" % (FAULTS, text))
    return kind, int(n or 0)


def read_body(handler):
    """The request body, Content-Length or chunked; b'' if none."""
    te = (handler.headers.get("Transfer-Encoding") or "").lower()
    if "chunked" in te:
        out = bytearray()
        while True:
            line = handler.rfile.readline(65537)
            if not line:
                break
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                # trailers until an empty line
                while True:
                    t = handler.rfile.readline(65537)
                    if not t or t in (b"\r\n", b"\n"):
                        break
                break
            out += handler.rfile.read(size)
            handler.rfile.readline(3)
        return bytes(out)
    n = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(n) if n > 0 else b""


class _TLSMixin:
    """Does the TLS handshake in the connection's own thread, so a client
    that never finishes it blocks nobody else."""
    ssl_context = None

    def finish_request(self, request, client_address):
        if self.ssl_context is not None:
            try:
                request.settimeout(SOCKET_TIMEOUT)
                request = self.ssl_context.wrap_socket(request, server_side=True)
            except (OSError, ValueError):
                return
        super().finish_request(request, client_address)


class _Quiet:
    """No Date header (outputs must be byte-identical between two runs) and
    no request log."""

    def send_response(self, code, message=None):
        self.send_response_only(code, message)
        self.send_header("Server", self.server_version)

    def log_message(self, fmt, *args):
        pass


class _Server(_TLSMixin, http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that hangs up early (short write, --max-time) is a case
        # the tests make on purpose, not a server error.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, OSError)):
            super().handle_error(request, client_address)


class _Base:
    """Start/stop plumbing shared by both servers."""
    scheme = "http"

    host = "127.0.0.1"

    def _serve(self, handler, port, tls):
        self.httpd = _Server((self.host, port), handler)
        self.httpd.owner = self
        if tls is not None:
            self.httpd.ssl_context = tls.server_context()
            self.scheme = "https"
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       name=type(self).__name__, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "%s://%s:%d" % (self.scheme, self.host, self.port)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if getattr(self, "httpd", None) is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None


# ---------------------------------------------------------------- provider

class _ProviderHandler(_Quiet, http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "llmtap-replay/1"
    sys_version = ""
    timeout = SOCKET_TIMEOUT

    def _handle(self):
        srv = self.server.owner
        body = read_body(self)
        path = self.path.split("?", 1)[0]
        case = (self.headers.get("X-Case")
                or srv.routes.get("%s %s" % (self.command, path))
                or srv.routes.get(path) or srv.default_case)
        srv._record(self, body, case)
        delay = self.headers.get("X-Delay-Ms")
        if delay:
            time.sleep(min(int(delay), 600000) / 1000.0)
        try:
            meta, payload = load_case(case, srv.dirs)
        except (KeyError, OSError, ValueError):
            msg = json.dumps({"error": "llmtap replay: no case %r for %s %s" % (case, self.command, path)})
            self._plain(404, "application/json", msg.encode())
            return
        status = int(meta.get("status", 200))
        ctype = meta.get("content_type")
        stream = meta.get("format") in STREAM_FORMATS
        rng = random.Random("%s:%s" % (self.headers.get("X-Seed") or srv.seed, case))
        coding = (self.headers.get("X-Encoding") or srv.encoding or "").lower()
        content_encoding = None
        if coding:
            payload, content_encoding = encode(payload, coding)
        framing = (self.headers.get("X-Framing") or srv.framing or "").lower()
        if framing == "random":
            framing = rng.choice(("chunked", "length"))
        if not framing:
            framing = "chunked" if stream else "length"
        fault = parse_fault(self.headers.get("X-Fault")) or srv.fault
        if fault and fault[0] == "end":
            payload, fault = payload[:fault[1]], None
        split = stream or srv.split
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        if content_encoding:
            self.send_header("Content-Encoding", content_encoding)
        self.send_header("x-request-id", "req_llmtap_" + case.replace("/", "_"))
        for k, v in (meta.get("response_headers") or {}).items():
            self.send_header(k, v)
        if self.command == "HEAD":
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            return
        chunked = framing == "chunked"
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(payload)))
        if stream:
            self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if not split and not chunked and not fault:
            self.wfile.write(payload)
            return
        self.wfile.flush()
        limit = len(payload) if not fault else min(fault[1], len(payload))
        i = 0
        while i < limit:
            n = rng.randint(PIECE_MIN, PIECE_MAX) if split else limit - i
            piece = payload[i:min(i + n, limit)]
            i += len(piece)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            self.wfile.flush()
        if fault:
            self._fault(fault[0])
            return
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    def _fault(self, kind):
        """The connection goes wrong as X-Fault asked; the handler then ends."""
        self.close_connection = True
        sock = self.connection
        if kind == "stall":
            # Wait for the client to give up (it closes: recv returns).
            sock.settimeout(STALL_MAX)
            try:
                while sock.recv(4096):
                    pass
            except OSError:
                pass
            return
        if kind == "reset":
            # Let the client read what was sent before the RST arrives.
            time.sleep(0.2)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        try:
            sock.close()
        except OSError:
            pass

    def _plain(self, status, ctype, data):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle


class ProviderServer(_Base):
    """Replays recorded cases. tls: a testca.TestCA or None. record: JSONL
    path (default: a file in a temp dir, see .record). routes: dict of
    'METHOD /path' or '/path' -> case. host: the loopback address to listen
    on (any 127.x.y.z). split: write every body, not only streams, in
    seeded random pieces. framing: 'chunked', 'length' or 'random' (one of
    the two per request, seeded) for every body (default: chunked streams,
    Content-Length JSON). encoding: one of ENCODINGS for every body. fault:
    'KIND@N' for every request (FAULTS). Request headers override these.
    Each request is in .requests (dicts with method, path, headers [[name,
    value]...], body (str, UTF-8 with replacement), body_b64, case)."""

    def __init__(self, tls=None, record=None, routes=None, default_case=None, seed=1,
                 port=0, dirs=None, host="127.0.0.1", split=False, framing=None, encoding=None,
                 fault=None):
        self.routes = dict(routes or {})
        self.default_case = default_case
        self.seed = seed
        self.dirs = dirs
        self.split = split
        if framing is not None and framing not in FRAMINGS:
            raise ValueError("framing must be one of %s" % (FRAMINGS,))
        self.framing = framing
        if encoding is not None and encoding not in ENCODINGS:
            raise ValueError("encoding must be one of %s" % (ENCODINGS,))
        self.encoding = encoding
        self.fault = parse_fault(fault)
        self.host = host
        self.record = record or os.path.join(tempfile.mkdtemp(prefix="llmtap-provider-"), "requests.jsonl")
        self.requests = []
        self.count = 0
        self._lock = threading.Lock()
        self._serve(_ProviderHandler, port, tls)

    def _record(self, h, body, case):
        entry = {
            "method": h.command,
            "path": h.path,
            "headers": [[k, v] for k, v in h.headers.items()],
            "body": body.decode("utf-8", "replace"),
            "body_b64": base64.b64encode(body).decode(),
            "case": case,
            "time": time.time(),
        }
        line = json.dumps(entry) + "\n"
        with self._lock:
            self.count += 1
            self.requests.append(entry)
            with open(self.record, "a") as f:
                f.write(line)


# ---------------------------------------------------------------- OTLP receiver

class _OtlpHandler(_Quiet, http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "llmtap-otlp/1"
    sys_version = ""
    timeout = SOCKET_TIMEOUT

    def do_POST(self):
        rcv = self.server.owner
        body = read_body(self)
        rcv._record(self, body)
        if rcv.mode == "500":
            self._answer(500, b'{"error":"llmtap test receiver: mode 500"}')
        else:
            self._answer(200, b"{}")

    def _answer(self, status, data):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._answer(404, b'{"error":"POST only"}')


class OtlpReceiver(_Base):
    """An OTLP/HTTP receiver. mode: ok | 500 | refuse | hang. dirname: where
    NNNN.body / NNNN.headers / NNNN.path go (default: a new temp dir).
    .url is the base URL; .traces_url adds /v1/traces."""

    MODES = ("ok", "500", "refuse", "hang")

    def __init__(self, mode="ok", tls=None, dirname=None, port=0):
        if mode not in self.MODES:
            raise ValueError("mode must be one of %s" % (self.MODES,))
        self.mode = mode
        self.dir = dirname or tempfile.mkdtemp(prefix="llmtap-otlp-")
        os.makedirs(self.dir, exist_ok=True)
        self.count = 0
        self._lock = threading.Lock()
        self.httpd = None
        self._hang_sock = None
        self._held = []
        if tls is not None:
            self.scheme = "https"
        if mode == "refuse":
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", port))
            self.port = s.getsockname()[1]
            s.close()  # nothing listens: connections are refused
        elif mode == "hang":
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
            s.listen(64)
            s.settimeout(0.05)
            self._hang_sock = s
            self.port = s.getsockname()[1]
            self._hang_stop = threading.Event()
            self.thread = threading.Thread(target=self._hang_loop, name="otlp-hang", daemon=True)
            self.thread.start()
        else:
            self._serve(_OtlpHandler, port, tls)

    def _hang_loop(self):
        while not self._hang_stop.is_set():
            try:
                c, _ = self._hang_sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.count += 1
                self._held.append(c)  # accepted, never read, never answered

    @property
    def traces_url(self):
        return self.url + "/v1/traces"

    def stop(self):
        if self._hang_sock is not None:
            self._hang_stop.set()
            self.thread.join(2)
            for c in self._held:
                c.close()
            self._hang_sock.close()
            self._hang_sock = None
        super().stop()

    def _record(self, h, body):
        with self._lock:
            self.count += 1
            n = self.count
        base = os.path.join(self.dir, "%04d" % n)
        with open(base + ".headers.tmp", "w") as f:
            for k, v in h.headers.items():
                f.write("%s: %s\n" % (k, v))
        with open(base + ".path", "w") as f:
            f.write("%s %s\n" % (h.command, h.path))
        with open(base + ".body.tmp", "wb") as f:
            f.write(body)
        os.rename(base + ".headers.tmp", base + ".headers")
        os.rename(base + ".body.tmp", base + ".body")

    def exports(self):
        """[(n, path, headers_file, body_file, body_bytes)] in arrival order."""
        out = []
        for name in sorted(os.listdir(self.dir)):
            if not name.endswith(".body"):
                continue
            base = os.path.join(self.dir, name[:-5])
            with open(base + ".body", "rb") as f:
                body = f.read()
            with open(base + ".path") as f:
                path = f.read().strip()
            out.append((int(name[:-5]), path, base + ".headers", base + ".body", body))
        return out


# ---------------------------------------------------------------- CLI

def _main(argv):
    import argparse
    import signal
    sys.path.insert(0, HERE)
    from testca import TestCA

    ap = argparse.ArgumentParser(prog="servers.py")
    sub = ap.add_subparsers(dest="kind", required=True)
    p = sub.add_parser("provider", help="replay recorded provider responses")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tls", metavar="CA_DIR", help="serve HTTPS with the test CA in CA_DIR (created if absent)")
    p.add_argument("--record", metavar="FILE", help="append each request as a JSON line to FILE")
    p.add_argument("--route", action="append", default=[], metavar="[METHOD ]PATH=CASE")
    p.add_argument("--default-case", metavar="CASE")
    p.add_argument("--seed", default="1")
    o = sub.add_parser("otlp", help="record OTLP/HTTP exports")
    o.add_argument("--port", type=int, default=0)
    o.add_argument("--dir", required=True)
    o.add_argument("--mode", default="ok", choices=OtlpReceiver.MODES)
    o.add_argument("--tls", metavar="CA_DIR")
    a = ap.parse_args(argv)

    tls = TestCA(a.tls) if a.tls else None
    if a.kind == "provider":
        routes = dict(r.split("=", 1) for r in a.route)
        srv = ProviderServer(tls=tls, record=a.record, routes=routes, default_case=a.default_case,
                             seed=a.seed, port=a.port)
        info = {"kind": "provider", "port": srv.port, "url": srv.url, "record": srv.record}
    else:
        srv = OtlpReceiver(mode=a.mode, tls=tls, dirname=a.dir, port=a.port)
        info = {"kind": "otlp", "port": srv.port, "url": srv.url, "traces_url": srv.traces_url,
                "dir": srv.dir, "mode": a.mode}
    if tls:
        info["ca"] = tls.ca_pem
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print(json.dumps(info), flush=True)
    while not done.wait(0.5):
        pass
    srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
