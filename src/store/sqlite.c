/* sqlite.c - the embedded SQLite back end (`"db": {"type": "sqlite", "dataSource": <file>}`).
 *
 * One connection, guarded by one mutex: every operation is short (a single indexed statement)
 * so serialising them is simple and correct. The journal is a WAL with synchronous=FULL, so a
 * write is on disk when its statement returns: a certificate handed to a client survives a
 * SIGKILL or power loss of the server. Every statement is prepared once at open.
 *
 * All changes go through sqlite_write(); grouping several concurrent writes into one
 * transaction (group commit) later is a change to that function only.
 *
 * Times are stored as int64 nanoseconds since the Unix epoch, like everywhere in stride.
 */
#include "store/sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/file.h"
#include "base/str.h"

#define SQLITE_BUSY_TIMEOUT_MS 10000
#define SQLITE_DIR_FILE	       "stride.db"

/* Schema migrations: entry v upgrades a database at version v-1 to version v. */
static const char *const migrations[STORE_SQLITE_SCHEMA_VERSION + 1] = {
    NULL,
    /* 1: the tables of files.md §2.3 that stride uses. */
    "CREATE TABLE IF NOT EXISTS x509_certs ("
    " serial TEXT PRIMARY KEY NOT NULL,"
    " der BLOB NOT NULL,"
    " not_after INTEGER NOT NULL,"
    " prov_id TEXT,"
    " prov_name TEXT,"
    " prov_type TEXT,"
    " created_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS used_ott ("
    " key TEXT PRIMARY KEY NOT NULL,"
    " token TEXT,"
    " created_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS revoked_x509_certs ("
    " serial TEXT PRIMARY KEY NOT NULL,"
    " prov_id TEXT,"
    " reason_code INTEGER NOT NULL,"
    " reason TEXT,"
    " revoked_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " token_id TEXT,"
    " mtls INTEGER NOT NULL);",
    /* 2: the certificate a renewal came from, so revoking one revokes its renewals. */
    "ALTER TABLE x509_certs ADD COLUMN parent_serial TEXT;"
    "CREATE INDEX IF NOT EXISTS x509_certs_parent ON x509_certs (parent_serial);",
};

enum stmt_id {
	ST_USE_TOKEN,
	ST_PUT_CERT,
	ST_GET_CERT_PROV,
	ST_REVOKE,
	ST_REVOKE_DESCENDANTS,
	ST_IS_REVOKED,
	ST_COUNT,
};

static const struct {
	const char *name; /* for error messages */
	const char *sql;
} stmts[ST_COUNT] = {
    [ST_USE_TOKEN] =
	{"use token",
	 "INSERT OR IGNORE INTO used_ott (key, token, created_at) VALUES (?1, ?2, ?3)"},
    [ST_PUT_CERT] = {"store certificate",
		     "INSERT INTO x509_certs (serial, der, not_after, prov_id, prov_name, "
		     "prov_type, created_at, parent_serial) "
		     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
    [ST_GET_CERT_PROV] = {"get certificate",
			  "SELECT prov_name, prov_type FROM x509_certs WHERE serial = ?1"},
    [ST_REVOKE] = {"revoke certificate",
		   "INSERT OR IGNORE INTO revoked_x509_certs (serial, prov_id, reason_code, "
		   "reason, revoked_at, expires_at, token_id, mtls) "
		   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
    [ST_REVOKE_DESCENDANTS] = {"revoke renewed certificates",
			       "WITH RECURSIVE d (serial) AS ("
			       " SELECT serial FROM x509_certs WHERE parent_serial = ?1"
			       " UNION SELECT c.serial FROM x509_certs c"
			       " JOIN d ON c.parent_serial = d.serial) "
			       "INSERT OR IGNORE INTO revoked_x509_certs (serial, prov_id, "
			       "reason_code, reason, revoked_at, expires_at, token_id, mtls) "
			       "SELECT d.serial, ?2, ?3, ?4, ?5, c.not_after, ?7, ?8 FROM d "
			       "JOIN x509_certs c ON c.serial = d.serial"},
    [ST_IS_REVOKED] = {"check revocation", "SELECT 1 FROM revoked_x509_certs WHERE serial = ?1"},
};

struct sqlite_store {
	struct store base; /* first: the vtable */
	pthread_mutex_t lock;
	sqlite3 *db;
	char *file;
	sqlite3_stmt *stmt[ST_COUNT];
};

/* Binds the arguments of one statement; returns an SQLite result code. */
typedef int (*bind_fn)(sqlite3_stmt *st, const void *arg);

/* One change to the database. */
struct write_op {
	enum stmt_id id;
	bind_fn bind;
	const void *arg;
	int changes; /* out: rows changed */
};

static int db_error(struct sqlite_store *s, struct error *err, enum stmt_id id, int rc)
{
	enum err_kind kind = (rc & 0xff) == SQLITE_CONSTRAINT ? ERR_CONFLICT : ERR_IO;

	return err_set(err, kind, "database %s: %s: %s", s->file, stmts[id].name,
		       s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

/* Runs one statement of a write; the caller holds the lock. */
static int run_op(struct sqlite_store *s, struct write_op *op, struct error *err)
{
	sqlite3_stmt *st = s->stmt[op->id];
	int rc = op->bind(st, op->arg);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		op->changes = sqlite3_changes(s->db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, err, op->id, rc);
}

/* Runs n writes as one durable transaction (a single one in autocommit; WAL +
 * synchronous=FULL). This is the one write path of the store. */
static int sqlite_write_ops(struct sqlite_store *s, struct write_op *ops, size_t n,
			    struct error *err)
{
	int ret = 0;

	pthread_mutex_lock(&s->lock);
	if (n > 1 && sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		ret =
		    err_set(err, ERR_IO, "database %s: begin: %s", s->file, sqlite3_errmsg(s->db));
		goto out;
	}
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = run_op(s, &ops[i], err);
	if (n > 1) {
		const char *end = ret == 0 ? "COMMIT" : "ROLLBACK";
		if (sqlite3_exec(s->db, end, NULL, NULL, NULL) != SQLITE_OK && ret == 0)
			ret = err_set(err, ERR_IO, "database %s: commit: %s", s->file,
				      sqlite3_errmsg(s->db));
	}
out:
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static int sqlite_write(struct sqlite_store *s, struct write_op *op, struct error *err)
{
	return sqlite_write_ops(s, op, 1, err);
}

/* Runs a single-key query; *row says whether a row came back, columns copied with copy_row. */
static int sqlite_read(struct sqlite_store *s, enum stmt_id id, const char *key, bool *row,
		       void (*copy_row)(sqlite3_stmt *st, void *arg), void *arg, struct error *err)
{
	sqlite3_stmt *st = s->stmt[id];
	int rc, ret = -1;

	*row = false;
	pthread_mutex_lock(&s->lock);
	rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*row = true;
		if (copy_row != NULL)
			copy_row(st, arg);
	} else if (rc != SQLITE_DONE) {
		db_error(s, err, id, rc);
		goto out;
	}
	ret = 0;
out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

struct token_args {
	const char *key;
	const char *token;
	int64_t now;
};

static int bind_use_token(sqlite3_stmt *st, const void *arg)
{
	const struct token_args *a = arg;
	int rc = sqlite3_bind_text(st, 1, a->key, -1, SQLITE_STATIC);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, a->token, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, a->now);
	return rc;
}

static int sq_use_token(struct store *s, const char *key, const char *token, bool *already_used,
			struct error *err)
{
	struct token_args a = {key, token, time_now_ns()};
	struct write_op op = {ST_USE_TOKEN, bind_use_token, &a, 0};

	*already_used = false;
	if (key == NULL || key[0] == '\0')
		return err_set(err, ERR_INTERNAL, "store: empty token key");
	if (sqlite_write((struct sqlite_store *)s, &op, err) != 0)
		return -1;
	*already_used = op.changes == 0;
	return 0;
}

struct cert_args {
	const struct cert_record *rec;
	int64_t now;
};

static int bind_put_cert(sqlite3_stmt *st, const void *arg)
{
	const struct cert_args *a = arg;
	const struct cert_record *r = a->rec;
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
		rc = sqlite3_bind_int64(st, 7, a->now);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 8, r->parent_serial, -1, SQLITE_STATIC);
	return rc;
}

static int sq_put_cert(struct store *s, const struct cert_record *rec, struct error *err)
{
	struct cert_args a = {rec, time_now_ns()};
	struct write_op op = {ST_PUT_CERT, bind_put_cert, &a, 0};

	if (rec->serial == NULL || rec->serial[0] == '\0' || rec->der == NULL || rec->der_len == 0)
		return err_set(err, ERR_INTERNAL,
			       "store: certificate record without serial or DER");
	return sqlite_write((struct sqlite_store *)s, &op, err);
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
	int rc = sqlite_read((struct sqlite_store *)s, ST_GET_CERT_PROV, serial, found, copy_prov,
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

static int bind_revoke(sqlite3_stmt *st, const void *arg)
{
	const struct revocation *r = arg;
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

static int sq_revoke(struct store *s, const struct revocation *rev, bool *already_revoked,
		     struct error *err)
{
	/* The certificate, and every certificate renewed from it (they share its key). */
	struct write_op ops[2] = {{ST_REVOKE, bind_revoke, rev, 0},
				  {ST_REVOKE_DESCENDANTS, bind_revoke, rev, 0}};

	*already_revoked = false;
	if (rev->serial == NULL || rev->serial[0] == '\0')
		return err_set(err, ERR_INTERNAL, "store: revocation without serial");
	if (sqlite_write_ops((struct sqlite_store *)s, ops, 2, err) != 0)
		return -1;
	*already_revoked = ops[0].changes == 0;
	return 0;
}

static int sq_is_revoked(struct store *s, const char *serial, bool *revoked, struct error *err)
{
	return sqlite_read((struct sqlite_store *)s, ST_IS_REVOKED, serial, revoked, NULL, NULL,
			   err);
}

static void sq_close(struct store *s)
{
	struct sqlite_store *q = (struct sqlite_store *)s;

	if (q == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(q->stmt[i]);
	if (q->db != NULL)
		sqlite3_close_v2(q->db);
	pthread_mutex_destroy(&q->lock);
	free(q->file);
	free(q);
}

static const struct store_ops sqlite_ops = {
    .use_token = sq_use_token,
    .put_cert = sq_put_cert,
    .get_cert_provisioner = sq_get_cert_provisioner,
    .revoke = sq_revoke,
    .is_revoked = sq_is_revoked,
    .close = sq_close,
};

/* Runs SQL that returns no rows of interest. */
static int exec_sql(struct sqlite_store *s, const char *sql, const char *what, struct error *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		err_set(err, ERR_IO, "database %s: %s: %s", s->file, what,
			msg != NULL ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Runs a PRAGMA that returns one value and copies it as text (NULL when no row). */
static int pragma_text(struct sqlite_store *s, const char *sql, char *out, size_t n,
		       struct error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	out[0] = '\0';
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);
		snprintf(out, n, "%s", v != NULL ? (const char *)v : "");
		rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE)
		err_set(err, ERR_IO, "database %s: %s: %s", s->file, sql, sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int user_version(struct sqlite_store *s, long long *v, struct error *err)
{
	char text[32];

	if (pragma_text(s, "PRAGMA user_version", text, sizeof(text), err) != 0)
		return -1;
	*v = strtoll(text, NULL, 10);
	return 0;
}

/* Brings the schema to STORE_SQLITE_SCHEMA_VERSION inside one write transaction. */
static int migrate(struct sqlite_store *s, struct error *err)
{
	long long v;
	char sql[64];

	if (user_version(s, &v, err) != 0)
		return -1;
	if (v == STORE_SQLITE_SCHEMA_VERSION)
		return 0;
	if (exec_sql(s, "BEGIN IMMEDIATE", "begin schema migration", err) != 0)
		return -1;
	if (user_version(s, &v, err) != 0) /* another process may have migrated meanwhile */
		goto fail;
	if (v < 0 || v > STORE_SQLITE_SCHEMA_VERSION) {
		err_set(err, ERR_INVALID,
			"database %s: schema version %lld is not supported by this version of "
			"stride (newest known: %d)",
			s->file, v, STORE_SQLITE_SCHEMA_VERSION);
		goto fail;
	}
	for (long long i = v + 1; i <= STORE_SQLITE_SCHEMA_VERSION; i++)
		if (exec_sql(s, migrations[i], "schema migration", err) != 0)
			goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SQLITE_SCHEMA_VERSION);
	if (exec_sql(s, sql, "schema migration", err) != 0 ||
	    exec_sql(s, "COMMIT", "commit schema migration", err) != 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int configure(struct sqlite_store *s, struct error *err)
{
	char mode[32];

	sqlite3_extended_result_codes(s->db, 1);
	if (sqlite3_busy_timeout(s->db, SQLITE_BUSY_TIMEOUT_MS) != SQLITE_OK)
		return err_set(err, ERR_IO, "database %s: busy timeout: %s", s->file,
			       sqlite3_errmsg(s->db));
	if (pragma_text(s, "PRAGMA journal_mode = WAL", mode, sizeof(mode), err) != 0)
		return -1;
	if (!str_eq_nocase(mode, "wal"))
		return err_set(err, ERR_IO,
			       "database %s: cannot enable WAL journal mode (got '%s')", s->file,
			       mode);
	if (exec_sql(s, "PRAGMA synchronous = FULL", "set synchronous mode", err) != 0 ||
	    exec_sql(s, "PRAGMA foreign_keys = ON", "enable foreign keys", err) != 0)
		return -1;
	return 0;
}

/* Decides the database file for data_source and makes sure it exists with mode 0600. */
static int prepare_file(const char *data_source, char **file, struct error *err)
{
	struct stat st;
	char *dir = NULL, *slash;
	int fd, rc = -1;

	*file = NULL;
	if (stat(data_source, &st) == 0 && S_ISDIR(st.st_mode)) {
		*file = path_join(data_source, SQLITE_DIR_FILE);
	} else {
		*file = xstrdup(data_source);
		dir = xstrdup(data_source);
		slash = strrchr(dir, '/');
		if (slash != NULL && slash != dir) {
			*slash = '\0';
			if (file_mkdir_p(dir, 0700, err) != 0)
				goto out;
		}
	}
	fd = open(*file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_set(err, errno == ENOENT ? ERR_NOT_FOUND : ERR_IO, "open database %s: %s",
			*file, strerror(errno));
		goto out;
	}
	close(fd);
	rc = 0;
out:
	free(dir);
	if (rc != 0) {
		free(*file);
		*file = NULL;
	}
	return rc;
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
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s);
		return err_set(err, ERR_INTERNAL, "store: cannot create a mutex");
	}
	if (prepare_file(path, &s->file, err) != 0)
		goto out;
	/* NOMUTEX: our own mutex serialises every use of the connection. */
	rc = sqlite3_open_v2(s->file, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		err_set(err, ERR_IO, "open database %s: %s", s->file,
			s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		rc = -1;
		goto out;
	}
	rc = -1;
	if (configure(s, err) != 0 || migrate(s, err) != 0)
		goto out;
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
				       &s->stmt[i], NULL) != SQLITE_OK) {
			err_set(err, ERR_IO, "database %s: prepare %s: %s", s->file, stmts[i].name,
				sqlite3_errmsg(s->db));
			goto out;
		}
	}
	*out = &s->base;
	s = NULL;
	rc = 0;
out:
	sq_close(s != NULL ? &s->base : NULL);
	return rc;
}
