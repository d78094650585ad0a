/* validate.c - challenge validation (RFC 8555 §8, RFC 8737, RFC 8738): the dispatch, the
 * challenge names and the helpers the three validators share. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "acme/validate.h"

#define DEFAULT_TIMEOUT_MS 30000

static const char *const chall_names[] = {
    [ACME_CH_HTTP01] = "http-01",
    [ACME_CH_DNS01] = "dns-01",
    [ACME_CH_TLSALPN01] = "tls-alpn-01",
};

const char *acme_chall_name(enum acme_chall_type t)
{
	if ((int)t < 0 || t >= ACME_CH_UNKNOWN)
		return NULL;
	return chall_names[t];
}

enum acme_chall_type acme_chall_from_name(const char *name)
{
	if (name == NULL)
		return ACME_CH_UNKNOWN;
	for (int t = 0; t < ACME_CH_UNKNOWN; t++) {
		if (strcmp(name, chall_names[t]) == 0)
			return (enum acme_chall_type)t;
	}
	return ACME_CH_UNKNOWN;
}

int64_t acme_v_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int acme_v_left_ms(int64_t deadline)
{
	int64_t left = deadline - acme_v_now_ms();

	if (left <= 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

int acme_v_wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = events};
		int left = acme_v_left_ms(deadline);
		int r;

		if (left == 0)
			return 0;
		r = poll(&pfd, 1, left);
		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

int acme_v_ip_parse(const char *s, struct acme_v_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->bytes) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->bytes) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -1;
}

void acme_v_ip_format(const struct acme_v_addr *a, char *out, size_t outsz)
{
	if (inet_ntop(a->family, a->bytes, out, (socklen_t)outsz) == NULL && outsz > 0)
		out[0] = '\0';
}

socklen_t acme_v_sockaddr(const struct acme_v_addr *a, int port, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)out;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		memcpy(&sin->sin_addr, a->bytes, 4);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	memcpy(&sin6->sin6_addr, a->bytes, 16);
	return sizeof(*sin6);
}

void acme_v_reverse_name(const struct acme_v_addr *a, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t off = 0;

	if (outsz == 0)
		return;
	out[0] = '\0';
	if (a->family == AF_INET) {
		snprintf(out, outsz, "%u.%u.%u.%u.in-addr.arpa", a->bytes[3], a->bytes[2],
			 a->bytes[1], a->bytes[0]);
		return;
	}
	for (int i = 15; i >= 0 && off + 4 < outsz; i--) {
		out[off++] = hex[a->bytes[i] & 0xf];
		out[off++] = '.';
		out[off++] = hex[a->bytes[i] >> 4];
		out[off++] = '.';
	}
	out[off] = '\0';
	snprintf(out + off, outsz - off, "ip6.arpa");
}

void acme_v_hostport(const char *host, int port, char *out, size_t outsz)
{
	if (strchr(host, ':') != NULL)
		snprintf(out, outsz, "[%s]:%d", host, port);
	else
		snprintf(out, outsz, "%s:%d", host, port);
}

void acme_v_quote(const void *data, size_t len, char *out, size_t outsz)
{
	const uint8_t *d = data;
	size_t n = len > ACME_V_QUOTE_MAX ? ACME_V_QUOTE_MAX : len;
	size_t off = 0;
	char esc[5];

	if (outsz < 3) {
		if (outsz > 0)
			out[0] = '\0';
		return;
	}
	out[off++] = '"';
	for (size_t i = 0; i < n; i++) {
		uint8_t c = d[i];

		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (c == '\r')
			snprintf(esc, sizeof(esc), "\\r");
		else if (c == '\t')
			snprintf(esc, sizeof(esc), "\\t");
		else if (c < 0x20 || c > 0x7e)
			snprintf(esc, sizeof(esc), "\\x%02x", c);
		else
			snprintf(esc, sizeof(esc), "%c", c);
		size_t el = strlen(esc);
		if (off + el + 2 > outsz) /* room for the closing quote and the NUL */
			break;
		memcpy(out + off, esc, el);
		off += el;
	}
	out[off++] = '"';
	if (len > n && off + 4 <= outsz) {
		memcpy(out + off, "...", 3);
		off += 3;
	}
	out[off] = '\0';
}

int acme_validate(const struct acme_validate_cfg *cfg, enum acme_chall_type type,
		  const char *ident_type, const char *value, const char *token,
		  const char *key_authorization, struct acme_problem *p)
{
	struct acme_validate_cfg c = {0};
	struct acme_v_addr ip_addr;
	bool ip;

	if (cfg != NULL)
		c = *cfg;
	if (c.timeout_ms <= 0)
		c.timeout_ms = DEFAULT_TIMEOUT_MS;
	if (c.http_port <= 0)
		c.http_port = 80;
	if (c.tls_port <= 0)
		c.tls_port = 443;
	if (ident_type == NULL || value == NULL || value[0] == '\0' || token == NULL ||
	    key_authorization == NULL)
		return acme_fail(p, ACME_PROB_MALFORMED, "incomplete challenge");
	if (strcmp(ident_type, "ip") == 0) {
		if (acme_v_ip_parse(value, &ip_addr) != 0)
			return acme_fail(p, ACME_PROB_MALFORMED,
					 "ip identifier %s is not an IP address", value);
		ip = true;
	} else if (strcmp(ident_type, "dns") == 0) {
		ip = false;
	} else {
		return acme_fail(p, ACME_PROB_MALFORMED, "unsupported identifier type %s",
				 ident_type);
	}
	int64_t deadline = acme_v_now_ms() + c.timeout_ms;
	sigset_t pipe_set, old_set;
	int rc;

	/* A write to a peer that went away must not kill the process: SIGPIPE is blocked on this
	 * thread while it validates, and one raised meanwhile is taken off before unblocking. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
	switch (type) {
	case ACME_CH_HTTP01:
		rc = acme_v_http01(&c, deadline, ip, value, token, key_authorization, p);
		break;
	case ACME_CH_DNS01:
		if (ip)
			rc = acme_fail(p, ACME_PROB_MALFORMED,
				       "dns-01 does not apply to ip identifiers");
		else
			rc = acme_v_dns01(&c, deadline, value, key_authorization, p);
		break;
	case ACME_CH_TLSALPN01:
		rc = acme_v_tlsalpn01(&c, deadline, ip, value, key_authorization, p);
		break;
	default:
		rc = acme_fail(p, ACME_PROB_MALFORMED, "unsupported challenge type");
		break;
	}
	if (!sigismember(&old_set, SIGPIPE)) {
		const struct timespec zero = {0};

		while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
			;
		pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	}
	return rc;
}
