/* command.c - the command tree, usage pages, dispatch and the helpers commands share. */
#include "cli/command.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "base/file.h"
#include "base/str.h"
#include "cli/ca_backend.h"
#include "cli/ui.h"
#include "config/defaults.h"
#include "crypto/cert.h"

#ifndef STRIDE_VERSION
#define STRIDE_VERSION "0.0.0-dev"
#endif

#define ROOT_FILE_MAX (1024u * 1024u)
#define HELP_WIDTH    80

/* --- the command tree ------------------------------------------------------------------------ */

/* A command that exists in step but not yet in stride: listed, and says so when run. */
#define NOT_IMPLEMENTED(n, s) (&(const struct command){.name = (n), .summary = (s)})

static int version_run(struct cli_ctx *ctx, struct error *err);
static int path_run(struct cli_ctx *ctx, struct error *err);

static const struct command cmd_help = {
    .name = "help",
    .summary = "show the usage page of a command",
    .args = "[<command>...]",
};

static const struct command cmd_version = {
    .name = "version",
    .summary = "print the version of stride",
    .description = "Prints the version of stride, the operating system and the architecture.",
    .max_args = 0,
    .run = version_run,
    .opts = CMD_NO_DEFAULTS,
};

static const struct flag_def path_flags[] = {
    {.name = "base",
     .type = FLAG_BOOL,
     .opts = FLAG_NO_ENV | FLAG_NO_DEFAULTS,
     .help = "Print the base path ($STRIDEPATH, default ~/.stride) instead of the path of "
	     "the current context."},
    CLI_FLAG_CONTEXT,
    FLAG_END,
};

static const struct command cmd_path = {
    .name = "path",
    .summary = "print the configured stride path",
    .description = "Prints the directory stride reads its configuration from: $STRIDEPATH\n"
		   "(default ~/.stride), or $STRIDEPATH/authorities/<authority> when a\n"
		   "context is in use.",
    .flags = path_flags,
    .max_args = 0,
    .run = path_run,
    .opts = CMD_NO_DEFAULTS,
};

static const struct command *const ca_subcommands[] = {
    &cmd_ca_init,	 &cmd_ca_bootstrap,   &cmd_ca_health,
    &cmd_ca_token,	 &cmd_ca_certificate, &cmd_ca_sign,
    &cmd_ca_renew,	 &cmd_ca_rekey,	      &cmd_ca_revoke,
    &cmd_ca_root,	 &cmd_ca_roots,	      &cmd_ca_federation,
    &cmd_ca_provisioner, &cmd_ca_admin,	      &cmd_ca_policy,
    &cmd_ca_acme,	 &cmd_help,	      NULL,
};

static const struct command cmd_ca = {
    .name = "ca",
    .summary = "initialize and manage a certificate authority",
    .description = "The ca commands talk to a step-ca compatible certificate authority: they\n"
		   "retrieve its root of trust, get, renew and revoke certificates, and list\n"
		   "its provisioners.",
    .sub = ca_subcommands,
};

static const struct command *const root_subcommands[] = {
    &cmd_ca, &cmd_ssh_group, &cmd_cert_group, &cmd_version, &cmd_path, &cmd_help, NULL,
};

const struct command cli_root_command = {
    .name = "stride",
    .summary = "a step-ca compatible certificate authority client",
    .description = "stride talks to step-ca compatible certificate authorities, such as\n"
		   "stride-ca. `stride ca ...` mirrors `step ca ...` flag for flag.",
    .sub = root_subcommands,
};

static int version_run(struct cli_ctx *ctx, struct error *err)
{
	struct utsname u;

	(void)ctx;
	(void)err;
	if (uname(&u) != 0)
		strcpy(u.machine, "unknown");
	printf("stride/%s (linux/%s)\n", STRIDE_VERSION, u.machine);
	return 0;
}

static int path_run(struct cli_ctx *ctx, struct error *err)
{
	const char *p;
	char *base;

	if (flag_bool(ctx, "base")) {
		base = stride_base_path();
		printf("%s\n", base);
		free(base);
		return 0;
	}
	if (cli_effective_path(ctx, &p, err) != 0)
		return -1;
	printf("%s\n", p);
	return 0;
}

/* --- usage pages ----------------------------------------------------------------------------- */

/* Prints text word-wrapped to HELP_WIDTH, each line indented by indent spaces. A single
 * newline inside a paragraph is a soft break (re-wrapped) unless the next line is indented
 * (examples, lists); a blank line separates paragraphs. */
static void wrap(FILE *f, const char *text, int indent)
{
	int col = 0;
	const char *p = text;

	while (*p != '\0') {
		size_t n;
		if (*p == '\n' && col > 0 && p[1] != '\n' && p[1] != ' ' && p[1] != '\0') {
			p++; /* soft break: the words flow on */
			continue;
		}
		if (*p == '\n') {
			fputc('\n', f);
			col = 0;
			p++;
			continue;
		}
		if (*p == ' ') {
			p++;
			continue;
		}
		n = strcspn(p, " \n");
		if (col > indent && col + 1 + (int)n > HELP_WIDTH) {
			fputc('\n', f);
			col = 0;
		}
		if (col == 0) {
			fprintf(f, "%*s", indent, "");
			col = indent;
		} else {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, n, f);
		col += (int)n;
		p += n;
	}
	if (col > 0)
		fputc('\n', f);
}

char *cli_usage_line(const struct command *cmd, const char *path)
{
	if (cmd->sub != NULL)
		return xasprintf("%s <subcommand>", path);
	if (cmd->args != NULL && cmd->args[0] != '\0')
		return xasprintf("%s %s", path, cmd->args);
	return xstrdup(path);
}

static char *flag_synopsis(const struct flag_def *d)
{
	switch (d->type) {
	case FLAG_BOOL:
		return xasprintf("[--%s]", d->name);
	case FLAG_LIST:
		return xasprintf("[--%s=<%s>]...", d->name,
				 d->placeholder ? d->placeholder : "value");
	case FLAG_STRING:
		break;
	}
	return xasprintf("[--%s=<%s>]", d->name, d->placeholder ? d->placeholder : "value");
}

static void print_synopsis(FILE *f, const struct command *cmd, const char *path)
{
	char *line = cli_usage_line(cmd, path);
	int col = 6;

	fprintf(f, "      %s", line);
	free(line);
	if (cmd->sub != NULL) {
		fprintf(f, " [arguments] [subcommand-flags]\n");
		return;
	}
	fputc('\n', f);
	col = 0;
	for (const struct flag_def *d = cmd->flags; d != NULL && d->name != NULL; d++) {
		char *s;
		if ((d->opts & FLAG_HIDDEN) != 0)
			continue;
		s = flag_synopsis(d);
		if (col > 6 && col + 1 + (int)strlen(s) > HELP_WIDTH) {
			fputc('\n', f);
			col = 0;
		}
		if (col == 0) {
			fprintf(f, "      %s", s);
			col = 6 + (int)strlen(s);
		} else {
			fprintf(f, " %s", s);
			col += 1 + (int)strlen(s);
		}
		free(s);
	}
	if (col > 0)
		fputc('\n', f);
}

static void print_flag_help(FILE *f, const struct flag_def *d)
{
	const char *p = d->aliases;
	char *env;

	if (d->type == FLAG_BOOL)
		fprintf(f, "      --%s", d->name);
	else
		fprintf(f, "      --%s=<%s>", d->name, d->placeholder ? d->placeholder : "value");
	while (p != NULL && *p != '\0') {
		size_t n = strcspn(p, ",");
		if (d->type == FLAG_BOOL)
			fprintf(f, ", --%.*s", (int)n, p);
		else
			fprintf(f, ", --%.*s=<%s>", (int)n, p,
				d->placeholder ? d->placeholder : "value");
		p += n;
		if (*p == ',')
			p++;
	}
	if (d->short_name != 0)
		fprintf(f, ", -%c", d->short_name);
	fputc('\n', f);
	if (d->help != NULL)
		wrap(f, d->help, 10);
	if (d->def != NULL && (d->opts & FLAG_PATH_DEFAULT) == 0)
		fprintf(f, "          Default: %s\n", d->def);
	if (d->type == FLAG_LIST)
		fprintf(f, "          May be repeated.\n");
	if ((d->opts & FLAG_NO_ENV) == 0) {
		env = flag_env_name(d->name);
		fprintf(f, "          Environment: $%s\n", env);
		free(env);
	}
	fputc('\n', f);
}

void cli_print_help(FILE *f, const struct command *cmd, const char *path)
{
	bool pending = cmd->run == NULL && cmd->sub == NULL && cmd != &cmd_help;

	fprintf(f, "NAME\n      %s -- %s\n\nUSAGE\n", path, cmd->summary ? cmd->summary : "");
	print_synopsis(f, cmd, path);
	if (cmd->description != NULL || pending) {
		fprintf(f, "\nDESCRIPTION\n");
		if (cmd->description != NULL)
			wrap(f, cmd->description, 6);
		if (pending)
			fprintf(f, "      '%s' is not implemented yet.\n", path);
	}
	if (cmd->sub != NULL) {
		fprintf(f, "\nCOMMANDS\n");
		for (const struct command *const *s = cmd->sub; *s != NULL; s++) {
			bool todo = (*s)->run == NULL && (*s)->sub == NULL && *s != &cmd_help;
			fprintf(f, "      %-14s %s%s\n", (*s)->name, (*s)->summary,
				todo ? " (not implemented yet)" : "");
		}
		fprintf(f, "\nRun '%s <subcommand> --help' for the usage of a subcommand.\n", path);
		return;
	}
	fprintf(f, "\nOPTIONS\n\n");
	for (const struct flag_def *d = cmd->flags; d != NULL && d->name != NULL; d++)
		if ((d->opts & FLAG_HIDDEN) == 0)
			print_flag_help(f, d);
	fprintf(f, "      -h, --help\n          Show this usage page.\n");
}

/* --- the context of a command ---------------------------------------------------------------- */

void cli_ctx_init(struct cli_ctx *ctx, const struct command *cmd, const char *path)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->cmd = cmd;
	ctx->path = xstrdup(path);
	flag_set_init(&ctx->flags, cmd->flags);
}

void cli_ctx_free(struct cli_ctx *ctx)
{
	if (ctx == NULL)
		return;
	ca_backend_free(ctx->ca);
	flag_set_free(&ctx->flags);
	json_decref(ctx->defaults);
	free(ctx->effective_path);
	free(ctx->path);
	memset(ctx, 0, sizeof(*ctx));
}

int cli_ctx_parse(struct cli_ctx *ctx, int argc, char *const argv[], struct error *err)
{
	return flag_set_parse(&ctx->flags, argc, argv, err);
}

int cli_ctx_resolve_with(struct cli_ctx *ctx, const json_t *defaults, const char *effective_path,
			 struct error *err)
{
	if (flag_set_apply_env(&ctx->flags, err) != 0)
		return -1;
	if (flag_set_apply_defaults(&ctx->flags, defaults, err) != 0)
		return -1;
	flag_set_apply_builtin(&ctx->flags, effective_path);
	ctx->resolved = true;
	/* The flags are final: online or offline is decided here, once. */
	ca_backend_free(ctx->ca);
	ctx->ca = ca_backend_select(ctx);
	return 0;
}

/* True when --context, --authority or --profile (those the command has) are set. */
static bool names_new_context(const struct cli_ctx *ctx)
{
	static const char *const names[] = {"context", "authority", "profile"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flag_defined(ctx, names[i]) && flag_str(ctx, names[i]) != NULL)
			return true;
	return false;
}

static bool needs_path_default(const struct cli_ctx *ctx)
{
	for (size_t i = 0; i < ctx->flags.n; i++) {
		const struct flag_value *v = &ctx->flags.v[i];
		if ((v->def->opts & FLAG_PATH_DEFAULT) != 0 && v->src == FLAG_SRC_NONE)
			return true;
	}
	return false;
}

int cli_ctx_resolve(struct cli_ctx *ctx, struct error *err)
{
	const char *context = NULL, *eff = NULL;

	if (ctx->resolved)
		return 0;
	if (flag_set_apply_env(&ctx->flags, err) != 0)
		return -1;
	if ((ctx->cmd->opts & CMD_NO_DEFAULTS) != 0 ||
	    ((ctx->cmd->opts & CMD_NEW_CONTEXT) != 0 && names_new_context(ctx)))
		return cli_ctx_resolve_with(ctx, NULL, NULL, err);
	if (flag_defined(ctx, "context"))
		context = flag_str(ctx, "context");
	if (defaults_load(context, &ctx->defaults, err) != 0)
		return -1;
	if (flag_set_apply_defaults(&ctx->flags, ctx->defaults, err) != 0)
		return -1;
	if (needs_path_default(ctx) && cli_effective_path(ctx, &eff, err) != 0)
		return -1;
	return cli_ctx_resolve_with(ctx, ctx->defaults, eff, err);
}

const char *cli_arg(const struct cli_ctx *ctx, size_t i)
{
	return i < ctx->flags.args.n ? ctx->flags.args.v[i] : NULL;
}

size_t cli_nargs(const struct cli_ctx *ctx)
{
	return ctx->flags.args.n;
}

int cli_check_args(const struct cli_ctx *ctx, int min, int max, struct error *err)
{
	size_t n = ctx->flags.args.n;
	const char *what = NULL;
	char *usage;

	if (n < (size_t)(min < 0 ? 0 : min))
		what = "not enough";
	else if (max >= 0 && n > (size_t)max)
		what = "too many";
	if (what == NULL)
		return 0;
	usage = cli_usage_line(ctx->cmd, ctx->path);
	err_set(err, ERR_INVALID, "%s positional arguments were provided in '%s'", what, usage);
	free(usage);
	return -1;
}

/* --- flag accessors ----------------------------------------------------------------------------
 */

static struct flag_value *must_lookup(const struct cli_ctx *ctx, const char *name)
{
	struct flag_value *v = flag_set_lookup(&ctx->flags, name);

	if (v == NULL) {
		fprintf(stderr, "BUG: '%s' has no flag '--%s'\n", ctx->path, name);
		abort();
	}
	return v;
}

const char *flag_str(const struct cli_ctx *ctx, const char *name)
{
	const struct flag_value *v = must_lookup(ctx, name);

	return v->str != NULL && v->str[0] != '\0' ? v->str : NULL;
}

bool flag_bool(const struct cli_ctx *ctx, const char *name)
{
	return must_lookup(ctx, name)->b;
}

const struct strv *flag_list(const struct cli_ctx *ctx, const char *name)
{
	return &must_lookup(ctx, name)->list;
}

enum flag_source flag_source_of(const struct cli_ctx *ctx, const char *name)
{
	return must_lookup(ctx, name)->src;
}

bool flag_is_set(const struct cli_ctx *ctx, const char *name)
{
	return flag_source_of(ctx, name) >= FLAG_SRC_DEFAULTS;
}

bool flag_set_by_user(const struct cli_ctx *ctx, const char *name)
{
	return flag_source_of(ctx, name) >= FLAG_SRC_ENV;
}

bool flag_defined(const struct cli_ctx *ctx, const char *name)
{
	return flag_set_lookup(&ctx->flags, name) != NULL;
}

/* --- errors ------------------------------------------------------------------------------------
 */

int cli_err_required(const struct cli_ctx *ctx, struct error *err, const char *flag)
{
	return err_set(err, ERR_INVALID, "'%s' requires the '--%s' flag", ctx->path, flag);
}

int cli_err_incompatible(struct error *err, const char *a, const char *b)
{
	return err_set(err, ERR_INVALID, "flag '--%s' is incompatible with '--%s'", a, b);
}

int cli_err_requires(struct error *err, const char *a, const char *b)
{
	return err_set(err, ERR_INVALID, "flag '--%s' requires the '--%s' flag", a, b);
}

int cli_err_exclusive(struct error *err, const char *a, const char *b)
{
	return err_set(err, ERR_INVALID, "flag '--%s' and flag '--%s' are mutually exclusive", a,
		       b);
}

int cli_err_invalid(struct error *err, const char *flag, const char *value, const char *why)
{
	if (why == NULL)
		return err_set(err, ERR_INVALID, "invalid value '%s' for flag '--%s'", value, flag);
	return err_set(err, ERR_INVALID, "invalid value '%s' for flag '--%s'; %s", value, flag,
		       why);
}

int cli_require_flags(const struct cli_ctx *ctx, struct error *err, ...)
{
	const char *name;
	va_list ap;
	int rc = 0;

	va_start(ap, err);
	while ((name = va_arg(ap, const char *)) != NULL) {
		const struct flag_value *v = must_lookup(ctx, name);
		bool set = v->def->type == FLAG_LIST ? v->list.n > 0
						     : (v->str != NULL && v->str[0] != '\0');
		if (!set) {
			rc = cli_err_required(ctx, err, v->def->name);
			break;
		}
	}
	va_end(ap);
	return rc;
}

/* --- shared helpers ----------------------------------------------------------------------------
 */

int cli_effective_path(struct cli_ctx *ctx, const char **out, struct error *err)
{
	const char *context = NULL;

	if (ctx->effective_path == NULL) {
		if (flag_defined(ctx, "context"))
			context = flag_str(ctx, "context");
		if (stride_effective_path(context, &ctx->effective_path, err) != 0)
			return -1;
	}
	*out = ctx->effective_path;
	return 0;
}

int cli_ca_url(const struct cli_ctx *ctx, char **out, struct error *err)
{
	const char *u = flag_str(ctx, "ca-url");

	*out = NULL;
	if (u == NULL)
		return cli_err_required(ctx, err, "ca-url");
	return ca_url_normalize(u, out, err);
}

int cli_root_file(const struct cli_ctx *ctx, char **out, struct error *err)
{
	const struct flag_value *v = must_lookup(ctx, "root");

	*out = NULL;
	if (v->str != NULL && v->str[0] != '\0' &&
	    (v->src >= FLAG_SRC_DEFAULTS || file_exists(v->str))) {
		*out = xstrdup(v->str);
		return 0;
	}
	return cli_err_required(ctx, err, "root");
}

/* Reads a root bundle file (PEM or DER) into PEM text; malloc'd. */
static int read_roots(const char *path, char **pem, struct error *err)
{
	STACK_OF(X509) *certs = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = -1;

	if (file_read(path, ROOT_FILE_MAX, &data, &len, err) != 0)
		goto out;
	if (cert_parse_chain(data, len, &certs, err) != 0) {
		err_set(err, ERR_INVALID, "error reading %s: no certificate found", path);
		goto out;
	}
	rc = cert_chain_to_pem(certs, pem, err);
out:
	sk_X509_pop_free(certs, X509_free);
	free(data);
	return rc;
}

int cli_client_new(const struct cli_ctx *ctx, struct ca_client **out, struct error *err)
{
	char *url = NULL, *root = NULL, *pem = NULL;
	struct ca_client_config cfg = {0};
	int rc = -1;

	*out = NULL;
	if (cli_ca_url(ctx, &url, err) != 0 || cli_root_file(ctx, &root, err) != 0)
		goto out;
	if (read_roots(root, &pem, err) != 0)
		goto out;
	cfg.ca_url = url;
	cfg.root_pem = pem;
	rc = ca_client_new(&cfg, out, err);
out:
	free(pem);
	free(root);
	free(url);
	return rc;
}

int cli_write_file(const struct cli_ctx *ctx, const char *path, const void *data, size_t n,
		   mode_t mode, struct error *err)
{
	bool force = flag_defined(ctx, "force") && flag_bool(ctx, "force");

	return ui_write_file(path, data, n, mode, force, err);
}

/* --- dispatch ----------------------------------------------------------------------------------
 */

static const struct command *find_sub(const struct command *group, const char *name)
{
	for (const struct command *const *s = group->sub; s != NULL && *s != NULL; s++)
		if (strcmp((*s)->name, name) == 0)
			return *s;
	return NULL;
}

static bool is_help_flag(const char *a)
{
	return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0 || strcmp(a, "-help") == 0 ||
	       strcmp(a, "--h") == 0;
}

/* `stride [group...] help [words...]`: the usage page of the command the words name. */
static int help_for(const struct command *cmd, const char *path, int argc, char **argv)
{
	char *p = xstrdup(path);
	int rc = 0;

	for (int i = 0; i < argc; i++) {
		const struct command *sub = find_sub(cmd, argv[i]);
		char *np;
		if (sub == NULL || sub == &cmd_help) {
			fprintf(stderr, "No help topic for '%s'\n", argv[i]);
			rc = 1;
			goto out;
		}
		np = xasprintf("%s %s", p, argv[i]);
		free(p);
		p = np;
		cmd = sub;
	}
	cli_print_help(stdout, cmd, p);
out:
	free(p);
	return rc;
}

static int run_leaf(const struct command *cmd, const char *path, int argc, char **argv)
{
	struct error err = {0};
	struct cli_ctx ctx;
	int rc = 1;

	cli_ctx_init(&ctx, cmd, path);
	if (cmd->run == NULL) {
		for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
			if (is_help_flag(argv[i])) {
				cli_print_help(stdout, cmd, path);
				rc = 0;
				goto out;
			}
		}
		err_set(&err, ERR_NOT_IMPLEMENTED, "'%s' is not implemented yet", path);
		goto fail;
	}
	if (cli_ctx_parse(&ctx, argc, argv, &err) != 0)
		goto fail;
	if (ctx.flags.help) {
		cli_print_help(stdout, cmd, path);
		rc = 0;
		goto out;
	}
	if (cli_check_args(&ctx, cmd->min_args, cmd->max_args, &err) != 0)
		goto fail;
	if (cli_ctx_resolve(&ctx, &err) != 0)
		goto fail;
	if (cmd->run(&ctx, &err) != 0)
		goto fail;
	if (fflush(stdout) != 0) {
		err_set(&err, ERR_IO, "error writing to stdout");
		goto fail;
	}
	rc = 0;
	goto out;
fail:
	if (err.kind != ERR_NONE || err.msg[0] != '\0') /* else a silent exit 1 */
		ui_print_error(&err);
	if (ctx.exit_status != 0)
		rc = ctx.exit_status;
out:
	cli_ctx_free(&ctx);
	return rc;
}

int cli_main(int argc, char **argv)
{
	const struct command *cmd = &cli_root_command;
	char *path = xstrdup("stride");
	int i = 1, rc = 0;

	while (cmd->sub != NULL) {
		const struct command *sub;
		const char *a;
		char *np;

		if (i >= argc) {
			cli_print_help(stdout, cmd, path);
			goto out;
		}
		a = argv[i];
		if (is_help_flag(a)) {
			cli_print_help(stdout, cmd, path);
			goto out;
		}
		if (strcmp(a, "help") == 0) {
			rc = help_for(cmd, path, argc - i - 1, argv + i + 1);
			goto out;
		}
		if (cmd == &cli_root_command &&
		    (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0))
			a = "version";
		if (a[0] == '-') {
			fprintf(stderr, "flag provided but not defined: -%s\n",
				a[1] == '-' ? a + 2 : a + 1);
			rc = 1;
			goto out;
		}
		sub = find_sub(cmd, a);
		if (sub == NULL) {
			fprintf(stderr, "'%s' is not a command of '%s'; see '%s --help'\n", a, path,
				path);
			rc = 1;
			goto out;
		}
		np = xasprintf("%s %s", path, sub->name);
		free(path);
		path = np;
		cmd = sub;
		i++;
	}
	rc = run_leaf(cmd, path, argc - i, argv + i);
out:
	free(path);
	return rc;
}
