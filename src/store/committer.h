/* committer.h - the group-commit queue every back end with a committer thread shares.
 *
 * Writers queue transactions from any thread; one thread takes everything queued at once and
 * hands it to the back end's commit function as a batch (a list through store_txn.next), so
 * concurrent requests share one durable commit. Only for back ends (src/store/).
 */
#ifndef STRIDE_STORE_COMMITTER_H
#define STRIDE_STORE_COMMITTER_H

#include <pthread.h>
#include <stdbool.h>

#include "base/error.h"
#include "store/store.h"

struct store_committer {
	/* Commits batch (every transaction in it, all or nothing each), then ends it with
	 * store_batch_done. Runs on the committer thread only. */
	void (*commit)(void *ctx, struct store_txn *batch);
	void *ctx;
	int metrics_store;    /* enum metrics_store: the label of its commits in the metrics (set
			       * by the back end before store_committer_start, which keeps it) */
	pthread_mutex_t lock; /* guards the queue and stopping */
	pthread_cond_t cond;
	struct store_txn *head, *tail;
	bool stopping;
	bool started;
	pthread_t thread;
};

/* Starts c's thread with every signal blocked (signals belong to the program's own threads:
 * the renewal daemon waits for SIGTERM with signalfd, which needs them blocked in every
 * thread). On failure nothing is left to stop. */
int store_committer_start(struct store_committer *c, void (*commit)(void *, struct store_txn *),
			  void *ctx, struct error *err);
/* Queues t; its done callback runs from the committer thread. */
void store_committer_submit(struct store_committer *c, struct store_txn *t);
/* Commits what is still queued, then stops the thread. A committer never started (zeroed) is
 * a no-op. */
void store_committer_stop(struct store_committer *c);
/* Ends a batch: with rc != 0 every transaction in it failed with err (its results cleared);
 * then each one's done callback runs (which may free it). */
void store_batch_done(struct store_txn *batch, int rc, const struct error *err);

#endif
