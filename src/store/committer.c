/* committer.c - the group-commit queue and thread of the store back ends. */
#include "store/committer.h"

#include <signal.h>
#include <string.h>
#include <time.h>

#include "base/metrics.h"

static int64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Commits batch, timing it for the metrics (enum metrics_store of c). */
static void commit_measured(struct store_committer *c, struct store_txn *batch)
{
	size_t n = 0;
	int64_t start;

	for (struct store_txn *t = batch; t != NULL; t = t->next)
		n++;
	start = monotonic_ns();
	c->commit(c->ctx, batch); /* may free the transactions */
	metrics_commit((enum metrics_store)c->metrics_store, monotonic_ns() - start, n);
}

/* Takes whatever is queued, commits it, repeats; once stopping, ends when the queue is empty,
 * so nothing submitted before store_committer_stop is lost. */
static void *committer_main(void *arg)
{
	struct store_committer *c = arg;

	for (;;) {
		struct store_txn *batch;

		pthread_mutex_lock(&c->lock);
		while (c->head == NULL && !c->stopping)
			pthread_cond_wait(&c->cond, &c->lock);
		batch = c->head;
		c->head = c->tail = NULL;
		pthread_mutex_unlock(&c->lock);
		if (batch == NULL)
			return NULL;
		commit_measured(c, batch);
	}
}

int store_committer_start(struct store_committer *c, void (*commit)(void *, struct store_txn *),
			  void *ctx, struct error *err)
{
	sigset_t all, old;
	int rc, label = c->metrics_store;

	memset(c, 0, sizeof(*c));
	c->metrics_store = label;
	c->commit = commit;
	c->ctx = ctx;
	if (pthread_mutex_init(&c->lock, NULL) != 0)
		return err_set(err, ERR_INTERNAL, "store: cannot create a mutex");
	if (pthread_cond_init(&c->cond, NULL) != 0) {
		pthread_mutex_destroy(&c->lock);
		return err_set(err, ERR_INTERNAL, "store: cannot create a condition variable");
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&c->thread, NULL, committer_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&c->cond);
		pthread_mutex_destroy(&c->lock);
		return err_set(err, ERR_INTERNAL, "store: cannot start the commit thread: %s",
			       strerror(rc));
	}
	c->started = true;
	return 0;
}

void store_committer_submit(struct store_committer *c, struct store_txn *t)
{
	t->next = NULL;
	pthread_mutex_lock(&c->lock);
	if (c->tail != NULL)
		c->tail->next = t;
	else
		c->head = t;
	c->tail = t;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void store_committer_stop(struct store_committer *c)
{
	if (!c->started)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	c->started = false;
}

void store_batch_done(struct store_txn *batch, int rc, const struct error *err)
{
	while (batch != NULL) {
		struct store_txn *t = batch;

		batch = t->next; /* done() may free t */
		t->next = NULL;
		if (rc != 0) {
			store_txn_clear_results(t);
			t->rc = -1;
			t->err = *err;
		}
		t->done(t, t->done_arg);
	}
}
