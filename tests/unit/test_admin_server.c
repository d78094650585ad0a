/* test_admin_server.c - the admin API end to end in-process: stride-ca's real server with
 * authority.enableAdmin on a SQLite store in a temporary directory (its first administration
 * state imported from ca.json: super admin "step" on jwk@test), driven over HTTPS with admin
 * tokens this test makes itself (ES256 JWS with an x5c chain of a certificate forged with the
 * fixture's intermediate key, as `step ca admin` sends them). Asserts exact statuses and bodies
 * of step-ca's admin API: token checks, provisioners, admins, policies, ACME EAB keys, and the
 * 404 of a CA without the admin API.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_fixture.h"
#include "base/duration.h"
#include "base/str.h"
#include "server_fixture.h"

#define HOST	   "https://ca.fuzz.test"
#define ISSUER	   "step-admin-client/1.0"
#define NOT_FOUND  "404 page not found\n"
#define ZERO_UUID  "00000000-0000-0000-0000-000000000000"
#define EXTRA_PROV "[{\"type\":\"ACME\",\"name\":\"acme-eab\",\"requireEAB\":true}]"
/* step-ca's admin error body */
#define ERR(type, detail, msg)                                                                     \
	"{\"type\":\"" type "\",\"detail\":\"" detail "\",\"message\":\"" msg "\"}\n"
#define E401(msg) ERR("unauthorized", "unauthorized", msg)
#define E400(msg) ERR("badRequest", "bad request", msg)
#define E404(msg) ERR("notFound", "resource not found", msg)
#define E409(msg) ERR("conflict", "conflict", msg)
#define E500(msg) ERR("internalServerError", "the server experienced an internal error", msg)
#define LOCKOUT(prefix, s)                                                                         \
	prefix ": the provided policy would lock out [" s "] from the CA. Please create an x509 "  \
	       "policy to include [" s "] as an allowed DNS name"

struct t {
	struct sfx *x;
	EVP_PKEY *key;		/* the super admin's ("step" on jwk@test) */
	STACK_OF(X509) * chain; /* its certificate and the intermediate */
};

/* A certificate for cn issued (forged with the intermediate's key) through provisioner prov,
 * valid from a minute ago for an hour; *chain its chain. */
static void admin_cert(struct t *t, const char *cn, const char *prov, bool foreign, EVP_PKEY *key,
		       STACK_OF(X509) * *chain)
{
	int64_t now = time_now_ns();
	X509 *leaf = afx_forge(t->x->f, &(struct afx_forge){.cn = cn,
							    .key = key,
							    .prov = prov,
							    .foreign = foreign,
							    .not_before_ns = now - 60 * AFX_SEC,
							    .not_after_ns = now + 3600 * AFX_SEC});

	*chain = afx_chain(t->x->f, leaf);
	X509_free(leaf);
}

static struct t *start(bool enable)
{
	struct t *t = xcalloc(1, sizeof(*t));
	struct afx *f = afx_new_provs(
	    enable ? "{\"enableAdmin\":true}" : NULL,
	    "{\"address\":\"127.0.0.1:0\",\"db\":{\"type\":\"sqlite\",\"dataSource\":\"unused\"}}",
	    EXTRA_PROV);
	struct error err = {0};
	bool done = false;

	if (enable && authority_admin_bootstrap(f->a, authority_config(f->a)->provisioners, NULL,
						&done, &err) != 0)
		fail_msg("authority_admin_bootstrap: %s", err.msg);
	t->x = sfx_start(f, NULL);
	t->key = afx_key(AFX_P256);
	admin_cert(t, "step", AFX_JWK, false, t->key, &t->chain);
	return t;
}

static int setup(void **state)
{
	*state = start(true);
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	sfx_stop(t->x);
	EVP_PKEY_free(t->key);
	sk_X509_pop_free(t->chain, X509_free);
	free(t);
	return 0;
}

/* An admin token for aud (a path is prefixed with https://ca.fuzz.test) signed with key for
 * chain; claims_patch (may be NULL) is merged into the payload. malloc'd. */
static char *token(STACK_OF(X509) * chain, EVP_PKEY *key, const char *aud, const char *claims_patch)
{
	json_t *h = json_pack("{s:o}", "x5c", afx_x5c(chain));
	char *full = aud[0] == '/' ? xasprintf(HOST "%s", aud) : xstrdup(aud);
	json_t *p = afx_claims(ISSUER, full, "step", NULL);
	char *tok;

	if (claims_patch != NULL)
		afx_patch(p, claims_patch);
	tok = afx_jwt(key, h, p);
	json_decref(h);
	json_decref(p);
	free(full);
	return tok;
}

/* One request with auth as the Authorization header (NULL: none); asserts the status and, when
 * want is not NULL, the exact body; returns the body (malloc'd). */
static char *call_auth(struct t *t, const char *method, const char *path, const char *body,
		       const char *auth, long status, const char *want)
{
	struct call c = {.method = method, .path = path, .body = body, .authorization = auth};
	char *got;

	sfx_call(t->x, &c, status, want);
	got = xstrdup(c.got.p);
	sfx_call_free(&c);
	return got;
}

/* The same with a fresh token of the super admin for the path (its query removed). */
static char *call(struct t *t, const char *method, const char *path, const char *body, long status,
		  const char *want)
{
	char *plain = xasprintf("%.*s", (int)strcspn(path, "?"), path);
	char *tok = token(t->chain, t->key, plain, NULL);
	char *got = call_auth(t, method, path, body, tok, status, want);

	free(tok);
	free(plain);
	return got;
}

static void check(struct t *t, const char *method, const char *path, const char *body, long status,
		  const char *want)
{
	free(call(t, method, path, body, status, want));
}

/* A member of a JSON object text, as a string (malloc'd, "" when absent). */
static char *member(const char *text, const char *name)
{
	json_t *doc = json_loads(text, 0, NULL);
	const char *v = json_string_value(json_object_get(doc, name));
	char *out = xstrdup(v != NULL ? v : "");

	json_decref(doc);
	return out;
}

/* ---- without the admin API --------------------------------------------------------------------
 */

static void test_disabled(void **state)
{
	struct t *t = start(false);
	char *tok = token(t->chain, t->key, "/admin/admins", NULL);
	(void)state;

	free(call_auth(t, NULL, "/admin/admins", NULL, NULL, 404, NOT_FOUND));
	free(call_auth(t, NULL, "/admin/admins", NULL, tok, 404, NOT_FOUND));
	free(call_auth(t, "POST", "/admin/provisioners", "{}", tok, 404, NOT_FOUND));
	free(call_auth(t, NULL, "/1.0/admin/provisioners", NULL, NULL, 404, NOT_FOUND));
	free(tok);
	teardown((void **)&t);
}

/* ---- admin tokens ------------------------------------------------------------------------------
 */

static void test_token_checks(void **state)
{
	struct t *t = *state;
	STACK_OF(X509) *foreign = NULL, *mallory = NULL, *alice = NULL, *leaf_only;
	EVP_PKEY *k2 = afx_key(AFX_P256);
	char *tok, *bearer, *id, *got;

	free(call_auth(t, NULL, "/admin/admins", NULL, NULL, 401,
		       E401("missing authorization header token")));
	tok = token(t->chain, t->key, "/admin/admins", NULL);
	bearer = xasprintf("Bearer %s", tok);
	free(call_auth(t, NULL, "/admin/admins", NULL, bearer, 401,
		       E401("adminHandler.authorizeToken; error parsing x5c token: invalid token: "
			    "header is not valid base64url")));
	/* the token was not used: it still passes, once */
	free(call_auth(t, NULL, "/admin/admins", NULL, tok, 200, NULL));
	free(call_auth(t, NULL, "/admin/admins", NULL, tok, 401,
		       E401("adminHandler.authorizeToken; error with reuse token: token already "
			    "used")));
	free(tok);
	free(bearer);

	admin_cert(t, "step", AFX_JWK, true, k2, &foreign);
	tok = token(foreign, k2, "/admin/admins", NULL);
	free(call_auth(t, NULL, "/admin/admins", NULL, tok, 401,
		       E401("adminHandler.authorizeToken; error verifying x5c certificate chain in "
			    "token: x509: certificate signed by unknown authority")));
	free(tok);

	tok = token(t->chain, t->key, "/admin/admins", "{\"exp\":1000,\"nbf\":900,\"iat\":900}");
	free(call_auth(t, NULL, "/admin/admins", NULL, tok, 401,
		       E401("x5c.authorizeToken; invalid x5c claims: go-jose/go-jose/jwt: "
			    "validation failed, token is expired (exp)")));
	free(tok);

	tok = token(t->chain, t->key, "/admin/provisioners", NULL);
	free(call_auth(t, NULL, "/admin/admins", NULL, tok, 401,
		       E401("x5c.authorizeToken; x5c token has invalid audience claim (aud)")));
	free(tok);
	tok = token(t->chain, t->key, "https://other.example/admin/admins", NULL);
	free(call_auth(t, NULL, "/admin/admins", NULL, tok, 401,
		       E401("x5c.authorizeToken; x5c token has invalid audience claim (aud)")));
	free(tok);
	/* the port is ignored; the bare path passes */
	tok = token(t->chain, t->key, HOST ":9000/admin/admins", NULL);
	free(call_auth(t, NULL, "/admin/admins", NULL, tok, 200, NULL));
	free(tok);
	tok = token(t->chain, t->key, "/admin/admins", "{\"aud\":\"/admin/admins\"}");
	free(call_auth(t, NULL, "/admin/admins", NULL, tok, 200, NULL));
	free(tok);

	/* a leaf alone: the CA's intermediate completes the chain */
	leaf_only = sk_X509_new_null();
	X509_up_ref(sk_X509_value(t->chain, 0));
	sk_X509_push(leaf_only, sk_X509_value(t->chain, 0));
	tok = token(leaf_only, t->key, "/admin/admins", NULL);
	free(call_auth(t, NULL, "/admin/admins", NULL, tok, 200, NULL));
	free(tok);
	sk_X509_pop_free(leaf_only, X509_free);

	tok = token(t->chain, t->key, "/admin/admins", "{\"iss\":\"someone\"}");
	free(call_auth(t, NULL, "/admin/admins", NULL, tok, 401,
		       E401("x5c.authorizeToken; x5c token has invalid issuer claim (iss)")));
	free(tok);
	tok = token(t->chain, t->key, "/admin/admins", "{\"sub\":\"\"}");
	free(call_auth(t, NULL, "/admin/admins", NULL, tok, 401,
		       E401("x5c.authorizeToken; x5c token subject cannot be empty")));
	free(tok);

	admin_cert(t, "mallory", AFX_JWK, false, k2, &mallory);
	tok = token(mallory, k2, "/admin/admins", NULL);
	free(call_auth(t, NULL, "/admin/admins", NULL, tok, 401,
		       E401("adminHandler.authorizeToken; unable to load admin with subject(s) "
			    "[mallory mallory] and provisioner 'jwk@test'")));
	free(tok);

	/* an ADMIN may read admins but not change them */
	got = call(t, "POST", "/admin/admins",
		   "{\"subject\":\"alice\",\"provisioner\":\"jwk@test\",\"type\":1}", 201, NULL);
	id = member(got, "id");
	free(got);
	admin_cert(t, "alice", AFX_JWK, false, k2, &alice);
	tok = token(alice, k2, "/admin/admins", NULL);
	free(call_auth(t, NULL, "/admin/admins", NULL, tok, 200, NULL));
	free(tok);
	tok = token(alice, k2, "/admin/admins", NULL);
	free(call_auth(t, "POST", "/admin/admins",
		       "{\"subject\":\"bob\",\"provisioner\":\"jwk@test\",\"type\":1}", tok, 401,
		       E401("must have super admin access to make this request")));
	free(tok);
	tok = token(alice, k2, "/admin/provisioners", NULL);
	free(call_auth(t, NULL, "/admin/provisioners", NULL, tok, 200, NULL));
	free(tok);

	free(id);
	EVP_PKEY_free(k2);
	sk_X509_pop_free(foreign, X509_free);
	sk_X509_pop_free(mallory, X509_free);
	sk_X509_pop_free(alice, X509_free);
}

/* ---- routes -------------------------------------------------------------------------------------
 */

static void test_routing(void **state)
{
	struct t *t = *state;

	/* unknown paths and methods are refused before any token check */
	free(call_auth(t, NULL, "/admin/nope", NULL, NULL, 404, NOT_FOUND));
	free(call_auth(t, NULL, "/admin", NULL, NULL, 404, NOT_FOUND));
	free(call_auth(t, NULL, "/admin/provisioners/", NULL, NULL, 404, NOT_FOUND));
	free(call_auth(t, "PATCH", "/admin/provisioners", "{}", NULL, 405, ""));
	/* the /1.0 prefix, with its own audience */
	check(t, NULL, "/1.0/admin/admins/nope", NULL, 404, E404("admin nope not found"));
}

static void test_admins(void **state)
{
	struct t *t = *state;
	char *got, *step_id, *prov_id, *want, *id;
	json_t *doc;

	got = call(t, NULL, "/admin/admins", NULL, 200, NULL);
	doc = json_loads(got, 0, NULL);
	step_id = xstrdup(json_string_value(
	    json_object_get(json_array_get(json_object_get(doc, "admins"), 0), "id")));
	prov_id = xstrdup(json_string_value(
	    json_object_get(json_array_get(json_object_get(doc, "admins"), 0), "provisioner_id")));
	json_decref(doc);
	assert_int_equal(strlen(step_id), 36);
	free(got);

	want = xasprintf("{\"id\":\"%s\",\"authorityId\":\"" ZERO_UUID "\",\"subject\":\"step\","
			 "\"provisionerId\":\"%s\",\"type\":\"SUPER_ADMIN\"}",
			 step_id, prov_id);
	got = xasprintf("/admin/admins/%s", step_id);
	check(t, NULL, got, NULL, 200, want);
	free(got);
	free(want);

	check(t, NULL, "/admin/admins?limit=abc", NULL, 400,
	      E400("error parsing cursor and limit from query params: limit 'abc' is not an "
		   "integer: strconv.Atoi: parsing \\\"abc\\\": invalid syntax"));
	check(t, "POST", "/admin/admins",
	      "{\"subject\":\"bob\",\"provisioner\":\"jwk@test\","
	      "\"type\":\"ADMIN\"}",
	      400,
	      E400("error reading request body: error decoding json: json: cannot unmarshal "
		   "string into Go struct field CreateAdminRequest.type of type "
		   "linkedca.Admin_Type"));
	check(t, "POST", "/admin/admins",
	      "{\"subject\":\"bob\",\"provisioner\":\"jwk@test\",\"type\":3}", 400,
	      E400("invalid value for admin type"));
	check(t, "POST", "/admin/admins",
	      "{\"subject\":\"\",\"provisioner\":\"jwk@test\",\"type\":1}", 400,
	      E400("subject cannot be empty"));
	check(t, "POST", "/admin/admins", "{\"subject\":\"bob\",\"type\":1}", 400,
	      E400("provisioner cannot be empty"));
	check(t, "POST", "/admin/admins",
	      "{\"subject\":\"bob\",\"provisioner\":\"nope\",\"type\":1}", 404,
	      E404("error loading provisioner nope: provisioner nope not found"));

	got = call(t, "POST", "/admin/admins",
		   "{\"subject\":\"bob\",\"provisioner\":\"jwk@test\",\"type\":1}", 201, NULL);
	id = member(got, "id");
	want = xasprintf("{\"id\":\"%s\",\"authorityId\":\"" ZERO_UUID "\",\"subject\":\"bob\","
			 "\"provisionerId\":\"%s\",\"type\":\"ADMIN\"}",
			 id, prov_id);
	assert_string_equal(got, want);
	free(got);
	free(want);
	check(t, "POST", "/admin/admins",
	      "{\"subject\":\"bob\",\"provisioner\":\"jwk@test\",\"type\":2}", 400,
	      E400("error storing admin: admin with subject bob and provisioner jwk@test already "
		   "exists"));

	/* promote, list, remove */
	got = xasprintf("/admin/admins/%s", id);
	want = xasprintf("{\"id\":\"%s\",\"authorityId\":\"" ZERO_UUID "\",\"subject\":\"bob\","
			 "\"provisionerId\":\"%s\",\"type\":\"SUPER_ADMIN\"}",
			 id, prov_id);
	check(t, "PATCH", got, "{\"type\":2}", 200, want);
	free(want);
	check(t, "PATCH", got, "{\"type\":0}", 400, E400("invalid value for admin type"));
	check(t, "DELETE", got, NULL, 200, "{\"status\":\"ok\"}\n");
	want = xasprintf(E404("error deleting admin %s: error removing admin %s from authority "
			      "cache: admin %s not found"),
			 id, id, id);
	check(t, "DELETE", got, NULL, 404, want);
	free(want);
	free(got);

	/* the last super admin stays */
	got = xasprintf("/admin/admins/%s", step_id);
	want = xasprintf(E400("error deleting admin %s: error removing admin %s from authority "
			      "cache: cannot remove the last super admin"),
			 step_id, step_id);
	check(t, "DELETE", got, NULL, 400, want);
	free(want);
	want = xasprintf(E400("error updating admin %s: error updating cached admin %s: cannot "
			      "change role of last super admin"),
			 step_id, step_id);
	check(t, "PATCH", got, "{\"type\":1}", 400, want);
	free(want);
	free(got);

	/* the list's page */
	got = call(t, NULL, "/admin/admins?limit=1", NULL, 200, NULL);
	doc = json_loads(got, 0, NULL);
	assert_int_equal(json_array_size(json_object_get(doc, "admins")), 1);
	assert_string_equal(json_string_value(json_object_get(doc, "nextCursor")), "");
	json_decref(doc);
	free(got);
	free(id);
	free(step_id);
	free(prov_id);
}

#define ACME2                                                                                      \
	"{\"type\":\"ACME\",\"name\":\"acme2\",\"details\":{\"ACME\":{\"forceCn\":true,"           \
	"\"requireEab\":true}},\"claims\":{\"x509\":{\"enabled\":true,\"durations\":{"             \
	"\"default\":\"1h\"}},\"ssh\":{\"enabled\":false}}}"

static void test_provisioners(void **state)
{
	struct t *t = *state;
	struct call pub = {.path = "/provisioners?limit=100"};
	char *got, *id, *id2, *put;
	json_t *doc;

	/* the list is GET /provisioners' */
	sfx_call(t->x, &pub, 200, NULL);
	check(t, NULL, "/admin/provisioners?limit=100", NULL, 200, pub.got.p);
	sfx_call_free(&pub);

	got = call(t, NULL, "/admin/provisioners/jwk@test", NULL, 200, NULL);
	doc = json_loads(got, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(doc, "type")), "JWK");
	assert_string_equal(json_string_value(json_object_get(doc, "name")), "jwk@test");
	assert_string_equal(json_string_value(json_object_get(doc, "authorityId")), ZERO_UUID);
	assert_string_equal(json_string_value(json_object_get(doc, "deletedAt")),
			    "0001-01-01T00:00:00Z");
	id = xstrdup(json_string_value(json_object_get(doc, "id")));
	json_decref(doc);
	free(got);
	put = xasprintf("/admin/provisioners/id?id=%s", id);
	got = call(t, NULL, put, NULL, 200, NULL);
	id2 = member(got, "name");
	assert_string_equal(id2, "jwk@test");
	free(id2);
	free(got);
	free(put);
	free(id);
	check(t, NULL, "/admin/provisioners/nope", NULL, 404,
	      E404("error loading provisioner nope: provisioner nope not found"));

	/* create */
	check(t, "POST", "/admin/provisioners",
	      "{\"type\":\"ACME\",\"name\":\"bad\",\"details\":{\"ACME\":{}},\"claims\":{\"x509\":"
	      "{\"durations\":{\"min\":\"2h\",\"max\":\"1h\"}}}}",
	      400, E400("min duration '2h' cannot be greater than max duration '1h'"));
	check(t, "POST", "/admin/provisioners",
	      "{\"type\":\"ACME\",\"name\":\"bad\",\"details\":{\"ACME\":{}},\"claims\":{\"x509\":"
	      "{\"durations\":{\"default\":\"abc\"}}}}",
	      400, E400("default duration 'abc' is invalid: time: invalid duration \\\"abc\\\""));
	check(t, "POST", "/admin/provisioners",
	      "{\"type\":\"JWK\",\"name\":\"nokey\",\"details\":{\"JWK\":{}}}", 500,
	      E500("error storing provisioner nokey: error converting to certificates provisioner "
		   "from linkedca provisioner: details.JWK.publicKey is required"));
	got = call(t, "POST", "/admin/provisioners", ACME2, 201, NULL);
	doc = json_loads(got, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(doc, "name")), "acme2");
	assert_int_equal(strlen(json_string_value(json_object_get(doc, "id"))), 36);
	assert_null(json_object_get(doc, "createdAt"));
	json_decref(doc);
	free(got);
	check(t, "POST", "/admin/provisioners", ACME2, 400,
	      E400("error storing provisioner acme2: provisioner with name acme2 already exists"));
	sfx_call(t->x, &pub, 200, NULL);
	assert_non_null(strstr(pub.got.p, "\"name\":\"acme2\""));
	sfx_call_free(&pub);

	/* update: the whole object as GET gives it */
	got = call(t, NULL, "/admin/provisioners/acme2", NULL, 200, NULL);
	doc = json_loads(got, 0, NULL);
	json_object_set_new(json_object_get(doc, "details"), "ACME",
			    json_pack("{s:b}", "forceCn", 0));
	put = json_dumps(doc, JSON_COMPACT);
	free(call(t, "PUT", "/admin/provisioners/acme2", put, 200, NULL));
	free(put);
	json_object_set_new(doc, "type", json_string("JWK"));
	put = json_dumps(doc, JSON_COMPACT);
	check(t, "PUT", "/admin/provisioners/acme2", put, 500,
	      E500("cannot change provisioner type"));
	free(put);
	json_object_del(doc, "id");
	put = json_dumps(doc, JSON_COMPACT);
	check(t, "PUT", "/admin/provisioners/acme2", put, 500,
	      E500("cannot change provisioner ID"));
	free(put);
	json_decref(doc);
	free(got);
	got = call(t, NULL, "/admin/provisioners/acme2", NULL, 200, NULL);
	assert_null(strstr(got, "forceCn"));
	free(got);

	/* delete */
	check(t, "DELETE", "/admin/provisioners/acme2", NULL, 200, "{\"status\":\"ok\"}\n");
	check(t, "DELETE", "/admin/provisioners/acme2", NULL, 404,
	      E404("error loading provisioner acme2: provisioner acme2 not found"));
	check(t, "DELETE", "/admin/provisioners/jwk@test", NULL, 400,
	      E400("error removing provisioner jwk@test: cannot remove provisioner jwk@test "
		   "because no super admins will remain"));
}

#define ALLOW_EXAMPLE "{\"x509\":{\"allow\":{\"dns\":[\"*.example.com\",\"*.example.com\"]}}}"
#define ALLOW_STEP    "{\"x509\":{\"allow\":{\"dns\":[\"*.example.com\",\"step\"]}}}"

static void test_policies(void **state)
{
	struct t *t = *state;

	/* the authority's */
	check(t, NULL, "/admin/policy", NULL, 404, E404("authority policy does not exist"));
	check(t, "PUT", "/admin/policy", ALLOW_STEP, 404, E404("authority policy does not exist"));
	check(t, "POST", "/admin/policy", ALLOW_EXAMPLE, 400,
	      E400(LOCKOUT("error storing authority policy", "step")));
	check(t, "POST", "/admin/policy", ALLOW_STEP, 201, ALLOW_STEP);
	check(t, "POST", "/admin/policy", ALLOW_STEP, 409, E409("authority already has a policy"));
	check(t, NULL, "/admin/policy", NULL, 200, ALLOW_STEP);
	check(t, "PUT", "/admin/policy", ALLOW_EXAMPLE, 400,
	      E400(LOCKOUT("error updating authority policy", "step")));
	check(t, "DELETE", "/admin/policy", NULL, 200, "{\"status\":\"ok\"}\n");
	check(t, "DELETE", "/admin/policy", NULL, 404, E404("authority policy does not exist"));

	/* a provisioner's */
	check(t, NULL, "/admin/provisioners/jwk@test/policy", NULL, 404,
	      E404("provisioner policy does not exist"));
	check(t, "POST", "/admin/provisioners/jwk@test/policy", ALLOW_EXAMPLE, 400,
	      E400(LOCKOUT("error creating provisioner policy", "step")));
	check(t, "POST", "/admin/provisioners/jwk@test/policy", ALLOW_STEP, 201, ALLOW_STEP);
	check(t, "POST", "/admin/provisioners/jwk@test/policy", ALLOW_STEP, 409,
	      E409("provisioner jwk@test already has a policy"));
	check(t, "PUT", "/admin/provisioners/jwk@test/policy",
	      "{\"x509\":{\"allow\":{\"dns\":[\"step\"]}}}", 200,
	      "{\"x509\":{\"allow\":{\"dns\":[\"step\"]}}}");
	check(t, NULL, "/admin/provisioners/jwk@test/policy", NULL, 200,
	      "{\"x509\":{\"allow\":{\"dns\":[\"step\"]}}}");
	check(t, "DELETE", "/admin/provisioners/jwk@test/policy", NULL, 200,
	      "{\"status\":\"ok\"}\n");
	check(t, "DELETE", "/admin/provisioners/jwk@test/policy", NULL, 404,
	      E404("provisioner policy does not exist"));
	/* no admins on twohours@test: nobody to lock out */
	check(t, "POST", "/admin/provisioners/twohours@test/policy", ALLOW_EXAMPLE, 201,
	      "{\"x509\":{\"allow\":{\"dns\":[\"*.example.com\"]}}}");
	check(t, NULL, "/admin/provisioners/nope/policy", NULL, 404,
	      E404("error loading provisioner nope: provisioner nope not found"));
}

static void test_eab(void **state)
{
	struct t *t = *state;
	char *got, *id, *path, *want;
	json_t *doc;

	check(t, NULL, "/admin/acme/eab/acme", NULL, 400,
	      E400("ACME EAB not enabled for provisioner 'acme'"));
	check(t, NULL, "/admin/acme/eab/jwk@test", NULL, 500,
	      E500("error getting ACME details for provisioner 'jwk@test'"));
	check(t, NULL, "/admin/acme/eab/nope", NULL, 404,
	      E404("error loading provisioner nope: provisioner nope not found"));
	check(t, NULL, "/admin/acme/eab/acme-eab", NULL, 200,
	      "{\"eaks\":[],\"nextCursor\":\"\"}\n");

	got = call(t, "POST", "/admin/acme/eab/acme-eab", "{\"reference\":\"r1\"}", 201, NULL);
	doc = json_loads(got, 0, NULL);
	id = xstrdup(json_string_value(json_object_get(doc, "id")));
	assert_int_equal(strlen(json_string_value(json_object_get(doc, "hmacKey"))), 44);
	assert_string_equal(json_string_value(json_object_get(doc, "provisioner")), "acme-eab");
	assert_string_equal(json_string_value(json_object_get(doc, "reference")), "r1");
	assert_non_null(json_string_value(json_object_get(doc, "createdAt")));
	json_decref(doc);
	free(got);
	check(t, "POST", "/admin/acme/eab/acme-eab", "{\"reference\":\"r1\"}", 409,
	      E409("an ACME EAB key for provisioner 'acme-eab' with reference 'r1' already "
		   "exists"));

	got = call(t, NULL, "/admin/acme/eab/acme-eab/r1", NULL, 200, NULL);
	doc = json_loads(got, 0, NULL);
	assert_int_equal(json_array_size(json_object_get(doc, "eaks")), 1);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(doc, "eaks"), 0), "id")),
			    id);
	assert_null(json_object_get(json_array_get(json_object_get(doc, "eaks"), 0), "hmac_key"));
	json_decref(doc);
	free(got);

	/* its account policy, by reference and by key ID */
	check(t, NULL, "/admin/acme/policy/acme-eab/reference/r1", NULL, 404,
	      E404("ACME EAK policy does not exist"));
	check(t, NULL, "/admin/acme/policy/acme-eab/reference/r2", NULL, 404,
	      E404("ACME External Account Key not found"));
	check(t, "POST", "/admin/acme/policy/acme-eab/reference/r1", ALLOW_EXAMPLE, 201,
	      "{\"x509\":{\"allow\":{\"dns\":[\"*.example.com\"]}}}");
	path = xasprintf("/admin/acme/policy/acme-eab/key/%s", id);
	check(t, NULL, path, NULL, 200, "{\"x509\":{\"allow\":{\"dns\":[\"*.example.com\"]}}}");
	want = xasprintf(E409("ACME EAK %s already has a policy"), id);
	check(t, "POST", path, ALLOW_EXAMPLE, 409, want);
	free(want);
	check(t, "DELETE", path, NULL, 200, "{\"status\":\"ok\"}\n");
	check(t, NULL, path, NULL, 404, E404("ACME EAK policy does not exist"));
	free(path);

	path = xasprintf("/admin/acme/eab/acme-eab/%s", id);
	check(t, "DELETE", path, NULL, 200, "{\"status\":\"ok\"}\n");
	want = xasprintf(E404("error deleting ACME EAB Key '%s': ACME EAB key '%s' not found for "
			      "provisioner 'acme-eab'"),
			 id, id);
	check(t, "DELETE", path, NULL, 404, want);
	free(want);
	free(path);
	free(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_disabled),
	    cmocka_unit_test_setup_teardown(test_token_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_routing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_admins, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_provisioners, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_policies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eab, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
