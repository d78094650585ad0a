/* issue.c - issuance and revocation for protocols that authorise a client without a one-time
 * token (ACME: an account with validated authorizations). The same leaf, the same claims, the
 * same commit rules (store.h) as /sign and /revoke; only the authorisation differs, and the
 * caller has done it. */
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "authority/admin_state.h"
#include "authority/internal.h"
#include "base/duration.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "crypto/x509build.h"

#define REASON_KEY_COMPROMISE 1 /* RFC 5280 §5.3.1 */

int issue_for_names(struct authority *a, const struct prov_set *set, const struct provisioner *prov,
		    X509_REQ *csr, const char *cn, const struct names *sans, int64_t nb, int64_t na,
		    struct issued *out, struct store_txn **txn, struct error *err)
{
	X509_NAME *subject = NULL;
	X509 *leaf = NULL;
	char *serial = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (validity_check_claims(a, &prov->claims, nb, na, err) != 0 ||
	    policy_enforce_names(set, prov, cn, sans, err) != 0)
		goto out;
	subject = build_subject(a, cn);
	if (subject == NULL) {
		err_public(err, ERR_FORBIDDEN, "error creating certificate: invalid subject");
		goto out;
	}
	{
		const struct leaf_urls *urls = authority_leaf_urls(a);
		struct leaf_spec spec = {
		    .subject = subject,
		    .sans = sans,
		    .public_key = X509_REQ_get0_pubkey(csr),
		    .not_before_ns = nb,
		    .not_after_ns = na,
		    .server_auth = true,
		    .client_auth = true,
		    .ocsp_url = urls->ocsp,
		    .prov_type = prov_type_code(prov->type),
		    .prov_name = prov->name,
		    .prov_cred_id = "",
		};
		spec.crl_url = urls->crl_dp;
		if (x509_issue_leaf(&spec, a->issuer, a->signer, &leaf, err) != 0)
			goto out;
	}
	serial = cert_serial_decimal(leaf);
	if (txn_add_leaf(txn, prov, leaf, serial, NULL, NULL, err) != 0)
		goto out;
	out->leaf = leaf;
	out->chain = a->intermediates;
	out->serial = serial;
	out->subject = xstrdup(cn);
	out->provisioner = xstrdup(prov->name);
	leaf = NULL;
	serial = NULL;
	rc = 0;
out:
	X509_free(leaf);
	free(serial);
	X509_NAME_free(subject);
	return rc;
}

int revocation_for_cert(struct authority *a, const struct provisioner *prov, X509 *cert,
			int reason_code, const char *reason, struct store_txn **txn, char **serial,
			struct error *err)
{
	struct revocation rev = {0};
	char key_id[65];

	*serial = NULL;
	if (X509_check_issued(a->issuer, cert) != X509_V_OK ||
	    X509_verify(cert, X509_get0_pubkey(a->issuer)) != 1)
		return err_public(err, ERR_UNAUTHORIZED,
				  "the certificate was not issued by this CA");
	if (cert_key_id(cert, key_id, err) != 0)
		return -1;
	*serial = cert_serial_decimal(cert);
	rev.serial = *serial;
	rev.prov_id = prov->token_id;
	rev.reason_code = reason_code;
	rev.reason = reason;
	rev.revoked_at_ns = time_now_ns();
	rev.expires_at_ns = cert_not_after_ns(cert);
	rev.block_key = reason_code == REASON_KEY_COMPROMISE;
	rev.key_id = rev.block_key ? key_id : NULL;
	if (*txn == NULL)
		*txn = store_txn_new();
	store_txn_revoke(*txn, &rev);
	return 0;
}
