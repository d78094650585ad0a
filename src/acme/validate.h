/* validate.h - what the challenge validators (validate*.c) share; the engine uses internal.h.
 *
 * Every function takes the absolute deadline of the whole validation (acme_v_now_ms() +
 * cfg->timeout_ms) and never blocks past it.
 */
#ifndef STRIDE_ACME_VALIDATE_H
#define STRIDE_ACME_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "acme/internal.h"

/* Longest body of an http-01 answer. */
#define ACME_V_BODY_MAX 8192
/* Most redirects an http-01 validation follows. */
#define ACME_V_REDIRECTS_MAX 10
/* Most addresses kept for one name; most TXT records kept for one name. */
#define ACME_V_ADDRS_MAX 16
#define ACME_V_TXT_MAX	 32
/* Longest TXT record kept (the strings of one record joined); longer ones are cut. */
#define ACME_V_TXT_LEN_MAX 1024
/* Most bytes of a received value quoted in a problem's detail. */
#define ACME_V_QUOTE_MAX 100

/* An IP address: family AF_INET (4 bytes) or AF_INET6 (16 bytes). */
struct acme_v_addr {
	int family;
	uint8_t bytes[16];
};

struct acme_v_addrs {
	size_t n;
	struct acme_v_addr a[ACME_V_ADDRS_MAX];
};

/* The TXT records of one name, each one's strings joined (owned; acme_v_txt_free). */
struct acme_v_txt {
	size_t n;
	char *rec[ACME_V_TXT_MAX];
	size_t len[ACME_V_TXT_MAX];
};

/* Milliseconds on the monotonic clock. */
int64_t acme_v_now_ms(void);
/* Milliseconds left until deadline, 0 when it has passed. */
int acme_v_left_ms(int64_t deadline);
/* Waits until fd is ready for events (poll's) or the deadline: 1 ready, 0 timed out, -1 an
 * error. */
int acme_v_wait_fd(int fd, short events, int64_t deadline);

/* Parses an IP literal ("127.0.0.1", "::1"; no brackets): 0 or -1. */
int acme_v_ip_parse(const char *s, struct acme_v_addr *out);
/* The textual form of a ("::1"), into out (at least INET6_ADDRSTRLEN). */
void acme_v_ip_format(const struct acme_v_addr *a, char *out, size_t outsz);
/* a with port as a socket address; returns its length. */
socklen_t acme_v_sockaddr(const struct acme_v_addr *a, int port, struct sockaddr_storage *out);
/* The reverse-mapping name of a without the trailing dot ("1.0.0.127.in-addr.arpa", RFC 8738
 * §6), into out (at least 73 bytes). */
void acme_v_reverse_name(const struct acme_v_addr *a, char *out, size_t outsz);
/* "host:port" for display, IPv6 literals bracketed, into out. */
void acme_v_hostport(const char *host, int port, char *out, size_t outsz);

/* Parses a resolver address "127.0.0.1:53", "[::1]:53", "127.0.0.1" or "::1" (port 53): 0 or
 * -1. */
int acme_v_resolver_parse(const char *s, struct acme_v_addr *addr, int *port);

/* data (len bytes) as a double-quoted string for a problem detail: at most ACME_V_QUOTE_MAX
 * bytes, then "..."; '"' and '\' escaped, other bytes outside 0x20-0x7e as \n, \r, \t or \xNN.
 * Always NUL-terminates out (which needs 4 * ACME_V_QUOTE_MAX + 6 bytes for no truncation). */
void acme_v_quote(const void *data, size_t len, char *out, size_t outsz);

/* The addresses of host: an IP literal is itself; a name is looked up in /etc/hosts first,
 * then A and AAAA through the resolver (IPv4 first). Failure: dns with the reason. */
int acme_v_resolve(const struct acme_validate_cfg *cfg, const char *host, int64_t deadline,
		   struct acme_v_addrs *out, struct acme_problem *p);
/* The TXT records of name through the resolver; NODATA is 0 with out->n == 0. Failure: dns
 * (NXDOMAIN, another error code, no answer, malformed answer). */
int acme_v_txt(const struct acme_validate_cfg *cfg, const char *name, int64_t deadline,
	       struct acme_v_txt *out, struct acme_problem *p);
void acme_v_txt_free(struct acme_v_txt *t);

/* The three validators (acme_validate's cases); cfg has its defaults filled in, ip says the
 * identifier is an IP address. */
int acme_v_http01(const struct acme_validate_cfg *cfg, int64_t deadline, bool ip, const char *value,
		  const char *token, const char *key_authorization, struct acme_problem *p);
int acme_v_dns01(const struct acme_validate_cfg *cfg, int64_t deadline, const char *value,
		 const char *key_authorization, struct acme_problem *p);
int acme_v_tlsalpn01(const struct acme_validate_cfg *cfg, int64_t deadline, bool ip,
		     const char *value, const char *key_authorization, struct acme_problem *p);

#endif
