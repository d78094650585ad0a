/* reload.c - a reload of ca.json seen from the authority (authority.h): a new snapshot of the
 * provisioners built from the new file, published once everything else in the file is valid.
 */
#include "authority/admin_state.h"
#include "authority/authority.h"

struct authority_update {
	struct prov_set *set;
};

int authority_update_prepare(struct authority *a, const struct ca_config *cfg,
			     struct authority_update **out, struct error *err)
{
	struct prov_set *set = NULL;

	*out = NULL;
	if (prov_set_for_reload(a, cfg, &set, err) != 0)
		return -1;
	*out = xcalloc(1, sizeof(**out));
	(*out)->set = set;
	return 0;
}

void authority_update_apply(struct authority *a, struct authority_update *u)
{
	if (u == NULL)
		return;
	prov_set_install(a, u->set);
	free(u);
}

void authority_update_free(struct authority_update *u)
{
	if (u == NULL)
		return;
	prov_set_put(u->set);
	free(u);
}
