/* commit.c - what an operation writes, and when it counts as done.
 *
 * An operation writes in one store transaction: the used token (once a token passed the
 * replay check, even if the request then fails, as in step) and the new certificate or the
 * revocation. The store commits the writes of concurrent requests together (async.c submits
 * them); the rules a concurrent request could break are decided inside the commit, and the
 * functions here turn what the commit found into step-ca's errors.
 */
#include <stdlib.h>
#include <string.h>

#include "authority/internal.h"
#include "base/metrics.h"
#include "crypto/cert.h"
#include "store/store.h"

/* Queues the certificate record: rec's serial, DER, validity and key id are the caller's. */
static void put_leaf(struct store_txn **txn, const struct provisioner *p, struct cert_record *rec,
		     const char *parent_key_id)
{
	rec->prov_id = p != NULL ? p->token_id : NULL;
	rec->prov_name = p != NULL ? p->name : NULL;
	rec->prov_type = p != NULL ? p->type_name : NULL;
	if (*txn == NULL)
		*txn = store_txn_new();
	store_txn_put_cert(*txn, rec, parent_key_id);
}

int txn_add_new_leaf(struct store_txn **txn, const struct provisioner *p, const uint8_t *der,
		     size_t len, const uint8_t *spki, size_t spki_len, X509 *parent,
		     const char *parent_serial, char **serial, struct error *err)
{
	char key_id[65], parent_key_id[65];
	struct cert_record rec;

	*serial = NULL;
	if (parent != NULL && cert_key_id(parent, parent_key_id, err) != 0)
		return -1;
	if (spki == NULL) /* a renewal with the parent's key: one key id for both */
		memcpy(key_id, parent_key_id, sizeof(key_id));
	else if (spki_key_id(spki, spki_len, key_id, err) != 0)
		return -1;
	*serial = cert_der_serial_decimal(der, len);
	if (*serial == NULL)
		return err_set(err, ERR_INTERNAL,
			       "error reading the new certificate's serial number");
	rec = (struct cert_record){
	    .serial = *serial,
	    .der = der,
	    .der_len = len,
	    .not_after_ns = cert_der_not_after_ns(der, len),
	    .parent_serial = parent_serial,
	    .key_id = key_id,
	};
	put_leaf(txn, p, &rec, parent != NULL ? parent_key_id : NULL);
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

int issuance_settle(const struct store_txn *t, int rc, struct error *err)
{
	if (t == NULL)
		return rc;
	if (t->rc == 0 && t->token_reused) {
		/* Whatever failed after the replay point: a used token is answered as such, the
		 * replay check coming first in step-ca's order (token_options.replay_at_commit). */
		metrics_token_replay();
		return err_set(err, ERR_UNAUTHORIZED, "token already used");
	}
	if (rc != 0)
		return rc; /* the token use was recorded (or not): the failure stays */
	if (t->rc != 0) {
		if (err != NULL)
			*err = t->err;
		return -1;
	}
	return refused_by_commit(t, err);
}

int revocation_settle(const struct store_txn *t, const char *serial, int rc, struct error *err)
{
	if (rc != 0 || t == NULL)
		return rc;
	if (t->rc != 0) {
		if (err != NULL)
			*err = t->err;
		return -1;
	}
	if (t->token_reused) {
		metrics_token_replay();
		return err_set(err, ERR_UNAUTHORIZED, "token already used");
	}
	if (t->already_revoked)
		return err_public(err, ERR_CONFLICT,
				  "certificate with serial number '%s' is already revoked", serial);
	return 0;
}
