/* oidc_keys.c - the identity provider's discovery document and key set (JWKS), fetched with
 * the CA's HTTP client and cached per provisioner.
 *
 * step-ca 0.19 fetches both when the configuration loads and refuses to start when the
 * identity provider cannot be reached; stride fetches them when the first token arrives, so
 * that an identity provider that is down (or a test configuration naming one) never keeps the
 * CA from serving its other provisioners. The key set is kept for its Cache-Control max-age
 * (else 12 hours) as step-ca does, and fetched again, at most every
 * OIDC_UNKNOWN_KID_REFRESH_SEC, for a token whose kid it lacks: the identity provider rotated
 * its keys.
 *
 * Tokens are authorised on worker threads (and, with PostgreSQL, pool threads): every access
 * holds the provider's lock; the caller gets references to the keys and verifies outside it.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority/oidc.h"
#include "base/duration.h"
#include "client/http_fetch.h"
#include "jose/jwk.h"

void oidc_keys_free(struct oidc_key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(keys[i].kid);
		EVP_PKEY_free(keys[i].key);
	}
	free(keys);
}

void oidc_cache_clear(struct oidc_provider *o)
{
	oidc_keys_free(o->keys, o->n_keys);
	o->keys = NULL;
	o->n_keys = 0;
	free(o->issuer);
	free(o->jwks_uri);
	o->issuer = o->jwks_uri = NULL;
	o->discovered = false;
}

/* GET url and decode its JSON object; *max_age the Cache-Control max-age or -1. */
static int get_json(const char *url, json_t **out, int64_t *max_age, struct error *err)
{
	struct http_fetch_result r;
	json_error_t je;

	*out = NULL;
	if (http_fetch(url, NULL, &r, err) != 0)
		return -1;
	if (r.status != 200) {
		err_set(err, ERR_NETWORK, "error reading %s: HTTP status %ld", url, r.status);
		http_fetch_result_free(&r);
		return -1;
	}
	*out = json_loadb(r.body, r.body_len, 0, &je);
	if (max_age != NULL)
		*max_age = r.max_age;
	http_fetch_result_free(&r);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return err_set(err, ERR_INVALID, "error reading %s: %s", url,
			       je.text[0] != '\0' ? je.text : "not a JSON object");
	}
	return 0;
}

/* issuer and jwks_uri of the discovery document, {tenantid} in the issuer replaced by tenantID
 * (Azure AD's multi-tenant documents), as step-ca does. */
static int discover(struct oidc_provider *o, struct error *err)
{
	json_t *doc = NULL;
	const char *iss, *jwks;
	int rc = -1;

	if (get_json(o->discovery_url, &doc, NULL, err) != 0)
		return -1;
	iss = json_string_value(json_object_get(doc, "issuer"));
	jwks = json_string_value(json_object_get(doc, "jwks_uri"));
	if (iss == NULL || iss[0] == '\0') {
		err_set(err, ERR_INVALID, "error parsing %s: issuer cannot be empty",
			o->discovery_url);
		goto out;
	}
	if (jwks == NULL || jwks[0] == '\0') {
		err_set(err, ERR_INVALID, "error parsing %s: jwks_uri cannot be empty",
			o->discovery_url);
		goto out;
	}
	free(o->issuer);
	free(o->jwks_uri);
	o->issuer = xstrdup(iss);
	o->jwks_uri = xstrdup(jwks);
	if (o->tenant_id != NULL && o->tenant_id[0] != '\0') {
		char *t = str_replace_all(o->issuer, "{tenantid}", o->tenant_id);
		free(o->issuer);
		o->issuer = t;
	}
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

/* Fetches the key set. Keys stride cannot use (symmetric, encryption-only, unknown types)
 * are skipped: the others still verify tokens. */
static int fetch_keys(struct oidc_provider *o, struct error *err)
{
	json_t *doc = NULL, *item;
	const json_t *list;
	struct oidc_key *keys = NULL;
	size_t n = 0, i;
	int64_t max_age = -1, now = time_now_ns() / NS_PER_SEC;

	if (get_json(o->jwks_uri, &doc, &max_age, err) != 0)
		return -1;
	list = json_object_get(doc, "keys");
	if (!json_is_array(list)) {
		json_decref(doc);
		return err_set(err, ERR_INVALID, "error reading %s: no keys", o->jwks_uri);
	}
	keys = xcalloc(json_array_size(list) + 1, sizeof(*keys));
	json_array_foreach(list, i, item)
	{
		const char *kid = json_string_value(json_object_get(item, "kid"));
		const char *use = json_string_value(json_object_get(item, "use"));
		EVP_PKEY *k = NULL;

		if (use != NULL && strcmp(use, "enc") == 0)
			continue;
		if (jwk_to_pkey(item, &k, NULL) != 0)
			continue;
		keys[n].kid = xstrdup(kid != NULL ? kid : "");
		keys[n].key = k;
		n++;
	}
	json_decref(doc);
	oidc_keys_free(o->keys, o->n_keys);
	o->keys = keys;
	o->n_keys = n;
	o->keys_expire_sec = now + (max_age > 0 ? max_age : OIDC_DEFAULT_CACHE_SEC);
	return 0;
}

static size_t count_kid(const struct oidc_provider *o, const char *kid)
{
	size_t n = 0;

	for (size_t i = 0; i < o->n_keys; i++)
		if (strcmp(o->keys[i].kid, kid) == 0)
			n++;
	return n;
}

/* Under the lock: the state a token with kid needs. */
static int refresh_locked(struct oidc_provider *o, const char *kid, struct error *err)
{
	int64_t now = time_now_ns() / NS_PER_SEC;

	if (!o->discovered) {
		struct error e = {0};

		/* a provider that just failed is not asked again at once: requests queued on the
		 * lock would otherwise each wait for its timeout */
		if (o->failed_sec != 0 && now - o->failed_sec < OIDC_UNKNOWN_KID_REFRESH_SEC)
			return err_set(err, ERR_UNAVAILABLE, "%s", o->failure);
		if (discover(o, &e) != 0 || fetch_keys(o, &e) != 0) {
			o->failed_sec = now;
			snprintf(o->failure, sizeof(o->failure), "%s", e.msg);
			return err_set(err, ERR_UNAVAILABLE, "%s", e.msg);
		}
		o->discovered = true;
		return 0;
	}
	/* An expired set is fetched again; a failure keeps the old keys (step-ca does too) and
	 * is retried a little later. */
	if (now >= o->keys_expire_sec) {
		if (fetch_keys(o, NULL) == 0)
			return 0;
		o->keys_expire_sec = now + OIDC_UNKNOWN_KID_REFRESH_SEC;
	}
	if (count_kid(o, kid) == 0 && now - o->last_unknown_sec >= OIDC_UNKNOWN_KID_REFRESH_SEC) {
		o->last_unknown_sec = now;
		(void)fetch_keys(o, NULL);
	}
	return 0;
}

int oidc_keys_get(struct oidc_provider *o, const char *kid, struct oidc_key **keys, size_t *n,
		  char **issuer, struct error *err)
{
	int rc;

	*keys = NULL;
	*n = 0;
	*issuer = NULL;
	pthread_mutex_lock(&o->lock);
	rc = refresh_locked(o, kid, err);
	if (rc == 0) {
		size_t m = count_kid(o, kid), j = 0;

		*keys = xcalloc(m + 1, sizeof(**keys));
		for (size_t i = 0; i < o->n_keys; i++) {
			if (strcmp(o->keys[i].kid, kid) != 0)
				continue;
			EVP_PKEY_up_ref(o->keys[i].key);
			(*keys)[j].kid = xstrdup(kid);
			(*keys)[j].key = o->keys[i].key;
			j++;
		}
		*n = j;
		*issuer = xstrdup(o->issuer);
	}
	pthread_mutex_unlock(&o->lock);
	if (rc != 0)
		err_reclassify(err, ERR_UNAUTHORIZED, false);
	return rc;
}
