/* crl.c - the CA's CRL: generation with a compare-and-swap on the stored number, the store
 * wrapper that holds a revocation's answer until its CRL is stored, the thread that
 * regenerates and follows the stored CRL (crl.h). */
#include "authority/crl.h"

#include <inttypes.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authority/internal.h"
#include "base/duration.h"
#include "base/log.h"
#include "base/str.h"
#include "crypto/crl.h"
#include "store/store.h"

#define REVOKED_PAGE	1000
#define GENERATE_TRIES	8			   /* compare-and-swap conflicts before giving up */
#define RETRY_FAILED_NS (60 * INT64_C(1000000000)) /* a failed periodic generation */
#define CRL_MAX_ENTRIES (INT64_C(1) << 24)	   /* bound on what one CRL lists */

/* A revocation's commit whose done waits for the next CRL. */
struct hook {
	struct crl_service *c;
	void (*done)(struct store_txn *t, void *arg);
	void *arg;
	struct store_txn *t;
	struct hook *next;
};

/* The settings in use: immutable, swapped by crl_service_reconfigure; the replaced ones are
 * kept until the service is freed (a commit or a generation may still read them). */
struct crl_settings {
	struct crl_config cfg;	   /* a copy (idp_url owned) */
	char *url;		   /* the issuing distribution point's full name */
	struct crl_settings *next; /* in old */
};

struct crl_service {
	struct store base; /* first: the wrapper handed to the authority */
	struct store *inner;
	_Atomic(struct crl_settings *) settings;
	struct crl_settings *old; /* replaced settings */
	char *dns_name;		  /* dnsNames[0] at start, for the default URL */
	struct authority *a;	  /* after crl_service_start */
	pthread_mutex_t gen_lock; /* one generation at a time */
	pthread_mutex_t lock;	  /* guards what follows */
	pthread_cond_t cond;
	struct hook *pending, **pending_tail;
	bool running, stop;
	bool reconfigured; /* the thread takes the new renewPeriod */
	pthread_t thread;
	struct crl_current *current;
	int64_t state_version; /* of the stored state current matches */
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* --- the current CRL ------------------------------------------------------------------------ */

void crl_current_put(struct crl_current *cur)
{
	if (cur == NULL || atomic_fetch_sub(&cur->refs, 1) != 1)
		return;
	free(cur->der);
	free(cur->pem);
	free(cur);
}

struct crl_current *crl_service_current(struct crl_service *c)
{
	struct crl_current *cur;

	pthread_mutex_lock(&c->lock);
	cur = c->current;
	if (cur != NULL)
		atomic_fetch_add(&cur->refs, 1);
	pthread_mutex_unlock(&c->lock);
	return cur;
}

/* The PEM form of der: malloc'd, *len bytes (NUL-terminated), or NULL. */
static char *pem_of(const uint8_t *der, size_t len, size_t *out_len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *pem = NULL;
	long n;

	if (bio != NULL && PEM_write_bio(bio, "X509 CRL", "", der, (long)len) > 0) {
		n = BIO_get_mem_data(bio, &data);
		if (n > 0) {
			pem = xmalloc((size_t)n + 1);
			memcpy(pem, data, (size_t)n);
			pem[n] = '\0';
			*out_len = (size_t)n;
		}
	}
	BIO_free(bio);
	return pem;
}

/* Makes der (taken over) the served CRL unless a newer one is served already; version is that
 * of the stored state it matches. */
static void install(struct crl_service *c, uint8_t *der, size_t len, uint64_t number,
		    int64_t next_update_ns, int64_t version)
{
	struct crl_current *cur = xcalloc(1, sizeof(*cur)), *old = NULL;

	atomic_init(&cur->refs, 1);
	cur->der = der;
	cur->der_len = len;
	cur->pem = pem_of(der, len, &cur->pem_len);
	cur->number = number;
	cur->next_update_ns = next_update_ns;
	pthread_mutex_lock(&c->lock);
	if (cur->pem != NULL && (c->current == NULL || number >= c->current->number)) {
		old = c->current;
		c->current = cur;
		cur = NULL;
	}
	if (version > c->state_version)
		c->state_version = version;
	pthread_mutex_unlock(&c->lock);
	crl_current_put(old);
	crl_current_put(cur);
}

/* --- generation ----------------------------------------------------------------------------- */

/* The stored number of a state record, or -1 when it is not one. */
static int64_t state_number(const struct store_record *r)
{
	json_t *doc = json_loadb((const char *)r->value, r->value_len, 0, NULL);
	json_t *n = json_object_get(doc, "number");
	int64_t v = json_is_integer(n) && json_integer_value(n) >= 0 ? json_integer_value(n) : -1;

	json_decref(doc);
	return v;
}

/* The revoked certificates a CRL made at now lists: those whose certificate has not expired
 * more than CRL_EXPIRED_GRACE_NS ago (or whose expiry is unknown). */
static int collect(struct store *s, int64_t now, struct store_revoked **out, size_t *n,
		   struct error *err)
{
	struct store_revoked *all = NULL, *page = NULL;
	size_t count = 0, cap = 0, got = 0;
	char *after = NULL;
	int rc = -1;

	do {
		if (s->ops->revoked_list(s, after, REVOKED_PAGE, &page, &got, err) != 0)
			goto out;
		if (got > 0) {
			free(after);
			after = xstrdup(page[got - 1].serial);
		}
		for (size_t i = 0; i < got; i++) {
			if (page[i].expires_at_ns != 0 &&
			    page[i].expires_at_ns < now - CRL_EXPIRED_GRACE_NS)
				continue;
			if ((int64_t)count >= CRL_MAX_ENTRIES) {
				err_set(err, ERR_TOO_LARGE,
					"more than %" PRId64 " revoked certificates",
					CRL_MAX_ENTRIES);
				goto out;
			}
			if (count == cap) {
				cap = cap > 0 ? cap * 2 : 64;
				all = xrealloc(all, cap * sizeof(*all));
			}
			all[count++] = page[i];
			page[i].serial = NULL; /* moved */
		}
		store_revoked_free(page, got);
		page = NULL;
	} while (got == REVOKED_PAGE);
	*out = all;
	*n = count;
	all = NULL;
	count = 0;
	rc = 0;
out:
	store_revoked_free(page, got);
	store_revoked_free(all, count);
	free(after);
	return rc;
}

/* One attempt: reads the stored state, builds the next CRL and commits it with a
 * compare-and-swap on the state; *conflict when another generation committed first. */
static int generate_once(struct crl_service *c, bool *conflict, struct error *err)
{
	struct store *s = c->inner;
	const struct crl_settings *set = atomic_load_explicit(&c->settings, memory_order_acquire);
	struct store_record state = {0};
	struct store_revoked *revoked = NULL;
	struct crl_entry *entries = NULL;
	struct store_txn *t = NULL;
	uint8_t *der = NULL;
	size_t n = 0, len = 0;
	bool found = false;
	int64_t now = time_now_ns() / NS_PER_SEC * NS_PER_SEC, stored = -1;
	char *value = NULL;
	int rc = -1;

	*conflict = false;
	if (s->ops->record_get(s, CRL_COLLECTION, CRL_STATE_ID, &found, &state, err) != 0)
		goto out;
	if (found && (stored = state_number(&state)) < 0) {
		err_set(err, ERR_INTERNAL, "the stored CRL state is invalid");
		goto out;
	}
	if (collect(s, now, &revoked, &n, err) != 0)
		goto out;
	entries = xcalloc(n > 0 ? n : 1, sizeof(*entries));
	for (size_t i = 0; i < n; i++)
		entries[i] = (struct crl_entry){revoked[i].serial, revoked[i].revoked_at_ns,
						revoked[i].reason_code};
	{
		struct crl_spec spec = {
		    .issuer = c->a->issuer,
		    .number = found ? (uint64_t)stored + 1 : 0, /* step-ca's first CRL is 0 */
		    .this_update_ns = now,
		    .next_update_ns = now + set->cfg.cache_duration_ns,
		    .idp_url = set->url,
		    .entries = entries,
		    .n_entries = n,
		};
		if (crl_build(&spec, c->a->signer, &der, &len, err) != 0)
			goto out;
		value = xasprintf("{\"number\":%" PRIu64 "}", spec.number);
		t = store_txn_new();
		store_txn_record(t, found ? STORE_REC_UPDATE : STORE_REC_INSERT,
				 &(struct store_record){.collection = CRL_COLLECTION,
							.id = CRL_STATE_ID,
							.value = (const uint8_t *)value,
							.value_len = strlen(value),
							.version = state.version});
		store_txn_record(t, STORE_REC_PUT,
				 &(struct store_record){.collection = CRL_COLLECTION,
							.id = CRL_DER_ID,
							.value = der,
							.value_len = len});
		if (store_commit(s, t, err) != 0)
			goto out;
		if (t->record_conflict) {
			*conflict = true;
		} else {
			install(c, der, len, spec.number, spec.next_update_ns,
				found ? state.version + 1 : 1);
			der = NULL;
		}
	}
	rc = 0;
out:
	store_txn_free(t);
	free(value);
	free(der);
	free(entries);
	store_revoked_free(revoked, n);
	store_record_free(&state);
	return rc;
}

int crl_service_generate(struct crl_service *c, struct error *err)
{
	bool conflict = true;
	int rc = 0;

	pthread_mutex_lock(&c->gen_lock);
	for (int i = 0; i < GENERATE_TRIES && rc == 0 && conflict; i++)
		rc = generate_once(c, &conflict, err);
	pthread_mutex_unlock(&c->gen_lock);
	if (rc == 0 && conflict)
		rc = err_set(err, ERR_CONFLICT, "the CRL number kept changing: %d attempts",
			     GENERATE_TRIES);
	return rc;
}

/* Loads the stored CRL when the state changed since the served one (another instance). */
static void follow(struct crl_service *c)
{
	struct store *s = c->inner;
	struct store_record state = {0}, der = {0};
	struct error err = {0};
	bool found = false;
	int64_t known;
	const unsigned char *p;
	X509_CRL *crl = NULL;
	ASN1_INTEGER *num = NULL;
	uint64_t number = 0;
	int64_t next = 0;

	if (s->ops->record_get(s, CRL_COLLECTION, CRL_STATE_ID, &found, &state, &err) != 0 ||
	    !found)
		goto out;
	pthread_mutex_lock(&c->lock);
	known = c->state_version;
	pthread_mutex_unlock(&c->lock);
	if (state.version == known ||
	    s->ops->record_get(s, CRL_COLLECTION, CRL_DER_ID, &found, &der, &err) != 0 || !found)
		goto out;
	p = der.value;
	crl = d2i_X509_CRL(NULL, &p, (long)der.value_len);
	num = crl != NULL ? X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL) : NULL;
	if (num == NULL || ASN1_INTEGER_get_uint64(&number, num) != 1 ||
	    X509_CRL_get0_nextUpdate(crl) == NULL) {
		log_msg(LOG_ERROR, "the stored CRL is invalid", NULL);
		goto out;
	}
	{
		struct tm tm;

		if (ASN1_TIME_to_tm(X509_CRL_get0_nextUpdate(crl), &tm) == 1)
			next = (int64_t)timegm(&tm) * NS_PER_SEC;
	}
	install(c, (uint8_t *)der.value, der.value_len, number, next, state.version);
	der.value = NULL; /* taken over */
out:
	if (err.msg[0] != '\0')
		log_msg(LOG_WARN, "cannot read the stored CRL", "error", err.msg, NULL);
	ASN1_INTEGER_free(num);
	X509_CRL_free(crl);
	store_record_free(&state);
	store_record_free(&der);
}

/* --- the thread ----------------------------------------------------------------------------- */

/* Lets each waiting revocation's done run (its CRL is stored, or its generation failed). */
static void release(struct hook *h)
{
	while (h != NULL) {
		struct hook *next = h->next;
		struct store_txn *t = h->t;

		free(h);
		t->done(t, t->done_arg); /* may free t */
		h = next;
	}
}

static struct hook *take_pending(struct crl_service *c)
{
	struct hook *h = c->pending;

	c->pending = NULL;
	c->pending_tail = &c->pending;
	return h;
}

static void *crl_thread(void *arg)
{
	struct crl_service *c = arg;
	int64_t interval = crl_config_renew_interval(&atomic_load(&c->settings)->cfg);
	int64_t renew_due = interval > 0 ? mono_ns() + interval : INT64_MAX;
	int64_t poll_due = mono_ns() + CRL_POLL_NS;

	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		int64_t now = mono_ns(), wake;
		struct timespec ts;

		if (c->reconfigured) { /* crl_service_reconfigure generated one just now */
			c->reconfigured = false;
			interval = crl_config_renew_interval(&atomic_load(&c->settings)->cfg);
			renew_due = interval > 0 ? now + interval : INT64_MAX;
		}
		if (c->pending != NULL || now >= renew_due) {
			struct hook *batch = take_pending(c);
			struct error err = {0};

			pthread_mutex_unlock(&c->lock);
			if (crl_service_generate(c, &err) != 0) {
				log_msg(LOG_ERROR, "error regenerating the CRL", "error", err.msg,
					NULL);
				if (interval > 0)
					renew_due = mono_ns() + (interval < RETRY_FAILED_NS
								     ? interval
								     : RETRY_FAILED_NS);
			} else if (interval > 0) {
				renew_due = mono_ns() + interval;
			}
			release(batch);
			pthread_mutex_lock(&c->lock);
			continue;
		}
		if (now >= poll_due) {
			pthread_mutex_unlock(&c->lock);
			follow(c);
			poll_due = mono_ns() + CRL_POLL_NS;
			pthread_mutex_lock(&c->lock);
			continue;
		}
		wake = renew_due < poll_due ? renew_due : poll_due;
		ts.tv_sec = (time_t)(wake / NS_PER_SEC);
		ts.tv_nsec = (long)(wake % NS_PER_SEC);
		pthread_cond_timedwait(&c->cond, &c->lock, &ts);
	}
	{
		struct hook *left = take_pending(c);

		pthread_mutex_unlock(&c->lock);
		release(left);
	}
	return NULL;
}

/* --- the store wrapper ---------------------------------------------------------------------- */

static struct store *inner_of(struct store *s)
{
	return ((struct crl_service *)s)->inner;
}

static int w_token_used(struct store *s, const char *key, bool *used, struct error *err)
{
	return inner_of(s)->ops->token_used(inner_of(s), key, used, err);
}

static int w_get_cert_provisioner(struct store *s, const char *serial, bool *found,
				  char **prov_name, char **prov_type, struct error *err)
{
	return inner_of(s)->ops->get_cert_provisioner(inner_of(s), serial, found, prov_name,
						      prov_type, err);
}

static int w_is_revoked(struct store *s, const char *serial, bool *revoked, struct error *err)
{
	return inner_of(s)->ops->is_revoked(inner_of(s), serial, revoked, err);
}

static int w_cert_status(struct store *s, const char *serial, struct store_cert_status *out,
			 struct error *err)
{
	return inner_of(s)->ops->cert_status(inner_of(s), serial, out, err);
}

static int w_record_get(struct store *s, const char *collection, const char *id, bool *found,
			struct store_record *out, struct error *err)
{
	return inner_of(s)->ops->record_get(inner_of(s), collection, id, found, out, err);
}

static int w_record_list(struct store *s, const char *collection, const char *owner,
			 const char *after_id, size_t limit, struct store_record **out, size_t *n,
			 struct error *err)
{
	return inner_of(s)->ops->record_list(inner_of(s), collection, owner, after_id, limit, out,
					     n, err);
}

static int w_revoked_list(struct store *s, const char *after_serial, size_t limit,
			  struct store_revoked **out, size_t *n, struct error *err)
{
	return inner_of(s)->ops->revoked_list(inner_of(s), after_serial, limit, out, n, err);
}

/* A revocation's commit is done: when it applied, its done waits for the next CRL. */
static void revocation_committed(struct store_txn *t, void *arg)
{
	struct hook *h = arg;
	struct crl_service *c = h->c;
	bool queued = false;

	t->done = h->done;
	t->done_arg = h->arg;
	if (t->rc == 0 && !t->token_reused && !t->record_conflict) {
		pthread_mutex_lock(&c->lock);
		if (c->running && !c->stop) {
			*c->pending_tail = h;
			c->pending_tail = &h->next;
			pthread_cond_signal(&c->cond);
			queued = true;
		}
		pthread_mutex_unlock(&c->lock);
	}
	if (!queued) {
		free(h);
		t->done(t, t->done_arg);
	}
}

static void w_submit(struct store *s, struct store_txn *t)
{
	struct crl_service *c = (struct crl_service *)s;

	if (t->has_revocation &&
	    atomic_load_explicit(&c->settings, memory_order_acquire)->cfg.generate_on_revoke) {
		struct hook *h = xcalloc(1, sizeof(*h));

		h->c = c;
		h->done = t->done;
		h->arg = t->done_arg;
		h->t = t;
		t->done = revocation_committed;
		t->done_arg = h;
	}
	c->inner->ops->submit(c->inner, t);
}

static void settings_free(struct crl_settings *set)
{
	if (set == NULL)
		return;
	crl_config_clear(&set->cfg);
	free(set->url);
	free(set);
}

/* Settings from cfg (copied); the default URL names dns_name. */
static struct crl_settings *settings_new(const struct crl_config *cfg, const char *dns_name)
{
	struct crl_settings *set = xcalloc(1, sizeof(*set));

	set->cfg = *cfg;
	set->cfg.idp_url = cfg->idp_url != NULL ? xstrdup(cfg->idp_url) : NULL;
	set->url = crl_config_url(cfg, dns_name);
	return set;
}

/* Stops the thread (the revocations waiting are released), closes the wrapped store (whose last
 * commits report done at once), frees the service. */
static void w_close(struct store *s)
{
	struct crl_service *c = (struct crl_service *)s;
	bool running;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	running = c->running;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (running)
		pthread_join(c->thread, NULL);
	store_close(c->inner);
	crl_current_put(c->current);
	settings_free(atomic_load(&c->settings));
	while (c->old != NULL) {
		struct crl_settings *next = c->old->next;

		settings_free(c->old);
		c->old = next;
	}
	free(c->dns_name);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->gen_lock);
	free(c);
}

static const struct store_ops crl_store_ops = {
    .token_used = w_token_used,
    .submit = w_submit,
    .get_cert_provisioner = w_get_cert_provisioner,
    .is_revoked = w_is_revoked,
    .cert_status = w_cert_status,
    .record_get = w_record_get,
    .record_list = w_record_list,
    .revoked_list = w_revoked_list,
    .close = w_close,
};

int crl_service_wrap(const struct ca_config *cfg, struct store **store, struct crl_service **out,
		     struct error *err)
{
	struct crl_service *c;
	pthread_condattr_t ca;

	*out = NULL;
	if (!cfg->crl.enabled)
		return 0;
	if (!cfg->has_db)
		return err_set(err, ERR_INVALID,
			       "CRL Generation requested, but database does not support CRL "
			       "generation");
	c = xcalloc(1, sizeof(*c));
	c->base.ops = &crl_store_ops;
	c->base.remote = (*store)->remote;
	c->inner = *store;
	c->dns_name = xstrdup(cfg->dns_names.n > 0 ? cfg->dns_names.v[0] : "");
	atomic_init(&c->settings, settings_new(&cfg->crl, c->dns_name));
	pthread_mutex_init(&c->gen_lock, NULL);
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	c->pending_tail = &c->pending;
	*store = &c->base;
	*out = c;
	return 0;
}

int crl_service_start(struct crl_service *c, struct authority *a, struct error *err)
{
	int e;

	c->a = a;
	a->crl = c;
	if (crl_service_generate(c, err) != 0)
		return err_wrap(err, "could not generate a CRL");
	pthread_mutex_lock(&c->lock);
	e = pthread_create(&c->thread, NULL, crl_thread, c);
	c->running = e == 0;
	pthread_mutex_unlock(&c->lock);
	if (e != 0)
		return err_set(err, ERR_INTERNAL, "cannot start the CRL thread: %s", strerror(e));
	return 0;
}

struct crl_service *authority_crl(const struct authority *a)
{
	return a->crl;
}

/* Whether two enabled CRL settings differ. */
static bool settings_differ(const struct crl_config *x, const struct crl_config *y)
{
	return x->generate_on_revoke != y->generate_on_revoke ||
	       x->cache_duration_ns != y->cache_duration_ns ||
	       x->renew_period_ns != y->renew_period_ns ||
	       x->distribution_point != y->distribution_point ||
	       (x->idp_url == NULL) != (y->idp_url == NULL) ||
	       (x->idp_url != NULL && strcmp(x->idp_url, y->idp_url) != 0);
}

int crl_service_reconfigure(struct crl_service *c, const struct crl_config *cfg, bool *changed,
			    struct error *err)
{
	struct crl_settings *set, *old;

	*changed = false;
	if (!settings_differ(&atomic_load(&c->settings)->cfg, cfg))
		return 0;
	*changed = true;
	set = settings_new(cfg, c->dns_name);
	old = atomic_exchange_explicit(&c->settings, set, memory_order_acq_rel);
	pthread_mutex_lock(&c->lock);
	old->next = c->old;
	c->old = old;
	pthread_mutex_unlock(&c->lock);
	if (c->a == NULL)
		return 0;
	/* the next CRL has the new cacheDuration and idpURL: make it now */
	if (crl_service_generate(c, err) != 0)
		return err_wrap(err, "error regenerating the CRL");
	pthread_mutex_lock(&c->lock);
	c->reconfigured = true; /* the next periodic one is a new renewPeriod from now */
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

char *crl_service_dp_url(struct crl_service *c)
{
	const struct crl_settings *set = atomic_load_explicit(&c->settings, memory_order_acquire);

	return set->cfg.distribution_point && c->dns_name[0] != '\0' ? xstrdup(set->url) : NULL;
}
