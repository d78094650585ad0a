/* validate_dns.c - name lookups for challenge validation: /etc/hosts, then A/AAAA and TXT
 * queries to the configured resolver ("host:port", stride-ca --resolver) or the system's.
 *
 * Queries are built by libresolv (res_nmkquery on a private res_state, so nothing of the
 * process-wide resolver state is shared between validator threads) and answers are parsed by
 * it (ns_initparse, ns_parserr). They are sent here rather than by res_nsend because
 * res_nsend cannot keep a deadline: its UDP timeouts are whole seconds, and over TCP (a
 * truncated answer) it connects and reads without any timeout. Sending is plain UDP with a
 * retransmission every second, then TCP when the answer is truncated (RFC 7766), each server
 * of the list in turn with its share of the time left.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <poll.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "acme/validate.h"
#include "base/b64.h"
#include "base/str.h"

#define HOSTS_PATH	"/etc/hosts"
#define HOSTS_LINE_MAX	1024
#define HOSTS_LINES_MAX 100000
#define DNS_ANSWER_MAX	65535
#define UDP_RESEND_MS	1000

struct dns_servers {
	int n;
	struct sockaddr_storage sa[MAXNS];
	socklen_t len[MAXNS];
};

/* One lookup: the private resolver state, the servers, the answer buffer. */
struct dns_ctx {
	struct __res_state rs;
	bool rs_open;
	struct dns_servers servers;
	uint8_t *ans; /* DNS_ANSWER_MAX bytes */
	int ans_len;
	ns_msg msg; /* the answer, parsed */
	int timeout_ms;
};

int acme_v_resolver_parse(const char *s, struct acme_v_addr *addr, int *port)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_s = NULL;
	size_t hl;

	if (s == NULL || s[0] == '\0')
		return -1;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL)
			return -1;
		hl = (size_t)(end - s - 1);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (end[1] == ':')
			port_s = end + 2;
		else if (end[1] != '\0')
			return -1;
	} else {
		const char *colon = strchr(s, ':');

		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			hl = (size_t)(colon - s);
			port_s = colon + 1;
		} else {
			hl = strlen(s); /* no port, or a bare IPv6 address */
		}
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
		host[hl] = '\0';
	}
	if (acme_v_ip_parse(host, addr) != 0)
		return -1;
	*port = 53;
	if (port_s != NULL) {
		char *end;
		long v;

		errno = 0;
		v = strtol(port_s, &end, 10);
		if (port_s[0] < '0' || port_s[0] > '9' || *end != '\0' || errno != 0 || v < 1 ||
		    v > 65535)
			return -1;
		*port = (int)v;
	}
	return 0;
}

int acme_resolver_check(const char *resolver, struct error *err)
{
	struct acme_v_addr a;
	int port;

	if (acme_v_resolver_parse(resolver, &a, &port) != 0)
		return err_public(err, ERR_INVALID,
				  "resolver %s is not an IP address with an optional port "
				  "(127.0.0.1:53, [::1]:53)",
				  resolver != NULL ? resolver : "(none)");
	return 0;
}

static void ctx_close(struct dns_ctx *c)
{
	if (c->rs_open)
		res_nclose(&c->rs);
	c->rs_open = false;
	free(c->ans);
	c->ans = NULL;
}

/* Opens the resolver state and takes the servers from cfg->resolver or /etc/resolv.conf. */
static int ctx_open(struct dns_ctx *c, const struct acme_validate_cfg *cfg, struct acme_problem *p)
{
	memset(c, 0, sizeof(*c));
	c->timeout_ms = cfg->timeout_ms;
	if (res_ninit(&c->rs) != 0)
		return acme_fail(p, ACME_PROB_SERVER_INTERNAL, "cannot initialise the resolver");
	c->rs_open = true;
	if (cfg->resolver != NULL && cfg->resolver[0] != '\0') {
		struct acme_v_addr a;
		int port;

		if (acme_v_resolver_parse(cfg->resolver, &a, &port) != 0) {
			ctx_close(c);
			return acme_fail(p, ACME_PROB_SERVER_INTERNAL,
					 "the resolver is misconfigured");
		}
		c->servers.len[0] = acme_v_sockaddr(&a, port, &c->servers.sa[0]);
		c->servers.n = 1;
	} else {
		for (int i = 0; i < c->rs.nscount && i < MAXNS; i++) {
			int k = c->servers.n;

			if (c->rs.nsaddr_list[i].sin_family == AF_INET) {
				memcpy(&c->servers.sa[k], &c->rs.nsaddr_list[i],
				       sizeof(struct sockaddr_in));
				c->servers.len[k] = sizeof(struct sockaddr_in);
			} else if (c->rs._u._ext.nsaddrs[i] != NULL &&
				   c->rs._u._ext.nsaddrs[i]->sin6_family == AF_INET6) {
				memcpy(&c->servers.sa[k], c->rs._u._ext.nsaddrs[i],
				       sizeof(struct sockaddr_in6));
				c->servers.len[k] = sizeof(struct sockaddr_in6);
			} else {
				continue;
			}
			c->servers.n++;
		}
		if (c->servers.n == 0) {
			ctx_close(c);
			return acme_fail(p, ACME_PROB_DNS, "no DNS server is configured");
		}
	}
	c->ans = xmalloc(DNS_ANSWER_MAX);
	return 0;
}

/* Whether ans (n bytes) answers the query q: same ID, QR set, the same one question. */
static bool answers_query(const uint8_t *q, int qlen, const uint8_t *ans, int n)
{
	ns_msg qm, am;
	ns_rr qq, aq;

	if (ns_initparse(q, qlen, &qm) != 0 || ns_initparse(ans, n, &am) != 0)
		return false;
	if (ns_msg_id(qm) != ns_msg_id(am) || !ns_msg_getflag(am, ns_f_qr) ||
	    ns_msg_count(am, ns_s_qd) != 1 || ns_parserr(&qm, ns_s_qd, 0, &qq) != 0 ||
	    ns_parserr(&am, ns_s_qd, 0, &aq) != 0)
		return false;
	return ns_rr_type(qq) == ns_rr_type(aq) && ns_rr_class(qq) == ns_rr_class(aq) &&
	       strcasecmp(ns_rr_name(qq), ns_rr_name(aq)) == 0;
}

/* One UDP exchange with a server until `until`: 1 answered, 0 no answer, -1 error (errno). */
static int udp_exchange(struct dns_ctx *c, int si, const uint8_t *q, int qlen, int64_t until)
{
	int fd, rc = 0;
	int64_t next_send = 0;

	fd = socket(c->servers.sa[si].ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&c->servers.sa[si], c->servers.len[si]) != 0) {
		rc = -1;
		goto out;
	}
	for (;;) {
		int64_t now = acme_v_now_ms();
		ssize_t n;
		int w;

		if (now >= until)
			break;
		if (now >= next_send) {
			if (send(fd, q, (size_t)qlen, 0) != qlen && errno != EAGAIN) {
				rc = -1;
				goto out;
			}
			next_send = now + UDP_RESEND_MS;
		}
		w = acme_v_wait_fd(fd, POLLIN, next_send < until ? next_send : until);
		if (w < 0) {
			rc = -1;
			goto out;
		}
		if (w == 0)
			continue;
		n = recv(fd, c->ans, DNS_ANSWER_MAX, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			rc = -1; /* ECONNREFUSED: nothing listens there */
			goto out;
		}
		if (answers_query(q, qlen, c->ans, (int)n)) {
			c->ans_len = (int)n;
			rc = 1;
			goto out;
		}
		/* a stray or forged datagram: keep waiting */
	}
out:
	if (fd >= 0) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return rc;
}

/* Sends or receives exactly n bytes on a non-blocking stream until `until`. */
static int stream_io(int fd, uint8_t *buf, size_t n, bool sending, int64_t until)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = sending ? send(fd, buf + done, n - done, MSG_NOSIGNAL)
				    : recv(fd, buf + done, n - done, 0);

		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		if (r == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		int w = acme_v_wait_fd(fd, sending ? POLLOUT : POLLIN, until);
		if (w <= 0)
			return w;
	}
	return 1;
}

/* One TCP exchange (RFC 7766): 1 answered, 0 no answer in time, -1 error (errno). */
static int tcp_exchange(struct dns_ctx *c, int si, const uint8_t *q, int qlen, int64_t until)
{
	uint8_t prefix[2];
	uint8_t *out = NULL;
	int fd, rc = -1, w;
	socklen_t elen = sizeof(int);
	int soerr = 0;

	fd = socket(c->servers.sa[si].ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&c->servers.sa[si], c->servers.len[si]) != 0) {
		if (errno != EINPROGRESS)
			goto out;
		w = acme_v_wait_fd(fd, POLLOUT, until);
		if (w <= 0) {
			rc = w;
			goto out;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &elen) != 0)
			goto out;
		if (soerr != 0) {
			errno = soerr;
			goto out;
		}
	}
	out = xmalloc((size_t)qlen + 2);
	ns_put16((unsigned)qlen, out);
	memcpy(out + 2, q, (size_t)qlen);
	rc = stream_io(fd, out, (size_t)qlen + 2, true, until);
	if (rc <= 0)
		goto out;
	rc = stream_io(fd, prefix, 2, false, until);
	if (rc <= 0)
		goto out;
	unsigned alen = ns_get16(prefix);
	rc = stream_io(fd, c->ans, alen, false, until);
	if (rc <= 0)
		goto out;
	if (!answers_query(q, qlen, c->ans, (int)alen)) {
		errno = EBADMSG;
		rc = -1;
		goto out;
	}
	c->ans_len = (int)alen;
	rc = 1;
out:
	free(out);
	if (fd >= 0) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return rc;
}

static const char *rcode_name(int rcode)
{
	switch (rcode) {
	case ns_r_formerr:
		return "FORMERR";
	case ns_r_servfail:
		return "SERVFAIL";
	case ns_r_nxdomain:
		return "NXDOMAIN";
	case ns_r_notimpl:
		return "NOTIMP";
	case ns_r_refused:
		return "REFUSED";
	default:
		return NULL;
	}
}

/* Asks the servers in turn for (name, type) until one gives an answer (NOERROR or NXDOMAIN);
 * then c->msg is the parsed answer and *rcode its code. Failure: dns. */
static int dns_query(struct dns_ctx *c, const char *name, int type, const char *type_name,
		     int64_t deadline, int *rcode, struct acme_problem *p)
{
	uint8_t q[NS_PACKETSZ];
	int qlen, last_rcode = -1, last_errno = 0;
	bool timed_out = false;

	qlen = res_nmkquery(&c->rs, ns_o_query, name, ns_c_in, type, NULL, 0, NULL, q, sizeof(q));
	if (qlen <= 0)
		return acme_fail(p, ACME_PROB_DNS, "%s is not a valid DNS name", name);
	for (int si = 0; si < c->servers.n; si++) {
		int left = acme_v_left_ms(deadline);
		int64_t until = acme_v_now_ms() + left / (c->servers.n - si);
		int r;

		if (left == 0) {
			timed_out = true;
			break;
		}
		r = udp_exchange(c, si, q, qlen, until);
		if (r == 1 && ns_initparse(c->ans, c->ans_len, &c->msg) == 0 &&
		    ns_msg_getflag(c->msg, ns_f_tc))
			r = tcp_exchange(c, si, q, qlen, until);
		if (r == 0) {
			timed_out = true;
			continue;
		}
		if (r < 0) {
			last_errno = errno;
			continue;
		}
		if (ns_initparse(c->ans, c->ans_len, &c->msg) != 0) {
			last_errno = EBADMSG;
			continue;
		}
		int rc = ns_msg_getflag(c->msg, ns_f_rcode);
		if (rc == ns_r_noerror || rc == ns_r_nxdomain) {
			*rcode = rc;
			return 0;
		}
		last_rcode = rc; /* SERVFAIL, REFUSED, ...: the next server may know */
	}
	if (last_rcode >= 0) {
		const char *rn = rcode_name(last_rcode);

		if (rn != NULL)
			return acme_fail(p, ACME_PROB_DNS, "DNS lookup of %s for %s: %s", type_name,
					 name, rn);
		return acme_fail(p, ACME_PROB_DNS, "DNS lookup of %s for %s: rcode %d", type_name,
				 name, last_rcode);
	}
	if (last_errno != 0 && !timed_out)
		return acme_fail(p, ACME_PROB_DNS, "DNS lookup of %s for %s: %s", type_name, name,
				 last_errno == EBADMSG ? "malformed answer" : strerror(last_errno));
	return acme_fail(p, ACME_PROB_DNS, "DNS lookup of %s for %s: no answer within %d ms",
			 type_name, name, c->timeout_ms);
}

static void addrs_add(struct acme_v_addrs *out, int family, const uint8_t *bytes)
{
	size_t len = family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < out->n; i++) {
		if (out->a[i].family == family && memcmp(out->a[i].bytes, bytes, len) == 0)
			return;
	}
	if (out->n >= ACME_V_ADDRS_MAX)
		return;
	memset(&out->a[out->n], 0, sizeof(out->a[out->n]));
	out->a[out->n].family = family;
	memcpy(out->a[out->n].bytes, bytes, len);
	out->n++;
}

/* The addresses of name in /etc/hosts (every matching line, as glibc's files backend). */
static void hosts_lookup(const char *name, struct acme_v_addrs *out)
{
	char line[HOSTS_LINE_MAX];
	char want[NS_MAXDNAME + 1];
	size_t wl = strlen(name);
	bool skipping = false;
	FILE *f;

	if (wl == 0 || wl > NS_MAXDNAME)
		return;
	memcpy(want, name, wl + 1);
	if (want[wl - 1] == '.')
		want[wl - 1] = '\0';
	f = fopen(HOSTS_PATH, "re");
	if (f == NULL)
		return;
	for (int ln = 0; ln < HOSTS_LINES_MAX && fgets(line, sizeof(line), f) != NULL; ln++) {
		bool whole = strchr(line, '\n') != NULL || feof(f);
		bool skip = skipping;
		char *save = NULL, *tok, *hash;
		struct acme_v_addr a;

		skipping = !whole; /* the rest of an overlong line is not a line of its own */
		if (skip)
			continue;
		hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		tok = strtok_r(line, " \t\r\n", &save);
		if (tok == NULL || acme_v_ip_parse(tok, &a) != 0)
			continue;
		while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			if (strcasecmp(tok, want) == 0) {
				addrs_add(out, a.family, a.bytes);
				break;
			}
		}
	}
	fclose(f);
}

/* Adds the records of type (A or AAAA) in c->msg's answer section to out. */
static int collect_addrs(struct dns_ctx *c, int type, const char *name, struct acme_v_addrs *out,
			 struct acme_problem *p)
{
	int count = ns_msg_count(c->msg, ns_s_an);

	for (int i = 0; i < count; i++) {
		ns_rr rr;

		if (ns_parserr(&c->msg, ns_s_an, i, &rr) != 0)
			return acme_fail(p, ACME_PROB_DNS,
					 "DNS lookup of %s for %s: malformed answer",
					 type == ns_t_a ? "A" : "AAAA", name);
		if (ns_rr_class(rr) != ns_c_in || (int)ns_rr_type(rr) != type)
			continue;
		if (type == ns_t_a && ns_rr_rdlen(rr) == 4)
			addrs_add(out, AF_INET, ns_rr_rdata(rr));
		else if (type == ns_t_aaaa && ns_rr_rdlen(rr) == 16)
			addrs_add(out, AF_INET6, ns_rr_rdata(rr));
	}
	return 0;
}

int acme_v_resolve(const struct acme_validate_cfg *cfg, const char *host, int64_t deadline,
		   struct acme_v_addrs *out, struct acme_problem *p)
{
	struct dns_ctx c;
	struct acme_v_addr lit;
	int rc = -1, rcode;

	memset(out, 0, sizeof(*out));
	if (acme_v_ip_parse(host, &lit) == 0) {
		out->a[0] = lit;
		out->n = 1;
		return 0;
	}
	hosts_lookup(host, out);
	if (out->n > 0)
		return 0;
	if (ctx_open(&c, cfg, p) != 0)
		return -1;
	if (dns_query(&c, host, ns_t_a, "A", deadline, &rcode, p) != 0)
		goto out;
	if (rcode == ns_r_nxdomain) {
		acme_fail(p, ACME_PROB_DNS, "DNS lookup of A for %s: NXDOMAIN", host);
		goto out;
	}
	if (collect_addrs(&c, ns_t_a, host, out, p) != 0)
		goto out;
	/* A failed AAAA lookup matters only when there is no A record either. */
	struct acme_problem aaaa_p = {0};
	int ar = dns_query(&c, host, ns_t_aaaa, "AAAA", deadline, &rcode, &aaaa_p);
	if (ar == 0 && rcode == ns_r_noerror)
		ar = collect_addrs(&c, ns_t_aaaa, host, out, &aaaa_p);
	if (out->n == 0) {
		if (ar != 0 && p != NULL)
			*p = aaaa_p;
		else
			acme_fail(p, ACME_PROB_DNS, "DNS lookup of A/AAAA for %s: no address",
				  host);
		goto out;
	}
	rc = 0;
out:
	ctx_close(&c);
	return rc;
}

void acme_v_txt_free(struct acme_v_txt *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->rec[i]);
	memset(t, 0, sizeof(*t));
}

/* The strings of a TXT record's data joined (RFC 1035 §3.3.14), cut at ACME_V_TXT_LEN_MAX. */
static int txt_join(const uint8_t *rd, size_t rdlen, char **out, size_t *out_len)
{
	char *s = xmalloc(ACME_V_TXT_LEN_MAX + 1);
	size_t off = 0, n = 0;

	while (off < rdlen) {
		size_t l = rd[off];

		if (off + 1 + l > rdlen) {
			free(s);
			return -1;
		}
		size_t take = l;
		if (n + take > ACME_V_TXT_LEN_MAX)
			take = ACME_V_TXT_LEN_MAX - n;
		memcpy(s + n, rd + off + 1, take);
		n += take;
		off += 1 + l;
	}
	s[n] = '\0';
	*out = s;
	*out_len = n;
	return 0;
}

int acme_v_txt(const struct acme_validate_cfg *cfg, const char *name, int64_t deadline,
	       struct acme_v_txt *out, struct acme_problem *p)
{
	struct dns_ctx c;
	int rc = -1, rcode, count;

	memset(out, 0, sizeof(*out));
	if (ctx_open(&c, cfg, p) != 0)
		return -1;
	if (dns_query(&c, name, ns_t_txt, "TXT", deadline, &rcode, p) != 0)
		goto out;
	if (rcode == ns_r_nxdomain) {
		acme_fail(p, ACME_PROB_DNS, "DNS lookup of TXT for %s: NXDOMAIN", name);
		goto out;
	}
	count = ns_msg_count(c.msg, ns_s_an);
	for (int i = 0; i < count && out->n < ACME_V_TXT_MAX; i++) {
		ns_rr rr;

		if (ns_parserr(&c.msg, ns_s_an, i, &rr) != 0 ||
		    (ns_rr_class(rr) == ns_c_in && ns_rr_type(rr) == ns_t_txt &&
		     txt_join(ns_rr_rdata(rr), ns_rr_rdlen(rr), &out->rec[out->n],
			      &out->len[out->n]) != 0)) {
			acme_v_txt_free(out);
			acme_fail(p, ACME_PROB_DNS, "DNS lookup of TXT for %s: malformed answer",
				  name);
			goto out;
		}
		if (ns_rr_class(rr) == ns_c_in && ns_rr_type(rr) == ns_t_txt)
			out->n++;
	}
	rc = 0;
out:
	ctx_close(&c);
	return rc;
}

int acme_v_dns01(const struct acme_validate_cfg *cfg, int64_t deadline, const char *value,
		 const char *key_authorization, struct acme_problem *p)
{
	struct acme_v_txt txt = {0};
	uint8_t digest[SHA256_DIGEST_LENGTH];
	char *want = NULL, *name = NULL;
	char got[ACME_DETAIL_MAX];
	size_t wl, off = 0;
	int rc = -1;

	if (str_has_prefix(value, "*."))
		value += 2; /* RFC 8555 §8.4: a wildcard's base name */
	if (strlen(value) > 253)
		return acme_fail(p, ACME_PROB_MALFORMED, "identifier %s is too long", value);
	name = xasprintf("_acme-challenge.%s", value);
	SHA256((const unsigned char *)key_authorization, strlen(key_authorization), digest);
	want = b64url_encode(digest, sizeof(digest));
	wl = strlen(want);
	if (acme_v_txt(cfg, name, deadline, &txt, p) != 0)
		goto out;
	for (size_t i = 0; i < txt.n; i++) {
		if (txt.len[i] == wl && memcmp(txt.rec[i], want, wl) == 0) {
			rc = 0;
			goto out;
		}
	}
	got[0] = '\0';
	for (size_t i = 0; i < txt.n && off < sizeof(got); i++) {
		char q[4 * ACME_V_QUOTE_MAX + 8];

		acme_v_quote(txt.rec[i], txt.len[i], q, sizeof(q));
		off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%s", i > 0 ? ", " : "", q);
	}
	acme_fail(p, ACME_PROB_INCORRECT_RESPONSE, "expected TXT \"%s\" at %s, received %s", want,
		  name, txt.n > 0 ? got : "no TXT record");
out:
	acme_v_txt_free(&txt);
	free(want);
	free(name);
	return rc;
}
