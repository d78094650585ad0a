/* json_escape.h - the one JSON string escaper (RFC 8259 §7), shared by the writer of ca.json
 * (config/json_write.c), the log's JSON lines (base/log.c) and the server's SignResponse.
 *
 * Always escaped: '"' and '\\' with a backslash; \b \f \n \r \t in their short forms; any
 * other byte below 0x20 as \u00XX with lowercase hex (as Go's encoding/json does). Everything
 * else is copied unless a flag says otherwise.
 */
#ifndef STRIDE_BASE_JSON_ESCAPE_H
#define STRIDE_BASE_JSON_ESCAPE_H

#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"

/* Flags of json_escape, or'ed. */
enum {
	/* Go's encoding/json HTML-safe escaping: '<', '>' and '&' as \u003c, \u003e, \u0026, and
	 * U+2028 / U+2029 (UTF-8 e2 80 a8 / a9) as \u2028 / \u2029. */
	JSON_ESCAPE_HTML = 1u << 0,
	/* Each byte that does not start a valid UTF-8 sequence (RFC 3629: no overlong form, no
	 * surrogate, nothing above U+10FFFF) becomes \ufffd. Without it, bytes >= 0x80 are
	 * copied as they are, valid or not. */
	JSON_ESCAPE_UTF8 = 1u << 1,
};

/* Receives the escaped text piece by piece: either a run of input bytes copied as they are
 * (never holding a '\\'; only whole UTF-8 sequences with JSON_ESCAPE_UTF8) or one whole escape
 * sequence (starting with '\\'). n > 0. Returns 0 to go on, anything else to stop. */
typedef int (*json_sink)(void *ctx, const char *s, size_t n);

/* Escapes the n bytes at s (NUL bytes included) as the contents of a JSON string, without the
 * quotes, handing the text to sink. Returns 0, or the first nonzero value sink returned (then
 * nothing more is handed over). */
int json_escape(const char *s, size_t n, unsigned flags, json_sink sink, void *ctx);

/* Appends the n bytes at s to b as a quoted JSON string escaped with flags. */
int json_escape_buf(struct buf *b, const char *s, size_t n, unsigned flags, struct error *err);

#endif
