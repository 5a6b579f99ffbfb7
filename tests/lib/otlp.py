"""otlp.py — reading what the shim exported, for assertions.

Owns: decoding OTLP/JSON export bodies (gzip or not) from the receiver's
directory or a JSONL file into flat Span objects, the attribute reader,
comparing a generation with a fixture's expected.json, running
../shared/langfuse/validate-otlp, and the secret scan. Never talks to a
server; standard library only.
"""
import gzip
import json
import os
import subprocess
import tempfile

from harness import SECRETS, VALIDATE_OTLP, Failure, check, eq, FIXTURES, _short

GEN_TYPE = "langfuse.observation.type"


def decode(raw):
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return json.loads(raw.decode("utf-8"))


def anyvalue(v):
    """An OTLP AnyValue as a Python value."""
    if not isinstance(v, dict):
        return v
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        return int(v["intValue"])
    if "doubleValue" in v:
        return float(v["doubleValue"])
    if "boolValue" in v:
        return bool(v["boolValue"])
    if "arrayValue" in v:
        return [anyvalue(x) for x in (v["arrayValue"].get("values") or [])]
    if "kvlistValue" in v:
        return {kv["key"]: anyvalue(kv.get("value")) for kv in (v["kvlistValue"].get("values") or [])}
    if "bytesValue" in v:
        return v["bytesValue"]
    return None


def attrs(lst):
    return {a["key"]: anyvalue(a.get("value")) for a in (lst or [])}


class Span:
    def __init__(self, s, resource, scope, body_index):
        self.raw = s
        self.trace_id = s.get("traceId")
        self.span_id = s.get("spanId")
        self.parent = s.get("parentSpanId") or ""
        self.name = s.get("name")
        self.kind = s.get("kind")
        self.start = int(s.get("startTimeUnixNano") or 0)
        self.end = int(s.get("endTimeUnixNano") or 0)
        self.status = s.get("status") or {}
        self.attrs = attrs(s.get("attributes"))
        self.resource = resource
        self.scope = scope
        self.body_index = body_index

    @property
    def type(self):
        return self.attrs.get(GEN_TYPE)

    @property
    def model(self):
        return self.attrs.get("langfuse.observation.model.name")

    def __repr__(self):
        return "<span %s %s kind=%s type=%s model=%s parent=%s>" % (
            self.span_id, self.name, self.kind, self.type, self.model, self.parent)


def spans_of(bodies):
    """Every span of a list of decoded bodies, in order."""
    out = []
    for i, body in enumerate(bodies):
        for rs in body.get("resourceSpans") or []:
            res = attrs((rs.get("resource") or {}).get("attributes"))
            for ss in rs.get("scopeSpans") or []:
                for s in ss.get("spans") or []:
                    out.append(Span(s, res, ss.get("scope") or {}, i))
    return out


def receiver_bodies(receiver):
    """[(decoded body, headers file, body file, path)] the receiver got."""
    out = []
    for n, path, hfile, bfile, raw in receiver.exports():
        try:
            body = decode(raw)
        except ValueError as e:
            raise Failure("export %d is not JSON: %s: %r" % (n, e, raw[:200]))
        out.append((body, hfile, bfile, path))
    return out


def jsonl_bodies(path):
    """Decoded bodies of a JSONL file (one OTLP body a line); [] if absent."""
    if not os.path.exists(path):
        return []
    out = []
    with open(path, "rb") as f:
        for i, line in enumerate(f):
            if not line.strip():
                continue
            check(line.endswith(b"\n"), "JSONL line %d does not end in a newline" % i)
            try:
                out.append(json.loads(line))
            except ValueError as e:
                raise Failure("JSONL line %d is not JSON (%s): %r" % (i, e, line[:200]))
    return out


def generations(spans):
    return [s for s in spans if s.type == "generation"]


def process_spans(spans):
    return [s for s in spans if s.type != "generation"]


def check_shapes(spans):
    """Every span id once; generations kind 3 under a process span (kind 1)
    of the same trace."""
    ids = [s.span_id for s in spans]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    check(not dup, "span ids exported more than once: %s" % dup)
    procs = {s.span_id: s for s in process_spans(spans)}
    for p in procs.values():
        eq(p.kind, 1, "kind of process span %s" % p.name)
    for g in generations(spans):
        eq(g.kind, 3, "kind of generation %s" % g.name)
        check(g.parent in procs, "generation %s has parent %r, not one of the process spans %s"
              % (g.span_id, g.parent, sorted(procs)))
        eq(g.trace_id, procs[g.parent].trace_id, "trace id of generation vs its process span")


def validate_body(body_file, headers_file=None, strict=True):
    """validate-otlp on one body; raises Failure with its output if invalid."""
    argv = ["/usr/bin/python3", VALIDATE_OTLP]
    if strict:
        argv.append("--strict")
    if headers_file:
        argv += ["--headers", headers_file]
    argv.append(body_file)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    if p.returncode != 0:
        raise Failure("validate-otlp%s%s %s failed:\n%s" % (
            " --strict" if strict else "", " --headers" if headers_file else "",
            os.path.basename(body_file), p.stdout[-3000:]))
    return p.stdout


def validate_recording(bodies, strict=True):
    """validate-otlp --recording over all bodies together (per-trace checks
    span bodies)."""
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(bodies, f)
    try:
        argv = ["/usr/bin/python3", VALIDATE_OTLP, "--recording"] + (["--strict"] if strict else []) + [path]
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        if p.returncode != 0:
            raise Failure("validate-otlp --recording%s failed:\n%s" % (" --strict" if strict else "",
                                                                       p.stdout[-3000:]))
        return p.stdout
    finally:
        os.unlink(path)


def no_secrets(where, data, extra=()):
    """data (bytes or str) holds none of the fake credentials."""
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    for s in tuple(SECRETS) + tuple(extra):
        i = data.find(s)
        check(i < 0, "secret %r found in %s: ...%s..." % (s, where, data[max(0, i - 80):i + 60]))


# ------------------------------------------------------------------ expected.json

def expected(case):
    with open(os.path.join(FIXTURES, case, "expected.json")) as f:
        return json.load(f)


def output_text(out):
    """The assistant text of a langfuse.observation.output value: a plain
    string, or the JSON of a message ({"content": ...}, {"role", "content"},
    [message...], {"choices": ...})."""
    if out is None:
        return ""
    try:
        v = json.loads(out)
    except (ValueError, TypeError):
        return out
    return _text_of(v, out)


def _text_of(v, raw):
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return "".join(_text_of(x, "") for x in v)
    if isinstance(v, dict):
        if "content" in v:
            c = v["content"]
            if c is None:
                return ""
            if isinstance(c, str):
                return c
            if isinstance(c, list):
                return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in c)
        if "text" in v and isinstance(v["text"], str):
            return v["text"]
        if "message" in v:
            return _text_of(v["message"], raw)
        if "choices" in v:
            return _text_of([c.get("message") or c.get("delta") or {} for c in v["choices"]], raw)
        return ""
    return raw if isinstance(raw, str) else ""


def tool_calls(out):
    """[(name, parsed arguments)] found in an output value."""
    try:
        v = json.loads(out)
    except (ValueError, TypeError):
        return []
    found = []

    def walk(x):
        if isinstance(x, dict):
            if isinstance(x.get("tool_calls"), list):
                for tc in x["tool_calls"]:
                    fn = tc.get("function") if isinstance(tc.get("function"), dict) else tc
                    args = fn.get("arguments")
                    if isinstance(args, str):
                        try:
                            args = json.loads(args)
                        except ValueError:
                            pass
                    found.append((fn.get("name"), args))
                return
            for y in x.values():
                walk(y)
        elif isinstance(x, list):
            for y in x:
                walk(y)
    walk(v)
    return found


def _canon(v):
    return json.dumps(v, sort_keys=True)


def check_against_expected(g, case, stream=False):
    """A generation span against ../shared/fixtures/<case>/expected.json (the
    comparison rules of fixtures/README.md)."""
    exp = expected(case)
    a = g.attrs
    eq(a.get("langfuse.observation.model.name"), exp["model"], "%s model" % case)
    level = a.get("langfuse.observation.level") or ("ERROR" if g.status.get("code") == 2 else "DEFAULT")
    eq(level, exp["level"], "%s level" % case)
    out = a.get("langfuse.observation.output")
    if exp["level"] == "ERROR":
        eq(g.status.get("code"), 2, "%s status.code" % case)
        msg = a.get("langfuse.observation.status_message") or g.status.get("message") or ""
        check(exp["status_message_contains"] in msg, "%s status message %r lacks %r" % (
            case, msg, exp["status_message_contains"]))
    else:
        want = exp["output"].get("text", "")
        got = output_text(out)
        if want or exp["output"].get("tool_calls") is None:
            eq(got, want, "%s output text (output attribute %s)" % (case, _short(out, 300)))
        if exp["output"].get("tool_calls"):
            want_tc = sorted(_canon([t["name"], t["arguments"]]) for t in exp["output"]["tool_calls"])
            got_tc = sorted(_canon([n, args]) for n, args in tool_calls(out))
            eq(got_tc, want_tc, "%s tool calls (output attribute %s)" % (case, _short(out, 300)))
    ud = a.get("langfuse.observation.usage_details")
    want_ud = exp.get("usage_details")
    if want_ud is None:
        check(ud in (None, "", "{}") or json.loads(ud) == {},
              "%s: expected no usage, got usage_details %r" % (case, ud))
    else:
        check(isinstance(ud, str), "%s: usage_details missing or not a string: %r" % (case, ud))
        got_ud = json.loads(ud)
        for k, v in want_ud.items():
            check(got_ud.get(k, 0 if v == 0 else None) == v,
                  "%s usage_details[%s] = %r, want %r (got %s)" % (case, k, got_ud.get(k), v, ud))
        extra = {k: v for k, v in got_ud.items() if k not in want_ud and v != 0}
        check(not extra, "%s usage_details has unexpected keys %s" % (case, extra))
    if stream:
        cst = a.get("langfuse.observation.completion_start_time")
        check(cst, "%s: stream without completion_start_time" % case)
        ns = iso_to_ns(cst)
        check(g.start <= ns <= g.end + 1000000,
              "%s: completion_start_time %s not within span %d..%d" % (case, cst, g.start, g.end))


def iso_to_ns(s):
    """ISO-8601 UTC ('2026-11-24T10:00:00.412345Z', maybe JSON-quoted) to ns."""
    import calendar
    import re
    s = s.strip('"')
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)", s)
    if not m:
        raise Failure("not an ISO-8601 time: %r" % s)
    y, mo, d, hh, mm, ss, frac, zone = m.groups()
    secs = calendar.timegm((int(y), int(mo), int(d), int(hh), int(mm), int(ss)))
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        secs -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return secs * 10**9 + int((frac or "0").ljust(9, "0"))


def collect(receiver, langfuse=True, strict=True, path=None):
    """Everything the receiver got, checked: each body passes validate-otlp
    (--strict unless strict=False; --headers when exported with Langfuse
    keys), went to the right path, holds no secret; all bodies together pass
    the per-trace checks; span ids are unique and generations sit under a
    process span. Returns the spans."""
    got = receiver_bodies(receiver)
    want_path = path or ("POST /api/public/otel/v1/traces" if langfuse else None)
    for body, hfile, bfile, p in got:
        if want_path:
            eq(p, want_path, "export request line")
        validate_body(bfile, hfile if langfuse else None, strict)
        with open(bfile, "rb") as f:
            raw = f.read()
        no_secrets("export body %s" % os.path.basename(bfile), raw if raw[:2] != b"\x1f\x8b" else gzip.decompress(raw))
        with open(hfile) as f:
            no_secrets("export headers %s" % os.path.basename(hfile), f.read())
    bodies = [b for b, _, _, _ in got]
    if bodies:
        validate_recording(bodies, strict)
    spans = spans_of(bodies)
    check_shapes(spans)
    return spans


def one_process(spans, n_generations):
    """Exactly one process span and n generations under it; returns
    (process span, [generations])."""
    procs = process_spans(spans)
    gens = generations(spans)
    eq(len(procs), 1, "process spans (%s)" % procs)
    eq(len(gens), n_generations, "generations (%s)" % gens)
    return procs[0], gens


def match_each(gens, cases):
    """Each case's expected.json holds for exactly one of the generations."""
    left = list(gens)
    for c in cases:
        errs = []
        for g in left:
            try:
                check_against_expected(g, c, stream="stream" in c)
            except Failure as e:
                errs.append(str(e))
                continue
            left.remove(g)
            break
        else:
            check(False, "no generation matches %s: %s" % (c, errs))
