/* policy_compile.c - turning a policy document (ca.json's or the admin API's spelling) into
 * the compiled engines: constraints normalised and validated with step-ca's messages, IP
 * ranges parsed, duplicates dropped.
 */
#include "policy/policy_int.h"
#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"

#define QUOTE_MAX 2100

/* A member of a names object and its spellings (ca.json's first). */
struct pol_member {
	enum pol_type t;
	const char *names[3];
};

static const struct pol_member x509_members[] = {
    {PT_CN, {"cn", "commonNames", "common_names"}},
    {PT_DNS, {"dns", NULL, NULL}},
    {PT_IP, {"ip", "ips", NULL}},
    {PT_EMAIL, {"email", "emails", NULL}},
    {PT_URI, {"uri", "uris", NULL}},
};
static const struct pol_member ssh_members[] = {
    {PT_DNS, {"dns", NULL, NULL}},
    {PT_IP, {"ip", "ips", NULL}},
    {PT_EMAIL, {"email", "emails", NULL}},
    {PT_PRINCIPAL, {"principal", "principals", NULL}},
};

/* Appends the strings of obj's member (every spelling) to sv. */
static int read_member(const json_t *obj, const struct pol_member *m, const char *path,
		       struct strv *sv, struct error *err)
{
	for (int s = 0; s < 3 && m->names[s] != NULL; s++) {
		const json_t *arr = json_object_get(obj, m->names[s]), *v;
		size_t i;

		if (arr == NULL || json_is_null(arr))
			continue;
		if (!json_is_array(arr))
			return err_public(err, ERR_INVALID,
					  "policy %s.%s must be a list of strings", path,
					  m->names[s]);
		json_array_foreach(arr, i, v)
		{
			if (!json_is_string(v))
				return err_public(err, ERR_INVALID,
						  "policy %s.%s must be a list of strings", path,
						  m->names[s]);
			strv_push(sv, json_string_value(v));
		}
	}
	return 0;
}

/* The object member key of obj, or NULL when absent or null; -1 when not an object. */
static int get_obj(const json_t *obj, const char *key, const char *path, const json_t **out,
		   struct error *err)
{
	const json_t *v = obj != NULL ? json_object_get(obj, key) : NULL;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return err_public(err, ERR_INVALID, "policy %s%s%s must be an object", path,
				  path[0] != '\0' ? "." : "", key);
	*out = v;
	return 0;
}

static int norm_cn(const char *c, char **out, char *why, size_t wcap)
{
	char q[QUOTE_MAX];
	char *n = pol_trim_lower(c);

	pol_quote(c, q, sizeof(q));
	if (n[0] == '\0')
		snprintf(why, wcap, "constraint %s can not be empty or white space string", q);
	else if (strcmp(n, "*") == 0)
		snprintf(why, wcap, "wildcard constraint %s is not supported", q);
	else
		return *out = n, 0;
	free(n);
	return -1;
}

/* DNS and URI domain constraints share their rules; uri adds the URI-only checks. */
static int norm_domain(const char *c, bool uri, char **out, char *why, size_t wcap)
{
	const char *kind = uri ? "URI domain constraint" : "domain constraint";
	char q[QUOTE_MAX], emsg[300], *n = pol_trim_lower(c), *body, *ascii = NULL;
	unsigned char ip[16], iplen;
	size_t off, len;
	int rc = -1;

	pol_quote(c, q, sizeof(q));
	if (n[0] == '\0') {
		snprintf(why, wcap,
			 uri ? "URI domain constraint %s cannot be empty or white space string"
			     : "constraint %s can not be empty or white space string",
			 q);
	} else if (uri && strstr(n, "://") != NULL) {
		snprintf(why, wcap, "%s %s contains scheme (not supported yet)", kind, q);
	} else if (strstr(n, "..") != NULL) {
		snprintf(why, wcap, "%s %s cannot have empty labels", kind, q);
	} else if (n[0] == '.') {
		snprintf(why, wcap, "%s %s with wildcard should start with *", kind, q);
	} else if (strrchr(n, '*') != NULL && strrchr(n, '*') != n) {
		snprintf(why, wcap, "%s %s can only have wildcard as starting character", kind, q);
	} else if (!uri && strlen(n) >= 2 && n[0] == '*' && n[1] != '.') {
		snprintf(why, wcap,
			 "wildcard character in domain constraint %s can only be used to match "
			 "(full) labels",
			 q);
	} else {
		body = str_has_prefix(n, "*.") ? n + 1 : n;
		if (uri && (strchr(body, '[') != NULL || strchr(body, ']') != NULL)) {
			snprintf(why, wcap, "%s %s contains invalid square brackets", kind, q);
			goto out;
		}
		if (uri && pol_split_host_port(body, strlen(body), &off, &len) == 0) {
			snprintf(why, wcap, "%s %s cannot contain port", kind, q);
			goto out;
		}
		if (uri && pol_ip_parse(body, ip, &iplen)) {
			snprintf(why, wcap, "%s %s cannot be an IP", kind, q);
			goto out;
		}
		ascii = xmalloc(8 * strlen(body) + 64);
		if (pol_idna_to_ascii(body, ascii, 8 * strlen(body) + 64, emsg, sizeof(emsg)) !=
		    0) {
			snprintf(why, wcap,
				 uri ? "%s %s cannot be converted to ASCII: %s"
				     : "%s %s can not be converted to ASCII: %s",
				 kind, q, emsg);
			goto out;
		}
		if (!pol_labels_ok(ascii, strlen(ascii))) {
			snprintf(why, wcap, "cannot parse %s %s", kind, q);
			goto out;
		}
		*out = ascii;
		ascii = NULL;
		rc = 0;
	}
out:
	free(ascii);
	free(n);
	return rc;
}

static int norm_email(const char *c, struct pol_email *out, char *why, size_t wcap)
{
	char q[QUOTE_MAX], emsg[300], *n = pol_trim_lower(c), *body, *local = NULL, *ascii = NULL;
	const char *domain;
	size_t ats = 0, cap;
	int rc = -1;

	pol_quote(c, q, sizeof(q));
	for (const char *p = n; *p != '\0'; p++)
		ats += *p == '@';
	if (n[0] == '\0') {
		snprintf(why, wcap, "email constraint %s can not be empty or white space string",
			 q);
		goto out;
	}
	if (strchr(n, '*') != NULL) {
		snprintf(why, wcap, "email constraint %s cannot contain asterisk wildcard", q);
		goto out;
	}
	if (ats > 1) {
		snprintf(why, wcap, "email constraint %s contains too many @ characters", q);
		goto out;
	}
	body = n[0] == '@' ? n + 1 : n;
	if (body[0] == '.') {
		snprintf(why, wcap, "email constraint %s cannot start with period", q);
		goto out;
	}
	cap = 8 * strlen(body) + 64;
	ascii = xmalloc(cap);
	if (strchr(body, '@') != NULL) {
		char dq[QUOTE_MAX];

		local = xmalloc(strlen(body) + 1);
		if (!pol_parse_mailbox(body, local, strlen(body) + 1, &domain)) {
			snprintf(why, wcap, "cannot parse email constraint %s as RFC 2821 mailbox",
				 q);
			goto out;
		}
		if (pol_idna_to_ascii(domain, ascii, cap, emsg, sizeof(emsg)) != 0) {
			pol_quote(domain, dq, sizeof(dq));
			snprintf(
			    why, wcap,
			    "email constraint %s domain part %s cannot be converted to ASCII: %s",
			    q, dq, emsg);
			goto out;
		}
	} else if (pol_idna_to_ascii(body, ascii, cap, emsg, sizeof(emsg)) != 0) {
		snprintf(why, wcap, "email constraint %s cannot be converted to ASCII: %s", q,
			 emsg);
		goto out;
	}
	/* step-ca checks the labels of the whole normalised constraint, local part included */
	{
		char *whole = local != NULL ? xasprintf("%s@%s", local, ascii) : xstrdup(ascii);
		bool ok = pol_labels_ok(whole, strlen(whole));
		char *again = xmalloc(strlen(whole) + 1);

		/* matching parses the normalised mailbox again; when that fails, so does matching
		 */
		out->broken =
		    local != NULL && !pol_parse_mailbox(whole, again, strlen(whole) + 1, &domain);
		free(again);
		free(whole);
		if (!ok) {
			snprintf(why, wcap, "cannot parse email domain constraint %s", q);
			goto out;
		}
	}
	out->local = local;
	out->domain = ascii;
	local = ascii = NULL;
	rc = 0;
out:
	free(local);
	free(ascii);
	free(n);
	return rc;
}

static const char *const kind_names[PT_COUNT] = {
    [PT_CN] = "common name", [PT_DNS] = "domain", [PT_EMAIL] = "email", [PT_URI] = "URI domain"};

static bool is_dup(const struct pol_list *l, enum pol_type t, size_t i)
{
	for (size_t j = 0; j < i; j++) {
		if (t == PT_IP	    ? memcmp(&l->ip[j], &l->ip[i], sizeof(l->ip[i])) == 0
		    : t == PT_EMAIL ? (l->em[j].local == NULL) == (l->em[i].local == NULL) &&
					  strcmp(l->em[j].domain, l->em[i].domain) == 0 &&
					  (l->em[j].local == NULL ||
					   strcmp(l->em[j].local, l->em[i].local) == 0)
				    : strcmp(l->v[j], l->v[i]) == 0)
			return true;
	}
	return false;
}

static void list_free_item(struct pol_list *l, enum pol_type t, size_t i)
{
	if (t == PT_EMAIL) {
		free(l->em[i].local);
		free(l->em[i].domain);
	} else if (t != PT_IP) {
		free(l->v[i]);
	}
}

/* Compiles one list; permitted says which of step-ca's message forms an error takes. */
static int compile_list(struct pol_list *l, enum pol_type t, bool permitted, const struct strv *in,
			struct error *err)
{
	const char *side = permitted ? "permitted" : "excluded";
	char why[3 * QUOTE_MAX], q[QUOTE_MAX];

	if (in->n == 0)
		return 0;
	if (t == PT_IP)
		l->ip = xcalloc(in->n, sizeof(*l->ip));
	else if (t == PT_EMAIL)
		l->em = xcalloc(in->n, sizeof(*l->em));
	else
		l->v = xcalloc(in->n, sizeof(*l->v));
	for (size_t i = 0; i < in->n; i++) {
		const char *c = in->v[i];
		int rc = 0;

		why[0] = '\0';
		switch (t) {
		case PT_CN:
			rc = norm_cn(c, &l->v[l->n], why, sizeof(why));
			break;
		case PT_DNS:
		case PT_URI:
			rc = norm_domain(c, t == PT_URI, &l->v[l->n], why, sizeof(why));
			break;
		case PT_EMAIL:
			rc = norm_email(c, &l->em[l->n], why, sizeof(why));
			break;
		case PT_IP:
			if (!pol_ipnet_parse(c, &l->ip[l->n])) {
				pol_quote(c, q, sizeof(q));
				return err_public(err, ERR_INVALID,
						  "cannot parse %s constraint %s as IP nor CIDR",
						  side, q);
			}
			break;
		default:
			l->v[l->n] = xstrdup(c); /* principals are taken as given */
			break;
		}
		if (rc != 0) {
			pol_quote(c, q, sizeof(q));
			return err_public(err, ERR_INVALID, "cannot parse %s %s constraint %s: %s",
					  side, kind_names[t], q, why);
		}
		if (is_dup(l, t, l->n))
			list_free_item(l, t, l->n);
		else
			l->n++;
	}
	return 0;
}

static void engine_free(struct pol_engine *e)
{
	for (int t = 0; t < PT_COUNT; t++) {
		struct pol_list *ls[2] = {&e->allow[t], &e->deny[t]};

		for (int k = 0; k < 2; k++) {
			for (size_t i = 0; i < ls[k]->n; i++)
				list_free_item(ls[k], (enum pol_type)t, i);
			free(ls[k]->v);
			free(ls[k]->ip);
			free(ls[k]->em);
		}
	}
	memset(e, 0, sizeof(*e));
}

/* Builds one engine from its allow and deny objects (either may be NULL). */
static int compile_engine(struct pol_engine *e, const json_t *allow, const json_t *deny,
			  const char *path, bool x509, struct error *err)
{
	const struct pol_member *ms = x509 ? x509_members : ssh_members;
	size_t nm = x509 ? 5 : 4;
	struct strv in[2][PT_COUNT];
	const json_t *objs[2] = {allow, deny};
	char sub[64];
	int rc = -1;

	memset(in, 0, sizeof(in));
	for (int k = 0; k < 2; k++) {
		snprintf(sub, sizeof(sub), "%s.%s", path, k == 0 ? "allow" : "deny");
		for (size_t m = 0; objs[k] != NULL && m < nm; m++)
			if (read_member(objs[k], &ms[m], sub, &in[k][ms[m].t], err) != 0)
				goto out;
	}
	/* step-ca validates every list of a side that has names, allow before deny */
	for (int k = 0; k < 2; k++)
		for (size_t m = 0; m < nm; m++)
			if (compile_list(k == 0 ? &e->allow[ms[m].t] : &e->deny[ms[m].t], ms[m].t,
					 k == 0, &in[k][ms[m].t], err) != 0)
				goto out;
	for (int t = 0; t < PT_COUNT; t++) {
		e->total_allow += e->allow[t].n;
		e->total += e->allow[t].n + e->deny[t].n;
	}
	e->on = e->total > 0;
	rc = 0;
out:
	for (int k = 0; k < 2; k++)
		for (int t = 0; t < PT_COUNT; t++)
			strv_free(&in[k][t]);
	if (rc != 0)
		engine_free(e);
	return rc;
}

static int get_bool(const json_t *obj, const char *path, bool *out, struct error *err)
{
	static const char *const names[] = {"allowWildcardNames", "allow_wildcard_names"};

	*out = false;
	for (int i = 0; i < 2 && obj != NULL; i++) {
		const json_t *v = json_object_get(obj, names[i]);

		if (v == NULL || json_is_null(v))
			continue;
		if (!json_is_boolean(v))
			return err_public(err, ERR_INVALID, "policy %s.%s must be a boolean", path,
					  names[i]);
		*out = *out || json_is_true(v);
	}
	return 0;
}

void policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	engine_free(&p->x509);
	engine_free(&p->host);
	engine_free(&p->user);
	free(p);
}

int policy_new(const json_t *doc, struct policy **out, struct error *err)
{
	const json_t *x509, *ssh, *a, *d, *host, *user;
	struct policy *p = NULL;
	int rc = -1;

	*out = NULL;
	if (doc == NULL || json_is_null(doc))
		return 0;
	if (!json_is_object(doc))
		return err_public(err, ERR_INVALID, "policy must be an object");
	p = xcalloc(1, sizeof(*p));
	if (get_obj(doc, "x509", "", &x509, err) != 0 || get_obj(doc, "ssh", "", &ssh, err) != 0 ||
	    get_obj(x509, "allow", "x509", &a, err) != 0 ||
	    get_obj(x509, "deny", "x509", &d, err) != 0 ||
	    compile_engine(&p->x509, a, d, "x509", true, err) != 0 ||
	    get_bool(x509, "x509", &p->x509.allow_wildcards, err) != 0)
		goto out;
	p->x509.verify_cn = true;
	if (get_obj(ssh, "host", "ssh", &host, err) != 0 ||
	    get_obj(ssh, "user", "ssh", &user, err) != 0 ||
	    get_obj(host, "allow", "ssh.host", &a, err) != 0 ||
	    get_obj(host, "deny", "ssh.host", &d, err) != 0 ||
	    compile_engine(&p->host, a, d, "ssh.host", false, err) != 0 ||
	    get_obj(user, "allow", "ssh.user", &a, err) != 0 ||
	    get_obj(user, "deny", "ssh.user", &d, err) != 0 ||
	    compile_engine(&p->user, a, d, "ssh.user", false, err) != 0)
		goto out;
	if (p->x509.on || p->host.on || p->user.on) {
		*out = p;
		p = NULL;
	}
	rc = 0;
out:
	policy_free(p);
	return rc;
}
