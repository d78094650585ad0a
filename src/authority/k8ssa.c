/* k8ssa.c - the K8sSA provisioner: Kubernetes service-account tokens (tokens.md §6.5,
 * provisioners-and-policy.md §2.4). */
#include "authority/internal.h"

int k8ssa_init(struct provisioner *p, struct error *err)
{
	(void)p;
	(void)err;
	return 0;
}

void k8ssa_clear(struct provisioner *p)
{
	(void)p;
}

int k8ssa_authorize(const struct authority *a, const struct provisioner *p, const struct jws *jws,
		    enum token_op op, struct token_grant *g, struct error *err)
{
	(void)a;
	(void)jws;
	(void)op;
	(void)g;
	return err_set(err, ERR_UNAUTHORIZED,
		       "K8sSA provisioner \"%s\" cannot authorize tokens yet", p->name);
}
