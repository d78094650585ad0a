/* cmd_ssh.c - the `stride ssh` group and `stride ssh certificate`, as `step ssh certificate`
 * (ssh.md §4, §7). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/file.h"
#include "base/password.h"
#include "cli/command.h"
#include "cli/ssh_common.h"
#include "cli/token_flow.h"
#include "cli/ui.h"
#include "client/ssh_token.h"
#include "crypto/key.h"

static const struct flag_def certificate_flags[] = {
    TOKEN_FLOW_FLAGS,
    {.name = "token",
     .type = FLAG_STRING,
     .placeholder = "token",
     .help = "The one-time token that authorizes the request (otherwise one is made with the "
	     "provisioner)."},
    {.name = "host", .type = FLAG_BOOL, .help = "Create a host certificate instead of a user one."},
    {.name = "sign",
     .type = FLAG_BOOL,
     .help = "Sign the public key <key-file> (an existing .pub file) instead of creating a key "
	     "pair."},
    {.name = "principal",
     .short_name = 'n',
     .type = FLAG_LIST,
     .placeholder = "name",
     .help = "A principal (user or host name) of the certificate; repeat for several. Default: "
	     "for a host <key-id>; for a user the name made of <key-id>'s local part (lower "
	     "case, no dots), the local part and <key-id>."},
    {.name = "not-before",
     .type = FLAG_STRING,
     .placeholder = "time|duration",
     .help = "When the certificate validity starts: an RFC 3339 time or a duration from now."},
    {.name = "not-after",
     .type = FLAG_STRING,
     .placeholder = "time|duration",
     .help = "When the certificate validity ends: an RFC 3339 time or a duration from now."},
    {.name = "add-user",
     .type = FLAG_BOOL,
     .help = "Also create a user provisioner certificate (<key-file>-provisioner...) that "
	     "creates the user on first login."},
    {.name = "no-password",
     .type = FLAG_BOOL,
     .help = "Write the private key unencrypted (OpenSSH format). Requires --insecure."},
    {.name = "insecure", .type = FLAG_BOOL, .help = "Allow --no-password."},
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
     .help = "The RSA key size in bits (default 2048)."},
    K8SSA_TOKEN_FLAG,
    CLI_FLAG_FORCE,
    FLAG_END,
};

/* What one `ssh certificate` run reads and writes. */
struct ssh_cert_run {
	const char *subject, *key_file;
	char *base, *pub_file, *crt_file; /* <base>.pub, <base>-cert.pub */
	struct strv principals;
	struct ssh_pubkey pub, add_user_pub;
	EVP_PKEY *key, *add_user_key; /* generated (NULL with --sign) */
	char *token;
	json_t *resp;
};

static void run_free(struct ssh_cert_run *r)
{
	free(r->base);
	free(r->pub_file);
	free(r->crt_file);
	strv_free(&r->principals);
	ssh_pubkey_clear(&r->pub);
	ssh_pubkey_clear(&r->add_user_pub);
	EVP_PKEY_free(r->key);
	EVP_PKEY_free(r->add_user_key);
	password_free(r->token);
	json_decref(r->resp);
}

static int check_flags(struct cli_ctx *ctx, struct error *err)
{
	bool no_password = flag_bool(ctx, "no-password");

	if (no_password && !flag_bool(ctx, "insecure"))
		return cli_err_requires(err, "no-password", "insecure");
	if (no_password && flag_str(ctx, "password-file") != NULL)
		return cli_err_incompatible(err, "no-password", "password-file");
	if (flag_str(ctx, "token") != NULL && flag_str(ctx, "provisioner-password-file") != NULL)
		return cli_err_incompatible(err, "token", "provisioner-password-file");
	if (flag_bool(ctx, "host") && flag_bool(ctx, "add-user"))
		return cli_err_incompatible(err, "host", "add-user");
	if (flag_bool(ctx, "add-user") && flag_list(ctx, "principal")->n > 1)
		return err_set(err, ERR_INVALID,
			       "flag '--add-user' is incompatible with more than one principal");
	if (flag_str(ctx, "token") != NULL && flag_bool(ctx, "offline"))
		return cli_err_incompatible(err, "token", "offline");
	return ssh_cli_no_offline(ctx, err);
}

/* A new key pair of --kty/--curve/--size. */
static int new_pair(struct cli_ctx *ctx, EVP_PKEY **key, struct ssh_pubkey *pub, struct error *err)
{
	struct key_spec spec;

	if (key_spec_parse(flag_str(ctx, "kty"), flag_str(ctx, "curve"), flag_str(ctx, "size"),
			   &spec, err) != 0 ||
	    key_generate(&spec, key, err) != 0)
		return -1;
	return ssh_pubkey_from_evp(*key, pub, err);
}

/* The output files: <key-file>, <key-file>.pub and <base>-cert.pub, where <base> is
 * <key-file> without ".pub" with --sign. */
static int prepare_names(struct cli_ctx *ctx, struct ssh_cert_run *r)
{
	r->base = xstrdup(r->key_file);
	if (flag_bool(ctx, "sign") && str_has_suffix(r->base, ".pub"))
		r->base[strlen(r->base) - 4] = '\0';
	r->pub_file = xasprintf("%s.pub", r->key_file);
	r->crt_file = xasprintf("%s-cert.pub", r->base);
	return 0;
}

/* Principals, keys and token, before anything is sent. */
static int prepare(struct cli_ctx *ctx, struct ssh_cert_run *r, struct error *err)
{
	bool host = flag_bool(ctx, "host"), sign = flag_bool(ctx, "sign");
	const struct strv *given = flag_list(ctx, "principal");

	for (size_t i = 0; i < given->n; i++)
		strv_push(&r->principals, given->v[i]);
	if (given->n == 0)
		ssh_default_principals(r->subject, host, &r->principals);
	if (sign ? ssh_cli_read_pubkey(r->key_file, &r->pub, err) != 0
		 : new_pair(ctx, &r->key, &r->pub, err) != 0)
		return -1;
	if (flag_bool(ctx, "add-user") &&
	    new_pair(ctx, &r->add_user_key, &r->add_user_pub, err) != 0)
		return -1;
	if (flag_str(ctx, "token") != NULL) {
		r->token = xstrdup(flag_str(ctx, "token"));
		return 0;
	}
	{
		json_t *step =
		    ssh_step_claim(host, r->subject, &r->principals, flag_str(ctx, "not-before"),
				   flag_str(ctx, "not-after"));
		struct token_request req = {
		    .kind = TOKEN_KIND_SSH_SIGN,
		    .subject = r->subject,
		    .step = step,
		    .provisioner_password_only = true,
		};
		int rc = token_flow_create(ctx, &req, &r->token, err);
		json_decref(step);
		return rc;
	}
}

static json_t *principals_json(const struct strv *v)
{
	json_t *a = json_array();

	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

/* POST /ssh/sign (http-api.md §4.1). */
static int send_sign(struct cli_ctx *ctx, struct ssh_cert_run *r, struct error *err)
{
	const char *nb = flag_str(ctx, "not-before"), *na = flag_str(ctx, "not-after");
	struct ca_client *c = NULL;
	char *pub = b64_encode(r->pub.blob, r->pub.blob_len);
	json_t *body =
	    json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:n}", "publicKey", pub, "ott", r->token,
		      "certType", flag_bool(ctx, "host") ? "host" : "user", "keyID", r->subject,
		      "principals", principals_json(&r->principals), "validAfter",
		      nb != NULL ? nb : "", "validBefore", na != NULL ? na : "", "identityCSR");
	int rc = -1;

	if (r->add_user_key != NULL) {
		char *au = b64_encode(r->add_user_pub.blob, r->add_user_pub.blob_len);
		json_object_set_new(body, "addUserPublicKey", json_string(au));
		free(au);
	}
	if (ssh_cli_client(ctx, r->token, false, &c, err) == 0)
		rc = ca_client_post_json(c, "/ssh/sign", body, NULL, &r->resp, err);
	json_decref(body);
	free(pub);
	return rc;
}

/* One output file, mode 0600 for keys and 0644 for the rest (as step). */
static int put(const char *path, const char *data, mode_t mode, struct error *err)
{
	return ui_write_file(path, data, strlen(data), mode, true, err);
}

/* Writes the certificate of the answer's member to crt_file, and with key its private key
 * file and key_file.pub; comment on every line. */
static int write_set(struct cli_ctx *ctx, const json_t *resp, const char *member, EVP_PKEY *key,
		     const struct ssh_pubkey *pub, const char *key_file, const char *crt_file,
		     const char *comment, bool no_password, struct error *err)
{
	struct ssh_cert cert = {0};
	char *pem = NULL, *pub_file = xasprintf("%s.pub", key_file), *line = NULL;
	int rc = -1;

	if (ssh_cli_cert_from_answer(resp, member, &cert, err) != 0)
		goto out;
	if (key != NULL) {
		if (ssh_cli_private_file(key, comment, no_password, flag_str(ctx, "password-file"),
					 &pem, err) != 0 ||
		    put(key_file, pem, 0600, err) != 0)
			goto out;
		line = ssh_cli_pubkey_file_line(pub, comment);
		if (put(pub_file, line, 0644, err) != 0)
			goto out;
		free(line);
	}
	line = ssh_cli_cert_file_line(&cert, comment);
	rc = put(crt_file, line, 0644, err);
out:
	free(line);
	free(pub_file);
	password_free(pem);
	ssh_cert_clear(&cert);
	return rc;
}

/* The add-user files: <base>-provisioner (an unencrypted OpenSSH key, as step), .pub and
 * -cert.pub, named <sanitized key-id>-provisioner. */
static int write_add_user(struct cli_ctx *ctx, struct ssh_cert_run *r, struct error *err)
{
	char *name = ssh_sanitize_user_principal(r->subject),
	     *id = xasprintf("%s-provisioner", name);
	char *key_file = xasprintf("%s-provisioner", r->base);
	char *crt_file = xasprintf("%s-provisioner-cert.pub", r->base);
	int rc = write_set(ctx, r->resp, "addUserCrt", r->add_user_key, &r->add_user_pub, key_file,
			   crt_file, id, true, err);

	if (rc == 0) {
		ui_status("Add User Private Key", "%s", key_file);
		ui_status("Add User Public Key", "%s.pub", key_file);
		ui_status("Add User Certificate", "%s", crt_file);
	}
	free(name);
	free(id);
	free(key_file);
	free(crt_file);
	return rc;
}

static int write_outputs(struct cli_ctx *ctx, struct ssh_cert_run *r, struct error *err)
{
	if (write_set(ctx, r->resp, "crt", r->key, &r->pub, r->key_file, r->crt_file, r->subject,
		      flag_bool(ctx, "no-password"), err) != 0)
		return -1;
	if (r->key != NULL) {
		ui_status("Private Key", "%s", r->key_file);
		ui_status("Public Key", "%s", r->pub_file);
	}
	ui_status("Certificate", "%s", r->crt_file);
	if (r->add_user_key != NULL && json_is_string(json_object_get(r->resp, "addUserCrt")))
		return write_add_user(ctx, r, err);
	return 0;
}

/* Asks about existing output files before the token is spent (unless --force). */
static int confirm_outputs(struct cli_ctx *ctx, const struct ssh_cert_run *r, struct error *err)
{
	const char *files[] = {flag_bool(ctx, "sign") ? NULL : r->key_file,
			       flag_bool(ctx, "sign") ? NULL : r->pub_file, r->crt_file};

	if (flag_bool(ctx, "force"))
		return 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i] != NULL && file_exists(files[i]) &&
		    ui_confirm_overwrite(files[i], err) != 0)
			return -1;
	return 0;
}

static int certificate_run(struct cli_ctx *ctx, struct error *err)
{
	struct ssh_cert_run r = {.subject = cli_arg(ctx, 0), .key_file = cli_arg(ctx, 1)};
	int rc = -1;

	if (check_flags(ctx, err) != 0 || prepare_names(ctx, &r) != 0 ||
	    confirm_outputs(ctx, &r, err) != 0 || prepare(ctx, &r, err) != 0 ||
	    send_sign(ctx, &r, err) != 0 || write_outputs(ctx, &r, err) != 0)
		goto out;
	rc = 0;
out:
	run_free(&r);
	return rc;
}

const struct command cmd_ssh_certificate = {
    .name = "certificate",
    .summary = "sign a SSH certificate using the SSH CA",
    .args = "<key-id> <key-file>",
    .description =
	"Creates an SSH key pair and has the CA's SSH certificate signed for it: writes the\n"
	"private key to <key-file> (encrypted with --password-file or a password asked for;\n"
	"OpenSSH's unencrypted format with --no-password --insecure), the public key to\n"
	"<key-file>.pub and the certificate to <key-file>-cert.pub. With --sign <key-file> is\n"
	"an existing public key and only the certificate is written (<key-file> without .pub,\n"
	"then -cert.pub).\n\n"
	"<key-id> is the certificate's key ID. A user certificate (the default) or a host\n"
	"certificate (--host) is valid for the --principal names; without them for <key-id>\n"
	"(host), or for the name made of <key-id>'s local part, the local part and <key-id>\n"
	"(user: alice.smith@example.com gives alicesmith, alice.smith and the address).\n\n"
	"The request is authorized by --token, or by a token made with the selected\n"
	"provisioner (see 'stride ca token --ssh'); --password-file encrypts the new key,\n"
	"--provisioner-password-file decrypts the provisioner key.\n\n"
	"sshd trusts user certificates with 'TrustedUserCAKeys' (the CA's user key, see\n"
	"'stride ssh config --roots'); clients trust host certificates with a known_hosts\n"
	"line '@cert-authority <pattern> <host CA key>' (see 'stride ssh config').",
    .flags = certificate_flags,
    .min_args = 2,
    .max_args = 2,
    .run = certificate_run,
};

static const struct command *const ssh_subcommands[] = {
    &cmd_ssh_certificate, &cmd_ssh_renew,   &cmd_ssh_rekey,
    &cmd_ssh_revoke,	  &cmd_ssh_config,  &cmd_ssh_check_host,
    &cmd_ssh_hosts,	  &cmd_ssh_inspect, NULL,
};

const struct command cmd_ssh_group = {
    .name = "ssh",
    .summary = "create and manage ssh certificates",
    .description = "The ssh commands get SSH user and host certificates from the CA's SSH\n"
		   "certificate authority, renew, rekey and revoke them, and configure ssh and\n"
		   "sshd to trust them. `stride ssh ...` mirrors `step ssh ...`.",
    .sub = ssh_subcommands,
};
