/* awsev.h — AWS event-stream bytes for tests and fuzz targets: messages
 * built by hand (prelude, typed headers, payload, both CRCs), the CRCs of a
 * damaged stream mended, and base64 for Bedrock's {"bytes": ...} chunks.
 *
 * Independent of providers/framing.c on purpose: the CRC is computed bit
 * by bit, a check of the framer's table. Builders fail the test case
 * (tap.h CHECK) when a header block is full; nothing allocates but
 * awsev_b64, through the lt_buf it is given. One thread.
 */
#ifndef AWSEV_H
#define AWSEV_H

#include <stddef.h>
#include <stdint.h>

#include "../../shim/buf.h"

/* CRC-32/ISO-HDLC of n bytes. Cannot fail. */
uint32_t awsev_crc32(const void *p, size_t n);
/* v big-endian into p[0..3]. Cannot fail. */
void awsev_put32(unsigned char *p, uint32_t v);

/* A header block under construction. */
struct awsev_hdrs {
    unsigned char b[1024];
    size_t n;
};

/* Appends a header of wire type `type` (0-9); types 6 (bytes) and 7
 * (string) get their 2-byte length, the others take vlen bytes as given. */
void awsev_hdr(struct awsev_hdrs *h, const char *name, unsigned type, const void *v, size_t vlen);
/* A string header (type 7). */
void awsev_hdr_str(struct awsev_hdrs *h, const char *name, const char *v);

/* Appends one message (headers h, may be NULL) at out + *n and advances
 * *n; returns where the message starts. The caller makes room for
 * 16 + h->n + plen bytes. */
size_t awsev_message(unsigned char *out, size_t *n, const struct awsev_hdrs *h, const void *payload, size_t plen);

/* Rewrites the prelude and message CRCs of every message of p[0..n) whose
 * length fits, so that damaged or random bytes reach the headers and
 * payloads. Cannot fail. */
void awsev_mend(unsigned char *p, size_t n);

/* Appends base64 (with padding) of n bytes to out. */
void awsev_b64(struct lt_buf *out, const void *p, size_t n);

#endif
