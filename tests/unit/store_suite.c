/* store_suite.c - the rules of store.h every back end keeps, asserted exactly: replay, group
 * commit all or nothing, lineage, keyCompromise, reads, persistence, records; several handles
 * on one database racing each other like several stride-ca processes. The record tests are in
 * store_suite_records.c, the fixture and helpers in store_suite_util.c. */
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

/* ---- tokens, certificates, revocations -------------------------------------------------- */

/* A token key is accepted once, by every handle on the database. */
static void test_replay(void **state)
{
	struct store *a = ss_handle(state, 0), *b = ss_handle(state, 1);
	struct error err = {0};
	bool used = true;

	assert_false(ss_token_used(a, "key-1"));
	assert_false(ss_use(a, "key-1"));
	assert_true(ss_use(a, "key-1"));
	assert_true(ss_token_used(a, "key-1"));
	assert_true(ss_token_used(b, "key-1"));
	assert_true(ss_use(b, "key-1"));
	assert_false(ss_use(b, "key-2"));
	assert_true(ss_use(a, "key-2"));
	assert_false(ss_token_used(a, "key-3"));
	/* A token without its raw value is recorded too. */
	assert_int_equal(store_use_token(a, "key-4", NULL, &used, &err), 0);
	assert_false(used);
	assert_true(ss_use(b, "key-4"));
}

/* Certificates by serial; a serial is stored once. */
static void test_certificates(void **state)
{
	struct store *a = ss_handle(state, 0), *b = ss_handle(state, 1);
	const char *serial = "123456789012345678901234567890";
	struct cert_record rec;
	struct store_txn *t;
	struct error err = {0};

	ss_put(a, serial, "admin@example.com", 0, ERR_NONE);
	ss_check_prov(a, serial, true, "admin@example.com");
	ss_check_prov(b, serial, true, "admin@example.com");
	ss_check_prov(a, "999", false, NULL);
	ss_put(b, serial, "other", -1, ERR_CONFLICT);
	ss_check_prov(a, serial, true, "admin@example.com");

	/* A transaction that fails stores nothing: not its token use either. */
	ss_set_cert(&rec, serial, NULL, "K");
	t = store_txn_new();
	store_txn_use_token(t, "tok-dup", "raw");
	store_txn_put_cert(t, &rec, NULL);
	assert_int_equal(store_commit(a, t, &err), -1);
	assert_int_equal(err.kind, ERR_CONFLICT);
	assert_int_equal(t->rc, -1);
	assert_false(t->token_reused);
	store_txn_free(t);
	assert_false(ss_token_used(a, "tok-dup"));
	assert_false(ss_token_used(b, "tok-dup"));
}

/* is_revoked, already_revoked, and a revocation seen by every handle at once. */
static void test_revocation(void **state)
{
	struct store *a = ss_handle(state, 0), *b = ss_handle(state, 1);

	ss_put(a, "77", "p", 0, ERR_NONE);
	assert_false(ss_revoked(a, "77"));
	assert_false(ss_revoke(a, "77", false, NULL));
	assert_true(ss_revoked(a, "77"));
	assert_true(ss_revoked(b, "77"));
	assert_true(ss_revoke(b, "77", false, NULL));
	assert_true(ss_revoke(a, "77", false, NULL));
	assert_false(ss_revoked(a, "78"));
	/* A serial the store never saw can be revoked (step-ca revokes by serial). */
	assert_false(ss_revoke(b, "12345", false, NULL));
	assert_true(ss_revoked(a, "12345"));
	ss_check_prov(a, "12345", false, NULL);
}

/* cert_status (the OCSP responder's read): stored or not, revoked or not, when and why. */
static void test_cert_status(void **state)
{
	struct store *a = ss_handle(state, 0), *b = ss_handle(state, 1);
	struct store_cert_status st;
	struct error err = {0};

	assert_int_equal(a->ops->cert_status(a, "88", &st, &err), 0);
	assert_false(st.stored);
	assert_false(st.revoked);
	ss_put(a, "88", "p", 0, ERR_NONE);
	assert_int_equal(b->ops->cert_status(b, "88", &st, &err), 0);
	assert_true(st.stored);
	assert_false(st.revoked);
	assert_int_equal(st.revoked_at_ns, 0);
	assert_false(ss_revoke(a, "88", false, NULL));
	assert_int_equal(b->ops->cert_status(b, "88", &st, &err), 0);
	assert_true(st.stored);
	assert_true(st.revoked);
	assert_int_equal(st.revoked_at_ns, INT64_C(1700000000000000000));
	assert_int_equal(st.reason_code, 4);
	/* a serial revoked without being stored */
	assert_false(ss_revoke(b, "99", false, NULL));
	assert_int_equal(a->ops->cert_status(a, "99", &st, &err), 0);
	assert_false(st.stored);
	assert_true(st.revoked);
}

/* Revoking a certificate revokes the renewals made from it, transitively, not its ancestors
 * nor its siblings. */
static void test_lineage(void **state)
{
	struct store *s = ss_handle(state, 0);

	ss_put_child(s, "1", NULL);
	ss_put_child(s, "2", "1");
	ss_put_child(s, "3", "2");
	ss_put_child(s, "4", "3");
	ss_put_child(s, "5", "1");
	ss_put_child(s, "6", "5");
	assert_false(ss_revoke(s, "2", false, NULL));
	assert_false(ss_revoked(s, "1"));
	assert_true(ss_revoked(s, "2"));
	assert_true(ss_revoked(s, "3"));
	assert_true(ss_revoked(s, "4"));
	assert_false(ss_revoked(s, "5"));
	assert_false(ss_revoked(s, "6"));
	assert_true(ss_revoke(s, "3", false, NULL));
	assert_false(ss_revoke(s, "1", false, NULL));
	assert_true(ss_revoked(s, "5"));
	assert_true(ss_revoked(s, "6"));
}

/* A renewal whose parent was revoked after the renewal was authorised is refused inside the
 * commit; the token it used stays used; a renewal of a revoked renewal too. */
static void test_renewal_of_revoked_parent(void **state)
{
	struct store *s = ss_handle(state, 0), *b = ss_handle(state, 1);
	struct store_txn *t;

	ss_put_child(s, "1", NULL);
	t = ss_put_renewal(s, "2", "1", "k1", "k1", "tok-a");
	assert_false(t->parent_revoked || t->key_blocked || t->auth_key_blocked);
	store_txn_free(t);
	assert_false(ss_revoke(b, "1", false, NULL));
	assert_true(ss_revoked(s, "2")); /* renewed before: revoked with its parent */
	t = ss_put_renewal(s, "3", "1", "k1", "k1", "tok-b");
	assert_int_equal(t->rc, 0);
	assert_true(t->parent_revoked);
	assert_false(t->key_blocked || t->auth_key_blocked || t->token_reused);
	store_txn_free(t);
	ss_check_prov(s, "3", false, NULL);
	assert_true(ss_use(s, "tok-b"));
	t = ss_put_renewal(b, "4", "2", "k1", "k1", "tok-c"); /* a grandchild: "2" is revoked too */
	assert_true(t->parent_revoked);
	store_txn_free(t);
	ss_check_prov(s, "4", false, NULL);
	assert_false(ss_revoked(s, "4"));
}

/* Key compromise blocks the key: every stored certificate with it and their renewals are
 * revoked, and no later certificate may have it or be renewed by a certificate with it. */
static void test_blocked_keys(void **state)
{
	struct store *s = ss_handle(state, 0), *b = ss_handle(state, 1);
	struct store_txn *t;

	store_txn_free(ss_put_renewal(s, "1", NULL, "K", NULL, "t1"));
	store_txn_free(ss_put_renewal(s, "2", "1", "K", "K", "t2"));
	store_txn_free(ss_put_renewal(s, "3", "2", "K2", "K", "t3"));  /* rekeyed from 2 */
	store_txn_free(ss_put_renewal(s, "4", NULL, "K", NULL, "t4")); /* same key, other lineage */
	store_txn_free(ss_put_renewal(s, "5", NULL, "K3", NULL, "t5")); /* another key */
	store_txn_free(ss_put_renewal(s, "6", "4", "K4", "K", "t6"));	/* rekeyed from 4 */
	assert_false(ss_revoke(b, "2", true, NULL));
	assert_true(ss_revoked(s, "1")); /* the parent, for its key */
	assert_true(ss_revoked(s, "2"));
	assert_true(ss_revoked(s, "3"));
	assert_true(ss_revoked(s, "4"));
	assert_false(ss_revoked(s, "5"));
	assert_true(ss_revoked(s, "6"));

	t = ss_put_renewal(s, "7", NULL, "K", NULL, "t7"); /* issuance for the key */
	assert_true(t->key_blocked);
	assert_false(t->auth_key_blocked || t->parent_revoked);
	store_txn_free(t);
	t = ss_put_renewal(b, "8", "5", "K", "K3", "t8"); /* rekey to the key */
	assert_true(t->key_blocked);
	assert_false(t->auth_key_blocked || t->parent_revoked);
	store_txn_free(t);
	t = ss_put_renewal(s, "9", NULL, "K5", "K", "t9"); /* presented by a certificate with it */
	assert_true(t->auth_key_blocked);
	assert_false(t->key_blocked || t->parent_revoked);
	store_txn_free(t);
	t = ss_put_renewal(b, "10", NULL, "K", "K", "t10"); /* renewal with the same key */
	assert_true(t->auth_key_blocked && t->key_blocked);
	assert_false(t->parent_revoked);
	store_txn_free(t);
	for (int i = 7; i <= 10; i++) {
		char serial[8];
		snprintf(serial, sizeof(serial), "%d", i);
		ss_check_prov(s, serial, false, NULL);
		snprintf(serial, sizeof(serial), "t%d", i);
		assert_true(
		    ss_token_used(s, serial)); /* a refused certificate keeps its token use */
	}
	t = ss_put_renewal(s, "11", "5", "K6", "K3", "t11"); /* unrelated: still fine */
	assert_false(t->key_blocked || t->auth_key_blocked || t->parent_revoked);
	store_txn_free(t);
	ss_check_prov(b, "11", true, "p");

	/* Over mTLS the revocation names the key itself: a certificate not in the store. */
	assert_false(ss_revoke(s, "99", true, "K6"));
	assert_true(ss_revoked(b, "11"));
	assert_false(ss_revoked(b, "5"));
	/* Another reason does not block a key... */
	assert_false(ss_revoke(s, "5", false, NULL));
	t = ss_put_renewal(s, "12", NULL, "K3", NULL, "t12");
	assert_false(t->key_blocked);
	store_txn_free(t);
	/* ...and a later keyCompromise of the revoked serial does: already revoked, key blocked,
	 * the other certificate with the key revoked. */
	assert_true(ss_revoke(b, "5", true, NULL));
	assert_true(ss_revoked(s, "12"));
	t = ss_put_renewal(s, "13", NULL, "K3", NULL, "t13");
	assert_true(t->key_blocked);
	store_txn_free(t);
}

/* revoked_list: every revocation (direct, by lineage), in serial order, with the certificate's
 * expiry (the revocation's, else the stored certificate's, else 0), paged; on every handle. */
static void test_revoked_list(void **state)
{
	struct store *s = ss_handle(state, 0), *b = ss_handle(state, 1);
	struct revocation rev = {
	    .serial = "3", .reason_code = 0, .revoked_at_ns = 7, .token_id = "t"};
	struct store_revoked *v = NULL;
	struct error err = {0};
	bool already = true;
	size_t n = 9;

	assert_int_equal(s->ops->revoked_list(s, NULL, 10, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	ss_put_child(s, "1", NULL);
	ss_put_child(s, "2", "1");
	ss_put_child(s, "3", NULL);
	ss_put_child(s, "4", NULL);
	assert_false(ss_revoke(s, "1", false, NULL)); /* and "2", its renewal */
	assert_int_equal(store_revoke(s, &rev, &already, &err), 0);
	rev.serial = "99"; /* not stored: no expiry known */
	rev.reason_code = 5;
	assert_int_equal(store_revoke(b, &rev, &already, &err), 0);

	assert_int_equal(b->ops->revoked_list(b, NULL, 10, &v, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_string_equal(v[0].serial, "1");
	assert_int_equal(v[0].reason_code, 4);
	assert_int_equal(v[0].revoked_at_ns, INT64_C(1700000000000000000));
	assert_int_equal(v[0].expires_at_ns, INT64_C(1900000000000000000));
	assert_string_equal(v[1].serial, "2");
	assert_int_equal(v[1].reason_code, 4);
	assert_int_equal(v[1].revoked_at_ns, INT64_C(1700000000000000000));
	assert_int_equal(v[1].expires_at_ns, 42);
	assert_string_equal(v[2].serial, "3");
	assert_int_equal(v[2].reason_code, 0);
	assert_int_equal(v[2].revoked_at_ns, 7);
	assert_int_equal(v[2].expires_at_ns, 42);
	assert_string_equal(v[3].serial, "99");
	assert_int_equal(v[3].reason_code, 5);
	assert_int_equal(v[3].expires_at_ns, 0);
	store_revoked_free(v, n);

	assert_int_equal(s->ops->revoked_list(s, "1", 2, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].serial, "2");
	assert_string_equal(v[1].serial, "3");
	store_revoked_free(v, n);
	assert_int_equal(s->ops->revoked_list(s, "3", 2, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].serial, "99");
	store_revoked_free(v, n);
	assert_int_equal(s->ops->revoked_list(s, "99", 2, &v, &n, &err), 0);
	assert_int_equal(n, 0);
}

/* Everything committed is there after the handle is closed and another opened; close commits
 * what was submitted before it. */
static void test_persistence(void **state)
{
	struct store *s = ss_handle(state, 0);
	struct ss_pending p = SS_PENDING_INIT;
	struct store_txn *queued[20];
	struct store_record r = ss_rec_of("things", "a", "own", "value", 0, 0);

	assert_false(ss_use(s, "key-1"));
	ss_put(s, "100", "admin", 0, ERR_NONE);
	ss_put_child(s, "101", "100");
	assert_false(ss_revoke(s, "100", false, NULL));
	assert_false(ss_change(s, STORE_REC_INSERT, r));
	for (int i = 0; i < 20; i++) {
		char key[16];
		snprintf(key, sizeof(key), "q-%d", i);
		queued[i] = store_txn_new();
		store_txn_use_token(queued[i], key, "raw");
		ss_submit_async(s, queued[i], &p);
	}
	ss_close_handle(state, 0);
	ss_pending_wait(&p);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(queued[i]->rc, 0);
		assert_false(queued[i]->token_reused);
		store_txn_free(queued[i]);
	}

	s = ss_handle(state, 1);
	assert_true(ss_use(s, "key-1"));
	assert_false(ss_use(s, "key-2"));
	ss_check_prov(s, "100", true, "admin");
	assert_true(ss_revoked(s, "100"));
	assert_true(ss_revoked(s, "101"));
	ss_check_record(s, "things", "a", "own", "value", 0, 1);
	for (int i = 0; i < 20; i++) {
		char key[16];
		snprintf(key, sizeof(key), "q-%d", i);
		assert_true(ss_token_used(s, key));
	}
	pthread_cond_destroy(&p.cond);
	pthread_mutex_destroy(&p.lock);
}

/* ---- races between handles ------------------------------------------------------------ */

#define RACE_THREADS 4
#define RACE_KEYS    400

struct token_race {
	struct store *s, *other;
	int thread;
	int wins[RACE_KEYS];
	int errors;
};

static void *token_race_thread(void *arg)
{
	struct token_race *r = arg;

	for (int j = 0; j < RACE_KEYS; j++) {
		int k = (j + r->thread * (RACE_KEYS / RACE_THREADS)) % RACE_KEYS;
		char key[32], serial[32];
		struct error err = {0};
		bool used = true, found = false;

		snprintf(key, sizeof(key), "token-%d", k);
		if (store_use_token(r->s, key, "t", &used, &err) != 0)
			r->errors++;
		else if (!used)
			r->wins[k]++;
		if (j % 4 == 0) { /* certificates and reads interleave with the tokens */
			struct cert_record rec;
			snprintf(serial, sizeof(serial), "%d%06d", r->thread + 1, j);
			ss_set_cert(&rec, serial, NULL, NULL);
			if (store_put_cert(r->s, &rec, &err) != 0 ||
			    r->other->ops->get_cert_provisioner(r->other, serial, &found, NULL,
								NULL, &err) != 0 ||
			    !found)
				r->errors++;
		}
	}
	return NULL;
}

/* Two handles race for the same token keys from several threads: each key has exactly one
 * winner; a certificate committed on one handle is at once found on the other. */
static void test_replay_race(void **state)
{
	struct store *h[2] = {ss_handle(state, 0), ss_handle(state, 1)};
	static struct token_race r[RACE_THREADS];
	pthread_t t[RACE_THREADS];

	memset(r, 0, sizeof(r));
	for (int i = 0; i < RACE_THREADS; i++) {
		r[i].s = h[i % 2];
		r[i].other = h[(i + 1) % 2];
		r[i].thread = i;
	}
	ss_start_threads(t, RACE_THREADS, token_race_thread, r, sizeof(r[0]));
	ss_join_threads(t, RACE_THREADS);
	for (int i = 0; i < RACE_THREADS; i++)
		assert_int_equal(r[i].errors, 0);
	for (int k = 0; k < RACE_KEYS; k++) {
		int winners = 0;
		for (int i = 0; i < RACE_THREADS; i++)
			winners += r[i].wins[k];
		assert_int_equal(winners, 1);
	}
}

#define GROUP_THREADS 4
#define GROUP_TXNS    40

struct group {
	struct store *s;
	int thread;
	struct store_txn *t[GROUP_TXNS];
};

static void group_names(int i, char *key, char *serial, char *id, char *log)
{
	sprintf(key, "g-%d", i);
	sprintf(serial, "%d", 5000 + i);
	sprintf(id, "r-%d", i);
	sprintf(log, "l-%d", i);
}

/* Submits GROUP_TXNS transactions without waiting (so that the back end groups them), then
 * waits for all. */
static void *group_thread(void *arg)
{
	struct group *g = arg;
	struct ss_pending p = SS_PENDING_INIT;

	for (int j = 0; j < GROUP_TXNS; j++) {
		int i = g->thread * GROUP_TXNS + j;
		char key[16], serial[16], id[16], log[16];
		struct cert_record rec;

		group_names(i, key, serial, id, log);
		ss_set_cert(&rec, serial, NULL, NULL);
		rec.prov_name = "g";
		g->t[j] = store_txn_new();
		store_txn_use_token(g->t[j], key, "raw");
		store_txn_put_cert(g->t[j], &rec, NULL);
		store_txn_record(g->t[j], STORE_REC_INSERT,
				 &(struct store_record){.collection = "grp",
							.id = id,
							.value = (const uint8_t *)"new",
							.value_len = 3});
		store_txn_record(g->t[j], STORE_REC_PUT,
				 &(struct store_record){.collection = "grp_log", .id = log});
		ss_submit_async(g->s, g->t[j], &p);
	}
	ss_pending_wait(&p);
	pthread_cond_destroy(&p.cond);
	pthread_mutex_destroy(&p.lock);
	return NULL;
}

/* Transactions submitted together from several threads on two handles are committed in
 * groups, each all or nothing: a reused token, a record conflict or a failing certificate
 * leaves nothing of its own transaction and does not touch the others. */
static void test_group_commit(void **state)
{
	struct store *h[2] = {ss_handle(state, 0), ss_handle(state, 1)};
	static struct group g[GROUP_THREADS];
	pthread_t th[GROUP_THREADS];

	for (int i = 0; i < GROUP_THREADS * GROUP_TXNS; i++) {
		char key[16], serial[16], id[16], log[16];
		group_names(i, key, serial, id, log);
		if (i % 4 == 1)
			assert_false(ss_use(h[0], key));
		else if (i % 4 == 2)
			assert_false(ss_change(h[1], STORE_REC_INSERT,
					       ss_rec_of("grp", id, NULL, "pre", 0, 0)));
		else if (i % 4 == 3)
			ss_put(h[0], serial, "pre", 0, ERR_NONE);
	}
	memset(g, 0, sizeof(g));
	for (int i = 0; i < GROUP_THREADS; i++) {
		g[i].s = h[i % 2];
		g[i].thread = i;
	}
	ss_start_threads(th, GROUP_THREADS, group_thread, g, sizeof(g[0]));
	ss_join_threads(th, GROUP_THREADS);

	for (int i = 0; i < GROUP_THREADS * GROUP_TXNS; i++) {
		struct store_txn *t = g[i / GROUP_TXNS].t[i % GROUP_TXNS];
		struct store *s = h[(i + 1) % 2];
		char key[16], serial[16], id[16], log[16];

		group_names(i, key, serial, id, log);
		assert_false(t->already_revoked || t->parent_revoked || t->key_blocked ||
			     t->auth_key_blocked);
		assert_false(t->records[1].conflict);
		switch (i % 4) {
		case 0: /* applied */
			assert_int_equal(t->rc, 0);
			assert_false(t->token_reused || t->record_conflict);
			assert_true(ss_token_used(s, key));
			ss_check_prov(s, serial, true, "g");
			ss_check_record(s, "grp", id, NULL, "new", 0, 1);
			ss_check_record(s, "grp_log", log, NULL, "", 0, 1);
			break;
		case 1: /* token used before: nothing */
			assert_int_equal(t->rc, 0);
			assert_true(t->token_reused);
			assert_false(t->record_conflict || t->records[0].conflict);
			ss_check_prov(s, serial, false, NULL);
			ss_check_absent(s, "grp", id);
			ss_check_absent(s, "grp_log", log);
			break;
		case 2: /* record conflict: nothing, not even the token */
			assert_int_equal(t->rc, 0);
			assert_false(t->token_reused);
			assert_true(t->record_conflict && t->records[0].conflict);
			assert_false(ss_token_used(s, key));
			ss_check_prov(s, serial, false, NULL);
			ss_check_record(s, "grp", id, NULL, "pre", 0, 1);
			ss_check_absent(s, "grp_log", log);
			break;
		default: /* the serial exists: the transaction fails */
			assert_int_equal(t->rc, -1);
			assert_int_equal(t->err.kind, ERR_CONFLICT);
			assert_false(t->token_reused || t->record_conflict ||
				     t->records[0].conflict);
			assert_false(ss_token_used(s, key));
			ss_check_prov(s, serial, true, "pre");
			ss_check_absent(s, "grp", id);
			ss_check_absent(s, "grp_log", log);
		}
		store_txn_free(t);
	}
}

#define LINEAGES 60

struct lineage_race {
	struct store *s;
	int side; /* renews lineage i when i % 2 == side, revokes the others */
	struct store_txn *t[LINEAGES];
};

/* Whether lineage i's revocation is a keyCompromise one (blocks the key). */
static bool lineage_blocks_key(int i)
{
	return i % 4 >= 2;
}

static void *lineage_thread(void *arg)
{
	struct lineage_race *r = arg;

	for (int i = 0; i < LINEAGES; i++) {
		char parent[16], child[16], key[16], tok[16];
		struct error err = {0};

		sprintf(parent, "%d", 1000 + i);
		sprintf(child, "%d", 2000 + i);
		sprintf(key, "K-%d", i);
		sprintf(tok, "lr-%d", i);
		r->t[i] = store_txn_new();
		if (i % 2 == r->side) {
			struct cert_record rec;
			ss_set_cert(&rec, child, parent, key);
			store_txn_use_token(r->t[i], tok, "raw");
			store_txn_put_cert(r->t[i], &rec, key);
		} else {
			store_txn_revoke(r->t[i],
					 &(struct revocation){.serial = parent,
							      .reason_code = 1,
							      .revoked_at_ns = 1,
							      .block_key = lineage_blocks_key(i)});
		}
		(void)store_commit(r->s, r->t[i], &err); /* results checked by the test */
	}
	return NULL;
}

/* Renewals race their parents' revocations on two handles (each handle renews half of the
 * lineages and revokes the other half): whichever commits first, no renewal of a revoked
 * certificate survives (revoked with it, or refused); keyCompromise revocations also block the
 * renewal's key. */
static void test_lineage_race(void **state)
{
	struct store *h[2] = {ss_handle(state, 0), ss_handle(state, 1)};
	static struct lineage_race r[2];
	pthread_t th[2];
	int stored = 0;

	for (int i = 0; i < LINEAGES; i++) {
		char parent[16], key[16];
		struct cert_record rec;
		struct error err = {0};
		sprintf(parent, "%d", 1000 + i);
		sprintf(key, "K-%d", i);
		ss_set_cert(&rec, parent, NULL, key);
		assert_int_equal(store_put_cert(h[i % 2], &rec, &err), 0);
	}
	memset(r, 0, sizeof(r));
	r[0] = (struct lineage_race){.s = h[0], .side = 0};
	r[1] = (struct lineage_race){.s = h[1], .side = 1};
	ss_start_threads(th, 2, lineage_thread, r, sizeof(r[0]));
	ss_join_threads(th, 2);
	for (int i = 0; i < LINEAGES; i++) {
		struct store_txn *t = r[i % 2].t[i], *rv = r[1 - i % 2].t[i];
		char parent[16], child[16], tok[16];

		sprintf(parent, "%d", 1000 + i);
		sprintf(child, "%d", 2000 + i);
		sprintf(tok, "lr-%d", i);
		assert_int_equal(t->rc, 0);
		assert_int_equal(rv->rc, 0);
		assert_false(rv->already_revoked);
		assert_false(t->token_reused);
		assert_true(ss_token_used(h[1], tok));
		assert_true(ss_revoked(h[0], parent));
		if (ss_cert_found(h[1], child)) { /* renewed first: revoked with its parent */
			stored++;
			assert_false(t->parent_revoked || t->key_blocked || t->auth_key_blocked);
			assert_true(ss_revoked(h[1], child));
		} else { /* revoked first: refused */
			assert_true(t->parent_revoked);
			assert_int_equal(t->key_blocked, lineage_blocks_key(i));
			assert_int_equal(t->auth_key_blocked, lineage_blocks_key(i));
			assert_false(ss_revoked(h[1], child));
		}
		store_txn_free(t);
		store_txn_free(rv);
	}
	print_message("[ INFO     ] %s: %d of %d renewals committed before their parent's "
		      "revocation\n",
		      ss_backend->name, stored, LINEAGES);
}

int store_suite_run(const struct store_suite_backend *b)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_replay, ss_fixture_setup, ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_certificates, ss_fixture_setup,
					    ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_revocation, ss_fixture_setup, ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_cert_status, ss_fixture_setup,
					    ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_lineage, ss_fixture_setup, ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_renewal_of_revoked_parent, ss_fixture_setup,
					    ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_blocked_keys, ss_fixture_setup,
					    ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_revoked_list, ss_fixture_setup,
					    ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_persistence, ss_fixture_setup,
					    ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_replay_race, ss_fixture_setup,
					    ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_group_commit, ss_fixture_setup,
					    ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_lineage_race, ss_fixture_setup,
					    ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(ss_test_record_insert, ss_fixture_setup,
					    ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(ss_test_record_expired_insert, ss_fixture_setup,
					    ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(ss_test_record_update, ss_fixture_setup,
					    ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(ss_test_record_put, ss_fixture_setup,
					    ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(ss_test_record_delete, ss_fixture_setup,
					    ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(ss_test_record_take, ss_fixture_setup,
					    ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(ss_test_record_conflict_aborts_txn, ss_fixture_setup,
					    ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(ss_test_record_list, ss_fixture_setup,
					    ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(ss_test_record_invalid, ss_fixture_setup,
					    ss_fixture_teardown),
	    cmocka_unit_test_setup_teardown(ss_test_record_race, ss_fixture_setup,
					    ss_fixture_teardown),
	};

	ss_backend = b;
	return _cmocka_run_group_tests(b->name, tests, sizeof(tests) / sizeof(tests[0]), NULL,
				       NULL);
}
