/* b64.c - base64url (unpadded) and standard base64 (padded). */
#include "base/b64.h"

#include <stdlib.h>
#include <string.h>

#include "base/password.h"
#include "base/str.h"

static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The base64 of n bytes into out, NUL not included; returns the characters written. */
static size_t encode_to(char *out, const void *data, size_t n, const char *alphabet, bool pad)
{
	const uint8_t *in = data;
	size_t full = n / 3, rest = n % 3;
	char *o = out;

	for (size_t i = 0; i < full; i++, in += 3) {
		uint32_t v = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];
		*o++ = alphabet[v >> 18 & 63];
		*o++ = alphabet[v >> 12 & 63];
		*o++ = alphabet[v >> 6 & 63];
		*o++ = alphabet[v & 63];
	}
	if (rest > 0) {
		uint32_t v = (uint32_t)in[0] << 16 | (rest == 2 ? (uint32_t)in[1] << 8 : 0);
		*o++ = alphabet[v >> 18 & 63];
		*o++ = alphabet[v >> 12 & 63];
		if (rest == 2)
			*o++ = alphabet[v >> 6 & 63];
		else if (pad)
			*o++ = '=';
		if (pad)
			*o++ = '=';
	}
	return (size_t)(o - out);
}

static char *encode(const void *data, size_t n, const char *alphabet, bool pad)
{
	char *out = xmalloc(n / 3 * 4 + 5);

	out[encode_to(out, data, n, alphabet, pad)] = '\0';
	return out;
}

size_t b64_encode_to(char *out, const void *data, size_t n)
{
	return encode_to(out, data, n, std_alphabet, true);
}

char *b64url_encode(const void *data, size_t n)
{
	return encode(data, n, url_alphabet, false);
}

char *b64_encode(const void *data, size_t n)
{
	return encode(data, n, std_alphabet, true);
}

static int sextet(const char *alphabet, unsigned char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(alphabet, c)) == NULL)
		return -1;
	return (int)(p - alphabet);
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int corrupt(struct error *err, size_t pos)
{
	return err_set(err, ERR_INVALID, "illegal base64 data at input byte %zu", pos);
}

/* Decodes with the given alphabet. need_pad: an incomplete final quantum must be padded with
 * '='; otherwise padding is optional but, when present, must be exact. Trailing bits that are
 * not zero are ignored, as Go's (non-strict) decoders do. */
static int decode(const char *s, size_t slen, const char *alphabet, bool need_pad, bool skip_space,
		  uint8_t **out, size_t *outlen, struct error *err)
{
	uint8_t *o = xmalloc(slen / 4 * 3 + 4);
	size_t n = 0, qstart = 0, i;
	uint32_t q = 0;
	int j = 0, rc = -1;

	for (i = 0; i < slen; i++) {
		unsigned char c = (unsigned char)s[i];
		int d;

		if (skip_space && is_space(c))
			continue;
		if (c == '=')
			break;
		d = sextet(alphabet, c);
		if (d < 0) {
			corrupt(err, i);
			goto out;
		}
		if (j == 0)
			qstart = i;
		q = q << 6 | (uint32_t)d;
		if (++j == 4) {
			o[n++] = (uint8_t)(q >> 16);
			o[n++] = (uint8_t)(q >> 8);
			o[n++] = (uint8_t)q;
			q = 0;
			j = 0;
		}
	}
	if (i < slen) {
		/* Padding: exactly 4 - j '=' characters, then nothing but (skipped) space. Error
		 * offsets follow Go's StdEncoding; base64url, where padding is only tolerated,
		 * reports the first '=' as Go's RawURLEncoding does. */
		size_t first_pad = i, bad = SIZE_MAX;
		int want = 4 - j, got = 0;

		if (j < 2)
			bad = i;
		for (; bad == SIZE_MAX && i < slen; i++) {
			unsigned char c = (unsigned char)s[i];
			if (skip_space && is_space(c))
				continue;
			if (c != '=')
				bad =
				    got < want ? i - 1 : i; /* short padding, or trailing garbage */
			else if (got == want)
				bad = i;
			else
				got++;
		}
		if (bad == SIZE_MAX && got < want)
			bad = slen;
		if (bad != SIZE_MAX) {
			corrupt(err, need_pad ? bad : first_pad);
			goto out;
		}
	} else if (j == 1) {
		corrupt(err, qstart);
		goto out;
	} else if (j > 1 && need_pad) {
		corrupt(err, qstart);
		goto out;
	}
	if (j == 2) {
		o[n++] = (uint8_t)(q >> 4);
	} else if (j == 3) {
		o[n++] = (uint8_t)(q >> 10);
		o[n++] = (uint8_t)(q >> 2);
	}
	o[n] = '\0';
	*out = o;
	*outlen = n;
	o = NULL;
	rc = 0;
out:
	if (o != NULL) {
		secure_wipe(o, slen / 4 * 3 + 4); /* partial output may be key material */
		free(o);
	}
	return rc;
}

static int url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

bool b64url_decode_strict_to(const char *s, size_t n, uint8_t *out, size_t *outlen)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	if (n % 4 == 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		int v = url_value((unsigned char)s[i]);

		if (v < 0)
			return false;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return false;
	*outlen = o;
	return true;
}

int b64url_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen, struct error *err)
{
	return decode(s, slen, url_alphabet, false, false, out, outlen, err);
}

int b64_decode(const char *s, size_t slen, bool skip_space, uint8_t **out, size_t *outlen,
	       struct error *err)
{
	return decode(s, slen, std_alphabet, true, skip_space, out, outlen, err);
}
