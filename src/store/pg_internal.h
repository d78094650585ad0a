/* pg_internal.h - what the files of the PostgreSQL back end share (not a public interface).
 *
 * postgres.c opens and closes the store; pg_conn.c makes connections (creating the database
 * when it is missing), reconnects with backoff and turns libpq's errors into stride's;
 * pg_schema.c runs the migrations; pg_read.c serves reads from a small pool of connections;
 * pg_commit.c is the committer thread (group commit).
 */
#ifndef STRIDE_STORE_PG_INTERNAL_H
#define STRIDE_STORE_PG_INTERNAL_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/committer.h"
#include "store/postgres.h"

/* Connections of the read pool: each serves one thread at a time. */
#define PG_READERS 4

/* Backoff between attempts to reconnect a lost connection. */
#define PG_BACKOFF_MIN_NS INT64_C(100000000)  /* 100 ms */
#define PG_BACKOFF_MAX_NS INT64_C(5000000000) /* 5 s */

/* The advisory lock keys (pg_advisory_xact_lock(PG_LOCK_CLASS, objid)): "strd". */
#define PG_LOCK_CLASS	     1937011300
#define PG_LOCK_SCHEMA	     1 /* schema migrations */
#define PG_LOCK_CERTIFICATES 2 /* commits with a certificate or a revocation */

/* A prepared statement: its name on every connection of its kind, its SQL, its parameters. */
struct pg_stmt {
	const char *name;
	const char *what; /* for error messages */
	const char *sql;
	int nparams;
	const Oid *types; /* the parameters' types, or NULL: inferred from the SQL */
};

/* One connection and its reconnection state. */
struct pg_conn {
	PGconn *conn; /* NULL while down */
	const struct pg_stmt *stmts;
	int nstmts;	     /* prepared on conn once it is up */
	int64_t next_try_ns; /* monotonic time of the next reconnection attempt */
	int64_t backoff_ns;  /* wait after the next failed attempt */
};

struct pg_store {
	struct store base; /* first: the vtable */
	char *data_source; /* the URL or key=value string (may hold a password: wiped on free) */
	char *database;	   /* "database" of ca.json, or NULL */
	char *password;	   /* the password in data_source, or NULL: redacted from every message */
	char *shown;	   /* data_source with the password replaced, for messages */

	pthread_mutex_t plock; /* guards busy[] */
	pthread_cond_t pcond;
	bool busy[PG_READERS];
	struct pg_conn readers[PG_READERS];

	struct pg_conn writer; /* the committer thread's */
	struct store_committer committer;
	bool locks_ready;
};

extern const struct pg_stmt pg_read_stmts[];
extern const int pg_read_nstmts;
extern const struct pg_stmt pg_write_stmts[];
extern const int pg_write_nstmts;

/* pg_conn.c */
/* Monotonic clock in nanoseconds. */
int64_t pg_now_mono_ns(void);
/* Parses data_source: fills s->password and s->shown; -1 when libpq cannot parse it. */
int pg_parse_source(struct pg_store *s, struct error *err);
/* Copies msg into a malloc'd string with the password replaced by "xxxxx". */
char *pg_redact(const struct pg_store *s, const char *msg);
/* Connects to the store's database (s->database over the URL's), creating it when it does not
 * exist; no statement is prepared. */
int pg_connect(struct pg_store *s, PGconn **out, struct error *err);
/* Makes c usable: reconnects (when its backoff allows) and prepares its statements. A
 * connection that is down fails with ERR_UNAVAILABLE "database unavailable". */
int pg_conn_ensure(struct pg_store *s, struct pg_conn *c, struct error *err);
/* Prepares c's statements on its connection (just made). */
int pg_conn_prepare(struct pg_store *s, struct pg_conn *c, struct error *err);
/* Closes c's connection (its statements go with it). */
void pg_conn_drop(struct pg_conn *c);
/* Whether a failed call left c's connection broken (lost connection, server shut down). */
bool pg_conn_broken(const struct pg_conn *c);
/* Fills err from a failed statement (res may be NULL): ERR_UNAVAILABLE "database unavailable"
 * (public) when the server is gone, read-only or asks to retry, ERR_CONFLICT for a unique
 * violation, else ERR_IO with the (redacted) detail; a broken connection is dropped with its
 * backoff started. Returns -1. */
int pg_fail(struct pg_store *s, struct pg_conn *c, const PGresult *res, const char *what,
	    struct error *err);
/* Runs prepared statement st with text parameters (lens/formats may be NULL: all text); returns
 * the result with status PGRES_COMMAND_OK or PGRES_TUPLES_OK, or NULL after pg_fail. */
PGresult *pg_exec_prepared(struct pg_store *s, struct pg_conn *c, const struct pg_stmt *st,
			   const char *const *values, const int *lens, const int *formats,
			   struct error *err);
/* Runs a plain SQL command (no parameters) on c; -1 after pg_fail. */
int pg_exec(struct pg_store *s, struct pg_conn *c, const char *sql, const char *what,
	    struct error *err);

/* pg_schema.c */
/* Brings the schema of the connected database to STORE_PG_SCHEMA_VERSION (no DDL when it is
 * current). */
int pg_migrate(struct pg_store *s, struct pg_conn *c, struct error *err);

/* pg_read.c */
int pg_token_used(struct store *st, const char *key, bool *used, struct error *err);
int pg_get_cert_provisioner(struct store *st, const char *serial, bool *found, char **prov_name,
			    char **prov_type, struct error *err);
int pg_is_revoked(struct store *st, const char *serial, bool *revoked, struct error *err);
/* store_ops.cert_status. */
int pg_cert_status(struct store *st, const char *serial, struct store_cert_status *out,
		   struct error *err);
int pg_record_get(struct store *st, const char *collection, const char *id, bool *found,
		  struct store_record *out, struct error *err);
int pg_record_list(struct store *st, const char *collection, const char *owner,
		   const char *after_id, size_t limit, struct store_record **out, size_t *n,
		   struct error *err);
/* store_ops.revoked_list. */
int pg_revoked_list(struct store *st, const char *after_serial, size_t limit,
		    struct store_revoked **out, size_t *n, struct error *err);

/* pg_commit.c */
/* Queues t for the committer thread. */
void pg_submit(struct store *st, struct store_txn *t);
/* Starts the committer thread (every signal blocked in it). */
int pg_start_committer(struct pg_store *s, struct error *err);

#endif
