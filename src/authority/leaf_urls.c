/* leaf_urls.c - the URLs put in issued leaves (CRL Distribution Point, AIA OCSP), changed by a
 * reload while operations run: an immutable struct behind an atomic pointer, the replaced ones
 * kept until the authority is freed, so the signing path reads them without a lock. */
#include <stdlib.h>

#include "authority/internal.h"
#include "base/str.h"

const struct leaf_urls *authority_leaf_urls(struct authority *a)
{
	static const struct leaf_urls none = {0};
	const struct leaf_urls *u = atomic_load_explicit(&a->urls, memory_order_acquire);

	return u != NULL ? u : &none; /* authority_new_admin sets none */
}

void authority_set_leaf_urls(struct authority *a, const char *crl_dp, const char *ocsp)
{
	struct leaf_urls *u = xcalloc(1, sizeof(*u)), *old;

	u->crl_dp = crl_dp != NULL ? xstrdup(crl_dp) : NULL;
	u->ocsp = ocsp != NULL ? xstrdup(ocsp) : NULL;
	old = atomic_exchange_explicit(&a->urls, u, memory_order_acq_rel);
	if (old != NULL) {
		old->next = a->old_urls;
		a->old_urls = old;
	}
}

void authority_get_leaf_urls(struct authority *a, char **crl_dp, char **ocsp)
{
	const struct leaf_urls *u = authority_leaf_urls(a);

	*crl_dp = u->crl_dp != NULL ? xstrdup(u->crl_dp) : NULL;
	*ocsp = u->ocsp != NULL ? xstrdup(u->ocsp) : NULL;
}

static void urls_free(struct leaf_urls *u)
{
	free(u->crl_dp);
	free(u->ocsp);
	free(u);
}

void authority_leaf_urls_free(struct authority *a)
{
	struct leaf_urls *u = atomic_load(&a->urls), *next;

	if (u != NULL)
		urls_free(u);
	atomic_store(&a->urls, NULL);
	for (u = a->old_urls; u != NULL; u = next) {
		next = u->next;
		urls_free(u);
	}
	a->old_urls = NULL;
}
