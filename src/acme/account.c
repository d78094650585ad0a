/* account.c - ACME accounts (RFC 8555 §7.3): new-account, the account URL, its orders, and
 * account key rollover (§7.3.5, which step-ca does not implement).
 *
 * An account is found by the RFC 7638 thumbprint of its key (acme_account_keys), so the same
 * key always names the same account, whichever instance it reaches.
 */
#include <stdlib.h>
#include <string.h>

#include "acme/internal.h"
#include "base/b64.h"
#include "base/str.h"
#include "jose/jwk.h"
#include "store/store.h"

#define ACCOUNT_ORDERS_MAX 1000 /* order URLs listed at most */

/* The account object of RFC 8555 §7.1.2 (step-ca's fields). */
static json_t *account_json(const struct acme_call *c, const char *id, const json_t *rec)
{
	json_t *o = json_object();
	const json_t *contact = json_object_get(rec, "contact");

	json_object_set_new(o, "status", json_string(acme_get_str(rec, "status")));
	if (json_array_size(contact) > 0)
		json_object_set(o, "contact", (json_t *)contact);
	json_object_set_new(o, "orders", acme_json_url(c, "account", id, "orders"));
	return o;
}

/* Answers with account id (its URL in Location); commit: the nonce's use first (a read). */
static void reply_account(struct acme_call *c, int status, const char *id, const json_t *rec,
			  const json_t *eab, bool commit)
{
	char *loc = acme_url(c, "account", id, NULL);
	json_t *o = account_json(c, id, rec);

	if (eab != NULL)
		json_object_set(o, "externalAccountBinding", (json_t *)eab);
	if (commit)
		acme_answer_json(c, status, o, loc);
	else
		acme_reply_json(c, status, o, loc);
	free(loc);
}

/* contact: an array of non-empty strings (RFC 8555 §7.3: URLs; "mailto:" is what clients
 * send). */
static int check_contact(const json_t *contact, struct acme_problem *p)
{
	size_t i;
	json_t *v;

	if (contact == NULL)
		return 0;
	if (!json_is_array(contact))
		return acme_fail(p, ACME_PROB_MALFORMED, "contact must be an array of URLs");
	json_array_foreach(contact, i, v)
	{
		const char *s = json_string_value(v);

		if (s == NULL || s[0] == '\0' || strchr(s, ':') == NULL)
			return acme_fail(p, ACME_PROB_UNSUPPORTED_CONTACT,
					 "contact %zu is not a URL (mailto:...)", i);
	}
	return 0;
}

/* State of a new-account across its commit. */
struct new_account {
	char id[ACME_ID_LEN + 1];
	json_t *rec;
	json_t *eab; /* echoed in the answer */
};

static void new_account_free(void *arg)
{
	struct new_account *na = arg;

	if (na == NULL)
		return;
	json_decref(na->rec);
	json_decref(na->eab);
	free(na);
}

static void new_account_committed(struct acme_call *c, struct store_txn *t)
{
	struct new_account *na = c->scratch;

	if (t->record_conflict) {
		/* the key got an account meanwhile (another request), or the EAB key was bound:
		 * run again, which finds what won */
		acme_retry(c);
		return;
	}
	reply_account(c, 201, na->id, na->rec, na->eab, false);
}

/* requireEAB: checks the binding and adds the bound key to t (RFC 8555 §7.3.4); *kid
 * (malloc'd) the key's ID. */
static int bind_eab(struct acme_call *c, const char *account_id, const char *thumbprint,
		    struct store_txn *t, char **kid, struct acme_problem *p)
{
	const json_t *obj = json_object_get(c->payload, "externalAccountBinding");
	struct acme_eab eab = {0};
	json_t *key_rec = NULL;
	char *owner = NULL, inner_thumb[44];
	uint8_t *hmac = NULL;
	size_t hmac_len = 0;
	int64_t version = 0;
	bool found = false;
	EVP_PKEY *inner = NULL;
	struct error err;
	int rc = -1;

	if (obj == NULL) {
		acme_fail(p, ACME_PROB_EXTERNAL_ACCOUNT_REQUIRED,
			  "provisioner '%s' requires an external account binding", c->prov->name);
		goto out;
	}
	if (acme_eab_parse(obj, c->jws.url, &eab, p) != 0 ||
	    acme_rec_get(c->ac, ACME_COL_EAB_KEYS, eab.kid, &found, &key_rec, &version, &owner,
			 p) != 0)
		goto out;
	if (!found || owner == NULL || strcmp(owner, c->prov->name) != 0) {
		acme_fail(p, ACME_PROB_UNAUTHORIZED,
			  "the external account binding names an unknown key '%s'", eab.kid);
		goto out;
	}
	if (acme_get_str(key_rec, "account")[0] != '\0') {
		acme_fail(p, ACME_PROB_UNAUTHORIZED, "external account key '%s' is already bound",
			  eab.kid);
		goto out;
	}
	{
		const char *k = acme_get_str(key_rec, "hmacKey");

		if (b64url_decode(k, strlen(k), &hmac, &hmac_len, &err) != 0) {
			acme_fail(p, ACME_PROB_SERVER_INTERNAL, "stored EAB key '%s' is corrupt",
				  eab.kid);
			goto out;
		}
	}
	if (acme_eab_verify(&eab, hmac, hmac_len, p) != 0)
		goto out;
	if (jwk_to_pkey(eab.payload, &inner, &err) != 0 ||
	    jwk_thumbprint(inner, inner_thumb, &err) != 0 || strcmp(inner_thumb, thumbprint) != 0) {
		acme_fail(p, ACME_PROB_UNAUTHORIZED,
			  "the external account binding is for another key than the account's");
		goto out;
	}
	json_object_set_new(key_rec, "hmacKey", json_string(""));
	json_object_set_new(key_rec, "account", json_string(account_id));
	json_object_set_new(key_rec, "boundAt", acme_json_time(c->now_ns));
	acme_txn_rec(t, STORE_REC_UPDATE, ACME_COL_EAB_KEYS, eab.kid, owner, key_rec, version, 0);
	*kid = xstrdup(eab.kid);
	rc = 0;
out:
	if (hmac != NULL)
		OPENSSL_cleanse(hmac, hmac_len);
	free(hmac);
	EVP_PKEY_free(inner);
	json_decref(key_rec);
	free(owner);
	acme_eab_free(&eab);
	return rc;
}

void acme_new_account(struct acme_call *c)
{
	const json_t *contact = json_object_get(c->payload, "contact");
	bool only_existing = json_is_true(json_object_get(c->payload, "onlyReturnExisting"));
	struct acme_problem p;
	struct new_account *na = NULL;
	struct store_txn *t = NULL;
	char thumb[44], *eab_kid = NULL;
	json_t *index = NULL, *existing = NULL;
	bool found = false;
	struct error err;

	if (only_existing && json_object_size(c->payload) > 1 && contact != NULL) {
		acme_fail(&p, ACME_PROB_MALFORMED, "onlyReturnExisting must be alone");
		goto fail;
	}
	if (check_contact(contact, &p) != 0)
		goto fail;
	if (jwk_thumbprint(c->key, thumb, &err) != 0) {
		acme_fail(&p, ACME_PROB_MALFORMED, "cannot compute the key's thumbprint");
		goto fail;
	}
	if (acme_rec_get(c->ac, ACME_COL_ACCOUNT_KEYS, thumb, &found, &index, NULL, NULL, &p) != 0)
		goto fail;
	if (found) {
		const char *id = acme_get_str(index, "account");

		if (acme_rec_get(c->ac, ACME_COL_ACCOUNTS, id, &found, &existing, NULL, NULL, &p) !=
		    0)
			goto fail;
		if (!found) {
			acme_fail(&p, ACME_PROB_SERVER_INTERNAL, "account '%s' is missing", id);
			goto fail;
		}
		if (strcmp(acme_get_str(existing, "provisioner"), c->prov->name) != 0) {
			/* accounts are per provisioner (newest step-ca): say no more */
			acme_fail(&p, ACME_PROB_UNAUTHORIZED,
				  "this key's account belongs to another provisioner");
			goto fail;
		}
		if (strcmp(acme_get_str(existing, "status"), "valid") != 0) {
			acme_fail(&p, ACME_PROB_UNAUTHORIZED, "the account of this key is %s",
				  acme_get_str(existing, "status"));
			goto fail;
		}
		/* RFC 8555 §7.3.1: the existing account, 200 and its URL */
		reply_account(c, 200, id, existing, NULL, true);
		json_decref(index);
		json_decref(existing);
		return;
	}
	if (only_existing) {
		acme_fail(&p, ACME_PROB_ACCOUNT_DOES_NOT_EXIST, "no account exists for this key");
		goto fail;
	}
	na = xcalloc(1, sizeof(*na));
	if (acme_random_id(na->id, &err) != 0) {
		acme_fail(&p, ACME_PROB_SERVER_INTERNAL, "cannot make an ID");
		goto fail;
	}
	t = store_txn_new();
	if (c->prov->acme.require_eab) {
		if (bind_eab(c, na->id, thumb, t, &eab_kid, &p) != 0)
			goto fail;
		na->eab = json_incref(json_object_get(c->payload, "externalAccountBinding"));
	}
	{
		json_t *jwk = jwk_from_pkey(c->key, false, &err);
		char *loc = acme_url(c, "account", na->id, NULL);

		na->rec = json_pack("{s:s, s:O?, s:o?, s:s, s:s, s:s, s:o}", "status", "valid",
				    "contact", contact, "jwk", jwk, "thumbprint", thumb,
				    "provisioner", c->prov->name, "location", loc, "createdAt",
				    acme_json_time(c->now_ns));
		if (na->rec != NULL && eab_kid != NULL) /* its policy applies to the orders */
			json_object_set_new(na->rec, "eabKeyID", json_string(eab_kid));
		free(loc);
		index = json_pack("{s:s}", "account", na->id);
	}
	if (na->rec == NULL || json_object_get(na->rec, "jwk") == NULL) {
		acme_fail(&p, ACME_PROB_SERVER_INTERNAL, "cannot encode the account");
		goto fail;
	}
	acme_txn_rec(t, STORE_REC_INSERT, ACME_COL_ACCOUNTS, na->id, NULL, na->rec, 0, 0);
	acme_txn_rec(t, STORE_REC_INSERT, ACME_COL_ACCOUNT_KEYS, thumb, NULL, index, 0, 0);
	json_decref(index);
	free(eab_kid);
	c->scratch = na;
	c->scratch_free = new_account_free;
	acme_commit(c, t, new_account_committed);
	return;
fail:
	store_txn_free(t);
	new_account_free(na);
	free(eab_kid);
	json_decref(index);
	json_decref(existing);
	acme_fail_call(c, &p);
}

/* State of an account update across its commit. */
struct account_update {
	json_t *rec;
};

static void account_update_free(void *arg)
{
	struct account_update *u = arg;

	if (u != NULL)
		json_decref(u->rec);
	free(u);
}

static void account_updated(struct acme_call *c, struct store_txn *t)
{
	struct account_update *u = c->scratch;

	if (t->record_conflict) {
		acme_retry(c);
		return;
	}
	reply_account(c, 200, c->acct.id, u->rec, NULL, false);
}

void acme_account(struct acme_call *c)
{
	const json_t *contact = json_object_get(c->payload, "contact");
	const json_t *status = json_object_get(c->payload, "status");
	struct account_update *u;
	struct store_txn *t;
	struct acme_problem p;

	if (c->payload == NULL || (contact == NULL && status == NULL)) {
		reply_account(c, 200, c->acct.id, c->acct.rec, NULL, true);
		return;
	}
	if (contact != NULL && status != NULL) {
		acme_fail(&p, ACME_PROB_MALFORMED, "update the contact or the status, not both");
		goto fail;
	}
	if (status != NULL &&
	    strcmp(json_string_value(status) != NULL ? json_string_value(status) : "",
		   "deactivated") != 0) {
		acme_fail(&p, ACME_PROB_MALFORMED,
			  "an account's status can only become "
			  "'deactivated'");
		goto fail;
	}
	if (check_contact(contact, &p) != 0)
		goto fail;
	u = xcalloc(1, sizeof(*u));
	u->rec = json_deep_copy(c->acct.rec);
	if (contact != NULL)
		json_object_set(u->rec, "contact", (json_t *)contact);
	else
		json_object_set_new(u->rec, "status", json_string("deactivated"));
	t = store_txn_new();
	acme_txn_rec(t, STORE_REC_UPDATE, ACME_COL_ACCOUNTS, c->acct.id, NULL, u->rec,
		     c->acct.version, 0);
	c->scratch = u;
	c->scratch_free = account_update_free;
	acme_commit(c, t, account_updated);
	return;
fail:
	acme_fail_call(c, &p);
}

void acme_account_orders(struct acme_call *c)
{
	struct store_record *v = NULL;
	size_t n = 0;
	struct error err;
	struct acme_problem p;
	json_t *list, *body;

	if (strcmp(c->path.id1, c->acct.id) != 0) {
		acme_fail(&p, ACME_PROB_UNAUTHORIZED, "account '%s' is not the signer's",
			  c->path.id1);
		acme_fail_call(c, &p);
		return;
	}
	if (c->ac->store->ops->record_list(c->ac->store, ACME_COL_ORDERS, c->acct.id, NULL,
					   ACCOUNT_ORDERS_MAX, &v, &n, &err) != 0) {
		acme_fail_from_error(&p, ACME_PROB_SERVER_INTERNAL, &err);
		acme_fail_call(c, &p);
		return;
	}
	list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, acme_json_url(c, "order", v[i].id, NULL));
	store_records_free(v, n);
	body = json_pack("{s:o}", "orders", list);
	acme_answer_json(c, 200, body, NULL);
}

/* State of a key change across its commit. */
struct key_change {
	char old_thumb[44], new_thumb[44];
};

static void key_changed(struct acme_call *c, struct store_txn *t)
{
	struct key_change *k = c->scratch;
	json_t *rec;

	if (t->record_conflict) {
		acme_retry(c); /* the new key got an account meanwhile: the retry answers 409 */
		return;
	}
	rec = json_deep_copy(c->acct.rec);
	json_object_set_new(rec, "thumbprint", json_string(k->new_thumb));
	reply_account(c, 200, c->acct.id, rec, NULL, false);
	json_decref(rec);
}

/* The inner JWS of a key change: signed by the new key, for the same url (RFC 8555 §7.3.5). */
static int key_change_inner(struct acme_call *c, struct acme_jws *inner, EVP_PKEY **new_key,
			    struct acme_problem *p)
{
	char *s = json_dumps(c->payload, JSON_COMPACT);
	int rc;

	if (s == NULL)
		return acme_fail(p, ACME_PROB_MALFORMED, "the payload is not a JWS");
	rc = acme_jws_parse((const uint8_t *)s, strlen(s), inner, p);
	free(s);
	if (rc != 0)
		return -1;
	if (inner->jwk == NULL)
		return acme_fail(p, ACME_PROB_MALFORMED,
				 "the inner JWS must carry the new key as "
				 "jwk");
	if (inner->url == NULL || strcmp(inner->url, c->jws.url) != 0)
		return acme_fail(p, ACME_PROB_MALFORMED,
				 "the inner JWS url must equal the outer JWS url");
	if (acme_jws_jwk_key(inner, new_key, p) != 0 || acme_jws_verify(inner, *new_key, p) != 0)
		return -1;
	return 0;
}

void acme_key_change(struct acme_call *c)
{
	struct acme_jws inner = {0};
	EVP_PKEY *new_key = NULL, *old_key = NULL;
	json_t *inner_payload = NULL, *index = NULL, *new_jwk = NULL, *rec = NULL;
	struct key_change *k = NULL;
	struct acme_problem p;
	struct store_txn *t = NULL;
	char *kid_url = acme_url(c, "account", c->acct.id, NULL);
	char old_thumb[44];
	bool found = false;
	json_error_t jerr;
	struct error err;

	if (key_change_inner(c, &inner, &new_key, &p) != 0)
		goto fail;
	inner_payload = json_loadb((const char *)inner.payload, inner.payload_len, 0, &jerr);
	if (!json_is_object(inner_payload) ||
	    strcmp(acme_get_str(inner_payload, "account"), kid_url) != 0) {
		acme_fail(&p, ACME_PROB_MALFORMED,
			  "the inner payload must name the signing account ('%s')", kid_url);
		goto fail;
	}
	if (jwk_to_pkey(json_object_get(inner_payload, "oldKey"), &old_key, &err) != 0 ||
	    jwk_thumbprint(old_key, old_thumb, &err) != 0 ||
	    strcmp(old_thumb, c->acct.thumbprint) != 0) {
		acme_fail(&p, ACME_PROB_UNAUTHORIZED, "oldKey is not the account's current key");
		goto fail;
	}
	k = xcalloc(1, sizeof(*k));
	memcpy(k->old_thumb, old_thumb, sizeof(old_thumb));
	if (jwk_thumbprint(new_key, k->new_thumb, &err) != 0) {
		acme_fail(&p, ACME_PROB_MALFORMED, "cannot compute the new key's thumbprint");
		goto fail;
	}
	if (acme_rec_get(c->ac, ACME_COL_ACCOUNT_KEYS, k->new_thumb, &found, &index, NULL, NULL,
			 &p) != 0)
		goto fail;
	if (found) {
		char *loc = acme_url(c, "account", acme_get_str(index, "account"), NULL);

		acme_fail(&p, ACME_PROB_MALFORMED, "the new key is already in use by an account");
		p.status = 409;
		free(c->resp.location);
		c->resp.location = loc;
		goto fail;
	}
	new_jwk = jwk_from_pkey(new_key, false, &err);
	rec = json_deep_copy(c->acct.rec);
	if (new_jwk == NULL || rec == NULL) {
		acme_fail(&p, ACME_PROB_SERVER_INTERNAL, "cannot encode the new key");
		goto fail;
	}
	json_object_set(rec, "jwk", new_jwk);
	json_object_set_new(rec, "thumbprint", json_string(k->new_thumb));
	index = json_pack("{s:s}", "account", c->acct.id);
	t = store_txn_new();
	acme_txn_rec(t, STORE_REC_UPDATE, ACME_COL_ACCOUNTS, c->acct.id, NULL, rec, c->acct.version,
		     0);
	acme_txn_rec(t, STORE_REC_DELETE, ACME_COL_ACCOUNT_KEYS, k->old_thumb, NULL, NULL, 0, 0);
	acme_txn_rec(t, STORE_REC_INSERT, ACME_COL_ACCOUNT_KEYS, k->new_thumb, NULL, index, 0, 0);
	c->scratch = k;
	c->scratch_free = free;
	k = NULL;
	acme_commit(c, t, key_changed);
	goto out;
fail:
	acme_fail_call(c, &p);
out:
	free(k);
	free(kid_url);
	json_decref(rec);
	json_decref(new_jwk);
	json_decref(index);
	json_decref(inner_payload);
	EVP_PKEY_free(new_key);
	EVP_PKEY_free(old_key);
	acme_jws_free(&inner);
}
