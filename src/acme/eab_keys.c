/* eab_keys.c - External Account Binding keys (RFC 8555 §7.3.4) kept in the store, for
 * `stride ca acme eab ...` and the admin API.
 *
 * A key is a record of ACME_COL_EAB_KEYS (id: the key ID, owner: the provisioner name); a key
 * with a reference also has a record of ACME_COL_EAB_REFS (id: hex SHA-256 of the provisioner
 * name, a NUL and the reference), whose insert-if-absent makes a reference unique per
 * provisioner even with several processes on one database. Both are written, and removed, in
 * one transaction. The record layout is in internal.h.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "acme/internal.h"
#include "authority/admin_state.h"
#include "authority/internal.h"
#include "base/b64.h"
#include "base/duration.h"
#include "base/password.h"
#include "base/str.h"

/* The authority spells the challenge bits out without including this module's headers. */
_Static_assert(PROV_ACME_CH_HTTP01 == 1u << ACME_CH_HTTP01, "http-01 bit");
_Static_assert(PROV_ACME_CH_DNS01 == 1u << ACME_CH_DNS01, "dns-01 bit");
_Static_assert(PROV_ACME_CH_TLSALPN01 == 1u << ACME_CH_TLSALPN01, "tls-alpn-01 bit");

#define EAB_KEY_BYTES	  32 /* the HMAC key: 256 random bits */
#define EAB_REFERENCE_MAX 256
#define EAB_LIST_DEFAULT  20
#define EAB_VALUE_MAX	  4096 /* a stored record is far smaller */

void acme_eab_key_free(struct acme_eab_key *k)
{
	if (k == NULL)
		return;
	if (k->hmac_key != NULL)
		secure_wipe(k->hmac_key, strlen(k->hmac_key));
	free(k->hmac_key);
	free(k->id);
	free(k->provisioner);
	free(k->reference);
	free(k->account);
	memset(k, 0, sizeof(*k));
}

void acme_eab_keys_free(struct acme_eab_key *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		acme_eab_key_free(&v[i]);
	free(v);
}

/* Checks that prov names an ACME provisioner. */
static int acme_provisioner_check(struct authority *a, const char *prov, struct error *err)
{
	struct prov_set *set = prov_set_get(a);
	const struct provisioner *p = prov != NULL ? provisioners_by_name(&set->provs, prov) : NULL;
	int rc = 0;

	if (p == NULL)
		rc = err_set(err, ERR_NOT_FOUND, "provisioner %s not found",
			     prov != NULL ? prov : "");
	else if (p->type != PROV_ACME)
		rc = err_set(err, ERR_INVALID,
			     "provisioner '%s' is not an ACME provisioner (type %s)", prov,
			     p->type_name);
	prov_set_put(set);
	return rc;
}

/* The id of a reference's record: hex SHA-256(prov NUL reference). */
static int ref_id(const char *prov, const char *reference, char out[65], struct error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char digest[32];
	unsigned int len = 0;
	char *hex;
	int rc = -1;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, prov, strlen(prov) + 1) != 1 ||
	    EVP_DigestUpdate(md, reference, strlen(reference)) != 1 ||
	    EVP_DigestFinal_ex(md, digest, &len) != 1 || len != sizeof(digest)) {
		err_openssl(err, ERR_CRYPTO, "cannot hash the EAB key reference");
		goto out;
	}
	hex = hex_encode(digest, sizeof(digest));
	memcpy(out, hex, 65);
	free(hex);
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

/* A stored time: RFC 3339, or "" for none (0). */
static int64_t stored_time(const json_t *v)
{
	const char *s = json_string_value(v);
	int64_t t = 0;

	if (s == NULL || s[0] == '\0' || time_parse_rfc3339(s, &t, NULL) != 0)
		return 0;
	return t;
}

/* A key as its record holds it. */
static int key_from_record(const struct store_record *r, struct acme_eab_key *out,
			   struct error *err)
{
	json_t *doc = NULL;
	const char *prov, *ref, *hmac, *account;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (r->value_len <= EAB_VALUE_MAX)
		doc = json_loadb((const char *)r->value, r->value_len, 0, NULL);
	prov = json_string_value(json_object_get(doc, "provisioner"));
	ref = json_string_value(json_object_get(doc, "reference"));
	hmac = json_string_value(json_object_get(doc, "hmacKey"));
	account = json_string_value(json_object_get(doc, "account"));
	if (prov == NULL) {
		err_set(err, ERR_INTERNAL, "the stored ACME EAB key '%s' is not valid", r->id);
		goto out;
	}
	out->id = xstrdup(r->id);
	out->provisioner = xstrdup(prov);
	out->reference = xstrdup(ref != NULL ? ref : "");
	out->hmac_key = xstrdup(hmac != NULL ? hmac : "");
	out->account = xstrdup(account != NULL ? account : "");
	out->created_at_ns = stored_time(json_object_get(doc, "createdAt"));
	out->bound_at_ns = stored_time(json_object_get(doc, "boundAt"));
	rc = 0;
out:
	json_decref(doc); /* holds the HMAC key: jansson frees it, we cannot wipe its copy */
	return rc;
}

/* Adds an insert of (collection, id, owner, value) to t. */
static void txn_insert(struct store_txn *t, const char *collection, const char *id,
		       const char *owner, const char *value)
{
	struct store_record rec = {
	    .collection = collection,
	    .id = id,
	    .owner = owner,
	    .value = (const uint8_t *)value,
	    .value_len = strlen(value),
	};

	store_txn_record(t, STORE_REC_INSERT, &rec);
}

int acme_eab_key_add(struct authority *a, const char *prov, const char *reference,
		     struct acme_eab_key *out, struct error *err)
{
	unsigned char raw[EAB_KEY_BYTES];
	char id[ACME_ID_LEN + 1], rid[65], created[40];
	char *hmac = NULL, *value = NULL, *ref_value = NULL;
	struct store_txn *t = NULL;
	json_t *doc = NULL;
	int64_t now = time_now_ns();
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (reference == NULL)
		reference = "";
	if (acme_provisioner_check(a, prov, err) != 0)
		goto out;
	if (strlen(reference) > EAB_REFERENCE_MAX) {
		err_set(err, ERR_INVALID, "reference length must not exceed %d characters",
			EAB_REFERENCE_MAX);
		goto out;
	}
	if (RAND_bytes(raw, (int)sizeof(raw)) != 1) {
		err_openssl(err, ERR_CRYPTO, "cannot generate an EAB key");
		goto out;
	}
	if (acme_random_id(id, err) != 0)
		goto out;
	hmac = b64url_encode(raw, sizeof(raw));
	time_format_rfc3339(now, created, sizeof(created));
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "provisioner", prov,
			"reference", reference, "hmacKey", hmac, "createdAt", created, "boundAt",
			"", "account", "");
	value = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (value == NULL) {
		err_set(err, ERR_INTERNAL, "cannot encode the EAB key");
		goto out;
	}
	t = store_txn_new();
	txn_insert(t, ACME_COL_EAB_KEYS, id, prov, value);
	if (reference[0] != '\0') {
		if (ref_id(prov, reference, rid, err) != 0)
			goto out;
		ref_value = xasprintf("{\"id\":\"%s\"}", id);
		txn_insert(t, ACME_COL_EAB_REFS, rid, prov, ref_value);
	}
	if (store_commit(a->store, t, err) != 0)
		goto out;
	if (t->record_conflict) {
		if (t->n_records > 1 && t->records[1].conflict)
			err_set(err, ERR_CONFLICT,
				"an ACME EAB key for provisioner '%s' with reference '%s' already "
				"exists",
				prov, reference);
		else
			err_set(err, ERR_CONFLICT, "an ACME EAB key with ID '%s' already exists",
				id);
		goto out;
	}
	out->id = xstrdup(id);
	out->provisioner = xstrdup(prov);
	out->reference = xstrdup(reference);
	out->hmac_key = hmac;
	out->account = xstrdup("");
	out->created_at_ns = now;
	hmac = NULL;
	rc = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	if (hmac != NULL)
		secure_wipe(hmac, strlen(hmac));
	if (value != NULL)
		secure_wipe(value, strlen(value));
	free(hmac);
	free(value);
	free(ref_value);
	json_decref(doc);
	store_txn_free(t);
	return rc;
}

/* Reads key id of prov: *found, and *out when found. */
static int key_get(struct authority *a, const char *prov, const char *id, bool *found,
		   struct acme_eab_key *out, struct error *err)
{
	struct store_record r = {0};
	int rc = -1;

	*found = false;
	if (a->store->ops->record_get(a->store, ACME_COL_EAB_KEYS, id, found, &r, err) != 0)
		goto out;
	if (*found && (r.owner == NULL || strcmp(r.owner, prov) != 0))
		*found = false; /* another provisioner's key */
	if (*found && key_from_record(&r, out, err) != 0)
		goto out;
	rc = 0;
out:
	if (r.value != NULL)
		secure_wipe((void *)r.value, r.value_len);
	store_record_free(&r);
	return rc;
}

/* The key of prov with this reference, if any: at most one in *out. */
static int list_by_reference(struct authority *a, const char *prov, const char *reference,
			     const char *cursor, struct acme_eab_key **out, size_t *n,
			     struct error *err)
{
	struct store_record r = {0};
	json_t *doc = NULL;
	const char *id;
	char rid[65];
	bool found = false;
	int rc = -1;

	if (ref_id(prov, reference, rid, err) != 0 ||
	    a->store->ops->record_get(a->store, ACME_COL_EAB_REFS, rid, &found, &r, err) != 0)
		goto out;
	rc = 0;
	if (!found)
		goto out;
	doc = json_loadb((const char *)r.value, r.value_len, 0, NULL);
	id = json_string_value(json_object_get(doc, "id"));
	if (id == NULL || id[0] == '\0') {
		rc = err_set(err, ERR_INTERNAL,
			     "the stored ACME EAB key reference '%s' is not valid", reference);
		goto out;
	}
	if (cursor != NULL && strcmp(id, cursor) <= 0)
		goto out; /* past the one key */
	*out = xcalloc(1, sizeof(**out));
	rc = key_get(a, prov, id, &found, *out, err);
	if (rc == 0 && found)
		*n = 1;
out:
	if (*n == 0) {
		free(*out);
		*out = NULL;
	}
	json_decref(doc);
	store_record_free(&r);
	return rc;
}

int acme_eab_key_list(struct authority *a, const char *prov, const char *reference,
		      const char *cursor, size_t limit, struct acme_eab_key **out, size_t *n,
		      char **next_cursor, struct error *err)
{
	struct store_record *recs = NULL;
	size_t nrecs = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	*next_cursor = NULL;
	if (cursor != NULL && cursor[0] == '\0')
		cursor = NULL;
	if (limit == 0)
		limit = EAB_LIST_DEFAULT;
	if (acme_provisioner_check(a, prov, err) != 0)
		goto out;
	if (reference != NULL && reference[0] != '\0') {
		if (list_by_reference(a, prov, reference, cursor, out, n, err) != 0)
			goto out;
		*next_cursor = xstrdup("");
		rc = 0;
		goto out;
	}
	/* one more than asked: whether there is a next page */
	if (a->store->ops->record_list(a->store, ACME_COL_EAB_KEYS, prov, cursor, limit + 1, &recs,
				       &nrecs, err) != 0)
		goto out;
	*out = xcalloc(nrecs + 1, sizeof(**out));
	for (size_t i = 0; i < nrecs && i < limit; i++) {
		if (key_from_record(&recs[i], &(*out)[i], err) != 0)
			goto out;
		(*n)++;
	}
	*next_cursor = xstrdup(nrecs > limit ? recs[limit - 1].id : "");
	rc = 0;
out:
	if (rc != 0) {
		acme_eab_keys_free(*out, *n);
		*out = NULL;
		*n = 0;
		free(*next_cursor);
		*next_cursor = NULL;
	}
	for (size_t i = 0; i < nrecs; i++)
		if (recs[i].value != NULL)
			secure_wipe((void *)recs[i].value, recs[i].value_len);
	store_records_free(recs, nrecs);
	return rc;
}

int acme_eab_key_remove(struct authority *a, const char *prov, const char *id, struct error *err)
{
	struct acme_eab_key k = {0};
	struct store_txn *t = NULL;
	struct store_record rec = {0};
	char rid[65];
	bool found = false;
	int rc = -1;

	if (acme_provisioner_check(a, prov, err) != 0)
		goto out;
	if (id != NULL && id[0] != '\0' && strlen(id) <= STORE_RECORD_ID_MAX &&
	    key_get(a, prov, id, &found, &k, err) != 0)
		goto out;
	if (!found)
		goto not_found;
	t = store_txn_new();
	rec = (struct store_record){.collection = ACME_COL_EAB_KEYS, .id = id};
	store_txn_record(t, STORE_REC_DELETE, &rec);
	if (k.reference[0] != '\0') {
		if (ref_id(prov, k.reference, rid, err) != 0)
			goto out;
		rec = (struct store_record){.collection = ACME_COL_EAB_REFS, .id = rid};
		store_txn_record(t, STORE_REC_DELETE, &rec);
	}
	if (store_commit(a->store, t, err) != 0)
		goto out;
	if (t->record_conflict) /* removed meanwhile */
		goto not_found;
	rc = 0;
	goto out;
not_found:
	err_set(err, ERR_NOT_FOUND, "ACME EAB key '%s' not found for provisioner '%s'",
		id != NULL ? id : "", prov);
out:
	acme_eab_key_free(&k);
	store_txn_free(t);
	return rc;
}

int acme_eab_key_get(struct authority *a, const char *prov, const char *id,
		     struct acme_eab_key *out, struct error *err)
{
	bool found = false;

	memset(out, 0, sizeof(*out));
	if (acme_provisioner_check(a, prov, err) != 0)
		return -1;
	if (id != NULL && id[0] != '\0' && strlen(id) <= STORE_RECORD_ID_MAX &&
	    key_get(a, prov, id, &found, out, err) != 0)
		return -1;
	if (!found)
		return err_set(err, ERR_NOT_FOUND,
			       "ACME EAB key '%s' not found for provisioner '%s'",
			       id != NULL ? id : "", prov);
	return 0;
}
