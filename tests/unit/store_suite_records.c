/* store_suite_records.c - the store suite's record tests: each op's conflicts and versions,
 * expiry, a conflict aborting its whole transaction, listing, names, races between handles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "store_suite_int.h"

/* INSERT stores version 1 and conflicts while the id is live; every handle reads it. */
void ss_test_record_insert(void **state)
{
	struct store *a = ss_handle(state, 0), *b = ss_handle(state, 1);

	ss_check_absent(a, "acme_accounts", "a1");
	assert_false(ss_change(a, STORE_REC_INSERT,
			       ss_rec_of("acme_accounts", "a1", NULL, "{\"k\":1}", 0, 0)));
	ss_check_record(a, "acme_accounts", "a1", NULL, "{\"k\":1}", 0, 1);
	ss_check_record(b, "acme_accounts", "a1", NULL, "{\"k\":1}", 0, 1);
	assert_true(ss_change(b, STORE_REC_INSERT,
			      ss_rec_of("acme_accounts", "a1", "o", "{\"k\":2}", SS_FUTURE, 7)));
	ss_check_record(a, "acme_accounts", "a1", NULL, "{\"k\":1}", 0, 1);
	/* The same id in another collection is another record; an empty value is a value. */
	assert_false(ss_change(a, STORE_REC_INSERT,
			       ss_rec_of("acme_orders", "a1", "acct", "", SS_FUTURE, 0)));
	ss_check_record(b, "acme_orders", "a1", "acct", "", SS_FUTURE, 1);
	ss_check_record(b, "acme_accounts", "a1", NULL, "{\"k\":1}", 0, 1);
	/* Values are bytes. */
	assert_false(ss_change(a, STORE_REC_INSERT,
			       (struct store_record){.collection = "bin",
						     .id = "x",
						     .value = (const uint8_t *)"a\0b\xff",
						     .value_len = 4}));
	{
		struct store_record r;
		struct error err = {0};
		bool found = false;
		assert_int_equal(b->ops->record_get(b, "bin", "x", &found, &r, &err), 0);
		assert_true(found);
		assert_int_equal(r.value_len, 4);
		assert_memory_equal(r.value, "a\0b\xff", 4);
		store_record_free(&r);
	}
}

/* An expired record reads as absent and an INSERT replaces it (version 1 again). */
void ss_test_record_expired_insert(void **state)
{
	struct store *s = ss_handle(state, 0);
	char *ids;

	assert_false(
	    ss_change(s, STORE_REC_INSERT, ss_rec_of("nonces", "n1", "o", "old", SS_PAST, 0)));
	ss_check_absent(s, "nonces", "n1");
	ids = ss_list_ids(s, "nonces", NULL, NULL, 10);
	assert_string_equal(ids, "");
	free(ids);
	ids = ss_list_ids(s, "nonces", "o", NULL, 10);
	assert_string_equal(ids, "");
	free(ids);
	assert_false(
	    ss_change(s, STORE_REC_INSERT, ss_rec_of("nonces", "n1", "o", "new", SS_FUTURE, 0)));
	ss_check_record(s, "nonces", "n1", "o", "new", SS_FUTURE, 1);
	assert_true(ss_change(s, STORE_REC_INSERT, ss_rec_of("nonces", "n1", "o", "newer", 0, 0)));
	ss_check_record(s, "nonces", "n1", "o", "new", SS_FUTURE, 1);
	ids = ss_list_ids(s, "nonces", "o", NULL, 10);
	assert_string_equal(ids, "n1");
	free(ids);
}

/* UPDATE is a compare-and-swap on the version of a live record, and bumps it. */
void ss_test_record_update(void **state)
{
	struct store *a = ss_handle(state, 0), *b = ss_handle(state, 1);

	assert_true(ss_change(a, STORE_REC_UPDATE, ss_rec_of("orders", "o1", NULL, "x", 0, 1)));
	ss_check_absent(a, "orders", "o1");
	assert_false(
	    ss_change(a, STORE_REC_INSERT, ss_rec_of("orders", "o1", "acct1", "pending", 0, 0)));
	assert_true(
	    ss_change(a, STORE_REC_UPDATE, ss_rec_of("orders", "o1", "acct1", "ready", 0, 2)));
	assert_true(
	    ss_change(a, STORE_REC_UPDATE, ss_rec_of("orders", "o1", "acct1", "ready", 0, 0)));
	ss_check_record(b, "orders", "o1", "acct1", "pending", 0, 1);
	assert_false(ss_change(b, STORE_REC_UPDATE,
			       ss_rec_of("orders", "o1", "acct2", "ready", SS_FUTURE, 1)));
	ss_check_record(a, "orders", "o1", "acct2", "ready", SS_FUTURE, 2);
	assert_true(
	    ss_change(a, STORE_REC_UPDATE, ss_rec_of("orders", "o1", "acct1", "valid", 0, 1)));
	assert_false(
	    ss_change(a, STORE_REC_UPDATE, ss_rec_of("orders", "o1", NULL, "valid", 0, 2)));
	ss_check_record(b, "orders", "o1", NULL, "valid", 0, 3);
	/* An expired record is absent: no update. */
	assert_false(
	    ss_change(a, STORE_REC_INSERT, ss_rec_of("orders", "o2", NULL, "old", SS_PAST, 0)));
	assert_true(ss_change(a, STORE_REC_UPDATE, ss_rec_of("orders", "o2", NULL, "new", 0, 1)));
	ss_check_absent(a, "orders", "o2");
}

/* PUT inserts (version 1) or replaces whatever is there (version + 1). */
void ss_test_record_put(void **state)
{
	struct store *a = ss_handle(state, 0), *b = ss_handle(state, 1);

	assert_false(ss_change(a, STORE_REC_PUT, ss_rec_of("admins", "ad1", "p", "one", 0, 42)));
	ss_check_record(b, "admins", "ad1", "p", "one", 0, 1);
	assert_false(
	    ss_change(b, STORE_REC_PUT, ss_rec_of("admins", "ad1", NULL, "two", SS_FUTURE, 0)));
	ss_check_record(a, "admins", "ad1", NULL, "two", SS_FUTURE, 2);
	assert_false(
	    ss_change(a, STORE_REC_PUT, ss_rec_of("admins", "ad1", NULL, "three", SS_PAST, 0)));
	ss_check_absent(a, "admins", "ad1");
	assert_false(ss_change(a, STORE_REC_PUT, ss_rec_of("admins", "ad1", "q", "four", 0, 0)));
	ss_check_record(b, "admins", "ad1", "q", "four", 0, 4);
}

/* DELETE conflicts when no record has the id (an expired one is deleted). */
void ss_test_record_delete(void **state)
{
	struct store *a = ss_handle(state, 0), *b = ss_handle(state, 1);

	assert_true(ss_change(a, STORE_REC_DELETE, ss_rec_of("eab_keys", "e1", NULL, NULL, 0, 0)));
	assert_false(ss_change(a, STORE_REC_INSERT, ss_rec_of("eab_keys", "e1", NULL, "k", 0, 0)));
	assert_false(ss_change(b, STORE_REC_DELETE, ss_rec_of("eab_keys", "e1", NULL, NULL, 0, 0)));
	ss_check_absent(a, "eab_keys", "e1");
	assert_true(ss_change(a, STORE_REC_DELETE, ss_rec_of("eab_keys", "e1", NULL, NULL, 0, 0)));
	assert_false(
	    ss_change(a, STORE_REC_INSERT, ss_rec_of("eab_keys", "e2", NULL, "k", SS_PAST, 0)));
	assert_false(ss_change(a, STORE_REC_DELETE, ss_rec_of("eab_keys", "e2", NULL, NULL, 0, 0)));
	assert_true(ss_change(a, STORE_REC_DELETE, ss_rec_of("eab_keys", "e2", NULL, NULL, 0, 0)));
}

/* TAKE deletes a live record; absent or expired: conflict. */
void ss_test_record_take(void **state)
{
	struct store *a = ss_handle(state, 0), *b = ss_handle(state, 1);

	assert_true(ss_change(a, STORE_REC_TAKE, ss_rec_of("nonces", "n1", NULL, NULL, 0, 0)));
	assert_false(
	    ss_change(a, STORE_REC_INSERT, ss_rec_of("nonces", "n1", NULL, "", SS_FUTURE, 0)));
	assert_false(ss_change(b, STORE_REC_TAKE, ss_rec_of("nonces", "n1", NULL, NULL, 0, 0)));
	ss_check_absent(a, "nonces", "n1");
	assert_true(ss_change(a, STORE_REC_TAKE, ss_rec_of("nonces", "n1", NULL, NULL, 0, 0)));
	assert_true(ss_change(b, STORE_REC_TAKE, ss_rec_of("nonces", "n1", NULL, NULL, 0, 0)));
	/* Expired: a conflict, and the id can be inserted again. */
	assert_false(
	    ss_change(a, STORE_REC_INSERT, ss_rec_of("nonces", "n2", NULL, "", SS_PAST, 0)));
	assert_true(ss_change(a, STORE_REC_TAKE, ss_rec_of("nonces", "n2", NULL, NULL, 0, 0)));
	ss_check_absent(a, "nonces", "n2");
	assert_false(ss_change(a, STORE_REC_INSERT, ss_rec_of("nonces", "n2", NULL, "", 0, 0)));
	assert_false(ss_change(b, STORE_REC_TAKE, ss_rec_of("nonces", "n2", NULL, NULL, 0, 0)));
}

/* A conflict aborts the whole transaction: the token use, the certificate, the revocation and
 * the changes before it; the changes after it are not tried. A refused certificate leaves the
 * record changes unapplied. */
void ss_test_record_conflict_aborts_txn(void **state)
{
	struct store *a = ss_handle(state, 0), *b = ss_handle(state, 1);
	struct store_record ok = ss_rec_of("c", "a", NULL, "A", 0, 0);
	struct store_record dup = ss_rec_of("c", "dup", NULL, "D", 0, 0);
	struct store_record later = ss_rec_of("c", "z", NULL, "Z", 0, 0);
	struct cert_record rec;
	struct store_txn *t;
	struct error err = {0};

	ss_put(a, "778", "p", 0, ERR_NONE);
	assert_false(ss_change(a, STORE_REC_INSERT, dup));
	ss_set_cert(&rec, "777", NULL, "K");
	t = store_txn_new();
	store_txn_use_token(t, "rc-tok", "raw");
	store_txn_put_cert(t, &rec, NULL);
	store_txn_revoke(t, &(struct revocation){.serial = "778",
						 .reason_code = 1,
						 .revoked_at_ns = 1,
						 .block_key = true,
						 .key_id = "K9"});
	store_txn_record(t, STORE_REC_PUT, &ok);
	store_txn_record(t, STORE_REC_INSERT, &dup);
	store_txn_record(t, STORE_REC_INSERT, &later);
	assert_int_equal(store_commit(b, t, &err), 0);
	assert_true(t->record_conflict);
	assert_false(t->records[0].conflict);
	assert_true(t->records[1].conflict);
	assert_false(t->records[2].conflict);
	assert_false(t->token_reused || t->already_revoked || t->parent_revoked || t->key_blocked ||
		     t->auth_key_blocked);
	assert_false(ss_token_used(a, "rc-tok"));
	ss_check_prov(a, "777", false, NULL);
	assert_false(ss_revoked(a, "778"));
	ss_check_absent(a, "c", "a");
	ss_check_absent(a, "c", "z");
	ss_check_record(a, "c", "dup", NULL, "D", 0, 1);
	store_txn_free(t);
	t = ss_put_renewal(a, "779", NULL, "K9", NULL, "t779");
	assert_false(t->key_blocked); /* the revocation did not block K9 */
	store_txn_free(t);

	/* Without the conflict, the same transaction applies entirely. */
	t = store_txn_new();
	store_txn_use_token(t, "rc-tok", "raw");
	store_txn_put_cert(t, &rec, NULL);
	store_txn_revoke(
	    t, &(struct revocation){.serial = "778", .reason_code = 1, .revoked_at_ns = 1});
	store_txn_record(t, STORE_REC_PUT, &ok);
	store_txn_record(t, STORE_REC_INSERT, &later);
	assert_int_equal(store_commit(a, t, &err), 0);
	assert_false(t->record_conflict || t->records[0].conflict || t->records[1].conflict ||
		     t->token_reused || t->already_revoked);
	store_txn_free(t);
	assert_true(ss_token_used(b, "rc-tok"));
	ss_check_prov(b, "777", true, "p");
	assert_true(ss_revoked(b, "778"));
	ss_check_record(b, "c", "a", NULL, "A", 0, 1);
	ss_check_record(b, "c", "z", NULL, "Z", 0, 1);

	/* A refused certificate (parent revoked): its token is used, no record changes. */
	t = ss_put_renewal(a, "780", "778", NULL, NULL, "t780");
	store_txn_free(t);
	t = store_txn_new();
	store_txn_use_token(t, "t781", "raw");
	ss_set_cert(&rec, "781", "778", NULL);
	store_txn_put_cert(t, &rec, NULL);
	ss_txn_record(t, STORE_REC_INSERT, ss_rec_of("c", "refused", NULL, "R", 0, 0));
	assert_int_equal(store_commit(b, t, &err), 0);
	assert_true(t->parent_revoked);
	assert_false(t->record_conflict || t->records[0].conflict);
	store_txn_free(t);
	assert_true(ss_token_used(a, "t781"));
	ss_check_prov(a, "781", false, NULL);
	ss_check_absent(a, "c", "refused");
	/* A reused token: nothing, and no record conflict reported. */
	t = store_txn_new();
	store_txn_use_token(t, "t781", "raw");
	store_txn_record(t, STORE_REC_INSERT, &dup);
	assert_int_equal(store_commit(b, t, &err), 0);
	assert_true(t->token_reused);
	assert_false(t->record_conflict || t->records[0].conflict);
	store_txn_free(t);
}

/* Listing: live records of one collection, by owner or all, in byte order of the id, after an
 * id, at most limit. */
void ss_test_record_list(void **state)
{
	static const struct {
		const char *id, *owner;
		int64_t expires;
	} rows[] = {
	    {"o5", "acct1", 0},	      {"o1", "acct1", SS_FUTURE},
	    {"o2", "acct2", 0},	      {"o3", "acct1", 0},
	    {"o7", "acct1", SS_PAST}, {"o4", "acct2", 0},
	    {"o6", "acct1", 0},	      {"Z", "acct3", 0},
	    {"a", "acct3", 0},	      {"\xc3\xa9", "acct3", 0},
	    {"o8", NULL, 0},
	};
	struct store *a = ss_handle(state, 0), *b = ss_handle(state, 1);
	struct store_record *v = (struct store_record *)1;
	struct error err = {0};
	size_t n = 99;
	char *ids;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_false(ss_change(a, STORE_REC_INSERT,
				       ss_rec_of("orders", rows[i].id, rows[i].owner, rows[i].id,
						 rows[i].expires, 0)));
	assert_false(ss_change(a, STORE_REC_INSERT, ss_rec_of("authz", "o0", "acct1", "x", 0, 0)));
	assert_false(
	    ss_change(a, STORE_REC_INSERT, ss_rec_of("orders_x", "o0", "acct1", "x", 0, 0)));

	ids = ss_list_ids(b, "orders", "acct1", NULL, 2);
	assert_string_equal(ids, "o1,o3");
	free(ids);
	ids = ss_list_ids(b, "orders", "acct1", "o3", 2);
	assert_string_equal(ids, "o5,o6");
	free(ids);
	ids = ss_list_ids(b, "orders", "acct1", "o6", 2);
	assert_string_equal(ids, "");
	free(ids);
	ids = ss_list_ids(b, "orders", "acct1", "o0", 100);
	assert_string_equal(ids, "o1,o3,o5,o6");
	free(ids);
	ids = ss_list_ids(b, "orders", "acct3", NULL, 100);
	assert_string_equal(ids, "Z,a,\xc3\xa9");
	free(ids);
	ids = ss_list_ids(b, "orders", NULL, NULL, 100);
	assert_string_equal(ids, "Z,a,o1,o2,o3,o4,o5,o6,o8,\xc3\xa9");
	free(ids);
	ids = ss_list_ids(b, "orders", NULL, "o4", 3);
	assert_string_equal(ids, "o5,o6,o8");
	free(ids);
	ids = ss_list_ids(b, "orders", "nobody", NULL, 100);
	assert_string_equal(ids, "");
	free(ids);
	ids = ss_list_ids(b, "orders", "acct1", NULL, 0);
	assert_string_equal(ids, "");
	free(ids);
	ids = ss_list_ids(b, "empty", NULL, NULL, 10);
	assert_string_equal(ids, "");
	free(ids);

	/* Every field of a listed record. */
	assert_int_equal(b->ops->record_list(b, "orders", "acct1", NULL, 1, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].collection, "orders");
	assert_string_equal(v[0].id, "o1");
	assert_string_equal(v[0].owner, "acct1");
	assert_int_equal(v[0].value_len, 2);
	assert_memory_equal(v[0].value, "o1", 2);
	assert_int_equal(v[0].expires_at_ns, SS_FUTURE);
	assert_int_equal(v[0].version, 1);
	store_records_free(v, n);
	assert_int_equal(b->ops->record_list(b, "orders", NULL, "o7", 10, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_null(v[0].owner);
	store_records_free(v, n);
}

/* Collections are [a-z0-9_]{1,64}, ids 1..256 bytes: else the transaction (or read) fails with
 * ERR_INVALID and nothing is applied. */
void ss_test_record_invalid(void **state)
{
	static const char coll_msg[] = "store: a record collection is 1 to 64 of a-z, 0-9 and _";
	static const char id_msg[] = "store: a record id is 1 to 256 bytes";
	struct store *s = ss_handle(state, 0);
	char c64[66], id256[258];
	struct {
		const char *collection, *id, *msg;
	} bad[] = {
	    {"", "x", coll_msg},    {NULL, "x", coll_msg},  {"Acme", "x", coll_msg},
	    {"a-b", "x", coll_msg}, {"a b", "x", coll_msg}, {"\xc3\xa9", "x", coll_msg},
	    {c64, "x", coll_msg},   {"ok", "", id_msg},	    {"ok", NULL, id_msg},
	    {"ok", id256, id_msg},
	};

	memset(c64, 'a', 65);
	c64[65] = '\0';
	memset(id256, 'i', 257);
	id256[257] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct store_txn *t = store_txn_new();
		struct error err = {0};
		struct store_record r;
		bool found = true;
		struct store_record *v = (struct store_record *)1;
		size_t n = 9;

		store_txn_use_token(t, "inv-tok", "raw");
		ss_txn_record(t, STORE_REC_PUT, ss_rec_of("fine", "f", NULL, "v", 0, 0));
		ss_txn_record(t, STORE_REC_PUT,
			      ss_rec_of(bad[i].collection, bad[i].id, NULL, "v", 0, 0));
		assert_int_equal(store_commit(s, t, &err), -1);
		assert_int_equal(t->rc, -1);
		assert_int_equal(err.kind, ERR_INVALID);
		assert_string_equal(err.msg, bad[i].msg);
		assert_false(t->record_conflict || t->token_reused);
		store_txn_free(t);
		assert_false(ss_token_used(s, "inv-tok"));
		ss_check_absent(s, "fine", "f");

		err_clear(&err);
		assert_int_equal(
		    s->ops->record_get(s, bad[i].collection, bad[i].id, &found, &r, &err), -1);
		assert_false(found);
		assert_int_equal(err.kind, ERR_INVALID);
		assert_string_equal(err.msg, bad[i].msg);
		if (bad[i].msg == coll_msg) {
			err_clear(&err);
			assert_int_equal(
			    s->ops->record_list(s, bad[i].collection, NULL, NULL, 10, &v, &n, &err),
			    -1);
			assert_null(v);
			assert_int_equal(n, 0);
			assert_int_equal(err.kind, ERR_INVALID);
			assert_string_equal(err.msg, coll_msg);
		}
	}
	/* The limits themselves are fine. */
	c64[64] = '\0';
	id256[256] = '\0';
	assert_false(ss_change(s, STORE_REC_INSERT, ss_rec_of(c64, id256, NULL, "v", 0, 0)));
	ss_check_record(s, c64, id256, NULL, "v", 0, 1);
	assert_false(ss_change(s, STORE_REC_INSERT, ss_rec_of("a_0_z", "\x01", NULL, "v", 0, 0)));
	ss_check_record(s, "a_0_z", "\x01", NULL, "v", 0, 1);
}

#define REC_RACE_THREADS 4
#define REC_RACE_IDS	 150
#define CAS_ROUNDS	 60

struct record_race {
	struct store *s;
	int thread;
	bool won[REC_RACE_IDS];
	int cas_done;
	int errors;
};

static void *record_race_thread(void *arg)
{
	struct record_race *r = arg;
	char value[16];

	snprintf(value, sizeof(value), "t%d", r->thread);
	for (int i = 0; i < REC_RACE_IDS; i++) {
		struct store_txn *t = store_txn_new();
		struct error err = {0};
		char id[16];

		snprintf(id, sizeof(id), "id-%d", i);
		ss_txn_record(t, STORE_REC_INSERT, ss_rec_of("race", id, NULL, value, 0, 0));
		if (store_commit(r->s, t, &err) != 0)
			r->errors++;
		else
			r->won[i] = !t->record_conflict;
		store_txn_free(t);
	}
	/* A counter incremented by compare-and-swap: read, add one, retry on a conflict. */
	while (r->cas_done < CAS_ROUNDS) {
		struct store_record cur;
		struct store_txn *t;
		struct error err = {0};
		bool found = false;
		char next[32];

		if (r->s->ops->record_get(r->s, "race", "counter", &found, &cur, &err) != 0 ||
		    !found) {
			r->errors++;
			break;
		}
		memcpy(next, cur.value, cur.value_len < 16 ? cur.value_len : 16);
		next[cur.value_len < 16 ? cur.value_len : 16] = '\0';
		snprintf(next, sizeof(next), "%ld", strtol(next, NULL, 10) + 1);
		t = store_txn_new();
		ss_txn_record(t, STORE_REC_UPDATE,
			      ss_rec_of("race", "counter", NULL, next, 0, cur.version));
		if (store_commit(r->s, t, &err) != 0)
			r->errors++;
		else if (!t->record_conflict)
			r->cas_done++;
		store_txn_free(t);
		store_record_free(&cur);
		if (r->errors > 0)
			break;
	}
	return NULL;
}

/* Threads on two handles insert the same ids: exactly one insert of each wins and its value is
 * stored; they increment one counter by compare-and-swap: no increment is lost. */
void ss_test_record_race(void **state)
{
	struct store *h[2] = {ss_handle(state, 0), ss_handle(state, 1)};
	static struct record_race r[REC_RACE_THREADS];
	pthread_t th[REC_RACE_THREADS];
	char want[32];

	assert_false(
	    ss_change(h[0], STORE_REC_INSERT, ss_rec_of("race", "counter", NULL, "0", 0, 0)));
	memset(r, 0, sizeof(r));
	for (int i = 0; i < REC_RACE_THREADS; i++) {
		r[i].s = h[i % 2];
		r[i].thread = i;
	}
	ss_start_threads(th, REC_RACE_THREADS, record_race_thread, r, sizeof(r[0]));
	ss_join_threads(th, REC_RACE_THREADS);
	for (int i = 0; i < REC_RACE_THREADS; i++) {
		assert_int_equal(r[i].errors, 0);
		assert_int_equal(r[i].cas_done, CAS_ROUNDS);
	}
	for (int k = 0; k < REC_RACE_IDS; k++) {
		int winners = 0, winner = -1;
		char id[16], value[16];
		for (int i = 0; i < REC_RACE_THREADS; i++)
			if (r[i].won[k]) {
				winners++;
				winner = i;
			}
		assert_int_equal(winners, 1);
		snprintf(id, sizeof(id), "id-%d", k);
		snprintf(value, sizeof(value), "t%d", winner);
		ss_check_record(h[(k + 1) % 2], "race", id, NULL, value, 0, 1);
	}
	snprintf(want, sizeof(want), "%d", REC_RACE_THREADS * CAS_ROUNDS);
	ss_check_record(h[1], "race", "counter", NULL, want, 0, 1 + REC_RACE_THREADS * CAS_ROUNDS);
}
