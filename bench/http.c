/* http.c - blocking HTTP/1.1 over TLS, one request at a time, bounded sizes. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/str.h"
#include "http.h"

static bool is_ip_literal(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1;
}

int target_init(struct target *t, const char *url, const char *root_file, struct error *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	const char *p, *end;
	char port[8];
	long lport = 443;
	size_t hlen;
	int rc = -1, gai;

	memset(t, 0, sizeof(*t));
	if (strncmp(url, "https://", 8) != 0)
		return err_set(err, ERR_INVALID, "--url must start with https://");
	p = url + 8;
	if (*p == '[') {
		end = strchr(p, ']');
		if (end == NULL)
			return err_set(err, ERR_INVALID, "bad IPv6 host in %s", url);
		hlen = (size_t)(end - p - 1);
		p++;
		end++;
	} else {
		end = p + strcspn(p, ":/");
		hlen = (size_t)(end - p);
	}
	if (hlen == 0 || hlen >= sizeof(t->host))
		return err_set(err, ERR_INVALID, "bad host in %s", url);
	memcpy(t->host, p, hlen);
	t->host[hlen] = '\0';
	if (*end == ':') {
		char *e;
		errno = 0;
		lport = strtol(end + 1, &e, 10);
		if (errno != 0 || e == end + 1 || lport < 1 || lport > 65535 ||
		    (*e != '\0' && *e != '/'))
			return err_set(err, ERR_INVALID, "bad port in %s", url);
	} else if (*end != '\0' && *end != '/') {
		return err_set(err, ERR_INVALID, "bad URL %s", url);
	}
	t->port = (int)lport;
	snprintf(port, sizeof(port), "%d", t->port);
	if (strchr(t->host, ':') != NULL)
		snprintf(t->host_header, sizeof(t->host_header), "[%s]:%d", t->host, t->port);
	else
		snprintf(t->host_header, sizeof(t->host_header), "%s:%d", t->host, t->port);

	gai = getaddrinfo(t->host, port, &hints, &res);
	if (gai != 0 || res == NULL)
		return err_set(err, ERR_NETWORK, "cannot resolve %s: %s", t->host,
			       gai_strerror(gai));
	if (res->ai_addrlen > sizeof(t->addr)) {
		err_set(err, ERR_NETWORK, "address of %s too long", t->host);
		goto out;
	}
	memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
	t->addrlen = res->ai_addrlen;

	t->ctx = SSL_CTX_new(TLS_client_method());
	if (t->ctx == NULL || SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_load_verify_locations(t->ctx, root_file, NULL) != 1) {
		err_openssl(err, ERR_CRYPTO, "cannot set up TLS with root %s", root_file);
		goto out;
	}
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	/* Every new connection is a full handshake, as for a client that starts afresh. */
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_TICKET);
	rc = 0;
out:
	freeaddrinfo(res);
	if (rc != 0)
		target_free(t);
	return rc;
}

void target_free(struct target *t)
{
	SSL_CTX_free(t->ctx);
	t->ctx = NULL;
}

void hconn_init(struct hconn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->buf = xmalloc(HTTP_HEADER_MAX + HTTP_BODY_MAX);
}

bool hconn_is_open(const struct hconn *c)
{
	return c->ssl != NULL;
}

/* A transport error from an SSL_* call that returned ret. */
static int ssl_fail(SSL *ssl, int ret, const char *what, struct error *err)
{
	int e = SSL_get_error(ssl, ret);
	int saved = errno;

	switch (e) {
	case SSL_ERROR_ZERO_RETURN:
		ERR_clear_error();
		return err_set(err, ERR_NETWORK, "%s: connection closed by the server", what);
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (saved == EAGAIN || saved == EWOULDBLOCK)
			return err_set(err, ERR_NETWORK, "%s: timeout after %d s", what,
				       HTTP_IO_TIMEOUT_S);
		if (saved == 0)
			return err_set(err, ERR_NETWORK, "%s: unexpected EOF", what);
		return err_set(err, ERR_NETWORK, "%s: %s", what, strerror(saved));
	default: {
		long v = SSL_get_verify_result(ssl);
		if (v != X509_V_OK) {
			ERR_clear_error();
			return err_set(err, ERR_NETWORK, "%s: certificate verify failed: %s", what,
				       X509_verify_cert_error_string(v));
		}
		return err_openssl(err, ERR_NETWORK, "%s", what);
	}
	}
}

int hconn_open(struct hconn *c, const struct target *t, X509 *cert, EVP_PKEY *key,
	       STACK_OF(X509) * chain, struct error *err)
{
	struct timeval tv = {.tv_sec = HTTP_IO_TIMEOUT_S};
	int one = 1, r;

	hconn_close(c);
	c->fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return err_set(err, ERR_NETWORK, "socket: %s", strerror(errno));
	if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
		err_set(err, ERR_NETWORK, "setsockopt: %s", strerror(errno));
		goto fail;
	}
	if (connect(c->fd, (const struct sockaddr *)&t->addr, t->addrlen) != 0) {
		err_set(err, ERR_NETWORK, "connect %s: %s", t->host_header, strerror(errno));
		goto fail;
	}
	c->ssl = SSL_new(t->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		err_openssl(err, ERR_CRYPTO, "SSL_new");
		goto fail;
	}
	if (is_ip_literal(t->host)) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), t->host) != 1) {
			err_openssl(err, ERR_CRYPTO, "cannot check the server IP");
			goto fail;
		}
	} else if (SSL_set1_host(c->ssl, t->host) != 1 ||
		   SSL_set_tlsext_host_name(c->ssl, t->host) != 1) {
		err_openssl(err, ERR_CRYPTO, "cannot set the server name");
		goto fail;
	}
	if (cert != NULL) {
		if (SSL_use_certificate(c->ssl, cert) != 1 ||
		    SSL_use_PrivateKey(c->ssl, key) != 1) {
			err_openssl(err, ERR_CRYPTO, "cannot use the client certificate");
			goto fail;
		}
		for (int i = 0; i < sk_X509_num(chain); i++) {
			if (SSL_add1_chain_cert(c->ssl, sk_X509_value(chain, i)) != 1) {
				err_openssl(err, ERR_CRYPTO, "cannot add the client chain");
				goto fail;
			}
		}
	}
	ERR_clear_error();
	r = SSL_connect(c->ssl);
	if (r != 1) {
		ssl_fail(c->ssl, r, "TLS handshake", err);
		goto fail;
	}
	return 0;
fail:
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	return -1;
}

void hconn_close(struct hconn *c)
{
	if (c->ssl != NULL) {
		/* Send close_notify; do not wait for the server's. */
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
		ERR_clear_error();
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
}

void hconn_free(struct hconn *c)
{
	hconn_close(c);
	free(c->buf);
	c->buf = NULL;
}

/* Reads at most max bytes into the buffer. */
static int read_some(struct hconn *c, size_t max, struct error *err)
{
	int r;

	if (max == 0)
		return err_set(err, ERR_TOO_LARGE, "response buffer full");
	if (max > INT32_MAX)
		max = INT32_MAX;
	errno = 0;
	r = SSL_read(c->ssl, c->buf + c->len, (int)max);
	if (r <= 0)
		return ssl_fail(c->ssl, r, "read", err);
	c->len += (size_t)r;
	return 0;
}

/* The end of the header block ("\r\n\r\n") in buf[0..len], searching from *from. */
static size_t find_header_end(const struct hconn *c, size_t *from)
{
	for (size_t i = *from; i + 4 <= c->len; i++)
		if (memcmp(c->buf + i, "\r\n\r\n", 4) == 0)
			return i + 4;
	*from = c->len >= 3 ? c->len - 3 : 0;
	return 0;
}

/* Trims optional whitespace (SP / HTAB) around [*s, *e). */
static void trim_ows(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

/* True when the comma-separated value [s, e) holds the token tok (case-insensitive). */
static bool has_token(const char *s, const char *e, const char *tok)
{
	size_t tl = strlen(tok);

	while (s < e) {
		const char *comma = memchr(s, ',', (size_t)(e - s));
		const char *ts = s, *te = comma != NULL ? comma : e;
		trim_ows(&ts, &te);
		if ((size_t)(te - ts) == tl && strncasecmp(ts, tok, tl) == 0)
			return true;
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	return false;
}

static bool name_is(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

/* Parses the status line and headers in buf[0..hdr_len). */
static int parse_head(const struct hconn *c, size_t hdr_len, struct hresp *out, long long *clen,
		      struct error *err)
{
	const char *p = (const char *)c->buf, *end = p + hdr_len - 2; /* before the last CRLF */
	const char *eol = memchr(p, '\r', (size_t)(end - p));
	bool http10, keep_alive = false, close = false;

	*clen = -1;
	if (eol == NULL || eol - p < 12 || eol[1] != '\n')
		return err_set(err, ERR_NETWORK, "malformed status line");
	if (memcmp(p, "HTTP/1.1 ", 9) == 0)
		http10 = false;
	else if (memcmp(p, "HTTP/1.0 ", 9) == 0)
		http10 = true;
	else
		return err_set(err, ERR_NETWORK, "not an HTTP/1.x response");
	for (int i = 9; i < 12; i++)
		if (p[i] < '0' || p[i] > '9')
			return err_set(err, ERR_NETWORK, "malformed status code");
	if (eol - p > 12 && p[12] != ' ')
		return err_set(err, ERR_NETWORK, "malformed status line");
	out->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');

	for (p = eol + 2; p < end; p = eol + 2) {
		const char *colon, *vs, *ve;
		eol = memchr(p, '\r', (size_t)(end - p + 1));
		if (eol == NULL || eol[1] != '\n')
			return err_set(err, ERR_NETWORK, "malformed header line");
		if (*p == ' ' || *p == '\t')
			return err_set(err, ERR_NETWORK, "folded header line");
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL || colon == p)
			return err_set(err, ERR_NETWORK, "malformed header line");
		vs = colon + 1;
		ve = eol;
		trim_ows(&vs, &ve);
		if (name_is(p, (size_t)(colon - p), "content-length")) {
			long long v = 0;
			if (vs == ve)
				return err_set(err, ERR_NETWORK, "empty Content-Length");
			for (const char *q = vs; q < ve; q++) {
				if (*q < '0' || *q > '9' || v > HTTP_BODY_MAX)
					return err_set(err, ERR_NETWORK, "bad Content-Length");
				v = v * 10 + (*q - '0');
			}
			if (v > HTTP_BODY_MAX)
				return err_set(err, ERR_TOO_LARGE,
					       "response body of %lld bytes over %d", v,
					       HTTP_BODY_MAX);
			if (*clen >= 0 && *clen != v)
				return err_set(err, ERR_NETWORK, "conflicting Content-Length");
			*clen = v;
		} else if (name_is(p, (size_t)(colon - p), "transfer-encoding")) {
			return err_set(err, ERR_NETWORK, "Transfer-Encoding is not supported");
		} else if (name_is(p, (size_t)(colon - p), "connection")) {
			close |= has_token(vs, ve, "close");
			keep_alive |= has_token(vs, ve, "keep-alive");
		} else if (name_is(p, (size_t)(colon - p), "replay-nonce")) {
			if ((size_t)(ve - vs) >= sizeof(out->nonce))
				return err_set(err, ERR_NETWORK, "Replay-Nonce too long");
			memcpy(out->nonce, vs, (size_t)(ve - vs));
			out->nonce[ve - vs] = '\0';
		} else if (name_is(p, (size_t)(colon - p), "location")) {
			if ((size_t)(ve - vs) >= sizeof(out->location))
				return err_set(err, ERR_NETWORK, "Location too long");
			memcpy(out->location, vs, (size_t)(ve - vs));
			out->location[ve - vs] = '\0';
		}
	}
	out->close = close || (http10 && !keep_alive);
	return 0;
}

int http_roundtrip(struct hconn *c, const void *req, size_t len, struct hresp *out,
		   struct error *err)
{
	size_t hdr_len = 0, from = 0, total;
	long long clen;
	int r;

	memset(out, 0, sizeof(*out));
	c->len = 0;
	if (c->ssl == NULL)
		return err_set(err, ERR_NETWORK, "not connected");
	if (len > INT32_MAX)
		return err_set(err, ERR_TOO_LARGE, "request too large");
	ERR_clear_error();
	errno = 0;
	r = SSL_write(c->ssl, req, (int)len);
	if (r <= 0)
		return ssl_fail(c->ssl, r, "write", err);
	if ((size_t)r != len)
		return err_set(err, ERR_NETWORK, "short write");

	while ((hdr_len = find_header_end(c, &from)) == 0) {
		if (c->len >= HTTP_HEADER_MAX)
			return err_set(err, ERR_TOO_LARGE, "response headers over %d bytes",
				       HTTP_HEADER_MAX);
		if (read_some(c, HTTP_HEADER_MAX - c->len, err) != 0)
			return -1;
	}
	if (parse_head(c, hdr_len, out, &clen, err) != 0)
		return -1;
	if (out->status < 200)
		return err_set(err, ERR_NETWORK, "unexpected informational response %d",
			       out->status);
	if (clen < 0) {
		if (out->status != 204 && out->status != 304)
			return err_set(err, ERR_NETWORK, "response without Content-Length");
		clen = 0;
	}
	total = hdr_len + (size_t)clen; /* <= HTTP_HEADER_MAX + HTTP_BODY_MAX */
	while (c->len < total)
		if (read_some(c, total - c->len, err) != 0)
			return -1;
	/* One request in flight: anything beyond this response is a protocol error. */
	if (c->len > total || SSL_pending(c->ssl) > 0)
		return err_set(err, ERR_NETWORK, "unexpected bytes after the response");
	out->body = c->buf + hdr_len;
	out->body_len = (size_t)clen;
	return 0;
}
