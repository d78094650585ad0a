/* renew.c - POST /renew and /rekey: who may renew, and the renewed certificate.
 *
 * Authorisation follows step-ca's POST /renew in step-ca's order; the renew token
 * (x5cInsecure) is checked as step-ca checks it, except that every failure of the
 * client's making is a 401 (step answers some with 500), but for a key the
 * key policy refuses: a 400 naming it, as on every path (key_check_allowed).
 */
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "authority/admin_state.h"
#include "authority/internal.h"
#include "base/b64.h"
#include "base/duration.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "crypto/x509build.h"
#include "store/store.h"

#define RENEW_TOKEN_ISSUER "step-ca-client/1.0"
#define X5C_MAX_CERTS	   8

int cert_provisioner(struct authority *a, struct prov_set **set, X509 *cert, const char *serial,
		     const struct provisioner **p, struct error *err)
{
	char *name = NULL, *cred = NULL;
	bool found = false;
	int type, rc;

	*p = NULL;
	if (a->store->ops->get_cert_provisioner(a->store, serial, &found, &name, NULL, err) != 0)
		return -1;
	if (!found || name == NULL) {
		free(name);
		name = NULL;
		rc = x509_get_provisioner_ext(cert, &type, &name, &cred, NULL);
		free(cred);
		if (rc == 1)
			return 0; /* legacy certificate */
		if (rc != 0)
			return err_set(err, ERR_UNAUTHORIZED, "invalid provisioner extension");
	}
	*p = provisioners_by_name(&(*set)->provs, name);
	if (*p == NULL && authority_admin_enabled(a)) {
		/* added by another instance since this one last looked? */
		if (prov_set_refresh(a, err) != 0) {
			free(name);
			return -1;
		}
		prov_set_put(*set);
		*set = prov_set_get(a);
		*p = provisioners_by_name(&(*set)->provs, name);
	}
	rc = *p != NULL ? 0 : err_set(err, ERR_UNAUTHORIZED, "provisioner \"%s\" not found", name);
	free(name);
	return rc;
}

/* The renewal rules: not revoked, provisioner allows renewal, within validity. */
static int authorize_renewal(struct authority *a, struct prov_set **set, X509 *cert,
			     const char *serial, const struct provisioner **prov, struct error *err)
{
	int64_t now = time_now_ns() / NS_PER_SEC * NS_PER_SEC;
	bool revoked = false;
	char when[64];

	if (a->store->ops->is_revoked(a->store, serial, &revoked, err) != 0)
		return -1;
	if (revoked)
		return err_set(err, ERR_UNAUTHORIZED, "certificate %s has been revoked", serial);
	if (cert_provisioner(a, set, cert, serial, prov, err) != 0)
		return -1;
	if (*prov != NULL && (*prov)->claims.disable_renewal)
		return err_set(err, ERR_UNAUTHORIZED, "renew is disabled for provisioner \"%s\"",
			       (*prov)->name);
	if (now < cert_not_before_ns(cert))
		return err_set(err, ERR_UNAUTHORIZED, "certificate is not yet valid");
	if (now > cert_not_after_ns(cert) &&
	    (*prov == NULL || !(*prov)->claims.allow_renewal_after_expiry))
		return err_public(err, ERR_UNAUTHORIZED,
				  "The request lacked necessary authorization to be completed: "
				  "certificate expired on %s",
				  go_time(cert_not_after_ns(cert), when, sizeof(when)));
	return 0;
}

int jws_header_chain(const struct jws *jws, const char *name, STACK_OF(X509) * *out,
		     struct error *err)
{
	const json_t *arr = json_object_get(jws->header, name);
	size_t i;
	json_t *v;

	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > X5C_MAX_CERTS)
		return err_set(err, ERR_UNAUTHORIZED, "missing or invalid %s header", name);
	*out = sk_X509_new_null();
	if (*out == NULL)
		return err_set(err, ERR_INTERNAL, "out of memory");
	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(v);
		uint8_t *der = NULL;
		size_t len = 0;
		X509 *x;

		if (s == NULL || b64_decode(s, strlen(s), false, &der, &len, NULL) != 0)
			goto bad;
		x = cert_from_der(der, len);
		free(der);
		if (x == NULL)
			goto bad;
		if (!sk_X509_push(*out, x)) {
			X509_free(x);
			goto bad;
		}
	}
	return 0;
bad:
	sk_X509_pop_free(*out, X509_free);
	*out = NULL;
	return err_set(err, ERR_UNAUTHORIZED, "invalid certificate in the %s header", name);
}

int header_chain_keys_check(STACK_OF(X509) * chain, const char *header, struct error *err)
{
	for (int i = 0; i < sk_X509_num(chain); i++) {
		char what[64];

		if (i == 0)
			snprintf(what, sizeof(what), "%s leaf certificate", header);
		else
			snprintf(what, sizeof(what), "%s certificate %d", header, i + 1);
		if (key_check_allowed(X509_get0_pubkey(sk_X509_value(chain, i)), what, err) != 0)
			return -1;
	}
	return 0;
}

/* Verifies a header chain: to store, at at_ns, for client authentication, and the leaf may
 * sign (digitalSignature). Used by renew tokens and the X5C provisioner. */
int verify_header_chain(STACK_OF(X509) * chain, X509_STORE *trust, int64_t at_ns, struct error *err)
{
	X509 *leaf = sk_X509_value(chain, 0);
	STACK_OF(X509) *untrusted = NULL;
	int rc;

	/* Before any signature: a certificate's key verifies the one below it in the chain. */
	if (header_chain_keys_check(chain, "x5c", err) != 0)
		return -1;
	untrusted = sk_X509_dup(chain);
	(void)sk_X509_shift(untrusted);
	rc = cert_verify_chain(leaf, untrusted, trust, at_ns, X509_PURPOSE_SSL_CLIENT, err);
	sk_X509_free(untrusted);
	if (rc != 0)
		return err_wrap(err, "invalid certificate chain");
	if ((X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE) == 0)
		return err_set(err, ERR_UNAUTHORIZED,
			       "certificate cannot sign (no digitalSignature)");
	return 0;
}

/* The renew token's time claims, with step's messages. */
static int check_renew_claims(const struct jws *jws, X509 *leaf, struct error *err)
{
	int64_t now = time_now_ns() / NS_PER_SEC, v;
	const char *sub = jwt_claim_str(jws, "sub");
	char *cn = cert_common_name(leaf);
	int present, rc = -1;

	if (cn[0] != '\0' && (sub == NULL || strcmp(sub, cn) != 0))
		err_set(err, ERR_UNAUTHORIZED,
			"error validating renew token: invalid subject claim (sub)");
	else if (jwt_claim_time(jws, "nbf", &v, &present) != 0 ||
		 (present && now + TOKEN_LEEWAY_SEC < v))
		err_set(err, ERR_UNAUTHORIZED,
			"error validating renew token: token not valid yet (nbf)");
	else if (jwt_claim_time(jws, "exp", &v, &present) != 0 || !present ||
		 now - TOKEN_LEEWAY_SEC > v)
		err_set(err, ERR_UNAUTHORIZED,
			"error validating renew token: token is expired (exp)");
	else if (jwt_claim_time(jws, "iat", &v, &present) != 0 ||
		 (present && v > now + TOKEN_LEEWAY_SEC))
		err_set(err, ERR_UNAUTHORIZED,
			"error validating renew token: token issued in the future (iat)");
	else
		rc = 0;
	free(cn);
	if (rc != 0 && err != NULL)
		err_reclassify(err, err->kind, true); /* step shows these texts to the client */
	return rc;
}

/* Validates a renew token and returns its certificate (as step-ca does). *leaf owned; *key
 * (owned) is the token key to record, set once the replay check passed. */
static int renew_token_leaf(struct authority *a, const char *token, X509 **leaf, char **key,
			    struct error *err)
{
	struct jws jws = {0};
	STACK_OF(X509) *chain = NULL;
	struct strv aud = {0};
	const struct provisioner *p = NULL;
	struct prov_set *set = prov_set_get(a);
	const char *iss;
	char *serial = NULL;
	int rc = -1;

	*leaf = NULL;
	if (jws_parse(token, strlen(token), &jws, NULL) != 0 ||
	    jws_header_chain(&jws, "x5cInsecure", &chain, NULL) != 0) {
		err_public(err, ERR_UNAUTHORIZED, "error validating renew token");
		goto out;
	}
	/* A refused key is a 400 naming it, as everywhere (verify_header_chain checks again). */
	if (header_chain_keys_check(chain, "x5cInsecure", err) != 0)
		goto out;
	/* Expiry is ignored here: whether an expired certificate may renew is decided later. */
	if (verify_header_chain(chain, a->trust,
				cert_not_after_ns(sk_X509_value(chain, 0)) - NS_PER_MIN,
				NULL) != 0 ||
	    jws_verify(&jws, X509_get0_pubkey(sk_X509_value(chain, 0)), NULL) != 0) {
		err_public(err, ERR_UNAUTHORIZED, "error validating renew token");
		goto out;
	}
	serial = cert_serial_decimal(sk_X509_value(chain, 0));
	if (cert_provisioner(a, &set, sk_X509_value(chain, 0), serial, &p, err) != 0)
		goto out;
	if (p == NULL) {
		err_set(err, ERR_UNAUTHORIZED,
			"a certificate without provisioner cannot be renewed "
			"with a token");
		goto out;
	}
	if (check_replay(a, &jws, "renew token already used", key, err) != 0 ||
	    check_renew_claims(&jws, sk_X509_value(chain, 0), err) != 0 ||
	    audience_from_claims(jws.payload, &aud, err) != 0)
		goto out;
	if (!audience_matches(a, &aud, OP_RENEW, NULL)) {
		err_public(err, ERR_UNAUTHORIZED,
			   "error validating renew token: invalid audience claim (aud)");
		goto out;
	}
	iss = jwt_claim_str(&jws, "iss");
	if (iss == NULL || (strcmp(iss, RENEW_TOKEN_ISSUER) != 0 && strcmp(iss, p->name) != 0)) {
		err_public(err, ERR_UNAUTHORIZED,
			   "error validating renew token: invalid issuer claim (iss)");
		goto out;
	}
	*leaf = sk_X509_shift(chain);
	rc = 0;
out:
	free(serial);
	strv_free(&aud);
	sk_X509_pop_free(chain, X509_free);
	jws_free(&jws);
	prov_set_put(set);
	return rc;
}

/* An mTLS peer: verified by the TLS layer already, or here (offline mode). */
static int peer_leaf(struct authority *a, const struct renew_request *req, X509 **leaf,
		     struct error *err)
{
	STACK_OF(X509) *untrusted = NULL;
	int rc = 0;

	if (!req->peer_verified) {
		untrusted =
		    req->peer_chain != NULL ? sk_X509_dup(req->peer_chain) : sk_X509_new_null();
		for (int i = 0; i < sk_X509_num(a->intermediates); i++)
			sk_X509_push(untrusted, sk_X509_value(a->intermediates, i));
		rc = cert_verify_chain(req->peer, untrusted, a->trust, 0, X509_PURPOSE_SSL_CLIENT,
				       err);
		sk_X509_free(untrusted);
		if (rc != 0)
			return err_wrap(err, "invalid client certificate");
	}
	X509_up_ref(req->peer);
	*leaf = req->peer;
	return 0;
}

/* Reissues old (with new_key when rekeying) for the same length of time, starting now. */
int renew_certificate(struct authority *a, X509 *old, EVP_PKEY *new_key, struct issued *out,
		      struct store_txn **txn, struct error *err)
{
	return renew_certificate_length(a, old, new_key, 0, out, txn, err);
}

int renew_certificate_length(struct authority *a, X509 *old, EVP_PKEY *new_key, int64_t length_ns,
			     struct issued *out, struct store_txn **txn, struct error *err)
{
	const struct provisioner *p = NULL;
	struct prov_set *set = prov_set_get(a);
	char *old_serial = cert_serial_decimal(old);
	int64_t nb = time_now_ns() / NS_PER_SEC * NS_PER_SEC - a->cfg->backdate_ns;
	int64_t length =
	    length_ns > 0 ? length_ns : cert_not_after_ns(old) - cert_not_before_ns(old);
	uint8_t *spki = NULL;
	size_t spki_len = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (authorize_renewal(a, &set, old, old_serial, &p, err) != 0 ||
	    policy_enforce_cert(set, p, old, err) != 0)
		goto out;
	if (new_key != NULL && pubkey_spki_der(new_key, &spki, &spki_len, err) != 0)
		goto out;
	if (x509_reissue_der(old, spki, spki_len, nb, nb + length, a->issuer, a->signer, &out->der,
			     &out->der_len, err) != 0)
		goto out;
	if (txn_add_new_leaf(txn, p, out->der, out->der_len, spki, spki_len, old, old_serial,
			     &out->serial, err) != 0)
		goto out;
	out->chain = a->intermediates;
	out->subject = cert_common_name(old); /* a renewal keeps the subject */
	out->provisioner = xstrdup(p != NULL ? p->name : "");
	rc = 0;
out:
	if (rc != 0)
		issued_free(out);
	free(spki);
	free(old_serial);
	prov_set_put(set);
	return rc;
}

int renew_prepare(struct authority *a, const struct renew_request *req, struct issued *out,
		  struct store_txn **txn, struct error *err)
{
	X509 *leaf = NULL;
	char *token_key = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	*txn = NULL;
	if (req->peer != NULL)
		rc = peer_leaf(a, req, &leaf, err);
	else if (req->bearer_token != NULL && req->csr == NULL)
		rc = renew_token_leaf(a, req->bearer_token, &leaf, &token_key, err);
	else
		rc = err_public(err, ERR_INVALID, "missing client certificate");
	/* Rekey: the CSR once the client is authenticated (step-ca: before the renewal rules). */
	if (rc == 0 && req->csr != NULL)
		rc = request_csr_check(req->csr, "invalid csr", err);
	if (rc == 0)
		rc = renew_certificate(a, leaf,
				       req->csr != NULL ? X509_REQ_get0_pubkey(req->csr) : NULL,
				       out, txn, err);
	txn_add_token(txn, token_key, req->bearer_token);
	free(token_key);
	X509_free(leaf);
	return rc;
}
