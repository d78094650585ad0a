/* fuzz_token.c - JWS parsing and verification from arbitrary bytes (one-time tokens, renew
 * tokens), and the CLI's reading of a token given with --token.
 *
 * Invariants: a parsed JWS has a header and payload object and a signing input that is the
 * prefix of the token up to the second dot; token_flow_inspect accepts what jws_parse
 * accepts.
 */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/token_flow.h"
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
	struct token_info ti = {0};
	char *s;
	int64_t t;
	int present, parsed;

	if (size > JWS_MAX_LEN + 1)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	parsed = jws_parse(s, size, &jws, NULL) == 0;
	if (parsed) {
		if (!json_is_object(jws.header) || !json_is_object(jws.payload) ||
		    jws.signing_input_len > size ||
		    memcmp(jws.signing_input, s, jws.signing_input_len) != 0 ||
		    s[jws.signing_input_len] != '.')
			abort();
		(void)jws_verify(&jws, fuzz_key(), NULL);
		(void)jwt_claim_str(&jws, "sub");
		(void)jwt_claim_time(&jws, "exp", &t, &present);
		(void)jwt_claim_time(&jws, "nbf", &t, &present);
	}
	jws_free(&jws);
	if (token_flow_inspect(s, &ti, NULL) == 0) {
		token_info_free(&ti);
	} else if (parsed && strlen(s) == size) {
		abort();
	}
	free(s);
	return 0;
}
