/* engine.c - the admin engine: one request from admin_handle to its answer.
 *
 * A request under /admin (or /1.0/admin) is routed by method and path first, as step-ca's
 * router does (an unknown path is a plain 404, a known path with another method a 405, both
 * without any check); then the admin token is authorised (token.c) and the route's handler
 * answers. Where it runs follows the authority's rule: on the caller's thread when the store's
 * reads are local (SQLite), on the authority's pool when they wait on the network
 * (PostgreSQL). Without remote administration nothing is mounted: every request is step-ca's
 * router 404.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/internal.h"
#include "base/str.h"
#include "base/url.h"
#include "store/store.h"

enum {
	M_GET = 1 << 0,
	M_POST = 1 << 1,
	M_PUT = 1 << 2,
	M_PATCH = 1 << 3,
	M_DELETE = 1 << 4,
};

/* A route: its segments after /admin ("*" = any non-empty segment) and methods. */
struct route {
	const char *segs[ADMIN_MAX_SEGS];
	unsigned methods;
	void (*handler)(struct admin_call *c);
};

static const struct route routes[] = {
    {{"provisioners"}, M_GET | M_POST, admin_provisioners},
    {{"provisioners", "*"}, M_GET | M_PUT | M_DELETE, admin_provisioners},
    {{"provisioners", "*", "policy"}, M_GET | M_POST | M_PUT | M_DELETE, admin_provisioner_policy},
    {{"admins"}, M_GET | M_POST, admin_admins},
    {{"admins", "*"}, M_GET | M_PATCH | M_DELETE, admin_admins},
    {{"policy"}, M_GET | M_POST | M_PUT | M_DELETE, admin_authority_policy},
    {{"acme", "eab", "*"}, M_GET | M_POST, admin_eab},
    {{"acme", "eab", "*", "*"}, M_GET | M_DELETE, admin_eab},
    {{"acme", "policy", "*", "reference", "*"},
     M_GET | M_POST | M_PUT | M_DELETE,
     admin_acme_policy},
    {{"acme", "policy", "*", "key", "*"}, M_GET | M_POST | M_PUT | M_DELETE, admin_acme_policy},
};

void admin_response_free(struct admin_response *r)
{
	if (r == NULL)
		return;
	free(r->content_type);
	free(r->body);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

/* The part of path after the admin prefix ("/admin" or "/1.0/admin"), or NULL. */
static const char *admin_rest(const char *path, size_t len, size_t *rest_len, bool *v1)
{
	size_t skip = 0;

	*v1 = false;
	if (len >= 4 && memcmp(path, "/1.0", 4) == 0) {
		skip = 4;
		*v1 = true;
	}
	if (len - skip < 6 || memcmp(path + skip, "/admin", 6) != 0)
		return NULL;
	skip += 6;
	if (len > skip && path[skip] != '/')
		return NULL;
	*rest_len = len - skip;
	return path + skip;
}

bool admin_path_is_admin(const char *path, size_t len)
{
	size_t rest_len;
	bool v1;

	return path != NULL && admin_rest(path, len, &rest_len, &v1) != NULL;
}

static void call_free(struct admin_call *c)
{
	if (c == NULL)
		return;
	admin_response_free(&c->resp);
	for (size_t i = 0; i < c->nseg; i++)
		free(c->seg[i]);
	prov_set_put(c->snap);
	free(c);
}

/* Hands the answer to done and frees the call. */
static void call_end(struct admin_call *c)
{
	struct admin_response *resp = xmalloc(sizeof(*resp));

	*resp = c->resp;
	memset(&c->resp, 0, sizeof(c->resp));
	c->done(c->arg, resp);
	call_free(c);
}

static void reply_raw(struct admin_call *c, int status, const char *content_type, char *body,
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

static void reply_not_found(struct admin_call *c)
{
	reply_raw(c, 404, "text/plain; charset=utf-8", xstrdup(ADMIN_NOT_FOUND_TEXT),
		  strlen(ADMIN_NOT_FOUND_TEXT));
}

void admin_reply_json(struct admin_call *c, int status, json_t *doc, bool newline)
{
	char *s = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	char *body;

	json_decref(doc);
	if (s == NULL) {
		admin_fail(c, ERR_INTERNAL, "error encoding the response");
		return;
	}
	body = newline ? xasprintf("%s\n", s) : s;
	if (newline)
		free(s);
	reply_raw(c, status, "application/json", body, strlen(body));
}

void admin_reply_ok(struct admin_call *c)
{
	admin_reply_json(c, 200, json_pack("{s:s}", "status", "ok"), true);
}

/* step-ca's admin error types: status, "type" and "detail" of an error kind. */
static int error_meta(const struct error *err, const char **type, const char **detail)
{
	int status;

	switch (err->kind) {
	case ERR_INVALID:
	case ERR_TOO_LARGE:
		status = 400;
		break;
	case ERR_UNAUTHORIZED:
	case ERR_FORBIDDEN:
		status = 401;
		break;
	case ERR_NOT_FOUND:
		status = 404;
		break;
	case ERR_CONFLICT:
		status = 409;
		break;
	case ERR_NOT_IMPLEMENTED:
		status = 501;
		break;
	case ERR_UNAVAILABLE:
		status = 503;
		break;
	default:
		status = 500;
		break;
	}
	if (err->status >= 400 && err->status <= 599)
		status = err->status;
	switch (status) {
	case 400:
		*type = "badRequest";
		*detail = "bad request";
		break;
	case 401:
		*type = "unauthorized";
		*detail = "unauthorized";
		break;
	case 404:
		*type = "notFound";
		*detail = "resource not found";
		break;
	case 409:
		*type = "conflict";
		*detail = "conflict";
		break;
	case 501:
		*type = "notImplemented";
		*detail = "not implemented";
		break;
	default:
		*type = "internalServerError";
		*detail = "the server experienced an internal error";
		break;
	}
	return status;
}

void admin_reply_error(struct admin_call *c, const struct error *err)
{
	const char *type, *detail, *msg;
	int status = error_meta(err, &type, &detail);

	/* a client's mistake is told as it is; an internal failure only when it is meant to be */
	msg = (status < 500 || err->expose) && err->msg[0] != '\0' ? err->msg : detail;
	free(c->resp.error);
	c->resp.error = xstrdup(err->msg[0] != '\0' ? err->msg : detail);
	admin_reply_json(
	    c, status, json_pack("{s:s, s:s, s:s}", "type", type, "detail", detail, "message", msg),
	    true);
}

void admin_fail(struct admin_call *c, enum err_kind kind, const char *fmt, ...)
{
	struct error err = {.kind = kind, .expose = true};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err.msg, sizeof(err.msg), fmt, ap);
	va_end(ap);
	admin_reply_error(c, &err);
}

char *admin_query(const struct admin_call *c, const char *key)
{
	const char *p = c->req.query;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, '&');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		size_t klen = eq != NULL ? (size_t)(eq - p) : n;
		char k[ADMIN_SEG_MAX + 1], v[ADMIN_SEG_MAX + 1];

		/* as Go's url.Query: pairs with a semicolon or a bad escape are skipped */
		if (memchr(p, ';', n) == NULL &&
		    url_unescape(p, klen, true, k, ADMIN_SEG_MAX) == 0 && strcmp(k, key) == 0) {
			if (eq == NULL)
				return xstrdup("");
			if (url_unescape(eq + 1, n - klen - 1, true, v, ADMIN_SEG_MAX) == 0)
				return xstrdup(v);
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return NULL;
}

int admin_page_params(const struct admin_call *c, char **cursor, size_t *limit, struct error *err)
{
	char *l = admin_query(c, "limit");
	long long v = 0;
	int rc = 0;

	*cursor = admin_query(c, "cursor");
	if (*cursor == NULL)
		*cursor = xstrdup("");
	*limit = ADMIN_LIMIT_DEFAULT;
	if (l != NULL && l[0] != '\0') {
		char *end = NULL;
		const char *digits = l + (l[0] == '+' || l[0] == '-');

		errno = 0;
		v = strtoll(l, &end, 10);
		if (digits[0] < '0' || digits[0] > '9' || *end != '\0')
			rc = err_public(err, ERR_INVALID,
					"error parsing cursor and limit from query params: limit "
					"'%s' is not an integer: strconv.Atoi: parsing \"%s\": "
					"invalid syntax",
					l, l);
		else if (errno == ERANGE)
			rc = err_public(err, ERR_INVALID,
					"error parsing cursor and limit from query params: limit "
					"'%s' is not an integer: strconv.Atoi: parsing \"%s\": "
					"value out of range",
					l, l);
		else if (v > ADMIN_LIMIT_MAX)
			*limit = ADMIN_LIMIT_MAX;
		else if (v > 0)
			*limit = (size_t)v;
	}
	free(l);
	if (rc != 0) {
		free(*cursor);
		*cursor = NULL;
	}
	return rc;
}

int admin_json_load(const uint8_t *body, size_t len, bool go, json_t **out, struct error *err)
{
	json_error_t jerr;
	size_t i = 0;

	*out = NULL;
	if (len > ADMIN_BODY_MAX)
		return err_public(err, ERR_TOO_LARGE, "request body too large");
	while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r'))
		i++;
	if (i == len)
		return err_public(err, ERR_INVALID, go ? "EOF" : "unexpected end of JSON input");
	*out = json_loadb((const char *)body, len,
			  JSON_DECODE_ANY | (go ? JSON_DISABLE_EOF_CHECK : 0), &jerr);
	if (*out == NULL)
		return err_public(err, ERR_INVALID, "%s", jerr.text);
	return 0;
}

const struct provisioner *admin_load_provisioner(struct admin_call *c, const char *name,
						 struct error *err)
{
	const struct provisioner *p = provisioners_by_name(&c->snap->provs, name);

	if (p == NULL)
		err_public(err, ERR_NOT_FOUND,
			   "error loading provisioner %s: provisioner %s not found", name, name);
	return p;
}

/* --- routing ------------------------------------------------------------------------------- */

static unsigned method_bit(const char *m)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {{"GET", M_GET}, {"HEAD", M_GET},	 {"POST", M_POST},
		     {"PUT", M_PUT}, {"PATCH", M_PATCH}, {"DELETE", M_DELETE}};

	for (size_t i = 0; m != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(m, names[i].name) == 0)
			return names[i].bit;
	return 0;
}

/* Splits and decodes the segments after the prefix; false when the path cannot be a route. */
static bool split_path(struct admin_call *c, const char *rest, size_t len)
{
	size_t i = 0;

	if (len == 0 || rest[0] != '/')
		return false;
	i = 1;
	while (i <= len) {
		size_t start = i, n;
		char buf[ADMIN_SEG_MAX + 1];

		while (i < len && rest[i] != '/')
			i++;
		n = i - start;
		if (n == 0 || c->nseg == ADMIN_MAX_SEGS ||
		    url_unescape(rest + start, n, false, buf, ADMIN_SEG_MAX) != 0 || buf[0] == '\0')
			return false;
		c->seg[c->nseg++] = xstrdup(buf);
		i++; /* past the '/' (or the end) */
	}
	return true;
}

static bool route_matches(const struct route *r, const struct admin_call *c)
{
	size_t n = 0;

	while (n < ADMIN_MAX_SEGS && r->segs[n] != NULL)
		n++;
	if (n != c->nseg)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(r->segs[i], "*") != 0 && strcmp(r->segs[i], c->seg[i]) != 0)
			return false;
	return true;
}

/* Finds the call's route: 0 with c->handler set, 404 or 405. */
static int route(struct admin_call *c)
{
	size_t rest_len;
	const char *rest = admin_rest(c->req.path, strlen(c->req.path), &rest_len, &c->v1);
	unsigned bit = method_bit(c->req.method);
	bool path_known = false;

	if (rest == NULL || !split_path(c, rest, rest_len))
		return 404;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!route_matches(&routes[i], c))
			continue;
		path_known = true;
		if (routes[i].methods & bit) {
			c->handler = routes[i].handler;
			return 0;
		}
	}
	return path_known ? 405 : 404;
}

/* The authorised part of a request: on the pool or the caller's thread. */
static void run(struct admin_call *c)
{
	struct error err = {0};

	if (prov_set_refresh(c->a, &err) != 0) {
		admin_reply_error(c, &err);
		return;
	}
	c->snap = prov_set_get(c->a);
	if (admin_authorize(c, &err) != 0) {
		admin_reply_error(c, &err);
		return;
	}
	c->handler(c);
}

static void run_job(struct pool_job *job)
{
	run((struct admin_call *)job);
}

void admin_handle(struct authority *a, const struct admin_request *req, admin_done_fn done,
		  void *arg)
{
	struct admin_call *c = xcalloc(1, sizeof(*c));
	int status;

	c->a = a;
	c->req = *req;
	c->done = done;
	c->arg = arg;
	if (!authority_admin_enabled(a) || req->path == NULL || req->method == NULL) {
		reply_not_found(c);
		return;
	}
	status = route(c);
	if (status == 404) {
		reply_not_found(c);
		return;
	}
	if (status == 405) {
		reply_raw(c, 405, NULL, NULL, 0);
		return;
	}
	if (!a->store->remote) {
		run(c);
		return;
	}
	c->job.run = run_job;
	if (pool_submit(a->pool, &c->job) != 0)
		admin_fail(c, ERR_UNAVAILABLE, AUTHORITY_BUSY_MSG);
}
