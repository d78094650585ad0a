/* admin_state.c - the snapshot of provisioners, admins and policies (admin_state.h): how it is
 * built from ca.json or from the store, shared between threads, and kept current.
 *
 * The current snapshot is a pointer under a mutex; taking a reference costs one lock and one
 * atomic increment. With remote administration, another instance sharing the database may
 * change the state at any time: the stored version (the "admin_state" record's version,
 * bumped by every change) is read on every lookup miss (a token naming a provisioner this
 * instance does not know yet) and at least once a second by a background thread, and a newer
 * one is loaded and published.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authority/admin_state.h"
#include "base/duration.h"
#include "base/log.h"
#include "policy/policy.h"
#include "store/store.h"

/* How often the background thread reads the stored version. */
#define REFRESH_INTERVAL_MS 1000
/* Records read per page while loading. */
#define LOAD_PAGE 256

bool authority_admin_enabled(const struct authority *a)
{
	return a->cfg->enable_admin && a->cfg->has_db && a->store != NULL;
}

/* --- snapshots ---------------------------------------------------------------------------- */

void admin_entry_free(struct admin_entry *e)
{
	if (e == NULL)
		return;
	free(e->id);
	free(e->subject);
	free(e->provisioner_id);
	memset(e, 0, sizeof(*e));
}

static void prov_set_free(struct prov_set *s)
{
	for (size_t i = 0; i < s->provs.n; i++) {
		struct provisioner *p = &s->provs.v[i];
		free(p->id);
		json_decref(p->policy_doc);
		policy_free(p->policy);
	}
	provisioners_free(&s->provs);
	json_decref(s->configs);
	for (size_t i = 0; i < s->n_admins; i++)
		admin_entry_free(&s->admins[i]);
	free(s->admins);
	json_decref(s->authority_policy_doc);
	policy_free(s->authority_policy);
	for (size_t i = 0; i < s->n_acme_policies; i++) {
		free(s->acme_policies[i].eab_key_id);
		json_decref(s->acme_policies[i].doc);
		policy_free(s->acme_policies[i].policy);
	}
	free(s->acme_policies);
	json_decref(s->claims);
	free(s);
}

struct prov_set *prov_set_get(struct authority *a)
{
	struct prov_set *s;

	pthread_mutex_lock(&a->set_lock);
	s = a->current;
	atomic_fetch_add_explicit((_Atomic int *)&s->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&a->set_lock);
	return s;
}

void prov_set_put(struct prov_set *s)
{
	if (s != NULL &&
	    atomic_fetch_sub_explicit((_Atomic int *)&s->refs, 1, memory_order_acq_rel) == 1)
		prov_set_free(s);
}

/* Whether snapshot old is at least as new as s: a stored version at least as new, and claims
 * from the same reload of ca.json or a later one. */
static bool at_least_as_new(const struct prov_set *old, const struct prov_set *s)
{
	return old->version > s->version ||
	       (old->version == s->version && old->claims_gen >= s->claims_gen);
}

/* Makes s (whose reference passes to the authority) current unless the current one is at
 * least as new (two threads loading the same change). */
static void publish(struct authority *a, struct prov_set *s)
{
	struct prov_set *old;

	pthread_mutex_lock(&a->set_lock);
	old = a->current;
	if (old != NULL && at_least_as_new(old, s)) {
		pthread_mutex_unlock(&a->set_lock);
		prov_set_put(s);
		return;
	}
	a->current = s;
	pthread_mutex_unlock(&a->set_lock);
	prov_set_put(old);
}

const struct admin_entry *prov_set_admin(const struct prov_set *s, const char *id)
{
	for (size_t i = 0; i < s->n_admins; i++)
		if (strcmp(s->admins[i].id, id) == 0)
			return &s->admins[i];
	return NULL;
}

const struct provisioner *prov_set_by_id(const struct prov_set *s, const char *id)
{
	for (size_t i = 0; i < s->provs.n; i++)
		if (s->provs.v[i].id != NULL && strcmp(s->provs.v[i].id, id) == 0)
			return &s->provs.v[i];
	return NULL;
}

const struct policy *prov_set_acme_policy(const struct prov_set *s, const char *eab_key_id)
{
	for (size_t i = 0; eab_key_id != NULL && i < s->n_acme_policies; i++)
		if (strcmp(s->acme_policies[i].eab_key_id, eab_key_id) == 0)
			return s->acme_policies[i].policy;
	return NULL;
}

/* --- building ----------------------------------------------------------------------------- */

static struct prov_set *prov_set_new(void)
{
	struct prov_set *s = xcalloc(1, sizeof(*s));

	s->refs = 1;
	s->configs = json_array();
	return s;
}

int prov_set_from_config(const struct ca_config *cfg, struct prov_set **out, struct error *err)
{
	struct prov_set *s = xcalloc(1, sizeof(*s));
	int rc = -1;

	*out = NULL;
	s->refs = 1;
	s->claims = json_incref(cfg->claims);
	s->configs = json_incref(cfg->provisioners);
	if (provisioners_load(s->configs, cfg->claims, &s->provs, err) != 0)
		goto out;
	if (policy_new(cfg->policy, &s->authority_policy, err) != 0) {
		err_wrap(err, "authority.policy");
		goto out;
	}
	if (cfg->policy != NULL)
		s->authority_policy_doc = json_incref(cfg->policy);
	*out = s;
	rc = 0;
out:
	if (rc != 0)
		prov_set_free(s);
	return rc;
}

/* The stored version: the "admin_state" record's version, 0 when there is none. */
int admin_stored_version(struct authority *a, int64_t *version, struct error *err)
{
	struct store_record r = {0};
	bool found = false;

	*version = 0;
	if (a->store->ops->record_get(a->store, ADMIN_COL_STATE, ADMIN_STATE_ID, &found, &r, err) !=
	    0)
		return -1;
	if (found)
		*version = r.version;
	store_record_free(&r);
	return 0;
}

/* Every live record of a collection, in id order. */
static int list_all(struct authority *a, const char *collection, struct store_record **out,
		    size_t *n, struct error *err)
{
	struct store_record *all = NULL;
	size_t count = 0;

	for (;;) {
		struct store_record *page = NULL;
		size_t got = 0;
		const char *after = count > 0 ? all[count - 1].id : NULL;

		if (a->store->ops->record_list(a->store, collection, NULL, after, LOAD_PAGE, &page,
					       &got, err) != 0) {
			store_records_free(all, count);
			return -1;
		}
		all = xrealloc(all, (count + got + 1) * sizeof(*all));
		if (got > 0)
			memcpy(all + count, page, got * sizeof(*page));
		count += got;
		free(page);
		if (got < LOAD_PAGE)
			break;
	}
	*out = all;
	*n = count;
	return 0;
}

/* A record's value as a JSON object, or NULL (logged: the store holds what this CA wrote). */
static json_t *record_json(const struct store_record *r)
{
	json_t *v = json_loadb((const char *)r->value, r->value_len, 0, NULL);

	if (!json_is_object(v)) {
		log_msg(LOG_WARN, "administration state: a record is not a JSON object; ignored",
			"collection", r->collection, "id", r->id, NULL);
		json_decref(v);
		return NULL;
	}
	return v;
}

static int64_t json_int_member(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* The entry of meta at the index of config in configs (provisioners_load skips unknown types,
 * so provisioner i is not configs[i]). */
static json_t *meta_of(const json_t *configs, const json_t *meta, const json_t *config)
{
	for (size_t j = 0; j < json_array_size(configs); j++)
		if (json_array_get(configs, j) == config)
			return json_array_get(meta, j);
	return NULL;
}

/* Creation order, then id: the order in which step-ca lists provisioners added while it runs
 * (and ca.json's order for those imported on the first start). */
static int by_creation(const void *x, const void *y)
{
	const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	int64_t ca = json_int_member(a, "createdAt"), cb = json_int_member(b, "createdAt");

	if (ca != cb)
		return ca < cb ? -1 : 1;
	return strcmp(json_string_value(json_object_get(a, "id")),
		      json_string_value(json_object_get(b, "id")));
}

/* The stored provisioners in creation order: their ca.json objects into s->configs, then the
 * provisioners (with the authority claims s->claims), then each one's id, creation time and
 * policy. */
static int load_provisioners(struct authority *a, struct prov_set *s, struct error *err)
{
	struct store_record *recs = NULL;
	size_t n = 0, kept = 0;
	json_t *meta = json_array(); /* the record of each s->configs entry */
	json_t **sorted = NULL;
	int rc = -1;

	if (list_all(a, ADMIN_COL_PROVISIONERS, &recs, &n, err) != 0)
		goto out;
	sorted = xcalloc(n + 1, sizeof(*sorted));
	for (size_t i = 0; i < n; i++) {
		json_t *v = record_json(&recs[i]);

		if (json_is_object(json_object_get(v, "provisioner"))) {
			json_object_set_new(v, "id", json_string(recs[i].id));
			sorted[kept++] = v;
		} else {
			json_decref(v);
		}
	}
	qsort(sorted, kept, sizeof(*sorted), by_creation);
	for (size_t i = 0; i < kept; i++) {
		json_array_append(s->configs, json_object_get(sorted[i], "provisioner"));
		json_array_append_new(meta, sorted[i]);
	}
	free(sorted);
	if (provisioners_load(s->configs, s->claims, &s->provs, err) != 0)
		goto out;
	for (size_t i = 0; i < s->provs.n; i++) {
		struct provisioner *p = &s->provs.v[i];
		json_t *m = meta_of(s->configs, meta, p->config);

		p->id = xstrdup(json_string_value(json_object_get(m, "id")));
		p->created_at_ns = json_int_member(m, "createdAt");
		if (json_is_object(json_object_get(m, "policy"))) {
			p->policy_doc = json_incref(json_object_get(m, "policy"));
			if (policy_new(p->policy_doc, &p->policy, err) != 0) {
				err_wrap(err, "policy of provisioner %s", p->name);
				goto out;
			}
		}
	}
	rc = 0;
out:
	json_decref(meta);
	store_records_free(recs, n);
	return rc;
}

static int load_admins(struct authority *a, struct prov_set *s, struct error *err)
{
	struct store_record *recs = NULL;
	size_t n = 0;

	if (list_all(a, ADMIN_COL_ADMINS, &recs, &n, err) != 0)
		return -1;
	s->admins = xcalloc(n + 1, sizeof(*s->admins));
	for (size_t i = 0; i < n; i++) {
		json_t *v = record_json(&recs[i]);
		const char *subject = json_string_value(json_object_get(v, "subject"));
		const char *prov = json_string_value(json_object_get(v, "provisionerId"));

		if (subject != NULL && prov != NULL) {
			struct admin_entry *e = &s->admins[s->n_admins++];
			e->id = xstrdup(recs[i].id);
			e->subject = xstrdup(subject);
			e->provisioner_id = xstrdup(prov);
			e->type = (int)json_int_member(v, "type");
			e->created_at_ns = json_int_member(v, "createdAt");
		}
		json_decref(v);
	}
	store_records_free(recs, n);
	return 0;
}

static int load_policies(struct authority *a, struct prov_set *s, struct error *err)
{
	struct store_record *recs = NULL;
	size_t n = 0;
	int rc = -1;

	if (list_all(a, ADMIN_COL_POLICIES, &recs, &n, err) != 0)
		return -1;
	s->acme_policies = xcalloc(n + 1, sizeof(*s->acme_policies));
	for (size_t i = 0; i < n; i++) {
		json_t *v = record_json(&recs[i]);
		struct policy *pol = NULL;

		if (v == NULL)
			continue;
		if (policy_new(v, &pol, err) != 0) {
			err_wrap(err, "stored policy %s", recs[i].id);
			json_decref(v);
			goto out;
		}
		if (strcmp(recs[i].id, ADMIN_POLICY_AUTHORITY) == 0) {
			s->authority_policy_doc = v;
			s->authority_policy = pol;
		} else if (strncmp(recs[i].id, ADMIN_POLICY_ACME_PREFIX,
				   strlen(ADMIN_POLICY_ACME_PREFIX)) == 0) {
			struct acme_policy_entry *e = &s->acme_policies[s->n_acme_policies++];
			e->eab_key_id = xstrdup(recs[i].id + strlen(ADMIN_POLICY_ACME_PREFIX));
			e->doc = v;
			e->policy = pol;
		} else {
			json_decref(v);
			policy_free(pol);
		}
	}
	rc = 0;
out:
	store_records_free(recs, n);
	return rc;
}

/* Loads the stored state at one version: the version is read before and after, and the load
 * is repeated when a change happened in between. The provisioners are built with claims
 * (borrowed, may be NULL) from reload gen of ca.json. */
static int load_stored(struct authority *a, json_t *claims, uint64_t gen, struct prov_set **out,
		       struct error *err)
{
	*out = NULL;
	for (int attempt = 0; attempt < 5; attempt++) {
		struct prov_set *s = prov_set_new();
		int64_t after = 0;

		s->claims = json_incref(claims);
		s->claims_gen = gen;
		if (admin_stored_version(a, &s->version, err) != 0 ||
		    load_provisioners(a, s, err) != 0 || load_admins(a, s, err) != 0 ||
		    load_policies(a, s, err) != 0 || admin_stored_version(a, &after, err) != 0) {
			prov_set_free(s);
			return -1;
		}
		if (after == s->version) {
			*out = s;
			return 0;
		}
		prov_set_free(s);
	}
	return err_set(err, ERR_UNAVAILABLE, "the administration state keeps changing");
}

/* The current snapshot's version and claims generation against the authority's (the latest
 * reload of ca.json); *claims a new reference to the authority claims. */
static void current_state(struct authority *a, int64_t *version, uint64_t *cur_gen, uint64_t *gen,
			  json_t **claims)
{
	pthread_mutex_lock(&a->set_lock);
	*version = a->current->version;
	*cur_gen = a->current->claims_gen;
	*gen = a->claims_gen;
	*claims = json_incref(a->claims);
	pthread_mutex_unlock(&a->set_lock);
}

int prov_set_refresh(struct authority *a, struct error *err)
{
	struct prov_set *s = NULL;
	int64_t version = 0, cur_version;
	uint64_t cur_gen, gen;
	json_t *claims = NULL;
	bool stale;
	int rc = -1;

	if (!authority_admin_enabled(a))
		return 0;
	if (admin_stored_version(a, &version, err) != 0)
		return -1;
	current_state(a, &cur_version, &cur_gen, &gen, &claims);
	json_decref(claims);
	if (version == cur_version && cur_gen == gen)
		return 0;
	pthread_mutex_lock(&a->load_lock); /* one load at a time */
	current_state(a, &cur_version, &cur_gen, &gen, &claims);
	stale = version > cur_version || cur_gen != gen;
	if (stale && load_stored(a, claims, gen, &s, err) != 0)
		goto out;
	if (s != NULL)
		publish(a, s);
	rc = 0;
out:
	pthread_mutex_unlock(&a->load_lock);
	json_decref(claims);
	return rc;
}

int prov_set_for_reload(struct authority *a, const struct ca_config *cfg, struct prov_set **out,
			struct error *err)
{
	if (!authority_admin_enabled(a))
		return prov_set_from_config(cfg, out, err);
	return load_stored(a, cfg->claims, 0, out, err);
}

void prov_set_install(struct authority *a, struct prov_set *s)
{
	struct prov_set *old = NULL;

	pthread_mutex_lock(&a->load_lock); /* no load with the old claims in flight */
	pthread_mutex_lock(&a->set_lock);
	json_decref(a->claims);
	a->claims = json_incref(s->claims);
	s->claims_gen = ++a->claims_gen;
	if (a->current->version > s->version) {
		old = s; /* a newer stored state: reloaded by the next refresh */
	} else {
		old = a->current;
		a->current = s;
	}
	pthread_mutex_unlock(&a->set_lock);
	pthread_mutex_unlock(&a->load_lock);
	prov_set_put(old);
}

/* --- the background refresh --------------------------------------------------------------- */

static void *refresher_main(void *arg)
{
	struct authority *a = arg;
	struct timespec until;

	pthread_mutex_lock(&a->refresher_lock);
	while (!a->refresher_stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += REFRESH_INTERVAL_MS / 1000;
		until.tv_nsec += (long)(REFRESH_INTERVAL_MS % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!a->refresher_stop &&
		       pthread_cond_timedwait(&a->refresher_cond, &a->refresher_lock, &until) == 0)
			;
		if (a->refresher_stop)
			break;
		pthread_mutex_unlock(&a->refresher_lock);
		{
			struct error err = {0};
			if (prov_set_refresh(a, &err) != 0)
				log_msg(LOG_WARN, "cannot refresh the administration state",
					"error", err.msg, NULL);
		}
		pthread_mutex_lock(&a->refresher_lock);
	}
	pthread_mutex_unlock(&a->refresher_lock);
	return NULL;
}

/* Loads the first snapshot: ca.json's, or with remote administration the stored one (importing
 * ca.json's provisioners into an empty database first). */
int admin_state_start(struct authority *a, bool background, const char *ca_password,
		      struct error *err)
{
	struct prov_set *s = NULL;
	pthread_condattr_t ca;
	bool imported = false;

	pthread_mutex_init(&a->set_lock, NULL);
	pthread_mutex_init(&a->load_lock, NULL);
	pthread_mutex_init(&a->refresher_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->refresher_cond, &ca);
	pthread_condattr_destroy(&ca);
	a->state_started = true;
	a->claims = json_incref(a->cfg->claims);
	if (prov_set_from_config(a->cfg, &s, err) != 0)
		return -1;
	a->current = s;
	if (!authority_admin_enabled(a))
		return 0;
	if (admin_bootstrap(a, a->cfg->provisioners, NULL, ca_password, &imported, err) != 0)
		return -1;
	if (imported && json_array_size(a->cfg->provisioners) > 0)
		log_msg(LOG_INFO,
			"remote administration: the provisioners of ca.json were imported into the "
			"database; they can now be removed from ca.json",
			NULL);
	if (load_stored(a, a->claims, 0, &s, err) != 0)
		return -1;
	pthread_mutex_lock(&a->set_lock);
	prov_set_put(a->current);
	a->current = s;
	pthread_mutex_unlock(&a->set_lock);
	if (background) {
		if (pthread_create(&a->refresher, NULL, refresher_main, a) != 0)
			return err_set(err, ERR_INTERNAL, "cannot start a thread");
		a->refresher_started = true;
	}
	return 0;
}

void admin_state_stop(struct authority *a)
{
	if (!a->state_started)
		return;
	if (a->refresher_started) {
		pthread_mutex_lock(&a->refresher_lock);
		a->refresher_stop = true;
		pthread_cond_signal(&a->refresher_cond);
		pthread_mutex_unlock(&a->refresher_lock);
		pthread_join(a->refresher, NULL);
	}
	prov_set_put(a->current);
	a->current = NULL;
	json_decref(a->claims);
	a->claims = NULL;
	pthread_cond_destroy(&a->refresher_cond);
	pthread_mutex_destroy(&a->refresher_lock);
	pthread_mutex_destroy(&a->load_lock);
	pthread_mutex_destroy(&a->set_lock);
	a->state_started = false;
}
