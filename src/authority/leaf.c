/* leaf.c - the X.509 leaf of /sign, the /ssh/sign identity certificate and ACME: the
 * provisioner's template (or step's default one) gives the description, then the CA adds what
 * step-ca's modifiers add: authority.template's subject defaults, the validity, the provisioner
 * extension, and stride's CRL distribution point and OCSP URL. */
#include <stdlib.h>
#include <string.h>

#include "authority/admin_state.h"
#include "authority/templates.h"
#include "crypto/cert.h"
#include "crypto/x509build.h"

/* The names of the final description, for the policies: step-ca evaluates the certificate it
 * is about to sign, so a template that adds names has them checked too. */
static int check_policy(const struct prov_set *set, const struct provisioner *prov,
			const struct x509_desc *d, struct error *err)
{
	struct names n = {0};
	int rc;

	if (x509_desc_san_names(d, &n, err) != 0)
		return -1;
	rc = policy_enforce_names(
	    set, prov, d->subject.common_name != NULL ? d->subject.common_name : "", &n, err);
	names_free(&n);
	return rc;
}

int issue_described_leaf(struct authority *a, const struct leaf_issue *li, struct issued *out,
			 struct store_txn **txn, struct error *err)
{
	const struct provisioner *prov = li->req->prov;
	struct x509_desc *d = NULL;
	uint8_t *der = NULL, *spki = NULL;
	size_t der_len = 0, spki_len = 0;
	char *serial = NULL;
	int64_t nb = li->not_before, na = li->not_after;
	int rc = -1;

	if (leaf_description(li->req, &d, err) != 0)
		goto out;
	x509_desc_apply_asn1dn(d, li->req->asn1dn);
	/* a template's notBefore/notAfter replace the computed validity; the claims still apply */
	if (d->not_before_ns != 0 || d->not_after_ns != 0) {
		if (d->not_before_ns != 0)
			nb = d->not_before_ns;
		if (d->not_after_ns != 0)
			na = d->not_after_ns;
		if (validity_check_claims(a, &prov->claims, nb, na, err) != 0)
			goto out;
	}
	if (prov->x509_tpl != NULL && check_policy(li->set, prov, d, err) != 0)
		goto out;
	if (csr_spki_der(li->req->csr, &spki, &spki_len, err) != 0)
		goto out;
	{
		const struct leaf_urls *urls = authority_leaf_urls(a);
		struct x509_ca_ext ca = {
		    .ocsp_url = urls->ocsp,
		    .prov_type = prov_type_code(prov->type),
		    .prov_name = prov->name,
		    .prov_cred_id = li->cred_id != NULL ? li->cred_id : "",
		    .crl_url = urls->crl_dp,
		};
		if (x509_desc_issue_der(d, &ca, spki, spki_len, nb, na, a->issuer, a->signer, &der,
					&der_len, err) != 0) {
			/* a description Go's CreateCertificate refuses */
			if (err != NULL && err->kind == ERR_INVALID && prov->x509_tpl != NULL) {
				err_public(err, ERR_INTERNAL,
					   "error applying certificate template");
				err_set_verbatim(err);
			}
			goto out;
		}
	}
	if (txn_add_new_leaf(txn, prov, der, der_len, spki, spki_len, NULL, NULL, &serial, err) !=
	    0)
		goto out;
	out->der = der;
	out->der_len = der_len;
	out->chain = a->intermediates;
	out->serial = serial;
	out->subject = xstrdup(li->log_subject != NULL ? li->log_subject : "");
	out->provisioner = xstrdup(prov->name);
	der = NULL;
	serial = NULL;
	rc = 0;
out:
	x509_desc_free(d);
	free(der);
	free(spki);
	free(serial);
	return rc;
}
