/* crl.h - the CRL the CA publishes (ca.json "crl"): generation, numbering, storage, serving.
 *
 * The current CRL and its number live in the store, as two records of the collection "crl":
 * "state" ({"number":N}), advanced by a compare-and-swap on its version in the same commit that
 * puts "der" (the CRL). So the number only grows, across restarts and across every instance on
 * one database; two instances generating at once conflict, and the loser builds again on the
 * newer state. Each instance serves the newest stored CRL: its thread reads "state" every
 * second and loads "der" when it changed.
 *
 * As step-ca: a CRL is generated at start, every renewPeriod (default 2/3 of cacheDuration),
 * and, with generateOnRevoke, after each revocation, before the revocation is answered. This
 * module sees every revocation by standing between the store and its users: the store handed
 * to the authority is a wrapper (crl_service_store) whose commits of a revocation (/revoke,
 * ACME, offline; the store's lineage and key cascades ride along) report done only once the
 * CRL that lists them is stored. Revocations committed together share one generation.
 */
#ifndef STRIDE_AUTHORITY_CRL_H
#define STRIDE_AUTHORITY_CRL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "config/ca_config.h"

struct authority;
struct store;
struct crl_service;

/* The record collection and ids of the stored CRL. */
#define CRL_COLLECTION "crl"
#define CRL_STATE_ID   "state"
#define CRL_DER_ID     "der"

/* Certificates that expired more than this long ago leave the CRL (step-ca's
 * DefaultCRLExpiredDuration). */
#define CRL_EXPIRED_GRACE_NS (3600 * INT64_C(1000000000))
/* How often an instance looks for a CRL another instance stored. */
#define CRL_POLL_NS INT64_C(1000000000)

/* The CRL an instance serves; shared, counted (crl_current_put). */
struct crl_current {
	atomic_int refs;
	uint8_t *der;
	size_t der_len;
	char *pem; /* "-----BEGIN X509 CRL-----..." */
	size_t pem_len;
	uint64_t number;
	int64_t next_update_ns;
};

/* When cfg->crl is enabled: a CRL service over *store, and *store replaced by its wrapper
 * (which owns the service and the store it wraps: store_close on it stops and frees both);
 * *out is the service (borrowed from then on). When disabled: *out NULL, *store unchanged.
 * Without a database: ERR_INVALID "CRL Generation requested, but database does not support
 * CRL generation" (step-ca's). */
int crl_service_wrap(const struct ca_config *cfg, struct store **store, struct crl_service **out,
		     struct error *err);
/* Generates the first CRL (as step-ca does at start) with a's intermediate and signer, then
 * starts the thread that regenerates and follows the stored CRL. a must have been built over
 * the service's store and outlives it. Failure: "could not generate a CRL: ...". */
int crl_service_start(struct crl_service *c, struct authority *a, struct error *err);
/* Generates and stores a new CRL now (blocking). */
int crl_service_generate(struct crl_service *c, struct error *err);
/* The CRL the instance serves now (a reference: crl_current_put), or NULL when none yet. */
struct crl_current *crl_service_current(struct crl_service *c);
/* Drops a reference; NULL is a no-op. */
void crl_current_put(struct crl_current *cur);
/* Applies new settings of ca.json's "crl" (a reload; its "enabled" is not looked at): when
 * they differ from those in use (*changed), the next commits, generations and the thread use
 * them, and a CRL is generated at once (blocking); the thread's next periodic generation is
 * the new renewPeriod after it. The old settings are kept until the service is freed. One
 * caller at a time. -1 when the generation failed (the settings are applied anyway). */
int crl_service_reconfigure(struct crl_service *c, const struct crl_config *cfg, bool *changed,
			    struct error *err);
/* The CRL Distribution Point for issued leaves under the settings in use (malloc'd), or NULL
 * when crl.distributionPoint is off or no dnsNames names the CA. */
char *crl_service_dp_url(struct crl_service *c);
/* The CRL service of a (started), or NULL when the CRL is disabled. */
struct crl_service *authority_crl(const struct authority *a);

#endif
