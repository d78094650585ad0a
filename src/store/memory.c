/* memory.c - the store used when ca.json has no "db": replay protection until restart.
 *
 * Like step-ca without a database: used token keys are remembered in memory, issued
 * certificates are not recorded (lookups find nothing); revocation and records are not
 * available.
 */
#include "store/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"

struct memory_store {
	struct store base; /* first: the vtable */
	pthread_mutex_t lock;
	char **slots; /* open addressing; NULL = empty */
	size_t cap;   /* a power of two */
	size_t n;
};

static uint64_t hash_key(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037); /* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(1099511628211);
	}
	return h;
}

/* Returns the slot holding key, or the empty slot where it belongs. */
static char **find_slot(char **slots, size_t cap, const char *key)
{
	size_t i = (size_t)hash_key(key) & (cap - 1);

	while (slots[i] != NULL && strcmp(slots[i], key) != 0)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static void grow(struct memory_store *m)
{
	size_t cap = m->cap * 2;
	char **slots = xcalloc(cap, sizeof(*slots));

	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i] != NULL)
			*find_slot(slots, cap, m->slots[i]) = m->slots[i];
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
}

/* Inserts key; returns whether it was there already. The caller holds the lock. */
static bool remember(struct memory_store *m, const char *key)
{
	char **slot = find_slot(m->slots, m->cap, key);

	if (*slot != NULL)
		return true;
	*slot = xstrdup(key);
	if (++m->n * 2 > m->cap)
		grow(m);
	return false;
}

static int mem_token_used(struct store *s, const char *key, bool *used, struct error *err)
{
	struct memory_store *m = (struct memory_store *)s;

	(void)err;
	pthread_mutex_lock(&m->lock);
	*used = *find_slot(m->slots, m->cap, key) != NULL;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

#define NEEDS_DB "this needs a database: add \"db\" to ca.json"

/* Applies a transaction at once: only token keys are kept; certificates are not recorded,
 * revocation and records are not available. */
static void mem_submit(struct store *s, struct store_txn *t)
{
	struct memory_store *m = (struct memory_store *)s;

	t->rc = 0;
	store_txn_clear_results(t);
	if (t->n_records > 0) {
		t->rc = err_set(&t->err, ERR_NOT_IMPLEMENTED, NEEDS_DB);
	} else if (t->has_revocation) {
		t->rc = err_set(&t->err, ERR_NOT_IMPLEMENTED,
				"revocation is not available: no persistence layer configured");
	} else if (t->token_key != NULL) {
		pthread_mutex_lock(&m->lock);
		t->token_reused = remember(m, t->token_key);
		pthread_mutex_unlock(&m->lock);
	}
	t->done(t, t->done_arg);
}

static int mem_get_cert_provisioner(struct store *s, const char *serial, bool *found,
				    char **prov_name, char **prov_type, struct error *err)
{
	(void)s;
	(void)serial;
	(void)err;
	*found = false;
	if (prov_name != NULL)
		*prov_name = NULL;
	if (prov_type != NULL)
		*prov_type = NULL;
	return 0;
}

static int mem_is_revoked(struct store *s, const char *serial, bool *revoked, struct error *err)
{
	(void)s;
	(void)serial;
	(void)err;
	*revoked = false;
	return 0;
}

static int mem_record_get(struct store *s, const char *collection, const char *id, bool *found,
			  struct store_record *out, struct error *err)
{
	(void)s;
	(void)collection;
	(void)id;
	*found = false;
	*out = (struct store_record){0};
	return err_set(err, ERR_NOT_IMPLEMENTED, NEEDS_DB);
}

static int mem_record_list(struct store *s, const char *collection, const char *owner,
			   const char *after_id, size_t limit, struct store_record **out, size_t *n,
			   struct error *err)
{
	(void)s;
	(void)collection;
	(void)owner;
	(void)after_id;
	(void)limit;
	*out = NULL;
	*n = 0;
	return err_set(err, ERR_NOT_IMPLEMENTED, NEEDS_DB);
}

/* No revocation is recorded: the list is empty. */
static int mem_revoked_list(struct store *s, const char *after_serial, size_t limit,
			    struct store_revoked **out, size_t *n, struct error *err)
{
	(void)s;
	(void)after_serial;
	(void)limit;
	(void)err;
	*out = NULL;
	*n = 0;
	return 0;
}

static void mem_close(struct store *s)
{
	struct memory_store *m = (struct memory_store *)s;

	if (m == NULL)
		return;
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i]);
	free(m->slots);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static int mem_cert_status(struct store *s, const char *serial, struct store_cert_status *out,
			   struct error *err)
{
	(void)s;
	(void)serial;
	(void)err;
	memset(out, 0, sizeof(*out));
	return 0;
}

static const struct store_ops memory_ops = {
    .token_used = mem_token_used,
    .submit = mem_submit,
    .get_cert_provisioner = mem_get_cert_provisioner,
    .is_revoked = mem_is_revoked,
    .cert_status = mem_cert_status,
    .record_get = mem_record_get,
    .record_list = mem_record_list,
    .revoked_list = mem_revoked_list,
    .close = mem_close,
};

int store_open_memory(struct store **out, struct error *err)
{
	struct memory_store *m = xcalloc(1, sizeof(*m));

	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		*out = NULL;
		return err_set(err, ERR_INTERNAL, "store: cannot create a mutex");
	}
	m->base.ops = &memory_ops;
	m->cap = 1024;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	*out = &m->base;
	return 0;
}
