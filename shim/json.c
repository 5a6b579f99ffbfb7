/* json.c — loads libcjson.so.1 once and fills the lt_cj table.
 *
 * Owns the dlopen handle (never closed: the table must outlive every user).
 * Entered from the background thread, tests, and the first LLM capture.
 */
#include "json.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

#include "log.h"

/* RTLD_DEEPBIND keeps a host's own cJSON_* from winning inside libcjson; the
 * sanitizer runtimes refuse DEEPBIND outright (google/sanitizers#611), so
 * sanitizer builds go without it. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define JSON_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(JSON_SANITIZED)
#define JSON_DEEPBIND 0
#else
#define JSON_DEEPBIND RTLD_DEEPBIND
#endif

struct lt_cjson lt_cj; /* written once under json_once, read-only after */
static enum lt_rc json_rc = LT_ERR_UNAVAIL;
static pthread_once_t json_once = PTHREAD_ONCE_INIT;

#define JSON_SYM(field, name)                                          \
    do {                                                               \
        *(void **)&t.field = dlsym(h, name);                           \
        if (!t.field)                                                  \
            return;                                                    \
    } while (0)

static void json_do_load(void)
{
    void *h = dlopen("libcjson.so.1", RTLD_NOW | RTLD_LOCAL | JSON_DEEPBIND);
    if (!h) {
        lt_log_once(LT_ONCE_NO_CJSON, "libcjson.so.1 not found (install libcjson1): LLM calls are not traced");
        return;
    }
    struct lt_cjson t;
    JSON_SYM(ParseWithLength, "cJSON_ParseWithLength");
    JSON_SYM(Delete, "cJSON_Delete");
    JSON_SYM(free, "cJSON_free");
    JSON_SYM(PrintUnformatted, "cJSON_PrintUnformatted");
    JSON_SYM(GetObjectItemCaseSensitive, "cJSON_GetObjectItemCaseSensitive");
    JSON_SYM(GetArrayItem, "cJSON_GetArrayItem");
    JSON_SYM(GetArraySize, "cJSON_GetArraySize");
    JSON_SYM(CreateObject, "cJSON_CreateObject");
    JSON_SYM(CreateArray, "cJSON_CreateArray");
    JSON_SYM(CreateString, "cJSON_CreateString");
    JSON_SYM(CreateNumber, "cJSON_CreateNumber");
    JSON_SYM(CreateNull, "cJSON_CreateNull");
    JSON_SYM(CreateBool, "cJSON_CreateBool");
    JSON_SYM(Duplicate, "cJSON_Duplicate");
    JSON_SYM(AddItemToObject, "cJSON_AddItemToObject");
    JSON_SYM(AddItemToArray, "cJSON_AddItemToArray");
    JSON_SYM(DetachItemFromObjectCaseSensitive, "cJSON_DetachItemFromObjectCaseSensitive");
    lt_cj = t;
    json_rc = LT_OK;
}

enum lt_rc lt_json_load(void)
{
    pthread_once(&json_once, json_do_load);
    if (json_rc != LT_OK)
        lt_log_once(LT_ONCE_NO_CJSON, "libcjson.so.1 lacks a needed symbol: LLM calls are not traced");
    return json_rc;
}

const cJSON *lt_json_get(const cJSON *obj, const char *key)
{
    if (!obj || (obj->type & 0xFF) != cJSON_Object)
        return NULL;
    return lt_cj.GetObjectItemCaseSensitive(obj, key);
}

const char *lt_json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = lt_json_get(obj, key);
    return v && (v->type & 0xFF) == cJSON_String ? v->valuestring : NULL;
}

enum lt_rc lt_json_int(const cJSON *obj, const char *key, long long *out)
{
    const cJSON *v = lt_json_get(obj, key);
    if (!v || (v->type & 0xFF) != cJSON_Number)
        return LT_ERR_INVALID;
    double d = v->valuedouble;
    if (!(d >= -9.2e18 && d <= 9.2e18))
        return LT_ERR_INVALID;
    *out = (long long)d;
    return LT_OK;
}
