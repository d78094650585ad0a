/* sqlite_schema.c - the SQLite back end's file, connections, pragmas and schema migrations.
 *
 * The schema version is PRAGMA user_version; migrations run once, inside one write
 * transaction, and not at all when the schema is current.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/str.h"
#include "store/sqlite_int.h"

#define SQLITE_BUSY_TIMEOUT_MS 10000
#define SQLITE_DIR_FILE	       "stride.db"

/* Schema migrations: entry v upgrades a database at version v-1 to version v. */
static const char *const migrations[STORE_SQLITE_SCHEMA_VERSION + 1] = {
    NULL,
    /* 1: the tables of step-ca's database that stride uses. */
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
    /* 3: keys revoked for key compromise, and each certificate's key to find them by. Rows of
     * earlier versions keep a NULL key_id: they are found by lineage only. */
    "ALTER TABLE x509_certs ADD COLUMN key_id TEXT;"
    "CREATE INDEX IF NOT EXISTS x509_certs_key ON x509_certs (key_id) WHERE key_id IS NOT NULL;"
    "CREATE TABLE IF NOT EXISTS blocked_keys ("
    " key_id TEXT PRIMARY KEY NOT NULL,"
    " serial TEXT NOT NULL,"
    " reason_code INTEGER NOT NULL,"
    " blocked_at INTEGER NOT NULL);",
    /* 4: records, the documents in named collections of store.h (ACME, admins, ...): a new
     * collection needs no migration. expires_at 0 = never. */
    "CREATE TABLE IF NOT EXISTS records ("
    " collection TEXT NOT NULL,"
    " id TEXT NOT NULL,"
    " owner TEXT,"
    " value BLOB NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " version INTEGER NOT NULL,"
    " PRIMARY KEY (collection, id)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS records_owner ON records (collection, owner, id);",
    /* 5: the parent index holds renewals only. Certificates from a token (no parent) were all
     * indexed under NULL, which cost every issuance a page of that index in its commit; the
     * lineage queries look up parent_serial = ?, which a partial index WHERE parent_serial IS
     * NOT NULL answers. Rebuilt inside the migration's transaction. */
    "DROP INDEX IF EXISTS x509_certs_parent;"
    "CREATE INDEX x509_certs_parent ON x509_certs (parent_serial)"
    " WHERE parent_serial IS NOT NULL;",
};

int sq_db_error(struct sqlite_store *s, sqlite3 *db, struct error *err, const char *what, int rc)
{
	enum err_kind kind = (rc & 0xff) == SQLITE_CONSTRAINT ? ERR_CONFLICT : ERR_IO;

	return err_set(err, kind, "database %s: %s: %s", s->file, what,
		       db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* Runs SQL that returns no rows of interest. */
static int exec_sql(struct sqlite_store *s, const char *sql, const char *what, struct error *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->wdb, sql, NULL, NULL, &msg);

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
	int rc = sqlite3_prepare_v2(s->wdb, sql, -1, &st, NULL);

	out[0] = '\0';
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);
		snprintf(out, n, "%s", v != NULL ? (const char *)v : "");
		rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE)
		err_set(err, ERR_IO, "database %s: %s: %s", s->file, sql, sqlite3_errmsg(s->wdb));
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
	sqlite3_exec(s->wdb, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int configure(struct sqlite_store *s, struct error *err)
{
	char mode[32];

	if (pragma_text(s, "PRAGMA journal_mode = WAL", mode, sizeof(mode), err) != 0)
		return -1;
	if (!str_eq_nocase(mode, "wal"))
		return err_set(err, ERR_IO,
			       "database %s: cannot enable WAL journal mode (got '%s')", s->file,
			       mode);
	if (exec_sql(s, "PRAGMA synchronous = FULL", "set synchronous mode", err) != 0 ||
	    exec_sql(s, "PRAGMA foreign_keys = ON", "enable foreign keys", err) != 0 ||
	    pragma_text(s, "PRAGMA synchronous", mode, sizeof(mode), err) != 0)
		return -1;
	/* The WAL frames of a commit may be written with one call only when the commit syncs
	 * them before publishing them (sqlite_vfs.c): synchronous FULL (2) or EXTRA (3). A
	 * connection not opened through that VFS answers SQLITE_NOTFOUND: nothing to arm. */
	if (strcmp(mode, "2") == 0 || strcmp(mode, "3") == 0) {
		int on = 1;

		(void)sqlite3_file_control(s->wdb, "main", STRIDE_FCNTL_WAL_BUFFER, &on);
	}
	return 0;
}

int sq_prepare_file(const char *data_source, char **file, struct error *err)
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

/* NOMUTEX: our own locks serialise every use of a connection. */
int sq_open_connection(struct sqlite_store *s, sqlite3 **db, const char *vfs, struct error *err)
{
	int rc = sqlite3_open_v2(s->file, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, vfs);

	if (rc != SQLITE_OK)
		return err_set(err, ERR_IO, "open database %s: %s", s->file,
			       *db != NULL ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
	sqlite3_extended_result_codes(*db, 1);
	if (sqlite3_busy_timeout(*db, SQLITE_BUSY_TIMEOUT_MS) != SQLITE_OK)
		return err_set(err, ERR_IO, "database %s: busy timeout: %s", s->file,
			       sqlite3_errmsg(*db));
	return 0;
}

int sq_prepare_all(struct sqlite_store *s, sqlite3 *db, const struct stmt_def *defs, int n,
		   sqlite3_stmt **out, struct error *err)
{
	for (int i = 0; i < n; i++)
		if (sqlite3_prepare_v3(db, defs[i].sql, -1, SQLITE_PREPARE_PERSISTENT, &out[i],
				       NULL) != SQLITE_OK)
			return err_set(err, ERR_IO, "database %s: prepare %s: %s", s->file,
				       defs[i].name, sqlite3_errmsg(db));
	return 0;
}

int sq_configure_and_migrate(struct sqlite_store *s, struct error *err)
{
	return configure(s, err) != 0 || migrate(s, err) != 0 ? -1 : 0;
}
