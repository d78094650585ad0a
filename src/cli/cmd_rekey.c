/* cmd_rekey.c - `stride ca rekey`, as `step ca rekey`, and its daemon. */
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "base/file.h"
#include "base/password.h"
#include "cli/ca_backend.h"
#include "cli/command.h"
#include "cli/renew_common.h"
#include "cli/renew_hooks.h"
#include "cli/ui.h"
#include "crypto/cert.h"
#include "crypto/key.h"

static const struct flag_def rekey_flags[] = {
    {.name = "out-cert",
     .type = FLAG_STRING,
     .placeholder = "file",
     .help = "The file the new certificate chain is written to. Defaults to <crt-file>."},
    {.name = "out-key",
     .type = FLAG_STRING,
     .placeholder = "file",
     .help = "The file the new private key is written to (unencrypted, mode 0600). Defaults "
	     "to <key-file>."},
    {.name = "private-key",
     .type = FLAG_STRING,
     .placeholder = "file",
     .help = "Use the key in this file for the new certificate instead of generating one. "
	     "It is written to --out-key only when that flag is given. With --daemon the file "
	     "is read again before every rekey."},
    {.name = "kty",
     .type = FLAG_STRING,
     .placeholder = "kty",
     .help = "The type of the generated key: EC (default), OKP (Ed25519) or RSA."},
    {.name = "curve",
     .aliases = "crv",
     .type = FLAG_STRING,
     .placeholder = "curve",
     .help = "The curve of the generated key: P-256 (default), P-384, P-521 for EC; Ed25519 "
	     "for OKP."},
    {.name = "size",
     .type = FLAG_STRING,
     .placeholder = "size",
     .help = "The size in bits of a generated RSA key (default 2048, at least 2048)."},
    {.name = "rekey-period",
     .type = FLAG_STRING,
     .placeholder = "duration",
     .help = "With --daemon: rekey at this fixed period instead of at 2/3 of the validity. "
	     "Must be lower than the certificate's validity. A Go duration such as \"16h\"."},
    RENEW_COMMON_FLAGS,
    FLAG_END,
};

/* Asks about existing outputs before anything is sent (unless --force). */
static int confirm(struct cli_ctx *ctx, const char *crt, const char *key, struct error *err)
{
	if (flag_bool(ctx, "force"))
		return 0;
	if (file_exists(crt) && ui_confirm_overwrite(crt, err) != 0)
		return -1;
	if (key != NULL && file_exists(key) && ui_confirm_overwrite(key, err) != 0)
		return -1;
	return 0;
}

static int rekey_run(struct cli_ctx *ctx, struct error *err)
{
	const char *crt = cli_arg(ctx, 0), *key = cli_arg(ctx, 1);
	const char *private_key = flag_str(ctx, "private-key");
	const char *out_key = flag_str(ctx, "out-key");
	struct renew_opts o = {0};
	struct renew_job job = {0};
	struct renew_creds c = {0};
	X509 *leaf = NULL;
	int rc = -1;

	if (renew_opts_parse(ctx, true, &o, err) != 0)
		return -1;
	if (renew_is_kms_uri(key) || renew_is_kms_uri(private_key)) {
		err_set(err, ERR_NOT_IMPLEMENTED, "KMS keys ('%s') are not supported yet",
			renew_is_kms_uri(key) ? key : private_key);
		goto out;
	}
	if (private_key != NULL) {
		static const char *const gen[] = {"kty", "curve", "size", NULL};
		for (size_t i = 0; gen[i] != NULL; i++)
			if (flag_str(ctx, gen[i]) != NULL) {
				cli_err_incompatible(err, "private-key", gen[i]);
				goto out;
			}
	}
	if (key_spec_parse(flag_str(ctx, "kty"), flag_str(ctx, "curve"), flag_str(ctx, "size"),
			   &job.spec, err) != 0)
		goto out;
	job.opts = &o;
	job.ca = ctx->ca;
	job.crt_file = xstrdup(crt);
	job.key_file = xstrdup(key);
	job.out_crt = flag_str(ctx, "out-cert") != NULL ? flag_str(ctx, "out-cert") : crt;
	/* A given key is written only where --out-key says; a generated one always. */
	job.out_key = private_key == NULL ? (out_key != NULL ? out_key : key) : out_key;
	job.private_key = private_key;
	job.password_file = flag_str(ctx, "password-file");
	if (key_file_password(key, job.password_file, NULL, &job.password, err) != 0 ||
	    (private_key != NULL && key_file_password(private_key, job.password_file, NULL,
						      &job.private_key_password, err) != 0) ||
	    renew_creds_load(crt, key, job.password_file, job.password, &c, err) != 0)
		goto out;
	if (time_now_ns() > cert_not_after_ns(sk_X509_value(c.chain, 0))) {
		err_set(err, ERR_INVALID, "cannot rekey an expired certificate");
		goto out;
	}
	if (renew_check_validity(&o, sk_X509_value(c.chain, 0), err) != 0)
		goto out;
	if (o.daemon) {
		if (ca_backend_connect(job.ca, NULL, err) != 0)
			goto out;
		rc = renew_job_daemon(&job, sk_X509_value(c.chain, 0), err);
		goto out;
	}
	if (renew_skip_early(&o, sk_X509_value(c.chain, 0))) {
		rc = 0;
		goto out;
	}
	if (confirm(ctx, job.out_crt, job.out_key, err) != 0 ||
	    ca_backend_connect(job.ca, NULL, err) != 0)
		goto out;
	if (renew_job_once(&job, &c, &leaf, err) != 0) {
		renew_wrap_transport(err, "rekeying");
		goto out;
	}
	ui_status("Certificate", "%s", job.out_crt);
	if (job.out_key != NULL)
		ui_status("Private Key", "%s", job.out_key);
	rc = renew_hooks_run(&o, false, err);
out:
	X509_free(leaf);
	renew_creds_free(&c);
	renew_job_free(&job);
	renew_opts_free(&o);
	return rc;
}

const struct command cmd_ca_rekey = {
    .name = "rekey",
    .summary = "rekey a certificate",
    .args = "<crt-file> <key-file>",
    .description =
	"Rekeys the certificate in <crt-file> (with its key in <key-file>): a new key pair is "
	"generated (or taken from --private-key), and the CA issues a certificate for it with "
	"the same names, extensions and validity length. The request is a CSR with an empty "
	"subject signed by the new key, sent over mutual TLS with the current certificate. The "
	"new chain goes to <crt-file> (or --out-cert), the new key to <key-file> (or "
	"--out-key), both with mode 0600. An expired certificate cannot be rekeyed.\n\n"
	"With --expires-in the certificate is rekeyed only when it expires within that time; "
	"otherwise \"certificate not rekeyed: expires in <d>\" is printed and the exit status "
	"is 0.\n\n"
	"With --daemon the command keeps running and rekeys periodically, on the schedule of "
	"'stride ca renew --daemon' (2/3 of the validity with jitter, --expires-in, or "
	"--rekey-period). Unlike step, whose rekey daemon only renews, every cycle really "
	"generates a new key (with --private-key: reads that file again). The certificate and "
	"key are written as a pair: both complete and fsync'd before they are renamed into "
	"place one right after the other, and only then is the --pid/--pid-file process "
	"signalled and --exec run (through /bin/sh -c, its exit status logged), so a service "
	"that reloads on the signal always reads a matching pair. The daemon re-reads the pair "
	"from disk before each rekey and writes nothing while they do not match; failures are "
	"retried with jittered backoff of up to one minute. SIGHUP rekeys at once; SIGINT and "
	"SIGTERM stop it (exit 0).",
    .flags = rekey_flags,
    .min_args = 2,
    .max_args = 2,
    .run = rekey_run,
};
