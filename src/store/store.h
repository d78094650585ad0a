/* store.h - the one interface for persistence.
 *
 * Back ends: SQLite (embedded default, `"db": {"type":"sqlite"}`) and PostgreSQL
 * (`"db": {"type":"postgresql","dataSource":URL,"database":NAME}`, several stride-ca processes
 * on one database). All operations are safe to call from several threads at once.
 * Every change is a transaction (struct store_txn); it is durable when its done callback
 * reports success, and only then may a certificate in it be handed to a client.
 *
 * What the CA keeps comes in two shapes:
 * - certificates, revocations and used tokens, with rules the store enforces inside the commit
 *   (replay, lineage, blocked keys; struct store_txn);
 * - records: opaque documents in named collections (ACME accounts, orders, authorizations,
 *   challenges, nonces, EAB keys, admins, provisioners, policies), with insert-if-absent,
 *   compare-and-swap on a version, delete, and listing by owner. A new feature adds
 *   collections, not a new shape of transaction.
 *
 * A back end that is down or read-only fails writes with ERR_UNAVAILABLE ("database
 * unavailable", 503 on the wire) and recovers by itself when the database is back.
 */
#ifndef STRIDE_STORE_STORE_H
#define STRIDE_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct store;

/* step-ca's ca.json "db": type "sqlite", "postgresql" or "postgres"; data_source the
 * file/directory or the PostgreSQL URL; database the PostgreSQL database name (may be NULL:
 * the URL's). */
struct store_config {
	const char *type;
	const char *data_source;
	const char *database;
};

/* A record: a document in a collection. */
struct store_record {
	const char *collection; /* [a-z0-9_]{1,64}, e.g. "acme_accounts" */
	const char *id;		/* unique within the collection, 1..256 bytes */
	const char *owner;	/* groups records for store_ops.record_list (an order's
				 * account), or NULL */
	const uint8_t *value;	/* opaque bytes, usually JSON; may be empty */
	size_t value_len;
	int64_t expires_at_ns; /* 0 = never; an expired record reads as absent */
	int64_t version;       /* as read: 1 on insert, +1 on every update */
};

#define STORE_COLLECTION_MAX 64	 /* bytes of a collection name */
#define STORE_RECORD_ID_MAX  256 /* bytes of a record id */

/* Record changes. "Live": stored and not expired (expires_at_ns 0 or after the commit's time). */
enum store_record_op {
	STORE_REC_INSERT, /* conflict when a live record has the id; an expired one is replaced
			   * (version 1) */
	STORE_REC_UPDATE, /* compare-and-swap: conflict unless a live record has version ==
			   * .version; then version + 1 */
	STORE_REC_PUT,	  /* insert (version 1) or replace (version + 1), whatever is there */
	STORE_REC_DELETE, /* conflict when absent (an expired record is deleted) */
	STORE_REC_TAKE,	  /* delete; conflict when absent or expired (one-time values: nonces) */
};

/* One record change inside a transaction, with its result. */
struct store_record_change {
	enum store_record_op op;
	struct store_record rec; /* strings and value owned by the transaction */
	bool conflict;		 /* result: the change could not apply (see the op) */
};

/* A record as read (store_ops.record_get / record_list): every field malloc'd, freed with
 * store_record_free. */
void store_record_free(struct store_record *r);
/* Frees n records of v (each with store_record_free) and v. */
void store_records_free(struct store_record *v, size_t n);

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
	struct store_record_change *records; /* applied in order */
	size_t n_records;

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
	/* A record change had a conflict (its .conflict says which; the changes after it were
	 * not tried): nothing of the transaction was applied, not even the token use. Record
	 * changes apply after the certificate and the revocation, and not when the certificate
	 * was refused. An invalid collection or id (store_record_check) fails the transaction:
	 * rc -1, ERR_INVALID. */
	bool record_conflict;

	/* Called exactly once, from the committing thread (any thread): the transaction is
	 * durable or failed. It may free the transaction. */
	void (*done)(struct store_txn *t, void *arg);
	void *done_arg;
	struct store_txn *next; /* the back end's queue */
};

/* A revoked X.509 certificate as read (store_ops.revoked_list): serial malloc'd, freed with
 * store_revoked_free. */
struct store_revoked {
	char *serial; /* decimal */
	int reason_code;
	int64_t revoked_at_ns;
	int64_t expires_at_ns; /* the certificate's notAfter (the revocation's, else the stored
				* certificate's); 0 when unknown */
};

/* Frees n revoked entries of v and v. */
void store_revoked_free(struct store_revoked *v, size_t n);

/* store_ops.cert_status: a certificate's revocation state. */
struct store_cert_status {
	bool stored;	       /* a certificate with the serial is in the store */
	bool revoked;	       /* the serial is revoked (stored or not) */
	int64_t revoked_at_ns; /* when revoked */
	int reason_code;       /* RFC 5280 CRLReason, when revoked */
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
	/* What an OCSP responder says of a serial: whether a certificate with it is stored, and
	 * whether it is revoked, when and why (one read). */
	int (*cert_status)(struct store *s, const char *serial, struct store_cert_status *out,
			   struct error *err);
	/* Reads one live record: *found, and *out filled (store_record_free) when found, zeroed
	 * otherwise. An
	 * invalid collection or id: -1, ERR_INVALID (so for record_list). */
	int (*record_get)(struct store *s, const char *collection, const char *id, bool *found,
			  struct store_record *out, struct error *err);
	/* Lists the live records of a collection with this owner (NULL: all), in id order (bytes
	 * compared as unsigned), ids after after_id (NULL: from the start), at most limit: *out
	 * (store_records_free; NULL when *n is 0) and *n. */
	int (*record_list)(struct store *s, const char *collection, const char *owner,
			   const char *after_id, size_t limit, struct store_record **out, size_t *n,
			   struct error *err);
	/* Lists the revoked X.509 certificates (every revocation: direct, by lineage, by blocked
	 * key), in serial order (bytes compared as unsigned), serials after after_serial (NULL:
	 * from the start), at most limit: *out (store_revoked_free; NULL when *n is 0) and *n. */
	int (*revoked_list)(struct store *s, const char *after_serial, size_t limit,
			    struct store_revoked **out, size_t *n, struct error *err);
	/* Commits what is queued, then closes and frees. */
	void (*close)(struct store *s);
};

struct store {
	const struct store_ops *ops;
	/* Reads may wait on the network (PostgreSQL): callers on an event loop must not read
	 * from it directly (the authority runs such operations on its own threads). */
	bool remote;
};

/* Opens the back end cfg names, running its schema migrations when needed (once, under a
 * lock, when several processes share a database; none when the schema is current). Unknown
 * type -> ERR_INVALID "unsupported database type '<t>': supported types are sqlite and
 * postgresql; ..." with the "db" object to write instead. */
int store_open(const struct store_config *cfg, struct store **out, struct error *err);
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
/* Adds a record change to t (deep copy of rec). */
void store_txn_record(struct store_txn *t, enum store_record_op op, const struct store_record *rec);
/* For a back end: whether collection is [a-z0-9_]{1,64} and id 1..256 bytes; else -1 with
 * ERR_INVALID. */
int store_record_check(const char *collection, const char *id, struct error *err);
/* Resets the result flags of t (token_reused ... record_conflict, each change's conflict), for
 * a back end. */
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
