/* policy_idna.c - internationalised domain names to ASCII as step-ca converts them
 * (golang.org/x/net/idna's Lookup profile, UTS #46 with STD3 rules), and an RFC 3492
 * punycode encoder and decoder.
 *
 * The UTS #46 mapping is covered for what names use in practice: ASCII and full-width ASCII,
 * the three alternative full stops, the upper case of Latin-1, Latin Extended-A, Greek,
 * Cyrillic and Armenian, characters UTS #46 ignores (soft hyphen, zero-width space, variation
 * selectors, BOM) and the obviously disallowed ones (controls, non-ASCII spaces, private use,
 * non-characters). NFC normalisation and the bidi rule are not applied.
 */
#include "policy/policy_int.h"

#include <stdio.h>
#include <string.h>

enum { PC_BASE = 36, PC_TMIN = 1, PC_TMAX = 26, PC_SKEW = 38, PC_DAMP = 700 };
#define PC_MAXINT 0x7fffffffu
#define LABEL_MAX 1024 /* code points per label this converter accepts */

static uint32_t adapt(uint32_t delta, uint32_t points, bool first)
{
	uint32_t k = 0;

	delta = first ? delta / PC_DAMP : delta / 2;
	delta += delta / points;
	while (delta > ((PC_BASE - PC_TMIN) * PC_TMAX) / 2) {
		delta /= PC_BASE - PC_TMIN;
		k += PC_BASE;
	}
	return k + (PC_BASE - PC_TMIN + 1) * delta / (delta + PC_SKEW);
}

static uint32_t threshold(uint32_t k, uint32_t bias)
{
	if (k <= bias)
		return PC_TMIN;
	if (k >= bias + PC_TMAX)
		return PC_TMAX;
	return k - bias;
}

static char digit_char(uint32_t d)
{
	return (char)(d < 26 ? 'a' + d : '0' + (d - 26));
}

int pol_punycode_encode(const uint32_t *cp, size_t n, char *out, size_t cap, size_t *outlen)
{
	uint32_t cur = 128, delta = 0, bias = 72, h, b = 0;
	size_t pos = 0;

	for (size_t i = 0; i < n; i++) {
		if (cp[i] < 0x80) {
			if (pos + 1 >= cap)
				return -1;
			out[pos++] = (char)cp[i];
			b++;
		}
	}
	h = b;
	if (b > 0) {
		if (pos + 1 >= cap)
			return -1;
		out[pos++] = '-';
	}
	while (h < n) {
		uint32_t m = PC_MAXINT;

		for (size_t i = 0; i < n; i++)
			if (cp[i] >= cur && cp[i] < m)
				m = cp[i];
		if ((m - cur) > (PC_MAXINT - delta) / (h + 1))
			return -1;
		delta += (m - cur) * (h + 1);
		cur = m;
		for (size_t i = 0; i < n; i++) {
			if (cp[i] < cur && ++delta == 0)
				return -1;
			if (cp[i] != cur)
				continue;
			uint32_t q = delta;
			for (uint32_t k = PC_BASE;; k += PC_BASE) {
				uint32_t t = threshold(k, bias);

				if (q < t)
					break;
				if (pos + 1 >= cap)
					return -1;
				out[pos++] = digit_char(t + (q - t) % (PC_BASE - t));
				q = (q - t) / (PC_BASE - t);
			}
			if (pos + 1 >= cap)
				return -1;
			out[pos++] = digit_char(q);
			bias = adapt(delta, h + 1, h == b);
			delta = 0;
			h++;
		}
		delta++;
		cur++;
	}
	out[pos] = '\0';
	*outlen = pos;
	return 0;
}

static int digit_value(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '0' && c <= '9')
		return c - '0' + 26;
	return -1;
}

int pol_punycode_decode(const char *in, size_t len, uint32_t *out, size_t cap, size_t *outn)
{
	uint32_t cur = 128, i = 0, bias = 72;
	size_t b = 0, o = 0, p;

	for (size_t x = 0; x < len; x++)
		if (in[x] == '-')
			b = x + 1;
	if (b == 1)
		return -1;
	for (size_t x = 0; b > 0 && x + 1 < b; x++) {
		if ((unsigned char)in[x] >= 0x80 || o >= cap)
			return -1;
		out[o++] = (unsigned char)in[x];
	}
	for (p = b; p < len;) {
		uint32_t oldi = i, w = 1;

		for (uint32_t k = PC_BASE;; k += PC_BASE) {
			int d;
			uint32_t t;

			if (p >= len || (d = digit_value(in[p++])) < 0)
				return -1;
			if ((uint32_t)d > (PC_MAXINT - i) / w)
				return -1;
			i += (uint32_t)d * w;
			t = threshold(k, bias);
			if ((uint32_t)d < t)
				break;
			if (w > PC_MAXINT / (PC_BASE - t))
				return -1;
			w *= PC_BASE - t;
		}
		if (o >= cap)
			return -1;
		bias = adapt(i - oldi, (uint32_t)o + 1, oldi == 0);
		if (i / (o + 1) > PC_MAXINT - cur)
			return -1;
		cur += i / (uint32_t)(o + 1);
		i %= (uint32_t)(o + 1);
		if (cur > 0x10ffff || (cur >= 0xd800 && cur <= 0xdfff))
			return -1;
		memmove(out + i + 1, out + i, (o - i) * sizeof(*out));
		out[i++] = cur;
		o++;
	}
	*outn = o;
	return 0;
}

/* UTS #46 status of a code point after mapping (see the file comment for the coverage). */
enum cp_status { CP_VALID, CP_IGNORED, CP_DISALLOWED };

static enum cp_status cp_status(uint32_t c)
{
	if (c == 0xad || c == 0x34f || (c >= 0x180b && c <= 0x180d) || c == 0x200b || c == 0x2060 ||
	    (c >= 0xfe00 && c <= 0xfe0f) || c == 0xfeff)
		return CP_IGNORED;
	if ((c >= 0x80 && c <= 0xa0) || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	    (c >= 0x2028 && c <= 0x202f) || c == 0x205f || c == 0x3000 ||
	    (c >= 0xe000 && c <= 0xf8ff) || (c >= 0xfff0 && c <= 0xffff) ||
	    (c & 0xfffe) == 0xfffe || c >= 0xf0000 || (c >= 0x2061 && c <= 0x206f))
		return CP_DISALLOWED;
	return CP_VALID;
}

/* The mapping step for one code point: 0 dropped, else the mapped code point. */
static uint32_t map_cp(uint32_t c)
{
	if (c == 0x3002 || c == 0xff0e || c == 0xff61)
		return '.';
	if (c >= 0xff01 && c <= 0xff5e)
		c -= 0xfee0; /* full-width ASCII */
	if (cp_status(c) == CP_IGNORED)
		return 0;
	return pol_lower_cp(c);
}

static void label_error(const uint32_t *cp, size_t n, char *emsg, size_t ecap)
{
	char label[4 * LABEL_MAX + 1], q[4 * (4 * LABEL_MAX) + 3];
	size_t pos = 0;

	for (size_t i = 0; i < n; i++)
		if (!pol_utf8_put(cp[i], label, sizeof(label), &pos))
			break;
	label[pos] = '\0';
	pol_quote(label, q, sizeof(q));
	snprintf(emsg, ecap, "idna: invalid label %s", q);
}

static void rune_error(uint32_t r, char *emsg, size_t ecap)
{
	snprintf(emsg, ecap, "idna: disallowed rune U+%04X", (unsigned)r);
}

static bool std3_ok(uint32_t c)
{
	return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* validateLabel: hyphen rules (V2, V3), then every code point (STD3 for ASCII). */
static int validate_label(const uint32_t *cp, size_t n, char *emsg, size_t ecap)
{
	if (n == 0)
		return 0;
	if ((n > 4 && cp[2] == '-' && cp[3] == '-') || cp[0] == '-' || cp[n - 1] == '-') {
		label_error(cp, n, emsg, ecap);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (cp[i] < 0x80 && !std3_ok(cp[i])) {
			rune_error(cp[i], emsg, ecap);
			return -1;
		}
		if (cp[i] >= 0x80 &&
		    (cp_status(cp[i]) != CP_VALID || pol_lower_cp(cp[i]) != cp[i])) {
			label_error(cp, n, emsg, ecap);
			return -1;
		}
	}
	if (cp[0] >= 0x300 && cp[0] <= 0x36f) {
		/* a label may not start with a combining mark */
		label_error(cp, n, emsg, ecap);
		return -1;
	}
	return 0;
}

/* One mapped label: validated and appended to out in its ASCII form. */
static int finish_label(const uint32_t *cp, size_t n, char *out, size_t cap, size_t *pos,
			char *emsg, size_t ecap)
{
	uint32_t dec[LABEL_MAX];
	size_t dn = 0, olen;
	bool ascii = true;

	for (size_t i = 0; i < n; i++)
		if (cp[i] >= 0x80)
			ascii = false;
	if (ascii && n >= 4 && cp[0] == 'x' && cp[1] == 'n' && cp[2] == '-' && cp[3] == '-') {
		char enc[LABEL_MAX + 1], q[4 * LABEL_MAX + 3];
		bool dec_ascii = true;

		for (size_t i = 4; i < n; i++)
			enc[i - 4] = (char)cp[i];
		enc[n - 4] = '\0';
		if (pol_punycode_decode(enc, n - 4, dec, LABEL_MAX, &dn) != 0 || dn == 0) {
			pol_quote(enc, q, sizeof(q));
			snprintf(emsg, ecap, "idna: invalid label %s", q);
			return -1;
		}
		for (size_t i = 0; i < dn; i++)
			if (dec[i] >= 0x80)
				dec_ascii = false;
		if (dec_ascii) {
			pol_quote(enc, q, sizeof(q));
			snprintf(emsg, ecap, "idna: invalid label %s", q);
			return -1;
		}
		if (validate_label(dec, dn, emsg, ecap) != 0)
			return -1;
	} else if (validate_label(cp, n, emsg, ecap) != 0) {
		return -1;
	}
	if (ascii) {
		for (size_t i = 0; i < n; i++) {
			if (*pos + 1 >= cap)
				goto toolong;
			out[(*pos)++] = (char)cp[i];
		}
		return 0;
	}
	if (*pos + 5 >= cap)
		goto toolong;
	memcpy(out + *pos, "xn--", 4);
	*pos += 4;
	if (pol_punycode_encode(cp, n, out + *pos, cap - *pos, &olen) != 0)
		goto toolong;
	*pos += olen;
	return 0;
toolong:
	snprintf(emsg, ecap, "idna: internal error in punycode encoding");
	return -1;
}

int pol_idna_to_ascii(const char *in, char *out, size_t cap, char *emsg, size_t ecap)
{
	const unsigned char *p = (const unsigned char *)in;
	uint32_t label[LABEL_MAX];
	size_t n = strlen(in), len, ln = 0, pos = 0;

	emsg[0] = '\0';
	/* invalid UTF-8 is refused before any label is looked at */
	for (size_t i = 0; i < n; i += len) {
		if (pol_utf8_next(p + i, n - i, &len) < 0) {
			rune_error(0xfffd, emsg, ecap);
			return -1;
		}
	}
	for (size_t i = 0; i <= n; i += len) {
		uint32_t c = 0;

		len = 1;
		if (i < n)
			c = map_cp((uint32_t)pol_utf8_next(p + i, n - i, &len));
		if (i < n && c == 0)
			continue;
		if (i == n || c == '.') {
			if (finish_label(label, ln, out, cap, &pos, emsg, ecap) != 0)
				return -1;
			ln = 0;
			if (i < n) {
				if (pos + 1 >= cap)
					goto toolong;
				out[pos++] = '.';
			}
			continue;
		}
		if (ln >= LABEL_MAX) {
			label_error(label, ln, emsg, ecap);
			return -1;
		}
		label[ln++] = c;
	}
	out[pos] = '\0';
	return 0;
toolong:
	snprintf(emsg, ecap, "idna: internal error in punycode encoding");
	return -1;
}
