#!/usr/bin/python3
"""pycurl_client.py — a Python program using pycurl (libcurl-gnutls), for
the integration tests. Run with Debian's /usr/bin/python3 (python3-pycurl).

    pycurl_client.py easy  URL CASE=BODYFILE [CASE=BODYFILE ...]
        one pycurl.Curl handle, one POST per pair, in order
    pycurl_client.py multi URL CASE=BODYFILE [CASE=BODYFILE ...]
        one handle per pair, all at once on a pycurl.CurlMulti
    pycurl_client.py get   URL
        one GET (not an LLM endpoint)

Every request carries `Authorization: Bearer sk-test-abc123` (fake) and
`X-Case: CASE`. Prints each response as "== CASE status=N\\n" + body, in
argument order; exit status 0, or 1 if a transfer failed.
"""
import io
import sys
import time

import pycurl

KEY = "sk-test-abc123"


def headers(xcase):
    return ["Authorization: Bearer " + KEY, "Content-Type: application/json", "X-Case: " + xcase]


def setup(c, url, xcase, body, sink):
    c.setopt(pycurl.URL, url)
    c.setopt(pycurl.HTTPHEADER, headers(xcase))
    c.setopt(pycurl.POSTFIELDS, body)   # pycurl uses CURLOPT_COPYPOSTFIELDS
    c.setopt(pycurl.WRITEFUNCTION, sink.write)


def pairs(args):
    out = []
    for a in args:
        xcase, path = a.split("=", 1)
        with open(path, "rb") as f:
            out.append((xcase, f.read()))
    return out


def main(argv):
    mode, url = argv[1], argv[2]
    out = sys.stdout.buffer
    failed = 0
    if mode == "easy":
        c = pycurl.Curl()
        for xcase, body in pairs(argv[3:]):
            sink = io.BytesIO()
            setup(c, url, xcase, body, sink)
            try:
                c.perform()
            except pycurl.error as e:
                failed = 1
                out.write(b"error %d\n" % e.args[0])
            out.write(b"== %s status=%d\n" % (xcase.encode(), c.getinfo(pycurl.RESPONSE_CODE)))
            out.write(sink.getvalue())
        c.close()
    elif mode == "multi":
        m = pycurl.CurlMulti()
        items = []
        for xcase, body in pairs(argv[3:]):
            c = pycurl.Curl()
            sink = io.BytesIO()
            setup(c, url, xcase, body, sink)
            m.add_handle(c)
            items.append((xcase, c, sink))
        deadline = time.monotonic() + 30
        active = len(items)
        while active and time.monotonic() < deadline:
            while True:
                ret, active = m.perform()
                if ret != pycurl.E_CALL_MULTI_PERFORM:
                    break
            if active:
                m.select(0.2)
        done = {}
        while True:
            queued, ok, errs = m.info_read()
            for c in ok:
                done[id(c)] = 0
            for c, code, msg in errs:
                done[id(c)] = code
            if not queued:
                break
        for xcase, c, sink in items:
            code = done.get(id(c), -1)
            if code:
                failed = 1
            out.write(b"== %s status=%d rc=%d\n" % (xcase.encode(), c.getinfo(pycurl.RESPONSE_CODE), code))
            out.write(sink.getvalue())
            m.remove_handle(c)
            c.close()
        m.close()
    elif mode == "get":
        c = pycurl.Curl()
        sink = io.BytesIO()
        c.setopt(pycurl.URL, url)
        c.setopt(pycurl.HTTPHEADER, ["Authorization: Bearer " + KEY])
        c.setopt(pycurl.WRITEFUNCTION, sink.write)
        c.perform()
        out.write(b"status=%d\n" % c.getinfo(pycurl.RESPONSE_CODE))
        out.write(sink.getvalue())
        c.close()
    else:
        sys.stderr.write("unknown mode %s\n" % mode)
        return 2
    out.flush()
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv))
