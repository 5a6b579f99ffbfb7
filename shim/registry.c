/* registry.c — fixed-size, lock-free, open-addressing table of handles.
 *
 * Owns registry_slots (static; pages are touched only by handles that set an
 * option we record). Keys move EMPTY → handle → TOMBSTONE → handle by CAS;
 * one handle is never inserted by two threads at once (libcurl forbids using
 * a handle from two threads), so no duplicate can appear. Any thread.
 */
#include "registry.h"

#include <string.h>

#include "log.h"
#include "mem.h"

/* 4096 live handles: far above what programs keep open at once; a full
 * table degrades to pass-through, never to an error. */
#define REGISTRY_BITS 12
#define REGISTRY_SIZE (1u << REGISTRY_BITS)
#define REGISTRY_EMPTY ((uintptr_t)0)
#define REGISTRY_TOMB ((uintptr_t)1)
/* Probe at most this far: a lookup stays bounded even in a crowded table. */
#define REGISTRY_PROBE 64

static struct lt_slot registry_slots[REGISTRY_SIZE];
_Atomic int lt_registry_llm_seen; /* written by capture.c at the first LLM URL */

static inline unsigned registry_hash(uintptr_t k)
{
    return (unsigned)(((uint64_t)k * 0x9E3779B97F4A7C15ull) >> (64 - REGISTRY_BITS));
}

struct lt_slot *lt_registry_find(const void *h)
{
    uintptr_t k = (uintptr_t)h;
    unsigned i = registry_hash(k);
    for (unsigned n = 0; n < REGISTRY_PROBE; n++, i = (i + 1) & (REGISTRY_SIZE - 1)) {
        uintptr_t cur = atomic_load_explicit(&registry_slots[i].key, memory_order_acquire);
        if (cur == k)
            return &registry_slots[i];
        if (cur == REGISTRY_EMPTY)
            return NULL;
    }
    return NULL;
}

struct lt_slot *lt_registry_get(const void *h)
{
    uintptr_t k = (uintptr_t)h;
    if (k <= REGISTRY_TOMB)
        return NULL;
    struct lt_slot *s = lt_registry_find(h);
    if (s)
        return s;
    unsigned i = registry_hash(k);
    for (unsigned n = 0; n < REGISTRY_PROBE; n++, i = (i + 1) & (REGISTRY_SIZE - 1)) {
        uintptr_t cur = atomic_load_explicit(&registry_slots[i].key, memory_order_relaxed);
        if (cur != REGISTRY_EMPTY && cur != REGISTRY_TOMB)
            continue;
        if (atomic_compare_exchange_strong_explicit(&registry_slots[i].key, &cur, k,
                                                    memory_order_acq_rel, memory_order_relaxed)) {
            struct lt_slot *slot = &registry_slots[i];
            /* The slot's fields were cleared when it was released. */
            return slot;
        }
    }
    lt_log_once(LT_ONCE_REGISTRY_FULL, "too many live curl handles (> %u nearby slots): new ones pass through untraced",
                REGISTRY_PROBE);
    return NULL;
}

void lt_registry_clear(struct lt_slot *s)
{
    lt_free(s->url);
    lt_free(s->copied);
    /* Zero everything after the key: the key itself is only ever CAS'ed. */
    size_t off = offsetof(struct lt_slot, flavour);
    memset((char *)s + off, 0, sizeof *s - off);
}

void lt_registry_remove(struct lt_slot *s)
{
    lt_registry_clear(s);
    atomic_store_explicit(&s->key, REGISTRY_TOMB, memory_order_release);
}

struct lt_slot *lt_registry_from_userdata(const void *ud)
{
    uintptr_t p = (uintptr_t)ud, base = (uintptr_t)registry_slots;
    if (p < base || p >= base + sizeof registry_slots)
        return NULL;
    if ((p - base) % sizeof(struct lt_slot) != 0)
        return NULL;
    return (struct lt_slot *)ud;
}
