/* awsev.c — hand-made AWS event-stream bytes for tests (see awsev.h). */
#include "awsev.h"

#include <string.h>

#include "tap.h"

uint32_t awsev_crc32(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= b[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return ~c;
}

void awsev_put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

void awsev_hdr(struct awsev_hdrs *h, const char *name, unsigned type, const void *v, size_t vlen)
{
    size_t nl = strlen(name);
    CHECK(h->n + nl + vlen + 4 <= sizeof h->b);
    h->b[h->n++] = (unsigned char)nl;
    memcpy(h->b + h->n, name, nl);
    h->n += nl;
    h->b[h->n++] = (unsigned char)type;
    if (type == 6 || type == 7) {
        h->b[h->n++] = (unsigned char)(vlen >> 8);
        h->b[h->n++] = (unsigned char)vlen;
    }
    if (vlen)
        memcpy(h->b + h->n, v, vlen);
    h->n += vlen;
}

void awsev_hdr_str(struct awsev_hdrs *h, const char *name, const char *v)
{
    awsev_hdr(h, name, 7, v, strlen(v));
}

size_t awsev_message(unsigned char *out, size_t *n, const struct awsev_hdrs *h, const void *payload, size_t plen)
{
    size_t at = *n, hl = h ? h->n : 0;
    uint32_t total = (uint32_t)(16 + hl + plen);
    unsigned char *m = out + at;
    awsev_put32(m, total);
    awsev_put32(m + 4, (uint32_t)hl);
    awsev_put32(m + 8, awsev_crc32(m, 8));
    if (hl)
        memcpy(m + 12, h->b, hl);
    if (plen)
        memcpy(m + 12 + hl, payload, plen);
    awsev_put32(m + total - 4, awsev_crc32(m, total - 4));
    *n += total;
    return at;
}

void awsev_mend(unsigned char *p, size_t n)
{
    size_t i = 0;
    while (n - i >= 16) {
        uint32_t total = (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 | (uint32_t)p[i + 2] << 8 | p[i + 3];
        awsev_put32(p + i + 8, awsev_crc32(p + i, 8));
        if (total < 16 || total > n - i)
            return;
        awsev_put32(p + i + total - 4, awsev_crc32(p + i, total - 4));
        i += total;
    }
}

void awsev_b64(struct lt_buf *out, const void *s, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = s;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        lt_buf_addc(out, tab[v >> 18 & 63]);
        lt_buf_addc(out, tab[v >> 12 & 63]);
        lt_buf_addc(out, i + 1 < n ? tab[v >> 6 & 63] : '=');
        lt_buf_addc(out, i + 2 < n ? tab[v & 63] : '=');
    }
}
