/* sqlite_records.c - records (store.h) on SQLite: the table `records`, keyed by (collection,
 * id), listed by (collection, owner, id). A record is live while expires_at is 0 or after the
 * time of the commit (of the read). Ids compare as bytes (SQLite's BINARY collation).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "base/str.h"
#include "store/sqlite_int.h"

#define LIVE "(expires_at = 0 OR expires_at > ?6)"

/* Parameters of every record statement: ?1 collection, ?2 id, ?3 owner, ?4 value,
 * ?5 expires_at, ?6 now, ?7 the expected version; each statement uses some of them. */
const struct stmt_def sq_record_wstmts[RW_COUNT] = {
    [STORE_REC_INSERT] = {"insert record",
			  "INSERT INTO records (collection, id, owner, value, expires_at, version) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, 1) ON CONFLICT (collection, id) DO UPDATE "
			  "SET owner = excluded.owner, value = excluded.value, "
			  "expires_at = excluded.expires_at, version = 1 "
			  "WHERE records.expires_at <> 0 AND records.expires_at <= ?6"},
    [STORE_REC_UPDATE] = {"update record",
			  "UPDATE records SET owner = ?3, value = ?4, expires_at = ?5, "
			  "version = version + 1 WHERE collection = ?1 AND id = ?2 AND "
			  "version = ?7 AND " LIVE},
    [STORE_REC_PUT] = {"put record",
		       "INSERT INTO records (collection, id, owner, value, expires_at, version) "
		       "VALUES (?1, ?2, ?3, ?4, ?5, 1) ON CONFLICT (collection, id) DO UPDATE "
		       "SET owner = excluded.owner, value = excluded.value, "
		       "expires_at = excluded.expires_at, version = records.version + 1"},
    [STORE_REC_DELETE] = {"delete record", "DELETE FROM records WHERE collection = ?1 AND id = ?2"},
    [STORE_REC_TAKE] = {"take record",
			"DELETE FROM records WHERE collection = ?1 AND id = ?2 AND " LIVE},
};

/* Read parameters: ?1 collection, ?2 id or owner, ?3 after this id, ?4 now, ?5 limit. */
#define RLIVE "(expires_at = 0 OR expires_at > ?4)"
const struct stmt_def sq_record_rstmts[RR_COUNT] = {
    [RR_GET] = {"get record", "SELECT owner, value, expires_at, version FROM records "
			      "WHERE collection = ?1 AND id = ?2 AND " RLIVE},
    [RR_LIST_ALL] = {"list records",
		     "SELECT id, owner, value, expires_at, version FROM records "
		     "WHERE collection = ?1 AND id > ?3 AND " RLIVE " ORDER BY id LIMIT ?5"},
    [RR_LIST_OWNER] = {"list records", "SELECT id, owner, value, expires_at, version FROM records "
				       "WHERE collection = ?1 AND owner = ?2 AND id > ?3 AND " RLIVE
				       " ORDER BY id LIMIT ?5"},
};

/* Binds the parameters st has of a change (see sq_record_wstmts). */
static int bind_change(sqlite3_stmt *st, const struct store_record *r, int64_t now)
{
	int n = sqlite3_bind_parameter_count(st);
	int rc = sqlite3_bind_text(st, 1, r->collection, -1, SQLITE_STATIC);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, r->id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && n >= 3)
		rc = sqlite3_bind_text(st, 3, r->owner, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && n >= 4)
		rc = r->value_len > 0
			 ? sqlite3_bind_blob64(st, 4, r->value, r->value_len, SQLITE_STATIC)
			 : sqlite3_bind_zeroblob(st, 4, 0);
	if (rc == SQLITE_OK && n >= 5)
		rc = sqlite3_bind_int64(st, 5, r->expires_at_ns);
	if (rc == SQLITE_OK && n >= 6)
		rc = sqlite3_bind_int64(st, 6, now);
	if (rc == SQLITE_OK && n >= 7)
		rc = sqlite3_bind_int64(st, 7, r->version);
	return rc;
}

/* Applies one change: *applied says whether it changed a row (else: a conflict). */
static int apply_one(struct sqlite_store *s, const struct store_record_change *c, int64_t now,
		     bool *applied, struct error *err)
{
	sqlite3_stmt *st = s->rw[c->op];
	int rc = bind_change(st, &c->rec, now);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	*applied = rc == SQLITE_DONE && sqlite3_changes(s->wdb) > 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0
				 : sq_db_error(s, s->wdb, err, sq_record_wstmts[c->op].name, rc);
}

int sq_apply_records(struct sqlite_store *s, struct store_txn *t, int64_t now)
{
	for (size_t i = 0; i < t->n_records; i++) {
		struct store_record_change *c = &t->records[i];
		bool applied = false;

		if (store_record_check(c->rec.collection, c->rec.id, &t->err) != 0)
			return -1;
		if ((unsigned)c->op >= RW_COUNT)
			return err_set(&t->err, ERR_INTERNAL, "store: unknown record operation %d",
				       (int)c->op);
		if (apply_one(s, c, now, &applied, &t->err) != 0)
			return -1;
		if (!applied) {
			c->conflict = true;
			t->record_conflict = true;
			return 0;
		}
	}
	return 0;
}

static char *column_text(sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	return v != NULL ? xstrdup((const char *)v) : NULL;
}

/* Fills r from the columns owner, value, expires_at, version starting at col. */
static void copy_record(sqlite3_stmt *st, int col, struct store_record *r)
{
	size_t len = (size_t)sqlite3_column_bytes(st, col + 1);
	const void *v = sqlite3_column_blob(st, col + 1);
	uint8_t *value = xmalloc(len > 0 ? len : 1);

	if (len > 0)
		memcpy(value, v, len);
	r->owner = column_text(st, col);
	r->value = value;
	r->value_len = len;
	r->expires_at_ns = sqlite3_column_int64(st, col + 2);
	r->version = sqlite3_column_int64(st, col + 3);
}

/* Binds the read parameters (see sq_record_rstmts). */
static int bind_read(sqlite3_stmt *st, const char *collection, const char *key,
		     const char *after_id, size_t limit)
{
	int rc = sqlite3_bind_text(st, 1, collection, -1, SQLITE_STATIC);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && sqlite3_bind_parameter_count(st) >= 3)
		rc = sqlite3_bind_text(st, 3, after_id != NULL ? after_id : "", -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, time_now_ns());
	if (rc == SQLITE_OK && sqlite3_bind_parameter_count(st) >= 5)
		rc = sqlite3_bind_int64(st, 5, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
	return rc;
}

int sq_record_get(struct store *st, const char *collection, const char *id, bool *found,
		  struct store_record *out, struct error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q = s->rr[RR_GET];
	int rc, ret = -1;

	*found = false;
	*out = (struct store_record){0};
	if (store_record_check(collection, id, err) != 0)
		return -1;
	pthread_mutex_lock(&s->rlock);
	rc = bind_read(q, collection, id, NULL, 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		out->collection = xstrdup(collection);
		out->id = xstrdup(id);
		copy_record(q, 0, out);
		*found = true;
	} else if (rc != SQLITE_DONE) {
		sq_db_error(s, s->rdb, err, sq_record_rstmts[RR_GET].name, rc);
		goto out;
	}
	ret = 0;
out:
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	pthread_mutex_unlock(&s->rlock);
	return ret;
}

int sq_record_list(struct store *st, const char *collection, const char *owner,
		   const char *after_id, size_t limit, struct store_record **out, size_t *n,
		   struct error *err)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	enum rrstmt_id id = owner != NULL ? RR_LIST_OWNER : RR_LIST_ALL;
	sqlite3_stmt *q = s->rr[id];
	struct store_record *v = NULL;
	size_t cap = 0, count = 0;
	int rc, ret = -1;

	*out = NULL;
	*n = 0;
	if (store_record_check(collection, "-", err) != 0)
		return -1;
	if (limit == 0)
		return 0;
	pthread_mutex_lock(&s->rlock);
	rc = bind_read(q, collection, owner, after_id, limit);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(q);
		if (rc != SQLITE_ROW)
			break;
		if (count == cap) {
			cap = cap > 0 ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[count] = (struct store_record){.collection = xstrdup(collection),
						 .id = column_text(q, 0)};
		copy_record(q, 1, &v[count]);
		count++;
	}
	if (rc != SQLITE_DONE) {
		sq_db_error(s, s->rdb, err, sq_record_rstmts[id].name, rc);
		goto out;
	}
	*out = v;
	*n = count;
	v = NULL;
	count = 0;
	ret = 0;
out:
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	pthread_mutex_unlock(&s->rlock);
	store_records_free(v, count);
	return ret;
}
