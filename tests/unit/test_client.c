/* test_client.c - the CA API client: URL normalisation, error decoding, and every helper
 * against a small in-process HTTPS server on 127.0.0.1 (self-signed, canned answers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/str.h"
#include "cli/admin_cli.h"
#include "cli/command.h"
#include "client/ca_client.h"
#include "crypto/cert.h"

/* --- URL normalisation ------------------------------------------------------------------------ */

static void test_url_normalize(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
	    {"ca.example.com", "https://ca.example.com"},
	    {"ca.example.com:9000", "https://ca.example.com:9000"},
	    {"https://ca.example.com:9000", "https://ca.example.com:9000"},
	    {"https://ca.example.com:9000/", "https://ca.example.com:9000"},
	    {"https://ca.example.com/1.0/sign?x=1#f", "https://ca.example.com"},
	    {"HTTPS://CA.example.com", "https://CA.example.com"},
	    {"https://user:pw@ca.example.com:443/x", "https://ca.example.com:443"},
	    {"127.0.0.1:9443", "https://127.0.0.1:9443"},
	    {"::1", "https://[::1]"},
	    {"2001:db8::7", "https://[2001:db8::7]"},
	    {"https://::1", "https://[::1]"},
	    {"[::1]:9000", "https://[::1]:9000"},
	    {"https://[2001:db8::1]:8443/roots", "https://[2001:db8::1]:8443"},
	    {"localhost:", "https://localhost"},
	};
	static const struct {
		const char *in, *msg;
	} bad[] = {
	    {"http://ca.example.com",
	     "invalid value 'http://ca.example.com' for flag '--ca-url'; must have https scheme"},
	    {"ftp://x", "invalid value 'ftp://x' for flag '--ca-url'; must have https scheme"},
	    {"https://", "invalid value 'https://' for flag '--ca-url'"},
	    {"", "invalid value '' for flag '--ca-url'"},
	    {"https://ca:port", "invalid value 'https://ca:port' for flag '--ca-url'"},
	    {"https://ca:123456", "invalid value 'https://ca:123456' for flag '--ca-url'"},
	    {"https://[::1", "invalid value 'https://[::1' for flag '--ca-url'"},
	    {"https://[::1]x", "invalid value 'https://[::1]x' for flag '--ca-url'"},
	    {"https://a b", "invalid value 'https://a b' for flag '--ca-url'"},
	    {"1http://x", "invalid value '1http://x' for flag '--ca-url'"},
	};
	struct error err;
	char *out;
	(void)state;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		out = NULL;
		if (ca_url_normalize(ok[i].in, &out, &err) != 0)
			fail_msg("%s: %s", ok[i].in, err.msg);
		assert_string_equal(out, ok[i].out);
		free(out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out = (char *)"x";
		assert_int_equal(ca_url_normalize(bad[i].in, &out, &err), -1);
		assert_null(out);
		assert_int_equal(err.kind, ERR_INVALID);
		assert_string_equal(err.msg, bad[i].msg);
	}
}

/* --- error bodies ------------------------------------------------------------------------------
 */

static void test_decode_error(void **state)
{
	const char *body401 = "{\"status\":401,\"message\":\"The request lacked necessary "
			      "authorization to be completed. Please see the certificate "
			      "authority logs for more info.\"}\n";
	const char *body403 = "{\"status\":403,\"message\":\"The request was forbidden by the "
			      "certificate authority: certificate request does not contain the "
			      "valid DNS names - got [b], want [a].\"}";
	const char *admin = "{\"type\":\"unauthorized\",\"detail\":\"unauthorized\","
			    "\"message\":\"missing authorization header token\"}";
	struct error err;
	(void)state;

	assert_int_equal(ca_client_decode_error(401, body401, strlen(body401), &err), -1);
	assert_int_equal(err.kind, ERR_UNAUTHORIZED);
	assert_int_equal(err.status, 401);
	assert_string_equal(err.msg, "The request lacked necessary authorization to be completed. "
				     "Please see the certificate authority logs for more info.");

	assert_int_equal(ca_client_decode_error(403, body403, strlen(body403), &err), -1);
	assert_int_equal(err.kind, ERR_FORBIDDEN);
	assert_int_equal(err.status, 403);
	assert_true(str_has_prefix(err.msg, "The request was forbidden by the certificate "
					    "authority: certificate request"));

	assert_int_equal(ca_client_decode_error(401, admin, strlen(admin), &err), -1);
	assert_int_equal(err.status, 401);
	assert_string_equal(err.msg, "missing authorization header token");

	/* not JSON: step's prefix, and no status so the CLI prints no "Re-run" hint */
	assert_int_equal(ca_client_decode_error(404, "404 page not found", 18, &err), -1);
	assert_int_equal(err.kind, ERR_NOT_FOUND);
	assert_int_equal(err.status, 0);
	assert_true(str_has_prefix(err.msg, "failed decoding CA error response: "));

	assert_int_equal(ca_client_decode_error(500, "", 0, &err), -1);
	assert_int_equal(err.kind, ERR_INTERNAL);
	assert_int_equal(err.status, 0);
	assert_true(str_has_prefix(err.msg, "failed decoding CA error response: "));

	assert_int_equal(ca_client_decode_error(400, "[1]", 3, &err), -1);
	assert_string_equal(err.msg, "failed decoding CA error response: not a JSON object");

	assert_int_equal(ca_client_decode_error(501, "{\"status\":501}", 14, &err), -1);
	assert_int_equal(err.kind, ERR_NOT_IMPLEMENTED);
	assert_int_equal(err.status, 501);
	assert_string_equal(err.msg, "the certificate authority answered with HTTP status 501");

	assert_int_equal(ca_client_status_kind(400), ERR_INVALID);
	assert_int_equal(ca_client_status_kind(404), ERR_NOT_FOUND);
	assert_int_equal(ca_client_status_kind(409), ERR_CONFLICT);
	assert_int_equal(ca_client_status_kind(413), ERR_TOO_LARGE);
	assert_int_equal(ca_client_status_kind(418), ERR_INVALID);
	assert_int_equal(ca_client_status_kind(500), ERR_INTERNAL);
	assert_int_equal(ca_client_status_kind(503), ERR_NETWORK);
}

static void test_uuid4(void **state)
{
	char a[37], b[37];
	(void)state;

	assert_int_equal(ca_client_uuid4(a, NULL), 0);
	assert_int_equal(ca_client_uuid4(b, NULL), 0);
	assert_int_equal(strlen(a), 36);
	assert_string_not_equal(a, b);
	assert_int_equal(a[8], '-');
	assert_int_equal(a[13], '-');
	assert_int_equal(a[14], '4');
	assert_int_equal(a[18], '-');
	assert_non_null(strchr("89ab", a[19]));
	assert_int_equal(a[23], '-');
}

/* --- an in-process HTTPS server -----------------------------------------------------------------
 */

struct cred {
	EVP_PKEY *key;
	X509 *cert;
	char *cert_pem, *key_pem;
	char fp[65];
};

struct server {
	int fd, port;
	SSL_CTX *ctx;
	pthread_t thread;
	volatile int stop;
	struct cred cred;
	char last_head[8192]; /* request line and headers of the last request */
	char last_body[8192];
	char last_peer[256]; /* CN of the client certificate of the last request, or "" */
	char provisioners_query2[256];
	volatile int admin_status; /* the answer to GET /admin/admins */
};

static struct server srv;
static struct cred client_cred;

static char *pem_of(int (*w)(BIO *, void *), void *obj)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *s;
	long n;

	w(b, obj);
	n = BIO_get_mem_data(b, &data);
	s = xmalloc((size_t)n + 1);
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	BIO_free(b);
	return s;
}

static int write_cert(BIO *b, void *c)
{
	return PEM_write_bio_X509(b, c);
}

static int write_key(BIO *b, void *k)
{
	return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

/* A self-signed P-256 certificate with CN=cn and SAN IP:127.0.0.1. */
static void make_cred(struct cred *c, const char *cn)
{
	X509_NAME *name;
	X509_EXTENSION *ext;
	X509V3_CTX v3;

	c->key = EVP_EC_gen("P-256");
	assert_non_null(c->key);
	c->cert = X509_new();
	X509_set_version(c->cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c->cert), 4242);
	X509_gmtime_adj(X509_getm_notBefore(c->cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(c->cert), 3600);
	name = X509_get_subject_name(c->cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c->cert, name);
	X509_set_pubkey(c->cert, c->key);
	X509V3_set_ctx(&v3, c->cert, c->cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1");
	X509_add_ext(c->cert, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
	X509_add_ext(c->cert, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(c->cert, c->key, EVP_sha256()) > 0);
	c->cert_pem = pem_of(write_cert, c->cert);
	c->key_pem = pem_of(write_key, c->key);
	assert_int_equal(cert_fingerprint(c->cert, c->fp, NULL), 0);
}

static void free_cred(struct cred *c)
{
	EVP_PKEY_free(c->key);
	X509_free(c->cert);
	free(c->cert_pem);
	free(c->key_pem);
	memset(c, 0, sizeof(*c));
}

static int accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

/* The canned answer for a request; *body malloc'd. */
static int answer(const char *method, const char *path, char **body)
{
	json_t *j = NULL;
	int status = 200;

	if (strcmp(path, "/health") == 0) {
		j = json_pack("{s:s}", "status", "ok");
	} else if (str_has_prefix(path, "/root/")) {
		j = json_pack("{s:s}", "ca", srv.cred.cert_pem);
	} else if (strcmp(path, "/roots") == 0) {
		status = 201;
		j = json_pack("{s:[s]}", "crts", srv.cred.cert_pem);
	} else if (strcmp(path, "/federation") == 0) {
		status = 201;
		j = json_pack("{s:[s,s]}", "crts", srv.cred.cert_pem, client_cred.cert_pem);
	} else if (strcmp(path, "/provisioners?limit=100") == 0) {
		j = json_loads("{\"provisioners\":[{\"type\":\"JWK\",\"name\":\"a\"},"
			       "{\"type\":\"FUTURE\",\"name\":\"b\"}],\"nextCursor\":\"c 1/\"}",
			       0, NULL);
	} else if (str_has_prefix(path, "/provisioners?cursor=")) {
		snprintf(srv.provisioners_query2, sizeof(srv.provisioners_query2), "%s", path);
		j = json_loads("{\"provisioners\":[{\"type\":\"ACME\",\"name\":\"c\"}],"
			       "\"nextCursor\":\"\"}",
			       0, NULL);
	} else if (strcmp(path, "/provisioners/kid1/encrypted-key") == 0) {
		j = json_pack("{s:s}", "key", "eyJhbGciOiJQQkVTMiJ9.a.b.c.d");
	} else if (strcmp(path, "/sign") == 0 && strcmp(method, "POST") == 0) {
		status = 201;
		j = json_pack("{s:s, s:s, s:[s,s]}", "crt", "LEAF", "ca", "INTER", "certChain",
			      "LEAF", "INTER");
	} else if (strcmp(path, "/renew") == 0 && strcmp(method, "POST") == 0) {
		if (srv.last_peer[0] == '\0') {
			status = 401;
			j = json_pack("{s:i, s:s}", "status", 401, "message",
				      "The request lacked necessary authorization to be completed. "
				      "Please see the certificate authority logs for more info.");
		} else {
			status = 201;
			j = json_pack("{s:s}", "crt", srv.last_peer);
		}
	} else if (strcmp(path, "/admin/admins") == 0 && srv.admin_status != 404) {
		status = srv.admin_status;
		j = json_pack("{s:i, s:s}", "status", status, "message",
			      status == 401 ? "missing authorization header token"
					    : "administration API not enabled");
	} else if (strcmp(path, "/admin/echo?x=1") == 0) {
		j = json_pack("{s:s}", "method", method);
	} else if (strcmp(path, "/admin/missing") == 0) {
		status = 404;
		j = json_pack("{s:s, s:s, s:s}", "type", "notFound", "detail", "not found",
			      "message", "admin 7 not found");
	} else if (strcmp(path, "/big") == 0) {
		size_t n = 5u * 1024u * 1024u;
		*body = xmalloc(n + 1);
		memset(*body, ' ', n);
		(*body)[0] = '{';
		(*body)[n - 1] = '}';
		(*body)[n] = '\0';
		return 200;
	} else if (strcmp(path, "/empty") == 0) {
		*body = xstrdup("");
		return 200;
	} else {
		*body = xstrdup("404 page not found\n");
		return 404;
	}
	*body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return status;
}

static void serve_one(int fd)
{
	SSL *ssl = SSL_new(srv.ctx);
	char req[16384], method[16] = "", path[2048] = "", *hdr_end, *body = NULL, *resp;
	size_t got = 0, clen = 0, head_len;
	X509 *peer;
	int status, n;

	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) != 1)
		goto out;
	while (got < sizeof(req) - 1) {
		n = SSL_read(ssl, req + got, (int)(sizeof(req) - 1 - got));
		if (n <= 0)
			goto out;
		got += (size_t)n;
		req[got] = '\0';
		hdr_end = strstr(req, "\r\n\r\n");
		if (hdr_end != NULL) {
			const char *cl = strcasestr(req, "\r\nContent-Length:");
			head_len = (size_t)(hdr_end - req) + 4;
			clen = cl != NULL && cl < hdr_end ? (size_t)atol(cl + 17) : 0;
			if (got >= head_len + clen)
				break;
		}
	}
	hdr_end = strstr(req, "\r\n\r\n");
	if (hdr_end == NULL)
		goto out;
	head_len = (size_t)(hdr_end - req) + 4;
	snprintf(srv.last_head, sizeof(srv.last_head), "%.*s", (int)head_len, req);
	snprintf(srv.last_body, sizeof(srv.last_body), "%.*s", (int)clen, req + head_len);
	sscanf(req, "%15s %2047s", method, path);
	srv.last_peer[0] = '\0';
	peer = SSL_get1_peer_certificate(ssl);
	if (peer != NULL) {
		X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName,
					  srv.last_peer, sizeof(srv.last_peer));
		X509_free(peer);
	}
	status = answer(method, path, &body);
	resp = xasprintf("HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: "
			 "%zu\r\nConnection: close\r\n\r\n",
			 status, strlen(body));
	SSL_write(ssl, resp, (int)strlen(resp));
	for (size_t off = 0, len = strlen(body); off < len;) {
		n = SSL_write(ssl, body + off, (int)(len - off > 65536 ? 65536 : len - off));
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(resp);
	SSL_shutdown(ssl);
out:
	free(body);
	SSL_free(ssl);
	close(fd);
}

static void *server_main(void *arg)
{
	struct pollfd p = {.fd = srv.fd, .events = POLLIN};
	(void)arg;

	while (!srv.stop) {
		if (poll(&p, 1, 50) == 1) {
			int c = accept(srv.fd, NULL, NULL);
			if (c >= 0)
				serve_one(c);
		}
	}
	return NULL;
}

static int server_start(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	(void)state;

	memset(&srv, 0, sizeof(srv));
	signal(SIGPIPE, SIG_IGN); /* the server thread writes to clients that gave up */
	make_cred(&srv.cred, "stride test server");
	make_cred(&client_cred, "stride test client");
	srv.ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_use_certificate(srv.ctx, srv.cred.cert);
	SSL_CTX_use_PrivateKey(srv.ctx, srv.cred.key);
	SSL_CTX_set_verify(srv.ctx, SSL_VERIFY_PEER, accept_any); /* request, do not require */
	/* libcurl resumes sessions; a server that asks for client certificates needs this */
	SSL_CTX_set_session_id_context(srv.ctx, (const unsigned char *)"stride", 6);
	srv.fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(srv.fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(srv.fd, 16) != 0)
		return -1;
	getsockname(srv.fd, (struct sockaddr *)&sa, &len);
	srv.port = ntohs(sa.sin_port);
	return pthread_create(&srv.thread, NULL, server_main, NULL) == 0 ? 0 : -1;
}

static int server_stop(void **state)
{
	(void)state;
	srv.stop = 1;
	pthread_join(srv.thread, NULL);
	close(srv.fd);
	SSL_CTX_free(srv.ctx);
	free_cred(&srv.cred);
	free_cred(&client_cred);
	return 0;
}

/* A client for the test server trusting root_pem (NULL = the server's own certificate). */
static struct ca_client *client_for(const char *host, const char *root_pem)
{
	struct ca_client_config cfg = {0};
	struct ca_client *c = NULL;
	struct error err;
	char *url = xasprintf("%s:%d/some/path", host, srv.port);

	cfg.ca_url = url;
	cfg.root_pem = root_pem != NULL ? root_pem : srv.cred.cert_pem;
	if (ca_client_new(&cfg, &c, &err) != 0)
		fail_msg("ca_client_new: %s", err.msg);
	free(url);
	return c;
}

static void test_health_and_headers(void **state)
{
	struct ca_client *c = client_for("127.0.0.1", NULL);
	struct error err;
	char *s = NULL, *want;
	(void)state;

	want = xasprintf("https://127.0.0.1:%d", srv.port);
	assert_string_equal(ca_client_url(c), want);
	free(want);
	if (ca_client_health(c, &s, &err) != 0)
		fail_msg("health: %s", err.msg);
	assert_string_equal(s, "ok");
	free(s);
	assert_true(str_has_prefix(srv.last_head, "GET /health HTTP/1.1\r\n"));
	assert_non_null(strstr(srv.last_head, "\r\nUser-Agent: stride/"));
	assert_non_null(strstr(srv.last_head, "\r\nX-Request-Id: "));
	assert_non_null(strstr(srv.last_head, "-4")); /* a version 4 UUID */
	assert_string_equal(srv.last_peer, "");	      /* no client certificate */
	ca_client_free(c);
}

static void test_tls_verification(void **state)
{
	struct ca_client *c;
	struct error err;
	char *s = NULL;
	(void)state;

	/* a root that did not issue the server certificate */
	c = client_for("127.0.0.1", client_cred.cert_pem);
	assert_int_equal(ca_client_health(c, &s, &err), -1);
	assert_int_equal(err.kind, ERR_NETWORK);
	assert_int_equal(err.status, 0);
	{
		char *p = xasprintf("client GET https://127.0.0.1:%d/health failed: ", srv.port);
		assert_true(str_has_prefix(err.msg, p));
		free(p);
	}
	assert_non_null(strstr(err.msg, "certificate"));
	ca_client_free(c);

	/* the right root, but a host name the certificate does not name */
	c = client_for("localhost", NULL);
	assert_int_equal(ca_client_health(c, &s, &err), -1);
	assert_int_equal(err.kind, ERR_NETWORK);
	ca_client_free(c);
}

static void test_root_fingerprint(void **state)
{
	struct ca_client_config cfg = {0};
	struct ca_client *c = NULL;
	struct error err;
	char *pem = NULL, *url, upper[100];
	(void)state;

	/* no trusted root at all: /root/{sha} is fetched without verification */
	url = xasprintf("127.0.0.1:%d", srv.port);
	cfg.ca_url = url;
	assert_int_equal(ca_client_new(&cfg, &c, &err), 0);
	if (ca_client_root(c, srv.cred.fp, &pem, &err) != 0)
		fail_msg("root: %s", err.msg);
	assert_string_equal(pem, srv.cred.cert_pem);
	free(pem);
	{
		char *p = xasprintf("GET /root/%s HTTP/1.1", srv.cred.fp);
		assert_true(str_has_prefix(srv.last_head, p));
		free(p);
	}

	/* upper case with separators is normalised */
	for (size_t i = 0, j = 0; i < 64; i++) {
		upper[j++] = (char)(srv.cred.fp[i] >= 'a' ? srv.cred.fp[i] - 32 : srv.cred.fp[i]);
		if (i % 2 == 1 && i < 63)
			upper[j++] = ':';
		upper[j] = '\0';
	}
	assert_int_equal(ca_client_root(c, upper, &pem, &err), 0);
	free(pem);

	/* the server answers with a certificate of another fingerprint */
	assert_int_equal(ca_client_root(c, client_cred.fp, &pem, &err), -1);
	assert_null(pem);
	assert_string_equal(err.msg, "root certificate fingerprint does not match");

	/* a verified request afterwards still verifies (no reuse of the unverified connection) */
	ca_client_free(c);
	cfg.root_pem = client_cred.cert_pem;
	assert_int_equal(ca_client_new(&cfg, &c, &err), 0);
	assert_int_equal(ca_client_root(c, srv.cred.fp, &pem, &err), 0);
	free(pem);
	assert_int_equal(ca_client_health(c, &pem, &err), -1);
	assert_int_equal(err.kind, ERR_NETWORK);
	ca_client_free(c);
	free(url);
}

static void test_bundles(void **state)
{
	struct ca_client *c = client_for("127.0.0.1", NULL);
	struct error err;
	char *pem = NULL, *want;
	(void)state;

	assert_int_equal(ca_client_roots(c, &pem, &err), 0);
	assert_string_equal(pem, srv.cred.cert_pem);
	free(pem);
	assert_int_equal(ca_client_federation(c, &pem, &err), 0);
	want = xasprintf("%s%s", srv.cred.cert_pem, client_cred.cert_pem);
	assert_string_equal(pem, want);
	free(want);
	free(pem);
	ca_client_free(c);
}

static void test_provisioners(void **state)
{
	struct ca_client *c = client_for("127.0.0.1", NULL);
	struct error err;
	json_t *all = NULL;
	char *key = NULL;
	(void)state;

	if (ca_client_provisioners(c, &all, &err) != 0)
		fail_msg("provisioners: %s", err.msg);
	assert_int_equal(json_array_size(all), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(all, 1), "type")),
			    "FUTURE"); /* unknown types are kept for the caller to filter */
	assert_string_equal(json_string_value(json_object_get(json_array_get(all, 2), "name")),
			    "c");
	/* the cursor is escaped and comes first, like Go's url.Values.Encode */
	assert_string_equal(srv.provisioners_query2, "/provisioners?cursor=c%201%2F&limit=100");
	json_decref(all);

	assert_int_equal(ca_client_provisioner_encrypted_key(c, "kid1", &key, &err), 0);
	assert_string_equal(key, "eyJhbGciOiJQQkVTMiJ9.a.b.c.d");
	free(key);

	/* a 404 with a text body */
	assert_int_equal(ca_client_provisioner_encrypted_key(c, "missing", &key, &err), -1);
	assert_null(key);
	assert_int_equal(err.kind, ERR_NOT_FOUND);
	assert_int_equal(err.status, 0);
	assert_true(str_has_prefix(err.msg, "failed decoding CA error response: "));
	ca_client_free(c);
}

static void test_generic_calls(void **state)
{
	struct ca_client *c = client_for("127.0.0.1", NULL);
	struct error err;
	json_t *j = (json_t *)1;
	long status = 0;
	(void)state;

	assert_int_equal(ca_client_get_json(c, "/nope", &status, &j, &err), -1);
	assert_int_equal(status, 404);
	assert_null(j);
	assert_int_equal(ca_client_get_json(c, "/empty", &status, &j, &err), 0);
	assert_int_equal(status, 200);
	assert_null(j);
	assert_int_equal(ca_client_get_json(c, "/roots", &status, &j, &err), 0);
	assert_int_equal(status, 201);
	assert_true(json_is_array(json_object_get(j, "crts")));
	json_decref(j);

	/* bounded responses */
	assert_int_equal(ca_client_get_json(c, "/big", &status, &j, &err), -1);
	assert_int_equal(err.kind, ERR_TOO_LARGE);
	assert_null(j);
	ca_client_free(c);
}

static void test_sign(void **state)
{
	struct ca_client *c = client_for("127.0.0.1", NULL);
	json_t *resp = NULL, *sent, *td = json_pack("{s:s}", "role", "web");
	struct error err;
	json_error_t je;
	(void)state;

	if (ca_client_sign(c, "CSR-PEM", "a.b.c", NULL, "1h", td, &resp, &err) != 0)
		fail_msg("sign: %s", err.msg);
	assert_string_equal(json_string_value(json_object_get(resp, "crt")), "LEAF");
	assert_int_equal(json_array_size(json_object_get(resp, "certChain")), 2);
	assert_true(str_has_prefix(srv.last_head, "POST /sign HTTP/1.1\r\n"));
	assert_non_null(strstr(srv.last_head, "\r\nContent-Type: application/json\r\n"));
	assert_string_equal(srv.last_body, "{\"csr\":\"CSR-PEM\",\"ott\":\"a.b.c\",\"notAfter\":"
					   "\"1h\",\"notBefore\":\"\",\"templateData\":"
					   "{\"role\":\"web\"}}");
	sent = json_loads(srv.last_body, 0, &je);
	assert_non_null(sent);
	json_decref(sent);
	json_decref(resp);
	json_decref(td);
	ca_client_free(c);
}

static void test_mtls_and_bearer(void **state)
{
	struct ca_client *c = client_for("127.0.0.1", NULL);
	struct ca_request req = {.method = "POST", .path = "/renew", .bearer = "tok.en.x"};
	json_t *resp = NULL;
	struct error err;
	long status = 0;
	(void)state;

	/* no identity: the CA error comes back with its status */
	assert_int_equal(ca_client_post_json(c, "/renew", NULL, &status, &resp, &err), -1);
	assert_int_equal(status, 401);
	assert_int_equal(err.status, 401);
	assert_int_equal(err.kind, ERR_UNAUTHORIZED);
	assert_string_equal(err.msg, "The request lacked necessary authorization to be completed. "
				     "Please see the certificate authority logs for more info.");
	assert_non_null(strstr(srv.last_head, "\r\nContent-Length: 0\r\n"));

	/* bearer token header */
	assert_int_equal(ca_client_do(c, &req, &status, &resp, &err), -1);
	assert_non_null(strstr(srv.last_head, "\r\nAuthorization: Bearer tok.en.x\r\n"));

	/* with a client certificate */
	assert_int_equal(ca_client_set_identity(c, client_cred.cert_pem, NULL, &err), -1);
	assert_int_equal(ca_client_set_identity(c, client_cred.cert_pem, client_cred.key_pem, &err),
			 0);
	if (ca_client_post_json(c, "/renew", NULL, &status, &resp, &err) != 0)
		fail_msg("renew: %s", err.msg);
	assert_int_equal(status, 201);
	assert_string_equal(json_string_value(json_object_get(resp, "crt")), "stride test client");
	json_decref(resp);

	/* the identity is not sent where a request opts out */
	req.bearer = NULL;
	req.no_identity = true;
	assert_int_equal(ca_client_do(c, &req, &status, &resp, &err), -1);
	assert_string_equal(srv.last_peer, "");

	/* and cleared */
	assert_int_equal(ca_client_set_identity(c, NULL, NULL, &err), 0);
	assert_int_equal(ca_client_post_json(c, "/renew", NULL, &status, &resp, &err), -1);
	assert_int_equal(status, 401);
	ca_client_free(c);
}

/* Any method, a JSON body and a raw Authorization header (admin tokens: no Bearer). */
static void test_request_methods(void **state)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
	struct ca_client *c = client_for("127.0.0.1", NULL);
	json_t *body = json_pack("{s:i}", "type", 2), *resp = NULL;
	struct error err;
	long status = 0;
	char *line;
	(void)state;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		bool with_body =
		    strcmp(methods[i], "GET") != 0 && strcmp(methods[i], "DELETE") != 0;
		if (ca_client_request(c, methods[i], "/admin/echo?x=1", with_body ? body : NULL,
				      "ad.min.tok", &status, &resp, &err) != 0)
			fail_msg("%s: %s", methods[i], err.msg);
		assert_int_equal(status, 200);
		assert_string_equal(json_string_value(json_object_get(resp, "method")), methods[i]);
		json_decref(resp);
		resp = NULL;
		line = xasprintf("%s /admin/echo?x=1 HTTP/1.1\r\n", methods[i]);
		assert_true(str_has_prefix(srv.last_head, line));
		free(line);
		assert_non_null(strstr(srv.last_head, "\r\nAuthorization: ad.min.tok\r\n"));
		assert_null(strstr(srv.last_head, "Bearer"));
		assert_string_equal(srv.last_body, with_body ? "{\"type\":2}" : "");
		if (with_body)
			assert_non_null(
			    strstr(srv.last_head, "\r\nContent-Type: application/json\r\n"));
	}
	/* an admin error: the server's message and status */
	assert_int_equal(
	    ca_client_request(c, "DELETE", "/admin/missing", NULL, "t", &status, &resp, &err), -1);
	assert_int_equal(status, 404);
	assert_int_equal(err.status, 404);
	assert_int_equal(err.kind, ERR_NOT_FOUND);
	assert_string_equal(err.msg, "admin 7 not found");
	assert_null(resp);
	json_decref(body);
	ca_client_free(c);
}

static void test_connection_refused(void **state)
{
	struct ca_client_config cfg = {.ca_url = "https://127.0.0.1:1"};
	struct ca_client *c = NULL;
	struct error err;
	char *s = NULL;
	(void)state;

	assert_int_equal(ca_client_new(&cfg, &c, &err), 0);
	assert_int_equal(ca_client_health(c, &s, &err), -1);
	assert_int_equal(err.kind, ERR_NETWORK);
	assert_int_equal(err.status, 0);
	assert_true(str_has_prefix(err.msg, "client GET https://127.0.0.1:1/health failed: "));
	ca_client_free(c);
	ca_client_free(NULL);

	cfg.ca_url = "http://127.0.0.1:1";
	assert_int_equal(ca_client_new(&cfg, &c, &err), -1);
	assert_null(c);
	assert_string_equal(err.msg, "invalid value 'http://127.0.0.1:1' for flag '--ca-url'; "
				     "must have https scheme");
}

/* How `ca provisioner add/update/remove` choose their mode (admin.md §6.1): the answer to
 * GET /admin/admins without credentials. */
static void test_admin_mode(void **state)
{
	static const struct flag_def flags[] = {CLI_FLAG_CA_URL, CLI_FLAG_ROOT, FLAG_END};
	static const struct command cmd = {.name = "add", .summary = "a", .flags = flags};
	static const struct {
		int status;
		int rc;
		enum admin_mode mode;
	} cases[] = {
	    {401, 0, ADMIN_MODE_REMOTE}, {404, 0, ADMIN_MODE_LOCAL},  {501, 0, ADMIN_MODE_LOCAL},
	    {200, -1, ADMIN_MODE_LOCAL}, {500, -1, ADMIN_MODE_LOCAL},
	};
	char root[] = "/tmp/stride-admin-mode-XXXXXX";
	int fd = mkstemp(root);
	(void)state;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, srv.cred.cert_pem, strlen(srv.cred.cert_pem)),
			 (ssize_t)strlen(srv.cred.cert_pem));
	close(fd);
	for (size_t i = 0; i <= sizeof(cases) / sizeof(cases[0]); i++) {
		bool refused = i == sizeof(cases) / sizeof(cases[0]); /* nothing listens */
		char *url = refused ? xstrdup("https://127.0.0.1:1")
				    : xasprintf("https://127.0.0.1:%d", srv.port);
		char *argv[] = {"--ca-url", url, "--root", root};
		struct cli_ctx ctx;
		struct error err = {0};
		enum admin_mode mode = ADMIN_MODE_REMOTE;
		int rc;

		srv.admin_status = refused ? 0 : cases[i].status;
		cli_ctx_init(&ctx, &cmd, "stride ca provisioner add");
		assert_int_equal(cli_ctx_parse(&ctx, 4, argv, &err), 0);
		assert_int_equal(cli_ctx_resolve_with(&ctx, NULL, NULL, &err), 0);
		rc = cli_admin_mode(&ctx, &mode, &err);
		if (refused) {
			assert_int_equal(rc, 0);
			assert_int_equal(mode, ADMIN_MODE_LOCAL);
		} else {
			assert_int_equal(rc, cases[i].rc);
			if (rc == 0)
				assert_int_equal(mode, cases[i].mode);
			else
				assert_string_equal(err.msg,
						    cases[i].status == 200
							? "unexpected status code when performing "
							  "is-enabled check for Admin API: 200"
							: "unexpected status code when performing "
							  "is-enabled check for Admin API: 500");
			assert_true(
			    str_has_prefix(srv.last_head, "GET /admin/admins HTTP/1.1\r\n"));
			assert_null(strstr(srv.last_head, "Authorization"));
		}
		cli_ctx_free(&ctx);
		free(url);
	}
	unlink(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_url_normalize),
	    cmocka_unit_test(test_decode_error),
	    cmocka_unit_test(test_uuid4),
	    cmocka_unit_test(test_health_and_headers),
	    cmocka_unit_test(test_tls_verification),
	    cmocka_unit_test(test_root_fingerprint),
	    cmocka_unit_test(test_bundles),
	    cmocka_unit_test(test_provisioners),
	    cmocka_unit_test(test_generic_calls),
	    cmocka_unit_test(test_sign),
	    cmocka_unit_test(test_mtls_and_bearer),
	    cmocka_unit_test(test_request_methods),
	    cmocka_unit_test(test_connection_refused),
	    cmocka_unit_test(test_admin_mode),
	};
	return cmocka_run_group_tests(tests, server_start, server_stop);
}
