/* test_authority_rules.c - the rules of POST /sign, table-driven, in-process against the
 * authority over a SQLite store: each row is one request with what is altered (token claims and
 * header, CSR, validity, template data) and the exact outcome (error kind, HTTP status, exposed
 * or not, message and the message on the wire, which the e2e tests assert too), or for a
 * success the exact certificate fields. Renewal, rekey and Kyma are in
 * test_authority_renew.c, revocation in test_authority_revoke.c. */
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
#include "base/b64.h"
#include "base/duration.h"
#include "base/str.h"
#include "crypto/cert.h"

#define FOO "foo.example.com"
/* The detail of a 401 stays in the log: the client reads step-ca's generic text. */
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
#define NOT_FOUND(aud) E401("provisioner not found or invalid audience (" aud ")")
#define ALLOWED	       "(allowed: P-256, P-384, P-521, Ed25519, RSA >= 2048 bits)"
#define KU_EC	       "Digital Signature"
#define KU_RSA	       "Digital Signature, Key Encipherment"
#define DAY	       86400
/* A leaf of jwk@test for foo.example.com: 24h and the 1m backdate. */
#define JWK_FOO(ku)                                                                                \
	{                                                                                          \
		"CN=" FOO, "DNS:" FOO, DAY + 60, AFX_JWK, 1, AFX_KID, ku                           \
	}
#define X5C_FOO(len)                                                                               \
	{                                                                                          \
		"CN=" FOO, "DNS:" FOO, len, "x5c", 7, "", KU_EC                                    \
	}

enum tok {
	TOK_JWK = 0,	 /* a token of the JWK provisioner (iss) */
	TOK_OTHER_KEY,	 /* the same, signed by another key */
	TOK_BAD_SIG,	 /* the same, one signature character changed */
	TOK_ALG_NONE,	 /* the same claims, "alg":"none", no signature */
	TOK_RAW,	 /* raw */
	TOK_X5C,	 /* an X5C token, its certificate valid 2000-2099 */
	TOK_X5C_SHORT,	 /* ... its certificate ending in 1 hour */
	TOK_X5C_EXPIRED, /* ... its certificate expired in 2001 */
	TOK_X5C_FOREIGN, /* ... its certificate from another CA */
};

enum prior {
	PRIOR_NONE = 0,
	PRIOR_USED,   /* the token was used once before, successfully */
	PRIOR_FAILED, /* the token was used once before with a CSR whose signature is bad */
};

struct sign_row {
	const char *name;
	enum tok tok;
	const char *prov;   /* iss of a JWK token; NULL = jwk@test */
	const char *header; /* merge patch of the token header */
	const char *claims; /* merge patch of the token payload (after the times) */
	int nbf, iat, exp;  /* offsets from now in seconds (exp: 0 = +300) */
	const char *raw;    /* TOK_RAW */
	enum prior prior;
	enum afx_key key; /* the CSR's */
	const char *cn;	  /* the CSR's CN: NULL = foo.example.com, "" = none */
	const char *sans; /* the CSR's SANs (comma list) or NULL */
	bool bad_csr_signature;
	bool no_csr;
	const char *not_before, *not_after;
	const char *template_data;
	struct afx_expect want;
	struct afx_cert cert;	 /* success */
	bool ends_with_x5c_cert; /* success: notAfter = the X5C certificate's */
};

static const struct sign_row sign_rows[] = {
    /* --- successes ---------------------------------------------------------------------- */
    {"a valid token, P-256", .cert = JWK_FOO(KU_EC)},
    {"P-384", .key = AFX_P384, .cert = JWK_FOO(KU_EC)},
    {"P-521", .key = AFX_P521, .cert = JWK_FOO(KU_EC)},
    {"Ed25519", .key = AFX_ED25519, .cert = JWK_FOO(KU_EC)},
    {"RSA 2048: keyEncipherment too", .key = AFX_RSA2048, .cert = JWK_FOO(KU_RSA)},
    {"every SAN type, grouped by type as Go does",
     .claims = "{\"sans\":[\"foo.example.com\",\"10.0.0.7\",\"ops@example.com\","
	       "\"spiffe://example.com/x\"]}",
     .sans = "spiffe://example.com/x,ops@example.com,10.0.0.7,foo.example.com",
     .cert = {"CN=" FOO,
	      "DNS:foo.example.com, email:ops@example.com, IP Address:10.0.0.7, "
	      "URI:spiffe://example.com/x",
	      DAY + 60, AFX_JWK, 1, AFX_KID, KU_EC}},
    {"the SANs of each type as a set (other order)",
     .claims = "{\"sans\":[\"evil.example.com\",\"foo.example.com\"]}",
     .sans = "foo.example.com,evil.example.com",
     .cert = {"CN=" FOO, "DNS:evil.example.com, DNS:foo.example.com", DAY + 60, AFX_JWK, 1, AFX_KID,
	      KU_EC}},
    {"a CSR without CN takes the token's", .cn = "", .cert = JWK_FOO(KU_EC)},
    {"the CN may be any of the token's SANs", .claims = "{\"sans\":[\"a.example.com\"]}",
     .cn = "a.example.com",
     .cert = {"CN=" FOO, "DNS:a.example.com", DAY + 60, AFX_JWK, 1, AFX_KID, KU_EC}},
    {"no sans claim: [sub]", .claims = "{\"sans\":null}", .cert = JWK_FOO(KU_EC)},
    {"an empty sans claim: [sub]", .claims = "{\"sans\":[]}", .cert = JWK_FOO(KU_EC)},
    {"the audience's port is ignored", .claims = "{\"aud\":\"https://ca.fuzz.test:1/sign\"}",
     .cert = JWK_FOO(KU_EC)},
    {"an audience array with an IP",
     .claims = "{\"aud\":[\"https://x.invalid/sign\","
	       "\"https://127.0.0.1/1.0/sign\"]}",
     .cert = JWK_FOO(KU_EC)},
    {"the legacy audience", .claims = "{\"aud\":\"step-certificate-authority\"}",
     .cert = JWK_FOO(KU_EC)},
    {"expired within the 1m leeway", .exp = -30, .cert = JWK_FOO(KU_EC)},
    {"nbf within the leeway", .nbf = 30, .cert = JWK_FOO(KU_EC)},
    {"no jti", .claims = "{\"jti\":null,\"row\":1}", .cert = JWK_FOO(KU_EC)},
    {"notAfter 47h", .not_after = "47h",
     .cert = {"CN=" FOO, "DNS:" FOO, 47 * 3600 + 60, AFX_JWK, 1, AFX_KID, KU_EC}},
    {"notAfter 1h", .not_after = "1h",
     .cert = {"CN=" FOO, "DNS:" FOO, 3600 + 60, AFX_JWK, 1, AFX_KID, KU_EC}},
    {"notBefore set: no backdate, notAfter from it", .not_before = "1h", .not_after = "2h",
     .cert = {"CN=" FOO, "DNS:" FOO, 2 * 3600, AFX_JWK, 1, AFX_KID, KU_EC}},
    {"the provisioner's default duration", .prov = "twohours@test",
     .cert = {"CN=" FOO, "DNS:" FOO, 2 * 3600 + 60, "twohours@test", 1, AFX_KID, KU_EC}},
    {"templateData is ignored",
     .template_data = "{\"foo\":\"bar\",\"subject\":{\"country\":"
		      "\"XX\"}}",
     .cert = JWK_FOO(KU_EC)},
    {"X5C", .tok = TOK_X5C, .cert = X5C_FOO(DAY + 60)},
    {"X5C: the certificate ends with the token's", .tok = TOK_X5C_SHORT, .cert = X5C_FOO(0),
     .ends_with_x5c_cert = true},

    /* --- the token ------------------------------------------------------------------------ */
    {"not a token", .tok = TOK_RAW, .raw = "not.a.token",
     .want = E401("error parsing token: invalid token: signature is not valid base64url")},
    {"alg none", .tok = TOK_ALG_NONE,
     .want = E401("error parsing token: invalid token: algorithm \"none\" does not match the "
		  "key (ES256)")},
    {"a bad signature", .tok = TOK_BAD_SIG,
     .want = E401("error parsing token: invalid token signature")},
    {"signed by another key with our kid", .tok = TOK_OTHER_KEY,
     .want = E401("error parsing token: invalid token signature")},
    {"an unknown kid", .header = "{\"kid\":\"unknown\"}",
     .want = NOT_FOUND(AFX_AUDIENCE "/1.0/sign")},
    {"an unknown provisioner (iss)", .prov = "mallory",
     .want = NOT_FOUND(AFX_AUDIENCE "/1.0/sign")},
    {"a wrong issuer for the provisioner of the fragment",
     .claims =
	 "{\"iss\":\"mallory\",\"aud\":\"" AFX_AUDIENCE "/1.0/sign#" AFX_JWK ":" AFX_KID "\"}",
     .want = E401("invalid issuer claim (iss)")},
    {"a wrong audience host", .claims = "{\"aud\":\"https://evil.example.com/1.0/sign\"}",
     .want = NOT_FOUND("https://evil.example.com/1.0/sign")},
    {"a JWK token whose audience has a fragment (JWK audiences have none)",
     .claims = "{\"aud\":\"" AFX_AUDIENCE "/1.0/sign#" AFX_JWK ":" AFX_KID "\"}",
     .want = E401("invalid audience claim (aud)")},
    {"the revoke audience on /sign", .claims = "{\"aud\":\"" AFX_AUDIENCE "/1.0/revoke\"}",
     .want = E401("invalid audience claim (aud)")},
    {"no audience", .claims = "{\"aud\":null}", .want = NOT_FOUND("")},
    {"an expired token", .exp = -120, .want = E401("token is expired (exp)")},
    {"a token not valid yet", .nbf = 300, .exp = 600, .want = E401("token not valid yet (nbf)")},
    {"issued in the future", .iat = 300, .want = E401("token issued in the future (iat)")},
    {"issued before the CA started", .iat = -3600, .nbf = -60,
     .want = E401("token issued before the bootstrap of certificate authority")},
    {"no exp", .claims = "{\"exp\":null}", .want = E401("invalid expiration claim (exp)")},
    {"exp not a number", .claims = "{\"exp\":\"soon\"}",
     .want = E401("invalid expiration claim (exp)")},
    {"an empty subject", .claims = "{\"sub\":\"\"}", .want = E401("subject cannot be empty")},
    {"sans not an array", .claims = "{\"sans\":\"foo.example.com\"}",
     .want = E401("invalid sans claim")},
    {"a jti that is a number", .claims = "{\"jti\":123}",
     .want = E401("invalid token id claim (jti)")},
    {"a jti that is an object", .claims = "{\"jti\":{\"a\":1}}",
     .want = E401("invalid token id claim (jti)")},
    {"a crit header (RFC 7515 4.1.11)", .header = "{\"crit\":[\"exp\"],\"exp\":1}",
     .want = E401("error parsing token: invalid token: unsupported critical header parameter "
		  "(crit)")},
    {"a replayed token", .prior = PRIOR_USED, .want = E401("token already used")},
    {"a replayed token without jti", .claims = "{\"jti\":null,\"row\":2}", .prior = PRIOR_USED,
     .want = E401("token already used")},
    {"a token used by a failed request", .prior = PRIOR_FAILED, .want = E401("token already used")},
    {"an ACME provisioner's token", .claims = "{\"aud\":\"" AFX_AUDIENCE "/1.0/sign#acme/acme\"}",
     .want = E400("token flow is not supported")},
    {"a bad token is reported before a bad CSR", .tok = TOK_BAD_SIG, .bad_csr_signature = true,
     .want = E401("error parsing token: invalid token signature")},
    {"X5C: a certificate of another CA", .tok = TOK_X5C_FOREIGN,
     .want = E401("invalid certificate chain: unable to get local issuer certificate")},
    {"X5C: an expired certificate", .tok = TOK_X5C_EXPIRED,
     .want = E401("invalid certificate chain: certificate has expired")},
    {"X5C: without the provisioner in the audience", .tok = TOK_X5C,
     .claims = "{\"aud\":\"" AFX_AUDIENCE "/1.0/sign\"}",
     .want = NOT_FOUND(AFX_AUDIENCE "/1.0/sign")},

    /* --- the CSR -------------------------------------------------------------------------- */
    {"a CN not in the token", .cn = "bar.example.com",
     .want = E403("certificate request does not contain the valid common name - got "
		  "bar.example.com, want [foo.example.com foo.example.com]")},
    {"X5C: a CN other than the subject", .tok = TOK_X5C,
     .claims = "{\"sans\":[\"foo.example.com\",\"alt.example.com\"]}", .cn = "alt.example.com",
     .want = E403("certificate request does not contain the valid common name - got "
		  "alt.example.com, want foo.example.com")},
    {"an extra DNS name", .sans = "foo.example.com,evil.example.com",
     .want = E403("certificate request does not contain the valid DNS names - got "
		  "[foo.example.com evil.example.com], want [foo.example.com]")},
    {"an IP the token lacks", .sans = "10.1.2.3",
     .want = E403("certificate request does not contain the valid IP addresses - got "
		  "[10.1.2.3], want []")},
    {"an email the token lacks", .sans = "ops@example.com",
     .want = E403("certificate request does not contain the valid email addresses - got "
		  "[ops@example.com], want []")},
    {"a URI the token lacks", .sans = "spiffe://example.com/x",
     .want = E403("certificate request does not contain the valid URIs - got "
		  "[spiffe://example.com/x], want []")},
    {"a cnf fingerprint that does not match", .claims = "{\"cnf\":{\"x5rt#S256\":\"AAAA\"}}",
     .want = E403("certificate request fingerprint does not match \"AAAA\"")},
    {"RSA 1024 (403, as step-ca)", .key = AFX_RSA1024,
     .want = E403("certificate request RSA key must be at least 2048 bits (256 bytes)")},
    {"P-224", .key = AFX_P224,
     .want = E400("certificate request key: unsupported elliptic curve secp224r1 " ALLOWED)},
    {"secp256k1", .key = AFX_K256,
     .want = E400("certificate request key: unsupported elliptic curve secp256k1 " ALLOWED)},
    {"a bad CSR signature", .bad_csr_signature = true, .want = E400("invalid csr")},
    {"no CSR", .no_csr = true, .want = E400("missing csr")},

    /* --- validity (jwk@test: 1m to 48h) ----------------------------------------------------- */
    {"over the maximum", .not_after = "48h1s",
     .want = E403("requested duration of 48h1m1s is more than the authorized maximum "
		  "certificate duration of 48h1m0s")},
    {"under the minimum", .not_before = "-0s", .not_after = "30s",
     .want = E403("requested duration of 30s is less than the authorized minimum certificate "
		  "duration of 1m0s")},
    {"notAfter in the past", .not_before = "2020-01-01T00:00:00Z",
     .not_after = "2020-01-02T00:00:00Z",
     .want = E400("notAfter cannot be in the past; na=2020-01-02 00:00:00 +0000 UTC")},
    {"notAfter before notBefore", .not_before = "2099-01-02T00:00:00Z",
     .not_after = "2099-01-01T00:00:00Z",
     .want = E400("notAfter cannot be before notBefore; na=2099-01-01 00:00:00 +0000 UTC, "
		  "nb=2099-01-02 00:00:00 +0000 UTC")},
    {"notBefore not a time (the server's decoder refuses it first)", .not_before = "yesterday",
     .want = E400("invalid notBefore: failed to parse yesterday")},
    {"notAfter not a time", .not_after = "tomorrow",
     .want = E400("invalid notAfter: failed to parse tomorrow")},
    {"X5C: notAfter after the certificate's", .tok = TOK_X5C, .not_after = "2099-06-01T00:00:00Z",
     .want = E403("requested notAfter (2099-06-01 00:00:00 +0000 UTC) is after the x5c "
		  "certificate's notAfter (2099-01-01 00:00:00 +0000 UTC)")},
};

#define Y2000 INT64_C(946684800)
#define Y2001 INT64_C(978307200)
#define Y2099 INT64_C(4070908800)

/* The X5C token of a row: its certificate (*x5c_cert, owned) signs it. */
static char *x5c_token(struct afx *f, const struct sign_row *r, json_t *payload, X509 **x5c_cert)
{
	EVP_PKEY *key = afx_key(AFX_P256);
	int64_t now = (int64_t)time(NULL);
	struct afx_forge spec = {
	    .cn = "x5c.example.com",
	    .key = key,
	    .not_before_ns = Y2000 * AFX_SEC,
	    .not_after_ns = (r->tok == TOK_X5C_SHORT	 ? now + 3600
			     : r->tok == TOK_X5C_EXPIRED ? Y2001
							 : Y2099) *
			    AFX_SEC,
	    .prov = AFX_JWK,
	    .foreign = r->tok == TOK_X5C_FOREIGN,
	};
	X509 *cert = afx_forge(f, &spec);
	STACK_OF(X509) *chain = afx_chain(f, cert);
	json_t *h = json_pack("{s:s, s:o}", "typ", "JWT", "x5c", afx_x5c(chain));
	char *tok;

	json_object_set_new(payload, "iss", json_string("x5c"));
	json_object_set_new(payload, "aud", json_string(AFX_AUDIENCE "/1.0/sign#x5c/x5c"));
	if (r->claims != NULL)
		afx_patch(payload, r->claims);
	tok = afx_jwt(key, h, payload);
	json_decref(h);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);
	*x5c_cert = cert;
	return tok;
}

/* The row's token; *x5c_cert (owned) is the X5C certificate, if any. */
static char *row_token(struct afx *f, const struct sign_row *r, X509 **x5c_cert)
{
	json_int_t now = (json_int_t)time(NULL);
	json_t *h = json_pack("{s:s, s:s}", "kid", AFX_KID, "typ", "JWT");
	json_t *p =
	    afx_claims(r->prov != NULL ? r->prov : AFX_JWK, AFX_AUDIENCE "/1.0/sign", FOO, NULL);
	EVP_PKEY *other = NULL;
	char *tok = NULL;

	*x5c_cert = NULL;
	json_object_set_new(p, "nbf", json_integer(now + r->nbf));
	json_object_set_new(p, "iat", json_integer(now + r->iat));
	json_object_set_new(p, "exp", json_integer(now + (r->exp != 0 ? r->exp : 300)));
	if (r->header != NULL)
		afx_patch(h, r->header);
	switch (r->tok) {
	case TOK_RAW:
		tok = xstrdup(r->raw);
		break;
	case TOK_X5C:
	case TOK_X5C_SHORT:
	case TOK_X5C_EXPIRED:
	case TOK_X5C_FOREIGN:
		tok = x5c_token(f, r, p, x5c_cert);
		break;
	case TOK_ALG_NONE: {
		char *hs, *ps, *hb, *pb;
		if (r->claims != NULL)
			afx_patch(p, r->claims);
		json_object_set_new(h, "alg", json_string("none"));
		hs = json_dumps(h, JSON_COMPACT);
		ps = json_dumps(p, JSON_COMPACT);
		hb = b64url_encode(hs, strlen(hs));
		pb = b64url_encode(ps, strlen(ps));
		tok = xasprintf("%s.%s.", hb, pb);
		free(hs);
		free(ps);
		free(hb);
		free(pb);
		break;
	}
	default:
		if (r->claims != NULL)
			afx_patch(p, r->claims);
		if (r->tok == TOK_OTHER_KEY)
			other = afx_key(AFX_P256);
		tok = afx_jwt(other != NULL ? other : f->prov_key, h, p);
		if (r->tok == TOK_BAD_SIG) {
			char *mid = strrchr(tok, '.') + 10;
			*mid = *mid == 'A' ? 'B' : 'A';
		}
		break;
	}
	EVP_PKEY_free(other);
	json_decref(h);
	json_decref(p);
	return tok;
}

/* One use of tok with a fresh P-256 CSR for foo.example.com (bad_signature: a bad one). */
static int use_token(struct afx *f, const char *tok, bool bad_signature, struct error *err)
{
	EVP_PKEY *key = afx_key(AFX_P256);
	X509_REQ *csr = afx_csr(key, FOO, NULL, bad_signature);
	struct sign_request req = {.csr = csr, .ott = tok};
	struct issued out = {0};
	int rc = authority_sign(f->a, &req, &out, err);

	issued_free(&out);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	return rc;
}

static void run_sign_row(struct afx *f, const struct sign_row *r, struct strv *serials)
{
	X509 *x5c_cert = NULL;
	char *tok = row_token(f, r, &x5c_cert);
	EVP_PKEY *key = afx_key(r->key);
	X509_REQ *csr =
	    r->no_csr ? NULL
		      : afx_csr(key, r->cn != NULL ? r->cn : FOO, r->sans, r->bad_csr_signature);
	json_t *td = r->template_data != NULL ? json_loads(r->template_data, 0, NULL) : NULL;
	struct sign_request req = {.csr = csr,
				   .ott = tok,
				   .not_before = r->not_before,
				   .not_after = r->not_after,
				   .template_data = td};
	struct issued out = {0};
	struct error err = {0};
	int64_t t0, t1;
	int rc;

	if (r->prior != PRIOR_NONE) {
		int prior = use_token(f, tok, r->prior == PRIOR_FAILED, &err);
		if (prior != (r->prior == PRIOR_USED ? 0 : -1))
			afx_fail("%s: the first use returned %d (%s)", r->name, prior, err.msg);
		err = (struct error){0};
	}
	t0 = time_now_ns() / AFX_SEC; /* the authority's clock: time() may lag it by a tick */
	rc = authority_sign(f->a, &req, &out, &err);
	t1 = time_now_ns() / AFX_SEC;
	afx_check(r->name, rc, &err, &r->want, NULL, NULL);
	if (rc == 0) {
		char *serial = cert_serial_decimal(issued_leaf(&out));
		int64_t nb = cert_not_before_ns(issued_leaf(&out)) / AFX_SEC;
		afx_check_cert(f, r->name, issued_leaf(&out), key, &r->cert);
		assert_string_equal(out.serial, serial);
		if (strv_contains(serials, serial))
			afx_fail("%s: serial %s issued twice", r->name, serial);
		strv_push(serials, serial);
		if (strcmp(out.subject, FOO) != 0 || strcmp(out.provisioner, r->cert.prov) != 0 ||
		    out.chain != authority_intermediates(f->a))
			afx_fail("%s: issued: subject %s, provisioner %s", r->name, out.subject,
				 out.provisioner);
		/* notBefore: now minus the backdate, or the requested time */
		if (r->not_before == NULL && (nb < t0 - 60 || nb > t1 - 60))
			afx_fail("%s: notBefore %lld not in [%lld, %lld]", r->name, (long long)nb,
				 (long long)(t0 - 60), (long long)(t1 - 60));
		if (r->ends_with_x5c_cert &&
		    cert_not_after_ns(issued_leaf(&out)) != cert_not_after_ns(x5c_cert))
			afx_fail("%s: notAfter is not the X5C certificate's", r->name);
		free(serial);
	}
	issued_free(&out);
	json_decref(td);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	X509_free(x5c_cert);
	free(tok);
}

static void test_sign_rules(void **state)
{
	struct strv serials = {0};

	for (size_t i = 0; i < sizeof(sign_rows) / sizeof(sign_rows[0]); i++)
		run_sign_row(*state, &sign_rows[i], &serials);
	strv_free(&serials);
	afx_done();
}

/* authority.template completes the subject (in Go's RDN order, several values of one attribute
 * in one multi-valued RDN as pkix.Name writes them); templateData does not. */
static void test_sign_subject_template(void **state)
{
	static const struct sign_row rows[] = {
	    {"authority.template", .cert = {"CN=" FOO ",OU=Ops+OU=Dev,O=Stride Test,C=NZ",
					    "DNS:" FOO, DAY + 60, AFX_JWK, 1, AFX_KID, KU_EC}},
	    {"authority.template, templateData ignored",
	     .template_data = "{\"subject\":{\"organization\":\"Other\"}}",
	     .cert = {"CN=" FOO ",OU=Ops+OU=Dev,O=Stride Test,C=NZ", "DNS:" FOO, DAY + 60, AFX_JWK,
		      1, AFX_KID, KU_EC}},
	};
	struct afx *f = afx_new("{\"template\":{\"country\":\"NZ\",\"organization\":\"Stride "
				"Test\",\"organizationalUnit\":[\"Dev\",\"Ops\"]}}");
	struct strv serials = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_sign_row(f, &rows[i], &serials);
	strv_free(&serials);
	afx_free(f);
	afx_done();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_sign_rules, afx_setup, afx_teardown),
	    cmocka_unit_test(test_sign_subject_template),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
