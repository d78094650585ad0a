/* listener.c - the listening sockets: one per worker on the same address (SO_REUSEPORT),
 * accepting while the process is under maxConnections (lowered to what the descriptors allow),
 * paused a moment when accept() fails, closed when the worker drains.
 */
#include <errno.h>
#include <inttypes.h>
#include <event2/listener.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/log.h"
#include "server/internal.h"

#define ACCEPT_PAUSE_SEC     1	/* after accept() fails (out of descriptors) */
#define RESERVED_DESCRIPTORS 64 /* for files, the store, logs */
#define MIN_CONNECTIONS	     16 /* even with few descriptors */

static struct evconnlistener *worker_listener(struct worker *w)
{
	return w->bound != NULL ? evhttp_bound_socket_get_listener(w->bound) : NULL;
}

/* Accepts while the process is under maxConnections, accept() has not just failed and the
 * worker is not draining. Worker thread only: the listener is not thread-safe. */
void worker_update_listener(struct worker *w)
{
	struct evconnlistener *lev = worker_listener(w);
	bool want = !w->draining && !w->accept_failed &&
		    atomic_load(&w->srv->nconns) < server_limits(w->srv)->max_connections;

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
void notify_workers(struct server *s)
{
	if (atomic_load(&s->closing))
		return; /* the workers' events may be gone */
	for (int i = 0; i < s->nworkers; i++)
		if (s->workers[i].listen_ev != NULL)
			event_active(s->workers[i].listen_ev, EV_READ, 0);
}

void worker_listen(evutil_socket_t fd, short what, void *arg)
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

/* Opens w's listening socket on ss and accepts on it. */
int listener_open(struct worker *w, const struct sockaddr_storage *ss, socklen_t sslen,
		  struct error *err)
{
	int fd = -1;

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

void listener_close(struct worker *w)
{
	if (w->bound != NULL) {
		evhttp_del_accept_socket(w->http, w->bound);
		w->bound = NULL;
		w->listening = false;
	}
}

/* maxConnections, lowered to what the process can hold: raises the soft descriptor limit to the
 * hard one first. */
int64_t connection_budget(int64_t wanted)
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
