/* cmd_bootstrap.c - `stride ca bootstrap`, as `step ca bootstrap`.
 *
 * Downloads the root certificate by fingerprint, stores it with a defaults.json that points
 * at the CA, optionally as a new context, and optionally installs the root in the system
 * trust store.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/file.h"
#include "base/str.h"
#include "cli/command.h"
#include "cli/ui.h"
#include "config/defaults.h"
#include "crypto/cert.h"

#define TRUSTSTORE_DIR "/usr/local/share/ca-certificates"

static const struct flag_def bootstrap_flags[] = {
    CLI_FLAG_CA_URL,
    {.name = "fingerprint",
     .type = FLAG_STRING,
     .placeholder = "fingerprint",
     .help = "The SHA-256 fingerprint (hex) of the root certificate to trust."},
    {.name = "install",
     .type = FLAG_BOOL,
     .help = "Also install the root certificate in the system trust store (Debian and "
	     "derivatives: " TRUSTSTORE_DIR " and update-ca-certificates; needs root)."},
    {.name = "redirect-url",
     .type = FLAG_STRING,
     .placeholder = "url",
     .help = "Stored as \"redirect-url\" in defaults.json."},
    CLI_FLAG_FORCE,
    CLI_FLAG_CONTEXT,
    {.name = "authority",
     .type = FLAG_STRING,
     .placeholder = "name",
     .opts = FLAG_NO_DEFAULTS,
     .help = "The authority name of the new context (default: the CA host name)."},
    {.name = "profile",
     .type = FLAG_STRING,
     .placeholder = "name",
     .opts = FLAG_NO_DEFAULTS,
     .help = "The profile name of the new context (default: the CA host name)."},
    {.name = "team",
     .type = FLAG_STRING,
     .placeholder = "name",
     .opts = FLAG_HIDDEN,
     .help = "Smallstep team bootstrap (not implemented)."},
    {.name = "team-authority",
     .type = FLAG_STRING,
     .placeholder = "name",
     .opts = FLAG_HIDDEN,
     .help = "Smallstep team authority (not implemented)."},
    {.name = "team-url",
     .type = FLAG_STRING,
     .placeholder = "url",
     .opts = FLAG_HIDDEN,
     .help = "Smallstep team URL (not implemented)."},
    FLAG_END,
};

/* The host of a normalised URL (https://host[:port] or https://[v6]:port); malloc'd. */
static char *url_host(const char *url)
{
	const char *h = strstr(url, "://");

	h = h != NULL ? h + 3 : url;
	if (h[0] == '[') {
		const char *end = strchr(h, ']');
		return end != NULL ? xasprintf("%.*s", (int)(end - h - 1), h + 1) : xstrdup(h);
	}
	return xasprintf("%.*s", (int)strcspn(h, ":"), h);
}

/* A context, authority or profile name becomes a directory name: no separators. */
static int check_name(const char *flag, const char *v, struct error *err)
{
	if (!stride_context_name_valid(v))
		return cli_err_invalid(err, flag, v, "it must be usable as a directory name");
	return 0;
}

/* The first update-ca-certificates in PATH or the usual sbin directories; malloc'd or NULL. */
static char *find_update_tool(void)
{
	static const char *const fallback[] = {"/usr/sbin", "/sbin", "/usr/local/sbin"};
	const char *env = getenv("PATH");
	char *paths = xstrdup(env != NULL ? env : ""), *save = NULL, *found = NULL;

	for (char *d = strtok_r(paths, ":", &save); d != NULL && found == NULL;
	     d = strtok_r(NULL, ":", &save)) {
		char *p = path_join(d, "update-ca-certificates");
		if (access(p, X_OK) == 0)
			found = p;
		else
			free(p);
	}
	for (size_t i = 0; found == NULL && i < sizeof(fallback) / sizeof(fallback[0]); i++) {
		char *p = path_join(fallback[i], "update-ca-certificates");
		if (access(p, X_OK) == 0)
			found = p;
		else
			free(p);
	}
	free(paths);
	return found;
}

/* Runs tool without arguments, its stdout discarded; 0 when it exits with status 0. */
static int run_tool(const char *tool, struct error *err)
{
	int status = 0;
	pid_t pid = fork();

	if (pid < 0)
		return err_set(err, ERR_IO, "fork: %s", strerror(errno));
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (devnull >= 0)
			dup2(devnull, STDOUT_FILENO);
		execl(tool, tool, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return err_set(err, ERR_IO, "waitpid: %s", strerror(errno));
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return err_set(err, ERR_IO, "%s failed: exit status %d", tool, WEXITSTATUS(status));
	return err_set(err, ERR_IO, "%s failed: killed by signal %d", tool, WTERMSIG(status));
}

/* A file name for the root in the trust store: its CN (safe characters) and serial. */
static char *truststore_name(const char *pem, struct error *err)
{
	STACK_OF(X509) *certs = NULL;
	char *cn = NULL, *serial = NULL, *name = NULL;

	if (cert_parse_chain((const uint8_t *)pem, strlen(pem), &certs, err) != 0)
		return NULL;
	cn = cert_common_name(sk_X509_value(certs, 0));
	serial = cert_serial_decimal(sk_X509_value(certs, 0));
	for (char *p = cn; p != NULL && *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			*p = '_';
	name = xasprintf("%s_%s.crt", cn != NULL && cn[0] != '\0' ? cn : "stride_root",
			 serial != NULL ? serial : "0");
	free(serial);
	free(cn);
	sk_X509_pop_free(certs, X509_free);
	return name;
}

static int install_root(const char *pem, struct error *err)
{
	char *tool = find_update_tool(), *name = NULL, *dest = NULL;
	int rc = -1;

	if (tool == NULL) {
		err_set(err, ERR_NOT_IMPLEMENTED,
			"error installing the root certificate: update-ca-certificates was not "
			"found; stride installs roots only on systems that use it (Debian, "
			"Ubuntu, Alpine)");
		goto out;
	}
	name = truststore_name(pem, err);
	if (name == NULL)
		goto out;
	dest = path_join(TRUSTSTORE_DIR, name);
	fprintf(stderr, "Installing the root certificate in the system truststore... ");
	fflush(stderr);
	if (file_mkdir_p(TRUSTSTORE_DIR, 0755, err) != 0 ||
	    file_write_atomic(dest, pem, strlen(pem), 0644, err) != 0 || run_tool(tool, err) != 0) {
		fputc('\n', stderr);
		err_wrap(err, "error installing the root certificate");
		goto out;
	}
	fprintf(stderr, "done.\n");
	rc = 0;
out:
	free(dest);
	free(name);
	free(tool);
	return rc;
}

static int bootstrap_run(struct cli_ctx *ctx, struct error *err)
{
	struct ca_client_config cfg = {0};
	struct ca_client *c = NULL;
	char fp[65], *url = NULL, *pem = NULL, *base = NULL, *eff = NULL, *host = NULL;
	char *root_file = NULL, *root_abs = NULL, *defaults_file = NULL, *profile_file = NULL;
	char *dir = NULL, *text = NULL, *s = NULL;
	const char *name, *authority, *profile;
	bool use_context;
	json_t *defaults = NULL;
	int rc = -1;

	if (flag_str(ctx, "team") != NULL) {
		err_set(err, ERR_NOT_IMPLEMENTED, "'%s --team' is not implemented yet", ctx->path);
		goto out;
	}
	if (cli_require_flags(ctx, err, "ca-url", "fingerprint", NULL) != 0)
		goto out;
	if (cli_ca_url(ctx, &url, err) != 0)
		goto out;
	if (cert_fingerprint_normalize(flag_str(ctx, "fingerprint"), fp, NULL) != 0) {
		cli_err_invalid(err, "fingerprint", flag_str(ctx, "fingerprint"), NULL);
		goto out;
	}

	/* 1. the root, trusted by its fingerprint */
	cfg.ca_url = url;
	if (ca_client_new(&cfg, &c, err) != 0)
		goto out;
	if (ca_client_root(c, fp, &pem, err) != 0) {
		if (err != NULL && err->status == 0)
			err_wrap(err, "error downloading root certificate");
		goto out;
	}

	/* 2. where it goes: a context, or the base path */
	base = stride_base_path();
	use_context = flag_str(ctx, "context") != NULL || flag_str(ctx, "authority") != NULL ||
		      flag_str(ctx, "profile") != NULL || stride_contexts_enabled();
	if (use_context) {
		host = url_host(url);
		name = flag_str(ctx, "context") != NULL ? flag_str(ctx, "context") : host;
		authority = flag_str(ctx, "authority") != NULL ? flag_str(ctx, "authority") : host;
		profile = flag_str(ctx, "profile") != NULL ? flag_str(ctx, "profile") : host;
		if (check_name("context", name, err) != 0 ||
		    check_name("authority", authority, err) != 0 ||
		    check_name("profile", profile, err) != 0)
			goto out;
		if (stride_context_add(name, authority, profile, err) != 0)
			goto out;
		dir = path_join(base, "authorities");
		eff = path_join(dir, authority);
		free(dir);
		dir = xasprintf("%s/profiles/%s/config", base, profile);
		profile_file = path_join(dir, "defaults.json");
	} else {
		eff = xstrdup(base);
		s = xasprintf("%s/config/ca.json", base);
		if (file_exists(s))
			ui_info(
			    "Note: %s already configures a CA; to keep this authority apart from "
			    "it, bootstrap with --context <name>.",
			    s);
	}

	/* 3. the root certificate */
	free(s);
	s = path_join(eff, "certs");
	if (file_mkdir_p(s, 0700, err) != 0)
		goto out;
	root_file = path_join(s, "root_ca.crt");
	if (cli_write_file(ctx, root_file, pem, strlen(pem), 0600, err) != 0)
		goto out;
	ui_info("The root certificate has been saved in %s.", root_file);

	/* 4. defaults.json (and the profile's, with contexts) */
	free(s);
	s = path_join(eff, "config");
	if (file_mkdir_p(s, 0700, err) != 0)
		goto out;
	defaults_file = path_join(s, "defaults.json");
	root_abs = path_absolute(root_file);
	defaults = json_pack("{s:s, s:s, s:s}", "ca-url", url, "fingerprint", fp, "root", root_abs);
	if (flag_str(ctx, "redirect-url") != NULL)
		json_object_set_new(defaults, "redirect-url",
				    json_string(flag_str(ctx, "redirect-url")));
	free(s);
	s = json_dumps(defaults, JSON_INDENT(2));
	if (s == NULL) {
		err_set(err, ERR_INTERNAL, "error encoding %s", defaults_file);
		goto out;
	}
	text = xasprintf("%s\n", s);
	if (cli_write_file(ctx, defaults_file, text, strlen(text), 0644, err) != 0)
		goto out;
	ui_info("The authority configuration has been saved in %s.", defaults_file);
	if (profile_file != NULL && !file_exists(profile_file)) {
		if (file_mkdir_p(dir, 0700, err) != 0 ||
		    file_write_atomic(profile_file, "{}\n", 3, 0600, err) != 0)
			goto out;
		ui_info("The profile configuration has been saved in %s.", profile_file);
	}

	/* 5. the system trust store */
	if (flag_bool(ctx, "install") && install_root(pem, err) != 0)
		goto out;
	rc = 0;
out:
	json_decref(defaults);
	free(text);
	free(s);
	free(dir);
	free(profile_file);
	free(defaults_file);
	free(root_abs);
	free(root_file);
	free(host);
	free(eff);
	free(base);
	free(pem);
	free(url);
	ca_client_free(c);
	return rc;
}

const struct command cmd_ca_bootstrap = {
    .name = "bootstrap",
    .summary = "initialize the environment to use the CA commands",
    .description =
	"Downloads the root certificate whose SHA-256 fingerprint is --fingerprint from\n"
	"the CA at --ca-url (the fingerprint, not TLS, establishes trust), saves it as\n"
	"$(stride path)/certs/root_ca.crt and writes $(stride path)/config/defaults.json\n"
	"with the CA URL, the fingerprint and the root path, so later commands need no\n"
	"flags. With --context, --authority or --profile, or when contexts are already\n"
	"in use, the CA gets its own context (named after its host by default) which\n"
	"becomes the current one. Files are replaced atomically.",
    .flags = bootstrap_flags,
    .min_args = 0,
    .max_args = 0,
    .run = bootstrap_run,
    .opts = CMD_NEW_CONTEXT,
};
