/* prices-index.c — build tool: writes the index of providers/prices.json
 * that providers/prices.S embeds next to it (see lt_pricing_index).
 *
 *   build/prices-index providers/prices.json build/prices.idx
 *
 * Runs the library's own reading and pattern analysis (providers/pricing.c)
 * at build time, so that a traced process finds a model's price row without
 * parsing the table. Exit 0, or 1 with one line on stderr. Never installed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../providers/pricing.h"
#include "../shim/buf.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s prices.json out.idx\n", argv[0]);
        return 1;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    size_t cap = 1 << 20, n = 0, r;
    char *json = malloc(cap);
    while (json && (r = fread(json + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap && !(json = realloc(json, cap *= 2)))
            break;
    }
    fclose(f);
    if (!json) {
        fprintf(stderr, "%s: out of memory\n", argv[0]);
        return 1;
    }
    struct lt_buf out;
    char why[256] = "";
    lt_buf_init(&out, 0);
    enum lt_rc rc = lt_pricing_index(json, n, &out, why, sizeof why);
    if (rc != LT_OK) {
        fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1], why[0] ? why : "out of memory");
        return 1;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
    f = fopen(tmp, "wb");
    if (!f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0 || rename(tmp, argv[2]) != 0) {
        perror(argv[2]);
        return 1;
    }
    lt_buf_free(&out);
    free(json);
    return 0;
}
