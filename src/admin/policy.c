/* policy.c - the policy routes: the authority's (/admin/policy), a provisioner's
 * (/admin/provisioners/{name}/policy) and an ACME account's (/admin/acme/policy/{prov}/
 * reference/{ref} and .../key/{keyID}), each GET/POST/PUT/DELETE with step-ca's statuses and
 * messages (admin.md §3). Policies are stored normalised (policy_normalize) and a policy that
 * would refuse an admin's subject is refused (step-ca's lock-out check).
 */
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "admin/internal.h"
#include "base/str.h"
#include "crypto/csr.h"
#include "policy/policy.h"

int admin_policy_body(const struct admin_call *c, const char *what, json_t **out, struct error *err)
{
	json_t *doc = NULL;
	struct error e = {0};
	int rc = -1;

	*out = NULL;
	if (admin_json_load(c->req.body, c->req.body_len, false, &doc, err) != 0)
		goto out;
	if (!json_is_object(doc)) {
		err_public(err, ERR_INVALID, "syntax error: the policy must be a JSON object");
		goto out;
	}
	if (policy_normalize(doc, out, &e) != 0) {
		err_public(err, ERR_INVALID, "error validating %s policy: %s", what, e.msg);
		goto out;
	}
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

/* Whether compiled policy p allows subject as a certificate name (split as step splits
 * subjects: IP, URI, e-mail or DNS name); 0, or -1 with the policy's error. */
static int subject_allowed(const struct policy *p, const char *subject, struct error *err)
{
	struct names n = {0};
	struct policy_x509_names x;
	int rc;

	names_add_san(&n, subject);
	x = (struct policy_x509_names){
	    .cn = NULL, .dns = &n.dns, .ips = &n.ip, .emails = &n.email, .uris = &n.uri};
	rc = policy_check_x509(p, &x, err);
	names_free(&n);
	return rc;
}

int admin_policy_lockout(const json_t *policy, const char *subject,
			 const struct admin_entry *const *admins, size_t n, const char *prefix,
			 struct error *err)
{
	struct policy *p = NULL;
	struct error e = {0};
	const char *s = NULL;
	int rc = -1;

	if (policy_new(policy, &p, &e) != 0) {
		err_public(err, ERR_INVALID, "%s%s%s", prefix != NULL ? prefix : "",
			   prefix != NULL ? ": " : "", e.msg);
		goto out;
	}
	rc = 0;
	if (p == NULL || !policy_has_x509(p))
		goto out;
	for (size_t i = 0; i <= n && rc == 0; i++) {
		s = i == 0 ? subject : admins[i - 1]->subject;
		if (s == NULL)
			continue;
		memset(&e, 0, sizeof(e));
		rc = subject_allowed(p, s, &e);
	}
	if (rc == 0)
		goto out;
	if (e.kind == ERR_FORBIDDEN)
		err_public(err, ERR_INVALID,
			   "%s%sthe provided policy would lock out [%s] from the CA. Please create "
			   "an x509 policy to include [%s] as an allowed DNS name",
			   prefix != NULL ? prefix : "", prefix != NULL ? ": " : "", s, s);
	else
		err_public(err, ERR_INVALID, "%s%s%s", prefix != NULL ? prefix : "",
			   prefix != NULL ? ": " : "", e.msg);
out:
	policy_free(p);
	return rc;
}

/* The admins of provisioner id in the snapshot (pointers into it); *n their number. */
static const struct admin_entry **admins_of(const struct prov_set *s, const char *prov_id,
					    size_t *n)
{
	const struct admin_entry **v = xcalloc(s->n_admins + 1, sizeof(*v));

	*n = 0;
	for (size_t i = 0; i < s->n_admins; i++)
		if (prov_id == NULL || strcmp(s->admins[i].provisioner_id, prov_id) == 0)
			v[(*n)++] = &s->admins[i];
	return v;
}

/* --- /admin/policy ------------------------------------------------------------------------ */

void admin_authority_policy(struct admin_call *c)
{
	const char *m = c->req.method;
	const json_t *cur = c->snap->authority_policy_doc;
	const struct admin_entry **all = NULL;
	bool create = strcmp(m, "POST") == 0, update = strcmp(m, "PUT") == 0;
	struct error err = {0};
	json_t *doc = NULL;
	size_t n = 0;

	if (create && cur != NULL) {
		admin_fail(c, ERR_CONFLICT, "authority already has a policy");
		return;
	}
	if (!create && cur == NULL) {
		admin_fail(c, ERR_NOT_FOUND, "authority policy does not exist");
		return;
	}
	if (!create && !update) {
		if (strcmp(m, "DELETE") != 0) {
			admin_reply_json(c, 200, json_incref((json_t *)cur), false);
		} else if (admin_policy_set(c->a, "authority", NULL, true, false, &err) != 0) {
			err_wrap(&err, "error deleting authority policy");
			admin_reply_error(c, &err);
		} else {
			admin_reply_ok(c);
		}
		return;
	}
	all = admins_of(c->snap, NULL, &n);
	if (admin_policy_body(c, "authority", &doc, &err) != 0 ||
	    admin_policy_lockout(doc, c->admin->subject, all, n,
				 create ? "error storing authority policy"
					: "error updating authority policy",
				 &err) != 0)
		goto fail;
	if (admin_policy_set(c->a, "authority", doc, update, create, &err) != 0) {
		if (err.kind == ERR_CONFLICT)
			err_public(&err, ERR_CONFLICT, "authority already has a policy");
		else if (err.kind == ERR_NOT_FOUND)
			err_public(&err, ERR_NOT_FOUND, "authority policy does not exist");
		else
			err_wrap(&err, create ? "error storing authority policy"
					      : "error updating authority policy");
		goto fail;
	}
	admin_reply_json(c, create ? 201 : 200, doc, false);
	free(all);
	return;
fail:
	admin_reply_error(c, &err);
	json_decref(doc);
	free(all);
}

/* --- /admin/provisioners/{name}/policy ------------------------------------------------------ */

void admin_provisioner_policy(struct admin_call *c)
{
	const char *m = c->req.method;
	bool create = strcmp(m, "POST") == 0, update = strcmp(m, "PUT") == 0;
	const struct admin_entry **admins = NULL;
	const struct provisioner *p;
	struct error err = {0};
	json_t *doc = NULL;
	size_t n = 0;

	p = admin_load_provisioner(c, c->seg[1], &err);
	if (p == NULL)
		goto fail;
	if (create && p->policy_doc != NULL) {
		admin_fail(c, ERR_CONFLICT, "provisioner %s already has a policy", p->name);
		return;
	}
	if (!create && p->policy_doc == NULL) {
		admin_fail(c, ERR_NOT_FOUND, "provisioner policy does not exist");
		return;
	}
	if (!create && !update) {
		if (strcmp(m, "DELETE") != 0) {
			admin_reply_json(c, 200, json_incref(p->policy_doc), false);
		} else if (admin_provisioner_update(c->a, p->id, p->config, NULL, &err) != 0) {
			err_wrap(&err, "error deleting provisioner policy");
			admin_reply_error(c, &err);
		} else {
			admin_reply_ok(c);
		}
		return;
	}
	admins = admins_of(c->snap, p->id, &n);
	if (admin_policy_body(c, "provisioner", &doc, &err) != 0 ||
	    admin_policy_lockout(doc, NULL, admins, n,
				 create ? "error creating provisioner policy"
					: "error updating provisioner policy",
				 &err) != 0)
		goto fail;
	if (admin_provisioner_update(c->a, p->id, p->config, doc, &err) != 0) {
		err_wrap(&err, create ? "error creating provisioner policy"
				      : "error updating provisioner policy");
		goto fail;
	}
	admin_reply_json(c, create ? 201 : 200, doc, false);
	free(admins);
	return;
fail:
	admin_reply_error(c, &err);
	json_decref(doc);
	free(admins);
}

/* --- /admin/acme/policy/{prov}/{reference|key}/{value} ----------------------------------- */

/* The EAB key the route names: by ID, or by reference (404 when there is none). *id
 * malloc'd. */
static int route_key(struct admin_call *c, const char *prov, char **id, struct error *err)
{
	struct acme_eab_key k = {0}, *keys = NULL;
	char *next = NULL;
	size_t n = 0;
	int rc = -1;

	*id = NULL;
	if (strcmp(c->seg[3], "key") == 0) {
		rc = acme_eab_key_get(c->a, prov, c->seg[4], &k, err);
		if (rc == 0)
			*id = xstrdup(k.id);
	} else {
		rc = acme_eab_key_list(c->a, prov, c->seg[4], NULL, 1, &keys, &n, &next, err);
		if (rc == 0 && n == 1)
			*id = xstrdup(keys[0].id);
	}
	if (*id != NULL)
		rc = 0;
	else if (rc == 0 || err->kind == ERR_NOT_FOUND)
		rc = err_public(err, ERR_NOT_FOUND, "ACME External Account Key not found");
	else
		rc = err_wrap(err, "error retrieving ACME External Account Key");
	acme_eab_key_free(&k);
	acme_eab_keys_free(keys, n);
	free(next);
	return rc;
}

/* What an ACME account policy keeps (step-ca's): x509 allow/deny dns and ips, and
 * allowWildcardNames. New reference. */
static json_t *acme_policy_part(const json_t *doc)
{
	const json_t *x = json_object_get(doc, "x509");
	json_t *out = json_object(), *ox = json_object();
	static const char *const sides[] = {"allow", "deny"};

	for (size_t i = 0; i < 2; i++) {
		const json_t *side = json_object_get(x, sides[i]);
		json_t *o = json_object();

		if (json_object_get(side, "dns") != NULL)
			json_object_set(o, "dns", json_object_get(side, "dns"));
		if (json_object_get(side, "ips") != NULL)
			json_object_set(o, "ips", json_object_get(side, "ips"));
		if (json_object_size(o) > 0)
			json_object_set(ox, sides[i], o);
		json_decref(o);
	}
	if (json_is_true(json_object_get(x, "allowWildcardNames")))
		json_object_set_new(ox, "allowWildcardNames", json_true());
	if (json_object_size(ox) > 0)
		json_object_set(out, "x509", ox);
	json_decref(ox);
	return out;
}

static const json_t *acme_policy_doc(const struct prov_set *s, const char *key_id)
{
	for (size_t i = 0; i < s->n_acme_policies; i++)
		if (strcmp(s->acme_policies[i].eab_key_id, key_id) == 0)
			return s->acme_policies[i].doc;
	return NULL;
}

void admin_acme_policy(struct admin_call *c)
{
	const char *m = c->req.method;
	bool create = strcmp(m, "POST") == 0, update = strcmp(m, "PUT") == 0;
	struct error err = {0};
	const json_t *cur;
	json_t *doc = NULL, *part = NULL;
	char *id = NULL, *scope = NULL;

	if (admin_eab_provisioner(c, c->seg[2], &err) == NULL ||
	    route_key(c, c->seg[2], &id, &err) != 0)
		goto fail;
	scope = xasprintf("acme/%s", id);
	cur = acme_policy_doc(c->snap, id);
	if (create && cur != NULL) {
		err_public(&err, ERR_CONFLICT, "ACME EAK %s already has a policy", id);
		goto fail;
	}
	if (!create && cur == NULL) {
		err_public(&err, ERR_NOT_FOUND, "ACME EAK policy does not exist");
		goto fail;
	}
	if (!create && !update) {
		if (strcmp(m, "DELETE") != 0) {
			admin_reply_json(c, 200, json_incref((json_t *)cur), false);
		} else if (admin_policy_set(c->a, scope, NULL, true, false, &err) != 0) {
			err_wrap(&err, "error deleting ACME EAK policy");
			admin_reply_error(c, &err);
		} else {
			admin_reply_ok(c);
		}
		goto out;
	}
	if (admin_policy_body(c, "ACME EAK", &doc, &err) != 0)
		goto fail;
	part = acme_policy_part(doc);
	if (admin_policy_set(c->a, scope, part, update, create, &err) != 0) {
		err_wrap(&err, create ? "error creating ACME EAK policy"
				      : "error updating ACME EAK policy");
		goto fail;
	}
	admin_reply_json(c, create ? 201 : 200, part, false);
	part = NULL;
	goto out;
fail:
	admin_reply_error(c, &err);
out:
	json_decref(doc);
	json_decref(part);
	free(id);
	free(scope);
}
