/* provider.c — which URLs are LLM calls, and the parser that turns one call
 * into a generation through the module of its wire format.
 *
 * Owns the LLMTAP_PROVIDERS table (static, written once by
 * lt_provider_configure), the known-host and per-API ops tables, and each
 * parser's whole-body buffer and framer. Never interprets JSON: modules do.
 * lt_provider_match_url runs on the program's thread at every CURLOPT_URL
 * (no allocation, lock or getenv; linear); the rest on the background thread.
 */
#include "provider.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../shim/buf.h"
#include "../shim/json.h"
#include "../shim/log.h"
#include "../shim/mem.h"
#include "anthropic.h"
#include "bedrock.h"
#include "cohere.h"
#include "framing.h"
#include "gemini.h"
#include "ollama.h"
#include "openai.h"

/* ---- URLs ---------------------------------------------------------------- */

/* The parts of an http(s) URL that classification reads; pointers into the
 * URL. Userinfo, query and fragment are skipped, never kept. */
struct provider_url {
    bool https;
    const char *host; /* without a trailing dot; IPv6 literals keep their [] */
    size_t host_len;
    long port;        /* -1 when the URL names none */
    const char *path; /* "" when the URL has none */
    size_t path_len;
};

/* Splits an http(s) URL into scheme, authority and path; the host and port
 * are parsed only by provider_parse_host, once the path has matched an API
 * (most URLs a program sets are not LLM calls: they cost a few vectorised
 * scans and a suffix compare). */
static bool provider_parse_url(const char *u, struct provider_url *out, size_t *auth, size_t *auth_end)
{
    size_t i;
    /* "http://" or "https://", any case; | 0x20 lower-cases letters only. */
    if ((u[0] | 0x20) != 'h' || (u[1] | 0x20) != 't' || (u[2] | 0x20) != 't' || (u[3] | 0x20) != 'p')
        return false;
    if ((u[4] | 0x20) == 's') {
        out->https = true;
        i = 5;
    } else {
        out->https = false;
        i = 4;
    }
    if (u[i] != ':' || u[i + 1] != '/' || u[i + 2] != '/')
        return false;
    i += 3;
    /* memchr and strlen are vectorised; strcspn's generic form builds a
     * 256-byte table on every call. */
    size_t len = i + strlen(u + i);
    const char *q = memchr(u + i, '?', len - i);
    size_t pend = q ? (size_t)(q - u) : len;
    const char *h = memchr(u + i, '#', pend - i);
    if (h)
        pend = (size_t)(h - u);
    const char *slash = memchr(u + i, '/', pend - i);
    size_t end = slash ? (size_t)(slash - u) : pend;
    out->path = u + end;
    out->path_len = u[end] == '/' ? pend - end : 0;
    *auth = i;
    *auth_end = end;
    return true;
}

/* Host and port of the authority u[i, end): userinfo ends at its last '@'. */
static bool provider_parse_host(const char *u, size_t i, size_t end, struct provider_url *out)
{
    size_t host = i;
    const char *at = memrchr(u + i, '@', end - i);
    if (at)
        host = (size_t)(at - u) + 1;
    size_t hend = host;
    if (u[host] == '[') {
        while (hend < end && u[hend] != ']')
            hend++;
        if (hend == end)
            return false;
        hend++;
    } else {
        while (hend < end && u[hend] != ':')
            hend++;
    }
    out->host = u + host;
    out->host_len = hend - host;
    if (out->host_len > 1 && out->host[out->host_len - 1] == '.')
        out->host_len--;
    if (out->host_len == 0)
        return false;
    out->port = -1;
    if (hend < end) {
        if (u[hend] != ':')
            return false;
        long port = 0;
        for (size_t k = hend + 1; k < end; k++) {
            if (u[k] < '0' || u[k] > '9' || port > 65535)
                return false;
            port = port * 10 + (u[k] - '0');
        }
        if (port > 65535)
            return false;
        if (end > hend + 1)
            out->port = port;
    }
    return true;
}

static bool provider_host_is(const struct provider_url *u, const char *name, size_t len)
{
    return u->host_len == len && strncasecmp(u->host, name, len) == 0;
}

static bool provider_host_ends(const struct provider_url *u, const char *suffix, size_t len)
{
    return u->host_len > len && strncasecmp(u->host + u->host_len - len, suffix, len) == 0;
}

#define PROVIDER_S(s) s, sizeof(s) - 1

/* Hosts that name their provider. A path-shape match on any other host is
 * only "openai-compatible" until the request body confirms it. */
static const struct {
    char host[40]; /* arrays, not pointers: no load-time relocation per entry */
    size_t len;
    char provider[16];
} provider_hosts[] = {
    { PROVIDER_S("api.openai.com"), "openai" },
    { PROVIDER_S("api.groq.com"), "groq" },
    { PROVIDER_S("api.mistral.ai"), "mistral" },
    { PROVIDER_S("api.deepseek.com"), "deepseek" },
    { PROVIDER_S("openrouter.ai"), "openrouter" },
    { PROVIDER_S("api.together.xyz"), "together" },
    { PROVIDER_S("api.x.ai"), "xai" },
    { PROVIDER_S("api.fireworks.ai"), "fireworks" },
    { PROVIDER_S("api.perplexity.ai"), "perplexity" },
    { PROVIDER_S("api.cerebras.ai"), "cerebras" },
    { PROVIDER_S("api.anthropic.com"), "anthropic" },
    { PROVIDER_S("generativelanguage.googleapis.com"), "gemini" },
    { PROVIDER_S("aiplatform.googleapis.com"), "vertex" },
    { PROVIDER_S("api.cohere.com"), "cohere" },
    { PROVIDER_S("api.cohere.ai"), "cohere" },
};

static const struct {
    const char *suffix;
    size_t len;
    const char *provider;
} provider_host_suffixes[] = {
    { PROVIDER_S(".openai.azure.com"), "azure" },
    { PROVIDER_S(".cognitiveservices.azure.com"), "azure" },
    { PROVIDER_S(".services.ai.azure.com"), "azure" },
    { PROVIDER_S("-aiplatform.googleapis.com"), "vertex" }, /* {region}-aiplatform */
};

/* The wire formats, by enum lt_api. */
static const struct lt_api_ops *const provider_apis[LT_API_COUNT] = {
    [LT_API_OPENAI_CHAT] = &lt_openai_chat_ops,
    [LT_API_OPENAI_RESPONSES] = &lt_openai_responses_ops,
    [LT_API_OPENAI_COMPLETIONS] = &lt_openai_completions_ops,
    [LT_API_OPENAI_EMBEDDINGS] = &lt_openai_embeddings_ops,
    [LT_API_ANTHROPIC_MESSAGES] = &lt_anthropic_messages_ops,
    [LT_API_ANTHROPIC_COMPLETE] = &lt_anthropic_complete_ops,
    [LT_API_GEMINI] = &lt_gemini_ops,
    [LT_API_BEDROCK_CONVERSE] = &lt_bedrock_converse_ops,
    [LT_API_BEDROCK_INVOKE] = &lt_bedrock_invoke_ops,
    [LT_API_COHERE_CHAT] = &lt_cohere_chat_ops,
    [LT_API_OLLAMA_CHAT] = &lt_ollama_chat_ops,
    [LT_API_OLLAMA_GENERATE] = &lt_ollama_generate_ops,
};

/* Hosts that need more than a name or suffix compare. */
static const char *provider_special_host(const struct provider_url *u)
{
    /* bedrock-runtime.{region}.amazonaws.com, bedrock-runtime-fips.{region}... */
    /* and VPC endpoints: vpce-....bedrock-runtime.{region}.vpce.amazonaws.com */
    static const char br[] = "bedrock-runtime";
    if (provider_host_ends(u, PROVIDER_S(".amazonaws.com"))) {
        for (size_t i = 0; i + sizeof br < u->host_len; i++) {
            if ((i == 0 || u->host[i - 1] == '.') && strncasecmp(u->host + i, br, sizeof br - 1) == 0 &&
                (u->host[i + sizeof br - 1] == '.' || u->host[i + sizeof br - 1] == '-'))
                return "bedrock";
        }
    }
    /* Ollama's default port, on any host (it is served on localhost) */
    if (u->port == 11434)
        return "ollama";
    return NULL;
}

/* ---- LLMTAP_PROVIDERS ---------------------------------------------------- */

/* Sixteen self-hosted or proxied endpoints cover any real deployment; the
 * sizes bound what the program's thread compares. */
#define PROVIDER_BASES_MAX 16
#define PROVIDER_HOST_MAX 255
#define PROVIDER_PATH_MAX 255
#define PROVIDER_NAME_MAX 31

struct provider_base {
    bool https;
    long port;            /* explicit, else the scheme's default */
    size_t host_len;
    size_t path_len;      /* without a trailing '/' */
    char host[PROVIDER_HOST_MAX + 1];  /* lower case */
    char path[PROVIDER_PATH_MAX + 1];
    char name[PROVIDER_NAME_MAX + 1];
};

/* Written only by lt_provider_configure, which runs once (under the
 * capture's pthread_once) before any lt_provider_match_url; read-only after. */
static struct provider_base provider_bases[PROVIDER_BASES_MAX];
static int provider_n_bases;

static bool provider_add_base(const char *url, size_t url_len, const char *name, size_t name_len)
{
    char tmp[PROVIDER_HOST_MAX + PROVIDER_PATH_MAX + 32];
    if (url_len == 0 || url_len >= sizeof tmp || name_len == 0 || name_len > PROVIDER_NAME_MAX)
        return false;
    for (size_t i = 0; i < name_len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    memcpy(tmp, url, url_len);
    tmp[url_len] = '\0';
    struct provider_url u;
    size_t auth, auth_end;
    if (!provider_parse_url(tmp, &u, &auth, &auth_end) || !provider_parse_host(tmp, auth, auth_end, &u) ||
        u.host_len > PROVIDER_HOST_MAX || u.path_len > PROVIDER_PATH_MAX)
        return false;
    if (u.path + u.path_len != tmp + url_len)
        return false; /* a base URL with a query or fragment matches nothing */
    struct provider_base *b = &provider_bases[provider_n_bases];
    b->https = u.https;
    b->port = u.port >= 0 ? u.port : (u.https ? 443 : 80);
    for (size_t i = 0; i < u.host_len; i++) {
        char c = u.host[i];
        b->host[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    b->host[u.host_len] = '\0';
    b->host_len = u.host_len;
    size_t pl = u.path_len;
    while (pl > 0 && u.path[pl - 1] == '/')
        pl--;
    memcpy(b->path, u.path, pl);
    b->path[pl] = '\0';
    b->path_len = pl;
    memcpy(b->name, name, name_len);
    b->name[name_len] = '\0';
    provider_n_bases++;
    return true;
}

static bool provider_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void lt_provider_configure(const char *spec)
{
    provider_n_bases = 0;
    if (!spec)
        return;
    const char *s = spec;
    while (*s) {
        const char *e = s;
        while (*e && *e != ',')
            e++;
        const char *a = s, *z = e;
        while (a < z && provider_is_space(*a))
            a++;
        while (z > a && provider_is_space(z[-1]))
            z--;
        if (z > a) {
            const char *eq = NULL;
            for (const char *q = a; q < z; q++)
                if (*q == '=')
                    eq = q; /* the last '=': a name never holds one */
            if (provider_n_bases >= PROVIDER_BASES_MAX) {
                lt_log_once(LT_ONCE_CONFIG, "LLMTAP_PROVIDERS: more than %d entries, the rest are ignored",
                            PROVIDER_BASES_MAX);
                return;
            }
            const char *ue = eq, *ns = eq ? eq + 1 : NULL;
            while (ue && ue > a && provider_is_space(ue[-1]))
                ue--;
            while (ns && ns < z && provider_is_space(*ns))
                ns++;
            if (!eq || !provider_add_base(a, (size_t)(ue - a), ns, (size_t)(z - ns)))
                lt_log_once(LT_ONCE_CONFIG,
                            "LLMTAP_PROVIDERS: an entry is not BASE_URL=name (http/https, no query), ignored");
        }
        s = *e ? e + 1 : e;
    }
}

static const struct provider_base *provider_find_base(const struct provider_url *u)
{
    long port = u->port >= 0 ? u->port : (u->https ? 443 : 80);
    for (int i = 0; i < provider_n_bases; i++) {
        const struct provider_base *b = &provider_bases[i];
        if (b->https != u->https || b->port != port || !provider_host_is(u, b->host, b->host_len))
            continue;
        if (u->path_len < b->path_len || memcmp(u->path, b->path, b->path_len) != 0)
            continue;
        if (u->path_len > b->path_len && u->path[b->path_len] != '/')
            continue; /* /v1 is not a prefix of /v10/... */
        return b;
    }
    return NULL;
}

bool lt_provider_match_url(const char *url, struct lt_match *out)
{
    struct provider_url u;
    size_t auth, auth_end;
    if (!url || !out || !provider_parse_url(url, &u, &auth, &auth_end))
        return false;
    /* Every API's paths end in one of these bytes (.../completions,
     * /responses, /embeddings, /messages, /complete, :generateContent,
     * /converse(-stream), /invoke(-with-response-stream), /v2/chat,
     * /api/chat, /api/generate): most URLs a program sets are decided here,
     * in one test instead of a call per API. A module whose paths end
     * otherwise adds its byte (test_provider_match's routes catch it). */
    char last = u.path_len ? u.path[u.path_len - 1] : '\0';
    if (last != 's' && last != 'e' && last != 't' && last != 'm')
        return false;
    enum lt_api api = LT_API_NONE;
    for (int a = LT_API_NONE + 1; a < LT_API_COUNT; a++) {
        if (provider_apis[a] && provider_apis[a]->match_path(u.path, u.path_len)) {
            api = (enum lt_api)a;
            break;
        }
    }
    if (api == LT_API_NONE || !provider_parse_host(url, auth, auth_end, &u))
        return false;
    out->api = api;
    const struct provider_base *b = provider_find_base(&u);
    if (b) {
        out->provider = b->name;
        out->known_host = true;
        return true;
    }
    for (size_t i = 0; i < sizeof provider_hosts / sizeof provider_hosts[0]; i++) {
        if (provider_host_is(&u, provider_hosts[i].host, provider_hosts[i].len)) {
            out->provider = provider_hosts[i].provider;
            out->known_host = true;
            return true;
        }
    }
    for (size_t i = 0; i < sizeof provider_host_suffixes / sizeof provider_host_suffixes[0]; i++) {
        if (provider_host_ends(&u, provider_host_suffixes[i].suffix, provider_host_suffixes[i].len)) {
            out->provider = provider_host_suffixes[i].provider;
            out->known_host = true;
            return true;
        }
    }
    const char *special = provider_special_host(&u);
    if (special) {
        out->provider = special;
        out->known_host = true;
        return true;
    }
    out->provider = provider_apis[api]->compat_provider;
    out->known_host = false;
    return true;
}

/* ---- The parser ---------------------------------------------------------- */

/* A whole (unframed) response body is kept up to 32 MiB: the capture cuts
 * responses at 16 MiB by default (LT_CALL_RESP_CAP); the margin leaves room
 * for a raised LLMTAP_MAX_RESPONSE_BYTES while bounding a runaway feed. */
#define PROVIDER_BODY_CAP ((size_t)32 << 20)
#define PROVIDER_CT_MAX 127

struct lt_parser {
    const struct lt_api_ops *ops;
    void *state;                 /* the module's */
    struct lt_generation gen;    /* filled as we go; handed over by finish */
    long http_status;
    char content_type[PROVIDER_CT_MAX + 1];
    bool has_content_type;
    bool decided;                /* the framing is chosen */
    int framing;                 /* enum lt_framing */
    struct lt_buf body;          /* the whole body; before the choice, bytes held */
    struct lt_framer fr;
    unsigned long long bytes;
};

static void provider_on_frame(void *ctx, const struct lt_frame *f)
{
    struct lt_parser *p = ctx;
    p->ops->frame(p->state, &p->gen, f);
}

enum lt_rc lt_parser_new(const struct lt_parse_in *in, struct lt_parser **out)
{
    *out = NULL;
    if (!in || in->api <= LT_API_NONE || in->api >= LT_API_COUNT || !provider_apis[in->api])
        return LT_ERR_INVALID;
    if (lt_json_load() != LT_OK)
        return LT_ERR_UNAVAIL;
    struct lt_parser *p = lt_calloc(1, sizeof *p);
    if (!p)
        return LT_ERR_NOMEM;
    p->ops = provider_apis[in->api];
    p->gen.provider = in->provider;
    p->gen.operation = p->ops->operation;
    p->gen.obs_type = p->ops->obs_type;
    p->gen.n_input_messages = -1;
    p->http_status = in->http_status;
    if (in->content_type) {
        size_t n = strlen(in->content_type);
        if (n > PROVIDER_CT_MAX)
            n = PROVIDER_CT_MAX;
        memcpy(p->content_type, in->content_type, n);
        p->content_type[n] = '\0';
        p->has_content_type = true;
    }
    lt_buf_init(&p->body, PROVIDER_BODY_CAP);
    enum lt_rc rc = p->ops->request(in, &p->gen, &p->state);
    if (rc != LT_OK) {
        lt_generation_free(&p->gen);
        lt_free(p);
        return rc;
    }
    *out = p;
    return LT_OK;
}

/* Whitespace before the first meaningful byte, a BOM's bytes included. */
static bool provider_is_lead(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0xEF || c == 0xBB || c == 0xBF;
}

bool lt_provider_body_may_match(const struct lt_match *m, const char *body, size_t len, bool body_unknown)
{
    if (!m || m->known_host)
        return true;
    if (!body || len == 0)
        return body_unknown;
    size_t i = 0;
    while (i < len && provider_is_lead((unsigned char)body[i]))
        i++;
    if (i == len || body[i] != '{')
        return false;
    const struct lt_api_ops *ops = m->api > LT_API_NONE && m->api < LT_API_COUNT ? provider_apis[m->api] : NULL;
    if (!ops)
        return false;
    for (size_t k = 0; k < sizeof ops->confirm / sizeof ops->confirm[0] && ops->confirm[k]; k++) {
        char quoted[40];
        size_t n = strlen(ops->confirm[k]);
        if (n + 2 > sizeof quoted)
            continue;
        quoted[0] = '"';
        memcpy(quoted + 1, ops->confirm[k], n);
        quoted[n + 1] = '"';
        if (!memmem(body + i, len - i, quoted, n + 2))
            return false;
    }
    return true;
}

static void provider_decide(struct lt_parser *p, int first)
{
    p->decided = true;
    p->framing = p->ops->framing(p->state, p->has_content_type ? p->content_type : NULL, first);
    if (p->framing != LT_FRAMING_NONE) {
        struct lt_frame_sink sink = { provider_on_frame, p };
        if (lt_framer_init(&p->fr, (enum lt_framing)p->framing, 0, sink) != LT_OK) {
            p->framing = LT_FRAMING_NONE; /* unknown framing: read it whole */
            return;
        }
        if (p->body.len) /* what was held while undecided */
            lt_framer_feed(&p->fr, p->body.data, p->body.len);
        lt_buf_free(&p->body);
    }
}

void lt_parser_feed(struct lt_parser *p, const char *data, size_t len)
{
    if (!p || !data || len == 0)
        return;
    p->bytes += len;
    if (!p->decided) {
        size_t i = 0;
        while (i < len && provider_is_lead((unsigned char)data[i]))
            i++;
        if (i == len) {
            lt_buf_add(&p->body, data, len);
            return;
        }
        provider_decide(p, (unsigned char)data[i]);
    }
    if (p->framing != LT_FRAMING_NONE)
        lt_framer_feed(&p->fr, data, len);
    else
        lt_buf_add(&p->body, data, len);
}

enum lt_rc lt_parser_finish(struct lt_parser *p, bool complete, struct lt_generation *out)
{
    if (!p || !out)
        return LT_ERR_INVALID;
    if (!p->decided)
        provider_decide(p, -1);
    struct lt_parse_end e = {
        .complete = complete,
        .http_status = p->http_status,
        .bytes = p->bytes,
    };
    if (p->framing != LT_FRAMING_NONE) {
        lt_framer_finish(&p->fr);
        e.framed = true;
        e.frames = p->fr.frames;
        e.frames_skipped = p->fr.skipped;
        e.stream_corrupt = p->fr.corrupt;
    } else {
        const char *b = p->body.data ? p->body.data : "";
        size_t n = p->body.len;
        if (n >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0) { /* JSON parsers refuse a BOM */
            b += 3;
            n -= 3;
        }
        e.body = b;
        e.body_len = n;
        e.body_truncated = p->body.truncated;
    }
    enum lt_rc rc = p->ops->end(p->state, &e, &p->gen);
    *out = p->gen;
    memset(&p->gen, 0, sizeof p->gen);
    if (rc == LT_OK && p->body.oom)
        rc = LT_ERR_NOMEM;
    return rc;
}

void lt_parser_free(struct lt_parser *p)
{
    if (!p)
        return;
    if (p->ops && p->ops->free)
        p->ops->free(p->state);
    if (p->framing != LT_FRAMING_NONE)
        lt_framer_free(&p->fr);
    lt_buf_free(&p->body);
    lt_generation_free(&p->gen);
    lt_free(p);
}

/* ---- JSON text ----------------------------------------------------------- */

/* Shortest text that reads back to d, with '.' as the decimal point whatever
 * LC_NUMERIC the host program set. */
static enum lt_rc provider_json_number(struct lt_buf *b, double d)
{
    char tmp[64];
    if (d != d || d > DBL_MAX || d < -DBL_MAX)
        return lt_buf_adds(b, "null"); /* JSON has no NaN or infinity */
    if (d >= -9007199254740992.0 && d <= 9007199254740992.0 && (double)(long long)d == d) {
        /* an integer (max_tokens, n, seed): digits by hand, as "%lld" */
        long long v = (long long)d;
        unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
        size_t i = sizeof tmp;
        do
            tmp[--i] = (char)('0' + u % 10);
        while ((u /= 10) != 0);
        if (v < 0)
            tmp[--i] = '-';
        return lt_buf_add(b, tmp + i, sizeof tmp - i);
    }
    snprintf(tmp, sizeof tmp, "%.15g", d);
    if (strtod(tmp, NULL) != d)
        snprintf(tmp, sizeof tmp, "%.17g", d);
    char out[64];
    size_t o = 0;
    for (size_t i = 0; tmp[i] && o < sizeof out - 1; i++) {
        char c = tmp[i];
        if ((c >= '0' && c <= '9') || c == 'e' || c == 'E' || c == '+' || c == '-')
            out[o++] = c;
        else if (o == 0 || out[o - 1] != '.')
            out[o++] = '.'; /* a locale's decimal point, however many bytes */
    }
    return lt_buf_add(b, out, o);
}

bool lt_provider_secret_name(const char *name)
{
    /* normalised: lower case, without '_' and '-' */
    static const char *const secrets[] = {
        "authorization", "authorizationtoken", "proxyauthorization", "apikey", "apikeystring", "xapikey",
        "xgoogapikey", "apisecret", "accesstoken", "refreshtoken", "idtoken", "bearertoken", "sessiontoken",
        "authtoken", "clientsecret", "secret", "secretkey", "secretaccesskey", "awssecretaccesskey",
        "password", "passwd", "privatekey", "cookie", "setcookie",
    };
    char n[32];
    size_t k = 0;
    if (!name)
        return false;
    for (const char *c = name; *c; c++) {
        if (*c == '_' || *c == '-')
            continue;
        if (k == sizeof n - 1)
            return false; /* longer than any name above */
        n[k++] = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    }
    n[k] = '\0';
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        if (strcmp(n, secrets[i]) == 0)
            return true;
    return false;
}

static void provider_json_value(struct lt_buf *b, const cJSON *v)
{
    switch (v->type & 0xFF) {
    case cJSON_False:
        lt_buf_adds(b, "false");
        break;
    case cJSON_True:
        lt_buf_adds(b, "true");
        break;
    case cJSON_Number:
        provider_json_number(b, v->valuedouble);
        break;
    case cJSON_String:
        lt_buf_json_strz(b, v->valuestring ? v->valuestring : "");
        break;
    case cJSON_Raw:
        lt_buf_adds(b, v->valuestring ? v->valuestring : "null");
        break;
    case cJSON_Array:
        lt_buf_addc(b, '[');
        for (const cJSON *c = v->child; c; c = c->next) {
            provider_json_value(b, c);
            if (c->next)
                lt_buf_addc(b, ',');
        }
        lt_buf_addc(b, ']');
        break;
    case cJSON_Object:
        lt_buf_addc(b, '{');
        for (const cJSON *c = v->child; c; c = c->next) {
            lt_buf_json_strz(b, c->string ? c->string : "");
            lt_buf_addc(b, ':');
            if (lt_provider_secret_name(c->string))
                lt_buf_adds(b, "\"[redacted]\"");
            else
                provider_json_value(b, c);
            if (c->next)
                lt_buf_addc(b, ',');
        }
        lt_buf_addc(b, '}');
        break;
    default:
        lt_buf_adds(b, "null");
        break;
    }
}

enum lt_rc lt_provider_json_write(struct lt_buf *b, const cJSON *v)
{
    if (!v)
        return lt_buf_adds(b, "null");
    provider_json_value(b, v);
    return b->truncated ? LT_ERR_NOMEM : LT_OK;
}
