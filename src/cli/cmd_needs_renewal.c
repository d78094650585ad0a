/* cmd_needs_renewal.c - the `stride certificate` group with `needs-renewal`, as step's
 * `step certificate needs-renewal`: an exit status a systemd ExecCondition= can test.
 *
 * step's exit statuses: 0 the certificate needs renewal, 1 it does not, 2 the file does not
 * exist, 255 any other error. The default threshold is 66% of the validity period used;
 * --expires-in takes a percentage ("75%") or a Go duration ("1h15m": renew when the
 * certificate expires within it). Only the leaf is checked unless --bundle is given. An
 * https:// URL checks the chain a server presents (cli/peer_certs.h).
 */
#include <errno.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/duration.h"
#include "base/str.h"
#include "cli/command.h"
#include "cli/peer_certs.h"
#include "crypto/cert.h"

#define NEEDS_RENEWAL_DEFAULT_PERCENT 66 /* step's default threshold */
#define EXIT_NOT_DUE		      1
#define EXIT_NO_FILE		      2
#define EXIT_OTHER		      255

static const struct flag_def needs_renewal_flags[] = {
    {.name = "expires-in",
     .type = FLAG_STRING,
     .placeholder = "percent|duration",
     .help = "Renew when the certificate has used this percentage of its validity period (the "
	     "value ends with \"%\", e.g. 75%), or when it expires within this duration (a Go "
	     "duration such as 300ms, -1.5h or 2h45m; units ns, us, ms, s, m, h). The default is "
	     "66%."},
    {.name = "bundle",
     .type = FLAG_BOOL,
     .help = "Check every certificate of the file in the order they appear, not only the "
	     "leaf: the first one that is due makes the command succeed."},
    {.name = "roots",
     .type = FLAG_STRING,
     .placeholder = "root-bundle",
     .help = "The root certificates that verify a server's certificate (with https://...): "
	     "a PEM file, a comma-separated list of PEM files, or a directory whose every PEM "
	     "file is read. Default: the system's trust store."},
    {.name = "servername",
     .type = FLAG_STRING,
     .placeholder = "name",
     .help = "The name sent as SNI to the server and checked in its certificate (with "
	     "https://...); default: the URL's host."},
    {.name = "verbose",
     .short_name = 'v',
     .type = FLAG_BOOL,
     .help = "Print \"certificate needs renewal\" on stdout when it does."},
    FLAG_END,
};

/* The threshold of --expires-in: a percentage (*is_percent) or a duration in ns. */
static int parse_threshold(const struct cli_ctx *ctx, bool *is_percent, long long *percent,
			   int64_t *duration, struct error *err)
{
	const char *v = flag_str(ctx, "expires-in");
	size_t n = v != NULL ? strlen(v) : 0;

	*is_percent = n == 0 || v[n - 1] == '%';
	*percent = NEEDS_RENEWAL_DEFAULT_PERCENT;
	*duration = 0;
	if (n == 0)
		return 0;
	if (*is_percent) {
		char *num = xasprintf("%.*s", (int)(n - 1), v);
		int rc = parse_int64(num, percent, NULL);

		free(num);
		if (rc != 0)
			return cli_err_invalid(err, "expires-in", v, NULL);
		if (*percent < 0 || *percent > 100)
			return cli_err_invalid(err, "expires-in", v,
					       "value must be in range 0-100%");
		return 0;
	}
	if (duration_parse(v, duration, NULL) != 0)
		return cli_err_invalid(err, "expires-in", v, NULL);
	return 0;
}

/* Whether cert is due at now_ns for the threshold (step's arithmetic: the percentage used is
 * truncated to an integer before the comparison). */
static bool is_due(X509 *cert, int64_t now_ns, bool is_percent, long long percent, int64_t duration)
{
	int64_t nb = cert_not_before_ns(cert), na = cert_not_after_ns(cert);
	int64_t remaining = na - now_ns;

	if (is_percent) {
		double total = (double)(na - nb);
		double used = total > 0 ? (1.0 - (double)remaining / total) * 100.0 : 100.0;
		return (long long)used >= percent;
	}
	return duration >= remaining;
}

static int needs_renewal_run(struct cli_ctx *ctx, struct error *err)
{
	STACK_OF(X509) *chain = NULL;
	const char *file = cli_arg(ctx, 0);
	bool is_percent = true, due = false;
	long long percent = 0;
	int64_t duration = 0, now = time_now_ns();
	struct stat st;
	int rc = -1;

	ctx->exit_status = EXIT_OTHER;
	if (cli_check_args(ctx, 1, 1, err) != 0)
		goto out;
	if (peer_is_url(file)) {
		if (parse_threshold(ctx, &is_percent, &percent, &duration, err) != 0 ||
		    peer_chain(file, flag_str(ctx, "roots"), flag_str(ctx, "servername"), &chain,
			       err) != 0)
			goto out;
	} else if (stat(file, &st) != 0) {
		if (errno == ENOENT)
			ctx->exit_status = EXIT_NO_FILE;
		err_set(err, errno == ENOENT ? ERR_NOT_FOUND : ERR_IO, "stat %s: %s", file,
			strerror(errno));
		goto out;
	} else if (parse_threshold(ctx, &is_percent, &percent, &duration, err) != 0 ||
		   cert_load_chain_file(file, &chain, err) != 0) {
		goto out;
	}
	for (int i = 0; i < sk_X509_num(chain) && !due; i++) {
		due = is_due(sk_X509_value(chain, i), now, is_percent, percent, duration);
		if (!flag_bool(ctx, "bundle"))
			break;
	}
	if (!due) {
		ctx->exit_status = EXIT_NOT_DUE;
		err_set(err, ERR_CONFLICT, "certificate does not need renewal");
		goto out;
	}
	if (flag_bool(ctx, "verbose"))
		printf("certificate needs renewal\n");
	ctx->exit_status = 0;
	rc = 0;
out:
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

static const struct command cmd_certificate_needs_renewal = {
    .name = "needs-renewal",
    .summary = "check if a certificate needs to be renewed",
    .args = "<crt-file|https://host[:port]>",
    .description =
	"Exits with status 0 when the certificate needs to be renewed, and 1 when it is within\n"
	"its validity bounds and does not. By default a certificate needs renewal once it has\n"
	"used 66% of its validity period; --expires-in changes the threshold. Only the leaf\n"
	"(the first certificate of the file) is checked unless --bundle is given. With an\n"
	"https:// URL instead of a file, the chain the server presents is checked (verified\n"
	"with --roots, or the system's trust store).\n"
	"\n"
	"Exit statuses, as step's: 0 the certificate needs renewal, 1 it does not, 2 the file\n"
	"does not exist, 255 any other error. The stride-renew@.service unit runs it as its\n"
	"ExecCondition=, so that a certificate not due yet skips the renewal without a failure.\n"
	"\n"
	"Examples:\n"
	"  stride certificate needs-renewal site.crt\n"
	"  stride certificate needs-renewal site.crt --expires-in 75%\n"
	"  stride certificate needs-renewal site.crt --expires-in 1h15m --bundle",
    .flags = needs_renewal_flags,
    .min_args = 0,
    .max_args = -1, /* counted by the handler: a wrong count exits 255 as step's */
    .run = needs_renewal_run,
    .opts = CMD_NO_DEFAULTS,
};

static const struct command *const certificate_subcommands[] = {
    &cmd_certificate_needs_renewal,
    NULL,
};

const struct command cmd_cert_group = {
    .name = "certificate",
    .summary = "work with X.509 certificates",
    .description = "The certificate commands inspect X.509 certificates locally.",
    .sub = certificate_subcommands,
};
