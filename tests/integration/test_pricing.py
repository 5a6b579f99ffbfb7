#!/usr/bin/python3
"""test_pricing.py — client-side cost, end to end.

1. Equal to what Langfuse computes: Langfuse's own algorithm written here in
   Python (modelMatch.ts, pricing-tiers/matcher.ts, IngestionService
   getUsageUnits / calculateUsageCosts @ langfuse/langfuse 6275144), run on
   ../shared/langfuse/default-model-prices.json itself (not on llmtap's
   prices.json), against build/tests/test_pricing --compute (the shim's C
   code) for every model name of the table and its variants, names sampled
   from every pattern, and thousands of random usages and parameters: same
   row, same tier, same cost per key (bit for bit) and total.
2. The real `curl` under the shim (reply: openai/chat_cached_tokens,
   gpt-4o-mini-2024-07-18, 125 input + 1024 cached + 353 output tokens):
   cost in the JSONL file and at a generic OTLP receiver (llmtap.cost_details,
   gen_ai.usage.cost; validate-otlp --strict passes), none at a Langfuse
   receiver unless LLMTAP_SEND_COST=true (langfuse.observation.cost_details),
   `llmtap show` prints it, LLMTAP_PRICES adds and replaces rows, a broken
   LLMTAP_PRICES is said once under LANGFUSE_DEBUG and the shipped prices
   still apply. Same stdout and exit status as without the shim.
"""
import decimal
import json
import os
import random
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import (CHAT, LIB, ROOT, SHARED, Env, case, check, curl_llm, eq, export_env, main,  # noqa: E402
                     run, same_behaviour, twice)
from otlp import collect, generations, jsonl_bodies, one_process, spans_of, validate_body  # noqa: E402
from servers import OtlpReceiver, ProviderServer  # noqa: E402

PRICES = os.path.join(SHARED, "langfuse", "default-model-prices.json")
DRIVER = os.path.join(os.path.dirname(LIB), "tests", "test_pricing")
SHOW = os.path.join(ROOT, "build", "llmtap-show")
CACHED = "openai/chat_cached_tokens"
# 125 × 1.5e-07 + 353 × 6e-07 + 1024 × 7.5e-08 (gpt-4o-mini-2024-07-18,
# Standard), summed in usage order as JavaScript adds doubles
CACHED_COST = {"input": 0.00001875, "output": 0.0002118, "input_cached_tokens": 0.0000768,
               "total": 0.00001875 + 0.0002118 + 0.0000768}


# ------------------------------------------------------------------ Langfuse's algorithm

DEC = decimal.Context(prec=20, rounding=decimal.ROUND_HALF_UP)  # decimal.js defaults


def load_models(rows):
    for m in rows:
        p, flags = m["matchPattern"], 0
        if p.startswith("(?i)"):            # PostgreSQL ARE embedded option
            p, flags = p[4:], re.I
        m["_re"] = re.compile(p, flags)
    return rows


def find_rows(models, user, name):
    """modelMatch.ts: `name ~ match_pattern`, project (user) rows first."""
    for m in user:
        if m["_re"].search(name):
            return [m]
    return [m for m in models if m["_re"].search(name)]


def js_string(v):
    """String(v) of a JSON scalar, as toPricingAttributeRecord writes it."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        f = float(v)
        if f.is_integer() and abs(f) < 1e21:
            return str(int(f))
        r = repr(f)
        if "e" in r:
            mant, exp = r.split("e")
            r = mant + "e" + ("+" if int(exp) > 0 else "-") + str(abs(int(exp)))
        return r
    return v


def attr_record(params):
    """sanitizeModelParams then toPricingAttributeRecord."""
    out = {}
    for k, v in (params or {}).items():
        if isinstance(v, (dict, list)):
            continue  # JSON text there: no condition value here ever equals it
        out[k] = js_string(v) if not isinstance(v, str) else v
    return out


def cond_true(c, usage, attrs):
    if "source" in c:
        return c["key"] in attrs and attrs[c["key"]] in c["values"]
    rx = re.compile(c["usageDetailPattern"], 0 if c.get("caseSensitive") else re.I)
    s = 0.0
    for k, v in usage.items():
        if rx.search(k):
            s += v
    x = c["value"]
    return {"gt": s > x, "gte": s >= x, "lt": s < x, "lte": s <= x, "eq": s == x, "neq": s != x}[c["operator"]]


def match_tier(tiers, usage, attrs):
    for t in sorted((t for t in tiers if not t["isDefault"]), key=lambda t: t["priority"]):
        if t["conditions"] and all(cond_true(c, usage, attrs) for c in t["conditions"]):
            return t
    return next((t for t in tiers if t["isDefault"]), None)


def langfuse_cost(models, user, name, provided, params):
    """(row name, tier name, cost details) or None."""
    rows = find_rows(models, user, name)
    if len(rows) != 1:
        return None
    row = rows[0]
    usage = dict(provided)
    if not usage:
        return None
    if "total" not in usage:
        usage["total"] = sum(provided.values())
    tier = match_tier(row["pricingTiers"], usage, attr_record(params))
    cost = {}
    for k, units in usage.items():
        if k in tier["prices"]:
            price = decimal.Decimal(repr(float(tier["prices"][k])))
            cost[k] = float(DEC.multiply(price, decimal.Decimal(units)))
    if not cost:
        return None
    if "total" not in cost:
        t = 0.0
        for v in cost.values():
            t += v
        cost["total"] = t
    return row["modelName"], tier["name"], cost


# ------------------------------------------------------------------ names and usage

def sample(rx_text, rnd):
    """A random string the regex matches (Python's sre parser), or None."""
    try:
        import re._parser as sre_parse
    except ImportError:
        import sre_parse
    from re import _constants as C  # noqa: N812

    def gen(items):
        out = []
        for op, av in items:
            if op == C.LITERAL:
                out.append(chr(av))
            elif op == C.ANY:
                out.append(rnd.choice("abcxyz019-"))
            elif op == C.IN:
                chars = []
                for o, a in av:
                    if o == C.LITERAL:
                        chars.append(chr(a))
                    elif o == C.RANGE:
                        chars.append(chr(rnd.randint(a[0], a[1])))
                    elif o == C.CATEGORY:
                        chars.append("7")
                if not chars or any(o == C.NEGATE for o, _ in av):
                    return None
                out.append(rnd.choice(chars))
            elif op == C.BRANCH:
                r = gen(rnd.choice(av[1]))
                if r is None:
                    return None
                out.append(r)
            elif op == C.SUBPATTERN:
                r = gen(av[-1])
                if r is None:
                    return None
                out.append(r)
            elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
                lo, hi, sub = av
                for _ in range(rnd.randint(lo, min(hi, lo + 2))):
                    r = gen(sub)
                    if r is None:
                        return None
                    out.append(r)
            elif op == C.AT:
                pass
            else:
                return None
        return "".join(out)

    try:
        return gen(sre_parse.parse(rx_text))
    except Exception:
        return None


def names_for(models, rnd):
    names = set()
    for m in models:
        n = m["modelName"]
        names.update([n, "openai/" + n, "anthropic/" + n, "google/" + n, n.upper(), n + "-x", n[:-1],
                      "us.anthropic." + n + "-v1:0", "global.anthropic." + n])
        p = m["matchPattern"][4:] if m["matchPattern"].startswith("(?i)") else m["matchPattern"]
        for _ in range(4):
            s = sample(p, rnd)
            if s:
                names.add(s)
                names.add(s.upper())
    for d in sorted(os.listdir(os.path.join(SHARED, "fixtures"))):
        base = os.path.join(SHARED, "fixtures", d)
        for c in sorted(os.listdir(base)) if os.path.isdir(base) else []:
            e = os.path.join(base, c, "expected.json")
            if os.path.exists(e):
                with open(e) as f:
                    mdl = json.load(f).get("model")
                if mdl:
                    names.add(mdl)
    names.update(["unknown", "my-local-llama", "gpt-4o\u00e9", "gpt-4\u00e91"])
    return sorted(n for n in names if n and "\n" not in n and len(n.encode()) < 1000)


def random_usage(keys, rnd):
    u = {}
    for _ in range(rnd.randint(1, 6)):
        k = rnd.choice(keys)
        r = rnd.random()
        if r < 0.15:
            v = rnd.choice([200000, 200001, 272000, 272001, 136000, 136001])
        elif r < 0.3:
            v = rnd.randint(100000, 400000)
        elif r < 0.35:
            v = 0
        else:
            v = rnd.randint(1, 5000)
        u[k] = v
    return u


def random_params(rnd):
    return rnd.choice([None, {}, {"service_tier": "flex"}, {"service_tier": "priority"}, {"service_tier": "fast"},
                       {"service_tier": "auto"}, {"service_tier": "default", "temperature": 0.2}, {"speed": "fast"},
                       {"service_tier": "flex", "max_tokens": 100, "stream": True}, {"service_tier": ["flex"]}])


def run_driver(lines, env=None):
    check(os.path.exists(DRIVER), "the driver %s is not built" % DRIVER)
    e = dict(os.environ)
    e.update(env or {})
    if "/asan/" in DRIVER:
        e["ASAN_OPTIONS"] = "detect_leaks=1"
    p = subprocess.run([DRIVER, "--compute"], input="".join(json.dumps(x) + "\n" for x in lines),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300, env=e)
    eq(p.returncode, 0, "test_pricing --compute exit status (%s)" % p.stderr[-2000:])
    out = [json.loads(l) for l in p.stdout.splitlines()]
    eq(len(out), len(lines), "driver answers")
    return out


def compare(lines, got, models, user):
    priced = unpriced = 0
    tiers = {}
    for q, g in zip(lines, got):
        want = langfuse_cost(models, user, q["model"], q["usage"], q.get("params"))
        what = "%s usage=%s params=%s" % (q["model"], q["usage"], q.get("params"))
        if want is None:
            check(g.get("model") is None, "%s: llmtap prices it (%s), Langfuse does not" % (what, g))
            unpriced += 1
            continue
        row, tier, cost = want
        check(g.get("model") is not None, "%s: no cost from llmtap, Langfuse: %s/%s %s" % (what, row, tier, cost))
        eq((g["model"], g["tier"]), (row, tier), "%s: row and tier" % what)
        tiers[tier] = tiers.get(tier, 0) + 1
        eq(list(g["cost"].keys()), list(cost.keys()), "%s: cost keys, in order" % what)
        for k in cost:
            check(g["cost"][k] == cost[k], "%s: %s = %r, Langfuse %r" % (what, k, g["cost"][k], cost[k]))
        priced += 1
    print("    # tiers: %s" % ", ".join("%s %d" % kv for kv in sorted(tiers.items())))
    return priced, unpriced


@case(timeout=600)
def pricing_should_equal_langfuse_on_the_table_and_random_usage(t):
    """Langfuse's algorithm (Python, on default-model-prices.json) against the
    shim's (C, on the embedded prices.json): every name of every row, its
    variants, samples of every pattern, fixtures' model names, each with
    several random usages (thresholds included) and parameters."""
    with open(PRICES) as f:
        models = load_models(json.load(f))
    rnd = random.Random(20260822)
    keys = sorted({k for m in models for tr in m["pricingTiers"] for k in tr["prices"]}
                  | {"total", "characters", "INPUT", "input_text_tokens_x"})
    lines = []
    for n in names_for(models, rnd):
        for _ in range(6):
            lines.append({"model": n, "usage": random_usage(keys, rnd), "params": random_params(rnd)})
    got = run_driver(lines)
    priced, unpriced = compare(lines, got, models, [])
    t.note("%d priced and %d unpriced (name, usage) pairs equal to Langfuse's computation" % (priced, unpriced))
    print("    # %d priced, %d unpriced, all equal" % (priced, unpriced))
    check(priced > 2000, "only %d priced cases" % priced)


@case(timeout=300)
def pricing_should_equal_langfuse_with_user_rows(t):
    """Same, with a user table (LLMTAP_PRICES) of rows in Langfuse's
    POST /api/public/models shape: tiers on every operator, case-sensitive
    patterns, flat prices, a replaced shipped row; user rows come first, as
    a project's models do in Langfuse."""
    user = [
        {"modelName": "acme-chat", "matchPattern": "(?i)^(acme/)?acme-chat(-\\d+)?$", "pricingTiers": [
            {"name": "Standard", "isDefault": True, "priority": 0, "conditions": [],
             "prices": {"input": 1.1e-06, "output": 3.3e-06, "input_cached_tokens": 1.1e-07}},
            {"name": "Huge", "isDefault": False, "priority": 1, "conditions": [
                {"usageDetailPattern": "input", "operator": "gte", "value": 200000, "caseSensitive": False}],
             "prices": {"input": 2.2e-06, "output": 6.6e-06}},
            {"name": "Tiny", "isDefault": False, "priority": 2, "conditions": [
                {"usageDetailPattern": "^output$", "operator": "lte", "value": 10, "caseSensitive": True}],
             "prices": {"input": 1e-07, "output": 1e-07}},
            {"name": "Batch", "isDefault": False, "priority": 3, "conditions": [
                {"source": "model_parameters", "key": "service_tier", "operator": "in", "values": ["flex", "auto"]}],
             "prices": {"input": 5.5e-07, "output": 1.65e-06}}]},
        {"modelName": "gpt-4o", "matchPattern": "(?i)^(openai/)?gpt-4o(-mine)?$", "inputPrice": 1e-06,
         "outputPrice": 4e-06},
        {"modelName": "flat-total", "matchPattern": "^flat-total$", "totalPrice": 2e-06},
    ]
    with open(PRICES) as f:
        models = load_models(json.load(f))
    users = load_models(json.loads(json.dumps(user)))
    # a replaced shipped row no longer matches; flat prices are one "Standard" tier
    models = [m for m in models if m["modelName"] not in {u["modelName"] for u in users}]
    for u in users:
        if "pricingTiers" not in u:
            u["pricingTiers"] = [{"name": "Standard", "isDefault": True, "priority": 0, "conditions": [],
                                  "prices": {k: u[p] for k, p in (("input", "inputPrice"), ("output", "outputPrice"),
                                                                  ("total", "totalPrice")) if p in u}}]
    rnd = random.Random(7)
    names = ["acme-chat", "ACME/acme-chat-12", "acme-chat-x", "gpt-4o", "openai/gpt-4o-mine", "gpt-4o-mini",
             "gpt-4o-2024-08-06", "flat-total", "FLAT-TOTAL"]
    keys = ["input", "output", "input_cached_tokens", "total", "Output", "input_audio_tokens"]
    lines = [{"model": n, "usage": random_usage(keys, rnd), "params": random_params(rnd)}
             for n in names for _ in range(60)]
    got = run_driver(lines, {"LLMTAP_PRICES_TEXT": json.dumps({"models": user})})
    priced, unpriced = compare(lines, got, models, users)
    print("    # %d priced, %d unpriced, all equal" % (priced, unpriced))
    check(priced > 300, "only %d priced cases" % priced)


# ------------------------------------------------------------------ the shim

def cost_attrs(g):
    return {k: v for k, v in g.attrs.items() if "cost" in k or k.startswith("llmtap.price")}


def traced_curl(t, extra_env, receiver=None):
    with ProviderServer() as srv:
        env = Env(t)
        e = dict({"LANGFUSE_FLUSH_INTERVAL": "0.2", "LLMTAP_EXIT_TIMEOUT": "2"}, **extra_env)
        plain, traced = twice(t, lambda d: curl_llm(srv.url + CHAT, CACHED, ["-o", "out"]), env, env.traced(**e))
        same_behaviour(plain, traced, 0)
    return traced


def check_local_cost(g, details=CACHED_COST, row="gpt-4o-mini-2024-07-18"):
    eq(json.loads(g.attrs.get("llmtap.cost_details", "null")), details, "llmtap.cost_details")
    eq(g.attrs.get("gen_ai.usage.cost"), details["total"], "gen_ai.usage.cost")
    eq(g.attrs.get("llmtap.price.model"), row, "llmtap.price.model")
    eq(g.attrs.get("llmtap.price.tier"), "Standard", "llmtap.price.tier")
    check("langfuse.observation.cost_details" not in g.attrs, "cost_details sent without LLMTAP_SEND_COST")


@case(timeout=90)
def curl_should_write_cost_to_the_jsonl_file_and_show_it(t):
    """Env: no backend, LLMTAP_OUTPUT=spans.jsonl. Arrives: a generation
    with llmtap.cost_details (input, output, input_cached_tokens, total),
    gen_ai.usage.cost, the price row and tier; every line passes
    validate-otlp --strict; `llmtap show` prints the cost on the generation
    and the trace, --json has cost_details."""
    out = t.path("spans.jsonl")
    traced_curl(t, {"LLMTAP_OUTPUT": out})
    data = open(out, "rb").read()
    for i, line in enumerate(l for l in data.split(b"\n") if l.strip()):
        p = t.path("line%d.json" % i)
        with open(p, "wb") as f:
            f.write(line)
        validate_body(p, None, True)
    _, (g,) = one_process(spans_of(jsonl_bodies(out)), 1)
    check_local_cost(g)
    env = Env(t)
    r = run([SHOW, out], env)
    eq(r.rc, 0, "llmtap show exit status (%s)" % r.err)
    text = r.out.decode()
    check("cost $0.000307" in text, "no cost on the generation line:\n%s" % text)
    check(text.splitlines()[0].count("$0.000307") == 1, "no cost on the trace line:\n%s" % text)
    r = run([SHOW, "--json", out], env)
    tree = json.loads(r.out)
    gen = tree["traces"][0]["roots"][0]["children"][0]
    # cJSON prints 15 significant digits when they read back within an ulp
    got = gen.get("cost_details") or {}
    eq(sorted(got), sorted(CACHED_COST), "show --json cost_details keys")
    for k, v in CACHED_COST.items():
        check(abs(got[k] - v) <= 1e-15 * v, "show --json cost_details %s: %r, want %r" % (k, got[k], v))
    eq(gen.get("price"), "gpt-4o-mini-2024-07-18 / Standard", "show --json price")


@case(timeout=90)
def curl_should_send_cost_to_a_generic_otlp_backend(t):
    """Env: OTEL_EXPORTER_OTLP_ENDPOINT=<receiver>, no Langfuse keys.
    Arrives: POST /v1/traces, bodies valid under --strict, the generation
    with llmtap.cost_details and gen_ai.usage.cost. With
    LLMTAP_SEND_COST=false: llmtap.cost_details only (nothing Langfuse
    would read as cost, for a collector that forwards to Langfuse)."""
    with OtlpReceiver() as rcv:
        traced_curl(t, {"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.url})
        _, (g,) = one_process(collect(rcv, langfuse=False, path="POST /v1/traces"), 1)
        check_local_cost(g)
    with OtlpReceiver() as rcv:
        traced_curl(t, {"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.url, "LLMTAP_SEND_COST": "false"})
        _, (g,) = one_process(collect(rcv, langfuse=False, path="POST /v1/traces"), 1)
        eq(sorted(cost_attrs(g)), ["llmtap.cost_details", "llmtap.price.model", "llmtap.price.tier"],
           "cost attributes with LLMTAP_SEND_COST=false")


@case(timeout=90)
def curl_should_send_cost_to_langfuse_only_when_asked(t):
    """Env: Langfuse keys, LANGFUSE_BASE_URL=<receiver>. Arrives: no cost
    attribute at all (Langfuse prices the usage itself), bodies valid under
    --strict. With LLMTAP_SEND_COST=true: langfuse.observation.cost_details
    with the same amounts (validate-otlp warns that it overrides the price
    table; valid otherwise), nothing else about cost."""
    with OtlpReceiver() as rcv:
        traced_curl(t, export_env(rcv))
        _, (g,) = one_process(collect(rcv), 1)
        eq(cost_attrs(g), {}, "cost attributes sent to Langfuse")
        check(g.attrs.get("langfuse.observation.usage_details"), "no usage_details")
    with OtlpReceiver() as rcv:
        traced_curl(t, export_env(rcv, LLMTAP_SEND_COST="true"))
        _, (g,) = one_process(collect(rcv, strict=False), 1)
        eq(sorted(cost_attrs(g)), ["langfuse.observation.cost_details"], "cost attributes with LLMTAP_SEND_COST=true")
        eq(json.loads(g.attrs["langfuse.observation.cost_details"]), CACHED_COST, "cost_details sent")


@case(timeout=90)
def curl_should_take_prices_from_llmtap_prices(t):
    """Env: LLMTAP_PRICES=prices.json replacing the gpt-4o-mini-2024-07-18
    row (flat prices); then a file that is not JSON, with LANGFUSE_DEBUG:
    one line names LLMTAP_PRICES and the shipped prices still apply."""
    prices = t.path("prices.json")
    with open(prices, "w") as f:
        json.dump([{"modelName": "gpt-4o-mini-2024-07-18", "matchPattern": "(?i)^gpt-4o-mini(-2024-07-18)?$",
                    "inputPrice": 0.000001, "outputPrice": 0.000002}], f)
    out = t.path("a.jsonl")
    traced_curl(t, {"LLMTAP_OUTPUT": out, "LLMTAP_PRICES": prices})
    _, (g,) = one_process(spans_of(jsonl_bodies(out)), 1)
    # input_cached_tokens has no price in this row: not in the cost
    want = {"input": 0.000125, "output": 0.000706, "total": 0.000125 + 0.000706}
    eq(json.loads(g.attrs["llmtap.cost_details"]), want, "cost with the user's row")

    with open(prices, "w") as f:
        f.write("[{\"modelName\": \"x\",")
    out = t.path("b.jsonl")
    with ProviderServer() as srv:
        env = Env(t)
        r = run(curl_llm(srv.url + CHAT, CACHED, ["-o", t.path("out")]),
                env.traced(LLMTAP_OUTPUT=out, LLMTAP_PRICES=prices, LANGFUSE_DEBUG="true",
                           LANGFUSE_FLUSH_INTERVAL="0.2", LLMTAP_EXIT_TIMEOUT="2"))
    eq(r.rc, 0, "curl exit status")
    lines = [l for l in r.err.splitlines() if "LLMTAP_PRICES" in l]
    eq(len(lines), 1, "LANGFUSE_DEBUG lines about LLMTAP_PRICES (%s)" % r.err[-1500:])
    check("not valid JSON" in lines[0] and "shipped prices" in lines[0], lines[0])
    _, (g,) = one_process(spans_of(jsonl_bodies(out)), 1)
    check_local_cost(g)


if __name__ == "__main__":
    main()
