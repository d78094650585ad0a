/* cert.c - certificate download (RFC 8555 §7.4.2) and revocation (§7.6). */
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "acme/internal.h"
#include "base/b64.h"
#include "base/buf.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "store/store.h"

#define REASON_CODE_MAX 10
#define REASON_UNUSED	7 /* RFC 5280 §5.3.1: value 7 is not used */
#define CERT_DER_MAX	(16 * 1024)

/* The PEM of a certificate's DER appended to b, without decoding it into an X509 first. */
static int append_der_pem(struct buf *b, const uint8_t *der, size_t len)
{
	char *pem = NULL;
	int rc = cert_der_to_pem(der, len, &pem, NULL) == 0 ? buf_append_str(b, pem, NULL) : -1;

	free(pem);
	return rc;
}

/* PEM of cert appended to b. */
static int append_pem(struct buf *b, X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int rc = -1;

	if (bio != NULL && PEM_write_bio_X509(bio, cert) == 1) {
		n = BIO_get_mem_data(bio, &data);
		rc = buf_append(b, data, (size_t)n, NULL);
	}
	BIO_free(bio);
	return rc;
}

void acme_certificate(struct acme_call *c)
{
	json_t *rec = NULL;
	struct acme_problem p;
	uint8_t *der = NULL;
	size_t der_len = 0;
	STACK_OF(X509) *chain = authority_intermediates(c->ac->a);
	struct buf b;
	const char *s;

	buf_init(&b, 64 * 1024);
	if (acme_rec_owned(c, ACME_COL_CERTS, "certificate", c->path.id1, &rec, NULL, &p) != 0)
		goto fail;
	s = acme_get_str(rec, "der");
	if (b64url_decode(s, strlen(s), &der, &der_len, NULL) != 0 ||
	    !cert_der_is_sequence(der, der_len)) {
		acme_fail(&p, ACME_PROB_SERVER_INTERNAL, "stored certificate '%s' is corrupt",
			  c->path.id1);
		goto fail;
	}
	if (append_der_pem(&b, der, der_len) != 0)
		goto internal;
	for (int i = 0; i < sk_X509_num(chain); i++)
		if (append_pem(&b, sk_X509_value(chain, i)) != 0)
			goto internal;
	{
		size_t n = b.len;

		acme_answer_raw(c, 200, "application/pem-certificate-chain", buf_steal(&b), n);
	}
	goto out;
internal:
	acme_fail(&p, ACME_PROB_SERVER_INTERNAL, "cannot encode the certificate chain");
fail:
	acme_fail_call(c, &p);
out:
	buf_free(&b);
	free(der);
	json_decref(rec);
}

/* The certificate of a revoke-cert payload (base64url DER). */
static int revoke_target(struct acme_call *c, X509 **cert, struct acme_problem *p)
{
	const char *s = json_string_value(json_object_get(c->payload, "certificate"));
	uint8_t *der = NULL;
	size_t der_len = 0;
	const unsigned char *pp;

	*cert = NULL;
	if (s == NULL || strlen(s) > CERT_DER_MAX * 2 ||
	    b64url_decode(s, strlen(s), &der, &der_len, NULL) != 0)
		return acme_fail(p, ACME_PROB_MALFORMED,
				 "the payload's certificate is not base64url DER");
	pp = der;
	*cert = d2i_X509(NULL, &pp, (long)der_len);
	free(der);
	if (*cert == NULL)
		return acme_fail(p, ACME_PROB_MALFORMED, "the payload's certificate is not DER");
	return 0;
}

/* Who may revoke (RFC 8555 §7.6): the account that ordered the certificate (kid), or whoever
 * holds its key (jwk: the JWS is signed with the certificate's key). */
static int revoke_authorized(struct acme_call *c, X509 *cert, const char *serial,
			     struct acme_problem *p)
{
	char *owner = NULL;
	bool found = false;
	int rc;

	if (!c->has_account) {
		if (EVP_PKEY_eq(c->key, X509_get0_pubkey(cert)) == 1)
			return 0;
		return acme_fail(p, ACME_PROB_UNAUTHORIZED,
				 "the JWS is not signed with the certificate's key");
	}
	if (acme_rec_get(c->ac, ACME_COL_CERTS, serial, &found, NULL, NULL, &owner, p) != 0)
		return -1;
	rc = found && owner != NULL && strcmp(owner, c->acct.id) == 0 ? 0 : -1;
	free(owner);
	if (rc != 0) {
		acme_fail(p, ACME_PROB_UNAUTHORIZED, "the account did not order certificate %s",
			  serial);
		p->status = 403;
	}
	return rc;
}

static void revoked(struct acme_call *c, struct store_txn *t)
{
	struct acme_problem p;
	struct error err = {0};
	const char *serial = c->scratch;

	if (revocation_settle(t, serial, 0, &err) != 0) {
		if (t->already_revoked)
			acme_fail(&p, ACME_PROB_ALREADY_REVOKED,
				  "certificate %s is already revoked", serial);
		else
			acme_fail_from_error(&p, ACME_PROB_SERVER_INTERNAL, &err);
		acme_reply_problem(c, &p);
		return;
	}
	c->resp.serial = xstrdup(serial);
	acme_reply_raw(c, 200, NULL, NULL, 0);
}

void acme_revoke(struct acme_call *c)
{
	const json_t *reason = json_object_get(c->payload, "reason");
	json_int_t code = json_is_integer(reason) ? json_integer_value(reason) : 0;
	X509 *cert = NULL;
	char *serial = NULL;
	struct store_txn *t = NULL;
	struct acme_problem p;
	struct error err;

	if (reason != NULL && (!json_is_integer(reason) || code < 0 || code > REASON_CODE_MAX ||
			       code == REASON_UNUSED)) {
		acme_fail(&p, ACME_PROB_BAD_REVOCATION_REASON,
			  "reason must be a CRLReason code 0-10 other than 7");
		goto fail;
	}
	if (revoke_target(c, &cert, &p) != 0)
		goto fail;
	if (revocation_for_cert(c->ac->a, c->prov, cert, (int)code, NULL, &t, &serial, &err) != 0) {
		acme_fail_from_error(&p, ACME_PROB_UNAUTHORIZED, &err);
		if (p.type == ACME_PROB_UNAUTHORIZED)
			p.status = 403;
		goto fail;
	}
	if (revoke_authorized(c, cert, serial, &p) != 0)
		goto fail;
	c->scratch = serial;
	c->scratch_free = free;
	serial = NULL;
	acme_commit(c, t, revoked);
	t = NULL;
	goto out;
fail:
	acme_fail_call(c, &p);
out:
	store_txn_free(t);
	free(serial);
	X509_free(cert);
}
