/* test_config.c — the environment → struct lt_config: destination order,
 * defaults, number parsing, bad values, headers, auth, tags/metadata, the
 * state directory. Each case runs in its own process and sets only the
 * variables it needs (config_clean_env removes the rest). */
#include <fcntl.h>
#include <locale.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../shim/call.h"
#include "../../shim/config.h"
#include "../../shim/log.h"
#include "../../shim/mem.h"
#include "../lib/tap.h"

static const char *const config_vars[] = {
    "LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY", "LANGFUSE_BASE_URL", "LANGFUSE_HOST",
    "LANGFUSE_FLUSH_AT", "LANGFUSE_FLUSH_INTERVAL", "LANGFUSE_TIMEOUT", "LANGFUSE_SAMPLE_RATE",
    "LANGFUSE_TRACING_ENABLED", "LANGFUSE_DEBUG", "LANGFUSE_RELEASE", "LANGFUSE_TRACING_ENVIRONMENT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_CERTIFICATE",
    "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "LLMTAP_OUTPUT", "LLMTAP_EXIT_TIMEOUT",
    "LLMTAP_TRACE_ID", "LLMTAP_TRACE_NAME", "LLMTAP_USER_ID", "LLMTAP_SESSION_ID", "LLMTAP_TAGS",
    "LLMTAP_METADATA", "LLMTAP_SEND_COST", "LLMTAP_BATCH_MAX_BYTES", "LLMTAP_QUEUE_MAX",
    "LLMTAP_MAX_REQUEST_BYTES", "LLMTAP_MAX_RESPONSE_BYTES", "LLMTAP_MAX_FIELD_BYTES", "XDG_STATE_HOME",
};

static char config_base[128]; /* this run's directory, removed at the end */
static char config_tmp[256];

/* A private temporary HOME, and none of llmtap's variables. */
static void config_clean_env(void)
{
    for (size_t i = 0; i < sizeof config_vars / sizeof config_vars[0]; i++)
        unsetenv(config_vars[i]);
    snprintf(config_tmp, sizeof config_tmp, "%s/case-XXXXXX", config_base);
    CHECK(mkdtemp(config_tmp) != NULL);
    setenv("HOME", config_tmp, 1);
    lt_log_reset();
}

static void config_load(struct lt_config *c)
{
    CHECK_INT(lt_config_load(c), LT_OK);
}

/* Runs fn with stderr going to a file; returns what was written (free()). */
static char *config_capture_stderr(void (*fn)(void))
{
    char path[300];
    snprintf(path, sizeof path, "%s/stderr.txt", config_tmp);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    int saved = dup(2);
    dup2(fd, 2);
    fn();
    dup2(saved, 2);
    close(saved);
    close(fd);
    char *s = tap_read_file(path, NULL);
    CHECK(s != NULL);
    return s;
}

static void config_load_and_free(void)
{
    struct lt_config c;
    config_load(&c);
    lt_config_free(&c);
}

/* ------------------------------------------------------------ cases */

static void config_should_use_defaults_and_jsonl_in_the_state_dir(void)
{
    struct lt_config c;
    char want[400];
    config_clean_env();
    config_load(&c);
    CHECK(c.enabled);
    CHECK_INT(c.dest, LT_DEST_JSONL);
    snprintf(want, sizeof want, "%s/.local/state/llmtap/spans.jsonl", config_tmp);
    CHECK_STR(c.output_path, want);
    CHECK(c.output_default);
    CHECK(c.endpoint == NULL);
    CHECK(!c.langfuse_auth);
    CHECK(c.auth_header == NULL);
    CHECK_INT(c.flush_at, 512);
    CHECK_INT(c.flush_interval_ms, 5000);
    CHECK_INT(c.timeout_ms, 5000);
    CHECK_INT(c.exit_timeout_ms, 2000);
    CHECK(c.sample_rate == 1.0);
    CHECK_INT(c.batch_max_bytes, 3500000);
    CHECK_INT(c.queue_max, 10000);
    CHECK_INT(c.max_request_bytes, LT_CALL_REQ_CAP);
    CHECK_INT(c.max_response_bytes, LT_CALL_RESP_CAP);
    CHECK_INT(c.max_field_bytes, 1 << 20);
    CHECK(!c.send_cost);
    CHECK(c.trace_id == NULL && c.trace_name == NULL && c.n_tags == 0 && c.n_metadata == 0);
    /* loading must not create the directory: only the writer does */
    struct stat st;
    snprintf(want, sizeof want, "%s/.local", config_tmp);
    CHECK(stat(want, &st) != 0);
    lt_config_free(&c);
}

static void config_should_prefer_the_traces_endpoint(void)
{
    struct lt_config c;
    config_clean_env();
    setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/custom/traces/", 1);
    setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://other:4318", 1);
    setenv("LANGFUSE_PUBLIC_KEY", "pk-lf-1", 1);
    setenv("LANGFUSE_SECRET_KEY", "sk-lf-22", 1);
    config_load(&c);
    CHECK_INT(c.dest, LT_DEST_OTLP_HTTP);
    CHECK_STR(c.endpoint, "http://collector:4318/custom/traces/"); /* used as is */
    CHECK(c.langfuse_auth);                                         /* keys set: auth even here */
    CHECK_STR(c.auth_header, "Authorization: Basic cGstbGYtMTpzay1sZi0yMg==");
    lt_config_free(&c);
}

static void config_should_append_v1_traces_to_the_otlp_endpoint(void)
{
    struct lt_config c;
    config_clean_env();
    setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otel.example.com:4318//", 1);
    setenv("LANGFUSE_BASE_URL", "https://eu.cloud.langfuse.com", 1);
    config_load(&c);
    CHECK_INT(c.dest, LT_DEST_OTLP_HTTP);
    CHECK_STR(c.endpoint, "https://otel.example.com:4318/v1/traces");
    CHECK(!c.langfuse_auth); /* no keys: no Langfuse auth */
    lt_config_free(&c);
}

static void config_should_use_langfuse_base_url_over_host(void)
{
    struct lt_config c;
    config_clean_env();
    setenv("LANGFUSE_PUBLIC_KEY", "pk-lf-12", 1);
    setenv("LANGFUSE_SECRET_KEY", "sk-lf-22", 1);
    setenv("LANGFUSE_BASE_URL", "https://eu.cloud.langfuse.com///", 1);
    setenv("LANGFUSE_HOST", "https://us.cloud.langfuse.com", 1);
    config_load(&c);
    CHECK_INT(c.dest, LT_DEST_OTLP_HTTP);
    CHECK_STR(c.endpoint, "https://eu.cloud.langfuse.com/api/public/otel/v1/traces");
    CHECK_STR(c.auth_header, "Authorization: Basic cGstbGYtMTI6c2stbGYtMjI=");
    lt_config_free(&c);

    unsetenv("LANGFUSE_BASE_URL");
    config_load(&c);
    CHECK_STR(c.endpoint, "https://us.cloud.langfuse.com/api/public/otel/v1/traces");
    lt_config_free(&c);

    unsetenv("LANGFUSE_HOST");
    setenv("LANGFUSE_PUBLIC_KEY", "pk-lf-123", 1);
    config_load(&c);
    CHECK_STR(c.endpoint, "https://cloud.langfuse.com/api/public/otel/v1/traces");
    CHECK_STR(c.auth_header, "Authorization: Basic cGstbGYtMTIzOnNrLWxmLTIy");
    lt_config_free(&c);
}

static void config_should_need_both_langfuse_keys(void)
{
    struct lt_config c;
    config_clean_env();
    setenv("LANGFUSE_PUBLIC_KEY", "pk-lf-1", 1);
    setenv("LLMTAP_OUTPUT", "/tmp/x.jsonl", 1);
    config_load(&c);
    CHECK_INT(c.dest, LT_DEST_JSONL);
    CHECK_STR(c.output_path, "/tmp/x.jsonl");
    CHECK(!c.output_default);
    CHECK(!c.langfuse_auth && c.auth_header == NULL);
    lt_config_free(&c);
}

static void config_should_ignore_an_endpoint_that_is_not_a_url(void)
{
    struct lt_config c;
    config_clean_env();
    setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "collector:4318", 1);
    setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://good:4318", 1);
    config_load(&c);
    CHECK_STR(c.endpoint, "http://good:4318/v1/traces");
    lt_config_free(&c);
}

static void config_should_parse_float_seconds_without_the_locale(void)
{
    struct lt_config c;
    config_clean_env();
    /* a host in a decimal-comma locale must not change what "0.25" means */
    setlocale(LC_NUMERIC, "de_DE.UTF-8");
    setenv("LANGFUSE_FLUSH_INTERVAL", "0.25", 1);
    setenv("LANGFUSE_TIMEOUT", "10", 1);
    setenv("LLMTAP_EXIT_TIMEOUT", "0", 1);
    setenv("LANGFUSE_SAMPLE_RATE", "0.5", 1);
    setenv("LANGFUSE_FLUSH_AT", " 15 ", 1);
    config_load(&c);
    CHECK_INT(c.flush_interval_ms, 250);
    CHECK_INT(c.timeout_ms, 10000);
    CHECK_INT(c.exit_timeout_ms, 0);
    CHECK(c.sample_rate == 0.5);
    CHECK_INT(c.flush_at, 15);
    lt_config_free(&c);
    setenv("LANGFUSE_FLUSH_INTERVAL", "1.5", 1);
    setenv("LANGFUSE_SAMPLE_RATE", "0", 1);
    config_load(&c);
    CHECK_INT(c.flush_interval_ms, 1500);
    CHECK(c.sample_rate == 0.0);
    lt_config_free(&c);
}

static void config_should_use_defaults_for_bad_values(void)
{
    struct lt_config c;
    config_clean_env();
    setenv("LANGFUSE_FLUSH_AT", "0", 1);
    setenv("LANGFUSE_FLUSH_INTERVAL", "-1", 1);
    setenv("LANGFUSE_TIMEOUT", "1e3", 1);
    setenv("LLMTAP_EXIT_TIMEOUT", "soon", 1);
    setenv("LANGFUSE_SAMPLE_RATE", "1.5", 1);
    setenv("LLMTAP_QUEUE_MAX", "99999999999999999999999", 1);
    setenv("LLMTAP_BATCH_MAX_BYTES", "12", 1);
    setenv("LLMTAP_MAX_FIELD_BYTES", "10MB", 1);
    setenv("LLMTAP_SEND_COST", "maybe", 1);
    setenv("LLMTAP_TRACE_ID", "00000000000000000000000000000000", 1);
    setenv("LLMTAP_METADATA", "{\"nested\":{\"a\":1}}", 1);
    config_load(&c);
    CHECK_INT(c.flush_at, 512);
    CHECK_INT(c.flush_interval_ms, 5000);
    CHECK_INT(c.timeout_ms, 5000);
    CHECK_INT(c.exit_timeout_ms, 2000);
    CHECK(c.sample_rate == 1.0);
    CHECK_INT(c.queue_max, 10000);
    CHECK_INT(c.batch_max_bytes, 3500000);
    CHECK_INT(c.max_field_bytes, 1 << 20);
    CHECK(!c.send_cost);
    CHECK(c.trace_id == NULL);
    CHECK_INT(c.n_metadata, 0);
    lt_config_free(&c);
}

static void config_should_name_the_variable_but_never_a_secret_value(void)
{
    config_clean_env();
    setenv("LANGFUSE_DEBUG", "true", 1);
    lt_log_reset();
    setenv("LANGFUSE_FLUSH_AT", "sk-lf-pasted-by-mistake", 1);
    setenv("LANGFUSE_PUBLIC_KEY", "pk-lf-public-value", 1); /* no secret key: said */
    setenv("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20hdr-secret-value,bad name=x", 1);
    setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "https://user:pw-secret@otel.example.com/base?token=q-secret", 1);
    char *err = config_capture_stderr(config_load_and_free);
    CHECKF(strstr(err, "LANGFUSE_FLUSH_AT") && strstr(err, "using 512"), "stderr: %s", err);
    CHECKF(strstr(err, "LANGFUSE_SECRET_KEY"), "stderr: %s", err);
    CHECKF(strstr(err, "otel.example.com"), "stderr: %s", err);
    CHECKF(!strstr(err, "pasted") && !strstr(err, "pk-lf-public") && !strstr(err, "hdr-secret") &&
               !strstr(err, "pw-secret") && !strstr(err, "q-secret"),
           "stderr leaks a value: %s", err);
    free(err);
}

static void config_should_percent_decode_otlp_headers(void)
{
    struct lt_config c;
    config_clean_env();
    setenv("OTEL_EXPORTER_OTLP_HEADERS",
           "api-key=abc%20def, X-Tenant = t%2C1 ,novalue,=empty,Bad Name=x,x-inject=a%0D%0AHost:%20evil,"
           "x-pct=100%,x-nul=a%00b",
           1);
    config_load(&c);
    CHECK_INT(c.n_headers, 3);
    CHECK_STR(c.headers[0], "api-key: abc def");
    CHECK_STR(c.headers[1], "X-Tenant: t,1");
    CHECK_STR(c.headers[2], "x-pct: 100%");
    lt_config_free(&c);
}

static void config_should_cap_the_number_of_headers(void)
{
    struct lt_config c;
    char v[2048] = "";
    config_clean_env();
    for (int i = 0; i < LT_CONFIG_MAX_HEADERS + 5; i++)
        snprintf(v + strlen(v), sizeof v - strlen(v), "%sh%d=v%d", i ? "," : "", i, i);
    setenv("OTEL_EXPORTER_OTLP_HEADERS", v, 1);
    config_load(&c);
    CHECK_INT(c.n_headers, LT_CONFIG_MAX_HEADERS);
    CHECK_STR(c.headers[0], "h0: v0");
    lt_config_free(&c);
}

static void config_should_base64_the_langfuse_keys(void)
{
    struct lt_config c;
    config_clean_env();
    setenv("LANGFUSE_PUBLIC_KEY", "pk-lf-0000-1111", 1);
    setenv("LANGFUSE_SECRET_KEY", "sk-lf-secret-xyz", 1);
    setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-extra=1", 1);
    config_load(&c);
    CHECK_STR(c.auth_header, "Authorization: Basic cGstbGYtMDAwMC0xMTExOnNrLWxmLXNlY3JldC14eXo=");
    CHECK_INT(c.n_headers, 1); /* the v4 and auth headers are not in headers[] */
    CHECK_STR(LT_CONFIG_V4_HEADER, "x-langfuse-ingestion-version: 4");
    lt_config_free(&c);
}

static void config_should_disable_on_false_in_any_case(void)
{
    struct lt_config c;
    config_clean_env();
    setenv("LANGFUSE_TRACING_ENABLED", "FaLsE", 1);
    CHECK(!lt_config_enabled());
    config_load(&c);
    CHECK(!c.enabled);
    lt_config_free(&c);
}

static void config_should_stay_enabled_unless_false(void)
{
    struct lt_config c;
    config_clean_env();
    setenv("LANGFUSE_TRACING_ENABLED", "0", 1);
    CHECK(lt_config_enabled());
    config_load(&c);
    CHECK(c.enabled);
    lt_config_free(&c);
}

static void config_enabled_should_not_allocate_and_should_cache(void)
{
    config_clean_env();
    uint64_t before = lt_mem_count();
    CHECK(lt_config_enabled());
    setenv("LANGFUSE_TRACING_ENABLED", "false", 1); /* read once: later changes do not count */
    CHECK(lt_config_enabled());
    CHECK_INT(lt_mem_count(), before);
}

static void config_should_parse_tags(void)
{
    struct lt_config c;
    config_clean_env();
    setenv("LLMTAP_TAGS", " batch, nightly,,batch , eu-west ,", 1);
    config_load(&c);
    CHECK_INT(c.n_tags, 3);
    CHECK_STR(c.tags[0], "batch");
    CHECK_STR(c.tags[1], "nightly");
    CHECK_STR(c.tags[2], "eu-west");
    lt_config_free(&c);
}

static const char *config_meta(const struct lt_config *c, const char *key)
{
    for (int i = 0; i < c->n_metadata; i++)
        if (!strcmp(c->metadata[i].key, key))
            return c->metadata[i].value;
    return NULL;
}

static void config_should_parse_json_metadata(void)
{
    struct lt_config c;
    config_clean_env();
    setenv("LLMTAP_METADATA",
           " {\"team\": \"search\", \"tier\": 2, \"ratio\": -1.5e3, \"beta\": true, \"gone\": null,"
           " \"u\": \"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\"\", \"team\": \"ranking\"} ",
           1);
    config_load(&c);
    CHECK_INT(c.n_metadata, 5);
    CHECK_STR(config_meta(&c, "team"), "ranking"); /* the last one wins, once */
    CHECK_STR(config_meta(&c, "tier"), "2");
    CHECK_STR(config_meta(&c, "ratio"), "-1.5e3");
    CHECK_STR(config_meta(&c, "beta"), "true");
    CHECK(config_meta(&c, "gone") == NULL);
    CHECK_STR(config_meta(&c, "u"), "caf\xC3\xA9 \xF0\x9F\x98\x80 \"q\"");
    lt_config_free(&c);
}

static void config_should_parse_key_value_metadata(void)
{
    struct lt_config c;
    config_clean_env();
    setenv("LLMTAP_METADATA", "team=search, odd=a%3Db%2Cc ,flag", 1);
    config_load(&c);
    CHECK_INT(c.n_metadata, 2);
    CHECK_STR(config_meta(&c, "team"), "search");
    CHECK_STR(config_meta(&c, "odd"), "a=b,c");
    lt_config_free(&c);
}

static void config_should_reject_malformed_json_metadata(void)
{
    static const char *const bad[] = {
        "{\"a\":1", "{\"a\":[1]}", "{a:1}", "{\"a\":1,}", "{\"a\":\"\\x\"}", "{\"a\":01}", "{\"a\":1} x",
        "{\"a\":\"\\ud800\"}",
    };
    config_clean_env();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct lt_config c;
        setenv("LLMTAP_METADATA", bad[i], 1);
        config_load(&c);
        CHECKF(c.n_metadata == 0, "accepted %s", bad[i]);
        lt_config_free(&c);
    }
}

static void config_should_read_trace_attributes(void)
{
    struct lt_config c;
    config_clean_env();
    setenv("LLMTAP_TRACE_ID", "5B8EFFF798038103D269B633813FC60C", 1);
    setenv("LLMTAP_TRACE_NAME", "nightly batch", 1);
    setenv("LLMTAP_USER_ID", "alice", 1);
    setenv("LLMTAP_SESSION_ID", "s-1", 1);
    setenv("LANGFUSE_RELEASE", "app-1.4.2", 1);
    setenv("LANGFUSE_TRACING_ENVIRONMENT", "production", 1);
    setenv("OTEL_SERVICE_NAME", "billing", 1);
    setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=prod, team=a%20b", 1);
    setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ssl/private-ca.pem", 1);
    setenv("LLMTAP_SEND_COST", "TRUE", 1);
    config_load(&c);
    CHECK_STR(c.trace_id, "5b8efff798038103d269b633813fc60c");
    CHECK_STR(c.trace_name, "nightly batch");
    CHECK_STR(c.user_id, "alice");
    CHECK_STR(c.session_id, "s-1");
    CHECK_STR(c.release, "app-1.4.2");
    CHECK_STR(c.environment, "production");
    CHECK_STR(c.service_name, "billing");
    CHECK_INT(c.n_resource_attrs, 2);
    CHECK_STR(c.resource_attrs[0].key, "deployment.environment.name");
    CHECK_STR(c.resource_attrs[0].value, "prod");
    CHECK_STR(c.resource_attrs[1].value, "a b");
    CHECK_STR(c.ca_file, "/etc/ssl/private-ca.pem");
    CHECK(c.send_cost);
    lt_config_free(&c);
}

static void config_should_say_once_that_only_http_json_is_sent(void)
{
    config_clean_env();
    setenv("LANGFUSE_DEBUG", "1", 1);
    lt_log_reset();
    setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", 1);
    char *err = config_capture_stderr(config_load_and_free);
    CHECKF(strstr(err, "http/json") && strstr(err, "grpc"), "stderr: %s", err);
    char *again = config_capture_stderr(config_load_and_free);
    CHECKF(!strstr(again, "http/json"), "said twice: %s", again);
    free(err);
    free(again);
    setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", 1);
    lt_log_reset();
    err = config_capture_stderr(config_load_and_free);
    CHECKF(!strstr(err, "http/json"), "stderr: %s", err);
    free(err);
}

static int config_mode(const char *path)
{
    struct stat st;
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    return (int)(st.st_mode & 07777);
}

static void config_state_dir_should_be_created_0700_under_home(void)
{
    char dir[512], want[512];
    config_clean_env();
    umask(022);
    CHECK_INT(lt_config_state_dir(dir, sizeof dir, false), LT_OK);
    snprintf(want, sizeof want, "%s/.local/state/llmtap", config_tmp);
    CHECK_STR(dir, want);
    struct stat st;
    CHECK(stat(dir, &st) != 0); /* create=false creates nothing */
    CHECK_INT(lt_config_state_dir(dir, sizeof dir, true), LT_OK);
    CHECK_INT(config_mode(dir), 0700);
    snprintf(want, sizeof want, "%s/.local", config_tmp);
    CHECK_INT(config_mode(want), 0700);
    CHECK_INT(lt_config_state_dir(dir, sizeof dir, true), LT_OK); /* exists: fine */
}

static void config_state_dir_should_follow_xdg_state_home(void)
{
    char dir[512], xdg[400], want[512];
    config_clean_env();
    umask(0277); /* even a umask that takes the owner's write bit */
    snprintf(xdg, sizeof xdg, "%s/xdg", config_tmp);
    setenv("XDG_STATE_HOME", xdg, 1);
    CHECK_INT(lt_config_state_dir(dir, sizeof dir, true), LT_OK);
    snprintf(want, sizeof want, "%s/llmtap", xdg);
    CHECK_STR(dir, want);
    CHECK_INT(config_mode(dir), 0700);
    /* a relative XDG_STATE_HOME is ignored (never the working directory) */
    setenv("XDG_STATE_HOME", "relative/state", 1);
    CHECK_INT(lt_config_state_dir(dir, sizeof dir, false), LT_OK);
    snprintf(want, sizeof want, "%s/.local/state/llmtap", config_tmp);
    CHECK_STR(dir, want);
    CHECK_INT(lt_config_state_dir(dir, 8, false), LT_ERR_NOMEM);
}

static void config_state_dir_should_fail_on_a_file_in_the_way(void)
{
    char dir[512], path[512];
    config_clean_env();
    snprintf(path, sizeof path, "%s/.local", config_tmp);
    int fd = open(path, O_WRONLY | O_CREAT, 0600);
    CHECK(fd >= 0);
    close(fd);
    CHECK_INT(lt_config_state_dir(dir, sizeof dir, true), LT_ERR_IO);
}

static void config_get_should_load_once(void)
{
    config_clean_env();
    setenv("LLMTAP_USER_ID", "first", 1);
    const struct lt_config *a = lt_config_get();
    setenv("LLMTAP_USER_ID", "second", 1);
    const struct lt_config *b = lt_config_get();
    CHECK(a == b);
    CHECK_STR(b->user_id, "first");
}

static void config_load_should_survive_every_allocation_failure(void)
{
    config_clean_env();
    setenv("LANGFUSE_PUBLIC_KEY", "pk-lf-1", 1);
    setenv("LANGFUSE_SECRET_KEY", "sk-lf-22", 1);
    setenv("OTEL_EXPORTER_OTLP_HEADERS", "a=1,b=2", 1);
    setenv("LLMTAP_TAGS", "x,y", 1);
    setenv("LLMTAP_METADATA", "{\"k\":\"v\",\"n\":1}", 1);
    setenv("OTEL_RESOURCE_ATTRIBUTES", "r=1", 1);
    setenv("LLMTAP_USER_ID", "u", 1);
    int64_t live = lt_mem_live_bytes();
    int failed = 0;
    for (uint64_t k = 1; k < 200; k++) {
        struct lt_config c;
        lt_mem_fail_at(k);
        enum lt_rc rc = lt_config_load(&c);
        uint64_t used = lt_mem_count();
        lt_mem_fail_at(0);
        CHECK(rc == LT_OK || rc == LT_ERR_NOMEM);
        if (rc == LT_OK && used < k) {
            lt_config_free(&c);
            break; /* no allocation left to fail */
        }
        failed += rc != LT_OK;
        lt_config_free(&c);
        CHECK_INT(lt_mem_live_bytes(), live);
    }
    CHECK(failed > 10);
}

static const struct tap_case cases[] = {
    TAP(config_should_use_defaults_and_jsonl_in_the_state_dir),
    TAP(config_should_prefer_the_traces_endpoint),
    TAP(config_should_append_v1_traces_to_the_otlp_endpoint),
    TAP(config_should_use_langfuse_base_url_over_host),
    TAP(config_should_need_both_langfuse_keys),
    TAP(config_should_ignore_an_endpoint_that_is_not_a_url),
    TAP(config_should_parse_float_seconds_without_the_locale),
    TAP(config_should_use_defaults_for_bad_values),
    TAP(config_should_name_the_variable_but_never_a_secret_value),
    TAP(config_should_percent_decode_otlp_headers),
    TAP(config_should_cap_the_number_of_headers),
    TAP(config_should_base64_the_langfuse_keys),
    TAP(config_should_disable_on_false_in_any_case),
    TAP(config_should_stay_enabled_unless_false),
    TAP(config_enabled_should_not_allocate_and_should_cache),
    TAP(config_should_parse_tags),
    TAP(config_should_parse_json_metadata),
    TAP(config_should_parse_key_value_metadata),
    TAP(config_should_reject_malformed_json_metadata),
    TAP(config_should_read_trace_attributes),
    TAP(config_should_say_once_that_only_http_json_is_sent),
    TAP(config_state_dir_should_be_created_0700_under_home),
    TAP(config_state_dir_should_follow_xdg_state_home),
    TAP(config_state_dir_should_fail_on_a_file_in_the_way),
    TAP(config_get_should_load_once),
    TAP(config_load_should_survive_every_allocation_failure),
};

int main(int argc, char **argv)
{
    char cmd[512];
    snprintf(config_base, sizeof config_base, "/tmp/lt-config-XXXXXX");
    if (!mkdtemp(config_base)) {
        perror("mkdtemp");
        return 1;
    }
    int rc = tap_main(argc, argv, cases, TAP_N(cases));
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' && rm -rf '%s'", config_base, config_base);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", config_base);
    return rc;
}
