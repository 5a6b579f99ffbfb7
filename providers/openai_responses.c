/* openai_responses.c — the OpenAI Responses API (POST .../responses; Azure
 * /openai/responses and /openai/v1/responses): request (model, input,
 * instructions, tools, parameters), the Response object answered whole, its
 * typed SSE events (response.created ... response.completed, .failed,
 * .incomplete, error), usage from the final response object.
 *
 * Owns the per-call state (struct resp_call): output items assembled from
 * stream deltas, replaced by the final response object's `output` when one
 * arrives (the completed object is the provider's own assembly: it wins).
 * Never keeps raw events, never copies an item's bulky opaque members
 * (encrypted reasoning, generated images), never copies the URL. Background
 * thread (and tests); lt_openai_responses_path on any thread.
 */
#include "openai.h"

#include <stdio.h>
#include <string.h>

#include "../shim/buf.h"
#include "../shim/json.h"
#include "../shim/mem.h"
#include "framing.h"
#include "generation.h"
#include "openai_private.h"

/* Output items one response may hold: a few in practice (reasoning, a
 * message, some calls); an output_index past this is ignored, so a hostile
 * index cannot make us allocate. */
#define RESP_ITEMS_MAX 256

struct resp_item {
    long long index;        /* output_index: the item's place in `output` */
    char *type, *id, *call_id, *name, *role;
    struct lt_buf text;     /* message: output_text parts; function_call: arguments;
                               custom_tool_call: input */
    struct lt_buf refusal;  /* message: refusal parts */
    struct lt_buf summary;  /* reasoning: summary_text parts */
    struct lt_buf rcontent; /* reasoning: reasoning_text content (open-weight models) */
    char *json;             /* any other item type: the item as sent, opaque
                               payloads left out (resp_write_item) */
};

struct resp_call {
    char *deployment;       /* Azure /openai/deployments/{d}/ */
    bool azure;
    bool stream_req;
    long status;            /* HTTP status */
    struct resp_item *items;
    int n_items, cap_items;
    char *id, *model, *state, *tier, *incomplete;
    bool has_usage;
    struct openai_usage usage;
    bool final;             /* a final response object arrived (completed,
                               failed, incomplete, or the whole answer) */
    bool has_output;        /* the whole answer had an `output` array */
    bool error;             /* an error event or error object */
    unsigned long long events, bad_events;
    bool oom;
};

bool lt_openai_responses_path(const char *path, size_t n)
{
    static const char tail[] = "/responses";
    size_t t = sizeof tail - 1;
    return n >= t && memcmp(path + n - t, tail, t) == 0;
}

/* ---- request ------------------------------------------------------------- */

/* The conversation: what is said (input, instructions), what it continues
 * (previous_response_id, conversation, a stored prompt) and the tools
 * offered. Everything else is a parameter. */
static const char *const resp_input_keys[] = {
    "instructions", "input", "tools", "tool_choice", "prompt", "previous_response_id", "conversation",
};
static const struct openai_request_shape resp_shape = {
    .split = { .input = resp_input_keys, .n_input = sizeof resp_input_keys / sizeof resp_input_keys[0] },
    .count = 1, /* input */
    .count_mode = OPENAI_COUNT_ITEMS,
};

static void resp_free(void *state);

static enum lt_rc resp_request(const struct lt_parse_in *in, struct lt_generation *g, void **state)
{
    *state = NULL;
    cJSON *j = in->req && in->req_len ? lt_cj.ParseWithLength(in->req, in->req_len) : NULL;
    bool obj = lt_pj_is(j, cJSON_Object);
    /* A host we do not know is an LLM only if the body says so: a model and
     * an input (a string or a list of items). */
    const cJSON *input = lt_pj_child(j, "input");
    if (!in->known_host && !(obj && lt_pj_str(lt_pj_child(j, "model")) &&
                             (lt_pj_is(input, cJSON_String) || lt_pj_is(input, cJSON_Array)))) {
        if (j)
            lt_cj.Delete(j);
        return LT_ERR_SKIP;
    }
    struct resp_call *r = lt_calloc(1, sizeof *r);
    if (!r) {
        if (j)
            lt_cj.Delete(j);
        return LT_ERR_NOMEM;
    }
    if (obj)
        lt_openai_read_request(j, &resp_shape, g, &r->oom);
    if (j)
        lt_cj.Delete(j);
    r->stream_req = g->stream;
    r->deployment = lt_openai_deployment(in->url, &r->oom);
    r->azure = in->provider && strcmp(in->provider, "azure") == 0;
    r->status = in->http_status;
    if (r->oom) {
        resp_free(r);
        lt_generation_free(g);
        return LT_ERR_NOMEM;
    }
    *state = r;
    return LT_OK;
}

static int resp_framing(void *state, const char *content_type, int first)
{
    struct resp_call *r = state;
    return lt_openai_framing(content_type, first, r->status, r->stream_req);
}

/* ---- items ------------------------------------------------------------------ */

static void resp_item_clear(struct resp_item *it)
{
    lt_free(it->type);
    lt_free(it->id);
    lt_free(it->call_id);
    lt_free(it->name);
    lt_free(it->role);
    lt_free(it->json);
    lt_buf_free(&it->text);
    lt_buf_free(&it->refusal);
    lt_buf_free(&it->summary);
    lt_buf_free(&it->rcontent);
    long long index = it->index;
    memset(it, 0, sizeof *it);
    it->index = index;
    lt_buf_init(&it->text, 0);
    lt_buf_init(&it->refusal, 0);
    lt_buf_init(&it->summary, 0);
    lt_buf_init(&it->rcontent, 0);
}

static struct resp_item *resp_item_at(struct resp_call *r, long long index)
{
    for (int i = 0; i < r->n_items; i++)
        if (r->items[i].index == index)
            return &r->items[i];
    if (index < 0 || index >= RESP_ITEMS_MAX)
        return NULL;
    struct resp_item *grown = lt_pj_room(r->items, r->n_items, &r->cap_items, sizeof *grown, 4, &r->oom);
    if (!grown)
        return NULL;
    r->items = grown;
    struct resp_item *it = &r->items[r->n_items++];
    memset(it, 0, sizeof *it);
    it->index = index;
    resp_item_clear(it);
    return it;
}

/* The item an event names: by output_index, else by item_id. */
static struct resp_item *resp_item_of(struct resp_call *r, const cJSON *ev)
{
    long long idx;
    if (lt_pj_int(lt_pj_child(ev, "output_index"), &idx))
        return resp_item_at(r, idx);
    const char *id = lt_pj_str(lt_pj_child(ev, "item_id"));
    for (int i = 0; id && i < r->n_items; i++)
        if (r->items[i].id && strcmp(r->items[i].id, id) == 0)
            return &r->items[i];
    return NULL;
}

static bool resp_type_is(const struct resp_item *it, const char *type)
{
    return it->type && strcmp(it->type, type) == 0;
}

/* An item whose type an event implies, when no output_item.added said it. */
static void resp_default_type(struct resp_call *r, struct resp_item *it, const char *type)
{
    if (!it->type)
        it->type = lt_pj_dup(type, &r->oom);
}

/* Text of each part of `parts` whose type is `type`, from member `field`. */
static void resp_parts(struct resp_call *r, struct lt_buf *b, const cJSON *parts, const char *type, const char *field)
{
    if (!lt_pj_is(parts, cJSON_Array))
        return;
    for (const cJSON *p = parts->child; p; p = p->next) {
        const char *t = lt_pj_str(lt_pj_child(p, "type"));
        if (t && strcmp(t, type) == 0)
            lt_pj_appends(b, lt_pj_str(lt_pj_child(p, field)), &r->oom);
    }
}

/* Members of an item that are opaque payloads, not conversation: left out
 * of the output (encrypted reasoning) or told by size only (a generated
 * image's base64). */
static void resp_write_item(struct lt_buf *b, const cJSON *item)
{
    lt_buf_addc(b, '{');
    bool first = true;
    for (const cJSON *c = item->child; c; c = c->next) {
        if (!c->string || lt_pj_key(c, "encrypted_content"))
            continue;
        if (!first)
            lt_buf_addc(b, ',');
        first = false;
        lt_buf_json_strz(b, c->string);
        lt_buf_addc(b, ':');
        if (lt_pj_key(c, "result") && lt_pj_str(c)) {
            char note[64];
            snprintf(note, sizeof note, "[base64 omitted: %zu bytes]", strlen(lt_pj_str(c)));
            lt_buf_json_strz(b, note);
        } else {
            lt_provider_json_write(b, c);
        }
    }
    lt_buf_addc(b, '}');
}

/* An item given whole (output_item.done, or a final response's output):
 * it replaces whatever deltas built. */
static void resp_item_fill(struct resp_call *r, struct resp_item *it, const cJSON *item)
{
    resp_item_clear(it);
    if (!lt_pj_is(item, cJSON_Object))
        return;
    lt_pj_keep_last(&it->type, lt_pj_str(lt_pj_child(item, "type")), &r->oom);
    lt_pj_keep_last(&it->id, lt_pj_str(lt_pj_child(item, "id")), &r->oom);
    lt_pj_keep_last(&it->call_id, lt_pj_str(lt_pj_child(item, "call_id")), &r->oom);
    lt_pj_keep_last(&it->name, lt_pj_str(lt_pj_child(item, "name")), &r->oom);
    lt_pj_keep_last(&it->role, lt_pj_str(lt_pj_child(item, "role")), &r->oom);
    if (resp_type_is(it, "message")) {
        const cJSON *content = lt_pj_child(item, "content");
        resp_parts(r, &it->text, content, "output_text", "text");
        resp_parts(r, &it->refusal, content, "refusal", "refusal");
    } else if (resp_type_is(it, "function_call")) {
        const cJSON *a = lt_pj_child(item, "arguments");
        if (lt_pj_str(a))
            lt_pj_appends(&it->text, lt_pj_str(a), &r->oom);
        else if (lt_pj_is(a, cJSON_Object) || lt_pj_is(a, cJSON_Array))
            lt_provider_json_write(&it->text, a); /* servers that send parsed arguments */
    } else if (resp_type_is(it, "custom_tool_call")) {
        lt_pj_appends(&it->text, lt_pj_str(lt_pj_child(item, "input")), &r->oom);
    } else if (resp_type_is(it, "reasoning")) {
        resp_parts(r, &it->summary, lt_pj_child(item, "summary"), "summary_text", "text");
        resp_parts(r, &it->rcontent, lt_pj_child(item, "content"), "reasoning_text", "text");
    } else {
        struct lt_buf b;
        lt_buf_init(&b, 0);
        resp_write_item(&b, item);
        it->json = lt_pj_steal(&b, &r->oom);
        lt_buf_free(&b);
    }
    if (it->text.oom || it->refusal.oom || it->summary.oom || it->rcontent.oom)
        r->oom = true;
}

/* ---- the response object ---------------------------------------------------- */

/* A Response object: from response.created / .in_progress (final false), a
 * final event or the whole answer (final true). Later values win. */
static void resp_response(struct resp_call *r, struct lt_generation *g, const cJSON *resp, bool final)
{
    if (!lt_pj_is(resp, cJSON_Object))
        return;
    const cJSON *output = NULL;
    for (const cJSON *c = resp->child; c; c = c->next) {
        if (lt_pj_key(c, "id"))
            lt_pj_keep_last(&r->id, lt_pj_str(c), &r->oom);
        else if (lt_pj_key(c, "model"))
            lt_pj_keep_last(&r->model, lt_pj_str(c), &r->oom); /* an Azure stream may open with "" */
        else if (lt_pj_key(c, "status"))
            lt_pj_keep_last(&r->state, lt_pj_str(c), &r->oom);
        else if (lt_pj_key(c, "service_tier"))
            lt_pj_keep_last(&r->tier, lt_pj_str(c), &r->oom);
        else if (lt_pj_key(c, "usage") && lt_pj_is(c, cJSON_Object)) {
            lt_openai_usage_read(&r->usage, c, true);
            r->has_usage = true;
        } else if (lt_pj_key(c, "error") && (lt_pj_is(c, cJSON_Object) || lt_pj_is(c, cJSON_String))) {
            if (lt_openai_error_object(g, c))
                r->error = true;
        } else if (lt_pj_key(c, "incomplete_details")) {
            lt_pj_keep_last(&r->incomplete, lt_pj_str(lt_pj_child(c, "reason")), &r->oom);
        } else if (lt_pj_key(c, "output") && !output) {
            output = c;
        }
    }
    if (!final)
        return;
    r->final = true;
    if (lt_pj_is(output, cJSON_Array))
        r->has_output = true;
    /* The provider's own assembly replaces ours, unless it is empty (a
     * server that streams items but closes with a bare response). */
    if (!lt_pj_is(output, cJSON_Array) || !output->child)
        return;
    for (int i = 0; i < r->n_items; i++)
        resp_item_clear(&r->items[i]);
    r->n_items = 0;
    long long k = 0;
    for (const cJSON *el = output->child; el; el = el->next, k++) {
        struct resp_item *it = resp_item_at(r, k);
        if (it)
            resp_item_fill(r, it, el);
    }
}

/* ---- stream events ------------------------------------------------------------ */

static bool resp_is(const char *type, const char *name)
{
    return strcmp(type, name) == 0;
}

/* An error event: flat ({"type":"error","code":...,"message":...}) or
 * nested ({"type":"error","error":{...}}). Its `type` names the event, not
 * the error, so it never stands in for a message. */
static void resp_error_event(struct resp_call *r, struct lt_generation *g, const cJSON *ev)
{
    const cJSON *err = lt_pj_child(ev, "error");
    const char *msg = lt_pj_str(lt_pj_child(ev, "message"));
    const char *code = lt_pj_str(lt_pj_child(ev, "code"));
    if ((lt_pj_is(err, cJSON_Object) || lt_pj_is(err, cJSON_String)) && lt_openai_error_object(g, err))
        ; /* said */
    else if (msg && *msg)
        lt_generation_set_status(g, LT_LEVEL_ERROR, "%s", msg);
    else if (code && *code)
        lt_generation_set_status(g, LT_LEVEL_ERROR, "error event in the response stream: %s", code);
    else
        lt_generation_set_status(g, LT_LEVEL_ERROR, "error event in the response stream");
    r->error = true;
}

static void resp_event(struct resp_call *r, struct lt_generation *g, const char *type, const cJSON *ev)
{
    /* function_call and custom_tool_call stream alike: arguments / input */
    bool fn = strncmp(type, "response.function_call_arguments.", 33) == 0;
    bool custom = strncmp(type, "response.custom_tool_call_input.", 32) == 0;
    if (resp_is(type, "response.output_text.delta")) {
        struct resp_item *it = resp_item_of(r, ev);
        if (it) {
            resp_default_type(r, it, "message");
            lt_pj_appends(&it->text, lt_pj_str(lt_pj_child(ev, "delta")), &r->oom);
        }
    } else if ((fn || custom) && resp_is(strrchr(type, '.'), ".delta")) {
        struct resp_item *it = resp_item_of(r, ev);
        if (it) {
            resp_default_type(r, it, fn ? "function_call" : "custom_tool_call");
            lt_pj_appends(&it->text, lt_pj_str(lt_pj_child(ev, "delta")), &r->oom);
        }
    } else if ((fn || custom) && resp_is(strrchr(type, '.'), ".done")) {
        /* the whole value: it replaces the pieces */
        struct resp_item *it = resp_item_of(r, ev);
        const char *v = lt_pj_str(lt_pj_child(ev, fn ? "arguments" : "input"));
        if (it && v) {
            resp_default_type(r, it, fn ? "function_call" : "custom_tool_call");
            lt_buf_reset(&it->text);
            lt_pj_appends(&it->text, v, &r->oom);
            if (!it->name)
                lt_pj_keep_last(&it->name, lt_pj_str(lt_pj_child(ev, "name")), &r->oom);
        }
    } else if (resp_is(type, "response.reasoning_summary_text.delta")) {
        struct resp_item *it = resp_item_of(r, ev);
        if (it) {
            resp_default_type(r, it, "reasoning");
            lt_pj_appends(&it->summary, lt_pj_str(lt_pj_child(ev, "delta")), &r->oom);
        }
    } else if (resp_is(type, "response.reasoning_text.delta")) {
        struct resp_item *it = resp_item_of(r, ev);
        if (it) {
            resp_default_type(r, it, "reasoning");
            lt_pj_appends(&it->rcontent, lt_pj_str(lt_pj_child(ev, "delta")), &r->oom);
        }
    } else if (resp_is(type, "response.refusal.delta")) {
        struct resp_item *it = resp_item_of(r, ev);
        if (it) {
            resp_default_type(r, it, "message");
            lt_pj_appends(&it->refusal, lt_pj_str(lt_pj_child(ev, "delta")), &r->oom);
        }
    } else if (resp_is(type, "response.output_item.added")) {
        /* who the item is; its content comes as deltas, then whole */
        struct resp_item *it = resp_item_of(r, ev);
        const cJSON *item = lt_pj_child(ev, "item");
        if (it && lt_pj_is(item, cJSON_Object)) {
            if (!it->type)
                lt_pj_keep_last(&it->type, lt_pj_str(lt_pj_child(item, "type")), &r->oom);
            if (!it->id)
                lt_pj_keep_last(&it->id, lt_pj_str(lt_pj_child(item, "id")), &r->oom);
            if (!it->call_id)
                lt_pj_keep_last(&it->call_id, lt_pj_str(lt_pj_child(item, "call_id")), &r->oom);
            if (!it->name)
                lt_pj_keep_last(&it->name, lt_pj_str(lt_pj_child(item, "name")), &r->oom);
            if (!it->role)
                lt_pj_keep_last(&it->role, lt_pj_str(lt_pj_child(item, "role")), &r->oom);
        }
    } else if (resp_is(type, "response.output_item.done")) {
        struct resp_item *it = resp_item_of(r, ev);
        const cJSON *item = lt_pj_child(ev, "item");
        if (it && lt_pj_is(item, cJSON_Object))
            resp_item_fill(r, it, item);
    } else if (resp_is(type, "response.completed") || resp_is(type, "response.failed") ||
               resp_is(type, "response.incomplete")) {
        resp_response(r, g, lt_pj_child(ev, "response"), true);
    } else if (resp_is(type, "response.created") || resp_is(type, "response.in_progress") ||
               resp_is(type, "response.queued")) {
        resp_response(r, g, lt_pj_child(ev, "response"), false);
    } else if (resp_is(type, "error") || resp_is(type, "response.error")) {
        resp_error_event(r, g, ev);
    }
    /* the rest (content_part.*, *.done texts, annotations, built-in tool
     * progress) repeats what the items carry */
}

static bool resp_frame_event_is(const struct lt_frame *f, const char *name)
{
    size_t n = strlen(name);
    return f->event_len == n && memcmp(f->event, name, n) == 0;
}

static void resp_frame(void *state, struct lt_generation *g, const struct lt_frame *f)
{
    struct resp_call *r = state;
    const char *d = f->data;
    size_t n = f->len;
    if (!lt_pj_trim(&d, &n))
        return;
    if (n == 6 && memcmp(d, "[DONE]", 6) == 0)
        return; /* some compatible servers end this stream as chat's */
    r->events++;
    bool error_event = resp_frame_event_is(f, "error");
    cJSON *j = lt_cj.ParseWithLength(d, n);
    if (lt_pj_is(j, cJSON_Object)) {
        /* the type in the data is the event; the SSE name says the same
         * where a server sends one */
        const char *type = lt_pj_str(lt_pj_child(j, "type"));
        char name[LT_SSE_EVENT_MAX + 1];
        if (!type && !resp_frame_event_is(f, "message")) {
            size_t k = f->event_len < LT_SSE_EVENT_MAX ? f->event_len : LT_SSE_EVENT_MAX;
            memcpy(name, f->event, k);
            name[k] = '\0';
            type = name;
        }
        if (error_event && !(type && (resp_is(type, "error") || resp_is(type, "response.error"))))
            type = "error";
        if (type)
            resp_event(r, g, type, j);
    } else if (error_event) {
        lt_pj_error_text(g, 0, d, n);
        r->error = true;
    } else {
        r->bad_events++;
    }
    if (j)
        lt_cj.Delete(j);
}

/* ---- the end ------------------------------------------------------------------ */

/* What the final status says. Failed is an error. Incomplete (stopped by
 * max_output_tokens or content_filter) and cancelled are how the answer
 * ended, as chat's finish_reason "length" is: level DEFAULT, as the fixtures
 * README defines levels (ERROR for HTTP >= 400 or an error in the stream);
 * finish_reason and the incomplete_reason metadata say it. */
static void resp_status_level(struct resp_call *r, struct lt_generation *g)
{
    if (r->state && strcmp(r->state, "failed") == 0) {
        if (!r->error)
            lt_generation_set_status(g, LT_LEVEL_ERROR, "response failed");
        r->error = true;
    }
}

static void resp_whole(struct resp_call *r, const struct lt_parse_end *e, struct lt_generation *g)
{
    cJSON *j = e->body_len ? lt_cj.ParseWithLength(e->body, e->body_len) : NULL;
    if (e->http_status >= 400) {
        lt_openai_http_error(g, e->http_status, j, e->body, e->body_len);
        r->error = true;
    } else if (lt_pj_is(j, cJSON_Object)) {
        resp_response(r, g, j, true);
        resp_status_level(r, g);
        if (!r->error && !r->has_output && !r->state && e->complete)
            LT_PJ_WARN(g, "response has no output (%llu bytes)", e->bytes);
    } else if (e->complete && e->http_status != 0) {
        if (e->body_truncated)
            LT_PJ_WARN(g, "response body passed its cap and was cut (%llu bytes)", e->bytes);
        else if (e->body_len == 0)
            LT_PJ_WARN(g, "response body is empty (%llu bytes)", e->bytes);
        else if (j)
            LT_PJ_WARN(g, "response is JSON but not a response object (%llu bytes)", e->bytes);
        else
            LT_PJ_WARN(g, "response is not JSON (%llu bytes)", e->bytes);
    }
    if (j)
        lt_cj.Delete(j);
}

static void resp_stream_end(struct resp_call *r, const struct lt_parse_end *e, struct lt_generation *g)
{
    if (e->http_status >= 400 && !r->error) {
        lt_generation_set_status(g, LT_LEVEL_ERROR, "HTTP %ld", e->http_status);
        r->error = true;
    }
    if (r->final)
        resp_status_level(r, g);
    if (!e->complete)
        return; /* the caller reports the transfer error; keep what arrived */
    if (r->bad_events)
        LT_PJ_WARN(g, "%llu of %llu stream events are not JSON (%llu bytes)", r->bad_events, r->events, e->bytes);
    if (e->frames_skipped)
        LT_PJ_WARN(g, "%llu stream events over the %zu-byte cap were skipped (%llu bytes)", e->frames_skipped,
                    (size_t)LT_FRAME_CAP, e->bytes);
    if (!r->final && !r->error) {
        if (r->events == 0)
            LT_PJ_WARN(g, "stream holds no events (%llu bytes)", e->bytes);
        else
            LT_PJ_WARN(g, "stream ended without response.completed (%llu bytes)", e->bytes);
    }
}

static void resp_sort(struct resp_call *r)
{
    for (int i = 1; i < r->n_items; i++) {
        struct resp_item t = r->items[i];
        int k = i;
        for (; k > 0 && r->items[k - 1].index > t.index; k--)
            r->items[k] = r->items[k - 1];
        r->items[k] = t;
    }
}

static bool resp_is_call(const struct resp_item *it)
{
    return resp_type_is(it, "function_call") || resp_type_is(it, "custom_tool_call");
}

/* One item as the API would list it in `output`, assembled. */
static void resp_item_json(struct lt_buf *b, const struct resp_item *it)
{
    if (it->json) {
        lt_buf_adds(b, it->json);
        return;
    }
    lt_buf_adds(b, "{\"type\":");
    lt_buf_json_strz(b, it->type ? it->type : "message");
    if (it->id) {
        lt_buf_adds(b, ",\"id\":");
        lt_buf_json_strz(b, it->id);
    }
    if (resp_is_call(it)) {
        lt_buf_adds(b, ",\"call_id\":");
        lt_buf_json_strz(b, it->call_id);
        lt_buf_adds(b, ",\"name\":");
        lt_buf_json_strz(b, it->name);
        lt_buf_adds(b, resp_type_is(it, "function_call") ? ",\"arguments\":" : ",\"input\":");
        lt_buf_json_str(b, it->text.data ? it->text.data : "", it->text.len);
    } else if (resp_type_is(it, "reasoning")) {
        lt_buf_adds(b, ",\"summary\":[");
        if (it->summary.len) {
            lt_buf_adds(b, "{\"type\":\"summary_text\",\"text\":");
            lt_buf_json_str(b, it->summary.data, it->summary.len);
            lt_buf_addc(b, '}');
        }
        lt_buf_addc(b, ']');
        if (it->rcontent.len) {
            lt_buf_adds(b, ",\"content\":[{\"type\":\"reasoning_text\",\"text\":");
            lt_buf_json_str(b, it->rcontent.data, it->rcontent.len);
            lt_buf_adds(b, "}]");
        }
    } else if (resp_type_is(it, "message") || !it->type) {
        lt_buf_adds(b, ",\"role\":");
        lt_buf_json_strz(b, it->role ? it->role : "assistant");
        lt_buf_adds(b, ",\"content\":[");
        bool any = false;
        if (it->text.len || !it->refusal.len) {
            lt_buf_adds(b, "{\"type\":\"output_text\",\"text\":");
            lt_buf_json_str(b, it->text.data ? it->text.data : "", it->text.len);
            lt_buf_addc(b, '}');
            any = true;
        }
        if (it->refusal.len) {
            lt_buf_adds(b, any ? ",{\"type\":\"refusal\",\"refusal\":" : "{\"type\":\"refusal\",\"refusal\":");
            lt_buf_json_str(b, it->refusal.data, it->refusal.len);
            lt_buf_addc(b, '}');
        }
        lt_buf_addc(b, ']');
    }
    lt_buf_addc(b, '}');
}

/* Joins the pieces `pick` chooses of every item, as valid UTF-8; NULL when
 * there are none. */
static char *resp_join(struct resp_call *r, const struct lt_buf *(*pick)(const struct resp_item *))
{
    struct lt_buf all;
    lt_buf_init(&all, 0);
    for (int i = 0; i < r->n_items; i++) {
        const struct lt_buf *b = pick(&r->items[i]);
        if (b && b->len)
            lt_buf_add(&all, b->data, b->len);
    }
    char *s = NULL;
    if (all.truncated)
        r->oom = true;
    else if (all.len)
        s = lt_pj_text(&all, &r->oom);
    lt_buf_free(&all);
    return s;
}

static const struct lt_buf *resp_pick_text(const struct resp_item *it)
{
    return resp_type_is(it, "message") || !it->type ? &it->text : NULL;
}

/* A reasoning item's summary; the raw reasoning where there is no summary. */
static const struct lt_buf *resp_pick_reasoning(const struct resp_item *it)
{
    if (!resp_type_is(it, "reasoning"))
        return NULL;
    return it->summary.len ? &it->summary : &it->rcontent;
}

static void resp_assemble(struct resp_call *r, struct lt_generation *g)
{
    resp_sort(r);
    g->response_model = r->model;
    r->model = NULL;
    lt_pj_pick_model(g, r->deployment, &r->oom);
    if (r->id && !(g->response_id = lt_strdup(r->id)))
        r->oom = true;
    if (r->state && !(g->finish_reason = lt_strdup(r->state)))
        r->oom = true;
    lt_pj_meta(g, "response_id", r->id, &r->oom);
    lt_pj_meta(g, "service_tier", r->tier, &r->oom);
    lt_pj_meta(g, "incomplete_reason", r->incomplete, &r->oom);
    lt_pj_meta(g, "azure_deployment", lt_openai_azure_deployment(g, r->deployment, r->azure), &r->oom);

    /* output_json first: the tool calls below take the items' strings */
    if (r->n_items) {
        struct lt_buf out;
        lt_buf_init(&out, 0);
        lt_buf_addc(&out, '[');
        for (int i = 0; i < r->n_items; i++) {
            if (i)
                lt_buf_addc(&out, ',');
            resp_item_json(&out, &r->items[i]);
        }
        lt_buf_addc(&out, ']');
        g->output_json = lt_pj_steal(&out, &r->oom);
        lt_buf_free(&out);
    }
    g->output_text = resp_join(r, resp_pick_text);
    g->reasoning_text = resp_join(r, resp_pick_reasoning);
    int calls = 0;
    for (int i = 0; i < r->n_items; i++)
        calls += resp_is_call(&r->items[i]);
    if (calls) {
        g->tool_calls = lt_calloc((size_t)calls, sizeof *g->tool_calls);
        if (!g->tool_calls)
            r->oom = true;
        for (int i = 0; g->tool_calls && i < r->n_items; i++) {
            struct resp_item *it = &r->items[i];
            if (!resp_is_call(it))
                continue;
            struct lt_tool_call *tc = &g->tool_calls[g->n_tool_calls++];
            tc->id = it->call_id; /* the id a function_call_output answers */
            tc->name = it->name;
            it->call_id = it->name = NULL;
            tc->arguments = lt_pj_text(&it->text, &r->oom);
        }
    }
    if (r->has_usage)
        lt_openai_usage_details(&r->usage, g);
}

static enum lt_rc resp_end(void *state, const struct lt_parse_end *e, struct lt_generation *g)
{
    struct resp_call *r = state;
    if (e->framed)
        resp_stream_end(r, e, g);
    else
        resp_whole(r, e, g);
    resp_assemble(r, g);
    return r->oom ? LT_ERR_NOMEM : LT_OK;
}

static void resp_free(void *state)
{
    struct resp_call *r = state;
    if (!r)
        return;
    for (int i = 0; i < r->n_items; i++)
        resp_item_clear(&r->items[i]); /* leaves empty buffers: nothing allocated */
    lt_free(r->items);
    lt_free(r->id);
    lt_free(r->model);
    lt_free(r->state);
    lt_free(r->tier);
    lt_free(r->incomplete);
    lt_free(r->deployment);
    lt_free(r);
}

/* gen_ai.operation.name "chat": the Responses API is chat completions'
 * successor (a conversation in, an assistant turn out), and the OpenTelemetry
 * GenAI instrumentations (OpenAI's, OpenLLMetry, OpenInference) report it as
 * chat; "generate_content" is the semantic conventions' name for Gemini-style
 * APIs. Dashboards that group by operation then see both OpenAI APIs alike. */
const struct lt_api_ops lt_openai_responses_ops = {
    .name = "openai.responses",
    .operation = "chat",
    .obs_type = "generation",
    .compat_provider = "openai-compatible",
    .confirm = { "model" },
    .match_path = lt_openai_responses_path,
    .request = resp_request,
    .framing = resp_framing,
    .frame = resp_frame,
    .end = resp_end,
    .free = resp_free,
};
