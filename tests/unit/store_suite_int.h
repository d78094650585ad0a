/* store_suite_int.h - what the files of the store suite share (store_suite_util.c: the fixture
 * and helpers; store_suite.c: certificates, tokens, races; store_suite_records.c: records).
 * Helpers assert with cmocka: call them from the test's own thread only. */
#ifndef STRIDE_TESTS_STORE_SUITE_INT_H
#define STRIDE_TESTS_STORE_SUITE_INT_H

#include <pthread.h>
#include <stdint.h>

#include "store_suite.h"

#define SS_MAX_HANDLES 4
#define SS_FUTURE      INT64_C(4102444800000000000) /* 2100-01-01: not expired */
#define SS_PAST	       INT64_C(1)		    /* 1970: expired */

/* The back end store_suite_run runs on. */
extern const struct store_suite_backend *ss_backend;
/* A small DER value for certificates. */
extern const uint8_t ss_der1[5];

/* cmocka setup/teardown: a fresh database per test, every handle closed after it. */
int ss_fixture_setup(void **state);
int ss_fixture_teardown(void **state);
/* Opens handle i (0..SS_MAX_HANDLES-1) of the test's database (like process i). */
struct store *ss_handle(void **state, int i);
/* Closes handle i. */
void ss_close_handle(void **state, int i);

/* Stores a certificate (provisioner name, type "JWK") expecting rc and the error kind. */
void ss_put(struct store *s, const char *serial, const char *name, int expect_rc,
	    enum err_kind expect_kind);
/* Stores a certificate renewed from parent (or none), provisioner "p". */
void ss_put_child(struct store *s, const char *serial, const char *parent);
/* Asserts what get_cert_provisioner says of serial (type "JWK" when found). */
void ss_check_prov(struct store *s, const char *serial, bool found_expected,
		   const char *name_expected);
/* Whether get_cert_provisioner finds serial. */
bool ss_cert_found(struct store *s, const char *serial);
/* Uses a token key; returns whether it was used already. */
bool ss_use(struct store *s, const char *key);
/* token_used of key. */
bool ss_token_used(struct store *s, const char *key);
/* is_revoked of serial. */
bool ss_revoked(struct store *s, const char *serial);
/* Revokes serial (keyCompromise when block_key, else reason 4); returns already_revoked. */
bool ss_revoke(struct store *s, const char *serial, bool block_key, const char *key_id);
/* Fills rec: serial, parent, key id, provisioner "p" of type "JWK". */
void ss_set_cert(struct cert_record *rec, const char *serial, const char *parent,
		 const char *key_id);
/* Commits a new certificate serial (key key_id, renewing parent when not NULL, authorised by a
 * certificate with auth_key_id) with a token; returns the transaction for its result flags. */
struct store_txn *ss_put_renewal(struct store *s, const char *serial, const char *parent,
				 const char *key_id, const char *auth_key_id, const char *token);

/* A record (value: a string without its NUL, or NULL for empty). */
struct store_record ss_rec_of(const char *collection, const char *id, const char *owner,
			      const char *value, int64_t expires_at, int64_t version);
/* store_txn_record of a record given by value. */
void ss_txn_record(struct store_txn *t, enum store_record_op op, struct store_record r);
/* Commits one record change; returns whether it had a conflict (the transaction's rc is 0). */
bool ss_change(struct store *s, enum store_record_op op, struct store_record r);
/* Asserts a record reads as absent. */
void ss_check_absent(struct store *s, const char *collection, const char *id);
/* Asserts a record reads exactly as given. */
void ss_check_record(struct store *s, const char *collection, const char *id, const char *owner,
		     const char *value, int64_t expires_at, int64_t version);
/* Lists and returns the ids joined with ',' (malloc'd), checking each record's collection. */
char *ss_list_ids(struct store *s, const char *collection, const char *owner, const char *after,
		  size_t limit);

/* Waits for transactions submitted with ss_submit_async. */
struct ss_pending {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int left;
};
#define SS_PENDING_INIT                                                                            \
	{                                                                                          \
		PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0                             \
	}
/* Submits t (its done counts it off p) without waiting. */
void ss_submit_async(struct store *s, struct store_txn *t, struct ss_pending *p);
/* Waits until every transaction submitted on p is done. */
void ss_pending_wait(struct ss_pending *p);
/* Starts n threads running fn on args[i] (each size bytes) / joins them. */
void ss_start_threads(pthread_t *t, int n, void *(*fn)(void *), void *args, size_t size);
void ss_join_threads(pthread_t *t, int n);

/* The record tests (store_suite_records.c). */
void ss_test_record_insert(void **state);
void ss_test_record_expired_insert(void **state);
void ss_test_record_update(void **state);
void ss_test_record_put(void **state);
void ss_test_record_delete(void **state);
void ss_test_record_take(void **state);
void ss_test_record_conflict_aborts_txn(void **state);
void ss_test_record_list(void **state);
void ss_test_record_invalid(void **state);
void ss_test_record_race(void **state);

#endif
