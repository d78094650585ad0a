/* keycache.c - the public keys of accounts, parsed once.
 *
 * Every request after new-account is signed with an account's key, which its record keeps as a
 * JWK. Turning a JWK into a key costs more than the signature check itself on OpenSSL 3 (the
 * key is imported through the provider and its point validated with a scalar multiplication),
 * so the engine keeps the keys it has made, by the account's thumbprint (RFC 7638: SHA-256 of
 * the key's required members, computed when the record was written). A key change writes a new
 * thumbprint, so a replaced key is never found again; a deactivated account is refused from
 * its record before its key is looked at. The table is small and direct-mapped: a slot holds
 * the last key hashed to it, and a miss only costs the import it saves.
 */
#include <stdio.h>
#include <string.h>

#include "acme/internal.h"
#include "jose/jwk.h"

static size_t slot_of(const char *thumbprint)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (const char *s = thumbprint; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return (size_t)(h % ACME_KEY_CACHE_SLOTS);
}

int acme_account_key(struct acme *ac, const char *account, const char *thumbprint,
		     const json_t *jwk, EVP_PKEY **out, struct error *err)
{
	struct acme_cached_key *k;
	EVP_PKEY *key = NULL;

	*out = NULL;
	if (thumbprint[0] == '\0' || strlen(thumbprint) >= sizeof(k->thumbprint))
		return jwk_to_pkey(jwk, out, err); /* nothing to key it by */
	k = &ac->keys[slot_of(thumbprint)];
	pthread_mutex_lock(&ac->keys_lock);
	if (k->key != NULL && strcmp(k->thumbprint, thumbprint) == 0 &&
	    strcmp(k->account, account) == 0 && EVP_PKEY_up_ref(k->key) == 1)
		key = k->key;
	pthread_mutex_unlock(&ac->keys_lock);
	if (key != NULL) {
		*out = key;
		return 0;
	}
	if (jwk_to_pkey(jwk, &key, err) != 0)
		return -1;
	pthread_mutex_lock(&ac->keys_lock);
	if (EVP_PKEY_up_ref(key) == 1) {
		EVP_PKEY_free(k->key);
		k->key = key;
		snprintf(k->thumbprint, sizeof(k->thumbprint), "%s", thumbprint);
		snprintf(k->account, sizeof(k->account), "%s", account);
	}
	pthread_mutex_unlock(&ac->keys_lock);
	*out = key;
	return 0;
}

void acme_account_keys_free(struct acme *ac)
{
	for (size_t i = 0; i < ACME_KEY_CACHE_SLOTS; i++) {
		EVP_PKEY_free(ac->keys[i].key);
		ac->keys[i].key = NULL;
	}
}
