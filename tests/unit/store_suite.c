/* store_suite.c - the rules of store.h every back end keeps, asserted exactly: replay, group
 * commit all or nothing, lineage, keyCompromise, reads, persistence, records; several handles
 * on one database racing each other like several stride-ca processes. */
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
#include "store_suite.h"

#define MAX_HANDLES 4
#define FUTURE	    INT64_C(4102444800000000000) /* 2100-01-01: not expired */
#define PAST	    INT64_C(1)			 /* 1970: expired */

static const struct store_suite_backend *backend;

/* One test's database and the handles opened on it. */
struct fixture {
	void *ctx;
	struct store *h[MAX_HANDLES];
};

static int fixture_setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	if (backend->setup(&f->ctx) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < MAX_HANDLES; i++)
		store_close(f->h[i]);
	backend->teardown(f->ctx);
	free(f);
	return 0;
}

/* Opens handle i of the test's database (like process i). */
static struct store *handle(void **state, int i)
{
	struct fixture *f = *state;
	struct error err = {0};

	assert_true(i >= 0 && i < MAX_HANDLES);
	assert_null(f->h[i]);
	if (backend->open(f->ctx, &f->h[i], &err) != 0)
		fail_msg("open %s: %s", backend->name, err.msg);
	assert_non_null(f->h[i]);
	return f->h[i];
}

static void close_handle(void **state, int i)
{
	struct fixture *f = *state;

	store_close(f->h[i]);
	f->h[i] = NULL;
}

/* ---- helpers -------------------------------------------------------------------------- */

static const uint8_t der1[] = {0x30, 0x03, 0x02, 0x01, 0x07};

static void put(struct store *s, const char *serial, const char *name, int expect_rc,
		enum err_kind expect_kind)
{
	struct cert_record rec = {
	    .serial = serial,
	    .der = der1,
	    .der_len = sizeof(der1),
	    .prov_id = "jwk/admin",
	    .prov_name = name,
	    .prov_type = "JWK",
	    .not_after_ns = INT64_C(1900000000000000000),
	};
	struct error err = {0};

	assert_int_equal(store_put_cert(s, &rec, &err), expect_rc);
	assert_int_equal(err.kind, expect_kind);
}

static void put_child(struct store *s, const char *serial, const char *parent)
{
	struct cert_record rec = {.serial = serial,
				  .der = der1,
				  .der_len = sizeof(der1),
				  .prov_name = "p",
				  .prov_type = "JWK",
				  .not_after_ns = 42,
				  .parent_serial = parent};
	struct error err = {0};

	assert_int_equal(store_put_cert(s, &rec, &err), 0);
}

/* Asserts what get_cert_provisioner says of serial (type "JWK" when found). */
static void check_prov(struct store *s, const char *serial, bool found_expected,
		       const char *name_expected)
{
	struct error err = {0};
	bool found = !found_expected;
	char *name = (char *)"x", *type = (char *)"x";

	assert_int_equal(s->ops->get_cert_provisioner(s, serial, &found, &name, &type, &err), 0);
	assert_int_equal(found, found_expected);
	if (found_expected) {
		assert_string_equal(name, name_expected);
		assert_string_equal(type, "JWK");
	} else {
		assert_null(name);
		assert_null(type);
	}
	free(name);
	free(type);
}

static bool cert_found(struct store *s, const char *serial)
{
	struct error err = {0};
	bool found = false;

	assert_int_equal(s->ops->get_cert_provisioner(s, serial, &found, NULL, NULL, &err), 0);
	return found;
}

/* Uses a token key; returns whether it was used already. */
static bool use(struct store *s, const char *key)
{
	struct error err = {0};
	bool used = false;

	assert_int_equal(store_use_token(s, key, "raw.token.value", &used, &err), 0);
	return used;
}

static bool token_used(struct store *s, const char *key)
{
	struct error err = {0};
	bool used = false;

	assert_int_equal(s->ops->token_used(s, key, &used, &err), 0);
	return used;
}

static bool revoked(struct store *s, const char *serial)
{
	struct error err = {0};
	bool r = false;

	assert_int_equal(s->ops->is_revoked(s, serial, &r, &err), 0);
	return r;
}

/* Revokes serial (reason 1, block_key as given); returns already_revoked. */
static bool revoke(struct store *s, const char *serial, bool block_key, const char *key_id)
{
	struct revocation rev = {.serial = serial,
				 .prov_id = "jwk/admin",
				 .reason_code = block_key ? 1 : 4,
				 .reason = "r",
				 .revoked_at_ns = INT64_C(1700000000000000000),
				 .expires_at_ns = INT64_C(1900000000000000000),
				 .token_id = "tok",
				 .block_key = block_key,
				 .key_id = key_id};
	struct error err = {0};
	bool already = true;

	assert_int_equal(store_revoke(s, &rev, &already, &err), 0);
	return already;
}

static void set_cert(struct cert_record *rec, const char *serial, const char *parent,
		     const char *key_id)
{
	*rec = (struct cert_record){.serial = serial,
				    .der = der1,
				    .der_len = sizeof(der1),
				    .prov_name = "p",
				    .prov_type = "JWK",
				    .not_after_ns = 42,
				    .parent_serial = parent,
				    .key_id = key_id};
}

/* Commits a new certificate serial (key key_id, renewing parent when not NULL, authorised by a
 * certificate with auth_key_id) with a token; returns the transaction for its result flags. */
static struct store_txn *put_renewal(struct store *s, const char *serial, const char *parent,
				     const char *key_id, const char *auth_key_id, const char *token)
{
	struct cert_record rec;
	struct store_txn *t = store_txn_new();
	struct error err = {0};

	set_cert(&rec, serial, parent, key_id);
	store_txn_use_token(t, token, "raw.token.value");
	store_txn_put_cert(t, &rec, auth_key_id);
	assert_int_equal(store_commit(s, t, &err), 0);
	return t;
}

static struct store_record rec_of(const char *collection, const char *id, const char *owner,
				  const char *value, int64_t expires_at, int64_t version)
{
	return (struct store_record){.collection = collection,
				     .id = id,
				     .owner = owner,
				     .value = (const uint8_t *)value,
				     .value_len = value != NULL ? strlen(value) : 0,
				     .expires_at_ns = expires_at,
				     .version = version};
}

/* store_txn_record of a record given by value. */
static void txn_record(struct store_txn *t, enum store_record_op op, struct store_record r)
{
	store_txn_record(t, op, &r);
}

/* Commits one record change; returns whether it had a conflict (the transaction's rc is 0). */
static bool change(struct store *s, enum store_record_op op, struct store_record r)
{
	struct store_txn *t = store_txn_new();
	struct error err = {0};
	bool conflict;

	store_txn_record(t, op, &r);
	if (store_commit(s, t, &err) != 0)
		fail_msg("record change: %s", err.msg);
	assert_int_equal(t->record_conflict, t->records[0].conflict);
	assert_false(t->token_reused || t->already_revoked || t->parent_revoked);
	conflict = t->record_conflict;
	store_txn_free(t);
	return conflict;
}

/* Asserts a record reads as absent. */
static void check_absent(struct store *s, const char *collection, const char *id)
{
	struct store_record r;
	struct error err = {0};
	bool found = true;

	assert_int_equal(s->ops->record_get(s, collection, id, &found, &r, &err), 0);
	assert_false(found);
	assert_null(r.id);
	assert_null(r.value);
}

/* Asserts a record reads exactly as given. */
static void check_record(struct store *s, const char *collection, const char *id, const char *owner,
			 const char *value, int64_t expires_at, int64_t version)
{
	struct store_record r;
	struct error err = {0};
	bool found = false;

	assert_int_equal(s->ops->record_get(s, collection, id, &found, &r, &err), 0);
	assert_true(found);
	assert_string_equal(r.collection, collection);
	assert_string_equal(r.id, id);
	if (owner == NULL)
		assert_null(r.owner);
	else
		assert_string_equal(r.owner, owner);
	assert_int_equal(r.value_len, strlen(value));
	assert_non_null(r.value);
	assert_memory_equal(r.value, value, r.value_len);
	assert_int_equal(r.expires_at_ns, expires_at);
	assert_int_equal(r.version, version);
	store_record_free(&r);
}

/* Lists and returns the ids joined with ',' (malloc'd), checking each record's collection. */
static char *list_ids(struct store *s, const char *collection, const char *owner, const char *after,
		      size_t limit)
{
	struct store_record *v = (struct store_record *)1;
	struct error err = {0};
	size_t n = 99;
	char buf[1024] = "";

	assert_int_equal(s->ops->record_list(s, collection, owner, after, limit, &v, &n, &err), 0);
	if (n == 0)
		assert_null(v);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(v[i].collection, collection);
		if (owner != NULL)
			assert_string_equal(v[i].owner, owner);
		if (i > 0)
			strcat(buf, ",");
		assert_true(strlen(buf) + strlen(v[i].id) < sizeof(buf) - 1);
		strcat(buf, v[i].id);
	}
	store_records_free(v, n);
	return xstrdup(buf);
}

/* Waits for transactions submitted with submit_async. */
struct pending {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int left;
};

static void pending_done(struct store_txn *t, void *arg)
{
	struct pending *p = arg;
	(void)t;

	pthread_mutex_lock(&p->lock);
	p->left--;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void submit_async(struct store *s, struct store_txn *t, struct pending *p)
{
	pthread_mutex_lock(&p->lock);
	p->left++;
	pthread_mutex_unlock(&p->lock);
	t->done = pending_done;
	t->done_arg = p;
	s->ops->submit(s, t);
}

static void pending_wait(struct pending *p)
{
	pthread_mutex_lock(&p->lock);
	while (p->left > 0)
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

static void start_threads(pthread_t *t, int n, void *(*fn)(void *), void *args, size_t size)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(pthread_create(&t[i], NULL, fn, (char *)args + i * size), 0);
}

static void join_threads(pthread_t *t, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
}

/* ---- tokens, certificates, revocations -------------------------------------------------- */

/* A token key is accepted once, by every handle on the database. */
static void test_replay(void **state)
{
	struct store *a = handle(state, 0), *b = handle(state, 1);
	struct error err = {0};
	bool used = true;

	assert_false(token_used(a, "key-1"));
	assert_false(use(a, "key-1"));
	assert_true(use(a, "key-1"));
	assert_true(token_used(a, "key-1"));
	assert_true(token_used(b, "key-1"));
	assert_true(use(b, "key-1"));
	assert_false(use(b, "key-2"));
	assert_true(use(a, "key-2"));
	assert_false(token_used(a, "key-3"));
	/* A token without its raw value is recorded too. */
	assert_int_equal(store_use_token(a, "key-4", NULL, &used, &err), 0);
	assert_false(used);
	assert_true(use(b, "key-4"));
}

/* Certificates by serial; a serial is stored once. */
static void test_certificates(void **state)
{
	struct store *a = handle(state, 0), *b = handle(state, 1);
	const char *serial = "123456789012345678901234567890";
	struct cert_record rec;
	struct store_txn *t;
	struct error err = {0};

	put(a, serial, "admin@example.com", 0, ERR_NONE);
	check_prov(a, serial, true, "admin@example.com");
	check_prov(b, serial, true, "admin@example.com");
	check_prov(a, "999", false, NULL);
	put(b, serial, "other", -1, ERR_CONFLICT);
	check_prov(a, serial, true, "admin@example.com");

	/* A transaction that fails stores nothing: not its token use either. */
	set_cert(&rec, serial, NULL, "K");
	t = store_txn_new();
	store_txn_use_token(t, "tok-dup", "raw");
	store_txn_put_cert(t, &rec, NULL);
	assert_int_equal(store_commit(a, t, &err), -1);
	assert_int_equal(err.kind, ERR_CONFLICT);
	assert_int_equal(t->rc, -1);
	assert_false(t->token_reused);
	store_txn_free(t);
	assert_false(token_used(a, "tok-dup"));
	assert_false(token_used(b, "tok-dup"));
}

/* is_revoked, already_revoked, and a revocation seen by every handle at once. */
static void test_revocation(void **state)
{
	struct store *a = handle(state, 0), *b = handle(state, 1);

	put(a, "77", "p", 0, ERR_NONE);
	assert_false(revoked(a, "77"));
	assert_false(revoke(a, "77", false, NULL));
	assert_true(revoked(a, "77"));
	assert_true(revoked(b, "77"));
	assert_true(revoke(b, "77", false, NULL));
	assert_true(revoke(a, "77", false, NULL));
	assert_false(revoked(a, "78"));
	/* A serial the store never saw can be revoked (step-ca revokes by serial). */
	assert_false(revoke(b, "12345", false, NULL));
	assert_true(revoked(a, "12345"));
	check_prov(a, "12345", false, NULL);
}

/* Revoking a certificate revokes the renewals made from it, transitively, not its ancestors
 * nor its siblings. */
static void test_lineage(void **state)
{
	struct store *s = handle(state, 0);

	put_child(s, "1", NULL);
	put_child(s, "2", "1");
	put_child(s, "3", "2");
	put_child(s, "4", "3");
	put_child(s, "5", "1");
	put_child(s, "6", "5");
	assert_false(revoke(s, "2", false, NULL));
	assert_false(revoked(s, "1"));
	assert_true(revoked(s, "2"));
	assert_true(revoked(s, "3"));
	assert_true(revoked(s, "4"));
	assert_false(revoked(s, "5"));
	assert_false(revoked(s, "6"));
	assert_true(revoke(s, "3", false, NULL));
	assert_false(revoke(s, "1", false, NULL));
	assert_true(revoked(s, "5"));
	assert_true(revoked(s, "6"));
}

/* A renewal whose parent was revoked after the renewal was authorised is refused inside the
 * commit; the token it used stays used; a renewal of a revoked renewal too. */
static void test_renewal_of_revoked_parent(void **state)
{
	struct store *s = handle(state, 0), *b = handle(state, 1);
	struct store_txn *t;

	put_child(s, "1", NULL);
	t = put_renewal(s, "2", "1", "k1", "k1", "tok-a");
	assert_false(t->parent_revoked || t->key_blocked || t->auth_key_blocked);
	store_txn_free(t);
	assert_false(revoke(b, "1", false, NULL));
	assert_true(revoked(s, "2")); /* renewed before: revoked with its parent */
	t = put_renewal(s, "3", "1", "k1", "k1", "tok-b");
	assert_int_equal(t->rc, 0);
	assert_true(t->parent_revoked);
	assert_false(t->key_blocked || t->auth_key_blocked || t->token_reused);
	store_txn_free(t);
	check_prov(s, "3", false, NULL);
	assert_true(use(s, "tok-b"));
	t = put_renewal(b, "4", "2", "k1", "k1", "tok-c"); /* a grandchild: "2" is revoked too */
	assert_true(t->parent_revoked);
	store_txn_free(t);
	check_prov(s, "4", false, NULL);
	assert_false(revoked(s, "4"));
}

/* Key compromise blocks the key: every stored certificate with it and their renewals are
 * revoked, and no later certificate may have it or be renewed by a certificate with it. */
static void test_blocked_keys(void **state)
{
	struct store *s = handle(state, 0), *b = handle(state, 1);
	struct store_txn *t;

	store_txn_free(put_renewal(s, "1", NULL, "K", NULL, "t1"));
	store_txn_free(put_renewal(s, "2", "1", "K", "K", "t2"));
	store_txn_free(put_renewal(s, "3", "2", "K2", "K", "t3"));   /* rekeyed from 2 */
	store_txn_free(put_renewal(s, "4", NULL, "K", NULL, "t4"));  /* same key, other lineage */
	store_txn_free(put_renewal(s, "5", NULL, "K3", NULL, "t5")); /* another key */
	store_txn_free(put_renewal(s, "6", "4", "K4", "K", "t6"));   /* rekeyed from 4 */
	assert_false(revoke(b, "2", true, NULL));
	assert_true(revoked(s, "1")); /* the parent, for its key */
	assert_true(revoked(s, "2"));
	assert_true(revoked(s, "3"));
	assert_true(revoked(s, "4"));
	assert_false(revoked(s, "5"));
	assert_true(revoked(s, "6"));

	t = put_renewal(s, "7", NULL, "K", NULL, "t7"); /* issuance for the key */
	assert_true(t->key_blocked);
	assert_false(t->auth_key_blocked || t->parent_revoked);
	store_txn_free(t);
	t = put_renewal(b, "8", "5", "K", "K3", "t8"); /* rekey to the key */
	assert_true(t->key_blocked);
	assert_false(t->auth_key_blocked || t->parent_revoked);
	store_txn_free(t);
	t = put_renewal(s, "9", NULL, "K5", "K", "t9"); /* presented by a certificate with it */
	assert_true(t->auth_key_blocked);
	assert_false(t->key_blocked || t->parent_revoked);
	store_txn_free(t);
	t = put_renewal(b, "10", NULL, "K", "K", "t10"); /* renewal with the same key */
	assert_true(t->auth_key_blocked && t->key_blocked);
	assert_false(t->parent_revoked);
	store_txn_free(t);
	for (int i = 7; i <= 10; i++) {
		char serial[8];
		snprintf(serial, sizeof(serial), "%d", i);
		check_prov(s, serial, false, NULL);
		snprintf(serial, sizeof(serial), "t%d", i);
		assert_true(token_used(s, serial)); /* a refused certificate keeps its token use */
	}
	t = put_renewal(s, "11", "5", "K6", "K3", "t11"); /* unrelated: still fine */
	assert_false(t->key_blocked || t->auth_key_blocked || t->parent_revoked);
	store_txn_free(t);
	check_prov(b, "11", true, "p");

	/* Over mTLS the revocation names the key itself: a certificate not in the store. */
	assert_false(revoke(s, "99", true, "K6"));
	assert_true(revoked(b, "11"));
	assert_false(revoked(b, "5"));
	/* Another reason does not block a key... */
	assert_false(revoke(s, "5", false, NULL));
	t = put_renewal(s, "12", NULL, "K3", NULL, "t12");
	assert_false(t->key_blocked);
	store_txn_free(t);
	/* ...and a later keyCompromise of the revoked serial does: already revoked, key blocked,
	 * the other certificate with the key revoked. */
	assert_true(revoke(b, "5", true, NULL));
	assert_true(revoked(s, "12"));
	t = put_renewal(s, "13", NULL, "K3", NULL, "t13");
	assert_true(t->key_blocked);
	store_txn_free(t);
}

/* Everything committed is there after the handle is closed and another opened; close commits
 * what was submitted before it. */
static void test_persistence(void **state)
{
	struct store *s = handle(state, 0);
	struct pending p = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
	struct store_txn *queued[20];
	struct store_record r = rec_of("things", "a", "own", "value", 0, 0);

	assert_false(use(s, "key-1"));
	put(s, "100", "admin", 0, ERR_NONE);
	put_child(s, "101", "100");
	assert_false(revoke(s, "100", false, NULL));
	assert_false(change(s, STORE_REC_INSERT, r));
	for (int i = 0; i < 20; i++) {
		char key[16];
		snprintf(key, sizeof(key), "q-%d", i);
		queued[i] = store_txn_new();
		store_txn_use_token(queued[i], key, "raw");
		submit_async(s, queued[i], &p);
	}
	close_handle(state, 0);
	pending_wait(&p);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(queued[i]->rc, 0);
		assert_false(queued[i]->token_reused);
		store_txn_free(queued[i]);
	}

	s = handle(state, 1);
	assert_true(use(s, "key-1"));
	assert_false(use(s, "key-2"));
	check_prov(s, "100", true, "admin");
	assert_true(revoked(s, "100"));
	assert_true(revoked(s, "101"));
	check_record(s, "things", "a", "own", "value", 0, 1);
	for (int i = 0; i < 20; i++) {
		char key[16];
		snprintf(key, sizeof(key), "q-%d", i);
		assert_true(token_used(s, key));
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
			set_cert(&rec, serial, NULL, NULL);
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
	struct store *h[2] = {handle(state, 0), handle(state, 1)};
	static struct token_race r[RACE_THREADS];
	pthread_t t[RACE_THREADS];

	memset(r, 0, sizeof(r));
	for (int i = 0; i < RACE_THREADS; i++) {
		r[i].s = h[i % 2];
		r[i].other = h[(i + 1) % 2];
		r[i].thread = i;
	}
	start_threads(t, RACE_THREADS, token_race_thread, r, sizeof(r[0]));
	join_threads(t, RACE_THREADS);
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
	struct pending p = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

	for (int j = 0; j < GROUP_TXNS; j++) {
		int i = g->thread * GROUP_TXNS + j;
		char key[16], serial[16], id[16], log[16];
		struct cert_record rec;

		group_names(i, key, serial, id, log);
		set_cert(&rec, serial, NULL, NULL);
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
		submit_async(g->s, g->t[j], &p);
	}
	pending_wait(&p);
	pthread_cond_destroy(&p.cond);
	pthread_mutex_destroy(&p.lock);
	return NULL;
}

/* Transactions submitted together from several threads on two handles are committed in
 * groups, each all or nothing: a reused token, a record conflict or a failing certificate
 * leaves nothing of its own transaction and does not touch the others. */
static void test_group_commit(void **state)
{
	struct store *h[2] = {handle(state, 0), handle(state, 1)};
	static struct group g[GROUP_THREADS];
	pthread_t th[GROUP_THREADS];

	for (int i = 0; i < GROUP_THREADS * GROUP_TXNS; i++) {
		char key[16], serial[16], id[16], log[16];
		group_names(i, key, serial, id, log);
		if (i % 4 == 1)
			assert_false(use(h[0], key));
		else if (i % 4 == 2)
			assert_false(
			    change(h[1], STORE_REC_INSERT, rec_of("grp", id, NULL, "pre", 0, 0)));
		else if (i % 4 == 3)
			put(h[0], serial, "pre", 0, ERR_NONE);
	}
	memset(g, 0, sizeof(g));
	for (int i = 0; i < GROUP_THREADS; i++) {
		g[i].s = h[i % 2];
		g[i].thread = i;
	}
	start_threads(th, GROUP_THREADS, group_thread, g, sizeof(g[0]));
	join_threads(th, GROUP_THREADS);

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
			assert_true(token_used(s, key));
			check_prov(s, serial, true, "g");
			check_record(s, "grp", id, NULL, "new", 0, 1);
			check_record(s, "grp_log", log, NULL, "", 0, 1);
			break;
		case 1: /* token used before: nothing */
			assert_int_equal(t->rc, 0);
			assert_true(t->token_reused);
			assert_false(t->record_conflict || t->records[0].conflict);
			check_prov(s, serial, false, NULL);
			check_absent(s, "grp", id);
			check_absent(s, "grp_log", log);
			break;
		case 2: /* record conflict: nothing, not even the token */
			assert_int_equal(t->rc, 0);
			assert_false(t->token_reused);
			assert_true(t->record_conflict && t->records[0].conflict);
			assert_false(token_used(s, key));
			check_prov(s, serial, false, NULL);
			check_record(s, "grp", id, NULL, "pre", 0, 1);
			check_absent(s, "grp_log", log);
			break;
		default: /* the serial exists: the transaction fails */
			assert_int_equal(t->rc, -1);
			assert_int_equal(t->err.kind, ERR_CONFLICT);
			assert_false(t->token_reused || t->record_conflict ||
				     t->records[0].conflict);
			assert_false(token_used(s, key));
			check_prov(s, serial, true, "pre");
			check_absent(s, "grp", id);
			check_absent(s, "grp_log", log);
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
			set_cert(&rec, child, parent, key);
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
	struct store *h[2] = {handle(state, 0), handle(state, 1)};
	static struct lineage_race r[2];
	pthread_t th[2];
	int stored = 0;

	for (int i = 0; i < LINEAGES; i++) {
		char parent[16], key[16];
		struct cert_record rec;
		struct error err = {0};
		sprintf(parent, "%d", 1000 + i);
		sprintf(key, "K-%d", i);
		set_cert(&rec, parent, NULL, key);
		assert_int_equal(store_put_cert(h[i % 2], &rec, &err), 0);
	}
	memset(r, 0, sizeof(r));
	r[0] = (struct lineage_race){.s = h[0], .side = 0};
	r[1] = (struct lineage_race){.s = h[1], .side = 1};
	start_threads(th, 2, lineage_thread, r, sizeof(r[0]));
	join_threads(th, 2);
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
		assert_true(token_used(h[1], tok));
		assert_true(revoked(h[0], parent));
		if (cert_found(h[1], child)) { /* renewed first: revoked with its parent */
			stored++;
			assert_false(t->parent_revoked || t->key_blocked || t->auth_key_blocked);
			assert_true(revoked(h[1], child));
		} else { /* revoked first: refused */
			assert_true(t->parent_revoked);
			assert_int_equal(t->key_blocked, lineage_blocks_key(i));
			assert_int_equal(t->auth_key_blocked, lineage_blocks_key(i));
			assert_false(revoked(h[1], child));
		}
		store_txn_free(t);
		store_txn_free(rv);
	}
	print_message("[ INFO     ] %s: %d of %d renewals committed before their parent's "
		      "revocation\n",
		      backend->name, stored, LINEAGES);
}

/* ---- records -------------------------------------------------------------------------- */

/* INSERT stores version 1 and conflicts while the id is live; every handle reads it. */
static void test_record_insert(void **state)
{
	struct store *a = handle(state, 0), *b = handle(state, 1);

	check_absent(a, "acme_accounts", "a1");
	assert_false(
	    change(a, STORE_REC_INSERT, rec_of("acme_accounts", "a1", NULL, "{\"k\":1}", 0, 0)));
	check_record(a, "acme_accounts", "a1", NULL, "{\"k\":1}", 0, 1);
	check_record(b, "acme_accounts", "a1", NULL, "{\"k\":1}", 0, 1);
	assert_true(change(b, STORE_REC_INSERT,
			   rec_of("acme_accounts", "a1", "o", "{\"k\":2}", FUTURE, 7)));
	check_record(a, "acme_accounts", "a1", NULL, "{\"k\":1}", 0, 1);
	/* The same id in another collection is another record; an empty value is a value. */
	assert_false(
	    change(a, STORE_REC_INSERT, rec_of("acme_orders", "a1", "acct", "", FUTURE, 0)));
	check_record(b, "acme_orders", "a1", "acct", "", FUTURE, 1);
	check_record(b, "acme_accounts", "a1", NULL, "{\"k\":1}", 0, 1);
	/* Values are bytes. */
	assert_false(change(a, STORE_REC_INSERT,
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
static void test_record_expired_insert(void **state)
{
	struct store *s = handle(state, 0);
	char *ids;

	assert_false(change(s, STORE_REC_INSERT, rec_of("nonces", "n1", "o", "old", PAST, 0)));
	check_absent(s, "nonces", "n1");
	ids = list_ids(s, "nonces", NULL, NULL, 10);
	assert_string_equal(ids, "");
	free(ids);
	ids = list_ids(s, "nonces", "o", NULL, 10);
	assert_string_equal(ids, "");
	free(ids);
	assert_false(change(s, STORE_REC_INSERT, rec_of("nonces", "n1", "o", "new", FUTURE, 0)));
	check_record(s, "nonces", "n1", "o", "new", FUTURE, 1);
	assert_true(change(s, STORE_REC_INSERT, rec_of("nonces", "n1", "o", "newer", 0, 0)));
	check_record(s, "nonces", "n1", "o", "new", FUTURE, 1);
	ids = list_ids(s, "nonces", "o", NULL, 10);
	assert_string_equal(ids, "n1");
	free(ids);
}

/* UPDATE is a compare-and-swap on the version of a live record, and bumps it. */
static void test_record_update(void **state)
{
	struct store *a = handle(state, 0), *b = handle(state, 1);

	assert_true(change(a, STORE_REC_UPDATE, rec_of("orders", "o1", NULL, "x", 0, 1)));
	check_absent(a, "orders", "o1");
	assert_false(change(a, STORE_REC_INSERT, rec_of("orders", "o1", "acct1", "pending", 0, 0)));
	assert_true(change(a, STORE_REC_UPDATE, rec_of("orders", "o1", "acct1", "ready", 0, 2)));
	assert_true(change(a, STORE_REC_UPDATE, rec_of("orders", "o1", "acct1", "ready", 0, 0)));
	check_record(b, "orders", "o1", "acct1", "pending", 0, 1);
	assert_false(
	    change(b, STORE_REC_UPDATE, rec_of("orders", "o1", "acct2", "ready", FUTURE, 1)));
	check_record(a, "orders", "o1", "acct2", "ready", FUTURE, 2);
	assert_true(change(a, STORE_REC_UPDATE, rec_of("orders", "o1", "acct1", "valid", 0, 1)));
	assert_false(change(a, STORE_REC_UPDATE, rec_of("orders", "o1", NULL, "valid", 0, 2)));
	check_record(b, "orders", "o1", NULL, "valid", 0, 3);
	/* An expired record is absent: no update. */
	assert_false(change(a, STORE_REC_INSERT, rec_of("orders", "o2", NULL, "old", PAST, 0)));
	assert_true(change(a, STORE_REC_UPDATE, rec_of("orders", "o2", NULL, "new", 0, 1)));
	check_absent(a, "orders", "o2");
}

/* PUT inserts (version 1) or replaces whatever is there (version + 1). */
static void test_record_put(void **state)
{
	struct store *a = handle(state, 0), *b = handle(state, 1);

	assert_false(change(a, STORE_REC_PUT, rec_of("admins", "ad1", "p", "one", 0, 42)));
	check_record(b, "admins", "ad1", "p", "one", 0, 1);
	assert_false(change(b, STORE_REC_PUT, rec_of("admins", "ad1", NULL, "two", FUTURE, 0)));
	check_record(a, "admins", "ad1", NULL, "two", FUTURE, 2);
	assert_false(change(a, STORE_REC_PUT, rec_of("admins", "ad1", NULL, "three", PAST, 0)));
	check_absent(a, "admins", "ad1");
	assert_false(change(a, STORE_REC_PUT, rec_of("admins", "ad1", "q", "four", 0, 0)));
	check_record(b, "admins", "ad1", "q", "four", 0, 4);
}

/* DELETE conflicts when no record has the id (an expired one is deleted). */
static void test_record_delete(void **state)
{
	struct store *a = handle(state, 0), *b = handle(state, 1);

	assert_true(change(a, STORE_REC_DELETE, rec_of("eab_keys", "e1", NULL, NULL, 0, 0)));
	assert_false(change(a, STORE_REC_INSERT, rec_of("eab_keys", "e1", NULL, "k", 0, 0)));
	assert_false(change(b, STORE_REC_DELETE, rec_of("eab_keys", "e1", NULL, NULL, 0, 0)));
	check_absent(a, "eab_keys", "e1");
	assert_true(change(a, STORE_REC_DELETE, rec_of("eab_keys", "e1", NULL, NULL, 0, 0)));
	assert_false(change(a, STORE_REC_INSERT, rec_of("eab_keys", "e2", NULL, "k", PAST, 0)));
	assert_false(change(a, STORE_REC_DELETE, rec_of("eab_keys", "e2", NULL, NULL, 0, 0)));
	assert_true(change(a, STORE_REC_DELETE, rec_of("eab_keys", "e2", NULL, NULL, 0, 0)));
}

/* TAKE deletes a live record; absent or expired: conflict. */
static void test_record_take(void **state)
{
	struct store *a = handle(state, 0), *b = handle(state, 1);

	assert_true(change(a, STORE_REC_TAKE, rec_of("nonces", "n1", NULL, NULL, 0, 0)));
	assert_false(change(a, STORE_REC_INSERT, rec_of("nonces", "n1", NULL, "", FUTURE, 0)));
	assert_false(change(b, STORE_REC_TAKE, rec_of("nonces", "n1", NULL, NULL, 0, 0)));
	check_absent(a, "nonces", "n1");
	assert_true(change(a, STORE_REC_TAKE, rec_of("nonces", "n1", NULL, NULL, 0, 0)));
	assert_true(change(b, STORE_REC_TAKE, rec_of("nonces", "n1", NULL, NULL, 0, 0)));
	/* Expired: a conflict, and the id can be inserted again. */
	assert_false(change(a, STORE_REC_INSERT, rec_of("nonces", "n2", NULL, "", PAST, 0)));
	assert_true(change(a, STORE_REC_TAKE, rec_of("nonces", "n2", NULL, NULL, 0, 0)));
	check_absent(a, "nonces", "n2");
	assert_false(change(a, STORE_REC_INSERT, rec_of("nonces", "n2", NULL, "", 0, 0)));
	assert_false(change(b, STORE_REC_TAKE, rec_of("nonces", "n2", NULL, NULL, 0, 0)));
}

/* A conflict aborts the whole transaction: the token use, the certificate, the revocation and
 * the changes before it; the changes after it are not tried. A refused certificate leaves the
 * record changes unapplied. */
static void test_record_conflict_aborts_txn(void **state)
{
	struct store *a = handle(state, 0), *b = handle(state, 1);
	struct store_record ok = rec_of("c", "a", NULL, "A", 0, 0);
	struct store_record dup = rec_of("c", "dup", NULL, "D", 0, 0);
	struct store_record later = rec_of("c", "z", NULL, "Z", 0, 0);
	struct cert_record rec;
	struct store_txn *t;
	struct error err = {0};

	put(a, "778", "p", 0, ERR_NONE);
	assert_false(change(a, STORE_REC_INSERT, dup));
	set_cert(&rec, "777", NULL, "K");
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
	assert_false(token_used(a, "rc-tok"));
	check_prov(a, "777", false, NULL);
	assert_false(revoked(a, "778"));
	check_absent(a, "c", "a");
	check_absent(a, "c", "z");
	check_record(a, "c", "dup", NULL, "D", 0, 1);
	store_txn_free(put_renewal(a, "779", NULL, "K9", NULL, "t779")); /* K9 not blocked */

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
	assert_true(token_used(b, "rc-tok"));
	check_prov(b, "777", true, "p");
	assert_true(revoked(b, "778"));
	check_record(b, "c", "a", NULL, "A", 0, 1);
	check_record(b, "c", "z", NULL, "Z", 0, 1);

	/* A refused certificate (parent revoked): its token is used, no record changes. */
	t = put_renewal(a, "780", "778", NULL, NULL, "t780");
	store_txn_free(t);
	t = store_txn_new();
	store_txn_use_token(t, "t781", "raw");
	set_cert(&rec, "781", "778", NULL);
	store_txn_put_cert(t, &rec, NULL);
	txn_record(t, STORE_REC_INSERT, rec_of("c", "refused", NULL, "R", 0, 0));
	assert_int_equal(store_commit(b, t, &err), 0);
	assert_true(t->parent_revoked);
	assert_false(t->record_conflict || t->records[0].conflict);
	store_txn_free(t);
	assert_true(token_used(a, "t781"));
	check_prov(a, "781", false, NULL);
	check_absent(a, "c", "refused");
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
static void test_record_list(void **state)
{
	static const struct {
		const char *id, *owner;
		int64_t expires;
	} rows[] = {
	    {"o5", "acct1", 0},	   {"o1", "acct1", FUTURE},  {"o2", "acct2", 0}, {"o3", "acct1", 0},
	    {"o7", "acct1", PAST}, {"o4", "acct2", 0},	     {"o6", "acct1", 0}, {"Z", "acct3", 0},
	    {"a", "acct3", 0},	   {"\xc3\xa9", "acct3", 0}, {"o8", NULL, 0},
	};
	struct store *a = handle(state, 0), *b = handle(state, 1);
	struct store_record *v = (struct store_record *)1;
	struct error err = {0};
	size_t n = 99;
	char *ids;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_false(change(
		    a, STORE_REC_INSERT,
		    rec_of("orders", rows[i].id, rows[i].owner, rows[i].id, rows[i].expires, 0)));
	assert_false(change(a, STORE_REC_INSERT, rec_of("authz", "o0", "acct1", "x", 0, 0)));
	assert_false(change(a, STORE_REC_INSERT, rec_of("orders_x", "o0", "acct1", "x", 0, 0)));

	ids = list_ids(b, "orders", "acct1", NULL, 2);
	assert_string_equal(ids, "o1,o3");
	free(ids);
	ids = list_ids(b, "orders", "acct1", "o3", 2);
	assert_string_equal(ids, "o5,o6");
	free(ids);
	ids = list_ids(b, "orders", "acct1", "o6", 2);
	assert_string_equal(ids, "");
	free(ids);
	ids = list_ids(b, "orders", "acct1", "o0", 100);
	assert_string_equal(ids, "o1,o3,o5,o6");
	free(ids);
	ids = list_ids(b, "orders", "acct3", NULL, 100);
	assert_string_equal(ids, "Z,a,\xc3\xa9");
	free(ids);
	ids = list_ids(b, "orders", NULL, NULL, 100);
	assert_string_equal(ids, "Z,a,o1,o2,o3,o4,o5,o6,o8,\xc3\xa9");
	free(ids);
	ids = list_ids(b, "orders", NULL, "o4", 3);
	assert_string_equal(ids, "o5,o6,o8");
	free(ids);
	ids = list_ids(b, "orders", "nobody", NULL, 100);
	assert_string_equal(ids, "");
	free(ids);
	ids = list_ids(b, "orders", "acct1", NULL, 0);
	assert_string_equal(ids, "");
	free(ids);
	ids = list_ids(b, "empty", NULL, NULL, 10);
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
	assert_int_equal(v[0].expires_at_ns, FUTURE);
	assert_int_equal(v[0].version, 1);
	store_records_free(v, n);
	assert_int_equal(b->ops->record_list(b, "orders", NULL, "o7", 10, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_null(v[0].owner);
	store_records_free(v, n);
}

/* Collections are [a-z0-9_]{1,64}, ids 1..256 bytes: else the transaction (or read) fails with
 * ERR_INVALID and nothing is applied. */
static void test_record_invalid(void **state)
{
	static const char coll_msg[] = "store: a record collection is 1 to 64 of a-z, 0-9 and _";
	static const char id_msg[] = "store: a record id is 1 to 256 bytes";
	struct store *s = handle(state, 0);
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
		txn_record(t, STORE_REC_PUT, rec_of("fine", "f", NULL, "v", 0, 0));
		txn_record(t, STORE_REC_PUT, rec_of(bad[i].collection, bad[i].id, NULL, "v", 0, 0));
		assert_int_equal(store_commit(s, t, &err), -1);
		assert_int_equal(t->rc, -1);
		assert_int_equal(err.kind, ERR_INVALID);
		assert_string_equal(err.msg, bad[i].msg);
		assert_false(t->record_conflict || t->token_reused);
		store_txn_free(t);
		assert_false(token_used(s, "inv-tok"));
		check_absent(s, "fine", "f");

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
	assert_false(change(s, STORE_REC_INSERT, rec_of(c64, id256, NULL, "v", 0, 0)));
	check_record(s, c64, id256, NULL, "v", 0, 1);
	assert_false(change(s, STORE_REC_INSERT, rec_of("a_0_z", "\x01", NULL, "v", 0, 0)));
	check_record(s, "a_0_z", "\x01", NULL, "v", 0, 1);
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
		txn_record(t, STORE_REC_INSERT, rec_of("race", id, NULL, value, 0, 0));
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
		txn_record(t, STORE_REC_UPDATE,
			   rec_of("race", "counter", NULL, next, 0, cur.version));
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
static void test_record_race(void **state)
{
	struct store *h[2] = {handle(state, 0), handle(state, 1)};
	static struct record_race r[REC_RACE_THREADS];
	pthread_t th[REC_RACE_THREADS];
	char want[32];

	assert_false(change(h[0], STORE_REC_INSERT, rec_of("race", "counter", NULL, "0", 0, 0)));
	memset(r, 0, sizeof(r));
	for (int i = 0; i < REC_RACE_THREADS; i++) {
		r[i].s = h[i % 2];
		r[i].thread = i;
	}
	start_threads(th, REC_RACE_THREADS, record_race_thread, r, sizeof(r[0]));
	join_threads(th, REC_RACE_THREADS);
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
		check_record(h[(k + 1) % 2], "race", id, NULL, value, 0, 1);
	}
	snprintf(want, sizeof(want), "%d", REC_RACE_THREADS * CAS_ROUNDS);
	check_record(h[1], "race", "counter", NULL, want, 0, 1 + REC_RACE_THREADS * CAS_ROUNDS);
}

int store_suite_run(const struct store_suite_backend *b)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_replay, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_certificates, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_revocation, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_lineage, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_renewal_of_revoked_parent, fixture_setup,
					    fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_blocked_keys, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_persistence, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_replay_race, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_group_commit, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_lineage_race, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_record_insert, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_record_expired_insert, fixture_setup,
					    fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_record_update, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_record_put, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_record_delete, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_record_take, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_record_conflict_aborts_txn, fixture_setup,
					    fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_record_list, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_record_invalid, fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_record_race, fixture_setup, fixture_teardown),
	};

	backend = b;
	return _cmocka_run_group_tests(b->name, tests, sizeof(tests) / sizeof(tests[0]), NULL,
				       NULL);
}
