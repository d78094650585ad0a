/* test_store.c - what is particular to the SQLite and in-memory stores: the file, its rows and
 * modes, schema upgrades, SIGKILL, back-end selection, the memory store. The rules every back
 * end keeps are in store_suite.c (test_store_sqlite.c runs it on SQLite). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/file.h"
#include "base/str.h"
#include "store/sqlite.h"
#include "store/store.h"

#define THREADS 4
#define KEYS	1000

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/stride-test-store-XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		return -1;
	*state = xstrdup(tmpl);
	return 0;
}

static int teardown(void **state)
{
	nftw(*state, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(*state);
	return 0;
}

static mode_t file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Runs one SQL query on the file directly and returns the first column of the first row. */
static char *query_text(const char *file, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *out = NULL;

	assert_int_equal(sqlite3_open_v2(file, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		out = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

static const uint8_t der1[] = {0x30, 0x03, 0x02, 0x01, 0x07};

static void put(struct store *s, const char *serial, const char *name, int expect_rc,
		enum err_kind expect_kind)
{
	struct cert_record rec = {
	    .serial = serial,
	    .der = der1,
	    .der_len = sizeof(der1),
	    .prov_id = "jwk/admin",
	    .prov_name = name,
	    .prov_type = "JWK",
	    .not_after_ns = INT64_C(1900000000000000000),
	};
	struct error err = {0};

	assert_int_equal(store_put_cert(s, &rec, &err), expect_rc);
	assert_int_equal(err.kind, expect_kind);
}

static void check_prov(struct store *s, const char *serial, bool found_expected,
		       const char *name_expected)
{
	struct error err = {0};
	bool found = !found_expected;
	char *name = (char *)"x", *type = (char *)"x";

	assert_int_equal(s->ops->get_cert_provisioner(s, serial, &found, &name, &type, &err), 0);
	assert_true(found == found_expected);
	if (found_expected) {
		assert_string_equal(name, name_expected);
		assert_string_equal(type, "JWK");
	} else {
		assert_null(name);
		assert_null(type);
	}
	free(name);
	free(type);
}

static bool use(struct store *s, const char *key)
{
	struct error err = {0};
	bool used = false;

	assert_int_equal(store_use_token(s, key, "raw.token.value", &used, &err), 0);
	return used;
}

static int do_revoke(struct store *s, const char *serial, bool *already, struct error *err)
{
	struct revocation rev = {
	    .serial = serial,
	    .prov_id = "jwk/admin",
	    .reason_code = 1,
	    .reason = "key compromise",
	    .revoked_at_ns = INT64_C(1700000000000000000),
	    .expires_at_ns = INT64_C(1900000000000000000),
	    .token_id = "tok-1",
	    .mtls = false,
	};

	return store_revoke(s, &rev, already, err);
}

static bool revoked(struct store *s, const char *serial)
{
	struct error err = {0};
	bool r = false;

	assert_int_equal(s->ops->is_revoked(s, serial, &r, &err), 0);
	return r;
}

static void test_sqlite_operations(void **state)
{
	char *dir = path_join(*state, "sub/deeper");
	char *file = path_join(dir, "ca.db");
	struct store *s = NULL;
	struct error err = {0};
	struct revocation rev;
	struct store_txn *t;
	bool already = true;
	char *v;

	assert_int_equal(
	    store_open(&(struct store_config){.type = "sqlite", .data_source = file}, &s, &err), 0);
	assert_non_null(s);
	assert_int_equal(file_mode(dir), 0700);
	assert_int_equal(file_mode(file), 0600);

	assert_false(use(s, "key-1"));
	assert_true(use(s, "key-1"));
	assert_false(use(s, "key-2"));

	put(s, "123456789012345678901234567890", "admin@example.com", 0, ERR_NONE);
	check_prov(s, "123456789012345678901234567890", true, "admin@example.com");
	check_prov(s, "999", false, NULL);
	put(s, "123456789012345678901234567890", "other", -1, ERR_CONFLICT);
	check_prov(s, "123456789012345678901234567890", true, "admin@example.com");

	assert_false(revoked(s, "123456789012345678901234567890"));
	assert_int_equal(do_revoke(s, "123456789012345678901234567890", &already, &err), 0);
	assert_false(already);
	assert_int_equal(do_revoke(s, "123456789012345678901234567890", &already, &err), 0);
	assert_true(already);
	assert_true(revoked(s, "123456789012345678901234567890"));
	assert_false(revoked(s, "124"));
	/* A keyCompromise revocation over mTLS names the key: one row in blocked_keys. */
	rev = (struct revocation){.serial = "555",
				  .reason_code = 1,
				  .revoked_at_ns = 7,
				  .block_key = true,
				  .key_id = "K"};
	assert_int_equal(store_revoke(s, &rev, &already, &err), 0);
	t = store_txn_new();
	store_txn_record(t, STORE_REC_INSERT,
			 &(struct store_record){.collection = "acme_orders",
						.id = "o1",
						.owner = "acct",
						.value = (const uint8_t *)"{}",
						.value_len = 2,
						.expires_at_ns = 99});
	store_txn_record(t, STORE_REC_PUT,
			 &(struct store_record){.collection = "acme_orders", .id = "o2"});
	assert_int_equal(store_commit(s, t, &err), 0);
	assert_false(t->record_conflict);
	store_txn_free(t);
	store_close(s);

	/* Everything is still there after reopening. */
	assert_int_equal(
	    store_open(&(struct store_config){.type = "sqlite", .data_source = file}, &s, &err), 0);
	assert_true(use(s, "key-1"));
	assert_true(use(s, "key-2"));
	assert_false(use(s, "key-3"));
	check_prov(s, "123456789012345678901234567890", true, "admin@example.com");
	assert_true(revoked(s, "123456789012345678901234567890"));
	store_close(s);

	v = query_text(file, "PRAGMA user_version");
	assert_string_equal(v, "5");
	free(v);
	v = query_text(file, "PRAGMA journal_mode");
	assert_string_equal(v, "wal");
	free(v);
	v = query_text(file,
		       "SELECT hex(der) || '|' || not_after || '|' || prov_id FROM x509_certs");
	assert_string_equal(v, "3003020107|1900000000000000000|jwk/admin");
	free(v);
	v = query_text(file,
		       "SELECT reason_code || '|' || reason || '|' || token_id || '|' || mtls "
		       "|| '|' || expires_at FROM revoked_x509_certs");
	assert_string_equal(v, "1|key compromise|tok-1|0|1900000000000000000");
	free(v);
	v = query_text(file, "SELECT count(*) || '|' || min(token) FROM used_ott");
	assert_string_equal(v, "3|raw.token.value");
	free(v);
	v = query_text(file, "SELECT key_id || '|' || serial || '|' || reason_code || '|' || "
			     "blocked_at FROM blocked_keys");
	assert_string_equal(v, "K|555|1|7");
	free(v);
	v = query_text(file, "SELECT group_concat(collection || '|' || id || '|' || "
			     "ifnull(owner, '-') || '|' || typeof(value) || '|' || hex(value) || "
			     "'|' || expires_at || '|' || version, ' ') FROM records");
	assert_string_equal(v, "acme_orders|o1|acct|blob|7B7D|99|1 acme_orders|o2|-|blob||0|1");
	free(v);
	free(file);
	free(dir);
}

/* A database written by the previous schema (version 2) is upgraded in place: its rows stay,
 * with no key id. */
static void test_sqlite_upgrade_from_v2(void **state)
{
	static const char v2[] =
	    "CREATE TABLE x509_certs (serial TEXT PRIMARY KEY NOT NULL, der BLOB NOT NULL,"
	    " not_after INTEGER NOT NULL, prov_id TEXT, prov_name TEXT, prov_type TEXT,"
	    " created_at INTEGER NOT NULL, parent_serial TEXT);"
	    "CREATE INDEX x509_certs_parent ON x509_certs (parent_serial);"
	    "CREATE TABLE used_ott (key TEXT PRIMARY KEY NOT NULL, token TEXT,"
	    " created_at INTEGER NOT NULL);"
	    "CREATE TABLE revoked_x509_certs (serial TEXT PRIMARY KEY NOT NULL, prov_id TEXT,"
	    " reason_code INTEGER NOT NULL, reason TEXT, revoked_at INTEGER NOT NULL,"
	    " expires_at INTEGER NOT NULL, token_id TEXT, mtls INTEGER NOT NULL);"
	    "INSERT INTO x509_certs VALUES ('1', x'3003020107', 42, 'jwk/a', 'a', 'JWK', 1, NULL);"
	    "INSERT INTO x509_certs VALUES ('2', x'3003020107', 42, 'jwk/a', 'a', 'JWK', 1, '1');"
	    "INSERT INTO used_ott VALUES ('old-token', 't', 1);"
	    "PRAGMA user_version = 2;";
	char *file = path_join(*state, "v2.db");
	struct revocation rev = {
	    .serial = "1", .reason_code = 1, .revoked_at_ns = 1, .block_key = true};
	struct store *s = NULL;
	struct error err = {0};
	sqlite3 *db = NULL;
	bool already = true;
	char *v;

	assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v2, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(
	    store_open(&(struct store_config){.type = "sqlite", .data_source = file}, &s, &err), 0);
	check_prov(s, "2", true, "a");
	assert_true(use(s, "old-token"));
	assert_int_equal(store_revoke(s, &rev, &already, &err), 0);
	assert_true(revoked(s, "2"));
	store_close(s);
	v = query_text(file, "PRAGMA user_version");
	assert_string_equal(v, "5");
	free(v);
	v = query_text(file, "SELECT count(*) || ' ' || count(key_id) FROM x509_certs");
	assert_string_equal(v, "2 0");
	free(v);
	v = query_text(file, "SELECT count(*) FROM blocked_keys");
	assert_string_equal(v, "0"); /* no key known for the old row */
	free(v);
	v = query_text(file, "SELECT count(*) FROM records");
	assert_string_equal(v, "0");
	free(v);
	free(file);
}

/* A database of schema version 3 gains the records table; its rows and blocked keys stay. */
static void test_sqlite_upgrade_from_v3(void **state)
{
	static const char v3[] =
	    "CREATE TABLE x509_certs (serial TEXT PRIMARY KEY NOT NULL, der BLOB NOT NULL,"
	    " not_after INTEGER NOT NULL, prov_id TEXT, prov_name TEXT, prov_type TEXT,"
	    " created_at INTEGER NOT NULL, parent_serial TEXT, key_id TEXT);"
	    "CREATE INDEX x509_certs_parent ON x509_certs (parent_serial);"
	    "CREATE INDEX x509_certs_key ON x509_certs (key_id) WHERE key_id IS NOT NULL;"
	    "CREATE TABLE used_ott (key TEXT PRIMARY KEY NOT NULL, token TEXT,"
	    " created_at INTEGER NOT NULL);"
	    "CREATE TABLE revoked_x509_certs (serial TEXT PRIMARY KEY NOT NULL, prov_id TEXT,"
	    " reason_code INTEGER NOT NULL, reason TEXT, revoked_at INTEGER NOT NULL,"
	    " expires_at INTEGER NOT NULL, token_id TEXT, mtls INTEGER NOT NULL);"
	    "CREATE TABLE blocked_keys (key_id TEXT PRIMARY KEY NOT NULL, serial TEXT NOT NULL,"
	    " reason_code INTEGER NOT NULL, blocked_at INTEGER NOT NULL);"
	    "INSERT INTO x509_certs VALUES ('1', x'3003020107', 42, 'jwk/a', 'a', 'JWK', 1, NULL,"
	    " 'K1');"
	    "INSERT INTO x509_certs VALUES ('2', x'3003020107', 42, 'jwk/a', 'a', 'JWK', 1, '1',"
	    " 'K2');"
	    "INSERT INTO revoked_x509_certs VALUES ('3', 'jwk/a', 1, '', 1, 42, NULL, 0);"
	    "INSERT INTO blocked_keys VALUES ('K3', '3', 1, 1);"
	    "INSERT INTO used_ott VALUES ('old-token', 't', 1);"
	    "PRAGMA user_version = 3;";
	char *file = path_join(*state, "v3.db");
	struct cert_record rec = {
	    .serial = "4", .der = der1, .der_len = sizeof(der1), .prov_name = "a", .key_id = "K3"};
	struct store_record r;
	struct store *s = NULL;
	struct store_txn *t;
	struct error err = {0};
	sqlite3 *db = NULL;
	bool found = false;
	char *v;

	assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v3, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(
	    store_open(&(struct store_config){.type = "sqlite", .data_source = file}, &s, &err), 0);
	check_prov(s, "2", true, "a");
	assert_true(use(s, "old-token"));
	assert_true(revoked(s, "3"));
	t = store_txn_new();
	store_txn_put_cert(t, &rec, NULL);
	store_txn_record(
	    t, STORE_REC_INSERT,
	    &(struct store_record){
		.collection = "admins", .id = "ad", .value = (const uint8_t *)"x", .value_len = 1});
	assert_int_equal(store_commit(s, t, &err), 0);
	assert_true(t->key_blocked); /* the old blocked key still blocks: nothing applied */
	assert_false(t->record_conflict);
	store_txn_free(t);
	t = store_txn_new();
	store_txn_record(
	    t, STORE_REC_INSERT,
	    &(struct store_record){
		.collection = "admins", .id = "ad", .value = (const uint8_t *)"x", .value_len = 1});
	assert_int_equal(store_commit(s, t, &err), 0);
	assert_false(t->record_conflict);
	store_txn_free(t);
	assert_int_equal(s->ops->record_get(s, "admins", "ad", &found, &r, &err), 0);
	assert_true(found);
	assert_int_equal(r.version, 1);
	store_record_free(&r);
	store_close(s);
	v = query_text(file, "PRAGMA user_version");
	assert_string_equal(v, "5");
	free(v);
	v = query_text(file, "SELECT group_concat(serial || ':' || ifnull(key_id, '-'), ' ') FROM "
			     "x509_certs");
	assert_string_equal(v, "1:K1 2:K2");
	free(v);
	v = query_text(file, "SELECT group_concat(name, ' ') FROM sqlite_master WHERE tbl_name = "
			     "'records' ORDER BY name");
	assert_string_equal(v, "records records_owner");
	free(v);
	free(file);
}

/* A database of schema version 4 gets a parent index of renewals only; every row stays and
 * revoking a certificate still revokes its renewals, through the new index. */
static void test_sqlite_upgrade_from_v4(void **state)
{
	static const char v4[] =
	    "CREATE TABLE x509_certs (serial TEXT PRIMARY KEY NOT NULL, der BLOB NOT NULL,"
	    " not_after INTEGER NOT NULL, prov_id TEXT, prov_name TEXT, prov_type TEXT,"
	    " created_at INTEGER NOT NULL, parent_serial TEXT, key_id TEXT);"
	    "CREATE INDEX x509_certs_parent ON x509_certs (parent_serial);"
	    "CREATE INDEX x509_certs_key ON x509_certs (key_id) WHERE key_id IS NOT NULL;"
	    "CREATE TABLE used_ott (key TEXT PRIMARY KEY NOT NULL, token TEXT,"
	    " created_at INTEGER NOT NULL);"
	    "CREATE TABLE revoked_x509_certs (serial TEXT PRIMARY KEY NOT NULL, prov_id TEXT,"
	    " reason_code INTEGER NOT NULL, reason TEXT, revoked_at INTEGER NOT NULL,"
	    " expires_at INTEGER NOT NULL, token_id TEXT, mtls INTEGER NOT NULL);"
	    "CREATE TABLE blocked_keys (key_id TEXT PRIMARY KEY NOT NULL, serial TEXT NOT NULL,"
	    " reason_code INTEGER NOT NULL, blocked_at INTEGER NOT NULL);"
	    "CREATE TABLE records (collection TEXT NOT NULL, id TEXT NOT NULL, owner TEXT,"
	    " value BLOB NOT NULL, expires_at INTEGER NOT NULL, version INTEGER NOT NULL,"
	    " PRIMARY KEY (collection, id)) WITHOUT ROWID;"
	    "CREATE INDEX records_owner ON records (collection, owner, id);"
	    "INSERT INTO x509_certs VALUES ('1', x'3003020107', 42, 'jwk/a', 'a', 'JWK', 1, NULL,"
	    " 'K1');"
	    "INSERT INTO x509_certs VALUES ('2', x'3003020107', 43, 'jwk/a', 'a', 'JWK', 1, '1',"
	    " 'K1');"
	    "INSERT INTO x509_certs VALUES ('3', x'3003020107', 44, 'jwk/a', 'a', 'JWK', 1, '2',"
	    " 'K2');"
	    "INSERT INTO x509_certs VALUES ('4', x'3003020107', 45, 'jwk/b', 'b', 'JWK', 1, NULL,"
	    " 'K3');"
	    "INSERT INTO used_ott VALUES ('old-token', 't', 1);"
	    "INSERT INTO records VALUES ('admins', 'ad', NULL, x'78', 0, 1);"
	    "PRAGMA user_version = 4;";
	char *file = path_join(*state, "v4.db");
	struct revocation rev = {.serial = "1", .reason_code = 0, .revoked_at_ns = 1};
	struct store *s = NULL;
	struct error err = {0};
	sqlite3 *db = NULL;
	bool already = true;
	char *v;

	assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v4, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(
	    store_open(&(struct store_config){.type = "sqlite", .data_source = file}, &s, &err), 0);
	check_prov(s, "3", true, "a");
	assert_true(use(s, "old-token"));
	assert_int_equal(store_revoke(s, &rev, &already, &err), 0);
	assert_false(already);
	assert_true(revoked(s, "1"));
	assert_true(revoked(s, "2"));
	assert_true(revoked(s, "3"));
	assert_false(revoked(s, "4"));
	store_close(s);
	v = query_text(file, "PRAGMA user_version");
	assert_string_equal(v, "5");
	free(v);
	v = query_text(file, "SELECT sql FROM sqlite_master WHERE name = 'x509_certs_parent'");
	assert_string_equal(v, "CREATE INDEX x509_certs_parent ON x509_certs (parent_serial) "
			       "WHERE parent_serial IS NOT NULL");
	free(v);
	v = query_text(file, "SELECT group_concat(serial || ':' || ifnull(parent_serial, '-') || "
			     "':' || key_id || ':' || not_after, ' ') FROM x509_certs");
	assert_string_equal(v, "1:-:K1:42 2:1:K1:43 3:2:K2:44 4:-:K3:45");
	free(v);
	v = query_text(file, "SELECT count(*) || ' ' || hex(min(value)) FROM records");
	assert_string_equal(v, "1 78");
	free(v);
	v = query_text(file, "PRAGMA integrity_check");
	assert_string_equal(v, "ok");
	free(v);
	free(file);
}

static void test_sqlite_directory_source(void **state)
{
	char *file = path_join(*state, "stride.db");
	struct store *s = NULL;
	struct error err = {0};

	/* step-ca's Badger layout points dataSource at a directory. */
	assert_int_equal(
	    store_open(&(struct store_config){.type = "sqlite", .data_source = *state}, &s, &err),
	    0);
	assert_int_equal(file_mode(file), 0600);
	assert_false(use(s, "k"));
	store_close(s);
	assert_int_equal(store_sqlite_open(*state, &s, &err), 0);
	assert_true(use(s, "k"));
	store_close(s);
	free(file);
}

static void test_sqlite_bad_sources(void **state)
{
	struct store *s = (struct store *)1;
	struct error err = {0};
	char *file = path_join(*state, "new.db"), *v;
	FILE *f;

	assert_int_equal(
	    store_open(&(struct store_config){.type = "sqlite", .data_source = ""}, &s, &err), -1);
	assert_null(s);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, "db.dataSource cannot be empty for database type 'sqlite'");

	/* A database from a newer stride is refused, not damaged. */
	assert_int_equal(
	    store_open(&(struct store_config){.type = "sqlite", .data_source = file}, &s, &err), 0);
	store_close(s);
	v = query_text(file, "PRAGMA user_version = 99");
	free(v);
	err_clear(&err);
	assert_int_equal(
	    store_open(&(struct store_config){.type = "sqlite", .data_source = file}, &s, &err),
	    -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_non_null(strstr(err.msg, "schema version 99 is not supported"));
	free(file);

	/* Not a database at all. */
	file = path_join(*state, "garbage.db");
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("this is not an sqlite database, it is plain text padding padding padding\n", f);
	fclose(f);
	err_clear(&err);
	assert_int_equal(
	    store_open(&(struct store_config){.type = "sqlite", .data_source = file}, &s, &err),
	    -1);
	assert_int_equal(err.kind, ERR_IO);
	assert_non_null(strstr(err.msg, file));
	free(file);
}

/* A dataSource that cannot stand in a JSON string as it is gives a placeholder. */
static void test_unsupported_type_quoting(void **state)
{
	struct store *s = NULL;
	struct error err = {0};
	(void)state;

	assert_int_equal(
	    store_open(&(struct store_config){.type = "badgerv2", .data_source = "/odd\"dir"}, &s,
		       &err),
	    -1);
	assert_non_null(strstr(err.msg, "\"dataSource\": \"/path/to/db\"}"));
	assert_int_equal(
	    store_open(&(struct store_config){.type = "badgerv2", .data_source = NULL}, &s, &err),
	    -1);
	assert_non_null(strstr(err.msg, "\"dataSource\": \"/path/to/db\"}"));
}

static void test_unsupported_types(void **state)
{
	static const char *const types[] = {"badgerv2", "badger", "badgerv1",	"bbolt",
					    "mysql",	"SQLite", "PostgreSQL", ""};
	(void)state;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct store *s = (struct store *)1;
		struct error err = {0};
		char want[512];

		assert_int_equal(
		    store_open(
			&(struct store_config){.type = types[i], .data_source = "/nonexistent/db"},
			&s, &err),
		    -1);
		assert_null(s);
		assert_int_equal(err.kind, ERR_INVALID);
		snprintf(
		    want, sizeof(want),
		    "unsupported database type '%s': supported types are sqlite and postgresql; in "
		    "ca.json use "
		    "\"db\": {\"type\": \"sqlite\", \"dataSource\": \"/nonexistent/db\"} (an "
		    "existing directory holds the database file stride.db; the data of step's "
		    "database is not carried over)",
		    types[i]);
		assert_string_equal(err.msg, want);
	}
}

struct race {
	struct store *s;
	int thread;
	int wins[KEYS];
	int errors;
};

static void *race_thread(void *arg)
{
	struct race *r = arg;

	for (int j = 0; j < KEYS; j++) {
		int k = (j + r->thread * (KEYS / THREADS)) % KEYS; /* different orders */
		char key[32], serial[32];
		struct error err = {0};
		bool used = true;

		snprintf(key, sizeof(key), "token-%d", k);
		if (store_use_token(r->s, key, "t", &used, &err) != 0)
			r->errors++;
		else if (!used)
			r->wins[k]++;
		if (j % 4 == 0) { /* reads and other writes interleave with the token inserts */
			struct cert_record rec = {.serial = serial,
						  .der = der1,
						  .der_len = sizeof(der1),
						  .prov_name = "p",
						  .prov_type = "JWK"};
			bool found = false;
			snprintf(serial, sizeof(serial), "%d%06d", r->thread + 1, j);
			if (store_put_cert(r->s, &rec, &err) != 0 ||
			    r->s->ops->get_cert_provisioner(r->s, serial, &found, NULL, NULL,
							    &err) != 0 ||
			    found)
				r->errors++;
		}
	}
	return NULL;
}

/* Threads race for the same token keys on the memory store: one winner each; certificates
 * are not kept. */
static void race(struct store *s)
{
	static struct race r[THREADS];
	pthread_t t[THREADS];

	memset(r, 0, sizeof(r));
	for (int i = 0; i < THREADS; i++) {
		r[i].s = s;
		r[i].thread = i;
		assert_int_equal(pthread_create(&t[i], NULL, race_thread, &r[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (int k = 0; k < KEYS; k++) {
		int winners = 0;
		for (int i = 0; i < THREADS; i++)
			winners += r[i].wins[k];
		assert_int_equal(winners, 1);
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(r[i].errors, 0);
}

/* A certificate whose put_cert returned is still there after the server is SIGKILLed. */
static void test_sqlite_survives_sigkill(void **state)
{
	char *file = path_join(*state, "kill.db");
	int fds[2];
	pid_t pid;
	char serial[32];
	size_t got = 0;
	struct store *s = NULL;
	struct error err = {0};
	FILE *in;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (store_open(&(struct store_config){.type = "sqlite", .data_source = file}, &s,
			       &err) != 0)
			_exit(2);
		for (int i = 0;; i++) { /* runs until killed */
			struct cert_record rec = {.serial = serial,
						  .der = der1,
						  .der_len = sizeof(der1),
						  .prov_name = "killed",
						  .prov_type = "JWK"};
			snprintf(serial, sizeof(serial), "%d", 1000 + i);
			if (store_put_cert(s, &rec, &err) != 0)
				_exit(3);
			if (write(fds[1], serial, 4) != 4) /* "returned to the client" */
				_exit(4);
		}
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	assert_non_null(in);
	while (got < 50 && fread(serial, 1, 4, in) == 4)
		got++;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* Drain what the child had announced before dying. */
	assert_int_equal(got, 50);
	assert_int_equal(
	    store_open(&(struct store_config){.type = "sqlite", .data_source = file}, &s, &err), 0);
	for (size_t i = 0; i < got; i++) {
		snprintf(serial, sizeof(serial), "%zu", 1000 + i);
		check_prov(s, serial, true, "killed");
	}
	while (fread(serial, 1, 4, in) == 4) {
		serial[4] = '\0';
		check_prov(s, serial, true, "killed");
	}
	fclose(in);
	store_close(s);
	free(file);
}

static void test_memory_store(void **state)
{
	struct store *s = NULL;
	struct error err = {0};
	struct store_txn *t;
	struct store_record r, *v = (struct store_record *)1;
	size_t n = 9;
	bool already = true, found = true;
	(void)state;

	assert_int_equal(store_open_memory(&s, &err), 0);
	assert_false(use(s, "a"));
	assert_true(use(s, "a"));
	assert_false(use(s, "b"));
	put(s, "77", "p", 0, ERR_NONE);
	check_prov(s, "77", false, NULL); /* nothing is persisted without a database */
	assert_int_equal(do_revoke(s, "77", &already, &err), -1);
	assert_int_equal(err.kind, ERR_NOT_IMPLEMENTED);
	assert_string_equal(err.msg,
			    "revocation is not available: no persistence layer configured");
	assert_false(revoked(s, "77"));
	store_close(s);
	store_close(NULL);

	/* Records need a database: a transaction with one applies nothing, reads fail. */
	assert_int_equal(store_open_memory(&s, &err), 0);
	t = store_txn_new();
	store_txn_use_token(t, "rec-tok", "raw");
	store_txn_record(t, STORE_REC_PUT, &(struct store_record){.collection = "c", .id = "i"});
	err_clear(&err);
	assert_int_equal(store_commit(s, t, &err), -1);
	assert_int_equal(err.kind, ERR_NOT_IMPLEMENTED);
	assert_string_equal(err.msg, "this needs a database: add \"db\" to ca.json");
	assert_false(t->token_reused || t->record_conflict);
	store_txn_free(t);
	assert_false(use(s, "rec-tok"));
	err_clear(&err);
	assert_int_equal(s->ops->record_get(s, "c", "i", &found, &r, &err), -1);
	assert_false(found);
	assert_int_equal(err.kind, ERR_NOT_IMPLEMENTED);
	assert_string_equal(err.msg, "this needs a database: add \"db\" to ca.json");
	err_clear(&err);
	assert_int_equal(s->ops->record_list(s, "c", NULL, NULL, 10, &v, &n, &err), -1);
	assert_null(v);
	assert_int_equal(n, 0);
	assert_int_equal(err.kind, ERR_NOT_IMPLEMENTED);
	assert_string_equal(err.msg, "this needs a database: add \"db\" to ca.json");
	store_close(s);

	assert_int_equal(store_open_memory(&s, &err), 0);
	race(s); /* 1000 keys also make the table grow */
	assert_true(use(s, "token-999"));
	assert_false(use(s, "token-1000"));
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_sqlite_operations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sqlite_upgrade_from_v2, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sqlite_upgrade_from_v3, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sqlite_upgrade_from_v4, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sqlite_directory_source, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sqlite_bad_sources, setup, teardown),
	    cmocka_unit_test(test_unsupported_types),
	    cmocka_unit_test(test_unsupported_type_quoting),
	    cmocka_unit_test_setup_teardown(test_sqlite_survives_sigkill, setup, teardown),
	    cmocka_unit_test(test_memory_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
