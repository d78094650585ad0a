/* cmd_ssh_pop.c - `stride ssh renew`, `rekey` and `revoke`, as `step ssh ...`: SSHPOP tokens
 * signed with the key of the certificate (ssh.md §5). */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/password.h"
#include "cli/ca_backend.h"
#include "cli/command.h"
#include "cli/ssh_common.h"
#include "cli/token_flow.h"
#include "cli/ui.h"
#include "crypto/key.h"

#define OUT_FLAG(what)                                                                             \
	{                                                                                          \
		.name = "out", .aliases = "output-file", .type = FLAG_STRING,                      \
		.placeholder = "file", .help = (what)                                              \
	}

static const struct flag_def renew_flags[] = {
    TOKEN_FLOW_FLAGS,
    OUT_FLAG("The new certificate file. Defaults to overwriting <ssh-cert>."),
    CLI_FLAG_FORCE,
    FLAG_END,
};

static const struct flag_def rekey_flags[] = {
    TOKEN_FLOW_FLAGS,
    OUT_FLAG("The new key file (then <file>.pub and <file>-cert.pub). Defaults to overwriting "
	     "<ssh-key>, <ssh-key>.pub and <ssh-cert>."),
    {.name = "no-password",
     .type = FLAG_BOOL,
     .help = "Write the new private key unencrypted (OpenSSH format). Requires --insecure."},
    {.name = "insecure", .type = FLAG_BOOL, .help = "Allow --no-password."},
    CLI_FLAG_FORCE,
    FLAG_END,
};

static const struct flag_def revoke_flags[] = {
    TOKEN_FLOW_FLAGS,
    {.name = "token",
     .type = FLAG_STRING,
     .placeholder = "token",
     .help = "A revoke token (see 'stride ca token --ssh --revoke') whose subject is the "
	     "serial number."},
    {.name = "sshpop-cert",
     .type = FLAG_STRING,
     .placeholder = "file",
     .help = "Revoke with an SSHPOP token: the certificate (its serial is the default "
	     "<serial-number>)."},
    {.name = "sshpop-key",
     .type = FLAG_STRING,
     .placeholder = "file",
     .help = "The private key of --sshpop-cert, which signs the token."},
    {.name = "reason",
     .type = FLAG_STRING,
     .placeholder = "string",
     .help = "The reason for the revocation, as free text."},
    {.name = "reasonCode",
     .type = FLAG_STRING,
     .placeholder = "reasonCode",
     .help = "The reason code: a number from 0 to 10 or a name such as KeyCompromise (see "
	     "'stride ca revoke')."},
    FLAG_END,
};

/* The certificate's serial in decimal (the SSHPOP token's subject). */
static char *serial_of(const struct ssh_cert *c)
{
	return xasprintf("%" PRIu64, c->serial);
}

/* An SSHPOP token of kind for the certificate file and its key. */
static int sshpop_token(struct cli_ctx *ctx, enum token_kind kind, const char *serial,
			const char *cert_file, const char *key_file, const char *password_file,
			char **token, struct error *err)
{
	struct token_request req = {
	    .kind = kind,
	    .subject = serial,
	    .sshpop_cert = cert_file,
	    .sshpop_key = key_file,
	    .sshpop_password_file = password_file,
	};

	return token_flow_create(ctx, &req, token, err);
}

/* POSTs body with the token to path and parses the answer's certificate. */
static int post_for_cert(struct cli_ctx *ctx, const char *path, json_t *body, const char *token,
			 struct ssh_cert *out, struct error *err)
{
	struct ca_client *c = NULL;
	json_t *resp = NULL;
	int rc = -1;

	if (ssh_cli_client(ctx, token, false, &c, err) == 0 &&
	    ca_client_post_json(c, path, body, NULL, &resp, err) == 0)
		rc = ssh_cli_cert_from_answer(resp, "crt", out, err);
	json_decref(resp);
	return rc;
}

static int renew_run(struct cli_ctx *ctx, struct error *err)
{
	const char *cert_file = cli_arg(ctx, 0), *key_file = cli_arg(ctx, 1);
	const char *out = flag_str(ctx, "out") != NULL ? flag_str(ctx, "out") : cert_file;
	struct ssh_cert old = {0}, renewed = {0};
	char *serial = NULL, *token = NULL, *line = NULL;
	json_t *body = NULL;
	int rc = -1;

	if (ssh_cli_no_offline(ctx, err) != 0 || ssh_cli_read_cert(cert_file, &old, err) != 0)
		goto out;
	serial = serial_of(&old);
	if (sshpop_token(ctx, TOKEN_KIND_SSH_RENEW, serial, cert_file, key_file,
			 flag_str(ctx, "password-file"), &token, err) != 0)
		goto out;
	body = json_pack("{s:s}", "ott", token);
	if (post_for_cert(ctx, "/ssh/renew", body, token, &renewed, err) != 0)
		goto out;
	line = ssh_cli_cert_file_line(&renewed, old.key_id);
	if (cli_write_file(ctx, out, line, strlen(line), 0644, err) != 0)
		goto out;
	ui_status("Certificate", "%s", out);
	rc = 0;
out:
	json_decref(body);
	free(line);
	free(serial);
	password_free(token);
	ssh_cert_clear(&old);
	ssh_cert_clear(&renewed);
	return rc;
}

const struct command cmd_ssh_renew = {
    .name = "renew",
    .summary = "renew a SSH certificate using the SSH CA",
    .args = "<ssh-cert> <ssh-key>",
    .description =
	"Renews an SSH host certificate with an SSHPOP token signed by its key <ssh-key>:\n"
	"the new certificate has the same key, key ID, principals and validity length and is\n"
	"written over <ssh-cert> (or to --out). User certificates cannot be renewed.",
    .flags = renew_flags,
    .min_args = 2,
    .max_args = 2,
    .run = renew_run,
};

/* The files rekey writes: --out, --out.pub, --out-cert.pub, or over the given ones. */
struct rekey_files {
	char *key, *pub, *crt;
};

static int rekey_write(struct cli_ctx *ctx, const struct rekey_files *f, EVP_PKEY *key,
		       const struct ssh_pubkey *pub, const struct ssh_cert *crt, const char *id,
		       struct error *err)
{
	char *pem = NULL, *pub_line = ssh_cli_pubkey_file_line(pub, id);
	char *crt_line = ssh_cli_cert_file_line(crt, id);
	int rc = -1;

	if (ssh_cli_private_file(key, id, flag_bool(ctx, "no-password"),
				 flag_str(ctx, "password-file"), &pem, err) != 0 ||
	    cli_write_file(ctx, f->key, pem, strlen(pem), 0600, err) != 0 ||
	    cli_write_file(ctx, f->pub, pub_line, strlen(pub_line), 0644, err) != 0 ||
	    cli_write_file(ctx, f->crt, crt_line, strlen(crt_line), 0644, err) != 0)
		goto out;
	ui_status("Private Key", "%s", f->key);
	ui_status("Public Key", "%s", f->pub);
	ui_status("Certificate", "%s", f->crt);
	rc = 0;
out:
	password_free(pem);
	free(pub_line);
	free(crt_line);
	return rc;
}

/* A new EC P-256 key (step's default) and its SSH form. */
static int new_key(EVP_PKEY **key, struct ssh_pubkey *pub, struct error *err)
{
	struct key_spec spec;

	if (key_spec_parse(NULL, NULL, NULL, &spec, err) != 0 || key_generate(&spec, key, err) != 0)
		return -1;
	return ssh_pubkey_from_evp(*key, pub, err);
}

static int rekey_run(struct cli_ctx *ctx, struct error *err)
{
	const char *cert_file = cli_arg(ctx, 0), *key_file = cli_arg(ctx, 1);
	const char *out = flag_str(ctx, "out");
	struct rekey_files f = {
	    .key = xstrdup(out != NULL ? out : key_file),
	    .pub = xasprintf("%s.pub", out != NULL ? out : key_file),
	    .crt = out != NULL ? xasprintf("%s-cert.pub", out) : xstrdup(cert_file),
	};
	struct ssh_cert old = {0}, rekeyed = {0};
	struct ssh_pubkey pub = {0};
	EVP_PKEY *key = NULL;
	char *serial = NULL, *token = NULL, *b64 = NULL;
	json_t *body = NULL;
	int rc = -1;

	if (flag_bool(ctx, "no-password") && !flag_bool(ctx, "insecure")) {
		cli_err_requires(err, "no-password", "insecure");
		goto out;
	}
	if (ssh_cli_no_offline(ctx, err) != 0 || ssh_cli_read_cert(cert_file, &old, err) != 0)
		goto out;
	serial = serial_of(&old);
	if (sshpop_token(ctx, TOKEN_KIND_SSH_REKEY, serial, cert_file, key_file, NULL, &token,
			 err) != 0 ||
	    new_key(&key, &pub, err) != 0)
		goto out;
	b64 = b64_encode(pub.blob, pub.blob_len);
	body = json_pack("{s:s, s:s}", "ott", token, "publicKey", b64);
	if (post_for_cert(ctx, "/ssh/rekey", body, token, &rekeyed, err) != 0 ||
	    rekey_write(ctx, &f, key, &pub, &rekeyed, old.key_id, err) != 0)
		goto out;
	rc = 0;
out:
	json_decref(body);
	free(b64);
	free(serial);
	password_free(token);
	EVP_PKEY_free(key);
	ssh_pubkey_clear(&pub);
	ssh_cert_clear(&old);
	ssh_cert_clear(&rekeyed);
	free(f.key);
	free(f.pub);
	free(f.crt);
	return rc;
}

const struct command cmd_ssh_rekey = {
    .name = "rekey",
    .summary = "rekey a SSH certificate using the SSH CA",
    .args = "<ssh-cert> <ssh-key>",
    .description =
	"Creates a new key pair and has the CA certify it in place of the SSH host certificate\n"
	"<ssh-cert>, authorized by an SSHPOP token signed with its key <ssh-key>: the new\n"
	"certificate has the key ID, principals and validity length of the old one. Writes the\n"
	"new private key over <ssh-key> (encrypted unless --no-password --insecure), its\n"
	"public key to <ssh-key>.pub and the certificate over <ssh-cert>, or to --out,\n"
	"--out.pub and --out-cert.pub.",
    .flags = rekey_flags,
    .min_args = 2,
    .max_args = 2,
    .run = rekey_run,
};

/* The serial: the argument, else the --sshpop-cert's. */
static int revoke_serial(struct cli_ctx *ctx, char **serial, struct error *err)
{
	const char *cert_file = flag_str(ctx, "sshpop-cert");
	struct ssh_cert c = {0};

	if (cli_arg(ctx, 0) != NULL) {
		*serial = xstrdup(cli_arg(ctx, 0));
		return 0;
	}
	if (cert_file == NULL || flag_str(ctx, "sshpop-key") == NULL)
		return err_set(err, ERR_INVALID,
			       "--sshpop-cert and --sshpop-key must be supplied if serial number "
			       "is not supplied as first argument");
	if (ssh_cli_read_cert(cert_file, &c, err) != 0)
		return -1;
	*serial = serial_of(&c);
	ssh_cert_clear(&c);
	return 0;
}

static int revoke_run(struct cli_ctx *ctx, struct error *err)
{
	const char *reason = flag_str(ctx, "reason");
	struct ca_client *c = NULL;
	char *serial = NULL, *token = NULL;
	json_t *body = NULL, *resp = NULL;
	int code = 0, rc = -1;

	if (ssh_cli_no_offline(ctx, err) != 0 ||
	    cli_revoke_reason_code(flag_str(ctx, "reasonCode"), &code, err) != 0 ||
	    revoke_serial(ctx, &serial, err) != 0)
		goto out;
	if (flag_str(ctx, "token") != NULL)
		token = xstrdup(flag_str(ctx, "token"));
	else if (sshpop_token(ctx, TOKEN_KIND_SSH_REVOKE, serial, flag_str(ctx, "sshpop-cert"),
			      flag_str(ctx, "sshpop-key"), flag_str(ctx, "password-file"), &token,
			      err) != 0)
		goto out;
	body = json_pack("{s:s, s:s, s:i, s:s, s:b}", "serial", serial, "ott", token, "reasonCode",
			 code, "reason", reason != NULL ? reason : "", "passive", 1);
	if (ssh_cli_client(ctx, token, false, &c, err) != 0 ||
	    ca_client_post_json(c, "/ssh/revoke", body, NULL, &resp, err) != 0)
		goto out;
	ui_info("SSH Certificate with Serial Number %s has been revoked.", serial);
	rc = 0;
out:
	json_decref(body);
	json_decref(resp);
	free(serial);
	password_free(token);
	return rc;
}

const struct command cmd_ssh_revoke = {
    .name = "revoke",
    .summary = "revoke a SSH certificate using the SSH CA",
    .args = "[<serial-number>]",
    .description =
	"Revokes the SSH certificate with <serial-number> (decimal). The request is authorized\n"
	"by --token, by a revoke token made with the selected provisioner (as 'stride ca token\n"
	"--ssh --revoke <serial-number>'), or with --sshpop-cert and --sshpop-key by an SSHPOP\n"
	"token signed with the certificate's own key (then <serial-number> defaults to its\n"
	"serial). stride-ca publishes revoked serials in its key revocation list (GET\n"
	"/ssh/krl), which 'stride ssh config --host' sets up as sshd's RevokedKeys.",
    .flags = revoke_flags,
    .min_args = 0,
    .max_args = 1,
    .run = revoke_run,
};
