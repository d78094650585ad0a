/* validate_tls.c - tls-alpn-01 (RFC 8737, IP identifiers RFC 8738 §6) with OpenSSL.
 *
 * A TLS >= 1.2 handshake offering only the ALPN protocol "acme-tls/1", SNI the DNS name or,
 * for an IP address, its reverse-mapping name; the certificate is not verified. The leaf
 * must carry exactly one subjectAltName, the identifier, and a critical id-pe-acmeIdentifier
 * extension whose value is the DER OCTET STRING of SHA-256(key authorization) (RFC 8737 §3).
 */
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "acme/validate.h"
#include "base/str.h"

#define OID_ACME_IDENTIFIER "1.3.6.1.5.5.7.1.31"
#define OID_ACME_OBSOLETE   "1.3.6.1.5.5.7.1.30.1" /* draft versions of RFC 8737 */
#define ALPN_ACME	    "acme-tls/1"
#define SANS_TEXT_MAX	    256

/* Connects to one of addrs (each in turn, with its share of the time left): the socket, or
 * -1 with p set (connection). */
static int dial(const struct acme_validate_cfg *cfg, int64_t deadline,
		const struct acme_v_addrs *addrs, const char *target, struct acme_problem *p)
{
	int last_errno = 0;

	for (size_t i = 0; i < addrs->n; i++) {
		struct sockaddr_storage sa;
		socklen_t salen = acme_v_sockaddr(&addrs->a[i], cfg->tls_port, &sa);
		int left = acme_v_left_ms(deadline);
		int64_t until = acme_v_now_ms() + left / (int)(addrs->n - i);
		int fd, w, soerr = 0;
		socklen_t elen = sizeof(soerr);

		if (left == 0)
			break;
		fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			last_errno = errno;
			continue;
		}
		if (connect(fd, (struct sockaddr *)&sa, salen) == 0)
			return fd;
		if (errno != EINPROGRESS) {
			last_errno = errno;
			close(fd);
			continue;
		}
		w = acme_v_wait_fd(fd, POLLOUT, until);
		if (w == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &elen) == 0 &&
		    soerr == 0)
			return fd;
		if (w != 0)
			last_errno = soerr != 0 ? soerr : errno;
		close(fd);
	}
	if (last_errno != 0)
		return acme_fail(p, ACME_PROB_CONNECTION, "cannot connect to %s: %s", target,
				 strerror(last_errno));
	return acme_fail(p, ACME_PROB_CONNECTION, "no answer from %s within %d ms", target,
			 cfg->timeout_ms);
}

/* The reason of the last OpenSSL error, or fallback; clears the queue. */
static const char *ssl_reason(const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r != NULL ? r : fallback;
}

/* The handshake on fd within the deadline: 0, or -1 with p set (tls, or connection on a
 * timeout). */
static int handshake(SSL *ssl, int fd, const struct acme_validate_cfg *cfg, int64_t deadline,
		     const char *target, struct acme_problem *p)
{
	for (;;) {
		int r, e, w;

		ERR_clear_error();
		errno = 0;
		r = SSL_connect(ssl);
		if (r == 1)
			return 0;
		e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			w = acme_v_wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
					   deadline);
			if (w == 1)
				continue;
			if (w == 0)
				return acme_fail(p, ACME_PROB_CONNECTION,
						 "no answer from %s within %d ms", target,
						 cfg->timeout_ms);
		}
		if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
			int saved = errno;

			ERR_clear_error();
			return acme_fail(p, ACME_PROB_TLS, "TLS handshake with %s failed: %s",
					 target,
					 saved != 0 ? strerror(saved) : "connection closed");
		}
		return acme_fail(p, ACME_PROB_TLS, "TLS handshake with %s failed: %s", target,
				 ssl_reason("protocol error"));
	}
}

/* The SANs of gens as text ("DNS:a.test, IP:127.0.0.1") into out. */
static void sans_text(const GENERAL_NAMES *gens, char *out, size_t outsz)
{
	size_t off = 0;

	out[0] = '\0';
	for (int i = 0; i < sk_GENERAL_NAME_num(gens) && off < outsz; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const char *sep = i > 0 ? ", " : "";
		char buf[4 * ACME_V_QUOTE_MAX + 8];

		if (g->type == GEN_DNS) {
			acme_v_quote(ASN1_STRING_get0_data(g->d.dNSName),
				     (size_t)ASN1_STRING_length(g->d.dNSName), buf, sizeof(buf));
			off += (size_t)snprintf(out + off, outsz - off, "%sDNS:%s", sep, buf);
		} else if (g->type == GEN_IPADD &&
			   (g->d.iPAddress->length == 4 || g->d.iPAddress->length == 16)) {
			struct acme_v_addr a = {.family = g->d.iPAddress->length == 4 ? AF_INET
										      : AF_INET6};

			memcpy(a.bytes, g->d.iPAddress->data, (size_t)g->d.iPAddress->length);
			acme_v_ip_format(&a, buf, sizeof(buf));
			off += (size_t)snprintf(out + off, outsz - off, "%sIP:%s", sep, buf);
		} else {
			off += (size_t)snprintf(out + off, outsz - off, "%sa name of type %d", sep,
						g->type);
		}
	}
}

/* The leaf's subjectAltName must be exactly the identifier. */
static int check_san(X509 *leaf, bool ip, const char *value, struct acme_problem *p)
{
	GENERAL_NAMES *gens;
	struct acme_v_addr want_ip;
	char want[4 * ACME_V_QUOTE_MAX + 16], got[SANS_TEXT_MAX];
	int crit = -1, rc = -1;
	bool match = false;

	if (ip) {
		acme_v_ip_parse(value, &want_ip);
		snprintf(want, sizeof(want), "IP:%s", value);
	} else {
		char q[4 * ACME_V_QUOTE_MAX + 8];

		acme_v_quote(value, strlen(value), q, sizeof(q));
		snprintf(want, sizeof(want), "DNS:%s", q);
	}
	gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, &crit, NULL);
	if (gens == NULL) {
		return acme_fail(p, ACME_PROB_INCORRECT_RESPONSE,
				 "expected one subjectAltName %s, received %s", want,
				 crit == -1   ? "none"
				 : crit == -2 ? "several subjectAltName extensions"
					      : "a malformed one");
	}
	if (sk_GENERAL_NAME_num(gens) == 1) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, 0);

		if (!ip && g->type == GEN_DNS) {
			const char *d = (const char *)ASN1_STRING_get0_data(g->d.dNSName);
			size_t dl = (size_t)ASN1_STRING_length(g->d.dNSName);

			match = dl == strlen(value) && strncasecmp(d, value, dl) == 0;
		} else if (ip && g->type == GEN_IPADD) {
			size_t want_len = want_ip.family == AF_INET ? 4 : 16;

			match = (size_t)g->d.iPAddress->length == want_len &&
				memcmp(g->d.iPAddress->data, want_ip.bytes, want_len) == 0;
		}
	}
	if (!match) {
		sans_text(gens, got, sizeof(got));
		acme_fail(p, ACME_PROB_INCORRECT_RESPONSE,
			  "expected one subjectAltName %s, received %s", want,
			  got[0] != '\0' ? got : "none");
		goto out;
	}
	rc = 0;
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

/* The leaf's id-pe-acmeIdentifier must be critical and hold SHA-256(key authorization). */
static int check_acme_identifier(X509 *leaf, const char *key_authorization, struct acme_problem *p)
{
	static const char what[] = "a critical acmeIdentifier extension (" OID_ACME_IDENTIFIER ")";
	ASN1_OBJECT *oid = OBJ_txt2obj(OID_ACME_IDENTIFIER, 1);
	ASN1_OBJECT *obsolete = OBJ_txt2obj(OID_ACME_OBSOLETE, 1);
	ASN1_OCTET_STRING *os = NULL;
	uint8_t want[SHA256_DIGEST_LENGTH];
	int rc = -1, idx;

	if (oid == NULL || obsolete == NULL) {
		acme_fail(p, ACME_PROB_SERVER_INTERNAL, "cannot check the certificate");
		goto out;
	}
	idx = X509_get_ext_by_OBJ(leaf, oid, -1);
	if (idx < 0) {
		acme_fail(p, ACME_PROB_INCORRECT_RESPONSE, "expected %s, received %s", what,
			  X509_get_ext_by_OBJ(leaf, obsolete, -1) >= 0
			      ? "only the obsolete " OID_ACME_OBSOLETE
			      : "none");
		goto out;
	}
	if (X509_get_ext_by_OBJ(leaf, oid, idx) >= 0) {
		acme_fail(p, ACME_PROB_INCORRECT_RESPONSE, "expected %s, received two", what);
		goto out;
	}
	X509_EXTENSION *ext = X509_get_ext(leaf, idx);
	if (!X509_EXTENSION_get_critical(ext)) {
		acme_fail(p, ACME_PROB_INCORRECT_RESPONSE,
			  "expected %s, received a non-critical one", what);
		goto out;
	}
	const ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(ext);
	const unsigned char *d = ASN1_STRING_get0_data(data);
	long dl = ASN1_STRING_length(data);
	os = d2i_ASN1_OCTET_STRING(NULL, &d, dl);
	if (os == NULL || d != ASN1_STRING_get0_data(data) + dl ||
	    ASN1_STRING_length(os) != SHA256_DIGEST_LENGTH) {
		ERR_clear_error();
		acme_fail(p, ACME_PROB_INCORRECT_RESPONSE,
			  "expected an acmeIdentifier of one OCTET STRING of %d bytes, received "
			  "something else",
			  SHA256_DIGEST_LENGTH);
		goto out;
	}
	SHA256((const unsigned char *)key_authorization, strlen(key_authorization), want);
	if (CRYPTO_memcmp(ASN1_STRING_get0_data(os), want, sizeof(want)) != 0) {
		char *want_hex = hex_encode(want, sizeof(want));
		char *got_hex = hex_encode(ASN1_STRING_get0_data(os), SHA256_DIGEST_LENGTH);

		acme_fail(p, ACME_PROB_INCORRECT_RESPONSE,
			  "expected acmeIdentifier %s (SHA-256 of the key authorization), "
			  "received %s",
			  want_hex, got_hex);
		free(want_hex);
		free(got_hex);
		goto out;
	}
	rc = 0;
out:
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(oid);
	ASN1_OBJECT_free(obsolete);
	return rc;
}

int acme_v_tlsalpn01(const struct acme_validate_cfg *cfg, int64_t deadline, bool ip,
		     const char *value, const char *key_authorization, struct acme_problem *p)
{
	static const unsigned char alpn[] = "\x0a" ALPN_ACME;
	struct acme_v_addrs addrs;
	char target[300], sni[256];
	const unsigned char *proto = NULL;
	unsigned int proto_len = 0;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	X509 *leaf;
	int fd = -1, rc = -1;
	bool connected = false;

	if (strlen(value) > 253)
		return acme_fail(p, ACME_PROB_MALFORMED, "identifier %s is too long", value);
	acme_v_hostport(value, cfg->tls_port, target, sizeof(target));
	if (acme_v_resolve(cfg, value, deadline, &addrs, p) != 0)
		return -1;
	fd = dial(cfg, deadline, &addrs, target, p);
	if (fd < 0)
		return -1;
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1) != 0 ||
	    (ssl = SSL_new(ctx)) == NULL || !SSL_set_fd(ssl, fd)) {
		ERR_clear_error();
		acme_fail(p, ACME_PROB_SERVER_INTERNAL, "cannot start a TLS connection");
		goto out;
	}
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	if (ip) {
		struct acme_v_addr a;

		acme_v_ip_parse(value, &a);
		acme_v_reverse_name(&a, sni, sizeof(sni));
	} else {
		snprintf(sni, sizeof(sni), "%s", value);
	}
	if (!SSL_set_tlsext_host_name(ssl, sni)) {
		ERR_clear_error();
		acme_fail(p, ACME_PROB_MALFORMED, "%s cannot be sent as a TLS server name", value);
		goto out;
	}
	if (handshake(ssl, fd, cfg, deadline, target, p) != 0)
		goto out;
	connected = true;
	SSL_get0_alpn_selected(ssl, &proto, &proto_len);
	if (proto_len != sizeof(ALPN_ACME) - 1 || memcmp(proto, ALPN_ACME, proto_len) != 0) {
		char got[4 * ACME_V_QUOTE_MAX + 8];

		if (proto_len > 0)
			acme_v_quote(proto, proto_len, got, sizeof(got));
		acme_fail(p, ACME_PROB_TLS, "expected ALPN protocol %s from %s, received %s",
			  ALPN_ACME, target, proto_len > 0 ? got : "none");
		goto out;
	}
	leaf = SSL_get0_peer_certificate(ssl);
	if (leaf == NULL) {
		acme_fail(p, ACME_PROB_TLS, "%s sent no certificate", target);
		goto out;
	}
	if (check_san(leaf, ip, value, p) != 0 ||
	    check_acme_identifier(leaf, key_authorization, p) != 0)
		goto out;
	rc = 0;
out:
	if (connected) {
		SSL_shutdown(ssl); /* sends close_notify; never waits */
		ERR_clear_error();
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return rc;
}
