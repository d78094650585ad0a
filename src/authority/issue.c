/* issue.c - issuance and revocation for protocols that authorise a client without a one-time
 * token (ACME: an account with validated authorizations). The same leaf, the same claims, the
 * same commit rules (store.h) as /sign and /revoke; only the authorisation differs, and the
 * caller has done it. */
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "authority/admin_state.h"
#include "authority/internal.h"
#include "authority/templates.h"
#include "base/duration.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "crypto/x509build.h"

#define REASON_KEY_COMPROMISE 1 /* RFC 5280 §5.3.1 */

int issue_for_names(struct authority *a, const struct prov_set *set, const struct provisioner *prov,
		    X509_REQ *csr, const char *cn, const struct names *sans, int64_t nb, int64_t na,
		    struct issued *out, struct store_txn **txn, struct error *err)
{
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (validity_check_claims(a, &prov->claims, nb, na, err) != 0 ||
	    policy_enforce_names(set, prov, cn, sans, err) != 0)
		goto out;
	{
		/* ACME finalize: step's leaf template with .Subject and .SANs from the order */
		struct strv all = {0};
		struct leaf_request lr = {
		    .prov = prov,
		    .kind = LEAF_TPL_LEAF,
		    .csr = csr,
		    .cn = cn,
		    .sans = &all,
		    .asn1dn = a->cfg->subject_template,
		};
		struct leaf_issue li = {
		    .req = &lr,
		    .set = set,
		    .not_before = nb,
		    .not_after = na,
		    .cred_id = "",
		    .log_subject = cn,
		};
		for (size_t i = 0; i < sans->dns.n; i++)
			strv_push(&all, sans->dns.v[i]);
		for (size_t i = 0; i < sans->ip.n; i++)
			strv_push(&all, sans->ip.v[i]);
		for (size_t i = 0; i < sans->email.n; i++)
			strv_push(&all, sans->email.v[i]);
		for (size_t i = 0; i < sans->uri.n; i++)
			strv_push(&all, sans->uri.v[i]);
		rc = issue_described_leaf(a, &li, out, txn, err);
		strv_free(&all);
	}
out:
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
