/* test_store_postgres.c - the shared store suite (store_suite.c) on PostgreSQL, then what only
 * PostgreSQL has: the database created when missing, migrations run once by racing instances,
 * no DDL at start when the schema is current (a read-only server), a newer schema refused, a
 * lost connection (503, then recovery without reopening), passwords redacted.
 *
 * Run by tests/pg/with-cluster.sh, which starts a throwaway cluster: STRIDE_PG_URL is its URL,
 * STRIDE_PG_CLUSTER and STRIDE_PG_DIR stop and start it. Every test uses a fresh database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/str.h"
#include "store/postgres.h"
#include "store_suite.h"

#define SECRET "pw-S3cret-x"

static const char *url;

/* A database name no test used before. */
static char *new_name(void)
{
	static int counter;

	return xasprintf("stride_t_%ld_%d", (long)getpid(), ++counter);
}

/* url with dbname as its database, and password (may be NULL) in its userinfo. */
static char *url_with(const char *dbname, const char *password)
{
	const char *slash = strstr(url, "/?"), *at = strchr(url, '@');
	char *user_part = xasprintf("%.*s", (int)(at - url), url);
	char *r;

	assert_non_null(slash);
	assert_non_null(at);
	r = xasprintf("%s%s%s%.*s/%s%s", user_part, password != NULL ? ":" : "",
		      password != NULL ? password : "", (int)(slash - at), at,
		      dbname != NULL ? dbname : "", slash + 1);
	free(user_part);
	return r;
}

static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Runs sql on database dbname (NULL: the URL's) and returns the first value (malloc'd, NULL
 * when no row); fails the test on an error. */
static char *query(const char *dbname, const char *sql)
{
	const char *keys[] = {"dbname", dbname != NULL ? "dbname" : NULL, NULL};
	const char *vals[] = {url, dbname, NULL};
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	PGresult *res;
	char *out = NULL;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connect %s: %s", dbname, PQerrorMessage(c));
	PQsetNoticeProcessor(c, ignore_notice, NULL);
	res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(res));
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
		out = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(c);
	return out;
}

static void exec_sql(const char *dbname, const char *sql)
{
	free(query(dbname, sql));
}

static void drop_database(const char *name)
{
	char *sql = xasprintf("DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);

	exec_sql(NULL, sql);
	free(sql);
}

static int open_db(const char *type, const char *source, const char *database, struct store **s,
		   struct error *err)
{
	struct store_config cfg = {.type = type, .data_source = source, .database = database};

	return store_open(&cfg, s, err);
}

/* ---- the shared suite ----------------------------------------------------------------- */

static int pg_setup(void **ctx)
{
	*ctx = new_name(); /* created by the first open */
	return 0;
}

static int pg_open(void *ctx, struct store **out, struct error *err)
{
	return open_db("postgresql", url, ctx, out, err);
}

static void pg_teardown(void *ctx)
{
	drop_database(ctx);
	free(ctx);
}

/* ---- PostgreSQL only ------------------------------------------------------------------ */

static int setup(void **state)
{
	*state = new_name();
	return 0;
}

static int teardown(void **state)
{
	pg_teardown(*state);
	return 0;
}

static void assert_unavailable(int rc, const struct error *err)
{
	assert_int_equal(rc, -1);
	assert_int_equal(err->kind, ERR_UNAVAILABLE);
	assert_true(err->expose);
	assert_string_equal(err->msg, "database unavailable");
}

static bool token_used(struct store *s, const char *key)
{
	struct error err = {0};
	bool used = false;

	assert_int_equal(s->ops->token_used(s, key, &used, &err), 0);
	return used;
}

/* A missing database is created, named by "database" or by the URL; "postgres" is accepted as
 * the type too. */
static void test_created_when_missing(void **state)
{
	const char *name = *state;
	char *other = new_name(), *other_url = url_with(other, NULL), *sql, *v;
	struct store *s = NULL;
	struct error err = {0};

	sql = xasprintf("SELECT count(*) FROM pg_database WHERE datname = '%s'", name);
	v = query(NULL, sql);
	assert_string_equal(v, "0");
	free(v);
	assert_int_equal(open_db("postgresql", url, name, &s, &err), 0);
	assert_true(s->remote);
	store_close(s);
	v = query(NULL, sql);
	assert_string_equal(v, "1");
	free(v);
	v = query(name, "SELECT max(version) FROM stride_schema_migrations");
	assert_string_equal(v, "1");
	free(v);
	free(sql);

	assert_int_equal(open_db("postgres", other_url, NULL, &s, &err), 0);
	store_close(s);
	v = query(other, "SELECT max(version) FROM stride_schema_migrations");
	assert_string_equal(v, "1");
	free(v);
	drop_database(other);
	free(other_url);
	free(other);

	/* A name that needs quoting as an identifier. */
	other = xasprintf("%s odd-Name", name);
	assert_int_equal(open_db("postgresql", url, other, &s, &err), 0);
	store_close(s);
	v = query(other, "SELECT current_database()");
	assert_string_equal(v, other);
	free(v);
	drop_database(other);
	free(other);
}

struct opener {
	const char *name;
	pthread_barrier_t *barrier;
	int rc;
	struct error err;
};

static void *open_racing(void *arg)
{
	struct opener *o = arg;
	struct store *s = NULL;

	pthread_barrier_wait(o->barrier);
	o->rc = open_db("postgresql", url, o->name, &s, &o->err);
	store_close(s);
	return NULL;
}

/* Instances starting together on a database that does not exist yet: all of them open it,
 * and the migration ran exactly once. */
static void test_migrations_once(void **state)
{
	enum { N = 4 };
	const char *name = *state;
	pthread_barrier_t barrier;
	pthread_t th[N];
	struct opener o[N];
	char *v;

	pthread_barrier_init(&barrier, NULL, N);
	for (int i = 0; i < N; i++) {
		o[i] = (struct opener){.name = name, .barrier = &barrier};
		assert_int_equal(pthread_create(&th[i], NULL, open_racing, &o[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		if (o[i].rc != 0)
			fail_msg("open %d: %s", i, o[i].err.msg);
	}
	pthread_barrier_destroy(&barrier);
	v = query(name, "SELECT count(*) || ' ' || max(version) FROM stride_schema_migrations");
	assert_string_equal(v, "1 1");
	free(v);
}

static const uint8_t der1[] = {0x30, 0x03, 0x02, 0x01, 0x07};

/* Once migrated, an instance starts on a read-only server (no DDL): reads work, writes fail
 * with 503 "database unavailable". An empty database there cannot be migrated. */
static void test_read_only_server(void **state)
{
	const char *name = *state;
	char *empty = new_name(), *sql;
	struct store *s = NULL;
	struct error err = {0};
	struct cert_record rec = {.serial = "7", .der = der1, .der_len = sizeof(der1)};
	struct store_record out;
	bool found = true, used = true;

	assert_int_equal(open_db("postgresql", url, name, &s, &err), 0);
	assert_int_equal(store_use_token(s, "before", "t", &used, &err), 0);
	store_close(s);
	sql = xasprintf("ALTER DATABASE \"%s\" SET default_transaction_read_only = on", name);
	exec_sql(NULL, sql);
	free(sql);

	assert_int_equal(open_db("postgresql", url, name, &s, &err), 0);
	assert_true(token_used(s, "before"));
	assert_false(token_used(s, "after"));
	assert_int_equal(s->ops->record_get(s, "things", "a", &found, &out, &err), 0);
	assert_false(found);
	assert_unavailable(store_use_token(s, "after", "t", &used, &err), &err);
	err_clear(&err);
	assert_unavailable(store_put_cert(s, &rec, &err), &err);
	store_close(s);

	sql = xasprintf("CREATE DATABASE \"%s\"", empty);
	exec_sql(NULL, sql);
	free(sql);
	sql = xasprintf("ALTER DATABASE \"%s\" SET default_transaction_read_only = on", empty);
	exec_sql(NULL, sql);
	free(sql);
	err_clear(&err);
	s = NULL;
	assert_int_equal(open_db("postgresql", url, empty, &s, &err), -1);
	assert_null(s);
	assert_int_equal(err.kind, ERR_UNAVAILABLE);
	sql = xasprintf("database %s: database unavailable", url);
	assert_string_equal(err.msg, sql);
	free(sql);
	drop_database(empty);
	free(empty);
}

/* A schema newer than this build knows is refused with a clear message. */
static void test_newer_schema(void **state)
{
	const char *name = *state;
	struct store *s = NULL;
	struct error err = {0};
	char *want;

	assert_int_equal(open_db("postgresql", url, name, &s, &err), 0);
	store_close(s);
	s = NULL;
	exec_sql(name, "INSERT INTO stride_schema_migrations (version) VALUES (99)");
	assert_int_equal(open_db("postgresql", url, name, &s, &err), -1);
	assert_null(s);
	assert_int_equal(err.kind, ERR_INVALID);
	want = xasprintf("database %s: schema version 99 is not supported by this version of "
			 "stride (newest known: %d)",
			 url, STORE_PG_SCHEMA_VERSION);
	assert_string_equal(err.msg, want);
	free(want);
}

static void cluster(const char *cmd)
{
	char *line = xasprintf("\"%s\" %s \"%s\" >/dev/null", getenv("STRIDE_PG_CLUSTER"), cmd,
			       getenv("STRIDE_PG_DIR"));

	assert_int_equal(system(line), 0);
	free(line);
}

struct counter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int left;
};

static void count_down(struct store_txn *t, void *arg)
{
	struct counter *c = arg;

	(void)t;
	pthread_mutex_lock(&c->lock);
	c->left--;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* While the server is down, queued transactions fail with 503. */
static void outage_batch(struct store *s)
{
	enum { N = 8 };
	struct counter c = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, N};
	struct store_txn *t[N];

	for (int i = 0; i < N; i++) {
		char key[16];
		snprintf(key, sizeof(key), "down-%d", i);
		t[i] = store_txn_new();
		store_txn_use_token(t[i], key, "t");
		t[i]->done = count_down;
		t[i]->done_arg = &c;
		s->ops->submit(s, t[i]);
	}
	pthread_mutex_lock(&c.lock);
	while (c.left > 0)
		pthread_cond_wait(&c.cond, &c.lock);
	pthread_mutex_unlock(&c.lock);
	for (int i = 0; i < N; i++) {
		assert_unavailable(t[i]->rc, &t[i]->err);
		store_txn_free(t[i]);
	}
}

/* Reads the captured stderr. */
static char *read_captured(const char *path)
{
	char *data = NULL;
	size_t len = 0;

	assert_int_equal(file_read(path, 1 << 20, (uint8_t **)&data, &len, NULL), 0);
	data = xrealloc(data, len + 1);
	data[len] = '\0';
	return data;
}

/* The server restarts while the store is idle: the next commit and read reconnect at once.
 * The server goes down: commits and reads fail fast with 503 "database unavailable"; once it is
 * back a later commit succeeds, without reopening the store. The log never shows the
 * password of the URL. */
static void test_lost_connection(void **state)
{
	const char *name = *state;
	char *source = url_with(NULL, SECRET), *log_path, *logged;
	struct store *s = NULL;
	struct error err = {0};
	bool used = true;
	int saved = dup(2), fd, rc = -1;

	log_path = xasprintf("/tmp/stride-test-pg-%ld.log", (long)getpid());
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	dup2(fd, 2);
	close(fd);

	assert_int_equal(open_db("postgresql", source, name, &s, &err), 0);
	assert_int_equal(store_use_token(s, "k1", "t", &used, &err), 0);
	assert_false(used);

	cluster("restart");
	assert_int_equal(store_use_token(s, "k2", "t", &used, &err), 0);
	assert_false(used);
	assert_true(token_used(s, "k1"));

	cluster("stop");
	assert_unavailable(store_use_token(s, "k3", "t", &used, &err), &err);
	err_clear(&err);
	assert_unavailable(s->ops->token_used(s, "k1", &used, &err), &err);
	outage_batch(s);

	cluster("start");
	for (int i = 0; i < 100 && rc != 0; i++) { /* until the backoff lets it reconnect */
		err_clear(&err);
		rc = store_use_token(s, "k4", "t", &used, &err);
		if (rc != 0) {
			assert_unavailable(rc, &err);
			usleep(100 * 1000);
		}
	}
	assert_int_equal(rc, 0);
	assert_false(used);
	assert_true(token_used(s, "k1"));
	assert_true(token_used(s, "k2"));
	assert_false(token_used(s, "k3"));
	assert_int_equal(store_use_token(s, "k3", "t", &used, &err), 0);
	assert_false(used);
	store_close(s);

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	logged = read_captured(log_path);
	unlink(log_path);
	assert_non_null(strstr(logged, "database unavailable"));
	assert_non_null(strstr(logged, "postgres:xxxxx@127.0.0.1"));
	assert_null(strstr(logged, SECRET));
	free(logged);
	free(log_path);
	free(source);
}

/* Connection errors name the server without its password, whatever form the source has. */
static void test_password_redacted(void **state)
{
	static const char *const sources[] = {
	    "postgresql://postgres:" SECRET "@127.0.0.1:1/?sslmode=disable",
	    "postgres://postgres:" SECRET "@127.0.0.1:1/db?sslmode=disable&connect_timeout=5",
	    "postgresql://postgres@127.0.0.1:1/?password=" SECRET "&sslmode=disable",
	    "host=127.0.0.1 port=1 user=postgres password=" SECRET " sslmode=disable",
	    "host=127.0.0.1 port=1 user=postgres password='" SECRET "' sslmode=disable",
	    "postgresql://postgres:pw%2DS3cret%2Dx@127.0.0.1:1/?sslmode=disable",
	    "postgresql://postgres:" SECRET "@127.0.0.1:1/?unknown_parameter=1",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		struct store *s = (struct store *)1;
		struct error err = {0};

		assert_int_equal(open_db("postgresql", sources[i], "stride", &s, &err), -1);
		assert_null(s);
		if (strstr(err.msg, SECRET) != NULL || strstr(err.msg, "xxxxx") == NULL)
			fail_msg("source %zu: %s", i, err.msg);
		if (i == sizeof(sources) / sizeof(sources[0]) - 1) {
			assert_int_equal(err.kind, ERR_INVALID);
			continue;
		}
		assert_int_equal(err.kind, ERR_UNAVAILABLE);
		assert_false(err.expose);
		if (strstr(err.msg, " (database \"stride\"): cannot connect: ") == NULL)
			fail_msg("source %zu: %s", i, err.msg);
	}
	{
		struct store *s = NULL;
		struct error err = {0};
		const char *want = "database postgresql://postgres:xxxxx@127.0.0.1:1/"
				   "?sslmode=disable (database \"stride\"): cannot connect: "
				   "connection to server at \"127.0.0.1\", port 1 failed: ";

		assert_int_equal(open_db("postgresql", sources[0], "stride", &s, &err), -1);
		assert_memory_equal(err.msg, want, strlen(want));
	}
}

int main(void)
{
	static const struct store_suite_backend pg = {
	    .name = "postgresql",
	    .setup = pg_setup,
	    .open = pg_open,
	    .teardown = pg_teardown,
	};
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_created_when_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrations_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_only_server, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_password_redacted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lost_connection, setup, teardown),
	};
	int failed;

	url = getenv("STRIDE_PG_URL");
	if (url == NULL || url[0] == '\0') {
		fprintf(stderr, "STRIDE_PG_URL is not set: run through tests/pg/with-cluster.sh\n");
		return 1;
	}
	failed = cmocka_run_group_tests_name("postgresql only", tests, NULL, NULL);
	return failed + store_suite_run(&pg);
}
