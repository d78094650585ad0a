/* test_admin_cli.c - the pure parts of the admin commands: admin tokens (header and claims),
 * step's tabwriter layout, admin paths, and policy edits in protobuf-JSON form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/str.h"
#include "cli/admin_util.h"
#include "client/token.h"
#include "crypto/cert.h"
#include "jose/jwk.h"
#include "jose/jws.h"

/* A self-signed P-256 certificate with CN cn (NULL: none) and SAN san (NULL: none). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, const char *san)
{
	X509 *c = X509_new();
	X509_NAME *name = X509_get_subject_name(c);
	X509V3_CTX v3;

	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 7);
	X509_gmtime_adj(X509_getm_notBefore(c), -60);
	X509_gmtime_adj(X509_getm_notAfter(c), 3600);
	if (cn != NULL)
		X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1,
					   -1, 0);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"t", -1, -1, 0);
	X509_set_issuer_name(c, name);
	X509_set_pubkey(c, key);
	if (san != NULL) {
		X509_EXTENSION *ext;
		X509V3_set_ctx(&v3, c, c, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
		X509_add_ext(c, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(c, key, EVP_sha256()) > 0);
	return c;
}

static void test_admin_token(void **state)
{
	EVP_PKEY *key = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
	X509 *leaf = make_cert(key, "alice@example.com", "DNS:alice.example.com");
	STACK_OF(X509) *chain = sk_X509_new_null();
	struct jws jws = {0};
	struct error err;
	char *tok = NULL, thumb[44], *x5c0;
	uint8_t *der = NULL;
	size_t der_len = 0;
	const char *k;
	json_t *v;
	int n = 0;
	(void)state;

	sk_X509_push(chain, leaf);
	if (token_build_admin(chain, key, "https://ca.example.com:9000/admin/admins", 1800000000,
			      &tok, &err) != 0)
		fail_msg("token: %s", err.msg);
	assert_int_equal(jws_parse(tok, strlen(tok), &jws, &err), 0);
	assert_int_equal(jws_verify(&jws, key, &err), 0);
	/* header: exactly alg, kid, typ, x5c */
	assert_int_equal(json_object_size(jws.header), 4);
	assert_string_equal(json_string_value(json_object_get(jws.header, "alg")), "ES256");
	assert_int_equal(jwk_thumbprint(key, thumb, &err), 0);
	assert_string_equal(json_string_value(json_object_get(jws.header, "kid")), thumb);
	assert_string_equal(json_string_value(json_object_get(jws.header, "typ")), "JWT");
	assert_int_equal(json_array_size(json_object_get(jws.header, "x5c")), 1);
	assert_int_equal(cert_to_der(leaf, &der, &der_len, &err), 0);
	x5c0 = b64_encode(der, der_len);
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(jws.header, "x5c"), 0)), x5c0);
	/* claims: exactly these seven */
	json_object_foreach(jws.payload, k, v) n++;
	assert_int_equal(n, 7);
	assert_string_equal(jwt_claim_str(&jws, "aud"), "https://ca.example.com:9000/admin/admins");
	assert_string_equal(jwt_claim_str(&jws, "iss"), "step-admin-client/1.0");
	assert_string_equal(jwt_claim_str(&jws, "sub"), "alice@example.com");
	assert_int_equal(json_integer_value(json_object_get(jws.payload, "iat")), 1800000000);
	assert_int_equal(json_integer_value(json_object_get(jws.payload, "nbf")), 1800000000);
	assert_int_equal(json_integer_value(json_object_get(jws.payload, "exp")), 1800000300);
	assert_int_equal(strlen(jwt_claim_str(&jws, "jti")), 64);
	assert_int_equal(strspn(jwt_claim_str(&jws, "jti"), "0123456789abcdef"), 64);
	jws_free(&jws);
	free(tok);
	tok = NULL;

	/* a key that is not the leaf's */
	assert_int_equal(token_build_admin(chain, other, "https://ca/admin/admins", 1, &tok, &err),
			 -1);
	assert_string_equal(err.msg, "the admin key does not match the admin certificate");
	assert_null(tok);

	OPENSSL_free(der);
	free(x5c0);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

static void test_admin_subject(void **state)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *c;
	char *s;
	(void)state;

	c = make_cert(key, "step", "DNS:a.example.com");
	s = token_admin_subject(c);
	assert_string_equal(s, "step");
	free(s);
	X509_free(c);
	c = make_cert(key, NULL, "DNS:a.example.com,email:bob@example.com");
	s = token_admin_subject(c);
	assert_string_equal(s, "a.example.com");
	free(s);
	X509_free(c);
	c = make_cert(key, NULL, "email:bob@example.com");
	s = token_admin_subject(c);
	assert_string_equal(s, "bob@example.com");
	free(s);
	X509_free(c);
	c = make_cert(key, NULL, NULL);
	s = token_admin_subject(c);
	assert_string_equal(s, "");
	free(s);
	X509_free(c);
	EVP_PKEY_free(key);
}

static void check_tab(const char *in, const char *want)
{
	char *got = tabwriter_format(in);

	assert_string_equal(got, want);
	free(got);
}

static void test_tabwriter(void **state)
{
	(void)state;
	/* admin.md's example: already at tab stops */
	check_tab("SUBJECT\tPROVISIONER\tTYPE\nstep\tAdmin JWK (JWK)\tSUPER_ADMIN\n",
		  "SUBJECT\tPROVISIONER\tTYPE\nstep\tAdmin JWK (JWK)\tSUPER_ADMIN\n");
	/* a 15-character cell widens the column to 16: two tabs after shorter cells */
	check_tab("SUBJECT\tPROVISIONER\tTYPE\nstep\tAdmin JWK (JWK)\tSUPER_ADMIN\n"
		  "bob@example.com\tAdmin JWK (JWK)\tADMIN\n",
		  "SUBJECT\t\tPROVISIONER\tTYPE\nstep\t\tAdmin JWK (JWK)\tSUPER_ADMIN\n"
		  "bob@example.com\tAdmin JWK (JWK)\tADMIN\n");
	/* exactly 8 characters: padding 1 makes the column 16 wide */
	check_tab("abcdefgh\tx\nab\ty\n", "abcdefgh\tx\nab\t\ty\n");
	/* widths count characters, not bytes (7 characters in 9 bytes fit the first tab stop) */
	check_tab("h\xC3\xA9llo\xC3\xA9\tx\nab\ty\n", "h\xC3\xA9llo\xC3\xA9\tx\nab\ty\n");
	/* a line without the column ends the block */
	check_tab("a\tb\nc\nlongtext123\td\n", "a\tb\nc\nlongtext123\td\n");
	check_tab("a\tb\nlongtext123\td\n", "a\t\tb\nlongtext123\td\n");
	/* nested columns only over the lines that have them */
	check_tab("a\tb\tc\nlong-long-long\td\n", "a\t\tb\tc\nlong-long-long\td\n");
	check_tab("", "");
}

static void test_path_escape(void **state)
{
	char *s;
	(void)state;

	s = admin_path_escape("Admin JWK");
	assert_string_equal(s, "Admin%20JWK");
	free(s);
	s = admin_path_escape("a/b?c#d%e");
	assert_string_equal(s, "a%2Fb%3Fc%23d%25e");
	free(s);
	s = admin_path_escape("bob@example.com:x-y_z.~$&+,;=");
	assert_string_equal(s, "bob@example.com:x-y_z.~$&+,;=");
	free(s);
}

static void test_admin_type_names(void **state)
{
	json_t *v;
	(void)state;

	v = json_integer(1);
	assert_string_equal(admin_type_name(v), "ADMIN");
	json_decref(v);
	v = json_integer(2);
	assert_string_equal(admin_type_name(v), "SUPER_ADMIN");
	json_decref(v);
	v = json_string("SUPER_ADMIN");
	assert_string_equal(admin_type_name(v), "SUPER_ADMIN");
	json_decref(v);
	v = json_integer(0);
	assert_string_equal(admin_type_name(v), "UNKNOWN");
	json_decref(v);
	assert_string_equal(admin_type_name(NULL), "UNKNOWN");
}

static char *compact(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static void test_policy_edits(void **state)
{
	struct strv add = {0}, drop = {0};
	json_t *p, *in;
	char *s;
	(void)state;

	/* step's initPolicy of nothing: every object present, nothing else */
	p = policy_initialized(NULL);
	s = compact(p);
	assert_string_equal(s,
			    "{\"x509\":{\"allow\":{},\"deny\":{}},\"ssh\":{\"host\":{\"allow\":{},"
			    "\"deny\":{}},\"user\":{\"allow\":{},\"deny\":{}}}}");
	free(s);

	/* append, duplicates, then --remove drops every equal value */
	strv_push(&add, "*.example.com");
	strv_push(&add, "a.example.com");
	strv_push(&add, "*.example.com");
	policy_list_edit(policy_list(p, "x509", "allow", "dns"), &add, false);
	strv_push(&drop, "a.example.com");
	policy_list_edit(policy_list(p, "ssh.host", "deny", "principals"), &add, false);
	policy_list_edit(policy_list(p, "ssh.host", "deny", "principals"), &drop, true);
	policy_deduplicate(p);
	json_object_set_new(json_object_get(p, "x509"), "allowWildcardNames", json_true());
	s = compact(p);
	assert_string_equal(s,
			    "{\"x509\":{\"allow\":{\"dns\":[\"*.example.com\",\"a.example.com\"]},"
			    "\"deny\":{},\"allowWildcardNames\":true},\"ssh\":{\"host\":{\"allow\""
			    ":{},\"deny\":{\"principals\":[\"*.example.com\"]}},\"user\":{\"allow\""
			    ":{},\"deny\":{}}}}");
	free(s);
	json_decref(p);

	/* a server's answer in any order and naming: printed in linkedca's field order, empty
	 * lists and false dropped, empty objects kept, 3-space indentation */
	in = json_loads(
	    "{\"ssh\":{\"user\":{\"allow\":{\"principals\":[\"alice\"],\"emails\":[]}},"
	    "\"host\":{\"deny\":{}}},\"x509\":{\"allow_wildcard_names\":false,"
	    "\"deny\":{\"dns\":[\"bad.example.com\"]},\"allow\":{\"common_names\":[\"svc\"],"
	    "\"dns\":[\"*.example.com\"]}}}",
	    0, NULL);
	assert_non_null(in);
	s = policy_pretty(in);
	assert_string_equal(s, "{\n"
			       "   \"x509\": {\n"
			       "      \"allow\": {\n"
			       "         \"dns\": [\n"
			       "            \"*.example.com\"\n"
			       "         ],\n"
			       "         \"commonNames\": [\n"
			       "            \"svc\"\n"
			       "         ]\n"
			       "      },\n"
			       "      \"deny\": {\n"
			       "         \"dns\": [\n"
			       "            \"bad.example.com\"\n"
			       "         ]\n"
			       "      }\n"
			       "   },\n"
			       "   \"ssh\": {\n"
			       "      \"host\": {\n"
			       "         \"deny\": {}\n"
			       "      },\n"
			       "      \"user\": {\n"
			       "         \"allow\": {\n"
			       "            \"principals\": [\n"
			       "               \"alice\"\n"
			       "            ]\n"
			       "         }\n"
			       "      }\n"
			       "   }\n"
			       "}\n");
	free(s);
	s = policy_pretty(NULL);
	assert_string_equal(s, "{}\n");
	free(s);
	json_decref(in);
	strv_free(&add);
	strv_free(&drop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_admin_token),	     cmocka_unit_test(test_admin_subject),
	    cmocka_unit_test(test_tabwriter),	     cmocka_unit_test(test_path_escape),
	    cmocka_unit_test(test_admin_type_names), cmocka_unit_test(test_policy_edits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
