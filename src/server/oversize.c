/* oversize.c - a request body over maxBodyBytes: step's 413 at once, then the rest of the body
 * read and dropped before the connection closes. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "base/log.h"
#include "base/str.h"
#include "server/internal.h"
#include "server/respond.h"

#define LINGER_NS	 (2 * NS_PER_SEC)  /* after an early 413: how long the rest is dropped */
#define LINGER_MAX_BYTES (8 * 1024 * 1024) /* ... and how much of it at most */

/* evhttp refuses a request whose body is over maxBodyBytes as soon as it knows (a Content-Length
 * over it: right after the headers; a chunked body: once it grows past it) with an answer of its
 * own, and closes the connection once that is written. That answer is HTML, not step's error
 * body; and closing a socket the client is still sending its body into makes the kernel reset
 * the connection, which can destroy the answer before the client has read it. So the 413 is
 * taken over: step's error body is sent instead, the connection is half-closed after it, and
 * what the client still sends is read and dropped until it closes, for LINGER_NS or
 * LINGER_MAX_BYTES at most. */

/* Ends the lingering of c: the reference held on its bufferevent goes, and with it the socket
 * and c itself, at a later event (the caller may use c until it returns). */
void conn_linger_end(struct conn *c)
{
	if (!c->lingering)
		return;
	c->lingering = false;
	c->phase = CONN_CLOSING;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	bufferevent_decref(c->bev);
}

static void linger_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n = evbuffer_get_length(in);

	c->dropped += n;
	evbuffer_drain(in, n);
	if (c->dropped > LINGER_MAX_BYTES)
		conn_linger_end(c);
}

/* The client closed (or the connection failed): done. */
static void linger_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	conn_linger_end(arg);
}

/* Whether out begins with the status line of an answer with status ("413"). */
static bool queued_status(struct evbuffer *out, const char *status)
{
	char line[13]; /* "HTTP/1.1 413 " */

	return evbuffer_copyout(out, line, sizeof(line)) == (ev_ssize_t)sizeof(line) &&
	       memcmp(line, "HTTP/1.", 7) == 0 && line[8] == ' ' &&
	       memcmp(line + 9, status, 3) == 0 && line[12] == ' ';
}

/* Runs once evhttp has queued an answer of its own on c while reading a request, and holds a
 * reference on c->bev. A 413 is taken over (see above); anything else is left to evhttp. */
static void conn_answered(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct bufferevent *bev = c->bev;
	struct evbuffer *out = bufferevent_get_output(bev);
	bufferevent_data_cb readcb, writecb;
	bufferevent_event_cb eventcb;
	char msg[ERR_MSG_MAX + 128], *body = NULL, *reply = NULL, *peer;
	struct error err;
	int status, len;
	(void)fd;
	(void)what;

	if (c->phase != CONN_READ || !queued_status(out, "413") || !SSL_is_init_finished(c->ssl)) {
		bufferevent_decref(bev);
		return;
	}
	/* The same answer as a handler's for a body over the limit (decode.c). Written straight
	 * into the TLS session, like conn_send_timeout's: nothing else is queued. */
	err_public(&err, ERR_TOO_LARGE, "request body too large");
	status = http_error_map(&err, msg, sizeof(msg));
	body = http_error_body(status, msg);
	reply = xasprintf("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: "
			  "%zu\r\nConnection: close\r\n\r\n%s",
			  status, http_reason(status), strlen(body), body);
	len = (int)strlen(reply);
	ERR_clear_error();
	if (SSL_write(c->ssl, reply, len) != len) {
		ERR_clear_error();
		bufferevent_decref(bev); /* evhttp's own answer goes out */
		goto out;
	}
	peer = conn_peer(c);
	log_msg(LOG_INFO, "request body too large", "status", "413", "remote",
		peer != NULL ? peer : "-", NULL);
	free(peer);
	/* evhttp's answer is dropped and evhttp told it was written: it finishes the request and
	 * frees its side of the connection, half-closing the socket; the reference held here keeps
	 * the socket and the TLS session. */
	c->phase = CONN_LINGER;
	c->lingering = true;
	c->dropped = 0;
	c->deadline = server_now_ns() + LINGER_NS;
	evbuffer_drain(out, evbuffer_get_length(out));
	bufferevent_trigger(bev, EV_WRITE, 0);
	bufferevent_getcb(bev, &readcb, &writecb, &eventcb, NULL);
	if (readcb != NULL || writecb != NULL || eventcb != NULL) {
		/* evhttp kept it (never seen): end it the usual way. */
		c->lingering = false;
		conn_drop(c, false);
		bufferevent_decref(bev);
		goto out;
	}
	bufferevent_setcb(bev, linger_read, NULL, linger_event, c);
	bufferevent_disable(bev, EV_WRITE);
	bufferevent_enable(bev, EV_READ);
	linger_read(bev, c); /* what had arrived already */
out:
	free(reply);
	free(body);
}

/* Bytes were queued on c's output. While a request is being read only evhttp writes, a
 * "100 Continue" or an answer of its own; conn_answered looks at it once evhttp has queued all
 * of it (an event activated now runs after the current callback, before the next write). */
void conn_watch_output(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn *c = arg;
	(void)buf;

	if (info->n_added == 0 || info->orig_size != 0 || c->phase != CONN_READ)
		return;
	bufferevent_incref(c->bev);
	if (event_base_once(c->w->base, -1, EV_TIMEOUT, conn_answered, c, NULL) != 0)
		bufferevent_decref(c->bev);
}
