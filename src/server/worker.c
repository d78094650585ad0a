/* worker.c - the worker threads: one event loop with its own evhttp each, the periodic sweep
 * of the connection deadlines, and the graceful stop (drain: stop accepting, let the requests
 * under way finish, answer those waiting for the authority, then end).
 */
#include <event2/event.h>
#include <event2/http.h>
#include <stdlib.h>

#include "base/duration.h"
#include "server/internal.h"

#define DRAIN_CHECK_USEC  50000 /* how often a draining worker looks at its connections */
#define SWEEP_MSEC	  250	/* how often the connection deadlines are checked */
#define BACKSTOP_SLACK_NS (5 * NS_PER_SEC)

/* Periodic (SWEEP_MSEC): the deadlines; the listener too, as a backstop for notify_workers. */
static void worker_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	int64_t now = server_now_ns();
	(void)fd;
	(void)what;

	/* conn_check never frees a connection (evhttp or the last reference does, at a later
	 * event). */
	for (struct conn *c = w->conns; c != NULL; c = c->next)
		conn_check(c, now);
	worker_update_listener(w);
}

/* One-shot: resumes accepting after a pause; while draining, stops once no connection is left. */
static void worker_check(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct timeval tv = {0, DRAIN_CHECK_USEC};
	(void)fd;
	(void)what;

	if (w->draining) {
		if (atomic_load(&w->nconns) == 0)
			event_base_loopexit(w->base, NULL);
		else
			event_add(w->check_ev, &tv);
		return;
	}
	w->accept_failed = false;
	worker_update_listener(w);
}

/* Runs in the worker: close the listening socket, give the connections without a request under
 * way DRAIN_IDLE_NS more at most, wait for the rest (bounded by their deadlines). */
static void worker_drain(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct timeval tv = {0, DRAIN_CHECK_USEC};
	int64_t cap = server_now_ns() + DRAIN_IDLE_NS;
	(void)fd;
	(void)what;

	w->draining = true;
	listener_close(w);
	for (struct conn *c = w->conns; c != NULL; c = c->next)
		if (conn_between_requests(c) && c->deadline > cap)
			c->deadline = cap;
	event_del(w->check_ev);
	event_add(w->check_ev, &tv);
}

/* Frees what a worker owns; its thread has ended (or never started). */
void worker_cleanup(struct worker *w)
{
	struct event **evs[] = {&w->drain_ev, &w->check_ev, &w->sweep_ev, &w->listen_ev,
				&w->limits_ev};

	w->bound = NULL;
	if (w->http != NULL)
		evhttp_free(w->http); /* closes the listener and any connection left */
	w->http = NULL;
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		if (*evs[i] != NULL)
			event_free(*evs[i]);
		*evs[i] = NULL;
	}
	if (w->base != NULL)
		event_base_free(w->base); /* runs the last finalizers: SSL objects are freed here */
	w->base = NULL;
}

/* The base itself is freed by the main thread after the join, so that a late
 * event_base_loopbreak from it never meets a freed base. */
void *worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
	/* Requests waiting for the authority (operations.c) are answered before their
	 * connections go (only after a forced stop can any be left): an operation always ends,
	 * and its answer arrives as an event on this base. */
	while (atomic_load(&w->deferred) > 0)
		event_base_loop(w->base, EVLOOP_ONCE);
	w->bound = NULL;
	evhttp_free(w->http); /* closes the listener and any connection left */
	w->http = NULL;
	/* A conn_answered still queued (after a forced stop) holds a reference: it runs now, then
	 * every connection taken over from evhttp is let go. */
	event_base_loop(w->base, EVLOOP_NONBLOCK);
	for (struct conn *c = w->conns; c != NULL; c = c->next)
		conn_linger_end(c);
	return NULL;
}

/* evhttp's own timeout is an inactivity timeout: with the deadlines above it is only a
 * backstop, set past the longest of them. */
static struct timeval backstop_timeout(const struct ca_limits *l)
{
	int64_t ns = l->read_timeout_ns;
	struct timeval tv;

	if (l->write_timeout_ns > ns)
		ns = l->write_timeout_ns;
	if (l->idle_timeout_ns > ns)
		ns = l->idle_timeout_ns;
	if (l->handshake_timeout_ns > ns)
		ns = l->handshake_timeout_ns;
	ns += BACKSTOP_SLACK_NS;
	tv.tv_sec = (time_t)(ns / NS_PER_SEC);
	tv.tv_usec = (suseconds_t)(ns % NS_PER_SEC / NS_PER_US);
	return tv;
}

/* The limits evhttp applies itself (to the connections it accepts afterwards). */
static void worker_set_limits(struct worker *w, const struct ca_limits *l)
{
	struct timeval backstop = backstop_timeout(l);

	evhttp_set_timeout_tv(w->http, &backstop);
	evhttp_set_max_body_size(w->http, (ev_ssize_t)l->max_body_bytes);
	evhttp_set_max_headers_size(w->http, (ev_ssize_t)l->max_header_bytes);
}

void worker_apply_limits(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	(void)fd;
	(void)what;

	if (w->http != NULL)
		worker_set_limits(w, server_limits(w->srv));
	worker_update_listener(w);
}

static void worker_setup_http(struct worker *w, const struct ca_limits *l)
{
	worker_set_limits(w, l);
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
						EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_default_content_type(w->http, NULL);
	/* No EVHTTP_SERVER_LINGERING_CLOSE: a body over the limit is refused at once, not read
	 * first (conn_answered). */
	if (!w->plain)
		evhttp_set_bevcb(w->http, conn_new_bev, w);
	evhttp_set_gencb(w->http, conn_request, w);
}

/* A worker's event loop, with epoll's change list when it can have it: libevent then merges
 * the interest changes made within one loop iteration into one epoll_ctl. Answering a request
 * turns writing on and reading back on in the same iteration (two calls, now one). The change
 * list is unsafe with dup()ed descriptors, and stride-ca has none. */
static struct event_base *worker_base_new(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base = NULL;

	if (cfg != NULL && event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) == 0)
		base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base != NULL ? base : event_base_new();
}

int worker_init(struct server *s, struct worker *w, const struct sockaddr_storage *ss,
		socklen_t sslen, struct error *err)
{
	struct timeval sweep = {0, SWEEP_MSEC * 1000};

	w->srv = s;
	atomic_init(&w->nconns, 0);
	w->base = worker_base_new();
	w->http = w->base != NULL ? evhttp_new(w->base) : NULL;
	if (w->http == NULL)
		return err_set(err, ERR_INTERNAL, "cannot create the HTTP server");
	worker_setup_http(w, server_limits(s));
	w->drain_ev = event_new(w->base, -1, 0, worker_drain, w);
	w->check_ev = event_new(w->base, -1, 0, worker_check, w);
	w->sweep_ev = event_new(w->base, -1, EV_PERSIST, worker_sweep, w);
	w->listen_ev = event_new(w->base, -1, 0, worker_listen, w);
	w->limits_ev = event_new(w->base, -1, 0, worker_apply_limits, w);
	if (w->drain_ev == NULL || w->check_ev == NULL || w->sweep_ev == NULL ||
	    w->listen_ev == NULL || w->limits_ev == NULL || event_add(w->sweep_ev, &sweep) != 0)
		return err_set(err, ERR_INTERNAL, "cannot create the worker events");
	return listener_open(w, ss, sslen, err);
}
