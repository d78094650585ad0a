/* server.c - listening sockets, worker threads, connection accounting and deadlines (ca.json
 * "limits"), graceful stop. */
#include "server/server.h"

#include <errno.h>
#include <inttypes.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/thread.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/log.h"
#include "base/str.h"
#include "server/internal.h"

#define DRAIN_CHECK_USEC     50000	/* how often a draining worker looks at its connections */
#define DRAIN_IDLE_NS	     NS_PER_SEC /* draining: connections between requests get this */
#define ACCEPT_PAUSE_SEC     1		/* after accept() fails (out of descriptors) */
#define RESERVED_DESCRIPTORS 64		/* for files, the store, logs */
#define MIN_CONNECTIONS	     16		/* even with few descriptors */
#define SWEEP_MSEC	     250	/* how often the connection deadlines are checked */
#define BACKSTOP_SLACK_NS    (5 * NS_PER_SEC)
#define READ_SLACK_BYTES     (64 * 1024) /* input beyond one request: chunk lines, a TLS record */

static int conn_index = -1;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* ---- connections ------------------------------------------------------------------------ */

/* evhttp's timeouts are inactivity timeouts (reset by every byte), which a client sending one
 * byte every few seconds never trips. So each connection carries a deadline for its current
 * phase (internal.h, enum conn_phase), and a periodic sweep ends the connections past it. */

static struct evconnlistener *worker_listener(struct worker *w)
{
	return w->bound != NULL ? evhttp_bound_socket_get_listener(w->bound) : NULL;
}

int64_t server_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* Accepts while the process is under maxConnections, accept() has not just failed and the
 * worker is not draining. Worker thread only: the listener is not thread-safe. */
static void worker_update_listener(struct worker *w)
{
	struct evconnlistener *lev = worker_listener(w);
	bool want = !w->draining && !w->accept_failed &&
		    atomic_load(&w->srv->nconns) < w->srv->limits.max_connections;

	if (lev == NULL || want == w->listening)
		return;
	if (want)
		evconnlistener_enable(lev);
	else
		evconnlistener_disable(lev);
	w->listening = want;
}

/* The process just reached maxConnections or dropped below it: every worker re-checks its own
 * listener now, so that a worker with free slots in its share does not accept one more. */
static void notify_workers(struct server *s)
{
	if (atomic_load(&s->closing))
		return; /* the workers' events may be gone */
	for (int i = 0; i < s->nworkers; i++)
		if (s->workers[i].listen_ev != NULL)
			event_active(s->workers[i].listen_ev, EV_READ, 0);
}

/* Moves c to phase; its deadline is the phase's limit from now. While the worker drains, a
 * connection with no request under way gets at most DRAIN_IDLE_NS more. */
static void conn_enter(struct conn *c, enum conn_phase phase, bool started, int64_t now)
{
	const struct ca_limits *l = &c->w->srv->limits;
	int64_t limit = phase == CONN_HANDSHAKE ? l->handshake_timeout_ns
			: phase == CONN_READ	? l->read_timeout_ns
			: phase == CONN_WRITE	? l->write_timeout_ns
						: l->idle_timeout_ns;

	if (c->w->draining && phase != CONN_WRITE && !started && limit > DRAIN_IDLE_NS)
		limit = DRAIN_IDLE_NS;
	c->phase = phase;
	c->started = started;
	c->deadline = now + limit;
}

static bool conn_between_requests(const struct conn *c)
{
	return c->phase == CONN_HANDSHAKE || c->phase == CONN_IDLE ||
	       (c->phase == CONN_READ && !c->started);
}

/* Runs when OpenSSL frees the SSL object of a connection (its bufferevent is gone). */
static void conn_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
			 void *argp)
{
	struct conn *c = ptr;
	struct worker *w;
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;

	if (c == NULL)
		return;
	w = c->w;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	free(c);
	atomic_fetch_sub(&w->nconns, 1);
	if (atomic_fetch_sub(&w->srv->nconns, 1) == w->srv->limits.max_connections)
		notify_workers(w->srv);
	worker_update_listener(w);
}

static void init_once(void)
{
	evthread_use_pthreads();
	conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_free_cb);
}

/* Decrypted bytes arrived: a request has begun. Its read deadline starts now, except on a new
 * connection whose handshake end the sweep already saw (the deadline started then). */
static void conn_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn *c = arg;
	(void)buf;

	if (info->n_added == 0)
		return;
	if (c->phase == CONN_HANDSHAKE || c->phase == CONN_IDLE)
		conn_enter(c, CONN_READ, true, server_now_ns());
	else if (c->phase == CONN_READ)
		c->started = true;
}

/* evhttp asks for the bufferevent of each accepted connection: a TLS one on the current
 * SSL_CTX. Never returns NULL (evhttp would then speak plain HTTP). */
static struct bufferevent *worker_new_bev(struct event_base *base, void *arg)
{
	struct worker *w = arg;
	SSL_CTX *ctx = tls_state_acquire(&w->srv->tls);
	SSL *ssl = ctx != NULL ? SSL_new(ctx) : NULL;
	struct bufferevent *bev;
	struct conn *c;

	SSL_CTX_free(ctx);
	if (ssl == NULL) {
		fprintf(stderr, "stride-ca: out of memory creating a TLS connection\n");
		abort();
	}
	c = xcalloc(1, sizeof(*c));
	c->w = w;
	c->ssl = ssl;
	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	SSL_set_ex_data(ssl, conn_index, c);
	conn_enter(c, CONN_HANDSHAKE, false, server_now_ns());
	atomic_fetch_add(&w->nconns, 1);
	if (atomic_fetch_add(&w->srv->nconns, 1) + 1 == w->srv->limits.max_connections)
		notify_workers(w->srv);
	worker_update_listener(w);
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE);
	c->bev = bev;
	if (bev == NULL || evbuffer_add_cb(bufferevent_get_input(bev), conn_input, c) == NULL ||
	    evbuffer_add_cb(bufferevent_get_output(bev), conn_watch_output, c) == NULL) {
		fprintf(stderr, "stride-ca: out of memory creating a TLS connection\n");
		abort();
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	/* While evhttp writes a response it keeps reading, into an unbounded buffer: a client that
	 * pipelines without reading would grow it until the write deadline. Reading pauses once a
	 * connection buffers one maximal request (a whole chunk of a chunked body must fit). */
	bufferevent_setwatermark(bev, EV_READ, 0,
				 (size_t)(w->srv->limits.max_body_bytes +
					  w->srv->limits.max_header_bytes + READ_SLACK_BYTES));
	return bev;
}

struct bufferevent *request_bufferevent(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);

	return evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;
}

SSL *request_ssl(struct evhttp_request *req)
{
	struct bufferevent *bev = request_bufferevent(req);

	return bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;
}

/* The connection of a request, or NULL. */
static struct conn *conn_of(struct evhttp_request *req)
{
	SSL *ssl = request_ssl(req);

	return ssl != NULL ? SSL_get_ex_data(ssl, conn_index) : NULL;
}

/* The response is written (evhttp calls this while the connection is alive): wait for the next
 * request, or read the one the client already pipelined. */
static void response_sent(struct evhttp_request *req, void *arg)
{
	struct conn *c = arg;
	struct bufferevent *bev = request_bufferevent(req);
	bool pending = bev != NULL && evbuffer_get_length(bufferevent_get_input(bev)) > 0;

	if (c->phase == CONN_WRITE)
		conn_enter(c, pending ? CONN_READ : CONN_IDLE, pending, server_now_ns());
}

/* evhttp has read a whole request: the write deadline starts (it covers the handler, which
 * answers before returning), then the handler runs. */
static void worker_request(struct evhttp_request *req, void *arg)
{
	struct conn *c = conn_of(req);

	if (c != NULL && c->phase != CONN_CLOSING) {
		conn_enter(c, CONN_WRITE, false, server_now_ns());
		evhttp_request_set_on_complete_cb(req, response_sent, c);
	}
	server_handle_request(req, arg);
}

/* Tells a client whose request ran out of time why it is cut off. Written straight into the TLS
 * session: evhttp has nothing queued while it reads a request (at most a "100 Continue"), so
 * nothing interleaves. Best effort: a full socket buffer just loses the answer. */
static void conn_send_timeout(struct conn *c)
{
	static const char reply[] = "HTTP/1.1 408 Request Timeout\r\n"
				    "Content-Type: application/json\r\n"
				    "Content-Length: 42\r\n"
				    "Connection: close\r\n"
				    "\r\n"
				    "{\"status\":408,\"message\":\"Request Timeout\"}";

	if (SSL_is_init_finished(c->ssl))
		(void)SSL_write(c->ssl, reply, (int)sizeof(reply) - 1);
	ERR_clear_error();
}

/* Ends a connection without freeing anything under evhttp: after shutdown(2) its next read sees
 * EOF (or its next write fails) and evhttp frees it the usual way. The descriptor stays open
 * until then, so its number is not reused meanwhile. reset: close with a TCP RST rather than
 * leave unsent data to the kernel (a client that does not read). */
void conn_drop(struct conn *c, bool reset)
{
	int fd = SSL_get_fd(c->ssl);
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	c->phase = CONN_CLOSING;
	if (fd < 0)
		return;
	if (reset)
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	(void)shutdown(fd, SHUT_RDWR);
}

/* A client that began a request or got its answer and then stalled is worth a log line; idle
 * keep-alive connections and silent new ones time out routinely. */
static void log_timeout(struct conn *c, const char *phase)
{
	char *peer = conn_peer(c);

	log_msg(LOG_INFO, "connection timed out", "phase", phase, "remote",
		peer != NULL ? peer : "-", NULL);
	free(peer);
}

/* One connection at the sweep: notices a finished handshake, ends the connection past its
 * deadline (a request under way first gets a 408). */
static void conn_check(struct conn *c, int64_t now)
{
	if (c->phase == CONN_LINGER) {
		if (now >= c->deadline)
			conn_linger_end(c);
		return;
	}
	if (c->phase == CONN_HANDSHAKE && SSL_is_init_finished(c->ssl))
		conn_enter(c, CONN_READ, false, now); /* done since the last sweep */
	if (c->phase == CONN_CLOSING || now < c->deadline)
		return;
	if (c->phase == CONN_READ && c->started) {
		log_timeout(c, "read");
		conn_send_timeout(c);
	} else if (c->phase == CONN_WRITE) {
		log_timeout(c, "write");
	}
	conn_drop(c, c->phase == CONN_WRITE);
}

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

static void worker_listen(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	worker_update_listener(arg);
}

/* accept() failed for a reason other than a retry (out of descriptors): pause a moment. */
static void listener_error(struct evconnlistener *lev, void *arg)
{
	struct worker *w = arg;
	struct timeval tv = {ACCEPT_PAUSE_SEC, 0};
	int e = EVUTIL_SOCKET_ERROR();

	(void)lev;
	log_msg(LOG_ERROR, "accept failed, pausing", "error", evutil_socket_error_to_string(e),
		NULL);
	w->accept_failed = true;
	worker_update_listener(w);
	event_add(w->check_ev, &tv);
}

/* ---- workers ---------------------------------------------------------------------------- */

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
	if (w->bound != NULL) {
		evhttp_del_accept_socket(w->http, w->bound);
		w->bound = NULL;
		w->listening = false;
	}
	for (struct conn *c = w->conns; c != NULL; c = c->next)
		if (conn_between_requests(c) && c->deadline > cap)
			c->deadline = cap;
	event_del(w->check_ev);
	event_add(w->check_ev, &tv);
}

/* Frees what a worker owns; its thread has ended (or never started). */
static void worker_cleanup(struct worker *w)
{
	struct event **evs[] = {&w->drain_ev, &w->check_ev, &w->sweep_ev, &w->listen_ev};

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
static void *worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
	/* Requests waiting for their store commit are answered before their connections go
	 * (only after a forced stop can any be left): a commit always ends, and its answer
	 * arrives as an event on this base. */
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

static void worker_setup_http(struct worker *w, const struct ca_limits *l)
{
	struct timeval backstop = backstop_timeout(l);

	evhttp_set_timeout_tv(w->http, &backstop);
	evhttp_set_max_body_size(w->http, (ev_ssize_t)l->max_body_bytes);
	evhttp_set_max_headers_size(w->http, (ev_ssize_t)l->max_header_bytes);
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
						EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_default_content_type(w->http, NULL);
	/* No EVHTTP_SERVER_LINGERING_CLOSE: a body over the limit is refused at once, not read
	 * first (conn_answered). */
	evhttp_set_bevcb(w->http, worker_new_bev, w);
	evhttp_set_gencb(w->http, worker_request, w);
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

static int worker_init(struct server *s, struct worker *w, const struct sockaddr_storage *ss,
		       socklen_t sslen, struct error *err)
{
	struct timeval sweep = {0, SWEEP_MSEC * 1000};
	int fd = -1;

	w->srv = s;
	atomic_init(&w->nconns, 0);
	w->base = worker_base_new();
	w->http = w->base != NULL ? evhttp_new(w->base) : NULL;
	if (w->http == NULL)
		return err_set(err, ERR_INTERNAL, "cannot create the HTTP server");
	worker_setup_http(w, &s->limits);
	w->drain_ev = event_new(w->base, -1, 0, worker_drain, w);
	w->check_ev = event_new(w->base, -1, 0, worker_check, w);
	w->sweep_ev = event_new(w->base, -1, EV_PERSIST, worker_sweep, w);
	w->listen_ev = event_new(w->base, -1, 0, worker_listen, w);
	if (w->drain_ev == NULL || w->check_ev == NULL || w->sweep_ev == NULL ||
	    w->listen_ev == NULL || event_add(w->sweep_ev, &sweep) != 0)
		return err_set(err, ERR_INTERNAL, "cannot create the worker events");
	if (address_open_socket(ss, sslen, true, &fd, err) != 0)
		return -1;
	w->bound = evhttp_accept_socket_with_handle(w->http, fd);
	if (w->bound == NULL) {
		close(fd);
		return err_set(err, ERR_INTERNAL, "cannot listen on the HTTP socket");
	}
	w->listening = true;
	evconnlistener_set_error_cb(worker_listener(w), listener_error);
	return 0;
}

/* ---- server ----------------------------------------------------------------------------- */

/* maxConnections, lowered to what the process can hold: raises the soft descriptor limit to the
 * hard one first. */
static int64_t connection_budget(int64_t wanted)
{
	struct rlimit rl;
	int64_t budget = wanted;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur != RLIM_INFINITY &&
		    (int64_t)rl.rlim_cur - RESERVED_DESCRIPTORS < budget)
			budget = (int64_t)rl.rlim_cur - RESERVED_DESCRIPTORS;
	}
	if (budget < MIN_CONNECTIONS)
		budget = wanted < MIN_CONNECTIONS ? wanted : MIN_CONNECTIONS;
	if (budget < wanted) {
		char got[32], want[32];

		snprintf(got, sizeof(got), "%" PRId64, budget);
		snprintf(want, sizeof(want), "%" PRId64, wanted);
		log_msg(LOG_WARN, "limits.maxConnections lowered to the open files limit",
			"maxConnections", want, "effective", got, NULL);
	}
	return budget;
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
	/* A configuration that did not come from ca_config_parse has no limits: the defaults. */
	s->limits = cfg->limits;
	if (s->limits.max_connections <= 0)
		ca_limits_default(&s->limits);
	atomic_init(&s->nconns, 0);
	atomic_init(&s->closing, false);
	if (conn_index < 0) {
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
	s->main_base = event_base_new();
	if (s->main_base == NULL) {
		err_set(err, ERR_INTERNAL, "cannot create the event loop");
		goto out;
	}
	s->nworkers = thread_count(opts);
	s->workers = xcalloc((size_t)s->nworkers, sizeof(*s->workers));
	s->limits.max_connections = connection_budget(s->limits.max_connections);
	for (int i = 0; i < s->nworkers; i++) {
		s->workers[i].index = i;
		if (worker_init(s, &s->workers[i], &ss, sslen, err) != 0)
			goto out;
	}
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
	(void)fd;
	(void)what;

	if (tls_state_renew(&s->tls, &err) != 0) {
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
	event_base_loopexit(s->main_base, NULL);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	log_msg(LOG_WARN, "reload not supported yet: SIGHUP ignored", NULL);
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

	event_base_dispatch(s->main_base);
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
	free(s->bound_address);
	free(s);
}
