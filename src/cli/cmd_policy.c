/* cmd_policy.c - `stride ca policy {authority | provisioner | acme} ...`, as step's
 * `step ca policy ...` (admin.md §6.3): view, remove and edit certificate issuance policies
 * through the admin API, printing the resulting policy as step does.
 *
 * The leaves are shared by the three levels; a run reads its level, scope and action from the
 * words of its command path ("stride ca policy authority x509 allow dns").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "cli/admin_cli.h"
#include "cli/admin_util.h"
#include "cli/command.h"

#define PATH_WORDS_MAX 12

enum policy_op { OP_VIEW, OP_REMOVE, OP_EDIT, OP_WILDCARDS };

/* What the command path says. */
struct policy_cmd {
	const char *level;  /* "authority", "provisioner", "acme" */
	enum policy_op op;  /* what to do */
	const char *scope;  /* "x509", "ssh.host", "ssh.user" (OP_EDIT) */
	const char *action; /* "allow", "deny" (OP_EDIT, OP_WILDCARDS) */
	const char *name;   /* leaf word: "dns", "ip", "email", "uri", "cn", "principal" */
	char *words[PATH_WORDS_MAX];
	size_t n;
};

static void policy_cmd_free(struct policy_cmd *pc)
{
	for (size_t i = 0; i < pc->n; i++)
		free(pc->words[i]);
}

/* Splits "stride ca policy <level> ..." into pc. */
static void parse_path(const char *path, struct policy_cmd *pc)
{
	const char *p = path;
	size_t w;

	memset(pc, 0, sizeof(*pc));
	while (*p != '\0' && pc->n < PATH_WORDS_MAX) {
		size_t len = strcspn(p, " ");
		pc->words[pc->n++] = xasprintf("%.*s", (int)len, p);
		p += len;
		while (*p == ' ')
			p++;
	}
	w = 3; /* after "stride ca policy" */
	pc->level = w < pc->n ? pc->words[w] : "";
	w++;
	if (w >= pc->n)
		return;
	if (strcmp(pc->words[w], "view") == 0) {
		pc->op = OP_VIEW;
	} else if (strcmp(pc->words[w], "remove") == 0) {
		pc->op = OP_REMOVE;
	} else if (strcmp(pc->words[w], "x509") == 0 && w + 2 < pc->n) {
		if (strcmp(pc->words[w + 1], "wildcards") == 0) {
			pc->op = OP_WILDCARDS;
			pc->action = pc->words[w + 2];
		} else {
			pc->op = OP_EDIT;
			pc->scope = "x509";
			pc->action = pc->words[w + 1];
			pc->name = pc->words[w + 2];
		}
	} else if (strcmp(pc->words[w], "ssh") == 0 && w + 3 < pc->n) {
		pc->op = OP_EDIT;
		pc->scope = strcmp(pc->words[w + 1], "host") == 0 ? "ssh.host" : "ssh.user";
		pc->action = pc->words[w + 2];
		pc->name = pc->words[w + 3];
	}
}

/* The provisioner flag of the provisioner and acme levels. */
static const char *provisioner_of(const struct cli_ctx *ctx, const struct policy_cmd *pc)
{
	return strcmp(pc->level, "authority") == 0 ? NULL : flag_str(ctx, "provisioner");
}

/* The policy's URL path for the level, or -1 with step's message for a missing flag. */
static int policy_path(struct cli_ctx *ctx, const struct policy_cmd *pc, char **out,
		       struct error *err)
{
	const char *prov = provisioner_of(ctx, pc), *kid = flag_str(ctx, "eab-key-id");
	const char *ref = flag_str(ctx, "eab-key-reference");
	char *p, *k;

	*out = NULL;
	if (strcmp(pc->level, "authority") == 0) {
		*out = xstrdup("/admin/policy");
		return 0;
	}
	if (prov == NULL)
		return cli_err_required(ctx, err, "provisioner");
	p = admin_path_escape(prov);
	if (strcmp(pc->level, "provisioner") == 0) {
		*out = xasprintf("/admin/provisioners/%s/policy", p);
		free(p);
		return 0;
	}
	if (kid == NULL && ref == NULL) {
		free(p);
		return err_set(err, ERR_INVALID,
			       "one of flag --eab-key-reference or --eab-key-id is required");
	}
	k = admin_path_escape(kid != NULL ? kid : ref);
	*out = xasprintf("/admin/acme/policy/%s/%s/%s", p, kid != NULL ? "key" : "reference", k);
	free(k);
	free(p);
	return 0;
}

/* A 404 with an admin error body (type notFound), not a router's text 404. */
static bool not_found(int status, const struct error *err)
{
	return status == 404 && err->status == 404;
}

static int print_policy(const json_t *p)
{
	char *s = policy_pretty(p);

	fputs(s, stdout);
	free(s);
	return 0;
}

static int view(struct admin_session *s, const char *path, struct error *err)
{
	json_t *resp = NULL;
	int status, rc;

	rc = cli_admin_call(s, "GET", path, NULL, &status, &resp, err);
	if (rc != 0 && not_found(status, err)) {
		printf("certificate issuance policy does not exist\n");
		return 0;
	}
	if (rc != 0)
		return err_wrap(err, "error retrieving authority policy");
	print_policy(resp);
	json_decref(resp);
	return 0;
}

static int remove_policy(struct admin_session *s, const char *path, struct error *err)
{
	json_t *resp = NULL;
	int status, rc;

	rc = cli_admin_call(s, "DELETE", path, NULL, &status, &resp, err);
	json_decref(resp);
	if (rc != 0 && not_found(status, err))
		return err_set(err, ERR_NOT_FOUND, "certificate issuance policy does not exist");
	if (rc != 0)
		return err_wrap(err, "error deleting certificate issuance policy");
	printf("policy deleted\n");
	return 0;
}

/* step's retrieveAndInitializePolicy: GET, or POST an empty policy when there is none. */
static int retrieve(struct admin_session *s, const char *path, json_t **out, struct error *err)
{
	json_t *resp = NULL, *empty;
	int status, rc;

	*out = NULL;
	rc = cli_admin_call(s, "GET", path, NULL, &status, &resp, err);
	if (rc != 0 && !not_found(status, err))
		return err_wrap(err, "error retrieving policy");
	if (rc != 0) {
		empty = policy_initialized(NULL);
		rc = cli_admin_call(s, "POST", path, empty, &status, &resp, err);
		json_decref(empty);
		if (rc != 0)
			return err_wrap(err, "error creating policy");
	}
	*out = policy_initialized(resp);
	json_decref(resp);
	return 0;
}

/* The list name of a leaf word, or -1 with step's message when the scope has no such list. */
static int list_name(const struct policy_cmd *pc, const char **out, struct error *err)
{
	static const struct {
		const char *word, *list, *host_err, *user_err, *x509_err;
	} leaves[] = {
	    {"dns", "dns", NULL, "SSH user policy does not support DNS names", NULL},
	    {"ip", "ips", NULL, "SSH user policy does not support IP addresses or ranges", NULL},
	    {"email", "emails", "SSH host policy does not support emails", NULL, NULL},
	    {"uri", "uris", "SSH host policy does not support URIs",
	     "SSH user policy does not support URIs", NULL},
	    {"cn", "commonNames", "SSH host policy does not support Common Names",
	     "SSH user policy does not support Common Names", NULL},
	    {"principal", "principals", NULL, NULL, "the X.509 policy does not support principals"},
	};

	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		const char *e;
		if (strcmp(leaves[i].word, pc->name) != 0)
			continue;
		e = strcmp(pc->scope, "ssh.host") == 0	 ? leaves[i].host_err
		    : strcmp(pc->scope, "ssh.user") == 0 ? leaves[i].user_err
							 : leaves[i].x509_err;
		if (e != NULL)
			return err_set(err, ERR_INVALID, "%s", e);
		*out = leaves[i].list;
		return 0;
	}
	return err_set(err, ERR_INTERNAL, "unknown policy list %s", pc->name);
}

/* step wraps the retrieval error once more for these leaves. */
static bool wraps_retrieval(const struct policy_cmd *pc)
{
	return pc->op == OP_WILDCARDS || strcmp(pc->name, "dns") == 0 ||
	       strcmp(pc->name, "cn") == 0 || strcmp(pc->name, "uri") == 0;
}

static int edit(struct cli_ctx *ctx, const struct policy_cmd *pc, struct admin_session *s,
		const char *path, struct error *err)
{
	json_t *policy = NULL, *body = NULL, *resp = NULL;
	const char *list = NULL;
	int status, rc = -1;

	if (retrieve(s, path, &policy, err) != 0) {
		if (wraps_retrieval(pc))
			err_wrap(err, "error retrieving policy");
		goto out;
	}
	if (pc->op == OP_WILDCARDS) {
		json_object_set_new(json_object_get(policy, "x509"), "allowWildcardNames",
				    json_boolean(strcmp(pc->action, "allow") == 0));
	} else {
		if (list_name(pc, &list, err) != 0)
			goto out;
		policy_list_edit(policy_list(policy, pc->scope, pc->action, list), &ctx->flags.args,
				 flag_bool(ctx, "remove"));
	}
	policy_deduplicate(policy);
	body = policy_canonical(policy);
	if (cli_admin_call(s, "PUT", path, body, &status, &resp, err) != 0) {
		err_wrap(err, "error updating policy");
		goto out;
	}
	print_policy(resp);
	rc = 0;
out:
	json_decref(resp);
	json_decref(body);
	json_decref(policy);
	return rc;
}

static int policy_run(struct cli_ctx *ctx, struct error *err)
{
	struct policy_cmd pc;
	struct admin_session *s = NULL;
	char *path = NULL;
	int rc = -1;

	parse_path(ctx->path, &pc);
	if (cli_admin_session_new(ctx, &s, err) != 0) {
		err_wrap(err, "error creating admin client");
		goto out;
	}
	if (policy_path(ctx, &pc, &path, err) != 0)
		goto out;
	switch (pc.op) {
	case OP_VIEW:
		rc = view(s, path, err);
		break;
	case OP_REMOVE:
		rc = remove_policy(s, path, err);
		break;
	case OP_EDIT:
	case OP_WILDCARDS:
		rc = edit(ctx, &pc, s, path, err);
		break;
	}
out:
	free(path);
	cli_admin_session_free(s);
	policy_cmd_free(&pc);
	return admin_cli_result(rc, err);
}

/* --- the command tree ---------------------------------------------------------------------- */

#define POLICY_COMMON_FLAGS                                                                        \
	{.name = "provisioner",                                                                    \
	 .aliases = "issuer",                                                                      \
	 .type = FLAG_STRING,                                                                      \
	 .placeholder = "name",                                                                    \
	 .opts = FLAG_NO_ENV | FLAG_NO_DEFAULTS,                                                   \
	 .help = "The provisioner <name> (provisioner and acme levels)."},                         \
	    {.name = "eab-key-id",                                                                 \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "eab-key-id",                                                          \
	     .help = "The ACME EAB key ID whose account policy is meant (acme level)."},           \
	    {.name = "eab-key-reference",                                                          \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "eab-key-reference",                                                   \
	     .help = "The reference of the ACME EAB key whose account policy is meant (acme "      \
		     "level)."},                                                                   \
	    CLI_FLAGS_ADMIN, CLI_FLAG_CA_URL, CLI_FLAG_ROOT, CLI_FLAG_CONTEXT

static const struct flag_def plain_flags[] = {
    POLICY_COMMON_FLAGS,
    FLAG_END,
};

static const struct flag_def value_flags[] = {
    {.name = "remove",
     .type = FLAG_BOOL,
     .opts = FLAG_NO_ENV | FLAG_NO_DEFAULTS,
     .help = "Remove the given values from the policy instead of adding them."},
    POLICY_COMMON_FLAGS,
    FLAG_END,
};

static const struct command cmd_view = {
    .name = "view",
    .summary = "view current certificate issuance policy",
    .description = "Prints the policy, or says that it does not exist.",
    .flags = plain_flags,
    .max_args = 0,
    .run = policy_run,
};

static const struct command cmd_remove = {
    .name = "remove",
    .summary = "remove certificate issuance policy",
    .description = "Removes the policy.",
    .flags = plain_flags,
    .max_args = 0,
    .run = policy_run,
};

#define VALUE_LEAF(var, word, sum, argname)                                                        \
	static const struct command var = {                                                        \
	    .name = (word),                                                                        \
	    .summary = (sum),                                                                      \
	    .args = (argname),                                                                     \
	    .description = "Adds the values to the list (or with --remove drops them), then "      \
			   "prints the resulting policy.",                                         \
	    .flags = value_flags,                                                                  \
	    .min_args = 1,                                                                         \
	    .max_args = -1,                                                                        \
	    .run = policy_run,                                                                     \
	}

VALUE_LEAF(cmd_cn, "cn", "add or remove common names", "<name>...");
VALUE_LEAF(cmd_dns, "dns", "add or remove DNS domains", "<domain>...");
VALUE_LEAF(cmd_email, "email", "add or remove email addresses", "<email>...");
VALUE_LEAF(cmd_ip, "ip", "add or remove ip addresses", "<ip address>...");
VALUE_LEAF(cmd_uri, "uri", "add or remove URI domains", "<uri>...");
VALUE_LEAF(cmd_principal, "principal", "add or remove principals", "<principal>...");

static const struct command *const x509_names[] = {
    &cmd_cn, &cmd_dns, &cmd_email, &cmd_ip, &cmd_uri, NULL,
};

static const struct command cmd_x509_allow = {
    .name = "allow",
    .summary = "manage allowed names for X.509 certificate issuance policies",
    .sub = x509_names,
};

static const struct command cmd_x509_deny = {
    .name = "deny",
    .summary = "manage denied names for X.509 certificate issuance policies",
    .sub = x509_names,
};

static const struct command cmd_wildcards_allow = {
    .name = "allow",
    .summary = "allow wildcard names in X.509 certificate issuance policies",
    .flags = plain_flags,
    .max_args = 0,
    .run = policy_run,
};

static const struct command cmd_wildcards_deny = {
    .name = "deny",
    .summary = "deny wildcard names in X.509 certificate issuance policies",
    .flags = plain_flags,
    .max_args = 0,
    .run = policy_run,
};

static const struct command *const wildcards_sub[] = {
    &cmd_wildcards_allow,
    &cmd_wildcards_deny,
    NULL,
};

static const struct command cmd_wildcards = {
    .name = "wildcards",
    .summary = "manage wildcard name settings for X.509 certificate issuance policies",
    .sub = wildcards_sub,
};

static const struct command *const x509_sub[] = {
    &cmd_x509_allow,
    &cmd_x509_deny,
    &cmd_wildcards,
    NULL,
};

static const struct command cmd_x509 = {
    .name = "x509",
    .summary = "manage X.509 certificate issuance policies",
    .sub = x509_sub,
};

/* SSH host: dns, email (always refused, as step) and principal; no ip. */
static const struct command *const host_names[] = {
    &cmd_dns,
    &cmd_email,
    &cmd_principal,
    NULL,
};
static const struct command *const user_names[] = {
    &cmd_email,
    &cmd_principal,
    NULL,
};

static const struct command cmd_host_allow = {.name = "allow",
					      .summary =
						  "manage allowed SSH host certificate principals",
					      .sub = host_names};
static const struct command cmd_host_deny = {
    .name = "deny", .summary = "manage denied SSH host certificate principals", .sub = host_names};
static const struct command cmd_user_allow = {.name = "allow",
					      .summary =
						  "manage allowed SSH user certificate principals",
					      .sub = user_names};
static const struct command cmd_user_deny = {
    .name = "deny", .summary = "manage denied SSH user certificate principals", .sub = user_names};

static const struct command *const host_sub[] = {&cmd_host_allow, &cmd_host_deny, NULL};
static const struct command *const user_sub[] = {&cmd_user_allow, &cmd_user_deny, NULL};

static const struct command cmd_host = {
    .name = "host", .summary = "manage SSH host certificate issuance policies", .sub = host_sub};
static const struct command cmd_user = {
    .name = "user", .summary = "manage SSH user certificate issuance policies", .sub = user_sub};

static const struct command *const ssh_sub[] = {&cmd_host, &cmd_user, NULL};

static const struct command cmd_ssh = {
    .name = "ssh", .summary = "manage SSH certificate issuance policies", .sub = ssh_sub};

static const struct command *const full_sub[] = {&cmd_view, &cmd_remove, &cmd_x509, &cmd_ssh, NULL};
static const struct command *const acme_sub[] = {&cmd_view, &cmd_remove, &cmd_x509, NULL};

static const struct command cmd_authority = {
    .name = "authority",
    .summary = "manage certificate issuance policies for authorities",
    .description = "Manages the policy of the whole CA.",
    .sub = full_sub,
};

static const struct command cmd_provisioner = {
    .name = "provisioner",
    .summary = "manage certificate issuance policies for provisioners",
    .description = "Manages the policy of the provisioner --provisioner.",
    .sub = full_sub,
};

static const struct command cmd_acme = {
    .name = "acme",
    .summary = "manage certificate issuance policies for ACME accounts",
    .description = "Manages the policy of the ACME account bound to an EAB key of the\n"
		   "provisioner --provisioner (--eab-key-id or --eab-key-reference).",
    .sub = acme_sub,
};

static const struct command *const policy_sub[] = {&cmd_authority, &cmd_provisioner, &cmd_acme,
						   NULL};

const struct command cmd_ca_policy = {
    .name = "policy",
    .summary = "manage certificate issuance policies",
    .description = "Manages the certificate issuance policies of a CA with remote\n"
		   "administration: the names its certificates may (allow) or may not (deny)\n"
		   "carry, for the whole authority, one provisioner or one ACME account.",
    .sub = policy_sub,
};
