/* x509build.h - building the certificates a CA issues.
 *
 * Leaves follow step-ca's default leaf template; CA
 * certificates follow what `step ca init` writes.
 */
#ifndef STRIDE_CRYPTO_X509BUILD_H
#define STRIDE_CRYPTO_X509BUILD_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "crypto/csr.h"
#include "crypto/signer.h"

/* step's provisioner extension, OID 1.3.6.1.4.1.37476.9000.64.1. */
#define STEP_PROVISIONER_OID "1.3.6.1.4.1.37476.9000.64.1"

enum prov_type_code {
	PROV_CODE_JWK = 1,
	PROV_CODE_OIDC = 2,
	PROV_CODE_GCP = 3,
	PROV_CODE_AWS = 4,
	PROV_CODE_AZURE = 5,
	PROV_CODE_ACME = 6,
	PROV_CODE_X5C = 7,
	PROV_CODE_K8SSA = 8,
	PROV_CODE_SSHPOP = 9,
	PROV_CODE_SCEP = 10,
	PROV_CODE_NEBULA = 11,
};

struct leaf_spec {
	X509_NAME *subject;	  /* borrowed; usually just CN */
	const struct names *sans; /* borrowed; the SANs to write (cn ignored) */
	EVP_PKEY *public_key;	  /* borrowed */
	int64_t not_before_ns;
	int64_t not_after_ns;
	bool server_auth;     /* EKU serverAuth */
	bool client_auth;     /* EKU clientAuth */
	bool ocsp_signing;    /* EKU OCSPSigning and id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2) */
	const char *ocsp_url; /* authorityInfoAccess id-ad-ocsp (RFC 5280 §4.2.2.1), or NULL */
	/* provisioner extension; omitted when prov_name is NULL */
	int prov_type;
	const char *prov_name;
	const char *prov_cred_id;
	/* a CRL Distribution Points extension with this URL (stride's crl.distributionPoint), or
	 * NULL for none */
	const char *crl_url;
};

/* Issues a leaf signed by issuer_cert/signer: random positive serial < 2^128, SKI, AKI =
 * issuer SKI, keyUsage digitalSignature (+keyEncipherment for RSA) critical, the EKUs asked,
 * AIA (ocsp_url), SANs, provisioner extension, OCSP no-check. *out owned by the caller. */
int x509_issue_leaf(const struct leaf_spec *spec, X509 *issuer_cert, struct signer *signer,
		    X509 **out, struct error *err);

/* The description and CA additions x509_issue_leaf builds from spec: raw subject, the SANs,
 * keyUsage digitalSignature (+ keyEncipherment for RSA), the EKUs asked. */
struct x509_desc;
struct x509_ca_ext;
int x509_leaf_spec_desc(const struct leaf_spec *spec, struct x509_desc *d, struct x509_ca_ext *ca,
			struct error *err);

/* Issues a CA certificate: self-signed root when issuer_cert is NULL (pathlen 1) or an
 * intermediate (pathlen 0). Subject "CN=<cn>, O=<org>", validity [now, now+years]. */
int x509_issue_ca(const char *cn, const char *org, EVP_PKEY *public_key, X509 *issuer_cert,
		  struct signer *signer, int pathlen, int64_t not_before_ns, int64_t not_after_ns,
		  X509 **out, struct error *err);

/* Renewal helper for later issues: copies everything from old except serial, validity, AKI
 * (and SKI + key when new_key is not NULL). */
int x509_reissue(X509 *old, EVP_PKEY *new_key, int64_t not_before_ns, int64_t not_after_ns,
		 X509 *issuer_cert, struct signer *signer, X509 **out, struct error *err);
/* The same written as DER directly (certwrite.c): new_spki is the DER SubjectPublicKeyInfo of
 * the new key, NULL to keep old's; *der malloc'd. */
int x509_reissue_der(X509 *old, const uint8_t *new_spki, size_t new_spki_len, int64_t not_before_ns,
		     int64_t not_after_ns, X509 *issuer_cert, struct signer *signer, uint8_t **der,
		     size_t *der_len, struct error *err);

/* Reads the provisioner extension of a certificate: returns 0 and fills out-params when
 * present, 1 when absent, -1 on a malformed extension. Strings malloc'd. */
int x509_get_provisioner_ext(X509 *cert, int *type, char **name, char **cred_id, struct error *err);

/* Fills a random positive serial < 2^128 with a set top bit avoided (like step). */
int x509_random_serial(ASN1_INTEGER **out, struct error *err);

#endif
