/* fuzz_token.c - JWS parsing and verification from arbitrary bytes. */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jose/jws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *fuzz_key(void)
{
	static EVP_PKEY *key;

	if (key == NULL)
		key = EVP_EC_gen("P-256");
	return key;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jws jws = {0};
	char *s = malloc(size + 1);
	int64_t t;
	int present;

	memcpy(s, data, size);
	s[size] = '\0';
	if (jws_parse(s, size, &jws, NULL) == 0) {
		(void)jws_verify(&jws, fuzz_key(), NULL);
		(void)jwt_claim_str(&jws, "sub");
		(void)jwt_claim_time(&jws, "exp", &t, &present);
	}
	jws_free(&jws);
	free(s);
	return 0;
}
