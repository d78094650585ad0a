/* admin_session.c - admin credentials and admin API requests (admin.md §2), as step's admin
 * client makes them: a certificate chain and its key sign a new admin token per request. */
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/password.h"
#include "base/str.h"
#include "cli/admin_cli.h"
#include "cli/ca_backend.h"
#include "cli/command.h"
#include "cli/token_flow.h"
#include "client/ca_client.h"
#include "client/token.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"

struct admin_session {
	struct ca_client *client;
	STACK_OF(X509) * chain; /* admin certificate, leaf first */
	EVP_PKEY *key;		/* its private key */
};

/* The token flow of `ca token` on a context of its own: the admin flags map onto the flags
 * the flow reads (--admin-provisioner -> --provisioner, --admin-password-file ->
 * --provisioner-password-file), with the command's --ca-url and --root. */
static const struct flag_def login_flags[] = {
    TOKEN_FLOW_FLAGS,
    FLAG_END,
};
static const struct command login_cmd = {
    .name = "login", .summary = "admin login", .flags = login_flags, .max_args = -1};

/* The command's --admin-provisioner named a provisioner that does not exist. */
static void provisioner_flag_error(struct cli_ctx *ctx, struct error *err)
{
	const char *name = flag_str(ctx, "admin-provisioner");
	char *want;

	if (err == NULL || name == NULL)
		return;
	want = xasprintf("invalid value '%s' for flag '--provisioner'", name);
	if (strcmp(err->msg, want) == 0)
		cli_err_invalid(err, "admin-provisioner", name, NULL);
	free(want);
}

/* The admin subject: --admin-subject or the prompt (not empty). */
static int admin_subject(struct cli_ctx *ctx, char **out, struct error *err)
{
	*out = NULL;
	if (flag_str(ctx, "admin-subject") != NULL) {
		*out = xstrdup(flag_str(ctx, "admin-subject"));
		return 0;
	}
	if (!tty_available())
		return cli_err_required(ctx, err, "admin-subject");
	while (*out == NULL) {
		if (tty_prompt_line("Please enter admin name/subject (e.g., name@example.com)", out,
				    err) != 0)
			return -1;
		if ((*out)[0] == '\0') {
			free(*out);
			*out = NULL;
		}
	}
	return 0;
}

/* Gets an admin certificate for a new P-256 key through a provisioner (POST /sign). */
static int login(struct cli_ctx *ctx, struct admin_session *s, struct error *err)
{
	struct cli_ctx sub;
	struct token_request req = {.kind = TOKEN_KIND_SIGN};
	struct key_spec spec;
	struct strv sans = {0};
	X509_REQ *csr = NULL;
	char *subject = NULL, *url = NULL, *root = NULL, *token = NULL, *chain_pem = NULL;
	char *argv[12];
	int argc = 0, rc = -1;

	cli_ctx_init(&sub, &login_cmd, ctx->path);
	fprintf(stderr, "No admin credentials found. You must login to execute admin commands.\n");
	if (cli_ca_url(ctx, &url, err) != 0 || cli_root_file(ctx, &root, err) != 0 ||
	    admin_subject(ctx, &subject, err) != 0)
		goto out;
	argv[argc++] = "--ca-url";
	argv[argc++] = url;
	argv[argc++] = "--root";
	argv[argc++] = root;
	if (flag_str(ctx, "admin-provisioner") != NULL) {
		argv[argc++] = "--provisioner";
		argv[argc++] = (char *)flag_str(ctx, "admin-provisioner");
	}
	if (flag_str(ctx, "admin-password-file") != NULL) {
		argv[argc++] = "--provisioner-password-file";
		argv[argc++] = (char *)flag_str(ctx, "admin-password-file");
	}
	if (cli_ctx_parse(&sub, argc, argv, err) != 0)
		goto out;
	flag_set_apply_builtin(&sub.flags, NULL);
	sub.resolved = true;
	sub.ca = ca_backend_online(&sub);
	req.subject = subject;
	if (token_flow_create(&sub, &req, &token, err) != 0) {
		provisioner_flag_error(ctx, err);
		goto out;
	}
	strv_push(&sans, subject);
	if (key_spec_parse(NULL, NULL, NULL, &spec, err) != 0 ||
	    key_generate(&spec, &s->key, err) != 0)
		goto out;
	if (csr_create(s->key, subject, &sans, &csr, err) != 0) {
		err_wrap(err, "error creating admin certificate request");
		goto out;
	}
	if (ca_backend_sign(sub.ca, csr, token, NULL, NULL, &chain_pem, err) != 0 ||
	    cert_parse_chain((const uint8_t *)chain_pem, strlen(chain_pem), &s->chain, err) != 0)
		goto out;
	rc = 0;
out:
	cli_ctx_free(&sub);
	X509_REQ_free(csr);
	password_free(token);
	strv_free(&sans);
	free(chain_pem);
	free(subject);
	free(url);
	free(root);
	return rc;
}

/* --admin-cert and --admin-key (each requires the other). */
static int load_credentials(struct cli_ctx *ctx, struct admin_session *s, struct error *err)
{
	const char *cert = flag_str(ctx, "admin-cert"), *key = flag_str(ctx, "admin-key");

	if (cert == NULL)
		return cli_err_requires(err, "admin-key", "admin-cert");
	if (key == NULL)
		return cli_err_requires(err, "admin-cert", "admin-key");
	if (cert_load_chain_file(cert, &s->chain, err) != 0)
		return err_wrap(err, "error reading admin certificate");
	if (key_load_file(key, flag_str(ctx, "admin-password-file"), NULL, &s->key, err) != 0)
		return err_wrap(err, "error reading admin key");
	if (!key_public_equal(s->key, X509_get0_pubkey(sk_X509_value(s->chain, 0))))
		return err_set(err, ERR_INVALID,
			       "error validating x5c certificate chain and key for use in x5c "
			       "header: the key does not match the certificate");
	return 0;
}

int cli_admin_session_new(struct cli_ctx *ctx, struct admin_session **out, struct error *err)
{
	struct admin_session *s = xcalloc(1, sizeof(*s));
	char *url = NULL, *root = NULL;
	int rc = -1;

	*out = NULL;
	/* step checks --ca-url and --root before anything else */
	if (cli_ca_url(ctx, &url, err) != 0 || cli_root_file(ctx, &root, err) != 0)
		goto out;
	if (flag_str(ctx, "admin-cert") != NULL || flag_str(ctx, "admin-key") != NULL) {
		if (load_credentials(ctx, s, err) != 0)
			goto out;
	} else if (login(ctx, s, err) != 0) {
		goto out;
	}
	if (cli_client_new(ctx, &s->client, err) != 0)
		goto out;
	*out = s;
	s = NULL;
	rc = 0;
out:
	cli_admin_session_free(s);
	free(url);
	free(root);
	return rc;
}

void cli_admin_session_free(struct admin_session *s)
{
	if (s == NULL)
		return;
	ca_client_free(s->client);
	sk_X509_pop_free(s->chain, X509_free);
	EVP_PKEY_free(s->key);
	free(s);
}

int cli_admin_call(struct admin_session *s, const char *method, const char *path,
		   const json_t *body, int *status, json_t **resp, struct error *err)
{
	char *aud = NULL, *token = NULL, *p = xstrdup(path);
	long st = 0;
	int rc = -1;

	*status = 0;
	*resp = NULL;
	p[strcspn(p, "?#")] = '\0'; /* the audience has no query */
	aud = token_audience(ca_client_url(s->client), p);
	if (token_build_admin(s->chain, s->key, aud, (int64_t)time(NULL), &token, err) != 0) {
		err_wrap(err, "error generating admin token");
		goto out;
	}
	rc = ca_client_request(s->client, method, path, body, token, &st, resp, err);
	*status = (int)st;
	/* A router's text 404/501, not an admin error: the CA has no admin API (step's client
	 * then says "admin API not implemented"). */
	if (rc != 0 && (st == 404 || st == 501) && err != NULL && err->status == 0)
		err_set(err, ERR_NOT_FOUND,
			"the CA does not serve the admin API: remote administration is not enabled "
			"(%s %s answered %ld)",
			method, p, st);
out:
	password_free(token);
	free(aud);
	free(p);
	return rc;
}
