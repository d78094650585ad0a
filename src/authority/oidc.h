/* oidc.h - what oidc.c and oidc_keys.c share: an OIDC provisioner's settings and the identity
 * provider's discovery document and keys, fetched on first use and cached.
 */
#ifndef STRIDE_AUTHORITY_OIDC_H
#define STRIDE_AUTHORITY_OIDC_H

#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>

#include "base/error.h"
#include "base/str.h"

/* step-ca caches a key set for its Cache-Control max-age, else 12 hours. */
#define OIDC_DEFAULT_CACHE_SEC (12 * 3600)
/* A token whose kid the cached set lacks makes the set be fetched again, at most this often
 * (a stream of made-up kids costs the identity provider one request per interval). */
#define OIDC_UNKNOWN_KID_REFRESH_SEC 10

struct oidc_key {
	char *kid; /* "" when the key has none */
	EVP_PKEY *key;
};

struct oidc_provider {
	/* settings (strings borrowed from the provisioner's configuration) */
	const char *client_id;
	const char *tenant_id; /* NULL when absent */
	char *discovery_url;   /* configurationEndpoint, ending in the well-known path */
	struct strv admins, domains, groups;

	/* the identity provider, guarded by lock: fetched on the first token */
	pthread_mutex_t lock;
	bool discovered;
	char *issuer; /* with {tenantid} replaced */
	char *jwks_uri;
	struct oidc_key *keys;
	size_t n_keys;
	int64_t keys_expire_sec;   /* refetch the set after this time */
	int64_t last_unknown_sec;  /* the last refetch for an unknown kid */
	int64_t failed_sec;	   /* when the discovery last failed (0: never) */
	char failure[ERR_MSG_MAX]; /* and why */
};

/* The keys with this kid ("" for a token without one) and the issuer, fetching the discovery
 * document and the key set on first use, again when the set expired, and (rate-limited) when
 * no key has the kid. *keys holds references the caller frees (oidc_keys_free); *issuer is
 * malloc'd. Failures to reach the identity provider are ERR_UNAUTHORIZED (the token cannot be
 * validated), their detail for the log. */
int oidc_keys_get(struct oidc_provider *o, const char *kid, struct oidc_key **keys, size_t *n,
		  char **issuer, struct error *err);
void oidc_keys_free(struct oidc_key *keys, size_t n);
/* Drops the cached state (oidc_clear). */
void oidc_cache_clear(struct oidc_provider *o);

#endif
