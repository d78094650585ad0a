/* x509desc.h - step's JSON certificate description (the output of an X.509 template) and the
 * one builder every leaf of the CA goes through.
 *
 * The description holds what step's x509util Certificate JSON holds (provisioners-and-policy.md
 * §4.1); x509_desc_issue turns it into a signed certificate with Go's x509.CreateCertificate
 * choices: extension order keyUsage, extKeyUsage, basicConstraints, subjectKeyId,
 * authorityKeyId, authorityInfoAccess, subjectAltName, nameConstraints, cRLDistributionPoints,
 * certificatePolicies, then the template's own extensions, then what the CA adds (provisioner
 * extension, its CRL distribution point, OCSP no-check). A built-in extension whose OID the
 * template's extensions list carries is left out (Go's oidInExtensions).
 */
#ifndef STRIDE_CRYPTO_X509DESC_H
#define STRIDE_CRYPTO_X509DESC_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/str.h"
#include "crypto/csr.h"
#include "crypto/signer.h"

/* Go's x509.KeyUsage bits. */
enum {
	X509_KU_DIGITAL_SIGNATURE = 1 << 0,
	X509_KU_CONTENT_COMMITMENT = 1 << 1,
	X509_KU_KEY_ENCIPHERMENT = 1 << 2,
	X509_KU_DATA_ENCIPHERMENT = 1 << 3,
	X509_KU_KEY_AGREEMENT = 1 << 4,
	X509_KU_CERT_SIGN = 1 << 5,
	X509_KU_CRL_SIGN = 1 << 6,
	X509_KU_ENCIPHER_ONLY = 1 << 7,
	X509_KU_DECIPHER_ONLY = 1 << 8,
};

/* One attribute of extraNames: OID and value (a string, or an integer when is_int). */
struct x509_dn_attr {
	char *oid;
	char *value;
	bool is_int;
	long long ival;
};

/* step's Name (pkix.Name): multi-valued attributes, CN and serialNumber, extraNames. */
struct x509_name_desc {
	struct strv country, province, locality, street, postal_code, organization, unit;
	char *common_name;   /* NULL or "" when absent */
	char *serial_number; /* NULL or "" when absent */
	struct x509_dn_attr *extra;
	size_t n_extra;
};

/* One element of "sans": type as written ("" = auto) and value. */
struct x509_san_desc {
	char *type;
	char *value;
	char *asn1_value; /* "asn1Value" as compact JSON text, or NULL */
};

struct x509_ext_desc {
	char *oid;
	bool critical;
	uint8_t *value;
	size_t len;
};

struct x509_nc_desc {
	bool critical;
	struct strv permitted_dns, excluded_dns, permitted_ip, excluded_ip, permitted_email,
	    excluded_email, permitted_uri, excluded_uri;
};

struct x509_desc {
	struct x509_name_desc subject;
	uint8_t *raw_subject; /* DER of a Name used as the subject as is, or NULL */
	size_t raw_subject_len;
	char *serial;	    /* decimal, or 0x hex (Go's big.Int SetString base 0); NULL: random */
	struct names names; /* dnsNames, emailAddresses, ipAddresses, uris ("cn" unused) */
	struct x509_san_desc *sans;
	size_t n_sans;
	int64_t not_before_ns, not_after_ns; /* 0: not set (the CA's validity applies) */
	struct x509_ext_desc *ext;
	size_t n_ext;
	unsigned key_usage;   /* X509_KU_* */
	struct strv eku_oids; /* extKeyUsage then unknownExtKeyUsage, dotted OIDs in order */
	uint8_t *ski, *aki;
	size_t ski_len, aki_len;
	struct strv ocsp, issuing_urls, crl_dp, policies;
	bool has_bc, is_ca;
	int max_path_len; /* -1: none */
	bool has_nc;
	struct x509_nc_desc nc;
	char *signature_algorithm; /* as written, checked against the signer's key; NULL: none */
};

/* What the CA adds to every leaf, after the template's extensions. */
struct x509_ca_ext {
	const char *ocsp_url; /* the AIA OCSP URL added when the description has no ocspServer */
	int prov_type;	      /* step's provisioner extension; none when prov_name is NULL */
	const char *prov_name;
	const char *prov_cred_id;
	const char *crl_url; /* a CRL DP, unless the description has crlDistributionPoints */
	bool ocsp_nocheck;   /* id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1) */
};

/* Parses a JSON certificate description as step's x509util decodes it: string-or-array members,
 * case-insensitive usage names without '_', a subject given as a string (its CN). Unknown
 * members are ignored. Errors are ERR_INVALID with Go's reason ("unsupported keyUsage x"). */
int x509_desc_parse(const char *text, size_t len, struct x509_desc **out, struct error *err);
int x509_desc_from_json(const json_t *doc, struct x509_desc **out, struct error *err);
/* An empty description (every member unset); x509_desc_free frees it. */
struct x509_desc *x509_desc_new(void);
void x509_desc_free(struct x509_desc *d);

/* Frees what a name description holds and zeroes it. */
void x509_name_desc_clear(struct x509_name_desc *n);

/* Encodes a name description in Go's RDN order (C, ST, L, STREET, POSTALCODE, O, OU, CN,
 * SERIALNUMBER, then each extraNames entry; an attribute that extraNames carries is left out),
 * multi-valued attributes in one RDN. *out owned by the caller. */
int x509_name_desc_build(const struct x509_name_desc *n, X509_NAME **out, struct error *err);

/* The SANs Go's encoder writes for d (dnsNames... then "sans" of the types it knows), split by
 * type; out is zeroed first. */
int x509_desc_san_names(const struct x509_desc *d, struct names *out, struct error *err);

/* Reads a name as Go's pkix.Name and step's Name see it (attributes without a pkix.Name field
 * go to extraNames); appends to out. */
int x509_name_desc_from_x509(const X509_NAME *name, struct x509_name_desc *out, struct error *err);

/* Builds and signs the certificate d describes for the key of the SubjectPublicKeyInfo spki,
 * issued by issuer_cert/signer, valid [not_before_ns, not_after_ns] unless d sets them: the DER
 * is written directly (no X509 object is built); *der malloc'd. */
int x509_desc_issue_der(const struct x509_desc *d, const struct x509_ca_ext *ca,
			const uint8_t *spki, size_t spki_len, int64_t not_before_ns,
			int64_t not_after_ns, X509 *issuer_cert, struct signer *signer,
			uint8_t **der, size_t *der_len, struct error *err);
/* The same as an X509 object, for public_key, issued by issuer_cert/signer,
 * valid [not_before_ns, not_after_ns] unless d sets them. *out owned by the caller. */
int x509_desc_issue(const struct x509_desc *d, const struct x509_ca_ext *ca, EVP_PKEY *public_key,
		    int64_t not_before_ns, int64_t not_after_ns, X509 *issuer_cert,
		    struct signer *signer, X509 **out, struct error *err);

#endif
