/* json_escape.c - the one JSON string escaper. */
#include "base/json_escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (n > 0 bytes available), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Whether s[i..n) starts with U+2028 or U+2029. */
static bool is_line_separator(const unsigned char *s, size_t i, size_t n)
{
	return s[i] == 0xe2 && i + 2 < n && s[i + 1] == 0x80 &&
	       (s[i + 2] == 0xa8 || s[i + 2] == 0xa9);
}

/* The escape sequence for the byte(s) at s[i] into esc (at least 8 bytes): its length, and
 * *used the input bytes it stands for; 0 when the byte is copied as it is (*used bytes). */
static size_t escape_at(const unsigned char *s, size_t i, size_t n, unsigned flags, char *esc,
			size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = s[i];
	const char *shrt = NULL;

	*used = 1;
	if (c == '"' || c == '\\') {
		esc[0] = '\\';
		esc[1] = (char)c;
		return 2;
	}
	if (c < 0x20) {
		switch (c) {
		case '\b':
			shrt = "\\b";
			break;
		case '\f':
			shrt = "\\f";
			break;
		case '\n':
			shrt = "\\n";
			break;
		case '\r':
			shrt = "\\r";
			break;
		case '\t':
			shrt = "\\t";
			break;
		default:
			break;
		}
		if (shrt != NULL) {
			esc[0] = shrt[0];
			esc[1] = shrt[1];
			return 2;
		}
	} else if ((flags & JSON_ESCAPE_HTML) != 0 && (c == '<' || c == '>' || c == '&')) {
		/* \u00XX below */
	} else if ((flags & JSON_ESCAPE_HTML) != 0 && is_line_separator(s, i, n)) {
		memcpy(esc, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
		*used = 3;
		return 6;
	} else if (c < 0x80 || (flags & JSON_ESCAPE_UTF8) == 0) {
		return 0;
	} else if ((*used = utf8_len(s + i, n - i)) > 0) {
		return 0;
	} else {
		*used = 1;
		memcpy(esc, "\\ufffd", 6);
		return 6;
	}
	memcpy(esc, "\\u00", 4);
	esc[4] = hex[c >> 4];
	esc[5] = hex[c & 0xf];
	return 6;
}

int json_escape(const char *str, size_t n, unsigned flags, json_sink sink, void *ctx)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t start = 0, i = 0;
	int rc = 0;

	while (i < n) {
		char esc[8];
		size_t used;
		size_t len = escape_at(s, i, n, flags, esc, &used);

		if (len == 0) {
			i += used;
			continue;
		}
		if ((i > start && (rc = sink(ctx, str + start, i - start)) != 0) ||
		    (rc = sink(ctx, esc, len)) != 0)
			return rc;
		i += used;
		start = i;
	}
	if (n > start)
		rc = sink(ctx, str + start, n - start);
	return rc;
}

struct buf_sink {
	struct buf *b;
	struct error *err;
};

static int buf_sink_put(void *ctx, const char *s, size_t n)
{
	struct buf_sink *bs = ctx;

	return buf_append(bs->b, s, n, bs->err);
}

int json_escape_buf(struct buf *b, const char *s, size_t n, unsigned flags, struct error *err)
{
	struct buf_sink bs = {b, err};

	if (buf_append(b, "\"", 1, err) != 0 || json_escape(s, n, flags, buf_sink_put, &bs) != 0)
		return -1;
	return buf_append(b, "\"", 1, err);
}
