/* ca_url.c - normalising the CA URLs users type (--ca-url, defaults.json) to https://host[:port].
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/str.h"
#include "client/ca_client.h"

static int invalid_url(struct error *err, const char *in, const char *why)
{
	if (why == NULL)
		return err_set(err, ERR_INVALID, "invalid value '%s' for flag '--ca-url'", in);
	return err_set(err, ERR_INVALID, "invalid value '%s' for flag '--ca-url'; %s", in, why);
}

static bool valid_scheme(const char *s, size_t n)
{
	if (n == 0 || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

static bool valid_host_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch <= 0x20 || ch == 0x7f || strchr("\"<>\\^`{|}[]", ch) != NULL)
			return false;
	}
	return n > 0;
}

static bool valid_port(const char *s, size_t n)
{
	if (n > 5)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n == 0 || atoi(s) <= 65535;
}

static bool is_ipv6(const char *s, size_t n)
{
	char tmp[INET6_ADDRSTRLEN + 1];
	unsigned char addr[16];

	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return inet_pton(AF_INET6, tmp, addr) == 1;
}

int ca_url_normalize(const char *in, char **out, struct error *err)
{
	const char *sep, *auth, *end, *host, *port = NULL, *at;
	size_t auth_len, host_len, port_len = 0;
	bool bracket = false;
	char portbuf[8];

	*out = NULL;
	if (in == NULL || in[0] == '\0')
		return invalid_url(err, in == NULL ? "" : in, NULL);
	sep = strstr(in, "://");
	if (sep != NULL) {
		if (!valid_scheme(in, (size_t)(sep - in)))
			return invalid_url(err, in, NULL);
		if ((size_t)(sep - in) != 5 || strncasecmp(in, "https", 5) != 0)
			return invalid_url(err, in, "must have https scheme");
		auth = sep + 3;
	} else {
		auth = in;
	}
	end = auth + strcspn(auth, "/?#");
	auth_len = (size_t)(end - auth);
	/* user info is not part of the host */
	at = memrchr(auth, '@', auth_len);
	if (at != NULL) {
		auth_len -= (size_t)(at + 1 - auth);
		auth = at + 1;
	}
	host = auth;
	host_len = auth_len;
	if (auth_len > 0 && auth[0] == '[') {
		const char *close = memchr(auth, ']', auth_len);
		if (close == NULL || !is_ipv6(auth + 1, (size_t)(close - auth - 1)))
			return invalid_url(err, in, NULL);
		host = auth + 1;
		host_len = (size_t)(close - host);
		bracket = true;
		if (close + 1 < auth + auth_len) {
			if (close[1] != ':')
				return invalid_url(err, in, NULL);
			port = close + 2;
			port_len = (size_t)(auth + auth_len - port);
		}
	} else if (is_ipv6(auth, auth_len)) {
		bracket = true; /* a bare IPv6 address: no port possible */
	} else {
		const char *colon = memchr(auth, ':', auth_len);
		if (colon != NULL) {
			host_len = (size_t)(colon - auth);
			port = colon + 1;
			port_len = (size_t)(auth + auth_len - port);
		}
	}
	if (!bracket && !valid_host_chars(host, host_len))
		return invalid_url(err, in, NULL);
	if (port != NULL && !valid_port(port, port_len))
		return invalid_url(err, in, NULL);
	if (port != NULL && port_len > 0) {
		memcpy(portbuf, port, port_len);
		portbuf[port_len] = '\0';
	}
	*out = xasprintf("https://%s%.*s%s%s%s", bracket ? "[" : "", (int)host_len, host,
			 bracket ? "]" : "", port_len > 0 ? ":" : "", port_len > 0 ? portbuf : "");
	return 0;
}
