/* store_shim.h - a test-only store in front of a real one: every operation is forwarded, but
 * the shim can say it is remote (so that the authority runs its operations on its pool, as
 * with PostgreSQL) and can hold submitted transactions back until the test releases them (to
 * let something happen between an operation's checks and its commit). */
#ifndef STRIDE_TESTS_STORE_SHIM_H
#define STRIDE_TESTS_STORE_SHIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "base/str.h"
#include "store/store.h"

struct shim_store {
	struct store base;
	struct store *inner; /* owned */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool holding;		/* submits wait in held until shim_release */
	struct store_txn *held; /* in submit order */
	int nheld;
	int submits;	 /* forwarded to inner */
	int token_reads; /* token_used calls */
};

static int shim_token_used(struct store *s, const char *key, bool *used, struct error *err)
{
	struct shim_store *sh = (struct shim_store *)s;
	struct store *in = sh->inner;

	pthread_mutex_lock(&sh->lock);
	sh->token_reads++;
	pthread_mutex_unlock(&sh->lock);

	return in->ops->token_used(in, key, used, err);
}

static void shim_submit(struct store *s, struct store_txn *t)
{
	struct shim_store *sh = (struct shim_store *)s;

	pthread_mutex_lock(&sh->lock);
	if (sh->holding) {
		struct store_txn **end = &sh->held;

		while (*end != NULL)
			end = &(*end)->next;
		t->next = NULL;
		*end = t;
		sh->nheld++;
		pthread_cond_broadcast(&sh->cond);
		pthread_mutex_unlock(&sh->lock);
		return;
	}
	sh->submits++;
	pthread_mutex_unlock(&sh->lock);
	sh->inner->ops->submit(sh->inner, t);
}

static int shim_get_cert_provisioner(struct store *s, const char *serial, bool *found,
				     char **prov_name, char **prov_type, struct error *err)
{
	struct store *in = ((struct shim_store *)s)->inner;

	return in->ops->get_cert_provisioner(in, serial, found, prov_name, prov_type, err);
}

static int shim_is_revoked(struct store *s, const char *serial, bool *revoked, struct error *err)
{
	struct store *in = ((struct shim_store *)s)->inner;

	return in->ops->is_revoked(in, serial, revoked, err);
}

static int shim_cert_status(struct store *s, const char *serial, struct store_cert_status *out,
			    struct error *err)
{
	struct store *in = ((struct shim_store *)s)->inner;

	return in->ops->cert_status(in, serial, out, err);
}

static int shim_revoked_list(struct store *s, const char *after_serial, size_t limit,
			     struct store_revoked **out, size_t *n, struct error *err)
{
	struct store *in = ((struct shim_store *)s)->inner;

	return in->ops->revoked_list(in, after_serial, limit, out, n, err);
}

/* Stops holding and hands what was held to the caller (a list through ->next, in submit
 * order), who forwards each with shim_forward later. */
static struct store_txn *shim_take(struct shim_store *sh)
{
	struct store_txn *t;

	pthread_mutex_lock(&sh->lock);
	sh->holding = false;
	t = sh->held;
	sh->held = NULL;
	sh->nheld = 0;
	pthread_mutex_unlock(&sh->lock);
	return t;
}

/* Forwards one transaction (and only that one) to the real store. */
static void shim_forward(struct shim_store *sh, struct store_txn *t)
{
	t->next = NULL;
	pthread_mutex_lock(&sh->lock);
	sh->submits++;
	pthread_mutex_unlock(&sh->lock);
	sh->inner->ops->submit(sh->inner, t);
}

/* Stops holding and forwards what was held, in order. */
static void shim_release(struct shim_store *sh)
{
	struct store_txn *t = shim_take(sh);

	while (t != NULL) {
		struct store_txn *next = t->next;

		shim_forward(sh, t);
		t = next;
	}
}

/* Waits until n transactions are held. */
static void shim_wait_held(struct shim_store *sh, int n)
{
	pthread_mutex_lock(&sh->lock);
	while (sh->nheld < n)
		pthread_cond_wait(&sh->cond, &sh->lock);
	pthread_mutex_unlock(&sh->lock);
}

static void shim_hold(struct shim_store *sh)
{
	pthread_mutex_lock(&sh->lock);
	sh->holding = true;
	pthread_mutex_unlock(&sh->lock);
}

static void shim_close(struct store *s)
{
	struct shim_store *sh = (struct shim_store *)s;

	shim_release(sh);
	store_close(sh->inner);
	pthread_cond_destroy(&sh->cond);
	pthread_mutex_destroy(&sh->lock);
	free(sh);
}

static const struct store_ops shim_ops = {
    .token_used = shim_token_used,
    .submit = shim_submit,
    .get_cert_provisioner = shim_get_cert_provisioner,
    .is_revoked = shim_is_revoked,
    .cert_status = shim_cert_status,
    .revoked_list = shim_revoked_list,
    .close = shim_close,
};

/* A shim over inner (taken over), remote or not. */
static struct shim_store *shim_new(struct store *inner, bool remote)
{
	struct shim_store *sh = xcalloc(1, sizeof(*sh));

	sh->base.ops = &shim_ops;
	sh->base.remote = remote;
	sh->inner = inner;
	pthread_mutex_init(&sh->lock, NULL);
	pthread_cond_init(&sh->cond, NULL);
	return sh;
}

#endif
