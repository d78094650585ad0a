/* store_suite_util.c - the store suite's fixture (a fresh database per test, handles on it)
 * and its helpers (store_suite_int.h). */
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

const struct store_suite_backend *ss_backend;

/* One test's database and the handles opened on it. */
struct fixture {
	void *ctx;
	struct store *h[SS_MAX_HANDLES];
};

int ss_fixture_setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	if (ss_backend->setup(&f->ctx) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

int ss_fixture_teardown(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < SS_MAX_HANDLES; i++)
		store_close(f->h[i]);
	ss_backend->teardown(f->ctx);
	free(f);
	return 0;
}

/* Opens handle i of the test's database (like process i). */
struct store *ss_handle(void **state, int i)
{
	struct fixture *f = *state;
	struct error err = {0};

	assert_true(i >= 0 && i < SS_MAX_HANDLES);
	assert_null(f->h[i]);
	if (ss_backend->open(f->ctx, &f->h[i], &err) != 0)
		fail_msg("open %s: %s", ss_backend->name, err.msg);
	assert_non_null(f->h[i]);
	return f->h[i];
}

void ss_close_handle(void **state, int i)
{
	struct fixture *f = *state;

	store_close(f->h[i]);
	f->h[i] = NULL;
}

const uint8_t ss_der1[] = {0x30, 0x03, 0x02, 0x01, 0x07};

void ss_put(struct store *s, const char *serial, const char *name, int expect_rc,
	    enum err_kind expect_kind)
{
	struct cert_record rec = {
	    .serial = serial,
	    .der = ss_der1,
	    .der_len = sizeof(ss_der1),
	    .prov_id = "jwk/admin",
	    .prov_name = name,
	    .prov_type = "JWK",
	    .not_after_ns = INT64_C(1900000000000000000),
	};
	struct error err = {0};

	assert_int_equal(store_put_cert(s, &rec, &err), expect_rc);
	assert_int_equal(err.kind, expect_kind);
}

void ss_put_child(struct store *s, const char *serial, const char *parent)
{
	struct cert_record rec = {.serial = serial,
				  .der = ss_der1,
				  .der_len = sizeof(ss_der1),
				  .prov_name = "p",
				  .prov_type = "JWK",
				  .not_after_ns = 42,
				  .parent_serial = parent};
	struct error err = {0};

	assert_int_equal(store_put_cert(s, &rec, &err), 0);
}

/* Asserts what get_cert_provisioner says of serial (type "JWK" when found). */
void ss_check_prov(struct store *s, const char *serial, bool found_expected,
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

bool ss_cert_found(struct store *s, const char *serial)
{
	struct error err = {0};
	bool found = false;

	assert_int_equal(s->ops->get_cert_provisioner(s, serial, &found, NULL, NULL, &err), 0);
	return found;
}

/* Uses a token key; returns whether it was used already. */
bool ss_use(struct store *s, const char *key)
{
	struct error err = {0};
	bool used = false;

	assert_int_equal(store_use_token(s, key, "raw.token.value", &used, &err), 0);
	return used;
}

bool ss_token_used(struct store *s, const char *key)
{
	struct error err = {0};
	bool used = false;

	assert_int_equal(s->ops->token_used(s, key, &used, &err), 0);
	return used;
}

bool ss_revoked(struct store *s, const char *serial)
{
	struct error err = {0};
	bool r = false;

	assert_int_equal(s->ops->is_revoked(s, serial, &r, &err), 0);
	return r;
}

/* Revokes serial (reason 1, block_key as given); returns already_revoked. */
bool ss_revoke(struct store *s, const char *serial, bool block_key, const char *key_id)
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

void ss_set_cert(struct cert_record *rec, const char *serial, const char *parent,
		 const char *key_id)
{
	*rec = (struct cert_record){.serial = serial,
				    .der = ss_der1,
				    .der_len = sizeof(ss_der1),
				    .prov_name = "p",
				    .prov_type = "JWK",
				    .not_after_ns = 42,
				    .parent_serial = parent,
				    .key_id = key_id};
}

/* Commits a new certificate serial (key key_id, renewing parent when not NULL, authorised by a
 * certificate with auth_key_id) with a token; returns the transaction for its result flags. */
struct store_txn *ss_put_renewal(struct store *s, const char *serial, const char *parent,
				 const char *key_id, const char *auth_key_id, const char *token)
{
	struct cert_record rec;
	struct store_txn *t = store_txn_new();
	struct error err = {0};

	ss_set_cert(&rec, serial, parent, key_id);
	store_txn_use_token(t, token, "raw.token.value");
	store_txn_put_cert(t, &rec, auth_key_id);
	assert_int_equal(store_commit(s, t, &err), 0);
	return t;
}

struct store_record ss_rec_of(const char *collection, const char *id, const char *owner,
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
void ss_txn_record(struct store_txn *t, enum store_record_op op, struct store_record r)
{
	store_txn_record(t, op, &r);
}

/* Commits one record change; returns whether it had a conflict (the transaction's rc is 0). */
bool ss_change(struct store *s, enum store_record_op op, struct store_record r)
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
void ss_check_absent(struct store *s, const char *collection, const char *id)
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
void ss_check_record(struct store *s, const char *collection, const char *id, const char *owner,
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
char *ss_list_ids(struct store *s, const char *collection, const char *owner, const char *after,
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

static void ss_pending_done(struct store_txn *t, void *arg)
{
	struct ss_pending *p = arg;
	(void)t;

	pthread_mutex_lock(&p->lock);
	p->left--;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

void ss_submit_async(struct store *s, struct store_txn *t, struct ss_pending *p)
{
	pthread_mutex_lock(&p->lock);
	p->left++;
	pthread_mutex_unlock(&p->lock);
	t->done = ss_pending_done;
	t->done_arg = p;
	s->ops->submit(s, t);
}

void ss_pending_wait(struct ss_pending *p)
{
	pthread_mutex_lock(&p->lock);
	while (p->left > 0)
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

void ss_start_threads(pthread_t *t, int n, void *(*fn)(void *), void *args, size_t size)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(pthread_create(&t[i], NULL, fn, (char *)args + i * size), 0);
}

void ss_join_threads(pthread_t *t, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
}
