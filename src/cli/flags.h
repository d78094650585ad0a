/* flags.h - command-line flags of the stride CLI (step's flag syntax).
 *
 * A command declares its flags as a table of struct flag_def ending with FLAG_END.
 * Parsing accepts what step (Go's flag package + urfave/cli) accepts:
 *   --name value, --name=value, -name value (one or two dashes), short aliases (-f),
 *   booleans without a value (--force) or with one (--mtls=false), repeatable list flags
 *   (--san a --san b), flags before or after positional arguments, "--" ending flags.
 * Values then come from, highest first: the command line, the environment
 * (STRIDE_<NAME> with '-' -> '_', upper case; the first name only), the merged
 * defaults.json (every name of the flag tried in order), the built-in default.
 *
 * Commands normally use the struct cli_ctx accessors of command.h (flag_str, flag_bool,
 * ...); the flag_set functions here are the machinery underneath.
 */
#ifndef STRIDE_CLI_FLAGS_H
#define STRIDE_CLI_FLAGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/str.h"

enum flag_type {
	FLAG_STRING, /* one value; the last one given wins */
	FLAG_BOOL,   /* no value needed; --x=false / --x=true accepted */
	FLAG_LIST,   /* repeatable; values accumulate (env: comma-separated) */
};

enum flag_opt {
	FLAG_NO_ENV = 1u << 0,	     /* never read from STRIDE_<NAME> */
	FLAG_NO_DEFAULTS = 1u << 1,  /* never read from defaults.json */
	FLAG_PATH_DEFAULT = 1u << 2, /* .def is a path relative to the effective $STRIDEPATH */
	FLAG_HIDDEN = 1u << 3,	     /* accepted but not listed in help */
};

struct flag_def {
	const char *name;	 /* long name without dashes: "ca-url" */
	const char *aliases;	 /* other long names, comma-separated ("issuer"), or NULL */
	char short_name;	 /* one-letter alias ('f' for -f) or 0 */
	enum flag_type type;	 /* string, bool or list */
	const char *placeholder; /* value name shown in help (--root=<file>); NULL for bools */
	const char *def;  /* built-in default as text ("true", "certs/root_ca.crt"), or NULL */
	unsigned opts;	  /* enum flag_opt bits */
	const char *help; /* one or more sentences for the OPTIONS section */
};

#define FLAG_END                                                                                   \
	{                                                                                          \
		.name = NULL                                                                       \
	}

/* Where a value came from, lowest first. */
enum flag_source {
	FLAG_SRC_NONE = 0, /* unset and no built-in default */
	FLAG_SRC_BUILTIN,  /* the flag's built-in default */
	FLAG_SRC_DEFAULTS, /* defaults.json */
	FLAG_SRC_ENV,	   /* STRIDE_<NAME> */
	FLAG_SRC_CLI,	   /* the command line */
};

struct flag_value {
	const struct flag_def *def;
	enum flag_source src;
	char *str;	  /* FLAG_STRING (and the text of a FLAG_BOOL); NULL when unset */
	bool b;		  /* FLAG_BOOL */
	struct strv list; /* FLAG_LIST */
};

struct flag_set {
	const struct flag_def *defs; /* table ending with FLAG_END; may be NULL */
	size_t n;
	struct flag_value *v; /* one per def, same order */
	struct strv args;     /* positional arguments in order */
	bool help;	      /* -h / --help was given */
};

/* Prepares an empty set for the flag table defs (NULL = no flags). */
void flag_set_init(struct flag_set *fs, const struct flag_def *defs);
/* Frees values and positional arguments; the set may be re-initialised. */
void flag_set_free(struct flag_set *fs);
/* Parses argv[0..argc) (no program/command names) into command-line values and positional
 * arguments. Errors use Go's wording: "flag provided but not defined: -x",
 * "flag needs an argument: -x", "invalid boolean value \"v\" for -x: parse error". */
int flag_set_parse(struct flag_set *fs, int argc, char *const argv[], struct error *err);
/* Fills unset flags from STRIDE_<NAME> environment variables (empty variables are ignored). */
int flag_set_apply_env(struct flag_set *fs, struct error *err);
/* Fills unset flags from a defaults.json object (keys = any name of the flag). NULL is fine. */
int flag_set_apply_defaults(struct flag_set *fs, const json_t *defaults, struct error *err);
/* Fills unset flags from their built-in defaults; FLAG_PATH_DEFAULT ones are joined to
 * effective_path (skipped when it is NULL). */
void flag_set_apply_builtin(struct flag_set *fs, const char *effective_path);
/* The value for a flag by any of its names (long, alias or one-letter), or NULL. */
struct flag_value *flag_set_lookup(const struct flag_set *fs, const char *name);
/* The environment variable of a flag: "STRIDE_CA_URL" for "ca-url"; malloc'd. */
char *flag_env_name(const char *flag_name);
/* Parses a boolean like Go's strconv.ParseBool (1 t T TRUE true True 0 f F FALSE false False). */
bool flag_parse_bool(const char *s, bool *out);

#endif
