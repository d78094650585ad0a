/* server.h - the HTTPS server of stride-ca: listeners, worker threads, lifecycle.
 *
 * One event_base + evhttp per worker thread, each with its own listening
 * socket on the same address (SO_REUSEPORT), all serving the same authority.
 * server_run blocks until SIGTERM/SIGINT (or server_stop), then stops accepting, lets the
 * requests in flight finish (bounded) and returns. What a client may cost
 * (sizes, connections, timeouts) comes from ca.json's "limits".
 */
#ifndef STRIDE_SERVER_SERVER_H
#define STRIDE_SERVER_SERVER_H

#include <stdbool.h>

#include "authority/authority.h"
#include "base/error.h"
#include "config/ca_config.h"

/* Body size, header size, connection count and the timeouts come from ca.json's "limits"
 * (struct ca_limits). SERVER_MAX_BODY is the default body limit, which the body parsers use. */
#define SERVER_MAX_BODY		 CA_LIMITS_MAX_BODY_BYTES
#define SERVER_MIN_THREADS	 2
#define SERVER_MAX_THREADS	 64
#define SERVER_SHUTDOWN_WAIT_SEC 10 /* graceful stop: wait at most this for requests in flight */
#define SERVER_RENEW_RETRY_SEC	 60 /* retry delay when renewing the TLS certificate fails */
#define SERVER_LISTEN_BACKLOG	 1024

struct server;

struct acme;
struct sshca;
struct ocsp_responder;

struct server_options {
	int threads;	   /* 0 = one per online CPU (at least SERVER_MIN_THREADS) */
	struct acme *acme; /* serves /acme/... when not NULL (borrowed; outlives the server) */
	struct sshca *ssh; /* the SSH CA of /ssh/... (borrowed; outlives the server); NULL:
			    * /ssh/... answers as step-ca without one */
	struct ocsp_responder *ocsp; /* answers at ocsp.path when not NULL (borrowed; outlives
				      * the server) */
};

/* Builds the TLS context and binds the listening sockets of cfg->address; the authority is
 * borrowed and must outlive the server. *out owned by the caller (server_free). */
int server_new(struct authority *a, const struct server_options *opts, struct server **out,
	       struct error *err);
/* The address actually bound, with the real port ("127.0.0.1:8443", "[::]:443"). */
const char *server_bound_address(const struct server *s);
/* The port actually bound. */
int server_bound_port(const struct server *s);
/* Serves until SIGTERM, SIGINT or server_stop, then stops gracefully; SIGHUP reloads ca.json
 * (reload.h). */
int server_run(struct server *s, struct error *err);
/* Makes server_run stop gracefully and return, as SIGTERM does; any thread may call it, before
 * or while server_run runs. */
void server_stop(struct server *s);
/* Stops and frees everything (NULL is fine). */
void server_free(struct server *s);

/* Splits "host:port", ":port" (host "") or "[v6]:port"; host and port malloc'd. Errors are
 * "invalid address <v>". */
int server_split_address(const char *address, char **host, char **port, struct error *err);

#endif
