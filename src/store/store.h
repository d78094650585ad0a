/* store.h - the one interface for persistence.
 *
 * Back ends: SQLite (embedded default, `"db": {"type":"sqlite"}`), PostgreSQL
 * later. All operations are safe to call from several threads at once.
 * Every change is a transaction (struct store_txn); it is durable when its done callback
 * reports success, and only then may a certificate in it be handed to a client.
 */
#ifndef STRIDE_STORE_STORE_H
#define STRIDE_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct store;

struct cert_record {
	const char *serial; /* decimal */
	const uint8_t *der;
	size_t der_len;
	const char *prov_id;   /* e.g. "jwk/<name>" style id, may be NULL */
	const char *prov_name; /* may be NULL */
	const char *prov_type; /* "JWK", "X5C", ... may be NULL */
	int64_t not_after_ns;
	const char *parent_serial; /* the certificate this one renews, or NULL */
	const char *key_id;	   /* cert_key_id of its public key, or NULL */
};

struct revocation {
	const char *serial; /* decimal */
	const char *prov_id;
	int reason_code;
	const char *reason;
	int64_t revoked_at_ns;
	int64_t expires_at_ns;
	const char *token_id;
	bool mtls;
	/* keyCompromise: block the revoked certificate's key (key_id, or the stored certificate's
	 * when NULL) for every later issuance, and revoke every stored certificate with it. */
	bool block_key;
	const char *key_id;
};

/* One atomic change to the store: the use of a one-time token, a new certificate and a
 * revocation, each optional. Built with the store_txn_* functions, which copy what they are
 * given, then committed with store_commit (waits) or store_submit (calls back). A back end
 * commits several transactions of concurrent requests together (group commit), each still all
 * or nothing.
 *
 * A new certificate is admitted inside the commit, serialised with every other commit (on one
 * process or several on one database): it is refused when its parent is revoked (a renewal
 * racing its parent's revocation), or when its key or auth_key_id is blocked (keyCompromise).
 * A revocation revokes, in the same commit, every stored certificate renewed from the serial,
 * transitively; so no renewal of a revoked certificate survives, whichever commits first. */
struct store_txn {
	char *token_key; /* mark this token key used, or NULL */
	char *token;
	bool has_cert;
	struct cert_record cert; /* strings and DER owned by the transaction */
	bool has_revocation;
	struct revocation rev; /* strings owned by the transaction */
	char *auth_key_id;     /* the key of the certificate that authorised a renewal, or NULL */

	/* Results, set before done() runs. rc -1 + err: nothing was applied. token_reused: the
	 * token key was already used (another request or process won), nothing was applied. */
	int rc;
	struct error err;
	bool token_reused;
	bool already_revoked; /* the serial was revoked already; the rest was applied */
	/* The new certificate was refused (the token use, if any, was applied): */
	bool parent_revoked;   /* its parent is revoked */
	bool key_blocked;      /* its key is blocked */
	bool auth_key_blocked; /* auth_key_id is blocked */

	/* Called exactly once, from the committing thread (any thread): the transaction is
	 * durable or failed. It may free the transaction. */
	void (*done)(struct store_txn *t, void *arg);
	void *done_arg;
	struct store_txn *next; /* the back end's queue */
};

struct store_ops {
	/* Whether a token key has been recorded as used (committed). */
	int (*token_used)(struct store *s, const char *key, bool *used, struct error *err);
	/* Queues a transaction; t->done runs once it is committed or has failed. */
	void (*submit)(struct store *s, struct store_txn *t);
	/* Looks a certificate up by decimal serial: *found, and provisioner name/type copied out
	 * (malloc'd, may be NULL). */
	int (*get_cert_provisioner)(struct store *s, const char *serial, bool *found,
				    char **prov_name, char **prov_type, struct error *err);
	/* Whether a serial is revoked. */
	int (*is_revoked)(struct store *s, const char *serial, bool *revoked, struct error *err);
	/* Commits what is queued, then closes and frees. */
	void (*close)(struct store *s);
};

struct store {
	const struct store_ops *ops;
};

/* Opens the back end named by type ("sqlite") at data_source. Unknown type -> ERR_INVALID
 * "unsupported database type '<t>': supported types are sqlite; ..." with the "db" object to
 * write instead. */
int store_open(const char *type, const char *data_source, struct store **out, struct error *err);
/* An in-memory store (no "db" in ca.json): replay protection until restart, no revocation. */
int store_open_memory(struct store **out, struct error *err);

/* A new, empty transaction (owned by the caller until submitted with a done that frees it). */
struct store_txn *store_txn_new(void);
/* Marks a token key used in t (copies key and token). */
void store_txn_use_token(struct store_txn *t, const char *key, const char *token);
/* Adds an issued certificate to t (deep copy); auth_key_id (may be NULL) is the key of the
 * certificate that authorised it (see struct store_txn). */
void store_txn_put_cert(struct store_txn *t, const struct cert_record *rec,
			const char *auth_key_id);
/* Adds a revocation to t (deep copy); the back end also revokes every certificate renewed from
 * that serial and, with block_key, blocks the key (struct revocation). */
void store_txn_revoke(struct store_txn *t, const struct revocation *rev);
/* Resets the result flags of t (token_reused ... auth_key_blocked), for a back end. */
void store_txn_clear_results(struct store_txn *t);
/* Frees t and what it owns (wiping the token). NULL is a no-op. */
void store_txn_free(struct store_txn *t);
/* Commits t and waits: returns t->rc and copies t->err to err. The caller still owns t and
 * reads token_reused / already_revoked from it. */
int store_commit(struct store *s, struct store_txn *t, struct error *err);

/* Conveniences over store_commit for one change each. */
int store_use_token(struct store *s, const char *key, const char *token, bool *already_used,
		    struct error *err);
int store_put_cert(struct store *s, const struct cert_record *rec, struct error *err);
int store_revoke(struct store *s, const struct revocation *rev, bool *already_revoked,
		 struct error *err);

static inline void store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

#endif
