/* ca_backend.c - choosing the CA end once, and the calls every command goes through. */
#include "cli/ca_backend.h"

#include <stdlib.h>
#include <string.h>

#include "cli/command.h"

struct ca_backend *ca_backend_select(const struct cli_ctx *ctx)
{
	if (flag_defined(ctx, "offline") && flag_bool(ctx, "offline"))
		return ca_backend_offline(ctx);
	return ca_backend_online(ctx);
}

void ca_backend_free(struct ca_backend *be)
{
	if (be == NULL)
		return;
	if (be->ops->close != NULL)
		be->ops->close(be);
	free(be);
}

void ca_token_source_free(struct ca_token_source *s)
{
	if (s == NULL)
		return;
	json_decref(s->provisioners);
	free(s->audience_base);
	memset(s, 0, sizeof(*s));
}

bool ca_backend_remote(const struct ca_backend *be)
{
	return be->ops->remote;
}

int ca_backend_connect(struct ca_backend *be, const char *token, struct error *err)
{
	if (be->connected)
		return 0;
	if (be->ops->connect(be, token, err) != 0)
		return -1;
	be->connected = true;
	return 0;
}

const char *ca_backend_url(const struct ca_backend *be)
{
	return be->connected ? be->ops->url(be) : NULL;
}

int ca_backend_token_source(struct ca_backend *be, struct ca_token_source *out, struct error *err)
{
	memset(out, 0, sizeof(*out));
	if (be->ops->token_source(be, out, err) != 0) {
		ca_token_source_free(out);
		return -1;
	}
	return 0;
}

int ca_backend_provisioner_key(struct ca_backend *be, const json_t *prov, char **jwe,
			       struct error *err)
{
	*jwe = NULL;
	return be->ops->provisioner_key(be, prov, jwe, err);
}

int ca_backend_sign(struct ca_backend *be, X509_REQ *csr, const char *token, const char *not_before,
		    const char *not_after, char **chain_pem, struct error *err)
{
	*chain_pem = NULL;
	if (ca_backend_connect(be, token, err) != 0)
		return -1;
	return be->ops->sign(be, csr, token, not_before, not_after, chain_pem, err);
}

int ca_backend_renew(struct ca_backend *be, STACK_OF(X509) * chain, EVP_PKEY *key,
		     const char *token, char **chain_pem, struct error *err)
{
	*chain_pem = NULL;
	if (ca_backend_connect(be, NULL, err) != 0)
		return -1;
	return be->ops->renew(be, chain, key, token, chain_pem, err);
}

int ca_backend_rekey(struct ca_backend *be, STACK_OF(X509) * chain, EVP_PKEY *key, X509_REQ *csr,
		     char **chain_pem, struct error *err)
{
	*chain_pem = NULL;
	if (ca_backend_connect(be, NULL, err) != 0)
		return -1;
	return be->ops->rekey(be, chain, key, csr, chain_pem, err);
}

int ca_backend_revoke(struct ca_backend *be, const struct ca_revoke_request *req, struct error *err)
{
	if (ca_backend_connect(be, req->ott, err) != 0)
		return -1;
	return be->ops->revoke(be, req, err);
}

int ca_backend_admin_open(struct ca_backend *be, struct error *err)
{
	if (be->ops->admin_open == NULL)
		return 0;
	return be->ops->admin_open(be, err);
}

int ca_backend_eab_add(struct ca_backend *be, const char *prov, const char *reference,
		       struct acme_eab_key *out, struct error *err)
{
	if (be->ops->eab_add == NULL)
		return err_set(err, ERR_NOT_IMPLEMENTED, "ACME EAB keys are not available here");
	return be->ops->eab_add(be, prov, reference, out, err);
}

int ca_backend_eab_list(struct ca_backend *be, const char *prov, const char *reference,
			const char *cursor, size_t limit, struct acme_eab_key **out, size_t *n,
			char **next_cursor, struct error *err)
{
	*out = NULL;
	*n = 0;
	*next_cursor = NULL;
	if (be->ops->eab_list == NULL)
		return err_set(err, ERR_NOT_IMPLEMENTED, "ACME EAB keys are not available here");
	return be->ops->eab_list(be, prov, reference, cursor, limit, out, n, next_cursor, err);
}

int ca_backend_eab_remove(struct ca_backend *be, const char *prov, const char *id,
			  struct error *err)
{
	if (be->ops->eab_remove == NULL)
		return err_set(err, ERR_NOT_IMPLEMENTED, "ACME EAB keys are not available here");
	return be->ops->eab_remove(be, prov, id, err);
}
