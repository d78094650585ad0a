/* test_acme_validate.c - challenge validation (acme_validate) against servers on loopback: an
 * HTTP server and a TLS server run as threads here, and the DNS server is the knotd that
 * tests/acme/with-knot.sh starts (STRIDE_DNS_ADDR, zone test.: every name resolves to
 * 127.0.0.1 and ::1 except those below ns1.test, which do not exist). Each case checks the
 * exact problem type and detail.
 *
 * The HTTP server decides by the token what to answer; the key authorization of token T is
 * always T + "." + THUMB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "acme/internal.h"
#include "acme/validate.h"
#include "base/b64.h"

#define THUMB	"Nh3H1xZ0gSkdVj5L4dOxVFm9tmRs2FHyjL6DcHqg5sA"
#define CHPATH	"/.well-known/acme-challenge/"
#define MAX_REQ 4096

/* ------------------------------------------------------------------------ helpers */

static char *ka_of(const char *token)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%.150s.%s", token, THUMB);
	return buf;
}

/* A listening TCP socket on 127.0.0.1 at a kernel-chosen port. */
static int listen_local(int *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A port on 127.0.0.1 nothing listens on (bound, then closed). */
static int dead_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static void set_timeouts(int fd, int seconds)
{
	struct timeval tv = {.tv_sec = seconds};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Connects to 127.0.0.1:port and closes: wakes a server blocked in accept. */
static void poke(int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	(void)connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
}

/* ------------------------------------------------------------------------ HTTP server */

static struct {
	int fd, port;
	pthread_t th;
	volatile int stop;
	pthread_mutex_t mu;
	char last_path[512];
	char last_host[256];
	int requests;
} http = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void send_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t r = send(fd, s, n, MSG_NOSIGNAL);

		if (r <= 0)
			return;
		s += r;
		n -= (size_t)r;
	}
}

static void respond(int fd, int status, const char *location, const char *body, size_t blen)
{
	char head[1024];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s%s%s\r\n",
			 status, blen, location ? "Location: " : "", location ? location : "",
			 location ? "\r\n" : "");

	send_all(fd, head, (size_t)n);
	send_all(fd, body, blen);
}

static void http_handle(int fd)
{
	char req[MAX_REQ + 1], path[512] = "", host[256] = "", loc[512];
	size_t n = 0;
	const char *tok;

	set_timeouts(fd, 10);
	while (n < MAX_REQ) {
		ssize_t r = recv(fd, req + n, MAX_REQ - n, 0);

		if (r <= 0)
			return;
		n += (size_t)r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	sscanf(req, "GET %511s", path);
	const char *h = strstr(req, "\r\nHost: ");
	if (h != NULL)
		sscanf(h + 8, "%255[^\r]", host);
	pthread_mutex_lock(&http.mu);
	snprintf(http.last_path, sizeof(http.last_path), "%s", path);
	snprintf(http.last_host, sizeof(http.last_host), "%s", host);
	http.requests++;
	pthread_mutex_unlock(&http.mu);
	if (strncmp(path, CHPATH, strlen(CHPATH)) != 0) {
		respond(fd, 400, NULL, "", 0);
		return;
	}
	tok = path + strlen(CHPATH);
	if (strcmp(tok, "good") == 0 || strcmp(tok, "redirected") == 0) {
		respond(fd, 200, NULL, ka_of(tok), strlen(ka_of(tok)));
	} else if (strcmp(tok, "spaces") == 0) {
		char body[300];

		snprintf(body, sizeof(body), "\r\n  %s \t\n", ka_of(tok));
		respond(fd, 200, NULL, body, strlen(body));
	} else if (strcmp(tok, "wrong") == 0) {
		respond(fd, 200, NULL, "wrong\x01\"answer\n", 14);
	} else if (strcmp(tok, "missing") == 0) {
		respond(fd, 404, NULL, "not found", 9);
	} else if (strcmp(tok, "big") == 0) {
		char *body = malloc(9000);

		memset(body, 'a', 9000);
		respond(fd, 200, NULL, body, 9000);
		free(body);
	} else if (strcmp(tok, "hang") == 0) {
		char buf[64];

		while (recv(fd, buf, sizeof(buf), 0) > 0) /* until the client gives up */
			;
	} else if (strcmp(tok, "loop") == 0) {
		respond(fd, 302, CHPATH "loop", "", 0);
	} else if (strncmp(tok, "hop", 3) == 0) {
		int k = atoi(tok + 3);

		/* hopK: K relative redirects on this host, then one to redir.test (K + 1 in all) */
		if (k > 0)
			snprintf(loc, sizeof(loc), CHPATH "hop%d", k - 1);
		else
			snprintf(loc, sizeof(loc), "http://redir.test:%d" CHPATH "redirected",
				 http.port);
		respond(fd, 302, loc, "moved", 5);
	} else {
		respond(fd, 404, NULL, "", 0);
	}
}

/* The servers' writes to a client that went away raise SIGPIPE on their own threads, where
 * it stays blocked; the validator must not raise one (the test would die). */
static void block_sigpipe(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void *http_main(void *arg)
{
	(void)arg;
	block_sigpipe();
	for (;;) {
		int c = accept(http.fd, NULL, NULL);

		if (http.stop) {
			if (c >= 0)
				close(c);
			break;
		}
		if (c < 0)
			continue;
		http_handle(c);
		close(c);
	}
	return NULL;
}

static void http_last(char *path, size_t pl, char *host, size_t hl)
{
	pthread_mutex_lock(&http.mu);
	snprintf(path, pl, "%s", http.last_path);
	snprintf(host, hl, "%s", http.last_host);
	pthread_mutex_unlock(&http.mu);
}

/* ------------------------------------------------------------------------ TLS server */

enum alpn_mode { ALPN_ACME, ALPN_NONE, ALPN_ALERT };

static struct {
	int fd, port;
	pthread_t th;
	volatile int stop;
	pthread_mutex_t mu;
	SSL_CTX *ctx;
	X509 *cert;
	EVP_PKEY *key;
	enum alpn_mode alpn;
	char last_sni[256];
} tls = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Records the SNI as the ClientHello is read: before the server's first flight, so before the
 * client can finish its validation (recorded after SSL_accept, a TLS 1.3 client could return
 * first and the test read the previous connection's name). */
static int sni_cb(SSL *ssl, int *alert, void *arg)
{
	const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	(void)alert;
	(void)arg;
	pthread_mutex_lock(&tls.mu);
	snprintf(tls.last_sni, sizeof(tls.last_sni), "%s", sni ? sni : "");
	pthread_mutex_unlock(&tls.mu);
	return SSL_TLSEXT_ERR_OK;
}

static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		   const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char acme[] = "\x0a"
					    "acme-tls/1";
	enum alpn_mode mode;

	(void)ssl;
	(void)arg;
	pthread_mutex_lock(&tls.mu);
	mode = tls.alpn;
	pthread_mutex_unlock(&tls.mu);
	if (mode == ALPN_NONE)
		return SSL_TLSEXT_ERR_NOACK;
	if (mode == ALPN_ALERT)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	if (SSL_select_next_proto((unsigned char **)out, outlen, acme, sizeof(acme) - 1, in,
				  inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	return SSL_TLSEXT_ERR_OK;
}

static void *tls_main(void *arg)
{
	(void)arg;
	block_sigpipe();
	for (;;) {
		int c = accept(tls.fd, NULL, NULL);
		SSL *ssl;

		if (tls.stop) {
			if (c >= 0)
				close(c);
			break;
		}
		if (c < 0)
			continue;
		set_timeouts(c, 10);
		ssl = SSL_new(tls.ctx);
		pthread_mutex_lock(&tls.mu);
		SSL_use_certificate(ssl, tls.cert);
		SSL_use_PrivateKey(ssl, tls.key);
		pthread_mutex_unlock(&tls.mu);
		SSL_set_fd(ssl, c);
		if (SSL_accept(ssl) == 1) {
			char buf[16];

			(void)SSL_read(ssl, buf, sizeof(buf)); /* until the client closes */
		}
		SSL_free(ssl);
		close(c);
	}
	return NULL;
}

enum ext_mode { EXT_OK, EXT_NONCRITICAL, EXT_NONE, EXT_OBSOLETE, EXT_WRONG };

/* Installs a fresh self-signed certificate with the SANs san (OpenSSL's "DNS:a,IP:b" form)
 * and the acmeIdentifier extension as mode says for key authorization ka. */
static void tls_serve(const char *san, enum ext_mode mode, const char *ka, enum alpn_mode alpn)
{
	static EVP_PKEY *key;
	uint8_t der[2 + SHA256_DIGEST_LENGTH] = {0x04, SHA256_DIGEST_LENGTH};
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX v3;

	if (key == NULL)
		key = EVP_EC_gen("P-256");
	assert_non_null(key);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"acme", -1, -1,
				   0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, name);
	X509_NAME_free(name);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if (san != NULL) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);

		assert_non_null(e);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	if (mode != EXT_NONE) {
		ASN1_OBJECT *oid = OBJ_txt2obj(
		    mode == EXT_OBSOLETE ? "1.3.6.1.5.5.7.1.30.1" : "1.3.6.1.5.5.7.1.31", 1);
		ASN1_OCTET_STRING *val = ASN1_OCTET_STRING_new();
		X509_EXTENSION *e;

		SHA256((const unsigned char *)ka, strlen(ka), der + 2);
		if (mode == EXT_WRONG)
			der[2] ^= 0xff;
		ASN1_OCTET_STRING_set(val, der, sizeof(der));
		e = X509_EXTENSION_create_by_OBJ(NULL, oid, mode != EXT_NONCRITICAL, val);
		assert_non_null(e);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(val);
		ASN1_OBJECT_free(oid);
	}
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	pthread_mutex_lock(&tls.mu);
	X509_free(tls.cert);
	tls.cert = x;
	tls.key = key;
	tls.alpn = alpn;
	tls.last_sni[0] = '\0';
	pthread_mutex_unlock(&tls.mu);
}

/* ------------------------------------------------------------------------ fixtures */

static const char *dns_addr(void)
{
	return getenv("STRIDE_DNS_ADDR");
}

static int setup(void **state)
{
	(void)state;
	http.fd = listen_local(&http.port);
	assert_int_equal(pthread_create(&http.th, NULL, http_main, NULL), 0);
	tls.ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(tls.ctx);
	SSL_CTX_set_alpn_select_cb(tls.ctx, alpn_cb, NULL);
	SSL_CTX_set_tlsext_servername_callback(tls.ctx, sni_cb);
	tls.fd = listen_local(&tls.port);
	assert_int_equal(pthread_create(&tls.th, NULL, tls_main, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	http.stop = 1;
	poke(http.port);
	pthread_join(http.th, NULL);
	close(http.fd);
	tls.stop = 1;
	poke(tls.port);
	pthread_join(tls.th, NULL);
	close(tls.fd);
	SSL_CTX_free(tls.ctx);
	X509_free(tls.cert);
	EVP_PKEY_free(tls.key);
	return 0;
}

static struct acme_validate_cfg cfg_of(int timeout_ms)
{
	struct acme_validate_cfg c = {.resolver = dns_addr(),
				      .http_port = http.port,
				      .tls_port = tls.port,
				      .timeout_ms = timeout_ms};
	return c;
}

/* Runs one validation and checks its outcome: want_type ACME_PROB_NONE for success, else the
 * problem type and the exact detail. */
static void check(const struct acme_validate_cfg *c, enum acme_chall_type type,
		  const char *ident_type, const char *value, const char *token, const char *ka,
		  enum acme_prob want_type, const char *want_detail)
{
	struct acme_problem p = {0};
	int rc = acme_validate(c, type, ident_type, value, token, ka, &p);

	if (want_type == ACME_PROB_NONE) {
		if (rc != 0)
			print_error("unexpected problem %s: %s\n", acme_prob_urn(p.type), p.detail);
		assert_int_equal(rc, 0);
		return;
	}
	assert_int_equal(rc, -1);
	assert_string_equal(acme_prob_urn(p.type), acme_prob_urn(want_type));
	assert_string_equal(p.detail, want_detail);
}

#define NEED_DNS()                                                                                 \
	do {                                                                                       \
		if (dns_addr() == NULL) {                                                          \
			print_message("STRIDE_DNS_ADDR unset (run through with-knot.sh)\n");       \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

static void knot(const char *cmd, const char *name, const char *value)
{
	char line[1024];

	snprintf(line, sizeof(line), "\"%s\" %s \"%s\" '%s' '%s'", getenv("STRIDE_KNOT"), cmd,
		 getenv("STRIDE_KNOT_DIR"), name, value ? value : "");
	if (value == NULL)
		snprintf(line, sizeof(line), "\"%s\" %s \"%s\" '%s'", getenv("STRIDE_KNOT"), cmd,
			 getenv("STRIDE_KNOT_DIR"), name);
	assert_int_equal(system(line), 0);
}

static char *digest_of(const char *ka)
{
	uint8_t d[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)ka, strlen(ka), d);
	return b64url_encode(d, sizeof(d));
}

/* ------------------------------------------------------------------------ names, helpers */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(acme_chall_name(ACME_CH_HTTP01), "http-01");
	assert_string_equal(acme_chall_name(ACME_CH_DNS01), "dns-01");
	assert_string_equal(acme_chall_name(ACME_CH_TLSALPN01), "tls-alpn-01");
	assert_null(acme_chall_name(ACME_CH_UNKNOWN));
	assert_int_equal(acme_chall_from_name("http-01"), ACME_CH_HTTP01);
	assert_int_equal(acme_chall_from_name("dns-01"), ACME_CH_DNS01);
	assert_int_equal(acme_chall_from_name("tls-alpn-01"), ACME_CH_TLSALPN01);
	assert_int_equal(acme_chall_from_name("tls-sni-02"), ACME_CH_UNKNOWN);
	assert_int_equal(acme_chall_from_name("HTTP-01"), ACME_CH_UNKNOWN);
	assert_int_equal(acme_chall_from_name(NULL), ACME_CH_UNKNOWN);
}

static void test_quote_and_names(void **state)
{
	char out[4 * ACME_V_QUOTE_MAX + 8], big[300];
	struct acme_v_addr a;
	struct error err = {0};

	(void)state;
	acme_v_quote("a\"b\\c\n\r\t\x01\xff", 10, out, sizeof(out));
	assert_string_equal(out, "\"a\\\"b\\\\c\\n\\r\\t\\x01\\xff\"");
	memset(big, 'x', sizeof(big));
	acme_v_quote(big, sizeof(big), out, sizeof(out));
	assert_int_equal(strlen(out), ACME_V_QUOTE_MAX + 5);
	assert_string_equal(out + ACME_V_QUOTE_MAX + 1, "\"...");
	acme_v_quote("abcdef", 6, out, 6);
	assert_string_equal(out, "\"abc\"");

	assert_int_equal(acme_v_ip_parse("127.0.0.1", &a), 0);
	acme_v_reverse_name(&a, out, sizeof(out));
	assert_string_equal(out, "1.0.0.127.in-addr.arpa");
	assert_int_equal(acme_v_ip_parse("2001:db8::567:89ab", &a), 0);
	acme_v_reverse_name(&a, out, sizeof(out));
	assert_string_equal(
	    out, "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");

	assert_int_equal(acme_resolver_check("127.0.0.1:5353", &err), 0);
	assert_int_equal(acme_resolver_check("[::1]:53", &err), 0);
	assert_int_equal(acme_resolver_check("127.0.0.1", &err), 0);
	assert_int_equal(acme_resolver_check("::1", &err), 0);
	assert_int_equal(acme_resolver_check("127.0.0.1:0", &err), -1);
	assert_int_equal(acme_resolver_check("127.0.0.1:65536", &err), -1);
	assert_int_equal(acme_resolver_check("dns.example:53", &err), -1);
	assert_int_equal(acme_resolver_check("[::1]53", &err), -1);
	assert_int_equal(acme_resolver_check("", &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, "resolver  is not an IP address with an optional port "
				     "(127.0.0.1:53, [::1]:53)");
}

static void test_malformed(void **state)
{
	struct acme_validate_cfg c = cfg_of(5000);

	(void)state;
	check(&c, ACME_CH_HTTP01, "ip", "not-an-ip", "good", ka_of("good"), ACME_PROB_MALFORMED,
	      "ip identifier not-an-ip is not an IP address");
	check(&c, ACME_CH_DNS01, "ip", "127.0.0.1", "good", ka_of("good"), ACME_PROB_MALFORMED,
	      "dns-01 does not apply to ip identifiers");
	check(&c, ACME_CH_HTTP01, "email", "a@b", "good", ka_of("good"), ACME_PROB_MALFORMED,
	      "unsupported identifier type email");
	check(&c, ACME_CH_UNKNOWN, "dns", "x.test", "good", ka_of("good"), ACME_PROB_MALFORMED,
	      "unsupported challenge type");
	check(&c, ACME_CH_HTTP01, "dns", "x.test", "../x", ka_of("good"), ACME_PROB_MALFORMED,
	      "the token is not base64url");
}

/* ------------------------------------------------------------------------ http-01 */

static char *url_of(const char *host, const char *token)
{
	static char buf[300];

	snprintf(buf, sizeof(buf), "http://%.64s:%d" CHPATH "%.64s", host, http.port, token);
	return buf;
}

static void test_http_ip(void **state)
{
	struct acme_validate_cfg c = cfg_of(10000);
	char path[512], host[256], want[64];

	(void)state;
	check(&c, ACME_CH_HTTP01, "ip", "127.0.0.1", "good", ka_of("good"), ACME_PROB_NONE, NULL);
	http_last(path, sizeof(path), host, sizeof(host));
	assert_string_equal(path, CHPATH "good");
	snprintf(want, sizeof(want), "127.0.0.1:%d", http.port);
	assert_string_equal(host, want);
	/* surrounding whitespace is trimmed */
	check(&c, ACME_CH_HTTP01, "ip", "127.0.0.1", "spaces", ka_of("spaces"), ACME_PROB_NONE,
	      NULL);
}

static void test_http_dns_name(void **state)
{
	struct acme_validate_cfg c = cfg_of(10000);
	char path[512], host[256], want[64];

	(void)state;
	NEED_DNS();
	check(&c, ACME_CH_HTTP01, "dns", "www.test", "good", ka_of("good"), ACME_PROB_NONE, NULL);
	http_last(path, sizeof(path), host, sizeof(host));
	snprintf(want, sizeof(want), "www.test:%d", http.port);
	assert_string_equal(host, want);
}

static void test_http_etc_hosts(void **state)
{
	/* the DNS server refuses localhost (not its zone): the answer must come from /etc/hosts */
	struct acme_validate_cfg c = cfg_of(10000);
	char path[512], host[256], want[64];

	(void)state;
	NEED_DNS();
	check(&c, ACME_CH_HTTP01, "dns", "localhost", "good", ka_of("good"), ACME_PROB_NONE, NULL);
	http_last(path, sizeof(path), host, sizeof(host));
	snprintf(want, sizeof(want), "localhost:%d", http.port);
	assert_string_equal(host, want);
	/* the same name through DNS alone is refused */
	check(&c, ACME_CH_DNS01, "dns", "localhost", "good", ka_of("good"), ACME_PROB_DNS,
	      "DNS lookup of TXT for _acme-challenge.localhost: REFUSED");
}

static void test_http_wrong_body(void **state)
{
	struct acme_validate_cfg c = cfg_of(10000);
	char want[1024];

	(void)state;
	snprintf(want, sizeof(want),
		 "expected \"wrong.%s\" at %s, received \"wrong\\x01\\\"answer\"", THUMB,
		 url_of("127.0.0.1", "wrong"));
	check(&c, ACME_CH_HTTP01, "ip", "127.0.0.1", "wrong", ka_of("wrong"),
	      ACME_PROB_INCORRECT_RESPONSE, want);
	snprintf(want, sizeof(want), "expected \"big.%s\" at %s, received more than 8192 bytes",
		 THUMB, url_of("127.0.0.1", "big"));
	check(&c, ACME_CH_HTTP01, "ip", "127.0.0.1", "big", ka_of("big"),
	      ACME_PROB_INCORRECT_RESPONSE, want);
}

static void test_http_404(void **state)
{
	struct acme_validate_cfg c = cfg_of(10000);
	char want[1024];

	(void)state;
	snprintf(want, sizeof(want), "%s answered HTTP status 404", url_of("127.0.0.1", "missing"));
	check(&c, ACME_CH_HTTP01, "ip", "127.0.0.1", "missing", ka_of("missing"),
	      ACME_PROB_CONNECTION, want);
}

static void test_http_refused(void **state)
{
	struct acme_validate_cfg c = cfg_of(10000);
	char want[1024];

	(void)state;
	c.http_port = dead_port();
	snprintf(want, sizeof(want),
		 "cannot connect to http://127.0.0.1:%d" CHPATH "good: Connection refused",
		 c.http_port);
	check(&c, ACME_CH_HTTP01, "ip", "127.0.0.1", "good", ka_of("good"), ACME_PROB_CONNECTION,
	      want);
}

static void test_http_timeout(void **state)
{
	struct acme_validate_cfg c = cfg_of(300);
	char want[1024];
	(void)state;
	/* the detail names the 300 ms bound: the validation stopped there, not at 30 s */
	snprintf(want, sizeof(want), "no answer from %s within 300 ms",
		 url_of("127.0.0.1", "hang"));
	check(&c, ACME_CH_HTTP01, "ip", "127.0.0.1", "hang", ka_of("hang"), ACME_PROB_CONNECTION,
	      want);
}

static void test_http_redirects(void **state)
{
	struct acme_validate_cfg c = cfg_of(10000);
	char path[512], host[256], want[1024];

	(void)state;
	NEED_DNS();
	/* one redirect to another host, resolved through the DNS server */
	check(&c, ACME_CH_HTTP01, "ip", "127.0.0.1", "hop0", ka_of("redirected"), ACME_PROB_NONE,
	      NULL);
	http_last(path, sizeof(path), host, sizeof(host));
	assert_string_equal(path, CHPATH "redirected");
	snprintf(want, sizeof(want), "redir.test:%d", http.port);
	assert_string_equal(host, want);
	/* ten redirects are followed, the eleventh is not */
	check(&c, ACME_CH_HTTP01, "ip", "127.0.0.1", "hop9", ka_of("redirected"), ACME_PROB_NONE,
	      NULL);
	snprintf(want, sizeof(want), "stopped after 10 redirects at %s",
		 url_of("127.0.0.1", "hop0"));
	check(&c, ACME_CH_HTTP01, "ip", "127.0.0.1", "hop10", ka_of("redirected"),
	      ACME_PROB_CONNECTION, want);
	/* a loop */
	snprintf(want, sizeof(want), "stopped after 10 redirects at %s",
		 url_of("127.0.0.1", "loop"));
	check(&c, ACME_CH_HTTP01, "ip", "127.0.0.1", "loop", ka_of("loop"), ACME_PROB_CONNECTION,
	      want);
}

static void test_http_nxdomain(void **state)
{
	struct acme_validate_cfg c = cfg_of(10000);

	(void)state;
	NEED_DNS();
	check(&c, ACME_CH_HTTP01, "dns", "nope.ns1.test", "good", ka_of("good"), ACME_PROB_DNS,
	      "DNS lookup of A for nope.ns1.test: NXDOMAIN");
}

/* ------------------------------------------------------------------------ dns-01 */

static void test_dns01(void **state)
{
	struct acme_validate_cfg c = cfg_of(10000);
	char *d;
	char want[1024];

	(void)state;
	NEED_DNS(); /* before anything is allocated: a skip returns */
	d = digest_of(ka_of("tok1"));
	knot("txt-add", "_acme-challenge.d1.test", "something else");
	knot("txt-add", "_acme-challenge.d1.test", d);
	check(&c, ACME_CH_DNS01, "dns", "d1.test", "tok1", ka_of("tok1"), ACME_PROB_NONE, NULL);
	/* a wildcard is validated at its base name */
	check(&c, ACME_CH_DNS01, "dns", "*.d1.test", "tok1", ka_of("tok1"), ACME_PROB_NONE, NULL);
	/* a trailing dot changes nothing */
	check(&c, ACME_CH_DNS01, "dns", "d1.test.", "tok1", ka_of("tok1"), ACME_PROB_NONE, NULL);
	knot("txt-del", "_acme-challenge.d1.test", NULL);
	snprintf(want, sizeof(want),
		 "expected TXT \"%s\" at _acme-challenge.d1.test, received no TXT record", d);
	check(&c, ACME_CH_DNS01, "dns", "d1.test", "tok1", ka_of("tok1"),
	      ACME_PROB_INCORRECT_RESPONSE, want);
	free(d);
}

static void test_dns01_mismatch(void **state)
{
	struct acme_validate_cfg c = cfg_of(10000);
	char *d, *other;
	char want[1024];

	(void)state;
	NEED_DNS(); /* before anything is allocated: a skip returns */
	d = digest_of(ka_of("tok2"));
	other = digest_of("another key authorization");
	knot("txt-add", "_acme-challenge.d2.test", other);
	knot("txt-add", "_acme-challenge.d2.test", "x\"y");
	snprintf(want, sizeof(want),
		 "expected TXT \"%s\" at _acme-challenge.d2.test, received \"%s\", "
		 "\"x\\\"y\"",
		 d, other);
	struct acme_problem p = {0};
	assert_int_equal(
	    acme_validate(&c, ACME_CH_DNS01, "dns", "d2.test", "tok2", ka_of("tok2"), &p), -1);
	assert_string_equal(acme_prob_urn(p.type), acme_prob_urn(ACME_PROB_INCORRECT_RESPONSE));
	/* the order of the records is the server's */
	if (strcmp(p.detail, want) != 0)
		snprintf(want, sizeof(want),
			 "expected TXT \"%s\" at _acme-challenge.d2.test, received \"x\\\"y\", "
			 "\"%s\"",
			 d, other);
	assert_string_equal(p.detail, want);
	free(d);
	free(other);
}

static void test_dns01_nxdomain(void **state)
{
	struct acme_validate_cfg c = cfg_of(10000);

	(void)state;
	NEED_DNS();
	check(&c, ACME_CH_DNS01, "dns", "ns1.test", "tok", ka_of("tok"), ACME_PROB_DNS,
	      "DNS lookup of TXT for _acme-challenge.ns1.test: NXDOMAIN");
}

static void test_dns01_resolver_down(void **state)
{
	struct acme_validate_cfg c = cfg_of(300);
	char resolver[64];

	(void)state;
	snprintf(resolver, sizeof(resolver), "127.0.0.1:%d", dead_port());
	c.resolver = resolver;
	struct acme_problem p = {0};
	assert_int_equal(acme_validate(&c, ACME_CH_DNS01, "dns", "x.test", "tok", ka_of("tok"), &p),
			 -1);
	assert_string_equal(acme_prob_urn(p.type), acme_prob_urn(ACME_PROB_DNS));
	/* an ICMP port unreachable, or silence where ICMP is not delivered */
	if (strcmp(p.detail, "DNS lookup of TXT for _acme-challenge.x.test: no answer within "
			     "300 ms") != 0)
		assert_string_equal(
		    p.detail, "DNS lookup of TXT for _acme-challenge.x.test: Connection refused");
}

/* ------------------------------------------------------------------------ tls-alpn-01 */

static void test_tls_ok(void **state)
{
	struct acme_validate_cfg c = cfg_of(10000);
	char sni[256];

	(void)state;
	NEED_DNS();
	tls_serve("DNS:tls.test", EXT_OK, ka_of("t1"), ALPN_ACME);
	check(&c, ACME_CH_TLSALPN01, "dns", "tls.test", "t1", ka_of("t1"), ACME_PROB_NONE, NULL);
	pthread_mutex_lock(&tls.mu);
	snprintf(sni, sizeof(sni), "%s", tls.last_sni);
	pthread_mutex_unlock(&tls.mu);
	assert_string_equal(sni, "tls.test");
	/* the SAN compares case-insensitively */
	tls_serve("DNS:TLS.Test", EXT_OK, ka_of("t1"), ALPN_ACME);
	check(&c, ACME_CH_TLSALPN01, "dns", "tls.test", "t1", ka_of("t1"), ACME_PROB_NONE, NULL);
}

static void test_tls_ip(void **state)
{
	struct acme_validate_cfg c = cfg_of(10000);
	char sni[256];

	(void)state;
	tls_serve("IP:127.0.0.1", EXT_OK, ka_of("t2"), ALPN_ACME);
	check(&c, ACME_CH_TLSALPN01, "ip", "127.0.0.1", "t2", ka_of("t2"), ACME_PROB_NONE, NULL);
	pthread_mutex_lock(&tls.mu);
	snprintf(sni, sizeof(sni), "%s", tls.last_sni);
	pthread_mutex_unlock(&tls.mu);
	assert_string_equal(sni, "1.0.0.127.in-addr.arpa");
	/* a dNSName "127.0.0.1" is not the IP address */
	tls_serve("DNS:127.0.0.1", EXT_OK, ka_of("t2"), ALPN_ACME);
	check(&c, ACME_CH_TLSALPN01, "ip", "127.0.0.1", "t2", ka_of("t2"),
	      ACME_PROB_INCORRECT_RESPONSE,
	      "expected one subjectAltName IP:127.0.0.1, received DNS:\"127.0.0.1\"");
}

static void test_tls_alpn(void **state)
{
	struct acme_validate_cfg c = cfg_of(10000);
	char want[1024];

	(void)state;
	tls_serve("IP:127.0.0.1", EXT_OK, ka_of("t3"), ALPN_NONE);
	snprintf(want, sizeof(want),
		 "expected ALPN protocol acme-tls/1 from 127.0.0.1:%d, received none", tls.port);
	check(&c, ACME_CH_TLSALPN01, "ip", "127.0.0.1", "t3", ka_of("t3"), ACME_PROB_TLS, want);
	tls_serve("IP:127.0.0.1", EXT_OK, ka_of("t3"), ALPN_ALERT);
	snprintf(want, sizeof(want),
		 "TLS handshake with 127.0.0.1:%d failed: tlsv1 alert no application protocol",
		 tls.port);
	check(&c, ACME_CH_TLSALPN01, "ip", "127.0.0.1", "t3", ka_of("t3"), ACME_PROB_TLS, want);
}

static void test_tls_certificate(void **state)
{
	struct acme_validate_cfg c = cfg_of(10000);
	const char *ka = ka_of("t4");
	char want[1024], wh[65], gh[65];
	uint8_t d[SHA256_DIGEST_LENGTH];

	(void)state;
	tls_serve("IP:127.0.0.1", EXT_NONCRITICAL, ka, ALPN_ACME);
	check(&c, ACME_CH_TLSALPN01, "ip", "127.0.0.1", "t4", ka, ACME_PROB_INCORRECT_RESPONSE,
	      "expected a critical acmeIdentifier extension (1.3.6.1.5.5.7.1.31), received a "
	      "non-critical one");
	tls_serve("IP:127.0.0.1", EXT_NONE, ka, ALPN_ACME);
	check(&c, ACME_CH_TLSALPN01, "ip", "127.0.0.1", "t4", ka, ACME_PROB_INCORRECT_RESPONSE,
	      "expected a critical acmeIdentifier extension (1.3.6.1.5.5.7.1.31), received none");
	tls_serve("IP:127.0.0.1", EXT_OBSOLETE, ka, ALPN_ACME);
	check(&c, ACME_CH_TLSALPN01, "ip", "127.0.0.1", "t4", ka, ACME_PROB_INCORRECT_RESPONSE,
	      "expected a critical acmeIdentifier extension (1.3.6.1.5.5.7.1.31), received only "
	      "the obsolete 1.3.6.1.5.5.7.1.30.1");
	tls_serve("IP:127.0.0.1", EXT_WRONG, ka, ALPN_ACME);
	SHA256((const unsigned char *)ka, strlen(ka), d);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		snprintf(wh + 2 * i, 3, "%02x", d[i]);
		snprintf(gh + 2 * i, 3, "%02x", i == 0 ? d[i] ^ 0xff : d[i]);
	}
	snprintf(want, sizeof(want),
		 "expected acmeIdentifier %s (SHA-256 of the key authorization), received %s", wh,
		 gh);
	check(&c, ACME_CH_TLSALPN01, "ip", "127.0.0.1", "t4", ka, ACME_PROB_INCORRECT_RESPONSE,
	      want);
}

static void test_tls_sans(void **state)
{
	struct acme_validate_cfg c = cfg_of(10000);
	const char *ka = ka_of("t5");

	(void)state;
	NEED_DNS();
	tls_serve("DNS:other.test", EXT_OK, ka, ALPN_ACME);
	check(&c, ACME_CH_TLSALPN01, "dns", "tls.test", "t5", ka, ACME_PROB_INCORRECT_RESPONSE,
	      "expected one subjectAltName DNS:\"tls.test\", received DNS:\"other.test\"");
	tls_serve("DNS:tls.test,DNS:other.test", EXT_OK, ka, ALPN_ACME);
	check(&c, ACME_CH_TLSALPN01, "dns", "tls.test", "t5", ka, ACME_PROB_INCORRECT_RESPONSE,
	      "expected one subjectAltName DNS:\"tls.test\", received DNS:\"tls.test\", "
	      "DNS:\"other.test\"");
	tls_serve("DNS:tls.test,IP:127.0.0.1", EXT_OK, ka, ALPN_ACME);
	check(&c, ACME_CH_TLSALPN01, "dns", "tls.test", "t5", ka, ACME_PROB_INCORRECT_RESPONSE,
	      "expected one subjectAltName DNS:\"tls.test\", received DNS:\"tls.test\", "
	      "IP:127.0.0.1");
	tls_serve(NULL, EXT_OK, ka, ALPN_ACME);
	check(&c, ACME_CH_TLSALPN01, "dns", "tls.test", "t5", ka, ACME_PROB_INCORRECT_RESPONSE,
	      "expected one subjectAltName DNS:\"tls.test\", received none");
}

static void test_tls_refused(void **state)
{
	struct acme_validate_cfg c = cfg_of(10000);
	char want[1024];

	(void)state;
	c.tls_port = dead_port();
	snprintf(want, sizeof(want), "cannot connect to 127.0.0.1:%d: Connection refused",
		 c.tls_port);
	check(&c, ACME_CH_TLSALPN01, "ip", "127.0.0.1", "t6", ka_of("t6"), ACME_PROB_CONNECTION,
	      want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),	    cmocka_unit_test(test_quote_and_names),
	    cmocka_unit_test(test_malformed),	    cmocka_unit_test(test_http_ip),
	    cmocka_unit_test(test_http_dns_name),   cmocka_unit_test(test_http_etc_hosts),
	    cmocka_unit_test(test_http_wrong_body), cmocka_unit_test(test_http_404),
	    cmocka_unit_test(test_http_refused),    cmocka_unit_test(test_http_timeout),
	    cmocka_unit_test(test_http_redirects),  cmocka_unit_test(test_http_nxdomain),
	    cmocka_unit_test(test_dns01),	    cmocka_unit_test(test_dns01_mismatch),
	    cmocka_unit_test(test_dns01_nxdomain),  cmocka_unit_test(test_dns01_resolver_down),
	    cmocka_unit_test(test_tls_ok),	    cmocka_unit_test(test_tls_ip),
	    cmocka_unit_test(test_tls_alpn),	    cmocka_unit_test(test_tls_certificate),
	    cmocka_unit_test(test_tls_sans),	    cmocka_unit_test(test_tls_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
