/* pem_text.c - PEM text of DER bytes in PEM_write_bio's layout. */
#include "base/pem_text.h"

#include <string.h>

#include "base/str.h"

#define LINE_BYTES 48 /* 64 base64 characters */

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t pem_text_len(const char *label, size_t n, bool json)
{
	size_t nl = json ? 2 : 1, lines = (n + LINE_BYTES - 1) / LINE_BYTES;

	/* "-----BEGIN " label "-----" nl, the base64 and a newline per line, "-----END ". */
	return 11 + strlen(label) + 5 + nl + (n + 2) / 3 * 4 + lines * nl + 9 + strlen(label) + 5 +
	       nl;
}

static char *put(char *o, const char *s, size_t n)
{
	memcpy(o, s, n);
	return o + n;
}

static char *newline(char *o, bool json)
{
	return json ? put(o, "\\n", 2) : put(o, "\n", 1);
}

static char *base64_line(char *o, const uint8_t *in, size_t n)
{
	size_t full = n / 3, rest = n % 3;

	for (size_t i = 0; i < full; i++, in += 3) {
		uint32_t v = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];
		o[0] = alphabet[v >> 18 & 63];
		o[1] = alphabet[v >> 12 & 63];
		o[2] = alphabet[v >> 6 & 63];
		o[3] = alphabet[v & 63];
		o += 4;
	}
	if (rest > 0) {
		uint32_t v = (uint32_t)in[0] << 16 | (rest == 2 ? (uint32_t)in[1] << 8 : 0);
		o[0] = alphabet[v >> 18 & 63];
		o[1] = alphabet[v >> 12 & 63];
		o[2] = rest == 2 ? alphabet[v >> 6 & 63] : '=';
		o[3] = '=';
		o += 4;
	}
	return o;
}

size_t pem_text_write(char *out, const char *label, const uint8_t *der, size_t n, bool json)
{
	size_t llen = strlen(label);
	char *o = out;

	o = put(o, "-----BEGIN ", 11);
	o = put(o, label, llen);
	o = newline(put(o, "-----", 5), json);
	for (size_t off = 0; off < n; off += LINE_BYTES) {
		size_t k = n - off < LINE_BYTES ? n - off : LINE_BYTES;
		o = newline(base64_line(o, der + off, k), json);
	}
	o = put(o, "-----END ", 9);
	o = put(o, label, llen);
	o = newline(put(o, "-----", 5), json);
	return (size_t)(o - out);
}

char *pem_text(const char *label, const uint8_t *der, size_t n)
{
	size_t len = pem_text_len(label, n, false);
	char *s = xmalloc(len + 1);

	pem_text_write(s, label, der, n, false);
	s[len] = '\0';
	return s;
}
