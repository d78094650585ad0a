/* x509build.c - the certificates a CA issues: leaves, CA certificates, renewals.
 *
 * Extensions are written as DER by hand (their encodings are fixed and tiny), in the order
 * Go's x509.CreateCertificate uses. Leaves go through the certificate description builder
 * (x509desc.h), the one every template and default leaf shares.
 */
#include "crypto/x509build.h"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <pthread.h>
#include <string.h>

#include "base/str.h"
#include "crypto/cert.h"
#include "crypto/internal.h"
#include "crypto/random.h"
#include "crypto/x509desc.h"

/* keyUsage BIT STRING keyCertSign + cRLSign. */
static const uint8_t KU_CA[] = {0x03, 0x02, 0x01, 0x06};

static pthread_once_t prov_once = PTHREAD_ONCE_INIT;
static ASN1_OBJECT *prov_obj;

static void prov_init(void)
{
	prov_obj = OBJ_txt2obj(STEP_PROVISIONER_OID, 1);
}

static const ASN1_OBJECT *provisioner_oid(void)
{
	pthread_once(&prov_once, prov_init);
	return prov_obj;
}

int x509_serial_random_bytes(uint8_t b[X509_SERIAL_RANDOM_BYTES], size_t *start, struct error *err)
{
	size_t i;

	do {
		if (crypto_random_bytes(b, X509_SERIAL_RANDOM_BYTES) != 0)
			return err_openssl(err, ERR_CRYPTO, "error generating serial number");
		b[0] &= 0x7f;
		for (i = 0; i < X509_SERIAL_RANDOM_BYTES && b[i] == 0; i++)
			;
	} while (i == X509_SERIAL_RANDOM_BYTES);
	*start = i;
	return 0;
}

/* Fills ai with 16 random bytes, top bit cleared: positive and < 2^127, never zero. */
static int fill_serial(ASN1_INTEGER *ai, struct error *err)
{
	uint8_t b[X509_SERIAL_RANDOM_BYTES];
	size_t i;

	if (x509_serial_random_bytes(b, &i, err) != 0)
		return -1;
	if (!ASN1_STRING_set(ai, b + i, (int)(sizeof(b) - i)))
		return err_openssl(err, ERR_CRYPTO, "error setting serial number");
	ai->type = V_ASN1_INTEGER;
	return 0;
}

int x509_random_serial(ASN1_INTEGER **out, struct error *err)
{
	ASN1_INTEGER *ai = ASN1_INTEGER_new();

	*out = NULL;
	if (ai == NULL)
		return err_openssl(err, ERR_CRYPTO, "error generating serial number");
	if (fill_serial(ai, err) != 0) {
		ASN1_INTEGER_free(ai);
		return -1;
	}
	*out = ai;
	return 0;
}

/* Version 3, fresh serial, issuer, subject, validity and public key of a new certificate. */
static int set_basics(X509 *x, const X509_NAME *issuer, const X509_NAME *subject, EVP_PKEY *pub,
		      int64_t not_before_ns, int64_t not_after_ns, struct error *err)
{
	if (fill_serial(X509_get_serialNumber(x), err) != 0)
		return -1;
	if (!X509_set_version(x, X509_VERSION_3) ||
	    (subject != NULL && !X509_set_subject_name(x, subject)) ||
	    !X509_set_issuer_name(x, issuer) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), crypto_ns_to_time(not_before_ns)) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), crypto_ns_to_time(not_after_ns)) == NULL)
		return err_openssl(err, ERR_CRYPTO, "error building certificate");
	return crypto_set_pubkey(x, pub, err);
}

/* subjectKeyIdentifier: SHA-1 of the new certificate's public key bit string. */
static int add_ski(X509 *x, struct error *err)
{
	uint8_t der[22] = {0x04, 0x14};

	if (crypto_cert_ski(x, der + 2, err) != 0)
		return -1;
	return crypto_add_ext(x, NID_subject_key_identifier, NULL, 0, der, sizeof(der), err);
}

/* authorityKeyIdentifier { keyIdentifier = issuer SKI }; nothing when the issuer has none. */
static int add_aki(X509 *x, X509 *issuer, struct error *err)
{
	const ASN1_OCTET_STRING *iski = X509_get0_subject_key_id(issuer);
	struct dbuf inner = {0}, der = {0};
	int rc;

	ERR_clear_error();
	if (iski == NULL)
		return 0;
	dbuf_put_tlv(&inner, 0x80, ASN1_STRING_get0_data(iski), (size_t)ASN1_STRING_length(iski));
	dbuf_put_tlv(&der, 0x30, inner.p, inner.n);
	rc = crypto_add_ext(x, NID_authority_key_identifier, NULL, 0, der.p, der.n, err);
	dbuf_free(&inner);
	dbuf_free(&der);
	return rc;
}

/* The value of step's provisioner extension (STEP_PROVISIONER_OID): SEQUENCE { INTEGER type,
 * OCTET STRING name, OCTET STRING credentialID }. */
void x509_provisioner_ext_value(int type, const char *name, const char *cred, struct dbuf *out)
{
	struct dbuf seq = {0};

	dbuf_put_uint(&seq, type < 0 ? 0 : (uint64_t)type);
	dbuf_put_tlv(&seq, V_ASN1_OCTET_STRING, name, strlen(name));
	dbuf_put_tlv(&seq, V_ASN1_OCTET_STRING, cred != NULL ? cred : "",
		     cred != NULL ? strlen(cred) : 0);
	dbuf_put_tlv(out, 0x30, seq.p, seq.n);
	dbuf_free(&seq);
}

int x509_provisioner_ext(X509 *x, int type, const char *name, const char *cred, struct error *err)
{
	struct dbuf der = {0};
	int rc;

	if (provisioner_oid() == NULL)
		return err_openssl(err, ERR_CRYPTO, "error creating the provisioner OID");
	x509_provisioner_ext_value(type, name, cred, &der);
	rc = crypto_add_ext(x, NID_undef, provisioner_oid(), 0, der.p, der.n, err);
	dbuf_free(&der);
	return rc;
}

int x509_issue_leaf(const struct leaf_spec *spec, X509 *issuer_cert, struct signer *signer,
		    X509 **out, struct error *err)
{
	struct x509_desc *d;
	struct x509_ca_ext ca = {0};
	int rc;

	*out = NULL;
	if (spec == NULL || spec->public_key == NULL || issuer_cert == NULL || signer == NULL)
		return err_set(err, ERR_INTERNAL, "x509_issue_leaf: missing argument");
	d = x509_desc_new();
	if (x509_leaf_spec_desc(spec, d, &ca, err) != 0) {
		x509_desc_free(d);
		return -1;
	}
	rc = x509_desc_issue(d, &ca, spec->public_key, spec->not_before_ns, spec->not_after_ns,
			     issuer_cert, signer, out, err);
	x509_desc_free(d);
	return rc;
}

int x509_leaf_spec_desc(const struct leaf_spec *spec, struct x509_desc *d, struct x509_ca_ext *ca,
			struct error *err)
{
	const struct names *n = spec->sans;

	if (spec->subject != NULL) {
		unsigned char *der = NULL;
		int len = i2d_X509_NAME(spec->subject, &der);
		if (len <= 0)
			return err_openssl(err, ERR_CRYPTO, "error building certificate");
		d->raw_subject = xmalloc((size_t)len);
		memcpy(d->raw_subject, der, (size_t)len);
		d->raw_subject_len = (size_t)len;
		OPENSSL_free(der);
	}
	if (n != NULL) {
		for (size_t i = 0; i < n->dns.n; i++)
			strv_push(&d->names.dns, n->dns.v[i]);
		for (size_t i = 0; i < n->email.n; i++)
			strv_push(&d->names.email, n->email.v[i]);
		for (size_t i = 0; i < n->ip.n; i++)
			strv_push(&d->names.ip, n->ip.v[i]);
		for (size_t i = 0; i < n->uri.n; i++)
			strv_push(&d->names.uri, n->uri.v[i]);
	}
	/* step's default leaf template: keyEncipherment too for an RSA key */
	d->key_usage = X509_KU_DIGITAL_SIGNATURE;
	if (EVP_PKEY_get_base_id(spec->public_key) == EVP_PKEY_RSA)
		d->key_usage |= X509_KU_KEY_ENCIPHERMENT;
	if (spec->server_auth)
		strv_push(&d->eku_oids, "1.3.6.1.5.5.7.3.1");
	if (spec->client_auth)
		strv_push(&d->eku_oids, "1.3.6.1.5.5.7.3.2");
	if (spec->ocsp_signing)
		strv_push(&d->eku_oids, "1.3.6.1.5.5.7.3.9");
	ca->ocsp_url = spec->ocsp_url;
	ca->prov_type = spec->prov_type;
	ca->prov_name = spec->prov_name;
	ca->prov_cred_id = spec->prov_cred_id;
	ca->crl_url = spec->crl_url;
	ca->ocsp_nocheck = spec->ocsp_signing;
	return 0;
}

int x509_issue_ca(const char *cn, const char *org, EVP_PKEY *public_key, X509 *issuer_cert,
		  struct signer *signer, int pathlen, int64_t not_before_ns, int64_t not_after_ns,
		  X509 **out, struct error *err)
{
	X509 *x = X509_new();
	X509_NAME *subject = X509_NAME_new();
	struct dbuf bc = {0}, der = {0};
	static const uint8_t ca_true[] = {0x01, 0x01, 0xff};
	int rc = -1;

	*out = NULL;
	if (x == NULL || subject == NULL) {
		err_openssl(err, ERR_CRYPTO, "error building certificate");
		goto out;
	}
	if (cn == NULL || signer == NULL) {
		err_set(err, ERR_INTERNAL, "x509_issue_ca: missing argument");
		goto out;
	}
	/* Go's pkix.Name order: O before CN. */
	if ((org != NULL && *org != '\0' &&
	     crypto_name_add(subject, NID_organizationName, org, err) != 0) ||
	    crypto_name_add(subject, NID_commonName, cn, err) != 0)
		goto out;
	if (set_basics(x, issuer_cert != NULL ? X509_get_subject_name(issuer_cert) : subject,
		       subject, public_key, not_before_ns, not_after_ns, err) != 0)
		goto out;
	if (crypto_add_ext(x, NID_key_usage, NULL, 1, KU_CA, sizeof(KU_CA), err) != 0)
		goto out;
	dbuf_put(&bc, ca_true, sizeof(ca_true));
	if (pathlen >= 0)
		dbuf_put_uint(&bc, (uint64_t)pathlen);
	dbuf_put_tlv(&der, 0x30, bc.p, bc.n);
	if (crypto_add_ext(x, NID_basic_constraints, NULL, 1, der.p, der.n, err) != 0 ||
	    add_ski(x, err) != 0 || (issuer_cert != NULL && add_aki(x, issuer_cert, err) != 0))
		goto out;
	if (signer_sign_cert(signer, x, err) != 0)
		goto out;
	*out = x;
	x = NULL;
	rc = 0;
out:
	X509_free(x);
	X509_NAME_free(subject);
	dbuf_free(&bc);
	dbuf_free(&der);
	return rc;
}

int x509_reissue(X509 *old, EVP_PKEY *new_key, int64_t not_before_ns, int64_t not_after_ns,
		 X509 *issuer_cert, struct signer *signer, X509 **out, struct error *err)
{
	struct dbuf spki = {0};
	uint8_t *der = NULL;
	size_t len = 0;
	int rc = -1;

	*out = NULL;
	if (new_key != NULL && crypto_pubkey_spki(new_key, &spki, err) != 0)
		goto out;
	if (x509_reissue_der(old, new_key != NULL ? spki.p : NULL, spki.n, not_before_ns,
			     not_after_ns, issuer_cert, signer, &der, &len, err) != 0)
		goto out;
	*out = cert_from_der(der, len);
	if (*out == NULL) {
		err_openssl(err, ERR_CRYPTO, "error building certificate");
		goto out;
	}
	rc = 0;
out:
	dbuf_free(&spki);
	free(der);
	return rc;
}

/* Copies an OCTET STRING that must not hold NUL bytes into a malloc'd C string. */
static char *octets_to_str(const ASN1_TYPE *t)
{
	const ASN1_OCTET_STRING *os;
	char *s;
	int n;

	if (t == NULL || t->type != V_ASN1_OCTET_STRING)
		return NULL;
	os = t->value.octet_string;
	n = ASN1_STRING_length(os);
	if (memchr(ASN1_STRING_get0_data(os), 0, (size_t)n) != NULL)
		return NULL;
	s = xmalloc((size_t)n + 1);
	memcpy(s, ASN1_STRING_get0_data(os), (size_t)n);
	s[n] = '\0';
	return s;
}

int x509_get_provisioner_ext(X509 *cert, int *type, char **name, char **cred_id, struct error *err)
{
	const ASN1_OBJECT *obj = provisioner_oid();
	ASN1_SEQUENCE_ANY *seq = NULL;
	const ASN1_OCTET_STRING *val;
	const unsigned char *p, *end;
	const ASN1_TYPE *t0;
	int64_t v;
	int idx, n, rc = -1;

	*type = 0;
	*name = NULL;
	*cred_id = NULL;
	if (obj == NULL)
		return err_openssl(err, ERR_CRYPTO, "error creating the provisioner OID");
	idx = X509_get_ext_by_OBJ(cert, obj, -1);
	if (idx < 0)
		return 1;
	val = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
	p = ASN1_STRING_get0_data(val);
	end = p + ASN1_STRING_length(val);
	seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, ASN1_STRING_length(val));
	n = seq != NULL ? sk_ASN1_TYPE_num(seq) : 0;
	if (seq == NULL || p != end || n < 3 || n > 4)
		goto bad;
	t0 = sk_ASN1_TYPE_value(seq, 0);
	if (t0->type != V_ASN1_INTEGER || ASN1_INTEGER_get_int64(&v, t0->value.integer) != 1 ||
	    v < 0 || v > INT32_MAX)
		goto bad;
	if (n == 4 && sk_ASN1_TYPE_value(seq, 3)->type != V_ASN1_SEQUENCE)
		goto bad;
	*name = octets_to_str(sk_ASN1_TYPE_value(seq, 1));
	*cred_id = octets_to_str(sk_ASN1_TYPE_value(seq, 2));
	if (*name == NULL || *cred_id == NULL)
		goto bad;
	*type = (int)v;
	rc = 0;
	goto out;
bad:
	free(*name);
	free(*cred_id);
	*name = NULL;
	*cred_id = NULL;
	err_set(err, ERR_INVALID, "invalid provisioner extension");
out:
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	ERR_clear_error();
	return rc;
}
