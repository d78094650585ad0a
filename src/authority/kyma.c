/* kyma.c - Kyma-style renewal: a CSR with the current subject, over mTLS
 * (the Kyma Application Connector's client-certificate renewal). Authorisation and the new
 * certificate are those of /rekey. */
#include <openssl/objects.h>
#include <stdlib.h>
#include <string.h>

#include "authority/internal.h"
#include "crypto/cert.h"
#include "store/store.h"

/* The first value of attribute nid in name as UTF-8, or NULL; malloc'd. */
static char *name_entry(X509_NAME *name, int nid)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	unsigned char *utf8 = NULL;
	char *out;

	if (i < 0)
		return NULL;
	if (ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i))) < 0)
		return NULL;
	out = xstrdup((const char *)utf8);
	OPENSSL_free(utf8);
	return out;
}

/* Compares one attribute of the CSR subject with the certificate's (Kyma's messages). */
static int same_attribute(X509_NAME *want, X509_NAME *got, int nid, const char *label,
			  struct error *err)
{
	char *w = name_entry(want, nid), *g = name_entry(got, nid);
	int rc = 0;

	if (w != NULL && g == NULL)
		rc = err_public(err, ERR_INVALID, "CSR: No %s provided.", label);
	else if ((w == NULL) != (g == NULL) || (w != NULL && strcmp(w, g) != 0))
		rc = err_public(err, ERR_INVALID, "CSR: Invalid %s provided.", label);
	free(w);
	free(g);
	return rc;
}

/* Kyma answers a revoked certificate with its own 403 text. */
static int check_not_revoked(struct authority *a, X509 *peer, struct error *err)
{
	char *serial = cert_serial_decimal(peer);
	bool revoked = false;
	int rc = a->store->ops->is_revoked(a->store, serial, &revoked, err);

	free(serial);
	if (rc == 0 && revoked)
		rc = err_public(err, ERR_FORBIDDEN, "Certificate has been revoked");
	return rc;
}

int kyma_prepare(struct authority *a, X509 *peer, X509_REQ *csr, struct issued *out,
		 struct store_txn **txn, struct error *err)
{
	X509_NAME *want = X509_get_subject_name(peer), *got;

	memset(out, 0, sizeof(*out));
	*txn = NULL;
	if (check_not_revoked(a, peer, err) != 0 ||
	    request_csr_check(csr, "CSR signature invalid", err) != 0)
		return -1;
	got = X509_REQ_get_subject_name(csr); /* after the check: csr may be NULL before it */
	if (same_attribute(want, got, NID_commonName, "CName", err) != 0 ||
	    same_attribute(want, got, NID_countryName, "country", err) != 0 ||
	    same_attribute(want, got, NID_organizationName, "organization", err) != 0 ||
	    same_attribute(want, got, NID_organizationalUnitName, "organizational unit", err) !=
		0 ||
	    same_attribute(want, got, NID_localityName, "locality", err) != 0 ||
	    same_attribute(want, got, NID_stateOrProvinceName, "province", err) != 0)
		return -1;
	if (X509_NAME_cmp(want, got) != 0)
		return err_public(err, ERR_INVALID, "CSR: Invalid subject provided.");
	return renew_certificate(a, peer, X509_REQ_get0_pubkey(csr), out, txn, err);
}
