/* policy_enforce.c - the certificate issuance policies applied where certificates are made
 * (provisioners-and-policy.md §5.5): the provisioner's policy first, then the authority's.
 *
 * step-ca checks policies on /sign and ACME only; stride also checks them on renew and rekey,
 * so that a name a policy refuses today does not keep being certified through renewals.
 */
#include <stdio.h>

#include "authority/admin_state.h"
#include "authority/internal.h"
#include "crypto/csr.h"
#include "policy/policy.h"

/* step-ca's 403 for a refused name; the engine's other errors (a name it cannot parse) stay
 * 400s: a client's mistake, which step-ca answers with a 500. */
static int refused(struct error *err)
{
	if (err != NULL && err->kind == ERR_FORBIDDEN) {
		char msg[ERR_MSG_MAX];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		return err_public(err, ERR_FORBIDDEN, POLICY_FORBIDDEN_PREFIX "%s", msg);
	}
	return -1;
}

int policy_enforce_names(const struct prov_set *s, const struct provisioner *p, const char *cn,
			 const struct names *sans, struct error *err)
{
	struct policy_x509_names n = {
	    .cn = cn,
	    .dns = &sans->dns,
	    .ips = &sans->ip,
	    .emails = &sans->email,
	    .uris = &sans->uri,
	};

	if (p != NULL && p->policy != NULL && policy_check_x509(p->policy, &n, err) != 0)
		return refused(err);
	if (s->authority_policy != NULL && policy_check_x509(s->authority_policy, &n, err) != 0)
		return refused(err);
	return 0;
}

int policy_enforce_cert(const struct prov_set *s, const struct provisioner *p, X509 *cert,
			struct error *err)
{
	struct names n = {0};
	int rc;

	if ((p == NULL || p->policy == NULL) && s->authority_policy == NULL)
		return 0;
	if (cert_names(cert, &n, err) != 0)
		return -1;
	rc = policy_enforce_names(s, p, n.cn, &n, err);
	names_free(&n);
	return rc;
}

int policy_enforce_identifier(const struct prov_set *s, const struct provisioner *p,
			      const struct policy *account, const char *type, const char *value,
			      struct error *err)
{
	if (account != NULL && policy_check_identifier(account, type, value, err) != 0)
		return -1;
	if (p != NULL && p->policy != NULL &&
	    policy_check_identifier(p->policy, type, value, err) != 0)
		return -1;
	if (s->authority_policy != NULL &&
	    policy_check_identifier(s->authority_policy, type, value, err) != 0)
		return -1;
	return 0;
}

int policy_enforce_ssh(const struct prov_set *s, const struct provisioner *p, bool host,
		       const struct strv *principals, struct error *err)
{
	if (p != NULL && p->policy != NULL &&
	    policy_check_ssh(p->policy, host, principals, err) != 0)
		return refused(err);
	if (s->authority_policy != NULL &&
	    policy_check_ssh(s->authority_policy, host, principals, err) != 0)
		return refused(err);
	return 0;
}
