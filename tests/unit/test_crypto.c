/* test_crypto.c - keys and their PEM formats, CSRs, certificate building and checking. */
#define OPENSSL_SUPPRESS_DEPRECATED /* a legacy EC_KEY with explicit parameters (key policy) */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/b64.h"
#include "base/duration.h"
#include "base/file.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "crypto/signer.h"
#include "crypto/x509build.h"
#include "test_keys.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif
#define DATA(name) TEST_DATA_DIR "/crypto/" name

/* ---- helpers ---------------------------------------------------------------------------- */

static uint8_t *slurp(const char *path, size_t *len)
{
	uint8_t *data = NULL;
	struct error err = {0};

	if (file_read(path, FILE_MAX_DEFAULT, &data, len, &err) != 0)
		fail_msg("%s", err.msg);
	return data;
}

static EVP_PKEY *load_priv(const char *path, const char *password)
{
	size_t len;
	uint8_t *data = slurp(path, &len);
	EVP_PKEY *key = NULL;
	struct error err = {0};

	if (key_parse_private(data, len, password, &key, &err) != 0)
		fail_msg("%s: %s", path, err.msg);
	free(data);
	return key;
}

static EVP_PKEY *load_pub(const char *path)
{
	size_t len;
	uint8_t *data = slurp(path, &len);
	EVP_PKEY *key = NULL;
	struct error err = {0};

	if (key_parse_public(data, len, &key, &err) != 0)
		fail_msg("%s: %s", path, err.msg);
	free(data);
	return key;
}

/* Decodes the first PEM block of text: its DER (OPENSSL_free) and label (OPENSSL_free). */
static unsigned char *pem_der(const char *text, long *len, char **label)
{
	BIO *bio = BIO_new_mem_buf(text, -1);
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;

	assert_int_equal(PEM_read_bio(bio, &name, &header, &der, len), 1);
	OPENSSL_free(header);
	if (label != NULL)
		*label = name;
	else
		OPENSSL_free(name);
	BIO_free(bio);
	return der;
}

static bool mem_contains(const void *hay, size_t n, const void *needle, size_t m)
{
	return memmem(hay, n, needle, m) != NULL;
}

static EVP_PKEY *gen_p256(void)
{
	return gen(KEY_KTY_EC, NID_X9_62_prime256v1, 0);
}

/* An RSA key under the policy's minimum (key_generate refuses to make one). */
static EVP_PKEY *gen_rsa_1024(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);

	assert_non_null(key);
	return key;
}

static X509_NAME *cn_name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
						    (const unsigned char *)cn, -1, -1, 0),
			 1);
	return n;
}

/* A root and an intermediate CA with their keys. */
struct pki {
	EVP_PKEY *root_key, *int_key;
	X509 *root, *inter;
	struct signer *root_signer, *int_signer; /* own a reference to the keys */
	int64_t now;
};

static void pki_make(struct pki *p, EVP_PKEY *int_key)
{
	struct error err = {0};

	memset(p, 0, sizeof(*p));
	p->now = time_now_ns();
	p->root_key = gen_p256();
	p->int_key = int_key != NULL ? int_key : gen_p256();
	EVP_PKEY_up_ref(p->root_key);
	p->root_signer = signer_file_new(p->root_key);
	assert_non_null(p->root_signer);
	EVP_PKEY_up_ref(p->int_key);
	p->int_signer = signer_file_new(p->int_key);
	assert_non_null(p->int_signer);
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

static X509 *issue_leaf(struct pki *p, EVP_PKEY *pub, const char *cn, const char *const *sans,
			const char *prov_name)
{
	struct names n = {0};
	X509_NAME *subject = cn_name(cn);
	X509 *leaf = NULL;
	struct error err = {0};
	struct leaf_spec spec = {
	    .subject = subject,
	    .sans = &n,
	    .public_key = pub,
	    .not_before_ns = p->now - NS_PER_MIN,
	    .not_after_ns = p->now + NS_PER_HOUR,
	    .server_auth = true,
	    .client_auth = true,
	    .prov_type = PROV_CODE_JWK,
	    .prov_name = prov_name,
	    .prov_cred_id = "kid123",
	};

	for (size_t i = 0; sans != NULL && sans[i] != NULL; i++)
		names_add_san(&n, sans[i]);
	if (x509_issue_leaf(&spec, p->inter, p->int_signer, &leaf, &err) != 0)
		fail_msg("%s", err.msg);
	names_free(&n);
	X509_NAME_free(subject);
	return leaf;
}

static void ski_of(X509 *x, unsigned char out[20])
{
	ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(x);
	SHA1(ASN1_STRING_get0_data(bits), (size_t)ASN1_STRING_length(bits), out);
}

static const ASN1_OCTET_STRING *ext_value(X509 *x, int nid, int *crit)
{
	int idx = X509_get_ext_by_NID(x, nid, -1);
	X509_EXTENSION *e;

	if (idx < 0)
		return NULL;
	e = X509_get_ext(x, idx);
	if (crit != NULL)
		*crit = X509_EXTENSION_get_critical(e);
	return X509_EXTENSION_get_data(e);
}

/* ---- key_spec_parse --------------------------------------------------------------------- */

static void test_key_spec_parse(void **state)
{
	static const struct {
		const char *kty, *crv, *size;
		int rc;
		enum key_kty kty_out;
		int nid, bits;
		const char *msg;
	} cases[] = {
	    {NULL, NULL, NULL, 0, KEY_KTY_EC, NID_X9_62_prime256v1, 0, NULL},
	    {"", "", "", 0, KEY_KTY_EC, NID_X9_62_prime256v1, 0, NULL},
	    {"EC", NULL, NULL, 0, KEY_KTY_EC, NID_X9_62_prime256v1, 0, NULL},
	    {"EC", "P-256", NULL, 0, KEY_KTY_EC, NID_X9_62_prime256v1, 0, NULL},
	    {"EC", "P-384", NULL, 0, KEY_KTY_EC, NID_secp384r1, 0, NULL},
	    {"EC", "P-521", NULL, 0, KEY_KTY_EC, NID_secp521r1, 0, NULL},
	    {"OKP", NULL, NULL, 0, KEY_KTY_OKP, NID_ED25519, 0, NULL},
	    {"OKP", "Ed25519", NULL, 0, KEY_KTY_OKP, NID_ED25519, 0, NULL},
	    {"RSA", NULL, NULL, 0, KEY_KTY_RSA, NID_rsaEncryption, 2048, NULL},
	    {"RSA", NULL, "3072", 0, KEY_KTY_RSA, NID_rsaEncryption, 3072, NULL},
	    {"rsa", NULL, NULL, -1, 0, 0, 0,
	     "invalid value 'rsa' for flag '--kty'; options are EC, OKP, or RSA"},
	    {"X", NULL, NULL, -1, 0, 0, 0,
	     "invalid value 'X' for flag '--kty'; options are EC, OKP, or RSA"},
	    {"EC", "P-224", NULL, -1, 0, 0, 0,
	     "invalid value 'P-224' for flag '--curve'; options are P-256, P-384, or P-521"},
	    {"EC", "Ed25519", NULL, -1, 0, 0, 0,
	     "invalid value 'Ed25519' for flag '--curve'; options are P-256, P-384, or P-521"},
	    {"OKP", "P-256", NULL, -1, 0, 0, 0,
	     "invalid value 'P-256' for flag '--curve'; options are Ed25519"},
	    {"EC", NULL, "2048", -1, 0, 0, 0, "flag '--size' requires '--kty RSA'"},
	    {"OKP", NULL, "2048", -1, 0, 0, 0, "flag '--size' requires '--kty RSA'"},
	    {NULL, NULL, "2048", -1, 0, 0, 0, "flag '--size' requires '--kty RSA'"},
	    {NULL, "P-384", NULL, -1, 0, 0, 0, "flag '--curve' requires the '--kty' flag"},
	    {"RSA", "P-256", NULL, -1, 0, 0, 0, "flag '--curve' is incompatible with '--kty RSA'"},
	    {"RSA", NULL, "1024", -1, 0, 0, 0,
	     "invalid value '1024' for flag '--size'; RSA keys require a minimum key size of 2048 "
	     "bits"},
	    {"RSA", NULL, "abc", -1, 0, 0, 0,
	     "invalid value 'abc' for flag '--size'; it must be a number of bits"},
	    {"RSA", NULL, "32768", -1, 0, 0, 0,
	     "invalid value '32768' for flag '--size'; RSA keys larger than 16384 bits are not "
	     "supported"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct key_spec s = {.kty = 99, .nid = -1, .rsa_bits = -1};
		struct error err = {0};
		int rc = key_spec_parse(cases[i].kty, cases[i].crv, cases[i].size, &s, &err);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d (%s)", i, rc, err.msg);
		if (rc == 0) {
			assert_int_equal(s.kty, cases[i].kty_out);
			assert_int_equal(s.nid, cases[i].nid);
			assert_int_equal(s.rsa_bits, cases[i].bits);
		} else {
			assert_int_equal(err.kind, ERR_INVALID);
			assert_string_equal(err.msg, cases[i].msg);
		}
	}
}

/* ---- key generation and PEM round trips ------------------------------------------------- */

static void test_key_roundtrip(void **state)
{
	static const struct {
		enum key_kty kty;
		int nid, bits;
		const char *plain_label, *enc_label, *alg, *kty_name;
		bool proc_type;
	} cases[] = {
	    {KEY_KTY_EC, NID_X9_62_prime256v1, 0, "EC PRIVATE KEY", "EC PRIVATE KEY", "ES256", "EC",
	     true},
	    {KEY_KTY_EC, NID_secp384r1, 0, "EC PRIVATE KEY", "EC PRIVATE KEY", "ES384", "EC", true},
	    {KEY_KTY_EC, NID_secp521r1, 0, "EC PRIVATE KEY", "EC PRIVATE KEY", "ES512", "EC", true},
	    {KEY_KTY_OKP, NID_ED25519, 0, "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "EdDSA", "OKP",
	     false},
	    {KEY_KTY_RSA, NID_rsaEncryption, 2048, "RSA PRIVATE KEY", "RSA PRIVATE KEY", "RS256",
	     "RSA", true},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EVP_PKEY *key = gen(cases[i].kty, cases[i].nid, cases[i].bits);
		EVP_PKEY *back = NULL, *other = gen_p256();
		char *pem = NULL, *label = NULL;
		unsigned char *der;
		long dlen;
		struct error err = {0};

		assert_string_equal(key_jws_alg(key), cases[i].alg);
		assert_string_equal(key_kty_name(key), cases[i].kty_name);

		/* plain */
		assert_int_equal(key_private_to_pem(key, NULL, &pem, &err), 0);
		der = pem_der(pem, &dlen, &label);
		assert_string_equal(label, cases[i].plain_label);
		assert_null(strstr(pem, "ENCRYPTED"));
		assert_false(key_pem_is_encrypted((const uint8_t *)pem, strlen(pem)));
		assert_int_equal(
		    key_parse_private((const uint8_t *)pem, strlen(pem), NULL, &back, &err), 0);
		assert_true(key_public_equal(key, back));
		assert_false(key_public_equal(other, back));
		EVP_PKEY_free(back);
		back = NULL;
		OPENSSL_free(label);
		OPENSSL_free(der);
		free(pem);

		/* encrypted */
		assert_int_equal(key_private_to_pem(key, "password", &pem, &err), 0);
		der = pem_der(pem, &dlen, &label);
		assert_string_equal(label, cases[i].enc_label);
		if (cases[i].proc_type) {
			assert_non_null(
			    strstr(pem, "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,"));
		} else {
			assert_null(strstr(pem, "Proc-Type"));
		}
		assert_true(key_pem_is_encrypted((const uint8_t *)pem, strlen(pem)));
		assert_int_equal(
		    key_parse_private((const uint8_t *)pem, strlen(pem), "password", &back, &err),
		    0);
		assert_true(key_public_equal(key, back));
		EVP_PKEY_free(back);
		back = NULL;
		assert_int_equal(
		    key_parse_private((const uint8_t *)pem, strlen(pem), NULL, &back, &err), -1);
		assert_int_equal(err.kind, ERR_INVALID);
		assert_string_equal(err.msg, "the key is encrypted: a password is required");
		assert_null(back);
		assert_int_equal(
		    key_parse_private((const uint8_t *)pem, strlen(pem), "wrong", &back, &err), -1);
		assert_int_equal(err.kind, ERR_INVALID);
		assert_string_equal(err.msg, "invalid password");
		assert_null(back);
		OPENSSL_free(label);
		OPENSSL_free(der);
		free(pem);
		EVP_PKEY_free(other);
		EVP_PKEY_free(key);
	}
}

/* The encrypted Ed25519 PKCS#8 uses step's parameters. */
static void test_ed25519_pkcs8_params(void **state)
{
	/* hmacWithSHA256 followed by a proper NULL; INTEGER 600000; AES-256-CBC OID. */
	static const uint8_t prf_null[] = {0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48,
					   0x86, 0xf7, 0x0d, 0x02, 0x09, 0x05, 0x00};
	static const uint8_t iter_600000[] = {0x02, 0x03, 0x09, 0x27, 0xc0};
	static const uint8_t aes256[] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
					 0x03, 0x04, 0x01, 0x2a, 0x04, 0x10};
	EVP_PKEY *key = gen(KEY_KTY_OKP, NID_ED25519, 0);
	char *pem = NULL;
	long dlen;
	unsigned char *der;
	const unsigned char *p;
	X509_SIG *sig;
	const X509_ALGOR *alg;
	PBE2PARAM *pbe2;
	PBKDF2PARAM *kdf;
	struct error err = {0};
	(void)state;

	assert_int_equal(key_private_to_pem(key, "password", &pem, &err), 0);
	der = pem_der(pem, &dlen, NULL);
	assert_true(mem_contains(der, (size_t)dlen, prf_null, sizeof(prf_null)));
	assert_true(mem_contains(der, (size_t)dlen, iter_600000, sizeof(iter_600000)));
	assert_true(mem_contains(der, (size_t)dlen, aes256, sizeof(aes256)));

	p = der;
	sig = d2i_X509_SIG(NULL, &p, dlen);
	assert_non_null(sig);
	X509_SIG_get0(sig, &alg, NULL);
	assert_int_equal(OBJ_obj2nid(alg->algorithm), NID_pbes2);
	pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter);
	assert_non_null(pbe2);
	assert_int_equal(OBJ_obj2nid(pbe2->keyfunc->algorithm), NID_id_pbkdf2);
	assert_int_equal(OBJ_obj2nid(pbe2->encryption->algorithm), NID_aes_256_cbc);
	assert_int_equal(ASN1_STRING_length(pbe2->encryption->parameter->value.octet_string), 16);
	kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter);
	assert_non_null(kdf);
	assert_int_equal(ASN1_INTEGER_get(kdf->iter), 600000);
	assert_int_equal(kdf->salt->type, V_ASN1_OCTET_STRING);
	assert_int_equal(ASN1_STRING_length(kdf->salt->value.octet_string), 16);
	assert_non_null(kdf->prf);
	assert_int_equal(OBJ_obj2nid(kdf->prf->algorithm), NID_hmacWithSHA256);
	assert_int_equal(kdf->prf->parameter->type, V_ASN1_NULL);
	assert_null(kdf->keylength);

	PBKDF2PARAM_free(kdf);
	PBE2PARAM_free(pbe2);
	X509_SIG_free(sig);
	OPENSSL_free(der);
	free(pem);
	EVP_PKEY_free(key);
}

/* The legacy encrypted EC key is what `openssl ec -passin` reads. */
static void test_ec_legacy_readable_by_openssl_cli(void **state)
{
	EVP_PKEY *key = gen(KEY_KTY_EC, NID_secp384r1, 0);
	char dir[] = "/tmp/test_crypto_XXXXXX";
	char path[64], cmd[256];
	char *pem = NULL;
	FILE *f;
	struct error err = {0};
	(void)state;

	if (system("command -v openssl >/dev/null 2>&1") != 0) {
		EVP_PKEY_free(key);
		skip();
	}
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	assert_int_equal(key_private_to_pem(key, "password", &pem, &err), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(pem, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "openssl ec -in %s -passin pass:password -noout 2>/dev/null",
		 path);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "openssl ec -in %s -passin pass:wrong -noout 2>/dev/null", path);
	assert_int_not_equal(system(cmd), 0);
	unlink(path);
	rmdir(dir);
	free(pem);
	EVP_PKEY_free(key);
}

/* ---- reading files written by the openssl CLI ------------------------------------------- */

static void test_read_openssl_fixtures(void **state)
{
	static const struct {
		const char *file, *pub;
		bool encrypted;
	} cases[] = {
	    {DATA("ec_legacy_aes256.pem"), DATA("ec_public.pem"), true},
	    {DATA("ec_legacy_aes256_lowerhex.pem"), DATA("ec_public.pem"), true},
	    {DATA("pkcs8_pbes2_sha256.pem"), DATA("ec_public.pem"), true},
	    {DATA("pkcs8_step_malformed_prf.pem"), DATA("ec_public.pem"), true},
	    {DATA("pkcs8_malformed_prf_a0.pem"), DATA("ec_public.pem"), true},
	    {DATA("pkcs8_sha1_aes128.pem"), DATA("ec_public.pem"), true},
	    {DATA("pkcs8_des3.pem"), DATA("ec_public.pem"), true},
	    {DATA("pkcs8_des.pem"), DATA("ec_public.pem"), true},
	    {DATA("rsa_pkcs1_aes256.pem"), DATA("rsa_public.pem"), true},
	    {DATA("ed25519_pkcs8_enc.pem"), DATA("ed25519_public.pem"), true},
	    {DATA("ec_plain.der"), DATA("ec_public.pem"), false},
	    {DATA("ec_pkcs8_plain.pem"), DATA("ec_public.pem"), false},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		uint8_t *data = slurp(cases[i].file, &len);
		EVP_PKEY *pub = load_pub(cases[i].pub);
		EVP_PKEY *key = NULL;
		struct error err = {0};

		if (key_parse_private(data, len, "password", &key, &err) != 0)
			fail_msg("%s: %s", cases[i].file, err.msg);
		if (!key_public_equal(key, pub))
			fail_msg("%s: wrong key", cases[i].file);
		EVP_PKEY_free(key);
		key = NULL;
		assert_int_equal(key_pem_is_encrypted(data, len), cases[i].encrypted);
		if (cases[i].encrypted) {
			assert_int_equal(key_parse_private(data, len, NULL, &key, &err), -1);
			assert_string_equal(err.msg,
					    "the key is encrypted: a password is required");
			assert_int_equal(key_parse_private(data, len, "Password", &key, &err), -1);
			if (strcmp(err.msg, "invalid password") != 0)
				fail_msg("%s: %s", cases[i].file, err.msg);
			assert_int_equal(err.kind, ERR_INVALID);
			assert_null(key);
		} else {
			/* the password given above was ignored; none is needed */
			assert_int_equal(key_parse_private(data, len, NULL, &key, &err), 0);
			EVP_PKEY_free(key);
		}
		EVP_PKEY_free(pub);
		free(data);
	}
}

/* OpenSSL alone refuses step's malformed PRF parameters; the rewrite is what makes it load. */
static void test_malformed_prf_needs_the_rewrite(void **state)
{
	size_t len;
	uint8_t *data = slurp(DATA("pkcs8_step_malformed_prf.pem"), &len);
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"password");
	long dlen;
	unsigned char *der = pem_der((const char *)data, &dlen, NULL);
	static const uint8_t eoc[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0x86,
				      0xf7, 0x0d, 0x02, 0x09, 0x00, 0x00};
	(void)state;

	assert_null(key);
	ERR_clear_error();
	assert_true(mem_contains(der, (size_t)dlen, eoc, sizeof(eoc)));
	/* our parser also takes the DER form */
	assert_int_equal(key_parse_private(der, (size_t)dlen, "password", &key, NULL), 0);
	assert_non_null(key);
	EVP_PKEY_free(key);
	/* the caller's buffer is not modified */
	assert_true(mem_contains(der, (size_t)dlen, eoc, sizeof(eoc)));
	OPENSSL_free(der);
	BIO_free(bio);
	free(data);
}

static void test_key_parse_errors(void **state)
{
	size_t len;
	uint8_t *cert = slurp(DATA("fixture_cert.pem"), &len);
	EVP_PKEY *key = NULL, *pub = NULL;
	char *pem = NULL;
	struct error err = {0};
	static const char junk[] = "not a key at all";
	static const char bad_pem[] = "-----BEGIN EC PRIVATE KEY-----\n!!!!\n-----END EC PRIVATE "
				      "KEY-----\n";
	(void)state;

	assert_int_equal(key_parse_private(cert, len, NULL, &key, &err), -1);
	assert_string_equal(err.msg, "error parsing private key: no private key found");
	assert_int_equal(key_parse_private((const uint8_t *)junk, strlen(junk), NULL, &key, &err),
			 -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_int_equal(
	    key_parse_private((const uint8_t *)bad_pem, strlen(bad_pem), NULL, &key, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_int_equal(key_parse_private(NULL, 0, NULL, &key, &err), -1);
	assert_null(key);
	assert_false(key_pem_is_encrypted(cert, len));

	/* public keys */
	key = load_priv(DATA("ec_legacy_aes256.pem"), "password");
	assert_int_equal(key_public_to_pem(key, &pem, &err), 0);
	assert_true(str_has_prefix(pem, "-----BEGIN PUBLIC KEY-----\n"));
	assert_int_equal(key_parse_public((const uint8_t *)pem, strlen(pem), &pub, &err), 0);
	assert_true(key_public_equal(key, pub));
	EVP_PKEY_free(pub);
	assert_int_equal(key_parse_public((const uint8_t *)junk, strlen(junk), &pub, &err), -1);
	assert_null(pub);
	free(pem);
	EVP_PKEY_free(key);
	free(cert);
}

/* ---- CSRs and names --------------------------------------------------------------------- */

static void test_names_add_san(void **state)
{
	struct names n = {0};
	static const char *const sans[] = {
	    "foo.example.com", "10.0.0.1",
	    "2001:DB8:0::1",   "::ffff:192.0.2.1",
	    "a@example.com",   "spiffe://example.org/x",
	    "urn:uuid:123",    "mailto:b@example.com",
	    "*.example.com",   "bad%zz:x",
	    "1x:foo",	       "010.0.0.1",
	    "http://h:abc/",   "https://[::1]:8443/p?q=%zz#f",
	    "localhost:8080",  "h://x/%4",
	    "h://x/a#%4g",     "h://u:p@x:1/",
	    "ctl:\x01",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(sans) / sizeof(sans[0]); i++)
		names_add_san(&n, sans[i]);
	assert_null(n.cn);
	assert_int_equal(n.ip.n, 3);
	assert_string_equal(n.ip.v[0], "10.0.0.1");
	assert_string_equal(n.ip.v[1], "2001:db8::1");
	assert_string_equal(n.ip.v[2], "192.0.2.1");
	/* like Go: an IP first, then anything url.Parse takes with a scheme, then '@' */
	assert_int_equal(n.uri.n, 6);
	assert_string_equal(n.uri.v[0], "spiffe://example.org/x");
	assert_string_equal(n.uri.v[1], "urn:uuid:123");
	assert_string_equal(n.uri.v[2], "mailto:b@example.com");
	assert_string_equal(n.uri.v[3], "https://[::1]:8443/p?q=%zz#f");
	assert_string_equal(n.uri.v[4], "localhost:8080");
	assert_string_equal(n.uri.v[5], "h://u:p@x:1/");
	assert_int_equal(n.email.n, 1);
	assert_string_equal(n.email.v[0], "a@example.com");
	assert_int_equal(n.dns.n, 9);
	assert_string_equal(n.dns.v[0], "foo.example.com");
	assert_string_equal(n.dns.v[1], "*.example.com");
	assert_string_equal(n.dns.v[2], "bad%zz:x");
	assert_string_equal(n.dns.v[3], "1x:foo");
	assert_string_equal(n.dns.v[4], "010.0.0.1");
	assert_string_equal(n.dns.v[5], "http://h:abc/");
	assert_string_equal(n.dns.v[6], "h://x/%4");
	assert_string_equal(n.dns.v[7], "h://x/a#%4g");
	assert_string_equal(n.dns.v[8], "ctl:\x01");
	names_free(&n);
	names_free(&n); /* idempotent */
}

static void check_csr_names(X509_REQ *csr)
{
	struct names n;
	struct error err = {0};

	assert_int_equal(csr_names(csr, &n, &err), 0);
	assert_string_equal(n.cn, "foo.example.com");
	assert_int_equal(n.dns.n, 1);
	assert_string_equal(n.dns.v[0], "foo.example.com");
	assert_int_equal(n.ip.n, 2);
	assert_string_equal(n.ip.v[0], "10.0.0.1");
	assert_string_equal(n.ip.v[1], "2001:db8::1");
	assert_int_equal(n.email.n, 1);
	assert_string_equal(n.email.v[0], "a@example.com");
	assert_int_equal(n.uri.n, 1);
	assert_string_equal(n.uri.v[0], "spiffe://example.org/x");
	names_free(&n);
}

static void test_csr_create_parse_verify(void **state)
{
	static const struct {
		enum key_kty kty;
		int nid, bits, sig_nid;
	} cases[] = {
	    {KEY_KTY_EC, NID_X9_62_prime256v1, 0, NID_ecdsa_with_SHA256},
	    {KEY_KTY_EC, NID_secp384r1, 0, NID_ecdsa_with_SHA384},
	    {KEY_KTY_EC, NID_secp521r1, 0, NID_ecdsa_with_SHA512},
	    {KEY_KTY_OKP, NID_ED25519, 0, NID_ED25519},
	    {KEY_KTY_RSA, NID_rsaEncryption, 2048, NID_sha256WithRSAEncryption},
	};
	struct strv sans = {0};
	(void)state;

	strv_push(&sans, "foo.example.com");
	strv_push(&sans, "10.0.0.1");
	strv_push(&sans, "2001:DB8::1");
	strv_push(&sans, "a@example.com");
	strv_push(&sans, "spiffe://example.org/x");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EVP_PKEY *key = gen(cases[i].kty, cases[i].nid, cases[i].bits);
		X509_REQ *csr = NULL, *back = NULL;
		char *pem = NULL, *fp = NULL;
		unsigned char *der = NULL;
		int dlen;
		struct error err = {0};

		assert_int_equal(csr_create(key, "foo.example.com", &sans, &csr, &err), 0);
		assert_int_equal(X509_REQ_get_signature_nid(csr), cases[i].sig_nid);
		assert_int_equal(csr_to_pem(csr, &pem, &err), 0);
		assert_true(str_has_prefix(pem, "-----BEGIN CERTIFICATE REQUEST-----\n"));
		assert_true(str_has_suffix(pem, "-----END CERTIFICATE REQUEST-----\n"));
		assert_int_equal(csr_parse((const uint8_t *)pem, strlen(pem), &back, &err), 0);
		assert_int_equal(csr_verify(back, &err), 0);
		assert_true(key_public_equal(key, X509_REQ_get0_pubkey(back)));
		check_csr_names(back);

		/* the fingerprint is base64url(SHA-256(DER)) */
		dlen = i2d_X509_REQ(back, &der);
		assert_true(dlen > 0);
		{
			unsigned char md[32];
			char *want;
			SHA256(der, (size_t)dlen, md);
			want = b64url_encode(md, sizeof(md));
			assert_int_equal(csr_fingerprint_b64url(back, &fp, &err), 0);
			assert_string_equal(fp, want);
			assert_int_equal(strlen(fp), 43);
			free(want);
		}
		X509_REQ_free(back);
		back = NULL;

		/* DER input works; a flipped signature bit fails verification */
		assert_int_equal(csr_parse(der, (size_t)dlen, &back, &err), 0);
		assert_int_equal(csr_verify(back, &err), 0);
		X509_REQ_free(back);
		back = NULL;
		der[dlen - 1] ^= 0x01;
		assert_int_equal(csr_parse(der, (size_t)dlen, &back, &err), 0);
		assert_int_equal(csr_verify(back, &err), -1);
		assert_int_equal(err.kind, ERR_INVALID);
		assert_string_equal(err.msg, "invalid certificate request signature");
		X509_REQ_free(back);
		back = NULL;

		free(fp);
		OPENSSL_free(der);
		free(pem);
		X509_REQ_free(csr);
		EVP_PKEY_free(key);
	}
	strv_free(&sans);
}

static void test_csr_fixture_and_errors(void **state)
{
	size_t len;
	uint8_t *data = slurp(DATA("csr_openssl_new_label.pem"), &len);
	X509_REQ *csr = NULL;
	char *fp = NULL;
	struct names n;
	struct error err = {0};
	static const char junk[] = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n";
	(void)state;

	/* the label is "NEW CERTIFICATE REQUEST": the type is ignored */
	assert_int_equal(csr_parse(data, len, &csr, &err), 0);
	assert_int_equal(csr_verify(csr, &err), 0);
	check_csr_names(csr);
	assert_int_equal(csr_fingerprint_b64url(csr, &fp, &err), 0);
	/* openssl req -outform DER | sha256, as base64url */
	assert_string_equal(fp, "-21WZq4LYX0UHtrljIpUfIFHCfeAcSniYi4i1-Yktt0");
	free(fp);
	X509_REQ_free(csr);
	csr = NULL;

	assert_int_equal(csr_parse((const uint8_t *)junk, strlen(junk), &csr, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_null(csr);
	assert_int_equal(csr_parse((const uint8_t *)"\x30\x03\x02\x01\x01", 5, &csr, &err), -1);
	assert_int_equal(csr_parse(NULL, 0, &csr, &err), -1);

	/* a CSR with no CN and no SANs */
	{
		EVP_PKEY *key = gen(KEY_KTY_OKP, NID_ED25519, 0);
		assert_int_equal(csr_create(key, "", NULL, &csr, &err), 0);
		assert_int_equal(csr_names(csr, &n, &err), 0);
		assert_string_equal(n.cn, "");
		assert_int_equal(n.dns.n + n.ip.n + n.email.n + n.uri.n, 0);
		assert_int_equal(X509_NAME_entry_count(X509_REQ_get_subject_name(csr)), 0);
		names_free(&n);
		X509_REQ_free(csr);
		EVP_PKEY_free(key);
	}
	free(data);
}

/* ---- certificate issuance --------------------------------------------------------------- */

static void check_ca(X509 *ca, X509 *issuer, EVP_PKEY *issuer_key, const char *cn, int pathlen)
{
	X509_NAME *subj = X509_get_subject_name(ca);
	const ASN1_OCTET_STRING *v;
	unsigned char ski[20];
	int crit = -1;
	char buf[256];
	BASIC_CONSTRAINTS *bc;

	assert_int_equal(X509_get_version(ca), 2);
	X509_NAME_oneline(subj, buf, sizeof(buf));
	assert_int_equal(strncmp(buf, "/O=Test/CN=", 11), 0);
	assert_string_equal(buf + 11, cn);
	/* Go encodes printable names as PrintableString */
	assert_int_equal(ASN1_STRING_type(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, 1))),
			 V_ASN1_PRINTABLESTRING);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(ca), X509_get_subject_name(issuer)), 0);
	assert_int_equal(X509_verify(ca, issuer_key), 1);

	v = ext_value(ca, NID_key_usage, &crit);
	assert_non_null(v);
	assert_int_equal(crit, 1);
	assert_int_equal(X509_get_key_usage(ca), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	bc = X509_get_ext_d2i(ca, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_int_equal(crit, 1);
	assert_true(bc->ca);
	assert_int_equal(ASN1_INTEGER_get(bc->pathlen), pathlen);
	BASIC_CONSTRAINTS_free(bc);

	ski_of(ca, ski);
	v = X509_get0_subject_key_id(ca);
	assert_non_null(v);
	assert_int_equal(ASN1_STRING_length(v), 20);
	assert_memory_equal(ASN1_STRING_get0_data(v), ski, 20);
	if (issuer == ca) {
		assert_int_equal(X509_get_ext_by_NID(ca, NID_authority_key_identifier, -1), -1);
	} else {
		const ASN1_OCTET_STRING *akid = X509_get0_authority_key_id(ca);
		assert_non_null(akid);
		assert_int_equal(ASN1_OCTET_STRING_cmp(akid, X509_get0_subject_key_id(issuer)), 0);
	}
	assert_int_equal(X509_get_signature_nid(ca), NID_ecdsa_with_SHA256);
	assert_int_equal(X509_check_ca(ca), 1);
}

static void test_issue_ca(void **state)
{
	struct pki p;
	(void)state;

	pki_make(&p, NULL);
	check_ca(p.root, p.root, p.root_key, "Test Root CA", 1);
	check_ca(p.inter, p.root, p.root_key, "Test Intermediate CA", 0);
	assert_int_equal(cert_not_before_ns(p.root),
			 (p.now - NS_PER_MIN) / NS_PER_SEC * NS_PER_SEC);
	assert_int_equal(cert_not_after_ns(p.root),
			 (p.now + 24 * NS_PER_HOUR) / NS_PER_SEC * NS_PER_SEC);
	pki_free(&p);
}

static void test_issue_leaf(void **state)
{
	/* SEQUENCE { INTEGER 1, OCTET STRING "admin@example.com", OCTET STRING "kid123" } */
	static const uint8_t prov_der[] = {0x30, 0x1e, 0x02, 0x01, 0x01, 0x04, 0x11, 'a',
					   'd',	 'm',  'i',  'n',  '@',	 'e',  'x',  'a',
					   'm',	 'p',  'l',  'e',  '.',	 'c',  'o',  'm',
					   0x04, 0x06, 'k',  'i',  'd',	 '1',  '2',  '3'};
	static const char *const sans[] = {
	    "foo.example.com",	      "10.0.0.1", "2001:db8::1", "a@example.com",
	    "spiffe://example.org/x", NULL};
	static const struct {
		enum key_kty kty;
		int nid, bits, sig_nid; /* intermediate key -> signature algorithm */
	} issuers[] = {
	    {KEY_KTY_EC, NID_X9_62_prime256v1, 0, NID_ecdsa_with_SHA256},
	    {KEY_KTY_EC, NID_secp384r1, 0, NID_ecdsa_with_SHA384},
	    {KEY_KTY_EC, NID_secp521r1, 0, NID_ecdsa_with_SHA512},
	    {KEY_KTY_OKP, NID_ED25519, 0, NID_ED25519},
	    {KEY_KTY_RSA, NID_rsaEncryption, 2048, NID_sha256WithRSAEncryption},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(issuers) / sizeof(issuers[0]); i++) {
		struct pki p;
		/* leaf key: RSA once (keyEncipherment), Ed25519 once, else P-256 */
		EVP_PKEY *leaf_key = i == 1   ? gen(KEY_KTY_RSA, NID_rsaEncryption, 2048)
				     : i == 2 ? gen(KEY_KTY_OKP, NID_ED25519, 0)
					      : gen_p256();
		bool rsa = i == 1;
		X509 *leaf;
		const ASN1_OCTET_STRING *v;
		unsigned char ski[20];
		BIGNUM *serial;
		struct names n;
		int crit = -1, type = 0;
		char *name = NULL, *cred = NULL, *cn;
		ASN1_OBJECT *prov_oid = OBJ_txt2obj(STEP_PROVISIONER_OID, 1);
		struct error err = {0};

		pki_make(&p, gen(issuers[i].kty, issuers[i].nid, issuers[i].bits));
		leaf = issue_leaf(&p, leaf_key, "foo.example.com", sans, "admin@example.com");

		assert_int_equal(X509_get_version(leaf), 2);
		assert_int_equal(X509_get_signature_nid(leaf), issuers[i].sig_nid);
		assert_int_equal(X509_verify(leaf, p.int_key), 1);
		assert_int_not_equal(X509_verify(leaf, p.root_key), 1);
		ERR_clear_error();
		assert_int_equal(
		    X509_NAME_cmp(X509_get_issuer_name(leaf), X509_get_subject_name(p.inter)), 0);
		cn = cert_common_name(leaf);
		assert_string_equal(cn, "foo.example.com");
		free(cn);
		assert_true(key_public_equal(X509_get0_pubkey(leaf), leaf_key));

		/* serial: positive, < 2^128 */
		assert_int_equal(ASN1_STRING_type(X509_get0_serialNumber(leaf)), V_ASN1_INTEGER);
		serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
		assert_false(BN_is_negative(serial));
		assert_false(BN_is_zero(serial));
		assert_true(BN_num_bits(serial) <= 128);
		BN_free(serial);

		/* validity */
		assert_true(cert_not_before_ns(leaf) ==
			    (p.now - NS_PER_MIN) / NS_PER_SEC * NS_PER_SEC);
		assert_true(cert_not_after_ns(leaf) ==
			    (p.now + NS_PER_HOUR) / NS_PER_SEC * NS_PER_SEC);

		/* extension order as Go writes it */
		assert_int_equal(X509_get_ext_count(leaf), 6);
		assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(leaf, 0))),
				 NID_key_usage);
		assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(leaf, 1))),
				 NID_ext_key_usage);
		assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(leaf, 2))),
				 NID_subject_key_identifier);
		assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(leaf, 3))),
				 NID_authority_key_identifier);
		assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(leaf, 4))),
				 NID_subject_alt_name);
		assert_int_equal(
		    OBJ_cmp(X509_EXTENSION_get_object(X509_get_ext(leaf, 5)), prov_oid), 0);

		/* key usage: critical digitalSignature (+ keyEncipherment for RSA) */
		v = ext_value(leaf, NID_key_usage, &crit);
		assert_non_null(v);
		assert_int_equal(crit, 1);
		assert_int_equal(X509_get_key_usage(leaf),
				 rsa ? (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT)
				     : KU_DIGITAL_SIGNATURE);
		/* EKU: serverAuth, clientAuth, not critical */
		assert_non_null(ext_value(leaf, NID_ext_key_usage, &crit));
		assert_int_equal(crit, 0);
		assert_int_equal(X509_get_extended_key_usage(leaf),
				 XKU_SSL_SERVER | XKU_SSL_CLIENT);
		assert_int_equal(X509_get_ext_by_NID(leaf, NID_basic_constraints, -1), -1);
		assert_int_equal(X509_check_ca(leaf), 0);

		/* SKI = SHA-1(public key bits); AKI = issuer SKI */
		ski_of(leaf, ski);
		v = X509_get0_subject_key_id(leaf);
		assert_non_null(v);
		assert_memory_equal(ASN1_STRING_get0_data(v), ski, 20);
		assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf),
						       X509_get0_subject_key_id(p.inter)),
				 0);

		/* SANs */
		assert_non_null(ext_value(leaf, NID_subject_alt_name, &crit));
		assert_int_equal(crit, 0);
		assert_int_equal(cert_names(leaf, &n, &err), 0);
		assert_string_equal(n.cn, "foo.example.com");
		assert_int_equal(n.dns.n, 1);
		assert_string_equal(n.dns.v[0], "foo.example.com");
		assert_int_equal(n.ip.n, 2);
		assert_string_equal(n.ip.v[0], "10.0.0.1");
		assert_string_equal(n.ip.v[1], "2001:db8::1");
		assert_int_equal(n.email.n, 1);
		assert_string_equal(n.email.v[0], "a@example.com");
		assert_int_equal(n.uri.n, 1);
		assert_string_equal(n.uri.v[0], "spiffe://example.org/x");
		names_free(&n);

		/* the provisioner extension, byte for byte */
		{
			X509_EXTENSION *e = X509_get_ext(leaf, 5);
			const ASN1_OCTET_STRING *d = X509_EXTENSION_get_data(e);
			assert_int_equal(X509_EXTENSION_get_critical(e), 0);
			assert_int_equal(ASN1_STRING_length(d), sizeof(prov_der));
			assert_memory_equal(ASN1_STRING_get0_data(d), prov_der, sizeof(prov_der));
		}
		assert_int_equal(x509_get_provisioner_ext(leaf, &type, &name, &cred, &err), 0);
		assert_int_equal(type, PROV_CODE_JWK);
		assert_string_equal(name, "admin@example.com");
		assert_string_equal(cred, "kid123");
		free(name);
		free(cred);
		assert_int_equal(x509_get_provisioner_ext(p.inter, &type, &name, &cred, &err), 1);
		assert_null(name);

		ASN1_OBJECT_free(prov_oid);
		X509_free(leaf);
		EVP_PKEY_free(leaf_key);
		pki_free(&p);
	}
}

static void test_issue_leaf_variants(void **state)
{
	struct pki p;
	EVP_PKEY *key = gen_p256();
	struct names n = {0};
	X509_NAME *empty = X509_NAME_new();
	X509 *leaf = NULL;
	int crit = -1, type;
	char *name, *cred;
	struct error err = {0};
	struct leaf_spec spec = {
	    .subject = empty,
	    .sans = &n,
	    .public_key = key,
	    .server_auth = true,
	};
	(void)state;

	pki_make(&p, NULL);
	spec.not_before_ns = p.now;
	spec.not_after_ns = p.now + NS_PER_HOUR;
	/* no provisioner extension, serverAuth only, empty subject -> critical SAN */
	names_add_san(&n, "svc.internal");
	assert_int_equal(x509_issue_leaf(&spec, p.inter, p.int_signer, &leaf, &err), 0);
	assert_int_equal(X509_get_extended_key_usage(leaf), XKU_SSL_SERVER);
	assert_non_null(ext_value(leaf, NID_subject_alt_name, &crit));
	assert_int_equal(crit, 1);
	assert_int_equal(x509_get_provisioner_ext(leaf, &type, &name, &cred, &err), 1);
	assert_int_equal(X509_get_ext_count(leaf), 5);
	X509_free(leaf);
	leaf = NULL;

	/* a bad IP in the names is refused */
	strv_push(&n.ip, "not-an-ip");
	assert_int_equal(x509_issue_leaf(&spec, p.inter, p.int_signer, &leaf, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, "invalid IP address 'not-an-ip'");
	assert_null(leaf);

	names_free(&n);
	X509_NAME_free(empty);
	EVP_PKEY_free(key);
	pki_free(&p);
}

static void test_provisioner_ext_malformed(void **state)
{
	struct pki p;
	EVP_PKEY *key = gen_p256();
	X509 *leaf;
	X509_EXTENSION *ext;
	ASN1_OBJECT *oid = OBJ_txt2obj(STEP_PROVISIONER_OID, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	static const uint8_t bad[] = {0x30, 0x03, 0x02, 0x01, 0x01}; /* name/cred missing */
	int type;
	char *name, *cred;
	struct error err = {0};
	(void)state;

	pki_make(&p, NULL);
	leaf = issue_leaf(&p, key, "x", NULL, NULL);
	ASN1_OCTET_STRING_set(os, bad, sizeof(bad));
	ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os);
	X509_add_ext(leaf, ext, -1);
	assert_int_equal(x509_get_provisioner_ext(leaf, &type, &name, &cred, &err), -1);
	assert_string_equal(err.msg, "invalid provisioner extension");
	assert_null(name);
	assert_null(cred);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(oid);
	X509_free(leaf);
	EVP_PKEY_free(key);
	pki_free(&p);
}

static void test_random_serial(void **state)
{
	ASN1_INTEGER *prev = NULL;
	(void)state;

	for (int i = 0; i < 1000; i++) {
		ASN1_INTEGER *s = NULL;
		BIGNUM *bn;
		assert_int_equal(x509_random_serial(&s, NULL), 0);
		assert_int_equal(ASN1_STRING_type(s), V_ASN1_INTEGER);
		bn = ASN1_INTEGER_to_BN(s, NULL);
		assert_true(BN_num_bits(bn) <= 127);
		assert_false(BN_is_zero(bn));
		/* minimal DER: no leading zero byte in the content */
		assert_int_not_equal(ASN1_STRING_get0_data(s)[0], 0);
		if (prev != NULL)
			assert_int_not_equal(ASN1_INTEGER_cmp(prev, s), 0);
		BN_free(bn);
		ASN1_INTEGER_free(prev);
		prev = s;
	}
	ASN1_INTEGER_free(prev);
}

static void test_reissue(void **state)
{
	static const char *const sans[] = {"foo.example.com", NULL};
	struct pki p;
	EVP_PKEY *key = gen_p256(), *new_key = gen(KEY_KTY_OKP, NID_ED25519, 0);
	X509 *old, *same = NULL, *rekeyed = NULL;
	unsigned char ski[20];
	struct error err = {0};
	int64_t nb, na;
	(void)state;

	pki_make(&p, NULL);
	old = issue_leaf(&p, key, "foo.example.com", sans, "admin@example.com");
	nb = p.now + NS_PER_HOUR;
	na = p.now + 5 * NS_PER_HOUR;
	assert_int_equal(x509_reissue(old, NULL, nb, na, p.inter, p.int_signer, &same, &err), 0);
	assert_int_equal(x509_reissue(old, new_key, nb, na, p.inter, p.int_signer, &rekeyed, &err),
			 0);
	for (int k = 0; k < 2; k++) {
		X509 *x = k == 0 ? same : rekeyed;
		assert_int_equal(X509_verify(x, p.int_key), 1);
		assert_int_not_equal(
		    ASN1_INTEGER_cmp(X509_get0_serialNumber(x), X509_get0_serialNumber(old)), 0);
		assert_int_equal(
		    X509_NAME_cmp(X509_get_subject_name(x), X509_get_subject_name(old)), 0);
		assert_true(cert_not_before_ns(x) == nb / NS_PER_SEC * NS_PER_SEC);
		assert_true(cert_not_after_ns(x) == na / NS_PER_SEC * NS_PER_SEC);
		assert_int_equal(X509_get_ext_count(x), X509_get_ext_count(old));
		for (int i = 0; i < X509_get_ext_count(old); i++) {
			X509_EXTENSION *a = X509_get_ext(old, i), *b = X509_get_ext(x, i);
			int nid = OBJ_obj2nid(X509_EXTENSION_get_object(a));
			assert_int_equal(
			    OBJ_cmp(X509_EXTENSION_get_object(a), X509_EXTENSION_get_object(b)), 0);
			if (nid == NID_subject_key_identifier && k == 1)
				continue;
			assert_int_equal(ASN1_OCTET_STRING_cmp(X509_EXTENSION_get_data(a),
							       X509_EXTENSION_get_data(b)),
					 0);
		}
		assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
						       X509_get0_subject_key_id(p.inter)),
				 0);
	}
	assert_true(key_public_equal(X509_get0_pubkey(same), key));
	assert_true(key_public_equal(X509_get0_pubkey(rekeyed), new_key));
	ski_of(rekeyed, ski);
	assert_memory_equal(ASN1_STRING_get0_data(X509_get0_subject_key_id(rekeyed)), ski, 20);
	assert_int_equal(
	    ASN1_OCTET_STRING_cmp(X509_get0_subject_key_id(same), X509_get0_subject_key_id(old)),
	    0);
	X509_free(old);
	X509_free(same);
	X509_free(rekeyed);
	EVP_PKEY_free(key);
	EVP_PKEY_free(new_key);
	pki_free(&p);
}

/* ---- chains ----------------------------------------------------------------------------- */

static void test_verify_chain(void **state)
{
	struct pki p, other;
	EVP_PKEY *key = gen_p256();
	X509 *leaf;
	STACK_OF(X509) *roots = sk_X509_new_null(), *inter = sk_X509_new_null();
	STACK_OF(X509) *other_roots = sk_X509_new_null();
	X509_STORE *store, *other_store;
	struct error err = {0};
	(void)state;

	pki_make(&p, NULL);
	pki_make(&other, NULL);
	leaf = issue_leaf(&p, key, "foo.example.com", NULL, "admin@example.com");
	sk_X509_push(roots, p.root);
	sk_X509_push(inter, p.inter);
	sk_X509_push(other_roots, other.root);
	store = cert_store_new(roots);
	other_store = cert_store_new(other_roots);
	assert_non_null(store);

	assert_int_equal(cert_verify_chain(leaf, inter, store, 0, 0, &err), 0);
	assert_int_equal(
	    cert_verify_chain(leaf, inter, store, p.now, X509_PURPOSE_SSL_CLIENT, &err), 0);
	assert_int_equal(
	    cert_verify_chain(leaf, inter, store, p.now, X509_PURPOSE_SSL_SERVER, &err), 0);

	assert_int_equal(cert_verify_chain(leaf, inter, store, p.now + 2 * NS_PER_HOUR,
					   X509_PURPOSE_SSL_CLIENT, &err),
			 -1);
	assert_string_equal(err.msg, "certificate has expired");
	assert_int_equal(cert_verify_chain(leaf, inter, store, p.now - 2 * NS_PER_MIN, 0, &err),
			 -1);
	assert_string_equal(err.msg, "certificate is not yet valid");
	assert_int_equal(cert_verify_chain(leaf, inter, other_store, p.now, 0, &err), -1);
	assert_string_equal(err.msg, "unable to get local issuer certificate");
	assert_int_equal(cert_verify_chain(leaf, NULL, store, p.now, 0, &err), -1);
	assert_string_equal(err.msg, "unable to get local issuer certificate");
	/* the purpose is enforced: the intermediate has no digitalSignature key usage */
	assert_int_equal(
	    cert_verify_chain(p.inter, NULL, store, p.now, X509_PURPOSE_SSL_CLIENT, &err), -1);
	assert_string_equal(err.msg, "unsuitable certificate purpose");
	assert_int_equal(err.kind, ERR_UNAUTHORIZED);

	X509_STORE_free(store);
	X509_STORE_free(other_store);
	sk_X509_free(roots);
	sk_X509_free(inter);
	sk_X509_free(other_roots);
	X509_free(leaf);
	EVP_PKEY_free(key);
	pki_free(&p);
	pki_free(&other);
}

/* ---- certificate files, PEM, fingerprints ------------------------------------------------ */

static void test_cert_files(void **state)
{
	X509 *cert = NULL;
	STACK_OF(X509) *chain = NULL;
	char fp[65], norm[65];
	char *pem = NULL, *serial, *cn, *joined;
	uint8_t *der = NULL;
	size_t dlen, klen;
	uint8_t *key_pem = slurp(DATA("ec_pkcs8_plain.pem"), &klen);
	struct error err = {0};
	(void)state;

	assert_int_equal(cert_load_file(DATA("fixture_cert.pem"), &cert, &err), 0);
	/* openssl x509 -noout -fingerprint -sha256, lower-cased, colons removed */
	assert_int_equal(cert_fingerprint(cert, fp, &err), 0);
	assert_string_equal(fp, "cf3ef7035d4f0dfc9e20116ee5e4f9fca7c0523bfba99331e1bb85b0035b9800");
	assert_int_equal(
	    cert_fingerprint_normalize("CF:3E:F7:03:5D:4F:0D:FC:9E:20:11:6E:E5:E4:F9:FC:A7:C0:52:"
				       "3B:FB:A9:93:31:E1:BB:85:B0:03:5B:98:00",
				       norm, &err),
	    0);
	assert_string_equal(norm, fp);
	assert_int_equal(cert_fingerprint_normalize("cf3ef703-5d4f0dfc9e20116ee5e4f9fca7c0523bfba9"
						    "9331e1bb85b0035b9800",
						    norm, &err),
			 0);
	assert_string_equal(norm, fp);
	assert_int_equal(cert_fingerprint_normalize("cf3e", norm, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_int_equal(
	    cert_fingerprint_normalize("zz3ef7035d4f0dfc9e20116ee5e4f9fca7c0523bfba9933"
				       "1e1bb85b0035b9800",
				       norm, &err),
	    -1);
	assert_int_equal(cert_fingerprint_normalize("cf3ef7035d4f0dfc9e20116ee5e4f9fca7c0523bfba99"
						    "331e1bb85b0035b980000",
						    norm, &err),
			 -1);

	cn = cert_common_name(cert);
	assert_string_equal(cn, "Fixture Root CA");
	free(cn);
	serial = cert_serial_decimal(cert);
	{
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
		char *dec = BN_bn2dec(bn);
		assert_string_equal(serial, dec);
		OPENSSL_free(dec);
		BN_free(bn);
	}
	free(serial);

	/* PEM: 64 columns, trailing newline; same bytes as the file */
	assert_int_equal(cert_to_pem(cert, &pem, &err), 0);
	{
		size_t flen;
		uint8_t *file = slurp(DATA("fixture_cert.pem"), &flen);
		assert_int_equal(strlen(pem), flen);
		assert_memory_equal(pem, file, flen);
		free(file);
	}
	/* DER round trip */
	assert_int_equal(cert_to_der(cert, &der, &dlen, &err), 0);
	assert_int_equal(cert_parse_chain(der, dlen, &chain, &err), 0);
	assert_int_equal(sk_X509_num(chain), 1);
	assert_int_equal(X509_cmp(sk_X509_value(chain, 0), cert), 0);
	sk_X509_pop_free(chain, X509_free);
	chain = NULL;
	/* BER that is not DER is refused, as Go does: one padding bit declared in the signature
	 * BIT STRING and set (OpenSSL's d2i alone accepts it); trailing bytes too */
	{
		const ASN1_BIT_STRING *sig = NULL;
		X509 *ok = cert_from_der(der, dlen);
		size_t at;

		assert_non_null(ok);
		X509_free(ok);
		X509_get0_signature(&sig, NULL, cert);
		at = dlen - (size_t)ASN1_STRING_length(sig) - 1;
		assert_int_equal(der[at], 0);
		der[at] = 1;
		der[dlen - 1] |= 1;
		assert_null(cert_from_der(der, dlen));
		assert_int_equal(cert_parse_chain(der, dlen, &chain, &err), -1);
		assert_int_equal(err.kind, ERR_INVALID);
		assert_null(chain);
		assert_null(cert_from_der(der, 0));
	}
	OPENSSL_free(der);

	/* a chain with a key block in between; other blocks are skipped */
	joined = xasprintf("junk before\n%s%s%s", pem, (const char *)key_pem, pem);
	assert_int_equal(cert_parse_chain((const uint8_t *)joined, strlen(joined), &chain, &err),
			 0);
	assert_int_equal(sk_X509_num(chain), 2);
	{
		char *both = NULL, *twice = xasprintf("%s%s", pem, pem);
		assert_int_equal(cert_chain_to_pem(chain, &both, &err), 0);
		assert_string_equal(both, twice);
		free(both);
		free(twice);
	}
	sk_X509_pop_free(chain, X509_free);
	chain = NULL;
	free(joined);

	assert_int_equal(cert_parse_chain(key_pem, klen, &chain, &err), -1);
	assert_string_equal(err.msg, "error parsing certificate: no certificate found");
	assert_int_equal(cert_parse_chain((const uint8_t *)"garbage", 7, &chain, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_null(chain);
	assert_int_equal(cert_load_chain_file(DATA("does-not-exist.pem"), &chain, &err), -1);
	assert_non_null(strstr(err.msg, "does-not-exist.pem"));
	assert_int_equal(cert_load_chain_file(DATA("ec_public.pem"), &chain, &err), -1);
	assert_non_null(strstr(err.msg, "ec_public.pem"));

	free(pem);
	free(key_pem);
	X509_free(cert);
}

/* ---- signer ----------------------------------------------------------------------------- */

struct thread_arg {
	struct pki *p;
	EVP_PKEY *key;
	int ok;
};

static void *issue_many(void *arg)
{
	struct thread_arg *a = arg;
	static const char *const sans[] = {"t.example.com", NULL};

	for (int i = 0; i < 50; i++) {
		struct names n = {0};
		X509_NAME *subject = X509_NAME_new();
		X509 *leaf = NULL;
		struct leaf_spec spec = {
		    .subject = subject,
		    .sans = &n,
		    .public_key = a->key,
		    .not_before_ns = a->p->now,
		    .not_after_ns = a->p->now + NS_PER_HOUR,
		    .server_auth = true,
		    .client_auth = true,
		    .prov_type = PROV_CODE_JWK,
		    .prov_name = "admin",
		    .prov_cred_id = "kid",
		};
		names_add_san(&n, sans[0]);
		if (x509_issue_leaf(&spec, a->p->inter, a->p->int_signer, &leaf, NULL) == 0 &&
		    X509_verify(leaf, a->p->int_key) == 1)
			a->ok++;
		X509_free(leaf);
		X509_NAME_free(subject);
		names_free(&n);
	}
	return NULL;
}

static void test_signer_concurrent(void **state)
{
	struct pki p;
	pthread_t th[4];
	struct thread_arg args[4];
	EVP_PKEY *key = gen_p256();
	(void)state;

	pki_make(&p, NULL);
	assert_ptr_equal(signer_public_key(p.int_signer), p.int_key);
	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){.p = &p, .key = key, .ok = 0};
		assert_int_equal(pthread_create(&th[i], NULL, issue_many, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(args[i].ok, 50);
	}
	/* unsupported keys are refused (and freed) */
	{
		EVP_PKEY *x25519 = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
		assert_null(signer_file_new(x25519));
		assert_null(signer_file_new(NULL));
	}
	signer_free(NULL);
	EVP_PKEY_free(key);
	pki_free(&p);
}

/* csr_parse_der_fast makes what d2i_X509_REQ makes, or leaves the CSR to it. */
static void expect_fast_matches(const uint8_t *der, size_t len, bool must_be_fast)
{
	X509_REQ *fast = csr_parse_der_fast(der, len);
	const unsigned char *p = der;
	X509_REQ *slow = d2i_X509_REQ(NULL, &p, (long)len);
	unsigned char *a = NULL, *b = NULL;
	int na, nb;

	ERR_clear_error();
	if (must_be_fast)
		assert_non_null(fast);
	if (fast == NULL) {
		X509_REQ_free(slow);
		return;
	}
	assert_non_null(slow);
	assert_ptr_equal(p, der + len);
	na = i2d_X509_REQ(fast, &a);
	nb = i2d_X509_REQ(slow, &b);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na);
	assert_int_equal(EVP_PKEY_eq(X509_REQ_get0_pubkey(fast), X509_REQ_get0_pubkey(slow)), 1);
	/* the key policy judges both keys alike: the fast path lets no refused key through */
	{
		struct error ef = {0}, es = {0};
		assert_int_equal(key_check_allowed(X509_REQ_get0_pubkey(fast), "csr", &ef),
				 key_check_allowed(X509_REQ_get0_pubkey(slow), "csr", &es));
		assert_string_equal(ef.msg, es.msg);
	}
	/* csr_verify takes ECDSA_verify for the fast parser's EC keys, X509_REQ_verify otherwise */
	assert_int_equal(csr_verify(fast, NULL), csr_verify(slow, NULL));
	assert_int_equal(csr_verify_fast(slow), -1);
	if (must_be_fast && EVP_PKEY_get_base_id(X509_REQ_get0_pubkey(fast)) == EVP_PKEY_EC)
		assert_int_equal(csr_verify_fast(fast), 1);
	OPENSSL_free(a);
	OPENSSL_free(b);
	X509_REQ_free(fast);
	X509_REQ_free(slow);
}

static void test_csr_fast_path(void **state)
{
	static const struct {
		const char *file;
		bool fast;
	} cases[] = {
	    {"p256.der", true}, {"p384.der", true},	{"p521.der", true},
	    {"rsa.der", true},	{"ed25519.der", false}, {"openssl-p256-subject.der", true},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[512];
		uint8_t *der = NULL;
		size_t len = 0;

		snprintf(path, sizeof(path), "%s/../fuzz/corpus/fuzz_csr_der/%s", TEST_DATA_DIR,
			 cases[i].file);
		assert_int_equal(file_read(path, FILE_MAX_DEFAULT, &der, &len, NULL), 0);
		expect_fast_matches(der, len, cases[i].fast);
		/* Every single-byte change: either path may refuse, but never disagree. */
		for (size_t j = 0; j < len; j++) {
			static const uint8_t deltas[] = {0x01, 0x80, 0xff};
			for (size_t d = 0; d < sizeof(deltas); d++) {
				der[j] ^= deltas[d];
				expect_fast_matches(der, len, false);
				der[j] ^= deltas[d];
			}
		}
		free(der);
	}
}

/* ---- the key policy -------------------------------------------------------------------- */

#define ALLOWED "(allowed: P-256, P-384, P-521, Ed25519, RSA >= 2048 bits)"

/* Checks key (freed here) against the policy: msg NULL = accepted, else the exact refusal. */
static void expect_policy(EVP_PKEY *key, const char *msg)
{
	struct error err = {0};
	int rc = key_check_allowed(key, "test", &err);

	if (msg == NULL) {
		if (rc != 0)
			fail_msg("refused: %s", err.msg);
	} else {
		assert_int_equal(rc, -1);
		assert_int_equal(err.kind, ERR_INVALID);
		assert_true(err.expose);
		assert_string_equal(err.msg, msg);
	}
	assert_int_equal(ERR_peek_error(), 0);
	EVP_PKEY_free(key);
}

static EVP_PKEY *ec_key(const char *curve, bool explicit_params)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM params[] = {
	    OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)curve, 0),
	    OSSL_PARAM_utf8_string(
		OSSL_PKEY_PARAM_EC_ENCODING,
		explicit_params ? OSSL_PKEY_EC_ENCODING_EXPLICIT : OSSL_PKEY_EC_ENCODING_GROUP, 0),
	    OSSL_PARAM_END};
	EVP_PKEY *key = NULL;

	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_params(ctx, params) != 1 || EVP_PKEY_generate(ctx, &key) != 1)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return key;
}

/* A public RSA key with modulus n and exponent e (decimal). */
static EVP_PKEY *rsa_pub(const BIGNUM *n, const char *e_dec)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *e = NULL;
	OSSL_PARAM *params;
	EVP_PKEY *key = NULL;

	assert_true(BN_dec2bn(&e, e_dec) > 0);
	assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n));
	assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e));
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(e);
	return key;
}

/* A random odd number of bits bits (a stand-in modulus: the policy looks at its size). */
static BIGNUM *odd_bn(int bits)
{
	BIGNUM *n = BN_new();

	assert_int_equal(BN_rand(n, bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD), 1);
	return n;
}

static void test_key_policy_ec(void **state)
{
	static const char *const refused[] = {"secp256k1", "brainpoolP256r1", "prime192v1",
					      "secp224r1", "secp160r1",	      "secp112r1",
					      "sect113r1", "sect571r1"};
	(void)state;

	expect_policy(ec_key("P-256", false), NULL);
	expect_policy(ec_key("P-384", false), NULL);
	expect_policy(ec_key("P-521", false), NULL);
	expect_policy(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), NULL);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		EVP_PKEY *key = ec_key(refused[i], false);
		char want[256];

		if (key == NULL) {
			print_message("%s: not built into this OpenSSL, skipped\n", refused[i]);
			continue;
		}
		snprintf(want, sizeof(want), "test key: unsupported elliptic curve %s " ALLOWED,
			 refused[i]);
		expect_policy(key, want);
	}
	/* Explicit parameters, even P-256's own (OpenSSL 3 names the group prime256v1). */
	for (size_t i = 0; i < 3; i++) {
		static const char *const nist[] = {"P-256", "P-384", "P-521"};
		EVP_PKEY *key = ec_key(nist[i], true);
		char name[64];
		size_t n = 0;

		assert_non_null(key);
		assert_int_equal(EVP_PKEY_get_group_name(key, name, sizeof(name), &n), 1);
		expect_policy(key, "test key: explicit elliptic curve parameters are not "
				   "supported, only named curves " ALLOWED);
	}
	/* Legacy EC keys (csr_fast.c makes those): the group's flag decides. */
	{
		EC_KEY *ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
		EVP_PKEY *key = EVP_PKEY_new();

		assert_int_equal(EC_KEY_generate_key(ec), 1);
		assert_int_equal(EVP_PKEY_set1_EC_KEY(key, ec), 1);
		assert_null(EVP_PKEY_get0_provider(key));
		assert_int_equal(key_check_allowed(key, "test", NULL), 0);
		EC_KEY_set_asn1_flag(ec, OPENSSL_EC_EXPLICIT_CURVE);
		expect_policy(key, "test key: explicit elliptic curve parameters are not "
				   "supported, only named curves " ALLOWED);
		EC_KEY_free(ec);
	}
	/* Other key types. */
	expect_policy(EVP_PKEY_Q_keygen(NULL, NULL, "ED448"),
		      "test key: unsupported key type ED448 " ALLOWED);
	expect_policy(EVP_PKEY_Q_keygen(NULL, NULL, "X25519"),
		      "test key: unsupported key type X25519 " ALLOWED);
	expect_policy(NULL, "test key is missing");
}

static void test_key_policy_rsa(void **state)
{
	EVP_PKEY *rsa = gen(KEY_KTY_RSA, NID_rsaEncryption, 2048);
	BIGNUM *n = NULL, *big;
	(void)state;

	assert_int_equal(EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	expect_policy(rsa, NULL);
	/* the public exponent: odd, 3 <= e <= 2^31-1 */
	expect_policy(rsa_pub(n, "3"), NULL);
	expect_policy(rsa_pub(n, "65537"), NULL);
	expect_policy(rsa_pub(n, "2147483647"), NULL);
	expect_policy(rsa_pub(n, "1"),
		      "test RSA key: unsupported public exponent 1 (it must be odd, "
		      "at least 3 and at most 2^31-1)");
	expect_policy(rsa_pub(n, "65536"),
		      "test RSA key: unsupported public exponent 65536 (it must "
		      "be odd, at least 3 and at most 2^31-1)");
	expect_policy(rsa_pub(n, "2147483649"), "test RSA key: unsupported public exponent "
						"2147483649 (it must be odd, at least 3 and at "
						"most 2^31-1)");
	expect_policy(rsa_pub(n, "18446744073709551617"),
		      "test RSA key: unsupported public exponent of 65 bits (it must be odd, at "
		      "least 3 and at most 2^31-1)");
	{
		/* a ~2048-bit exponent: the costly verification of the security review */
		BIGNUM *e = odd_bn(2047);
		char *dec = BN_bn2dec(e);
		expect_policy(rsa_pub(n, dec), "test RSA key: unsupported public exponent of 2047 "
					       "bits (it must be odd, at least 3 and at most "
					       "2^31-1)");
		OPENSSL_free(dec);
		BN_free(e);
	}
	/* an even modulus */
	assert_int_equal(BN_add_word(n, 1), 1);
	expect_policy(rsa_pub(n, "65537"), "test RSA key: invalid modulus (even)");
	BN_free(n);
	/* the modulus size: 2048 to 16384 bits */
	expect_policy(gen_rsa_1024(), "test RSA key must be at least 2048 bits (256 bytes)");
	big = odd_bn(2047);
	expect_policy(rsa_pub(big, "65537"), "test RSA key must be at least 2048 bits (256 bytes)");
	BN_free(big);
	big = odd_bn(16384);
	expect_policy(rsa_pub(big, "65537"), NULL);
	BN_free(big);
	big = odd_bn(16385);
	expect_policy(rsa_pub(big, "65537"), "test RSA key must be at most 16384 bits");
	BN_free(big);
	/* RSA-PSS keys are another type (step-ca cannot parse them either) */
	{
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
		EVP_PKEY *pss = NULL;

		assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048), 1);
		assert_int_equal(EVP_PKEY_generate(ctx, &pss), 1);
		EVP_PKEY_CTX_free(ctx);
		expect_policy(pss, "test key: unsupported key type RSA-PSS " ALLOWED);
	}
}

/* A DER CSR for key, signed by signer (the signature need not match key). */
static uint8_t *csr_der_for(EVP_PKEY *key, EVP_PKEY *signer, size_t *len)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = cn_name("policy.example.com");
	bool ed = EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519;
	unsigned char *der = NULL;
	int n;

	assert_int_equal(X509_REQ_set_version(req, 0), 1);
	assert_int_equal(X509_REQ_set_subject_name(req, name), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, signer), 1);
	assert_true(X509_REQ_sign(req, signer, ed ? NULL : EVP_sha256()) > 0);
	if (key != signer)
		assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	n = i2d_X509_REQ(req, &der);
	assert_true(n > 0);
	*len = (size_t)n;
	X509_NAME_free(name);
	X509_REQ_free(req);
	return der;
}

/* Every refused key stays refused through csr_parse, fast path or not, with the same message. */
static void test_key_policy_csr(void **state)
{
	EVP_PKEY *rsa = gen(KEY_KTY_RSA, NID_rsaEncryption, 2048);
	BIGNUM *n = NULL;
	struct policy_case {
		EVP_PKEY *key;
		bool has_private; /* else the CSR is signed by rsa */
		const char *msg;
	} cases[7];
	size_t nc = 0;
	(void)state;

	assert_int_equal(EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	cases[nc++] = (struct policy_case){ec_key("P-256", false), true, NULL};
	cases[nc++] = (struct policy_case){rsa, true, NULL};
	cases[nc++] = (struct policy_case){
	    ec_key("P-256", true), true,
	    "certificate request key: explicit elliptic curve parameters are not supported, only "
	    "named curves " ALLOWED};
	cases[nc++] = (struct policy_case){
	    ec_key("secp256k1", false), true,
	    "certificate request key: unsupported elliptic curve secp256k1 " ALLOWED};
	cases[nc++] = (struct policy_case){
	    rsa_pub(n, "4294967297"), false,
	    "certificate request RSA key: unsupported public exponent 4294967297 (it must be odd, "
	    "at least 3 and at most 2^31-1)"};
	cases[nc++] = (struct policy_case){
	    rsa_pub(n, "65536"), false,
	    "certificate request RSA key: unsupported public exponent 65536 (it must be odd, at "
	    "least 3 and at most 2^31-1)"};
	cases[nc++] = (struct policy_case){
	    gen_rsa_1024(), true,
	    "certificate request RSA key must be at least 2048 bits (256 bytes)"};
	for (size_t i = 0; i < nc; i++) {
		size_t len = 0;
		uint8_t *der;
		X509_REQ *csr = NULL;
		struct error err = {0};

		der = csr_der_for(cases[i].key, cases[i].has_private ? cases[i].key : rsa, &len);
		expect_fast_matches(der, len, false);
		assert_int_equal(csr_parse(der, len, &csr, &err), 0);
		if (cases[i].msg == NULL) {
			assert_int_equal(key_check_allowed(X509_REQ_get0_pubkey(csr),
							   "certificate request", &err),
					 0);
		} else {
			assert_int_equal(key_check_allowed(X509_REQ_get0_pubkey(csr),
							   "certificate request", &err),
					 -1);
			assert_string_equal(err.msg, cases[i].msg);
		}
		X509_REQ_free(csr);
		OPENSSL_free(der);
		if (cases[i].key != rsa)
			EVP_PKEY_free(cases[i].key);
	}
	BN_free(n);
	EVP_PKEY_free(rsa);
}

/* Key files: the same rule, "private key: ..." / "public key: ...". */
static void test_key_policy_files(void **state)
{
	static const struct {
		const char *curve;
		bool explicit_params;
		const char *msg;
	} cases[] = {
	    {"secp256k1", false, "private key: unsupported elliptic curve secp256k1 " ALLOWED},
	    {"P-256", true,
	     "private key: explicit elliptic curve parameters are not supported, only named "
	     "curves " ALLOWED},
	    {NULL, false, "private RSA key must be at least 2048 bits (256 bytes)"},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EVP_PKEY *key = cases[i].curve != NULL
				    ? ec_key(cases[i].curve, cases[i].explicit_params)
				    : gen_rsa_1024();
		BIO *bio = BIO_new(BIO_s_mem());
		char *data = NULL;
		long len;
		EVP_PKEY *back = NULL;
		struct error err = {0};

		assert_int_equal(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), 1);
		len = BIO_get_mem_data(bio, &data);
		assert_int_equal(
		    key_parse_private((const uint8_t *)data, (size_t)len, NULL, &back, &err), -1);
		assert_null(back);
		assert_int_equal(err.kind, ERR_INVALID);
		assert_string_equal(err.msg, cases[i].msg);
		BIO_reset(bio);
		assert_int_equal(PEM_write_bio_PUBKEY(bio, key), 1);
		len = BIO_get_mem_data(bio, &data);
		assert_int_equal(key_parse_public((const uint8_t *)data, (size_t)len, &back, &err),
				 -1);
		assert_null(back);
		assert_string_equal(err.msg + strlen("public"), cases[i].msg + strlen("private"));
		BIO_free(bio);
		EVP_PKEY_free(key);
	}
}

/* A certificate (unsigned: only its key matters here) for key. */
static X509 *cert_with_key(EVP_PKEY *key)
{
	X509 *x = X509_new();

	assert_non_null(x);
	assert_int_equal(X509_set_pubkey(x, key), 1);
	return x;
}

/* The key id is the SHA-256 of the SubjectPublicKeyInfo, the same for a compressed point. */
static void test_cert_key_id(void **state)
{
	EVP_PKEY *key = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
	unsigned char *der = NULL, md[32];
	char id[65], id2[65], *want;
	int len;
	X509 *a, *b, *c;
	(void)state;

	len = i2d_PUBKEY(key, &der);
	assert_true(len == 91);
	SHA256(der, (size_t)len, md);
	want = hex_encode(md, sizeof(md));
	a = cert_with_key(key);
	assert_int_equal(cert_key_id(a, id, NULL), 0);
	assert_string_equal(id, want);

	assert_int_equal(EVP_PKEY_set_utf8_string_param(key, "point-format", "compressed"), 1);
	b = cert_with_key(key);
	assert_int_equal(X509_get0_pubkey_bitstr(b)->length, 33); /* really compressed */
	assert_false(cert_same_key(a, b));
	assert_int_equal(cert_key_id(b, id2, NULL), 0);
	assert_string_equal(id2, want);

	c = cert_with_key(other);
	assert_int_equal(cert_key_id(c, id2, NULL), 0);
	assert_string_not_equal(id2, want);
	assert_false(cert_same_key(a, c));
	assert_true(cert_same_key(a, a));
	free(want);
	OPENSSL_free(der);
	X509_free(a);
	X509_free(b);
	X509_free(c);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_spec_parse),
	    cmocka_unit_test(test_cert_key_id),
	    cmocka_unit_test(test_csr_fast_path),
	    cmocka_unit_test(test_key_policy_ec),
	    cmocka_unit_test(test_key_policy_rsa),
	    cmocka_unit_test(test_key_policy_csr),
	    cmocka_unit_test(test_key_policy_files),
	    cmocka_unit_test(test_key_roundtrip),
	    cmocka_unit_test(test_ed25519_pkcs8_params),
	    cmocka_unit_test(test_ec_legacy_readable_by_openssl_cli),
	    cmocka_unit_test(test_read_openssl_fixtures),
	    cmocka_unit_test(test_malformed_prf_needs_the_rewrite),
	    cmocka_unit_test(test_key_parse_errors),
	    cmocka_unit_test(test_names_add_san),
	    cmocka_unit_test(test_csr_create_parse_verify),
	    cmocka_unit_test(test_csr_fixture_and_errors),
	    cmocka_unit_test(test_issue_ca),
	    cmocka_unit_test(test_issue_leaf),
	    cmocka_unit_test(test_issue_leaf_variants),
	    cmocka_unit_test(test_provisioner_ext_malformed),
	    cmocka_unit_test(test_random_serial),
	    cmocka_unit_test(test_reissue),
	    cmocka_unit_test(test_verify_chain),
	    cmocka_unit_test(test_cert_files),
	    cmocka_unit_test(test_signer_concurrent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
