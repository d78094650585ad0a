/* test_authority_flows.c - the authority over a real SQLite store: what a renewal racing a
 * revocation, a key compromise and a replayed or malformed token may and may not do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <openssl/bn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../fuzz/ca_fixture.h"
#include "base/b64.h"
#include "base/file.h"
#include "client/token.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "jose/jws.h"
#include "store_shim.h"

#define REASON_KEY_COMPROMISE 1

struct fixture {
	char dir[40];
	struct authority *a;
	struct shim_store *shim; /* the authority's store (a SQLite one behind it); borrowed */
	EVP_PKEY *prov_key;	 /* signs the JWK provisioner's tokens */
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char *text = fx_ca_json(), *db;
	struct ca_config *cfg = NULL;
	struct store *store = NULL;
	struct error err = {0};

	snprintf(f->dir, sizeof(f->dir), "/tmp/stride-test-flows-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	db = path_join(f->dir, "db");
	assert_int_equal(ca_config_parse(text, strlen(text), "flows-ca.json", &cfg, &err), 0);
	assert_int_equal(
	    store_open(&(struct store_config){.type = "sqlite", .data_source = db}, &store, &err),
	    0);
	f->shim = shim_new(store, false);
	assert_int_equal(authority_new(cfg, NULL, &f->shim->base, &f->a, &err), 0);
	assert_int_equal(key_parse_private((const uint8_t *)FX_PROV_KEY_PEM,
					   strlen(FX_PROV_KEY_PEM), NULL, &f->prov_key, &err),
			 0);
	free(db);
	free(text);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	authority_free(f->a);
	EVP_PKEY_free(f->prov_key);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static EVP_PKEY *new_key(void)
{
	struct key_spec spec = {.kty = KEY_KTY_EC, .nid = NID_X9_62_prime256v1};
	struct error err = {0};
	EVP_PKEY *key = NULL;

	assert_int_equal(key_generate(&spec, &key, &err), 0);
	return key;
}

/* A sign token of the fixture's JWK provisioner for cn; malloc'd. */
static char *sign_token(struct fixture *f, const char *cn)
{
	struct strv sans = {0};
	int64_t now = (int64_t)time(NULL);
	struct token_params p = {
	    .issuer = FX_PROV_NAME,
	    .kid = FX_PROV_KID,
	    .subject = cn,
	    .sans = &sans,
	    .audience = FX_AUDIENCE "/1.0/sign",
	    .not_before_sec = now,
	    .not_after_sec = now + 300,
	};
	struct error err = {0};
	char *tok = NULL;

	strv_push(&sans, cn);
	assert_int_equal(token_build(f->prov_key, &p, &tok, &err), 0);
	strv_free(&sans);
	return tok;
}

/* POST /sign for cn with key; returns the authority's result, *leaf (owned) on success. */
static int sign_with(struct fixture *f, const char *cn, EVP_PKEY *key, X509 **leaf,
		     struct error *err)
{
	struct strv sans = {0};
	X509_REQ *csr = NULL;
	char *tok = sign_token(f, cn);
	struct issued out = {0};
	struct sign_request req = {0};
	int rc;

	strv_push(&sans, cn);
	assert_int_equal(csr_create(key, cn, &sans, &csr, err), 0);
	req = (struct sign_request){.csr = csr, .ott = tok};
	rc = authority_sign(f->a, &req, &out, err);
	if (rc == 0) {
		*leaf = issued_leaf(&out);
		X509_up_ref(*leaf);
	}
	issued_free(&out);
	X509_REQ_free(csr);
	strv_free(&sans);
	free(tok);
	return rc;
}

static X509 *issue(struct fixture *f, const char *cn, EVP_PKEY *key)
{
	struct error err = {0};
	X509 *leaf = NULL;

	assert_int_equal(sign_with(f, cn, key, &leaf, &err), 0);
	return leaf;
}

/* mTLS /renew (new_key NULL) or /rekey of peer to new_key, committed before it returns. */
static int renew(struct fixture *f, X509 *peer, EVP_PKEY *new_key, X509 **leaf, struct error *err)
{
	struct renew_request req = {.peer = peer, .peer_verified = true};
	struct strv none = {0};
	struct issued out = {0};
	int rc;

	if (new_key != NULL)
		assert_int_equal(csr_create(new_key, "", &none, &req.csr, err), 0);
	rc = authority_renew(f->a, &req, &out, err);
	if (rc == 0 && leaf != NULL) {
		*leaf = issued_leaf(&out);
		X509_up_ref(*leaf);
	}
	issued_free(&out);
	X509_REQ_free(req.csr);
	return rc;
}

/* mTLS /revoke of peer with reason. */
static int revoke_peer(struct fixture *f, X509 *peer, int reason, struct error *err)
{
	char *serial = cert_serial_decimal(peer);
	struct revoke_request req = {
	    .serial = serial,
	    .peer = peer,
	    .peer_verified = true,
	    .reason_code = reason,
	    .passive = true,
	};
	int rc = authority_revoke(f->a, &req, NULL, err);

	free(serial);
	return rc;
}

static bool is_revoked(struct fixture *f, X509 *cert)
{
	struct store *s = &f->shim->base;
	char *serial = cert_serial_decimal(cert);
	struct error err = {0};
	bool r = false;

	assert_int_equal(s->ops->is_revoked(s, serial, &r, &err), 0);
	free(serial);
	return r;
}

static bool is_stored(struct fixture *f, const char *serial)
{
	struct store *s = &f->shim->base;
	struct error err = {0};
	bool found = false;

	assert_int_equal(s->ops->get_cert_provisioner(s, serial, &found, NULL, NULL, &err), 0);
	return found;
}

/* The end of an asynchronous issuance, as a test sees it. */
struct result {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int calls;
	int rc;
	struct error err;
	struct issued out;
};

static void result_init(struct result *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
}

static void result_done(void *arg, int rc, const struct error *err, struct issued *out)
{
	struct result *r = arg;

	pthread_mutex_lock(&r->lock);
	r->calls++;
	r->rc = rc;
	if (rc != 0)
		r->err = *err;
	r->out = *out;
	memset(out, 0, sizeof(*out));
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void result_wait(struct result *r)
{
	pthread_mutex_lock(&r->lock);
	while (r->calls == 0)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

static void result_free(struct result *r)
{
	issued_free(&r->out);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
}

/* A renewal authorised before its parent's revocation and committed after it must not leave a
 * valid certificate: the commit decides, not the earlier read. */
static void test_renewal_racing_revocation(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *key = new_key();
	X509 *a = issue(f, "race.example.com", key);
	struct renew_request req = {.peer = a, .peer_verified = true};
	struct result r;
	struct error err = {0};
	char *a_serial = cert_serial_decimal(a), *new_serial, *want;
	struct store_txn *held;

	result_init(&r);
	shim_hold(f->shim);
	authority_renew_async(f->a, &req, result_done, &r);
	shim_wait_held(f->shim, 1); /* checked and signed, its commit waits */
	assert_int_equal(r.calls, 0);
	held = shim_take(f->shim);
	assert_null(held->next);
	new_serial = xstrdup(held->cert.serial);
	assert_int_equal(revoke_peer(f, a, 0, &err), 0); /* lands between check and commit */
	shim_forward(f->shim, held);
	result_wait(&r);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.err.kind, ERR_UNAUTHORIZED);
	want = xasprintf("certificate %s has been revoked", a_serial);
	assert_string_equal(r.err.msg, want);
	assert_null(r.out.der);
	assert_false(is_stored(f, new_serial));
	free(want);
	free(new_serial);
	free(a_serial);
	result_free(&r);
	X509_free(a);
	EVP_PKEY_free(key);
}

/* keyCompromise on a renewal blocks the key: its parent no longer renews or rekeys, no CSR with
 * the key is signed, and a certificate with the key from another lineage is revoked. */
static void test_key_compromise_blocks_the_key(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *key = new_key(), *other = new_key();
	X509 *a = issue(f, "kc.example.com", key);
	X509 *c = issue(f, "kc-other.example.com", key); /* same key, no lineage with a */
	X509 *d = issue(f, "kc-fine.example.com", other);
	X509 *b = NULL, *x = NULL;
	struct error err = {0};

	assert_int_equal(renew(f, a, NULL, &b, &err), 0);
	assert_int_equal(revoke_peer(f, b, REASON_KEY_COMPROMISE, &err), 0);
	assert_true(is_revoked(f, b));
	assert_true(is_revoked(f, a));
	assert_true(is_revoked(f, c));
	assert_false(is_revoked(f, d));

	err = (struct error){0};
	assert_int_equal(renew(f, a, NULL, &x, &err), -1);
	assert_int_equal(err.kind, ERR_UNAUTHORIZED);
	err = (struct error){0};
	assert_int_equal(renew(f, c, other, &x, &err), -1); /* rekey away from the key */
	assert_int_equal(err.kind, ERR_UNAUTHORIZED);
	err = (struct error){0};
	assert_int_equal(renew(f, d, key, &x, &err), -1); /* rekey to the key */
	assert_int_equal(err.kind, ERR_FORBIDDEN);
	assert_true(err.expose);
	assert_string_equal(err.msg, "the public key was revoked for key compromise and cannot "
				     "be certified again");
	err = (struct error){0};
	assert_int_equal(sign_with(f, "kc-new.example.com", key, &x, &err), -1);
	assert_int_equal(err.kind, ERR_FORBIDDEN);
	assert_string_equal(err.msg, "the public key was revoked for key compromise and cannot "
				     "be certified again");
	assert_null(x);
	assert_int_equal(renew(f, d, NULL, &x, &err), 0); /* other keys are not affected */
	X509_free(x);
	X509_free(a);
	X509_free(b);
	X509_free(c);
	X509_free(d);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

/* Another reason revokes the lineage only: the key stays usable for new requests. */
static void test_other_reasons_do_not_block(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *key = new_key();
	X509 *a = issue(f, "nb.example.com", key), *x = NULL;
	struct error err = {0};

	assert_int_equal(revoke_peer(f, a, 4 /* superseded */, &err), 0);
	assert_int_equal(sign_with(f, "nb.example.com", key, &x, &err), 0);
	assert_false(is_revoked(f, x));
	X509_free(x);
	X509_free(a);
	EVP_PKEY_free(key);
}

/* The other valid ECDSA signature of a token: s replaced by n - s (P-256). */
static char *flip_ecdsa_signature(const char *token)
{
	const char *sig = strrchr(token, '.') + 1;
	uint8_t *raw = NULL;
	size_t len = 0;
	BIGNUM *n = NULL, *s;
	char *enc, *out;

	assert_int_equal(b64url_decode(sig, strlen(sig), &raw, &len, NULL), 0);
	assert_int_equal(len, 64);
	assert_int_not_equal(
	    BN_hex2bn(&n, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"), 0);
	s = BN_bin2bn(raw + 32, 32, NULL);
	assert_int_equal(BN_sub(s, n, s), 1);
	assert_int_equal(BN_bn2binpad(s, raw + 32, 32), 32);
	enc = b64url_encode(raw, 64);
	out = xasprintf("%.*s%s", (int)(sig - token), token, enc);
	free(enc);
	free(raw);
	BN_free(n);
	BN_free(s);
	return out;
}

static int renew_with_token(struct fixture *f, const char *token, struct error *err)
{
	struct renew_request req = {.bearer_token = token};
	struct issued out = {0};
	int rc = authority_renew(f->a, &req, &out, err);

	issued_free(&out);
	return rc;
}

/* A renew token as step's CLI makes it (no jti) for chain, signed with key (P-256). */
static void renew_token_without_jti(STACK_OF(X509) * chain, EVP_PKEY *key, char **tok)
{
	int64_t now = (int64_t)time(NULL);
	json_t *x5c = json_array(), *header, *payload;
	struct error err = {0};

	for (int i = 0; i < sk_X509_num(chain); i++) {
		unsigned char *der = NULL;
		int len = i2d_X509(sk_X509_value(chain, i), &der);
		char *b64 = b64_encode(der, (size_t)len);
		json_array_append_new(x5c, json_string(b64));
		free(b64);
		OPENSSL_free(der);
	}
	header = json_pack("{s:s, s:o}", "typ", "JWT", "x5cInsecure", x5c);
	payload =
	    json_pack("{s:s, s:I, s:I, s:s, s:I, s:s}", "aud", FX_AUDIENCE "/1.0/renew", "exp",
		      (json_int_t)(now + 300), "iat", (json_int_t)now, "iss", "step-ca-client/1.0",
		      "nbf", (json_int_t)now, "sub", "flip.example.com");
	assert_int_equal(jws_sign(header, payload, key, tok, &err), 0);
	json_decref(header);
	json_decref(payload);
}

/* A renew token without jti: its replay key must not change with the signature's encoding. */
static void test_token_replay_ignores_signature_form(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *key = new_key();
	X509 *a = issue(f, "flip.example.com", key);
	STACK_OF(X509) *chain = sk_X509_new_null();
	struct error err = {0};
	char *tok = NULL, *flipped;

	sk_X509_push(chain, a);
	sk_X509_push(chain, sk_X509_value(authority_intermediates(f->a), 0));
	renew_token_without_jti(chain, key, &tok);
	flipped = flip_ecdsa_signature(tok);
	assert_string_not_equal(tok, flipped);
	assert_int_equal(renew_with_token(f, tok, &err), 0);
	err = (struct error){0};
	assert_int_equal(renew_with_token(f, flipped, &err), -1);
	assert_int_equal(err.kind, ERR_UNAUTHORIZED);
	assert_string_equal(err.msg, "renew token already used");
	free(tok);
	free(flipped);
	sk_X509_free(chain);
	X509_free(a);
	EVP_PKEY_free(key);
}

/* A sign token for cn with extra header members and these claims (jti as given). */
static char *custom_token(struct fixture *f, const char *cn, const char *extra_header,
			  const char *jti_json)
{
	int64_t now = (int64_t)time(NULL);
	json_t *header = json_pack("{s:s, s:s}", "kid", FX_PROV_KID, "typ", "JWT");
	json_t *payload =
	    json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:[s]}", "iss", FX_PROV_NAME, "aud",
		      FX_AUDIENCE "/1.0/sign", "sub", cn, "nbf", (json_int_t)now, "iat",
		      (json_int_t)now, "exp", (json_int_t)(now + 300), "sans", cn);
	struct error err = {0};
	char *tok = NULL;

	if (extra_header != NULL) {
		json_t *extra = json_loads(extra_header, 0, NULL);
		json_object_update(header, extra);
		json_decref(extra);
	}
	if (jti_json != NULL)
		json_object_set_new(payload, "jti", json_loads(jti_json, JSON_DECODE_ANY, NULL));
	assert_int_equal(jws_sign(header, payload, f->prov_key, &tok, &err), 0);
	json_decref(header);
	json_decref(payload);
	return tok;
}

static int sign_token_result(struct fixture *f, const char *tok, struct error *err)
{
	EVP_PKEY *key = new_key();
	struct strv sans = {0};
	X509_REQ *csr = NULL;
	struct sign_request req;
	struct issued out = {0};
	int rc;

	strv_push(&sans, "tok.example.com");
	assert_int_equal(csr_create(key, "tok.example.com", &sans, &csr, err), 0);
	req = (struct sign_request){.csr = csr, .ott = tok};
	rc = authority_sign(f->a, &req, &out, err);
	issued_free(&out);
	X509_REQ_free(csr);
	strv_free(&sans);
	EVP_PKEY_free(key);
	return rc;
}

/* jti must be a string (or absent); crit is refused whatever it names (RFC 7515 §4.1.11). */
static void test_token_claims_refused(void **state)
{
	static const char *const bad[][2] = {
	    {NULL, "123"},
	    {NULL, "{\"a\":1}"},
	    {NULL, "[\"x\"]"},
	    {NULL, "true"},
	    {"{\"crit\":[\"exp\"],\"exp\":1}", "\"jti-crit-1\""},
	    {"{\"crit\":[\"b64\"],\"b64\":false}", "\"jti-crit-2\""},
	    {"{\"crit\":[\"urn:example:unknown\"]}", "\"jti-crit-3\""},
	    {"{\"crit\":[]}", "\"jti-crit-4\""},
	};
	struct fixture *f = *state;
	struct error err = {0};
	char *tok;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tok = custom_token(f, "tok.example.com", bad[i][0], bad[i][1]);
		err = (struct error){0};
		assert_int_equal(sign_token_result(f, tok, &err), -1);
		assert_int_equal(err.kind, ERR_UNAUTHORIZED);
		free(tok);
	}
	/* The same tokens without the fault are fine; a null jti counts as none. */
	tok = custom_token(f, "tok.example.com", NULL, "\"jti-ok\"");
	assert_int_equal(sign_token_result(f, tok, &err), 0);
	free(tok);
	tok = custom_token(f, "tok.example.com", NULL, "null");
	assert_int_equal(sign_token_result(f, tok, &err), 0);
	assert_int_equal(sign_token_result(f, tok, &err), -1); /* keyed by its content */
	assert_string_equal(err.msg, "token already used");
	free(tok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_renewal_racing_revocation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_compromise_blocks_the_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_other_reasons_do_not_block, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_token_replay_ignores_signature_form, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_token_claims_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
