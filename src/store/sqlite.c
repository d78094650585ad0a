/* sqlite.c - the embedded SQLite back end (`"db": {"type": "sqlite", "dataSource": <file>}`).
 *
 * Two connections. Writes are transactions (store.h) queued to one committer thread, which
 * commits everything queued so far as one SQLite transaction, each store transaction inside
 * its own savepoint: N concurrent requests share one fsync (group commit). The journal is a
 * WAL with synchronous=FULL, so a transaction is on disk when its done callback runs: a
 * certificate handed to a client survives a SIGKILL or power loss of the server. Reads use
 * the second connection under a mutex and never wait behind a commit's fsync. Every
 * statement is prepared once at open.
 *
 * Times are stored as int64 nanoseconds since the Unix epoch, like everywhere in stride.
 * The file, connections and migrations are in sqlite_schema.c, records in sqlite_records.c.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "base/metrics.h"
#include "base/str.h"
#include "store/sqlite_int.h"

static const struct stmt_def wstmts[W_COUNT] = {
    [W_BEGIN] = {"begin", "BEGIN IMMEDIATE"},
    [W_COMMIT] = {"commit", "COMMIT"},
    [W_ROLLBACK] = {"rollback", "ROLLBACK"},
    [W_SAVEPOINT] = {"savepoint", "SAVEPOINT txn"},
    [W_RELEASE] = {"release savepoint", "RELEASE txn"},
    [W_ROLLBACK_TO] = {"roll back to savepoint", "ROLLBACK TO txn"},
    [W_USE_TOKEN] = {"use token",
		     "INSERT OR IGNORE INTO used_ott (key, token, created_at) VALUES (?1, ?2, ?3)"},
    [W_PUT_CERT] = {"store certificate",
		    "INSERT INTO x509_certs (serial, der, not_after, prov_id, prov_name, "
		    "prov_type, created_at, parent_serial, key_id) "
		    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"},
    [W_REVOKE] = {"revoke certificate",
		  "INSERT OR IGNORE INTO revoked_x509_certs (serial, prov_id, reason_code, "
		  "reason, revoked_at, expires_at, token_id, mtls) "
		  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
    [W_REVOKE_DESCENDANTS] = {"revoke renewed certificates",
			      "WITH RECURSIVE d (serial) AS ("
			      " SELECT serial FROM x509_certs WHERE parent_serial = ?1"
			      " UNION SELECT c.serial FROM x509_certs c"
			      " JOIN d ON c.parent_serial = d.serial) "
			      "INSERT OR IGNORE INTO revoked_x509_certs (serial, prov_id, "
			      "reason_code, reason, revoked_at, expires_at, token_id, mtls) "
			      "SELECT d.serial, ?2, ?3, ?4, ?5, c.not_after, ?7, ?8 FROM d "
			      "JOIN x509_certs c ON c.serial = d.serial"},
    [W_PARENT_REVOKED] = {"check the parent's revocation",
			  "SELECT 1 FROM revoked_x509_certs WHERE serial = ?1"},
    [W_KEY_BLOCKED] = {"check blocked keys", "SELECT 1 FROM blocked_keys WHERE key_id = ?1"},
    /* The revocation's key (?9), else the stored certificate's. */
    [W_BLOCK_KEY] = {"block key",
		     "INSERT OR IGNORE INTO blocked_keys (key_id, serial, reason_code, blocked_at) "
		     "SELECT k, ?1, ?3, ?5 FROM (SELECT ?9 AS k UNION "
		     "SELECT key_id FROM x509_certs WHERE serial = ?1) WHERE k IS NOT NULL"},
    /* Every certificate with a key just blocked, and every certificate renewed from one. */
    [W_REVOKE_BY_KEY] = {"revoke certificates of a blocked key",
			 "WITH RECURSIVE k (key_id) AS ("
			 " SELECT ?9 UNION SELECT key_id FROM x509_certs WHERE serial = ?1),"
			 " d (serial) AS ("
			 " SELECT c.serial FROM x509_certs c JOIN k ON c.key_id = k.key_id"
			 " UNION SELECT c.serial FROM x509_certs c"
			 " JOIN d ON c.parent_serial = d.serial) "
			 "INSERT OR IGNORE INTO revoked_x509_certs (serial, prov_id, reason_code, "
			 "reason, revoked_at, expires_at, token_id, mtls) "
			 "SELECT d.serial, ?2, ?3, ?4, ?5, c.not_after, ?7, ?8 FROM d "
			 "JOIN x509_certs c ON c.serial = d.serial"},
};

static const struct stmt_def rstmts[R_COUNT] = {
    [R_TOKEN_USED] = {"check token", "SELECT 1 FROM used_ott WHERE key = ?1"},
    [R_GET_CERT_PROV] = {"get certificate",
			 "SELECT prov_name, prov_type FROM x509_certs WHERE serial = ?1"},
    [R_IS_REVOKED] = {"check revocation", "SELECT 1 FROM revoked_x509_certs WHERE serial = ?1"},
    [R_REVOKED_LIST] = {"list revoked certificates",
			"SELECT r.serial, r.reason_code, r.revoked_at, CASE WHEN r.expires_at <> 0 "
			"THEN r.expires_at ELSE COALESCE(c.not_after, 0) END "
			"FROM revoked_x509_certs r LEFT JOIN x509_certs c ON c.serial = r.serial "
			"WHERE r.serial > ?1 ORDER BY r.serial LIMIT ?2"},
    [R_CERT_STATUS] = {"read certificate status",
		       "SELECT EXISTS (SELECT 1 FROM x509_certs WHERE serial = ?1), r.revoked_at, "
		       "r.reason_code FROM (SELECT 1) LEFT JOIN revoked_x509_certs r "
		       "ON r.serial = ?1"},
};

/* Steps a bound write statement to its end; *changes gets the rows it changed. */
static int wstep(struct sqlite_store *s, enum wstmt_id id, int *changes, struct error *err)
{
	sqlite3_stmt *st = s->w[id];
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE && changes != NULL)
		*changes = sqlite3_changes(s->wdb);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : sq_db_error(s, s->wdb, err, wstmts[id].name, rc);
}

static int bind_token(sqlite3_stmt *st, const struct store_txn *t, int64_t now)
{
	int rc = sqlite3_bind_text(st, 1, t->token_key, -1, SQLITE_STATIC);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, t->token, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, now);
	return rc;
}

static int bind_cert(sqlite3_stmt *st, const struct cert_record *r, int64_t now)
{
	int rc = sqlite3_bind_text(st, 1, r->serial, -1, SQLITE_STATIC);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob64(st, 2, r->der, r->der_len, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, r->not_after_ns);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 4, r->prov_id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 5, r->prov_name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 6, r->prov_type, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 7, now);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 8, r->parent_serial, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 9, r->key_id, -1, SQLITE_STATIC);
	return rc;
}

static int bind_revocation(sqlite3_stmt *st, const struct revocation *r)
{
	int rc = sqlite3_bind_text(st, 1, r->serial, -1, SQLITE_STATIC);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, r->prov_id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 3, r->reason_code);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 4, r->reason, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, r->revoked_at_ns);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, r->expires_at_ns);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 7, r->token_id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 8, r->mtls ? 1 : 0);
	return rc;
}

/* bind_revocation plus the key to block (?9) for the statements that take it. */
static int bind_revocation_key(sqlite3_stmt *st, const struct revocation *r)
{
	int rc = bind_revocation(st, r);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 9, r->key_id, -1, SQLITE_STATIC);
	return rc;
}

/* Binds with ok (an SQLite code) and steps; a bind failure is reported like a step one. */
static int bound_step(struct sqlite_store *s, enum wstmt_id id, int ok, int *changes,
		      struct error *err)
{
	if (ok != SQLITE_OK) {
		sqlite3_clear_bindings(s->w[id]);
		return sq_db_error(s, s->wdb, err, wstmts[id].name, ok);
	}
	return wstep(s, id, changes, err);
}

/* Runs a one-key SELECT on the write connection, inside the open batch: *found says whether
 * it returned a row. NULL key: no row. */
static int wexists(struct sqlite_store *s, enum wstmt_id id, const char *key, bool *found,
		   struct error *err)
{
	sqlite3_stmt *st = s->w[id];
	int rc;

	*found = false;
	if (key == NULL)
		return 0;
	rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	*found = rc == SQLITE_ROW;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
		   ? 0
		   : sq_db_error(s, s->wdb, err, wstmts[id].name, rc);
}

/* Whether the new certificate of t may be stored now (struct store_txn): sets parent_revoked,
 * key_blocked and auth_key_blocked. */
static int admit_cert(struct sqlite_store *s, struct store_txn *t)
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

/* A revocation: the serial, every certificate renewed from it and, for key compromise, its key
 * and every certificate with that key (and their renewals). Sets already_revoked. */
static int apply_revocation(struct sqlite_store *s, struct store_txn *t)
{
	int changes = 0;

	if (bound_step(s, W_REVOKE, bind_revocation(s->w[W_REVOKE], &t->rev), &changes, &t->err) !=
		0 ||
	    bound_step(s, W_REVOKE_DESCENDANTS,
		       bind_revocation(s->w[W_REVOKE_DESCENDANTS], &t->rev), NULL, &t->err) != 0)
		return -1;
	t->already_revoked = changes == 0;
	if (!t->rev.block_key)
		return 0;
	if (bound_step(s, W_BLOCK_KEY, bind_revocation_key(s->w[W_BLOCK_KEY], &t->rev), NULL,
		       &t->err) != 0 ||
	    bound_step(s, W_REVOKE_BY_KEY, bind_revocation_key(s->w[W_REVOKE_BY_KEY], &t->rev),
		       NULL, &t->err) != 0)
		return -1;
	return 0;
}

/* The statements of one transaction, inside the open batch. Sets token_reused and the other
 * result flags; returns -1 on a database error. */
static int apply_changes(struct sqlite_store *s, struct store_txn *t, int64_t now)
{
	int changes = 0;

	if (t->token_key != NULL) {
		if (bound_step(s, W_USE_TOKEN, bind_token(s->w[W_USE_TOKEN], t, now), &changes,
			       &t->err) != 0)
			return -1;
		if (changes == 0) {
			t->token_reused = true;
			return 0;
		}
	}
	if (t->has_cert) {
		if (admit_cert(s, t) != 0)
			return -1;
		if (t->parent_revoked || t->key_blocked || t->auth_key_blocked)
			return 0;
		if (bound_step(s, W_PUT_CERT, bind_cert(s->w[W_PUT_CERT], &t->cert, now), NULL,
			       &t->err) != 0)
			return -1;
	}
	if (t->has_revocation && apply_revocation(s, t) != 0)
		return -1;
	return t->n_records > 0 ? sq_apply_records(s, t, now) : 0;
}

/* One transaction of a batch, inside a savepoint so that its failure (or a reused token, or a
 * record conflict) undoes only its own changes. */
static void apply_txn(struct sqlite_store *s, struct store_txn *t, int64_t now)
{
	t->rc = 0;
	store_txn_clear_results(t);
	err_clear(&t->err);
	if (wstep(s, W_SAVEPOINT, NULL, &t->err) != 0) {
		t->rc = -1;
		return;
	}
	if (apply_changes(s, t, now) != 0)
		t->rc = -1;
	if (t->rc != 0 || t->token_reused || t->record_conflict) {
		struct error ignored = {0};
		bool reused = t->token_reused, conflict = t->record_conflict;
		size_t at = 0;

		while (conflict && !t->records[at].conflict)
			at++;
		store_txn_clear_results(t);
		t->token_reused = reused;
		t->record_conflict = conflict;
		if (conflict)
			t->records[at].conflict = true;
		(void)wstep(s, W_ROLLBACK_TO, NULL, &ignored);
	}
	if (wstep(s, W_RELEASE, NULL, t->rc == 0 ? &t->err : NULL) != 0)
		t->rc = -1;
}

/* Commits a batch as one durable transaction (WAL + synchronous=FULL: one fsync), then tells
 * every transaction's owner. Nothing of a transaction counts as done before the COMMIT. */
static void commit_batch(void *ctx, struct store_txn *batch)
{
	struct sqlite_store *s = ctx;
	struct error err = {0};
	int64_t now = time_now_ns();
	int rc = wstep(s, W_BEGIN, NULL, &err);

	for (struct store_txn *t = batch; rc == 0 && t != NULL; t = t->next)
		apply_txn(s, t, now);
	if (rc == 0 && wstep(s, W_COMMIT, NULL, &err) != 0) {
		struct error ignored = {0};
		(void)wstep(s, W_ROLLBACK, NULL, &ignored);
		rc = -1;
	}
	store_batch_done(batch, rc, &err);
}

static void sq_submit(struct store *st, struct store_txn *t)
{
	store_committer_submit(&((struct sqlite_store *)st)->committer, t);
}

/* Runs a single-key query on the read connection; *row says whether a row came back,
 * columns copied with copy_row. */
static int sqlite_read(struct sqlite_store *s, enum rstmt_id id, const char *key, bool *row,
		       void (*copy_row)(sqlite3_stmt *st, void *arg), void *arg, struct error *err)
{
	sqlite3_stmt *st = s->r[id];
	int rc, ret = -1;

	*row = false;
	pthread_mutex_lock(&s->rlock);
	rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*row = true;
		if (copy_row != NULL)
			copy_row(st, arg);
	} else if (rc != SQLITE_DONE) {
		sq_db_error(s, s->rdb, err, rstmts[id].name, rc);
		goto out;
	}
	ret = 0;
out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	pthread_mutex_unlock(&s->rlock);
	return ret;
}

static int sq_token_used(struct store *s, const char *key, bool *used, struct error *err)
{
	return sqlite_read((struct sqlite_store *)s, R_TOKEN_USED, key, used, NULL, NULL, err);
}

struct prov_out {
	char *name;
	char *type;
};

static char *column_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	return v != NULL ? xstrdup((const char *)v) : NULL;
}

static void copy_prov(sqlite3_stmt *st, void *arg)
{
	struct prov_out *o = arg;

	o->name = column_dup(st, 0);
	o->type = column_dup(st, 1);
}

static int sq_get_cert_provisioner(struct store *s, const char *serial, bool *found,
				   char **prov_name, char **prov_type, struct error *err)
{
	struct prov_out o = {NULL, NULL};
	int rc = sqlite_read((struct sqlite_store *)s, R_GET_CERT_PROV, serial, found, copy_prov,
			     &o, err);

	if (prov_name != NULL) {
		*prov_name = o.name;
		o.name = NULL;
	}
	if (prov_type != NULL) {
		*prov_type = o.type;
		o.type = NULL;
	}
	free(o.name);
	free(o.type);
	return rc;
}

static int sq_is_revoked(struct store *s, const char *serial, bool *revoked, struct error *err)
{
	return sqlite_read((struct sqlite_store *)s, R_IS_REVOKED, serial, revoked, NULL, NULL,
			   err);
}

static int sq_revoked_list(struct store *st, const char *after_serial, size_t limit,
			   struct store_revoked **out, size_t *n, struct error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q = s->r[R_REVOKED_LIST];
	struct store_revoked *v = NULL;
	size_t cap = 0, count = 0;
	int rc, ret = -1;

	*out = NULL;
	*n = 0;
	if (limit == 0)
		return 0;
	pthread_mutex_lock(&s->rlock);
	rc = sqlite3_bind_text(q, 1, after_serial != NULL ? after_serial : "", -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(q, 2, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(q);
		if (rc != SQLITE_ROW)
			break;
		if (count == cap) {
			cap = cap > 0 ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[count++] = (struct store_revoked){
		    .serial = column_dup(q, 0),
		    .reason_code = sqlite3_column_int(q, 1),
		    .revoked_at_ns = sqlite3_column_int64(q, 2),
		    .expires_at_ns = sqlite3_column_int64(q, 3),
		};
	}
	if (rc != SQLITE_DONE) {
		sq_db_error(s, s->rdb, err, rstmts[R_REVOKED_LIST].name, rc);
		goto out;
	}
	*out = v;
	*n = count;
	v = NULL;
	count = 0;
	ret = 0;
out:
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	pthread_mutex_unlock(&s->rlock);
	store_revoked_free(v, count);
	return ret;
}

static void copy_status(sqlite3_stmt *st, void *arg)
{
	struct store_cert_status *o = arg;

	o->stored = sqlite3_column_int(st, 0) != 0;
	o->revoked = sqlite3_column_type(st, 1) != SQLITE_NULL;
	o->revoked_at_ns = o->revoked ? sqlite3_column_int64(st, 1) : 0;
	o->reason_code = o->revoked ? sqlite3_column_int(st, 2) : 0;
}

static int sq_cert_status(struct store *s, const char *serial, struct store_cert_status *out,
			  struct error *err)
{
	bool row;

	memset(out, 0, sizeof(*out));
	return sqlite_read((struct sqlite_store *)s, R_CERT_STATUS, serial, &row, copy_status, out,
			   err);
}

static void finalize_all(sqlite3_stmt **v, int n)
{
	for (int i = 0; i < n; i++)
		sqlite3_finalize(v[i]);
}

static void sq_close(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	if (s == NULL)
		return;
	store_committer_stop(&s->committer);
	finalize_all(s->w, W_COUNT);
	finalize_all(s->rw, RW_COUNT);
	finalize_all(s->r, R_COUNT);
	finalize_all(s->rr, RR_COUNT);
	if (s->wdb != NULL)
		sqlite3_close_v2(s->wdb);
	if (s->rdb != NULL)
		sqlite3_close_v2(s->rdb);
	if (s->locks_ready)
		pthread_mutex_destroy(&s->rlock);
	free(s->file);
	free(s);
}

static const struct store_ops sqlite_ops = {
    .token_used = sq_token_used,
    .submit = sq_submit,
    .get_cert_provisioner = sq_get_cert_provisioner,
    .is_revoked = sq_is_revoked,
    .cert_status = sq_cert_status,
    .record_get = sq_record_get,
    .record_list = sq_record_list,
    .revoked_list = sq_revoked_list,
    .close = sq_close,
};

static int init_locks(struct sqlite_store *s, struct error *err)
{
	if (pthread_mutex_init(&s->rlock, NULL) != 0)
		return err_set(err, ERR_INTERNAL, "store: cannot create a mutex");
	s->locks_ready = true;
	return 0;
}

int store_sqlite_open(const char *path, struct store **out, struct error *err)
{
	struct sqlite_store *s = NULL;
	int rc = -1;

	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return err_set(err, ERR_INVALID,
			       "db.dataSource cannot be empty for database type 'sqlite'");
	s = xcalloc(1, sizeof(*s));
	s->base.ops = &sqlite_ops;
	if (init_locks(s, err) != 0 || sq_prepare_file(path, &s->file, err) != 0 ||
	    sq_open_connection(s, &s->wdb, sq_wal_vfs(), err) != 0 ||
	    sq_configure_and_migrate(s, err) != 0 ||
	    sq_prepare_all(s, s->wdb, wstmts, W_COUNT, s->w, err) != 0 ||
	    sq_prepare_all(s, s->wdb, sq_record_wstmts, RW_COUNT, s->rw, err) != 0 ||
	    sq_open_connection(s, &s->rdb, NULL, err) != 0 ||
	    sq_prepare_all(s, s->rdb, rstmts, R_COUNT, s->r, err) != 0 ||
	    sq_prepare_all(s, s->rdb, sq_record_rstmts, RR_COUNT, s->rr, err) != 0)
		goto out;
	s->committer.metrics_store = METRICS_STORE_SQLITE;
	if (store_committer_start(&s->committer, commit_batch, s, err) != 0)
		goto out;
	*out = &s->base;
	s = NULL;
	rc = 0;
out:
	sq_close(s != NULL ? &s->base : NULL);
	return rc;
}
