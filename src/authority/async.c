/* async.c - the operations that write, from the call to the callback, and their blocking
 * forms.
 *
 * An operation runs in two parts: its work (the token checks, the reads of the store, the
 * signature; sign_prepare and the others), then the commit of what it wrote, after which it
 * is settled (commit.c) and its done callback runs. Where the work runs depends on the store:
 * - a store whose reads are local (SQLite, memory): on the caller's thread, as it costs no
 *   more than the CPU; the commit then completes on the store's committer thread (or at once,
 *   for the memory store);
 * - a store whose reads wait on the network (store->remote, PostgreSQL): on a thread of the
 *   authority's pool (pool.c), so that no event loop waits on a round trip.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "authority/internal.h"
#include "store/store.h"

enum op_kind { OPK_SIGN, OPK_RENEW, OPK_KYMA, OPK_REVOKE };

/* One operation from its call to its callback; freed after done has run. */
struct operation {
	struct pool_job job; /* when it runs on the pool */
	struct authority *a;
	enum op_kind kind;
	struct sign_request sign;
	struct renew_request renew;
	struct revoke_request revoke;
	X509 *kyma_peer;
	X509_REQ *kyma_csr;
	authority_issued_fn issued_done;   /* OPK_SIGN, OPK_RENEW, OPK_KYMA */
	authority_revoked_fn revoked_done; /* OPK_REVOKE */
	void *arg;
	/* the result */
	int rc;
	struct error err;
	struct issued out;
	char *serial; /* OPK_REVOKE */
};

/* Reports the result to done, then frees op and t (its committed writes, may be NULL). */
static void op_complete(struct operation *op, struct store_txn *t)
{
	if (op->rc != 0) {
		issued_free(&op->out);
		free(op->serial);
		op->serial = NULL;
	}
	if (op->kind == OPK_REVOKE)
		op->revoked_done(op->arg, op->rc, &op->err, op->serial); /* serial is done's */
	else
		op->issued_done(op->arg, op->rc, &op->err, &op->out); /* out's content is done's */
	store_txn_free(t);
	free(op);
}

/* The store's done callback (the committer's thread, or the submitting one). */
static void op_committed(struct store_txn *t, void *arg)
{
	struct operation *op = arg;

	if (op->kind == OPK_REVOKE)
		op->rc = revocation_settle(t, op->serial, op->rc, &op->err);
	else
		op->rc = issuance_settle(t, op->rc, &op->err);
	op_complete(op, t);
}

/* The work of op, then its commit (or its end, when it has nothing to write). */
static void op_run(struct operation *op)
{
	struct authority *a = op->a;
	struct store_txn *txn = NULL;

	switch (op->kind) {
	case OPK_SIGN:
		op->rc = sign_prepare(a, &op->sign, &op->out, &txn, &op->err);
		break;
	case OPK_RENEW:
		op->rc = renew_prepare(a, &op->renew, &op->out, &txn, &op->err);
		break;
	case OPK_KYMA:
		op->rc = kyma_prepare(a, op->kyma_peer, op->kyma_csr, &op->out, &txn, &op->err);
		break;
	case OPK_REVOKE:
		op->rc = revoke_prepare(a, &op->revoke, &op->serial, &txn, &op->err);
		break;
	}
	if (txn == NULL) {
		op_complete(op, NULL);
		return;
	}
	txn->done = op_committed;
	txn->done_arg = op;
	a->store->ops->submit(a->store, txn); /* op belongs to the callback from here on */
}

static void op_job(struct pool_job *job)
{
	op_run((struct operation *)job);
}

/* Runs op where its store wants it (see the top of the file). */
static void op_start(struct operation *op)
{
	if (!op->a->store->remote) {
		op_run(op);
		return;
	}
	op->job.run = op_job;
	if (pool_submit(op->a->pool, &op->job) != 0) {
		op->rc = err_public(&op->err, ERR_UNAVAILABLE, AUTHORITY_BUSY_MSG);
		op_complete(op, NULL);
	}
}

static struct operation *op_new(struct authority *a, enum op_kind kind, void *arg)
{
	struct operation *op = xcalloc(1, sizeof(*op));

	op->a = a;
	op->kind = kind;
	op->arg = arg;
	return op;
}

void authority_sign_async(struct authority *a, const struct sign_request *req,
			  authority_issued_fn done, void *arg)
{
	struct operation *op = op_new(a, OPK_SIGN, arg);

	op->sign = *req;
	op->issued_done = done;
	op_start(op);
}

void authority_renew_async(struct authority *a, const struct renew_request *req,
			   authority_issued_fn done, void *arg)
{
	struct operation *op = op_new(a, OPK_RENEW, arg);

	op->renew = *req;
	op->issued_done = done;
	op_start(op);
}

void authority_kyma_renew_async(struct authority *a, X509 *peer, X509_REQ *csr,
				authority_issued_fn done, void *arg)
{
	struct operation *op = op_new(a, OPK_KYMA, arg);

	op->kyma_peer = peer;
	op->kyma_csr = csr;
	op->issued_done = done;
	op_start(op);
}

void authority_revoke_async(struct authority *a, const struct revoke_request *req,
			    authority_revoked_fn done, void *arg)
{
	struct operation *op = op_new(a, OPK_REVOKE, arg);

	op->revoke = *req;
	op->revoked_done = done;
	op_start(op);
}

/* ---- blocking forms ------------------------------------------------------------------------ */

/* The rendezvous of a blocking call and the operation's callback. */
struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int rc;
	struct error *err;  /* the caller's, may be NULL */
	struct issued *out; /* issuances */
	char **serial;	    /* revocations, may be NULL */
};

static void waiter_init(struct waiter *w, struct error *err)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->err = err;
}

/* Records the end (the callback's results are already copied) and wakes the caller. After the
 * unlock w may be gone. */
static void waiter_wake(struct waiter *w, int rc, const struct error *err)
{
	if (rc != 0 && w->err != NULL)
		*w->err = *err;
	pthread_mutex_lock(&w->lock);
	w->rc = rc;
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* Waits for the callback; returns the operation's result. */
static int waiter_wait(struct waiter *w)
{
	pthread_mutex_lock(&w->lock);
	while (!w->done)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	return w->rc;
}

static void issued_wake(void *arg, int rc, const struct error *err, struct issued *out)
{
	struct waiter *w = arg;

	*w->out = *out; /* empty on failure */
	memset(out, 0, sizeof(*out));
	waiter_wake(w, rc, err);
}

static void revoked_wake(void *arg, int rc, const struct error *err, char *serial)
{
	struct waiter *w = arg;

	if (w->serial != NULL)
		*w->serial = serial;
	else
		free(serial);
	waiter_wake(w, rc, err);
}

int authority_sign(struct authority *a, const struct sign_request *req, struct issued *out,
		   struct error *err)
{
	struct waiter w;

	memset(out, 0, sizeof(*out));
	waiter_init(&w, err);
	w.out = out;
	authority_sign_async(a, req, issued_wake, &w);
	return waiter_wait(&w);
}

int authority_renew(struct authority *a, const struct renew_request *req, struct issued *out,
		    struct error *err)
{
	struct waiter w;

	memset(out, 0, sizeof(*out));
	waiter_init(&w, err);
	w.out = out;
	authority_renew_async(a, req, issued_wake, &w);
	return waiter_wait(&w);
}

int authority_kyma_renew(struct authority *a, X509 *peer, X509_REQ *csr, struct issued *out,
			 struct error *err)
{
	struct waiter w;

	memset(out, 0, sizeof(*out));
	waiter_init(&w, err);
	w.out = out;
	authority_kyma_renew_async(a, peer, csr, issued_wake, &w);
	return waiter_wait(&w);
}

int authority_revoke(struct authority *a, const struct revoke_request *req, char **serial_out,
		     struct error *err)
{
	struct waiter w;

	if (serial_out != NULL)
		*serial_out = NULL;
	waiter_init(&w, err);
	w.serial = serial_out;
	authority_revoke_async(a, req, revoked_wake, &w);
	return waiter_wait(&w);
}
