/* cmd_certificate.c - `stride ca certificate`, as `step ca certificate`. */
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/password.h"
#include "cli/command.h"
#include "cli/issue.h"
#include "cli/token_flow.h"
#include "cli/ui.h"
#include "crypto/csr.h"
#include "crypto/key.h"

static const struct flag_def certificate_flags[] = {
    ISSUE_FLAGS,
    {.name = "san",
     .type = FLAG_LIST,
     .placeholder = "dns|ip|email|uri",
     .help = "A Subject Alternative Name for the certificate; repeat for several (default: "
	     "the subject)."},
    {.name = "kty",
     .type = FLAG_STRING,
     .placeholder = "kty",
     .help = "The key type to create: EC (default), OKP (Ed25519) or RSA."},
    {.name = "curve",
     .aliases = "crv",
     .type = FLAG_STRING,
     .placeholder = "curve",
     .help = "The curve: P-256 (default), P-384, P-521 for EC; Ed25519 for OKP."},
    {.name = "size",
     .type = FLAG_STRING,
     .placeholder = "size",
     .help = "The RSA key size in bits (default 2048, at least 2048)."},
    {.name = "attestation-uri",
     .type = FLAG_STRING,
     .placeholder = "uri",
     .help = "Key attestation URI (not supported yet)."},
    FLAG_END,
};

/* step: --token and --san exclude each other for JWK tokens only; a service-account token
 * leaves the names to the CSR. */
static bool token_is_k8ssa(const char *token)
{
	struct token_info ti = {0};
	bool k8s = token_flow_inspect(token, &ti, NULL) == 0 && token_info_is_k8ssa(&ti);

	token_info_free(&ti);
	return k8s;
}

static int check_flags(struct cli_ctx *ctx, struct error *err)
{
	if (flag_str(ctx, "attestation-uri") != NULL && flag_str(ctx, "kms") != NULL)
		return cli_err_incompatible(err, "attestation-uri", "kms");
	if (flag_str(ctx, "token") != NULL && flag_list(ctx, "san")->n > 0 &&
	    !token_is_k8ssa(flag_str(ctx, "token")))
		return cli_err_exclusive(err, "token", "san");
	if (flag_str(ctx, "attestation-uri") != NULL)
		return err_set(err, ERR_NOT_IMPLEMENTED,
			       "flag '--attestation-uri' is not supported yet");
	return cli_issue_check_flags(ctx, err);
}

/* Asks about existing output files before any work is done (a token is single-use). */
static int confirm_outputs(struct cli_ctx *ctx, const char *const *paths, struct error *err)
{
	if (flag_bool(ctx, "force"))
		return 0;
	for (; *paths != NULL; paths++)
		if (file_exists(*paths) && ui_confirm_overwrite(*paths, err) != 0)
			return -1;
	return 0;
}

/* The token: --token (its subject must be the argument) or a new one for subject + SANs.
 * sans_out gets the names the CSR will carry: the token's (default [subject]), or for a
 * service-account token (K8sSA) those of --san only, as step builds the CSR. */
static int get_token(struct cli_ctx *ctx, const char *subject, char **token, struct strv *sans_out,
		     struct error *err)
{
	const struct strv *sans = flag_list(ctx, "san");
	struct token_info ti = {0};

	if (flag_str(ctx, "token") == NULL) {
		struct token_request req = {
		    .kind = TOKEN_KIND_SIGN, .subject = subject, .sans = sans};
		for (size_t i = 0; i < sans->n; i++)
			strv_push(sans_out, sans->v[i]);
		if (token_flow_create(ctx, &req, token, err) != 0)
			return -1;
		if (sans->n == 0 && !token_is_k8ssa(*token))
			strv_push(sans_out, subject);
		return 0;
	}
	if (token_flow_inspect(flag_str(ctx, "token"), &ti, err) != 0)
		return -1;
	if (token_info_is_k8ssa(&ti)) {
		for (size_t i = 0; i < sans->n; i++)
			strv_push(sans_out, sans->v[i]);
		token_info_free(&ti);
		*token = xstrdup(flag_str(ctx, "token"));
		return 0;
	}
	if (ti.subject == NULL || !str_eq_nocase(ti.subject, subject)) {
		err_set(err, ERR_INVALID, "token subject '%s' and argument '%s' do not match",
			ti.subject != NULL ? ti.subject : "", subject);
		token_info_free(&ti);
		return -1;
	}
	for (size_t i = 0; i < ti.sans.n; i++)
		strv_push(sans_out, ti.sans.v[i]);
	if (ti.sans.n == 0)
		strv_push(sans_out, subject);
	token_info_free(&ti);
	*token = xstrdup(flag_str(ctx, "token"));
	return 0;
}

static int certificate_run(struct cli_ctx *ctx, struct error *err)
{
	const char *subject = cli_arg(ctx, 0), *crt_file = cli_arg(ctx, 1);
	const char *key_file = cli_arg(ctx, 2);
	const char *outputs[] = {crt_file, key_file, NULL};
	struct key_spec spec;
	struct strv sans = {0};
	EVP_PKEY *key = NULL;
	X509_REQ *csr = NULL;
	char *token = NULL, *chain = NULL, *key_pem = NULL;
	int rc = -1;

	if (check_flags(ctx, err) != 0 ||
	    key_spec_parse(flag_str(ctx, "kty"), flag_str(ctx, "curve"), flag_str(ctx, "size"),
			   &spec, err) != 0 ||
	    confirm_outputs(ctx, outputs, err) != 0 ||
	    get_token(ctx, subject, &token, &sans, err) != 0 ||
	    key_generate(&spec, &key, err) != 0 ||
	    csr_create(key, subject, &sans, &csr, err) != 0 ||
	    cli_issue(ctx, csr, token, flag_str(ctx, "not-before"), flag_str(ctx, "not-after"),
		      &chain, err) != 0 ||
	    key_private_to_pem(key, NULL, &key_pem, err) != 0)
		goto out;
	/* Both files are complete on disk before either is renamed into place. */
	if (file_write_pair_atomic(crt_file, chain, strlen(chain), 0600, key_file, key_pem,
				   strlen(key_pem), 0600, err) != 0)
		goto out;
	ui_status("Certificate", "%s", crt_file);
	ui_status("Private Key", "%s", key_file);
	rc = 0;
out:
	password_free(key_pem);
	password_free(token);
	free(chain);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	strv_free(&sans);
	return rc;
}

const struct command cmd_ca_certificate = {
    .name = "certificate",
    .summary = "generate a new private key and certificate signed by the root certificate",
    .args = "<subject> <crt-file> <key-file>",
    .description = "Generates a new key pair, sends a certificate request for <subject> to the CA\n"
		   "and writes the certificate chain (leaf, then intermediates) to <crt-file> and\n"
		   "the unencrypted private key to <key-file>, both with mode 0600 and replaced\n"
		   "atomically.\n\n"
		   "The request is authorized by --token, or by a token made with the selected\n"
		   "provisioner (see 'stride ca token'). With --offline the authority of\n"
		   "--ca-config runs in-process and no server is needed.",
    .flags = certificate_flags,
    .min_args = 3,
    .max_args = 3,
    .run = certificate_run,
};
