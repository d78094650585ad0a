/* test_ssh_cli.c - the pure parts of the CLI's SSH support: step's default principals, the
 * "step" claim, SSHPOP tokens, and how `ssh config` merges templates into files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/str.h"
#include "cli/ssh_common.h"
#include "client/ssh_token.h"
#include "crypto/key.h"
#include "jose/jwk.h"
#include "jose/jws.h"

/* The principals as one space-separated string. */
static char *principals_of(const char *subject, bool host)
{
	struct strv v = {0};
	char *s = xstrdup("");

	ssh_default_principals(subject, host, &v);
	for (size_t i = 0; i < v.n; i++) {
		char *t = xasprintf("%s%s%s", s, i > 0 ? " " : "", v.v[i]);
		free(s);
		s = t;
	}
	strv_free(&v);
	return s;
}

static void expect_principals(const char *subject, bool host, const char *want)
{
	char *got = principals_of(subject, host);

	assert_string_equal(got, want);
	free(got);
}

static void test_default_principals(void **state)
{
	(void)state;
	/* ssh.md §4.1: sanitized local part, raw local part, whole subject */
	expect_principals("Alice.Smith@x.com", false, "alicesmith Alice.Smith Alice.Smith@x.com");
	expect_principals("alice@example.com", false, "alice alice@example.com");
	expect_principals("alice", false, "alice");
	expect_principals("Alice", false, "alice Alice");
	expect_principals("ALICE@x.com", false,
			  "alice ALICE@x.com"); /* local part equal, any case */
	expect_principals("a+b.c@d@e.com", false, "a_bc_d a+b.c@d a+b.c@d@e.com"); /* last '@' */
	expect_principals("j\xc3\xb6rg@x", false,
			  "j_rg j\xc3\xb6rg j\xc3\xb6rg@x"); /* one '_' a rune */
	/* hosts: the subject itself */
	expect_principals("Web1.Example.com", true, "Web1.Example.com");
}

static void test_sanitize(void **state)
{
	char *s;

	(void)state;
	s = ssh_sanitize_user_principal("Mary-Ann_O.Neil@example.com");
	assert_string_equal(s, "mary-ann_oneil");
	free(s);
	s = ssh_sanitize_user_principal("");
	assert_string_equal(s, "");
	free(s);
}

static void test_step_claim(void **state)
{
	struct strv p = {0};
	json_t *c;
	char *s;

	(void)state;
	c = ssh_step_claim(false, "alice@example.com", NULL, NULL, NULL);
	s = json_dumps(c, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(s, "{\"ssh\":{\"certType\":\"user\",\"keyID\":\"alice@example.com\","
			       "\"principals\":null,\"validAfter\":\"\",\"validBefore\":\"\"}}");
	free(s);
	json_decref(c);

	strv_push(&p, "web1");
	strv_push(&p, "10.0.0.5");
	c = ssh_step_claim(true, "web1", &p, "-5m", "2026-12-05T00:00:00Z");
	s = json_dumps(c, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(s, "{\"ssh\":{\"certType\":\"host\",\"keyID\":\"web1\",\"principals\":"
			       "[\"web1\",\"10.0.0.5\"],\"validAfter\":\"-5m\",\"validBefore\":"
			       "\"2026-12-05T00:00:00Z\"}}");
	free(s);
	json_decref(c);
	strv_free(&p);
}

static void test_sshpop_token(void **state)
{
	static const uint8_t cert[] = {0, 0, 0, 3, 'a', 'b', 'c', 0xff};
	struct key_spec spec;
	EVP_PKEY *key = NULL;
	struct jws jws = {0};
	struct error err = {0};
	char thumb[44], *token = NULL, *b64 = b64_encode(cert, sizeof(cert));
	const struct sshpop_params p = {
	    .issuer = "sshpop",
	    .subject = "17435648721923347106",
	    .audience = "https://ca.test:9000/1.0/ssh/renew#sshpop/sshpop",
	    .not_before_sec = 1000,
	    .not_after_sec = 1300,
	    .root_sha = "ab12",
	    .cert = cert,
	    .cert_len = sizeof(cert),
	};

	(void)state;
	assert_int_equal(key_spec_parse(NULL, NULL, NULL, &spec, NULL), 0);
	assert_int_equal(key_generate(&spec, &key, NULL), 0);
	assert_int_equal(token_build_sshpop(key, &p, &token, &err), 0);
	assert_int_equal(jws_parse(token, strlen(token), &jws, &err), 0);
	assert_int_equal(jws_verify(&jws, key, &err), 0);
	assert_int_equal(jwk_thumbprint(key, thumb, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(jws.header, "alg")), "ES256");
	assert_string_equal(json_string_value(json_object_get(jws.header, "kid")), thumb);
	assert_string_equal(json_string_value(json_object_get(jws.header, "typ")), "JWT");
	assert_string_equal(json_string_value(json_object_get(jws.header, "sshpop")), b64);
	assert_string_equal(jwt_claim_str(&jws, "iss"), "sshpop");
	assert_string_equal(jwt_claim_str(&jws, "sub"), "17435648721923347106");
	assert_string_equal(jwt_claim_str(&jws, "aud"),
			    "https://ca.test:9000/1.0/ssh/renew#sshpop/sshpop");
	assert_string_equal(jwt_claim_str(&jws, "sha"), "ab12");
	assert_int_equal(strlen(jwt_claim_str(&jws, "jti")), 64);
	assert_int_equal(json_integer_value(json_object_get(jws.payload, "nbf")), 1000);
	assert_int_equal(json_integer_value(json_object_get(jws.payload, "iat")), 1000);
	assert_int_equal(json_integer_value(json_object_get(jws.payload, "exp")), 1300);
	assert_null(json_object_get(jws.payload, "sans"));
	assert_null(json_object_get(jws.payload, "step"));
	jws_free(&jws);
	free(token);
	free(b64);
	EVP_PKEY_free(key);
}

static void expect_merge(const char *old, const char *content, const char *want)
{
	char *got = ssh_snippet_merge(old, content, "2026-12-04T10:00:00Z");

	assert_string_equal(got, want);
	free(got);
}

#define HDR "# autogenerated by step @ 2026-12-04T10:00:00Z\n"

static void test_snippet_merge(void **state)
{
	(void)state;
	/* a new file: the block only */
	expect_merge(NULL, "Host *\n\tInclude x", HDR "Host *\n\tInclude x\n# end\n");
	expect_merge("", "a\n", HDR "a\n# end\n");
	/* appended after a blank line */
	expect_merge("Host a\n\tUser b\n", "c\n", "Host a\n\tUser b\n\n" HDR "c\n# end\n");
	/* an earlier block replaced in place, the rest kept */
	expect_merge("top\n# autogenerated by step @ 2020-01-01T00:00:00Z\nold\n# end\nbottom\n",
		     "new\n", "top\n" HDR "new\n# end\nbottom\n");
	/* a header without its footer is not a block */
	expect_merge("x\n# autogenerated by step @ 1\ny\n", "z\n",
		     "x\n# autogenerated by step @ 1\ny\n\n" HDR "z\n# end\n");
}

static void test_prepend_line(void **state)
{
	char *s;

	(void)state;
	s = ssh_prepend_line(NULL, "Include \"/s/ssh/config\"");
	assert_string_equal(s, "Include \"/s/ssh/config\"");
	free(s);
	s = ssh_prepend_line("a\n\nInclude \"/s/ssh/config\"\nb\n", "Include \"/s/ssh/config\"");
	assert_string_equal(s, "Include \"/s/ssh/config\"\na\nb");
	free(s);
}

static void test_template_path(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"~/.ssh/config", "/home/u/.ssh/config"},
	    {"${STEPPATH}/ssh/includes", "/base/ssh/includes"},
	    {"ssh/known_hosts", "/base/authorities/a/ssh/known_hosts"},
	    {"/etc/ssh/sshd_config", "/etc/ssh/sshd_config"},
	    {"./x", "/cwd/x"},
	    {"../y", "/y"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = ssh_template_path(cases[i].in, "/home/u", "/cwd", "/base/authorities/a",
					      "/base");
		assert_string_equal(got, cases[i].want);
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_principals), cmocka_unit_test(test_sanitize),
	    cmocka_unit_test(test_step_claim),	       cmocka_unit_test(test_sshpop_token),
	    cmocka_unit_test(test_snippet_merge),      cmocka_unit_test(test_prepend_line),
	    cmocka_unit_test(test_template_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
