/* revocation_reload.h - the reload hooks of ca.json's "crl" and "ocsp" sections (reload.h).
 *
 * Applied live by a SIGHUP: crl.generateOnRevoke, cacheDuration, renewPeriod, idpURL and
 * distributionPoint (a CRL is generated at once with them; the next leaves get the new CRL
 * Distribution Point), ocsp.url (the AIA of the next leaves), ocsp.validity (the cached
 * answers are dropped), ocsp.responderValidity (the signing certificate is renewed) and
 * ocsp.path. A changed crl.enabled or ocsp.enabled needs a restart: the hook logs it in a
 * line like reload.c's for members needing a restart ("fields":"crl.enabled") at every reload
 * while the file differs from what runs, and applies nothing else of that section. An
 * ocsp.path that is one of stride-ca's routes refuses the whole file, as at start.
 */
#ifndef STRIDE_SERVER_REVOCATION_RELOAD_H
#define STRIDE_SERVER_REVOCATION_RELOAD_H

#include "authority/authority.h"
#include "authority/crl.h"
#include "ocsp/ocsp.h"
#include "server/server.h"

/* What the hooks change; borrowed, like what it points to, until s is freed. */
struct revocation_reload {
	struct authority *a;
	struct crl_service *crl;     /* NULL: the CRL was disabled at start */
	struct ocsp_responder *ocsp; /* NULL: OCSP was disabled at start */
};

/* Registers the hooks of "crl" and "ocsp" on s, with rr as their context. */
void revocation_reload_register(struct server *s, struct revocation_reload *rr);

#endif
