/* json.h — cJSON, loaded at run time.
 *
 * Owns the one handle on libcjson.so.1, opened at the first LLM call with
 * RTLD_LOCAL|RTLD_DEEPBIND (DESIGN: cJSON's state is process-wide; a host that
 * defines cJSON_* must not win inside it). The shim never links libcjson and
 * never calls cJSON_InitHooks or cJSON_GetErrorPtr. Any thread; lt_json_load is
 * idempotent and thread-safe. Callers use the table `lt_cj` after a successful
 * load; its function pointers are immutable afterwards.
 */
#ifndef LT_JSON_H
#define LT_JSON_H

#include <cjson/cJSON.h> /* types and flags only: never call cJSON_* directly */

#include "rc.h"

struct lt_cjson {
    cJSON *(*ParseWithLength)(const char *value, size_t len);
    void (*Delete)(cJSON *item);
    void (*free)(void *p); /* frees what Print* returned */
    char *(*PrintUnformatted)(const cJSON *item);
    cJSON *(*GetObjectItemCaseSensitive)(const cJSON *object, const char *name);
    cJSON *(*GetArrayItem)(const cJSON *array, int index);
    int (*GetArraySize)(const cJSON *array);
    cJSON *(*CreateObject)(void);
    cJSON *(*CreateArray)(void);
    cJSON *(*CreateString)(const char *s);
    cJSON *(*CreateNumber)(double n);
    cJSON *(*CreateNull)(void);
    cJSON *(*CreateBool)(cJSON_bool b);
    cJSON *(*Duplicate)(const cJSON *item, cJSON_bool recurse);
    cJSON_bool (*AddItemToObject)(cJSON *object, const char *name, cJSON *item);
    cJSON_bool (*AddItemToArray)(cJSON *array, cJSON *item);
    cJSON *(*DetachItemFromObjectCaseSensitive)(cJSON *object, const char *name);
};

/* Filled by lt_json_load; all NULL before. */
extern struct lt_cjson lt_cj;

/* LT_OK once libcjson is loaded; LT_ERR_UNAVAIL (said once under
 * LANGFUSE_DEBUG) when it is missing. */
enum lt_rc lt_json_load(void);

/* Convenience on a loaded table; NULL/0 when absent or of another type. */
const char *lt_json_str(const cJSON *obj, const char *key);
const cJSON *lt_json_get(const cJSON *obj, const char *key);
/* Integer member: LT_OK and *out set when it is a number. */
enum lt_rc lt_json_int(const cJSON *obj, const char *key, long long *out);

#endif
