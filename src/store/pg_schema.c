/* pg_schema.c - the schema of the PostgreSQL back end and its migrations.
 *
 * The tables and their meaning are SQLite's (sqlite_schema.c): certificates with their
 * provisioner, parent and key, used tokens, revocations, blocked keys and records; times are
 * int64 nanoseconds since the Unix epoch. stride_schema_migrations has one row per migration
 * applied; the newest is the schema's version.
 *
 * An instance whose schema is current reads the version and runs no DDL, so it starts on a
 * read-only hot standby. Otherwise the migrations run in one transaction holding an advisory
 * lock, so that of several instances starting together on an empty database exactly one
 * migrates and the others find the schema current once they get the lock.
 */
#include "store/pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Entry v upgrades a database at version v-1 to version v. Plain CREATE TABLE: a database that
 * already has tables of these names (step-ca's own, say) is refused, not reused. Text keys use
 * the "C" collation: ids compare as bytes, as in SQLite. */
static const char *const migrations[STORE_PG_SCHEMA_VERSION + 1] = {
    NULL,
    "CREATE TABLE x509_certs ("
    " serial text COLLATE \"C\" PRIMARY KEY,"
    " der bytea NOT NULL,"
    " not_after bigint NOT NULL,"
    " prov_id text,"
    " prov_name text,"
    " prov_type text,"
    " created_at bigint NOT NULL,"
    " parent_serial text COLLATE \"C\","
    " key_id text COLLATE \"C\");"
    "CREATE INDEX x509_certs_parent ON x509_certs (parent_serial)"
    " WHERE parent_serial IS NOT NULL;"
    "CREATE INDEX x509_certs_key ON x509_certs (key_id) WHERE key_id IS NOT NULL;"
    "CREATE TABLE used_ott ("
    " key text COLLATE \"C\" PRIMARY KEY,"
    " token text,"
    " created_at bigint NOT NULL);"
    "CREATE TABLE revoked_x509_certs ("
    " serial text COLLATE \"C\" PRIMARY KEY,"
    " prov_id text,"
    " reason_code integer NOT NULL,"
    " reason text,"
    " revoked_at bigint NOT NULL,"
    " expires_at bigint NOT NULL,"
    " token_id text,"
    " mtls boolean NOT NULL);"
    "CREATE TABLE blocked_keys ("
    " key_id text COLLATE \"C\" PRIMARY KEY,"
    " serial text NOT NULL,"
    " reason_code integer NOT NULL,"
    " blocked_at bigint NOT NULL);"
    "CREATE TABLE records ("
    " collection text COLLATE \"C\" NOT NULL,"
    " id text COLLATE \"C\" NOT NULL,"
    " owner text COLLATE \"C\","
    " value bytea NOT NULL,"
    " expires_at bigint NOT NULL,"
    " version bigint NOT NULL,"
    " PRIMARY KEY (collection, id));"
    "CREATE INDEX records_owner ON records (collection, owner, id) WHERE owner IS NOT NULL;",
};

#define VERSION_TABLE "stride_schema_migrations"

/* Reads the schema version: 0 when the version table does not exist (outside a transaction
 * only: the failed SELECT would abort one). */
static int read_version(struct pg_store *s, struct pg_conn *c, long *v, struct error *err)
{
	PGresult *res = PQexec(c->conn, "SELECT max(version) FROM " VERSION_TABLE);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	int rc = -1;

	*v = 0;
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
			*v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
		rc = 0;
	} else if (state != NULL && strcmp(state, "42P01") == 0) { /* undefined_table */
		rc = 0;
	} else {
		pg_fail(s, c, res, "read the schema version", err);
	}
	PQclear(res);
	return rc;
}

static int newer_schema(struct pg_store *s, long v, struct error *err)
{
	return err_set(err, ERR_INVALID,
		       "database %s: schema version %ld is not supported by this version of stride "
		       "(newest known: %d)",
		       s->shown, v, STORE_PG_SCHEMA_VERSION);
}

/* Runs the migrations after version v inside the open transaction. */
static int run_migrations(struct pg_store *s, struct pg_conn *c, long v, struct error *err)
{
	char sql[128];

	for (long i = v + 1; i <= STORE_PG_SCHEMA_VERSION; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO " VERSION_TABLE " (version) VALUES (%ld)",
			 i);
		if (pg_exec(s, c, migrations[i], "schema migration", err) != 0 ||
		    pg_exec(s, c, sql, "schema migration", err) != 0)
			return -1;
	}
	return 0;
}

int pg_migrate(struct pg_store *s, struct pg_conn *c, struct error *err)
{
	struct error ignored = {0};
	char sql[128];
	long v;

	if (read_version(s, c, &v, err) != 0)
		return -1;
	if (v == STORE_PG_SCHEMA_VERSION)
		return 0; /* current: no DDL, no lock */
	if (v > STORE_PG_SCHEMA_VERSION || v < 0)
		return newer_schema(s, v, err);
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%d, %d)", PG_LOCK_CLASS,
		 PG_LOCK_SCHEMA);
	if (pg_exec(s, c, "BEGIN ISOLATION LEVEL READ COMMITTED", "begin schema migration", err) !=
		0 ||
	    pg_exec(s, c, sql, "lock for schema migration", err) != 0 ||
	    pg_exec(s, c,
		    "CREATE TABLE IF NOT EXISTS " VERSION_TABLE " (version integer PRIMARY KEY,"
		    " applied_at timestamptz NOT NULL DEFAULT now())",
		    "schema migration", err) != 0)
		goto fail;
	/* Another instance may have migrated while this one waited for the lock. */
	if (read_version(s, c, &v, err) != 0)
		goto fail;
	if (v > STORE_PG_SCHEMA_VERSION || v < 0) {
		newer_schema(s, v, err);
		goto fail;
	}
	if (run_migrations(s, c, v, err) != 0 ||
	    pg_exec(s, c, "COMMIT", "commit schema migration", err) != 0)
		goto fail;
	return 0;
fail:
	if (c->conn != NULL)
		(void)pg_exec(s, c, "ROLLBACK", "roll back schema migration", &ignored);
	return -1;
}
