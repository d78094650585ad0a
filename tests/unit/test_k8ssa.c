/* test_k8ssa.c - the K8sSA provisioner: publicKeys (a base64 PEM bundle) read as step-ca's Init
 * reads it, with its exact messages, and service-account tokens verified with any of the keys
 * (RSA, ECDSA, Ed25519) and their claims checked as step-ca does (go-jose's validation with the
 * issuer expected and one minute of leeway; sub required). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority/internal.h"
#include "base/b64.h"
#include "base/duration.h"
#include "base/password.h"
#include "crypto/key.h"

#define PREFIX "failed to initialize K8sSA provisioner \"k\": "

static EVP_PKEY *keys[4]; /* RSA, P-256, Ed25519, another RSA (not configured) */

static EVP_PKEY *new_key(enum key_kty kty, int nid)
{
	struct key_spec spec = {.kty = kty, .nid = nid, .rsa_bits = 2048};
	EVP_PKEY *k = NULL;

	assert_int_equal(key_generate(&spec, &k, NULL), 0);
	return k;
}

static int setup(void **state)
{
	(void)state;
	keys[0] = new_key(KEY_KTY_RSA, 0);
	keys[1] = new_key(KEY_KTY_EC, NID_X9_62_prime256v1);
	keys[2] = new_key(KEY_KTY_OKP, NID_ED25519);
	keys[3] = new_key(KEY_KTY_RSA, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < 4; i++)
		EVP_PKEY_free(keys[i]);
	return 0;
}

static char *pub_pem(EVP_PKEY *k)
{
	char *pem = NULL;

	assert_int_equal(key_public_to_pem(k, &pem, NULL), 0);
	return pem;
}

/* A self-signed certificate of k, as PEM: step's PEM parser takes a certificate's key. */
static char *cert_pem(EVP_PKEY *k)
{
	X509 *x = X509_new();
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"sa-signer", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	PEM_write_bio_X509(bio, x);
	n = BIO_get_mem_data(bio, &data);
	out = strndup(data, (size_t)n);
	BIO_free(bio);
	X509_free(x);
	return out;
}

/* Loads one K8sSA provisioner "k" whose publicKeys is base64 of pem (NULL: no publicKeys). */
static int load(const char *pem, json_t **list, struct provisioners *ps, struct error *err)
{
	json_t *p = json_pack("{s:s, s:s}", "type", "K8sSA", "name", "k");

	if (pem != NULL) {
		char *b = b64_encode(pem, strlen(pem));
		json_object_set_new(p, "publicKeys", json_string(b));
		free(b);
	}
	*list = json_array();
	json_array_append_new(*list, p);
	return provisioners_load(*list, NULL, ps, err);
}

static void expect_init_error(const char *pem, const char *want)
{
	struct provisioners ps = {0};
	struct error err = {0};
	json_t *list = NULL;

	assert_int_equal(load(pem, &list, &ps, &err), -1);
	assert_string_equal(err.msg, want);
	json_decref(list);
}

static void test_init(void **state)
{
	struct provisioners ps = {0};
	struct error err = {0};
	json_t *list = NULL;
	char *pems[3], *crt = cert_pem(keys[3]), *bundle, *priv = NULL;

	(void)state;
	for (size_t i = 0; i < 3; i++)
		pems[i] = pub_pem(keys[i]);
	/* other text around the blocks is skipped, as Go's pem.Decode skips it */
	bundle = xasprintf("cluster keys\n%s\n%s%s# trailing\n%s", pems[0], pems[1], pems[2], crt);
	assert_int_equal(load(bundle, &list, &ps, &err), 0);
	assert_int_equal(ps.n, 1);
	assert_string_equal(ps.v[0].token_id, K8SSA_TOKEN_ID);
	assert_int_equal(ps.v[0].n_k8s_keys, 4);
	for (size_t i = 0; i < 3; i++)
		assert_true(key_public_equal(ps.v[0].k8s_keys[i], keys[i]));
	assert_true(key_public_equal(ps.v[0].k8s_keys[3], keys[3]));
	provisioners_free(&ps);
	json_decref(list);

	/* an empty bundle: step-ca starts and refuses every token */
	assert_int_equal(load("", &list, &ps, &err), 0);
	assert_int_equal(ps.v[0].n_k8s_keys, 0);
	provisioners_free(&ps);
	json_decref(list);

	expect_init_error(NULL, PREFIX "K8s Service Account provisioner cannot be initialized "
				       "without pub keys");
	assert_int_equal(key_private_to_pem(keys[1], NULL, &priv, NULL), 0);
	expect_init_error(priv, PREFIX "Unexpected public key type *ecdsa.PrivateKey in "
				       "provisioner 'k'");
	expect_init_error("-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n",
			  PREFIX "error parsing public key in provisioner 'k': error decoding PEM: "
				 "contains an unexpected header 'FOO'");
	expect_init_error("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
			  PREFIX "error parsing public key in provisioner 'k': error parsing PEM");
	{
		json_t *l = json_loads(
		    "[{\"type\":\"K8sSA\",\"name\":\"k\",\"publicKeys\":\"%%\"}]", 0, NULL);
		assert_int_equal(provisioners_load(l, NULL, &ps, &err), -1);
		assert_string_equal(err.msg, PREFIX "publicKeys of provisioner 'k' is not a base64 "
						    "string");
		json_decref(l);
	}
	{
		char *two = xasprintf("[{\"type\":\"K8sSA\",\"name\":\"k\",\"publicKeys\":\"\"},"
				      "{\"type\":\"k8ssa\",\"name\":\"k2\",\"publicKeys\":\"\"}]");
		json_t *l = json_loads(two, 0, NULL);
		assert_int_equal(provisioners_load(l, NULL, &ps, &err), -1);
		assert_string_equal(err.msg,
				    "failed to initialize K8sSA provisioner \"k2\": cannot "
				    "add multiple provisioners with the same token "
				    "identifier");
		json_decref(l);
		free(two);
	}
	password_free(priv);
	free(bundle);
	free(crt);
	for (size_t i = 0; i < 3; i++)
		free(pems[i]);
}

/* The provisioner of keys 0..2 (RSA, P-256, Ed25519). */
static json_t *g_list;
static struct provisioners g_ps;

static struct provisioner *prov(void)
{
	if (g_ps.n == 0) {
		char *a = pub_pem(keys[0]), *b = pub_pem(keys[1]), *c = pub_pem(keys[2]);
		char *bundle = xasprintf("%s%s%s", a, b, c);
		assert_int_equal(load(bundle, &g_list, &g_ps, NULL), 0);
		free(a);
		free(b);
		free(c);
		free(bundle);
	}
	return &g_ps.v[0];
}

/* Authorises payload (JSON text) signed with key for op; returns the result, g filled. */
static int authorize(EVP_PKEY *key, const char *payload, enum token_op op, struct token_grant *g,
		     struct error *err)
{
	json_t *claims = json_loads(payload, 0, NULL);
	json_t *header = json_pack("{s:s}", "kid", "");
	struct jws jws = {0};
	char *token = NULL;
	int rc;

	assert_non_null(claims);
	assert_int_equal(jws_sign(header, claims, key, &token, NULL), 0);
	assert_int_equal(jws_parse(token, strlen(token), &jws, NULL), 0);
	memset(g, 0, sizeof(*g));
	rc = k8ssa_authorize(NULL, prov(), &jws, op, g, err);
	g->claims = json_incref(jws.payload);
	jws_free(&jws);
	free(token);
	json_decref(header);
	json_decref(claims);
	return rc;
}

#define SA                                                                                         \
	"\"iss\":\"kubernetes/serviceaccount\",\"kubernetes.io/serviceaccount/namespace\":"        \
	"\"default\",\"kubernetes.io/serviceaccount/service-account.name\":\"build\""

static void expect_refused(EVP_PKEY *key, const char *payload, enum token_op op, const char *want)
{
	struct token_grant g;
	struct error err = {0};

	assert_int_equal(authorize(key, payload, op, &g, &err), -1);
	assert_int_equal(err.kind, ERR_UNAUTHORIZED);
	assert_false(err.expose);
	assert_string_equal(err.msg, want);
	token_grant_free(&g);
}

static void test_verify(void **state)
{
	struct token_grant g;
	struct error err = {0};
	char buf[512];
	long long now = (long long)(time_now_ns() / NS_PER_SEC);

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(authorize(keys[i],
					   "{" SA ",\"sub\":\"system:serviceaccount:d:b\"}",
					   OP_SIGN, &g, &err),
				 0);
		assert_string_equal(g.subject, "system:serviceaccount:d:b");
		assert_int_equal(g.leaf_tpl, LEAF_TPL_ADMIN);
		assert_null(g.token_id);
		assert_string_equal(k8ssa_service_account(&g), "build");
		token_grant_free(&g);
	}
	expect_refused(keys[3], "{" SA ",\"sub\":\"s\"}", OP_SIGN,
		       "k8ssa.authorizeToken; error validating k8sSA token and extracting claims");
	expect_refused(keys[0], "{" SA ",\"sub\":7}", OP_SIGN,
		       "k8ssa.authorizeToken; error validating k8sSA token and extracting claims");
	expect_refused(keys[0], "{" SA ",\"sub\":\"s\",\"exp\":\"soon\"}", OP_SIGN,
		       "k8ssa.authorizeToken; error validating k8sSA token and extracting claims");
	expect_refused(keys[1],
		       "{\"iss\":\"kubernetes/serviceaccount\",\"sub\":\"s\","
		       "\"kubernetes.io/serviceaccount/namespace\":1}",
		       OP_SIGN,
		       "k8ssa.authorizeToken; error validating k8sSA token and extracting claims");
	expect_refused(keys[1], "{\"iss\":\"kubernetes\",\"sub\":\"s\"}", OP_SIGN,
		       "k8ssa.authorizeToken; invalid k8sSA token claims: go-jose/go-jose/jwt: "
		       "validation failed, invalid issuer claim (iss)");
	snprintf(buf, sizeof(buf), "{" SA ",\"sub\":\"s\",\"exp\":%lld}", now - 61);
	expect_refused(keys[1], buf, OP_SIGN,
		       "k8ssa.authorizeToken; invalid k8sSA token claims: go-jose/go-jose/jwt: "
		       "validation failed, token is expired (exp)");
	snprintf(buf, sizeof(buf), "{" SA ",\"sub\":\"s\",\"exp\":%lld,\"nbf\":%lld}", now - 50,
		 now + 50);
	assert_int_equal(authorize(keys[2], buf, OP_SIGN, &g, &err), 0); /* both in the leeway */
	token_grant_free(&g);
	snprintf(buf, sizeof(buf), "{" SA ",\"sub\":\"s\",\"nbf\":%lld}", now + 90);
	expect_refused(keys[1], buf, OP_SIGN,
		       "k8ssa.authorizeToken; invalid k8sSA token claims: go-jose/go-jose/jwt: "
		       "validation failed, token not valid yet (nbf)");
	snprintf(buf, sizeof(buf), "{" SA ",\"sub\":\"s\",\"iat\":%lld}", now + 90);
	expect_refused(keys[1], buf, OP_SIGN,
		       "k8ssa.authorizeToken; invalid k8sSA token claims: go-jose/go-jose/jwt: "
		       "validation failed, token issued in the future (iat)");
	expect_refused(keys[0], "{" SA ",\"sub\":\"\"}", OP_REVOKE,
		       "k8ssa.authorizeToken; k8sSA token subject cannot be empty");
	expect_refused(keys[0], "{" SA "}", OP_SIGN,
		       "k8ssa.authorizeToken; k8sSA token subject cannot be empty");
}

static void test_ssh(void **state)
{
	struct token_grant g;
	struct error err = {0};

	(void)state;
	prov()->claims.enable_ssh_ca = false;
	expect_refused(keys[3], "{" SA ",\"sub\":\"s\"}", OP_SSH_SIGN,
		       "k8ssa.AuthorizeSSHSign; sshCA is disabled for k8sSA provisioner 'k'");
	prov()->claims.enable_ssh_ca = true;
	assert_int_equal(authorize(keys[0], "{" SA ",\"sub\":\"s\"}", OP_SSH_SIGN, &g, &err), 0);
	/* the request names the certificate: the grant's SSH options are all unset */
	assert_false(g.ssh.present);
	assert_string_equal(g.ssh.cert_type, "");
	assert_string_equal(g.ssh.key_id, "");
	assert_int_equal(g.ssh.principals.n, 0);
	assert_string_equal(g.ssh.valid_after, "");
	assert_string_equal(g.ssh.valid_before, "");
	token_grant_free(&g);
	expect_refused(keys[0], "{" SA ",\"sub\":\"s\"}", OP_SSH_RENEW,
		       "provisioner.AuthorizeSSHRenew not implemented");
	expect_refused(keys[0], "{" SA ",\"sub\":\"s\"}", OP_SSH_REKEY,
		       "provisioner.AuthorizeSSHRekey not implemented");
	expect_refused(keys[0], "{" SA ",\"sub\":\"s\"}", OP_SSH_REVOKE,
		       "provisioner.AuthorizeSSHRevoke not implemented");
}

static void test_no_keys(void **state)
{
	struct provisioners ps = {0};
	json_t *list = NULL, *claims = json_pack("{s:s, s:s}", "iss", K8SSA_ISSUER, "sub", "s");
	struct token_grant g = {0};
	struct error err = {0};
	struct jws jws = {0};
	char *token = NULL;

	(void)state;
	assert_int_equal(load("", &list, &ps, NULL), 0);
	assert_int_equal(jws_sign(NULL, claims, keys[1], &token, NULL), 0);
	assert_int_equal(jws_parse(token, strlen(token), &jws, NULL), 0);
	assert_int_equal(k8ssa_authorize(NULL, &ps.v[0], &jws, OP_SIGN, &g, &err), -1);
	assert_string_equal(err.msg, "k8ssa.authorizeToken; k8sSA TokenReview API integration not "
				     "implemented");
	token_grant_free(&g);
	jws_free(&jws);
	free(token);
	json_decref(claims);
	provisioners_free(&ps);
	json_decref(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init),
	    cmocka_unit_test(test_verify),
	    cmocka_unit_test(test_ssh),
	    cmocka_unit_test(test_no_keys),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);

	provisioners_free(&g_ps);
	json_decref(g_list);
	return rc;
}
