/* test_authority_renew.c - the rules of POST /renew (mTLS and renew token), /rekey and Kyma's
 * renewal, table-driven, in-process against the authority over a SQLite store. Each row is a
 * certificate in some state presented some way, and the exact outcome: error kind, HTTP
 * status, exposed or not, message and message on the wire, or the new certificate's fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authority_fixture.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "server/respond.h"

#define FOO "foo.example.com"
#define E401(m)                                                                                    \
	{                                                                                          \
		ERR_UNAUTHORIZED, 401, false, m, AFX_GENERIC_401                                   \
	}
/* A 401 whose text step-ca shows the client as it is. */
#define E401_SHOWN(m)                                                                              \
	{                                                                                          \
		ERR_UNAUTHORIZED, 401, true, m, m                                                  \
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
#define ALLOWED "(allowed: P-256, P-384, P-521, Ed25519, RSA >= 2048 bits)"
#define EXPIRED                                                                                    \
	"The request lacked necessary authorization to be completed: certificate expired on "      \
	"2020-01-02 00:00:00 +0000 UTC"
#define BAD_TOKEN "error validating renew token"
#define KU_EC	  "Digital Signature"
#define KU_RSA	  "Digital Signature, Key Encipherment"
/* The renewal of a foo.example.com certificate: same names, same length. */
#define RENEWED(len, prov)                                                                         \
	{                                                                                          \
		"CN=" FOO, "DNS:" FOO, len, prov, 1, AFX_KID, KU_EC                                \
	}
#define DAY1M (86400 + 60)

enum how {
	MTLS = 0,	 /* the TLS layer verified the peer */
	MTLS_UNVERIFIED, /* offline: the authority verifies the peer */
	TOKEN,		 /* a renew token (x5cInsecure) signed with the certificate's key */
	TOKEN_OTHER_KEY, /* ... signed with another key */
	TOKEN_BAD_SIG,	 /* ... one signature character changed */
	TOKEN_GARBAGE,	 /* "x.y.z" */
	NOTHING,	 /* neither a peer nor a token */
};

enum new_key {
	SAME_KEY = 0, /* renew */
	NEW_P384,     /* rekey to a fresh P-384 key */
	NEW_RSA1024,
	NEW_P224,
	NEW_BAD_SIGNATURE, /* a P-256 CSR with a bad signature */
	NEW_BLOCKED,	   /* a key revoked for keyCompromise elsewhere */
};

struct renew_row {
	const char *name;
	enum afx_peer peer;
	enum how how;
	const char *claims; /* merge patch of the renew token's payload */
	bool replay;	    /* the token was used once before */
	enum new_key rekey;
	struct afx_expect want; /* "{serial}" = the peer's serial */
	struct afx_cert cert;
};

static const struct renew_row renew_rows[] = {
    /* --- mTLS ------------------------------------------------------------------------------- */
    {"mTLS", .cert = RENEWED(DAY1M, AFX_JWK)},
    {"mTLS, RSA", .peer = PEER_RSA,
     .cert = {"CN=" FOO, "DNS:" FOO, DAY1M, AFX_JWK, 1, AFX_KID, KU_RSA}},
    {"mTLS, offline (verified here)", .how = MTLS_UNVERIFIED, .cert = RENEWED(DAY1M, AFX_JWK)},
    {"mTLS, a legacy certificate without provisioner", .peer = PEER_LEGACY,
     .cert = {"CN=" FOO, "DNS:" FOO, DAY1M, NULL, 0, NULL, KU_EC}},
    {"mTLS, revoked", .peer = PEER_REVOKED, .want = E401("certificate {serial} has been revoked")},
    {"mTLS, renewed from a revoked certificate", .peer = PEER_CHILD_OF_REVOKED,
     .want = E401("certificate {serial} has been revoked")},
    {"mTLS, its key revoked for keyCompromise in another lineage",
     .peer = PEER_SAME_KEY_COMPROMISED, .want = E401("certificate {serial} has been revoked")},
    {"mTLS, disableRenewal", .peer = PEER_NORENEW,
     .want = E401("renew is disabled for provisioner \"norenew@test\"")},
    {"mTLS, not yet valid", .peer = PEER_NOT_YET_VALID,
     .want = E401("certificate is not yet valid")},
    {"mTLS, expired", .peer = PEER_EXPIRED, .want = E401_SHOWN(EXPIRED)},
    {"mTLS, an unknown provisioner", .peer = PEER_UNKNOWN_PROV,
     .want = E401("provisioner \"gone@test\" not found")},
    {"offline, another CA's certificate", .peer = PEER_FOREIGN, .how = MTLS_UNVERIFIED,
     .want = E401("invalid client certificate: unable to get local issuer certificate")},
    {"offline, expired", .peer = PEER_EXPIRED, .how = MTLS_UNVERIFIED,
     .want = E401("invalid client certificate: certificate has expired")},
    {"no certificate", .peer = PEER_NONE, .how = NOTHING,
     .want = E400("missing client certificate")},

    /* --- renew token (x5cInsecure) ----------------------------------------------------------- */
    {"token", .how = TOKEN, .cert = RENEWED(DAY1M, AFX_JWK)},
    {"token issued by the provisioner", .how = TOKEN, .claims = "{\"iss\":\"" AFX_JWK "\"}",
     .cert = RENEWED(DAY1M, AFX_JWK)},
    {"token without jti", .how = TOKEN, .claims = "{\"jti\":null}",
     .cert = RENEWED(DAY1M, AFX_JWK)},
    {"token, expired with allowRenewalAfterExpiry", .peer = PEER_EXPIRED_ALLOWED, .how = TOKEN,
     .cert = RENEWED(86400, "expiry@test")},
    {"token, expired", .peer = PEER_EXPIRED, .how = TOKEN, .want = E401_SHOWN(EXPIRED)},
    {"token replayed", .how = TOKEN, .replay = true, .want = E401("renew token already used")},
    {"token replayed without jti", .how = TOKEN, .claims = "{\"jti\":null}", .replay = true,
     .want = E401("renew token already used")},
    {"token with a jti that is a number", .how = TOKEN, .claims = "{\"jti\":7}",
     .want = E401("invalid token id claim (jti)")},
    {"token signed by another key", .how = TOKEN_OTHER_KEY, .want = E401_SHOWN(BAD_TOKEN)},
    {"token with a bad signature", .how = TOKEN_BAD_SIG, .want = E401_SHOWN(BAD_TOKEN)},
    {"garbage bearer", .how = TOKEN_GARBAGE, .want = E401_SHOWN(BAD_TOKEN)},
    {"token for another CA's certificate", .peer = PEER_FOREIGN, .how = TOKEN,
     .want = E401_SHOWN(BAD_TOKEN)},
    {"token, another subject", .how = TOKEN, .claims = "{\"sub\":\"bar.example.com\"}",
     .want = E401_SHOWN(BAD_TOKEN ": invalid subject claim (sub)")},
    {"token expired", .how = TOKEN, .claims = "{\"exp\":1}",
     .want = E401_SHOWN(BAD_TOKEN ": token is expired (exp)")},
    {"token without exp", .how = TOKEN, .claims = "{\"exp\":null}",
     .want = E401_SHOWN(BAD_TOKEN ": token is expired (exp)")},
    {"token not valid yet", .how = TOKEN, .claims = "{\"nbf\":4070908800}",
     .want = E401_SHOWN(BAD_TOKEN ": token not valid yet (nbf)")},
    {"token issued in the future", .how = TOKEN, .claims = "{\"iat\":4070908800}",
     .want = E401_SHOWN(BAD_TOKEN ": token issued in the future (iat)")},
    {"token with the sign audience", .how = TOKEN,
     .claims = "{\"aud\":\"" AFX_AUDIENCE "/1.0/sign\"}",
     .want = E401_SHOWN(BAD_TOKEN ": invalid audience claim (aud)")},
    {"token of another issuer", .how = TOKEN, .claims = "{\"iss\":\"mallory\"}",
     .want = E401_SHOWN(BAD_TOKEN ": invalid issuer claim (iss)")},
    {"token for a legacy certificate", .peer = PEER_LEGACY, .how = TOKEN,
     .want = E401("a certificate without provisioner cannot be renewed with a token")},
    {"token, an unknown provisioner", .peer = PEER_UNKNOWN_PROV, .how = TOKEN,
     .want = E401("provisioner \"gone@test\" not found")},
    {"token, revoked", .peer = PEER_REVOKED, .how = TOKEN,
     .want = E401("certificate {serial} has been revoked")},
    {"token, disableRenewal", .peer = PEER_NORENEW, .how = TOKEN,
     .want = E401("renew is disabled for provisioner \"norenew@test\"")},
    {"token, not yet valid", .peer = PEER_NOT_YET_VALID, .how = TOKEN,
     .want = E401("certificate is not yet valid")},
    {"token, an RSA 1024 certificate", .peer = PEER_RSA1024, .how = TOKEN,
     .want = E400("x5cInsecure leaf certificate RSA key must be at least 2048 bits (256 bytes)")},
    {"token with a CSR (rekey needs mTLS)", .how = TOKEN, .rekey = NEW_P384,
     .want = E400("missing client certificate")},

    /* --- rekey ----------------------------------------------------------------------------- */
    {"rekey", .rekey = NEW_P384, .cert = RENEWED(DAY1M, AFX_JWK)},
    {"rekey to RSA 1024", .rekey = NEW_RSA1024,
     .want = E400("certificate request RSA key must be at least 2048 bits (256 bytes)")},
    {"rekey to P-224", .rekey = NEW_P224,
     .want = E400("certificate request key: unsupported elliptic curve secp224r1 " ALLOWED)},
    {"rekey with a bad CSR signature", .rekey = NEW_BAD_SIGNATURE, .want = E400("invalid csr")},
    {"rekey to a key revoked for keyCompromise", .rekey = NEW_BLOCKED,
     .want = E403("the public key was revoked for key compromise and cannot be certified "
		  "again")},
    {"rekey of a revoked certificate", .peer = PEER_REVOKED, .rekey = NEW_P384,
     .want = E401("certificate {serial} has been revoked")},
    {"rekey away from a key revoked for keyCompromise", .peer = PEER_SAME_KEY_COMPROMISED,
     .rekey = NEW_P384, .want = E401("certificate {serial} has been revoked")},
    {"rekey without a certificate", .peer = PEER_NONE, .how = NOTHING, .rekey = NEW_P384,
     .want = E400("missing client certificate")},
};

/* A key some other certificate was revoked with for keyCompromise. Owned. */
static EVP_PKEY *blocked_key(struct afx *f)
{
	EVP_PKEY *key = afx_key(AFX_P256);
	X509 *c = afx_issue(f, AFX_JWK, "blocked.example.com", NULL, key);
	struct error err = {0};

	assert_int_equal(afx_revoke_mtls(f, c, 1, &err), 0);
	X509_free(c);
	return key;
}

static X509_REQ *rekey_csr(struct afx *f, enum new_key k, EVP_PKEY **key)
{
	static const enum afx_key kinds[] = {[NEW_P384] = AFX_P384,
					     [NEW_RSA1024] = AFX_RSA1024,
					     [NEW_P224] = AFX_P224,
					     [NEW_BAD_SIGNATURE] = AFX_P256};

	*key = k == NEW_BLOCKED ? blocked_key(f) : afx_key(kinds[k]);
	return afx_csr(*key, "", NULL, k == NEW_BAD_SIGNATURE);
}

static char *row_renew_token(struct afx *f, const struct renew_row *r, X509 *peer, EVP_PKEY *key)
{
	STACK_OF(X509) * chain;
	EVP_PKEY *other = NULL;
	char *tok;

	if (r->how == TOKEN_GARBAGE)
		return xstrdup("x.y.z");
	chain = afx_chain(f, peer);
	/* jws_sign refuses an RSA 1024 key; the authority refuses the chain before the
	 * signature anyway. */
	if (r->how == TOKEN_OTHER_KEY || r->peer == PEER_RSA1024)
		other = afx_key(AFX_P256);
	tok = afx_renew_token(chain, other != NULL ? other : key, r->claims);
	if (r->how == TOKEN_BAD_SIG) {
		char *mid = strrchr(tok, '.') + 10;
		*mid = *mid == 'A' ? 'B' : 'A';
	}
	EVP_PKEY_free(other);
	sk_X509_pop_free(chain, X509_free);
	return tok;
}

static void run_renew_row(struct afx *f, const struct renew_row *r)
{
	EVP_PKEY *key = NULL, *new_key = NULL;
	X509 *peer = afx_peer(f, r->peer, &key);
	char *serial = peer != NULL ? cert_serial_decimal(peer) : NULL;
	struct renew_request req = {0};
	struct issued out = {0};
	struct error err = {0};

	if (r->how == MTLS || r->how == MTLS_UNVERIFIED) {
		req.peer = peer;
		req.peer_verified = r->how == MTLS;
	} else if (r->how != NOTHING) {
		req.bearer_token = row_renew_token(f, r, peer, key);
	}
	if (r->rekey != SAME_KEY)
		req.csr = rekey_csr(f, r->rekey, &new_key);
	if (r->replay && authority_renew(f->a, &req, &out, &err) != 0)
		afx_fail("%s: the first use failed: %s", r->name, err.msg);
	issued_free(&out);
	err = (struct error){0};
	if (afx_check(r->name, authority_renew(f->a, &req, &out, &err), &err, &r->want, serial,
		      NULL) &&
	    r->want.kind == ERR_NONE) {
		afx_check_cert(f, r->name, issued_leaf(&out), new_key != NULL ? new_key : key,
			       &r->cert);
		if (strcmp(out.serial, serial) == 0 ||
		    strcmp(out.provisioner, r->cert.prov != NULL ? r->cert.prov : "") != 0 ||
		    strcmp(out.subject, FOO) != 0)
			afx_fail("%s: serial %s (old %s), provisioner %s, subject %s", r->name,
				 out.serial, serial, out.provisioner, out.subject);
	}
	issued_free(&out);
	free((char *)req.bearer_token);
	X509_REQ_free(req.csr);
	X509_free(peer);
	EVP_PKEY_free(key);
	EVP_PKEY_free(new_key);
	free(serial);
}

static void test_renew_rules(void **state)
{
	for (size_t i = 0; i < sizeof(renew_rows) / sizeof(renew_rows[0]); i++)
		run_renew_row(*state, &renew_rows[i]);
	afx_done();
}

/* --- Kyma ---------------------------------------------------------------------------------- */

enum csr_subject {
	SUBJ_SAME = 0, /* CN=foo.example.com */
	SUBJ_OTHER_CN, /* CN=bar.example.com */
	SUBJ_NO_CN,
	SUBJ_EXTRA_ORG, /* O=Acme, CN=foo.example.com */
	SUBJ_EXTRA_OU,	/* OU=Ops, CN=foo.example.com */
};

struct kyma_row {
	const char *name;
	enum afx_peer peer;
	enum csr_subject subject;
	enum new_key key; /* SAME_KEY here means a fresh P-256 key */
	/* want.wire is Kyma's "error" member: the message when exposed, else step's text */
	struct afx_expect want;
	struct afx_cert cert;
};

#define K400(m)                                                                                    \
	{                                                                                          \
		ERR_INVALID, 400, true, m, m                                                       \
	}

static const struct kyma_row kyma_rows[] = {
    {"the same subject, a new key", .cert = RENEWED(DAY1M, AFX_JWK)},
    {"a subject with O", .peer = PEER_ORG, .subject = SUBJ_EXTRA_ORG,
     .cert = {"CN=" FOO ",O=Acme", "DNS:" FOO, DAY1M, AFX_JWK, 1, AFX_KID, KU_EC}},
    {"another CN", .subject = SUBJ_OTHER_CN, .want = K400("CSR: Invalid CName provided.")},
    {"no CN", .subject = SUBJ_NO_CN, .want = K400("CSR: No CName provided.")},
    {"an extra organization", .subject = SUBJ_EXTRA_ORG,
     .want = K400("CSR: Invalid organization provided.")},
    {"an extra organizational unit", .subject = SUBJ_EXTRA_OU,
     .want = K400("CSR: Invalid organizational unit provided.")},
    {"the certificate's organization missing", .peer = PEER_ORG,
     .want = K400("CSR: No organization provided.")},
    {"a revoked certificate", .peer = PEER_REVOKED,
     .want = {ERR_FORBIDDEN, 403, true, "Certificate has been revoked",
	      "Certificate has been revoked"}},
    {"a revoked certificate and a bad CSR: revoked first", .peer = PEER_REVOKED,
     .key = NEW_BAD_SIGNATURE,
     .want = {ERR_FORBIDDEN, 403, true, "Certificate has been revoked",
	      "Certificate has been revoked"}},
    {"a bad CSR signature", .key = NEW_BAD_SIGNATURE, .want = K400("CSR signature invalid")},
    {"an RSA 1024 key", .key = NEW_RSA1024,
     .want = K400("certificate request RSA key must be at least 2048 bits (256 bytes)")},
    {"a P-224 key", .key = NEW_P224,
     .want = K400("certificate request key: unsupported elliptic curve secp224r1 " ALLOWED)},
    {"a key revoked for keyCompromise", .key = NEW_BLOCKED,
     .want = {ERR_FORBIDDEN, 403, true,
	      "the public key was revoked for key compromise and cannot be certified again",
	      "the public key was revoked for key compromise and cannot be certified again"}},
    {"an expired certificate", .peer = PEER_EXPIRED, .want = E401_SHOWN(EXPIRED)},
    {"disableRenewal", .peer = PEER_NORENEW,
     .want = {ERR_UNAUTHORIZED, 401, false, "renew is disabled for provisioner \"norenew@test\"",
	      AFX_GENERIC_401}},
};

/* A CSR of key with the row's subject. */
static X509_REQ *kyma_csr(const struct kyma_row *r, EVP_PKEY *key)
{
	X509_REQ *csr = afx_csr(key,
				r->subject == SUBJ_OTHER_CN ? "bar.example.com"
				: r->subject == SUBJ_NO_CN  ? ""
							    : FOO,
				NULL, false);
	X509_NAME *name = X509_REQ_get_subject_name(csr);

	if (r->subject == SUBJ_EXTRA_ORG || r->subject == SUBJ_EXTRA_OU) {
		X509_NAME_add_entry_by_txt(
		    name, r->subject == SUBJ_EXTRA_ORG ? "O" : "OU", MBSTRING_UTF8,
		    (const unsigned char *)(r->subject == SUBJ_EXTRA_ORG ? "Acme" : "Ops"), -1, 0,
		    0);
		assert_int_not_equal(X509_REQ_sign(csr, key, EVP_sha256()), 0);
	}
	if (r->key == NEW_BAD_SIGNATURE) {
		const ASN1_BIT_STRING *sig = NULL;
		X509_REQ_get0_signature(csr, &sig, NULL);
		((ASN1_BIT_STRING *)sig)->data[sig->length / 2] ^= 0x55;
	}
	return csr;
}

static void run_kyma_row(struct afx *f, const struct kyma_row *r)
{
	EVP_PKEY *key = NULL, *new_key = r->key == NEW_BLOCKED	 ? blocked_key(f)
					 : r->key == NEW_RSA1024 ? afx_key(AFX_RSA1024)
					 : r->key == NEW_P224	 ? afx_key(AFX_P224)
								 : afx_key(AFX_P256);
	X509 *peer = afx_peer(f, r->peer, &key);
	X509_REQ *csr = kyma_csr(r, new_key);
	struct issued out = {0};
	struct error err = {0};
	int rc = authority_kyma_renew(f->a, peer, csr, &out, &err);
	struct afx_expect want = r->want;

	want.wire = NULL; /* Kyma's body is not step's: checked below */
	if (afx_check(r->name, rc, &err, &want, NULL, NULL) && rc != 0) {
		/* what the Kyma handler sends in "error" */
		char msg[ERR_MSG_MAX + 200];
		int status = http_error_map(&err, msg, sizeof(msg));
		if (err.expose && status < 500)
			snprintf(msg, sizeof(msg), "%s", err.msg);
		if (strcmp(msg, r->want.wire) != 0)
			afx_fail("%s: Kyma error: want \"%s\", got \"%s\"", r->name, r->want.wire,
				 msg);
	} else if (rc == 0) {
		afx_check_cert(f, r->name, issued_leaf(&out), new_key, &r->cert);
	}
	issued_free(&out);
	X509_REQ_free(csr);
	X509_free(peer);
	EVP_PKEY_free(key);
	EVP_PKEY_free(new_key);
}

static void test_kyma_rules(void **state)
{
	for (size_t i = 0; i < sizeof(kyma_rows) / sizeof(kyma_rows[0]); i++)
		run_kyma_row(*state, &kyma_rows[i]);
	afx_done();
}

/* A Kyma renewal without a CSR is a 400, not a crash: the subject is read after the check. */
static void test_kyma_without_csr(void **state)
{
	struct afx *f = *state;
	EVP_PKEY *key = NULL;
	X509 *peer = afx_peer(f, 0, &key);
	struct issued out = {0};
	struct error err = {0};

	assert_int_equal(authority_kyma_renew(f->a, peer, NULL, &out, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, "missing csr");
	X509_free(peer);
	EVP_PKEY_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_renew_rules, afx_setup, afx_teardown),
	    cmocka_unit_test_setup_teardown(test_kyma_rules, afx_setup, afx_teardown),
	    cmocka_unit_test_setup_teardown(test_kyma_without_csr, afx_setup, afx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
