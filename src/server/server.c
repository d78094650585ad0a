/* server.c - the server as a whole: binding the address, starting the workers (worker.c),
 * signals, the renewal of the server's own TLS certificate, and the graceful stop.
 * Connections and their deadlines are in conn.c, the listening sockets in listener.c.
 */
#include "server/server.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/log.h"
#include "base/str.h"
#include "server/internal.h"
#include "server/notify.h"
#include "server/reload.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_once(void)
{
	evthread_use_pthreads();
	conns_init();
}

static int thread_count(const struct server_options *opts)
{
	long n = opts != NULL && opts->threads > 0 ? opts->threads : sysconf(_SC_NPROCESSORS_ONLN);

	if (n < SERVER_MIN_THREADS)
		n = SERVER_MIN_THREADS;
	if (n > SERVER_MAX_THREADS)
		n = SERVER_MAX_THREADS;
	return (int)n;
}

int server_new(struct authority *a, const struct server_options *opts, struct server **out,
	       struct error *err)
{
	const struct ca_config *cfg = authority_config(a);
	struct server *s = xcalloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	char *host = NULL, *port = NULL;
	int probe = -1;
	int rc = -1;

	pthread_once(&once, init_once);
	signal(SIGPIPE, SIG_IGN);
	*out = NULL;
	s->a = a;
	s->acme = opts != NULL ? opts->acme : NULL;
	s->ssh = opts != NULL ? opts->ssh : NULL;
	s->ocsp = opts != NULL ? opts->ocsp : NULL;
	/* A configuration that did not come from ca_config_parse has no limits: the defaults. */
	s->limits0 = cfg->limits;
	if (s->limits0.max_connections <= 0)
		ca_limits_default(&s->limits0);
	s->limits0.max_connections = connection_budget(s->limits0.max_connections);
	server_reload_init(s);
	atomic_init(&s->nconns, 0);
	atomic_init(&s->closing, false);
	if (!conns_ready()) {
		err_openssl(err, ERR_INTERNAL, "cannot register the connection data");
		goto out;
	}
	if (server_split_address(cfg->address, &host, &port, err) != 0 ||
	    address_resolve(host, port, &ss, &sslen, err) != 0)
		goto out;
	/* Without SO_REUSEPORT this bind fails when anyone (even another stride-ca) holds the
	 * port, and for port 0 it picks the port all the workers then share. */
	if (address_open_socket(&ss, sslen, false, &probe, err) != 0)
		goto out;
	{
		struct sockaddr_storage got;
		socklen_t glen = sizeof(got);

		if (getsockname(probe, (struct sockaddr *)&got, &glen) != 0) {
			err_set(err, ERR_IO, "cannot read the listening port: %s", strerror(errno));
			goto out;
		}
		address_set_port(&ss, address_get_port(&got));
	}
	close(probe);
	probe = -1;
	if (tls_state_init(&s->tls, a, err) != 0)
		goto out;
	s->tls.ocsp = s->ocsp; /* its renewals staple too */
	if (tls_staple_attach(s->tls.current, s->ocsp, err) != 0)
		goto out;
	s->main_base = event_base_new();
	if (s->main_base == NULL) {
		err_set(err, ERR_INTERNAL, "cannot create the event loop");
		goto out;
	}
	s->nworkers = thread_count(opts);
	/* one more slot: the plain-HTTP worker of insecureAddress (insecure.c) */
	s->workers = xcalloc((size_t)s->nworkers + 1, sizeof(*s->workers));
	for (int i = 0; i < s->nworkers; i++) {
		s->workers[i].index = i;
		if (worker_init(s, &s->workers[i], &ss, sslen, err) != 0)
			goto out;
	}
	if (insecure_listener_add(s, err) != 0)
		goto out;
	s->port = address_get_port(&ss);
	s->bound_address = address_format(&ss, sslen);
	*out = s;
	s = NULL;
	rc = 0;
out:
	if (probe >= 0)
		close(probe);
	free(host);
	free(port);
	server_free(s);
	return rc;
}

const char *server_bound_address(const struct server *s)
{
	return s->bound_address;
}

int server_bound_port(const struct server *s)
{
	return s->port;
}

static void schedule_renewal(struct server *s, int64_t at_ns)
{
	int64_t delay = at_ns - time_now_ns();
	struct timeval tv;

	if (delay < NS_PER_SEC)
		delay = NS_PER_SEC;
	tv.tv_sec = (time_t)(delay / NS_PER_SEC);
	tv.tv_usec = (suseconds_t)(delay % NS_PER_SEC / NS_PER_US);
	event_add(s->renew_ev, &tv);
}

static void on_renew(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	struct error err = {0};
	int rc;
	(void)fd;
	(void)what;

	server_reload_lock(s);
	rc = tls_state_renew(&s->tls, &err);
	server_reload_unlock(s);
	if (rc != 0) {
		log_msg(LOG_ERROR, "cannot renew the server certificate", "error", err.msg, NULL);
		schedule_renewal(s, time_now_ns() + SERVER_RENEW_RETRY_SEC * NS_PER_SEC);
		return;
	}
	log_msg(LOG_INFO, "renewed the server certificate", NULL);
	schedule_renewal(s, tls_state_renew_at(&s->tls));
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;
	(void)what;

	if (s->stopping)
		return;
	s->stopping = true;
	log_msg(LOG_INFO, "shutting down ...", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM",
		NULL);
	server_stop(s);
}

/* The main loop is locked (evthread_use_pthreads before it was made): loopexit is safe from any
 * thread, and one asked for before event_base_dispatch takes effect once it runs. */
void server_stop(struct server *s)
{
	event_base_loopexit(s->main_base, NULL);
}

/* Asks every running worker to drain, then waits for them up to the shutdown deadline. */
static void stop_workers(struct server *s)
{
	struct timespec deadline;

	atomic_store(&s->closing, true);
	for (int i = 0; i < s->nworkers; i++)
		if (s->workers[i].started)
			event_active(s->workers[i].drain_ev, EV_READ, 0);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += SERVER_SHUTDOWN_WAIT_SEC;
	for (int i = 0; i < s->nworkers; i++) {
		struct worker *w = &s->workers[i];

		if (!w->started)
			continue;
		if (pthread_timedjoin_np(w->thread, NULL, &deadline) != 0) {
			log_msg(LOG_WARN, "requests still in flight at the shutdown deadline",
				NULL);
			event_base_loopbreak(w->base);
			pthread_join(w->thread, NULL);
		}
		w->started = false;
	}
}

/* READY=1 to systemd: every listener is bound (server_new) and the workers run. */
static void notify_serving(const struct server *s)
{
	char status[256];

	snprintf(status, sizeof(status), "Serving HTTPS on %s", s->bound_address);
	notify_ready(status);
}

/* SIGHUP: systemd sees the unit "reloading" until the new (or kept) configuration serves. */
static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	notify_reloading();
	(void)server_reload(arg, NULL); /* logs the outcome (reload.c) */
	notify_serving(arg);
}

int server_run(struct server *s, struct error *err)
{
	sigset_t block, old;

	s->sig_term = evsignal_new(s->main_base, SIGTERM, on_stop, s);
	s->sig_int = evsignal_new(s->main_base, SIGINT, on_stop, s);
	s->sig_hup = evsignal_new(s->main_base, SIGHUP, on_hup, s);
	s->renew_ev = evtimer_new(s->main_base, on_renew, s);
	if (s->sig_term == NULL || s->sig_int == NULL || s->sig_hup == NULL ||
	    s->renew_ev == NULL || event_add(s->sig_term, NULL) != 0 ||
	    event_add(s->sig_int, NULL) != 0 || event_add(s->sig_hup, NULL) != 0)
		return err_set(err, ERR_INTERNAL, "cannot install the signal handlers");
	schedule_renewal(s, tls_state_renew_at(&s->tls));

	/* Workers never take the signals: they inherit a mask that blocks them. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (int i = 0; i < s->nworkers; i++) {
		struct worker *w = &s->workers[i];
		int e = pthread_create(&w->thread, NULL, worker_main, w);

		if (e != 0) {
			err_set(err, ERR_INTERNAL, "cannot start a worker thread: %s", strerror(e));
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			stop_workers(s);
			return -1;
		}
		w->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	notify_serving(s);
	event_base_dispatch(s->main_base);
	notify_stopping("Shutting down");
	stop_workers(s);
	return 0;
}

void server_free(struct server *s)
{
	if (s == NULL)
		return;
	if (s->workers != NULL) {
		stop_workers(s);
		for (int i = 0; i < s->nworkers; i++)
			worker_cleanup(&s->workers[i]);
		free(s->workers);
	}
	if (s->sig_term != NULL)
		event_free(s->sig_term);
	if (s->sig_int != NULL)
		event_free(s->sig_int);
	if (s->sig_hup != NULL)
		event_free(s->sig_hup);
	if (s->renew_ev != NULL)
		event_free(s->renew_ev);
	if (s->main_base != NULL)
		event_base_free(s->main_base);
	tls_state_destroy(&s->tls);
	server_reload_destroy(s);
	free(s->bound_address);
	free(s);
}
