#!/usr/bin/python3
"""pycurl_abort.py — a pycurl program (libcurl-gnutls) that stops a streamed
answer itself, for test_partial.py. Run with Debian's /usr/bin/python3.

    pycurl_abort.py write    URL CASE BODYFILE LIMIT [easy|multi [HEADER...]]
        the write callback takes bytes until LIMIT, then takes only what
        reaches LIMIT and returns that short count: libcurl ends the
        transfer with CURLE_WRITE_ERROR (23) after exactly LIMIT bytes
    pycurl_abort.py progress URL CASE BODYFILE LIMIT [easy|multi [HEADER...]]
        the write callback takes everything; the progress (XFERINFO)
        callback returns 1 once LIMIT bytes have arrived:
        CURLE_ABORTED_BY_CALLBACK (42)

POSTs BODYFILE with `Authorization: Bearer sk-test-abc123` (fake) and
`X-Case: CASE` (the replay server's case) and any HEADER lines. Prints
"rc=N bytes=M" and the bytes taken; exit status 0 (the abort is the
program's own choice, not a failure).
"""
import sys
import time

import pycurl


def main(argv):
    mode, url, xcase, body_file, limit = argv[1], argv[2], argv[3], argv[4], int(argv[5])
    iface = argv[6] if len(argv) > 6 else "easy"
    extra = argv[7:]
    with open(body_file, "rb") as f:
        body = f.read()
    got = bytearray()

    def write(data):
        if mode == "write" and len(got) + len(data) > limit:
            take = limit - len(got)
            got.extend(data[:take])
            return take  # short count: the program stops the transfer
        got.extend(data)
        return None

    def progress(dltotal, dlnow, ultotal, ulnow):
        return 1 if mode == "progress" and dlnow >= limit else 0

    c = pycurl.Curl()
    c.setopt(pycurl.URL, url)
    c.setopt(pycurl.HTTPHEADER, ["Authorization: Bearer sk-test-abc123", "Content-Type: application/json",
                                 "X-Case: " + xcase] + extra)
    c.setopt(pycurl.POSTFIELDS, body)
    c.setopt(pycurl.WRITEFUNCTION, write)
    c.setopt(pycurl.NOPROGRESS, 0)
    c.setopt(pycurl.XFERINFOFUNCTION, progress)
    rc = 0
    if iface == "easy":
        try:
            c.perform()
        except pycurl.error as e:
            rc = e.args[0]
    else:
        m = pycurl.CurlMulti()
        m.add_handle(c)
        deadline = time.monotonic() + 30
        active = 1
        while active and time.monotonic() < deadline:
            while True:
                ret, active = m.perform()
                if ret != pycurl.E_CALL_MULTI_PERFORM:
                    break
            if active:
                m.select(0.2)
        while True:
            queued, ok, errs = m.info_read()
            for _c, code, _msg in errs:
                rc = code
            if not queued:
                break
        m.remove_handle(c)
        m.close()
    c.close()
    out = sys.stdout.buffer
    out.write(b"rc=%d bytes=%d\n" % (rc, len(got)))
    out.write(bytes(got))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
