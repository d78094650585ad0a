/* token_flow.c - provisioner selection, provisioner key, token, as step does. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/file.h"
#include "base/password.h"
#include "cli/ca_backend.h"
#include "cli/token_flow.h"
#include "cli/ui.h"
#include "client/token.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "jose/jwe.h"
#include "jose/jwk.h"
#include "jose/jws.h"

#define KEY_FILE_MAX	  (1024u * 1024u)
#define PASSWORD_ATTEMPTS 3

static const char *pstr(const json_t *p, const char *key)
{
	return json_string_value(json_object_get(p, key));
}

static const char *prov_kid(const json_t *p)
{
	return json_string_value(json_object_get(json_object_get(p, "key"), "kid"));
}

/* With --x5c-cert only X5C provisioners are offered; without, none of the types that need
 * their own credential flags (x5c, sshpop, ...). */
static bool type_usable(const char *type, bool x5c)
{
	static const char *const skip[] = {"X5C", "SSHPOP", "K8sSA", "Nebula", NULL};

	if (x5c)
		return str_eq_nocase(type, "X5C");
	for (size_t i = 0; skip[i] != NULL; i++)
		if (str_eq_nocase(type, skip[i]))
			return false;
	return true;
}

/* True when the command was given --x5c-cert (X5C token flow). */
static bool x5c_flow(struct cli_ctx *ctx)
{
	return flag_defined(ctx, "x5c-cert") && flag_str(ctx, "x5c-cert") != NULL;
}

static char *prov_label(const json_t *p)
{
	const char *type = pstr(p, "type"), *name = pstr(p, "name");

	if (str_eq_nocase(type, "JWK"))
		return xasprintf("%s (JWK) [kid: %s]", name, prov_kid(p) ? prov_kid(p) : "");
	if (str_eq_nocase(type, "OIDC"))
		return xasprintf("%s (OIDC) [client: %s]", name,
				 pstr(p, "clientID") ? pstr(p, "clientID") : "");
	return xasprintf("%s (%s)", name, type);
}

/* Applies --kid and --provisioner and picks one provisioner (a prompt when several remain). */
static int choose_provisioner(struct cli_ctx *ctx, const json_t *all, const json_t **out,
			      struct error *err)
{
	const char *kid = flag_str(ctx, "kid"), *name = flag_str(ctx, "provisioner");
	const json_t *cand[256];
	char *labels[256];
	size_t n = 0, i, choice = 0;
	json_t *p;
	int rc = 0;

	json_array_foreach(all, i, p)
	{
		const char *type = pstr(p, "type");
		if (type == NULL || pstr(p, "name") == NULL || !type_usable(type, x5c_flow(ctx)))
			continue;
		if (kid != NULL && (prov_kid(p) == NULL || strcmp(prov_kid(p), kid) != 0) &&
		    (pstr(p, "clientID") == NULL || strcmp(pstr(p, "clientID"), kid) != 0))
			continue;
		if (name != NULL && strcmp(pstr(p, "name"), name) != 0)
			continue;
		if (n < sizeof(cand) / sizeof(cand[0]))
			cand[n++] = p;
	}
	if (n == 0) {
		if (kid != NULL)
			return cli_err_invalid(err, "kid", kid, NULL);
		if (name != NULL)
			return cli_err_invalid(err, "provisioner", name, NULL);
		return err_set(err, ERR_NOT_FOUND,
			       "cannot create a new token: the CA does not have "
			       "any provisioner configured");
	}
	for (i = 0; i < n; i++)
		labels[i] = prov_label(cand[i]);
	if (n > 1)
		rc = ui_select("What provisioner key do you want to use?",
			       (const char *const *)labels, n, &choice, err);
	if (rc == 0) {
		ui_status("Provisioner", "%s", labels[choice]);
		*out = cand[choice];
	}
	for (i = 0; i < n; i++)
		free(labels[i]);
	return rc;
}

/* Decrypts a provisioner JWE with the password file or up to three prompts. */
static int decrypt_jwe(struct cli_ctx *ctx, const char *jwe, EVP_PKEY **key, struct error *err)
{
	const char *pwfile = flag_str(ctx, "provisioner-password-file");
	char *pw = NULL;
	uint8_t *plain = NULL;
	size_t len = 0;
	json_t *jwk = NULL;
	int rc = -1;

	if (pwfile == NULL)
		pwfile = flag_str(ctx, "password-file");
	for (int attempt = 0; attempt < PASSWORD_ATTEMPTS; attempt++) {
		if (pwfile != NULL ? password_read_file(pwfile, &pw, err)
				   : password_prompt("Please enter the password to decrypt the "
						     "provisioner key",
						     &pw, err))
			goto out;
		rc = jwe_decrypt_password(jwe, pw, &plain, &len, err);
		password_free(pw);
		pw = NULL;
		if (rc == 0 || pwfile != NULL || err == NULL || err->kind != ERR_INVALID)
			break;
		ui_info("%s", err->msg);
	}
	if (rc != 0) {
		err_wrap(err, "failed to decrypt JWE");
		goto out;
	}
	rc = -1;
	jwk = json_loadb((const char *)plain, len, 0, NULL);
	if (jwk == NULL) {
		err_set(err, ERR_INVALID, "the provisioner key is not a JWK");
		goto out;
	}
	rc = jwk_to_pkey(jwk, key, err);
out:
	json_decref(jwk);
	if (plain != NULL) {
		secure_wipe(plain, len);
		free(plain);
	}
	return rc;
}

/* --key: a private JWK (JSON) or a PEM/DER private key, decrypted with --password-file. */
static int load_key_file(struct cli_ctx *ctx, const char *path, EVP_PKEY **key, struct error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	json_t *jwk;
	int rc;

	if (file_read(path, KEY_FILE_MAX, &data, &len, err) != 0)
		return -1;
	if (len == 0 || data[0] != '{') {
		secure_wipe(data, len);
		free(data);
		return key_load_file(path, flag_str(ctx, "password-file"), NULL, key, err);
	}
	jwk = json_loadb((const char *)data, len, 0, NULL);
	rc = jwk != NULL ? jwk_to_pkey(jwk, key, err)
			 : err_set(err, ERR_INVALID, "error parsing %s: invalid JSON", path);
	json_decref(jwk);
	secure_wipe(data, len);
	free(data);
	return rc;
}

/* X5C: the --x5c-cert chain and the --x5c-key that signs the token. */
static int x5c_credentials(struct cli_ctx *ctx, STACK_OF(X509) * *chain, EVP_PKEY **key,
			   struct error *err)
{
	const char *keyfile = flag_str(ctx, "x5c-key");

	if (keyfile == NULL)
		return cli_err_requires(err, "x5c-cert", "x5c-key");
	if (cert_load_chain_file(flag_str(ctx, "x5c-cert"), chain, err) != 0 ||
	    key_load_file(keyfile, flag_str(ctx, "password-file"), NULL, key, err) != 0)
		return -1;
	if (!key_public_equal(*key, X509_get0_pubkey(sk_X509_value(*chain, 0))))
		return err_set(err, ERR_INVALID, "the key %s does not match the certificate %s",
			       keyfile, flag_str(ctx, "x5c-cert"));
	return 0;
}

static int provisioner_key(struct cli_ctx *ctx, const json_t *p, EVP_PKEY **key, struct error *err)
{
	char *jwe = NULL;
	int rc;

	if (flag_str(ctx, "key") != NULL)
		return load_key_file(ctx, flag_str(ctx, "key"), key, err);
	if (ca_backend_provisioner_key(ctx->ca, p, &jwe, err) != 0)
		return -1;
	rc = decrypt_jwe(ctx, jwe, key, err);
	free(jwe);
	return rc;
}

/* The kid for the token header: the provisioner's, or the key's thumbprint. */
static char *header_kid(const json_t *p, EVP_PKEY *key)
{
	char thumb[44];

	if (p != NULL && prov_kid(p) != NULL)
		return xstrdup(prov_kid(p));
	if (jwk_thumbprint(key, thumb, NULL) != 0)
		return xstrdup("");
	return xstrdup(thumb);
}

int token_flow_create(struct cli_ctx *ctx, const struct token_request *req, char **token,
		      struct error *err)
{
	struct ca_token_source s = {0};
	struct strv default_sans = {0};
	const json_t *p = NULL;
	EVP_PKEY *key = NULL;
	STACK_OF(X509) *x5c = NULL;
	char *aud = NULL, *kid = NULL, *fragment = NULL;
	int64_t nbf, exp;
	int rc = -1;

	if (token_window(req->not_before, req->not_after, time(NULL), &nbf, &exp, err) != 0)
		goto out;
	if (ca_backend_token_source(ctx->ca, &s, err) != 0)
		goto out;
	if (choose_provisioner(ctx, s.provisioners, &p, err) != 0)
		goto out;
	if (str_eq_nocase(pstr(p, "type"), "ACME") || str_eq_nocase(pstr(p, "type"), "SCEP")) {
		err_set(err, ERR_INVALID, "stride %s provisioners do not support token auth flows",
			pstr(p, "type"));
		goto out;
	}
	if (str_eq_nocase(pstr(p, "type"), "X5C")) {
		if (x5c_credentials(ctx, &x5c, &key, err) != 0)
			goto out;
		fragment = xasprintf("#x5c/%s", pstr(p, "name"));
	} else if (!str_eq_nocase(pstr(p, "type"), "JWK")) {
		err_set(err, ERR_NOT_IMPLEMENTED, "%s provisioners are not supported yet",
			pstr(p, "type"));
		goto out;
	} else if (provisioner_key(ctx, p, &key, err) != 0) {
		goto out;
	}
	kid = x5c != NULL ? header_kid(NULL, key) : header_kid(p, key);
	aud = xasprintf("%s%s%s", s.audience_base,
			req->kind == TOKEN_KIND_REVOKE ? s.revoke_path : s.sign_path,
			fragment != NULL ? fragment : "");
	if (req->kind == TOKEN_KIND_SIGN && (req->sans == NULL || req->sans->n == 0))
		strv_push(&default_sans, req->subject);
	{
		struct token_params tp = {
		    .issuer = pstr(p, "name"),
		    .kid = kid,
		    .subject = req->subject,
		    .sans = req->kind == TOKEN_KIND_REVOKE ? NULL
			    : default_sans.n > 0	   ? &default_sans
							   : req->sans,
		    .audience = aud,
		    .not_before_sec = nbf,
		    .not_after_sec = exp,
		    .root_sha = s.sha[0] != '\0' ? s.sha : NULL,
		    .cnf = req->cnf,
		    .x5c = x5c,
		};
		rc = token_build(key, &tp, token, err);
	}
out:
	EVP_PKEY_free(key);
	sk_X509_pop_free(x5c, X509_free);
	free(aud);
	free(kid);
	free(fragment);
	strv_free(&default_sans);
	ca_token_source_free(&s);
	return rc;
}

void token_info_free(struct token_info *ti)
{
	if (ti == NULL)
		return;
	free(ti->subject);
	strv_free(&ti->sans);
	free(ti->audience);
	free(ti->sha);
	memset(ti, 0, sizeof(*ti));
}

int token_flow_inspect(const char *token, struct token_info *out, struct error *err)
{
	struct jws jws = {0};
	const json_t *sans, *aud;
	size_t i;
	json_t *v;

	memset(out, 0, sizeof(*out));
	if (jws_parse(token, strlen(token), &jws, err) != 0)
		return err_wrap(err, "error parsing token");
	if (jwt_claim_str(&jws, "sub") != NULL)
		out->subject = xstrdup(jwt_claim_str(&jws, "sub"));
	if (jwt_claim_str(&jws, "sha") != NULL)
		out->sha = xstrdup(jwt_claim_str(&jws, "sha"));
	sans = json_object_get(jws.payload, "sans");
	json_array_foreach(sans, i, v)
	{
		if (json_is_string(v))
			strv_push(&out->sans, json_string_value(v));
	}
	aud = json_object_get(jws.payload, "aud");
	if (json_is_array(aud))
		aud = json_array_get(aud, 0);
	if (json_is_string(aud))
		out->audience = xstrdup(json_string_value(aud));
	jws_free(&jws);
	return 0;
}
