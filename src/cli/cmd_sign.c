/* cmd_sign.c - `stride ca sign`, as `step ca sign`. */
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/password.h"
#include "cli/command.h"
#include "cli/issue.h"
#include "cli/token_flow.h"
#include "cli/ui.h"
#include "crypto/csr.h"

#define CSR_FILE_MAX (1024u * 1024u)

static const struct flag_def sign_flags[] = {
    ISSUE_FLAGS,
    FLAG_END,
};

static int read_csr(const char *path, X509_REQ **csr, struct error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = -1;

	if (file_read(path, CSR_FILE_MAX, &data, &len, err) != 0)
		return -1;
	if (csr_parse(data, len, csr, err) != 0) {
		err_set(err, ERR_INVALID, "error parsing %s: file is not a certificate request",
			path);
		goto out;
	}
	if (csr_verify(*csr, err) != 0) {
		err_wrap(err, "csr has invalid signature");
		goto out;
	}
	rc = 0;
out:
	free(data);
	return rc;
}

/* The token's SANs: every CSR SAN, DNS then IPs, emails, URIs, without duplicates. */
static void csr_sans(const struct names *n, struct strv *out)
{
	const struct strv *lists[] = {&n->dns, &n->ip, &n->email, &n->uri};

	for (size_t l = 0; l < 4; l++)
		for (size_t i = 0; i < lists[l]->n; i++)
			if (!strv_contains(out, lists[l]->v[i]))
				strv_push(out, lists[l]->v[i]);
	if (out->n == 0)
		strv_push(out, n->cn);
}

static int get_token(struct cli_ctx *ctx, X509_REQ *csr, const struct names *n, char **token,
		     struct error *err)
{
	struct token_info ti = {0};
	struct strv sans = {0};
	char *cnf = NULL;
	int rc;

	if (flag_str(ctx, "token") != NULL) {
		if (token_flow_inspect(flag_str(ctx, "token"), &ti, err) != 0)
			return -1;
		/* a service-account token's subject is not the CSR's (step checks JWK tokens) */
		rc = token_info_is_k8ssa(&ti) ||
			     (ti.subject != NULL && str_eq_nocase(ti.subject, n->cn))
			 ? 0
			 : err_set(err, ERR_INVALID,
				   "token subject '%s' and CSR CommonName '%s' do not match",
				   ti.subject != NULL ? ti.subject : "", n->cn);
		token_info_free(&ti);
		if (rc == 0)
			*token = xstrdup(flag_str(ctx, "token"));
		return rc;
	}
	csr_sans(n, &sans);
	rc = csr_fingerprint_b64url(csr, &cnf, err);
	if (rc == 0) {
		struct token_request req = {
		    .kind = TOKEN_KIND_SIGN, .subject = n->cn, .sans = &sans, .cnf = cnf};
		rc = token_flow_create(ctx, &req, token, err);
	}
	free(cnf);
	strv_free(&sans);
	return rc;
}

static int sign_run(struct cli_ctx *ctx, struct error *err)
{
	const char *csr_file = cli_arg(ctx, 0), *crt_file = cli_arg(ctx, 1);
	struct names n = {0};
	X509_REQ *csr = NULL;
	char *token = NULL, *chain = NULL;
	int rc = -1;

	if (cli_issue_check_flags(ctx, err) != 0)
		return -1;
	if (read_csr(csr_file, &csr, err) != 0 || csr_names(csr, &n, err) != 0)
		goto out;
	if (!flag_bool(ctx, "force") && file_exists(crt_file) &&
	    ui_confirm_overwrite(crt_file, err) != 0)
		goto out;
	if (get_token(ctx, csr, &n, &token, err) != 0 ||
	    cli_issue(ctx, csr, token, flag_str(ctx, "not-before"), flag_str(ctx, "not-after"),
		      &chain, err) != 0 ||
	    file_write_atomic(crt_file, chain, strlen(chain), 0600, err) != 0)
		goto out;
	ui_status("Certificate", "%s", crt_file);
	rc = 0;
out:
	password_free(token);
	free(chain);
	names_free(&n);
	X509_REQ_free(csr);
	return rc;
}

const struct command cmd_ca_sign = {
    .name = "sign",
    .summary = "generate a new certificate signing a certificate request",
    .args = "<csr-file> <crt-file>",
    .description =
	"Sends the certificate request in <csr-file> (PEM or DER) to the CA and writes\n"
	"the certificate chain to <crt-file> (mode 0600, replaced atomically).\n\n"
	"Without --token, a token is made for the CSR's Common Name and all of its SANs,\n"
	"bound to this CSR by its fingerprint.",
    .flags = sign_flags,
    .min_args = 2,
    .max_args = 2,
    .run = sign_run,
};
