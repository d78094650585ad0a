/* fuzz_acme_jws.c - the JWS body of every ACME POST and the externalAccountBinding object of
 * new-account, as a remote client sends them; and the Replay-Nonce a client echoes.
 *
 * Invariants: a parsed JWS has a protected header object with "alg", exactly one of "jwk" and
 * "kid", a NUL-terminated payload of payload_len bytes and a signing input
 * "<protected>.<payload>"; a refusal fills a problem with a type and a detail and leaves the
 * struct zeroed. An embedded key that loads verifies or refuses without crashing; so does a
 * parsed EAB with a fixed HMAC key.
 */
#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme/internal.h"

#define FUZZ_URL "https://fuzz.example/acme/acme/new-account"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "acme jws invariant broken: %s\n", what);
	abort();
}

static EVP_PKEY *fuzz_key(void)
{
	static EVP_PKEY *key;

	if (key == NULL)
		key = EVP_EC_gen("P-256");
	return key;
}

static bool zeroed(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static void check_refusal(const struct acme_problem *p)
{
	if (p->type == ACME_PROB_NONE || p->detail[0] == '\0')
		fail("a refusal without a problem");
}

static void fuzz_jws(const uint8_t *data, size_t size)
{
	struct acme_jws j;
	struct acme_problem p = {0};
	EVP_PKEY *key = NULL;
	const char *dot;

	if (acme_jws_parse(data, size, &j, &p) != 0) {
		check_refusal(&p);
		if (!zeroed(&j, sizeof(j)))
			fail("a refused JWS keeps allocations");
		return;
	}
	if (!json_is_object(j.header) || j.alg == NULL || (j.jwk == NULL) == (j.kid == NULL) ||
	    j.payload == NULL || j.payload[j.payload_len] != '\0' || j.sig == NULL ||
	    j.sig_len == 0 || j.signing_input == NULL ||
	    strlen(j.signing_input) != j.signing_input_len)
		fail("a parsed JWS is incomplete");
	dot = strchr(j.signing_input, '.');
	if (dot == NULL || strchr(dot + 1, '.') != NULL)
		fail("signing input is not <protected>.<payload>");
	if (j.jwk != NULL) {
		memset(&p, 0, sizeof(p));
		if (acme_jws_jwk_key(&j, &key, &p) == 0) {
			if (key == NULL)
				fail("no key");
			if (acme_jws_verify(&j, key, &p) != 0)
				check_refusal(&p);
		} else {
			check_refusal(&p);
			if (key != NULL)
				fail("key set on failure");
		}
	} else {
		memset(&p, 0, sizeof(p));
		if (acme_jws_verify(&j, fuzz_key(), &p) != 0)
			check_refusal(&p);
	}
	EVP_PKEY_free(key);
	acme_jws_free(&j);
}

static void fuzz_eab(const uint8_t *data, size_t size)
{
	static const uint8_t hmac_key[32] = "fuzz eab hmac key, 32 bytes long";
	struct acme_eab e;
	struct acme_problem p = {0};
	json_t *doc = json_loadb((const char *)data, size, 0, NULL);

	if (doc == NULL)
		return;
	if (acme_eab_parse(doc, FUZZ_URL, &e, &p) != 0) {
		check_refusal(&p);
		if (!zeroed(&e, sizeof(e)))
			fail("a refused EAB keeps allocations");
	} else {
		if (!json_is_object(e.header) || !json_is_object(e.payload) || e.kid == NULL ||
		    e.kid[0] == '\0' || e.alg == NULL || e.alg[0] != 'H')
			fail("a parsed EAB is incomplete");
		memset(&p, 0, sizeof(p));
		if (acme_eab_verify(&e, hmac_key, sizeof(hmac_key), &p) != 0 &&
		    p.type != ACME_PROB_UNAUTHORIZED)
			fail("an EAB refusal that is not unauthorized");
		acme_eab_free(&e);
	}
	json_decref(doc);
}

static void fuzz_nonce(const uint8_t *data, size_t size)
{
	static const uint8_t nonce_key[ACME_NONCE_KEY_LEN] = "fuzz nonce key, 32 bytes long...";
	struct acme_problem p = {0};
	char s[ACME_NONCE_LEN + 2];
	int64_t issued;

	if (size > ACME_NONCE_LEN + 1 || memchr(data, '\0', size) != NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (acme_nonce_check(nonce_key, s, 1700000000000000000LL, &issued, &p) == 0)
		fail("a nonce this key never issued passes");
	check_refusal(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > ACME_JWS_MAX + 1)
		return 0;
	fuzz_jws(data, size);
	fuzz_eab(data, size);
	fuzz_nonce(data, size);
	return 0;
}
