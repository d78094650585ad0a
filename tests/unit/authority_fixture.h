/* authority_fixture.h - an authority over the throwaway test CA of tests/fuzz (root,
 * intermediate, provisioner key) with a SQLite store in a temporary directory, and what the
 * table-driven authority tests need around it: keys of every kind, CSRs, tokens, certificates
 * forged with the intermediate's key, and exact checks of errors and certificates.
 *
 * The CA's provisioners (all JWK ones share the fixture's provisioner key):
 *   jwk@test       JWK, minTLSCertDuration 1m, maxTLSCertDuration 48h
 *   twohours@test  JWK, defaultTLSCertDuration 2h
 *   norenew@test   JWK, disableRenewal
 *   expiry@test    JWK, allowRenewalAfterExpiry
 *   x5c            X5C trusting the root
 *   acme           ACME
 * disableIssuedAtCheck is off, so a token issued before the authority started is refused.
 */
#ifndef STRIDE_TESTS_AUTHORITY_FIXTURE_H
#define STRIDE_TESTS_AUTHORITY_FIXTURE_H

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>

#include "authority/authority.h"
#include "base/error.h"

#define AFX_AUDIENCE "https://ca.fuzz.test:9000"
#define AFX_KID	     "OJDLwy2OXfdZa7D-m6Z_lWgNxUsZR43sUsA1UgOLLHk" /* the provisioner key's */
#define AFX_JWK	     "jwk@test"
/* What step-ca answers for every 401 whose detail is not exposed. */
#define AFX_GENERIC_401                                                                            \
	"The request lacked necessary authorization to be completed. Please see the certificate "  \
	"authority logs for more info."
#define AFX_GENERIC_501                                                                            \
	"The requested method is not implemented by the certificate authority. Please see the "    \
	"certificate authority logs for more info."
#define AFX_SEC INT64_C(1000000000)

struct afx {
	char dir[48];
	struct authority *a;
	EVP_PKEY *prov_key;	  /* signs the JWK provisioners' tokens */
	X509 *ca_cert;		  /* the intermediate (borrowed from the authority) */
	struct signer *ca_signer; /* the intermediate's key, to forge certificates */
	char *ca_json;		  /* the configuration text */
};

/* A new authority; authority_patch (JSON, may be NULL) is merged into ca.json's "authority"
 * object (RFC 7396). Aborts the test on failure. */
struct afx *afx_new(const char *authority_patch);
/* The same, then doc_patch (may be NULL) merged into the whole ca.json ("address", "limits"). */
struct afx *afx_new_doc(const char *authority_patch, const char *doc_patch);
/* The same, with extra_provisioners (a JSON array text, may be NULL) after the fixture's own. */
struct afx *afx_new_provs(const char *authority_patch, const char *doc_patch,
			  const char *extra_provisioners);
void afx_free(struct afx *f);
/* A second authority on the same configuration and database (another instance); the caller
 * frees it (authority_free) before afx_free. */
struct authority *afx_another(struct afx *f);
/* cmocka setup/teardown with the default CA. */
int afx_setup(void **state);
int afx_teardown(void **state);

enum afx_key {
	AFX_P256 = 0,
	AFX_P384,
	AFX_P521,
	AFX_ED25519,
	AFX_RSA2048,
	AFX_RSA1024, /* refused: too short */
	AFX_P224,    /* refused: curve */
	AFX_K256,    /* refused: curve (secp256k1) */
};
/* A fresh key of that kind (RSA keys are made once per process and shared). Owned. */
EVP_PKEY *afx_key(enum afx_key kind);

/* A CSR for cn ("" = none) with the comma-separated SANs sans (NULL = none), signed by key;
 * bad_signature corrupts the signature. Owned. */
X509_REQ *afx_csr(EVP_PKEY *key, const char *cn, const char *sans, bool bad_signature);

/* Applies a JSON merge patch (RFC 7396: null removes a member) to obj. */
void afx_patch(json_t *obj, const char *patch);
/* A JSON array of the comma-separated strings of list. New reference. */
json_t *afx_list(const char *list);
/* Signs header (alg added) and payload with key; malloc'd. */
char *afx_jwt(EVP_PKEY *key, const json_t *header, const json_t *payload);
/* The payload of a provisioner token: iss, aud, sub, sans (comma list, NULL = [sub]), nbf and
 * iat now, exp in 5 minutes, a random jti. New reference. */
json_t *afx_claims(const char *iss, const char *aud, const char *sub, const char *sans);
/* A valid sign token of provisioner prov (JWK) for sub and sans; malloc'd. */
char *afx_sign_token(struct afx *f, const char *prov, const char *sub, const char *sans);
/* A revoke token of prov (JWK) for serial; malloc'd. */
char *afx_revoke_token(struct afx *f, const char *prov, const char *serial);
/* An x5cInsecure renew token for chain (leaf first) signed with key, iss step-ca-client/1.0,
 * sub the leaf's CN, jti random; claims_patch (may be NULL) is merged into the payload. */
char *afx_renew_token(STACK_OF(X509) * chain, EVP_PKEY *key, const char *claims_patch);
/* The x5c header value for chain: base64 DER, leaf first. New reference. */
json_t *afx_x5c(STACK_OF(X509) * chain);

/* Issues cn with sans (NULL = [cn]) for key through authority_sign with prov's token; asserts
 * success. Owned. */
X509 *afx_issue(struct afx *f, const char *prov, const char *cn, const char *sans, EVP_PKEY *key);

/* Signs cn with sans (comma list, NULL = [cn]; also the CSR's SANs) for a fresh P-256 key
 * through authority a (NULL: f's) with prov's token; returns authority_sign's result, *leaf
 * (may be NULL; owned) the certificate. */
int afx_sign(struct afx *f, struct authority *a, const char *prov, const char *cn, const char *sans,
	     X509 **leaf, struct error *err);

/* A certificate made outside the authority. */
struct afx_forge {
	const char *cn;
	const char *org;  /* O attribute, or NULL */
	const char *sans; /* comma list, NULL = [cn] */
	EVP_PKEY *key;	  /* its public key (borrowed) */
	int64_t not_before_ns, not_after_ns;
	const char *prov; /* provisioner extension (JWK type), NULL = none */
	bool foreign;	  /* issued by a self-signed CA of its own instead of the intermediate */
};
/* Forges a leaf (digitalSignature, serverAuth + clientAuth). Owned. */
X509 *afx_forge(struct afx *f, const struct afx_forge *spec);
/* [leaf, intermediate] (references taken). */
STACK_OF(X509) * afx_chain(struct afx *f, X509 *leaf);

/* A certificate for foo.example.com in a given state (as a client would present it). */
enum afx_peer {
	PEER_ISSUED = 0,	   /* issued by jwk@test, P-256, 24h + backdate */
	PEER_RSA,		   /* the same with an RSA 2048 key */
	PEER_REVOKED,		   /* issued, then revoked (superseded) */
	PEER_CHILD_OF_REVOKED,	   /* renewed from a certificate revoked afterwards */
	PEER_SAME_KEY_COMPROMISED, /* another lineage with its key was revoked for keyCompromise */
	PEER_NORENEW,		   /* issued by norenew@test (disableRenewal) */
	PEER_EXPIRED,		   /* forged, jwk@test, 2020-01-01 to 2020-01-02 */
	PEER_EXPIRED_ALLOWED,	   /* the same by expiry@test (allowRenewalAfterExpiry) */
	PEER_NOT_YET_VALID,	   /* forged, jwk@test, 2099-01-01 to 2099-01-02 */
	PEER_LEGACY,		   /* forged without provisioner extension, not in the store */
	PEER_UNKNOWN_PROV,	   /* forged, its extension names gone@test */
	PEER_FOREIGN,		   /* forged by another CA */
	PEER_RSA1024,		   /* forged with an RSA 1024 key */
	PEER_ORG,		   /* forged, jwk@test, subject O=Acme, CN=foo.example.com */
	PEER_NONE,
};
/* Makes a certificate in that state; *key (owned) is its key. NULL for PEER_NONE. Forged
 * certificates other than the expired and future ones are valid for 24h + 1m from a minute
 * ago. */
X509 *afx_peer(struct afx *f, enum afx_peer kind, EVP_PKEY **key);

/* An expected outcome: kind ERR_NONE for success; else the error's kind, the status
 * http_error_map gives it, whether it is exposed, the exact message and the exact message on
 * the wire (NULL: not checked here); "{serial}" and "{other}" in them stand for the serials the
 * row names. */
struct afx_expect {
	enum err_kind kind;
	int status;
	bool expose;
	const char *msg;
	const char *wire;
};
/* A failed check: printed, counted, and the test goes on to the next row; afx_done fails the
 * test when any check failed since the last call. */
void afx_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void afx_done(void);
/* Checks rc/err against want (afx_fail naming row); true when they agree. */
bool afx_check(const char *row, int rc, const struct error *err, const struct afx_expect *want,
	       const char *serial, const char *other);

/* The fields of an issued certificate. */
struct afx_cert {
	const char *subject;   /* RFC 2253 */
	const char *sans;      /* as OpenSSL prints subjectAltName */
	int64_t validity_sec;  /* notAfter - notBefore; 0 = not checked here */
	const char *prov;      /* provisioner extension name; NULL = no extension */
	int prov_type;	       /* its type code */
	const char *prov_cred; /* its credential id */
	const char *key_usage; /* as OpenSSL prints keyUsage */
};
/* Checks leaf against want, and what every leaf has: issued by the intermediate (name and
 * signature), EKU serverAuth + clientAuth, basicConstraints absent, the public key of key. */
void afx_check_cert(struct afx *f, const char *row, X509 *leaf, EVP_PKEY *key,
		    const struct afx_cert *want);
/* What OpenSSL prints for extension nid of cert ("" when absent); malloc'd. */
char *afx_ext_text(X509 *cert, int nid);

/* Renews peer over mTLS (verified by the TLS layer) or rekeys it to new_key; returns the
 * authority's result, *leaf (owned, may be NULL) the new certificate. */
int afx_renew(struct afx *f, X509 *peer, EVP_PKEY *new_key, X509 **leaf, struct error *err);
/* Revokes cert over mTLS with reason. */
int afx_revoke_mtls(struct afx *f, X509 *cert, int reason, struct error *err);

#endif
