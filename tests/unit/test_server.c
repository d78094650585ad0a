/* test_server.c - routing, error messages, the /sign body decoder, TLS names, addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "server/decode.h"
#include "server/respond.h"
#include "base/url.h"
#include "server/router.h"
#include "server/server.h"
#include "server/tls.h"

#define GENERIC_HINT " Please see the certificate authority logs for more info."

/* ---- router ------------------------------------------------------------------------------ */

static void match(enum http_method m, const char *target, struct route_match *out)
{
	router_match(m, target, strlen(target), out);
}

static void expect_route(enum http_method m, const char *target, enum route_id id,
			 const char *param)
{
	struct route_match r;

	match(m, target, &r);
	if (r.status != ROUTE_FOUND)
		fail_msg("%s %s: status %d, want found", http_method_name(m), target, r.status);
	assert_int_equal(r.id, id);
	assert_string_equal(r.param, param);
	assert_int_equal(r.head, m == HTTP_HEAD);
}

static void expect_status(enum http_method m, const char *target, enum route_status st)
{
	struct route_match r;

	match(m, target, &r);
	if (r.status != st)
		fail_msg("%s %s: status %d, want %d", http_method_name(m), target, r.status, st);
}

static void test_router_core_routes(void **state)
{
	static const struct {
		enum http_method m;
		const char *path;
		enum route_id id;
	} cases[] = {
	    {HTTP_GET, "/health", ROUTE_HEALTH},
	    {HTTP_GET, "/version", ROUTE_VERSION},
	    {HTTP_GET, "/roots", ROUTE_ROOTS},
	    {HTTP_GET, "/roots.pem", ROUTE_ROOTS_PEM},
	    {HTTP_GET, "/federation", ROUTE_FEDERATION},
	    {HTTP_GET, "/intermediates", ROUTE_INTERMEDIATES},
	    {HTTP_GET, "/intermediates.pem", ROUTE_INTERMEDIATES_PEM},
	    {HTTP_GET, "/provisioners", ROUTE_PROVISIONERS},
	    {HTTP_POST, "/sign", ROUTE_SIGN},
	    {HTTP_POST, "/renew", ROUTE_RENEW},
	    {HTTP_POST, "/re-sign", ROUTE_RENEW},
	    {HTTP_POST, "/rekey", ROUTE_REKEY},
	    {HTTP_POST, "/revoke", ROUTE_REVOKE},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char versioned[64];

		snprintf(versioned, sizeof(versioned), "/1.0%s", cases[i].path);
		expect_route(cases[i].m, cases[i].path, cases[i].id, "");
		expect_route(cases[i].m, versioned, cases[i].id, "");
		if (cases[i].m == HTTP_GET) {
			expect_route(HTTP_HEAD, cases[i].path, cases[i].id, "");
			expect_route(HTTP_HEAD, versioned, cases[i].id, "");
		}
	}
	expect_route(HTTP_POST, "/v1/applications/certificates/renewals", ROUTE_KYMA_RENEWALS, "");
	expect_status(HTTP_POST, "/1.0/v1/applications/certificates/renewals", ROUTE_NOT_FOUND);
}

static void test_router_params(void **state)
{
	struct route_match r;
	char longp[1200];
	(void)state;

	expect_route(HTTP_GET, "/root/AB-cd", ROUTE_ROOT, "AB-cd");
	expect_route(HTTP_GET, "/1.0/root/abc?x=1", ROUTE_ROOT, "abc");
	expect_route(HTTP_GET, "/provisioners/kid-1/encrypted-key", ROUTE_PROVISIONER_KEY, "kid-1");
	expect_route(HTTP_GET, "/provisioners/a%2Db%20c%2Fd/encrypted-key", ROUTE_PROVISIONER_KEY,
		     "a-b c/d");
	expect_route(HTTP_GET, "/provisioners/a+b/encrypted-key", ROUTE_PROVISIONER_KEY, "a+b");
	/* empty, multi-segment, malformed or NUL parameters do not match */
	expect_status(HTTP_GET, "/root/", ROUTE_NOT_FOUND);
	expect_status(HTTP_GET, "/root/a/b", ROUTE_NOT_FOUND);
	expect_status(HTTP_GET, "/provisioners//encrypted-key", ROUTE_NOT_FOUND);
	expect_status(HTTP_GET, "/provisioners/%zz/encrypted-key", ROUTE_NOT_FOUND);
	expect_status(HTTP_GET, "/provisioners/%4/encrypted-key", ROUTE_NOT_FOUND);
	expect_status(HTTP_GET, "/root/ab%00cd", ROUTE_NOT_FOUND);
	memset(longp, 'a', sizeof(longp));
	memcpy(longp, "/root/", 6);
	longp[6 + ROUTE_PARAM_MAX] = '\0';
	expect_status(HTTP_GET, longp, ROUTE_FOUND);
	longp[6 + ROUTE_PARAM_MAX] = 'a';
	longp[6 + ROUTE_PARAM_MAX + 1] = '\0';
	expect_status(HTTP_GET, longp, ROUTE_NOT_FOUND);
	/* a target that is not NUL-terminated */
	router_match(HTTP_GET, "/healthXYZ", 7, &r);
	assert_int_equal(r.status, ROUTE_FOUND);
	assert_int_equal(r.id, ROUTE_HEALTH);
}

static void test_router_not_found_and_methods(void **state)
{
	struct route_match r;
	(void)state;

	expect_status(HTTP_GET, "/nope", ROUTE_NOT_FOUND);
	expect_status(HTTP_GET, "/health/", ROUTE_NOT_FOUND);
	expect_status(HTTP_GET, "//health", ROUTE_NOT_FOUND);
	expect_status(HTTP_GET, "/1.0", ROUTE_NOT_FOUND);
	expect_status(HTTP_GET, "/1.0/", ROUTE_NOT_FOUND);
	expect_status(HTTP_GET, "/2.0/health", ROUTE_NOT_FOUND);
	expect_status(HTTP_GET, "/heal%74h", ROUTE_NOT_FOUND); /* fixed segments match raw */
	expect_status(HTTP_GET, "/HEALTH", ROUTE_NOT_FOUND);
	expect_status(HTTP_GET, "health", ROUTE_NOT_FOUND);
	expect_status(HTTP_GET, "*", ROUTE_NOT_FOUND);
	expect_status(HTTP_GET, "", ROUTE_NOT_FOUND);
	router_match(HTTP_GET, NULL, 0, &r);
	assert_int_equal(r.status, ROUTE_NOT_FOUND);

	match(HTTP_POST, "/health", &r);
	assert_int_equal(r.status, ROUTE_BAD_METHOD);
	assert_string_equal(r.allow, "GET, HEAD");
	match(HTTP_GET, "/1.0/sign", &r);
	assert_int_equal(r.status, ROUTE_BAD_METHOD);
	assert_string_equal(r.allow, "POST");
	match(HTTP_HEAD, "/sign", &r);
	assert_int_equal(r.status, ROUTE_BAD_METHOD);
	match(HTTP_DELETE, "/root/abc", &r);
	assert_int_equal(r.status, ROUTE_BAD_METHOD);
	assert_string_equal(r.param, "");
	match(HTTP_OTHER, "/health", &r);
	assert_int_equal(r.status, ROUTE_BAD_METHOD);
}

static void test_router_query_and_absolute_form(void **state)
{
	(void)state;
	expect_route(HTTP_GET, "/health?", ROUTE_HEALTH, "");
	expect_route(HTTP_GET, "/health?a=/sign", ROUTE_HEALTH, "");
	expect_route(HTTP_GET, "/health#frag", ROUTE_HEALTH, "");
	expect_route(HTTP_GET, "/provisioners?cursor=1&limit=2", ROUTE_PROVISIONERS, "");
	expect_route(HTTP_GET, "https://ca.example.com:9000/1.0/health", ROUTE_HEALTH, "");
	expect_route(HTTP_POST, "HTTP://ca/sign?x", ROUTE_SIGN, "");
	expect_status(HTTP_GET, "https://ca.example.com", ROUTE_NOT_FOUND);
	expect_status(HTTP_GET, "https://ca.example.com?/health", ROUTE_NOT_FOUND);
}

static void test_method_names(void **state)
{
	(void)state;
	assert_int_equal(http_method_from_name("GET"), HTTP_GET);
	assert_int_equal(http_method_from_name("PATCH"), HTTP_PATCH);
	assert_int_equal(http_method_from_name("get"), HTTP_OTHER);
	assert_int_equal(http_method_from_name(NULL), HTTP_OTHER);
	assert_string_equal(http_method_name(HTTP_HEAD), "HEAD");
	assert_string_equal(http_method_name(HTTP_OTHER), "OTHER");
	assert_string_equal(route_name(ROUTE_SIGN), "sign");
	assert_string_equal(route_name(ROUTE_COUNT), "unknown");
}

static void test_url_unescape(void **state)
{
	char out[8];
	(void)state;

	assert_int_equal(url_unescape("a%41+b", 6, true, out, 7), 0);
	assert_string_equal(out, "aA b");
	assert_int_equal(url_unescape("a%41+b", 6, false, out, 7), 0);
	assert_string_equal(out, "aA+b");
	assert_int_equal(url_unescape("", 0, false, out, 7), 0);
	assert_string_equal(out, "");
	assert_int_equal(url_unescape("%", 1, false, out, 7), -1);
	assert_int_equal(url_unescape("%4", 2, false, out, 7), -1);
	assert_int_equal(url_unescape("%g0", 3, false, out, 7), -1);
	assert_int_equal(url_unescape("%00", 3, false, out, 7), -1);
	assert_int_equal(url_unescape("1234567", 7, false, out, 7), 0);
	assert_int_equal(url_unescape("12345678", 8, false, out, 7), -1);
	assert_int_equal(url_unescape("%41%42", 6, false, out, 2), 0);
	assert_string_equal(out, "AB");
}

static void test_query_get(void **state)
{
	char *v = NULL;
	(void)state;

	query_get("cursor=abc&limit=5", "limit", &v);
	assert_string_equal(v, "5");
	free(v);
	query_get("limit=1&limit=2", "limit", &v);
	assert_string_equal(v, "1");
	free(v);
	query_get("a=1&lim%69t=x+y%21", "limit", &v);
	assert_string_equal(v, "x y!");
	free(v);
	query_get("limit", "limit", &v);
	assert_string_equal(v, "");
	free(v);
	query_get("limit=", "limit", &v);
	assert_string_equal(v, "");
	free(v);
	query_get("limit=%zz&limit=7", "limit", &v); /* a bad pair is skipped */
	assert_string_equal(v, "7");
	free(v);
	query_get("limit=1;x=2&limit=3", "limit", &v); /* Go refuses semicolons */
	assert_string_equal(v, "3");
	free(v);
	query_get("cursor=1", "limit", &v);
	assert_null(v);
	query_get("", "limit", &v);
	assert_null(v);
	query_get(NULL, "limit", &v);
	assert_null(v);
	query_get("&&=&limit&", "limit", &v);
	assert_string_equal(v, "");
	free(v);
}

/* ---- error messages ------------------------------------------------------------------------ */

static void expect_error(enum err_kind kind, bool expose, int status_field, const char *msg,
			 int want_status, const char *want_msg)
{
	struct error err = {0};
	char out[2048];

	err.kind = kind;
	err.expose = expose;
	err.status = status_field;
	snprintf(err.msg, sizeof(err.msg), "%s", msg);
	assert_int_equal(http_error_map(&err, out, sizeof(out)), want_status);
	assert_string_equal(out, want_msg);
}

static void test_error_mapping_exposed(void **state)
{
	(void)state;
	expect_error(ERR_INVALID, true, 0, "error decoding json", 400,
		     "The request could not be completed: error decoding json.");
	expect_error(ERR_FORBIDDEN, true, 0,
		     "certificate request does not contain the valid DNS names - got [a], want [b]",
		     403,
		     "The request was forbidden by the certificate authority: certificate request "
		     "does not contain the valid DNS names - got [a], want [b].");
	/* a policy refusal carries step-ca's whole sentence already: sent as it is */
	expect_error(ERR_FORBIDDEN, true, 0,
		     "The request was forbidden by the certificate authority: dns name \"x\" not "
		     "allowed",
		     403,
		     "The request was forbidden by the certificate authority: dns name \"x\" not "
		     "allowed");
	expect_error(ERR_UNAUTHORIZED, true, 0,
		     "provisioner \"p\" is disabled due to an initialization error", 401,
		     "provisioner \"p\" is disabled due to an initialization error");
	expect_error(ERR_NOT_FOUND, true, 0,
		     "root certificate with fingerprint \"ab\" was not found", 404,
		     "root certificate with fingerprint \"ab\" was not found");
	/* step reports "already revoked" as a 400 */
	expect_error(ERR_CONFLICT, true, 0, "certificate with serial number '1' is already revoked",
		     400,
		     "The request could not be completed: certificate with serial number '1' is "
		     "already revoked.");
	/* exposure never reveals 5xx details */
	expect_error(
	    ERR_INTERNAL, true, 0, "disk on fire", 500,
	    "The certificate authority encountered an Internal Server Error." GENERIC_HINT);
	expect_error(
	    ERR_NOT_IMPLEMENTED, true, 0, "renew", 501,
	    "The requested method is not implemented by the certificate authority." GENERIC_HINT);
	/* the database being down is said as it is: the client may retry */
	expect_error(ERR_UNAVAILABLE, true, 0, "database unavailable", 503, "database unavailable");
	expect_error(ERR_UNAVAILABLE, false, 0, "connection refused", 503,
		     "The certificate authority received an unexpected HTTP status code - "
		     "'503'." GENERIC_HINT);
	/* an empty exposed message falls back to the generic text */
	expect_error(ERR_INVALID, true, 0, "", 400,
		     "The request could not be completed; malformed or missing data." GENERIC_HINT);
}

static void test_error_mapping_generic(void **state)
{
	(void)state;
	expect_error(ERR_INVALID, false, 0, "secret detail", 400,
		     "The request could not be completed; malformed or missing data." GENERIC_HINT);
	expect_error(ERR_UNAUTHORIZED, false, 0, "token expired", 401,
		     "The request lacked necessary authorization to be completed." GENERIC_HINT);
	expect_error(ERR_FORBIDDEN, false, 0, "x", 403,
		     "The request was forbidden by the certificate authority." GENERIC_HINT);
	expect_error(ERR_NOT_FOUND, false, 0, "no kid", 404,
		     "The requested resource could not be found." GENERIC_HINT);
	expect_error(ERR_CONFLICT, false, 0, "x", 400,
		     "The request could not be completed; malformed or missing data." GENERIC_HINT);
	expect_error(ERR_TOO_LARGE, false, 0, "x", 413,
		     "The certificate authority received an unexpected HTTP status code - "
		     "'413'." GENERIC_HINT);
	expect_error(
	    ERR_NOT_IMPLEMENTED, false, 0, "x", 501,
	    "The requested method is not implemented by the certificate authority." GENERIC_HINT);
	expect_error(
	    ERR_IO, false, 0, "x", 500,
	    "The certificate authority encountered an Internal Server Error." GENERIC_HINT);
	expect_error(
	    ERR_CRYPTO, false, 0, "x", 500,
	    "The certificate authority encountered an Internal Server Error." GENERIC_HINT);
	expect_error(
	    ERR_NETWORK, false, 0, "x", 500,
	    "The certificate authority encountered an Internal Server Error." GENERIC_HINT);
	expect_error(
	    ERR_NONE, false, 0, "x", 500,
	    "The certificate authority encountered an Internal Server Error." GENERIC_HINT);
	/* an explicit status wins over the kind */
	expect_error(ERR_INTERNAL, false, 503, "x", 503,
		     "The certificate authority received an unexpected HTTP status code - "
		     "'503'." GENERIC_HINT);
	expect_error(ERR_INTERNAL, true, 403, "no", 403,
		     "The request was forbidden by the certificate authority: no.");
	expect_error(ERR_INVALID, false, 200, "x", 400, /* not an error status: ignored */
		     "The request could not be completed; malformed or missing data." GENERIC_HINT);
}

static void test_error_mapping_null_and_truncation(void **state)
{
	char out[2048];
	char small[16];
	struct error err;
	(void)state;

	assert_int_equal(http_error_map(NULL, out, sizeof(out)), 500);
	assert_string_equal(
	    out, "The certificate authority encountered an Internal Server Error." GENERIC_HINT);
	err_public(&err, ERR_INVALID, "%s", "a very long message indeed");
	assert_int_equal(http_error_map(&err, small, sizeof(small)), 400);
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void test_error_body(void **state)
{
	char *body;
	(void)state;

	body = http_error_body(400, "The request could not be completed: missing csr.");
	assert_string_equal(body,
			    "{\"status\":400,\"message\":\"The request could not be completed: "
			    "missing csr.\"}\n");
	free(body);
	body = http_error_body(403, "quote \" and \\ and \xff bad");
	assert_string_equal(body,
			    "{\"status\":403,\"message\":\"quote \\\" and \\\\ and \xef\xbf\xbd "
			    "bad\"}\n");
	free(body);
	body = http_error_body(500, NULL);
	assert_string_equal(body, "{\"status\":500,\"message\":\"\"}\n");
	free(body);
	assert_string_equal(http_reason(201), "Created");
	assert_string_equal(http_reason(405), "Method Not Allowed");
	assert_string_equal(http_reason(999), "Unknown");
}

/* ---- /sign body ----------------------------------------------------------------------------- */

static char *csr_pem;	  /* a valid CSR */
static char *bad_sig_pem; /* the same CSR with a broken signature */

static int setup_csr(void **state)
{
	struct key_spec spec = {.kty = KEY_KTY_EC, .nid = NID_X9_62_prime256v1};
	EVP_PKEY *key = NULL;
	X509_REQ *csr = NULL;
	struct strv sans = {0};
	unsigned char *der = NULL;
	int len;
	BIO *bio;
	BUF_MEM *mem;
	(void)state;

	strv_push(&sans, "foo.example.com");
	if (key_generate(&spec, &key, NULL) != 0 ||
	    csr_create(key, "foo.example.com", &sans, &csr, NULL) != 0 ||
	    csr_to_pem(csr, &csr_pem, NULL) != 0)
		return -1;
	len = i2d_X509_REQ(csr, &der);
	if (len <= 0)
		return -1;
	der[len - 1] ^= 0x01; /* last byte of the ECDSA signature */
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio(bio, "CERTIFICATE REQUEST", "", der, len);
	BIO_get_mem_ptr(bio, &mem);
	bad_sig_pem = xasprintf("%.*s", (int)mem->length, mem->data);
	BIO_free(bio);
	OPENSSL_free(der);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	strv_free(&sans);
	return 0;
}

static int teardown_csr(void **state)
{
	(void)state;
	free(csr_pem);
	free(bad_sig_pem);
	return 0;
}

/* {"csr":<csr>,"ott":<ott>, extra} with csr/ott JSON-encoded (NULL = omitted). */
static char *body_with(const char *csr, const char *ott, const char *extra)
{
	json_t *o = json_object();
	char *text, *out;

	if (csr != NULL)
		json_object_set_new(o, "csr", json_string(csr));
	if (ott != NULL)
		json_object_set_new(o, "ott", json_string(ott));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (extra != NULL && extra[0] != '\0') {
		text[strlen(text) - 1] = '\0';
		out = xasprintf("%s%s%s}", text, strlen(text) > 1 ? "," : "", extra);
		free(text);
		return out;
	}
	return text;
}

static void expect_sign_error(const char *body, enum err_kind kind, const char *msg)
{
	struct sign_body b;
	struct error err = {0};

	if (sign_body_parse((const uint8_t *)body, strlen(body), SERVER_MAX_BODY, &b, &err) == 0)
		fail_msg("body accepted: %s", body);
	assert_int_equal(err.kind, kind);
	assert_true(err.expose);
	assert_string_equal(err.msg, msg);
	assert_null(b.doc);
	assert_null(b.csr);
}

static void test_sign_body_decode_errors(void **state)
{
	char *b;
	(void)state;

	expect_sign_error("", ERR_INVALID, "error decoding json");
	expect_sign_error("   ", ERR_INVALID, "error decoding json");
	expect_sign_error("{\"csr\":", ERR_INVALID, "error decoding json");
	expect_sign_error("[1,2,3]", ERR_INVALID, "error decoding json");
	expect_sign_error("\"csr\"", ERR_INVALID, "error decoding json");
	expect_sign_error("42", ERR_INVALID, "error decoding json");
	expect_sign_error("{\"csr\":42,\"ott\":\"x\"}", ERR_INVALID, "error decoding json");
	expect_sign_error("{\"csr\":\"hello\",\"ott\":\"x\"}", ERR_INVALID, "error decoding json");
	expect_sign_error("{\"csr\":\"-----BEGIN CERTIFICATE REQUEST-----\\nAAAA\\n-----END "
			  "CERTIFICATE REQUEST-----\\n\",\"ott\":\"x\"}",
			  ERR_INVALID, "error decoding json");
	expect_sign_error("{\"ott\":\"a\\u0000b\"}", ERR_INVALID, "error decoding json");
	b = body_with(csr_pem, "x", "\"notAfter\":5");
	expect_sign_error(b, ERR_INVALID, "error decoding json");
	free(b);
	b = body_with(csr_pem, "x", "\"notBefore\":\"yesterday\"");
	expect_sign_error(b, ERR_INVALID, "error decoding json");
	free(b);
	b = body_with(csr_pem, NULL, "\"ott\":true");
	expect_sign_error(b, ERR_INVALID, "error decoding json");
	free(b);
	/* decoding comes first: a bad ott type beats a missing csr */
	expect_sign_error("{\"ott\":1}", ERR_INVALID, "error decoding json");
}

static void test_sign_body_order_of_checks(void **state)
{
	char *b;
	(void)state;

	expect_sign_error("{}", ERR_INVALID, "missing csr");
	expect_sign_error("null", ERR_INVALID, "missing csr");
	expect_sign_error("{\"csr\":null,\"ott\":\"x\"}", ERR_INVALID, "missing csr");
	expect_sign_error("{\"csr\":\"\",\"ott\":\"x\"}", ERR_INVALID, "missing csr");
	/* The CSR's signature is the authority's to check, after the token (authority_sign):
	 * the decoder only parses it. */
	b = body_with(bad_sig_pem, NULL, NULL);
	expect_sign_error(b, ERR_INVALID, "missing ott");
	free(b);
	{
		struct sign_body sb;
		struct error err = {0};

		b = body_with(bad_sig_pem, "x", NULL);
		assert_int_equal(
		    sign_body_parse((const uint8_t *)b, strlen(b), SERVER_MAX_BODY, &sb, &err), 0);
		assert_non_null(sb.csr);
		assert_int_equal(csr_verify(sb.csr, NULL), -1);
		sign_body_free(&sb);
		free(b);
	}
	b = body_with(csr_pem, NULL, NULL);
	expect_sign_error(b, ERR_INVALID, "missing ott");
	free(b);
	b = body_with(csr_pem, "", NULL);
	expect_sign_error(b, ERR_INVALID, "missing ott");
	free(b);
	b = body_with(csr_pem, NULL, "\"ott\":null");
	expect_sign_error(b, ERR_INVALID, "missing ott");
	free(b);
}

static void test_sign_body_ok(void **state)
{
	struct sign_body sb;
	struct error err = {0};
	char *b;
	(void)state;

	b = body_with(csr_pem, "tok.en.sig",
		      "\"notBefore\":\"\",\"notAfter\":\"1h\",\"templateData\":{\"a\":[1]},"
		      "\"unknown\":{\"x\":1}");
	assert_int_equal(sign_body_parse((const uint8_t *)b, strlen(b), SERVER_MAX_BODY, &sb, &err),
			 0);
	assert_non_null(sb.csr);
	assert_string_equal(sb.ott, "tok.en.sig");
	assert_string_equal(sb.not_before, "");
	assert_string_equal(sb.not_after, "1h");
	assert_non_null(sb.template_data);
	assert_int_equal(
	    json_integer_value(json_array_get(json_object_get(sb.template_data, "a"), 0)), 1);
	sign_body_free(&sb);
	assert_null(sb.doc);
	sign_body_free(&sb); /* twice is fine */
	free(b);

	/* Go's decoding: case-insensitive keys, trailing bytes ignored, null = unset */
	{
		json_t *o = json_pack("{s:s, s:s, s:s, s:n}", "CSR", csr_pem, "Ott", "t",
				      "NOTAFTER", "2030-01-01T00:00:00Z", "templateData");
		char *text = json_dumps(o, JSON_COMPACT);
		char *withtail = xasprintf("%s trailing garbage", text);

		assert_int_equal(sign_body_parse((const uint8_t *)withtail, strlen(withtail),
						 SERVER_MAX_BODY, &sb, &err),
				 0);
		assert_string_equal(sb.ott, "t");
		assert_string_equal(sb.not_after, "2030-01-01T00:00:00Z");
		assert_null(sb.template_data);
		sign_body_free(&sb);
		free(withtail);
		free(text);
		json_decref(o);
	}
}

static void test_sign_body_limits(void **state)
{
	struct sign_body sb;
	struct error err = {0};
	char *b = body_with(csr_pem, "t", NULL);
	(void)state;

	assert_int_equal(sign_body_parse((const uint8_t *)b, strlen(b), strlen(b) - 1, &sb, &err),
			 -1);
	assert_int_equal(err.kind, ERR_TOO_LARGE);
	assert_int_equal(sign_body_parse((const uint8_t *)b, strlen(b), strlen(b), &sb, &err), 0);
	sign_body_free(&sb);
	free(b);
}

static void test_json_field(void **state)
{
	json_t *o = json_loads("{\"Csr\":1,\"x\":2,\"CSR\":3}", 0, NULL);
	(void)state;

	assert_int_equal(json_integer_value(json_field(o, "csr")), 3); /* the last match wins */
	assert_int_equal(json_integer_value(json_field(o, "X")), 2);
	assert_null(json_field(o, "ott"));
	assert_null(json_field(NULL, "csr"));
	json_decref(o);
}

/* ---- TLS names and addresses ------------------------------------------------------------ */

static void test_tls_names(void **state)
{
	struct strv names = {0};
	struct error err = {0};
	char *list = NULL;
	(void)state;

	assert_string_equal(tls_cipher_openssl_name("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
			    "ECDHE-ECDSA-AES128-GCM-SHA256");
	assert_string_equal(tls_cipher_openssl_name("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305"),
			    "ECDHE-ECDSA-CHACHA20-POLY1305");
	assert_string_equal(tls_cipher_openssl_name("TLS_RSA_WITH_AES_128_CBC_SHA"), "AES128-SHA");
	assert_string_equal(tls_cipher_openssl_name("TLS_AES_128_GCM_SHA256"), "");
	assert_null(tls_cipher_openssl_name("TLS_NOPE"));
	assert_null(tls_cipher_openssl_name(NULL));

	strv_push(&names, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
	strv_push(&names, "TLS_AES_256_GCM_SHA384");
	strv_push(&names, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
	assert_int_equal(tls_cipher_list(&names, &list, &err), 0);
	assert_string_equal(list, "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256");
	free(list);
	strv_push(&names, "bogus");
	assert_int_equal(tls_cipher_list(&names, &list, &err), -1);
	assert_null(list);
	assert_string_equal(err.msg, "unsupported tls cipher suite 'bogus'");
	strv_free(&names);
	assert_int_equal(tls_cipher_list(&names, &list, &err), 0);
	assert_string_equal(list, "ECDHE+AESGCM:ECDHE+CHACHA20");
	free(list);

	assert_int_equal(tls_version_from_config(1.0), TLS1_VERSION);
	assert_int_equal(tls_version_from_config(1.1), TLS1_1_VERSION);
	assert_int_equal(tls_version_from_config(1.2), TLS1_2_VERSION);
	assert_int_equal(tls_version_from_config(1.3), TLS1_3_VERSION);
	assert_int_equal(tls_version_from_config(1.4), 0);
	assert_int_equal(tls_version_from_config(1.25), 0);
	assert_int_equal(tls_version_from_config(0), 0);
	assert_int_equal(tls_version_from_config(-1.2), 0);
}

static void test_tls_cipher_policy(void **state)
{
	static const char *const refused[] = {
	    "TLS_RSA_WITH_RC4_128_SHA",
	    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
	    "TLS_RSA_WITH_AES_128_CBC_SHA",
	    "TLS_RSA_WITH_AES_256_CBC_SHA",
	    "TLS_RSA_WITH_AES_128_CBC_SHA256",
	    "TLS_RSA_WITH_AES_128_GCM_SHA256",
	    "TLS_RSA_WITH_AES_256_GCM_SHA384",
	    "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
	    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
	    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
	    "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
	    "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
	    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
	    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
	    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
	    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
	};
	static const char *const allowed[] = {
	    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
	    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
	    "TLS_AES_128_GCM_SHA256",
	    "TLS_AES_256_GCM_SHA384",
	    "TLS_CHACHA20_POLY1305_SHA256",
	};
	struct strv names = {0};
	struct error err = {0};
	char *list = NULL;
	char want[256];
	(void)state;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_non_null(tls_cipher_openssl_name(refused[i]));
		assert_false(tls_cipher_allowed(refused[i]));
		strv_push(&names, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
		strv_push(&names, refused[i]);
		err_clear(&err);
		assert_int_equal(tls_cipher_list(&names, &list, &err), -1);
		assert_null(list);
		assert_int_equal(err.kind, ERR_INVALID);
		snprintf(
		    want, sizeof(want),
		    "tls cipher suite '%s' is not allowed: stride-ca only accepts ECDHE suites "
		    "with AES-GCM or ChaCha20-Poly1305",
		    refused[i]);
		assert_string_equal(err.msg, want);
		strv_free(&names);
	}
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		assert_true(tls_cipher_allowed(allowed[i]));
		strv_push(&names, allowed[i]);
	}
	assert_false(tls_cipher_allowed("TLS_NOPE"));
	assert_false(tls_cipher_allowed(NULL));

	/* Every allowed name at once: the TLS <= 1.2 ones in the configured order. */
	assert_int_equal(tls_cipher_list(&names, &list, &err), 0);
	assert_string_equal(list, "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:"
				  "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:"
				  "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-CHACHA20-POLY1305:"
				  "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-CHACHA20-POLY1305");
	free(list);
	strv_free(&names);

	/* Only TLS 1.3 names: the default ECDHE + AEAD set for TLS 1.2. */
	strv_push(&names, "TLS_AES_128_GCM_SHA256");
	assert_int_equal(tls_cipher_list(&names, &list, &err), 0);
	assert_string_equal(list, "ECDHE+AESGCM:ECDHE+CHACHA20");
	free(list);
	strv_free(&names);
}

static void expect_version_range(double min_v, double max_v, int min, int max)
{
	struct tls_config tls = {.min_version = min_v, .max_version = max_v};
	struct error err = {0};
	int got_min = -1, got_max = -1;

	assert_int_equal(tls_version_range(&tls, &got_min, &got_max, &err), 0);
	assert_int_equal(got_min, min);
	assert_int_equal(got_max, max);
}

static void expect_version_error(double min_v, double max_v, const char *msg)
{
	struct tls_config tls = {.min_version = min_v, .max_version = max_v};
	struct error err = {0};
	int got_min = -1, got_max = -1;

	assert_int_equal(tls_version_range(&tls, &got_min, &got_max, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, msg);
}

static void test_tls_version_range(void **state)
{
	(void)state;

	expect_version_range(0, 0, TLS1_2_VERSION, TLS1_3_VERSION);
	expect_version_range(1.2, 1.3, TLS1_2_VERSION, TLS1_3_VERSION);
	expect_version_range(1.3, 0, TLS1_3_VERSION, TLS1_3_VERSION);
	expect_version_range(1.3, 1.3, TLS1_3_VERSION, TLS1_3_VERSION);
	expect_version_range(0, 1.2, TLS1_2_VERSION, TLS1_2_VERSION);
	expect_version_range(1.2, 1.2, TLS1_2_VERSION, TLS1_2_VERSION);

	expect_version_error(
	    1.0, 0, "tls minVersion 1.0 is not allowed: stride-ca requires TLS 1.2 or later");
	expect_version_error(
	    1.1, 1.3, "tls minVersion 1.1 is not allowed: stride-ca requires TLS 1.2 or later");
	expect_version_error(
	    0, 1.1, "tls maxVersion 1.1 is not allowed: stride-ca requires TLS 1.2 or later");
	expect_version_error(
	    1.1, 1.1, "tls minVersion 1.1 is not allowed: stride-ca requires TLS 1.2 or later");
	expect_version_error(1.3, 1.2, "tls minVersion cannot exceed tls maxVersion");
	expect_version_error(1.25, 0, "unsupported tls minVersion 1.25");
	expect_version_error(0, 2, "unsupported tls maxVersion 2");
}

static void expect_split(const char *addr, const char *host, const char *port)
{
	char *h = NULL, *p = NULL;
	struct error err = {0};

	if (server_split_address(addr, &h, &p, &err) != 0)
		fail_msg("%s: %s", addr, err.msg);
	assert_string_equal(h, host);
	assert_string_equal(p, port);
	free(h);
	free(p);
}

static void expect_bad_address(const char *addr)
{
	char *h = NULL, *p = NULL;
	struct error err = {0};
	char want[256];

	if (server_split_address(addr, &h, &p, &err) == 0)
		fail_msg("%s accepted", addr);
	assert_null(h);
	assert_null(p);
	snprintf(want, sizeof(want), "invalid address %s", addr);
	assert_string_equal(err.msg, want);
}

static void test_split_address(void **state)
{
	(void)state;
	expect_split("127.0.0.1:8443", "127.0.0.1", "8443");
	expect_split(":443", "", "443");
	expect_split("localhost:0", "localhost", "0");
	expect_split("[::1]:9000", "::1", "9000");
	expect_split("[::]:443", "::", "443");
	expect_split("host:", "host", "0");
	expect_bad_address("nope");
	expect_bad_address("::1:443");
	expect_bad_address("[::1]443");
	expect_bad_address("[::1");
	expect_bad_address("host:https");
	expect_bad_address("host:65536");
	expect_bad_address("host:123456");
	expect_bad_address("host:-1");
	expect_bad_address("");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_router_core_routes),
	    cmocka_unit_test(test_router_params),
	    cmocka_unit_test(test_router_not_found_and_methods),
	    cmocka_unit_test(test_router_query_and_absolute_form),
	    cmocka_unit_test(test_method_names),
	    cmocka_unit_test(test_url_unescape),
	    cmocka_unit_test(test_query_get),
	    cmocka_unit_test(test_error_mapping_exposed),
	    cmocka_unit_test(test_error_mapping_generic),
	    cmocka_unit_test(test_error_mapping_null_and_truncation),
	    cmocka_unit_test(test_error_body),
	    cmocka_unit_test_setup_teardown(test_sign_body_decode_errors, setup_csr, teardown_csr),
	    cmocka_unit_test_setup_teardown(test_sign_body_order_of_checks, setup_csr,
					    teardown_csr),
	    cmocka_unit_test_setup_teardown(test_sign_body_ok, setup_csr, teardown_csr),
	    cmocka_unit_test_setup_teardown(test_sign_body_limits, setup_csr, teardown_csr),
	    cmocka_unit_test(test_json_field),
	    cmocka_unit_test(test_tls_names),
	    cmocka_unit_test(test_tls_cipher_policy),
	    cmocka_unit_test(test_tls_version_range),
	    cmocka_unit_test(test_split_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
