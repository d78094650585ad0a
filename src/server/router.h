/* router.h - the routing table of stride-ca, as a pure function of (method, target).
 *
 * Every core route answers at "/x" and "/1.0/x" (as step-ca's do). Fixed
 * path segments are compared raw (as Go's router does on the escaped path);
 * the one parameter a route may have ({sha256}, {kid}) is percent-decoded.
 * The query string and an absolute-form prefix ("https://host") are ignored.
 * Nothing here touches the network, so it can be unit-tested and fuzzed.
 */
#ifndef STRIDE_SERVER_ROUTER_H
#define STRIDE_SERVER_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_HEAD = 1 << 1,
	HTTP_POST = 1 << 2,
	HTTP_PUT = 1 << 3,
	HTTP_DELETE = 1 << 4,
	HTTP_OPTIONS = 1 << 5,
	HTTP_PATCH = 1 << 6,
	HTTP_TRACE = 1 << 7,
	HTTP_CONNECT = 1 << 8,
	HTTP_OTHER = 1 << 9,
};

enum route_id {
	ROUTE_HEALTH,
	ROUTE_VERSION,
	ROUTE_ROOT,
	ROUTE_ROOTS,
	ROUTE_ROOTS_PEM,
	ROUTE_FEDERATION,
	ROUTE_INTERMEDIATES,
	ROUTE_INTERMEDIATES_PEM,
	ROUTE_PROVISIONERS,
	ROUTE_PROVISIONER_KEY,
	ROUTE_SIGN,
	ROUTE_RENEW,
	ROUTE_REKEY,
	ROUTE_REVOKE,
	ROUTE_KYMA_RENEWALS,
	ROUTE_CRL,
	ROUTE_ACME,  /* anything under /acme/ or /2.0/acme/ (src/acme/) */
	ROUTE_ADMIN, /* /admin, anything under /admin/ or /1.0/admin/ (src/admin/) */
	ROUTE_SSH,   /* anything under /ssh/ or /1.0/ssh/ (src/sshca/) */
	ROUTE_OCSP,  /* ca.json's ocsp.path and anything under it (router_match_ocsp) */
	ROUTE_COUNT
};

enum route_status {
	ROUTE_FOUND,	  /* id (and param) are set */
	ROUTE_NOT_FOUND,  /* 404 page not found */
	ROUTE_BAD_METHOD, /* the path exists, the method does not: 405 with allow */
};

/* Longest accepted decoded path parameter; longer ones do not match (404). */
#define ROUTE_PARAM_MAX 512

struct route_match {
	enum route_status status;
	enum route_id id;
	bool head;     /* a HEAD request served by a GET route, without a body */
	bool insecure; /* the path's route is also served on the plain-HTTP insecureAddress */
	char
	    param[ROUTE_PARAM_MAX + 1]; /* the decoded path parameter, "" when the route has none */
	char allow[64];			/* for ROUTE_BAD_METHOD: the Allow header ("GET, HEAD") */
};

/* Matches a request target (raw request-line URI, len bytes, need not be NUL-terminated)
 * against the routing table; always fills m. */
void router_match(enum http_method method, const char *target, size_t len, struct route_match *m);
/* Matches a target against the OCSP responder's path (ca.json ocsp.path): the path itself and
 * anything under "<path>/" (RFC 6960 A.1 GET) for GET and POST (others: ROUTE_BAD_METHOD); fills
 * m and returns true when the path matches, returns false (m untouched) otherwise. */
bool router_match_ocsp(const char *ocsp_path, enum http_method method, const char *target,
		       size_t len, struct route_match *m);
/* Whether one of stride-ca's own routes answers at path or under it (an ocsp.path there would
 * hide it). */
bool router_path_taken(const char *path);
/* A short stable name of a route for logs ("sign", "root"). */
const char *route_name(enum route_id id);
/* The method of a request line token ("GET" -> HTTP_GET; unknown -> HTTP_OTHER). */
enum http_method http_method_from_name(const char *name);
/* The request-line token of a method ("GET"), "OTHER" for HTTP_OTHER. */
const char *http_method_name(enum http_method m);

/* The first value of key in a raw query string ("a=1&b=2"), decoded like Go's url.Query()
 * (pairs with bad escapes are skipped); *out malloc'd, NULL when absent. Values longer than
 * ROUTE_PARAM_MAX are treated as absent. */
void query_get(const char *query, const char *key, char **out);

#endif
