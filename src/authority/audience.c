/* audience.c - which token audiences the CA accepts (as step-ca does).
 *
 * Instead of building every accepted URL, a token audience is split into
 * host, path and fragment and each part is checked; the port is ignored,
 * which is what step's "compare literally or with the ports removed" amounts
 * to, since dnsNames carry no ports.
 */
#include <string.h>

#include "authority/internal.h"

#define LEGACY_AUDIENCE "step-certificate-authority"

struct url_parts {
	const char *host; /* without port; IPv6 keeps its brackets */
	size_t host_len;
	const char *path;
	size_t path_len;
	const char *fragment; /* NULL when absent */
};

/* Splits "https://host[:port]/path[#fragment]"; false when the shape does not fit. */
static bool url_split(const char *url, struct url_parts *u)
{
	const char *p, *auth_end, *hash;

	if (strncmp(url, "https://", 8) != 0)
		return false;
	p = url + 8;
	auth_end = p + strcspn(p, "/?#");
	if (*auth_end == '?' || auth_end == p)
		return false;
	u->host = p;
	u->host_len = (size_t)(auth_end - p);
	if (p[0] == '[') {
		const char *close = memchr(p, ']', u->host_len);
		if (close == NULL)
			return false;
		u->host_len = (size_t)(close - p) + 1;
	} else {
		const char *colon = memchr(p, ':', u->host_len);
		if (colon != NULL)
			u->host_len = (size_t)(colon - p);
	}
	/* Whatever follows the host inside the authority must be ":digits". */
	if (p + u->host_len != auth_end) {
		const char *q = p + u->host_len;
		if (*q++ != ':')
			return false;
		for (; q < auth_end; q++)
			if (*q < '0' || *q > '9')
				return false;
	}
	hash = strchr(auth_end, '#');
	u->path = auth_end;
	u->path_len = hash != NULL ? (size_t)(hash - auth_end) : strlen(auth_end);
	if (memchr(u->path, '?', u->path_len) != NULL)
		return false;
	u->fragment = hash != NULL ? hash + 1 : NULL;
	return true;
}

static bool host_is_dns_name(const struct authority *a, const struct url_parts *u)
{
	const struct strv *names = &a->cfg->dns_names;

	for (size_t i = 0; i < names->n; i++) {
		const char *h = names->v[i];
		size_t n = strlen(h);

		if (strchr(h, ':') != NULL) { /* IPv6: the URL form is bracketed */
			if (u->host_len == n + 2 && u->host[0] == '[' &&
			    memcmp(u->host + 1, h, n) == 0)
				return true;
		} else if (u->host_len == n && memcmp(u->host, h, n) == 0) {
			return true;
		}
	}
	return false;
}

static bool path_in(const struct url_parts *u, const char *const *paths)
{
	for (; *paths != NULL; paths++)
		if (strlen(*paths) == u->path_len && memcmp(u->path, *paths, u->path_len) == 0)
			return true;
	return false;
}

static const char *const sign_paths[] = {"/1.0/sign", "/sign", "/1.0/ssh/sign", "/ssh/sign", NULL};
static const char *const renew_paths[] = {"/1.0/renew", "/renew", NULL};
static const char *const revoke_paths[] = {"/1.0/revoke", "/revoke", NULL};
static const char *const ssh_renew_paths[] = {"/1.0/ssh/renew", "/ssh/renew", NULL};
static const char *const ssh_rekey_paths[] = {"/1.0/ssh/rekey", "/ssh/rekey", NULL};
static const char *const ssh_revoke_paths[] = {"/1.0/ssh/revoke", "/ssh/revoke", NULL};

static const char *const *op_paths(enum token_op op)
{
	switch (op) {
	case OP_SIGN:
	case OP_SSH_SIGN:
		return sign_paths;
	case OP_RENEW:
		return renew_paths;
	case OP_REVOKE:
		return revoke_paths;
	case OP_SSH_RENEW:
		return ssh_renew_paths;
	case OP_SSH_REKEY:
		return ssh_rekey_paths;
	case OP_SSH_REVOKE:
		return ssh_revoke_paths;
	}
	return sign_paths;
}

static bool one_matches(const struct authority *a, const char *aud, enum token_op op,
			const char *fragment)
{
	struct url_parts u;

	if (strcmp(aud, LEGACY_AUDIENCE) == 0)
		return op == OP_SIGN || op == OP_REVOKE;
	if (!url_split(aud, &u) || !host_is_dns_name(a, &u) || !path_in(&u, op_paths(op)))
		return false;
	if (fragment == NULL || fragment[0] == '\0')
		return u.fragment == NULL;
	return u.fragment != NULL && strcmp(u.fragment, fragment) == 0;
}

bool audience_matches(const struct authority *a, const struct strv *token_aud, enum token_op op,
		      const char *fragment)
{
	for (size_t i = 0; i < token_aud->n; i++)
		if (one_matches(a, token_aud->v[i], op, fragment))
			return true;
	return false;
}

bool audience_matches_any(const struct authority *a, const struct strv *token_aud,
			  const char *fragment)
{
	return audience_matches(a, token_aud, OP_SIGN, fragment) ||
	       audience_matches(a, token_aud, OP_RENEW, fragment) ||
	       audience_matches(a, token_aud, OP_REVOKE, fragment) ||
	       audience_matches(a, token_aud, OP_SSH_RENEW, fragment) ||
	       audience_matches(a, token_aud, OP_SSH_REKEY, fragment) ||
	       audience_matches(a, token_aud, OP_SSH_REVOKE, fragment);
}

int audience_from_claims(const json_t *payload, struct strv *out, struct error *err)
{
	const json_t *aud = json_object_get(payload, "aud");
	size_t i;
	json_t *v;

	if (aud == NULL || json_is_null(aud))
		return 0;
	if (json_is_string(aud)) {
		strv_push(out, json_string_value(aud));
		return 0;
	}
	if (!json_is_array(aud))
		return err_set(err, ERR_UNAUTHORIZED, "invalid audience claim (aud)");
	json_array_foreach(aud, i, v)
	{
		if (!json_is_string(v))
			return err_set(err, ERR_UNAUTHORIZED, "invalid audience claim (aud)");
		strv_push(out, json_string_value(v));
	}
	return 0;
}
