/* internal.h - what the files of src/server share: workers, connections, request context. */
#ifndef STRIDE_SERVER_INTERNAL_H
#define STRIDE_SERVER_INTERNAL_H

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <jansson.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "authority/authority.h"
#include "base/error.h"
#include "server/router.h"
#include "server/tls.h"

struct server;
struct worker;

/* One accepted TLS connection; lives from accept until its SSL object is freed. */
struct conn {
	struct worker *w;
	struct evhttp_connection
	    *evcon; /* set at its first request, cleared when evhttp closes it */
	struct conn *prev, *next;
};

struct worker {
	struct server *srv;
	int index;
	pthread_t thread;
	bool started;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound; /* NULL once draining */
	struct event *drain_ev;		   /* activated by the main thread to start draining */
	struct event *check_ev;		   /* periodic check while draining */
	atomic_int nconns;
	int max_conns;
	bool paused; /* listener disabled because of max_conns */
	bool draining;
	struct conn *conns; /* list of open connections (worker thread only) */
	atomic_int deferred; /* requests waiting for their store commit (handlers.c) */
};

struct server {
	struct authority *a;
	struct tls_state tls;
	char *bound_address;
	int port;
	struct worker *workers;
	int nworkers;
	struct event_base *main_base;
	struct event *sig_term, *sig_int, *sig_hup, *renew_ev;
	struct timeval shutdown_deadline;
	bool stopping;
};

/* The state of one request while its handler runs. */
struct request_ctx {
	struct evhttp_request *req;
	struct authority *a;
	struct worker *w; /* may be NULL in tests */
	enum http_method method;
	bool head;  /* answer without a body */
	bool close; /* ask the client to close the connection (server draining) */
	char request_id[80];
	int status; /* status sent, 0 before */
	int64_t start_ns;
	bool deferred; /* the answer comes after the store commit; the handler's caller must
			* not finish the request */
	/* for the request log */
	char *error; /* internal detail of an error answer */
	char *serial;
	char *subject;
	char *provisioner;
};

/* evhttp's request callback: routes, runs the handler, logs one line. arg is the worker. */
void server_handle_request(struct evhttp_request *req, void *arg);
/* Remembers the connection of a request so a graceful stop can shorten its timeouts. */
void server_track_connection(struct worker *w, struct evhttp_request *req);

#endif
