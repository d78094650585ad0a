/* fuzz_jwe.c - password JWEs: a provisioner's encryptedKey in ca.json and in a CA's
 * /provisioners and /provisioners/{kid}/encrypted-key answers.
 *
 * Decrypts with the password of the seeds ("password"), skipping headers that ask for an
 * expensive p2c (fuzz_util.h). Invariants: a failure is ERR_INVALID
 * with nothing returned; a plaintext is NUL-terminated, re-encrypts and decrypts back to the
 * same bytes; the plaintext is then read as the JWK it should be, as the CLI does.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "jose/jwe.h"
#include "jose/jwk.h"

#include "fuzz_util.h"

#define FUZZ_PASSWORD "password"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *compact, *again = NULL;
	uint8_t *plain = NULL, *back = NULL;
	size_t plain_len = 0, back_len = 0;
	struct error err = {0};

	if (size > JWE_MAX_LEN + 1)
		return 0;
	compact = xmalloc(size + 1);
	memcpy(compact, data, size);
	compact[size] = '\0';
	if (!fuzz_jwe_ok(compact)) /* expensive p2c: skip (fuzz_util.h) */
		goto out;
	if (jwe_decrypt_password(compact, FUZZ_PASSWORD, &plain, &plain_len, &err) != 0) {
		if (plain != NULL || err.kind != ERR_INVALID) {
			fprintf(stderr, "jwe: failure with kind %s: %s\n", err_kind_name(err.kind),
				err.msg);
			abort();
		}
		goto out;
	}
	if (plain == NULL || plain[plain_len] != '\0')
		abort();
	if (jwe_encrypt_password(plain, plain_len, FUZZ_PASSWORD, 1000, "jwk+json", &again, &err) !=
		0 ||
	    jwe_decrypt_password(again, FUZZ_PASSWORD, &back, &back_len, &err) != 0 ||
	    back_len != plain_len || memcmp(back, plain, plain_len) != 0) {
		fprintf(stderr, "jwe: re-encryption round trip failed: %s\n", err.msg);
		abort();
	}
	{
		json_t *jwk = json_loadb((const char *)plain, plain_len, 0, NULL);
		EVP_PKEY *key = NULL;
		if (jwk != NULL && jwk_to_pkey(jwk, &key, NULL) == 0)
			EVP_PKEY_free(key);
		json_decref(jwk);
	}
out:
	free(plain);
	free(back);
	free(again);
	free(compact);
	return 0;
}
