/* internal.h - what the files of src/server share: workers, connections, request context. */
#ifndef STRIDE_SERVER_INTERNAL_H
#define STRIDE_SERVER_INTERNAL_H

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "authority/authority.h"
#include "base/duration.h"
#include "base/error.h"
#include "base/str.h"
#include "server/router.h"
#include "server/tls.h"

struct server;
struct worker;

/* Where a connection is, for its deadline (conn.c enforces the ca.json limits). */
enum conn_phase {
	CONN_HANDSHAKE, /* TLS handshake: handshakeTimeout from accept */
	CONN_READ,  /* a request: readTimeout from its first byte (first request: handshake end) */
	CONN_WRITE, /* request read, handler and response: writeTimeout */
	CONN_IDLE,  /* keep-alive, between requests: idleTimeout */
	CONN_CLOSING, /* shut down by the server; evhttp frees it at its next event */
	CONN_LINGER,  /* answered 413 before its body: what the client still sends is read and
		       * dropped (oversize.c, LINGER_*) so that closing does not reset the answer */
};

/* One accepted TLS connection; lives from accept until its SSL object is freed. */
struct conn {
	struct worker *w;
	SSL *ssl;		 /* owns this struct (ex data) */
	struct bufferevent *bev; /* the connection's; evhttp's until it frees it */
	enum conn_phase phase;
	bool started;	  /* CONN_READ: a byte of the request has arrived */
	int64_t deadline; /* CLOCK_MONOTONIC ns: the end of the phase */
	bool lingering;	  /* CONN_LINGER: this struct holds a reference on bev */
	size_t dropped;	  /* CONN_LINGER: bytes read and dropped */
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
	struct event *check_ev;		   /* periodic check while draining, accept retry */
	struct event *sweep_ev;		   /* periodic: enforces the connection deadlines */
	struct event *listen_ev; /* activated by any worker when the connection cap is crossed */
	struct event *limits_ev; /* activated by a reload: the new limits for new connections */
	atomic_int nconns;	 /* this worker's connections */
	bool listening;		 /* listener enabled */
	bool accept_failed;	 /* accept() failed: listener paused until check_ev */
	bool draining;
	struct conn *conns;  /* list of open connections (worker thread only) */
	atomic_int deferred; /* requests whose answer waits for the authority (handlers.c) */
	bool plain;	     /* the plain-HTTP insecureAddress listener (insecure.c), not TLS */
};

struct server {
	struct authority *a;
	struct acme *acme;	     /* NULL: no ACME (no database or no ACME provisioner) */
	struct sshca *ssh;	     /* NULL: no SSH CA (ca.json has no "ssh") */
	struct ocsp_responder *ocsp; /* NULL: no OCSP responder (ocsp.enabled false) */
	struct tls_state tls;
	char *bound_address;
	int port;
	struct worker *workers;
	int nworkers;
	struct event_base *main_base;
	struct event *sig_term, *sig_int, *sig_hup, *renew_ev;
	struct timeval shutdown_deadline;
	bool stopping;
	struct ca_limits limits0; /* from ca.json; max_connections lowered to the descriptors */
	_Atomic(const struct ca_limits *) limits; /* limits0 or a reload's (server_limits) */
	struct server_reload *reload;		  /* reload.c */
	atomic_int nconns;			  /* open connections, all workers */
	atomic_bool closing; /* workers are stopping: no more cross-worker notices */
};

/* The state of one request while its handler runs. */
struct request_ctx {
	struct evhttp_request *req;
	struct authority *a;
	struct acme *acme;	     /* may be NULL */
	struct sshca *ssh;	     /* may be NULL */
	struct ocsp_responder *ocsp; /* may be NULL */
	struct worker *w;	     /* may be NULL in tests */
	enum http_method method;
	bool head;	  /* answer without a body */
	bool close;	  /* ask the client to close the connection, and close it after the answer
			   * (server draining, or see renews_peer) */
	bool renews_peer; /* an mTLS renewal: its new certificate replaces the identity the TLS
			   * session carries, so a 201 closes the connection (the client must
			   * present the new certificate in a new handshake) */
	char request_id[80];
	int status; /* status sent, 0 before */
	int64_t start_ns;
	bool deferred; /* the handler handed the request to a pending operation (handlers.c),
			* which answers and finishes it: the handler's caller must not */
	/* for the request log */
	char *error; /* internal detail of an error answer */
	char *serial;
	char *subject;
	char *provisioner;
	/* for the metrics and the audit record (observe.c) */
	int route;	      /* enum route_id, ROUTE_COUNT when the target matched no route */
	const char *audit_op; /* the audited operation (AUDIT_*), or NULL */
	struct strv sans;     /* the SANs of what was issued */
};

/* While a worker drains, a connection without a request under way gets this much more. */
#define DRAIN_IDLE_NS NS_PER_SEC

/* --- conn.c: connections and their deadlines ------------------------------------------ */

/* Registers the connection data with OpenSSL (once per process, before any server_new). */
void conns_init(void);
/* Whether conns_init succeeded. */
bool conns_ready(void);
/* CLOCK_MONOTONIC in nanoseconds: the clock of connection deadlines. */
int64_t server_now_ns(void);
/* Moves c to phase; its deadline is the phase's limit from now (while draining, a connection
 * with no request under way gets at most DRAIN_IDLE_NS more). */
void conn_enter(struct conn *c, enum conn_phase phase, bool started, int64_t now);
/* Whether c is between requests (handshake, idle, or no byte of a request yet). */
bool conn_between_requests(const struct conn *c);
/* One connection at the sweep: ends it when past its deadline (a request under way first gets
 * a 408). Never frees it. */
void conn_check(struct conn *c, int64_t now);
/* Ends c without freeing what evhttp owns (shutdown(2); evhttp frees it at its next event);
 * reset: with a TCP RST. */
void conn_drop(struct conn *c, bool reset);
/* evhttp's bufferevent callback: a new TLS connection on the current SSL_CTX (arg: worker). */
struct bufferevent *conn_new_bev(struct event_base *base, void *arg);
/* evhttp's request callback: starts the write deadline, then server_handle_request. */
void conn_request(struct evhttp_request *req, void *arg);

/* --- listener.c: the listening sockets -------------------------------------------------- */

/* Accepts while the process is under maxConnections, accept() has not just failed and the
 * worker is not draining. Worker thread only. */
void worker_update_listener(struct worker *w);
/* Asks every worker to re-check its listener (maxConnections just reached or left). */
void notify_workers(struct server *s);
/* The event callback of worker.listen_ev (arg: worker): worker_update_listener. */
void worker_listen(evutil_socket_t fd, short what, void *arg);
/* Opens w's listening socket on ss (SO_REUSEPORT) and accepts on it. */
int listener_open(struct worker *w, const struct sockaddr_storage *ss, socklen_t sslen,
		  struct error *err);
/* Closes w's listening socket (draining); no-op when closed already. */
void listener_close(struct worker *w);
/* maxConnections, lowered to what the process can hold (raises the soft descriptor limit to
 * the hard one first). */
int64_t connection_budget(int64_t wanted);

/* --- worker.c: the worker threads --------------------------------------------------------- */

/* Builds worker w of s: event loop, evhttp with the limits, events, listening socket. */
int worker_init(struct server *s, struct worker *w, const struct sockaddr_storage *ss,
		socklen_t sslen, struct error *err);
/* The worker thread (arg: worker): serves until drained, then answers the requests still
 * waiting for the authority and lets its connections go. */
void *worker_main(void *arg);
/* Frees what a worker owns; its thread has ended (or never started). */
void worker_cleanup(struct worker *w);

/* --- oversize.c: a body over maxBodyBytes ------------------------------------------------ */

/* The output callback of every connection: notices evhttp answering a request on its own while
 * it reads it, and turns its 413 into step's answer with the rest of the body dropped. */
void conn_watch_output(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg);
/* Ends the dropping of c's input after an early 413 (no-op otherwise); the connection goes. */
void conn_linger_end(struct conn *c);

/* --- reload.c: SIGHUP (reload.h) ---------------------------------------------------------- */

/* The limits in force (immutable: a reload installs new ones and keeps the old ones until
 * server_free, so that a pointer read once stays valid). */
static inline const struct ca_limits *server_limits(struct server *s)
{
	return atomic_load_explicit(&s->limits, memory_order_acquire);
}
/* Sets up the reload state of s with its first limits (s->limits0). */
void server_reload_init(struct server *s);
/* Frees it (NULL state is fine). */
void server_reload_destroy(struct server *s);
/* Held by a reload from start to end, and by the renewal of the server certificate, so that
 * the two never interleave. */
void server_reload_lock(struct server *s);
void server_reload_unlock(struct server *s);
/* Worker thread (event callback of limits_ev, arg: the worker): its evhttp takes the current
 * limits for new connections, and its listener the connection cap. */
void worker_apply_limits(evutil_socket_t fd, short what, void *arg);

/* --- address.c ------------------------------------------------------------------------- */

/* The socket address for host and port: "" = every interface (dual-stack "::" when possible);
 * a name resolves to its first IPv4 address if it has one (as Go's net.Listen does). */
int address_resolve(const char *host, const char *port, struct sockaddr_storage *ss,
		    socklen_t *sslen, struct error *err);
void address_set_port(struct sockaddr_storage *ss, int port);
int address_get_port(const struct sockaddr_storage *ss);
/* "127.0.0.1:8443" or "[::1]:8443"; malloc'd. */
char *address_format(const struct sockaddr_storage *ss, socklen_t len);
/* The client's address of c, "127.0.0.1:50000"; malloc'd, NULL when unknown. */
char *conn_peer(struct conn *c);
/* A bound socket; listening (and sharing the port with the other workers) when reuseport. */
int address_open_socket(const struct sockaddr_storage *ss, socklen_t len, bool reuseport, int *out,
			struct error *err);

/* The bufferevent of a request's connection, and its TLS session; NULL when the connection is
 * gone. */
struct bufferevent *request_bufferevent(struct evhttp_request *req);
SSL *request_ssl(struct evhttp_request *req);

/* --- handlers.c ---------------------------------------------------------------------- */

/* evhttp's request callback: routes, runs the handler, logs one line. arg is the worker. */
void server_handle_request(struct evhttp_request *req, void *arg);
/* After the answer: logs the request and frees what its context owns. */
void request_finish(struct request_ctx *rc);

/* --- insecure.c: the plain-HTTP listener of insecureAddress ----------------------------- */

/* Whether stride-ca listens on insecureAddress: it is set and a feature served there is on
 * (the CRL, OCSP). */
bool insecure_listener_wanted(const struct ca_config *cfg);
/* Adds the plain-HTTP worker on insecureAddress to s (after its TLS workers) when
 * insecure_listener_wanted; it serves only the routes marked insecure, 404 for the rest. */
int insecure_listener_add(struct server *s, struct error *err);

/* --- crl_handler.c ---------------------------------------------------------------------- */

/* GET /crl and /1.0/crl (http-api.md §3.11): DER, or PEM with ?pem. */
void handle_crl(struct request_ctx *rc, const struct route_match *m);

/* --- issued_response.c: the answers that carry a new certificate ------------------------- */

struct issued;
/* Answers 201 with step-ca's SignResponse of a new certificate and records what was issued for
 * the request log; after an mTLS renewal the answer closes the connection. */
void respond_issued(struct request_ctx *rc, const struct issued *out);
/* Answers Kyma's error body {"code":N,"error":"..."} for err. */
void respond_kyma_error(struct request_ctx *rc, const struct error *err);
/* Kyma's renewal answer {"crt","clientCrt","caCrt"} (base64 of PEM chain, leaf and issuing CA),
 * or NULL with err filled. */
json_t *kyma_response(const struct issued *out, struct error *err);

/* --- operations.c: the endpoints that make the authority write ----------------------------- */

void handle_sign(struct request_ctx *rc, const struct route_match *m);	 /* POST /sign */
void handle_renew(struct request_ctx *rc, const struct route_match *m);	 /* POST /renew */
void handle_rekey(struct request_ctx *rc, const struct route_match *m);	 /* POST /rekey */
void handle_revoke(struct request_ctx *rc, const struct route_match *m); /* POST /revoke */
/* POST /v1/applications/certificates/renewals */
void handle_kyma_renewal(struct request_ctx *rc, const struct route_match *m);
/* Everything under /acme/ and /2.0/acme/ (src/acme/). */
void handle_acme(struct request_ctx *rc, const struct route_match *m);
/* Everything under /admin and /1.0/admin (src/admin/). */
void handle_admin(struct request_ctx *rc, const struct route_match *m);
/* Everything under /ssh/ and /1.0/ssh/ (src/sshca/), with the verified mTLS peer. */
void handle_ssh(struct request_ctx *rc, const struct route_match *m);
/* GET and POST at ca.json's ocsp.path (src/ocsp/). */
void handle_ocsp(struct request_ctx *rc, const struct route_match *m);

/* --- observe.c: metrics and audit records ---------------------------------------------- */

/* The operations of the audit records. */
#define AUDIT_X509_SIGN	    "x509.sign"
#define AUDIT_X509_RENEW    "x509.renew"
#define AUDIT_X509_REKEY    "x509.rekey"
#define AUDIT_X509_REVOKE   "x509.revoke"
#define AUDIT_KYMA_RENEW    "kyma.renew"
#define AUDIT_ACME_FINALIZE "acme.finalize"
#define AUDIT_ACME_REVOKE   "acme.revoke"
#define AUDIT_SSH_SIGN	    "ssh.sign"
#define AUDIT_SSH_RENEW	    "ssh.renew"
#define AUDIT_SSH_REKEY	    "ssh.rekey"
#define AUDIT_SSH_REVOKE    "ssh.revoke"

/* Names the routes of the metrics (once; observe_request does it too). */
void observe_init(void);
/* At the end of a request: counts it and, for an audited operation, writes its audit record and
 * counts what it issued or revoked. */
void observe_request(struct request_ctx *rc);
/* Appends the SANs of cert (DNS names, IPs, emails, URIs) to out. */
void observe_sans(const uint8_t *der, size_t len, struct strv *out);
/* The audited operation of an engine's request (ACME finalize and revoke-cert, SSH sign, renew,
 * rekey, revoke), or NULL. */
const char *observe_engine_operation(enum route_id route, enum http_method method,
				     const char *path);

#endif
