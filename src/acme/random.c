/* random.c - the random IDs of ACME objects. */
#include <openssl/crypto.h>

#include "acme/internal.h"
#include "crypto/random.h"

static const char id_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

int acme_random_id(char out[ACME_ID_LEN + 1], struct error *err)
{
	uint8_t buf[48];
	size_t n = 0;
	int rc = -1;

	/* rejection sampling: bytes >= 248 (= 4 * 62) are dropped so that byte % 62 is uniform */
	while (n < ACME_ID_LEN) {
		if (crypto_random_bytes(buf, sizeof(buf)) != 0) {
			err_openssl(err, ERR_CRYPTO, "cannot generate a random ID");
			goto out;
		}
		for (size_t i = 0; i < sizeof(buf) && n < ACME_ID_LEN; i++)
			if (buf[i] < 248)
				out[n++] = id_alphabet[buf[i] % 62];
	}
	out[n] = '\0';
	rc = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc != 0)
		out[0] = '\0';
	return rc;
}
