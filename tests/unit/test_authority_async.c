/* test_authority_async.c - the authority's asynchronous API: done runs exactly once, on the
 * caller's thread when nothing is written, on another thread after a commit; with a store whose
 * reads wait on the network (a SQLite store behind a shim that says it is remote) the whole
 * operation runs on the authority's threads, commit-time refusals included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../fuzz/ca_fixture.h"
#include "base/file.h"
#include "client/token.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "store_shim.h"

struct fixture {
	char dir[40];
	struct authority *a;
	struct shim_store *shim; /* the authority's store, borrowed */
	EVP_PKEY *prov_key;
	EVP_PKEY *key; /* the key of every CSR */
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static struct fixture *fixture_new(bool remote)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct key_spec spec = {.kty = KEY_KTY_EC, .nid = NID_X9_62_prime256v1};
	char *text = fx_ca_json(), *db;
	struct ca_config *cfg = NULL;
	struct store *store = NULL;
	struct error err = {0};

	snprintf(f->dir, sizeof(f->dir), "/tmp/stride-test-async-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	db = path_join(f->dir, "db");
	assert_int_equal(ca_config_parse(text, strlen(text), "async-ca.json", &cfg, &err), 0);
	assert_int_equal(
	    store_open(&(struct store_config){.type = "sqlite", .data_source = db}, &store, &err),
	    0);
	f->shim = shim_new(store, remote);
	assert_int_equal(authority_new(cfg, NULL, &f->shim->base, &f->a, &err), 0);
	assert_int_equal(key_parse_private((const uint8_t *)FX_PROV_KEY_PEM,
					   strlen(FX_PROV_KEY_PEM), NULL, &f->prov_key, &err),
			 0);
	assert_int_equal(key_generate(&spec, &f->key, &err), 0);
	free(db);
	free(text);
	return f;
}

static void fixture_free(struct fixture *f)
{
	authority_free(f->a);
	EVP_PKEY_free(f->prov_key);
	EVP_PKEY_free(f->key);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
}

static int setup_local(void **state)
{
	*state = fixture_new(false);
	return 0;
}

static int setup_remote(void **state)
{
	*state = fixture_new(true);
	return 0;
}

static int teardown(void **state)
{
	fixture_free(*state);
	return 0;
}

/* A sign token of the fixture's JWK provisioner for cn; malloc'd. */
static char *sign_token(struct fixture *f, const char *cn)
{
	struct strv sans = {0};
	int64_t now = (int64_t)time(NULL);
	struct token_params p = {
	    .issuer = FX_PROV_NAME,
	    .kid = FX_PROV_KID,
	    .subject = cn,
	    .sans = &sans,
	    .audience = FX_AUDIENCE "/1.0/sign",
	    .not_before_sec = now,
	    .not_after_sec = now + 300,
	};
	struct error err = {0};
	char *tok = NULL;

	strv_push(&sans, cn);
	assert_int_equal(token_build(f->prov_key, &p, &tok, &err), 0);
	strv_free(&sans);
	return tok;
}

static X509_REQ *new_csr(struct fixture *f, const char *cn)
{
	struct strv sans = {0};
	struct error err = {0};
	X509_REQ *csr = NULL;

	strv_push(&sans, cn);
	assert_int_equal(csr_create(f->key, cn, &sans, &csr, &err), 0);
	strv_free(&sans);
	return csr;
}

/* What one operation's done reported, and where. */
struct result {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int calls;
	int rc;
	struct error err;
	struct issued out;
	char *serial;
	pthread_t thread; /* where done ran */
	bool returned;	  /* the call had returned when done ran */
};

static void result_init(struct result *r)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
}

/* Marks the call as returned (done may have run already). */
static void result_returned(struct result *r)
{
	pthread_mutex_lock(&r->lock);
	r->returned = true;
	pthread_mutex_unlock(&r->lock);
}

static void result_record(struct result *r, int rc, const struct error *err)
{
	r->calls++;
	r->rc = rc;
	if (rc != 0)
		r->err = *err;
	r->thread = pthread_self();
	pthread_cond_broadcast(&r->cond);
}

static void issued_cb(void *arg, int rc, const struct error *err, struct issued *out)
{
	struct result *r = arg;

	pthread_mutex_lock(&r->lock);
	result_record(r, rc, err);
	r->out = *out;
	memset(out, 0, sizeof(*out));
	pthread_mutex_unlock(&r->lock);
}

static void revoked_cb(void *arg, int rc, const struct error *err, char *serial)
{
	struct result *r = arg;

	pthread_mutex_lock(&r->lock);
	result_record(r, rc, err);
	r->serial = serial;
	pthread_mutex_unlock(&r->lock);
}

static void result_wait(struct result *r)
{
	pthread_mutex_lock(&r->lock);
	while (r->calls == 0)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

static void result_free(struct result *r)
{
	issued_free(&r->out);
	free(r->serial);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
}

static bool is_stored(struct fixture *f, const char *serial)
{
	struct store *s = &f->shim->base;
	struct error err = {0};
	bool found = false;

	assert_int_equal(s->ops->get_cert_provisioner(s, serial, &found, NULL, NULL, &err), 0);
	return found;
}

/* sign_async for cn with tok; the call's end is marked in r. */
static void sign_async(struct fixture *f, X509_REQ *csr, const char *tok, struct result *r)
{
	struct sign_request req = {.csr = csr, .ott = tok};

	authority_sign_async(f->a, &req, issued_cb, r);
	result_returned(r);
}

/* A request refused before anything is written ends before the call returns, on the caller's
 * thread, exactly once. */
static void test_refused_before_any_write_is_synchronous(void **state)
{
	struct fixture *f = *state;
	struct revoke_request rev = {.serial = "", .passive = true};
	X509_REQ *csr = new_csr(f, "sync.example.com");
	struct result r;

	result_init(&r);
	authority_revoke_async(f->a, &rev, revoked_cb, &r);
	assert_int_equal(r.calls, 1);
	assert_false(r.returned);
	assert_true(pthread_equal(r.thread, pthread_self()));
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.err.kind, ERR_INVALID);
	assert_string_equal(r.err.msg, "missing serial");
	assert_null(r.serial);
	result_free(&r);

	result_init(&r);
	sign_async(f, csr, "not.a.token", &r);
	assert_int_equal(r.calls, 1);
	assert_true(pthread_equal(r.thread, pthread_self()));
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.err.kind, ERR_UNAUTHORIZED);
	assert_null(r.out.der);
	assert_int_equal(f->shim->submits, 0); /* nothing was written */
	result_free(&r);
	X509_REQ_free(csr);
}

/* On SQLite (not remote) the checks and the signing run in the call, the commit completes on
 * the store's committer thread; done runs once, with the certificate stored. */
static void test_local_commit_completes_elsewhere(void **state)
{
	struct fixture *f = *state;
	X509_REQ *csr = new_csr(f, "local.example.com");
	char *tok = sign_token(f, "local.example.com");
	struct result r;

	result_init(&r);
	shim_hold(f->shim);
	sign_async(f, csr, tok, &r);
	assert_int_equal(f->shim->nheld, 1); /* submitted within the call */
	assert_int_equal(r.calls, 0);	     /* not durable yet: not done */
	shim_release(f->shim);
	result_wait(&r);
	assert_int_equal(r.rc, 0);
	assert_false(pthread_equal(r.thread, pthread_self()));
	assert_non_null(r.out.der);
	assert_true(is_stored(f, r.out.serial));
	assert_string_equal(r.out.subject, "local.example.com");
	assert_int_equal(r.calls, 1);
	result_free(&r);
	free(tok);
	X509_REQ_free(csr);
}

/* A used token is "token already used" even when a check after step-ca's replay point fails
 * too (here the CSR's names), as step-ca answers: the commit that records the token's use is
 * the check, and its answer comes first. The failed request still records nothing else. */
static void test_replay_answer_comes_first(void **state)
{
	struct fixture *f = *state;
	X509_REQ *csr = new_csr(f, "first.example.com");
	X509_REQ *other = new_csr(f, "other.example.com");
	char *tok = sign_token(f, "first.example.com");
	struct result r;

	result_init(&r);
	sign_async(f, csr, tok, &r);
	result_wait(&r);
	assert_int_equal(r.rc, 0);
	result_free(&r);

	result_init(&r);
	sign_async(f, other, tok, &r);
	result_wait(&r);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.err.kind, ERR_UNAUTHORIZED);
	assert_string_equal(r.err.msg, "token already used");
	assert_null(r.out.der);
	assert_int_equal(f->shim->token_reads, 0);
	result_free(&r);

	/* An unused token with the same wrong CSR keeps the CSR's own error. */
	free(tok);
	tok = sign_token(f, "first.example.com");
	result_init(&r);
	sign_async(f, other, tok, &r);
	result_wait(&r);
	assert_int_equal(r.rc, -1);
	assert_int_not_equal(strcmp(r.err.msg, "token already used"), 0);
	result_free(&r);
	free(tok);
	X509_REQ_free(csr);
	X509_REQ_free(other);
}

/* Remote store: the whole operation runs on an authority thread, and so does done. */
static void test_remote_runs_on_the_pool(void **state)
{
	struct fixture *f = *state;
	X509_REQ *csr = new_csr(f, "pool.example.com");
	char *tok = sign_token(f, "pool.example.com");
	struct revoke_request rev = {.serial = "", .passive = true};
	struct result r;

	result_init(&r);
	sign_async(f, csr, tok, &r);
	result_wait(&r);
	assert_int_equal(r.rc, 0);
	assert_false(pthread_equal(r.thread, pthread_self()));
	assert_true(is_stored(f, r.out.serial));
	assert_string_equal(r.out.provisioner, FX_PROV_NAME);
	result_free(&r);

	/* The replay is found by the commit, answered there too; /sign reads nothing before. */
	result_init(&r);
	sign_async(f, csr, tok, &r);
	result_wait(&r);
	assert_int_equal(r.rc, -1);
	assert_false(pthread_equal(r.thread, pthread_self()));
	assert_int_equal(r.err.kind, ERR_UNAUTHORIZED);
	assert_string_equal(r.err.msg, "token already used");
	assert_null(r.out.der);
	assert_int_equal(f->shim->token_reads, 0);
	result_free(&r);

	/* Even a refusal before any write is not answered on the caller's thread. */
	result_init(&r);
	authority_revoke_async(f->a, &rev, revoked_cb, &r);
	result_wait(&r);
	assert_false(pthread_equal(r.thread, pthread_self()));
	assert_string_equal(r.err.msg, "missing serial");
	assert_int_equal(r.calls, 1);
	result_free(&r);
	free(tok);
	X509_REQ_free(csr);
}

/* Remote store: two requests with one token both pass the replay read (neither has committed);
 * the commit lets one through and refuses the other with step-ca's 401. */
static void test_remote_commit_refuses_a_reused_token(void **state)
{
	struct fixture *f = *state;
	X509_REQ *csr = new_csr(f, "twice.example.com");
	char *tok = sign_token(f, "twice.example.com");
	struct result r1, r2;

	result_init(&r1);
	result_init(&r2);
	shim_hold(f->shim);
	sign_async(f, csr, tok, &r1);
	sign_async(f, csr, tok, &r2);
	shim_wait_held(f->shim, 2);
	assert_int_equal(r1.calls + r2.calls, 0);
	shim_release(f->shim);
	result_wait(&r1);
	result_wait(&r2);
	assert_int_equal(r1.calls, 1);
	assert_int_equal(r2.calls, 1);
	assert_int_equal(r1.rc + r2.rc, -1); /* one of each */
	{
		struct result *bad = r1.rc != 0 ? &r1 : &r2, *good = r1.rc != 0 ? &r2 : &r1;

		assert_int_equal(bad->err.kind, ERR_UNAUTHORIZED);
		assert_string_equal(bad->err.msg, "token already used");
		assert_null(bad->out.der);
		assert_false(pthread_equal(bad->thread, pthread_self()));
		assert_true(is_stored(f, good->out.serial));
	}
	result_free(&r1);
	result_free(&r2);
	free(tok);
	X509_REQ_free(csr);
}

/* Remote store: a renewal checked before its parent's revocation and committed after it is
 * refused by the commit (401 "certificate <parent> has been revoked"); the revocation itself
 * answers with the serial, and a second one is the 400 of step-ca. */
static void test_remote_renewal_racing_revocation(void **state)
{
	struct fixture *f = *state;
	X509_REQ *csr = new_csr(f, "race.example.com");
	char *tok = sign_token(f, "race.example.com");
	struct issued parent = {0};
	struct error err = {0};
	struct result r, rv;
	struct store_txn *held;
	char *parent_serial, *new_serial, *want;

	assert_int_equal(
	    authority_sign(f->a, &(struct sign_request){.csr = csr, .ott = tok}, &parent, &err), 0);
	parent_serial = xstrdup(parent.serial);
	result_init(&r);
	shim_hold(f->shim);
	authority_renew_async(
	    f->a, &(struct renew_request){.peer = issued_leaf(&parent), .peer_verified = true},
	    issued_cb, &r);
	shim_wait_held(f->shim, 1);
	held = shim_take(f->shim);
	new_serial = xstrdup(held->cert.serial);

	result_init(&rv);
	authority_revoke_async(f->a,
			       &(struct revoke_request){.serial = parent_serial,
							.peer = issued_leaf(&parent),
							.peer_verified = true,
							.passive = true},
			       revoked_cb, &rv);
	result_wait(&rv);
	assert_int_equal(rv.rc, 0);
	assert_string_equal(rv.serial, parent_serial);
	assert_false(pthread_equal(rv.thread, pthread_self()));

	shim_forward(f->shim, held);
	result_wait(&r);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.err.kind, ERR_UNAUTHORIZED);
	want = xasprintf("certificate %s has been revoked", parent_serial);
	assert_string_equal(r.err.msg, want);
	assert_false(is_stored(f, new_serial));
	assert_int_equal(r.calls, 1);
	result_free(&rv);

	/* revoked twice */
	result_init(&rv);
	authority_revoke_async(f->a,
			       &(struct revoke_request){.serial = parent_serial,
							.peer = issued_leaf(&parent),
							.peer_verified = true,
							.passive = true},
			       revoked_cb, &rv);
	result_wait(&rv);
	assert_int_equal(rv.rc, -1);
	assert_int_equal(rv.err.kind, ERR_CONFLICT);
	free(want);
	want = xasprintf("certificate with serial number '%s' is already revoked", parent_serial);
	assert_string_equal(rv.err.msg, want);
	assert_null(rv.serial);
	result_free(&rv);
	result_free(&r);
	free(want);
	free(new_serial);
	free(parent_serial);
	issued_free(&parent);
	free(tok);
	X509_REQ_free(csr);
}

/* The blocking forms work over the pool too (offline mode on PostgreSQL). */
static void test_remote_blocking_forms(void **state)
{
	struct fixture *f = *state;
	X509_REQ *csr = new_csr(f, "block.example.com");
	char *tok = sign_token(f, "block.example.com");
	struct issued out = {0}, renewed = {0};
	struct error err = {0};
	char *serial = NULL;

	assert_int_equal(
	    authority_sign(f->a, &(struct sign_request){.csr = csr, .ott = tok}, &out, &err), 0);
	assert_true(is_stored(f, out.serial));
	assert_int_equal(authority_renew(f->a,
					 &(struct renew_request){.peer = issued_leaf(&out),
								 .peer_verified = true},
					 &renewed, &err),
			 0);
	assert_true(is_stored(f, renewed.serial));
	assert_int_equal(authority_revoke(f->a,
					  &(struct revoke_request){.serial = renewed.serial,
								   .peer = issued_leaf(&renewed),
								   .peer_verified = true,
								   .passive = true},
					  &serial, &err),
			 0);
	assert_string_equal(serial, renewed.serial);
	issued_free(&out);
	assert_int_equal(
	    authority_sign(f->a, &(struct sign_request){.csr = csr, .ott = tok}, &out, &err), -1);
	assert_string_equal(err.msg, "token already used");
	assert_null(out.der);
	free(serial);
	issued_free(&renewed);
	free(tok);
	X509_REQ_free(csr);
}

#define QUEUED 8

/* authority_free runs what is still queued on its threads and joins them: every done runs
 * exactly once, and every certificate reported is stored. */
static void test_free_finishes_queued_operations(void **state)
{
	struct fixture *f = fixture_new(true);
	struct result r[QUEUED];
	char *tok[QUEUED];
	char *serial[QUEUED] = {0};
	X509_REQ *csr = new_csr(f, "queued.example.com");
	(void)state;

	for (int i = 0; i < QUEUED; i++) {
		tok[i] = sign_token(f, "queued.example.com");
		result_init(&r[i]);
		sign_async(f, csr, tok[i], &r[i]);
	}
	authority_free(f->a); /* the shim and the SQLite store close with it */
	f->a = NULL;
	for (int i = 0; i < QUEUED; i++) {
		assert_int_equal(r[i].calls, 1);
		assert_int_equal(r[i].rc, 0);
		assert_non_null(r[i].out.der);
		serial[i] = xstrdup(r[i].out.serial);
		result_free(&r[i]);
		free(tok[i]);
	}
	{
		char *db = path_join(f->dir, "db");
		struct store *s = NULL;
		struct error err = {0};
		bool found;

		assert_int_equal(
		    store_open(&(struct store_config){.type = "sqlite", .data_source = db}, &s,
			       &err),
		    0);
		for (int i = 0; i < QUEUED; i++) {
			found = false;
			assert_int_equal(
			    s->ops->get_cert_provisioner(s, serial[i], &found, NULL, NULL, &err),
			    0);
			assert_true(found);
			free(serial[i]);
		}
		store_close(s);
		free(db);
	}
	X509_REQ_free(csr);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_refused_before_any_write_is_synchronous,
					    setup_local, teardown),
	    cmocka_unit_test_setup_teardown(test_local_commit_completes_elsewhere, setup_local,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_replay_answer_comes_first, setup_local, teardown),
	    cmocka_unit_test_setup_teardown(test_remote_runs_on_the_pool, setup_remote, teardown),
	    cmocka_unit_test_setup_teardown(test_remote_commit_refuses_a_reused_token, setup_remote,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_remote_renewal_racing_revocation, setup_remote,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_remote_blocking_forms, setup_remote, teardown),
	    cmocka_unit_test(test_free_finishes_queued_operations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
