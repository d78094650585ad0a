/* test_admin_state.c - remote administration's state in the store: the import of ca.json on
 * the first start, provisioner, admin and policy changes with step-ca's rules and messages,
 * snapshots that outlive a change, and a second instance on the same database following the
 * first one's changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "authority/admin_state.h"
#include "authority_fixture.h"
#include "config/linkedca.h"
#include "base/password.h"
#include "crypto/cert.h"
#include "jose/jwe.h"
#include "store/store.h"

#define ADMIN_ON "{\"enableAdmin\":true}"
/* The fixture opens its own SQLite store; ca.json only has to say that there is a database. */
#define WITH_DB "{\"db\":{\"type\":\"sqlite\",\"dataSource\":\"fixture\"}}"

/* jwk@test's ca.json object renamed to name, with claims (JSON text, may be NULL). */
static json_t *jwk_config(struct afx *f, const char *name, const char *claims)
{
	struct prov_set *s = prov_set_get(f->a);
	const struct provisioner *p = provisioners_by_name(&s->provs, AFX_JWK);
	json_t *c = json_deep_copy(p->config);

	prov_set_put(s);
	json_object_set_new(c, "name", json_string(name));
	json_object_del(c, "claims");
	if (claims != NULL)
		json_object_set_new(c, "claims", json_loads(claims, 0, NULL));
	return c;
}

/* Signs cn through prov's token at a; *leaf (may be NULL) gets the certificate. */
static int sign_at(struct afx *f, struct authority *a, const char *prov, const char *cn,
		   X509 **leaf, struct error *err)
{
	return afx_sign(f, a, prov, cn, NULL, leaf, err);
}

static const char *prov_id(struct authority *a, const char *name, char buf[37])
{
	struct prov_set *s = prov_set_get(a);
	const struct provisioner *p = provisioners_by_name(&s->provs, name);

	buf[0] = '\0';
	if (p != NULL && p->id != NULL)
		snprintf(buf, 37, "%s", p->id);
	prov_set_put(s);
	return buf;
}

static void expect_err(int rc, const struct error *err, enum err_kind kind, const char *msg)
{
	assert_int_equal(rc, -1);
	assert_int_equal(err->kind, kind);
	assert_string_equal(err->msg, msg);
}

static void test_first_start_imports_ca_json(void **state)
{
	struct afx *f = afx_new_doc(ADMIN_ON, WITH_DB);
	struct authority *b;
	struct prov_set *s, *t;
	char jwk[37];
	(void)state;

	s = prov_set_get(f->a);
	assert_int_equal(s->version, 1);
	assert_int_equal(s->provs.n, 6);
	for (size_t i = 0; i < s->provs.n; i++) {
		/* in ca.json's order */
		assert_string_equal(s->provs.v[i].name,
				    json_string_value(json_object_get(
					json_array_get(f->a->cfg->provisioners, i), "name")));
		assert_non_null(s->provs.v[i].id);
		assert_int_equal(strlen(s->provs.v[i].id), 36);
		assert_true(s->provs.v[i].created_at_ns > 0);
	}
	assert_int_equal(s->n_admins, 1);
	assert_string_equal(s->admins[0].subject, "step");
	assert_int_equal(s->admins[0].type, LINKEDCA_SUPER_ADMIN);
	assert_string_equal(s->admins[0].provisioner_id, prov_id(f->a, AFX_JWK, jwk));
	/* a second instance finds the state stored and imports nothing */
	b = afx_another(f);
	t = prov_set_get(b);
	assert_int_equal(t->version, 1);
	assert_int_equal(t->n_admins, 1);
	assert_string_equal(t->provs.v[0].id, s->provs.v[0].id);
	prov_set_put(t);
	prov_set_put(s);
	authority_free(b);
	afx_free(f);
}

static void test_provisioner_lifecycle_across_instances(void **state)
{
	struct afx *f = afx_new_doc(ADMIN_ON, WITH_DB);
	struct authority *b = afx_another(f);
	json_t *cfg = jwk_config(f, "team@test", NULL);
	struct error err = {0};
	char *id = NULL;
	X509 *leaf = NULL;
	(void)state;

	assert_int_equal(admin_provisioner_create(f->a, cfg, NULL, &id, &err), 0);
	assert_int_equal(strlen(id), 36);
	/* at once, at both instances (the second one finds it on the lookup miss) */
	assert_int_equal(sign_at(f, f->a, "team@test", "a.example.com", NULL, &err), 0);
	assert_int_equal(sign_at(f, b, "team@test", "b.example.com", NULL, &err), 0);
	/* the same name again */
	expect_err(admin_provisioner_create(b, cfg, NULL, &(char *){NULL}, &err), &err, ERR_INVALID,
		   "provisioner with name team@test already exists");
	json_decref(cfg);

	/* new claims apply at once here, and at the other instance once it has refreshed */
	cfg = jwk_config(f, "team@test", "{\"defaultTLSCertDuration\":\"2h\"}");
	assert_int_equal(admin_provisioner_update(f->a, id, cfg, NULL, &err), 0);
	assert_int_equal(sign_at(f, f->a, "team@test", "c.example.com", &leaf, &err), 0);
	assert_int_equal(cert_not_after_ns(leaf) - cert_not_before_ns(leaf),
			 2 * 3600 * AFX_SEC + 60 * AFX_SEC);
	X509_free(leaf);
	assert_int_equal(prov_set_refresh(b, &err), 0);
	assert_int_equal(sign_at(f, b, "team@test", "d.example.com", &leaf, &err), 0);
	assert_int_equal(cert_not_after_ns(leaf) - cert_not_before_ns(leaf),
			 2 * 3600 * AFX_SEC + 60 * AFX_SEC);
	X509_free(leaf);
	json_object_set_new(cfg, "type", json_string("X5C"));
	expect_err(admin_provisioner_update(f->a, id, cfg, NULL, &err), &err, ERR_INTERNAL,
		   "cannot change provisioner type");
	json_decref(cfg);

	/* removed: its tokens are refused */
	assert_int_equal(admin_provisioner_delete(b, id, &err), 0);
	expect_err(sign_at(f, b, "team@test", "e.example.com", NULL, &err), &err, ERR_UNAUTHORIZED,
		   "provisioner not found or invalid audience (" AFX_AUDIENCE "/1.0/sign)");
	assert_int_equal(prov_set_refresh(f->a, &err), 0);
	expect_err(sign_at(f, f->a, "team@test", "f.example.com", NULL, &err), &err,
		   ERR_UNAUTHORIZED,
		   "provisioner not found or invalid audience (" AFX_AUDIENCE "/1.0/sign)");
	{
		char *msg = xasprintf("provisioner %s not found", id);
		expect_err(admin_provisioner_delete(f->a, id, &err), &err, ERR_NOT_FOUND, msg);
		free(msg);
	}
	free(id);
	authority_free(b);
	afx_free(f);
}

static void test_bad_provisioner_refused(void **state)
{
	struct afx *f = afx_new_doc(ADMIN_ON, WITH_DB);
	json_t *cfg = jwk_config(f, "bad@test", "{\"defaultTLSCertDuration\":\"nope\"}");
	struct error err = {0};
	char *id = NULL;
	(void)state;

	assert_int_equal(admin_provisioner_create(f->a, cfg, NULL, &id, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_true(err.expose);
	assert_non_null(
	    strstr(err.msg, "error validating configuration for provisioner \"bad@test\": "));
	assert_null(id);
	json_decref(cfg);
	afx_free(f);
}

static void test_admin_rules(void **state)
{
	struct afx *f = afx_new_doc(ADMIN_ON, WITH_DB);
	json_t *cfg = jwk_config(f, "team@test", NULL);
	struct admin_entry alice = {0}, tmp = {0};
	struct error err = {0};
	char *team = NULL, jwk[37];
	struct prov_set *s;
	char step_id[37];
	(void)state;

	assert_int_equal(admin_provisioner_create(f->a, cfg, NULL, &team, &err), 0);
	json_decref(cfg);
	assert_int_equal(admin_admin_create(f->a, "alice", team, LINKEDCA_ADMIN, &alice, &err), 0);
	assert_string_equal(alice.subject, "alice");
	assert_string_equal(alice.provisioner_id, team);
	assert_int_equal(alice.type, LINKEDCA_ADMIN);
	expect_err(admin_admin_create(f->a, "alice", team, LINKEDCA_SUPER_ADMIN, &tmp, &err), &err,
		   ERR_INVALID,
		   "admin with subject alice and provisioner team@test already exists");
	expect_err(admin_admin_create(f->a, "bob", team, 3, &tmp, &err), &err, ERR_INVALID,
		   "invalid value for admin type");
	expect_err(admin_admin_create(f->a, "bob", "nope", 1, &tmp, &err), &err, ERR_NOT_FOUND,
		   "provisioner nope not found");
	expect_err(admin_admin_update(f->a, "nope", 2, &tmp, &err), &err, ERR_NOT_FOUND,
		   "admin nope not found");

	s = prov_set_get(f->a);
	snprintf(step_id, sizeof(step_id), "%s", s->admins[0].id);
	prov_set_put(s);
	if (strcmp(step_id, alice.id) == 0) { /* ids are random: find step's */
		s = prov_set_get(f->a);
		snprintf(step_id, sizeof(step_id), "%s", s->admins[1].id);
		prov_set_put(s);
	}
	/* step is the only super admin */
	expect_err(admin_admin_update(f->a, step_id, LINKEDCA_ADMIN, &tmp, &err), &err, ERR_INVALID,
		   "cannot change role of last super admin");
	expect_err(admin_admin_delete(f->a, step_id, &err), &err, ERR_INVALID,
		   "cannot remove the last super admin");
	expect_err(admin_provisioner_delete(f->a, prov_id(f->a, AFX_JWK, jwk), &err), &err,
		   ERR_INVALID,
		   "cannot remove provisioner jwk@test because no super admins will remain");
	/* alice becomes super admin: step can go, then alice is the last one */
	admin_entry_free(&alice);
	s = prov_set_get(f->a);
	for (size_t i = 0; i < s->n_admins; i++)
		if (strcmp(s->admins[i].subject, "alice") == 0)
			alice.id = xstrdup(s->admins[i].id);
	prov_set_put(s);
	assert_int_equal(admin_admin_update(f->a, alice.id, LINKEDCA_SUPER_ADMIN, &tmp, &err), 0);
	assert_int_equal(tmp.type, LINKEDCA_SUPER_ADMIN);
	admin_entry_free(&tmp);
	assert_int_equal(admin_admin_delete(f->a, step_id, &err), 0);
	expect_err(admin_admin_delete(f->a, alice.id, &err), &err, ERR_INVALID,
		   "cannot remove the last super admin");
	expect_err(admin_provisioner_delete(f->a, team, &err), &err, ERR_INVALID,
		   "cannot remove provisioner team@test because no super admins will remain");
	/* the jwk provisioner holds no admin now: it can go */
	assert_int_equal(admin_provisioner_delete(f->a, prov_id(f->a, AFX_JWK, jwk), &err), 0);
	s = prov_set_get(f->a);
	assert_int_equal(s->n_admins, 1);
	assert_int_equal(s->provs.n, 6);
	prov_set_put(s);
	free(alice.id);
	free(team);
	afx_free(f);
}

static void test_policy_set(void **state)
{
	struct afx *f = afx_new_doc(ADMIN_ON, WITH_DB);
	json_t *pol = json_loads("{\"x509\":{\"allow\":{\"dns\":[\"*.example.com\"]}}}", 0, NULL);
	struct error err = {0};
	struct prov_set *s;
	(void)state;

	assert_int_equal(admin_policy_set(f->a, "authority", pol, false, true, &err), 0);
	s = prov_set_get(f->a);
	assert_true(json_equal(s->authority_policy_doc, pol));
	prov_set_put(s);
	expect_err(admin_policy_set(f->a, "authority", pol, false, true, &err), &err, ERR_CONFLICT,
		   "policy already exists");
	assert_int_equal(admin_policy_set(f->a, "acme/key1", pol, false, true, &err), 0);
	assert_int_equal(admin_policy_set(f->a, "authority", NULL, true, false, &err), 0);
	expect_err(admin_policy_set(f->a, "authority", NULL, true, false, &err), &err,
		   ERR_NOT_FOUND, "policy does not exist");
	s = prov_set_get(f->a);
	assert_null(s->authority_policy_doc);
	assert_int_equal(s->n_acme_policies, 1);
	assert_string_equal(s->acme_policies[0].eab_key_id, "key1");
	prov_set_put(s);
	json_decref(pol);
	afx_free(f);
}

/* A snapshot taken before a change stays whole until it is dropped. */
static void test_snapshot_outlives_change(void **state)
{
	struct afx *f = afx_new_doc(ADMIN_ON, WITH_DB);
	struct prov_set *old = prov_set_get(f->a), *cur;
	json_t *cfg = jwk_config(f, "team@test", NULL);
	struct error err = {0};
	char *id = NULL;
	(void)state;

	assert_int_equal(admin_provisioner_create(f->a, cfg, NULL, &id, &err), 0);
	cur = prov_set_get(f->a);
	assert_ptr_not_equal(old, cur);
	assert_int_equal(cur->version, old->version + 1);
	assert_int_equal(old->provs.n, 6);
	assert_int_equal(cur->provs.n, 7);
	assert_null(provisioners_by_name(&old->provs, "team@test"));
	assert_non_null(provisioners_by_name(&cur->provs, "team@test"));
	prov_set_put(old);
	prov_set_put(cur);
	json_decref(cfg);
	free(id);
	afx_free(f);
}

static void test_without_admin(void **state)
{
	struct afx *f = afx_new(NULL);
	json_t *cfg = jwk_config(f, "team@test", NULL);
	struct error err = {0};
	char *id = NULL;
	struct prov_set *s;
	(void)state;

	expect_err(admin_provisioner_create(f->a, cfg, NULL, &id, &err), &err, ERR_NOT_IMPLEMENTED,
		   "administration API not enabled");
	assert_false(authority_admin_enabled(f->a));
	s = prov_set_get(f->a);
	assert_int_equal(s->version, 0);
	assert_null(s->provs.v[0].id);
	prov_set_put(s);
	json_decref(cfg);
	afx_free(f);
}

/* The records of a collection as JSON, in id order (a new array). */
static json_t *stored(struct authority *a, const char *collection)
{
	struct store_record *v = NULL;
	struct error err = {0};
	json_t *out = json_array();
	size_t n = 0;

	assert_int_equal(
	    a->store->ops->record_list(a->store, collection, NULL, NULL, 100, &v, &n, &err), 0);
	for (size_t i = 0; i < n; i++) {
		json_t *doc = json_loadb((const char *)v[i].value, v[i].value_len, 0, NULL);

		assert_non_null(doc);
		json_object_set_new(doc, "id", json_string(v[i].id));
		json_array_append_new(out, doc);
	}
	store_records_free(v, n);
	return out;
}

/* No JWK provisioner to hold the first super admin: step-ca's "Admin JWK", its key encrypted
 * with the CA's password, when that password is known; a clear error when it is not. */
static void test_admin_jwk_when_no_jwk(void **state)
{
	struct afx *f = afx_new_doc(NULL, WITH_DB); /* a store, its administration state empty */
	json_t *acme_only = json_loads("[{\"type\":\"ACME\",\"name\":\"acme\"}]", 0, NULL);
	json_t *none = json_array(), *provs, *admins, *jwk = NULL, *item;
	struct error err = {0};
	bool done = true;
	uint8_t *plain = NULL;
	size_t i, len = 0;
	(void)state;

	/* ca init and eab --offline pass no password: an empty list is nothing to store */
	assert_int_equal(admin_bootstrap(f->a, none, NULL, NULL, &done, &err), 0);
	assert_false(done);
	expect_err(admin_bootstrap(f->a, acme_only, NULL, NULL, &done, &err), &err, ERR_INVALID,
		   "remote administration needs a JWK provisioner for the first super admin, or "
		   "the CA's password (--password-file) to create the provisioner \"Admin JWK\"");
	provs = stored(f->a, ADMIN_COL_PROVISIONERS);
	assert_int_equal(json_array_size(provs), 0);
	json_decref(provs);

	assert_int_equal(admin_bootstrap(f->a, acme_only, NULL, "ca-password", &done, &err), 0);
	assert_true(done);
	provs = stored(f->a, ADMIN_COL_PROVISIONERS);
	assert_int_equal(json_array_size(provs), 2);
	json_array_foreach(provs, i, item)
	{
		json_t *p = json_object_get(item, "provisioner");

		if (strcmp(json_string_value(json_object_get(p, "name")), "Admin JWK") == 0)
			jwk = item;
	}
	assert_non_null(jwk);
	item = json_object_get(jwk, "provisioner");
	assert_string_equal(json_string_value(json_object_get(item, "type")), "JWK");
	assert_string_equal(json_string_value(json_object_get(json_object_get(item, "claims"),
							      "defaultTLSCertDuration")),
			    "5m");
	/* its private key opens with the CA's password and is the pair of its public key */
	assert_int_equal(
	    jwe_decrypt_password(json_string_value(json_object_get(item, "encryptedKey")),
				 "ca-password", &plain, &len, &err),
	    0);
	{
		json_t *priv = json_loadb((const char *)plain, len, 0, NULL);

		assert_string_equal(
		    json_string_value(json_object_get(priv, "x")),
		    json_string_value(json_object_get(json_object_get(item, "key"), "x")));
		assert_non_null(json_object_get(priv, "d"));
		json_decref(priv);
	}
	password_free((char *)plain);
	/* step is its super admin */
	admins = stored(f->a, ADMIN_COL_ADMINS);
	assert_int_equal(json_array_size(admins), 1);
	item = json_array_get(admins, 0);
	assert_string_equal(json_string_value(json_object_get(item, "subject")), "step");
	assert_int_equal(json_integer_value(json_object_get(item, "type")), LINKEDCA_SUPER_ADMIN);
	assert_string_equal(json_string_value(json_object_get(item, "provisionerId")),
			    json_string_value(json_object_get(jwk, "id")));
	/* stored once: a later start changes nothing */
	assert_int_equal(admin_bootstrap(f->a, acme_only, NULL, "ca-password", &done, &err), 0);
	assert_false(done);
	json_decref(admins);
	json_decref(provs);
	json_decref(none);
	json_decref(acme_only);
	afx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_start_imports_ca_json),
	    cmocka_unit_test(test_provisioner_lifecycle_across_instances),
	    cmocka_unit_test(test_bad_provisioner_refused),
	    cmocka_unit_test(test_admin_rules),
	    cmocka_unit_test(test_policy_set),
	    cmocka_unit_test(test_snapshot_outlives_change),
	    cmocka_unit_test(test_without_admin),
	    cmocka_unit_test(test_admin_jwk_when_no_jwk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
