/* conn.c - accepted connections and their deadlines (ca.json "limits").
 *
 * evhttp's timeouts are inactivity timeouts (reset by every byte), which a client sending one
 * byte every few seconds never trips. So each connection carries a deadline for its current
 * phase (internal.h, enum conn_phase), and the worker's periodic sweep (worker.c) ends the
 * connections past it. A connection lives from accept until OpenSSL frees its SSL object; the
 * worker keeps a list of them and the process a count (maxConnections, listener.c).
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/str.h"
#include "server/internal.h"

#define READ_SLACK_BYTES (64 * 1024) /* input beyond one request: chunk lines, a TLS record */

static int conn_index = -1;

int64_t server_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* Moves c to phase; its deadline is the phase's limit from now. While the worker drains, a
 * connection with no request under way gets at most DRAIN_IDLE_NS more. */
void conn_enter(struct conn *c, enum conn_phase phase, bool started, int64_t now)
{
	const struct ca_limits *l = server_limits(c->w->srv);
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

bool conn_between_requests(const struct conn *c)
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
	metrics_connection(-1);
	if (atomic_fetch_sub(&w->srv->nconns, 1) == server_limits(w->srv)->max_connections)
		notify_workers(w->srv);
	worker_update_listener(w);
}

void conns_init(void)
{
	conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_free_cb);
}

bool conns_ready(void)
{
	return conn_index >= 0;
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
struct bufferevent *conn_new_bev(struct event_base *base, void *arg)
{
	struct worker *w = arg;
	SSL_CTX *ctx = tls_state_acquire(&w->srv->tls);
	SSL *ssl = ctx != NULL ? SSL_new(ctx) : NULL;
	const struct ca_limits *limits;
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
	metrics_connection(1);
	if (atomic_fetch_add(&w->srv->nconns, 1) + 1 == server_limits(w->srv)->max_connections)
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
	limits = server_limits(w->srv);
	bufferevent_setwatermark(
	    bev, EV_READ, 0,
	    (size_t)(limits->max_body_bytes + limits->max_header_bytes + READ_SLACK_BYTES));
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
void conn_request(struct evhttp_request *req, void *arg)
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
void conn_check(struct conn *c, int64_t now)
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
