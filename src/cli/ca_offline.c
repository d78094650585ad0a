/* ca_offline.c - the CA end in-process for --offline, as step runs step-ca's: the authority of
 * --ca-config with its store, called through its blocking API. The provisioners for tokens
 * come from ca.json alone (no key password needed for that). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "authority/authority.h"
#include "base/file.h"
#include "base/password.h"
#include "cli/ca_backend.h"
#include "cli/command.h"
#include "config/ca_config.h"
#include "crypto/key.h"
#include "store/store.h"

struct offline {
	struct authority *auth;
	struct authority *admin; /* for administration: no CA key (authority_new_admin) */
	char *url;		 /* https://<dnsNames[0]> */
	struct ca_config *cfg;	 /* ca.json as read for the token source */
};

static struct offline *state_of(const struct ca_backend *be)
{
	return be->state;
}

/* https://<dns> (IPv6 bracketed); malloc'd. */
static char *url_for(const char *dns)
{
	return xasprintf(strchr(dns, ':') != NULL ? "https://[%s]" : "https://%s", dns);
}

/* Loads ca_config (must have at least one provisioner), opens its store and builds the
 * authority. The intermediate key password comes from password_file when given, else from
 * ca.json's "password", else a terminal prompt. */
static int authority_open(const char *ca_config, const char *password_file, struct authority **out,
			  struct error *err)
{
	struct ca_config *cfg = NULL;
	struct store *store = NULL;
	struct store_config db;
	char *password = NULL;
	int rc = -1;

	if (ca_config_load(ca_config, &cfg, err) != 0)
		goto out;
	if (cfg->provisioners == NULL || json_array_size(cfg->provisioners) == 0) {
		err_set(err, ERR_INVALID, "error parsing %s: no provisioners found", ca_config);
		goto out;
	}
	if (key_file_password(cfg->key, password_file, cfg->password, &password, err) != 0)
		goto out;
	/* The "issued before the CA started" rule protects a server whose replay records may
	 * have been lost in a restart. In-process, the token is made moments before the
	 * authority exists, so the rule would refuse every offline token. */
	cfg->disable_issued_at_check = true;
	db = (struct store_config){cfg->db_type, cfg->db_data_source, cfg->db_database};
	if (cfg->has_db ? store_open(&db, &store, err) : store_open_memory(&store, err))
		goto out;
	if (authority_new(cfg, password, store, out, err) != 0)
		goto out;
	cfg = NULL;
	store = NULL;
	rc = 0;
out:
	password_free(password);
	store_close(store);
	ca_config_free(cfg);
	return rc;
}

static int offline_connect(struct ca_backend *be, const char *token, struct error *err)
{
	struct offline *s = state_of(be);

	(void)token;
	if (authority_open(flag_str(be->ctx, "ca-config"), flag_str(be->ctx, "password-file"),
			   &s->auth, err) != 0)
		return -1;
	s->url = url_for(authority_config(s->auth)->dns_names.v[0]);
	return 0;
}

static const char *offline_url(const struct ca_backend *be)
{
	return state_of(be)->url;
}

static int offline_token_source(struct ca_backend *be, struct ca_token_source *out,
				struct error *err)
{
	struct offline *s = state_of(be);
	const struct cli_ctx *ctx = be->ctx;
	const char *path = flag_str(ctx, "ca-config");

	out->sign_path = "/sign";
	out->revoke_path = "/revoke";
	if (path != NULL && file_exists(path)) {
		ca_config_free(s->cfg);
		s->cfg = NULL;
		if (ca_config_load(path, &s->cfg, err) != 0)
			return -1;
		if (json_array_size(s->cfg->provisioners) == 0)
			return err_set(err, ERR_INVALID, "error parsing %s: no provisioners found",
				       path);
		out->provisioners = json_incref(s->cfg->provisioners);
		out->audience_base = url_for(s->cfg->dns_names.v[0]);
		return ca_root_file_sha(s->cfg->roots.v[0], out->sha, err);
	}
	/* No ca.json: everything must come from flags. */
	if (cli_require_flags(ctx, err, "provisioner", "key", "root", "ca-url", NULL) != 0 ||
	    cli_ca_url(ctx, &out->audience_base, err) != 0 ||
	    ca_root_file_sha(flag_str(ctx, "root"), out->sha, err) != 0)
		return -1;
	out->provisioners =
	    json_pack("[{s:s, s:s}]", "type", "JWK", "name", flag_str(ctx, "provisioner"));
	if (flag_str(ctx, "kid") != NULL)
		json_object_set_new(json_array_get(out->provisioners, 0), "key",
				    json_pack("{s:s}", "kid", flag_str(ctx, "kid")));
	return 0;
}

static int offline_provisioner_key(struct ca_backend *be, const json_t *prov, char **jwe,
				   struct error *err)
{
	const char *enc = json_string_value(json_object_get(prov, "encryptedKey"));
	const char *kid = json_string_value(json_object_get(json_object_get(prov, "key"), "kid"));

	(void)be;
	if (enc == NULL)
		return err_set(
		    err, ERR_INVALID, "provisioner '%s' does not have an 'encryptedKey' property",
		    kid != NULL ? kid : json_string_value(json_object_get(prov, "name")));
	*jwe = xstrdup(enc);
	return 0;
}

static int offline_sign(struct ca_backend *be, X509_REQ *csr, const char *token,
			const char *not_before, const char *not_after, char **chain_pem,
			struct error *err)
{
	struct sign_request req = {
	    .csr = csr, .ott = token, .not_before = not_before, .not_after = not_after};
	struct issued issued = {0};
	int rc = -1;

	if (authority_sign(state_of(be)->auth, &req, &issued, err) != 0) /* checks the CSR */
		goto out;
	rc = issued_chain_pem(&issued, chain_pem, err);
out:
	issued_free(&issued);
	return rc;
}

/* A renewal (token, or the certificate as the authenticated peer) or a rekey (csr). */
static int renew_call(struct ca_backend *be, STACK_OF(X509) * chain, const char *token,
		      X509_REQ *csr, char **chain_pem, struct error *err)
{
	struct renew_request rq = {.csr = csr};
	struct issued issued = {0};
	STACK_OF(X509) *peer_chain = NULL;
	int rc = -1;

	if (token != NULL) {
		rq.bearer_token = token;
	} else {
		/* In-process there is no handshake: the pair was checked when it was loaded, the
		 * authority verifies the chain itself (peer_verified = false). */
		peer_chain = sk_X509_new_null();
		for (int i = 1; i < sk_X509_num(chain); i++)
			sk_X509_push(peer_chain, sk_X509_value(chain, i));
		rq.peer = sk_X509_value(chain, 0);
		rq.peer_chain = peer_chain;
		rq.peer_verified = false;
	}
	if (authority_renew(state_of(be)->auth, &rq, &issued, err) != 0)
		goto out;
	rc = issued_chain_pem(&issued, chain_pem, err);
out:
	sk_X509_free(peer_chain);
	issued_free(&issued);
	return rc;
}

static int offline_renew(struct ca_backend *be, STACK_OF(X509) * chain, EVP_PKEY *key,
			 const char *token, char **chain_pem, struct error *err)
{
	(void)key;
	return renew_call(be, chain, token, NULL, chain_pem, err);
}

static int offline_rekey(struct ca_backend *be, STACK_OF(X509) * chain, EVP_PKEY *key,
			 X509_REQ *csr, char **chain_pem, struct error *err)
{
	(void)key; /* the authority takes the new key in the CSR, as /rekey does */
	return renew_call(be, chain, NULL, csr, chain_pem, err);
}

static int offline_revoke(struct ca_backend *be, const struct ca_revoke_request *r,
			  struct error *err)
{
	/* In-process there is no handshake: the key was checked against the certificate when
	 * it was loaded, and the authority verifies the certificate's chain. */
	struct revoke_request req = {
	    .serial = r->serial,
	    .ott = r->ott,
	    .peer = r->chain != NULL ? sk_X509_value(r->chain, 0) : NULL,
	    .peer_verified = false,
	    .reason_code = r->reason_code,
	    .reason = r->reason != NULL ? r->reason : "",
	    .passive = true,
	};
	char *normalized = NULL;
	int rc = authority_revoke(state_of(be)->auth, &req, &normalized, err);

	free(normalized);
	return rc;
}

static void offline_close(struct ca_backend *be)
{
	struct offline *s = state_of(be);

	if (s != NULL) {
		authority_free(s->auth);
		authority_free(s->admin);
		ca_config_free(s->cfg);
		free(s->url);
	}
	free(s);
}

/* The authority for administration commands: the provisioners of --ca-config and its store,
 * which must be a database (ACME is served only with one). Opened once. */
static int admin_open(struct ca_backend *be, struct authority **out, struct error *err)
{
	struct offline *s = state_of(be);
	const char *path = flag_str(be->ctx, "ca-config");
	struct ca_config *cfg = NULL;
	struct store *store = NULL;
	struct store_config db;
	int rc = -1;

	if (s->admin != NULL) {
		*out = s->admin;
		return 0;
	}
	if (path == NULL) {
		cli_err_required(be->ctx, err, "ca-config");
		goto out;
	}
	if (ca_config_load(path, &cfg, err) != 0)
		goto out;
	if (!cfg->has_db) {
		err_set(err, ERR_INVALID, "%s has no \"db\": ACME and its EAB keys need a database",
			path);
		goto out;
	}
	db = (struct store_config){cfg->db_type, cfg->db_data_source, cfg->db_database};
	if (store_open(&db, &store, err) != 0 ||
	    authority_new_admin(cfg, store, &s->admin, err) != 0)
		goto out;
	cfg = NULL;
	store = NULL;
	*out = s->admin;
	rc = 0;
out:
	store_close(store);
	ca_config_free(cfg);
	return rc;
}

static int offline_eab_add(struct ca_backend *be, const char *prov, const char *reference,
			   struct acme_eab_key *out, struct error *err)
{
	struct authority *a;

	if (admin_open(be, &a, err) != 0)
		return -1;
	return acme_eab_key_add(a, prov, reference, out, err);
}

static int offline_eab_list(struct ca_backend *be, const char *prov, const char *reference,
			    const char *cursor, size_t limit, struct acme_eab_key **out, size_t *n,
			    char **next_cursor, struct error *err)
{
	struct authority *a;

	if (admin_open(be, &a, err) != 0)
		return -1;
	return acme_eab_key_list(a, prov, reference, cursor, limit, out, n, next_cursor, err);
}

static int offline_eab_remove(struct ca_backend *be, const char *prov, const char *id,
			      struct error *err)
{
	struct authority *a;

	if (admin_open(be, &a, err) != 0)
		return -1;
	return acme_eab_key_remove(a, prov, id, err);
}

static const struct ca_backend_ops offline_ops = {
    .remote = false,
    .connect = offline_connect,
    .url = offline_url,
    .token_source = offline_token_source,
    .provisioner_key = offline_provisioner_key,
    .sign = offline_sign,
    .renew = offline_renew,
    .rekey = offline_rekey,
    .revoke = offline_revoke,
    .eab_add = offline_eab_add,
    .eab_list = offline_eab_list,
    .eab_remove = offline_eab_remove,
    .close = offline_close,
};

struct ca_backend *ca_backend_offline(const struct cli_ctx *ctx)
{
	struct ca_backend *be = xcalloc(1, sizeof(*be));

	be->ops = &offline_ops;
	be->ctx = ctx;
	be->state = xcalloc(1, sizeof(struct offline));
	return be;
}
