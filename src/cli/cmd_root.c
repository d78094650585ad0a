/* cmd_root.c - `stride ca root`, `ca roots` and `ca federation`, as step's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "cli/command.h"
#include "cli/ui.h"

/* Writes pem to the file argument (0600) with message, or prints it on stdout. */
static int output_pem(struct cli_ctx *ctx, const char *pem, const char *message, struct error *err)
{
	const char *file = cli_arg(ctx, 0);

	if (file == NULL) {
		fputs(pem, stdout);
		return 0;
	}
	if (cli_write_file(ctx, file, pem, strlen(pem), 0600, err) != 0)
		return -1;
	ui_info("%s %s.", message, file);
	return 0;
}

/* --- ca root --------------------------------------------------------------------------------- */

static const struct flag_def root_flags[] = {
    {.name = "fingerprint",
     .type = FLAG_STRING,
     .placeholder = "fingerprint",
     .help = "The SHA-256 fingerprint (hex) of the root certificate to download; the "
	     "downloaded certificate must match it."},
    CLI_FLAG_CA_URL,
    CLI_FLAG_FORCE,
    CLI_FLAG_CONTEXT,
    FLAG_END,
};

static int root_run(struct cli_ctx *ctx, struct error *err)
{
	struct ca_client_config cfg = {0};
	struct ca_client *c = NULL;
	char *url = NULL, *pem = NULL;
	int rc = -1;

	if (cli_require_flags(ctx, err, "fingerprint", NULL) != 0)
		goto out;
	if (cli_ca_url(ctx, &url, err) != 0)
		goto out;
	cfg.ca_url = url;
	if (ca_client_new(&cfg, &c, err) != 0)
		goto out;
	if (ca_client_root(c, flag_str(ctx, "fingerprint"), &pem, err) != 0) {
		if (err != NULL && err->status == 0)
			err_wrap(err, "error downloading root certificate");
		goto out;
	}
	rc = output_pem(ctx, pem, "The root certificate has been saved in", err);
out:
	free(pem);
	free(url);
	ca_client_free(c);
	return rc;
}

const struct command cmd_ca_root = {
    .name = "root",
    .summary = "download and validate the root certificate",
    .args = "[<root-file>]",
    .description = "Downloads the root certificate with the given fingerprint from the CA and\n"
		   "checks that its SHA-256 fingerprint matches. The TLS connection for this\n"
		   "download is not verified: the fingerprint is what establishes trust.\n"
		   "Writes the certificate to <root-file> (mode 0600), or prints it when no\n"
		   "file is given.",
    .flags = root_flags,
    .min_args = 0,
    .max_args = 1,
    .run = root_run,
};

/* --- ca roots / ca federation ---------------------------------------------------------------- */

static const struct flag_def bundle_flags[] = {
    CLI_FLAG_CA_URL, CLI_FLAG_ROOT, CLI_FLAG_FORCE, CLI_FLAG_CONTEXT, FLAG_END,
};

static int bundle_run(struct cli_ctx *ctx, bool federation, struct error *err)
{
	struct ca_client *c = NULL;
	char *pem = NULL;
	int rc = -1;

	if (cli_client_new(ctx, &c, err) != 0)
		goto out;
	if ((federation ? ca_client_federation(c, &pem, err) : ca_client_roots(c, &pem, err)) != 0)
		goto out;
	rc = output_pem(ctx, pem,
			federation ? "The federation certificate bundle has been saved in"
				   : "The root certificate bundle has been saved in",
			err);
out:
	free(pem);
	ca_client_free(c);
	return rc;
}

static int roots_run(struct cli_ctx *ctx, struct error *err)
{
	return bundle_run(ctx, false, err);
}

static int federation_run(struct cli_ctx *ctx, struct error *err)
{
	return bundle_run(ctx, true, err);
}

const struct command cmd_ca_roots = {
    .name = "roots",
    .summary = "download all the root certificates",
    .args = "[<roots-file>]",
    .description = "Downloads the CA's root certificates over TLS verified with --root and\n"
		   "writes them as one PEM bundle to <roots-file> (mode 0600), or prints\n"
		   "them when no file is given.",
    .flags = bundle_flags,
    .min_args = 0,
    .max_args = 1,
    .run = roots_run,
};

const struct command cmd_ca_federation = {
    .name = "federation",
    .summary = "download all the federated certificates",
    .args = "[<federation-file>]",
    .description = "Downloads the CA's root certificates and the roots of the CAs it federates\n"
		   "with, over TLS verified with --root, and writes them as one PEM bundle to\n"
		   "<federation-file> (mode 0600), or prints them when no file is given.",
    .flags = bundle_flags,
    .min_args = 0,
    .max_args = 1,
    .run = federation_run,
};
