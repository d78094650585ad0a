/* token.c - the admin token: an x5c JWT in the Authorization header (without "Bearer"),
 * checked in step-ca's order with step-ca's messages (admin.md §2.3): the header, the JWS, the
 * x5c chain (the CA's roots, clientAuth), digitalSignature, the signature with the leaf's key,
 * the leaf's provisioner, replay, the times, the audience, the issuer, the subject, the admin
 * and, for changes to admins, SUPER_ADMIN.
 *
 * The token is used once: its key (jti, else a hash) is recorded in the store at once, as
 * step-ca records it before the remaining checks. Nothing of the token reaches a message.
 */
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/internal.h"
#include "base/duration.h"
#include "base/str.h"
#include "base/url.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/x509build.h"
#include "store/store.h"

#define ADMIN_ISSUER	"step-admin-client/1.0"
#define PARSE_PREFIX	"adminHandler.authorizeToken; "
#define CLAIMS_PREFIX	"x5c.authorizeToken; "
#define GO_JOSE_INVALID "go-jose/go-jose/jwt: validation failed, "
#define AUD_PATH_MAX	2048

/* Go's crypto/x509 text for a failed verification of cert (the certificate at fault). */
static void verify_message(int code, X509 *cert, char *out, size_t n)
{
	char now[40], when[40];

	switch (code) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		snprintf(out, n,
			 "x509: certificate has expired or is not yet valid: current time %s is "
			 "after %s",
			 time_format_rfc3339(time_now_ns(), now, sizeof(now)),
			 time_format_rfc3339(cert_not_after_ns(cert), when, sizeof(when)));
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		snprintf(out, n,
			 "x509: certificate has expired or is not yet valid: current time %s is "
			 "before %s",
			 time_format_rfc3339(time_now_ns(), now, sizeof(now)),
			 time_format_rfc3339(cert_not_before_ns(cert), when, sizeof(when)));
		break;
	case X509_V_ERR_INVALID_PURPOSE:
		snprintf(out, n, "x509: certificate specifies an incompatible key usage");
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		snprintf(out, n, "x509: certificate signed by unknown authority");
		break;
	default:
		snprintf(out, n, "x509: %s", X509_verify_cert_error_string(code));
		break;
	}
}

/* Step 4: the x5c chain verifies to the CA's roots now, for client authentication (the
 * intermediates may come from the token or from the CA's own chain). */
static int verify_chain(const struct authority *a, const struct jws *jws, STACK_OF(X509) * *chain,
			struct error *err)
{
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *untrusted = NULL;
	struct error e = {0};
	char msg[512];
	int rc = -1;

	*chain = NULL;
	if (jws_header_chain(jws, "x5c", chain, &e) != 0 ||
	    header_chain_keys_check(*chain, "x5c", &e) != 0) {
		err_public(err, ERR_UNAUTHORIZED,
			   PARSE_PREFIX "error verifying x5c certificate chain in token: %s",
			   e.msg);
		goto out;
	}
	untrusted = sk_X509_dup(*chain);
	ctx = X509_STORE_CTX_new();
	if (untrusted == NULL || ctx == NULL ||
	    !X509_STORE_CTX_init(ctx, a->trust, sk_X509_value(*chain, 0), untrusted) ||
	    !X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT)) {
		err_openssl(err, ERR_CRYPTO, "error verifying the x5c certificate chain");
		goto out;
	}
	(void)sk_X509_shift(untrusted);
	/* the CA's own intermediates complete a chain sent without them (a leaf alone) */
	for (int i = 0; untrusted != NULL && i < sk_X509_num(a->intermediates); i++)
		sk_X509_push(untrusted, sk_X509_value(a->intermediates, i));
	if (X509_verify_cert(ctx) != 1) {
		int code = X509_STORE_CTX_get_error(ctx);
		X509 *at = X509_STORE_CTX_get_current_cert(ctx);

		verify_message(code, at != NULL ? at : sk_X509_value(*chain, 0), msg, sizeof(msg));
		err_public(err, ERR_UNAUTHORIZED,
			   PARSE_PREFIX "error verifying x5c certificate chain in token: %s", msg);
		goto out;
	}
	rc = 0;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	ERR_clear_error();
	if (rc != 0) {
		sk_X509_pop_free(*chain, X509_free);
		*chain = NULL;
	}
	return rc;
}

/* Step 7: the provisioner that issued leaf: the store's record, else the certificate's
 * provisioner extension; looked up by name in the call's snapshot. */
static int leaf_provisioner(struct admin_call *c, X509 *leaf, struct error *err)
{
	char *serial = cert_serial_decimal(leaf);
	struct error e = {0};
	int rc = cert_provisioner(c->a, &c->snap, leaf, serial, &c->aprov, &e);

	free(serial);
	if (rc != 0 && e.kind != ERR_UNAUTHORIZED) { /* the store failed */
		if (err != NULL)
			*err = e;
		return -1;
	}
	if (rc != 0 || c->aprov == NULL || c->aprov->id == NULL) {
		c->aprov = NULL;
		return err_public(err, ERR_NOT_FOUND,
				  "unable to load provisioner from certificate");
	}
	return 0;
}

/* Step 8: the token was not used before; recorded as used now. */
static int use_token(struct admin_call *c, const struct jws *jws, struct error *err)
{
	char *key = NULL;
	bool used = false;
	struct error e = {0};
	int rc = -1;

	if (check_replay(c->a, jws, "token already used", &key, &e) != 0) {
		if (e.kind != ERR_UNAUTHORIZED) {
			*err = e;
			goto out;
		}
		err_public(err, ERR_UNAUTHORIZED, PARSE_PREFIX "error with reuse token: %s", e.msg);
		goto out;
	}
	if (store_use_token(c->a->store, key, c->req.authorization, &used, err) != 0)
		goto out;
	if (used) {
		err_public(err, ERR_UNAUTHORIZED,
			   PARSE_PREFIX "error with reuse token: token already used");
		goto out;
	}
	rc = 0;
out:
	free(key);
	return rc;
}

/* Step 9: nbf, exp and iat with a minute of leeway, with go-jose's messages. */
static int check_times(const struct jws *jws, struct error *err)
{
	int64_t now = time_now_ns() / NS_PER_SEC, v;
	const char *what = NULL;
	int present;

	if (jwt_claim_time(jws, "nbf", &v, &present) != 0)
		what = "invalid not before claim (nbf)";
	else if (present && now + TOKEN_LEEWAY_SEC < v)
		what = GO_JOSE_INVALID "token not valid yet (nbf)";
	else if (jwt_claim_time(jws, "exp", &v, &present) != 0 || !present)
		what = "invalid expiration claim (exp)";
	else if (now - TOKEN_LEEWAY_SEC > v)
		what = GO_JOSE_INVALID "token is expired (exp)";
	else if (jwt_claim_time(jws, "iat", &v, &present) != 0)
		what = "invalid issued at claim (iat)";
	else if (present && now + TOKEN_LEEWAY_SEC < v)
		what = "go-jose/go-jose/jwt: validation field, token issued in the future (iat)";
	if (what == NULL)
		return 0;
	return err_public(err, ERR_UNAUTHORIZED, CLAIMS_PREFIX "invalid x5c claims: %s", what);
}

/* The decoded form of n bytes of a path; the raw bytes when they do not decode. */
static void path_decode(const char *s, size_t n, char *out)
{
	if (n > AUD_PATH_MAX || url_unescape(s, n, false, out, AUD_PATH_MAX) != 0) {
		if (n > AUD_PATH_MAX)
			n = AUD_PATH_MAX;
		memcpy(out, s, n);
		out[n] = '\0';
	}
}

static bool host_is_dns_name(const struct authority *a, const char *host, size_t len)
{
	const struct strv *names = &a->cfg->dns_names;

	for (size_t i = 0; i < names->n; i++) {
		const char *h = names->v[i];
		size_t n = strlen(h);

		if (strchr(h, ':') != NULL) { /* IPv6: bracketed in a URL */
			if (len == n + 2 && host[0] == '[' && memcmp(host + 1, h, n) == 0)
				return true;
		} else if (len == n && memcmp(host, h, n) == 0) {
			return true;
		}
	}
	return false;
}

bool admin_audience_ok(const struct authority *a, const char *aud, const char *path)
{
	char want[AUD_PATH_MAX + 1], got[AUD_PATH_MAX + 1];
	const char *host, *end, *p;
	size_t host_len;

	path_decode(path, strlen(path), want);
	if (aud[0] == '/') { /* the bare path (step-ca accepts it for old clients) */
		path_decode(aud, strlen(aud), got);
		return strcmp(aud, path) == 0 || strcmp(got, want) == 0;
	}
	if (strncmp(aud, "https://", 8) != 0)
		return false;
	host = aud + 8;
	end = host + strcspn(host, "/?#");
	if (*end != '/' || end == host)
		return false;
	host_len = (size_t)(end - host);
	if (host[0] == '[') {
		const char *close = memchr(host, ']', host_len);
		if (close == NULL)
			return false;
		p = close + 1;
		host_len = (size_t)(p - host);
	} else {
		p = memchr(host, ':', host_len);
		if (p != NULL)
			host_len = (size_t)(p - host);
		p = host + host_len;
	}
	/* what follows the host must be ":digits" (the port, ignored) */
	if (p != end) {
		if (*p++ != ':')
			return false;
		for (; p < end; p++)
			if (*p < '0' || *p > '9')
				return false;
	}
	if (!host_is_dns_name(a, host, host_len) || strpbrk(end, "?#") != NULL)
		return false;
	path_decode(end, strlen(end), got);
	return strcmp(end, path) == 0 || strcmp(got, want) == 0;
}

/* Step 10: any audience of the token names the request's path. */
static bool audience_ok(const struct admin_call *c, const struct jws *jws)
{
	struct strv aud = {0};
	bool ok = false;

	if (audience_from_claims(jws->payload, &aud, NULL) != 0)
		goto out;
	for (size_t i = 0; i < aud.n && !ok; i++)
		ok = admin_audience_ok(c->a, aud.v[i], c->req.path);
out:
	strv_free(&aud);
	return ok;
}

/* Step 13: the admin with a subject among the leaf's CN, DNS and e-mail SANs and the leaf's
 * provisioner. */
static int find_admin(struct admin_call *c, X509 *leaf, struct error *err)
{
	struct names n = {0};
	struct strv subjects = {0};
	char *list;
	int rc = -1;

	if (cert_names(leaf, &n, err) != 0)
		return err_reclassify(err, ERR_UNAUTHORIZED, true);
	strv_push(&subjects, n.cn);
	for (size_t i = 0; i < n.dns.n; i++)
		strv_push(&subjects, n.dns.v[i]);
	for (size_t i = 0; i < n.email.n; i++)
		strv_push(&subjects, n.email.v[i]);
	for (size_t i = 0; i < subjects.n && c->admin == NULL; i++)
		for (size_t j = 0; j < c->snap->n_admins && c->admin == NULL; j++) {
			const struct admin_entry *e = &c->snap->admins[j];

			if (strcmp(e->subject, subjects.v[i]) == 0 &&
			    strcmp(e->provisioner_id, c->aprov->id) == 0)
				c->admin = e;
		}
	if (c->admin == NULL) {
		list = go_list(&subjects);
		err_public(err, ERR_UNAUTHORIZED,
			   PARSE_PREFIX
			   "unable to load admin with subject(s) %s and provisioner '%s'",
			   list, c->aprov->name);
		free(list);
		goto out;
	}
	rc = 0;
out:
	strv_free(&subjects);
	names_free(&n);
	return rc;
}

/* The request path without the /1.0 prefix. */
static const char *unversioned(const struct admin_call *c)
{
	return c->v1 ? c->req.path + 4 : c->req.path;
}

int admin_authorize(struct admin_call *c, struct error *err)
{
	const char *tok = c->req.authorization;
	struct jws jws = {0};
	STACK_OF(X509) *chain = NULL;
	struct error e = {0};
	const char *iss, *sub;
	X509 *leaf;
	int rc = -1;

	c->admin = NULL;
	c->aprov = NULL;
	if (tok == NULL || tok[0] == '\0') {
		err_public(err, ERR_UNAUTHORIZED, "missing authorization header token");
		goto out;
	}
	if (jws_parse(tok, strlen(tok), &jws, &e) != 0) {
		err_public(err, ERR_UNAUTHORIZED, PARSE_PREFIX "error parsing x5c token: %s",
			   e.msg);
		goto out;
	}
	if (verify_chain(c->a, &jws, &chain, err) != 0)
		goto out;
	leaf = sk_X509_value(chain, 0);
	if ((X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE) == 0) {
		err_public(err, ERR_UNAUTHORIZED,
			   PARSE_PREFIX "certificate used to sign x5c token cannot be used for "
					"digital signature");
		goto out;
	}
	if (jws_verify(&jws, X509_get0_pubkey(leaf), &e) != 0) {
		err_public(err, ERR_UNAUTHORIZED, PARSE_PREFIX "error parsing x5c claims: %s",
			   e.msg);
		goto out;
	}
	if (leaf_provisioner(c, leaf, err) != 0 || use_token(c, &jws, err) != 0 ||
	    check_times(&jws, err) != 0)
		goto out;
	if (!audience_ok(c, &jws)) {
		err_public(err, ERR_UNAUTHORIZED,
			   CLAIMS_PREFIX "x5c token has invalid audience claim (aud)");
		goto out;
	}
	iss = jwt_claim_str(&jws, "iss");
	if (iss == NULL || (strcmp(iss, ADMIN_ISSUER) != 0 && strcmp(iss, c->aprov->name) != 0)) {
		err_public(err, ERR_UNAUTHORIZED,
			   CLAIMS_PREFIX "x5c token has invalid issuer claim (iss)");
		goto out;
	}
	sub = jwt_claim_str(&jws, "sub");
	if (sub == NULL || sub[0] == '\0') {
		err_public(err, ERR_UNAUTHORIZED,
			   CLAIMS_PREFIX "x5c token subject cannot be empty");
		goto out;
	}
	if (find_admin(c, leaf, err) != 0)
		goto out;
	if (str_has_prefix(unversioned(c), "/admin/admins") && strcmp(c->req.method, "GET") != 0 &&
	    c->admin->type != 2) {
		err_public(err, ERR_UNAUTHORIZED,
			   "must have super admin access to make this request");
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		c->admin = NULL;
		c->aprov = NULL;
	}
	sk_X509_pop_free(chain, X509_free);
	jws_free(&jws);
	return rc;
}
