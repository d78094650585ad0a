/* cmd_admin.c - `stride ca admin list | add | update | remove`, as step's `step ca admin ...`
 * (admin.md §6.2): the admins of a CA with remote administration, printed through step's
 * tabwriter layout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "cli/admin_cli.h"
#include "cli/admin_util.h"
#include "cli/command.h"
#include "cli/ui.h"

#define ADMIN_PAGE	     100
#define ADMIN_MAX_PAGES	     1000
#define PROVISIONER_ID_QUERY "/admin/provisioners/id?id="

#define SUPER_FLAG(text)                                                                           \
	{                                                                                          \
		.name = "super", .type = FLAG_BOOL, .opts = FLAG_NO_DEFAULTS, .help = (text)       \
	}
#define PROVISIONER_FILTER_FLAG                                                                    \
	{                                                                                          \
		.name = "provisioner", .type = FLAG_STRING, .placeholder = "name",                 \
		.opts = FLAG_NO_ENV | FLAG_NO_DEFAULTS,                                            \
		.help = "The provisioner <name> by which to filter admins."                        \
	}

/* An admin with its provisioner's name and type, as step shows it. */
struct cli_admin {
	char *id, *subject, *prov_id, *prov_name, *prov_type;
	const char *type; /* "ADMIN", "SUPER_ADMIN" */
};

static void cli_admins_free(struct cli_admin *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].subject);
		free(v[i].prov_id);
		free(v[i].prov_name);
		free(v[i].prov_type);
	}
	free(v);
}

static const char *jstr(const json_t *o, const char *camel, const char *snake)
{
	const char *s = json_string_value(json_object_get(o, camel));

	if (s == NULL && snake != NULL)
		s = json_string_value(json_object_get(o, snake));
	return s != NULL ? s : "";
}

/* The linkedca type of a provisioner: "JWK", "ACME", ... (enum name or number). */
static const char *prov_type_name(const json_t *t)
{
	static const char *const names[] = {"NOOP", "JWK", "OIDC",  "GCP",    "AWS",  "AZURE",
					    "ACME", "X5C", "K8SSA", "SSHPOP", "SCEP", "NEBULA"};
	json_int_t i = json_integer_value(t);

	if (json_is_string(t))
		return json_string_value(t);
	return i >= 0 && i < (json_int_t)(sizeof(names) / sizeof(names[0])) ? names[i] : "NOOP";
}

/* Fills the provisioner name and type of a from GET /admin/provisioners/id?id=. Earlier
 * admins with the same provisioner are reused. */
static int resolve_provisioner(struct admin_session *s, struct cli_admin *v, size_t i,
			       struct error *err)
{
	char *esc, *path;
	json_t *p = NULL;
	int status, rc;

	for (size_t j = 0; j < i; j++) {
		if (strcmp(v[j].prov_id, v[i].prov_id) == 0) {
			v[i].prov_name = xstrdup(v[j].prov_name);
			v[i].prov_type = xstrdup(v[j].prov_type);
			return 0;
		}
	}
	esc = admin_path_escape(v[i].prov_id);
	path = xasprintf("%s%s", PROVISIONER_ID_QUERY, esc);
	rc = cli_admin_call(s, "GET", path, NULL, &status, &p, err);
	if (rc == 0) {
		v[i].prov_name = xstrdup(jstr(p, "name", NULL));
		v[i].prov_type = xstrdup(prov_type_name(json_object_get(p, "type")));
	}
	json_decref(p);
	free(path);
	free(esc);
	return rc;
}

static void admin_from_json(const json_t *a, struct cli_admin *out)
{
	out->id = xstrdup(jstr(a, "id", NULL));
	out->subject = xstrdup(jstr(a, "subject", NULL));
	out->prov_id = xstrdup(jstr(a, "provisionerId", "provisioner_id"));
	out->type = admin_type_name(json_object_get(a, "type"));
}

/* Every admin (all pages of GET /admin/admins, limit 100) with its provisioner. */
static int list_admins(struct admin_session *s, struct cli_admin **out, size_t *n,
		       struct error *err)
{
	struct cli_admin *v = NULL;
	char *cursor = xstrdup("");
	size_t count = 0;
	int rc = -1;

	for (int page = 0; page < ADMIN_MAX_PAGES; page++) {
		char *esc = admin_path_escape(cursor), *path;
		json_t *resp = NULL, *a;
		size_t i;
		int status;

		path = cursor[0] == '\0'
			   ? xasprintf("/admin/admins?limit=%d", ADMIN_PAGE)
			   : xasprintf("/admin/admins?cursor=%s&limit=%d", esc, ADMIN_PAGE);
		free(esc);
		rc = cli_admin_call(s, "GET", path, NULL, &status, &resp, err);
		free(path);
		if (rc != 0)
			goto out;
		json_array_foreach(json_object_get(resp, "admins"), i, a)
		{
			v = xrealloc(v, (count + 1) * sizeof(*v));
			memset(&v[count], 0, sizeof(*v));
			admin_from_json(a, &v[count++]);
		}
		free(cursor);
		cursor = xstrdup(jstr(resp, "nextCursor", NULL));
		json_decref(resp);
		if (cursor[0] == '\0')
			break;
	}
	rc = -1;
	for (size_t i = 0; i < count; i++)
		if (resolve_provisioner(s, v, i, err) != 0)
			goto out;
	*out = v;
	*n = count;
	v = NULL;
	count = 0;
	rc = 0;
out:
	cli_admins_free(v, count);
	free(cursor);
	return rc;
}

/* Prints the header and the rows through the tabwriter layout. */
static void print_table(const struct cli_admin *v, size_t n)
{
	char *text = xstrdup("SUBJECT\tPROVISIONER\tTYPE\n"), *t, *out;

	for (size_t i = 0; i < n; i++) {
		t = xasprintf("%s%s\t%s (%s)\t%s\n", text, v[i].subject, v[i].prov_name,
			      v[i].prov_type, v[i].type);
		free(text);
		text = t;
	}
	out = tabwriter_format(text);
	fputs(out, stdout);
	free(out);
	free(text);
}

static int list_run(struct cli_ctx *ctx, struct error *err)
{
	bool super_set = flag_set_by_user(ctx, "super"), super = flag_bool(ctx, "super");
	const char *prov = flag_str(ctx, "provisioner");
	struct admin_session *s = NULL;
	struct cli_admin *v = NULL, *keep;
	size_t n = 0, k = 0;
	int rc = -1;

	if (cli_admin_session_new(ctx, &s, err) != 0 || list_admins(s, &v, &n, err) != 0)
		goto out;
	keep = xcalloc(n + 1, sizeof(*keep));
	for (size_t i = 0; i < n; i++) {
		bool is_super = strcmp(v[i].type, "SUPER_ADMIN") == 0;
		if ((super_set && super != is_super) ||
		    (prov != NULL && strcmp(v[i].prov_name, prov) != 0))
			continue;
		keep[k++] = v[i];
	}
	print_table(keep, k);
	free(keep);
	rc = 0;
out:
	cli_admins_free(v, n);
	cli_admin_session_free(s);
	return admin_cli_result(rc, err);
}

static int add_run(struct cli_ctx *ctx, struct error *err)
{
	struct admin_session *s = NULL;
	struct cli_admin a = {0};
	json_t *body, *resp = NULL;
	int status, rc = -1;

	body = json_pack("{s:s, s:s, s:i}", "subject", cli_arg(ctx, 0), "provisioner",
			 cli_arg(ctx, 1), "type", flag_bool(ctx, "super") ? 2 : 1);
	if (cli_admin_session_new(ctx, &s, err) != 0 ||
	    cli_admin_call(s, "POST", "/admin/admins", body, &status, &resp, err) != 0)
		goto out;
	admin_from_json(resp, &a);
	if (resolve_provisioner(s, &a, 0, err) != 0)
		goto out;
	print_table(&a, 1);
	rc = 0;
out:
	free(a.id);
	free(a.subject);
	free(a.prov_id);
	free(a.prov_name);
	free(a.prov_type);
	json_decref(resp);
	json_decref(body);
	cli_admin_session_free(s);
	return admin_cli_result(rc, err);
}

/* step's adminPrompt: the admins with the subject (then --provisioner), a selection when
 * several remain. *choice indexes v. */
static int select_admin(struct cli_ctx *ctx, const struct cli_admin *v, size_t n, size_t *choice,
			struct error *err)
{
	const char *subject = cli_arg(ctx, 0), *prov = flag_str(ctx, "provisioner");
	size_t *idx = xcalloc(n + 1, sizeof(*idx)), m = 0, pick = 0;
	char **labels = NULL;
	int rc = -1;

	if (n == 0) {
		err_set(err, ERR_NOT_FOUND, "no admins to update");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].subject, subject) == 0)
			idx[m++] = i;
	if (m == 0) {
		err_set(err, ERR_NOT_FOUND, "no admins with subject %s", subject);
		goto out;
	}
	if (prov != NULL) {
		size_t k = 0;
		for (size_t i = 0; i < m; i++)
			if (strcmp(v[idx[i]].prov_name, prov) == 0)
				idx[k++] = idx[i];
		m = k;
		if (m == 0) {
			cli_err_invalid(err, "provisioner", prov, NULL);
			goto out;
		}
	}
	labels = xcalloc(m, sizeof(*labels));
	for (size_t i = 0; i < m; i++)
		labels[i] =
		    xasprintf("subject: %s, provisioner: %s(%s), type: %s", v[idx[i]].subject,
			      v[idx[i]].prov_name, v[idx[i]].prov_type, v[idx[i]].type);
	if (m == 1)
		ui_status("Admin", "%s", labels[0]);
	else if (ui_select("Select an admin:", (const char *const *)labels, m, &pick, err) != 0)
		goto out;
	*choice = idx[pick];
	rc = 0;
out:
	for (size_t i = 0; labels != NULL && i < m; i++)
		free(labels[i]);
	free(labels);
	free(idx);
	return rc;
}

static int update_run(struct cli_ctx *ctx, struct error *err)
{
	struct admin_session *s = NULL;
	struct cli_admin *v = NULL, row;
	json_t *body = NULL, *resp = NULL;
	size_t n = 0, i = 0;
	char *esc = NULL, *path = NULL;
	int status, rc = -1;

	if (!flag_set_by_user(ctx, "super"))
		return cli_err_required(ctx, err, "super");
	if (cli_admin_session_new(ctx, &s, err) != 0 || list_admins(s, &v, &n, err) != 0 ||
	    select_admin(ctx, v, n, &i, err) != 0)
		goto out;
	body = json_pack("{s:i}", "type", flag_bool(ctx, "super") ? 2 : 1);
	esc = admin_path_escape(v[i].id);
	path = xasprintf("/admin/admins/%s", esc);
	if (cli_admin_call(s, "PATCH", path, body, &status, &resp, err) != 0)
		goto out;
	row = v[i];
	row.subject = (char *)jstr(resp, "subject", NULL);
	row.type = admin_type_name(json_object_get(resp, "type"));
	print_table(&row, 1);
	rc = 0;
out:
	free(path);
	free(esc);
	json_decref(resp);
	json_decref(body);
	cli_admins_free(v, n);
	cli_admin_session_free(s);
	return admin_cli_result(rc, err);
}

static int remove_run(struct cli_ctx *ctx, struct error *err)
{
	struct admin_session *s = NULL;
	struct cli_admin *v = NULL;
	json_t *resp = NULL;
	size_t n = 0, i = 0;
	char *esc = NULL, *path = NULL;
	int status, rc = -1;

	if (cli_admin_session_new(ctx, &s, err) != 0 || list_admins(s, &v, &n, err) != 0 ||
	    select_admin(ctx, v, n, &i, err) != 0)
		goto out;
	esc = admin_path_escape(v[i].id);
	path = xasprintf("/admin/admins/%s", esc);
	rc = cli_admin_call(s, "DELETE", path, NULL, &status, &resp, err);
out:
	free(path);
	free(esc);
	json_decref(resp);
	cli_admins_free(v, n);
	cli_admin_session_free(s);
	return admin_cli_result(rc, err);
}

static const struct flag_def list_flags[] = {
    SUPER_FLAG("Only return super-admins (--super=false: only the others)."),
    PROVISIONER_FILTER_FLAG,
    CLI_FLAGS_ADMIN,
    CLI_FLAG_CA_URL,
    CLI_FLAG_ROOT,
    CLI_FLAG_CONTEXT,
    FLAG_END,
};

static const struct flag_def add_flags[] = {
    SUPER_FLAG("Give the admin super-admin rights."),
    CLI_FLAGS_ADMIN,
    CLI_FLAG_CA_URL,
    CLI_FLAG_ROOT,
    CLI_FLAG_CONTEXT,
    FLAG_END,
};

static const struct flag_def update_flags[] = {
    SUPER_FLAG("Make the admin a super-admin (--super=false: a plain admin)."),
    PROVISIONER_FILTER_FLAG,
    CLI_FLAGS_ADMIN,
    CLI_FLAG_CA_URL,
    CLI_FLAG_ROOT,
    CLI_FLAG_CONTEXT,
    FLAG_END,
};

static const struct flag_def remove_flags[] = {
    PROVISIONER_FILTER_FLAG, CLI_FLAGS_ADMIN,  CLI_FLAG_CA_URL,
    CLI_FLAG_ROOT,	     CLI_FLAG_CONTEXT, FLAG_END,
};

static const struct command cmd_admin_list = {
    .name = "list",
    .summary = "list all admins in the CA configuration",
    .description = "Lists the admins of the CA (subject, provisioner and type); --super and\n"
		   "--provisioner filter them.",
    .flags = list_flags,
    .max_args = 0,
    .run = list_run,
};

static const struct command cmd_admin_add = {
    .name = "add",
    .summary = "add an admin to the CA configuration",
    .args = "<subject> <provisioner>",
    .description = "Adds an admin: <subject> is the name that must appear in the admin's\n"
		   "certificate (CN, DNS or e-mail SAN), <provisioner> the provisioner that\n"
		   "issues it.",
    .flags = add_flags,
    .min_args = 2,
    .max_args = 2,
    .run = add_run,
};

static const struct command cmd_admin_update = {
    .name = "update",
    .summary = "update an admin",
    .args = "<subject>",
    .description = "Changes the type of the admin with <subject> (--super or --super=false);\n"
		   "--provisioner chooses among admins with the same subject.",
    .flags = update_flags,
    .min_args = 1,
    .max_args = 1,
    .run = update_run,
};

static const struct command cmd_admin_remove = {
    .name = "remove",
    .summary = "remove an admin from the CA configuration",
    .args = "<subject>",
    .description = "Removes the admin with <subject>; --provisioner chooses among admins with\n"
		   "the same subject.",
    .flags = remove_flags,
    .min_args = 1,
    .max_args = 1,
    .run = remove_run,
};

static const struct command *const admin_subcommands[] = {
    &cmd_admin_list, &cmd_admin_add, &cmd_admin_remove, &cmd_admin_update, NULL,
};

const struct command cmd_ca_admin = {
    .name = "admin",
    .summary = "create and manage the certificate authority admins",
    .description = "Manages the admins of a CA with remote administration: the entities that\n"
		   "may change its provisioners, policies, admins and EAB keys through its\n"
		   "admin API.",
    .sub = admin_subcommands,
};
