/* reload.c - SIGHUP: ca.json read again and applied live (reload.h).
 *
 * A reload runs on the server's main loop (the one that takes the signals), never on a worker.
 * Everything the new file yields is built first (configuration, provisioner snapshot, TLS
 * context, limits) and checked, with the hooks' CHECK; only then is it published, each part by
 * one pointer swap that new connections and operations see and that those in flight do not:
 *   - the provisioner snapshot is reference counted (admin_state.h);
 *   - an SSL_CTX is reference counted, every connection holds its own;
 *   - limits are immutable and never freed before the server: a worker may still read the old
 *     ones (server_limits) while the new ones are installed.
 */
#include "server/reload.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/str.h"
#include "config/config_diff.h"
#include "server/internal.h"

struct reload_hook {
	char *section;
	server_reload_fn fn;
	void *ctx;
};

struct server_reload {
	pthread_mutex_t lock; /* one reload at a time; the certificate renewal takes it too */
	struct reload_hook *hooks;
	size_t n_hooks;
	struct strv sections;	/* the hooks' sections */
	struct ca_config *last; /* the file applied last; NULL: the one of the start */
	struct ca_limits **old; /* limits replaced by reloads, freed with the server */
	size_t n_old;
};

void server_reload_init(struct server *s)
{
	s->reload = xcalloc(1, sizeof(*s->reload));
	pthread_mutex_init(&s->reload->lock, NULL);
	atomic_init(&s->limits, &s->limits0);
}

void server_reload_destroy(struct server *s)
{
	struct server_reload *r = s->reload;
	const struct ca_limits *cur;

	if (r == NULL)
		return;
	cur = server_limits(s);
	if (cur != &s->limits0)
		free((void *)cur);
	for (size_t i = 0; i < r->n_old; i++)
		free(r->old[i]);
	free(r->old);
	for (size_t i = 0; i < r->n_hooks; i++)
		free(r->hooks[i].section);
	free(r->hooks);
	strv_free(&r->sections);
	ca_config_free(r->last);
	pthread_mutex_destroy(&r->lock);
	free(r);
	s->reload = NULL;
}

void server_reload_lock(struct server *s)
{
	pthread_mutex_lock(&s->reload->lock);
}

void server_reload_unlock(struct server *s)
{
	pthread_mutex_unlock(&s->reload->lock);
}

void server_reload_register(struct server *s, const char *section, server_reload_fn fn, void *ctx)
{
	struct server_reload *r = s->reload;

	pthread_mutex_lock(&r->lock);
	r->hooks = xrealloc(r->hooks, (r->n_hooks + 1) * sizeof(*r->hooks));
	r->hooks[r->n_hooks++] =
	    (struct reload_hook){section != NULL ? xstrdup(section) : NULL, fn, ctx};
	if (section != NULL && !strv_contains(&r->sections, section))
		strv_push(&r->sections, section);
	pthread_mutex_unlock(&r->lock);
}

/* Runs every hook at phase ev->phase; CHECK stops at the first refusal (-1, err set). */
static int run_hooks(struct server_reload *r, struct server_reload_event ev,
		     const struct config_diff *d, struct error *err)
{
	for (size_t i = 0; i < r->n_hooks; i++) {
		const struct reload_hook *h = &r->hooks[i];
		struct error herr = {0};

		ev.changed = d != NULL && h->section != NULL && strv_contains(&d->live, h->section);
		if (h->fn(h->ctx, &ev, &herr) != 0 && ev.phase == SERVER_RELOAD_CHECK) {
			err_set(err, herr.kind != 0 ? herr.kind : ERR_INVALID, "%s",
				herr.msg[0] != '\0' ? herr.msg : "refused by a reload hook");
			return -1;
		}
	}
	return 0;
}

/* Whether provisioner list (ca.json's authority.provisioners) has an ACME provisioner. */
static bool has_acme(const json_t *list)
{
	size_t i;
	json_t *p;

	json_array_foreach((json_t *)list, i, p)
	{
		const char *type = json_string_value(json_object_get(p, "type"));
		if (type != NULL && str_eq_nocase(type, "ACME"))
			return true;
	}
	return false;
}

/* New limits (malloc'd) from cfg, max_connections lowered to the descriptors as at start. */
static struct ca_limits *limits_for(const struct ca_config *cfg)
{
	struct ca_limits *l = xmalloc(sizeof(*l));

	*l = cfg->limits;
	if (l->max_connections <= 0)
		ca_limits_default(l);
	l->max_connections = connection_budget(l->max_connections);
	return l;
}

/* Installs l (taken) and tells every worker; the old limits are kept (a worker may hold them). */
static void install_limits(struct server *s, struct ca_limits *l)
{
	struct server_reload *r = s->reload;
	const struct ca_limits *old = atomic_exchange_explicit(&s->limits, l, memory_order_acq_rel);

	if (old != &s->limits0) {
		r->old = xrealloc(r->old, (r->n_old + 1) * sizeof(*r->old));
		r->old[r->n_old++] = (struct ca_limits *)old;
	}
	if (atomic_load(&s->closing))
		return;
	/* the events exist from server_new on (a loop not running yet runs them when it starts),
	 * and the bases are locked: safe from this thread */
	for (int i = 0; i < s->nworkers; i++)
		event_active(s->workers[i].limits_ev, EV_READ, 0);
}

/* What was applied, for the log line: "provisioners, claims, tls" or "nothing". */
static char *applied_list(const struct config_diff *d)
{
	struct strv names = {0};
	char *s;

	if (d->provisioners)
		strv_push(&names, "authority.provisioners");
	if (d->policy)
		strv_push(&names, "authority.policy");
	if (d->claims)
		strv_push(&names, "authority.claims");
	if (d->tls)
		strv_push(&names, "tls");
	if (d->limits)
		strv_push(&names, "limits");
	for (size_t i = 0; i < d->live.n; i++)
		strv_push(&names, d->live.v[i]);
	s = names.n > 0 ? config_diff_join(&names) : xstrdup("nothing changed");
	strv_free(&names);
	return s;
}

/* The reload itself, under the lock; *next_out gets the applied file (NULL when refused). */
static int reload_locked(struct server *s, const char *path, struct ca_config **next_out,
			 struct error *err)
{
	struct server_reload *r = s->reload;
	const struct ca_config *started = authority_config(s->a);
	const struct ca_config *running = r->last != NULL ? r->last : started;
	struct ca_config *next = NULL;
	struct config_diff d = {0};
	struct authority_update *u = NULL;
	struct ca_limits *limits = NULL;
	SSL_CTX *ctx = NULL;
	char *list = NULL;
	int rc = -1;

	*next_out = NULL;
	if (ca_config_load(path, &next, err) != 0)
		goto out;
	config_diff(started, running, next, authority_admin_enabled(s->a), &r->sections, &d);
	if (s->acme == NULL && authority_has_db(s->a) && d.provisioners &&
	    !has_acme(running->provisioners) && has_acme(next->provisioners))
		strv_push(&d.restart, "authority.provisioners (a new ACME provisioner)");
	/* everything is built and checked before anything is applied */
	if (authority_update_prepare(s->a, next, &u, err) != 0)
		goto out;
	if (d.tls && (ctx = tls_state_prepare(&s->tls, &next->tls, err)) == NULL)
		goto out;
	if (d.limits)
		limits = limits_for(next);
	if (run_hooks(r,
		      (struct server_reload_event){
			  .phase = SERVER_RELOAD_CHECK, .running = running, .next = next},
		      &d, err) != 0)
		goto out;
	/* applied from here on: nothing fails */
	authority_update_apply(s->a, u);
	u = NULL;
	tls_state_install(&s->tls, ctx, &next->tls);
	ctx = NULL;
	if (limits != NULL)
		install_limits(s, limits);
	limits = NULL;
	run_hooks(r,
		  (struct server_reload_event){
		      .phase = SERVER_RELOAD_APPLY, .running = running, .next = next},
		  &d, NULL);
	if (d.restart.n > 0) {
		list = config_diff_join(&d.restart);
		log_msg(LOG_WARN, "reload: changes that need a restart were not applied", "file",
			path, "fields", list, NULL);
		free(list);
	}
	if (d.ignored.n > 0) {
		list = config_diff_join(&d.ignored);
		log_msg(LOG_WARN,
			"reload: with remote administration the provisioners and policies come "
			"from the database; ca.json's were not applied",
			"file", path, "fields", list, NULL);
		free(list);
	}
	list = applied_list(&d);
	log_msg(LOG_INFO, "configuration reloaded", "file", path, "applied", list, NULL);
	free(list);
	*next_out = next;
	next = NULL;
	rc = 0;
out:
	SSL_CTX_free(ctx);
	free(limits);
	authority_update_free(u);
	config_diff_free(&d);
	ca_config_free(next);
	return rc;
}

int server_reload(struct server *s, struct error *err)
{
	struct server_reload *r = s->reload;
	const char *path = authority_config(s->a)->path;
	struct ca_config *next = NULL;
	struct error lerr = {0};
	int rc;

	pthread_mutex_lock(&r->lock);
	run_hooks(r,
		  (struct server_reload_event){.phase = SERVER_RELOAD_BEGIN,
					       .running = r->last != NULL ? r->last
									  : authority_config(s->a)},
		  NULL, NULL);
	if (path == NULL)
		rc = err_set(&lerr, ERR_INVALID, "the configuration was not read from a file");
	else
		rc = reload_locked(s, path, &next, &lerr);
	if (rc != 0)
		log_msg(LOG_ERROR, "reload refused: the running configuration is kept", "file",
			path != NULL ? path : "", "error", lerr.msg, NULL);
	run_hooks(r,
		  (struct server_reload_event){.phase = SERVER_RELOAD_END,
					       .running = r->last != NULL ? r->last
									  : authority_config(s->a),
					       .next = next,
					       .ok = rc == 0},
		  NULL, NULL);
	if (next != NULL) {
		/* the TLS state borrows next->tls from now on: the old file goes */
		ca_config_free(r->last);
		r->last = next;
	}
	pthread_mutex_unlock(&r->lock);
	if (rc != 0 && err != NULL)
		*err = lerr;
	return rc;
}
