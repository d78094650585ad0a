/* test_acme_path.c - the ACME URL layout (acme/path.c), URL path escaping (base/url.c) and the
 * problem documents (acme/problem.c): exact results for a table of inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "acme/internal.h"
#include "acme/problem.h"
#include "base/url.h"

static const struct {
	const char *path;
	int rc;
	const char *prov;
	enum acme_res res;
	const char *id1, *id2;
} path_cases[] = {
    {"/acme/acme/directory", 0, "acme", ACME_RES_DIRECTORY, "", ""},
    {"/2.0/acme/acme/directory", 0, "acme", ACME_RES_DIRECTORY, "", ""},
    {"/acme/acme%20x/new-nonce", 0, "acme x", ACME_RES_NEW_NONCE, "", ""},
    {"/acme/a/new-account", 0, "a", ACME_RES_NEW_ACCOUNT, "", ""},
    {"/acme/a/account/abcDEF123", 0, "a", ACME_RES_ACCOUNT, "abcDEF123", ""},
    {"/acme/a/account/abc/orders", 0, "a", ACME_RES_ACCOUNT_ORDERS, "abc", ""},
    {"/acme/a/new-order", 0, "a", ACME_RES_NEW_ORDER, "", ""},
    {"/acme/a/order/o1", 0, "a", ACME_RES_ORDER, "o1", ""},
    {"/acme/a/order/o1/finalize", 0, "a", ACME_RES_FINALIZE, "o1", ""},
    {"/acme/a/authz/z1", 0, "a", ACME_RES_AUTHZ, "z1", ""},
    {"/acme/a/challenge/z1/c1", 0, "a", ACME_RES_CHALLENGE, "z1", "c1"},
    {"/acme/a/certificate/123", 0, "a", ACME_RES_CERT, "123", ""},
    {"/acme/a/revoke-cert", 0, "a", ACME_RES_REVOKE, "", ""},
    {"/acme/a/key-change", 0, "a", ACME_RES_KEY_CHANGE, "", ""},
    /* under a provisioner, but nothing there */
    {"/acme/a", 0, "a", ACME_RES_UNKNOWN, "", ""},
    {"/acme/a/", 0, "a", ACME_RES_UNKNOWN, "", ""},
    {"/acme/a/nope", 0, "a", ACME_RES_UNKNOWN, "", ""},
    {"/acme/a/order", 0, "a", ACME_RES_UNKNOWN, "", ""},
    {"/acme/a/order/o1/", 0, "a", ACME_RES_UNKNOWN, "", ""},
    {"/acme/a/order/o1/finalize/x", 0, "a", ACME_RES_UNKNOWN, "", ""},
    {"/acme/a/order/o1/orders", 0, "a", ACME_RES_UNKNOWN, "", ""},
    {"/acme/a/challenge/z1", 0, "a", ACME_RES_UNKNOWN, "", ""},
    {"/acme/a/authz/z%31", 0, "a", ACME_RES_UNKNOWN, "", ""},
    {"/acme/a/directory/", 0, "a", ACME_RES_UNKNOWN, "", ""},
    /* not ACME paths */
    {"/acme/", -1, "", ACME_RES_UNKNOWN, "", ""},
    {"/acme", -1, "", ACME_RES_UNKNOWN, "", ""},
    {"/1.0/acme/a/directory", -1, "", ACME_RES_UNKNOWN, "", ""},
    {"/acme//directory", -1, "", ACME_RES_UNKNOWN, "", ""},
    {"/acme/a%zz/directory", -1, "", ACME_RES_UNKNOWN, "", ""},
    {"/acme/a%00/directory", -1, "", ACME_RES_UNKNOWN, "", ""},
    {"/sign", -1, "", ACME_RES_UNKNOWN, "", ""},
};

static void test_path_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		struct acme_path p;
		const char *in = path_cases[i].path;
		int rc = acme_path_parse(in, strlen(in), &p);

		print_message("%s\n", in);
		assert_int_equal(rc, path_cases[i].rc);
		assert_int_equal(acme_path_is_acme(in, strlen(in)),
				 strncmp(in, "/acme/", 6) == 0 ||
				     strncmp(in, "/2.0/acme/", 10) == 0);
		if (rc != 0)
			continue;
		assert_string_equal(p.prov, path_cases[i].prov);
		assert_int_equal(p.res, path_cases[i].res);
		assert_string_equal(p.id1, path_cases[i].id1);
		assert_string_equal(p.id2, path_cases[i].id2);
	}
}

static void test_path_escape(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"acme", "acme"},
	    {"acme x", "acme%20x"},
	    {"a/b", "a%2Fb"},
	    {"a?b#c", "a%3Fb%23c"},
	    {"a-_.~$&+:=@", "a-_.~$&+:=@"},
	    {"é", "%C3%A9"},
	    {"a;b,c", "a%3Bb%2Cc"},
	    {"", ""},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = url_path_escape(cases[i].in);
		char back[64];

		assert_string_equal(s, cases[i].out);
		assert_int_equal(url_unescape(s, strlen(s), false, back, sizeof(back) - 1), 0);
		assert_string_equal(back, cases[i].in);
		free(s);
	}
}

static void test_problems(void **state)
{
	struct acme_problem p;
	json_t *doc;
	char *s;
	struct error err = {0};
	(void)state;

	assert_int_equal(acme_fail(&p, ACME_PROB_BAD_NONCE, "nonce %s is used", "x"), -1);
	assert_int_equal(acme_prob_status(&p), 400);
	doc = acme_prob_json(&p);
	s = json_dumps(doc, JSON_COMPACT);
	assert_string_equal(
	    s, "{\"type\":\"urn:ietf:params:acme:error:badNonce\",\"detail\":\"nonce x is used\"}");
	free(s);
	json_decref(doc);

	acme_fail(&p, ACME_PROB_UNAUTHORIZED, "no");
	assert_int_equal(acme_prob_status(&p), 401);
	p.status = 403;
	assert_int_equal(acme_prob_status(&p), 403);
	acme_fail(&p, ACME_PROB_NOT_IMPLEMENTED, "later");
	assert_int_equal(acme_prob_status(&p), 501);
	assert_string_equal(acme_prob_urn(p.type), "urn:ietf:params:acme:error:rejectedIdentifier");

	/* errors of the layers below */
	err_set(&err, ERR_UNAVAILABLE, "database unavailable");
	acme_fail_from_error(&p, ACME_PROB_BAD_CSR, &err);
	assert_int_equal(acme_prob_status(&p), 503);
	assert_string_equal(p.detail, "database unavailable");
	err_public(&err, ERR_FORBIDDEN, "requested duration of 48h0m0s is more than allowed");
	acme_fail_from_error(&p, ACME_PROB_BAD_CSR, &err);
	assert_int_equal(p.type, ACME_PROB_BAD_CSR);
	assert_string_equal(p.detail, "requested duration of 48h0m0s is more than allowed");
	err_set(&err, ERR_IO, "disk on fire");
	acme_fail_from_error(&p, ACME_PROB_BAD_CSR, &err);
	assert_int_equal(acme_prob_status(&p), 500);
	assert_string_equal(p.detail, "The server experienced an internal error");
}

/* A detail cut at ACME_DETAIL_MAX inside a UTF-8 sequence, or holding bytes that are not
 * UTF-8 (a raw request path), still makes a problem document with its type and a detail. */
static void test_problem_utf8(void **state)
{
	struct acme_problem p;
	char name[700], *s;
	json_t *doc;
	size_t n = 0;
	(void)state;

	/* "x" then "é" (c3 a9) up to the limit: the cut falls between c3 and a9 */
	name[n++] = 'x';
	while (n + 2 < sizeof(name)) {
		name[n++] = '\xc3';
		name[n++] = '\xa9';
	}
	name[n] = '\0';
	acme_fail(&p, ACME_PROB_UNSUPPORTED_IDENTIFIER, "identifier type '%s' is not supported",
		  name);
	assert_int_equal(strlen(p.detail), ACME_DETAIL_MAX - 2); /* the lone c3 dropped */
	doc = acme_prob_json(&p);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "type")),
			    "urn:ietf:params:acme:error:unsupportedIdentifier");
	assert_string_equal(json_string_value(json_object_get(doc, "detail")), p.detail);
	json_decref(doc);

	acme_fail(&p, ACME_PROB_MALFORMED, "no such ACME resource: %s",
		  "/acme/acme/a\xff\xc3"
		  "b");
	doc = acme_prob_json(&p);
	assert_non_null(doc);
	s = json_dumps(doc, JSON_COMPACT);
	assert_string_equal(s, "{\"type\":\"urn:ietf:params:acme:error:malformed\",\"detail\":"
			       "\"no such ACME resource: /acme/acme/a\xef\xbf\xbd\xef\xbf\xbd"
			       "b\"}");
	free(s);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path_table),
	    cmocka_unit_test(test_path_escape),
	    cmocka_unit_test(test_problems),
	    cmocka_unit_test(test_problem_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
