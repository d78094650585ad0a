/* cmd_token.c - `stride ca token`, as `step ca token`. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "base/b64.h"
#include "base/file.h"
#include "base/password.h"
#include "cli/template_data.h"
#include "cli/command.h"
#include "cli/ssh_common.h"
#include "cli/token_flow.h"
#include "cli/ui.h"
#include "client/ssh_token.h"
#include "client/token.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"

static const struct flag_def token_flags[] = {
    TOKEN_FLOW_FLAGS,
    {.name = "san",
     .type = FLAG_LIST,
     .placeholder = "dns|ip|email|uri",
     .help = "A Subject Alternative Name the certificate request must contain; repeat for "
	     "several. The CSR must match the complete set 1:1."},
    {.name = "not-before",
     .type = FLAG_STRING,
     .placeholder = "time|duration",
     .help = "When the token becomes valid: an RFC 3339 time or a duration from now."},
    {.name = "not-after",
     .type = FLAG_STRING,
     .placeholder = "time|duration",
     .help = "When the token expires: an RFC 3339 time or a duration from now (default: 5m "
	     "after not-before)."},
    {.name = "cert-not-before",
     .type = FLAG_STRING,
     .placeholder = "time|duration",
     .help = "SSH tokens only: when the certificate validity starts."},
    {.name = "cert-not-after",
     .type = FLAG_STRING,
     .placeholder = "time|duration",
     .help = "SSH tokens only: when the certificate validity ends."},
    {.name = "output-file",
     .type = FLAG_STRING,
     .placeholder = "file",
     .help = "Write the token to this file (mode 0600) instead of standard output."},
    {.name = "revoke",
     .type = FLAG_BOOL,
     .help = "Create a token for a revoke request; the subject is the serial number."},
    {.name = "renew",
     .type = FLAG_BOOL,
     .help = "Create a token for a renew request (needs --x5c-cert and --x5c-key; with --ssh "
	     "an SSHPOP token for /ssh/renew, needs --sshpop-cert and --sshpop-key)."},
    {.name = "rekey",
     .type = FLAG_BOOL,
     .help = "Create a token for a rekey request (without --ssh this is a sign token, as "
	     "in step)."},
    {.name = "ssh",
     .type = FLAG_BOOL,
     .help = "Create a token for an SSH certificate: the subject is its key ID; with --revoke "
	     "the subject is the SSH serial number."},
    {.name = "host", .type = FLAG_BOOL, .help = "Create a token for an SSH host certificate."},
    {.name = "principal",
     .short_name = 'n',
     .type = FLAG_LIST,
     .placeholder = "name",
     .help = "SSH principals the token authorizes; repeat for several."},
    {.name = "x5c-cert",
     .type = FLAG_STRING,
     .placeholder = "chain",
     .help = "Certificate chain (PEM) to put in the token's x5c header."},
    {.name = "x5c-key",
     .type = FLAG_STRING,
     .placeholder = "file",
     .help = "Private key of the --x5c-cert certificate, used to sign the token."},
    {.name = "x5c-insecure",
     .type = FLAG_BOOL,
     .opts = FLAG_HIDDEN,
     .help = "Use the x5cInsecure header instead of x5c."},
    {.name = "sshpop-cert",
     .type = FLAG_STRING,
     .placeholder = "file",
     .help = "SSH certificate (a -cert.pub file) to put in the sshpop header: only SSHPOP "
	     "provisioners are offered."},
    {.name = "sshpop-key",
     .type = FLAG_STRING,
     .placeholder = "file",
     .help = "Private key of the --sshpop-cert certificate, used to sign the token."},
    K8SSA_TOKEN_FLAG,
    {.name = "cnf",
     .type = FLAG_STRING,
     .placeholder = "fingerprint",
     .help = "Bind the token to the CSR with this SHA-256 fingerprint (base64url)."},
    {.name = "cnf-file",
     .type = FLAG_STRING,
     .placeholder = "file",
     .help = "Bind the token to this CSR."},
    {.name = "set",
     .type = FLAG_LIST,
     .placeholder = "key=value",
     .help = "Custom data for templates in the token's \"user\" claim (.Token.user); "
	     "repeat for several."},
    {.name = "set-file",
     .type = FLAG_STRING,
     .placeholder = "file",
     .help = "Custom data for the token's \"user\" claim from a JSON file (an object)."},
    CLI_FLAG_KMS,
    CLI_FLAG_FORCE,
    FLAG_END,
};

static int check_token_flags(struct cli_ctx *ctx, struct error *err)
{
	bool san = flag_list(ctx, "san")->n > 0;

	if (flag_bool(ctx, "ssh") && san)
		return cli_err_incompatible(err, "ssh", "san");
	if (flag_bool(ctx, "host") && san)
		return cli_err_incompatible(err, "host", "san");
	if (flag_list(ctx, "principal")->n > 0 && san)
		return cli_err_incompatible(err, "principal", "san");
	if (flag_bool(ctx, "host") && !flag_bool(ctx, "ssh"))
		return cli_err_requires(err, "host", "ssh");
	if (flag_list(ctx, "principal")->n > 0 && !flag_bool(ctx, "ssh"))
		return cli_err_requires(err, "principal", "ssh");
	if (flag_str(ctx, "cnf-file") != NULL && flag_str(ctx, "cnf") != NULL)
		return cli_err_incompatible(err, "cnf-file", "cnf");
	if (san && flag_bool(ctx, "revoke"))
		return cli_err_incompatible(err, "san", "revoke");
	if (flag_bool(ctx, "offline") &&
	    (flag_list(ctx, "set")->n > 0 || flag_str(ctx, "set-file") != NULL))
		return cli_err_incompatible(err, "offline", "set");
	if (flag_str(ctx, "kms") != NULL)
		return err_set(err, ERR_NOT_IMPLEMENTED, "flag '--kms' is not supported yet");
	if (flag_str(ctx, "sshpop-key") != NULL && flag_str(ctx, "sshpop-cert") == NULL)
		return cli_err_requires(err, "sshpop-key", "sshpop-cert");
	if (flag_bool(ctx, "ssh") && !flag_bool(ctx, "revoke") &&
	    (flag_bool(ctx, "renew") || flag_bool(ctx, "rekey")) &&
	    flag_str(ctx, "sshpop-cert") == NULL)
		return cli_err_required(ctx, err, "sshpop-cert");
	return 0;
}

/* --cnf-file with --ssh: base64url of the SHA-256 of the public key's wire form. */
static int cnf_from_ssh_key(const char *path, char **out, struct error *err)
{
	struct ssh_pubkey k = {0};
	unsigned char md[SHA256_DIGEST_LENGTH];

	if (ssh_cli_read_pubkey(path, &k, err) != 0)
		return -1;
	SHA256(k.blob, k.blob_len, md);
	*out = b64url_encode(md, sizeof(md));
	ssh_pubkey_clear(&k);
	return 0;
}

/* --cnf-file: the fingerprint of the CSR in the file (of the SSH public key with --ssh). */
static int cnf_from_file(struct cli_ctx *ctx, const char *path, char **out, struct error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	X509_REQ *csr = NULL;
	int rc = -1;

	if (flag_bool(ctx, "ssh"))
		return cnf_from_ssh_key(path, out, err);
	if (file_read(path, 1024 * 1024, &data, &len, err) != 0)
		return -1;
	if (csr_parse(data, len, &csr, err) != 0) {
		err_set(err, ERR_INVALID, "error parsing %s: file is not a certificate request",
			path);
		goto out;
	}
	rc = csr_fingerprint_b64url(csr, out, err);
out:
	X509_REQ_free(csr);
	free(data);
	return rc;
}

/* The x5cInsecure renew token (step's) for --x5c-cert / --x5c-key. */
static int renew_token(struct cli_ctx *ctx, const char *subject, char **token, struct error *err)
{
	const char *crt = flag_str(ctx, "x5c-cert"), *keyfile = flag_str(ctx, "x5c-key");
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *key = NULL;
	char *cn = NULL, *ca_url = NULL, *aud = NULL;
	int64_t nbf, exp;
	int rc = -1;

	if (crt == NULL)
		return cli_err_required(ctx, err, "x5c-cert");
	if (keyfile == NULL)
		return cli_err_required(ctx, err, "x5c-key");
	if (cert_load_chain_file(crt, &chain, err) != 0 ||
	    key_load_file(keyfile, flag_str(ctx, "password-file"), NULL, &key, err) != 0)
		goto out;
	cn = cert_common_name(sk_X509_value(chain, 0));
	if (strcmp(cn, subject) != 0) {
		err_set(err, ERR_INVALID,
			"positional argument <subject> must match the certificate common name");
		goto out;
	}
	if (token_window(flag_str(ctx, "not-before"), flag_str(ctx, "not-after"), time(NULL), &nbf,
			 &exp, err) != 0 ||
	    cli_ca_url(ctx, &ca_url, err) != 0)
		goto out;
	aud = token_audience(ca_url, "/1.0/renew");
	rc = token_build_renew(chain, key, aud, nbf, exp, token, err);
out:
	free(cn);
	free(ca_url);
	free(aud);
	EVP_PKEY_free(key);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

/* The kind of token the flags ask for (step's precedence: revoke > renew > rekey > sign). */
static enum token_kind token_kind_of(struct cli_ctx *ctx)
{
	if (!flag_bool(ctx, "ssh"))
		return flag_bool(ctx, "revoke") ? TOKEN_KIND_REVOKE : TOKEN_KIND_SIGN;
	if (flag_bool(ctx, "revoke"))
		return TOKEN_KIND_SSH_REVOKE;
	if (flag_bool(ctx, "renew"))
		return TOKEN_KIND_SSH_RENEW;
	if (flag_bool(ctx, "rekey"))
		return TOKEN_KIND_SSH_REKEY;
	return TOKEN_KIND_SSH_SIGN;
}

/* A provisioner token: X.509 sign or revoke, SSH sign (the "step" claim) or SSH
 * revoke/renew/rekey. */
static int provisioner_token(struct cli_ctx *ctx, const char *subject, char **token,
			     struct error *err)
{
	struct token_request req = {
	    .kind = token_kind_of(ctx),
	    .subject = subject,
	    .sans = flag_list(ctx, "san"),
	    .not_before = flag_str(ctx, "not-before"),
	    .not_after = flag_str(ctx, "not-after"),
	    .sshpop_cert = flag_str(ctx, "sshpop-cert"),
	    .sshpop_key = flag_str(ctx, "sshpop-key"),
	    .sshpop_password_file = flag_str(ctx, "password-file"),
	};
	json_t *step = NULL, *user = NULL;
	char *cnf = NULL;
	int rc = -1;

	/* step's --set/--set-file: the token's "user" claim */
	if (cli_template_data(ctx, &user, err) != 0)
		goto out;
	req.user = user;
	if (flag_str(ctx, "cnf-file") != NULL &&
	    cnf_from_file(ctx, flag_str(ctx, "cnf-file"), &cnf, err) != 0)
		goto out;
	req.cnf = cnf != NULL ? cnf : flag_str(ctx, "cnf");
	if (req.kind == TOKEN_KIND_SSH_SIGN) {
		step = ssh_step_claim(flag_bool(ctx, "host"), subject, flag_list(ctx, "principal"),
				      flag_str(ctx, "cert-not-before"),
				      flag_str(ctx, "cert-not-after"));
		req.step = step;
	}
	rc = token_flow_create(ctx, &req, token, err);
out:
	json_decref(step);
	json_decref(user);
	free(cnf);
	return rc;
}

static int token_run(struct cli_ctx *ctx, struct error *err)
{
	const char *subject = cli_arg(ctx, 0), *out_file = flag_str(ctx, "output-file");
	char *token = NULL;
	int rc = -1;

	if (check_token_flags(ctx, err) != 0)
		return -1;
	if (flag_bool(ctx, "renew") && !flag_bool(ctx, "ssh")) {
		if (renew_token(ctx, subject, &token, err) != 0)
			goto out;
	} else if (provisioner_token(ctx, subject, &token, err) != 0) {
		goto out;
	}
	if (out_file != NULL) {
		char *line = xasprintf("%s\n", token);
		rc = cli_write_file(ctx, out_file, line, strlen(line), 0600, err);
		password_free(line);
	} else {
		printf("%s\n", token);
		rc = 0;
	}
out:
	password_free(token);
	return rc;
}

const struct command cmd_ca_token = {
    .name = "token",
    .summary = "generate an OTT granting access to the CA",
    .args = "<subject>",
    .description =
	"Generates a one-time token (OTT) that authorizes one request to the CA: a\n"
	"certificate for <subject> (the Common Name, DNS name or IP address the CA will\n"
	"set), a revocation (--revoke, the subject is the serial number) or a renewal\n"
	"(--renew with --x5c-cert and --x5c-key).\n\n"
	"With --ssh the token authorizes an SSH certificate whose key ID is <subject>\n"
	"(a host certificate with --host) for the --principal names (none: the CA uses\n"
	"[<subject>]) and the --cert-not-before/--cert-not-after validity; with --revoke\n"
	"an SSH revocation of serial <subject>. --sshpop-cert and --sshpop-key make an\n"
	"SSHPOP token, signed with the key of an SSH certificate the CA issued, as\n"
	"'stride ssh renew', 'rekey' and 'revoke' use.\n\n"
	"Without --san the token authorizes exactly [<subject>]; with --san it authorizes\n"
	"exactly the given names, and the certificate request must match them 1:1.\n\n"
	"The provisioner's encrypted key is downloaded from the CA and decrypted with\n"
	"--provisioner-password-file (or --password-file, or a prompt). With --offline\n"
	"the provisioners come from --ca-config instead.\n\n"
	"With a K8sSA provisioner the token is the Kubernetes service account token of\n"
	"--k8ssa-token-path (default /var/run/secrets/kubernetes.io/serviceaccount/token);\n"
	"given, that flag offers only K8sSA provisioners.",
    .flags = token_flags,
    .min_args = 1,
    .max_args = 1,
    .run = token_run,
};
