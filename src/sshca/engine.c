/* engine.c - the SSH engine: one request from sshca_handle to its answer.
 *
 * A request under /ssh (or /1.0/ssh) is routed by method and path as step-ca's router does (an
 * unknown path is a plain 404, a known path with another method a 405), then its handler runs:
 * on the caller's thread when the store's reads are local (SQLite), on the authority's pool
 * when they wait on the network (PostgreSQL). What a handler writes is committed with
 * sshca_commit, and the answer sent once it is durable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/http_error.h"
#include "base/str.h"
#include "policy/policy.h"
#include "sshca/internal.h"
#include "store/store.h"

enum { M_GET = 1 << 0, M_POST = 1 << 1 };

struct route {
	const char *path; /* after the "/ssh" prefix */
	unsigned methods;
	bool needs_keys; /* without an SSH CA: step-ca's 501 */
	void (*handler)(struct sshca_call *c);
};

static const struct route routes[] = {
    {"/sign", M_POST, true, sshca_sign},
    {"/renew", M_POST, true, sshca_renew},
    {"/rekey", M_POST, true, sshca_rekey},
    {"/revoke", M_POST, false, sshca_revoke},
    {"/roots", M_GET, false, sshca_roots},
    {"/federation", M_GET, false, sshca_federation},
    {"/config", M_POST, false, sshca_config},
    {"/config/*", M_POST, false, sshca_config},
    {"/check-host", M_POST, false, sshca_check_host},
    {"/hosts", M_GET, false, sshca_hosts},
    {"/bastion", M_POST, false, sshca_bastion},
    {"/krl", M_GET, false, sshca_krl},
};

void sshca_response_free(struct sshca_response *r)
{
	if (r == NULL)
		return;
	free(r->content_type);
	free(r->body);
	free(r->error);
	audit_item_free(&r->audit);
	memset(r, 0, sizeof(*r));
}

/* The part of path after "/ssh" or "/1.0/ssh" ("/sign"), or NULL. */
static const char *ssh_rest(const char *path, size_t len, size_t *rest_len)
{
	size_t skip = 0;

	if (len >= 5 && memcmp(path, "/1.0/", 5) == 0)
		skip = 4;
	if (len - skip < 5 || memcmp(path + skip, "/ssh/", 5) != 0)
		return NULL;
	skip += 4;
	*rest_len = len - skip;
	return path + skip;
}

bool sshca_path_is_ssh(const char *path, size_t len)
{
	size_t rest_len;

	return path != NULL && ssh_rest(path, len, &rest_len) != NULL;
}

static void call_free(struct sshca_call *c)
{
	if (c == NULL)
		return;
	sshca_response_free(&c->resp);
	json_decref(c->answer);
	if (c->scratch_free != NULL)
		c->scratch_free(c->scratch);
	free(c);
}

/* Hands the answer to done and frees the call. */
static void call_end(struct sshca_call *c)
{
	struct sshca_response *resp = xmalloc(sizeof(*resp));

	*resp = c->resp;
	memset(&c->resp, 0, sizeof(c->resp));
	c->done(c->arg, resp);
	call_free(c);
}

static void reply_owned(struct sshca_call *c, int status, const char *content_type, char *body,
			size_t len)
{
	c->resp.status = status;
	free(c->resp.content_type);
	c->resp.content_type = content_type != NULL ? xstrdup(content_type) : NULL;
	free(c->resp.body);
	c->resp.body = body;
	c->resp.body_len = len;
	call_end(c);
}

/* A JSON text as Go's encoder writes it: '<', '>' and '&' escaped (they only occur in strings).
 * Takes s; returns a malloc'd text. */
static char *go_escape(char *s)
{
	size_t n = 0, o = 0;
	char *out;

	for (const char *p = s; *p != '\0'; p++)
		n += (*p == '<' || *p == '>' || *p == '&') ? 6 : 1;
	out = xmalloc(n + 1);
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '<' || *p == '>' || *p == '&') {
			snprintf(out + o, 7, "\\u%04x", (unsigned)*p);
			o += 6;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	free(s);
	return out;
}

void sshca_reply_raw(struct sshca_call *c, int status, const char *content_type, const void *body,
		     size_t len)
{
	char *copy = xmalloc(len + 1);

	if (len > 0)
		memcpy(copy, body, len);
	copy[len] = '\0';
	reply_owned(c, status, content_type, copy, len);
}

void sshca_reply_json(struct sshca_call *c, int status, json_t *doc)
{
	char *s = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	char *body;
	struct error err = {0};

	json_decref(doc);
	if (s == NULL) {
		err_set(&err, ERR_INTERNAL, "error encoding the response");
		sshca_reply_error(c, &err);
		return;
	}
	s = go_escape(s);
	body = xasprintf("%s\n", s);
	free(s);
	reply_owned(c, status, "application/json", body, strlen(body));
}

void sshca_reply_error(struct sshca_call *c, const struct error *err)
{
	char msg[ERR_MSG_MAX + 128];
	int status = http_error_map(err, msg, sizeof(msg));
	char *body;

	/* step-ca names a template whose output does not decode in its 500 */
	if (status == 500 && err->expose && strcmp(err->msg, SSHCA_TEMPLATE_ERROR) == 0)
		snprintf(msg, sizeof(msg), "%s", err->msg);
	body = go_escape(http_error_body(status, msg));

	free(c->resp.error);
	c->resp.error = xasprintf("%s: %s", err_kind_name(err->kind), err->msg);
	reply_owned(c, status, "application/json", body, strlen(body));
}

int sshca_body_json(const struct sshca_call *c, json_t **out, struct error *err)
{
	const uint8_t *b = c->req.body;
	size_t len = c->req.body_len;

	*out = NULL;
	if (len > SSHCA_BODY_MAX)
		return err_public(err, ERR_TOO_LARGE, "request body too large");
	/* Go's decoder: one value, what follows ignored; null decodes into an empty request */
	*out = len > 0 ? json_loadb((const char *)b, len, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY,
				    NULL)
		       : NULL;
	if (*out != NULL && json_is_null(*out)) {
		json_decref(*out);
		*out = json_object();
	}
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return err_public(err, ERR_INVALID, SSHCA_DECODE_ERROR);
	}
	return 0;
}

/* The answer of a call whose writes t are committed (or failed). */
static void reply_committed(struct sshca_call *c, struct store_txn *t)
{
	struct error err = {0};
	json_t *answer;

	if (t != NULL && t->rc != 0) {
		sshca_reply_error(c, &t->err);
		return;
	}
	if (c->failed) {
		sshca_reply_error(c, &c->err);
		return;
	}
	if (t != NULL && t->token_reused) {
		err_set(&err, ERR_UNAUTHORIZED, "token already used");
		sshca_reply_error(c, &err);
		return;
	}
	if (t != NULL && c->identity && issuance_settle(t, 0, &err) != 0) {
		sshca_reply_error(c, &err);
		return;
	}
	if (t != NULL && t->record_conflict) {
		if (c->conflict[0] != '\0')
			err_public(&err, ERR_CONFLICT, "%s", c->conflict);
		else
			err_set(&err, ERR_INTERNAL, "error storing the ssh certificate: conflict");
		sshca_reply_error(c, &err);
		return;
	}
	if (c->revoked) {
		pthread_mutex_lock(&c->s->krl_lock);
		c->s->krl_built_ns = 0;
		pthread_mutex_unlock(&c->s->krl_lock);
	}
	answer = c->answer;
	c->answer = NULL;
	sshca_reply_json(c, c->status, answer);
}

/* The store's done callback: the call's writes are durable (or failed). */
static void call_committed(struct store_txn *t, void *arg)
{
	struct sshca_call *c = arg;

	reply_committed(c, t);
	store_txn_free(t);
}

void sshca_finish(struct sshca_call *c, struct store_txn *t)
{
	if (t == NULL) {
		reply_committed(c, NULL);
		return;
	}
	t->done = call_committed;
	t->done_arg = c;
	c->a->store->ops->submit(c->a->store, t);
}

int sshca_fail(struct sshca_call *c, const struct error *err)
{
	c->failed = true;
	c->err = *err;
	return -1;
}

/* --- routing ------------------------------------------------------------------------------- */

static unsigned method_bit(const char *m)
{
	if (m != NULL && strcmp(m, "GET") == 0)
		return M_GET;
	if (m != NULL && strcmp(m, "POST") == 0)
		return M_POST;
	return 0;
}

static bool route_matches(const struct route *r, const char *rest, size_t n)
{
	size_t plen = strlen(r->path);

	if (plen >= 2 && r->path[plen - 1] == '*') /* one more non-empty segment */
		return n > plen - 1 && memcmp(rest, r->path, plen - 1) == 0 &&
		       memchr(rest + plen - 1, '/', n - (plen - 1)) == NULL;
	return n == plen && memcmp(rest, r->path, n) == 0;
}

/* The call's route: 0 with *r set, 404 or 405. */
static int route(const struct sshca_request *req, const struct route **r)
{
	size_t n;
	const char *rest = ssh_rest(req->path, strlen(req->path), &n);
	unsigned bit = method_bit(req->method);
	bool path_known = false;

	if (rest == NULL)
		return 404;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!route_matches(&routes[i], rest, n))
			continue;
		path_known = true;
		if (routes[i].methods & bit) {
			*r = &routes[i];
			return 0;
		}
	}
	return path_known ? 405 : 404;
}

static void run_job(struct pool_job *job)
{
	struct sshca_call *c = (struct sshca_call *)job;

	c->handler(c);
}

void sshca_handle(struct sshca *s, const struct sshca_request *req, sshca_done_fn done, void *arg)
{
	struct sshca_call *c = xcalloc(1, sizeof(*c));
	const struct route *r = NULL;
	struct error err = {0};
	int status;

	c->s = s;
	c->a = s != NULL ? s->a : NULL;
	c->req = *req;
	c->done = done;
	c->arg = arg;
	status = req->path != NULL ? route(req, &r) : 404;
	if (status == 404) {
		reply_owned(c, 404, "text/plain; charset=utf-8", xstrdup(SSHCA_NOT_FOUND_TEXT),
			    strlen(SSHCA_NOT_FOUND_TEXT));
		return;
	}
	if (status == 405) {
		reply_owned(c, 405, NULL, NULL, 0);
		return;
	}
	if (s == NULL) { /* no engine at all: what step-ca answers without SSH keys */
		if (r->needs_keys)
			err_set(&err, ERR_NOT_IMPLEMENTED, "ssh certificate flows are not enabled");
		else
			err_set(&err, ERR_NOT_FOUND, "ssh is not configured");
		sshca_reply_error(c, &err);
		return;
	}
	c->handler = r->handler;
	if (!c->a->store->remote) {
		c->handler(c);
		return;
	}
	c->job.run = run_job;
	if (pool_submit(c->a->pool, &c->job) != 0) {
		err_public(&err, ERR_UNAVAILABLE, AUTHORITY_BUSY_MSG);
		sshca_reply_error(c, &err);
	}
}
