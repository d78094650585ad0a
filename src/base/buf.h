/* buf.h - a growable byte buffer with a hard maximum set at creation.
 *
 * Every buffer fed by the network or a file has a maximum, so an oversized
 * input fails with ERR_TOO_LARGE instead of exhausting memory. The data is
 * always NUL-terminated (not counted in len) so text can be used as a C string.
 */
#ifndef STRIDE_BASE_BUF_H
#define STRIDE_BASE_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct buf {
	uint8_t *data; /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
	size_t max; /* appends beyond max bytes fail with ERR_TOO_LARGE */
};

/* Initialises an empty buffer that will refuse to grow beyond max bytes. */
void buf_init(struct buf *b, size_t max);
/* Appends n bytes. */
int buf_append(struct buf *b, const void *data, size_t n, struct error *err);
/* Appends a C string. */
int buf_append_str(struct buf *b, const char *s, struct error *err);
/* Appends printf-formatted text. */
int buf_printf(struct buf *b, struct error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Hands the data to the caller (who frees it with free()) and empties b. Never NULL on success. */
char *buf_steal(struct buf *b);
/* Frees the data; wipes it first (buffers may hold secrets). */
void buf_free(struct buf *b);

#endif
