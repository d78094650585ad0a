/* cmd_certificate.c - `stride ca certificate`, as `step ca certificate`. */
#include <ctype.h>
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

static int check_flags(struct cli_ctx *ctx, struct error *err)
{
	if (flag_str(ctx, "attestation-uri") != NULL && flag_str(ctx, "kms") != NULL)
		return cli_err_incompatible(err, "attestation-uri", "kms");
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

/* An OIDC token's CSR names, as step's CreateSignRequest picks them: without --san, when the
 * argument is the token's e-mail, CN = the token's sub with the e-mail and "<iss>#<sub>" as SANs
 * (what the CA gives a non-admin anyway); else CN = the argument with --san or the argument. */
static void oidc_names(const char *subject, const struct strv *sans, const struct token_info *ti,
		       char **cn, struct strv *sans_out)
{
	if (sans->n == 0 && ti->email != NULL && ti->email[0] != '\0' &&
	    str_eq_nocase(subject, ti->email)) {
		const char *iss = ti->issuer, *c = iss;
		*cn = xstrdup(ti->subject);
		strv_push(sans_out, ti->email);
		while (*c != '\0' && (isalnum((unsigned char)*c) || strchr("+-.", *c) != NULL))
			c++;
		if (isalpha((unsigned char)iss[0]) && *c == ':') {
			char *uri = xasprintf("%.*s#%s", (int)strcspn(iss, "#"), iss, ti->subject);
			strv_push(sans_out, uri);
			free(uri);
		}
		return;
	}
	*cn = xstrdup(subject);
	for (size_t i = 0; i < sans->n; i++)
		strv_push(sans_out, sans->v[i]);
	if (sans->n == 0)
		strv_push(sans_out, subject);
}

/* The token: --token or a new one for subject + SANs. *cn and sans_out get the names the CSR
 * will carry: for step's tokens the subject (with a --token, its subject must be the argument)
 * and --san, the token's sans or the subject; for ID tokens see oidc_names. */
static int get_token(struct cli_ctx *ctx, const char *subject, char **token, char **cn,
		     struct strv *sans_out, struct error *err)
{
	const struct strv *sans = flag_list(ctx, "san");
	bool given = flag_str(ctx, "token") != NULL;
	struct token_info ti = {0};
	int rc = -1;

	if (!given) {
		struct token_request req = {
		    .kind = TOKEN_KIND_SIGN, .subject = subject, .sans = sans};
		if (token_flow_create(ctx, &req, token, err) != 0)
			return -1;
	} else {
		*token = xstrdup(flag_str(ctx, "token"));
	}
	if (token_flow_inspect(*token, &ti, err) != 0)
		goto out;
	if (ti.type == TOKEN_TYPE_OIDC) {
		oidc_names(subject, sans, &ti, cn, sans_out);
		rc = 0;
		goto out;
	}
	if (ti.type == TOKEN_TYPE_K8SSA) { /* the CA copies the CSR's names: --san only */
		for (size_t i = 0; i < sans->n; i++)
			strv_push(sans_out, sans->v[i]);
		*cn = xstrdup(subject);
		rc = 0;
		goto out;
	}
	if (given && sans->n > 0) {
		cli_err_exclusive(err, "token", "san");
		goto out;
	}
	if (given && (ti.subject == NULL || !str_eq_nocase(ti.subject, subject))) {
		err_set(err, ERR_INVALID, "token subject '%s' and argument '%s' do not match",
			ti.subject != NULL ? ti.subject : "", subject);
		goto out;
	}
	if (given)
		for (size_t i = 0; i < ti.sans.n; i++)
			strv_push(sans_out, ti.sans.v[i]);
	else
		for (size_t i = 0; i < sans->n; i++)
			strv_push(sans_out, sans->v[i]);
	if (sans_out->n == 0)
		strv_push(sans_out, subject);
	*cn = xstrdup(subject);
	rc = 0;
out:
	token_info_free(&ti);
	if (rc != 0) {
		password_free(*token);
		*token = NULL;
	}
	return rc;
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
	char *token = NULL, *chain = NULL, *key_pem = NULL, *cn = NULL;
	int rc = -1;

	if (check_flags(ctx, err) != 0 ||
	    key_spec_parse(flag_str(ctx, "kty"), flag_str(ctx, "curve"), flag_str(ctx, "size"),
			   &spec, err) != 0 ||
	    confirm_outputs(ctx, outputs, err) != 0 ||
	    get_token(ctx, subject, &token, &cn, &sans, err) != 0 ||
	    key_generate(&spec, &key, err) != 0 || csr_create(key, cn, &sans, &csr, err) != 0 ||
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
	free(cn);
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
