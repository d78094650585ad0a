/* test_authority.c - claims resolution, audiences and provisioner loading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "authority/internal.h"
#include "base/duration.h"
#include "config/ca_config.h"

static json_t *J(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, 0, &jerr);
	assert_non_null(v);
	return v;
}

static void test_claims_defaults(void **state)
{
	struct claims c;
	(void)state;
	assert_int_equal(claims_resolve(NULL, NULL, &c, NULL), 0);
	assert_true(c.min_tls_ns == 5 * NS_PER_MIN);
	assert_true(c.max_tls_ns == 24 * NS_PER_HOUR);
	assert_true(c.default_tls_ns == 24 * NS_PER_HOUR);
	assert_false(c.disable_renewal);
	assert_false(c.allow_renewal_after_expiry);
}

static void test_claims_precedence(void **state)
{
	json_t *global = J("{\"maxTLSCertDuration\":\"72h\",\"disableRenewal\":true}");
	json_t *prov = J("{\"minTLSCertDuration\":\"1m\",\"disableRenewal\":false}");
	struct claims c;
	(void)state;
	assert_int_equal(claims_resolve(prov, global, &c, NULL), 0);
	assert_true(c.min_tls_ns == NS_PER_MIN);
	assert_true(c.max_tls_ns == 72 * NS_PER_HOUR);
	assert_false(c.disable_renewal); /* the provisioner wins over the global claim */
	json_decref(global);
	json_decref(prov);
}

static void test_claims_default_widens_bounds(void **state)
{
	json_t *prov = J("{\"defaultTLSCertDuration\":\"2m\"}");
	json_t *prov2 = J("{\"defaultTLSCertDuration\":\"48h\"}");
	struct claims c;
	(void)state;
	assert_int_equal(claims_resolve(prov, NULL, &c, NULL), 0);
	assert_true(c.min_tls_ns == 2 * NS_PER_MIN);
	assert_int_equal(claims_resolve(prov2, NULL, &c, NULL), 0);
	assert_true(c.max_tls_ns == 48 * NS_PER_HOUR);
	json_decref(prov);
	json_decref(prov2);
}

static void test_claims_errors(void **state)
{
	struct error err = {0};
	struct claims c;
	json_t *bad_order = J("{\"minTLSCertDuration\":\"2h\",\"maxTLSCertDuration\":\"1h\"}");
	json_t *zero = J("{\"minTLSCertDuration\":\"0s\"}");
	json_t *not_dur = J("{\"maxTLSCertDuration\":\"1d\"}");
	json_t *not_bool = J("{\"disableRenewal\":\"yes\"}");
	(void)state;
	assert_int_equal(claims_resolve(bad_order, NULL, &c, &err), -1);
	assert_string_equal(err.msg, "claims: MaxCertDuration cannot be less than MinCertDuration: "
				     "MaxCertDuration - 1h0m0s, MinCertDuration - 2h0m0s");
	assert_int_equal(claims_resolve(zero, NULL, &c, &err), -1);
	assert_string_equal(err.msg, "claims: MinTLSCertDuration must be greater than 0");
	assert_int_equal(claims_resolve(not_dur, NULL, &c, &err), -1);
	assert_int_equal(claims_resolve(not_bool, NULL, &c, &err), -1);
	json_decref(bad_order);
	json_decref(zero);
	json_decref(not_dur);
	json_decref(not_bool);
}

/* A minimal authority with only what audience matching reads. */
static void with_dns(struct authority *a, struct ca_config *cfg, const char *const *names)
{
	memset(a, 0, sizeof(*a));
	memset(cfg, 0, sizeof(*cfg));
	for (; *names != NULL; names++)
		strv_push(&cfg->dns_names, *names);
	a->cfg = cfg;
}

static bool aud_ok(const struct authority *a, const char *aud, enum token_op op,
		   const char *fragment)
{
	struct strv v = {0};
	bool ok;
	strv_push(&v, aud);
	ok = audience_matches(a, &v, op, fragment);
	strv_free(&v);
	return ok;
}

static void test_audiences(void **state)
{
	static const char *const names[] = {"ca.example.com", "127.0.0.1", "::1", NULL};
	struct authority a;
	struct ca_config cfg;
	(void)state;
	with_dns(&a, &cfg, names);
	assert_true(aud_ok(&a, "https://ca.example.com/1.0/sign", OP_SIGN, NULL));
	assert_true(aud_ok(&a, "https://ca.example.com/sign", OP_SIGN, NULL));
	assert_true(aud_ok(&a, "https://ca.example.com:9000/1.0/sign", OP_SIGN, NULL));
	assert_true(aud_ok(&a, "https://ca.example.com/ssh/sign", OP_SIGN, NULL));
	assert_true(aud_ok(&a, "https://127.0.0.1:443/sign", OP_SIGN, NULL));
	assert_true(aud_ok(&a, "https://[::1]:9443/1.0/sign", OP_SIGN, NULL));
	assert_true(aud_ok(&a, "step-certificate-authority", OP_SIGN, NULL));
	assert_true(aud_ok(&a, "step-certificate-authority", OP_REVOKE, NULL));
	assert_false(aud_ok(&a, "step-certificate-authority", OP_RENEW, NULL));
	assert_true(aud_ok(&a, "https://ca.example.com/1.0/renew", OP_RENEW, NULL));
	assert_true(aud_ok(&a, "https://ca.example.com/revoke", OP_REVOKE, NULL));
	assert_false(aud_ok(&a, "https://ca.example.com/1.0/revoke", OP_SIGN, NULL));
	assert_false(aud_ok(&a, "http://ca.example.com/1.0/sign", OP_SIGN, NULL));
	assert_false(aud_ok(&a, "https://CA.example.com/1.0/sign", OP_SIGN, NULL));
	assert_false(aud_ok(&a, "https://other.example.com/1.0/sign", OP_SIGN, NULL));
	assert_false(aud_ok(&a, "https://ca.example.com:x/1.0/sign", OP_SIGN, NULL));
	assert_false(aud_ok(&a, "https://ca.example.com/1.0/sign?x=1", OP_SIGN, NULL));
	assert_false(aud_ok(&a, "https://ca.example.com/1.0/sign#x5c/p", OP_SIGN, NULL));
	assert_true(aud_ok(&a, "https://ca.example.com/1.0/sign#x5c/p", OP_SIGN, "x5c/p"));
	assert_false(aud_ok(&a, "https://ca.example.com/1.0/sign", OP_SIGN, "x5c/p"));
	assert_false(aud_ok(&a, "https://::1/1.0/sign", OP_SIGN, NULL));
	strv_free(&cfg.dns_names);
}

static const char *prov_json =
    "[{\"type\":\"jwk\",\"name\":\"admin\",\"key\":{\"use\":\"sig\",\"kty\":\"EC\",\"kid\":"
    "\"kid1\",\"crv\":\"P-256\",\"alg\":\"ES256\",\"x\":"
    "\"XHGpD2CPQMkJdJ6RV0imFDVpuyS12vPrqvgjTVsCO94\",\"y\":"
    "\"nwLSzCSRcbNkMePfAQTR21-yqfU43L9NPiNIUryCxcg\"},\"encryptedKey\":\"e.n.c.r.y\"},"
    "{\"type\":\"ACME\",\"name\":\"acme\"},{\"type\":\"FancyNew\",\"name\":\"skip\"}]";

static void test_provisioners_load(void **state)
{
	json_t *list = J(prov_json);
	struct provisioners ps;
	struct error err = {0};
	const struct provisioner *p;
	(void)state;
	assert_int_equal(provisioners_load(list, NULL, &ps, &err), 0);
	assert_int_equal(ps.n, 2); /* the unknown type is skipped */
	p = provisioners_by_token_id(&ps, "admin:kid1");
	assert_non_null(p);
	assert_int_equal(p->type, PROV_JWK);
	assert_string_equal(p->type_name, "JWK");
	assert_string_equal(p->encrypted_key, "e.n.c.r.y");
	assert_non_null(provisioners_by_token_id(&ps, "acme/acme"));
	assert_non_null(provisioners_by_name(&ps, "acme"));
	assert_null(provisioners_by_name(&ps, "skip"));
	provisioners_free(&ps);
	json_decref(list);
}

static void test_provisioners_duplicates(void **state)
{
	json_t *list = J("[{\"type\":\"ACME\",\"name\":\"a\"},{\"type\":\"SCEP\",\"name\":\"a\"}]");
	json_t *bad_key = J("[{\"type\":\"JWK\",\"name\":\"a\",\"key\":{\"kty\":\"EC\"}}]");
	struct provisioners ps;
	struct error err = {0};
	(void)state;
	assert_int_equal(provisioners_load(list, NULL, &ps, &err), -1);
	assert_non_null(strstr(err.msg, "cannot add multiple provisioners with the same name"));
	assert_int_equal(provisioners_load(bad_key, NULL, &ps, &err), -1);
	assert_non_null(strstr(err.msg, "failed to initialize JWK provisioner \"a\""));
	json_decref(list);
	json_decref(bad_key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_claims_defaults),
	    cmocka_unit_test(test_claims_precedence),
	    cmocka_unit_test(test_claims_default_widens_bounds),
	    cmocka_unit_test(test_claims_errors),
	    cmocka_unit_test(test_audiences),
	    cmocka_unit_test(test_provisioners_load),
	    cmocka_unit_test(test_provisioners_duplicates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
