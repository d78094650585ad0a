/* policy_match.c - evaluating names against one compiled engine, rule for rule as step-ca's
 * policy engine does (provisioners-and-policy.md §5.3, §5.4): deny lists first, then allow
 * lists; a type without constraints is refused when other types have allow constraints.
 * Nothing here allocates unless a name is longer than the stack buffers (then one malloc).
 */
#include "policy/policy_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/str.h"

#define NAME_STACK 1024

int pol_match_domain(const char *domain, const char *constraint, bool allow_wildcards)
{
	size_t dl = strlen(domain), cl, dlabels = 0, clabels = 0, skip;
	bool must_sub = false;
	const char *rest;

	if (dl == 0)
		return 0;
	if (constraint[0] == '\0')
		return 1;
	if (strcmp(domain, " ") == 0 || domain[0] == '.')
		return 0;
	if (domain[0] == '*' && (dl < 2 || domain[1] != '.'))
		return 0;
	if (domain[0] == '*' && !allow_wildcards)
		return 0;
	if (strrchr(domain, '*') != domain && strrchr(domain, '*') != NULL)
		return 0;
	if (strstr(constraint, "..") != NULL)
		return 0;
	if (!pol_labels_ok(domain, dl))
		return -1;
	if (constraint[0] == '.') {
		must_sub = true;
		constraint++;
	}
	cl = strlen(constraint);
	if (!pol_labels_ok(constraint, cl))
		return -1;
	for (size_t i = 0; i < dl; i++)
		dlabels += domain[i] == '.';
	for (size_t i = 0; i < cl; i++)
		clabels += constraint[i] == '.';
	dlabels++, clabels++;
	if (dlabels != clabels + (must_sub ? 1 : 0))
		return 0;
	/* the labels the constraint names are the domain's last ones */
	rest = domain;
	for (skip = must_sub ? 1 : 0; skip > 0; skip--)
		rest = strchr(rest, '.') + 1;
	return strlen(rest) == cl && pol_eq_fold(rest, constraint, cl) ? 1 : 0;
}

/* One name against a constraint of type t: 1 match, 0 none, -1 error. */
static int match_one(const struct pol_engine *e, enum pol_type t, const struct pol_list *l,
		     size_t i, const void *parsed, unsigned char iplen)
{
	switch (t) {
	case PT_CN:
		return strcmp(l->v[i], "*") != 0 && strlen(l->v[i]) == strlen(parsed) &&
		       pol_eq_fold(l->v[i], parsed, strlen(parsed));
	case PT_PRINCIPAL:
		return strcmp(l->v[i], "*") == 0 || (strlen(l->v[i]) == strlen(parsed) &&
						     pol_eq_fold(l->v[i], parsed, strlen(parsed)));
	case PT_DNS:
	case PT_URI:
		return pol_match_domain(parsed, l->v[i], e->allow_wildcards);
	case PT_IP:
		return pol_ipnet_contains(&l->ip[i], parsed, iplen);
	case PT_EMAIL: {
		const char *const *mb = parsed; /* {local, domain} */
		const struct pol_email *c = &l->em[i];

		if (c->broken)
			return -1;
		if (c->local == NULL)
			return pol_match_domain(mb[1], c->domain, e->allow_wildcards);
		return strcmp(mb[0], c->local) == 0 && strlen(mb[1]) == strlen(c->domain) &&
		       pol_eq_fold(mb[1], c->domain, strlen(c->domain));
	}
	default:
		return -1;
	}
}

/* checkNameConstraints: excluded first (a match is refused), then permitted (one must match
 * when there are any). */
static enum pol_reason constraints(const struct pol_engine *e, enum pol_type t, const void *parsed,
				   unsigned char iplen)
{
	const struct pol_list *deny = &e->deny[t], *allow = &e->allow[t];
	int m = 1;

	for (size_t i = 0; i < deny->n; i++) {
		m = match_one(e, t, deny, i, parsed, iplen);
		if (m < 0)
			return PR_MATCH;
		if (m > 0)
			return PR_NOT_ALLOWED;
	}
	m = 1;
	for (size_t i = 0; i < allow->n; i++) {
		m = match_one(e, t, allow, i, parsed, iplen);
		if (m < 0)
			return PR_MATCH;
		if (m > 0)
			break;
	}
	return m > 0 ? PR_OK : PR_NOT_ALLOWED;
}

static enum pol_reason check_dns(const struct pol_engine *e, const char *name)
{
	char stack[NAME_STACK], emsg[256], *buf = stack, *heap = NULL;
	size_t n = strlen(name), cap = sizeof(stack);
	bool wild = str_has_prefix(name, "*.");
	enum pol_reason r;

	if (8 * n + 64 > cap) {
		cap = 8 * n + 64;
		buf = heap = xmalloc(cap);
	}
	/* the wildcard is put back after the rest is converted to ASCII */
	if (wild)
		buf[0] = '*';
	if (pol_idna_to_ascii(name + (wild ? 1 : 0), buf + (wild ? 1 : 0), cap - 1, emsg,
			      sizeof(emsg)) != 0 ||
	    !pol_labels_ok(buf, strlen(buf))) {
		r = PR_PARSE_DOMAIN;
		goto out;
	}
	r = constraints(e, PT_DNS, buf, 0);
out:
	free(heap);
	return r;
}

static enum pol_reason check_email(const struct pol_engine *e, const char *name)
{
	char stack[NAME_STACK], *local = stack, *heap = NULL;
	const char *mb[2];
	size_t n = strlen(name) + 1;
	enum pol_reason r;

	if (n > sizeof(stack))
		local = heap = xmalloc(n);
	if (!pol_parse_mailbox(name, local, n > sizeof(stack) ? n : sizeof(stack), &mb[1])) {
		r = PR_PARSE_EMAIL;
		goto out;
	}
	/* the domain is printable ASCII once parsed: its ASCII form is itself */
	mb[0] = local;
	r = constraints(e, PT_EMAIL, mb, 0);
out:
	free(heap);
	return r;
}

/* matchURIConstraint's host rules ahead of the domain match; -1 when the URI cannot be matched
 * (no host, '*', an IP or brackets). host is modified in place (port removed). */
static int uri_host(char *host)
{
	unsigned char ip[16], iplen;
	size_t off, len, hl = strlen(host);

	if (hl == 0 || strchr(host, '*') != NULL)
		return -1;
	if (strchr(host, ':') != NULL && host[hl - 1] != ']') {
		if (pol_split_host_port(host, hl, &off, &len) != 0)
			return -1;
		memmove(host, host + off, len);
		host[len] = '\0';
		hl = len;
	}
	if ((hl > 0 && host[0] == '[' && host[hl - 1] == ']') || pol_ip_parse(host, ip, &iplen))
		return -1;
	return 0;
}

static enum pol_reason check_uri(const struct pol_engine *e, const char *name)
{
	char stack[NAME_STACK], *host = stack, *heap = NULL;
	size_t n = strlen(name) + 1;
	enum pol_reason r = PR_MATCH;

	if (e->deny[PT_URI].n + e->allow[PT_URI].n == 0)
		return PR_OK;
	if (n > sizeof(stack))
		host = heap = xmalloc(n);
	if (pol_uri_parse(name, host, n > sizeof(stack) ? n : sizeof(stack)) < 0 ||
	    uri_host(host) != 0)
		goto out;
	r = constraints(e, PT_URI, host, 0);
out:
	free(heap);
	return r;
}

enum pol_reason pol_check_name(const struct pol_engine *e, enum pol_type t, const char *name,
			       const unsigned char *ip, unsigned char iplen)
{
	if (e->total == 0)
		return PR_OK;
	if (e->allow[t].n + e->deny[t].n == 0 && e->total_allow > 0)
		return PR_NOT_ALLOWED; /* not explicitly permitted by any constraint */
	switch (t) {
	case PT_DNS:
		return check_dns(e, name);
	case PT_IP:
		return constraints(e, PT_IP, ip, iplen);
	case PT_EMAIL:
		return check_email(e, name);
	case PT_URI:
		return check_uri(e, name);
	case PT_PRINCIPAL:
		return constraints(e, PT_PRINCIPAL, name, 0);
	default:
		return PR_MATCH;
	}
}

enum pol_reason pol_check_cn(const struct pol_engine *e, const char *cn)
{
	unsigned char ip[16], iplen = 0;
	enum pol_type t;

	if (e->total == 0 || cn == NULL || cn[0] == '\0')
		return PR_OK;
	/* a CN the cn lists allow is allowed; otherwise it is checked as the SAN it looks like */
	if (e->allow[PT_CN].n + e->deny[PT_CN].n > 0 && constraints(e, PT_CN, cn, 0) == PR_OK)
		return PR_OK;
	t = pol_classify(cn, ip, &iplen);
	return pol_check_name(e, t, cn, ip, iplen);
}
