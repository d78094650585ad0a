/* issue.c - one issuance through the CA end the flags selected (cli/ca_backend.h). */
#include "cli/issue.h"

#include "cli/ca_backend.h"
#include "cli/template_data.h"
#include "cli/ui.h"

int cli_issue_check_flags(struct cli_ctx *ctx, struct error *err)
{
	static const char *const unsupported[] = {"acme", "kms", NULL};
	json_t *data = NULL;

	if (flag_str(ctx, "token") != NULL && flag_bool(ctx, "offline"))
		return cli_err_incompatible(err, "token", "offline");
	/* template data goes to a running CA only, as step's --offline refuses it */
	if (flag_bool(ctx, "offline") &&
	    (flag_list(ctx, "set")->n > 0 || flag_str(ctx, "set-file") != NULL))
		return cli_err_incompatible(err, "offline", "set");
	if (cli_template_data(ctx, &data, err) != 0)
		return -1;
	json_decref(data);
	for (size_t i = 0; unsupported[i] != NULL; i++)
		if (flag_str(ctx, unsupported[i]) != NULL)
			return err_set(err, ERR_NOT_IMPLEMENTED, "flag '--%s' is not supported yet",
				       unsupported[i]);
	return 0;
}

int cli_issue(struct cli_ctx *ctx, X509_REQ *csr, const char *token, const char *not_before,
	      const char *not_after, char **chain_pem, struct error *err)
{
	*chain_pem = NULL;
	if (ca_backend_connect(ctx->ca, token, err) != 0)
		return -1;
	if (ca_backend_remote(ctx->ca)) /* in-process there is no CA to name */
		ui_status("CA", "%s", ca_backend_url(ctx->ca));
	return ca_backend_sign(ctx->ca, csr, token, not_before, not_after, chain_pem, err);
}
