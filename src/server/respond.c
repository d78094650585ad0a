/* respond.c - status codes, step's error messages, and sending responses with evhttp. */
#include "server/respond.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "server/internal.h"

/* The most plaintext one TLS record carries. */
#define TLS_RECORD_MAX 16384

/* The headers every answer carries; false when the request was answered already. */
static bool start_answer(struct request_ctx *rc, int status, const char *content_type)
{
	struct evkeyvalq *h;

	if (rc->status != 0 || rc->req == NULL)
		return false;
	rc->status = status;
	h = evhttp_request_get_output_headers(rc->req);
	if (content_type != NULL)
		evhttp_add_header(h, "Content-Type", content_type);
	if (rc->request_id[0] != '\0')
		evhttp_add_header(h, "X-Request-Id", rc->request_id);
	if (rc->close)
		evhttp_add_header(h, "Connection", "close");
	return true;
}

/* Sends the answer. evhttp leaves its head and each piece of the body as separate chains of
 * the connection's output buffer, and libevent's TLS bufferevent writes every chain as its own
 * TLS record with its own write(2): a SignResponse went out as four. Made contiguous before
 * the event loop writes it, an answer of up to one record is one record and one system call.
 * The connection is looked up first: evhttp_send_reply may finish with the request. */
static void send_reply(struct request_ctx *rc, int status, struct evbuffer *body)
{
	struct bufferevent *bev = request_bufferevent(rc->req);
	struct evbuffer *out;
	size_t n;

	evhttp_send_reply(rc->req, status, http_reason(status), body);
	/* A request whose client left while its answer waited for the authority has no
	 * connection: evhttp_send_reply freed it. */
	if (bev == NULL)
		rc->req = NULL;
	out = bev != NULL ? bufferevent_get_output(bev) : NULL;
	n = out != NULL ? evbuffer_get_length(out) : 0;
	if (n > 0 && n <= TLS_RECORD_MAX)
		(void)evbuffer_pullup(out, -1); /* NULL only when out of memory: then as before */
}

void respond_buffer(struct request_ctx *rc, int status, const char *content_type,
		    struct evbuffer *body)
{
	size_t len = evbuffer_get_length(body);

	if (rc->head) {
		respond_raw(rc, status, content_type, NULL, len);
		return;
	}
	if (start_answer(rc, status, content_type))
		send_reply(rc, status, body);
}

void respond_raw(struct request_ctx *rc, int status, const char *content_type, const void *body,
		 size_t len)
{
	struct evkeyvalq *h;
	struct evbuffer *buf;

	if (!start_answer(rc, status, content_type))
		return;
	h = evhttp_request_get_output_headers(rc->req);
	buf = evbuffer_new();
	if (rc->head) {
		/* evhttp adds no Content-Length to HEAD answers: say what GET would send. */
		char n[32];
		snprintf(n, sizeof(n), "%zu", len);
		evhttp_add_header(h, "Content-Length", n);
	} else if (buf != NULL && len > 0) {
		evbuffer_add(buf, body, len);
	}
	send_reply(rc, status, buf);
	if (buf != NULL)
		evbuffer_free(buf);
}

void respond_json(struct request_ctx *rc, int status, json_t *doc)
{
	/* 15 digits print the TLS versions of tlsOptions as 1.2 and 1.3, as Go does. */
	char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
	char *body;

	json_decref(doc);
	if (text == NULL) {
		struct error err;
		err_set(&err, ERR_INTERNAL, "error encoding the response");
		respond_error(rc, &err);
		return;
	}
	body = xasprintf("%s\n", text);
	respond_raw(rc, status, "application/json", body, strlen(body));
	free(body);
	free(text);
}

void respond_error(struct request_ctx *rc, const struct error *err)
{
	char msg[ERR_MSG_MAX + 128];
	int status = http_error_map(err, msg, sizeof(msg));
	char *body = http_error_body(status, msg);

	if (rc->error == NULL && err != NULL)
		rc->error = xasprintf("%s: %s", err_kind_name(err->kind), err->msg);
	respond_raw(rc, status, "application/json", body, strlen(body));
	free(body);
}

void respond_status(struct request_ctx *rc, int status)
{
	char msg[512];
	char *body;

	http_generic_message(status, msg, sizeof(msg));
	body = http_error_body(status, msg);
	respond_raw(rc, status, "application/json", body, strlen(body));
	free(body);
}
