/* token_flow.c - provisioner selection, provisioner key, token, as step does. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/file.h"
#include "base/password.h"
#include "cli/ca_backend.h"
#include "cli/oidc_flow.h"
#include "cli/ssh_common.h"
#include "cli/token_flow.h"
#include "cli/ui.h"
#include "client/ssh_token.h"
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

/* Which provisioners a request may use: those of its credential flags, else the others. */
enum flow_mode { FLOW_DEFAULT, FLOW_X5C, FLOW_SSHPOP, FLOW_K8SSA };

/* With --x5c-cert only X5C provisioners are offered, with an SSHPOP certificate only SSHPOP
 * ones, with --k8ssa-token-path only K8sSA ones; otherwise none of the types that need their
 * own credential flags (a K8sSA provisioner is offered as step does: its token is read from
 * the default path). */
static bool type_usable(const char *type, enum flow_mode mode)
{
	static const char *const skip[] = {"X5C", "SSHPOP", "Nebula", NULL};

	if (mode == FLOW_X5C)
		return str_eq_nocase(type, "X5C");
	if (mode == FLOW_SSHPOP)
		return str_eq_nocase(type, "SSHPOP");
	if (mode == FLOW_K8SSA)
		return str_eq_nocase(type, "K8sSA");
	for (size_t i = 0; skip[i] != NULL; i++)
		if (str_eq_nocase(type, skip[i]))
			return false;
	return true;
}

static enum flow_mode flow_mode(struct cli_ctx *ctx, const struct token_request *req)
{
	if (req->sshpop_cert != NULL)
		return FLOW_SSHPOP;
	if (flag_defined(ctx, "x5c-cert") && flag_str(ctx, "x5c-cert") != NULL)
		return FLOW_X5C;
	if (flag_defined(ctx, "k8ssa-token-path") && flag_str(ctx, "k8ssa-token-path") != NULL)
		return FLOW_K8SSA;
	return FLOW_DEFAULT;
}

/* K8sSA: the token is the service-account token itself, read from --k8ssa-token-path or
 * step's default path. Trailing white space (a newline an editor added) is dropped: step-ca
 * strips white space from any token it parses. */
static int k8ssa_token(struct cli_ctx *ctx, char **token, struct error *err)
{
	const char *path =
	    flag_defined(ctx, "k8ssa-token-path") ? flag_str(ctx, "k8ssa-token-path") : NULL;
	uint8_t *data = NULL;
	size_t len = 0;

	if (path == NULL || path[0] == '\0')
		path = K8SSA_DEFAULT_TOKEN_PATH;
	if (file_read(path, KEY_FILE_MAX, &data, &len, err) != 0)
		return err_wrap(err, "error reading kubernetes service account token");
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == ' ' ||
			   data[len - 1] == '\t'))
		data[--len] = '\0';
	*token = (char *)data;
	return 0;
}

/* step prints a provisioner's type in its canonical spelling, whatever ca.json says
 * (step's local mode writes "K8SSA", "AZURE"). */
static const char *canonical_type(const char *type)
{
	static const char *const names[] = {"JWK", "OIDC",  "GCP",    "AWS",  "Azure",	"ACME",
					    "X5C", "K8sSA", "SSHPOP", "SCEP", "Nebula", NULL};

	for (size_t i = 0; names[i] != NULL; i++)
		if (str_eq_nocase(names[i], type))
			return names[i];
	return type;
}

static char *prov_label(const json_t *p)
{
	const char *type = canonical_type(pstr(p, "type")), *name = pstr(p, "name");

	if (str_eq_nocase(type, "JWK"))
		return xasprintf("%s (JWK) [kid: %s]", name, prov_kid(p) ? prov_kid(p) : "");
	if (str_eq_nocase(type, "OIDC"))
		return xasprintf("%s (OIDC) [client: %s]", name,
				 pstr(p, "clientID") ? pstr(p, "clientID") : "");
	if (str_eq_nocase(type, "Azure"))
		return xasprintf("%s (Azure) [tenant: %s]", name,
				 pstr(p, "tenantID") ? pstr(p, "tenantID") : "");
	return xasprintf("%s (%s)", name, type);
}

/* Applies --kid and --provisioner and picks one provisioner (a prompt when several remain). */
static int choose_provisioner(struct cli_ctx *ctx, enum flow_mode mode, const json_t *all,
			      const json_t **out, struct error *err)
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
		if (type == NULL || pstr(p, "name") == NULL || !type_usable(type, mode))
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
static int decrypt_jwe(struct cli_ctx *ctx, const char *jwe, bool own_flag_only, EVP_PKEY **key,
		       struct error *err)
{
	const char *pwfile = flag_str(ctx, "provisioner-password-file");
	char *pw = NULL;
	uint8_t *plain = NULL;
	size_t len = 0;
	json_t *jwk = NULL;
	int rc = -1;

	if (pwfile == NULL && !own_flag_only)
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

static int provisioner_key(struct cli_ctx *ctx, const json_t *p, bool own_flag_only, EVP_PKEY **key,
			   struct error *err)
{
	char *jwe = NULL;
	int rc;

	if (flag_str(ctx, "key") != NULL)
		return load_key_file(ctx, flag_str(ctx, "key"), key, err);
	if (ca_backend_provisioner_key(ctx->ca, p, &jwe, err) != 0)
		return -1;
	rc = decrypt_jwe(ctx, jwe, own_flag_only, key, err);
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

/* The audience path of a kind: the source's sign/revoke paths, the SSH ones next to them
 * ("/1.0/sign" -> "/1.0/ssh/sign", "/sign" -> "/ssh/sign"). malloc'd. */
static char *kind_path(const struct ca_token_source *s, enum token_kind k)
{
	static const char *const ssh_op[] = {
	    [TOKEN_KIND_SSH_SIGN] = "sign",
	    [TOKEN_KIND_SSH_REVOKE] = "revoke",
	    [TOKEN_KIND_SSH_RENEW] = "renew",
	    [TOKEN_KIND_SSH_REKEY] = "rekey",
	};
	size_t n = strlen(s->sign_path);

	if (k == TOKEN_KIND_SIGN)
		return xstrdup(s->sign_path);
	if (k == TOKEN_KIND_REVOKE)
		return xstrdup(s->revoke_path);
	if (str_has_suffix(s->sign_path, "/sign"))
		n -= strlen("/sign");
	return xasprintf("%.*s/ssh/%s", (int)n, s->sign_path, ssh_op[k]);
}

/* SSHPOP: the token is signed with the key of the SSH certificate it carries. */
static int sshpop_token(const struct token_request *req, const json_t *p, const char *aud,
			int64_t nbf, int64_t exp, const char *sha, char **token, struct error *err)
{
	struct ssh_cert cert = {0};
	EVP_PKEY *key = NULL;
	int rc = -1;

	if (req->sshpop_key == NULL)
		return cli_err_requires(err, "sshpop-cert", "sshpop-key");
	if (ssh_cli_read_cert(req->sshpop_cert, &cert, err) != 0 ||
	    ssh_cli_read_key_of(req->sshpop_key, req->sshpop_password_file, &cert.key, &key, err) !=
		0)
		goto out;
	{
		struct sshpop_params sp = {
		    .issuer = pstr(p, "name"),
		    .subject = req->subject,
		    .audience = aud,
		    .not_before_sec = nbf,
		    .not_after_sec = exp,
		    .root_sha = sha,
		    .cert = cert.blob,
		    .cert_len = cert.blob_len,
		};
		rc = token_build_sshpop(key, &sp, token, err);
	}
out:
	EVP_PKEY_free(key);
	ssh_cert_clear(&cert);
	return rc;
}

/* The key that signs the token of provisioner p (X5C: with its chain), and the fragment its
 * audience carries. */
static int signing_key(struct cli_ctx *ctx, const struct token_request *req, const json_t *p,
		       EVP_PKEY **key, STACK_OF(X509) * *x5c, char **fragment, struct error *err)
{
	const char *type = pstr(p, "type");

	if (str_eq_nocase(type, "ACME") || str_eq_nocase(type, "SCEP"))
		return err_set(err, ERR_INVALID,
			       "stride %s provisioners do not support token auth flows", type);
	if (str_eq_nocase(type, "X5C")) {
		*fragment = xasprintf("#x5c/%s", pstr(p, "name"));
		return x5c_credentials(ctx, x5c, key, err);
	}
	if (!str_eq_nocase(type, "JWK"))
		return err_set(err, ERR_NOT_IMPLEMENTED, "%s provisioners are not supported yet",
			       type);
	return provisioner_key(ctx, p, req->provisioner_password_only, key, err);
}

int token_flow_create(struct cli_ctx *ctx, const struct token_request *req, char **token,
		      struct error *err)
{
	struct ca_token_source s = {0};
	struct strv default_sans = {0};
	const json_t *p = NULL;
	EVP_PKEY *key = NULL;
	STACK_OF(X509) *x5c = NULL;
	char *aud = NULL, *kid = NULL, *fragment = NULL, *path = NULL;
	enum flow_mode mode = flow_mode(ctx, req);
	int64_t nbf, exp;
	int rc = -1;

	if (token_window(req->not_before, req->not_after, time(NULL), &nbf, &exp, err) != 0 ||
	    ca_backend_token_source(ctx->ca, &s, err) != 0 ||
	    choose_provisioner(ctx, mode, s.provisioners, &p, err) != 0)
		goto out;
	if (str_eq_nocase(pstr(p, "type"), "K8sSA")) {
		rc = k8ssa_token(ctx, token, err);
		goto out;
	}
	path = kind_path(&s, req->kind);
	if (str_eq_nocase(pstr(p, "type"), "OIDC")) {
		/* the identity provider's ID token is the token (step runs `step oauth --oidc`) */
		rc = oidc_flow_token(p, token, err);
		if (rc != 0)
			err_wrap(err, "error generating OIDC token");
		goto out;
	}
	if (mode == FLOW_SSHPOP) {
		aud = xasprintf("%s%s#sshpop/%s", s.audience_base, path, pstr(p, "name"));
		rc = sshpop_token(req, p, aud, nbf, exp, s.sha[0] != '\0' ? s.sha : NULL, token,
				  err);
		goto out;
	}
	if (signing_key(ctx, req, p, &key, &x5c, &fragment, err) != 0)
		goto out;
	kid = x5c != NULL ? header_kid(NULL, key) : header_kid(p, key);
	aud = xasprintf("%s%s%s", s.audience_base, path, fragment != NULL ? fragment : "");
	if (req->kind == TOKEN_KIND_SIGN && (req->sans == NULL || req->sans->n == 0))
		strv_push(&default_sans, req->subject);
	{
		struct token_params tp = {
		    .issuer = pstr(p, "name"),
		    .kid = kid,
		    .subject = req->subject,
		    .sans = req->kind != TOKEN_KIND_SIGN ? NULL
			    : default_sans.n > 0	 ? &default_sans
							 : req->sans,
		    .audience = aud,
		    .not_before_sec = nbf,
		    .not_after_sec = exp,
		    .root_sha = s.sha[0] != '\0' ? s.sha : NULL,
		    .cnf = req->cnf,
		    .x5c = x5c,
		    .step = req->kind == TOKEN_KIND_SSH_SIGN ? req->step : NULL,
		    .user = req->user,
		};
		rc = token_build(key, &tp, token, err);
	}
out:
	EVP_PKEY_free(key);
	sk_X509_pop_free(x5c, X509_free);
	free(aud);
	free(kid);
	free(fragment);
	free(path);
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
	free(ti->issuer);
	free(ti->email);
	memset(ti, 0, sizeof(*ti));
}

/* step's Payload.Type() for the types stride's CLI handles. */
static enum token_type token_type_of(const struct jws *jws, const struct token_info *ti)
{
	int64_t t;
	int exp = 0, iat = 0;

	if (ti->issuer != NULL && strcmp(ti->issuer, K8SSA_TOKEN_ISSUER) == 0)
		return TOKEN_TYPE_K8SSA;
	if ((ti->sha != NULL && ti->sha[0] != '\0') || ti->sans.n > 0)
		return TOKEN_TYPE_JWK;
	if (jwt_claim_time(jws, "exp", &t, &exp) != 0 || jwt_claim_time(jws, "iat", &t, &iat) != 0)
		return TOKEN_TYPE_UNKNOWN;
	if (ti->audience != NULL && ti->issuer != NULL && ti->issuer[0] != '\0' &&
	    ti->subject != NULL && ti->subject[0] != '\0' && exp && iat)
		return TOKEN_TYPE_OIDC;
	return TOKEN_TYPE_UNKNOWN;
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
	if (jwt_claim_str(&jws, "iss") != NULL)
		out->issuer = xstrdup(jwt_claim_str(&jws, "iss"));
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
	if (jwt_claim_str(&jws, "email") != NULL)
		out->email = xstrdup(jwt_claim_str(&jws, "email"));
	out->type = token_type_of(&jws, out);
	jws_free(&jws);
	return 0;
}

bool token_info_is_k8ssa(const struct token_info *ti)
{
	return ti->type == TOKEN_TYPE_K8SSA;
}
