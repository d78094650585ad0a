/* cmd_init.c - `stride ca init`: the files `step ca init` writes. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/password.h"
#include "cli/command.h"
#include "cli/pki.h"
#include "cli/ui.h"
#include "config/ca_config.h"
#include "config/defaults.h"

#define GENERATED_PASSWORD_LEN 32

/* Flags whose values must never come from the environment or defaults.json: defaults.json
 * has a "root" key that names the root *certificate*, not an existing root to reuse. */
#define INIT_ONLY (FLAG_NO_ENV | FLAG_NO_DEFAULTS)

static const struct flag_def init_flags[] = {
    {.name = "name",
     .type = FLAG_STRING,
     .placeholder = "name",
     .opts = INIT_ONLY,
     .help = "The name of the new PKI."},
    {.name = "dns",
     .type = FLAG_LIST,
     .placeholder = "dns",
     .opts = INIT_ONLY,
     .help = "A DNS name or IP address clients use to reach the CA; repeat or separate "
	     "with commas."},
    {.name = "address",
     .type = FLAG_STRING,
     .placeholder = "address",
     .opts = INIT_ONLY,
     .help = "The address the CA listens on, e.g. :443 or 127.0.0.1:9443."},
    {.name = "provisioner",
     .type = FLAG_STRING,
     .placeholder = "name",
     .opts = INIT_ONLY,
     .help = "The name of the first provisioner, e.g. you@example.com."},
    {.name = "password-file",
     .type = FLAG_STRING,
     .placeholder = "file",
     .opts = INIT_ONLY,
     .help = "The file with the password that encrypts the CA keys (and the provisioner key "
	     "unless --provisioner-password-file is given)."},
    {.name = "provisioner-password-file",
     .type = FLAG_STRING,
     .placeholder = "file",
     .opts = INIT_ONLY,
     .help = "The file with the password that encrypts the provisioner key."},
    {.name = "root",
     .type = FLAG_STRING,
     .placeholder = "file",
     .opts = INIT_ONLY,
     .help = "An existing root certificate to issue the intermediate with (needs --key)."},
    {.name = "key",
     .type = FLAG_STRING,
     .placeholder = "file",
     .opts = INIT_ONLY,
     .help = "The private key of the --root certificate."},
    {.name = "key-password-file",
     .type = FLAG_STRING,
     .placeholder = "file",
     .opts = INIT_ONLY,
     .help = "The file with the password of --key."},
    {.name = "kty",
     .type = FLAG_STRING,
     .placeholder = "kty",
     .opts = INIT_ONLY,
     .help = "The type of the CA keys: EC (default), OKP or RSA."},
    {.name = "curve",
     .aliases = "crv",
     .type = FLAG_STRING,
     .placeholder = "curve",
     .opts = INIT_ONLY,
     .help = "The curve of the CA keys: P-256 (default), P-384, P-521."},
    {.name = "size",
     .type = FLAG_STRING,
     .placeholder = "size",
     .opts = INIT_ONLY,
     .help = "The RSA key size of the CA keys (default 2048)."},
    {.name = "pki",
     .type = FLAG_BOOL,
     .opts = INIT_ONLY,
     .help = "Create only the keys and certificates, no configuration."},
    {.name = "no-db",
     .type = FLAG_BOOL,
     .opts = INIT_ONLY,
     .help = "Do not configure a database (no revocation, replay protection in memory)."},
    {.name = "db-type",
     .type = FLAG_STRING,
     .placeholder = "type",
     .opts = INIT_ONLY,
     .help = "The database type written to ca.json: sqlite (the default) or postgresql "
	     "(\"postgres\" is accepted and written as given)."},
    {.name = "db-source",
     .type = FLAG_STRING,
     .placeholder = "source",
     .opts = INIT_ONLY,
     .help = "The database's dataSource: for sqlite a file, or a directory that holds "
	     "stride.db (default: $(stride path)/db/stride.db); for postgresql the URL, e.g. "
	     "postgresql://user:password@host:5432/?sslmode=disable (required)."},
    {.name = "db-name",
     .type = FLAG_STRING,
     .placeholder = "name",
     .opts = INIT_ONLY,
     .help = "The PostgreSQL database (\"database\" in ca.json; default: the URL's)."},
    {.name = "with-ca-url",
     .type = FLAG_STRING,
     .placeholder = "URI",
     .opts = INIT_ONLY,
     .help = "The ca-url to write in defaults.json (default: from the first DNS name)."},
    {.name = "deployment-type",
     .type = FLAG_STRING,
     .placeholder = "type",
     .opts = INIT_ONLY,
     .help = "standalone (the only type stride supports)."},
    {.name = "context",
     .type = FLAG_STRING,
     .placeholder = "name",
     .opts = INIT_ONLY,
     .help = "Create the CA in a new context with this name."},
    {.name = "profile",
     .type = FLAG_STRING,
     .placeholder = "name",
     .opts = INIT_ONLY,
     .help = "The profile of the new context (default: the context name)."},
    {.name = "authority",
     .type = FLAG_STRING,
     .placeholder = "name",
     .opts = INIT_ONLY,
     .help = "The authority of the new context (default: the context name)."},
    {.name = "ssh",
     .type = FLAG_BOOL,
     .opts = INIT_ONLY,
     .help = "Create an SSH CA too: host and user CA keys (secrets/ssh_host_ca_key, "
	     "secrets/ssh_user_ca_key, encrypted with the CA password; their public keys in "
	     "certs/), the \"ssh\" and \"templates\" objects of ca.json, SSH certificates "
	     "enabled on the first provisioner and an SSHPOP provisioner named sshpop."},
    {.name = "acme",
     .type = FLAG_BOOL,
     .opts = INIT_ONLY,
     .help = "Add an ACME provisioner named acme (acme-1 when the first provisioner is named "
	     "acme)."},
    {.name = "helm", .type = FLAG_BOOL, .opts = INIT_ONLY, .help = "Not supported yet."},
    {.name = "remote-management",
     .type = FLAG_BOOL,
     .opts = INIT_ONLY,
     .help = "Enable remote administration (the admin API): ca.json gets \"enableAdmin\": "
	     "true and the provisioners go to the new database, with a first super admin."},
    {.name = "admin-subject",
     .aliases = "admin-name",
     .type = FLAG_STRING,
     .placeholder = "subject",
     .opts = INIT_ONLY,
     .help = "The subject of the first super admin (default: step); needs "
	     "--remote-management."},
    {.name = "ra",
     .type = FLAG_STRING,
     .placeholder = "type",
     .opts = INIT_ONLY,
     .help = "Not supported yet."},
    {.name = "kms",
     .type = FLAG_STRING,
     .placeholder = "type",
     .opts = INIT_ONLY,
     .help = "Not supported yet."},
    {.name = "issuer",
     .type = FLAG_STRING,
     .placeholder = "url",
     .opts = INIT_ONLY,
     .help = "Not supported yet (registration authority mode)."},
    {.name = "force",
     .short_name = 'f',
     .type = FLAG_BOOL,
     .opts = INIT_ONLY,
     .help = "Overwrite an existing configuration without asking."},
    FLAG_END,
};

/* The "db" flags: a known type, a URL for PostgreSQL, a database name only for PostgreSQL,
 * and neither --pki nor --no-db (which write no database). */
static int check_db_flags(struct cli_ctx *ctx, struct error *err)
{
	static const char *const flags[] = {"db-type", "db-source", "db-name", NULL};
	const char *type = flag_str(ctx, "db-type");
	bool pg;

	for (size_t i = 0; flags[i] != NULL; i++) {
		if (flag_str(ctx, flags[i]) == NULL)
			continue;
		if (flag_bool(ctx, "pki"))
			return cli_err_incompatible(err, "pki", flags[i]);
		if (flag_bool(ctx, "no-db"))
			return cli_err_incompatible(err, "no-db", flags[i]);
	}
	if (type == NULL)
		type = "sqlite";
	pg = strcmp(type, "postgresql") == 0 || strcmp(type, "postgres") == 0;
	if (!pg && strcmp(type, "sqlite") != 0)
		return cli_err_invalid(err, "db-type", type,
				       "supported types are sqlite and postgresql (or postgres)");
	if (pg && flag_str(ctx, "db-source") == NULL)
		return err_set(err, ERR_INVALID,
			       "flag '--db-type=%s' requires the '--db-source' flag (a URL such as "
			       "postgresql://user:password@host:5432/?sslmode=disable)",
			       type);
	if (!pg && flag_str(ctx, "db-name") != NULL)
		return err_set(err, ERR_INVALID,
			       "flag '--db-name' is only for PostgreSQL: use it with "
			       "'--db-type=postgresql'");
	return 0;
}

static int check_flags(struct cli_ctx *ctx, struct error *err)
{
	static const char *const bools[] = {"helm", NULL};
	static const char *const strs[] = {"ra", "kms", "issuer", NULL};
	const char *dt = flag_str(ctx, "deployment-type");

	if (flag_bool(ctx, "pki") && flag_bool(ctx, "no-db"))
		return cli_err_incompatible(err, "pki", "no-db");
	if (flag_bool(ctx, "remote-management") && flag_bool(ctx, "no-db"))
		return cli_err_incompatible(err, "remote-management", "no-db");
	if (flag_bool(ctx, "acme") && flag_bool(ctx, "no-db"))
		return cli_err_incompatible(err, "acme", "no-db");
	if (flag_str(ctx, "admin-subject") != NULL && flag_bool(ctx, "helm"))
		return cli_err_incompatible(err, "admin-subject", "helm");
	if (flag_str(ctx, "admin-subject") != NULL && !flag_bool(ctx, "remote-management"))
		return err_set(
		    err, ERR_INVALID,
		    "flag '--admin-subject' is only supported when '--remote-management' "
		    "is enabled");
	if (check_db_flags(ctx, err) != 0)
		return -1;
	if (flag_str(ctx, "root") != NULL && flag_str(ctx, "key") == NULL)
		return cli_err_requires(err, "root", "key");
	if (flag_str(ctx, "key") != NULL && flag_str(ctx, "root") == NULL)
		return cli_err_requires(err, "key", "root");
	if (dt != NULL && !str_eq_nocase(dt, "standalone"))
		return err_set(err, ERR_NOT_IMPLEMENTED,
			       "deployment type '%s' is not supported: stride supports standalone",
			       dt);
	for (size_t i = 0; bools[i] != NULL; i++)
		if (flag_bool(ctx, bools[i]))
			return err_set(err, ERR_NOT_IMPLEMENTED, "flag '--%s' is not supported yet",
				       bools[i]);
	for (size_t i = 0; strs[i] != NULL; i++)
		if (flag_str(ctx, strs[i]) != NULL)
			return err_set(err, ERR_NOT_IMPLEMENTED, "flag '--%s' is not supported yet",
				       strs[i]);
	return 0;
}

/* A flag's value, or the answer to its prompt on a terminal (required otherwise). */
static int value_or_prompt(struct cli_ctx *ctx, const char *flag, const char *question,
			   const char *example, char **out, struct error *err)
{
	char *prompt;
	int rc;

	if (flag_str(ctx, flag) != NULL) {
		*out = xstrdup(flag_str(ctx, flag));
		return 0;
	}
	if (!tty_available())
		return cli_err_required(ctx, err, flag);
	prompt = xasprintf("%s\n%s", question, example);
	do {
		rc = tty_prompt_line(prompt, out, err);
		if (rc == 0 && (*out)[0] == '\0') {
			free(*out);
			*out = NULL;
		}
	} while (rc == 0 && *out == NULL);
	free(prompt);
	return rc;
}

/* --dns values, each possibly comma-separated; prompted when absent. */
static int dns_names(struct cli_ctx *ctx, struct strv *out, struct error *err)
{
	const struct strv *given = flag_list(ctx, "dns");
	struct strv parts = {0};
	char *answer = NULL;

	for (size_t i = 0; i < given->n; i++)
		strv_push(&parts, given->v[i]);
	if (parts.n == 0) {
		if (value_or_prompt(ctx, "dns",
				    "What DNS names or IP addresses will clients use to reach "
				    "your CA?",
				    "(e.g. ca.example.com[,10.1.2.3,etc.])", &answer, err) != 0)
			return -1;
		strv_push(&parts, answer);
		free(answer);
	}
	for (size_t i = 0; i < parts.n; i++) {
		char *copy = xstrdup(parts.v[i]), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t != NULL;
		     t = strtok_r(NULL, ",", &save)) {
			char *name = str_trim(t);
			if (name[0] != '\0' && !strv_contains(out, name))
				strv_push(out, name);
		}
		free(copy);
	}
	strv_free(&parts);
	if (out->n == 0)
		return cli_err_invalid(err, "dns", "", "at least one DNS name is required");
	return 0;
}

/* The CA password: --password-file, or a prompt where empty means "generate one". */
static int ca_password(struct cli_ctx *ctx, char **out, struct error *err)
{
	if (flag_str(ctx, "password-file") != NULL)
		return password_read_file(flag_str(ctx, "password-file"), out, err);
	if (!tty_available())
		return cli_err_required(ctx, err, "password-file");
	if (password_prompt("Choose a password for your CA keys and first provisioner.\n"
			    "[leave empty and we'll generate one]",
			    out, err) != 0)
		return -1;
	if ((*out)[0] != '\0')
		return 0;
	password_free(*out);
	if (password_generate(GENERATED_PASSWORD_LEN, out, err) != 0)
		return -1;
	ui_info("Password: %s", *out);
	return 0;
}

static bool valid_address(const char *a)
{
	const char *colon = strrchr(a, ':');

	if (colon == NULL || colon[1] == '\0')
		return false;
	for (const char *p = colon + 1; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return false;
	return atoi(colon + 1) <= 65535;
}

/* With --context/--authority/--profile: registers the context (named after the first DNS
 * name by default), creates its profile's empty defaults.json and returns its tree. */
static int context_path(struct cli_ctx *ctx, const char *dns0, char **path, struct error *err)
{
	const char *name = flag_str(ctx, "context"), *auth = flag_str(ctx, "authority");
	const char *prof = flag_str(ctx, "profile");
	char *base = stride_base_path(), *pdir = NULL, *pfile = NULL;
	int rc = -1;

	name = name != NULL ? name : dns0;
	auth = auth != NULL ? auth : name;
	prof = prof != NULL ? prof : name;
	if (stride_context_add(name, auth, prof, err) != 0)
		goto out;
	pdir = xasprintf("%s/profiles/%s/config", base, prof);
	pfile = path_join(pdir, "defaults.json");
	if (file_mkdir_p(pdir, 0700, err) != 0 ||
	    (!file_exists(pfile) && file_write_atomic(pfile, "{}\n", 3, 0600, err) != 0))
		goto out;
	*path = xasprintf("%s/authorities/%s", base, auth);
	rc = 0;
out:
	free(base);
	free(pdir);
	free(pfile);
	return rc;
}

static void print_result(const struct pki_result *r, const struct pki_params *p)
{
	bool pki_only = p->pki_only;

	ui_status("Root certificate", "%s", r->root_crt);
	if (r->root_key_written)
		ui_status("Root private key", "%s", r->root_key);
	ui_status("Root fingerprint", "%s", r->fingerprint);
	ui_status("Intermediate certificate", "%s", r->intermediate_crt);
	ui_status("Intermediate private key", "%s", r->intermediate_key);
	if (p->ssh) {
		ui_status("SSH user public key", "%s", r->ssh_user_pub);
		ui_status("SSH user private key", "%s", r->ssh_user_key);
		ui_status("SSH host public key", "%s", r->ssh_host_pub);
		ui_status("SSH host private key", "%s", r->ssh_host_key);
	}
	if (!pki_only) {
		ui_status("Database folder", "%s", r->db_dir);
		if (p->ssh)
			ui_status("Templates folder", "%s", r->templates_dir);
		ui_status("Default configuration", "%s", r->defaults_json);
		ui_status("Certificate Authority configuration", "%s", r->ca_json);
		if (p->remote_management) {
			ui_status("Admin provisioner", "%s (JWK)", p->provisioner);
			ui_status("Super admin subject", "%s",
				  p->admin_subject != NULL ? p->admin_subject : "step");
		}
	}
	ui_info("\nYour PKI is ready to go. To generate certificates for individual services "
		"see 'stride help ca'.");
}

/* The answers and files `ca init` needs before it can write anything. */
struct init_input {
	char *name, *address, *provisioner, *password, *prov_password, *root_password, *path;
	struct strv dns;
};

static void init_input_free(struct init_input *in)
{
	free(in->name);
	free(in->address);
	free(in->provisioner);
	password_free(in->password);
	password_free(in->prov_password);
	password_free(in->root_password);
	free(in->path);
	strv_free(&in->dns);
}

static int gather(struct cli_ctx *ctx, struct init_input *in, struct error *err)
{
	const char *ppf = flag_str(ctx, "provisioner-password-file");
	const char *kpf = flag_str(ctx, "key-password-file");
	bool new_ctx =
	    flag_str(ctx, "context") || flag_str(ctx, "authority") || flag_str(ctx, "profile");

	if (value_or_prompt(ctx, "name", "What would you like to name your new PKI?",
			    "(e.g. Smallstep)", &in->name, err) != 0 ||
	    dns_names(ctx, &in->dns, err) != 0 ||
	    value_or_prompt(ctx, "address",
			    "What IP and port will your new CA bind to? (:443 will bind to "
			    "0.0.0.0:443)",
			    "(e.g. :443 or 127.0.0.1:443)", &in->address, err) != 0)
		return -1;
	if (!valid_address(in->address))
		return cli_err_invalid(err, "address", in->address, "it must be host:port");
	if (value_or_prompt(ctx, "provisioner",
			    "What would you like to name the CA's first provisioner?",
			    "(e.g. you@smallstep.com)", &in->provisioner, err) != 0 ||
	    ca_password(ctx, &in->password, err) != 0 ||
	    (ppf != NULL && password_read_file(ppf, &in->prov_password, err) != 0) ||
	    (kpf != NULL && password_read_file(kpf, &in->root_password, err) != 0))
		return -1;
	if (new_ctx)
		return context_path(ctx, in->dns.v[0], &in->path, err);
	return stride_effective_path(NULL, &in->path, err);
}

static int init_run(struct cli_ctx *ctx, struct error *err)
{
	struct init_input in = {0};
	struct pki_params p = {0};
	struct pki_result r = {0};
	char *ca_json = NULL;
	int rc = -1;

	if (check_flags(ctx, err) != 0 ||
	    key_spec_parse(flag_str(ctx, "kty"), flag_str(ctx, "curve"), flag_str(ctx, "size"),
			   &p.key_spec, err) != 0 ||
	    gather(ctx, &in, err) != 0)
		goto out;
	ca_json = path_join(in.path, "config/ca.json");
	if (!flag_bool(ctx, "force") && file_exists(ca_json) &&
	    ui_confirm_overwrite(ca_json, err) != 0)
		goto out;
	p.base_path = in.path;
	p.name = in.name;
	p.dns = &in.dns;
	p.address = in.address;
	p.provisioner = in.provisioner;
	p.password = in.password;
	p.provisioner_password = in.prov_password;
	p.root_crt = flag_str(ctx, "root");
	p.root_key = flag_str(ctx, "key");
	p.root_key_password = in.root_password;
	p.pki_only = flag_bool(ctx, "pki");
	p.no_db = flag_bool(ctx, "no-db");
	p.acme = flag_bool(ctx, "acme");
	p.db_type = flag_str(ctx, "db-type");
	p.db_source = flag_str(ctx, "db-source");
	p.db_name = flag_str(ctx, "db-name");
	p.ca_url = flag_str(ctx, "with-ca-url");
	p.remote_management = flag_bool(ctx, "remote-management");
	p.admin_subject = flag_str(ctx, "admin-subject");
	p.ssh = flag_bool(ctx, "ssh");
	if (pki_init(&p, &r, err) != 0)
		goto out;
	ui_info("Generating root certificate... done!");
	ui_info("Generating intermediate certificate... done!%s", p.ssh ? "" : "\n");
	if (p.ssh)
		ui_info("Generating user and host SSH certificate signing keys... done!\n");
	print_result(&r, &p);
	rc = 0;
out:
	free(ca_json);
	pki_result_free(&r);
	init_input_free(&in);
	return rc;
}

const struct command cmd_ca_init = {
    .name = "init",
    .summary = "initialize the CA PKI",
    .description =
	"Creates a root and an intermediate CA certificate with encrypted keys, the\n"
	"first JWK provisioner, config/ca.json and config/defaults.json under\n"
	"$STRIDEPATH (default ~/.stride), laid out as step lays out $STEPPATH.\n\n"
	"Every question has a flag; with --name, --dns, --address, --provisioner and\n"
	"--password-file it runs without asking. Without a terminal, missing answers\n"
	"are an error.\n\n"
	"The database is SQLite in $STRIDEPATH/db/stride.db unless --db-type, --db-source\n"
	"and --db-name say otherwise; several stride-ca on one PostgreSQL database use\n"
	"--db-type postgresql --db-source <URL> --db-name <database>. A ca.json that\n"
	"names PostgreSQL is written with mode 0600: its URL may hold a password.",
    .flags = init_flags,
    .min_args = 0,
    .max_args = 0,
    .run = init_run,
    .opts = CMD_NEW_CONTEXT,
};
