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
import re
import subprocess
import tempfile

from harness import SECRETS, VALIDATE_OTLP, Failure, check, eq, FIXTURES, _short

GEN_TYPE = "langfuse.observation.type"
SUMMARY_LINE = re.compile(r"^\d+ spans valid, \d+ invalid$")
# validate-otlp --strict's warning for a generation that reports no usage:
# a fact of recordings without usage, tolerated where expected.json agrees.
NO_USAGE_WARNING = "a generation without usage"


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


LLM_TYPES = ("generation", "embedding")


def generations(spans):
    """The spans of LLM calls: generations and embeddings."""
    return [s for s in spans if s.type in LLM_TYPES]


def process_spans(spans):
    return [s for s in spans if s.type not in LLM_TYPES]


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


def _validated(p, what, strict, tolerate):
    """Raises Failure unless validate-otlp passed; under --strict, a run that
    failed only on warnings holding one of the `tolerate` texts passes."""
    if p.returncode == 0:
        return p.stdout
    if strict and tolerate:
        problems = [l for l in p.stdout.splitlines()
                    if l.strip() and not SUMMARY_LINE.match(l) and not any(t in l for t in tolerate)]
        if not problems:
            return p.stdout
    raise Failure("%s failed:\n%s" % (what, p.stdout[-3000:]))


def validate_body(body_file, headers_file=None, strict=True, tolerate=()):
    """validate-otlp on one body; raises Failure with its output if invalid.
    tolerate: texts of --strict warnings that are facts of the case, not
    faults (e.g. "a generation without usage" for a recording that has
    none). Every line validate-otlp prints names one problem, so an error
    (or another warning) beside a tolerated warning still fails."""
    argv = ["/usr/bin/python3", VALIDATE_OTLP]
    if strict:
        argv.append("--strict")
    if headers_file:
        argv += ["--headers", headers_file]
    argv.append(body_file)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    return _validated(p, "validate-otlp%s%s %s" % (" --strict" if strict else "", " --headers" if headers_file else "",
                                                  os.path.basename(body_file)), strict, tolerate)


def validate_recording(bodies, strict=True, tolerate=()):
    """validate-otlp --recording over all bodies together (per-trace checks
    span bodies); tolerate as for validate_body."""
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(bodies, f)
    try:
        argv = ["/usr/bin/python3", VALIDATE_OTLP, "--recording"] + (["--strict"] if strict else []) + [path]
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        return _validated(p, "validate-otlp --recording%s" % (" --strict" if strict else ""), strict, tolerate)
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
    """The assistant text of a langfuse.observation.output value (see
    output_parts for the shapes read)."""
    return output_parts(out)["text"]


def tool_calls(out):
    """[(name, parsed arguments)] found in an output value."""
    return output_parts(out)["tool_calls"]


def _args(a):
    if isinstance(a, str):
        try:
            return json.loads(a)
        except ValueError:
            return a
    return a


def output_parts(out):
    """What a langfuse.observation.output value holds, in the provider's
    shape (DESIGN: the assembled answer, provider shape kept):
    {"text", "reasoning", "tool_calls": [(name, parsed arguments)],
    "tool_plan"}. Read: a plain string (all text, also when the value is
    not JSON); OpenAI-style messages and choices (content,
    reasoning_content / reasoning, tool_calls, function_call; completions'
    choices[].text); Anthropic content blocks (text, thinking, tool_use) and
    legacy completion; Gemini candidates / content / parts (text, thought
    parts, functionCall); Bedrock Converse content (text, reasoningContent,
    toolUse); Cohere v2 (content, tool_plan, tool_calls); Ollama message /
    response; Responses output items (message with output_text, reasoning
    summaries, function_call). Pieces are joined in document order. A value
    that is not a JSON object or array is the text itself."""
    acc = {"text": [], "reasoning": [], "tool_calls": [], "tool_plan": []}
    if out is None:
        v = None
    else:
        try:
            v = json.loads(out)
        except (ValueError, TypeError):
            v = out
        if not isinstance(v, (dict, list, str)):
            v = out  # text that happens to parse ("42", "true"): the text itself
    _walk_output(v, acc)
    return {"text": "".join(acc["text"]), "reasoning": "".join(acc["reasoning"]),
            "tool_calls": acc["tool_calls"], "tool_plan": "".join(acc["tool_plan"])}


def _walk_output(v, acc):
    if v is None:
        return
    if isinstance(v, str):
        acc["text"].append(v)
        return
    if isinstance(v, list):
        for x in v:
            _walk_output(x, acc)
        return
    if not isinstance(v, dict):
        return
    t = v.get("type")
    # a tool call in itself
    if t in ("function_call", "tool_use", "server_tool_use"):
        acc["tool_calls"].append((v.get("name"), _args(v.get("arguments", v.get("input")))))
        return
    for key, arg in (("functionCall", "args"), ("toolUse", "input")):
        if isinstance(v.get(key), dict):
            acc["tool_calls"].append((v[key].get("name"), _args(v[key].get(arg))))
            return
    # reasoning in itself
    if t == "thinking":
        acc["reasoning"].append(v.get("thinking") or "")
        return
    if t == "redacted_thinking":
        return
    if t == "reasoning":
        for part in v.get("summary") or []:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                acc["reasoning"].append(part["text"])
        return
    if isinstance(v.get("reasoningContent"), dict):
        rt = v["reasoningContent"].get("reasoningText")
        rt = rt.get("text") if isinstance(rt, dict) else rt
        if isinstance(rt, str):
            acc["reasoning"].append(rt)
        return
    if v.get("thought") is True and isinstance(v.get("text"), str):
        acc["reasoning"].append(v["text"])
        return
    # a message: reasoning, one text source, tool calls, plan
    for key in ("reasoning_content", "reasoning"):
        if isinstance(v.get(key), str):
            acc["reasoning"].append(v[key])
            break
    for key in ("content", "parts", "text", "completion", "response"):
        if key not in v:
            continue
        x = v[key]
        if key in ("text", "completion", "response") and not isinstance(x, str):
            continue
        if key == "text" and t not in (None, "text", "output_text"):
            continue
        _walk_output(x, acc)
        break
    if isinstance(v.get("tool_calls"), list):
        for tc in v["tool_calls"]:
            if not isinstance(tc, dict):
                continue
            fn = tc.get("function") if isinstance(tc.get("function"), dict) else tc
            acc["tool_calls"].append((fn.get("name"), _args(fn.get("arguments", fn.get("input", fn.get("args"))))))
    if isinstance(v.get("function_call"), dict):
        fc = v["function_call"]
        acc["tool_calls"].append((fc.get("name"), _args(fc.get("arguments"))))
    if isinstance(v.get("tool_plan"), str):
        acc["tool_plan"].append(v["tool_plan"])
    # containers of messages
    for key in ("choices", "candidates", "output"):
        if isinstance(v.get(key), list):
            for x in v[key]:
                if isinstance(x, dict) and key == "choices":
                    x = x.get("message") or x.get("delta") or ({"text": x["text"]} if isinstance(
                        x.get("text"), str) else {})
                _walk_output(x, acc)
    if isinstance(v.get("message"), dict):
        _walk_output(v["message"], acc)


def _canon(v):
    return json.dumps(v, sort_keys=True)


def check_against_expected(g, case, stream=False, provider=None):
    """A generation span against ../shared/fixtures/<case>/expected.json (the
    comparison rules of fixtures/README.md "How a generation is compared"):
    model and level equal; an error's status message (and span status)
    holds status_message_contains; output text equal (absent = empty; for
    a case with output.tool_plan, empty or the plan; not compared for
    embeddings), reasoning equal where expected, tool calls equal as a set
    of (name, parsed arguments); usage_details equal key by key (a 0 may be
    absent, no other non-zero key); observation type embedding for the
    embeddings API (meta.json "api"), generation otherwise; with stream, a
    completion_start_time inside the span; with provider, the provider
    name (gen_ai.provider.name)."""
    exp = expected(case)
    a = g.attrs
    eq(a.get("langfuse.observation.model.name"), exp["model"], "%s model" % case)
    level = a.get("langfuse.observation.level") or ("ERROR" if g.status.get("code") == 2 else "DEFAULT")
    msg = a.get("langfuse.observation.status_message") or g.status.get("message") or ""
    eq(level, exp["level"], "%s level (status message %r)" % (case, msg))
    out = a.get("langfuse.observation.output")
    parts = output_parts(out)
    want_out = exp.get("output") or {}
    embeddings = "embedding_count" in want_out
    meta_path = os.path.join(FIXTURES, case, "meta.json")
    if os.path.exists(meta_path):  # the API decides, also for an error answer
        with open(meta_path) as f:
            embeddings = json.load(f).get("api") == "openai.embeddings"
    eq(g.type, "embedding" if embeddings else "generation", "%s observation type" % case)
    if exp["level"] == "ERROR":
        eq(g.status.get("code"), 2, "%s status.code" % case)
        check(exp["status_message_contains"] in msg, "%s status message %r lacks %r" % (
            case, msg, exp["status_message_contains"]))
        check(exp["status_message_contains"] in (g.status.get("message") or ""),
              "%s span status message %r lacks %r" % (case, g.status.get("message"), exp["status_message_contains"]))
    if not embeddings and (exp["level"] != "ERROR" or "text" in want_out):
        want = want_out.get("text", "")
        got = parts["text"]
        if want_out.get("tool_plan") and got == want_out["tool_plan"]:
            got = ""
        eq(got, want, "%s output text (output attribute %s)" % (case, _short(out, 300)))
    if "reasoning" in want_out:
        eq(parts["reasoning"], want_out["reasoning"], "%s reasoning (output attribute %s)" % (case, _short(out, 300)))
    want_tc = sorted(_canon([t["name"], t["arguments"]]) for t in want_out.get("tool_calls") or [])
    got_tc = sorted(_canon([n, args]) for n, args in parts["tool_calls"])
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
    if provider is not None:
        eq(a.get("gen_ai.provider.name", a.get("langfuse.observation.metadata.provider")), provider,
           "%s provider" % case)
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


def collect(receiver, langfuse=True, strict=True, path=None, tolerate=(), secrets=()):
    """Everything the receiver got, checked: each body passes validate-otlp
    (--strict unless strict=False, with `tolerate` as validate_body;
    --headers when exported with Langfuse keys), went to the right path,
    holds no secret (nor any of `secrets`); all bodies together pass the
    per-trace checks; span ids are unique and generations sit under a
    process span. Returns the spans."""
    got = receiver_bodies(receiver)
    want_path = path or ("POST /api/public/otel/v1/traces" if langfuse else None)
    for body, hfile, bfile, p in got:
        if want_path:
            eq(p, want_path, "export request line")
        validate_body(bfile, hfile if langfuse else None, strict, tolerate)
        with open(bfile, "rb") as f:
            raw = f.read()
        no_secrets("export body %s" % os.path.basename(bfile), raw if raw[:2] != b"\x1f\x8b" else gzip.decompress(raw),
                   secrets)
        with open(hfile) as f:
            no_secrets("export headers %s" % os.path.basename(hfile), f.read(), secrets)
    bodies = [b for b, _, _, _ in got]
    if bodies:
        validate_recording(bodies, strict, tolerate)
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
