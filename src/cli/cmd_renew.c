/* cmd_renew.c - `stride ca renew`, as `step ca renew`, and its daemon. */
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/password.h"
#include "cli/ca_backend.h"
#include "cli/command.h"
#include "cli/renew_common.h"
#include "cli/renew_hooks.h"
#include "cli/ui.h"
#include "crypto/key.h"

static const struct flag_def renew_flags[] = {
    {.name = "mtls",
     .type = FLAG_BOOL,
     .def = "true",
     .help = "Authenticate to the CA with the certificate itself (mutual TLS). Use "
	     "--mtls=false for the token flow instead (an x5cInsecure token signed with the "
	     "key), e.g. behind a layer 7 proxy. An expired certificate always uses the token "
	     "flow."},
    {.name = "out",
     .aliases = "output-file",
     .type = FLAG_STRING,
     .placeholder = "file",
     .help = "The file the new certificate chain is written to. Defaults to <crt-file>."},
    {.name = "renew-period",
     .type = FLAG_STRING,
     .placeholder = "duration",
     .help = "With --daemon: renew at this fixed period instead of at 2/3 of the validity. "
	     "Must be lower than the certificate's validity. A Go duration such as \"16h\"."},
    RENEW_COMMON_FLAGS,
    FLAG_END,
};

static int renew_run(struct cli_ctx *ctx, struct error *err)
{
	const char *crt = cli_arg(ctx, 0), *key = cli_arg(ctx, 1);
	const char *out = flag_str(ctx, "out") != NULL ? flag_str(ctx, "out") : crt;
	struct renew_opts o = {0};
	struct renew_job job = {0};
	struct renew_creds c = {0};
	X509 *leaf = NULL;
	int rc = -1;

	if (renew_opts_parse(ctx, false, &o, err) != 0)
		return -1;
	if (renew_is_kms_uri(key)) {
		err_set(err, ERR_NOT_IMPLEMENTED, "KMS keys ('%s') are not supported yet", key);
		goto out;
	}
	job.opts = &o;
	job.ca = ctx->ca;
	job.crt_file = xstrdup(crt);
	job.key_file = xstrdup(key);
	job.out_crt = out;
	job.password_file = flag_str(ctx, "password-file");
	/* Asked once (a daemon re-reads the key on every renewal without asking again). */
	if (key_file_password(key, job.password_file, NULL, &job.password, err) != 0 ||
	    renew_creds_load(crt, key, job.password_file, job.password, &c, err) != 0 ||
	    renew_check_validity(&o, sk_X509_value(c.chain, 0), err) != 0)
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
	if (!flag_bool(ctx, "force") && file_exists(out) && ui_confirm_overwrite(out, err) != 0)
		goto out;
	if (ca_backend_connect(job.ca, NULL, err) != 0)
		goto out;
	if (renew_job_once(&job, &c, &leaf, err) != 0) {
		renew_wrap_transport(err, "renewing");
		goto out;
	}
	ui_info("Your certificate has been saved in %s.", out);
	rc = renew_hooks_run(&o, false, err);
out:
	X509_free(leaf);
	renew_creds_free(&c);
	renew_job_free(&job);
	renew_opts_free(&o);
	return rc;
}

const struct command cmd_ca_renew = {
    .name = "renew",
    .summary = "renew a certificate",
    .args = "<crt-file> <key-file>",
    .description =
	"Renews the certificate in <crt-file> (with its key in <key-file>) with a request to "
	"the CA and writes the new certificate chain to <crt-file>, or to --out. The new "
	"certificate has the same names, extensions and validity length, and a new serial "
	"number. By default the request authenticates with mutual TLS; an expired certificate "
	"(when the CA allows renewal after expiry) or --mtls=false uses an x5cInsecure token "
	"signed with the key. With --offline the authority of --ca-config runs in-process.\n\n"
	"With --expires-in the certificate is renewed only when it expires within that time; "
	"otherwise \"certificate not renewed: expires in <d>\" is printed and the exit status "
	"is 0.\n\n"
	"With --daemon the command keeps running and renews periodically: by default once 2/3 "
	"of the validity has passed (up to validity/20 earlier at random, so many instances do "
	"not renew at once), with --expires-in when that much validity is left, or every "
	"--renew-period. SIGHUP renews at once; SIGINT and SIGTERM stop it (exit 0). Each "
	"attempt logs one line (INFO: on stdout, ERROR: on stderr). After every new "
	"certificate the --pid/--pid-file process gets --signal (SIGHUP), then --exec runs.\n\n"
	"Where stride does better than step: files are replaced atomically (temporary file, "
	"fsync, rename; mode 0600), so a reader never sees a half-written certificate; --exec "
	"runs through /bin/sh -c and its exit status is logged; before each renewal the daemon "
	"re-reads the certificate and key from disk (picking up files replaced by someone "
	"else), and when they no longer match it writes nothing, says so and tries again; a "
	"failed renewal keeps the current files and is retried after 1-2 s, backing off with "
	"jitter up to one minute, never sleeping past the certificate's expiry; once expired, "
	"renewal switches to the token flow.",
    .flags = renew_flags,
    .min_args = 2,
    .max_args = 2,
    .run = renew_run,
};
