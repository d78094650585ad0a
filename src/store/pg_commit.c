/* pg_commit.c - writes of the PostgreSQL back end: one committer thread with its own
 * connection commits everything queued as one PostgreSQL transaction (group commit), each
 * store transaction inside its own savepoint so that its failure or conflict undoes only its
 * own changes. done() runs only after COMMIT returned: the changes are as durable as the
 * server's synchronous_commit makes them. A lost connection fails the batch (and, until the
 * server answers again, every batch after it) with ERR_UNAVAILABLE "database unavailable".
 *
 * The rules decided inside the commit are SQLite's (sqlite.c): token replay, a renewal refused
 * when its parent is revoked or its key blocked, a revocation sweeping every renewal of the
 * serial and, for keyCompromise, every certificate with the key.
 */
#include "store/pg_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "base/metrics.h"
#include "base/str.h"

/* Parameter types (pg_type OIDs) of the statements that do not use all their parameters. */
#define OID_BOOL  16
#define OID_BYTEA 17
#define OID_INT8  20
#define OID_INT4  23
#define OID_TEXT  25

enum wstmt_id {
	W_USE_TOKEN,
	W_PUT_CERT,
	W_REVOKE,
	W_REVOKE_DESCENDANTS,
	W_PARENT_REVOKED,
	W_KEY_BLOCKED,
	W_BLOCK_KEY,
	W_REVOKE_BY_KEY,
	W_REC_INSERT,
	W_REC_UPDATE,
	W_REC_PUT,
	W_REC_DELETE,
	W_REC_TAKE,
	W_COUNT,
};

/* Revocation statements: $1 serial, $2 prov_id, $3 reason_code, $4 reason, $5 revoked_at,
 * $6 expires_at, $7 token_id, $8 mtls, $9 the key to block. */
static const Oid rev_types[9] = {OID_TEXT, OID_TEXT, OID_INT4, OID_TEXT, OID_INT8,
				 OID_INT8, OID_TEXT, OID_BOOL, OID_TEXT};
/* Record statements: $1 collection, $2 id, $3 owner, $4 value, $5 expires_at, $6 now,
 * $7 the expected version. */
static const Oid rec_types[7] = {OID_TEXT, OID_TEXT, OID_TEXT, OID_BYTEA,
				 OID_INT8, OID_INT8, OID_INT8};

#define REV_COLUMNS "(serial, prov_id, reason_code, reason, revoked_at, expires_at, token_id, mtls)"
#define REC_LIVE    "(expires_at = 0 OR expires_at > $6)"

const struct pg_stmt pg_write_stmts[W_COUNT] = {
    [W_USE_TOKEN] = {"w_use_token", "use token",
		     "INSERT INTO used_ott (key, token, created_at) "
		     "VALUES ($1::text, $2::text, $3::bigint) ON CONFLICT DO NOTHING",
		     3, NULL},
    [W_PUT_CERT] =
	{"w_put_cert", "store certificate",
	 "INSERT INTO x509_certs (serial, der, not_after, prov_id, prov_name, prov_type, "
	 "created_at, parent_serial, key_id) VALUES ($1::text, $2::bytea, $3::bigint, "
	 "$4::text, $5::text, $6::text, $7::bigint, $8::text, $9::text)",
	 9, NULL},
    [W_REVOKE] = {"w_revoke", "revoke certificate",
		  "INSERT INTO revoked_x509_certs " REV_COLUMNS
		  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
		  9, rev_types},
    [W_REVOKE_DESCENDANTS] = {"w_revoke_descendants", "revoke renewed certificates",
			      "WITH RECURSIVE d (serial) AS ("
			      " SELECT serial FROM x509_certs WHERE parent_serial = $1"
			      " UNION SELECT c.serial FROM x509_certs c"
			      " JOIN d ON c.parent_serial = d.serial) "
			      "INSERT INTO revoked_x509_certs " REV_COLUMNS
			      " SELECT d.serial, $2, $3, $4, $5, c.not_after, $7, $8 FROM d"
			      " JOIN x509_certs c ON c.serial = d.serial ON CONFLICT DO NOTHING",
			      9, rev_types},
    [W_PARENT_REVOKED] = {"w_parent_revoked", "check the parent's revocation",
			  "SELECT 1 FROM revoked_x509_certs WHERE serial = $1::text", 1, NULL},
    [W_KEY_BLOCKED] = {"w_key_blocked", "check blocked keys",
		       "SELECT 1 FROM blocked_keys WHERE key_id = $1::text", 1, NULL},
    /* The revocation's key ($9), else the stored certificate's. */
    [W_BLOCK_KEY] = {"w_block_key", "block key",
		     "INSERT INTO blocked_keys (key_id, serial, reason_code, blocked_at) "
		     "SELECT k, $1, $3, $5 FROM (SELECT $9 AS k UNION "
		     "SELECT key_id FROM x509_certs WHERE serial = $1) q WHERE k IS NOT NULL "
		     "ON CONFLICT DO NOTHING",
		     9, rev_types},
    /* Every certificate with a key just blocked, and every certificate renewed from one. */
    [W_REVOKE_BY_KEY] = {"w_revoke_by_key", "revoke certificates of a blocked key",
			 "WITH RECURSIVE k (key_id) AS ("
			 " SELECT $9 UNION SELECT key_id FROM x509_certs WHERE serial = $1),"
			 " d (serial) AS ("
			 " SELECT c.serial FROM x509_certs c JOIN k ON c.key_id = k.key_id"
			 " UNION SELECT c.serial FROM x509_certs c"
			 " JOIN d ON c.parent_serial = d.serial) "
			 "INSERT INTO revoked_x509_certs " REV_COLUMNS
			 " SELECT d.serial, $2, $3, $4, $5, c.not_after, $7, $8 FROM d"
			 " JOIN x509_certs c ON c.serial = d.serial ON CONFLICT DO NOTHING",
			 9, rev_types},
    [W_REC_INSERT] = {"w_rec_insert", "insert record",
		      "INSERT INTO records (collection, id, owner, value, expires_at, version) "
		      "VALUES ($1, $2, $3, $4, $5, 1) ON CONFLICT (collection, id) DO UPDATE "
		      "SET owner = excluded.owner, value = excluded.value, "
		      "expires_at = excluded.expires_at, version = 1 "
		      "WHERE records.expires_at <> 0 AND records.expires_at <= $6",
		      7, rec_types},
    [W_REC_UPDATE] = {"w_rec_update", "update record",
		      "UPDATE records SET owner = $3, value = $4, expires_at = $5, "
		      "version = version + 1 WHERE collection = $1 AND id = $2 AND "
		      "version = $7 AND " REC_LIVE,
		      7, rec_types},
    [W_REC_PUT] = {"w_rec_put", "put record",
		   "INSERT INTO records (collection, id, owner, value, expires_at, version) "
		   "VALUES ($1, $2, $3, $4, $5, 1) ON CONFLICT (collection, id) DO UPDATE "
		   "SET owner = excluded.owner, value = excluded.value, "
		   "expires_at = excluded.expires_at, version = records.version + 1",
		   7, rec_types},
    [W_REC_DELETE] = {"w_rec_delete", "delete record",
		      "DELETE FROM records WHERE collection = $1 AND id = $2", 7, rec_types},
    [W_REC_TAKE] = {"w_rec_take", "take record",
		    "DELETE FROM records WHERE collection = $1 AND id = $2 AND " REC_LIVE, 7,
		    rec_types},
};
const int pg_write_nstmts = W_COUNT;

/* Runs write statement id; *rows (may be NULL) gets the rows it changed or returned. */
static int wrun(struct pg_store *s, enum wstmt_id id, const char *const *values, const int *lens,
		const int *formats, int *rows, struct error *err)
{
	PGresult *res =
	    pg_exec_prepared(s, &s->writer, &pg_write_stmts[id], values, lens, formats, err);

	if (res == NULL)
		return -1;
	if (rows != NULL)
		*rows = PQresultStatus(res) == PGRES_TUPLES_OK ? PQntuples(res)
							       : atoi(PQcmdTuples(res));
	PQclear(res);
	return 0;
}

/* A one-key SELECT inside the open batch: *found says whether it returned a row. NULL key: no
 * row. */
static int wexists(struct pg_store *s, enum wstmt_id id, const char *key, bool *found,
		   struct error *err)
{
	const char *values[1] = {key};
	int rows = 0;

	*found = false;
	if (key == NULL)
		return 0;
	if (wrun(s, id, values, NULL, NULL, &rows, err) != 0)
		return -1;
	*found = rows > 0;
	return 0;
}

/* Whether the new certificate of t may be stored now (struct store_txn). */
static int admit_cert(struct pg_store *s, struct store_txn *t)
{
	const char *auth = t->auth_key_id;

	if (auth != NULL && t->cert.key_id != NULL && strcmp(auth, t->cert.key_id) == 0)
		auth = NULL; /* a renewal with the same key: one lookup answers both */
	if (wexists(s, W_PARENT_REVOKED, t->cert.parent_serial, &t->parent_revoked, &t->err) != 0 ||
	    wexists(s, W_KEY_BLOCKED, t->cert.key_id, &t->key_blocked, &t->err) != 0 ||
	    wexists(s, W_KEY_BLOCKED, auth, &t->auth_key_blocked, &t->err) != 0)
		return -1;
	if (auth == NULL && t->auth_key_id != NULL)
		t->auth_key_blocked = t->key_blocked;
	return 0;
}

static int put_cert(struct pg_store *s, struct store_txn *t, const char *now)
{
	const struct cert_record *r = &t->cert;
	char not_after[24];
	const char *values[9] = {r->serial,  (const char *)r->der, not_after,
				 r->prov_id, r->prov_name,	   r->prov_type,
				 now,	     r->parent_serial,	   r->key_id};
	int lens[9] = {0, (int)r->der_len};
	int formats[9] = {0, 1};

	snprintf(not_after, sizeof(not_after), "%" PRId64, r->not_after_ns);
	return wrun(s, W_PUT_CERT, values, lens, formats, NULL, &t->err);
}

/* A revocation: the serial, every certificate renewed from it and, for key compromise, its key
 * and every certificate with that key (and their renewals). Sets already_revoked. */
static int apply_revocation(struct pg_store *s, struct store_txn *t)
{
	const struct revocation *r = &t->rev;
	char code[16], revoked_at[24], expires_at[24];
	const char *values[9] = {r->serial,   r->prov_id,	   code,
				 r->reason,   revoked_at,	   expires_at,
				 r->token_id, r->mtls ? "t" : "f", r->key_id};
	int rows = 0;

	snprintf(code, sizeof(code), "%d", r->reason_code);
	snprintf(revoked_at, sizeof(revoked_at), "%" PRId64, r->revoked_at_ns);
	snprintf(expires_at, sizeof(expires_at), "%" PRId64, r->expires_at_ns);
	if (wrun(s, W_REVOKE, values, NULL, NULL, &rows, &t->err) != 0 ||
	    wrun(s, W_REVOKE_DESCENDANTS, values, NULL, NULL, NULL, &t->err) != 0)
		return -1;
	t->already_revoked = rows == 0;
	if (!r->block_key)
		return 0;
	if (wrun(s, W_BLOCK_KEY, values, NULL, NULL, NULL, &t->err) != 0 ||
	    wrun(s, W_REVOKE_BY_KEY, values, NULL, NULL, NULL, &t->err) != 0)
		return -1;
	return 0;
}

/* The record changes of t, in order, up to the first conflict. */
static int apply_records(struct pg_store *s, struct store_txn *t, const char *now)
{
	for (size_t i = 0; i < t->n_records; i++) {
		struct store_record_change *c = &t->records[i];
		const struct store_record *r = &c->rec;
		char expires[24], version[24];
		const char *values[7] = {r->collection, r->id, r->owner, (const char *)r->value,
					 expires,	now,   version};
		int lens[7] = {0, 0, 0, (int)r->value_len};
		int formats[7] = {0, 0, 0, 1};
		int rows = 0;

		if (store_record_check(r->collection, r->id, &t->err) != 0)
			return -1;
		if ((unsigned)c->op > STORE_REC_TAKE)
			return err_set(&t->err, ERR_INTERNAL, "store: unknown record operation %d",
				       (int)c->op);
		if (r->value_len > INT32_MAX)
			return err_set(&t->err, ERR_TOO_LARGE, "store: record value too large");
		snprintf(expires, sizeof(expires), "%" PRId64, r->expires_at_ns);
		snprintf(version, sizeof(version), "%" PRId64, r->version);
		if (r->value == NULL)
			values[3] = "";
		if (wrun(s, W_REC_INSERT + (int)c->op, values, lens, formats, &rows, &t->err) != 0)
			return -1;
		if (rows == 0) {
			c->conflict = true;
			t->record_conflict = true;
			return 0;
		}
	}
	return 0;
}

/* The statements of one transaction inside its savepoint. Sets the result flags; -1 on a
 * database error. */
static int apply_changes(struct pg_store *s, struct store_txn *t, const char *now)
{
	if (t->token_key != NULL) {
		const char *values[3] = {t->token_key, t->token, now};
		int rows = 0;

		if (wrun(s, W_USE_TOKEN, values, NULL, NULL, &rows, &t->err) != 0)
			return -1;
		if (rows == 0) {
			t->token_reused = true;
			return 0;
		}
	}
	if (t->has_cert) {
		if (admit_cert(s, t) != 0)
			return -1;
		if (t->parent_revoked || t->key_blocked || t->auth_key_blocked)
			return 0;
		if (put_cert(s, t, now) != 0)
			return -1;
	}
	if (t->has_revocation && apply_revocation(s, t) != 0)
		return -1;
	return t->n_records > 0 ? apply_records(s, t, now) : 0;
}

/* One transaction of a batch inside a savepoint. Returns -1 when the batch cannot go on (the
 * connection is lost, or the savepoint cannot be undone). */
static int apply_txn(struct pg_store *s, struct store_txn *t, const char *now)
{
	struct error ignored = {0};

	t->rc = 0;
	store_txn_clear_results(t);
	err_clear(&t->err);
	if (pg_exec(s, &s->writer, "SAVEPOINT txn", "savepoint", &t->err) != 0)
		return -1;
	if (apply_changes(s, t, now) != 0) {
		t->rc = -1;
		if (pg_conn_broken(&s->writer))
			return -1;
	}
	if (t->rc != 0 || t->token_reused || t->record_conflict) {
		bool reused = t->token_reused, conflict = t->record_conflict;
		size_t at = 0;

		while (conflict && !t->records[at].conflict)
			at++;
		store_txn_clear_results(t);
		t->token_reused = reused;
		t->record_conflict = conflict;
		if (conflict)
			t->records[at].conflict = true;
		if (pg_exec(s, &s->writer, "ROLLBACK TO SAVEPOINT txn", "roll back to savepoint",
			    &ignored) != 0)
			return -1;
	}
	return pg_exec(s, &s->writer, "RELEASE SAVEPOINT txn", "release savepoint", &ignored);
}

/* Whether a transaction of the batch stores a certificate or a revocation. */
static bool touches_certificates(const struct store_txn *batch)
{
	for (const struct store_txn *t = batch; t != NULL; t = t->next)
		if (t->has_cert || t->has_revocation)
			return true;
	return false;
}

/* Opens the batch's transaction. A connection lost while idle (the server restarted) is
 * replaced once at once: nothing was sent on it yet. */
static int begin_batch(struct pg_store *s, bool lock, struct error *err)
{
	char sql[128];

	for (int attempt = 0; attempt < 2; attempt++) {
		bool was_up = s->writer.conn != NULL;

		if (attempt > 0)
			err_clear(err);
		if (pg_conn_ensure(s, &s->writer, err) != 0)
			return -1;
		/* READ COMMITTED: every statement after the lock sees what the commits before it
		 * wrote (under REPEATABLE READ the snapshot would predate the lock). */
		if (pg_exec(s, &s->writer, "BEGIN ISOLATION LEVEL READ COMMITTED", "begin", err) ==
		    0)
			break;
		if (!was_up || s->writer.conn != NULL || attempt > 0)
			return -1;
	}
	if (!lock)
		return 0;
	/* The rules decided inside the commit read what other commits wrote: a renewal is
	 * admitted when its parent is not revoked, a revocation sweeps the renewals stored so
	 * far. Under READ COMMITTED two processes could each miss the other's uncommitted rows
	 * (a renewal stored while its parent's revocation commits on another instance would
	 * survive it). This lock, held until COMMIT, serialises every commit with certificates or
	 * revocations across all processes sharing the database, as the committer thread does
	 * within one process. */
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%d, %d)", PG_LOCK_CLASS,
		 PG_LOCK_CERTIFICATES);
	return pg_exec(s, &s->writer, sql, "lock certificates", err);
}

/* Commits a batch as one transaction, then tells every transaction's owner. Nothing of a
 * transaction counts as done before the COMMIT. */
static void commit_batch(void *ctx, struct store_txn *batch)
{
	struct pg_store *s = ctx;
	struct error err = {0}, ignored = {0};
	char now[24];
	int rc;

	snprintf(now, sizeof(now), "%" PRId64, time_now_ns());
	rc = begin_batch(s, touches_certificates(batch), &err);
	for (struct store_txn *t = batch; rc == 0 && t != NULL; t = t->next)
		if (apply_txn(s, t, now) != 0) {
			rc = -1;
			if (pg_conn_broken(&s->writer))
				err_public(&err, ERR_UNAVAILABLE, "database unavailable");
			else
				pg_fail(s, &s->writer, NULL, "apply a transaction", &err);
		}
	if (rc == 0 && pg_exec(s, &s->writer, "COMMIT", "commit", &err) != 0)
		rc = -1;
	if (rc != 0 && s->writer.conn != NULL &&
	    PQtransactionStatus(s->writer.conn) != PQTRANS_IDLE)
		(void)pg_exec(s, &s->writer, "ROLLBACK", "roll back", &ignored);
	store_batch_done(batch, rc, &err);
}

void pg_submit(struct store *st, struct store_txn *t)
{
	store_committer_submit(&((struct pg_store *)st)->committer, t);
}

int pg_start_committer(struct pg_store *s, struct error *err)
{
	s->committer.metrics_store = METRICS_STORE_POSTGRES;
	return store_committer_start(&s->committer, commit_batch, s, err);
}
