#!/usr/bin/python3
"""test_exports.py — what libllmtap.so exports and needs.

The exported-symbol whitelist (DESIGN "Exports of the shim are a
whitelist"): `nm -D --defined-only` lists exactly the curl_* hooks, each in
CURL_OPENSSL_4 as the default version (@@) and in CURL_GNUTLS_3 (@), the
llmtap_* API of shim/llmtap.h in LLMTAP_1, and the version nodes themselves
(type A). The one allowed extra is the dlopen hook DESIGN describes, and only
in its exact form (dlopen@@GLIBC_2.34 + dlopen@GLIBC_2.2.5 and those nodes).
`readelf -d` shows NEEDED only libc (no libcurl, no libcjson; the ASan build
may also need its sanitizer runtimes).
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import ASAN, LIB, ROOT, case, check, eq, main  # noqa: E402

HOOKS = ("curl_easy_setopt", "curl_easy_perform", "curl_easy_init", "curl_easy_duphandle", "curl_easy_reset",
         "curl_easy_cleanup", "curl_multi_add_handle", "curl_multi_remove_handle", "curl_multi_info_read")
DLOPEN = {("dlopen@@GLIBC_2.34", "T"), ("dlopen@GLIBC_2.2.5", "T"), ("GLIBC_2.34", "A"), ("GLIBC_2.2.5", "A")}


def api_functions():
    """The llmtap_* functions declared in shim/llmtap.h."""
    with open(os.path.join(ROOT, "shim", "llmtap.h")) as f:
        src = f.read()
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    return sorted(set(re.findall(r"\b(llmtap_\w+)\s*\(", src)))


def exported():
    check(os.path.exists(LIB), "the shim %s is not built" % LIB)
    p = subprocess.run(["nm", "-D", "--defined-only", LIB], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    eq(p.returncode, 0, "nm exit status (%s)" % p.stderr)
    out = set()
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            out.add((parts[2], parts[1]))
    return out


@case(timeout=30)
def exports_should_be_exactly_the_whitelist(t):
    """nm -D --defined-only: each hook as name@@CURL_OPENSSL_4 and
    name@CURL_GNUTLS_3 (type T), each llmtap.h function as name@@LLMTAP_1,
    the three nodes as A; nothing else (bar the exact dlopen hook set)."""
    api = api_functions()
    check(api, "no llmtap_* function found in shim/llmtap.h")
    want = {(h + "@@CURL_OPENSSL_4", "T") for h in HOOKS}
    want |= {(h + "@CURL_GNUTLS_3", "T") for h in HOOKS}
    want |= {(f + "@@LLMTAP_1", "T") for f in api}
    want |= {("CURL_OPENSSL_4", "A"), ("CURL_GNUTLS_3", "A"), ("LLMTAP_1", "A")}
    got = exported()
    extra = got - want
    if extra & DLOPEN:
        eq(extra & DLOPEN, DLOPEN, "the dlopen hook's symbols (all or none)")
        extra -= DLOPEN
    missing = want - got
    check(not missing, "not exported: %s" % sorted(missing))
    check(not extra, "exported but not on the whitelist: %s" % sorted(extra))


@case(timeout=30)
def needed_should_be_only_libc(t):
    """readelf -d: NEEDED is libc.so.6 only (release); never libcurl or
    libcjson, in any build."""
    check(os.path.exists(LIB), "the shim %s is not built" % LIB)
    p = subprocess.run(["readelf", "-d", LIB], stdout=subprocess.PIPE, text=True, timeout=30)
    eq(p.returncode, 0, "readelf exit status")
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", p.stdout)
    check(not [n for n in needed if "curl" in n or "cjson" in n], "NEEDED names libcurl or libcjson: %s" % needed)
    if ASAN:
        rest = [n for n in needed if n != "libc.so.6" and not re.match(r"lib(asan|ubsan|m|dl|pthread|gcc_s)\.so", n)]
        check(not rest, "NEEDED of the ASan build beyond libc and sanitizer runtimes: %s" % needed)
    else:
        eq(needed, ["libc.so.6"], "NEEDED libraries")


if __name__ == "__main__":
    main()
