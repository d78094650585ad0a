/* pg_conn.c - connections of the PostgreSQL back end: connecting (and creating the database as
 * step-ca does when it does not exist), reconnecting with exponential backoff, preparing the
 * statements of a connection, and turning libpq's errors into stride's with the password of
 * the URL redacted from every message.
 */
#include "store/pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/str.h"

#define REDACTED "xxxxx"

int64_t pg_now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * INT64_C(1000000000) + ts.tv_nsec;
}

/* Appends n bytes of p to the growing string *out (of length *len). */
static void append(char **out, size_t *len, const char *p, size_t n)
{
	*out = xrealloc(*out, *len + n + 1);
	memcpy(*out + *len, p, n);
	*len += n;
	(*out)[*len] = '\0';
}

/* Where a URL's userinfo password starts in the authority that begins at p (after "://"), and
 * its length; false when the authority has none. */
static bool url_password(const char *p, size_t *off, size_t *n)
{
	size_t end = strcspn(p, "/?# \t\r\n\"'");
	const char *at = NULL, *colon;

	for (size_t i = 0; i < end; i++)
		if (p[i] == '@')
			at = p + i;
	if (at == NULL)
		return false;
	colon = memchr(p, ':', (size_t)(at - p));
	if (colon == NULL)
		return false;
	*off = (size_t)(colon + 1 - p);
	*n = (size_t)(at - colon - 1);
	return true;
}

/* The length of a key=value or URL query value starting at p ('quoted' values included). */
static size_t value_len(const char *p)
{
	size_t i = 0;

	if (*p != '\'')
		return strcspn(p, "& \t\r\n\"");
	for (i = 1; p[i] != '\0' && p[i] != '\''; i++)
		if (p[i] == '\\' && p[i + 1] != '\0')
			i++;
	return p[i] == '\'' ? i + 1 : i;
}

/* Copies msg with the passwords of URLs ("scheme://user:PASSWORD@") and of "password=VALUE"
 * replaced. */
static char *redact_structure(const char *msg)
{
	char *out = xstrdup("");
	size_t len = 0;
	const char *p = msg;

	while (*p != '\0') {
		size_t off, n;

		if (strncmp(p, "://", 3) == 0 && url_password(p + 3, &off, &n)) {
			append(&out, &len, p, 3 + off);
			append(&out, &len, REDACTED, strlen(REDACTED));
			p += 3 + off + n;
		} else if (strncasecmp(p, "password=", 9) == 0) {
			append(&out, &len, p, 9);
			append(&out, &len, REDACTED, strlen(REDACTED));
			p += 9 + value_len(p + 9);
		} else {
			append(&out, &len, p, 1);
			p++;
		}
	}
	return out;
}

char *pg_redact(const struct pg_store *s, const char *msg)
{
	char *out = redact_structure(msg), *r = NULL, *hit;
	size_t len = 0, plen;
	const char *p;

	if (s->password == NULL || s->password[0] == '\0')
		return out;
	plen = strlen(s->password);
	r = xstrdup("");
	for (p = out; (hit = strstr(p, s->password)) != NULL; p = hit + plen) {
		append(&r, &len, p, (size_t)(hit - p));
		append(&r, &len, REDACTED, strlen(REDACTED));
	}
	append(&r, &len, p, strlen(p));
	free(out);
	return r;
}

/* pg_redact without the trailing newline libpq ends its messages with. */
static char *clean_message(const struct pg_store *s, const char *msg)
{
	char *r = pg_redact(s, msg != NULL && msg[0] != '\0' ? msg : "unknown error");

	return str_rtrim(r);
}

/* Looks keyword up in a parsed connection string; NULL when absent or empty. */
static const char *option(const PQconninfoOption *opts, const char *keyword)
{
	for (const PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++)
		if (strcmp(o->keyword, keyword) == 0)
			return o->val != NULL && o->val[0] != '\0' ? o->val : NULL;
	return NULL;
}

/* The database name the URL (or key=value string) gives, or NULL. */
static char *source_dbname(const struct pg_store *s)
{
	PQconninfoOption *opts = PQconninfoParse(s->data_source, NULL);
	const char *v = option(opts, "dbname");
	char *r = v != NULL ? xstrdup(v) : NULL;

	PQconninfoFree(opts);
	return r;
}

int pg_parse_source(struct pg_store *s, struct error *err)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(s->data_source, &msg);
	const char *pw;
	int rc = -1;

	s->shown = redact_structure(s->data_source);
	if (opts == NULL) {
		char *detail = redact_structure(msg != NULL ? msg : "out of memory");
		err_set(err, ERR_INVALID, "db.dataSource '%s' is not a PostgreSQL URL: %s",
			s->shown, str_rtrim(detail));
		free(detail);
		goto out;
	}
	pw = option(opts, "password");
	s->password = pw != NULL ? xstrdup(pw) : NULL;
	rc = 0;
out:
	if (msg != NULL)
		PQfreemem(msg);
	PQconninfoFree(opts);
	return rc;
}

/* Connects to dbname (NULL: the data source's own) on the data source's server. Later keywords
 * win in PQconnectdbParams: the URL may override the timeouts, "database" overrides the URL's
 * dbname. The timeouts bound how long a server that stopped answering (a host gone, packets
 * dropped) holds up a commit or a read before it fails with 503: 5 s to connect, 10 s of
 * unacknowledged data, and keepalives for an idle connection. */
static PGconn *connect_db(const struct pg_store *s, const char *dbname)
{
	const char *keys[] = {"connect_timeout",
			      "tcp_user_timeout",
			      "keepalives_idle",
			      "keepalives_interval",
			      "keepalives_count",
			      "fallback_application_name",
			      "dbname",
			      "dbname",
			      NULL};
	const char *vals[] = {"5",	   "10000",	   "30",   "10", "3",
			      "stride-ca", s->data_source, dbname, NULL};

	if (dbname == NULL)
		keys[7] = NULL;
	return PQconnectdbParams(keys, vals, 1);
}

/* Fills err for a connection that failed (conn may be NULL). */
static int connect_error(const struct pg_store *s, PGconn *conn, const char *dbname,
			 struct error *err)
{
	char *detail = clean_message(s, conn != NULL ? PQerrorMessage(conn) : "out of memory");

	err_set(err, ERR_UNAVAILABLE, "database %s%s%s%s: cannot connect: %s", s->shown,
		dbname != NULL ? " (database \"" : "", dbname != NULL ? dbname : "",
		dbname != NULL ? "\")" : "", detail);
	free(detail);
	return -1;
}

/* Whether the database name exists on the server of conn: 1, 0, or -1 on error. */
static int database_exists(PGconn *conn, const char *name)
{
	const char *vals[1] = {name};
	PGresult *res = PQexecParams(conn, "SELECT 1 FROM pg_database WHERE datname = $1", 1, NULL,
				     vals, NULL, NULL, 0);
	int rc = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		rc = PQntuples(res) > 0;
	PQclear(res);
	return rc;
}

/* Creates the database name through a connection to maint (step-ca creates a missing database
 * too). Another process creating it at the same time is no error. Returns 1 when it was created
 * (or appeared meanwhile), 0 when it existed or maint cannot be reached either (the connection
 * failed for another reason), -1 on error (err set). */
static int create_database(struct pg_store *s, const char *maint, const char *name,
			   struct error *err)
{
	PGconn *conn = connect_db(s, maint);
	PGresult *res = NULL;
	char *ident = NULL, *sql = NULL;
	int rc = -1, exists;

	if (PQstatus(conn) != CONNECTION_OK) {
		rc = 0; /* the server is not there: the first connection's error says it */
		goto out;
	}
	exists = database_exists(conn, name);
	if (exists != 0) {
		rc = exists == 1 ? 0 : -1;
		if (rc != 0)
			connect_error(s, conn, maint, err);
		goto out;
	}
	ident = PQescapeIdentifier(conn, name, strlen(name));
	if (ident == NULL) {
		connect_error(s, conn, maint, err);
		goto out;
	}
	sql = xasprintf("CREATE DATABASE %s", ident);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		/* duplicate_database, or the unique name index when both created it at once */
		if (state == NULL || (strcmp(state, "42P04") != 0 && strcmp(state, "23505") != 0)) {
			char *detail = clean_message(s, PQresultErrorMessage(res));
			err_set(err, ERR_IO, "database %s: cannot create database \"%s\": %s",
				s->shown, name, detail);
			free(detail);
			goto out;
		}
	}
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
		log_msg(LOG_INFO, "created database", "database", name, NULL);
	rc = 1;
out:
	PQclear(res);
	free(sql);
	if (ident != NULL)
		PQfreemem(ident);
	PQfinish(conn);
	return rc;
}

/* Notices ("relation ... already exists, skipping") are not errors: libpq would print them. */
static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int pg_connect(struct pg_store *s, PGconn **out, struct error *err)
{
	PGconn *conn = connect_db(s, s->database);
	char *url_db = NULL;
	const char *target, *maint;
	int rc = -1;

	*out = NULL;
	if (PQstatus(conn) == CONNECTION_OK)
		goto ok;
	/* Maybe the database does not exist: create it through the URL's database (when the
	 * config names another one) or "postgres". */
	url_db = source_dbname(s);
	target = s->database != NULL ? s->database : url_db;
	maint = s->database != NULL && url_db != NULL ? url_db : "postgres";
	if (target == NULL || strcmp(target, maint) == 0) {
		connect_error(s, conn, s->database, err);
		goto out;
	}
	switch (create_database(s, maint, target, err)) {
	case 1:
		break;
	case 0:
		connect_error(s, conn, s->database, err);
		goto out;
	default:
		goto out;
	}
	PQfinish(conn);
	conn = connect_db(s, s->database);
	if (PQstatus(conn) != CONNECTION_OK) {
		connect_error(s, conn, s->database, err);
		goto out;
	}
ok:
	PQsetNoticeProcessor(conn, ignore_notice, NULL);
	*out = conn;
	conn = NULL;
	rc = 0;
out:
	free(url_db);
	PQfinish(conn);
	return rc;
}

void pg_conn_drop(struct pg_conn *c)
{
	PQfinish(c->conn);
	c->conn = NULL;
}

bool pg_conn_broken(const struct pg_conn *c)
{
	return c->conn == NULL || PQstatus(c->conn) != CONNECTION_OK;
}

static int unavailable(struct error *err)
{
	return err_public(err, ERR_UNAVAILABLE, "database unavailable");
}

int pg_conn_prepare(struct pg_store *s, struct pg_conn *c, struct error *err)
{
	for (int i = 0; i < c->nstmts; i++) {
		const struct pg_stmt *st = &c->stmts[i];
		PGresult *res = PQprepare(c->conn, st->name, st->sql, st->nparams, st->types);
		int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

		if (!ok)
			pg_fail(s, c, res, st->what, err);
		PQclear(res);
		if (!ok)
			return -1;
	}
	return 0;
}

int pg_conn_ensure(struct pg_store *s, struct pg_conn *c, struct error *err)
{
	struct error cerr = {0};
	int64_t now;

	if (c->conn != NULL && PQstatus(c->conn) == CONNECTION_OK)
		return 0;
	pg_conn_drop(c);
	now = pg_now_mono_ns();
	if (now < c->next_try_ns)
		return unavailable(err);
	if (pg_connect(s, &c->conn, &cerr) != 0) {
		c->backoff_ns = c->backoff_ns == 0 ? PG_BACKOFF_MIN_NS : c->backoff_ns * 2;
		if (c->backoff_ns > PG_BACKOFF_MAX_NS)
			c->backoff_ns = PG_BACKOFF_MAX_NS;
		c->next_try_ns = now + c->backoff_ns;
		log_msg(LOG_WARN, "database unavailable", "error", cerr.msg, NULL);
		return unavailable(err);
	}
	if (pg_conn_prepare(s, c, err) != 0) {
		pg_conn_drop(c);
		return -1;
	}
	c->backoff_ns = 0;
	return 0;
}

/* SQLSTATEs after which the database counts as unavailable (503: try again later). */
static bool unavailable_state(const char *state)
{
	static const char *const states[] = {
	    "25006", /* read_only_sql_transaction: a hot standby, default_transaction_read_only */
	    "57P01", /* admin_shutdown */
	    "57P02", /* crash_shutdown */
	    "57P03", /* cannot_connect_now */
	    "40001", /* serialization_failure (and recovery conflicts on a standby) */
	    "40P01", /* deadlock_detected */
	    NULL,
	};

	if (state == NULL)
		return false;
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0)
		return true; /* connection exception, insufficient resources */
	for (int i = 0; states[i] != NULL; i++)
		if (strcmp(state, states[i]) == 0)
			return true;
	return false;
}

int pg_fail(struct pg_store *s, struct pg_conn *c, const PGresult *res, const char *what,
	    struct error *err)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL ? PQresultErrorMessage(res) : "";
	bool broken = pg_conn_broken(c);
	char *detail;

	if ((msg == NULL || msg[0] == '\0') && c->conn != NULL)
		msg = PQerrorMessage(c->conn);
	detail = clean_message(s, msg);
	if (broken || unavailable_state(state)) {
		log_msg(LOG_WARN, "database unavailable", "database", s->shown, "operation", what,
			"sqlstate", state != NULL ? state : "", "error", detail, NULL);
		if (broken) {
			pg_conn_drop(c);
			c->next_try_ns = 0; /* the first reconnection is at once */
		}
		unavailable(err);
	} else {
		err_set(err, state != NULL && strcmp(state, "23505") == 0 ? ERR_CONFLICT : ERR_IO,
			"database %s: %s: %s", s->shown, what, detail);
	}
	free(detail);
	return -1;
}

PGresult *pg_exec_prepared(struct pg_store *s, struct pg_conn *c, const struct pg_stmt *st,
			   const char *const *values, const int *lens, const int *formats,
			   struct error *err)
{
	PGresult *res;
	ExecStatusType status;

	if (c->conn == NULL) {
		unavailable(err);
		return NULL;
	}
	res = PQexecPrepared(c->conn, st->name, st->nparams, values, lens, formats, 0);
	status = PQresultStatus(res);
	if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
		return res;
	pg_fail(s, c, res, st->what, err);
	PQclear(res);
	return NULL;
}

int pg_exec(struct pg_store *s, struct pg_conn *c, const char *sql, const char *what,
	    struct error *err)
{
	PGresult *res;
	int rc = -1;

	if (c->conn == NULL)
		return unavailable(err);
	res = PQexec(c->conn, sql);
	if (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK)
		rc = 0;
	else
		pg_fail(s, c, res, what, err);
	PQclear(res);
	return rc;
}
