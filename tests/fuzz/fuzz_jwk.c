/* fuzz_jwk.c - JSON Web Keys: provisioner keys in ca.json and token headers, --key files and
 * the decrypted encryptedKey a CA sends the CLI.
 *
 * Invariants for every key jwk_to_pkey accepts: it converts back to a JWK (kid = RFC 7638
 * thumbprint) that parses to the same public key with the same thumbprint; EC and Ed25519
 * private keys (pairwise-checked on load) sign a JWS that verifies with the key.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/key.h"
#include "jose/jwk.h"
#include "jose/jws.h"

#define FUZZ_MAX_JWK (16 * 1024) /* an RSA-8192 private JWK is about 6 KiB */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const struct error *err)
{
	fprintf(stderr, "jwk invariant broken: %s: %s\n", what, err != NULL ? err->msg : "");
	abort();
}

static void check_signs(EVP_PKEY *key)
{
	json_t *claims = json_pack("{s:s}", "sub", "fuzz");
	struct jws jws = {0};
	struct error err = {0};
	char *compact = NULL;

	if (jws_sign(NULL, claims, key, &compact, &err) != 0)
		fail("a loaded private key cannot sign", &err);
	if (jws_parse(compact, strlen(compact), &jws, &err) != 0 ||
	    jws_verify(&jws, key, &err) != 0)
		fail("a signature does not verify", &err);
	jws_free(&jws);
	free(compact);
	json_decref(claims);
}

/* Whether the JWK loads within a few more tries (see the RSA note below); *out gets the key. */
static bool loads_on_retry(const json_t *jwk, EVP_PKEY **out)
{
	for (int i = 0; i < 16; i++)
		if (jwk_to_pkey(jwk, out, NULL) == 0)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *jwk, *back = NULL;
	EVP_PKEY *key = NULL, *again = NULL;
	struct error err = {0};
	char t1[44], t2[44];
	bool priv;
	const char *kty, *kid;

	if (size > FUZZ_MAX_JWK)
		return 0;
	jwk = json_loadb((const char *)data, size, 0, NULL);
	if (jwk == NULL)
		return 0;
	if (jwk_to_pkey(jwk, &key, &err) != 0) {
		if (key != NULL)
			fail("key set on failure", &err);
		goto out;
	}
	priv = json_object_get(jwk, "d") != NULL;
	kty = key_kty_name(key);
	if (kty == NULL || key_jws_alg(key) == NULL)
		fail("loaded key of unknown type", NULL);
	back = jwk_from_pkey(key, priv, &err);
	if (back == NULL)
		fail("jwk_from_pkey refuses a key jwk_to_pkey made", &err);
	if (jwk_to_pkey(back, &again, &err) != 0) {
		/* OpenSSL's RSA public check tests n with Miller-Rabin on random bases, so a
		 * modulus with small factors can pass once and fail the next time. Only a refusal
		 * that repeats breaks the round trip. */
		if (strcmp(kty, "RSA") == 0 && loads_on_retry(back, &again))
			err_clear(&err);
		else
			fail("jwk_to_pkey refuses what jwk_from_pkey wrote", &err);
	}
	if (!key_public_equal(key, again))
		fail("round trip changes the public key", NULL);
	if (jwk_thumbprint(key, t1, &err) != 0 || jwk_thumbprint(again, t2, &err) != 0)
		fail("no thumbprint", &err);
	kid = json_string_value(json_object_get(back, "kid"));
	if (strcmp(t1, t2) != 0 || kid == NULL || strcmp(t1, kid) != 0)
		fail("thumbprint differs", NULL);
	/* RSA private keys are not pairwise-checked on load (see rsa_from_jwk). */
	if (priv && strcmp(kty, "RSA") != 0)
		check_signs(key);
out:
	EVP_PKEY_free(again);
	EVP_PKEY_free(key);
	json_decref(back);
	json_decref(jwk);
	return 0;
}
