/* sqlite_int.h - what the files of the SQLite back end share (sqlite.c: transactions and the
 * committer; sqlite_schema.c: the file, connections, migrations; sqlite_records.c: records).
 * Not for use outside src/store/sqlite*.c. */
#ifndef STRIDE_STORE_SQLITE_INT_H
#define STRIDE_STORE_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "store/committer.h"
#include "store/sqlite.h"

/* Statements of the write connection (used by the committer thread only). */
enum wstmt_id {
	W_BEGIN,
	W_COMMIT,
	W_ROLLBACK,
	W_SAVEPOINT,
	W_RELEASE,
	W_ROLLBACK_TO,
	W_USE_TOKEN,
	W_PUT_CERT,
	W_REVOKE,
	W_REVOKE_DESCENDANTS,
	W_PARENT_REVOKED,
	W_KEY_BLOCKED,
	W_BLOCK_KEY,
	W_REVOKE_BY_KEY,
	W_COUNT,
};

/* Statements of the read connection (request threads, under rlock). */
enum rstmt_id {
	R_TOKEN_USED,
	R_GET_CERT_PROV,
	R_IS_REVOKED,
	R_REVOKED_LIST,
	R_CERT_STATUS,
	R_COUNT,
};

/* Record statements, write connection: one per enum store_record_op, in its order. */
#define RW_COUNT 5

/* Record statements, read connection. */
enum rrstmt_id {
	RR_GET,
	RR_LIST_ALL,
	RR_LIST_OWNER,
	RR_COUNT,
};

struct stmt_def {
	const char *name; /* for error messages */
	const char *sql;
};

extern const struct stmt_def sq_record_wstmts[RW_COUNT];
extern const struct stmt_def sq_record_rstmts[RR_COUNT];

/* Writes go through a queue to one committer thread, which commits everything queued as one
 * transaction (group commit): concurrent requests share one fsync instead of waiting for one
 * each. Reads use their own connection, so they never wait behind an fsync. */
struct sqlite_store {
	struct store base; /* first: the vtable */
	char *file;
	sqlite3 *wdb; /* the committer thread's */
	sqlite3_stmt *w[W_COUNT];
	sqlite3_stmt *rw[RW_COUNT];
	pthread_mutex_t rlock; /* guards rdb and its statements */
	sqlite3 *rdb;
	sqlite3_stmt *r[R_COUNT];
	sqlite3_stmt *rr[RR_COUNT];
	struct store_committer committer;
	bool locks_ready;
};

/* Fills err from an SQLite failure of what on db (a constraint: ERR_CONFLICT, else ERR_IO). */
int sq_db_error(struct sqlite_store *s, sqlite3 *db, struct error *err, const char *what, int rc);

/* Decides the database file for data_source (a directory holds stride.db) and makes sure it
 * exists with mode 0600 (parent directory 0700): *file malloc'd. */
int sq_prepare_file(const char *data_source, char **file, struct error *err);
/* Opens one connection to s->file (busy timeout, extended result codes) through vfs (NULL:
 * SQLite's default). */
int sq_open_connection(struct sqlite_store *s, sqlite3 **db, const char *vfs, struct error *err);
/* WAL journal, synchronous=FULL, then the schema brought to STORE_SQLITE_SCHEMA_VERSION; on
 * the write connection. */
int sq_configure_and_migrate(struct sqlite_store *s, struct error *err);
/* The name of the VFS that writes a commit's WAL frames with one write (sqlite_vfs.c),
 * registered on first use; NULL when it cannot be. A connection opened through it buffers
 * nothing until its database file is armed with STRIDE_FCNTL_WAL_BUFFER (an int: 1 on, 0 off),
 * which is only sound with synchronous FULL or EXTRA. */
#define STRIDE_SQLITE_VFS	"stride-walbuf"
#define STRIDE_FCNTL_WAL_BUFFER 0x73747231
const char *sq_wal_vfs(void);

/* Prepares n statements of defs on db into out. */
int sq_prepare_all(struct sqlite_store *s, sqlite3 *db, const struct stmt_def *defs, int n,
		   sqlite3_stmt **out, struct error *err);

/* Applies t's record changes in order inside the open savepoint, at time now: marks the first
 * conflicting change and t->record_conflict and stops there; -1 with t->err on a database
 * error or an invalid collection or id. */
int sq_apply_records(struct sqlite_store *s, struct store_txn *t, int64_t now);
/* store_ops.record_get and record_list. */
int sq_record_get(struct store *st, const char *collection, const char *id, bool *found,
		  struct store_record *out, struct error *err);
int sq_record_list(struct store *st, const char *collection, const char *owner,
		   const char *after_id, size_t limit, struct store_record **out, size_t *n,
		   struct error *err);

#endif
