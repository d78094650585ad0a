/* crl.c - the CA's X.509 v2 CRL (crl.h) and the CRL Distribution Points extension. */
#include "crypto/crl.h"

#include <openssl/bn.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "base/str.h"
#include "crypto/internal.h"

/* The GENERAL_NAMES holding one URI. */
static GENERAL_NAMES *uri_names(const char *url)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();

	if (names == NULL || gn == NULL || ia5 == NULL ||
	    ASN1_STRING_set(ia5, url, (int)strlen(url)) != 1) {
		sk_GENERAL_NAME_free(names);
		GENERAL_NAME_free(gn);
		ASN1_IA5STRING_free(ia5);
		return NULL;
	}
	GENERAL_NAME_set0_value(gn, GEN_URI, ia5);
	if (sk_GENERAL_NAME_push(names, gn) == 0) {
		GENERAL_NAME_free(gn);
		sk_GENERAL_NAME_free(names);
		return NULL;
	}
	return names;
}

/* A full-name DIST_POINT_NAME for url. */
static DIST_POINT_NAME *full_name(const char *url)
{
	DIST_POINT_NAME *dpn = DIST_POINT_NAME_new();

	if (dpn == NULL)
		return NULL;
	dpn->type = 0;
	dpn->name.fullname = uri_names(url);
	if (dpn->name.fullname == NULL) {
		DIST_POINT_NAME_free(dpn);
		return NULL;
	}
	return dpn;
}

static ASN1_TIME *time_of(int64_t ns)
{
	return ASN1_TIME_set(NULL, (time_t)(ns / NS_PER_SEC));
}

/* Adds one revoked certificate to crl. */
static int add_entry(X509_CRL *crl, const struct crl_entry *e, struct error *err)
{
	X509_REVOKED *r = X509_REVOKED_new();
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_TIME *when = time_of(e->revoked_at_ns);
	ASN1_ENUMERATED *reason = NULL;
	int rc = -1;

	if (e->serial == NULL || e->serial[strspn(e->serial, "0123456789")] != '\0' ||
	    BN_dec2bn(&bn, e->serial) == 0 || BN_num_bits(bn) > 20 * 8) {
		err_set(err, ERR_INVALID, "invalid serial number '%s'",
			e->serial != NULL ? e->serial : "");
		goto out;
	}
	serial = BN_to_ASN1_INTEGER(bn, NULL);
	if (r == NULL || serial == NULL || when == NULL ||
	    X509_REVOKED_set_serialNumber(r, serial) != 1 ||
	    X509_REVOKED_set_revocationDate(r, when) != 1)
		goto fail;
	if (e->reason_code != 0) {
		reason = ASN1_ENUMERATED_new();
		if (reason == NULL || ASN1_ENUMERATED_set(reason, e->reason_code) != 1 ||
		    X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, reason, 0, 0) != 1)
			goto fail;
	}
	if (X509_CRL_add0_revoked(crl, r) != 1)
		goto fail;
	r = NULL;
	rc = 0;
	goto out;
fail:
	err_openssl(err, ERR_CRYPTO, "cannot build the CRL entry");
out:
	X509_REVOKED_free(r);
	BN_free(bn);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(when);
	ASN1_ENUMERATED_free(reason);
	return rc;
}

/* authorityKeyIdentifier, cRLNumber, critical issuingDistributionPoint. */
static int add_extensions(X509_CRL *crl, const struct crl_spec *spec, struct error *err)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(spec->issuer);
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	ASN1_INTEGER *number = ASN1_INTEGER_new();
	ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
	int rc = -1;

	if (ski == NULL) {
		err_set(err, ERR_INVALID,
			"the issuer certificate has no subject key identifier: cannot sign a CRL");
		goto out;
	}
	if (akid == NULL || number == NULL || idp == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_dup(ski)) == NULL ||
	    ASN1_INTEGER_set_uint64(number, spec->number) != 1 ||
	    (idp->distpoint = full_name(spec->idp_url)) == NULL ||
	    X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0, 0) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp, 1, 0) != 1) {
		err_openssl(err, ERR_CRYPTO, "cannot build the CRL extensions");
		goto out;
	}
	rc = 0;
out:
	AUTHORITY_KEYID_free(akid);
	ASN1_INTEGER_free(number);
	ISSUING_DIST_POINT_free(idp);
	return rc;
}

int crl_build(const struct crl_spec *spec, struct signer *signer, uint8_t **der, size_t *len,
	      struct error *err)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *this_update = time_of(spec->this_update_ns);
	ASN1_TIME *next_update = time_of(spec->next_update_ns);
	unsigned char *buf = NULL;
	int n, rc = -1;

	*der = NULL;
	*len = 0;
	if (crl == NULL || this_update == NULL || next_update == NULL ||
	    X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(spec->issuer)) != 1 ||
	    X509_CRL_set1_lastUpdate(crl, this_update) != 1 ||
	    X509_CRL_set1_nextUpdate(crl, next_update) != 1) {
		err_openssl(err, ERR_CRYPTO, "cannot build the CRL");
		goto out;
	}
	for (size_t i = 0; i < spec->n_entries; i++)
		if (add_entry(crl, &spec->entries[i], err) != 0)
			goto out;
	if (add_extensions(crl, spec, err) != 0 || signer_sign_crl(signer, crl, err) != 0)
		goto out;
	n = i2d_X509_CRL(crl, &buf);
	if (n <= 0) {
		err_openssl(err, ERR_CRYPTO, "cannot encode the CRL");
		goto out;
	}
	*der = xmalloc((size_t)n);
	memcpy(*der, buf, (size_t)n);
	*len = (size_t)n;
	rc = 0;
out:
	OPENSSL_free(buf);
	ASN1_TIME_free(this_update);
	ASN1_TIME_free(next_update);
	X509_CRL_free(crl);
	return rc;
}

X509_EXTENSION *crl_distribution_point_ext(const char *url, struct error *err)
{
	CRL_DIST_POINTS *dps = sk_DIST_POINT_new_null();
	DIST_POINT *dp = DIST_POINT_new();
	X509_EXTENSION *ext = NULL;

	if (dps == NULL || dp == NULL || (dp->distpoint = full_name(url)) == NULL ||
	    sk_DIST_POINT_push(dps, dp) == 0) {
		DIST_POINT_free(dp);
		goto out;
	}
	dp = NULL;
	ext = X509V3_EXT_i2d(NID_crl_distribution_points, 0, dps);
out:
	if (ext == NULL)
		err_openssl(err, ERR_CRYPTO, "cannot build the CRL distribution points extension");
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return ext;
}
