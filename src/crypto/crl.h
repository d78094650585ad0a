/* crl.h - building the X.509 v2 CRL the CA publishes (RFC 5280 §5), as step-ca makes it.
 *
 * tbsCertList: version v2, the issuer's signature algorithm, issuer = the intermediate's
 * subject, thisUpdate / nextUpdate, one entry per revoked serial (revocation date; a reasonCode
 * entry extension when the code is not 0, as Go writes it), then the extensions in Go's order:
 * authorityKeyIdentifier (the issuer's subject key id), cRLNumber, and a critical
 * issuingDistributionPoint whose only member is the full name (one URI).
 */
#ifndef STRIDE_CRYPTO_CRL_H
#define STRIDE_CRYPTO_CRL_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "crypto/signer.h"

/* One revoked certificate in a CRL. */
struct crl_entry {
	const char *serial; /* decimal */
	int64_t revoked_at_ns;
	int reason_code; /* RFC 5280 CRLReason; 0 (unspecified) writes no extension */
};

struct crl_spec {
	X509 *issuer; /* borrowed: the issuer's subject and subject key id */
	uint64_t number;
	int64_t this_update_ns; /* written with second precision */
	int64_t next_update_ns;
	const char *idp_url; /* the issuing distribution point's full name */
	const struct crl_entry *entries;
	size_t n_entries;
};

/* Builds and signs the CRL of spec with signer: *der (malloc'd) and *len. An issuer without a
 * subject key identifier is refused (as Go refuses it). */
int crl_build(const struct crl_spec *spec, struct signer *signer, uint8_t **der, size_t *len,
	      struct error *err);

/* A CRL Distribution Points extension (RFC 5280 §4.2.1.13) with one distribution point whose
 * full name is url, for an issued certificate; NULL with err set on failure. */
X509_EXTENSION *crl_distribution_point_ext(const char *url, struct error *err);

#endif
