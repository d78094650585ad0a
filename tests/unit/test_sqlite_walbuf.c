/* test_sqlite_walbuf.c - the VFS that writes a commit's WAL frames with one call
 * (src/store/sqlite_vfs.c): after every commit, another connection (or process) reads what was
 * committed; checkpoints, WAL resets, cache spills and big transactions keep working; a
 * synchronous mode below FULL turns the buffering off; a SIGKILL loses nothing committed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
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
#include "store/sqlite_int.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/stride-test-walbuf-XXXXXX";

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

static void exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, msg != NULL ? msg : sqlite3_errstr(rc));
}

static long long query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
}

/* A connection like the store's write connection: through the shim, WAL, synchronous=FULL,
 * buffering armed. */
static sqlite3 *open_writer(const char *file)
{
	const char *vfs = sq_wal_vfs();
	sqlite3 *db = NULL;
	int on = 1;

	assert_non_null(vfs);
	assert_string_equal(vfs, STRIDE_SQLITE_VFS);
	assert_int_equal(
	    sqlite3_open_v2(file, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs), SQLITE_OK);
	exec_ok(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
		    "CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v BLOB NOT NULL);"
		    "CREATE INDEX IF NOT EXISTS t_v ON t (v);");
	assert_int_equal(sqlite3_file_control(db, "main", STRIDE_FCNTL_WAL_BUFFER, &on), SQLITE_OK);
	return db;
}

/* A connection of SQLite's own VFS, like another process's. */
static sqlite3 *open_reader(const char *file)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(file, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	return db;
}

static void insert(sqlite3 *db, long long k, size_t len)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "INSERT INTO t VALUES (%lld, randomblob(%zu))", k, len);
	exec_ok(db, sql);
}

/* Every commit is visible at once to a connection that never goes through the shim. */
static void test_commit_visible_to_other_connection(void **state)
{
	char *file = path_join(*state, "a.db");
	sqlite3 *w = open_writer(file), *r = open_reader(file);

	for (int i = 1; i <= 50; i++) {
		exec_ok(w, "BEGIN IMMEDIATE");
		insert(w, 2 * i, 300);
		insert(w, 2 * i + 1, 300);
		exec_ok(w, "COMMIT");
		assert_int_equal(query_int(r, "SELECT count(*) FROM t"), 2 * i);
	}
	integrity_ok(r);
	sqlite3_close(r);
	sqlite3_close(w);
	free(file);
}

/* Checkpoints (the WAL restarts at offset 0 after a full one: a write that does not continue
 * the buffered run), a commit many times larger than the buffer, and a cache so small that
 * pages spill into the WAL before the commit and are read back. */
static void test_checkpoint_reset_spill(void **state)
{
	char *file = path_join(*state, "b.db");
	sqlite3 *w = open_writer(file), *r = open_reader(file);
	long long n = 0;

	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 20; i++)
			insert(w, ++n, 1000);
		assert_int_equal(query_int(r, "SELECT count(*) FROM t"), n);
		exec_ok(w, round == 1 ? "PRAGMA wal_checkpoint(TRUNCATE)"
				      : "PRAGMA wal_checkpoint(RESTART)");
		insert(w, ++n, 10);
		assert_int_equal(query_int(r, "SELECT count(*) FROM t"), n);
	}
	exec_ok(w, "BEGIN IMMEDIATE");
	for (int i = 0; i < 200; i++) /* about 1 MB in one commit: the buffer fills many times */
		insert(w, ++n, 4000);
	exec_ok(w, "COMMIT");
	assert_int_equal(query_int(r, "SELECT count(*) FROM t"), n);
	exec_ok(w, "PRAGMA cache_size = 2");
	exec_ok(w, "BEGIN IMMEDIATE");
	for (int i = 0; i < 400; i++) /* about 1.6 MB: more than the buffer, and spilled */
		insert(w, ++n, 4000);
	exec_ok(w, "UPDATE t SET v = randomblob(50) WHERE k % 7 = 0");
	exec_ok(w, "COMMIT");
	assert_int_equal(query_int(r, "SELECT count(*) FROM t"), n);
	assert_int_equal(query_int(r, "SELECT count(*) FROM t WHERE length(v) = 50"), n / 7);
	integrity_ok(r);
	integrity_ok(w);
	exec_ok(w, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close(r);
	sqlite3_close(w);
	r = open_reader(file);
	assert_int_equal(query_int(r, "SELECT count(*) FROM t"), n);
	integrity_ok(r);
	sqlite3_close(r);
	free(file);
}

/* PRAGMA synchronous below FULL turns the buffering off (a commit would no longer sync, so it
 * would publish frames still in the buffer); FULL again does not turn it back on by itself. */
static void test_synchronous_normal_disarms(void **state)
{
	char *file = path_join(*state, "c.db");
	sqlite3 *w = open_writer(file), *r = open_reader(file), *plain = open_reader(file);
	int on = 1;

	exec_ok(w, "PRAGMA synchronous = NORMAL");
	for (int i = 1; i <= 10; i++) {
		insert(w, i, 200);
		assert_int_equal(query_int(r, "SELECT count(*) FROM t"), i);
	}
	exec_ok(w, "PRAGMA synchronous = 1");
	insert(w, 11, 200);
	assert_int_equal(query_int(r, "SELECT count(*) FROM t"), 11);
	/* Only a database file of the shim can be armed. */
	assert_int_equal(sqlite3_file_control(plain, "main", STRIDE_FCNTL_WAL_BUFFER, &on),
			 SQLITE_NOTFOUND);
	sqlite3_close(plain);
	sqlite3_close(r);
	sqlite3_close(w);
	free(file);
}

/* A process killed right after commits: every commit it reported is in the file. */
static void test_sigkill_keeps_commits(void **state)
{
	char *file = path_join(*state, "d.db");
	long long k = 0, got = 0;
	int fds[2];
	pid_t pid;
	FILE *in;
	sqlite3 *r;

	sqlite3_close(open_writer(file)); /* the table exists before the reader looks */
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *w = open_writer(file);

		close(fds[0]);
		for (long long i = 1;; i++) { /* runs until killed */
			exec_ok(w, "BEGIN IMMEDIATE");
			insert(w, 2 * i, 500);
			insert(w, 2 * i + 1, 500);
			exec_ok(w, "COMMIT");
			if (write(fds[1], &i, sizeof(i)) != sizeof(i))
				_exit(4);
		}
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	assert_non_null(in);
	while (got < 100 && fread(&k, sizeof(k), 1, in) == 1)
		got = k;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	while (fread(&k, sizeof(k), 1, in) == 1)
		got = k;
	fclose(in);
	assert_true(got >= 100);
	r = open_reader(file);
	assert_true(query_int(r, "SELECT count(*) FROM t") >= 2 * got);
	for (long long i = 1; i <= got; i++) {
		char sql[96];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM t WHERE k IN (%lld, %lld)", 2 * i,
			 2 * i + 1);
		assert_int_equal(query_int(r, sql), 2);
	}
	integrity_ok(r);
	sqlite3_close(r);
	free(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_commit_visible_to_other_connection, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_checkpoint_reset_spill, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_synchronous_normal_disarms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sigkill_keeps_commits, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
