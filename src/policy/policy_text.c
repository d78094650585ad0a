/* policy_text.c - the name syntax the policy engine shares with step-ca (a Go program): UTF-8,
 * Go's %q, trimming and lower-casing, domain labels, RFC 2821 mailboxes, IP addresses and
 * ranges as Go's net package reads them, host:port splitting, URI hosts, SAN classification.
 */
#include "policy/policy_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"

const char *const pol_type_name[PT_COUNT] = {"cn", "dns", "ip", "email", "uri", "principal"};

int32_t pol_utf8_next(const unsigned char *s, size_t n, size_t *len)
{
	uint32_t cp, min;
	size_t need;

	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2, cp = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3, cp = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	if (n < need)
		return -1;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*len = need;
	return (int32_t)cp;
}

bool pol_utf8_put(uint32_t cp, char *out, size_t cap, size_t *pos)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp, n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6)),
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (*pos + n >= cap)
		return false;
	memcpy(out + *pos, b, n);
	*pos += n;
	return true;
}

/* Go's unicode.IsPrint for the code points a name may plausibly carry: C1 controls, format
 * characters, separators other than space, private use and non-characters are not. */
static bool go_printable(uint32_t cp)
{
	if (cp < 0xa0 || cp == 0xad || (cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff ||
	    (cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0xe000 && cp <= 0xf8ff) ||
	    (cp & 0xfffe) == 0xfffe || cp >= 0xf0000 || cp == 0x1680 ||
	    (cp >= 0x2000 && cp <= 0x200a) || cp == 0x205f || cp == 0x3000 || cp == 0xa0)
		return false;
	return true;
}

void pol_quote(const char *s, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), pos = 0, len;
	char tmp[16];

	if (cap < 3) {
		if (cap > 0)
			out[0] = '\0';
		return;
	}
	out[pos++] = '"';
	for (size_t i = 0; i < n; i += len) {
		int32_t cp = pol_utf8_next(p + i, n - i, &len);
		const char *esc = NULL;

		tmp[0] = '\0';
		if (cp < 0) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", p[i]);
		} else if (cp == '"' || cp == '\\') {
			snprintf(tmp, sizeof(tmp), "\\%c", (char)cp);
		} else if (cp >= 0x20 && cp < 0x7f) {
			tmp[0] = (char)cp, tmp[1] = '\0';
		} else if (cp < 0x80) {
			static const char *const named[] = {
			    ['\a'] = "\\a", ['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n",
			    ['\r'] = "\\r", ['\t'] = "\\t", ['\v'] = "\\v"};
			if (cp < (int32_t)(sizeof(named) / sizeof(named[0])) && named[cp] != NULL)
				esc = named[cp];
			else
				snprintf(tmp, sizeof(tmp), "\\x%02x", (unsigned)cp);
		} else if (!go_printable((uint32_t)cp)) {
			if (cp < 0x10000)
				snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)cp);
			else
				snprintf(tmp, sizeof(tmp), "\\U%08x", (unsigned)cp);
		} else {
			memcpy(tmp, p + i, len);
			tmp[len] = '\0';
		}
		if (esc == NULL)
			esc = tmp;
		if (pos + strlen(esc) + 2 > cap)
			break;
		memcpy(out + pos, esc, strlen(esc));
		pos += strlen(esc);
	}
	out[pos++] = '"';
	out[pos] = '\0';
}

uint32_t pol_lower_cp(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c < 0xc0)
		return c;
	if (c <= 0xde)
		return c == 0xd7 ? c : c + 32;
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177) ||
	    (c >= 0x460 && c <= 0x481) || (c >= 0x48a && c <= 0x4bf))
		return (c & 1) == 0 ? c + 1 : c;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return (c & 1) == 1 ? c + 1 : c;
	if (c == 0x178)
		return 0xff;
	if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
		return c + 32;
	if (c == 0x386)
		return 0x3ac;
	if (c >= 0x388 && c <= 0x38a)
		return c + 37;
	if (c == 0x38c)
		return 0x3cc;
	if (c == 0x38e || c == 0x38f)
		return c + 63;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (c >= 0x531 && c <= 0x556)
		return c + 48;
	return c;
}

/* Go's unicode.IsSpace beyond ASCII, as UTF-8 at s (n bytes left): its length or 0. */
static size_t space_len(const unsigned char *s, size_t n)
{
	size_t len;
	int32_t cp;

	if (n == 0)
		return 0;
	if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))
		return 1;
	cp = pol_utf8_next(s, n, &len);
	if (cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	    cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000)
		return len;
	return 0;
}

char *pol_trim_lower(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), start = 0, end = n, k, pos = 0, len;
	char *out;

	while (start < n && (k = space_len(p + start, n - start)) > 0)
		start += k;
	/* trailing spaces: scan forward remembering where the last run of spaces began */
	for (size_t i = start, run = SIZE_MAX; i <= n; i += len) {
		if (i == n) {
			end = run == SIZE_MAX ? n : run;
			break;
		}
		if ((k = space_len(p + i, n - i)) > 0) {
			if (run == SIZE_MAX)
				run = i;
			len = k;
		} else {
			run = SIZE_MAX;
			pol_utf8_next(p + i, n - i, &len);
		}
	}
	out = xmalloc(2 * (end - start) + 1);
	for (size_t i = start; i < end; i += len) {
		int32_t cp = pol_utf8_next(p + i, end - i, &len);

		if (cp < 0 ||
		    !pol_utf8_put(pol_lower_cp((uint32_t)cp), out, 2 * (end - start) + 1, &pos)) {
			out[pos++] = (char)p[i];
			len = 1;
		}
	}
	out[pos] = '\0';
	return out;
}

bool pol_labels_ok(const char *s, size_t len)
{
	size_t i = 0, label = 0;

	if (len == 0)
		return true;
	if (s[0] == '.' && len > 1)
		i = 1; /* a leading empty label is not produced by step-ca's label split */
	for (; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (c < 33 || c > 126)
			return false;
		label++;
	}
	return label > 0;
}

bool pol_eq_fold(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

static bool atext(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

bool pol_parse_mailbox(const char *in, char *local, size_t cap, const char **domain)
{
	size_t pos = 0;

	if (*in == '\0' || cap == 0)
		return false;
	if (*in == '"') {
		/* quoted-string (RFC 5321 §4.1.2), space accepted as in RFC 3696's examples */
		in++;
		for (;;) {
			unsigned char c = (unsigned char)*in;

			if (c == '\0')
				return false;
			in++;
			if (c == '"')
				break;
			if (c == '\\') {
				unsigned char q = (unsigned char)*in;

				if (q == 0 || q == 10 || q == 13 || q > 127)
					return false;
				c = q;
				in++;
			} else if (c == 0 || c == 9 || c == 10 || c == 13 || c == 34 || c == 92 ||
				   c > 127) {
				return false;
			}
			if (pos + 1 >= cap)
				return false;
			local[pos++] = (char)c;
		}
	} else {
		while (*in != '\0') {
			unsigned char c = (unsigned char)*in;

			if (c == '\\') {
				/* an escaped character outside quotes is accepted (RFC 3696) */
				in++;
				if (*in == '\0')
					return false;
				c = (unsigned char)*in;
				if (!atext(c))
					break;
			} else if (!atext(c)) {
				break;
			}
			if (pos + 1 >= cap)
				return false;
			local[pos++] = (char)c;
			in++;
		}
		if (pos == 0 || local[0] == '.' || local[pos - 1] == '.')
			return false;
		for (size_t i = 1; i < pos; i++)
			if (local[i] == '.' && local[i - 1] == '.')
				return false;
	}
	local[pos] = '\0';
	if (*in != '@')
		return false;
	in++;
	if (!pol_labels_ok(in, strlen(in)))
		return false;
	*domain = in;
	return true;
}

bool pol_ip_parse(const char *s, unsigned char out[16], unsigned char *len)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (inet_pton(AF_INET, s, out) == 1) {
		*len = 4;
		return true;
	}
	if (inet_pton(AF_INET6, s, out) != 1)
		return false;
	*len = 16;
	if (memcmp(out, mapped, 12) == 0) {
		memmove(out, out + 12, 4);
		*len = 4;
	}
	return true;
}

void pol_ip_format(const unsigned char *ip, unsigned char len, char *out, size_t cap)
{
	int best = -1, best_len = 0, pos = 0;

	if (len == 4) {
		snprintf(out, cap, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
		return;
	}
	for (int i = 0; i < 8;) {
		int j = i;

		while (j < 8 && ip[2 * j] == 0 && ip[2 * j + 1] == 0)
			j++;
		if (j - i > best_len && j - i >= 2)
			best = i, best_len = j - i;
		i = j > i ? j : i + 1;
	}
	out[0] = '\0';
	for (int i = 0; i < 8 && (size_t)pos + 6 < cap; i++) {
		if (i == best) {
			pos += snprintf(out + pos, cap - (size_t)pos, "::");
			i += best_len - 1;
			continue;
		}
		if (i > 0 && i != best + best_len)
			out[pos++] = ':';
		pos += snprintf(out + pos, cap - (size_t)pos, "%x",
				(unsigned)(ip[2 * i] << 8 | ip[2 * i + 1]));
	}
	out[pos] = '\0';
}

bool pol_ipnet_parse(const char *s, struct pol_ipnet *out)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const char *slash = strchr(s, '/');
	unsigned char a[16], mask[16] = {0};
	char addr[64];
	unsigned long bits = 0;
	size_t alen;
	bool v4;

	memset(out, 0, sizeof(*out));
	if (slash == NULL) {
		/* a single address: /32 for IPv4 (IPv4-mapped too), /128 otherwise */
		if (!pol_ip_parse(s, out->ip, &out->len))
			return false;
		memset(out->mask, 0xff, out->len);
		return true;
	}
	alen = (size_t)(slash - s);
	if (alen >= sizeof(addr) || slash[1] == '\0')
		return false;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	v4 = inet_pton(AF_INET, addr, a) == 1;
	if (!v4 && inet_pton(AF_INET6, addr, a) != 1)
		return false;
	for (const char *p = slash + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || bits > 0xffffff)
			return false;
		bits = bits * 10 + (unsigned long)(*p - '0');
	}
	if (bits > (v4 ? 32u : 128u))
		return false;
	for (unsigned long i = 0; i < bits; i++)
		mask[i / 8] |= (unsigned char)(0x80 >> (i % 8));
	if (v4) {
		out->len = 4;
		for (int i = 0; i < 4; i++)
			out->ip[i] = a[i] & mask[i], out->mask[i] = mask[i];
		return true;
	}
	for (int i = 0; i < 16; i++)
		a[i] &= mask[i];
	if (memcmp(a, mapped, 12) == 0) {
		/* Go treats a masked IPv4-mapped network as IPv4 with the mask's last 4 bytes */
		out->len = 4;
		memcpy(out->ip, a + 12, 4);
		memcpy(out->mask, mask + 12, 4);
	} else {
		out->len = 16;
		memcpy(out->ip, a, 16);
		memcpy(out->mask, mask, 16);
	}
	return true;
}

bool pol_ipnet_contains(const struct pol_ipnet *n, const unsigned char *ip, unsigned char len)
{
	if (len != n->len)
		return false;
	for (unsigned i = 0; i < len; i++)
		if ((ip[i] & n->mask[i]) != n->ip[i])
			return false;
	return true;
}
