/* provisioners.c - /admin/provisioners: list (ca.json form, as GET /provisioners), get, create,
 * replace and remove provisioners, with step-ca's bodies (linkedca protobuf JSON), statuses and
 * messages (admin.md §3, §4.2, §5). The changes themselves are the authority's
 * (admin_provisioner_create/update/delete), which store and publish them at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/internal.h"
#include "base/duration.h"
#include "base/str.h"
#include "config/linkedca.h"
#include "policy/policy.h"

#define CONVERT_PREFIX "error converting to certificates provisioner from linkedca provisioner"

/* linkedca.Provisioner_Type names by number. */
static const char *const type_names[] = {"NOOP", "JWK", "OIDC",	 "GCP",	   "AWS",  "AZURE",
					 "ACME", "X5C", "K8SSA", "SSHPOP", "SCEP", "NEBULA"};

/* A member spelled camelCase or snake_case. */
static const json_t *member(const json_t *o, const char *camel, const char *snake)
{
	const json_t *v = json_object_get(o, camel);

	return v != NULL ? v : json_object_get(o, snake);
}

/* A member as text for the immutable-field comparison ("" when absent; enum numbers as names
 * for "type"). */
static const char *member_text(const json_t *o, const char *camel, const char *snake, char *buf,
			       size_t n)
{
	const json_t *v = member(o, camel, snake);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (strcmp(camel, "type") == 0 && i >= 0 &&
		    i < (json_int_t)(sizeof(type_names) / sizeof(type_names[0])))
			return type_names[i];
		snprintf(buf, n, "%lld", (long long)i);
		return buf;
	}
	return v == NULL || json_is_null(v) ? "" : "?";
}

/* One linkedca Durations object: each parses, none negative, min <= default <= max. */
static int durations_validate(const json_t *d, struct error *err)
{
	static const char *const names[] = {"min", "max", "default"};
	const char *s[3];
	int64_t v[3] = {0, 0, 0};

	if (d == NULL || json_is_null(d))
		return 0;
	if (!json_is_object(d))
		return err_public(err, ERR_INVALID, "invalid value for durations");
	for (int i = 0; i < 3; i++) {
		const json_t *m = json_object_get(d, names[i]);

		s[i] = json_string_value(m);
		if (m != NULL && !json_is_null(m) && s[i] == NULL)
			return err_public(err, ERR_INVALID, "invalid value for string field %s",
					  names[i]);
		if (s[i] == NULL || s[i][0] == '\0') {
			s[i] = NULL;
			continue;
		}
		if (duration_parse(s[i], &v[i], NULL) != 0)
			return err_public(err, ERR_INVALID,
					  "%s duration '%s' is invalid: time: invalid duration "
					  "\"%s\"",
					  names[i], s[i], s[i]);
		if (v[i] < 0)
			return err_public(err, ERR_INVALID,
					  "%s duration '%s' cannot be less than 0", names[i], s[i]);
	}
	if (s[0] != NULL && s[1] != NULL && v[0] > v[1])
		return err_public(err, ERR_INVALID,
				  "min duration '%s' cannot be greater than max duration '%s'",
				  s[0], s[1]);
	if (s[0] != NULL && s[2] != NULL && v[0] > v[2])
		return err_public(err, ERR_INVALID,
				  "min duration '%s' cannot be greater than default duration '%s'",
				  s[0], s[2]);
	if (s[2] != NULL && s[1] != NULL && v[2] > v[1])
		return err_public(err, ERR_INVALID,
				  "default duration '%s' cannot be greater than max duration '%s'",
				  s[2], s[1]);
	return 0;
}

int admin_claims_validate(const json_t *claims, struct error *err)
{
	const json_t *x509 = json_object_get(claims, "x509");
	const json_t *ssh = json_object_get(claims, "ssh");

	if (durations_validate(json_object_get(x509, "durations"), err) != 0 ||
	    durations_validate(member(ssh, "userDurations", "user_durations"), err) != 0 ||
	    durations_validate(member(ssh, "hostDurations", "host_durations"), err) != 0)
		return -1;
	return 0;
}

int admin_provisioner_body(const uint8_t *body, size_t len, json_t **lc, json_t **config,
			   json_t **policy, struct error *err)
{
	const json_t *pol;
	struct error e = {0};
	int rc = -1;

	*lc = *config = *policy = NULL;
	if (admin_json_load(body, len, false, lc, err) != 0)
		goto out;
	if (!json_is_object(*lc)) {
		err_public(err, ERR_INVALID, "syntax error: the provisioner must be a JSON object");
		goto out;
	}
	if (admin_claims_validate(json_object_get(*lc, "claims"), err) != 0)
		goto out;
	if (linkedca_to_config(*lc, config, &e) != 0) {
		if (str_has_prefix(e.msg, CONVERT_PREFIX))
			err_public(err, ERR_INTERNAL, "%s", e.msg);
		else
			err_public(err, ERR_INTERNAL, CONVERT_PREFIX ": %s", e.msg);
		goto out;
	}
	pol = json_object_get(*lc, "policy");
	if (pol != NULL && !json_is_null(pol) && policy_normalize(pol, policy, &e) != 0) {
		err_public(err, ERR_INVALID, "error validating provisioner policy: %s", e.msg);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		json_decref(*lc);
		json_decref(*config);
		*lc = *config = NULL;
	}
	return rc;
}

/* The provisioner's P form (with its policy). NULL with err on failure. */
static json_t *provisioner_p(const json_t *config, const char *id, int64_t created_ns,
			     bool with_meta, const json_t *policy, struct error *err)
{
	json_t *out = NULL;

	if (linkedca_from_config(config, id, created_ns, with_meta, &out, err) != 0)
		return NULL;
	if (policy != NULL)
		json_object_set(out, "policy", (json_t *)policy);
	return out;
}

/* The provisioner a GET or DELETE names: ?id=<uuid>, else the path's name. */
static const struct provisioner *named_provisioner(struct admin_call *c, struct error *err)
{
	char *id = admin_query(c, "id");
	const struct provisioner *p;

	if (id == NULL || id[0] == '\0') {
		free(id);
		return admin_load_provisioner(c, c->seg[1], err);
	}
	p = prov_set_by_id(c->snap, id);
	if (p == NULL)
		err_public(err, ERR_NOT_FOUND,
			   "error loading provisioner %s: provisioner %s not found", id, id);
	free(id);
	return p;
}

static void list_provisioners(struct admin_call *c)
{
	struct error err = {0};
	char *cursor = NULL, limit_str[24];
	size_t limit;
	json_t *page = NULL;

	if (admin_page_params(c, &cursor, &limit, &err) != 0) {
		admin_reply_error(c, &err);
		return;
	}
	snprintf(limit_str, sizeof(limit_str), "%zu", limit);
	if (authority_provisioners_page(c->a, cursor, limit_str, &page, &err) != 0)
		admin_reply_error(c, &err);
	else
		admin_reply_json(c, 200, page, true);
	free(cursor);
}

static void get_provisioner(struct admin_call *c)
{
	struct error err = {0};
	const struct provisioner *p = named_provisioner(c, &err);
	json_t *doc;

	doc = p != NULL
		  ? provisioner_p(p->config, p->id, p->created_at_ns, true, p->policy_doc, &err)
		  : NULL;
	if (doc == NULL)
		admin_reply_error(c, &err);
	else
		admin_reply_json(c, 200, doc, false);
}

static void create_provisioner(struct admin_call *c)
{
	struct error err = {0};
	json_t *lc = NULL, *config = NULL, *policy = NULL, *doc = NULL;
	const char *name;
	char *id = NULL;

	if (admin_provisioner_body(c->req.body, c->req.body_len, &lc, &config, &policy, &err) !=
	    0) {
		/* step-ca converts while storing: its message names the provisioner */
		if (str_has_prefix(err.msg, CONVERT_PREFIX) &&
		    admin_json_load(c->req.body, c->req.body_len, false, &lc, NULL) == 0) {
			name = json_string_value(json_object_get(lc, "name"));
			err_wrap(&err, "error storing provisioner %s", name != NULL ? name : "");
		}
		goto fail;
	}
	name = json_string_value(json_object_get(lc, "name"));
	if (admin_provisioner_create(c->a, config, policy, &id, &err) != 0) {
		err_wrap(&err, "error storing provisioner %s", name != NULL ? name : "");
		goto fail;
	}
	doc = provisioner_p(config, id, 0, false, policy, &err);
	if (doc == NULL)
		goto fail;
	admin_reply_json(c, 201, doc, false);
	goto out;
fail:
	admin_reply_error(c, &err);
out:
	json_decref(lc);
	json_decref(config);
	json_decref(policy);
	free(id);
}

/* PUT: the fields step-ca does not let a client change (500 "cannot change provisioner X"). */
static int immutable_check(const json_t *nu, const json_t *old, struct error *err)
{
	static const struct {
		const char *camel, *snake, *what;
	} fields[] = {{"id", "id", "ID"},
		      {"type", "type", "type"},
		      {"authorityId", "authority_id", "authorityID"},
		      {"createdAt", "created_at", "createdAt"},
		      {"deletedAt", "deleted_at", "deletedAt"}};
	char b1[32], b2[32];

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *a = member_text(nu, fields[i].camel, fields[i].snake, b1, sizeof(b1));
		const char *b = member_text(old, fields[i].camel, fields[i].snake, b2, sizeof(b2));
		int64_t ta, tb;

		if (strcmp(a, b) == 0)
			continue;
		if (i >= 3 && time_parse_rfc3339(a, &ta, NULL) == 0 &&
		    time_parse_rfc3339(b, &tb, NULL) == 0 && ta == tb)
			continue;
		return err_public(err, ERR_INTERNAL, "cannot change provisioner %s",
				  fields[i].what);
	}
	return 0;
}

static void update_provisioner(struct admin_call *c)
{
	struct error err = {0};
	const struct provisioner *p;
	const struct admin_entry **admins = NULL;
	json_t *nu = NULL, *old = NULL, *lc = NULL, *config = NULL, *policy = NULL, *doc = NULL;
	size_t n = 0;

	if (admin_json_load(c->req.body, c->req.body_len, false, &nu, &err) != 0)
		goto fail;
	p = provisioners_by_name(&c->snap->provs, c->seg[1]);
	if (p == NULL) {
		err_public(&err, ERR_NOT_FOUND,
			   "error loading provisioner from cached configuration '%s': provisioner "
			   "%s not found",
			   c->seg[1], c->seg[1]);
		goto fail;
	}
	old = provisioner_p(p->config, p->id, p->created_at_ns, true, NULL, &err);
	if (old == NULL || !json_is_object(nu) || immutable_check(nu, old, &err) != 0) {
		if (old != NULL && !json_is_object(nu))
			err_public(&err, ERR_INVALID,
				   "syntax error: the provisioner must be a JSON object");
		goto fail;
	}
	if (admin_provisioner_body(c->req.body, c->req.body_len, &lc, &config, &policy, &err) != 0)
		goto fail;
	admins = xcalloc(c->snap->n_admins + 1, sizeof(*admins));
	for (size_t i = 0; i < c->snap->n_admins; i++)
		if (strcmp(c->snap->admins[i].provisioner_id, p->id) == 0)
			admins[n++] = &c->snap->admins[i];
	if ((policy != NULL && admin_policy_lockout(policy, NULL, admins, n, NULL, &err) != 0) ||
	    admin_provisioner_update(c->a, p->id, config, policy, &err) != 0)
		goto fail;
	doc = provisioner_p(config, p->id, p->created_at_ns, true, policy, &err);
	if (doc == NULL)
		goto fail;
	admin_reply_json(c, 200, doc, false);
	goto out;
fail:
	admin_reply_error(c, &err);
out:
	free(admins);
	json_decref(nu);
	json_decref(old);
	json_decref(lc);
	json_decref(config);
	json_decref(policy);
}

static void delete_provisioner(struct admin_call *c)
{
	struct error err = {0};
	const struct provisioner *p = named_provisioner(c, &err);

	if (p == NULL) {
		admin_reply_error(c, &err);
		return;
	}
	if (admin_provisioner_delete(c->a, p->id, &err) != 0) {
		err_wrap(&err, "error removing provisioner %s", p->name);
		admin_reply_error(c, &err);
		return;
	}
	admin_reply_ok(c);
}

void admin_provisioners(struct admin_call *c)
{
	const char *m = c->req.method;

	if (c->nseg == 1) {
		if (strcmp(m, "POST") == 0)
			create_provisioner(c);
		else
			list_provisioners(c);
	} else if (strcmp(m, "PUT") == 0) {
		update_provisioner(c);
	} else if (strcmp(m, "DELETE") == 0) {
		delete_provisioner(c);
	} else {
		get_provisioner(c);
	}
}
