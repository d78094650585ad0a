/* commit.c - what an operation writes, and when it counts as done.
 *
 * An issuance writes two things in one store transaction: the used token (once a token
 * passed the replay check, even if the request then fails, as in step) and the new
 * certificate. stride-ca defers the commit so that a request never blocks its event loop on
 * an fsync; the store then commits the writes of concurrent requests together. Everything
 * else (offline mode, Kyma, revocation) commits before the operation returns.
 */
#include <stdlib.h>
#include <string.h>

#include "authority/internal.h"
#include "crypto/cert.h"
#include "store/store.h"

int txn_add_leaf(struct store_txn **txn, const struct provisioner *p, X509 *leaf,
		 const char *serial, X509 *parent, const char *parent_serial, struct error *err)
{
	uint8_t *der = NULL;
	size_t len = 0;
	char key_id[65], parent_key_id[65];
	struct cert_record rec;

	if (cert_key_id(leaf, key_id, err) != 0)
		return -1;
	if (parent != NULL && cert_same_key(leaf, parent))
		memcpy(parent_key_id, key_id, sizeof(key_id)); /* a renewal: no second hash */
	else if (parent != NULL && cert_key_id(parent, parent_key_id, err) != 0)
		return -1;
	if (cert_to_der(leaf, &der, &len, err) != 0)
		return -1;
	rec = (struct cert_record){
	    .serial = serial,
	    .der = der,
	    .der_len = len,
	    .prov_id = p != NULL ? p->token_id : NULL,
	    .prov_name = p != NULL ? p->name : NULL,
	    .prov_type = p != NULL ? p->type_name : NULL,
	    .not_after_ns = cert_not_after_ns(leaf),
	    .parent_serial = parent_serial,
	    .key_id = key_id,
	};
	if (*txn == NULL)
		*txn = store_txn_new();
	store_txn_put_cert(*txn, &rec, parent != NULL ? parent_key_id : NULL);
	OPENSSL_free(der);
	return 0;
}

void txn_add_token(struct store_txn **txn, const char *key, const char *token)
{
	if (key == NULL)
		return;
	if (*txn == NULL)
		*txn = store_txn_new();
	store_txn_use_token(*txn, key, token);
}

int finish_operation(struct authority *a, struct store_txn *txn, bool defer, struct issued *out,
		     int rc, struct error *err)
{
	out->txn = txn;
	if (txn == NULL || defer) {
		if (rc != 0 && txn == NULL)
			issued_free(out);
		return rc;
	}
	(void)store_commit(a->store, txn, NULL); /* the result stays in txn for settle */
	return authority_settle(out, rc, err);
}

/* The error of a new certificate the commit refused (struct store_txn), or 0. A renewal whose
 * parent was revoked meanwhile is the 401 of any revoked certificate's renewal; a key revoked
 * for key compromise is a 401 for the certificate that presents it and a 403 for a request
 * asking for it. */
static int refused_by_commit(const struct store_txn *t, struct error *err)
{
	if (t->parent_revoked)
		return err_set(err, ERR_UNAUTHORIZED, "certificate %s has been revoked",
			       t->cert.parent_serial);
	if (t->auth_key_blocked)
		return err_set(err, ERR_UNAUTHORIZED,
			       "the certificate's key was revoked for key compromise");
	if (t->key_blocked)
		return err_public(err, ERR_FORBIDDEN,
				  "the public key was revoked for key compromise and cannot be "
				  "certified again");
	return 0;
}

int authority_settle(struct issued *out, int op_rc, struct error *err)
{
	struct store_txn *t = out->txn;
	int rc = op_rc;

	out->txn = NULL;
	if (t != NULL && rc == 0) {
		if (t->rc != 0) {
			if (err != NULL)
				*err = t->err;
			rc = -1;
		} else if (t->token_reused) {
			rc = err_set(err, ERR_UNAUTHORIZED, "token already used");
		} else {
			rc = refused_by_commit(t, err);
		}
	}
	store_txn_free(t);
	if (rc != 0)
		issued_free(out);
	return rc;
}

struct store *authority_store(const struct authority *a)
{
	return a->store;
}
