/* test_cert_der.c - the certificate written as DER without an X509 object: the encoding is
 * the one OpenSSL gives the same fields (parsed and re-encoded byte for byte), the signature
 * verifies, and what the authority reads back from the DER (serial, notAfter, names, PEM, key
 * id) equals what the X509-based functions read; the fast OID encoder against OpenSSL's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/internal.h"
#include "crypto/key.h"
#include "crypto/signer.h"
#include "crypto/x509build.h"
#include "crypto/x509desc.h"
#include "test_keys.h"

static void test_oid_fast_matches_openssl(void **state)
{
	static const char *const oids[] = {"2.5.29.17",
					   "1.3.6.1.5.5.7.1.1",
					   "1.3.6.1.4.1.37476.9000.64.1",
					   "0.9.2342.19200300.100.1.25",
					   "2.999.1",
					   "1.2.840.113549.1.9.1",
					   "1.39.127.128.16383.16384",
					   "2.40.72057594037927935",
					   "1.3.6.1.4.1.311.21.20"};
	static const char *const odd[] = {"", "1", "1.", ".1", "1..2", "3.1", "1.40", "1.2a", "a"};
	(void)state;

	for (size_t i = 0; i < sizeof(oids) / sizeof(oids[0]); i++) {
		struct dbuf b = {0};
		ASN1_OBJECT *o = OBJ_txt2obj(oids[i], 1);
		unsigned char *der = NULL;
		int n = i2d_ASN1_OBJECT(o, &der);

		assert_true(n > 0);
		assert_int_equal(dbuf_put_oid(&b, oids[i], NULL), 0);
		if (b.n != (size_t)n || memcmp(b.p, der, b.n) != 0)
			fail_msg("%s: the fast encoding differs from OpenSSL's", oids[i]);
		dbuf_free(&b);
		OPENSSL_free(der);
		ASN1_OBJECT_free(o);
	}
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		/* what the fast path leaves out, OpenSSL's parser decides, as before */
		struct dbuf b = {0};
		ASN1_OBJECT *o = OBJ_txt2obj(odd[i], 1);
		bool accepted = dbuf_put_oid(&b, odd[i], NULL) == 0;
		if (accepted != (o != NULL))
			fail_msg("\"%s\": a verdict other than OpenSSL's", odd[i]);
		ASN1_OBJECT_free(o);
		dbuf_free(&b);
	}
}

/* The name's bytes equal OpenSSL's encoding of its entries, RDN by RDN. */
static void check_name_encoding(const X509_NAME *name)
{
	X509_NAME *copy = X509_NAME_new();
	unsigned char *a = NULL, *b = NULL;
	int la, lb, prev = -1;

	for (int i = 0; i < X509_NAME_entry_count(name); i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		int set = X509_NAME_ENTRY_set(e);
		assert_int_equal(X509_NAME_add_entry(copy, e, -1, set == prev ? -1 : 0), 1);
		prev = set;
	}
	la = i2d_X509_NAME(name, &a);
	lb = i2d_X509_NAME(copy, &b);
	if (la != lb || memcmp(a, b, (size_t)la) != 0)
		fail_msg("the subject is not OpenSSL's encoding of its entries");
	OPENSSL_free(a);
	OPENSSL_free(b);
	X509_NAME_free(copy);
}

/* Issues d for key through the DER writer and checks the result as OpenSSL sees it. */
static void check_issue(const char *json, EVP_PKEY *key, X509 *issuer, struct signer *signer,
			EVP_PKEY *issuer_key)
{
	struct x509_desc *d = NULL;
	struct x509_ca_ext ca = {.ocsp_url = "https://ca.example.com/ocsp",
				 .prov_type = 1,
				 .prov_name = "admin",
				 .prov_cred_id = "kid",
				 .crl_url = "https://ca.example.com/crl"};
	struct error err = {0};
	struct dbuf spki = {0};
	uint8_t *der = NULL, *re = NULL;
	size_t len = 0;
	const unsigned char *p;
	X509 *x;
	int relen;
	int64_t now = time_now_ns();
	char *serial, *pem_der = NULL, *pem_x = NULL, kid_a[65], kid_b[65];
	struct names na, nb;

	if (x509_desc_parse(json, strlen(json), &d, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(crypto_pubkey_spki(key, &spki, NULL), 0);
	if (x509_desc_issue_der(d, &ca, spki.p, spki.n, now, now + NS_PER_HOUR, issuer, signer,
				&der, &len, &err) != 0)
		fail_msg("%s: %s", json, err.msg);
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	assert_non_null(x);
	assert_ptr_equal(p, der + len);
	/* every field in the encoding OpenSSL itself gives it (names keep their received
	 * bytes in i2d_re_X509_tbs, so the subject is rebuilt entry by entry) */
	check_name_encoding(X509_get_subject_name(x));
	relen = i2d_re_X509_tbs(x, &re);
	assert_true(relen > 0);
	OPENSSL_free(re);
	re = NULL;
	relen = i2d_X509(x, &re);
	if ((size_t)relen != len || memcmp(re, der, len) != 0)
		fail_msg("%s: not OpenSSL's encoding", json);
	assert_int_equal(X509_verify(x, issuer_key), 1);
	/* what is read from the DER is what the X509 functions read */
	serial = cert_der_serial_decimal(der, len);
	{
		char *want = cert_serial_decimal(x);
		assert_string_equal(serial, want);
		free(want);
	}
	assert_true(cert_der_not_after_ns(der, len) == cert_not_after_ns(x));
	assert_int_equal(cert_der_names(der, len, &na, NULL), 0);
	assert_int_equal(cert_names(x, &nb, NULL), 0);
	assert_string_equal(na.cn, nb.cn);
	assert_int_equal(na.dns.n + na.ip.n + na.email.n + na.uri.n,
			 nb.dns.n + nb.ip.n + nb.email.n + nb.uri.n);
	for (size_t i = 0; i < na.ip.n; i++)
		assert_string_equal(na.ip.v[i], nb.ip.v[i]);
	for (size_t i = 0; i < na.dns.n; i++)
		assert_string_equal(na.dns.v[i], nb.dns.v[i]);
	assert_int_equal(cert_der_to_pem(der, len, &pem_der, NULL), 0);
	assert_int_equal(cert_to_pem(x, &pem_x, NULL), 0);
	assert_string_equal(pem_der, pem_x);
	assert_int_equal(spki_key_id(spki.p, spki.n, kid_a, NULL), 0);
	assert_int_equal(cert_key_id(x, kid_b, NULL), 0);
	assert_string_equal(kid_a, kid_b);
	names_free(&na);
	names_free(&nb);
	free(serial);
	free(pem_der);
	free(pem_x);
	OPENSSL_free(re);
	X509_free(x);
	free(der);
	dbuf_free(&spki);
	x509_desc_free(d);
}

static void test_der_writer(void **state)
{
	static const char *const descs[] = {
	    "{\"subject\":{\"commonName\":\"leaf.example.com\"},\"dnsNames\":[\"leaf.example.com\"]"
	    ","
	    "\"keyUsage\":[\"digitalSignature\"],\"extKeyUsage\":[\"serverAuth\",\"clientAuth\"]}",
	    "{\"subject\":{},\"dnsNames\":[\"a.example.com\"],\"ipAddresses\":[\"10.0.0.1\",\"::"
	    "1\"],"
	    "\"emailAddresses\":[\"u@x.org\"],\"uris\":[\"spiffe://a/b\"]}",
	    "{\"subject\":{\"commonName\":\"\\u00dcn\\u00efcode "
	    "*&\",\"organizationalUnit\":[\"zzz\","
	    "\"a\",\"Ops\",\"ab\"],\"country\":[\"NZ\",\"AU\"]},\"serialNumber\":\"0xff\","
	    "\"notAfter\":\"2051-01-01T00:00:00Z\",\"notBefore\":\"1949-12-31T23:59:59Z\"}",
	    "{\"subject\":{\"commonName\":\"x\",\"extraNames\":[{\"type\":\"1.2.840.113549.1.9.1\","
	    "\"value\":\"ca@example.com\"}]},\"basicConstraints\":{\"isCA\":true,\"maxPathLen\":0},"
	    "\"sans\":[{\"type\":\"permanentIdentifier\",\"value\":\"abc\"}]}",
	};
	EVP_PKEY *ca_key = gen(KEY_KTY_EC, NID_X9_62_prime256v1, 0);
	EVP_PKEY *keys[3] = {gen(KEY_KTY_EC, NID_X9_62_prime256v1, 0), gen(KEY_KTY_RSA, 0, 2048),
			     gen(KEY_KTY_OKP, NID_ED25519, 0)};
	struct signer *signer;
	X509 *ca = NULL;
	struct error err = {0};
	int64_t now = time_now_ns();
	(void)state;

	EVP_PKEY_up_ref(ca_key);
	signer = signer_file_new(ca_key);
	if (x509_issue_ca("Test CA", "Test", ca_key, NULL, signer, 0, now - NS_PER_MIN,
			  now + NS_PER_HOUR, &ca, &err) != 0)
		fail_msg("%s", err.msg);
	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < sizeof(descs) / sizeof(descs[0]); i++)
			check_issue(descs[i], keys[k], ca, signer, ca_key);
	for (size_t k = 0; k < 3; k++)
		EVP_PKEY_free(keys[k]);
	X509_free(ca);
	signer_free(signer);
	EVP_PKEY_free(ca_key);
}

/* A CSR whose EC point is compressed: the key id names the uncompressed point, as cert_key_id. */
static void test_key_id_compressed_point(void **state)
{
	EVP_PKEY *key = gen(KEY_KTY_EC, NID_X9_62_prime256v1, 0);
	struct dbuf plain = {0};
	X509_PUBKEY *xpk = NULL;
	unsigned char *comp = NULL;
	char a[65], b[65];
	int n;
	(void)state;

	assert_int_equal(crypto_pubkey_spki(key, &plain, NULL), 0);
	assert_int_equal(EVP_PKEY_set_utf8_string_param(key, "point-format", "compressed"), 1);
	assert_int_equal(X509_PUBKEY_set(&xpk, key), 1);
	n = i2d_X509_PUBKEY(xpk, &comp);
	assert_true(n > 0 && (size_t)n < plain.n);
	assert_int_equal(spki_key_id(comp, (size_t)n, a, NULL), 0);
	assert_int_equal(spki_key_id(plain.p, plain.n, b, NULL), 0);
	assert_string_equal(a, b);
	OPENSSL_free(comp);
	X509_PUBKEY_free(xpk);
	dbuf_free(&plain);
	EVP_PKEY_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_oid_fast_matches_openssl),
	    cmocka_unit_test(test_der_writer),
	    cmocka_unit_test(test_key_id_compressed_point),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
