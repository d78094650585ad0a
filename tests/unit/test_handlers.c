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
#include "base/buf.h"
#include "base/json_escape.h"
#include "base/log.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "server/server.h"
#include "server_fixture.h"

#define HINT	  " Please see the certificate authority logs for more info."
#define BAD400(m) "{\"status\":400,\"message\":\"The request could not be completed: " m ".\"}\n"
#define BODY401	  "{\"status\":401,\"message\":\"" AFX_GENERIC_401 "\"}\n"
#define BODY404                                                                                    \
	"{\"status\":404,\"message\":\"The requested resource could not be found." HINT "\"}\n"
#define BODY413                                                                                    \
	"{\"status\":413,\"message\":\"The certificate authority received an unexpected HTTP "     \
	"status code - '413'." HINT "\"}\n"
#define NCONCURRENT 8

static int setup(void **state)
{
	*state = sfx_start(afx_new_doc(NULL, "{\"address\":\"127.0.0.1:0\"}"), NULL);
	return 0;
}

static int teardown(void **state)
{
	sfx_stop(*state);
	return 0;
}

/* ---- one HTTP exchange ---------------------------------------------------------------------- */

/* GET path: asserts status and exact body. */
static void get(struct sfx *x, const char *path, long status, const char *body)
{
	struct call c = {.path = path};

	sfx_call(x, &c, status, body);
	sfx_call_free(&c);
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

/* s as a quoted JSON string (the escaper the SignResponse used before it wrote PEM itself). */
static char *quoted(const char *s)
{
	struct buf b;
	struct error err = {0};
	char *out;

	buf_init(&b, 1u << 20);
	assert_int_equal(json_escape_buf(&b, s, strlen(s), 0, &err), 0);
	out = buf_steal(&b);
	buf_free(&b);
	return out;
}

/* Checks a 201 SignResponse: exactly crt, ca, certChain, tlsOptions in this order (step-ca's),
 * ca the intermediate,
 * certChain [crt, intermediate], the leaf for cn with key, issued by the intermediate. Fills l
 * (cert, serial, chain_pem); the key is the caller's. */
static void check_sign_response(struct sfx *x, const char *body, const char *cn, EVP_PKEY *key,
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
	/* Byte for byte: OpenSSL's PEM of the leaf and the intermediate, escaped, in step-ca's
	 * order. */
	{
		char *pem = NULL, *q_leaf, *q_inter = quoted(x->inter_pem), *want;

		assert_int_equal(cert_to_pem(l->cert, &pem, &err), 0);
		q_leaf = quoted(pem);
		want = xasprintf("{\"crt\":%s,\"ca\":%s,\"certChain\":[%s,%s],\"tlsOptions\":%s}\n",
				 q_leaf, q_inter, q_leaf, q_inter,
				 authority_tls_options_json(x->f->a));
		assert_string_equal(body, want);
		free(want);
		free(q_leaf);
		free(q_inter);
		free(pem);
	}
	free(subject);
	free(want_subject);
	free(tail);
	json_decref(doc);
}

/* Issues cn through POST /sign with a fresh P-256 key; asserts the 201. */
static void issue(struct sfx *x, const char *cn, struct leaf *l)
{
	char *tok = afx_sign_token(x->f, AFX_JWK, cn, NULL);
	struct error err = {0};
	struct call c = {.path = "/1.0/sign"};

	memset(l, 0, sizeof(*l));
	l->key = afx_key(AFX_P256);
	assert_int_equal(key_private_to_pem(l->key, NULL, &l->key_pem, &err), 0);
	c.body = sign_body(l->key, cn, tok);
	sfx_call(x, &c, 201, NULL);
	check_sign_response(x, c.got.p, cn, l->key, l);
	free((char *)c.body);
	sfx_call_free(&c);
	free(tok);
}

/* ---- the read-only endpoints ---------------------------------------------------------------- */

static void test_health_version_roots(void **state)
{
	struct sfx *x = *state;
	X509 *root = sk_X509_value(authority_roots(x->f->a), 0);
	char fp[65], *path, *want;
	struct error err = {0};
	struct call c = {.path = "/roots"};
	json_t *doc;

	get(x, "/health", 200, "{\"status\":\"ok\"}\n");
	get(x, "/1.0/health", 200, "{\"status\":\"ok\"}\n");
	get(x, "/version", 200, "{\"version\":\"" STRIDE_VERSION "\"}\n");
	/* step's quirk: 201 on GET /roots */
	sfx_call(x, &c, 201, NULL);
	assert_true(sfx_has_header(&c, "Content-Type: application/json"));
	doc = json_loads(c.got.p, 0, NULL);
	assert_int_equal(json_object_size(doc), 1);
	assert_int_equal(json_array_size(json_object_get(doc, "crts")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "crts"), 0)),
			    x->root_pem);
	json_decref(doc);
	sfx_call_free(&c);

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
	struct sfx *x = *state;
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

		sfx_call(x, &c, 200, NULL);
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
		sfx_call_free(&c);
		free(path);
	}
	get(x, "/provisioners?limit=x", 400, BAD400("limit 'x' is not an integer"));
	get(x, "/provisioners?cursor=-1", 400, BAD400("cursor '-1' is not valid"));
	get(x, "/provisioners/nope/encrypted-key", 404, BODY404);
	get(x, "/provisioners/" AFX_KID "/encrypted-key", 404, BODY404); /* it has none */
}

static void test_unknown_route_and_method(void **state)
{
	struct sfx *x = *state;
	struct call c = {.path = "/nope"};

	sfx_call(x, &c, 404, "404 page not found\n");
	assert_true(sfx_has_header(&c, "Content-Type: text/plain; charset=utf-8"));
	assert_true(sfx_has_header(&c, "X-Content-Type-Options: nosniff"));
	sfx_call_free(&c);
	c = (struct call){.path = "/health", .method = "POST", .body = "{}"};
	sfx_call(x, &c, 405, "");
	assert_true(sfx_has_header(&c, "Allow: GET, HEAD"));
	sfx_call_free(&c);
	c = (struct call){.path = "/1.0/sign"};
	sfx_call(x, &c, 405, "");
	assert_true(sfx_has_header(&c, "Allow: POST"));
	sfx_call_free(&c);
	c = (struct call){.path = "/root/abc", .method = "DELETE"};
	sfx_call(x, &c, 405, "");
	assert_true(sfx_has_header(&c, "Allow: GET, HEAD"));
	sfx_call_free(&c);
}

/* ---- POST /sign --------------------------------------------------------------------------------
 */

static void test_sign(void **state)
{
	struct sfx *x = *state;
	struct leaf l;
	char *tok = afx_sign_token(x->f, AFX_JWK, "foo.example.com", NULL);
	struct call c = {.path = "/sign"};

	memset(&l, 0, sizeof(l));
	l.key = afx_key(AFX_P256);
	c.body = sign_body(l.key, "foo.example.com", tok);
	sfx_call(x, &c, 201, NULL);
	assert_true(sfx_has_header(&c, "Content-Type: application/json"));
	assert_false(sfx_has_header(&c, "Connection: close"));
	check_sign_response(x, c.got.p, "foo.example.com", l.key, &l);
	sfx_call_free(&c);
	/* the same token again: step's generic 401 */
	sfx_call(x, &c, 401, BODY401);
	sfx_call_free(&c);
	free((char *)c.body);
	free(tok);
	leaf_free(&l);
}

static void test_sign_refusals(void **state)
{
	struct sfx *x = *state;
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

		sfx_call_start(x, &c);
		sfx_call_end(&c, curl_easy_perform(c.easy));
		if (c.status != rows[i].status || strcmp(c.got.p, rows[i].want) != 0)
			fail_msg("%s: %ld %s, want %ld %s", rows[i].what, c.status, c.got.p,
				 rows[i].status, rows[i].want);
		sfx_call_free(&c);
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
	struct sfx *x = *state;
	struct leaf a, renewed = {0};
	struct call c;
	char *body, *want;

	issue(x, "a.example.com", &a);
	/* over mTLS: a new certificate, same subject and key; the connection closes after it */
	c = (struct call){
	    .path = "/renew", .method = "POST", .body = "", .cert = a.chain_pem, .key = a.key_pem};
	sfx_call(x, &c, 201, NULL);
	assert_true(sfx_has_header(&c, "Connection: close"));
	check_sign_response(x, c.got.p, "a.example.com", a.key, &renewed);
	assert_string_not_equal(renewed.serial, a.serial);
	sfx_call_free(&c);
	/* without a client certificate or token */
	c = (struct call){.path = "/renew", .method = "POST", .body = ""};
	sfx_call(x, &c, 400, BAD400("missing client certificate"));
	sfx_call_free(&c);
	c = (struct call){.path = "/renew", .method = "POST", .body = "", .bearer = "x.y.z"};
	sfx_call(x, &c, 401, "{\"status\":401,\"message\":\"error validating renew token\"}\n");
	sfx_call_free(&c);
	/* rekey needs a CSR, and a client certificate */
	c = (struct call){.path = "/rekey",
			  .method = "POST",
			  .body = "{}",
			  .cert = a.chain_pem,
			  .key = a.key_pem};
	sfx_call(x, &c, 400, BAD400("missing csr"));
	sfx_call_free(&c);
	c = (struct call){.path = "/rekey", .method = "POST", .body = "{}"};
	sfx_call(x, &c, 400, BAD400("missing client certificate"));
	sfx_call_free(&c);

	/* revoke by token, then again, then renew the revoked certificate */
	body = revoke_body(x->f, a.serial);
	c = (struct call){.path = "/revoke", .method = "POST", .body = body};
	sfx_call(x, &c, 200, "{\"status\":\"ok\"}\n");
	sfx_call_free(&c);
	free(body);
	body = revoke_body(x->f, a.serial);
	want =
	    xasprintf(BAD400("certificate with serial number '%s' is already revoked"), a.serial);
	c = (struct call){.path = "/revoke", .method = "POST", .body = body};
	sfx_call(x, &c, 400, want);
	sfx_call_free(&c);
	free(want);
	free(body);
	c = (struct call){
	    .path = "/renew", .method = "POST", .body = "", .cert = a.chain_pem, .key = a.key_pem};
	sfx_call(x, &c, 401, BODY401);
	sfx_call_free(&c);
	leaf_free(&a);
	leaf_free(&renewed);
}

/* ---- concurrent requests answered by the authority's done callbacks ------------------------ */

static void test_concurrent_signs(void **state)
{
	struct sfx *x = *state;
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
		sfx_call_start(x, &c[i]);
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
		sfx_call_end(done, msg->data.result);
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
		sfx_call_free(&c[i]);
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
