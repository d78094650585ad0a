/* pg_read.c - reads of the PostgreSQL back end: a small pool of connections, each used by one
 * thread at a time, with its statements prepared once per connection. A connection found lost
 * (the server restarted while it was idle) is replaced at once and the read tried again on the
 * new one; when the server cannot be reached the read fails with ERR_UNAVAILABLE.
 */
#include "store/pg_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "base/str.h"

enum rstmt_id {
	R_TOKEN_USED,
	R_GET_CERT_PROV,
	R_IS_REVOKED,
	R_CERT_STATUS,
	R_RECORD_GET,
	R_RECORD_LIST,
	R_REVOKED_LIST,
	R_COUNT,
};

#define LIVE(n) "(expires_at = 0 OR expires_at > $" #n "::bigint)"

const struct pg_stmt pg_read_stmts[R_COUNT] = {
    [R_TOKEN_USED] = {"r_token_used", "check token", "SELECT 1 FROM used_ott WHERE key = $1::text",
		      1},
    [R_GET_CERT_PROV] = {"r_get_cert_prov", "get certificate",
			 "SELECT prov_name, prov_type FROM x509_certs WHERE serial = $1::text", 1},
    [R_IS_REVOKED] = {"r_is_revoked", "check revocation",
		      "SELECT 1 FROM revoked_x509_certs WHERE serial = $1::text", 1},
    [R_CERT_STATUS] = {"r_cert_status", "read certificate status",
		       "SELECT EXISTS (SELECT 1 FROM x509_certs WHERE serial = $1::text), "
		       "r.revoked_at, r.reason_code FROM (SELECT 1) AS one "
		       "LEFT JOIN revoked_x509_certs r ON r.serial = $1::text",
		       1},
    [R_RECORD_GET] = {"r_record_get", "get record",
		      "SELECT owner, value, expires_at, version FROM records "
		      "WHERE collection = $1::text AND id = $2::text AND " LIVE(3),
		      3},
    [R_RECORD_LIST] = {"r_record_list", "list records",
		       "SELECT id, owner, value, expires_at, version FROM records "
		       "WHERE collection = $1::text AND ($2::text IS NULL OR owner = $2::text) "
		       "AND id > $3::text AND " LIVE(4) " ORDER BY id LIMIT $5::bigint",
		       5},
    [R_REVOKED_LIST] = {"r_revoked_list", "list revoked certificates",
			"SELECT r.serial, r.reason_code, r.revoked_at, CASE WHEN r.expires_at <> 0 "
			"THEN r.expires_at ELSE COALESCE(c.not_after, 0) END "
			"FROM revoked_x509_certs r LEFT JOIN x509_certs c ON c.serial = r.serial "
			"WHERE r.serial COLLATE \"C\" > $1::text "
			"ORDER BY r.serial COLLATE \"C\" LIMIT $2::bigint",
			2},
};
const int pg_read_nstmts = R_COUNT;

/* Takes a free connection of the pool (preferably one that is up); waits while all are busy. */
static struct pg_conn *acquire(struct pg_store *s)
{
	int pick = -1;

	pthread_mutex_lock(&s->plock);
	for (;;) {
		for (int i = 0; i < PG_READERS; i++) {
			if (s->busy[i])
				continue;
			if (pick < 0 ||
			    (s->readers[pick].conn == NULL && s->readers[i].conn != NULL))
				pick = i;
		}
		if (pick >= 0)
			break;
		pthread_cond_wait(&s->pcond, &s->plock);
	}
	s->busy[pick] = true;
	pthread_mutex_unlock(&s->plock);
	return &s->readers[pick];
}

static void release(struct pg_store *s, struct pg_conn *c)
{
	pthread_mutex_lock(&s->plock);
	s->busy[c - s->readers] = false;
	pthread_cond_signal(&s->pcond);
	pthread_mutex_unlock(&s->plock);
}

/* Runs read statement id with text parameters on a pooled connection; NULL with err set on
 * failure. */
static PGresult *read_query(struct pg_store *s, enum rstmt_id id, const char *const *values,
			    struct error *err)
{
	struct pg_conn *c = acquire(s);
	PGresult *res = NULL;

	for (int attempt = 0; attempt < 2 && res == NULL; attempt++) {
		bool was_up = c->conn != NULL;

		if (attempt > 0)
			err_clear(err);
		if (pg_conn_ensure(s, c, err) != 0)
			break;
		res = pg_exec_prepared(s, c, &pg_read_stmts[id], values, NULL, NULL, err);
		if (res == NULL && !(was_up && c->conn == NULL))
			break; /* only a connection lost while idle is worth a second try */
	}
	release(s, c);
	return res;
}

/* A single-key lookup: *found says whether a row came back; res is returned for its columns
 * (NULL when none or on error). */
static int lookup(struct pg_store *s, enum rstmt_id id, const char *key, bool *found,
		  PGresult **out, struct error *err)
{
	const char *values[1] = {key};
	PGresult *res = read_query(s, id, values, err);

	*found = false;
	if (out != NULL)
		*out = NULL;
	if (res == NULL)
		return -1;
	*found = PQntuples(res) > 0;
	if (out != NULL && *found)
		*out = res;
	else
		PQclear(res);
	return 0;
}

int pg_token_used(struct store *st, const char *key, bool *used, struct error *err)
{
	return lookup((struct pg_store *)st, R_TOKEN_USED, key, used, NULL, err);
}

static char *value_dup(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : xstrdup(PQgetvalue(res, row, col));
}

int pg_get_cert_provisioner(struct store *st, const char *serial, bool *found, char **prov_name,
			    char **prov_type, struct error *err)
{
	PGresult *res = NULL;
	int rc = lookup((struct pg_store *)st, R_GET_CERT_PROV, serial, found, &res, err);

	if (prov_name != NULL)
		*prov_name = res != NULL ? value_dup(res, 0, 0) : NULL;
	if (prov_type != NULL)
		*prov_type = res != NULL ? value_dup(res, 0, 1) : NULL;
	PQclear(res);
	return rc;
}

int pg_is_revoked(struct store *st, const char *serial, bool *revoked, struct error *err)
{
	return lookup((struct pg_store *)st, R_IS_REVOKED, serial, revoked, NULL, err);
}

int pg_cert_status(struct store *st, const char *serial, struct store_cert_status *out,
		   struct error *err)
{
	PGresult *res = NULL;
	bool found;
	int rc = lookup((struct pg_store *)st, R_CERT_STATUS, serial, &found, &res, err);

	memset(out, 0, sizeof(*out));
	if (res != NULL) {
		out->stored = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		out->revoked = !PQgetisnull(res, 0, 1);
		if (out->revoked) {
			out->revoked_at_ns = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
			out->reason_code = (int)strtol(PQgetvalue(res, 0, 2), NULL, 10);
		}
	}
	PQclear(res);
	return rc;
}

/* Fills r from the columns owner, value, expires_at, version of row starting at col. */
static void copy_record(const PGresult *res, int row, int col, struct store_record *r)
{
	size_t len = 0;
	unsigned char *raw =
	    PQunescapeBytea((const unsigned char *)PQgetvalue(res, row, col + 1), &len);
	uint8_t *value = xmalloc(len > 0 ? len : 1);

	if (raw == NULL)
		len = 0; /* out of memory in libpq */
	else if (len > 0)
		memcpy(value, raw, len);
	PQfreemem(raw);
	r->owner = value_dup(res, row, col);
	r->value = value;
	r->value_len = len;
	r->expires_at_ns = strtoll(PQgetvalue(res, row, col + 2), NULL, 10);
	r->version = strtoll(PQgetvalue(res, row, col + 3), NULL, 10);
}

int pg_record_get(struct store *st, const char *collection, const char *id, bool *found,
		  struct store_record *out, struct error *err)
{
	char now[24];
	const char *values[3] = {collection, id, now};
	PGresult *res;

	*found = false;
	*out = (struct store_record){0};
	if (store_record_check(collection, id, err) != 0)
		return -1;
	snprintf(now, sizeof(now), "%" PRId64, time_now_ns());
	res = read_query((struct pg_store *)st, R_RECORD_GET, values, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) > 0) {
		out->collection = xstrdup(collection);
		out->id = xstrdup(id);
		copy_record(res, 0, 0, out);
		*found = true;
	}
	PQclear(res);
	return 0;
}

int pg_record_list(struct store *st, const char *collection, const char *owner,
		   const char *after_id, size_t limit, struct store_record **out, size_t *n,
		   struct error *err)
{
	char now[24], lim[24];
	const char *values[5] = {collection, owner, after_id != NULL ? after_id : "", now, lim};
	struct store_record *v;
	PGresult *res;
	int rows;

	*out = NULL;
	*n = 0;
	if (store_record_check(collection, "-", err) != 0)
		return -1;
	if (limit == 0)
		return 0;
	snprintf(now, sizeof(now), "%" PRId64, time_now_ns());
	snprintf(lim, sizeof(lim), "%" PRIu64, (uint64_t)(limit > INT64_MAX ? INT64_MAX : limit));
	res = read_query((struct pg_store *)st, R_RECORD_LIST, values, err);
	if (res == NULL)
		return -1;
	rows = PQntuples(res);
	if (rows > 0) {
		v = xcalloc((size_t)rows, sizeof(*v));
		for (int i = 0; i < rows; i++) {
			v[i].collection = xstrdup(collection);
			v[i].id = value_dup(res, i, 0);
			copy_record(res, i, 1, &v[i]);
		}
		*out = v;
		*n = (size_t)rows;
	}
	PQclear(res);
	return 0;
}

int pg_revoked_list(struct store *st, const char *after_serial, size_t limit,
		    struct store_revoked **out, size_t *n, struct error *err)
{
	char lim[24];
	const char *values[2] = {after_serial != NULL ? after_serial : "", lim};
	struct store_revoked *v;
	PGresult *res;
	int rows;

	*out = NULL;
	*n = 0;
	if (limit == 0)
		return 0;
	snprintf(lim, sizeof(lim), "%" PRIu64, (uint64_t)(limit > INT64_MAX ? INT64_MAX : limit));
	res = read_query((struct pg_store *)st, R_REVOKED_LIST, values, err);
	if (res == NULL)
		return -1;
	rows = PQntuples(res);
	if (rows > 0) {
		v = xcalloc((size_t)rows, sizeof(*v));
		for (int i = 0; i < rows; i++) {
			v[i].serial = value_dup(res, i, 0);
			v[i].reason_code = (int)strtol(PQgetvalue(res, i, 1), NULL, 10);
			v[i].revoked_at_ns = strtoll(PQgetvalue(res, i, 2), NULL, 10);
			v[i].expires_at_ns = strtoll(PQgetvalue(res, i, 3), NULL, 10);
		}
		*out = v;
		*n = (size_t)rows;
	}
	PQclear(res);
	return 0;
}
