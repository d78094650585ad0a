/* fuzz_csr_der.c - the hand-written CSR parser against OpenSSL's, byte for byte.
 *
 * Whenever csr_parse_der_fast accepts an input, d2i_X509_REQ must accept it too, consume all
 * of it, and both objects must encode identically and carry the same public key, which the key
 * policy (key_check_allowed) judges alike: the fast path lets no refused key through.
 */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/csr.h"
#include "crypto/key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_same(X509_REQ *fast, const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	X509_REQ *slow = d2i_X509_REQ(NULL, &p, (long)size);
	unsigned char *a = NULL, *b = NULL;
	int na, nb;

	if (slow == NULL || p != data + size)
		abort(); /* the fast path accepted what OpenSSL refuses */
	na = i2d_X509_REQ(fast, &a);
	nb = i2d_X509_REQ(slow, &b);
	if (na <= 0 || na != nb || memcmp(a, b, (size_t)na) != 0 ||
	    EVP_PKEY_eq(X509_REQ_get0_pubkey(fast), X509_REQ_get0_pubkey(slow)) != 1)
		abort();
	{
		struct error ef = {0}, es = {0};
		int rf = key_check_allowed(X509_REQ_get0_pubkey(fast), "certificate request", &ef);
		int rs = key_check_allowed(X509_REQ_get0_pubkey(slow), "certificate request", &es);
		if (rf != rs || strcmp(ef.msg, es.msg) != 0)
			abort();
	}
	OPENSSL_free(a);
	OPENSSL_free(b);
	X509_REQ_free(slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	X509_REQ *fast;

	if (size > 65536)
		return 0;
	fast = csr_parse_der_fast(data, size);
	if (fast != NULL) {
		check_same(fast, data, size);
		X509_REQ_free(fast);
	}
	return 0;
}
