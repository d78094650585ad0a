/* pool.c - the authority's own threads, for a store whose reads wait on the network.
 *
 * With PostgreSQL a token's replay check or a renewal's revocation check is a round trip to
 * the database: an event loop must not wait on it. The authority then runs each whole
 * operation on one of these threads (async.c). A bounded queue feeds them; a job that does
 * not fit is refused at once (the caller answers 503) rather than queued without limit.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authority/internal.h"

#define POOL_MIN_THREADS     4
#define POOL_THREADS_PER_CPU 4

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct pool_job *head, *tail;
	size_t queued, max_queued;
	bool stopping;
	pthread_t *threads;
	int nthreads; /* started */
};

int pool_default_threads(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long n = (cpus > 0 ? cpus : 1) * POOL_THREADS_PER_CPU;

	if (n < POOL_MIN_THREADS)
		n = POOL_MIN_THREADS;
	if (n > POOL_MAX_THREADS)
		n = POOL_MAX_THREADS;
	return (int)n;
}

/* A pool thread: runs jobs in order until the pool stops and the queue is empty. */
static void *pool_main(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		struct pool_job *job;

		pthread_mutex_lock(&p->lock);
		while (p->head == NULL && !p->stopping)
			pthread_cond_wait(&p->cond, &p->lock);
		job = p->head;
		if (job != NULL) {
			p->head = job->next;
			if (p->head == NULL)
				p->tail = NULL;
			p->queued--;
		}
		pthread_mutex_unlock(&p->lock);
		if (job == NULL)
			return NULL; /* stopping, and nothing left */
		job->next = NULL;
		job->run(job); /* may free job */
	}
}

int pool_new(int nthreads, size_t max_queued, struct pool **out, struct error *err)
{
	struct pool *p = xcalloc(1, sizeof(*p));
	sigset_t block, old;
	int rc = 0;

	*out = NULL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->max_queued = max_queued;
	p->threads = xcalloc((size_t)(nthreads > 0 ? nthreads : 1), sizeof(*p->threads));
	/* The signals are the main thread's (stride-ca's event loop): the threads inherit a mask
	 * that blocks them. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (int i = 0; i < nthreads && rc == 0; i++) {
		int e = pthread_create(&p->threads[i], NULL, pool_main, p);

		if (e != 0)
			rc = err_set(err, ERR_INTERNAL, "cannot start an authority thread: %s",
				     strerror(e));
		else
			p->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pool_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

int pool_submit(struct pool *p, struct pool_job *job)
{
	int rc = -1;

	job->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->queued < p->max_queued && !p->stopping) {
		if (p->tail != NULL)
			p->tail->next = job;
		else
			p->head = job;
		p->tail = job;
		p->queued++;
		pthread_cond_signal(&p->cond);
		rc = 0;
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

void pool_free(struct pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
}
