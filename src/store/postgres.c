/* postgres.c - the PostgreSQL back end (`"db": {"type": "postgresql", "dataSource": URL,
 * "database": NAME}`): opening (connection, database creation, migrations), the operations
 * table, closing.
 *
 * Threads: the committer thread owns one connection (pg_commit.c); reads take one of a small
 * pool of connections (pg_read.c), so a read never waits behind a commit. Every connection
 * prepares its statements once, and again after a reconnection.
 */
#include "store/postgres.h"

#include <stdlib.h>
#include <string.h>

#include "base/password.h"
#include "base/str.h"
#include "store/pg_internal.h"

static void wipe_free(char *p)
{
	if (p != NULL)
		secure_wipe(p, strlen(p));
	free(p);
}

static void pg_close(struct store *st)
{
	struct pg_store *s = (struct pg_store *)st;

	if (s == NULL)
		return;
	store_committer_stop(&s->committer);
	pg_conn_drop(&s->writer);
	for (int i = 0; i < PG_READERS; i++)
		pg_conn_drop(&s->readers[i]);
	if (s->locks_ready) {
		pthread_mutex_destroy(&s->plock);
		pthread_cond_destroy(&s->pcond);
	}
	wipe_free(s->data_source);
	wipe_free(s->password);
	free(s->database);
	free(s->shown);
	free(s);
}

static const struct store_ops pg_ops = {
    .token_used = pg_token_used,
    .submit = pg_submit,
    .get_cert_provisioner = pg_get_cert_provisioner,
    .is_revoked = pg_is_revoked,
    .cert_status = pg_cert_status,
    .record_get = pg_record_get,
    .record_list = pg_record_list,
    .revoked_list = pg_revoked_list,
    .close = pg_close,
};

static int init_locks(struct pg_store *s, struct error *err)
{
	if (pthread_mutex_init(&s->plock, NULL) != 0)
		return err_set(err, ERR_INTERNAL, "store: cannot create a mutex");
	if (pthread_cond_init(&s->pcond, NULL) != 0)
		goto fail_plock;
	s->locks_ready = true;
	return 0;
fail_plock:
	pthread_mutex_destroy(&s->plock);
	return err_set(err, ERR_INTERNAL, "store: cannot create a lock");
}

static struct pg_store *new_store(const struct store_config *cfg)
{
	struct pg_store *s = xcalloc(1, sizeof(*s));

	s->base.ops = &pg_ops;
	s->base.remote = true;
	s->data_source = xstrdup(cfg->data_source);
	if (cfg->database != NULL && cfg->database[0] != '\0')
		s->database = xstrdup(cfg->database);
	s->writer.stmts = pg_write_stmts;
	s->writer.nstmts = pg_write_nstmts;
	for (int i = 0; i < PG_READERS; i++) {
		s->readers[i].stmts = pg_read_stmts;
		s->readers[i].nstmts = pg_read_nstmts;
	}
	return s;
}

int store_pg_open(const struct store_config *cfg, struct store **out, struct error *err)
{
	struct pg_store *s = NULL;
	int rc = -1;

	*out = NULL;
	if (cfg->data_source == NULL || cfg->data_source[0] == '\0')
		return err_set(err, ERR_INVALID,
			       "db.dataSource cannot be empty for database type 'postgresql'");
	s = new_store(cfg);
	if (init_locks(s, err) != 0 || pg_parse_source(s, err) != 0 ||
	    pg_connect(s, &s->writer.conn, err) != 0)
		goto out;
	if (pg_migrate(s, &s->writer, err) != 0 || pg_conn_prepare(s, &s->writer, err) != 0) {
		if (err != NULL && err->kind == ERR_UNAVAILABLE && err->expose)
			err_wrap(err, "database %s", s->shown);
		goto out;
	}
	if (pg_start_committer(s, err) != 0)
		goto out;
	*out = &s->base;
	s = NULL;
	rc = 0;
out:
	pg_close(s != NULL ? &s->base : NULL);
	return rc;
}
