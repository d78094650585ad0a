/* test_keys.h - a new key for a unit test (after <cmocka.h>: a failure fails the test). */
#ifndef STRIDE_TESTS_TEST_KEYS_H
#define STRIDE_TESTS_TEST_KEYS_H

#include <openssl/evp.h>

#include "crypto/key.h"

/* A new key of kind kty: nid names the curve (EC, OKP), bits the RSA size. */
static inline EVP_PKEY *gen(enum key_kty kty, int nid, int bits)
{
	struct key_spec spec = {.kty = kty, .nid = nid, .rsa_bits = bits};
	EVP_PKEY *key = NULL;
	struct error err = {0};

	if (key_generate(&spec, &key, &err) != 0)
		fail_msg("%s", err.msg);
	return key;
}

#endif
