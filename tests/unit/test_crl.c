/* test_crl.c - ca.json's "crl" object (defaults, step-ca's checks) and the CRL builder (every
 * field of the CRL and of the CRL Distribution Points extension, exactly). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "base/str.h"
#include "config/ca_config.h"
#include "crypto/crl.h"
#include "crypto/key.h"
#include "crypto/x509build.h"

#define BASE                                                                                       \
	"{\"root\":\"/r.crt\",\"crt\":\"/i.crt\",\"key\":\"/i.key\",\"address\":\":443\","         \
	"\"dnsNames\":[\"ca.example.com\"],\"authority\":{\"provisioners\":[]}"

/* Parses BASE plus extra members; returns rc, err filled. */
static int parse(const char *extra, struct ca_config **cfg, struct error *err)
{
	char *text = xasprintf("%s%s}", BASE, extra);
	int rc = ca_config_parse(text, strlen(text), "t.json", cfg, err);

	free(text);
	return rc;
}

static void test_config_defaults(void **state)
{
	struct ca_config *cfg = NULL;
	struct error err = {0};
	char *url;
	(void)state;

	assert_int_equal(parse("", &cfg, &err), 0);
	assert_false(cfg->crl.enabled);
	assert_int_equal(crl_config_renew_interval(&cfg->crl), 0);
	ca_config_free(cfg);

	assert_int_equal(parse(",\"crl\":{\"enabled\":true}", &cfg, &err), 0);
	assert_true(cfg->crl.enabled);
	assert_false(cfg->crl.generate_on_revoke);
	assert_false(cfg->crl.distribution_point);
	assert_int_equal(cfg->crl.cache_duration_ns, 24 * NS_PER_HOUR);
	assert_int_equal(cfg->crl.renew_period_ns, 0);
	assert_int_equal(crl_config_renew_interval(&cfg->crl), 16 * NS_PER_HOUR); /* 2/3 */
	assert_null(cfg->crl.idp_url);
	url = crl_config_url(&cfg->crl, cfg->dns_names.v[0]);
	assert_string_equal(url, "https://ca.example.com/1.0/crl");
	free(url);
	url = crl_config_url(&cfg->crl, "::1");
	assert_string_equal(url, "https://[::1]/1.0/crl");
	free(url);
	ca_config_free(cfg);

	assert_int_equal(parse(",\"crl\":{\"enabled\":true,\"generateOnRevoke\":true,"
			       "\"cacheDuration\":\"1h30m\",\"renewPeriod\":\"20m\",\"idpURL\":"
			       "\"http://x.test/crl\",\"distributionPoint\":true}",
			       &cfg, &err),
			 0);
	assert_true(cfg->crl.generate_on_revoke);
	assert_true(cfg->crl.distribution_point);
	assert_int_equal(cfg->crl.cache_duration_ns, 90 * NS_PER_MIN);
	assert_int_equal(crl_config_renew_interval(&cfg->crl), 20 * NS_PER_MIN);
	url = crl_config_url(&cfg->crl, cfg->dns_names.v[0]);
	assert_string_equal(url, "http://x.test/crl");
	free(url);
	ca_config_free(cfg);

	/* disabled: no default cache duration (step-ca sets it only when enabled) */
	assert_int_equal(parse(",\"crl\":{\"renewPeriod\":\"1h\"}", &cfg, &err), 0);
	assert_int_equal(cfg->crl.cache_duration_ns, 0);
	ca_config_free(cfg);
}

static void test_config_errors(void **state)
{
	static const struct {
		const char *crl, *msg;
	} cases[] = {
	    {"{\"cacheDuration\":\"-1s\"}", "crl.cacheDuration must be greater than or equal to 0"},
	    {"{\"renewPeriod\":\"-1s\"}", "crl.renewPeriod must be greater than or equal to 0"},
	    {"{\"cacheDuration\":\"1h\",\"renewPeriod\":\"2h\"}",
	     "crl.cacheDuration must be greater than or equal to crl.renewPeriod"},
	    /* enabled: the default 24h counts */
	    {"{\"enabled\":true,\"renewPeriod\":\"25h\"}",
	     "crl.cacheDuration must be greater than or equal to crl.renewPeriod"},
	    {"{\"enabled\":\"yes\"}", "crl.enabled must be true or false"},
	    {"{\"cacheDuration\":\"soon\"}", "crl.cacheDuration: time: invalid duration \"soon\""},
	    {"{\"idpURL\":5}", "crl.idpURL must be a string"},
	    {"[]", "crl must be an object"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ca_config *cfg = (struct ca_config *)1;
		struct error err = {0};
		char *extra = xasprintf(",\"crl\":%s", cases[i].crl);
		char *want = xasprintf("error parsing t.json: %s", cases[i].msg);

		assert_int_equal(parse(extra, &cfg, &err), -1);
		assert_null(cfg);
		assert_string_equal(err.msg, want);
		assert_int_equal(err.kind, ERR_INVALID);
		free(extra);
		free(want);
	}
}

/* --- the builder -------------------------------------------------------------------------- */

struct ca {
	EVP_PKEY *key; /* owned by signer */
	struct signer *signer;
	X509 *cert;
};

static void ca_new(struct ca *ca)
{
	struct key_spec spec = {.kty = KEY_KTY_EC, .nid = NID_X9_62_prime256v1};
	struct error err = {0};
	EVP_PKEY *pub;

	assert_int_equal(key_generate(&spec, &ca->key, &err), 0);
	pub = ca->key;
	ca->signer = signer_file_new(ca->key);
	assert_non_null(ca->signer);
	assert_int_equal(x509_issue_ca("Test Intermediate CA", "Test", pub, NULL, ca->signer, 0,
				       INT64_C(1700000000) * NS_PER_SEC,
				       INT64_C(2000000000) * NS_PER_SEC, &ca->cert, &err),
			 0);
}

static void ca_free(struct ca *ca)
{
	X509_free(ca->cert);
	signer_free(ca->signer);
}

/* The DER of one extension of crl, by NID. */
static const ASN1_OCTET_STRING *ext_data(const X509_CRL *crl, int nid, int *critical, int *at)
{
	int i = X509_CRL_get_ext_by_NID(crl, nid, -1);
	X509_EXTENSION *e;

	assert_true(i >= 0);
	e = X509_CRL_get_ext(crl, i);
	*critical = X509_EXTENSION_get_critical(e);
	*at = i;
	return X509_EXTENSION_get_data(e);
}

static void test_build(void **state)
{
	struct ca ca;
	struct crl_entry entries[] = {
	    {"123456789012345678901234567890", INT64_C(1700000100) * NS_PER_SEC + 999, 1},
	    {"7", INT64_C(1700000200) * NS_PER_SEC, 0},
	};
	struct crl_spec spec = {
	    .number = 41,
	    .this_update_ns = INT64_C(1700001000) * NS_PER_SEC + 5,
	    .next_update_ns = INT64_C(1700087400) * NS_PER_SEC,
	    .idp_url = "http://ca.test/crl",
	    .entries = entries,
	    .n_entries = 2,
	};
	/* IssuingDistributionPoint ::= SEQUENCE { [0] { [0] fullName { [6] URI } } } */
	static const uint8_t idp[] = {0x30, 0x18, 0xa0, 0x16, 0xa0, 0x14, 0x86, 0x12, 'h',
				      't',  't',  'p',	':',  '/',  '/',  'c',	'a',  '.',
				      't',  'e',  's',	't',  '/',  'c',  'r',	'l'};
	static const uint8_t number[] = {0x02, 0x01, 41};
	struct error err = {0};
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509_CRL *crl;
	const ASN1_OCTET_STRING *data;
	const ASN1_OCTET_STRING *ski;
	STACK_OF(X509_REVOKED) * revoked;
	ASN1_INTEGER *serial;
	BIGNUM *bn;
	char *dec;
	int critical, at;
	(void)state;

	ca_new(&ca);
	spec.issuer = ca.cert;
	assert_int_equal(crl_build(&spec, ca.signer, &der, &len, &err), 0);
	p = der;
	crl = d2i_X509_CRL(NULL, &p, (long)len);
	assert_non_null(crl);
	assert_ptr_equal(p, der + len); /* nothing after it */
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca.cert)),
			 0);
	assert_int_equal(X509_CRL_get_signature_nid(crl), NID_ecdsa_with_SHA256);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca.cert)), 1);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(crl), 1700001000), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_nextUpdate(crl), 1700087400), 0);
	assert_int_equal(ASN1_STRING_type(X509_CRL_get0_lastUpdate(crl)), V_ASN1_UTCTIME);

	/* extensions: AKI, CRL number, critical IDP, in this order and nothing else */
	assert_int_equal(X509_CRL_get_ext_count(crl), 3);
	data = ext_data(crl, NID_authority_key_identifier, &critical, &at);
	assert_int_equal(at, 0);
	assert_int_equal(critical, 0);
	ski = X509_get0_subject_key_id(ca.cert);
	assert_int_equal(ASN1_STRING_length(data), ASN1_STRING_length(ski) + 4);
	assert_memory_equal(ASN1_STRING_get0_data(data) + 4, ASN1_STRING_get0_data(ski),
			    (size_t)ASN1_STRING_length(ski)); /* SEQUENCE { [0] keyid } only */
	assert_int_equal(ASN1_STRING_get0_data(data)[2], 0x80);
	data = ext_data(crl, NID_crl_number, &critical, &at);
	assert_int_equal(at, 1);
	assert_int_equal(critical, 0);
	assert_int_equal(ASN1_STRING_length(data), sizeof(number));
	assert_memory_equal(ASN1_STRING_get0_data(data), number, sizeof(number));
	data = ext_data(crl, NID_issuing_distribution_point, &critical, &at);
	assert_int_equal(at, 2);
	assert_int_equal(critical, 1);
	assert_int_equal(ASN1_STRING_length(data), sizeof(idp));
	assert_memory_equal(ASN1_STRING_get0_data(data), idp, sizeof(idp));

	/* entries, in the order given */
	revoked = X509_CRL_get_REVOKED(crl);
	assert_int_equal(sk_X509_REVOKED_num(revoked), 2);
	for (int i = 0; i < 2; i++) {
		X509_REVOKED *r = sk_X509_REVOKED_value(revoked, i);

		serial = (ASN1_INTEGER *)X509_REVOKED_get0_serialNumber(r);
		bn = ASN1_INTEGER_to_BN(serial, NULL);
		dec = BN_bn2dec(bn);
		assert_string_equal(dec, entries[i].serial);
		OPENSSL_free(dec);
		BN_free(bn);
		assert_int_equal(
		    ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(r),
					 (time_t)(entries[i].revoked_at_ns / NS_PER_SEC)),
		    0);
		if (entries[i].reason_code == 0) {
			assert_int_equal(X509_REVOKED_get_ext_count(r), 0);
		} else {
			ASN1_ENUMERATED *reason;
			int crit = -1;

			assert_int_equal(X509_REVOKED_get_ext_count(r), 1);
			assert_int_equal(X509_EXTENSION_get_critical(X509_REVOKED_get_ext(r, 0)),
					 0);
			reason = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, NULL);
			assert_non_null(reason);
			assert_int_equal(ASN1_ENUMERATED_get(reason), entries[i].reason_code);
			ASN1_ENUMERATED_free(reason);
		}
	}
	X509_CRL_free(crl);
	free(der);

	/* an invalid serial is refused */
	entries[1].serial = "12a";
	assert_int_equal(crl_build(&spec, ca.signer, &der, &len, &err), -1);
	assert_string_equal(err.msg, "invalid serial number '12a'");
	assert_null(der);
	ca_free(&ca);
}

static void test_build_empty(void **state)
{
	struct ca ca;
	struct crl_spec spec = {.number = 0, .idp_url = "https://ca.example.com/1.0/crl"};
	struct error err = {0};
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509_CRL *crl;
	ASN1_INTEGER *n;
	(void)state;

	ca_new(&ca);
	spec.issuer = ca.cert;
	spec.this_update_ns = INT64_C(1700000000) * NS_PER_SEC;
	spec.next_update_ns = spec.this_update_ns + 24 * NS_PER_HOUR;
	assert_int_equal(crl_build(&spec, ca.signer, &der, &len, &err), 0);
	p = der;
	crl = d2i_X509_CRL(NULL, &p, (long)len);
	assert_non_null(crl);
	assert_null(X509_CRL_get_REVOKED(crl)); /* the field is omitted, as Go omits it */
	n = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	assert_int_equal(ASN1_INTEGER_get(n), 0);
	ASN1_INTEGER_free(n);
	X509_CRL_free(crl);
	free(der);
	ca_free(&ca);
}

static void test_distribution_point(void **state)
{
	/* CRLDistributionPoints ::= SEQUENCE { DistributionPoint { [0] { [0] { [6] URI } } } } */
	static const uint8_t want[] = {0x30, 0x1a, 0x30, 0x18, 0xa0, 0x16, 0xa0, 0x14, 0x86, 0x12,
				       'h',  't',  't',	 'p',  ':',  '/',  '/',	 'c',  'a',  '.',
				       't',  'e',  's',	 't',  '/',  'c',  'r',	 'l'};
	struct error err = {0};
	X509_EXTENSION *ext = crl_distribution_point_ext("http://ca.test/crl", &err);
	const ASN1_OCTET_STRING *data;
	(void)state;

	assert_non_null(ext);
	assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(ext)), NID_crl_distribution_points);
	assert_int_equal(X509_EXTENSION_get_critical(ext), 0);
	data = X509_EXTENSION_get_data(ext);
	assert_int_equal(ASN1_STRING_length(data), sizeof(want));
	assert_memory_equal(ASN1_STRING_get0_data(data), want, sizeof(want));
	X509_EXTENSION_free(ext);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_defaults),
	    cmocka_unit_test(test_config_errors),
	    cmocka_unit_test(test_build),
	    cmocka_unit_test(test_build_empty),
	    cmocka_unit_test(test_distribution_point),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
