/* fuzz.h — what every fuzz target shares: the libFuzzer entry point and the
 * split plan read from an input's first bytes.
 *
 * Each target is built twice: with clang's libFuzzer (`make fuzz`, the
 * build/fuzz/fuzz_% rule of the Makefile) and with replay.c as a plain main that runs the target over
 * its seed corpus in `make test`.
 */
#ifndef LT_FUZZ_H
#define LT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A deterministic split plan: chunk lengths drawn from `seed`, 1..max. */
struct fuzz_split {
    uint32_t state;
    size_t max;
};

static inline size_t fuzz_next_chunk(struct fuzz_split *s)
{
    s->state = s->state * 1103515245u + 12345u;
    return 1 + (s->state >> 16) % (s->max ? s->max : 1);
}

#endif
