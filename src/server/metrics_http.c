/* metrics_http.c - the plain-HTTP listener of GET /metrics. */
#include "server/metrics_http.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/str.h"
#include "server/internal.h"
#include "server/server.h"

#define METRICS_MAX_HEADERS 8192
#define METRICS_MAX_BODY    1024
#define METRICS_TIMEOUT_SEC 10
#define METRICS_MAX_TEXT    (8u << 20)
#define METRICS_BACKLOG	    64
#define NOT_FOUND_TEXT	    "404 page not found\n"

struct metrics_http {
	struct event_base *base;
	struct evhttp *http;
	char *bound;
	pthread_t thread;
	bool started;
};

static void metrics_request_cb(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *body = evbuffer_new();
	struct buf text;
	struct error err = {0};
	(void)arg;

	buf_init(&text, METRICS_MAX_TEXT);
	if (body == NULL) {
		evhttp_send_error(req, 500, NULL);
		goto out;
	}
	if (path == NULL || strcmp(path, "/metrics") != 0) {
		evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
		evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
		evbuffer_add(body, NOT_FOUND_TEXT, strlen(NOT_FOUND_TEXT));
		evhttp_send_reply(req, 404, "Not Found", body);
		goto out;
	}
	if (metrics_write(&text, &err) != 0) {
		log_msg(LOG_ERROR, "cannot write the metrics", "error", err.msg, NULL);
		evhttp_send_error(req, 500, NULL);
		goto out;
	}
	evhttp_add_header(h, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
		evbuffer_add(body, text.data, text.len);
	evhttp_send_reply(req, 200, "OK", body);
out:
	buf_free(&text);
	if (body != NULL)
		evbuffer_free(body);
}

static void *metrics_main(void *arg)
{
	struct metrics_http *m = arg;

	event_base_dispatch(m->base);
	return NULL;
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/* The socket of address: a host-less ":port" is 127.0.0.1. */
static int open_listener(const char *address, int *fd, char **bound, struct error *err)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char *host = NULL, *port = NULL;
	int rc = -1;

	*fd = -1;
	if (server_split_address(address, &host, &port, err) != 0 ||
	    address_resolve(host[0] != '\0' ? host : "127.0.0.1", port, &ss, &len, err) != 0 ||
	    address_open_socket(&ss, len, false, fd, err) != 0)
		goto out;
	if (listen(*fd, METRICS_BACKLOG) != 0) {
		err_set(err, ERR_IO, "cannot listen on %s: %s", address, strerror(errno));
		goto out;
	}
	len = sizeof(ss);
	if (getsockname(*fd, (struct sockaddr *)&ss, &len) != 0) {
		err_set(err, ERR_IO, "cannot listen on %s: %s", address, strerror(errno));
		goto out;
	}
	*bound = address_format(&ss, len);
	rc = 0;
out:
	if (rc != 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	free(host);
	free(port);
	return rc;
}

int metrics_http_start(const char *address, struct metrics_http **out, struct error *err)
{
	struct metrics_http *m = xcalloc(1, sizeof(*m));
	sigset_t all, old;
	int fd = -1, rc = -1, e;

	*out = NULL;
	if (open_listener(address, &fd, &m->bound, err) != 0)
		goto out;
	m->base = event_base_new();
	m->http = m->base != NULL ? evhttp_new(m->base) : NULL;
	if (m->http == NULL) {
		err_set(err, ERR_INTERNAL, "cannot create the metrics listener");
		goto out;
	}
	evhttp_set_max_headers_size(m->http, METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, METRICS_MAX_BODY);
	evhttp_set_timeout(m->http, METRICS_TIMEOUT_SEC);
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(m->http, metrics_request_cb, m);
	if (evhttp_accept_socket_with_handle(m->http, fd) == NULL) {
		err_set(err, ERR_IO, "cannot listen on %s", address);
		goto out;
	}
	fd = -1; /* evhttp's */
	/* signals belong to the main thread's event loop */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&m->thread, NULL, metrics_main, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		err_set(err, ERR_INTERNAL, "cannot start the metrics thread: %s", strerror(e));
		goto out;
	}
	m->started = true;
	log_msg(LOG_INFO, "serving metrics", "address", m->bound, NULL);
	*out = m;
	m = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	metrics_http_free(m);
	return rc;
}

const char *metrics_http_address(const struct metrics_http *m)
{
	return m->bound;
}

void metrics_http_free(struct metrics_http *m)
{
	if (m == NULL)
		return;
	if (m->started) {
		if (event_base_once(m->base, -1, EV_TIMEOUT, stop_cb, m->base, NULL) != 0)
			event_base_loopbreak(m->base);
		pthread_join(m->thread, NULL);
	}
	if (m->http != NULL)
		evhttp_free(m->http);
	if (m->base != NULL)
		event_base_free(m->base);
	free(m->bound);
	free(m);
}
