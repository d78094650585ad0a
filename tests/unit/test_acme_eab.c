/* test_acme_eab.c - ACME EAB keys in the store (src/acme/eab_keys.c) on SQLite: add, list with
 * paging and the reference filter, duplicate references, remove, and the provisioner checks;
 * and the authority's views the ACME server needs (authority_has_db, ACME provisioner count). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "acme/internal.h"
#include "authority/internal.h"
#include "authority_fixture.h"
#include "base/b64.h"
#include "base/duration.h"
#include "base/str.h"

#define PROVS                                                                                      \
	"{\"provisioners\":[{\"type\":\"ACME\",\"name\":\"acme\"},"                                \
	"{\"type\":\"ACME\",\"name\":\"acme2\",\"requireEAB\":true},"                              \
	"{\"type\":\"SCEP\",\"name\":\"scep\"}]}"

static int setup(void **state)
{
	*state = afx_new(PROVS);
	return 0;
}

static int teardown(void **state)
{
	afx_free(*state);
	return 0;
}

static struct authority *A(void **state)
{
	return ((struct afx *)*state)->a;
}

static void assert_err(int rc, const struct error *err, enum err_kind kind, const char *msg)
{
	assert_int_equal(rc, -1);
	assert_int_equal(err->kind, kind);
	assert_string_equal(err->msg, msg);
}

static bool is_alnum_id(const char *s)
{
	if (strlen(s) != ACME_ID_LEN)
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

/* The store record of a collection and id, and its value as JSON (NULL when absent). */
static json_t *record_value(struct authority *a, const char *collection, const char *id,
			    char **owner)
{
	struct store_record r = {0};
	struct error err = {0};
	bool found = false;
	json_t *v = NULL;

	assert_int_equal(a->store->ops->record_get(a->store, collection, id, &found, &r, &err), 0);
	if (found) {
		v = json_loadb((const char *)r.value, r.value_len, 0, NULL);
		assert_non_null(v);
		if (owner != NULL)
			*owner = xstrdup(r.owner);
	}
	store_record_free(&r);
	return v;
}

/* hex SHA-256(prov NUL ref): the id of a reference's record (internal.h). */
static void ref_hash(const char *prov, const char *ref, char out[65])
{
	uint8_t buf[600], md[32];
	size_t lp = strlen(prov), lr = strlen(ref);
	unsigned int n = 0;
	char *hex;

	memcpy(buf, prov, lp + 1);
	memcpy(buf + lp + 1, ref, lr);
	assert_int_equal(EVP_Digest(buf, lp + 1 + lr, md, &n, EVP_sha256(), NULL), 1);
	hex = hex_encode(md, sizeof(md));
	memcpy(out, hex, 65);
	free(hex);
}

static void test_add(void **state)
{
	struct authority *a = A(state);
	struct acme_eab_key k = {0}, r = {0};
	struct error err = {0};
	int64_t before = time_now_ns() / NS_PER_SEC * NS_PER_SEC, after;
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	char rid[65], *owner = NULL;
	json_t *v;

	assert_int_equal(acme_eab_key_add(a, "acme", NULL, &k, &err), 0);
	after = time_now_ns();
	assert_true(is_alnum_id(k.id));
	assert_string_equal(k.provisioner, "acme");
	assert_string_equal(k.reference, "");
	assert_string_equal(k.account, "");
	assert_int_equal(k.bound_at_ns, 0);
	assert_true(k.created_at_ns >= before && k.created_at_ns <= after);
	/* 32 random bytes, base64url without padding */
	assert_int_equal(strlen(k.hmac_key), 43);
	assert_int_equal(b64url_decode(k.hmac_key, strlen(k.hmac_key), &raw, &raw_len, &err), 0);
	assert_int_equal(raw_len, 32);
	free(raw);

	/* the record, as internal.h lays it out */
	v = record_value(a, ACME_COL_EAB_KEYS, k.id, &owner);
	assert_non_null(v);
	assert_string_equal(owner, "acme");
	assert_string_equal(json_string_value(json_object_get(v, "id")), k.id);
	assert_string_equal(json_string_value(json_object_get(v, "provisioner")), "acme");
	assert_string_equal(json_string_value(json_object_get(v, "reference")), "");
	assert_string_equal(json_string_value(json_object_get(v, "hmacKey")), k.hmac_key);
	assert_string_equal(json_string_value(json_object_get(v, "boundAt")), "");
	assert_string_equal(json_string_value(json_object_get(v, "account")), "");
	{
		int64_t t = 0;
		assert_int_equal(time_parse_rfc3339(
				     json_string_value(json_object_get(v, "createdAt")), &t, &err),
				 0);
		assert_true(t == k.created_at_ns / NS_PER_SEC * NS_PER_SEC);
	}
	json_decref(v);
	free(owner);
	owner = NULL;

	/* with a reference: its record names the key */
	assert_int_equal(acme_eab_key_add(a, "acme", "team-a", &r, &err), 0);
	assert_string_equal(r.reference, "team-a");
	assert_string_not_equal(r.id, k.id);
	assert_string_not_equal(r.hmac_key, k.hmac_key);
	ref_hash("acme", "team-a", rid);
	v = record_value(a, ACME_COL_EAB_REFS, rid, &owner);
	assert_non_null(v);
	assert_string_equal(owner, "acme");
	assert_string_equal(json_string_value(json_object_get(v, "id")), r.id);
	json_decref(v);
	free(owner);
	/* no reference: no reference record */
	ref_hash("acme", "", rid);
	assert_null(record_value(a, ACME_COL_EAB_REFS, rid, NULL));
	acme_eab_key_free(&k);
	acme_eab_key_free(&r);
}

static void test_duplicate_reference(void **state)
{
	struct authority *a = A(state);
	struct acme_eab_key k = {0};
	struct error err = {0};
	struct acme_eab_key *v = NULL;
	size_t n = 0;
	char *next = NULL;

	assert_int_equal(acme_eab_key_add(a, "acme", "dup", &k, &err), 0);
	acme_eab_key_free(&k);
	assert_err(acme_eab_key_add(a, "acme", "dup", &k, &err), &err, ERR_CONFLICT,
		   "an ACME EAB key for provisioner 'acme' with reference 'dup' already exists");
	assert_null(k.id);
	/* the refused add wrote nothing: still one key */
	assert_int_equal(acme_eab_key_list(a, "acme", NULL, NULL, 0, &v, &n, &next, &err), 0);
	assert_int_equal(n, 1);
	acme_eab_keys_free(v, n);
	free(next);
	/* unique per provisioner only */
	assert_int_equal(acme_eab_key_add(a, "acme2", "dup", &k, &err), 0);
	assert_string_equal(k.provisioner, "acme2");
	acme_eab_key_free(&k);
	/* a reference of 256 bytes is the longest */
	{
		char ref[258];
		memset(ref, 'r', 257);
		ref[257] = '\0';
		assert_err(acme_eab_key_add(a, "acme", ref, &k, &err), &err, ERR_INVALID,
			   "reference length must not exceed 256 characters");
		ref[256] = '\0';
		assert_int_equal(acme_eab_key_add(a, "acme", ref, &k, &err), 0);
		assert_int_equal(strlen(k.reference), 256);
		acme_eab_key_free(&k);
	}
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static void test_list_paging(void **state)
{
	struct authority *a = A(state);
	struct acme_eab_key k = {0}, *v = NULL;
	struct error err = {0};
	char *ids[5], *seen[5], *cursor = NULL, *next = NULL;
	size_t n = 0, nseen = 0, pages = 0;
	static const char *const refs[5] = {"", "r1", "", "r2", ""};

	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(acme_eab_key_add(a, "acme", refs[i], &k, &err), 0);
		ids[i] = xstrdup(k.id);
		acme_eab_key_free(&k);
	}
	assert_int_equal(acme_eab_key_add(a, "acme2", NULL, &k, &err), 0); /* not acme's */
	acme_eab_key_free(&k);
	qsort(ids, 5, sizeof(ids[0]), cmp_str);

	/* pages of 2: 2, 2, 1, in ID order, the cursor the last ID of a page */
	do {
		assert_int_equal(acme_eab_key_list(a, "acme", NULL, cursor, 2, &v, &n, &next, &err),
				 0);
		assert_int_equal(n, pages < 2 ? 2 : 1);
		for (size_t i = 0; i < n; i++) {
			assert_string_equal(v[i].provisioner, "acme");
			assert_int_equal(strlen(v[i].hmac_key), 43);
			seen[nseen++] = xstrdup(v[i].id);
		}
		if (pages < 2)
			assert_string_equal(next, v[n - 1].id);
		else
			assert_string_equal(next, "");
		acme_eab_keys_free(v, n);
		free(cursor);
		cursor = next;
		pages++;
	} while (cursor[0] != '\0' && pages < 10);
	free(cursor);
	assert_int_equal(pages, 3);
	assert_int_equal(nseen, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(seen[i], ids[i]);

	/* limit 0 is 20: one page */
	assert_int_equal(acme_eab_key_list(a, "acme", "", "", 0, &v, &n, &next, &err), 0);
	assert_int_equal(n, 5);
	assert_string_equal(next, "");
	acme_eab_keys_free(v, n);
	free(next);
	/* exactly a full page: no next cursor */
	assert_int_equal(acme_eab_key_list(a, "acme", NULL, NULL, 5, &v, &n, &next, &err), 0);
	assert_int_equal(n, 5);
	assert_string_equal(next, "");
	acme_eab_keys_free(v, n);
	free(next);

	/* the reference filter */
	assert_int_equal(acme_eab_key_list(a, "acme", "r2", NULL, 2, &v, &n, &next, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].reference, "r2");
	assert_string_equal(v[0].provisioner, "acme");
	assert_true(is_alnum_id(v[0].id));
	assert_string_equal(next, "");
	acme_eab_keys_free(v, n);
	free(next);
	assert_int_equal(acme_eab_key_list(a, "acme", "nope", NULL, 2, &v, &n, &next, &err), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	assert_string_equal(next, "");
	free(next);
	assert_int_equal(acme_eab_key_list(a, "acme2", "r2", NULL, 2, &v, &n, &next, &err), 0);
	assert_int_equal(n, 0); /* r2 is acme's */
	free(next);
	/* acme2 sees its one key */
	assert_int_equal(acme_eab_key_list(a, "acme2", NULL, NULL, 0, &v, &n, &next, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].provisioner, "acme2");
	acme_eab_keys_free(v, n);
	free(next);
	for (size_t i = 0; i < 5; i++) {
		free(ids[i]);
		free(seen[i]);
	}
}

static void test_remove(void **state)
{
	struct authority *a = A(state);
	struct acme_eab_key k = {0}, other = {0}, *v = NULL;
	struct error err = {0};
	size_t n = 0;
	char *next = NULL, rid[65], msg[200];

	assert_int_equal(acme_eab_key_add(a, "acme", "gone", &k, &err), 0);
	assert_int_equal(acme_eab_key_add(a, "acme", NULL, &other, &err), 0);
	/* not acme2's key */
	snprintf(msg, sizeof(msg), "ACME EAB key '%s' not found for provisioner 'acme2'", k.id);
	assert_err(acme_eab_key_remove(a, "acme2", k.id, &err), &err, ERR_NOT_FOUND, msg);
	assert_int_equal(acme_eab_key_remove(a, "acme", k.id, &err), 0);
	/* both records are gone */
	assert_null(record_value(a, ACME_COL_EAB_KEYS, k.id, NULL));
	ref_hash("acme", "gone", rid);
	assert_null(record_value(a, ACME_COL_EAB_REFS, rid, NULL));
	assert_int_equal(acme_eab_key_list(a, "acme", "gone", NULL, 0, &v, &n, &next, &err), 0);
	assert_int_equal(n, 0);
	free(next);
	assert_int_equal(acme_eab_key_list(a, "acme", NULL, NULL, 0, &v, &n, &next, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].id, other.id);
	acme_eab_keys_free(v, n);
	free(next);
	/* twice: not found */
	snprintf(msg, sizeof(msg), "ACME EAB key '%s' not found for provisioner 'acme'", k.id);
	assert_err(acme_eab_key_remove(a, "acme", k.id, &err), &err, ERR_NOT_FOUND, msg);
	assert_err(acme_eab_key_remove(a, "acme", "", &err), &err, ERR_NOT_FOUND,
		   "ACME EAB key '' not found for provisioner 'acme'");
	/* the reference is free again */
	acme_eab_key_free(&k);
	assert_int_equal(acme_eab_key_add(a, "acme", "gone", &k, &err), 0);
	assert_string_equal(k.reference, "gone");
	acme_eab_key_free(&k);
	acme_eab_key_free(&other);
}

static void test_provisioner_checks(void **state)
{
	struct authority *a = A(state);
	struct acme_eab_key k = {0}, *v = NULL;
	struct error err = {0};
	size_t n = 0;
	char *next = NULL;

	assert_err(acme_eab_key_add(a, "nope", NULL, &k, &err), &err, ERR_NOT_FOUND,
		   "provisioner nope not found");
	assert_err(acme_eab_key_list(a, "nope", NULL, NULL, 0, &v, &n, &next, &err), &err,
		   ERR_NOT_FOUND, "provisioner nope not found");
	assert_null(next);
	assert_err(acme_eab_key_remove(a, "nope", "x", &err), &err, ERR_NOT_FOUND,
		   "provisioner nope not found");
	assert_err(acme_eab_key_add(a, "scep", "r", &k, &err), &err, ERR_INVALID,
		   "provisioner 'scep' is not an ACME provisioner (type SCEP)");
	assert_err(acme_eab_key_list(a, "scep", NULL, NULL, 0, &v, &n, &next, &err), &err,
		   ERR_INVALID, "provisioner 'scep' is not an ACME provisioner (type SCEP)");
	assert_err(acme_eab_key_remove(a, "scep", "x", &err), &err, ERR_INVALID,
		   "provisioner 'scep' is not an ACME provisioner (type SCEP)");
	/* the name is matched exactly */
	assert_err(acme_eab_key_add(a, "ACME", NULL, &k, &err), &err, ERR_NOT_FOUND,
		   "provisioner ACME not found");
}

static void test_authority_views(void **state)
{
	struct afx *nodb = afx_new_doc(PROVS, "{\"db\":null}");
	struct afx *withdb = afx_new_doc(
	    PROVS, "{\"db\":{\"type\":\"sqlite\",\"dataSource\":\"/nonexistent/stride.db\"}}");
	struct afx *def = afx_new(NULL);

	(void)state;
	assert_false(authority_has_db(nodb->a));
	assert_true(authority_has_db(withdb->a));
	assert_int_equal(authority_acme_provisioner_count(withdb->a), 2);
	assert_int_equal(authority_acme_provisioner_count(def->a), 1);
	afx_free(nodb);
	afx_free(withdb);
	afx_free(def);
}

/* The engine looks EAB keys up by the kid a client sends: one the store cannot hold (300
 * bytes) names no key, as an unknown one does, instead of failing the read (a 500). */
static void test_lookup_invalid_id(void **state)
{
	struct acme_options opts = {0};
	struct acme *ac = NULL;
	struct acme_eab_key k = {0};
	struct acme_problem p = {0};
	struct error err = {0};
	char kid[301];
	json_t *value = NULL;
	bool found = true;

	assert_int_equal(acme_new(A(state), &opts, &ac, &err), 0);
	assert_int_equal(acme_eab_key_add(A(state), "acme2", NULL, &k, &err), 0);
	memset(kid, 'k', sizeof(kid) - 1);
	kid[sizeof(kid) - 1] = '\0';
	assert_int_equal(acme_rec_get(ac, ACME_COL_EAB_KEYS, kid, &found, &value, NULL, NULL, &p),
			 0);
	assert_false(found);
	assert_null(value);
	found = true;
	assert_int_equal(acme_rec_get(ac, ACME_COL_EAB_KEYS, "", &found, &value, NULL, NULL, &p),
			 0);
	assert_false(found);
	assert_int_equal(acme_rec_get(ac, ACME_COL_EAB_KEYS, k.id, &found, &value, NULL, NULL, &p),
			 0);
	assert_true(found);
	assert_string_equal(json_string_value(json_object_get(value, "id")), k.id);
	assert_int_equal(p.type, ACME_PROB_NONE);
	json_decref(value);
	acme_eab_key_free(&k);
	acme_free(ac);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_add, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicate_reference, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_paging, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_provisioner_checks, setup, teardown),
	    cmocka_unit_test(test_authority_views),
	    cmocka_unit_test_setup_teardown(test_lookup_invalid_id, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
