/* pem_text.c - PEM text of DER bytes in PEM_write_bio's layout. */
#include "base/pem_text.h"

#include <string.h>

#include "base/b64.h"
#include "base/str.h"

#define LINE_BYTES 48 /* 64 base64 characters */

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

size_t pem_text_write(char *out, const char *label, const uint8_t *der, size_t n, bool json)
{
	size_t llen = strlen(label);
	char *o = out;

	o = put(o, "-----BEGIN ", 11);
	o = put(o, label, llen);
	o = newline(put(o, "-----", 5), json);
	for (size_t off = 0; off < n; off += LINE_BYTES) {
		size_t k = n - off < LINE_BYTES ? n - off : LINE_BYTES;
		o = newline(o + b64_encode_to(o, der + off, k), json);
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

/* The value of each base64 character, 0xff for any other byte. */
static const uint8_t sextets[256] = {
    ['A'] = 0,	['B'] = 1,  ['C'] = 2,	['D'] = 3,  ['E'] = 4,	['F'] = 5,  ['G'] = 6,	['H'] = 7,
    ['I'] = 8,	['J'] = 9,  ['K'] = 10, ['L'] = 11, ['M'] = 12, ['N'] = 13, ['O'] = 14, ['P'] = 15,
    ['Q'] = 16, ['R'] = 17, ['S'] = 18, ['T'] = 19, ['U'] = 20, ['V'] = 21, ['W'] = 22, ['X'] = 23,
    ['Y'] = 24, ['Z'] = 25, ['a'] = 26, ['b'] = 27, ['c'] = 28, ['d'] = 29, ['e'] = 30, ['f'] = 31,
    ['g'] = 32, ['h'] = 33, ['i'] = 34, ['j'] = 35, ['k'] = 36, ['l'] = 37, ['m'] = 38, ['n'] = 39,
    ['o'] = 40, ['p'] = 41, ['q'] = 42, ['r'] = 43, ['s'] = 44, ['t'] = 45, ['u'] = 46, ['v'] = 47,
    ['w'] = 48, ['x'] = 49, ['y'] = 50, ['z'] = 51, ['0'] = 52, ['1'] = 53, ['2'] = 54, ['3'] = 55,
    ['4'] = 56, ['5'] = 57, ['6'] = 58, ['7'] = 59, ['8'] = 60, ['9'] = 61, ['+'] = 62, ['/'] = 63,
};

/* sextets is 0 for both 'A' and every other byte: tell them apart. */
static int sextet(uint8_t c)
{
	uint8_t v = sextets[c];

	return v != 0 || c == 'A' ? v : -1;
}

/* Four base64 characters without padding as 24 bits, or -1. */
static int64_t quantum(const uint8_t *s)
{
	int a = sextet(s[0]), b = sextet(s[1]), c = sextet(s[2]), d = sextet(s[3]);

	if ((a | b | c | d) < 0)
		return -1;
	return (int64_t)a << 18 | (int64_t)b << 12 | (int64_t)c << 6 | (int64_t)d;
}

/* Decodes one line of 4k base64 characters, '=' only as the padding of its last quantum
 * (then *last is set), with zero trailing bits. */
static bool decode_line(const uint8_t *s, size_t n, uint8_t *out, size_t *out_len, bool *last)
{
	size_t o = 0;

	if (n == 0 || n % 4 != 0)
		return false;
	for (size_t i = 0; i < n; i += 4) {
		int d[4], pad = 0;
		uint32_t v;
		int64_t q = quantum(s + i);

		if (q >= 0) {
			out[o++] = (uint8_t)(q >> 16);
			out[o++] = (uint8_t)(q >> 8);
			out[o++] = (uint8_t)q;
			continue;
		}

		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				d[k] = 0;
				pad++;
			} else if (pad > 0 || (d[k] = sextet(s[i + k])) < 0) {
				return false;
			}
		}
		v = (uint32_t)d[0] << 18 | (uint32_t)d[1] << 12 | (uint32_t)d[2] << 6 |
		    (uint32_t)d[3];
		if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0))
			return false; /* trailing bits: not the one encoding of its bytes */
		out[o++] = (uint8_t)(v >> 16);
		if (pad < 2)
			out[o++] = (uint8_t)(v >> 8);
		if (pad < 1)
			out[o++] = (uint8_t)v;
		*last = pad > 0;
	}
	*out_len = o;
	return true;
}

static bool has(const uint8_t *p, const uint8_t *end, const char *s, size_t n)
{
	return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

bool pem_text_decode(const uint8_t *data, size_t len, uint8_t *out, size_t *out_len)
{
	const uint8_t *p = data, *end = data + len, *label;
	size_t label_len = 0, n = 0;
	bool last = false;

	if (!has(p, end, "-----BEGIN ", 11))
		return false;
	label = p += 11;
	while (p < end && ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == ' '))
		p++;
	label_len = (size_t)(p - label);
	if (label_len == 0 || label_len > 64 || !has(p, end, "-----\n", 6))
		return false;
	p += 6;
	/* Lines of 64 characters while no padding has ended the data, then one shorter line. */
	while (p < end && *p != '-') {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t k, line = nl != NULL ? (size_t)(nl - p) : 0;

		if (nl == NULL || line == 0 || line > 64 || last ||
		    !decode_line(p, line, out + n, &k, &last))
			return false;
		n += k;
		last |= line < 64;
		p = nl + 1;
	}
	if (n == 0 || !has(p, end, "-----END ", 9))
		return false;
	p += 9;
	if (!has(p, end, (const char *)label, label_len))
		return false;
	p += label_len;
	if (!has(p, end, "-----", 5))
		return false;
	p += 5;
	if (p < end && *p != '\n')
		return false;
	*out_len = n;
	return true;
}
