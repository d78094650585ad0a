/* policy.c - the policy engine's checks (X.509 names, ACME identifiers, SSH principals) with
 * step-ca's messages, and the normalised admin API form of a policy document.
 */
#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

#define SHOWN_MAX 700
#define LIST_MAX  600

/* Fills err for a refused name: ERR_FORBIDDEN for "not allowed", ERR_INVALID otherwise. */
static int fail(struct error *err, enum pol_reason r, enum pol_type t, const char *name)
{
	char q[SHOWN_MAX];
	const char *tn = pol_type_name[t];

	pol_quote(name, q, sizeof(q));
	switch (r) {
	case PR_NOT_ALLOWED:
		return err_public(err, ERR_FORBIDDEN, "%s name %s not allowed", tn, q);
	case PR_PARSE_DOMAIN:
		return err_public(err, ERR_INVALID, "cannot parse %s domain %s", tn, q);
	case PR_PARSE_EMAIL:
		return err_public(err, ERR_INVALID, "cannot parse %s rfc822Name %s", tn, q);
	default:
		return err_public(err, ERR_INVALID, "error matching %s name %s to constraint", tn,
				  q);
	}
}

/* Checks one name of type t (an IP given as text) against e; report names the error's type. */
static int check_one(const struct pol_engine *e, enum pol_type t, const char *name,
		     enum pol_type report, struct error *err)
{
	unsigned char ip[16], iplen = 0;
	char shown[64];
	enum pol_reason r;

	if (t == PT_IP) {
		if (!pol_ip_parse(name, ip, &iplen)) {
			char q[SHOWN_MAX];

			pol_quote(name, q, sizeof(q));
			return err_public(err, ERR_INVALID, "cannot parse ip address %s", q);
		}
		pol_ip_format(ip, iplen, shown, sizeof(shown));
		name = shown;
	}
	r = pol_check_name(e, t, name, ip, iplen);
	return r == PR_OK ? 0 : fail(err, r, report, name);
}

static int check_list(const struct pol_engine *e, enum pol_type t, const struct strv *l,
		      struct error *err)
{
	for (size_t i = 0; l != NULL && i < l->n; i++)
		if (check_one(e, t, l->v[i], t, err) != 0)
			return -1;
	return 0;
}

int policy_check_x509(const struct policy *p, const struct policy_x509_names *names,
		      struct error *err)
{
	const struct pol_engine *e;
	unsigned char ip[16], iplen = 0;
	char shown[64];
	const char *cn;
	enum pol_reason r;
	enum pol_type t;

	if (p == NULL || !p->x509.on || names == NULL)
		return 0;
	e = &p->x509;
	if (check_list(e, PT_DNS, names->dns, err) != 0 ||
	    check_list(e, PT_IP, names->ips, err) != 0 ||
	    check_list(e, PT_EMAIL, names->emails, err) != 0 ||
	    check_list(e, PT_URI, names->uris, err) != 0)
		return -1;
	cn = names->cn;
	if (cn == NULL || cn[0] == '\0')
		return 0;
	r = pol_check_cn(e, cn);
	if (r == PR_OK)
		return 0;
	t = pol_classify(cn, ip, &iplen);
	if (t == PT_IP) {
		pol_ip_format(ip, iplen, shown, sizeof(shown));
		cn = shown;
	}
	return fail(err, r, PT_CN, cn);
}

int policy_check_identifier(const struct policy *p, const char *type, const char *value,
			    struct error *err)
{
	unsigned char ip[16], iplen = 0;
	enum pol_type t;

	(void)type; /* step-ca classifies the value, whatever the identifier's type */
	if (p == NULL || !p->x509.on || value == NULL || value[0] == '\0')
		return 0;
	t = pol_classify(value, ip, &iplen);
	return check_one(&p->x509, t, value, t, err);
}

/* "[a b c]" of the principals classified as t, as Go prints a list. */
static void principal_list(const struct strv *l, enum pol_type t, char *out, size_t cap)
{
	unsigned char ip[16], iplen;
	size_t pos = 0;
	char shown[64];

	out[pos++] = '[';
	for (size_t i = 0; i < l->n; i++) {
		const char *s = l->v[i];

		if (s[0] == '\0' || pol_classify(s, ip, &iplen) != t)
			continue;
		if (t == PT_IP) {
			pol_ip_format(ip, iplen, shown, sizeof(shown));
			s = shown;
		}
		pos += (size_t)snprintf(out + pos, cap - pos, "%s%s", pos > 1 ? " " : "", s);
		if (pos >= cap - 2) {
			pos = cap - 2;
			break;
		}
	}
	out[pos++] = ']';
	out[pos] = '\0';
}

static bool has_class(const struct strv *l, enum pol_type t)
{
	unsigned char ip[16], iplen;

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i][0] != '\0' && pol_classify(l->v[i], ip, &iplen) == t)
			return true;
	return false;
}

/* Checks the principals classified as `as` (checked as type `check`). */
static int check_class(const struct pol_engine *e, const struct strv *l, enum pol_type as,
		       enum pol_type check, struct error *err)
{
	unsigned char ip[16], iplen;

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i][0] != '\0' && pol_classify(l->v[i], ip, &iplen) == as &&
		    check_one(e, check, l->v[i], check, err) != 0)
			return -1;
	return 0;
}

int policy_check_ssh(const struct policy *p, bool host, const struct strv *principals,
		     struct error *err)
{
	static const struct strv none = {0};
	const struct strv *l = principals != NULL ? principals : &none;
	char list[LIST_MAX];

	if (p == NULL || (!p->host.on && !p->user.on))
		return 0;
	if (host) {
		if (!p->host.on)
			return err_set(
			    err, ERR_INVALID,
			    "authority not allowed to sign SSH host certificates when SSH "
			    "user certificate policy is active");
		if (has_class(l, PT_URI)) {
			principal_list(l, PT_URI, list, sizeof(list));
			return err_set(err, ERR_INVALID,
				       "URL principals %s not expected in SSH host certificate",
				       list);
		}
		return check_class(&p->host, l, PT_DNS, PT_DNS, err) != 0 ||
			       check_class(&p->host, l, PT_IP, PT_IP, err) != 0 ||
			       check_class(&p->host, l, PT_EMAIL, PT_EMAIL, err) != 0
			   ? -1
			   : 0;
	}
	if (!p->user.on)
		return err_set(err, ERR_INVALID,
			       "authority not allowed to sign SSH user certificates when SSH host "
			       "certificate policy is active");
	if (has_class(l, PT_URI) || has_class(l, PT_IP)) {
		enum pol_type t = has_class(l, PT_URI) ? PT_URI : PT_IP;

		principal_list(l, t, list, sizeof(list));
		return err_set(err, ERR_INVALID,
			       "%s principals %s not expected in SSH user certificate",
			       t == PT_URI ? "URL" : "IP", list);
	}
	/* user certificates: e-mails, then everything else as a principal */
	return check_class(&p->user, l, PT_EMAIL, PT_EMAIL, err) != 0 ||
		       check_class(&p->user, l, PT_DNS, PT_PRINCIPAL, err) != 0
		   ? -1
		   : 0;
}

bool policy_has_x509(const struct policy *p)
{
	return p != NULL && p->x509.on;
}

bool policy_has_ssh(const struct policy *p)
{
	return p != NULL && (p->host.on || p->user.on);
}

/* ---------------------------------------------------------------- normalisation */

/* One list of the admin API's form: its output name, the spellings read, and whether the
 * linkedca message has it. */
struct norm_field {
	const char *out;
	const char *in[3];
};

static const struct norm_field x509_fields[] = {
    {"dns", {"dns", NULL, NULL}},
    {"ips", {"ip", "ips", NULL}},
    {"emails", {"email", "emails", NULL}},
    {"uris", {"uri", "uris", NULL}},
    {"commonNames", {"cn", "commonNames", "common_names"}},
};
static const struct norm_field host_fields[] = {
    {"dns", {"dns", NULL, NULL}},
    {"ips", {"ip", "ips", NULL}},
    {"principals", {"principal", "principals", NULL}},
    {"emails", {"email", "emails", NULL}}, /* not in linkedca: refused when not empty */
};
static const struct norm_field user_fields[] = {
    {"emails", {"email", "emails", NULL}},
    {"principals", {"principal", "principals", NULL}},
    {"dns", {"dns", NULL, NULL}}, /* not in linkedca: refused when not empty */
    {"ips", {"ip", "ips", NULL}}, /* not in linkedca: refused when not empty */
};

/* The names object in of one side into *out (NULL when empty); nf fields, the first nkeep of
 * which the admin form has. */
static int norm_names(const json_t *in, const char *path, const struct norm_field *nf, size_t nf_n,
		      size_t nkeep, json_t **out, struct error *err)
{
	json_t *o = json_object();
	int rc = -1;

	*out = NULL;
	if (in != NULL && !json_is_object(in)) {
		err_public(err, ERR_INVALID, "policy %s must be an object", path);
		goto out;
	}
	for (size_t f = 0; in != NULL && f < nf_n; f++) {
		json_t *arr = json_array();

		for (int s = 0; s < 3 && nf[f].in[s] != NULL; s++) {
			const json_t *src = json_object_get(in, nf[f].in[s]), *v;
			size_t i, j;

			if (src == NULL || json_is_null(src))
				continue;
			if (!json_is_array(src)) {
				json_decref(arr);
				err_public(err, ERR_INVALID,
					   "policy %s.%s must be a list of strings", path,
					   nf[f].in[s]);
				goto out;
			}
			json_array_foreach(src, i, v)
			{
				bool dup = false;
				const json_t *w;

				if (!json_is_string(v)) {
					json_decref(arr);
					err_public(err, ERR_INVALID,
						   "policy %s.%s must be a list of strings", path,
						   nf[f].in[s]);
					goto out;
				}
				json_array_foreach(arr, j, w)
				{
					if (strcmp(json_string_value(w), json_string_value(v)) == 0)
						dup = true;
				}
				if (!dup)
					json_array_append_new(arr,
							      json_string(json_string_value(v)));
			}
		}
		if (json_array_size(arr) > 0 && f >= nkeep) {
			json_decref(arr);
			err_public(err, ERR_INVALID, "policy %s does not support %s", path,
				   nf[f].out);
			goto out;
		}
		if (json_array_size(arr) > 0)
			json_object_set_new(o, nf[f].out, arr);
		else
			json_decref(arr);
	}
	if (json_object_size(o) > 0) {
		*out = o;
		o = NULL;
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* {"allow":..,"deny":..} of in (x509, ssh.host or ssh.user) into parent[key], when not empty. */
static int norm_sides(const json_t *in, const char *path, const struct norm_field *nf, size_t nf_n,
		      size_t nkeep, json_t *parent, const char *key, bool x509, struct error *err)
{
	static const char *const sides[] = {"allow", "deny"};
	json_t *o = json_object(), *names = NULL;
	char sub[64];
	int rc = -1;

	if (json_is_null(in))
		in = NULL;
	if (in != NULL && !json_is_object(in)) {
		err_public(err, ERR_INVALID, "policy %s must be an object", path);
		goto out;
	}
	for (int s = 0; in != NULL && s < 2; s++) {
		const json_t *side = json_object_get(in, sides[s]);

		if (side == NULL || json_is_null(side))
			continue;
		snprintf(sub, sizeof(sub), "%s.%s", path, sides[s]);
		if (norm_names(side, sub, nf, nf_n, nkeep, &names, err) != 0)
			goto out;
		if (names != NULL)
			json_object_set_new(o, sides[s], names);
	}
	if (x509 && in != NULL) {
		const json_t *w = json_object_get(in, "allowWildcardNames");

		if (w == NULL || json_is_null(w))
			w = json_object_get(in, "allow_wildcard_names");
		if (w != NULL && !json_is_null(w) && !json_is_boolean(w)) {
			err_public(err, ERR_INVALID,
				   "policy %s.allowWildcardNames must be a boolean", path);
			goto out;
		}
		if (json_is_true(w))
			json_object_set_new(o, "allowWildcardNames", json_true());
	}
	if (json_object_size(o) > 0)
		json_object_set(parent, key, o);
	rc = 0;
out:
	json_decref(o);
	return rc;
}

int policy_normalize(const json_t *doc, json_t **out, struct error *err)
{
	json_t *res = json_object(), *ssh = json_object();
	const json_t *sin;
	struct policy *p = NULL;
	int rc = -1;

	*out = NULL;
	if (doc != NULL && !json_is_null(doc) && !json_is_object(doc)) {
		err_public(err, ERR_INVALID, "policy must be an object");
		goto out;
	}
	if (doc == NULL || json_is_null(doc)) {
		*out = res;
		res = NULL;
		rc = 0;
		goto out;
	}
	sin = json_object_get(doc, "ssh");
	if (sin != NULL && !json_is_null(sin) && !json_is_object(sin)) {
		err_public(err, ERR_INVALID, "policy ssh must be an object");
		goto out;
	}
	if (json_is_null(sin))
		sin = NULL;
	if (norm_sides(json_object_get(doc, "x509"), "x509", x509_fields, 5, 5, res, "x509", true,
		       err) != 0 ||
	    norm_sides(sin != NULL ? json_object_get(sin, "host") : NULL, "ssh.host", host_fields,
		       4, 3, ssh, "host", false, err) != 0 ||
	    norm_sides(sin != NULL ? json_object_get(sin, "user") : NULL, "ssh.user", user_fields,
		       4, 2, ssh, "user", false, err) != 0)
		goto out;
	if (json_object_size(ssh) > 0)
		json_object_set(res, "ssh", ssh);
	/* the constraints must compile, with the same messages as policy_new */
	if (policy_new(res, &p, err) != 0)
		goto out;
	*out = res;
	res = NULL;
	rc = 0;
out:
	policy_free(p);
	json_decref(ssh);
	json_decref(res);
	return rc;
}
