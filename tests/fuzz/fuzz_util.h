/* fuzz_util.h - helpers the fuzz targets share.
 *
 * Key files and JWEs may ask for up to 10,000,000 PBKDF2 iterations (the parsers' own
 * bound: seconds of CPU, fine for a file the user chose). A fuzzer that mutates the count
 * would spend its time in PBKDF2 and report timeouts, so the targets skip the decryption of
 * inputs asking for more than FUZZ_KDF_ITER_MAX iterations (counts above the parsers' bound,
 * which they refuse without any work, are still passed on).
 */
#ifndef STRIDE_FUZZ_UTIL_H
#define STRIDE_FUZZ_UTIL_H

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"

#define FUZZ_KDF_ITER_MAX   10000
#define FUZZ_KDF_PARSER_MAX 10000000 /* PBKDF2_ITER_MAX in key.c, P2C_MAX in jwe.c */
#define FUZZ_UNUSED	    __attribute__((unused))

static bool fuzz_kdf_count_ok(uint64_t iter)
{
	return iter <= FUZZ_KDF_ITER_MAX || iter > FUZZ_KDF_PARSER_MAX;
}

/* False when DER holds a PBKDF2 AlgorithmIdentifier whose iteration count is expensive or
 * cannot be read (PBKDF2-params: SEQUENCE { OCTET STRING salt, INTEGER count, ... }). */
static bool fuzz_kdf_der_ok(const uint8_t *p, size_t n)
{
	static const uint8_t oid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
				      0xf7, 0x0d, 0x01, 0x05, 0x0c};

	for (size_t i = 0; i + sizeof(oid) <= n; i++) {
		const uint8_t *q = p + i + sizeof(oid), *end = p + n;
		size_t len;
		uint64_t iter = 0;

		if (memcmp(p + i, oid, sizeof(oid)) != 0)
			continue;
		/* SEQUENCE with a one- or two-byte length */
		if (end - q < 2 || q[0] != 0x30)
			return false;
		q += q[1] < 0x80 ? 2 : 2 + (q[1] & 0x7f);
		/* salt */
		if (end - q < 2 || q[0] != 0x04 || q[1] >= 0x80)
			return false;
		q += 2 + q[1];
		/* count */
		if (end - q < 2 || q[0] != 0x02 || q[1] > 8 || (size_t)(end - q) < 2u + q[1])
			return false;
		len = q[1];
		for (size_t k = 0; k < len; k++)
			iter = iter << 8 | q[2 + k];
		if (!fuzz_kdf_count_ok(iter))
			return false;
	}
	return true;
}

/* fuzz_kdf_der_ok over the input and, when it is PEM, over every PEM block's DER. */
FUZZ_UNUSED static bool fuzz_kdf_ok(const uint8_t *data, size_t size)
{
	BIO *bio;
	bool ok = fuzz_kdf_der_ok(data, size);

	if (!ok || memmem(data, size, "-----BEGIN ", 11) == NULL || size > INT32_MAX)
		return ok;
	bio = BIO_new_mem_buf(data, (int)size);
	while (ok && bio != NULL) {
		char *name = NULL, *header = NULL;
		unsigned char *der = NULL;
		long len = 0;

		if (!PEM_read_bio(bio, &name, &header, &der, &len))
			break;
		ok = fuzz_kdf_der_ok(der, (size_t)len);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(der);
	}
	BIO_free(bio);
	ERR_clear_error();
	return ok;
}

/* False when the protected header of a compact JWE asks for an expensive p2c. */
FUZZ_UNUSED static bool fuzz_jwe_ok(const char *compact)
{
	const char *dot = strchr(compact, '.');
	uint8_t *raw = NULL;
	size_t len = 0;
	json_t *hdr, *p2c;
	bool ok = true;

	if (dot == NULL || b64url_decode(compact, (size_t)(dot - compact), &raw, &len, NULL) != 0)
		return true; /* refused before any key derivation */
	hdr = json_loadb((const char *)raw, len, 0, NULL);
	p2c = json_object_get(hdr, "p2c");
	if (json_is_integer(p2c))
		ok = json_integer_value(p2c) < 0 ||
		     fuzz_kdf_count_ok((uint64_t)json_integer_value(p2c));
	json_decref(hdr);
	free(raw);
	return ok;
}

#endif
