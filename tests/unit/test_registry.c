/* test_registry.c — the lock-free handle table: insert, find, remove,
 * reuse, bounded probing, recognition of our own pointers, and concurrent
 * use from several threads (run under ThreadSanitizer too). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../shim/registry.h"
#include "../lib/tap.h"

static void registry_should_find_what_was_inserted(void)
{
    int a = 0, b = 0;
    CHECK(lt_registry_find(&a) == NULL);
    struct lt_slot *s = lt_registry_get(&a);
    CHECK(s != NULL);
    CHECK(lt_registry_find(&a) == s);
    CHECK(lt_registry_get(&a) == s);
    CHECK(lt_registry_find(&b) == NULL);
    CHECK(s->url_state == LT_URL_UNKNOWN && s->call == NULL && !s->postsize_set);
}

static void registry_should_forget_a_removed_handle_and_reuse_its_slot(void)
{
    char h[64];
    for (int round = 0; round < 10000; round++) {
        struct lt_slot *s = lt_registry_get(&h[round % 64]);
        CHECK(s != NULL);
        s->url_state = LT_URL_LLM;
        s->postsize_set = true;
        lt_registry_remove(s);
        CHECK(lt_registry_find(&h[round % 64]) == NULL);
    }
    struct lt_slot *s = lt_registry_get(&h[3]);
    CHECK(s && s->url_state == LT_URL_UNKNOWN && !s->postsize_set);
}

static void registry_should_clear_recorded_options_but_keep_the_key(void)
{
    int a = 0;
    struct lt_slot *s = lt_registry_get(&a);
    s->writefn = (void *)&a;
    s->url_state = LT_URL_OTHER;
    lt_registry_clear(s);
    CHECK(lt_registry_find(&a) == s);
    CHECK(s->writefn == NULL && s->url_state == LT_URL_UNKNOWN);
}

static void registry_should_recognise_only_its_own_slots(void)
{
    int a = 0;
    struct lt_slot *s = lt_registry_get(&a);
    CHECK(lt_registry_from_userdata(s) == s);
    CHECK(lt_registry_from_userdata((char *)s + 1) == NULL);
    CHECK(lt_registry_from_userdata(&a) == NULL);
    CHECK(lt_registry_from_userdata(NULL) == NULL);
    CHECK(lt_registry_from_userdata(stdout) == NULL);
}

static void registry_should_pass_through_when_crowded(void)
{
    /* Thousands of live handles: every get either succeeds or returns NULL
     * (pass-through), never a wrong slot; found slots stay distinct. */
    enum { N = 6000 };
    char *h = malloc(N);
    int got = 0;
    for (int i = 0; i < N; i++) {
        struct lt_slot *s = lt_registry_get(&h[i]);
        if (s) {
            got++;
            CHECK(lt_registry_find(&h[i]) == s);
        }
    }
    CHECK(got >= 3000 && got <= 4096);
    for (int i = 0; i < N; i++) {
        struct lt_slot *s = lt_registry_find(&h[i]);
        if (s)
            lt_registry_remove(s);
    }
    for (int i = 0; i < N; i++)
        CHECK(lt_registry_find(&h[i]) == NULL);
    free(h);
}

static char registry_keys[8][512];

static void *registry_worker(void *arg)
{
    char *keys = arg;
    for (int round = 0; round < 200; round++)
        for (int i = 0; i < 512; i++) {
            struct lt_slot *s = lt_registry_get(&keys[i]);
            if (!s)
                continue;
            if (lt_registry_find(&keys[i]) != s)
                return (void *)1;
            s->url_state = LT_URL_OTHER; /* owner-thread write, as with a real handle */
            lt_registry_remove(s);
        }
    return NULL;
}

static void registry_should_be_safe_from_several_threads(void)
{
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        CHECK(pthread_create(&t[i], NULL, registry_worker, registry_keys[i]) == 0);
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(t[i], &r);
        CHECK(r == NULL);
    }
}

static const struct tap_case cases[] = {
    TAP(registry_should_find_what_was_inserted),
    TAP(registry_should_forget_a_removed_handle_and_reuse_its_slot),
    TAP(registry_should_clear_recorded_options_but_keep_the_key),
    TAP(registry_should_recognise_only_its_own_slots),
    TAP(registry_should_pass_through_when_crowded),
    TAP(registry_should_be_safe_from_several_threads),
};

int main(int argc, char **argv)
{
    return tap_main(argc, argv, cases, TAP_N(cases));
}
