/* router.c - the routing table and URL helpers. */
#include "server/router.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acme/acme.h"
#include "admin/admin.h"
#include "sshca/sshca.h"
#include "base/str.h"
#include "base/url.h"

#define M_GET (HTTP_GET | HTTP_HEAD)

struct route {
	const char *pattern; /* "{}" stands for one non-empty parameter segment */
	unsigned methods;
	enum route_id id;
	bool versioned; /* also answered under /1.0 */
	bool insecure;	/* also served on the plain-HTTP insecureAddress listener (insecure.c);
			 * everything else is 404 there */
};

static const struct route routes[] = {
    {"/health", M_GET, ROUTE_HEALTH, true},
    {"/version", M_GET, ROUTE_VERSION, true},
    {"/root/{}", M_GET, ROUTE_ROOT, true},
    {"/roots", M_GET, ROUTE_ROOTS, true},
    {"/roots.pem", M_GET, ROUTE_ROOTS_PEM, true},
    {"/federation", M_GET, ROUTE_FEDERATION, true},
    {"/intermediates", M_GET, ROUTE_INTERMEDIATES, true},
    {"/intermediates.pem", M_GET, ROUTE_INTERMEDIATES_PEM, true},
    {"/provisioners", M_GET, ROUTE_PROVISIONERS, true},
    {"/provisioners/{}/encrypted-key", M_GET, ROUTE_PROVISIONER_KEY, true},
    {"/sign", HTTP_POST, ROUTE_SIGN, true},
    {"/renew", HTTP_POST, ROUTE_RENEW, true},
    {"/re-sign", HTTP_POST, ROUTE_RENEW, true},
    {"/rekey", HTTP_POST, ROUTE_REKEY, true},
    {"/revoke", HTTP_POST, ROUTE_REVOKE, true},
    {"/v1/applications/certificates/renewals", HTTP_POST, ROUTE_KYMA_RENEWALS, false},
    {"/crl", M_GET, ROUTE_CRL, true, true},
};

static const char *const route_names[ROUTE_COUNT] = {
    [ROUTE_HEALTH] = "health",
    [ROUTE_VERSION] = "version",
    [ROUTE_ROOT] = "root",
    [ROUTE_ROOTS] = "roots",
    [ROUTE_ROOTS_PEM] = "roots.pem",
    [ROUTE_FEDERATION] = "federation",
    [ROUTE_INTERMEDIATES] = "intermediates",
    [ROUTE_INTERMEDIATES_PEM] = "intermediates.pem",
    [ROUTE_PROVISIONERS] = "provisioners",
    [ROUTE_PROVISIONER_KEY] = "provisioner-encrypted-key",
    [ROUTE_SIGN] = "sign",
    [ROUTE_RENEW] = "renew",
    [ROUTE_REKEY] = "rekey",
    [ROUTE_REVOKE] = "revoke",
    [ROUTE_KYMA_RENEWALS] = "kyma-renewals",
    [ROUTE_CRL] = "crl",
    [ROUTE_ACME] = "acme",
    [ROUTE_ADMIN] = "admin",
    [ROUTE_SSH] = "ssh",
    [ROUTE_OCSP] = "ocsp",
};

static const struct {
	const char *name;
	enum http_method m;
} methods[] = {
    {"GET", HTTP_GET},	   {"HEAD", HTTP_HEAD},	    {"POST", HTTP_POST},
    {"PUT", HTTP_PUT},	   {"DELETE", HTTP_DELETE}, {"OPTIONS", HTTP_OPTIONS},
    {"PATCH", HTTP_PATCH}, {"TRACE", HTTP_TRACE},   {"CONNECT", HTTP_CONNECT},
};

const char *route_name(enum route_id id)
{
	if ((unsigned)id >= ROUTE_COUNT)
		return "unknown";
	return route_names[id];
}

enum http_method http_method_from_name(const char *name)
{
	for (size_t i = 0; name != NULL && i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, name) == 0)
			return methods[i].m;
	return HTTP_OTHER;
}

const char *http_method_name(enum http_method m)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].m == m)
			return methods[i].name;
	return "OTHER";
}

/* Matches path (plen bytes) against one pattern; copies the decoded parameter into m. */
static bool pattern_match(const char *pattern, const char *path, size_t plen, struct route_match *m)
{
	const char *brace = strstr(pattern, "{}");
	size_t pre, post, seglen;
	const char *seg;

	if (brace == NULL)
		return strlen(pattern) == plen && memcmp(pattern, path, plen) == 0;
	pre = (size_t)(brace - pattern);
	post = strlen(brace + 2);
	if (plen <= pre + post || memcmp(pattern, path, pre) != 0 ||
	    memcmp(brace + 2, path + plen - post, post) != 0)
		return false;
	seg = path + pre;
	seglen = plen - pre - post;
	if (memchr(seg, '/', seglen) != NULL)
		return false;
	return url_unescape(seg, seglen, false, m->param, ROUTE_PARAM_MAX) == 0;
}

/* Reduces a request target to its path: drops an absolute-form "scheme://authority" prefix,
 * then the query and fragment. */
static void target_path(const char *target, size_t len, const char **path, size_t *plen)
{
	const char *p = target;
	size_t n = len;

	if ((n >= 7 && strncasecmp(p, "http://", 7) == 0) ||
	    (n >= 8 && strncasecmp(p, "https://", 8) == 0)) {
		const char *rest = (const char *)memchr(p, ':', n) + 3;
		size_t left = n - (size_t)(rest - p);
		size_t a = 0;

		while (a < left && rest[a] != '/' && rest[a] != '?' && rest[a] != '#')
			a++;
		if (a == left || rest[a] != '/') {
			*path = "/"; /* "https://host" or "https://host?q": the path is "/" */
			*plen = 1;
			return;
		}
		n -= (size_t)(rest + a - p);
		p = rest + a;
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '?' || p[i] == '#') {
			n = i;
			break;
		}
	}
	*path = p;
	*plen = n;
}

static void allow_header(unsigned methods_mask, char *out, size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		const char *name = methods[i].name;
		size_t need = strlen(name) + (used > 0 ? 2 : 0);

		if (!(methods_mask & (unsigned)methods[i].m) || used + need + 1 > n)
			continue;
		if (used > 0) {
			memcpy(out + used, ", ", 2);
			used += 2;
		}
		memcpy(out + used, name, strlen(name));
		used += strlen(name);
		out[used] = '\0';
	}
}

void router_match(enum http_method method, const char *target, size_t len, struct route_match *m)
{
	const char *path;
	size_t plen;
	unsigned allowed = 0;

	memset(m, 0, sizeof(*m));
	m->status = ROUTE_NOT_FOUND;
	m->id = ROUTE_COUNT;
	if (target == NULL)
		return;
	target_path(target, len, &path, &plen);
	if (plen == 0 || path[0] != '/')
		return;
	/* /acme/{provisioner}/... and /2.0/acme/...: the ACME engine has its own layout */
	if (acme_path_is_acme(path, plen)) {
		if (method & (M_GET | HTTP_POST)) {
			m->status = ROUTE_FOUND;
			m->id = ROUTE_ACME;
			m->head = method == HTTP_HEAD;
		} else {
			m->status = ROUTE_BAD_METHOD;
			allow_header(M_GET | HTTP_POST, m->allow, sizeof(m->allow));
		}
		return;
	}
	/* /admin/...: the admin engine routes by method and path itself (step-ca's admin router) */
	if (admin_path_is_admin(path, plen)) {
		m->status = ROUTE_FOUND;
		m->id = ROUTE_ADMIN;
		m->head = method == HTTP_HEAD;
		return;
	}
	/* /ssh/...: the SSH engine routes by method and path itself (step-ca's SSH routes) */
	if (sshca_path_is_ssh(path, plen)) {
		m->status = ROUTE_FOUND;
		m->id = ROUTE_SSH;
		m->head = method == HTTP_HEAD;
		return;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		bool hit = pattern_match(r->pattern, path, plen, m);

		if (!hit && r->versioned && plen > 4 && memcmp(path, "/1.0/", 5) == 0)
			hit = pattern_match(r->pattern, path + 4, plen - 4, m);
		if (!hit) {
			m->param[0] = '\0';
			continue;
		}
		m->insecure = r->insecure;
		if (r->methods & (unsigned)method) {
			m->status = ROUTE_FOUND;
			m->id = r->id;
			m->head = method == HTTP_HEAD;
			return;
		}
		allowed |= r->methods;
		m->param[0] = '\0';
	}
	if (allowed != 0) {
		m->status = ROUTE_BAD_METHOD;
		allow_header(allowed, m->allow, sizeof(m->allow));
	}
}

bool router_match_ocsp(const char *ocsp_path, enum http_method method, const char *target,
		       size_t len, struct route_match *m)
{
	const char *path;
	size_t plen, olen = ocsp_path != NULL ? strlen(ocsp_path) : 0;

	if (olen == 0 || target == NULL)
		return false;
	target_path(target, len, &path, &plen);
	if (plen < olen || memcmp(path, ocsp_path, olen) != 0 || (plen > olen && path[olen] != '/'))
		return false;
	memset(m, 0, sizeof(*m));
	if (method & (HTTP_GET | HTTP_POST)) {
		m->status = ROUTE_FOUND;
		m->id = ROUTE_OCSP;
	} else {
		m->status = ROUTE_BAD_METHOD;
		m->id = ROUTE_COUNT;
		allow_header(HTTP_GET | HTTP_POST, m->allow, sizeof(m->allow));
	}
	return true;
}

bool router_path_taken(const char *path)
{
	static const enum http_method ms[] = {HTTP_GET, HTTP_POST, HTTP_PUT, HTTP_DELETE};
	char *under = xasprintf("%s/x", path);
	bool taken = false;

	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]) && !taken; i++) {
		struct route_match m;

		router_match(ms[i], path, strlen(path), &m);
		taken = m.status != ROUTE_NOT_FOUND;
		router_match(ms[i], under, strlen(under), &m);
		taken = taken || m.status != ROUTE_NOT_FOUND;
	}
	free(under);
	return taken;
}

void query_get(const char *query, const char *key, char **out)
{
	const char *p = query;

	*out = NULL;
	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, '&');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		size_t klen = eq != NULL ? (size_t)(eq - p) : n;
		char k[ROUTE_PARAM_MAX + 1];
		char v[ROUTE_PARAM_MAX + 1];

		/* Go (since 1.17) refuses pairs with a semicolon; both parts must decode. */
		if (memchr(p, ';', n) == NULL &&
		    url_unescape(p, klen, true, k, ROUTE_PARAM_MAX) == 0 && strcmp(k, key) == 0) {
			if (eq == NULL) {
				*out = xstrdup("");
				return;
			}
			if (url_unescape(eq + 1, n - klen - 1, true, v, ROUTE_PARAM_MAX) == 0) {
				*out = xstrdup(v);
				return;
			}
		}
		p = end != NULL ? end + 1 : NULL;
	}
}
