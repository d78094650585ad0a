/* test_oidc.c - the OIDC provisioner's claim checks (authority/oidc.c) with a key set put in
 * its cache directly (no identity provider), and the configuration checks of oidc_init.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/obj_mac.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authority/internal.h"
#include "authority/oidc.h"
#include "client/http_fetch.h"
#include "crypto/key.h"

#define ISSUER "https://idp.example.com"
#define CLIENT "client-1"

struct fx {
	json_t *config;
	struct provisioner p;
	EVP_PKEY *key;
};

/* A provisioner with clientID CLIENT whose cache holds key under kid "k1". */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct key_spec spec = {.kty = KEY_KTY_EC, .nid = NID_X9_62_prime256v1};
	struct error err = {0};

	f->config =
	    json_pack("{s:s, s:s, s:s, s:s, s:[s], s:[s], s:[s, s]}", "type", "OIDC", "name", "idp",
		      "clientID", CLIENT, "configurationEndpoint", ISSUER, "domains", "Example.COM",
		      "groups", "staff", "admins", "root@admin.example", "admins-group");
	f->p.config = f->config;
	f->p.type = PROV_OIDC;
	f->p.name = strdup("idp");
	assert_int_equal(oidc_init(&f->p, &err), 0);
	assert_int_equal(key_generate(&spec, &f->key, &err), 0);
	f->p.oidc->discovered = true;
	f->p.oidc->issuer = strdup(ISSUER);
	f->p.oidc->jwks_uri = strdup(ISSUER "/jwks");
	f->p.oidc->keys = calloc(1, sizeof(struct oidc_key));
	f->p.oidc->keys[0].kid = strdup("k1");
	EVP_PKEY_up_ref(f->key);
	f->p.oidc->keys[0].key = f->key;
	f->p.oidc->n_keys = 1;
	f->p.oidc->keys_expire_sec = INT64_MAX;
	f->p.oidc->last_unknown_sec = INT64_MAX / 2; /* no refetch for unknown kids */
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	oidc_clear(&f->p);
	free(f->p.name);
	free(f->p.kid);
	EVP_PKEY_free(f->key);
	json_decref(f->config);
	free(f);
	return 0;
}

/* The default claims with the overrides of extra (JSON null removes a claim). */
static json_t *claims(const char *extra)
{
	long now = (long)time(NULL);
	json_t *c =
	    json_pack("{s:s, s:s, s:s, s:s, s:b, s:[s], s:i, s:i, s:s}", "iss", ISSUER, "aud",
		      CLIENT, "sub", "u-1", "email", "alice@example.com", "email_verified", 1,
		      "groups", "staff", "iat", now, "exp", now + 300, "nonce", "n1");
	json_t *x = extra != NULL ? json_loads(extra, 0, NULL) : NULL;
	const char *k;
	json_t *v;

	json_object_foreach(x, k, v)
	{
		if (json_is_null(v))
			json_object_del(c, k);
		else
			json_object_set(c, k, v);
	}
	json_decref(x);
	return c;
}

/* Authorises a token with the given claims (and kid) for op; the detail in err. */
static int authorize(struct fx *f, const char *extra, const char *kid, enum token_op op,
		     struct token_grant *g, struct error *err)
{
	json_t *payload = claims(extra);
	json_t *header = json_pack("{s:s}", "kid", kid != NULL ? kid : "k1");
	struct jws jws = {0};
	char *tok = NULL;
	int rc;

	assert_int_equal(jws_sign(header, payload, f->key, &tok, err), 0);
	assert_int_equal(jws_parse(tok, strlen(tok), &jws, err), 0);
	memset(g, 0, sizeof(*g));
	err_clear(err);
	rc = oidc_authorize(NULL, &f->p, &jws, op, g, err);
	jws_free(&jws);
	free(tok);
	json_decref(header);
	json_decref(payload);
	return rc;
}

static void expect_refused(struct fx *f, const char *extra, const char *kid, enum token_op op,
			   const char *msg)
{
	struct token_grant g;
	struct error err = {0};

	assert_int_equal(authorize(f, extra, kid, op, &g, &err), -1);
	assert_int_equal(err.kind, ERR_UNAUTHORIZED);
	assert_false(err.expose);
	assert_string_equal(err.msg, msg);
	token_grant_free(&g);
}

static void test_user_grant(void **state)
{
	struct fx *f = *state;
	struct token_grant g;
	struct error err = {0};

	assert_int_equal(authorize(f, NULL, NULL, OP_SIGN, &g, &err), 0);
	assert_string_equal(g.subject, "u-1");
	assert_int_equal(g.sans.n, 2);
	assert_string_equal(g.sans.v[0], "alice@example.com");
	assert_string_equal(g.sans.v[1], ISSUER "#u-1");
	assert_int_equal(g.leaf_tpl, LEAF_TPL_LEAF);
	token_grant_free(&g);
	/* no e-mail: only the URI, the subject escaped in its fragment */
	assert_int_equal(
	    authorize(f, "{\"email\":null,\"sub\":\"a b#c\"}", NULL, OP_SIGN, &g, &err), 0);
	assert_int_equal(g.sans.n, 1);
	assert_string_equal(g.sans.v[0], ISSUER "#a%20b%23c");
	token_grant_free(&g);
	assert_string_equal(f->p.kid, CLIENT); /* the provisioner extension's credential id */
}

static void test_admin_grant(void **state)
{
	struct fx *f = *state;
	struct token_grant g;
	struct error err = {0};

	/* an admin by e-mail (domain case-insensitive), outside the domains */
	assert_int_equal(
	    authorize(f, "{\"email\":\"root@ADMIN.example\"}", NULL, OP_SIGN, &g, &err), 0);
	assert_int_equal(g.leaf_tpl, LEAF_TPL_ADMIN);
	token_grant_free(&g);
	/* an admin by group may revoke */
	assert_int_equal(
	    authorize(f, "{\"groups\":[\"staff\",\"admins-group\"]}", NULL, OP_REVOKE, &g, &err),
	    0);
	assert_string_equal(g.subject, "u-1");
	token_grant_free(&g);
}

static void test_refusals(void **state)
{
	struct fx *f = *state;
	long now = (long)time(NULL);
	char buf[128];

#define PAYLOAD "validatePayload: failed to validate oidc token payload"
#define JOSE	PAYLOAD ": go-jose/go-jose/jwt: validation failed, "
	expect_refused(f, "{\"aud\":\"other\"}", NULL, OP_SIGN,
		       JOSE "invalid audience claim (aud)");
	expect_refused(f, "{\"iss\":\"https://evil\"}", NULL, OP_SIGN,
		       JOSE "invalid issuer claim (iss)");
	snprintf(buf, sizeof(buf), "{\"exp\":%ld}", now - 61 - 1);
	expect_refused(f, buf, NULL, OP_SIGN, JOSE "token is expired (exp)");
	snprintf(buf, sizeof(buf), "{\"nbf\":%ld}", now + 120);
	expect_refused(f, buf, NULL, OP_SIGN, JOSE "token not valid yet (nbf)");
	snprintf(buf, sizeof(buf), "{\"iat\":%ld}", now + 120);
	expect_refused(f, buf, NULL, OP_SIGN, JOSE "token issued in the future (iat)");
	expect_refused(f, "{\"azp\":\"x\"}", NULL, OP_SIGN, PAYLOAD ": invalid azp");
	expect_refused(f, "{\"email_verified\":false}", NULL, OP_SIGN,
		       PAYLOAD ": email \"alice@example.com\" is not verified");
	expect_refused(f, "{\"email\":\"bob@other.org\"}", NULL, OP_SIGN,
		       PAYLOAD ": email \"bob@other.org\" is not allowed");
	expect_refused(f, "{\"email\":\"bob@evilexample.com\"}", NULL, OP_SIGN,
		       PAYLOAD ": email \"bob@evilexample.com\" is not allowed");
	expect_refused(f, "{\"groups\":[\"dev\"]}", NULL, OP_SIGN,
		       "validatePayload: oidc token payload validation failed: invalid group");
	expect_refused(f, "{\"groups\":null}", NULL, OP_SIGN,
		       "validatePayload: oidc token payload validation failed: invalid group");
	expect_refused(f, NULL, "k2", OP_SIGN, "oidc.AuthorizeToken; cannot validate oidc token");
	expect_refused(f, "{\"groups\":\"staff\"}", NULL, OP_SIGN,
		       "oidc.AuthorizeToken; error parsing oidc token claims: invalid groups "
		       "claim");
	expect_refused(f, "{\"exp\":\"tomorrow\"}", NULL, OP_SIGN,
		       "oidc.AuthorizeToken; error parsing oidc token claims: invalid exp claim");
	expect_refused(f, NULL, NULL, OP_REVOKE,
		       "oidc.AuthorizeRevoke; cannot revoke with non-admin oidc token");
	expect_refused(f, NULL, NULL, OP_SSH_REVOKE,
		       "oidc.AuthorizeSSHRevoke; cannot revoke with non-admin oidc token");
	expect_refused(f, NULL, NULL, OP_SSH_SIGN,
		       "oidc.AuthorizeSSHSign; sshCA is disabled for oidc provisioner 'idp'");
}

static void test_leeway_and_domains(void **state)
{
	struct fx *f = *state;
	struct token_grant g;
	struct error err = {0};
	char buf[128];

	snprintf(buf, sizeof(buf), "{\"exp\":%ld, \"email\":\"Bob@EXAMPLE.com\"}",
		 (long)time(NULL) - 30);
	assert_int_equal(authorize(f, buf, NULL, OP_SIGN, &g, &err), 0);
	token_grant_free(&g);
	/* no exp at all: go-jose does not require one */
	assert_int_equal(authorize(f, "{\"exp\":null}", NULL, OP_SIGN, &g, &err), 0);
	token_grant_free(&g);
}

static void test_ssh_grant(void **state)
{
	struct fx *f = *state;
	struct token_grant g;
	struct error err = {0};

	f->p.claims.enable_ssh_ca = true;
	assert_int_equal(
	    authorize(f, "{\"email\":\"First.Last+x@Example.com\"}", NULL, OP_SSH_SIGN, &g, &err),
	    0);
	assert_true(g.ssh.present);
	assert_string_equal(g.ssh.cert_type, "user");
	assert_string_equal(g.ssh.key_id, "First.Last+x@Example.com");
	assert_int_equal(g.ssh.principals.n, 3);
	assert_string_equal(g.ssh.principals.v[0], "firstlast_x");
	assert_string_equal(g.ssh.principals.v[1], "First.Last+x");
	assert_string_equal(g.ssh.principals.v[2], "First.Last+x@Example.com");
	token_grant_free(&g);
	assert_int_equal(
	    authorize(f, "{\"email\":\"bob@example.com\"}", NULL, OP_SSH_SIGN, &g, &err), 0);
	assert_int_equal(g.ssh.principals.n, 2); /* "bob" once */
	token_grant_free(&g);
	/* an admin: step-ca's admin template signs the request as asked (sshca/sign.c) */
	assert_int_equal(
	    authorize(f, "{\"email\":\"root@admin.example\"}", NULL, OP_SSH_SIGN, &g, &err), 0);
	assert_int_equal(g.leaf_tpl, LEAF_TPL_ADMIN);
	assert_string_equal(g.ssh.key_id, "root@admin.example");
	token_grant_free(&g);
}

static void test_init_checks(void **state)
{
	static const struct {
		const char *json, *msg;
	} cases[] = {
	    {"{\"configurationEndpoint\":\"https://x\"}", "clientID cannot be empty"},
	    {"{\"clientID\":\"c\"}", "configurationEndpoint cannot be empty"},
	    {"{\"clientID\":\"c\",\"configurationEndpoint\":\"https://x\",\"listenAddress\":"
	     "\"localhost\"}",
	     "error parsing listenAddress: address localhost: missing port in address"},
	    {"{\"clientID\":\"c\",\"configurationEndpoint\":\"https://x\",\"listenAddress\":"
	     "\"a:b:c\"}",
	     "error parsing listenAddress: address a:b:c: too many colons in address"},
	    {"{\"clientID\":\"c\",\"configurationEndpoint\":\"https://x\",\"domains\":\"x\"}",
	     "domains must be an array of strings"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct provisioner p = {0};
		struct error err = {0};

		p.config = json_loads(cases[i].json, 0, NULL);
		assert_int_equal(oidc_init(&p, &err), -1);
		assert_string_equal(err.msg, cases[i].msg);
		oidc_clear(&p);
		free(p.kid);
		json_decref(p.config);
	}
}

static void test_discovery_url(void **state)
{
	static const char *const cases[][2] = {
	    {"https://idp", "https://idp/.well-known/openid-configuration"},
	    {"https://idp/", "https://idp/.well-known/openid-configuration"},
	    {"https://idp/realms/x/", "https://idp/realms/x/.well-known/openid-configuration"},
	    {"https://idp/a?x=1", "https://idp/a/.well-known/openid-configuration?x=1"},
	    {"https://idp/.well-known/openid-configuration",
	     "https://idp/.well-known/openid-configuration"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *u = oidc_discovery_url(cases[i][0]);
		assert_string_equal(u, cases[i][1]);
		free(u);
	}
	assert_true(http_url_is_loopback("http://127.0.0.1:8080/x"));
	assert_true(http_url_is_loopback("http://[::1]:8080/x"));
	assert_true(http_url_is_loopback("http://LOCALHOST/x"));
	assert_false(http_url_is_loopback("http://127.example.com/x"));
	{
		struct http_fetch_result r;
		struct error err = {0};
		assert_int_equal(http_fetch("http://idp.example.com/jwks", NULL, &r, &err), -1);
		assert_string_equal(err.msg, "http://idp.example.com/jwks: the URL must use https "
					     "(http only on loopback)");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_user_grant, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_admin_grant, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_leeway_and_domains, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ssh_grant, setup, teardown),
	    cmocka_unit_test(test_init_checks),
	    cmocka_unit_test(test_discovery_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
