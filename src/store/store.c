/* store.c - picks the persistence back end named in ca.json's "db.type"; the transactions
 * every back end commits, and the synchronous conveniences built on them. */
#include "store/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/invariant.h"
#include "base/password.h"
#include "base/str.h"
#include "store/postgres.h"
#include "store/sqlite.h"

/* Whether s can stand inside a JSON string as it is. */
static bool json_plain(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

int store_open(const struct store_config *cfg, struct store **out, struct error *err)
{
	const char *type = cfg->type, *data_source = cfg->data_source;
	const char *ds = data_source != NULL && data_source[0] != '\0' && json_plain(data_source)
			     ? data_source
			     : "/path/to/db";

	*out = NULL;
	if (type != NULL && strcmp(type, "sqlite") == 0)
		return store_sqlite_open(data_source, out, err);
	if (type != NULL && (strcmp(type, "postgresql") == 0 || strcmp(type, "postgres") == 0))
		return store_pg_open(cfg, out, err);
	/* A ca.json written by step names step's databases (badgerv2, bbolt, mysql): say exactly
	 * what to write instead. A directory as dataSource holds the file stride.db. Only the
	 * SQLite form is shown: a PostgreSQL URL would need a server to point at. */
	return err_set(
	    err, ERR_INVALID,
	    "unsupported database type '%s': supported types are sqlite and postgresql; in "
	    "ca.json "
	    "use \"db\": {\"type\": \"sqlite\", \"dataSource\": \"%s\"} (an existing "
	    "directory holds the database file stride.db; the data of step's database is not "
	    "carried over)",
	    type != NULL ? type : "", ds);
}

/* ---- transactions --------------------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct store_txn *store_txn_new(void)
{
	return xcalloc(1, sizeof(struct store_txn));
}

void store_txn_use_token(struct store_txn *t, const char *key, const char *token)
{
	INVARIANT(t != NULL && key != NULL);
	free(t->token_key);
	free(t->token);
	t->token_key = xstrdup(key);
	t->token = dup_or_null(token);
}

void store_txn_put_cert(struct store_txn *t, const struct cert_record *rec, const char *auth_key_id)
{
	uint8_t *der;

	INVARIANT(t != NULL && rec != NULL && (rec->der != NULL || rec->der_len == 0));
	der = xmalloc(rec->der_len > 0 ? rec->der_len : 1);

	memcpy(der, rec->der, rec->der_len);
	t->cert = (struct cert_record){
	    .serial = dup_or_null(rec->serial),
	    .der = der,
	    .der_len = rec->der_len,
	    .prov_id = dup_or_null(rec->prov_id),
	    .prov_name = dup_or_null(rec->prov_name),
	    .prov_type = dup_or_null(rec->prov_type),
	    .not_after_ns = rec->not_after_ns,
	    .parent_serial = dup_or_null(rec->parent_serial),
	    .key_id = dup_or_null(rec->key_id),
	};
	free(t->auth_key_id);
	t->auth_key_id = dup_or_null(auth_key_id);
	t->has_cert = true;
}

void store_txn_revoke(struct store_txn *t, const struct revocation *rev)
{
	INVARIANT(t != NULL && rev != NULL);
	t->rev = *rev;
	t->rev.serial = dup_or_null(rev->serial);
	t->rev.prov_id = dup_or_null(rev->prov_id);
	t->rev.reason = dup_or_null(rev->reason);
	t->rev.token_id = dup_or_null(rev->token_id);
	t->rev.key_id = dup_or_null(rev->key_id);
	t->has_revocation = true;
}

void store_txn_record(struct store_txn *t, enum store_record_op op, const struct store_record *rec)
{
	struct store_record_change *c;
	uint8_t *value = xmalloc(rec->value_len > 0 ? rec->value_len : 1);

	if (rec->value_len > 0)
		memcpy(value, rec->value, rec->value_len);
	t->records = xrealloc(t->records, (t->n_records + 1) * sizeof(*t->records));
	c = &t->records[t->n_records++];
	*c = (struct store_record_change){
	    .op = op,
	    .rec =
		{
		    .collection = dup_or_null(rec->collection),
		    .id = dup_or_null(rec->id),
		    .owner = dup_or_null(rec->owner),
		    .value = value,
		    .value_len = rec->value_len,
		    .expires_at_ns = rec->expires_at_ns,
		    .version = rec->version,
		},
	};
}

void store_record_free(struct store_record *r)
{
	if (r == NULL)
		return;
	free((char *)r->collection);
	free((char *)r->id);
	free((char *)r->owner);
	free((uint8_t *)r->value);
	*r = (struct store_record){0};
}

void store_records_free(struct store_record *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_record_free(&v[i]);
	free(v);
}

void store_revoked_free(struct store_revoked *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i].serial);
	free(v);
}

int store_record_check(const char *collection, const char *id, struct error *err)
{
	size_t n = collection != NULL ? strlen(collection) : 0;

	if (n == 0 || n > STORE_COLLECTION_MAX ||
	    strspn(collection, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
		return err_set(err, ERR_INVALID,
			       "store: a record collection is 1 to %d of a-z, 0-9 and _",
			       STORE_COLLECTION_MAX);
	n = id != NULL ? strlen(id) : 0;
	if (n == 0 || n > STORE_RECORD_ID_MAX)
		return err_set(err, ERR_INVALID, "store: a record id is 1 to %d bytes",
			       STORE_RECORD_ID_MAX);
	return 0;
}

void store_txn_clear_results(struct store_txn *t)
{
	t->token_reused = false;
	t->already_revoked = false;
	t->parent_revoked = false;
	t->key_blocked = false;
	t->auth_key_blocked = false;
	t->record_conflict = false;
	for (size_t i = 0; i < t->n_records; i++)
		t->records[i].conflict = false;
}

void store_txn_free(struct store_txn *t)
{
	if (t == NULL)
		return;
	if (t->token != NULL)
		secure_wipe(t->token, strlen(t->token));
	free(t->token);
	free(t->token_key);
	free((char *)t->cert.serial);
	free((uint8_t *)t->cert.der);
	free((char *)t->cert.prov_id);
	free((char *)t->cert.prov_name);
	free((char *)t->cert.prov_type);
	free((char *)t->cert.parent_serial);
	free((char *)t->cert.key_id);
	free(t->auth_key_id);
	free((char *)t->rev.serial);
	free((char *)t->rev.prov_id);
	free((char *)t->rev.reason);
	free((char *)t->rev.token_id);
	free((char *)t->rev.key_id);
	for (size_t i = 0; i < t->n_records; i++)
		store_record_free(&t->records[i].rec);
	free(t->records);
	free(t);
}

/* store_commit's rendezvous between the caller and the committing thread. */
struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
};

static void wake_waiter(struct store_txn *t, void *arg)
{
	struct waiter *w = arg;
	(void)t;

	pthread_mutex_lock(&w->lock);
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

int store_commit(struct store *s, struct store_txn *t, struct error *err)
{
	struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};

	INVARIANT(s != NULL && s->ops != NULL && s->ops->submit != NULL && t != NULL);
	t->done = wake_waiter;
	t->done_arg = &w;
	s->ops->submit(s, t);
	pthread_mutex_lock(&w.lock);
	while (!w.done)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);
	t->done = NULL;
	t->done_arg = NULL;
	if (t->rc != 0 && err != NULL)
		*err = t->err;
	return t->rc;
}

/* Runs a one-change transaction and frees it; on success *out (if any) gets *result, one of
 * t's result flags. */
static int commit_one(struct store *s, struct store_txn *t, bool *out, const bool *result,
		      struct error *err)
{
	int rc = store_commit(s, t, err);

	if (rc == 0 && out != NULL)
		*out = *result;
	store_txn_free(t);
	return rc;
}

int store_use_token(struct store *s, const char *key, const char *token, bool *already_used,
		    struct error *err)
{
	struct store_txn *t;

	*already_used = false;
	if (key == NULL || key[0] == '\0')
		return err_set(err, ERR_INTERNAL, "store: empty token key");
	t = store_txn_new();
	store_txn_use_token(t, key, token);
	return commit_one(s, t, already_used, &t->token_reused, err);
}

int store_put_cert(struct store *s, const struct cert_record *rec, struct error *err)
{
	struct store_txn *t;

	if (rec->serial == NULL || rec->serial[0] == '\0' || rec->der == NULL || rec->der_len == 0)
		return err_set(err, ERR_INTERNAL,
			       "store: certificate record without serial or DER");
	t = store_txn_new();
	store_txn_put_cert(t, rec, NULL);
	return commit_one(s, t, NULL, NULL, err);
}

int store_revoke(struct store *s, const struct revocation *rev, bool *already_revoked,
		 struct error *err)
{
	struct store_txn *t;

	*already_revoked = false;
	if (rev->serial == NULL || rev->serial[0] == '\0')
		return err_set(err, ERR_INTERNAL, "store: revocation without serial");
	t = store_txn_new();
	store_txn_revoke(t, rev);
	return commit_one(s, t, already_revoked, &t->already_revoked, err);
}
