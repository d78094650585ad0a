/* test_x509tpl.c - step's JSON certificate description: the parser (every field and its
 * forms), the builder (each field as OpenSSL reads it back), the default leaf's exact
 * encoding, and step's default templates rendered by the engine giving byte for byte the
 * description the signing path fills directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority/templates.h"
#include "base/duration.h"
#include "crypto/cert.h"
#include "crypto/crl.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "crypto/signer.h"
#include "crypto/x509build.h"
#include "crypto/x509desc.h"
#include "template/template.h"
#include "test_keys.h"

struct pki {
	EVP_PKEY *root_key, *int_key;
	X509 *root, *inter;
	struct signer *root_signer, *int_signer;
	int64_t now;
};

static void pki_make(struct pki *p)
{
	struct error err = {0};

	memset(p, 0, sizeof(*p));
	p->now = time_now_ns() / NS_PER_SEC * NS_PER_SEC;
	p->root_key = gen(KEY_KTY_EC, NID_X9_62_prime256v1, 0);
	p->int_key = gen(KEY_KTY_EC, NID_X9_62_prime256v1, 0);
	EVP_PKEY_up_ref(p->root_key);
	p->root_signer = signer_file_new(p->root_key);
	EVP_PKEY_up_ref(p->int_key);
	p->int_signer = signer_file_new(p->int_key);
	if (x509_issue_ca("Test Root CA", "Test", p->root_key, NULL, p->root_signer, 1,
			  p->now - NS_PER_MIN, p->now + 24 * NS_PER_HOUR, &p->root, &err) != 0 ||
	    x509_issue_ca("Test Intermediate CA", "Test", p->int_key, p->root, p->root_signer, 0,
			  p->now - NS_PER_MIN, p->now + 24 * NS_PER_HOUR, &p->inter, &err) != 0)
		fail_msg("%s", err.msg);
}

static void pki_free(struct pki *p)
{
	signer_free(p->root_signer);
	signer_free(p->int_signer);
	EVP_PKEY_free(p->root_key);
	EVP_PKEY_free(p->int_key);
	X509_free(p->root);
	X509_free(p->inter);
}

/* The content of a memory BIO as a malloc'd string. */
static void bio_str(BIO *b, char **out)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);

	*out = malloc((size_t)n + 1);
	memcpy(*out, data, (size_t)n);
	(*out)[n] = '\0';
}

static struct x509_desc *parse_ok(const char *json)
{
	struct x509_desc *d = NULL;
	struct error err = {0};

	if (x509_desc_parse(json, strlen(json), &d, &err) != 0)
		fail_msg("%s: %s", json, err.msg);
	return d;
}

static void parse_fails(const char *json, const char *want)
{
	struct x509_desc *d = NULL;
	struct error err = {0};

	if (x509_desc_parse(json, strlen(json), &d, &err) == 0)
		fail_msg("%s: parsed", json);
	if (strstr(err.msg, want) == NULL)
		fail_msg("%s: got \"%s\", want \"%s\"", json, err.msg, want);
}

static const char FULL[] =
    "{\"version\": 3,"
    " \"subject\": {\"country\": \"NZ\", \"organization\": [\"Acme\", \"Beta\"],"
    "   \"organizationalUnit\": \"Ops\", \"locality\": \"Wellington\", \"province\": \"WGN\","
    "   \"streetAddress\": \"1 Main St\", \"postalCode\": \"6011\", \"serialNumber\": \"S-1\","
    "   \"commonName\": \"Team CA\","
    "   \"extraNames\": [{\"type\": \"1.2.840.113549.1.9.1\", \"value\": \"ca@example.com\"}]},"
    " \"issuer\": {\"commonName\": \"ignored\"},"
    " \"serialNumber\": \"0x1f\","
    " \"dnsNames\": [\"a.example.com\"], \"emailAddresses\": \"x@example.com\","
    " \"ipAddresses\": [\"10.0.0.1\", \"2001:db8::1\"], \"uris\": \"spiffe://example/x\","
    " \"sans\": [{\"type\": \"dns\", \"value\": \"b.example.com\"},"
    "   {\"type\": \"auto\", \"value\": \"10.0.0.2\"}, {\"type\": \"email\", \"value\": \"\"}],"
    " \"notBefore\": \"2030-01-02T03:04:05Z\", \"notAfter\": \"2030-02-02T03:04:05Z\","
    " \"extensions\": [{\"id\": \"1.2.3.4\", \"critical\": true, \"value\": \"BQA=\"}],"
    " \"keyUsage\": [\"certSign\", \"crlSign\", \"digitalSignature\"],"
    " \"extKeyUsage\": [\"serverAuth\", \"ocspSigning\"], \"unknownExtKeyUsage\": \"1.2.3.5\","
    " \"subjectKeyId\": \"AQID\", \"authorityKeyId\": \"BAUG\","
    " \"ocspServer\": \"http://ocsp.example.com\","
    " \"issuingCertificateURL\": [\"http://ca.example.com/ca.crt\"],"
    " \"crlDistributionPoints\": \"http://ca.example.com/crl\","
    " \"policyIdentifiers\": [\"2.23.140.1.2.1\"],"
    " \"basicConstraints\": {\"isCA\": true, \"maxPathLen\": 2},"
    " \"nameConstraints\": {\"critical\": true, \"permittedDNSDomains\": \".example.com\","
    "   \"excludedDNSDomains\": [\"bad.example.com\"], \"permittedIPRanges\": \"10.0.0.0/8\","
    "   \"excludedIPRanges\": [], \"permittedEmailAddresses\": \"example.com\","
    "   \"excludedEmailAddresses\": \"bad@example.com\", \"permittedURIDomains\": \".example\","
    "   \"excludedURIDomains\": []},"
    " \"signatureAlgorithm\": \"ECDSA-SHA256\"}";

static void test_parse_every_field(void **state)
{
	struct x509_desc *d = parse_ok(FULL);
	(void)state;

	assert_string_equal(d->subject.country.v[0], "NZ");
	assert_int_equal(d->subject.organization.n, 2);
	assert_string_equal(d->subject.organization.v[1], "Beta");
	assert_string_equal(d->subject.unit.v[0], "Ops");
	assert_string_equal(d->subject.locality.v[0], "Wellington");
	assert_string_equal(d->subject.province.v[0], "WGN");
	assert_string_equal(d->subject.street.v[0], "1 Main St");
	assert_string_equal(d->subject.postal_code.v[0], "6011");
	assert_string_equal(d->subject.serial_number, "S-1");
	assert_string_equal(d->subject.common_name, "Team CA");
	assert_int_equal(d->subject.n_extra, 1);
	assert_string_equal(d->subject.extra[0].oid, "1.2.840.113549.1.9.1");
	assert_string_equal(d->serial, "0x1f");
	assert_string_equal(d->names.dns.v[0], "a.example.com");
	assert_string_equal(d->names.email.v[0], "x@example.com");
	assert_int_equal(d->names.ip.n, 2);
	assert_string_equal(d->names.uri.v[0], "spiffe://example/x");
	assert_int_equal(d->n_sans, 3);
	assert_string_equal(d->sans[1].type, "auto");
	assert_true(d->not_before_ns > 0 && d->not_after_ns > d->not_before_ns);
	assert_int_equal(d->n_ext, 1);
	assert_string_equal(d->ext[0].oid, "1.2.3.4");
	assert_true(d->ext[0].critical);
	assert_int_equal(d->ext[0].len, 2);
	assert_int_equal(d->key_usage,
			 X509_KU_CERT_SIGN | X509_KU_CRL_SIGN | X509_KU_DIGITAL_SIGNATURE);
	assert_int_equal(d->eku_oids.n, 3);
	assert_string_equal(d->eku_oids.v[1], "1.3.6.1.5.5.7.3.9");
	assert_string_equal(d->eku_oids.v[2], "1.2.3.5");
	assert_int_equal(d->ski_len, 3);
	assert_int_equal(d->aki_len, 3);
	assert_string_equal(d->ocsp.v[0], "http://ocsp.example.com");
	assert_string_equal(d->issuing_urls.v[0], "http://ca.example.com/ca.crt");
	assert_string_equal(d->crl_dp.v[0], "http://ca.example.com/crl");
	assert_string_equal(d->policies.v[0], "2.23.140.1.2.1");
	assert_true(d->has_bc && d->is_ca);
	assert_int_equal(d->max_path_len, 2);
	assert_true(d->has_nc && d->nc.critical);
	assert_string_equal(d->nc.permitted_dns.v[0], ".example.com");
	assert_string_equal(d->nc.permitted_ip.v[0], "10.0.0.0/8");
	assert_string_equal(d->nc.excluded_email.v[0], "bad@example.com");
	assert_string_equal(d->signature_algorithm, "ECDSA-SHA256");
	x509_desc_free(d);
}

/* Go's decoder: member names in any case, null as absent, a subject string as its CN, usage
 * names in any case with '_', nonRepudiation, basicConstraints' maxPathLen 0 by default. */
static void test_parse_forms(void **state)
{
	struct x509_desc *d;
	(void)state;

	d = parse_ok("{\"Subject\": \"plain\", \"DNSNAMES\": \"x.example\", \"uris\": null,"
		     " \"keyUsage\": \"Digital_Signature\", \"extKeyUsage\": \"CLIENTAUTH\","
		     " \"basicConstraints\": {\"isCA\": true}, \"serialNumber\": 42}");
	assert_string_equal(d->subject.common_name, "plain");
	assert_string_equal(d->names.dns.v[0], "x.example");
	assert_int_equal(d->names.uri.n, 0);
	assert_int_equal(d->key_usage, X509_KU_DIGITAL_SIGNATURE);
	assert_string_equal(d->eku_oids.v[0], "1.3.6.1.5.5.7.3.2");
	assert_int_equal(d->max_path_len, 0);
	assert_string_equal(d->serial, "42");
	x509_desc_free(d);
	d = parse_ok("{\"keyUsage\": [\"nonRepudiation\", \"keyAgreement\", \"encipherOnly\","
		     " \"decipherOnly\", \"dataEncipherment\", \"keyEncipherment\"],"
		     " \"notBefore\": \"0001-01-01T00:00:00Z\"}");
	assert_int_equal(d->key_usage, X509_KU_CONTENT_COMMITMENT | X509_KU_KEY_AGREEMENT |
					   X509_KU_ENCIPHER_ONLY | X509_KU_DECIPHER_ONLY |
					   X509_KU_DATA_ENCIPHERMENT | X509_KU_KEY_ENCIPHERMENT);
	assert_int_equal(d->not_before_ns, 0);
	x509_desc_free(d);
}

static void test_parse_errors(void **state)
{
	(void)state;
	parse_fails("{\"keyUsage\": [\"fly\"]}", "unsupported keyUsage fly");
	parse_fails("{\"extKeyUsage\": \"walk\"}", "unsupported extKeyUsage walk");
	parse_fails("{\"ipAddresses\": \"10.0.0\"}", "ip 10.0.0 is not valid");
	parse_fails("{\"serialNumber\": \"12x\"}", "serialNumber 12x is not valid");
	parse_fails("{\"subject\": 5}", "subject");
	parse_fails("{\"extensions\": [{\"id\": \"nope\", \"value\": \"\"}]}",
		    "invalid extension id nope");
	parse_fails("{\"extensions\": [{\"id\": \"1.2.3\", \"value\": \"***\"}]}",
		    "value is not valid base64");
	parse_fails("{\"dnsNames\": [1]}", "dnsNames");
	parse_fails("{\"notAfter\": \"tomorrow\"}", "notAfter");
	parse_fails("[1]", "JSON object");
	parse_fails("{\"subject\": ", "error unmarshaling certificate");
	parse_fails("{\"signatureAlgorithm\": \"SHA3-XYZ\"}", "unsupported signatureAlgorithm");
}

/* The text OpenSSL prints for extension nid of x (its value only). */
static char *ext_text(X509 *x, int nid)
{
	int idx = X509_get_ext_by_NID(x, nid, -1);
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL;

	if (idx >= 0)
		X509V3_EXT_print(b, X509_get_ext(x, idx), 0, 0);
	bio_str(b, &out);
	BIO_free(b);
	return out;
}

static char *name_text(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL;

	X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253);
	bio_str(b, &out);
	BIO_free(b);
	return out;
}

static void expect_ext(X509 *x, int nid, const char *want)
{
	char *got = ext_text(x, nid);

	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", OBJ_nid2sn(nid), got ? got : "(none)",
			 want);
	free(got);
}

static void test_build_every_field(void **state)
{
	struct pki p;
	struct x509_desc *d = parse_ok(FULL);
	EVP_PKEY *key = gen(KEY_KTY_EC, NID_X9_62_prime256v1, 0);
	X509 *x = NULL;
	struct error err = {0};
	char *s;
	int idx;
	(void)state;

	pki_make(&p);
	/* the description's validity wins over the one given */
	if (x509_desc_issue(d, NULL, key, p.now, p.now + NS_PER_HOUR, p.inter, p.int_signer, &x,
			    &err) != 0)
		fail_msg("%s", err.msg);
	s = name_text(X509_get_subject_name(x));
	assert_string_equal(s, "emailAddress=ca@example.com,serialNumber=S-1,CN=Team CA,OU=Ops,"
			       "O=Beta+O=Acme,postalCode=6011,street=1 Main St,L=Wellington,"
			       "ST=WGN,C=NZ");
	free(s);
	s = name_text(X509_get_issuer_name(x));
	assert_string_equal(s, "CN=Test Intermediate CA,O=Test");
	free(s);
	assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(x)), 31);
	assert_int_equal(cert_not_before_ns(x), 1893553445LL * NS_PER_SEC);
	expect_ext(x, NID_key_usage, "Digital Signature, Certificate Sign, CRL Sign");
	expect_ext(x, NID_ext_key_usage, "TLS Web Server Authentication, OCSP Signing, 1.2.3.5");
	expect_ext(x, NID_basic_constraints, "CA:TRUE, pathlen:2");
	expect_ext(x, NID_subject_key_identifier, "01:02:03");
	/* the issuer's key identifier wins over the description's, as in Go */
	s = ext_text(x, NID_authority_key_identifier);
	assert_null(strstr(s, "04:05:06"));
	free(s);
	expect_ext(x, NID_info_access,
		   "OCSP - URI:http://ocsp.example.com\n"
		   "CA Issuers - URI:http://ca.example.com/ca.crt");
	expect_ext(x, NID_subject_alt_name,
		   "DNS:a.example.com, DNS:b.example.com, email:x@example.com, "
		   "IP Address:10.0.0.1, IP Address:2001:DB8:0:0:0:0:0:1, IP Address:10.0.0.2, "
		   "URI:spiffe://example/x");
	expect_ext(x, NID_name_constraints,
		   "Permitted:\n  DNS:.example.com\n  IP:10.0.0.0/255.0.0.0\n  email:example.com\n"
		   "  URI:.example\nExcluded:\n  DNS:bad.example.com\n  email:bad@example.com");
	expect_ext(x, NID_crl_distribution_points, "Full Name:\n  URI:http://ca.example.com/crl");
	expect_ext(x, NID_certificate_policies, "Policy: 2.23.140.1.2.1");
	idx = X509_get_ext_by_NID(x, NID_name_constraints, -1);
	assert_true(X509_EXTENSION_get_critical(X509_get_ext(x, idx)));
	{
		ASN1_OBJECT *o = OBJ_txt2obj("1.2.3.4", 1);
		idx = X509_get_ext_by_OBJ(x, o, -1);
		ASN1_OBJECT_free(o);
		assert_true(idx == X509_get_ext_count(x) - 1); /* the template's, last */
		assert_true(X509_EXTENSION_get_critical(X509_get_ext(x, idx)));
	}
	assert_int_equal(X509_verify(x, X509_get0_pubkey(p.inter)), 1);
	X509_free(x);
	x509_desc_free(d);
	EVP_PKEY_free(key);
	pki_free(&p);
}

/* SAN types Go does not know: step writes the whole extension (lists, then "sans" in order). */
static void test_build_extended_sans(void **state)
{
	struct pki p;
	struct x509_desc *d =
	    parse_ok("{\"subject\": \"dev\", \"dnsNames\": \"a.example\", \"sans\": ["
		     "{\"type\": \"permanentIdentifier\", \"value\": \"ID-1\"},"
		     "{\"type\": \"userPrincipalName\", \"value\": \"u@corp\"},"
		     "{\"type\": \"registeredID\", \"value\": \"1.2.3.4\"},"
		     "{\"type\": \"dns\", \"value\": \"b.example\"},"
		     "{\"type\": \"1.2.3.5\", \"value\": \"utf8:hello\"}]}");
	EVP_PKEY *key = gen(KEY_KTY_EC, NID_X9_62_prime256v1, 0);
	X509 *x = NULL;
	struct error err = {0};
	char *s;
	(void)state;

	pki_make(&p);
	if (x509_desc_issue(d, NULL, key, p.now, p.now + NS_PER_HOUR, p.inter, p.int_signer, &x,
			    &err) != 0)
		fail_msg("%s", err.msg);
	s = ext_text(x, NID_subject_alt_name);
	assert_string_equal(s, "DNS:a.example, othername: Permanent Identifier::<unsupported>, "
			       "othername: UPN::u@corp, Registered ID:1.2.3.4, DNS:b.example, "
			       "othername: 1.2.3.5::hello");
	free(s);
	X509_free(x);
	x509_desc_free(d);
	d = parse_ok("{\"sans\": [{\"type\": \"x400Address\", \"value\": \"x\"}]}");
	assert_int_equal(x509_desc_issue(d, NULL, key, p.now, p.now + NS_PER_HOUR, p.inter,
					 p.int_signer, &x, &err),
			 -1);
	assert_string_equal(err.msg, "unsupported SAN type x400Address");
	x509_desc_free(d);
	EVP_PKEY_free(key);
	pki_free(&p);
}

/* A sub-CA description comes out as written: CA:TRUE with its pathlen, keyCertSign. */
static void test_build_sub_ca(void **state)
{
	struct pki p;
	struct x509_desc *d =
	    parse_ok("{\"subject\": {\"commonName\": \"Team CA\", \"organization\": \"Team\"},"
		     " \"keyUsage\": [\"certSign\", \"crlSign\"],"
		     " \"basicConstraints\": {\"isCA\": true, \"maxPathLen\": 0}}");
	EVP_PKEY *key = gen(KEY_KTY_EC, NID_X9_62_prime256v1, 0);
	X509 *x = NULL;
	struct error err = {0};
	(void)state;

	pki_make(&p);
	if (x509_desc_issue(d, NULL, key, p.now, p.now + NS_PER_HOUR, p.inter, p.int_signer, &x,
			    &err) != 0)
		fail_msg("%s", err.msg);
	expect_ext(x, NID_basic_constraints, "CA:TRUE, pathlen:0");
	expect_ext(x, NID_key_usage, "Certificate Sign, CRL Sign");
	assert_true(X509_check_ca(x) > 0);
	X509_free(x);
	x509_desc_free(d);
	d = parse_ok("{\"basicConstraints\": {\"isCA\": false}}");
	assert_int_equal(x509_desc_issue(d, NULL, key, p.now, p.now + NS_PER_HOUR, p.inter,
					 p.int_signer, &x, &err),
			 0);
	expect_ext(x, NID_basic_constraints, "CA:FALSE");
	X509_free(x);
	x509_desc_free(d);
	EVP_PKEY_free(key);
	pki_free(&p);
}

static uint8_t *ext_der(X509 *x, int nid, int *len)
{
	int idx = X509_get_ext_by_NID(x, nid, -1);
	const ASN1_OCTET_STRING *v;

	assert_true(idx >= 0);
	v = X509_EXTENSION_get_data(X509_get_ext(x, idx));
	*len = ASN1_STRING_length(v);
	return (uint8_t *)ASN1_STRING_get0_data(v);
}

/* The default leaf keeps its exact encoding: extension order keyUsage, extKeyUsage, SKI, AKI,
 * AIA (OCSP), SAN, provisioner, CRL DP, the same DER for each as before the description
 * builder (the CRL DP the same as crl_distribution_point_ext's). */
static void test_default_leaf_encoding(void **state)
{
	struct pki p;
	EVP_PKEY *key = gen(KEY_KTY_EC, NID_X9_62_prime256v1, 0);
	X509_NAME *subject = X509_NAME_new();
	struct names sans = {0};
	X509 *x = NULL;
	X509_EXTENSION *dp;
	struct error err = {0};
	static const int order[] = {NID_key_usage,
				    NID_ext_key_usage,
				    NID_subject_key_identifier,
				    NID_authority_key_identifier,
				    NID_info_access,
				    NID_subject_alt_name,
				    NID_undef,
				    NID_crl_distribution_points};
	static const uint8_t ku[] = {0x03, 0x02, 0x07, 0x80};
	static const uint8_t eku[] = {0x30, 0x14, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05,
				      0x05, 0x07, 0x03, 0x01, 0x06, 0x08, 0x2b, 0x06,
				      0x01, 0x05, 0x05, 0x07, 0x03, 0x02};
	uint8_t *v;
	int len;
	(void)state;

	pki_make(&p);
	X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, (const unsigned char *)"leaf", -1,
				   -1, 0);
	sans.cn = strdup("");
	strv_push(&sans.dns, "leaf.example.com");
	strv_push(&sans.ip, "10.1.2.3");
	{
		struct leaf_spec spec = {
		    .subject = subject,
		    .sans = &sans,
		    .public_key = key,
		    .not_before_ns = p.now,
		    .not_after_ns = p.now + NS_PER_HOUR,
		    .server_auth = true,
		    .client_auth = true,
		    .ocsp_url = "https://ca.example.com/ocsp",
		    .prov_type = PROV_CODE_JWK,
		    .prov_name = "admin",
		    .prov_cred_id = "kid1",
		    .crl_url = "https://ca.example.com/1.0/crl",
		};
		if (x509_issue_leaf(&spec, p.inter, p.int_signer, &x, &err) != 0)
			fail_msg("%s", err.msg);
	}
	assert_int_equal(X509_get_ext_count(x), 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(x, i))),
				 order[i]);
	v = ext_der(x, NID_key_usage, &len);
	assert_int_equal(len, sizeof(ku));
	assert_memory_equal(v, ku, sizeof(ku));
	assert_true(X509_EXTENSION_get_critical(X509_get_ext(x, 0)));
	v = ext_der(x, NID_ext_key_usage, &len);
	assert_int_equal(len, sizeof(eku));
	assert_memory_equal(v, eku, sizeof(eku));
	dp = crl_distribution_point_ext("https://ca.example.com/1.0/crl", &err);
	assert_non_null(dp);
	v = ext_der(x, NID_crl_distribution_points, &len);
	assert_int_equal(len, ASN1_STRING_length(X509_EXTENSION_get_data(dp)));
	assert_memory_equal(v, ASN1_STRING_get0_data(X509_EXTENSION_get_data(dp)), len);
	X509_EXTENSION_free(dp);
	expect_ext(x, NID_info_access, "OCSP - URI:https://ca.example.com/ocsp");
	expect_ext(x, NID_subject_alt_name, "DNS:leaf.example.com, IP Address:10.1.2.3");
	X509_free(x);
	X509_NAME_free(subject);
	names_free(&sans);
	EVP_PKEY_free(key);
	pki_free(&p);
}

/* The TBS of the certificate d describes, with serial 1 (the rest is deterministic). */
static uint8_t *tbs_of(struct pki *p, struct x509_desc *d, EVP_PKEY *key, int *len)
{
	X509 *x = NULL;
	struct error err = {0};
	struct x509_ca_ext ca = {.ocsp_url = "https://ca.example.com/ocsp",
				 .prov_type = PROV_CODE_JWK,
				 .prov_name = "admin",
				 .prov_cred_id = "kid1",
				 .crl_url = "https://ca.example.com/1.0/crl"};
	uint8_t *der = NULL;

	free(d->serial);
	d->serial = strdup("1");
	if (x509_desc_issue(d, &ca, key, p->now, p->now + NS_PER_HOUR, p->inter, p->int_signer, &x,
			    &err) != 0)
		fail_msg("%s", err.msg);
	*len = i2d_re_X509_tbs(x, &der);
	assert_true(*len > 0);
	X509_free(x);
	return der;
}

/* step's default leaf, IID and admin templates rendered by the engine give the same
 * certificate, byte for byte, as the description the signing path fills without rendering. */
static void test_default_templates_render_same(void **state)
{
	static const char *const keys[] = {"EC", "RSA", "OKP"};
	struct pki p;
	(void)state;

	pki_make(&p);
	for (int kind = LEAF_TPL_LEAF; kind <= LEAF_TPL_ADMIN; kind++)
		for (size_t k = 0; k < 3; k++) {
			EVP_PKEY *key = k == 0	 ? gen(KEY_KTY_EC, NID_X9_62_prime256v1, 0)
					: k == 1 ? gen(KEY_KTY_RSA, 0, 2048)
						 : gen(KEY_KTY_OKP, NID_ED25519, 0);
			struct strv csr_sans = {0}, token_sans = {0};
			X509_REQ *csr = NULL;
			struct error err = {0};
			struct tpl *t = NULL;
			const char *text = x509_default_template((enum leaf_template)kind);
			json_t *claims = json_pack("{s:s}", "sub", "leaf.example.com");
			struct x509_desc *fast = NULL, *rendered = NULL;
			uint8_t *a, *b;
			int la, lb;

			strv_push(&csr_sans, "leaf.example.com");
			strv_push(&csr_sans, "10.0.0.7");
			strv_push(&csr_sans, "ops@example.com");
			strv_push(&csr_sans, "spiffe://example/leaf");
			for (size_t i = 0; i < csr_sans.n; i++)
				strv_push(&token_sans, csr_sans.v[i]);
			if (csr_create(key, "leaf.example.com", &csr_sans, &csr, &err) != 0)
				fail_msg("%s", err.msg);
			{
				struct leaf_request r = {
				    .kind = (enum leaf_template)kind,
				    .csr = csr,
				    .cn = "leaf.example.com",
				    .sans = &token_sans,
				    .token = claims,
				};
				json_t *data;
				if (leaf_description(&r, &fast, &err) != 0)
					fail_msg("%s", err.msg);
				if (tpl_parse("template", text, strlen(text), &t, &err) != 0)
					fail_msg("%s", err.msg);
				data = x509_template_data(&r, NULL);
				if (x509_render(t, data, &rendered, &err) != 0)
					fail_msg("kind %d key %s: %s", kind, keys[k], err.msg);
				json_decref(data);
			}
			a = tbs_of(&p, fast, key, &la);
			b = tbs_of(&p, rendered, key, &lb);
			if (la != lb || memcmp(a, b, (size_t)la) != 0)
				fail_msg("kind %d key %s: the rendered default template differs",
					 kind, keys[k]);
			OPENSSL_free(a);
			OPENSSL_free(b);
			x509_desc_free(fast);
			x509_desc_free(rendered);
			tpl_free(t);
			json_decref(claims);
			X509_REQ_free(csr);
			strv_free(&csr_sans);
			strv_free(&token_sans);
			EVP_PKEY_free(key);
		}
	pki_free(&p);
}

/* What a custom template sees: .Token, .Insecure.CR (Go fields and toJson), .Insecure.User,
 * .AuthorizationCrt, the options' templateData at the top level, .SANs' toJson form. */
static void test_template_data(void **state)
{
	static const char text[] =
	    "{\"subject\": {\"commonName\": {{ toJson .Token.sub }},"
	    " \"organization\": {{ toJson .org }},"
	    " \"organizationalUnit\": [{{ toJson .Insecure.User.role }},"
	    " {{ toJson .Insecure.CR.Subject.CommonName }}, {{ toJson "
	    ".AuthorizationCrt.Subject.CommonName }},"
	    " {{ toJson (index .Insecure.CR.DNSNames 0) }}, {{ .Insecure.CR.PublicKeyAlgorithm | "
	    "toJson }},"
	    " {{ if contains \"\\\"subject\\\":{\\\"commonName\\\":\\\"csr-cn\\\"}\" (toJson "
	    ".Insecure.CR) }}"
	    "\"csr-cn\"{{ end }},"
	    " {{ toJson (typeOf .Insecure.CR.PublicKey) }}]},"
	    " \"sans\": {{ toJson .SANs }}}";
	struct pki p;
	EVP_PKEY *key = gen(KEY_KTY_EC, NID_X9_62_prime256v1, 0);
	struct strv sans = {0};
	X509_REQ *csr = NULL;
	struct error err = {0};
	struct tpl *t = NULL;
	json_t *claims = json_pack("{s:s}", "sub", "tok-sub");
	json_t *user = json_pack("{s:s}", "role", "admin");
	json_t *opts = json_pack("{s:s}", "org", "Data Org");
	json_t *data;
	struct x509_desc *d = NULL;
	(void)state;

	pki_make(&p);
	strv_push(&sans, "csr.example.com");
	strv_push(&sans, "10.0.0.9");
	assert_int_equal(csr_create(key, "csr-cn", &sans, &csr, &err), 0);
	{
		struct leaf_request r = {.kind = LEAF_TPL_LEAF,
					 .csr = csr,
					 .cn = "tok-sub",
					 .sans = &sans,
					 .token = claims,
					 .user = user,
					 .authorization_crt = p.inter};
		if (tpl_parse("template", text, strlen(text), &t, &err) != 0)
			fail_msg("%s", err.msg);
		data = x509_template_data(&r, opts);
		if (x509_render(t, data, &d, &err) != 0)
			fail_msg("%s", err.msg);
		json_decref(data);
	}
	assert_string_equal(d->subject.common_name, "tok-sub");
	assert_string_equal(d->subject.organization.v[0], "Data Org");
	assert_int_equal(d->subject.unit.n, 7);
	assert_string_equal(d->subject.unit.v[0], "admin");
	assert_string_equal(d->subject.unit.v[1], "csr-cn");
	assert_string_equal(d->subject.unit.v[2], "Test Intermediate CA");
	assert_string_equal(d->subject.unit.v[3], "csr.example.com");
	assert_string_equal(d->subject.unit.v[4], "ECDSA");
	assert_string_equal(d->subject.unit.v[5], "csr-cn");
	assert_string_equal(d->subject.unit.v[6], "*ecdsa.PublicKey");
	assert_int_equal(d->n_sans, 2);
	assert_string_equal(d->sans[1].type, "ip");
	assert_string_equal(d->sans[1].value, "10.0.0.9");
	x509_desc_free(d);
	tpl_free(t);
	json_decref(claims);
	json_decref(user);
	json_decref(opts);
	X509_REQ_free(csr);
	strv_free(&sans);
	EVP_PKEY_free(key);
	pki_free(&p);
}

/* A template's errors: fail is a 400 with its text as it is; output that is not a description
 * is a 500 with step-ca's text; another execution error a 500 that shows nothing. */
static void test_template_errors(void **state)
{
	static const struct {
		const char *text;
		enum err_kind kind;
		const char *msg;
	} rows[] = {
	    {"{{ fail \"no way\" }}", ERR_INVALID, "no way"},
	    {"{\"subject\": {{ .Token.sub }}}", ERR_INTERNAL,
	     "error applying certificate template"},
	    {"{\"keyUsage\": \"fly\"}", ERR_INTERNAL, "error applying certificate template"},
	    {"{{ required \"need it\" .Insecure.User.x }}", ERR_INTERNAL, NULL},
	};
	EVP_PKEY *key = gen(KEY_KTY_EC, NID_X9_62_prime256v1, 0);
	struct strv sans = {0};
	X509_REQ *csr = NULL;
	json_t *claims = json_pack("{s:s}", "sub", "x");
	struct error err = {0};
	(void)state;

	strv_push(&sans, "x");
	assert_int_equal(csr_create(key, "x", &sans, &csr, &err), 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct leaf_request r = {.csr = csr, .cn = "x", .sans = &sans, .token = claims};
		struct tpl *t = NULL;
		struct x509_desc *d = NULL;
		json_t *data = x509_template_data(&r, NULL);

		if (tpl_parse("template", rows[i].text, strlen(rows[i].text), &t, &err) != 0)
			fail_msg("%s", err.msg);
		err_clear(&err);
		assert_int_equal(x509_render(t, data, &d, &err), -1);
		assert_int_equal(err.kind, rows[i].kind);
		if (rows[i].msg != NULL) {
			/* fail's message goes out in the usual 400 form, the 500's as it is */
			assert_true(err.expose);
			assert_int_equal(err.verbatim, rows[i].kind == ERR_INTERNAL);
			assert_string_equal(err.msg, rows[i].msg);
		} else {
			assert_false(err.expose);
		}
		json_decref(data);
		tpl_free(t);
	}
	json_decref(claims);
	X509_REQ_free(csr);
	strv_free(&sans);
	EVP_PKEY_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_every_field),
	    cmocka_unit_test(test_parse_forms),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_build_every_field),
	    cmocka_unit_test(test_build_extended_sans),
	    cmocka_unit_test(test_build_sub_ca),
	    cmocka_unit_test(test_default_leaf_encoding),
	    cmocka_unit_test(test_default_templates_render_same),
	    cmocka_unit_test(test_template_data),
	    cmocka_unit_test(test_template_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
