/* fuzz_key.c - private and public key files: PKCS#8 (plain and PBES2-encrypted, with step's
 * malformed PRF), SEC1 and PKCS#1 with RFC 1421 encryption, DER; "PUBLIC KEY" PEM and DER.
 *
 * The password is "password" (the seeds' password). Invariants: key_pem_is_encrypted agrees
 * with what parsing without a password says; a loaded key has a JWS algorithm, serialises to
 * PEM (plain and encrypted) and reads back with the same public key; a public key
 * serialises and reads back.
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/password.h"
#include "crypto/key.h"

#include "fuzz_util.h"

#define FUZZ_MAX_KEY  (64 * 1024) /* an RSA-8192 key file is about 6.5 KiB */
#define FUZZ_PASSWORD "password"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const struct error *err)
{
	fprintf(stderr, "key invariant broken: %s: %s\n", what, err != NULL ? err->msg : "");
	abort();
}

static void check_private(EVP_PKEY *key)
{
	EVP_PKEY *back = NULL;
	struct error err = {0};
	char *pem = NULL;

	if (key_jws_alg(key) == NULL || key_kty_name(key) == NULL)
		fail("a loaded private key has no JWS algorithm", NULL);
	if (key_private_to_pem(key, NULL, &pem, &err) != 0)
		fail("a loaded private key does not serialise", &err);
	if (key_parse_private((const uint8_t *)pem, strlen(pem), NULL, &back, &err) != 0)
		fail("a serialised private key does not parse", &err);
	if (!key_public_equal(key, back))
		fail("private key round trip changes the key", NULL);
	EVP_PKEY_free(back);
	password_free(pem);
	pem = NULL;
	back = NULL;
	/* Ed25519 is written as PKCS#8 with 600000 PBKDF2 iterations: too slow to do here. */
	if (strcmp(key_kty_name(key), "OKP") != 0) {
		if (key_private_to_pem(key, FUZZ_PASSWORD, &pem, &err) != 0 ||
		    !key_pem_is_encrypted((const uint8_t *)pem, strlen(pem)) ||
		    key_parse_private((const uint8_t *)pem, strlen(pem), FUZZ_PASSWORD, &back,
				      &err) != 0 ||
		    !key_public_equal(key, back))
			fail("encrypted private key round trip", &err);
		EVP_PKEY_free(back);
		password_free(pem);
	}
}

static void check_public(EVP_PKEY *key)
{
	EVP_PKEY *back = NULL;
	struct error err = {0};
	char *pem = NULL;

	if (key_public_to_pem(key, &pem, &err) != 0 ||
	    key_parse_public((const uint8_t *)pem, strlen(pem), &back, &err) != 0 ||
	    !key_public_equal(key, back))
		fail("public key round trip", &err);
	EVP_PKEY_free(back);
	free(pem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EVP_PKEY *key = NULL;
	struct error err = {0};
	bool enc;
	int rc;

	if (size > FUZZ_MAX_KEY)
		return 0;
	enc = key_pem_is_encrypted(data, size);
	rc = key_parse_private(data, size, NULL, &key, &err);
	if (rc == 0 && enc)
		fail("parsed without a password what key_pem_is_encrypted calls encrypted", NULL);
	if (rc != 0 && key != NULL)
		fail("key set on failure", &err);
	if (rc != 0 && enc && fuzz_kdf_ok(data, size))
		rc = key_parse_private(data, size, FUZZ_PASSWORD, &key, &err);
	if (rc == 0) {
		check_private(key);
		EVP_PKEY_free(key);
		key = NULL;
	}
	if (key_parse_public(data, size, &key, &err) == 0) {
		check_public(key);
		EVP_PKEY_free(key);
	}
	return 0;
}
