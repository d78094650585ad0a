/* command.h - the command table of `stride` and what a command handler gets.
 *
 * Adding a command (e.g. src/cli/cmd_token.c):
 *
 *   static const struct flag_def token_flags[] = {
 *           {.name = "provisioner", .aliases = "issuer", .type = FLAG_STRING,
 *            .placeholder = "name", .help = "The provisioner to use."},
 *           {.name = "san", .type = FLAG_LIST, .placeholder = "dns|ip|email|uri",
 *            .help = "A Subject Alternative Name; repeat the flag for several."},
 *           CLI_FLAG_CA_URL, CLI_FLAG_ROOT, CLI_FLAG_CONTEXT, CLI_FLAG_FORCE,
 *           FLAG_END,
 *   };
 *
 *   static int token_run(struct cli_ctx *ctx, struct error *err)
 *   {
 *           const char *subject = cli_arg(ctx, 0);
 *           if (flag_is_set(ctx, "ssh") && flag_list(ctx, "san")->n > 0)
 *                   return cli_err_incompatible(err, "ssh", "san");
 *           ...
 *   }
 *
 *   const struct command cmd_ca_token = {
 *           .name = "token", .summary = "generate an OTT granting access to the CA",
 *           .args = "<subject>", .description = "...", .flags = token_flags,
 *           .min_args = 1, .max_args = 1, .run = token_run,
 *   };
 *
 * then declare it below (extern const struct command cmd_ca_token;) and replace the
 * NOT_IMPLEMENTED("token", ...) entry of ca_subcommands in command.c by &cmd_ca_token.
 *
 * Before `run` is called the framework has: handled -h/--help (usage page on stdout),
 * parsed flags and positional arguments, checked the positional count against
 * min_args/max_args ("not enough/too many positional arguments were provided in
 * 'stride ca token <subject>'"), and resolved every flag (command line > STRIDE_<NAME> >
 * defaults.json of the context selected by --context > built-in default). A handler
 * returns 0, or -1 with err filled; cli_main prints err->msg on stderr (plus
 * "Re-run with STRIDEDEBUG=1 for more info." when err->status is set: a CA error) and
 * exits 1. A handler that returns -1 with err left clear (ERR_NONE, no message) exits 1
 * without a message (step's os.Exit(1) of `ssh check-host`).
 *
 * Output conventions (step's): primary data on stdout; messages, "✔ Name: value"
 * status lines (ui_status) and prompts on stderr/the terminal. Files are written with
 * cli_write_file (overwrite prompt unless --force, atomic replace).
 */
#ifndef STRIDE_CLI_COMMAND_H
#define STRIDE_CLI_COMMAND_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "base/error.h"
#include "cli/flags.h"
#include "client/ca_client.h"

struct cli_ctx;
struct ca_backend;

/* A command handler: 0 on success, -1 with err filled. */
typedef int (*cli_run_fn)(struct cli_ctx *ctx, struct error *err);

enum cmd_opt {
	CMD_NO_DEFAULTS = 1u << 0, /* never read defaults.json nor resolve the effective path */
	CMD_NEW_CONTEXT = 1u << 1, /* creates contexts: when --context, --authority or --profile
				    * is given, defaults.json is not read (the context may not
				    * exist yet) */
};

struct command {
	const char *name;		  /* word on the command line: "health" */
	const char *summary;		  /* one line for NAME and command lists */
	const char *args;		  /* positional synopsis "<crt-file> <key-file>", or NULL */
	const char *description;	  /* DESCRIPTION text (lines separated by \n), or NULL */
	const struct flag_def *flags;	  /* table ending with FLAG_END, or NULL */
	int min_args;			  /* positional arguments required */
	int max_args;			  /* positional arguments allowed; -1 = any number */
	cli_run_fn run;			  /* NULL: not implemented yet (says so, exit 1) */
	const struct command *const *sub; /* NULL-terminated subcommands of a group, or NULL */
	unsigned opts;			  /* enum cmd_opt bits */
};

/* A command being run. */
struct cli_ctx {
	const struct command *cmd;
	char *path;	       /* "stride ca health" */
	struct flag_set flags; /* values and positional arguments */
	json_t *defaults;      /* merged defaults.json that was applied, or NULL */
	char *effective_path;  /* $STRIDEPATH as resolved for this command, or NULL */
	bool resolved;	       /* env/defaults/built-ins applied */
	struct ca_backend *ca; /* the CA end the flags select (cli/ca_backend.h), set when
				* resolved; owned */
	int exit_status;       /* when run fails: the exit status (0 = the usual 1); step's
				* `certificate needs-renewal` exits 2 and 255 */
};

/* Flags most commands share (use in flag tables). */
#define CLI_FLAG_CA_URL                                                                            \
	{                                                                                          \
		.name = "ca-url", .type = FLAG_STRING, .placeholder = "URI",                       \
		.help = "The URI of the certificate authority, e.g. https://ca.example.com:9000."  \
	}
#define CLI_FLAG_ROOT                                                                              \
	{                                                                                          \
		.name = "root", .type = FLAG_STRING, .placeholder = "file",                        \
		.def = "certs/root_ca.crt", .opts = FLAG_PATH_DEFAULT,                             \
		.help =                                                                            \
		    "The PEM file with the root certificate that the CA's TLS certificate must "   \
		    "chain to. Defaults to $(stride path)/certs/root_ca.crt."                      \
	}
#define CLI_FLAG_CONTEXT                                                                           \
	{                                                                                          \
		.name = "context", .type = FLAG_STRING, .placeholder = "name",                     \
		.opts = FLAG_NO_DEFAULTS,                                                          \
		.help = "The context to use for this command instead of the current one."          \
	}
#define CLI_FLAG_FORCE                                                                             \
	{                                                                                          \
		.name = "force", .short_name = 'f', .type = FLAG_BOOL,                             \
		.help = "Overwrite existing files without asking."                                 \
	}
#define CLI_FLAG_CA_CONFIG                                                                         \
	{                                                                                          \
		.name = "ca-config", .type = FLAG_STRING, .placeholder = "file",                   \
		.def = "config/ca.json", .opts = FLAG_PATH_DEFAULT,                                \
		.help = "The CA configuration file. Defaults to $(stride path)/config/ca.json."    \
	}
#define CLI_FLAG_OFFLINE                                                                           \
	{                                                                                          \
		.name = "offline", .type = FLAG_BOOL,                                              \
		.help = "Do not contact the CA: run the authority in-process from --ca-config."    \
	}
#define CLI_FLAG_PASSWORD_FILE                                                                     \
	{                                                                                          \
		.name = "password-file", .type = FLAG_STRING, .placeholder = "file",               \
		.help = "The file with the password that encrypts or decrypts the private key."    \
	}
#define CLI_FLAG_PROVISIONER_PASSWORD_FILE                                                         \
	{                                                                                          \
		.name = "provisioner-password-file", .type = FLAG_STRING, .placeholder = "file",   \
		.help = "The file with the password that decrypts the provisioner key."            \
	}
#define CLI_FLAG_KMS                                                                               \
	{                                                                                          \
		.name = "kms", .type = FLAG_STRING, .placeholder = "uri",                          \
		.help = "The URI of the KMS or HSM that holds the key."                            \
	}

/* The `stride` command (root of the tree). */
extern const struct command cli_root_command;

/* Commands defined in src/cli/cmd_*.c and listed in the tree of command.c. */
extern const struct command cmd_ca_bootstrap;	 /* cmd_bootstrap.c */
extern const struct command cmd_ca_health;	 /* cmd_health.c */
extern const struct command cmd_ca_root;	 /* cmd_root.c */
extern const struct command cmd_ca_roots;	 /* cmd_root.c */
extern const struct command cmd_ca_federation;	 /* cmd_root.c */
extern const struct command cmd_ca_provisioner;	 /* cmd_provisioner.c (group) */
extern const struct command cmd_ca_init;	 /* cmd_init.c */
extern const struct command cmd_ca_token;	 /* cmd_token.c */
extern const struct command cmd_ca_certificate;	 /* cmd_certificate.c */
extern const struct command cmd_ca_sign;	 /* cmd_sign.c */
extern const struct command cmd_ca_renew;	 /* cmd_renew.c */
extern const struct command cmd_ca_rekey;	 /* cmd_rekey.c */
extern const struct command cmd_ca_revoke;	 /* cmd_revoke.c */
extern const struct command cmd_ca_acme;	 /* cmd_acme.c (group) */
extern const struct command cmd_ca_admin;	 /* cmd_admin.c (group) */
extern const struct command cmd_ca_policy;	 /* cmd_policy.c (group) */
extern const struct command cmd_ssh_group;	 /* cmd_ssh.c (group) */
extern const struct command cmd_ssh_certificate; /* cmd_ssh.c */
extern const struct command cmd_ssh_renew;	 /* cmd_ssh_pop.c */
extern const struct command cmd_ssh_rekey;	 /* cmd_ssh_pop.c */
extern const struct command cmd_ssh_revoke;	 /* cmd_ssh_pop.c */
extern const struct command cmd_ssh_config;	 /* cmd_ssh_config.c */
extern const struct command cmd_ssh_check_host;	 /* cmd_ssh_config.c */
extern const struct command cmd_ssh_hosts;	 /* cmd_ssh_config.c */
extern const struct command cmd_ssh_inspect;	 /* cmd_ssh_inspect.c */
extern const struct command cmd_cert_group;	 /* cmd_needs_renewal.c (group) */

/* Runs stride with argv (argv[0] = program name); returns the exit status (0, 1). */
int cli_main(int argc, char **argv);
/* Prints the usage page of cmd (path = "stride ca health") to f. */
void cli_print_help(FILE *f, const struct command *cmd, const char *path);
/* The first usage line without flags: "stride ca renew <crt-file> <key-file>"; malloc'd. */
char *cli_usage_line(const struct command *cmd, const char *path);

/* Prepares ctx for cmd; path is copied. Free with cli_ctx_free. */
void cli_ctx_init(struct cli_ctx *ctx, const struct command *cmd, const char *path);
/* Frees what ctx owns (not ctx itself). */
void cli_ctx_free(struct cli_ctx *ctx);
/* Parses the command's arguments (after the command words) into ctx. */
int cli_ctx_parse(struct cli_ctx *ctx, int argc, char *const argv[], struct error *err);
/* Applies environment, the given defaults object (borrowed; NULL = none) and built-in
 * defaults, with effective_path for path defaults (NULL = none). Used by cli_ctx_resolve and
 * by tests. */
int cli_ctx_resolve_with(struct cli_ctx *ctx, const json_t *defaults, const char *effective_path,
			 struct error *err);
/* Applies environment, defaults.json of the selected context and built-in defaults. */
int cli_ctx_resolve(struct cli_ctx *ctx, struct error *err);

/* Positional argument i or NULL; and their count. */
const char *cli_arg(const struct cli_ctx *ctx, size_t i);
size_t cli_nargs(const struct cli_ctx *ctx);
/* Checks min <= count <= max (max -1 = any) with step's messages. */
int cli_check_args(const struct cli_ctx *ctx, int min, int max, struct error *err);

/* Flag accessors; name is any name of a flag the command declares (else the program aborts:
 * a typo is a bug). */
/* The value of a string flag, NULL when unset or empty. */
const char *flag_str(const struct cli_ctx *ctx, const char *name);
/* The value of a boolean flag (false when unset, unless its built-in default is true). */
bool flag_bool(const struct cli_ctx *ctx, const char *name);
/* The values of a list flag (never NULL; n == 0 when unset). */
const struct strv *flag_list(const struct cli_ctx *ctx, const char *name);
/* True when a value came from the command line, the environment or defaults.json. */
bool flag_is_set(const struct cli_ctx *ctx, const char *name);
/* True when a value came from the command line or the environment. */
bool flag_set_by_user(const struct cli_ctx *ctx, const char *name);
/* Where the value came from. */
enum flag_source flag_source_of(const struct cli_ctx *ctx, const char *name);
/* True when the command declares a flag with this name. */
bool flag_defined(const struct cli_ctx *ctx, const char *name);

/* "'stride ca health' requires the '--root' flag"; returns -1. */
int cli_err_required(const struct cli_ctx *ctx, struct error *err, const char *flag);
/* "flag '--a' is incompatible with '--b'"; returns -1. */
int cli_err_incompatible(struct error *err, const char *a, const char *b);
/* "flag '--a' requires the '--b' flag"; returns -1. */
int cli_err_requires(struct error *err, const char *a, const char *b);
/* "flag '--a' and flag '--b' are mutually exclusive"; returns -1. */
int cli_err_exclusive(struct error *err, const char *a, const char *b);
/* "invalid value '<v>' for flag '--f'" plus "; <why>" when why is not NULL; returns -1. */
int cli_err_invalid(struct error *err, const char *flag, const char *value, const char *why);
/* Fails with cli_err_required for the first of the NULL-terminated flag names that is unset. */
int cli_require_flags(const struct cli_ctx *ctx, struct error *err, ...) __attribute__((sentinel));

/* The effective $STRIDEPATH of this command (honours --context); owned by ctx. */
int cli_effective_path(struct cli_ctx *ctx, const char **out, struct error *err);
/* --ca-url, required and normalised; *out malloc'd. */
int cli_ca_url(const struct cli_ctx *ctx, char **out, struct error *err);
/* --root or its default path; "'<cmd>' requires the '--root' flag" when it was not given and
 * the default file does not exist. *out malloc'd. */
int cli_root_file(const struct cli_ctx *ctx, char **out, struct error *err);
/* A CA client for --ca-url verified with --root; *out owned by the caller. */
int cli_client_new(const struct cli_ctx *ctx, struct ca_client **out, struct error *err);
/* Writes an output file: overwrite prompt unless --force (when the command has it), then an
 * atomic replace with mode. */
int cli_write_file(const struct cli_ctx *ctx, const char *path, const void *data, size_t n,
		   mode_t mode, struct error *err);

#endif
