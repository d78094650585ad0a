/* test_ocsp.c - the OCSP responder (src/ocsp/): ca.json's "ocsp" object, request parsing, the
 * fields of the answers and their signer, the cache and its invalidation by a revocation (also
 * one made by another instance on the same database), the AIA extension, the routing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "authority/authority.h"
#include "authority_fixture.h"
#include "base/duration.h"
#include "config/ca_config.h"
#include "ocsp/ocsp.h"
#include "server/router.h"

#define OCSP_DOC                                                                                   \
	"{\"db\":{\"type\":\"sqlite\",\"dataSource\":\"unused\"},"                                 \
	"\"ocsp\":{\"enabled\":true,\"url\":\"http://ocsp.test/ocsp\"}}"

/* --- ca.json's "ocsp" --------------------------------------------------------------------- */

static const struct {
	const char *ocsp;
	const char *msg; /* NULL: accepted */
} config_rows[] = {
    {"{}", NULL},
    {"{\"enabled\":true,\"path\":\"/pki/ocsp\",\"url\":\"https://ca.test/ocsp\","
     "\"validity\":\"4h\",\"responderValidity\":\"12h\"}",
     NULL},
    {"[]", "ocsp must be an object"},
    {"{\"enable\":true}",
     "ocsp.enable: unknown member; use enabled, path, url, validity or responderValidity"},
    {"{\"enabled\":\"yes\"}", "ocsp.enabled must be true or false"},
    {"{\"path\":\"ocsp\"}", "ocsp.path must be a path such as \"/ocsp\": \"/\" and at most 127 "
			    "letters, digits, '-', '.', '_', '~' or '/', not ending with '/'"},
    {"{\"path\":\"/ocsp/\"}", "ocsp.path must be a path such as \"/ocsp\": \"/\" and at most 127 "
			      "letters, digits, '-', '.', '_', '~' or '/', not ending with '/'"},
    {"{\"path\":\"/o?x\"}", "ocsp.path must be a path such as \"/ocsp\": \"/\" and at most 127 "
			    "letters, digits, '-', '.', '_', '~' or '/', not ending with '/'"},
    {"{\"url\":\"ldap://x/ocsp\"}",
     "ocsp.url must be an http:// or https:// URL with a host (at most 512 characters, no "
     "spaces), such as \"http://ca.example.com/ocsp\""},
    {"{\"url\":\"http:///ocsp\"}",
     "ocsp.url must be an http:// or https:// URL with a host (at most 512 characters, no "
     "spaces), such as \"http://ca.example.com/ocsp\""},
    {"{\"validity\":3600}", "ocsp.validity must be a duration string such as \"1h\""},
    {"{\"validity\":\"1x\"}", "ocsp.validity: time: unknown unit \"x\" in duration \"1x\""},
    {"{\"validity\":\"30s\"}", "ocsp.validity: 30s is out of range: use 1m0s to 168h0m0s"},
    {"{\"responderValidity\":\"1m\"}",
     "ocsp.responderValidity: 1m is out of range: use 10m0s to 2160h0m0s"},
    {"{\"validity\":\"9h\"}",
     "ocsp.validity (9h0m0s) must be at most a third of ocsp.responderValidity (24h0m0s)"},
};

static void test_config(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(config_rows) / sizeof(config_rows[0]); i++) {
		char *text = NULL;
		struct ca_config *cfg = NULL;
		struct error err = {0};
		int rc;

		if (asprintf(&text,
			     "{\"root\":\"r\",\"crt\":\"c\",\"key\":\"k\",\"address\":\":9000\","
			     "\"dnsNames\":[\"ca\"],\"db\":{\"type\":\"sqlite\",\"dataSource\":"
			     "\"x.db\"},\"authority\":{\"provisioners\":[]},\"ocsp\":%s}",
			     config_rows[i].ocsp) < 0)
			fail();
		rc = ca_config_parse(text, strlen(text), "ca.json", &cfg, &err);
		if (config_rows[i].msg == NULL) {
			if (rc != 0)
				fail_msg("row %zu: %s", i, err.msg);
		} else {
			char want[1024];
			snprintf(want, sizeof(want), "error parsing ca.json: %s",
				 config_rows[i].msg);
			assert_int_equal(rc, -1);
			assert_string_equal(err.msg, want);
		}
		ca_config_free(cfg);
		free(text);
	}
}

static void test_config_defaults_and_db(void **state)
{
	const char *base = "{\"root\":\"r\",\"crt\":\"c\",\"key\":\"k\",\"address\":\":9000\","
			   "\"dnsNames\":[\"ca\"],\"authority\":{\"provisioners\":[]}";
	char text[512];
	struct ca_config *cfg = NULL;
	struct error err = {0};
	(void)state;

	snprintf(text, sizeof(text), "%s,\"ocsp\":{\"url\":\"http://x/o\"}}", base);
	assert_int_equal(ca_config_parse(text, strlen(text), "ca.json", &cfg, &err), 0);
	assert_false(cfg->ocsp.enabled);
	assert_string_equal(cfg->ocsp.path, "/ocsp");
	assert_string_equal(cfg->ocsp.url, "http://x/o");
	assert_int_equal(cfg->ocsp.validity_ns, 3600 * AFX_SEC);
	assert_int_equal(cfg->ocsp.responder_validity_ns, 24 * 3600 * AFX_SEC);
	ca_config_free(cfg);
	snprintf(text, sizeof(text), "%s,\"ocsp\":{\"enabled\":true}}", base);
	assert_int_equal(ca_config_parse(text, strlen(text), "ca.json", &cfg, &err), -1);
	assert_string_equal(err.msg,
			    "error parsing ca.json: ocsp.enabled needs a database (\"db\"): "
			    "the responder answers from the stored certificates and "
			    "revocations");
}

/* --- requests ------------------------------------------------------------------------------- */

/* A request for n CertIDs of (issuer, serial) with SHA-1, a nonce when nonce_len > 0, and an
 * extra extension when crit_ext; DER malloc'd. */
static uint8_t *make_request(X509 *issuer, long serial, int n, int nonce_len, bool crit_ext,
			     size_t *len)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	unsigned char *der = NULL;
	uint8_t *out;
	int l;

	for (int i = 0; i < n; i++) {
		ASN1_INTEGER *sn = ASN1_INTEGER_new();
		OCSP_CERTID *id;

		ASN1_INTEGER_set(sn, serial + i);
		id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer),
				      X509_get0_pubkey_bitstr(issuer), sn);
		assert_non_null(OCSP_request_add0_id(req, id));
		ASN1_INTEGER_free(sn);
	}
	if (nonce_len > 0)
		assert_int_equal(OCSP_request_add1_nonce(req, NULL, nonce_len), 1);
	if (crit_ext) {
		ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
		X509_EXTENSION *ext;
		ASN1_OCTET_STRING_set(v, (const unsigned char *)"\x05\x00", 2);
		ext = X509_EXTENSION_create_by_NID(NULL, NID_id_pkix_OCSP_CrlID, 1, v);
		assert_int_equal(OCSP_REQUEST_add_ext(req, ext, -1), 1);
		X509_EXTENSION_free(ext);
		ASN1_OCTET_STRING_free(v);
	}
	l = i2d_OCSP_REQUEST(req, &der);
	assert_true(l > 0);
	out = malloc((size_t)l + 1);
	memcpy(out, der, (size_t)l);
	*len = (size_t)l;
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	return out;
}

static void expect_parse_error(const uint8_t *der, size_t len, const char *msg)
{
	OCSP_REQUEST *req = NULL;
	struct error err = {0};

	assert_int_equal(ocsp_request_parse(der, len, &req, &err), -1);
	assert_null(req);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, msg);
}

static void test_request_parse(void **state)
{
	struct afx *f = *state;
	OCSP_REQUEST *req = NULL;
	struct error err = {0};
	uint8_t *der, big[OCSP_REQUEST_MAX + 1] = {0};
	size_t len;

	der = make_request(f->ca_cert, 1000, 1, 16, false, &len);
	assert_int_equal(ocsp_request_parse(der, len, &req, &err), 0);
	assert_int_equal(OCSP_request_onereq_count(req), 1);
	OCSP_REQUEST_free(req);
	der[len] = 0;
	expect_parse_error(der, len + 1, "OCSP request has 1 bytes after its end");
	expect_parse_error(der, len - 1, "OCSP request is not a DER OCSPRequest");
	free(der);
	expect_parse_error(NULL, 0, "empty OCSP request");
	expect_parse_error((const uint8_t *)"garbage", 7, "OCSP request is not a DER OCSPRequest");
	expect_parse_error(big, sizeof(big), "OCSP request of 8193 bytes: at most 8192 are read");
	der = make_request(f->ca_cert, 1000, OCSP_MAX_ONEREQS, 0, false, &len);
	assert_int_equal(ocsp_request_parse(der, len, &req, &err), 0);
	OCSP_REQUEST_free(req);
	free(der);
	der = make_request(f->ca_cert, 1000, OCSP_MAX_ONEREQS + 1, 0, false, &len);
	expect_parse_error(der, len, "OCSP request with 17 certificates: 1 to 16 are answered");
	free(der);
	der = make_request(f->ca_cert, 1000, 0, 0, false, &len);
	expect_parse_error(der, len, "OCSP request with 0 certificates: 1 to 16 are answered");
	free(der);
	der = make_request(f->ca_cert, 1000, 1, 0, true, &len);
	expect_parse_error(der, len, "OCSP request has an unknown critical extension");
	free(der);
}

static void test_get_decode(void **state)
{
	struct error err = {0};
	uint8_t *der = NULL;
	size_t len = 0;
	(void)state;

	assert_int_equal(ocsp_get_decode("MAMCAQA%3D", 10, &der, &len, &err), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(der, "\x30\x03\x02\x01\x00", 5);
	free(der);
	assert_int_equal(ocsp_get_decode("MA+/", 4, &der, &len, &err), 0); /* '+' is base64 */
	assert_int_equal(len, 3);
	assert_memory_equal(der, "\x30\x0f\xbf", 3);
	free(der);
	assert_int_equal(ocsp_get_decode("%zz", 3, &der, &len, &err), -1);
	assert_string_equal(err.msg, "OCSP GET request has a bad percent escape");
	assert_null(der);
	assert_int_equal(ocsp_get_decode("", 0, &der, &len, &err), -1);
	assert_string_equal(err.msg, "OCSP GET request of 0 characters: 1 to 16384 are read");
	assert_int_equal(ocsp_get_decode("a!==", 4, &der, &len, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
}

/* --- answers ------------------------------------------------------------------------------- */

static int setup_ocsp(void **state)
{
	*state = afx_new_doc(NULL, OCSP_DOC);
	return 0;
}

static int teardown(void **state)
{
	afx_free(*state);
	return 0;
}

/* An answer parsed: the OCSPResponse's status, and its basic response when successful. */
static OCSP_BASICRESP *parse_answer(const uint8_t *der, size_t len, int *status)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs;

	assert_non_null(resp);
	assert_int_equal((size_t)(p - der), len);
	*status = OCSP_response_status(resp);
	bs = *status == OCSP_RESPONSE_STATUS_SUCCESSFUL ? OCSP_response_get1_basic(resp) : NULL;
	OCSP_RESPONSE_free(resp);
	return bs;
}

/* Asks r about cert with (md); checks the answer is signed by the delegated signer to the root
 * and returns its single status, reason and the answer's DER (*der, malloc'd). */
static int ask(struct afx *f, struct ocsp_responder *r, X509 *cert, const EVP_MD *md, bool nonce,
	       int *reason, uint8_t **der_out, size_t *len_out)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = OCSP_cert_to_id(md, cert, f->ca_cert);
	OCSP_BASICRESP *bs;
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE *store = X509_STORE_new();
	unsigned char *reqder = NULL;
	uint8_t *der;
	size_t len;
	int status, cs = -1, rlen, days, secs;

	assert_non_null(OCSP_request_add0_id(req, OCSP_CERTID_dup(id)));
	if (nonce)
		assert_int_equal(OCSP_request_add1_nonce(req, NULL, 16), 1);
	rlen = i2d_OCSP_REQUEST(req, &reqder);
	ocsp_answer(r, reqder, (size_t)rlen, &der, &len);
	bs = parse_answer(der, len, &status);
	assert_int_equal(status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
	/* signed by the delegated signer, which chains to the root through the intermediate */
	sk_X509_push(untrusted, f->ca_cert);
	X509_STORE_add_cert(store, sk_X509_value(authority_roots(f->a), 0));
	assert_int_equal(OCSP_basic_verify(bs, untrusted, store, 0), 1);
	assert_int_equal(OCSP_check_nonce(req, bs), nonce ? 1 : 2);
	assert_int_equal(OCSP_resp_count(bs), 1);
	assert_int_equal(OCSP_resp_find_status(bs, id, &cs, reason, &rev, &thisupd, &nextupd), 1);
	assert_non_null(nextupd);
	assert_int_equal(ASN1_TIME_diff(&days, &secs, thisupd, nextupd), 1);
	assert_int_equal(days * 86400 + secs, 3600);
	assert_int_equal(OCSP_check_validity(thisupd, nextupd, 300, -1), 1);
	*der_out = der;
	*len_out = len;
	sk_X509_free(untrusted);
	X509_STORE_free(store);
	OPENSSL_free(reqder);
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(bs);
	OCSP_REQUEST_free(req);
	return cs;
}

static struct ocsp_responder *responder(struct afx *f)
{
	struct ocsp_responder *r = NULL;
	struct error err = {0};

	if (ocsp_responder_new(f->a, &r, &err) != 0)
		fail_msg("%s", err.msg);
	assert_non_null(r);
	return r;
}

static void test_signer(void **state)
{
	struct afx *f = *state;
	struct ocsp_responder *r = responder(f);
	X509 *c = ocsp_responder_cert(r);
	char *eku = afx_ext_text(c, NID_ext_key_usage);
	char *ku = afx_ext_text(c, NID_key_usage);
	int64_t life;
	int days, secs;

	assert_string_equal(eku, "OCSP Signing");
	assert_string_equal(ku, "Digital Signature");
	assert_true(X509_get_ext_by_NID(c, NID_id_pkix_OCSP_noCheck, -1) >= 0);
	assert_int_equal(X509_get_ext_by_NID(c, NID_basic_constraints, -1), -1);
	assert_int_equal(X509_check_issued(f->ca_cert, c), X509_V_OK);
	assert_int_equal(
	    ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(c), X509_get0_notAfter(c)), 1);
	life = (int64_t)days * 86400 + secs;
	assert_int_equal(life, 24 * 3600 + 60); /* 24h from now, backdated a minute */
	free(eku);
	free(ku);
	{
		/* renewed at two thirds of its life: a new certificate and key, and the answers the
		 * old one signed are not served any more */
		EVP_PKEY *key = afx_key(AFX_P256);
		X509 *leaf = afx_issue(f, AFX_JWK, "a.example.com", NULL, key);
		uint8_t *d1, *d2;
		size_t l1, l2;
		uint64_t nsigned, ncached;
		int reason;
		X509 *c2;

		assert_int_equal(ask(f, r, leaf, EVP_sha1(), false, &reason, &d1, &l1),
				 V_OCSP_CERTSTATUS_GOOD);
		ocsp_responder_renew_soon(r);
		assert_int_equal(ask(f, r, leaf, EVP_sha1(), false, &reason, &d2, &l2),
				 V_OCSP_CERTSTATUS_GOOD); /* verified with the new signer */
		ocsp_responder_counts(r, &nsigned, &ncached);
		assert_int_equal(nsigned, 2);
		assert_int_equal(ncached, 0);
		c2 = ocsp_responder_cert(r);
		assert_int_not_equal(X509_cmp(c, c2), 0);
		assert_int_not_equal(EVP_PKEY_eq(X509_get0_pubkey(c), X509_get0_pubkey(c2)), 1);
		free(d1);
		free(d2);
		X509_free(c2);
		X509_free(leaf);
		EVP_PKEY_free(key);
	}
	X509_free(c);
	ocsp_responder_free(r);
}

/* A reload's new settings: the path changes (the old string stays readable for a request in
 * flight), the cached answers are dropped and a new responderValidity renews the signer. */
static void test_reconfigure(void **state)
{
	struct afx *f = *state;
	struct ocsp_responder *r = responder(f);
	const char *old_path = ocsp_responder_path(r);
	EVP_PKEY *key = afx_key(AFX_P256);
	X509 *leaf = afx_issue(f, AFX_JWK, "a.example.com", NULL, key);
	struct ca_ocsp next = {.enabled = true,
			       .path = "/pki/ocsp",
			       .validity_ns = 3600 * AFX_SEC,
			       .responder_validity_ns = 48 * 3600 * AFX_SEC};
	uint8_t *d[3];
	size_t l[3];
	uint64_t nsigned, ncached;
	int reason, days, secs;
	X509 *c1 = ocsp_responder_cert(r), *c2;

	assert_int_equal(ask(f, r, leaf, EVP_sha1(), false, &reason, &d[0], &l[0]),
			 V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(ask(f, r, leaf, EVP_sha1(), false, &reason, &d[1], &l[1]),
			 V_OCSP_CERTSTATUS_GOOD);
	ocsp_responder_counts(r, &nsigned, &ncached);
	assert_int_equal(ncached, 1);
	ocsp_responder_reconfigure(r, &next);
	assert_string_equal(ocsp_responder_path(r), "/pki/ocsp");
	assert_string_equal(old_path, "/ocsp");
	assert_int_equal(ask(f, r, leaf, EVP_sha1(), false, &reason, &d[2], &l[2]),
			 V_OCSP_CERTSTATUS_GOOD);
	ocsp_responder_counts(r, &nsigned, &ncached);
	assert_int_equal(nsigned, 2); /* not the cached answer */
	assert_int_equal(ncached, 1);
	c2 = ocsp_responder_cert(r);
	assert_int_not_equal(X509_cmp(c1, c2), 0);
	assert_int_equal(
	    ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(c2), X509_get0_notAfter(c2)), 1);
	assert_int_equal((int64_t)days * 86400 + secs, 48 * 3600 + 60);
	for (int i = 0; i < 3; i++)
		free(d[i]);
	X509_free(c1);
	X509_free(c2);
	X509_free(leaf);
	EVP_PKEY_free(key);
	ocsp_responder_free(r);
}

static void test_good_revoked_unknown(void **state)
{
	struct afx *f = *state;
	struct ocsp_responder *r = responder(f);
	EVP_PKEY *key = afx_key(AFX_P256);
	X509 *leaf = afx_issue(f, AFX_JWK, "a.example.com", NULL, key);
	EVP_PKEY *key2 = afx_key(AFX_P256); /* keyCompromise revokes every certificate of key */
	X509 *other = afx_issue(f, AFX_JWK, "b.example.com", NULL, key2);
	struct afx_forge spec = {.cn = "x.example.com",
				 .key = key,
				 .not_before_ns = time_now_ns() - 60 * AFX_SEC,
				 .not_after_ns = time_now_ns() + 3600 * AFX_SEC};
	X509 *forged = afx_forge(f, &spec);
	uint8_t *d1, *d2, *d3, *d4;
	size_t l1, l2, l3, l4;
	uint64_t nsigned, ncached;
	struct error err = {0};
	int reason;

	/* good, cached: the same bytes without signing again */
	assert_int_equal(ask(f, r, leaf, EVP_sha1(), false, &reason, &d1, &l1),
			 V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(ask(f, r, leaf, EVP_sha1(), false, &reason, &d2, &l2),
			 V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(l1, l2);
	assert_memory_equal(d1, d2, l1);
	ocsp_responder_counts(r, &nsigned, &ncached);
	assert_int_equal(nsigned, 1);
	assert_int_equal(ncached, 1);
	free(d2);
	/* SHA-256 CertIDs are another cache entry */
	assert_int_equal(ask(f, r, leaf, EVP_sha256(), false, &reason, &d2, &l2),
			 V_OCSP_CERTSTATUS_GOOD);
	free(d2);
	/* a nonce: signed every time */
	assert_int_equal(ask(f, r, leaf, EVP_sha1(), true, &reason, &d2, &l2),
			 V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(ask(f, r, leaf, EVP_sha1(), true, &reason, &d3, &l3),
			 V_OCSP_CERTSTATUS_GOOD);
	assert_true(l2 > l1);				  /* with the nonce echoed */
	assert_true(l2 != l3 || memcmp(d2, d3, l2) != 0); /* signed again */
	ocsp_responder_counts(r, &nsigned, &ncached);
	assert_int_equal(nsigned, 4);
	assert_int_equal(ncached, 1);
	free(d2);
	free(d3);

	/* a revocation shows at once: the cached good answer is not served */
	assert_int_equal(afx_revoke_mtls(f, leaf, 1 /* keyCompromise */, &err), 0);
	assert_int_equal(ask(f, r, leaf, EVP_sha1(), false, &reason, &d3, &l3),
			 V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
	assert_int_equal(ask(f, r, leaf, EVP_sha1(), false, &reason, &d4, &l4),
			 V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(l3, l4);
	assert_memory_equal(d3, d4, l3); /* the revoked answer is cached in turn */
	free(d3);
	free(d4);
	free(d1);
	/* the other certificate stays good; a forged one (never stored) is unknown */
	assert_int_equal(ask(f, r, other, EVP_sha1(), false, &reason, &d1, &l1),
			 V_OCSP_CERTSTATUS_GOOD);
	free(d1);
	assert_int_equal(ask(f, r, forged, EVP_sha1(), false, &reason, &d1, &l1),
			 V_OCSP_CERTSTATUS_UNKNOWN);
	free(d1);
	X509_free(leaf);
	X509_free(other);
	X509_free(forged);
	EVP_PKEY_free(key);
	EVP_PKEY_free(key2);
	ocsp_responder_free(r);
}

/* Another instance on the same database revokes: this one's next answer says so. */
static void test_revocation_by_another_instance(void **state)
{
	struct afx *f = *state;
	struct ocsp_responder *r = responder(f);
	struct authority *b = afx_another(f);
	EVP_PKEY *key = afx_key(AFX_P256);
	X509 *leaf = afx_issue(f, AFX_JWK, "a.example.com", NULL, key);
	char *serial = NULL;
	char *tok;
	struct error err = {0};
	uint8_t *d;
	size_t l;
	int reason;
	ASN1_INTEGER *sn = X509_get_serialNumber(leaf);
	BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
	char *dec = BN_bn2dec(bn);

	assert_int_equal(ask(f, r, leaf, EVP_sha1(), false, &reason, &d, &l),
			 V_OCSP_CERTSTATUS_GOOD);
	free(d);
	tok = afx_revoke_token(f, AFX_JWK, dec);
	{
		struct revoke_request rr = {
		    .serial = dec, .ott = tok, .reason_code = 4, .passive = true};
		if (authority_revoke(b, &rr, &serial, &err) != 0)
			fail_msg("%s", err.msg);
	}
	assert_int_equal(ask(f, r, leaf, EVP_sha1(), false, &reason, &d, &l),
			 V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(reason, OCSP_REVOKED_STATUS_SUPERSEDED);
	free(d);
	free(serial);
	free(tok);
	OPENSSL_free(dec);
	BN_free(bn);
	X509_free(leaf);
	EVP_PKEY_free(key);
	authority_free(b);
	ocsp_responder_free(r);
}

static void test_several_and_errors(void **state)
{
	struct afx *f = *state;
	struct ocsp_responder *r = responder(f);
	OCSP_BASICRESP *bs;
	uint8_t *req, *der;
	size_t len, dlen;
	int status;

	/* 3 unknown serials in one request: three answers */
	req = make_request(f->ca_cert, 77, 3, 0, false, &len);
	ocsp_answer(r, req, len, &der, &dlen);
	bs = parse_answer(der, dlen, &status);
	assert_int_equal(status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_int_equal(OCSP_resp_count(bs), 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(
		    OCSP_single_get0_status(OCSP_resp_get0(bs, i), NULL, NULL, NULL, NULL),
		    V_OCSP_CERTSTATUS_UNKNOWN);
	OCSP_BASICRESP_free(bs);
	free(der);
	/* malformed: an unsigned answer with the status only (RFC 6960 §2.3) */
	ocsp_answer(r, req, len - 1, &der, &dlen);
	assert_int_equal(dlen, 5);
	assert_memory_equal(der, "\x30\x03\x0a\x01\x01", 5);
	free(der);
	ocsp_answer(r, NULL, 0, &der, &dlen);
	assert_memory_equal(der, "\x30\x03\x0a\x01\x01", 5);
	free(der);
	free(req);
	ocsp_responder_free(r);
}

/* The staple of the server's own certificate (never stored): good, cached. */
static void test_staple(void **state)
{
	struct afx *f = *state;
	struct ocsp_responder *r = responder(f);
	EVP_PKEY *key = NULL;
	X509 *tls = NULL;
	struct error err = {0};
	uint8_t *d1, *d2;
	size_t l1, l2;
	int status, cs;
	OCSP_BASICRESP *bs;
	uint64_t nsigned, ncached;

	assert_int_equal(authority_mint_tls_cert(f->a, &key, &tls, &err), 0);
	assert_int_equal(ocsp_staple(r, tls, &d1, &l1, &err), 0);
	assert_int_equal(ocsp_staple(r, tls, &d2, &l2, &err), 0);
	assert_int_equal(l1, l2);
	assert_memory_equal(d1, d2, l1);
	ocsp_responder_counts(r, &nsigned, &ncached);
	assert_int_equal(nsigned, 1);
	assert_int_equal(ncached, 1);
	bs = parse_answer(d1, l1, &status);
	assert_int_equal(status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
	cs = OCSP_single_get0_status(OCSP_resp_get0(bs, 0), NULL, NULL, NULL, NULL);
	assert_int_equal(cs, V_OCSP_CERTSTATUS_GOOD);
	OCSP_BASICRESP_free(bs);
	free(d1);
	free(d2);
	X509_free(tls);
	EVP_PKEY_free(key);
	ocsp_responder_free(r);
}

/* --- AIA and disabled -------------------------------------------------------------------- */

static void test_aia(void **state)
{
	struct afx *f = *state;
	EVP_PKEY *key = afx_key(AFX_P256);
	X509 *leaf = afx_issue(f, AFX_JWK, "a.example.com", NULL, key);
	char *aia = afx_ext_text(leaf, NID_info_access);

	assert_string_equal(aia, "OCSP - URI:http://ocsp.test/ocsp");
	free(aia);
	X509_free(leaf);
	EVP_PKEY_free(key);
}

static void test_disabled(void **state)
{
	struct afx *f = afx_new(NULL);
	struct ocsp_responder *r = (void *)1;
	struct error err = {0};
	EVP_PKEY *key = afx_key(AFX_P256);
	X509 *leaf = afx_issue(f, AFX_JWK, "a.example.com", NULL, key);
	(void)state;

	assert_int_equal(ocsp_responder_new(f->a, &r, &err), 0);
	assert_null(r);
	/* without ocsp.url, no AIA extension: the leaves are as before */
	assert_int_equal(X509_get_ext_by_NID(leaf, NID_info_access, -1), -1);
	X509_free(leaf);
	EVP_PKEY_free(key);
	afx_free(f);
}

/* --- routing ------------------------------------------------------------------------------ */

static void test_route(void **state)
{
	struct route_match m;
	(void)state;

	assert_true(router_match_ocsp("/ocsp", HTTP_POST, "/ocsp", 5, &m));
	assert_int_equal(m.status, ROUTE_FOUND);
	assert_int_equal(m.id, ROUTE_OCSP);
	assert_true(router_match_ocsp("/ocsp", HTTP_GET, "/ocsp/MAMC%2BAQA=?x", 18, &m));
	assert_int_equal(m.id, ROUTE_OCSP);
	assert_true(router_match_ocsp("/ocsp", HTTP_PUT, "/ocsp", 5, &m));
	assert_int_equal(m.status, ROUTE_BAD_METHOD);
	assert_string_equal(m.allow, "GET, POST");
	assert_false(router_match_ocsp("/ocsp", HTTP_GET, "/ocspx", 6, &m));
	assert_false(router_match_ocsp("/ocsp", HTTP_GET, "/oc", 3, &m));
	assert_false(router_match_ocsp(NULL, HTTP_GET, "/ocsp", 5, &m));
	assert_string_equal(route_name(ROUTE_OCSP), "ocsp");
	assert_true(router_path_taken("/sign"));
	assert_true(router_path_taken("/acme"));
	assert_true(router_path_taken("/1.0/sign"));
	assert_true(router_path_taken("/ssh"));
	assert_false(router_path_taken("/ocsp"));
	assert_false(router_path_taken("/pki/ocsp"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config),
	    cmocka_unit_test(test_config_defaults_and_db),
	    cmocka_unit_test_setup_teardown(test_request_parse, setup_ocsp, teardown),
	    cmocka_unit_test(test_get_decode),
	    cmocka_unit_test_setup_teardown(test_signer, setup_ocsp, teardown),
	    cmocka_unit_test_setup_teardown(test_reconfigure, setup_ocsp, teardown),
	    cmocka_unit_test_setup_teardown(test_good_revoked_unknown, setup_ocsp, teardown),
	    cmocka_unit_test_setup_teardown(test_revocation_by_another_instance, setup_ocsp,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_several_and_errors, setup_ocsp, teardown),
	    cmocka_unit_test_setup_teardown(test_staple, setup_ocsp, teardown),
	    cmocka_unit_test_setup_teardown(test_aia, setup_ocsp, teardown),
	    cmocka_unit_test(test_disabled),
	    cmocka_unit_test(test_route),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
