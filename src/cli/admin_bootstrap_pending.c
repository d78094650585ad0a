/* admin_bootstrap_pending.c - a placeholder for authority_admin_bootstrap until the
 * authority's administration state (authority/admin_state.h) is implemented. It is a strong
 * definition on purpose: the real one makes the link fail until this file is deleted. */
#include "authority/authority.h"

int authority_admin_bootstrap(struct authority *a, const json_t *provisioners,
			      const char *admin_subject, bool *done, struct error *err)
{
	(void)a;
	(void)provisioners;
	(void)admin_subject;
	*done = false;
	return err_set(err, ERR_NOT_IMPLEMENTED,
		       "remote administration state is not available in this build");
}
