/* policy_uri.c - host:port splitting (Go's net.SplitHostPort), URI hosts as Go's url.Parse
 * finds them, and the SAN classification step-ca applies to CNs, ACME identifiers and SSH
 * principals (an IP, a URI with a scheme, an e-mail when it has '@', else a DNS name).
 */
#include "policy/policy_int.h"

#include <string.h>

int pol_split_host_port(const char *hp, size_t len, size_t *host_off, size_t *host_len)
{
	size_t i, j = 0, k = 0, end;
	const char *c = NULL;

	for (size_t x = 0; x < len; x++)
		if (hp[x] == ':')
			c = hp + x;
	if (c == NULL)
		return -1;
	i = (size_t)(c - hp);
	if (len > 0 && hp[0] == '[') {
		const char *r = memchr(hp, ']', len);

		if (r == NULL)
			return -1;
		end = (size_t)(r - hp);
		if (end + 1 != i)
			return -1;
		*host_off = 1, *host_len = end - 1;
		j = 1, k = end + 1;
	} else {
		if (memchr(hp, ':', i) != NULL)
			return -1;
		*host_off = 0, *host_len = i;
	}
	if (memchr(hp + j, '[', len - j) != NULL || memchr(hp + k, ']', len - k) != NULL)
		return -1;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Go's url unescape validity of s[0..n): every '%' starts a hex pair. */
static bool escapes_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '%' && (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0))
			return false;
	return true;
}

static bool port_ok(const char *p, size_t n)
{
	if (n == 0)
		return true;
	if (p[0] != ':')
		return false;
	for (size_t i = 1; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/* Go's unescape(host, encodeHost) into out (NULL: only validates). */
static bool host_unescape(const char *s, size_t n, char *out, size_t cap)
{
	size_t pos = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (out != NULL && pos + 1 >= cap)
			return false;
		if (c == '%') {
			if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				return false;
			if (hexval(s[i + 1]) < 8 && strncmp(s + i, "%25", 3) != 0)
				return false;
			c = (unsigned char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else if (c < 0x80 &&
			   !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			     (c >= 'A' && c <= 'Z') || strchr("-_.~!$&'()*+,;=:[]<>\"", c))) {
			return false;
		}
		if (out != NULL)
			out[pos++] = (char)c;
	}
	if (out != NULL)
		out[pos] = '\0';
	return true;
}

int pol_uri_parse(const char *s, char *host, size_t cap)
{
	size_t n = strlen(s), scheme = 0, end, auth_end, at;
	const char *rest, *frag = memchr(s, '#', n);
	bool found = false;

	if (host != NULL)
		host[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			continue;
		if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
			if (i == 0)
				break;
			continue;
		}
		if (c == ':') {
			if (i == 0)
				return -1; /* missing protocol scheme */
			scheme = i, found = true;
		}
		break;
	}
	if (!found)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -1;
	end = frag != NULL ? (size_t)(frag - s) : n;
	if (frag != NULL && !escapes_ok(frag + 1, n - end - 1))
		return -1;
	rest = s + scheme + 1;
	{
		const char *q = memchr(rest, '?', (size_t)(s + end - rest));

		if (q != NULL)
			end = (size_t)(q - s);
	}
	if (rest[0] != '/')
		return 1; /* opaque: no host */
	if (rest[1] == '/') {
		const char *a = rest + 2, *hs;
		size_t alen, hlen;

		auth_end = (size_t)(s + end - a);
		{
			const char *sl = memchr(a, '/', auth_end);

			alen = sl != NULL ? (size_t)(sl - a) : auth_end;
		}
		at = SIZE_MAX;
		for (size_t i = 0; i < alen; i++)
			if (a[i] == '@')
				at = i;
		hs = at == SIZE_MAX ? a : a + at + 1;
		hlen = at == SIZE_MAX ? alen : alen - at - 1;
		if (hlen > 0 && hs[0] == '[') {
			size_t rb = SIZE_MAX;

			for (size_t i = 0; i < hlen; i++)
				if (hs[i] == ']')
					rb = i;
			if (rb == SIZE_MAX || !port_ok(hs + rb + 1, hlen - rb - 1))
				return -1;
		} else {
			for (size_t i = hlen; i-- > 0;)
				if (hs[i] == ':') {
					if (!port_ok(hs + i, hlen - i))
						return -1;
					break;
				}
		}
		if (!host_unescape(hs, hlen, host, cap))
			return -1;
		if (at != SIZE_MAX) {
			for (size_t i = 0; i < at; i++)
				if (!((a[i] >= '0' && a[i] <= '9') ||
				      (a[i] >= 'a' && a[i] <= 'z') ||
				      (a[i] >= 'A' && a[i] <= 'Z') ||
				      strchr("-._:~!$&'()*+,;=%@", a[i]) != NULL))
					return -1;
			if (!escapes_ok(a, at))
				return -1;
		}
		rest = a + alen;
	}
	if (!escapes_ok(rest, (size_t)(s + end - rest)))
		return -1;
	return 1;
}

enum pol_type pol_classify(const char *s, unsigned char ip[16], unsigned char *iplen)
{
	if (pol_ip_parse(s, ip, iplen))
		return PT_IP;
	if (pol_uri_parse(s, NULL, 0) == 1)
		return PT_URI;
	return strchr(s, '@') != NULL ? PT_EMAIL : PT_DNS;
}
