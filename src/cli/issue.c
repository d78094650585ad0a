/* issue.c - one issuance, online (POST /sign) or offline (authority_sign). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "authority/authority.h"
#include "base/buf.h"
#include "cli/issue.h"
#include "cli/offline.h"
#include "cli/token_flow.h"
#include "cli/ui.h"
#include "client/ca_client.h"
#include "crypto/cert.h"
#include "crypto/csr.h"

#define CHAIN_MAX (1024u * 1024u)

/* A client for the CA the token names: its audience host, its root pinned by "sha". */
static int client_from_token(const char *token, struct ca_client **out, struct error *err)
{
	struct token_info ti = {0};
	struct ca_client *insecure = NULL;
	char *root = NULL;
	int rc = -1;

	if (token_flow_inspect(token, &ti, err) != 0)
		return -1;
	if (ti.sha == NULL || ti.audience == NULL || strncmp(ti.audience, "https://", 8) != 0) {
		err_set(err, ERR_INVALID, "'stride ca certificate' requires the '--ca-url' flag");
		goto out;
	}
	{
		struct ca_client_config cfg = {.ca_url = ti.audience, .insecure = true};
		if (ca_client_new(&cfg, &insecure, err) != 0 ||
		    ca_client_root(insecure, ti.sha, &root, err) != 0)
			goto out;
	}
	{
		struct ca_client_config cfg = {.ca_url = ti.audience, .root_pem = root};
		rc = ca_client_new(&cfg, out, err);
	}
out:
	ca_client_free(insecure);
	free(root);
	token_info_free(&ti);
	return rc;
}

/* The chain of a SignResponse: certChain, or [crt, ca] from older servers. */
int cli_response_chain(const json_t *resp, char **out, struct error *err)
{
	const json_t *chain = json_object_get(resp, "certChain");
	struct buf b;
	size_t i;
	json_t *v;
	bool owned = false;
	int rc = -1;

	buf_init(&b, CHAIN_MAX);
	if (!json_is_array(chain) || json_array_size(chain) == 0) {
		/* "crt" then "ca" (either may be missing or null) */
		static const char *const keys[] = {"crt", "ca"};
		chain = json_array();
		owned = true;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (json_is_string(json_object_get(resp, keys[k])))
				json_array_append((json_t *)chain, json_object_get(resp, keys[k]));
	}
	json_array_foreach(chain, i, v)
	{
		const char *s = json_string_value(v);
		if (s == NULL)
			continue;
		if (buf_append_str(&b, s, err) != 0)
			goto out;
		if (s[0] != '\0' && s[strlen(s) - 1] != '\n' && buf_append_str(&b, "\n", err) != 0)
			goto out;
	}
	if (b.len == 0 || strstr((const char *)b.data, "BEGIN CERTIFICATE") == NULL) {
		err_set(err, ERR_INVALID, "the CA's answer has no certificate");
		goto out;
	}
	*out = buf_steal(&b);
	rc = 0;
out:
	if (owned)
		json_decref((json_t *)chain);
	buf_free(&b);
	return rc;
}

static int issue_online(struct cli_ctx *ctx, X509_REQ *csr, const char *token,
			const char *not_before, const char *not_after, char **chain_pem,
			struct error *err)
{
	struct ca_client *client = NULL;
	json_t *resp = NULL;
	char *csr_pem = NULL;
	int rc = -1;

	if (flag_str(ctx, "ca-url") != NULL ? cli_client_new(ctx, &client, err)
					    : client_from_token(token, &client, err))
		goto out;
	ui_status("CA", "%s", ca_client_url(client));
	if (csr_to_pem(csr, &csr_pem, err) != 0 ||
	    ca_client_sign(client, csr_pem, token, not_before, not_after, NULL, &resp, err) != 0 ||
	    cli_response_chain(resp, chain_pem, err) != 0)
		goto out;
	rc = 0;
out:
	json_decref(resp);
	free(csr_pem);
	ca_client_free(client);
	return rc;
}

static int issue_offline(struct cli_ctx *ctx, X509_REQ *csr, const char *token,
			 const char *not_before, const char *not_after, char **chain_pem,
			 struct error *err)
{
	struct authority *a = NULL;
	struct issued issued = {0};
	int rc = -1;

	if (offline_authority_open(flag_str(ctx, "ca-config"), flag_str(ctx, "password-file"), &a,
				   err) != 0)
		return -1;
	{
		struct sign_request req = {
		    .csr = csr, .ott = token, .not_before = not_before, .not_after = not_after};
		if (authority_sign(a, &req, &issued, err) != 0) /* checks the CSR as online */
			goto out;
	}
	rc = issued_chain_pem(&issued, chain_pem, err);
out:
	issued_free(&issued);
	authority_free(a);
	return rc;
}

int cli_issue_check_flags(struct cli_ctx *ctx, struct error *err)
{
	static const char *const unsupported[] = {"acme", "kms", "set-file", NULL};

	if (flag_str(ctx, "token") != NULL && flag_bool(ctx, "offline"))
		return cli_err_incompatible(err, "token", "offline");
	for (size_t i = 0; unsupported[i] != NULL; i++)
		if (flag_str(ctx, unsupported[i]) != NULL)
			return err_set(err, ERR_NOT_IMPLEMENTED, "flag '--%s' is not supported yet",
				       unsupported[i]);
	if (flag_list(ctx, "set")->n > 0)
		return err_set(err, ERR_NOT_IMPLEMENTED, "flag '--set' is not supported yet");
	return 0;
}

int cli_issue(struct cli_ctx *ctx, X509_REQ *csr, const char *token, const char *not_before,
	      const char *not_after, char **chain_pem, struct error *err)
{
	if (flag_bool(ctx, "offline"))
		return issue_offline(ctx, csr, token, not_before, not_after, chain_pem, err);
	return issue_online(ctx, csr, token, not_before, not_after, chain_pem, err);
}
