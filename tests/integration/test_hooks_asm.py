#!/usr/bin/python3
"""test_hooks_asm.py — the setopt fast path is a leaf that tail-jumps to
libcurl in every build variant (DESIGN "Cost of the common path": the hook
file is always built -O2 with sibling calls and never TSan-instrumented; on
x86-64 the leaf is written out in assembly). A `call` in the leaf, or a
missing indirect jump, means every traced program pays a variadic spill on
each of its ~83 setopts per transfer."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import ROOT, case, check, main  # noqa: E402

VARIANTS = ["build/libllmtap.so", "build/asan/libllmtap.so", "build/tsan/libllmtap.so"]


def leaf(lib, sym):
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", lib], stdout=subprocess.PIPE,
                         text=True, check=True).stdout
    m = re.search(r"<%s>:\n(.*?)\n\n" % re.escape(sym), out, re.S)
    check(m, "%s: no %s" % (lib, sym))
    return [l.split("\t", 1)[1].strip() for l in m.group(1).splitlines() if "\t" in l]


def check_leaf(lib):
    path = os.path.join(ROOT, lib)
    check(os.path.exists(path), "%s not built" % lib)
    for sym in ("curl_easy_setopt@@CURL_OPENSSL_4", "curl_easy_setopt@CURL_GNUTLS_3"):
        ins = [i for i in leaf(path, sym) if not i.startswith(("nop", "data16", "cs nop", "xchg"))]
        check(not any(i.startswith("call") for i in ins), "%s %s calls: %s" % (lib, sym, ins))
        # The ignored-option path: everything up to and including the first
        # indirect jump (to libcurl) must be at most 10 instructions.
        first = next((k for k, i in enumerate(ins) if re.match(r"jmp\s+\*", i)), None)
        check(first is not None, "%s %s has no indirect tail jump: %s" % (lib, sym, ins))
        check(first + 1 <= 10, "%s %s ignored path is %d instructions" % (lib, sym, first + 1))


def check_dlopen(lib):
    """dlopen@@GLIBC_2.34 must reach glibc by a jump, never a call that would
    make the shim the caller glibc resolves RUNPATH/$ORIGIN from."""
    path = os.path.join(ROOT, lib)
    ins = [i for i in leaf(path, "dlopen@@GLIBC_2.34") if not i.startswith(("nop", "data16", "cs nop", "xchg"))]
    jumps = [k for k, i in enumerate(ins) if re.match(r"jmp\s+\*", i)]
    check(len(jumps) >= 2, "%s dlopen: expected indirect tail jumps on both paths: %s" % (lib, ins))
    check(ins[-1].startswith("jmp"), "%s dlopen does not end in a jump: %s" % (lib, ins))
    # The only call is to the flag helper, with the stack restored before the jump.
    calls = [i for i in ins if i.startswith("call")]
    check(len(calls) <= 1 and all("lt_dlhook_prepare" in c for c in calls), "%s dlopen calls: %s" % (lib, calls))


@case(timeout=60)
def dlopen_hook_should_tail_jump_in_every_variant(t):
    for lib in VARIANTS:
        check_dlopen(lib)


@case(timeout=60)
def setopt_leaf_should_tail_jump_in_the_release_build(t):
    check_leaf(VARIANTS[0])


@case(timeout=60)
def setopt_leaf_should_tail_jump_in_the_asan_build(t):
    check_leaf(VARIANTS[1])


@case(timeout=60)
def setopt_leaf_should_tail_jump_in_the_tsan_build(t):
    check_leaf(VARIANTS[2])


if __name__ == "__main__":
    main()
