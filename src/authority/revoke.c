/* revoke.c - POST /revoke: passive revocation by token or by mTLS, as step-ca does. */
#include <ctype.h>
#include <openssl/bn.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "authority/internal.h"
#include "base/duration.h"
#include "crypto/cert.h"
#include "store/store.h"

#define REASON_CODE_MAX	      10
#define REASON_KEY_COMPROMISE 1 /* RFC 5280 §5.3.1 */
#define SERIAL_MAX_LEN	      200

/* Parses a serial with Go's base prefixes (0x hex, 0 octal, else decimal) into decimal. */
static int normalize_serial(const char *in, char **out, struct error *err)
{
	const char *digits = in;
	BIGNUM *bn = NULL;
	int base = 10, ok = strlen(in) <= SERIAL_MAX_LEN && in[0] != '\0';

	if (ok && (strncmp(in, "0x", 2) == 0 || strncmp(in, "0X", 2) == 0)) {
		base = 16;
		digits = in + 2;
	} else if (ok && in[0] == '0' && in[1] != '\0') {
		base = 8;
		digits = in + 1;
	}
	for (const char *p = digits; ok && *p != '\0'; p++)
		ok = base == 16 ? isxdigit((unsigned char)*p) : (*p >= '0' && *p < '0' + base);
	ok = ok && digits[0] != '\0' && (bn = BN_new()) != NULL;
	if (ok && base == 16)
		ok = BN_hex2bn(&bn, digits) > 0;
	else if (ok && base == 10)
		ok = BN_dec2bn(&bn, digits) > 0;
	else if (ok) /* octal: no OpenSSL helper */
		for (const char *p = digits; ok && *p != '\0'; p++)
			ok = BN_mul_word(bn, 8) && BN_add_word(bn, (BN_ULONG)(*p - '0'));
	if (ok) {
		char *dec = BN_bn2dec(bn);
		*out = xstrdup(dec);
		OPENSSL_free(dec);
	}
	BN_free(bn);
	if (!ok)
		return err_public(
		    err, ERR_INVALID,
		    "'%s' is not a valid serial number - use a base 10 representation "
		    "or a base 16 representation with '0x' prefix",
		    in);
	return 0;
}

/* Who asked: a revoke token whose subject is the serial, or the certificate itself. */
static int authorize_revoke(struct authority *a, const struct revoke_request *req,
			    const char *serial, struct revocation *rev, char **prov_id,
			    char **token_id, struct error *err)
{
	struct token_grant g = {0};
	char *peer_serial;
	int rc;

	if (req->ott != NULL && req->ott[0] != '\0') {
		if (token_authorize(a, req->ott, OP_REVOKE, &g, err) != 0) {
			*token_id = g.token_id; /* recorded as used all the same */
			g.token_id = NULL;
			return -1;
		}
		rc = strcmp(g.subject, serial) == 0
			 ? 0
			 : err_public(err, ERR_FORBIDDEN,
				      "request serial number \"%s\" and token subject \"%s\" do "
				      "not match",
				      serial, g.subject);
		/* step-ca asks the provisioner for the token's id to record: a K8sSA token has
		 * none, and step-ca answers that with a 500 */
		if (rc == 0 && g.prov->type == PROV_K8SSA)
			rc = err_set(
			    err, ERR_INTERNAL,
			    "authority.Revoke; could not get ID for token: not implemented");
		*prov_id = xstrdup(g.prov->token_id);
		*token_id = g.token_id; /* NULL for a token without replay record (K8sSA) */
		g.token_id = NULL;
		token_grant_free(&g);
		return rc;
	}
	if (req->peer == NULL)
		return err_public(err, ERR_INVALID, "missing ott or client certificate");
	if (!req->peer_verified && cert_verify_chain(req->peer, a->intermediates, a->trust, 0,
						     X509_PURPOSE_SSL_CLIENT, err) != 0)
		return err_wrap(err, "invalid client certificate");
	peer_serial = cert_serial_decimal(req->peer);
	rc = strcmp(peer_serial, serial) == 0
		 ? 0
		 : err_public(err, ERR_FORBIDDEN,
			      "request serial number \"%s\" and certificate serial number "
			      "\"%s\" do not match",
			      serial, peer_serial);
	free(peer_serial);
	rev->mtls = true;
	rev->expires_at_ns = cert_not_after_ns(req->peer);
	return rc;
}

int revoke_prepare(struct authority *a, const struct revoke_request *req, char **serial_out,
		   struct store_txn **txn, struct error *err)
{
	struct revocation rev = {0};
	char *serial = NULL, *prov_id = NULL, *token_id = NULL;
	char key_id[65];
	int rc = -1;

	*serial_out = NULL;
	*txn = NULL;
	if (req->serial == NULL || req->serial[0] == '\0')
		return err_public(err, ERR_INVALID, "missing serial");
	if (req->reason_code < 0 || req->reason_code > REASON_CODE_MAX)
		return err_public(err, ERR_INVALID, "reasonCode out of bounds");
	if (!req->passive)
		return err_set(err, ERR_NOT_IMPLEMENTED, "non-passive revocation not implemented");
	if (normalize_serial(req->serial, &serial, err) != 0)
		goto out;
	if (authorize_revoke(a, req, serial, &rev, &prov_id, &token_id, err) != 0)
		goto out; /* step consumes a token that passed the replay check: see out */
	rev.serial = serial;
	rev.prov_id = prov_id;
	rev.reason_code = req->reason_code;
	rev.reason = req->reason;
	rev.revoked_at_ns = time_now_ns();
	rev.token_id = token_id;
	/* Key compromise condemns the key, not just this certificate: the store blocks it (the
	 * presented certificate's key over mTLS, else the stored certificate's). */
	rev.block_key = req->reason_code == REASON_KEY_COMPROMISE;
	if (rev.block_key && rev.mtls) {
		if (cert_key_id(req->peer, key_id, err) != 0)
			goto out;
		rev.key_id = key_id;
	}
	*txn = store_txn_new();
	store_txn_revoke(*txn, &rev);
	*serial_out = serial;
	serial = NULL;
	rc = 0;
out:
	txn_add_token(txn, token_id, req->ott);
	free(serial);
	free(prov_id);
	free(token_id);
	return rc;
}
