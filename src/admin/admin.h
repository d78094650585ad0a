/* admin.h - step-ca's admin API (remote administration: admin.md) on top of the authority.
 *
 * Like the ACME engine, the admin engine is part of the authority layer and knows nothing of
 * HTTP connections: stride-ca's server turns a request under /admin (or /1.0/admin) into a
 * struct admin_request and sends back the struct admin_response it is completed with. It
 * authorises the admin token (x5c, `Authorization` without `Bearer`), checks the admin's
 * rights (ADMIN vs SUPER_ADMIN) and serves provisioners, admins, policies and ACME EAB keys,
 * with step-ca's routes, bodies, statuses and messages.
 */
#ifndef STRIDE_ADMIN_ADMIN_H
#define STRIDE_ADMIN_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct authority;

/* One HTTP request under /admin, as the server read it. Everything is borrowed and must stay
 * valid until done has run. */
struct admin_request {
	const char *method;	   /* "GET", "POST", "PUT", "PATCH", "DELETE", ... */
	const char *path;	   /* the raw path without query ("/admin/provisioners/x") */
	const char *query;	   /* the raw query without '?', or NULL */
	const char *authorization; /* the Authorization header, or NULL */
	const uint8_t *body;
	size_t body_len;
	const char *client; /* the client's address for logs, or NULL */
};

/* The answer; strings malloc'd and owned by the response (admin_response_free). */
struct admin_response {
	int status;
	char *content_type; /* NULL: no body */
	char *body;
	size_t body_len;
	char *error; /* for the request log: the error's message, or NULL */
};
void admin_response_free(struct admin_response *r);

/* Called exactly once with the answer (owned by done: admin_response_free it and free it),
 * from the caller's thread before admin_handle returns or later from another thread. */
typedef void (*admin_done_fn)(void *arg, struct admin_response *resp);

/* Whether path (raw, without query) is /admin, under /admin/, or the same under /1.0. */
bool admin_path_is_admin(const char *path, size_t len);

/* Serves one admin API request. When the authority has no admin API (enableAdmin off or no
 * database) the answer is step-ca's: 404 text/plain "404 page not found\n". The work runs on
 * the authority's threads when its store waits on the network, else on the caller's. */
void admin_handle(struct authority *a, const struct admin_request *req, admin_done_fn done,
		  void *arg);

#endif
