/* address.c - socket addresses: ca.json's "address" split and resolved as Go's net.Listen does,
 * bound to a socket, and addresses printed for the logs. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/str.h"
#include "server/internal.h"
#include "server/server.h"

int server_split_address(const char *address, char **host, char **port, struct error *err)
{
	const char *colon;
	const char *p;
	size_t hlen;
	const char *hstart = address;

	*host = NULL;
	*port = NULL;
	if (address == NULL || address[0] == '\0')
		return err_set(err, ERR_INVALID, "invalid address %s", address ? address : "");
	if (address[0] == '[') {
		const char *close = strchr(address, ']');

		if (close == NULL || close[1] != ':')
			return err_set(err, ERR_INVALID, "invalid address %s", address);
		hstart = address + 1;
		hlen = (size_t)(close - hstart);
		colon = close + 1;
		if (memchr(hstart, '[', hlen) != NULL)
			return err_set(err, ERR_INVALID, "invalid address %s", address);
	} else {
		colon = strchr(address, ':');
		if (colon == NULL || strchr(colon + 1, ':') != NULL || strchr(address, ']') != NULL)
			return err_set(err, ERR_INVALID, "invalid address %s", address);
		hlen = (size_t)(colon - address);
	}
	p = colon + 1;
	for (const char *q = p; *q != '\0'; q++)
		if (*q < '0' || *q > '9')
			return err_set(err, ERR_INVALID, "invalid address %s", address);
	if (strlen(p) > 5 || atoi(p) > 65535)
		return err_set(err, ERR_INVALID, "invalid address %s", address);
	*host = xasprintf("%.*s", (int)hlen, hstart);
	*port = xstrdup(p[0] != '\0' ? p : "0");
	return 0;
}

/* The socket address to listen on: "" = every interface (dual-stack "::" when possible); a
 * name resolves to its first IPv4 address if it has one (as Go's net.Listen does). */
int address_resolve(const char *host, const char *port, struct sockaddr_storage *ss,
		    socklen_t *sslen, struct error *err)
{
	struct addrinfo hints = {0}, *res = NULL, *pick = NULL;
	int gai;

	memset(ss, 0, sizeof(*ss));
	if (host[0] == '\0') {
		int probe = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (probe >= 0) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
			close(probe);
			s6->sin6_family = AF_INET6;
			s6->sin6_addr = in6addr_any;
			s6->sin6_port = htons((uint16_t)atoi(port));
			*sslen = sizeof(*s6);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
			s4->sin_family = AF_INET;
			s4->sin_addr.s_addr = htonl(INADDR_ANY);
			s4->sin_port = htons((uint16_t)atoi(port));
			*sslen = sizeof(*s4);
		}
		return 0;
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0)
		return err_set(err, ERR_INVALID, "cannot resolve %s: %s", host, gai_strerror(gai));
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			pick = ai;
			break;
		}
		if (pick == NULL && ai->ai_family == AF_INET6)
			pick = ai;
	}
	if (pick == NULL || pick->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		return err_set(err, ERR_INVALID, "cannot resolve %s: no usable address", host);
	}
	memcpy(ss, pick->ai_addr, pick->ai_addrlen);
	*sslen = pick->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

void address_set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

int address_get_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* "127.0.0.1:8443" or "[::1]:8443"; malloc'd. */
char *address_format(const struct sockaddr_storage *ss, socklen_t len)
{
	char host[NI_MAXHOST] = "?";

	getnameinfo((const struct sockaddr *)ss, len, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
	return xasprintf(ss->ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", host,
			 address_get_port(ss));
}

/* A bound socket; listening (and sharing the port with the other workers) when reuseport. */
int address_open_socket(const struct sockaddr_storage *ss, socklen_t len, bool reuseport, int *out,
			struct error *err)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, zero = 0;
	char *addr = address_format(ss, len);
	int rc = -1;

	*out = -1;
	if (fd < 0) {
		err_set(err, ERR_IO, "cannot listen on %s: %s", addr, strerror(errno));
		goto out;
	}
	/* TCP_NODELAY is inherited by accepted sockets: an answer larger than one TLS record
	 * goes out in several writes, and Nagle would hold the later ones back until the
	 * client's delayed ACK. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) ||
	    (ss->ss_family == AF_INET6 &&
	     IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr) &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) != 0)) {
		err_set(err, ERR_IO, "cannot listen on %s: %s", addr, strerror(errno));
		goto out;
	}
	if (bind(fd, (const struct sockaddr *)ss, len) != 0) {
		err_set(err, ERR_IO, "cannot listen on %s: %s", addr, strerror(errno));
		goto out;
	}
	if (reuseport && listen(fd, SERVER_LISTEN_BACKLOG) != 0) {
		err_set(err, ERR_IO, "cannot listen on %s: %s", addr, strerror(errno));
		goto out;
	}
	*out = fd;
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(addr);
	return rc;
}

/* The client's address, "127.0.0.1:50000"; malloc'd, NULL when unknown. */
char *conn_peer(struct conn *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = SSL_get_fd(c->ssl);

	if (fd >= 0 && getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
		return address_format(&ss, len);
	return NULL;
}
