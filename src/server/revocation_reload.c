/* revocation_reload.c - SIGHUP applies ca.json's "crl" and "ocsp" (revocation_reload.h). */
#include "server/revocation_reload.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/str.h"
#include "server/reload.h"
#include "server/router.h"

static bool str_same(const char *x, const char *y)
{
	return (x == NULL && y == NULL) || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

/* The leaves' URLs: crl_dp / ocsp replace the current ones unless keep_*. */
static void set_urls(struct authority *a, bool keep_dp, const char *crl_dp, bool keep_ocsp,
		     const char *ocsp)
{
	char *cur_dp = NULL, *cur_ocsp = NULL;

	authority_get_leaf_urls(a, &cur_dp, &cur_ocsp);
	if (keep_dp)
		crl_dp = cur_dp;
	if (keep_ocsp)
		ocsp = cur_ocsp;
	if (!str_same(crl_dp, cur_dp) || !str_same(ocsp, cur_ocsp))
		authority_set_leaf_urls(a, crl_dp, ocsp);
	free(cur_dp);
	free(cur_ocsp);
}

/* The line reload.c writes for members needing a restart, for a toggled "enabled". */
static void log_restart(const struct server_reload_event *ev, const char *field)
{
	log_msg(LOG_WARN, "reload: changes that need a restart were not applied", "file",
		ev->next->path != NULL ? ev->next->path : "", "fields", field, NULL);
}

static int crl_hook(void *ctx, const struct server_reload_event *ev, struct error *err)
{
	struct revocation_reload *rr = ctx;
	struct error e = {0};
	bool changed = false;
	char *dp;

	(void)err;
	if (ev->phase != SERVER_RELOAD_APPLY)
		return 0;
	if (ev->next->crl.enabled != (rr->crl != NULL)) {
		log_restart(ev, "crl.enabled");
		return 0;
	}
	if (rr->crl == NULL)
		return 0;
	if (crl_service_reconfigure(rr->crl, &ev->next->crl, &changed, &e) != 0)
		log_msg(LOG_ERROR,
			"reload: the CRL settings are applied, the CRL was not generated", "error",
			e.msg, NULL);
	dp = crl_service_dp_url(rr->crl);
	set_urls(rr->a, false, dp, true, NULL);
	free(dp);
	return 0;
}

static int ocsp_hook(void *ctx, const struct server_reload_event *ev, struct error *err)
{
	struct revocation_reload *rr = ctx;
	const struct ca_ocsp *next;

	if (ev->phase != SERVER_RELOAD_CHECK && ev->phase != SERVER_RELOAD_APPLY)
		return 0;
	next = &ev->next->ocsp;
	if (next->enabled != (rr->ocsp != NULL)) {
		if (ev->phase == SERVER_RELOAD_APPLY)
			log_restart(ev, "ocsp.enabled");
		return 0;
	}
	if (ev->phase == SERVER_RELOAD_CHECK) {
		if (rr->ocsp != NULL && strcmp(next->path, ocsp_responder_path(rr->ocsp)) != 0 &&
		    router_path_taken(next->path))
			return err_set(err, ERR_INVALID,
				       "ocsp.path \"%s\" is a route of stride-ca already",
				       next->path);
		return 0;
	}
	if (rr->ocsp != NULL)
		ocsp_responder_reconfigure(rr->ocsp, next);
	set_urls(rr->a, true, NULL, false, next->url);
	return 0;
}

void revocation_reload_register(struct server *s, struct revocation_reload *rr)
{
	server_reload_register(s, "crl", crl_hook, rr);
	server_reload_register(s, "ocsp", ocsp_hook, rr);
}
