/* authority_fixture.c - see authority_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <openssl/bio.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../fuzz/ca_fixture.h"
#include "authority_fixture.h"
#include "base/b64.h"
#include "base/duration.h"
#include "base/file.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "crypto/signer.h"
#include "crypto/x509build.h"
#include "jose/jws.h"
#include "server/respond.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* One JWK provisioner over the fixture's key with these claims. New reference. */
static json_t *jwk_provisioner(const char *name, const char *claims)
{
	json_t *p = json_pack("{s:s, s:s, s:o}", "type", "JWK", "name", name, "key",
			      json_loads(FX_PROV_JWK, 0, NULL));

	json_object_set_new(p, "claims", json_loads(claims, 0, NULL));
	return p;
}

/* ca.json of the fixture CA (see the header), with extra (a JSON array of provisioners, may be
 * NULL) appended to its provisioners, patch merged into "authority", then doc_patch into the
 * whole document. */
static char *ca_json(const char *patch, const char *doc_patch, const char *extra)
{
	char *base = fx_ca_json(), *text, *roots = b64_encode(FX_ROOT_PEM, strlen(FX_ROOT_PEM));
	json_t *doc = json_loads(base, 0, NULL), *auth = json_object_get(doc, "authority");
	json_t *provs = json_array();

	json_array_append_new(provs, jwk_provisioner(AFX_JWK, "{\"minTLSCertDuration\":\"1m\","
							      "\"maxTLSCertDuration\":\"48h\"}"));
	json_array_append_new(
	    provs, jwk_provisioner("twohours@test", "{\"defaultTLSCertDuration\":\"2h\"}"));
	json_array_append_new(provs, jwk_provisioner("norenew@test", "{\"disableRenewal\":true}"));
	json_array_append_new(provs,
			      jwk_provisioner("expiry@test", "{\"allowRenewalAfterExpiry\":true}"));
	json_array_append_new(
	    provs, json_pack("{s:s, s:s, s:s}", "type", "X5C", "name", "x5c", "roots", roots));
	json_array_append_new(provs, json_pack("{s:s, s:s}", "type", "ACME", "name", "acme"));
	if (extra != NULL) {
		json_t *more = json_loads(extra, 0, NULL);

		if (!json_is_array(more))
			fail_msg("extra provisioners are not a JSON array: %s", extra);
		json_array_extend(provs, more);
		json_decref(more);
	}
	json_object_set_new(auth, "provisioners", provs);
	json_object_set_new(auth, "disableIssuedAtCheck", json_false());
	if (patch != NULL)
		afx_patch(auth, patch);
	if (doc_patch != NULL)
		afx_patch(doc, doc_patch);
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	free(base);
	free(roots);
	return text;
}

struct afx *afx_new(const char *authority_patch)
{
	return afx_new_doc(authority_patch, NULL);
}

struct afx *afx_new_doc(const char *authority_patch, const char *doc_patch)
{
	return afx_new_provs(authority_patch, doc_patch, NULL);
}

struct afx *afx_new_provs(const char *authority_patch, const char *doc_patch,
			  const char *extra_provisioners)
{
	struct afx *f = xcalloc(1, sizeof(*f));
	char *text = ca_json(authority_patch, doc_patch, extra_provisioners), *db;
	struct ca_config *cfg = NULL;
	struct store *store = NULL;
	struct error err = {0};
	EVP_PKEY *ca_key = NULL;

	snprintf(f->dir, sizeof(f->dir), "/tmp/stride-test-authority-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	db = path_join(f->dir, "db");
	assert_int_equal(ca_config_parse(text, strlen(text), "authority-ca.json", &cfg, &err), 0);
	assert_int_equal(
	    store_open(&(struct store_config){.type = "sqlite", .data_source = db}, &store, &err),
	    0);
	if (authority_new(cfg, NULL, store, &f->a, &err) != 0)
		fail_msg("authority_new: %s", err.msg);
	assert_int_equal(key_parse_private((const uint8_t *)FX_PROV_KEY_PEM,
					   strlen(FX_PROV_KEY_PEM), NULL, &f->prov_key, &err),
			 0);
	assert_int_equal(key_parse_private((const uint8_t *)FX_INTER_KEY_PEM,
					   strlen(FX_INTER_KEY_PEM), NULL, &ca_key, &err),
			 0);
	f->ca_signer = signer_file_new(ca_key);
	assert_non_null(f->ca_signer);
	f->ca_cert = sk_X509_value(authority_intermediates(f->a), 0);
	free(db);
	f->ca_json = text;
	return f;
}

struct authority *afx_another(struct afx *f)
{
	char *db = path_join(f->dir, "db");
	struct ca_config *cfg = NULL;
	struct store *store = NULL;
	struct authority *a = NULL;
	struct error err = {0};

	assert_int_equal(
	    ca_config_parse(f->ca_json, strlen(f->ca_json), "authority-ca.json", &cfg, &err), 0);
	assert_int_equal(
	    store_open(&(struct store_config){.type = "sqlite", .data_source = db}, &store, &err),
	    0);
	if (authority_new(cfg, NULL, store, &a, &err) != 0)
		fail_msg("authority_new: %s", err.msg);
	free(db);
	return a;
}

void afx_free(struct afx *f)
{
	if (f == NULL)
		return;
	authority_free(f->a);
	EVP_PKEY_free(f->prov_key);
	signer_free(f->ca_signer);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f->ca_json);
	free(f);
}

int afx_setup(void **state)
{
	*state = afx_new(NULL);
	return 0;
}

int afx_teardown(void **state)
{
	afx_free(*state);
	return 0;
}

/* RSA keys are slow to make: one of each size per process. */
static EVP_PKEY *rsa_key(int bits)
{
	static EVP_PKEY *k2048, *k1024;
	EVP_PKEY **slot = bits == 2048 ? &k2048 : &k1024;

	if (*slot == NULL)
		*slot = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	assert_non_null(*slot);
	EVP_PKEY_up_ref(*slot);
	return *slot;
}

EVP_PKEY *afx_key(enum afx_key kind)
{
	EVP_PKEY *k = NULL;

	switch (kind) {
	case AFX_P256:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case AFX_P384:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	case AFX_P521:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
		break;
	case AFX_ED25519:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	case AFX_RSA2048:
		return rsa_key(2048);
	case AFX_RSA1024:
		return rsa_key(1024);
	case AFX_P224:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-224");
		break;
	case AFX_K256:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
		break;
	}
	assert_non_null(k);
	return k;
}

/* Splits a comma list into sv. */
static void split(const char *list, struct strv *sv)
{
	char *copy, *save = NULL;

	if (list == NULL)
		return;
	copy = xstrdup(list);
	for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
		strv_push(sv, t);
	free(copy);
}

X509_REQ *afx_csr(EVP_PKEY *key, const char *cn, const char *sans, bool bad_signature)
{
	struct strv sv = {0};
	struct error err = {0};
	X509_REQ *csr = NULL;

	split(sans, &sv);
	if (csr_create(key, cn, &sv, &csr, &err) != 0) {
		/* A key stride would not sign with (P-224, secp256k1): the CSR of a P-256 key,
		 * then this key and its signature. */
		EVP_PKEY *p256 = afx_key(AFX_P256);
		if (csr_create(p256, cn, &sv, &csr, &err) != 0)
			fail_msg("csr_create: %s", err.msg);
		assert_int_equal(X509_REQ_set_pubkey(csr, key), 1);
		assert_int_not_equal(X509_REQ_sign(csr, key, EVP_sha256()), 0);
		EVP_PKEY_free(p256);
	}
	strv_free(&sv);
	if (bad_signature) {
		const ASN1_BIT_STRING *sig = NULL;
		X509_REQ_get0_signature(csr, &sig, NULL);
		((ASN1_BIT_STRING *)sig)->data[sig->length / 2] ^= 0x55;
	}
	return csr;
}

void afx_patch(json_t *obj, const char *patch)
{
	json_error_t jerr;
	json_t *p = json_loads(patch, JSON_DECODE_ANY, &jerr);
	const char *k;
	json_t *v;

	if (p == NULL)
		fail_msg("bad patch %s: %s", patch, jerr.text);
	json_object_foreach(p, k, v)
	{
		json_t *cur = json_object_get(obj, k);
		if (json_is_null(v)) {
			json_object_del(obj, k);
		} else if (json_is_object(v) && json_is_object(cur)) {
			char *sub = json_dumps(v, JSON_COMPACT);
			afx_patch(cur, sub);
			free(sub);
		} else {
			json_object_set(obj, k, v);
		}
	}
	json_decref(p);
}

json_t *afx_list(const char *list)
{
	struct strv sv = {0};
	json_t *arr = json_array();

	split(list, &sv);
	for (size_t i = 0; i < sv.n; i++)
		json_array_append_new(arr, json_string(sv.v[i]));
	strv_free(&sv);
	return arr;
}

char *afx_jwt(EVP_PKEY *key, const json_t *header, const json_t *payload)
{
	struct error err = {0};
	char *tok = NULL;

	if (jws_sign(header, payload, key, &tok, &err) != 0)
		fail_msg("jws_sign: %s", err.msg);
	return tok;
}

static char *random_jti(void)
{
	unsigned char r[32];

	assert_int_equal(RAND_bytes(r, sizeof(r)), 1);
	return hex_encode(r, sizeof(r));
}

json_t *afx_claims(const char *iss, const char *aud, const char *sub, const char *sans)
{
	json_int_t now = (json_int_t)time(NULL);
	char *jti = random_jti();
	json_t *p = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "iss", iss, "aud", aud, "sub",
			      sub, "nbf", now, "iat", now, "exp", now + 300, "jti", jti);

	json_object_set_new(p, "sans", afx_list(sans != NULL ? sans : sub));
	free(jti);
	return p;
}

char *afx_sign_token(struct afx *f, const char *prov, const char *sub, const char *sans)
{
	json_t *h = json_pack("{s:s, s:s}", "kid", AFX_KID, "typ", "JWT");
	json_t *p = afx_claims(prov, AFX_AUDIENCE "/1.0/sign", sub, sans);
	char *tok = afx_jwt(f->prov_key, h, p);

	json_decref(h);
	json_decref(p);
	return tok;
}

char *afx_revoke_token(struct afx *f, const char *prov, const char *serial)
{
	json_t *h = json_pack("{s:s, s:s}", "kid", AFX_KID, "typ", "JWT");
	json_t *p = afx_claims(prov, AFX_AUDIENCE "/1.0/revoke", serial, NULL);
	char *tok;

	json_object_del(p, "sans"); /* step's revoke tokens carry none */
	tok = afx_jwt(f->prov_key, h, p);
	json_decref(h);
	json_decref(p);
	return tok;
}

json_t *afx_x5c(STACK_OF(X509) * chain)
{
	json_t *arr = json_array();

	for (int i = 0; i < sk_X509_num(chain); i++) {
		unsigned char *der = NULL;
		int len = i2d_X509(sk_X509_value(chain, i), &der);
		char *b64 = b64_encode(der, (size_t)len);
		json_array_append_new(arr, json_string(b64));
		free(b64);
		OPENSSL_free(der);
	}
	return arr;
}

char *afx_renew_token(STACK_OF(X509) * chain, EVP_PKEY *key, const char *claims_patch)
{
	char *cn = cert_common_name(sk_X509_value(chain, 0));
	json_t *h = json_pack("{s:s, s:o}", "typ", "JWT", "x5cInsecure", afx_x5c(chain));
	json_t *p = afx_claims("step-ca-client/1.0", AFX_AUDIENCE "/1.0/renew", cn, NULL);
	char *tok;

	json_object_del(p, "sans");
	if (claims_patch != NULL)
		afx_patch(p, claims_patch);
	tok = afx_jwt(key, h, p);
	json_decref(h);
	json_decref(p);
	free(cn);
	return tok;
}

X509 *afx_issue(struct afx *f, const char *prov, const char *cn, const char *sans, EVP_PKEY *key)
{
	X509_REQ *csr = afx_csr(key, cn, NULL, false);
	char *tok = afx_sign_token(f, prov, cn, sans);
	struct sign_request req = {.csr = csr, .ott = tok};
	struct issued out = {0};
	struct error err = {0};
	X509 *leaf;

	if (authority_sign(f->a, &req, &out, &err) != 0)
		fail_msg("issuing %s: %s", cn, err.msg);
	leaf = issued_leaf(&out);
	X509_up_ref(leaf);
	issued_free(&out);
	X509_REQ_free(csr);
	free(tok);
	return leaf;
}

int afx_sign(struct afx *f, struct authority *a, const char *prov, const char *cn, const char *sans,
	     X509 **leaf, struct error *err)
{
	char *tok = afx_sign_token(f, prov, cn, sans);
	EVP_PKEY *key = afx_key(AFX_P256);
	X509_REQ *csr = afx_csr(key, cn, sans, false);
	struct sign_request req = {.csr = csr, .ott = tok};
	struct issued out = {0};
	int rc;

	memset(err, 0, sizeof(*err));
	rc = authority_sign(a != NULL ? a : f->a, &req, &out, err);
	if (leaf != NULL) {
		*leaf = issued_leaf(&out);
		out.leaf = NULL;
	}
	issued_free(&out);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	free(tok);
	return rc;
}

X509 *afx_forge(struct afx *f, const struct afx_forge *spec)
{
	X509_NAME *subject = X509_NAME_new();
	struct names sans = {0};
	struct strv sv = {0};
	struct error err = {0};
	struct signer *signer = f->ca_signer;
	X509 *issuer = f->ca_cert, *root = NULL, *leaf = NULL;
	EVP_PKEY *root_key = NULL;

	if (spec->org != NULL)
		X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
					   (const unsigned char *)spec->org, -1, -1, 0);
	X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, (const unsigned char *)spec->cn,
				   -1, -1, 0);
	split(spec->sans != NULL ? spec->sans : spec->cn, &sv);
	for (size_t i = 0; i < sv.n; i++)
		names_add_san(&sans, sv.v[i]);
	if (spec->foreign) {
		root_key = afx_key(AFX_P256);
		EVP_PKEY_up_ref(root_key);
		signer = signer_file_new(root_key);
		assert_int_equal(x509_issue_ca("Foreign Root", "Foreign", root_key, NULL, signer, 1,
					       0, INT64_C(4102444800) * AFX_SEC, &root, &err),
				 0);
		issuer = root;
	}
	{
		struct leaf_spec ls = {
		    .subject = subject,
		    .sans = &sans,
		    .public_key = spec->key,
		    .not_before_ns = spec->not_before_ns,
		    .not_after_ns = spec->not_after_ns,
		    .server_auth = true,
		    .client_auth = true,
		    .prov_type = PROV_CODE_JWK,
		    .prov_name = spec->prov,
		    .prov_cred_id = AFX_KID,
		};
		if (x509_issue_leaf(&ls, issuer, signer, &leaf, &err) != 0)
			fail_msg("forging %s: %s", spec->cn, err.msg);
	}
	if (spec->foreign) {
		signer_free(signer);
		EVP_PKEY_free(root_key);
		X509_free(root);
	}
	strv_free(&sv);
	names_free(&sans);
	X509_NAME_free(subject);
	return leaf;
}

STACK_OF(X509) * afx_chain(struct afx *f, X509 *leaf)
{
	STACK_OF(X509) *chain = sk_X509_new_null();

	X509_up_ref(leaf);
	X509_up_ref(f->ca_cert);
	sk_X509_push(chain, leaf);
	sk_X509_push(chain, f->ca_cert);
	return chain;
}

int afx_failures;

void afx_fail(const char *fmt, ...)
{
	va_list ap;
	char buf[4096];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	print_error("%s\n", buf);
	afx_failures++;
}

void afx_done(void)
{
	int n = afx_failures;

	afx_failures = 0;
	if (n != 0)
		fail_msg("%d check(s) failed", n);
}

/* want with "{serial}" and "{other}" replaced; malloc'd (NULL stays NULL). */
static char *expand(const char *want, const char *serial, const char *other)
{
	const char *keys[] = {"{serial}", "{other}"}, *vals[] = {serial, other};
	char *out;

	if (want == NULL)
		return NULL;
	out = xstrdup(want);
	for (size_t k = 0; k < 2; k++) {
		char *at;
		while ((at = strstr(out, keys[k])) != NULL) {
			char *next =
			    xasprintf("%.*s%s%s", (int)(at - out), out,
				      vals[k] != NULL ? vals[k] : "(none)", at + strlen(keys[k]));
			free(out);
			out = next;
		}
	}
	return out;
}

bool afx_check(const char *row, int rc, const struct error *err, const struct afx_expect *want,
	       const char *serial, const char *other)
{
	char wire[ERR_MSG_MAX + 200];
	char *msg, *wire_want;
	int status;
	bool ok;

	if (want->kind == ERR_NONE) {
		if (rc != 0)
			afx_fail("%s: expected success, got %s (%d) \"%s\"", row,
				 err_kind_name(err->kind), err->kind, err->msg);
		return rc == 0;
	}
	if (rc != -1) {
		afx_fail("%s: expected an error, got rc %d", row, rc);
		return false;
	}
	status = http_error_map(err, wire, sizeof(wire));
	msg = expand(want->msg, serial, other);
	wire_want = expand(want->wire, serial, other);
	ok = err->kind == want->kind && status == want->status && err->expose == want->expose &&
	     strcmp(err->msg, msg) == 0 && (wire_want == NULL || strcmp(wire, wire_want) == 0);
	if (!ok)
		afx_fail("%s:\n  want %s/%d expose=%d \"%s\"\n       wire \"%s\"\n  got  %s/%d "
			 "expose=%d \"%s\"\n       wire \"%s\"",
			 row, err_kind_name(want->kind), want->status, want->expose, msg,
			 wire_want != NULL ? wire_want : "(not checked)", err_kind_name(err->kind),
			 status, err->expose, err->msg, wire);
	free(msg);
	free(wire_want);
	return ok;
}

char *afx_ext_text(X509 *cert, int nid)
{
	int i = X509_get_ext_by_NID(cert, nid, -1);
	BIO *bio;
	char *data, *out;
	long n;

	if (i < 0)
		return xstrdup("");
	bio = BIO_new(BIO_s_mem());
	assert_int_equal(X509V3_EXT_print(bio, X509_get_ext(cert, i), 0, 0), 1);
	n = BIO_get_mem_data(bio, &data);
	out = xasprintf("%.*s", (int)n, data);
	BIO_free(bio);
	return out;
}

static char *subject_text(X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
	n = BIO_get_mem_data(bio, &data);
	out = xasprintf("%.*s", (int)n, data);
	BIO_free(bio);
	return out;
}

static void check_str(const char *row, const char *what, const char *want, const char *got)
{
	if (strcmp(want, got) != 0)
		afx_fail("%s: %s: want \"%s\", got \"%s\"", row, what, want, got);
}

void afx_check_cert(struct afx *f, const char *row, X509 *leaf, EVP_PKEY *key,
		    const struct afx_cert *want)
{
	char *subject, *sans, *ku, *eku, *bc, *prov = NULL, *cred = NULL;
	int64_t len;
	int type = 0;

	if (leaf == NULL) {
		afx_fail("%s: no certificate", row);
		return;
	}
	subject = subject_text(leaf);
	sans = afx_ext_text(leaf, NID_subject_alt_name);
	ku = afx_ext_text(leaf, NID_key_usage);
	eku = afx_ext_text(leaf, NID_ext_key_usage);
	bc = afx_ext_text(leaf, NID_basic_constraints);
	len = (cert_not_after_ns(leaf) - cert_not_before_ns(leaf)) / AFX_SEC;
	check_str(row, "subject", want->subject, subject);
	check_str(row, "SANs", want->sans, sans);
	check_str(row, "key usage", want->key_usage, ku);
	check_str(row, "extended key usage",
		  "TLS Web Server Authentication, TLS Web Client Authentication", eku);
	check_str(row, "basic constraints", "", bc);
	if (want->validity_sec != 0 && len != want->validity_sec)
		afx_fail("%s: validity: want %lld s, got %lld s", row,
			 (long long)want->validity_sec, (long long)len);
	if (X509_NAME_cmp(X509_get_issuer_name(leaf), X509_get_subject_name(f->ca_cert)) != 0 ||
	    X509_verify(leaf, X509_get0_pubkey(f->ca_cert)) != 1)
		afx_fail("%s: not issued by the intermediate", row);
	if (!key_public_equal(X509_get0_pubkey(leaf), key))
		afx_fail("%s: not the expected public key", row);
	if (want->prov == NULL) {
		if (x509_get_provisioner_ext(leaf, &type, &prov, &cred, NULL) != 1)
			afx_fail("%s: a provisioner extension", row);
	} else if (x509_get_provisioner_ext(leaf, &type, &prov, &cred, NULL) != 0) {
		afx_fail("%s: no provisioner extension", row);
	} else {
		check_str(row, "provisioner", want->prov, prov);
		check_str(row, "provisioner credential", want->prov_cred, cred);
	}
	if (type != want->prov_type)
		afx_fail("%s: provisioner type: want %d, got %d", row, want->prov_type, type);
	free(prov);
	free(cred);
	free(subject);
	free(sans);
	free(ku);
	free(eku);
	free(bc);
}

#define Y2020 INT64_C(1577836800)
#define Y2099 INT64_C(4070908800)

X509 *afx_peer(struct afx *f, enum afx_peer kind, EVP_PKEY **key)
{
	int64_t now = (int64_t)time(NULL) - 60;
	struct afx_forge spec = {
	    .cn = "foo.example.com",
	    .not_before_ns = now * AFX_SEC,
	    .not_after_ns = (now + 86460) * AFX_SEC,
	    .prov = AFX_JWK,
	};
	struct error err = {0};
	X509 *peer = NULL, *other = NULL;

	*key = afx_key(kind == PEER_RSA	      ? AFX_RSA2048
		       : kind == PEER_RSA1024 ? AFX_RSA1024
					      : AFX_P256);
	switch (kind) {
	case PEER_ISSUED:
	case PEER_RSA:
		return afx_issue(f, AFX_JWK, spec.cn, NULL, *key);
	case PEER_NORENEW:
		return afx_issue(f, "norenew@test", spec.cn, NULL, *key);
	case PEER_REVOKED:
		peer = afx_issue(f, AFX_JWK, spec.cn, NULL, *key);
		assert_int_equal(afx_revoke_mtls(f, peer, 4, &err), 0);
		return peer;
	case PEER_CHILD_OF_REVOKED:
		other = afx_issue(f, AFX_JWK, spec.cn, NULL, *key);
		assert_int_equal(afx_renew(f, other, NULL, &peer, &err), 0);
		assert_int_equal(afx_revoke_mtls(f, other, 4, &err), 0);
		X509_free(other);
		return peer;
	case PEER_SAME_KEY_COMPROMISED:
		peer = afx_issue(f, AFX_JWK, spec.cn, NULL, *key);
		other = afx_issue(f, AFX_JWK, "other.example.com", NULL, *key);
		assert_int_equal(afx_revoke_mtls(f, other, 1, &err), 0);
		X509_free(other);
		return peer;
	case PEER_EXPIRED:
	case PEER_EXPIRED_ALLOWED:
		spec.not_before_ns = Y2020 * AFX_SEC;
		spec.not_after_ns = (Y2020 + 86400) * AFX_SEC;
		spec.prov = kind == PEER_EXPIRED ? AFX_JWK : "expiry@test";
		break;
	case PEER_NOT_YET_VALID:
		spec.not_before_ns = Y2099 * AFX_SEC;
		spec.not_after_ns = (Y2099 + 86400) * AFX_SEC;
		break;
	case PEER_LEGACY:
		spec.prov = NULL;
		break;
	case PEER_UNKNOWN_PROV:
		spec.prov = "gone@test";
		break;
	case PEER_FOREIGN:
		spec.foreign = true;
		break;
	case PEER_ORG:
		spec.org = "Acme";
		break;
	case PEER_RSA1024:
		break;
	case PEER_NONE:
		EVP_PKEY_free(*key);
		*key = NULL;
		return NULL;
	}
	spec.key = *key;
	return afx_forge(f, &spec);
}

int afx_renew(struct afx *f, X509 *peer, EVP_PKEY *new_key, X509 **leaf, struct error *err)
{
	struct renew_request req = {.peer = peer, .peer_verified = true};
	struct issued out = {0};
	int rc;

	if (leaf != NULL)
		*leaf = NULL;
	if (new_key != NULL)
		req.csr = afx_csr(new_key, "", NULL, false);
	rc = authority_renew(f->a, &req, &out, err);
	if (rc == 0 && leaf != NULL) {
		*leaf = issued_leaf(&out);
		X509_up_ref(*leaf);
	}
	issued_free(&out);
	X509_REQ_free(req.csr);
	return rc;
}

int afx_revoke_mtls(struct afx *f, X509 *cert, int reason, struct error *err)
{
	char *serial = cert_serial_decimal(cert);
	struct revoke_request req = {
	    .serial = serial,
	    .peer = cert,
	    .peer_verified = true,
	    .reason_code = reason,
	    .passive = true,
	};
	int rc = authority_revoke(f->a, &req, NULL, err);

	free(serial);
	return rc;
}
