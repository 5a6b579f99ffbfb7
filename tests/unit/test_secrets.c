/* test_secrets.c — credentials a request body can carry never reach a
 * generation, whichever wire format reads it: an MCP tool's authorization
 * and headers (OpenAI Responses, Anthropic), Vertex grounding's
 * apiKeyString, a proxy's client-side api_key among the parameters, and
 * the API key in a Gemini URL. Every text field and every metadata value of
 * the generation is searched for the secret. */
#include <stdio.h>
#include <string.h>

#include "../../providers/provider.h"
#include "../../shim/mem.h"
#include "../lib/gen.h"
#include "../lib/tap.h"

#define SECRET "s3cr3tTOKENzq81"

static void check_clean(const char *name, const struct lt_generation *g)
{
    const char *fields[] = { g->model, g->request_model, g->response_model, g->params_json, g->input_json,
                             g->output_json, g->output_text, g->reasoning_text, g->status_message };
    for (size_t i = 0; i < TAP_N(fields); i++)
        CHECKF(!fields[i] || !strstr(fields[i], SECRET), "%s: the secret is in field %zu: %s", name, i, fields[i]);
    for (int i = 0; i < g->n_meta; i++)
        CHECKF(!g->meta[i].value || !strstr(g->meta[i].value, SECRET), "%s: the secret is in metadata %s", name,
               g->meta[i].key);
}

static void secrets_should_never_reach_a_generation(void)
{
    CHECK(lt_json_load() == LT_OK);
    lt_provider_configure(NULL);
    static const struct {
        const char *name, *url, *req;
        const char *must; /* text that must still be there (the rest of the request is kept) */
    } t[] = {
        { "responses mcp tool", "https://api.openai.com/v1/responses",
          "{\"model\":\"gpt-4.1\",\"input\":\"hi\",\"tools\":[{\"type\":\"mcp\",\"server_label\":\"x\","
          "\"server_url\":\"https://mcp.example.com\",\"authorization\":\"" SECRET "\","
          "\"headers\":{\"Authorization\":\"Bearer " SECRET "\",\"X-Api-Key\":\"" SECRET "\"}}]}",
          "server_label" },
        { "chat via a proxy with api_key", "http://10.0.0.9:4000/v1/chat/completions",
          "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"api_key\":\"" SECRET "\","
          "\"temperature\":0.5}",
          "temperature" },
        { "anthropic mcp servers", "https://api.anthropic.com/v1/messages",
          "{\"model\":\"claude-sonnet-4\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
          "\"mcp_servers\":[{\"type\":\"url\",\"url\":\"https://m\",\"name\":\"m\",\"authorization_token\":\"" SECRET
          "\"}],\"metadata\":{\"user_id\":\"u\"}}",
          "max_tokens" },
        { "vertex grounding api key",
          "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/"
          "gemini-2.5-flash:generateContent",
          "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}],\"tools\":[{\"retrieval\":{"
          "\"externalApi\":{\"apiSpec\":\"SIMPLE_SEARCH\",\"endpoint\":\"https://s\",\"apiAuth\":{\"apiKeyConfig\":"
          "{\"apiKeyString\":\"" SECRET "\"}}}}}]}",
          "SIMPLE_SEARCH" },
        { "gemini key in the url",
          "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent?key=" SECRET,
          "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]}", "contents" },
        { "cohere client secret param", "https://api.cohere.com/v2/chat",
          "{\"model\":\"command-r\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"client_secret\":\""
          SECRET "\",\"p\":0.9}",
          "\"p\"" },
    };
    for (size_t i = 0; i < TAP_N(t); i++) {
        struct gen_x x = { t[i].url, t[i].req, 200, "application/json", "{}", 0, false };
        struct lt_generation g;
        CHECKF(gen_run(&x, &g) == LT_OK, "%s: parse", t[i].name);
        check_clean(t[i].name, &g);
        bool kept = (g.params_json && strstr(g.params_json, t[i].must)) ||
                    (g.input_json && strstr(g.input_json, t[i].must));
        CHECKF(kept, "%s: \"%s\" lost with the secret (params %s, input %s)", t[i].name, t[i].must,
               g.params_json ? g.params_json : "(null)", g.input_json ? g.input_json : "(null)");
        lt_generation_free(&g);
    }
    CHECK_INT(lt_mem_live_bytes(), 0);
}

static void secrets_should_be_named_whatever_the_spelling(void)
{
    const char *yes[] = { "authorization", "Authorization", "api_key", "API-KEY", "apiKey", "x-api-key",
                          "apiKeyString", "client_secret", "authorization_token", "access_token", "password",
                          "x-goog-api-key", "Cookie" };
    const char *no[] = { "max_tokens", "token", "tokens", "model", "keys", "api", "secretive_mode", "input",
                         "max_output_tokens", "thinking", NULL };
    for (size_t i = 0; i < TAP_N(yes); i++)
        CHECKF(lt_provider_secret_name(yes[i]), "%s: not taken for a credential", yes[i]);
    for (size_t i = 0; i < TAP_N(no); i++)
        CHECKF(!lt_provider_secret_name(no[i]), "%s: taken for a credential", no[i] ? no[i] : "NULL");
}

static const struct tap_case cases[] = {
    TAP(secrets_should_never_reach_a_generation),
    TAP(secrets_should_be_named_whatever_the_spelling),
};

int main(int argc, char **argv)
{
    return tap_main(argc, argv, cases, TAP_N(cases));
}
