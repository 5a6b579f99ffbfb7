/* test_provider_match.c — which URLs are LLM calls: a table of URLs with
 * the expected match, LLMTAP_PROVIDERS entries, no allocation, linear cost. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../providers/openai.h"
#include "../../providers/provider.h"
#include "../../shim/mem.h"
#include "../lib/tap.h"

struct want {
    const char *url;
    const char *provider; /* NULL: no match */
    bool known;
};

static void check_table(const struct want *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct lt_match m = { 0 };
        uint64_t before = lt_mem_count();
        bool ok = lt_provider_match_url(t[i].url, &m);
        CHECKF(lt_mem_count() == before, "%s: allocated", t[i].url);
        if (!t[i].provider) {
            CHECKF(!ok, "%s: matched as %s, want no match", t[i].url, m.provider);
            continue;
        }
        CHECKF(ok, "%s: no match, want %s", t[i].url, t[i].provider);
        CHECKF(m.api == LT_API_OPENAI_CHAT, "%s: api %d", t[i].url, (int)m.api);
        CHECKF(m.provider && strcmp(m.provider, t[i].provider) == 0, "%s: provider %s, want %s", t[i].url,
               m.provider ? m.provider : "(null)", t[i].provider);
        CHECKF(m.known_host == t[i].known, "%s: known_host %d", t[i].url, (int)m.known_host);
    }
}

#define OC "openai-compatible"

static const struct want known_urls[] = {
    { "https://api.openai.com/v1/chat/completions", "openai", true },
    { "HTTPS://API.OPENAI.COM/v1/chat/completions", "openai", true },
    { "https://Api.OpenAI.com/v1/chat/completions", "openai", true },
    { "http://api.openai.com/v1/chat/completions", "openai", true },
    { "https://api.openai.com:443/v1/chat/completions", "openai", true },
    { "https://api.openai.com:8443/v1/chat/completions", "openai", true },
    { "https://api.openai.com./v1/chat/completions", "openai", true },
    { "https://user:secret@api.openai.com/v1/chat/completions", "openai", true },
    { "https://a@b@api.openai.com/v1/chat/completions", "openai", true },
    { "https://api.openai.com/v1/chat/completions?key=sk-abcdefghijklmnopqrstuvwxyz", "openai", true },
    { "https://api.openai.com/v1/chat/completions#section", "openai", true },
    { "https://api.openai.com/v1/chat/completions?x=1#y", "openai", true },
    { "https://api.openai.com/chat/completions", "openai", true },
    { "https://traceloop-stg.openai.azure.com/openai/deployments/openllmetry-testing/chat/completions?api-version=2024-02-01",
      "azure", true },
    { "https://MyRes.OpenAI.Azure.com/openai/v1/chat/completions", "azure", true },
    { "https://myres.cognitiveservices.azure.com/openai/deployments/d/chat/completions?api-version=2025-01-01-preview",
      "azure", true },
    { "https://api.groq.com/openai/v1/chat/completions", "groq", true },
    { "https://api.mistral.ai/v1/chat/completions", "mistral", true },
    { "https://api.deepseek.com/chat/completions", "deepseek", true },
    { "https://api.deepseek.com/beta/chat/completions", "deepseek", true },
    { "https://openrouter.ai/api/v1/chat/completions", "openrouter", true },
    { "https://api.together.xyz/v1/chat/completions", "together", true },
    { "https://api.x.ai/v1/chat/completions", "xai", true },
    { "https://api.fireworks.ai/inference/v1/chat/completions", "fireworks", true },
    { "https://api.perplexity.ai/chat/completions", "perplexity", true },
    { "https://api.cerebras.ai/v1/chat/completions", "cerebras", true },
};

static const struct want compatible_urls[] = {
    { "http://localhost:8000/v1/chat/completions", OC, false },
    { "http://127.0.0.1:11434/v1/chat/completions", "ollama", true }, /* Ollama's port */
    { "http://[::1]:8080/v1/chat/completions", OC, false },
    { "https://LLM.internal.example/v1/chat/completions?api_key=abc", OC, false },
    /* look-alikes of known hosts are not those providers */
    { "https://api.openai.com.evil.example/v1/chat/completions", OC, false },
    { "https://api.openai.com@evil.example/v1/chat/completions", OC, false },
    { "https://xapi.openai.com/v1/chat/completions", OC, false },
    { "https://openai.azure.com/openai/v1/chat/completions", OC, false },
    { "https://openai.azure.com.example/openai/v1/chat/completions", OC, false },
    { "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions", "gemini", true },
};

static const struct want non_matches[] = {
    { "", NULL, false },
    { "https://", NULL, false },
    { "https:///v1/chat/completions", NULL, false },
    { "https://api.openai.com/v1/chat/completionsX", NULL, false },
    { "https://api.openai.com/v1/chat/completions/", NULL, false },
    { "https://api.openai.com/v1/chat/completions.json", NULL, false },
    { "https://api.openai.com/v1/CHAT/COMPLETIONS", NULL, false },
    { "https://api.openai.com/v1/chatcompletions", NULL, false },
    { "https://api.openai.com/v1/models", NULL, false },
    { "https://api.openai.com/v1/files", NULL, false },
    { "https://api.openai.com/v1/responses/resp_123/cancel", NULL, false },
    { "https://api.openai.com", NULL, false },
    { "https://api.openai.com?/chat/completions", NULL, false },
    { "https://example.com/search?q=/v1/chat/completions", NULL, false },
    { "https://example.com/a#/chat/completions", NULL, false },
    { "ftp://api.openai.com/v1/chat/completions", NULL, false },
    { "file:///v1/chat/completions", NULL, false },
    { "ws://api.openai.com/v1/chat/completions", NULL, false },
    { "httpx://api.openai.com/v1/chat/completions", NULL, false },
    { "api.openai.com/v1/chat/completions", NULL, false },
    { "//api.openai.com/v1/chat/completions", NULL, false },
    { "https://api.openai.com:99999/v1/chat/completions", NULL, false },
    { "https://api.openai.com:44x/v1/chat/completions", NULL, false },
    { "https://[::1/v1/chat/completions", NULL, false },
    { "https://user@/v1/chat/completions", NULL, false },
};

static void match_should_name_known_hosts(void)
{
    lt_provider_configure(NULL);
    check_table(known_urls, TAP_N(known_urls));
}

static void match_should_call_other_hosts_openai_compatible(void)
{
    lt_provider_configure(NULL);
    check_table(compatible_urls, TAP_N(compatible_urls));
}

static void match_should_refuse_other_paths_schemes_and_bad_urls(void)
{
    lt_provider_configure(NULL);
    check_table(non_matches, TAP_N(non_matches));
    struct lt_match m;
    CHECK(!lt_provider_match_url(NULL, &m));
    CHECK(!lt_provider_match_url("https://api.openai.com/v1/chat/completions", NULL));
}

static void match_should_use_llmtap_providers_base_urls(void)
{
    lt_provider_configure(" http://10.0.0.5:8000/v1=vllm , https://Proxy.Example.com/openai/=corp,"
                          "https://api.openai.com/v1=gateway");
    static const struct want t[] = {
        { "http://10.0.0.5:8000/v1/chat/completions", "vllm", true },
        { "http://u:p@10.0.0.5:8000/v1/chat/completions?key=1", "vllm", true },
        { "http://10.0.0.5:8000/v1/x/chat/completions", "vllm", true },
        { "http://10.0.0.5:8001/v1/chat/completions", OC, false },
        { "http://10.0.0.5/v1/chat/completions", OC, false },
        { "https://10.0.0.5:8000/v1/chat/completions", OC, false },
        { "http://10.0.0.5:8000/v10/chat/completions", OC, false },
        { "http://10.0.0.5:8000/chat/completions", OC, false },
        { "http://10.0.0.5:8000/v1/models", NULL, false },
        { "https://proxy.example.com/openai/v1/chat/completions", "corp", true },
        { "https://PROXY.EXAMPLE.COM:443/openai/chat/completions", "corp", true },
        { "https://proxy.example.com/other/chat/completions", OC, false },
        /* a configured base wins over the known-host table */
        { "https://api.openai.com/v1/chat/completions", "gateway", true },
        { "https://api.openai.com/chat/completions", "openai", true },
    };
    check_table(t, TAP_N(t));
    lt_provider_configure(NULL);
    static const struct want cleared[] = {
        { "http://10.0.0.5:8000/v1/chat/completions", OC, false },
        { "https://api.openai.com/v1/chat/completions", "openai", true },
    };
    check_table(cleared, TAP_N(cleared));
}

static void match_should_ignore_malformed_provider_entries(void)
{
    lt_provider_configure("nonsense,ftp://x/v1=ftpname,http://h/v1?k=1=withquery,=noname,"
                          "http://bad/=bad name,http://nourl-name=,http://ok:9000=good,,");
    static const struct want t[] = {
        { "http://ok:9000/v1/chat/completions", "good", true },
        { "http://h/v1/chat/completions", OC, false },
        { "http://bad/chat/completions", OC, false },
    };
    check_table(t, TAP_N(t));
    lt_provider_configure("");
    static const struct want none[] = { { "http://ok:9000/v1/chat/completions", OC, false } };
    check_table(none, TAP_N(none));
}

static void match_should_keep_the_first_sixteen_provider_entries(void)
{
    char spec[2048] = "";
    for (int i = 0; i < 20; i++) {
        char e[64];
        snprintf(e, sizeof e, "%shttp://h%d:80=p%d", i ? "," : "", i, i);
        strcat(spec, e);
    }
    lt_provider_configure(spec);
    struct lt_match m;
    CHECK(lt_provider_match_url("http://h0/chat/completions", &m) && strcmp(m.provider, "p0") == 0);
    CHECK(lt_provider_match_url("http://h15/chat/completions", &m) && strcmp(m.provider, "p15") == 0);
    CHECK(lt_provider_match_url("http://h16/chat/completions", &m) && strcmp(m.provider, OC) == 0);
    lt_provider_configure(NULL);
}

static void match_should_read_each_url_byte_a_few_times_only(void)
{
    /* 8 MiB URLs of each shape: a quadratic scan would take minutes */
    size_t n = (size_t)8 << 20;
    char *u = malloc(n + 64);
    const char *shapes[] = { "https://", "https://h/", "https://h/?", "https://a@" };
    for (size_t s = 0; s < TAP_N(shapes); s++) {
        size_t l = strlen(shapes[s]);
        memcpy(u, shapes[s], l);
        memset(u + l, s == 3 ? '@' : '/', n - l);
        strcpy(u + n, "/chat/completions");
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        struct lt_match m;
        lt_provider_match_url(u, &m);
        clock_gettime(CLOCK_MONOTONIC, &b);
        double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
        CHECKF(ms < 2000, "shape %zu: %.0f ms", s, ms);
    }
    free(u);
}

static void match_should_know_the_chat_path_shape(void)
{
    CHECK(lt_openai_chat_path("/chat/completions", 17));
    CHECK(lt_openai_chat_path("/v1/chat/completions", 20));
    CHECK(!lt_openai_chat_path("chat/completions", 16));
    CHECK(!lt_openai_chat_path("/v1/chat/completions", 19));
    CHECK(!lt_openai_chat_path("", 0));
}


/* Each wire format by its endpoint, on its own provider's host and on
 * others (Anthropic's OpenAI-compatible chat path stays OpenAI chat). */
static const struct {
    const char *url;
    enum lt_api api; /* LT_API_NONE: no match */
    const char *provider;
} routes[] = {
    { "https://api.openai.com/v1/responses", LT_API_OPENAI_RESPONSES, "openai" },
    { "https://api.openai.com/v1/completions", LT_API_OPENAI_COMPLETIONS, "openai" },
    { "https://api.openai.com/v1/embeddings", LT_API_OPENAI_EMBEDDINGS, "openai" },
    { "https://r.openai.azure.com/openai/deployments/emb/embeddings?api-version=2023-05-15", LT_API_OPENAI_EMBEDDINGS,
      "azure" },
    { "https://r.openai.azure.com/openai/v1/responses", LT_API_OPENAI_RESPONSES, "azure" },
    { "https://api.anthropic.com/v1/messages", LT_API_ANTHROPIC_MESSAGES, "anthropic" },
    { "https://api.anthropic.com/v1/complete", LT_API_ANTHROPIC_COMPLETE, "anthropic" },
    { "https://api.anthropic.com/v1/chat/completions", LT_API_OPENAI_CHAT, "anthropic" },
    { "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent?key=AIzaX",
      LT_API_GEMINI, "gemini" },
    { "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
      LT_API_GEMINI, "gemini" },
    { "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/"
      "gemini-2.5-pro:generateContent",
      LT_API_GEMINI, "vertex" },
    { "https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google/models/g:streamGenerateContent",
      LT_API_GEMINI, "vertex" },
    { "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse",
      LT_API_BEDROCK_CONVERSE, "bedrock" },
    { "https://bedrock-runtime.eu-west-1.amazonaws.com/model/meta.llama3-8b-instruct-v1%3A0/converse-stream",
      LT_API_BEDROCK_CONVERSE, "bedrock" },
    { "https://bedrock-runtime-fips.us-east-1.amazonaws.com/model/anthropic.claude-v2/invoke", LT_API_BEDROCK_INVOKE,
      "bedrock" },
    { "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-v2/invoke-with-response-stream",
      LT_API_BEDROCK_INVOKE, "bedrock" },
    { "https://vpce-0abc-1.bedrock-runtime.us-east-1.vpce.amazonaws.com/model/m/converse", LT_API_BEDROCK_CONVERSE,
      "bedrock" },
    { "https://api.cohere.com/v2/chat", LT_API_COHERE_CHAT, "cohere" },
    { "https://api.cohere.ai/v2/chat", LT_API_COHERE_CHAT, "cohere" },
    { "http://localhost:11434/api/chat", LT_API_OLLAMA_CHAT, "ollama" },
    { "http://127.0.0.1:11434/api/generate", LT_API_OLLAMA_GENERATE, "ollama" },
    { "http://localhost:11434/v1/chat/completions", LT_API_OPENAI_CHAT, "ollama" },
    { "http://gpu-box:8080/api/chat", LT_API_OLLAMA_CHAT, NULL /* path shape: confirmed by the body */ },
    { "https://s3.us-east-1.amazonaws.com/model/x/converse-not", LT_API_NONE, NULL },
    { "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash", LT_API_NONE, NULL },
    { "https://api.anthropic.com/v1/models", LT_API_NONE, NULL },
    { "https://api.openai.com/v1/files", LT_API_NONE, NULL },
};

static void match_should_route_each_wire_format(void)
{
    for (size_t i = 0; i < TAP_N(routes); i++) {
        struct lt_match m = { 0 };
        uint64_t before = lt_mem_count();
        bool ok = lt_provider_match_url(routes[i].url, &m);
        CHECKF(lt_mem_count() == before, "%s: allocated", routes[i].url);
        if (routes[i].api == LT_API_NONE) {
            CHECKF(!ok, "%s: matched as api %d", routes[i].url, (int)m.api);
            continue;
        }
        CHECKF(ok, "%s: no match", routes[i].url);
        CHECKF(m.api == routes[i].api, "%s: api %d, want %d", routes[i].url, (int)m.api, (int)routes[i].api);
        if (routes[i].provider)
            CHECKF(m.provider && strcmp(m.provider, routes[i].provider) == 0 && m.known_host, "%s: provider %s",
                   routes[i].url, m.provider ? m.provider : "(null)");
        else
            CHECKF(!m.known_host, "%s: a path-shape match must be confirmed by the body", routes[i].url);
    }
}

/* Before capture, on the program's thread: a path-shape match is tried only
 * when the body could be the API's request. */
static void match_should_let_only_plausible_bodies_through_on_unknown_hosts(void)
{
    struct lt_match m;
    CHECK(lt_provider_match_url("http://10.1.2.3/v1/messages", &m) && !m.known_host);
    const char *llm = "{\"model\":\"claude\",\"max_tokens\":9,\"messages\":[]}";
    const char *sms = "{\"from\":\"a\",\"to\":\"b\",\"text\":\"hi\",\"channel\":\"sms\"}";
    uint64_t before = lt_mem_count();
    CHECK(lt_provider_body_may_match(&m, llm, strlen(llm), false));
    CHECK(lt_provider_body_may_match(&m, "\xEF\xBB\xBF \n{\"messages\":1,\"model\":2}", 29, false));
    CHECK(!lt_provider_body_may_match(&m, sms, strlen(sms), false));
    CHECK(!lt_provider_body_may_match(&m, "[{\"model\":1,\"messages\":2}]", 27, false));
    CHECK(!lt_provider_body_may_match(&m, "model=x&messages=y", 18, false));
    CHECK(!lt_provider_body_may_match(&m, NULL, 0, false));   /* a GET */
    CHECK(lt_provider_body_may_match(&m, NULL, 0, true));     /* a read callback: unknown */
    CHECK_INT(lt_mem_count(), before);
    /* a known host needs no body at all */
    CHECK(lt_provider_match_url("https://api.anthropic.com/v1/messages", &m) && m.known_host);
    CHECK(lt_provider_body_may_match(&m, NULL, 0, false));
    /* Gemini requests name no model: contents is the sign */
    CHECK(lt_provider_match_url("http://10.1.2.3/v1/models/g:generateContent", &m) && !m.known_host);
    CHECK(lt_provider_body_may_match(&m, "{\"contents\":[]}", 15, false));
    CHECK(!lt_provider_body_may_match(&m, llm, strlen(llm), false));
}

static const struct tap_case cases[] = {
    TAP(match_should_name_known_hosts),
    TAP(match_should_call_other_hosts_openai_compatible),
    TAP(match_should_refuse_other_paths_schemes_and_bad_urls),
    TAP(match_should_use_llmtap_providers_base_urls),
    TAP(match_should_ignore_malformed_provider_entries),
    TAP(match_should_keep_the_first_sixteen_provider_entries),
    TAP(match_should_read_each_url_byte_a_few_times_only),
    TAP(match_should_know_the_chat_path_shape),
    TAP(match_should_route_each_wire_format),
    TAP(match_should_let_only_plausible_bodies_through_on_unknown_hosts),
};

int main(int argc, char **argv)
{
    return tap_main(argc, argv, cases, TAP_N(cases));
}
