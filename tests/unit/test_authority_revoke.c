/* test_authority_revoke.c - the rules of POST /revoke, table-driven, in-process against the
 * authority over a SQLite store: who may revoke (token, mTLS), the request's fields, revoking
 * twice, and what a revocation does afterwards (the lineage is refused; keyCompromise blocks
 * the key, other reasons do not). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_fixture.h"
#include "base/str.h"
#include "crypto/cert.h"

#define E401(m)                                                                                    \
	{                                                                                          \
		ERR_UNAUTHORIZED, 401, false, m, AFX_GENERIC_401                                   \
	}
#define E403(m)                                                                                    \
	{                                                                                          \
		ERR_FORBIDDEN, 403, true, m,                                                       \
		    "The request was forbidden by the certificate authority: " m "."               \
	}
#define E400(m)                                                                                    \
	{                                                                                          \
		ERR_INVALID, 400, true, m, "The request could not be completed: " m "."            \
	}
#define KEY_COMPROMISED                                                                            \
	"the public key was revoked for key compromise and cannot be certified again"

enum who {
	BY_TOKEN = 0,	    /* a revoke token of jwk@test whose subject is the serial */
	BY_TOKEN_OTHER_SUB, /* ... whose subject is 12345 */
	BY_TOKEN_SIGN_AUD,  /* ... with the sign audience */
	BY_TOKEN_EXPIRED,   /* ... expired */
	BY_MTLS,	    /* the certificate itself, verified by the TLS layer */
	BY_MTLS_OTHER,	    /* another certificate of the CA */
	BY_MTLS_OFFLINE,    /* the certificate, verified by the authority */
	BY_MTLS_FOREIGN,    /* another CA's certificate, verified by the authority */
	BY_NOBODY,
};

enum serial_form { DECIMAL = 0, HEX, OCTAL, NO_SERIAL, LITERAL };

enum before {
	FRESH = 0,
	ALREADY_REVOKED, /* revoked once (superseded) over mTLS */
	TOKEN_CONSUMED,	 /* the same token was refused once (serial mismatch) */
};

enum after {
	NOTHING_AFTER = 0,
	LINEAGE_REFUSED, /* the certificate no longer renews */
	KEY_BLOCKED,	 /* and its key is refused for new certificates */
	KEY_FREE,	 /* but its key may still be certified */
};

struct revoke_row {
	const char *name;
	enum who who;
	enum serial_form form;
	const char *literal; /* LITERAL */
	int reason_code;
	const char *reason;
	bool not_passive;
	enum before before;
	enum after after;
	struct afx_expect want; /* "{serial}" the target's, "{other}" the other certificate's */
};

static const struct revoke_row revoke_rows[] = {
    {"by token", .after = LINEAGE_REFUSED},
    {"by token, other reasons leave the key usable", .reason_code = 4, .after = KEY_FREE},
    {"by token, a hex serial", .form = HEX, .reason = "moved", .after = LINEAGE_REFUSED},
    {"by token, an octal serial", .form = OCTAL, .after = LINEAGE_REFUSED},
    {"by token, keyCompromise blocks the stored certificate's key", .reason_code = 1,
     .after = KEY_BLOCKED},
    {"over mTLS", .who = BY_MTLS, .reason_code = 5, .after = LINEAGE_REFUSED},
    {"over mTLS, keyCompromise blocks the key", .who = BY_MTLS, .reason_code = 1,
     .after = KEY_BLOCKED},
    {"over mTLS offline", .who = BY_MTLS_OFFLINE, .reason_code = 10, .after = LINEAGE_REFUSED},
    {"a serial the CA never issued (token)", .form = LITERAL, .literal = "12345"},
    {"passive false", .not_passive = true,
     .want = {ERR_NOT_IMPLEMENTED, 501, false, "non-passive revocation not implemented",
	      AFX_GENERIC_501}},
    {"reasonCode 11", .reason_code = 11, .want = E400("reasonCode out of bounds")},
    {"reasonCode -1", .reason_code = -1, .want = E400("reasonCode out of bounds")},
    {"no serial", .form = NO_SERIAL, .want = E400("missing serial")},
    {"not a serial", .form = LITERAL, .literal = "zz",
     .want = E400("'zz' is not a valid serial number - use a base 10 representation or a base "
		  "16 representation with '0x' prefix")},
    {"0x alone", .form = LITERAL, .literal = "0x",
     .want = E400("'0x' is not a valid serial number - use a base 10 representation or a base "
		  "16 representation with '0x' prefix")},
    {"neither token nor certificate", .who = BY_NOBODY,
     .want = E400("missing ott or client certificate")},
    {"a token for another serial", .who = BY_TOKEN_OTHER_SUB,
     .want = E403("request serial number \"{serial}\" and token subject \"12345\" do not "
		  "match")},
    {"a certificate of another serial", .who = BY_MTLS_OTHER,
     .want = E403("request serial number \"{serial}\" and certificate serial number "
		  "\"{other}\" do not match")},
    {"another CA's certificate (offline)", .who = BY_MTLS_FOREIGN,
     .want = E401("invalid client certificate: unable to get local issuer certificate")},
    {"a token with the sign audience", .who = BY_TOKEN_SIGN_AUD,
     .want = E401("invalid audience claim (aud)")},
    {"an expired token", .who = BY_TOKEN_EXPIRED, .want = E401("token is expired (exp)")},
    {"a token refused once is used", .who = BY_TOKEN_OTHER_SUB, .before = TOKEN_CONSUMED,
     .want = E401("token already used")},
    {"already revoked (token)", .before = ALREADY_REVOKED,
     .want = {ERR_CONFLICT, 400, true,
	      "certificate with serial number '{serial}' is already revoked",
	      "The request could not be completed: certificate with serial number '{serial}' is "
	      "already revoked."}},
    {"already revoked (mTLS)", .who = BY_MTLS, .before = ALREADY_REVOKED,
     .want = {ERR_CONFLICT, 400, true,
	      "certificate with serial number '{serial}' is already revoked",
	      "The request could not be completed: certificate with serial number '{serial}' is "
	      "already revoked."}},
};

/* The serial as the row sends it; malloc'd or NULL. */
static char *row_serial(const struct revoke_row *r, X509 *target)
{
	const ASN1_INTEGER *ai = X509_get0_serialNumber(target);
	BIGNUM *bn = ASN1_INTEGER_to_BN(ai, NULL);
	char *out = NULL, *tmp;

	switch (r->form) {
	case DECIMAL:
		out = cert_serial_decimal(target);
		break;
	case HEX:
		tmp = BN_bn2hex(bn);
		out = xasprintf("0x%s", tmp);
		OPENSSL_free(tmp);
		break;
	case OCTAL: { /* Go's 0 prefix */
		char digits[256];
		size_t n = 0;
		while (!BN_is_zero(bn))
			digits[n++] = (char)('0' + BN_div_word(bn, 8));
		out = xmalloc(n + 2);
		out[0] = '0';
		for (size_t i = 0; i < n; i++)
			out[1 + i] = digits[n - 1 - i];
		out[n + 1] = '\0';
		break;
	}
	case NO_SERIAL:
		break;
	case LITERAL:
		out = xstrdup(r->literal);
		break;
	}
	BN_free(bn);
	return out;
}

/* The row's token; its subject is sub (the decimal serial: the token names the normalised
 * serial, as step-ca requires). */
static char *row_token(struct afx *f, const struct revoke_row *r, const char *sub)
{
	const char *serial = sub;

	json_t *h, *p;
	char *tok;

	switch (r->who) {
	case BY_TOKEN:
		return afx_revoke_token(f, AFX_JWK, serial);
	case BY_TOKEN_OTHER_SUB:
		return afx_revoke_token(f, AFX_JWK, "12345");
	case BY_TOKEN_SIGN_AUD:
	case BY_TOKEN_EXPIRED:
		h = json_pack("{s:s, s:s}", "kid", AFX_KID, "typ", "JWT");
		p = afx_claims(AFX_JWK,
			       r->who == BY_TOKEN_SIGN_AUD ? AFX_AUDIENCE "/1.0/sign"
							   : AFX_AUDIENCE "/1.0/revoke",
			       serial, NULL);
		if (r->who == BY_TOKEN_EXPIRED)
			afx_patch(p, "{\"exp\":1000}");
		tok = afx_jwt(f->prov_key, h, p);
		json_decref(h);
		json_decref(p);
		return tok;
	default:
		return NULL;
	}
}

/* What the revocation left behind. */
static void check_after(struct afx *f, const struct revoke_row *r, X509 *target, EVP_PKEY *key,
			const char *serial)
{
	static const struct afx_expect revoked = E401("certificate {serial} has been revoked");
	static const struct afx_expect blocked = E403(KEY_COMPROMISED);
	static const struct afx_expect fine = {ERR_NONE};
	struct error err = {0};
	X509 *x = NULL, *other;
	EVP_PKEY *other_key;
	char what[300];

	if (r->after == NOTHING_AFTER)
		return;
	snprintf(what, sizeof(what), "%s: then renewing", r->name);
	afx_check(what, afx_renew(f, target, NULL, &x, &err), &err, &revoked, serial, NULL);
	X509_free(x);
	if (r->after == LINEAGE_REFUSED)
		return;
	/* a new certificate for the key: refused after keyCompromise only */
	snprintf(what, sizeof(what), "%s: then signing its key", r->name);
	{
		X509_REQ *csr = afx_csr(key, "foo.example.com", NULL, false);
		char *tok = afx_sign_token(f, AFX_JWK, "foo.example.com", NULL);
		struct sign_request req = {.csr = csr, .ott = tok};
		struct issued out = {0};
		err = (struct error){0};
		afx_check(what, authority_sign(f->a, &req, &out, &err), &err,
			  r->after == KEY_BLOCKED ? &blocked : &fine, NULL, NULL);
		issued_free(&out);
		X509_REQ_free(csr);
		free(tok);
	}
	snprintf(what, sizeof(what), "%s: then rekeying another certificate to its key", r->name);
	other = afx_peer(f, PEER_ISSUED, &other_key);
	err = (struct error){0};
	afx_check(what, afx_renew(f, other, key, &x, &err), &err,
		  r->after == KEY_BLOCKED ? &blocked : &fine, NULL, NULL);
	X509_free(x);
	X509_free(other);
	EVP_PKEY_free(other_key);
}

static void run_revoke_row(struct afx *f, const struct revoke_row *r)
{
	EVP_PKEY *key = NULL, *other_key = NULL;
	X509 *target = afx_peer(f, PEER_ISSUED, &key), *other = NULL;
	char *dec = cert_serial_decimal(target), *serial = row_serial(r, target);
	char *tok = row_token(f, r, r->form == LITERAL ? r->literal : dec);
	char *other_serial = NULL, *out_serial = NULL;
	struct revoke_request req = {
	    .serial = serial,
	    .ott = tok,
	    .reason_code = r->reason_code,
	    .reason = r->reason,
	    .passive = !r->not_passive,
	};
	struct error err = {0};
	int rc;

	if (r->who == BY_MTLS || r->who == BY_MTLS_OFFLINE) {
		req.peer = target;
		req.peer_verified = r->who == BY_MTLS;
	} else if (r->who == BY_MTLS_OTHER || r->who == BY_MTLS_FOREIGN) {
		other =
		    afx_peer(f, r->who == BY_MTLS_OTHER ? PEER_ISSUED : PEER_FOREIGN, &other_key);
		other_serial = cert_serial_decimal(other);
		req.peer = other;
		req.peer_verified = r->who == BY_MTLS_OTHER;
	}
	if (r->before == ALREADY_REVOKED && afx_revoke_mtls(f, target, 4, &err) != 0)
		afx_fail("%s: the first revocation failed: %s", r->name, err.msg);
	if (r->before == TOKEN_CONSUMED && authority_revoke(f->a, &req, NULL, &err) != -1)
		afx_fail("%s: the first use succeeded", r->name);
	err = (struct error){0};
	rc = authority_revoke(f->a, &req, &out_serial, &err);
	if (afx_check(r->name, rc, &err, &r->want, dec, other_serial) && rc == 0) {
		const char *want = r->form == LITERAL ? r->literal : dec;
		if (out_serial == NULL || strcmp(out_serial, want) != 0)
			afx_fail("%s: serial out: want %s, got %s", r->name, want,
				 out_serial != NULL ? out_serial : "(null)");
		check_after(f, r, target, key, dec);
	}
	free(out_serial);
	free(other_serial);
	X509_free(other);
	EVP_PKEY_free(other_key);
	free(tok);
	free(serial);
	free(dec);
	X509_free(target);
	EVP_PKEY_free(key);
}

static void test_revoke_rules(void **state)
{
	for (size_t i = 0; i < sizeof(revoke_rows) / sizeof(revoke_rows[0]); i++)
		run_revoke_row(*state, &revoke_rows[i]);
	afx_done();
}

/* Revoking a certificate refuses it and every certificate renewed from it, transitively; not
 * the certificate it was renewed from, nor another lineage. */
static void test_revoke_lineage(void **state)
{
	static const struct afx_expect revoked = E401("certificate {serial} has been revoked");
	static const struct afx_expect fine = {ERR_NONE};
	struct afx *f = *state;
	EVP_PKEY *key = NULL, *key2 = NULL;
	X509 *a = afx_peer(f, PEER_ISSUED, &key), *b = NULL, *c = NULL, *x = NULL;
	X509 *s = afx_peer(f, PEER_ISSUED, &key2);
	struct error err = {0};
	char *sa = cert_serial_decimal(a), *sb, *sc;

	assert_int_equal(afx_renew(f, a, NULL, &b, &err), 0);
	assert_int_equal(afx_renew(f, b, NULL, &c, &err), 0);
	sb = cert_serial_decimal(b);
	sc = cert_serial_decimal(c);
	assert_int_equal(afx_revoke_mtls(f, b, 0, &err), 0);
	afx_check("the revoked certificate", afx_renew(f, b, NULL, &x, &err), &err, &revoked, sb,
		  NULL);
	err = (struct error){0};
	afx_check("the renewal of the revoked renewal", afx_renew(f, c, NULL, &x, &err), &err,
		  &revoked, sc, NULL);
	err = (struct error){0};
	afx_check("another lineage", afx_renew(f, s, NULL, &x, &err), &err, &fine, NULL, NULL);
	X509_free(x);
	err = (struct error){0};
	afx_check("the certificate it renewed", afx_renew(f, a, NULL, &x, &err), &err, &fine, sa,
		  NULL);
	X509_free(x);
	free(sa);
	free(sb);
	free(sc);
	X509_free(a);
	X509_free(b);
	X509_free(c);
	X509_free(s);
	EVP_PKEY_free(key);
	EVP_PKEY_free(key2);
	afx_done();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_revoke_rules, afx_setup, afx_teardown),
	    cmocka_unit_test_setup_teardown(test_revoke_lineage, afx_setup, afx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
