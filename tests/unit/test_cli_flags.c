/* test_cli_flags.c - the CLI flag parser, value sources and command-line error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/flags.h"
#include "cli/ui.h"

static const struct flag_def test_flags[] = {
    CLI_FLAG_CA_URL,
    CLI_FLAG_ROOT,
    CLI_FLAG_FORCE,
    CLI_FLAG_CONTEXT,
    {.name = "provisioner", .aliases = "issuer", .type = FLAG_STRING, .placeholder = "name"},
    {.name = "out", .aliases = "output-file", .type = FLAG_STRING, .placeholder = "file"},
    {.name = "curve", .aliases = "crv", .type = FLAG_STRING, .placeholder = "curve"},
    {.name = "san", .type = FLAG_LIST, .placeholder = "dns|ip|email|uri"},
    {.name = "principal", .short_name = 'n', .type = FLAG_LIST, .placeholder = "name"},
    {.name = "mtls", .type = FLAG_BOOL, .def = "true"},
    {.name = "daemon", .type = FLAG_BOOL},
    {.name = "kty", .type = FLAG_STRING, .def = "EC"},
    {.name = "size", .type = FLAG_STRING},
    {.name = "key", .type = FLAG_STRING, .opts = FLAG_NO_ENV | FLAG_NO_DEFAULTS},
    {.name = "expires-in", .type = FLAG_STRING, .placeholder = "duration"},
    FLAG_END,
};

static const struct command test_cmd = {
    .name = "renew",
    .summary = "renew a certificate",
    .args = "<crt-file> <key-file>",
    .flags = test_flags,
    .min_args = 2,
    .max_args = 2,
};

/* Environment variables the tests may set; cleared before each test. */
static const char *const env_vars[] = {"STRIDE_CA_URL", "STRIDE_ROOT",	  "STRIDE_SAN",
				       "STRIDE_KEY",	"STRIDE_MTLS",	  "STRIDE_PROVISIONER",
				       "STRIDE_ISSUER", "STRIDE_CONTEXT", "STRIDE_KTY"};

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		unsetenv(env_vars[i]);
	return 0;
}

/* Parses argv (NULL-terminated) into ctx; returns the parse result, err filled. */
static int parse(struct cli_ctx *ctx, struct error *err, const char *first, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a != NULL && argc < 32; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	cli_ctx_init(ctx, &test_cmd, "stride ca renew");
	err_clear(err);
	return cli_ctx_parse(ctx, argc, argv, err);
}

static json_t *J(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);
	assert_non_null(v);
	return v;
}

static void test_positionals_around_flags(void **state)
{
	struct cli_ctx ctx;
	struct error err;
	(void)state;

	assert_int_equal(
	    parse(&ctx, &err, "a.crt", "--force", "a.key", "--root", "r.pem", "x", NULL), 0);
	assert_int_equal(cli_nargs(&ctx), 3);
	assert_string_equal(cli_arg(&ctx, 0), "a.crt");
	assert_string_equal(cli_arg(&ctx, 1), "a.key");
	assert_string_equal(cli_arg(&ctx, 2), "x");
	assert_null(cli_arg(&ctx, 3));
	assert_true(flag_bool(&ctx, "force"));
	assert_string_equal(flag_str(&ctx, "root"), "r.pem");
	assert_int_equal(flag_source_of(&ctx, "root"), FLAG_SRC_CLI);
	cli_ctx_free(&ctx);
}

static void test_value_forms(void **state)
{
	struct cli_ctx ctx;
	struct error err;
	(void)state;

	assert_int_equal(parse(&ctx, &err, "--ca-url=https://a:1", "-root", "r1", "--kty=", "-out",
			       "o", "--provisioner", "p", "--provisioner", "q", NULL),
			 0);
	assert_string_equal(flag_str(&ctx, "ca-url"), "https://a:1");
	assert_string_equal(flag_str(&ctx, "root"), "r1");
	assert_null(flag_str(&ctx, "kty")); /* explicitly empty reads as unset */
	assert_int_equal(flag_source_of(&ctx, "kty"), FLAG_SRC_CLI);
	assert_string_equal(flag_str(&ctx, "out"), "o");
	assert_string_equal(flag_str(&ctx, "provisioner"), "q"); /* last one wins */
	assert_int_equal(cli_nargs(&ctx), 0);
	cli_ctx_free(&ctx);

	/* a value that looks like a flag is still the value (Go's flag package) */
	assert_int_equal(parse(&ctx, &err, "--root", "--force", NULL), 0);
	assert_string_equal(flag_str(&ctx, "root"), "--force");
	assert_false(flag_bool(&ctx, "force"));
	cli_ctx_free(&ctx);

	/* "-" alone is a positional argument */
	assert_int_equal(parse(&ctx, &err, "-", "b", NULL), 0);
	assert_string_equal(cli_arg(&ctx, 0), "-");
	cli_ctx_free(&ctx);
}

static void test_booleans(void **state)
{
	struct cli_ctx ctx;
	struct error err;
	(void)state;

	assert_int_equal(parse(&ctx, &err, "--mtls=false", "--daemon", "c", NULL), 0);
	assert_int_equal(cli_ctx_resolve_with(&ctx, NULL, NULL, &err), 0);
	assert_false(flag_bool(&ctx, "mtls"));
	assert_true(flag_is_set(&ctx, "mtls"));
	assert_true(flag_bool(&ctx, "daemon"));
	assert_false(flag_bool(&ctx, "force"));
	assert_false(flag_is_set(&ctx, "force"));
	/* a boolean never takes the next argument as its value */
	assert_string_equal(cli_arg(&ctx, 0), "c");
	cli_ctx_free(&ctx);

	/* built-in default true */
	assert_int_equal(parse(&ctx, &err, NULL), 0);
	assert_int_equal(cli_ctx_resolve_with(&ctx, NULL, NULL, &err), 0);
	assert_true(flag_bool(&ctx, "mtls"));
	assert_false(flag_is_set(&ctx, "mtls"));
	assert_int_equal(flag_source_of(&ctx, "mtls"), FLAG_SRC_BUILTIN);
	cli_ctx_free(&ctx);

	assert_int_equal(parse(&ctx, &err, "--mtls=0", "-f=true", NULL), 0);
	assert_false(flag_bool(&ctx, "mtls"));
	assert_true(flag_bool(&ctx, "force"));
	cli_ctx_free(&ctx);

	assert_int_equal(parse(&ctx, &err, "--force=maybe", NULL), -1);
	assert_string_equal(err.msg, "invalid boolean value \"maybe\" for -force: parse error");
	assert_int_equal(err.kind, ERR_INVALID);
	cli_ctx_free(&ctx);
}

static void test_repeatable_and_aliases(void **state)
{
	struct cli_ctx ctx;
	struct error err;
	const struct strv *san;
	(void)state;

	assert_int_equal(parse(&ctx, &err, "--san", "a.example.com", "--san=10.0.0.1", "-n", "bob",
			       "--principal", "alice", "--issuer", "prov", "--output-file", "o.crt",
			       "--crv", "P-384", "-f", NULL),
			 0);
	san = flag_list(&ctx, "san");
	assert_int_equal(san->n, 2);
	assert_string_equal(san->v[0], "a.example.com");
	assert_string_equal(san->v[1], "10.0.0.1");
	assert_int_equal(flag_list(&ctx, "principal")->n, 2);
	assert_string_equal(flag_list(&ctx, "n")->v[0], "bob");
	assert_string_equal(flag_list(&ctx, "principal")->v[1], "alice");
	assert_string_equal(flag_str(&ctx, "provisioner"), "prov");
	assert_string_equal(flag_str(&ctx, "issuer"), "prov");
	assert_string_equal(flag_str(&ctx, "out"), "o.crt");
	assert_string_equal(flag_str(&ctx, "curve"), "P-384");
	assert_true(flag_bool(&ctx, "force"));
	assert_int_equal(flag_list(&ctx, "principal")->n, 2);
	assert_int_equal(flag_list(&ctx, "san")->n, 2);
	assert_true(flag_defined(&ctx, "crv"));
	assert_false(flag_defined(&ctx, "nope"));
	cli_ctx_free(&ctx);
}

static void test_double_dash(void **state)
{
	struct cli_ctx ctx;
	struct error err;
	(void)state;

	assert_int_equal(parse(&ctx, &err, "a", "--", "--force", "-x", NULL), 0);
	assert_int_equal(cli_nargs(&ctx), 3);
	assert_string_equal(cli_arg(&ctx, 1), "--force");
	assert_string_equal(cli_arg(&ctx, 2), "-x");
	assert_false(flag_bool(&ctx, "force"));
	cli_ctx_free(&ctx);
}

static void test_unknown_and_missing(void **state)
{
	struct cli_ctx ctx;
	struct error err;
	(void)state;

	assert_int_equal(parse(&ctx, &err, "a", "--bogus", NULL), -1);
	assert_string_equal(err.msg, "flag provided but not defined: -bogus");
	cli_ctx_free(&ctx);
	assert_int_equal(parse(&ctx, &err, "--bogus=1", NULL), -1);
	assert_string_equal(err.msg, "flag provided but not defined: -bogus");
	cli_ctx_free(&ctx);
	assert_int_equal(parse(&ctx, &err, "-x", NULL), -1);
	assert_string_equal(err.msg, "flag provided but not defined: -x");
	cli_ctx_free(&ctx);
	assert_int_equal(parse(&ctx, &err, "a", "b", "--root", NULL), -1);
	assert_string_equal(err.msg, "flag needs an argument: -root");
	cli_ctx_free(&ctx);
	assert_int_equal(parse(&ctx, &err, "---root", "x", NULL), -1);
	assert_string_equal(err.msg, "bad flag syntax: ---root");
	cli_ctx_free(&ctx);

	/* --help / -h are recognised anywhere before "--" */
	assert_int_equal(parse(&ctx, &err, "a", "-h", NULL), 0);
	assert_true(ctx.flags.help);
	cli_ctx_free(&ctx);
	assert_int_equal(parse(&ctx, &err, "--", "--help", NULL), 0);
	assert_false(ctx.flags.help);
	cli_ctx_free(&ctx);
}

static void test_positional_count(void **state)
{
	struct cli_ctx ctx;
	struct error err;
	(void)state;

	assert_int_equal(parse(&ctx, &err, "a.crt", NULL), 0);
	assert_int_equal(cli_check_args(&ctx, 2, 2, &err), -1);
	assert_string_equal(err.msg, "not enough positional arguments were provided in "
				     "'stride ca renew <crt-file> <key-file>'");
	cli_ctx_free(&ctx);
	assert_int_equal(parse(&ctx, &err, "a", "b", "c", NULL), 0);
	assert_int_equal(cli_check_args(&ctx, 2, 2, &err), -1);
	assert_string_equal(err.msg, "too many positional arguments were provided in "
				     "'stride ca renew <crt-file> <key-file>'");
	assert_int_equal(cli_check_args(&ctx, 0, -1, &err), 0);
	cli_ctx_free(&ctx);
	assert_int_equal(parse(&ctx, &err, "a", "b", NULL), 0);
	assert_int_equal(cli_check_args(&ctx, 2, 2, &err), 0);
	cli_ctx_free(&ctx);
}

static void test_env_over_defaults(void **state)
{
	json_t *defaults = J("{\"ca-url\":\"https://file\",\"root\":\"/file/root.crt\","
			     "\"kty\":\"RSA\",\"key\":\"/file/key\",\"issuer\":\"from-file\"}");
	struct cli_ctx ctx;
	struct error err;
	(void)state;

	setenv("STRIDE_CA_URL", "https://env", 1);
	setenv("STRIDE_KEY", "/env/key", 1);	 /* --key opts out of env and defaults */
	setenv("STRIDE_ISSUER", "env-alias", 1); /* only the first name has a variable */
	assert_int_equal(parse(&ctx, &err, "--root", "/cli/root.crt", NULL), 0);
	assert_int_equal(cli_ctx_resolve_with(&ctx, defaults, "/eff", &err), 0);
	assert_string_equal(flag_str(&ctx, "ca-url"), "https://env");
	assert_int_equal(flag_source_of(&ctx, "ca-url"), FLAG_SRC_ENV);
	assert_true(flag_set_by_user(&ctx, "ca-url"));
	assert_string_equal(flag_str(&ctx, "root"), "/cli/root.crt"); /* command line wins */
	assert_string_equal(flag_str(&ctx, "kty"), "RSA");	      /* defaults over built-in */
	assert_int_equal(flag_source_of(&ctx, "kty"), FLAG_SRC_DEFAULTS);
	assert_true(flag_is_set(&ctx, "kty"));
	assert_false(flag_set_by_user(&ctx, "kty"));
	assert_null(flag_str(&ctx, "key"));
	assert_false(flag_is_set(&ctx, "key"));
	assert_string_equal(flag_str(&ctx, "provisioner"), "from-file"); /* defaults by alias */
	cli_ctx_free(&ctx);

	/* command line over environment */
	assert_int_equal(parse(&ctx, &err, "--ca-url", "https://cli", NULL), 0);
	assert_int_equal(cli_ctx_resolve_with(&ctx, defaults, NULL, &err), 0);
	assert_string_equal(flag_str(&ctx, "ca-url"), "https://cli");
	cli_ctx_free(&ctx);

	/* STRIDE_PROVISIONER (the first name) is read */
	setenv("STRIDE_PROVISIONER", "env-prov", 1);
	assert_int_equal(parse(&ctx, &err, NULL), 0);
	assert_int_equal(cli_ctx_resolve_with(&ctx, defaults, NULL, &err), 0);
	assert_string_equal(flag_str(&ctx, "issuer"), "env-prov");
	cli_ctx_free(&ctx);
	json_decref(defaults);
}

static void test_defaults_over_builtins(void **state)
{
	json_t *defaults = J("{\"size\":2048,\"mtls\":false,\"san\":[\"a\",\"b\"],"
			     "\"expires-in\":1.5,\"context\":\"ignored\"}");
	struct cli_ctx ctx;
	struct error err;
	(void)state;

	assert_int_equal(parse(&ctx, &err, NULL), 0);
	assert_int_equal(cli_ctx_resolve_with(&ctx, defaults, "/home/u/.stride", &err), 0);
	assert_string_equal(flag_str(&ctx, "size"), "2048");
	assert_false(flag_bool(&ctx, "mtls"));
	assert_int_equal(flag_source_of(&ctx, "mtls"), FLAG_SRC_DEFAULTS);
	assert_int_equal(flag_list(&ctx, "san")->n, 2);
	assert_string_equal(flag_list(&ctx, "san")->v[1], "b");
	assert_string_equal(flag_str(&ctx, "expires-in"), "1.5");
	assert_null(flag_str(&ctx, "context")); /* --context never comes from defaults.json */
	assert_string_equal(flag_str(&ctx, "kty"), "EC");
	assert_int_equal(flag_source_of(&ctx, "kty"), FLAG_SRC_BUILTIN);
	assert_false(flag_is_set(&ctx, "kty"));
	/* path defaults live under the effective path */
	assert_string_equal(flag_str(&ctx, "root"), "/home/u/.stride/certs/root_ca.crt");
	assert_false(flag_is_set(&ctx, "root"));
	cli_ctx_free(&ctx);

	/* a list on the command line replaces the list from defaults.json */
	assert_int_equal(parse(&ctx, &err, "--san", "c", NULL), 0);
	assert_int_equal(cli_ctx_resolve_with(&ctx, defaults, NULL, &err), 0);
	assert_int_equal(flag_list(&ctx, "san")->n, 1);
	assert_string_equal(flag_list(&ctx, "san")->v[0], "c");
	assert_null(flag_str(&ctx, "root")); /* no effective path, no path default */
	cli_ctx_free(&ctx);
	json_decref(defaults);

	/* a bad boolean in defaults.json is reported */
	defaults = J("{\"mtls\":\"sometimes\"}");
	assert_int_equal(parse(&ctx, &err, NULL), 0);
	assert_int_equal(cli_ctx_resolve_with(&ctx, defaults, NULL, &err), -1);
	assert_string_equal(err.msg, "invalid value 'sometimes' for 'mtls' in defaults.json");
	cli_ctx_free(&ctx);
	json_decref(defaults);
}

static void test_env_lists_and_bools(void **state)
{
	struct cli_ctx ctx;
	struct error err;
	(void)state;

	setenv("STRIDE_SAN", " a.example.com, ,b.example.com ", 1);
	setenv("STRIDE_MTLS", "false", 1);
	assert_int_equal(parse(&ctx, &err, NULL), 0);
	assert_int_equal(cli_ctx_resolve_with(&ctx, NULL, NULL, &err), 0);
	assert_int_equal(flag_list(&ctx, "san")->n, 2);
	assert_string_equal(flag_list(&ctx, "san")->v[0], "a.example.com");
	assert_string_equal(flag_list(&ctx, "san")->v[1], "b.example.com");
	assert_false(flag_bool(&ctx, "mtls"));
	assert_true(flag_set_by_user(&ctx, "mtls"));
	cli_ctx_free(&ctx);

	setenv("STRIDE_MTLS", "nah", 1);
	assert_int_equal(parse(&ctx, &err, NULL), 0);
	assert_int_equal(cli_ctx_resolve_with(&ctx, NULL, NULL, &err), -1);
	assert_string_equal(err.msg, "invalid value 'nah' for environment variable STRIDE_MTLS");
	cli_ctx_free(&ctx);

	/* an empty variable counts as unset */
	setenv("STRIDE_MTLS", "", 1);
	assert_int_equal(parse(&ctx, &err, NULL), 0);
	assert_int_equal(cli_ctx_resolve_with(&ctx, NULL, NULL, &err), 0);
	assert_true(flag_bool(&ctx, "mtls"));
	cli_ctx_free(&ctx);
}

static void test_error_messages(void **state)
{
	struct cli_ctx ctx;
	struct error err;
	char *name;
	(void)state;

	assert_int_equal(parse(&ctx, &err, NULL), 0);
	assert_int_equal(cli_ctx_resolve_with(&ctx, NULL, NULL, &err), 0);
	assert_int_equal(cli_require_flags(&ctx, &err, "san", "ca-url", NULL), -1);
	assert_string_equal(err.msg, "'stride ca renew' requires the '--san' flag");
	assert_int_equal(cli_err_required(&ctx, &err, "root"), -1);
	assert_string_equal(err.msg, "'stride ca renew' requires the '--root' flag");
	/* the root default does not exist: required */
	assert_int_equal(cli_root_file(&ctx, &name, &err), -1);
	assert_string_equal(err.msg, "'stride ca renew' requires the '--root' flag");
	assert_int_equal(cli_ca_url(&ctx, &name, &err), -1);
	assert_string_equal(err.msg, "'stride ca renew' requires the '--ca-url' flag");
	cli_ctx_free(&ctx);

	assert_int_equal(
	    parse(&ctx, &err, "--ca-url", "ca.example.com:9000/x", "--root", "/no", NULL), 0);
	assert_int_equal(cli_ctx_resolve_with(&ctx, NULL, NULL, &err), 0);
	assert_int_equal(cli_require_flags(&ctx, &err, "ca-url", "root", NULL), 0);
	assert_int_equal(cli_ca_url(&ctx, &name, &err), 0);
	assert_string_equal(name, "https://ca.example.com:9000");
	free(name);
	/* given explicitly: returned even though it does not exist (reading it will say so) */
	assert_int_equal(cli_root_file(&ctx, &name, &err), 0);
	assert_string_equal(name, "/no");
	free(name);
	cli_ctx_free(&ctx);

	cli_err_incompatible(&err, "ssh", "san");
	assert_string_equal(err.msg, "flag '--ssh' is incompatible with '--san'");
	cli_err_requires(&err, "renew-period", "daemon");
	assert_string_equal(err.msg, "flag '--renew-period' requires the '--daemon' flag");
	cli_err_exclusive(&err, "pid", "pid-file");
	assert_string_equal(err.msg, "flag '--pid' and flag '--pid-file' are mutually exclusive");
	cli_err_invalid(&err, "expires-in", "x", NULL);
	assert_string_equal(err.msg, "invalid value 'x' for flag '--expires-in'");
	cli_err_invalid(&err, "ca-url", "http://a", "must have https scheme");
	assert_string_equal(err.msg, "invalid value 'http://a' for flag '--ca-url'; must have "
				     "https scheme");

	name = flag_env_name("ca-url");
	assert_string_equal(name, "STRIDE_CA_URL");
	free(name);
	name = flag_env_name("provisioner-password-file");
	assert_string_equal(name, "STRIDE_PROVISIONER_PASSWORD_FILE");
	free(name);
}

static void test_yes_no(void **state)
{
	(void)state;
	assert_int_equal(ui_parse_yes_no("y"), UI_ANSWER_YES);
	assert_int_equal(ui_parse_yes_no(" YES \n"), UI_ANSWER_YES);
	assert_int_equal(ui_parse_yes_no("Yes"), UI_ANSWER_YES);
	assert_int_equal(ui_parse_yes_no("n"), UI_ANSWER_NO);
	assert_int_equal(ui_parse_yes_no("No"), UI_ANSWER_NO);
	assert_int_equal(ui_parse_yes_no(""), UI_ANSWER_INVALID);
	assert_int_equal(ui_parse_yes_no("yep"), UI_ANSWER_INVALID);
	assert_int_equal(ui_parse_yes_no("nope"), UI_ANSWER_INVALID);
	assert_int_equal(ui_parse_yes_no(NULL), UI_ANSWER_INVALID);
}

static void test_usage_line(void **state)
{
	char *s;
	(void)state;

	s = cli_usage_line(&test_cmd, "stride ca renew");
	assert_string_equal(s, "stride ca renew <crt-file> <key-file>");
	free(s);
	s = cli_usage_line(&cli_root_command, "stride");
	assert_string_equal(s, "stride <subcommand>");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_positionals_around_flags, setup),
	    cmocka_unit_test_setup(test_value_forms, setup),
	    cmocka_unit_test_setup(test_booleans, setup),
	    cmocka_unit_test_setup(test_repeatable_and_aliases, setup),
	    cmocka_unit_test_setup(test_double_dash, setup),
	    cmocka_unit_test_setup(test_unknown_and_missing, setup),
	    cmocka_unit_test_setup(test_positional_count, setup),
	    cmocka_unit_test_setup(test_env_over_defaults, setup),
	    cmocka_unit_test_setup(test_defaults_over_builtins, setup),
	    cmocka_unit_test_setup(test_env_lists_and_bools, setup),
	    cmocka_unit_test_setup(test_error_messages, setup),
	    cmocka_unit_test_setup(test_yes_no, setup),
	    cmocka_unit_test_setup(test_usage_line, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
