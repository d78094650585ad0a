/* test_acme_config.c - the ACME provisioner of ca.json: step-ca's fields read into
 * struct provisioner.acme, and every configuration refused, with its exact message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "authority/internal.h"
#include "base/duration.h"

#define PREFIX "failed to initialize ACME provisioner \"a\": "

/* Loads [<prov>] (prov the members after "type":"ACME","name":"a"). */
static int load(const char *members, struct provisioners *ps, struct error *err)
{
	char text[1024];
	json_t *list;
	int rc;

	snprintf(text, sizeof(text), "[{\"type\":\"ACME\",\"name\":\"a\"%s%s}]",
		 members[0] != '\0' ? "," : "", members);
	list = json_loads(text, 0, NULL);
	assert_non_null(list);
	rc = provisioners_load(list, NULL, ps, err);
	json_decref(list); /* the provisioners borrow from it: the callers read only scalars */
	return rc;
}

static const struct {
	const char *members;
	const char *msg;
} refused[] = {
    {"\"forceCN\":\"yes\"", PREFIX "forceCN must be a boolean"},
    {"\"forceCN\":1", PREFIX "forceCN must be a boolean"},
    {"\"requireEAB\":\"true\"", PREFIX "requireEAB must be a boolean"},
    {"\"challenges\":\"http-01\"", PREFIX "challenges must be an array of strings"},
    {"\"challenges\":{}", PREFIX "challenges must be an array of strings"},
    {"\"challenges\":[\"http-01\",1]", PREFIX "challenges must be an array of strings"},
    {"\"challenges\":[\"http-02\"]", PREFIX "acme challenge \"http-02\" is not supported"},
    {"\"challenges\":[\"dns-01\",\"\"]", PREFIX "acme challenge \"\" is not supported"},
    {"\"challenges\":[\"tls-sni-01\"]", PREFIX "acme challenge \"tls-sni-01\" is not supported"},
    {"\"challenges\":[\"device-attest-01\"]",
     PREFIX "acme challenge \"device-attest-01\" is not served by stride: it serves http-01, "
	    "dns-01 and tls-alpn-01"},
    {"\"challenges\":[\"http-01\",\"wire-oidc-01\"]",
     PREFIX "acme challenge \"wire-oidc-01\" is not served by stride: it serves http-01, "
	    "dns-01 and tls-alpn-01"},
    {"\"challenges\":[\"WIRE-DPOP-01\"]",
     PREFIX "acme challenge \"WIRE-DPOP-01\" is not served by stride: it serves http-01, "
	    "dns-01 and tls-alpn-01"},
    {"\"termsOfService\":true", PREFIX "termsOfService must be a string"},
    {"\"website\":[\"https://x\"]", PREFIX "website must be a string"},
    {"\"caaIdentities\":\"ca.example\"", PREFIX "caaIdentities must be an array of strings"},
    {"\"caaIdentities\":[\"ca.example\",null]", PREFIX "caaIdentities must be an array of strings"},
    /* the claims of an ACME provisioner are resolved like any other's */
    {"\"claims\":{\"defaultTLSCertDuration\":\"forever\"}",
     PREFIX "claims: defaultTLSCertDuration: time: invalid duration \"forever\""},
};

static void test_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct provisioners ps;
		struct error err = {0};

		if (load(refused[i].members, &ps, &err) != -1)
			fail_msg("row %zu (%s): accepted", i, refused[i].members);
		assert_int_equal(err.kind, ERR_INVALID);
		if (strcmp(err.msg, refused[i].msg) != 0)
			fail_msg("row %zu (%s): got [%s]", i, refused[i].members, err.msg);
		assert_int_equal(ps.n, 0);
		assert_null(ps.v);
	}
}

#define ALL (PROV_ACME_CH_HTTP01 | PROV_ACME_CH_DNS01 | PROV_ACME_CH_TLSALPN01)

static const struct {
	const char *members;
	bool force_cn, require_eab;
	unsigned challenges;
	const char *tos, *website, *caa; /* caa: the identities joined with ',' */
} accepted[] = {
    {"", false, false, ALL, NULL, NULL, NULL},
    {"\"forceCN\":true,\"requireEAB\":true", true, true, ALL, NULL, NULL, NULL},
    {"\"forceCN\":false,\"requireEAB\":null,\"challenges\":null", false, false, ALL, NULL, NULL,
     NULL},
    {"\"challenges\":[]", false, false, ALL, NULL, NULL, NULL},
    {"\"challenges\":[\"http-01\"]", false, false, PROV_ACME_CH_HTTP01, NULL, NULL, NULL},
    {"\"challenges\":[\"DNS-01\",\" Tls-Alpn-01 \"]", false, false,
     PROV_ACME_CH_DNS01 | PROV_ACME_CH_TLSALPN01, NULL, NULL, NULL},
    {"\"challenges\":[\"dns-01\",\"dns-01\"]", false, false, PROV_ACME_CH_DNS01, NULL, NULL, NULL},
    {"\"termsOfService\":\"https://ca.example/tos\",\"website\":\"https://ca.example\","
     "\"caaIdentities\":[\"ca.example\",\"ca2.example\"]",
     false, false, ALL, "https://ca.example/tos", "https://ca.example", "ca.example,ca2.example"},
    {"\"caaIdentities\":[]", false, false, ALL, NULL, NULL, ""},
    {"\"termsOfService\":null,\"website\":null,\"caaIdentities\":null", false, false, ALL, NULL,
     NULL, NULL},
    /* step-ca's fields for device-attest-01 are not read */
    {"\"attestationFormats\":[\"apple\"]", false, false, ALL, NULL, NULL, NULL},
};

static void test_accepted(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		char text[1024];
		json_t *list;
		struct provisioners ps;
		struct error err = {0};
		const struct provisioner *p;

		snprintf(text, sizeof(text), "[{\"type\":\"ACME\",\"name\":\"a\"%s%s}]",
			 accepted[i].members[0] != '\0' ? "," : "", accepted[i].members);
		list = json_loads(text, 0, NULL);
		assert_non_null(list);
		if (provisioners_load(list, NULL, &ps, &err) != 0)
			fail_msg("row %zu (%s): %s", i, accepted[i].members, err.msg);
		p = provisioners_by_name(&ps, "a");
		assert_non_null(p);
		assert_int_equal(p->type, PROV_ACME);
		assert_string_equal(p->token_id, "acme/a");
		if (p->acme.force_cn != accepted[i].force_cn ||
		    p->acme.require_eab != accepted[i].require_eab ||
		    p->acme.challenges != accepted[i].challenges)
			fail_msg("row %zu (%s): forceCN %d requireEAB %d challenges %#x", i,
				 accepted[i].members, p->acme.force_cn, p->acme.require_eab,
				 p->acme.challenges);
		if (accepted[i].tos == NULL)
			assert_null(p->acme.terms_of_service);
		else
			assert_string_equal(p->acme.terms_of_service, accepted[i].tos);
		if (accepted[i].website == NULL)
			assert_null(p->acme.website);
		else
			assert_string_equal(p->acme.website, accepted[i].website);
		if (accepted[i].caa == NULL) {
			assert_null(p->acme.caa_identities);
		} else {
			char joined[256] = "";
			size_t k;
			json_t *v;
			assert_true(json_is_array(p->acme.caa_identities));
			json_array_foreach(p->acme.caa_identities, k, v)
			{
				if (k > 0)
					strcat(joined, ",");
				strcat(joined, json_string_value(v));
			}
			assert_string_equal(joined, accepted[i].caa);
		}
		provisioners_free(&ps);
		json_decref(list);
	}
}

/* The claims of an ACME provisioner go through claims_resolve (defaultTLSCertDuration gives an
 * order's default notAfter). */
static void test_claims(void **state)
{
	json_t *list = json_loads("[{\"type\":\"ACME\",\"name\":\"a\",\"claims\":{"
				  "\"defaultTLSCertDuration\":\"2h\",\"maxTLSCertDuration\":\"3h\","
				  "\"disableRenewal\":true}}]",
				  0, NULL);
	json_t *global = json_loads("{\"minTLSCertDuration\":\"10m\"}", 0, NULL);
	struct provisioners ps;
	struct error err = {0};
	const struct provisioner *p;

	(void)state;
	assert_int_equal(provisioners_load(list, global, &ps, &err), 0);
	p = provisioners_by_name(&ps, "a");
	assert_true(p->claims.default_tls_ns == 2 * NS_PER_HOUR);
	assert_true(p->claims.max_tls_ns == 3 * NS_PER_HOUR);
	assert_true(p->claims.min_tls_ns == 10 * NS_PER_MIN);
	assert_true(p->claims.disable_renewal);
	provisioners_free(&ps);
	json_decref(list);
	json_decref(global);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_accepted),
	    cmocka_unit_test(test_claims),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
