/* oidc.c - the OIDC provisioner: ID tokens from an OpenID Connect identity provider
 * (tokens.md §6.6, provisioners-and-policy.md §2.5).
 *
 * The checks and their order are step-ca's (oidc.go): the signature with a key of the
 * identity provider's set with the token's kid, then the payload (iss, aud containing the
 * clientID, exp/nbf/iat with one minute of leeway, azp, the e-mail domain unless the user is
 * an admin, the groups), then what the operation allows. Every failure is a 401 whose detail
 * (step-ca's text) goes to the log only.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "authority/internal.h"
#include "authority/oidc.h"
#include "base/duration.h"
#include "client/http_fetch.h"

/* Go's net.SplitHostPort errors for a listenAddress ("host:port", "[v6]:port", ":port"). */
static int check_host_port(const char *addr, struct error *err)
{
	const char *colon = strrchr(addr, ':');

	if (colon == NULL)
		return err_set(err, ERR_INVALID,
			       "error parsing listenAddress: address %s: missing port in address",
			       addr);
	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');
		if (end == NULL)
			return err_set(err, ERR_INVALID,
				       "error parsing listenAddress: address %s: missing ']' in "
				       "address",
				       addr);
		if (end[1] != ':')
			return err_set(err, ERR_INVALID,
				       "error parsing listenAddress: address %s: missing port in "
				       "address",
				       addr);
		return 0;
	}
	if (strchr(addr, ':') != colon)
		return err_set(
		    err, ERR_INVALID,
		    "error parsing listenAddress: address %s: too many colons in address", addr);
	return 0;
}

/* An optional array of strings of the configuration. */
static int string_list(const json_t *config, const char *key, struct strv *out, struct error *err)
{
	const json_t *v = json_object_get(config, key);
	size_t i;
	json_t *item;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return err_set(err, ERR_INVALID, "%s must be an array of strings", key);
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item))
			return err_set(err, ERR_INVALID, "%s must be an array of strings", key);
		strv_push(out, json_string_value(item));
	}
	return 0;
}

static const char *config_str(const json_t *config, const char *key)
{
	return json_string_value(json_object_get(config, key));
}

int oidc_init(struct provisioner *p, struct error *err)
{
	const char *client_id = config_str(p->config, "clientID");
	const char *endpoint = config_str(p->config, "configurationEndpoint");
	const char *listen = config_str(p->config, "listenAddress");
	struct oidc_provider *o;

	/* step-ca's Init, in its order */
	if (client_id == NULL || client_id[0] == '\0')
		return err_set(err, ERR_INVALID, "clientID cannot be empty");
	if (endpoint == NULL || endpoint[0] == '\0')
		return err_set(err, ERR_INVALID, "configurationEndpoint cannot be empty");
	if (listen != NULL && listen[0] != '\0' && check_host_port(listen, err) != 0)
		return -1;
	o = xcalloc(1, sizeof(*o));
	pthread_mutex_init(&o->lock, NULL);
	p->oidc = o;
	o->client_id = client_id;
	o->tenant_id = config_str(p->config, "tenantID");
	o->discovery_url = oidc_discovery_url(endpoint);
	/* the provisioner extension's credential id is the client id (step-ca) */
	free(p->kid);
	p->kid = xstrdup(client_id);
	if (string_list(p->config, "admins", &o->admins, err) != 0 ||
	    string_list(p->config, "domains", &o->domains, err) != 0 ||
	    string_list(p->config, "groups", &o->groups, err) != 0)
		return -1;
	return 0;
}

void oidc_clear(struct provisioner *p)
{
	struct oidc_provider *o = p->oidc;

	if (o == NULL)
		return;
	oidc_cache_clear(o);
	free(o->discovery_url);
	strv_free(&o->admins);
	strv_free(&o->domains);
	strv_free(&o->groups);
	pthread_mutex_destroy(&o->lock);
	free(o);
	p->oidc = NULL;
}

/* The claims step-ca reads from an ID token. */
struct id_claims {
	const char *iss, *sub, *email, *azp;
	struct strv aud;
	struct strv groups;
};

/* step-ca's sanitizeEmail: the domain part lower-cased. malloc'd. */
static char *sanitize_email(const char *email)
{
	char *s = xstrdup(email), *at = strrchr(s, '@');

	if (at != NULL)
		str_lower(at);
	return s;
}

/* step-ca's IsAdmin: the e-mail (domain case-insensitive) or one of the groups is in admins. */
static bool is_admin(const struct oidc_provider *o, const struct id_claims *c)
{
	bool found = false;

	if (c->email != NULL && c->email[0] != '\0') {
		char *email = sanitize_email(c->email);
		for (size_t i = 0; i < o->admins.n && !found; i++) {
			char *a = sanitize_email(o->admins.v[i]);
			found = strcmp(email, a) == 0;
			free(a);
		}
		free(email);
	}
	for (size_t i = 0; i < c->groups.n && !found; i++)
		found = strv_contains(&o->admins, c->groups.v[i]);
	return found;
}

/* go-jose's ValidateWithLeeway with step-ca's expectations: issuer, audience, times. */
static int check_registered(const struct jws *jws, const struct oidc_provider *o,
			    const struct id_claims *c, const char *issuer, struct error *err)
{
	static const char prefix[] = "validatePayload: failed to validate oidc token payload: "
				     "go-jose/go-jose/jwt: validation failed, ";
	int64_t now = time_now_ns() / NS_PER_SEC, v;
	int present;

	if (c->iss == NULL || strcmp(c->iss, issuer) != 0)
		return err_set(err, ERR_UNAUTHORIZED, "%sinvalid issuer claim (iss)", prefix);
	if (!strv_contains(&c->aud, o->client_id))
		return err_set(err, ERR_UNAUTHORIZED, "%sinvalid audience claim (aud)", prefix);
	if (jwt_claim_time(jws, "nbf", &v, &present) == 0 && present && now + TOKEN_LEEWAY_SEC < v)
		return err_set(err, ERR_UNAUTHORIZED, "%stoken not valid yet (nbf)", prefix);
	if (jwt_claim_time(jws, "exp", &v, &present) == 0 && present && now - TOKEN_LEEWAY_SEC > v)
		return err_set(err, ERR_UNAUTHORIZED, "%stoken is expired (exp)", prefix);
	if (jwt_claim_time(jws, "iat", &v, &present) == 0 && present && now + TOKEN_LEEWAY_SEC < v)
		return err_set(err, ERR_UNAUTHORIZED, "%stoken issued in the future (iat)", prefix);
	return 0;
}

/* step-ca's ValidatePayload after the registered claims: azp, e-mail, domains, groups. */
static int validate_payload(const struct jws *jws, const struct oidc_provider *o,
			    const struct id_claims *c, const char *issuer, struct error *err)
{
	static const char prefix[] = "validatePayload: failed to validate oidc token payload";
	const json_t *verified = json_object_get(jws->payload, "email_verified");

	if (check_registered(jws, o, c, issuer, err) != 0)
		return -1;
	if (c->azp != NULL && c->azp[0] != '\0' && strcmp(c->azp, o->client_id) != 0)
		return err_set(err, ERR_UNAUTHORIZED, "%s: invalid azp", prefix);
	/* step-ca reads email_verified but does not check it; an identity provider that says the
	 * address is not verified is believed here, or anyone could claim an allowed domain. */
	if (c->email != NULL && c->email[0] != '\0' && json_is_false(verified))
		return err_set(err, ERR_UNAUTHORIZED, "%s: email \"%s\" is not verified", prefix,
			       c->email);
	if (c->email != NULL && c->email[0] != '\0' && o->domains.n > 0 && !is_admin(o, c)) {
		char *email = sanitize_email(c->email);
		bool found = false;

		for (size_t i = 0; i < o->domains.n && !found; i++) {
			char *d = xasprintf("@%s", o->domains.v[i]);
			found = str_has_suffix(email, str_lower(d));
			free(d);
		}
		free(email);
		if (!found)
			return err_set(err, ERR_UNAUTHORIZED, "%s: email \"%s\" is not allowed",
				       prefix, c->email);
	}
	if (o->groups.n > 0) {
		bool found = false;
		for (size_t i = 0; i < o->groups.n && !found; i++)
			found = strv_contains(&c->groups, o->groups.v[i]);
		if (!found)
			return err_set(err, ERR_UNAUTHORIZED,
				       "validatePayload: oidc token payload validation failed: "
				       "invalid group");
	}
	return 0;
}

/* The claims as step-ca's decoder reads them; a member of the wrong type refuses the token. */
static int read_claims(const struct jws *jws, struct id_claims *c, struct error *err)
{
	static const char *const strs[] = {"iss", "sub", "email", "azp", "nonce"};
	const json_t *groups = json_object_get(jws->payload, "groups");
	const json_t *verified = json_object_get(jws->payload, "email_verified");
	size_t i;
	json_t *v;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		v = json_object_get(jws->payload, strs[i]);
		if (v != NULL && !json_is_null(v) && !json_is_string(v))
			return err_set(err, ERR_UNAUTHORIZED,
				       "oidc.AuthorizeToken; error parsing oidc token claims: "
				       "invalid %s claim",
				       strs[i]);
	}
	if (verified != NULL && !json_is_null(verified) && !json_is_boolean(verified))
		return err_set(err, ERR_UNAUTHORIZED,
			       "oidc.AuthorizeToken; error parsing oidc token claims: invalid "
			       "email_verified claim");
	for (i = 0; i < 3; i++) {
		static const char *const times[] = {"exp", "nbf", "iat"};
		int64_t t;
		int present;
		if (jwt_claim_time(jws, times[i], &t, &present) != 0)
			return err_set(err, ERR_UNAUTHORIZED,
				       "oidc.AuthorizeToken; error parsing oidc token claims: "
				       "invalid %s claim",
				       times[i]);
	}
	c->iss = jwt_claim_str(jws, "iss");
	c->sub = jwt_claim_str(jws, "sub");
	c->email = jwt_claim_str(jws, "email");
	c->azp = jwt_claim_str(jws, "azp");
	if (audience_from_claims(jws->payload, &c->aud, err) != 0)
		return err_wrap(err, "oidc.AuthorizeToken; error parsing oidc token claims");
	if (groups != NULL && !json_is_null(groups) && !json_is_array(groups))
		return err_set(err, ERR_UNAUTHORIZED,
			       "oidc.AuthorizeToken; error parsing oidc token claims: invalid "
			       "groups claim");
	json_array_foreach(groups, i, v)
	{
		if (!json_is_string(v))
			return err_set(err, ERR_UNAUTHORIZED,
				       "oidc.AuthorizeToken; error parsing oidc token claims: "
				       "invalid groups claim");
		strv_push(&c->groups, json_string_value(v));
	}
	return 0;
}

/* The signature with one of the identity provider's keys that carry the token's kid. */
static int verify_signature(struct oidc_provider *o, const struct jws *jws, char **issuer,
			    struct error *err)
{
	const char *kid = json_string_value(json_object_get(jws->header, "kid"));
	struct oidc_key *keys = NULL;
	size_t n = 0;
	bool found = false;

	if (oidc_keys_get(o, kid != NULL ? kid : "", &keys, &n, issuer, err) != 0)
		return -1;
	for (size_t i = 0; i < n && !found; i++)
		found = jws_verify(jws, keys[i].key, NULL) == 0;
	oidc_keys_free(keys, n);
	if (!found)
		return err_set(err, ERR_UNAUTHORIZED,
			       "oidc.AuthorizeToken; cannot validate oidc token");
	return 0;
}

/* Go's url.Parse(iss) has a scheme: letters, digits, '+', '-', '.' before ':', a letter
 * first. */
static bool has_scheme(const char *s)
{
	size_t i = 0;

	if (!isalpha((unsigned char)s[0]))
		return false;
	while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
		i++;
	return s[i] == ':';
}

/* "<iss>#<sub>" as Go's url.URL.String() writes it: the issuer's own fragment replaced, the
 * subject escaped where a fragment may not hold it. malloc'd. */
static char *issuer_subject_uri(const char *iss, const char *sub)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t base = strcspn(iss, "#"), o = 0;
	char *frag = xmalloc(3 * strlen(sub) + 1), *out;

	for (const char *p = sub; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;
		if (isalnum(ch) || strchr("-._~!$&'()*+,;=:@/?", ch) != NULL) {
			frag[o++] = (char)ch;
		} else {
			frag[o++] = '%';
			frag[o++] = hex[ch >> 4];
			frag[o++] = hex[ch & 15];
		}
	}
	frag[o] = '\0';
	out = xasprintf("%.*s#%s", (int)base, iss, frag);
	free(frag);
	return out;
}

/* step-ca's SanitizeSSHUserPrincipal: the local part lower-cased, dots dropped, anything but
 * [a-z0-9-] (a whole UTF-8 character) turned into '_'. malloc'd. */
static char *sanitize_principal(const char *email)
{
	const char *at = strrchr(email, '@');
	size_t n = at != NULL ? (size_t)(at - email) : strlen(email), o = 0;
	char *out = xmalloc(n + 1);

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)tolower((unsigned char)email[i]);
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')
			out[o++] = (char)ch;
		else if (ch == '.' || (ch & 0xC0) == 0x80) /* dots dropped; continuation bytes */
			continue;
		else
			out[o++] = '_';
	}
	out[o] = '\0';
	return out;
}

/* An SSH user certificate (step-ca's AuthorizeSSHSign with the default identity function):
 * key ID = the e-mail, principals = the sanitized local part, the local part, the e-mail
 * (without empty or repeated ones); without an e-mail the subject. Only user certificates. */
static int ssh_grant(const struct provisioner *p, const struct id_claims *c, bool admin,
		     struct token_grant *g, struct error *err)
{
	if (c->sub == NULL || c->sub[0] == '\0')
		return err_set(err, ERR_UNAUTHORIZED,
			       "oidc.AuthorizeSSHSign: failed to validate oidc token payload: "
			       "subject not found");
	(void)p;
	/* admins: step-ca's admin template signs the request as given (sshca/sign.c) */
	g->leaf_tpl = admin ? LEAF_TPL_ADMIN : LEAF_TPL_LEAF;
	g->subject = xstrdup(c->sub);
	g->ssh.present = true;
	g->ssh.cert_type = xstrdup("user");
	g->ssh.valid_after = xstrdup("");
	g->ssh.valid_before = xstrdup("");
	if (c->email == NULL || c->email[0] == '\0') {
		g->ssh.key_id = xstrdup(c->sub);
		return 0;
	}
	g->ssh.key_id = xstrdup(c->email);
	{
		char *names[3];
		const char *at = strrchr(c->email, '@');

		names[0] = sanitize_principal(c->email);
		names[1] = at != NULL ? xasprintf("%.*s", (int)(at - c->email), c->email) : NULL;
		names[2] = xstrdup(c->email);
		for (size_t i = 0; i < 3; i++) {
			if (names[i] != NULL && names[i][0] != '\0' &&
			    !strv_contains(&g->ssh.principals, names[i]))
				strv_push(&g->ssh.principals, names[i]);
			free(names[i]);
		}
	}
	return 0;
}

/* What the token grants for op (step-ca's AuthorizeSign, AuthorizeRevoke...). */
static int grant_for(const struct provisioner *p, const struct id_claims *c, bool admin,
		     enum token_op op, struct token_grant *g, struct error *err)
{
	switch (op) {
	case OP_SIGN:
		g->subject = xstrdup(c->sub != NULL ? c->sub : "");
		if (c->email != NULL && c->email[0] != '\0')
			strv_push(&g->sans, c->email);
		if (c->iss != NULL && has_scheme(c->iss)) {
			char *uri = issuer_subject_uri(c->iss, c->sub != NULL ? c->sub : "");
			strv_push(&g->sans, uri);
			free(uri);
		}
		/* admins get the admin leaf: the CSR's subject and names */
		g->leaf_tpl = admin ? LEAF_TPL_ADMIN : LEAF_TPL_LEAF;
		return 0;
	case OP_REVOKE:
	case OP_SSH_REVOKE:
		if (!admin)
			return err_set(err, ERR_UNAUTHORIZED,
				       "oidc.Authorize%sRevoke; cannot revoke with non-admin oidc "
				       "token",
				       op == OP_SSH_REVOKE ? "SSH" : "");
		g->subject = xstrdup(c->sub != NULL ? c->sub : "");
		return 0;
	case OP_SSH_SIGN:
		return ssh_grant(p, c, admin, g, err);
	default:
		return err_set(err, ERR_UNAUTHORIZED, "oidc provisioner \"%s\" cannot authorize %s",
			       p->name, op == OP_SSH_RENEW ? "ssh renewals" : "this operation");
	}
}

int oidc_authorize(const struct authority *a, const struct provisioner *p, const struct jws *jws,
		   enum token_op op, struct token_grant *g, struct error *err)
{
	struct id_claims c = {0};
	char *issuer = NULL;
	int rc = -1;

	(void)a;
	/* step-ca checks enableSSHCA before the token */
	if (op == OP_SSH_SIGN && !p->claims.enable_ssh_ca)
		return err_set(err, ERR_UNAUTHORIZED,
			       "oidc.AuthorizeSSHSign; sshCA is disabled for oidc provisioner '%s'",
			       p->name);
	if (read_claims(jws, &c, err) != 0 || verify_signature(p->oidc, jws, &issuer, err) != 0 ||
	    validate_payload(jws, p->oidc, &c, issuer, err) != 0 ||
	    grant_for(p, &c, is_admin(p->oidc, &c), op, g, err) != 0)
		goto out;
	rc = 0;
out:
	free(issuer);
	strv_free(&c.aud);
	strv_free(&c.groups);
	return rc;
}
