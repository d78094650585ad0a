/* test_handlers.c - the HTTP handlers in-process: the real server (worker event loops, TLS,
 * evhttp) on a loopback port, over the fixture's authority and a SQLite store in a temporary
 * directory, driven with libcurl over TLS. Statuses and bodies are the ones tests/e2e asserts
 * on the wire (step-ca's answers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_fixture.h"
#include "base/log.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "server/server.h"

#define HINT	  " Please see the certificate authority logs for more info."
#define BAD400(m) "{\"status\":400,\"message\":\"The request could not be completed: " m ".\"}\n"
#define BODY401	  "{\"status\":401,\"message\":\"" AFX_GENERIC_401 "\"}\n"
#define BODY404                                                                                    \
	"{\"status\":404,\"message\":\"The requested resource could not be found." HINT "\"}\n"
#define BODY413                                                                                    \
	"{\"status\":413,\"message\":\"The certificate authority received an unexpected HTTP "     \
	"status code - '413'." HINT "\"}\n"
#define NCONCURRENT 8

/* The server under test, one for the whole group. */
struct fx {
	struct afx *f;
	struct server *srv;
	pthread_t thread;
	int run_rc;
	char url[64]; /* https://127.0.0.1:<port> */
	char *root_pem, *inter_pem;
};

static void *serve(void *arg)
{
	struct fx *x = arg;
	struct error err = {0};

	x->run_rc = server_run(x->srv, &err);
	if (x->run_rc != 0)
		print_error("server_run: %s\n", err.msg);
	return NULL;
}

static int setup(void **state)
{
	struct fx *x = xcalloc(1, sizeof(*x));
	struct server_options opts = {.threads = 2};
	struct error err = {0};

	log_configure(LOG_WARN, 1); /* no request log lines */
	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	x->f = afx_new_doc(NULL, "{\"address\":\"127.0.0.1:0\"}");
	if (server_new(x->f->a, &opts, &x->srv, &err) != 0)
		fail_msg("server_new: %s", err.msg);
	snprintf(x->url, sizeof(x->url), "https://127.0.0.1:%d", server_bound_port(x->srv));
	assert_int_equal(
	    cert_to_pem(sk_X509_value(authority_roots(x->f->a), 0), &x->root_pem, &err), 0);
	assert_int_equal(cert_to_pem(x->f->ca_cert, &x->inter_pem, &err), 0);
	assert_int_equal(pthread_create(&x->thread, NULL, serve, x), 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	server_stop(x->srv);
	pthread_join(x->thread, NULL);
	server_free(x->srv);
	afx_free(x->f);
	free(x->root_pem);
	free(x->inter_pem);
	curl_global_cleanup();
	assert_int_equal(x->run_rc, 0);
	free(x);
	return 0;
}

/* ---- one HTTP exchange ---------------------------------------------------------------------- */

struct grow {
	char *p;
	size_t n;
};

static size_t grow_add(char *data, size_t size, size_t n, void *arg)
{
	struct grow *g = arg;
	size_t len = size * n;

	g->p = xrealloc(g->p, g->n + len + 1);
	memcpy(g->p + g->n, data, len);
	g->n += len;
	g->p[g->n] = '\0';
	return len;
}

/* A request (method NULL = GET; body NULL = none, body_len 0 = strlen) and its answer. */
struct call {
	const char *method, *path, *body;
	size_t body_len;
	const char *cert, *key; /* client certificate chain and key (PEM), NULL = none */
	const char *bearer;	/* Authorization: Bearer */
	long status;
	struct grow got, head; /* body and header lines, NUL-terminated ("" when empty) */
	CURL *easy;
	struct curl_slist *hdrs;
	char *auth;
};

static void call_start(struct fx *x, struct call *c)
{
	struct curl_blob ca = {x->root_pem, strlen(x->root_pem), CURL_BLOB_COPY};
	char *url = xasprintf("%s%s", x->url, c->path);
	CURL *e = curl_easy_init();

	assert_non_null(e);
	c->easy = e;
	c->got = (struct grow){xstrdup(""), 0};
	c->head = (struct grow){xstrdup(""), 0};
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &ca);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, grow_add);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &c->got);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, grow_add);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &c->head);
	c->hdrs = curl_slist_append(NULL, "Expect:"); /* the body at once, no 100-continue */
	if (c->bearer != NULL) {
		c->auth = xasprintf("Authorization: Bearer %s", c->bearer);
		c->hdrs = curl_slist_append(c->hdrs, c->auth);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdrs);
	if (c->body != NULL) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(c->body_len > 0 ? c->body_len : strlen(c->body)));
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
	}
	if (c->method != NULL)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
	if (c->cert != NULL) {
		struct curl_blob crt = {(void *)c->cert, strlen(c->cert), CURL_BLOB_COPY};
		struct curl_blob key = {(void *)c->key, strlen(c->key), CURL_BLOB_COPY};

		curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &crt);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &key);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
	free(url);
}

/* After the transfer: the status (0 when it failed), and the handle goes. */
static void call_end(struct call *c, CURLcode res)
{
	if (res != CURLE_OK)
		print_error("%s: %s\n", c->path, curl_easy_strerror(res));
	c->status = 0;
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &c->status);
	curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->hdrs);
	free(c->auth);
	c->easy = NULL;
	c->hdrs = NULL;
	c->auth = NULL;
}

static void call_free(struct call *c)
{
	free(c->got.p);
	free(c->head.p);
	c->got.p = c->head.p = NULL;
}

/* Runs the exchange; asserts status and, unless want_body is NULL, the exact body. */
static void call(struct fx *x, struct call *c, long want_status, const char *want_body)
{
	call_start(x, c);
	call_end(c, curl_easy_perform(c->easy));
	if (c->status != want_status)
		fail_msg("%s %s: status %ld, want %ld; body %s", c->method ? c->method : "GET",
			 c->path, c->status, want_status, c->got.p);
	if (want_body != NULL)
		assert_string_equal(c->got.p, want_body);
}

/* Whether the answer has the header line "Name: value" (exactly). */
static bool has_header(const struct call *c, const char *line)
{
	char *want = xasprintf("\r\n%s\r\n", line);
	bool found = strstr(c->head.p, want) != NULL;

	free(want);
	return found;
}

/* GET path: asserts status and exact body. */
static void get(struct fx *x, const char *path, long status, const char *body)
{
	struct call c = {.path = path};

	call(x, &c, status, body);
	call_free(&c);
}

/* ---- certificates ---------------------------------------------------------------------------- */

/* A certificate issued through POST /sign: the client's view. */
struct leaf {
	EVP_PKEY *key;
	X509 *cert;
	char *key_pem, *chain_pem; /* for curl: the key, and leaf + intermediate */
	char *serial;		   /* decimal */
};

static void leaf_free(struct leaf *l)
{
	EVP_PKEY_free(l->key);
	X509_free(l->cert);
	free(l->key_pem);
	free(l->chain_pem);
	free(l->serial);
	memset(l, 0, sizeof(*l));
}

/* {"csr":PEM of a CSR of key for cn,"ott":ott}; ott NULL = none. malloc'd. */
static char *sign_body(EVP_PKEY *key, const char *cn, const char *ott)
{
	X509_REQ *csr = afx_csr(key, cn, NULL, false);
	struct error err = {0};
	char *pem = NULL, *text;
	json_t *doc;

	assert_int_equal(csr_to_pem(csr, &pem, &err), 0);
	doc = json_pack("{s:s}", "csr", pem);
	if (ott != NULL)
		json_object_set_new(doc, "ott", json_string(ott));
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	free(pem);
	X509_REQ_free(csr);
	return text;
}

/* RFC 2253 subject of cert; malloc'd. */
static char *subject_of(X509 *cert)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
	n = BIO_get_mem_data(b, &data);
	out = xasprintf("%.*s", (int)n, data);
	BIO_free(b);
	return out;
}

/* Checks a 201 SignResponse: exactly crt, ca, certChain, tlsOptions in this order (step-ca's),
 * ca the intermediate,
 * certChain [crt, intermediate], the leaf for cn with key, issued by the intermediate. Fills l
 * (cert, serial, chain_pem); the key is the caller's. */
static void check_sign_response(struct fx *x, const char *body, const char *cn, EVP_PKEY *key,
				struct leaf *l)
{
	json_t *doc = json_loads(body, 0, NULL), *chain;
	const char *crt, *ca_at, *chain_at;
	struct error err = {0};
	STACK_OF(X509) *certs = NULL;
	char *subject, *want_subject = xasprintf("CN=%s", cn), *tail;

	assert_non_null(doc);
	/* the order on the wire: {"crt":...,"ca":...,"certChain":[...],"tlsOptions":{...}}\n */
	assert_true(str_has_prefix(body, "{\"crt\":\"-----BEGIN CERTIFICATE-----\\n"));
	ca_at = strstr(body, "\",\"ca\":\"");
	chain_at = strstr(body, "\",\"certChain\":[\"");
	assert_non_null(ca_at);
	assert_non_null(chain_at);
	assert_true(ca_at < chain_at);
	tail = xasprintf("\"],\"tlsOptions\":%s}\n", authority_tls_options_json(x->f->a));
	if (!str_has_suffix(body, tail))
		fail_msg("want the end %s in %s", tail, body);
	assert_int_equal(json_object_size(doc), 4);
	crt = json_string_value(json_object_get(doc, "crt"));
	assert_non_null(crt);
	assert_string_equal(json_string_value(json_object_get(doc, "ca")), x->inter_pem);
	chain = json_object_get(doc, "certChain");
	assert_int_equal(json_array_size(chain), 2);
	assert_string_equal(json_string_value(json_array_get(chain, 0)), crt);
	assert_string_equal(json_string_value(json_array_get(chain, 1)), x->inter_pem);
	assert_int_equal(cert_parse_chain((const uint8_t *)crt, strlen(crt), &certs, &err), 0);
	assert_int_equal(sk_X509_num(certs), 1);
	l->cert = sk_X509_value(certs, 0);
	X509_up_ref(l->cert);
	sk_X509_pop_free(certs, X509_free);
	subject = subject_of(l->cert);
	assert_string_equal(subject, want_subject);
	assert_int_equal(X509_check_issued(x->f->ca_cert, l->cert), X509_V_OK);
	assert_true(key_public_equal(X509_get0_pubkey(l->cert), key));
	l->serial = cert_serial_decimal(l->cert);
	l->chain_pem = xasprintf("%s%s", crt, x->inter_pem);
	free(subject);
	free(want_subject);
	free(tail);
	json_decref(doc);
}

/* Issues cn through POST /sign with a fresh P-256 key; asserts the 201. */
static void issue(struct fx *x, const char *cn, struct leaf *l)
{
	char *tok = afx_sign_token(x->f, AFX_JWK, cn, NULL);
	struct error err = {0};
	struct call c = {.path = "/1.0/sign"};

	memset(l, 0, sizeof(*l));
	l->key = afx_key(AFX_P256);
	assert_int_equal(key_private_to_pem(l->key, NULL, &l->key_pem, &err), 0);
	c.body = sign_body(l->key, cn, tok);
	call(x, &c, 201, NULL);
	check_sign_response(x, c.got.p, cn, l->key, l);
	free((char *)c.body);
	call_free(&c);
	free(tok);
}

/* ---- the read-only endpoints ---------------------------------------------------------------- */

static void test_health_version_roots(void **state)
{
	struct fx *x = *state;
	X509 *root = sk_X509_value(authority_roots(x->f->a), 0);
	char fp[65], *path, *want;
	struct error err = {0};
	struct call c = {.path = "/roots"};
	json_t *doc;

	get(x, "/health", 200, "{\"status\":\"ok\"}\n");
	get(x, "/1.0/health", 200, "{\"status\":\"ok\"}\n");
	get(x, "/version", 200, "{\"version\":\"" STRIDE_VERSION "\"}\n");
	/* step's quirk: 201 on GET /roots */
	call(x, &c, 201, NULL);
	assert_true(has_header(&c, "Content-Type: application/json"));
	doc = json_loads(c.got.p, 0, NULL);
	assert_int_equal(json_object_size(doc), 1);
	assert_int_equal(json_array_size(json_object_get(doc, "crts")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "crts"), 0)),
			    x->root_pem);
	json_decref(doc);
	call_free(&c);

	assert_int_equal(cert_fingerprint(root, fp, &err), 0);
	path = xasprintf("/root/%s", fp);
	doc = json_pack("{s:s}", "ca", x->root_pem);
	want = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	doc = NULL;
	{
		char *line = xasprintf("%s\n", want);
		get(x, path, 200, line);
		free(line);
	}
	free(path);
	free(want);
	get(x, "/root/0000000000000000000000000000000000000000000000000000000000000000", 404,
	    BODY404);
}

static void test_provisioners(void **state)
{
	struct fx *x = *state;
	static const struct {
		const char *query, *names, *next;
	} pages[] = {
	    {"", "jwk@test,twohours@test,norenew@test,expiry@test,x5c,acme", ""},
	    {"?limit=4", "jwk@test,twohours@test,norenew@test,expiry@test", "4"},
	    {"?cursor=4&limit=4", "x5c,acme", ""},
	    {"?cursor=2&limit=1", "norenew@test", "3"},
	    {"?cursor=9", "", ""},
	};

	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		char *path = xasprintf("/provisioners%s", pages[i].query);
		struct call c = {.path = path};
		json_t *doc, *list;
		char names[256] = "";

		call(x, &c, 200, NULL);
		doc = json_loads(c.got.p, 0, NULL);
		assert_non_null(doc);
		assert_int_equal(json_object_size(doc), 2);
		list = json_object_get(doc, "provisioners");
		for (size_t k = 0; k < json_array_size(list); k++)
			snprintf(
			    names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			    k > 0 ? "," : "",
			    json_string_value(json_object_get(json_array_get(list, k), "name")));
		assert_string_equal(names, pages[i].names);
		assert_string_equal(json_string_value(json_object_get(doc, "nextCursor")),
				    pages[i].next);
		json_decref(doc);
		call_free(&c);
		free(path);
	}
	get(x, "/provisioners?limit=x", 400, BAD400("limit 'x' is not an integer"));
	get(x, "/provisioners?cursor=-1", 400, BAD400("cursor '-1' is not valid"));
	get(x, "/provisioners/nope/encrypted-key", 404, BODY404);
	get(x, "/provisioners/" AFX_KID "/encrypted-key", 404, BODY404); /* it has none */
}

static void test_unknown_route_and_method(void **state)
{
	struct fx *x = *state;
	struct call c = {.path = "/nope"};

	call(x, &c, 404, "404 page not found\n");
	assert_true(has_header(&c, "Content-Type: text/plain; charset=utf-8"));
	assert_true(has_header(&c, "X-Content-Type-Options: nosniff"));
	call_free(&c);
	c = (struct call){.path = "/health", .method = "POST", .body = "{}"};
	call(x, &c, 405, "");
	assert_true(has_header(&c, "Allow: GET, HEAD"));
	call_free(&c);
	c = (struct call){.path = "/1.0/sign"};
	call(x, &c, 405, "");
	assert_true(has_header(&c, "Allow: POST"));
	call_free(&c);
	c = (struct call){.path = "/root/abc", .method = "DELETE"};
	call(x, &c, 405, "");
	assert_true(has_header(&c, "Allow: GET, HEAD"));
	call_free(&c);
}

/* ---- POST /sign --------------------------------------------------------------------------------
 */

static void test_sign(void **state)
{
	struct fx *x = *state;
	struct leaf l;
	char *tok = afx_sign_token(x->f, AFX_JWK, "foo.example.com", NULL);
	struct call c = {.path = "/sign"};

	memset(&l, 0, sizeof(l));
	l.key = afx_key(AFX_P256);
	c.body = sign_body(l.key, "foo.example.com", tok);
	call(x, &c, 201, NULL);
	assert_true(has_header(&c, "Content-Type: application/json"));
	assert_false(has_header(&c, "Connection: close"));
	check_sign_response(x, c.got.p, "foo.example.com", l.key, &l);
	call_free(&c);
	/* the same token again: step's generic 401 */
	call(x, &c, 401, BODY401);
	call_free(&c);
	free((char *)c.body);
	free(tok);
	leaf_free(&l);
}

static void test_sign_refusals(void **state)
{
	struct fx *x = *state;
	EVP_PKEY *key = afx_key(AFX_P256);
	char *no_ott = sign_body(key, "foo.example.com", NULL);
	char *bad_ott = sign_body(key, "foo.example.com", "not.a.token");
	size_t big_len = CA_LIMITS_MAX_BODY_BYTES + 1;
	char *big = xmalloc(big_len + 1);
	struct {
		const char *what, *body;
		size_t len;
		long status;
		const char *want;
	} rows[] = {
	    {"malformed JSON", "{\"csr\":", 0, 400, BAD400("error decoding json")},
	    {"empty body", "", 0, 400, BAD400("error decoding json")},
	    {"missing csr", "{\"ott\":\"x\"}", 0, 400, BAD400("missing csr")},
	    {"missing ott", no_ott, 0, 400, BAD400("missing ott")},
	    {"bad token", bad_ott, 0, 401, BODY401},
	    {"body over maxBodyBytes", big, big_len, 413, BODY413},
	};

	memset(big, 'a', big_len);
	big[big_len] = '\0';
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct call c = {.path = "/sign",
				 .method = "POST",
				 .body = rows[i].body,
				 .body_len = rows[i].len};

		call_start(x, &c);
		call_end(&c, curl_easy_perform(c.easy));
		if (c.status != rows[i].status || strcmp(c.got.p, rows[i].want) != 0)
			fail_msg("%s: %ld %s, want %ld %s", rows[i].what, c.status, c.got.p,
				 rows[i].status, rows[i].want);
		call_free(&c);
	}
	get(x, "/health", 200, "{\"status\":\"ok\"}\n"); /* still serving */
	free(big);
	free(no_ott);
	free(bad_ott);
	EVP_PKEY_free(key);
}

/* ---- POST /renew, /rekey, /revoke ----------------------------------------------------------- */

static char *revoke_body(struct afx *f, const char *serial)
{
	char *tok = afx_revoke_token(f, AFX_JWK, serial);
	json_t *doc = json_pack("{s:s, s:s, s:i, s:s, s:b}", "serial", serial, "ott", tok,
				"reasonCode", 1, "reason", "key compromise", "passive", 1);
	char *text = json_dumps(doc, JSON_COMPACT);

	json_decref(doc);
	free(tok);
	return text;
}

static void test_renew_rekey_revoke(void **state)
{
	struct fx *x = *state;
	struct leaf a, renewed = {0};
	struct call c;
	char *body, *want;

	issue(x, "a.example.com", &a);
	/* over mTLS: a new certificate, same subject and key; the connection closes after it */
	c = (struct call){
	    .path = "/renew", .method = "POST", .body = "", .cert = a.chain_pem, .key = a.key_pem};
	call(x, &c, 201, NULL);
	assert_true(has_header(&c, "Connection: close"));
	check_sign_response(x, c.got.p, "a.example.com", a.key, &renewed);
	assert_string_not_equal(renewed.serial, a.serial);
	call_free(&c);
	/* without a client certificate or token */
	c = (struct call){.path = "/renew", .method = "POST", .body = ""};
	call(x, &c, 400, BAD400("missing client certificate"));
	call_free(&c);
	c = (struct call){.path = "/renew", .method = "POST", .body = "", .bearer = "x.y.z"};
	call(x, &c, 401, "{\"status\":401,\"message\":\"error validating renew token\"}\n");
	call_free(&c);
	/* rekey needs a CSR, and a client certificate */
	c = (struct call){.path = "/rekey",
			  .method = "POST",
			  .body = "{}",
			  .cert = a.chain_pem,
			  .key = a.key_pem};
	call(x, &c, 400, BAD400("missing csr"));
	call_free(&c);
	c = (struct call){.path = "/rekey", .method = "POST", .body = "{}"};
	call(x, &c, 400, BAD400("missing client certificate"));
	call_free(&c);

	/* revoke by token, then again, then renew the revoked certificate */
	body = revoke_body(x->f, a.serial);
	c = (struct call){.path = "/revoke", .method = "POST", .body = body};
	call(x, &c, 200, "{\"status\":\"ok\"}\n");
	call_free(&c);
	free(body);
	body = revoke_body(x->f, a.serial);
	want =
	    xasprintf(BAD400("certificate with serial number '%s' is already revoked"), a.serial);
	c = (struct call){.path = "/revoke", .method = "POST", .body = body};
	call(x, &c, 400, want);
	call_free(&c);
	free(want);
	free(body);
	c = (struct call){
	    .path = "/renew", .method = "POST", .body = "", .cert = a.chain_pem, .key = a.key_pem};
	call(x, &c, 401, BODY401);
	call_free(&c);
	leaf_free(&a);
	leaf_free(&renewed);
}

/* ---- concurrent requests answered by the authority's done callbacks ------------------------ */

static void test_concurrent_signs(void **state)
{
	struct fx *x = *state;
	struct call c[NCONCURRENT];
	struct leaf l[NCONCURRENT];
	char cn[NCONCURRENT][32];
	CURLM *multi = curl_multi_init();
	int running = 0;
	CURLMsg *msg;
	int left;

	memset(c, 0, sizeof(c));
	memset(l, 0, sizeof(l));
	for (int i = 0; i < NCONCURRENT; i++) {
		char *tok;

		snprintf(cn[i], sizeof(cn[i]), "c%d.example.com", i);
		tok = afx_sign_token(x->f, AFX_JWK, cn[i], NULL);
		l[i].key = afx_key(AFX_P256);
		c[i] = (struct call){.path = "/sign", .body = sign_body(l[i].key, cn[i], tok)};
		call_start(x, &c[i]);
		curl_easy_setopt(c[i].easy, CURLOPT_PRIVATE, &c[i]);
		assert_int_equal(curl_multi_add_handle(multi, c[i].easy), CURLM_OK);
		free(tok);
	}
	do {
		assert_int_equal(curl_multi_perform(multi, &running), CURLM_OK);
		if (running > 0)
			assert_int_equal(curl_multi_poll(multi, NULL, 0, 1000, NULL), CURLM_OK);
	} while (running > 0);
	while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
		struct call *done = NULL;

		assert_int_equal(msg->msg, CURLMSG_DONE);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&done);
		curl_multi_remove_handle(multi, msg->easy_handle);
		call_end(done, msg->data.result);
	}
	curl_multi_cleanup(multi);
	for (int i = 0; i < NCONCURRENT; i++) {
		if (c[i].status != 201)
			fail_msg("request %d: status %ld, body %s", i, c[i].status, c[i].got.p);
		check_sign_response(x, c[i].got.p, cn[i], l[i].key, &l[i]);
		for (int k = 0; k < i; k++)
			assert_string_not_equal(l[i].serial, l[k].serial);
	}
	for (int i = 0; i < NCONCURRENT; i++) {
		free((char *)c[i].body);
		call_free(&c[i]);
		leaf_free(&l[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_health_version_roots),
	    cmocka_unit_test(test_provisioners),
	    cmocka_unit_test(test_unknown_route_and_method),
	    cmocka_unit_test(test_sign),
	    cmocka_unit_test(test_sign_refusals),
	    cmocka_unit_test(test_renew_rekey_revoke),
	    cmocka_unit_test(test_concurrent_signs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
