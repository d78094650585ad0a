/* test_authority_policy.c - issuance policies where the authority makes certificates: /sign and
 * renew/rekey with ca.json's authority.policy, and provisioner policies of remote
 * administration, with step-ca's 403. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "authority/admin_state.h"
#include "authority_fixture.h"

#define POLICY                                                                                     \
	"{\"policy\":{\"x509\":{\"allow\":{\"dns\":[\"*.internal.example.com\"]},"                 \
	"\"deny\":{\"dns\":[\"bad.internal.example.com\"]}}}}"
#define REFUSED "The request was forbidden by the certificate authority: "

static int sign_names(struct afx *f, const char *prov, const char *cn, const char *sans,
		      X509 **leaf, struct error *err)
{
	return afx_sign(f, NULL, prov, cn, sans, leaf, err);
}

static void expect_refused(int rc, const struct error *err, const char *msg)
{
	assert_int_equal(rc, -1);
	assert_int_equal(err->kind, ERR_FORBIDDEN);
	assert_true(err->expose);
	assert_string_equal(err->msg, msg);
}

static void test_sign(void **state)
{
	struct afx *f = afx_new(POLICY);
	struct error err;
	(void)state;

	assert_int_equal(sign_names(f, AFX_JWK, "a.internal.example.com", NULL, NULL, &err), 0);
	expect_refused(sign_names(f, AFX_JWK, "bad.internal.example.com", NULL, NULL, &err), &err,
		       REFUSED "dns name \"bad.internal.example.com\" not allowed");
	expect_refused(sign_names(f, AFX_JWK, "example.com", NULL, NULL, &err), &err,
		       REFUSED "dns name \"example.com\" not allowed");
	/* one bad SAN among good ones */
	expect_refused(sign_names(f, AFX_JWK, "a.internal.example.com",
				  "a.internal.example.com,b.other.com", NULL, &err),
		       &err, REFUSED "dns name \"b.other.com\" not allowed");
	/* an IP: no ip constraints but dns allow-constraints -> not permitted */
	expect_refused(sign_names(f, AFX_JWK, "a.internal.example.com",
				  "a.internal.example.com,10.0.0.1", NULL, &err),
		       &err, REFUSED "ip name \"10.0.0.1\" not allowed");
	/* the CN is checked as a DNS name too */
	expect_refused(
	    sign_names(f, AFX_JWK, "outside.example.com", "a.internal.example.com", NULL, &err),
	    &err, REFUSED "cn name \"outside.example.com\" not allowed");
	afx_done();
	afx_free(f);
}

static void test_renew_and_rekey(void **state)
{
	struct afx *f = afx_new(POLICY);
	EVP_PKEY *key = NULL;
	X509 *inside = NULL, *outside, *leaf = NULL;
	struct error err = {0};
	struct afx_forge spec = {.cn = "old.example.com", .prov = AFX_JWK};
	(void)state;

	assert_int_equal(sign_names(f, AFX_JWK, "r.internal.example.com", NULL, &inside, &err), 0);
	assert_int_equal(afx_renew(f, inside, NULL, &leaf, &err), 0);
	X509_free(leaf);
	leaf = NULL;
	/* a certificate issued before the policy (forged here) no longer renews */
	key = afx_key(AFX_P256);
	spec.key = key;
	spec.not_before_ns = (int64_t)time(NULL) * AFX_SEC - 60 * AFX_SEC;
	spec.not_after_ns = spec.not_before_ns + 24 * 3600 * AFX_SEC;
	outside = afx_forge(f, &spec);
	expect_refused(afx_renew(f, outside, NULL, &leaf, &err), &err,
		       REFUSED "dns name \"old.example.com\" not allowed");
	assert_null(leaf);
	{
		EVP_PKEY *fresh = afx_key(AFX_P256);
		expect_refused(afx_renew(f, outside, fresh, &leaf, &err), &err,
			       REFUSED "dns name \"old.example.com\" not allowed");
		EVP_PKEY_free(fresh);
	}
	X509_free(inside);
	X509_free(outside);
	EVP_PKEY_free(key);
	afx_free(f);
}

/* A provisioner policy (remote administration) applies to that provisioner only. */
static void test_provisioner_policy(void **state)
{
	struct afx *f = afx_new_doc("{\"enableAdmin\":true}",
				    "{\"db\":{\"type\":\"sqlite\",\"dataSource\":\"fixture\"}}");
	json_t *pol =
	    json_loads("{\"x509\":{\"deny\":{\"dns\":[\"*.secret.example.com\"]}}}", 0, NULL);
	struct prov_set *s = prov_set_get(f->a);
	const struct provisioner *p = provisioners_by_name(&s->provs, "twohours@test");
	char *id = xstrdup(p->id);
	json_t *cfg = json_deep_copy(p->config);
	struct error err = {0};
	(void)state;

	prov_set_put(s);
	assert_int_equal(admin_provisioner_update(f->a, id, cfg, pol, &err), 0);
	expect_refused(sign_names(f, "twohours@test", "x.secret.example.com", NULL, NULL, &err),
		       &err, REFUSED "dns name \"x.secret.example.com\" not allowed");
	assert_int_equal(sign_names(f, "twohours@test", "x.open.example.com", NULL, NULL, &err), 0);
	assert_int_equal(sign_names(f, AFX_JWK, "x.secret.example.com", NULL, NULL, &err), 0);
	json_decref(cfg);
	json_decref(pol);
	free(id);
	afx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sign),
	    cmocka_unit_test(test_renew_and_rekey),
	    cmocka_unit_test(test_provisioner_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
