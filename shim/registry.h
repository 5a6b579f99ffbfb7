/* registry.h — per-handle state keyed by CURL*: the options that matter,
 * the URL's classification, the capture in progress.
 *
 * Owns a fixed table of slots in static storage (no allocation for a handle
 * that never reaches an LLM). Insertion and lookup are lock-free (a CAS on the
 * key); a slot's fields are written only by the thread that currently uses
 * the handle, as libcurl itself requires. The table never grows: when it is
 * full, new handles are simply not tracked (said once) and pass through.
 */
#ifndef LT_REGISTRY_H
#define LT_REGISTRY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../providers/provider.h"
#include "call.h"

enum lt_url_state { LT_URL_UNKNOWN = 0, LT_URL_OTHER, LT_URL_LLM };

struct lt_slot {
    _Atomic uintptr_t key;      /* the CURL* handle; 0 empty, 1 tombstone */

    /* Recorded options (the program's values, never ours). */
    uint8_t flavour;            /* enum lt_flavour of the hook that saw the handle */
    uint8_t url_state;          /* enum lt_url_state */
    bool in_easy;               /* inside our curl_easy_perform: multi hooks stand aside */
    bool tee_write, tee_read, tee_header; /* which of our callbacks are installed */
    bool writedata_set, readdata_set;
    struct lt_match match;      /* valid when url_state == LT_URL_LLM */
    char *url;                  /* owned copy, LLM URLs only */
    void *writefn, *writedata;
    void *headerfn, *headerdata;
    void *readfn, *readdata;
    const char *postfields;     /* CURLOPT_POSTFIELDS: borrowed from the program */
    int64_t postsize;           /* CURLOPT_POSTFIELDSIZE(_LARGE), when postsize_set */
    bool postsize_set;          /* else the body is NUL-terminated (strlen) */
    bool decodes;               /* CURLOPT_ACCEPT_ENCODING set: libcurl decodes the body */
    bool no_decoding;           /* CURLOPT_HTTP_CONTENT_DECODING 0: it never does */
    char *copied;               /* CURLOPT_COPYPOSTFIELDS copy: owned */
    size_t copied_len;          /* bytes kept in copied */
    uint64_t copied_total;      /* bytes the program passed */
    struct lt_call *call;       /* the capture in progress, owned until pushed */
};

/* Set once, when any handle of this process is first classified LLM; the
 * transfer hooks skip every lookup while it is 0. Relaxed is enough: a
 * handle reaches another thread only through the program's own
 * synchronisation. */
extern _Atomic int lt_registry_llm_seen;

/* The slot of handle h, or NULL. Lock-free, no allocation. */
struct lt_slot *lt_registry_find(const void *h);
/* The slot of h, inserted when absent; NULL when the table is full. */
struct lt_slot *lt_registry_get(const void *h);
/* Forgets every recorded option and frees what the slot owns (not the call,
 * which the caller must have ended). The key stays. Cannot fail. */
void lt_registry_clear(struct lt_slot *s);
/* Clears the slot and releases it for reuse. Cannot fail. */
void lt_registry_remove(struct lt_slot *s);
/* The slot `ud` points to if it is one of ours, else NULL: recognition by
 * address only, `ud` is never dereferenced otherwise. */
struct lt_slot *lt_registry_from_userdata(const void *ud);

#endif
