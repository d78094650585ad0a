/* nonce.c - anti-replay nonces (RFC 8555 §6.5) that any instance can check without state.
 *
 * A nonce is the unpadded base64url (43 characters) of 32 bytes:
 *   8 bytes  issue time, milliseconds since the epoch, big-endian
 *   8 bytes  random
 *   16 bytes HMAC-SHA256 of the first 16 bytes under the nonce key, truncated
 * The key is shared by every instance (ACME_COL_SECRETS), so a nonce one instance issued
 * checks on another; single use is recorded in the store by the engine.
 */
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "acme/internal.h"
#include "base/duration.h"
#include "base/b64.h"
#include "crypto/random.h"

#define NONCE_RAW    32
#define NONCE_DATA   16 /* time + random: what the MAC covers */
#define TXT_NOT_OURS "nonce is not one this server issued"

/* HMAC() fetches the algorithm and prepares the key on every call, which costs more than the
 * MAC itself; a context prepared once for the key is copied instead. One key is kept (every
 * engine of a process normally shares one; another key replaces it). */
static pthread_mutex_t mac_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t mac_key[ACME_NONCE_KEY_LEN];
static EVP_MAC_CTX *mac_base; /* prepared for mac_key; NULL: none yet */

/* A MAC context ready for data under key (owned by the caller), or NULL. */
static EVP_MAC_CTX *mac_ctx(const uint8_t key[ACME_NONCE_KEY_LEN])
{
	EVP_MAC_CTX *ctx = NULL;

	pthread_mutex_lock(&mac_lock);
	if (mac_base == NULL || CRYPTO_memcmp(mac_key, key, ACME_NONCE_KEY_LEN) != 0) {
		EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		EVP_MAC_CTX *base = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
		OSSL_PARAM params[] = {
		    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		    OSSL_PARAM_construct_end()};

		EVP_MAC_free(mac);
		if (base != NULL && EVP_MAC_init(base, key, ACME_NONCE_KEY_LEN, params) != 1) {
			EVP_MAC_CTX_free(base);
			base = NULL;
		}
		if (base != NULL) {
			EVP_MAC_CTX_free(mac_base);
			mac_base = base;
			memcpy(mac_key, key, ACME_NONCE_KEY_LEN);
		}
	}
	if (mac_base != NULL && CRYPTO_memcmp(mac_key, key, ACME_NONCE_KEY_LEN) == 0)
		ctx = EVP_MAC_CTX_dup(mac_base);
	pthread_mutex_unlock(&mac_lock);
	return ctx;
}

/* The truncated MAC of data under key into mac (NONCE_RAW - NONCE_DATA bytes). */
static int nonce_mac(const uint8_t key[ACME_NONCE_KEY_LEN], const uint8_t *data, uint8_t *mac)
{
	uint8_t full[EVP_MAX_MD_SIZE];
	size_t full_len = 0;
	EVP_MAC_CTX *ctx = mac_ctx(key);
	int rc = -1;

	if (ctx != NULL && EVP_MAC_update(ctx, data, NONCE_DATA) == 1 &&
	    EVP_MAC_final(ctx, full, &full_len, sizeof(full)) == 1 &&
	    full_len >= NONCE_RAW - NONCE_DATA) {
		memcpy(mac, full, NONCE_RAW - NONCE_DATA);
		rc = 0;
	}
	EVP_MAC_CTX_free(ctx);
	OPENSSL_cleanse(full, sizeof(full));
	return rc;
}

int acme_nonce_new(const uint8_t key[ACME_NONCE_KEY_LEN], int64_t now_ns,
		   char out[ACME_NONCE_LEN + 1], struct error *err)
{
	uint8_t raw[NONCE_RAW];
	uint64_t ms = (uint64_t)(now_ns / NS_PER_MS);
	char *enc = NULL;
	int rc = -1;

	out[0] = '\0';
	if (now_ns < 0)
		return err_set(err, ERR_INTERNAL, "cannot issue a nonce before 1970");
	for (int i = 0; i < 8; i++)
		raw[i] = (uint8_t)(ms >> (56 - 8 * i));
	if (crypto_random_bytes(raw + 8, 8) != 0) {
		err_openssl(err, ERR_CRYPTO, "cannot generate a nonce");
		goto out;
	}
	if (nonce_mac(key, raw, raw + NONCE_DATA) != 0) {
		err_openssl(err, ERR_CRYPTO, "cannot compute a nonce MAC");
		goto out;
	}
	enc = b64url_encode(raw, sizeof(raw));
	if (enc == NULL || strlen(enc) != ACME_NONCE_LEN) {
		err_set(err, ERR_INTERNAL, "cannot encode a nonce");
		goto out;
	}
	memcpy(out, enc, ACME_NONCE_LEN + 1);
	rc = 0;
out:
	free(enc);
	return rc;
}

int acme_nonce_check(const uint8_t key[ACME_NONCE_KEY_LEN], const char *nonce, int64_t now_ns,
		     int64_t *issued_ns, struct acme_problem *p)
{
	uint8_t raw[NONCE_RAW + 1], mac[NONCE_RAW - NONCE_DATA];
	size_t raw_len = 0;
	uint64_t ms = 0;
	int64_t issued;

	if (issued_ns != NULL)
		*issued_ns = 0;
	if (nonce == NULL || strnlen(nonce, ACME_NONCE_LEN + 1) != ACME_NONCE_LEN ||
	    !b64url_decode_strict_to(nonce, ACME_NONCE_LEN, raw, &raw_len) || raw_len != NONCE_RAW)
		return acme_fail(p, ACME_PROB_BAD_NONCE, TXT_NOT_OURS);
	if (nonce_mac(key, raw, mac) != 0) {
		ERR_clear_error();
		return acme_fail(p, ACME_PROB_SERVER_INTERNAL, "cannot compute a nonce MAC");
	}
	if (CRYPTO_memcmp(mac, raw + NONCE_DATA, sizeof(mac)) != 0)
		return acme_fail(p, ACME_PROB_BAD_NONCE, TXT_NOT_OURS);
	for (int i = 0; i < 8; i++)
		ms = ms << 8 | raw[i];
	/* a MAC'd time is ours, so it is in range; guard anyway against a leaked key */
	if (ms > (uint64_t)(INT64_MAX / NS_PER_MS))
		return acme_fail(p, ACME_PROB_BAD_NONCE, TXT_NOT_OURS);
	issued = (int64_t)ms * NS_PER_MS;
	if (issued > now_ns)
		return acme_fail(p, ACME_PROB_BAD_NONCE, "nonce was issued in the future");
	if (now_ns - issued > ACME_NONCE_LIFETIME_NS)
		return acme_fail(p, ACME_PROB_BAD_NONCE, "nonce has expired");
	if (issued_ns != NULL)
		*issued_ns = issued;
	return 0;
}
