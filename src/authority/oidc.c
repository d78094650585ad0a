/* oidc.c - the OIDC provisioner: ID tokens from an OpenID Connect identity provider
 * (tokens.md §6.6, provisioners-and-policy.md §2.5). */
#include "authority/internal.h"

int oidc_init(struct provisioner *p, struct error *err)
{
	(void)p;
	(void)err;
	return 0;
}

void oidc_clear(struct provisioner *p)
{
	(void)p;
}

int oidc_authorize(const struct authority *a, const struct provisioner *p, const struct jws *jws,
		   enum token_op op, struct token_grant *g, struct error *err)
{
	(void)a;
	(void)jws;
	(void)op;
	(void)g;
	return err_set(err, ERR_UNAUTHORIZED, "OIDC provisioner \"%s\" cannot authorize tokens yet",
		       p->name);
}
